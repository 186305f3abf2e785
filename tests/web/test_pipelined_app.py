"""``velox run`` overlaps a batch's commit with the next batch's decisions (issue 11 section 6)
only while every listener is staged: one classic listener (which may read the engine after
the commit) switches the overlap off for the whole process."""

from __future__ import annotations

from typing import Any

from aiohttp.test_utils import TestClient

from velox.web.keys import ENGINE_SERVICE


async def test_every_listener_of_the_single_process_is_staged(
    client: TestClient[Any, Any],
) -> None:
    service = client.app[ENGINE_SERVICE]
    assert service.pipeline
    assert service._listeners == []  # the hub and both Binance streams subscribe staged
    assert len(service._staged) == 3
