"""One batch of the engine service: the queued items (commands, ticks, reads) run through the
engine, and everything the batch will reveal computed at that moment, from exactly the state
its commit makes durable. The service hands it out only after that commit (pipelining may
apply the next batch meanwhile)."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from velox.engine.commands import Command, PriceTick
from velox.engine.engine import Engine, Outcome
from velox.engine.events import Event
from velox.engine.state import Quote
from velox.journal import CommitRows, commit_rows
from velox.published import EngineNotReady, Published, Reply

log = logging.getLogger(__name__)
TOO_LATE = "the command came after its caller stopped waiting; it was not run"


class Deadline:
    """When the caller of a queued command stops waiting for it (``time.monotonic()``): it
    is refused, never run, if still queued then. A caller that asks again moves it later."""

    __slots__ = ("at",)

    def __init__(self, at: float) -> None:
        self.at = at

    def extend(self, at: float) -> None:
        self.at = max(self.at, at)

    def passed(self) -> bool:
        return time.monotonic() >= self.at


@dataclass(slots=True)
class Submit:
    command: Command
    future: asyncio.Future[Any]
    view: Callable[[Engine, Outcome], Any] | None = None
    expires: Deadline | None = None  # not run if still queued when it has passed


@dataclass(slots=True)
class Read:
    fn: Callable[[Engine], Any]
    future: asyncio.Future[Any]


STOP = object()
COMMITTED = object()


Stage = Callable[[Published], Callable[[], None] | None]


@dataclass(slots=True)
class Batch:
    """A batch applied to the engine, its commit perhaps still running. Everything it will
    reveal (replies, read results, what staged listeners prepared) was computed when it was
    applied, with the engine holding exactly the state this commit makes durable; it is
    handed out only once the commit succeeded."""

    items: list[Any]
    published: Published
    rows: CommitRows
    answers: list[tuple[asyncio.Future[Any], Any, Exception | None]]
    afters: list[Callable[[], None]]
    commit: asyncio.Task[None] | None = None


def apply_batch(
    engine: Engine, items: list[Any], after_seq: int, stages: list[Stage]
) -> tuple[Batch, int]:
    """Run the batch through ``engine`` and compute all it will reveal, from the state its
    commit will make durable; its events are numbered after ``after_seq``. Also returns how
    many price ticks it took (the service counts those queued)."""
    events: list[Event] = []
    quotes: list[tuple[str, Quote]] = []
    replies: list[tuple[Submit, Outcome]] = []
    late: list[Submit] = []
    ticks = 0
    for item in items:
        if isinstance(item, PriceTick):
            ticks += 1
            events.extend(engine.on_tick(item))
            quote = engine.quotes.get(item.asset)
            if quote is not None and quote.ts == item.ts:
                quotes.append((item.asset, quote))
        elif isinstance(item, Submit):
            if item.expires is not None and item.expires.passed():
                late.append(item)  # its caller stopped waiting: refuse, never run
                continue
            outcome = engine.handle(item.command)
            events.extend(outcome.events)
            replies.append((item, outcome))
    rows = commit_rows(events, after_seq)
    published = Published(rows.numbered, tuple(quotes), tuple(rows.closed.values()), rows.closed)
    answers: list[tuple[asyncio.Future[Any], Any, Exception | None]] = [
        (item.future, None, EngineNotReady(TOO_LATE)) for item in late
    ]
    for item, outcome in replies:
        if item.view is None:
            answers.append((item.future, outcome, None))
            continue
        try:
            seen = item.view(engine, outcome) if outcome.ok else None
            answers.append((item.future, Reply(outcome, seen, published), None))
        except Exception as exc:  # a bug in a view must not kill the engine task
            answers.append((item.future, None, exc))
    for item in items:
        if isinstance(item, Read):
            try:
                answers.append((item.future, item.fn(engine), None))
            except Exception as exc:
                answers.append((item.future, None, exc))
    afters: list[Callable[[], None]] = []
    for stage in stages:
        try:
            after = stage(published)
        except Exception:
            log.exception("staged listener failed")
            continue
        if after is not None:
            afters.append(after)
    return Batch(items, published, rows, answers, afters), ticks
