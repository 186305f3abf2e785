"""The system acceptance checks (``tests/system/checks.py``) against one engine and two
gateways, the traders and listeners spread over both (SPEC section 15: "the same acceptance
tests pass against two gateways")."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace

import pytest

from tests.scale.cluster import Cluster
from tests.scale.load import check_exactly_once, drive
from tests.system.checks import check_durable, check_live, check_no_lost_requests

pytestmark = pytest.mark.slow
TRADERS = 100
LISTENERS = 200


async def test_the_acceptance_checks_pass_against_two_gateways(cluster: Cluster) -> None:
    def everyone_served(loads: list) -> bool:  # type: ignore[type-arg]
        return all(sum(load.served_by.values()) > 0 for load in loads)

    record, loads = await drive(
        cluster.bases,
        lambda: asyncio.sleep(10),
        traders=TRADERS,
        listeners=LISTENERS,
        acks=TRADERS,
        settled=everyone_served,
    )
    check_no_lost_requests(record)
    for base in cluster.bases:  # each gateway shows every acknowledgement exactly
        await check_live(SimpleNamespace(base=base), record)  # type: ignore[arg-type]
    assert len(record.traders) == TRADERS
    assert [t.email for t in record.traders if not t.token or t.opens_acked == 0] == []
    assert record.acked_closes
    assert record.ws_connects >= LISTENERS and record.ws_listeners_priced == LISTENERS
    # both gateways carried traders and listeners
    for base in cluster.bases:
        assert sum(1 for load in loads if load.served_by[base]) >= (TRADERS + LISTENERS) // 2
    assert await cluster.stop() == [0, 0, 0], cluster.logs()
    await check_durable(cluster.db_url, record)
    await check_exactly_once(cluster.db_url, record, loads)
