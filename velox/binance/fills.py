"""An account's trades and income on the Binance API: ``GET /fapi/v1/userTrades`` (paged
from ``fromId``, or one order's with ``orderId``) and ``GET /fapi/v1/income``.

A fill is shown under the order Binance would name: its own, a fired stop's conditional
order, or the order of a close Velox made itself (``orders.shown_order_id``, ``closes.py``).

Income pages as Binance's: from ``startTime``, the oldest ``limit`` entries of the window,
oldest first, so a client pages forward by asking again from the last entry's time; without
it, the newest ``limit`` entries up to ``endTime`` (or now), oldest first. Entries come from
two tables: a fill gives a REALIZED_PNL entry (if it closed something) and a COMMISSION
entry (if it paid a fee), so zero, one or two each; a funding charge gives one FUNDING_FEE
entry.
"""

from __future__ import annotations

from typing import Any

from velox.binance import orders
from velox.binance.endpoint import Call, endpoint
from velox.binance.keyring import READ
from velox.store.base import Store
from velox.store.records import FillRecord
from velox.web.keys import SETTINGS, STORE

Json = dict[str, Any]
PAGE = 1000  # fills per read
KINDS = ("REALIZED_PNL", "COMMISSION", "FUNDING_FEE")  # the incomes Velox has


@endpoint(5, signed=READ)
async def user_trades(call: Call) -> Any:
    """The fills on the symbol, paged as Binance's (``Params.page``: from ``fromId``)."""
    symbol = call.params.symbol(call.app[SETTINGS].symbols)
    order_id = call.params.optional_int("orderId", 1, 2**62)
    if order_id is not None:
        return await _trades_of_order(call, symbol, order_id)
    page = call.params.page("fromId")
    fills = await call.app[STORE].fills_for_account(
        call.credential.account_id, symbol, page.start, page.end, page.limit,
        from_id=page.from_id, oldest_first=page.forward,
    )  # fmt: skip
    shown = await shown_order_ids(call.app[STORE], fills)
    return [orders.trade_json(f, shown[f.fill_id])
            for f in (fills if page.forward else fills[::-1])]  # fmt: skip


async def _trades_of_order(call: Call, symbol: str | None, order_id: int) -> Any:
    """``orderId``: that order's trades only, as Binance lists them, the order named as
    ``userTrades`` shows it (a stop's close under the stop's own id)."""
    found = orders.position_order(order_id)  # a stop's or Velox's close: the position's
    own = str(order_id) if found is None else found[0]
    fills = [f for f in await call.app[STORE].fills_of_orders([own])
             if f.account_id == call.credential.account_id and f.asset == symbol]  # fmt: skip
    shown = await shown_order_ids(call.app[STORE], fills)
    mine = sorted((f for f in fills if shown[f.fill_id] == order_id),
                  key=lambda f: (f.time, len(f.fill_id), f.fill_id))  # fmt: skip
    limit = call.params.optional_int("limit", 1, 1000) or 500
    return [orders.trade_json(f, order_id) for f in mine[:limit]]


async def shown_order_ids(store: Store, fills: list[FillRecord]) -> dict[str, int]:
    """Fill id -> the order it is shown under (``orders.shown_order_id``: a stop's close is
    that stop's), reading the closed orders of the fills that may be one."""
    own = sorted({f.order_id for f in fills if f.order_id == f.position_id})
    closed = {rec.order_id: rec for rec in await store.closed_orders_of(own)}
    return {f.fill_id: orders.shown_order_id(f, closed) for f in fills}


@endpoint(30, signed=READ)
async def income(call: Call) -> Any:
    """The account's entries, paged as Binance's (the module doc)."""
    symbol = call.params.symbol(call.app[SETTINGS].symbols, required=False)
    kind = call.params.get("incomeType")
    limit = call.params.optional_int("limit", 1, 1000) or 100
    start, end = call.params.window()
    return await income_page(call.app[STORE], call.credential.account_id, symbol, kind, start,
                             end, limit)  # fmt: skip


async def income_page(
    store: Store, account_id: str, symbol: str | None, kind: str | None,
    start: int | None, end: int | None, limit: int,
) -> list[Json]:  # fmt: skip
    """The entries of the page (see the module doc): each source is read, in the page's
    direction, until it holds ``limit`` entries of the kind asked for or has none left;
    then every entry of the true page is among them, and the merge cuts it exactly."""
    if kind is not None and kind not in KINDS:
        return []  # Binance's other kinds (TRANSFER, ...): Velox has none
    forward = start is not None
    rows: list[Json] = []
    if kind != "FUNDING_FEE":
        rows += await _fill_entries(store, account_id, symbol, kind, start, end, limit)
    if kind in (None, "FUNDING_FEE"):
        charges = await store.funding_for_account(
            account_id, symbol, start, end, limit, oldest_first=forward
        )
        rows += [orders.funding_income(c) for c in (charges if forward else charges[::-1])]
    rows.sort(key=lambda r: r["time"])  # stable: each kind keeps its own order within a time
    return rows[:limit] if forward else rows[-limit:]


async def _fill_entries(
    store: Store, account_id: str, symbol: str | None, kind: str | None,
    start: int | None, end: int | None, limit: int,
) -> list[Json]:  # fmt: skip
    """At least ``limit`` entries of ``kind`` from the fills (all there are, if fewer), in
    time order, from ``start`` forward or from ``end`` back. The store returns only fills
    with such an entry, so one page of ``PAGE`` >= ``limit`` is nearly always enough. Pages
    move by time and skip the fills already read, as fills of one millisecond may straddle
    two pages."""
    forward = start is not None
    seen: set[str] = set()
    entries: list[Json] = []  # in the page's direction
    while len(entries) < limit:
        page = await store.fills_for_account(
            account_id, symbol, start, end, PAGE, oldest_first=forward, incomes=kind or "ANY"
        )
        fresh = [f for f in page if f.fill_id not in seen]
        if not fresh:
            break
        seen.update(f.fill_id for f in fresh)
        shown = await shown_order_ids(store, fresh)
        for fill in fresh:
            made = orders.incomes(fill, shown[fill.fill_id])
            entries += [e for e in (made if forward else made[::-1])
                        if kind is None or e["incomeType"] == kind]  # fmt: skip
        if len(page) < PAGE:
            break
        if forward:
            start = page[-1].time
        else:
            end = page[-1].time
    return entries if forward else entries[::-1]
