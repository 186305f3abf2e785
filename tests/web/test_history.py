"""``/api/v1/history/...`` over a real socket: closed positions filtered by asset and close
time, the same rows as a streamed RFC 4180 CSV, and the statistics computed from them.

Spread 0, so each trade's result is hand-computed: ETH 1 @ 1000 -> 1100 (+100), ETH 1 @ 1100
-> 1050 (-50), BTC 0.01 @ 100000 -> 103000 (+30), each at 10x.
"""

from __future__ import annotations

import asyncio
import csv
import io
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from tests.web.conftest import MakeClient
from tests.web.helpers import User, assert_error, signup, tick
from velox.web.history import CSV_COLUMNS, FILL_COLUMNS


async def _trade(
    client: TestClient[Any, Any], user: User, asset: str, qty: str, open_at: str, close_at: str
) -> Any:
    await tick(client, asset, open_at)
    order = await user.open(asset=asset, side="LONG", leverage=10, qty=qty)
    await asyncio.sleep(0.005)  # the close lands in a later millisecond than the open
    await tick(client, asset, close_at)
    closed = await user.json("POST", f"/api/v1/order/close/{order['orderId']}", 200)
    await asyncio.sleep(0.005)  # the next close lands in a later millisecond
    return closed


@pytest.fixture
async def client(make_client: MakeClient) -> TestClient[Any, Any]:
    return await make_client(spread="0")


@pytest.fixture
async def trader(client: TestClient[Any, Any]) -> tuple[User, list[Any]]:
    user = await signup(client)
    closed = [
        await _trade(client, user, "ETHUSDT", "1", "1000", "1100"),
        await _trade(client, user, "ETHUSDT", "1", "1100", "1050"),
        await _trade(client, user, "BTCUSDT", "0.01", "100000", "103000"),
    ]
    times = [c["closedAt"] for c in closed]
    assert times == sorted(set(times)), times
    return user, closed


async def test_positions_newest_first_with_results(trader: tuple[User, list[Any]]) -> None:
    user, closed = trader
    body = await user.json("GET", "/api/v1/history/positions", 200)
    rows = body["positions"]
    assert [r["orderId"] for r in rows] == [c["orderId"] for c in reversed(closed)]
    assert [(r["asset"], r["pnl"], r["result"], r["margin"]) for r in rows] == [
        ("BTCUSDT", "30.00000000", "30.00000000", "100.00000000"),
        ("ETHUSDT", "-50.00000000", "-50.00000000", "110.00000000"),
        ("ETHUSDT", "100.00000000", "100.00000000", "100.00000000"),
    ]
    assert rows[0] == {**closed[2], "result": "30.00000000"}
    limited = await user.json("GET", "/api/v1/history/positions?limit=1", 200)
    assert [r["orderId"] for r in limited["positions"]] == [closed[2]["orderId"]]


async def test_filters(trader: tuple[User, list[Any]]) -> None:
    user, closed = trader
    eth = await user.json("GET", "/api/v1/history/positions?asset=ETHUSDT", 200)
    assert [r["orderId"] for r in eth["positions"]] == [closed[1]["orderId"], closed[0]["orderId"]]
    t1, t2 = closed[1]["closedAt"], closed[2]["closedAt"]
    window = await user.json("GET", f"/api/v1/history/positions?startTime={t1}&endTime={t1}", 200)
    assert [r["orderId"] for r in window["positions"]] == [closed[1]["orderId"]]
    after = await user.json("GET", f"/api/v1/history/positions?startTime={t2 + 1}", 200)
    assert after["positions"] == []


async def test_stats_from_the_api(
    client: TestClient[Any, Any], trader: tuple[User, list[Any]]
) -> None:
    """Curve 1000, 1100, 1050, 1080; peak 1100: drawdown 50 = 4.545454...% (up)."""
    user, closed = trader
    stats = await user.json("GET", "/api/v1/history/stats", 200)
    assert {k: v for k, v in stats.items() if k != "equity"} == {
        "trades": 3, "wins": 2, "losses": 1,
        "winRate": "66.66666666",
        "grossProfit": "130.00000000", "grossLoss": "-50.00000000", "netResult": "80.00000000",
        "profitFactor": "2.60000000",
        "averageWin": "65.00000000", "averageLoss": "-50.00000000",
        "maxDrawdown": "50.00000000", "maxDrawdownPercent": "4.54545455",
        "sharpe": None,  # one day: one daily return
        "startEquity": "1000.00000000", "endEquity": "1080.00000000",
    }  # fmt: skip
    assert [p["equity"] for p in stats["equity"]] == [
        "1000.00000000",
        "1100.00000000",
        "1050.00000000",
        "1080.00000000",
    ]
    assert [p["time"] for p in stats["equity"][1:]] == [c["closedAt"] for c in closed]
    assert (await user.balance())["balance"] == stats["endEquity"]

    # From the second close on: it starts with the cash the account held then (1100).
    t1 = closed[1]["closedAt"]
    later = await user.json("GET", f"/api/v1/history/stats?startTime={t1}", 200)
    assert [p["equity"] for p in later["equity"]] == [
        "1100.00000000",
        "1050.00000000",
        "1080.00000000",
    ]
    assert (later["trades"], later["startEquity"], later["netResult"]) == (
        2,
        "1100.00000000",
        "-20.00000000",
    )
    eth = await user.json("GET", "/api/v1/history/stats?asset=ETHUSDT", 200)
    assert (eth["trades"], eth["endEquity"], eth["profitFactor"]) == (
        2,
        "1050.00000000",
        "2.00000000",
    )


async def test_csv_has_the_api_numbers(trader: tuple[User, list[Any]]) -> None:
    user, closed = trader
    response = await user.call("GET", "/api/v1/history/positions.csv")
    assert response.status == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert response.headers["Content-Disposition"] == 'attachment; filename="velox-history.csv"'
    raw = await response.read()
    assert raw.count(b"\r\n") == 4 and raw.endswith(b"\r\n")  # RFC 4180 line ends
    header, *rows = list(csv.reader(io.StringIO(raw.decode(), newline="")))
    assert tuple(header) == CSV_COLUMNS
    api = (await user.json("GET", "/api/v1/history/positions", 200))["positions"][::-1]
    assert len(rows) == 3
    for row, position in zip(rows, api, strict=True):
        record = dict(zip(header, row, strict=True))
        for key in (
            "orderId",
            "asset",
            "side",
            "qty",
            "openPrice",
            "closePrice",
            "margin",
            "pnl",
            "result",
            "closeReason",
        ):
            assert record[key] == str(position[key]), key
        assert record["parentOrderId"] == ""
        assert int(record["closedAt"]) == position["closedAt"]
        assert record["closedTime"].endswith("Z")
    eth = await user.call(
        "GET", f"/api/v1/history/positions.csv?asset=ETHUSDT&endTime={closed[0]['closedAt']}"
    )
    assert (await eth.read()).decode().count("\r\n") == 2  # header + the first trade


async def test_another_user_sees_nothing(
    client: TestClient[Any, Any], trader: tuple[User, list[Any]]
) -> None:
    bob = await signup(client)
    assert (await bob.json("GET", "/api/v1/history/positions", 200))["positions"] == []
    stats = await bob.json("GET", "/api/v1/history/stats", 200)
    assert (stats["trades"], stats["endEquity"]) == (0, "1000.00000000")
    csv_text = await (await bob.call("GET", "/api/v1/history/positions.csv")).text()
    assert csv_text == ",".join(CSV_COLUMNS) + "\r\n"


@pytest.mark.parametrize(
    ("query", "code", "field"),
    [
        ("asset=DOGEUSDT", "UNKNOWN_ASSET", "asset"),
        ("startTime=yesterday", "VALIDATION_ERROR", "startTime"),
        ("endTime=-1", "VALIDATION_ERROR", "endTime"),
        ("limit=0", "VALIDATION_ERROR", "limit"),
    ],
)
async def test_bad_filters(client: TestClient[Any, Any], query: str, code: str, field: str) -> None:
    user = await signup(client)
    for path in ("positions", "stats", "positions.csv"):
        if field == "limit" and path != "positions":
            continue
        response = await user.call("GET", f"/api/v1/history/{path}?{query}")
        assert response.status == 400
        assert_error(await response.json(), code, field)


async def test_signed_out(client: TestClient[Any, Any]) -> None:
    for path in ("positions", "stats", "positions.csv"):
        response = await client.get(f"/api/v1/history/{path}")
        assert response.status == 401
        assert_error(await response.json(), "UNAUTHORIZED")


async def test_a_gap_through_liquidation_costs_only_the_margin(
    client: TestClient[Any, Any],
) -> None:
    """ETH 1 @ 1000 at 10x (margin 100) gapped to 800: pnl -200, but the trader loses only
    the margin (negative balance protection): result -100, equity 900."""
    user = await signup(client)
    await tick(client, "ETHUSDT", "1000")
    await user.open(asset="ETHUSDT", side="LONG", leverage=10, qty="1")
    await tick(client, "ETHUSDT", "800")
    (row,) = (await user.json("GET", "/api/v1/history/positions", 200))["positions"]
    assert (row["closeReason"], row["pnl"], row["result"]) == (
        "LIQUIDATION",
        "-200.00000000",
        "-100.00000000",
    )
    stats = await user.json("GET", "/api/v1/history/stats", 200)
    assert (stats["grossLoss"], stats["endEquity"]) == ("-100.00000000", "900.00000000")
    assert (await user.balance())["balance"] == "900.00000000"


async def test_open_positions_carry_their_trailing_mark(client: TestClient[Any, Any]) -> None:
    """The chart's trailing-stop line sits at trailingMark - trailingStop (LONG): the mark is
    the highest bid since the stop was set, null without a trailing stop."""
    user = await signup(client)
    await tick(client, "BTCUSDT", "100000")
    trailing = await user.open(
        asset="BTCUSDT", side="LONG", leverage=10, margin="100", trailingStop="500"
    )
    plain = await user.open(asset="BTCUSDT", side="LONG", leverage=10, margin="100")
    assert (trailing["trailingMark"], plain["trailingMark"]) == ("100000.00000000", None)
    await tick(client, "BTCUSDT", "101000")
    await tick(client, "BTCUSDT", "100800")
    now = await user.json("GET", f"/api/v1/order/{trailing['orderId']}", 200)
    assert (now["trailingMark"], now["trailingStop"]) == ("101000.00000000", "500.00000000")


async def test_history_is_per_account(client: TestClient[Any, Any]) -> None:
    """A second account's trades show under its id (header or ?account=), not in the first
    account's history, and its statistics start from its own initial balance."""
    user = await signup(client)
    first = await _trade(client, user, "ETHUSDT", "1", "1000", "1100")  # +100, first account
    second = await user.json("POST", "/api/v1/accounts", 201, json={"name": "b", "mode": "HEDGING"})
    other = {"X-Velox-Account": second["accountId"]}
    await tick(client, "ETHUSDT", "1000")
    order = await user.json(
        "POST", "/api/v1/order/open", 201, headers=other,
        json={"asset": "ETHUSDT", "side": "LONG", "leverage": 10, "qty": "1"},
    )  # fmt: skip
    await tick(client, "ETHUSDT", "970")
    await user.json("POST", f"/api/v1/order/close/{order['orderId']}", 200, headers=other)

    mine = await user.json("GET", "/api/v1/history/positions", 200)
    assert [p["orderId"] for p in mine["positions"]] == [first["orderId"]]
    theirs = await user.json("GET", f"/api/v1/history/positions?account={second['accountId']}", 200)
    assert [(p["orderId"], p["result"]) for p in theirs["positions"]] == [
        (order["orderId"], "-30.00000000")
    ]
    stats = await user.json("GET", "/api/v1/history/stats", 200, headers=other)
    assert (stats["trades"], stats["startEquity"], stats["endEquity"]) == (
        1,
        "1000.00000000",
        "970.00000000",
    )
    assert (await user.json("GET", "/api/v1/order/user/balance", 200, headers=other))[
        "balance"
    ] == "970.00000000"
    csv_body = await (await user.call("GET", "/api/v1/history/positions.csv", headers=other)).text()
    assert csv_body.count("\r\n") == 2 and second["accountId"] in csv_body
    bob = await signup(client)
    response = await bob.call("GET", f"/api/v1/history/stats?account={second['accountId']}")
    assert response.status == 404
    assert_error(await response.json(), "NOT_FOUND")


async def test_fills_csv(client: TestClient[Any, Any]) -> None:
    """Each open and close is a fill (SPEC 12): the CSV holds the API's fills, oldest first,
    filtered by asset and time like the positions."""
    user = await signup(client)
    closed = await _trade(client, user, "ETHUSDT", "1", "1000", "1100")
    await _trade(client, user, "BTCUSDT", "0.01", "100000", "103000")
    api = (await user.json("GET", "/api/v1/order/user/fills", 200))["fills"][::-1]
    assert [(f["asset"], f["side"], f["price"]) for f in api] == [
        ("ETHUSDT", "BUY", "1000.00000000"),
        ("ETHUSDT", "SELL", "1100.00000000"),
        ("BTCUSDT", "BUY", "100000.00000000"),
        ("BTCUSDT", "SELL", "103000.00000000"),
    ]
    response = await user.call("GET", "/api/v1/history/fills.csv")
    assert response.headers["Content-Disposition"] == 'attachment; filename="velox-fills.csv"'
    header, *rows = list(csv.reader(io.StringIO(await response.text(), newline="")))
    assert tuple(header) == FILL_COLUMNS
    records = [dict(zip(header, r, strict=True)) for r in rows]
    for record, fill in zip(records, api, strict=True):
        for key in ("fillId", "orderId", "positionId", "asset", "side", "price", "qty", "fee",
                    "realizedPnl"):  # fmt: skip
            assert record[key] == fill[key], key
        assert (record["maker"], int(record["time"])) == (str(fill["maker"]).lower(), fill["time"])
    assert records[1]["realizedPnl"] == "100.00000000"
    eth = await user.call(
        "GET", f"/api/v1/history/fills.csv?asset=ETHUSDT&startTime={closed['closedAt']}"
    )
    (_, only) = list(csv.reader(io.StringIO(await eth.text(), newline="")))
    assert (only[4], only[5]) == ("ETHUSDT", "SELL")
