"""Checks shared by the input types: each raises ``ValueError`` naming ``Owner.field``.

The ``check_*`` helpers read a field of a frozen dataclass being built, validate it and store
the normalised value back (an ``int`` for integers, a ``float`` for reals, a ``frozenset`` for
id collections).

>>> check_id("ProjectSpec", "id", "")
Traceback (most recent call last):
...
ValueError: ProjectSpec.id: must be an int or a non-empty str id, got ''
"""

from __future__ import annotations

import math
import numbers
from typing import Any, NoReturn

from .common import INT_MAX

__all__ = ["fail", "set_field", "check_id", "check_int", "check_real", "check_str", "check_bool",
           "check_choice", "check_id_set"]


def fail(owner: str, name: str, message: str) -> NoReturn:
    raise ValueError(f"{owner}.{name}: {message}")


def set_field(obj: Any, name: str, value: Any) -> None:
    object.__setattr__(obj, name, value)


def check_id(owner: str, name: str, value: Any, *, optional: bool = False) -> None:
    if value is None and optional:
        return
    if isinstance(value, bool) or not isinstance(value, (int, str)) or value == "":
        fail(owner, name, f"must be an int or a non-empty str id, got {value!r}")


def check_int(owner: str, obj: Any, name: str, *, low: int = 0, optional: bool = False,
              unit: str = "") -> None:
    value = getattr(obj, name)
    if value is None and optional:
        return
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or int(value) < low:
        suffix = f" ({unit})" if unit else ""
        fail(owner, name, f"must be an int >= {low}{suffix}, got {value!r}")
    number = int(value)
    if number > INT_MAX:
        limit = f"{INT_MAX} {unit}" if unit else f"{INT_MAX}"
        fail(owner, name, f"must be below 2**63 (at most {limit}), got {value!r}")
    set_field(obj, name, number)


def check_real(owner: str, obj: Any, name: str, *, low: float = 0.0,
               high: float = math.inf, optional: bool = False, low_open: bool = False) -> None:
    value = getattr(obj, name)
    if value is None and optional:
        return
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value):
        fail(owner, name, f"must be a finite number, got {value!r}")
    number = float(value)
    if number < low or number > high or (low_open and number == low):
        bracket = "(" if low_open else "["
        fail(owner, name, f"must be in {bracket}{low}, {high}], got {value!r}")
    set_field(obj, name, float(value))


def check_str(owner: str, obj: Any, name: str, *, nonempty: bool = False) -> None:
    value = getattr(obj, name)
    if not isinstance(value, str) or (nonempty and not value.strip()):
        fail(owner, name, f"must be a{' non-empty' if nonempty else ''} str, got {value!r}")


def check_bool(owner: str, obj: Any, name: str) -> None:
    if not isinstance(getattr(obj, name), bool):
        fail(owner, name, f"must be a bool, got {getattr(obj, name)!r}")


def check_choice(owner: str, obj: Any, name: str, choices: tuple[str, ...]) -> None:
    if getattr(obj, name) not in choices:
        fail(owner, name, f"must be one of {choices}, got {getattr(obj, name)!r}")


def check_id_set(owner: str, obj: Any, name: str) -> None:
    value = getattr(obj, name)
    if isinstance(value, (str, int)):
        fail(owner, name, f"must be a collection of ids, got {value!r}")
    items = frozenset(value)
    for item in items:
        check_id(owner, name, item)
    set_field(obj, name, items)



def check_code_set(owner: str, obj: Any, name: str, choices: tuple[str, ...] | None = None, *,
                   nonempty: bool = False) -> None:
    """A collection of non-empty str codes (from ``choices`` if given), stored as a frozenset."""
    value = getattr(obj, name)
    if isinstance(value, str):
        fail(owner, name, f"must be a collection of codes, not a str ({value!r})")
    items = frozenset(value)
    for item in items:
        if not isinstance(item, str) or not item:
            fail(owner, name, f"codes must be non-empty str, got {item!r}")
        if choices is not None and item not in choices:
            fail(owner, name, f"must be among {choices}, got {item!r}")
    if nonempty and not items:
        fail(owner, name, "must not be empty")
    set_field(obj, name, items)
