"""An account's trades and income on the Binance API: ``GET /fapi/v1/userTrades`` (paged
from ``fromId``, or one order's with ``orderId``) and ``GET /fapi/v1/income``.

A fill is shown under the order Binance would name: its own, a fired stop's conditional
order, or the order of a close Velox made itself (``orders.shown_order_id``, ``closes.py``).
"""

from __future__ import annotations

from typing import Any

from velox.binance import orders
from velox.binance.closes import closing_position
from velox.binance.endpoint import Call, endpoint
from velox.binance.income import income_page
from velox.binance.keyring import READ
from velox.store.records import FillRecord
from velox.web.keys import SETTINGS, STORE


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
    shown = await _shown_order_ids(call, fills)
    return [orders.trade_json(f, shown[f.fill_id])
            for f in (fills if page.forward else fills[::-1])]  # fmt: skip


async def _trades_of_order(call: Call, symbol: str | None, order_id: int) -> Any:
    """``orderId``: that order's trades only, as Binance lists them, the order named as
    ``userTrades`` shows it (a stop's close under the stop's own id)."""
    conditional = orders.conditional_of(order_id)
    own = conditional[0] if conditional is not None else closing_position(order_id)
    own = str(order_id) if own is None else own
    fills = [f for f in await call.app[STORE].fills_of_orders([own])
             if f.account_id == call.credential.account_id and f.asset == symbol]  # fmt: skip
    shown = await _shown_order_ids(call, fills)
    mine = sorted((f for f in fills if shown[f.fill_id] == order_id),
                  key=lambda f: (f.time, len(f.fill_id), f.fill_id))  # fmt: skip
    limit = call.params.optional_int("limit", 1, 1000) or 500
    return [orders.trade_json(f, order_id) for f in mine[:limit]]


async def _shown_order_ids(call: Call, fills: list[FillRecord]) -> dict[str, int]:
    """Fill id -> the order it is shown under (``orders.shown_order_id``: a stop's close is
    that stop's), reading the closed orders of the fills that may be one."""
    own = sorted({f.order_id for f in fills if f.order_id == f.position_id})
    closed = {rec.order_id: rec for rec in await call.app[STORE].closed_orders_of(own)}
    return {f.fill_id: orders.shown_order_id(f, closed) for f in fills}


@endpoint(30, signed=READ)
async def income(call: Call) -> Any:
    """The account's entries (``velox.binance.income``: Binance's paging)."""
    symbol = call.params.symbol(call.app[SETTINGS].symbols, required=False)
    kind = call.params.get("incomeType")
    limit = call.params.optional_int("limit", 1, 1000) or 100
    start, end = call.params.window()

    async def shown_ids(fills: list[FillRecord]) -> dict[str, int]:
        return await _shown_order_ids(call, fills)

    return await income_page(call.app[STORE], shown_ids, call.credential.account_id, symbol,
                             kind, start, end, limit)  # fmt: skip
