"""How many messages a client may send on ``/ws``: ``RATE`` a second, in bursts of ``BURST``.

Why: a message can cost a database read (``{"op": "account"}`` checks the account's owner),
and a client may send them as fast as its socket takes them: one user's five sockets kept
SQLite's readers busy until everyone's orders waited tens of seconds behind them. Binance
allows 10 incoming messages a second per connection; so does Velox, with bursts of 20 (the
trade screen sends a handful when it switches account or chart). A message over the budget
is not looked at (no parse, no read): it is answered ``RATE_LIMITED``; a client that sends
``MAX_REFUSED`` of them in a row (it never waits for the answers) is closed with 1008.

Binance's stream sockets answer every control message, as Binance does, so there a client
faster than the budget is read at its pace instead (``take``): its other messages wait in
the socket, whose reading aiohttp then pauses.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

RATE = 10.0  # messages a second, on average
BURST = 20  # messages at once
MAX_REFUSED = 20  # refused messages in a row before the socket is closed
TOO_FAST = 1008  # policy violation


class MessageBudget:
    def __init__(
        self,
        rate: float = RATE,
        burst: int = BURST,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.rate = rate
        self.burst = burst
        self._clock = clock
        self._tokens = float(burst)
        self._at = clock()
        self.refused_in_a_row = 0

    def spend(self) -> bool:
        """One message: True if within the budget; False (counted) if over it."""
        now = self._clock()
        self._tokens = min(self.burst, self._tokens + (now - self._at) * self.rate)
        self._at = now
        if self._tokens >= 1:
            self._tokens -= 1
            self.refused_in_a_row = 0
            return True
        self.refused_in_a_row += 1
        return False

    async def take(self) -> None:
        """One message, waiting until the budget has room for it."""
        while not self.spend():
            await asyncio.sleep((1 - self._tokens) / self.rate)

    @property
    def exhausted(self) -> bool:
        """The client went on past ``MAX_REFUSED`` refusals in a row: close it."""
        return self.refused_in_a_row >= MAX_REFUSED
