"""Where Velox finds its files and keeps its data.

Templates and static files: in a source checkout (``python run.py``, an editable install) the
repository's top-level ``templates/`` and ``static/``, live; in an installed copy (wheel,
pipx, the single-file ``dist/velox``) the package data ``velox/_data/<name>`` that
``setup.py`` puts into the build, found through ``importlib.resources``. ``schema.sql`` is
package data of ``velox.store`` either way (see ``velox.store.schema``).

The data directory: ``data`` under the working directory in a checkout, else a per-user
directory (``$XDG_DATA_HOME/velox`` or ``~/.local/share/velox`` on Linux).
"""

from __future__ import annotations

import os
import sys
from importlib import resources
from pathlib import Path

APP = "velox"
_REPO = Path(__file__).resolve().parent.parent


def running_from_checkout() -> bool:
    """True when this ``velox`` package is the one inside a source checkout (not installed)."""
    return (_REPO / "pyproject.toml").is_file() and (_REPO / "run.py").is_file()


def resource_dir(name: str) -> Path:
    """``templates`` or ``static`` as a real directory (aiohttp and Jinja2 serve from disk)."""
    if running_from_checkout() and (_REPO / name).is_dir():
        return _REPO / name
    packaged = resources.files(APP).joinpath("_data").joinpath(name)
    if isinstance(packaged, Path) and packaged.is_dir():
        return packaged
    raise FileNotFoundError(
        f"velox: no {name!r} directory in the installed package ({packaged}); it must be "
        "installed from a wheel built by setup.py (pip install ., make dist), and run from "
        "a directory on disk, not straight out of a zip file"
    )


def user_data_dir() -> Path:
    """The per-user data directory of an installed copy, by platform convention."""
    home = Path.home()
    if sys.platform == "win32":
        base = os.environ.get("LOCALAPPDATA")
        return (Path(base) if base else home / "AppData" / "Local") / APP
    if sys.platform == "darwin":
        return home / "Library" / "Application Support" / APP
    xdg = os.environ.get("XDG_DATA_HOME", "")
    # The XDG spec: a relative XDG_DATA_HOME is invalid and must be ignored.
    base_dir = Path(xdg) if xdg and os.path.isabs(xdg) else home / ".local" / "share"
    return base_dir / APP


def default_data_dir() -> str:
    """``data`` (under the working directory) in a checkout, else ``user_data_dir()``."""
    return "data" if running_from_checkout() else str(user_data_dir())
