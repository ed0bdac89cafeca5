"""Notifications: the in-app list with an unread count, and the outbox an e-mail sender drains."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from market.accounts.models import Role
from market.core.db import db
from market.notifications.models import Notification, OutboxMessage
from market.notifications.services import notify, render


def test_notify_creates_one_row_and_one_outbox_message_per_active_user(make_user):
    active, disabled = make_user(Role.RESIDENT), make_user(Role.RESIDENT, is_disabled=True)
    created = notify([active, active, disabled], "micro.results_final", {"round": "岗厦", "round_en": "Gangxia"},
                     "/micro/rounds/1/results")
    db.session.commit()
    assert [n.user_id for n in created] == [active.id]
    assert db.session.scalar(select(OutboxMessage.recipient)) == active.email
    assert render("micro.results_final", created[0].params, "en") == "The results of “Gangxia” are final."
    assert "岗厦" in render("micro.results_final", created[0].params, "zh")
    with pytest.raises(ValueError):
        notify([active], "no.such.kind", {})


def test_list_unread_count_and_open(browser, make_user):
    user = make_user(Role.RESIDENT)
    notify([user], "micro.project_update", {"project": "长者饭堂", "project_en": "Canteen"}, "/micro/projects/5")
    notify([user], "micro.rating_open", {"project": "长者饭堂", "closes_at": "2027-01-31T16:00:00+00:00"}, "/micro")
    db.session.commit()
    browser.login(user)
    page = browser.get("/notifications/").get_data(as_text=True)
    assert "New progress update on “Canteen”." in page and "unread-count" in page
    first = db.session.scalar(select(Notification).order_by(Notification.id))
    response = browser.post(f"/notifications/{first.id}/open")
    assert response.status_code == 302 and response.headers["Location"].endswith("/micro/projects/5")
    assert browser.post("/notifications/read").status_code == 302
    assert db.session.scalar(select(func.count(Notification.id)).where(Notification.read_at.is_(None))) == 0
    assert "unread-count" not in browser.get("/notifications/").get_data(as_text=True)


def test_cannot_open_someone_elses_notification(browser, make_user):
    owner = make_user(Role.RESIDENT)
    note = notify([owner], "micro.results_final", {"round": "x"}, "/micro")[0]
    db.session.commit()
    browser.login(make_user(Role.RESIDENT))
    assert browser.post(f"/notifications/{note.id}/open").status_code == 404
    assert browser.get("/notifications/").status_code == 200
    assert browser.get("/notifications/?page=0").status_code == 400


def test_drain_cli_prints_and_marks_sent(app, make_user):
    user = make_user(Role.RESIDENT)
    notify([user], "micro.voting_opened", {"round": "岗厦社区", "round_en": "Gangxia",
                                           "closes_at": "2027-03-31T10:00:00+00:00"}, "/micro/rounds/1/ballot")
    db.session.commit()
    runner = app.test_cli_runner()
    result = runner.invoke(args=["notifications", "drain"])
    assert result.exit_code == 0, result.output
    assert user.email in result.output and "/micro/rounds/1/ballot" in result.output
    assert "Voting is open for “Gangxia” until" in result.output
    db.session.expire_all()
    assert db.session.scalar(select(func.count(OutboxMessage.id)).where(OutboxMessage.sent_at.is_(None))) == 0
    again = runner.invoke(args=["notifications", "drain"])
    assert user.email not in again.output
