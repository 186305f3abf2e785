"""The session secret's fingerprint, recorded in the database: every process on one database
signs sessions with the same secret.

Gateways behind one load balancer verify each other's tokens only if they share the secret.
A gateway started without ``--jwt-secret`` used to generate its own and join in silence, and
users were signed out at random. So the first process on a database records a fingerprint
(an HMAC-SHA256 of a fixed label keyed with the secret: it shows whether two secrets are the
same and nothing of the secret itself), and every later one compares its own and refuses to
start when they differ, in the same start-up check that refuses a mismatched
``--api-key-file`` (``velox.web.secret_checks``).
"""

from __future__ import annotations

import hashlib
import hmac

from velox.secretfile import SecretFileError
from velox.store.base import Store

META_KEY = "jwt_secret_fingerprint"
LABEL = b"velox session secret fingerprint v1"


def fingerprint(secret: str) -> str:
    return hmac.new(secret.encode("utf-8"), LABEL, hashlib.sha256).hexdigest()


async def check_fingerprint(store: Store, mine: str) -> None:
    """Record ``mine`` if the database has none yet; refuse one that differs from it."""
    recorded = await store.claim_meta(META_KEY, mine)
    if not hmac.compare_digest(recorded, mine):
        raise SecretFileError(
            "the JWT secret (--jwt-secret, VELOX_JWT_SECRET, else <data-dir>/jwt_secret) is "
            "not the one the other Velox processes on this database sign sessions with: give "
            "every engine, gateway and run on it the same --jwt-secret"
        )
