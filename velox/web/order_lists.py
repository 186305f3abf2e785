"""The account's lists under ``/api/v1/order/user`` (SPEC 12): orders of one status, fills.

History (fills; CLOSED, CANCELLED, EXPIRED, REJECTED and FILLED orders) takes ``asset``,
``startTime`` and ``endTime`` (ms, inclusive) and comes newest first by the very time the
window is on: a fill's ``time``, an ended order's ``closedAt`` (when it ended: a position's
close, else the moment it became CANCELLED, EXPIRED, REJECTED or FILLED). So a client that
has read a page asks for the next one with ``endTime`` = the oldest it has seen - 1, and
can reach every row however many there are: a bare ``limit`` (at most 1000) could only ever
show the newest.

OPEN and PENDING are what is now, not a history: ``asset`` filters them, and the time window
is validated like any other but ignored (a window would hide live orders; the API document
can state "ignored" exactly, where it could not state "refused for these two statuses").
Both are read from the engine and list every open position / resting order (bounded by
--max-open-positions, not by a page) unless ``limit`` asks for the newest ``limit``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, Protocol, TypeVar

from aiohttp import web

from velox.engine.engine import Engine
from velox.engine.views import open_positions, pending_orders
from velox.web import closed_view, render, render_v2
from velox.web.accounts import Chosen, reading_account
from velox.web.auth.security import require_session
from velox.web.errors import validation
from velox.web.jsonio import json_response
from velox.web.keys import OPTIONS, SERVICE, STORE
from velox.web.order_requests import Window, fills_query, window_query
from velox.web.orders_v2 import filled_orders
from velox.web.validate import query_int

Json = dict[str, Any]
STATUSES = ("OPEN", "CLOSED", "PENDING", "CANCELLED", "EXPIRED", "REJECTED", "FILLED")
MAX_PAGE = 1000


async def user_fills(request: web.Request) -> web.Response:
    user_id = require_session(request).user_id
    query = fills_query(request.query, request.app[SERVICE].settings.assets)
    chosen = await reading_account(request, user_id)
    fills = []
    if chosen.account_id is not None:
        fills = await request.app[STORE].fills_for_account(
            chosen.account_id, query.asset, query.start, query.end, query.limit
        )
    return json_response({"fills": [render_v2.fill(f) for f in fills]})


class _Held(Protocol):
    """A position or a resting order, as the lists sort them."""

    @property
    def asset(self) -> str: ...

    @property
    def order_id(self) -> str: ...


T = TypeVar("T", bound=_Held)


def _newest(held: Iterable[T], asset: str | None, when: Callable[[T], int]) -> list[T]:
    """``held`` on ``asset`` (every one when None), newest first by ``when``, ties by order
    id as a number."""
    mine = (x for x in held if asset in (None, x.asset))
    return sorted(mine, key=lambda x: (when(x), int(x.order_id)), reverse=True)


async def _open(
    request: web.Request, user_id: str, chosen: Chosen, asset: str | None, limit: int | None
) -> list[Json]:
    """The positions (the newest ``limit`` when given), newest first by openedAt, from the
    engine (where they live): only those answered are rendered."""

    def view(engine: Engine) -> list[Json]:
        held = open_positions(engine, user_id, chosen.account_id)
        positions = _newest(held, asset, lambda p: p.opened_at)[: limit or None]
        return [render.open_order_in(engine, p) for p in positions]

    return await request.app[SERVICE].read(view)


async def _closed(
    request: web.Request, user_id: str, chosen: Chosen, window: Window, limit: int | None
) -> list[Json]:
    store = request.app[STORE]
    records = await store.closed_orders_for_account(
        user_id, chosen.account_id, chosen.first,
        limit or request.app[OPTIONS].closed_orders_limit,
        asset=window.asset, start=window.start, end=window.end,
    )  # fmt: skip
    return await closed_view.closed_orders(store, records)


async def _pending(
    request: web.Request, user_id: str, chosen: Chosen, asset: str | None, limit: int | None
) -> list[Json]:
    """Every resting order (the newest ``limit`` when given), newest first by createdAt:
    which ones rest is the engine's (bounded by --max-open-positions, not by a page), their
    rows the store's."""
    if chosen.account_id is None:
        return []

    def view(engine: Engine) -> list[str]:
        held = pending_orders(engine, user_id, chosen.account_id)
        mine = _newest(held, asset, lambda p: p.created_at)
        return [p.order_id for p in mine[: limit or None]]

    ids = await request.app[SERVICE].read(view)
    store = request.app[STORE]
    rows = await store.orders_by_ids(ids)
    return await filled_orders(store, [rows[i] for i in ids if i in rows])


async def _stored(
    request: web.Request, chosen: Chosen, status: str, window: Window, limit: int | None
) -> list[Json]:
    """An ended status, by closedAt within the window."""
    if chosen.account_id is None:
        return []
    store = request.app[STORE]
    rows = await store.orders_for_account(
        chosen.account_id, status, limit or MAX_PAGE,
        asset=window.asset, start=window.start, end=window.end,
    )  # fmt: skip
    return await filled_orders(store, rows)


async def user_orders(request: web.Request) -> web.Response:
    """``?status=`` one of STATUSES (default OPEN), newest first: OPEN by openedAt, PENDING
    by createdAt, the ended ones by closedAt (see the module doc)."""
    user_id = require_session(request).user_id
    status = request.query.get("status", "OPEN")
    if status not in STATUSES:
        raise validation(f"status must be one of {', '.join(STATUSES)}", "status")
    limit = query_int(request.query, "limit", 1, MAX_PAGE)
    window = window_query(request.query, request.app[SERVICE].settings.assets)
    chosen = await reading_account(request, user_id)
    if status == "OPEN":
        orders = await _open(request, user_id, chosen, window.asset, limit)
    elif status == "PENDING":
        orders = await _pending(request, user_id, chosen, window.asset, limit)
    elif status == "CLOSED":
        orders = await _closed(request, user_id, chosen, window, limit)
    else:
        orders = await _stored(request, chosen, status, window, limit)
    return json_response({"orders": orders})
