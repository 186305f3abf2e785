"""A position's stops on the user stream, as Binance reports conditional orders: one
``ALGO_UPDATE`` per change of an algo order's status.

A position's stop-loss, take-profit and trailing stop are conditional (algo) orders on the
Binance side (``orders.algos``), placed and cancelled through ``/fapi/v1/algoOrder`` or
``/fapi/v1/order``, or set with the native API. Their lifecycle:

- NEW when one is set (with the position's opening order, or later: each placement with an
  id of its own, ``orders.stop_id``), and again when its trigger is changed (the native
  API changes a stop in place; the id stays);
- CANCELED when it is cleared;
- TRIGGERING and TRIGGERED (naming the order it placed, ``ai``: ``orders.actual_id``, an
  id of its own) when it fires, then that order NEW and its TRADE (``updates.py``), then
  FINISHED; EXPIRED for the others of that position, and for
  all of them when the position closes otherwise (closed, reduced to nothing, flipped,
  liquidated), as Binance expires an account's close-position orders with the position.

Telling NEW from CANCELED needs the stops as they were before the batch, which the engine no
longer holds once the batch is applied: so, like ``resting.py``, the positions of the accounts
someone listens to are kept here, from the engine's when the account's first socket opens and
from each event after. A trailing stop's mark moving is no change of the order (Binance says
nothing either).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from velox.binance.orders import (
    FIRED_BY,
    KINDS,
    TRAILING,
    actual_id,
    algo_of_entry,
    algo_of_position,
    trigger_of,
)
from velox.engine.engine import Engine
from velox.engine.events import (
    Event,
    PositionClosed,
    PositionIncreased,
    PositionOpened,
    PositionPartiallyClosed,
    StopsModified,
)
from velox.engine.state import STOP_ID_FIELDS, Position, position_opened_by
from velox.money import Qty, format_units

if TYPE_CHECKING:  # resting.py imports this module's neighbours: the type only
    from velox.binance.streams.resting import OrderTerms

Json = dict[str, Any]


class ShownStops:
    """Position id -> the position as the stream last showed its stops, per listened account."""

    def __init__(self) -> None:
        self._by_account: dict[str, dict[str, Position]] = {}

    def watch(self, account_id: str, positions: Iterable[Position]) -> None:
        """From the engine's positions, copied: the engine changes its own in place."""
        self._by_account[account_id] = {p.order_id: replace(p) for p in positions}

    def unwatch(self, account_id: str) -> None:
        self._by_account.pop(account_id, None)

    def shown(self, account_id: str, position_id: str) -> Position | None:
        """The position as the stream last showed its stops (until its close's event)."""
        return self._by_account.get(account_id, {}).get(position_id)

    def messages(self, engine: Engine, event: Event, now: int) -> list[Json]:
        """The ALGO_UPDATEs of one event of a listened account (in journal order)."""
        held = self._by_account.get(getattr(event, "account_id", None) or "")
        if held is None:
            return []
        if isinstance(event, PositionOpened):
            pos = held[event.order_id] = position_opened_by(event)
            return [_update(pos, kind, "NEW", event.ts, now) for kind in _set(pos)]
        if isinstance(event, StopsModified | PositionIncreased):  # a scale-in sets them too
            position_id = (
                event.position_id if isinstance(event, PositionIncreased) else event.order_id
            )
            before = held.get(position_id) or engine.positions.get(position_id)
            if before is None:
                return []
            qty = event.new_qty if isinstance(event, PositionIncreased) else before.qty
            after = held[position_id] = replace(
                before, qty=qty, stop_loss=event.stop_loss, take_profit=event.take_profit,
                trailing_stop=event.trailing_stop, trailing_mark=event.trailing_mark,
            )  # fmt: skip
            after = held[position_id] = replace(after, **{  # each stop's own id
                name: getattr(event, name) for name in STOP_ID_FIELDS
            })  # fmt: skip
            return _changes(before, after, event.ts, now)
        if isinstance(event, PositionPartiallyClosed):  # what is left keeps its stops
            kept = held.get(event.order_id)
            if kept is not None:
                held[event.order_id] = replace(kept, qty=Qty(kept.qty - event.part_qty))
            return []
        if isinstance(event, PositionClosed):
            if event.order_id not in held:
                return []
            pos = held.pop(event.order_id)
            fired = fired_stop(event)
            done = (event.qty, event.close_price)
            return [
                _update(pos, kind, "EXPIRED", event.ts, now) if kind != fired
                else _update(pos, kind, "FINISHED", event.ts, now, done)
                for kind in sorted(_set(pos), key=lambda kind: kind != fired)  # fired first
            ]  # fmt: skip
        return []

    def triggered(self, event: PositionClosed, kind: int, now: int) -> list[Json]:
        """The ALGO_UPDATEs of a stop that fires, before the order it placed (``actual_id``)
        shows NEW: TRIGGERING, then TRIGGERED naming that order (``ai``); its FINISHED comes
        after the order's trade (``messages``)."""
        pos = self._by_account.get(event.account_id or "", {}).get(event.order_id)
        if pos is None or trigger_of(pos, kind) is None:
            return []
        return [_update(pos, kind, status, event.ts, now) for status in ("TRIGGERING",
                                                                          "TRIGGERED")]  # fmt: skip


def fired_stop(event: Event) -> int | None:
    """Which of the position's stops closed it (``orders.FIRED_BY``), if one did."""
    if isinstance(event, PositionClosed) and event.by_order_id is None:
        return FIRED_BY.get(event.reason)
    return None


def _set(pos: Position) -> list[int]:
    return [kind for kind in KINDS if trigger_of(pos, kind) is not None]


def _changes(before: Position, after: Position, ts: int, now: int) -> list[Json]:
    out = []
    for kind in KINDS:
        was, now_set = trigger_of(before, kind), trigger_of(after, kind)
        if now_set is None and was is not None:
            out.append(_update(before, kind, "CANCELED", ts, now))
        elif now_set is not None and (was is None or _moved(before, after, kind)):
            out.append(_update(after, kind, "NEW", ts, now))
    return out


def _moved(before: Position, after: Position, kind: int) -> bool:
    """Whether the stop itself changed (a trailing stop's distance, not its mark), or the
    quantity a trailing stop shows (the position's: a scale-in that keeps it grows it)."""
    if kind == TRAILING:
        return before.trailing_stop != after.trailing_stop or before.qty != after.qty
    return trigger_of(before, kind) != trigger_of(after, kind)


def _update(
    pos: Position, kind: int, status: str, ts: int, now: int, done: tuple[int, int] = (0, 0)
) -> Json:
    """One ALGO_UPDATE of a position's stop."""
    return algo_update(algo_of_position(pos, kind), status, ts, now, done,
                       actual_id(pos.order_id, kind))  # fmt: skip


def algo_update(
    algo: Json, status: str, ts: int, now: int, done: tuple[int, int] = (0, 0),
    actual_order: int | None = None,
) -> Json:  # fmt: skip
    """One ALGO_UPDATE: the conditional order as ``/fapi/v1/algoOrder`` shows it (``algo``),
    in the stream's short names; ``done`` the (quantity, price) it filled at when FINISHED.
    TRIGGERED and FINISHED name the order it placed (``ai``, as ``actualOrderId``: a
    position's stop's ``actual_order``, ``orders.actual_id``; a STOP entry's own id)."""
    qty, price = done
    fired = status in ("TRIGGERED", "FINISHED")
    actual = str(algo["algoId"] if actual_order is None else actual_order)
    return {
        "e": "ALGO_UPDATE", "T": ts, "E": now,
        "o": {
            "caid": algo["clientAlgoId"], "aid": algo["algoId"], "at": "CONDITIONAL",
            "o": algo["orderType"], "s": algo["symbol"], "S": algo["side"], "ps": "BOTH",
            "f": algo["timeInForce"], "q": algo["quantity"], "X": status,
            "ai": actual if fired else "",
            "ap": format_units(price), "aq": format_units(qty),
            "act": "MARKET" if fired else "0", "tp": algo["triggerPrice"], "p": algo["price"],
            "V": "NONE", "wt": algo["workingType"], "pm": "NONE", "cp": algo["closePosition"],
            "pP": False, "R": algo["reduceOnly"], "tt": ts if fired else 0,
            "gtd": algo["goodTillDate"],
        },
    }  # fmt: skip


def entry_update(
    order_id: str, terms: OrderTerms, status: str, ts: int, now: int,
    done: tuple[int, int] = (0, 0),
) -> Json:  # fmt: skip
    """One ALGO_UPDATE of a STOP entry (a conditional order with a quantity, placed through
    ``/fapi/v1/algoOrder``), from the terms the stream keeps (``resting.py``)."""
    algo = algo_of_entry(order_id, terms.symbol, terms.side, terms.qty or 0, terms.price or 0,
                         client=terms.client, reduce=terms.reduce,
                         gtd=terms.expires_at or 0, created=ts, updated=ts)  # fmt: skip
    return algo_update(algo, status, ts, now, done)
