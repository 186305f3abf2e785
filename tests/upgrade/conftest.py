"""An app on each store over an upgraded old database; ``velox audit`` as an operator runs it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.system.server import ROOT
from tests.web.conftest import make_client  # noqa: F401 - the web tests' app, on ``settings``
from velox.config import Settings


@pytest.fixture
def settings(db_url: str, tmp_path: Path) -> Settings:
    """The web tests' settings on each store; funding off, so no boundary passes mid-test."""
    return Settings(
        data_dir=str(tmp_path),
        db=db_url,
        rate_limit_auth=1000,
        rate_limit_orders=1000,
        rate_limit_public=1000,
        snapshot_interval=3600.0,
        funding_interval=0,
    )


def velox_audit(db_url: str) -> tuple[int, list[str]]:
    """``velox audit --db URL``: its exit code and output lines."""
    done = subprocess.run(
        [sys.executable, "run.py", "audit", "--db", db_url],
        cwd=ROOT, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    return done.returncode, done.stdout.splitlines()
