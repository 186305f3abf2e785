"""The app on a live Binance stream (the fake server) across a step back of the wall clock.

Regression: ticks and commands were stamped with the wall clock. After the clock stepped
back 60 s, every newer price was dropped by the engine as older than the last one, while the
frozen quote's negative age counted as fresh: a 50 % drop was ignored and a SHORT opened at
the pre-crash price. Ticks and commands now carry engine time (monotonic), so the step
changes nothing a trader sees. The step is simulated the way the OS does it: ``time.time``
and ``time.time_ns`` jump back, the monotonic clock does not.
"""

from __future__ import annotations

import random
import time
from pathlib import Path
from typing import Any

import pytest

from tests.fakes.binance_server import FakeBinanceServer
from tests.feeds.helpers import wait_until
from tests.web.helpers import service_of, settle, signup
from velox.config import Settings
from velox.feeds.backoff import Backoff
from velox.feeds.binance import BinanceFeed
from velox.web.app import create_app
from velox.web.options import WebOptions


async def test_a_wall_clock_step_back_changes_no_price(
    aiohttp_client: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    exchange = FakeBinanceServer()
    await exchange.start()
    try:
        feed = BinanceFeed(exchange.url, ["BTCUSDT"], backoff=Backoff(0.01, 0.05, random.Random(1)))
        settings = Settings(data_dir=str(tmp_path), db=f"sqlite:///{tmp_path / 'v.db'}")
        client = await aiohttp_client(
            create_app(settings, feed=feed, options=WebOptions(bcrypt_rounds=4))
        )
        service = service_of(client)
        trader = await signup(client)
        await exchange.wait_connections(1)

        async def ref() -> int | None:
            await settle(client)
            quote = await service.read(lambda e: e.quotes.get("BTCUSDT"))
            return None if quote is None else quote.ref

        exchange_ms = time.time_ns() // 1_000_000
        await exchange.push_trade("BTCUSDT", "100000", "0.01", trade_id=1, trade_ms=exchange_ms)
        await wait_until(lambda: feed.ticks == 1)
        assert await ref() == 10_000_000_000_000

        real_time, real_time_ns = time.time, time.time_ns
        monkeypatch.setattr(time, "time", lambda: real_time() - 60.0)
        monkeypatch.setattr(time, "time_ns", lambda: real_time_ns() - 60_000_000_000)
        # the exchange's clock did not step: its next trade is a second later
        await exchange.push_trade(
            "BTCUSDT", "50000", "0.01", trade_id=2, trade_ms=exchange_ms + 1_000
        )
        await wait_until(lambda: feed.ticks == 2)
        assert await ref() == 5_000_000_000_000  # the crash reaches the engine

        order = await trader.open(asset="BTCUSDT", side="SHORT", leverage=10, margin="10")
        assert order["openPrice"] == "49975.00000000"  # the bid of 50000, not of 100000
    finally:
        await exchange.stop()
