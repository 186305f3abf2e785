"""Checks of settings that need the system (a file, a name lookup, a free port), made before
anything starts.

A bad value used to surface only once the engine had replayed and said READY, as a 20-40
line traceback from deep inside the feed or aiohttp's bind; each is one ``velox: ...`` line
(``StartCheckError``) instead, before the database is even opened.
"""

from __future__ import annotations

import socket

from velox.config import Settings


class StartCheckError(Exception):
    """A setting this process cannot start with; the message is the one line shown."""


def listen_url(host: str, port: int) -> str:
    """``http://HOST:PORT/``, with an IPv6 literal in brackets as URLs require."""
    shown = f"[{host}]" if ":" in host and not host.startswith("[") else host
    return f"http://{shown}:{port}/"


def check_listen(host: str, port: int) -> None:
    """Resolve ``host`` and bind ``port`` there (and let go at once), as the server will: a
    name that does not resolve or an address in use is refused now, in one line."""
    try:
        infos = socket.getaddrinfo(
            host or None, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )
    except (socket.gaierror, UnicodeError) as exc:
        reason = exc.strerror if isinstance(exc, socket.gaierror) else str(exc)
        raise StartCheckError(f"cannot listen on --host {host}: {reason}") from exc
    for family, kind, proto, _, address in infos:
        try:
            with socket.socket(family, kind, proto) as probe:
                probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as asyncio does
                if family == socket.AF_INET6:
                    probe.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
                probe.bind(address)
        except OSError as exc:
            raise StartCheckError(bind_failure(host, port, exc)) from exc


def bind_failure(host: str, port: int, exc: OSError) -> str:
    """The one line for a failed bind: the address, and why (``Address already in use``)."""
    return f"cannot listen on {listen_url(host, port)}: {exc.strerror or exc}"


def check_feed(settings: Settings) -> None:
    """A replay file that is missing, an aggTrades file or one not named like
    ``BTCUSDT-trades-2025-01.csv`` is refused before the engine replays the journal."""
    if not settings.feed.startswith("replay:"):
        return
    from velox.feeds.replay import ReplayFeed

    try:
        ReplayFeed(settings.feed.removeprefix("replay:"), speed=settings.replay_speed)
    except ValueError as exc:
        raise StartCheckError(f"--feed {settings.feed}: {exc}") from exc


def check_before_start(settings: Settings, command: str) -> None:
    """Every check ``command`` needs: the feed for the ones that run the engine, the listen
    address for the ones that serve (``audit`` serves nothing)."""
    if command in ("run", "engine"):
        check_feed(settings)
    if command in ("run", "engine", "gateway"):
        check_listen(settings.host, settings.port)
