"""``/api/v1/user``: signup, signin, signout (one session or all), me, magic links, websocket
tickets.

Rate limits are checked first, before the body is even read, and always before bcrypt.
Signup and signin answer ``{"user": {...}, "token": jwt}`` and set the ``token`` cookie.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
import uuid
from urllib.parse import urlencode

from aiohttp import web

from velox.engine.commands import OpenAccount
from velox.service import EngineNotReady, EngineState
from velox.store.base import EmailTakenError
from velox.store.records import UserRecord
from velox.web import validate
from velox.web.auth.proof import address_proven, sign_out_everywhere
from velox.web.auth.security import (
    OWN_NAVIGATION,
    check_public_limit,
    clear_session_cookie,
    client_key,
    require_session,
    session_of,
    set_session_cookie,
)
from velox.web.auth.sessions import wall_now_ms
from velox.web.errors import ApiError, unauthorized
from velox.web.jsonio import json_object, json_response
from velox.web.keys import (
    AUTH_LIMIT,
    HUB,
    MAGIC_RECIPIENTS,
    MAILER,
    OPTIONS,
    PASSWORDS,
    PURGE_AUTH,
    SERVICE,
    SESSIONS,
    SETTINGS,
    STORE,
    TICKETS,
)

log = logging.getLogger(__name__)
INVALID_LINK = "/signin?tab=magic&error=invalid_link"
MAX_TOKEN = 256  # a magic link's token is 43 characters: anything this long is junk
VERIFY_PAGE = "/signin/verify"  # a magic link opened from another site asks here first
UNAVAILABLE = "/signin?error=unavailable"  # the engine is starting or recovering


def _user_json(user: UserRecord) -> dict[str, str]:
    return {"id": user.id, "email": user.email}


def signed_in(request: web.Request, user: UserRecord, status: int) -> web.Response:
    token, _session = request.app[SESSIONS].issue(user.id)
    response = json_response({"user": _user_json(user), "token": token}, status=status)
    set_session_cookie(request, response, token)
    return response


async def _ensure_account(app: web.Application, user_id: str) -> bool:
    """Heal a user whose account deposit never made it (e.g. signup raced a shutdown); False
    if the engine could not answer (not READY). With the account there, an unfinished
    signup (a 503'd one) is finished: its mark would keep signup a second way in."""
    service = app[SERVICE]
    try:
        exists = await service.read(lambda engine: user_id in engine.user_accounts)
        if not exists:
            await service.submit(OpenAccount(user_id, service.clock()))
    except EngineNotReady:
        return False
    await app[STORE].finish_signup(user_id)
    return True


async def signup(request: web.Request) -> web.Response:
    app = request.app
    app[AUTH_LIMIT].check(client_key(request))
    data = await json_object(request)
    validate.reject_unknown(data, ("email", "password", "phone"))
    email = validate.email(validate.required(data, "email"))
    password = validate.password(validate.required(data, "password"))
    phone = validate.phone(data.get("phone"))
    service, store = app[SERVICE], app[STORE]
    if service.state is not EngineState.READY:
        raise EngineNotReady(service.state.value)
    existing = await store.user_by_email(email)
    if existing is not None:
        return await _finish_signup(request, existing, password)
    hashed = await app[PASSWORDS].hash(password)
    user = UserRecord(uuid.uuid4().hex, email, hashed, phone, wall_now_ms())
    try:
        await store.create_user(user, unfinished=True)
    except EmailTakenError:
        raise ApiError("EMAIL_TAKEN", "an account with this email exists", "email") from None
    return await _open_first_account(request, user)


async def _open_first_account(request: web.Request, user: UserRecord) -> web.Response:
    """The signup's 201 once the engine has acknowledged the user's first account. The
    initial balance is a journaled deposit, so replay and audit account for it. If the
    engine cannot answer (503), the user stays an unfinished signup: the command may still
    run later (a stopped engine resumes with it), or never, and either way the retry
    (``_finish_signup``) completes the same user, OpenAccount being a no-op the second time.
    Deleting the user instead would leave a late-opened account to nobody."""
    service = request.app[SERVICE]
    await service.submit(OpenAccount(user.id, service.clock()))
    await request.app[STORE].finish_signup(user.id)
    return signed_in(request, user, 201)


async def _finish_signup(request: web.Request, user: UserRecord, password: str) -> web.Response:
    """A signup with a taken email: 409 EMAIL_TAKEN, unless it is the retry of one that
    answered 503 (unfinished) with the same password, which it completes. bcrypt runs only
    for an unfinished signup, so the usual 409 costs no more than it did."""
    app = request.app
    if not await app[STORE].signup_unfinished(user.id) or not await app[PASSWORDS].verify(
        password, user.password_hash
    ):
        raise ApiError("EMAIL_TAKEN", "an account with this email exists", "email")
    return await _open_first_account(request, user)


async def signin(request: web.Request) -> web.Response:
    app = request.app
    app[AUTH_LIMIT].check(client_key(request))
    data = await json_object(request)
    validate.reject_unknown(data, ("email", "password"))
    email = validate.email(validate.required(data, "email"))
    password = validate.string(validate.required(data, "password"), "password", max_length=256)
    user = await app[STORE].user_by_email(email)
    hashed = user.password_hash if user is not None else None
    if not await app[PASSWORDS].verify(password, hashed) or user is None:
        raise ApiError("INVALID_CREDENTIALS", "wrong email or password")
    await _ensure_account(app, user.id)
    response = signed_in(request, user, 200)
    # The owner's first proof of the address (``proof.address_proven``) may clear the
    # password while bcrypt runs. Read again after the session was issued: if the password
    # is still there, the clearing comes later, and so does the proof's sign-out mark that
    # follows it, which voids this session.
    again = await app[STORE].user_by_id(user.id)
    if again is None or again.password_hash != hashed:
        raise ApiError("INVALID_CREDENTIALS", "wrong email or password")
    return response


async def signout(request: web.Request) -> web.Response:
    """Idempotent: revokes the presented session if it is valid, always clears the cookie.
    The store first, as for a sign-out everywhere (``proof.sign_out_everywhere``)."""
    try:
        session = session_of(request)
    except ApiError:
        session = None
    if session is not None:
        app = request.app
        await app[STORE].revoke_session(session.jti, session.expires_at)
        app[SESSIONS].revoke(session, wall_now_ms())
        await app[HUB].signed_out(session.jti)
    response = web.Response(status=204)
    clear_session_cookie(request, response)
    return response


async def signout_all(request: web.Request) -> web.Response:
    """Every session of the user issued so far, this one too, stops working at once (every
    gateway has it before the 204); the cookie is cleared. API keys and the webhook token
    are credentials of their own: they stay until revoked on the account page."""
    session = require_session(request)
    await sign_out_everywhere(request.app, session.user_id)
    response = web.Response(status=204)
    clear_session_cookie(request, response)
    return response


async def me(request: web.Request) -> web.Response:
    session = require_session(request)
    user = await request.app[STORE].user_by_id(session.user_id)
    if user is None:
        raise unauthorized("the account no longer exists")
    return json_response({"user": _user_json(user)})


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def base_url(request: web.Request) -> str:
    """Links point at ``--public-url``; else at the configured listen address. Never at the
    request's Host header, which a client chooses (that would mail a link to their server)."""
    settings = request.app[SETTINGS]
    if settings.public_url:
        return settings.public_url.rstrip("/")
    host = settings.host if settings.host not in ("0.0.0.0", "::", "") else "localhost"
    if ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{settings.port}"


async def magic_link(request: web.Request) -> web.Response:
    """202 for every well-formed email: whether an account exists is never revealed.

    Following the link signs in, creating a password-less account on first use.
    """
    app = request.app
    check_public_limit(request)
    asker = client_key(request)
    app[AUTH_LIMIT].check(asker)
    data = await json_object(request)
    validate.reject_unknown(data, ("email",))
    email = validate.email(validate.required(data, "email"))
    if not app[MAGIC_RECIPIENTS].allow(email, asker):  # the same answer: nothing is revealed
        return _link_on_its_way()
    token = secrets.token_urlsafe(32)
    now = wall_now_ms()
    expires = now + app[OPTIONS].magic_ttl_s * 1000
    if app[PURGE_AUTH].due():  # links nobody used do not pile up; once a minute is enough
        await app[STORE].forget_expired_auth(now)
    await app[STORE].save_magic_token(_token_hash(token), email, expires)
    path = app.router["verify"].url_for().with_query(token=token)
    link = f"{base_url(request)}{path}"
    minutes = app[OPTIONS].magic_ttl_s // 60
    text = (
        f"Sign in to Velox with this link (valid {minutes} minutes, once):\n\n{link}\n\n"
        "If you did not ask for it, ignore this message."
    )
    try:
        await app[MAILER].send(email, "Your Velox sign-in link", text)
    except Exception:  # the answer must not reveal delivery problems per address
        log.exception("sending a magic link failed")
    return _link_on_its_way()


def _link_on_its_way() -> web.Response:
    return json_response(
        {"message": "if the address can receive mail, a link is on its way"}, status=202
    )


async def verify(request: web.Request) -> web.StreamResponse:
    """Spend a magic link: sign in and go to /trade; a bad link goes back to /signin.

    Only a navigation the browser says the user made (typed, pasted, opened from a mail
    program: ``Sec-Fetch-Site: none``) or one from Velox's own pages signs in at once. Any
    other (a link on another site, or a browser that does not say) goes to a page that asks
    first (``VERIFY_PAGE``, then ``verify_confirmed``): otherwise any site could sign its
    visitors in to an account of its choosing, the attacker's (login CSRF)."""
    check_public_limit(request)
    token = request.query.get("token", "")
    if not token or len(token) > MAX_TOKEN:
        return _redirect(INVALID_LINK)
    if request.headers.get("Sec-Fetch-Site") not in OWN_NAVIGATION:
        return _redirect(f"{VERIFY_PAGE}?{urlencode({'token': token})}")
    jwt, location = await _spend_link(request, token)
    return _signing_in(request, _redirect(location), jwt)


async def verify_confirmed(request: web.Request) -> web.Response:
    """``POST {"token"}``, from the page that asks first: JSON and same-origin only, as every
    sign-in; answers where to go next (``location``), with the session cookie when signed in."""
    check_public_limit(request)
    data = await json_object(request)
    validate.reject_unknown(data, ("token",))
    token = validate.string(validate.required(data, "token"), "token", max_length=MAX_TOKEN)
    jwt, location = await _spend_link(request, token)
    return _signing_in(request, json_response({"location": location}), jwt)


async def magic_link_email(request: web.Request, token: str) -> str | None:
    """The address a live magic link signs in, spending nothing (the page that asks shows it)."""
    if not token or len(token) > MAX_TOKEN:
        return None
    return await request.app[STORE].magic_token_email(_token_hash(token), wall_now_ms())


async def _spend_link(request: web.Request, token: str) -> tuple[str | None, str]:
    email = await request.app[STORE].consume_magic_token(_token_hash(token), wall_now_ms())
    if email is None:
        return None, INVALID_LINK
    return await _session_by_email(request, email)


def _signing_in(request: web.Request, response: web.Response, jwt: str | None) -> web.Response:
    if jwt is not None:
        set_session_cookie(request, response, jwt)
    return response


async def sign_in_by_email(request: web.Request, email: str) -> web.Response:
    """Sign in the owner of a proven address and go to /trade: the user with that email, or a
    new password-less one with its first account. Magic links and identity providers share it.
    """
    jwt, location = await _session_by_email(request, email)
    return _signing_in(request, _redirect(location), jwt)


async def _session_by_email(request: web.Request, email: str) -> tuple[str | None, str]:
    """(session token, where to go): ``sign_in_by_email``'s, without a response."""
    app = request.app
    store, service = app[STORE], app[SERVICE]
    user = await store.user_by_email(email)
    if user is None:
        if service.state is not EngineState.READY:  # no account could be opened: nothing
            return None, UNAVAILABLE
        user = UserRecord(uuid.uuid4().hex, email, None, None, wall_now_ms(), email_proven=True)
        try:
            await store.create_user(user)
        except EmailTakenError:  # created concurrently: use that account
            existing = await store.user_by_email(email)
            if existing is None:
                raise
            user = existing
    # A user with no account yet (new, or one whose first deposit never made it) is signed
    # in only with it: without, the trade page would have nothing to trade with.
    # The store is asked only when the engine could not answer.
    if not await _ensure_account(app, user.id) and not await store.accounts_for_user(user.id):
        return None, UNAVAILABLE
    await address_proven(app, user)  # the first proof ends what a password signup left
    token_jwt, _session = app[SESSIONS].issue(user.id)
    return token_jwt, "/trade"


def _redirect(location: str) -> web.Response:
    return web.Response(status=302, headers={"Location": location, "Cache-Control": "no-store"})


async def ws_ticket(request: web.Request) -> web.Response:
    session = require_session(request)
    return json_response({"ticket": request.app[TICKETS].issue(session)})
