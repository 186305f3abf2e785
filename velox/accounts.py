"""Which paper accounts a user has, for the API keys and the Binance-compatible API.

Accounts (SPEC 13) are projected into the store from the journal (``AccountCreated``), so a
key can be checked against them without a trip through the engine's queue.
"""

from __future__ import annotations

from velox.store.base import Store


async def user_accounts(store: Store, user_id: str) -> list[str]:
    """The ids of the user's accounts, the default (first) one first."""
    return [a.account_id for a in await store.accounts_for_user(user_id)]
