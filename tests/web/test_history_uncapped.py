"""The history covers every row the filter chooses, however many (rev7: with 110,400
closed positions the statistics said 100,000, a window of the oldest rows came back empty,
and both CSV exports stopped at the newest 100,000). Here the store page is 2 rows (and the
old cap, ``MAX_ROWS``, 2 as well: the code before the fix showed 2 of the 5 trades), so
5 trades and their 10 fills span several pages: every figure and export still holds all of
them, the filter is applied in SQL (the oldest trade's window finds it), and the exports
and the statistics read a page at a time, never more."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from tests.web.conftest import MakeClient
from tests.web.helpers import signup
from tests.web.test_history import _trade
from velox.web import history, history_curve
from velox.web.keys import STORE

PAGE = 2


@pytest.fixture
async def client(make_client: MakeClient) -> TestClient[Any, Any]:
    return await make_client(spread="0")


def _rows(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text, newline="")))[1:]


async def test_every_row_past_a_page(
    client: TestClient[Any, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(history, "MAX_ROWS", PAGE, raising=False)  # the old cap
    monkeypatch.setattr(history, "PAGE_ROWS", PAGE, raising=False)
    user = await signup(client)
    prices = [
        ("1000", "1100"), ("1100", "1050"), ("1000", "1010"), ("1010", "990"), ("990", "1090"),
    ]  # fmt: skip
    closed = [await _trade(client, user, "ETHUSDT", "1", a, b) for a, b in prices]
    ids = [c["orderId"] for c in closed]  # oldest first
    # +100, -50, +10, -20, +100

    stats = await user.json("GET", "/api/v1/history/stats", 200)
    assert (stats["trades"], stats["wins"], stats["losses"]) == (5, 3, 2)
    assert stats["netResult"] == "140.00000000"
    assert len(stats["equity"]) == 6
    monkeypatch.setattr(history_curve, "MAX_POINTS", 4, raising=False)
    thin = await user.json("GET", "/api/v1/history/stats", 200)
    assert {**thin, "equity": []} == {**stats, "equity": []}  # every figure from every point
    assert len(thin["equity"]) <= 4
    assert (thin["equity"][0], thin["equity"][-1]) == (stats["equity"][0], stats["equity"][-1])
    oldest = closed[0]["closedAt"]
    window = await user.json("GET", f"/api/v1/history/positions?endTime={oldest}", 200)
    assert [r["orderId"] for r in window["positions"]] == [ids[0]]
    old_stats = await user.json("GET", f"/api/v1/history/stats?endTime={oldest}", 200)
    assert (old_stats["trades"], old_stats["netResult"]) == (1, "100.00000000")
    later = await user.json("GET", f"/api/v1/history/stats?startTime={oldest + 1}", 200)
    assert later["trades"] == 4
    assert later["startEquity"] == str(int(stats["startEquity"].split(".")[0]) + 100) + ".00000000"
    listed = await user.json("GET", "/api/v1/history/positions", 200)
    assert [r["orderId"] for r in listed["positions"]] == ids[::-1]
    positions_csv = _rows(await (await user.call("GET", "/api/v1/history/positions.csv")).text())
    assert [r[0] for r in positions_csv] == ids
    assert [r[12] for r in positions_csv] == [
        "100.00000000", "-50.00000000", "10.00000000", "-20.00000000", "100.00000000",
    ]  # fmt: skip
    fills_csv = _rows(await (await user.call("GET", "/api/v1/history/fills.csv")).text())
    assert len(fills_csv) == 10
    assert [int(r[11]) for r in fills_csv] == sorted(int(r[11]) for r in fills_csv)

    # a page at a time: no read asks the store for more than a page
    store = client.app[STORE]
    reads: list[tuple[str, int]] = []
    for name in ("closed_orders_page", "fills_page", "closed_orders_for_account"):
        real = getattr(store, name)

        async def counted(*args: Any, _real: Any = real, _name: str = name, **kw: Any) -> Any:
            limit = args[3] if _name != "fills_page" else args[1]
            reads.append((_name, limit))
            rows = await _real(*args, **kw)
            return rows

        monkeypatch.setattr(store, name, counted)
    await (await user.call("GET", "/api/v1/history/positions.csv")).text()
    assert reads == [("closed_orders_page", PAGE)] * 3  # 2 + 2 + 1 rows
    reads.clear()
    await (await user.call("GET", "/api/v1/history/fills.csv")).text()
    assert reads == [("fills_page", PAGE)] * 6  # 2 + 2 + 2 + 2 + 2 + 0 rows
    reads.clear()
    await user.json("GET", "/api/v1/history/stats", 200)
    assert {r for r in reads} == {("closed_orders_page", PAGE)}
    reads.clear()
    await user.json("GET", "/api/v1/history/positions?limit=1", 200)
    assert reads == [("closed_orders_page", 1)]


async def test_the_statistics_of_a_long_history_leave_the_event_loop_free(
    client: TestClient[Any, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """rev7 measured 210 ms for the statistics' arithmetic at 119,000 trades, on the event
    loop: every other client waited. Past ``INLINE_TRADES`` it runs in a thread (here past
    2 of 4), with the same figures as inline."""
    import threading

    user = await signup(client)
    prices = [("1000", "1100"), ("1100", "1050"), ("1000", "1010"), ("1010", "990")]
    for a, b in prices:
        await _trade(client, user, "ETHUSDT", "1", a, b)
    inline = await user.json("GET", "/api/v1/history/stats", 200)
    ran_on: list[bool] = []
    summarize, stats_body = history.summarize, history.stats_body

    def watched(work: Any) -> Any:
        def run(*args: Any) -> Any:
            ran_on.append(threading.current_thread() is threading.main_thread())
            return work(*args)

        return run

    monkeypatch.setattr(history, "summarize", watched(summarize))
    monkeypatch.setattr(history, "stats_body", watched(stats_body))
    monkeypatch.setattr(history, "INLINE_TRADES", 2, raising=False)
    assert await user.json("GET", "/api/v1/history/stats", 200) == inline
    monkeypatch.setattr(history, "INLINE_TRADES", 4, raising=False)
    assert await user.json("GET", "/api/v1/history/stats", 200) == inline
    # past the limit in a thread (the arithmetic, then thinning the curve); up to it inline
    assert ran_on == [False, False, True, True]
    assert inline["trades"] == 4
