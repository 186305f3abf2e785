"""Binance's user-data messages for one committed batch, event by event.

- ``ORDER_TRADE_UPDATE`` NEW when an order rests (``OrderPlaced``), CANCELED / EXPIRED /
  REJECTED when it ends unfilled, and TRADE for each fill: an open, a scale-in, a close or
  partial close (``rp`` the realized PnL, ``ot`` what closed it: MARKET, STOP_MARKET,
  TAKE_PROFIT_MARKET, TRAILING_STOP_MARKET or LIQUIDATION; a trailing stop's with its
  ``AP`` and ``cr``, as its REST answer's ``activatePrice`` and ``priceRate``). The trade's
  own numbers are the engine's fill (``views.fills_of``), the one ``/fapi/v1/userTrades``
  lists: ``t`` its id, ``m`` whether it was a maker fill, ``L``/``l``/``n`` its price,
  quantity and fee. The
  order's are its terms: a resting order's as it was placed (``RestingOrders``: type, price,
  time in force and ``goodTillDate``), anything else's from the event (``f`` the time in
  force it was placed with: IOC, FOK or GTX as well as GTC and GTD).
- As on Binance, an order that did not rest (a market order) is NEW before its first TRADE.
  Velox's own closes of a position (the close button, a reset, a liquidation) are an order
  of their own (``closes.py``: its id and clientOrderId, ``autoclose-`` for a liquidation,
  as ``/fapi/v1/order`` shows it), which comes as a TRADE alone; a close by one of the
  position's stops is the order that stop placed (``orders.actual_id``): after the stop's
  ALGO_UPDATE TRIGGERING and TRIGGERED, NEW before its TRADE, as on Binance.
- An order filled in several trades of one batch (a flip: the close, then the rest opened
  the other way) is one order of their total quantity: PARTIALLY_FILLED, then FILLED, with
  the cumulative fill ``z`` and its average price ``ap`` (as ``/fapi/v1/order`` reports).
- ``AMENDMENT`` (status NEW) when a resting order's price changes (``OrderModified``).
- ``ALGO_UPDATE`` for a position's stops, Binance's conditional orders (``stops.py``), after
  the event's other messages; and for a STOP entry (an algo order with a quantity) instead
  of its ORDER_TRADE_UPDATEs while it waits: NEW, CANCELED / EXPIRED / REJECTED, and when it
  fires TRIGGERED, the order it placed (its own id) NEW and TRADE, and FINISHED last.
- ``ACCOUNT_UPDATE`` after each change of the account's money (reason ORDER, DEPOSIT,
  MARGIN_TRANSFER or FUNDING_FEE, one per position charged at a boundary, ``bc`` its
  amount), with the USDT wallet and the positions of the symbol concerned (FUNDING_FEE: the
  position charged alone, as Binance does for an isolated one). The wallet ``wb`` is as it
  stands after the message's own event: the engine's after the batch, less what the
  account's later events in the batch moved (``views.cash_change``), so that several
  charges of one boundary read as a running balance, each the previous ``wb`` plus its
  ``bc``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from velox.binance.closes import close_client_id
from velox.binance.orders import (
    CLOSE,
    KINDS,
    STATUS,
    STOP_LOSS,
    TAKE_PROFIT,
    TRAILING,
    TYPES,
    conditional_id,
    rate_of,
    shown_tif,
)
from velox.binance.sides import BOTH, SIDES, hedge_mode, position_side
from velox.binance.streams.resting import OrderTerms, RestingOrders
from velox.binance.streams.stops import ShownStops, entry_update, fired_stop
from velox.engine.engine import Engine
from velox.engine.events import (
    Deposited,
    Event,
    FundingCharged,
    MarginAdded,
    OrderCancelled,
    OrderModified,
    OrderPlaced,
    PositionClosed,
    PositionIncreased,
    PositionOpened,
    PositionPartiallyClosed,
)
from velox.engine.views import (
    Fill,
    account_figures,
    cash_change,
    fills_of,
    open_positions,
    unrealized_pnl,
)
from velox.money import format_units

CLOSE_TYPES = {
    "MANUAL": "MARKET", "PARTIAL": "MARKET", "REDUCE": "MARKET", "STOP_LOSS": "STOP_MARKET",
    "TAKE_PROFIT": "TAKE_PROFIT_MARKET", "TRAILING_STOP": "TRAILING_STOP_MARKET",
    "LIQUIDATION": "LIQUIDATION",
}  # fmt: skip
ENTRY = "STOP_MARKET"  # a resting STOP order's kind: an algo order with a quantity
STOP_KINDS = ("STOP_MARKET", "TAKE_PROFIT_MARKET", "TRAILING_STOP_MARKET")  # ``sp`` shown
Json = dict[str, Any]
Execution = PositionOpened | PositionIncreased | PositionClosed | PositionPartiallyClosed


class BatchMessages:
    """The messages of one batch's events (``messages``, in journal order), for accounts
    someone listens to: ``events`` are those accounts' events of the batch."""

    def __init__(
        self, engine: Engine, resting: RestingOrders, stops: ShownStops,
        events: Sequence[Event], now: int,
    ) -> None:  # fmt: skip
        self._engine = engine
        self._resting = resting
        self._stops = stops
        self._now = now
        self._totals: dict[tuple[str, str], int] = {}  # (order, side) -> this batch's fills
        self._clients: dict[str, str] = {}  # a flip's clientOrderId, from the open it made
        for event in events:
            for fill in shown_fills(event):
                key = (fill.order_id, fill.side)
                self._totals[key] = self._totals.get(key, 0) + fill.qty
            if isinstance(event, PositionOpened) and event.client_order_id is not None:
                self._clients[event.order_id] = event.client_order_id
        self._done: dict[tuple[str, str], tuple[int, int]] = {}  # -> (qty, notional) so far
        self._terms: dict[tuple[str, str], OrderTerms] = {}  # orders shown in this batch
        # id(event) -> what the account's events after it in the batch move its cash by
        self._later: dict[int, int] = {}
        self._finished: list[Json] = []  # STOP entries that filled: FINISHED after the event
        self._entries: set[tuple[str, str]] = set()  # fills of STOP entries that fired
        self._trailing: dict[str, tuple[str, str]] = {}  # fired trailing stop -> (AP, cr)
        moved: dict[str, int] = {}
        for event in reversed(events):
            account = getattr(event, "account_id", None) or ""
            self._later[id(event)] = moved.get(account, 0)
            moved[account] = moved.get(account, 0) + cash_change(event)

    def _account_update(self, event: Event, reason: str, change: int = 0) -> Json:
        return account_update(self._engine, event, reason, self._now, change,
                              self._later.get(id(event), 0))  # fmt: skip

    def messages(self, event: Event) -> list[Json]:
        out = [*self._order_messages(event), *self._finished,
               *self._stops.messages(self._engine, event, self._now)]  # fmt: skip
        self._finished = []
        return out

    def _order_messages(self, event: Event) -> list[Json]:
        if isinstance(event, OrderPlaced):
            terms = self._resting.placed(event)
            if terms.kind == ENTRY:
                return [entry_update(event.order_id, terms, "NEW", event.ts, self._now)]
            side = _side(event.side == "LONG")
            return [self._update(event.asset, event.order_id, side, terms, event.ts, "NEW")]
        if isinstance(event, OrderModified):  # PUT /fapi/v1/order, or the native PATCH
            amended = self._resting.modified(event)
            if amended is None:
                return []
            if amended.kind == ENTRY:  # a new trigger: the algo order as it now stands
                return [entry_update(event.order_id, amended, "NEW", event.ts, self._now)]
            side = _side(amended.side == "LONG")
            return [self._update(amended.symbol, event.order_id, side, amended, event.ts,
                                 "AMENDMENT", "NEW")]  # fmt: skip
        if isinstance(event, OrderCancelled):
            self._resting.ended(event.account_id, event.order_id)
            status = STATUS.get(event.status, event.status)  # CANCELED, EXPIRED, REJECTED
            ended = OrderTerms.of(event)
            if ended.kind == ENTRY:
                return [entry_update(event.order_id, ended, status, event.ts, self._now)]
            side = _side(event.side == "LONG")
            return [self._update(event.asset, event.order_id, side, ended, event.ts, status)]
        if isinstance(event, Deposited):
            return [self._account_update(event, "DEPOSIT")]
        if isinstance(event, MarginAdded):
            return [self._account_update(event, "MARGIN_TRANSFER")]
        if isinstance(event, FundingCharged):  # ``bc``: what the position paid or received
            return [self._account_update(event, "FUNDING_FEE", event.amount)]
        if not isinstance(event, Execution) or not (fills := shown_fills(event)):
            return []
        trade = self._trade(event, fills[0])
        if trade[-1]["o"]["X"] == "PARTIALLY_FILLED":  # a flip's close: the money after the
            return trade  # whole order, once, at its last trade (the engine holds only that)
        return [*trade, self._account_update(event, "ORDER")]

    def _trade(self, event: Execution, fill: Fill) -> list[Json]:
        out = []
        key = (fill.order_id, fill.side)
        total = self._totals.get(key, fill.qty)
        terms = self._terms.get(key)
        if terms is None:  # the order's first trade in this batch
            terms = self._resting.ended(event.account_id or "", fill.order_id)
            if terms is not None and terms.kind == ENTRY:  # a STOP entry fired: it placed
                self._entries.add(key)
                out.append(entry_update(fill.order_id, terms, "TRIGGERED", fill.time,
                                        self._now))  # fmt: skip
                out.append(self._update(event.asset, fill.order_id, fill.side, terms,
                                        fill.time, "NEW", qty=total))  # fmt: skip
            if terms is None:
                terms = self._own_terms(event, fill)
                fired = fired_stop(event) if _closed_without_an_order(event) else None
                if fired is not None:  # the stop triggers and places its order (NEW)
                    assert isinstance(event, PositionClosed)
                    out += self._stops.triggered(event, fired, self._now)
                if fired is not None or _announced_by_its_fill(event, fill):
                    out.append(self._update(event.asset, fill.order_id, fill.side, terms,
                                            fill.time, "NEW", qty=total))  # fmt: skip
            self._terms[key] = terms
        so_far, notional = self._done.get(key, (0, 0))
        done = self._done[key] = (so_far + fill.qty, notional + fill.price * fill.qty)
        status = "FILLED" if done[0] >= total else "PARTIALLY_FILLED"
        if status == "FILLED" and key in self._entries:
            average = (done[0], done[1] // done[0])
            self._finished.append(entry_update(fill.order_id, terms, "FINISHED", fill.time,
                                               self._now, average))  # fmt: skip
        qty = max(terms.qty or 0, total)
        out.append(self._update(event.asset, fill.order_id, fill.side, terms, fill.time,
                                "TRADE", status, fill, done, qty))  # fmt: skip
        return out

    def _own_terms(self, event: Execution, fill: Fill) -> OrderTerms:
        """A fill's order that did not rest: a market order, or Velox's own close."""
        if isinstance(event, PositionOpened):
            kind = TYPES.get(event.order_type, "MARKET")
            return OrderTerms(kind, event.price, client=event.client_order_id,
                              tif=event.time_in_force)  # fmt: skip
        if isinstance(event, PositionIncreased):
            kind = TYPES.get(event.order_type, "MARKET")
            return OrderTerms(kind, event.order_price, client=event.client_order_id,
                              tif=event.time_in_force)  # fmt: skip
        # reduce-only: a close of Velox's own (stops, liquidation, the close button), or an
        # opposite order placed reduceOnly; a plain opposite order or a flip is not
        flip, kind, price, tif = None, "MARKET", None, "GTC"
        if isinstance(event, PositionClosed):
            flip, kind = event.flip_order_id, CLOSE_TYPES.get(event.reason, "MARKET")
            fired = fired_stop(event)
            if fired == TRAILING:
                self._trailing[fill.order_id] = self._trailing_terms(event)
            if fired is not None:  # the stop's own order (``shown_fills``), at its trigger
                trigger = {STOP_LOSS: event.stop_loss, TAKE_PROFIT: event.take_profit}
                return OrderTerms(kind, trigger.get(fired, event.close_price),
                                  client=f"velox-{event.order_id}-{KINDS[fired][1]}",
                                  reduce=True, close=fired in trigger)  # fmt: skip
        if event.by_order_id is not None or flip is not None:  # an opposite order (or a flip)
            kind, price = TYPES.get(event.by_order_type, "MARKET"), event.by_order_price
            tif = event.by_time_in_force
        reduce = flip is None and (event.by_order_id is None or event.by_reduce_only)
        client = event.by_client_order_id or self._clients.get(fill.order_id)
        if _closed_without_an_order(event):
            assert isinstance(event, PositionClosed)
            client = close_client_id(event.order_id, event.reason)
        return OrderTerms(kind, price, client=client, reduce=reduce, tif=tif)

    def _trailing_terms(self, event: PositionClosed) -> tuple[str, str]:
        """A fired trailing stop's ``AP`` and ``cr``: the activation price and callback
        rate its REST answer gave (``activatePrice``, ``priceRate``: the mark when it was
        set and the distance as a share of it, the rate sent), from the position as the
        stream showed it; failing that, the mark it fired from (the close price plus or
        minus the distance)."""
        held = self._stops.shown(event.account_id or "", event.order_id)
        distance: int = event.trailing_stop or 0
        mark: int = event.close_price + (distance if event.side == "LONG" else -distance)
        if held is not None and held.trailing_mark is not None and held.trailing_stop:
            mark, distance = held.trailing_mark, held.trailing_stop
        return format_units(mark), format_units(rate_of(distance, mark))

    def _update(
        self, symbol: str, order_id: str, side: str, terms: OrderTerms, ts: int,
        execution: str, status: str | None = None, fill: Fill | None = None,
        done: tuple[int, int] = (0, 0), qty: int | None = None,
    ) -> Json:  # fmt: skip
        """One ORDER_TRADE_UPDATE: ``done`` the order's (quantity, notional) filled so far."""
        zero = format_units(0)
        price = terms.price or 0
        gtd = terms.expires_at or 0
        o = {
            "s": symbol, "c": terms.client or f"velox-{order_id}", "S": side,
            "o": terms.kind, "f": shown_tif(terms.tif, gtd),
            "q": format_units((terms.qty or 0) if qty is None else qty),
            "p": format_units(price if terms.kind == "LIMIT" else 0),
            "ap": format_units(done[1] // done[0] if done[0] else 0),
            "sp": format_units(price if terms.kind in STOP_KINDS else 0),
            "x": execution, "X": status or execution, "i": int(order_id),
            "l": format_units(fill.qty if fill else 0), "z": format_units(done[0]),
            "L": format_units(fill.price if fill else 0), "N": "USDT",
            "n": format_units(fill.fee if fill else 0), "T": ts,
            "t": int(fill.fill_id) if fill else 0, "b": zero, "a": zero,
            "m": fill.maker if fill else False, "R": terms.reduce, "wt": "CONTRACT_PRICE",
            "ot": terms.kind, "ps": "BOTH", "cp": terms.close,
            "rp": format_units(fill.realized_pnl if fill else 0), "pP": False, "si": 0,
            "ss": 0, "V": "NONE", "pm": "NONE", "gtd": gtd,
        }  # fmt: skip
        trailing = self._trailing.get(order_id)
        if trailing is not None:  # Binance's for a TRAILING_STOP_MARKET alone
            o["AP"], o["cr"] = trailing
        return {"e": "ORDER_TRADE_UPDATE", "E": self._now, "T": ts, "o": o}


def shown_fills(event: Event) -> list[Fill]:
    """The event's fills as Binance shows them: a position's close with no order of the
    trader's is that of the stop that fired (``orders.conditional_id``), or Velox's own
    close order (``closes.py``), not the opening order's."""
    fills = fills_of(event)
    if not _closed_without_an_order(event):
        return fills
    assert isinstance(event, PositionClosed)
    shown = str(conditional_id(event.order_id, fired_stop(event) or CLOSE))
    return [replace(f, order_id=shown) if f.order_id == event.order_id else f for f in fills]


def _closed_without_an_order(event: Event) -> bool:
    """A whole position closed by no order of the trader's: a stop, the close button, a
    reset, a liquidation (an opposite order or a flip names its own)."""
    return (
        isinstance(event, PositionClosed)
        and event.by_order_id is None
        and event.flip_order_id is None
    )


def _side(buy: bool) -> str:
    return "BUY" if buy else "SELL"


def _announced_by_its_fill(event: Execution, fill: Fill) -> bool:
    """Whether a fill's order (one that did not rest) is a new order, NEW before its trade:
    an open or scale-in, or an opposite order that reduced or flipped; not a
    close of Velox's own, which carries the id of the order that opened the position, or of
    the position's stop that closed it."""
    if isinstance(event, PositionOpened | PositionIncreased):
        return True  # a market order, or a LIMIT through the market: it never rested
    return not _closed_without_an_order(event)


def account_update(
    engine: Engine, event: Any, reason: str, now: int, change: int = 0, later: int = 0
) -> Json:
    """``later``: what the account's events after this one in its batch moved its cash by
    (the engine holds the cash after them all)."""
    owner, account_id = event.user_id, event.account_id
    f = account_figures(engine, owner, account_id)
    wallet = format_units(f.cash - later)
    positions = []
    symbol = getattr(event, "asset", None)
    if symbol is None and isinstance(event, MarginAdded):
        pos = engine.positions.get(event.order_id)
        symbol = pos.asset if pos is not None else None
    if symbol is not None:
        hedged = hedge_mode(engine, owner, account_id)
        charged = event.order_id if isinstance(event, FundingCharged) else None
        for pos in open_positions(engine, owner, account_id):
            if pos.asset != symbol or charged not in (None, pos.order_id):
                continue
            amount = pos.qty if pos.side == "LONG" else -pos.qty
            positions.append({
                "s": symbol, "pa": format_units(amount), "ep": format_units(pos.open_price),
                "bep": format_units(pos.open_price), "cr": format_units(0),
                "up": format_units(unrealized_pnl(engine, pos)), "mt": "isolated",
                "iw": format_units(pos.margin), "ps": position_side(pos, hedged),
            })  # fmt: skip
        if not positions:
            zero = format_units(0)
            side = getattr(event, "side", None) if hedged else None  # the side it left
            positions.append({"s": symbol, "pa": zero, "ep": zero, "bep": zero, "cr": zero,
                              "up": zero, "mt": "isolated", "iw": zero,
                              "ps": side if side in SIDES else BOTH})  # fmt: skip
    return {
        "e": "ACCOUNT_UPDATE", "E": now, "T": event.ts,
        "a": {"m": reason, "B": [{"a": "USDT", "wb": wallet, "cw": format_units(f.balance),
                                  "bc": format_units(change)}], "P": positions},
    }  # fmt: skip
