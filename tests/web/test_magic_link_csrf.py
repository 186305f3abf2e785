"""A magic link followed from another site asks before it signs in (login CSRF).

An attacker asks for a link to their own address and makes a victim's browser open it (a
link, an image, a redirect): the victim was signed in to the attacker's account, and went on
to trade, or make API keys, in it (an outside review). Only a navigation the browser says
the user made (Sec-Fetch-Site: none, a link opened from a mail program) or one from Velox's
own pages signs in at once; any other lands on /signin/verify, which names the account and
signs in only with a same-origin JSON POST, which no other site can send."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from aiohttp.test_utils import TestClient

from tests.web.helpers import assert_error, bearer, outbox_link, signup

VERIFY = "/api/v1/user/auth/verify"
INVALID = "/signin?tab=magic&error=invalid_link"


async def attackers_link(client: TestClient[Any, Any], tmp_path: Path) -> str:
    await signup(client, "attacker@example.com")
    response = await client.post("/api/v1/user/magic-link", json={"email": "attacker@example.com"})
    assert response.status == 202
    return outbox_link(tmp_path)


async def test_a_link_from_another_site_signs_nobody_in(
    client: TestClient[Any, Any], tmp_path: Path
) -> None:
    token = await attackers_link(client, tmp_path)
    victim = await signup(client, "victim@example.com")
    for fetch_site in ("cross-site", "same-site", None):  # None: a browser that does not say
        headers = {"Cookie": f"token={victim.token}"}
        if fetch_site is not None:
            headers["Sec-Fetch-Site"] = fetch_site
        response = await client.get(f"{VERIFY}?token={token}", allow_redirects=False,
                                    headers=headers)  # fmt: skip
        assert response.status == 302 and "token" not in response.cookies
        location = urlsplit(response.headers["Location"])
        assert (location.path, parse_qs(location.query)) == ("/signin/verify", {"token": [token]})
    page = await client.get(f"/signin/verify?token={token}", allow_redirects=False)
    assert page.status == 200 and "token" not in page.cookies
    html = await page.text()
    assert 'data-testid="verify-email">attacker@example.com<' in html  # whose account it is
    me = await client.get("/api/v1/user/me", headers=bearer(victim.token))
    assert (await me.json())["user"]["email"] == "victim@example.com"


async def test_the_page_signs_in_with_a_same_origin_post_once(
    client: TestClient[Any, Any], tmp_path: Path
) -> None:
    token = await attackers_link(client, tmp_path)
    cross = await client.post(VERIFY, json={"token": token},
                              headers={"Origin": "https://evil.example"})  # fmt: skip
    assert cross.status == 403
    assert_error(await cross.json(), "FORBIDDEN")
    urlencoded = {"Content-Type": "application/x-www-form-urlencoded"}
    form = await client.post(VERIFY, data=f"token={token}", headers=urlencoded)
    assert form.status == 415  # no other site can send JSON without asking first
    signed = await client.post(VERIFY, json={"token": token})  # spent only now
    assert signed.status == 200 and await signed.json() == {"location": "/trade"}
    me = await client.get("/api/v1/user/me", headers=bearer(signed.cookies["token"].value))
    assert (await me.json())["user"]["email"] == "attacker@example.com"
    again = await client.post(VERIFY, json={"token": token})
    assert await again.json() == {"location": INVALID} and "token" not in again.cookies
    page = await client.get(f"/signin/verify?token={token}", allow_redirects=False)
    assert (page.status, page.headers["Location"]) == (302, INVALID)  # spent: nothing to ask
    bad = await client.post(VERIFY, json={"token": token, "next": "/"})
    assert_error(await bad.json(), "VALIDATION_ERROR", "next")


async def test_links_the_user_opened_or_from_velox_itself_sign_in_at_once(
    client: TestClient[Any, Any], tmp_path: Path
) -> None:
    for fetch_site in ("none", "same-origin"):
        token = await attackers_link(client, tmp_path) if fetch_site == "none" else None
        if token is None:
            response = await client.post("/api/v1/user/magic-link",
                                         json={"email": "attacker@example.com"})  # fmt: skip
            assert response.status == 202
            token = outbox_link(tmp_path)
        response = await client.get(f"{VERIFY}?token={token}", allow_redirects=False,
                                    headers={"Sec-Fetch-Site": fetch_site})  # fmt: skip
        assert (response.status, response.headers["Location"]) == (302, "/trade")
        assert "token" in response.cookies
