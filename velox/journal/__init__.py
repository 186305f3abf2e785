"""The journal's contents: events <-> rows (``rows``, ``closed``) and rebuilding the engine
from a snapshot and the events after it (``replay``). The service, the audit and the hub
read the journal's meaning only through here."""

from velox.journal.closed import PARTIAL, closed_order_id, closed_record_of
from velox.journal.replay import JournalGap, load_engine
from velox.journal.rows import CommitRows, coalesce_marks, commit_rows

__all__ = [
    "PARTIAL",
    "CommitRows",
    "JournalGap",
    "closed_order_id",
    "closed_record_of",
    "coalesce_marks",
    "commit_rows",
    "load_engine",
]
