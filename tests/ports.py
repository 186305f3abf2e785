"""Free TCP ports for test servers started in subprocesses.

The kernel hands a just-released port 0 binding out again at once (about one call in ten here),
so two ports asked for in a row could be the same: a gateway then failed to bind the port the
engine already served, its readiness check was answered by the engine's /healthz, and the test
talked to the engine (CI: signup said 404 "no such route"). Each port is handed out once per
test process.

``make test`` runs the suite in several processes (pytest-xdist), and "once per process" does
not stop two processes from being handed the same released port. Each worker therefore takes
its ports from a range of its own, below Linux's ephemeral range (32768-60999), so neither the
other worker nor an outgoing connection is handed them; within it, from a random place
(two test runs on one host, e.g. two checkouts, would otherwise both begin at its first).
"""

from __future__ import annotations

import os
import random
import socket

_handed_out: set[int] = set()

_FIRST = 10_000
_PER_WORKER = 2_000  # 11 workers fit below 32768


def worker_range(worker: str | None) -> range | None:
    """The ports of pytest-xdist's worker ``gw<n>``; None outside xdist (any free port)."""
    if not worker or not worker.startswith("gw") or not worker[2:].isdigit():
        return None
    start = _FIRST + int(worker[2:]) * _PER_WORKER
    if start + _PER_WORKER > 32768:
        raise RuntimeError(f"too many test workers for the port ranges: {worker}")
    return range(start, start + _PER_WORKER)


def _bindable(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def free_port() -> int:
    """A port nothing listens on now and that no earlier call in this process (nor, under
    xdist, any other worker) returned."""
    ports = worker_range(os.environ.get("PYTEST_XDIST_WORKER"))
    if ports is not None:
        start = random.randrange(len(ports))
        for i in range(len(ports)):
            port = ports[(start + i) % len(ports)]
            if port not in _handed_out and _bindable(port):
                _handed_out.add(port)
                return port
        raise RuntimeError(f"no free port left in {ports}")
    while True:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = int(s.getsockname()[1])
        if port not in _handed_out:
            _handed_out.add(port)
            return port
