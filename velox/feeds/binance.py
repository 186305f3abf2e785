"""Binance spot combined streams: ``{base_url}/stream?streams=btcusdt@trade/...``.

Subscribing through the URL (not SUBSCRIBE messages) means a reconnect resubscribes by
construction and spends none of the 5 messages/s control budget.
"""

from __future__ import annotations

from collections.abc import Iterable

from velox.feeds.binance_parse import parse_binance, stream_names
from velox.feeds.messages import Parsed
from velox.feeds.symbols import SymbolMap, binance_symbols
from velox.feeds.ws import WebsocketFeed

DEFAULT_BINANCE_URL = "wss://stream.binance.com:9443"


class BinanceFeed(WebsocketFeed):
    """Live Binance trades and best bid/ask: ``BinanceFeed(base_url, symbols, **ws_options)``."""

    name = "binance"
    default_url = DEFAULT_BINANCE_URL

    def symbol_map(self, symbols: Iterable[str]) -> SymbolMap:
        return binance_symbols(symbols)

    def url(self) -> str:
        return f"{self.base_url}/stream?streams={'/'.join(stream_names(self.symbols))}"

    def parse(self, message: object, received_ms: int, connection: int) -> Parsed:
        return parse_binance(message, received_ms, self.symbols, connection)
