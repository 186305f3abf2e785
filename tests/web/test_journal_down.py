"""A journal that cannot be written (a full disk) is an outage the process must show.

Before, every order answered 503 "the engine is starting or stopping" while ``/healthz``
answered 200 READY (the engine is rebuilt from the store after each failed commit, which
reads fine), so no load balancer or monitor noticed; and the log held a full traceback per
failed commit. Now ``/healthz`` answers 503 with the ``journal`` part down until a write
goes through again (a probe finds that out with no order arriving), the refusal says the
journal cannot be written, and the log says so once, then once when it works again.

Both stores (``db_url``): the store's ``append_batch`` and ``set_meta`` fail with ENOSPC.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from tests.web.conftest import FAST
from tests.web.helpers import signup, tick
from velox.config import Settings
from velox.web.app import create_app
from velox.web.keys import SERVICE

ORDER = {"asset": "BTCUSDT", "side": "LONG", "leverage": 10, "margin": "10"}


class Disk:
    """Makes a store's writes fail with ENOSPC while ``full``."""

    def __init__(self, store: Any) -> None:
        self.full = False
        for name in ("append_batch", "set_meta"):
            setattr(store, name, self._wrap(getattr(store, name)))

    def _wrap(self, write: Any) -> Any:
        async def wrapped(*args: Any) -> Any:
            if self.full:
                raise OSError(28, "No space left on device")
            return await write(*args)

        return wrapped


async def healthz(client: TestClient[Any, Any]) -> tuple[int, Any]:
    response = await client.get("/healthz")
    return response.status, await response.json()


async def test_a_journal_that_cannot_be_written_is_down_until_it_can(
    db_url: str,
    aiohttp_client: Any,
    settings: Settings,
    caplog: pytest.LogCaptureFixture,
) -> None:
    app = create_app(settings.with_(db=db_url), feed=None, options=FAST)
    client: TestClient[Any, Any] = await aiohttp_client(app)
    user = await signup(client)
    await tick(client, "BTCUSDT", "50000")
    await user.open(**ORDER)
    assert (await healthz(client))[0] == 200
    disk = Disk(client.app[SERVICE].store)

    disk.full = True
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="velox"):
        for _ in range(4):
            body = await user.open(503, **ORDER)
            assert body["error"]["code"] == "ENGINE_NOT_READY"
            assert "journal cannot be written" in body["error"]["message"], body
        status, health = await healthz(client)
        assert status == 503, health
        assert health["parts"]["journal"]["state"] == "down"
        assert health["parts"]["journal"]["error"] == "OSError"
        await asyncio.sleep(1.5)  # the probe fails too: still down, and still quiet
        assert (await healthz(client))[0] == 503
        said = [r for r in caplog.records if "journal" in r.getMessage()]
        assert [r.getMessage() for r in said] == [
            "journal commit failed: [Errno 28] No space left on device; retrying"
        ]
        assert not any(r.exc_info for r in caplog.records), "no traceback per failed commit"

        disk.full = False  # no order arrives: the probe alone brings it back
        for _ in range(100):
            status, health = await healthz(client)
            if status == 200:
                break
            await asyncio.sleep(0.05)
        assert status == 200, health
        assert health["parts"]["journal"] == {
            "state": "up", "downMs": 0, "restarts": 1, "error": "OSError"
        }  # fmt: skip
        await user.open(**ORDER)
    said = [r.getMessage() for r in caplog.records if "journal" in r.getMessage()]
    assert said[1:] == ["journal writes work again"], said
