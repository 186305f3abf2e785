"""``apply``: the only mutation of the engine's state, a plain fold over events.

``Ledger`` is a State plus the derived indexes apply keeps current (positions by trigger
price, pending orders by price and expiry) and the copy-on-write hooks of a snapshot export
in progress. No decisions here: every amount arrives in the event, so replaying a journal
reproduces the live state exactly. Money moves in pairs, so after every event
``free + locked + pending + house == deposits``.
"""

from __future__ import annotations

from itertools import count

from velox.engine.commands import NETTING
from velox.engine.events import (
    AccountCreated,
    AccountRenamed,
    Deposited,
    Event,
    FundingCharged,
    FundingCompleted,
    FundingIntervalSet,
    MarginAdded,
    MarksMoved,
    OrderCancelled,
    OrderModified,
    OrderPlaced,
    PositionClosed,
    PositionIncreased,
    PositionOpened,
    PositionPartiallyClosed,
    StopsModified,
    TrailingStopMoved,
    close_paid,
)
from velox.engine.pending_index import PendingIndex
from velox.engine.settings import EngineSettings
from velox.engine.snapshot import StateExport
from velox.engine.state import (
    STOP_ID_FIELDS,
    STOP_NAMES,
    Account,
    Pending,
    Position,
    State,
    pending_placed_by,
    position_opened_by,
)
from velox.engine.triggers import TriggerIndex
from velox.money import Money, Qty


def _add(a: Money, b: int) -> Money:
    return Money(a + b)


class Ledger(State):
    def __init__(self, settings: EngineSettings | None = None) -> None:
        super().__init__(settings)
        self.index = TriggerIndex()
        self.orders_index = PendingIndex()
        self.exporting: StateExport | None = None
        self._seq = count()  # insertion order of positions / orders (for exports)

    # -- lookups with copy-on-write for an export in progress ------------------------------
    def _changing(self, order_id: str) -> Position:
        pos = self.positions[order_id]
        if self.exporting is not None:
            self.exporting.before_change(pos)
        return pos

    def _order_changing(self, order_id: str) -> Pending:
        order = self.pending[order_id]
        if self.exporting is not None:
            self.exporting.before_order_change(order)
        return order

    def _account(self, user_id: str, account_id: str | None) -> Account:
        """The event's account (None: the user's first, as v1 journals have no ids)."""
        account = (
            self.account_of(user_id, None) if account_id is None else self.accounts[account_id]
        )
        if account is None:  # a v1 journal: the user's first Deposited creates the account
            account = Account(str(self.next_account_id), user_id)
            self.add_account(account)
        if self.exporting is not None:
            self.exporting.before_account_change(account)
        return account

    # -- inserting and removing ------------------------------------------------------------
    def insert_position(self, pos: Position) -> None:
        pos.seq = next(self._seq)
        self.positions[pos.order_id] = pos
        account = self.accounts[pos.account_id or ""]
        account.open_orders[pos.order_id] = None
        account.used_margin = _add(account.used_margin, pos.margin)
        if account.mode == NETTING:
            account.netted[pos.asset] = pos.order_id
        if pos.client_order_id is not None:
            self.remember_client_id(account.account_id, pos.client_order_id, pos.order_id)
        self.index.add(pos)

    def insert_order(self, order: Pending) -> None:
        order.seq = next(self._seq)
        self.pending[order.order_id] = order
        account = self.accounts[order.account_id]
        account.pending_orders[order.order_id] = None
        account.pending_margin = _add(account.pending_margin, order.reserved)
        if order.client_order_id is not None:
            self.remember_client_id(account.account_id, order.client_order_id, order.order_id)
        if order.oco_group_id is not None:
            self.oco_groups.setdefault(order.oco_group_id, []).append(order.order_id)
        self.orders_index.add(order)

    def _end_order(self, order_id: str | None, account: Account) -> None:
        """A pending order left (filled, cancelled): its reservation back to free cash."""
        if order_id is None or order_id not in self.pending:
            return
        order = self.pending.pop(order_id)
        del account.pending_orders[order_id]
        account.pending_margin = _add(account.pending_margin, -order.reserved)
        account.balance = _add(account.balance, order.reserved)
        self.orders_index.remove(order)
        if order.oco_group_id is not None:
            legs = self.oco_groups.get(order.oco_group_id, [])
            if order_id in legs:
                legs.remove(order_id)
            if not legs:
                self.oco_groups.pop(order.oco_group_id, None)

    def _bump(self, order_id: str | None = None, fill_id: str | None = None) -> None:
        if order_id is not None:
            self.next_order_id = max(self.next_order_id, int(order_id) + 1)
        if fill_id is not None:
            self.next_fill_id = max(self.next_fill_id, int(fill_id) + 1)

    def _stop_ids(self, pos: Position, event: StopsModified | PositionIncreased) -> None:
        """The position's stops' ids as the event gives them (v6; None in older events,
        whose positions had none); a stop's id is an order id, never given again."""
        for name in STOP_ID_FIELDS:
            setattr(pos, name, getattr(event, name))
        for name in STOP_NAMES:
            self._bump(getattr(event, f"{name}_id"))

    def _pay_fee(self, account: Account, fee: int) -> None:
        account.fees = _add(account.fees, fee)
        self.house = _add(self.house, fee)

    def _charge_close_fee(
        self, account: Account, event: PositionClosed | PositionPartiallyClosed
    ) -> None:
        """The close fee as charged, and the part of it a capped settlement did not pay (the
        house's share is ``margin - settlement``, fee included)."""
        paid, _ = close_paid(event)
        account.fees = _add(account.fees, event.close_fee)
        account.fees_waived = _add(account.fees_waived, event.close_fee - paid)

    # -- the fold --------------------------------------------------------------------------
    def apply(self, event: Event) -> None:
        """The only mutation of state. Must stay a plain fold: no decisions here.

        The events that come in bulk (marks, funding, fills) are tested first.
        """
        if isinstance(event, MarksMoved):
            for mark, moving in self.index.move_marks(event.asset, event.bid, event.ask):
                if self.exporting is not None:
                    for pos in moving:
                        self.exporting.before_change(pos)
                for pos in moving:
                    pos.trailing_mark = mark
        elif isinstance(event, FundingCharged):
            pos = self._changing(event.order_id)
            account = self._account(pos.user_id, pos.account_id)
            pos.margin = event.margin
            pos.liquidation_price = event.liquidation_price
            pos.funding = _add(pos.funding, event.amount)
            pos.funded_at = event.boundary
            charged = self.boundary_refs.get(event.asset)
            if charged is None or charged[0] < event.boundary:
                self.boundary_refs[event.asset] = (event.boundary, event.ref)
            account.funding = _add(account.funding, event.amount)
            account.used_margin = _add(account.used_margin, event.amount)
            self.house = _add(self.house, -event.amount)
            self.index.changed(pos)
        elif isinstance(event, PositionOpened):
            self._opened(event)
        elif isinstance(event, PositionClosed):
            self._closed(event)
        elif isinstance(event, PositionPartiallyClosed):
            self._part_closed(event)
        elif isinstance(event, PositionIncreased):
            self._increased(event)
        elif isinstance(event, OrderPlaced):
            self._placed(event)
        elif isinstance(event, OrderCancelled):
            account = self._account(event.user_id, event.account_id)
            self._end_order(event.order_id, account)
        elif isinstance(event, OrderModified):
            self._order_modified(event)
        elif isinstance(event, FundingCompleted):
            self.funded_boundary = max(self.funded_boundary, event.boundary)
        elif isinstance(event, FundingIntervalSet):
            if event.interval_ms > 0 and self.funding_interval_on_record == 0:
                self.funding_resumed_at = event.ts  # the time off is owed by nobody
            self.funding_interval_on_record = event.interval_ms
        elif isinstance(event, TrailingStopMoved):
            pos = self._changing(event.order_id)
            pos.trailing_mark = event.mark
            self.index.changed(pos)
        elif isinstance(event, MarginAdded):
            pos = self._changing(event.order_id)
            account = self._account(pos.user_id, pos.account_id)
            account.balance = _add(account.balance, -event.amount)
            account.used_margin = _add(account.used_margin, event.amount)
            pos.margin = _add(pos.margin, event.amount)
            pos.liquidation_price = event.liquidation_price
            self.index.changed(pos)
        elif isinstance(event, StopsModified):
            pos = self._changing(event.order_id)
            pos.stop_loss = event.stop_loss
            pos.take_profit = event.take_profit
            pos.trailing_stop = event.trailing_stop
            pos.trailing_mark = event.trailing_mark
            self._stop_ids(pos, event)
            self.index.changed(pos)
        elif isinstance(event, Deposited):
            account = self._account(event.user_id, event.account_id)
            account.balance = _add(account.balance, event.amount)
            self.deposits = _add(self.deposits, event.amount)
            if event.kind == "RESET":
                account.fees = account.funding = account.fees_waived = Money(0)
        elif isinstance(event, AccountCreated):
            self.add_account(
                Account(event.account_id, event.user_id, event.name, event.mode, event.ts)
            )
        elif isinstance(event, AccountRenamed):
            self._account(event.user_id, event.account_id).name = event.name

    def _opened(self, event: PositionOpened) -> None:
        account = self._account(event.user_id, event.account_id)
        self._end_order(event.order_id, account)  # a pending order that filled
        pos = position_opened_by(event)
        pos.account_id = account.account_id
        account.balance = _add(account.balance, -(event.margin + event.fee))
        self._pay_fee(account, event.fee)
        self.insert_position(pos)
        self._bump(event.order_id, event.fill_id)

    def _closed(self, event: PositionClosed) -> None:
        pos = self.positions.pop(event.order_id)
        account = self._account(pos.user_id, pos.account_id)
        del account.open_orders[pos.order_id]
        if account.netted.get(pos.asset) == pos.order_id:
            del account.netted[pos.asset]
        account.used_margin = _add(account.used_margin, -pos.margin)
        account.balance = _add(account.balance, event.settlement)
        self._charge_close_fee(account, event)
        self.house = _add(self.house, pos.margin - event.settlement)
        self.index.remove(pos)
        self._end_order(event.by_order_id, account)
        if event.by_client_order_id is not None:
            self.remember_client_id(account.account_id, event.by_client_order_id, pos.order_id)
        self._bump(event.by_order_id, event.fill_id)

    def _part_closed(self, event: PositionPartiallyClosed) -> None:
        pos = self._changing(event.order_id)
        account = self._account(pos.user_id, pos.account_id)
        pos.qty = Qty(pos.qty - event.part_qty)
        pos.margin = _add(pos.margin, -event.part_margin)
        pos.liquidation_price = event.liquidation_price
        account.used_margin = _add(account.used_margin, -event.part_margin)
        account.balance = _add(account.balance, event.settlement)
        self._charge_close_fee(account, event)
        self.house = _add(self.house, event.part_margin - event.settlement)
        self.index.changed(pos)
        self._end_order(event.by_order_id, account)
        if event.by_client_order_id is not None:
            self.remember_client_id(account.account_id, event.by_client_order_id, pos.order_id)
        self._bump(event.part_order_id, event.fill_id)

    def _increased(self, event: PositionIncreased) -> None:
        account = self._account(event.user_id, event.account_id)
        self._end_order(event.order_id, account)
        pos = self._changing(event.position_id)
        account.balance = _add(account.balance, -(event.margin + event.fee))
        account.used_margin = _add(account.used_margin, event.margin)
        self._pay_fee(account, event.fee)
        pos.qty = event.new_qty
        pos.margin = event.new_margin
        pos.open_price = event.new_open_price
        pos.liquidation_price = event.liquidation_price
        pos.stop_loss = event.stop_loss
        pos.take_profit = event.take_profit
        pos.trailing_stop = event.trailing_stop
        pos.trailing_mark = event.trailing_mark
        self._stop_ids(pos, event)
        pos.fee = _add(pos.fee, event.fee)
        if event.client_order_id is not None:
            # a resting order's id keeps naming it; a market order's names the position, as
            # its reply did, so a retry answers the same (SPEC 12, as for a reduce)
            key = (account.account_id, event.client_order_id)
            named = event.order_id if self.client_ids.get(key) == event.order_id else pos.order_id
            self.remember_client_id(account.account_id, event.client_order_id, named)
        self.index.changed(pos)
        self._bump(event.order_id, event.fill_id)

    def _placed(self, event: OrderPlaced) -> None:
        account = self._account(event.user_id, event.account_id)
        account.balance = _add(account.balance, -event.reserved)
        self.insert_order(pending_placed_by(event))
        self._bump(event.order_id)

    def _order_modified(self, event: OrderModified) -> None:
        order = self._order_changing(event.order_id)
        account = self._account(event.user_id, event.account_id)
        delta = event.reserved - order.reserved
        account.balance = _add(account.balance, -delta)
        account.pending_margin = _add(account.pending_margin, delta)
        had_expiry = order.expires_at is not None
        order.price = event.price
        order.stop_loss = event.stop_loss
        order.take_profit = event.take_profit
        order.trailing_stop = event.trailing_stop
        order.expires_at = event.expires_at
        order.reserved = event.reserved
        self.orders_index.changed(order, had_expiry)
