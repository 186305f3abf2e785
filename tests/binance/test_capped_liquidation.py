"""A liquidation whose settlement is capped at 0, through the Binance API and the native
one (an outside review, rev1: a 100x LONG of 0.01 BTC liquidated by a 3 % gap left
/fapi/v1/income 0.49650612 below the wallet: REALIZED_PNL said the formula's loss past the
margin and COMMISSION a close fee the trader never paid; userTrades, the native fills, the
balance's ``fees``, the order's ``fee`` and the user stream's ``rp`` / ``n`` said the same).

SPEC 12: the trader receives max(0, margin + pnl - closeFee); every figure derived from the
fills must add up to what moved: wallet == deposits + sum(realizedPnl) - sum(fees) to the
unit. Two NETTING positions with taker 0.0005 and mmr 0.01: BTC 100x liquidated by a gap
far past its margin (fee 0, realizedPnl = -margin), ETH 100x liquidated just below its
liquidation price where margin + pnl is below the close fee (fee = margin + pnl).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from tests.binance.helpers import balance_of, netting_bot
from tests.binance.test_user_stream import listen_key
from tests.web.conftest import MakeClient
from tests.web.helpers import tick

BTC, ETH, ORDER = "BTCUSDT", "ETHUSDT", "/fapi/v1/order"


def total(rows: list[Any], *keys: str) -> Decimal:
    return sum((Decimal(r[k]) * (-1 if k in ("fee", "commission") else 1)
                for r in rows for k in keys), Decimal(0))  # fmt: skip


async def test_income_fills_and_fees_add_up_to_the_wallet_after_capped_liquidations(
    make_client: MakeClient,
) -> None:
    client = await make_client(taker_fee="0.0005", maker_fee="0.0002", mmr="0.01",
                               funding_interval=0)  # fmt: skip
    user, bot, account = await netting_bot(client)
    headers = {"X-Velox-Account": account}
    await tick(client, BTC, "100000")  # bid 99950, ask 100050
    await tick(client, ETH, "3000")  # bid 2998.5, ask 3001.5
    start = Decimal((await bot.json("GET", "/fapi/v2/account"))["totalWalletBalance"])
    made = await (await listen_key(client, bot.key)).json()
    ws = await client.ws_connect(f"/ws/{made['listenKey']}")
    for symbol, qty in ((BTC, "0.01"), (ETH, "1")):
        await bot.json("POST", "/fapi/v1/leverage", {"symbol": symbol, "leverage": 100})
        await bot.json("POST", ORDER, {"symbol": symbol, "side": "BUY", "type": "MARKET",
                                       "quantity": qty})  # fmt: skip
    # BTC: margin 10.005, liquidation price 99059.505; a gap to bid 96951.5
    await tick(client, BTC, "97000")
    # ETH: margin 30.015, liquidation price 2971.785; bid 2971.603455: margin + pnl
    # 0.118455 < the close fee 1.4858...
    await tick(client, ETH, "2973.09")
    closed = (await user.json("GET", "/api/v1/order/user/orders?status=CLOSED", 200,
                              headers=headers))["orders"]  # fmt: skip
    assert sorted(o["closeReason"] for o in closed) == ["LIQUIDATION", "LIQUIDATION"]
    by_asset = {o["asset"]: o for o in closed}
    btc, eth = by_asset[BTC], by_asset[ETH]
    # the orders keep the formula's pnl; their fee is what they paid
    assert (btc["margin"], btc["pnl"]) == ("10.00500000", "-30.98500000")
    assert (eth["margin"], eth["pnl"]) == ("30.01500000", "-29.89654500")
    open_fees = {BTC: Decimal("0.50025000"), ETH: Decimal("1.50075000")}
    assert Decimal(btc["fee"]) == open_fees[BTC]  # no close fee: nothing left to pay it
    assert Decimal(eth["fee"]) == open_fees[ETH] + Decimal("0.11845500")  # margin + pnl

    wallet = Decimal((await bot.json("GET", "/fapi/v2/account"))["totalWalletBalance"])
    assert wallet == start - open_fees[BTC] - open_fees[ETH] - Decimal("10.005") - Decimal("30.015")
    income = await bot.json("GET", "/fapi/v1/income", {})
    assert start + total(income, "income") == wallet
    # the BTC close paid no fee: no COMMISSION entry for its trade, REALIZED_PNL -margin
    assert [(r["symbol"], r["incomeType"], r["income"]) for r in income][2:] == [
        (BTC, "REALIZED_PNL", "-10.00500000"), (ETH, "REALIZED_PNL", "-29.89654500"),
        (ETH, "COMMISSION", "-0.11845500"),
    ]  # fmt: skip
    trades = await bot.json("GET", "/fapi/v1/userTrades", {"symbol": BTC})
    trades += await bot.json("GET", "/fapi/v1/userTrades", {"symbol": ETH})
    assert start + total(trades, "realizedPnl", "commission") == wallet
    closes = {t["symbol"]: t for t in trades if t["side"] == "SELL"}
    assert (closes[BTC]["realizedPnl"], closes[BTC]["commission"]) == ("-10.00500000",
                                                                       "0.00000000")  # fmt: skip
    assert (closes[ETH]["realizedPnl"], closes[ETH]["commission"]) == ("-29.89654500",
                                                                       "0.11845500")  # fmt: skip

    fills = (await user.json("GET", "/api/v1/order/user/fills", 200, headers=headers))["fills"]
    assert start + total(fills, "realizedPnl", "fee") == wallet
    balance = await balance_of(user, account)
    assert Decimal(balance["balance"]) == wallet  # nothing open or pending
    assert Decimal(balance["fees"]) == -total(fills, "fee")

    # the user stream: each liquidation's trade says the fill's rp and n; the last
    # ACCOUNT_UPDATE the wallet
    seen: dict[str, tuple[str, str]] = {}
    wallets = []
    while True:
        try:
            message = await ws.receive_json(timeout=1)
        except TimeoutError:
            break
        if message["e"] == "ACCOUNT_UPDATE":
            wallets.append(message["a"]["B"][0]["wb"])
        o = message.get("o", {})
        if message["e"] == "ORDER_TRADE_UPDATE" and (o["x"], o["S"]) == ("TRADE", "SELL"):
            seen[o["s"]] = (o["rp"], o["n"])
    assert seen == {s: (closes[s]["realizedPnl"], closes[s]["commission"]) for s in (BTC, ETH)}
    assert Decimal(wallets[-1]) == wallet

    # the History: its results add up to the same
    rows = await user.json("GET", "/api/v1/history/positions", 200, headers=headers)
    assert start + sum(Decimal(r["result"]) for r in rows["positions"]) == wallet
    await ws.close()
