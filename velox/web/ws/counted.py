"""``counted``: a websocket route whose sockets count toward ``--max-sockets-per-ip``.

One decorator for every stream endpoint, the native ``/ws`` and Binance's, so the cap is one
budget per address whichever the client opens. The slot is taken before the upgrade and
given back when the handler returns, however it ends.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

from aiohttp import web
from aiohttp.typedefs import Handler

from velox.web.auth.security import client_key
from velox.web.keys import SOCKET_QUOTA

TOO_MANY = "too many websockets open from this address"
# Every 429 carries Retry-After (SPEC 7); a slot frees when one of the address's sockets
# closes, at no time known here, so: ask again in a second.
RETRY_AFTER = {"Retry-After": "1"}


def counted(refusal: Callable[[], web.StreamResponse]) -> Callable[[Handler], Handler]:
    """``refusal()`` answers a handshake from an address at its cap (it may raise)."""

    def wrap(handler: Handler) -> Handler:
        @functools.wraps(handler)
        async def within_quota(request: web.Request) -> web.StreamResponse:
            quota, address = request.app[SOCKET_QUOTA], client_key(request)
            if not quota.take(address):
                return refusal()
            try:
                return await handler(request)
            finally:
                quota.give_back(address)

        return within_quota

    return wrap
