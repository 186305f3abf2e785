"""Every process on one database signs sessions with one secret. The first records the
secret's fingerprint; a later `velox run` (or gateway, or engine) with another secret, or
with none (one generated into its own data directory), refuses to start in one line, as a
mismatched --api-key-file does, instead of issuing tokens the others answer 401 to."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.system.server import ROOT
from velox.store.factory import open_store_for
from velox.web.auth.fingerprint import META_KEY, fingerprint

FIRST = "the-first-processes-secret-" + "a" * 32
REFUSAL = (
    "velox: the JWT secret (--jwt-secret, VELOX_JWT_SECRET, else <data-dir>/jwt_secret) is "
    "not the one the other Velox processes on this database sign sessions with: give every "
    "engine, gateway and run on it the same --jwt-secret"
)


async def recorded_by_a_first_process(db_url: str, secret: str) -> None:
    store = open_store_for(db_url)
    await store.open()
    try:
        await store.set_meta(META_KEY, fingerprint(secret))
    finally:
        await store.close()


def velox_run(db_url: str, data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("VELOX_")}
    return subprocess.run(
        [sys.executable, "run.py", "run", "--db", db_url, "--data-dir", str(data_dir),
         "--port", "0", "--feed", "sim", *args],
        cwd=ROOT, capture_output=True, text=True, timeout=60, env=env,
    )  # fmt: skip


async def test_run_refuses_a_secret_other_than_the_databases(db_url: str, tmp_path: Path) -> None:
    await recorded_by_a_first_process(db_url, FIRST)
    other = velox_run(db_url, tmp_path / "other", "--jwt-secret", "another-secret-" + "b" * 32)
    assert other.returncode == 1, other.stderr
    assert other.stderr.strip().splitlines()[-1] == REFUSAL
    generated = velox_run(db_url, tmp_path / "generated")  # no --jwt-secret: its own
    assert generated.returncode == 1, generated.stderr
    assert generated.stderr.strip().splitlines()[-1] == REFUSAL
    assert FIRST not in other.stderr + generated.stderr


async def test_the_fingerprint_is_not_the_secret(db_url: str) -> None:
    await recorded_by_a_first_process(db_url, FIRST)
    store = open_store_for(db_url)
    await store.open(writer=False)
    try:
        kept = await store.get_meta(META_KEY)
    finally:
        await store.close()
    assert kept == fingerprint(FIRST) and FIRST not in (kept or "")
    assert fingerprint(FIRST) != fingerprint(FIRST + "x")
