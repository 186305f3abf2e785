"""``GET /fapi/v1/income``: an account's realized PnL, commissions and funding, paged as
Binance pages it.

From ``startTime``: the oldest ``limit`` entries of the window, oldest first, so a client
pages forward by asking again from the last entry's time. Without it: the newest ``limit``
entries up to ``endTime`` (or now), oldest first. Entries come from two tables: a fill gives
a REALIZED_PNL entry (if it closed something) and a COMMISSION entry (if it paid a fee), so
zero, one or two each; a funding charge gives one FUNDING_FEE entry. Each source is read, in
the page's direction, until it holds ``limit`` entries of the kind asked for or has none
left; then every entry of the true page is among them, and the merge cuts it exactly.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from velox.binance import orders
from velox.store.base import Store
from velox.store.records import FillRecord

Json = dict[str, Any]
PAGE = 1000  # fills per read
KINDS = ("REALIZED_PNL", "COMMISSION", "FUNDING_FEE")
# fills -> fill id -> the order each is shown under (fills._shown_order_ids)
ShownIds = Callable[[list[FillRecord]], Awaitable[dict[str, int]]]


async def income_page(
    store: Store, shown_ids: ShownIds, account_id: str, symbol: str | None, kind: str | None,
    start: int | None, end: int | None, limit: int,
) -> list[Json]:  # fmt: skip
    if kind is not None and kind not in KINDS:
        return []  # Binance's other kinds (TRANSFER, ...): Velox has none
    forward = start is not None
    rows: list[Json] = []
    if kind != "FUNDING_FEE":
        rows += await _fill_entries(store, shown_ids, account_id, symbol, kind, start, end,
                                    limit)  # fmt: skip
    if kind in (None, "FUNDING_FEE"):
        charges = await store.funding_for_account(
            account_id, symbol, start, end, limit, oldest_first=forward
        )
        rows += [orders.funding_income(c) for c in (charges if forward else charges[::-1])]
    rows.sort(key=lambda r: r["time"])  # stable: each kind keeps its own order within a time
    return rows[:limit] if forward else rows[-limit:]


async def _fill_entries(
    store: Store, shown_ids: ShownIds, account_id: str, symbol: str | None, kind: str | None,
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
        shown = await shown_ids(fresh)
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
