"""Engine benchmark: open+close commands/s, and ticks/s with N open positions when no
trigger fires, for the trigger index against the naive scan it replaces (same run); the
same with N pending LIMIT/STOP orders resting beside them (issue 12), and a funding
boundary over N positions applied in ClockTick steps.

    python bench/engine.py            # full sizes 1k, 10k, 50k, 100k
    python bench/engine.py --quick    # small sizes, for a smoke run
"""

from __future__ import annotations

import argparse
import gc
import sys
import time
import tracemalloc
from pathlib import Path

# The repository instead of bench/ itself: bench/http.py would shadow the stdlib http.
sys.path[0] = str(Path(__file__).resolve().parent.parent)

from velox.engine.commands import (
    ClockTick,
    ClosePosition,
    Deposit,
    OpenAccount,
    OpenPosition,
    PriceTick,
)
from velox.engine.engine import Engine
from velox.engine.formulas import quote
from velox.engine.settings import EngineSettings
from velox.engine.triggers import scan_fired
from velox.money import SCALE

BTC = "BTCUSDT"
REF = 100_000 * SCALE
T0 = 1_700_000_000_000


def funded_engine(users: int) -> Engine:
    engine = Engine(EngineSettings(max_open_positions=10**6, max_price_age_ms=10**12))
    for u in range(users):
        engine.handle(OpenAccount(f"u{u}", T0))
        engine.handle(Deposit(f"u{u}", 10**9 * SCALE, T0))
    engine.on_tick(PriceTick(BTC, REF, T0))
    return engine


def bench_commands(pairs: int) -> float:
    engine = funded_engine(1)
    start = time.perf_counter()
    for i in range(pairs):
        out = engine.handle(OpenPosition("u0", BTC, "LONG", 10, T0 + i, margin=100 * SCALE))
        engine.handle(ClosePosition("u0", out.events[0].order_id, T0 + i))  # type: ignore[union-attr]
    elapsed = time.perf_counter() - start
    return 2 * pairs / elapsed


def with_positions(n: int) -> Engine:
    """n positions, half LONG half SHORT, 10x with SL and TP 5 % away: nothing fires at +-1 %."""
    engine = funded_engine(max(1, n // 200))
    for i in range(n):
        side = "LONG" if i % 2 else "SHORT"
        sign = 1 if side == "LONG" else -1
        out = engine.handle(
            OpenPosition(
                f"u{i % max(1, n // 200)}",
                BTC,
                side,
                10,
                T0,
                margin=(10 + i % 90) * SCALE,
                stop_loss=REF - sign * REF // 20 - sign * (i % 1000) * SCALE,
                take_profit=REF + sign * REF // 20 + sign * (i % 1000) * SCALE,
            )
        )
        assert out.ok, out.refusal
    return engine


def prices(count: int) -> list[int]:
    """A wiggle within +-1 % of the reference: no stop, target or liquidation is reached."""
    return [REF + (REF // 100) * ((i * 37) % 200 - 100) // 100 for i in range(count)]


def bench_index(engine: Engine, count: int) -> float:
    path = prices(count)
    start = time.perf_counter()
    for i, p in enumerate(path):
        if engine.on_tick(PriceTick(BTC, p, T0 + 1 + i)):
            raise AssertionError("a trigger fired in the no-trigger benchmark")
    return count / (time.perf_counter() - start)


def bench_naive(engine: Engine, count: int) -> float:
    """The scan the old platform did: quote, then look at every open position."""
    path = prices(count)
    positions = engine.positions
    start = time.perf_counter()
    for p in path:
        bid, ask = quote(p, engine.settings.spread)
        if scan_fired(positions.values(), BTC, bid, ask):
            raise AssertionError("a trigger fired in the no-trigger benchmark")
    return count / (time.perf_counter() - start)


def add_pending(engine: Engine, n: int) -> None:
    """n resting orders 5-15 % away (LIMIT below / STOP above for LONG, mirrored for SHORT):
    nothing a +-1 % wiggle reaches."""
    users = max(1, n // 200)
    for i in range(n):
        side = "LONG" if i % 2 else "SHORT"
        kind = "LIMIT" if (i // 2) % 2 else "STOP"
        below = (kind == "LIMIT") == (side == "LONG")
        away = REF // 20 + (i % 10_000) * SCALE
        out = engine.handle(
            OpenPosition(
                f"u{i % users}",
                BTC,
                side,
                10,
                T0,
                margin=(10 + i % 90) * SCALE,
                order_type=kind,
                price=REF - away if below else REF + away,
            )
        )
        assert out.ok, out.refusal


def naive_pending(engine: Engine, bid: int, ask: int) -> list[str]:
    """The scan an index replaces: look at every resting order."""
    out = []
    for o in engine.pending.values():
        if o.order_type == "LIMIT":
            hit = ask <= o.price if o.side == "LONG" else bid >= o.price
        else:
            hit = ask >= o.price if o.side == "LONG" else bid <= o.price
        if hit:
            out.append(o.order_id)
    return out


def bench_naive_both(engine: Engine, count: int) -> float:
    path = prices(count)
    positions = engine.positions
    start = time.perf_counter()
    for p in path:
        bid, ask = quote(p, engine.settings.spread)
        if scan_fired(positions.values(), BTC, bid, ask) or naive_pending(engine, bid, ask):
            raise AssertionError("something fired in the quiet benchmark")
    return count / (time.perf_counter() - start)


def bench_funding(engine: Engine, budget: int) -> tuple[int, float, float, float, int]:
    """One boundary over every open position, in ClockTicks of ``budget`` charges:
    (steps, median step ms, slowest step ms, total s, positions charged). The heap is
    frozen first, as the service does after start-up (a full GC pass would dominate)."""
    boundary = (T0 // 28_800_000 + 1) * 28_800_000
    engine.on_tick(PriceTick(BTC, REF, boundary))
    gc.collect()
    gc.freeze()
    times: list[float] = []
    charged = 0
    start = time.perf_counter()
    while True:
        t = time.perf_counter()
        out = engine.handle(ClockTick(boundary, budget))
        times.append(time.perf_counter() - t)
        charged += sum(1 for e in out.events if type(e).__name__ == "FundingCharged")
        if not out.more:
            break
    total = time.perf_counter() - start
    gc.unfreeze()
    times.sort()
    return len(times), times[len(times) // 2] * 1000, times[-1] * 1000, total, charged


def memory_per_position(n: int) -> tuple[float, float]:
    """MiB held by an engine with n open positions (state + trigger index), and bytes each."""
    tracemalloc.start()
    engine = with_positions(n)
    current, _ = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert len(engine.positions) == n
    return current / 2**20, current / n


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    sizes = [1_000, 10_000] if args.quick else [1_000, 10_000, 50_000, 100_000]
    pairs = 20_000 if args.quick else 100_000
    print(f"open+close commands/s: {bench_commands(pairs):,.0f} ({pairs:,} pairs)")
    print(f"{'positions':>10} {'index ticks/s':>15} {'naive ticks/s':>15} {'index/naive':>12}")
    for n in sizes:
        engine = with_positions(n)
        index_rate = bench_index(engine, 50_000)
        naive_rate = bench_naive(engine, max(10, 2_000_000 // n))
        ratio = index_rate / naive_rate
        print(f"{n:>10,} {index_rate:>15,.0f} {naive_rate:>15,.1f} {ratio:>11,.0f}x")
    n = sizes[-1]
    engine = with_positions(n)
    add_pending(engine, n)
    index_rate = bench_index(engine, 50_000)
    naive_rate = bench_naive_both(engine, max(10, 1_000_000 // n))
    print(
        f"{n:,} open positions + {n:,} pending orders, quiet tick: index {index_rate:,.0f} "
        f"ticks/s, naive scan {naive_rate:,.1f} ticks/s, {index_rate / naive_rate:,.0f}x"
    )
    for budget in (500, 2_000):
        fresh = with_positions(n)
        steps, median_ms, slowest_ms, total_s, charged = bench_funding(fresh, budget)
        assert charged == n, (charged, n)
        print(
            f"funding boundary over {n:,} positions, ClockTick budget {budget:,}: {steps} steps, "
            f"median {median_ms:,.1f} ms, slowest {slowest_ms:,.1f} ms, {total_s:,.2f} s in all"
        )
    mib, each = memory_per_position(sizes[-1])
    print(f"memory with {sizes[-1]:,} open positions: {mib:,.1f} MiB ({each:,.0f} bytes each)")


if __name__ == "__main__":
    main()
