"""One `velox run` per database, as real processes on both stores (issue 11, item 1).

Two engines on one database used to both say READY, then fail each other's every commit on
the journal key. The second now exits at once with status 1 naming the first; `velox audit`
reads beside the running engine, writing nothing, while orders keep flowing.
"""

from __future__ import annotations

import asyncio
import socket
import sys
from pathlib import Path

from tests.system.load import Load, LoadRecord
from tests.system.server import ROOT, ServerProcess


async def exit_status_before_ready(server: ServerProcess) -> int:
    """Start ``server``; its exit status if it ends before READY. READY fails the test."""
    try:
        await server.start()
    except AssertionError:  # wait_ready found the process gone
        assert server.proc is not None
        return await server.proc.wait()
    await server.stop()
    raise AssertionError("a second engine on the same database became READY")


async def run_audit(db_url: str) -> tuple[int, str]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "run.py", "audit", "--db", db_url, cwd=ROOT,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    out, _ = await proc.communicate()
    assert proc.returncode is not None
    return proc.returncode, out.decode()


async def test_a_second_engine_exits_naming_the_first_and_audit_reads_beside(
    db_url: str, tmp_path: Path
) -> None:
    (tmp_path / "first").mkdir()
    (tmp_path / "second").mkdir()
    first = ServerProcess(db_url, tmp_path / "first")
    await first.start()
    try:
        assert first.proc is not None
        second = ServerProcess(db_url, tmp_path / "second")
        assert await exit_status_before_ready(second) == 1
        refusal = second.log_tail().strip().splitlines()[-1]
        assert refusal.startswith("velox: another Velox is already running on this database")
        assert f"(host {socket.gethostname()} pid {first.proc.pid})" in refusal

        record = LoadRecord()
        load = Load(first.base, record, seed=3)
        trader = asyncio.create_task(load.trader(0, "audit"))

        async def until_acked(count: int) -> None:
            while len(record.acked_opens) < count:
                assert first.proc is not None and first.proc.returncode is None, first.log_tail()
                await asyncio.sleep(0.05)

        try:
            await until_acked(5)  # orders are flowing, and keep flowing during the audits
            for _ in range(2):
                status, out = await run_audit(db_url)
                assert status == 0, out
                assert "OK: replay, conservation (with pending reservations and fees)" in out
            await until_acked(len(record.acked_opens) + 5)  # the engine is none the worse
        finally:
            load.stop.set()
            await trader
        assert record.server_errors == []
    finally:
        assert await first.stop() == 0, first.log_tail()
    status, out = await run_audit(db_url)  # and everything adds up after a clean stop
    assert status == 0, out
