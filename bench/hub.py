"""The websocket hub's cost to the engine (issue 11 section 3), in one run:

    python bench/hub.py [--users 2000] [--positions 50] [--rate 50] [--seconds 10] [--trailing]

One server in this process (the whole app on SQLite, real sockets), ``--users`` users with
``--positions`` open positions each over three assets, and ``--rate`` ticks per second per
asset (as ``--sim-rate``). Two phases on the same state, each ``--seconds`` long:

1. no websocket open;
2. every user connected (20 probe sockets time their prices, the others read and discard).

In both, one HTTP client (bench/hub_client.py, its own process) opens and closes orders. The
engine's batches are timed from inside (a batch: apply, commit, listeners) together with each
tick's wait in the queue; printed: batch p99 with sockets / without (goal <= 2x), and
tick-to-websocket p99 at the probes (goal < 50 ms), from the tick's timestamp to its arrival.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path[0] = str(Path(__file__).resolve().parent.parent)  # bench/http.py shadows http

from aiohttp import web

import velox.service
from velox.cli import event_loop, tune_gc
from velox.config import Settings
from velox.engine.commands import OpenAccount, OpenPosition, PriceTick
from velox.money import SCALE
from velox.service import EngineService
from velox.web.app import create_app
from velox.web.keys import HUB, SERVICE, SESSIONS
from velox.web.options import WebOptions
from velox.web.ws.frames import text_frame
from velox.web.ws.hub import Hub

ASSETS = {"BTCUSDT": 100_000, "ETHUSDT": 3_000, "SOLUSDT": 150}
PROBES = 20


class Timings:
    """Each engine batch's duration and each tick's wait in the queue, while measuring."""

    def __init__(self, service: EngineService) -> None:
        self.batches: list[float] = []
        self.waits: list[float] = []
        self.offered: dict[int, float] = {}
        self.measuring = False
        self.on_measure: Any = None
        apply, finish = velox.service.apply_batch, service._finish
        started: dict[int, float] = {}

        def timed_apply(engine: Any, items: list[Any], *rest: Any) -> Any:
            start = time.perf_counter()
            for item in items:
                offered = self.offered.pop(id(item), None) if isinstance(item, PriceTick) else None
                if offered is not None and self.measuring:
                    self.waits.append(start - offered)
            result = apply(engine, items, *rest)
            started[id(result[0])] = start
            return result

        async def timed_finish(batch: Any) -> bool:
            ok: bool = await finish(batch)
            start = started.pop(id(batch), None)
            if start is not None and self.measuring:
                self.batches.append(time.perf_counter() - start)
            return ok

        # a batch: from its apply to the end of its reveal (commit, replies, listeners)
        velox.service.apply_batch = timed_apply  # type: ignore[attr-defined]
        service._finish = timed_finish  # type: ignore[method-assign]

    def reset(self, measuring: bool) -> None:
        self.batches.clear()
        self.waits.clear()
        self.measuring = measuring
        if self.on_measure is not None:
            self.on_measure()


async def ticks(service: EngineService, timings: Timings, rate: float) -> None:
    """``rate`` ticks per second per asset, like ``--feed sim --sim-rate``."""
    prices = {a: p * SCALE for a, p in ASSETS.items()}
    rng = random.Random(7)
    next_at = time.perf_counter()
    while True:
        for asset in ASSETS:
            prices[asset] += prices[asset] * rng.randint(-10, 11) // 100_000  # +-0.01 %
            tick = PriceTick(asset, prices[asset], service.clock())
            timings.offered[id(tick)] = time.perf_counter()
            service.offer_tick(tick)
        next_at += 1 / rate
        await asyncio.sleep(max(0.0, next_at - time.perf_counter()))


async def populate(service: EngineService, users: int, positions: int, trailing: bool) -> None:
    for asset, price in ASSETS.items():
        service.offer_tick(PriceTick(asset, price * SCALE, service.clock()))
    await asyncio.gather(
        *(service.submit(OpenAccount(str(u), service.clock())) for u in range(users + 1))
    )
    rng = random.Random(1)
    names = list(ASSETS)
    commands = []
    for u in range(1, users + 1):
        for i in range(positions):
            asset = names[i % len(names)]
            stop = ASSETS[asset] * SCALE // 20 if trailing else None  # 5 % behind
            side = rng.choice(("LONG", "SHORT"))
            commands.append(
                OpenPosition(
                    str(u), asset, side, 2, service.clock(), margin=10 * SCALE, trailing_stop=stop
                )
            )
    for i in range(0, len(commands), 5000):
        outcomes = await asyncio.gather(*(service.submit(c) for c in commands[i : i + 5000]))
        assert all(o.ok for o in outcomes), [o.refusal for o in outcomes if not o.ok][:3]


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * q))]


def floor(hub: Hub) -> tuple[float, float]:
    """One bare write of a 120-byte frame to every socket: (wall ms, CPU ms), the best of 5.

    The least any price pass can cost on this machine now (no JSON, no figures, no slices).
    """
    frame = text_frame(b'{"type":"floor","pad":"' + b"x" * 96 + b'"}')
    best = (float("inf"), float("inf"))
    for _ in range(5):
        wall, cpu = time.perf_counter(), time.process_time()
        for conn in list(hub.connections):
            conn.offer(frame[2:], frame)
        best = min(best, ((time.perf_counter() - wall) * 1000, (time.process_time() - cpu) * 1000))
    return best


async def phase(
    port: int, tokens: Path, seconds: float, sockets: int, timings: Timings, hub: Hub
) -> dict[str, Any]:
    client = await asyncio.create_subprocess_exec(
        sys.executable, str(Path(__file__).with_name("hub_client.py")), str(port), str(tokens),
        str(seconds), str(sockets), str(min(PROBES, sockets)),
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
        limit=1 << 24,  # the result line lists every probe delay and order latency
    )  # fmt: skip
    assert client.stdout is not None and client.stdin is not None
    line = await client.stdout.readline()
    assert line.strip() == b"ready", line
    await asyncio.sleep(1.0)  # let the connection storm settle
    timings.reset(True)
    client.stdin.write(b"go\n")
    await client.stdin.drain()
    cpu = time.process_time()
    result: dict[str, Any] = json.loads(await client.stdout.readline())
    timings.measuring = False
    result["server_cpu"] = time.process_time() - cpu
    result["load"] = os.getloadavg()[0]
    result["floor"] = floor(hub) if sockets else None
    client.stdin.write(b"bye\n")
    await client.stdin.drain()
    await client.wait()
    result["batches"] = list(timings.batches)
    result["waits"] = list(timings.waits)
    return result


def row(name: str, r: dict[str, Any], seconds: float) -> str:
    ms = 1000
    return (
        f"{name:<16}{len(r['batches']):>9,}{pct(r['batches'], 0.5) * ms:>10.3f}"
        f"{pct(r['batches'], 0.99) * ms:>10.3f}{pct(r['waits'], 0.99) * ms:>15.2f}"
        f"{pct(r['orders'], 0.99):>11.2f}{len(r['orders']) / seconds:>10.1f}"
        f"{r['server_cpu'] / seconds:>12.0%}{r['client_cpu'] / seconds:>12.0%}"
        f"{r['load']:>7.1f}"
    )


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--users", type=int, default=2000)
    parser.add_argument("--positions", type=int, default=50)
    parser.add_argument("--rate", type=float, default=50.0)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--trailing", action="store_true", help="a trailing stop on each")
    parser.add_argument("--profile", help="write a cProfile of the sockets phase to this file")
    parser.add_argument("--switch-interval", type=float, help="sys.setswitchinterval (s)")
    args = parser.parse_args()
    if args.switch_interval:
        sys.setswitchinterval(args.switch_interval)
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(
            data_dir=tmp, db=f"sqlite:///{tmp}/velox.db", rate_limit_orders=10**6,
            rate_limit_public=10**6, max_sockets_per_ip=0, snapshot_interval=3600.0,
        )  # fmt: skip
        app = create_app(settings, feed=None, options=WebOptions(bcrypt_rounds=4))
        tune_gc(app)  # as ``velox run`` does
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        service = app[SERVICE]
        started = time.perf_counter()
        await populate(service, args.users, args.positions, args.trailing)
        gc.freeze()  # what ``velox run`` does after replaying its journal at start
        print(
            f"{args.users:,} users x {args.positions} open positions "
            f"({args.users * args.positions:,}{', trailing stops' if args.trailing else ''}), "
            f"{args.rate:g} ticks/s on each of {len(ASSETS)} assets, {args.seconds:g} s per phase "
            f"(set up in {time.perf_counter() - started:.1f} s)"
        )
        tokens = Path(tmp) / "tokens.json"
        tokens.write_text(
            json.dumps([app[SESSIONS].issue(str(u))[0] for u in range(args.users + 1)])
        )
        timings = Timings(service)
        driver = asyncio.create_task(ticks(service, timings, args.rate))
        hub = app[HUB]
        quiet = await phase(port, tokens, args.seconds, 0, timings, hub)
        profile = None
        if args.profile:
            import cProfile

            profile = cProfile.Profile()
            timings.on_measure = profile.enable
        loud = await phase(port, tokens, args.seconds, args.users, timings, hub)
        if profile is not None:
            profile.disable()
            profile.dump_stats(args.profile)
        driver.cancel()
        computations = getattr(getattr(app[HUB], "book", None), "computations", -1)
        await runner.cleanup()
    print(
        f"{'phase':<16}{'batches':>9}{'p50 ms':>10}{'p99 ms':>10}{'tick wait p99':>15}"
        f"{'order p99':>11}{'orders/s':>10}{'server cpu':>12}{'client cpu':>12}{'load':>7}"
    )
    print(row("no sockets", quiet, args.seconds))
    print(row(f"{args.users:,} sockets", loud, args.seconds))
    ratio = pct(loud["batches"], 0.99) / pct(quiet["batches"], 0.99)
    print(f"engine batch p99, sockets / no sockets = {ratio:.2f}x (goal <= 2x)")
    lat = loud["latencies"]
    print(
        f"tick-to-websocket at {min(PROBES, args.users)} probes: p50 {pct(lat, 0.5):.1f} ms, "
        f"p99 {pct(lat, 0.99):.1f} ms, max {max(lat, default=float('nan')):.1f} ms "
        f"(goal p99 < 50 ms; {len(lat):,} price updates)"
    )
    wall, cpu = loud["floor"]
    print(
        f"floor: one bare write to each of {args.users:,} sockets takes {wall:.1f} ms "
        f"({cpu:.1f} ms of CPU) now; load average {loud['load']:.1f} on {os.cpu_count()} cores"
    )
    counts = loud["counts"]
    per_socket = {k: v / min(PROBES, args.users) / args.seconds for k, v in counts.items()}
    print(
        "messages per probe socket per second: "
        + ", ".join(f"{k} {v:.1f}" for k, v in sorted(per_socket.items()))
        + f"; sockets dropped: {loud['dropped']}; figure computations: {computations:,}"
    )
    if statistics.mean(quiet["batches"] or [0]) == 0:
        print("warning: no batches measured")


if __name__ == "__main__":
    # the event loop ``velox run`` serves on (uvloop where installed), as bench/http.py's
    # server process does
    with asyncio.Runner(loop_factory=event_loop) as runner:
        runner.run(main())
