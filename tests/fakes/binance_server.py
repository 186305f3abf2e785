"""A fake Binance spot stream server: ``/stream?streams=a/b/c`` with the combined wrapper.

Message shapes follow EXCHANGE-PROTOCOLS.md exactly (string prices, ms times, spot
bookTicker with only ``u, s, b, B, a, A``). Usage::

    server = FakeBinanceServer()
    url = await server.start()          # pass as BinanceFeed(base_url=url)
    await server.push_trade("BTCUSDT", "95000.10", "0.002", trade_id=1)
    await server.stop()
"""

from __future__ import annotations

import orjson
from aiohttp import web

from tests.fakes.ws_server import Connection, FakeWsServer, now_ms


class FakeBinanceServer(FakeWsServer):
    path = "/stream"

    def on_connect(self, conn: Connection) -> None:
        streams = conn.request.query.get("streams", "")
        if not streams:
            raise web.HTTPBadRequest(text='{"code":2,"msg":"Invalid request: no streams"}')
        conn.streams.update(streams.split("/"))

    async def on_text(self, conn: Connection, message: object) -> None:
        if isinstance(message, dict) and message.get("method") == "SUBSCRIBE":
            conn.streams.update(str(p) for p in message.get("params", []))
            await conn.ws.send_json({"result": None, "id": message.get("id")})

    def _stream(self, stream: str, data: dict[str, object]) -> str:
        return orjson.dumps({"stream": stream, "data": data}).decode()

    async def push_trade(
        self,
        symbol: str,
        price_str: str,
        qty_str: str,
        trade_id: int,
        trade_ms: int | None = None,
        buyer_maker: bool = False,
    ) -> int:
        """Send a ``<sym>@trade`` event to its subscribers; returns how many got it."""
        stream = f"{symbol.lower()}@trade"
        ms = now_ms() if trade_ms is None else trade_ms
        data: dict[str, object] = {
            "e": "trade", "E": ms, "s": symbol.upper(), "t": trade_id, "p": price_str,
            "q": qty_str, "T": ms, "m": buyer_maker, "M": True,
        }  # fmt: skip
        return await self._send(lambda c: stream in c.streams, self._stream(stream, data))

    async def push_book(
        self,
        symbol: str,
        bid_str: str,
        ask_str: str,
        bid_qty_str: str = "1.00000000",
        ask_qty_str: str = "1.00000000",
        update_id: int = 1,
    ) -> int:
        """Send a spot ``<sym>@bookTicker`` (no event type, no times: as Binance spot does)."""
        stream = f"{symbol.lower()}@bookTicker"
        data: dict[str, object] = {
            "u": update_id, "s": symbol.upper(), "b": bid_str, "B": bid_qty_str,
            "a": ask_str, "A": ask_qty_str,
        }  # fmt: skip
        return await self._send(lambda c: stream in c.streams, self._stream(stream, data))

    async def server_shutdown(self) -> int:
        """Announce the shutdown Binance sends before closing a connection."""
        data: dict[str, object] = {"e": "serverShutdown", "E": now_ms()}
        return await self._send(lambda c: True, self._stream("!serverShutdown", data))
