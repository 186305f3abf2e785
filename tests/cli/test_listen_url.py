"""The start-up message's URL must be one a browser opens: an IPv6 literal in brackets
(``http://[::1]:8000/``, not ``http://::1:8000/``), and with ``--port 0`` the port the
system picked (it said ``:0``)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from tests.system.server import ROOT
from velox.startcheck import listen_url


@pytest.mark.parametrize(
    "host, url",
    [("::1", "http://[::1]:8000/"), ("::", "http://[::]:8000/"),
     ("127.0.0.1", "http://127.0.0.1:8000/"), ("localhost", "http://localhost:8000/")],
)  # fmt: skip
def test_an_ipv6_literal_is_bracketed(host: str, url: str) -> None:
    assert listen_url(host, 8000) == url


def test_the_start_up_message_brackets_an_ipv6_host(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("VELOX_")}
    proc = subprocess.Popen(
        [sys.executable, "run.py", "run", "--host", "::1", "--port", "0",
         "--data-dir", str(tmp_path), "--feed", "sim", "--history-candles", "0"],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env,
    )  # fmt: skip
    try:
        assert proc.stdout is not None
        banner = proc.stdout.readline()
        found = re.search(r" is running at http://\[::1\]:(\d+)/$", banner.rstrip())
        assert banner.startswith("Velox ") and found, banner
        port = int(found.group(1))
        assert port > 0, banner
        with urllib.request.urlopen(f"http://[::1]:{port}/healthz", timeout=10) as answer:
            assert answer.status == 200  # the URL it names is the one it serves
    finally:
        proc.terminate()
        proc.communicate(timeout=20)
