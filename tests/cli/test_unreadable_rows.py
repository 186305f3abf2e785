"""A damaged journal row or snapshot: ``velox run`` refuses to start in one ``velox: ...``
line naming the row (status 1), and ``velox audit`` reports it as a PROBLEM (status 1).
Both ended in a traceback from inside the JSON parser or the event table."""

from __future__ import annotations

import sqlite3
import subprocess
from pathlib import Path

import pytest

from tests.cli.test_startup_refusals import velox
from velox.engine.commands import OpenAccount, OpenPosition, PriceTick
from velox.engine.settings import EngineSettings
from velox.money import SCALE
from velox.service import EngineService
from velox.store.factory import open_store_for

DAMAGE = {
    "snapshot": (
        "UPDATE snapshots SET payload = X'00ff00ff' WHERE seq = (SELECT max(seq) FROM snapshots)",
        "the snapshot at seq {snap} cannot be read: JSONDecodeError: ",
    ),
    "journal": (  # a row the replay needs: no snapshot, so it replays from seq 1
        "UPDATE journal SET payload = X'00ff00ff' WHERE seq = 2; DELETE FROM snapshots",
        "the journal row 2 cannot be read: JSONDecodeError: ",
    ),
    "fields": (
        "UPDATE journal SET payload = CAST('{\"nope\": 1}' AS BLOB) WHERE seq = 2; "
        "DELETE FROM snapshots",
        "the journal row 2 cannot be read: TypeError: ",
    ),
    "type": (
        "UPDATE journal SET type = 'Bogus' WHERE seq = 2; DELETE FROM snapshots",
        "the journal row 2 cannot be read: no event type 'Bogus'",
    ),
}


async def _journal(url: str) -> int:
    """A few events and a snapshot in the middle; the snapshot's seq."""
    store = open_store_for(url)
    await store.open()
    service = EngineService(store, EngineSettings(), snapshot_interval_s=3600)
    await service.start()
    await service.submit(OpenAccount("alice", service.clock()))
    service.offer_tick(PriceTick("BTCUSDT", 100_000 * SCALE, service.clock()))
    for _ in range(2):
        await service.submit(
            OpenPosition("alice", "BTCUSDT", "LONG", 10, service.clock(), margin=SCALE)
        )
        await service.snapshot()
        seq = service.seq
    await service.stop()
    await store.close()
    return seq


@pytest.fixture
async def damaged(tmp_path: Path, request: pytest.FixtureRequest) -> tuple[Path, str]:
    """A data directory whose database has ``request.param``'s damage; the reason said."""
    path = tmp_path / "velox.db"
    snap = await _journal(f"sqlite:///{path}")
    sql, said = DAMAGE[request.param]
    with sqlite3.connect(path) as db:
        db.executescript(sql)
    db.close()
    return tmp_path, said.format(snap=snap)


def _lines(done: subprocess.CompletedProcess[str]) -> list[str]:
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr + done.stdout, done.stderr
    return [line for line in (done.stdout + done.stderr).splitlines() if "cannot be read" in line]


@pytest.mark.parametrize("damaged", sorted(DAMAGE), indirect=True)
def test_a_start_on_a_damaged_row_is_refused_in_one_line(damaged: tuple[Path, str]) -> None:
    data_dir, said = damaged
    done = velox(
        "run", "--data-dir", str(data_dir), "--port", "0", "--feed", "sim",
        "--history-candles", "0",
    )  # fmt: skip
    (line,) = [line for line in _lines(done) if line.startswith("velox:")]
    assert line.startswith("velox: " + said), line


@pytest.mark.parametrize("damaged", sorted(DAMAGE), indirect=True)
def test_the_audit_reports_a_damaged_row(damaged: tuple[Path, str]) -> None:
    data_dir, said = damaged
    done = velox("audit", "--db", f"sqlite:///{data_dir}/velox.db")
    assert any(line.startswith("PROBLEM: " + said) for line in _lines(done)), done.stdout
