"""One engine, two gateways, real processes: a client sees one platform whichever gateway
it talks to (SPEC section 15)."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import sys
import time
import uuid
from typing import Any
from urllib.parse import urlencode

import aiohttp
import pytest

from tests.scale.cluster import ROOT, Cluster
from tests.scale.helpers import call, listen_key, next_message, open_order, signup, until
from tests.system.server import ADMIN_TOKEN
from velox import codec
from velox.bus import wire
from velox.bus.connect import connect
from velox.bus.listenkeys import SharedListenKeys
from velox.bus.store import GatewayStore
from velox.bus.subjects import Subjects
from velox.engine.commands import OpenPosition
from velox.engine.engine import Engine
from velox.store.records import JournalRecord

pytestmark = pytest.mark.slow


async def test_orders_through_either_gateway_are_one_account(cluster: Cluster) -> None:
    a, b = cluster.bases
    token, user_id = await signup(a, "both@scale.example")
    status, opened = await open_order(a, token, "10")
    assert status == 201, opened
    # B shows at once what A acknowledged (its read waits for the engine's last commit)
    status, orders = await call(b, "GET", "/api/v1/order/user/orders", token)
    assert status == 200
    assert [o["orderId"] for o in orders["orders"]] == [opened["orderId"]]
    status, second = await open_order(b, token, "15")
    assert status == 201, second
    # close through A the order opened through B
    status, closed = await call(a, "POST", f"/api/v1/order/close/{second['orderId']}", token)
    assert status == 200, closed
    assert closed["status"] == "CLOSED" and closed["orderId"] == second["orderId"]
    balances = []
    for base in (a, b):
        status, balance = await call(base, "GET", "/api/v1/order/user/balance", token)
        assert status == 200
        balances.append(balance)
    # the same account on both (figures that move with the price aside)
    still = [{k: v for k, v in b.items() if k in ("balance", "usedMargin")} for b in balances]
    assert still[0] == still[1]
    # 1000 - 10 (open) - 15 (open) + the second's margin and pnl back
    expected = 1000 * 10**8 - 10 * 10**8 + _units(closed["pnl"])
    assert _units(balances[0]["balance"]) == expected
    assert balances[0]["usedMargin"] == "10.00000000"
    status, page = await call(a, "GET", "/api/v1/order/user/orders?status=CLOSED", token)
    assert [o["orderId"] for o in page["orders"]] == [second["orderId"]]
    # a refusal is the engine's, exactly
    status, refused = await open_order(b, token, "100000")
    assert (status, refused["error"]["code"]) == (422, "INSUFFICIENT_BALANCE"), refused
    status, ledger = await call(a, "GET", "/api/v1/admin/ledger", ADMIN_TOKEN)
    assert status == 200 and ledger["conserved"] is True
    assert user_id


def _units(text: str) -> int:
    whole, _, frac = text.partition(".")
    sign = -1 if whole.startswith("-") else 1
    return sign * (abs(int(whole)) * 10**8 + int(frac.ljust(8, "0")))


async def test_a_websocket_on_one_gateway_sees_orders_placed_through_the_other(
    cluster: Cluster,
) -> None:
    a, b = cluster.bases
    token, _ = await signup(a, "ws@scale.example")
    # the ticket comes from A (as a browser behind a load balancer may get it), the socket
    # opens on B; then the spent ticket is refused everywhere, A included
    status, ticket = await call(a, "GET", "/api/v1/user/ws-ticket", token)
    assert status == 200
    path = f"/ws?ticket={ticket['ticket']}"
    async with (
        aiohttp.ClientSession() as session,
        session.ws_connect(b.replace("http", "ws") + path) as ws,
    ):
        for base in (a, b):
            with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
                await session.ws_connect(base.replace("http", "ws") + path)
            assert refused.value.status == 401
        status, opened = await open_order(a, token, "12")
        assert status == 201
        message = await next_message(ws, "order_opened")
        assert message["data"]["orderId"] == opened["orderId"]
        assert message["data"]["margin"] == "12.00000000"
        balance = await next_message(ws, "balance")
        assert balance["data"]["usedMargin"] == "12.00000000"
        status, closed = await call(a, "POST", f"/api/v1/order/close/{opened['orderId']}", token)
        assert status == 200
        message = await next_message(ws, "order_closed")
        assert message["data"] == closed
        # prices reach B's sockets too (they come in the engine's batches)
        await next_message(ws, "price_update")
        # signing out on A ends the session on B: its socket closes, its token is refused
        status, _ = await call(a, "POST", "/api/v1/user/signout", token)
        assert status == 204
        close = await asyncio.wait_for(_close_frame(ws), 30)
        assert (close.data, close.extra) == (1008, "signed out")
    status, refused = await call(b, "GET", "/api/v1/order/user/balance", token)
    assert (status, refused["error"]["code"]) == (401, "UNAUTHORIZED")


async def _market_streams(ws: aiohttp.ClientWebSocketResponse) -> dict[str, list[Any]]:
    """Combined-stream messages by stream, until 10 trades, each trade's aggTrade (sent
    right after the trade: stopping at the 10th trade alone missed its aggTrade about one
    run in two) and a kline after the 5th."""
    seen: dict[str, list[Any]] = {"btcusdt@trade": [], "btcusdt@aggTrade": [],
                                  "btcusdt@kline_1m": []}  # fmt: skip

    def complete() -> bool:
        trades = {t["t"] for t in seen["btcusdt@trade"]}
        aggregated = {a["a"] for a in seen["btcusdt@aggTrade"]}
        return len(trades) >= 10 and trades <= aggregated and bool(seen["btcusdt@kline_1m"])

    async with asyncio.timeout(60):
        while not complete():
            message = await ws.receive_json()
            kind = message["stream"]
            if kind != "btcusdt@kline_1m" or len(seen["btcusdt@trade"]) >= 5:
                seen[kind].append(message["data"])
    return seen


async def test_a_gateways_binance_streams_carry_the_engines_trades_and_klines(
    cluster: Cluster,
) -> None:
    """The feed runs in the engine: its raw trades and candles cross the bus, so a bot on
    either gateway reads the trades (exchange ids, prices) and klines one process shows."""
    streams = "btcusdt@trade/btcusdt@aggTrade/btcusdt@kline_1m"
    async with aiohttp.ClientSession() as session:
        sockets = [
            await session.ws_connect(base.replace("http", "ws") + f"/stream?streams={streams}")
            for base in cluster.bases
        ]
        per_gateway = await asyncio.gather(*(_market_streams(ws) for ws in sockets))
        for ws in sockets:
            await ws.close()
        status, ticker = await call(cluster.bases[1], "GET", "/fapi/v1/ticker/24hr?symbol=BTCUSDT")
    trades_by_id = []
    for seen in per_gateway:
        trades = seen["btcusdt@trade"]
        ids = [t["t"] for t in trades]
        assert ids == sorted(set(ids)), ids  # the exchange's order, each trade once
        assert all(t["e"] == "trade" and t["s"] == "BTCUSDT" for t in trades)
        aggs = {a["a"]: a for a in seen["btcusdt@aggTrade"]}
        for t in trades:
            agg = aggs[t["t"]]
            assert (agg["f"], agg["l"], agg["p"], agg["q"], agg["T"]) == (
                t["t"], t["t"], t["p"], t["q"], t["T"]
            )  # fmt: skip
        k = seen["btcusdt@kline_1m"][-1]["k"]
        assert (k["s"], k["i"], k["t"] % 60_000, k["T"] - k["t"]) == ("BTCUSDT", "1m", 0, 59_999)
        assert _units(k["l"]) <= _units(k["c"]) <= _units(k["h"]) and _units(k["v"]) > 0
        trades_by_id.append({t["t"]: (t["p"], t["q"], t["T"]) for t in trades})
    first, second = trades_by_id
    common = set(first) & set(second)
    assert common, (sorted(first), sorted(second))  # both heard the same trades
    assert {i: first[i] for i in common} == {i: second[i] for i in common}
    assert status == 200 and _units(ticker["lastQty"]) > 0, ticker


async def _close_frame(ws: aiohttp.ClientWebSocketResponse) -> aiohttp.WSMessage:
    """The server's close frame (prices may come before it)."""
    while True:
        msg = await ws.receive()
        if msg.type is not aiohttp.WSMsgType.TEXT:
            assert msg.type is aiohttp.WSMsgType.CLOSE, msg
            return msg


async def test_a_repeated_request_id_runs_the_command_once(cluster: Cluster) -> None:
    """A gateway that lost a reply asks again with the same id: the engine answers from its
    cache instead of opening a second position."""
    a, _ = cluster.bases
    token, user_id = await signup(a, "dedupe@scale.example")
    # a list of servers: the first is down, the second answers
    nc = await connect(f"nats://127.0.0.1:1, {cluster.nats.url}", "test")
    assert nc.connected_url is not None and nc.connected_url.port == cluster.nats.port
    try:
        command = OpenPosition(user_id, "BTCUSDT", "LONG", 10, 0, margin=10 * 10**8)
        request = wire.encode_command(uuid.uuid4().hex, command)
        subject = Subjects().commands
        first = wire.decode_reply((await nc.request(subject, request, timeout=10)).data)
        again = wire.decode_reply((await nc.request(subject, request, timeout=10)).data)
        fresh = wire.encode_command(uuid.uuid4().hex, command)
        other = wire.decode_reply((await nc.request(subject, fresh, timeout=10)).data)
    finally:
        await nc.close()
    assert first.outcome.ok and first == again
    assert other.outcome.ok and other.outcome.events != first.outcome.events
    status, orders = await call(a, "GET", "/api/v1/order/user/orders", token)
    assert status == 200 and len(orders["orders"]) == 2  # the repeat opened nothing


async def test_a_gateway_of_an_older_release_is_refused_before_anything_runs(
    cluster: Cluster,
) -> None:
    """An upgrade review: during a rolling upgrade an old gateway (whose commands carry no
    protocol version) beside the new engine had its orders carried out, then could not read
    the engine's newer events and answered -1001 "please try again": a bot retrying as told
    placed the order twice. The engine refuses such a command, as not ready, before it runs."""
    a, _ = cluster.bases
    token, user_id = await signup(a, "old-gateway@scale.example")
    nc = await connect(cluster.nats.url, "test")
    try:
        command = OpenPosition(user_id, "BTCUSDT", "LONG", 10, 0, margin=10 * 10**8)
        old = codec.loads(wire.encode_command(uuid.uuid4().hex, command))
        old.pop("v", None)  # as f7a770f's gateways send a command
        data = (await nc.request(Subjects().commands, codec.dumps(old), timeout=10)).data
        reply = wire.decode_reply(data)
    finally:
        await nc.close()
    assert reply.not_ready is not None and "another Velox release" in reply.not_ready, reply
    assert not reply.outcome.events
    status, orders = await call(a, "GET", "/api/v1/order/user/orders", token)
    assert status == 200 and orders["orders"] == []  # nothing ran


async def test_a_second_engine_refuses_to_start_and_gateways_never_write_the_journal(
    cluster: Cluster,
) -> None:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "run.py", "engine", "--db", cluster.db_url, "--bus", cluster.nats.url,
        "--port", "0", "--data-dir", str(cluster.engine.data_dir.parent / "second"),
        cwd=ROOT, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    out, _ = await asyncio.wait_for(proc.communicate(), 60)
    assert proc.returncode == 1, out.decode()
    assert cluster.engine.proc is not None
    assert f"pid {cluster.engine.proc.pid})" in out.decode(), out.decode()  # names the first
    store = GatewayStore(cluster.db_url)
    await store.open()
    try:
        with pytest.raises(RuntimeError, match="never writes the journal"):
            await store.append_batch([JournalRecord(10**9, 0, "Deposited", b"{}")], [])
    finally:
        await store.close()


async def test_an_api_key_made_on_one_gateway_signs_on_the_other(cluster: Cluster) -> None:
    """Gateways share the API-key vault file: a key created through A works on B, and its
    deletion through A stops it on B as well."""
    a, b = cluster.bases
    token, _ = await signup(a, "bot@scale.example")
    status, accounts = await call(b, "GET", "/api/v1/accounts", token)
    assert status == 200, accounts
    account_id = accounts["accounts"][0]["accountId"]
    status, key = await call(
        a, "POST", "/api/v1/api-keys", token,
        {"name": "bot", "accountId": account_id, "permissions": ["read"]},
    )  # fmt: skip
    assert status == 201, key

    async def balance() -> tuple[int, Any]:
        query = urlencode({"timestamp": time.time_ns() // 1_000_000})
        signature = hmac.new(key["secret"].encode(), query.encode(), hashlib.sha256).hexdigest()
        headers = {"X-MBX-APIKEY": key["apiKey"]}
        url = f"{b}/fapi/v2/balance?{query}&signature={signature}"
        async with aiohttp.ClientSession() as session, session.get(url, headers=headers) as r:
            return r.status, await r.json(content_type=None)

    status, rows = await balance()
    assert status == 200, rows
    assert [(r["asset"], r["balance"]) for r in rows] == [("USDT", "1000.00000000")]
    status, _ = await call(a, "DELETE", f"/api/v1/api-keys/{key['keyId']}", token)
    assert status in (200, 204)

    async def refused() -> bool:
        return (await balance())[0] == 401

    await until(refused, "the deleted key refused on B")


async def read_key(base: str, email: str) -> tuple[str, Any]:
    """A new user's token and a read-only API key on their first account."""
    token, _ = await signup(base, email)
    status, accounts = await call(base, "GET", "/api/v1/accounts", token)
    assert status == 200, accounts
    status, key = await call(
        base, "POST", "/api/v1/api-keys", token,
        {"name": "bot", "accountId": accounts["accounts"][0]["accountId"],
         "permissions": ["read"]},
    )  # fmt: skip
    assert status == 201, key
    return token, key


async def order_update_of(
    ws: aiohttp.ClientWebSocketResponse, base: str, token: str
) -> tuple[Any, Any]:
    """Open an order through ``base``; the user stream's ORDER_TRADE_UPDATE, and the order."""
    status, opened = await open_order(base, token, "10")
    assert status == 201, opened
    async with asyncio.timeout(30):
        while (update := await ws.receive_json())["e"] != "ORDER_TRADE_UPDATE":
            pass
    return update, opened


async def test_a_listen_key_made_on_one_gateway_works_on_the_other(cluster: Cluster) -> None:
    """As on Binance, a listen key is the venue's, not one server's: created through A, it is
    kept alive, recreated (the same key) and streams the account on B; closed through A, B's
    socket closes."""
    a, b = cluster.bases
    token, key = await read_key(a, "listener@scale.example")

    status, made = await listen_key(a, key["apiKey"], "POST")
    assert status == 200, made
    assert await listen_key(b, key["apiKey"], "PUT") == (200, made)  # kept alive on B
    assert await listen_key(b, key["apiKey"], "POST") == (
        200,
        made,
    )  # one live key per API key, on B too
    async with aiohttp.ClientSession() as session:
        ws = await session.ws_connect(b.replace("http", "ws") + f"/ws/{made['listenKey']}")
        update, opened = await order_update_of(ws, a, token)
        assert (update["o"]["s"], update["o"]["S"], update["o"]["i"]) == (
            "BTCUSDT", "BUY", int(opened["orderId"])
        )  # fmt: skip
        # a gateway that starts now hears of the key from the others (its hello)
        nc = await connect(cluster.nats.url, "a late gateway")
        late = SharedListenKeys(lambda: Engine(), lambda: time.time_ns() // 1_000_000, nc,
                                Subjects())  # fmt: skip
        await late.start()

        async def late_knows() -> bool:
            return late.lookup(made["listenKey"]) is not None

        await until(late_knows, "the late gateway knows the listen key")
        assert await listen_key(a, key["apiKey"], "DELETE") == (200, {})

        async def late_forgot() -> bool:
            return not await late_knows()

        await until(late_forgot, "the late gateway dropped the closed key")
        await nc.close()
        async with asyncio.timeout(30):
            while (message := await ws.receive()).type == aiohttp.WSMsgType.TEXT:
                pass
        assert message.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED), message
        await ws.close()
    status, missing = await listen_key(b, key["apiKey"], "PUT")
    assert (status, missing["code"]) == (400, -1125), missing


async def test_a_listen_key_outlives_a_restart_of_every_gateway(cluster: Cluster) -> None:
    """With every gateway stopped (so no book in memory remembers it) and started again, a
    bot's listen key still streams its account: the gateways restore it from the store."""
    a, b = cluster.bases
    token, key = await read_key(a, "restarted@scale.example")
    headers = {"X-MBX-APIKEY": key["apiKey"]}
    async with (
        aiohttp.ClientSession() as session,
        session.post(f"{a}/fapi/v1/listenKey", headers=headers) as r,
    ):
        assert r.status == 200
        made = (await r.json())["listenKey"]
    for gateway in cluster.gateways:
        assert await gateway.stop() == 0, cluster.logs()
    for gateway in cluster.gateways:
        await gateway.start()
    async with aiohttp.ClientSession() as session:
        ws = await session.ws_connect(b.replace("http", "ws") + f"/ws/{made}")
        update, opened = await order_update_of(ws, a, token)
        assert update["o"]["i"] == int(opened["orderId"])
        await ws.close()
