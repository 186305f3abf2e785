"""The NATS subjects of one Velox deployment, all under one prefix.

Commands are request/reply on ``COMMANDS`` (one engine subscribes). Every committed batch
(events with their journal sequence numbers, and the prices it carried) goes to ``BATCHES``,
candle updates to ``CANDLES``, the engine's heartbeat (state and last sequence) to ``STATUS``
and signed-out sessions to ``SIGNOUTS`` (every gateway revokes them at once).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Subjects:
    prefix: str = "velox"

    @property
    def commands(self) -> str:
        return f"{self.prefix}.engine.commands"

    @property
    def batches(self) -> str:
        return f"{self.prefix}.engine.batches"

    @property
    def status(self) -> str:
        return f"{self.prefix}.engine.status"

    @property
    def candles(self) -> str:
        return f"{self.prefix}.market.candles"

    @property
    def signouts(self) -> str:
        return f"{self.prefix}.auth.signouts"
