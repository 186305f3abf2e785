"""The one tick type every feed yields, and the Feed protocol the app runs."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Protocol

from velox.frozen import frozen


@frozen
class FeedTick:
    """A trade and/or a best bid/ask for one Velox symbol (e.g. "BTCUSDT").

    Prices and quantities are integer units of 10^-8, parsed from the exchange's strings.
    ``received_ms`` is the local receive time in engine time (``Clock.now_ms``).
    ``exchange_ms`` is the exchange's own clock: it files a trade into its candle but never
    orders ticks, since two clocks (or a simulator's and an exchange's) do not agree. Order
    within one ``source`` comes from the exchange's ids: ``trade_id`` for trades, ``update_id``
    (a book ticker's ``u``) for book updates. ``connection`` numbers the source's connections
    (a websocket feed counts them from 1): a new number means the stream restarted and may
    have missed trades, so the candle history behind it needs filling.
    """

    symbol: str
    received_ms: int
    trade_price: int | None = None
    trade_qty: int | None = None
    trade_id: int | None = None
    exchange_ms: int | None = None
    bid: int | None = None
    ask: int | None = None
    update_id: int | None = None
    source: str = ""  # the feed that made it ("binance", "sim", ...): ids compare within one
    connection: int = 0


# A sink answers True when the tick reached the engine and False when it did not (a late
# tick, one without a price): a feed's freshness (``last_tick_ms``, its stall detector)
# counts only the former, so a feed whose every tick is dropped is seen as stalled.
TickSink = Callable[[FeedTick], Awaitable[bool]]


class Feed(Protocol):
    """A source of ticks. ``run`` loops until cancelled, reconnecting as needed. A feed that
    plays trades from the past (the replay feed) says so with a class attribute ``recorded =
    True``: the trade writer then files its trades whatever their age (live trades more than
    an hour old are taken for misdated, ``velox.market.plausible``)."""

    name: str

    @property
    def simulated(self) -> bool:
        """True when the prices are not from a real exchange (UI shows a banner)."""

    async def run(self, sink: TickSink) -> None: ...


class MonitoredFeed(Feed, Protocol):
    """A Feed that also reports its health (for /healthz). Every Velox feed satisfies it.

    ``last_tick_ms`` maps a symbol to the receive time (engine time) of its last tick that
    reached the engine (its sink answered True);
    ``connected`` is True while the source is up (a websocket open, the simulator or a replay
    running).
    """

    last_tick_ms: dict[str, int]

    @property
    def connected(self) -> bool: ...
