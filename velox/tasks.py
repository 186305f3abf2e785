"""Waiting for a task to end without losing the waiter's own cancellation.

``task.cancel(); with suppress(asyncio.CancelledError): await task`` swallows every
CancelledError raised at that ``await``: the task's own, expected, and one aimed at the task
doing the waiting (a stop that cancels it meanwhile), which then carries on as if never
asked to stop. On Python 3.11 that second cancellation is even handed on to the awaited task
only, and never raised in the waiter at all if the awaited task ends normally. So the
waiter's cancellation counter (``Task.cancelling``) decides instead: if it grew while
waiting, the waiter was cancelled, and CancelledError is raised. One the waiter was already
handling when it started to wait (a ``finally`` on its way out) is not raised again, so
what follows the wait in such a cleanup still runs.
"""

from __future__ import annotations

import asyncio
from typing import Any


async def wait_out(task: asyncio.Future[Any]) -> None:
    """Wait until ``task`` ends. Its own cancellation is swallowed, as is its result; its
    exception is raised; the caller's cancellation while waiting is raised."""
    current = asyncio.current_task()
    before = current.cancelling() if current is not None else 0
    try:
        await task
    except asyncio.CancelledError:
        if current is not None and current.cancelling() > before:
            raise
        return
    if current is not None and current.cancelling() > before:
        raise asyncio.CancelledError


async def cancel_and_wait(task: asyncio.Future[Any]) -> None:
    """Cancel ``task`` and wait until it ends (``wait_out``)."""
    task.cancel()
    await wait_out(task)
