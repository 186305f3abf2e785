"""A position's margin figures as Binance reports them: ``isolatedWallet`` the margin put in,
``isolatedMargin`` that plus the unrealized profit (Binance's definition; ccxt's
``collateral`` is read from it). Velox gave the margin alone in both (an outside review)."""

from __future__ import annotations

from typing import Any

from aiohttp.test_utils import TestClient

from tests.binance.helpers import netting_bot
from tests.web.helpers import tick

BTC = "BTCUSDT"
FIELDS = ("entryPrice", "isolatedWallet", "unRealizedProfit", "isolatedMargin")


async def test_isolated_margin_is_the_wallet_plus_the_unrealized_profit(
    client: TestClient[Any, Any],
) -> None:
    _, bot, _ = await netting_bot(client)
    await tick(client, BTC, "100000")  # bid 99950, ask 100050
    await bot.json("POST", "/fapi/v1/leverage", {"symbol": BTC, "leverage": 10})
    await bot.json("POST", "/fapi/v1/order", {"symbol": BTC, "side": "BUY", "type": "MARKET",
                                              "quantity": "0.01"})  # fmt: skip
    # margin ceil(100050 x 0.01 / 10) = 100.05; at 101000 the bid is 100949.5, so the
    # unrealized profit is (100949.5 - 100050) x 0.01 = 8.995
    await tick(client, BTC, "101000")
    gain = ("100050.00000000", "100.05000000", "8.99500000", "109.04500000")
    # at 99000 the bid is 98950.5: (98950.5 - 100050) x 0.01 = -10.995
    loss = ("100050.00000000", "100.05000000", "-10.99500000", "89.05500000")
    for price, expected in (("101000", gain), ("99000", loss)):
        await tick(client, BTC, price)
        for version in ("v2", "v3"):
            (risk,) = await bot.json("GET", f"/fapi/{version}/positionRisk", {"symbol": BTC})
            assert tuple(risk[k] for k in FIELDS) == expected, version
        account = await bot.json("GET", "/fapi/v2/account")
        (row,) = [p for p in account["positions"] if p["symbol"] == BTC]
        shown = (row["entryPrice"], row["isolatedWallet"], row["unrealizedProfit"],
                 row["isolatedMargin"])  # fmt: skip
        assert shown == expected
