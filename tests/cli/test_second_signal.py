"""A second SIGTERM or SIGINT while Velox is stopping (Ctrl-C pressed twice, a wrapper that
forwards a signal it also got) does not cut the stop short: the cleanup (the engine's final
snapshot, the writer's last flush) runs to its end, once, without a traceback. It was
interrupted: aiohttp's signal handler raised again inside the cleanup, the rest of it was
cancelled (a CleanupError traceback, no final snapshot, no "Velox stopped"); the same under
aiohttp's own ``run_app``."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from tests.system.server import ROOT

SERVE = textwrap.dedent(
    """
    import asyncio, os, signal, sys
    from aiohttp import web
    from velox.web.connections import ConnectionCap
    from velox.web.serving import serve_app

    SIG = getattr(signal, sys.argv[1])

    async def slow_cleanup(app):
        loop = asyncio.get_running_loop()
        # the first signal, once serving; the second one in the middle of the cleanup
        loop.call_later(0.2, os.kill, os.getpid(), SIG)
        yield
        loop.call_later(0.2, os.kill, os.getpid(), SIG)
        await asyncio.sleep(0.6)
        print("cleanup finished", flush=True)

    app = web.Application()
    app.cleanup_ctx.append(slow_cleanup)
    serve_app(app, asyncio.new_event_loop(), host="127.0.0.1", port=0,
              cap=ConnectionCap(0, 0), announce=lambda port: print("serving", flush=True))
    print("returned", flush=True)
    """
)


@pytest.mark.parametrize("name", ["SIGTERM", "SIGINT"])
def test_a_second_signal_while_stopping_lets_the_stop_finish(name: str) -> None:
    done = subprocess.run(
        [sys.executable, "-c", SERVE, name], cwd=ROOT, capture_output=True, text=True,
        timeout=60,
    )  # fmt: skip
    assert done.stdout.splitlines() == ["serving", "cleanup finished", "returned"], (
        done.stdout + done.stderr
    )
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr, done.stderr
