"""A task stopped while it cleans up another task ends cancelled.

``task.cancel(); with suppress(asyncio.CancelledError): await task`` swallows every
CancelledError at that ``await``: the cancelled task's own, expected, and also one aimed at
the task doing the cleanup (a stop that cancels it then), which then carried on as if never
asked to stop. ``velox.tasks.cancel_and_wait`` swallows the first only."""

from __future__ import annotations

import ast
import asyncio
from pathlib import Path
from typing import Any

import pytest

from velox.bus.limits import SharedLimits
from velox.tasks import cancel_and_wait, wait_out
from velox.web.ws.connection import Connection

VELOX = Path(__file__).resolve().parent.parent / "velox"


class SlowToEnd:
    """A task that, once cancelled, takes until ``release`` to end (and ends cancelled)."""

    def __init__(self) -> None:
        self.cancelled = asyncio.Event()
        self.release = asyncio.Event()

    async def run(self, *_: Any) -> None:
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            self.cancelled.set()
            await self.release.wait()  # a second cancellation ends this early: fine too
            raise


async def stop_during_cleanup(cleanup: Any, slow: SlowToEnd) -> asyncio.Task[Any]:
    """Run ``cleanup`` in a task of its own; cancel that task while it waits for ``slow``'s
    task to end; return it, ended."""
    outer = asyncio.create_task(cleanup)
    await slow.cancelled.wait()  # the cleanup cancelled the slow task and waits for it
    outer.cancel()
    slow.release.set()
    await asyncio.wait({outer})
    return outer


async def test_the_callers_cancellation_during_the_wait_is_raised() -> None:
    slow = SlowToEnd()
    task = asyncio.create_task(slow.run())
    await asyncio.sleep(0)
    outer = await stop_during_cleanup(cancel_and_wait(task), slow)
    assert task.cancelled()
    assert outer.cancelled()


async def test_the_tasks_own_cancellation_is_swallowed() -> None:
    slow = SlowToEnd()
    slow.release.set()
    task = asyncio.create_task(slow.run())
    await asyncio.sleep(0)
    await cancel_and_wait(task)
    assert task.cancelled()
    await cancel_and_wait(task)  # ended already: nothing to do
    assert asyncio.current_task().cancelling() == 0  # type: ignore[union-attr]


async def test_a_task_that_ignores_its_cancellation_still_lets_the_callers_through() -> None:
    """The awaited task ends normally: no CancelledError at the ``await`` at all, yet the
    caller was cancelled meanwhile (Python 3.11 hands that cancellation to the awaited task
    and never raises it in the caller)."""
    started, release = asyncio.Event(), asyncio.Event()

    async def stubborn() -> None:
        started.set()
        while not release.is_set():
            try:
                await release.wait()
            except asyncio.CancelledError:
                continue

    task = asyncio.create_task(stubborn())
    await started.wait()
    outer = asyncio.create_task(cancel_and_wait(task))
    await asyncio.sleep(0)
    outer.cancel()
    await asyncio.sleep(0)
    release.set()
    await asyncio.wait({outer})
    assert task.done() and not task.cancelled()
    assert outer.cancelled()


async def test_a_cleanup_in_a_task_already_being_cancelled_runs_to_its_end() -> None:
    """The cancellation being handled (a ``finally`` on its way out) is not raised again
    there: what follows the wait in the cleanup still runs."""
    slow = SlowToEnd()
    slow.release.set()
    task = asyncio.create_task(slow.run())
    after: list[str] = []

    async def owner() -> None:
        try:
            await asyncio.Event().wait()
        finally:
            await cancel_and_wait(task)
            after.append("ran")

    outer = asyncio.create_task(owner())
    await asyncio.sleep(0)
    outer.cancel()
    await asyncio.wait({outer})
    assert outer.cancelled()
    assert task.cancelled()
    assert after == ["ran"]


async def test_wait_out_swallows_the_tasks_cancellation_only() -> None:
    slow = SlowToEnd()
    task = asyncio.create_task(slow.run())
    await asyncio.sleep(0)
    task.cancel()
    await asyncio.sleep(0)
    outer = asyncio.create_task(wait_out(task))
    await asyncio.sleep(0)
    outer.cancel()
    slow.release.set()
    await asyncio.wait({outer})
    assert outer.cancelled()


async def test_an_exception_of_the_task_still_propagates() -> None:
    async def fails() -> None:
        try:
            await asyncio.Event().wait()
        finally:
            raise ValueError("boom")

    task = asyncio.create_task(fails())
    await asyncio.sleep(0)
    with pytest.raises(ValueError, match="boom"):
        await cancel_and_wait(task)


# -- the places that clean up this way ---------------------------------------------------


async def test_a_websocket_stopped_while_its_writer_ends_ends_cancelled() -> None:
    slow = SlowToEnd()

    async def close(code: int, reason: bytes) -> None: ...

    conn = Connection(slow.run, close, lambda: None, None, 10)
    assert conn.offer(b"x")  # the writer is inside send now
    await asyncio.sleep(0)
    outer = await stop_during_cleanup(conn.stop(), slow)
    assert outer.cancelled(), "the stop's cancellation was swallowed by the writer's cleanup"


async def test_the_shared_limits_stopped_while_the_flusher_ends_end_cancelled() -> None:
    slow = SlowToEnd()
    limits = SharedLimits.__new__(SharedLimits)  # no NATS: only stop() is exercised
    limits.limits = {}
    limits._flusher = asyncio.create_task(slow.run())
    await asyncio.sleep(0)
    outer = await stop_during_cleanup(limits.stop(), slow)
    assert outer.cancelled(), "the stop's cancellation was swallowed by the flusher's cleanup"


def test_velox_never_awaits_inside_suppress_cancelled_error() -> None:
    """The rule, for every module: a ``with suppress(..CancelledError..)`` around an
    ``await`` swallows the awaiting task's own cancellation; ``velox.tasks`` does it right."""
    offenders = []
    for path in sorted(VELOX.rglob("*.py")):
        if path == VELOX / "tasks.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if not isinstance(node, ast.With | ast.AsyncWith):
                continue
            suppresses = any(
                isinstance(item.context_expr, ast.Call)
                and "suppress" in ast.unparse(item.context_expr.func)
                and "CancelledError" in ast.unparse(item.context_expr)
                for item in node.items
            )
            awaits = any(
                isinstance(inner, ast.Await) for stmt in node.body for inner in ast.walk(stmt)
            )
            if suppresses and awaits:
                offenders.append(f"{path.relative_to(VELOX.parent)}:{node.lineno}")
    assert offenders == [], "use velox.tasks.cancel_and_wait / wait_out: " + ", ".join(offenders)
