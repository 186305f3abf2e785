"""The engine: ``handle(command)`` decides, ``apply(event)`` mutates, ``on_tick`` triggers.

Pure and deterministic: no I/O, no clock (time arrives in commands and ticks), no random
(ids come from counters in the state). Replay is a fold of ``apply`` over the journal.

Order of work on one tick (SPEC 12): (a) triggers of open positions, (b) pending orders the
tick reaches, in order-id order, (c) triggers of the positions (b) opened or changed, then
the trailing marks the tick moves (one MarksMoved). A ClockTick expires pending orders and
charges funding, at most ``budget`` effects per command.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from velox.engine import rules
from velox.engine.apply import Ledger
from velox.engine.closes import Ids, close_at_quote
from velox.engine.commands import ClockTick, Command, PriceTick
from velox.engine.errors import Refusal
from velox.engine.events import BY_CLOSE, BY_EXPIRY, EXPIRED, Event, MarksMoved, PositionClosed
from velox.engine.formulas import quote
from velox.engine.funding_walk import FundingWalk, acted_on
from velox.engine.orders import cancelled, ended, fill_reached
from velox.engine.settings import EngineSettings
from velox.engine.snapshot import StateExport
from velox.engine.state import (
    ACCOUNT_FIELDS,
    PENDING_FIELDS,
    POSITION_FIELDS,
    Account,
    Pending,
    Position,
    Quote,
)
from velox.engine.triggers import trigger_reason
from velox.frozen import frozen
from velox.money import Money, Price

Decided = list[Event] | Refusal | str  # events, a refusal, or an existing order's id


@frozen
class Outcome:
    """The result of a command: events on success, or a refusal and no events.

    ``existing``: an OpenPosition whose ``client_order_id`` the account already used
    created nothing and names that order (the shell answers it with 200).
    ``more``: a ClockTick left work for its ``ts`` (send another one at once).
    """

    events: tuple[Event, ...] = ()
    refusal: Refusal | None = None
    existing: str | None = None
    more: bool = False

    @property
    def ok(self) -> bool:
        return self.refusal is None


class Engine(Ledger):
    """A State plus its indexes and ``apply`` (apply.py), deciding commands and ticks."""

    def __init__(self, settings: EngineSettings | None = None) -> None:
        super().__init__(settings)
        self.funding = FundingWalk()

    # -- deciding ------------------------------------------------------------------------
    def handle(self, command: Command) -> Outcome:
        """Validate ``command`` against the state; on success apply and return its events."""
        if isinstance(command, ClockTick):
            return self._clock(command)
        events: list[Event] = []
        result = self._owed_first(lambda: rules.decide(self, command), command.ts, events)
        if isinstance(result, Refusal):
            return Outcome(events=tuple(events), refusal=result)
        if isinstance(result, str):
            return Outcome(events=tuple(events), existing=result)
        self._emit(events, result)
        return Outcome(events=tuple(events))

    def _owed_first(self, decide: Callable[[], Decided], ts: int, events: list[Event]) -> Decided:
        """``decide()``, after charging the funding that the positions it acts on owe for a
        passed boundary (then decided again, on their new margin): SPEC 12's "open at that
        instant" holds even when the walk has not reached them yet. A refusal charges
        nothing: its decision names no position."""
        result = decide()
        if isinstance(result, list) and self.funding.owing(self, ts):
            acted = [self.positions[i] for i in acted_on(result) if i in self.positions]
            if self.funding.settle(self, acted, ts, events, self._emit):
                result = decide()
        return result

    def _emit(self, events: list[Event], new: list[Event]) -> None:
        closed: list[PositionClosed] = []
        for event in new:
            self.apply(event)
            events.append(event)
            if isinstance(event, PositionClosed):
                closed.append(event)
        for event in closed:
            self._expire_reduce_only(event.account_id, event.asset, event.ts, events)

    def _expire_reduce_only(
        self, account_id: str | None, asset: str, ts: int, events: list[Event]
    ) -> None:
        """A position closed: its account's reduce-only orders on the asset expire with it, as
        on Binance. Left resting, one would close the next position on the asset (or, after
        a flip, add to it). Any left now are for the position gone: one on the side of the
        position it reduced is refused when placed."""
        account = self.accounts.get(account_id) if account_id is not None else None
        if account is None:
            return
        for order_id in list(account.pending_orders):
            order = self.pending.get(order_id)
            if order is not None and order.reduce_only and order.asset == asset:
                self._emit(events, ended(self, order, cancelled(order, EXPIRED, BY_CLOSE, ts), ts))

    def _fire(self, asset: str, q: Quote, ts: int, events: list[Event]) -> None:
        taker = self.settings.taker_fee
        for pos in self.index.fired(asset, q.bid, q.ask):
            owed = self.funding.settle(self, (pos,), ts, events, self._emit)
            reason = trigger_reason(pos, q.bid, q.ask)
            if reason is None and owed:
                continue  # the funding it received moved its liquidation away (re-indexed)
            assert reason is not None, "index and rules disagree"
            self._emit(events, [close_at_quote(pos, reason, q, ts, Ids(self), taker)])

    def on_tick(self, tick: PriceTick) -> list[Event]:
        """Quote the tick, then (a) triggers, (b) pending orders, (c) triggers, marks.

        A price whose bid is not above 0 (0, or 1 unit at the default spread) is refused
        before anything changes: no fill can be made at it (a SHORT would sell for
        nothing, and sizing by margin divides by the price), and a tick a feed sends must
        never make the batch it arrives in raise."""
        if tick.asset not in self.settings.assets:
            return []
        last = self.quotes.get(tick.asset)
        if last is not None and tick.ts < last.ts:
            return []  # out of order: an older price must not overwrite a newer one
        ref = Price(tick.price)
        bid, ask = quote(ref, self.settings.spread)
        if bid <= 0:
            return []  # untradable: the last quote stays (and goes stale, SPEC 2)
        self.funding.ticked(self, last, tick.asset, tick.ts)
        q = self.quotes[tick.asset] = Quote(ref, bid, ask, tick.ts)
        events: list[Event] = []
        self._fire(tick.asset, q, tick.ts, events)
        reached = self.orders_index.reached(tick.asset, bid, ask)
        for order in reached:
            if self.pending.get(order.order_id) is not order:
                continue  # ended by an earlier OCO leg
            if order.expires_at is not None and order.expires_at <= tick.ts:
                # past its expiry: EXPIRED even if the ClockTick has not come round yet
                expired = cancelled(order, EXPIRED, BY_EXPIRY, tick.ts)
                self._emit(events, ended(self, order, expired, tick.ts))
                continue
            self._fill(order, q, tick.ts, events)
        if reached:
            self._fire(tick.asset, q, tick.ts, events)
        if self.index.marks_move(tick.asset, bid, ask):
            self._emit(events, [MarksMoved(tick.asset, bid, ask, tick.ts)])
        return events

    def _fill(self, order: Pending, q: Quote, ts: int, events: list[Event]) -> None:
        filled = self._owed_first(partial(fill_reached, self, order, q, ts), ts, events)
        assert isinstance(filled, list), "a refused fill ends the order REJECTED: events"
        self._emit(events, filled)

    # -- time ------------------------------------------------------------------------------
    def _clock(self, cmd: ClockTick) -> Outcome:
        events: list[Event] = []
        budget = max(1, cmd.budget)
        for order in self.orders_index.expired(cmd.ts, budget):
            if self.pending.get(order.order_id) is order:
                self._emit(
                    events, ended(self, order, cancelled(order, EXPIRED, BY_EXPIRY, cmd.ts), cmd.ts)
                )
                budget -= 1
        budget = self.funding.step(self, cmd.ts, budget, events, self._emit)
        more = budget <= 0 and (
            self.orders_index.has_expired(cmd.ts)
            or self.funding.due(self, cmd.ts) is not None
            or bool(self.funding.laggards)
        )
        return Outcome(events=tuple(events), more=more)

    def insert_position(self, pos: Position) -> None:
        super().insert_position(pos)
        self.funding.joined(pos)

    # -- snapshots -----------------------------------------------------------------------
    def export(self) -> dict[str, Any]:
        """The whole durable state as plain data (quotes are not durable: they re-arrive)."""
        whole = StateExport(self)
        whole.step(
            len(self.positions)
            + len(self.account_list)
            + len(self.pending)
            + len(self.client_id_list)
        )
        return whole.result()

    def begin_export(self) -> StateExport:
        """An export of the state as it is now, to be taken in steps while the engine runs."""
        self.exporting = StateExport(self)
        return self.exporting

    def end_export(self) -> None:
        self.exporting = None

    @classmethod
    def restore(cls, data: dict[str, Any], settings: EngineSettings | None = None) -> Engine:
        engine = cls(settings)
        engine.house = Money(int(data["house"]))
        engine.deposits = Money(int(data["deposits"]))
        engine.next_order_id = int(data["next_order_id"])
        engine.next_fill_id = int(data.get("next_fill_id", 1))
        engine.funded_boundary = int(data.get("funded_boundary", 0))
        recorded = data.get("funding_interval_on_record")  # absent before FundingIntervalSet
        engine.funding_interval_on_record = None if recorded is None else int(recorded)
        engine.funding_resumed_at = int(data.get("funding_resumed_at", 0))
        for asset, (boundary, ref) in data.get("boundary_refs", {}).items():
            engine.boundary_refs[asset] = (int(boundary), Price(int(ref)))
        legacy = data.get("account_fields") in (None, ["user_id", "balance"])
        for row in data["accounts"]:
            if legacy:  # written before accounts had ids: one account per user
                user_id, balance = (
                    (row["user_id"], row["balance"]) if isinstance(row, dict) else row
                )
                account = Account(str(engine.next_account_id), user_id, balance=balance)
            else:
                account = Account(*_padded(row, data["account_fields"], ACCOUNT_FIELDS))
            engine.add_account(account)
        engine.next_account_id = max(engine.next_account_id, int(data.get("next_account_id", 1)))
        for row in data["positions"]:
            pos = Position(*_padded(row, data["position_fields"], POSITION_FIELDS))
            if pos.account_id is None:
                first = engine.account_of(pos.user_id, None)
                assert first is not None, "a position without an account"
                pos.account_id = first.account_id
            engine.insert_position(pos)
        for row in data.get("pending", ()):
            engine.insert_order(Pending(*_padded(row, data["pending_fields"], PENDING_FIELDS)))
        if "client_ids" in data:  # the bindings as they were, in their order: inserting
            # the positions and orders above bound their own ids, which a newer order of
            # Binance's API may have taken since
            engine.client_ids.clear()
            engine.client_id_list.clear()
            for account_id, client_id, order_id in data["client_ids"]:
                engine.remember_client_id(account_id, client_id, order_id)
        return engine


def _padded(row: list[Any], written: list[str], fields: tuple[str, ...]) -> list[Any]:
    """A row written by this or an older version (which wrote a prefix of the fields)."""
    if list(written) != list(fields[: len(written)]):
        raise ValueError("snapshot written by an incompatible version of Velox")
    return list(row)  # missing trailing fields take the dataclass defaults
