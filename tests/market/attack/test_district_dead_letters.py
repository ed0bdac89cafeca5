"""Undelivered messages name their recipients and say what they were told: a district's officials handle
their own district's, not another district's (messages to no district's person stay with every district)."""
from __future__ import annotations

from sqlalchemy import select

from market.accounts.models import Role
from market.core.db import db, utcnow
from market.notifications.models import OutboxMessage
from market.notifications.services import notify

PAGE = "/notifications/undelivered"


def _dead(user):
    """A message to ``user`` given up on after every attempt."""
    notify([user], "micro.results_final", {"round": "桂园街道2026年微实事", "round_en": "Guiyuan 2026"}, "/micro")
    db.session.flush()
    row = db.session.scalar(select(OutboxMessage).where(OutboxMessage.recipient == user.email))
    row.dead_at, row.attempts, row.last_error = utcnow(), 5, "ConnectionRefusedError"
    db.session.commit()
    return row


def test_another_districts_official_neither_sees_nor_handles_a_districts_undelivered_messages(city, make_user,
                                                                                              make_browser):
    futian_resident = make_user(Role.RESIDENT, email="futian.resident@example.org")
    luohu_resident = make_user(Role.RESIDENT, community=city.b_community, email="luohu.resident@example.org")
    futian, luohu = _dead(futian_resident), _dead(luohu_resident)
    intruder = make_browser()
    intruder.login(city.b_official)
    html = intruder.get(PAGE).get_data(as_text=True)
    assert "luohu.resident@example.org" in html and "futian.resident@example.org" not in html
    for action in ("retry", "discard"):
        assert intruder.post(f"{PAGE}/{futian.id}/{action}").status_code in (403, 404)
    db.session.expire_all()
    assert db.session.get(OutboxMessage, futian.id).is_dead
    own = make_browser()
    own.login(city.a_official)
    html = own.get(PAGE).get_data(as_text=True)
    assert "futian.resident@example.org" in html and "luohu.resident@example.org" not in html
    assert own.post(f"{PAGE}/{futian.id}/discard").status_code == 302
    admin = make_browser()
    admin.login(city.admin)
    assert "luohu.resident@example.org" in admin.get(PAGE).get_data(as_text=True)
    assert luohu.is_dead
