"""Project operations: listing, creation, editing and status changes, each with an explicit actor."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, select
from sqlalchemy.orm import joinedload

from market.accounts.models import Role, User
from market.core import policy
from market.core.audit import record
from market.core.db import db, utcnow
from market.core.errors import Conflict, PermissionDenied, ValidationFailed
from market.core.money import money
from market.core.state import transition
from market.geo.models import Category, Community, ProjectType, Street
from market.geo.services import district_of_street, only_district_id
from market.projects.models import PROJECT_SEARCH, Project, ProjectKind, ProjectStatus
from market.projects.signals import budget_floor
from market.ui.listing import ListingArgs, Page, parse_listing_args, run_listing

PROJECT_SORTS = {
    "newest": (Project.created_at.desc(), Project.id.desc()),
    "budget_desc": (Project.budget_cents.desc(), Project.id),
    "budget_asc": (Project.budget_cents.asc(), Project.id),
    "deadline": (Project.bid_deadline.asc(), Project.id),
    "title": (Project.title, Project.id),
}
# What the public sees: drafts stay with their owners.
PUBLIC_STATUSES = tuple(s for s in ProjectStatus if s != ProjectStatus.DRAFT)
#: The stages a project page shows, in order.
LIFECYCLE = (ProjectStatus.DRAFT, ProjectStatus.OPEN, ProjectStatus.EVALUATING, ProjectStatus.AWARDED,
             ProjectStatus.IN_PROGRESS, ProjectStatus.COMPLETED)


def parse_project_listing(args) -> ListingArgs:
    return parse_listing_args(
        args,
        int_filters=("category_id", "street_id", "community_id", "budget_min", "budget_max"),
        choice_filters={"type": [t.value for t in ProjectType], "kind": [k.value for k in ProjectKind],
                        "status": [s.value for s in PUBLIC_STATUSES]},
        sorts=tuple(PROJECT_SORTS),
    )


def _listing_load() -> tuple:
    return (joinedload(Project.category), joinedload(Project.street), joinedload(Project.community),
            joinedload(Project.organization))


def filtered_projects(filters: dict[str, Any]) -> Select:
    """Public projects matching ``filters``; budgets are given in yuan."""
    stmt = select(Project).where(Project.status != ProjectStatus.DRAFT)
    if "category_id" in filters:
        stmt = stmt.where(Project.category_id == filters["category_id"])
    if "type" in filters:
        stmt = stmt.where(Project.project_type == filters["type"])
    if "kind" in filters:
        stmt = stmt.where(Project.kind == filters["kind"])
    if "status" in filters:
        stmt = stmt.where(Project.status == filters["status"])
    if "street_id" in filters:
        stmt = stmt.where(Project.street_id == filters["street_id"])
    if "community_id" in filters:
        stmt = stmt.where(Project.community_id == filters["community_id"])
    if "budget_min" in filters:
        stmt = stmt.where(Project.budget_cents >= filters["budget_min"] * 100)
    if "budget_max" in filters:
        stmt = stmt.where(Project.budget_cents <= filters["budget_max"] * 100)
    return stmt


def number_query(text: str) -> str | None:
    """The query as (part of) a project number such as ``FTMZ-2027-0012``, upper case; None when it
    cannot be one (a number part has a dash, or is the four-digit sequence or year alone).

    >>> number_query(" ftmz-2027-0012 "), number_query("2027-00"), number_query("0012"), number_query("养老")
    ('FTMZ-2027-0012', '2027-00', '0012', None)
    """
    text = text.strip().upper()
    if not re.fullmatch(r"[A-Z0-9]+(?:-[A-Z0-9]*)+|[A-Z0-9]*-[A-Z0-9]+|\d{4}", text):
        return None
    return text if any(ch.isdigit() for ch in text) or "-" in text else None


def list_projects(listing: ListingArgs) -> Page[Project]:
    """A page of public projects; a query that looks like a project number finds the projects whose
    number contains it (exact or partial), anything else is a relevance-ranked text search."""
    number = number_query(listing.q) if listing.q else None
    if number is not None:
        stmt = filtered_projects(listing.filters).where(Project.number.contains(number, autoescape=True))
        if db.session.scalar(stmt.with_only_columns(Project.id).limit(1)) is not None:
            return run_listing(Project, stmt, ListingArgs(filters=listing.filters, page=listing.page,
                                                          per_page=listing.per_page),
                               order_by=(Project.number, Project.id), load_options=_listing_load())
    return run_listing(Project, filtered_projects(listing.filters), listing,
                       order_by=PROJECT_SORTS.get(listing.sort or "newest"), search=PROJECT_SEARCH,
                       # Many-to-one: joined into the one query that loads the page's rows.
                       load_options=_listing_load())


def projects_of(actor: User) -> Select:
    """Projects the actor owns or that belong to the actor's organisation."""
    stmt = select(Project).order_by(Project.updated_at.desc())
    if actor.organization_id:
        return stmt.where((Project.owner_id == actor.id) | (Project.organization_id == actor.organization_id))
    return stmt.where(Project.owner_id == actor.id)


def can_view(actor: User | None, project: Project) -> bool:
    """Published projects are public; drafts are for those who may edit them."""
    return policy.can(actor, "project.view", project)


def can_edit(actor: User, project: Project) -> bool:
    """Owners, members of the owning organisation, and officials of the project's street."""
    return policy.can(actor, "project.edit", project)


def allowed_kinds(actor: User) -> tuple[ProjectKind, ...]:
    """Officials publish purchased services; organisations seek funds for public-benefit projects."""
    if actor.role in (Role.OFFICIAL, Role.ADMIN):
        return (ProjectKind.GOVERNMENT_SERVICE, ProjectKind.PUBLIC_BENEFIT)
    if actor.role == Role.PROVIDER and actor.organization is not None:
        return (ProjectKind.PUBLIC_BENEFIT,)
    return ()


@dataclass(frozen=True)
class ProjectInput:
    """The editable fields of a project, already type-checked by a form or the API."""

    kind: ProjectKind
    title: str
    description: str
    category_id: int
    project_type: ProjectType
    budget_cents: int
    title_en: str = ""
    description_en: str = ""
    street_id: int | None = None
    community_id: int | None = None
    start_date: date | None = None
    end_date: date | None = None
    min_rating_grade: int = 0
    min_years_registered: int = 0
    min_staff: int = 0
    min_office_area_m2: int = 0


def _check(data: ProjectInput) -> None:
    errors: dict[str, Any] = {}
    if not data.title.strip():
        errors["title"] = _l("A title is required.")
    if data.budget_cents <= 0:
        errors["budget"] = _l("The budget must be more than zero.")
    if db.session.get(Category, data.category_id) is None:
        errors["category_id"] = _l("Unknown category.")
    if data.street_id is not None and db.session.get(Street, data.street_id) is None:
        errors["street_id"] = _l("Unknown street.")
    if data.community_id is not None:
        community = db.session.get(Community, data.community_id)
        if community is None:
            errors["community_id"] = _l("Unknown community.")
        elif data.street_id is not None and community.street_id != data.street_id:
            errors["community_id"] = _l("This community is not in the chosen street.")
    if data.start_date and data.end_date and data.end_date < data.start_date:
        errors["end_date"] = _l("The end date is before the start date.")
    if not 0 <= data.min_rating_grade <= 5:
        errors["min_rating_grade"] = _l("Between 0 (none) and 5 (5A).")
    if errors:
        raise ValidationFailed(_l("Please correct the marked fields."), fields=errors)


def _snapshot(project: Project) -> dict[str, Any]:
    return {"title": project.title, "budget_cents": project.budget_cents, "category_id": project.category_id,
            "street_id": project.street_id, "community_id": project.community_id, "status": project.status}


def _street_of(data: ProjectInput) -> int | None:
    if data.community_id is not None and data.street_id is None:
        return db.session.get(Community, data.community_id).street_id
    return data.street_id


def district_for(actor: User, street_id: int | None) -> int | None:
    """The district a project belongs to: its street's; without a street, its creator's district (an
    official's own, a provider's organisation's), else the installation's one district; None for an
    administrator's project without a street in a city (the whole city's)."""
    if street_id is not None:
        return district_of_street(street_id)
    if actor.district_id is not None:
        return actor.district_id
    organization = actor.organization
    district = organization.district_key if organization is not None else None
    return district if district is not None else only_district_id()


def _require_governed_street(actor: User, street_id: int | None) -> None:
    """Officials place projects only where they govern (providers may place theirs anywhere)."""
    if actor.is_official and not policy.governs_street(actor, street_id, district_for(actor, street_id)):
        raise PermissionDenied(_l("You can only create projects for your own street."),
                               fields={"street_id": _l("Outside your street.")})


def create_project(actor: User, data: ProjectInput) -> Project:
    """Create a draft project owned by ``actor`` (and the actor's organisation)."""
    policy.require(actor, "project.create")
    if data.kind not in allowed_kinds(actor):
        raise PermissionDenied(_l("You cannot create this kind of project."))
    _check(data)
    street_id = _street_of(data)
    _require_governed_street(actor, street_id)
    project = Project(owner_id=actor.id, organization_id=actor.organization_id, status=ProjectStatus.DRAFT,
                      district_id=district_for(actor, street_id), **{**data.__dict__, "street_id": street_id})
    db.session.add(project)
    db.session.flush()
    record(actor, "project.created", project, after=_snapshot(project))
    return project


def update_project(actor: User, project: Project, data: ProjectInput) -> Project:
    """Edit a project the actor may edit; finished or cancelled projects are frozen."""
    if not can_edit(actor, project):
        raise PermissionDenied(_l("You cannot edit this project."))
    if project.status in (ProjectStatus.COMPLETED, ProjectStatus.CANCELLED):
        raise ValidationFailed(_l("A finished or cancelled project can no longer be edited."))
    _check(data)
    street_id = _street_of(data)
    _require_governed_street(actor, street_id)  # moving it to another street needs that street's official
    if data.budget_cents < project.budget_cents:
        floor = max((cents for _receiver, cents in budget_floor.send(project) if cents), default=0)
        if data.budget_cents < floor:
            raise ValidationFailed(_l("Please correct the marked fields."), fields={"budget": _l(
                "At least %(amount)s: money already given, pledged or awarded to the project stays within its "
                "budget.", amount=money(floor))})
    before = _snapshot(project)
    for name, value in {**data.__dict__, "street_id": street_id}.items():
        if name != "kind":
            setattr(project, name, value)
    if street_id is not None:  # without a street it stays in the district it was created in
        project.district_id = district_of_street(street_id)
    record(actor, "project.updated", project, before=before, after=_snapshot(project))
    return project


# Awarding, starting and accepting happen through the award and acceptance processes, never by hand.
MANUAL_TARGETS = frozenset({ProjectStatus.OPEN, ProjectStatus.EVALUATING, ProjectStatus.CANCELLED})
# A tender's bidding ends at its published deadline, when the bids are opened, and a passed deadline is
# final: closing it early by hand would expose the bidders before their time.
TENDERED_MANUAL_TARGETS = frozenset({ProjectStatus.CANCELLED})


def manual_targets(project: Project) -> list[ProjectStatus]:
    """The statuses an editor may move the project to by hand from where it is now."""
    allowed = TENDERED_MANUAL_TARGETS if project.bid_deadline is not None else MANUAL_TARGETS
    return [status for status in ProjectStatus if status in allowed and project.can_transition(status)]


def change_status(actor: User, project: Project, target: ProjectStatus) -> Project:
    """Publish, close bidding or cancel a project (the model refuses illegal moves)."""
    if not can_edit(actor, project):
        raise PermissionDenied(_l("You cannot change this project's status."))
    if target not in MANUAL_TARGETS:
        raise PermissionDenied(_l("This status is reached through the award or acceptance process."))
    if project.bid_deadline is not None and target not in TENDERED_MANUAL_TARGETS:
        raise Conflict(_l("Bidding on a tender ends at its published deadline, when the bids are opened; "
                          "extend the deadline or cancel the project instead."), code="tendered")
    if target == ProjectStatus.OPEN and project.published_at is None:
        project.published_at = utcnow()
    transition(project, target, actor=actor, action="project.status_changed")
    return project
