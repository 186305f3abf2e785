"""Funding through the Binance-compatible API: a boundary the engine's clock charges shows in
``/fapi/v1/fundingRate`` (public, per symbol) and as FUNDING_FEE rows of ``/fapi/v1/income``
(the key's account only), to the unit, and through ccxt's funding history calls."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import ccxt.async_support as ccxt
import pytest
from aiohttp.test_utils import TestClient

from tests.binance.helpers import Bot, binance_error, make_key
from tests.binance.test_ccxt import urls_for
from tests.binance.test_user_stream import next_event, stream_of
from tests.web.conftest import FAST, MakeClient
from tests.web.helpers import User, service_of, signup, tick
from velox.clock import ManualClock
from velox.clockwork import drain
from velox.web.options import WebOptions

BTC = "BTCUSDT"
H8 = 28_800_000
B1, B2 = 20_000 * H8, 20_001 * H8  # two funding boundaries (aligned to the epoch)


@dataclass
class World:
    client: TestClient[Any, Any]
    clock: ManualClock
    long: User  # LONG 25x margin 100 at 100000: pays
    short: User  # SHORT 25x margin 100 at 100000: receives
    bot: Bot  # a read key of the LONG trader's account
    long_id: str


async def charge_boundary(world: World, boundary: int, price: str) -> None:
    world.clock.advance(boundary + 1 - world.clock.wall_ms())
    await tick(world.client, BTC, price)
    service = service_of(world.client)
    await drain(service.submit, service.clock())


@pytest.fixture
async def world(make_client: MakeClient) -> AsyncIterator[World]:
    clock = ManualClock(B1 - 60_000)
    options = WebOptions(bcrypt_rounds=FAST.bcrypt_rounds, clock=clock, clock_tick_s=None)
    client = await make_client(options, funding_rate="0.0001", binance_weight_limit=100_000)
    long, short = await signup(client), await signup(client)
    await tick(client, BTC, "100000")
    opened = await long.open(asset=BTC, side="LONG", leverage=25, margin="100")
    await short.open(asset=BTC, side="SHORT", leverage=25, margin="100")
    bot = Bot(client, await make_key(long))
    world = World(client, clock, long, short, bot, opened["orderId"])
    await charge_boundary(world, B1, "100500")
    yield world


async def test_funding_rate_lists_the_boundaries_charged(world: World) -> None:
    get = world.client.get
    first = {"symbol": BTC, "fundingRate": "0.00010000", "fundingTime": B1,
             "markPrice": "100500.00000000"}  # fmt: skip
    assert await (await get(f"/fapi/v1/fundingRate?symbol={BTC}")).json() == [first]
    assert await (await get("/fapi/v1/fundingRate?symbol=ETHUSDT")).json() == []
    await charge_boundary(world, B2, "99000")
    second = {**first, "fundingTime": B2, "markPrice": "99000.00000000"}
    assert await (await get("/fapi/v1/fundingRate")).json() == [first, second]
    assert await (await get(f"/fapi/v1/fundingRate?symbol={BTC}&limit=1")).json() == [second]
    from_b1 = await get(f"/fapi/v1/fundingRate?symbol={BTC}&startTime={B1}&limit=1")
    assert await from_b1.json() == [first]
    window = await get(f"/fapi/v1/fundingRate?startTime={B1 + 1}&endTime={B2}")
    assert await window.json() == [second]
    await binance_error(await get(f"/fapi/v1/fundingRate?startTime={B2}&endTime={B1}"), 400, -1023)
    await binance_error(await get("/fapi/v1/fundingRate?limit=1001"), 400, -1130)


async def test_income_has_the_accounts_funding_fees(world: World) -> None:
    bot, clock = world.bot, world.clock
    fee = {"symbol": BTC, "incomeType": "FUNDING_FEE", "income": "-0.25112438", "asset": "USDT",
           "info": world.long_id, "time": B1, "tradeId": ""}  # fmt: skip
    rows = await bot.json("GET", "/fapi/v1/income", {"incomeType": "FUNDING_FEE"}, clock=clock)
    assert [{k: v for k, v in r.items() if k != "tranId"} for r in rows] == [fee]
    await charge_boundary(world, B2, "99000")
    rows = await bot.json("GET", "/fapi/v1/income", {"incomeType": "FUNDING_FEE"}, clock=clock)
    assert [r["time"] for r in rows] == [B1, B2]
    assert len({r["tranId"] for r in rows}) == 2
    # the position's funding in the native API is the sum of the rows
    order = await world.long.json("GET", f"/api/v1/order/{world.long_id}", 200)
    assert sum(Decimal(r["income"]) for r in rows) == Decimal(order["funding"])
    assert rows[1]["income"] == "-0.24737625"  # 99000 * qty 0.02498750 * 0.0001, exact
    later = {"incomeType": "FUNDING_FEE", "startTime": B1 + 1, "symbol": BTC}
    assert [r["time"] for r in await bot.json("GET", "/fapi/v1/income", later, clock=clock)] == [B2]
    clock.advance(1_000)
    await world.long.json("POST", f"/api/v1/order/close/{world.long_id}", 200)
    everything = await bot.json("GET", "/fapi/v1/income", {}, clock=clock)
    assert [(r["incomeType"], r["time"]) for r in everything] == [
        ("FUNDING_FEE", B1), ("FUNDING_FEE", B2), ("REALIZED_PNL", B2 + 1_001)
    ]  # fmt: skip
    assert everything[:2] == rows
    other = {"incomeType": "FUNDING_FEE", "symbol": "ETHUSDT"}
    assert await bot.json("GET", "/fapi/v1/income", other, clock=clock) == []


async def test_ccxt_reads_funding_rate_history_and_funding_fees(world: World) -> None:
    base = str(world.client.make_url("")).rstrip("/")
    key = await make_key(world.short)
    exchange = ccxt.binanceusdm(
        {"apiKey": key.api_key, "secret": key.secret, "urls": urls_for(base)}
    )
    exchange.milliseconds = world.clock.wall_ms  # signed with the server's (manual) clock
    try:
        rates = await exchange.fetch_funding_rate_history("BTC/USDT:USDT")
        assert [(r["timestamp"], r["fundingRate"]) for r in rates] == [(B1, 0.0001)]
        history = await exchange.fetch_funding_history("BTC/USDT:USDT")
        assert [(h["timestamp"], h["code"], Decimal(str(h["amount"]))) for h in history] == [
            (B1, "USDT", Decimal("0.25137562"))  # the SHORT receives
        ]
    finally:
        await exchange.close()


async def test_the_user_stream_says_what_funding_moved(world: World) -> None:
    """Binance pushes ACCOUNT_UPDATE with reason FUNDING_FEE at each charge of an isolated
    position; Velox sent nothing, so a bot keeping its balance from the stream drifted from
    REST at every boundary (an outside review)."""
    world.clock.advance(B2 - 60_000 - world.clock.wall_ms())  # a listen key lasts an hour
    _key, _listen, ws = await stream_of(world.client, world.long)
    await charge_boundary(world, B2, "99000")
    update = await next_event(ws, "ACCOUNT_UPDATE")
    (balance,), (position,) = update["a"]["B"], update["a"]["P"]
    assert (update["a"]["m"], update["T"], balance["bc"]) == ("FUNDING_FEE", B2 + 1,
                                                              "-0.24737625")  # fmt: skip
    figures = await world.long.balance()
    order = await world.long.json("GET", f"/api/v1/order/{world.long_id}", 200)
    assert (balance["cw"], position["s"], position["iw"]) == (figures["balance"], BTC,
                                                              order["margin"])  # fmt: skip
    assert Decimal(order["margin"]) == Decimal("100") - Decimal("0.25112438") - Decimal(
        "0.24737625"
    )
    await ws.close()


async def test_each_funding_update_carries_the_wallet_after_its_own_charge(world: World) -> None:
    """One boundary charging two positions of an account: one ACCOUNT_UPDATE each, whose
    ``wb`` is the wallet after that charge (the previous one's plus its ``bc``), and whose
    ``P`` is the position charged alone, as Binance documents for isolated positions. Every
    message gave the wallet after the whole boundary, and both positions (an outside review)."""
    world.clock.advance(B2 - 60_000 - world.clock.wall_ms())  # a listen key lasts an hour
    await tick(world.client, BTC, "100500")  # bid 100449.75, ask 100550.25
    second = await world.long.open(asset=BTC, side="LONG", leverage=10, margin="50")
    figures = await world.long.balance()
    before = Decimal(figures["balance"]) + Decimal(figures["usedMargin"])
    _key, _listen, ws = await stream_of(world.client, world.long)
    await charge_boundary(world, B2, "99000")
    first, then = await next_event(ws, "ACCOUNT_UPDATE"), await next_event(ws, "ACCOUNT_UPDATE")
    # 99000 x 0.02498750 x 0.0001 = 0.24737625; the second, floor(500 / 100550.25) =
    # 0.00497263: 99000 x 0.00497263 x 0.0001 = 0.049229037, paid so rounded up: 0.04922904
    assert second["qty"] == "0.00497263"
    paid = Decimal("0.24737625"), Decimal("0.04922904")
    wallets = [before - paid[0], before - paid[0] - paid[1]]
    shown = [(u["a"]["m"], u["a"]["B"][0]["bc"], Decimal(u["a"]["B"][0]["wb"]),
              [(p["s"], p["iw"]) for p in u["a"]["P"]]) for u in (first, then)]  # fmt: skip
    opened = await world.long.json("GET", f"/api/v1/order/{world.long_id}", 200)
    later = await world.long.json("GET", f"/api/v1/order/{second['orderId']}", 200)
    assert shown == [
        ("FUNDING_FEE", "-0.24737625", wallets[0], [(BTC, opened["margin"])]),
        ("FUNDING_FEE", "-0.04922904", wallets[1], [(BTC, later["margin"])]),
    ]
    figures = await world.long.balance()
    assert wallets[1] == Decimal(figures["balance"]) + Decimal(figures["usedMargin"])
    await ws.close()
