"""Worked examples of every money formula (SPEC.md), copied from the product contract so a
fresh clone needs nothing outside the repository."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent


def load(name: str) -> dict[str, Any]:
    """``positions`` or ``orders-v2``: the parsed JSON of that file."""
    data: dict[str, Any] = json.loads((HERE / f"{name}.json").read_text())
    return data
