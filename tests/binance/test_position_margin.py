"""``POST /fapi/v1/positionMargin`` (ccxt's ``add_margin``): margin added to the symbol's
isolated position as the native API adds it (it answered 404: an outside review)."""

from __future__ import annotations

from decimal import Decimal

import ccxt.async_support as ccxt
import pytest

from tests.binance.test_ccxt_trading import SYMBOL, netting_exchange
from tests.web.conftest import MakeClient
from tests.web.helpers import tick


async def test_ccxt_adds_margin_to_the_position(make_client: MakeClient) -> None:
    client = await make_client(binance_weight_limit=100_000)
    async with netting_exchange(client) as (exchange, user, account):
        on = {"X-Velox-Account": account}
        await tick(client, "BTCUSDT", "100000")
        with pytest.raises(ccxt.OperationRejected, match="-4054"):  # no position yet
            await exchange.add_margin(SYMBOL, 5)
        await exchange.set_leverage(10, SYMBOL)
        bought = await exchange.create_order(SYMBOL, "market", "buy", 0.01)
        before = await user.json("GET", f"/api/v1/order/{bought['id']}", 200, headers=on)
        cash = (await user.json("GET", "/api/v1/order/user/balance", 200, headers=on))["balance"]

        added = await exchange.add_margin(SYMBOL, 12.5)
        assert (added["type"], Decimal(str(added["amount"]))) == ("add", Decimal("12.5"))
        after = await user.json("GET", f"/api/v1/order/{bought['id']}", 200, headers=on)
        assert Decimal(after["margin"]) == Decimal(before["margin"]) + Decimal("12.5")
        assert Decimal(after["liquidationPrice"]) < Decimal(before["liquidationPrice"])
        figures = await user.json("GET", "/api/v1/order/user/balance", 200, headers=on)
        assert Decimal(figures["balance"]) == Decimal(cash) - Decimal("12.5")

        with pytest.raises(ccxt.BadRequest, match="-1130"):  # Velox never takes margin out
            await exchange.reduce_margin(SYMBOL, 5)
        with pytest.raises(ccxt.ExchangeError, match="-2019"):  # more than the balance
            await exchange.add_margin(SYMBOL, 10**7)
        unchanged = await user.json("GET", f"/api/v1/order/{bought['id']}", 200, headers=on)
        assert unchanged["margin"] == after["margin"]
