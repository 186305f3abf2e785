"""``@frozen``: an immutable value class (a frozen, slotted dataclass) that is cheap to build.

Why: a frozen dataclass's generated ``__init__`` stores each field through
``object.__setattr__`` (its own ``__setattr__`` refuses), about 0.2 us a field. An event of 24
fields took 5.7 us to build, and a durable open builds a dozen such objects (command, event,
fill, rows): under ``bench/http.py`` they were 12 % of the event loop's time. With slots each
field is a member descriptor; calling its ``__set__`` writes the slot directly, at half the
cost, and the instance is exactly as frozen afterwards (assignment still raises).
"""

from __future__ import annotations

import dataclasses
import inspect
from collections.abc import Callable
from typing import Any, TypeVar, dataclass_transform

T = TypeVar("T")


@dataclass_transform(frozen_default=True, field_specifiers=(dataclasses.field,))
def frozen(cls: type[T]) -> type[T]:
    """``@dataclass(frozen=True, slots=True)``, with a faster ``__init__`` of the same signature."""
    built = dataclasses.dataclass(frozen=True, slots=True)(cls)
    init = _slot_init(built)
    if init is not None:
        built.__init__ = init  # type: ignore[method-assign]
    return built


def _slot_init(cls: type[Any]) -> Callable[..., None] | None:
    """The dataclass's ``__init__`` rewritten to set slots directly; None where it does more
    than store its arguments (``__post_init__``, default factories, fields left out of init)."""
    fields = dataclasses.fields(cls)
    if hasattr(cls, "__post_init__") or any(
        not f.init or f.default_factory is not dataclasses.MISSING for f in fields
    ):
        return None
    namespace: dict[str, Any] = {}
    params: list[str] = []
    body: list[str] = []
    keyword_only = False
    for name, param in list(inspect.signature(cls.__init__).parameters.items())[1:]:
        if param.kind is param.KEYWORD_ONLY and not keyword_only:
            params.append("*")
            keyword_only = True
        if param.default is inspect.Parameter.empty:
            params.append(name)
        else:
            namespace[f"_default_{name}"] = param.default
            params.append(f"{name}=_default_{name}")
        namespace[f"_set_{name}"] = getattr(cls, name).__set__
        body.append(f"    _set_{name}(self, {name})")
    source = f"def __init__(self, {', '.join(params)}) -> None:\n" + "\n".join(body or ["    pass"])
    exec(source, namespace)  # the source is made of field names only
    init: Callable[..., None] = namespace["__init__"]
    init.__qualname__ = f"{cls.__qualname__}.__init__"
    init.__doc__ = cls.__init__.__doc__
    return init
