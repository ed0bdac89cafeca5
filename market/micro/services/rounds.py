"""Rounds: creation by a street official and the moves between phases."""
from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, func, or_, select
from sqlalchemy.exc import IntegrityError

from market.accounts.models import User
from market.core.audit import record
from market.core.db import db, utcnow
from market.core.errors import Conflict, PermissionDenied, ValidationFailed
from market.core.state import transition
from market.geo.models import Community, Street
from market.micro.models import (
    ACTIVE_PHASES,
    DEFAULT_CAP_SERVICE_CENTS,
    DEFAULT_CAP_WORKS_CENTS,
    BallotType,
    MicroRound,
    Proposal,
    ProposalStatus,
    RoundPhase,
    SelectionRule,
)
from market.micro.services.common import community_residents, governs
from market.notifications.services import notify


@dataclass(frozen=True)
class RoundInput:
    """The fields an official sets when creating a round."""

    title: str
    year: int
    street_id: int
    budget_cents: int
    community_id: int | None = None
    title_en: str = ""
    cap_service_cents: int = DEFAULT_CAP_SERVICE_CENTS
    cap_works_cents: int = DEFAULT_CAP_WORKS_CENTS


def _snapshot(round_: MicroRound) -> dict[str, Any]:
    return {"phase": round_.phase, "budget_cents": round_.budget_cents, "community_id": round_.community_id,
            "street_id": round_.street_id, "ballot_type": round_.ballot_type, "rule": round_.rule,
            "max_picks": round_.max_picks, "voting_opens_at": round_.voting_opens_at,
            "voting_closes_at": round_.voting_closes_at, "notice_working_days": round_.notice_working_days}


def require_official(actor: User, round_: MicroRound) -> None:
    if not governs(actor, round_.street_id):
        raise PermissionDenied(_l("Only officials of this round's street can do that."))


def create_round(actor: User, data: RoundInput, *, now: datetime | None = None) -> MicroRound:
    """Open the collection phase of a new round for a community (or a whole street)."""
    if not governs(actor, data.street_id):
        raise PermissionDenied(_l("You can only create rounds for your own street."),
                               fields={"street_id": _l("Outside your street.")})
    errors: dict[str, Any] = {}
    if not data.title.strip():
        errors["title"] = _l("A title is required.")
    if db.session.get(Street, data.street_id) is None:
        errors["street_id"] = _l("Unknown street.")
    if data.community_id is not None:
        community = db.session.get(Community, data.community_id)
        if community is None or community.street_id != data.street_id:
            errors["community_id"] = _l("This community is not in the chosen street.")
    if data.budget_cents <= 0:
        errors["budget"] = _l("The budget must be more than zero.")
    if data.cap_service_cents <= 0:
        errors["cap_service"] = _l("The cap must be more than zero.")
    if data.cap_works_cents <= 0:
        errors["cap_works"] = _l("The cap must be more than zero.")
    if not 2000 <= data.year <= 2100:
        errors["year"] = _l("Not a plausible year.")
    if errors:
        raise ValidationFailed(_l("Please correct the marked fields."), fields=errors)
    # A community's own round and its street's street-wide round are separate programmes (社区级 and
    # 街道级 民生微实事) and may run side by side; each has at most one round under way.
    busy = db.session.scalar(select(func.count(MicroRound.id)).where(
        MicroRound.street_id == data.street_id, MicroRound.phase.in_(ACTIVE_PHASES),
        MicroRound.community_id.is_(None) if data.community_id is None
        else MicroRound.community_id == data.community_id))
    if busy and data.community_id is None:
        raise Conflict(_l("This street already has a street-wide round under way."),
                       fields={"community_id": _l("Busy.")})
    if busy:
        raise Conflict(_l("This community already has a round under way."), fields={"community_id": _l("Busy.")})
    round_ = MicroRound(title=data.title.strip(), title_en=data.title_en.strip(), year=data.year,
                        street_id=data.street_id, community_id=data.community_id, official_id=actor.id,
                        budget_cents=data.budget_cents, cap_service_cents=data.cap_service_cents,
                        cap_works_cents=data.cap_works_cents, phase=RoundPhase.COLLECTION,
                        created_at=now or utcnow())
    try:
        with db.session.begin_nested():
            db.session.add(round_)
            db.session.flush()
    except IntegrityError:  # another official opened one for the same place at the same moment
        raise Conflict(_l("This community already has a round under way."),
                       fields={"community_id": _l("Busy.")}) from None
    record(actor, "micro.round_created", round_, after=_snapshot(round_))
    notify(community_residents(round_.community_id, round_.street_id), "micro.round_opened",
           {"round": round_.title, "round_en": round_.title_en}, f"/micro/rounds/{round_.id}", now=now)
    return round_


def change_phase(actor: User, round_: MicroRound, target: RoundPhase) -> MicroRound:
    """The simple moves: collection ↔ review, and cancelling. Voting and results have their own operations."""
    require_official(actor, round_)
    if target not in (RoundPhase.REVIEW, RoundPhase.COLLECTION, RoundPhase.CANCELLED):
        raise ValidationFailed(_l("Use the voting and results pages for this step."))
    transition(round_, target, actor=actor, action="micro.round_phase_changed")
    return round_


@dataclass(frozen=True)
class VotingSetup:
    """What an official decides when opening the vote."""

    budget_cents: int
    opens_at: datetime
    closes_at: datetime
    ballot_type: BallotType = BallotType.APPROVAL
    rule: SelectionRule = SelectionRule.MES_ADD1_GREEDY
    max_picks: int | None = None
    notice_working_days: int = 5


def open_voting(actor: User, round_: MicroRound, setup: VotingSetup, *, now: datetime | None = None) -> MicroRound:
    """Review → voting: fix budget, times, ballot type and rule; tell the residents."""
    require_official(actor, round_)
    now = now or utcnow()
    errors: dict[str, Any] = {}
    if setup.budget_cents <= 0:
        errors["budget"] = _l("The budget must be more than zero.")
    if setup.closes_at <= setup.opens_at:
        errors["closes_at"] = _l("Voting must close after it opens.")
    elif setup.closes_at <= now:
        errors["closes_at"] = _l("The closing time is already past.")
    if setup.max_picks is not None and setup.max_picks < 1:
        errors["max_picks"] = _l("At least one pick.")
    if setup.ballot_type == BallotType.KNAPSACK and setup.max_picks is not None:
        errors["max_picks"] = _l("Knapsack ballots are limited by the budget, not by a number of picks.")
    if not 0 <= setup.notice_working_days <= 30:
        errors["notice_working_days"] = _l("Between 0 and 30 working days.")
    if errors:
        raise ValidationFailed(_l("Please correct the marked fields."), fields=errors)
    statuses = dict(db.session.execute(select(Proposal.status, func.count(Proposal.id))
                                       .where(Proposal.round_id == round_.id).group_by(Proposal.status)).all())
    if statuses.get(ProposalStatus.SUBMITTED):
        raise Conflict(_l("%(n)d proposals still wait for review; review them before opening the vote.",
                          n=statuses[ProposalStatus.SUBMITTED]))
    if not statuses.get(ProposalStatus.FEASIBLE):
        raise Conflict(_l("There is no feasible proposal to vote on."))
    before = _snapshot(round_)
    round_.budget_cents = setup.budget_cents
    round_.voting_opens_at = setup.opens_at
    round_.voting_closes_at = setup.closes_at
    round_.ballot_type = setup.ballot_type
    round_.rule = setup.rule
    round_.max_picks = setup.max_picks
    round_.notice_working_days = setup.notice_working_days
    round_.ballot_salt = secrets.token_hex(16)
    transition(round_, RoundPhase.VOTING, actor=actor, action="micro.voting_opened", before=before,
               after=_snapshot(round_))
    notify(community_residents(round_.community_id, round_.street_id), "micro.voting_opened",
           {"round": round_.title, "round_en": round_.title_en, "closes_at": setup.closes_at.isoformat()},
           f"/micro/rounds/{round_.id}/ballot", now=now)
    return round_


def rounds_query(*, street_id: int | None = None, community_id: int | None = None,
                 phase: str | None = None) -> Select:
    stmt = select(MicroRound).order_by(MicroRound.year.desc(), MicroRound.id.desc())
    if street_id is not None:
        stmt = stmt.where(MicroRound.street_id == street_id)
    if community_id is not None:
        stmt = stmt.where(or_(MicroRound.community_id == community_id,
                              (MicroRound.community_id.is_(None)) & (MicroRound.street_id == select(
                                  Community.street_id).where(Community.id == community_id).scalar_subquery())))
    if phase is not None:
        stmt = stmt.where(MicroRound.phase == phase)
    return stmt


def current_rounds_for(community_id: int | None) -> list[MicroRound]:
    """The rounds under way that residents of ``community_id`` take part in (their community's own and their
    street's street-wide round), else their latest round."""
    if community_id is None:
        return []
    active = list(db.session.scalars(rounds_query(community_id=community_id)
                                     .where(MicroRound.phase.in_(ACTIVE_PHASES))))
    if active:
        return active
    latest = db.session.scalar(rounds_query(community_id=community_id)
                               .where(MicroRound.phase != RoundPhase.CANCELLED).limit(1))
    return [latest] if latest is not None else []
