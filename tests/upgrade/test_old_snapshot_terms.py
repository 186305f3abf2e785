"""A schema-version-2 database whose snapshots predate the positions' order terms (written by
fd98ac7: positions of 19 fields, no funding boundary refs), upgraded and started.

With the whole journal the engine is the full replay's: the positions opened by LIMIT orders
show LIMIT and their price, and ``velox audit`` passes (before: the snapshot's defaults,
MARKET with no price, and two PROBLEMs for ever). With a pruned journal the old snapshot is
the only base: the audit says which fields it could not hold, as NOTEs, and exits 0.
"""

from __future__ import annotations

import logging
from typing import Any

import pytest

from tests.upgrade.conftest import velox_audit
from tests.upgrade.old_database import EMAIL, PASSWORD, load_v2_database
from tests.web.conftest import MakeClient
from tests.web.helpers import bearer
from velox.store.factory import open_store_for

# The old database's figures (its orders rows and its last snapshot): account 1's free
# balance, and its two positions opened by LIMIT orders that filled at once.
BALANCE_1 = "759.48001003"
OPEN = {
    "1": {"type": "LIMIT", "price": "96955.76000000", "clientOrderId": "my-limit-1"},
    "2": {"type": "LIMIT", "price": "3202.70000000", "clientOrderId": None},
}
OK_LINE = "OK: replay, conservation"


async def _open_list(make_client: MakeClient) -> tuple[list[dict[str, Any]], str]:
    """Start on the database, read what its trader sees (open list, balance), stop."""
    client = await make_client()
    try:
        signin = await client.post(
            "/api/v1/user/signin", json={"email": EMAIL, "password": PASSWORD}
        )
        assert signin.status == 200, await signin.text()
        headers = bearer((await signin.json())["token"])
        client.session.cookie_jar.clear()
        listed = await client.get("/api/v1/order/user/orders?status=OPEN", headers=headers)
        orders: list[dict[str, Any]] = (await listed.json())["orders"]
        balance = await client.get("/api/v1/order/user/balance", headers=headers)
        return orders, (await balance.json())["balance"]
    finally:
        await client.close()  # the final snapshot, written by this Velox


def _terms(orders: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    keys = ("type", "price", "clientOrderId")
    return {o["orderId"]: {k: o[k] for k in keys} for o in orders}


async def test_an_upgraded_database_shows_the_real_terms_and_passes_the_audit(
    db_url: str, make_client: MakeClient, caplog: pytest.LogCaptureFixture
) -> None:
    await load_v2_database(db_url)
    with caplog.at_level(logging.INFO, logger="velox.journal.replay"):
        orders, balance = await _open_list(make_client)
    assert _terms(orders) == OPEN
    assert balance == BALANCE_1
    said = [r.getMessage() for r in caplog.records if r.name == "velox.journal.replay"]
    assert said == [
        "the snapshot at seq 15 was written by an older Velox (it lacks "
        "funding_interval_on_record, funding_resumed_at, boundary_refs, accounts.fees_waived, "
        "positions.order_type, positions.price, positions.oco_group_id, positions.created_at): "
        "the engine is rebuilt from the whole journal instead"
    ]
    code, lines = velox_audit(db_url)
    assert code == 0, lines
    assert lines[-1].startswith(OK_LINE)
    assert not [line for line in lines if line.startswith(("PROBLEM", "NOTE"))]


async def test_a_pruned_journal_keeps_the_old_snapshot_and_the_audit_says_what_it_lacks(
    db_url: str, make_client: MakeClient, caplog: pytest.LogCaptureFixture
) -> None:
    """--prune-journal --snapshot-keep 2: the journal starts at seq 13, after the snapshot at
    12, the only base there is. Its positions keep the defaults (MARKET, no price), as an old
    snapshot could not hold more; the audit names what, and that the deposits (table added
    after fd98ac7) of both accounts could not be rebuilt; still after its snapshots are gone."""
    await load_v2_database(db_url, keep_snapshots=2)
    with caplog.at_level(logging.INFO, logger="velox.journal.replay"):
        orders, balance = await _open_list(make_client)
    # the start says so too (an upgrade review: only velox audit did)
    said = [r.getMessage() for r in caplog.records if r.name == "velox.journal.replay"]
    assert len(said) == 1 and said[0].startswith(
        "the snapshot at seq 15 was written by an older Velox (it lacks funding_interval_on_record"
    ), said
    assert said[0].endswith(
        "and the journal before it is pruned: the engine starts from it, those at their "
        "defaults (velox audit names them; README: Upgrading)"
    ), said
    assert balance == BALANCE_1
    assert _terms(orders)["1"] == {"type": "MARKET", "price": None, "clientOrderId": "my-limit-1"}
    fields = (
        "funding_interval_on_record, funding_resumed_at, boundary_refs, accounts.fees_waived, "
        "positions.order_type, positions.price, positions.oco_group_id, positions.created_at"
    )
    base = (
        f"NOTE: the journal starts after the snapshot at seq 12, written by an older Velox: it "
        f"does not hold {fields}, so the snapshots and the final state are compared without them"
    )
    started = (
        f"NOTE: the engine started from the snapshot at seq 15, written by an older Velox, with "
        f"the journal before it pruned: it could not hold {fields}, so the positions it held "
        "show their defaults (type MARKET, no price) and its accounts' fees count in full the "
        "close fees that settlements capped at 0 left unpaid before it (README: Upgrading)"
    )
    deposits = (
        "NOTE: the deposits of accounts 1, 2 could not be rebuilt (made before the deposits "
        "table, in the pruned part of the journal): their History statistics (start and end "
        "equity) leave them out (README: Upgrading)"
    )
    notes = [base, started, deposits]
    code, lines = velox_audit(db_url)
    assert code == 0, lines
    assert [line for line in lines if line.startswith(("PROBLEM", "NOTE"))] == notes
    assert lines[-1].startswith(OK_LINE)
    store = open_store_for(db_url)  # the old snapshots pruned away: the NOTEs stay
    await store.open()
    await store.prune(1, prune_journal=True)
    await store.close()
    code, lines = velox_audit(db_url)
    assert code == 0, lines
    assert [line for line in lines if line.startswith(("PROBLEM", "NOTE"))] == [started, deposits]
