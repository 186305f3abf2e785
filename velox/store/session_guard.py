"""Credentials are written only while the session asking for them is still signed in.

A handler checks the session when a request starts; the write comes later (after its body
arrives, after bcrypt). A sign-out everywhere in between (the user's own, or the first proof
of the address ending what a stranger's signup left: ``web/auth/proof.py``) would not stop
it: a stranger who held a request open could keep a password, an API key or a webhook token
on the owner's account. So the write itself checks, in its transaction, that no sign-out
mark of the user (``session_cutoffs``, shared by every gateway) is newer than the session;
and on PostgreSQL the transaction holds the user's lock that the proof's deletion takes
too, so one of the two sees the other.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol


class SessionEndedError(Exception):
    """The session that asked for a credential was signed out before it was written."""


class Tx(Protocol):
    async def execute(self, sql: str, args: Sequence[Any] = ()) -> int: ...

    async def fetch(self, sql: str, args: Sequence[Any] = ()) -> list[Any]: ...


async def require_signed_in(tx: Tx, user_id: str, issued_at: int | None) -> None:
    """Raise ``SessionEndedError`` if a sign-out mark of ``user_id`` covers a session issued
    at ``issued_at`` (ms; None: not asked by a session, nothing to check)."""
    if issued_at is None:
        return
    rows = await tx.fetch(
        "SELECT 1 FROM session_cutoffs WHERE user_id = ? AND before_ms > ?", (user_id, issued_at)
    )
    if rows:
        raise SessionEndedError(f"the session of user {user_id} was signed out meanwhile")


class CredentialWrites:
    """What the store's mixins that write or clear a user's credentials (``ApiKeyRows``,
    ``UserRows``) share: the user's lock, and the signed-in check taken under it."""

    # PostgreSQL's statement locking one user's credentials until the transaction ends (the
    # proof's deletion takes it too); SQLite serialises every write and needs none
    _LOCK_USER_KEYS: str | None = None

    async def _lock_user(self, tx: Tx, user_id: str) -> None:
        if self._LOCK_USER_KEYS:
            await tx.execute(self._LOCK_USER_KEYS, (user_id,))

    async def _lock_signed_in(self, tx: Tx, user_id: str, issued_at: int | None) -> None:
        """The user's lock, then ``require_signed_in`` under it."""
        await self._lock_user(tx, user_id)
        await require_signed_in(tx, user_id, issued_at)
