"""The depth streams on a plain socket, in Binance USDⓈ-M's shapes: ``<sym>@depth[@<speed>]``
(diff: every level that changed, one that went away with quantity 0) and
``<sym>@depth<levels>[@<speed>]`` (partial: the top of the book). Velox's book is its quote,
one level each side, so a client that applies the diffs to the REST snapshot as Binance's
"local order book" recipe says holds exactly the quote; the update ids are the bookTicker's
and ``/fapi/v1/depth``'s ``lastUpdateId``, one sequence.
"""

from __future__ import annotations

from itertools import pairwise
from typing import Any

import aiohttp
from aiohttp.test_utils import TestClient

from tests.binance.test_public import get
from tests.binance.test_stream_routes import reply
from tests.binance.test_streams import native_quote
from tests.web.helpers import tick

BTC = "BTCUSDT"
MAX = "1000000.00000000"  # the size shown at each level
ZERO = "0.00000000"


async def last_update_id(client: TestClient[Any, Any]) -> int:
    depth = await get(client, "/fapi/v1/depth?symbol=BTCUSDT&limit=1000")
    update_id: int = depth["lastUpdateId"]
    return update_id


async def each_once(ws: aiohttp.ClientWebSocketResponse, streams: list[str]) -> dict[str, Any]:
    """The first payload of each of ``streams`` (combined), whatever order they come in."""
    payloads: dict[str, Any] = {}
    while len(payloads) < len(streams):
        message = await ws.receive_json(timeout=5)
        payloads.setdefault(message["stream"], message["data"])
    return payloads


async def test_diff_and_partial_depth_shapes(client: TestClient[Any, Any]) -> None:
    await tick(client, BTC, "100000")  # bid 99950, ask 100050
    before = await last_update_id(client)
    streams = "btcusdt@depth/btcusdt@depth5/btcusdt@depth20@100ms/btcusdt@bookTicker"
    ws = await client.ws_connect(f"/stream?streams={streams}")
    await tick(client, BTC, "100010")  # bid 99959.995, ask 100060.005
    after = await last_update_id(client)
    payloads = await each_once(ws, streams.split("/"))
    diff = payloads["btcusdt@depth"]
    assert diff == {
        "e": "depthUpdate", "E": diff["E"], "T": diff["E"], "s": BTC,
        "U": before + 1, "u": after, "pu": before,
        "b": [["99959.99500000", MAX], ["99950.00000000", ZERO]],  # best first, as a book
        "a": [["100050.00000000", ZERO], ["100060.00500000", MAX]],
    }  # fmt: skip
    top = {**diff, "b": [["99959.99500000", MAX]], "a": [["100060.00500000", MAX]]}
    for partial in (payloads["btcusdt@depth5"], payloads["btcusdt@depth20@100ms"]):
        assert partial == {**top, "E": partial["E"], "T": partial["E"]}
    assert payloads["btcusdt@bookTicker"]["u"] == after  # one sequence of update ids
    quote = await native_quote(client, BTC)
    assert (quote["bid"], quote["ask"]) == ("99959.99500000", "100060.00500000")
    await ws.close()


def apply(book: dict[str, dict[str, str]], event: dict[str, Any]) -> None:
    """Binance's recipe, step 7-8: absolute quantities; 0 removes the level."""
    for side, levels in (("b", event["b"]), ("a", event["a"])):
        for price, qty in levels:
            if qty == ZERO:
                book[side].pop(price, None)
            else:
                book[side][price] = qty


async def test_diffs_rebuild_the_quote_from_the_snapshot(client: TestClient[Any, Any]) -> None:
    await tick(client, BTC, "100000")
    ws = await client.ws_connect("/ws/btcusdt@depth")  # 250 ms
    snapshot = await get(client, "/fapi/v1/depth?symbol=BTCUSDT&limit=1000")
    nonce = snapshot["lastUpdateId"]
    book = {"b": dict(snapshot["bids"]), "a": dict(snapshot["asks"])}
    for price in ("100020", "100030", "100040", "100050"):  # faster than one every 250 ms
        await tick(client, BTC, price)
    final = await last_update_id(client)
    events: list[dict[str, Any]] = []
    while not events or events[-1]["u"] < final:
        events.append(await ws.receive_json(timeout=5))
    # the recipe's steps 4-6: drop u < lastUpdateId; the first has U <= it <= u; then pu = u
    kept = [e for e in events if e["u"] >= nonce]
    assert kept[0]["U"] <= nonce <= kept[0]["u"] or kept[0]["pu"] == nonce
    assert all(b["pu"] == a["u"] and b["U"] == a["u"] + 1 for a, b in pairwise(kept))
    for event in kept:
        apply(book, event)
    quote = await native_quote(client, BTC)
    assert book == {"b": {quote["bid"]: MAX}, "a": {quote["ask"]: MAX}}
    assert quote["bid"] == "99999.97500000"  # 100050 less 0.05 %
    assert len(events) < 4  # conflated: at most one event per 250 ms
    assert all(b["E"] - a["E"] >= 240 for a, b in pairwise(events))
    await ws.close()


async def subscribe(ws: aiohttp.ClientWebSocketResponse, ident: int, *streams: str) -> Any:
    return await reply(ws, {"method": "SUBSCRIBE", "params": list(streams), "id": ident})


async def test_depth_and_ticker_names_are_listed_and_bad_ones_refused(
    client: TestClient[Any, Any],
) -> None:
    ws = await client.ws_connect("/public/ws/0")
    names = ["btcusdt@depth@100ms", "btcusdt@depth10@500ms", "btcusdt@depth@250ms",
             "!ticker@arr", "ethusdt@ticker", "!miniTicker@arr", "solusdt@miniTicker"]  # fmt: skip
    assert await subscribe(ws, 1, *names) == {"result": None, "id": 1}
    listed = await reply(ws, {"method": "LIST_SUBSCRIPTIONS", "id": 2})
    assert listed == {"result": sorted(names), "id": 2}
    refused = ("btcusdt@depth7", "btcusdt@depth@300ms", "btcusdt@depth5@1s", "!bookTicker@arr",
               "btcusdt@ticker@arr", "!ticker")  # fmt: skip
    for ident, bad in enumerate(refused, 3):
        answer = await subscribe(ws, ident, bad)
        assert (answer["code"], answer["id"]) == (2, ident), bad
    less = {"method": "UNSUBSCRIBE", "params": ["btcusdt@depth@100ms", "!ticker@arr"], "id": 9}
    assert await reply(ws, less) == {"result": None, "id": 9}
    listed = await reply(ws, {"method": "LIST_SUBSCRIPTIONS", "id": 10})
    assert listed["result"] == sorted(set(names) - {"btcusdt@depth@100ms", "!ticker@arr"})
    await ws.close()
    for path in ("/ws/btcusdt@depth7", "/ws/!ticker@arr/btcusdt@depth@1000ms"):
        response = await client.get(path)
        assert response.status == 400, path
