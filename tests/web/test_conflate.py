"""When a price may go out (velox/web/ws/conflate.py): each symbol at most once per interval,
each socket at most two price writes per interval, and a tick never held for another
symbol's window. Times are seconds on the flusher's clock; the interval is 100 ms."""

from __future__ import annotations

from velox.engine.state import Quote
from velox.money import SCALE, Price
from velox.web.ws.conflate import PriceConflator

INTERVAL = 0.1


def q(price: int) -> Quote:
    units = Price(price * SCALE)
    return Quote(units, units, units, price)


def send(c: PriceConflator, now: float, ends: float | None = None) -> list[str]:
    """Take what may go at ``now`` and finish the send at ``ends`` (at once by default)."""
    taken = c.take(now)
    if taken is None:
        return []
    c.done(now if ends is None else ends)
    return sorted(taken)


def test_symbols_ticking_in_turn_each_go_at_once() -> None:
    """The simulator's three symbols, 5 ticks a second each, evenly spaced (67 ms apart):
    each tick may go when it arrives. With one window for all symbols (before), ETH waited
    until 100 ms after BTC's send and SOL until 200 ms."""
    c = PriceConflator(INTERVAL)
    at = 0.0
    for _ in range(3):
        for symbol in ("BTCUSDT", "ETHUSDT", "SOLUSDT"):
            c.offer(symbol, q(100))
            assert c.wait(at) == 0.0, (symbol, at)
            assert send(c, at) == [symbol]
            at += 1 / 15


def test_a_symbol_waits_for_its_own_window() -> None:
    c = PriceConflator(INTERVAL)
    c.offer("BTCUSDT", q(100))
    assert send(c, 0.0) == ["BTCUSDT"]
    c.offer("BTCUSDT", q(101))
    assert c.wait(0.06) == INTERVAL - 0.06
    assert send(c, 0.0999) == []
    assert c.take(0.1) == {"BTCUSDT": q(101)}  # the latest quote, once


def test_a_window_counts_from_the_end_of_the_send() -> None:
    """A send that took 30 ms to write every socket: the symbol's next send waits 100 ms
    from its end, not from its start."""
    c = PriceConflator(INTERVAL)
    c.offer("BTCUSDT", q(100))
    assert send(c, 0.0, ends=0.03) == ["BTCUSDT"]
    c.offer("BTCUSDT", q(101))
    assert c.wait(0.1) == 0.03
    assert send(c, 0.129) == [] and send(c, 0.13) == ["BTCUSDT"]


def test_sends_are_at_least_half_an_interval_apart() -> None:
    """Another symbol falling due just after a send waits for half an interval: at most
    twenty price writes a second per socket however the symbols' windows fall."""
    c = PriceConflator(INTERVAL)
    c.offer("BTCUSDT", q(100))
    assert send(c, 0.0) == ["BTCUSDT"]
    c.offer("ETHUSDT", q(3000))
    assert c.wait(0.01) == INTERVAL / 2 - 0.01
    assert send(c, 0.049) == [] and send(c, 0.05) == ["ETHUSDT"]


def test_a_busy_feed_sends_every_symbol_together_once_per_interval() -> None:
    """Every symbol always pending (bench/hub.py: 50 ticks a second on each): one send per
    interval carrying all three, as before the windows were per symbol. (An interval of
    1/8 s and steps of 1/64 s: binary fractions, so each window ends exactly on a step.)"""
    c = PriceConflator(1 / 8)
    sends: list[tuple[float, list[str]]] = []
    for step in range(64):  # one second
        now = step / 64
        for symbol in ("BTCUSDT", "ETHUSDT", "SOLUSDT"):
            c.offer(symbol, q(100 + step))
        sent = send(c, now)
        if sent:
            sends.append((now, sent))
    assert [t for t, _ in sends] == [i / 8 for i in range(8)]
    assert all(s == ["BTCUSDT", "ETHUSDT", "SOLUSDT"] for _, s in sends)
    assert c.sent == 8


def test_nothing_pending_waits_for_nothing() -> None:
    c = PriceConflator(INTERVAL)
    assert c.wait(0.0) is None and c.take(0.0) is None
    c.offer("BTCUSDT", q(100))
    c.clear()
    assert c.wait(0.0) is None
