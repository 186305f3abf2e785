"""Free TCP ports for test servers started in subprocesses.

The kernel hands a just-released port 0 binding out again at once (about one call in ten here),
so two ports asked for in a row could be the same: a gateway then failed to bind the port the
engine already served, its readiness check was answered by the engine's /healthz, and the test
talked to the engine (CI: signup said 404 "no such route"). Each port is handed out once per
test process."""

from __future__ import annotations

import socket

_handed_out: set[int] = set()


def free_port() -> int:
    """A port nothing listens on now and that no earlier call in this process returned."""
    while True:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = int(s.getsockname()[1])
        if port not in _handed_out:
            _handed_out.add(port)
            return port
