"""Request bodies are decoded only when no bigger than any request can be.

1 MiB of JSON numbers was 262,000 Decimals, ~100 ms of the one event loop, and
``POST /api/v1/user/auth/verify`` takes 50 bodies a second from anyone (an outside review).
A body with more separators than ``MAX_SEPARATORS`` is refused before it is decoded, and so
is an integer of more than ``MAX_INT_DIGITS`` digits; anything else decodes exactly as
``json.loads`` with Decimal floats does (the oracle here), however many commas, colons,
brackets or escaped quotes its strings hold.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.web.helpers import JSON
from velox.web.errors import ApiError
from velox.web.jsonio import MAX_INT_DIGITS, MAX_SEPARATORS, loads

LIMIT = MAX_SEPARATORS


def oracle(raw: bytes) -> Any:
    return json.loads(raw, parse_float=Decimal)


def separators(value: Any) -> int:
    """``[ { , :`` outside strings in the JSON of ``value``, from its shape alone."""
    if isinstance(value, list):
        return 1 + max(len(value) - 1, 0) + sum(separators(v) for v in value)
    if isinstance(value, dict):
        commas = max(len(value) - 1, 0)
        return 1 + len(value) + commas + sum(separators(v) for v in value.values())
    return 0


def refused(raw: bytes) -> str:
    with pytest.raises(ApiError) as info:
        loads(raw)
    assert info.value.code == "INVALID_JSON"
    return info.value.message


def test_a_body_of_more_values_than_any_request_is_refused_before_decoding() -> None:
    numbers = ("[" + ",".join(["1.1"] * LIMIT) + "]").encode()  # LIMIT - 1 commas, a bracket
    assert loads(numbers) == [Decimal("1.1")] * LIMIT
    assert "more values than any request takes" in refused(numbers.replace(b"[", b"[1.1,"))
    for many in (
        ('{"token":[' + ",".join(["1.1"] * 262_000) + "]}").encode(),  # the review's body
        b"[" + b",".join([b"[]"] * 300_000) + b"]",
        b"[" + b",".join([b"{}"] * 300_000) + b"]",
        b"[" + b",".join([b'"a"'] * 300_000) + b"]",
        b'{"a":' * 600 + b"1" + b"}" * 600,
    ):
        refused(many)


def test_separators_inside_strings_do_not_count() -> None:
    for text in (",", ":", "[{", '",', '\\",', "\\", '\\"', "é,"):
        body = {"password": text * (2 * LIMIT), "email": "a@example.com", "n": [1, 2.5]}
        for ensure_ascii in (True, False):
            raw = json.dumps(body, ensure_ascii=ensure_ascii).encode()
            assert loads(raw) == oracle(raw), text


def test_integers_are_kept_short() -> None:
    longest = "9" * MAX_INT_DIGITS
    assert loads(f'{{"a": {longest}, "b": -{longest}}}'.encode()) == {
        "a": int(longest),
        "b": -int(longest),
    }
    assert "more than 100 digits" in refused(f'{{"a": {longest}9}}'.encode())
    assert "more than 100 digits" in refused(f'{{"a": -{longest}9}}'.encode())
    # a decimal is read by Decimal, linear in its digits: as long as it likes
    assert loads(b"[0." + b"0" * 5000 + b"1]") == [Decimal("1e-5001")]


_TEXT = st.text(st.sampled_from(',:[]{}"\\ aé\u2028') | st.characters(exclude_categories=["Cs"]))
_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(-(10**MAX_INT_DIGITS) + 1, 10**MAX_INT_DIGITS - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | _TEXT
)
_VALUES = st.recursive(
    _SCALARS,
    lambda inner: st.lists(inner, max_size=40) | st.dictionaries(_TEXT, inner, max_size=40),
    max_leaves=400,
)


@settings(max_examples=150, deadline=None)
@given(_VALUES, st.booleans())
def test_decoding_is_the_plain_decoders_or_refused_for_too_many_separators(
    value: Any, ensure_ascii: bool
) -> None:
    raw = json.dumps(value, ensure_ascii=ensure_ascii).encode()
    if separators(value) > LIMIT:
        refused(raw)
    else:
        assert loads(raw) == oracle(raw)


async def test_the_open_sign_in_route_refuses_a_body_of_numbers(
    client: TestClient[Any, Any],
) -> None:
    """The review's request: anonymous, the route counts it under --rate-limit-public."""
    body = ('{"token":[' + ",".join(["1.1"] * 262_000) + "]}").encode()
    response = await client.post("/api/v1/user/auth/verify", data=body, headers=JSON)
    answer = await response.json()
    assert response.status == 400, answer
    assert answer["error"]["code"] == "INVALID_JSON"
    assert "more values than any request takes" in answer["error"]["message"]
    # a request of its own size is read as before
    response = await client.post("/api/v1/user/auth/verify", json={"token": "x" * 20})
    assert response.status == 200
