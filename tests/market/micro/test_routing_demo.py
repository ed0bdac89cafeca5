"""The demo shows routing at work: departments for some categories, acknowledged items, one escalated."""
from __future__ import annotations

from sqlalchemy import func, select

from market.accounts.models import User
from market.core.audit import AuditEvent
from market.core.db import db
from market.micro.models import CategoryRoute, RoutedItem
from market.micro.services import routing


def test_the_demo_routes_acknowledges_and_escalates(demo):
    from market.demo.data import REFERENCE_TIME

    assert db.session.scalar(select(func.count(CategoryRoute.id))) >= 5
    assert db.session.scalar(select(func.count(RoutedItem.id)).where(RoutedItem.to_department.is_(True))) >= 1
    never_acknowledged = db.session.scalars(select(RoutedItem).where(RoutedItem.ack_escalated_at.is_not(None))).all()
    assert len(never_acknowledged) == 1
    assert db.session.scalar(select(func.count(AuditEvent.id)).where(AuditEvent.action == "micro.item_escalated")) >= 1
    district = db.session.scalar(select(User).where(User.email == "official@demo.futian.example"))
    queue = routing.queue_for(district, now=REFERENCE_TIME)
    assert [e.item.id for e in queue if e.ack_overdue] == [never_acknowledged[0].id]
    escalated_first = [e.item.escalated for e in queue]
    assert escalated_first == sorted(escalated_first, reverse=True)
