"""Price conflation for the websocket: at most one price update per symbol per interval.

The engine may quote thousands of ticks a second; a browser (or a bot on the public stream)
needs the latest price, not every superseded one, and sending each to thousands of sockets
would cost more than trading itself. The engine's listener only records the latest quote per
symbol (``offer``, O(1)); the flusher (velox/web/ws/flush.py) takes what is pending at once
after a quiet interval (leading edge), else when the interval since the last send ended
(trailing edge), so the latest price goes out at most ``interval_s`` after the previous send
to every socket finished, every pending symbol together.
"""

from __future__ import annotations

from velox.engine.state import Quote


class PriceConflator:
    def __init__(self, interval_s: float = 0.1) -> None:
        self.interval = interval_s
        self._pending: dict[str, Quote] = {}
        self._last_sent = -1e9
        self.sent = 0  # sends so far (each: every pending symbol, to every socket)

    def offer(self, symbol: str, quote: Quote) -> None:
        self._pending[symbol] = quote

    def take(self, now: float) -> dict[str, Quote] | None:
        """The pending quotes, if any and if the interval since the last send has passed."""
        if not self._pending or now < self._last_sent + self.interval:
            return None
        pending, self._pending = self._pending, {}
        self._last_sent = now
        self.sent += 1
        return pending

    def done(self, now: float) -> None:
        """The send that ``take`` began has ended: the interval counts from here, so a
        machine too busy to write every socket in time sends less often rather than all the
        time (the engine's task keeps its share)."""
        self._last_sent = max(self._last_sent, now)

    def wait(self, now: float) -> float | None:
        """Seconds until pending quotes may go, or None with nothing pending."""
        if not self._pending:
            return None
        return max(0.0, self._last_sent + self.interval - now)

    def clear(self) -> None:
        self._pending.clear()
