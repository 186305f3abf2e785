"""Orders, account figures, quotes and candles as the API shows them (SPEC sections 7-8).

One module for HTTP responses and websocket messages alike, so a field never differs between
them. Money leaves as 8-decimal strings, times as integer milliseconds; nothing here computes
money: figures come from ``velox.engine.views``.
"""

from __future__ import annotations

from typing import Any

from velox.engine.engine import Engine
from velox.engine.state import Position, Quote
from velox.engine.views import AccountFigures, unrealized_pnl
from velox.money import format_optional, format_units
from velox.store.records import CandleRecord, ClosedOrderRecord
from velox.web.render_v2 import closed_fields, figures_fields, position_fields

Json = dict[str, Any]


def open_order(pos: Position, upnl: int) -> Json:
    return {
        "orderId": pos.order_id,
        "parentOrderId": None,
        "asset": pos.asset,
        "side": pos.side,
        "leverage": pos.leverage,
        "margin": format_units(pos.margin),
        "qty": format_units(pos.qty),
        "openPrice": format_units(pos.open_price),
        "liquidationPrice": format_units(pos.liquidation_price),
        "stopLoss": format_optional(pos.stop_loss),
        "takeProfit": format_optional(pos.take_profit),
        "trailingStop": format_optional(pos.trailing_stop),
        # The best price since the trailing stop was set (LONG: highest bid, SHORT: lowest
        # ask): the stop fires at trailingMark -/+ trailingStop (the chart's "Trail" line).
        "trailingMark": format_optional(
            pos.trailing_mark if pos.trailing_stop is not None else None
        ),
        "status": "OPEN",
        "unrealizedPnl": format_units(upnl),
        "closePrice": None,
        "closeReason": None,
        "pnl": None,
        "openedAt": pos.opened_at,
        "closedAt": None,
        **position_fields(pos),
    }


def open_order_in(engine: Engine, pos: Position) -> Json:
    """An open position with its PnL at the engine's current quote."""
    return open_order(pos, unrealized_pnl(engine, pos))


def closed_order(rec: ClosedOrderRecord) -> Json:
    return {
        "orderId": rec.order_id,
        "parentOrderId": rec.parent_order_id,
        "asset": rec.asset,
        "side": rec.side,
        "leverage": rec.leverage,
        "margin": format_units(rec.margin),
        "qty": format_units(rec.qty),
        "openPrice": format_units(rec.open_price),
        "liquidationPrice": format_units(rec.liquidation_price),
        "stopLoss": format_optional(rec.stop_loss),
        "takeProfit": format_optional(rec.take_profit),
        "trailingStop": format_optional(rec.trailing_stop),
        "status": "CLOSED",
        "unrealizedPnl": None,
        "closePrice": format_units(rec.close_price),
        "closeReason": rec.close_reason,
        "pnl": format_units(rec.pnl),
        "openedAt": rec.opened_at,
        "closedAt": rec.closed_at,
        **closed_fields(rec),
    }


def figures(f: AccountFigures) -> Json:
    return {
        "balance": format_units(f.balance),
        "usedMargin": format_units(f.used_margin),
        "unrealizedPnl": format_units(f.unrealized_pnl),
        "equity": format_units(f.equity),
        "freeMargin": format_units(f.free_margin),
        "marginLevel": f.margin_level,
        **figures_fields(f),
    }


def asset(symbol: str, quote: Quote | None) -> Json:
    return {
        "symbol": symbol,
        "bid": None if quote is None else format_units(quote.bid),
        "ask": None if quote is None else format_units(quote.ask),
        "timestamp": None if quote is None else quote.ts,
    }


def price_update(symbol: str, quote: Quote) -> Json:
    return {
        "type": "price_update",
        "symbol": symbol,
        "data": {
            "bidPrice": format_units(quote.bid),
            "askPrice": format_units(quote.ask),
            "timestamp": quote.ts,
        },
    }


def candle(c: CandleRecord) -> Json:
    return {
        "time": c.time,
        "open": format_units(c.open),
        "high": format_units(c.high),
        "low": format_units(c.low),
        "close": format_units(c.close),
        "volume": format_units(c.volume),
    }


def ledger(data: dict[str, int | bool]) -> Json:
    """The double-entry check with money as decimal strings and ``conserved`` a boolean."""
    return {
        key: value if isinstance(value, bool) else format_units(value)
        for key, value in data.items()
    }
