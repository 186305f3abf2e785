"""Which paper accounts a user has: the one seam the accounts work (issue 13) replaces.

Until engine v2 brings several accounts per user, every user has exactly one account and its
id is the user's id; the engine keys balances and positions by that same id. API keys, the
Binance-compatible API and (later) ``X-Velox-Account`` all ask here, so accounts arrive by
changing these two functions and nothing else.
"""

from __future__ import annotations


async def user_accounts(user_id: str) -> list[str]:
    """The ids of the user's accounts, the default (first) one first."""
    return [user_id]


def engine_owner(account_id: str) -> str:
    """The engine id that holds the account's balance and positions (today: the user's)."""
    return account_id
