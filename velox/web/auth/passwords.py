"""bcrypt, always off the event loop (one hash costs ~250 ms at the default cost 12).

An unknown email is checked against a dummy hash of the same cost, so "no such user" and
"wrong password" take the same time and answer the same 401.
"""

from __future__ import annotations

import asyncio

import bcrypt


class Passwords:
    def __init__(self, rounds: int = 12) -> None:
        self.rounds = rounds
        self._dummy: bytes | None = None

    async def hash(self, password: str) -> str:
        salt = bcrypt.gensalt(self.rounds)
        hashed = await asyncio.to_thread(bcrypt.hashpw, password.encode("utf-8"), salt)
        return hashed.decode("ascii")

    async def verify(self, password: str, hashed: str | None) -> bool:
        """True only for a real hash that matches; constant work either way."""
        if self._dummy is None:
            self._dummy = (await self.hash("not a password of anyone")).encode("ascii")
        target = hashed.encode("ascii") if hashed else self._dummy
        try:
            ok = await asyncio.to_thread(bcrypt.checkpw, password.encode("utf-8"), target)
        except ValueError:  # malformed stored hash or a password over bcrypt's 72 bytes
            return False
        return ok and hashed is not None
