"""Fixed-point money at scale 10^8: the only place that converts between text and units.

Every price, quantity and USD amount in Velox is a Python ``int`` counting 10^-8 of its unit.
Floats never touch the money path: JSON numbers arrive as decimal text (orjson gives floats,
so the web layer passes the raw token or we refuse floats that are not exactly representable)
and leave as 8-decimal strings, as Binance sends them.

Rounding is always explicit (``mul_div_floor`` / ``mul_div_ceil``) so the engine never writes
``//`` ad hoc and every rounding decision is visible at the call site.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import NewType

# Units of 10^-8 of three different things. All are ``int`` at run time; mypy keeps them
# apart so a price passed where a quantity belongs (an easy swap in ``qty * price``
# formulas) is a type error, not a wrong balance.
Money = NewType("Money", int)  # USD units: balances, margins, PnL, fees
Price = NewType("Price", int)  # USD per unit of the asset, in units
Qty = NewType("Qty", int)  # asset units

SCALE = 100_000_000
DECIMALS = 8
# Absurd magnitudes are refused: 10^15 units of anything (a quadrillion USD) is not a trade.
MAX_UNITS = 10**15 * SCALE

# ASCII digits only: a Unicode \d (and int()) would read "١٠" as 10.
_DECIMAL_RE = re.compile(r"^([+-]?)([0-9]+)(?:\.([0-9]*))?$|^([+-]?)\.([0-9]+)$")


class MoneyError(ValueError):
    """A value that cannot be money: too precise, not a number, out of range, negative."""


def parse_units(value: object, *, allow_negative: bool = False, allow_zero: bool = True) -> int:
    """Parse a decimal string, int or float (JSON number) into units of 10^-8.

    Floats are accepted only when they came from JSON and their shortest repr has at most
    8 decimals (``repr`` of a float is the shortest string that round-trips, so ``0.1`` is
    ``"0.1"``); the conversion goes through that text, never through float arithmetic.
    """
    if isinstance(value, bool):
        raise MoneyError("must be a number or a decimal string")
    if isinstance(value, int):
        text = str(value)
    elif isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise MoneyError("must be a finite number")
        text = repr(value)
        if "e" in text or "E" in text:
            try:
                text = format(Decimal(text), "f")
            except InvalidOperation as exc:  # pragma: no cover - repr is always valid
                raise MoneyError("not a number") from exc
    elif isinstance(value, Decimal):
        text = _decimal_text(value)
    elif isinstance(value, str):
        text = value.strip()
    else:
        raise MoneyError("must be a number or a decimal string")
    units = _text_to_units(text)
    if units < 0 and not allow_negative:
        raise MoneyError("must not be negative")
    if units == 0 and not allow_zero:
        raise MoneyError("must be greater than zero")
    return units


def _decimal_text(value: Decimal) -> str:
    """A JSON number kept exact (``json.loads(parse_float=Decimal)``) as plain text."""
    if not value.is_finite():
        raise MoneyError("must be a finite number")
    # Check the exponent before formatting: "1e999999999" must not become a billion digits.
    exponent = value.as_tuple().exponent
    if value.adjusted() > 20 or not isinstance(exponent, int) or exponent < -64:
        raise MoneyError("number out of range or too precise")
    return format(value, "f")


def _text_to_units(text: str) -> int:
    if len(text) > 64:
        raise MoneyError("number too long")
    match = _DECIMAL_RE.match(text)
    if match is None:
        raise MoneyError("must be a plain decimal number with at most 8 decimals")
    if match.group(2) is not None:
        sign, whole, frac = match.group(1), match.group(2), match.group(3) or ""
    else:
        sign, whole, frac = match.group(4), "0", match.group(5)
    if len(frac) > DECIMALS:
        # Trailing zeros beyond 8 decimals carry no precision ("1.000000000" is fine).
        if frac[DECIMALS:].strip("0"):
            raise MoneyError("at most 8 decimals are allowed")
        frac = frac[:DECIMALS]
    units = int(whole) * SCALE + int(frac.ljust(DECIMALS, "0") or "0")
    if units > MAX_UNITS:
        raise MoneyError("number out of range")
    return -units if sign == "-" else units


def format_units(units: int) -> str:
    """Units to a decimal string with exactly 8 decimals: 9200050000000 -> "92000.50000000"."""
    sign = "-" if units < 0 else ""
    whole, frac = divmod(abs(units), SCALE)
    return f"{sign}{whole}.{frac:08d}"


def format_optional(units: int | None) -> str | None:
    return None if units is None else format_units(units)


def units(text: str) -> int:
    """Units from a literal known to be valid (tests, defaults, config)."""
    return parse_units(text, allow_negative=True)


def mul_div_floor(a: int, b: int, d: int) -> int:
    """floor(a * b / d) exactly, for any signs (Python's // floors toward -infinity)."""
    return (a * b) // d


def mul_div_ceil(a: int, b: int, d: int) -> int:
    """ceil(a * b / d) exactly, for any signs."""
    return -((-(a * b)) // d)


def mul_floor(a: int, b: int) -> int:
    """a * b of two scaled numbers, rounded down to a unit (e.g. price x qty -> USD)."""
    return mul_div_floor(a, b, SCALE)


def mul_ceil(a: int, b: int) -> int:
    """a * b of two scaled numbers, rounded up to a unit."""
    return mul_div_ceil(a, b, SCALE)
