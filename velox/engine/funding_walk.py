"""Where funding boundaries are charged (SPEC 12): in steps by the clock, and at once for a
position something is about to act on.

A boundary over 100k positions is walked in steps (ClockTick's budget), so the walk of a
boundary can end seconds or minutes after its instant. A position open at that instant owes
the boundary whatever happens to it meanwhile: before a close, a reduce, a scale-in, a margin
change or a trigger acts on a position that still owes a boundary that has passed, that
boundary is charged to it first (``settle``), on the size and margin it had. The walk then
finds it charged (``funded_at``) and passes over it.

The price of every charge of a boundary is the quote in effect at its instant (the last tick
before it, kept by ``ticked`` when the first tick after it arrives), so a walk that lasts
minutes charges everyone alike. A quote stale at the instant, or one this process did not see
(a restart since), gives way to the first fresh price (SPEC 12).

Each boundary is charged exactly once, also across restarts: a position remembers the last
boundary charged to it (``funded_at``, durable), and the state the newest boundary done
(``funded_boundary``, set by FundingCompleted).

An asset with no fresh price holds up only its own positions: the walk completes the
boundary for everyone else and goes on to the next, and those positions (``laggards``) pay
each boundary they owe, in order, at their asset's first fresh price (or before anything acts
on them). A restart finds them again: open positions that owe a boundary already done.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from velox.engine import funding
from velox.engine.events import (
    Event,
    FundingCompleted,
    MarginAdded,
    PositionClosed,
    PositionIncreased,
    PositionPartiallyClosed,
)
from velox.engine.formulas import quote
from velox.engine.state import Position, Quote, State

Emit = Callable[[list[Event], list[Event]], None]


def acted_on(events: Iterable[Event]) -> list[str]:
    """The positions a decision's events change in size or margin (or close)."""
    ids: list[str] = []
    for event in events:
        if isinstance(event, PositionClosed | PositionPartiallyClosed | MarginAdded):
            ids.append(event.order_id)
        elif isinstance(event, PositionIncreased):
            ids.append(event.position_id)
    return ids


class FundingWalk:
    """The boundary being walked (not durable: rebuilt from ``funded_at`` on restart)."""

    def __init__(self) -> None:
        self.boundary = 0  # the boundary in progress (0: none)
        self.todo: list[Position] = []
        self.next = 0
        self.deferred: list[Position] = []
        self.charged = False  # someone was charged for ``boundary``
        self.seen = 0  # the newest boundary known done that FundingCompleted did not record
        self.at_boundary: dict[str, tuple[int, Quote]] = {}  # asset -> (boundary, its quote)
        self.laggards: dict[str, Position] = {}  # owe boundaries done for everyone else
        self.scanned = False  # laggards found again after a restart

    def ticked(self, state: State, last: Quote | None, asset: str, ts: int) -> None:
        """A tick at ``ts`` replaces ``last``: if a boundary lies between them, ``last`` was
        the quote in effect at its instant (when fresh there)."""
        interval = state.settings.funding_interval_ms
        if last is None or interval <= 0:
            return
        boundary = ts // interval * interval
        if last.ts <= boundary < ts and boundary - last.ts <= state.settings.max_price_age_ms:
            self.at_boundary[asset] = (boundary, last)

    def quote(self, state: State, asset: str, boundary: int, now: int) -> Quote | None:
        """The price ``boundary`` is charged at on ``asset``: the quote in effect at its
        instant; else the ref of its first charge (durable, so a walk resumed after a
        restart goes on at it); else the first fresh price."""
        kept = self.at_boundary.get(asset)
        if kept is not None and kept[0] == boundary:
            return kept[1]
        charged = state.boundary_refs.get(asset)
        if charged is not None and charged[0] == boundary:
            ref = charged[1]
            bid, ask = quote(ref, state.settings.spread)
            return Quote(ref, bid, ask, boundary)
        return state.fresh_quote(asset, now)

    def done(self, state: State, now: int) -> int:
        """The newest boundary done (those passed while funding was off count as done).
        With none on record yet, it is the one before the
        oldest boundary an open position still owes (a platform that was down over its
        first boundaries charges them), or the current one when nobody owes an older one."""
        done = max(state.funded_boundary, self.seen, funding.resumed_boundary(state))
        interval = state.settings.funding_interval_ms
        if done == 0 and interval > 0 and state.positions:
            start = funding.first_owed(state.positions.values(), interval)
            current = now // interval * interval
            done = self.seen = start - interval if start <= current else current
        return done

    def due(self, state: State, now: int) -> int | None:
        return funding.due_boundary(state, now, self.done(state, now))

    def owing(self, state: State, now: int) -> bool:
        """Whether some position may owe a passed boundary (a decision settles first)."""
        return bool(self.laggards) or self.due(state, now) is not None

    def joined(self, pos: Position) -> None:
        """A position opened at the instant of a boundary whose walk has begun (a ClockTick
        at that millisecond ran out of budget) owes that boundary too: it joins the walk,
        whose list was taken when the walk began."""
        if self.boundary and funding.owes(pos, self.boundary):
            self.todo.append(pos)

    def settle(
        self, state: State, positions: Iterable[Position], now: int, events: list[Event], emit: Emit
    ) -> bool:
        """Charge ``positions`` every passed boundary they still owe, before something acts
        on them; whether anything was charged. A stale price leaves it to the walk."""
        if not self.owing(state, now):
            return False
        charged = False
        for pos in positions:
            charged |= self._charge_owed(state, pos, now, now, events, emit) > 0
        return charged

    def _charge_owed(
        self, state: State, pos: Position, upto: int, now: int, events: list[Event], emit: Emit
    ) -> int:
        """Charge ``pos`` each boundary it owes up to ``upto``, oldest first, until one has
        no price yet; how many were charged."""
        count = 0
        for boundary in funding.owed_boundaries(state, pos, upto):
            q = self.quote(state, pos.asset, boundary, now)
            if q is None:
                break
            emit(events, [funding.charge(state, pos, boundary, q, now)])
            self.charged |= boundary == self.boundary
            count += 1
        return count

    def _catch_up(
        self, state: State, now: int, budget: int, events: list[Event], emit: Emit
    ) -> int:
        """Charge the laggards whose asset has a price again; returns the budget left."""
        if not self.scanned:  # after a restart: those that owe a boundary already done
            self.scanned = True
            done = self.done(state, now)
            self.laggards = {p.order_id: p for p in state.positions.values()
                             if funding.owed_boundaries(state, p, done)}  # fmt: skip
        if not self.laggards:
            return budget
        done = self.done(state, now)
        priced: dict[str, bool] = {}  # asset -> has a fresh price now
        for order_id, pos in list(self.laggards.items()):
            if budget <= 0:
                break
            if state.positions.get(order_id) is not pos:
                del self.laggards[order_id]  # closed (it paid first)
                continue
            asset = pos.asset
            if asset not in priced:
                priced[asset] = state.fresh_quote(asset, now) is not None
            if not priced[asset]:
                continue  # still quiet: waits for its first fresh price
            budget -= self._charge_owed(state, pos, done, now, events, emit)
            if not funding.owed_boundaries(state, pos, done):
                del self.laggards[order_id]
        return budget

    def step(self, state: State, now: int, budget: int, events: list[Event], emit: Emit) -> int:
        """Charge the laggards that can pay, then the due boundary, in steps; returns the
        budget left."""
        budget = self._catch_up(state, now, budget, events, emit)
        while budget > 0:
            boundary = self.due(state, now)
            if boundary is None:
                return budget
            if self.boundary != boundary:
                self.boundary = boundary
                self.todo = list(state.positions.values())
                self.next = 0
                self.deferred = []
                self.charged = False
            todo = self.todo
            positions = state.positions
            quotes: dict[str, Quote | None] = {}
            while budget > 0 and self.next < len(todo):
                pos = todo[self.next]
                self.next += 1
                if positions.get(pos.order_id) is not pos:
                    continue
                if not funding.owes(pos, boundary):
                    self.charged |= pos.funded_at == boundary  # before a restart, or settled
                    continue
                asset = pos.asset
                q = (
                    quotes[asset]
                    if asset in quotes
                    else quotes.setdefault(asset, self.quote(state, asset, boundary, now))
                )
                if q is None:  # charged at the first fresh price
                    self.deferred.append(pos)
                    continue
                if funding.owed_boundaries(state, pos, boundary).start < boundary:
                    # a laggard: the older boundaries it owes come first, in order
                    budget -= self._charge_owed(state, pos, boundary, now, events, emit)
                    if funding.owes(pos, boundary):  # an older one has no price yet: it
                        self.laggards[pos.order_id] = pos  # waits for its asset's price
                    continue
                emit(events, [funding.charge(state, pos, boundary, q, now)])
                self.charged = True
                budget -= 1
            if self.next < len(todo):
                return budget
            if self.deferred:
                if any(self.quote(state, p.asset, boundary, now) for p in self.deferred):
                    self.todo, self.next, self.deferred = self.deferred, 0, []
                    continue  # a price came meanwhile: charge those that can pay
                # the rest pay at their asset's first fresh price; the others go on
                self.laggards.update((p.order_id, p) for p in self.deferred)
                self.deferred = []
            if self.charged:
                emit(events, [FundingCompleted(boundary, now)])
            else:  # nobody owed it: nothing to journal (a restart just looks again)
                self.seen = boundary
            self.boundary = 0
        return budget
