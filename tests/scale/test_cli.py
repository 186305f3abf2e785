"""The two role commands on the command line."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.system.server import ROOT


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "run.py", *args], cwd=ROOT, capture_output=True, text=True, timeout=120
    )


def test_help_names_the_roles_and_their_bus_settings() -> None:
    out = run("--help").stdout
    assert "engine" in out and "gateway" in out
    for role in ("engine", "gateway"):
        text = run(role, "--help").stdout
        assert "--bus " in text and "--bus-prefix" in text and "--bus-timeout" in text


def test_a_gateway_refuses_a_database_that_is_not_postgresql(tmp_path: Path) -> None:
    done = run("gateway", "--db", f"sqlite:///{tmp_path}/x.db", "--data-dir", str(tmp_path),
               "--port", "0")  # fmt: skip
    assert done.returncode == 1, done.stderr
    assert "velox: a gateway needs the engine's PostgreSQL database" in done.stderr
