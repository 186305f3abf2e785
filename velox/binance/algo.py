"""Binance's Algo Order API (``/fapi/v1/algoOrder``, ``openAlgoOrders``, ``allAlgoOrders``):
where Binance takes conditional orders (``algoType=CONDITIONAL``), and so where ccxt sends
stop-market entries, stop-losses and take-profits.

- ``STOP_MARKET`` with a ``quantity``: a Velox STOP entry at ``triggerPrice`` (its algo id is
  the Velox order id);
- ``STOP_MARKET`` / ``TAKE_PROFIT_MARKET`` with ``closePosition=true``, and
  ``TRAILING_STOP_MARKET``: the position's stop-loss, take-profit or trailing stop (see
  ``trading.apply_stop``), listed while set.
"""

from __future__ import annotations

from typing import Any

from velox.binance import orders
from velox.binance.endpoint import Call, endpoint
from velox.binance.errors import BinanceError, mandatory, no_such_order, unknown_order
from velox.binance.keyring import READ, TRADE
from velox.binance.placing import (
    account_within_order_rate,
    apply_stop,
    check_max_qty,
    clear_stop,
    client_id,
    conditional_position,
    ended_conditional,
    find_order,
    leverage_for,
    open_orders_of,
    refused,
)
from velox.engine.commands import CancelOrder, OpenPosition
from velox.engine.events import OrderCancelled, OrderPlaced
from velox.store.records import OrderRecord
from velox.web.keys import SERVICE, SETTINGS, STORE


@endpoint(0, signed=TRADE)
async def new_algo_order(call: Call) -> Any:
    user_id, account_id = account_within_order_rate(call)
    params = call.params
    params.choice("algoType", ("CONDITIONAL",), "CONDITIONAL")
    symbol = params.symbol(call.app[SETTINGS].symbols)
    assert symbol is not None
    side = params.choice("side", ("BUY", "SELL"))
    params.choice("positionSide", ("BOTH",), "BOTH")
    kind = params.choice("type", ("STOP_MARKET", "TAKE_PROFIT_MARKET", "TRAILING_STOP_MARKET"))
    close = params.choice("closePosition", ("true", "false"), "false") == "true"
    if close or kind != "STOP_MARKET":
        pos, kind_id = await apply_stop(call, user_id, account_id, symbol, side, kind,
                                        trigger="triggerPrice")  # fmt: skip
        return orders.algo_of_position(pos, kind_id)
    qty = params.optional_units("quantity")
    if not qty:
        raise mandatory("quantity")
    check_max_qty(qty)
    trigger = params.optional_units("triggerPrice")
    if not trigger:
        raise mandatory("triggerPrice")
    service = call.app[SERVICE]
    command = OpenPosition(
        user_id=user_id, asset=symbol, side="LONG" if side == "BUY" else "SHORT",
        leverage=await leverage_for(call, symbol), ts=service.clock(), qty=qty,
        account_id=account_id, order_type="STOP", price=trigger,
        client_order_id=client_id(call, "clientAlgoId"),
        reduce_only=params.choice("reduceOnly", ("true", "false"), "false") == "true",
        client_id_reusable=True,  # unique among resting orders, as on Binance
    )  # fmt: skip
    outcome = await service.submit(command)
    if outcome.refusal is not None:
        raise refused(outcome.refusal)
    order_id = outcome.existing or next(
        (e.order_id for e in outcome.events if isinstance(e, OrderPlaced | OrderCancelled)), None
    )
    record = None if order_id is None else await call.app[STORE].order(order_id)
    if record is None:  # pragma: no cover - the commit wrote it
        raise BinanceError(-1001, "Internal error; unable to process your request.")
    return orders.algo_of_record(record)


@endpoint(1, signed=READ)
async def query_algo_order(call: Call) -> Any:
    found = await find_order(call, "algoId", "clientAlgoId", "STOP")
    if isinstance(found, OrderRecord):
        return (await _algos_of(call, [found]))[0]
    pos = await conditional_position(call, found)
    if pos is None:
        ended = await ended_conditional(call, found)
        if ended is None:
            raise no_such_order()
        return orders.algo_of_conditional(ended)
    _, kind = orders.conditional_of(found) or ("", 0)
    return orders.algo_of_position(pos, kind)


@endpoint(1, signed=TRADE)
async def cancel_algo_order(call: Call) -> Any:
    user_id, account_id = account_within_order_rate(call)
    found = await find_order(call, "algoId", "clientAlgoId", "STOP", cancelling=True)
    service = call.app[SERVICE]
    if isinstance(found, OrderRecord):
        if found.status != "PENDING":
            raise unknown_order()
        command: Any = CancelOrder(user_id, found.order_id, service.clock(), account_id=account_id)
        algo_id, client = int(found.order_id), found.client_order_id
    else:
        pos = await conditional_position(call, found)
        if pos is None:
            raise unknown_order()
        _, kind = orders.conditional_of(found) or ("", 0)
        command = clear_stop(user_id, pos.order_id, kind, service.clock(), account_id)
        algo_id, client = found, orders.algo_of_position(pos, kind)["clientAlgoId"]
    outcome = await service.submit(command)
    if outcome.refusal is not None:
        raise refused(outcome.refusal)
    return {"algoId": algo_id, "clientAlgoId": client or f"velox-{algo_id}", "code": "200",
            "msg": "success"}  # fmt: skip


@endpoint(lambda p: 1 if p.get("symbol") else 40, signed=READ)
async def open_algo_orders(call: Call) -> Any:
    symbol = call.params.symbol(call.app[SETTINGS].symbols, required=False)
    return await open_orders_of(call, symbol, algo=True)


@endpoint(5, signed=READ)
async def all_algo_orders(call: Call) -> Any:
    """The symbol's algo orders (resting stops), paged as ``allOrders``: from ``algoId``,
    or the oldest ``limit`` of ``startTime``/``endTime``, else the newest; oldest first."""
    symbol = call.params.symbol(call.app[SETTINGS].symbols)
    assert symbol is not None
    page = call.params.page("algoId")
    records = await call.app[STORE].orders_for_asset(
        call.credential.account_id, symbol, page.start, page.end, page.limit,
        from_id=page.from_id, oldest_first=page.forward, order_type="STOP",
    )  # fmt: skip
    return await _algos_of(call, records if page.forward else records[::-1])


async def _algos_of(call: Call, records: list[OrderRecord]) -> list[dict[str, Any]]:
    """STOP entries as algo orders, with what the fired ones executed (their fills)."""
    # a stop entry that fired is FILLED, or OPEN when it opened a position (or flipped one)
    fired = [r.order_id for r in records if r.status in ("FILLED", "OPEN")]
    fills = await call.app[STORE].fills_of_orders(fired) if fired else []
    return [orders.algo_of_record(r, fills) for r in records]
