"""``velox --help`` and ``velox -h`` both list the commands; each command's ``--help`` lists
only the settings it reads (``audit``: the database and the engine's rules, not SMTP,
OAuth or ports). The roles accept each other's flags unlisted, so one command line serves
both; ``audit`` refuses a flag it does not use, in one line."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.cli.test_startup_refusals import refused, velox
from velox import cli


def help_of(*args: str, capsys: pytest.CaptureFixture[str]) -> str:
    try:
        status = cli.main(list(args))
    except SystemExit as done:
        status = done.code
    assert status == 0
    return capsys.readouterr().out


def flags(text: str) -> set[str]:
    return set(re.findall(r"^  (--[a-z-]+)", text, re.MULTILINE)) - {"--help", "--version"}


@pytest.mark.parametrize("asked", ["--help", "-h"])
def test_the_top_help_lists_the_commands(asked: str, capsys: pytest.CaptureFixture[str]) -> None:
    text = help_of(asked, capsys=capsys)
    assert text.startswith("usage: velox [-h] [--version] COMMAND ...")
    for command in ("run", "audit", "engine", "gateway"):
        assert re.search(rf"^    {command} ", text, re.MULTILINE), text
    assert "--max-price-age" not in text


def test_each_command_lists_the_settings_it_reads(capsys: pytest.CaptureFixture[str]) -> None:
    audit = flags(help_of("audit", "--help", capsys=capsys))
    assert audit == {
        "--db", "--data-dir", "--log-level", "--symbols", "--initial-balance", "--spread",
        "--mmr", "--max-leverage", "--min-margin", "--max-open-positions", "--max-price-age",
        "--taker-fee", "--maker-fee", "--funding-interval", "--funding-rate", "--max-accounts",
    }  # fmt: skip
    engine = flags(help_of("engine", "--help", capsys=capsys))
    assert {"--feed", "--bus", "--port", "--snapshot-keep", "--jwt-secret"} <= engine
    assert not {"--smtp-url", "--github-client-id", "--rate-limit-auth", "--admin-token"} & engine
    gateway = flags(help_of("gateway", "--help", capsys=capsys))
    assert {"--bus", "--port", "--smtp-url", "--admin-token", "--rate-limit-auth"} <= gateway
    assert not {"--feed", "--sim-rate", "--snapshot-keep", "--prune-journal"} & gateway
    run = flags(help_of("run", "--help", capsys=capsys))
    assert audit | engine | gateway <= run


def test_audit_refuses_a_server_flag_in_one_line(tmp_path: Path) -> None:
    done = velox("audit", "--db", f"sqlite:///{tmp_path}/velox.db", "--smtp-url", "smtp://x")
    assert refused(done) == "velox: unrecognized arguments: --smtp-url smtp://x (see velox --help)"
