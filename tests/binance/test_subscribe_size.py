"""A SUBSCRIBE within the 1,024-stream cap is answered, however long its names (rev2 D3).

The control message limit was 4,096 bytes: 200 streams of a 50-symbol server (4.9 kB)
closed the socket with 1009 and no answer. It is now sized from MAX_STREAMS and the
longest name a socket can ask for (velox/binance/streams/control.py)."""

from __future__ import annotations

import json
from typing import Any

import aiohttp

from tests.web.conftest import MakeClient
from velox.binance.streams.control import MAX_CONTROL, MAX_STREAMS
from velox.binance.streams.names import KINDS, LONGEST_NAME
from velox.config import MAX_SYMBOL_LENGTH

# symbols as long as --symbols takes, enough of them for more than MAX_STREAMS names
SYMBOLS = tuple(f"{'X' * (MAX_SYMBOL_LENGTH - 8)}{i:04d}USDT" for i in range(30))
KINDS_LONGEST_FIRST = sorted(KINDS, key=lambda kind: (-len(kind), kind))


def _names(count: int) -> list[str]:
    names = [f"{s.lower()}@{kind}" for kind in KINDS_LONGEST_FIRST for s in SYMBOLS]
    assert len(names) >= count
    return names[:count]


async def _answer(ws: aiohttp.ClientWebSocketResponse, message: str) -> Any:
    await ws.send_str(message)
    while True:
        reply = await ws.receive(timeout=10)
        assert reply.type is aiohttp.WSMsgType.TEXT, (reply.type, reply.data, reply.extra)
        data = json.loads(reply.data)
        if "id" in data:
            return data


async def test_a_subscribe_of_as_many_long_names_as_the_cap_allows_is_answered(
    make_client: MakeClient,
) -> None:
    client = await make_client(symbols=SYMBOLS)
    names = _names(MAX_STREAMS + 1)
    assert max(len(n) for n in names) == LONGEST_NAME
    # pretty-printed, as a client may send it: the longest form this side of the limit
    full = json.dumps({"method": "SUBSCRIBE", "params": names[:MAX_STREAMS], "id": 1}, indent=2)
    over = json.dumps({"method": "SUBSCRIBE", "params": names, "id": 2}, indent=2)
    assert 4096 < len(full) <= len(over) <= MAX_CONTROL
    for path in ("/public/ws", "/stream"):
        async with client.ws_connect(path) as ws:
            assert await _answer(ws, over) == {
                "code": 2, "msg": "Invalid request: too many streams", "id": 2
            }  # fmt: skip
            assert await _answer(ws, full) == {"result": None, "id": 1}
            listed = await _answer(ws, json.dumps({"method": "LIST_SUBSCRIPTIONS", "id": 3}))
            assert len(listed["result"]) == MAX_STREAMS
            unsubscribe = json.dumps({"method": "UNSUBSCRIBE", "params": names, "id": 4})
            assert await _answer(ws, unsubscribe) == {"result": None, "id": 4}


def test_the_readme_gives_the_limits_the_server_applies() -> None:
    """The README's streams row names the cap and the control size: they cannot drift."""
    from pathlib import Path

    readme = (Path(__file__).parents[2] / "README.md").read_text()
    assert f"at most {MAX_STREAMS:,} streams" in readme
    assert f"up to {MAX_CONTROL:,} bytes" in readme
