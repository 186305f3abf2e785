"""Command line: ``velox run [flags]``, ``velox audit --db URL``, ``velox --version``, and the
scale-out roles ``velox engine --bus nats://... --db postgresql://...`` and ``velox gateway
--bus nats://... --db postgresql://... --port N`` (SPEC section 15, ``velox.web.roles``).

``run`` creates the data directory on first start (mode 0700) and logs to stderr and to
``<data-dir>/velox.log`` (rotating: 10 MB, 3 old files kept, created 0600). It is the
database's one writer: a second ``run`` on the same database exits with status 1, naming
the first. ``audit`` only reads, so it runs beside ``run``.
"""

from __future__ import annotations

import argparse
import asyncio
import errno
import gc
import logging
import logging.handlers
import os
import sqlite3
import sys
from collections.abc import Callable, Sequence
from io import TextIOWrapper
from pathlib import Path

from aiohttp import web

from velox import __version__
from velox.config import (
    SQLITE_FILE,
    OneLineParser,
    Settings,
    add_arguments,
    settings_from,
    settings_of,
)
from velox.paths import running_from_checkout
from velox.secretfile import SecretFileError, warn_if_loose
from velox.startcheck import StartCheckError, bind_failure, check_before_start, listen_url
from velox.store.base import StoreOpenError
from velox.store.factory import describe_database
from velox.store.unavailable import OneLine
from velox.unlisted import UnlistedAssets
from velox.vault import VaultError

LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
LOG_FILE = "velox.log"
LOG_MAX_BYTES = 10 * 1024 * 1024
LOG_BACKUPS = 3


def _parser() -> argparse.ArgumentParser:
    """``velox --help`` lists the commands; each command's ``--help`` only the settings it
    reads (``config.settings_of``). The roles accept each other's flags unlisted, so one
    command line or unit template serves both; ``audit`` takes its own flags only."""
    parser = OneLineParser(
        prog="velox", description="Velox: self-hosted real-time leveraged CFD trading."
    )
    parser.add_argument("--version", action="version", version=f"velox {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    every = settings_of("run")
    add_arguments(commands.add_parser("run", help="serve the platform (the default)"))
    add_arguments(
        commands.add_parser("audit", help="verify the journal, snapshots and ledger"),
        settings_of("audit"),
    )
    for role, text in ROLES.items():
        shown = settings_of(role)
        add_arguments(commands.add_parser(role, help=text), shown, hidden=every - shown)
    return parser


ROLES = {
    "engine": "scale-out: the one engine (feed, journal) on --bus; /healthz on --port",
    "gateway": "scale-out: HTTP and websockets on --port, via --bus",
}


def main(argv: Sequence[str] | None = None) -> int:
    args_list = list(sys.argv[1:] if argv is None else argv)
    if args_list and args_list[0] in ("-h", "--help"):  # the commands, not run's flags
        _parser().print_help()
        return 0
    if not args_list or (args_list[0].startswith("--") and args_list[0] != "--version"):
        args_list.insert(0, "run")
    args = _parser().parse_args(args_list)
    settings = settings_from(args, used=settings_of(args.command or "run"))
    settings = settings.with_(data_dir=str(Path(settings.data_dir).expanduser()))
    logging.basicConfig(level=settings.log_level.upper(), format=LOG_FORMAT)
    # aiosqlite logs SQL parameters at DEBUG (password and token hashes): never let it.
    logging.getLogger("aiosqlite").setLevel(max(logging.INFO, logging.root.level))
    logging.getLogger("asyncpg.pool").addFilter(OneLine())  # no traceback per reconnect
    try:
        check_before_start(settings, args.command or "run")
        if args.command == "audit":
            return asyncio.run(_audit(settings))
        if args.command in ("engine", "gateway"):
            return _run_role(settings, args.command)
        return _run(settings)
    # e.g. a second writer, a port in use, positions on a symbol no longer listed
    except (StoreOpenError, SecretFileError, VaultError, StartCheckError, UnlistedAssets) as exc:
        print(f"velox: {exc}", file=sys.stderr)
        return 1
    # a SQLite file damaged past its first page (a restore over a stale -wal) fails at its
    # first read of a damaged page, in the journal replay or the audit: the same one line
    except sqlite3.DatabaseError as exc:
        from velox.store.opening import database_error, is_damage

        if not is_damage(exc):
            raise
        print(f"velox: {database_error(settings.db_url, exc)}", file=sys.stderr)
        return 1
    except ImportError as exc:
        if running_from_checkout():
            raise
        # The usual cause: a single-file build run by another Python than it was built for.
        raise SystemExit(
            f"velox: cannot import {exc.name or 'a dependency'}: {exc}\n"
            f"This is Python {sys.version_info[0]}.{sys.version_info[1]}; a single-file velox "
            "(make dist) carries compiled dependencies for the Python version and platform it "
            "was built with. Rebuild it with this Python, or install with pipx."
        ) from exc


async def _audit(settings: Settings) -> int:
    from velox.audit import audit
    from velox.store.factory import open_store_for
    from velox.store.opening import open_or_explain

    store = open_store_for(settings.db_url)
    # beside a running engine: no lock, no write
    await open_or_explain(store, settings.db_url, writer=False)
    try:
        report = await audit(store, settings.engine_settings())
    finally:
        await store.close()
    print(report.summary())
    return 0 if report.ok else 1


def prepare_data_dir(path: Path) -> Path:
    """Create the data directory on first run, readable by its owner only (0700)."""
    try:
        if not path.is_dir():
            path.parent.mkdir(parents=True, exist_ok=True)
            try:
                path.mkdir(mode=0o700)
            except FileExistsError:
                if not path.is_dir():
                    raise
            else:
                path.chmod(0o700)  # mkdir's mode goes through the umask
    except OSError as exc:
        raise SystemExit(f"velox: cannot create the data directory {path}: {exc}") from exc
    return path


class PrivateRotatingFileHandler(logging.handlers.RotatingFileHandler):
    """A rotating log whose files are created 0600 (they name users and orders).

    A record it cannot write (a full disk) is said once on stderr, in one line, and again
    once it can write: logging's default printed "--- Logging error ---" and a traceback
    for every record, burying the console's own copy of each line."""

    failing: str | None = None  # why records cannot be written, once said; None: they can
    _failed_now = False

    def _open(self) -> TextIOWrapper:
        fd = os.open(self.baseFilename, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        return open(fd, "a", encoding=self.encoding, errors=self.errors)

    def emit(self, record: logging.LogRecord) -> None:
        self._failed_now = False
        super().emit(record)  # a failure calls handleError
        if self.failing is not None and not self._failed_now:
            self.failing = None
            print(f"velox: the log file {self.baseFilename} works again", file=sys.stderr)

    def handleError(self, record: logging.LogRecord) -> None:
        error = sys.exc_info()[1]
        if not isinstance(error, OSError):
            super().handleError(record)  # a bug (a bad format string): the traceback helps
            return
        self._failed_now = True
        if self.failing != str(error):
            self.failing = str(error)
            print(
                f"velox: cannot write the log file {self.baseFilename}: {error} "
                "(said once; the console has every line)",
                file=sys.stderr,
            )


def add_log_file(data_dir: Path) -> Path:
    """Log to ``<data_dir>/velox.log`` as well as stderr."""
    path = data_dir / LOG_FILE
    try:
        handler = PrivateRotatingFileHandler(
            path, maxBytes=LOG_MAX_BYTES, backupCount=LOG_BACKUPS, encoding="utf-8"
        )
    except OSError as exc:
        raise SystemExit(f"velox: cannot open the log file {path}: {exc}") from exc
    handler.setFormatter(logging.Formatter(LOG_FORMAT))
    logging.getLogger().addHandler(handler)
    return path


def _run(settings: Settings) -> int:
    from velox.web.app import create_app
    from velox.web.fatal import exit_status, exit_when_the_engine_fails
    from velox.web.secret_checks import defer_secret_file, write_secret_later

    data_dir = prepare_data_dir(Path(settings.data_dir))
    log_file = add_log_file(data_dir)
    warn_if_loose(data_dir, 0o700)  # it holds the database, secrets and the log
    logging.getLogger("velox").info(
        "Velox %s: data directory %s, log file %s, database %s",
        __version__, data_dir.resolve(), log_file.resolve(), describe_database(settings.db_url),
    )  # fmt: skip
    warn_of_sqlite_left_behind(data_dir, settings.db_url)
    # a session secret generated now is written only once the start has gone through
    settings, new_secret = defer_secret_file(settings)
    app = create_app(settings)
    if new_secret is not None:
        write_secret_later(app, new_secret)
    tune_gc(app)
    app.on_startup.append(exit_when_the_engine_fails)
    serve(app, settings, lambda url: f"Velox {__version__} is running at {url}")
    return exit_status(app)


def warn_of_sqlite_left_behind(data_dir: Path, db_url: str) -> None:
    """One WARNING when a PostgreSQL start leaves a SQLite database in the data directory:
    an operator moving a deployment to PostgreSQL found an empty database, in silence.
    Velox has no migration from one to the other (README: PostgreSQL)."""
    left = data_dir / SQLITE_FILE
    if db_url.startswith(("postgresql://", "postgres://")) and left.exists():
        logging.getLogger("velox").warning(
            "the data directory holds a SQLite database, %s, which this start ignores: it uses "
            "%s (--db), and Velox has no migration from SQLite to PostgreSQL, so the users, "
            "accounts and positions in that file are not in this database (to keep them, "
            "start with --db sqlite:///%s again; README: PostgreSQL)",
            left.resolve(), describe_database(db_url), left.resolve(),
        )  # fmt: skip


def _run_role(settings: Settings, role: str) -> int:
    from velox.web.fatal import exit_status, exit_when_the_engine_fails
    from velox.web.roles import engine_app, gateway_app

    data_dir = prepare_data_dir(Path(settings.data_dir))
    log_file = add_log_file(data_dir)
    warn_if_loose(data_dir, 0o700)  # it holds the database, secrets and the log
    logging.getLogger("velox").info(
        "Velox %s %s: bus %s, data directory %s, log file %s, database %s",
        __version__, role, settings.bus_prefix, data_dir.resolve(), log_file.resolve(),
        describe_database(settings.db_url),
    )  # fmt: skip
    if role == "engine":  # the database's writer, as velox run
        warn_of_sqlite_left_behind(data_dir, settings.db_url)
    app = engine_app(settings) if role == "engine" else gateway_app(settings)
    tune_gc(app)
    app.on_startup.append(exit_when_the_engine_fails)
    serve(app, settings, lambda url: f"Velox {__version__} {role} is running at {url}")
    return exit_status(app)


def serve(app: web.Application, settings: Settings, banner: Callable[[str], str]) -> None:
    """Run ``app`` on --host/--port until a signal, announcing ``banner(url)``, within
    --max-connections-per-ip and --first-request-timeout (``velox.web.connections``). The
    port was probed free before start (``velox.startcheck``); one taken in between still
    ends in one line naming it."""
    from velox.web.connections import ConnectionCap
    from velox.web.serving import serve_app

    log = logging.getLogger("velox")

    async def stopping(_: web.Application) -> None:
        log.info("Velox stopping: closing connections, then the engine")

    app.on_shutdown.insert(0, stopping)
    cap = ConnectionCap(
        settings.max_connections_per_ip,
        settings.first_request_timeout,
        settings.trusted_proxies,
    )
    try:
        serve_app(
            app,
            event_loop(),
            host=settings.host,
            port=settings.port,
            cap=cap,
            # with --port 0 the port the system picked
            announce=lambda port: print(banner(listen_url(settings.host, port)), flush=True),
        )
    except OSError as exc:
        if exc.errno not in (errno.EADDRINUSE, errno.EADDRNOTAVAIL, errno.EACCES):
            raise
        raise StartCheckError(bind_failure(settings.host, settings.port, exc)) from exc
    log.info("Velox stopped")


def event_loop() -> asyncio.AbstractEventLoop:
    """uvloop where it is installed (Linux and macOS): sockets and timers run in libuv,
    which takes Python out of the HTTP path's event loop (BENCHMARKS.md, HTTP); else the
    standard loop."""
    try:
        import uvloop
    except ImportError:
        return asyncio.new_event_loop()
    return uvloop.new_event_loop()


def tune_gc(app: web.Application) -> None:
    """Keep garbage-collection pauses out of order latency.

    The engine holds many long-lived objects (positions, trigger-heap entries); full
    collections walking them showed up as 40-70 ms latency spikes under load. Everything
    alive once the journal is replayed is frozen out of collection (after a collection: what
    is frozen is never collected, garbage included), and young collections run less often.
    Only at start-up: freezing after every snapshot also froze the closed sockets' cycles
    that no collection had reached yet, about 10 KB per closed websocket, without end.
    """

    async def freeze(_: web.Application) -> None:
        gc.collect()
        gc.freeze()

    gc.set_threshold(50_000, 50, 100)
    app.on_startup.append(freeze)


if __name__ == "__main__":
    raise SystemExit(main())
