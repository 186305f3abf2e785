"""``POST /fapi/v1/positionMargin``, Binance's "modify isolated position margin" (ccxt's
``add_margin``): the native ``POST /api/v1/order/{id}/margin`` for the symbol's position.

Type 1 adds ``amount`` to the position's isolated margin, through the same ``AddMargin``
command, so it is refused for the same reasons (-2019 when the balance is short). Velox
never takes margin back out of a position (SPEC 3 has no such command), so type 2, ccxt's
``reduce_margin``, is refused (-1130) and changes nothing.
"""

from __future__ import annotations

from typing import Any

import orjson

from velox.binance.endpoint import Call, endpoint
from velox.binance.errors import BinanceError, mandatory
from velox.binance.keyring import TRADE
from velox.binance.placing import account_within_order_rate, position_on, refused
from velox.engine.commands import AddMargin
from velox.money import format_units
from velox.web.keys import SERVICE, SETTINGS

ADD, REDUCE = "1", "2"


@endpoint(1, signed=TRADE)
async def position_margin(call: Call) -> Any:
    user_id, account_id = account_within_order_rate(call)
    params = call.params
    symbol = params.symbol(call.app[SETTINGS].symbols)
    assert symbol is not None
    params.choice("positionSide", ("BOTH",), "BOTH")
    kind = params.choice("type", (ADD, REDUCE))
    amount = params.optional_units("amount")
    if amount is None:
        raise mandatory("amount")
    if amount <= 0:
        raise BinanceError(-4055, "Amount must be positive.")
    if kind == REDUCE:
        raise BinanceError(-1130, "Data sent for parameter 'type' is not valid: Velox adds "
                                  "margin to a position (1), never takes it out (2).")  # fmt: skip
    pos = await position_on(call, user_id, account_id, symbol)
    if pos is None:
        raise BinanceError(-4054, "Cannot add position margin: position is 0.")
    service = call.app[SERVICE]
    outcome = await service.submit(
        AddMargin(user_id, pos.order_id, amount, service.clock(), account_id=account_id)
    )
    if outcome.refusal is not None:
        raise refused(outcome.refusal)
    return {"amount": orjson.Fragment(format_units(amount).encode()), "code": 200,
            "msg": "Successfully modify position margin.", "type": 1}  # fmt: skip
