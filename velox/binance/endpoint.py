"""One wrapper for every /fapi handler: parameters, weight, signature, errors as Binance.

``@endpoint(weight)`` (public) or ``@endpoint(weight, signed=READ|TRADE)`` turns a function
of a ``Call`` into an aiohttp handler that:

1. charges the weight per client IP, as Binance counts request weight (a flood of bad
   signatures under someone's API key spends the flooder's weight, not the key owner's) and
   answers ``X-MBX-USED-WEIGHT-1M``; past the limit 429 with -1003. This comes first, before
   the body is read: a weight that depends on the parameters (``limit``, ``symbol``) is one
   of a GET, which has none, so the query string (at most aiohttp's 8 KiB line) decides it;
2. reads the parameters (query string + form body) with Binance's checks; a body over
   ``MAX_FORM`` is refused (-1100) unread: decoding a 1 MiB form was ~100 ms of the one
   event loop, and the longest request Binance takes (``batchOrders``, five orders) is
   under 25 KiB percent-encoded;
3. for a signed endpoint, finds the key named by ``X-MBX-APIKEY`` (-2014 missing or
   malformed, -2015 unknown or revoked), checks ``timestamp``/``recvWindow`` (-1021) and the
   signature (-1022), then the permission (-2015; for TRADE also the account: a HEDGING
   account's key is read-only, ``KeyRing.may_trade``);
4. answers the handler's JSON, or ``{"code", "msg"}`` with Binance's status for any refusal.
   The engine starting or stopping, or a database that cannot be reached, is -1001 (503).
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web
from aiohttp.typedefs import Handler as AioHandler

from velox.binance.errors import (
    BinanceError,
    bad_key_format,
    internal,
    rejected_key,
    status_unknown,
)
from velox.binance.keyring import TRADE, Credential
from velox.binance.keys import KEYRING, WEIGHTS
from velox.binance.params import Params
from velox.binance.signing import check_signature, check_timestamp
from velox.frozen import frozen
from velox.published import EngineTimeout
from velox.service import EngineNotReady
from velox.store.unavailable import unavailable
from velox.web.auth.security import client_key
from velox.web.jsonio import json_response
from velox.web.keys import OPTIONS
from velox.web.middleware import note_unavailable

API_KEY_HEADER = "X-MBX-APIKEY"
WEIGHT_HEADER = "X-MBX-USED-WEIGHT-1M"
_KEY_FORMAT = re.compile(r"[A-Za-z0-9]{64}")
_FORM = "application/x-www-form-urlencoded"
_BODY_METHODS = ("POST", "PUT", "DELETE")
# The longest value (``batchOrders``) with every character percent-encoded, and room for
# the rest (timestamp, recvWindow, signature...).
MAX_FORM = 32 * 1024

Weight = int | Callable[[Params], int]


@frozen
class Call:
    """What a /fapi handler gets: the request, its parameters and, if signed, the key."""

    request: web.Request
    params: Params
    key: Credential | None

    @property
    def app(self) -> web.Application:
        return self.request.app

    @property
    def credential(self) -> Credential:
        assert self.key is not None, "only signed endpoints have a key"
        return self.key


Handler = Callable[[Call], Awaitable[Any]]


def answer(error: BinanceError, used: int | None = None) -> web.Response:
    headers = dict(error.headers)
    if used is not None:
        headers.setdefault(WEIGHT_HEADER, str(used))
    return json_response(error.body(), status=error.status, headers=headers)


def _too_long() -> BinanceError:
    return BinanceError(
        -1100, f"Illegal characters found in a parameter: the body is over {MAX_FORM} bytes."
    )


async def read_form(request: web.Request) -> bytes:
    """The body, refused unread past ``MAX_FORM`` when its length is declared, and read no
    further than that when it is not (chunked)."""
    if request.content_length is not None and request.content_length > MAX_FORM:
        raise _too_long()
    raw = bytearray()
    while chunk := await request.content.read(MAX_FORM + 1 - len(raw)):
        raw += chunk
        if len(raw) > MAX_FORM:
            raise _too_long()
    return bytes(raw)


async def read_params(request: web.Request, query: Params | None = None) -> Params:
    """The query string's and the form body's parameters; ``query``: the query string
    already parsed (``_cost``'s), used as it is when there is no body."""
    raw_body = ""
    if request.method in _BODY_METHODS and request.body_exists:
        if request.content_type not in (_FORM, "application/octet-stream", ""):
            raise BinanceError(-1130, "Data sent for parameter 'body' is not valid.")
        raw = await read_form(request)
        try:
            raw_body = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise BinanceError(-1100, "Illegal characters found in a parameter.") from exc
    if query is not None and not raw_body:
        return query
    return Params.parse(request.rel_url.raw_query_string, raw_body)


async def find_key(request: web.Request) -> Credential | None:
    """The live key ``X-MBX-APIKEY`` names, if it is well-formed and known."""
    api_key = request.headers.get(API_KEY_HEADER)
    if api_key is None or not _KEY_FORMAT.fullmatch(api_key):
        return None
    return await request.app[KEYRING].lookup(api_key)


def authenticate(
    request: web.Request,
    params: Params,
    key: Credential | None,
    permission: str,
    *,
    key_only: bool = False,
) -> Credential:
    """-2014 without a well-formed key, -2015 for an unknown one, then (unless ``key_only``)
    the timestamp and the signature, then the permission."""
    if key is None:
        if not _KEY_FORMAT.fullmatch(request.headers.get(API_KEY_HEADER, "")):
            raise bad_key_format()
        raise rejected_key()
    if not key_only:  # USER_STREAM endpoints (listenKey) take the key alone, as Binance's
        check_timestamp(params, request.app[OPTIONS].clock.wall_ms())
        check_signature(params, key.secret)
    if permission not in key.permissions:
        raise rejected_key()
    return key


@frozen
class Cost:
    """A request's weight, from its query string alone (see 1. above: only GETs, which have
    no body, weigh by their parameters); ``query``, that string parsed (``read_params``
    reuses it); ``refusal`` when its parameters cannot be weighed (a depth ``limit`` Binance
    does not take, a repeated parameter): such a request weighs what the endpoint's request
    without parameters does, and is charged that before it is refused, or a flood of them
    would never be limited."""

    weight: int
    query: Params | None = None
    refusal: BinanceError | None = None


def _cost(weight: Weight, request: web.Request) -> Cost:
    if not callable(weight):
        return Cost(weight)
    try:
        query = Params.parse(request.rel_url.raw_query_string, "")
        return Cost(weight(query), query)
    except BinanceError as refusal:
        return Cost(weight(Params.parse("", "")), refusal=refusal)


def endpoint(
    weight: Weight, *, signed: str | None = None, key_only: bool = False
) -> Callable[[Handler], AioHandler]:
    def wrap(fn: Handler) -> AioHandler:
        async def handler(request: web.Request) -> web.StreamResponse:
            used: int | None = None
            meter = request.app[WEIGHTS]
            try:
                # before the body, the key and the HMAC: a flood of bad requests is limited too
                cost = _cost(weight, request)
                used = meter.charge(f"ip:{client_key(request)}", cost.weight)
                if cost.refusal is not None:
                    raise cost.refusal
                params = await read_params(request, cost.query)
                key = None
                if signed is not None:
                    known = await find_key(request)
                    key = authenticate(request, params, known, signed, key_only=key_only)
                    if signed == TRADE and not await request.app[KEYRING].may_trade(key):
                        raise rejected_key()
                result = await fn(Call(request, params, key))
            except BinanceError as error:
                return answer(error, used)
            except EngineTimeout:  # the order may exist: Binance's own answer says so
                return answer(status_unknown(), used)
            except EngineNotReady:
                return answer(internal(), used)
            except Exception as exc:
                if not unavailable(exc):
                    raise  # a bug: the error middleware's 500
                note_unavailable(f"{request.method} {request.path}", exc)
                return answer(internal(), used)  # -1001 DISCONNECTED, 503: retry
            headers = {WEIGHT_HEADER: str(used)}
            if isinstance(result, web.StreamResponse):
                result.headers.update(headers)
                return result
            return json_response(result, headers=headers)

        handler.__name__ = fn.__name__
        handler.__doc__ = fn.__doc__
        return handler

    return wrap
