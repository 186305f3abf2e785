"""A log file that cannot be written (a full disk) is said once on stderr, not per record.

Before, logging's default ``handleError`` printed "--- Logging error ---" and a traceback on
stderr for every record the file handler could not write: on a full disk, beside each
line the console handler printed anyway."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from velox.cli import PrivateRotatingFileHandler


class FullDisk:
    def __init__(self) -> None:
        self.full = True
        self.lines: list[str] = []

    def write(self, text: str) -> int:
        if self.full:
            raise OSError(28, "No space left on device")
        self.lines.append(text)
        return len(text)

    def flush(self) -> None:
        if self.full:
            raise OSError(28, "No space left on device")

    def close(self) -> None:
        pass


def record(message: str) -> logging.LogRecord:
    return logging.LogRecord("velox", logging.ERROR, __file__, 1, message, None, None)


def test_a_full_disk_is_said_once_then_once_when_it_has_room(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    handler = PrivateRotatingFileHandler(tmp_path / "velox.log", encoding="utf-8")
    disk = FullDisk()
    handler.stream.close()
    handler.stream = disk  # type: ignore[assignment]
    try:
        for n in range(5):
            handler.emit(record(f"line {n}"))
        err = capsys.readouterr().err
        assert "Logging error" not in err and "Traceback" not in err, err
        assert err.splitlines() == [
            f"velox: cannot write the log file {tmp_path / 'velox.log'}: "
            "[Errno 28] No space left on device (said once; the console has every line)"
        ]
        disk.full = False
        handler.emit(record("back"))
        handler.emit(record("again"))
        err = capsys.readouterr().err
        assert err.splitlines() == [f"velox: the log file {tmp_path / 'velox.log'} works again"]
        assert [line.strip() for line in disk.lines] == ["back", "again"]
    finally:
        handler.stream = None  # type: ignore[assignment]
        handler.close()
