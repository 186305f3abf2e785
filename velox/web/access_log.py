"""The HTTP access log, at DEBUG only (``--log-level DEBUG``).

One line per request: method, path, status and duration. Never the query string (a magic
link's token, a listen key, a signed request's signature travel there), nor a listen key in
the path (``/ws/<listenKey>``, ``/private/ws/<listenKey>``: written as ``<listenKey>``), nor
any header (Authorization, cookies, API keys). At INFO and above aiohttp is told the log is off, so
it costs nothing on the hot path.
"""

from __future__ import annotations

import logging

from aiohttp.abc import AbstractAccessLogger
from aiohttp.web import BaseRequest, StreamResponse

from velox.listenkey_shape import hide_listen_keys

ACCESS_LOG = logging.getLogger("velox.access")


class DebugAccessLogger(AbstractAccessLogger):
    @property
    def enabled(self) -> bool:
        return self.logger.isEnabledFor(logging.DEBUG)

    def log(self, request: BaseRequest, response: StreamResponse, time: float) -> None:
        path = hide_listen_keys(request.rel_url.path)
        self.logger.debug("%s %s %d %.1f ms", request.method, path, response.status, time * 1000)
