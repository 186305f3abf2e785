"""An order of a bot that never set a leverage uses the symbol's as ``symbolConfig`` reports
it: the open position's, else the default (rev3).

rev3 opened a position through a bot under ``--max-leverage 5`` (the default leverage then
5), restarted Velox with the default cap (the default then 20), and the bot's next BUY was
refused -4161 "Leverage reduction is not supported...": it had asked for no change, and
``symbolConfig`` said 5. Here the position is opened at 5x through the native API on the
bot's NETTING account, which leaves the bot in the same place: nothing set, a position at 5,
a default of 20."""

from __future__ import annotations

from typing import Any

from aiohttp.test_utils import TestClient

from tests.binance.helpers import netting_bot
from tests.web.helpers import tick

BTC = "BTCUSDT"


async def test_a_bot_that_set_no_leverage_adds_to_the_position_at_its_leverage(
    client: TestClient[Any, Any],
) -> None:
    user, bot, account = await netting_bot(client)
    await tick(client, BTC, "100000")
    await user.json("POST", "/api/v1/order/open", 201, headers={"X-Velox-Account": account},
                    json={"asset": BTC, "side": "LONG", "leverage": 5, "qty": "0.01"})  # fmt: skip
    (config,) = await bot.json("GET", "/fapi/v1/symbolConfig", {"symbol": BTC})
    assert config["leverage"] == 5
    order = {"symbol": BTC, "side": "BUY", "type": "MARKET", "quantity": "0.01"}
    placed = await bot.json("POST", "/fapi/v1/order", order)
    assert placed["status"] == "FILLED", placed
    (risk,) = [r for r in await bot.json("GET", "/fapi/v2/positionRisk", {"symbol": BTC})
               if r["positionAmt"] != "0"]  # fmt: skip
    assert (risk["leverage"], risk["positionAmt"]) == ("5", "0.02000000")
    # with nothing open, the default (20) again
    await bot.json("POST", "/fapi/v1/order", {**order, "side": "SELL", "quantity": "0.02"})
    await bot.json("POST", "/fapi/v1/order", order)
    (risk,) = [r for r in await bot.json("GET", "/fapi/v2/positionRisk", {"symbol": BTC})
               if r["positionAmt"] != "0"]  # fmt: skip
    assert (risk["leverage"], risk["positionAmt"]) == ("20", "0.01000000")
