"""Every API route, in one place, each with a name (used by ``url_for`` and the OpenAPI test).

Order ids are ASCII digits (the engine numbers orders), so ``/api/v1/order/user/...`` can never be
taken for an order id, and anything else is a plain 404.
"""

from __future__ import annotations

from aiohttp import web

from velox.web import accounts, funding, history, market, ops, order_lists, orders, orders_v2
from velox.web.auth import handlers as auth
from velox.web.auth.oauth import views as oauth
from velox.web.auth.oauth.registry import SLUG_PATTERN
from velox.web.auth.password_change import change_password
from velox.web.ws import endpoint as ws

ORDER_ID = r"{orderId:[0-9]{1,20}}"  # ASCII digits: a Unicode \d would match "١٢"
PROVIDER = f"{{provider:{SLUG_PATTERN}}}"
ACCOUNT_ID = r"{accountId:[0-9]{1,20}}"
CLIENT_ID = r"{clientOrderId:[A-Za-z0-9._:-]{1,36}}"


def setup_routes(app: web.Application, *, dev: bool) -> None:
    r = app.router
    r.add_post("/api/v1/user/signup", auth.signup, name="signup")
    r.add_post("/api/v1/user/signin", auth.signin, name="signin")
    r.add_post("/api/v1/user/signout", auth.signout, name="signout")
    r.add_post("/api/v1/user/signout-all", auth.signout_all, name="signout_all")
    r.add_post("/api/v1/user/password", change_password, name="change_password")
    r.add_get("/api/v1/user/me", auth.me, name="me")
    r.add_post("/api/v1/user/magic-link", auth.magic_link, name="magic_link")
    r.add_get("/api/v1/user/auth/verify", auth.verify, name="verify")
    r.add_post("/api/v1/user/auth/verify", auth.verify_confirmed, name="verify_confirmed")
    r.add_get(f"/api/v1/user/auth/{PROVIDER}", oauth.start, name="oauth_start")
    r.add_get(f"/api/v1/user/auth/{PROVIDER}/callback", oauth.callback, name="oauth_callback")
    r.add_get("/api/v1/user/ws-ticket", auth.ws_ticket, name="ws_ticket")

    r.add_post("/api/v1/order/open", orders_v2.open_order, name="order_open")
    r.add_post("/api/v1/order/oco", orders_v2.place_oco, name="order_oco")
    r.add_get(f"/api/v1/order/by-client-id/{CLIENT_ID}", orders_v2.by_client_id,
              name="order_by_client_id")  # fmt: skip
    r.add_get("/api/v1/order/user/fills", order_lists.user_fills, name="user_fills")
    r.add_get("/api/v1/order/user/funding", funding.user_funding, name="user_funding")
    r.add_get("/api/v1/order/user/orders", order_lists.user_orders, name="user_orders")
    r.add_get("/api/v1/order/user/balance", orders_v2.balance, name="user_balance")
    r.add_post(f"/api/v1/order/close/{ORDER_ID}", orders.close_order, name="order_close")
    r.add_post(f"/api/v1/order/{ORDER_ID}/margin", orders.add_margin, name="order_margin")
    r.add_patch(f"/api/v1/order/{ORDER_ID}", orders_v2.modify_order, name="order_modify")
    r.add_get(f"/api/v1/order/{ORDER_ID}", orders_v2.get_order, name="order_get")
    r.add_delete(f"/api/v1/order/{ORDER_ID}", orders_v2.cancel_order, name="order_cancel")

    r.add_get("/api/v1/accounts", accounts.list_accounts, name="accounts")
    r.add_post("/api/v1/accounts", accounts.create_account, name="account_create")
    r.add_patch(f"/api/v1/accounts/{ACCOUNT_ID}", accounts.rename_account, name="account_rename")
    r.add_post(f"/api/v1/accounts/{ACCOUNT_ID}/reset", accounts.reset_account,
               name="account_reset")  # fmt: skip

    r.add_get("/api/v1/assets", market.assets, name="assets")
    r.add_get("/api/v1/candles", market.candles, name="candles")

    r.add_get("/api/v1/history/positions", history.positions, name="history_positions")
    r.add_get("/api/v1/history/positions.csv", history.positions_csv, name="history_csv")
    r.add_get("/api/v1/history/fills.csv", history.fills_csv, name="history_fills_csv")
    r.add_get("/api/v1/history/stats", history.stats, name="history_stats")

    r.add_get("/healthz", ops.healthz, name="healthz")
    r.add_get("/api/openapi.json", ops.openapi, name="openapi")
    r.add_get("/api/v1/admin/ledger", ops.admin_ledger, name="admin_ledger")
    r.add_get("/ws", ws.websocket, name="ws")
    if dev:
        r.add_get("/dev/outbox", ops.dev_outbox, name="dev_outbox")
