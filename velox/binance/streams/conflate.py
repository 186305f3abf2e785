"""Conflation: a stream pushed at most once per interval however fast the market moves.

Binance's depth and ticker streams are pushed at a fixed speed (a depth diff every 250 ms,
a 24-hour ticker every 2 s), each push carrying everything that changed since the last.
``Conflator.touch(key)`` says "something changed"; ``flush(key)`` runs at once if the key
was flushed at least an interval ago, else when the interval ends, once however many
touches came meanwhile, so the last change is never held back longer than an interval
(a plain rate limit that dropped updates would leave a client on a stale price until the
next move). Timed with the event loop's monotonic clock: this paces sockets, it is not
market time.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)


class Conflator(Generic[K]):
    def __init__(self, every_s: Callable[[K], float], flush: Callable[[K], None]) -> None:
        self._every_s = every_s
        self._flush = flush
        self._last: dict[K, float] = {}
        self._timers: dict[K, asyncio.TimerHandle] = {}
        self._closed = False

    def touch(self, key: K) -> None:
        if self._closed or key in self._timers:
            return  # the pending flush will carry this change too
        loop = asyncio.get_running_loop()
        last = self._last.get(key)
        wait = 0.0 if last is None else last + self._every_s(key) - loop.time()
        if wait <= 0:
            self._fire(key)
        else:
            self._timers[key] = loop.call_later(wait, self._fire, key)

    def _fire(self, key: K) -> None:
        self._timers.pop(key, None)
        self._last[key] = asyncio.get_running_loop().time()
        self._flush(key)

    def close(self) -> None:
        """Drop the pending flushes (shutdown) and ignore later touches."""
        self._closed = True
        for timer in self._timers.values():
            timer.cancel()
        self._timers.clear()
