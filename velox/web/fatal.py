"""A process whose engine stopped by itself ends, with status 1.

The engine stops for good on its own when it cannot go on safely: a journal gap found while
rebuilding, the database's writer lock taken by another process meanwhile, or its task
dying (``EngineService.failed``). Left running, the process would answer 503 to every write
and serve reads of a state that may no longer be the database's, while its supervisor
(systemd, a container's restart policy) saw nothing wrong. So ``velox run`` and
``velox engine`` end as a signal would end them (their cleanup runs), and exit 1 with the
reason. Only the CLI installs this: an app under test must not signal its test runner.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import sys

from aiohttp import web

from velox.web.keys import ENGINE_SERVICE

log = logging.getLogger(__name__)
_WATCHERS: set[asyncio.Task[None]] = set()


async def exit_when_the_engine_fails(app: web.Application) -> None:
    """An ``on_startup`` handler (after the engine's context has started it)."""
    service = app.get(ENGINE_SERVICE)
    if service is None:  # a gateway: no engine of its own
        return

    async def watch() -> None:
        await service.failed.wait()
        log.critical("the engine stopped: %s; Velox exits (status 1)", service.failure)
        signal.raise_signal(signal.SIGTERM)  # aiohttp's handler: a clean shutdown

    task = asyncio.get_running_loop().create_task(watch(), name="engine-failure-watch")
    _WATCHERS.add(task)
    task.add_done_callback(_WATCHERS.discard)


def exit_status(app: web.Application) -> int:
    """After ``run_app`` returned: 1 when the engine had stopped by itself, else 0."""
    service = app.get(ENGINE_SERVICE)
    if service is not None and service.failure is not None:
        print(f"velox: the engine stopped: {service.failure}", file=sys.stderr, flush=True)
        return 1
    return 0
