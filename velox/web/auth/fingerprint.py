"""The session secret's fingerprint, recorded in the database: every process on one database
signs sessions with the same secret.

Gateways behind one load balancer verify each other's tokens only if they share the secret.
A gateway started without ``--jwt-secret`` used to generate its own and join in silence, and
users were signed out at random. So the database holds a fingerprint of the secret (an
HMAC-SHA256 of a fixed label keyed with it: it shows whether two secrets are the same and
nothing of the secret itself), and a gateway whose own differs refuses to start, in the same
start-up check that refuses a mismatched ``--api-key-file`` (``velox.web.secret_checks``).

The database's one writer (``velox run``, or ``velox engine`` given ``--jwt-secret``) records
its secret's fingerprint at every start, so changing the secret there (to sign everyone
out: a new secret file) is a start like any other, and the gateways must follow it. A
gateway only compares; where no writer has recorded one, the first gateway's is kept.
"""

from __future__ import annotations

import hashlib
import hmac

from velox.frozen import frozen
from velox.secretfile import SecretFileError
from velox.store.base import Store

META_KEY = "jwt_secret_fingerprint"
LABEL = b"velox session secret fingerprint v1"


def fingerprint(secret: str) -> str:
    return hmac.new(secret.encode("utf-8"), LABEL, hashlib.sha256).hexdigest()


@frozen
class SessionSecret:
    """This process's session secret, as the start-up check sees it."""

    fingerprint: str
    writer: bool  # the database's one writer decides the secret; a gateway follows it


# (meta key, fingerprint) the writer records once its start has gone through
Deferred = list[tuple[str, str]]


async def agrees(
    store: Store, meta_key: str, mine: str, *, writer: bool, later: Deferred | None = None
) -> bool:
    """Whether this process's fingerprint ``mine`` (of a secret it shares with the others
    on the database) is the database's: the writer records its own at each start and
    agrees; a gateway records its own only where none is recorded (the first decides),
    else compares. Both the session secret and the API key file are checked this way.

    Given ``later``, the writer's record goes there instead, to be written once the whole
    start has gone through (``velox.web.secret_checks``): a start refused afterwards (a
    symbol no longer listed) must change nothing, or the gateways that follow the running
    engine's secrets would be refused for a start that never happened."""
    if writer:
        if later is None:
            await store.set_meta(meta_key, mine)
        else:
            later.append((meta_key, mine))
        return True
    recorded = await store.claim_meta(meta_key, mine)
    return hmac.compare_digest(recorded, mine)


async def check_fingerprint(
    store: Store, mine: SessionSecret, later: Deferred | None = None
) -> None:
    """Refuse to start when the session secret is not the database's (``agrees``)."""
    if not await agrees(store, META_KEY, mine.fingerprint, writer=mine.writer, later=later):
        raise SecretFileError(
            "the JWT secret (--jwt-secret, VELOX_JWT_SECRET, else <data-dir>/jwt_secret) is "
            "not the one the engine on this database signs sessions with: give every engine "
            "and gateway on it the same --jwt-secret"
        )
