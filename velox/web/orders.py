"""``/api/v1/order`` v1 handlers still routed (close, margin) and the v1 stops PATCH that
``orders_v2.modify_order`` falls back to. Parse, build a command, await the service, render.

Refusals go through ``_refused``: the engine says NOT_FOUND for an order that is not open for
this user; if it is one of this user's closed orders that becomes 409 ORDER_CLOSED, one of
their pending or otherwise ended orders (in the account the request names) 409
ORDER_NOT_OPEN, or ORDER_NOT_PENDING for a PATCH of an ended one; else it stays 404 (another
user's order is indistinguishable from no order at all).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any, NoReturn

from aiohttp import web

from velox.engine.engine import Engine, Outcome
from velox.engine.errors import Code, Refusal
from velox.engine.events import PositionClosed, PositionPartiallyClosed
from velox.service import Reply
from velox.web import closed_view, render
from velox.web.accounts import chosen_account, reading_account
from velox.web.auth.security import require_session
from velox.web.errors import ApiError, not_found, refusal_error
from velox.web.jsonio import json_object, json_response
from velox.web.keys import ORDER_LIMIT, SERVICE, STORE
from velox.web.requests import close_command, margin_command, modify_command

Json = dict[str, Any]


def user_within_order_rate(request: web.Request) -> str:
    """The signed-in user of a state-changing order request, once the user's order rate
    allows it (429 RATE_LIMITED otherwise): every order-changing handler calls this first."""
    session = require_session(request)
    request.app[ORDER_LIMIT].check(session.user_id)
    return session.user_id


async def _refused(
    request: web.Request, command: Any, refusal: Refusal, ended: str = "ORDER_NOT_OPEN"
) -> NoReturn:
    """``refusal`` of ``command`` (a close, margin or stops change) as the answer: a NOT_FOUND
    of an order the user can GET says why it cannot be acted on (409), as ``ended`` for an
    order that is neither open nor pending any more; 404 stays for anyone else's."""
    if refusal.code is not Code.NOT_FOUND:
        raise refusal_error(refusal)
    user_id, order_id, store = command.user_id, command.order_id, request.app[STORE]
    closed = await store.closed_order(order_id)
    record = None if closed is not None else await store.order(order_id)
    owner = closed if closed is not None else record
    if owner is None or owner.user_id != user_id:
        raise not_found("no such order")
    first = None
    if command.account_id is None or owner.account_id is None:
        first = (await reading_account(request, user_id)).account_id
    # the engine acted on the named account, else the user's first; a record from before
    # accounts (no account) is the first's
    if (owner.account_id or first) != (command.account_id or first):
        raise not_found("no such order")  # in another of the user's accounts (SPEC 13)
    if closed is not None:
        raise ApiError("ORDER_CLOSED", "this order is already closed")
    assert record is not None
    if record.status == "OPEN":
        raise not_found("no such order")  # open, yet not found by the engine: not ours here
    if record.status == "PENDING":
        raise ApiError("ORDER_NOT_OPEN", "this order is pending, not an open position")
    message = {"ORDER_NOT_PENDING": "this order is not pending"}
    raise ApiError(ended, message.get(ended, f"this order is {record.status.lower()}"))


def _open_view(user_id: str, order_id: str) -> Callable[[Engine], Json | None]:
    def view(engine: Engine) -> Json | None:
        pos = engine.positions.get(order_id)
        if pos is None or pos.user_id != user_id:
            return None
        return render.open_order_in(engine, pos)

    return view


def _open_after(user_id: str, order_id: str) -> Callable[[Engine, Outcome], Json | None]:
    """The position a command touched, if it is still open."""

    def view(engine: Engine, outcome: Outcome) -> Json | None:
        return _open_view(user_id, order_id)(engine)

    return view


async def _submit_and_show(
    request: web.Request, command: Any, user_id: str, order_id: str, ended: str = "ORDER_NOT_OPEN"
) -> Reply[Json | None]:
    """Submit, and render the order as that same commit left it: one trip through the
    engine's queue, where a submit then a read would also wait for the next commit."""
    reply = await request.app[SERVICE].submit_and_show(command, _open_after(user_id, order_id))
    if reply.outcome.refusal is not None:
        await _refused(request, command, reply.outcome.refusal, ended)
    return reply


async def _shown(
    request: web.Request, reply: Reply[Json | None], user_id: str, order_id: str
) -> Json | None:
    """The order as the reply's commit left it: open (the view), or closed in that same
    commit by a trigger. In process its record came with the commit (no store read); a
    gateway's reply carries only the command's own events, so there it is read back."""
    if reply.seen is not None:
        return reply.seen
    record = reply.published.closed_order(order_id)
    if record is not None:
        return await closed_view.closed_order(request.app[STORE], record)
    return await _closed_order(request, user_id, order_id)


async def _closed_order(request: web.Request, user_id: str, order_id: str) -> Json | None:
    record = await request.app[STORE].closed_order(order_id)
    if record is None or record.user_id != user_id:
        return None
    return await closed_view.closed_order(request.app[STORE], record)


async def close_order(request: web.Request) -> web.Response:
    user_id = user_within_order_rate(request)
    order_id = request.match_info["orderId"]
    data = await json_object(request, optional=True)
    command = close_command(data, user_id, order_id, request.app[SERVICE].clock())
    command = replace(command, account_id=await chosen_account(request, user_id))
    reply = await _submit_and_show(request, command, user_id, order_id)
    # the close's event (a funding charge the position owed may come before it)
    event = next(
        e for e in reply.outcome.events if isinstance(e, PositionClosed | PositionPartiallyClosed)
    )
    record = reply.published.closed_by(event)
    assert record is not None
    closed = await closed_view.closed_order(request.app[STORE], record)
    if isinstance(event, PositionClosed):
        return json_response(closed)
    assert isinstance(event, PositionPartiallyClosed)
    remaining = await _shown(request, reply, user_id, order_id)
    return json_response({"order": remaining, "closed": closed})


async def add_margin(request: web.Request) -> web.Response:
    user_id = user_within_order_rate(request)
    order_id = request.match_info["orderId"]
    data = await json_object(request)
    command = margin_command(data, user_id, order_id, request.app[SERVICE].clock())
    command = replace(command, account_id=await chosen_account(request, user_id))
    return json_response(
        await _shown(
            request, await _submit_and_show(request, command, user_id, order_id), user_id, order_id
        )
    )


async def modify_order(request: web.Request) -> web.Response:
    user_id = user_within_order_rate(request)
    order_id = request.match_info["orderId"]
    data = await json_object(request)
    command = modify_command(data, user_id, order_id, request.app[SERVICE].clock())
    command = replace(command, account_id=await chosen_account(request, user_id))
    # an ended order's PATCH: as one with a price would be answered (orders_v2._not_pending)
    reply = await _submit_and_show(request, command, user_id, order_id, "ORDER_NOT_PENDING")
    return json_response(await _shown(request, reply, user_id, order_id))
