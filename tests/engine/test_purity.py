"""The engine stays pure: nothing under velox/engine/ imports I/O, clocks or randomness."""

from __future__ import annotations

import ast
from pathlib import Path

import velox.engine

FORBIDDEN = {
    "asyncio",
    "aiohttp",
    "aiosqlite",
    "asyncpg",
    "sqlite3",
    "socket",
    "time",
    "datetime",
    "random",
    "secrets",
    "uuid",
    "os",
    "threading",
}


def test_engine_imports_nothing_impure() -> None:
    root = Path(velox.engine.__file__).parent
    offenders = []
    files = sorted(root.rglob("*.py"))
    assert len(files) >= 8
    for path in files:
        for node in ast.walk(ast.parse(path.read_text())):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            for name in names:
                if name.split(".")[0] in FORBIDDEN:
                    offenders.append(f"{path.name}: {name}")
    assert offenders == []
