"""``GET /fapi/v1/forceOrders``, the account's liquidation orders (ccxt's
``fetch_my_liquidations``): each a position Velox liquidated, as the ``autoclose-`` order
that closed it (``closes.py``), newest ``limit`` of the window (default 50, at most 100),
oldest first. Velox never auto-deleverages, so ``autoCloseType=ADL`` lists nothing."""

from __future__ import annotations

from typing import Any

from velox.binance.closes import close_json
from velox.binance.endpoint import Call, endpoint
from velox.binance.keyring import READ
from velox.web.keys import SETTINGS, STORE


@endpoint(lambda p: 20 if p.get("symbol") else 50, signed=READ)
async def force_orders(call: Call) -> Any:
    params = call.params
    symbol = params.symbol(call.app[SETTINGS].symbols, required=False)
    kind = params.choice("autoCloseType", ("LIQUIDATION", "ADL"), "LIQUIDATION")
    limit = params.optional_int("limit", 1, 100) or 50
    start, end = params.window()
    if kind == "ADL":
        return []
    key = call.credential
    rows = await call.app[STORE].closed_orders_for_account(
        key.user_id, key.account_id, False, limit, asset=symbol, start=start, end=end,
        reason="LIQUIDATION",
    )  # fmt: skip
    return [close_json(rec) for rec in reversed(rows)]
