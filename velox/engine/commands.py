"""Commands: what a caller asks the engine to do. Imperative names, frozen, time injected.

``ts`` is milliseconds since the epoch, read by the shell: the engine never reads a clock.
Money, price and quantity fields are integer units of 10^-8 (plain ``int`` here: the shell
parses them; the engine types them as Money/Price/Qty once judged).

Accounts (SPEC 13, engine v2): a user holds up to ``max_accounts`` accounts, each with an
``account_id`` (a decimal string from the engine's own account counter). Commands that act
on an account carry ``user_id`` AND ``account_id``; an account that is not the user's is
refused exactly like an unknown one (``Code.ACCOUNT_NOT_FOUND``; the shell answers 404).
``account_id=None`` means the user's first account (the one made at signup): the shell
passes it until it reads the ``X-Velox-Account`` header.
"""

from __future__ import annotations

from enum import Enum

from velox.frozen import frozen


class Keep(Enum):
    """Marks a Modify* field the caller did not mention (``None`` means remove)."""

    KEEP = "KEEP"


KEEP = Keep.KEEP

HEDGING = "HEDGING"
NETTING = "NETTING"
MODES = (HEDGING, NETTING)

MARKET = "MARKET"
LIMIT = "LIMIT"
STOP = "STOP"
ORDER_TYPES = (MARKET, LIMIT, STOP)
# A LIMIT's time in force (Binance's names): GTC rests; IOC fills now or ends EXPIRED at once;
# FOK fills now or is refused (fills are whole, so the two differ only there); GTX (post-only)
# rests as a maker or is refused where it would fill now.
GTC, IOC, FOK, GTX = "GTC", "IOC", "FOK", "GTX"
TIMES_IN_FORCE = (GTC, IOC, FOK, GTX)


# -- accounts ------------------------------------------------------------------------------
@frozen
class OpenAccount:
    """The user's first account (HEDGING, ``initial_balance``), made at signup.

    A no-op when the user already has an account, so a retried signup is harmless.
    """

    user_id: str
    ts: int
    name: str = "Main"


@frozen
class CreateAccount:
    """Another account for the user (refused past ``max_accounts``: TOO_MANY_ACCOUNTS)."""

    user_id: str
    name: str
    mode: str  # HEDGING | NETTING
    ts: int


@frozen
class RenameAccount:
    user_id: str
    account_id: str
    name: str
    ts: int


@frozen
class ResetAccount:
    """Cancel pending orders, close positions at the current quotes (manual closes), then
    set the balance back to ``initial_balance`` with a deposit adjustment (PRICE_STALE when
    a position's asset has no fresh quote)."""

    user_id: str
    account_id: str
    ts: int


@frozen
class Deposit:
    user_id: str
    amount: int
    ts: int
    account_id: str | None = None


# -- orders and positions ------------------------------------------------------------------
@frozen
class OpenPosition:
    """Place an order: MARKET fills now; LIMIT / STOP rest until the price reaches ``price``
    (a marketable LIMIT fills now as a taker; a STOP that would trigger now is refused with
    WOULD_TRIGGER_IMMEDIATELY). ``client_order_id`` repeated in the account creates nothing
    and answers the existing order (``Outcome.existing``); with ``client_id_reusable``
    (Binance's rule: unique among open orders) an id whose order rests is refused with
    DUPLICATE_CLIENT_ORDER_ID and one whose order has ended names the new order instead."""

    user_id: str
    asset: str
    side: str  # "LONG" | "SHORT"
    leverage: int
    ts: int
    margin: int | None = None
    qty: int | None = None
    stop_loss: int | None = None
    take_profit: int | None = None
    trailing_stop: int | None = None
    expected_price: int | None = None
    slippage_bps: int | None = None
    account_id: str | None = None
    order_type: str = MARKET  # MARKET | LIMIT | STOP
    price: int | None = None  # LIMIT / STOP only
    expires_at: int | None = None  # LIMIT / STOP only; ms
    client_order_id: str | None = None  # 1-36 of [A-Za-z0-9._:-], unique per account
    reduce_only: bool = False  # NETTING accounts only
    client_id_reusable: bool = False  # Binance's API: unique among resting orders only
    time_in_force: str = GTC  # LIMIT only: GTC | IOC | FOK | GTX (Binance's API)


@frozen
class PlaceOco:
    """Two pending orders (LIMIT / STOP) on one asset sharing an ``oco_group_id``: when one
    fills or is cancelled the other ends CANCELLED (reason OCO). Each leg's ``user_id`` and
    ``account_id`` must match this command's."""

    user_id: str
    first: OpenPosition
    second: OpenPosition
    ts: int
    account_id: str | None = None


@frozen
class CancelOrder:
    """Cancel a pending order (ORDER_NOT_PENDING for an open position or a finished order)."""

    user_id: str
    order_id: str
    ts: int
    account_id: str | None = None


@frozen
class ModifyOrder:
    """Change a pending order's price, stops or expiry (the reservation follows the price)."""

    user_id: str
    order_id: str
    ts: int
    price: int | Keep = KEEP
    stop_loss: int | Keep | None = KEEP
    take_profit: int | Keep | None = KEEP
    trailing_stop: int | Keep | None = KEEP
    expires_at: int | Keep | None = KEEP
    account_id: str | None = None


@frozen
class ClosePosition:
    """Close the whole position, or ``percent`` (1..99) of it."""

    user_id: str
    order_id: str
    ts: int
    percent: int | None = None
    account_id: str | None = None


@frozen
class AddMargin:
    user_id: str
    order_id: str
    amount: int
    ts: int
    account_id: str | None = None


@frozen
class ModifyPosition:
    user_id: str
    order_id: str
    ts: int
    stop_loss: int | Keep | None = KEEP
    take_profit: int | Keep | None = KEEP
    trailing_stop: int | Keep | None = KEEP
    account_id: str | None = None
    client_id: str | None = None  # the client's id of the stop it places (Binance's API)


# -- time ----------------------------------------------------------------------------------
@frozen
class ClockTick:
    """The service's clock, every second: expires pending orders whose ``expires_at`` has
    passed and charges funding boundaries, at most ``budget`` effects per command so that a
    boundary over 100k positions never stalls one batch. ``Outcome.more`` is True while work
    is left for ``ts``: the service then sends another ClockTick at once."""

    ts: int
    budget: int = 500  # ~25 ms of funding on the bench machine


@frozen
class RecordFundingInterval:
    """Sent by the service once it is READY: journals the configured funding interval when
    funding goes off (0) or comes back on (FundingIntervalSet); otherwise nothing."""

    ts: int


Command = (
    OpenAccount
    | CreateAccount
    | RenameAccount
    | ResetAccount
    | Deposit
    | OpenPosition
    | PlaceOco
    | CancelOrder
    | ModifyOrder
    | ClosePosition
    | AddMargin
    | ModifyPosition
    | ClockTick
    | RecordFundingInterval
)


@frozen
class PriceTick:
    """A reference price (last trade, or book mid) for an asset, received at ``ts``."""

    asset: str
    price: int
    ts: int
