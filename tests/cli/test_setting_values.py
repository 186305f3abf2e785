"""Values that would make a server that cannot work are refused at start, in one line: a
session that expires at once, no leverage, every price stale, no position allowed, negative
limits, symbols that crash the feed or repeat, URLs of the wrong kind, a switch variable
that is no true/false word. The checks are pure (``parse_settings``); one subprocess shows
the line and status the command prints."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli.test_startup_refusals import refused, velox
from velox.config import parse_settings

BAD_FLAGS = [
    (["--session-ttl", "0"], "--session-ttl: must be at least 1"),
    (["--session-ttl", "-5"], "--session-ttl: must be at least 1"),
    (["--max-leverage", "0"], "--max-leverage: must be at least 1"),
    (["--max-price-age", "0"], "--max-price-age: must be a positive number"),
    (["--max-open-positions", "0"], "--max-open-positions: must be at least 1"),
    (["--snapshot-keep", "0"], "--snapshot-keep: must be at least 1"),
    (["--trade-retention", "-1"], "--trade-retention: must be a number, 0 or more"),
    (["--rate-limit-auth", "-1"], "--rate-limit-auth: must not be negative"),
    (["--rate-limit-orders", "-5"], "--rate-limit-orders: must not be negative"),
    (["--rate-limit-public", "-1"], "--rate-limit-public: must not be negative"),
    (["--max-sockets-per-ip", "-1"], "--max-sockets-per-ip: must not be negative"),
    (["--magic-links-per-recipient", "-1"], "--magic-links-per-recipient: must not be negative"),
    (["--replay-speed", "-1"], "--replay-speed: must be a number, 0 or more"),
    (["--symbols", ""], "--symbols: name at least one symbol, e.g. BTCUSDT,ETHUSDT"),
    (["--symbols", " , "], "--symbols: name at least one symbol, e.g. BTCUSDT,ETHUSDT"),
    (["--symbols", "BTCUSDT,BTCUSDT"], "--symbols: BTCUSDT listed twice"),
    (["--symbols", "BTC-USDT"], "--symbols: 'BTC-USDT' is not a symbol such as BTCUSDT"),
    (["--public-url", "velox.example.com"],
     "--public-url: must be a URL starting with http:// or https:// and a host"),
    (["--public-url", "ftp://x"],
     "--public-url: must be a URL starting with http:// or https:// and a host"),
    (["--smtp-url", "http://x"], "--smtp-url: must be a URL starting with smtp:// or "
                                 "smtp+starttls:// or smtps:// and a host"),
    (["--smtp-url", "smtp://host:notaport"],
     "--smtp-url: not a URL: Port could not be cast to integer value as 'notaport'"),
    (["--oidc-issuer", "notaurl"],
     "--oidc-issuer: must be a URL starting with http:// or https:// and a host"),
    (["--binance-url", "https://stream.binance.com"],
     "--binance-url: must be a URL starting with ws:// or wss:// and a host"),
    (["--backpack-url", "notaurl"],
     "--backpack-url: must be a URL starting with ws:// or wss:// and a host"),
    (["--binance-rest-url", "wss://api.binance.com"],
     "--binance-rest-url: must be a URL starting with http:// or https:// and a host"),
]  # fmt: skip


@pytest.mark.parametrize("args, message", BAD_FLAGS)
def test_a_bad_value_is_refused(
    args: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as done:
        parse_settings(args, {})
    assert done.value.code == 1
    assert capsys.readouterr().err == f"velox: {message} (see velox run --help)\n"


@pytest.mark.parametrize(
    "word, meant", [("1", True), ("true", True), ("Yes", True), ("y", True), ("ON", True),
                    ("0", False), ("false", False), ("no", False), ("n", False), ("off", False)],
)  # fmt: skip
def test_a_switch_variable_takes_the_usual_words(word: str, meant: bool) -> None:
    settings = parse_settings([], {"VELOX_DEV": word, "VELOX_PRUNE_JOURNAL": word})
    assert settings.dev is meant and settings.prune_journal is meant


@pytest.mark.parametrize("word", ["enabled", "nope", "maybe", "2"])
def test_a_switch_variable_refuses_any_other_word(word: str) -> None:
    with pytest.raises(SystemExit) as done:
        parse_settings([], {"VELOX_DEV": word})
    assert str(done.value.code).startswith(f"velox: VELOX_DEV: {word!r} is neither true (")


@pytest.mark.parametrize(
    "args, env, name, value",
    [(["--port", "9463"], {"VELOX_PORT": "abc"}, "port", 9463),
     (["--snapshot-keep", "3"], {"VELOX_SNAPSHOT_KEEP": "0"}, "snapshot_keep", 3),
     (["--admin-token", "a" * 40], {"VELOX_ADMIN_TOKEN": "short"}, "admin_token", "a" * 40),
     (["--dev"], {"VELOX_DEV": "enabled"}, "dev", True),
     (["--no-dev"], {"VELOX_DEV": "1"}, "dev", False),
     (["--no-prune-journal"], {"VELOX_PRUNE_JOURNAL": "1"}, "prune_journal", False),
     (["--prune-journal"], {"VELOX_PRUNE_JOURNAL": "0"}, "prune_journal", True)],
)  # fmt: skip
def test_a_flag_wins_over_its_variable_even_a_bad_one(
    args: list[str], env: dict[str, str], name: str, value: object
) -> None:
    """A stale variable in an environment file must not stop the operator who overrides it
    on the command line (it was parsed first and refused), and a switch a variable turned on
    can be turned off by a flag."""
    assert getattr(parse_settings(args, env), name) == value


def test_symbols_are_taken_in_upper_case() -> None:
    assert parse_settings(["--symbols", "btcusdt, ethusdt"], {}).symbols == ("BTCUSDT", "ETHUSDT")


def test_good_urls_are_accepted() -> None:
    settings = parse_settings(
        ["--public-url", "https://velox.example.com", "--smtp-url", "smtps://u:p@mail:465",
         "--binance-url", "ws://127.0.0.1:9", "--oidc-issuer", "http://127.0.0.1:8/realms/x"],
        {},
    )  # fmt: skip
    assert settings.public_url == "https://velox.example.com"
    assert settings.smtp_url == "smtps://u:p@mail:465"


@pytest.mark.parametrize(
    "args, env, line",
    [(["--session-ttl", "0"], {}, "velox: --session-ttl: must be at least 1 (see velox run "
                                  "--help)"),
     ([], {"VELOX_DEV": "enabled"}, "velox: VELOX_DEV: 'enabled' is neither true (1, true, yes, "
                                    "y, on) nor false (0, false, no, n, off)")],
)  # fmt: skip
def test_the_command_refuses_in_one_line(
    args: list[str], env: dict[str, str], line: str, tmp_path: Path
) -> None:
    done = velox("run", "--data-dir", str(tmp_path / "data"), "--port", "0", *args, env=env)
    assert refused(done) == line
