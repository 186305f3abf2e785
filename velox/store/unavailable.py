"""Which exceptions mean "the database cannot be reached or cannot write", not "a bug".

A request that fails because PostgreSQL refuses connections or a disk is full is an outage
the client should retry (503), and the operator should see as one line; a bug is a 500 with
a traceback. The drivers' store-level errors are told apart here, in the one module that
knows both drivers (nothing outside ``velox/store/`` should name asyncpg or sqlite3):

- asyncpg: SQLSTATE classes 08 (connection), 53 (insufficient resources: disk full, too many
  connections), 55 (object state: "database is not accepting connections"), 57 (operator
  intervention: shutdown, "cannot connect now"), 58 (system: I/O error), 3D000 (the database
  is gone), 25006 (read-only transaction, a standby) and a closed connection;
- sqlite3: SQLITE_BUSY, READONLY, IOERR, FULL and CANTOPEN (the primary result code);
- an ``OSError`` of the network or the disk (refused, reset, unreachable, no space...), raised
  through the store or a driver: the same errno from a mail server is not the database's;
- a ``TimeoutError`` raised through the store or a driver: a database that accepts TCP but
  never answers (hung, a half-open partition, a stuck proxy) ends asyncpg's connect, its
  commands (``command_timeout``) and a pool's acquire that way. On Python 3.11 it is an
  ``OSError`` with no errno, and no ``ConnectionError``.
"""

from __future__ import annotations

import errno
import logging
import socket
import sqlite3
from types import TracebackType

import asyncpg  # type: ignore[import-untyped, unused-ignore]  # no stubs shipped

_PG_CLASSES = ("08", "53", "55", "57", "58")
_PG_STATES = ("3D000", "25006")
_SQLITE_CODES = frozenset({5, 8, 10, 13, 14})  # BUSY, READONLY, IOERR, FULL, CANTOPEN
_OS_ERRNOS = frozenset({
    errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EIO, errno.ETIMEDOUT,
    errno.EHOSTUNREACH, errno.ENETUNREACH, errno.ENETDOWN,
})  # fmt: skip
_STORE_MODULES = ("velox.store.", "velox.bus.store", "asyncpg", "aiosqlite", "sqlite3")


def unavailable(exc: BaseException) -> bool:
    """True when ``exc`` says the database cannot be reached or cannot write right now."""
    if isinstance(exc, asyncpg.PostgresError):
        state = str(getattr(exc, "sqlstate", "") or "")
        return state.startswith(_PG_CLASSES) or state in _PG_STATES
    if isinstance(exc, asyncpg.InterfaceError):
        return "closed" in str(exc)  # "connection is closed", "pool is closing/closed"
    if isinstance(exc, sqlite3.Error):
        code = getattr(exc, "sqlite_errorcode", None)
        return code is not None and code & 0xFF in _SQLITE_CODES
    if isinstance(exc, OSError):
        network = isinstance(exc, ConnectionError | TimeoutError | socket.gaierror)
        return (network or exc.errno in _OS_ERRNOS) and _through_store(exc.__traceback__)
    return False


def reason(exc: BaseException) -> str:
    """The one line the log gives the cause: the driver's message, or the type's name."""
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__


def _through_store(tb: TracebackType | None) -> bool:
    while tb is not None:
        module = str(tb.tb_frame.f_globals.get("__name__", ""))
        if module.startswith(_STORE_MODULES):
            return True
        tb = tb.tb_next
    return False


class OneLine(logging.Filter):
    """A record's traceback folded into its one line: asyncpg's pool logs a traceback at each
    failed attempt to reconnect, every few seconds for as long as the database is away."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        if exc is not None:
            record.msg, record.args = f"{record.getMessage()} ({reason(exc)})", None
            record.exc_info, record.exc_text = None, None
        return True
