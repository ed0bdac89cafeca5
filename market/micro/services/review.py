"""Deliberation (项目评议): the street's review of each proposal and the optional expert panel."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from market.accounts.models import Role, User
from market.core.audit import record
from market.core.db import db, utcnow
from market.core.enums import LabelledEnum
from market.core.errors import Conflict, PermissionDenied, ValidationFailed
from market.core.state import transition
from market.micro.models import (
    EXPERT_CRITERIA,
    ExpertScore,
    MicroRound,
    PanelMember,
    Proposal,
    ProposalStatus,
    RoundPhase,
)
from market.micro.services import routing
from market.micro.services.common import check_cap, clean_text, governs, is_authenticated
from market.notifications.services import notify

REVIEW_PHASES = (RoundPhase.COLLECTION, RoundPhase.REVIEW)


class ReviewOutcome(LabelledEnum):
    FEASIBLE = "feasible", _l("Feasible")
    NEEDS_CHANGES = "needs_changes", _l("Needs changes")
    DECLINED = "declined", _l("Rejected")


@dataclass(frozen=True)
class ReviewDecision:
    outcome: ReviewOutcome
    official_cost_cents: int | None = None
    reason: str = ""


def review_proposal(actor: User, proposal: Proposal, decision: ReviewDecision, *,
                    now: datetime | None = None) -> Proposal:
    """Feasible with an official cost (within the round's cap), back for changes, or declined with a reason."""
    now = now or utcnow()
    round_ = proposal.round
    if not governs(actor, round_.street_id):
        raise PermissionDenied(_l("Only officials of this community's street review its proposals."))
    if round_.phase not in REVIEW_PHASES:
        raise Conflict(_l("Proposals are reviewed before the vote opens."))
    errors: dict[str, Any] = {}
    reason = clean_text(decision.reason, "reason", errors, required=decision.outcome != ReviewOutcome.FEASIBLE,
                        max_length=4000)
    if decision.outcome == ReviewOutcome.FEASIBLE:
        if not decision.official_cost_cents or decision.official_cost_cents <= 0:
            errors["official_cost"] = _l("A feasible proposal needs the official cost estimate.")
        else:
            check_cap(round_, proposal.project_type, decision.official_cost_cents, "official_cost", errors)
    if errors:
        raise ValidationFailed(_l("Please correct the marked fields."), fields=errors)
    target = ProposalStatus(decision.outcome.value)
    before = {"official_cost_cents": proposal.official_cost_cents}
    if target == ProposalStatus.FEASIBLE:
        proposal.official_cost_cents = decision.official_cost_cents
    proposal.review_reason = reason
    proposal.reviewed_by_id = actor.id
    proposal.reviewed_at = now
    transition(proposal, target, actor=actor, action="micro.proposal_reviewed", before=before,
               after={"official_cost_cents": proposal.official_cost_cents, "reason": reason})
    routing.close_item(proposal=proposal, now=now)
    notify([proposal.author], "micro.proposal_reviewed",
           {"proposal": proposal.title, "proposal_en": proposal.title_en, "status": proposal.status},
           f"/micro/proposals/{proposal.id}", now=now)
    return proposal


def review_queue(actor: User) -> list[Proposal]:
    """Submitted proposals in the rounds the official may review, oldest first."""
    stmt = (select(Proposal).join(MicroRound).where(Proposal.status == ProposalStatus.SUBMITTED,
                                                    MicroRound.phase.in_(REVIEW_PHASES))
            .order_by(Proposal.submitted_at, Proposal.id))
    if actor.street_id is not None and actor.role != Role.ADMIN:
        stmt = stmt.where(MicroRound.street_id == actor.street_id)
    return list(db.session.scalars(stmt.limit(100)))


# ------------------------------------------------------------------ expert panel

def invite_panel_member(actor: User, round_: MicroRound, email: str, *, now: datetime | None = None) -> PanelMember:
    """An official invites a user (by e-mail address) to score the round's feasible proposals."""
    from market.accounts.services import find_user_by_email

    if not governs(actor, round_.street_id):
        raise PermissionDenied(_l("Only officials of this round's street can invite reviewers."))
    if round_.phase not in REVIEW_PHASES:
        raise Conflict(_l("The panel is formed before the vote opens."))
    user = find_user_by_email((email or "").strip().lower())
    if user is None or user.is_disabled:
        raise ValidationFailed(_l("No active account has this e-mail address."),
                               fields={"email": _l("Unknown account.")})
    if is_panel_member(user, round_):
        raise Conflict(_l("This reviewer is already on the panel."), fields={"email": _l("Already invited.")})
    member = PanelMember(round_id=round_.id, user_id=user.id, invited_by_id=actor.id, created_at=now or utcnow())
    db.session.add(member)
    db.session.flush()
    record(actor, "micro.panel_member_invited", round_, after={"user_id": user.id})
    notify([user], "micro.panel_invited", {"round": round_.title, "round_en": round_.title_en},
           f"/micro/rounds/{round_.id}", now=now)
    return member


def is_panel_member(user: Any, round_: MicroRound) -> bool:
    return is_authenticated(user) and db.session.scalar(select(PanelMember.id).where(
        PanelMember.round_id == round_.id, PanelMember.user_id == user.id)) is not None


def panel_members(round_: MicroRound) -> list[PanelMember]:
    return list(db.session.scalars(select(PanelMember).where(PanelMember.round_id == round_.id)
                                   .order_by(PanelMember.id)))


def score_proposal(actor: User, proposal: Proposal, scores: dict[str, int], comment: str = "", *,
                   now: datetime | None = None) -> ExpertScore:
    """A panel member scores a feasible proposal 1-5 on each published criterion (a new score replaces theirs)."""
    round_ = proposal.round
    if not is_panel_member(actor, round_):
        raise PermissionDenied(_l("Only members of this round's expert panel can score proposals."))
    if round_.phase not in REVIEW_PHASES:
        raise Conflict(_l("Scoring is closed for this round."))
    if proposal.status != ProposalStatus.FEASIBLE:
        raise Conflict(_l("Only feasible proposals are scored."))
    errors: dict[str, Any] = {}
    for criterion in EXPERT_CRITERIA:
        value = scores.get(criterion)
        if not isinstance(value, int) or not 1 <= value <= 5:
            errors[criterion] = _l("From 1 to 5.")
    text = clean_text(comment, "comment", errors, required=False, max_length=2000)
    if errors:
        raise ValidationFailed(_l("Please correct the marked fields."), fields=errors)
    score = db.session.scalar(select(ExpertScore).where(ExpertScore.proposal_id == proposal.id,
                                                        ExpertScore.reviewer_id == actor.id))
    before = None
    if score is None:
        score = ExpertScore(proposal_id=proposal.id, reviewer_id=actor.id, created_at=now or utcnow())
        db.session.add(score)
    else:
        before = {c: getattr(score, c) for c in EXPERT_CRITERIA}
    for criterion in EXPERT_CRITERIA:
        setattr(score, criterion, scores[criterion])
    score.comment = text
    db.session.flush()
    record(actor, "micro.proposal_scored", proposal, before=before, after={c: scores[c] for c in EXPERT_CRITERIA})
    return score


@dataclass(frozen=True)
class PanelSummary:
    """Average scores of one proposal (1-5 per criterion, and their sum out of 20)."""

    count: int
    averages: dict[str, float]

    @property
    def total(self) -> float:
        return sum(self.averages.values())


def panel_summaries(proposal_ids: list[int]) -> dict[int, PanelSummary]:
    if not proposal_ids:
        return {}
    columns = [func.avg(getattr(ExpertScore, c)) for c in EXPERT_CRITERIA]
    rows = db.session.execute(select(ExpertScore.proposal_id, func.count(ExpertScore.id), *columns)
                              .where(ExpertScore.proposal_id.in_(proposal_ids)).group_by(ExpertScore.proposal_id))
    return {row[0]: PanelSummary(row[1], {c: float(v) for c, v in zip(EXPERT_CRITERIA, row[2:], strict=True)}) for row in rows}
