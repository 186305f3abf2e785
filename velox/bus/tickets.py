"""Websocket tickets that work on every gateway, once.

A browser asks one gateway for a ticket (``/api/v1/user/ws-ticket``) and, behind a load
balancer, may open its websocket on another. So a gateway publishes each ticket it issues
(with the session it stands for, its remaining life and the issuing gateway) and every
gateway adds it to its own book. The issuing gateway stays the ticket's authority: another
gateway redeems it only after claiming it there (a request on ``tickets.claim.<origin>``,
awaited by ``ticket_middleware`` before the handshake), so a ticket opens one socket in the
whole deployment. The ticket response is held until the ticket is on the bus, so a client
cannot reach another gateway before the ticket does.
"""

from __future__ import annotations

import contextlib
import logging
from typing import Any

from aiohttp import web
from aiohttp.typedefs import Handler
from nats.aio.client import Client
from nats.aio.msg import Msg

from velox.bus.broadcast import Broadcast
from velox.bus.subjects import Subjects
from velox.web.auth.sessions import Session
from velox.web.auth.tickets import TicketBook, _Ticket
from velox.web.keys import TICKETS

log = logging.getLogger(__name__)
TICKET_PATH = "/api/v1/user/ws-ticket"
WS_PATH = "/ws"


class SharedTickets(TicketBook):
    def __init__(self, ttl_s: float, nc: Client, subjects: Subjects) -> None:
        super().__init__(ttl_s)
        self.nc = nc
        self.subjects = subjects
        self.bus = Broadcast(nc, subjects.tickets, "ticket")
        self.origin = self.bus.origin
        self._remote: dict[str, str] = {}  # ticket issued by another gateway -> that gateway

    def _claims(self, origin: str) -> str:
        return f"{self.subjects.tickets}.claim.{origin}"

    async def start(self) -> None:
        await self.bus.listen(self._apply)
        await self.nc.subscribe(self._claims(self.origin), cb=self._on_claim)
        await self.bus.caught_up()  # our subscriptions are on the server

    def issue(self, session: Session) -> str:
        for stale in [t for t in self._remote if t not in self._tickets]:
            del self._remote[stale]
        ticket = super().issue(session)
        s = session
        self.bus.send({"t": ticket, "ttl": self.ttl_s,
                       "s": [s.user_id, s.jti, s.expires_at, s.via_cookie,
                             s.issued_at]})  # fmt: skip
        return ticket

    def redeem(self, ticket: str) -> Session | None:
        self._remote.pop(ticket, None)
        session = super().redeem(ticket)
        if session is not None:
            self.bus.send({"used": ticket})
        return session

    async def claim(self, ticket: str) -> None:
        """Before redeeming another gateway's ticket: take it from its issuer, or forget it
        (spent there, expired, or the issuer cannot be asked). A ticket unknown here may have
        been issued a moment ago: catch up with the bus first (only misses wait)."""
        if ticket not in self._tickets:
            await self.bus.caught_up()
        origin = self._remote.get(ticket)
        if origin is None:
            return  # ours (its redeem is the claim), or unknown
        try:
            reply = await self.nc.request(self._claims(origin), ticket.encode(), timeout=2)
            taken = reply.data == b"1"
        except Exception as exc:  # the issuer is gone or NATS is away: refuse
            log.info("bus: ticket claim failed: %s", exc)
            taken = False
        if not taken:
            self._tickets.pop(ticket, None)
            self._remote.pop(ticket, None)

    async def _on_claim(self, msg: Msg) -> None:
        entry = self._tickets.pop(msg.data.decode(errors="replace"), None)
        valid = entry is not None and self._clock() < entry.expires
        if msg.reply:
            with contextlib.suppress(Exception):
                await msg.respond(b"1" if valid else b"0")

    async def issued_on_bus(self) -> None:
        """Wait until what was published so far is on the server (``Broadcast.caught_up``)."""
        await self.bus.caught_up()

    def _apply(self, message: dict[str, Any]) -> None:
        if "used" in message:
            self._tickets.pop(str(message["used"]), None)
            self._remote.pop(str(message["used"]), None)
            return
        user_id, jti, expires_at, via_cookie, *issued = message["s"]  # issued: none if older
        session = Session(str(user_id), str(jti), int(expires_at), bool(via_cookie),
                          int(issued[0]) if issued else 0)  # fmt: skip
        expires = self._clock() + float(message["ttl"])
        self._tickets[str(message["t"])] = _Ticket(session, expires)
        self._remote[str(message["t"])] = str(message["o"])


@web.middleware
async def ticket_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Claim another gateway's ticket before the websocket handshake; hold a new ticket's
    response until the ticket is on the bus."""
    tickets = request.app[TICKETS]
    if not isinstance(tickets, SharedTickets):
        return await handler(request)
    ticket = request.query.get("ticket") if request.path == WS_PATH else None
    if ticket is not None:
        await tickets.claim(ticket)
    response = await handler(request)
    if request.path == TICKET_PATH:
        await tickets.issued_on_bus()
    return response
