"""A SELL market order larger than the LONG it meets, on a NETTING account, through the
Binance API: one order that closes the LONG and opens a SHORT with the rest, as on Binance.
Its answer, its read-back, the trades and the user stream all name that order for both
executions; the order that opened the LONG keeps only its own."""

from __future__ import annotations

from typing import Any

from aiohttp.test_utils import TestClient

from tests.binance.helpers import netting_bot
from tests.binance.test_trading import ORDER
from tests.binance.test_user_stream import listen_key, next_event
from tests.web.helpers import tick

ETH = "ETHUSDT"
KEYS = ("orderId", "side", "status", "origQty", "executedQty", "cumQuote", "avgPrice")


def shown(order: dict[str, Any]) -> tuple[Any, ...]:
    return tuple(order[k] for k in KEYS)


async def test_a_flip_is_one_order_with_both_executions(client: TestClient[Any, Any]) -> None:
    _, bot, _ = await netting_bot(client)
    await tick(client, ETH, "3000")  # bid 2998.5, ask 3001.5
    await bot.json("POST", "/fapi/v1/leverage", {"symbol": ETH, "leverage": 5})
    created = await (await listen_key(client, bot.key)).json()
    ws = await client.ws_connect(f"/ws/{created['listenKey']}")
    market = {"symbol": ETH, "type": "MARKET"}
    buy = await bot.json("POST", ORDER, {**market, "side": "BUY", "quantity": "1"})
    flip = await bot.json("POST", ORDER, {**market, "side": "SELL", "quantity": "1.5"})
    expected = (2, "SELL", "FILLED", "1.50000000", "1.50000000", "4497.75000000", "2998.50000000")
    assert shown(flip) == expected  # 1.5 at the bid: 1 closes the LONG, 0.5 opens a SHORT
    assert shown(await bot.json("GET", ORDER, {"symbol": ETH, "orderId": 2})) == expected
    assert shown(await bot.json("GET", ORDER, {"symbol": ETH, "orderId": buy["orderId"]})) == (
        1, "BUY", "FILLED", "1.00000000", "1.00000000", "3001.50000000", "3001.50000000",
    )  # fmt: skip
    trades = await bot.json("GET", "/fapi/v1/userTrades", {"symbol": ETH})
    assert [(t["orderId"], t["side"], t["qty"], t["price"]) for t in trades] == [
        (1, "BUY", "1.00000000", "3001.50000000"),
        (2, "SELL", "1.00000000", "2998.50000000"),  # the close: realized PnL -3
        (2, "SELL", "0.50000000", "2998.50000000"),  # the rest: the new SHORT
    ]
    assert [t["realizedPnl"] for t in trades] == ["0.00000000", "-3.00000000", "0.00000000"]
    (position,) = await bot.json("GET", "/fapi/v2/positionRisk", {"symbol": ETH})
    assert (position["positionAmt"], position["entryPrice"]) == ("-0.50000000", "2998.50000000")
    updates = [(await next_event(ws, "ORDER_TRADE_UPDATE"))["o"] for _ in range(5)]
    assert [(o["i"], o["S"], o["X"], o["q"], o["l"], o["z"], o["R"]) for o in updates] == [
        (1, "BUY", "NEW", "1.00000000", "0.00000000", "0.00000000", False),  # as Binance
        (1, "BUY", "FILLED", "1.00000000", "1.00000000", "1.00000000", False),
        (2, "SELL", "NEW", "1.50000000", "0.00000000", "0.00000000", False),
        # order 2's first trade closes the LONG, its second opens the SHORT: one order of
        # 1.5, cumulative fill 1 then 1.5 (as ccxt's watchOrders reads it), not reduce-only
        (2, "SELL", "PARTIALLY_FILLED", "1.50000000", "1.00000000", "1.00000000", False),
        (2, "SELL", "FILLED", "1.50000000", "0.50000000", "1.50000000", False),
    ]
    assert [o["rp"] for o in updates] == ["0.00000000"] * 3 + ["-3.00000000", "0.00000000"]
    await ws.close()


async def test_a_reduce_says_reduce_only_exactly_when_the_order_was(
    client: TestClient[Any, Any],
) -> None:
    """On a NETTING account a SELL smaller than the LONG reduces it; the user stream's ``R``
    is that order's reduceOnly, as Binance reports the order placed, not always true."""
    _, bot, _ = await netting_bot(client)
    await tick(client, ETH, "3000")  # bid 2998.5, ask 3001.5
    created = await (await listen_key(client, bot.key)).json()
    ws = await client.ws_connect(f"/ws/{created['listenKey']}")
    market = {"symbol": ETH, "type": "MARKET"}
    await bot.json("POST", ORDER, {**market, "side": "BUY", "quantity": "3"})
    plain = await bot.json("POST", ORDER, {**market, "side": "SELL", "quantity": "1"})
    reducing = await bot.json(
        "POST", ORDER, {**market, "side": "SELL", "quantity": "1", "reduceOnly": "true"}
    )
    closing = await bot.json("POST", ORDER, {**market, "side": "SELL", "quantity": "1"})
    updates = [(await next_event(ws, "ORDER_TRADE_UPDATE"))["o"] for _ in range(8)]
    assert [o["X"] for o in updates[::2]] == ["NEW"] * 4  # each a market order: NEW first
    updates = updates[1::2]
    assert [(o["i"], o["S"], o["X"], o["l"], o["R"]) for o in updates] == [
        (1, "BUY", "FILLED", "3.00000000", False),
        (plain["orderId"], "SELL", "FILLED", "1.00000000", False),  # a plain SELL reduced
        (reducing["orderId"], "SELL", "FILLED", "1.00000000", True),
        (closing["orderId"], "SELL", "FILLED", "1.00000000", False),  # the last of it: closed
    ]
    assert [o["rp"] for o in updates] == ["0.00000000", "-3.00000000", "-3.00000000",
                                          "-3.00000000"]  # fmt: skip
    await ws.close()
