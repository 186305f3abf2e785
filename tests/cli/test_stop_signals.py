"""A stop signal is acted on whenever it comes, and the stop takes bounded time.

Found by an outside review of starting and stopping:
- a SIGTERM or SIGINT during the start (a journal replay, NATS or the database not answering,
  a gateway waiting for the engine) was only looked at once the start had finished, which
  could be never: the process had to be killed with -9;
- a request stuck at the stop (an order waiting for a database that went away) held the stop
  for aiohttp's default 60 s, twice over;
- a second signal just after "Velox stopped" killed the process with that signal (status
  143), since closing the loop put the default signal handlers back.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest

from tests.system.server import ROOT

SERVE = textwrap.dedent(
    """
    import asyncio, sys
    from aiohttp import web
    from velox.web.connections import ConnectionCap
    from velox.web.serving import serve_app

    app = web.Application()
    """
)
RUN = textwrap.dedent(
    """
    serve_app(app, asyncio.new_event_loop(), host="127.0.0.1", port=0,
              cap=ConnectionCap(0, 0), announce=lambda port: print("serving", port, flush=True))
    print("returned", flush=True)
    """
)

SLOW_START = textwrap.dedent(
    """
    async def waits_for_ever(app):
        print("starting", flush=True)
        try:
            await asyncio.sleep(3600)  # NATS that never answers, a replay that never ends
        finally:
            print("start abandoned", flush=True)
        yield

    async def first(app):
        yield
        print("first part stopped", flush=True)

    app.cleanup_ctx.extend([first, waits_for_ever])
    """
)

STUCK_REQUEST = textwrap.dedent(
    """
    import velox.web.serving
    velox.web.serving.SHUTDOWN_S = 1.0  # 10 s in production; aiohttp's own 60 s before

    async def stuck(request):
        print("request in", flush=True)
        await asyncio.sleep(3600)  # an order waiting for a database that went away
        return web.Response()

    app.router.add_get("/stuck", stuck)
    """
)


def start(part: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", SERVE + part + RUN], cwd=ROOT, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True,
    )  # fmt: skip


def line(proc: subprocess.Popen[str]) -> str:
    assert proc.stdout is not None
    return proc.stdout.readline().strip()


def ended(proc: subprocess.Popen[str], within_s: float) -> tuple[int, str, str, float]:
    began = time.monotonic()
    try:
        out, err = proc.communicate(timeout=within_s)
    except subprocess.TimeoutExpired as late:
        proc.kill()
        out, err = proc.communicate()
        message = f"still running {within_s} s after the signal:\n{out}\n{err}"
        raise AssertionError(message) from late
    return proc.returncode, out, err, time.monotonic() - began


@pytest.mark.parametrize("name", ["SIGTERM", "SIGINT"])
def test_a_signal_during_the_start_stops_it(name: str) -> None:
    proc = start(SLOW_START)
    assert line(proc) == "starting"
    proc.send_signal(getattr(signal, name))
    status, out, err, _ = ended(proc, 15)
    assert out.splitlines() == ["start abandoned", "first part stopped", "returned"], out + err
    assert status == 0, err
    assert "Traceback" not in err, err


def test_a_request_stuck_at_the_stop_holds_it_a_bounded_time() -> None:
    proc = start(STUCK_REQUEST)
    port = int(line(proc).split()[1])
    client = subprocess.Popen(
        ["curl", "-s", "-m", "60", f"http://127.0.0.1:{port}/stuck"], stdout=subprocess.DEVNULL
    )  # fmt: skip
    try:
        assert line(proc) == "request in"
        proc.send_signal(signal.SIGTERM)
        status, out, err, took = ended(proc, 40)
    finally:
        client.kill()
        client.wait()
    assert status == 0 and "returned" in out, out + err
    assert took < 30, took  # aiohttp's default held it 60 s; here 1 s


def test_a_second_signal_as_the_process_ends_does_not_kill_it() -> None:
    proc = start("")
    assert line(proc).startswith("serving")
    proc.send_signal(signal.SIGTERM)
    assert line(proc) == "returned"
    for _ in range(20):  # the interpreter's own shutdown follows "returned"
        if proc.poll() is not None:
            break
        os.kill(proc.pid, signal.SIGTERM)
        time.sleep(0.005)
    status, _, err, _ = ended(proc, 15)
    assert status == 0, (status, err)
