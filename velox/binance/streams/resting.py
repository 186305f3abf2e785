"""The terms of the resting orders of accounts someone listens to.

A resting order's fill (``PositionOpened``, ``PositionIncreased``, or a close ``by`` it) does
not repeat all the order's terms, and by the time the user stream renders the batch the
engine no longer holds the order. Binance shows the fill with the order's own type, price,
time in force and ``goodTillDate``, and never announces it NEW a second time, so the stream
keeps those terms here: learned when the account's first listen key appears (the engine's
pending orders then) and from each ``OrderPlaced`` / ``OrderModified`` after, forgotten
when the order ends or nobody listens to the account any more.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Protocol

from velox.binance.orders import TYPES
from velox.engine.events import OrderModified

# Velox's order types as Binance names them (a pending STOP is Binance's STOP_MARKET)


class RestingLike(Protocol):
    """What ``OrderPlaced``, ``OrderCancelled`` and the engine's ``Pending`` have in common."""

    @property
    def order_id(self) -> str: ...
    @property
    def account_id(self) -> str: ...
    @property
    def asset(self) -> str: ...
    @property
    def side(self) -> str: ...
    @property
    def order_type(self) -> str: ...
    @property
    def price(self) -> int: ...
    @property
    def qty(self) -> int | None: ...
    @property
    def expires_at(self) -> int | None: ...
    @property
    def client_order_id(self) -> str | None: ...
    @property
    def reduce_only(self) -> bool: ...
    @property
    def time_in_force(self) -> str: ...


@dataclass(frozen=True, slots=True)
class OrderTerms:
    """What the stream shows of an order besides its trades. ``price``: a LIMIT's price or a
    STOP_MARKET's stop price; ``qty`` None when it was sized by margin (known at the fill);
    ``symbol`` and ``side`` (Velox's LONG / SHORT) known for a resting order."""

    kind: str
    price: int | None = None
    qty: int | None = None
    expires_at: int | None = None
    client: str | None = None
    reduce: bool = False
    symbol: str = ""
    side: str = ""
    close: bool = False  # a closePosition order (a position's stop-loss or take-profit)
    tif: str = "GTC"  # GTC | IOC | FOK | GTX, as placed (``goodTillDate`` makes it GTD)

    @classmethod
    def of(cls, order: RestingLike) -> OrderTerms:
        kind = TYPES.get(order.order_type, "LIMIT")
        return cls(kind, order.price, order.qty, order.expires_at, order.client_order_id,
                   order.reduce_only, order.asset, order.side,
                   tif=order.time_in_force)  # fmt: skip


class RestingOrders:
    """Order id -> terms, per listened account."""

    def __init__(self) -> None:
        self._by_account: dict[str, dict[str, OrderTerms]] = {}

    def watch(self, account_id: str, pending: Iterable[RestingLike]) -> None:
        """Start keeping ``account_id``'s orders, from the ones resting now."""
        self._by_account[account_id] = {o.order_id: OrderTerms.of(o) for o in pending}

    def unwatch(self, account_id: str) -> None:
        self._by_account.pop(account_id, None)

    def placed(self, order: RestingLike) -> OrderTerms:
        terms = OrderTerms.of(order)
        orders = self._by_account.get(order.account_id)
        if orders is not None:
            orders[order.order_id] = terms
        return terms

    def modified(self, event: OrderModified) -> OrderTerms | None:
        """The order's new terms (None when this account's orders are not kept)."""
        orders = self._by_account.get(event.account_id, {})
        terms = orders.get(event.order_id)
        if terms is not None:
            terms = orders[event.order_id] = replace(terms, price=event.price,
                                                     expires_at=event.expires_at)  # fmt: skip
        return terms

    def ended(self, account_id: str, order_id: str) -> OrderTerms | None:
        """The resting order ``order_id``'s terms, forgotten (it filled or ended), or None
        when it was not resting (a market order, or one of Velox's own closes)."""
        return self._by_account.get(account_id, {}).pop(order_id, None)
