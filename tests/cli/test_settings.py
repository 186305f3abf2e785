"""One table of settings (the ``Settings`` fields) drives the flags, the ``VELOX_*`` names,
``velox run --help`` and the README's configuration table, so they cannot drift apart."""

from __future__ import annotations

import re
from dataclasses import fields
from pathlib import Path

import pytest

from velox import cli
from velox.config import Settings, documented_default, env_of, flag_of, parse_settings

README = Path(__file__).resolve().parents[2] / "README.md"


def readme_rows() -> list[list[str]]:
    """The configuration table's rows, each cell stripped of code quotes."""
    text = README.read_text(encoding="utf-8")
    section = text.split("\n## Configuration\n", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| `--")]
    return [[c.strip().replace("`", "") for c in row.strip("|").split(" | ")] for row in rows]


def test_every_setting_says_what_it_does() -> None:
    for f in fields(Settings):
        assert f.metadata.get("help"), f"Settings.{f.name} has no metadata help"


def test_the_readme_table_lists_exactly_the_settings() -> None:
    rows = readme_rows()
    listed = [(flag, env, default) for flag, env, default, _ in rows]
    expected = [(flag_of(f), env_of(f), documented_default(f)) for f in fields(Settings)]
    assert sorted(listed) == sorted(expected)
    assert len(listed) == len(set(listed))  # nothing twice
    assert all(meaning for *_, meaning in rows)


def test_run_help_says_what_each_setting_does_and_its_default(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit) as done:
        cli.main(["run", "--help"])
    assert done.value.code == 0
    shown = re.sub(r"\s+", " ", capsys.readouterr().out)
    assert (
        "--max-price-age MAX_PRICE_AGE seconds before a price is stale (orders refused) "
        "(default: 10; env VELOX_MAX_PRICE_AGE)"
    ) in shown
    assert (
        "--prune-journal, --no-prune-journal drop journal rows older than the oldest kept snapshot"
        " (default: off;" in shown
    )
    assert "--data-dir DATA_DIR where the database, session secret, log and outbox live " in shown
    assert "(default: data; env VELOX_DATA_DIR)" in shown  # the default in effect: a checkout
    assert "--jwt-secret JWT_SECRET session-signing secret" in shown
    for f in fields(Settings):
        assert f"{flag_of(f)} " in shown
        assert re.sub(r"\s+", " ", f.metadata["help"]) in shown
        assert f"; env {env_of(f)})" in shown


def test_flags_and_variables_parse_as_their_fields_say() -> None:
    settings = parse_settings(
        ["--port", "9000", "--prune-journal", "--seed", "7", "--symbols", "btcusdt, ethusdt"],
        {"VELOX_PORT": "1", "VELOX_SNAPSHOT_KEEP": "7", "VELOX_DEV": "yes",
         "VELOX_MAX_PRICE_AGE": "2.5", "VELOX_SPREAD": "0.002"},
    )  # fmt: skip
    assert settings.port == 9000  # the flag wins over the variable
    assert settings.snapshot_keep == 7 and settings.seed == 7
    assert settings.prune_journal is True and settings.dev is True
    assert settings.max_price_age == 2.5
    assert settings.symbols == ("BTCUSDT", "ETHUSDT")
    assert settings.spread == "0.002"
    assert parse_settings([], {}) == Settings()
    with pytest.raises(SystemExit, match="VELOX_SNAPSHOT_KEEP"):
        parse_settings([], {"VELOX_SNAPSHOT_KEEP": "many"})
    with pytest.raises(SystemExit, match="VELOX_SPREAD: must be below 1"):
        parse_settings([], {"VELOX_SPREAD": "1"})
