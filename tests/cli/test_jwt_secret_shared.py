"""Every process on one database signs sessions with one secret: the database's one writer
(``velox run``, or ``velox engine`` given ``--jwt-secret``) records its secret's fingerprint
at each start, and a gateway with another secret, or with none (one generated into its own
data directory), refuses to start in one line, as a mismatched --api-key-file does, instead
of issuing tokens the others answer 401 to. Changing the writer's secret (to sign everyone
out) is a start like any other: the gateways must follow it."""

from __future__ import annotations

import pytest

from velox.secretfile import SecretFileError
from velox.store.factory import open_store_for
from velox.web.auth.fingerprint import META_KEY, SessionSecret, check_fingerprint, fingerprint

FIRST = "the-first-processes-secret-" + "a" * 32
NEW = "a-new-secret-after-a-rotation-" + "b" * 32
REFUSAL = (
    "the JWT secret (--jwt-secret, VELOX_JWT_SECRET, else <data-dir>/jwt_secret) is not the "
    "one the engine on this database signs sessions with: give every engine and gateway on "
    "it the same --jwt-secret"
)


def writer(secret: str) -> SessionSecret:
    return SessionSecret(fingerprint(secret), writer=True)


def gateway(secret: str) -> SessionSecret:
    return SessionSecret(fingerprint(secret), writer=False)


async def test_gateways_follow_the_writers_secret(db_url: str) -> None:
    store = open_store_for(db_url)
    await store.open()
    try:
        await check_fingerprint(store, writer(FIRST))
        await check_fingerprint(store, gateway(FIRST))
        with pytest.raises(SecretFileError) as refused:
            await check_fingerprint(store, gateway(NEW))
        assert str(refused.value) == REFUSAL and FIRST not in str(refused.value)
        await check_fingerprint(store, writer(NEW))  # a rotation: the writer decides
        await check_fingerprint(store, gateway(NEW))
        with pytest.raises(SecretFileError):
            await check_fingerprint(store, gateway(FIRST))
        kept = await store.get_meta(META_KEY)
    finally:
        await store.close()
    assert kept == fingerprint(NEW) and NEW not in (kept or "")
    assert fingerprint(FIRST) != fingerprint(FIRST + "x")


async def test_the_first_gateway_decides_where_no_writer_did(db_url: str) -> None:
    store = open_store_for(db_url)
    await store.open()
    try:
        await check_fingerprint(store, gateway(FIRST))
        with pytest.raises(SecretFileError):
            await check_fingerprint(store, gateway(NEW))
    finally:
        await store.close()
