"""JSON in and out.

Requests are parsed with the standard library, ``parse_float=Decimal``, so ``0.1`` arrives as
the exact decimal the client wrote (orjson would hand us a binary float). NaN and Infinity are
not JSON and are refused, as are duplicate keys (which would make "which value won" a guess).
Responses are encoded with orjson.

Decoding is bounded before it starts, whoever sends the body (``--rate-limit-public`` lets an
address send 50 a second to the open routes): building a value costs far more than reading its
bytes (1 MiB of ``1.1,`` was 262,000 Decimals, ~100 ms of the one event loop), so a body with
more separators (``[ { , :`` outside strings) than any request needs is refused unread, found
by a few byte counts; and integers are kept under ``MAX_INT_DIGITS`` (``int()`` is quadratic
in the digits: 240 numbers of 4,300 digits were ~20 ms). Both are INVALID_JSON, as nesting
deeper than the parser goes always was.

A body must be declared ``Content-Type: application/json`` (else 415): a page on another site
can make a browser post ``text/plain`` or a form without a CORS preflight, but never
``application/json``, so the media type is part of the CSRF defence (login CSRF especially).
"""

from __future__ import annotations

import json
import re
from decimal import Decimal
from typing import Any, NoReturn

import orjson
from aiohttp import web

from velox.web.errors import ApiError, validation

MAX_BODY = 1024 * 1024  # SPEC section 10: 1 MiB
JSON_TYPE = "application/json"
# ``[ { , :`` outside strings: an object of 256 fields has 512 (its brace, a colon per
# field, a comma between two); the largest request Velox takes has about 20 fields.
MAX_SEPARATORS = 512
MAX_INT_DIGITS = 100  # a sign aside; no field takes a number near 10^100
_SEPARATORS = (b"[", b"{", b",", b":")


class _NotJson(ValueError):
    pass


def _reject_constant(name: str) -> NoReturn:
    raise _NotJson(f"{name} is not valid JSON")


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for key, value in pairs:
        if key in data:
            raise _NotJson(f"duplicate key {key!r}")
        data[key] = value
    return data


def _bounded_int(text: str) -> int:
    if len(text.lstrip("-")) > MAX_INT_DIGITS:
        raise ApiError("INVALID_JSON", f"a number has more than {MAX_INT_DIGITS} digits")
    return int(text)


# One decoder for every request: json.loads with custom hooks builds a new one per call.
_DECODER = json.JSONDecoder(
    parse_float=Decimal,
    parse_int=_bounded_int,
    parse_constant=_reject_constant,
    object_pairs_hook=_no_duplicates,
)


def _separators(raw: bytes) -> int:
    return sum(raw.count(mark) for mark in _SEPARATORS)


def _too_many_values(raw: bytes) -> bool:
    """More than ``MAX_SEPARATORS`` separators outside strings, counted without decoding.

    Counting every byte can only over-count (a ``,`` in a string), so a body past the
    limit is counted again outside its strings: with escaped backslashes and then escaped
    quotes taken out, the quotes left are the strings' own, and every other piece lies
    outside one. That count is exact for all the decoder would read (it stops at the first
    backslash outside a string, and up to there the pieces are the decoder's), so no body
    within the limit is refused and none past it is decoded. All of it is C byte scans.
    """
    if _separators(raw) <= MAX_SEPARATORS:
        return False
    plain = raw.replace(b"\\\\", b"").replace(b'\\"', b"")
    if plain.count(b'"') > 2 * (MAX_SEPARATORS + 1):  # each string is a value or a key
        return True
    outside = plain.split(b'"')[::2]
    return sum(_separators(piece) for piece in outside) > MAX_SEPARATORS


_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


def _has_lone_surrogate(data: Any) -> bool:
    """A string holding half of a UTF-16 pair: JSON can spell it (``"\\ud800"``), but it is
    no character, and encoding it later (bcrypt, the database) would fail."""
    stack = [data]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                return True
        elif isinstance(item, dict):
            stack.extend(item)
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False


def loads(raw: bytes) -> Any:
    """Exact JSON: floats as Decimal; ApiError(INVALID_JSON) for anything not strict JSON
    or past the limits above."""
    if _too_many_values(raw):
        raise ApiError(
            "INVALID_JSON",
            f"the request body holds more values than any request takes "
            f"(over {MAX_SEPARATORS} of [ {{ , : outside strings)",
        )
    try:
        text = raw.decode("utf-8")
        data = _DECODER.decode(text)
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        # ValueError covers JSONDecodeError, _NotJson and ints over the digit limit.
        raise ApiError("INVALID_JSON", "the request body is not valid JSON") from exc
    if _SURROGATE_ESCAPE.search(text) and _has_lone_surrogate(data):
        raise ApiError("INVALID_JSON", "the request body holds a lone UTF-16 surrogate")
    return data


async def read_body(request: web.Request) -> bytes:
    """The raw body, refusing more than 1 MiB before reading it when the length is declared."""
    length = request.content_length
    if length is not None and length > MAX_BODY:
        raise ApiError("BODY_TOO_LARGE", "the request body is larger than 1 MiB")
    raw = await request.read()  # client_max_size enforces the limit for chunked bodies
    if len(raw) > MAX_BODY:
        raise ApiError("BODY_TOO_LARGE", "the request body is larger than 1 MiB")
    return raw


def require_json_type(request: web.Request) -> None:
    """415 unless a body that is sent is declared JSON (checked before reading it)."""
    if request.body_exists and request.content_type != JSON_TYPE:
        raise ApiError("UNSUPPORTED_MEDIA_TYPE", f"the request body must be sent as {JSON_TYPE}")


async def json_object(request: web.Request, *, optional: bool = False) -> dict[str, Any]:
    """The body as a JSON object; with ``optional`` an empty body is ``{}``."""
    require_json_type(request)
    raw = await read_body(request)
    if optional and not raw.strip():
        return {}
    if not raw.strip():
        raise ApiError("INVALID_JSON", "a JSON body is required")
    data = loads(raw)
    if not isinstance(data, dict):
        raise validation("the request body must be a JSON object")
    return data


def dumps(data: Any) -> bytes:
    return orjson.dumps(data)


def json_response(
    data: Any, *, status: int = 200, headers: dict[str, str] | None = None
) -> web.Response:
    return web.Response(
        body=orjson.dumps(data),
        status=status,
        content_type="application/json",
        headers=headers,
    )
