"""The first proof of an address ends what a password signup of it left behind.

A password signup checks no mailbox, so whoever signed up with an address may not own it.
If its owner later proves the address (a magic link, or an identity provider's verified
address) and were simply signed in to that user, the stranger's password, sessions, API keys
and webhook tokens would go on working on the owner's account: account pre-hijacking
(Sudhodanan & Paverd, 2022, "classic-federated merge"). So before the prover is signed in to
a user whose address was never proven, everything the signup could have handed out ends;
a user already proven is signed in as it is.

The order is what keeps a racing stranger out: the password goes first, so no sign-in that
starts after it can succeed (``handlers.signin`` checks again after issuing, for one already
running); then every session issued so far, with signout-all's own mark, broadcast and
socket closing; then, with no session left to make new ones, the API keys and webhook
tokens, in the same transaction as the mark that the address is proven. Anything that fails
before that commit leaves the user unproven, so the next proof does it all again. A request
of the stranger's that was signed in when it began and writes a password, key or token after
the mark is refused by the store (``store/session_guard.py``); one that wrote before the mark
is undone by that last step, which clears the password again.
"""

from __future__ import annotations

from aiohttp import web

from velox.binance.keys import KEYRING
from velox.store.records import UserRecord
from velox.web.auth.sessions import wall_now_ms
from velox.web.keys import HUB, SESSIONS, STORE


async def sign_out_everywhere(app: web.Application, user_id: str) -> None:
    """Every session of the user issued up to now stops working, on every gateway, and its
    sockets close (``POST /api/v1/user/signout-all``). A session issued afterwards, even in
    the same millisecond, works (``SessionManager.issue`` never issues before the mark).

    The store has the mark first: if it cannot write (a database outage, 503 "retry"),
    nothing changed, the session still works and the retry does it; marked here first, the
    sign-out was refused on retry (401) while it lived only in this process, lost at the next
    restart and never told to the other gateways."""
    sessions = app[SESSIONS]
    before_ms = sessions.next_mark(user_id, wall_now_ms())
    await app[STORE].sign_out_everywhere(user_id, before_ms)
    sessions.load_cutoffs({user_id: before_ms})
    await app[HUB].signed_out_everywhere(user_id, before_ms)


async def address_proven(app: web.Application, user: UserRecord) -> None:
    """Someone proved ``user``'s address and is about to be signed in as it. The first time,
    nothing made before stays valid: no password, no session, no API key, no webhook token."""
    if user.email_proven:
        return
    store = app[STORE]
    await store.set_password(user.id, None)
    await sign_out_everywhere(app, user.id)
    revoked = await store.prove_email(user.id)
    for key in revoked or ():
        await app[KEYRING].revoked(key)
