"""Choose a store from a URL, so the rest of Velox only ever sees ``Store``.

``sqlite:///data/velox.db`` is relative to the working directory and ``sqlite:////var/x.db``
absolute (SQLAlchemy's convention); ``postgresql://`` and ``postgres://`` go to asyncpg as they
are. The store comes back unopened: ``await store.open()`` connects as the database's one
writer and applies the schema; ``await store.open(writer=False)`` only reads.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

from velox.store.base import Store
from velox.store.postgres import PostgresStore
from velox.store.sqlite import SqliteStore

_SQLITE_PREFIX = "sqlite:///"
_POSTGRES_SCHEMES = ("postgresql://", "postgres://")


def open_store_for(url: str) -> Store:
    """An unopened store for ``url``; ValueError for any other kind of URL."""
    if url.startswith(_SQLITE_PREFIX):
        path = url[len(_SQLITE_PREFIX) :]
        if not path:
            raise ValueError("no database file in the URL: use sqlite:///path/to/velox.db")
        return SqliteStore(path)
    if url.startswith(_POSTGRES_SCHEMES):
        return PostgresStore(url)
    # Name only the scheme: the rest of a URL may carry a password.
    scheme = url.partition(":")[0]
    raise ValueError(
        f"unsupported database URL scheme {scheme!r}: use sqlite:///PATH or postgresql://"
    )


def describe_database(url: str) -> str:
    """The database as the start-up log names it: a SQLite file by its absolute path (so a
    ``sqlite:///var/lib/velox.db`` meant as absolute shows where it really went, under the
    working directory), a PostgreSQL one by user, host and database, never its password."""
    if url.startswith(_SQLITE_PREFIX):
        path = url[len(_SQLITE_PREFIX) :]
        if path == ":memory:":
            return "SQLite in memory"
        return f"SQLite {Path(path).resolve()}"
    if url.startswith(_POSTGRES_SCHEMES):
        # the netloc as written, less the password: asyncpg takes a list of hosts
        # ("h1:5432,h2:5432", a primary and a standby), which urlsplit's port cannot read;
        # the query (it may hold a password) is left out
        parts = urlsplit(url)
        userinfo, at, hosts = parts.netloc.rpartition("@")
        user = f"{userinfo.partition(':')[0]}@" if at and userinfo else ""
        return f"PostgreSQL {user}{hosts or 'localhost'}{parts.path}"
    return "unsupported database"
