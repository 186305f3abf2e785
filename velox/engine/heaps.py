"""Binary heaps with lazy deletion, as the trigger index and the pending-order index keep
them.

An entry is ``(key, tiebreak, version, item)`` and is valid while the item's ``version`` is
the one it was pushed with (``current``): a change bumps the version and pushes a fresh
entry instead of searching the heap for the old one. Stale entries are dropped when they
surface, and all at once when they outnumber the live ones (``compact``), so each costs
amortised O(1) and a heap never grows past about three times what it holds.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable
from typing import Any

COMPACT_SLACK = 64


def current(entry: Any) -> bool:
    """The entry was pushed at its item's present version."""
    return bool(entry[2] == entry[3].version)


def compact(heap: list[Any], live: int, valid: Callable[[Any], bool] = current) -> None:
    """Keep only the ``valid`` entries once the heap holds more than ``3 * live`` (+ slack)."""
    if len(heap) > 3 * live + COMPACT_SLACK:
        heap[:] = [e for e in heap if valid(e)]
        heapq.heapify(heap)
