"""The data directory and resource lookup rules, without building anything."""

from __future__ import annotations

import logging
import stat
import sys
from pathlib import Path

import pytest

from velox import cli, paths
from velox.config import Settings, settings_from


def test_checkout_defaults_to_data_and_its_own_folders() -> None:
    assert paths.running_from_checkout()
    assert paths.default_data_dir() == "data"
    assert Settings().data_dir == "data"
    root = Path(__file__).resolve().parents[2]
    assert paths.resource_dir("templates") == root / "templates"
    assert paths.resource_dir("static") == root / "static"


@pytest.mark.skipif(sys.platform in ("win32", "darwin"), reason="XDG is the Linux rule")
def test_user_data_dir_follows_xdg(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.delenv("XDG_DATA_HOME", raising=False)
    assert paths.user_data_dir() == tmp_path / "home" / ".local" / "share" / "velox"
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    assert paths.user_data_dir() == tmp_path / "xdg" / "velox"
    monkeypatch.setenv("XDG_DATA_HOME", "relative/ignored")  # invalid per the XDG spec
    assert paths.user_data_dir() == tmp_path / "home" / ".local" / "share" / "velox"


def test_installed_copy_defaults_to_the_user_data_dir(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(paths, "running_from_checkout", lambda: False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    assert Settings().data_dir == str(paths.user_data_dir())
    assert settings_from(None, {}).data_dir == str(paths.user_data_dir())
    assert settings_from(None, {"VELOX_DATA_DIR": "/srv/velox"}).data_dir == "/srv/velox"


def test_data_dir_created_private(tmp_path: Path) -> None:
    target = tmp_path / "a" / "b"
    assert cli.prepare_data_dir(target) == target
    assert stat.S_IMODE(target.stat().st_mode) == 0o700
    target.chmod(0o750)  # an existing directory is the operator's: left as it is
    cli.prepare_data_dir(target)
    assert stat.S_IMODE(target.stat().st_mode) == 0o750
    (tmp_path / "file").write_text("x")
    with pytest.raises(SystemExit, match="cannot create the data directory"):
        cli.prepare_data_dir(tmp_path / "file")


def test_log_file_rotates_and_is_private(tmp_path: Path) -> None:
    root = logging.getLogger()
    before = list(root.handlers)
    path = cli.add_log_file(tmp_path)
    try:
        (handler,) = [h for h in root.handlers if h not in before]
        assert isinstance(handler, cli.PrivateRotatingFileHandler)
        assert (handler.maxBytes, handler.backupCount) == (10 * 1024 * 1024, 3)
        handler.maxBytes = 200  # rotate quickly
        log = logging.getLogger("velox.test_paths")
        log.setLevel(logging.INFO)
        for i in range(20):
            log.info("line %d of the rotating log", i)
    finally:
        root.removeHandler(handler)
        handler.close()
    assert path == tmp_path / "velox.log"
    files = sorted(tmp_path.glob("velox.log*"))
    assert [f.name for f in files] == ["velox.log", "velox.log.1", "velox.log.2", "velox.log.3"]
    assert all(stat.S_IMODE(f.stat().st_mode) == 0o600 for f in files)
