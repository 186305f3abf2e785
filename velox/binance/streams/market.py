"""Binance market streams fed by this process: book tickers, trades, marks and klines.

``MarketStreams`` hears three things as they happen and turns each into Binance's message
for the streams that asked for it:

- every committed batch's quotes (``on_published``, an engine-service listener):
  ``<sym>@bookTicker`` (the quoted bid/ask, as ``/fapi/v1/depth`` shows them),
  ``<sym>@markPrice`` / ``@markPrice@1s`` (the reference price; at most one per 3 s / 1 s),
  the depth streams and the 24-hour tickers;
- every raw trade from the feed (``on_trade``, a ``MarketTap`` on the trade writer's input):
  ``<sym>@trade`` and ``<sym>@aggTrade`` (one trade per aggregate), with the exchange's ids,
  so a second Velox reading these streams orders them exactly as the first one did;
- every changed candle from the trade writer (``on_candle``): ``<sym>@kline_<interval>``;
  a candle of a newer bucket first closes the previous one (``"x": true``); the intervals
  Velox does not store are folded from one it does (``derived.py``).

A message is encoded once per stream and queued on each subscriber (``Subscriber.offer``,
never awaiting a socket); a subscriber too far behind is closed. Book update ids (``u``)
start at the wall clock in microseconds and count up, so they keep increasing across a
restart of this process, as a client ordering by them needs; the depth streams
(``depth.py``) and ``/fapi/v1/depth``'s ``lastUpdateId`` use the same ids. The 24-hour
tickers (``tickers.py``) are pushed when a quote moves the price.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

import orjson

from velox.binance.shapes import INTERVALS, MAX_QTY, close_time, quote_volume
from velox.binance.streams.depth import DepthStreams
from velox.binance.streams.derived import DerivedKlines
from velox.binance.streams.tickers import TickerStreams
from velox.binance.terms import Terms, ratio_text
from velox.engine.state import Quote
from velox.feeds.base import FeedTick
from velox.money import format_units
from velox.service import Published
from velox.store.records import CandleRecord
from velox.web.keys import CandleQuery

MARK_EVERY_MS = {"markPrice": 3000, "markPrice@1s": 1000}


class Subscriber(Protocol):
    def deliver(self, stream: str, payload: bytes) -> None:
        """Queue one stream's message (already encoded); never blocks."""


@dataclass(slots=True)
class LastTrade:
    trade_id: int
    price: int
    qty: int
    ts: int


class MarketStreams:
    def __init__(self, symbols: tuple[str, ...], terms: Terms, wall_ms: Callable[[], int]) -> None:
        self.symbols = symbols
        self.terms = terms
        self._wall_ms = wall_ms
        self._subs: dict[str, set[Subscriber]] = {}
        self._update_id = self._first_id = wall_ms() * 1000
        self.update_ids: dict[str, int] = {}
        self.quotes: dict[str, Quote] = {}  # the last published, with update_ids' ids
        self.last_trades: dict[str, LastTrade] = {}
        self.depth = DepthStreams(self, wall_ms)
        self.tickers = TickerStreams(self, self.quotes, self._last_qty, wall_ms)
        self._mark_sent: dict[tuple[str, str], int] = {}
        self._open_klines: dict[tuple[str, str], CandleRecord] = {}
        self.derived = DerivedKlines(self.wants, self._send_kline)
        self.clients: set[Any] = set()  # open stream sockets, closed at shutdown

    def update_id(self, symbol: str) -> int:
        """The last book update id of ``symbol`` (depth's ``lastUpdateId``); one not quoted
        yet stays at the first id, where its first depth event's ``pu`` picks up."""
        return self.update_ids.get(symbol, self._first_id)

    def _last_qty(self, symbol: str) -> int:
        last = self.last_trades.get(symbol)
        return last.qty if last is not None else 0

    def attach(self, candles: CandleQuery) -> None:
        """Once the store and feed run: the candles the 24-hour tickers are computed from."""
        self.tickers.attach(candles)
        self.derived.attach(candles)

    async def close(self) -> None:
        """Shutdown: cancel the pending (conflated) pushes."""
        self.depth.close()
        await self.tickers.close()
        await self.derived.close()

    # -- subscriptions -------------------------------------------------------------------
    def subscribe(self, sub: Subscriber, stream: str) -> None:
        if stream not in self._subs:
            self.depth.opened(stream)
        self._subs.setdefault(stream, set()).add(sub)

    def unsubscribe(self, sub: Subscriber, stream: str) -> None:
        subs = self._subs.get(stream)
        if subs is not None:
            subs.discard(sub)
            if not subs:
                del self._subs[stream]
                self.depth.closed(stream)

    def wants(self, stream: str) -> bool:
        return stream in self._subs

    def send(self, stream: str, payload: Any) -> None:
        subs = self._subs.get(stream)
        if not subs:
            return
        data = orjson.dumps(payload)
        for sub in tuple(subs):
            sub.deliver(stream, data)

    # -- inputs --------------------------------------------------------------------------
    def stage(self, published: Published) -> Callable[[], None]:
        """Nothing to read from the engine: send the quotes once the batch's commit succeeded
        (the service's staged listener, which lets batches overlap their commits)."""
        return lambda: self.on_published(published)

    def on_published(self, published: Published) -> None:
        now = self._wall_ms()
        for symbol, quote in published.quotes:
            before = (self.update_id(symbol), self.quotes.get(symbol))
            self._update_id += 1
            self.update_ids[symbol] = self._update_id
            self.quotes[symbol] = quote
            self.depth.on_quote(symbol, quote, self._update_id, before)
            self.tickers.on_quote(symbol)
            name = symbol.lower()
            self.send(f"{name}@bookTicker", self._book(symbol, quote, now))
            for kind, every in MARK_EVERY_MS.items():
                stream = f"{name}@{kind}"
                if stream in self._subs and now - self._mark_sent.get((symbol, kind), 0) >= every:
                    self._mark_sent[(symbol, kind)] = now
                    self.send(stream, self._mark(symbol, quote, now))

    def on_trade(self, tick: FeedTick) -> None:
        if tick.trade_id is None or tick.trade_price is None or tick.trade_qty is None:
            return
        ts = tick.exchange_ms if tick.exchange_ms is not None else self._wall_ms()
        trade = LastTrade(tick.trade_id, tick.trade_price, tick.trade_qty, ts)
        self.last_trades[tick.symbol] = trade
        name = tick.symbol.lower()
        if f"{name}@trade" in self._subs or f"{name}@aggTrade" in self._subs:
            now = self._wall_ms()
            price, qty = format_units(trade.price), format_units(trade.qty)
            common = {"E": now, "s": tick.symbol, "p": price, "q": qty, "T": ts, "m": False}
            self.send(f"{name}@trade", {"e": "trade", **common, "t": trade.trade_id, "M": True})
            self.send(
                f"{name}@aggTrade",
                {"e": "aggTrade", **common, "a": trade.trade_id, "f": trade.trade_id,
                 "l": trade.trade_id},
            )  # fmt: skip

    def on_candle(self, candle: CandleRecord) -> None:
        self.derived.on_candle(candle)
        if candle.duration not in INTERVALS:
            return
        key = (candle.symbol, candle.duration)
        previous = self._open_klines.get(key)
        if previous is not None and previous.time > candle.time:
            return  # a late trade's older bucket: the stream has moved on
        self._open_klines[key] = candle
        stream = f"{candle.symbol.lower()}@kline_{candle.duration}"
        if stream not in self._subs:
            return
        now = self._wall_ms()
        if previous is not None and previous.time < candle.time:
            self.send(stream, self._kline(previous, now, closed=True))
        self.send(stream, self._kline(candle, now, closed=False))

    def on_history(self, symbol: str, duration: str) -> None:
        """Binance's kline streams carry the forming candle only: history is REST's."""

    # -- shapes --------------------------------------------------------------------------
    def _book(self, symbol: str, quote: Quote, now: int) -> dict[str, Any]:
        qty = format_units(MAX_QTY)
        return {
            "e": "bookTicker", "u": self._update_id, "E": now, "T": now, "s": symbol,
            "b": format_units(quote.bid), "B": qty, "a": format_units(quote.ask), "A": qty,
        }  # fmt: skip

    def _mark(self, symbol: str, quote: Quote, now: int) -> dict[str, Any]:
        mark = format_units(quote.ref)
        return {
            "e": "markPriceUpdate", "E": now, "s": symbol, "p": mark, "i": mark, "P": mark,
            "r": ratio_text(self.terms.funding_rate), "T": self.terms.next_funding_ms(now),
        }  # fmt: skip

    def _send_kline(self, stream: str, candle: CandleRecord, closed: bool) -> None:
        self.send(stream, self._kline(candle, self._wall_ms(), closed=closed))

    def _kline(self, c: CandleRecord, now: int, *, closed: bool) -> dict[str, Any]:
        zero = format_units(0)
        return {
            "e": "kline", "E": now, "s": c.symbol,
            "k": {
                "t": c.time, "T": close_time(c.duration, c.time), "s": c.symbol,
                "i": c.duration, "f": 0, "L": 0, "o": format_units(c.open),
                "c": format_units(c.close), "h": format_units(c.high), "l": format_units(c.low),
                "v": format_units(c.volume), "n": 0, "x": closed,
                "q": format_units(quote_volume(c)), "V": zero,
                "Q": zero, "B": "0",
            },
        }  # fmt: skip
