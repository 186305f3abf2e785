"""Velox symbols <-> exchange symbols, as configuration rather than string tricks in parsers.

Velox trades BTC, ETH and SOL against USDT and names them ``BTCUSDT`` etc. everywhere (engine,
store, API). Each exchange spells them its own way: Binance streams use ``btcusdt``, Backpack
quotes in USDC as ``BTC_USDC``. A ``SymbolMap`` holds one exchange's spelling so a deployment
(Binance US, a testnet, a different quote asset) changes a mapping, not code.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import field

from velox.frozen import frozen

DEFAULT_SYMBOLS: tuple[str, ...] = ("BTCUSDT", "ETHUSDT", "SOLUSDT")
VELOX_QUOTE = "USDT"


@frozen
class SymbolMap:
    """One exchange's names for the Velox symbols. Lookups from the exchange side ignore case."""

    to_exchange: Mapping[str, str]
    _to_velox: dict[str, str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        reverse = {ex.upper(): velox for velox, ex in self.to_exchange.items()}
        if len(reverse) != len(self.to_exchange):
            raise ValueError("two Velox symbols map to the same exchange symbol")
        object.__setattr__(self, "_to_velox", reverse)

    @property
    def velox_symbols(self) -> tuple[str, ...]:
        return tuple(self.to_exchange)

    def velox(self, exchange_symbol: str) -> str | None:
        """The Velox symbol for an exchange symbol, or None when we did not subscribe to it."""
        return self._to_velox.get(exchange_symbol.upper())

    def exchange(self, velox_symbol: str) -> str:
        return self.to_exchange[velox_symbol]


def _base(symbol: str) -> str:
    if not symbol.endswith(VELOX_QUOTE) or len(symbol) <= len(VELOX_QUOTE):
        raise ValueError(f"Velox symbol {symbol!r} does not end in {VELOX_QUOTE}")
    return symbol[: -len(VELOX_QUOTE)]


def binance_symbols(
    symbols: Iterable[str] = DEFAULT_SYMBOLS, overrides: Mapping[str, str] | None = None
) -> SymbolMap:
    """Binance spells symbols like Velox; stream names are lowercase (``btcusdt@trade``)."""
    overrides = overrides or {}
    return SymbolMap({s: overrides.get(s, s).lower() for s in symbols})


def backpack_symbols(
    symbols: Iterable[str] = DEFAULT_SYMBOLS,
    overrides: Mapping[str, str] | None = None,
    quote: str = "USDC",
) -> SymbolMap:
    """Backpack lists the majors against USDC: ``BTCUSDT`` -> ``BTC_USDC`` unless overridden."""
    overrides = overrides or {}
    return SymbolMap({s: overrides.get(s, f"{_base(s)}_{quote}") for s in symbols})
