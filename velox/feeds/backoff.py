"""Exponential backoff with full jitter for reconnects.

Binance allows 300 connection attempts per 5 minutes per IP and bans repeat offenders, so a
flapping link must slow down; the jitter keeps many Velox instances behind one NAT (or one
restart of the exchange) from reconnecting in lockstep.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field


@dataclass(slots=True)
class Backoff:
    """``next_delay()`` returns a uniform delay in [base * 2^n / 2, base * 2^n], capped.

    Half of the window is guaranteed ("equal jitter") so a storm of failures never
    degenerates into an immediate retry loop.
    """

    base_s: float = 0.5
    max_s: float = 30.0
    rng: random.Random = field(default_factory=random.Random)
    attempts: int = 0

    def next_delay(self) -> float:
        ceiling = min(self.max_s, self.base_s * (1 << min(self.attempts, 30)))
        self.attempts += 1
        return ceiling / 2 + self.rng.uniform(0, ceiling / 2)

    def reset(self) -> None:
        self.attempts = 0
