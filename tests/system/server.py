"""A real Velox server in a subprocess: start, wait READY, kill -9, restart, read its RSS."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

import aiohttp

from tests.ports import free_port

ROOT = Path(__file__).resolve().parents[2]
ADMIN_TOKEN = "system-test-admin-token-of-32-characters"
# How long a start may take before it counts as hung: only so a broken build fails instead of
# hanging, far beyond any real start (speed is not what these tests check).
START_GIVE_UP_S = 180.0


class ServerProcess:
    def __init__(
        self,
        db_url: str,
        data_dir: Path,
        *,
        sim_rate: float = 1000.0,
        extra_args: tuple[str, ...] = (),
    ) -> None:
        self.extra_args = extra_args
        self.db_url = db_url
        self.data_dir = data_dir
        self.sim_rate = sim_rate
        self.port = free_port()
        self.proc: asyncio.subprocess.Process | None = None
        self.starts = 0

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> None:
        self.starts += 1
        log = open(self.data_dir / f"server-{self.starts}.log", "wb")  # noqa: SIM115
        self.proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "run.py",
            "run",
            "--port",
            str(self.port),
            "--db",
            self.db_url,
            "--data-dir",
            str(self.data_dir),
            "--feed",
            "sim",
            "--sim-rate",
            str(self.sim_rate),
            "--rate-limit-orders",
            "0",
            "--rate-limit-auth",
            "0",
            # the load, memory and fan-out runs open hundreds of sockets from this one address
            "--max-sockets-per-ip",
            "0",
            "--max-connections-per-ip",
            "0",
            "--admin-token",
            ADMIN_TOKEN,
            "--snapshot-interval",
            "2",
            # 200 simultaneous signups at cost 12 take ~25 s of both cores: the load is
            # about trading, so hash cheaply here (never the default).
            "--bcrypt-rounds",
            "4",
            "--log-level",
            "WARNING",
            # no seeded chart history: writing 1,000 candles of every duration for every
            # symbol takes the first minute's CPU and SQLite writer, which the load, chaos and
            # benchmark figures are not about (tests/market covers the history)
            "--history-candles",
            "0",
            *self.extra_args,
            cwd=ROOT,
            stdout=log,
            stderr=log,
            env={**os.environ, "VELOX_JWT_SECRET": "system-test-secret-" + "x" * 32},
        )
        log.close()
        await self.wait_ready()

    async def wait_ready(self) -> None:
        deadline = asyncio.get_running_loop().time() + START_GIVE_UP_S
        async with aiohttp.ClientSession() as session:
            while True:
                assert self.proc is not None and self.proc.returncode is None, self.log_tail()
                try:
                    async with session.get(self.base + "/healthz") as r:
                        if r.status == 200:
                            return
                except aiohttp.ClientError:
                    pass
                if asyncio.get_running_loop().time() > deadline:
                    raise TimeoutError("server did not become READY:\n" + self.log_tail())
                await asyncio.sleep(0.1)

    def log_tail(self) -> str:
        path = self.data_dir / f"server-{self.starts}.log"
        return path.read_text(errors="replace")[-3000:] if path.exists() else ""

    def rss_mib(self) -> float:
        if self.proc is None or self.proc.returncode is not None:
            return 0.0
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        return 0.0

    async def kill9(self) -> None:
        assert self.proc is not None
        os.kill(self.proc.pid, signal.SIGKILL)
        await self.proc.wait()

    async def stop(self) -> int:
        """SIGTERM: drain, final snapshot, exit. Returns the exit code."""
        if self.proc is None or self.proc.returncode is not None:
            return 0
        self.proc.send_signal(signal.SIGTERM)
        try:
            return await asyncio.wait_for(self.proc.wait(), 30)
        except TimeoutError:
            await self.kill9()
            raise
