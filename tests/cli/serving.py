"""``velox run`` as an operator starts it: until it says it is serving, then SIGTERM; its
whole log (the start-up, shutdown and access-log tests read it)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

from tests.ports import free_port
from tests.system.server import ROOT

LISTEN_KEY_SECRET = "LiStEnKeY" * 7 + "0"  # 64 letters and digits, as listen keys are


def run_once(data: Path, *args: str, request: bool = False) -> str:
    """Start ``velox run`` at DEBUG (with ``args`` too), make its requests if asked, SIGTERM
    it: its log."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("VELOX_")}
    proc = subprocess.Popen(
        [sys.executable, "run.py", "run", "--data-dir", str(data), "--port", str(port),
         "--feed", "sim", "--history-candles", "0", "--log-level", "DEBUG", *args],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env,
    )  # fmt: skip
    lines = []
    try:
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.append(line)
            if " is running at " in line:
                break
        if request:
            base = f"http://127.0.0.1:{port}"
            urllib.request.urlopen(f"{base}/api/v1/assets?token=QUERYSECRET").read()
            asking = urllib.request.Request(
                f"{base}/nowhere", headers={"Authorization": "Bearer HEADERSECRET"}
            )
            try:
                urllib.request.urlopen(asking)
            except urllib.error.HTTPError as exc:
                assert exc.code == 404
                exc.close()
            for path in ("/ws/", "/private/ws/"):  # where a listen key travels in the path
                try:
                    urllib.request.urlopen(f"{base}{path}{LISTEN_KEY_SECRET}").read()
                except urllib.error.HTTPError as exc:
                    exc.close()
    finally:
        proc.send_signal(signal.SIGTERM)
        rest, _ = proc.communicate(timeout=30)
    assert proc.returncode == 0, rest
    return "".join(lines) + rest
