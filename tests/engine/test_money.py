"""velox/money.py, exactly: the one place that turns text into units and back (SPEC 1).

Every amount a user types or reads passes here, so each rule is pinned to the unit: at most
8 decimals, ASCII digits only, no NaN / Infinity / overflowing exponents, negatives and zero
only where allowed, 8-decimal strings out, and the explicit roundings the engine uses.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from velox.money import (
    MAX_UNITS,
    SCALE,
    MoneyError,
    format_optional,
    format_units,
    mul_ceil,
    mul_div_ceil,
    mul_div_floor,
    mul_floor,
    parse_units,
    units,
)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("92000.5", 9_200_050_000_000),
        ("0.00000001", 1),
        ("0.1", 10_000_000),
        (".5", 50_000_000),
        ("7.", 700_000_000),
        ("+3", 300_000_000),
        (" 2.25 ", 225_000_000),
        ("1.000000000000", SCALE),  # zeros past 8 decimals carry no precision
        ("0", 0),
        (7, 7 * SCALE),
        (0.1, 10_000_000),  # a JSON float, read through its shortest text
        (1e-05, 1000),
        (123456.78901234, 12_345_678_901_234),
        (Decimal("19.99999999"), 1_999_999_999),
        (Decimal("1E+2"), 100 * SCALE),
        ("1000000000000000", MAX_UNITS),  # the largest amount taken: 10^15
    ],
)
def test_parse_units_reads_exact_amounts(value: object, expected: int) -> None:
    assert parse_units(value) == expected


@pytest.mark.parametrize(
    "value",
    [
        "1.000000001",  # a 9th decimal that is not zero
        "0.000000005",
        "١٠",  # Arabic-Indic digits
        "1e3",
        "NaN",
        "Infinity",
        "",
        ".",
        "1.2.3",
        "--1",
        "1" * 65,  # too long to be an amount
        "1000000000000000.00000001",  # one unit over the maximum
        "-1",  # negative where not allowed
        -0.5,
        float("nan"),
        float("inf"),
        float("-inf"),
        True,
        None,
        [1],
        Decimal("NaN"),
        Decimal("Infinity"),
        Decimal("1E+21"),
        Decimal("1E-65"),
    ],
)
def test_parse_units_refuses_what_is_not_money(value: object) -> None:
    with pytest.raises(MoneyError):
        parse_units(value)


def test_negatives_and_zero_only_where_allowed() -> None:
    assert parse_units("-1.25", allow_negative=True) == -125_000_000
    assert parse_units("-.5", allow_negative=True) == -50_000_000
    assert parse_units(-2, allow_negative=True) == -2 * SCALE
    with pytest.raises(MoneyError):
        parse_units("0", allow_zero=False)
    with pytest.raises(MoneyError):
        parse_units("0.00000000", allow_zero=False)
    assert parse_units("0.00000001", allow_zero=False) == 1
    assert units("-0.00000001") == -1


@pytest.mark.parametrize(
    ("amount", "text"),
    [
        (9_200_050_000_000, "92000.50000000"),
        (1, "0.00000001"),
        (0, "0.00000000"),
        (-1, "-0.00000001"),
        (-125_000_000, "-1.25000000"),
        (MAX_UNITS, "1000000000000000.00000000"),
    ],
)
def test_format_units_writes_eight_decimals(amount: int, text: str) -> None:
    assert format_units(amount) == text
    assert parse_units(text, allow_negative=True) == amount
    assert format_optional(amount) == text


def test_format_optional_keeps_none() -> None:
    assert format_optional(None) is None


def test_roundings_are_exact_for_every_sign() -> None:
    # floor goes toward -infinity and ceil toward +infinity, also for losses
    assert mul_div_floor(7, 1, 2) == 3
    assert mul_div_floor(-7, 1, 2) == -4
    assert mul_div_ceil(7, 1, 2) == 4
    assert mul_div_ceil(-7, 1, 2) == -3
    assert mul_div_floor(6, 3, 9) == mul_div_ceil(6, 3, 9) == 2
    # price x qty at scale: 92000.5 USD x 0.00000003 BTC = 0.0027600150 USD
    assert mul_floor(9_200_050_000_000, 3) == 276_001
    assert mul_ceil(9_200_050_000_000, 3) == 276_002
    assert mul_floor(-9_200_050_000_000, 3) == -276_002
    assert mul_ceil(-9_200_050_000_000, 3) == -276_001
    assert mul_floor(SCALE, SCALE) == mul_ceil(SCALE, SCALE) == SCALE


TOO_PRECISE = "at most 8 decimals are allowed"
NOT_DECIMAL = "must be a plain decimal number with at most 8 decimals"


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (True, "must be a number or a decimal string"),
        (None, "must be a number or a decimal string"),
        (float("nan"), "must be a finite number"),
        (float("inf"), "must be a finite number"),
        (float("-inf"), "must be a finite number"),
        (Decimal("NaN"), "must be a finite number"),
        (Decimal("1E+21"), "number out of range or too precise"),
        (Decimal("1E+20"), "number out of range"),  # 10^20: read, then over the maximum
        (Decimal("1E-65"), "number out of range or too precise"),
        (Decimal("1E-64"), "number too long"),  # read, then 66 characters of text
        ("1" * 65, "number too long"),
        ("1.000000001", TOO_PRECISE),
        ("١٠", NOT_DECIMAL),
        ("1e3", NOT_DECIMAL),
        ("1000000000000000.00000001", "number out of range"),
        ("-1", "must not be negative"),
    ],
)
def test_each_refusal_says_why(value: object, message: str) -> None:
    """The message is what the API's 400 shows next to the field."""
    with pytest.raises(MoneyError) as caught:
        parse_units(value)
    assert str(caught.value) == message


def test_zero_refused_where_not_allowed_says_so() -> None:
    with pytest.raises(MoneyError) as caught:
        parse_units("0", allow_zero=False)
    assert str(caught.value) == "must be greater than zero"


def test_limits_of_length_and_exponent() -> None:
    assert parse_units("0." + "0" * 62) == 0  # 64 characters: still read
    assert parse_units(1e-07) == 10  # repr "1e-07": read through its plain decimal text
    assert parse_units(Decimal("1E-8")) == 1
