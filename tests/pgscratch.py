"""Scratch PostgreSQL schemas for tests and benchmarks: each run gets its own, then drops it.

The URL form ``...?options=-csearch_path%3D<schema>`` is passed unchanged to asyncpg, which
sends it as the connection's search_path; every store opened on it lives in that schema.
"""

from __future__ import annotations

import os
import uuid

PG_URL = os.environ.get("VELOX_TEST_PG", "postgresql://postgres@127.0.0.1/test")


async def reachable() -> bool:
    import asyncpg

    try:
        conn = await asyncpg.connect(PG_URL, timeout=3)
    except (OSError, asyncpg.PostgresError):
        return False
    await conn.close()
    return True


async def create_schema(prefix: str = "velox_test") -> tuple[str, str]:
    """(url, schema) of a brand-new schema."""
    import asyncpg

    schema = f"{prefix}_{uuid.uuid4().hex[:12]}"
    conn = await asyncpg.connect(PG_URL)
    try:
        await conn.execute(f'CREATE SCHEMA "{schema}"')
    finally:
        await conn.close()
    sep = "&" if "?" in PG_URL else "?"
    return f"{PG_URL}{sep}options=-csearch_path%3D{schema}", schema


async def drop_schema(schema: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(PG_URL)
    try:
        await conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
    finally:
        await conn.close()


async def create_schema_if_reachable(prefix: str) -> tuple[str, str] | None:
    """``create_schema``, or None when no server answers (benchmarks then skip PostgreSQL)."""
    if not await reachable():
        return None
    return await create_schema(prefix)
