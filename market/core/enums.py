"""Enums whose members carry their own translated label, and the column type that stores them.

>>> from enum import unique
>>> @unique
... class Colour(LabelledEnum):
...     RED = "red", "Red"
...     BLUE = "blue"
>>> Colour.RED.label, Colour.BLUE.label, Colour("red") is Colour.RED, Colour.RED == "red"
('Red', 'blue', True, True)
"""
from __future__ import annotations

from enum import StrEnum
from typing import Any

from sqlalchemy import String
from sqlalchemy.types import TypeDecorator


class LabelledEnum(StrEnum):
    """A string enum; ``Member = "value", lazy_gettext("Label")`` gives the member its label."""

    _label: Any

    def __new__(cls, value: str, label: Any = None) -> LabelledEnum:
        member = str.__new__(cls, value)
        member._value_ = value
        member._label = label
        return member

    @property
    def label(self) -> str:
        """The label in the current language (the value when none was given)."""
        return str(self._label) if self._label is not None else self.value

    @property
    def lazy_label(self) -> Any:
        """The label as given (a lazy translation), for choices built before any request."""
        return self._label if self._label is not None else self.value


def label_of(value: Any) -> str:
    """The label of an enum member, or the value itself as text."""
    if value is None:
        return ""
    label = getattr(value, "label", None)
    return label if isinstance(label, str) else str(value)


class EnumText(TypeDecorator):
    """A :class:`LabelledEnum` stored as its value in a VARCHAR; read back as the member.

    Values the enum does not know (written by an older release) come back as plain strings.
    """

    impl = String
    cache_ok = True

    def __init__(self, enum: type[StrEnum], length: int = 20) -> None:
        super().__init__(length)
        self.enum = enum

    def process_bind_param(self, value: Any, dialect: Any) -> str | None:
        if value is None:
            return None
        return str(self.enum(value).value)

    def process_result_value(self, value: Any, dialect: Any) -> Any:
        if value is None:
            return None
        try:
            return self.enum(value)
        except ValueError:
            return value
