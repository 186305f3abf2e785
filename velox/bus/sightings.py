"""Which engine a gateway hears, to notice two answering on one bus prefix.

One prefix takes one engine, and each engine stops when it sees another (``presence``); but
until both have noticed (a frozen one wakes up, a cut-off one comes back), a gateway would
take either one's word: orders acknowledged by one and read back from the other's
batches, ids from the wrong journal. So a gateway watches the heartbeats: an engine run
(``instance``) heard again after another was heard means two are live (a restart is one
run followed by another, never back again), and the gateway answers 503 until it has heard
one alone for ``QUIET_S``. What its mirror took meanwhile may be the other engine's: it is
reloaded from the store before the gateway serves again (``BusEngineClient``).
"""

from __future__ import annotations

SEEN_S = 5.0  # a run heard this recently is live: ten of its heartbeats
QUIET_S = 5.0  # after two runs were heard: one alone for this long before trusting it


class Sightings:
    def __init__(self) -> None:
        self._heard: dict[str, float] = {}  # engine run -> when last heard (monotonic)
        self._last: str | None = None
        self._clash_at: float | None = None
        self._clash = ""

    def heard(self, instance: str, now: float) -> bool:
        """Record a heartbeat of ``instance``; True when it shows two runs alive."""
        for gone in [i for i, at in self._heard.items() if now - at > SEEN_S]:
            del self._heard[gone]
        last, self._last = self._last, instance
        clash = last is not None and last != instance and instance in self._heard
        self._heard[instance] = now
        if clash:
            self._clash_at = now
            self._clash = f"{instance[:8]} and {str(last)[:8]}"
        return clash

    def doubt(self, now: float) -> str | None:
        """Why no engine can be trusted now, or None."""
        if self._clash_at is None or now - self._clash_at >= QUIET_S:
            return None
        return f"two engines answer on this bus prefix (runs {self._clash}); waiting for one"
