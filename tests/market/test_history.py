"""The cut's pure rules: folding, the boundary prefix, where history starts, what is history."""

from __future__ import annotations

import pytest

from velox.market.history import LiveCut, fold, is_prefix, prefix, window_start
from velox.store.records import CandleRecord

DAY = 1_736_812_800_000  # 2025-01-14 00:00:00 UTC
CUT = DAY + 5 * 3_600_000 + 7 * 60_000 + 42_000  # 05:07:42


def c(duration: str, time: int, o: int, h: int, lo: int, cl: int, v: int) -> CandleRecord:
    return CandleRecord("BTCUSDT", duration, time, o, h, lo, cl, v)


def test_fold_keeps_first_open_last_close_extremes_and_sums_volume() -> None:
    parts = [
        c("1s", DAY + 29_000, 10, 11, 9, 10, 1),  # bucket 00:00:00
        c("1s", DAY + 30_000, 20, 25, 19, 21, 2),  # bucket 00:00:30
        c("1s", DAY + 31_000, 21, 22, 15, 18, 3),
        c("1s", DAY + 59_000, 18, 30, 18, 29, 4),
    ]
    assert fold(parts, "30s") == [
        c("30s", DAY, 10, 11, 9, 10, 1),
        c("30s", DAY + 30_000, 20, 30, 15, 29, 9),
    ]
    assert fold(parts, "1m") == [c("1m", DAY, 10, 30, 9, 29, 10)]
    assert fold([], "1h") == []


def test_fold_files_unaligned_one_trade_candles_into_their_bucket() -> None:
    trades = [c("1s", DAY + 59_999, 5, 5, 5, 5, 1), c("1s", DAY + 60_000, 6, 6, 6, 6, 2)]
    assert fold(trades, "1m") == [c("1m", DAY, 5, 5, 5, 5, 1), c("1m", DAY + 60_000, 6, 6, 6, 6, 2)]


MINUTES = [c("1m", DAY + m * 60_000, 100 + m, 110 + m, 90 + m, 101 + m, 60) for m in range(307)]
SECONDS = [c("1s", DAY + 307 * 60_000 + s * 1000, 500, 600 + s, 400, 501 + s, 1) for s in range(42)]


@pytest.mark.parametrize(
    ("duration", "expected"),
    [
        # 00:00 .. 05:07 from 307 minutes, then 42 seconds up to the cut
        ("1d", c("1d", DAY, 100, 641, 90, 542, 307 * 60 + 42)),
        ("4h", c("4h", DAY + 4 * 3_600_000, 340, 641, 330, 542, 67 * 60 + 42)),
        ("1h", c("1h", DAY + 5 * 3_600_000, 400, 641, 390, 542, 7 * 60 + 42)),
        ("15m", c("15m", DAY + 5 * 3_600_000, 400, 641, 390, 542, 7 * 60 + 42)),
        ("5m", c("5m", DAY + 305 * 60_000, 405, 641, 395, 542, 2 * 60 + 42)),
        ("1m", c("1m", DAY + 307 * 60_000, 500, 641, 400, 542, 42)),
        ("30s", c("30s", DAY + 307 * 60_000 + 30_000, 500, 641, 400, 542, 12)),
    ],
)
def test_the_prefix_is_the_boundary_bucket_before_the_cut(
    duration: str, expected: CandleRecord
) -> None:
    later = [c("1s", CUT, 1, 10**6, 1, 1, 99)]  # the cut's own second: never in the prefix
    assert prefix(CUT, duration, MINUTES, SECONDS + later) == expected


def test_a_boundary_starting_at_the_cut_has_no_prefix() -> None:
    assert prefix(CUT, "1s", MINUTES, SECONDS) is None
    assert prefix(DAY + 60_000, "1m", MINUTES, SECONDS) is None


def test_history_starts_at_the_newest_stored_candle_but_at_most_count_back() -> None:
    boundary_1m = DAY + 307 * 60_000
    assert window_start(CUT, "1m", 1000, None) == boundary_1m - 1000 * 60_000
    assert window_start(CUT, "1m", 1000, DAY) == DAY  # refetched: it may be partial
    assert window_start(CUT, "1m", 10, DAY) == boundary_1m - 10 * 60_000
    assert window_start(CUT, "1d", 3, None) == DAY - 3 * 86_400_000


def test_what_counts_as_history_before_a_cut() -> None:
    cut = LiveCut("BTCUSDT", "binance", CUT, 1)
    assert is_prefix(c("1d", DAY, 1, 1, 1, 1, 1), cut) is True
    assert is_prefix(c("1d", DAY - 86_400_000, 1, 1, 1, 1, 1), cut) is False
    assert is_prefix(c("1s", CUT - 1000, 1, 1, 1, 1, 1), cut) is False
    for wrong in (
        c("1s", CUT, 1, 1, 1, 1, 1),  # the cut's second is live
        c("1m", DAY + 308 * 60_000, 1, 1, 1, 1, 1),  # after the boundary
        CandleRecord("ETHUSDT", "1d", DAY, 1, 1, 1, 1, 1),  # another symbol
    ):
        with pytest.raises(ValueError, match="is not history before"):
            is_prefix(wrong, cut)
