"""The ``stop_orders`` table on SQLite and PostgreSQL: a position's stops as the Binance API's
algo orders, each placement a row (written by the group commit from the events,
velox/projection_stops.py), kept once cancelled or ended with the position, which the engine
forgets. Before, a cancelled stop was nowhere (GET algoOrder: -2013) and a stop's own id
and client id were lost with its position."""

from __future__ import annotations

from tests.store.test_store_v2 import T0, commit, opened
from velox.engine.events import PositionClosed, StopsModified
from velox.money import Money, Price, Qty
from velox.store.base import Store
from velox.store.records import StopRecord

SL, TP = Price(80_000 * 10**8), Price(95_000 * 10**8)


def modified(ts: int, **kw: object) -> StopsModified:
    terms: dict[str, object] = dict(
        order_id="5", user_id="u1", stop_loss=None, take_profit=None, trailing_stop=None,
        trailing_mark=None, ts=ts, account_id="1", asset="BTCUSDT", side="LONG",
    )  # fmt: skip
    terms.update(kw)
    return StopsModified(**terms)  # type: ignore[arg-type]


async def test_each_placement_is_a_row_kept_when_it_ends(store: Store) -> None:
    await commit(store, 1, [
        opened("5", T0, "1", stop_loss=SL),  # set with the position: no id of its own
        modified(T0 + 1, stop_loss=SL, take_profit=TP, take_profit_id="6",
                 take_profit_client="my-tp"),
        modified(T0 + 2, take_profit=TP, take_profit_id="6", take_profit_client="my-tp"),
        modified(T0 + 3, stop_loss=Price(SL + 1), stop_loss_id="7", take_profit=TP,
                 take_profit_id="6", take_profit_client="my-tp"),
    ])  # fmt: skip
    first = await store.stop("", "5", 1)
    assert first == StopRecord("5", 1, "", "1", "BTCUSDT", "LONG", None, SL, None,
                               "CANCELED", None, T0, T0 + 2)  # fmt: skip
    tp = await store.stop("6")
    assert tp == StopRecord("5", 2, "6", "1", "BTCUSDT", "LONG", "my-tp", TP, None, "NEW",
                            None, T0 + 1, T0 + 1)  # fmt: skip
    assert await store.stop_by_client_id("1", "my-tp") == tp
    assert await store.stop_by_client_id("2", "my-tp") is None

    closed = PositionClosed(
        "5", "u1", "TAKE_PROFIT", Price(96_000 * 10**8), Money(1), Money(2), T0 + 9,
        "BTCUSDT", "LONG", 10, Money(100 * 10**8), Qty(1_111_111), Price(90_000 * 10**8),
        Price(1), Price(SL + 1), TP, None, T0, account_id="1", fill_id="2",
    )  # fmt: skip
    await commit(store, 5, [closed])
    ended = {(r.stop_id or "-", r.kind): (r.status, r.qty, r.updated_at)
             for r in await store.stops_of_positions(["5"])}  # fmt: skip
    assert ended == {
        ("-", 1): ("CANCELED", None, T0 + 2), ("6", 2): ("FINISHED", 1_111_111, T0 + 9),
        ("7", 1): ("EXPIRED", 1_111_111, T0 + 9),
    }  # fmt: skip
    assert (await store.stop("6")).done_price == 96_000 * 10**8  # type: ignore[union-attr]
    by_time = await store.stops_for_asset("1", "BTCUSDT", None, None, 2)
    assert [(r.stop_id, r.kind) for r in by_time] == [("7", 1), ("6", 2)]  # the newest two
    from_id = await store.stops_for_asset("1", "BTCUSDT", None, None, 10, from_id=7)
    assert [(r.stop_id, r.kind) for r in from_id] == [("7", 1)]
    from_id = await store.stops_for_asset("1", "BTCUSDT", None, None, 10, from_id=6)
    assert [(r.stop_id, r.kind) for r in from_id] == [("6", 2), ("7", 1), ("", 1)]
