"""The hub as a staged listener of a pipelined engine: nothing of a batch reaches a socket or
the figures before that batch's commit, and a failed commit reaches neither."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from tests.service.test_pipeline import REF, Held
from velox.engine.commands import OpenAccount, OpenPosition, PriceTick
from velox.engine.settings import EngineSettings
from velox.money import SCALE
from velox.service import EngineService
from velox.store.base import Store
from velox.web.auth.sessions import Session
from velox.web.ws.connection import Connection
from velox.web.ws.hub import Hub

BTC = "BTCUSDT"
NOW = 1_700_000_000_000
FAR = 4_000_000_000_000  # sessions that outlive the test


class Socket:
    def __init__(self, hub: Hub, user_id: str) -> None:
        self.seen: list[dict[str, Any]] = []

        async def send(data: bytes) -> None:
            self.seen.append(json.loads(data))

        async def close(_code: int, _reason: bytes) -> object:
            return True

        session = Session(user_id, f"jti-{user_id}", FAR)
        self.conn = Connection(send, close, lambda: None, session, queue_size=100)
        hub.attach(self.conn)

    def kinds(self) -> list[str]:
        return [m["type"] for m in self.seen if m["type"] != "price_update"]


async def settle() -> None:
    for _ in range(30):
        await asyncio.sleep(0)


async def test_a_batch_reaches_sockets_and_figures_only_after_its_commit(
    sqlite_store: Store,
) -> None:
    held = Held(sqlite_store)
    service = EngineService(held, EngineSettings(), clock=lambda: NOW)  # type: ignore[arg-type]
    hub = Hub(lambda: service.engine, push_interval_s=0.0)
    service.subscribe_staged(hub.stage)
    await service.start()
    for user in ("alice", "bob"):
        await service.submit(OpenAccount(user, NOW))
    alice, bob = Socket(hub, "alice"), Socket(hub, "bob")
    service.offer_tick(PriceTick(BTC, REF, NOW))  # its batch reads both users' books
    await service.read(lambda e: None)
    await hub.settled()
    assert set(hub.book.users) == {"alice", "bob"}

    held.hold = True
    order = OpenPosition("alice", BTC, "LONG", 10, NOW, margin=100 * SCALE)
    first = asyncio.create_task(service.submit(order))
    _, commit_a = await held.started.get()
    second = asyncio.create_task(
        service.submit(OpenPosition(**{**_terms(order), "user_id": "bob"}))
    )
    await settle()  # bob's open is applied while alice's commits
    assert service._applied_seq > service.seq
    assert alice.kinds() == [] and bob.kinds() == []
    assert hub.book.figures("alice").balance == hub.book.figures("bob").balance == 1000 * SCALE  # type: ignore[union-attr]

    commit_a.set_result(True)
    _, commit_b = await held.started.get()
    assert (await first).ok
    await hub.settled()
    await settle()
    assert alice.kinds() == ["order_opened", "fill", "balance"]
    assert alice.seen[-1]["data"]["balance"] == "900.00000000"
    assert bob.kinds() == []  # applied, not durable
    assert hub.book.figures("bob").balance == 1000 * SCALE  # type: ignore[union-attr]

    commit_b.set_result(False)  # bob's commit fails: the engine is rebuilt without it
    (refused,) = await asyncio.gather(second, return_exceptions=True)
    assert isinstance(refused, Exception)  # EngineNotReady: nothing acknowledged
    await hub.settled()
    await settle()
    assert bob.kinds() == []
    assert hub.book.figures("bob").balance == 1000 * SCALE  # type: ignore[union-attr]
    assert hub.book.users["bob"].assets == {}
    held.hold = False
    hub.close_all()
    await alice.conn.stop()
    await bob.conn.stop()
    await service.stop()


def _terms(order: OpenPosition) -> dict[str, Any]:
    return {name: getattr(order, name) for name in order.__dataclass_fields__}


async def test_a_user_gone_before_the_commit_leaves_nothing_behind(sqlite_store: Store) -> None:
    held = Held(sqlite_store)
    service = EngineService(held, EngineSettings(), clock=lambda: NOW)  # type: ignore[arg-type]
    hub = Hub(lambda: service.engine, push_interval_s=0.0)
    service.subscribe_staged(hub.stage)
    await service.start()
    await service.submit(OpenAccount("alice", NOW))
    alice = Socket(hub, "alice")
    service.offer_tick(PriceTick(BTC, REF, NOW))
    await service.read(lambda e: None)
    held.hold = True
    order = OpenPosition("alice", BTC, "LONG", 10, NOW, margin=100 * SCALE)
    opened = asyncio.create_task(service.submit(order))
    _, commit = await held.started.get()  # applied and staged, not durable
    hub.detach(alice.conn)
    commit.set_result(True)
    assert (await opened).ok
    await hub.settled()
    assert alice.kinds() == []
    assert "alice" not in hub.book.users and not hub.pusher._due and not hub.pusher._last
    held.hold = False
    hub.close_all()
    await alice.conn.stop()
    await service.stop()
