"""``POST /api/v1/user/password``: change the password, or set a first one.

With a password, the current one must be given: a stolen session alone must not be able to
lock its owner out. A user without one (signed up by link or provider, or whose password a
first proof of the address ended: ``proof.py``) may set one from a fresh session only, one
issued in the last ``FRESH_MS``, that is, right after proving the address again. Either way
every session issued so far ends, on every gateway (whoever held an old one may have known
the old password), and the asking client gets a new session, as a sign-in does. API keys and
webhook tokens are credentials of their own and stay, as with sign out everywhere.
"""

from __future__ import annotations

from aiohttp import web

from velox.web import validate
from velox.web.auth.handlers import signed_in
from velox.web.auth.proof import sign_out_everywhere
from velox.web.auth.security import client_key, require_session
from velox.web.auth.sessions import wall_now_ms
from velox.web.errors import ApiError, unauthorized
from velox.web.jsonio import json_object
from velox.web.keys import AUTH_LIMIT, PASSWORDS, STORE

FRESH_MS = 10 * 60 * 1000


async def change_password(request: web.Request) -> web.Response:
    app = request.app
    app[AUTH_LIMIT].check(client_key(request))  # guesses of the current password count
    session = require_session(request)
    data = await json_object(request)
    validate.reject_unknown(data, ("password", "currentPassword"))
    new = validate.password(validate.required(data, "password"))
    current = data.get("currentPassword")
    if current is not None:
        current = validate.string(current, "currentPassword", max_length=validate.PASSWORD_MAX)
    user = await app[STORE].user_by_id(session.user_id)
    if user is None:
        raise unauthorized("the account no longer exists")
    if user.password_hash is not None:
        if current is None or not await app[PASSWORDS].verify(current, user.password_hash):
            message = "the current password is " + ("required" if current is None else "wrong")
            raise ApiError("WRONG_PASSWORD", message, "currentPassword")
    elif wall_now_ms() - session.issued_at > FRESH_MS:
        raise ApiError(
            "REAUTH_REQUIRED",
            "sign in again (magic link or provider) to set a password: "
            "a first password needs a sign-in of the last 10 minutes",
        )
    hashed = await app[PASSWORDS].hash(new)
    await app[STORE].set_password(user.id, hashed, issued_at=session.issued_at)
    await sign_out_everywhere(app, user.id)
    return signed_in(request, user, 200)
