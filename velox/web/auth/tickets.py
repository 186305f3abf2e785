"""One-time websocket tickets: ``GET /ws-ticket`` mints one, ``/ws?ticket=`` spends it.

Browsers cannot set headers on a websocket handshake, and a long-lived JWT in a URL ends up
in proxy logs; a ticket is random, lives 30 s and works once, so a leaked one is worthless.
Kept in memory: a restart simply makes the client ask for a new one. A user holds at most
``TICKETS_PER_USER`` unspent ones (a page asks for one per connect and spends it at once):
past that the oldest stops working, so memory follows users, not how fast one of them asks.
"""

from __future__ import annotations

import secrets
import time
from collections import deque
from collections.abc import Callable

from velox.frozen import frozen
from velox.web.auth.sessions import Session

TICKETS_PER_USER = 16


@frozen
class _Ticket:
    session: Session
    expires: float


class TicketBook:
    def __init__(self, ttl_s: float = 30.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl_s = ttl_s
        self._clock = clock
        self._tickets: dict[str, _Ticket] = {}
        self._by_user: dict[str, deque[str]] = {}  # the newest issued here, spent or not
        self._sweep_at = 0.0

    def issue(self, session: Session) -> str:
        self._forget_expired()
        ticket = secrets.token_urlsafe(32)
        self._tickets[ticket] = _Ticket(session, self._clock() + self.ttl_s)
        issued = self._by_user.setdefault(session.user_id, deque())
        issued.append(ticket)
        if len(issued) > TICKETS_PER_USER:  # spent ones first, then the oldest unspent
            live = [t for t in issued if t in self._tickets]
            for oldest in live[:-TICKETS_PER_USER]:
                del self._tickets[oldest]
            self._by_user[session.user_id] = deque(live[-TICKETS_PER_USER:])
        return ticket

    def redeem(self, ticket: str) -> Session | None:
        """The session the ticket was issued for, once; None if unknown, used or expired."""
        entry = self._tickets.pop(ticket, None)
        if entry is None or self._clock() >= entry.expires:
            return None
        return entry.session

    def _forget_expired(self) -> None:
        now = self._clock()
        if now < self._sweep_at:
            return
        self._sweep_at = now + self.ttl_s
        for key in [k for k, t in self._tickets.items() if t.expires <= now]:
            del self._tickets[key]
        for user in [u for u, issued in self._by_user.items()
                     if not any(t in self._tickets for t in issued)]:  # fmt: skip
            del self._by_user[user]
