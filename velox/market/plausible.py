"""Whether a trade's exchange time is plausible when it arrives, before it is filed in a candle.

Candles are kept forever and filed at the exchange's time, so one trade stamped in 2036, 1970
or the year 5138 (a feed's bug, a corrupt message) made a permanent candle there; a future one
also became the newest candle of its series, and a chart, which takes no update older than
its last bar, stopped moving. The price itself still reaches the engine, which stamps it with
its own receive time: only the candle filing is judged here.

The exchange's clock is compared with the local wall clock (``Clock.wall_ms``: exchange times
are absolute; engine time lags the wall clock after a suspended VM resumes):

- at most ``AHEAD_MS`` (1 minute) ahead: a live trade arrives after it happened, so only
  clock error makes one look ahead, and a minute absorbs any clock kept by NTP;
- at most ``BEHIND_MS`` (1 hour) behind: exchange streams deliver trades within seconds,
  and a reconnected stream starts at the present (Binance and Backpack replay nothing), so
  a trade is late only by network delay, a burst the feed is still reading, or a local clock
  that runs fast. An hour keeps all of those; the candles of a longer outage come from the
  exchange's klines (chart history), not from late trades. A recorded file (the replay feed)
  is behind by design and is judged on ``AHEAD_MS`` alone (``behind_ms=None``).
"""

from __future__ import annotations

AHEAD_MS = 60_000
BEHIND_MS = 3_600_000


def misdated(exchange_ms: int, wall_ms: int, behind_ms: int | None = BEHIND_MS) -> bool:
    """True when ``exchange_ms`` is more than ``AHEAD_MS`` after ``wall_ms``, or more than
    ``behind_ms`` before it (None: no bound behind)."""
    if exchange_ms - wall_ms > AHEAD_MS:
        return True
    return behind_ms is not None and wall_ms - exchange_ms > behind_ms
