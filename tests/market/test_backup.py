"""A backup restores the data as it was, and the restored audit chain still verifies."""
from __future__ import annotations

from sqlalchemy import func, select

from market.accounts.models import Role
from market.core.audit import AuditEvent, record
from market.core.db import db
from market.projects.models import Project


def test_backup_then_restore_brings_back_the_data_and_a_valid_chain(app, tmp_path, make_project, make_user):
    official = make_user(Role.OFFICIAL)
    kept = make_project(owner=official, title="备份前的项目")
    record(official, "project.created", kept, after={"title": kept.title})
    db.session.commit()
    runner = app.test_cli_runner()
    target = tmp_path / "market.backup"
    created = runner.invoke(args=["backup", "create", str(target)])
    assert created.exit_code == 0, created.output
    assert target.stat().st_size > 0

    make_project(owner=official, title="备份后的项目")
    record(official, "project.created", object_type="projects", object_id=999, after={"title": "later"})
    db.session.commit()
    assert db.session.scalar(select(func.count(Project.id))) == 2
    db.session.remove()

    restored = runner.invoke(args=["backup", "restore", "--yes", str(target)])
    assert restored.exit_code == 0, restored.output
    assert "audit chain ok: 1 events" in restored.output
    titles = db.session.scalars(select(Project.title)).all()
    assert titles == ["备份前的项目"]
    assert db.session.scalar(select(func.count(AuditEvent.id))) == 1


def test_restore_refuses_a_missing_file(app, tmp_path):
    result = app.test_cli_runner().invoke(args=["backup", "restore", "--yes", str(tmp_path / "nope.backup")])
    assert result.exit_code != 0
