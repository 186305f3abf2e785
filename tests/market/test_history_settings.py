"""The chart history's settings: flags, VELOX_* variables, defaults and refusals."""

from __future__ import annotations

import pytest

from velox.config import parse_settings


def test_defaults_are_binance_and_1000_candles_at_two_requests_a_second() -> None:
    s = parse_settings([], environ={})
    assert (s.binance_rest_url, s.history_candles, s.history_rate) == (
        "https://api.binance.com", 1000, 2.0,
    )  # fmt: skip


def test_flags_win_over_the_environment() -> None:
    env = {"VELOX_BINANCE_REST_URL": "https://api.binance.us", "VELOX_HISTORY_CANDLES": "0"}
    s = parse_settings(["--history-rate", "0.5", "--history-candles", "200"], environ=env)
    assert (s.binance_rest_url, s.history_candles, s.history_rate) == (
        "https://api.binance.us", 200, 0.5,
    )  # fmt: skip


@pytest.mark.parametrize(
    "argv",
    [["--history-candles", "-1"], ["--history-candles", "ten"], ["--history-rate", "0"],
     ["--history-rate", "-2"], ["--history-rate", "inf"], ["--history-rate", "nan"]],
)  # fmt: skip
def test_nonsense_is_refused_at_start(argv: list[str]) -> None:
    with pytest.raises(SystemExit):
        parse_settings(argv, environ={})


def test_a_bad_variable_names_itself() -> None:
    with pytest.raises(SystemExit, match="VELOX_HISTORY_RATE: must be a positive number"):
        parse_settings([], environ={"VELOX_HISTORY_RATE": "0"})
