"""The hub's writer leaves the loop to the engine (issue 11 section 3, bench/hub.py).

Three rules of velox/web/ws/flush.py, each measured as the cause of a slow batch or a late
price with 2,000 sockets:
- a slice ends after ``WRITES_PER_SLICE`` socket writes, because uvloop makes the system
  calls after the slice, where the slice's clock does not see them (2,000 writes in one loop
  turn held the loop 12-14 ms);
- while one of the engine's batches is open (velox/foreground.py), the writer waits for it
  after a short slice instead of going on;
- a price pass takes the prices after computing the figures it carries, so the price a socket
  gets is the latest one when the writes begin, not one from before the figures.

The writer runs here against plain stand-ins for sockets and for the pusher: what is checked
is what the writer hands to each socket and when it yields.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from aiohttp.test_utils import TestClient

import velox.foreground as foreground_module
from velox.engine.state import Quote
from velox.foreground import MAX_WAIT_S, Foreground
from velox.money import SCALE, Price
from velox.store.sqlite import SqliteStore
from velox.web.keys import HUB, SERVICE, STORE
from velox.web.ws import flush
from velox.web.ws.conflate import PriceConflator
from velox.web.ws.flush import WRITES_PER_SLICE, Flusher

SOCKETS = 2 * WRITES_PER_SLICE + 50


class Socket:
    """A connection that records what it was handed."""

    def __init__(self, key: str | None, log: list[str]) -> None:
        self.follow_key = key
        self.got: list[dict[str, Any]] = []
        self._log = log

    def offer_all(self, messages: list[bytes], frames: bytes) -> bool:
        self.got.extend(json.loads(m) for m in messages)
        self._log.append(self.follow_key or "")
        return True


class Pushes:
    """A pusher with a fixed set of users due, each with one balance message."""

    def __init__(self, due: set[str], on_take: Any = None, moved: int = 0) -> None:
        self.due = set(due)
        self.on_take = on_take
        self.moved = {key: moved for key in due}  # trailing-mark updates waiting per user

    def plan(self, now: float, price_at: float | None = None) -> tuple[set[str], None]:
        ready, self.due = self.due, set()
        return ready, None

    def take(self, key: str, now: float, *, orders: bool = True) -> list[dict[str, Any]]:
        if self.on_take is not None:
            self.on_take()
        return (self.moved_orders(key) if orders else []) + [
            {"type": "balance", "data": {"user": key}}
        ]

    def moved_orders(self, key: str) -> list[dict[str, Any]]:
        return [{"type": "order_updated", "data": {"user": key}}] * self.moved.pop(key, 0)

    def wait(self, now: float, price_at: float | None = None) -> None:
        return None

    def clear(self) -> None:
        self.due.clear()


def quote(price: int) -> Quote:
    units = Price(price * SCALE)
    return Quote(units, units, units, 1_700_000_000_000 + price)


def writer(
    sockets: list[Socket], pushes: Pushes, foreground: Foreground | None = None
) -> tuple[Flusher, PriceConflator]:
    prices = PriceConflator(0.1)
    tabs: dict[str, list[Socket]] = {}
    for s in sockets:
        if s.follow_key is not None:
            tabs.setdefault(s.follow_key, []).append(s)
    flusher = Flusher(
        prices,
        pushes,  # type: ignore[arg-type]
        lambda: sockets,  # type: ignore[arg-type, return-value]
        lambda key: tabs.get(key, []),  # type: ignore[arg-type, return-value]
        lambda conn: None,
        foreground,
    )
    return flusher, prices


async def test_a_slice_ends_after_its_share_of_socket_writes() -> None:
    """Writes to a stand-in socket cost microseconds, so no slice runs out of time here:
    before, all of them went in one loop turn."""
    log: list[str] = []
    sockets = [Socket(None, log) for _ in range(SOCKETS)]
    flusher, prices = writer(sockets, Pushes(set()))
    prices.offer("BTCUSDT", quote(100_000))
    seen: list[int] = []

    async def watch() -> None:
        while len(log) < SOCKETS:
            seen.append(len(log))
            await asyncio.sleep(0)

    watcher = asyncio.create_task(watch())
    flusher.poke()
    await asyncio.wait_for(flusher.settled(), 5)
    await watcher
    steps = [b - a for a, b in zip(seen, [*seen[1:], SOCKETS], strict=True)]
    assert max(steps) <= WRITES_PER_SLICE, steps
    assert all(s.got[0]["data"]["bidPrice"] == "100000.00000000" for s in sockets)
    flusher.close()


async def test_the_writer_waits_for_an_open_batch(monkeypatch: Any) -> None:
    monkeypatch.setattr(foreground_module, "MAX_WAIT_S", 30.0)  # no give-up on a slow machine
    log: list[str] = []
    sockets = [Socket(None, log) for _ in range(SOCKETS)]
    foreground = Foreground()
    flusher, prices = writer(sockets, Pushes(set()), foreground)
    foreground.enter()  # a batch's commit has begun
    prices.offer("BTCUSDT", quote(100_000))
    flusher.poke()
    for _ in range(20):  # many loop turns, well inside MAX_WAIT_S
        await asyncio.sleep(0)
    first = len(log)
    assert 0 < first <= WRITES_PER_SLICE
    await asyncio.sleep(0.05)
    assert len(log) == first  # still waiting for the batch
    foreground.leave()  # revealed: the writer goes on
    await asyncio.wait_for(flusher.settled(), 5)
    assert len(log) == SOCKETS
    flusher.close()


async def test_a_batch_that_never_ends_holds_the_writer_for_max_wait_at_most() -> None:
    log: list[str] = []
    sockets = [Socket(None, log) for _ in range(SOCKETS)]
    foreground = Foreground()
    flusher, prices = writer(sockets, Pushes(set()), foreground)
    foreground.enter()  # and never left: a dead engine task
    prices.offer("BTCUSDT", quote(100_000))
    flusher.poke()
    await asyncio.wait_for(flusher.settled(), 10 * MAX_WAIT_S * SOCKETS / WRITES_PER_SLICE)
    assert len(log) == SOCKETS
    flusher.close()


async def test_a_price_pass_sends_the_price_offered_while_its_figures_were_computed(
    monkeypatch: Any,
) -> None:
    """The pusher's ``take`` (computing a user's figures) sees a newer tick arrive: the price
    written in that pass is the newer one, next to the figures, in the same write."""
    monkeypatch.setattr(flush, "SLICE_S", 0.0)  # yield at every look at the clock
    log: list[str] = []
    users = [f"u{i}" for i in range(8)]
    sockets = [Socket(u, log) for u in users] + [Socket(None, log) for _ in range(4)]
    prices_box: list[PriceConflator] = []

    def newer_tick() -> None:
        prices_box[0].offer("BTCUSDT", quote(100_001))

    flusher, prices = writer(sockets, Pushes(set(users), on_take=newer_tick))
    prices_box.append(prices)
    prices.offer("BTCUSDT", quote(100_000))
    flusher.poke()
    await asyncio.wait_for(flusher.settled(), 5)
    for s in sockets:
        assert s.got[0]["type"] == "price_update"
        assert s.got[0]["data"]["bidPrice"] == "100001.00000000", s.got
        if s.follow_key is not None:
            assert [m["type"] for m in s.got] == ["price_update", "balance"]
    assert len(log) == len(sockets)  # one write per socket: the figures rode with the price
    flusher.close()


async def test_trailing_mark_updates_follow_the_price_instead_of_holding_it() -> None:
    """A price pass writes the price (with each user's figures) to every socket first, then
    each user's ``order_updated`` for moved trailing marks: rendering them (one position
    each) never delays a price (bench/hub.py --trailing: tick-to-websocket)."""
    log: list[str] = []
    users = [f"u{i}" for i in range(8)]
    sockets = [Socket(u, log) for u in users] + [Socket(None, log) for _ in range(4)]
    flusher, prices = writer(sockets, Pushes(set(users), moved=2))
    prices.offer("BTCUSDT", quote(100_000))
    flusher.poke()
    await asyncio.wait_for(flusher.settled(), 5)
    for s in sockets:
        expected = ["price_update"]
        if s.follow_key is not None:
            expected += ["balance", "order_updated", "order_updated"]
        assert [m["type"] for m in s.got] == expected
    # every socket's price write, then one more write for each user with moved orders
    assert sorted(log[: len(sockets)]) == sorted(s.follow_key or "" for s in sockets)
    assert sorted(log[len(sockets) :]) == sorted(users)
    flusher.close()


async def test_velox_run_hands_the_engines_foreground_to_the_hub_and_its_sqlite_store(
    client: TestClient[Any, Any],
) -> None:
    """One foreground for the process: the hub's writer gives way to the engine's batches and
    to the SQLite store's reads (tests/store/test_sqlite_reads_foreground.py)."""
    store, service, hub = client.app[STORE], client.app[SERVICE], client.app[HUB]
    assert isinstance(store, SqliteStore)
    assert store.foreground is service.foreground
    assert hub.flusher._foreground is service.foreground
