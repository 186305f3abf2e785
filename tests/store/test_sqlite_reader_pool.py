"""SQLite's readers are handed out first come, first served, and a side-lane read (a
websocket's, velox/store/lanes.py) never holds the last free one (velox/store/reader_pool.py).

Checked by counting, not timing: how many reads of a flood went by while another read
waited, and whether a read gets through while the side lane's reads cannot finish."""

from __future__ import annotations

import asyncio
import threading

from velox.store.lanes import side_lane
from velox.store.reader_pool import ReaderPool
from velox.store.sqlite import SqliteStore

FLOODERS = 3  # more than the store's two readers
ROUNDS = 200


async def test_a_read_is_not_starved_by_tasks_that_read_back_to_back(
    sqlite_store: SqliteStore,
) -> None:
    # A websocket handler gives its reader back and asks again at once, without yielding
    # (its client's next message is already buffered): with asyncio.Queue it always got
    # the reader back before the waiter woke, and the probe's ping waited for the flood.
    done = 0

    async def flood() -> None:
        nonlocal done
        for _ in range(ROUNDS):
            await sqlite_store._fetch("SELECT 1")
            done += 1

    floods = [asyncio.create_task(flood()) for _ in range(FLOODERS)]
    while done < 10:
        await asyncio.sleep(0)
    before = done
    await sqlite_store.ping()
    passed = done - before
    await asyncio.gather(*floods)
    assert passed <= 2 * FLOODERS, f"{passed} flood reads went ahead of the ping"


async def test_side_lane_reads_leave_a_reader_to_the_others(sqlite_store: SqliteStore) -> None:
    release = threading.Event()

    def hold() -> int:  # a read that cannot finish until the test says so
        release.wait(10)
        return 1

    for reader in sqlite_store._readers:
        await reader.create_function("hold", 0, hold)

    async def side_read() -> None:
        with side_lane():
            await sqlite_store._fetch("SELECT hold()")

    side = [asyncio.create_task(side_read()) for _ in range(FLOODERS)]
    await asyncio.sleep(0.05)
    try:
        async with asyncio.timeout(5):  # a failure detector only: the ping is not timed
            await sqlite_store.ping()  # what the database probe and the order path do
            assert await sqlite_store.last_seq() == 0
    finally:
        release.set()
        await asyncio.gather(*side)


async def test_the_pool_serves_others_before_side_reads_and_survives_cancellation() -> None:
    pool: ReaderPool[str] = ReaderPool(["a", "b"])
    assert pool.side_limit == 1
    first = await pool.take(side=True)
    other = await pool.take()
    side_waiter = asyncio.create_task(pool.take(side=True))  # over the side lane's one
    main_waiter = asyncio.create_task(pool.take())
    cancelled = asyncio.create_task(pool.take())
    await asyncio.sleep(0)
    cancelled.cancel()
    await asyncio.sleep(0)
    pool.give_back(first, side=True)  # to the read outside the side lane, not the side's
    assert await main_waiter == first
    assert not side_waiter.done()
    pool.give_back(other)
    assert await side_waiter == other
    pool.give_back(first)
    pool.give_back(other, side=True)
    assert sorted([await pool.take(), await pool.take()]) == ["a", "b"]
    assert pool.waiting == 0
