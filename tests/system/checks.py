"""What must hold after a load: exact money, every acknowledgement honoured, nothing doubled."""

from __future__ import annotations

import asyncio
import sys
from collections import Counter

from tests.system.load import NO_REPLY, LoadRecord
from tests.system.run import get_json
from tests.system.server import ROOT, ServerProcess
from velox import codec
from velox.store.factory import open_store_for
from velox.web import render

OPEN_TERMS = ("orderId", "asset", "side", "leverage", "openPrice", "openedAt")


async def check_live(server: ServerProcess, record: LoadRecord) -> None:
    """Against the running server: conservation, and every ack reflected exactly."""
    assert record.server_errors == [], record.server_errors[:5]
    status, ledger = await get_json(server.base, "/api/v1/admin/ledger")
    assert status == 200 and ledger["conserved"] is True, ledger
    by_id: dict[str, dict[str, object]] = {}
    for t in record.traders:
        if not t.token:
            continue
        for status_name in ("OPEN", "CLOSED"):
            status, data = await get_json(
                server.base, f"/api/v1/order/user/orders?status={status_name}", t.token
            )
            assert status == 200, data
            by_id.update({o["orderId"]: o for o in data["orders"]})
    missing = (record.acked_opens | set(record.acked_closes)) - set(by_id)
    assert not missing, f"acknowledged orders lost: {sorted(missing)[:10]}"
    for oid, ack in record.acked_closes.items():
        assert by_id[oid] == ack, (ack, by_id[oid])
    for oid in record.acked_opens:
        now = {k: by_id[oid][k] for k in OPEN_TERMS}
        assert now == {k: record.acked_orders[oid][k] for k in OPEN_TERMS}


def check_no_lost_requests(record: LoadRecord) -> None:
    lost = {route: n for (route, status), n in record.statuses.items() if status == NO_REPLY}
    assert not lost, f"requests without a reply: {lost}"
    assert sum(record.sent.values()) == record.answered()


async def check_durable(db_url: str, record: LoadRecord) -> None:
    """After a clean stop: closed_orders equals what the API acknowledged, the journal holds
    no more opens per user than that user sent, and the audit passes."""
    store = open_store_for(db_url)
    await store.open()
    try:
        opens: Counter[str] = Counter()
        async for r in store.read_journal(0):
            if r.type == "PositionOpened":
                opens[codec.loads(r.payload)["user_id"]] += 1
        for user_id, n in opens.items():
            assert n <= record.open_requests[user_id], f"{user_id}: {n} opens journaled"
        for oid, ack in record.acked_closes.items():
            row = await store.closed_order(oid)
            assert row is not None, f"acknowledged close {oid} not in closed_orders"
            assert render.closed_order(row) == ack
    finally:
        await store.close()
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "run.py",
        "audit",
        "--db",
        db_url,
        cwd=ROOT,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    out, _ = await proc.communicate()
    assert proc.returncode == 0, out.decode()
