"""``velox audit``'s NOTEs: what an upgrade from an older Velox over a pruned journal could not
rebuild. Not PROBLEMs: nothing the database still holds can say more, and the audit exits 0
when everything else agrees (README, PostgreSQL: upgrading).

- A snapshot written by an older Velox lacks fields added since (``snapshot_format``). With
  the whole journal the engine is rebuilt from it (``journal.replay``); with a pruned one
  that snapshot is the base, its positions keep the defaults (a LIMIT position shows MARKET
  with no price), and the replay can check the rest only on the fields it holds.
- A database from before the deposits table (441ece7) gets its rows from the journal at
  start; deposits in the pruned part of it are gone, so the History's start and end equity
  of those accounts leave them out.
"""

from __future__ import annotations

from velox.engine.engine import Engine
from velox.engine.snapshot_format import SnapshotFormat
from velox.journal import OLD_BASE_KEY, OldBase
from velox.store.base import Store

UPGRADING = "(README: Upgrading)"


async def old_snapshot_notes(store: Store, base_seq: int, base: SnapshotFormat) -> list[str]:
    """The older snapshot the engine started from (recorded at its start, so still said once
    newer snapshots replaced it), and the one this audit's replay starts from."""
    notes = []
    recorded = await store.get_meta(OLD_BASE_KEY)
    started = OldBase.decode(recorded) if recorded else None
    missing = base.missing()
    if missing and (started is None or started.seq != base_seq):
        notes.append(
            f"the journal starts after the snapshot at seq {base_seq}, written by an older "
            f"Velox: it does not hold {', '.join(missing)}, so the snapshots and the final "
            "state are compared without them"
        )
    if started is not None:
        notes.append(
            f"the engine started from the snapshot at seq {started.seq}, written by an older "
            f"Velox, with the journal before it pruned: it could not hold "
            f"{', '.join(started.missing)}, so the positions it held show their defaults "
            f"(type MARKET, no price) {UPGRADING}"
        )
    return notes


async def lost_deposits_note(store: Store, base: Engine, base_seq: int) -> list[str]:
    """With a pruned journal: the accounts of the replay's base with no deposit row up to it.
    Every account is opened by a deposit, so such an account's rows were never written and
    its events were pruned before the backfill could read them."""
    first = {ids[0]: user for user, ids in base.user_accounts.items()}
    seen: set[str] = set()
    async for row in store.all_deposits():
        if row.seq > base_seq:
            continue
        if row.account_id is not None:
            seen.add(row.account_id)
        else:  # a v1 event: the user's first account's
            seen.update(a for a, user in first.items() if user == row.user_id)
    lost = [a.account_id for a in base.account_list if a.account_id not in seen]
    if not lost:
        return []
    return [
        f"the deposits of accounts {', '.join(lost)} could not be rebuilt (made before the "
        "deposits table, in the pruned part of the journal): their History statistics (start "
        f"and end equity) leave them out {UPGRADING}"
    ]
