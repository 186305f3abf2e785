"""The ``stop_orders`` rows a commit's events project into: a position's stops as the
Binance API's algo orders, each placement a row (``StopRecord``), kept once cancelled or
ended with the position, which the engine forgets. Like ``projection.py``, from the events
alone.
"""

from __future__ import annotations

from velox.engine.events import (
    Event,
    PositionClosed,
    PositionIncreased,
    PositionOpened,
    StopsModified,
)
from velox.store.records import RowWrite, StopRecord

NEW = "NEW"
STOP_LOSS, TAKE_PROFIT, TRAILING = 1, 2, 3  # binance/orders.py's kinds
# a close's reason -> the kind of the stop that fired
FIRED_BY = {"STOP_LOSS": STOP_LOSS, "TAKE_PROFIT": TAKE_PROFIT, "TRAILING_STOP": TRAILING}


def stop_writes(event: Event) -> list[RowWrite]:
    """The event's ``stop_orders`` writes: a stop set with a position, or placed, changed
    or cleared later (``StopsModified``); every NEW one of a position that closed."""
    if isinstance(event, PositionOpened):
        values = (event.stop_loss, event.take_profit, event.trailing_stop)
        set_with = [(kind, value) for kind, value in enumerate(values, 1) if value is not None]
        account = event.account_id or ""
        rows = [StopRecord(event.order_id, kind, "", account, event.asset, event.side, None,
                           value, None, NEW, None, event.ts, event.ts)
                for kind, value in set_with]  # fmt: skip
        return [RowWrite("stop", row) for row in rows]
    if isinstance(event, StopsModified):
        return _modified(event)
    if isinstance(event, PositionIncreased):  # the stops a scale-in set, or replaced
        return _placed(event, event.position_id, event.account_id, event.side)
    if isinstance(event, PositionClosed):
        if (event.stop_loss, event.take_profit, event.trailing_stop) == (None, None, None):
            return []  # it had none (most closes: nothing to write)
        # the stop that closed it (no order of the trader's did) FINISHED, the rest EXPIRED
        own = event.by_order_id is None and event.flip_order_id is None
        fired = FIRED_BY.get(event.reason, 0) if own else 0
        ended = StopRecord(event.order_id, fired, "", "", "", "", None, None, event.qty,
                           "", event.close_price, event.ts, event.ts)  # fmt: skip
        return [RowWrite("stop_end", ended)]
    return []


def _modified(event: StopsModified) -> list[RowWrite]:
    if not event.asset:  # journaled before v6: no rows (the native API has it all)
        return []
    out = _placed(event, event.order_id, event.account_id or "", event.side)
    values = (event.stop_loss, event.take_profit, event.trailing_stop)
    for kind, value in enumerate(values, 1):
        if value is None:
            cancelled = StopRecord(event.order_id, kind, "", "", "", "", None, None, None, "",
                                   None, event.ts, event.ts)  # fmt: skip
            out.append(RowWrite("stop_cancel", cancelled))
    return out


def _placed(
    event: StopsModified | PositionIncreased, position_id: str, account_id: str, side: str
) -> list[RowWrite]:
    """A row for each stop the event leaves set: a new one for a stop placed, the same one
    (its trigger, when changed in place) for a stop kept."""
    stops = (
        (event.stop_loss, event.stop_loss_id, event.stop_loss_client),
        (event.take_profit, event.take_profit_id, event.take_profit_client),
        (event.trailing_stop, event.trailing_stop_id, event.trailing_stop_client),
    )
    rows = [StopRecord(position_id, kind, stop_id or "", account_id, event.asset, side, client,
                       value, None, NEW, None, event.ts, event.ts)
            for kind, (value, stop_id, client) in enumerate(stops, 1)
            if value is not None]  # fmt: skip
    return [RowWrite("stop", row) for row in rows]
