"""Closed positions as the API shows them: ``render.closed_order`` plus the terms of the order
that opened the position (type, price, clientOrderId, ...), which ``closed_orders`` does not
keep but the ``orders`` row of the position does. One batched read per list, never one per
row; a closed part shows the terms of the position it came from."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from velox.store.base import Store
from velox.store.records import ClosedOrderRecord
from velox.web import render
from velox.web.render_v2 import with_terms

Json = dict[str, Any]


async def closed_orders(store: Store, records: Sequence[ClosedOrderRecord]) -> list[Json]:
    shown = [render.closed_order(r) for r in records]
    if not shown:
        return shown
    return with_terms(shown, await store.orders_by_ids(o["positionId"] for o in shown))


async def closed_order(store: Store, record: ClosedOrderRecord) -> Json:
    (shown,) = await closed_orders(store, [record])
    return shown
