"""A schema-version-2 database written by an older Velox, rebuilt from a committed dump.

``fixtures/v2_fd98ac7.json`` holds every row (but market data) of a database Velox fd98ac7 wrote
(``fixtures/make_v2_fd98ac7.sh`` says how): its snapshots hold positions of 19 fields and no
funding boundary refs, and it has no deposits table. Loading it into a new store of either
kind and recording schema version 2 gives the database an operator upgrades, without
running old code at test time (the newer tables are empty, as an upgrade finds them).

``fixtures/v4_f7a770f.json`` likewise holds a schema-version-4 database Velox f7a770f wrote
(``fixtures/make_v4_f7a770f.sh``): orders placed GTX, GTD, GTC, IOC and FOK through Binance's
API, whose events and rows kept no time in force, two of them resting in its one snapshot
(whose pending rows have no ``time_in_force``). Its orders table is made as version 4 had
it, without the column, which the upgrade must add.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from velox.store.factory import open_store_for
from velox.store.sqlstore import SqlStore

DUMP = Path(__file__).parent / "fixtures" / "v2_fd98ac7.json"
DUMP_V4 = Path(__file__).parent / "fixtures" / "v4_f7a770f.json"
PASSWORD = "correct horse battery"  # of its one user, t@example.com
EMAIL = "t@example.com"


def _value(cell: Any) -> Any:
    if isinstance(cell, dict):  # a blob: the journal's and snapshots' JSON payloads
        return cell["utf8"].encode() if "utf8" in cell else bytes.fromhex(cell["hex"])
    return cell


async def load_v2_database(url: str, *, keep_snapshots: int | None = None) -> None:
    """The old database at ``url`` (a fresh store), as schema version 2; with
    ``keep_snapshots``, pruned as ``--prune-journal --snapshot-keep N`` leaves it."""
    await _load(url, DUMP, "2", keep_snapshots=keep_snapshots)


async def load_v4_database(url: str) -> None:
    """The version 4 database at ``url`` (a fresh store): its orders table without the
    ``time_in_force`` column, its API key left out (sealed by a key file gone with it)."""
    await _load(url, DUMP_V4, "4", drop=(("orders", "time_in_force"),), skip={"api_keys"})


async def _load(
    url: str,
    dump: Path,
    version: str,
    *,
    keep_snapshots: int | None = None,
    drop: tuple[tuple[str, str], ...] = (),
    skip: frozenset[str] | set[str] = frozenset(),
) -> None:
    tables: dict[str, Any] = json.loads(dump.read_text())["tables"]
    store = open_store_for(url)
    await store.open()
    assert isinstance(store, SqlStore)
    try:
        async with store._transaction() as tx:  # the rows, as the old SQL wrote them
            for table, column in drop:  # a column this version's schema added
                await tx.execute(f"ALTER TABLE {table} DROP COLUMN {column}")
            for name, table in tables.items():
                if name == "meta" or name in skip:
                    continue
                columns = table["columns"]
                sql = (
                    f"INSERT INTO {name} ({', '.join(columns)}) "
                    f"VALUES ({', '.join('?' for _ in columns)})"
                )
                for row in table["rows"]:
                    await tx.execute(sql, [_value(cell) for cell in row])
        await store.set_meta("schema_version", version)
        if keep_snapshots is not None:
            await store.prune(keep_snapshots, prune_journal=True)
    finally:
        await store.close()
