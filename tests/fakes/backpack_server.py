"""A fake Backpack stream server: SUBSCRIBE per connection, µs timestamps, string prices.

Symbols here are Backpack's (``BTC_USDC``). Usage::

    server = FakeBackpackServer()
    url = await server.start()          # pass as BackpackFeed(base_url=url)
    await server.wait_for(lambda: server.subscribed("trade.BTC_USDC"))
    await server.push_trade("BTC_USDC", "95000.1", "0.002", trade_id=7)
"""

from __future__ import annotations

import time

import orjson

from tests.fakes.ws_server import Connection, FakeWsServer

KINDS = ("bookTicker", "trade")


def now_us() -> int:
    return time.time_ns() // 1000


class FakeBackpackServer(FakeWsServer):
    path = "/"

    def subscribed(self, stream: str) -> bool:
        """Whether some open connection is subscribed to ``stream``."""
        return any(stream in c.streams for c in self.connections)

    async def on_text(self, conn: Connection, message: object) -> None:
        if not isinstance(message, dict) or message.get("method") != "SUBSCRIBE":
            await self._error(conn, "Invalid method")
            return
        params = [str(p) for p in message.get("params", [])]
        for param in params:
            kind, _, symbol = param.partition(".")
            if kind not in KINDS or not symbol:
                await self._error(conn, f"Invalid stream {param}")
                return
        conn.streams.update(params)

    async def _error(self, conn: Connection, text: str) -> None:
        await conn.ws.send_json({"id": None, "error": {"code": 4006, "message": text}})

    def _stream(self, stream: str, data: dict[str, object]) -> str:
        return orjson.dumps({"stream": stream, "data": data}).decode()

    async def push_trade(
        self,
        symbol: str,
        price_str: str,
        qty_str: str,
        trade_id: int,
        trade_us: int | None = None,
        buyer_maker: bool = False,
    ) -> int:
        stream = f"trade.{symbol}"
        us = now_us() if trade_us is None else trade_us
        data: dict[str, object] = {
            "e": "trade", "E": us, "s": symbol, "p": price_str, "q": qty_str,
            "b": "111", "a": "222", "t": trade_id, "T": us, "m": buyer_maker,
        }  # fmt: skip
        return await self._send(lambda c: stream in c.streams, self._stream(stream, data))

    async def push_book(
        self,
        symbol: str,
        bid_str: str,
        ask_str: str,
        bid_qty_str: str = "1.0",
        ask_qty_str: str = "1.0",
        update_id: int | str = 1,
    ) -> int:
        stream = f"bookTicker.{symbol}"
        us = now_us()
        data: dict[str, object] = {
            "e": "bookTicker", "E": us, "s": symbol, "a": ask_str, "A": ask_qty_str,
            "b": bid_str, "B": bid_qty_str, "u": update_id, "T": us,
        }  # fmt: skip
        return await self._send(lambda c: stream in c.streams, self._stream(stream, data))
