"""``EngineApi``: what the web handlers and the hub need from an engine, wherever it runs.

Implemented by ``velox.service.EngineService`` (in process, ``velox run``) and by
``velox.bus.client.BusEngineClient`` (a gateway: commands over NATS, reads from a mirror).
Handlers only ever see this, so the same handler code serves both deployments.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol, TypeVar

from velox.engine.commands import Command
from velox.engine.engine import Engine, Outcome
from velox.engine.settings import EngineSettings
from velox.service import EngineState, Published, Reply

T = TypeVar("T")
Listener = Callable[[Published], None]


class EngineApi(Protocol):
    settings: EngineSettings
    clock: Callable[[], int]  # engine time (ms) that commands are stamped with

    @property
    def state(self) -> EngineState:
        """READY when commands and reads are answered; anything else answers 503."""
        ...

    @property
    def engine(self) -> Engine:
        """The engine state as of the last committed batch (for the hub, between batches)."""
        ...

    async def submit(self, command: Command) -> Outcome:
        """Run ``command``; returns once its events are durable (or it was refused)."""
        ...

    async def submit_and_read(
        self, command: Command, view: Callable[[Engine, Outcome], T]
    ) -> tuple[Outcome, T | None]:
        """``submit``, plus ``view`` of the engine as that commit (or a later one) left it."""
        ...

    async def submit_and_show(
        self, command: Command, view: Callable[[Engine, Outcome], T]
    ) -> Reply[T]:
        """``submit_and_read``, plus the commit's ``Published`` (its closed orders) where
        the engine runs in process; elsewhere only what the command's own events close."""
        ...

    async def read(self, fn: Callable[[Engine], T]) -> T:
        """``fn`` of the engine holding (at least) every commit acknowledged so far."""
        ...

    def subscribe(self, listener: Listener) -> None:
        """Call ``listener`` with each committed batch, in sequence order."""
        ...
