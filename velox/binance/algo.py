"""Binance's Algo Order API (``/fapi/v1/algoOrder``, ``openAlgoOrders``, ``allAlgoOrders``):
where Binance takes conditional orders (``algoType=CONDITIONAL``), and so where ccxt sends
stop-market entries, stop-losses and take-profits.

- ``STOP_MARKET`` with a ``quantity``: a Velox STOP entry at ``triggerPrice`` (its algo id is
  the Velox order id);
- ``STOP_MARKET`` / ``TAKE_PROFIT_MARKET`` with ``closePosition=true``, and
  ``TRAILING_STOP_MARKET``: the position's stop-loss, take-profit or trailing stop (see
  ``trading.apply_stop``), each placement with an id of its own and the ``clientAlgoId`` it
  was sent with, listed while set, then as it ended: CANCELED, or with the position (the
  one that fired FINISHED, the others EXPIRED); ``allAlgoOrders`` lists them all.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from velox.binance import orders
from velox.binance.endpoint import Call, endpoint
from velox.binance.errors import BinanceError, mandatory, no_such_order, unknown_order
from velox.binance.keyring import READ, TRADE
from velox.binance.params import Page
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
    position_stops,
    refused,
    shown_stop,
)
from velox.engine.commands import CancelOrder, OpenPosition
from velox.engine.events import OrderCancelled, OrderPlaced
from velox.store.records import ClosedOrderRecord, OrderRecord, StopRecord
from velox.web.keys import SERVICE, SETTINGS, STORE

Json = dict[str, Any]
SCAN = 500  # closed positions read at a time (``ended_conditionals``)


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
        pos, kind_id, ts = await apply_stop(call, user_id, account_id, symbol, side, kind,
                                            trigger="triggerPrice",
                                            client_param="clientAlgoId")  # fmt: skip
        return orders.with_times(orders.algo_of_position(pos, kind_id), ts, ts)
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
    if isinstance(found, StopRecord):
        return await shown_stop(call, found, algo=True)
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
    elif isinstance(found, StopRecord):
        pos = await live_stop(call, found)
        if pos is None:  # cancelled, or ended with its position
            raise unknown_order()
        command = clear_stop(user_id, pos.order_id, found.kind, service.clock(), account_id)
        shown = orders.algo_of_position(pos, found.kind)
        algo_id, client = shown["algoId"], shown["clientAlgoId"]
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
    """The symbol's algo orders, open and ended, as ``algoOrder`` shows each: STOP entries
    (their rows), the positions' stops (their rows, ``stop_orders``: CANCELED, FINISHED,
    EXPIRED; the open ones as the engine holds them, as ``openAlgoOrders``) and those of
    positions closed before stops had rows (``ended_conditionals``), paged as ``allOrders``
    (``paged``): from ``algoId`` (``order_key``: stops and entries by their ids, a stop with
    an id derived from its position's after the position's opening order), or the oldest
    ``limit`` of ``startTime``/``endTime``, else the newest; oldest first."""
    symbol = call.params.symbol(call.app[SETTINGS].symbols)
    assert symbol is not None
    page = call.params.page("algoId")
    records = await call.app[STORE].orders_for_asset(
        call.credential.account_id, symbol, page.start, page.end, page.limit,
        from_id=first_order_id(page), oldest_first=page.forward, order_type="STOP",
    )  # fmt: skip
    stops = await call.app[STORE].stops_for_asset(
        call.credential.account_id, symbol, page.start, page.end, page.limit,
        from_id=first_order_id(page), oldest_first=page.forward,
    )  # fmt: skip
    open_now = await position_stops(call, symbol)
    entries = await _algos_of(call, records)
    placed = [orders.algo_of_stop(r) for r in stops]
    ended = await ended_conditionals(call, symbol, page, [*entries, *placed], "algoId",
                                     "createTime", fired_only=False)  # fmt: skip
    ended = await _without_rows(call, ended)
    # by id, the last wins: an open stop as its position holds it now
    shown = [*entries, *(orders.algo_of_conditional(o) for o in ended), *placed, *open_now]
    return paged(shown, page, "algoId", "createTime")


async def _without_rows(call: Call, ended: list[Json]) -> list[Json]:
    """The closed positions' stops (``ended_conditionals``) that have no row of their own
    (``stop_orders``: set before stops had rows); a stop with a row is that row's."""
    positions = {orders.position_order(o["orderId"]) or ("", 0) for o in ended}
    rows = await call.app[STORE].stops_of_positions(sorted({p for p, _ in positions}))
    kept = {(r.position_id, r.kind) for r in rows}
    return [o for o in ended if orders.position_order(o["orderId"]) not in kept]


def paged(rows: list[Json], page: Page, id_key: str, time_key: str) -> list[Json]:
    """``page`` of ``rows`` (orders of several kinds, each kind read for it): by id from
    ``from_id`` on (``order_key``), else by time (ties: by id) within the window; the first
    ``limit`` when paging forward, else the last; oldest first."""
    by_id = {row[id_key]: row for row in rows}
    least = None if page.from_id is None else order_key(page.from_id, start=True)
    mine = [
        row for row in by_id.values()
        if (least is None or order_key(row[id_key]) >= least)
        and (page.start is None or row[time_key] >= page.start)
        and (page.end is None or row[time_key] <= page.end)
    ]  # fmt: skip
    if least is not None:
        mine.sort(key=lambda row: order_key(row[id_key]))
    else:
        mine.sort(key=lambda row: (row[time_key], order_key(row[id_key])))
    return mine[: page.limit] if page.forward else mine[-page.limit :]


def order_key(order_id: int, *, start: bool = False) -> tuple[int, int, int]:
    """Where an order comes in a list by id: an order, and a stop with an id of its own (an
    order id), at its id; an id of ``orders.conditional_id``'s space (larger than any
    order's: a stop set with its position, the order a fired stop placed) after the order
    that opened the position and before the next order id, as its ``time`` is the
    position's open. ``start``: where a page from ``order_id`` starts (an order's own
    place, with the stops before it), so that a bot asking again from the last id it was
    given + 1 meets every order once (after a trailing stop, kind 3, comes the id of kind
    0: the next order's place)."""
    found = orders.position_order(order_id)
    if found is None:
        return order_id, 0 if start else 1, 0
    position, kind = found
    if kind == orders.CLOSE:  # no order's id here: the place after the stops before it
        return int(position), 0, len(orders.KINDS) + 1
    return int(position) + 1, 0, kind


def first_order_id(page: Page) -> int | None:
    """The least order id (of the account's order rows) a page by id can hold."""
    if page.from_id is None:
        return None
    return order_key(page.from_id, start=True)[0]


async def ended_conditionals(
    call: Call, symbol: str, page: Page, others: list[Json], id_key: str, time_key: str, *,
    fired_only: bool,
) -> list[Json]:  # fmt: skip
    """The stops of the account's closed positions on ``symbol`` as ``GET /fapi/v1/order``
    shows them (``orders.ended_conditional_json``: FILLED, EXPIRED; ``fired_only``: the
    FILLED alone), at least those that ``paged`` can take into ``page`` beside ``others``
    (the page's orders of other kinds, shown): each shows the position's open as its
    ``time``, and comes after the position's opening order by id (``order_key``)."""
    bound = None  # past this time, or position id, none could make the page
    if len(others) >= page.limit:
        if page.from_id is not None:
            bound = max(order_key(row[id_key])[0] for row in others)
        else:
            times = [row[time_key] for row in others]
            bound = max(times) if page.forward else min(times)
    least = None if page.from_id is None else order_key(page.from_id, start=True)
    out: list[Json] = []
    async for rec in _closed_positions(call, symbol, page, bound):
        for kind in orders.KINDS:
            shown = orders.ended_conditional_json(rec, kind)
            if shown is None or (fired_only and shown["status"] != "FILLED"):
                continue
            if least is None or order_key(shown["orderId"]) >= least:
                out.append(shown)
        if len(out) >= page.limit:
            break
    return out


async def _closed_positions(
    call: Call, symbol: str, page: Page, bound: int | None
) -> AsyncIterator[ClosedOrderRecord]:
    """The account's closed positions on ``symbol`` in the page's order, ``SCAN`` rows read
    at a time. From an id (``from_id``): by position id, from the order rows of the
    positions' opening orders (a position's id is its opening order's; ids grow with
    ``created_at``). Else by time: a symbol's positions on a NETTING account follow one
    another, so they closed in the order they opened, and are read by their close from the
    window's start (a position closes after it opens), or from the newest; up to the
    window's end or ``bound`` (the latest open, paging forward; the earliest, back; by
    id, the last position)."""
    key, store = call.credential, call.app[STORE]
    if page.from_id is not None:
        # the first position whose stops may come: the one before the first order id
        at = max(order_key(page.from_id, start=True)[0] - 1, 0)
        while bound is None or at <= bound:
            rows = await store.orders_for_asset(key.account_id, symbol, None, None, SCAN,
                                                from_id=at, oldest_first=True)  # fmt: skip
            opened = [r.order_id for r in rows if r.status == "OPEN"
                      and (bound is None or int(r.order_id) <= bound)]  # fmt: skip
            closed = await store.closed_orders_of(opened) if opened else []
            for rec in sorted(closed, key=lambda rec: int(rec.order_id)):
                yield rec
            if len(rows) < SCAN:
                return
            at = max(int(r.order_id) for r in rows) + 1
        return
    ends = [t for t in (page.end, bound) if t is not None]
    latest = min(ends) if ends else None
    after: tuple[int, str] | None = None
    while True:
        found = await store.closed_orders_page(
            key.user_id, key.account_id, False, SCAN, asset=symbol, start=page.start,
            after=after, oldest_first=page.forward,
        )  # fmt: skip
        for rec in found:
            if page.forward and latest is not None and rec.opened_at > latest:
                return  # every later one opened later still
            if not page.forward and bound is not None and rec.closed_at < bound:
                return  # opened before it closed: earlier than all of the others
            if rec.parent_order_id is None:  # a partial close's part has no stops of its own
                yield rec
        if len(found) < SCAN:
            return
        after = (found[-1].closed_at, found[-1].order_id)


async def _algos_of(call: Call, records: list[OrderRecord]) -> list[dict[str, Any]]:
    """STOP entries as algo orders, with what the fired ones executed (their fills)."""
    # a stop entry that fired is FILLED, or OPEN when it opened a position (or flipped one)
    fired = [r.order_id for r in records if r.status in ("FILLED", "OPEN")]
    fills = await call.app[STORE].fills_of_orders(fired) if fired else []
    return [orders.algo_of_record(r, fills) for r in records]
