"""The Binance stream names Velox serves.

A name is a lowercase symbol, ``@`` and a kind (``btcusdt@kline_1m``), or one of the
market-wide arrays (``!ticker@arr``).
"""

from __future__ import annotations

from velox.binance.shapes import INTERVALS

TICKER_KINDS = ("ticker", "miniTicker")
MARKET_WIDE = tuple(f"!{kind}@arr" for kind in TICKER_KINDS)
KINDS = frozenset(
    (
        "bookTicker", "trade", "aggTrade", "markPrice", "markPrice@1s", *TICKER_KINDS,
        *(f"kline_{i}" for i in INTERVALS),
    )
)  # fmt: skip


def parse_stream(name: str, symbols: tuple[str, ...]) -> str | None:
    """The canonical stream name (``btcusdt@kline_1m``) or None if it is not one of ours."""
    if name in MARKET_WIDE:
        return name
    symbol, sep, kind = name.partition("@")
    if not sep or symbol.upper() not in symbols or symbol != symbol.lower():
        return None
    return name if kind in KINDS else None
