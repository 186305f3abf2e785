"""What the log says about a request aiohttp's parser refuses (400 before any handler runs).

aiohttp logs it at ERROR with a traceback whose message quotes the offending bytes: a header
line with a stray control character quotes the whole header (a session cookie, a bearer
token), a URL over 8 KiB quotes its start (a webhook token, a ticket). SPEC 10 says no token
reaches a log line, and a client that can make every request log a traceback can flood the
log. ``MalformedRequestLog`` turns each such record into one WARNING line naming the peer
and the kind of error, without the bytes, and lets at most one through per second (saying
how many it held back).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from aiohttp.http_exceptions import HttpProcessingError

SERVER_LOGGER = "aiohttp.server"
INTERVAL_S = 1.0


class MalformedRequestLog(logging.Filter):
    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__()
        self._clock = clock
        self._last: float | None = None
        self._held = 0

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        if not isinstance(exc, HttpProcessingError):
            return True
        now = self._clock()
        if self._last is not None and now - self._last < INTERVAL_S:
            self._held += 1
            return False
        peer = record.args[0] if isinstance(record.args, tuple) and record.args else "?"
        held, self._last, self._held = self._held, now, 0
        record.msg = "refused a malformed HTTP request from %s: %s %s%s"
        record.args = (peer, type(exc).__name__, exc.code, f" ({held} more held back)" * bool(held))
        record.exc_info, record.exc_text = None, None
        record.levelno, record.levelname = logging.WARNING, "WARNING"
        return True


def quiet_malformed_requests() -> None:
    """Install the filter on aiohttp's server logger (once per process)."""
    logger = logging.getLogger(SERVER_LOGGER)
    if not any(isinstance(f, MalformedRequestLog) for f in logger.filters):
        logger.addFilter(MalformedRequestLog())
