"""``PUT /fapi/v1/order``: change a resting order, as Binance's Modify Order (TRADE)."""

from __future__ import annotations

from typing import Any

from velox.binance import orders
from velox.binance.endpoint import Call, endpoint
from velox.binance.errors import BinanceError, invalid, mandatory, no_such_order
from velox.binance.keyring import TRADE
from velox.binance.placing import account_within_order_rate, find_order, refused, shown_order
from velox.engine.commands import ModifyOrder
from velox.store.records import OrderRecord
from velox.web.keys import SERVICE, SETTINGS, STORE


@endpoint(1, signed=TRADE)
async def modify_order(call: Call) -> Any:
    """``PUT /fapi/v1/order`` (ccxt's ``edit_order``): a resting LIMIT order's new price. The
    engine changes an order's price, not its size: a ``quantity`` other than the order's is
    refused (-1130), as is any order but a resting LIMIT one (-2013 when it has ended)."""
    user_id, account_id = account_within_order_rate(call)
    params = call.params
    symbol = params.symbol(call.app[SETTINGS].symbols)
    found = await find_order(call, "orderId", "origClientOrderId", symbol=symbol)
    if not isinstance(found, OrderRecord) or found.status != "PENDING":
        raise no_such_order()
    if found.order_type != "LIMIT":
        raise BinanceError(-1116, "Invalid orderType.")
    if params.choice("side", ("BUY", "SELL")) != orders.side_of(found.side):
        raise invalid("side")
    qty = params.optional_units("quantity")
    if qty is None:
        raise mandatory("quantity")
    if qty != found.qty:
        raise BinanceError(-1130, "Data sent for parameter 'quantity' is not valid: Velox "
                                  "changes a resting order's price, not its quantity.")  # fmt: skip
    price = params.optional_units("price")
    if not price:
        raise mandatory("price")
    service = call.app[SERVICE]
    command = ModifyOrder(user_id, found.order_id, service.clock(), price=price,
                          account_id=account_id)  # fmt: skip
    outcome = await service.submit(command)
    if outcome.refusal is not None:
        raise refused(outcome.refusal)
    record = await call.app[STORE].order(found.order_id)
    if record is None:  # pragma: no cover - the commit wrote it
        raise BinanceError(-1001, "Internal error; unable to process your request.")
    return await shown_order(call, record)
