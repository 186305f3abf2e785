"""Common start-up mistakes end in one ``velox: ...`` line and status 1, before anything
starts (no "READY", no traceback): a bad port, host, database URL, feed, rate or log level,
and a port already in use."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from tests.system.server import ROOT
from velox.config import parse_settings

REPLAY = "BTCUSDT-trades-2025-01.csv"


def velox(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("VELOX_")}
    return subprocess.run(
        [sys.executable, "run.py", *args], cwd=ROOT, capture_output=True, text=True,
        timeout=20, env={**clean, **(env or {})},
    )  # fmt: skip


def refused(done: subprocess.CompletedProcess[str]) -> str:
    """The one line a refusal prints, after checking it is the only output."""
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr
    assert "READY" not in done.stderr and done.stdout == ""
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    return lines[0]


@pytest.mark.parametrize(
    "args, line",
    [
        (["--port", "99999"], "velox: --port: must be a port number 1..65535 (or 0: any free "
                              "port) (see velox run --help)"),
        (["--port", "-1"], "velox: --port: must be a port number 1..65535 (or 0: any free "
                           "port) (see velox run --help)"),
        (["--port", "abc"], "velox: --port: 'abc' is not a whole number (see velox run --help)"),
        (["--host", "999.1.1.1"], "velox: cannot listen on --host 999.1.1.1: Name or service "
                                  "not known"),
        (["--db", "mysql://x/y"], "velox: --db: unsupported database URL 'mysql': use "
                                  "sqlite:///PATH or postgresql://USER@HOST/DB (see velox run "
                                  "--help)"),
        (["--feed", "bogus"], "velox: --feed: unknown feed 'bogus'; expected one of auto, "
                              "binance, backpack, sim, replay:PATH (see velox run --help)"),
        (["--feed", "replay:"], "velox: --feed: unknown feed 'replay:'; expected one of auto, "
                                "binance, backpack, sim, replay:PATH (see velox run --help)"),
        (["--feed", "replay:{tmp}/nothing.csv"], "velox: --feed replay:{tmp}/nothing.csv: "
         "replay file '{tmp}/nothing.csv' does not exist or is no file"),
        (["--feed", "replay:{tmp}/BTCUSDT-aggTrades-2025-01.csv"],
         "velox: --feed replay:{tmp}/BTCUSDT-aggTrades-2025-01.csv: "
         "'BTCUSDT-aggTrades-2025-01.csv' is an aggTrades file; replay reads trades files only"),
        (["--feed", "replay:{tmp}/" + REPLAY, "--replay-speed", "-1"],
         "velox: --replay-speed: must be a number, 0 or more (see velox run --help)"),
        (["--sim-rate", "0"], "velox: --sim-rate: must be a positive number (see velox run "
                              "--help)"),
        (["--sim-rate", "-1"], "velox: --sim-rate: must be a positive number (see velox run "
                               "--help)"),
        *[(["--snapshot-interval", interval], "velox: --snapshot-interval: must be a positive "
                                              "number (see velox run --help)")
          for interval in ("nan", "-5", "0", "-0", "inf")],
        (["--bus-timeout", "0"], "velox: --bus-timeout: must be a positive number (see velox "
                                 "run --help)"),
        (["--bus-timeout", "nan"], "velox: --bus-timeout: must be a positive number (see velox "
                                   "run --help)"),
        (["--bus", ""], "velox: --bus: must name a NATS server: nats://HOST:PORT (see velox run "
                        "--help)"),
        (["--bus", "http://nope"], "velox: --bus: 'http://nope': must be nats://HOST:PORT or "
                                   "tls://HOST:PORT (several comma-separated) (see velox run "
                                   "--help)"),
        *[(["--bus-prefix", prefix], "velox: --bus-prefix: must be one NATS subject token: not "
                                     "empty, no space, '.', '*' or '>' (see velox run --help)")
          for prefix in ("", "rev A", "revA.>", "revA.*", "a.b")],
        (["--log-level", "LOUD"], "velox: --log-level: unknown level 'LOUD'; use DEBUG, INFO, "
                                  "WARNING, ERROR, CRITICAL (see velox run --help)"),
    ],
)  # fmt: skip
def test_a_bad_setting_is_refused_in_one_line_before_start(
    args: list[str], line: str, tmp_path: Path
) -> None:
    for name in (REPLAY, "BTCUSDT-aggTrades-2025-01.csv"):
        (tmp_path / name).write_text("1,95000,0.1,9500,1735689600000,true\n")
    args = [a.replace("{tmp}", str(tmp_path)) for a in args]
    done = velox("run", "--data-dir", str(tmp_path / "data"), "--port", "0", *args)
    assert refused(done) == line.replace("{tmp}", str(tmp_path))
    assert not (tmp_path / "data").exists()  # nothing started: not even the data directory


@pytest.mark.parametrize(
    "bus", ["nats://127.0.0.1:4222", "tls://a.example:4222,nats://b.example:4222", "127.0.0.1:4222"]
)
def test_a_bus_nats_takes_is_accepted(bus: str) -> None:
    assert parse_settings(["--bus", bus], {}).bus == bus


def test_a_bad_variable_is_refused_in_one_line(tmp_path: Path) -> None:
    done = velox("run", "--data-dir", str(tmp_path), env={"VELOX_PORT": "99999"})
    assert refused(done) == (
        "velox: VELOX_PORT: must be a port number 1..65535 (or 0: any free port)"
    )


def test_a_snapshot_interval_of_0_is_refused_from_its_variable_too(tmp_path: Path) -> None:
    """0 was taken: a snapshot after every commit, the whole engine state written each time."""
    done = velox(
        "run", "--data-dir", str(tmp_path), "--port", "0", env={"VELOX_SNAPSHOT_INTERVAL": "0"}
    )
    assert refused(done) == "velox: VELOX_SNAPSHOT_INTERVAL: must be a positive number"


@pytest.mark.parametrize("role", ["run", "engine", "gateway"])
def test_a_port_in_use_is_refused_naming_the_address(role: str, tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = velox(role, "--data-dir", str(tmp_path), "--port", str(port),
                     "--db", f"sqlite:///{tmp_path}/velox.db", "--feed", "sim",
                     "--bus", "nats://127.0.0.1:1")  # fmt: skip
    in_use = f"velox: cannot listen on http://127.0.0.1:{port}/: Address already in use"
    assert refused(done) == in_use
