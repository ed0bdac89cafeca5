"""Approving a match: the award (公示), objections, contracts, money reserved in pools, milestones.

Money safety
------------
:func:`approve_proposal` and :func:`cancel_award` lock, always in this order, the pool rows by
ascending id, then the project row, then the provider rows by ascending id (``SELECT ... FOR
UPDATE`` on PostgreSQL; SQLite serialises writers anyway). Pools before the project is also the
order of :mod:`market.funding` (a pledge locks its pool, then the project), so the two never
deadlock. Only then do they read the money left, write and append to the audit trail (whose own
advisory lock therefore never waits for a row lock held by another approval). A second official
approving a competing proposal at the same moment waits, then sees the project already awarded or
the pool already spent, and gets a :class:`~market.errors.Conflict`. The pools' check constraint
(0 <= remaining <= total) and the contracts' unique (project, lot) are the last line of defence.

Reserving money does not touch ``Project.funded_cents`` (money received): reserved commitments
are counted separately (``market.funding``), and become received when they are paid.
"""
from __future__ import annotations

import importlib
from datetime import date, datetime, timedelta
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, func, select

from market.accounts.models import Role, User
from market.audit.services import record
from market.bids.models import Bid, BidStatus, Lot
from market.bids.services import Joined
from market.calendar import add_working_days, local_date, local_label
from market.contracts.models import Contract, ContractStatus, Milestone, MilestoneStatus
from market.db import db, utcnow
from market.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from market.funds.models import CommitmentStatus, FundingCommitment, FundingPool
from market.money import money
from market.orgs.models import Organization
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
#: Milestones of every contract: share of the amount, Chinese and English title, when it is due.
MILESTONE_PLAN: tuple[tuple[int, str, str, str], ...] = (
    (30, "项目启动", "Start of the service", "start"),
    (40, "中期评估", "Mid-term review", "middle"),
    (30, "项目验收", "Final acceptance", "end"),
)
ACTIVE_CONTRACT = (ContractStatus.IN_NOTICE, ContractStatus.SIGNED)


def _governs(actor: User | None, project: Project) -> bool:
    return actor is not None and getattr(actor, "is_authenticated", False) and actor.is_official \
        and actor.governs_street(project.street_id)


def _require_governs(actor: User, project: Project, message: Any) -> None:
    if not _governs(actor, project):
        raise PermissionDenied(message)


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


# ---------------------------------------------------------------- milestones plan

def milestone_plan(amount_cents: int, start: date, end: date) -> list[tuple[int, str, str, date, int]]:
    """``(seq, title, title_en, due_date, amount)`` for a contract: 30 % on start, 40 % mid-term,
    30 % on acceptance; the last milestone takes the rounding so the amounts add up exactly.

    >>> [m[4] for m in milestone_plan(1001, date(2027, 1, 1), date(2027, 12, 31))]
    [300, 400, 301]
    """
    if end < start:
        end = start
    due = {"start": start, "middle": start + (end - start) / 2, "end": end}
    out = []
    paid = 0
    for seq, (share, title, title_en, when) in enumerate(MILESTONE_PLAN, start=1):
        amount = amount_cents - paid if seq == len(MILESTONE_PLAN) else amount_cents * share // 100
        paid += amount
        out.append((seq, title, title_en, due[when], amount))
    return out


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
    if not _governs(actor, proposal.project):
        raise PermissionDenied(_l("You cannot award another street's project."))
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
        if org is None or not org.is_verified:
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
            _reserve(actor, pools[int(f["pool_id"])], project, contract, award, int(f["amount"]))
    _decide_bids(actor, project, proposal)
    proposal.transition(MatchProposalStatus.APPROVED)
    proposal.decided_by_id, proposal.decided_at, proposal.decision_reason = actor.id, now, award.reason
    for other in db.session.scalars(select(MatchProposal).where(MatchProposal.project_id == project.id,
                                                                MatchProposal.id != proposal.id,
                                                                MatchProposal.status == MatchProposalStatus.PROPOSED)):
        other.transition(MatchProposalStatus.SUPERSEDED)
    project.transition(ProjectStatus.AWARDED)
    record(actor, "project.status_changed", project, before={"status": previous_status},
           after={"status": ProjectStatus.AWARDED})
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


def _reserve(actor: User, pool: FundingPool, project: Project, contract: Contract, award: Award, amount: int) -> None:
    if amount <= 0:
        return
    if pool.remaining_cents < amount:  # checked above; kept as a guard for direct callers
        raise Conflict(_l("%(pool)s has only %(left)s left.", pool=pool.name, left=money(pool.remaining_cents)))
    before = pool.remaining_cents
    pool.remaining_cents -= amount
    commitment = FundingCommitment(pool_id=pool.id, project_id=project.id, contract_id=contract.id, award_id=award.id,
                                   amount_cents=amount, status=CommitmentStatus.RESERVED)
    db.session.add(commitment)
    db.session.flush()
    record(actor, "pool.reserved", pool, before={"remaining_cents": before},
           after={"remaining_cents": pool.remaining_cents, "amount_cents": amount, "commitment_id": commitment.id,
                  "project_id": project.id, "contract_id": contract.id})


def _decide_bids(actor: User, project: Project, proposal: MatchProposal) -> None:
    winners = {(u.get("lot_id"), u.get("provider_id")) for u in proposal.units}
    bids = list(db.session.scalars(select(Bid).where(Bid.project_id == project.id,
                                                     Bid.status == BidStatus.SUBMITTED).order_by(Bid.id)))
    if not bids:
        return
    for bid in bids:
        bid.transition(BidStatus.AWARDED if (bid.lot_id, bid.organization_id) in winners else BidStatus.NOT_AWARDED)
    record(actor, "bids.decided", object_type="projects", object_id=project.id,
           after={"awarded": [b.id for b in bids if b.status == BidStatus.AWARDED],
                  "not_awarded": [b.id for b in bids if b.status == BidStatus.NOT_AWARDED]})


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
    _require_governs(actor, award.project, _l("You cannot answer objections on another street's project."))
    answer = (answer or "").strip()
    if len(answer) < 5:
        raise ValidationFailed(_l("Write the answer; it is published with the award."),
                               fields={"answer": _l("An answer is required.")})
    if uphold:
        cancel_award(actor, award, reason=answer, now=now)
    previous = objection.transition(AwardObjectionStatus.UPHELD if uphold else AwardObjectionStatus.DISMISSED)
    objection.answer, objection.answered_by_id, objection.answered_at = answer[:5000], actor.id, now
    record(actor, "award.objection_answered", objection, before={"status": previous},
           after={"status": objection.status, "answer": objection.answer})
    return objection


def cancel_award(actor: User | None, award: Award, *, reason: str, now: datetime | None = None) -> Award:
    """Cancel an award in notice: contracts terminated, money released to the pools, bids back in
    the running, project back where it was before the approval."""
    now = now or utcnow()
    pool_ids = set(db.session.scalars(select(FundingCommitment.pool_id).where(FundingCommitment.award_id == award.id)))
    pools = _lock_pools(pool_ids)
    project = _lock_project(award.project_id)
    award = db.session.scalar(_locked(select(Award).where(Award.id == award.id)))
    commitments = list(db.session.scalars(_locked(select(FundingCommitment).where(
        FundingCommitment.award_id == award.id, FundingCommitment.status == CommitmentStatus.RESERVED)
        .order_by(FundingCommitment.id))))
    if award.status != AwardStatus.IN_NOTICE:
        raise Conflict(_l("Only an award in its notice period can be cancelled."))
    award.transition(AwardStatus.CANCELLED)
    award.closed_at = now
    released = 0
    for commitment in commitments:
        pool = pools[commitment.pool_id]
        before = pool.remaining_cents
        commitment.transition(CommitmentStatus.RELEASED)
        commitment.released_at = now
        pool.remaining_cents += commitment.amount_cents
        released += commitment.amount_cents
        record(actor, "pool.released", pool, before={"remaining_cents": before},
               after={"remaining_cents": pool.remaining_cents, "amount_cents": commitment.amount_cents,
                      "commitment_id": commitment.id, "project_id": project.id})
    for contract in db.session.scalars(select(Contract).where(Contract.award_id == award.id)):
        previous = contract.transition(ContractStatus.TERMINATED)
        contract.ended_at = now
        record(actor, "contract.terminated", contract, before={"status": previous},
               after={"status": contract.status, "reason": reason[:500]})
    for bid in db.session.scalars(select(Bid).where(Bid.project_id == project.id,
                                                    Bid.status.in_((BidStatus.AWARDED, BidStatus.NOT_AWARDED)))):
        bid.transition(BidStatus.SUBMITTED)
    target = ProjectStatus(award.explanation.get("project_status_before", ProjectStatus.EVALUATING))
    if project.status == ProjectStatus.AWARDED:
        project.transition(target)
        record(actor, "project.status_changed", project, before={"status": ProjectStatus.AWARDED},
               after={"status": target})
    record(actor, "award.cancelled", award, after={"reason": reason[:500], "released_cents": released})
    return award


# ---------------------------------------------------------------- signing

def signing_blockers(contract: Contract, now: datetime) -> list[Any]:
    """Why the contract cannot be signed yet (empty when it can)."""
    problems = []
    if contract.status != ContractStatus.IN_NOTICE:
        problems.append(_l("The contract is not waiting for signature."))
    if contract.notice_ends_at is not None and now < contract.notice_ends_at:
        problems.append(_l("The notice period runs until %(when)s.", when=local_label(contract.notice_ends_at)))
    award = db.session.get(Award, contract.award_id) if contract.award_id else None
    if award is not None:
        if award.status == AwardStatus.CANCELLED:
            problems.append(_l("The award was cancelled."))
        if award.open_objections:
            problems.append(_l("%(n)d objection(s) still await an answer.", n=len(award.open_objections)))
    return problems


def sign_contract(actor: User | None, contract: Contract, *, now: datetime | None = None) -> Contract:
    """Sign a contract once its notice period is over without an unanswered objection.

    ``actor`` None is the nightly job (:func:`sign_due_contracts`).
    """
    now = now or utcnow()
    project = _lock_project(contract.project_id)
    if actor is not None:
        _require_governs(actor, project, _l("You cannot sign another street's contracts."))
    problems = signing_blockers(contract, now)
    if problems:
        raise Conflict(_l("The contract cannot be signed yet: %(why)s", why=Joined(problems)), code="not_signable")
    previous = contract.transition(ContractStatus.SIGNED)
    contract.signed_at = now
    contract.signed_by_id = actor.id if actor is not None else None
    record(actor, "contract.signed", contract, before={"status": previous},
           after={"status": contract.status, "provider_id": contract.provider_id,
                  "amount_cents": contract.amount_cents})
    award = db.session.get(Award, contract.award_id) if contract.award_id else None
    siblings = list(db.session.scalars(select(Contract).where(Contract.project_id == project.id,
                                                              Contract.status != ContractStatus.TERMINATED)))
    if all(c.status == ContractStatus.SIGNED for c in siblings):
        if award is not None and award.status == AwardStatus.IN_NOTICE:
            award.transition(AwardStatus.CONFIRMED)
            award.closed_at = now
            record(actor, "award.confirmed", award, after={"status": award.status})
        if project.status == ProjectStatus.AWARDED:
            project.transition(ProjectStatus.IN_PROGRESS)
            record(actor, "project.status_changed", project, before={"status": ProjectStatus.AWARDED},
                   after={"status": ProjectStatus.IN_PROGRESS})
    return contract


def sign_due_contracts(*, now: datetime | None = None) -> list[Contract]:
    """Sign every contract whose notice period ended without an unanswered objection."""
    now = now or utcnow()
    due = list(db.session.scalars(select(Contract).where(Contract.status == ContractStatus.IN_NOTICE,
                                                         Contract.notice_ends_at <= now).order_by(Contract.project_id,
                                                                                                   Contract.id)))
    signed = []
    for contract in due:
        if not signing_blockers(contract, now):
            signed.append(sign_contract(None, contract, now=now))
    return signed


# ---------------------------------------------------------------- milestones

def _is_provider_member(actor: User | None, contract: Contract) -> bool:
    return actor is not None and getattr(actor, "is_authenticated", False) and actor.role == Role.PROVIDER \
        and actor.organization_id == contract.provider_id


def submit_milestone(actor: User, milestone: Milestone, note: str, *, now: datetime | None = None) -> Milestone:
    """The provider reports a milestone done, with a note on what was delivered."""
    now = now or utcnow()
    contract = milestone.contract
    if not _is_provider_member(actor, contract):
        raise PermissionDenied(_l("Only the contracted provider reports its milestones."))
    if contract.status != ContractStatus.SIGNED:
        raise Conflict(_l("Milestones can be reported once the contract is signed."))
    note = (note or "").strip()
    if len(note) < 5:
        raise ValidationFailed(_l("Describe what was delivered."), fields={"note": _l("A note is required.")})
    previous = milestone.transition(MilestoneStatus.SUBMITTED)
    milestone.submitted_at, milestone.submitted_by_id, milestone.submission_note = now, actor.id, note[:5000]
    record(actor, "milestone.submitted", milestone, before={"status": previous},
           after={"status": milestone.status, "contract_id": contract.id, "note": milestone.submission_note})
    return milestone


def return_milestone(actor: User, milestone: Milestone, reason: str, *, now: datetime | None = None) -> Milestone:
    """The official sends a submitted milestone back to the provider, saying why."""
    now = now or utcnow()
    _require_governs(actor, milestone.contract.project, _l("You cannot review another street's milestones."))
    reason = (reason or "").strip()
    if len(reason) < 5:
        raise ValidationFailed(_l("Say what is missing."), fields={"reason": _l("A reason is required.")})
    previous = milestone.transition(MilestoneStatus.PLANNED)
    record(actor, "milestone.returned", milestone, before={"status": previous},
           after={"status": milestone.status, "reason": reason[:2000]})
    return milestone


def request_payout_hook(milestone: Milestone) -> Any:
    """Ask the payments module to pay an approved milestone, when that module exists."""
    try:
        hook = importlib.import_module("market.payments.services").request_payout
    except (ImportError, AttributeError):
        return None
    return hook(milestone)


def approve_milestone(actor: User, milestone: Milestone, now: datetime | None = None) -> Milestone:
    """The responsible official accepts a submitted milestone (audited), then asks for the payout.

    The payout itself is ``market.payments.services.request_payout(milestone)``, called here when
    it exists. When every milestone of the contract is approved or paid, the contract is
    completed, and the project too once all its contracts are.
    """
    now = now or utcnow()
    contract = milestone.contract
    project = contract.project
    _require_governs(actor, project, _l("You cannot approve another street's milestones."))
    if contract.status != ContractStatus.SIGNED:
        raise Conflict(_l("Milestones can be approved once the contract is signed."))
    previous = milestone.transition(MilestoneStatus.APPROVED)
    milestone.approved_at, milestone.approved_by_id = now, actor.id
    record(actor, "milestone.approved", milestone, before={"status": previous},
           after={"status": milestone.status, "contract_id": contract.id, "amount_cents": milestone.amount_cents})
    request_payout_hook(milestone)
    if all(m.status in (MilestoneStatus.APPROVED, MilestoneStatus.PAID) for m in contract.milestones):
        contract.transition(ContractStatus.COMPLETED)
        contract.ended_at = now
        record(actor, "contract.completed", contract, before={"status": ContractStatus.SIGNED},
               after={"status": contract.status})
        others = db.session.scalars(select(Contract).where(Contract.project_id == project.id,
                                                           Contract.status != ContractStatus.TERMINATED))
        if all(c.status == ContractStatus.COMPLETED for c in others) and project.status == ProjectStatus.IN_PROGRESS:
            project.transition(ProjectStatus.COMPLETED)
            record(actor, "project.status_changed", project, before={"status": ProjectStatus.IN_PROGRESS},
                   after={"status": ProjectStatus.COMPLETED})
    return milestone


# ---------------------------------------------------------------- reading

def can_manage_contract(actor: User | None, contract: Contract) -> bool:
    return _governs(actor, contract.project)


def can_report_on(actor: User | None, contract: Contract) -> bool:
    return _is_provider_member(actor, contract)


def public_awards(status: AwardStatus | None = None) -> Select:
    stmt = select(Award).order_by(Award.approved_at.desc(), Award.id.desc())
    if status is not None:
        stmt = stmt.where(Award.status == status)
    return stmt


def latest_award(project: Project) -> Award | None:
    return db.session.scalar(select(Award).where(Award.project_id == project.id)
                             .order_by(Award.approved_at.desc(), Award.id.desc()).limit(1))


def contracts_of(award: Award) -> list[Contract]:
    return list(db.session.scalars(select(Contract).where(Contract.award_id == award.id).order_by(Contract.lot_seq)))


def commitments_of(award: Award) -> list[FundingCommitment]:
    return list(db.session.scalars(select(FundingCommitment).where(FundingCommitment.award_id == award.id)
                                   .order_by(FundingCommitment.id)))


def pending_approvals(actor: User) -> Select:
    """Submitted milestones awaiting the actor's approval."""
    stmt = (select(Milestone).join(Contract, Milestone.contract_id == Contract.id)
            .join(Project, Contract.project_id == Project.id)
            .where(Milestone.status == MilestoneStatus.SUBMITTED, Contract.status == ContractStatus.SIGNED)
            .order_by(Milestone.submitted_at))
    if actor.role == Role.OFFICIAL and actor.street_id is not None:
        stmt = stmt.where(Project.street_id == actor.street_id)
    return stmt


def open_objections(actor: User) -> Select:
    stmt = (select(AwardObjection).join(Award, AwardObjection.award_id == Award.id)
            .join(Project, Award.project_id == Project.id)
            .where(AwardObjection.status == AwardObjectionStatus.OPEN).order_by(AwardObjection.submitted_at))
    if actor.role == Role.OFFICIAL and actor.street_id is not None:
        stmt = stmt.where(Project.street_id == actor.street_id)
    return stmt
