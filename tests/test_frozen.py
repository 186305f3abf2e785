"""``@frozen`` builds exactly what ``@dataclass(frozen=True, slots=True)`` builds: the same
signature, defaults, errors, equality, hashing, copies and refusal to change; only the
``__init__`` differs (it sets slots directly, for speed: see velox/frozen.py)."""

from __future__ import annotations

import dataclasses
import inspect
import pickle
from typing import Any

import pytest

from velox.engine.commands import OpenPosition
from velox.engine.events import PositionOpened
from velox.frozen import frozen


@frozen
class Order:
    order_id: str
    qty: int
    price: int | None = None
    tags: tuple[str, ...] = ()


@dataclasses.dataclass(frozen=True, slots=True)
class OrderTwin:  # the standard library's own build of the same class
    order_id: str
    qty: int
    price: int | None = None
    tags: tuple[str, ...] = ()


@frozen
class KeywordOnly:
    order_id: str
    _: dataclasses.KW_ONLY
    qty: int
    note: str = ""


@frozen
class WithFactory:
    order_id: str
    fills: list[int] = dataclasses.field(default_factory=list)


@frozen
class WithPostInit:
    qty: int

    def __post_init__(self) -> None:
        if self.qty < 0:
            raise ValueError("negative")


def _params(cls: type[Any]) -> list[tuple[str, Any, Any]]:
    sig = inspect.signature(cls.__init__)
    return [(p.name, p.kind, p.default) for p in sig.parameters.values()]


def test_the_init_takes_what_the_dataclass_init_takes() -> None:
    assert _params(Order) == _params(OrderTwin)
    assert Order("7", 2) == Order(order_id="7", qty=2, price=None, tags=())
    assert (Order("7", 2, 5, ("a",)).price, Order("7", 2, 5, ("a",)).tags) == (5, ("a",))
    with pytest.raises(TypeError, match="missing 1 required positional argument: 'qty'"):
        Order("7")  # type: ignore[call-arg]
    with pytest.raises(TypeError, match="unexpected keyword argument 'qtty'"):
        Order("7", qtty=2)  # type: ignore[call-arg]
    with pytest.raises(TypeError, match="takes from 3 to 5 positional arguments"):
        Order("7", 2, 5, (), 9)  # type: ignore[call-arg]


def test_keyword_only_fields_stay_keyword_only() -> None:
    assert KeywordOnly("7", qty=3).qty == 3
    with pytest.raises(TypeError):
        KeywordOnly("7", 3)  # type: ignore[misc]


def test_an_instance_cannot_change() -> None:
    order = Order("7", 2)
    with pytest.raises(dataclasses.FrozenInstanceError):
        order.qty = 3  # type: ignore[misc]
    with pytest.raises((AttributeError, TypeError)):
        order.extra = 1  # type: ignore[attr-defined]
    assert order.qty == 2


def test_equality_hash_replace_and_pickle_work_as_for_a_dataclass() -> None:
    order = Order("7", 2, 5)
    assert order == Order("7", 2, 5) and order != Order("7", 2, 6)
    assert hash(order) == hash(Order("7", 2, 5))
    assert dataclasses.replace(order, qty=9) == Order("7", 9, 5)
    assert pickle.loads(pickle.dumps(order)) == order
    assert dataclasses.astuple(order) == dataclasses.astuple(OrderTwin("7", 2, 5))
    assert repr(order) == "Order(order_id='7', qty=2, price=5, tags=())"


def test_factories_and_post_init_keep_the_dataclass_init() -> None:
    first, second = WithFactory("1"), WithFactory("2")
    assert first.fills == [] and first.fills is not second.fills
    with pytest.raises(ValueError, match="negative"):
        WithPostInit(-1)
    assert WithPostInit(3).qty == 3


@pytest.mark.parametrize("cls", [OpenPosition, PositionOpened])
def test_the_engines_commands_and_events_build_every_field(cls: type[Any]) -> None:
    """Each field lands in its own slot: a field set to the wrong slot or skipped would show."""
    values = {f.name: f"value of {f.name}" for f in dataclasses.fields(cls)}
    built = cls(**values)
    assert {name: getattr(built, name) for name in values} == values
    positional = cls(*values.values())
    assert positional == built
