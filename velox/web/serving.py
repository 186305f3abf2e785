"""``serve_app``: what ``web.run_app`` did for ``velox run`` and the roles (an event loop, a
clean stop on SIGINT/SIGTERM, the port announced), on one --host/--port, with
``connections.ConnectionCap`` between the listening socket and aiohttp. ``run_app`` builds
its own sites and takes no protocol factory, so this assembles the same public pieces
(``web.AppRunner``, ``loop.create_server``) itself.

The first SIGINT or SIGTERM starts the stop; the stop then runs to its end. aiohttp's own
handlers raise ``GracefulExit`` at every signal, so a second one (Ctrl-C pressed twice, a
wrapper forwarding a signal it also got) landed inside the cleanup and cancelled the rest of
it: a CleanupError traceback, no final snapshot. A second signal is now only logged
(``kill -9`` still stops at once).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Callable, Coroutine
from typing import Any

from aiohttp import web

from velox.web.access_log import ACCESS_LOG, DebugAccessLogger
from velox.web.connections import ConnectionCap

log = logging.getLogger("velox")
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)
KEEPALIVE_S = 75.0  # run_app's: idle time allowed between one connection's requests
BACKLOG = 128  # run_app's
CANCEL_WAIT_S = 5.0
# In-flight requests get this long to finish at a stop (aiohttp's default, 60 s, held a stop
# with an order waiting for a database that had gone away for two minutes).
SHUTDOWN_S = 10.0


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
    except KeyboardInterrupt:  # Ctrl-C where the loop takes no signal handlers (Windows)
        pass
    finally:
        try:
            if not main.done():  # interrupted: run the cleanup below
                main.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    loop.run_until_complete(main)
        finally:
            _cancel_the_rest(loop)
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()
            # closing the loop put the default handlers back: a signal from here to the
            # interpreter's exit killed a process that had stopped cleanly (status 143).
            # Ignored, not handled: the interpreter's finalization resets a Python handler
            # to the default, and the window opens again.
            for sig in STOP_SIGNALS:
                with contextlib.suppress(ValueError, OSError):  # not the main thread
                    signal.signal(sig, signal.SIG_IGN)


async def _serve(
    app: web.Application,
    host: str,
    port: int,
    cap: ConnectionCap,
    announce: Callable[[int], None],
) -> None:
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    _on_stop_signals(loop, stop)
    runner = web.AppRunner(
        app,
        handle_signals=False,  # ours: the first signal stops, the others wait for it
        keepalive_timeout=KEEPALIVE_S,
        shutdown_timeout=SHUTDOWN_S,
        access_log=ACCESS_LOG,  # at DEBUG only: DebugAccessLogger.enabled
        access_log_class=DebugAccessLogger,
    )
    try:  # a start refused by a later part stops the parts already started
        if not await _started(runner.setup(), stop):
            log.info("stopped before it had started")
            return
        assert runner.server is not None  # set up
        factory = cap.guarded(runner.server)
        listening = await loop.create_server(factory, host, port, backlog=BACKLOG)
        try:
            announce(listening.sockets[0].getsockname()[1])
            await stop.wait()
        finally:
            listening.close()  # no new connections; the runner closes the open ones
    finally:
        await runner.cleanup()


async def _started(setup: Coroutine[Any, Any, None], stop: asyncio.Event) -> bool:
    """Run the start (each part's first half: the store, the journal's replay, the bus, the
    feed) until it ends, True, or a stop signal comes first, False: the start is cancelled
    where it waits. The signal was only looked at once serving, so a start waiting for a NATS
    or a database that never answers could only be killed with -9. A refused start raises."""
    starting = asyncio.ensure_future(setup)
    stopping = asyncio.ensure_future(stop.wait())
    try:
        await asyncio.wait({starting, stopping}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        stopping.cancel()
        if not starting.done():
            starting.cancel()
        await asyncio.gather(starting, stopping, return_exceptions=True)
    if starting.cancelled():
        return False
    starting.result()  # a refusal raises here
    return True


def _on_stop_signals(loop: asyncio.AbstractEventLoop, stop: asyncio.Event) -> None:
    """SIGINT and SIGTERM set ``stop``; once it is set, they are logged and nothing more.
    Where the loop takes no signal handlers (Windows), Ctrl-C stays a KeyboardInterrupt."""

    def stopping(sig: signal.Signals) -> None:
        if stop.is_set():
            log.warning("already stopping (%s again): kill -9 stops at once", sig.name)
            return
        stop.set()

    for sig in STOP_SIGNALS:
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stopping, sig)


def _cancel_the_rest(loop: asyncio.AbstractEventLoop) -> None:
    """Cancel the tasks still running after the cleanup, as ``run_app`` does, waiting
    ``CANCEL_WAIT_S`` at most: a task that outlives its cancellation is named in the log and
    left, so the process still ends (one that did kept a refused gateway up for ever)."""
    tasks = asyncio.all_tasks(loop)
    for task in tasks:
        task.cancel()
    if tasks:
        loop.run_until_complete(asyncio.wait(tasks, timeout=CANCEL_WAIT_S))
    for task in tasks:
        if not task.done():
            log.error("task %s did not stop when cancelled; exiting without it", task.get_name())
        elif not task.cancelled() and task.exception() is not None:
            loop.call_exception_handler(
                {
                    "message": "unhandled exception during shutdown",
                    "exception": task.exception(),
                    "task": task,
                }
            )
