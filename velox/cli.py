"""Command line: ``velox run [flags]``, ``velox audit --db URL``, ``velox --version``."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Sequence

from velox import __version__
from velox.config import Settings, add_arguments, settings_from


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="velox", description="Velox: self-hosted real-time leveraged CFD trading."
    )
    parser.add_argument("--version", action="version", version=f"velox {__version__}")
    commands = parser.add_subparsers(dest="command")
    add_arguments(commands.add_parser("run", help="serve the platform (the default)"))
    add_arguments(commands.add_parser("audit", help="verify the journal, snapshots and ledger"))
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args_list = list(sys.argv[1:] if argv is None else argv)
    if not args_list or (args_list[0].startswith("--") and args_list[0] != "--version"):
        args_list.insert(0, "run")
    if args_list and args_list[0] in ("-h", "--help"):
        _parser().print_help()
        return 0
    args = _parser().parse_args(args_list)
    settings = settings_from(args)
    logging.basicConfig(
        level=settings.log_level.upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    # aiosqlite logs SQL parameters at DEBUG (password and token hashes): never let it.
    logging.getLogger("aiosqlite").setLevel(max(logging.INFO, logging.root.level))
    if args.command == "audit":
        return asyncio.run(_audit(settings))
    return _run(settings)


async def _audit(settings: Settings) -> int:
    from velox.audit import audit
    from velox.store.factory import open_store_for

    store = open_store_for(settings.db_url)
    await store.open()
    try:
        report = await audit(store, settings.engine_settings())
    finally:
        await store.close()
    print(report.summary())
    return 0 if report.ok else 1


def _run(settings: Settings) -> int:
    from aiohttp import web

    from velox.web.app import create_app

    app = create_app(settings)
    url = f"http://{settings.host}:{settings.port}/"
    web.run_app(
        app,
        host=settings.host,
        port=settings.port,
        print=lambda _: print(f"Velox {__version__} is running at {url}", flush=True),
        access_log=None,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
