"""Websocket tickets that work on every gateway.

A browser asks one gateway for a ticket (``/api/v1/user/ws-ticket``) and, behind a load
balancer, may open its websocket on another. So a gateway publishes each ticket it issues
(with the session it stands for and its remaining life) and every gateway adds it to its own
book; a redeemed ticket is published too and dropped everywhere, so it still works once.
The ticket response is held until the ticket is on the bus (``issued_on_bus``, awaited by
``ticket_middleware``), so a client cannot reach another gateway before the ticket does.
A ticket redeemed on two gateways at the same instant could open two sockets for the same
session, which gives its holder nothing more than one.
"""

from __future__ import annotations

import asyncio
import logging
import uuid

from aiohttp import web
from aiohttp.typedefs import Handler
from nats.aio.client import Client
from nats.aio.msg import Msg

from velox import codec
from velox.bus.subjects import Subjects
from velox.web.auth.sessions import Session
from velox.web.auth.tickets import TicketBook, _Ticket
from velox.web.keys import TICKETS

log = logging.getLogger(__name__)
TICKET_PATH = "/api/v1/user/ws-ticket"


class SharedTickets(TicketBook):
    def __init__(self, ttl_s: float, nc: Client, subjects: Subjects) -> None:
        super().__init__(ttl_s)
        self.nc = nc
        self.subjects = subjects
        self.origin = uuid.uuid4().hex
        self._sends: set[asyncio.Task[None]] = set()

    async def start(self) -> None:
        await self.nc.subscribe(self.subjects.tickets, cb=self._on_message)

    def issue(self, session: Session) -> str:
        ticket = super().issue(session)
        s = session
        self._send({"o": self.origin, "t": ticket, "ttl": self.ttl_s,
                    "s": [s.user_id, s.jti, s.expires_at, s.via_cookie]})  # fmt: skip
        return ticket

    def redeem(self, ticket: str) -> Session | None:
        session = super().redeem(ticket)
        if session is not None:
            self._send({"o": self.origin, "used": ticket})
        return session

    async def issued_on_bus(self) -> None:
        """Wait until what was published so far has left for NATS."""
        if self._sends:
            await asyncio.gather(*self._sends, return_exceptions=True)
        try:
            await self.nc.flush(timeout=2)
        except Exception as exc:  # NATS away: the ticket works on this gateway at least
            log.info("bus: tickets not flushed: %s", exc)

    def _send(self, message: dict[str, object]) -> None:
        task = asyncio.get_running_loop().create_task(
            self.nc.publish(self.subjects.tickets, codec.dumps(message))
        )
        self._sends.add(task)
        task.add_done_callback(self._sends.discard)

    async def _on_message(self, msg: Msg) -> None:
        try:
            message = codec.loads(msg.data)
            if message["o"] == self.origin:
                return
            if "used" in message:
                self._tickets.pop(str(message["used"]), None)
                return
            user_id, jti, expires_at, via_cookie = message["s"]
            session = Session(str(user_id), str(jti), int(expires_at), bool(via_cookie))
            expires = self._clock() + float(message["ttl"])
            self._tickets[str(message["t"])] = _Ticket(session, expires)
        except (KeyError, TypeError, ValueError) as exc:
            log.warning("bus: dropping a malformed ticket message: %s", exc)


@web.middleware
async def ticket_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Hold the ticket response until the ticket is on the bus."""
    response = await handler(request)
    tickets = request.app[TICKETS]
    if request.path == TICKET_PATH and isinstance(tickets, SharedTickets):
        await tickets.issued_on_bus()
    return response
