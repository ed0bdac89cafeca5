"""Publishing a tender and sealed bidding, each operation with an explicit actor and ``now``.

Sealing rules (the heart of this module):

* before a project's deadline nobody but the bidding organisation's members can see a bid,
  nor learn that it exists: not officials, not administrators, not through the audit trail;
* the audit trail records each submission, revision and withdrawal under the bid's random
  ``seal`` with a salted SHA-256 commitment of its content, and no actor;
* after the deadline an official of the project's street (or a district-wide one) opens the
  bids: one audited opening record names every bid (seal, organisation, commitment), and the
  bids become visible to the reviewing officials. The public then sees only how many bids came.
"""
from __future__ import annotations

import hashlib
import json
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, func, select

from market.accounts.models import Role, User
from market.bids import procurement
from market.bids.models import (
    Bid,
    BidAttachment,
    BidOpening,
    BidStatus,
    Clarification,
    LateBidAttempt,
    Lot,
    ProcurementMethod,
    Tender,
    TenderDocument,
    TenderInvitation,
)
from market.core import files, policy
from market.core.audit import record
from market.core.calendar import add_working_days, local_label
from market.core.db import db, utcnow
from market.core.errors import Conflict, IllegalTransition, NotFound, PermissionDenied, ValidationFailed
from market.core.money import money
from market.core.state import transition
from market.geo.models import Category, ProjectType
from market.geo.services import limit_to_jurisdiction
from market.notifications.services import notify
from market.orgs.models import Organization, OrgKind
from market.projects.models import Project, ProjectKind, ProjectStatus

# Kinds of project put out to tender, and kinds of organisation that may bid.
TENDERED_KINDS = (ProjectKind.GOVERNMENT_SERVICE, ProjectKind.MICRO)
BIDDER_KINDS = (OrgKind.SOCIAL_ORGANISATION, OrgKind.ENTERPRISE)

# The published scoring method offered by default: the matching engine's own weights.
DEFAULT_CRITERIA: tuple[dict[str, Any], ...] = (
    {"key": "text", "name": "服务方案与机构能力的契合度", "name_en": "Fit of the organisation's capability to the needs",
     "weight": 35},
    {"key": "geography", "name": "本地服务基础", "name_en": "Local presence", "weight": 15},
    {"key": "reputation", "name": "服务对象评价", "name_en": "Ratings from past service users", "weight": 15},
    {"key": "delivery", "name": "以往项目验收情况", "name_en": "Past projects accepted", "weight": 14},
    {"key": "category", "name": "专业领域匹配", "name_en": "Field of specialisation", "weight": 10},
    {"key": "price", "name": "报价", "name_en": "Price", "weight": 10},
    {"key": "social_org", "name": "社会组织优先", "name_en": "Preference for social organisations", "weight": 1},
)

MAX_ATTACHMENTS = 10
#: A tender takes bids for at most this long: a deadline years ahead would never close.
MAX_BIDDING_PERIOD = timedelta(days=365)
MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024
ATTACHMENT_FOLDER = "bid_attachments"
MAX_DOCUMENTS = 20
MAX_DOCUMENT_BYTES = 20 * 1024 * 1024
DOCUMENT_FOLDER = "tender_documents"
QUESTION_CHARS = (10, 2000)
ANSWER_CHARS = (1, 5000)
# Unanswered questions one organisation may have on one tender.
MAX_OPEN_QUESTIONS = 10


class Joined:
    """Translated messages joined only when shown (services never render text themselves)."""

    def __init__(self, items: list[Any], separator: str = " ") -> None:
        self.items, self.separator = items, separator

    def __str__(self) -> str:
        return self.separator.join(str(item) for item in self.items)


# ---------------------------------------------------------------- time and permissions

def bidding_closed(project: Project, now: datetime) -> bool:
    """Whether the deadline has passed (a project without a deadline takes no bids)."""
    return project.bid_deadline is not None and now >= project.bid_deadline


def accepts_bids(project: Project, now: datetime) -> bool:
    """Open, published through a tender, and before its deadline."""
    return (project.kind in TENDERED_KINDS and project.status == ProjectStatus.OPEN
            and project.bid_deadline is not None and now < project.bid_deadline and tender_of(project) is not None)


def reviews(actor: User | None, project: Project) -> bool:
    """Officials of the project's street, district-wide officials and administrators review its bids."""
    return policy.can(actor, "bids.open", project)


def tender_of(project: Project) -> Tender | None:
    return db.session.scalar(select(Tender).where(Tender.project_id == project.id))


def lots_of(project: Project) -> list[Lot]:
    return list(db.session.scalars(select(Lot).where(Lot.project_id == project.id).order_by(Lot.seq)))


def can_view_bid(actor: User | None, bid: Bid, now: datetime) -> bool:
    """The bidding organisation always; the reviewing officials once the bids are opened."""
    if policy.can(actor, "bid.manage", bid):
        return True
    tender = tender_of(bid.project)
    return tender is not None and tender.is_opened and bidding_closed(bid.project, now) and reviews(actor, bid.project)


def public_bid_count(project: Project, now: datetime) -> int | None:
    """How many bids came in, for everyone to see, but only once the deadline has passed."""
    if project.bid_deadline is None or not bidding_closed(project, now) or tender_of(project) is None:
        return None
    return db.session.scalar(select(func.count(Bid.id)).where(
        Bid.project_id == project.id, Bid.status != BidStatus.WITHDRAWN)) or 0


# ---------------------------------------------------------------- eligibility

def eligibility_problems(org: Organization | None, project: Project, now: datetime) -> list[Any]:
    """Why ``org`` may not bid for ``project``, each reason saying which rule and by how much.

    The rules read the organisation's *verified* facts: while changed facts wait for an
    official, the last verified ones count. An organisation outside the project's category may
    bid (it is scored lower); an unverified one, one below a minimum or one not serving the
    project's area may not.
    """
    if org is None:
        return [_l("Only members of a provider organisation can bid.")]
    tender = tender_of(project)
    if tender is not None and tender.method in procurement.INVITATION_METHODS and not is_invited(org, project):
        if tender.method == ProcurementMethod.SINGLE_SOURCE:
            return [_l("This is a single-source procurement: only the organisation named in its notice can bid.")]
        return [_l("This is an invited tender: only the organisations the officials invited can bid, and yours "
                   "is not among them.")]
    facts = org.eligibility()
    if facts is None:
        return [_l("Your organisation is not verified yet; an official must verify it before it can bid.")]
    problems: list[Any] = []
    if facts.kind not in {k.value for k in BIDDER_KINDS}:
        problems.append(_l("Only social organisations and enterprises can bid."))
    if facts.rating_grade < project.min_rating_grade:
        have = facts.rating_label or _l("none")
        problems.append(_l("Rating grade %(have)s is below the required %(need)dA (%(short)d grade(s) short).",
                           have=have, need=project.min_rating_grade,
                           short=project.min_rating_grade - facts.rating_grade))
    years = facts.years_registered(now.date())
    if years < project.min_years_registered:
        problems.append(_l("Registered for %(have).1f years; at least %(need)d required (%(short).1f years short).",
                           have=years, need=project.min_years_registered, short=project.min_years_registered - years))
    if facts.full_time_staff < project.min_staff:
        problems.append(_l("%(have)d full-time staff; at least %(need)d required (%(short)d short).",
                           have=facts.full_time_staff, need=project.min_staff,
                           short=project.min_staff - facts.full_time_staff))
    if facts.office_area_m2 < project.min_office_area_m2:
        problems.append(_l("Office area %(have)d m²; at least %(need)d m² required (%(short)d m² short).",
                           have=facts.office_area_m2, need=project.min_office_area_m2,
                           short=project.min_office_area_m2 - facts.office_area_m2))
    if not facts.serves_street(project.street_id):
        problems.append(_l("Your organisation does not serve the project's area; add it to your service "
                           "streets first."))
    return problems


# ---------------------------------------------------------------- publishing

@dataclass(frozen=True)
class LotInput:
    title: str
    budget_cents: int
    title_en: str = ""
    description: str = ""
    description_en: str = ""
    category_id: int | None = None
    # None: the lot buys what the project buys.
    project_type: ProjectType | None = None


@dataclass(frozen=True)
class CriterionInput:
    name: str
    weight: int
    name_en: str = ""


@dataclass(frozen=True)
class TenderInput:
    """What an official publishes besides the project itself."""

    bid_deadline: datetime
    requirements: str
    criteria: tuple[CriterionInput, ...]
    requirements_en: str = ""
    lots: tuple[LotInput, ...] = field(default_factory=tuple)
    method: ProcurementMethod = ProcurementMethod.OPEN_TENDER
    method_reason: str = ""
    contact_name: str = ""
    contact_phone: str = ""
    invited_org_ids: tuple[int, ...] = ()


def default_criteria() -> list[dict[str, Any]]:
    return [{"name": c["name"], "name_en": c["name_en"], "weight": c["weight"]} for c in DEFAULT_CRITERIA]


def _check_tender(project: Project, data: TenderInput, now: datetime, published: bool) -> None:
    """Sealed means sealed: the answer never depends on whether anyone has bid."""
    errors: dict[str, Any] = {}
    if data.bid_deadline.tzinfo is None:
        raise ValueError("bid_deadline: use an aware datetime")
    if data.bid_deadline <= now:
        errors["bid_deadline"] = _l("The deadline must be in the future.")
    elif data.bid_deadline > now + MAX_BIDDING_PERIOD:
        errors["bid_deadline"] = _l("The deadline can be at most %(days)d days ahead.", days=MAX_BIDDING_PERIOD.days)
    elif published and project.bid_deadline is not None and data.bid_deadline < project.bid_deadline:
        errors["bid_deadline"] = _l("A published deadline can be extended but not brought forward.")
    if not data.requirements.strip():
        errors["requirements"] = _l("Describe what bidders must offer.")
    criteria = [c for c in data.criteria if c.name.strip()]
    if not criteria:
        errors["criteria"] = _l("Publish at least one scoring criterion.")
    elif any(not 1 <= c.weight <= 100 for c in criteria):
        errors["criteria"] = _l("Each weight is between 1 and 100.")
    elif sum(c.weight for c in criteria) != 100:
        errors["criteria"] = _l("The weights add up to %(total)d; they must add up to 100.",
                                total=sum(c.weight for c in criteria))
    lots = [lot for lot in data.lots if lot.title.strip() or lot.budget_cents]
    if lots:
        if len(lots) < 2:
            errors["lots"] = _l("Split into at least two lots, or leave the lots empty.")
        elif any(not lot.title.strip() or lot.budget_cents <= 0 for lot in lots):
            errors["lots"] = _l("Every lot needs a title and a budget above zero.")
        elif sum(lot.budget_cents for lot in lots) != project.budget_cents:
            errors["lots"] = _l("The lot budgets add up to %(sum)s; the project budget is %(budget)s.",
                                sum=money(sum(lot.budget_cents for lot in lots)), budget=money(project.budget_cents))
        elif any(lot.category_id is not None and db.session.get(Category, lot.category_id) is None for lot in lots):
            errors["lots"] = _l("Unknown category.")
        elif any(lot.project_type is not None and lot.project_type not in set(ProjectType) for lot in lots):
            errors["lots"] = _l("A lot buys services, goods or works.")
    if len(data.contact_name) > 100:
        errors["contact_name"] = _l("At most %(n)d characters.", n=100)
    if data.contact_phone.strip() and procurement.normalise_phone(data.contact_phone) is None:
        errors["contact_phone"] = _l("Not a phone number: a mobile number (11 digits, such as 13800138000) or a "
                                     "landline with its area code (such as 0755-82910000).")
    elif data.contact_name.strip() and not data.contact_phone.strip():
        errors["contact_phone"] = _l("Give the contact person's phone number.")
    errors.update(procurement.method_problems(project, data.method, data.method_reason, data.invited_org_ids,
                                              procurement.project_settings(project)))
    if errors:
        raise ValidationFailed(_l("Please correct the marked fields."), fields=errors)


def _lot_snapshot(lots: list[Lot]) -> list[dict[str, Any]]:
    return [{"seq": lot.seq, "title": lot.title, "budget_cents": lot.budget_cents, "category_id": lot.category_id,
             "project_type": lot.project_type} for lot in lots]


def publish_tender(actor: User, project: Project, data: TenderInput, *, now: datetime | None = None) -> Tender:
    """Publish (or, before any bid, amend) the tender of a project and open it for bids.

    Lots can only change while nobody has bid; afterwards only the requirements, the criteria
    and a later deadline can.
    """
    now = now or utcnow()
    policy.require(actor, "tender.publish", project)
    if project.kind not in TENDERED_KINDS:
        raise ValidationFailed(_l("Only government-purchased services and micro-projects are put out to tender."))
    if project.status not in (ProjectStatus.DRAFT, ProjectStatus.OPEN):
        raise IllegalTransition(_l("Bidding for this project is over; its tender can no longer change."))
    tender = tender_of(project)
    if tender is not None and project.bid_deadline is not None and now >= project.bid_deadline:
        raise Conflict(_l("The deadline has passed (%(deadline)s): bidding is closed for good.",
                          deadline=local_label(project.bid_deadline)), code="deadline_passed")
    _check_tender(project, data, now, published=tender is not None)
    before = None
    invited = sorted(set(data.invited_org_ids))
    if tender is None:
        tender = Tender(project_id=project.id, published_by_id=actor.id, method=data.method, round=1)
        db.session.add(tender)
        procurement.assign_number(project, now)
        _set_method(actor, project, tender, data.method, data.method_reason, invited, now)
    else:
        if data.method != tender.method or invited != invited_ids(project):
            raise Conflict(_l("Once the tender is published its procurement method and invitation list cannot "
                              "change; if the tender fails, it can be published again with another method."),
                           fields={"method": _l("Locked.")})
        before = {"requirements": tender.requirements, "criteria": tender.criteria,
                  "bid_deadline": project.bid_deadline, "lots": _lot_snapshot(lots_of(project)),
                  "contact_name": tender.contact_name, "contact_phone": tender.contact_phone}
    tender.contact_name = data.contact_name.strip()
    tender.contact_phone = procurement.normalise_phone(data.contact_phone) or ""
    tender.requirements = data.requirements.strip()
    tender.requirements_en = data.requirements_en.strip()
    tender.criteria = [{"name": c.name.strip(), "name_en": c.name_en.strip(), "weight": c.weight}
                       for c in data.criteria if c.name.strip()]
    project.bid_deadline = data.bid_deadline
    wanted = [lot for lot in data.lots if lot.title.strip() or lot.budget_cents]
    existing = lots_of(project)
    current = [(lot.title, lot.budget_cents, lot.category_id, lot.project_type) for lot in existing]
    if [(w.title.strip(), w.budget_cents, w.category_id, w.project_type) for w in wanted] != current:
        if before is not None:
            raise Conflict(_l("Once the tender is published its lots cannot change: bidders prepare for them."),
                           fields={"lots": _l("Locked.")})
        for lot in existing:
            db.session.delete(lot)
        db.session.flush()
        for seq, lot in enumerate(wanted, start=1):
            db.session.add(Lot(project_id=project.id, seq=seq, title=lot.title.strip(), title_en=lot.title_en.strip(),
                               description=lot.description, description_en=lot.description_en,
                               budget_cents=lot.budget_cents, category_id=lot.category_id,
                               project_type=lot.project_type))
    if project.status == ProjectStatus.DRAFT:
        project.published_at = now
        transition(project, ProjectStatus.OPEN, actor=actor, action="project.published")
    db.session.flush()
    record(actor, "tender.published" if before is None else "tender.amended", tender, before=before,
           after={"requirements": tender.requirements, "criteria": tender.criteria,
                  "bid_deadline": project.bid_deadline, "lots": _lot_snapshot(lots_of(project)),
                  "number": project.number, "method": tender.method, "method_reason": tender.method_reason,
                  "invited_org_ids": invited_ids(project), "notice_ends_at": tender.notice_ends_at,
                  "contact_name": tender.contact_name, "contact_phone": tender.contact_phone})
    if before is None and invited:
        _notify_orgs(invited, "bids.invited", project, deadline_at=project.bid_deadline.isoformat(), now=now)
    return tender


def _set_method(actor: User, project: Project, tender: Tender, method: ProcurementMethod, reason: str,
                invited: list[int], now: datetime) -> None:
    """Set the method, its public reason, the invitation list and (single source) the notice's end."""
    tender.method = method
    tender.method_reason = reason.strip()
    current = {inv.organization_id: inv for inv in db.session.scalars(
        select(TenderInvitation).where(TenderInvitation.project_id == project.id))}
    for org_id, invitation in current.items():
        if org_id not in invited:
            db.session.delete(invitation)
    for org_id in invited:
        if org_id not in current:
            db.session.add(TenderInvitation(project_id=project.id, organization_id=org_id, invited_by_id=actor.id,
                                            invited_at=now))
    tender.notice_ends_at = None
    if method == ProcurementMethod.SINGLE_SOURCE:
        days = procurement.project_settings(project).single_source_notice_days
        tender.notice_ends_at = add_working_days(now, days)
    db.session.flush()


def invited_ids(project: Project) -> list[int]:
    return sorted(db.session.scalars(select(TenderInvitation.organization_id)
                                     .where(TenderInvitation.project_id == project.id)))


def invitations_of(project: Project) -> list[TenderInvitation]:
    return list(db.session.scalars(select(TenderInvitation).where(TenderInvitation.project_id == project.id)
                                   .order_by(TenderInvitation.id)))


def is_invited(org: Organization, project: Project) -> bool:
    return db.session.scalar(select(TenderInvitation.id).where(TenderInvitation.project_id == project.id,
                                                                TenderInvitation.organization_id == org.id)) is not None


def invitation_choices() -> list[tuple[int, str]]:
    """Verified bidders an official may invite, by name."""
    return [(org.id, org.name) for org in db.session.scalars(
        select(Organization).where(Organization.kind.in_(BIDDER_KINDS)).order_by(Organization.name).limit(2000))
        if org.is_eligible]


def _members_of(org_ids: list[int] | set[int]) -> list[User]:
    if not org_ids:
        return []
    return list(db.session.scalars(select(User).where(User.organization_id.in_(sorted(org_ids)),
                                                      User.role == Role.PROVIDER).order_by(User.id)))


def _notify_orgs(org_ids: list[int] | set[int], kind: str, project: Project, *, now: datetime,
                 **params: Any) -> None:
    """Tell the provider members of ``org_ids`` about ``project`` (their own notifications only)."""
    notify(_members_of(org_ids), kind, {"project": project.title, "project_en": project.title_en,
                                        "number": project.number or "", **params},
           link=f"/projects/{project.id}", now=now)


# ---------------------------------------------------------------- bidding

@dataclass(frozen=True)
class BidInput:
    price_cents: int
    proposal: str
    team: str = ""
    timeline: str = ""
    lot_id: int | None = None


def seal_digest(bid: Bid) -> str:
    """SHA-256 commitment of a bid's content, salted with its secret nonce.

    Published in the audit trail before the deadline: it binds the bidder to the content
    without revealing it (the nonce keeps a small price space from being guessed).
    """
    payload = {"price_cents": bid.price_cents, "proposal": bid.proposal, "team": bid.team, "timeline": bid.timeline,
               "lot_seq": bid.lot_seq, "attachments": sorted(a.sha256 for a in bid.attachments),
               "nonce": bid.seal_nonce}
    canonical = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _sealed_details(bid: Bid) -> dict[str, Any]:
    return {"commitment": seal_digest(bid), "revision": bid.revision}


def _record_sealed(action: str, bid: Bid) -> None:
    """Audit a bid event without naming the bidder, the project or the content."""
    db.session.flush()
    record(None, action, object_type="sealed_bid", object_id=bid.seal, after=_sealed_details(bid))


def _move_sealed(bid: Bid, target: BidStatus, action: str) -> None:
    """A bid's status change before the deadline, recorded under its seal only."""
    db.session.flush()
    transition(bid, target, actor=None, action=action, object_type="sealed_bid", object_id=bid.seal,
               after=_sealed_details(bid))


def _bidder_org(actor: User) -> Organization:
    policy.require(actor, "bid.submit")
    if actor.organization is None:
        raise PermissionDenied(_l("Only members of a provider organisation can bid."))
    return actor.organization


def _check_bid(project: Project, data: BidInput) -> Lot | None:
    errors: dict[str, Any] = {}
    lots = lots_of(project)
    lot = None
    budget = project.budget_cents
    if lots:
        lot = next((candidate for candidate in lots if candidate.id == data.lot_id), None)
        if lot is None:
            errors["lot_id"] = _l("Choose the lot you bid for.")
        else:
            budget = lot.budget_cents
    elif data.lot_id is not None:
        errors["lot_id"] = _l("This project is not split into lots.")
    if data.price_cents <= 0:
        errors["price"] = _l("The price must be more than zero.")
    elif data.price_cents > budget:
        errors["price"] = _l("The price is above the budget of %(budget)s by %(over)s.", budget=money(budget),
                             over=money(data.price_cents - budget))
    if not data.proposal.strip():
        errors["proposal"] = _l("Describe how you would deliver the service.")
    if errors:
        raise ValidationFailed(_l("The bid was not accepted: %(reasons)s",
                                  reasons=Joined(list(errors.values()), "; ")), fields=errors)
    return lot


def _refuse_if_closed(project: Project, now: datetime) -> None:
    if project.kind not in TENDERED_KINDS or project.bid_deadline is None or tender_of(project) is None:
        raise ValidationFailed(_l("This project does not take bids."))
    if bidding_closed(project, now):
        raise Conflict(_l("The deadline has passed (%(deadline)s): late bids are refused.",
                          deadline=local_label(project.bid_deadline)), code="late_bid")
    if project.status != ProjectStatus.OPEN:
        raise Conflict(_l("This project is not open for bids."))


def submit_bid(actor: User, project: Project, data: BidInput, *, now: datetime | None = None) -> Bid:
    """Submit a sealed bid for the actor's organisation (a withdrawn one comes back as a new revision)."""
    now = now or utcnow()
    org = _bidder_org(actor)
    _refuse_if_closed(project, now)
    problems = eligibility_problems(org, project, now)
    if problems:
        raise PermissionDenied(_l("Your organisation cannot bid for this project: %(reasons)s",
                                  reasons=Joined(problems)), code="not_eligible")
    lot = _check_bid(project, data)
    lot_seq = lot.seq if lot else 0
    bid = db.session.scalar(select(Bid).where(Bid.project_id == project.id, Bid.lot_seq == lot_seq,
                                              Bid.organization_id == org.id))
    if bid is not None and bid.status != BidStatus.WITHDRAWN:
        raise Conflict(_l("Your organisation has already bid; revise that bid instead."), code="duplicate_bid")
    resubmitted = bid is not None
    if bid is None:
        bid = Bid(project_id=project.id, lot_id=lot.id if lot else None, lot_seq=lot_seq, organization_id=org.id,
                  status=BidStatus.SUBMITTED, revision=1, seal=secrets.token_hex(16),
                  seal_nonce=secrets.token_hex(32))
        db.session.add(bid)
    else:
        bid.revision += 1
        bid.withdrawn_at = None
        bid.revised_at = now
    bid.submitted_by_id = actor.id
    bid.submitted_at = now
    bid.price_cents, bid.proposal, bid.team, bid.timeline = (data.price_cents, data.proposal.strip(),
                                                             data.team.strip(), data.timeline.strip())
    if resubmitted:
        _move_sealed(bid, BidStatus.SUBMITTED, "bid.submitted")
    else:
        _record_sealed("bid.submitted", bid)
    return bid


def _own_bid(actor: User, bid: Bid) -> None:
    if not policy.can(actor, "bid.manage", bid):
        raise NotFound(_l("Not found."))  # a bid's existence is sealed too


def revise_bid(actor: User, bid: Bid, data: BidInput, *, now: datetime | None = None) -> Bid:
    """Change a submitted bid before the deadline (same lot)."""
    now = now or utcnow()
    _own_bid(actor, bid)
    _refuse_if_closed(bid.project, now)
    if bid.status != BidStatus.SUBMITTED:
        raise IllegalTransition(_l("Only a submitted bid can be revised; submit a withdrawn one again."))
    lot = _check_bid(bid.project, BidInput(**{**data.__dict__, "lot_id": bid.lot_id}))
    assert (lot.seq if lot else 0) == bid.lot_seq
    bid.price_cents, bid.proposal, bid.team, bid.timeline = (data.price_cents, data.proposal.strip(),
                                                             data.team.strip(), data.timeline.strip())
    bid.revision += 1
    bid.revised_at = now
    _record_sealed("bid.revised", bid)
    return bid


def withdraw_bid(actor: User, bid: Bid, *, now: datetime | None = None) -> Bid:
    """Withdraw a bid before the deadline."""
    now = now or utcnow()
    _own_bid(actor, bid)
    _refuse_if_closed(bid.project, now)
    bid.withdrawn_at = now
    _move_sealed(bid, BidStatus.WITHDRAWN, "bid.withdrawn")
    return bid


# ---------------------------------------------------------------- attachments

Upload = files.Upload


def attachment_path(storage_root: str | Path, attachment: BidAttachment) -> Path:
    return files.stored_path(storage_root, ATTACHMENT_FOLDER, attachment.stored_name)


def check_upload(upload: Upload) -> files.CheckedFile:
    """Check a bid attachment's name, size and content (see :func:`market.core.files.check_upload`)."""
    return files.check_upload(upload, max_bytes=MAX_ATTACHMENT_BYTES, field_name="attachments")


def add_attachment(actor: User, bid: Bid, upload: Upload, storage_root: str | Path, *,
                   now: datetime | None = None) -> BidAttachment:
    """Attach a file to the actor's own bid before the deadline, after checking its type and size."""
    now = now or utcnow()
    _own_bid(actor, bid)
    _refuse_if_closed(bid.project, now)
    if bid.status != BidStatus.SUBMITTED:
        raise IllegalTransition(_l("Files can only be attached to a submitted bid."))
    if len(bid.attachments) >= MAX_ATTACHMENTS:
        raise ValidationFailed(_l("At most %(n)d files per bid.", n=MAX_ATTACHMENTS),
                               fields={"attachments": _l("Too many files.")})
    checked = check_upload(upload)
    stored_name = files.store(storage_root, ATTACHMENT_FOLDER, checked, upload.data)
    attachment = BidAttachment(bid=bid, filename=checked.name, stored_name=stored_name,
                               content_type=checked.content_type, size_bytes=checked.size_bytes,
                               sha256=checked.sha256, uploaded_at=now)
    db.session.add(attachment)
    bid.revision += 1
    bid.revised_at = now
    _record_sealed("bid.revised", bid)
    return attachment


def remove_attachment(actor: User, attachment: BidAttachment, storage_root: str | Path, *,
                      now: datetime | None = None) -> None:
    now = now or utcnow()
    bid = attachment.bid
    _own_bid(actor, bid)
    _refuse_if_closed(bid.project, now)
    path = attachment_path(storage_root, attachment)
    bid.attachments.remove(attachment)
    db.session.delete(attachment)
    bid.revision += 1
    bid.revised_at = now
    _record_sealed("bid.revised", bid)
    path.unlink(missing_ok=True)


def can_download(actor: User | None, attachment: BidAttachment, now: datetime) -> bool:
    return can_view_bid(actor, attachment.bid, now)


# ---------------------------------------------------------------- opening and review

def open_bids(actor: User, project: Project, *, now: datetime | None = None) -> Tender:
    """Open the bids after the deadline: one audited, public opening record (who, when, every bid with its
    price and time of submission, withdrawals; late bids refused are listed beside it).

    A request for quotation or competitive consultation with fewer than three valid bids (in any lot)
    fails: the project stays open without bids, the failure and its reason are public, and the
    officials publish it again (:func:`republish_tender`). Otherwise the project moves from open to
    evaluating. Opening twice is refused.
    """
    now = now or utcnow()
    if not reviews(actor, project):
        raise PermissionDenied(_l("Only officials responsible for this project's area can open its bids."))
    tender = tender_of(project)
    if project.bid_deadline is None or tender is None:
        raise ValidationFailed(_l("This project does not take bids."))
    if not bidding_closed(project, now):
        raise Conflict(_l("Bids stay sealed until the deadline (%(deadline)s).",
                          deadline=local_label(project.bid_deadline)), code="sealed")
    if tender.is_opened:
        raise Conflict(_l("The bids were already opened on %(when)s.", when=local_label(tender.opened_at)),
                       code="already_opened")
    every = list(db.session.scalars(select(Bid).where(Bid.project_id == project.id).order_by(Bid.lot_seq, Bid.id)))
    bids = [b for b in every if b.status != BidStatus.WITHDRAWN]
    tender.opened_at = now
    tender.opened_by_id = actor.id
    tender.opened_bid_count = len(bids)
    reason = _quorum_failure(tender, project, bids)
    opening = BidOpening(tender_id=tender.id, round=tender.round, method=tender.method, deadline=project.bid_deadline,
                         opened_at=now, opened_by_id=actor.id, valid_bid_count=len(bids),
                         entries=[_opening_entry(b) for b in every], failed=reason is not None,
                         failure_reason=str(reason) if reason is not None else "")
    db.session.add(opening)
    if reason is None and project.status == ProjectStatus.OPEN:
        transition(project, ProjectStatus.EVALUATING, actor=actor, action="project.bids_opened")
    record(actor, "tender.opened", tender, after={
        "project_id": project.id, "opened_at": now, "bid_count": len(bids), "round": tender.round,
        "failed": reason is not None,
        "bids": [{"seal": b.seal, "bid_id": b.id, "organization_id": b.organization_id, "lot_seq": b.lot_seq,
                  "price_cents": b.price_cents, "commitment": seal_digest(b)} for b in bids]})
    if reason is not None:
        if project.status == ProjectStatus.EVALUATING:  # a failed round leaves the project open for the next
            transition(project, ProjectStatus.OPEN, actor=actor, action="project.tender_failed")
        tender.failed_at = now
        tender.failure_reason = opening.failure_reason
        record(actor, "tender.failed", tender, after={"project_id": project.id, "round": tender.round,
                                                      "method": tender.method, "reason": tender.failure_reason})
        _notify_orgs({b.organization_id for b in bids}, "bids.tender_failed", project, now=now,
                     reason=tender.failure_reason)
    return tender


def _opening_entry(bid: Bid) -> dict[str, Any]:
    org = bid.organization
    withdrawn = bid.status == BidStatus.WITHDRAWN
    return {"organization_id": org.id, "name": org.name, "name_en": org.name_en, "lot_seq": bid.lot_seq,
            "price_cents": None if withdrawn else bid.price_cents, "submitted_at": bid.submitted_at.isoformat(),
            "withdrawn_at": bid.withdrawn_at.isoformat() if withdrawn and bid.withdrawn_at else None}


def _quorum_failure(tender: Tender, project: Project, bids: list[Bid]) -> Any:
    """Why the round fails for lack of valid bids, or None."""
    if tender.method not in procurement.QUORUM_METHODS:
        return None
    lots = lots_of(project)
    counts = {lot.seq: 0 for lot in lots} if lots else {0: 0}
    for bid in bids:
        counts[bid.lot_seq] = counts.get(bid.lot_seq, 0) + 1
    short = {seq: n for seq, n in counts.items() if n < procurement.QUORUM}
    if not short:
        return None
    if lots:
        return _l("%(method)s needs at least %(n)d valid bids; too few came for lot(s) %(lots)s.",
                  method=tender.method.lazy_label, n=procurement.QUORUM, lots=", ".join(str(s) for s in sorted(short)))
    return _l("%(method)s needs at least %(n)d valid bids; %(have)d came.", method=tender.method.lazy_label,
              n=procurement.QUORUM, have=counts[0])


def record_late_attempt(actor: User, project: Project, *, now: datetime | None = None) -> LateBidAttempt | None:
    """Note a bid refused for coming after the deadline (its organisation and time), for the opening record.

    Called by the bidding page after the refusal (which wrote nothing); only attempts by members of a
    provider organisation on a tender whose deadline has passed are kept.
    """
    now = now or utcnow()
    tender = tender_of(project)
    # Only between the deadline and the opening, once per organisation, and only for an organisation that
    # could have bid and has no bid in: the published record cannot be padded afterwards or by anyone.
    if (tender is None or actor.role != Role.PROVIDER or actor.organization_id is None
            or not bidding_closed(project, now) or tender.opened_at is not None
            or project.status != ProjectStatus.OPEN):
        return None
    org_id = actor.organization_id
    if tender.method in procurement.INVITATION_METHODS and not is_invited(actor.organization, project):
        return None
    noted = db.session.scalar(select(LateBidAttempt.id).where(
        LateBidAttempt.project_id == project.id, LateBidAttempt.round == tender.round,
        LateBidAttempt.organization_id == org_id).limit(1))
    has_bid = db.session.scalar(select(Bid.id).where(Bid.project_id == project.id, Bid.organization_id == org_id,
                                                      Bid.status != BidStatus.WITHDRAWN).limit(1))
    if noted is not None or has_bid is not None:
        return None
    attempt = LateBidAttempt(project_id=project.id, round=tender.round, organization_id=actor.organization_id,
                             user_id=actor.id, attempted_at=now)
    db.session.add(attempt)
    db.session.flush()
    record(actor, "bid.refused_late", attempt, after={"project_id": project.id, "round": tender.round,
                                                       "organization_id": actor.organization_id,
                                                       "attempted_at": now})
    return attempt


def openings_of(project: Project) -> list[BidOpening]:
    """The opening records of every round, newest first (public once made)."""
    tender = tender_of(project)
    if tender is None:
        return []
    return list(db.session.scalars(select(BidOpening).where(BidOpening.tender_id == tender.id)
                                   .order_by(BidOpening.round.desc())))


def late_attempts(project: Project, round_: int) -> list[LateBidAttempt]:
    return list(db.session.scalars(select(LateBidAttempt).where(LateBidAttempt.project_id == project.id,
                                                                 LateBidAttempt.round == round_)
                                   .order_by(LateBidAttempt.attempted_at, LateBidAttempt.id)))


@dataclass(frozen=True)
class RepublishInput:
    """A failed tender published again: a new deadline, and (with a public reason) maybe another method."""

    bid_deadline: datetime
    method: ProcurementMethod
    reason: str = ""
    invited_org_ids: tuple[int, ...] = ()


def republish_tender(actor: User, project: Project, data: RepublishInput, *,
                     now: datetime | None = None) -> Tender:
    """Publish a failed tender again for a new round; bids of the failed round go back to their bidders.

    Switching the method needs a public reason (the method's own rules apply as at publication).
    """
    now = now or utcnow()
    policy.require(actor, "tender.publish", project)
    tender = tender_of(project)
    if tender is None or not tender.has_failed:
        raise Conflict(_l("Only a tender that failed at its opening can be published again."), code="not_failed")
    if project.status != ProjectStatus.OPEN:
        raise IllegalTransition(_l("This project is no longer open."))
    if data.bid_deadline.tzinfo is None:
        raise ValueError("bid_deadline: use an aware datetime")
    switched = data.method != tender.method
    invited = sorted(set(data.invited_org_ids)) if switched or data.invited_org_ids else invited_ids(project)
    errors: dict[str, Any] = {}
    if data.bid_deadline <= now:
        errors["bid_deadline"] = _l("The deadline must be in the future.")
    elif data.bid_deadline > now + MAX_BIDDING_PERIOD:
        errors["bid_deadline"] = _l("The deadline can be at most %(days)d days ahead.", days=MAX_BIDDING_PERIOD.days)
    if switched and len(data.reason.strip()) < 10:
        errors["reason"] = _l("Give the public reason for switching the method (at least 10 characters).")
    reason = data.reason.strip() if switched else (data.reason.strip() or tender.method_reason)
    problems = procurement.method_problems(project, data.method, reason, tuple(invited),
                                           procurement.project_settings(project))
    errors.update({("reason" if k == "method_reason" else k): v for k, v in problems.items()})
    if errors:
        raise ValidationFailed(_l("Please correct the marked fields."), fields=errors)
    before = {"round": tender.round, "method": tender.method, "method_reason": tender.method_reason,
              "bid_deadline": project.bid_deadline, "invited_org_ids": invited_ids(project),
              "failure_reason": tender.failure_reason}
    returned = list(db.session.scalars(select(Bid).where(Bid.project_id == project.id,
                                                         Bid.status == BidStatus.SUBMITTED).order_by(Bid.id)))
    for bid in returned:
        bid.withdrawn_at = now
        transition(bid, BidStatus.WITHDRAWN, actor=actor, action="bid.returned",
                   after={"project_id": project.id, "round": tender.round})
    tender.round += 1
    tender.opened_at = tender.opened_by_id = tender.opened_bid_count = None
    tender.failed_at, tender.failure_reason = None, ""
    _set_method(actor, project, tender, data.method, reason, invited, now)
    project.bid_deadline = data.bid_deadline
    record(actor, "tender.method_switched" if switched else "tender.republished", tender, before=before,
           after={"round": tender.round, "method": tender.method, "method_reason": tender.method_reason,
                  "bid_deadline": project.bid_deadline, "invited_org_ids": invited,
                  "notice_ends_at": tender.notice_ends_at, "returned_bids": [b.id for b in returned],
                  "project_id": project.id})
    _notify_orgs({b.organization_id for b in returned} | set(invited), "bids.tender_republished", project,
                 now=now, deadline_at=project.bid_deadline.isoformat())
    return tender


def award_blockers(project: Project, now: datetime) -> list[Any]:
    """Why no award may be made for ``project`` now under its procurement method (empty: none)."""
    tender = tender_of(project)
    if tender is None:
        return []
    reasons: list[Any] = []
    if tender.has_failed:
        reasons.append(_l("The tender failed at its opening (%(reason)s); publish it again or switch the method.",
                          reason=tender.failure_reason))
    if tender.method == ProcurementMethod.SINGLE_SOURCE and tender.notice_ends_at is not None \
            and now < tender.notice_ends_at:
        reasons.append(_l("The single-source notice runs until %(end)s; no award before it ends.",
                          end=local_label(tender.notice_ends_at)))
    return reasons


def bids_for_review(actor: User, project: Project, now: datetime | None = None) -> list[Bid]:
    """The opened bids of a project, for its reviewing officials."""
    now = now or utcnow()
    if not reviews(actor, project):
        raise PermissionDenied(_l("You do not review this project."))
    tender = tender_of(project)
    if tender is None or not tender.is_opened or not bidding_closed(project, now):
        raise Conflict(_l("The bids have not been opened yet."), code="sealed")
    return list(db.session.scalars(select(Bid).where(Bid.project_id == project.id)
                                   .order_by(Bid.lot_seq, Bid.price_cents, Bid.id)))


def my_bids(actor: User) -> Select:
    """The bids of the actor's organisation, newest first (nothing for non-providers)."""
    stmt = select(Bid).order_by(Bid.submitted_at.desc(), Bid.id.desc())
    if actor.role != Role.PROVIDER or actor.organization_id is None:
        return stmt.where(False)
    return stmt.where(Bid.organization_id == actor.organization_id)


def bid_by_seal(seal: str) -> Bid:
    bid = db.session.scalar(select(Bid).where(Bid.seal == seal)) if len(seal) <= 32 else None
    if bid is None:
        raise NotFound(_l("Not found."))
    return bid


def projects_awaiting_opening(actor: User, now: datetime) -> Select:
    """Tendered projects past their deadline whose bids the actor may open and has not."""
    stmt = (select(Project).join(Tender, Tender.project_id == Project.id)
            .where(Project.kind.in_(TENDERED_KINDS), Project.status == ProjectStatus.OPEN,
                   Project.bid_deadline.is_not(None), Project.bid_deadline <= now, Tender.opened_at.is_(None))
            .order_by(Project.bid_deadline, Project.id))
    return limit_to_jurisdiction(stmt, actor, Project.street_id, Project.district_id)


# ---------------------------------------------------------------- tender documents

def documents_of(project: Project) -> list[TenderDocument]:
    return list(db.session.scalars(select(TenderDocument).where(TenderDocument.project_id == project.id)
                                   .order_by(TenderDocument.id)))


def _documents_open(project: Project, now: datetime) -> None:
    if project.kind not in TENDERED_KINDS:
        raise ValidationFailed(_l("This project does not take bids."))
    if project.status == ProjectStatus.DRAFT:
        return
    if project.status != ProjectStatus.OPEN or tender_of(project) is None or bidding_closed(project, now):
        raise Conflict(_l("The tender documents can change only until the deadline."), code="deadline_passed")


def add_tender_document(actor: User, project: Project, upload: files.Upload, storage_root: str | Path, *,
                        now: datetime | None = None) -> TenderDocument:
    """Attach a tender document (checked type and size) before the deadline; anyone may download it once
    the tender is published."""
    now = now or utcnow()
    policy.require(actor, "tender.publish", project)
    _documents_open(project, now)
    if len(documents_of(project)) >= MAX_DOCUMENTS:
        raise ValidationFailed(_l("At most %(n)d documents per tender.", n=MAX_DOCUMENTS),
                               fields={"documents": _l("Too many files.")})
    checked = files.check_upload(upload, max_bytes=MAX_DOCUMENT_BYTES, field_name="documents")
    stored_name = files.store(storage_root, DOCUMENT_FOLDER, checked, upload.data)
    document = TenderDocument(project_id=project.id, filename=checked.name, stored_name=stored_name,
                              content_type=checked.content_type, size_bytes=checked.size_bytes,
                              sha256=checked.sha256, uploaded_by_id=actor.id, uploaded_at=now)
    db.session.add(document)
    db.session.flush()
    record(actor, "tender.document_added", document, after={"project_id": project.id, "filename": checked.name,
                                                            "sha256": checked.sha256, "size_bytes": checked.size_bytes})
    return document


def remove_tender_document(actor: User, document: TenderDocument, storage_root: str | Path, *,
                           now: datetime | None = None) -> None:
    now = now or utcnow()
    project = document.project
    policy.require(actor, "tender.publish", project)
    _documents_open(project, now)
    path = document_path(storage_root, document)
    record(actor, "tender.document_removed", document, before={"project_id": project.id,
                                                               "filename": document.filename,
                                                               "sha256": document.sha256})
    db.session.delete(document)
    db.session.flush()
    path.unlink(missing_ok=True)


def document_path(storage_root: str | Path, document: TenderDocument) -> Path:
    return files.stored_path(storage_root, DOCUMENT_FOLDER, document.stored_name)


def document_by_name(stored_name: str) -> TenderDocument | None:
    return db.session.scalar(select(TenderDocument).where(TenderDocument.stored_name == stored_name[:80]))


# ---------------------------------------------------------------- clarifications

def clarifications_for(actor: User | None, project: Project) -> list[Clarification]:
    """What ``actor`` may read of the project's clarifications: the published ones; the asking
    organisation's own questions; every question for the project's officials."""
    rows = db.session.scalars(select(Clarification).where(Clarification.project_id == project.id)
                              .order_by(Clarification.published_at.is_(None), Clarification.published_at,
                                        Clarification.id))
    return [c for c in rows if policy.can(actor, "clarification.view", c)]


def _text(value: str, limits: tuple[int, int], field_name: str, what: Any) -> str:
    text = (value or "").strip()
    if not limits[0] <= len(text) <= limits[1]:
        raise ValidationFailed(_l("Please correct the marked fields."), fields={field_name: _l(
            "%(what)s: between %(low)d and %(high)d characters.", what=what, low=limits[0], high=limits[1])})
    return text


def ask_clarification(actor: User, project: Project, question: str, *,
                      now: datetime | None = None) -> Clarification:
    """A provider member's private question on a tender, before its deadline."""
    now = now or utcnow()
    policy.require(actor, "clarification.ask")
    if actor.organization_id is None or not policy.can(actor, "project.view", project):
        raise PermissionDenied(_l("Only members of a provider organisation ask questions about a tender."))
    if not accepts_bids(project, now):
        raise Conflict(_l("Questions are taken only while the tender takes bids."), code="closed")
    tender = tender_of(project)
    if (tender is not None and tender.method in procurement.INVITATION_METHODS
            and not is_invited(actor.organization, project)):
        raise PermissionDenied(_l("This is an invited tender: only the invited organisations ask questions about "
                                  "it."), code="not_invited")
    text = _text(question, QUESTION_CHARS, "question", _l("Question"))
    waiting = db.session.scalar(select(func.count(Clarification.id)).where(
        Clarification.project_id == project.id, Clarification.organization_id == actor.organization_id,
        Clarification.published_at.is_(None))) or 0
    if waiting >= MAX_OPEN_QUESTIONS:
        raise Conflict(_l("Your organisation has %(n)d questions waiting for an answer; wait for them first.",
                          n=waiting), code="too_many_questions")
    clarification = Clarification(project_id=project.id, asked_by_id=actor.id,
                                  organization_id=actor.organization_id, question=text, asked_at=now)
    db.session.add(clarification)
    db.session.flush()
    record(actor, "clarification.asked", clarification, after={"project_id": project.id, "length": len(text)})
    return clarification


def answer_clarification(actor: User, clarification: Clarification, answer: str, *,
                         now: datetime | None = None) -> Clarification:
    """Answer a question and publish question and answer to all at once (without who asked)."""
    now = now or utcnow()
    policy.require(actor, "clarification.answer", clarification.project)
    if clarification.is_published:
        raise Conflict(_l("This question was answered on %(when)s.", when=local_label(clarification.published_at)),
                       code="already_answered")
    return _publish(actor, clarification, _text(answer, ANSWER_CHARS, "answer", _l("Answer")), now)


def publish_clarification(actor: User, project: Project, subject: str, answer: str, *,
                          now: datetime | None = None) -> Clarification:
    """A clarification the officials publish on their own (a correction or addition to the tender)."""
    now = now or utcnow()
    policy.require(actor, "clarification.answer", project)
    subject_text = (subject or "").strip()
    if len(subject_text) > QUESTION_CHARS[1]:
        raise ValidationFailed(_l("Please correct the marked fields."),
                               fields={"question": _l("At most %(n)d characters.", n=QUESTION_CHARS[1])})
    clarification = Clarification(project_id=project.id, question=subject_text, asked_at=now)
    clarification.project = project
    text = _text(answer, ANSWER_CHARS, "answer", _l("Answer"))
    db.session.add(clarification)
    return _publish(actor, clarification, text, now)


def _publish(actor: User, clarification: Clarification, answer: str, now: datetime) -> Clarification:
    project = clarification.project
    if not accepts_bids(project, now):
        raise Conflict(_l("Clarifications are published only while the tender takes bids."), code="closed")
    clarification.answer = answer
    clarification.answered_by_id = actor.id
    clarification.published_at = now
    days = procurement.project_settings(project).clarification_days
    extended_to = add_working_days(now, days)
    before_deadline = project.bid_deadline
    if before_deadline is not None and before_deadline < extended_to:
        # Bidders get the same time to take the answer into account however late it came.
        project.bid_deadline = extended_to
        clarification.deadline_extended_to = extended_to
    db.session.flush()
    record(actor, "clarification.published", clarification, after={
        "project_id": project.id, "question": clarification.question, "answer": answer,
        "deadline_extended_to": clarification.deadline_extended_to})
    if clarification.deadline_extended_to is not None:
        tender = tender_of(project)
        record(actor, "tender.deadline_extended", tender, before={"bid_deadline": before_deadline},
               after={"bid_deadline": project.bid_deadline, "clarification_id": clarification.id,
                      "working_days": days, "project_id": project.id})
    bidders = set(db.session.scalars(select(Bid.organization_id).where(Bid.project_id == project.id,
                                                                      Bid.status == BidStatus.SUBMITTED)))
    asked = {c for c in db.session.scalars(select(Clarification.organization_id).where(
        Clarification.project_id == project.id, Clarification.organization_id.is_not(None)))}
    orgs = bidders | asked | set(invited_ids(project))
    _notify_orgs(orgs, "bids.clarification_published", project, now=now)
    if clarification.deadline_extended_to is not None:
        _notify_orgs(orgs, "bids.deadline_extended", project, now=now,
                     deadline_at=project.bid_deadline.isoformat())
    return clarification
