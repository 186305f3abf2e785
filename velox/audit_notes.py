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
- A close whose settlement was capped at 0, written by a Velox before its fills reported
  what moved money: its fill row holds the event's ``close_fee`` and ``pnl`` (a fee never
  paid, a loss past the margin) and its ``closed_orders`` row that fee in ``fee``. Such rows
  are left as written: a row matches the journal when it is exactly what that older Velox
  projected from the same event (``pre_fix_fill``, ``pre_fix_closed``), and one NOTE counts
  them. Not rewritten at start: the rows agree with each other as written (the History's
  results read both), a rewrite would need the journal (the rows alone do not hold the
  margin a fill settled), and a pruned journal could not give it for every row.
"""

from __future__ import annotations

from dataclasses import replace

from velox.engine.engine import Engine
from velox.engine.events import Event, PositionClosed, PositionPartiallyClosed
from velox.engine.snapshot_format import SnapshotFormat
from velox.journal import OLD_BASE_KEY, OldBase
from velox.store.base import Store
from velox.store.records import ClosedOrderRecord, FillRecord

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
            f"{', '.join(started.missing)}, so {_consequences(started.missing)} {UPGRADING}"
        )
    return notes


def _consequences(missing: tuple[str, ...]) -> str:
    """What the fields an older snapshot lacked leave behind in an engine started from it."""
    said = []
    if any(name.startswith("positions.") for name in missing) or not missing:
        said.append("the positions it held show their defaults (type MARKET, no price)")
    if "accounts.fees_waived" in missing:
        said.append(
            "its accounts' fees count in full the close fees that settlements capped at 0 "
            "left unpaid before it"
        )
    return " and ".join(said)


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


def pre_fix_fill(event: Event, fill: FillRecord) -> FillRecord | None:
    """The row an older Velox wrote for ``fill``, the close fill of ``event``, when that
    differs (a settlement capped at 0): the event's close fee and PnL as they are."""
    if not isinstance(event, PositionClosed | PositionPartiallyClosed):
        return None
    old = replace(fill, fee=event.close_fee, realized_pnl=event.pnl)
    return None if old == fill else old


def pre_fix_closed(event: Event, record: ClosedOrderRecord) -> ClosedOrderRecord | None:
    """The ``closed_orders`` row an older Velox wrote for ``event``, when that differs from
    ``record`` (a capped settlement): its fee counted the whole close fee."""
    if isinstance(event, PositionClosed):
        old = replace(record, fee=event.fee)
    elif isinstance(event, PositionPartiallyClosed):
        old = replace(record, fee=event.close_fee)
    else:
        return None
    return None if old == record else old


def pre_fix_note(fills: int, closed: int) -> list[str]:
    """One NOTE for the rows of capped closes an older Velox wrote (none: no note)."""
    if not fills and not closed:
        return []
    return [
        f"{fills} fills and {closed} closed orders of closes whose settlement was capped at 0 "
        "were written by an older Velox with the close's whole fee (and, for fills, its "
        "formula PnL): they say a fee and a loss the trader never paid, and are kept as "
        f"written {UPGRADING}"
    ]
