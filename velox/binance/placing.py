"""What the Binance order endpoints share (``trading``, ``algo``): the account a key may
trade, the symbol's leverage, the position on a symbol, stops set through the position,
the open orders of both kinds, and engine refusals as Binance's codes.
"""

from __future__ import annotations

import math
from dataclasses import replace
from typing import Any

from velox.binance import orders
from velox.binance.closes import close_json, closed_by_client_id, closed_by_velox, closing_position
from velox.binance.endpoint import Call
from velox.binance.errors import BinanceError, invalid, mandatory, no_such_order, unknown_order
from velox.binance.keys import KEYRING, TERMS
from velox.binance.shapes import MAX_QTY
from velox.engine.checks import BINANCE_CLIENT_ID
from velox.engine.commands import KEEP, ModifyPosition
from velox.engine.engine import Engine
from velox.engine.errors import Code, Refusal
from velox.engine.views import open_positions, pending_orders
from velox.money import format_units, mul_floor
from velox.store.records import OrderRecord, StopRecord
from velox.web.keys import ORDER_LIMIT, SERVICE, STORE

Json = dict[str, Any]
REFUSALS: dict[Code, tuple[int, str]] = {
    Code.INSUFFICIENT_BALANCE: (-2019, "Margin is insufficient."),
    Code.MARGIN_TOO_SMALL: (-4164, "Order's notional must be no smaller than the minimum."),
    Code.WOULD_TRIGGER_IMMEDIATELY: (-2021, "Order would immediately trigger."),
    Code.INVALID_STOP_LOSS: (-2021, "Order would immediately trigger."),
    Code.INVALID_TAKE_PROFIT: (-2021, "Order would immediately trigger."),
    Code.REDUCE_ONLY_REJECTED: (-2022, "ReduceOnly Order is rejected."),
    Code.LEVERAGE_MISMATCH: (-4161, "Leverage reduction is not supported in Isolated "
                                    "Margin Mode with open positions."),
    Code.TOO_MANY_POSITIONS: (-2027, "Exceeded the maximum allowable position at current "
                                     "leverage."),
    Code.ORDER_NOT_PENDING: (-2011, "Unknown order sent."),
    Code.DUPLICATE_CLIENT_ORDER_ID: (-4116, "ClientOrderId is duplicated."),
    Code.WOULD_NOT_FILL: (-5021, "Due to the order could not be filled immediately, the FOK "
                                 "order has been rejected. The order will not be recorded in "
                                 "the order history"),
    Code.WOULD_TAKE: (-5022, "Due to the order could not be executed as maker, the Post Only "
                             "order will be rejected. The order will not be recorded in the "
                             "order history"),
    Code.NOT_FOUND: (-2013, "Order does not exist."),
    Code.UNKNOWN_ASSET: (-1121, "Invalid symbol."),
    Code.PRICE_STALE: (-1001, "Internal error; unable to process your request. Please try "
                              "again."),
}  # fmt: skip


# Velox's names of parameters a Binance client sends under another name.
PARAMETERS = {"expiresAt": "goodTillDate", "trailingStop": "callbackRate"}


def check_max_qty(qty: int) -> None:
    """exchangeInfo's LOT_SIZE ceiling, refused as Binance's filter refuses it (-4005), not
    later as a margin the balance cannot hold."""
    if qty > MAX_QTY:
        raise BinanceError(-4005, "Quantity greater than max quantity.")


def refused(refusal: Refusal) -> BinanceError:
    """An engine refusal as Binance's code; one without a code of its own is -1130 naming
    the parameter the client sent."""
    if refusal.code in REFUSALS:
        return BinanceError(*REFUSALS[refusal.code])
    return invalid(PARAMETERS.get(refusal.field or "", refusal.field or "order"))


def client_id(call: Call, name: str) -> str | None:
    """The client order id parameter ``name`` (newClientOrderId, clientAlgoId), if sent:
    -1100 naming it outside Binance's range (``BINANCE_CLIENT_ID``, '/' included, which the
    engine takes from this API's orders)."""
    value = call.params.get(name)
    if value is not None and BINANCE_CLIENT_ID.fullmatch(value) is None:
        raise BinanceError(-1100, f"Illegal characters found in parameter '{name}'; legal "
                                  f"range is '^{BINANCE_CLIENT_ID.pattern}$'.")  # fmt: skip
    return value


def account_within_order_rate(call: Call) -> tuple[str, str]:
    """(user id, account id) of the key of an order-changing endpoint, which has already
    refused a key that may not trade there (``KeyRing.may_trade``: a NETTING account's
    only), once the user's order rate allows it: one budget per user for the native API,
    this one and webhooks (SPEC 10), refused as Binance refuses too many orders (-1015)."""
    key = call.credential
    limit = call.app[ORDER_LIMIT]
    wait = limit.hit(key.user_id)
    if wait is not None:
        raise BinanceError(
            -1015,
            f"Too many new orders; current limit is {limit.limit} orders per SECOND.",
            headers={"Retry-After": str(max(1, math.ceil(wait)))},
        )
    return key.user_id, key.account_id


async def leverage_for(call: Call, symbol: str) -> int:
    """An order's leverage, as ``symbolConfig`` reports the symbol's: the one set for it;
    unset, the open position's (which cannot change while it is open), else the default.
    (The default follows ``--max-leverage``: rev3 raised it between runs, and a bot that had
    never set one was refused -4161 adding to the position opened under the old default.)"""
    key = call.credential
    levels = await call.app[KEYRING].leverages(key.account_id)
    chosen = levels.get(symbol)
    if chosen is not None:
        return chosen
    held = await position_on(call, key.user_id, key.account_id, symbol)
    return held.leverage if held is not None else call.app[TERMS].default_leverage


async def position_on(call: Call, user_id: str, account_id: str, symbol: str) -> Any:
    def view(engine: Engine) -> Any:
        held = [p for p in open_positions(engine, user_id, account_id) if p.asset == symbol]
        return held[0] if held else None

    return await call.app[SERVICE].read(view)


async def apply_stop(
    call: Call, user_id: str, account_id: str, symbol: str, side: str, kind: str,
    trigger: str = "stopPrice", client_param: str = "newClientOrderId",
) -> tuple[Any, int, int]:  # fmt: skip
    """closePosition STOP_MARKET / TAKE_PROFIT_MARKET, or TRAILING_STOP_MARKET: the
    position's stops, through the same command as the native PATCH, the stop placed with
    the client's id (``client_param``: kept, as Binance keeps it). Returns the position as
    the commit left it, which stop was set, and when (the stop's ``createTime``)."""
    client = client_id(call, client_param)
    pos = await position_on(call, user_id, account_id, symbol)
    closing = "SELL" if pos is not None and pos.side == "LONG" else "BUY"
    if pos is None or side != closing:
        raise BinanceError(-2022, "ReduceOnly Order is rejected.")
    if call.params.get("closePosition") != "true":
        _closes_the_whole_position(call, pos.qty, kind)
    held = {"STOP_MARKET": pos.stop_loss, "TAKE_PROFIT_MARKET": pos.take_profit,
            "TRAILING_STOP_MARKET": pos.trailing_stop}.get(kind)  # fmt: skip
    if held is not None:  # as Binance: cancel the one there first (a bot's stop is never
        # replaced behind its back, its order id then naming another stop: rev4)
        raise BinanceError(-4130, "An open stop or take profit order with GTE and "
                                  "closePosition in the direction is existing.")  # fmt: skip
    service = call.app[SERVICE]
    if kind == "TRAILING_STOP_MARKET":
        rate = call.params.optional_units("callbackRate")
        if rate is None or not 10_000_000 <= rate <= 1_000_000_000:  # 0.1 .. 10 (%)
            raise invalid("callbackRate")
        quote = await service.read(lambda engine: engine.quotes.get(symbol))
        if quote is None:
            raise BinanceError(-1001, "Internal error; unable to process your request.")
        distance = mul_floor(quote.bid if pos.side == "LONG" else quote.ask, rate) // 100
        command = ModifyPosition(user_id, pos.order_id, service.clock(),
                                 trailing_stop=distance, account_id=account_id,
                                 client_id=client)  # fmt: skip
        kind_id = orders.TRAILING
    elif kind in ("STOP_MARKET", "TAKE_PROFIT_MARKET"):
        stop = call.params.optional_units(trigger)
        if not stop:
            raise mandatory(trigger)
        loss = kind == "STOP_MARKET"
        command = ModifyPosition(
            user_id, pos.order_id, service.clock(),
            stop_loss=stop if loss else KEEP, take_profit=KEEP if loss else stop,
            account_id=account_id, client_id=client,
        )  # fmt: skip
        kind_id = orders.STOP_LOSS if loss else orders.TAKE_PROFIT
    else:
        raise invalid("closePosition")
    outcome, after = await service.submit_and_read(
        command, lambda engine, _: engine.positions.get(pos.order_id)
    )
    if outcome.refusal is not None:
        raise refused(outcome.refusal)
    return after or pos, kind_id, command.ts


def _closes_the_whole_position(call: Call, held: int, kind: str) -> None:
    """A take-profit or trailing stop sent with a ``quantity`` becomes the position's own,
    which closes all of it: refused unless that is what was asked (the position's quantity,
    or more with ``reduceOnly``), never widened. An ``activationPrice`` (trail only from
    there) is refused too: the position's trailing stop trails from the start."""
    for name in ("activationPrice", "activatePrice"):  # /fapi/v1/order's, the Algo API's
        if call.params.get(name) is not None:
            raise BinanceError(-1106, f"Parameter '{name}' sent when not required: a "
                                      "trailing stop trails from the current price.")  # fmt: skip
    qty = call.params.optional_units("quantity")
    reduce_only = call.params.get("reduceOnly") == "true"
    if qty is None or qty == held or (qty > held and reduce_only):
        return
    raise BinanceError(
        -1106, f"Parameter 'quantity' sent when not required: a {kind} closes the whole "
        f"position ({format_units(held)}); send that quantity or closePosition=true.",
    )  # fmt: skip


async def conditional_position(call: Call, order_id: int, symbol: str | None = None) -> Any:
    """The position whose stop ``order_id`` is, if this account's (and on ``symbol``)."""
    found = orders.conditional_of(order_id)
    assert found is not None
    position_id, kind = found
    key = call.credential

    def view(engine: Engine) -> Any:
        pos = engine.positions.get(position_id)
        if pos is None or getattr(pos, "account_id", None) != key.account_id:
            return None
        if symbol is not None and pos.asset != symbol:
            return None
        return pos if orders.trigger_of(pos, kind) is not None else None

    return await call.app[SERVICE].read(view)


async def live_stop(call: Call, stop: StopRecord) -> Any:
    """The open position whose stop ``stop`` still is (NEW: the engine's, with its trigger
    as it stands now, a trailing stop's moved with its mark), else None."""

    def view(engine: Engine) -> Any:
        pos = engine.positions.get(stop.position_id)
        if pos is None or orders.trigger_of(pos, stop.kind) is None:
            return None
        own = orders.algo_id_of(stop)
        # a copy: the engine changes its own in place (a cancel clears the stop shown)
        return replace(pos) if orders.stop_id(pos, stop.kind) == own else None

    return await call.app[SERVICE].read(view)


async def shown_stop(call: Call, stop: StopRecord, *, algo: bool) -> Json:
    """A stop as ``/fapi/v1/order`` shows it, or (``algo``) ``/fapi/v1/algoOrder``: while
    it is open as its position holds it, else as its row kept it."""
    pos = await live_stop(call, stop)
    if pos is not None:
        if algo:
            shown = orders.algo_of_position(pos, stop.kind)
        else:
            shown = orders.conditional_json(pos, stop.kind)
        return orders.with_times(shown, stop.created_at, stop.updated_at)
    return orders.algo_of_stop(stop) if algo else orders.stop_json(stop)


async def velox_close(call: Call, order_id: int, symbol: str | None) -> Any:
    """The order of a position's close by Velox itself (``closes.py``), or of a native
    partial close's part, if this account's (and on ``symbol``); else None."""
    position_id = closing_position(order_id)
    rec = await call.app[STORE].closed_order(position_id or str(order_id))
    if rec is None or rec.account_id != call.credential.account_id:
        return None
    if symbol is not None and rec.asset != symbol:
        return None
    # a close id names a whole position's close by Velox; a small id, a partial close's part
    shown = closed_by_velox(rec) if position_id is not None else rec.parent_order_id is not None
    return close_json(rec) if shown else None


async def ended_conditional(call: Call, order_id: int, symbol: str | None = None) -> Any:
    """A conditional order whose position has closed (``ended_conditional_json``), if this
    account's (and on ``symbol``): a bot asking after its take-profit learns it FILLED."""
    found = orders.conditional_of(order_id)
    assert found is not None
    position_id, kind = found
    rec = await call.app[STORE].closed_order(position_id)
    if rec is None or rec.account_id != call.credential.account_id:
        return None
    if symbol is not None and rec.asset != symbol:
        return None
    return orders.ended_conditional_json(rec, kind)


def clear_stop(
    user_id: str, position_id: str, kind: int, ts: int, account_id: str
) -> ModifyPosition:
    """The command that cancels a conditional order: it clears that one stop of the
    position, keeping the others."""
    return ModifyPosition(
        user_id, position_id, ts, account_id=account_id,
        stop_loss=None if kind == orders.STOP_LOSS else KEEP,
        take_profit=None if kind == orders.TAKE_PROFIT else KEEP,
        trailing_stop=None if kind == orders.TRAILING else KEEP,
    )  # fmt: skip


async def open_orders_of(call: Call, symbol: str | None, *, algo: bool) -> list[Json]:
    """Open orders: regular ones (pending LIMIT), or ``algo`` ones (pending STOP entries and
    the positions' stop-loss / take-profit / trailing stop), as Binance splits them."""
    key, store = call.credential, call.app[STORE]

    def resting(engine: Engine) -> list[str]:
        # the engine holds every resting order (bounded by --max-open-positions, which may
        # exceed any page size); the store then gives their rows, all of them, by id
        held = pending_orders(engine, key.user_id, key.account_id)
        return [
            p.order_id
            for p in held
            if symbol in (None, p.asset) and (p.order_type == "STOP") == algo
        ]

    ids = await call.app[SERVICE].read(resting)
    rows = await store.orders_by_ids(ids)
    mine = [rows[i] for i in ids if i in rows and rows[i].status == "PENDING"]
    if not algo:
        return [orders.order_json(r, []) for r in sorted(mine, key=lambda r: int(r.order_id))]

    stops = await position_stops(call, symbol)
    shown = [orders.algo_of_record(r) for r in mine] + stops
    return sorted(shown, key=lambda o: o["algoId"])


async def position_stops(call: Call, symbol: str | None) -> list[Json]:
    """The account's open positions' stops (on ``symbol``) as algo orders, each with the
    times its row (``stop_orders``) gives it: when it was placed and last changed."""
    key = call.credential

    def view(engine: Engine) -> list[tuple[str, Json]]:  # with its position's id, for its row
        held = open_positions(engine, key.user_id, key.account_id)
        return [(p.order_id, c) for p in held if symbol in (None, p.asset)
                for c in orders.algos(p)]  # fmt: skip

    held = await call.app[SERVICE].read(view)
    placed = await call.app[STORE].stops_of_positions(sorted({p for p, _ in held}))
    times = {orders.algo_id_of(r): (r.created_at, r.updated_at) for r in placed}
    stops = [stop for _, stop in held]
    for stop in stops:
        if stop["algoId"] in times:
            orders.with_times(stop, *times[stop["algoId"]])
    return stops


async def _stop_named(call: Call, raw: int | None, client: str | None) -> StopRecord | None:
    """The position's stop (its row) that ``raw`` or ``client`` names, if any: by its own id,
    or one derived from its position's; by client id, the newest of the account's, unless an
    order placed later took that id (Binance's API lets an ended order's id be used again)."""
    store, account_id = call.app[STORE], call.credential.account_id
    if raw is None:
        stop = await store.stop_by_client_id(account_id, client or "")
        if stop is None:
            return None
        order = await store.order_by_client_id(account_id, client or "")
        return stop if order is None or order.created_at <= stop.created_at else None
    derived = orders.conditional_of(raw)
    if derived is not None:
        return await store.stop("", *derived)
    # a stop's own id is an order id that no order has (one counter gives both)
    return None if raw >= orders.CONDITIONAL else await store.stop(str(raw))


async def open_stops(call: Call, symbol: str) -> dict[str, tuple[str, int]]:
    """The algo id of each stop of the account's open positions on ``symbol`` -> (position
    id, kind): what cancelling it clears."""
    key = call.credential

    def view(engine: Engine) -> dict[str, tuple[str, int]]:
        held = open_positions(engine, key.user_id, key.account_id)
        return {str(orders.stop_id(p, kind)): (p.order_id, kind) for p in held
                if p.asset == symbol for kind in orders.KINDS
                if orders.trigger_of(p, kind) is not None}  # fmt: skip

    return await call.app[SERVICE].read(view)


async def find_order(
    call: Call, id_param: str, client_param: str, order_type: str | None = None,
    *, symbol: str | None = None, cancelling: bool = False, closes: bool = False,
) -> OrderRecord | StopRecord | int:  # fmt: skip
    """The order named by ``id_param`` or ``client_param``: an order's row, a position's
    stop's (``StopRecord``), or (an int) a conditional order's id with no row, of
    ``order_type`` and on ``symbol`` when given. Not this account's, or on another symbol:
    -2013, or -2011 when ``cancelling`` (Binance answers a cancel of an unknown order so); a
    conditional order's symbol is ``conditional_position``'s to check."""
    store, account_id = call.app[STORE], call.credential.account_id
    raw = call.params.optional_int(id_param, 1, 2**62)
    client = call.params.get(client_param)
    if raw is None and client is None:
        raise BinanceError(-1102, f"Either {id_param} or {client_param} must be sent.")
    stop = await _stop_named(call, raw, client)
    if stop is not None:
        if stop.account_id != account_id or symbol not in (None, stop.asset):
            raise unknown_order() if cancelling else no_such_order()
        return stop
    if raw is not None and orders.conditional_of(raw) is not None:
        return raw  # a stop with no row (set before stops had rows): the position's
    if closes and raw is not None and closing_position(raw) is not None:
        return raw  # a close by Velox itself (``closes.py``): only a query shows one
    record = (
        await store.order(str(raw))
        if raw is not None
        else await store.order_by_client_id(account_id, client or "")
    )
    if record is None and closes and raw is not None:
        part = await store.closed_order(str(raw))
        if part is not None and part.parent_order_id is not None:
            return raw  # a native partial close's part: ``velox_close`` shows it
    if record is None and closes and (position := closed_by_client_id(client or "")):
        return orders.conditional_id(position, orders.CLOSE)  # after the trader's own ids
    if (
        record is None
        or record.account_id != account_id
        or (order_type is not None and record.order_type != order_type)
        or (symbol is not None and record.asset != symbol)
    ):
        raise unknown_order() if cancelling else no_such_order()
    return record


async def shown_order(call: Call, record: OrderRecord) -> Any:
    """``record`` as Binance shows it, its executed quantity from its own fills."""
    return orders.order_json(record, await call.app[STORE].fills_of_orders([record.order_id]))
