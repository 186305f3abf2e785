"""``/api/v1/api-keys``: create (the secret shown once), list (never a secret), revoke.

Session-authenticated (cookie or Bearer), so a bot's API key can never mint more keys. The
secret is generated here, sealed by the vault for its row and stored sealed; the reply that
creates it is the only place it ever appears. A revoke deletes the row and tells the key ring,
so the key stops signing at once and its user-data streams close.
"""

from __future__ import annotations

import secrets
from typing import Any

from aiohttp import web

from velox.binance.keyring import READ, TRADE, new_token
from velox.binance.keys import KEYRING
from velox.store.records import ApiKeyRecord
from velox.web.auth.security import check_credential_change, require_session
from velox.web.errors import ApiError, not_found, validation
from velox.web.jsonio import json_object, json_response
from velox.web.keys import OPTIONS, SETTINGS, STORE
from velox.web.validate import reject_unknown, required, string

NAME_MAX = 64
PERMISSION_SETS: tuple[tuple[str, ...], ...] = ((READ,), (READ, TRADE))
KEY_ID_PATTERN = r"[0-9a-f]{16}"
FIELDS = ("name", "accountId", "permissions")


def api_key_json(key: ApiKeyRecord, mode: str | None = None) -> dict[str, Any]:
    """``mode``: its account's; a HEDGING account's key only reads (SPEC 13), whatever an
    older Velox let it be made with, so it says ``["read"]``."""
    return {
        "keyId": key.key_id,
        "name": key.name,
        "accountId": key.account_id,
        "permissions": [READ] if mode == "HEDGING" else list(key.permissions),
        "apiKey": key.api_key,
        "createdAt": key.created_at,
    }


def _name(value: Any) -> str:
    text = string(value, "name", max_length=NAME_MAX)
    if not text or any(ord(c) < 0x20 or ord(c) == 0x7F for c in text):
        raise validation("name must be 1 to 64 printable characters", "name")
    return text


def _permissions(value: Any) -> tuple[str, ...]:
    if isinstance(value, list) and tuple(value) in PERMISSION_SETS:
        return tuple(value)
    raise validation('permissions must be ["read"] or ["read", "trade"]', "permissions")


async def create_api_key(request: web.Request) -> web.Response:
    session = require_session(request)
    user_id = session.user_id
    check_credential_change(request, user_id)
    data = await json_object(request)
    reject_unknown(data, FIELDS)
    name = _name(required(data, "name"))
    account_id = required(data, "accountId")
    if not isinstance(account_id, str):
        raise validation("accountId must be a string", "accountId")
    permissions = _permissions(required(data, "permissions"))
    modes = await _modes(request, user_id)
    if account_id not in modes:
        raise ApiError("NOT_FOUND", "no such account", "accountId")
    if TRADE in permissions and modes[account_id] == "HEDGING":
        raise ApiError(
            "HEDGING_KEY_READ_ONLY", "a HEDGING account's key only reads: make a NETTING "
            "account for a key that trades (Binance's one-way mode)", "permissions",
        )  # fmt: skip
    app = request.app
    ring = app[KEYRING]
    key_id = secrets.token_hex(8)
    secret = new_token()
    record = ApiKeyRecord(
        key_id=key_id,
        user_id=user_id,
        account_id=account_id,
        name=name,
        api_key=new_token(),
        secret_sealed=ring.seal(key_id, secret),
        permissions=permissions,
        created_at=app[OPTIONS].clock.wall_ms(),
    )
    limit = app[SETTINGS].max_api_keys
    if not await app[STORE].create_api_key(record, limit, issued_at=session.issued_at):
        raise ApiError("TOO_MANY_API_KEYS", f"at most {limit} API keys per user")
    return json_response({**api_key_json(record), "secret": secret}, status=201)


async def list_api_keys(request: web.Request) -> web.Response:
    user_id = require_session(request).user_id
    keys = await request.app[STORE].api_keys_for_user(user_id)
    modes = await _modes(request, user_id)
    return json_response({"apiKeys": [api_key_json(k, modes.get(k.account_id)) for k in keys]})


async def _modes(request: web.Request, user_id: str) -> dict[str, str]:
    """The user's accounts' modes, by account id (a mode never changes)."""
    return {a.account_id: a.mode for a in await request.app[STORE].accounts_for_user(user_id)}


async def delete_api_key(request: web.Request) -> web.Response:
    user_id = require_session(request).user_id
    check_credential_change(request, user_id)
    deleted = await request.app[STORE].delete_api_key(user_id, request.match_info["keyId"])
    if deleted is None:
        raise not_found("no such API key")
    await request.app[KEYRING].revoked(deleted)
    return web.Response(status=204)
