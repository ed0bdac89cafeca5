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
from datetime import datetime
from pathlib import Path
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, func, select

from market.accounts.models import Role, User
from market.bids.models import Bid, BidAttachment, BidStatus, Lot, Tender
from market.core import policy
from market.core.audit import record
from market.core.calendar import local_label
from market.core.db import db, utcnow
from market.core.errors import Conflict, IllegalTransition, NotFound, PermissionDenied, ValidationFailed
from market.core.money import money
from market.core.state import transition
from market.geo.models import Category
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
MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024
# Allowed attachment types: extension -> (MIME type served, magic prefixes the content must start with).
ATTACHMENT_TYPES: dict[str, tuple[str, tuple[bytes, ...]]] = {
    "pdf": ("application/pdf", (b"%PDF-",)),
    "png": ("image/png", (b"\x89PNG\r\n\x1a\n",)),
    "jpg": ("image/jpeg", (b"\xff\xd8\xff",)),
    "jpeg": ("image/jpeg", (b"\xff\xd8\xff",)),
    "docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", (b"PK\x03\x04",)),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", (b"PK\x03\x04",)),
    "doc": ("application/msword", (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",)),
    "xls": ("application/vnd.ms-excel", (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",)),
}
ATTACHMENT_FOLDER = "bid_attachments"


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


def default_criteria() -> list[dict[str, Any]]:
    return [{"name": c["name"], "name_en": c["name_en"], "weight": c["weight"]} for c in DEFAULT_CRITERIA]


def _check_tender(project: Project, data: TenderInput, now: datetime, published: bool) -> None:
    """Sealed means sealed: the answer never depends on whether anyone has bid."""
    errors: dict[str, Any] = {}
    if data.bid_deadline.tzinfo is None:
        raise ValueError("bid_deadline: use an aware datetime")
    if data.bid_deadline <= now:
        errors["bid_deadline"] = _l("The deadline must be in the future.")
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
    if errors:
        raise ValidationFailed(_l("Please correct the marked fields."), fields=errors)


def _lot_snapshot(lots: list[Lot]) -> list[dict[str, Any]]:
    return [{"seq": lot.seq, "title": lot.title, "budget_cents": lot.budget_cents, "category_id": lot.category_id}
            for lot in lots]


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
    if tender is None:
        tender = Tender(project_id=project.id, published_by_id=actor.id)
        db.session.add(tender)
    else:
        before = {"requirements": tender.requirements, "criteria": tender.criteria,
                  "bid_deadline": project.bid_deadline, "lots": _lot_snapshot(lots_of(project))}
    tender.requirements = data.requirements.strip()
    tender.requirements_en = data.requirements_en.strip()
    tender.criteria = [{"name": c.name.strip(), "name_en": c.name_en.strip(), "weight": c.weight}
                       for c in data.criteria if c.name.strip()]
    project.bid_deadline = data.bid_deadline
    wanted = [lot for lot in data.lots if lot.title.strip() or lot.budget_cents]
    existing = lots_of(project)
    current = [(lot.title, lot.budget_cents, lot.category_id) for lot in existing]
    if [(w.title.strip(), w.budget_cents, w.category_id) for w in wanted] != current:
        if before is not None:
            raise Conflict(_l("Once the tender is published its lots cannot change: bidders prepare for them."),
                           fields={"lots": _l("Locked.")})
        for lot in existing:
            db.session.delete(lot)
        db.session.flush()
        for seq, lot in enumerate(wanted, start=1):
            db.session.add(Lot(project_id=project.id, seq=seq, title=lot.title.strip(), title_en=lot.title_en.strip(),
                               description=lot.description, description_en=lot.description_en,
                               budget_cents=lot.budget_cents, category_id=lot.category_id))
    if project.status == ProjectStatus.DRAFT:
        project.published_at = now
        transition(project, ProjectStatus.OPEN, actor=actor, action="project.published")
    db.session.flush()
    record(actor, "tender.published" if before is None else "tender.amended", tender, before=before,
           after={"requirements": tender.requirements, "criteria": tender.criteria,
                  "bid_deadline": project.bid_deadline, "lots": _lot_snapshot(lots_of(project))})
    return tender


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

@dataclass(frozen=True)
class Upload:
    """A file as the route read it: name, bytes (at most MAX_ATTACHMENT_BYTES + 1)."""

    filename: str
    data: bytes


def attachment_path(storage_root: str | Path, attachment: BidAttachment) -> Path:
    return Path(storage_root) / ATTACHMENT_FOLDER / attachment.stored_name


def _safe_name(filename: str) -> str:
    name = Path(filename.replace("\\", "/")).name.strip()
    name = "".join(ch for ch in name if ch.isprintable() and ch not in '<>:"/\\|?*')
    return name[-150:] or "attachment"


def check_upload(upload: Upload) -> tuple[str, str, str]:
    """Check an upload's name, size and content; return ``(safe name, extension, MIME type)``."""
    name = _safe_name(upload.filename)
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    field_name = "attachments"
    if extension not in ATTACHMENT_TYPES:
        raise ValidationFailed(_l("%(name)s: this kind of file is not accepted.", name=name),
                               fields={field_name: _l("Accepted: %(types)s.", types=", ".join(sorted(ATTACHMENT_TYPES)))})
    if not upload.data:
        raise ValidationFailed(_l("%(name)s is empty.", name=name), fields={field_name: _l("The file is empty.")})
    if len(upload.data) > MAX_ATTACHMENT_BYTES:
        raise ValidationFailed(_l("%(name)s is too large.", name=name),
                               fields={field_name: _l("At most %(mb)d MB.", mb=MAX_ATTACHMENT_BYTES // (1024 * 1024))})
    content_type, magics = ATTACHMENT_TYPES[extension]
    if not any(upload.data.startswith(magic) for magic in magics):
        raise ValidationFailed(_l("%(name)s: the content does not match the file's name.", name=name),
                               fields={field_name: _l("The file's content does not match its name.")})
    return name, extension, content_type


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
    name, extension, content_type = check_upload(upload)
    stored_name = f"{secrets.token_hex(16)}.{extension}"
    target = Path(storage_root) / ATTACHMENT_FOLDER
    target.mkdir(parents=True, exist_ok=True)
    (target / stored_name).write_bytes(upload.data)
    attachment = BidAttachment(bid=bid, filename=name, stored_name=stored_name, content_type=content_type,
                               size_bytes=len(upload.data), sha256=hashlib.sha256(upload.data).hexdigest(),
                               uploaded_at=now)
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
    """Open the bids after the deadline: one audited record of who, when and how many.

    The project moves from open to evaluating. Opening twice is refused.
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
    bids = list(db.session.scalars(select(Bid).where(Bid.project_id == project.id,
                                                     Bid.status != BidStatus.WITHDRAWN).order_by(Bid.id)))
    tender.opened_at = now
    tender.opened_by_id = actor.id
    tender.opened_bid_count = len(bids)
    if project.status == ProjectStatus.OPEN:
        transition(project, ProjectStatus.EVALUATING, actor=actor, action="project.bids_opened")
    record(actor, "tender.opened", tender, after={
        "project_id": project.id, "opened_at": now, "bid_count": len(bids),
        "bids": [{"seal": b.seal, "bid_id": b.id, "organization_id": b.organization_id, "lot_seq": b.lot_seq,
                  "price_cents": b.price_cents, "commitment": seal_digest(b)} for b in bids]})
    return tender


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
    if actor.role == Role.OFFICIAL and actor.street_id is not None:
        stmt = stmt.where(Project.street_id == actor.street_id)
    return stmt
