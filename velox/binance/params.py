"""A request's parameters as Binance reads them: the query string plus a form body.

Binance takes parameters from the query string and, for POST/PUT/DELETE, from an
``application/x-www-form-urlencoded`` body; the signature covers both as sent. So the raw
texts are kept (``signing`` checks them as sent, then a query re-quoted on the way) and the decoded
values are checked here with Binance's error codes: a parameter sent twice is -1101, too many
or too long ones are -1101/-1100, a missing or malformed mandatory one -1102, a malformed
optional one -1130, a symbol with characters outside Binance's legal range -1100.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import parse_qsl

from velox.binance.errors import BinanceError, bad_symbol, invalid, mandatory
from velox.frozen import frozen
from velox.money import MoneyError, parse_units

MAX_PARAMS = 40
MAX_VALUE = 1024
LONG_VALUES = {"batchOrders": 8192}  # five orders as JSON
MAX_TIME_MS = 10**15  # year 33658: anything larger is not a time
MAX_ID = 2**62
SYMBOL_RANGE = "^[A-Z0-9-_.]{1,20}$"
_SYMBOL = re.compile(SYMBOL_RANGE)
_INT = re.compile(r"-?[0-9]{1,19}")
_DECIMAL = re.compile(r"[0-9]{1,20}(?:\.[0-9]{1,20})?")


@frozen
class Page:
    """Which rows of a history (``userTrades``, ``allOrders``) a request asks for, as
    Binance pages them: from the id ``from_id`` on, or the oldest ``limit`` of the
    ``start``..``end`` window (ms, inclusive), both oldest first (``forward``); else the
    newest ``limit``. Answers are oldest first either way."""

    from_id: int | None
    start: int | None
    end: int | None
    limit: int

    @property
    def forward(self) -> bool:
        return self.from_id is not None or self.start is not None or self.end is not None


@frozen
class Params:
    """Decoded parameters (each name once) and the raw texts the signature covers."""

    values: dict[str, str]
    raw_query: str
    raw_body: str

    @classmethod
    def parse(cls, raw_query: str, raw_body: str) -> Params:
        values: dict[str, str] = {}
        pairs = [*_pairs(raw_query), *_pairs(raw_body)]
        if len(pairs) > MAX_PARAMS:
            raise BinanceError(-1101, "Too many parameters sent for this endpoint.")
        for name, value in pairs:
            if name in values:
                raise BinanceError(-1101, "Duplicate values for a parameter detected.")
            if len(value) > LONG_VALUES.get(name, MAX_VALUE) or len(name) > 64:
                raise BinanceError(-1100, f"Illegal characters found in parameter '{name}'.")
            values[name] = value
        return cls(values, raw_query, raw_body)

    def get(self, name: str) -> str | None:
        value = self.values.get(name)
        return value if value not in (None, "") else None

    def required(self, name: str) -> str:
        value = self.get(name)
        if value is None:
            raise mandatory(name)
        return value

    def required_int(self, name: str) -> int:
        value = self.required(name)
        if not _INT.fullmatch(value):
            raise mandatory(name)
        return int(value)

    def optional_int(self, name: str, low: int, high: int) -> int | None:
        value = self.get(name)
        if value is None:
            return None
        if not _INT.fullmatch(value) or not low <= int(value) <= high:
            raise invalid(name)
        return int(value)

    def window(self) -> tuple[int | None, int | None]:
        """``startTime`` and ``endTime``; -1023 when the start is after the end."""
        start = self.optional_int("startTime", 0, MAX_TIME_MS)
        end = self.optional_int("endTime", 0, MAX_TIME_MS)
        if start is not None and end is not None and start > end:
            raise BinanceError(-1023, "Start time is greater than end time.")
        return start, end

    def page(self, id_param: str, default_limit: int = 500) -> Page:
        """The ``Page`` asked for by ``id_param`` (``fromId``, ``orderId``), the window and
        ``limit`` (1 to 1000)."""
        start, end = self.window()
        limit = self.optional_int("limit", 1, 1000) or default_limit
        return Page(self.optional_int(id_param, 0, MAX_ID), start, end, limit)

    def optional_units(self, name: str) -> int | None:
        """A decimal parameter (price, quantity) as units of 10^-8."""
        value = self.get(name)
        if value is None:
            return None
        if not _DECIMAL.fullmatch(value):
            raise invalid(name)
        try:
            return parse_units(value)
        except MoneyError as exc:
            raise BinanceError(
                -1111, "Precision is over the maximum defined for this asset."
            ) from exc

    def choice(self, name: str, options: Iterable[str], default: str | None = None) -> str:
        value = self.get(name)
        if value is None:
            if default is None:
                raise mandatory(name)
            return default
        if value not in tuple(options):
            raise invalid(name)
        return value

    def symbol(
        self, symbols: Iterable[str], *, required: bool = True, name: str = "symbol"
    ) -> str | None:
        """The ``symbol`` parameter (or ``pair``, the perpetual's pair, the same name here):
        -1102 missing, -1100 outside Binance's range, -1121 not one of ours."""
        value = self.get(name)
        if value is None:
            if required:
                raise mandatory(name)
            return None
        if not _SYMBOL.fullmatch(value):
            raise BinanceError(
                -1100,
                f"Illegal characters found in parameter '{name}'; legal range is '{SYMBOL_RANGE}'.",
            )
        if value not in tuple(symbols):
            raise bad_symbol()
        return value


def _pairs(raw: str) -> list[tuple[str, str]]:
    if not raw:
        return []
    try:
        return parse_qsl(raw, keep_blank_values=True, max_num_fields=MAX_PARAMS * 2)
    except ValueError as exc:  # more fields than max_num_fields
        raise BinanceError(-1101, "Too many parameters sent for this endpoint.") from exc
