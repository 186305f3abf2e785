"""Refusal codes the engine can answer with, and the typed refusal it returns.

A refusal is a value, not an exception: ``Engine.handle`` never raises for bad input, it
returns ``Outcome(events=(), refusal=Refusal(...))`` and changes nothing.
"""

from __future__ import annotations

from enum import StrEnum

from velox.frozen import frozen


class Code(StrEnum):
    VALIDATION_ERROR = "VALIDATION_ERROR"
    UNKNOWN_ASSET = "UNKNOWN_ASSET"
    NOT_FOUND = "NOT_FOUND"  # also an account that is not the user's (never "forbidden")
    INSUFFICIENT_BALANCE = "INSUFFICIENT_BALANCE"
    MARGIN_TOO_SMALL = "MARGIN_TOO_SMALL"
    INVALID_STOP_LOSS = "INVALID_STOP_LOSS"
    INVALID_TAKE_PROFIT = "INVALID_TAKE_PROFIT"
    SLIPPAGE_EXCEEDED = "SLIPPAGE_EXCEEDED"
    TOO_MANY_POSITIONS = "TOO_MANY_POSITIONS"
    PRICE_STALE = "PRICE_STALE"
    # engine v2 (SPEC 12/13)
    ORDER_NOT_PENDING = "ORDER_NOT_PENDING"
    WOULD_TRIGGER_IMMEDIATELY = "WOULD_TRIGGER_IMMEDIATELY"
    LEVERAGE_MISMATCH = "LEVERAGE_MISMATCH"
    REDUCE_ONLY_REJECTED = "REDUCE_ONLY_REJECTED"
    TOO_MANY_ACCOUNTS = "TOO_MANY_ACCOUNTS"
    DUPLICATE_CLIENT_ORDER_ID = "DUPLICATE_CLIENT_ORDER_ID"  # a resting order holds it
    WOULD_TAKE = "WOULD_TAKE"  # a post-only (GTX) order that would fill at once
    WOULD_NOT_FILL = "WOULD_NOT_FILL"  # a fill-or-kill (FOK) order that cannot fill at once


@frozen
class Refusal:
    code: Code
    message: str
    field: str | None = None
