"""The one-writer-per-database lock, as far as it is not a database's own.

Two engines on one database would both replay the journal, both say READY and then fail
each other's commits on the journal key. So the writer takes an exclusive lock for its whole
life and records who it is, and a second writer is refused at once with that name. The
holder's name is ``this_process()``. PostgreSQL's lock is a session advisory lock
(``postgres.py``); SQLite's is ``FileLock`` on a file beside the database, because SQLite's
own locks last one transaction, not a process.

``flock`` is POSIX. Where there is none (Windows), SQLite runs without the lock, as before,
and says so in the log: Velox is not tested there.
"""

from __future__ import annotations

import logging
import os
import socket
from pathlib import Path

from velox.store.base import WriterLockHeld

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

log = logging.getLogger(__name__)


def this_process() -> str:
    """How a lock holder is named: ``host <hostname> pid <pid>``."""
    return f"host {socket.gethostname()} pid {os.getpid()}"


class FileLock:
    """An exclusive ``flock`` on ``path`` (``velox.db.lock`` beside ``velox.db``), holding the
    holder's name. The kernel drops it when the process ends, however it ends, so a lock
    never outlives its writer; the file itself stays (removing it would let a third process
    lock a new file while the second still holds the old one).
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd: int | None = None

    def acquire(self) -> None:
        """Take the lock or raise ``WriterLockHeld`` naming the holder; never waits."""
        if self._fd is not None:
            raise RuntimeError(f"{self.path} is already locked by this store")
        if fcntl is None:  # pragma: no cover - Windows
            log.warning("no flock here: nothing stops a second writer on %s", self.path)
            return
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 200, 0).decode(errors="replace").strip()
            os.close(fd)
            raise WriterLockHeld(holder or "a process that has not written its name yet") from None
        except BaseException:
            os.close(fd)
            raise
        os.ftruncate(fd, 0)
        os.pwrite(fd, (this_process() + "\n").encode(), 0)
        self._fd = fd

    def release(self) -> None:
        if self._fd is not None:
            fd, self._fd = self._fd, None
            os.close(fd)  # closing the only descriptor releases the flock
