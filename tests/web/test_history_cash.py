"""A history row's ``result`` is what the position did to the trader's cash, and the equity
curve is the account's cash: start + results + deposit adjustments == balance, to the unit.

Every expected number is worked out by hand below (spread 0, so bid = ask = the pushed
price; fee = ceil(price * qty * rate); SPEC 3 and 12). A position's cash: the margin and the
open fee leave the free balance at open (and any margin added later); funding moves the
isolated margin, never the free balance; the close pays back ``max(0, margin + pnl - fee)``.
A reset's top-up or excess is a deposit flow: it steps the curve but is no result, no
drawdown and no daily return.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from tests.web.conftest import FAST, MakeClient
from tests.web.helpers import User, service_of, signup, tick
from velox.clock import ManualClock
from velox.clockwork import drain
from velox.config import Settings
from velox.money import units
from velox.web.app import create_app
from velox.web.history_stats import DAY_MS, Flow, Trade, summarize
from velox.web.options import WebOptions

BTC, ETH = "BTCUSDT", "ETHUSDT"
H8 = 28_800_000
B1 = 20_000 * H8  # a funding boundary (2024-10-05T16:00Z)
START = B1 - 3_600_000


@pytest.fixture
def settings(db_url: str, tmp_path: Path) -> Settings:
    """The web tests' settings on each store: the deposits are read from the journal and the
    close fees from the fills, by SQL both databases must answer alike."""
    return Settings(
        data_dir=str(tmp_path),
        db=db_url,
        rate_limit_auth=1000,
        rate_limit_orders=1000,
        rate_limit_public=1000,
        snapshot_interval=3600.0,
    )


@pytest.fixture
def make_client(db_url: str, aiohttp_client: Any, settings: Settings) -> MakeClient:
    """As ``tests/web/conftest.py``'s, with ``db_url`` first: the app is torn down before a
    PostgreSQL schema is dropped."""

    async def make(options: WebOptions = FAST, **changes: Any) -> TestClient[Any, Any]:
        app = create_app(settings.with_(**changes), feed=None, options=options)
        client: TestClient[Any, Any] = await aiohttp_client(app)
        return client

    return make


async def velox(
    make_client: MakeClient, **changes: Any
) -> tuple[TestClient[Any, Any], ManualClock]:
    """Spread 0, no funding unless asked, and time that moves only when a test moves it."""
    clock = ManualClock(START)
    options = WebOptions(bcrypt_rounds=FAST.bcrypt_rounds, clock=clock, clock_tick_s=None)
    settings = {"spread": "0", "funding_rate": "0", **changes}
    return await make_client(options, **settings), clock


async def pass_boundary(client: TestClient[Any, Any], clock: ManualClock) -> None:
    """Past the boundary B1 at ref 100000, and the engine's clock charged it."""
    clock.set(B1 + 1)
    await tick(client, BTC, "100000")
    service = service_of(client)
    await drain(service.submit, service.clock())


async def close(user: User, clock: ManualClock, order_id: str, **body: Any) -> Any:
    clock.advance(1)  # each close in a millisecond of its own
    return await user.json("POST", f"/api/v1/order/close/{order_id}", 200, json=body)


async def rows(user: User, headers: dict[str, str] | None = None) -> list[Any]:
    """The closed rows, oldest first."""
    body = await user.json("GET", "/api/v1/history/positions", 200, headers=headers or {})
    return list(reversed(body["positions"]))


async def stats(user: User, query: str = "", headers: dict[str, str] | None = None) -> Any:
    return await user.json("GET", f"/api/v1/history/stats{query}", 200, headers=headers or {})


async def csv_results(user: User, headers: dict[str, str] | None = None) -> list[str]:
    response = await user.call("GET", "/api/v1/history/positions.csv", headers=headers or {})
    header, *lines = list(csv.reader(io.StringIO(await response.text(), newline="")))
    return [dict(zip(header, line, strict=True))["result"] for line in lines]


def equity(body: Any) -> list[str]:
    return [p["equity"] for p in body["equity"]]


async def test_fees_open_and_close_count(make_client: MakeClient) -> None:
    """Taker 0.001. ETH LONG 1 @ 1000 at 10x: margin 100, open fee 1 (balance 899). Closed
    at 1002: pnl 2, close fee ceil(1.002) = 1.002, settlement 100 + 2 - 1.002 = 100.998;
    balance 999.998. Result 100.998 - 100 - 1 = -0.002: a loss, not a win of 0.998."""
    client, clock = await velox(make_client, taker_fee="0.001")
    user = await signup(client)
    await tick(client, ETH, "1000")
    order = await user.open(asset=ETH, side="LONG", leverage=10, qty="1")
    await tick(client, ETH, "1002")
    await close(user, clock, order["orderId"])
    (row,) = await rows(user)
    assert (row["pnl"], row["fee"], row["result"]) == ("2.00000000", "2.00200000", "-0.00200000")
    assert await csv_results(user) == ["-0.00200000"]
    body = await stats(user)
    assert (body["trades"], body["wins"], body["losses"]) == (1, 0, 1)
    assert (body["grossProfit"], body["grossLoss"], body["netResult"]) == (
        "0.00000000", "-0.00200000", "-0.00200000"
    )  # fmt: skip
    assert (body["winRate"], body["profitFactor"]) == ("0.00000000", "0.00000000")
    # 0.002 of a 1000 peak = 0.0002 %
    assert (body["maxDrawdown"], body["maxDrawdownPercent"]) == ("0.00200000", "0.00020000")
    assert (body["startEquity"], body["endEquity"]) == ("1000.00000000", "999.99800000")
    assert equity(body) == ["1000.00000000", "999.99800000"]
    assert (await user.balance())["balance"] == "999.99800000"


async def test_funding_counts(make_client: MakeClient) -> None:
    """Funding rate 0.01, one boundary. BTC LONG margin 100 at 10x @ 100000: qty 0.01. At the
    boundary (ref 100000) it pays 100000 * 0.01 * 0.01 = 10 out of its margin (90). Closed
    at 100000: pnl 0, settlement 90, balance 990. Result 90 - 100 = -10 (pnl 0 - fee 0 +
    funding -10), not 0."""
    client, clock = await velox(make_client, funding_rate="0.01")
    user = await signup(client)
    await tick(client, BTC, "100000")
    order = await user.open(asset=BTC, side="LONG", leverage=10, margin="100")
    await pass_boundary(client, clock)
    await close(user, clock, order["orderId"])
    (row,) = await rows(user)
    assert (row["margin"], row["funding"], row["pnl"], row["result"]) == (
        "90.00000000", "-10.00000000", "0.00000000", "-10.00000000"
    )  # fmt: skip
    assert await csv_results(user) == ["-10.00000000"]
    body = await stats(user)
    assert (body["wins"], body["losses"], body["netResult"]) == (0, 1, "-10.00000000")
    assert (body["endEquity"], body["maxDrawdown"]) == ("990.00000000", "10.00000000")
    assert (await user.balance())["balance"] == "990.00000000"


async def test_partial_close_with_fees_and_funding(make_client: MakeClient) -> None:
    """Taker 0.001, funding 0.01. BTC LONG margin 100 at 10x @ 100000: qty 0.01, open fee
    ceil(100000 * 0.01 * 0.001) = 1 (balance 899). Boundary: pays 10, margin 90.

    50 % at 101000: part qty 0.005, part margin floor(90 / 2) = 45, pnl 1000 * 0.005 = 5,
    fee ceil(0.505) = 0.505, settlement 45 + 5 - 0.505 = 49.495 (balance 948.495). The part
    row shows its close fee and no funding: result 49.495 - 45 = 4.495.

    The rest (0.005, margin 45) at 99000: pnl -5, fee 0.495, settlement 39.505 (balance
    988). Its row carries the open fee and all the funding (fee 1.495, funding -10): what it
    put in is its margin less the funding that moved it (55) plus the open fee (1), result
    39.505 - 55 - 1 = -16.495 = pnl -5 - fee 1.495 + funding -10. Together: -12 = 988 - 1000.
    """
    client, clock = await velox(make_client, taker_fee="0.001", funding_rate="0.01")
    user = await signup(client)
    await tick(client, BTC, "100000")
    order = await user.open(asset=BTC, side="LONG", leverage=10, margin="100")
    await pass_boundary(client, clock)
    await tick(client, BTC, "101000")
    await close(user, clock, order["orderId"], percent=50)
    await tick(client, BTC, "99000")
    await close(user, clock, order["orderId"])
    part, rest = await rows(user)
    assert part["parentOrderId"] == rest["orderId"] == order["orderId"]
    assert (part["margin"], part["fee"], part["funding"], part["result"]) == (
        "45.00000000", "0.50500000", "0.00000000", "4.49500000"
    )  # fmt: skip
    assert (rest["margin"], rest["fee"], rest["funding"], rest["result"]) == (
        "45.00000000", "1.49500000", "-10.00000000", "-16.49500000"
    )  # fmt: skip
    assert await csv_results(user) == ["4.49500000", "-16.49500000"]
    body = await stats(user)
    assert (body["wins"], body["losses"], body["netResult"]) == (1, 1, "-12.00000000")
    assert equity(body) == ["1000.00000000", "1004.49500000", "988.00000000"]
    assert (await user.balance())["balance"] == "988.00000000"


async def test_reset_is_a_deposit_flow(make_client: MakeClient) -> None:
    """Trade 1: ETH LONG 1 @ 1000 -> 1100: +100 (1100). Trade 2: ETH LONG 1 @ 1100, open at
    the reset, which closes it at 1080: -20 (1080), then books 1000 - 1080 = -80 (1000).
    Trade 3: ETH LONG 1 @ 1000 -> 1010: +10 (1010).

    Curve 1000, 1100, 1080, 1000 (the flow), 1010; net result 90, deposits -80. Drawdown
    counts no flow: the peak 1100 fell 20 in trading (1.8181818...% of it: 1.81818182 up),
    the -80 is no fall, the +10 after it no recovery of it. Wins 2, losses 1: profit factor
    110 / 20 = 5.5."""
    client, clock = await velox(make_client)
    user = await signup(client)
    account = (await user.json("GET", "/api/v1/accounts", 200))["accounts"][0]["accountId"]
    await tick(client, ETH, "1000")
    first = await user.open(asset=ETH, side="LONG", leverage=10, qty="1")
    await tick(client, ETH, "1100")
    await close(user, clock, first["orderId"])
    await user.open(asset=ETH, side="LONG", leverage=10, qty="1")
    await tick(client, ETH, "1080")
    clock.advance(1)
    await user.json("POST", f"/api/v1/accounts/{account}/reset", 200)
    assert (await user.balance())["balance"] == "1000.00000000"
    await tick(client, ETH, "1000")
    third = await user.open(asset=ETH, side="LONG", leverage=10, qty="1")
    await tick(client, ETH, "1010")
    last = await close(user, clock, third["orderId"])

    assert [r["result"] for r in await rows(user)] == [
        "100.00000000", "-20.00000000", "10.00000000"
    ]  # fmt: skip
    body = await stats(user)
    assert {k: v for k, v in body.items() if k != "equity"} == {
        "trades": 3, "wins": 2, "losses": 1, "winRate": "66.66666666",
        "grossProfit": "110.00000000", "grossLoss": "-20.00000000", "netResult": "90.00000000",
        "profitFactor": "5.50000000", "averageWin": "55.00000000", "averageLoss": "-20.00000000",
        "maxDrawdown": "20.00000000", "maxDrawdownPercent": "1.81818182", "sharpe": None,
        "startEquity": "1000.00000000", "endEquity": "1010.00000000",  # 1000 + 90 - 80
    }  # fmt: skip
    assert equity(body) == [
        "1000.00000000", "1100.00000000", "1080.00000000", "1000.00000000", "1010.00000000"
    ]  # fmt: skip
    assert (await user.balance())["balance"] == "1010.00000000"

    # From the last close on: the range starts with the cash held then, after the flow.
    later = await stats(user, f"?startTime={last['closedAt']}")
    assert (later["startEquity"], later["netResult"], later["endEquity"]) == (
        "1000.00000000", "10.00000000", "1010.00000000"
    )  # fmt: skip
    # One asset's curve is what that asset's trades did: a flow belongs to no asset.
    eth = await stats(user, f"?asset={ETH}")
    assert (eth["netResult"], eth["endEquity"]) == ("90.00000000", "1090.00000000")


async def lose_reset_gain(client: TestClient[Any, Any], clock: ManualClock) -> User:
    """ETH LONG 1 @ 1000 closed at 950, a reset, then LONG 1 @ 1000 closed at 1010."""
    user = await signup(client)
    account = (await user.json("GET", "/api/v1/accounts", 200))["accounts"][0]["accountId"]
    await tick(client, ETH, "1000")
    order = await user.open(asset=ETH, side="LONG", leverage=10, qty="1")
    await tick(client, ETH, "950")
    await close(user, clock, order["orderId"])
    clock.advance(1)
    await user.json("POST", f"/api/v1/accounts/{account}/reset", 200)
    await tick(client, ETH, "1000")
    order = await user.open(asset=ETH, side="LONG", leverage=10, qty="1")
    await tick(client, ETH, "1010")
    await close(user, clock, order["orderId"])
    return user


async def test_a_reset_after_a_loss_tops_up(make_client: MakeClient) -> None:
    """ETH LONG 1 @ 1000 -> 950: -50 (950); reset books +50 (1000); LONG 1 @ 1000 -> 1010:
    +10 (1010). The 50 lost is a real drawdown (5 % of 1000); the top-up is not a gain."""
    client, clock = await velox(make_client)
    user = await lose_reset_gain(client, clock)
    body = await stats(user)
    assert (body["netResult"], body["endEquity"]) == ("-40.00000000", "1010.00000000")  # +50
    assert equity(body) == ["1000.00000000", "950.00000000", "1000.00000000", "1010.00000000"]
    assert (body["maxDrawdown"], body["maxDrawdownPercent"]) == ("50.00000000", "5.00000000")
    assert (await user.balance())["balance"] == "1010.00000000"


async def test_a_gap_through_liquidation_loses_margin_and_open_fee(
    make_client: MakeClient,
) -> None:
    """Taker 0.001. ETH LONG 1 and LONG 2 @ 1000 at 10x: margins 100 and 200, open fees 1
    and 2 (balance 697). A gap to 800 liquidates both in one tick: pnl -200 / -400, close
    fees 0.8 / 1.6, settlements max(0, ...) = 0. Each loses what it put in: -101 and -202
    (not pnl - fee: -201.8 / -401.6; not -margin: -100 / -200). Balance 697. The rows' fee
    is what was paid (SPEC 12): the open fee; the close fee found nothing left to pay it
    (it said 1.8 / 3.6 before close fills were capped)."""
    client, _clock = await velox(make_client, taker_fee="0.001")
    user = await signup(client)
    await tick(client, ETH, "1000")
    small = await user.open(asset=ETH, side="LONG", leverage=10, qty="1")
    large = await user.open(asset=ETH, side="LONG", leverage=10, qty="2")
    await tick(client, ETH, "800")
    shown = {r["orderId"]: r for r in await rows(user)}
    assert {k: (r["closeReason"], r["pnl"], r["fee"], r["result"]) for k, r in shown.items()} == {
        small["orderId"]: ("LIQUIDATION", "-200.00000000", "1.00000000", "-101.00000000"),
        large["orderId"]: ("LIQUIDATION", "-400.00000000", "2.00000000", "-202.00000000"),
    }  # fmt: skip
    body = await stats(user)
    assert (body["grossLoss"], body["endEquity"]) == ("-303.00000000", "697.00000000")
    assert (await user.balance())["balance"] == "697.00000000"


async def test_netting_scale_in_margin_reduce_flip(make_client: MakeClient) -> None:
    """NETTING, taker 0.001. LONG 1 @ 1000: margin 100, fee 1 (899). LONG 1 @ 1100: margin
    110, fee 1.1 (787.9); qty 2, margin 210, entry 1050. Add margin 10 (777.9; margin 220).

    SHORT 0.5 @ 1200 reduces: part margin floor(220 * 0.5 / 2) = 55, pnl 150 * 0.5 = 75, fee
    0.6, settlement 129.4 (907.3): result 129.4 - 55 = 74.4.
    SHORT 2 @ 1000 flips: closes 1.5 (margin 165): pnl -75, fee 1.5, settlement 88.5; the
    row's fee is 1 + 1.1 + 1.5 = 3.6: result 88.5 - 165 - 2.1 = -78.6. Opens SHORT 0.5:
    margin 50, fee 0.5 (907.3 + 88.5 - 50.5 = 945.3).
    Closed @ 900: pnl 50, fee 0.45, settlement 99.55 (1044.85): result 99.55 - 50 - 0.5 =
    49.05. Results 74.4 - 78.6 + 49.05 = 44.85 = 1044.85 - 1000."""
    client, clock = await velox(make_client, taker_fee="0.001")
    user = await signup(client)
    made = await user.json("POST", "/api/v1/accounts", 201, json={"name": "n", "mode": "NETTING"})
    acct = {"X-Velox-Account": made["accountId"]}
    long = {"asset": ETH, "side": "LONG", "leverage": 10, "qty": "1"}
    await tick(client, ETH, "1000")
    position = await user.json("POST", "/api/v1/order/open", 201, headers=acct, json=long)
    await tick(client, ETH, "1100")
    await user.json("POST", "/api/v1/order/open", 200, headers=acct, json=long)
    pid = position["orderId"]
    await user.json("POST", f"/api/v1/order/{pid}/margin", 200, headers=acct, json={"amount": "10"})
    await tick(client, ETH, "1200")
    clock.advance(1)
    short = {"asset": ETH, "side": "SHORT", "leverage": 10}
    await user.json("POST", "/api/v1/order/open", 200, headers=acct, json={**short, "qty": "0.5"})
    await tick(client, ETH, "1000")
    clock.advance(1)
    flip = await user.call("POST", "/api/v1/order/open", headers=acct, json={**short, "qty": "2"})
    flipped = await flip.json()
    assert (flipped["side"], flipped["qty"]) == ("SHORT", "0.50000000")
    assert flipped["fee"] == "0.50000000"  # the new SHORT's open fee
    await tick(client, ETH, "900")
    clock.advance(1)
    await user.json("POST", f"/api/v1/order/close/{flipped['orderId']}", 200, headers=acct)

    shown = await rows(user, acct)
    assert [(r["closeReason"], r["fee"], r["result"]) for r in shown] == [
        ("REDUCE", "0.60000000", "74.40000000"),
        ("REDUCE", "3.60000000", "-78.60000000"),
        ("MANUAL", "0.95000000", "49.05000000"),
    ]
    assert await csv_results(user, acct) == ["74.40000000", "-78.60000000", "49.05000000"]
    body = await stats(user, headers=acct)
    assert (body["netResult"], body["endEquity"]) == ("44.85000000", "1044.85000000")
    balance = await user.json("GET", "/api/v1/order/user/balance", 200, headers=acct)
    assert balance["balance"] == "1044.85000000"


DAY1 = 20454 * DAY_MS  # 2026-01-01T00:00Z
HOUR = 3_600_000


def test_flows_are_neither_results_nor_returns() -> None:
    """1000 at the start. Day 1: -500 (500), a reset tops up +500 (1000), +100 (1100).
    Day 2: +110 (1210). Day 3: -121 (1089).

    Day 1's return chains the pieces between flows, each on the equity before it: 500 / 1000
    then 1100 / 1000: 0.5 * 1.1 - 1 = -0.45 (not 1100 / 1000 - 1 = +0.1). Returns -0.45,
    0.1, -0.1: mean -3/20, sample variance ((-0.3)^2 + 0.25^2 + 0.05^2) / 2 = 31/400,
    Sharpe = mean / sd * sqrt(365) = -sqrt(0.0225 * 400 / 31 * 365) = -sqrt(3285 / 31)
    = -10.2940634316815... (floored: -10.29406344).

    Drawdown: the 500 fall from 1000 (50 %). The top-up is no recovery: it lifts the peak with
    the equity (1500), so 1089 at the end is 411 below it, a smaller fall than the 500.
    Wins 2, losses 2 (the flow is no trade): profit factor 210 / 621 = 0.33816425120...
    """
    trades = [
        Trade(DAY1 + 1 * HOUR, units("-500")),
        Trade(DAY1 + 3 * HOUR, units("100")),
        Trade(DAY1 + DAY_MS + HOUR, units("110")),
        Trade(DAY1 + 2 * DAY_MS + HOUR, units("-121")),
    ]
    flows = [Flow(DAY1 + 2 * HOUR, units("500"))]
    stats = summarize(DAY1 - DAY_MS, units("1000"), trades, flows)
    assert (stats.trades, stats.wins, stats.losses) == (4, 2, 2)
    assert (stats.net_result, stats.deposits, stats.end_equity) == (
        units("-411"), units("500"), units("1089")
    )  # fmt: skip
    assert stats.profit_factor == units("0.33816425")  # down
    assert (stats.max_drawdown, stats.max_drawdown_percent) == (units("500"), units("50"))
    assert stats.sharpe == units("-10.29406344")
    assert [p.equity for p in stats.curve] == [
        units(v) for v in ("1000", "500", "1000", "1100", "1210", "1089")
    ]


def test_a_flow_at_the_instant_of_a_close_comes_after_it() -> None:
    """A reset closes positions and books its adjustment at one instant: the close first."""
    stats = summarize(0, units("1000"), [Trade(5, units("80"))], [Flow(5, units("-80"))])
    assert [p.equity for p in stats.curve] == [units("1000"), units("1080"), units("1000")]
    assert (stats.max_drawdown, stats.end_equity) == (0, units("1000"))


async def test_a_pruned_journal_keeps_the_resets_flow(make_client: MakeClient) -> None:
    """With ``--prune-journal`` the journal before the oldest kept snapshot is deleted, and
    the reset's +50 with it: the curve read it there, so after a prune it ended at 960, not
    the balance of 1010. The ``deposits`` rows stay."""
    client, clock = await velox(make_client, prune_journal=True, snapshot_keep=1)
    user = await lose_reset_gain(client, clock)
    service = service_of(client)
    await service.snapshot()  # saves, then prunes the journal up to it
    store = service.store
    assert [r async for r in store.read_journal(0)] == []
    body = await stats(user)
    assert (body["netResult"], body["endEquity"]) == ("-40.00000000", "1010.00000000")
    assert equity(body) == ["1000.00000000", "950.00000000", "1000.00000000", "1010.00000000"]
    assert (await user.balance())["balance"] == "1010.00000000"
