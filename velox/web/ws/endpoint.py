"""``/ws``: the websocket endpoint (SPEC section 8).

Credentials: ``?ticket=`` (one-time, from ``/api/v1/user/ws-ticket``), else the session
cookie (or a Bearer header, for scripts). None at all means a public, price-only connection;
credentials that are presented and invalid are refused with 401 before the upgrade, so a
client that tried to sign in is never silently downgraded to public. A ticket carries the
session it was minted for, which must still be live when it is spent (not signed out, not
expired); the hub closes the socket when that session ends.

The handshake's headers are checked first, by the patterns the API document states (a GET
without them is 400 VALIDATION_ERROR naming the header): stricter than aiohttp's own checks,
so a request the document accepts is always upgraded.

A client message nested too deep for the JSON parser is refused by closing the socket with
1007 (invalid payload) and one log line, never an exception out of the handler. Nor is a
client that is gone by the time its upgrade is answered (a reset right after the request):
that is its close, logged at DEBUG (``upgrade.py``, shared with Binance's stream
endpoints); writes after the upgrade go through ``Connection``, which takes a client's
going away as its close already.

A client may send 10 messages a second, in bursts of 20 (``budget.py``): one over that is
answered ``RATE_LIMITED`` and not otherwise looked at, and 20 of those in a row close the
socket (1008). Whether an account is the socket's user's is read from the store once (an
account's owner never changes), an account that does not exist again after a second, and
that read goes in the store's side lane (velox/store/lanes.py): a flood of them can never
hold up the order path's reads or the database probe.
"""

from __future__ import annotations

import contextlib
import json
import logging
import time
from collections.abc import Callable
from typing import Any, NoReturn

from aiohttp import WSCloseCode, WSMsgType, web

from velox.market.candles import DURATIONS_MS
from velox.store.base import Store
from velox.store.lanes import side_lane
from velox.web.accounts import account_owner
from velox.web.auth.security import cookie_only, same_origin, session_of
from velox.web.auth.sessions import Session
from velox.web.errors import ApiError, unauthorized
from velox.web.jsonio import dumps
from velox.web.keys import HUB, OPTIONS, SERVICE, SESSIONS, STORE, TICKETS
from velox.web.ws.budget import BURST, RATE, TOO_FAST, MessageBudget
from velox.web.ws.connection import Connection
from velox.web.ws.counted import RETRY_AFTER, TOO_MANY, counted
from velox.web.ws.handshake import check_handshake
from velox.web.ws.upgrade import upgrade

log = logging.getLogger(__name__)
MISSING_TTL_S = 1.0  # how long "no such account" is believed: the user may create it
MAX_OWNERS = 64  # answers kept per socket
RATE_LIMITED = dumps(
    {"type": "error", "error": {"code": "RATE_LIMITED", "message": f"too many messages: at "
     f"most {RATE:g} a second, in bursts of {BURST}; wait for the answers"}}
)  # fmt: skip


class Owners:
    """One socket's answers to "whose is this account?": the owner of an account that
    exists (it never changes), "no such account" for ``MISSING_TTL_S``."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._owner: dict[str, str] = {}
        self._missing: dict[str, float] = {}  # account id -> when it was found missing

    async def owns(self, store: Store, user_id: str, account_id: str) -> bool:
        owner = self._owner.get(account_id)
        if owner is None:
            owner = await self._read(store, account_id)
        return owner == user_id

    async def _read(self, store: Store, account_id: str) -> str | None:
        now = self._clock()
        missing_at = self._missing.get(account_id)
        if missing_at is not None and now - missing_at < MISSING_TTL_S:
            return None
        if len(self._owner) + len(self._missing) >= MAX_OWNERS:
            self._owner.clear()
            self._missing.clear()
        with side_lane():
            owner = await account_owner(store, account_id)
        if owner is None:
            self._missing[account_id] = now
        else:
            self._owner[account_id] = owner
            self._missing.pop(account_id, None)
        return owner


def _session(request: web.Request) -> Session | None:
    ticket = request.query.get("ticket")
    if ticket is not None:
        session = request.app[TICKETS].redeem(ticket)
        if session is None:
            raise unauthorized("the websocket ticket is unknown, expired or already used")
        if not request.app[SESSIONS].is_live(session):
            raise unauthorized("the websocket ticket's session was signed out or has expired")
        return session
    if cookie_only(request) and not same_origin(request):
        # Browsers always send Origin on a websocket handshake: a page elsewhere must not
        # ride the cookie into this user's private stream (cross-site websocket hijacking).
        raise ApiError("FORBIDDEN", "cross-origin websocket refused")
    return session_of(request)


def _too_many() -> NoReturn:
    raise ApiError("RATE_LIMITED", TOO_MANY, headers=RETRY_AFTER)


@counted(_too_many)
async def websocket(request: web.Request) -> web.StreamResponse:
    check_handshake(request)
    session = _session(request)
    options = request.app[OPTIONS]
    # No permessage-deflate: messages are small, and the hub writes one prebuilt frame to
    # every socket (velox/web/frames.py), which compression per connection would forbid.
    ws = web.WebSocketResponse(
        heartbeat=options.ws_heartbeat_s, max_msg_size=options.ws_max_message, compress=False
    )
    gone = await upgrade(request, ws)
    if gone is not None:
        return gone

    async def send(data: bytes) -> None:
        await ws.send_frame(data, WSMsgType.TEXT)

    async def close(code: int, message: bytes) -> object:
        return await ws.close(code=code, message=message)

    def abort() -> None:
        if request.transport is not None:
            request.transport.abort()

    transport = request.transport
    conn = Connection(send, close, abort, session, options.ws_queue_size, transport)
    hub = request.app[HUB]
    hub.attach(conn)
    budget, owners = MessageBudget(), Owners()
    try:
        async for message in ws:
            if message.type not in (WSMsgType.TEXT, WSMsgType.BINARY):
                continue
            if not budget.spend():
                if budget.exhausted:
                    log.info("closing a websocket that sends messages too fast")
                    await ws.close(code=TOO_FAST, message=b"too many messages")
                    break
                hub.offer(conn, RATE_LIMITED)
                continue
            if message.type is WSMsgType.TEXT:
                try:
                    await _handle(request, conn, owners, message.data)
                except RecursionError:
                    log.info("closing a websocket whose message nests too deeply for JSON")
                    await ws.close(
                        code=WSCloseCode.INVALID_TEXT, message=b"message nests too deeply"
                    )
                    break
            else:
                hub.offer(conn, dumps(_error("binary frames are not supported")))
    finally:
        hub.detach(conn)
        await conn.stop()
        if not ws.closed:
            with contextlib.suppress(Exception):
                await ws.close()
    return ws


def _error(message: str, code: str = "VALIDATION_ERROR") -> dict[str, Any]:
    return {"type": "error", "error": {"code": code, "message": message}}


async def _follow(
    request: web.Request, conn: Connection, owners: Owners, data: dict[str, Any]
) -> None:
    """``{"op": "account", "accountId": "7"}``: follow that account of the socket's user
    (null: the first). Answered ``{"type": "account", "accountId": ...}``, after which only
    that account's order messages and figures arrive; an account that is not the user's is
    ``NOT_FOUND`` (as REST's 404) and the socket keeps following the one it did."""
    hub = request.app[HUB]
    account_id = data.get("accountId")
    if conn.session is None:
        hub.offer(conn, dumps(_error("sign in to follow an account", "UNAUTHORIZED")))
        return
    if account_id is not None and not isinstance(account_id, str):
        hub.offer(conn, dumps(_error("accountId must be a string or null")))
        return
    if account_id is not None and not await owners.owns(
        request.app[STORE], conn.session.user_id, account_id
    ):
        hub.offer(conn, dumps(_error("no such account", "NOT_FOUND")))
        return
    hub.follow(conn, account_id)
    hub.offer(conn, dumps({"type": "account", "accountId": account_id}))


async def _handle(request: web.Request, conn: Connection, owners: Owners, text: str) -> None:
    """Client ops: ``ping``, ``account`` (which account to follow), ``subscribe`` /
    ``unsubscribe`` to ``candles``.

    Subscriptions are not acknowledged (SPEC section 8 defines no such message); a request
    that cannot be honoured gets ``{"type": "error", ...}``.
    """
    hub = request.app[HUB]

    def _reply(conn: Connection, message: dict[str, Any]) -> None:
        hub.offer(conn, dumps(message))

    try:
        data = json.loads(text)
    except ValueError:
        _reply(conn, _error("messages must be JSON"))
        return
    if not isinstance(data, dict):
        _reply(conn, _error("messages must be JSON objects"))
        return
    op = data.get("op")
    if op == "ping":
        _reply(conn, {"type": "pong"})
        return
    if op == "account":
        await _follow(request, conn, owners, data)
        return
    if op not in ("subscribe", "unsubscribe"):
        _reply(conn, _error("op must be ping, account, subscribe or unsubscribe"))
        return
    symbol, duration = data.get("symbol"), data.get("duration")
    if data.get("channel") != "candles":
        _reply(conn, _error("channel must be candles"))
    elif symbol not in request.app[SERVICE].settings.assets:
        _reply(conn, _error("unknown symbol"))
    elif not isinstance(duration, str) or duration not in DURATIONS_MS:
        _reply(conn, _error(f"duration must be one of {', '.join(DURATIONS_MS)}"))
    elif op == "subscribe":
        hub.subscribe(conn, str(symbol), duration)
    else:
        hub.unsubscribe(conn, str(symbol), duration)
