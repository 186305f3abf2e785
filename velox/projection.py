"""The rows a commit's events project into (schema version 2; orders' time in force: 5):
accounts, orders, fills.

One mapping for the service (written in the journal's transaction, so a row exists exactly
when its event does) and for ``velox audit`` (which recomputes the fills from the journal
and compares both ways). Each event carries every term its rows need (events.py), so this
never reads the engine's state.
"""

from __future__ import annotations

from velox.engine import views
from velox.engine.events import (
    AccountCreated,
    AccountRenamed,
    Event,
    OrderCancelled,
    OrderModified,
    OrderPlaced,
    PositionClosed,
    PositionIncreased,
    PositionOpened,
    PositionPartiallyClosed,
)
from velox.engine.formulas import LONG
from velox.projection_stops import stop_writes
from velox.store.records import AccountRecord, FillRecord, OrderRecord, RowWrite

OPEN = "OPEN"
PENDING = "PENDING"
FILLED = "FILLED"
MARKET = "MARKET"


def fills_of(event: Event) -> list[FillRecord]:
    """The executions an event records (the engine's ``views.fills_of``), as rows."""
    return [
        FillRecord(f.fill_id, f.order_id, f.position_id, f.account_id or "", f.user_id,
                   f.asset, f.side, f.price, f.qty, f.fee, f.realized_pnl, f.maker, f.time)
        for f in views.fills_of(event)
    ]  # fmt: skip


def placed_record(e: OrderPlaced) -> OrderRecord:
    return OrderRecord(
        e.order_id, e.account_id, e.user_id, e.asset, e.side, e.order_type, e.leverage,
        e.price, e.margin, e.qty, e.reserved, e.stop_loss, e.take_profit, e.trailing_stop,
        e.expires_at, e.client_order_id, e.oco_group_id, e.reduce_only, PENDING, None, None,
        e.ts, e.ts, e.time_in_force,
    )  # fmt: skip


def cancelled_record(e: OrderCancelled) -> OrderRecord:
    return OrderRecord(
        e.order_id, e.account_id, e.user_id, e.asset, e.side, e.order_type, e.leverage,
        e.price, e.margin, e.qty, 0, e.stop_loss, e.take_profit, e.trailing_stop,
        e.expires_at, e.client_order_id, e.oco_group_id, e.reduce_only, e.status, e.reason,
        None, e.created_at, e.ts, e.time_in_force,
    )  # fmt: skip


def _opened(e: PositionOpened) -> OrderRecord:
    """A market order's record, or a pending order's new status (the row keeps its terms)."""
    return OrderRecord(
        e.order_id, e.account_id or "", e.user_id, e.asset, e.side, e.order_type, e.leverage,
        e.price, e.margin, e.qty, 0, e.stop_loss, e.take_profit, e.trailing_stop, None,
        e.client_order_id, e.oco_group_id, False, OPEN, None, e.order_id,
        e.ts if e.created_at is None else e.created_at, e.ts, e.time_in_force,
    )  # fmt: skip


def _increased(e: PositionIncreased) -> OrderRecord:
    return OrderRecord(
        e.order_id, e.account_id, e.user_id, e.asset, e.side, e.order_type, e.leverage,
        e.order_price, e.margin, e.qty, 0, e.stop_loss, e.take_profit, e.trailing_stop, None,
        e.client_order_id, None, False, FILLED, None, e.position_id, e.ts, e.ts,
        e.time_in_force,
    )  # fmt: skip


def _reduced_by(
    by_order_id: str, e: PositionClosed | PositionPartiallyClosed, qty: int
) -> OrderRecord:
    """The opposite NETTING order that reduced (or closed) position ``e.order_id``: a resting
    order's row keeps its terms and takes the new status; one that filled at once (a market
    order, or a LIMIT priced through the market) has this row."""
    side = "SHORT" if e.side == LONG else "LONG"
    return OrderRecord(
        by_order_id, e.account_id or "", e.user_id, e.asset, side, e.by_order_type,
        e.leverage, e.by_order_price, None, qty, 0, None, None, None, None,
        e.by_client_order_id, None, e.by_reduce_only,
        FILLED, None, e.order_id, e.ts, e.ts, e.by_time_in_force,
    )  # fmt: skip


def writes_of(event: Event) -> list[RowWrite]:
    """The projection writes of one event, in the order they must be applied."""
    out: list[RowWrite] = []
    if isinstance(event, AccountCreated):
        record = AccountRecord(event.account_id, event.user_id, event.name, event.mode, event.ts)
        out.append(RowWrite("account", record))
    elif isinstance(event, AccountRenamed):
        out.append(RowWrite("account_name", AccountRecord(
            event.account_id, event.user_id, event.name, "", event.ts)))  # fmt: skip
    elif isinstance(event, OrderPlaced):
        out.append(RowWrite("order", placed_record(event)))
    elif isinstance(event, OrderModified):
        out.append(RowWrite("order_terms", _modified(event)))
    elif isinstance(event, OrderCancelled):
        out.append(RowWrite("order", cancelled_record(event)))
    elif isinstance(event, PositionOpened):
        out.append(RowWrite("order_status", _opened(event)))
    elif isinstance(event, PositionIncreased):
        out.append(RowWrite("order_status", _increased(event)))
    elif isinstance(event, PositionClosed) and event.by_order_id is not None:
        out.append(RowWrite("order_status", _reduced_by(event.by_order_id, event, event.qty)))
    elif isinstance(event, PositionPartiallyClosed) and event.by_order_id is not None:
        out.append(RowWrite("order_status", _reduced_by(event.by_order_id, event, event.part_qty)))
    out.extend(RowWrite("fill", fill) for fill in fills_of(event))
    out.extend(stop_writes(event))
    return out


def _modified(e: OrderModified) -> OrderRecord:
    """Only the fields ``order_terms`` writes matter; the rest are placeholders."""
    return OrderRecord(
        e.order_id, e.account_id, e.user_id, "", "", "", 0, e.price, None, None, e.reserved,
        e.stop_loss, e.take_profit, e.trailing_stop, e.expires_at, None, None, False, PENDING,
        None, None, e.ts, e.ts,
    )  # fmt: skip


def project(events: list[Event] | tuple[Event, ...]) -> list[RowWrite]:
    """Every projection write of a commit, in journal order."""
    out: list[RowWrite] = []
    for event in events:
        out.extend(writes_of(event))
    return out
