"""``GET /api/v1/order/user/funding``: the chosen account's funding charges, newest boundary
first (SPEC 12), from the ``funding`` rows the group commit projects from ``FundingCharged``.

The filters are the fills endpoint's (``asset``, ``startTime``/``endTime`` on the boundary,
``limit``), refused the same way (400 with a code, nothing read).
"""

from __future__ import annotations

from aiohttp import web

from velox.money import format_units
from velox.store.records import FundingRecord
from velox.web.accounts import reading_account
from velox.web.auth.security import require_session
from velox.web.jsonio import json_response
from velox.web.keys import SERVICE, STORE
from velox.web.order_requests import fills_query
from velox.web.render import Json


def charge(rec: FundingRecord) -> Json:
    """One position's funding at one boundary: ``amount`` + received, - paid; ``rate`` the
    fraction charged (8 decimals, may be negative); ``time`` when the engine charged it."""
    return {
        "orderId": rec.order_id,
        "accountId": rec.account_id,
        "asset": rec.asset,
        "fundingTime": rec.boundary,
        "rate": format_units(rec.rate),
        "markPrice": format_units(rec.mark_price),
        "amount": format_units(rec.amount),
        "time": rec.ts,
    }


async def user_funding(request: web.Request) -> web.Response:
    user_id = require_session(request).user_id
    query = fills_query(request.query, request.app[SERVICE].settings.assets)
    chosen = await reading_account(request, user_id)
    rows: list[FundingRecord] = []
    if chosen.account_id is not None:
        rows = await request.app[STORE].funding_for_account(
            chosen.account_id, query.asset, query.start, query.end, query.limit
        )
    return json_response({"funding": [charge(r) for r in rows]})
