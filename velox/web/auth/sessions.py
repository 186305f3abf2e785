"""Sessions: HS256 JWTs (sub, iat, exp, jti, ims) checked without touching the database.

A signed token plus an in-memory set of revoked ``jti``s is all an order request needs to be
authorised: the set is loaded from the store at start and every signout adds to both. "Sign
out everywhere" leaves a per-user mark instead (kept the same way): every session of that
user issued before it is void. ``iat`` is whole seconds, so a token also carries its issue
time in ms (``ims``), and a session is never issued before its user's mark: one issued just
after a signout-all works, in the same second or millisecond, and none issued before does. The
secret comes from settings, else ``<data_dir>/jwt_secret``, else it is generated on first run
and written there with mode 0600, so restarts keep sessions valid and no default exists.
"""

from __future__ import annotations

import heapq
import secrets
import time
import uuid
from pathlib import Path
from typing import TYPE_CHECKING

import jwt

from velox.frozen import frozen
from velox.published import InDoubt
from velox.secretfile import SecretFileError, create_once

if TYPE_CHECKING:
    from velox.store.base import Store

ALGORITHM = "HS256"
SECRET_FILE = "jwt_secret"
MIN_SECRET = 32  # characters: HS256 wants at least 32 bytes of key (RFC 7518 3.2)


@frozen
class Session:
    user_id: str
    jti: str
    expires_at: int  # ms
    via_cookie: bool = False
    issued_at: int = 0  # ms (``ims``; ``iat`` * 1000 for a token issued before it existed)


def load_secret(configured: str | None, data_dir: str | Path) -> str:
    """``--jwt-secret``, else the data directory's secret file, created on first use. An
    empty file is refused: tokens signed with an empty secret could be forged by anyone. A
    secret shorter than ``MIN_SECRET`` is refused here, at start, as a setting a person can
    fix (``SecretFileError``: one ``velox:`` line), not later as a traceback."""
    if configured:
        return _long_enough(configured, "--jwt-secret (VELOX_JWT_SECRET)")
    path = Path(data_dir) / SECRET_FILE
    fresh = (secrets.token_urlsafe(48) + "\n").encode("utf-8")
    try:  # unreadable, a directory, not text...: one line, as for the API key file
        secret = create_once(path, fresh).decode("utf-8").strip()
    except OSError as exc:
        raise SecretFileError(
            f"cannot read the JWT secret file {path}: {exc.strerror or exc}"
        ) from exc
    except UnicodeDecodeError as exc:
        raise SecretFileError(f"cannot read the JWT secret file {path}: not UTF-8 text") from exc
    if not secret:
        raise SecretFileError(f"{path} is empty: delete it (a new secret signs out every session)")
    return _long_enough(secret, f"the secret in {path}")


def _long_enough(secret: str, source: str) -> str:
    if len(secret) < MIN_SECRET:
        raise SecretFileError(
            f"{source} is {len(secret)} characters; the JWT secret must be at least "
            f"{MIN_SECRET} (HS256 wants {MIN_SECRET} bytes of key)"
        )
    return secret


VERIFIED_CACHE = 10_000


def wall_now_ms() -> int:
    """The wall clock in ms: sessions' times (``iat``, ``ims``, sign-out marks) are wall
    times, shared with the other gateways and the database."""
    return time.time_ns() // 1_000_000


class SessionManager:
    """Issues and verifies session tokens; remembers revoked ones until they expire.

    Revocations are kept in a dict (lookup) plus a heap by expiry, so each signout drops the
    revocations that expired since, in O(log n) each, instead of scanning them all: the set
    holds only sessions that could still be presented.
    """

    def __init__(self, secret: str, ttl_s: int) -> None:
        if len(secret) < MIN_SECRET:  # load_secret refuses it first, as a setting
            raise ValueError("the JWT secret must be at least 32 characters")
        self._secret = secret
        self.ttl_s = ttl_s
        self._revoked: dict[str, int] = {}  # jti -> expiry (ms)
        self._by_expiry: list[tuple[int, str]] = []  # heap of (expiry ms, jti)
        self._void_before: dict[str, int] = {}  # user -> sessions issued before are void (ms)
        # Tokens already verified, so a bot's every order costs a dict lookup rather than a
        # full JWT decode (~20 % of an order's CPU). Expiry and revocation are still checked
        # on every hit; the cache is bounded and simply cleared when full.
        self._verified: dict[str, Session] = {}
        # Why no session can be vouched for now, or None: set by a gateway cut off from the
        # other gateways' revocations until it has read what it missed (velox.bus.catchup).
        # Meanwhile every session answers 503 (InDoubt) rather than 200 for a signed-out one.
        self.unsure: str | None = None

    def issue(self, user_id: str, now_s: float | None = None) -> tuple[str, Session]:
        now_ms = wall_now_ms() if now_s is None else int(now_s * 1000)
        now = now_ms // 1000
        # never before the user's mark: issued after a signout-all, it must survive it
        issued = max(now_ms, self._void_before.get(user_id, 0))
        jti = uuid.uuid4().hex
        claims = {"sub": user_id, "iat": now, "exp": now + self.ttl_s, "jti": jti, "ims": issued}
        token = jwt.encode(claims, self._secret, algorithm=ALGORITHM)
        return token, Session(user_id, jti, (now + self.ttl_s) * 1000, False, issued)

    def verify(self, token: str, *, via_cookie: bool = False) -> Session | None:
        """The session if ``token`` is ours, unexpired and not revoked; else None.
        ``InDoubt`` while revocations may have been missed (``unsure``)."""
        if not token or len(token) > 4096:
            return None
        self._vouch()
        known = self._verified.get(token)
        if known is not None:
            if not self._unrevoked(known) or known.expires_at <= time.time() * 1000:
                return None
            return Session(known.user_id, known.jti, known.expires_at, via_cookie, known.issued_at)
        try:
            claims = jwt.decode(
                token,
                self._secret,
                algorithms=[ALGORITHM],
                # iat is not checked against this clock: a token issued here (or by a
                # gateway a second ahead) and shown after the wall clock stepped back would
                # be "not yet valid"; its signature says we issued it, and exp still counts
                options={"require": ["sub", "iat", "exp", "jti"], "verify_iat": False},
            )
        except jwt.PyJWTError:
            return None
        sub, jti, exp = claims.get("sub"), claims.get("jti"), claims.get("exp")
        if not isinstance(sub, str) or not isinstance(jti, str) or not isinstance(exp, int):
            return None
        iat, issued = claims.get("iat"), claims.get("ims")
        if not isinstance(issued, int):  # a token from before ``ims``
            issued = iat * 1000 if isinstance(iat, int) else 0
        session = Session(sub, jti, exp * 1000, via_cookie, issued)
        if not self._unrevoked(session):
            return None
        if len(self._verified) >= VERIFIED_CACHE:
            self._verified.clear()
        self._verified[token] = session
        return session

    def is_live(self, session: Session, now_ms: int | None = None) -> bool:
        """Not revoked and not expired: for a session held since it was verified (a
        websocket ticket, an open socket)."""
        self._vouch()
        now = wall_now_ms() if now_ms is None else now_ms
        return self._unrevoked(session) and session.expires_at > now

    def _vouch(self) -> None:
        if self.unsure is not None:
            raise InDoubt(self.unsure)

    def _unrevoked(self, session: Session) -> bool:
        return session.jti not in self._revoked and session.issued_at >= self._void_before.get(
            session.user_id, 0
        )

    def revoke(self, session: Session, now_ms: int) -> None:
        self._remember(session.jti, session.expires_at)
        self._forget_expired(now_ms)

    def load_revoked(self, jtis: set[str], until_ms: int) -> None:
        """At start: the store's unexpired revocations (their exact expiry is not needed)."""
        for jti in jtis:
            self._remember(jti, until_ms)

    def next_mark(self, user_id: str, now_ms: int) -> int:
        """The mark that voids every session of ``user_id`` issued up to ``now_ms``
        (inclusive): sessions issued before it are void. Not applied: the store has it
        first (``load_cutoffs`` then), so a write that fails changes nothing here either."""
        return max(now_ms + 1, self._void_before.get(user_id, 0))

    def sign_out_everywhere(self, user_id: str, now_ms: int) -> int:
        """``next_mark``, applied here at once; returns it."""
        before_ms = self.next_mark(user_id, now_ms)
        self.load_cutoffs({user_id: before_ms})
        return before_ms

    async def read_sign_outs(self, store: Store, now_ms: int) -> tuple[set[str], dict[str, int]]:
        """Load the store's unexpired revocations and every sign-out-everywhere mark (all of
        them: a token's own exp may outlast today's TTL); returned for whoever must also close
        their sockets. At start, and on a gateway catching up with what it missed."""
        revoked = await store.revoked_sessions(now_ms)
        self.load_revoked(revoked, now_ms + self.ttl_s * 1000)
        cutoffs = await store.session_cutoffs(0)
        self.load_cutoffs(cutoffs)
        return revoked, cutoffs

    def load_cutoffs(self, marks: dict[str, int]) -> None:
        """The store's marks at start, or another gateway's signout-all: the later one wins."""
        for user_id, before_ms in marks.items():
            if before_ms > self._void_before.get(user_id, 0):
                self._void_before[user_id] = before_ms

    def _remember(self, jti: str, expires_at: int) -> None:
        self._revoked[jti] = expires_at
        heapq.heappush(self._by_expiry, (expires_at, jti))

    def _forget_expired(self, now_ms: int) -> None:
        heap = self._by_expiry
        while heap and heap[0][0] <= now_ms:
            expires_at, jti = heapq.heappop(heap)
            if self._revoked.get(jti) == expires_at:  # not re-revoked with a later expiry
                del self._revoked[jti]
