"""Backpack public streams: connect to the base URL, then SUBSCRIBE to bookTicker and trade.

Backpack subscriptions live on the connection, so ``on_connected`` sends the SUBSCRIBE after
every (re)connect. There is no documented success reply; a rejection arrives as an error
message, which the base client logs.
"""

from __future__ import annotations

from collections.abc import Iterable

import aiohttp
import orjson

from velox.feeds.backpack_parse import parse_backpack, subscribe_params
from velox.feeds.messages import Parsed
from velox.feeds.symbols import SymbolMap, backpack_symbols
from velox.feeds.ws import WebsocketFeed

DEFAULT_BACKPACK_URL = "wss://ws.backpack.exchange"


class BackpackFeed(WebsocketFeed):
    """Live Backpack trades and best bid/ask: ``BackpackFeed(base_url, symbols, **ws_options)``."""

    name = "backpack"
    default_url = DEFAULT_BACKPACK_URL

    def symbol_map(self, symbols: Iterable[str]) -> SymbolMap:
        return backpack_symbols(symbols)

    def url(self) -> str:
        return self.base_url

    async def on_connected(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        request = {"method": "SUBSCRIBE", "params": subscribe_params(self.symbols)}
        await ws.send_str(orjson.dumps(request).decode())

    def parse(self, message: object, received_ms: int, connection: int) -> Parsed:
        return parse_backpack(message, received_ms, self.symbols, connection)
