"""Open a store at start, or say in one line why not.

A database Velox cannot open (PostgreSQL down or on another port, a database that does not
exist, a wrong password, a SQLite file whose directory cannot be created) ended the start in
a 50-line traceback from inside the driver. Whatever the driver or the system raises while
opening becomes a ``StoreOpenError`` naming the database (its URL, less any password) and the
reason, which the command line prints as ``velox: cannot open the database ...`` before
exiting with status 1, as it does for a data directory it cannot create.

A SQLite file that opens but is damaged further in (a velox.db restored over a stale
``velox.db-wal``, which SQLite then replays into it) raises ``sqlite3.DatabaseError``
("database disk image is malformed") only at the first read of a damaged page: the journal
replay at start, or ``velox audit``. ``database_error`` makes the same line of it, wherever
in the start it comes (``velox.cli``).
"""

from __future__ import annotations

import sqlite3
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import asyncpg  # type: ignore[import-untyped, unused-ignore]  # no stubs shipped

from velox.store.base import Store, StoreOpenError

_DRIVER_ERRORS = (OSError, asyncpg.PostgresError, asyncpg.InterfaceError, sqlite3.Error)


async def open_or_explain(store: Store, url: str, *, writer: bool = True) -> None:
    """``store.open(writer=writer)``; a driver's or the system's error as ``StoreOpenError``."""
    try:
        await store.open(writer=writer)
    except StoreOpenError:
        raise  # already one line (another writer, a newer schema, no database to read)
    except _DRIVER_ERRORS as exc:
        raise database_error(url, exc) from exc


def database_error(url: str, exc: BaseException) -> StoreOpenError:
    """``cannot open the database <url less any password>: <reason>``."""
    why = str(exc) or type(exc).__name__
    return StoreOpenError(f"cannot open the database {without_password(url)}: {why}")


def is_damage(exc: BaseException) -> bool:
    """A SQLite error that says the database cannot be used (damaged, not a database, an I/O
    error, locked past the busy timeout), rather than a statement's mistake (a constraint,
    a misuse: bugs, whose traceback helps)."""
    return isinstance(exc, sqlite3.DatabaseError) and not isinstance(
        exc, (sqlite3.IntegrityError, sqlite3.ProgrammingError)
    )


def without_password(url: str) -> str:
    """``url`` as it may be shown: no password in the user part nor in the query (a SQLite
    URL, which has neither, as it is)."""
    if not url.startswith(("postgresql://", "postgres://")):
        return url
    parts = urlsplit(url)
    userinfo, at, hosts = parts.netloc.rpartition("@")
    netloc = f"{userinfo.partition(':')[0]}@{hosts}" if at else parts.netloc
    query = urlencode([(k, v) for k, v in parse_qsl(parts.query) if k.lower() != "password"])
    return urlunsplit(parts._replace(netloc=netloc, query=query))
