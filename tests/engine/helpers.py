"""Small builders for engine tests: an engine with a funded user and a quote."""

from __future__ import annotations

from velox.engine.commands import Deposit, OpenAccount, OpenPosition, PriceTick
from velox.engine.engine import Engine, Outcome
from velox.engine.events import PositionOpened
from velox.engine.settings import EngineSettings
from velox.money import units

T0 = 1_700_000_000_000


def engine_with(user: str = "alice", balance: str | None = None, **settings: object) -> Engine:
    engine = Engine(EngineSettings(**settings))  # type: ignore[arg-type]
    engine.handle(OpenAccount(user, T0))
    if balance is not None:
        extra = units(balance) - engine.settings.initial_balance
        if extra > 0:
            engine.handle(Deposit(user, extra, T0))
    return engine


def tick(engine: Engine, asset: str, ref: str, ts: int = T0) -> list[object]:
    return list(engine.on_tick(PriceTick(asset, units(ref), ts)))


def open_ok(engine: Engine, **kwargs: object) -> PositionOpened:
    params: dict[str, object] = {"user_id": "alice", "ts": T0}
    params.update(kwargs)
    outcome: Outcome = engine.handle(OpenPosition(**params))  # type: ignore[arg-type]
    assert outcome.refusal is None, outcome.refusal
    (event,) = outcome.events
    assert isinstance(event, PositionOpened)
    return event
