"""kill -9 at random instants: every acknowledged command survives, nothing doubles.

A real subprocess drives the engine shell under load; the parent kills it with SIGKILL at
a random moment, then checks the store against every acknowledgement it had printed.
Repeated with different kill points on SQLite, and on PostgreSQL.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import signal
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from velox import codec
from velox.audit import audit
from velox.engine.settings import EngineSettings
from velox.journal import load_engine
from velox.store.factory import open_store_for

ROOT = Path(__file__).resolve().parents[2]


async def run_and_kill(
    url: str, seed: int, kill_at_ack: int, worker: str = "tests.service.crash_worker"
) -> list[dict[str, Any]]:
    """Run the worker and kill -9 it right after its ``kill_at_ack``-th acknowledgement:
    commits are in flight then, and the kill point does not depend on the machine's speed."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        worker,
        url,
        str(seed),
        cwd=ROOT,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    assert proc.stdout is not None and proc.stderr is not None
    acks: list[dict[str, Any]] = []
    while len(acks) <= kill_at_ack:  # the "ready" line, then kill_at_ack acknowledgements
        line = await proc.stdout.readline()
        assert line, "the worker died: " + (await proc.stderr.read()).decode()[-2000:]
        acks.append(json.loads(line))
    assert acks[0]["ack"] == "ready"
    os.kill(proc.pid, signal.SIGKILL)
    await proc.wait()
    acks += [json.loads(line) async for line in proc.stdout]  # printed before the kill
    return acks


async def check_store(url: str, acks: list[dict[str, Any]]) -> None:
    store = open_store_for(url)
    await store.open(writer=False)  # it only reads what the killed writer left
    try:
        engine, _ = await load_engine(store, EngineSettings())
        closed = {r.order_id: r async for r in store.all_closed_orders()}
        opened_ids = Counter()
        async for record in store.read_journal(0):
            if record.type == "PositionOpened":
                opened_ids[codec.loads(record.payload)["order_id"]] += 1
        assert all(n == 1 for n in opened_ids.values()), "an order was journaled twice"
        for a in acks:
            if a["ack"] == "account":
                assert a["user"] in engine.user_accounts
            elif a["ack"] == "open":
                oid = a["order_id"]
                pos = engine.positions.get(oid)
                terms = (pos.qty, pos.margin, pos.open_price) if pos else None
                if pos is None:
                    row = closed[oid]  # closed (by hand or a trigger) after its ack
                    terms = (row.qty, row.margin, row.open_price)
                assert terms == (a["qty"], a["margin"], a["open_price"])
            elif a["ack"] == "close":
                row = closed[a["order_id"]]
                assert (row.close_price, row.pnl) == (a["close_price"], a["pnl"])
                assert a["order_id"] not in engine.positions
        report = await audit(store)
        assert report.ok, report.summary()
    finally:
        await store.close()


async def crash_cycles(url: str, seed: int, rounds: int) -> None:
    rng = random.Random(seed)
    for i in range(rounds):
        acks = await run_and_kill(url, seed * 10 + i, rng.randint(20, 150))
        await check_store(url, acks)


@pytest.mark.slow
async def test_kill9_on_sqlite(tmp_path: Path) -> None:
    await crash_cycles(f"sqlite:///{tmp_path / 'crash.db'}", 1, rounds=4)


@pytest.mark.slow
@pytest.mark.pg
async def test_kill9_on_postgres(pg_url: str) -> None:
    await crash_cycles(pg_url, 2, rounds=2)
