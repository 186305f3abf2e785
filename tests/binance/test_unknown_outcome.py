"""The native and Binance APIs when a gateway's wait for the engine ran out after the engine
may have taken the command (``EngineTimeout``, tests/scale/test_unknown_outcome.py): the
outcome is unknown, and the answer says so."""

from __future__ import annotations

from typing import Any

from tests.binance.helpers import binance_error, netting_bot
from tests.web.helpers import tick
from velox.published import EngineTimeout
from velox.web.keys import SERVICE


async def test_the_apis_say_the_outcome_is_unknown(make_client: Any) -> None:
    """The native API keeps its 503 ENGINE_NOT_READY and says the request may have been
    carried out; the Binance API answers -1007 as Binance does for a backend timeout."""
    client = await make_client()
    user, bot, _ = await netting_bot(client)
    await tick(client, "BTCUSDT", "100000")
    service = client.server.app[SERVICE]

    async def timed_out(*args: Any, **kwargs: Any) -> Any:
        raise EngineTimeout(EngineTimeout.MESSAGE)

    for name in ("submit", "submit_and_read", "submit_and_show"):  # as BusEngineClient does
        setattr(service, name, timed_out)
    order = {"asset": "BTCUSDT", "side": "LONG", "leverage": 10, "margin": "10"}
    body = await user.json("POST", "/api/v1/order/open", 503, json=order)
    assert body["error"] == {"code": "ENGINE_NOT_READY", "message": EngineTimeout.MESSAGE}
    await binance_error(
        await bot.call(
            "POST", "/fapi/v1/order",
            {"symbol": "BTCUSDT", "side": "BUY", "type": "MARKET", "quantity": "0.001"},
        ),
        503, -1007,
    )  # fmt: skip
