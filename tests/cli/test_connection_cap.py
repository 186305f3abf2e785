"""--max-connections-per-ip and --first-request-timeout, on real sockets against ``velox
run``: one client held the process's descriptors with idle connections (20,100 from one
address; nothing sent, reopened as the 75 s keep-alive closed them), and /healthz failed for
everyone. Now an address past its cap is closed at once (logged once), others are served,
and a connection that has not sent a whole request within the timeout is closed, while one
that has is kept alive as before.

Every 127.0.0.x is this machine on Linux: connecting from 127.0.0.2 is another client."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.ports import free_port
from tests.system.server import ROOT

CAP = 5
# Far beyond the server's timeouts (1 s here): only so a broken build fails instead of
# hanging; a socket still open after it is a connection the server kept.
WAIT_S = 30.0
HEALTHZ = b"GET /healthz HTTP/1.1\r\nHost: velox\r\n\r\n"
ANSWERED = b"HTTP/1.1 "  # a status line: the connection was served


@contextlib.contextmanager
def velox_run(data: Path, **env: str) -> Iterator[int]:
    """``velox run`` with ``env`` set (the settings' VELOX_* names), until it serves."""
    port = free_port()
    clean = {k: v for k, v in os.environ.items() if not k.startswith("VELOX_")}
    proc = subprocess.Popen(
        [sys.executable, "run.py", "run", "--data-dir", str(data), "--port", str(port),
         "--feed", "sim", "--history-candles", "0", "--bcrypt-rounds", "4"],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
        env={**clean, **env},
    )  # fmt: skip
    try:
        assert proc.stdout is not None
        assert " is running at " in proc.stdout.readline()
        yield port
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=30)


def connect(port: int, source: str = "127.0.0.1") -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port), timeout=WAIT_S, source_address=(source, 0))
    return sock


def closed_by_server(sock: socket.socket) -> bool:
    """The server closed ``sock`` without answering: EOF or a reset, within WAIT_S."""
    try:
        return sock.recv(1) == b""
    except ConnectionResetError:
        return True
    except TimeoutError:
        return False


def healthz(sock: socket.socket) -> bytes:
    """One GET /healthz on ``sock`` (kept alive): the status line. Any status is an answer:
    these tests are about connections, and a loaded machine may make /healthz 503 (a feed
    tick older than --max-price-age) while every connection is served."""
    sock.sendall(HEALTHZ)
    head = b""
    while b"\r\n\r\n" not in head:
        chunk = sock.recv(65536)
        assert chunk, f"closed after {head!r}"
        head += chunk
    status, _, rest = head.partition(b"\r\n")
    length = next(
        int(line.split(b":")[1])
        for line in rest.split(b"\r\n")
        if line.lower().startswith(b"content-length")
    )
    body = head.partition(b"\r\n\r\n")[2]
    while len(body) < length:
        body += sock.recv(65536)
    return status


def served(port: int, source: str = "127.0.0.1") -> bool:
    with connect(port, source) as sock:
        try:
            return healthz(sock).startswith(ANSWERED)
        except (AssertionError, OSError):  # closed: refused
            return False


def test_an_address_past_its_cap_is_refused_and_others_are_served(tmp_path: Path) -> None:
    with velox_run(
        tmp_path, VELOX_MAX_CONNECTIONS_PER_IP=str(CAP), VELOX_FIRST_REQUEST_TIMEOUT="0"
    ) as port:
        held = [connect(port) for _ in range(CAP)]  # idle: nothing sent
        refused = [connect(port) for _ in range(3)]
        assert all(closed_by_server(sock) for sock in refused)
        assert served(port, "127.0.0.2")  # another client is not locked out
        assert healthz(held[0]).startswith(ANSWERED)  # held ones are served
        held.pop().close()  # a slot comes back when a connection closes
        deadline = time.monotonic() + WAIT_S
        while not served(port) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert served(port)
        for sock in held + refused:
            sock.close()
    log = (tmp_path / "velox.log").read_text()
    lines = [line for line in log.splitlines() if "connection refused to 127.0.0.1" in line]
    assert len(lines) == 1, log  # one line per address per minute, however many refused
    assert "too many connections open from this address" in lines[0]


def test_a_connection_must_send_its_first_request_in_time(tmp_path: Path) -> None:
    with velox_run(tmp_path, VELOX_FIRST_REQUEST_TIMEOUT="1") as port:
        silent = connect(port)
        trickling = connect(port)
        with contextlib.suppress(OSError):  # until the server closes it
            trickling.sendall(b"GET /healthz HTTP/1.1\r\n")
            for _ in range(6):  # a header line now and then, never the end of the headers
                time.sleep(0.5)
                trickling.sendall(b"X-Slow: 1\r\n")
        with silent, trickling:
            assert closed_by_server(silent)
            assert closed_by_server(trickling)
        with connect(port) as kept:  # a connection that asked in time is kept alive
            assert healthz(kept).startswith(ANSWERED)
            time.sleep(3)  # past the first-request timeout: it applies to the first only
            assert healthz(kept).startswith(ANSWERED)


@pytest.mark.parametrize("flag", ["--max-connections-per-ip", "--first-request-timeout"])
def test_negative_values_are_refused(flag: str, tmp_path: Path) -> None:
    from tests.cli.test_startup_refusals import refused, velox

    done = velox("run", "--data-dir", str(tmp_path), "--port", "0", flag, "-1")
    assert refused(done).startswith(f"velox: {flag}: ")


def test_a_trusted_proxy_is_not_capped(tmp_path: Path) -> None:
    """Behind --trusted-proxies every client comes through the proxy's address: capping it
    would cap the whole venue (and two clients' websockets could lock everyone out). Its
    clients are told apart by X-Forwarded-For where the other limits count them."""
    with velox_run(
        tmp_path,
        VELOX_MAX_CONNECTIONS_PER_IP=str(CAP),
        VELOX_FIRST_REQUEST_TIMEOUT="0",
        VELOX_TRUSTED_PROXIES="127.0.0.1/32",
    ) as port:
        held = [connect(port) for _ in range(CAP + 3)]  # the proxy's pooled connections
        try:
            assert all(healthz(sock).startswith(ANSWERED) for sock in held)
            others = [connect(port, "127.0.0.2") for _ in range(CAP + 1)]  # not the proxy
            try:
                assert closed_by_server(others[-1])
            finally:
                for sock in others:
                    sock.close()
        finally:
            for sock in held:
                sock.close()
