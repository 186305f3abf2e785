"""The 24-hour ticker streams on a plain socket: ``<sym>@ticker`` (``24hrTicker``),
``<sym>@miniTicker`` (``24hrMiniTicker``) and the market-wide ``!ticker@arr`` /
``!miniTicker@arr``, carrying exactly the figures ``GET /fapi/v1/ticker/24hr`` answers, pushed
when the price moves and at most once per 2 s per symbol (1 s for the arrays), as Binance
USDⓈ-M documents them.
"""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp

from tests.binance.test_public import HOUR, NOW, START, get, with_a_day_of_candles
from tests.binance.test_streams import until
from tests.web.conftest import MakeClient
from tests.web.helpers import tick

# 24 h from the hour 24 h ago (hour 6: open 3006) to now; last = the quote's reference price.
# The quote volume is estimated per hourly candle, its volume at (high + low + close) / 3:
# hour i (6..30) at (9005 + 2i) / 3 USDT for 1.25, summed (Decimal, each term floored to
# 10^-8); the weighted average price is that over the 31.25 traded.
TICKER = {
    "e": "24hrTicker", "E": NOW, "s": "ETHUSDT", "p": "34.00000000", "P": "1.131",
    "w": "3013.66666666", "c": "3040.00000000", "Q": "0.00000000", "o": "3006.00000000",
    "h": "3070.00000000", "l": "2960.00000000", "v": "31.25000000", "q": "94177.08333316",
    "O": START + 6 * HOUR, "C": NOW, "F": 0, "L": 0, "n": 0,
}  # fmt: skip
MINI = {
    "e": "24hrMiniTicker", "E": NOW, "s": "ETHUSDT", "c": "3040.00000000",
    "o": "3006.00000000", "h": "3070.00000000", "l": "2960.00000000", "v": "31.25000000",
    "q": "94177.08333316",
}  # fmt: skip


async def test_ticker_carries_the_24hr_figures(make_client: MakeClient) -> None:
    client = await with_a_day_of_candles(make_client)
    ws = await client.ws_connect("/ws/ethusdt@ticker")
    await tick(client, "ETHUSDT", "3040")
    assert await ws.receive_json(timeout=5) == TICKER
    rest = await get(client, "/fapi/v1/ticker/24hr?symbol=ETHUSDT")
    assert rest == {
        "symbol": "ETHUSDT", "priceChange": TICKER["p"], "priceChangePercent": TICKER["P"],
        "weightedAvgPrice": TICKER["w"], "lastPrice": TICKER["c"], "lastQty": TICKER["Q"],
        "openPrice": TICKER["o"], "highPrice": TICKER["h"], "lowPrice": TICKER["l"],
        "volume": TICKER["v"], "quoteVolume": TICKER["q"], "openTime": TICKER["O"],
        "closeTime": TICKER["C"], "firstId": TICKER["F"], "lastId": TICKER["L"],
        "count": TICKER["n"],
    }  # fmt: skip
    await ws.close()


async def test_mini_ticker_and_the_market_wide_arrays(make_client: MakeClient) -> None:
    client = await with_a_day_of_candles(make_client)
    streams = "ethusdt@miniTicker/!ticker@arr/!miniTicker@arr"
    ws = await client.ws_connect(f"/stream?streams={streams}")
    await tick(client, "ETHUSDT", "3040")
    assert await until(ws, "ethusdt@miniTicker") == MINI
    await ws.close()
    # the arrays hold only the symbols whose price moved (BTC and SOL have no quote)
    for stream, payload in (("!ticker@arr", TICKER), ("!miniTicker@arr", MINI)):
        ws = await client.ws_connect(f"/stream?streams={stream}")
        await tick(client, "ETHUSDT", "3040")
        assert await until(ws, stream) == [payload]
        await ws.close()


async def receive(ws: aiohttp.ClientWebSocketResponse) -> tuple[float, Any]:
    message = await ws.receive_json(timeout=5)
    return asyncio.get_running_loop().time(), message


async def test_pushed_at_most_every_two_seconds_and_the_last_price_kept(
    make_client: MakeClient,
) -> None:
    client = await with_a_day_of_candles(make_client)
    ws = await client.ws_connect("/ws/ethusdt@ticker")
    await tick(client, "ETHUSDT", "3040")
    first_at, first = await receive(ws)
    for price in ("3041", "3042", "3043"):
        await tick(client, "ETHUSDT", price)
    then_at, then = await receive(ws)
    assert (first["c"], then["c"]) == ("3040.00000000", "3043.00000000")  # none in between
    assert then_at - first_at >= 1.9
    await ws.close()
