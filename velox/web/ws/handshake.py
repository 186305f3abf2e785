"""The websocket handshake's request headers (RFC 6455 section 4.1), checked before upgrading.

Stated as patterns the API document repeats (ASCII, matched whole), and stricter than
aiohttp's own checks, so a handshake the document accepts is always upgraded and anything
else is a 400 VALIDATION_ERROR naming the header, not aiohttp's bare 400.
"""

from __future__ import annotations

import re

from aiohttp import web

from velox.web.errors import validation

HANDSHAKE_HEADERS: dict[str, str] = {
    "Upgrade": r"^[Ww][Ee][Bb][Ss][Oo][Cc][Kk][Ee][Tt]$",
    "Connection": r"^(?:[A-Za-z-]+, ?)*[Uu][Pp][Gg][Rr][Aa][Dd][Ee](?:, ?[A-Za-z-]+)*$",
    "Sec-WebSocket-Version": r"^13$",
    "Sec-WebSocket-Key": r"^[A-Za-z0-9+/]{21}[AQgw]==$",  # base64 of 16 bytes
}
_PATTERNS = {name: re.compile(pattern) for name, pattern in HANDSHAKE_HEADERS.items()}


def check_handshake(request: web.Request) -> None:
    for name, pattern in _PATTERNS.items():
        if not pattern.fullmatch(request.headers.get(name, "")):
            raise validation(f"not a websocket handshake: {name} is missing or invalid", name)
