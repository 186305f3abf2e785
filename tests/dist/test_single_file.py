"""``make dist``: one executable file that runs with a plain Python and nothing else.

Built into a temporary directory (``make dist DIST=...``), then run by a Python 3 of the same
version that is not this test run's virtual environment (the system ``/usr/bin/python3`` when
it matches), with its own ``SHIV_ROOT`` (where the zipapp unpacks itself) and
``XDG_DATA_HOME``, so the default per-user data directory is the one under test.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.conftest import require
from tests.dist.harness import (
    CHARTS_NAME,
    ROOT,
    Server,
    check_data_dir,
    check_serving,
    clean_env,
    run,
)
from velox import __version__

pytestmark = pytest.mark.dist


@pytest.fixture(scope="module")
def single_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    make = shutil.which("make")
    require(make is not None, "make is not installed")
    assert make is not None
    out = tmp_path_factory.mktemp("dist")
    run([make, "-C", str(ROOT), "dist", f"DIST={out}"], timeout=400)
    return out / "velox"


def foreign_python() -> str:
    """A ``python3`` of this version whose prefix is not this virtual environment."""
    want = f"{sys.version_info[0]}.{sys.version_info[1]}"
    candidates = [
        "/usr/bin/python3",
        shutil.which("python3", path=clean_env()["PATH"]),
        str(Path(sys.base_prefix) / "bin" / "python3"),
    ]
    probe = "import sys; print(sys.prefix); print('%d.%d' % sys.version_info[:2])"
    for candidate in candidates:
        if not candidate or not os.access(candidate, os.X_OK):
            continue
        proc = subprocess.run(
            [candidate, "-c", probe], capture_output=True, text=True, env=clean_env(),
            timeout=30, check=False,
        )  # fmt: skip
        if proc.returncode != 0:
            continue
        prefix, version = proc.stdout.split()[:2]
        if version == want and Path(prefix).resolve() != Path(sys.prefix).resolve():
            return candidate
    require(False, f"no Python {want} outside the virtual environment among {candidates}")
    raise AssertionError("unreachable")


def test_single_file_contents(single_file: Path) -> None:
    assert single_file.is_file() and os.access(single_file, os.X_OK)
    assert single_file.read_bytes().startswith(b"#!/usr/bin/env python3\n")
    names = set(zipfile.ZipFile(single_file).namelist())
    for name in (
        f"site-packages/velox/_data/static/vendor/{CHARTS_NAME}",
        "site-packages/velox/_data/templates/trade.html",
        "site-packages/velox/store/schema.sql",
        "site-packages/velox/cli.py",
        "site-packages/aiohttp/__init__.py",
        "site-packages/orjson/__init__.py",
    ):
        assert name in names, name


def test_single_file_version_through_its_shebang(single_file: Path, tmp_path: Path) -> None:
    env = clean_env(SHIV_ROOT=str(tmp_path / "shiv"))
    out = run([str(single_file), "--version"], timeout=120, cwd=tmp_path, env=env)
    assert out.strip() == f"velox {__version__}"


def test_single_file_serves_with_a_plain_python(single_file: Path, tmp_path: Path) -> None:
    python = foreign_python()
    xdg = tmp_path / "xdg"
    env = clean_env(SHIV_ROOT=str(tmp_path / "shiv"), XDG_DATA_HOME=str(xdg))
    cmd = [python, str(single_file), "run", "--feed", "sim"]  # no --data-dir: the default
    with Server(cmd, cwd=tmp_path, env=env, log=tmp_path / "server.log") as server:
        check_serving(server)
        check_data_dir(xdg / "velox")
        code = server.stop()
    assert code == 0, server.output()
    assert not (tmp_path / "data").exists()  # an installed copy never defaults to ./data
    assert any((tmp_path / "shiv").glob("velox_*/site-packages/velox"))  # unpacked there
