"""A JWT secret too short to sign with (HS256 wants 32 bytes of key) is a bad setting: every
role refuses it with one ``velox:`` line and status 1, as other bad settings are refused,
instead of a Python traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.system.server import ROOT

PG = "postgresql://postgres@127.0.0.1/test"
NOWHERE = "nats://127.0.0.1:1"  # never reached: the secret is refused first


def velox(*args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("VELOX_")}
    return subprocess.run(
        [sys.executable, "run.py", *args],
        cwd=ROOT, capture_output=True, text=True, timeout=120, env=env,
    )  # fmt: skip


@pytest.mark.parametrize(
    "role, db",
    [("run", "sqlite:///{tmp}/velox.db"), ("engine", "sqlite:///{tmp}/velox.db"),
     ("gateway", PG)],
)  # fmt: skip
def test_a_short_jwt_secret_is_refused_in_one_line(role: str, db: str, tmp_path: Path) -> None:
    done = velox(role, "--jwt-secret", "short", "--db", db.format(tmp=tmp_path),
                 "--data-dir", str(tmp_path), "--bus", NOWHERE, "--port", "0")  # fmt: skip
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr
    assert done.stderr.strip().splitlines()[-1] == (
        "velox: --jwt-secret (VELOX_JWT_SECRET) is 5 characters; the JWT secret must be at "
        "least 32 (HS256 wants 32 bytes of key)"
    )


def test_a_short_secret_in_the_data_directory_is_refused_too(tmp_path: Path) -> None:
    (tmp_path / "jwt_secret").write_text("too-short\n")
    done = velox("run", "--db", f"sqlite:///{tmp_path}/velox.db", "--data-dir", str(tmp_path),
                 "--port", "0")  # fmt: skip
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith(f"velox: the secret in {tmp_path / 'jwt_secret'} is 9 characters")


@pytest.mark.parametrize(
    "make, why",
    [(lambda p: p.mkdir(), "Is a directory"),
     (lambda p: p.write_bytes(b"\xff" * 40), "not UTF-8 text")],
)  # fmt: skip
def test_a_secret_file_that_cannot_be_read_is_refused_naming_it(
    make: Callable[[Path], object], why: str, tmp_path: Path
) -> None:
    """It was a PermissionError (IsADirectoryError, UnicodeDecodeError) traceback; an
    unreadable API key file already got one line."""
    make(tmp_path / "jwt_secret")
    done = velox("run", "--db", f"sqlite:///{tmp_path}/velox.db", "--data-dir", str(tmp_path),
                 "--port", "0")  # fmt: skip
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr
    assert done.stderr.strip().splitlines()[-1] == (
        f"velox: cannot read the JWT secret file {tmp_path / 'jwt_secret'}: {why}"
    )
