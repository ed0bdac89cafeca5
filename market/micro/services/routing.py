"""Routing (自动分派): submitted proposals and raised flags go to the office that must answer them.

By default the street office of the item's street answers; a district department answers matters of
the categories its district maps to it (:class:`~market.micro.models.CategoryRoute`: each district keeps
its own map, changed by its own officials and by administrators).
Two working-day clocks run from routing, acknowledge and review; acknowledging and reviewing stop
them. A missed clock escalates the item to the district's officials (:func:`escalate_overdue`, run
by ``flask micro escalate`` and whenever a queue is shown; escalating twice changes nothing).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import or_, select

from market.accounts.models import Role, User
from market.core import policy
from market.core.audit import record
from market.core.calendar import add_working_days
from market.core.db import db, utcnow
from market.core.errors import Conflict, NotFound, ValidationFailed
from market.geo.models import Category, District
from market.geo.services import district_of_street, only_district_id
from market.micro.models import (
    DEFAULT_ACK_WORKING_DAYS,
    DEFAULT_REVIEW_WORKING_DAYS,
    CategoryRoute,
    Flag,
    Proposal,
    RoutedItem,
)
from market.notifications.services import notify
from market.orgs.models import Organization, OrgKind

# ------------------------------------------------------------------ offices

def street_office(street_id: int) -> Organization | None:
    """The street office (街道办) of a street: the government organisation based there, not district-wide."""
    return db.session.scalar(select(Organization).where(
        Organization.kind == OrgKind.GOVERNMENT, Organization.home_street_id == street_id,
        Organization.serves_whole_district.is_(False)).order_by(Organization.id).limit(1))


def is_department(office: Organization | None, district_id: int | None = None) -> bool:
    """Whether ``office`` is a district department (of ``district_id``): a verified government
    organisation serving the whole district. An unverified one answers nobody's matters."""
    return (office is not None and office.kind == OrgKind.GOVERNMENT and office.serves_whole_district
            and office.is_verified and (district_id is None or office.district_key == district_id))


def departments(district_id: int | None = None) -> list[Organization]:
    """District departments (of ``district_id``), see :func:`is_department`."""
    found = db.session.scalars(select(Organization).where(
        Organization.kind == OrgKind.GOVERNMENT, Organization.serves_whole_district.is_(True))
        .order_by(Organization.id))
    return [o for o in found if is_department(o, district_id)]


def office_for(street_id: int, category_id: int) -> tuple[Organization | None, bool]:
    """The office that answers a matter of ``category_id`` in ``street_id``, and whether it is a department
    (a department of the street's own district only: another district's never answers for this one)."""
    route = db.session.scalar(select(CategoryRoute).where(
        CategoryRoute.category_id == category_id, CategoryRoute.district_id == district_of_street(street_id)))
    if route is not None and is_department(route.office):  # a department no longer verified answers nothing
        return route.office, True
    return street_office(street_id), False


def office_label(item: RoutedItem, locale: str) -> str:
    """The office's public name (the street's name when it has no office on the platform)."""
    if item.office is not None:
        return item.office.tr("name", locale)
    return item.street.tr("name", locale)


def office_officials(item: RoutedItem) -> list[User]:
    """Who is told of a new item: the office's officials, or the street's when it has no office."""
    stmt = select(User).where(User.role == Role.OFFICIAL, User.is_disabled.is_(False))
    if item.office_id is not None and item.to_department:
        stmt = stmt.where(User.organization_id == item.office_id)
    elif item.office_id is not None:
        stmt = stmt.where(or_(User.organization_id == item.office_id, User.street_id == item.street_id))
    else:
        stmt = stmt.where(User.street_id == item.street_id)
    return list(db.session.scalars(stmt.order_by(User.id)))


def district_officials(district_id: int | None = None) -> list[User]:
    """The district-wide officials (of ``district_id`` when given)."""
    stmt = select(User).where(User.role == Role.OFFICIAL, User.street_id.is_(None), User.is_disabled.is_(False))
    if district_id is not None:
        stmt = stmt.where(User.district_id == district_id)
    return list(db.session.scalars(stmt.order_by(User.id)))


# ------------------------------------------------------------------ routing

def _snapshot(item: RoutedItem) -> dict[str, Any]:
    return {"office_id": item.office_id, "to_department": item.to_department, "street_id": item.street_id,
            "ack_due_at": item.ack_due_at, "review_due_at": item.review_due_at}


def _subject(item: RoutedItem) -> tuple[str, str, str]:
    """Title, English title and link of the routed proposal or flag's project."""
    if item.proposal is not None:
        return item.proposal.title, item.proposal.title_en, f"/micro/proposals/{item.proposal_id}"
    project = item.flag.project
    return project.title, project.title_en, f"/micro/projects/{project.id}#flag-{item.flag_id}"


def _notify_office(item: RoutedItem, now: datetime, *, told: int | None = None) -> None:
    """Tell the office's officials, except ``told`` (already told, as a flagged project's owner is)."""
    title, title_en, link = _subject(item)
    notify([u for u in office_officials(item) if u.id != told], "micro.item_routed",
           {"title": title, "title_en": title_en, "ack_due_at": item.ack_due_at.isoformat(),
            "review_due_at": item.review_due_at.isoformat()}, link, now=now)


def route_proposal(actor: User, proposal: Proposal, *, now: datetime | None = None) -> RoutedItem:
    """Route a (re)submitted proposal: a new item, or the same office's clocks restarted."""
    now = now or utcnow()
    street_id = proposal.round.street_id
    item = db.session.scalar(select(RoutedItem).where(RoutedItem.proposal_id == proposal.id))
    before = None
    if item is None:
        office, to_department = office_for(street_id, proposal.category_id)
        item = RoutedItem(proposal_id=proposal.id, street_id=street_id, office_id=office.id if office else None,
                          to_department=to_department)
        db.session.add(item)
    else:
        before = _snapshot(item)
    item.routed_at = now
    item.ack_due_at = add_working_days(now, DEFAULT_ACK_WORKING_DAYS)
    item.review_due_at = add_working_days(now, DEFAULT_REVIEW_WORKING_DAYS)
    item.acknowledged_at = item.acknowledged_by_id = item.reviewed_at = None
    item.ack_escalated_at = item.review_escalated_at = None
    db.session.flush()
    record(actor, "micro.item_routed", item, before=before, after={"proposal_id": proposal.id, **_snapshot(item)})
    _notify_office(item, now)
    return item


def route_flag(actor: User, flag: Flag, *, now: datetime | None = None) -> RoutedItem | None:
    """Route a raised flag; its review clock is the flag's own answer deadline (None for a project
    that stands in no street: its responsible official answers it alone)."""
    now = now or utcnow()
    project = flag.project
    if project.street_id is None:
        return None
    office, to_department = office_for(project.street_id, project.category_id)
    item = RoutedItem(flag_id=flag.id, street_id=project.street_id, office_id=office.id if office else None,
                      to_department=to_department, routed_at=now,
                      ack_due_at=min(add_working_days(now, DEFAULT_ACK_WORKING_DAYS), flag.due_at),
                      review_due_at=flag.due_at)
    db.session.add(item)
    db.session.flush()
    record(actor, "micro.item_routed", item, after={"flag_id": flag.id, **_snapshot(item)})
    _notify_office(item, now, told=project.owner_id)
    return item


def item_of(*, proposal: Proposal | None = None, flag: Flag | None = None) -> RoutedItem | None:
    if proposal is not None:
        return db.session.scalar(select(RoutedItem).where(RoutedItem.proposal_id == proposal.id))
    if flag is not None:
        return db.session.scalar(select(RoutedItem).where(RoutedItem.flag_id == flag.id))
    return None


def close_item(*, proposal: Proposal | None = None, flag: Flag | None = None, now: datetime | None = None) -> None:
    """The proposal was reviewed (or merged) or the flag answered: both clocks stop.

    The review or answer itself is audited by the operation that calls this."""
    item = item_of(proposal=proposal, flag=flag)
    if item is None or item.reviewed_at is not None:
        return
    now = now or utcnow()
    item.reviewed_at = now
    if item.acknowledged_at is None:
        item.acknowledged_at = now
    db.session.flush()


def acknowledge(actor: User, item: RoutedItem, *, now: datetime | None = None) -> RoutedItem:
    """The office confirms it has the matter in hand: the acknowledge clock stops."""
    policy.require(actor, "routing.handle", item)
    if item.acknowledged_at is not None or item.reviewed_at is not None:
        raise Conflict(_l("This matter was already acknowledged."))
    item.acknowledged_at = now or utcnow()
    item.acknowledged_by_id = actor.id
    db.session.flush()
    record(actor, "micro.item_acknowledged", item, after={"acknowledged_at": item.acknowledged_at,
                                                          "late": item.acknowledged_at >= item.ack_due_at})
    return item


def reroute(actor: User, item: RoutedItem, office_id: int | None, *, now: datetime | None = None) -> RoutedItem:
    """Send an open item to a district department or back to its street's office; the clocks keep running."""
    policy.require(actor, "routing.handle", item)
    if not item.is_open:
        raise Conflict(_l("This matter is closed."))
    office = db.session.get(Organization, office_id) if office_id else None
    own_street_office = street_office(item.street_id)
    if office is None or not (is_department(office, item.street.district_id)
                              or (own_street_office is not None and office.id == own_street_office.id)):
        raise ValidationFailed(_l("Choose a district department or this street's office."),
                               fields={"office_id": _l("Not an office this matter can go to.")})
    if office.id == item.office_id:
        raise ValidationFailed(_l("The matter is already with this office."),
                               fields={"office_id": _l("Same office.")})
    before = _snapshot(item)
    item.office_id = office.id
    item.to_department = bool(office.serves_whole_district)
    db.session.flush()
    db.session.refresh(item, ["office"])
    record(actor, "micro.item_rerouted", item, before=before, after=_snapshot(item))
    _notify_office(item, now or utcnow())
    return item


def escalate_overdue(*, now: datetime | None = None, actor: User | None = None) -> list[RoutedItem]:
    """Escalate every open item whose acknowledge or review clock ran out (each clock once), audited, and
    tell the district's officials. Running it again changes nothing."""
    now = now or utcnow()
    stmt = select(RoutedItem).where(RoutedItem.reviewed_at.is_(None), or_(
        (RoutedItem.acknowledged_at.is_(None)) & (RoutedItem.ack_escalated_at.is_(None))
        & (RoutedItem.ack_due_at <= now),
        (RoutedItem.review_escalated_at.is_(None)) & (RoutedItem.review_due_at <= now)))
    escalated = []
    for item in db.session.scalars(stmt.order_by(RoutedItem.id)):
        missed = []
        if item.ack_overdue(now) and item.ack_escalated_at is None:
            item.ack_escalated_at = now
            missed.append(("acknowledge", item.ack_due_at))
        if item.review_overdue(now) and item.review_escalated_at is None:
            item.review_escalated_at = now
            missed.append(("review", item.review_due_at))
        if not missed:
            continue
        db.session.flush()
        for clock, due in missed:
            record(actor, "micro.item_escalated", item, after={"missed": clock, "due_at": due, "office_id": item.office_id})
        title, title_en, link = _subject(item)
        notify(district_officials(item.street.district_id), "micro.item_escalated", {"title": title, "title_en": title_en,
                                                              "due_at": missed[0][1].isoformat()}, link, now=now)
        escalated.append(item)
    return escalated


# ------------------------------------------------------------------ queues

@dataclass(frozen=True)
class QueueEntry:
    """One item in an office's queue, with its age and where its clocks stand."""

    item: RoutedItem
    title: str
    title_en: str
    link: str
    kind: str  # "proposal" or "flag"
    age: timedelta
    ack_overdue: bool
    review_overdue: bool

    @property
    def age_days(self) -> int:
        return self.age.days


def _visible_to(official: User):
    """Open items an official answers: their office's, their street's office's, and for district-wide
    officials every escalated item (administrators see all)."""
    if official.role == Role.ADMIN:
        return RoutedItem.id.is_not(None)
    mine = []
    if official.organization_id is not None:
        mine.append(RoutedItem.office_id == official.organization_id)
    if official.street_id is not None:
        mine.append((RoutedItem.street_id == official.street_id) & RoutedItem.to_department.is_(False))
    else:
        mine.append(RoutedItem.ack_escalated_at.is_not(None) | RoutedItem.review_escalated_at.is_not(None))
    return or_(*mine) if mine else RoutedItem.id.is_(None)


def queue_for(official: User, *, now: datetime | None = None, limit: int = 200) -> list[QueueEntry]:
    """The official's open items, escalated ones first, then by review deadline."""
    now = now or utcnow()
    items = db.session.scalars(select(RoutedItem).where(RoutedItem.reviewed_at.is_(None), _visible_to(official))
                               .order_by(RoutedItem.review_due_at, RoutedItem.id).limit(limit))
    entries = []
    for item in items:
        title, title_en, link = _subject(item)
        entries.append(QueueEntry(item, title, title_en, link, "proposal" if item.proposal_id else "flag",
                                  now - item.routed_at, item.ack_overdue(now), item.review_overdue(now)))
    entries.sort(key=lambda e: (not e.item.escalated, e.item.review_due_at, e.item.id))
    return entries


# ------------------------------------------------------------------ each district's category → department map

def map_district(actor: User, district_id: int | None) -> District | None:
    """The district whose map ``actor`` works on: the one asked for, else their own, else the installation's
    only one; None when an administrator must choose. Another district's map is refused."""
    district_id = district_id or actor.district_id or only_district_id()
    if district_id is None:
        return None
    district = db.session.get(District, district_id)
    if district is None:
        raise NotFound(_l("No such district."))
    policy.require(actor, "routing.configure", district)
    return district


def category_routes(district: District) -> dict[int, CategoryRoute]:
    """The district's map: category id → its route to a department."""
    return {r.category_id: r for r in db.session.scalars(
        select(CategoryRoute).where(CategoryRoute.district_id == district.id))}


def set_district_map(actor: User, district: District, choices: dict[Category, str], *,
                     now: datetime | None = None) -> None:
    """Save the district's whole map from a form (category → the chosen department's id as text, "" for the
    street offices): every choice is checked first, so that one wrong choice saves none."""
    policy.require(actor, "routing.configure", district)
    valid = {str(o.id) for o in departments(district.id)}
    errors = {f"office_{c.id}": _l("Not a department of this district.") for c, value in choices.items()
              if value and value not in valid}
    if errors:
        raise ValidationFailed(_l("Please correct the marked fields."), fields=errors)
    for category, value in choices.items():
        set_category_route(actor, district, category, int(value) if value else None, now=now)


def set_category_route(actor: User, district: District, category: Category, office_id: int | None, *,
                       now: datetime | None = None) -> CategoryRoute | None:
    """An official of ``district`` (or an administrator) gives a category to one of the district's departments
    (``None``: back to the street offices), audited. Items already routed stay where they are."""
    policy.require(actor, "routing.configure", district)
    route = db.session.scalar(select(CategoryRoute).where(
        CategoryRoute.district_id == district.id, CategoryRoute.category_id == category.id))
    before = {"category_id": category.id, "office_id": route.office_id if route else None}
    if office_id is None:
        if route is None:
            return None
        record(actor, "micro.category_route_set", route, before=before, after={**before, "office_id": None})
        db.session.delete(route)
        db.session.flush()
        return None
    office = db.session.get(Organization, office_id)
    if not is_department(office, district.id):
        raise ValidationFailed(_l("Choose a department of this district."),
                               fields={f"office_{category.id}": _l("Not a department of this district.")})
    if route is None:
        route = CategoryRoute(district_id=district.id, category_id=category.id, office_id=office.id)
        db.session.add(route)
    elif route.office_id == office.id:
        return route
    route.office_id = office.id
    route.updated_by_id = actor.id
    route.updated_at = now or utcnow()
    db.session.flush()
    record(actor, "micro.category_route_set", route, before=before, after={**before, "office_id": office.id})
    return route
