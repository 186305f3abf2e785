"""Which candles the simulator invented, durably, so real history can replace them.

Two meta rows per symbol say where the invented candles begin: ``invented:SYMBOL``, the time
of the first simulated trade not yet replaced (written by the trade writer with the candles
it built, ``velox.market.provenance``), and ``invented_history:SYMBOL``, the start of the
seeded history of each duration (written by ``SimulatedHistory`` before that history).
``RestHistory`` replaces every candle from there to a Binance session's boundary with the
exchange's klines, dropping the invented ones the exchange has no data for, then clears
both rows: a restart in between finds them and does it again.
"""

from __future__ import annotations

from collections.abc import Mapping

from velox.market.candles import DURATIONS_MS, bucket_start
from velox.market.provenance import invented_key
from velox.store.base import Store

HISTORY_PREFIX = "invented_history:"


def history_key(symbol: str) -> str:
    return f"{HISTORY_PREFIX}{symbol}"


def parse_starts(text: str | None) -> dict[str, int]:
    starts = {}
    for part in (text or "").split(","):
        if part:
            duration, start = part.split(":")
            starts[duration] = int(start)
    return starts


async def mark_history(store: Store, symbol: str, starts: Mapping[str, int]) -> None:
    """The simulator is about to write history of these durations from these starts."""
    held = parse_starts(await store.get_meta(history_key(symbol)))
    for duration, start in starts.items():
        held[duration] = min(start, held.get(duration, start))
    await store.set_meta(history_key(symbol), ",".join(f"{d}:{t}" for d, t in held.items()))


async def invented_starts(store: Store, symbol: str) -> dict[str, int]:
    """Per duration, the first bucket holding an invented candle (none: no entry)."""
    starts = parse_starts(await store.get_meta(history_key(symbol)))
    live = await store.get_meta(invented_key(symbol))
    if live:
        for duration, size in DURATIONS_MS.items():
            first = bucket_start(int(live), size)
            starts[duration] = min(first, starts.get(duration, first))
    return starts


async def forget(store: Store, symbol: str) -> None:
    """Every invented candle of ``symbol`` is replaced."""
    await store.set_meta(history_key(symbol), "")
    await store.set_meta(invented_key(symbol), "")
