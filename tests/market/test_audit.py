"""The audit trail is a hash chain: edits, deletions and reordering are detected."""
from __future__ import annotations

from sqlalchemy import select, text

from market.core.audit import GENESIS_HASH, AuditEvent, record, verify_chain
from market.core.db import db


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


# ---------------------------------------------------------------- keyed chain and checkpoints

def _recompute_from(seq: int, digest) -> None:
    """What someone with write access to the database does to hide an edit: recompute every later hash."""
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.seq >= seq).order_by(AuditEvent.seq)).all()
    previous = db.session.scalar(select(AuditEvent.hash).where(AuditEvent.seq == seq - 1))
    for event in events:
        event.prev_hash = previous or GENESIS_HASH
        db.session.execute(text("UPDATE audit_events SET prev_hash = :p WHERE id = :id"),
                           {"p": event.prev_hash, "id": event.id})
        new_hash = digest(event)
        db.session.execute(text("UPDATE audit_events SET hash = :h WHERE id = :id"), {"h": new_hash, "id": event.id})
        previous = new_hash
    db.session.commit()
    db.session.expire_all()


def test_a_truncated_tail_is_reported_against_the_checkpoint(app):
    """Attack: deleting the last events used to leave a chain that verified "ok"."""
    _three_events()
    db.session.execute(text("DELETE FROM audit_events WHERE seq = 3"))
    db.session.commit()
    report = verify_chain()
    assert not report.ok and report.problem == "truncated"
    assert "ends at event 2" in report.message and "recorded 3 events" in report.message


def test_a_chain_rewritten_with_a_plain_digest_is_caught(app):
    """Attack: edit an event and recompute every later hash with the old public digest (SHA-256)."""
    import hashlib

    from market.core.audit import _canonical

    _three_events()
    db.session.execute(text("UPDATE audit_events SET action = 'test.forged', key_id = 'legacy' WHERE seq >= 2"))
    db.session.commit()
    db.session.expire_all()
    _recompute_from(2, lambda e: hashlib.sha256(_canonical(e, keyed=False)).hexdigest())
    report = verify_chain()
    assert not report.ok and report.first_bad_seq == 2
    assert report.problem in ("legacy_after_keyed", "edited")


def test_a_chain_rewritten_with_the_key_is_caught_by_the_checkpoint(app):
    """An insider who also holds the signing key recomputes valid signatures: the checkpoint kept
    outside the database still tells."""
    from market.core.audit import event_digest

    _three_events()
    db.session.execute(text("UPDATE audit_events SET action = 'test.forged' WHERE seq = 2"))
    db.session.commit()
    db.session.expire_all()
    _recompute_from(2, event_digest)
    report = verify_chain()
    assert not report.ok and report.problem == "rewritten" and report.first_bad_seq == 3


def test_an_edited_event_fails_its_signature(app):
    _three_events()
    db.session.execute(text("UPDATE audit_events SET after = NULL WHERE seq = 2"))
    db.session.commit()
    report = verify_chain()
    assert not report.ok and report.problem == "edited" and report.first_bad_seq == 2


def test_rotated_keys_keep_old_events_verifiable(app, tmp_path):
    from market import create_app
    from market.config import TestConfig

    _three_events()
    old_key = app.config["AUDIT_KEYS"]
    rotated = TestConfig(app.config["SQLALCHEMY_DATABASE_URI"], instance_path=str(tmp_path))
    rotated.AUDIT_KEYS = old_key + ",k2:" + "fedcba9876543210" * 4
    second = create_app(rotated)
    second.extensions["audit"].checkpoints = app.extensions["audit"].checkpoints
    with second.app_context():
        record(None, "test.after_rotation", object_type="thing", object_id=9)
        db.session.commit()
        assert db.session.scalar(select(AuditEvent.key_id).where(AuditEvent.seq == 4)) == "k2"
        assert verify_chain().ok
        db.session.remove()
        db.engine.dispose()
    forgetful = TestConfig(app.config["SQLALCHEMY_DATABASE_URI"], instance_path=str(tmp_path))
    forgetful.AUDIT_KEYS = "k2:" + "fedcba9876543210" * 4
    third = create_app(forgetful)
    with third.app_context():
        report = verify_chain(against_checkpoint=False)
        assert not report.ok and report.problem == "unknown_key"
        db.session.remove()
        db.engine.dispose()


def test_published_checkpoints_chain_and_say_when_broken(app, client):
    _three_events()
    record(None, "test.event", object_type="thing", object_id=4)
    db.session.commit()
    body = client.get("/api/v1/audit/checkpoints.json").get_json()
    assert body["log_intact"] is True and body["first_broken_index"] is None and body["latest"]["seq"] == 4
    assert {"index", "seq", "head", "at", "prev", "digest"} <= set(body["latest"])
    assert body["checkpoints"][-1] == body["latest"] and body["count"] == len(body["checkpoints"])


def test_a_saved_checkpoint_stays_published_at_its_place(app, client):
    """Attack: only the latest checkpoint and the last one of each day were published, so the checkpoint a
    citizen saved in the morning was gone from the list by the afternoon and could not be checked. Every
    checkpoint is published, oldest first, so a saved one is found again at its index."""
    import hashlib
    import json

    for n in range(3):
        record(None, "test.event", object_type="thing", object_id=n)
        db.session.commit()
    saved = client.get("/api/v1/audit/checkpoints.json").get_json()["latest"]
    for n in range(4):
        record(None, "test.event", object_type="thing", object_id=10 + n)
        db.session.commit()
    first = client.get("/api/v1/audit/checkpoints.json?per_page=2").get_json()
    assert first["count"] >= saved["index"] + 5 and len(first["checkpoints"]) == 2 and "next" in first["links"]
    page = client.get(f"/api/v1/audit/checkpoints.json?per_page=2&page={saved['index'] // 2 + 1}").get_json()
    assert saved in page["checkpoints"]
    unsigned = {k: v for k, v in saved.items() if k not in ("index", "digest")}
    assert hashlib.sha256(json.dumps(unsigned, sort_keys=True, separators=(",", ":")).encode()).hexdigest() \
        == saved["digest"]
    newest = first["latest"]
    assert newest["seq"] > saved["seq"] and newest["index"] == first["count"] - 1
    everything = client.get("/api/v1/audit/checkpoints.json?per_page=100").get_json()["checkpoints"]
    chain = {c["digest"]: c for c in everything}
    walk = newest
    while walk["digest"] != saved["digest"]:  # following prev back from the newest reaches the saved one
        walk = chain[walk["prev"]]
    bad = client.get("/api/v1/audit/checkpoints.json?page=0")
    assert bad.status_code == 400 and bad.is_json


def test_checkpoint_log_tampering_is_visible(tmp_path):
    from datetime import UTC, datetime

    from market.core.checkpoints import FileCheckpointLog, verify_log

    log = FileCheckpointLog(tmp_path / "checkpoints.jsonl")
    for seq in (1, 2, 3):
        log.append(seq=seq, head=f"{seq:064x}", at=datetime(2026, 12, 1, tzinfo=UTC))
    log.append(seq=2, head="0" * 64, at=datetime(2026, 12, 1, tzinfo=UTC))  # an older head never goes in
    entries = list(log.all())
    assert [c.seq for c in entries] == [1, 2, 3] and verify_log(entries) is None
    lines = (tmp_path / "checkpoints.jsonl").read_text().splitlines()
    (tmp_path / "checkpoints.jsonl").write_text("\n".join([lines[0], lines[2]]) + "\n")  # one removed
    assert verify_log(list(log.all())) == 1


def test_cli_reports_truncation_in_words(app):
    _three_events()
    db.session.execute(text("DELETE FROM audit_events WHERE seq = 3"))
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["audit", "verify"])
    assert result.exit_code == 1
    assert "the last 1 event(s) were deleted" in result.output


def test_checkpoints_in_redis_are_shared_and_chained():
    """Several machines append to one log in Redis; an older head never goes in after a newer one."""
    import uuid
    from datetime import UTC, datetime

    import pytest
    import redis

    from market.core.checkpoints import RedisCheckpointLog, verify_log

    log = RedisCheckpointLog("redis://127.0.0.1:6379/0", key=f"test:checkpoints:{uuid.uuid4().hex}")
    try:
        log.client.ping()
    except redis.RedisError:
        pytest.skip("Redis is not reachable on 127.0.0.1:6379")
    try:
        other_machine = RedisCheckpointLog("redis://127.0.0.1:6379/0", key=log.key)
        log.append(seq=1, head="a" * 64, at=datetime(2026, 12, 1, tzinfo=UTC))
        other_machine.append(seq=3, head="c" * 64, at=datetime(2026, 12, 1, tzinfo=UTC))
        log.append(seq=2, head="b" * 64, at=datetime(2026, 12, 1, tzinfo=UTC))  # slower: refused
        entries = list(other_machine.all())
        assert [c.seq for c in entries] == [1, 3] and log.latest().head == "c" * 64
        assert verify_log(entries) is None
    finally:
        log.client.delete(log.key)
