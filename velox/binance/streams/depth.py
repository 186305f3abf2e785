"""The depth streams: ``<sym>@depth[@speed]`` (diff) and ``<sym>@depth<levels>[@speed]``
(partial), ``depthUpdate`` events in Binance USDⓈ-M's shape.

Velox's book is its quote: one level each side at the quoted bid and ask, as large as any
order (``/fapi/v1/depth``). A client keeps a local book as Binance's recipe says: buffer the
diffs, read the REST snapshot, drop events with ``u`` below its ``lastUpdateId``, apply the
first whose ``U``..``u`` holds it, then each next one whose ``pu`` is the previous ``u``.
So, per symbol and speed, a ``Window`` gathers the quotes since the last event:

- ids: ``u`` is the symbol's update id (the one sequence ``bookTicker``'s ``u`` and the REST
  ``lastUpdateId`` come from), ``pu`` the previous event's ``u``, and ``U`` = ``pu`` + 1:
  a symbol's ids are not consecutive (one counter serves every symbol), and this way a
  stream's events tile the sequence, so any snapshot's ``lastUpdateId`` lies in one of them;
- levels: every price quoted on a side within the window, and the one the last event left,
  is sent with its final quantity, 0 for all but the current quote's (as Binance sends a
  level that went away, even one that came and went between two events), so a book built
  from any snapshot in the window ends up exactly the quote.

A window opens at the first quote after a stream of its speed gets a subscriber, from the
quote and id just before (what a snapshot read then shows), and closes with the last one.
Events are conflated to the stream's speed (``conflate.py``); the partial streams send the
same ids with the current level each side.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from velox.binance.shapes import MAX_QTY
from velox.binance.streams.conflate import Conflator
from velox.binance.streams.names import DEPTH_SPEEDS_MS, depth_name
from velox.engine.state import Quote
from velox.money import format_units

Key = tuple[str, int]  # (symbol, speed in ms)
Levels = list[list[str]]


class Outlet(Protocol):
    def send(self, stream: str, payload: Any) -> None: ...


@dataclass(slots=True)
class Window:
    """One symbol's book changes at one speed, since its last event."""

    pu: int  # the last event's u
    left: Quote | None  # the quote the last event left the book at
    u: int = 0
    quote: Quote | None = None  # the latest quote, if any came since the last event
    bids: set[int] = field(default_factory=set)
    asks: set[int] = field(default_factory=set)

    def add(self, quote: Quote, update_id: int) -> None:
        self.quote, self.u = quote, update_id
        self.bids.add(quote.bid)
        self.asks.add(quote.ask)

    def levels(self) -> tuple[Levels, Levels]:
        """Every level touched since the last event, best first, at its final quantity."""
        assert self.quote is not None
        bids, asks = set(self.bids), set(self.asks)
        if self.left is not None:
            bids.add(self.left.bid)
            asks.add(self.left.ask)
        return (
            [_level(p, p == self.quote.bid) for p in sorted(bids, reverse=True)],
            [_level(p, p == self.quote.ask) for p in sorted(asks)],
        )

    def advance(self) -> None:
        """The event was sent: the next one starts from it."""
        self.pu, self.left, self.quote = self.u, self.quote, None
        self.bids.clear()
        self.asks.clear()


def _level(price: int, quoted: bool) -> list[str]:
    return [format_units(price), format_units(MAX_QTY if quoted else 0)]


class DepthStreams:
    def __init__(self, outlet: Outlet, wall_ms: Callable[[], int]) -> None:
        self._outlet = outlet
        self._wall_ms = wall_ms
        self._streams: dict[Key, dict[str, bool]] = {}  # subscribed names -> partial?
        self._windows: dict[Key, Window] = {}
        self._conflator: Conflator[Key] = Conflator(lambda key: key[1] / 1000, self._flush)

    def opened(self, stream: str) -> None:
        """``stream`` got its first subscriber."""
        name = depth_name(stream)
        if name is not None:
            self._streams.setdefault((name.symbol, name.speed_ms), {})[stream] = name.partial

    def closed(self, stream: str) -> None:
        """``stream`` lost its last subscriber."""
        name = depth_name(stream)
        if name is None:
            return
        key = (name.symbol, name.speed_ms)
        streams = self._streams.get(key, {})
        streams.pop(stream, None)
        if not streams:
            self._streams.pop(key, None)
            self._windows.pop(key, None)

    def on_quote(
        self, symbol: str, quote: Quote, update_id: int, before: tuple[int, Quote | None]
    ) -> None:
        """A new quote with its update id; ``before``: the symbol's previous id and quote."""
        for speed in DEPTH_SPEEDS_MS:
            key = (symbol, speed)
            if key not in self._streams:
                continue
            window = self._windows.get(key)
            if window is None:
                window = self._windows[key] = Window(*before)
            window.add(quote, update_id)
            self._conflator.touch(key)

    def _flush(self, key: Key) -> None:
        window = self._windows.get(key)
        if window is None or window.quote is None:
            return  # unsubscribed meanwhile
        now, (symbol, _), quote = self._wall_ms(), key, window.quote
        head = {"e": "depthUpdate", "E": now, "T": now, "s": symbol, "U": window.pu + 1,
                "u": window.u, "pu": window.pu}  # fmt: skip
        bids, asks = window.levels()
        diff = {**head, "b": bids, "a": asks}
        top = {**head, "b": [_level(quote.bid, True)], "a": [_level(quote.ask, True)]}
        for stream, partial in self._streams.get(key, {}).items():
            self._outlet.send(stream, top if partial else diff)
        window.advance()

    def close(self) -> None:
        self._conflator.close()
