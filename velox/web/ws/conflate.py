"""Price conflation for the websocket: a symbol alone waits for its own interval since its
last send; a send carries every pending symbol; at most two sends per interval.

The engine may quote thousands of ticks a second; a browser (or a bot on the public stream)
needs the latest price, not every superseded one, and sending each to thousands of sockets
would cost more than trading itself. The engine's listener only records the latest quote per
symbol (``offer``, O(1)); the flusher (velox/web/ws/flush.py) sends what is pending, every
pending symbol together in one write per socket, as soon as

- one of the pending symbols was last sent at least ``interval_s`` ago (its own window: a
  symbol quiet since its last send goes at once), and
- the previous send ended at least ``interval_s / 2`` ago.

Why per symbol: with one window for all symbols, a quiet feed whose symbols tick in turn (the
simulator: three symbols, evenly spaced) held each tick until the window of the previous
symbol's send ended, 56 ms at the median (bench/http.py's fan-out). A busy feed keeps every
symbol pending, so all of them go together once per interval, as before; the second rule
bounds the writes when symbols fall due one after another. Windows count from the end of the
send that carried the symbol, so a machine too busy to write every socket in time sends less
often rather than all the time (the engine's task keeps its share).
"""

from __future__ import annotations

from velox.engine.state import Quote

NEVER = -1e9


class PriceConflator:
    def __init__(self, interval_s: float = 0.1) -> None:
        self.interval = interval_s
        self._pending: dict[str, Quote] = {}
        self._sent_at: dict[str, float] = {}  # symbol -> end of the send that last carried it
        self._taken: list[str] = []  # the symbols of the send under way
        self._last_end = NEVER  # end of the last send
        self.sent = 0  # sends so far (each: every pending symbol, to every socket)

    def offer(self, symbol: str, quote: Quote) -> None:
        self._pending[symbol] = quote

    def take(self, now: float) -> dict[str, Quote] | None:
        """The pending quotes, if any and if they may go now."""
        wait = self.wait(now)
        if wait is None or wait > 0:
            return None
        pending, self._pending = self._pending, {}
        self._taken = list(pending)
        self._last_end = now  # until ``done`` says when the send ended
        self.sent += 1
        return pending

    def done(self, now: float) -> None:
        """The send that ``take`` began has ended: its symbols' windows count from here."""
        self._last_end = max(self._last_end, now)
        for symbol in self._taken:
            self._sent_at[symbol] = self._last_end
        self._taken = []

    def wait(self, now: float) -> float | None:
        """Seconds until pending quotes may go, or None with nothing pending."""
        if not self._pending:
            return None
        sent_at = self._sent_at
        window = min(sent_at.get(s, NEVER) for s in self._pending) + self.interval
        return max(0.0, window - now, self._last_end + self.interval / 2 - now)

    def clear(self) -> None:
        self._pending.clear()
