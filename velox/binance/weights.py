"""Request weights per minute, as Binance counts them (``X-MBX-USED-WEIGHT-1M``).

Every /fapi endpoint costs a weight (Binance's published figures, some depending on the
parameters: ``depth`` by ``limit``, tickers by whether a symbol is named). The meter sums
them per caller in fixed windows of one wall-clock minute, as Binance does: the header says
how much of the current minute is used, and a request that would go past the limit is
refused with 429 and -1003 (and ``Retry-After``: the seconds to the next minute), adding
nothing. Every request counts against its client's address (an IPv6 client's /64), signed
or not, as on Binance, where request weight is per IP and only order counts are per account;
it is charged before the body is read or the key looked at, so a flood of bad requests is
limited too (``endpoint.py``).
"""

from __future__ import annotations

from collections.abc import Callable

from velox.binance.errors import BinanceError

MINUTE_MS = 60_000


class WeightMeter:
    def __init__(self, limit: int, clock: Callable[[], int]) -> None:
        """``limit`` per caller per minute (0: no limit); ``clock`` gives wall ms."""
        self.limit = limit
        self._clock = clock
        self._minute = -1
        self._used: dict[str, int] = {}
        # told of each charge (scale-out: the other gateways count it too)
        self.shared: Callable[[str, int], None] | None = None

    def charge(self, caller: str, weight: int) -> int:
        """Add ``weight`` for ``caller``; the minute's total, or BinanceError(-1003)."""
        now = self._clock()
        minute = now // MINUTE_MS
        if minute != self._minute:  # a new window: everyone starts again
            self._minute = minute
            self._used = {}
        used = self._used.get(caller, 0)
        if self.limit > 0 and used + weight > self.limit:
            retry = max(1, -(-(MINUTE_MS - now % MINUTE_MS) // 1000))
            raise BinanceError(
                -1003,
                f"Too many requests; current limit is {self.limit} request weight per 1 MINUTE. "
                "Please use the websocket for live updates to avoid polling the API.",
                headers={"Retry-After": str(retry), "X-MBX-USED-WEIGHT-1M": str(used)},
            )
        used += weight
        self._used[caller] = used
        if self.shared is not None:
            self.shared(caller, weight)
        return used

    def note(self, caller: str, weight: int) -> None:
        """Weight another gateway charged ``caller`` just now: one meter for the cluster, as
        Binance's is one per IP or key whichever server a request reaches."""
        now = self._clock()
        minute = now // MINUTE_MS
        if minute != self._minute:
            self._minute = minute
            self._used = {}
        self._used[caller] = self._used.get(caller, 0) + weight


def depth_weight(limit: int) -> int:
    """``GET /fapi/v1/depth``: 2 up to 50 levels, 5 for 100, 10 for 500, 20 for 1000."""
    if limit <= 50:
        return 2
    if limit <= 100:
        return 5
    if limit <= 500:
        return 10
    return 20


def klines_weight(limit: int) -> int:
    """``GET /fapi/v1/klines``: 1 under 100 rows, 2 under 500, 5 up to 1000, else 10."""
    if limit < 100:
        return 1
    if limit < 500:
        return 2
    if limit <= 1000:
        return 5
    return 10
