"""A real scale-out deployment in subprocesses: its own nats-server, one ``velox engine`` and
any number of ``velox gateway``s on one scratch PostgreSQL schema. Each part can be killed
with SIGKILL and started again; NATS can be restarted on the same port."""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import sys
from pathlib import Path

import aiohttp

from tests.ports import free_port
from tests.system.server import ADMIN_TOKEN, ROOT, START_GIVE_UP_S

NATS_SERVER = shutil.which("nats-server") or "/usr/sbin/nats-server"
SECRET = "scale-test-secret-" + "x" * 32


class Proc:
    """One subprocess with its log file; ``start`` waits until ``ready()`` says so."""

    def __init__(self, name: str, log_dir: Path) -> None:
        self.name = name
        self.log_dir = log_dir
        self.proc: asyncio.subprocess.Process | None = None
        self.starts = 0
        self.env = {"VELOX_JWT_SECRET": SECRET}  # every role signs with one secret

    def args(self) -> list[str]:
        raise NotImplementedError

    async def ready(self) -> bool:
        raise NotImplementedError

    async def start(self, wait: bool = True) -> None:
        self.starts += 1
        log = open(self.log_path, "wb")  # noqa: SIM115
        self.proc = await asyncio.create_subprocess_exec(
            *self.args(), cwd=ROOT, stdout=log, stderr=log,
            env={**{k: v for k, v in os.environ.items() if k != "VELOX_JWT_SECRET"}, **self.env},
        )  # fmt: skip
        log.close()
        if wait:
            await self.wait_ready()

    @property
    def log_path(self) -> Path:
        return self.log_dir / f"{self.name}-{self.starts}.log"

    async def wait_ready(self) -> None:
        deadline = asyncio.get_running_loop().time() + START_GIVE_UP_S
        while not await self.ready():
            assert self.proc is not None and self.proc.returncode is None, self.log_tail()
            if asyncio.get_running_loop().time() > deadline:
                raise TimeoutError(f"{self.name} did not become ready:\n{self.log_tail()}")
            await asyncio.sleep(0.1)

    def log_tail(self) -> str:
        path = self.log_path
        return path.read_text(errors="replace")[-3000:] if path.exists() else ""

    async def exit_status_before_ready(self) -> int:
        """Start; the exit status if the process ends before it is ready (a refusal at
        start). Becoming ready fails the test, after stopping it."""
        await self.start(wait=False)
        assert self.proc is not None
        deadline = asyncio.get_running_loop().time() + START_GIVE_UP_S
        while self.proc.returncode is None:
            if await self.ready():
                await self.stop()
                raise AssertionError(f"{self.name} became ready:\n{self.log_tail()}")
            assert asyncio.get_running_loop().time() < deadline, self.log_tail()
            await asyncio.sleep(0.1)
        return await self.proc.wait()

    async def kill9(self) -> None:
        assert self.proc is not None
        os.kill(self.proc.pid, signal.SIGKILL)
        await self.proc.wait()

    async def stop(self) -> int:
        if self.proc is None or self.proc.returncode is not None:
            return 0
        self.proc.send_signal(signal.SIGTERM)
        try:
            return await asyncio.wait_for(self.proc.wait(), 30)
        except TimeoutError:
            await self.kill9()
            raise


class Nats(Proc):
    def __init__(self, log_dir: Path) -> None:
        super().__init__("nats", log_dir)
        self.port = free_port()
        self.store_dir = log_dir / "jetstream"

    @property
    def url(self) -> str:
        return f"nats://127.0.0.1:{self.port}"

    def args(self) -> list[str]:
        return [NATS_SERVER, "-js", "-a", "127.0.0.1", "-p", str(self.port),
                "-sd", str(self.store_dir)]  # fmt: skip

    async def ready(self) -> bool:
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", self.port)
        except OSError:
            return False
        writer.close()
        return True


class Role(Proc):
    """``velox engine`` or ``velox gateway`` (the engine serves only /healthz)."""

    def __init__(
        self, role: str, name: str, db_url: str, bus: str, log_dir: Path, extra: tuple[str, ...]
    ) -> None:
        super().__init__(name, log_dir)
        self.role = role
        self.db_url = db_url
        self.bus = bus
        self.extra = extra
        self.port = free_port()
        self.data_dir = log_dir / name
        self.data_dir.mkdir(parents=True, exist_ok=True)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def args(self) -> list[str]:
        return [
            sys.executable, "run.py", self.role,
            "--port", str(self.port), "--db", self.db_url, "--bus", self.bus,
            "--data-dir", str(self.data_dir), "--feed", "sim", "--sim-rate", "50",
            "--rate-limit-orders", "0", "--rate-limit-auth", "0", "--rate-limit-public", "0",
            "--max-sockets-per-ip", "0",  # the scale benchmark fans out to many sockets
            "--max-connections-per-ip", "0",
            "--admin-token", ADMIN_TOKEN, "--snapshot-interval", "2", "--bcrypt-rounds", "4",
            "--history-candles", "0", "--log-level", "INFO",
            "--api-key-file", str(self.data_dir.parent / "api_keys.key"), *self.extra,
        ]  # fmt: skip

    async def ready(self) -> bool:
        try:
            timeout = aiohttp.ClientTimeout(total=2)
            async with (
                aiohttp.ClientSession(timeout=timeout) as session,
                session.get(self.base + "/healthz") as r,
            ):
                return r.status == 200
        except (aiohttp.ClientError, TimeoutError):
            return False


class Cluster:
    """NATS, one engine, ``gateways`` gateways; all on ``db_url``."""

    def __init__(
        self, db_url: str, log_dir: Path, gateways: int = 2, extra: tuple[str, ...] = ()
    ) -> None:
        self.nats = Nats(log_dir)
        self.engine = Role("engine", "engine", db_url, self.nats.url, log_dir, extra)
        self.gateways = [
            Role("gateway", f"gateway{i}", db_url, self.nats.url, log_dir, extra)
            for i in range(gateways)
        ]
        self.db_url = db_url

    @property
    def bases(self) -> list[str]:
        return [g.base for g in self.gateways]

    async def start(self) -> None:
        await self.nats.start()
        await self.engine.start()
        for gateway in self.gateways:
            await gateway.start(wait=False)
        for gateway in self.gateways:
            await gateway.wait_ready()

    async def stop(self) -> list[int]:
        """SIGTERM the gateways, then the engine (final snapshot), then NATS."""
        codes = [await g.stop() for g in self.gateways]
        codes.append(await self.engine.stop())
        await self.nats.stop()
        return codes

    def logs(self) -> str:
        return "\n".join(
            f"--- {p.name}\n{p.log_tail()}" for p in (self.engine, *self.gateways, self.nats)
        )
