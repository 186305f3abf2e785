"""bcrypt, always off the event loop (one hash costs ~250 ms at the default cost 12).

An unknown email is checked against a dummy hash of the same cost, so "no such user" and
"wrong password" take the same time and answer the same 401.

bcrypt reads at most 72 bytes and stops at a NUL byte, and a limit counted in UTF-8 bytes
cannot be stated in the API document (JSON Schema counts characters). So new hashes are
bcrypt over the base64 of the password's SHA-256 (44 ASCII bytes, whatever the password),
stored with the ``$sha256`` prefix, as passlib's bcrypt_sha256 and Django do. Hashes made
before that (plain bcrypt of passwords of at most 72 bytes) still verify.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib

import bcrypt

PREHASHED = "$sha256"


def _prehash(password: str) -> bytes:
    return base64.b64encode(hashlib.sha256(password.encode("utf-8")).digest())


class Passwords:
    def __init__(self, rounds: int = 12) -> None:
        self.rounds = rounds
        self._dummy: str | None = None

    async def hash(self, password: str) -> str:
        salt = bcrypt.gensalt(self.rounds)
        hashed = await asyncio.to_thread(bcrypt.hashpw, _prehash(password), salt)
        return PREHASHED + hashed.decode("ascii")

    async def verify(self, password: str, hashed: str | None) -> bool:
        """True only for a real hash that matches; constant work either way."""
        if self._dummy is None:
            self._dummy = await self.hash("not a password of anyone")
        stored = hashed or self._dummy
        if stored.startswith(PREHASHED):
            given, target = _prehash(password), stored[len(PREHASHED) :]
        else:  # a hash from before the prehash
            given, target = password.encode("utf-8"), stored
        try:
            ok = await asyncio.to_thread(bcrypt.checkpw, given, target.encode("ascii"))
        except ValueError:  # malformed stored hash or a password over bcrypt's 72 bytes
            return False
        return ok and hashed is not None
