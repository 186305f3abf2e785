"""A gateway that may have missed broadcasts reads what it missed before it trusts a session.

Signouts, signout-alls and listen keys reach the other gateways only by broadcast, and NATS
keeps nothing for a gateway that is away: one whose link was cut for a few seconds (NATS
itself up, the others carrying on) came back without them, and served a session signed out
elsewhere meanwhile until it expired (7 days), and refused a listen key made elsewhere.
Everything broadcast is in the store before it is answered, so when the link is back
(``Link.back``: the subscriptions are on the server again) the gateway greets the others
(they took it for gone and stopped waiting for its confirmations), reads the store's
revocations, cutoffs and live listen keys, closes the sockets of sessions revoked
meanwhile, and takes in what the others published before (``caught_up``). From the moment
the link is lost until that is done, sessions answer 503 (``SessionManager.unsure``): a
session the gateway cannot vouch for is not trusted.

What else goes by broadcast needs no catching up: a deleted API key is forgotten within the
key ring's one second (it reads the store again), and its listen key goes with it here (the
store no longer lists it); a websocket ticket issued elsewhere meanwhile is refused (the
browser asks for another) and one redeemed elsewhere is claimed from its issuer, who says
no; rate-limit hits missed meanwhile are a few seconds of counts; batches and heartbeats
are the mirror's (a gap is read from the journal); candles are read from the store.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from nats.aio.client import Client

from velox.bus.broadcast import Broadcast
from velox.bus.gateway import GatewayHub
from velox.bus.link import Link
from velox.bus.listenkeys import SharedListenKeys
from velox.bus.roster import Roster
from velox.store.base import Store
from velox.vault import Vault
from velox.web.auth.sessions import SessionManager

log = logging.getLogger(__name__)
RETRY_S = 0.5  # the store or NATS away while catching up: try again, up to MAX_RETRY_S
MAX_RETRY_S = 5.0


class CatchUp:
    def __init__(
        self,
        nc: Client,
        link: Link,
        store: Store,
        sessions: SessionManager,
        hub: GatewayHub,
        roster: Roster,
        listen_keys: SharedListenKeys,
        books: tuple[Broadcast, ...],
        vault: Callable[[], Vault | None],
        wall_ms: Callable[[], int],
    ) -> None:
        self.nc = nc
        self.store = store
        self.sessions = sessions
        self.hub = hub
        self.roster = roster
        self.listen_keys = listen_keys
        self.books = books  # whose messages published before now must be applied here
        self.vault = vault  # the Binance API's, when it is served
        self.wall_ms = wall_ms
        self._losses = 0  # how many times messages may have been missed
        self._task: asyncio.Task[None] | None = None
        link.on_lost(self.lost)
        link.on_back(self.back)

    def lost(self, why: str) -> None:
        self._losses += 1
        if self.sessions.unsure is None:
            log.warning("bus: %s; sessions answer 503 until it has caught up", why)
        self.sessions.unsure = why

    def back(self) -> None:
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._run(), name="catch-up")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    async def _run(self) -> None:
        delay = RETRY_S
        while True:
            losses = self._losses
            try:
                await self.once()
            except Exception as exc:
                log.warning("bus: cannot catch up yet (%s); retry in %.1f s", exc, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, MAX_RETRY_S)
                continue
            if losses == self._losses:  # nothing lost again meanwhile
                self.sessions.unsure = None
                log.info("bus: caught up with what was missed; sessions served again")
                return
            if not self.nc.is_connected:
                return  # the next ``back`` starts again

    async def once(self) -> None:
        """Read what may have been missed (the subscriptions are on the server already, so
        what is published from now on arrives as usual)."""
        await self.roster.greet()  # the others wait for our confirmations again
        now = self.wall_ms()
        revoked, cutoffs = await self.sessions.read_sign_outs(self.store, now)
        for jti in revoked:
            self.hub.close_session(jti)
        for user_id, before_ms in cutoffs.items():
            self.hub.close_sessions_of(user_id, before_ms)
        vault = self.vault()
        if vault is not None:
            await self.listen_keys.reread(self.store, vault, now)
        for book in self.books:
            await book.caught_up()
