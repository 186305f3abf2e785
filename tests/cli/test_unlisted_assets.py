"""A symbol taken out of --symbols while positions or resting orders on it are open: they
could never be closed again (every close, add-margin and reset said PRICE_STALE for good,
the margin stayed locked, the unrealized PnL showed 0). The engine now refuses to start over
them, in one line naming what is held, on both stores; listed again, it starts."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.ports import free_port
from tests.system.server import ROOT
from velox.engine.commands import OpenAccount, OpenPosition, PriceTick
from velox.engine.settings import EngineSettings
from velox.money import SCALE
from velox.service import EngineService, EngineState
from velox.store.factory import open_store_for
from velox.unlisted import UnlistedAssets
from velox.vault import KEY_FILE_META
from velox.web.auth.fingerprint import META_KEY

NOW = 1_700_000_000_000
HELD = "SOLUSDT: 1 position, 1 resting order"


def clock() -> int:
    return NOW


async def service_on(db_url: str, assets: tuple[str, ...]) -> EngineService:
    store = open_store_for(db_url)
    await store.open()
    service = EngineService(store, EngineSettings(assets=assets), clock=clock)
    try:
        await service.start()
    except BaseException:
        await store.close()
        raise
    return service


async def stop(service: EngineService) -> None:
    await service.stop()
    await service.store.close()


async def hold_sol(db_url: str) -> None:
    service = await service_on(db_url, ("BTCUSDT", "ETHUSDT", "SOLUSDT"))
    await service.submit(OpenAccount("alice", NOW))
    service.offer_tick(PriceTick("SOLUSDT", 150 * SCALE, NOW))
    opened = await service.submit(
        OpenPosition("alice", "SOLUSDT", "LONG", 10, NOW, margin=SCALE * 50)
    )
    resting = await service.submit(
        OpenPosition(
            "alice", "SOLUSDT", "LONG", 10, NOW, margin=SCALE * 50, order_type="LIMIT",
            price=140 * SCALE,
        )
    )  # fmt: skip
    assert opened.ok and resting.ok
    await stop(service)


async def test_the_engine_refuses_positions_on_a_symbol_no_longer_listed(db_url: str) -> None:
    await hold_sol(db_url)
    with pytest.raises(UnlistedAssets) as refused:
        await service_on(db_url, ("BTCUSDT", "ETHUSDT"))
    assert HELD in str(refused.value)
    listed = await service_on(db_url, ("BTCUSDT", "ETHUSDT", "SOLUSDT"))  # listed again
    assert listed.state is EngineState.READY
    await stop(listed)


async def test_velox_run_says_so_in_one_line(tmp_path: Path) -> None:
    db_url = f"sqlite:///{tmp_path / 'velox.db'}"
    await hold_sol(db_url)
    env = {k: v for k, v in os.environ.items() if not k.startswith("VELOX_")}
    done = subprocess.run(
        [sys.executable, "run.py", "run", "--db", db_url, "--data-dir", str(tmp_path),
         "--port", str(free_port()), "--feed", "sim", "--symbols", "BTCUSDT,ETHUSDT"],
        cwd=ROOT, capture_output=True, text=True, timeout=60, env=env,
    )  # fmt: skip
    assert done.returncode == 1, done.stderr
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith("velox: the journal holds open positions") and HELD in last, last
    assert "Traceback" not in done.stderr


async def test_a_refused_start_records_no_secret_of_its_own(tmp_path: Path) -> None:
    """The writer records its session secret's and API key file's fingerprints at start:
    a start refused afterwards (here, by the unlisted symbol) rewrote them anyway, and the
    deployment's gateways, following the engine that runs, were refused from then on."""
    db_url = f"sqlite:///{tmp_path / 'velox.db'}"
    await hold_sol(db_url)
    store = open_store_for(db_url)
    await store.open()
    try:
        for key in (META_KEY, KEY_FILE_META):
            await store.set_meta(key, "the running deployment's")
    finally:
        await store.close()
    env = {k: v for k, v in os.environ.items() if not k.startswith("VELOX_")}
    done = subprocess.run(
        [sys.executable, "run.py", "run", "--db", db_url, "--data-dir", str(tmp_path),
         "--port", str(free_port()), "--feed", "sim", "--symbols", "BTCUSDT,ETHUSDT",
         "--jwt-secret", "another-secret-" + "x" * 32,
         "--api-key-file", str(tmp_path / "another.key")],
        cwd=ROOT, capture_output=True, text=True, timeout=60, env=env,
    )  # fmt: skip
    assert done.returncode == 1 and HELD in done.stderr, done.stderr
    store = open_store_for(db_url)
    await store.open(writer=False)
    try:
        for key in (META_KEY, KEY_FILE_META):
            assert await store.get_meta(key) == "the running deployment's", key
    finally:
        await store.close()
