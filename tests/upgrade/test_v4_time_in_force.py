"""A schema-version-4 database (Velox f7a770f, which kept no time in force) upgraded (to 5, now 6).

Its orders table gets the ``time_in_force`` column, its rows read GTC (GTD with a
``goodTillDate``) as they did, its journal (events without the field) and its snapshot
(pending rows without it) still load: that snapshot is not taken for an older one the
engine must be rebuilt past, since GTC is all a replay of its journal gives too. A reader
refuses the database until the writer has added the column; ``velox audit`` passes after.
"""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest

from tests.binance.helpers import Bot, make_key
from tests.upgrade.conftest import velox_audit
from tests.upgrade.old_database import DUMP_V4, EMAIL, PASSWORD, load_v4_database
from tests.web.conftest import MakeClient
from tests.web.helpers import User, tick
from velox.store.factory import open_store_for
from velox.store.schema import SchemaVersionError

ORDER, BTC = "/fapi/v1/order", "BTCUSDT"
# the old database's orders (populate_v4.py): placed as GTX, GTD, GTC, IOC, FOK
OLD = [(1, "NEW", "GTC"), (2, "NEW", "GTD"), (3, "NEW", "GTC"), (4, "EXPIRED", "GTC"),
       (5, "FILLED", "GTC")]  # fmt: skip


async def _bot(client: Any) -> Bot:
    """The old database's user, signed in, with a new trading key on its NETTING account."""
    signin = await client.post("/api/v1/user/signin", json={"email": EMAIL, "password": PASSWORD})
    assert signin.status == 200, await signin.text()
    client.session.cookie_jar.clear()
    (user_id,) = json.loads(DUMP_V4.read_text())["tables"]["users"]["rows"][0][:1]
    user = User(client, EMAIL, (await signin.json())["token"], user_id)
    key = await make_key(user, ["read", "trade"], account_id="2")
    return Bot(client, key)


def _shown(orders: list[dict[str, Any]]) -> list[tuple[int, str, str]]:
    return [(o["orderId"], o["status"], o["timeInForce"]) for o in orders]


async def test_a_version_4_database_is_upgraded_and_its_orders_read_as_before(
    db_url: str, make_client: MakeClient, caplog: pytest.LogCaptureFixture
) -> None:
    await load_v4_database(db_url)
    reader = open_store_for(db_url)  # velox audit, a gateway: they may not add the column
    with pytest.raises(SchemaVersionError, match=r"version 4 lacks orders\.time_in_force"):
        await reader.open(writer=False)

    with caplog.at_level(logging.INFO):
        client = await make_client()
    try:
        said = [r.getMessage() for r in caplog.records]
        assert "database schema upgraded from version 4 to 6" in said
        # no rebuild for the time in force (its default is the journal's); one for the
        # accounts' waived fees, which a version 4 snapshot cannot hold (README: Upgrading)
        rebuilt = [m for m in said if "written by an older Velox" in m]
        assert rebuilt == [
            "the snapshot at seq 11 was written by an older Velox (it lacks "
            "accounts.fees_waived): the engine is rebuilt from the whole journal instead"
        ]
        bot = await _bot(client)
        listed = await bot.json("GET", "/fapi/v1/allOrders", {"symbol": BTC})
        assert _shown(listed) == OLD
        opened = await bot.json("GET", "/fapi/v1/openOrders", {"symbol": BTC})
        assert _shown(opened) == OLD[:3]
        await tick(client, BTC, "100000")  # a new order keeps its own
        gtx = {"symbol": BTC, "side": "BUY", "type": "LIMIT", "quantity": "0.01",
               "price": "90000", "timeInForce": "GTX"}  # fmt: skip
        placed = await bot.json("POST", ORDER, gtx)
        got = await bot.json("GET", ORDER, {"symbol": BTC, "orderId": placed["orderId"]})
        assert (got["status"], got["timeInForce"]) == ("NEW", "GTX")
        await bot.json("DELETE", ORDER, {"symbol": BTC, "orderId": 1})  # an old resting one
    finally:
        await client.close()

    store = open_store_for(db_url)
    await store.open(writer=False)  # upgraded: a reader opens it now
    assert await store.get_meta("schema_version") == "6"
    ended = await store.order("1")
    assert ended is not None and (ended.status, ended.time_in_force) == ("CANCELLED", "GTC")
    await store.close()
    code, lines = velox_audit(db_url)
    assert code == 0, lines
    assert not [line for line in lines if line.startswith(("PROBLEM", "NOTE"))], lines


async def test_an_idle_upgraded_database_is_rebuilt_from_the_journal_once(
    db_url: str, make_client: MakeClient, caplog: pytest.LogCaptureFixture
) -> None:
    """An upgrade review: on a database where nothing happened after the upgrade, the
    "once" rebuild ran at every start. The engine stayed at the old snapshot's seq, and a
    snapshot is only written at a new seq, so the older-format one stayed the newest (and
    the stop still said "final snapshot at journal N"). It is written again, in this
    format, at the same seq."""
    await load_v4_database(db_url)
    for start in range(2):
        caplog.clear()
        with caplog.at_level(logging.INFO):
            client = await make_client()
            await client.close()  # the final snapshot
        said = [r.getMessage() for r in caplog.records]
        rebuilt = [m for m in said if "written by an older Velox" in m]
        assert len(rebuilt) == (1 if start == 0 else 0), (start, rebuilt)
        assert [m for m in said if m.startswith("engine stopped; final snapshot")], said
