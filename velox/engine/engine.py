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
    PositionClosed,
    PositionOpened,
    PositionPartiallyClosed,
    StopsModified,
    TrailingStopMoved,
)
from velox.engine.formulas import quote
from velox.engine.settings import EngineSettings
from velox.engine.snapshot import StateExport
from velox.engine.state import (
    POSITION_FIELDS,
    Account,
    Position,
    Quote,
    position_opened_by,
)
from velox.engine.triggers import TriggerIndex, mark_moves, trigger_reason


@dataclass(frozen=True, slots=True)
class Outcome:
    """The result of a command: events on success, or a refusal and no events."""

    events: tuple[Event, ...] = ()
    refusal: Refusal | None = None

    @property
    def ok(self) -> bool:
        return self.refusal is None


class Engine:
    def __init__(self, settings: EngineSettings | None = None) -> None:
        self.settings = settings or EngineSettings()
        self.accounts: dict[str, Account] = {}
        self.positions: dict[str, Position] = {}
        self.quotes: dict[str, Quote] = {}
        self.house = 0
        self.deposits = 0
        self.next_order_id = 1
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
        bid, ask = quote(tick.price, self.settings.spread)
        self.quotes[tick.asset] = Quote(tick.price, bid, ask, tick.ts)
        events: list[Event] = []
        for pos in self.index.fired(tick.asset, bid, ask):
            reason = trigger_reason(pos, bid, ask)
            assert reason is not None, "index and rules disagree"
            event = rules.closed_event(pos, reason, bid, ask, tick.ts)
            self.apply(event)
            events.append(event)
        for pos in self.index.marks_to_move(tick.asset, bid, ask):
            mark = mark_moves(pos, bid, ask)
            if mark is not None:
                moved = TrailingStopMoved(pos.order_id, pos.user_id, mark, tick.ts)
                self.apply(moved)
                events.append(moved)
        return events

    def fresh_quote(self, asset: str, now: int) -> Quote | None:
        """The quote if it is younger than max price age at ``now``, else None (stale)."""
        q = self.quotes.get(asset)
        if q is None or now - q.ts > self.settings.max_price_age_ms:
            return None
        return q

    def allocate_order_id(self) -> str:
        return str(self.next_order_id)

    # -- mutating ------------------------------------------------------------------------
    def apply(self, event: Event) -> None:
        """The only mutation of state. Must stay a plain fold: no decisions here."""
        if isinstance(event, TrailingStopMoved):
            pos = self._changing(event.order_id)
            pos.trailing_mark = event.mark
            self.index.changed(pos)
        elif isinstance(event, PositionOpened):
            self._apply_opened(event)
        elif isinstance(event, PositionClosed):
            pos = self.positions.pop(event.order_id)
            account = self.accounts[pos.user_id]
            del account.open_orders[pos.order_id]
            account.used_margin -= pos.margin
            account.balance += event.settlement
            self.house += pos.margin - event.settlement
            self.index.remove(pos)
        elif isinstance(event, PositionPartiallyClosed):
            pos = self._changing(event.order_id)
            account = self.accounts[pos.user_id]
            pos.qty -= event.part_qty
            pos.margin -= event.part_margin
            pos.liquidation_price = event.liquidation_price
            account.used_margin -= event.part_margin
            account.balance += event.settlement
            self.house += event.part_margin - event.settlement
            self.next_order_id = max(self.next_order_id, int(event.part_order_id) + 1)
            self.index.changed(pos)
        elif isinstance(event, MarginAdded):
            pos = self._changing(event.order_id)
            account = self.accounts[pos.user_id]
            account.balance -= event.amount
            account.used_margin += event.amount
            pos.margin += event.amount
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
                self.accounts[event.user_id] = Account(event.user_id)
            self.accounts[event.user_id].balance += event.amount
            self.deposits += event.amount

    def _changing(self, order_id: str) -> Position:
        """The position an event is about to mutate (an open export keeps its old row)."""
        pos = self.positions[order_id]
        if self.exporting is not None:
            self.exporting.before_change(pos)
        return pos

    def _apply_opened(self, event: PositionOpened) -> None:
        pos = position_opened_by(event)
        account = self.accounts[event.user_id]
        account.balance -= event.margin
        account.used_margin += event.margin
        account.open_orders[pos.order_id] = None
        self.positions[pos.order_id] = pos
        self.next_order_id = max(self.next_order_id, int(event.order_id) + 1)
        self.index.add(pos)

    # -- snapshots -----------------------------------------------------------------------
    def export(self) -> dict[str, Any]:
        """The whole durable state as plain data (quotes are not durable: they re-arrive)."""
        whole = StateExport(self)
        whole.step(len(self.positions))
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
        engine.house = int(data["house"])
        engine.deposits = int(data["deposits"])
        engine.next_order_id = int(data["next_order_id"])
        for row in data["accounts"]:
            engine.accounts[row["user_id"]] = Account(row["user_id"], int(row["balance"]))
        if list(data["position_fields"]) != list(POSITION_FIELDS):
            raise ValueError("snapshot written by an incompatible version of Velox")
        for row in data["positions"]:
            pos = Position(*row)
            account = engine.accounts[pos.user_id]
            account.used_margin += pos.margin
            account.open_orders[pos.order_id] = None
            engine.positions[pos.order_id] = pos
            engine.index.add(pos)
        return engine
