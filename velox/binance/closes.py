"""A position's close by Velox itself, shown to the Binance API as an order of its own.

The close button, an account reset and a liquidation close a whole position with no order
of the trader's. Binance gives such a close an order of its own (a liquidation's
clientOrderId starts ``autoclose-``); Velox showed its fill under the id of the order that
opened the position, so ccxt.pro's order cache turned that BUY into a SELL and an order's
trades held both. The close is now order ``conditional_id(position, CLOSE)`` (one per
position: a position closes once), FILLED at the close price, reduce-only, shown by
``GET /fapi/v1/order``, ``userTrades`` and the user stream alike. A close by one of the
position's stops is the order that stop placed (``orders.actual_id``, its kind's id in this
space); a partial close already has its own order, and an opposite order its own.
"""

from __future__ import annotations

from typing import Any

from velox.binance.orders import CLOSE, conditional_id, order_shape, position_order
from velox.store.records import ClosedOrderRecord

Json = dict[str, Any]
VELOX_CLOSES = ("MANUAL", "LIQUIDATION")  # close reasons of a whole position by Velox itself


def closing_position(order_id: int) -> str | None:
    """The position whose close by Velox ``order_id`` names, else None."""
    found = position_order(order_id)
    return found[0] if found is not None and found[1] == CLOSE else None


def close_client_id(position_id: str, reason: str) -> str:
    """Binance marks a liquidation's order ``autoclose-``; ccxt reads that as one."""
    if reason == "LIQUIDATION":
        return f"autoclose-{position_id}"
    return f"velox-{position_id}-close"


def closed_by_client_id(client: str) -> str | None:
    """The position whose close ``client`` (``close_client_id``'s) names, else None."""
    for prefix, suffix in (("autoclose-", ""), ("velox-", "-close")):
        if client.startswith(prefix) and client.endswith(suffix):
            position = client[len(prefix) : len(client) - len(suffix)]
            if position.isascii() and position.isdigit():
                return position
    return None


def closed_by_velox(rec: ClosedOrderRecord) -> bool:
    """A whole position closed by no order of the trader's but not by one of its stops:
    the close button, a reset (both MANUAL), a liquidation."""
    return rec.parent_order_id is None and rec.close_reason in VELOX_CLOSES


def close_json(rec: ClosedOrderRecord) -> Json:
    """The close of position ``rec`` by Velox (``closed_by_velox``), or a native partial
    close's part (its own order), as the order that executed it: its type as the user
    stream names it (``MARKET``; ``LIQUIDATION`` for a liquidation)."""
    if rec.parent_order_id is None:
        order_id = conditional_id(rec.order_id, CLOSE)
        client = close_client_id(rec.order_id, rec.close_reason)
    else:
        order_id, client = int(rec.order_id), f"velox-{rec.order_id}"
    kind = "LIQUIDATION" if rec.close_reason == "LIQUIDATION" else "MARKET"
    closing_side = "SELL" if rec.side == "LONG" else "BUY"
    return order_shape(
        order_id, rec.asset, "FILLED", client, closing_side, kind, orig=rec.qty,
        done=(rec.qty, rec.close_price), reduce=True, created=rec.closed_at,
        updated=rec.closed_at,
    )  # fmt: skip
