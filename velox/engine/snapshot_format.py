"""What a stored snapshot holds, against what this Velox exports.

A snapshot written by an older Velox lacks the keys (``boundary_refs``) and row fields (a
position's ``order_type``, ``price``, ``created_at``...) added since: ``Engine.restore``
gives them their defaults, which a replay of the journal would not (a position opened by a
LIMIT order would show MARKET with no price). So the start-up rebuilds from the journal when
it can, and the audit compares such a snapshot on what it holds (``narrow``) and says what it
could not (``missing``). Pure: the format is read off the snapshot's own key and field lists.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from velox.engine.snapshot import StateExport
from velox.engine.state import STOP_ID_FIELDS, State

# each kind of row and the key of its field names (client_ids rows have none: triples)
ROW_FIELDS = {"accounts": "account_fields", "positions": "position_fields",
              "pending": "pending_fields"}  # fmt: skip
# Fields whose default is what a replay of the journal before them gives: an order placed by
# a Velox that kept no time in force decodes as GTC from the journal too, so a snapshot
# without it is whole (no rebuild from the journal at start, nothing for the audit to say).
# So are a position's stop ids (v6): a replay of journal rows written before them gives None.
DEFAULTED = frozenset({"pending.time_in_force", *(f"positions.{name}" for name in STOP_ID_FIELDS)})


@dataclass(frozen=True, slots=True)
class SnapshotFormat:
    """A snapshot's keys, in order, and the field names of each kind of row."""

    keys: tuple[str, ...]
    fields: tuple[tuple[str, tuple[str, ...]], ...]  # (rows key, its field names)

    @classmethod
    def of(cls, data: dict[str, Any]) -> SnapshotFormat:
        rows = tuple(
            (rows_key, tuple(data.get(fields_key) or ()))
            for rows_key, fields_key in ROW_FIELDS.items()
        )
        return cls(tuple(data), rows)

    def missing(self) -> list[str]:
        """What this Velox exports that a snapshot of this format lacks, in export order
        (``boundary_refs``, ``positions.order_type``); empty for a current snapshot."""
        absent = [key for key in CURRENT.keys if key not in self.keys]
        held = dict(self.fields)
        for rows_key, names in CURRENT.fields:
            absent += [f"{rows_key}.{name}" for name in names if name not in held[rows_key]]
        return [name for name in absent if name not in DEFAULTED]

    def __and__(self, other: SnapshotFormat) -> SnapshotFormat:
        """What both formats hold (compare a snapshot by what the replay's base held too)."""
        theirs = dict(other.fields)
        return SnapshotFormat(
            tuple(key for key in self.keys if key in other.keys),
            tuple((rows_key, tuple(n for n in names if n in theirs[rows_key]))
                  for rows_key, names in self.fields),
        )  # fmt: skip

    def narrow(self, data: dict[str, Any]) -> dict[str, Any]:
        """``data`` (a snapshot or an export, decoded: rows are lists) on this format's keys,
        each row on this format's fields."""
        out = {key: data[key] for key in self.keys if key in data}
        for rows_key, names in self.fields:
            fields_key = ROW_FIELDS[rows_key]
            if rows_key not in out or fields_key not in out:
                continue
            written = list(data[fields_key])
            picks = [written.index(name) for name in names if name in written]
            out[fields_key] = [written[i] for i in picks]
            out[rows_key] = [[row[i] for i in picks] for row in data[rows_key]]
        return out


CURRENT = SnapshotFormat.of(StateExport(State()).result())
