"""Pending orders indexed by trigger price per asset and side, and by expiry.

A tick must cost O(log n + filled), never a scan of the resting orders (SPEC 12). Per
(asset, side, type) one binary heap of ``sign * price`` with lazy deletion (an entry is
valid while the order's ``version`` equals the one it was pushed with), so one comparison,
``key <= sign * quote``, serves all four cases:

- LIMIT LONG rests until ``ask <= price``   -> key -price, threshold -ask
- LIMIT SHORT rests until ``bid >= price``  -> key  price, threshold  bid
- STOP LONG triggers when ``ask >= price``  -> key  price, threshold  ask
- STOP SHORT triggers when ``bid <= price`` -> key -price, threshold -bid

Expiry is one heap of ``expires_at``. Both are derived state, rebuilt from the orders.
"""

from __future__ import annotations

import heapq

from velox.engine.commands import LIMIT
from velox.engine.formulas import LONG
from velox.engine.heaps import compact, current
from velox.engine.state import Pending

_Entry = tuple[int, int, int, Pending]  # (key, order number, version, order)
_BOOKS = (
    (LONG, LIMIT, True),
    ("SHORT", LIMIT, False),
    (LONG, "STOP", True),
    ("SHORT", "STOP", False),
)


def _key_sign(side: str, order_type: str) -> int:
    """-1 for the orders that fire as the quote falls to them (LIMIT LONG, STOP SHORT)."""
    return -1 if (order_type == LIMIT) == (side == LONG) else 1


def reaches(order: Pending, bid: int, ask: int) -> bool:
    """Whether this quote reaches the order (the rule itself, for scans and checks)."""
    if order.order_type == LIMIT:
        return ask <= order.price if order.side == LONG else bid >= order.price
    return ask >= order.price if order.side == LONG else bid <= order.price


class PendingIndex:
    def __init__(self) -> None:
        self._heaps: dict[tuple[str, str, str], list[_Entry]] = {}
        self._sizes: dict[tuple[str, str, str], int] = {}
        self._expiry: list[_Entry] = []
        self._expiring = 0
        self._per_asset: dict[str, int] = {}  # resting orders per asset: a quiet asset is free

    @staticmethod
    def _key(order: Pending) -> tuple[str, str, str]:
        return (order.asset, order.side, order.order_type)

    def add(self, order: Pending) -> None:
        key = self._key(order)
        self._sizes[key] = self._sizes.get(key, 0) + 1
        self._per_asset[order.asset] = self._per_asset.get(order.asset, 0) + 1
        if order.expires_at is not None:
            self._expiring += 1
        self._push(order)

    def changed(self, order: Pending, had_expiry: bool) -> None:
        order.version += 1
        self._expiring += (order.expires_at is not None) - had_expiry
        self._push(order)

    def remove(self, order: Pending) -> None:
        order.version = -1
        self._sizes[self._key(order)] -= 1
        self._per_asset[order.asset] -= 1
        if order.expires_at is not None:
            self._expiring -= 1

    def _push(self, order: Pending) -> None:
        key = self._key(order)
        heap = self._heaps.setdefault(key, [])
        sign = _key_sign(order.side, order.order_type)
        number = int(order.order_id)
        heapq.heappush(heap, (sign * order.price, number, order.version, order))
        compact(heap, self._sizes[key])
        if order.expires_at is not None:
            expiry = self._expiry
            heapq.heappush(expiry, (order.expires_at, number, order.version, order))
            compact(expiry, self._expiring)

    def reached(self, asset: str, bid: int, ask: int) -> list[Pending]:
        """Orders this quote reaches, in order-id order; their entries are consumed."""
        out: list[Pending] = []
        if not self._per_asset.get(asset):
            return out
        for side, order_type, at_ask in _BOOKS:
            heap = self._heaps.get((asset, side, order_type))
            if not heap:
                continue
            threshold = _key_sign(side, order_type) * (ask if at_ask else bid)
            while heap and heap[0][0] <= threshold:
                _, _, version, order = heapq.heappop(heap)
                if version == order.version:
                    out.append(order)
        out.sort(key=lambda o: int(o.order_id))
        return out

    def expired(self, now: int, limit: int) -> list[Pending]:
        """Up to ``limit`` orders whose ``expires_at <= now``, oldest expiry first."""
        out: list[Pending] = []
        heap = self._expiry
        while heap and len(out) < limit and heap[0][0] <= now:
            _, _, version, order = heapq.heappop(heap)
            if version == order.version:
                out.append(order)
        return out

    def has_expired(self, now: int) -> bool:
        heap = self._expiry
        while heap and not current(heap[0]):
            heapq.heappop(heap)
        return bool(heap) and heap[0][0] <= now
