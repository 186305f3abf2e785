"""The user-data stream: ``listenKey``s and ``/ws/<listenKey>`` with Binance's account events.

The listen keys themselves (who holds which, until when, their sockets) are the book's
(``listenbook.py``).

Every committed batch (an engine-service listener) is turned, for the accounts that have
sockets open, into Binance's messages, rendered from the engine as that commit left it:

- ``ORDER_TRADE_UPDATE`` for each fill: an open (BUY for LONG, SELL for SHORT) and each
  close or partial close (the other side, ``R`` reduce-only, ``rp`` the realized PnL, ``ot``
  the kind of order that closed it: MARKET, STOP_MARKET, TAKE_PROFIT_MARKET,
  TRAILING_STOP_MARKET or LIQUIDATION);
- ``ACCOUNT_UPDATE`` after each change of the account's money (reason ORDER, DEPOSIT or
  MARGIN_TRANSFER), with the USDT wallet and the positions of the symbol concerned.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

import orjson

from velox.binance.streams.listenbook import ListenBook
from velox.engine.engine import Engine
from velox.engine.events import (
    Deposited,
    MarginAdded,
    OrderCancelled,
    OrderPlaced,
    PositionClosed,
    PositionIncreased,
    PositionOpened,
    PositionPartiallyClosed,
)
from velox.engine.views import account_figures, open_positions, unrealized_pnl
from velox.money import format_units
from velox.service import Published

CLOSE_TYPES = {
    "MANUAL": "MARKET", "PARTIAL": "MARKET", "REDUCE": "MARKET", "STOP_LOSS": "STOP_MARKET",
    "TAKE_PROFIT": "TAKE_PROFIT_MARKET", "TRAILING_STOP": "TRAILING_STOP_MARKET",
    "LIQUIDATION": "LIQUIDATION",
}  # fmt: skip
ORDER_TYPES = {"MARKET": "MARKET", "LIMIT": "LIMIT", "STOP": "STOP_MARKET"}


class ListenKeys(ListenBook):
    """The book, and every committed batch rendered for the accounts with sockets open."""

    def __init__(self, engine: Callable[[], Engine], wall_ms: Callable[[], int]) -> None:
        super().__init__(wall_ms)
        self._engine = engine

    def on_published(self, published: Published) -> None:
        reveal = self.stage(published)
        if reveal is not None:
            reveal()

    def stage(self, published: Published) -> Callable[[], None] | None:
        """Read the engine while it holds exactly this batch (the service's staged listener),
        deliver only once the batch's commit succeeded: the service may then overlap the next
        batch with this commit."""
        if not self._by_owner:
            return None
        now = self._wall_ms()
        for listen in [x for xs in self._by_owner.values() for x in xs]:
            if listen.expires_ms <= now:
                self._drop(listen, expired=True)
        engine = self._engine()
        flips = flip_sizes(event for _, event in published.events)
        outgoing: list[tuple[str, bytes]] = []
        for _, event in published.events:
            account = getattr(event, "account_id", None)
            if account is None or not self._by_owner.get(account):
                continue
            shown = messages(engine, event, now, flips)
            outgoing.extend((account, orjson.dumps(m)) for m in shown)
        if not outgoing:
            return None
        return lambda: self._deliver(outgoing)

    def _deliver(self, outgoing: list[tuple[str, bytes]]) -> None:
        for account, data in outgoing:
            for listen in tuple(self._by_owner.get(account, ())):
                for socket in tuple(listen.sockets):
                    socket.deliver_raw(data)


def flip_sizes(events: Iterable[object]) -> dict[str, int]:
    """Each NETTING flip's order id -> its whole quantity (the close and the rest it opened,
    both in the flip's batch): Binance shows one order filled in two trades."""
    closed: dict[str, int] = {}
    sizes: dict[str, int] = {}
    for event in events:
        if isinstance(event, PositionClosed) and event.flip_order_id is not None:
            closed[event.flip_order_id] = event.qty
        elif isinstance(event, PositionOpened) and event.order_id in closed:
            sizes[event.order_id] = closed[event.order_id] + event.qty
    return sizes


def messages(
    engine: Engine, event: object, now: int, flips: Mapping[str, int] | None = None
) -> list[dict[str, Any]]:
    """Binance's messages for one engine event of an account someone listens to. A flip's
    close is its order's first trade (PARTIALLY_FILLED) and the rest its last (FILLED), both
    with the order's whole quantity and the cumulative fill (``flips``: ``flip_sizes``)."""
    flips = flips or {}
    if isinstance(event, OrderPlaced):
        order = _order(event.asset, event.order_id, event.side == "LONG", event.qty or 0,
                       0, 0, 0, ORDER_TYPES.get(event.order_type, "LIMIT"), event.ts,
                       reduce=event.reduce_only, client=event.client_order_id,
                       status=("NEW", "NEW"), price=event.price)  # fmt: skip
        return [_order_update(order, now, event.ts)]
    if isinstance(event, OrderCancelled):
        status = {"CANCELLED": "CANCELED"}.get(event.status, event.status)
        order = _order(event.asset, event.order_id, event.side == "LONG", event.qty or 0,
                       0, 0, 0, ORDER_TYPES.get(event.order_type, "LIMIT"), event.ts,
                       reduce=event.reduce_only, client=event.client_order_id,
                       status=(status if status != "REJECTED" else "REJECTED", status),
                       price=event.price)  # fmt: skip
        return [_order_update(order, now, event.ts)]
    if isinstance(event, PositionOpened):
        kind = ORDER_TYPES.get(event.order_type, "MARKET")
        whole = flips.get(event.order_id, event.qty)
        order = _order(event.asset, event.order_id, event.side == "LONG", whole,
                       event.open_price, 0, event.fee, kind, event.ts, reduce=False,
                       client=event.client_order_id, price=event.price,
                       last=event.qty)  # fmt: skip
        return [_order_update(order, now, event.ts), _account(engine, event, "ORDER", now)]
    if isinstance(event, PositionIncreased):
        order = _order(event.asset, event.order_id, event.side == "LONG", event.qty,
                       event.price, 0, event.fee, "MARKET", event.ts, reduce=False,
                       client=event.client_order_id)  # fmt: skip
        return [_order_update(order, now, event.ts), _account(engine, event, "ORDER", now)]
    if isinstance(event, PositionClosed | PositionPartiallyClosed):
        size: int | None = None
        state = ("TRADE", "FILLED")
        if isinstance(event, PositionClosed):
            qty, kind = event.qty, CLOSE_TYPES.get(event.reason, "MARKET")
            order_id = event.by_order_id or event.flip_order_id or event.order_id
            size = flips.get(event.flip_order_id or "")
            if size is not None:
                state = ("TRADE", "PARTIALLY_FILLED")
        else:
            qty, kind = event.part_qty, "MARKET"
            order_id = event.by_order_id or event.part_order_id
        # reduce-only: a close of Velox's own (stops, liquidation, the close button), or an
        # opposite order placed reduceOnly; a plain opposite order or a flip is not
        reduce = size is None and (event.by_order_id is None or event.by_reduce_only)
        order = _order(event.asset, order_id, event.side == "SHORT", size or qty,
                       event.close_price, event.pnl, event.close_fee, kind, event.ts,
                       reduce=reduce, status=state, last=qty, done=qty)  # fmt: skip
        return [_order_update(order, now, event.ts), _account(engine, event, "ORDER", now)]
    if isinstance(event, Deposited):
        return [_account(engine, event, "DEPOSIT", now)]
    if isinstance(event, MarginAdded):
        return [_account(engine, event, "MARGIN_TRANSFER", now)]
    return []


def _order(
    symbol: str, order_id: str, buy: bool, qty: int, fill_price: int, realized: int, fee: int,
    kind: str, ts: int, *, reduce: bool, client: str | None = None,
    status: tuple[str, str] = ("TRADE", "FILLED"), price: int | None = None,
    last: int | None = None, done: int | None = None,
) -> dict[str, Any]:  # fmt: skip
    """``qty`` the order's quantity; ``last`` this trade's (default: all of it) and ``done``
    the order's cumulative fill (default: ``qty`` once FILLED)."""
    zero = format_units(0)
    filled = status[0] == "TRADE"
    last = (qty if last is None else last) if filled else 0
    done = (qty if done is None else done) if filled else 0
    return {
        "s": symbol, "c": client or f"velox-{order_id}", "S": "BUY" if buy else "SELL",
        "o": kind, "f": "GTC", "q": format_units(qty),
        "p": format_units(price) if price is not None and kind == "LIMIT" else zero,
        "ap": format_units(fill_price), "sp": format_units(price) if price and kind != "LIMIT"
        else zero, "x": status[0], "X": status[1], "i": int(order_id),
        "l": format_units(last), "z": format_units(done),
        "L": format_units(fill_price), "N": "USDT", "n": format_units(fee), "T": ts,
        "t": int(order_id) if filled else 0, "b": zero, "a": zero, "m": False, "R": reduce,
        "wt": "CONTRACT_PRICE", "ot": kind, "ps": "BOTH", "cp": False,
        "rp": format_units(realized), "pP": False, "si": 0, "ss": 0, "V": "NONE", "pm": "NONE",
        "gtd": 0,
    }  # fmt: skip


def _order_update(order: dict[str, Any], now: int, ts: int) -> dict[str, Any]:
    return {"e": "ORDER_TRADE_UPDATE", "E": now, "T": ts, "o": order}


def _account(engine: Engine, event: Any, reason: str, now: int) -> dict[str, Any]:
    owner, account_id = event.user_id, event.account_id
    f = account_figures(engine, owner, account_id)
    wallet = format_units(f.balance + f.used_margin)
    positions = []
    symbol = getattr(event, "asset", None)
    if symbol is None and isinstance(event, MarginAdded):
        pos = engine.positions.get(event.order_id)
        symbol = pos.asset if pos is not None else None
    if symbol is not None:
        for pos in open_positions(engine, owner, account_id):
            if pos.asset != symbol:
                continue
            amount = pos.qty if pos.side == "LONG" else -pos.qty
            positions.append({
                "s": symbol, "pa": format_units(amount), "ep": format_units(pos.open_price),
                "bep": format_units(pos.open_price), "cr": format_units(0),
                "up": format_units(unrealized_pnl(engine, pos)), "mt": "isolated",
                "iw": format_units(pos.margin), "ps": "BOTH",
            })  # fmt: skip
        if not positions:
            zero = format_units(0)
            positions.append({"s": symbol, "pa": zero, "ep": zero, "bep": zero, "cr": zero,
                              "up": zero, "mt": "isolated", "iw": zero, "ps": "BOTH"})  # fmt: skip
    return {
        "e": "ACCOUNT_UPDATE", "E": now, "T": event.ts,
        "a": {"m": reason, "B": [{"a": "USDT", "wb": wallet, "cw": format_units(f.balance),
                                  "bc": format_units(0)}], "P": positions},
    }  # fmt: skip
