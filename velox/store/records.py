"""Plain rows that cross the storage boundary. Money fields are integer units of 10^-8."""

from __future__ import annotations

from velox.frozen import frozen


@frozen
class JournalRecord:
    """One journaled engine event: ``payload`` is the event encoded by ``velox.codec``."""

    seq: int
    ts: int
    type: str
    payload: bytes


@frozen
class SnapshotRecord:
    seq: int  # the last journal sequence the snapshot covers
    ts: int
    payload: bytes


@frozen
class ClosedOrderRecord:
    """A closed position (or the closed part of a partial close), as SPEC.md section 7 names it."""

    order_id: str
    parent_order_id: str | None
    user_id: str
    asset: str
    side: str
    leverage: int
    margin: int
    qty: int
    open_price: int
    liquidation_price: int
    stop_loss: int | None
    take_profit: int | None
    trailing_stop: int | None
    close_price: int
    close_reason: str
    pnl: int
    settlement: int
    opened_at: int
    closed_at: int
    # -- v2 (SPEC 12/13) --
    account_id: str | None = None
    fee: int = 0  # every fee the position paid, its close included
    funding: int = 0  # net funding (+ received, - paid)


@frozen
class UserRecord:
    """``email_proven``: someone showed they receive mail at ``email`` (a magic link, or an
    identity provider's verified address). A password signup proves nothing, so its user
    starts unproven; the default is the one that can never let a stranger's signup pass
    for the address's owner."""

    id: str
    email: str
    password_hash: str | None
    phone: str | None
    created_at: int
    email_proven: bool = False


@frozen
class TradeRecord:
    """A raw exchange trade (un-spread price), deduplicated by (symbol, trade_id)."""

    symbol: str
    trade_id: int
    price: int
    qty: int
    ts: int  # exchange trade time, ms


@frozen
class CandleRecord:
    symbol: str
    duration: str  # "1s", "30s", "1m", "5m", "15m", "1h", "4h", "1d"
    time: int  # bucket start, ms
    open: int
    high: int
    low: int
    close: int
    volume: int


@frozen
class ApiKeyRecord:
    """An API key: ``secret_sealed`` is the secret sealed by ``velox.vault`` (never plain)."""

    key_id: str
    user_id: str
    account_id: str
    name: str
    api_key: str
    secret_sealed: bytes
    permissions: tuple[str, ...]  # ("read",) or ("read", "trade")
    created_at: int


@frozen
class ListenKeyRecord:
    """A Binance user-data stream's listen key, kept so that it outlives a restart as it
    outlives one of Binance's: ``listen_key_sealed`` is the key sealed by ``velox.vault``
    (a bearer handle to the account's stream, never stored plain). One per API key."""

    key_id: str
    listen_key_sealed: bytes
    user_id: str
    account_id: str
    expires_at: int


@frozen
class AccountRecord:
    """A paper account (SPEC 13), projected from AccountCreated / AccountRenamed."""

    account_id: str
    user_id: str
    name: str
    mode: str  # HEDGING | NETTING
    created_at: int


@frozen
class OrderRecord:
    """Every order an account placed, whatever became of it (SPEC 12).

    ``status`` is PENDING, CANCELLED, EXPIRED, REJECTED, FILLED (a NETTING order that went
    into the position ``position_id``) or OPEN: the order became position ``order_id``,
    whose live state (OPEN or CLOSED) the engine and ``closed_orders`` hold. Keeping every
    order here gives ``clientOrderId`` one index per account.

    ``time_in_force`` (schema version 5) is the order's as placed: GTC, IOC, FOK or GTX
    (Binance's API reads it back); a GTC with ``expires_at`` is Binance's GTD. A row written
    before it reads GTC, all an older Velox kept.
    """

    order_id: str
    account_id: str
    user_id: str
    asset: str
    side: str
    order_type: str  # MARKET | LIMIT | STOP
    leverage: int
    price: int | None  # the LIMIT / STOP price
    margin: int | None
    qty: int | None
    reserved: int
    stop_loss: int | None
    take_profit: int | None
    trailing_stop: int | None
    expires_at: int | None
    client_order_id: str | None
    oco_group_id: str | None
    reduce_only: bool
    status: str
    cancel_reason: str | None
    position_id: str | None
    created_at: int
    updated_at: int
    time_in_force: str = "GTC"


@frozen
class FillRecord:
    """One execution (SPEC 12): open, scale-in, reduce, close or liquidation."""

    fill_id: str
    order_id: str
    position_id: str
    account_id: str
    user_id: str
    asset: str
    side: str  # BUY | SELL
    price: int
    qty: int
    fee: int
    realized_pnl: int
    maker: bool
    time: int


@frozen
class DepositRecord:
    """Money into (or, a reset's adjustment, out of) an account's free balance, projected
    from ``Deposited`` (the journal's ``seq`` is its id). ``account_id`` is None for a v1
    event, which named no account: it is the user's first account's. ``kind`` DEPOSIT or
    RESET. The history's equity curve reads an account's deposits here, not the journal."""

    seq: int
    account_id: str | None
    user_id: str
    amount: int
    kind: str
    ts: int


@frozen
class FundingRecord:
    """One position's funding at one boundary (SPEC 12), projected from ``FundingCharged``.

    ``amount`` is signed from the trader's side (+ received, - paid); ``rate`` is the
    fraction charged, in units of 10^-8; ``mark_price`` the reference price it was charged
    at; ``boundary`` the funding time (ms) and ``ts`` when the engine charged it (later
    when the engine was down at the boundary). ``seq`` is the journal sequence of the
    event: unique, so it orders charges of one boundary and serves as their id.
    """

    order_id: str
    boundary: int
    account_id: str
    user_id: str
    asset: str
    mark_price: int
    rate: int
    amount: int
    seq: int
    ts: int


@frozen
class FundingBoundaryRecord:
    """A boundary charged on an asset: the ``rate`` and ``mark_price`` of its first charge
    (journal ``seq``). Public (``/fapi/v1/fundingRate``): names no account."""

    asset: str
    boundary: int
    mark_price: int
    rate: int
    seq: int


@frozen
class StopRecord:
    """A position's stop-loss (kind 1), take-profit (2) or trailing stop (3) as it was placed:
    the Binance API's algo order, also once cancelled or ended with the position (the
    engine forgets it then). ``stop_id`` is its own id (an order id), '' for one set with
    the position (its id derived from the position's, binance/orders.py). ``price``: the
    trigger (a trailing stop's distance); ``qty`` and ``done_price`` once it ended with the
    position (the close's price, when it is what fired)."""

    position_id: str
    kind: int
    stop_id: str
    account_id: str
    asset: str
    side: str  # the position's
    client_id: str | None
    price: int | None
    qty: int | None
    status: str  # NEW, CANCELED, EXPIRED, FINISHED
    done_price: int | None
    created_at: int
    updated_at: int


@frozen
class RowWrite:
    """One projection write of a commit, applied in order in the journal's transaction.

    ``kind``: ``account`` (insert), ``account_name`` (rename), ``order`` (insert or replace
    the whole row), ``order_terms`` (a modified pending order), ``order_status`` (an order
    became or went into a position: updates a stored order's status and ``position_id``,
    or inserts the record when there is none, as for a market order), ``fill`` (insert),
    ``funding`` (insert), ``funding_boundary`` (insert unless the boundary has its row),
    ``deposit`` (insert), ``stop`` (a stop placed, or changed in place), ``stop_cancel``
    (the position's NEW stop of that kind CANCELED), ``stop_end`` (the position's NEW stops
    ended with it: the one of ``kind`` FINISHED, the others EXPIRED).
    """

    kind: str
    record: (
        AccountRecord
        | OrderRecord
        | FillRecord
        | FundingRecord
        | FundingBoundaryRecord
        | DepositRecord
        | StopRecord
    )
