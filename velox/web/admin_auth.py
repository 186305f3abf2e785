"""The admin token's guard (``GET /api/v1/admin/ledger``).

A wrong token counts against ``--rate-limit-auth`` per client address, as a wrong password
does: without it the token could be guessed at full request rate. Once the address has
spent its attempts every request is 429, the right token too, until the window frees one;
right tokens are not counted (a monitor polling the ledger is no attack). Each refusal is
logged at WARNING, at most once a minute per address with a count, never the token.
"""

from __future__ import annotations

import hmac

from aiohttp import web

from velox.web.auth.security import client_key
from velox.web.errors import not_found, unauthorized
from velox.web.keys import ADMIN_REFUSALS, AUTH_LIMIT, SETTINGS


def check_admin(request: web.Request) -> None:
    """404 without ``--admin-token`` (no admin surface at all), 429 once the address has
    spent ``--rate-limit-auth`` wrong tries, 401 for a wrong or missing token."""
    app = request.app
    expected = app[SETTINGS].admin_token
    if not expected:
        raise not_found("no such route")
    address = client_key(request)
    refusals = app[ADMIN_REFUSALS]
    if app[AUTH_LIMIT].spent(address) is not None:
        refusals(address, "too many wrong admin tokens (429)")
        app[AUTH_LIMIT].check_spent(address)
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "bearer" and hmac.compare_digest(
        given.strip().encode("utf-8"), expected.encode("utf-8")
    ):
        return
    refusals(address, "wrong or missing admin token")
    app[AUTH_LIMIT].check(address)  # counts this try: 429 when it is one too many
    raise unauthorized("a valid admin token is required")
