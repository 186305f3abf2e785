"""Reads a client can ask for at will run in the side lane: after every other read, and on
SQLite never on the last free reader.

Why: a websocket's ``{"op": "account"}`` reads the account's row, and a client may send it
as fast as its socket takes messages. On SQLite the reads share a pool of two connections,
so a flood of them filled the pool, and the order path's reads (a close reads its order's
row) and the database probe's ``SELECT 1`` waited behind it (an open and close of another
user took 36-60 s; the probe timed out and ``/healthz`` said the database was down). Reads
made inside ``side_lane()`` wait for every read outside it (the probe's, the order path's, a
sign-in's) and use at most all readers but one (``SqliteStore``, ``ReaderPool``).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

_SIDE: ContextVar[bool] = ContextVar("velox_side_lane", default=False)


@contextmanager
def side_lane() -> Iterator[None]:
    """Reads of the current task inside this block go in the side lane."""
    token = _SIDE.set(True)
    try:
        yield
    finally:
        _SIDE.reset(token)


def in_side_lane() -> bool:
    return _SIDE.get()
