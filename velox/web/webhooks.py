"""TradingView webhooks (SPEC 13): an alert's message places an order in one account.

TradingView posts the alert's message as the body and can send no header of its own, so the
account's secret travels in the body: ``token``, made by ``POST
/api/v1/accounts/{accountId}/webhook`` (shown once; a new one replaces the old). The token
is ``<accountId>.<random>``; only its SHA-256 is stored, compared in constant time. A wrong
or unknown token is 401 and changes nothing.

``action`` ``buy`` / ``sell`` is the native ``POST /api/v1/order/open`` (LONG / SHORT) with
the same fields and rules (``type``, ``price``, stops, ``clientOrderId`` so a retried alert
creates nothing...), answered with the order; ``close`` closes the account's positions on
``asset`` (``{"orders": [...closed]}``). Requests are rate-limited per user
(``--rate-limit-orders``); alerts whose token fails spend their address's
``--rate-limit-public`` budget, so TradingView's few addresses never run out of it.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from typing import Any

from aiohttp import web

from velox.engine.commands import ClosePosition
from velox.engine.errors import Code
from velox.engine.views import open_positions
from velox.store.records import ClosedOrderRecord
from velox.web import closed_view, orders_v2
from velox.web.accounts import _own
from velox.web.auth.security import check_credential_change, client_key, require_session
from velox.web.errors import ApiError, refusal_error, unauthorized, validation
from velox.web.jsonio import json_object, json_response
from velox.web.keys import OPTIONS, ORDER_LIMIT, PUBLIC_LIMIT, SERVICE, STORE
from velox.web.order_requests import CLIENT_ORDER_ID
from velox.web.requests import asset_of
from velox.web.validate import choice, required

# An alert's clientOrderId: TradingView's order ids may hold spaces, and with {{timenow}}
# (the README's template) they run past the 36 characters of an order's (alert_order_id).
ALERT_ID_PATTERN = r"^[^\x00-\x1f\x7f]{1,128}$"
_ALERT_ID = re.compile(ALERT_ID_PATTERN)
TOKEN_PATTERN = r"^[0-9]{1,20}\.[A-Za-z0-9_-]{43}$"
_TOKEN = re.compile(TOKEN_PATTERN)
ACTIONS = ("buy", "sell", "close")


def alert_order_id(value: Any) -> Any:
    """The order's clientOrderId of an alert's: the same when it is one (1 to 36 of
    ``A-Za-z0-9._:-``); else, for 1 to 128 printable characters, ``tv-`` and 32 hex digits
    of its SHA-256, so that the same alert retried is the same order. None stays None."""
    if value is None or (isinstance(value, str) and CLIENT_ORDER_ID.fullmatch(value)):
        return value
    if not isinstance(value, str) or not _ALERT_ID.fullmatch(value):
        raise validation("clientOrderId must be 1 to 128 printable characters", "clientOrderId")
    return "tv-" + hashlib.sha256(value.encode("utf-8")).hexdigest()[:32]


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


async def rotate_token(request: web.Request) -> web.Response:
    """A new webhook token for one of the user's accounts (the old one stops working)."""
    session = require_session(request)
    user_id = session.user_id
    check_credential_change(request, user_id)
    record = await _own(request, user_id, request.match_info["accountId"])
    token = f"{record.account_id}.{secrets.token_urlsafe(32)}"
    now = request.app[OPTIONS].clock.wall_ms()
    await request.app[STORE].set_webhook_token(
        record.account_id, user_id, token_hash(token), now, issued_at=session.issued_at
    )
    return json_response(
        {"accountId": record.account_id, "token": token, "createdAt": now}, status=201
    )


async def _verify(request: web.Request, token: Any) -> tuple[str, str]:
    """(user id, account id) of a valid token; 401 for anything else, in the same way."""
    if not isinstance(token, str) or not _TOKEN.fullmatch(token):
        raise unauthorized("invalid webhook token")
    account_id = token.partition(".")[0]
    stored = await request.app[STORE].webhook_token(account_id)
    expected = stored[1] if stored is not None else "0" * 64
    if not hmac.compare_digest(expected, token_hash(token)) or stored is None:
        raise unauthorized("invalid webhook token")
    return stored[0], account_id


async def tradingview(request: web.Request) -> web.Response:
    # TradingView sends every user's alerts from a few fixed addresses: a valid alert is
    # limited per user (below), and only one whose token fails spends its address's
    # --rate-limit-public budget. Once that is spent the address is refused at once.
    public, address = request.app[PUBLIC_LIMIT], client_key(request)
    public.check_spent(address)
    try:  # a body that is no alert at all spends it too
        data = await json_object(request)
        user_id, account_id = await _verify(request, data.get("token"))
    except ApiError:
        public.hit(address)
        raise
    request.app[ORDER_LIMIT].check(user_id)  # the user's one budget (SPEC 10)
    action = choice(required(data, "action"), "action", ACTIONS)
    service = request.app[SERVICE]
    if action == "close":
        extra = set(data) - {"token", "action", "asset"}
        if extra:
            name = sorted(extra)[0]
            raise validation(f"unknown field {name!r}", name)
        asset = asset_of(required(data, "asset"), service.settings)
        return await _close(request, user_id, account_id, asset)
    if "side" in data:
        raise validation("unknown field 'side'", "side")
    body = {k: v for k, v in data.items() if k not in ("token", "action")}
    body["side"] = "LONG" if action == "buy" else "SHORT"
    if "clientOrderId" in body:
        body["clientOrderId"] = alert_order_id(body["clientOrderId"])
    command = await orders_v2._open_command(request, body, user_id, account_id)
    outcome, reply = await service.submit_and_read(command, orders_v2._reply_of(user_id))
    if outcome.refusal is not None:
        raise refusal_error(outcome.refusal)
    if outcome.existing is not None:  # a retried alert (same clientOrderId): the first order
        return await orders_v2._answer(request, user_id, (200, None, outcome.existing))
    assert reply is not None
    return await orders_v2._answer(request, user_id, reply)


async def _close(request: web.Request, user_id: str, account_id: str, asset: str) -> web.Response:
    service = request.app[SERVICE]

    def held(engine: Any) -> list[str]:
        return [p.order_id for p in open_positions(engine, user_id, account_id)
                if p.asset == asset]  # fmt: skip

    closed: list[ClosedOrderRecord] = []
    for order_id in await service.read(held):
        command = ClosePosition(user_id, order_id, service.clock(), account_id=account_id)
        outcome = await service.submit(command)
        if outcome.refusal is not None:
            if outcome.refusal.code == Code.NOT_FOUND:
                continue  # closed meanwhile (a trigger, or a retried alert): nothing to close
            raise refusal_error(outcome.refusal)
        record = await request.app[STORE].closed_order(order_id)
        if record is not None:
            closed.append(record)
    store = request.app[STORE]  # with their orders' terms, one batched read
    return json_response({"orders": await closed_view.closed_orders(store, closed)})
