"""A secret file created once, whole, however many processes start at the same moment.

Two gateways started together on one ``--api-key-file`` (or two processes on one data
directory) both find the file missing. Created in place with ``O_EXCL``, the winner's file
exists, empty, until its write lands, and the loser read it then: a 0-byte vault key (the
gateway died at start; seen in CI) or an empty session secret (tokens signed with ""). So
the secret is written and synced to a private temporary file first, then linked to its name:
the name appears with the whole secret or not at all, and a process that loses the race
reads the winner's.
"""

from __future__ import annotations

import logging
import os
import secrets
import stat
from pathlib import Path

log = logging.getLogger(__name__)
_warned: set[Path] = set()


class SecretFileError(ValueError):
    """A secret that cannot serve (an empty file, the wrong size, too short): refused at
    start with one line."""


def create_once(path: Path, content: bytes) -> bytes:
    """``path``'s content; ``content`` written there (mode 0600) if it did not exist yet."""
    try:
        existing = path.read_bytes()
    except FileNotFoundError:
        pass
    else:
        warn_if_loose(path)
        return existing
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(8)}")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(content)
            out.flush()
            os.fsync(out.fileno())
        try:
            os.link(temporary, path)  # atomic, and never over another process's file
        except FileExistsError:
            return path.read_bytes()
        return content
    finally:
        temporary.unlink(missing_ok=True)


def warn_if_loose(path: Path, private: int = 0o600) -> None:
    """One WARNING per path when group or others may read it (a restored backup, a copy made
    with the umask's 0644): the file is used all the same (the operator may have meant it,
    e.g. a group that runs backups), but not silently. Velox does not change the mode itself:
    a file it did not create is the operator's."""
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
    except OSError:
        return
    if mode & 0o077 and path not in _warned:
        _warned.add(path)
        log.warning(
            "%s is mode %04o: group or others can read it; it should be %04o (chmod %o %s)",
            path, mode, private, private, path,
        )  # fmt: skip
