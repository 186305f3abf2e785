"""The engine: ``handle(command)`` decides, ``apply(event)`` mutates, ``on_tick`` triggers.

Pure and deterministic: no I/O, no clock (time arrives in commands and ticks), no random
(order ids come from a counter in the state). Replay is a fold of ``apply`` over the journal.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from velox.engine import rules
from velox.engine.commands import (
    Command,
    PriceTick,
)
from velox.engine.errors import Refusal
from velox.engine.events import (
    Deposited,
    Event,
    MarginAdded,
    MarksMoved,
    PositionClosed,
    PositionOpened,
    PositionPartiallyClosed,
    StopsModified,
    TrailingStopMoved,
)
from velox.engine.formulas import LONG, quote
from velox.engine.settings import EngineSettings
from velox.engine.snapshot import StateExport
from velox.engine.state import (
    POSITION_FIELDS,
    Account,
    Position,
    Quote,
    State,
    position_opened_by,
)
from velox.engine.triggers import TriggerIndex, trigger_reason
from velox.money import Money, Price, Qty


@dataclass(frozen=True, slots=True)
class Outcome:
    """The result of a command: events on success, or a refusal and no events."""

    events: tuple[Event, ...] = ()
    refusal: Refusal | None = None

    @property
    def ok(self) -> bool:
        return self.refusal is None


class Engine(State):
    """A State plus the trigger index and ``apply``: the only code that mutates the state."""

    def __init__(self, settings: EngineSettings | None = None) -> None:
        super().__init__(settings)
        self.index = TriggerIndex()
        self.exporting: StateExport | None = None

    # -- deciding ------------------------------------------------------------------------
    def handle(self, command: Command) -> Outcome:
        """Validate ``command`` against the state; on success apply and return its events."""
        result = rules.decide(self, command)
        if isinstance(result, Refusal):
            return Outcome(refusal=result)
        for event in result:
            self.apply(event)
        return Outcome(events=tuple(result))

    def on_tick(self, tick: PriceTick) -> list[Event]:
        """Quote the tick; close triggered positions at its bid/ask; move trailing marks."""
        if tick.asset not in self.settings.assets or tick.price <= 0:
            return []
        last = self.quotes.get(tick.asset)
        if last is not None and tick.ts < last.ts:
            return []  # out of order: an older price must not overwrite a newer one
        ref = Price(tick.price)
        bid, ask = quote(ref, self.settings.spread)
        self.quotes[tick.asset] = Quote(ref, bid, ask, tick.ts)
        events: list[Event] = []
        for pos in self.index.fired(tick.asset, bid, ask):
            reason = trigger_reason(pos, bid, ask)
            assert reason is not None, "index and rules disagree"
            event = rules.closed_event(pos, reason, bid, ask, tick.ts)
            self.apply(event)
            events.append(event)
        if self.index.marks_move(tick.asset, bid, ask):
            moved = MarksMoved(tick.asset, bid, ask, tick.ts)
            self.apply(moved)
            events.append(moved)
        return events

    # -- mutating ------------------------------------------------------------------------
    def apply(self, event: Event) -> None:
        """The only mutation of state. Must stay a plain fold: no decisions here."""
        if isinstance(event, MarksMoved):
            for moving in self.index.marks_to_move(event.asset, event.bid, event.ask):
                pos = self._changing(moving.order_id)
                pos.trailing_mark = event.bid if pos.side == LONG else event.ask
                self.index.changed(pos)
        elif isinstance(event, TrailingStopMoved):
            pos = self._changing(event.order_id)
            pos.trailing_mark = event.mark
            self.index.changed(pos)
        elif isinstance(event, PositionOpened):
            self._apply_opened(event)
        elif isinstance(event, PositionClosed):
            pos = self.positions.pop(event.order_id)
            account = self._account_changing(pos.user_id)
            del account.open_orders[pos.order_id]
            account.used_margin = Money(account.used_margin - pos.margin)
            account.balance = Money(account.balance + event.settlement)
            self.house = Money(self.house + pos.margin - event.settlement)
            self.index.remove(pos)
        elif isinstance(event, PositionPartiallyClosed):
            pos = self._changing(event.order_id)
            account = self._account_changing(pos.user_id)
            pos.qty = Qty(pos.qty - event.part_qty)
            pos.margin = Money(pos.margin - event.part_margin)
            pos.liquidation_price = event.liquidation_price
            account.used_margin = Money(account.used_margin - event.part_margin)
            account.balance = Money(account.balance + event.settlement)
            self.house = Money(self.house + event.part_margin - event.settlement)
            self.next_order_id = max(self.next_order_id, int(event.part_order_id) + 1)
            self.index.changed(pos)
        elif isinstance(event, MarginAdded):
            pos = self._changing(event.order_id)
            account = self._account_changing(pos.user_id)
            account.balance = Money(account.balance - event.amount)
            account.used_margin = Money(account.used_margin + event.amount)
            pos.margin = Money(pos.margin + event.amount)
            pos.liquidation_price = event.liquidation_price
            self.index.changed(pos)
        elif isinstance(event, StopsModified):
            pos = self._changing(event.order_id)
            pos.stop_loss = event.stop_loss
            pos.take_profit = event.take_profit
            pos.trailing_stop = event.trailing_stop
            pos.trailing_mark = event.trailing_mark
            self.index.changed(pos)
        elif isinstance(event, Deposited):
            if event.user_id not in self.accounts:
                self.add_account(Account(event.user_id))
            account = self._account_changing(event.user_id)
            account.balance = Money(account.balance + event.amount)
            self.deposits = Money(self.deposits + event.amount)

    def _changing(self, order_id: str) -> Position:
        """The position an event is about to mutate (an open export keeps its old row)."""
        pos = self.positions[order_id]
        if self.exporting is not None:
            self.exporting.before_change(pos)
        return pos

    def _account_changing(self, user_id: str) -> Account:
        """The account an event is about to mutate (an open export keeps its old row)."""
        account = self.accounts[user_id]
        if self.exporting is not None:
            self.exporting.before_account_change(account)
        return account

    def _apply_opened(self, event: PositionOpened) -> None:
        pos = position_opened_by(event)
        account = self._account_changing(event.user_id)
        account.balance = Money(account.balance - event.margin)
        account.used_margin = Money(account.used_margin + event.margin)
        account.open_orders[pos.order_id] = None
        self.positions[pos.order_id] = pos
        self.next_order_id = max(self.next_order_id, int(event.order_id) + 1)
        self.index.add(pos)

    # -- snapshots -----------------------------------------------------------------------
    def export(self) -> dict[str, Any]:
        """The whole durable state as plain data (quotes are not durable: they re-arrive)."""
        whole = StateExport(self)
        whole.step(len(self.positions) + len(self.account_list))
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
        for row in data["accounts"]:
            if isinstance(row, dict):  # written before accounts were rows
                row = (row["user_id"], row["balance"])
            engine.add_account(Account(*row))
        if list(data["position_fields"]) != list(POSITION_FIELDS):
            raise ValueError("snapshot written by an incompatible version of Velox")
        for row in data["positions"]:
            pos = Position(*row)
            account = engine.accounts[pos.user_id]
            account.used_margin = Money(account.used_margin + pos.margin)
            account.open_orders[pos.order_id] = None
            engine.positions[pos.order_id] = pos
            engine.index.add(pos)
        return engine
