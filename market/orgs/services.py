"""Organisation operations: listing, profiles, evidence documents, verification."""
from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, select
from sqlalchemy.orm import selectinload

from market.accounts.models import Role, User
from market.core import policy
from market.core.audit import AuditEvent, record
from market.core.db import db, utcnow
from market.core.errors import Conflict, PermissionDenied, ValidationFailed
from market.core.state import transition
from market.geo.models import Category, District, ProjectType, Street
from market.geo.services import district_of_street, limit_to_jurisdiction, only_district_id
from market.notifications.services import notify
from market.orgs import credit_code
from market.orgs.models import (
    DEFAULT_SUPPLIES,
    ELIGIBILITY_FACTS,
    ORGANIZATION_SEARCH,
    DocumentKind,
    Organization,
    OrganizationDocument,
    OrgKind,
    Qualification,
    VerificationState,
    organization_categories,
)
from market.ui.listing import ListingArgs, Page, parse_listing_args, run_listing

ORG_SORTS = {
    "name": (Organization.name, Organization.id),
    "rating": (Organization.rating_grade.desc(), Organization.id),
    "staff": (Organization.full_time_staff.desc(), Organization.id),
    "newest": (Organization.created_at.desc(), Organization.id.desc()),
}
# Which organisation kinds each self-registered role may create.
KINDS_BY_ROLE = {
    Role.PROVIDER: (OrgKind.SOCIAL_ORGANISATION, OrgKind.ENTERPRISE),
    Role.FUNDER: (OrgKind.FOUNDATION, OrgKind.ENTERPRISE),
    Role.OFFICIAL: tuple(OrgKind),
    Role.ADMIN: tuple(OrgKind),
}
MIN_REASON = 5
MAX_DOCUMENT_BYTES = 10 * 1024 * 1024
MAX_DOCUMENTS = 10
# File signatures accepted as evidence, with the content type they are served as.
DOCUMENT_TYPES = ((b"%PDF-", "application/pdf", ".pdf"), (b"\xff\xd8\xff", "image/jpeg", ".jpg"),
                  (b"\x89PNG\r\n\x1a\n", "image/png", ".png"))


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
                       order_by=ORG_SORTS.get(listing.sort or "name"), search=ORGANIZATION_SEARCH,
                       load_options=(selectinload(Organization.categories),))


@dataclass(frozen=True)
class OrgInput:
    """Editable profile fields, type-checked by a form or the API."""

    name: str
    kind: OrgKind
    name_en: str = ""
    credit_code: str = ""
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
    supplies: tuple[str, ...] = DEFAULT_SUPPLIES
    qualifications: tuple[str, ...] = ()
    # The district it registers in, when it has no home street (read on creation only).
    district_id: int | None = None


def can_edit(actor: User, org: Organization) -> bool:
    """Members edit their own organisation."""
    return policy.can(actor, "organization.edit", org)


def _check(data: OrgInput) -> None:
    errors: dict[str, Any] = {}
    if not data.name.strip():
        errors["name"] = _l("A name is required.")
    if data.credit_code and credit_code.problem(data.credit_code):
        errors["credit_code"] = _l("Not a valid unified social credit code: 18 characters whose last one is the "
                                   "check character (GB 32100-2015). Please check it against the certificate.")
    if data.registration_date and data.registration_date > date.today():
        errors["registration_date"] = _l("The registration date is in the future.")
    for name in ("full_time_staff", "office_area_m2", "capacity"):
        if getattr(data, name) < 0:
            errors[name] = _l("Cannot be negative.")
    if not 0 <= data.rating_grade <= 5:
        errors["rating_grade"] = _l("Between 0 (none) and 5 (5A).")
    if not set(data.supplies) <= {t.value for t in ProjectType}:
        errors["supplies"] = _l("Choose services, goods or works.")
    if not set(data.qualifications) <= {q.value for q in Qualification}:
        errors["qualifications"] = _l("Unknown qualification.")
    if errors:
        raise ValidationFailed(_l("Please correct the marked fields."), fields=errors)


def _apply(org: Organization, data: OrgInput) -> None:
    for name, value in data.__dict__.items():
        if name not in ("category_ids", "service_street_ids", "credit_code", "supplies", "qualifications",
                        "district_id"):
            setattr(org, name, value)
    org.credit_code = credit_code.normalise(data.credit_code)
    # Nothing chosen keeps what every organisation supplies unless it says otherwise: services.
    org.supplies = [t.value for t in ProjectType if t.value in data.supplies] or list(DEFAULT_SUPPLIES)
    org.qualifications = [q.value for q in Qualification if q.value in data.qualifications]
    org.categories = list(db.session.scalars(select(Category).where(Category.id.in_(data.category_ids))))
    org.service_streets = list(db.session.scalars(select(Street).where(Street.id.in_(data.service_street_ids))))
    if org.home_street_id is not None:  # registered in its home street's district
        org.district_id = district_of_street(org.home_street_id)


def _registering_district(actor: User, home_district: int | None, chosen: int | None) -> int:
    """The district an organisation registers in: its home street's, else the one chosen, else the registering
    official's, else the installation's only one. Every organisation has one, so that only that district's
    officials govern it (closing its campaigns, refunding its payments)."""
    official_district = actor.district_id if actor.is_official else None
    district = home_district or chosen or official_district or only_district_id()
    in_own = _l("Officials register organisations in their own district.")
    refusals = (  # (refused, field, why): the first that holds is said
        (chosen is not None and db.session.get(District, chosen) is None, "district_id", _l("No such district.")),
        (chosen is not None and home_district not in (None, chosen), "district_id",
         _l("The home street lies in another district.")),
        (chosen is not None and official_district not in (None, chosen), "district_id", in_own),
        # Else an official could give another district a department of their making (its routing map lists it).
        (home_district is not None and official_district not in (None, home_district), "home_street_id", in_own),
        (district is None, "district_id", _l("Choose the district the organisation is registered in, or its "
                                             "home street.")),
    )
    for refused, name, why in refusals:
        if refused:
            raise ValidationFailed(_l("Please correct the marked fields."), fields={name: why})
    assert district is not None
    return district


def create_org(actor: User, data: OrgInput, *, documents: Sequence[DocumentUpload] = (),
               upload_dir: Path | None = None) -> Organization:
    """Create an organisation with its evidence; a provider or funder becomes its member. It starts
    unverified (an official who registers one is not its member, and so may not verify it alone)."""
    policy.require(actor, "organization.create")
    if data.kind not in kinds_for(actor, None):
        raise PermissionDenied(_l("Your account cannot create this kind of organisation."))
    if actor.role in (Role.PROVIDER, Role.FUNDER) and actor.organization_id is not None:
        raise Conflict(_l("Your account already belongs to an organisation."))
    _check(data)
    org = Organization(verification_state=VerificationState.PENDING)
    _apply(org, data)
    org.district_id = _registering_district(actor, org.district_id, data.district_id)
    db.session.add(org)
    db.session.flush()
    if actor.role in (Role.PROVIDER, Role.FUNDER):
        actor.organization_id = org.id
    record(actor, "organization.created", org, after={"name": org.name, **org.current_facts()})
    if documents:
        _store_documents(actor, org, list(documents), upload_dir)
    return org


def kinds_for(actor: User, org: Organization | None) -> list[OrgKind]:
    """The kinds ``actor`` may give a new organisation, or ``org`` when editing it.

    An organisation may become another kind its members could have registered, but a government
    department stays one, and nothing becomes one by editing: how its pools receive money depends on it.
    """
    allowed = list(KINDS_BY_ROLE.get(actor.role, ()))
    if org is None:
        return allowed
    if org.kind == OrgKind.GOVERNMENT:
        return [OrgKind.GOVERNMENT]
    return [org.kind] + [kind for kind in allowed if kind not in (org.kind, OrgKind.GOVERNMENT)]


def _check_kind_change(actor: User, org: Organization, kind: OrgKind) -> None:
    if kind not in kinds_for(actor, org):
        raise ValidationFailed(_l("Please correct the marked fields."),
                               fields={"kind": _l("This organisation cannot change to that kind.")})


def changed_facts(org: Organization) -> dict[str, tuple[Any, Any]]:
    """Eligibility facts that differ from the verified ones: ``{fact: (verified, now)}``."""
    if org.verified_facts is None:
        return {}
    now = org.current_facts()
    return {name: (org.verified_facts.get(name), now[name]) for name in ELIGIBILITY_FACTS
            if org.verified_facts.get(name) != now[name]}


def _offer(org: Organization) -> dict[str, list[str]]:
    """What the organisation supplies and the licences it holds (audited when they change)."""
    return {"supplies": list(org.supplies or ()), "qualifications": list(org.qualifications or ())}


def update_org(actor: User, org: Organization, data: OrgInput) -> Organization:
    """Edit a profile. Changing a fact that decides eligibility sends the organisation back to
    verification; bidding and matching keep using the verified facts until an official decides."""
    policy.require(actor, "organization.edit", org)
    _check_kind_change(actor, org, data.kind)
    _check(data)
    moves_to = district_of_street(data.home_street_id)
    if moves_to is not None and org.district_id is not None and moves_to != org.district_id \
            and actor.role != Role.ADMIN:
        # Its district's officials govern it: registering in another district is the administrators' work.
        raise ValidationFailed(_l("Please correct the marked fields."), fields={"home_street_id": _l(
            "This street lies in another district; moving the registration there is done by an administrator.")})
    before = org.current_facts()
    offer_before = _offer(org)
    _apply(org, data)
    after = org.current_facts()
    offer_after = _offer(org)
    changed = sorted(name for name in ELIGIBILITY_FACTS if before[name] != after[name])
    offer_changed = sorted(name for name in offer_after if offer_before[name] != offer_after[name])
    record(actor, "organization.updated", org,
           before={**{k: before[k] for k in changed}, **{k: offer_before[k] for k in offer_changed}},
           after={"name": org.name, **{k: after[k] for k in changed},
                  **{k: offer_after[k] for k in offer_changed}})
    if org.verification_state == VerificationState.VERIFIED and changed:
        transition(org, VerificationState.PENDING, actor=actor, action="organization.facts_changed",
                   after={"changed": changed})
    elif org.verification_state == VerificationState.REJECTED:
        transition(org, VerificationState.PENDING, actor=actor, action="organization.resubmitted",
                   after={"changed": changed})
    return org


@dataclass(frozen=True)
class DocumentUpload:
    kind: DocumentKind
    filename: str
    data: bytes


def _document_size_label() -> str:
    return f"{max(1, MAX_DOCUMENT_BYTES // (1024 * 1024))} MB"


def _sniff(data: bytes) -> tuple[str, str] | None:
    return next(((content_type, ext) for magic, content_type, ext in DOCUMENT_TYPES if data.startswith(magic)), None)


def add_documents(actor: User, org: Organization, uploads: list[DocumentUpload], upload_dir: Path) -> list[OrganizationDocument]:
    """Attach certificates as evidence (PDF, JPEG or PNG, at most 10 MB each). Audited with their digests."""
    policy.require(actor, "organization.edit", org)
    return _store_documents(actor, org, uploads, upload_dir)


def _store_documents(actor: User, org: Organization, uploads: list[DocumentUpload],
                     upload_dir: Path | None) -> list[OrganizationDocument]:
    uploads = [u for u in uploads if u.filename or u.data]
    problems: list[Any] = []
    if len(org.documents) + len(uploads) > MAX_DOCUMENTS:
        problems.append(_l("At most %(n)d documents per organisation.", n=MAX_DOCUMENTS))
    checked = []
    for upload in uploads:
        name = Path(upload.filename or "").name[:255] or "document"
        sniffed = _sniff(upload.data)
        if len(upload.data) > MAX_DOCUMENT_BYTES:
            problems.append(_l("%(name)s is larger than %(size)s.", name=name, size=_document_size_label()))
        elif sniffed is None:
            problems.append(_l("%(name)s is not a PDF, JPEG or PNG file.", name=name))
        else:
            checked.append((upload, name, sniffed))
    if problems:
        raise ValidationFailed(_l("Some documents could not be accepted."), fields={"documents": problems})
    if not checked:
        return []
    assert upload_dir is not None, "documents need a directory to be kept in"
    upload_dir.mkdir(parents=True, exist_ok=True)
    rows = []
    for upload, name, (content_type, extension) in checked:
        stored = secrets.token_hex(16) + extension
        (upload_dir / stored).write_bytes(upload.data)
        row = OrganizationDocument(organization_id=org.id, kind=upload.kind, filename=name, stored_name=stored,
                                   content_type=content_type, size_bytes=len(upload.data),
                                   sha256=hashlib.sha256(upload.data).hexdigest(), uploaded_by_id=actor.id,
                                   uploaded_at=utcnow())
        db.session.add(row)
        rows.append(row)
    db.session.flush()
    for row in rows:
        record(actor, "organization.document_added", org,
               after={"document_id": row.id, "kind": row.kind, "sha256": row.sha256, "size_bytes": row.size_bytes})
    return rows


def can_read_document(actor: User, document: OrganizationDocument) -> bool:
    """The organisation's members and the officials who verify it."""
    return policy.can(actor, "organization.edit", document) or policy.can(actor, "organization.verify", document)


# ---------------------------------------------------------------- verification

def verification_queue(actor: User) -> Select:
    """Organisations awaiting verification in the streets the official governs, oldest first (never the
    official's own organisation: another official decides on it)."""
    policy.require(actor, "organization.review")
    stmt = (select(Organization).where(Organization.verification_state == VerificationState.PENDING)
            .options(selectinload(Organization.documents)).order_by(Organization.updated_at, Organization.id))
    stmt = limit_to_jurisdiction(stmt, actor, Organization.home_street_id, Organization.district_id)
    if actor.organization_id is not None:
        stmt = stmt.where(Organization.id != actor.organization_id)
    return stmt


def _members(org: Organization) -> list[User]:
    return list(db.session.scalars(select(User).where(User.organization_id == org.id).order_by(User.id)))


def _registered_by(org: Organization) -> int | None:
    """Who created the organisation, as the record says (an official may register one for others)."""
    return db.session.scalar(select(AuditEvent.actor_id).where(
        AuditEvent.action == "organization.created", AuditEvent.object_type == Organization.__tablename__,
        AuditEvent.object_id == str(org.id)).limit(1))


def verify(actor: User, org: Organization, *, facts_seen: str) -> Organization:
    """An official of the organisation's street confirms the facts they were shown (``facts_seen``, the
    :meth:`Organization.facts_digest` of the page); they become the verified ones."""
    policy.require(actor, "organization.verify", org)
    if _registered_by(org) == actor.id:
        raise PermissionDenied(_l("You registered this organisation: another official verifies it."))
    if facts_seen != org.facts_digest():
        raise Conflict(_l("The organisation changed its facts after you opened this page; check them again "
                          "before deciding."), code="facts_changed")
    if org.credit_code and credit_code.problem(org.credit_code):
        raise Conflict(_l("The organisation's unified social credit code is not valid; ask it to correct it first."))
    org.verified_facts = org.current_facts()
    org.verified_at = utcnow()
    org.verified_by_id = actor.id
    org.verification_note = ""
    transition(org, VerificationState.VERIFIED, actor=actor, action="organization.verified",
               after={"facts": org.verified_facts})
    notify(_members(org), "organization.verified", {"org": org.name, "org_en": org.name_en},
           f"/organizations/{org.id}")
    return org


def refuse(actor: User, org: Organization, reason: str) -> Organization:
    """Refuse a pending organisation, or withdraw a verification, with a reason the members are told.

    The organisation is no longer eligible to bid or be matched until it is verified again.
    """
    policy.require(actor, "organization.verify", org)
    reason = (reason or "").strip()
    if len(reason) < MIN_REASON:
        raise ValidationFailed(_l("Say why: the organisation is told."),
                               fields={"reason": _l("A reason is required.")})
    withdrawn = org.verification_state == VerificationState.VERIFIED
    org.verified_facts = None
    org.verified_at = None
    org.verification_note = reason[:2000]
    transition(org, VerificationState.REJECTED, actor=actor,
               action="organization.verification_withdrawn" if withdrawn else "organization.verification_refused",
               after={"reason": org.verification_note})
    notify(_members(org), "organization.verification_withdrawn" if withdrawn else "organization.verification_refused",
           {"org": org.name, "org_en": org.name_en, "reason": org.verification_note}, f"/organizations/{org.id}")
    return org


FACT_LABELS: dict[str, Any] = {
    "name": _l("Name (Chinese)"), "kind": _l("Kind"), "credit_code": _l("Unified social credit code"),
    "registration_date": _l("Registration date"), "full_time_staff": _l("Full-time staff"),
    "office_area_m2": _l("Office area (m²)"), "rating_grade": _l("Rating grade"), "home_street_id": _l("Home street"),
    "serves_whole_district": _l("Serves the whole district"), "service_street_ids": _l("Serves these streets"),
    "category_ids": _l("Service categories"),
}


@dataclass(frozen=True)
class FactRow:
    label: str
    verified: str  # empty when never verified
    current: str
    changed: bool


def fact_rows(org: Organization, locale: str) -> list[FactRow]:
    """The eligibility facts side by side, verified → now, in words, for the officials' queue."""
    streets = {s.id: s.tr("name", locale) for s in db.session.scalars(select(Street))}
    categories = {c.id: c.tr("name", locale) for c in db.session.scalars(select(Category))}

    def words(name: str, value: Any) -> str:
        if value is None or value == "" or value == []:
            return "—"
        if name == "kind":
            return OrgKind(value).label
        if name == "rating_grade":
            return f"{value}A" if value else str(_l("Not rated"))
        if name == "home_street_id":
            return streets.get(value, str(value))
        if name == "service_street_ids":
            return ", ".join(streets.get(i, str(i)) for i in value)
        if name == "category_ids":
            return ", ".join(categories.get(i, str(i)) for i in value)
        if name == "serves_whole_district":
            return str(_l("Yes")) if value else str(_l("No"))
        if name == "credit_code":
            return value + ("" if credit_code.problem(value) is None else " ⚠ " + str(_l("check character wrong")))
        return str(value)

    now = org.current_facts()
    verified = org.verified_facts or {}
    return [FactRow(str(FACT_LABELS[name]), words(name, verified.get(name)) if org.verified_facts else "",
                    words(name, now[name]), bool(org.verified_facts) and verified.get(name) != now[name])
            for name in ELIGIBILITY_FACTS]
