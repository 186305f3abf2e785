"""``/api/v1/order`` routes of engine v2 (SPEC 12): opening with the new fields, cancel,
modify of a pending order, OCO, lookup by ``clientOrderId`` (the lists of orders and fills
are ``order_lists.py``). Thin: parse (order_requests.py), submit, render (render_v2.py).

Where an order is now: an open position in the engine, a closed one in ``closed_orders``,
anything else (PENDING, CANCELLED, EXPIRED, REJECTED, FILLED) in ``orders``; all three are
written in the commit that acknowledges a command, so a read after it sees it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aiohttp import web

from velox.engine.engine import Engine, Outcome
from velox.engine.errors import Code
from velox.engine.events import (
    OrderCancelled,
    OrderPlaced,
    PositionClosed,
    PositionIncreased,
    PositionOpened,
    PositionPartiallyClosed,
)
from velox.engine.views import account_figures
from velox.store.base import Store
from velox.store.records import OrderRecord
from velox.web import closed_view, orders, render, render_v2
from velox.web.accounts import chosen_account, reading_account
from velox.web.auth.security import require_session
from velox.web.errors import ApiError, not_found, refusal_error, validation
from velox.web.jsonio import json_object, json_response
from velox.web.keys import ORDER_LIMIT, SERVICE, STORE
from velox.web.order_requests import (
    V2_OPEN_FIELDS,
    cancel_command,
    client_order_id,
    oco_command,
    oco_legs,
    order_terms,
    pending_modify_command,
    with_terms,
)
from velox.web.orders import user_within_order_rate
from velox.web.requests import open_command

Json = dict[str, Any]
# (status, the order as the commit left it, or the id of one to look up in the store)
Reply = tuple[int, Json | None, str | None]


async def any_order(request: web.Request, user_id: str, order_id: str) -> Json | None:
    """The user's order wherever it is now (None: no such order of this user)."""

    def view(engine: Engine) -> Json | None:
        pos = engine.positions.get(order_id)
        if pos is None or pos.user_id != user_id:
            return None
        return render.open_order_in(engine, pos)

    store = request.app[STORE]
    order = await request.app[SERVICE].read(view)
    if order is not None:
        return order  # an open position carries its order's terms in the engine
    closed = await store.closed_order(order_id)
    if closed is not None and closed.user_id == user_id:
        return await closed_view.closed_order(store, closed)
    record = await store.order(order_id)
    if record is None or record.user_id != user_id or record.status == "OPEN":
        return None  # OPEN here but in neither place above: not this user's to see
    return (await filled_orders(store, [record]))[0]


async def filled_orders(store: Store, records: list[OrderRecord]) -> list[Json]:
    """Order rows as the API shows them, a FILLED one with the fees its fills paid."""
    filled = [r.order_id for r in records if r.status == "FILLED"]
    fees = await store.order_fees(filled) if filled else {}
    return [render_v2.order_record(r, fees.get(r.order_id, 0)) for r in records]


def _reply_of(user_id: str) -> Callable[[Engine, Outcome], Reply]:
    """What an open (or OCO) answers, read from the engine as its commit left it: a resting
    order 201; a new position 201; a fill into an existing position (NETTING) 200 with
    that position as it is after the fill."""

    def view(engine: Engine, outcome: Outcome) -> Reply:
        status, target = 201, None
        for event in outcome.events:
            if isinstance(event, OrderPlaced):
                return 201, render_v2.placed(event), None
            if isinstance(event, PositionIncreased):
                status, target = 200, event.position_id
            elif isinstance(event, PositionClosed | PositionPartiallyClosed) and (
                event.reason == "REDUCE"
            ):
                status, target = 200, event.order_id  # NETTING: reduced by this order
            elif isinstance(event, PositionOpened):
                target = event.order_id  # a flip's remainder: still 200
            elif isinstance(event, OrderCancelled) and target is None:
                return 200, render_v2.cancelled(event), None
        if target is None:
            return status, None, None
        pos = engine.positions.get(target)
        if pos is not None and pos.user_id == user_id:
            return status, render.open_order_in(engine, pos), None
        return status, None, target

    return view


async def _answer(request: web.Request, user_id: str, reply: Reply) -> web.Response:
    status, order, look_up = reply
    if order is None and look_up is not None:
        order = await any_order(request, user_id, look_up)
    if order is None:  # a bug (or a second engine answering): logged, 500 with a requestId
        raise LookupError(f"order {look_up} was acknowledged but cannot be read back")
    return json_response(order, status=status)


async def _reduce_only_allowed(request: web.Request, user_id: str, account_id: str | None) -> None:
    """``reduceOnly`` belongs to NETTING accounts (the mode never changes, so the store's
    row is as good as the engine's)."""
    chosen = account_id or (await reading_account(request, user_id)).account_id
    record = None if chosen is None else await request.app[STORE].account(chosen)
    if record is None or record.mode != "NETTING":  # judged on state, like the engine's
        raise ApiError("REDUCE_ONLY_REJECTED", "reduceOnly is for NETTING accounts", "reduceOnly")


async def _open_command(
    request: web.Request, data: dict[str, Any], user_id: str, account_id: str | None
) -> Any:
    service = request.app[SERVICE]
    now = service.clock()
    terms = order_terms(data)
    rest = {k: v for k, v in data.items() if k not in V2_OPEN_FIELDS}
    base = open_command(rest, user_id, now)
    if terms.reduce_only:
        await _reduce_only_allowed(request, user_id, account_id)
    return with_terms(base, terms, account_id)


async def open_order(request: web.Request) -> web.Response:
    user_id = user_within_order_rate(request)
    data = await json_object(request)
    account_id = await chosen_account(request, user_id)
    command = await _open_command(request, data, user_id, account_id)
    outcome, reply = await request.app[SERVICE].submit_and_read(command, _reply_of(user_id))
    if outcome.refusal is not None:
        raise refusal_error(outcome.refusal)
    if outcome.existing is not None:  # a repeated clientOrderId: the first order, 200
        return await _answer(request, user_id, (200, None, outcome.existing))
    assert reply is not None
    return await _answer(request, user_id, reply)


async def place_oco(request: web.Request) -> web.Response:
    user_id = user_within_order_rate(request)
    data = await json_object(request)
    account_id = await chosen_account(request, user_id)
    first, second = oco_legs(data)
    legs = [await _open_command(request, leg, user_id, account_id) for leg in (first, second)]
    command = oco_command(legs[0], legs[1], account_id)

    def view(engine: Engine, outcome: Outcome) -> list[Json]:
        return [render_v2.placed(e) for e in outcome.events if isinstance(e, OrderPlaced)]

    outcome, orders = await request.app[SERVICE].submit_and_read(command, view)
    if outcome.refusal is not None:
        raise refusal_error(outcome.refusal)
    if outcome.existing is not None:  # both clientOrderIds are taken: a retry?
        pair = await _placed_pair(request, user_id, outcome.existing, legs[1].client_order_id)
        return json_response({"orders": pair}, status=200)
    return json_response({"orders": orders}, status=201)


async def _placed_pair(
    request: web.Request, user_id: str, first_id: str, second_cid: str | None
) -> list[Json]:
    """A repeated OCO whose two clientOrderIds name the two legs of one OCO: those orders as
    they are now (a client whose connection dropped can retry safely, as with an open).
    Ids taken by any other orders are refused, as before."""
    first = await any_order(request, user_id, first_id)
    account_id = None if first is None else first.get("accountId")
    second_id = await request.app[SERVICE].read(
        lambda engine: engine.client_ids.get((str(account_id), second_cid or ""))
    )
    second = None if second_id is None else await any_order(request, user_id, second_id)
    group = None if first is None else first.get("ocoGroupId")
    if first is None or second is None or group is None or second.get("ocoGroupId") != group:
        raise validation("clientOrderId already used", "clientOrderId")
    return [first, second]


async def _not_pending(
    request: web.Request, user_id: str, order_id: str, account_id: str | None
) -> ApiError:
    """A refusal to touch a pending order: 409 if the user has that order in another
    state, else 404 (another user's order is indistinguishable from none, and an order of
    another of the user's accounts is not in the one the request names)."""
    if await order_in(request, user_id, order_id, account_id) is None:
        return not_found("no such order")
    return ApiError("ORDER_NOT_PENDING", "this order is not pending")


async def order_in(
    request: web.Request, user_id: str, order_id: str, account_id: str | None
) -> Json | None:
    """The user's order, if it is in the named account (the user's first when none is
    named): every native endpoint acts on the named account (SPEC 13)."""
    order = await any_order(request, user_id, order_id)
    if order is None:
        return None
    if account_id is None:
        account_id = (await reading_account(request, user_id)).account_id
    return order if order.get("accountId") == account_id else None


async def cancel_order(request: web.Request) -> web.Response:
    user_id = user_within_order_rate(request)
    order_id = request.match_info["orderId"]
    account_id = await chosen_account(request, user_id)
    service = request.app[SERVICE]
    outcome = await service.submit(cancel_command(user_id, order_id, service.clock(), account_id))
    if outcome.refusal is not None:
        if outcome.refusal.code in (Code.NOT_FOUND, Code.ORDER_NOT_PENDING):
            raise await _not_pending(request, user_id, order_id, account_id)
        raise refusal_error(outcome.refusal)
    cancelled = next(
        e for e in outcome.events if isinstance(e, OrderCancelled) and e.order_id == order_id
    )
    return json_response(render_v2.cancelled(cancelled))


async def modify_pending(request: web.Request, user_id: str, data: dict[str, Any]) -> web.Response:
    """PATCH of a pending order: price, stops, expiresAt (the reservation follows)."""
    order_id = request.match_info["orderId"]
    account_id = await chosen_account(request, user_id)
    service = request.app[SERVICE]
    command = pending_modify_command(data, user_id, order_id, service.clock(), account_id)
    outcome = await service.submit(command)
    if outcome.refusal is not None:
        if outcome.refusal.code in (Code.NOT_FOUND, Code.ORDER_NOT_PENDING):
            raise await _not_pending(request, user_id, order_id, account_id)
        raise refusal_error(outcome.refusal)
    order = await any_order(request, user_id, order_id)
    if order is None:  # pragma: no cover - acknowledged, so stored
        raise not_found("no such order")
    return json_response(order)


async def is_pending(request: web.Request, user_id: str, order_id: str) -> bool:
    record = await request.app[STORE].order(order_id)
    return record is not None and record.user_id == user_id and record.status == "PENDING"


async def get_order(request: web.Request) -> web.Response:
    user_id = require_session(request).user_id
    account_id = await chosen_account(request, user_id)
    order = await order_in(request, user_id, request.match_info["orderId"], account_id)
    if order is None:
        raise not_found("no such order")
    return json_response(order)


async def by_client_id(request: web.Request) -> web.Response:
    user_id = require_session(request).user_id
    cid = client_order_id(request.match_info["clientOrderId"])
    chosen = await reading_account(request, user_id)
    record = None
    if chosen.account_id is not None:
        record = await request.app[STORE].order_by_client_id(chosen.account_id, cid)
    order = None if record is None else await any_order(request, user_id, record.order_id)
    if order is None:
        raise not_found("no order with this clientOrderId")
    return json_response(order)


async def modify_order(request: web.Request) -> web.Response:
    """PATCH: a pending order's price, stops, expiry; else a position's stops (v1)."""
    user_id = require_session(request).user_id
    data = await json_object(request)
    order_id = request.match_info["orderId"]
    if "price" in data or "expiresAt" in data or await is_pending(request, user_id, order_id):
        request.app[ORDER_LIMIT].check(user_id)
        return await modify_pending(request, user_id, data)
    return await orders.modify_order(request)


async def balance(request: web.Request) -> web.Response:
    """The account figures (SPEC 3 and 12: pendingMargin, fees, funding)."""
    user_id = require_session(request).user_id
    account_id = await chosen_account(request, user_id)  # another user's account: 404
    figures = await request.app[SERVICE].read(lambda e: account_figures(e, user_id, account_id))
    return json_response(render.figures(figures))
