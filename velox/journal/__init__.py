"""The journal's contents: events <-> rows (``rows``, ``closed``) and rebuilding the engine
from a snapshot and the events after it (``replay``). The service, the audit and the hub
read the journal's meaning only through here."""

from velox.journal.closed import PARTIAL, closed_order_id, closed_record_of
from velox.journal.reading import UnreadableRow, event_of, restore, snapshot_data
from velox.journal.replay import OLD_BASE_KEY, JournalGap, Loaded, OldBase, load, load_engine
from velox.journal.rows import CommitRows, coalesce_marks, commit_rows

__all__ = [
    "OLD_BASE_KEY",
    "PARTIAL",
    "CommitRows",
    "JournalGap",
    "Loaded",
    "OldBase",
    "UnreadableRow",
    "closed_order_id",
    "closed_record_of",
    "coalesce_marks",
    "commit_rows",
    "event_of",
    "load",
    "load_engine",
    "restore",
    "snapshot_data",
]
