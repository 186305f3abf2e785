"""A JSON request made by the page itself (its cookie, its origin), as the trade screen's own
scripts make them: for a browser test's set-up and checks that the UI does not show."""

from __future__ import annotations

from typing import Any

FETCH_JS = """async ([method, path, body, account]) => {
  const headers = {'Content-Type': 'application/json', Accept: 'application/json'};
  if (account) headers['X-Velox-Account'] = account;
  const r = await fetch(path, {method, credentials: 'same-origin', headers,
    body: body === null ? undefined : JSON.stringify(body)});
  return [r.status, r.status === 204 ? null : await r.json()];
}"""


async def page_api(
    page: Any, method: str, path: str, body: Any = None, account: str | None = None
) -> Any:
    """The answer's JSON, on ``account`` (None: the user's first); any status of 300 or
    more fails the test."""
    status, reply = await page.evaluate(FETCH_JS, [method, path, body, account])
    assert status < 300, (status, reply)
    return reply
