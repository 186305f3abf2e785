"""Moved to ``velox.journal.closed`` (the journal owns events <-> rows); this name stays for
code not yet reading ``Published.closed`` (the websocket hub)."""

from velox.journal.closed import PARTIAL, closed_record_of

__all__ = ["PARTIAL", "closed_record_of"]
