"""The README's API examples work as written, run by bash against a real server: the limit
order "1 % under the market" rests (its price comes from the current ask; a hard-coded
99000 filled at once at ~95,000), and the API-key example sends an account id it read from
GET /api/v1/accounts (it sent a placeholder "<your user id>")."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.system.server import ROOT, ServerProcess

README = (ROOT / "README.md").read_text(encoding="utf-8")


def sh_block(containing: str) -> str:
    """The README's one ``sh`` block that contains ``containing``."""
    blocks = [b for b in re.findall(r"```sh\n(.*?)```", README, re.DOTALL) if containing in b]
    assert len(blocks) == 1, containing
    return blocks[0]


def outputs(script: str) -> list[dict[str, object]]:
    """Every JSON object the script printed, in order."""
    done = subprocess.run(["bash", "-e", "-c", script], capture_output=True, text=True,
                          timeout=60)  # fmt: skip
    assert done.returncode == 0, done.stderr
    decoder, found, text, at = json.JSONDecoder(), [], done.stdout, 0
    while (at := text.find("{", at)) >= 0:
        value, end = decoder.raw_decode(text, at)
        found.append(value)
        at = end
    return found


@pytest.mark.skipif(shutil.which("curl") is None, reason="the README's examples use curl")
async def test_the_api_examples_work_as_written(tmp_path: Path) -> None:
    server = ServerProcess(f"sqlite:///{tmp_path}/velox.db", tmp_path, sim_rate=20.0)
    await server.start()
    try:
        here = f"127.0.0.1:{server.port}"
        script = "\n".join([
            sh_block('"password":"correct horse battery"'),
            sh_block("a limit order 1 % under the market"),
            sh_block("/api/v1/api-keys"),
        ]).replace("localhost:8000", here)  # fmt: skip
        printed = outputs(script)
    finally:
        await server.stop()
    limit = next(o for o in printed if o.get("type") == "LIMIT")
    assert limit["status"] == "PENDING", limit  # rests below the market; does not fill
    key = next(o for o in printed if "keyId" in o)
    assert key["permissions"] == ["read", "trade"] and key["accountId"] != "1", key  # NETTING
