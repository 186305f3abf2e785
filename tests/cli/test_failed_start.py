"""A start refused by a later part (a wrong key file, a wrong session secret, the database's
other writer) stops the parts already started, then the process ends.

A ``velox gateway`` with another ``--api-key-file`` hung for ever, 1 run in about 60 under
load, where it should have exited 1 at once: ``serve_app`` ran the app's cleanup only for a
start that had finished, so the database probe started by the first part was left running, and
its ``asyncio.wait_for`` (Python 3.11) swallowed the cancellation meant to end it at exit when
a ping finished at that moment. Now a failed start runs the cleanup of what had started, and
the exit gives up on a task that outlives its cancellation, naming it."""

from __future__ import annotations

import subprocess
import sys
import textwrap

from tests.system.server import ROOT

HEADER = textwrap.dedent(
    """
    import asyncio, logging, sys
    from aiohttp import web
    from velox.web.connections import ConnectionCap
    from velox.web.serving import serve_app

    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    app = web.Application()

    async def refused(app):
        raise RuntimeError("refused at start")
        yield
    """
)

FIRST_PART = textwrap.dedent(
    """
    async def first(app):
        stopping = asyncio.Event()
        ended = []

        async def run():
            try:
                await stopping.wait()
                ended.append("by its stop")
            except asyncio.CancelledError:
                ended.append("cancelled")
                raise

        task = asyncio.create_task(run(), name="first-part")
        try:
            yield
        finally:
            stopping.set()
            await asyncio.wait({task})
            print("first part stopped:", ended[0], flush=True)

    app.cleanup_ctx.extend([first, refused])
    """
)

STUBBORN_TASK = textwrap.dedent(
    """
    async def stubborn():
        while True:  # swallows every cancellation, as a race in wait_for could
            try:
                await asyncio.sleep(3600)
            except asyncio.CancelledError:
                pass

    async def first(app):
        asyncio.create_task(stubborn(), name="stubborn-task")
        yield

    app.cleanup_ctx.extend([first, refused])
    """
)

SERVE = textwrap.dedent(
    """
    try:
        serve_app(app, asyncio.new_event_loop(), host="127.0.0.1", port=0,
                  cap=ConnectionCap(0, 0), announce=lambda port: print("serving", flush=True))
    except RuntimeError as exc:
        print("serve_app raised:", exc, flush=True)
    """
)


def serve(part: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", HEADER + part + SERVE], cwd=ROOT, capture_output=True,
        text=True, timeout=60,
    )  # fmt: skip


def test_a_refused_start_stops_the_parts_already_started() -> None:
    done = serve(FIRST_PART)
    assert done.stdout.splitlines() == [
        "first part stopped: by its stop",
        "serve_app raised: refused at start",
    ], done.stdout + done.stderr


def test_the_exit_does_not_wait_for_ever_on_a_task_that_ignores_its_cancellation() -> None:
    done = serve(STUBBORN_TASK)
    assert done.stdout.splitlines() == ["serve_app raised: refused at start"], (
        done.stdout + done.stderr
    )
    assert "stubborn-task" in done.stderr, done.stderr
    assert "did not stop when cancelled" in done.stderr, done.stderr
