"""What the engine service hands out: its state, the refusal while it is not READY, what a
committed batch made visible (``Published``) and a command's answer (``Reply``). Plain
values shared by the service, the web handlers, the hub and the bus."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import field
from enum import StrEnum
from typing import Generic, TypeVar

from velox.engine.engine import Outcome
from velox.engine.events import Event
from velox.engine.state import Quote
from velox.frozen import frozen
from velox.journal import closed_order_id, closed_record_of
from velox.store.records import ClosedOrderRecord

T = TypeVar("T")


class EngineState(StrEnum):
    STARTING = "STARTING"
    REPLAYING = "REPLAYING"
    READY = "READY"
    SHUTDOWN = "SHUTDOWN"


class EngineNotReady(Exception):
    """The engine is starting, replaying, recovering or shutting down: try again later."""


JOURNAL_DOWN = "the journal cannot be written"


class JournalDown(EngineNotReady):
    """The engine's commits fail (a full disk, a database refusing writes): refused, and
    the client is told so rather than "starting or stopping". Its message starts with
    ``JOURNAL_DOWN`` (a gateway knows it again by that, over the bus)."""

    @classmethod
    def of(cls, why: str) -> EngineNotReady:
        """``JournalDown`` if ``why`` says the journal is down, else ``EngineNotReady``."""
        return cls(why) if why.startswith(JOURNAL_DOWN) else EngineNotReady(why)


class InDoubt(EngineNotReady):
    """A gateway cannot trust what the bus tells it (two engines heard on its prefix, or
    revocations it may have missed while cut off from NATS): refused, nothing done, and the
    client is told why rather than "starting or stopping"."""


class EngineBusy(EngineNotReady):
    """A gateway's wait for the engine ran out and no attempt was run (the engine, stalled
    or swamped, took none in time): nothing was done, and the client is told that, rather
    than "starting or stopping"."""

    MESSAGE = "the engine did not take the request in time (it is busy); nothing was done"


class EngineTimeout(EngineNotReady):
    """A gateway's wait for the engine ran out after the engine may have started the
    command (its commit outlasted the wait, or this gateway never saw the commit): the
    outcome is unknown, unlike any other ``EngineNotReady``, which says nothing was done.
    The client is told so (Binance's -1007, "execution status unknown")."""

    MESSAGE = (
        "the engine did not answer in time: the request may have been carried out; look "
        "before repeating it, or repeat it with the same clientOrderId"
    )


@frozen
class Published:
    """What one committed batch made visible: its numbered events, the quotes it applied and
    the closed orders it produced, computed once by the commit's projection
    (``velox.journal.commit_rows``); the HTTP replies and the hub both read them here."""

    events: tuple[tuple[int, Event], ...]
    quotes: tuple[tuple[str, Quote], ...]
    closed: tuple[ClosedOrderRecord, ...]
    closed_by_id: Mapping[str, ClosedOrderRecord] = field(default_factory=dict)

    @classmethod
    def of(
        cls, events: tuple[tuple[int, Event], ...], quotes: tuple[tuple[str, Quote], ...] = ()
    ) -> Published:
        """Published for events committed elsewhere (a gateway's mirror, a reply's own
        events), with their closed orders derived by the journal's one mapping."""
        closed = {r.order_id: r for _, e in events if (r := closed_record_of(e)) is not None}
        return cls(events, quotes, tuple(closed.values()), closed)

    def closed_order(self, order_id: str) -> ClosedOrderRecord | None:
        """The order ``order_id`` if this batch closed it (a partial close's part id)."""
        return self.closed_by_id.get(order_id)

    def closed_by(self, event: Event) -> ClosedOrderRecord | None:
        """The closed order ``event`` (one of this batch's) produced, if any."""
        order_id = closed_order_id(event)
        return None if order_id is None else self.closed_by_id.get(order_id)


@frozen
class Reply(Generic[T]):
    """A command's answer: its outcome, ``view`` of the engine as its commit left it (None
    if refused), and what that commit published (closed orders, without a store read)."""

    outcome: Outcome
    seen: T | None
    published: Published
