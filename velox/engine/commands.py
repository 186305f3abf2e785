"""Commands: what a caller asks the engine to do. Imperative names, frozen, time injected.

``ts`` is milliseconds since the epoch, read by the shell: the engine never reads a clock.
Money fields are integer units of 10^-8.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class Keep(Enum):
    """Marks a ModifyPosition field the caller did not mention (``None`` means remove)."""

    KEEP = "KEEP"


KEEP = Keep.KEEP


@dataclass(frozen=True, slots=True)
class OpenAccount:
    """Create the account with the initial balance; a no-op for an existing account."""

    user_id: str
    ts: int


@dataclass(frozen=True, slots=True)
class Deposit:
    user_id: str
    amount: int
    ts: int


@dataclass(frozen=True, slots=True)
class OpenPosition:
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


@dataclass(frozen=True, slots=True)
class ClosePosition:
    """Close the whole position, or ``percent`` (1..99) of it."""

    user_id: str
    order_id: str
    ts: int
    percent: int | None = None


@dataclass(frozen=True, slots=True)
class AddMargin:
    user_id: str
    order_id: str
    amount: int
    ts: int


@dataclass(frozen=True, slots=True)
class ModifyPosition:
    user_id: str
    order_id: str
    ts: int
    stop_loss: int | Keep | None = KEEP
    take_profit: int | Keep | None = KEEP
    trailing_stop: int | Keep | None = KEEP


Command = OpenAccount | Deposit | OpenPosition | ClosePosition | AddMargin | ModifyPosition


@dataclass(frozen=True, slots=True)
class PriceTick:
    """A reference price (last trade, or book mid) for an asset, received at ``ts``."""

    asset: str
    price: int
    ts: int
