"""Organisation operations: listing, profiles, verification."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, select
from sqlalchemy.orm import selectinload

from market.accounts.models import Role, User
from market.audit.services import record
from market.db import db, utcnow
from market.errors import Conflict, PermissionDenied, ValidationFailed
from market.geo.models import Category, Street
from market.orgs.models import Organization, OrgKind, VerificationState, organization_categories
from market.web.listing import ListingArgs, Page, parse_listing_args, run_listing

ORG_SORTS = {
    "name": (Organization.name, Organization.id),
    "rating": (Organization.rating_grade.desc(), Organization.id),
    "staff": (Organization.full_time_staff.desc(), Organization.id),
    "newest": (Organization.created_at.desc(), Organization.id.desc()),
}
# Which organisation kinds each self-registered role may create.
KINDS_BY_ROLE = {
    Role.PROVIDER: (OrgKind.SOCIAL_ORGANISATION, OrgKind.ENTERPRISE),
    Role.FUNDER: (OrgKind.FOUNDATION, OrgKind.ENTERPRISE, OrgKind.GOVERNMENT),
    Role.OFFICIAL: tuple(OrgKind),
    Role.ADMIN: tuple(OrgKind),
}


def parse_org_listing(args) -> ListingArgs:
    return parse_listing_args(
        args,
        int_filters=("category_id", "street_id", "min_rating"),
        choice_filters={"kind": [k.value for k in OrgKind], "verification": [v.value for v in VerificationState]},
        sorts=tuple(ORG_SORTS),
    )


def filtered_orgs(filters: dict[str, Any]) -> Select:
    stmt = select(Organization)
    if "kind" in filters:
        stmt = stmt.where(Organization.kind == filters["kind"])
    if "verification" in filters:
        stmt = stmt.where(Organization.verification_state == filters["verification"])
    if "min_rating" in filters:
        stmt = stmt.where(Organization.rating_grade >= filters["min_rating"])
    if "street_id" in filters:
        stmt = stmt.where((Organization.home_street_id == filters["street_id"])
                          | Organization.service_streets.any(Street.id == filters["street_id"])
                          | Organization.serves_whole_district)
    if "category_id" in filters:
        stmt = stmt.where(Organization.id.in_(
            select(organization_categories.c.organization_id)
            .where(organization_categories.c.category_id == filters["category_id"])))
    return stmt


def list_orgs(listing: ListingArgs) -> Page[Organization]:
    return run_listing(Organization, filtered_orgs(listing.filters), listing,
                       order_by=ORG_SORTS.get(listing.sort or "name"),
                       text_columns=(Organization.name, Organization.name_en,
                                     Organization.capability, Organization.capability_en),
                       search_scope=filtered_orgs({}),
                       load_options=(selectinload(Organization.categories),))


@dataclass(frozen=True)
class OrgInput:
    """Editable profile fields, type-checked by a form or the API."""

    name: str
    kind: OrgKind
    name_en: str = ""
    registration_date: date | None = None
    full_time_staff: int = 0
    office_area_m2: int = 0
    rating_grade: int = 0
    capability: str = ""
    capability_en: str = ""
    capacity: int = 1
    home_street_id: int | None = None
    serves_whole_district: bool = False
    contact_email: str = ""
    contact_phone: str = ""
    category_ids: tuple[int, ...] = field(default_factory=tuple)
    service_street_ids: tuple[int, ...] = field(default_factory=tuple)


def can_edit(actor: User, org: Organization) -> bool:
    """Members edit their own organisation; administrators any."""
    return actor.role == Role.ADMIN or (actor.organization_id is not None and actor.organization_id == org.id)


def _check(data: OrgInput) -> None:
    errors: dict[str, Any] = {}
    if not data.name.strip():
        errors["name"] = _l("A name is required.")
    if data.registration_date and data.registration_date > date.today():
        errors["registration_date"] = _l("The registration date is in the future.")
    for name in ("full_time_staff", "office_area_m2", "capacity"):
        if getattr(data, name) < 0:
            errors[name] = _l("Cannot be negative.")
    if not 0 <= data.rating_grade <= 5:
        errors["rating_grade"] = _l("Between 0 (none) and 5 (5A).")
    if errors:
        raise ValidationFailed(_l("Please correct the marked fields."), fields=errors)


def _apply(org: Organization, data: OrgInput) -> None:
    for name, value in data.__dict__.items():
        if name not in ("category_ids", "service_street_ids"):
            setattr(org, name, value)
    org.categories = list(db.session.scalars(select(Category).where(Category.id.in_(data.category_ids))))
    org.service_streets = list(db.session.scalars(select(Street).where(Street.id.in_(data.service_street_ids))))


def _snapshot(org: Organization) -> dict[str, Any]:
    return {"name": org.name, "kind": org.kind, "rating_grade": org.rating_grade, "capacity": org.capacity,
            "full_time_staff": org.full_time_staff, "verification_state": org.verification_state}


def create_org(actor: User, data: OrgInput) -> Organization:
    """Create an organisation; a provider or funder becomes its member. It starts unverified."""
    if data.kind not in KINDS_BY_ROLE.get(actor.role, ()):
        raise PermissionDenied(_l("Your account cannot create this kind of organisation."))
    if actor.role in (Role.PROVIDER, Role.FUNDER) and actor.organization_id is not None:
        raise Conflict(_l("Your account already belongs to an organisation."))
    _check(data)
    org = Organization(verification_state=VerificationState.PENDING)
    _apply(org, data)
    db.session.add(org)
    db.session.flush()
    if actor.role in (Role.PROVIDER, Role.FUNDER):
        actor.organization_id = org.id
    record(actor, "organization.created", org, after=_snapshot(org))
    return org


def update_org(actor: User, org: Organization, data: OrgInput) -> Organization:
    """Edit a profile. Changing the facts officials checked sends it back for verification."""
    if not can_edit(actor, org):
        raise PermissionDenied(_l("You cannot edit this organisation."))
    _check(data)
    before = _snapshot(org)
    checked_facts = (org.kind, org.registration_date, org.rating_grade)
    _apply(org, data)
    if actor.role != Role.ADMIN and (org.kind, org.registration_date, org.rating_grade) != checked_facts:
        org.verification_state = VerificationState.PENDING
        org.verified_at = None
    record(actor, "organization.updated", org, before=before, after=_snapshot(org))
    return org


def set_verification(actor: User, org: Organization, approve: bool) -> Organization:
    """An official verifies (or refuses) an organisation's registration facts."""
    if actor.role not in (Role.OFFICIAL, Role.ADMIN):
        raise PermissionDenied(_l("Only officials verify organisations."))
    before = org.verification_state
    org.verification_state = VerificationState.VERIFIED if approve else VerificationState.REJECTED
    org.verified_at = utcnow() if approve else None
    org.verified_by_id = actor.id
    record(actor, "organization.verification", org, before={"verification_state": before},
           after={"verification_state": org.verification_state})
    return org
