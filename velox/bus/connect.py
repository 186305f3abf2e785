"""Connecting to NATS the way every role does: retry until the server answers, then
reconnect forever (a NATS restart must not end a Velox process), logging each change and
telling the ``Link`` given, if any (what was published meanwhile is lost to us)."""

from __future__ import annotations

import asyncio
import logging

import nats
from nats import errors as nats_errors
from nats.aio.client import Client

from velox.bus.link import Link
from velox.feeds.ratelog import RateLimitedLog

log = logging.getLogger(__name__)
RECONNECT_WAIT_S = 0.5
FIRST_RETRY_S = 0.25
MAX_RETRY_S = 5.0
REPORT_EVERY_S = 60.0  # an unreachable NATS: one log line a minute, with a count
FLUSH_S = 5  # at stop: what NATS has not taken by then is given up


async def connect(url: str, name: str, link: Link | None = None) -> Client:
    """A connected client named ``name`` (shown by the NATS server's monitoring); ``url``
    may list several servers of a cluster, comma-separated."""
    link = link or Link()
    servers = [u.strip() for u in url.split(",") if u.strip()]
    connected: list[Client] = []

    async def disconnected() -> None:
        if connected and connected[0].is_closed:
            return  # our own close at shutdown: nothing is reconnecting
        log.warning("bus: disconnected from NATS; reconnecting")
        link.lost("this gateway's link to NATS was cut; it is reconnecting")

    async def reconnected() -> None:
        log.info("bus: reconnected to NATS")
        link.back()

    # nats-py retries by itself, the first connection too, every RECONNECT_WAIT_S: one line
    # per attempt was the log twice a second for as long as NATS stayed away
    unreachable = RateLimitedLog(log, logging.WARNING, REPORT_EVERY_S)
    reconnecting = RateLimitedLog(log, logging.INFO, REPORT_EVERY_S)

    async def error(exc: Exception) -> None:
        if isinstance(exc, nats_errors.SlowConsumerError):  # the server dropped messages
            link.lost("messages from NATS were dropped (a slow consumer)")
            link.back()
        what = str(exc) or type(exc).__name__
        if not connected:
            unreachable("bus: cannot reach NATS at %s (%s); retrying", _safe(url), what)
        else:
            reconnecting("bus: %s", what)

    delay = FIRST_RETRY_S
    while True:
        try:
            client = await nats.connect(
                servers,
                name=name,
                allow_reconnect=True,
                max_reconnect_attempts=-1,
                reconnect_time_wait=RECONNECT_WAIT_S,
                ping_interval=5,
                max_outstanding_pings=2,
                disconnected_cb=disconnected,
                reconnected_cb=reconnected,
                error_cb=error,
            )
            connected.append(client)
            return client
        except Exception as exc:
            log.warning(
                "bus: cannot reach NATS at %s (%s); retry in %.1f s", _safe(url), exc, delay
            )
            await asyncio.sleep(delay)
            delay = min(delay * 2, MAX_RETRY_S)


async def close(nc: Client) -> None:
    """Flush what is published, then close. A stop while NATS is gone (reconnecting) must
    still end cleanly, status 0: what waits unsent is lost either way, and nats-py's
    ``close`` would write it to the dead socket and raise ``RuntimeError``."""
    if nc.is_closed:
        return
    if nc.is_connected:
        try:
            await nc.flush(timeout=FLUSH_S)
        except (TimeoutError, nats_errors.Error, OSError) as exc:
            log.warning("bus: cannot flush to NATS at stop (%s)", exc or type(exc).__name__)
    else:
        log.warning("bus: NATS is unreachable at stop; what was not yet sent is dropped")
        nc._pending, nc._pending_data_size = [], 0  # nats-py has no public way to drop them
    try:
        await nc.close()
    except (RuntimeError, OSError, nats_errors.Error) as exc:  # the socket died meanwhile
        log.warning("bus: closing the NATS connection failed (%s)", exc)


def _safe(url: str) -> str:
    """The URL without credentials, for the log."""
    scheme, sep, rest = url.partition("://")
    return scheme + sep + rest.rpartition("@")[2] if sep else url.rpartition("@")[2]
