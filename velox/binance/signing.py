"""Binance's request signing, pure: which text is signed, its HMAC, the time window.

``signature`` is the hex HMAC-SHA256, under the key's secret, of ``totalParams``: the query
string concatenated with the request body, exactly as sent, without the ``signature``
parameter itself (Binance's "SIGNED endpoint" rules). The comparison is constant-time.

A signed request must carry ``timestamp`` (ms) and may carry ``recvWindow`` (default 5000,
at most 60000); it is accepted when ``timestamp < now + 1000`` and
``now - timestamp <= recvWindow``, as Binance checks it. Replaying a captured request
therefore works only inside its window, as on Binance.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from urllib.parse import quote_plus, unquote_plus

from velox.binance.errors import BinanceError, mandatory
from velox.binance.params import Params

DEFAULT_RECV_WINDOW = 5000
MAX_RECV_WINDOW = 60_000
FUTURE_TOLERANCE_MS = 1000
_HEX64 = re.compile(r"[0-9a-fA-F]{64}")


def _without_signature(raw: str) -> tuple[str, str | None]:
    """``raw`` minus its ``signature=...`` parameter, and that parameter's value."""
    if not raw:
        return raw, None
    kept, found = [], None
    for part in raw.split("&"):
        if part.startswith("signature="):
            found = part[len("signature=") :]
        else:
            kept.append(part)
    return "&".join(kept), found


def signed_parts(raw_query: str, raw_body: str) -> tuple[str, str, str | None]:
    """(the query and the body without the signature, the signature sent, if any):
    totalParams is the two concatenated."""
    query, in_query = _without_signature(raw_query)
    body, in_body = _without_signature(raw_body)
    return query, body, in_query if in_query is not None else in_body


def sign(secret: str, payload: str) -> str:
    return hmac.new(secret.encode("utf-8"), payload.encode("utf-8"), hashlib.sha256).hexdigest()


def _urlencoded(raw_query: str) -> str:
    """``raw_query`` with every name and value percent-encoded as ``urlencode`` encodes them:
    the text a client signed before its URL library re-quoted the query it sends (aiohttp's
    yarl turns ``%2F`` into ``/`` and ``%3A`` into ``:``, so a clientOrderId ``grid/1:a``
    arrived unlike what was signed)."""
    encoded = []
    for part in raw_query.split("&"):
        name, sep, value = part.partition("=")
        encoded.append(quote_plus(unquote_plus(name)) + sep + quote_plus(unquote_plus(value)))
    return "&".join(encoded)


def check_signature(params: Params, secret: str) -> None:
    """-1102 without a signature; -1022 unless it is the HMAC under ``secret`` of the
    payload as it arrived or (its query re-quoted on the way) as ``urlencode`` wrote it.
    Both texts name the same parameters, so the second accepts nothing the secret did not
    sign."""
    query, body, sent = signed_parts(params.raw_query, params.raw_body)
    if not sent:
        raise mandatory("signature")
    if not _HEX64.fullmatch(sent):
        raise BinanceError(-1022, "Signature for this request is not valid.")
    sent = sent.lower()
    if hmac.compare_digest(sign(secret, query + body), sent):
        return
    if query and hmac.compare_digest(sign(secret, _urlencoded(query) + body), sent):
        return  # re-quoted on the way: the second HMAC only for a request the first refused
    raise BinanceError(-1022, "Signature for this request is not valid.")


def check_timestamp(params: Params, now_ms: int) -> None:
    """-1102 without a well-formed timestamp; -1131 for a recvWindow out of range; -1021
    when the request is too old for its window or from more than 1 s in the future."""
    timestamp = params.required_int("timestamp")
    window_text = params.get("recvWindow")
    window = DEFAULT_RECV_WINDOW
    if window_text is not None:
        if not window_text.isascii() or not window_text.isdigit() or len(window_text) > 12:
            raise BinanceError(-1131, "recvWindow must be less than 60000")
        window = int(window_text)
        if not 0 < window <= MAX_RECV_WINDOW:
            raise BinanceError(-1131, "recvWindow must be less than 60000")
    if timestamp >= now_ms + FUTURE_TOLERANCE_MS:
        raise BinanceError(
            -1021, "Timestamp for this request was 1000ms ahead of the server's time."
        )
    if now_ms - timestamp > window:
        raise BinanceError(-1021, "Timestamp for this request is outside of the recvWindow.")
