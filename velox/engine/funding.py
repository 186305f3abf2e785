"""Funding (SPEC 12): at every boundary (``funding_interval_ms``, aligned to the epoch) each
position open at that instant exchanges ``ref * qty * rate`` with the house, moving its
isolated margin (paid: at most all of it) and its liquidation price.

Each boundary is charged exactly once, also across restarts: a position remembers the last
boundary charged to it (``funded_at``, durable), and the state the newest boundary fully
done (``funded_boundary``, set by FundingCompleted). Where and when a boundary is charged
is funding_walk.py's.
"""

from __future__ import annotations

from collections.abc import Iterable

from velox.engine.commands import RecordFundingInterval
from velox.engine.events import FundingCharged, FundingIntervalSet
from velox.engine.formulas import funding_amount, liquidation_price
from velox.engine.state import Position, Quote, State
from velox.money import Money


def record_interval(state: State, cmd: RecordFundingInterval) -> list[FundingIntervalSet]:
    """Journal the configured interval when funding goes off (0) or comes back on after a
    run with it off. Nothing otherwise: a first start with funding on, or a new non-zero
    interval, needs no record (the walk goes on, catching up what a downtime missed)."""
    interval = state.settings.funding_interval_ms
    recorded = state.funding_interval_on_record
    off, was_off = interval <= 0, recorded is not None and recorded <= 0
    if off == was_off or (not off and recorded is None):
        return []
    return [FundingIntervalSet(max(0, interval), cmd.ts)]


def resumed_boundary(state: State) -> int:
    """The last boundary at or before funding came back on (0: it never went off): the
    boundaries up to it passed while funding was off and are owed by nobody."""
    interval = state.settings.funding_interval_ms
    resumed = state.funding_resumed_at
    if interval <= 0 or resumed <= 0:
        return 0
    return resumed // interval * interval


def due_boundary(state: State, now: int, done: int) -> int | None:
    """The next boundary to charge at ``now`` after ``done``, or None. With ``done`` 0 (no
    boundary on record and no open position: see FundingWalk.done) it is the current one;
    after ``done``, each boundary in turn, so one that was down charges every boundary it
    missed. A boundary that owed nobody anything is not journaled (the walk remembers it in
    memory), so a ClockTick every second writes nothing on an idle platform."""
    interval = state.settings.funding_interval_ms
    if interval <= 0:
        return None
    current = now // interval * interval
    if current <= 0:
        return None
    if done == 0:
        return current
    nxt = (done // interval + 1) * interval  # on the epoch grid, also after the interval
    return nxt if nxt <= current else None  # changed across a restart


def first_owed(positions: Iterable[Position], interval: int) -> int:
    """The oldest boundary any of ``positions`` still owes (see ``owes``)."""
    return min(
        max(-(-pos.opened_at // interval) * interval, pos.funded_at + interval) for pos in positions
    )


def owed_boundaries(state: State, pos: Position, upto: int) -> range:
    """The boundaries up to ``upto`` that ``pos`` owes, oldest first: from the first after
    its opening (at or after ``opened_at``) and after the last charged to it, leaving out
    those that passed while funding was off (``resumed_boundary``)."""
    interval = state.settings.funding_interval_ms
    if interval <= 0:
        return range(0)
    first = max(
        -(-pos.opened_at // interval) * interval,
        (pos.funded_at // interval + 1) * interval,
        resumed_boundary(state) + interval,
    )
    return range(first, upto + 1, interval)


def owes(pos: Position, boundary: int) -> bool:
    """Open at the boundary's instant and not yet charged for it."""
    return pos.opened_at <= boundary and pos.funded_at < boundary


def charge(state: State, pos: Position, boundary: int, q: Quote, ts: int) -> FundingCharged:
    rate = state.settings.funding_rate
    amount = funding_amount(pos.side, q.ref, pos.qty, rate)
    amount = Money(max(amount, -pos.margin))  # paid: at most all of the margin
    margin = Money(pos.margin + amount)
    return FundingCharged(
        order_id=pos.order_id,
        account_id=pos.account_id or "",
        user_id=pos.user_id,
        asset=pos.asset,
        boundary=boundary,
        ref=q.ref,
        rate=rate,
        amount=amount,
        margin=margin,
        liquidation_price=liquidation_price(
            pos.side, pos.open_price, margin, pos.qty, state.settings.mmr
        ),
        ts=ts,
    )
