"""The audit trail is a hash chain: edits, deletions and reordering are detected."""
from __future__ import annotations

from sqlalchemy import select, text

from market.audit.models import AuditEvent
from market.audit.services import GENESIS_HASH, record, verify_chain
from market.db import db


def _three_events():
    for n in range(3):
        record(None, "test.event", object_type="thing", object_id=n, before={"n": n}, after={"n": n + 1})
    db.session.commit()


def test_events_are_chained_from_genesis(app):
    _three_events()
    events = db.session.scalars(select(AuditEvent).order_by(AuditEvent.id)).all()
    assert events[0].prev_hash == GENESIS_HASH
    assert [e.prev_hash for e in events[1:]] == [e.hash for e in events[:-1]]
    assert verify_chain().ok and verify_chain().checked == 3


def test_edited_row_breaks_the_chain(app):
    _three_events()
    second = db.session.scalars(select(AuditEvent).order_by(AuditEvent.id)).all()[1]
    db.session.execute(text("UPDATE audit_events SET action = 'forged' WHERE id = :id"), {"id": second.id})
    db.session.commit()
    db.session.expire_all()
    report = verify_chain()
    assert not report.ok
    assert report.first_bad_id == second.id
    assert "edited" in report.problem


def test_deleted_row_breaks_the_chain(app):
    _three_events()
    ids = db.session.scalars(select(AuditEvent.id).order_by(AuditEvent.id)).all()
    db.session.execute(text("DELETE FROM audit_events WHERE id = :id"), {"id": ids[1]})
    db.session.commit()
    report = verify_chain()
    assert not report.ok and report.first_bad_id == ids[2]


def test_cli_verify_reports_ok_and_broken(app):
    _three_events()
    runner = app.test_cli_runner()
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 0 and "ok: 3 events" in result.output
    db.session.execute(text("UPDATE audit_events SET after = NULL WHERE id = (SELECT MIN(id) FROM audit_events)"))
    db.session.commit()
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 1
    assert "BROKEN" in result.output


def test_audit_page_is_for_officials_only(browser, make_user):
    from market.accounts.models import Role

    resident = make_user(Role.RESIDENT)
    browser.login(resident)
    assert browser.get("/audit/").status_code == 403
    browser.logout()
    browser.login(make_user(Role.OFFICIAL))
    page = browser.get("/audit/?verify=1")
    assert page.status_code == 200
    assert "The chain is intact" in page.get_data(as_text=True)
