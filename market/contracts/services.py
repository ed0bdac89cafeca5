"""Contracts once awarded: signing after the notice period, milestones reported, returned and
accepted, and the third-party evaluation (第三方评估) an official may attach to an acceptance.

Contracts are made by the award (:mod:`market.review.awards`), which builds on this domain; what
this domain needs from the award and from payments it asks through :mod:`market.contracts.signals`:
why a contract may not be signed yet (an objection awaiting an answer), that a project's contracts
are all signed (the award is confirmed), that a milestone was approved (its payout is requested).
"""
from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, func, select

from market.accounts.models import User
from market.bids.services import Joined
from market.contracts.models import (
    Contract,
    ContractEvaluation,
    ContractStatus,
    EvaluationConclusion,
    Milestone,
    MilestoneStatus,
)
from market.contracts.signals import blocks_signing, milestone_approved, project_contracts_signed
from market.core import files, policy
from market.core.audit import record
from market.core.calendar import local_label
from market.core.db import db, utcnow
from market.core.errors import Conflict, NotFound, ValidationFailed
from market.core.state import transition
from market.geo.services import limit_to_jurisdiction
from market.orgs import credit_code
from market.orgs.models import Organization, VerificationState
from market.projects.models import Project, ProjectStatus

if TYPE_CHECKING:
    from market.review.models import Award

#: Milestones of every contract: share of the amount, Chinese and English title, when it is due.
MILESTONE_PLAN: tuple[tuple[int, str, str, str], ...] = (
    (30, "项目启动", "Start of the service", "start"),
    (40, "中期评估", "Mid-term review", "middle"),
    (30, "项目验收", "Final acceptance", "end"),
)


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


def _lock_project(project_id: int) -> Project:
    """The project row, locked until the transaction ends (the award's lock order: after the pools)."""
    project = db.session.scalar(select(Project).where(Project.id == project_id).with_for_update()
                                .execution_options(populate_existing=True))
    if project is None:
        raise NotFound(_l("Not found."))
    return project


# ---------------------------------------------------------------- signing

def signing_blockers(contract: Contract, now: datetime) -> list[Any]:
    """Why the contract cannot be signed yet (empty when it can)."""
    problems: list[Any] = []
    if contract.status != ContractStatus.IN_NOTICE:
        problems.append(_l("The contract is not waiting for signature."))
    if contract.notice_ends_at is not None and now < contract.notice_ends_at:
        problems.append(_l("The notice period runs until %(when)s.", when=local_label(contract.notice_ends_at)))
    for _receiver, reasons in blocks_signing.send(contract, now=now):
        problems.extend(reasons or [])
    return problems


def sign_contract(actor: User | None, contract: Contract, *, now: datetime | None = None) -> Contract:
    """Sign a contract once its notice period is over without an unanswered objection.

    ``actor`` None is the nightly job (:func:`sign_due_contracts`).
    """
    now = now or utcnow()
    project = _lock_project(contract.project_id)
    if actor is not None:
        policy.require(actor, "contract.manage", contract)
    problems = signing_blockers(contract, now)
    if problems:
        raise Conflict(_l("The contract cannot be signed yet: %(why)s", why=Joined(problems)), code="not_signable")
    contract.signed_at = now
    contract.signed_by_id = actor.id if actor is not None else None
    transition(contract, ContractStatus.SIGNED, actor=actor, action="contract.signed",
               after={"provider_id": contract.provider_id, "amount_cents": contract.amount_cents})
    siblings = list(db.session.scalars(select(Contract).where(Contract.project_id == project.id,
                                                              Contract.status != ContractStatus.TERMINATED)))
    if all(c.status == ContractStatus.SIGNED for c in siblings):
        project_contracts_signed.send(contract, actor=actor, now=now)
        if project.status == ProjectStatus.AWARDED:
            transition(project, ProjectStatus.IN_PROGRESS, actor=actor, action="project.started")
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

def submit_milestone(actor: User, milestone: Milestone, note: str, *, now: datetime | None = None) -> Milestone:
    """The provider reports a milestone done, with a note on what was delivered."""
    now = now or utcnow()
    contract = milestone.contract
    policy.require(actor, "contract.report", contract)
    if contract.status != ContractStatus.SIGNED:
        raise Conflict(_l("Milestones can be reported once the contract is signed."))
    note = (note or "").strip()
    if len(note) < 5:
        raise ValidationFailed(_l("Describe what was delivered."), fields={"note": _l("A note is required.")})
    milestone.submitted_at, milestone.submitted_by_id, milestone.submission_note = now, actor.id, note[:5000]
    transition(milestone, MilestoneStatus.SUBMITTED, actor=actor, action="milestone.submitted",
               after={"contract_id": contract.id, "note": milestone.submission_note})
    return milestone


def return_milestone(actor: User, milestone: Milestone, reason: str, *, now: datetime | None = None) -> Milestone:
    """The official sends a submitted milestone back to the provider, saying why."""
    now = now or utcnow()
    policy.require(actor, "contract.manage", milestone)
    reason = (reason or "").strip()
    if len(reason) < 5:
        raise ValidationFailed(_l("Say what is missing."), fields={"reason": _l("A reason is required.")})
    transition(milestone, MilestoneStatus.PLANNED, actor=actor, action="milestone.returned",
               after={"reason": reason[:2000]})
    return milestone


def approve_milestone(actor: User, milestone: Milestone, now: datetime | None = None) -> Milestone:
    """The responsible official accepts a submitted milestone (audited), then asks for the payout.

    The payout itself is :func:`market.payments.services.request_payout`, which answers
    :data:`~market.contracts.signals.milestone_approved`. When every milestone of the contract is
    approved or paid, the contract is completed, and the project too once all its contracts are.
    """
    now = now or utcnow()
    contract = milestone.contract
    project = contract.project
    policy.require(actor, "contract.manage", milestone)
    if contract.status != ContractStatus.SIGNED:
        raise Conflict(_l("Milestones can be approved once the contract is signed."))
    milestone.approved_at, milestone.approved_by_id = now, actor.id
    transition(milestone, MilestoneStatus.APPROVED, actor=actor, action="milestone.approved",
               after={"contract_id": contract.id, "amount_cents": milestone.amount_cents})
    milestone_approved.send(milestone, actor=actor, now=now)
    if all(m.status in (MilestoneStatus.APPROVED, MilestoneStatus.PAID) for m in contract.milestones):
        contract.ended_at = now
        transition(contract, ContractStatus.COMPLETED, actor=actor, action="contract.completed")
        others = db.session.scalars(select(Contract).where(Contract.project_id == project.id,
                                                           Contract.status != ContractStatus.TERMINATED))
        if all(c.status == ContractStatus.COMPLETED for c in others) and project.status == ProjectStatus.IN_PROGRESS:
            transition(project, ProjectStatus.COMPLETED, actor=actor, action="project.completed")
    return milestone


# ---------------------------------------------------------------- third-party evaluation at acceptance

#: Report files accepted: PDF, Word (DOCX) and images, checked like every upload (:mod:`market.core.files`).
REPORT_TYPES = {extension: files.DOCUMENT_TYPES[extension] for extension in ("pdf", "docx", "png", "jpg", "jpeg")}
MAX_REPORT_BYTES = 10 * 1024 * 1024
REPORT_FOLDER = "evaluation_reports"
MIN_SUMMARY = 10
Upload = files.Upload


@dataclass(frozen=True)
class EvaluationInput:
    """What the official records of a third-party evaluation: the evaluator (a registered organisation,
    or the name and unified social credit code of one that is not registered), the report, the
    conclusion (an :class:`EvaluationConclusion` value) and its summary."""

    conclusion: str
    summary: str
    report: Upload | None
    evaluator_org_id: int | None = None
    evaluator_name: str = ""
    evaluator_credit_code: str = ""


def evaluator_candidates(actor: User, contract: Contract) -> Select:
    """Verified organisations that may evaluate ``contract``: neither its provider nor the actor's own."""
    stmt = (select(Organization).where(Organization.verification_state == VerificationState.VERIFIED,
                                       Organization.id != contract.provider_id)
            .order_by(Organization.name, Organization.id))
    if actor.organization_id is not None:
        stmt = stmt.where(Organization.id != actor.organization_id)
    return stmt


def _evaluator(actor: User, contract: Contract, data: EvaluationInput,
               errors: dict[str, Any]) -> tuple[Organization | None, str, str]:
    """The evaluating organisation (when registered), its name and its credit code; problems go to ``errors``."""
    typed_name = " ".join((data.evaluator_name or "").split())
    typed_code = credit_code.normalise(data.evaluator_credit_code)
    if data.evaluator_org_id is not None and (typed_name or typed_code):
        errors["evaluator_org_id"] = _l("Choose a registered organisation or type one that is not registered, "
                                        "not both.")
        return None, "", ""
    if data.evaluator_org_id is not None:
        org = db.session.get(Organization, data.evaluator_org_id)
        if org is None or org.verification_state != VerificationState.VERIFIED:
            errors["evaluator_org_id"] = _l("Only a verified organisation can be named as the evaluator.")
        elif org.id == contract.provider_id:
            errors["evaluator_org_id"] = _l("The provider cannot evaluate its own work.")
        elif actor.organization_id is not None and org.id == actor.organization_id:
            errors["evaluator_org_id"] = _l("Your own organisation cannot be the third party.")
        else:
            return org, org.name, org.credit_code or ""
        return None, "", ""
    if not typed_name:
        errors["evaluator_name"] = _l("Name the evaluating organisation.")
    elif len(typed_name) < 2 or len(typed_name) > 200:
        errors["evaluator_name"] = _l("Between 2 and 200 characters.")
    else:
        # A registered organisation is chosen from the list, where independence is checked: typing its
        # name (the provider's, say) with an invented code must not get round that.
        folded = typed_name.casefold()
        named = db.session.scalar(select(Organization).where(
            (func.lower(Organization.name) == folded) | (func.lower(Organization.name_en) == folded)).limit(1))
        if named is not None:
            errors["evaluator_name"] = _l("%(name)s is registered here: choose it from the list.", name=named.name)
    if credit_code.problem(typed_code) is not None:
        errors["evaluator_credit_code"] = _l("Give its unified social credit code (18 characters).")
    else:
        registered = db.session.scalar(select(Organization).where(Organization.credit_code == typed_code).limit(1))
        if registered is not None:
            errors["evaluator_credit_code"] = _l("%(name)s is registered here: choose it from the list.",
                                                 name=registered.name)
    return None, typed_name, typed_code


def _check_report(report: Upload | None, errors: dict[str, Any]) -> files.CheckedFile | None:
    """The acceptable report, or None with the problem in ``errors``."""
    if report is None or not report.filename:
        errors["report"] = _l("Attach the evaluation report.")
        return None
    try:
        return files.check_upload(report, max_bytes=MAX_REPORT_BYTES, types=REPORT_TYPES, field_name="report")
    except ValidationFailed as error:
        errors["report"] = [error.message, *(error.fields.values())]
        return None


def accept_milestone(actor: User, milestone: Milestone, evaluation: EvaluationInput | None = None, *,
                     storage_root: str | Path | None = None, now: datetime | None = None) -> ContractEvaluation | None:
    """Accept a submitted milestone, with the report of a third-party evaluator when one was named.

    With an evaluation: the report is stored (its SHA-256 recorded), the evaluation audited, and the
    milestone approved (pass, pass with remarks) or returned to the provider with the evaluator's
    summary as the reason (fail). Bad input raises :class:`ValidationFailed` naming every field,
    before anything is written. Without one it is :func:`approve_milestone`.
    """
    now = now or utcnow()
    contract = milestone.contract
    policy.require(actor, "contract.manage", milestone)
    if evaluation is None:
        approve_milestone(actor, milestone, now=now)
        return None
    if storage_root is None:
        raise ValueError("storage_root is needed to keep the evaluation report")
    if contract.status != ContractStatus.SIGNED:
        raise Conflict(_l("Milestones can be approved once the contract is signed."))
    if milestone.status != MilestoneStatus.SUBMITTED:
        raise Conflict(_l("Only a milestone reported done can be accepted."))
    errors: dict[str, Any] = {}
    org, name, code = _evaluator(actor, contract, evaluation, errors)
    try:
        conclusion: EvaluationConclusion | None = EvaluationConclusion(evaluation.conclusion)
    except ValueError:
        conclusion = None
        errors["conclusion"] = _l("Give the evaluator's conclusion.")
    summary = (evaluation.summary or "").strip()
    if len(summary) < MIN_SUMMARY:
        errors["summary"] = _l("Summarise the evaluator's findings (at least %(n)d characters).", n=MIN_SUMMARY)
    checked = _check_report(evaluation.report, errors)
    if errors or checked is None or conclusion is None or evaluation.report is None:
        raise ValidationFailed(_l("The evaluation is incomplete; see the marked fields."), fields=errors)
    row = ContractEvaluation(milestone=milestone, evaluator_org_id=org.id if org else None, evaluator_name=name[:200],
                             evaluator_credit_code=code, conclusion=conclusion, summary=summary[:5000],
                             filename=checked.name, stored_name=f"{secrets.token_hex(16)}.{checked.extension}",
                             content_type=checked.content_type, size_bytes=checked.size_bytes, sha256=checked.sha256,
                             recorded_by_id=actor.id, recorded_at=now)
    path = evaluation_report_path(storage_root, row)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(evaluation.report.data)
    try:
        db.session.add(row)
        db.session.flush()
        record(actor, "milestone.evaluated", row, after={
            "milestone_id": milestone.id, "contract_id": contract.id, "evaluator_org_id": row.evaluator_org_id,
            "evaluator_name": row.evaluator_name, "evaluator_credit_code": row.evaluator_credit_code,
            "conclusion": conclusion.value, "summary": row.summary, "filename": row.filename,
            "size_bytes": row.size_bytes, "sha256": row.sha256})
        if conclusion == EvaluationConclusion.FAIL:
            return_milestone(actor, milestone, summary, now=now)
        else:
            approve_milestone(actor, milestone, now=now)
    except BaseException:
        path.unlink(missing_ok=True)  # the caller rolls the rows back; the file goes with them
        raise
    return row


def evaluation_report_path(storage_root: str | Path, evaluation: ContractEvaluation) -> Path:
    """Where the evaluation's report is kept."""
    return files.stored_path(storage_root, REPORT_FOLDER, evaluation.stored_name)


# ---------------------------------------------------------------- reading

def can_manage_contract(actor: User | None, contract: Contract) -> bool:
    return policy.can(actor, "contract.manage", contract)


def can_report_on(actor: User | None, contract: Contract) -> bool:
    return policy.can(actor, "contract.report", contract)


def can_download_report(actor: User | None, evaluation: ContractEvaluation) -> bool:
    """The street's officials and the provider read the report; the public sees the conclusion and summary."""
    return policy.can(actor, "evaluation.download", evaluation)


def contracts_of(award: Award) -> list[Contract]:
    """The contracts an award made, by lot."""
    return list(db.session.scalars(select(Contract).where(Contract.award_id == award.id).order_by(Contract.lot_seq)))


def contracts_of_provider(org_id: int, limit: int = 20) -> list[Contract]:
    """A provider's contracts, newest first."""
    return list(db.session.scalars(select(Contract).where(Contract.provider_id == org_id)
                                   .order_by(Contract.id.desc()).limit(limit)))


def pending_approvals(actor: User) -> Select:
    """Submitted milestones awaiting the actor's approval."""
    stmt = (select(Milestone).join(Contract, Milestone.contract_id == Contract.id)
            .join(Project, Contract.project_id == Project.id)
            .where(Milestone.status == MilestoneStatus.SUBMITTED, Contract.status == ContractStatus.SIGNED)
            .order_by(Milestone.submitted_at))
    return limit_to_jurisdiction(stmt, actor, Project.street_id, Project.district_id)


def signable_contracts(now: datetime, limit: int = 50) -> list[Contract]:
    """Contracts whose notice period is over, earliest first (still to be checked for blockers)."""
    return list(db.session.scalars(select(Contract).where(Contract.status == ContractStatus.IN_NOTICE,
                                                          Contract.notice_ends_at <= now)
                                   .order_by(Contract.notice_ends_at).limit(limit)))
