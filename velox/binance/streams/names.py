"""The Binance stream names Velox serves, and what a depth stream's name asks for.

A name is a lowercase symbol, ``@`` and a kind (``btcusdt@kline_1m``), or one of the
market-wide arrays (``!ticker@arr``). Depth streams carry their options in the name, as on
Binance USDⓈ-M: ``<sym>@depth`` is the diff stream, ``<sym>@depth<5|10|20>`` the top of the
book, either followed by ``@100ms``, ``@250ms`` (the default) or ``@500ms``.
"""

from __future__ import annotations

from dataclasses import dataclass

from velox.binance.shapes import ALL_INTERVALS
from velox.config import MAX_SYMBOL_LENGTH

DEPTH_SPEEDS_MS = (100, 250, 500)
DEFAULT_DEPTH_MS = 250
DEPTH_LEVELS = ("5", "10", "20")
TICKER_KINDS = ("ticker", "miniTicker")
MARKET_WIDE = tuple(f"!{kind}@arr" for kind in TICKER_KINDS)


def _depth_kinds() -> tuple[str, ...]:
    bases = ("depth", *(f"depth{levels}" for levels in DEPTH_LEVELS))
    return tuple(f"{b}{s}" for b in bases for s in ("", *(f"@{ms}ms" for ms in DEPTH_SPEEDS_MS)))


KINDS = frozenset(
    (
        "bookTicker", "trade", "aggTrade", "markPrice", "markPrice@1s", *TICKER_KINDS,
        *(f"kline_{i}" for i in ALL_INTERVALS), *_depth_kinds(),
    )
)  # fmt: skip


# The longest name a socket can ask for: what its control messages are sized by.
LONGEST_NAME = max(
    MAX_SYMBOL_LENGTH + 1 + max(len(kind) for kind in KINDS), *(len(n) for n in MARKET_WIDE)
)


@dataclass(frozen=True, slots=True)
class DepthName:
    """What a depth stream's name asks for: whose book, how often, whole or the top."""

    symbol: str  # as Velox spells it (BTCUSDT)
    speed_ms: int
    partial: bool


def parse_stream(name: str, symbols: tuple[str, ...]) -> str | None:
    """The canonical stream name (``btcusdt@kline_1m``) or None if it is not one of ours."""
    if name in MARKET_WIDE:
        return name
    symbol, sep, kind = name.partition("@")
    if not sep or symbol.upper() not in symbols or symbol != symbol.lower():
        return None
    return name if kind in KINDS else None


def depth_name(name: str) -> DepthName | None:
    """The depth stream ``name`` (already parsed) stands for, or None for another kind."""
    symbol, _, kind = name.partition("@")
    base, _, speed = kind.partition("@")
    if not base.startswith("depth"):
        return None
    speed_ms = int(speed.removesuffix("ms")) if speed else DEFAULT_DEPTH_MS
    return DepthName(symbol.upper(), speed_ms, partial=base != "depth")
