"""What a listen key looks like: 64 letters and digits, as Binance makes them (and
``velox.binance.streams.listenbook``).

The Binance streams tell a listen key from stream names by it (``/ws/<listenKey>``), and the
access log writes any path segment of this shape as ``<listenKey>``: a listen key opens its
user's data stream without the API secret, for up to 60 minutes.
"""

from __future__ import annotations

import re

LISTEN_KEY = re.compile(r"[A-Za-z0-9]{64}")
LISTEN_KEY_SHOWN = "<listenKey>"


def hide_listen_keys(path: str) -> str:
    """``path`` with each segment that could be a listen key replaced by ``<listenKey>``."""
    if len(path) < 64:
        return path  # the common case: no segment can be one
    return "/".join(
        LISTEN_KEY_SHOWN if LISTEN_KEY.fullmatch(part) else part for part in path.split("/")
    )
