"""A LIMIT's ``timeInForce`` IOC, FOK and GTX (ccxt's ``postOnly``) through ccxt, as a bot
written for Binance sends them; they were refused with -1115 "Invalid timeInForce.".

Binance's rules: an IOC that cannot fill at once is EXPIRED (it is in the order history); a
FOK that cannot fill is refused with -5021, a post-only order that would take with -5022, and
neither is recorded. Velox fills an order whole or not at all (at the quote), so an IOC and a
FOK that can fill are both filled whole. The quote: BTC bid 99950, ask 100050."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import ccxt.async_support as ccxt
import pytest

from tests.binance.test_ccxt_trading import SYMBOL, netting_exchange
from tests.web.conftest import MakeClient
from tests.web.helpers import tick


def D(value: Any) -> Decimal:
    return Decimal(str(value))


async def free_usdt(exchange: Any) -> Decimal:
    return D((await exchange.fetch_balance())["USDT"]["free"])


async def test_ioc_fok_and_post_only_as_binance_has_them(make_client: MakeClient) -> None:
    client = await make_client(binance_weight_limit=100_000)
    async with netting_exchange(client) as (exchange, user, account):
        await tick(client, "BTCUSDT", "100000")
        start = await free_usdt(exchange)
        on = {"X-Velox-Account": account}

        # an IOC short of the ask: EXPIRED at once, listed, nothing held
        ioc = await exchange.create_order(SYMBOL, "limit", "buy", 0.01, 100049,
                                          params={"timeInForce": "IOC"})  # fmt: skip
        assert ioc["status"] == "expired" and ioc["timeInForce"] == "IOC", ioc
        assert D(ioc["filled"]) == 0
        assert await exchange.fetch_open_orders(SYMBOL) == []
        listed = await exchange.fetch_orders(SYMBOL)
        assert [(o["id"], o["status"]) for o in listed] == [(ioc["id"], "expired")]
        assert await free_usdt(exchange) == start
        native = await user.json("GET", f"/api/v1/order/{ioc['id']}", 200, headers=on)
        assert (native["status"], native["cancelReason"]) == ("EXPIRED", "EXPIRED")

        # a FOK short of the ask: -5021, no order at all
        with pytest.raises(ccxt.ExchangeError, match='"code":-5021'):
            await exchange.create_order(SYMBOL, "limit", "buy", 0.01, 100049,
                                        params={"timeInForce": "FOK"})  # fmt: skip
        # a post-only order at the ask would take: -5022, no order at all
        with pytest.raises(ccxt.ExchangeError, match='"code":-5022'):
            await exchange.create_order(SYMBOL, "limit", "buy", 0.01, 100050,
                                        params={"postOnly": True})  # fmt: skip
        assert len(await exchange.fetch_orders(SYMBOL)) == 1
        assert await free_usdt(exchange) == start

        # a post-only order below the ask rests (GTX), as a maker
        maker = await exchange.create_order(SYMBOL, "limit", "buy", 0.01, 99000,
                                            params={"postOnly": True})  # fmt: skip
        assert maker["status"] == "open" and maker["postOnly"] is True, maker
        assert [o["id"] for o in await exchange.fetch_open_orders(SYMBOL)] == [maker["id"]]
        await exchange.cancel_order(maker["id"], SYMBOL)

        # IOC and FOK through the ask fill whole at the ask (a taker's fill)
        for tif in ("IOC", "FOK"):
            filled = await exchange.create_order(SYMBOL, "limit", "buy", 0.01, 100100,
                                                 params={"timeInForce": tif})  # fmt: skip
            assert filled["status"] == "closed", filled
            assert (D(filled["filled"]), D(filled["average"])) == (D("0.01"), D("100050"))
        (position,) = await exchange.fetch_positions([SYMBOL])
        assert D(position["contracts"]) == D("0.02")


async def test_exchange_info_lists_the_times_in_force(make_client: MakeClient) -> None:
    client = await make_client(binance_weight_limit=100_000)
    info = await (await client.get("/fapi/v1/exchangeInfo")).json()
    (btc,) = [s for s in info["symbols"] if s["symbol"] == "BTCUSDT"]
    assert btc["timeInForce"] == ["GTC", "IOC", "FOK", "GTX", "GTD"]
