"""The engine's mutable state: accounts, open positions, pending orders, the house account.

``State`` is what rules, views and snapshot exports read; ``Engine`` (engine.py) is a State
plus the price indexes and ``apply``, the only mutation. Keeping the reads here means
rules.py and snapshot.py never import engine.py (no import cycle). Closed positions and
finished orders are not kept: they leave the engine in their events (and land in the
shell's history tables), so memory grows with open positions and pending orders only.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from operator import attrgetter
from typing import NamedTuple

from velox.engine.events import OrderPlaced, PositionOpened
from velox.engine.settings import EngineSettings
from velox.money import Money, Price, Qty

ZERO = Money(0)


@dataclass(slots=True)
class Position:
    order_id: str
    user_id: str
    asset: str
    side: str
    leverage: int
    margin: Money
    qty: Qty
    open_price: Price
    liquidation_price: Price
    stop_loss: Price | None
    take_profit: Price | None
    trailing_stop: Price | None
    trailing_mark: Price | None  # highest bid (LONG) / lowest ask (SHORT) since open
    opened_at: int
    # -- v2 (snapshot rows written before them are padded with these defaults) --
    account_id: str | None = None
    fee: Money = ZERO  # every fee this position paid so far
    funding: Money = ZERO  # net funding (+ received, - paid)
    funded_at: int = 0  # the last funding boundary charged to it
    client_order_id: str | None = None
    # the terms of the order that opened it, shown wherever the position is (SPEC 12)
    order_type: str = "MARKET"
    price: Price | None = None  # a LIMIT / STOP order's price
    oco_group_id: str | None = None
    created_at: int | None = None  # when that order was placed (None: at opened_at)
    # -- v6: each stop's own order id and client id, given when it is placed (a stop set
    # with the position, or before v6, has none: the Binance API derives one from the
    # position's id, binance/orders.py); a new one for every placement, never reused --
    stop_loss_id: str | None = None
    take_profit_id: str | None = None
    trailing_stop_id: str | None = None
    stop_loss_client: str | None = None
    take_profit_client: str | None = None
    trailing_stop_client: str | None = None
    version: int = 0  # bumped on every change; stale trigger-index entries carry old ones
    seq: int = 0  # insertion order in this process (snapshot exports), not durable


# a position's stops, and their ids (v6) as Position, StopsModified and PositionIncreased
# name them
STOP_NAMES = ("stop_loss", "take_profit", "trailing_stop")
STOP_ID_FIELDS = ("stop_loss_id", "take_profit_id", "trailing_stop_id", "stop_loss_client",
                  "take_profit_client", "trailing_stop_client")  # fmt: skip


def position_opened_by(event: PositionOpened) -> Position:
    """The position as its PositionOpened event describes it (what ``apply`` inserts)."""
    return Position(
        order_id=event.order_id,
        user_id=event.user_id,
        asset=event.asset,
        side=event.side,
        leverage=event.leverage,
        margin=event.margin,
        qty=event.qty,
        open_price=event.open_price,
        liquidation_price=event.liquidation_price,
        stop_loss=event.stop_loss,
        take_profit=event.take_profit,
        trailing_stop=event.trailing_stop,
        trailing_mark=event.trailing_mark,
        opened_at=event.ts,
        account_id=event.account_id,
        fee=event.fee,
        client_order_id=event.client_order_id,
        order_type=event.order_type,
        price=event.price,
        oco_group_id=event.oco_group_id,
        created_at=event.created_at,
    )


# The durable fields of a position, in constructor order: snapshots store each position as
# a row of these (a tuple is ~40x cheaper to take than asdict, and the export runs on the
# event loop: 100k positions in ~40 ms instead of ~1.6 s).
_DERIVED = ("version", "seq")
POSITION_FIELDS: tuple[str, ...] = tuple(f.name for f in fields(Position) if f.name not in _DERIVED)
position_row = attrgetter(*POSITION_FIELDS)


@dataclass(slots=True)
class Pending:
    """A resting LIMIT / STOP order; ``reserved`` is out of the free balance until it ends."""

    order_id: str
    account_id: str
    user_id: str
    asset: str
    side: str
    order_type: str
    leverage: int
    price: Price
    margin: Money | None
    qty: Qty | None
    reserved: Money
    stop_loss: Price | None
    take_profit: Price | None
    trailing_stop: Price | None
    expires_at: int | None
    client_order_id: str | None
    oco_group_id: str | None
    reduce_only: bool
    created_at: int
    # v5: as placed (a snapshot written before it has GTC, all an order placed then kept)
    time_in_force: str = "GTC"
    version: int = 0  # bumped on every change; stale index entries carry old ones
    seq: int = 0  # insertion order in this process (snapshot exports), not durable


PENDING_FIELDS: tuple[str, ...] = tuple(f.name for f in fields(Pending) if f.name not in _DERIVED)
pending_row = attrgetter(*PENDING_FIELDS)


def pending_placed_by(event: OrderPlaced) -> Pending:
    """The resting order as its OrderPlaced event describes it (what ``apply`` inserts)."""
    return Pending(
        event.order_id, event.account_id, event.user_id, event.asset, event.side,
        event.order_type, event.leverage, event.price, event.margin, event.qty, event.reserved,
        event.stop_loss, event.take_profit, event.trailing_stop, event.expires_at,
        event.client_order_id, event.oco_group_id, event.reduce_only, event.ts,
        event.time_in_force,
    )  # fmt: skip


@dataclass(slots=True)
class Account:
    account_id: str
    user_id: str
    name: str = "Main"
    mode: str = "HEDGING"
    created_at: int = 0
    balance: Money = ZERO  # free cash
    # fees charged since creation (or the last reset): the events' open and close fees
    fees: Money = ZERO
    funding: Money = ZERO  # net funding since creation (or the last reset)
    # the part of ``fees`` never paid: close fees a settlement capped at 0 could not cover
    # (``events.close_paid``). A field of its own, not folded into ``fees``, so a snapshot
    # written before it still agrees with a replay on ``fees`` and is known to lack this.
    fees_waived: Money = ZERO
    # -- derived (not in snapshots: restore rebuilds them from positions and orders) --
    used_margin: Money = ZERO
    pending_margin: Money = ZERO
    # ids of open positions / pending orders, oldest first (dicts as insertion-ordered sets)
    open_orders: dict[str, None] = field(default_factory=dict)
    pending_orders: dict[str, None] = field(default_factory=dict)
    netted: dict[str, str] = field(default_factory=dict)  # NETTING: asset -> position id
    number: int = -1  # place in State.account_list (creation order)

    @property
    def fees_paid(self) -> Money:
        """Total fees paid (SPEC 12's ``fees``): what the account's fills' fees sum to."""
        return Money(self.fees - self.fees_waived)


# The durable fields of an account, in constructor order (snapshot rows, like positions).
ACCOUNT_FIELDS: tuple[str, ...] = (
    "account_id",
    "user_id",
    "name",
    "mode",
    "created_at",
    "balance",
    "fees",
    "funding",
    "fees_waived",
)
account_row = attrgetter(*ACCOUNT_FIELDS)


class Quote(NamedTuple):
    """The quote of an asset. A NamedTuple, not a frozen dataclass: one is built per tick
    and a frozen dataclass's ``__init__`` cost as much as the rest of a quiet tick."""

    ref: Price
    bid: Price
    ask: Price
    ts: int


class State:
    """Everything the engine knows, read by rules, views and exports; mutated only by apply."""

    def __init__(self, settings: EngineSettings | None = None) -> None:
        self.settings = settings or EngineSettings()
        self.accounts: dict[str, Account] = {}  # by account id
        self.user_accounts: dict[str, list[str]] = {}  # user id -> account ids, oldest first
        # Every account in creation order, append-only: a snapshot export walks it in steps
        # (an account is never deleted, so a prefix of this list is a stable set).
        self.account_list: list[Account] = []
        self.positions: dict[str, Position] = {}
        self.pending: dict[str, Pending] = {}
        self.client_ids: dict[tuple[str, str], str] = {}  # (account, clientOrderId) -> id
        # the same, append-only (an id, once given, never changes): exported in steps
        self.client_id_list: list[tuple[str, str, str]] = []
        self.oco_groups: dict[str, list[str]] = {}  # pending legs by group (derived)
        self.quotes: dict[str, Quote] = {}
        self.house: Money = ZERO
        self.deposits: Money = ZERO
        self.next_order_id = 1
        self.next_account_id = 1
        self.next_fill_id = 1
        self.funded_boundary = 0  # the newest funding boundary fully charged
        self.funding_interval_on_record: int | None = None  # FundingIntervalSet's (None: never)
        self.funding_resumed_at = 0  # when funding last came back on after being off
        # asset -> (the newest boundary charged on it, the ref it was charged at): the rest
        # of that boundary is charged at the same ref, also after a restart mid-walk
        self.boundary_refs: dict[str, tuple[int, Price]] = {}

    def fresh_quote(self, asset: str, now: int) -> Quote | None:
        """The quote if it is younger than max price age at ``now``, else None (stale)."""
        q = self.quotes.get(asset)
        if q is None or now - q.ts > self.settings.max_price_age_ms:
            return None
        return q

    def add_account(self, account: Account) -> None:
        account.number = len(self.account_list)
        self.account_list.append(account)
        self.accounts[account.account_id] = account
        self.user_accounts.setdefault(account.user_id, []).append(account.account_id)
        self.next_account_id = max(self.next_account_id, int(account.account_id) + 1)

    def account_of(self, user_id: str, account_id: str | None) -> Account | None:
        """The user's account ``account_id`` (None: the user's first), or None when there is
        no such account or it is someone else's: both look the same to the caller."""
        if account_id is None:
            ids = self.user_accounts.get(user_id)
            return self.accounts[ids[0]] if ids else None
        account = self.accounts.get(account_id)
        if account is None or account.user_id != user_id:
            return None
        return account

    def remember_client_id(self, account_id: str, client_order_id: str, order_id: str) -> None:
        """The id names ``order_id`` from now on: the first order that used it, or (Binance's
        rule) a newer one once the first has ended. The list keeps every binding in order,
        so a restore that replays it ends with the same names."""
        key = (account_id, client_order_id)
        if self.client_ids.get(key) != order_id:
            self.client_ids[key] = order_id
            self.client_id_list.append((account_id, client_order_id, order_id))

    def allocate_order_id(self) -> str:
        """The id the next order-creating event will carry (apply advances the counter)."""
        return str(self.next_order_id)
