"""The hub's per-asset sums against SPEC section 3 written out naively, clamp cases included."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from velox.engine.state import Position
from velox.web.ws.sums import columns, sums

S = 10**8


def naive(positions: list[Position], bid: int, ask: int) -> tuple[int, int, int]:
    """used margin, unrealized PnL, sum of max(0, margin + PnL): one position at a time."""
    used = upnl = equity = 0
    for p in positions:
        diff = bid - p.open_price if p.side == "LONG" else p.open_price - ask
        profit = diff * p.qty // S  # floored, losses too
        used += p.margin
        upnl += profit
        equity += max(0, p.margin + profit)
    return used, upnl, equity


position = st.builds(
    lambda n, side, margin, qty, price: Position(
        str(n), "u", "BTCUSDT", side, 10, margin, qty, price, 0, None, None, None, None, 0
    ),
    st.integers(1, 10**6),
    st.sampled_from(["LONG", "SHORT"]),
    st.integers(1, 10**4 * S),
    st.integers(1, 10**3 * S),
    st.integers(1, 10**5 * S),
)


@settings(max_examples=400)
@given(st.lists(position, max_size=12), st.integers(1, 2 * 10**5 * S), st.integers(0, 10**3 * S))
def test_sums_equal_the_naive_figures(positions: list[Position], bid: int, spread: int) -> None:
    ask = bid + spread
    got = sums(columns(positions), bid, ask)
    assert (got.used, got.upnl, got.equity) == naive(positions, bid, ask)


def test_a_position_past_bankruptcy_counts_zero_equity() -> None:
    long = Position("1", "u", "BTCUSDT", "LONG", 10, 10 * S, S // 100, 100_000 * S, 0,
                    None, None, None, None, 0)  # fmt: skip
    # bid 98,999.99: loss 10.0001 > margin 10 -> equity part 0, not -0.0001
    got = sums(columns([long]), 98_999_99 * S // 100, 99_000 * S)
    assert (got.used, got.upnl, got.equity) == (10 * S, -10_0001 * S // 10_000, 0)
    at_edge = sums(columns([long]), 99_000 * S, 99_001 * S)  # loss exactly the margin
    assert (at_edge.upnl, at_edge.equity) == (-10 * S, 0)


def test_no_quote_means_no_pnl() -> None:
    short = Position("2", "u", "ETHUSDT", "SHORT", 5, 20 * S, 3 * S, 3_000 * S, 0,
                     None, None, None, None, 0)  # fmt: skip
    got = sums(columns([short]), None, None)
    assert (got.used, got.upnl, got.equity) == (20 * S, 0, 20 * S)
