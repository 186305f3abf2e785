"""Field validators for request bodies and query strings: hand-written, not pydantic.

Why not pydantic: the API's rules are few but exact (money as JSON numbers or decimal strings
through ``velox.money``, integers that must be JSON integers and not ``true`` or ``"2"``,
``null`` meaning "remove" while a missing key means "keep"), and every error must name the
one field at fault with our own codes. Expressing that in pydantic needs custom validators
for almost every field plus a translation of its error list; these few functions say it
directly and each raises ``ApiError(VALIDATION_ERROR, ..., field)``.

Every rule here is one the OpenAPI document can state exactly (``openapi_schemas.py``; SPEC
section 17): patterns are ASCII and matched whole, with no silent trimming; an integer is
what JSON Schema calls one (``2.0`` included); money strings are plain decimals.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from velox.money import MoneyError, parse_units
from velox.web.errors import validation

_MISSING = object()
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
# RFC 5322 atext and dots in the local part; DNS labels, at least two, in the domain.
EMAIL_PATTERN = rf"^[A-Za-z0-9!#$%&'*+/=?^_`{{|}}~.-]{{1,64}}@{_LABEL}(?:\.{_LABEL})+$"
EMAIL_MAX = 254
PHONE_PATTERN = r"^\+?[0-9 ().-]{3,32}$"
PHONE_MAX = 32
PASSWORD_MIN, PASSWORD_MAX = 8, 256
MONEY_TEXT = re.compile(r"[0-9]+(?:\.[0-9]*)?|\.[0-9]+")  # no sign, no blanks, no exponent
_EMAIL_RE = re.compile(EMAIL_PATTERN)
_PHONE_RE = re.compile(PHONE_PATTERN)


def reject_unknown(data: Mapping[str, Any], allowed: Iterable[str]) -> None:
    """A misspelt field (``stoploss``) must not be silently ignored on a trading API."""
    known = set(allowed)
    for name in data:
        if name not in known:
            raise validation(f"unknown field {name!r}", name)


def required(data: Mapping[str, Any], name: str) -> Any:
    value = data.get(name, _MISSING)
    if value is _MISSING or value is None:
        raise validation(f"{name} is required", name)
    return value


def money(value: Any, name: str, *, allow_zero: bool = False) -> int:
    """A JSON number or plain decimal string with at most 8 decimals, as units of 10^-8.

    A JSON number is taken as the value it denotes (``1.000…0`` with any number of zeros is
    1); a string must be digits with an optional point, nothing else.
    """
    if not isinstance(value, str | int | Decimal) or isinstance(value, bool):
        raise validation(f"{name} must be a number or a decimal string", name)
    if isinstance(value, str) and not MONEY_TEXT.fullmatch(value):
        raise validation(f"{name} must be a plain decimal number such as 100.5", name)
    if isinstance(value, Decimal):
        value = _without_trailing_zeros(value)
    try:
        return parse_units(value, allow_zero=allow_zero)
    except MoneyError as exc:
        raise validation(f"{name}: {exc}", name) from exc


def _without_trailing_zeros(value: Decimal) -> Decimal:
    """The same number without zeros after its last significant decimal, exactly (not
    ``normalize()``, which rounds to the context's 28 digits)."""
    sign, digits, exponent = value.as_tuple()
    if not isinstance(exponent, int) or exponent >= 0:
        return value
    zeros = len(digits) - len("".join(map(str, digits)).rstrip("0"))
    drop = min(zeros, -exponent, len(digits) - 1)
    return Decimal((sign, digits[: len(digits) - drop], exponent + drop)) if drop else value


def optional_money(data: Mapping[str, Any], name: str) -> int | None:
    value = data.get(name)
    return None if value is None else money(value, name)


def integer(value: Any, name: str, low: int, high: int) -> int:
    """A JSON integer within [low, high]: not a boolean, not ``"2"``; ``2.0`` is 2, as JSON
    Schema (and so the API document) counts it an integer."""
    integral = (
        isinstance(value, Decimal) and value.is_finite() and value == value.to_integral_value()
    )
    if not (isinstance(value, int) or integral) or isinstance(value, bool):
        raise validation(f"{name} must be an integer", name)
    if not low <= value <= high:
        raise validation(f"{name} must be between {low} and {high}", name)
    return int(value)


def choice(value: Any, name: str, options: Iterable[str]) -> str:
    allowed = tuple(options)
    if not isinstance(value, str) or value not in allowed:
        raise validation(f"{name} must be one of {', '.join(allowed)}", name)
    return value


def string(value: Any, name: str, *, max_length: int) -> str:
    if not isinstance(value, str):
        raise validation(f"{name} must be a string", name)
    if len(value) > max_length:
        raise validation(f"{name} must be at most {max_length} characters", name)
    return value


def email(value: Any, name: str = "email") -> str:
    """A plausible address, lower-cased: the account key is case-insensitive."""
    text = string(value, name, max_length=EMAIL_MAX)
    if not _EMAIL_RE.fullmatch(text):
        raise validation("email is not a valid address", name)
    return text.lower()


def password(value: Any, name: str = "password") -> str:
    """8 to 256 characters (any length is fine for bcrypt: see passwords.py)."""
    text = string(value, name, max_length=PASSWORD_MAX)
    if len(text) < PASSWORD_MIN:
        raise validation(f"password must have at least {PASSWORD_MIN} characters", name)
    return text


def phone(value: Any, name: str = "phone") -> str | None:
    if value is None:
        return None
    text = string(value, name, max_length=PHONE_MAX)
    if not _PHONE_RE.fullmatch(text):
        raise validation("phone is not a valid phone number", name)
    return text


def query_int(query: Mapping[str, str], name: str, low: int, high: int) -> int | None:
    """An optional integer query parameter (digits only, within bounds)."""
    raw = query.get(name)
    if raw is None or raw == "":
        return None
    if not re.fullmatch(r"-?[0-9]{1,19}", raw):  # ASCII: int() also reads other digits
        raise validation(f"{name} must be an integer", name)
    return integer(int(raw), name, low, high)
