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


async def run_and_kill(url: str, seed: int, kill_after: float) -> list[dict[str, Any]]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.service.crash_worker",
        url,
        str(seed),
        cwd=ROOT,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    acks: list[dict[str, Any]] = []
    assert proc.stdout is not None

    async def collect() -> None:
        assert proc.stdout is not None
        while line := await proc.stdout.readline():
            acks.append(json.loads(line))

    reader = asyncio.create_task(collect())
    for _ in range(200):  # wait for READY (replay may take a moment)
        if acks:
            break
        await asyncio.sleep(0.05)
    assert acks and acks[0]["ack"] == "ready", (await proc.stderr.read()).decode()[-2000:]  # type: ignore[union-attr]
    await asyncio.sleep(kill_after)
    os.kill(proc.pid, signal.SIGKILL)
    await proc.wait()
    await reader
    return acks


async def check_store(url: str, acks: list[dict[str, Any]]) -> None:
    store = open_store_for(url)
    await store.open()
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
                assert a["user"] in engine.accounts
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


async def crash_cycles(url: str, seed: int, rounds: int) -> int:
    rng = random.Random(seed)
    total = 0
    for i in range(rounds):
        acks = await run_and_kill(url, seed * 10 + i, rng.uniform(0.3, 1.2))
        total += sum(1 for a in acks if a["ack"] in ("open", "close"))
        await check_store(url, acks)
    return total


@pytest.mark.slow
async def test_kill9_on_sqlite(tmp_path: Path) -> None:
    acknowledged = await crash_cycles(f"sqlite:///{tmp_path / 'crash.db'}", 1, rounds=4)
    assert acknowledged > 100  # the load really ran before each kill


@pytest.mark.slow
@pytest.mark.pg
async def test_kill9_on_postgres(pg_url: str) -> None:
    acknowledged = await crash_cycles(pg_url, 2, rounds=2)
    assert acknowledged > 100
