"""One way to change a status: :func:`transition`.

A model with a status column mixes in :class:`Stateful` and declares its transition table.
:func:`transition` checks the table, sets the new value and appends the audit event in the same
flush. Any other change of a status column is refused when the session flushes
(:class:`UnrecordedTransition`), so a status can never move without its record.
"""
from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Any, ClassVar

from sqlalchemy import event, inspect
from sqlalchemy.orm import Session

from market.core.audit import record
from market.core.errors import IllegalTransition

_TOKENS = "state_transitions"  # session.info key: (id(obj), new value) of transitions made through transition()


class UnrecordedTransition(RuntimeError):
    """A status column changed without :func:`transition` (so without its audit event)."""


class Stateful:
    """A model whose ``__state_column__`` only moves along ``__transitions__``."""

    __state_column__: ClassVar[str] = "status"
    __transitions__: ClassVar[Mapping[Any, frozenset[Any]]]
    __state_noun__: ClassVar[str] = "record"

    @property
    def state(self) -> Any:
        return getattr(self, self.__state_column__)

    def can_transition(self, target: StrEnum) -> bool:
        """Whether the table allows moving from the current state to ``target``."""
        current = type(target)(self.state)
        return target in self.__transitions__[current]


def stateful_models(base: type) -> list[type]:
    """Every mapped class under ``base`` that mixes in :class:`Stateful`."""
    return [mapper.class_ for mapper in base.registry.mappers if issubclass(mapper.class_, Stateful)]


def transition(obj: Stateful, target: StrEnum, *, actor: Any, action: str | None = None,
               before: Mapping[str, Any] | None = None, after: Mapping[str, Any] | None = None,
               object_type: str | None = None, object_id: Any = None) -> Any:
    """Move ``obj`` to ``target`` and record it; returns the previous state.

    ``action`` names the audit event (default ``<noun>.<target>``); ``before``/``after`` add
    details to it. ``object_type``/``object_id`` record it under another name (a sealed bid is
    recorded under its seal, so the trail does not say who bid). Raises
    :class:`IllegalTransition` for an edge the table does not have.
    """
    column = obj.__state_column__
    previous = type(target)(getattr(obj, column))
    if target not in obj.__transitions__[previous]:
        raise IllegalTransition(f"A {obj.__state_noun__} cannot go from {previous.value} to {target.value}.")
    setattr(obj, column, target)
    session = inspect(obj).session
    if session is not None:
        session.info.setdefault(_TOKENS, set()).add((id(obj), target.value))
    if object_type is not None:
        inspect(obj).session.flush()
    record(actor, action or f"{obj.__state_noun__}.{target.value}", None if object_type else obj,
           object_type=object_type, object_id=object_id,
           before={column: previous, **(before or {})}, after={column: target, **(after or {})})
    return previous


@event.listens_for(Session, "before_flush")
def _refuse_unrecorded_transitions(session: Session, _context: Any, _instances: Any) -> None:
    tokens = session.info.get(_TOKENS, set())
    for obj in session.dirty:
        if not isinstance(obj, Stateful):
            continue
        history = inspect(obj).attrs[obj.__state_column__].history
        if not history.added:
            continue
        new_value = getattr(history.added[0], "value", history.added[0])
        old = history.deleted[0] if history.deleted else None
        old_value = getattr(old, "value", old)
        if new_value == old_value:
            continue
        if (id(obj), new_value) not in tokens:
            raise UnrecordedTransition(
                f"{type(obj).__name__} {getattr(obj, 'id', '?')}: {obj.__state_column__} changed from "
                f"{old_value} to {new_value} without market.core.state.transition")


@event.listens_for(Session, "after_flush_postexec")
def _forget_flushed_transitions(session: Session, _context: Any) -> None:
    session.info.pop(_TOKENS, None)
