"""Approving a match: the award (公示) that makes the contracts, objections, money reserved in pools.

Signing the contracts and their milestones are :mod:`market.contracts.services`; this module
answers its signals (an open objection blocks signing, the last signature confirms the award).

Money safety
------------
:func:`approve_proposal` and :func:`cancel_award` lock, always in this order, the pool rows by
ascending id, then the project row, then the provider rows by ascending id (``SELECT ... FOR
UPDATE`` on PostgreSQL; SQLite serialises writers anyway). Pools before the project is also the
order of :mod:`market.funding` (a pledge locks its pool, then the project), so the two never
deadlock. Only then do they read the money left, write and append to the audit trail (whose own
advisory lock therefore never waits for a row lock held by another approval). A second official
approving a competing proposal at the same moment waits, then sees the project already awarded or
the pool already spent, and gets a :class:`~market.core.errors.Conflict`. The pools' check constraint
(0 <= remaining <= total) and the contracts' unique (project, lot) are the last line of defence.

Reserving money does not touch ``Project.funded_cents`` (money received): reserved commitments
are counted separately (``market.funding``), and become received when they are paid.
"""
from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, func, select

from market.accounts.models import User
from market.bids.models import Bid, BidStatus, Lot
from market.bids.services import Joined, award_blockers
from market.contracts.models import Contract, ContractStatus, Milestone, MilestoneStatus
from market.contracts.services import milestone_plan
from market.contracts.signals import blocks_signing, project_contracts_signed
from market.core import ledger, policy
from market.core.audit import record
from market.core.calendar import add_working_days, local_date
from market.core.db import db, utcnow
from market.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from market.core.money import money
from market.core.state import transition
from market.funds.models import CommitmentStatus, FundingCommitment, FundingPool
from market.geo.services import limit_to_jurisdiction
from market.orgs.models import Organization
from market.panels import services as panels
from market.projects.models import Project, ProjectKind, ProjectStatus
from market.review.adapter import open_needs
from market.review.models import (
    Award,
    AwardObjection,
    AwardObjectionStatus,
    AwardStatus,
    MatchProposal,
    MatchProposalStatus,
    RunStatus,
)

NOTICE_WORKING_DAYS = 5
ACTIVE_CONTRACT = (ContractStatus.IN_NOTICE, ContractStatus.SIGNED)


def _locked(stmt: Select) -> Select:
    """Lock the selected rows until the transaction ends and read their current values."""
    return stmt.with_for_update().execution_options(populate_existing=True)


def _lock_project(project_id: int) -> Project:
    project = db.session.scalar(_locked(select(Project).where(Project.id == project_id)))
    if project is None:
        raise NotFound(_l("Not found."))
    return project


def _lock_pools(pool_ids: set[int]) -> dict[int, FundingPool]:
    if not pool_ids:
        return {}
    return {p.id: p for p in db.session.scalars(_locked(select(FundingPool).where(FundingPool.id.in_(pool_ids))
                                                        .order_by(FundingPool.id)))}


def _lock_orgs(org_ids: set[int]) -> dict[int, Organization]:
    if not org_ids:
        return {}
    return {o.id: o for o in db.session.scalars(_locked(select(Organization).where(Organization.id.in_(org_ids))
                                                        .order_by(Organization.id)))}


# ---------------------------------------------------------------- contract dates

def _dates(project: Project, notice_ends_at: datetime) -> tuple[date, date]:
    start = project.start_date or (local_date(notice_ends_at) + timedelta(days=7))
    end = project.end_date or (start + timedelta(days=180))
    return start, max(start, end)


# ---------------------------------------------------------------- approval

def approve_proposal(actor: User, proposal: MatchProposal, *, reason: str = "", now: datetime | None = None,
                     notice_days: int = NOTICE_WORKING_DAYS) -> Award:
    """Approve a proposal: publish the award for ``notice_days`` working days, create the contract(s)
    in notice with their milestones, reserve the money in the pools, and mark the project awarded.

    Raises :class:`Conflict` when the project was awarded meanwhile, a pool no longer has the
    money, or a provider no longer has capacity: re-run the match then.
    """
    now = now or utcnow()
    if not 1 <= notice_days <= 30:
        raise ValidationFailed(_l("The notice period is between 1 and 30 working days."),
                               fields={"notice_days": _l("Between 1 and 30.")})
    # 1. Locks, in the one fixed order: pools, project, providers (a proposal's content never changes).
    policy.require(actor, "match.decide", proposal.project)
    pool_ids = {int(f["pool_id"]) for f in proposal.funding}
    pools = _lock_pools(pool_ids)
    project = _lock_project(proposal.project_id)
    provider_ids = {int(u["provider_id"]) for u in proposal.units if u.get("provider_id") is not None}
    if project.kind == ProjectKind.PUBLIC_BENEFIT and not provider_ids and project.organization_id:
        provider_ids = {project.organization_id}
    orgs = _lock_orgs(provider_ids)
    proposal = db.session.scalar(_locked(select(MatchProposal).where(MatchProposal.id == proposal.id)))

    # 2. Checks on the fresh rows.
    if proposal.run.status != RunStatus.SUCCEEDED:
        raise Conflict(_l("This run has not finished."))
    if proposal.status != MatchProposalStatus.PROPOSED:
        raise Conflict(_l("This proposal was already decided (%(status)s).", status=proposal.status))
    if project.status not in (ProjectStatus.EVALUATING, ProjectStatus.OPEN):
        raise Conflict(_l("The project was awarded or changed meanwhile (now %(status)s); re-run the match.",
                          status=project.status), code="already_awarded")
    if db.session.scalar(select(func.count(Contract.id)).where(Contract.project_id == project.id,
                                                               Contract.status != ContractStatus.TERMINATED)):
        raise Conflict(_l("The project already has a contract."), code="already_awarded")
    if not proposal.units:
        raise Conflict(_l("This proposal has nothing to approve."))
    blockers = award_blockers(project, now)
    if blockers:
        raise Conflict(_l("No award yet: %(reasons)s", reasons=Joined(blockers, "; ")), code="award_blocked")
    for pool_id in sorted(pool_ids):
        pool = pools.get(pool_id)
        need = sum(int(f["amount"]) for f in proposal.funding if int(f["pool_id"]) == pool_id)
        if pool is None or not pool.is_open:
            raise Conflict(_l("A pool of this proposal is closed now; re-run the match."), code="pool_closed")
        if pool.remaining_cents < need:
            raise Conflict(_l("%(pool)s has only %(left)s left, %(need)s needed: re-run the match.",
                              pool=pool.name, left=money(pool.remaining_cents), need=money(need)),
                           code="pool_exhausted")
        if pool.max_grant_cents is not None and need > pool.max_grant_cents:
            raise Conflict(_l("%(pool)s now pays at most %(max)s per project: re-run the match.",
                              pool=pool.name, max=money(pool.max_grant_cents)), code="pool_rules_changed")
    loads = dict(db.session.execute(select(Contract.provider_id, func.count()).where(
        Contract.provider_id.in_(provider_ids), Contract.status.in_(ACTIVE_CONTRACT)).group_by(Contract.provider_id)).all())
    for provider_id in sorted(provider_ids):
        org = orgs.get(provider_id)
        if org is None or not org.is_eligible:
            raise Conflict(_l("A provider of this proposal is no longer verified; re-run the match."),
                           code="provider_unverified")
        if project.kind != ProjectKind.PUBLIC_BENEFIT:
            wanted = sum(1 for u in proposal.units if u.get("provider_id") == provider_id)
            if loads.get(provider_id, 0) + wanted > org.capacity:
                raise Conflict(_l("%(org)s has no capacity left; re-run the match.", org=org.name),
                               code="provider_full")
    funded = sum(int(f["amount"]) for f in proposal.funding)
    if funded and funded > open_needs([project])[project.id]:
        raise Conflict(_l("This funding would exceed what the project still needs; re-run the match."),
                       code="overfunded")
    blockers = panels.award_blockers(project, now)
    if blockers:
        raise Conflict(_l("The award waits for the evaluation: %(why)s", why=Joined(blockers)), code="evaluation_pending")
    if len((reason or "").strip()) < 5 and any(panels.first_candidate(project, u.get("lot_id")) not in
                                               (None, u.get("provider_id")) for u in proposal.units):
        raise ValidationFailed(_l("The panel ranked another bidder first: publish why this one is chosen."),
                               fields={"reason": _l("A public reason is required.")})

    # 3. Writes.
    notice_ends_at = add_working_days(now, notice_days)
    previous_status = ProjectStatus(project.status)
    cost = sum(int(u["cost"]) for u in proposal.units)
    award = Award(project_id=project.id, proposal_id=proposal.id, run_id=proposal.run_id,
                  status=AwardStatus.IN_NOTICE, reason=(reason or "").strip()[:2000],
                  explanation={"units": proposal.units, "funding": proposal.funding, "score": proposal.score,
                               "run_id": proposal.run_id, "project_status_before": previous_status.value},
                  amount_cents=cost if project.kind != ProjectKind.PUBLIC_BENEFIT else funded,
                  funded_cents=funded, approved_by_id=actor.id, approved_at=now, notice_ends_at=notice_ends_at)
    db.session.add(award)
    db.session.flush()
    lots = {lot.id: lot for lot in db.session.scalars(select(Lot).where(Lot.project_id == project.id))}
    start, end = _dates(project, notice_ends_at)
    contracts: list[Contract] = []
    for unit in proposal.units:
        lot = lots.get(unit.get("lot_id")) if unit.get("lot_id") is not None else None
        provider_id = unit.get("provider_id") or project.organization_id
        amount = int(unit["cost"]) if project.kind != ProjectKind.PUBLIC_BENEFIT else funded
        if provider_id is None or amount <= 0:
            raise Conflict(_l("This proposal has no one to contract with."))
        contract = Contract(project_id=project.id, lot_id=lot.id if lot else None, lot_seq=lot.seq if lot else 0,
                            award_id=award.id, provider_id=provider_id, amount_cents=amount,
                            status=ContractStatus.IN_NOTICE, notice_ends_at=notice_ends_at)
        for seq, title, title_en, due, part in milestone_plan(amount, start, end):
            contract.milestones.append(Milestone(seq=seq, title=title, title_en=title_en, due_date=due,
                                                 amount_cents=part, status=MilestoneStatus.PLANNED))
        db.session.add(contract)
        contracts.append(contract)
        unit_funding = unit.get("funding", [])
        if project.kind == ProjectKind.PUBLIC_BENEFIT:
            unit_funding = proposal.funding
        db.session.flush()
        for f in unit_funding:
            _reserve(actor, pools[int(f["pool_id"])], project, contract, award, int(f["amount"]), now)
    _decide_bids(actor, project, proposal)
    proposal.decided_by_id, proposal.decided_at, proposal.decision_reason = actor.id, now, award.reason
    transition(proposal, MatchProposalStatus.APPROVED, actor=actor, action="match_proposal.approved",
               after={"award_id": award.id})
    for other in db.session.scalars(select(MatchProposal).where(MatchProposal.project_id == project.id,
                                                                MatchProposal.id != proposal.id,
                                                                MatchProposal.status == MatchProposalStatus.PROPOSED)):
        transition(other, MatchProposalStatus.SUPERSEDED, actor=actor, action="match_proposal.superseded",
                   after={"award_id": award.id})
    transition(project, ProjectStatus.AWARDED, actor=actor, action="project.awarded", after={"award_id": award.id})
    record(actor, "award.approved", award, after={
        "project_id": project.id, "proposal_id": proposal.id, "run_id": proposal.run_id, "reason": award.reason,
        "amount_cents": award.amount_cents, "funded_cents": funded, "notice_ends_at": notice_ends_at,
        "contracts": [{"id": c.id, "provider_id": c.provider_id, "lot_seq": c.lot_seq, "amount_cents": c.amount_cents}
                      for c in contracts]})
    return award


def reserved_for(project_id: int) -> int:
    """Money reserved for a project in pools and not paid yet."""
    return db.session.scalar(select(func.coalesce(func.sum(FundingCommitment.amount_cents), 0)).where(
        FundingCommitment.project_id == project_id, FundingCommitment.status == CommitmentStatus.RESERVED)) or 0


def _reserve(actor: User, pool: FundingPool, project: Project, contract: Contract, award: Award, amount: int,
             now: datetime) -> None:
    """Set ``amount`` of the pool aside for the contract: a ledger movement into a commitment."""
    if amount <= 0:
        return
    commitment = FundingCommitment(pool_id=pool.id, project_id=project.id, contract_id=contract.id, award_id=award.id,
                                   amount_cents=amount, status=CommitmentStatus.RESERVED)
    db.session.add(commitment)
    db.session.flush()
    ledger.move(ledger.Movement.COMMITMENT, amount, source=ledger.pool(pool.id),
                target=ledger.commitment(commitment.id), actor=actor, reference=commitment, project_id=project.id,
                memo=f"contract {contract.id}, award {award.id}", at=now)


def _decide_bids(actor: User, project: Project, proposal: MatchProposal) -> None:
    winners = {(u.get("lot_id"), u.get("provider_id")) for u in proposal.units}
    bids = list(db.session.scalars(select(Bid).where(Bid.project_id == project.id,
                                                     Bid.status == BidStatus.SUBMITTED).order_by(Bid.id)))
    if not bids:
        return
    for bid in bids:
        won = (bid.lot_id, bid.organization_id) in winners
        transition(bid, BidStatus.AWARDED if won else BidStatus.NOT_AWARDED, actor=actor,
                   action="bid.awarded" if won else "bid.not_awarded", after={"project_id": project.id})


# ---------------------------------------------------------------- objections and cancellation

MIN_OBJECTION = 10


def file_objection(actor: User, award: Award, text: str, *, now: datetime | None = None) -> AwardObjection:
    """Anyone logged in may object to an award during its notice period."""
    now = now or utcnow()
    if actor is None or not getattr(actor, "is_authenticated", False):
        raise PermissionDenied(_l("Log in to file an objection."))
    text = (text or "").strip()
    if len(text) < MIN_OBJECTION:
        raise ValidationFailed(_l("Explain the objection (at least %(n)d characters).", n=MIN_OBJECTION),
                               fields={"text": _l("Too short.")})
    if award.status != AwardStatus.IN_NOTICE or now >= award.notice_ends_at:
        raise Conflict(_l("The notice period of this award is over."), code="notice_over")
    if db.session.scalar(select(func.count(AwardObjection.id)).where(
            AwardObjection.award_id == award.id, AwardObjection.submitted_by_id == actor.id,
            AwardObjection.status == AwardObjectionStatus.OPEN)):
        raise Conflict(_l("You already have an objection awaiting an answer on this award."))
    objection = AwardObjection(award=award, submitted_by_id=actor.id, text=text[:5000], submitted_at=now,
                               status=AwardObjectionStatus.OPEN)
    db.session.add(objection)
    db.session.flush()
    record(actor, "award.objection_filed", objection, after={"award_id": award.id})
    return objection


def answer_objection(actor: User, objection: AwardObjection, *, uphold: bool, answer: str,
                     now: datetime | None = None) -> AwardObjection:
    """An official answers an objection. Upholding it cancels the award and gives the money back."""
    now = now or utcnow()
    award = objection.award
    policy.require(actor, "award.answer", award.project)
    answer = (answer or "").strip()
    if len(answer) < 5:
        raise ValidationFailed(_l("Write the answer; it is published with the award."),
                               fields={"answer": _l("An answer is required.")})
    if uphold:
        cancel_award(actor, award, reason=answer, now=now)
    objection.answer, objection.answered_by_id, objection.answered_at = answer[:5000], actor.id, now
    transition(objection, AwardObjectionStatus.UPHELD if uphold else AwardObjectionStatus.DISMISSED, actor=actor,
               action="award.objection_answered", after={"answer": objection.answer})
    return objection


def cancel_award(actor: User | None, award: Award, *, reason: str, now: datetime | None = None) -> Award:
    """Cancel an award in notice: contracts terminated, money released to the pools, bids back in
    the running, project back where it was before the approval."""
    now = now or utcnow()
    if actor is not None:  # None: the system itself, e.g. a job; people must govern the project
        policy.require(actor, "award.answer", award)
    pool_ids = set(db.session.scalars(select(FundingCommitment.pool_id).where(FundingCommitment.award_id == award.id)))
    pools = _lock_pools(pool_ids)
    project = _lock_project(award.project_id)
    award = db.session.scalar(_locked(select(Award).where(Award.id == award.id)))
    commitments = list(db.session.scalars(_locked(select(FundingCommitment).where(
        FundingCommitment.award_id == award.id, FundingCommitment.status == CommitmentStatus.RESERVED)
        .order_by(FundingCommitment.id))))
    if award.status != AwardStatus.IN_NOTICE:
        raise Conflict(_l("Only an award in its notice period can be cancelled."))
    award.closed_at = now
    transition(award, AwardStatus.CANCELLED, actor=actor, action="award.cancelled", after={"reason": reason[:500]})
    released = 0
    for commitment in commitments:
        pool = pools[commitment.pool_id]
        held = ledger.balance(ledger.commitment(commitment.id))
        commitment.released_at = now
        transition(commitment, CommitmentStatus.RELEASED, actor=actor, action="commitment.released")
        if held:
            ledger.move(ledger.Movement.COMMITMENT_RELEASE, held, source=ledger.commitment(commitment.id),
                        target=ledger.pool(pool.id), actor=actor, reference=commitment, project_id=project.id,
                        memo=reason[:200], at=now)
        released += held
    for contract in db.session.scalars(select(Contract).where(Contract.award_id == award.id)):
        contract.ended_at = now
        transition(contract, ContractStatus.TERMINATED, actor=actor, action="contract.terminated",
                   after={"reason": reason[:500]})
    for bid in db.session.scalars(select(Bid).where(Bid.project_id == project.id,
                                                    Bid.status.in_((BidStatus.AWARDED, BidStatus.NOT_AWARDED)))):
        transition(bid, BidStatus.SUBMITTED, actor=actor, action="bid.back_in_the_running",
                   after={"project_id": project.id})
    target = ProjectStatus(award.explanation.get("project_status_before", ProjectStatus.EVALUATING))
    if project.status == ProjectStatus.AWARDED:
        transition(project, target, actor=actor, action="project.award_cancelled", after={"award_id": award.id})
    record(actor, "award.money_released", award, after={"released_cents": released})
    return award


# ---------------------------------------------------------------- what the award says about signing

@blocks_signing.connect
def _award_blocks_signing(contract: Contract, *, now: datetime) -> list[Any]:
    """A contract waits while its award is cancelled or an objection to it awaits an answer."""
    award = db.session.get(Award, contract.award_id) if contract.award_id else None
    problems: list[Any] = []
    if award is not None:
        if award.status == AwardStatus.CANCELLED:
            problems.append(_l("The award was cancelled."))
        if award.open_objections:
            problems.append(_l("%(n)d objection(s) still await an answer.", n=len(award.open_objections)))
    return problems


@project_contracts_signed.connect
def _confirm_award(contract: Contract, *, actor: User | None, now: datetime) -> None:
    """Every contract of the project signed: the award in notice is confirmed."""
    award = db.session.get(Award, contract.award_id) if contract.award_id else None
    if award is not None and award.status == AwardStatus.IN_NOTICE:
        award.closed_at = now
        transition(award, AwardStatus.CONFIRMED, actor=actor, action="award.confirmed")


# ---------------------------------------------------------------- reading

def public_awards(status: AwardStatus | None = None) -> Select:
    stmt = select(Award).order_by(Award.approved_at.desc(), Award.id.desc())
    if status is not None:
        stmt = stmt.where(Award.status == status)
    return stmt


def latest_award(project: Project) -> Award | None:
    return db.session.scalar(select(Award).where(Award.project_id == project.id)
                             .order_by(Award.approved_at.desc(), Award.id.desc()).limit(1))


def commitments_of(award: Award) -> list[FundingCommitment]:
    return list(db.session.scalars(select(FundingCommitment).where(FundingCommitment.award_id == award.id)
                                   .order_by(FundingCommitment.id)))


def open_objections(actor: User) -> Select:
    stmt = (select(AwardObjection).join(Award, AwardObjection.award_id == Award.id)
            .join(Project, Award.project_id == Project.id)
            .where(AwardObjection.status == AwardObjectionStatus.OPEN).order_by(AwardObjection.submitted_at))
    return limit_to_jurisdiction(stmt, actor, Project.street_id, Project.district_id)
