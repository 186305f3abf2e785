"""/ws: a client's messages are bounded (velox/web/ws/budget.py), and the account check's
store read is made once per account and in the store's side lane (velox/store/lanes.py).

rev2's D1: one user's five sockets sending ``{"op": "account"}`` as fast as they could held
SQLite's readers for as long as they were fed; another user's open and close took 36-60 s
and the database probe failed. Checked here by counting store reads and answers on real
sockets; that side-lane reads cannot hold the order path's reads is
tests/store/test_sqlite_reader_pool.py's.
"""

from __future__ import annotations

from typing import Any

import pytest
from aiohttp import ClientWebSocketResponse, WSMsgType
from aiohttp.test_utils import TestClient

from tests.web.helpers import signup
from velox.store.lanes import in_side_lane
from velox.web.keys import STORE
from velox.web.ws import endpoint
from velox.web.ws.budget import BURST, MAX_REFUSED, MessageBudget

MISSING = "999999"


@pytest.fixture
def reads(client: TestClient[Any, Any], monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """Every ``store.account`` read, as whether it was made in the side lane."""
    store = client.app[STORE]
    account = store.account
    seen: list[bool] = []

    async def counted(account_id: str) -> Any:
        seen.append(in_side_lane())
        return await account(account_id)

    monkeypatch.setattr(store, "account", counted)
    return seen


@pytest.fixture
def frozen_budget(monkeypatch: pytest.MonkeyPatch) -> None:
    """A budget that never refills: exactly BURST messages go through, whatever the pace."""
    frozen = lambda: MessageBudget(clock=lambda: 0.0)  # noqa: E731
    monkeypatch.setattr(endpoint, "MessageBudget", frozen, raising=False)


async def _answers(ws: ClientWebSocketResponse, count: int) -> list[dict[str, Any]]:
    answers: list[dict[str, Any]] = []
    while len(answers) < count:
        message = await ws.receive_json(timeout=10)
        if message["type"] != "price_update":
            answers.append(message)
    return answers


def _codes(answers: list[dict[str, Any]]) -> list[str]:
    return [a["error"]["code"] if a["type"] == "error" else a["type"] for a in answers]


async def test_an_account_is_read_once_per_socket_in_the_side_lane(
    client: TestClient[Any, Any], reads: list[bool]
) -> None:
    user = await signup(client)
    mine = (await user.json("GET", "/api/v1/accounts", 200))["accounts"][0]["accountId"]
    ws = await user.ws()
    for _ in range(5):
        await ws.send_json({"op": "account", "accountId": mine})
    for _ in range(5):
        await ws.send_json({"op": "account", "accountId": MISSING})
    answers = await _answers(ws, 10)
    assert _codes(answers) == ["account"] * 5 + ["NOT_FOUND"] * 5
    assert 2 <= len(reads) <= 3  # the owner once; "missing" again only after a second
    assert all(reads), "the account check read outside the side lane"
    await ws.close()


async def test_messages_over_the_budget_are_refused_unread(
    client: TestClient[Any, Any], reads: list[bool], frozen_budget: None
) -> None:
    user = await signup(client)
    ws = await user.ws()
    over = 5
    for i in range(BURST + over):  # a new id each time: none of them answered from memory
        await ws.send_json({"op": "account", "accountId": str(900000 + i)})
    answers = await _answers(ws, BURST + over)
    assert _codes(answers) == ["NOT_FOUND"] * BURST + ["RATE_LIMITED"] * over
    assert len(reads) == BURST  # none for a message over the budget
    await ws.send_json({"op": "ping"})
    assert _codes(await _answers(ws, 1)) == ["RATE_LIMITED"]  # still empty: nothing refills
    await ws.close()


async def test_a_client_that_keeps_on_sending_is_closed(
    client: TestClient[Any, Any], reads: list[bool], frozen_budget: None
) -> None:
    user = await signup(client)
    ws = await user.ws()
    for _ in range(BURST + MAX_REFUSED + 10):
        await ws.send_json({"op": "account", "accountId": MISSING})
    codes = []
    while True:
        message = await ws.receive(timeout=10)
        if message.type is not WSMsgType.TEXT:
            break
        data = message.json()
        if data["type"] != "price_update":
            codes.append(data["error"]["code"])
    assert message.type is WSMsgType.CLOSE
    assert ws.close_code == 1008
    # answers still queued when it closed are not sent: the close does not wait for them
    assert set(codes) <= {"NOT_FOUND", "RATE_LIMITED"}
    assert len(reads) <= 1  # the missing account, once; the rest from memory
