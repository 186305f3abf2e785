"""``/fapi/v1/income`` pages as Binance's: from ``startTime`` the oldest ``limit`` entries,
else the newest; a client paging forward from the last entry's time sees every entry.

An outside review found it read only the newest 1,000 fills of the window and cut those:
with more fills, a page from ``startTime`` began in the middle and 90 of 1,590 entries were
never seen. Here the expected entries are built from ``/fapi/v1/userTrades`` (paged by
``fromId``), whose ``realizedPnl`` and ``commission`` are what income must show.
"""

from __future__ import annotations

import asyncio
from typing import Any

from tests.binance.helpers import Bot, make_key, new_account
from tests.web.conftest import MakeClient
from tests.web.helpers import signup, tick

SOL = "SOLUSDT"
FILLS = 1_030  # more than one page of 1,000


def expected_entries(trades: list[dict[str, Any]]) -> list[tuple[str, str, str]]:
    """(type, trade id, amount) in time order: a fill's REALIZED_PNL (when it closed
    something) before its COMMISSION."""
    out = []
    for t in sorted(trades, key=lambda t: (t["time"], int(t["id"]))):
        if t["realizedPnl"] not in ("0", "0.00000000"):
            out.append(("REALIZED_PNL", str(t["id"]), t["realizedPnl"]))
        out.append(("COMMISSION", str(t["id"]), "-" + t["commission"]))
    return out


def entries(rows: list[dict[str, Any]]) -> list[tuple[str, str, str]]:
    return [(r["incomeType"], str(r["tradeId"]), r["income"]) for r in rows]


async def test_income_pages_forward_from_a_start_and_back_from_now(
    make_client: MakeClient,
) -> None:
    client = await make_client(
        taker_fee="0.0005", rate_limit_orders=0, binance_weight_limit=1_000_000
    )
    await tick(client, SOL, "150")
    user = await signup(client)
    bot = Bot(client, await make_key(user, ["read", "trade"], account_id=await new_account(user)))
    started = (await bot.json("GET", "/fapi/v1/time"))["serverTime"]
    for _pair in range(FILLS // 2):  # a BUY then a SELL: open, then close at a loss
        await asyncio.gather(*(
            bot.json("POST", "/fapi/v1/order", {"symbol": SOL, "side": side, "type": "MARKET",
                                                "quantity": "1"})
            for side in ("BUY", "SELL")
        ))  # fmt: skip
    trades: list[dict[str, Any]] = []
    while len(trades) < FILLS:
        page = await bot.json("GET", "/fapi/v1/userTrades",
                              {"symbol": SOL, "fromId": len(trades) and int(trades[-1]["id"]) + 1,
                               "limit": 1000})  # fmt: skip
        assert page
        trades += page
    expected = expected_entries(trades)
    assert len(expected) > 1_500

    first = await bot.json("GET", "/fapi/v1/income", {"startTime": started, "limit": 5})
    assert entries(first) == expected[:5]
    newest = await bot.json("GET", "/fapi/v1/income", {"limit": 5})
    assert entries(newest) == expected[-5:]
    only_pnl = {"incomeType": "REALIZED_PNL", "startTime": started, "limit": 3}
    pnl = await bot.json("GET", "/fapi/v1/income", only_pnl)
    assert entries(pnl) == [e for e in expected if e[0] == "REALIZED_PNL"][:3]

    seen: dict[tuple[str, str], tuple[str, str, str]] = {}
    start = started
    while True:  # as a client reconciles: forward from the last entry's time
        rows = await bot.json("GET", "/fapi/v1/income", {"startTime": start, "limit": 1000})
        before = len(seen)
        for row, entry in zip(rows, entries(rows), strict=True):
            seen[(row["incomeType"], str(row["tranId"]))] = entry
        if len(seen) == before:
            break
        start = rows[-1]["time"]
    assert sorted(seen.values()) == sorted(expected)
    assert await bot.json("GET", "/fapi/v1/income", {"incomeType": "TRANSFER"}) == []
