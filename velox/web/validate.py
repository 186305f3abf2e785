"""Field validators for request bodies and query strings: hand-written, not pydantic.

Why not pydantic: the API's rules are few but exact (money as JSON numbers or decimal strings
through ``velox.money``, integers that must be real JSON integers and not ``true`` or ``2.0``,
``null`` meaning "remove" while a missing key means "keep"), and every error must name the
one field at fault with our own codes. Expressing that in pydantic needs custom validators
for almost every field plus a translation of its error list; these few functions say it
directly and each raises ``ApiError(VALIDATION_ERROR, ..., field)``.
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
EMAIL_RE = re.compile(rf"^[^@\s\x00-\x1f]{{1,64}}@{_LABEL}(?:\.{_LABEL})+$")
PHONE_RE = re.compile(r"^\+?[0-9 ()\-.]{3,32}$")


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
    """A JSON number or decimal string with at most 8 decimals, as units of 10^-8."""
    if not isinstance(value, str | int | Decimal) or isinstance(value, bool):
        raise validation(f"{name} must be a number or a decimal string", name)
    try:
        return parse_units(value, allow_zero=allow_zero)
    except MoneyError as exc:
        raise validation(f"{name}: {exc}", name) from exc


def optional_money(data: Mapping[str, Any], name: str) -> int | None:
    value = data.get(name)
    return None if value is None else money(value, name)


def integer(value: Any, name: str, low: int, high: int) -> int:
    """A JSON integer (not a boolean, not ``2.0``, not ``"2"``) within [low, high]."""
    if not isinstance(value, int) or isinstance(value, bool):
        raise validation(f"{name} must be an integer", name)
    if not low <= value <= high:
        raise validation(f"{name} must be between {low} and {high}", name)
    return value


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
    text = string(value, name, max_length=254).strip().lower()
    if not EMAIL_RE.match(text):
        raise validation("email is not a valid address", name)
    return text


def password(value: Any, name: str = "password") -> str:
    """8 characters at least; at most 72 bytes, bcrypt's input limit (never truncate)."""
    text = string(value, name, max_length=256)
    if len(text) < 8:
        raise validation("password must have at least 8 characters", name)
    if len(text.encode("utf-8")) > 72:
        raise validation("password must be at most 72 bytes", name)
    return text


def phone(value: Any, name: str = "phone") -> str | None:
    if value is None:
        return None
    text = string(value, name, max_length=32).strip()
    if not PHONE_RE.match(text):
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
