"""Binance trading endpoints on a NETTING account: order POST/GET/DELETE, open and all orders
and cancel-all (its trades and income: ``fills.py``).

Each request becomes the same engine command the native API sends (``OpenPosition``,
``CancelOrder``, ``ModifyPosition``), so the numbers cannot differ; the answer is read back
from the rows that command's commit wrote. Binance's order kinds map onto Velox's:

- ``MARKET`` -> MARKET; ``LIMIT`` (GTC, or GTD with ``goodTillDate``) -> LIMIT at ``price``;
  ``STOP_MARKET`` -> a STOP entry at ``stopPrice``; BUY is LONG, SELL is SHORT, and on a
  NETTING account an opposite order reduces (``reduceOnly`` caps it at the position);
- ``STOP_MARKET`` / ``TAKE_PROFIT_MARKET`` with ``closePosition=true`` set the position's
  stop-loss / take-profit, listed as open conditional orders until they fire or are cancelled;
- ``TRAILING_STOP_MARKET`` with ``callbackRate`` (0.1 to 10 %) sets a trailing stop of that
  share of the current quote, listed and cancelled as a conditional order like those;
  one that fires is the order that executed the close, listed by ``allOrders`` FILLED.

The leverage is the symbol's (``POST /fapi/v1/leverage``). A key trades only its own
NETTING account: a HEDGING account's key is refused (-2015) as a key without permission.
Engine refusals leave as Binance's codes (-2019 margin insufficient, -2021 would
immediately trigger, -2022 reduce-only rejected, -4164 notional too small, -2011/-2013
unknown order, ...).
"""

from __future__ import annotations

import asyncio
from typing import Any

from velox.binance import orders
from velox.binance.algo import ended_conditionals, first_order_id, paged
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
    live_stop,
    open_orders_of,
    open_stops,
    refused,
    shown_order,
    shown_stop,
    velox_close,
)
from velox.engine.commands import FOK, GTC, GTX, IOC, CancelOrder, OpenPosition
from velox.engine.engine import Outcome
from velox.engine.events import (
    OrderCancelled,
    OrderPlaced,
    PositionClosed,
    PositionIncreased,
    PositionOpened,
    PositionPartiallyClosed,
)
from velox.projection import writes_of
from velox.store.records import FillRecord, OrderRecord, StopRecord
from velox.web.keys import SERVICE, SETTINGS, STORE

CANCEL_BATCH = 100  # cancel commands in flight at once (the engine commits them together)
CANCEL_ROUNDS = 3  # reads of what still rests (orders placed meanwhile) before giving up

Json = dict[str, Any]
GTD_MIN_AHEAD_MS = 600_000
# Binance's timeInForce values a LIMIT takes (GTD: GTC with goodTillDate)
TIMES_IN_FORCE = (GTC, IOC, FOK, GTX, "GTD")
GTD_MAX = 253_402_300_799_000  # 9999-12-31T23:59:59Z


def _bool(call: Call, name: str) -> bool:
    return call.params.choice(name, ("true", "false"), "false") == "true"


def _order_id_of(outcome: Outcome) -> str | None:
    if outcome.existing is not None:
        return outcome.existing
    for event in outcome.events:
        if isinstance(event, OrderPlaced | OrderCancelled | PositionIncreased):
            return event.order_id
        if isinstance(event, PositionClosed | PositionPartiallyClosed) and event.by_order_id:
            return event.by_order_id
        if isinstance(event, PositionOpened):
            return event.order_id
    return None


@endpoint(0, signed=TRADE)
async def new_order(call: Call) -> Any:
    return await place(call)


async def place(call: Call) -> Any:
    """``POST /fapi/v1/order``'s work, also each order of a batch (``batch.py``)."""
    user_id, account_id = account_within_order_rate(call)
    params, settings = call.params, call.app[SETTINGS]
    symbol = params.symbol(settings.symbols)
    assert symbol is not None
    side = params.choice("side", ("BUY", "SELL"))
    params.choice("positionSide", ("BOTH",), "BOTH")
    kind = params.choice("type", ("MARKET", "LIMIT", "STOP_MARKET", "TAKE_PROFIT_MARKET",
                                  "TRAILING_STOP_MARKET"))  # fmt: skip
    if _bool(call, "closePosition") or kind in ("TAKE_PROFIT_MARKET", "TRAILING_STOP_MARKET"):
        return await _set_stop(call, user_id, account_id, symbol, side, kind)
    client = client_id(call, "newClientOrderId")
    qty = params.optional_units("quantity")
    if not qty:
        raise mandatory("quantity")
    check_max_qty(qty)
    price, expires, tif = None, None, GTC
    if kind == "LIMIT":
        price = params.optional_units("price")
        if not price:
            raise mandatory("price")
        tif = params.choice("timeInForce", TIMES_IN_FORCE)  # no default: -1102, as Binance
        if tif == "GTD":
            expires, tif = _good_till_date(call), GTC
    elif kind == "STOP_MARKET":
        price = params.optional_units("stopPrice")
        if not price:
            raise mandatory("stopPrice")
    service = call.app[SERVICE]
    command = OpenPosition(
        user_id=user_id, asset=symbol, side="LONG" if side == "BUY" else "SHORT",
        leverage=await leverage_for(call, symbol), ts=service.clock(), qty=qty,
        account_id=account_id, order_type={"STOP_MARKET": "STOP"}.get(kind, kind),
        price=price, expires_at=expires, client_order_id=client,
        reduce_only=_bool(call, "reduceOnly"),
        client_id_reusable=True,  # unique among resting orders, as on Binance
        time_in_force=tif,
    )  # fmt: skip
    outcome = await service.submit(command)
    if outcome.refusal is not None:
        raise refused(outcome.refusal)
    order_id = _order_id_of(outcome)
    if outcome.existing is not None or order_id is None:  # pragma: no cover - reusable ids
        record = None if order_id is None else await call.app[STORE].order(order_id)
        if record is None:  # pragma: no cover - the commit wrote it
            raise BinanceError(-1001, "Internal error; unable to process your request.")
        return await shown_order(call, record)
    return _from_commit(outcome, order_id)  # its time in force too, as its rows keep it


def _good_till_date(call: Call) -> int:
    """A GTD order's ``goodTillDate``: Binance wants it over 600 s ahead (-5040), which
    also keeps it clear of the engine's own "in the future" check."""
    when = call.params.required_int("goodTillDate")
    if not call.app[SERVICE].clock() + GTD_MIN_AHEAD_MS < when < GTD_MAX:
        raise BinanceError(-5040, "The goodTillDate timestamp must be greater than the current "
                                  f"time plus 600 seconds and smaller than {GTD_MAX}")  # fmt: skip
    return when


def _from_commit(outcome: Outcome, order_id: str) -> Json:
    """The order as its own commit wrote it (the projection's rows, without reading them
    back: a store read per order, and the fills of every earlier one, cost more than the
    rest of the request)."""
    writes = [w for event in outcome.events for w in writes_of(event)]
    records = [w.record for w in writes if w.kind in ("order", "order_status")
               and isinstance(w.record, OrderRecord) and w.record.order_id == order_id]  # fmt: skip
    fills = [w.record for w in writes if isinstance(w.record, FillRecord)]
    return orders.order_json(records[-1], fills)


async def _set_stop(
    call: Call, user_id: str, account_id: str, symbol: str, side: str, kind: str
) -> Json:
    pos, kind_id, ts = await apply_stop(call, user_id, account_id, symbol, side, kind)
    return orders.with_times(orders.conditional_json(pos, kind_id), ts, ts)


@endpoint(1, signed=READ)
async def query_order(call: Call) -> Any:
    return await _queried(call)


@endpoint(1, signed=READ)
async def query_open_order(call: Call) -> Any:
    """``GET /fapi/v1/openOrder``: an order still open; one that has ended is -2013 "Order
    does not exist.", as Binance answers."""
    found = await _queried(call)
    if found.get("status", found.get("algoStatus")) not in ("NEW", "PARTIALLY_FILLED"):
        raise no_such_order()
    return found


async def _queried(call: Call) -> Any:
    symbol = call.params.symbol(call.app[SETTINGS].symbols)
    found = await find_order(call, "orderId", "origClientOrderId", symbol=symbol, closes=True)
    if isinstance(found, StopRecord):
        return await shown_stop(call, found, algo=False)
    if isinstance(found, int) and orders.conditional_of(found) is None:  # Velox's own close
        close = await velox_close(call, found, symbol)
        if close is None:
            raise no_such_order()
        return close
    if isinstance(found, int):
        pos = await conditional_position(call, found, symbol)
        if pos is None:
            ended = await ended_conditional(call, found, symbol)
            if ended is None:
                raise no_such_order()
            return ended
        _, kind = orders.conditional_of(found) or ("", 0)
        return orders.conditional_json(pos, kind)
    return await shown_order(call, found)


@endpoint(1, signed=TRADE)
async def cancel_order(call: Call) -> Any:
    return await cancel(call)


async def cancel(call: Call) -> Any:
    """``DELETE /fapi/v1/order``'s work, also each cancel of a batch (``batch.py``)."""
    user_id, account_id = account_within_order_rate(call)
    symbol = call.params.symbol(call.app[SETTINGS].symbols)
    found = await find_order(call, "orderId", "origClientOrderId", symbol=symbol,
                             cancelling=True)  # fmt: skip
    service = call.app[SERVICE]
    if isinstance(found, StopRecord):
        held = await live_stop(call, found)
        if held is None:  # cancelled, or ended with its position
            raise unknown_order()
        command = clear_stop(user_id, held.order_id, found.kind, service.clock(), account_id)
        outcome = await service.submit(command)
        if outcome.refusal is not None:
            raise refused(outcome.refusal)
        shown = orders.conditional_json(held, found.kind, status="CANCELED")
        return orders.with_times(shown, found.created_at, command.ts)
    if isinstance(found, int):
        pos = await conditional_position(call, found, symbol)
        if pos is None:
            raise unknown_order()
        _, kind = orders.conditional_of(found) or ("", 0)
        outcome = await service.submit(
            clear_stop(user_id, pos.order_id, kind, service.clock(), account_id)
        )
        if outcome.refusal is not None:
            raise refused(outcome.refusal)
        return orders.conditional_json(pos, kind, status="CANCELED")
    if found.status != "PENDING":
        raise unknown_order()
    outcome = await service.submit(
        CancelOrder(user_id, found.order_id, service.clock(), account_id=account_id)
    )
    if outcome.refusal is not None:
        raise refused(outcome.refusal)
    record = await call.app[STORE].order(found.order_id)
    assert record is not None
    return await shown_order(call, record)


@endpoint(lambda p: 1 if p.get("symbol") else 40, signed=READ)
async def open_orders(call: Call) -> Any:
    symbol = call.params.symbol(call.app[SETTINGS].symbols, required=False)
    return await open_orders_of(call, symbol, algo=False)


@endpoint(1, signed=TRADE)
async def cancel_all(call: Call) -> Any:
    """``DELETE /fapi/v1/allOpenOrders``: the symbol's resting orders and algo orders."""
    return await _cancel_open(call, regular=True)


@endpoint(1, signed=TRADE)
async def cancel_all_algo(call: Call) -> Any:
    """``DELETE /fapi/v1/algoOpenOrders`` (ccxt's ``cancel_all_orders`` with ``trigger``):
    the symbol's algo orders only."""
    return await _cancel_open(call, regular=False)


async def _cancel_open(call: Call, *, regular: bool) -> Any:
    """Cancel every resting order (and algo order) of the symbol, ``CANCEL_BATCH`` commands
    at a time, and read again until none is left: success only once the symbol has none."""
    user_id, account_id = account_within_order_rate(call)
    symbol = call.params.symbol(call.app[SETTINGS].symbols)
    service = call.app[SERVICE]

    stops: dict[str, tuple[str, int]] = {}  # a stop's algo id -> (position, kind)

    def command(order_id: str) -> Any:
        found = stops.get(order_id)
        if found is None:
            return CancelOrder(user_id, order_id, service.clock(), account_id=account_id)
        return clear_stop(user_id, found[0], found[1], service.clock(), account_id)

    for _ in range(CANCEL_ROUNDS):
        stops.update(await open_stops(call, symbol or ""))
        ids = [str(o["algoId"]) for o in await open_orders_of(call, symbol, algo=True)]
        if regular:
            ids += [str(o["orderId"]) for o in await open_orders_of(call, symbol, algo=False)]
        if not ids:
            return {"code": 200, "msg": "The operation of cancel all open order is done."}
        for start in range(0, len(ids), CANCEL_BATCH):
            # one already gone (filled meanwhile) is no error
            await asyncio.gather(
                *(service.submit(command(i)) for i in ids[start : start + CANCEL_BATCH])
            )
    raise BinanceError(-1000, "Open orders remain after cancelling; try again.")


@endpoint(5, signed=READ)
async def all_orders(call: Call) -> Any:
    """Every order on the symbol, paged as Binance's (``Params.page``: from ``orderId``):
    the account's orders, and the positions' stops that fired (the order that executed, as
    ``GET /fapi/v1/order`` shows it: FILLED, its ``time`` the position's open; by id, after
    the position's opening order: ``algo.order_key``), whose fills ``userTrades`` lists
    under their ids."""
    symbol = call.params.symbol(call.app[SETTINGS].symbols)
    assert symbol is not None
    page = call.params.page("orderId")
    records = await call.app[STORE].orders_for_asset(
        call.credential.account_id, symbol, page.start, page.end, page.limit,
        from_id=first_order_id(page), oldest_first=page.forward,
    )  # fmt: skip
    fills = await call.app[STORE].fills_of_orders([r.order_id for r in records])
    shown = [orders.order_json(r, fills) for r in records]
    fired = await ended_conditionals(call, symbol, page, shown, "orderId", "time",
                                     fired_only=True)  # fmt: skip
    return paged([*shown, *fired], page, "orderId", "time")
