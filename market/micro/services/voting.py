"""Decision (项目确定): ballots, the count, the public notice with objections, and final results."""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError

from market.accounts.models import User
from market.core.audit import record
from market.core.calendar import add_working_days
from market.core.db import db, utcnow
from market.core.errors import Conflict, DomainError, IllegalTransition, ValidationFailed
from market.core.money import money
from market.core.state import transition
from market.geo.services import district_of_street
from market.micro.models import (
    Ballot,
    BallotChoice,
    BallotType,
    MicroRound,
    Objection,
    ObjectionStatus,
    Proposal,
    ProposalStatus,
    RoundPhase,
    RoundResult,
)
from market.micro.services.common import When, clean_text, community_residents, require_round_resident
from market.micro.services.elections import build_election, results_rows
from market.micro.services.rounds import require_official
from market.notifications.services import notify
from market.projects.models import Project, ProjectKind, ProjectStatus


def feasible_proposals(round_: MicroRound) -> list[Proposal]:
    return list(db.session.scalars(select(Proposal).where(Proposal.round_id == round_.id,
                                                          Proposal.status == ProposalStatus.FEASIBLE)
                                   .order_by(Proposal.id)))


def check_can_vote(actor: User, round_: MicroRound, now: datetime) -> None:
    """Raise with a clear message unless ``actor`` may vote in ``round_`` at ``now``."""
    require_round_resident(actor, round_, _l("vote"))
    if round_.phase in (RoundPhase.COLLECTION, RoundPhase.REVIEW):
        raise Conflict(_l("Voting has not opened yet in this round."), code="voting_not_open")
    if round_.phase != RoundPhase.VOTING:
        raise Conflict(_l("Voting in this round is over."), code="voting_closed")
    if now < round_.voting_opens_at:
        raise Conflict(_l("Voting opens at %(when)s.", when=When(round_.voting_opens_at)),
                       code="voting_not_open")
    if now >= round_.voting_closes_at:
        raise Conflict(_l("Voting closed at %(when)s.", when=When(round_.voting_closes_at)),
                       code="voting_closed")


def voting_problem(actor: Any, round_: MicroRound, now: datetime | None = None) -> str | None:
    """Why ``actor`` cannot vote now, in words, or None."""
    if actor is None or not getattr(actor, "is_authenticated", False):
        return str(_l("Log in as a verified resident to vote."))
    try:
        check_can_vote(actor, round_, now or utcnow())
    except DomainError as error:
        return str(error.message)
    return None


def ballot_of(actor: Any, round_: MicroRound) -> Ballot | None:
    if actor is None or not getattr(actor, "is_authenticated", False):
        return None
    return db.session.scalar(select(Ballot).where(Ballot.round_id == round_.id, Ballot.voter_id == actor.id))


def _check_choices(round_: MicroRound, proposal_ids: Iterable[int]) -> list[int]:
    chosen = sorted(set(proposal_ids))
    if not chosen:
        raise ValidationFailed(_l("Pick at least one project."), fields={"proposal_ids": _l("Nothing picked.")})
    on_ballot = {p.id: p for p in feasible_proposals(round_)}
    unknown = [pid for pid in chosen if pid not in on_ballot]
    if unknown:
        raise ValidationFailed(_l("Some picks are not on this ballot."), fields={"proposal_ids": _l("Not on the ballot.")})
    if round_.ballot_type == BallotType.APPROVAL and round_.max_picks and len(chosen) > round_.max_picks:
        raise ValidationFailed(_l("Pick at most %(n)d projects.", n=round_.max_picks),
                               fields={"proposal_ids": _l("Too many picks.")})
    if round_.ballot_type == BallotType.KNAPSACK:
        total = sum(on_ballot[pid].cost_cents for pid in chosen)
        if total > round_.budget_cents:
            raise ValidationFailed(
                _l("Your picks cost %(total)s together, more than the budget of %(budget)s.",
                   total=money(total), budget=money(round_.budget_cents)),
                fields={"proposal_ids": _l("Over the budget.")})
    return chosen


def _locked_ballot(round_: MicroRound, voter: User) -> Ballot | None:
    return db.session.scalar(select(Ballot).where(Ballot.round_id == round_.id, Ballot.voter_id == voter.id)
                             .with_for_update())


def cast_ballot(actor: User, round_: MicroRound, proposal_ids: Iterable[int], *,
                now: datetime | None = None) -> Ballot:
    """Cast or change the actor's one ballot. The unique key (round, voter) settles races: a
    concurrent second insert fails, and this call then changes the ballot that won."""
    now = now or utcnow()
    check_can_vote(actor, round_, now)
    chosen = _check_choices(round_, proposal_ids)
    ballot = _locked_ballot(round_, actor)
    created = False
    if ballot is None:
        try:
            with db.session.begin_nested():
                ballot = Ballot(round_id=round_.id, voter_id=actor.id, cast_at=now)
                db.session.add(ballot)
                db.session.flush()
            created = True
        except IntegrityError:
            ballot = _locked_ballot(round_, actor)
            if ballot is None:  # pragma: no cover - the conflicting row must exist
                raise Conflict(_l("Your ballot could not be saved; please try again.")) from None
    if not created:
        ballot.changed_at = now
    db.session.execute(delete(BallotChoice).where(BallotChoice.ballot_id == ballot.id))
    db.session.add_all(BallotChoice(ballot_id=ballot.id, proposal_id=pid) for pid in chosen)
    db.session.flush()
    db.session.expire(ballot, ["choices"])
    # The audit trail says that a ballot was cast or changed, not what it says.
    record(actor, "micro.ballot_cast" if created else "micro.ballot_changed", ballot,
           after={"round_id": round_.id, "picks": len(chosen)})
    return ballot


def ballots_count(round_: MicroRound) -> int:
    return db.session.scalar(select(func.count(Ballot.id)).where(Ballot.round_id == round_.id)) or 0


def _refuse_unless_round_can_move(round_: MicroRound, target: RoundPhase) -> None:
    """Refuse a phase change before anything is written (:func:`transition` records it once the work is done)."""
    if not round_.can_transition(target):
        raise IllegalTransition(f"A round cannot go from {RoundPhase(round_.phase).value} to {target.value}.")


def close_voting(actor: User, round_: MicroRound, *, now: datetime | None = None) -> MicroRound:
    """After the closing time: count with the round's rule, publish, and start the public notice."""
    now = now or utcnow()
    require_official(actor, round_)
    _refuse_unless_round_can_move(round_, RoundPhase.NOTICE)
    if round_.phase == RoundPhase.VOTING and now < round_.voting_closes_at:
        raise Conflict(_l("Voting is still open until %(when)s.", when=When(round_.voting_closes_at)))
    election = build_election(round_)
    rows = results_rows(round_, election)
    db.session.add_all(rows)
    round_.voters_count = len(election.ballots)
    round_.selected_cost_cents = sum(r.cost_cents for r in rows if r.selected)
    round_.results_published_at = now
    round_.notice_ends_at = add_working_days(now, round_.notice_working_days)
    db.session.flush()
    db.session.expire(round_, ["results"])
    transition(round_, RoundPhase.NOTICE, actor=actor, action="micro.results_published",
               after={"rule": round_.rule, "voters": round_.voters_count,
                  "selected": [r.proposal_id for r in rows if r.selected],
                  "selected_cost_cents": round_.selected_cost_cents, "notice_ends_at": round_.notice_ends_at})
    notify(community_residents(round_.community_id, round_.street_id), "micro.results_published",
           {"round": round_.title, "round_en": round_.title_en, "notice_ends_at": round_.notice_ends_at.isoformat()},
           f"/micro/rounds/{round_.id}/results", now=now)
    return round_


# ------------------------------------------------------------------ public notice

def objections_of(round_: MicroRound) -> list[Objection]:
    return list(db.session.scalars(select(Objection).where(Objection.round_id == round_.id)
                                   .order_by(Objection.created_at, Objection.id)))


def unanswered_objections(round_: MicroRound) -> int:
    return db.session.scalar(select(func.count(Objection.id)).where(
        Objection.round_id == round_.id, Objection.status == ObjectionStatus.UNANSWERED)) or 0


def require_objector(actor: User, round_: MicroRound) -> None:
    require_round_resident(actor, round_, _l("object to the results"))


def file_objection(actor: User, round_: MicroRound, body: str, *, now: datetime | None = None) -> Objection:
    """A resident of the round objects to the results while the notice runs."""
    now = now or utcnow()
    require_objector(actor, round_)
    if round_.phase != RoundPhase.NOTICE or now >= round_.notice_ends_at:
        raise Conflict(_l("Objections are possible only during the public notice."))
    errors: dict[str, Any] = {}
    text = clean_text(body, "body", errors, max_length=4000)
    if errors:
        raise ValidationFailed(_l("Please say what you object to."), fields=errors)
    objection = Objection(round_id=round_.id, author_id=actor.id, body=text, created_at=now)
    db.session.add(objection)
    db.session.flush()
    record(actor, "micro.objection_filed", objection, after={"round_id": round_.id})
    notify([round_.official], "micro.objection_filed", {"round": round_.title, "round_en": round_.title_en},
           f"/micro/rounds/{round_.id}/results", now=now)
    return objection


def require_objection_answerer(actor: User, objection: Objection) -> None:
    require_official(actor, db.session.get(MicroRound, objection.round_id))


def answer_objection(actor: User, objection: Objection, answer: str, *, now: datetime | None = None) -> Objection:
    """An official of the street answers an objection, publicly."""
    now = now or utcnow()
    require_objection_answerer(actor, objection)
    round_ = db.session.get(MicroRound, objection.round_id)
    errors: dict[str, Any] = {}
    text = clean_text(answer, "answer", errors, max_length=4000)
    if errors:
        raise ValidationFailed(_l("Please write the answer."), fields=errors)
    objection.answer = text
    objection.answered_by_id = actor.id
    objection.answered_at = now
    transition(objection, ObjectionStatus.ANSWERED, actor=actor, action="micro.objection_answered",
               after={"answer": text})
    notify([objection.author], "micro.objection_answered", {"round": round_.title, "round_en": round_.title_en},
           f"/micro/rounds/{round_.id}/results", now=now)
    return objection


def finalise_results(actor: User, round_: MicroRound, *, now: datetime | None = None) -> list[Project]:
    """After the notice, with every objection answered: results become final and each selected
    proposal becomes a micro-project open for provider and funding matching."""
    now = now or utcnow()
    require_official(actor, round_)
    _refuse_unless_round_can_move(round_, RoundPhase.FINAL)
    if round_.phase == RoundPhase.NOTICE:
        if now < round_.notice_ends_at:
            raise Conflict(_l("The public notice runs until %(when)s.", when=When(round_.notice_ends_at)))
        waiting = unanswered_objections(round_)
        if waiting:
            raise Conflict(_l("%(n)d objections still wait for an answer.", n=waiting))
    round_.results_final_at = now
    projects = []
    for row in round_.results:
        proposal = row.proposal
        transition(proposal, ProposalStatus.SELECTED if row.selected else ProposalStatus.NOT_SELECTED, actor=actor,
                   action="micro.proposal_selected" if row.selected else "micro.proposal_not_selected",
                   after={"round_id": round_.id})
        if row.selected:
            projects.append(_project_from(actor, round_, proposal, now))
    transition(round_, RoundPhase.FINAL, actor=actor, action="micro.results_final",
               after={"projects": [p.id for p in projects]})
    notify(community_residents(round_.community_id, round_.street_id), "micro.results_final",
           {"round": round_.title, "round_en": round_.title_en}, f"/micro/rounds/{round_.id}/results", now=now)
    return projects


def _project_from(actor: User, round_: MicroRound, proposal: Proposal, now: datetime) -> Project:
    official = round_.official
    project = Project(kind=ProjectKind.MICRO, title=proposal.title, title_en=proposal.title_en,
                      description=proposal.description, description_en=proposal.description_en,
                      category_id=proposal.category_id, project_type=proposal.project_type,
                      street_id=round_.street_id, district_id=district_of_street(round_.street_id),
                      community_id=proposal.community_id,
                      budget_cents=proposal.official_cost_cents, owner_id=official.id,
                      organization_id=official.organization_id, status=ProjectStatus.OPEN, published_at=now)
    db.session.add(project)
    db.session.flush()
    proposal.project_id = project.id
    record(actor, "project.created", project,
           after={"title": project.title, "budget_cents": project.budget_cents, "kind": project.kind,
                  "status": project.status, "community_id": project.community_id, "proposal_id": proposal.id})
    return project


@dataclass(frozen=True)
class ResultsView:
    round: MicroRound
    rows: list[RoundResult]
    max_votes: int

    def vote_percent(self, row: RoundResult) -> int:
        return round(100 * row.votes / self.max_votes) if self.max_votes else 0

    @property
    def unused_cents(self) -> int:
        return self.round.budget_cents - self.round.selected_cost_cents


def results_view(round_: MicroRound) -> ResultsView:
    rows = list(round_.results)
    return ResultsView(round_, rows, max((r.votes for r in rows), default=0))
