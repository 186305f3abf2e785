"""Run an installed Velox (a wheel's console script or the shiv single file) as a stranger would.

The subprocess gets an environment with this test run's virtual environment taken out
(``PATH``, ``VIRTUAL_ENV``, ``PYTHONPATH``), starts in a temporary directory rather than the
checkout, and is stopped by its own PID (SIGTERM, then SIGKILL): never by name.
"""

from __future__ import annotations

import http.client
import json
import os
import stat
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from tests.ports import free_port

ROOT = Path(__file__).resolve().parents[2]
CHARTS_NAME = "lightweight-charts.standalone.production.js"
CHARTS = ROOT / "static" / "vendor" / CHARTS_NAME
SYMBOLS = ("BTCUSDT", "ETHUSDT", "SOLUSDT")


def clean_env(**extra: str) -> dict[str, str]:
    """``os.environ`` without this test run's virtual environment, plus ``extra``."""
    venv_bin = str(Path(sys.prefix) / "bin")
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP")
        and not k.startswith("VELOX_")
    }
    env["PATH"] = os.pathsep.join(
        p for p in env.get("PATH", "").split(os.pathsep) if p and p != venv_bin
    )
    env.update(extra)
    return env


def run(cmd: Sequence[str], *, timeout: float, **kwargs: Any) -> str:
    """Run to completion; fail with its output when it exits non-zero."""
    proc = subprocess.run(
        list(cmd), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        timeout=timeout, check=False, **kwargs,
    )  # fmt: skip
    assert proc.returncode == 0, (
        f"{' '.join(map(str, cmd))} exited {proc.returncode}:\n" + (proc.stdout[-4000:])
    )
    return proc.stdout


def get(port: int, path: str) -> tuple[int, dict[str, str], bytes]:
    """One GET, redirects not followed."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        conn.request("GET", path)
        resp = conn.getresponse()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read()
    finally:
        conn.close()


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


class Server:
    """``velox run`` in a subprocess, its output in ``log``."""

    def __init__(self, cmd: Sequence[str], *, cwd: Path, env: Mapping[str, str], log: Path) -> None:
        self.port = free_port()
        self.cmd = [*cmd, "--port", str(self.port)]
        self.cwd = cwd
        self.env = dict(env)
        self.log = log
        self.proc: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> Server:
        with open(self.log, "wb") as out:
            self.proc = subprocess.Popen(
                self.cmd, cwd=self.cwd, env=self.env, stdout=out, stderr=subprocess.STDOUT
            )
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def stop(self) -> int | None:
        proc = self.proc
        if proc is None:
            return None
        if proc.poll() is None:
            proc.terminate()  # this PID only
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=5)
        return proc.returncode

    def output(self) -> str:
        return self.log.read_text(errors="replace")[-4000:] if self.log.exists() else ""

    def wait_ready(self, timeout: float = 60.0) -> dict[str, Any]:
        """Poll ``/healthz`` until 200 with the engine READY; the body."""
        assert self.proc is not None
        deadline = time.monotonic() + timeout
        while True:
            assert self.proc.poll() is None, (
                f"velox exited {self.proc.returncode}:\n{self.output()}"
            )
            try:
                status, _, body = get(self.port, "/healthz")
                if status == 200:
                    health: dict[str, Any] = json.loads(body)
                    if health.get("engine") == "READY":
                        return health
            except OSError:
                pass
            assert time.monotonic() < deadline, f"not READY in {timeout} s:\n{self.output()}"
            time.sleep(0.1)


def check_serving(server: Server) -> None:
    """What a first visitor and the trade screen need: pages, the chart library, prices."""
    health = server.wait_ready()
    assert health["feed"]["name"] == "sim" and health["feed"]["simulated"] is True

    status, headers, body = get(server.port, "/trade")
    if status == 200:
        assert headers["content-type"].startswith("text/html")
        assert b"<html" in body.lower()
    else:  # signed out: to the sign-in page, which is served from the packaged templates
        assert status in (302, 303), (status, body[:300])
        assert headers["location"].endswith("/signin"), headers
        status, headers, body = get(server.port, "/signin")
        assert status == 200 and headers["content-type"].startswith("text/html"), status
        assert b"<html" in body.lower()

    status, headers, body = get(server.port, f"/static/vendor/{CHARTS_NAME}")
    assert status == 200, (status, body[:300])
    assert body == CHARTS.read_bytes()

    deadline = time.monotonic() + 15
    while True:  # the simulator ticks within a second; wait for a price on every asset
        status, _, body = get(server.port, "/api/v1/assets")
        assert status == 200, (status, body[:300])
        assets = {a["symbol"]: a for a in json.loads(body)["assets"]}
        assert set(assets) == set(SYMBOLS), assets
        if all(a["bid"] and a["ask"] for a in assets.values()):
            break
        assert time.monotonic() < deadline, f"no prices on every asset: {assets}"
        time.sleep(0.2)
    for a in assets.values():
        assert 0 < float(a["bid"]) < float(a["ask"]), a


def check_data_dir(data_dir: Path) -> None:
    """Created private on first run: the directory 0700, the session secret and log 0600."""
    assert data_dir.is_dir(), data_dir
    assert mode(data_dir) == 0o700, oct(mode(data_dir))
    assert mode(data_dir / "jwt_secret") == 0o600, oct(mode(data_dir / "jwt_secret"))
    assert (data_dir / "velox.db").is_file()
    log = data_dir / "velox.log"
    assert mode(log) == 0o600, oct(mode(log))
    assert "READY" in log.read_text(errors="replace")
