"""Where templates, static files and schema.sql are: inside the installed package when
shipped as package data, else the repository's top level (development checkout)."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

_REPO = Path(__file__).resolve().parent.parent


def resource_dir(name: str) -> Path:
    """``templates`` or ``static``: the packaged copy first, then the checkout's folder."""
    packaged = Path(str(resources.files("velox"))) / "_data" / name
    if packaged.is_dir():
        return packaged
    return _REPO / name
