"""Paging back through the ended orders: ``GET /api/v1/order/user/orders?status=`` CLOSED,
CANCELLED, EXPIRED, REJECTED and FILLED take ``asset``, ``startTime`` and ``endTime`` (ms,
inclusive) like the fills list, on when each order ended (its ``closedAt``), newest first.

Without them a trader with more than ``limit`` (at most 1000) cancelled orders, or a bot
reconciling its history, could never see the older ones. OPEN and PENDING are current state:
they take ``asset`` and ignore the time window. Bad values are refused exactly as the fills
list refuses them (same status, code and field).
"""

from __future__ import annotations

from typing import Any

import pytest
from aiohttp import ClientResponse
from aiohttp.test_utils import TestClient

from tests.web.conftest import FAST, MakeClient
from tests.web.helpers import User, signup, tick
from tests.web.test_orders_v2_cancel_finished import MAKERS, STATUS
from velox.clock import ManualClock
from velox.web.options import WebOptions

BTC, ETH = "BTCUSDT", "ETHUSDT"
ORDERS, FILLS = "/api/v1/order/user/orders", "/api/v1/order/user/fills"
Json = dict[str, Any]


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(1_736_812_800_000 + 1_000)  # off the funding boundary at 00:00


@pytest.fixture
async def app(make_client: MakeClient, clock: ManualClock) -> TestClient[Any, Any]:
    """Fees as in test_orders_v2_cancel_finished, whose REJECTED order needs the maker fee."""
    options = WebOptions(bcrypt_rounds=FAST.bcrypt_rounds, clock=clock, clock_tick_s=None)
    return await make_client(options, taker_fee="0.0005", maker_fee="0.0002")


@pytest.fixture
async def trader(app: TestClient[Any, Any]) -> User:
    user = await signup(app)
    await tick(app, BTC, "100000")  # bid 99950, ask 100050
    await tick(app, ETH, "3000")
    return user


class Unhurried(User):
    """The same user, with a millisecond passing after each request: an order then ends
    after it was placed, so a window on the one cannot pass for a window on the other."""

    def __init__(self, user: User, clock: ManualClock) -> None:
        super().__init__(user.client, user.email, user.token, user.id)
        self.clock = clock

    async def call(self, method: str, path: str, **kwargs: Any) -> ClientResponse:
        response = await super().call(method, path, **kwargs)
        self.clock.advance(1)
        return response


def resting(asset: str = BTC) -> Json:
    price = "90000" if asset == BTC else "2500"
    return {"asset": asset, "side": "LONG", "leverage": 10, "margin": "10", "type": "LIMIT",
            "price": price}  # fmt: skip


async def listed(user: User, query: str, headers: dict[str, str] | None = None) -> list[Json]:
    body = await user.json("GET", f"{ORDERS}?{query}", 200, headers=headers or {})
    orders: list[Json] = body["orders"]
    return orders


async def page_back(user: User, query: str, *, same_ms: bool = False) -> list[Json]:
    """Every order ``query`` (with a ``limit``) lists, a page at a time: each next page ends
    1 ms before the oldest order seen, or with ``same_ms`` at its millisecond, skipping the
    orders already seen (a page may end inside a millisecond). At most 20 pages: a server
    that ignored endTime would fail the test, not hang it."""
    seen: list[Json] = []
    page = await listed(user, query)
    for _ in range(20):
        new = [o for o in page if o not in seen]
        if not new:
            return seen
        assert same_ms or new == page, "pages overlap"
        seen += new
        end = page[-1]["closedAt"] - (0 if same_ms else 1)
        page = await listed(user, f"{query}&endTime={end}")
    raise AssertionError("the pages never end")


def ids(orders: list[Json]) -> list[str]:
    return [o["orderId"] for o in orders]


async def test_cancelled_orders_page_back_by_when_they_were_cancelled(
    trader: User, clock: ManualClock
) -> None:
    """Eight orders placed one ms apart, cancelled one ms apart in another order: the list
    follows the cancel time (closedAt), and endTime = the oldest seen - 1 pages back through
    all of them, none twice."""
    placed = []
    for n in range(8):
        placed.append((await trader.open(**resting(ETH if n == 5 else BTC)))["orderId"])
        clock.advance(1)
    cancel_order = [placed[i] for i in (3, 0, 7, 5, 1, 6, 2, 4)]
    for order_id in cancel_order:
        await trader.json("DELETE", f"/api/v1/order/{order_id}", 200)
        clock.advance(1)
    newest_first = cancel_order[::-1]

    everything = await listed(trader, "status=CANCELLED")
    assert ids(everything) == newest_first
    ends = [o["closedAt"] for o in everything]
    assert ends == sorted(ends, reverse=True) and len(set(ends)) == 8

    assert await page_back(trader, "status=CANCELLED&limit=3") == everything

    window = f"startTime={ends[5]}&endTime={ends[2]}"  # inclusive at both ends
    assert ids(await listed(trader, f"status=CANCELLED&{window}")) == newest_first[2:6]
    assert ids(await listed(trader, f"status=CANCELLED&asset={ETH}")) == [placed[5]]
    btc = [i for i in newest_first if i != placed[5]]
    assert ids(await listed(trader, f"status=CANCELLED&asset={BTC}")) == btc
    first_two = [i for i in newest_first[2:6] if i != placed[5]][:2]
    assert ids(await listed(trader, f"status=CANCELLED&asset={BTC}&limit=2&{window}")) == first_two
    assert await listed(trader, f"status=CANCELLED&startTime={ends[0] + 1}") == []
    assert await listed(trader, f"status=CANCELLED&startTime={ends[2]}&endTime={ends[5]}") == []


async def test_ties_at_one_millisecond_go_by_order_id_as_a_number(
    trader: User, clock: ManualClock
) -> None:
    """Six orders cancelled in one millisecond, then six (ids 7 to 12) in the next: newest
    id first as a number within a millisecond, "10" before "9". A page can end inside a
    millisecond: endTime = the oldest seen - 1 then skips the rest of it (as on the fills
    list), while endTime = that millisecond, skipping the orders already seen, reaches
    them all whenever one millisecond's orders fit in a page."""
    placed = [(await trader.open(**resting()))["orderId"] for _ in range(12)]
    assert [len(i) for i in placed] == [1] * 9 + [2] * 3
    for n, order_id in enumerate(placed):
        if n == 6:
            clock.advance(1)
        await trader.json("DELETE", f"/api/v1/order/{order_id}", 200)
    numeric = sorted(placed, key=int, reverse=True)
    everything = await listed(trader, "status=CANCELLED")
    assert ids(everything) == numeric
    assert len({o["closedAt"] for o in everything}) == 2

    assert ids(await page_back(trader, "status=CANCELLED&limit=8", same_ms=True)) == numeric
    assert ids(await page_back(trader, "status=CANCELLED&limit=8")) == numeric[:8]
    assert ids(await page_back(trader, "status=CANCELLED&limit=6")) == numeric


async def test_closed_positions_page_back_by_closed_at(trader: User, clock: ManualClock) -> None:
    opened = []
    for asset in (BTC, ETH, BTC, BTC, ETH):
        position = await trader.open(asset=asset, side="LONG", leverage=10, margin="10")
        opened.append(position["orderId"])
        clock.advance(1)
    for order_id in (opened[2], opened[0], opened[4], opened[1], opened[3]):
        await trader.json("POST", f"/api/v1/order/close/{order_id}", 200)
        clock.advance(1)
    newest_first = [opened[3], opened[1], opened[4], opened[0], opened[2]]

    everything = await listed(trader, "status=CLOSED")
    assert ids(everything) == newest_first
    assert await page_back(trader, "status=CLOSED&limit=2") == everything
    assert ids(await listed(trader, f"status=CLOSED&asset={ETH}")) == [opened[1], opened[4]]
    start, end = everything[3]["closedAt"], everything[1]["closedAt"]
    between = await listed(trader, f"status=CLOSED&startTime={start}&endTime={end}")
    assert ids(between) == newest_first[1:4]


@pytest.mark.parametrize("case", list(MAKERS))
async def test_every_ended_status_is_windowed_on_when_it_ended(
    app: TestClient[Any, Any], trader: User, clock: ManualClock, case: str
) -> None:
    """CLOSED (a whole position or a part), CANCELLED, EXPIRED, REJECTED, FILLED: the window
    is on closedAt, not createdAt (an order placed before the window that ended in it is in
    it), and the asset filter applies."""
    clock.advance(10)
    order_id, headers = await MAKERS[case](Unhurried(trader, clock), app, clock)
    status = STATUS.get(case, case)
    (order,) = [o for o in await listed(trader, f"status={status}", headers) if
                o["orderId"] == order_id]  # fmt: skip
    ended = order["closedAt"]
    assert order["createdAt"] < ended

    async def window(query: str) -> list[str]:
        return ids(await listed(trader, f"status={status}&{query}", headers))

    assert order_id in await window(f"startTime={ended}&endTime={ended}")
    assert order_id in await window(f"startTime={order['createdAt'] + 1}&asset={BTC}")
    assert order_id not in await window(f"endTime={ended - 1}")
    assert order_id not in await window(f"startTime={ended + 1}")
    assert await window(f"asset={ETH}") == []


async def test_open_and_pending_take_the_asset_and_ignore_the_time_window(
    trader: User, clock: ManualClock
) -> None:
    """They are what is now, not a history: a time window would hide live orders."""
    for asset in (BTC, ETH):
        await trader.open(asset=asset, side="LONG", leverage=10, margin="10")
        await trader.open(**resting(asset))
        clock.advance(1)
    for status in ("OPEN", "PENDING"):
        whole = await listed(trader, f"status={status}")
        assert [o["asset"] for o in whole] == [ETH, BTC]
        assert await listed(trader, f"status={status}&startTime=0&endTime=0") == whole
        assert await listed(trader, f"status={status}&endTime=1&limit=1000") == whole
        assert await listed(trader, f"status={status}&asset={ETH}") == whole[:1]
        assert await listed(trader, f"status={status}&asset={BTC}&startTime=1") == whole[1:]


BAD = [
    "asset=DOGEUSDT",
    "asset=",
    "asset=btcusdt",
    "startTime=-1",
    "startTime=1.5",
    "startTime=soon",
    "startTime=%D9%A1",  # an Arabic-Indic one: int() would read it
    "endTime=1000000000000001",
    "endTime=99999999999999999999",
    "startTime=5&endTime=x",
]


@pytest.mark.parametrize("query", BAD)
@pytest.mark.parametrize("status", ["CANCELLED", "CLOSED", "FILLED", "OPEN", "PENDING"])
async def test_bad_values_are_refused_as_the_fills_list_refuses_them(
    trader: User, query: str, status: str
) -> None:
    fills = await trader.call("GET", f"{FILLS}?{query}")
    expected = (fills.status, await fills.json())
    assert expected[0] == 400 and expected[1]["error"]["field"] in ("asset", "startTime", "endTime")
    orders = await trader.call("GET", f"{ORDERS}?status={status}&{query}")
    assert (orders.status, await orders.json()) == expected
