"""A SQLite read is foreground work (velox/foreground.py): the hub's writer gives way to it.

A read runs on one of aiosqlite's reader threads, which needs the GIL to start and to hand
its rows back; with 2,000 sockets the hub's writer kept the loop busy and a close's read of
its order row waited up to 20 ms (bench/hub.py: close p99 16 ms at the handler, 4.9 ms once
reads were foreground). Checked here as what the foreground sees, not timed."""

from __future__ import annotations

import pytest

from velox.foreground import Foreground
from velox.store.sqlite import SqliteStore


class Watched(Foreground):
    """Records, at each ``enter`` and ``leave``, whether work was already under way."""

    def __init__(self) -> None:
        super().__init__()
        self.seen: list[tuple[str, bool]] = []

    def enter(self) -> None:
        self.seen.append(("enter", self.busy))
        super().enter()

    def leave(self) -> None:
        super().leave()
        self.seen.append(("leave", self.busy))


async def test_a_read_is_foreground_from_its_start_to_its_rows(sqlite_store: SqliteStore) -> None:
    watched = Watched()
    sqlite_store.foreground = watched
    assert await sqlite_store.last_seq() == 0
    assert watched.seen == [("enter", False), ("leave", False)]
    assert not watched.busy


async def test_a_failed_read_still_leaves(sqlite_store: SqliteStore) -> None:
    watched = Watched()
    sqlite_store.foreground = watched
    with pytest.raises(Exception):  # noqa: B017 - sqlite3's own error for bad SQL
        await sqlite_store._fetch("SELECT no_such_column FROM journal")
    assert watched.seen == [("enter", False), ("leave", False)]
