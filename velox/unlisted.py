"""Positions and resting orders on an asset the settings no longer list.

An operator who takes a symbol out of ``--symbols`` stops its prices: its open positions
could then never be closed (every close, add-margin and account reset needs a fresh price:
PRICE_STALE for good), never liquidated, and their margin stayed locked, with a made-up
unrealized PnL of 0 in the account's equity. So the engine refuses to start over them, in
one line naming the assets, until they are listed again (and closed) or gone.
"""

from __future__ import annotations

from collections import Counter

from velox.engine.state import State


class UnlistedAssets(Exception):
    """The engine holds positions or resting orders on assets not traded any more."""


def unlisted_holdings(state: State, assets: tuple[str, ...]) -> str | None:
    """What is held on assets outside ``assets`` ("SOLUSDT: 2 positions, 1 resting order"),
    None when nothing is."""
    listed = set(assets)
    positions = Counter(p.asset for p in state.positions.values() if p.asset not in listed)
    resting = Counter(o.asset for o in state.pending.values() if o.asset not in listed)
    if not positions and not resting:
        return None
    parts = []
    for asset in sorted(set(positions) | set(resting)):
        held = [_count(positions[asset], "position"), _count(resting[asset], "resting order")]
        parts.append(f"{asset}: {', '.join(h for h in held if h)}")
    return "; ".join(parts)


def _count(n: int, what: str) -> str:
    return "" if n == 0 else f"{n:,} {what}{'' if n == 1 else 's'}"


def refuse_unlisted(state: State, assets: tuple[str, ...]) -> None:
    held = unlisted_holdings(state, assets)
    if held is not None:
        raise UnlistedAssets(
            f"the journal holds open positions or resting orders on assets --symbols no "
            f"longer lists ({held}): they could never be closed without a price; start with "
            "those symbols listed again and close them (or reset the accounts) first"
        )
