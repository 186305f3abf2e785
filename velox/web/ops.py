"""Operations: ``/healthz``, the admin ledger, the dev outbox and the OpenAPI document."""

from __future__ import annotations

import asyncio
from dataclasses import asdict

from aiohttp import web

from velox.engine.views import ledger
from velox.service import EngineState
from velox.web import render
from velox.web.admin_auth import check_admin
from velox.web.auth.security import is_local, names_this_machine
from velox.web.errors import ApiError
from velox.web.jsonio import json_response
from velox.web.keys import DATABASE, FEED, HUB, MAILER, OPTIONS, PARTS, SERVICE, SETTINGS
from velox.web.openapi import document


async def healthz(request: web.Request) -> web.Response:
    """200 only when the engine is READY, the database answers, its journal can be written
    and no part (feed, trade writer) has been down for longer than ``--max-price-age``, else
    503 (load balancers route on it). A database that does not answer (``velox.store_probe``)
    or a journal that cannot be written (``velox.journal_health``) is 503 at once: requests
    are refused meanwhile.

    ``parts`` names each supervised part with its state (``up``, ``down``: failed and waiting
    to restart, ``recovering``: restarted, not yet proven), ``downMs``, ``restarts`` and the
    last ``error``. Ages are engine time, which a wall-clock step does not move.
    """
    app = request.app
    state = app[SERVICE].state
    feed = app[FEED]
    last: dict[str, int] = dict(getattr(feed, "last_tick_ms", None) or app[HUB].last_tick_ms)
    now = app[OPTIONS].clock.now_ms()
    parts = [part.status() for part in app.get(PARTS, ())]
    journal = getattr(app[SERVICE], "journal", None)  # a gateway writes no journal
    # refusing requests while down: 503 at once, not after --max-price-age
    at_once = [p for p in (app.get(DATABASE), journal) if p is not None]
    parts.extend(p.status() for p in at_once)
    max_down_ms = int(app[SETTINGS].max_price_age * 1000)
    # a gateway runs no feed: the engine's heartbeat names its own (velox.bus.client)
    name, simulated = (
        (feed.name, bool(feed.simulated)) if feed is not None
        else getattr(app[SERVICE], "engine_feed", ("none", False))
    )  # fmt: skip
    body = {
        "engine": state.value,
        "feed": {
            "name": name,
            "simulated": simulated,
            "lastTickAgeMs": {s: max(0, now - ms) for s, ms in sorted(last.items())},
        },
        "parts": {
            p.name: {"state": p.state, "downMs": p.down_ms, "restarts": p.restarts,
                     "error": p.error}
            for p in parts
        },
    }  # fmt: skip
    healthy = (
        state is EngineState.READY
        and all(p.down_ms <= max_down_ms for p in parts)
        and not any(p.down for p in at_once)
    )
    status = 200 if healthy else 503
    return json_response(body, status=status, headers={"Cache-Control": "no-store"})


async def admin_ledger(request: web.Request) -> web.Response:
    """The double-entry check, behind the admin token (``velox.web.admin_auth``)."""
    check_admin(request)
    return json_response(render.ledger(await request.app[SERVICE].read(ledger)))


async def dev_outbox(request: web.Request) -> web.Response:
    """Mail that would have been sent (only registered with ``--dev``), to clients on this
    machine only: the outbox holds sign-in links."""
    if not is_local(request):
        raise ApiError("FORBIDDEN", "the outbox is served to clients on this machine only")
    if not names_this_machine(request):  # another name resolving here: DNS rebinding
        raise ApiError("FORBIDDEN", "the outbox answers localhost, a loopback address or "
                                    "--public-url only")  # fmt: skip
    messages = await asyncio.to_thread(request.app[MAILER].list_outbox)
    return json_response({"messages": [asdict(m) for m in messages]})


async def openapi(request: web.Request) -> web.Response:
    return json_response(document(request.app))
