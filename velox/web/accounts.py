"""``/api/v1/accounts`` (SPEC 13) and the account a native request acts on.

Accounts are listed from the store (projected from AccountCreated / AccountRenamed in the
journal's transaction, so a listing after an acknowledged create shows it). A request names
its account with the ``X-Velox-Account`` header or ``?account=``; none means the user's
first account. An account that is not the user's is 404, like one that does not exist.
"""

from __future__ import annotations

import re

from aiohttp import web

from velox.engine.commands import MODES, CreateAccount, RenameAccount, ResetAccount
from velox.engine.errors import Code
from velox.engine.events import AccountCreated
from velox.frozen import frozen
from velox.store.base import Store
from velox.store.records import AccountRecord
from velox.web import render_v2
from velox.web.auth.security import require_session
from velox.web.errors import not_found, refusal_error, unauthorized, validation
from velox.web.jsonio import json_object, json_response
from velox.web.keys import ORDER_LIMIT, SERVICE, STORE
from velox.web.validate import choice, reject_unknown, required

ACCOUNT_HEADER = "X-Velox-Account"
ACCOUNT_QUERY = "account"
ACCOUNT_ID_PATTERN = r"^[0-9]{1,20}$"
NAME_PATTERN = r"^[^\x00-\x1f\x7f]{1,64}$"
_ACCOUNT_ID = re.compile(ACCOUNT_ID_PATTERN)
_NAME = re.compile(NAME_PATTERN)


@frozen
class Chosen:
    """The account a request acts on: ``account_id`` None until the user has one stored;
    ``first`` when it is the user's first (which also owns v1 rows without an account)."""

    account_id: str | None
    first: bool


async def chosen_account(request: web.Request, user_id: str) -> str | None:
    """The account named by the header or query (checked to be the user's), else None: the
    engine then acts on the user's first account."""
    header = request.headers.get(ACCOUNT_HEADER)
    query = request.query.get(ACCOUNT_QUERY)
    if query is not None:  # checked even beside a header: a bad selector is never ignored
        await _own(request, user_id, query)
    if header is not None:
        return (await _own(request, user_id, header)).account_id  # the header wins
    return query


async def reading_account(request: web.Request, user_id: str) -> Chosen:
    """The account whose rows a read shows: the named one, else the user's first."""
    accounts = await request.app[STORE].accounts_for_user(user_id)
    first = accounts[0].account_id if accounts else None
    named = await chosen_account(request, user_id)
    if named is None:
        return Chosen(first, True)
    return Chosen(named, named == first)


async def _own(request: web.Request, user_id: str, account_id: str) -> AccountRecord:
    if not _ACCOUNT_ID.fullmatch(account_id):
        raise not_found("no such account")
    record = await request.app[STORE].account(account_id)
    if record is None or record.user_id != user_id:
        raise not_found("no such account")
    return record


async def account_owner(store: Store, account_id: str) -> str | None:
    """The user whose account ``account_id`` is; None when there is no such account (the
    websocket's check, which keeps the answer: an account's owner never changes)."""
    if not _ACCOUNT_ID.fullmatch(account_id):
        return None
    record = await store.account(account_id)
    return None if record is None else record.user_id


def _name(value: object) -> str:
    if not isinstance(value, str) or not _NAME.fullmatch(value):
        raise validation("name must be 1 to 64 characters, no control characters", "name")
    return value


async def list_accounts(request: web.Request) -> web.Response:
    user_id = require_session(request).user_id
    accounts = await request.app[STORE].accounts_for_user(user_id)
    return json_response({"accounts": [render_v2.account(a) for a in accounts]})


async def create_account(request: web.Request) -> web.Response:
    user_id = require_session(request).user_id
    request.app[ORDER_LIMIT].check(user_id)
    data = await json_object(request)
    reject_unknown(data, ("name", "mode"))
    name = _name(required(data, "name"))
    mode = choice(required(data, "mode"), "mode", MODES)
    service = request.app[SERVICE]
    outcome = await service.submit(CreateAccount(user_id, name, mode, service.clock()))
    if outcome.refusal is not None and outcome.refusal.code == Code.NOT_FOUND:
        raise unauthorized("the account no longer exists")  # as GET /user/me says
    if outcome.refusal is not None:
        raise refusal_error(outcome.refusal)
    created = next(e for e in outcome.events if isinstance(e, AccountCreated))
    record = AccountRecord(created.account_id, user_id, created.name, created.mode, created.ts)
    return json_response(render_v2.account(record), status=201)


async def rename_account(request: web.Request) -> web.Response:
    user_id = require_session(request).user_id
    request.app[ORDER_LIMIT].check(user_id)
    record = await _own(request, user_id, request.match_info["accountId"])
    data = await json_object(request)
    reject_unknown(data, ("name",))
    name = _name(required(data, "name"))
    service = request.app[SERVICE]
    command = RenameAccount(user_id, record.account_id, name, service.clock())
    outcome = await service.submit(command)
    if outcome.refusal is not None:
        raise refusal_error(outcome.refusal)
    return json_response(render_v2.account(await _own(request, user_id, record.account_id)))


async def reset_account(request: web.Request) -> web.Response:
    """Cancel pending orders, close positions at the current quotes, back to the initial
    balance (the difference booked as a deposit adjustment). Answers the account."""
    user_id = require_session(request).user_id
    request.app[ORDER_LIMIT].check(user_id)
    record = await _own(request, user_id, request.match_info["accountId"])
    service = request.app[SERVICE]
    outcome = await service.submit(ResetAccount(user_id, record.account_id, service.clock()))
    if outcome.refusal is not None:
        raise refusal_error(outcome.refusal)
    return json_response(render_v2.account(record))
