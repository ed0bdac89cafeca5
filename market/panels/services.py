"""The evaluation stage of a tender, each operation with an explicit actor and ``now``.

* **Expert pool** (专家库): district officials keep the experts, their fields (categories), their
  employment history and the relationships they declared; every change is audited.
* **Panel draw**: after the bids are opened an official of the project's street draws an odd-sized
  panel at random from the experts of the project's category who have no conflict with any bidder
  (see :func:`conflicts`). The draw is ``random.Random(seed).sample(sorted eligible ids, size)``
  with a seed from :mod:`secrets`; seed, eligible and excluded experts (with the reason) and the
  result go into the draw's row and its audit event, so anyone can recompute it
  (:func:`verify_draw`).
* **Scores**: the official records the panel's sheets, every member's score (0–100) per
  published criterion for every valid bid, and the panel's reasons per bid. A member's total is
  the criteria weighted by their published weights; a bid's total is the mean over the members.
* **Candidate notice** (中标候选人公示): up to three candidates per lot with their scores and the
  reasons, open to complaints (质疑) from bidders for :data:`COMPLAINT_WORKING_DAYS` working days.
  An upheld complaint lets the official re-score and publish a new notice (the old one is kept,
  superseded). :func:`award_blockers` says why the award must still wait.
"""
from __future__ import annotations

import random
import re
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, func, select

from market.accounts.models import User
from market.accounts.services import find_user_by_email
from market.bids.models import Bid, BidStatus, Lot
from market.bids.procurement import district_of
from market.bids.services import TENDERED_KINDS, tender_of
from market.core import policy
from market.core.audit import AuditEvent, record
from market.core.calendar import add_working_days, local_date, local_label
from market.core.db import db, utcnow
from market.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from market.core.state import transition
from market.geo.models import Category
from market.geo.services import only_district_id
from market.orgs.models import Organization
from market.panels.models import (
    BidReason,
    CandidateNotice,
    Complaint,
    ComplaintStatus,
    Evaluation,
    Expert,
    ExpertEmployment,
    ExpertRelationship,
    NoticeStatus,
    PanelDraw,
    PanelScore,
    RecordStatus,
)
from market.projects.models import Project, ProjectStatus

#: Panel sizes an official may choose (odd, so that a panel never splits evenly).
PANEL_SIZES = (3, 5, 7, 9)
#: Having worked for a bidder within this many years is a conflict of interest.
CONFLICT_YEARS = 3
#: Working days during which bidders may complain about a candidate notice.
COMPLAINT_WORKING_DAYS = 3
#: Candidates published per lot.
MAX_CANDIDATES = 3
MIN_REASON, MAX_TEXT = 5, 5000
MIN_COMPLAINT = 10
PHONE = re.compile(r"^[0-9+\-() ]{0,40}$")

#: Why an expert may not sit on a panel, by code (the codes go into the audit trail).
CONFLICTS: dict[str, Any] = {
    "bidder_employee": _l("works for a bidder"),
    "recent_employment": _l("worked for a bidder within the last %(years)d years", years=CONFLICT_YEARS),
    "declared_relationship": _l("declared a relationship with a bidder"),
    "procuring_organisation": _l("works for the procuring organisation"),
    "replaced": _l("replaced on this panel before"),
    "on_panel": _l("already on the panel"),
}


# ---------------------------------------------------------------- the expert pool

@dataclass(frozen=True)
class ExpertInput:
    name: str
    category_ids: tuple[int, ...]
    title: str = ""
    phone: str = ""
    organization_id: int | None = None
    user_email: str = ""
    name_en: str = ""
    title_en: str = ""
    is_active: bool = True


def _expert_facts(expert: Expert) -> dict[str, Any]:
    return {"name": expert.name, "name_en": expert.name_en, "title": expert.title, "title_en": expert.title_en,
            "phone": expert.phone, "organization_id": expert.organization_id, "user_id": expert.user_id,
            "is_active": expert.is_active, "category_ids": sorted(c.id for c in expert.categories),
            "employments": [{"organization_id": e.organization_id, "started_on": e.started_on,
                             "ended_on": e.ended_on} for e in expert.employments],
            "relationships": [{"organization_id": r.organization_id, "note": r.note} for r in expert.relationships]}


def _organisation(org_id: int | None, field_name: str, errors: dict[str, Any]) -> Organization | None:
    if org_id is None:
        return None
    org = db.session.get(Organization, org_id)
    if org is None:
        errors[field_name] = _l("Unknown organisation.")
    return org


def _apply_expert(expert: Expert, data: ExpertInput) -> None:
    errors: dict[str, Any] = {}
    name = data.name.strip()
    if not name:
        errors["name"] = _l("Enter the expert's name.")
    elif len(name) > 100:
        errors["name"] = _l("At most %(n)d characters.", n=100)
    if not PHONE.match(data.phone.strip()):
        errors["phone"] = _l("Digits, spaces, +, - and brackets only.")
    categories = [db.session.get(Category, cid) for cid in dict.fromkeys(data.category_ids)]
    if not categories:
        errors["category_ids"] = _l("Choose at least one field of expertise.")
    elif any(c is None for c in categories):
        errors["category_ids"] = _l("Unknown category.")
    _organisation(data.organization_id, "organization_id", errors)
    user = None
    if data.user_email.strip():
        user = find_user_by_email(data.user_email.strip())
        if user is None:
            errors["user_email"] = _l("No account has this e-mail address; leave it empty if the expert has none.")
        elif db.session.scalar(select(Expert.id).where(Expert.user_id == user.id, Expert.id != (expert.id or 0))):
            errors["user_email"] = _l("This account is already linked to another expert.")
    if errors:
        raise ValidationFailed(_l("Please correct the marked fields."), fields=errors)
    expert.name, expert.name_en = name, data.name_en.strip()[:100]
    expert.title, expert.title_en = data.title.strip()[:200], data.title_en.strip()[:200]
    expert.phone = data.phone.strip()
    expert.organization_id = data.organization_id
    expert.user_id = user.id if user is not None else None
    expert.is_active = data.is_active
    expert.categories = [c for c in categories if c is not None]


def create_expert(actor: User, data: ExpertInput) -> Expert:
    """Add an expert to the pool (audited)."""
    policy.require(actor, "experts.manage")
    expert = Expert(district_id=getattr(actor, "district_id", None) or only_district_id())
    _apply_expert(expert, data)
    db.session.add(expert)
    db.session.flush()
    record(actor, "expert.created", expert, after=_expert_facts(expert))
    return expert


def update_expert(actor: User, expert: Expert, data: ExpertInput) -> Expert:
    """Change an expert's details (audited with the details before and after)."""
    policy.require(actor, "experts.manage", expert)
    before = _expert_facts(expert)
    _apply_expert(expert, data)
    db.session.flush()
    record(actor, "expert.updated", expert, before=before, after=_expert_facts(expert))
    return expert


@dataclass(frozen=True)
class EmploymentInput:
    organization_id: int | None
    started_on: date | None
    ended_on: date | None = None


def add_employment(actor: User, expert: Expert, data: EmploymentInput) -> ExpertEmployment:
    """Add a period of employment to an expert's history (audited)."""
    policy.require(actor, "experts.manage", expert)
    errors: dict[str, Any] = {}
    if data.organization_id is None:
        errors["organization_id"] = _l("Choose the organisation.")
    _organisation(data.organization_id, "organization_id", errors)
    if data.started_on is None:
        errors["started_on"] = _l("Enter when the employment began.")
    elif data.ended_on is not None and data.ended_on < data.started_on:
        errors["ended_on"] = _l("The end cannot be before the start.")
    if errors:
        raise ValidationFailed(_l("Please correct the marked fields."), fields=errors)
    before = _expert_facts(expert)
    employment = ExpertEmployment(organization_id=data.organization_id, started_on=data.started_on,
                                  ended_on=data.ended_on)
    expert.employments.append(employment)
    db.session.flush()
    record(actor, "expert.employment_added", expert, before=before, after=_expert_facts(expert))
    return employment


def _remove_fact(actor: User, expert: Expert, facts: list[Any], fact: Any, action: str) -> None:
    """Remove one recorded fact (an employment, a relationship) from the expert's profile, audited."""
    policy.require(actor, "experts.manage", expert)
    before = _expert_facts(expert)
    facts.remove(fact)
    db.session.flush()
    record(actor, action, expert, before=before, after=_expert_facts(expert))


def remove_employment(actor: User, employment: ExpertEmployment) -> None:
    expert = employment.expert
    _remove_fact(actor, expert, expert.employments, employment, "expert.employment_removed")


def add_relationship(actor: User, expert: Expert, organization_id: int | None, note: str) -> ExpertRelationship:
    """Record a relationship the expert declared with an organisation (audited)."""
    policy.require(actor, "experts.manage", expert)
    errors: dict[str, Any] = {}
    if organization_id is None:
        errors["organization_id"] = _l("Choose the organisation.")
    _organisation(organization_id, "organization_id", errors)
    note = (note or "").strip()
    if len(note) < MIN_REASON:
        errors["note"] = _l("Say what the relationship is.")
    elif len(note) > 2000:
        errors["note"] = _l("At most %(n)d characters.", n=2000)
    if errors:
        raise ValidationFailed(_l("Please correct the marked fields."), fields=errors)
    before = _expert_facts(expert)
    relationship = ExpertRelationship(organization_id=organization_id, note=note)
    expert.relationships.append(relationship)
    db.session.flush()
    record(actor, "expert.relationship_declared", expert, before=before, after=_expert_facts(expert))
    return relationship


def remove_relationship(actor: User, relationship: ExpertRelationship) -> None:
    expert = relationship.expert
    _remove_fact(actor, expert, expert.relationships, relationship, "expert.relationship_removed")


def experts_query(actor: User, *, category_id: int | None = None, text: str = "") -> Select:
    """The pool ``actor`` manages (an official's district's; every district's for administrators), by
    name; filtered by field of expertise and by a piece of the name or title."""
    stmt = select(Expert).order_by(Expert.is_active.desc(), Expert.name, Expert.id)
    district = policy.district_filter(actor)
    if district is not None:
        stmt = stmt.where(Expert.district_id == district)
    if category_id is not None:
        stmt = stmt.where(Expert.categories.any(Category.id == category_id))
    text = text.strip()[:50]
    if text:
        like = f"%{text}%"
        stmt = stmt.where(Expert.name.ilike(like) | Expert.name_en.ilike(like) | Expert.title.ilike(like)
                          | Expert.title_en.ilike(like))
    return stmt


# ---------------------------------------------------------------- conflicts and the draw

def valid_bids(project: Project) -> list[Bid]:
    """The bids in the evaluation: every bid not withdrawn, by lot and id."""
    return list(db.session.scalars(select(Bid).where(Bid.project_id == project.id, Bid.status != BidStatus.WITHDRAWN)
                                   .order_by(Bid.lot_seq, Bid.id)))


def bidder_ids(project: Project) -> set[int]:
    return {bid.organization_id for bid in valid_bids(project)}


def procuring_ids(project: Project) -> set[int]:
    """The organisation buying the service: the project's, and its owner's department."""
    owner = db.session.get(User, project.owner_id)
    return {i for i in (project.organization_id, owner.organization_id if owner else None) if i is not None}


def _years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def conflicts(expert: Expert, bidders: set[int], procuring: set[int], on: date) -> list[str]:
    """The codes (keys of :data:`CONFLICTS`) of why ``expert`` may not judge these bidders on ``on``."""
    reasons = []
    # The organisation of the expert's own account counts as where they work, whatever the profile says.
    account_org = expert.user.organization_id if expert.user is not None else None
    if {expert.organization_id, account_org} & bidders:
        reasons.append("bidder_employee")
    since = _years_before(on, CONFLICT_YEARS)
    if any(e.organization_id in bidders and (e.ended_on is None or e.ended_on >= since) for e in expert.employments):
        reasons.append("recent_employment")
    if any(r.organization_id in bidders for r in expert.relationships):
        reasons.append("declared_relationship")
    employed_now = {e.organization_id for e in expert.employments if e.ended_on is None or e.ended_on >= on}
    employed_now |= {org for org in (expert.organization_id, account_org) if org is not None}
    if employed_now & procuring:
        reasons.append("procuring_organisation")
    return reasons


def draw_members(seed: str, eligible_ids: Iterable[int], size: int) -> list[int]:
    """The experts drawn: ``random.Random(seed).sample(sorted(eligible_ids), size)``.

    Deterministic: anyone with the seed and the eligible ids gets the same panel.

    >>> draw_members("a1b2", [5, 3, 9, 1], 3) == draw_members("a1b2", [1, 3, 5, 9], 3)
    True
    """
    pool = sorted(set(eligible_ids))
    if not 1 <= size <= len(pool):
        raise ValueError(f"size: {size} of {len(pool)} eligible experts")
    return random.Random(seed).sample(pool, size)  # noqa: S311  (reproducibility is the point; the seed is secret-random)


@dataclass(frozen=True)
class Eligibility:
    eligible_ids: list[int]
    excluded: list[dict[str, Any]]  # [{"expert_id", "reasons": [codes]}]


def panel_eligibility(project: Project, *, whole_pool: bool, now: datetime,
                      unavailable: Mapping[int, str] | None = None) -> Eligibility:
    """Who may be drawn for ``project``: active experts of its category (or of the whole pool)
    without a conflict with any bidder; ``unavailable`` experts (id → reason code) are excluded too."""
    district = district_of(project)
    stmt = (select(Expert).where(Expert.is_active.is_(True), Expert.district_id == (district.id if district else None))
            .order_by(Expert.id))
    if not whole_pool:
        stmt = stmt.where(Expert.categories.any(Category.id == project.category_id))
    bidders, procuring, on = bidder_ids(project), procuring_ids(project), local_date(now)
    eligible, excluded = [], []
    for expert in db.session.scalars(stmt):
        reasons = conflicts(expert, bidders, procuring, on)
        if unavailable and expert.id in unavailable:
            reasons.append(unavailable[expert.id])
        if reasons:
            excluded.append({"expert_id": expert.id, "reasons": reasons})
        else:
            eligible.append(expert.id)
    return Eligibility(eligible, excluded)


def _evaluating(project: Project) -> None:
    """Panels work on tendered projects whose bids are open and not yet awarded."""
    tender = tender_of(project)
    if project.kind not in TENDERED_KINDS or tender is None:
        raise ValidationFailed(_l("This project is not put out to tender."))
    if not tender.is_opened:
        raise Conflict(_l("The bids have not been opened yet."), code="sealed")
    if project.status != ProjectStatus.EVALUATING:
        raise Conflict(_l("The project is no longer being evaluated (now %(status)s).", status=project.status),
                       code="not_evaluating")


def _next_seq(model: Any, project: Project) -> int:
    return (db.session.scalar(select(func.max(model.seq)).where(model.project_id == project.id)) or 0) + 1


def current_draw(project: Project) -> PanelDraw | None:
    return db.session.scalar(select(PanelDraw).where(PanelDraw.project_id == project.id,
                                                     PanelDraw.status == RecordStatus.CURRENT))


def _draw_details(draw: PanelDraw) -> dict[str, Any]:
    return {"project_id": draw.project_id, "seq": draw.seq, "seed": draw.seed, "size": draw.size,
            "eligible_ids": draw.eligible_ids, "excluded": draw.excluded, "chosen_ids": draw.chosen_ids,
            "kept_ids": draw.kept_ids, "replaced_ids": draw.replaced_ids, "fallback_reason": draw.fallback_reason,
            "reason": draw.reason}


def _draw(actor: User, project: Project, size: int, *, now: datetime, fallback_reason: str, seed: str | None,
          kept: list[int], unavailable: dict[int, str], replaced: list[int], reason: str,
          whole_pool: bool) -> PanelDraw:
    fallback_reason = (fallback_reason or "").strip()
    eligibility = panel_eligibility(project, whole_pool=whole_pool, now=now, unavailable=unavailable)
    if len(eligibility.eligible_ids) < size and not whole_pool:
        if len(fallback_reason) < MIN_REASON:
            raise ValidationFailed(
                _l("Only %(n)d experts of this project's field are eligible, %(size)d needed. To draw from the "
                   "whole pool, record why.", n=len(eligibility.eligible_ids), size=size),
                fields={"fallback_reason": _l("Why the whole pool is used (kept in the record).")},
                code="too_few_in_category")
        whole_pool = True
        eligibility = panel_eligibility(project, whole_pool=True, now=now, unavailable=unavailable)
    elif not whole_pool:
        fallback_reason = ""
    if len(eligibility.eligible_ids) < size:
        raise Conflict(_l("Only %(n)d experts are eligible, too few for %(size)d: add experts to the pool or "
                          "choose a smaller panel.", n=len(eligibility.eligible_ids), size=size),
                       fields={"size": _l("At most %(n)d.", n=len(eligibility.eligible_ids))}, code="too_few_experts")
    seed = seed or secrets.token_hex(16)
    draw = PanelDraw(project_id=project.id, seq=_next_seq(PanelDraw, project), size=size, seed=seed,
                     eligible_ids=sorted(eligibility.eligible_ids), excluded=eligibility.excluded,
                     chosen_ids=draw_members(seed, eligibility.eligible_ids, size), kept_ids=kept,
                     replaced_ids=replaced, fallback_reason=fallback_reason[:2000], reason=reason[:2000],
                     status=RecordStatus.CURRENT, drawn_by_id=actor.id, drawn_at=now)
    db.session.add(draw)
    db.session.flush()
    record(actor, "panel.redrawn" if replaced else "panel.drawn", draw, after=_draw_details(draw))
    return draw


def draw_panel(actor: User, project: Project, size: int, *, fallback_reason: str = "",
               now: datetime | None = None, seed: str | None = None) -> PanelDraw:
    """Draw the panel of ``size`` experts for a tender whose bids are open.

    ``fallback_reason`` is needed (and recorded) only when too few experts of the project's field
    are eligible: the draw then uses the whole pool. ``seed`` is for reproducible demo data only;
    the pages never pass it, so the seed comes from :mod:`secrets`.
    """
    now = now or utcnow()
    policy.require(actor, "evaluation.manage", project)
    _evaluating(project)
    if size not in PANEL_SIZES:
        raise ValidationFailed(_l("A panel has 3, 5, 7 or 9 experts."), fields={"size": _l("3, 5, 7 or 9.")})
    if current_draw(project) is not None:
        raise Conflict(_l("The panel has been drawn; to change it, redraw with a reason."), code="already_drawn")
    if not valid_bids(project):
        raise Conflict(_l("No valid bid to evaluate."), code="no_bids")
    return _draw(actor, project, size, now=now, fallback_reason=fallback_reason, seed=seed, kept=[],
                 unavailable={}, replaced=[], reason="", whole_pool=False)


def redraw_panel(actor: User, project: Project, replaced_ids: Iterable[int], reason: str, *,
                 fallback_reason: str = "", now: datetime | None = None, seed: str | None = None) -> PanelDraw:
    """Replace panel members (one declined, fell ill, ...) by a new random draw, saying why.

    The others stay; the replaced never come back for this tender. Refused once the panel's
    scores are recorded, unless a complaint about the candidate notice was upheld.
    """
    now = now or utcnow()
    policy.require(actor, "evaluation.manage", project)
    _evaluating(project)
    current = current_draw(project)
    if current is None:
        raise Conflict(_l("No panel has been drawn yet."), code="not_drawn")
    reason = (reason or "").strip()
    replaced = sorted(set(replaced_ids))
    errors: dict[str, Any] = {}
    if len(reason) < MIN_REASON:
        errors["reason"] = _l("Say why the panel changes (kept in the record).")
    if not replaced or not set(replaced) <= set(current.member_ids):
        errors["replaced_ids"] = _l("Choose the panel members to replace.")
    if errors:
        raise ValidationFailed(_l("Please correct the marked fields."), fields=errors)
    evaluation = current_evaluation(project)
    if evaluation is not None and evaluation.draw_id == current.id and not _reopened(project):
        raise Conflict(_l("This panel's scores are recorded; the panel can change only after a complaint is upheld."),
                       code="scored")
    kept = [m for m in current.member_ids if m not in replaced]
    unavailable: dict[int, str] = {m: "on_panel" for m in kept}
    for earlier in db.session.scalars(select(PanelDraw).where(PanelDraw.project_id == project.id)):
        unavailable.update({m: "replaced" for m in earlier.replaced_ids})
    unavailable.update({m: "replaced" for m in replaced})
    transition(current, RecordStatus.SUPERSEDED, actor=actor, action="panel_draw.superseded",
               after={"reason": reason[:500]})
    return _draw(actor, project, len(replaced), now=now, fallback_reason=fallback_reason or current.fallback_reason,
                 seed=seed, kept=kept, unavailable=unavailable, replaced=replaced, reason=reason,
                 whole_pool=bool(current.fallback_reason))


@dataclass(frozen=True)
class DrawCheck:
    """What :func:`verify_draw` found; ``message`` says it in words."""

    matches: bool
    recomputed: list[int]
    audit_matches: bool
    message: Any


def verify_draw(draw: PanelDraw) -> DrawCheck:
    """Recompute the draw from its recorded seed, eligible experts and size, and compare it with the
    recorded panel and with the audit event written when it was drawn."""
    try:
        recomputed = draw_members(draw.seed, draw.eligible_ids, draw.size)
    except ValueError:
        recomputed = []
    event = db.session.scalar(select(AuditEvent).where(
        AuditEvent.object_type == PanelDraw.__tablename__, AuditEvent.object_id == str(draw.id),
        AuditEvent.action.in_(("panel.drawn", "panel.redrawn"))).order_by(AuditEvent.seq).limit(1))
    audited = event.after if event is not None and event.after else {}
    audit_matches = all(audited.get(key) == value for key, value in (
        ("seed", draw.seed), ("size", draw.size), ("eligible_ids", draw.eligible_ids),
        ("chosen_ids", draw.chosen_ids), ("kept_ids", draw.kept_ids))) and bool(audited)
    matches = recomputed == list(draw.chosen_ids)
    if matches and audit_matches:
        message = _l("The draw matches: drawing %(size)d of the %(n)d eligible experts with the recorded seed gives "
                     "exactly the recorded panel, and the record is the one written in the audit trail when the "
                     "panel was drawn.", size=draw.size, n=len(draw.eligible_ids))
    elif not matches:
        message = _l("The draw does NOT match: the recorded seed and eligible experts give %(recomputed)s, but the "
                     "recorded panel is %(chosen)s.", recomputed=", ".join(map(str, recomputed)) or "—",
                     chosen=", ".join(map(str, draw.chosen_ids)) or "—")
    else:
        message = _l("The draw does NOT match the audit trail: the record of this draw was changed after it was "
                     "made.")
    return DrawCheck(matches and audit_matches, recomputed, audit_matches, message)


def experts_by_id(ids: Iterable[int]) -> dict[int, Expert]:
    ids = list(ids)
    if not ids:
        return {}
    return {e.id: e for e in db.session.scalars(select(Expert).where(Expert.id.in_(ids)))}


# ---------------------------------------------------------------- scores

def score_field(bid_id: int, expert_id: int, criterion: int) -> str:
    """The name of one cell of the score sheet (the form and the errors use it)."""
    return f"s_{bid_id}_{expert_id}_{criterion}"


def reason_field(bid_id: int) -> str:
    return f"r_{bid_id}"


@dataclass(frozen=True)
class ScoreSheet:
    """The panel's sheets: ``scores[(bid id, expert id, criterion index)]`` and ``reasons[bid id]``."""

    scores: Mapping[tuple[int, int, int], Any]
    reasons: Mapping[int, str] = field(default_factory=dict)


def current_evaluation(project: Project) -> Evaluation | None:
    return db.session.scalar(select(Evaluation).where(Evaluation.project_id == project.id,
                                                      Evaluation.status == RecordStatus.CURRENT))


def draw_is_public(draw: PanelDraw) -> bool:
    """A draw (its experts, the excluded and why) is public once a candidate notice of its project was
    published: before that, naming the panel would let bidders approach its members."""
    return db.session.scalar(select(CandidateNotice.id).where(CandidateNotice.project_id == draw.project_id)
                             .limit(1)) is not None


def current_notice(project: Project) -> CandidateNotice | None:
    return db.session.scalar(select(CandidateNotice).where(CandidateNotice.project_id == project.id,
                                                           CandidateNotice.status == NoticeStatus.PUBLISHED))


def _reopened(project: Project) -> bool:
    """A complaint about the published notice was upheld: the panel may re-score, the official re-publish."""
    notice = current_notice(project)
    return notice is not None and any(c.status == ComplaintStatus.UPHELD for c in notice.complaints)


def record_scores(actor: User, project: Project, sheet: ScoreSheet, *, now: datetime | None = None) -> Evaluation:
    """Record the panel's sheets: all criteria, all members, all valid bids, whole numbers 0–100,
    and the panel's reasons per bid. A previous recording is kept, superseded."""
    now = now or utcnow()
    policy.require(actor, "evaluation.manage", project)
    _evaluating(project)
    draw = current_draw(project)
    if draw is None:
        raise Conflict(_l("Draw the panel first."), code="not_drawn")
    if current_notice(project) is not None and not _reopened(project):
        raise Conflict(_l("The candidate notice is published; scores change only after a complaint is upheld."),
                       code="published")
    criteria = tender_of(project).criteria
    bids, members = valid_bids(project), draw.member_ids
    expected = {(b.id, m, c) for b in bids for m in members for c in range(len(criteria))}
    if set(sheet.scores) - expected or set(sheet.reasons) - {b.id for b in bids}:
        raise ValidationFailed(_l("The sheet names a bid, an expert or a criterion outside this evaluation."))
    errors: dict[str, Any] = {}
    for key in sorted(expected):
        value = sheet.scores.get(key)
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 100:
            errors[score_field(*key)] = _l("A whole number from 0 to 100.")
    for bid in bids:
        text = (sheet.reasons.get(bid.id) or "").strip()
        if not MIN_REASON <= len(text) <= MAX_TEXT:
            errors[reason_field(bid.id)] = _l("The panel's reasons, %(min)d to %(max)d characters.", min=MIN_REASON,
                                              max=MAX_TEXT)
    if errors:
        raise ValidationFailed(_l("The sheet is incomplete or out of range: %(n)d field(s) to correct.", n=len(errors)),
                               fields=errors)
    previous = current_evaluation(project)
    if previous is not None:
        transition(previous, RecordStatus.SUPERSEDED, actor=actor, action="evaluation.superseded")
    evaluation = Evaluation(project_id=project.id, draw_id=draw.id, seq=_next_seq(Evaluation, project),
                            criteria=[dict(c) for c in criteria], status=RecordStatus.CURRENT,
                            recorded_by_id=actor.id, recorded_at=now)
    evaluation.scores = [PanelScore(bid_id=b, expert_id=m, criterion=c, score=sheet.scores[(b, m, c)])
                         for b, m, c in sorted(expected)]
    evaluation.reasons = [BidReason(bid_id=b.id, text=sheet.reasons[b.id].strip()) for b in bids]
    db.session.add(evaluation)
    db.session.flush()
    results = evaluation_results(evaluation)
    record(actor, "evaluation.recorded", evaluation, after={
        "project_id": project.id, "draw_id": draw.id, "members": members, "criteria": evaluation.criteria,
        "scores": [[s.bid_id, s.expert_id, s.criterion, s.score] for s in evaluation.scores],
        "reasons": {str(r.bid_id): r.text for r in evaluation.reasons},
        "totals": {str(r.bid.id): two_places(r.total) for r in results}})
    return evaluation


def two_places(value: Fraction) -> str:
    """A score as text with two decimals, rounded half up: ``Fraction(2, 3)`` → ``"0.67"``."""
    return str((Decimal(value.numerator) / Decimal(value.denominator)).quantize(Decimal("0.01"), ROUND_HALF_UP))


@dataclass(frozen=True)
class BidResult:
    """One bid's result: the mean over members of their weighted totals, the mean per criterion,
    the panel's reasons and its rank in its lot (ties: lower price, then earlier bid)."""

    bid: Bid
    total: Fraction
    criterion_means: list[Fraction]
    reasons: str
    rank: int


def evaluation_results(evaluation: Evaluation) -> list[BidResult]:
    """The bids of an evaluation ranked within their lot, best first."""
    weights = [int(c["weight"]) for c in evaluation.criteria]
    cells: dict[int, dict[int, dict[int, int]]] = {}
    for s in evaluation.scores:
        cells.setdefault(s.bid_id, {}).setdefault(s.expert_id, {})[s.criterion] = s.score
    reasons = {r.bid_id: r.text for r in evaluation.reasons}
    bids = {b.id: b for b in db.session.scalars(select(Bid).where(Bid.id.in_(list(cells))))}
    rows = []
    for bid_id, by_member in cells.items():
        members = list(by_member.values())
        total = sum((Fraction(sum(m[c] * w for c, w in enumerate(weights)), 100) for m in members), Fraction(0))
        total /= len(members)
        means = [Fraction(sum(m[c] for m in members), len(members)) for c in range(len(weights))]
        rows.append((bids[bid_id], total, means, reasons.get(bid_id, "")))
    rows.sort(key=lambda r: (r[0].lot_seq, -r[1], r[0].price_cents, r[0].id))
    results, rank, lot = [], 0, None
    for bid, total, means, text in rows:
        rank = rank + 1 if bid.lot_seq == lot else 1
        lot = bid.lot_seq
        results.append(BidResult(bid, total, means, text, rank))
    return results


# ---------------------------------------------------------------- the candidate notice and complaints

def publish_notice(actor: User, project: Project, *, now: datetime | None = None) -> CandidateNotice:
    """Publish the top candidates (up to three per lot) with their scores per criterion and the
    panel's reasons; bidders may complain for :data:`COMPLAINT_WORKING_DAYS` working days."""
    now = now or utcnow()
    policy.require(actor, "evaluation.manage", project)
    _evaluating(project)
    draw, evaluation = current_draw(project), current_evaluation(project)
    if draw is None or evaluation is None or evaluation.draw_id != draw.id:
        raise Conflict(_l("Record the current panel's scores first."), code="not_scored")
    previous = current_notice(project)
    if previous is not None:
        if not _reopened(project):
            raise Conflict(_l("The candidate notice is already published."), code="published")
        if previous.evaluation_id == evaluation.id:
            raise Conflict(_l("A complaint was upheld: record the panel's revised scores before publishing a new "
                              "notice."), code="not_rescored")
    experts = experts_by_id(draw.member_ids)
    candidates = [{"lot_seq": r.bid.lot_seq, "rank": r.rank, "bid_id": r.bid.id,
                   "organization_id": r.bid.organization_id, "name": r.bid.organization.name,
                   "name_en": r.bid.organization.name_en, "price_cents": r.bid.price_cents,
                   "total": two_places(r.total), "reasons": r.reasons,
                   "criteria": [{"name": c["name"], "name_en": c.get("name_en", ""), "weight": c["weight"],
                                 "mean": two_places(mean)} for c, mean in zip(evaluation.criteria, r.criterion_means,
                                                                                strict=True)]}
                  for r in evaluation_results(evaluation) if r.rank <= MAX_CANDIDATES]
    panel = [{"name": experts[m].name, "name_en": experts[m].name_en, "title": experts[m].title,
              "title_en": experts[m].title_en} for m in draw.member_ids if m in experts]
    notice = CandidateNotice(project_id=project.id, evaluation_id=evaluation.id,
                             seq=_next_seq(CandidateNotice, project), candidates=candidates, panel=panel,
                             status=NoticeStatus.PUBLISHED, published_by_id=actor.id, published_at=now,
                             window_ends_at=add_working_days(now, COMPLAINT_WORKING_DAYS))
    if previous is not None:
        transition(previous, NoticeStatus.SUPERSEDED, actor=actor, action="candidate_notice.superseded",
                   after={"evaluation_id": evaluation.id})
    db.session.add(notice)
    db.session.flush()
    record(actor, "candidate_notice.published", notice, after={
        "project_id": project.id, "evaluation_id": evaluation.id, "candidates": candidates,
        "window_ends_at": notice.window_ends_at})
    return notice


def notices_of(project: Project) -> list[CandidateNotice]:
    """The project's candidate notices, newest first (superseded ones stay public)."""
    return list(db.session.scalars(select(CandidateNotice).where(CandidateNotice.project_id == project.id)
                                   .order_by(CandidateNotice.seq.desc())))


def can_complain(actor: User | None, project: Project, now: datetime) -> bool:
    """Whether the page should offer ``actor`` the complaint form (the service decides anyway)."""
    notice = current_notice(project)
    return (notice is not None and now < notice.window_ends_at and policy.can(actor, "complaint.file", project)
            and actor.organization_id in bidder_ids(project))


def file_complaint(actor: User, project: Project, text: str, *, now: datetime | None = None) -> Complaint:
    """A member of a bidding organisation complains about the published notice within its window."""
    now = now or utcnow()
    policy.require(actor, "complaint.file", project)
    notice = current_notice(project)
    if notice is None:
        raise Conflict(_l("No candidate notice is published for this project."), code="no_notice")
    if actor.organization_id is None or actor.organization_id not in bidder_ids(project):
        raise PermissionDenied(_l("Only organisations that bid for this tender can complain about its candidates."))
    if now >= notice.window_ends_at:
        raise Conflict(_l("The complaint period ended on %(when)s.", when=local_label(notice.window_ends_at)),
                       code="window_closed")
    text = (text or "").strip()
    if not MIN_COMPLAINT <= len(text) <= MAX_TEXT:
        raise ValidationFailed(_l("Explain the complaint in %(min)d to %(max)d characters.", min=MIN_COMPLAINT,
                                  max=MAX_TEXT), fields={"text": _l("%(min)d to %(max)d characters.",
                                                                    min=MIN_COMPLAINT, max=MAX_TEXT)})
    if any(c.organization_id == actor.organization_id and c.status == ComplaintStatus.OPEN for c in notice.complaints):
        raise Conflict(_l("Your organisation already has a complaint awaiting an answer."), code="duplicate")
    complaint = Complaint(notice=notice, organization_id=actor.organization_id, submitted_by_id=actor.id,
                          submitted_at=now, text=text, status=ComplaintStatus.OPEN)
    db.session.add(complaint)
    db.session.flush()
    record(actor, "complaint.filed", complaint, after={"notice_id": notice.id, "project_id": project.id,
                                                       "organization_id": actor.organization_id, "text": text})
    return complaint


def complaint_of(project: Project, complaint_id: int) -> Complaint:
    complaint = db.session.get(Complaint, complaint_id)
    if complaint is None or complaint.notice.project_id != project.id:
        raise NotFound(_l("Not found."))
    return complaint


def answer_complaint(actor: User, complaint: Complaint, *, uphold: bool, answer: str,
                     now: datetime | None = None) -> Complaint:
    """An official of the project's street answers a complaint publicly. Upholding it lets the
    panel re-score and the official publish a new notice; the award waits until then."""
    now = now or utcnow()
    policy.require(actor, "complaint.answer", complaint.notice.project)
    if complaint.status != ComplaintStatus.OPEN:
        raise Conflict(_l("This complaint has been answered."), code="answered")
    answer = (answer or "").strip()
    if not MIN_REASON <= len(answer) <= MAX_TEXT:
        raise ValidationFailed(_l("Write the answer; it is published with the notice."),
                               fields={"answer": _l("%(min)d to %(max)d characters.", min=MIN_REASON, max=MAX_TEXT)})
    complaint.answer, complaint.answered_by_id, complaint.answered_at = answer, actor.id, now
    transition(complaint, ComplaintStatus.UPHELD if uphold else ComplaintStatus.DISMISSED, actor=actor,
               action="complaint.answered", after={"answer": answer, "notice_id": complaint.notice_id})
    return complaint


# ---------------------------------------------------------------- the award

def has_panel(project: Project) -> bool:
    return db.session.scalar(select(func.count(PanelDraw.id)).where(PanelDraw.project_id == project.id)) > 0


def award_blockers(project: Project, now: datetime) -> list[Any]:
    """Why a tendered project evaluated by a panel cannot be awarded yet (empty: it can, or it has no panel)."""
    if project.kind not in TENDERED_KINDS or not has_panel(project):
        return []
    notice = current_notice(project)
    if notice is None:
        return [_l("The panel's candidate notice has not been published.")]
    problems: list[Any] = []
    if now < notice.window_ends_at:
        problems.append(_l("Bidders may complain about the candidate notice until %(when)s.",
                           when=local_label(notice.window_ends_at)))
    if _reopened(project):
        problems.append(_l("A complaint was upheld: the panel re-scores and a new candidate notice is published."))
    waiting = db.session.scalar(select(func.count(Complaint.id)).join(CandidateNotice).where(
        CandidateNotice.project_id == project.id, Complaint.status == ComplaintStatus.OPEN))
    if waiting:
        problems.append(_l("%(n)d complaint(s) await an answer.", n=waiting))
    return problems


def first_candidate(project: Project, lot_id: int | None = None) -> int | None:
    """The organisation ranked first in the published candidate notice (for ``lot_id``), or None."""
    notice = current_notice(project)
    if notice is None:
        return None
    lot_seq = 0
    if lot_id is not None:
        lot = db.session.get(Lot, lot_id)
        lot_seq = lot.seq if lot is not None else 0
    return next((c["organization_id"] for c in notice.candidates if c["lot_seq"] == lot_seq and c["rank"] == 1), None)
