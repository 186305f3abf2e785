"""``serve_app``: what ``web.run_app`` did for ``velox run`` and the roles (an event loop, a
clean stop on SIGINT/SIGTERM, the port announced), on one --host/--port, with
``connections.ConnectionCap`` between the listening socket and aiohttp. ``run_app`` builds
its own sites and takes no protocol factory, so this assembles the same public pieces
(``web.AppRunner``, ``loop.create_server``) itself.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable

from aiohttp import web

from velox.web.access_log import ACCESS_LOG, DebugAccessLogger
from velox.web.connections import ConnectionCap

KEEPALIVE_S = 75.0  # run_app's: idle time allowed between one connection's requests
BACKLOG = 128  # run_app's


def serve_app(
    app: web.Application,
    loop: asyncio.AbstractEventLoop,
    *,
    host: str,
    port: int,
    cap: ConnectionCap,
    announce: Callable[[int], None],
) -> None:
    """Serve ``app`` until SIGINT or SIGTERM; ``announce(port)`` once listening (the port
    the system picked for ``port`` 0). A bind failure's ``OSError`` is raised."""
    main = loop.create_task(_serve(app, host, port, cap, announce))
    try:
        asyncio.set_event_loop(loop)
        loop.run_until_complete(main)
    except (web.GracefulExit, KeyboardInterrupt):  # the runner's signal handlers
        pass
    finally:
        try:
            if not main.done():  # stopped by a signal: run the cleanup below
                main.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    loop.run_until_complete(main)
        finally:
            _cancel_the_rest(loop)
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()


async def _serve(
    app: web.Application,
    host: str,
    port: int,
    cap: ConnectionCap,
    announce: Callable[[int], None],
) -> None:
    runner = web.AppRunner(
        app,
        handle_signals=True,
        keepalive_timeout=KEEPALIVE_S,
        access_log=ACCESS_LOG,  # at DEBUG only: DebugAccessLogger.enabled
        access_log_class=DebugAccessLogger,
    )
    await runner.setup()
    try:
        assert runner.server is not None  # set up
        factory = cap.guarded(runner.server)
        loop = asyncio.get_running_loop()
        listening = await loop.create_server(factory, host, port, backlog=BACKLOG)
        try:
            announce(listening.sockets[0].getsockname()[1])
            await loop.create_future()  # until a signal ends the loop
        finally:
            listening.close()  # no new connections; the runner closes the open ones
    finally:
        await runner.cleanup()


def _cancel_the_rest(loop: asyncio.AbstractEventLoop) -> None:
    """Cancel the tasks still running after the cleanup, as ``run_app`` does."""
    tasks = asyncio.all_tasks(loop)
    for task in tasks:
        task.cancel()
    if tasks:
        loop.run_until_complete(asyncio.gather(*tasks, return_exceptions=True))
    for task in tasks:
        if not task.cancelled() and task.exception() is not None:
            loop.call_exception_handler(
                {
                    "message": "unhandled exception during shutdown",
                    "exception": task.exception(),
                    "task": task,
                }
            )
