"""Collection (项目征集): proposals, photos, supports, comments, similar proposals and merging."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, func, select

from market.accounts.models import User
from market.core.audit import record
from market.core.calendar import local_label
from market.core.db import db, utcnow
from market.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from market.core.state import transition
from market.geo.models import Category, ProjectType
from market.micro.models import Comment, MicroRound, Photo, Proposal, ProposalStatus, RoundPhase, Support
from market.micro.services import classification, routing
from market.micro.services.common import (
    PhotoUpload,
    check_cap,
    check_photos,
    clean_text,
    community_street_id,
    current_locale,
    governs,
    is_authenticated,
    new_comment,
    require_round_resident,
    store_photos,
)
from market.search.services import SearchDocument, rank

# Statuses that residents can still support and that similar-proposal suggestions point to.
OPEN_STATUSES = (ProposalStatus.SUBMITTED, ProposalStatus.NEEDS_CHANGES, ProposalStatus.FEASIBLE)
SIMILAR_STATUSES = OPEN_STATUSES + (ProposalStatus.SELECTED, ProposalStatus.NOT_SELECTED)
SIMILAR_MIN_SCORE = 60.0


@dataclass(frozen=True)
class ProposalInput:
    """The fields a resident types in."""

    title: str
    description: str
    category_id: int | None  # None: the suggested category (from the title and description)
    project_type: ProjectType
    place: str
    estimated_cost_cents: int
    title_en: str = ""
    description_en: str = ""


def _snapshot(proposal: Proposal) -> dict[str, Any]:
    return {"status": proposal.status, "title": proposal.title, "category_id": proposal.category_id,
            "project_type": proposal.project_type, "estimated_cost_cents": proposal.estimated_cost_cents,
            "official_cost_cents": proposal.official_cost_cents, "photos": len(proposal.photos)}


def _check(round_: MicroRound, data: ProposalInput) -> dict[str, Any]:
    errors: dict[str, Any] = {}
    values = {
        "title": clean_text(data.title, "title", errors, max_length=200),
        "title_en": clean_text(data.title_en, "title_en", errors, required=False, max_length=200),
        "description": clean_text(data.description, "description", errors),
        "description_en": clean_text(data.description_en, "description_en", errors, required=False),
        "place": clean_text(data.place, "place", errors, max_length=200),
    }
    category_id = data.category_id
    if category_id is None and "title" not in errors and "description" not in errors:
        suggested = classification.suggest_categories(classification.text_of(values["title"], values["description"],
                                                                              values["title_en"],
                                                                              values["description_en"]), 1)
        category_id = suggested[0].category.id if suggested else None
        if category_id is None:
            errors["category_id"] = _l("No category could be suggested from your text; please choose one.")
    elif category_id is None or db.session.get(Category, category_id) is None:
        errors["category_id"] = _l("Unknown category.")
    if data.project_type not in tuple(ProjectType):
        errors["project_type"] = _l("Unknown type.")
    if data.estimated_cost_cents <= 0:
        errors["estimated_cost"] = _l("The estimated cost must be more than zero.")
    else:
        check_cap(round_, data.project_type, data.estimated_cost_cents, "estimated_cost", errors)
    if errors:
        raise ValidationFailed(_l("Please correct the marked fields."), fields=errors)
    return {**values, "category_id": category_id, "project_type": ProjectType(data.project_type),
            "estimated_cost_cents": data.estimated_cost_cents}


def collecting_rounds_for(actor: User, *, exclude_id: int | None = None) -> list[MicroRound]:
    """The rounds that take the resident's proposals now (their community's or their whole street's)."""
    if actor is None or actor.community_id is None:
        return []
    street_id = community_street_id(actor.community_id)
    rows = db.session.scalars(select(MicroRound).where(
        MicroRound.phase == RoundPhase.COLLECTION, MicroRound.street_id == street_id,
        (MicroRound.community_id == actor.community_id) | MicroRound.community_id.is_(None))
        .order_by(MicroRound.id)).all()
    return [r for r in rows if r.id != exclude_id]


def require_collecting(actor: User, round_: MicroRound) -> None:
    """Refuse a proposal outside the collection phase, saying where the round stands and where the
    resident can propose instead."""
    if round_.phase == RoundPhase.COLLECTION:
        return
    if round_.phase == RoundPhase.REVIEW:
        message = _l("This round no longer takes proposals: officials are reviewing the ones it collected. "
                     "Voting comes next.")
    elif round_.phase == RoundPhase.VOTING and round_.voting_closes_at is not None:
        message = _l("This round is voting now, until %(closes)s; it takes no more proposals. You can vote for "
                     "the proposals on its ballot.", closes=local_label(round_.voting_closes_at))
    elif round_.phase in (RoundPhase.NOTICE, RoundPhase.FINAL):
        message = _l("This round's results are out; proposals are collected again in the next round.")
    else:
        message = _l("This round was cancelled.")
    elsewhere = collecting_rounds_for(actor, exclude_id=round_.id)
    advice = (_l("Propose in “%(round)s”, which collects proposals now.",
                 round=elsewhere[0].tr("title", current_locale())) if elsewhere
              else _l("Your street office announces the next round; you will be told when it opens."))
    raise Conflict(message, code="not_collecting", advice=advice)


def create_proposal(actor: User, round_: MicroRound, data: ProposalInput, photos: list[PhotoUpload] = (), *,
                    submit: bool, upload_dir: Path, now: datetime | None = None) -> Proposal:
    """A verified resident of the round proposes a project; ``submit`` False keeps it as a draft."""
    now = now or utcnow()
    require_round_resident(actor, round_, _l("propose projects"))
    require_collecting(actor, round_)
    values = _check(round_, data)
    checked = check_photos(list(photos), 0)
    proposal = Proposal(round_id=round_.id, community_id=actor.community_id, author_id=actor.id,
                        status=ProposalStatus.DRAFT, created_at=now, **values)
    db.session.add(proposal)
    db.session.flush()
    store_photos(upload_dir, checked, actor, proposal=proposal)
    db.session.refresh(proposal, ["photos"])
    record(actor, "micro.proposal_created", proposal, after=_snapshot(proposal))
    if submit:
        submit_proposal(actor, proposal, now=now)
    return proposal


def can_edit_proposal(actor: Any, proposal: Proposal) -> bool:
    return (is_authenticated(actor) and actor.id == proposal.author_id
            and proposal.status in (ProposalStatus.DRAFT, ProposalStatus.NEEDS_CHANGES)
            and proposal.round.phase in (RoundPhase.COLLECTION, RoundPhase.REVIEW))


def update_proposal(actor: User, proposal: Proposal, data: ProposalInput, photos: list[PhotoUpload] = (), *,
                    submit: bool, upload_dir: Path, now: datetime | None = None) -> Proposal:
    """The author edits a draft, or a proposal sent back for changes, and may (re)submit it."""
    now = now or utcnow()
    if actor.id != proposal.author_id:
        raise PermissionDenied(_l("Only the author can edit a proposal."))
    if not can_edit_proposal(actor, proposal):
        raise Conflict(_l("This proposal can no longer be edited."))
    values = _check(proposal.round, data)
    checked = check_photos(list(photos), len(proposal.photos))
    before = _snapshot(proposal)
    for name, value in values.items():
        setattr(proposal, name, value)
    store_photos(upload_dir, checked, actor, proposal=proposal)
    db.session.refresh(proposal, ["photos"])
    record(actor, "micro.proposal_updated", proposal, before=before, after=_snapshot(proposal))
    if submit:
        submit_proposal(actor, proposal, now=now)
    return proposal


def submit_proposal(actor: User, proposal: Proposal, *, now: datetime | None = None) -> Proposal:
    """Draft (during collection) or needs-changes (collection or review) → submitted for review."""
    if actor.id != proposal.author_id:
        raise PermissionDenied(_l("Only the author can submit a proposal."))
    phase = proposal.round.phase
    allowed = (RoundPhase.COLLECTION,) if proposal.status == ProposalStatus.DRAFT else (RoundPhase.COLLECTION,
                                                                                       RoundPhase.REVIEW)
    if phase not in allowed:
        raise Conflict(_l("Proposals can no longer be submitted in this round."))
    proposal.submitted_at = now or utcnow()
    transition(proposal, ProposalStatus.SUBMITTED, actor=actor, action="micro.proposal_submitted")
    routing.route_proposal(actor, proposal, now=proposal.submitted_at)
    return proposal


def delete_photo(actor: User, photo: Photo, upload_dir: Path) -> None:
    """The author removes a photo from a proposal they may still edit."""
    proposal = photo.proposal
    if proposal is None or not can_edit_proposal(actor, proposal):
        raise PermissionDenied(_l("You cannot remove this photo."))
    record(actor, "micro.photo_removed", proposal, after={"photo": photo.stored_name})
    db.session.delete(photo)
    db.session.flush()
    (upload_dir / photo.stored_name).unlink(missing_ok=True)


def can_view_proposal(actor: Any, proposal: Proposal) -> bool:
    if proposal.is_public:
        return True
    return is_authenticated(actor) and (actor.id == proposal.author_id or governs(actor, proposal.round.street_id))


# ------------------------------------------------------------------ supports and comments

def support_counts(proposal_ids: list[int]) -> dict[int, int]:
    if not proposal_ids:
        return {}
    rows = db.session.execute(select(Support.proposal_id, func.count(Support.id))
                              .where(Support.proposal_id.in_(proposal_ids)).group_by(Support.proposal_id))
    return {pid: n for pid, n in rows}


def supports(actor: Any, proposal: Proposal) -> bool:
    return is_authenticated(actor) and db.session.scalar(select(Support.id).where(
        Support.proposal_id == proposal.id, Support.user_id == actor.id)) is not None


def support_proposal(actor: User, proposal: Proposal, *, now: datetime | None = None) -> Support:
    """A verified resident supports (点赞) another resident's proposal during collection."""
    require_round_resident(actor, proposal.round, _l("support proposals"))
    if proposal.round.phase != RoundPhase.COLLECTION:
        raise Conflict(_l("Supports are collected only during the collection phase."))
    if proposal.status not in OPEN_STATUSES:
        raise Conflict(_l("This proposal cannot be supported any more."))
    if proposal.author_id == actor.id:
        raise ValidationFailed(_l("Your own proposal already counts you as a supporter."))
    if supports(actor, proposal):
        raise Conflict(_l("You already support this proposal."))
    support = Support(proposal_id=proposal.id, user_id=actor.id, created_at=now or utcnow())
    db.session.add(support)
    db.session.flush()
    record(actor, "micro.proposal_supported", proposal, after={"supporters": support_counts([proposal.id])[proposal.id]})
    return support


def withdraw_support(actor: User, proposal: Proposal) -> None:
    if proposal.round.phase != RoundPhase.COLLECTION:
        raise Conflict(_l("Supports are collected only during the collection phase."))
    removed = db.session.execute(delete(Support).where(Support.proposal_id == proposal.id,
                                                       Support.user_id == actor.id)).rowcount
    if not removed:
        raise Conflict(_l("You do not support this proposal."))
    record(actor, "micro.proposal_support_withdrawn", proposal,
           after={"supporters": support_counts([proposal.id]).get(proposal.id, 0)})


def require_proposal_commenter(actor: User, proposal: Proposal) -> None:
    if not governs(actor, proposal.round.street_id):
        require_round_resident(actor, proposal.round, _l("comment"))


def add_proposal_comment(actor: User, proposal: Proposal, body: str, *, now: datetime | None = None) -> Comment:
    """Residents of the round and the street's officials discuss a proposal until the vote opens."""
    require_proposal_commenter(actor, proposal)
    if not proposal.is_public:
        raise NotFound(_l("Not found."))
    if proposal.round.phase not in (RoundPhase.COLLECTION, RoundPhase.REVIEW):
        raise Conflict(_l("Comments are closed for this round."))
    return new_comment(actor, body, now or utcnow(), proposal_id=proposal.id)


def proposal_comments(proposal: Proposal) -> list[Comment]:
    return list(db.session.scalars(select(Comment).where(Comment.proposal_id == proposal.id)
                                   .order_by(Comment.created_at, Comment.id)))


# ------------------------------------------------------------------ similar proposals and merging

@dataclass(frozen=True)
class SimilarProposal:
    proposal: Proposal
    score: float
    supporters: int


def similar_proposals(round_: MicroRound, community_id: int | None, text: str, *, exclude_id: int | None = None,
                      limit: int = 5) -> list[SimilarProposal]:
    """Proposals of the same round and community that read like ``text`` (Chinese-aware fuzzy match)."""
    text = (text or "").strip()[:300]
    if len(text) < 2:
        return []
    stmt = select(Proposal).where(Proposal.round_id == round_.id, Proposal.status.in_(SIMILAR_STATUSES))
    if community_id is not None:
        stmt = stmt.where(Proposal.community_id == community_id)
    if exclude_id is not None:
        stmt = stmt.where(Proposal.id != exclude_id)
    candidates = {p.id: p for p in db.session.scalars(stmt)}
    documents = [SearchDocument(p.id, f"{p.title} {p.title_en}", f"{p.description[:120]} {p.description_en[:120]}")
                 for p in candidates.values()]
    ranked = rank(text, documents, min_score=SIMILAR_MIN_SCORE)[:limit]
    counts = support_counts([pid for pid, _ in ranked])
    return [SimilarProposal(candidates[pid], score, counts.get(pid, 0)) for pid, score in ranked]


def merge_proposals(actor: User, duplicate: Proposal, target: Proposal, *, now: datetime | None = None) -> Proposal:
    """An official folds a duplicate into ``target``: its supporters (and author) carry over, once each."""
    round_ = target.round
    if not governs(actor, round_.street_id):
        raise PermissionDenied(_l("Only officials of this round's street can merge proposals."))
    if duplicate.id == target.id:
        raise ValidationFailed(_l("A proposal cannot be merged into itself."), fields={"target_id": _l("Same proposal.")})
    if duplicate.round_id != target.round_id or duplicate.community_id != target.community_id:
        raise ValidationFailed(_l("Only proposals of the same round and community can be merged."),
                               fields={"target_id": _l("Another round or community.")})
    if round_.phase not in (RoundPhase.COLLECTION, RoundPhase.REVIEW):
        raise Conflict(_l("Proposals can only be merged before the vote."))
    if target.status not in OPEN_STATUSES:
        raise Conflict(_l("The target proposal is not open any more."), fields={"target_id": _l("Not open.")})
    duplicate.merged_into_id = target.id
    already = set(db.session.scalars(select(Support.user_id).where(Support.proposal_id == target.id)))
    already.add(target.author_id)
    moved = skipped = 0
    for support in list(db.session.scalars(select(Support).where(Support.proposal_id == duplicate.id))):
        if support.user_id in already:
            db.session.delete(support)
            skipped += 1
        else:
            support.proposal_id = target.id
            already.add(support.user_id)
            moved += 1
    if duplicate.author_id not in already:
        db.session.add(Support(proposal_id=target.id, user_id=duplicate.author_id, created_at=now or utcnow()))
        moved += 1
    db.session.flush()
    transition(duplicate, ProposalStatus.MERGED, actor=actor, action="micro.proposal_merged",
               after={"merged_into": target.id, "supporters_moved": moved, "already_supporting": skipped})
    routing.close_item(proposal=duplicate, now=now)
    return target
