"""A long-lived loop ends when its task is cancelled, even when the cancellation arrives just
as something it waits on finishes.

On Python 3.11, ``asyncio.wait_for`` returns the awaited result instead of raising when its
task is cancelled in the loop turn where that result arrives (CPython gh-86296, fixed in 3.12
by rebuilding ``wait_for`` on ``asyncio.timeout``). The database probe, cancelled at a
process's exit in such a turn, went on pinging for ever, and the process never ended. Velox
uses ``asyncio.timeout`` instead, which counts cancellations and never loses one."""

from __future__ import annotations

import ast
import asyncio
from pathlib import Path

from velox.store_probe import StoreProbe

VELOX = Path(__file__).resolve().parent.parent / "velox"


class RacingStore:
    """A store whose ping answers at once, and, in the turn where the probe learns the
    answer, has the probe's task cancelled (what the exit's cancellation did by chance)."""

    def __init__(self) -> None:
        self.pings = 0
        self.probe_task: asyncio.Task[None] | None = None

    async def ping(self) -> None:
        self.pings += 1
        loop = asyncio.get_running_loop()
        task = self.probe_task
        assert task is not None
        # this turn: the ping ends; the next: the probe's waiter gets the answer (and the
        # probe's wake-up is queued); in between, the cancellation lands
        loop.call_soon(loop.call_soon, task.cancel)


async def test_a_probe_cancelled_as_a_ping_answers_stops() -> None:
    store = RacingStore()
    probe = StoreProbe(store, lambda: 0, interval_s=0.01)  # type: ignore[arg-type]
    probe.start()
    task = probe._task
    assert task is not None
    store.probe_task = task
    done, _ = await asyncio.wait({task}, timeout=2)
    if not done:
        await probe.stop()
    assert done == {task}, f"the probe went on pinging after its cancellation ({store.pings})"
    assert task.cancelled()
    assert store.pings == 1


def test_velox_awaits_with_asyncio_timeout_never_wait_for() -> None:
    """The rule, for every module: ``asyncio.wait_for`` is the call that loses cancellations."""
    offenders = []
    for path in sorted(VELOX.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if (
                isinstance(node, ast.Attribute)
                and node.attr == "wait_for"
                and isinstance(node.value, ast.Name)
                and node.value.id == "asyncio"
            ):
                offenders.append(f"{path.relative_to(VELOX.parent)}:{node.lineno}")
    assert offenders == []
