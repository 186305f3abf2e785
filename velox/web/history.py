"""``/api/v1/history/...``: the signed-in trader's closed positions, as JSON, as a streamed
CSV file, and as statistics with an equity curve (statistics in ``history_stats``).

Every view takes the same filter (``asset``, ``startTime`` and ``endTime`` on the close time,
both inclusive), so the CSV a trader downloads holds exactly the rows the statistics were
computed from. The rows are the chosen account's (``X-Velox-Account`` or ``?account=``,
default the user's first), as every native endpoint reads them.

A row's ``result`` (JSON, CSV and statistics alike) is what it did to the trader's cash: its
settlement less everything the trader put in for it. A position takes its margin and the
open fee (and each scale-in's margin and fee) from the free balance, and margin added later;
funding moves its margin but never the free balance; every close pays ``max(0, margin + pnl -
closeFee)`` back. So with ``margin``, ``fee`` and ``funding`` as the row shows them:

- settlement > 0: ``result = pnl - fee + funding``;
- settlement 0 (negative balance protection): ``result = -(margin - funding) - openFees``,
  all it put in, where ``openFees = fee - closeFee`` (``fee`` counts only the part of the
  close fee the settlement covered: the close fill's fee, read from it).

A closed part (partial close, NETTING reduce) shows only its own close fee and no funding:
the row of the rest carries the open fees and all the funding, and its margin is what is
left of the one margin (funding included). Summed, an account's rows are exactly its cash
from trading: with nothing open or pending, ``opening deposit + sum(results) + deposit
adjustments == balance`` to the unit. The adjustments (a reset's top-up or excess) are the
account's ``deposits`` rows (projected from the journal's ``Deposited`` events); they step
the equity curve as flows, not results (``history_stats``).
"""

from __future__ import annotations

import asyncio
import csv
import io
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from datetime import UTC, datetime
from typing import Any, TypeVar

from aiohttp import web

from velox.engine.formulas import LONG
from velox.frozen import frozen
from velox.money import format_optional, format_units
from velox.store.base import Store
from velox.store.records import ClosedOrderRecord, DepositRecord, FillRecord
from velox.web import closed_view, history_curve
from velox.web.accounts import Chosen, reading_account
from velox.web.auth.security import require_session
from velox.web.history_stats import Flow, Stats, Trade, summarize
from velox.web.jsonio import json_response
from velox.web.keys import SERVICE, STORE
from velox.web.market import MAX_TIME_MS
from velox.web.requests import asset_of
from velox.web.validate import query_int

Json = dict[str, Any]
R = TypeVar("R")
PAGE_ROWS = 1000  # rows per store read: the history is walked a page at a time, never capped
INLINE_TRADES = 2_000  # statistics of more trades are computed in a thread (compute_stats)
INSTANT_FILLS = 100_000  # fills read for one asset and instant (a gap's liquidations)
MAX_PAGE = 1000
DEFAULT_PAGE = 500
CSV_COLUMNS = (
    "orderId", "parentOrderId", "asset", "side", "leverage", "qty", "openPrice", "closePrice",
    "margin", "pnl", "fee", "funding", "result", "closeReason", "openedAt", "closedAt",
    "openedTime", "closedTime", "accountId",
)  # fmt: skip


FILL_COLUMNS = (
    "fillId", "orderId", "positionId", "accountId", "asset", "side", "price", "qty", "fee",
    "realizedPnl", "maker", "time", "timeUtc",
)  # fmt: skip


@frozen
class Filter:
    """Which closed positions a history request is about."""

    asset: str | None
    start: int | None
    end: int | None

    def keeps_flow(self, flow: Flow) -> bool:
        """A flow in the time range; none with an asset chosen (a flow is no asset's)."""
        return (
            self.asset is None
            and (self.start is None or flow.time >= self.start)
            and (self.end is None or flow.time <= self.end)
        )


def result_of(rec: ClosedOrderRecord, close_fee: int = 0) -> int:
    """The trader's cash change from this row (module docstring): settlement less all it
    put in. ``close_fee`` matters only for a whole position settled at 0 (``close_fees``)."""
    if rec.settlement > 0:  # settlement = margin + pnl - closeFee exactly
        return rec.pnl - rec.fee + rec.funding
    open_fees = 0 if rec.parent_order_id is not None else rec.fee - close_fee
    return -(rec.margin - rec.funding) - open_fees


async def close_fees(store: Store, records: Sequence[ClosedOrderRecord]) -> dict[str, int]:
    """The close fee of each whole position settled at 0 with fees, from its close fill (the
    row sums open and close fees, and a clamped settlement does not tell them apart). One
    read per asset and instant: a gap liquidates many positions in one tick."""
    clamped = [
        r for r in records
        if r.settlement == 0 and r.parent_order_id is None and r.fee > 0 and r.account_id
    ]  # fmt: skip
    fees: dict[str, int] = {}
    for account, asset, at in sorted({(r.account_id or "", r.asset, r.closed_at) for r in clamped}):
        for fill in await store.fills_for_account(account, asset, at, at, INSTANT_FILLS):
            fees[f"{fill.position_id}/{fill.side}/{fill.qty}/{fill.price}"] = fill.fee
    out: dict[str, int] = {}
    for r in clamped:
        side = "SELL" if r.side == LONG else "BUY"
        # no fill found (none should be missing): count the whole fee as put in
        out[r.order_id] = fees.get(f"{r.order_id}/{side}/{r.qty}/{r.close_price}", 0)
    return out


async def results_of(store: Store, records: Sequence[ClosedOrderRecord]) -> list[int]:
    fees = await close_fees(store, records)
    return [result_of(r, fees.get(r.order_id, 0)) for r in records]


async def deposits_of(
    store: Store, user_id: str, chosen: Chosen, since: int
) -> list[DepositRecord]:
    """The chosen account's deposits from ``since`` on, in journal order (v1 events name no
    account: they are the user's first account's)."""
    if chosen.account_id is None:
        return []
    return await store.deposits_for_account(chosen.account_id, user_id, chosen.first, since)


def opening_and_flows(deposits: Sequence[DepositRecord], initial: int) -> tuple[int, list[Flow]]:
    """The account's opening deposit and the flows after it. The first deposit is the
    opening one unless it is a reset's (a pruned journal lost the opening: ``initial``)."""
    if deposits and deposits[0].kind != "RESET":
        return deposits[0].amount, [Flow(d.ts, d.amount) for d in deposits[1:]]
    return initial, [Flow(d.ts, d.amount) for d in deposits]


def _filter(request: web.Request) -> Filter:
    query = request.query
    raw_asset = query.get("asset")
    asset = None
    if raw_asset is not None and raw_asset != "":
        asset = asset_of(raw_asset, request.app[SERVICE].settings)
    start = query_int(query, "startTime", 0, MAX_TIME_MS)
    end = query_int(query, "endTime", 0, MAX_TIME_MS)
    return Filter(asset, start, end)


async def keyset_pages(
    read: Callable[[tuple[int, str] | None], Awaitable[list[R]]],
    key: Callable[[R], tuple[int, str]],
) -> AsyncIterator[list[R]]:
    """Every row ``read`` gives, a page (``PAGE_ROWS``) at a time: each page read after the
    last row's ``key`` (its time and id), until a short one; the event loop runs between
    pages."""
    after: tuple[int, str] | None = None
    while True:
        page = await read(after)
        if page:
            yield page
        if len(page) < PAGE_ROWS:
            return
        after = key(page[-1])
        await asyncio.sleep(0)


def closed_pages(
    store: Store, user_id: str, chosen: Chosen, asset: str | None, start: int | None,
    end: int | None, *, oldest_first: bool = True,
) -> AsyncIterator[list[ClosedOrderRecord]]:  # fmt: skip
    """Every closed position of the chosen account matching the filter (applied in SQL),
    a page at a time, oldest first by default."""
    return keyset_pages(
        lambda after: store.closed_orders_page(
            user_id, chosen.account_id, chosen.first, PAGE_ROWS, asset=asset, start=start,
            end=end, after=after, oldest_first=oldest_first,
        ),
        lambda r: (r.closed_at, r.order_id),
    )  # fmt: skip


def fill_pages(store: Store, account_id: str, chosen: Filter) -> AsyncIterator[list[FillRecord]]:
    """Every fill of the account matching the filter (in SQL), oldest first, a page at a
    time."""
    return keyset_pages(
        lambda after: store.fills_page(
            account_id, PAGE_ROWS, asset=chosen.asset, start=chosen.start, end=chosen.end,
            after=after, oldest_first=True,
        ),
        lambda f: (f.time, f.fill_id),
    )  # fmt: skip


async def _account_start(request: web.Request, user_id: str, chosen: Chosen) -> int:
    """When the chosen account began (its creation; before accounts, the user's signup;
    else its oldest closed position's opening)."""
    if chosen.account_id is not None:
        account = await request.app[STORE].account(chosen.account_id)
        if account is not None:
            return account.created_at
    user = await request.app[STORE].user_by_id(user_id)
    if user is not None:
        return user.created_at
    async for page in closed_pages(request.app[STORE], user_id, chosen, None, None, None):
        return page[0].opened_at
    return 0


def _iso(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


async def position_rows(store: Store, records: list[ClosedOrderRecord]) -> list[Json]:
    """Closed positions with their orders' terms (one batched read) and ``result``."""
    shown = await closed_view.closed_orders(store, records)
    results = await results_of(store, records)
    pairs = zip(shown, results, strict=True)
    return [{**o, "result": format_units(result)} for o, result in pairs]


def csv_row(rec: ClosedOrderRecord, result: int) -> list[str]:
    return [
        rec.order_id, rec.parent_order_id or "", rec.asset, rec.side, str(rec.leverage),
        format_units(rec.qty), format_units(rec.open_price), format_units(rec.close_price),
        format_units(rec.margin), format_units(rec.pnl), format_units(rec.fee),
        format_units(rec.funding), format_units(result), rec.close_reason,
        str(rec.opened_at), str(rec.closed_at), _iso(rec.opened_at), _iso(rec.closed_at),
        rec.account_id or "",
    ]  # fmt: skip


def csv_text(rows: Sequence[Sequence[str]]) -> str:
    """RFC 4180: CRLF line ends, a field quoted when it holds a comma, quote or line break."""
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL).writerows(rows)
    return out.getvalue()


def fill_row(rec: FillRecord) -> list[str]:
    return [
        rec.fill_id, rec.order_id, rec.position_id, rec.account_id, rec.asset, rec.side,
        format_units(rec.price), format_units(rec.qty), format_units(rec.fee),
        format_units(rec.realized_pnl), "true" if rec.maker else "false", str(rec.time),
        _iso(rec.time),
    ]  # fmt: skip


def stats_body(stats: Stats) -> Json:
    opt = format_optional
    return {
        "trades": stats.trades,
        "wins": stats.wins,
        "losses": stats.losses,
        "winRate": opt(stats.win_rate),
        "grossProfit": format_units(stats.gross_profit),
        "grossLoss": format_units(stats.gross_loss),
        "netResult": format_units(stats.net_result),
        "profitFactor": opt(stats.profit_factor),
        "averageWin": opt(stats.average_win),
        "averageLoss": opt(stats.average_loss),
        "maxDrawdown": format_units(stats.max_drawdown),
        "maxDrawdownPercent": format_units(stats.max_drawdown_percent),
        "sharpe": opt(stats.sharpe),
        "startEquity": format_units(stats.start_equity),
        "endEquity": format_units(stats.end_equity),
        "equity": [
            {"time": p.time, "equity": format_units(p.equity)}
            for p in history_curve.bounded(stats.curve)
        ],
    }


async def compute_stats(
    store: Store, user_id: str, account: Chosen, chosen: Filter, opening: int,
    flows: Sequence[Flow], created_at: int,
) -> Stats:  # fmt: skip
    """Statistics of the rows the filter chooses, read page by page with the filter in SQL.
    The curve starts at the account's opening deposit plus every result (all assets) and
    flow before ``startTime``: the cash the account really held when the range began. The
    flows in the range step it (none when an asset is chosen: ``Filter.keeps_flow``)."""
    start_equity = opening
    start_time = created_at
    if chosen.start is not None:
        start = chosen.start
        before = closed_pages(store, user_id, account, None, None, start - 1)
        async for page in before:
            start_equity += sum(await results_of(store, page))
        start_equity += sum(f.amount for f in flows if f.time < start)
        start_time = max(created_at, start)
    kept: list[Trade] = []
    window = closed_pages(store, user_id, account, chosen.asset, chosen.start, chosen.end)
    async for page in window:
        results = await results_of(store, page)
        kept += [Trade(r.closed_at, x) for r, x in zip(page, results, strict=True)]
    if kept:
        start_time = min(start_time, kept[0].time)
    in_range = [f for f in flows if chosen.keeps_flow(f)]
    if len(kept) <= INLINE_TRADES:
        return summarize(start_time, start_equity, kept, in_range)
    # a long history's arithmetic in a thread: inline, 119,000 trades held the event loop,
    # and every other client, for 210 ms (the GIL still lets the loop in every few ms)
    return await asyncio.to_thread(summarize, start_time, start_equity, kept, in_range)


async def positions(request: web.Request) -> web.Response:
    """Closed positions matching the filter, newest first, at most ``limit``."""
    user_id = require_session(request).user_id
    chosen = _filter(request)
    limit = query_int(request.query, "limit", 1, MAX_PAGE) or DEFAULT_PAGE
    account = await reading_account(request, user_id)
    store = request.app[STORE]
    kept = await store.closed_orders_page(
        user_id, account.account_id, account.first, limit, asset=chosen.asset,
        start=chosen.start, end=chosen.end,
    )  # fmt: skip
    return json_response({"positions": await position_rows(store, kept)})


async def _stream_csv(
    request: web.Request, filename: str, header: Sequence[str],
    pages: AsyncIterator[list[list[str]]],
) -> web.StreamResponse:  # fmt: skip
    """The header at once, then each page of rows as it is read (bounded memory)."""
    response = web.StreamResponse(
        headers={
            "Content-Type": "text/csv; charset=utf-8",
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": "no-store",
        }
    )
    await response.prepare(request)
    await response.write(csv_text([header]).encode())
    async for rows in pages:
        await response.write(csv_text(rows).encode())
    await response.write_eof()
    return response


async def positions_csv(request: web.Request) -> web.StreamResponse:
    """Every closed position matching the filter, oldest first, streamed a page at a time."""
    user_id = require_session(request).user_id
    chosen = _filter(request)
    account = await reading_account(request, user_id)
    store = request.app[STORE]

    async def pages() -> AsyncIterator[list[list[str]]]:
        async for page in closed_pages(
            store, user_id, account, chosen.asset, chosen.start, chosen.end
        ):
            results = await results_of(store, page)
            yield [csv_row(r, x) for r, x in zip(page, results, strict=True)]

    return await _stream_csv(request, "velox-history.csv", CSV_COLUMNS, pages())


async def fills_csv(request: web.Request) -> web.StreamResponse:
    """Every fill (SPEC 12) of the chosen account matching the filter (on the fill's time),
    oldest first, streamed a page at a time."""
    user_id = require_session(request).user_id
    chosen = _filter(request)
    account = (await reading_account(request, user_id)).account_id
    store = request.app[STORE]

    async def pages() -> AsyncIterator[list[list[str]]]:
        if account is not None:
            async for page in fill_pages(store, account, chosen):
                yield [fill_row(f) for f in page]

    return await _stream_csv(request, "velox-fills.csv", FILL_COLUMNS, pages())


async def stats(request: web.Request) -> web.Response:
    user_id = require_session(request).user_id
    chosen = _filter(request)
    store = request.app[STORE]
    account = await reading_account(request, user_id)
    created_at = await _account_start(request, user_id, account)
    deposits = await deposits_of(store, user_id, account, created_at)
    initial = request.app[SERVICE].settings.initial_balance
    opening, flows = opening_and_flows(deposits, initial)
    body = await compute_stats(store, user_id, account, chosen, opening, flows, created_at)
    if body.trades <= INLINE_TRADES:
        return json_response(stats_body(body))
    return json_response(await asyncio.to_thread(stats_body, body))  # thinning a long curve
