"""``/api/v1/assets`` (live quotes) and ``/api/v1/candles`` (OHLCV history)."""

from __future__ import annotations

from aiohttp import web

from velox.engine.engine import Engine
from velox.market.candles import DURATIONS_MS
from velox.web import render
from velox.web.auth.security import check_public_limit
from velox.web.errors import validation
from velox.web.jsonio import json_response
from velox.web.keys import CANDLES, SERVICE
from velox.web.requests import asset_of
from velox.web.validate import query_int

MAX_CANDLES = 1000
DEFAULT_CANDLES = 500
MAX_TIME_MS = 10**15  # year 33658: anything larger is not a time


async def assets(request: web.Request) -> web.Response:
    check_public_limit(request)
    service = request.app[SERVICE]
    symbols = service.settings.assets

    def view(engine: Engine) -> list[render.Json]:
        return [render.asset(s, engine.quotes.get(s)) for s in symbols]

    return json_response({"assets": await service.read(view)})


async def candles(request: web.Request) -> web.Response:
    check_public_limit(request)
    query = request.query
    settings = request.app[SERVICE].settings
    symbol = asset_of(query.get("asset"), settings)
    duration = query.get("duration", "1m")
    if duration not in DURATIONS_MS:
        raise validation(f"duration must be one of {', '.join(DURATIONS_MS)}", "duration")
    limit = query_int(query, "limit", 1, MAX_CANDLES) or DEFAULT_CANDLES
    start = query_int(query, "startTime", 0, MAX_TIME_MS)
    end = query_int(query, "endTime", 0, MAX_TIME_MS)
    if start is not None and end is not None and start > end:
        return json_response({"candles": []})  # an empty window holds no candles
    rows = await request.app[CANDLES](symbol, duration, start, end, limit)
    return json_response({"candles": [render.candle(c) for c in rows]})
