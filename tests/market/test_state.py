"""Every status column moves only through ``market.core.state.transition``, which writes its audit
event in the same flush; any other change is refused when the session flushes."""
from __future__ import annotations

import pytest
from sqlalchemy import select

import market.models  # noqa: F401  (every table, so that every mapper is known)
from market.core.audit import AuditEvent
from market.core.db import Base, db
from market.core.enums import EnumText
from market.core.state import Stateful, UnrecordedTransition, stateful_models, transition

STATUS_NAMES = {"status", "phase", "verification_state"}


def _status_columns() -> list[tuple[type, str]]:
    found = []
    for mapper in Base.registry.mappers:
        for column in mapper.columns:
            if column.key in STATUS_NAMES and isinstance(column.type, EnumText):
                found.append((mapper.class_, column.key))
    return sorted(found, key=lambda pair: pair[0].__name__)


def test_every_status_column_belongs_to_a_stateful_model():
    columns = _status_columns()
    assert len(columns) >= 18
    for model, column in columns:
        assert issubclass(model, Stateful), f"{model.__name__}.{column} can change without its record"
        assert model.__state_column__ == column
        enum = next(c.type.enum for c in model.__table__.columns if c.key == column)
        assert set(model.__transitions__) == set(enum), f"{model.__name__}: every state needs its row in the table"
    assert {m for m, _ in columns} == set(stateful_models(Base))


def _another_state(model: type, current) -> object:
    return next(state for state in model.__transitions__ if state != current)


def test_changing_any_status_without_transition_is_caught(demo):
    untested = []
    for model, column in _status_columns():
        row = db.session.scalar(select(model).limit(1))
        if row is None:
            untested.append(model.__name__)
            continue
        setattr(row, column, _another_state(model, getattr(row, column)))
        with pytest.raises(UnrecordedTransition):
            db.session.flush()
        db.session.rollback()
    assert untested == [], f"the demo has no {untested}: the check above did not run for them"


def test_a_transition_writes_its_event_in_the_same_flush(demo):
    from market.projects.models import Project, ProjectStatus

    project = db.session.scalar(select(Project).where(Project.status == ProjectStatus.OPEN).limit(1))
    before = db.session.scalar(select(AuditEvent.seq).order_by(AuditEvent.seq.desc()).limit(1))
    transition(project, ProjectStatus.EVALUATING, actor=None, action="project.bids_opened")
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.seq == before + 1))
    assert event.action == "project.bids_opened" and event.object_id == str(project.id)
    assert event.before == {"status": "open"} and event.after == {"status": "evaluating"}
    db.session.rollback()
