"""The matching console: what can be matched, runs, officials' decisions and proposals.

Approving a proposal, awards and objections live in :mod:`market.review.awards`; signing the
contracts and their milestones in :mod:`market.contracts.services`. Every function takes an explicit ``actor`` and ``now``; none
commits (the route or the job does).
"""
from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, exists, select

from market.accounts.models import Role, User
from market.bids.models import Lot
from market.contracts.models import Contract, ContractStatus
from market.core import policy
from market.core.audit import record
from market.core.db import db, utcnow
from market.core.errors import Conflict, NotFound, ValidationFailed
from market.core.state import transition
from market.funds.models import FundingPool
from market.orgs.models import Organization
from market.projects.models import Project, ProjectKind, ProjectStatus
from market.review import adapter
from market.review.models import DecisionKind, MatchDecision, MatchProposal, MatchProposalStatus, MatchRun, RunStatus

SOLVERS = ("cbc", "highs")
MAX_TIME_LIMIT = 600
MIN_REASON = 5
GROUPS = ("evaluating", "micro", "public_benefit")


# ---------------------------------------------------------------- scope

def require_official(actor: User | None) -> User:
    policy.require(actor, "console.use")
    return actor


def governs(actor: User, project: Project) -> bool:
    return policy.can(actor, "match.decide", project)


def _scoped(stmt: Select, actor: User) -> Select:
    street = policy.street_filter(actor)
    return stmt.where(Project.street_id == street) if street is not None else stmt


def matchable_query(actor: User, group: str) -> Select:
    """Projects of ``group`` the actor may match: bidding closed (evaluating), open micro-projects
    without a contract, open public-benefit projects still seeking money."""
    no_contract = ~exists().where(Contract.project_id == Project.id, Contract.status != ContractStatus.TERMINATED)
    stmt = select(Project).where(no_contract)
    if group == "evaluating":
        stmt = stmt.where(Project.status == ProjectStatus.EVALUATING)
    elif group == "micro":
        stmt = stmt.where(Project.kind == ProjectKind.MICRO, Project.status == ProjectStatus.OPEN)
    elif group == "public_benefit":
        stmt = stmt.where(Project.kind == ProjectKind.PUBLIC_BENEFIT, Project.status == ProjectStatus.OPEN,
                          Project.funded_cents < Project.budget_cents)
    else:
        raise ValueError(f"group: unknown {group!r}")
    return _scoped(stmt, actor).order_by(Project.id)


def matchable_projects(actor: User) -> dict[str, list[Project]]:
    require_official(actor)
    return {group: list(db.session.scalars(matchable_query(actor, group))) for group in GROUPS}


def matchable_ids(actor: User) -> set[int]:
    ids: set[int] = set()
    for group in GROUPS:
        ids.update(db.session.scalars(matchable_query(actor, group).with_only_columns(Project.id)))
    return ids


# ---------------------------------------------------------------- runs

def _check_options(options: adapter.RunOptions) -> None:
    errors: dict[str, Any] = {}
    if options.solver not in SOLVERS:
        errors["solver"] = _l("Unknown solver.")
    if not 1 <= options.time_limit <= MAX_TIME_LIMIT:
        errors["time_limit"] = _l("Between 1 and %(n)d seconds.", n=MAX_TIME_LIMIT)
    if not 0 <= options.gap < 1:
        errors["gap"] = _l("Between 0 and 1.")
    if options.max_provider_share is not None and not 0 < options.max_provider_share <= 1:
        errors["max_provider_share"] = _l("Between 1 and 100 per cent, or empty for no cap.")
    if errors:
        raise ValidationFailed(_l("Please correct the marked fields."), fields=errors)


def start_run(actor: User, project_ids: list[int], options: adapter.RunOptions, *,
              now: datetime | None = None, parent: MatchRun | None = None) -> MatchRun:
    """Queue a run on projects the actor may match (the caller commits, then launches it)."""
    now = now or utcnow()
    require_official(actor)
    _check_options(options)
    wanted = sorted(set(project_ids))
    if not wanted:
        raise ValidationFailed(_l("Select at least one project."), fields={"project_ids": _l("Nothing selected.")})
    allowed = matchable_ids(actor)
    outside = [pid for pid in wanted if pid not in allowed]
    if outside:
        raise ValidationFailed(_l("Some selected projects cannot be matched by you now: %(ids)s.",
                                  ids=", ".join(str(i) for i in outside[:20])), fields={"project_ids": _l("Not allowed.")})
    run = MatchRun(created_by_id=actor.id, street_id=actor.street_id if actor.role == Role.OFFICIAL else None,
                   parent_id=parent.id if parent else None, status=RunStatus.QUEUED, progress=0,
                   progress_note="queued", parameters={"project_ids": wanted, "options": options.as_dict()},
                   project_count=len(wanted), created_at=now)
    db.session.add(run)
    db.session.flush()
    record(actor, "match_run.created", run, after={"projects": len(wanted), "options": options.as_dict(),
                                                   "parent_id": run.parent_id})
    return run


def rerun(actor: User, run: MatchRun, *, now: datetime | None = None) -> MatchRun:
    """A new run on the same selection and options, respecting every decision taken since."""
    require_official(actor)
    if not run.is_finished:
        raise Conflict(_l("This run has not finished yet."))
    allowed = matchable_ids(actor)
    still = [pid for pid in run.parameters.get("project_ids", []) if pid in allowed]
    if not still:
        raise Conflict(_l("None of this run's projects can be matched any more."))
    return start_run(actor, still, adapter.RunOptions.from_dict(run.parameters.get("options", {})), now=now,
                     parent=run)


def decisions_for(project_ids: list[int]) -> list[MatchDecision]:
    if not project_ids:
        return []
    return list(db.session.scalars(select(MatchDecision).where(MatchDecision.project_id.in_(project_ids),
                                                               MatchDecision.revoked_at.is_(None))
                                   .order_by(MatchDecision.id)))


def set_progress(run: MatchRun, percent: int, note: str) -> None:
    run.progress = max(0, min(100, int(percent)))
    run.progress_note = note[:200]


def execute_run(run: MatchRun, *, now: datetime | None = None,
                checkpoint: Callable[[], None] | None = None) -> MatchRun:
    """Do the work of a queued run: build the problem, solve it, store the result and proposals.

    ``checkpoint`` is called after each progress update (the job commits there so that the
    console can poll). Errors propagate; the job (:mod:`market.review.jobs`) rolls back and
    marks the run failed with the message (:func:`fail_run`).
    """
    now = now or utcnow()
    save = checkpoint or (lambda: None)
    run.started_at = utcnow()
    transition(run, RunStatus.RUNNING, actor=None, action="match_run.started")
    set_progress(run, 5, "loading")
    save()
    started = time.perf_counter()
    options = adapter.RunOptions.from_dict(run.parameters.get("options", {}))
    project_ids = [int(pid) for pid in run.parameters.get("project_ids", [])]
    built = adapter.build_problem(project_ids, options, now=now, decisions=decisions_for(project_ids))
    set_progress(run, 25, "problem built")
    save()

    def report(percent: int, note: str) -> None:
        set_progress(run, percent, note)
        save()

    result = adapter.solve_built(built, options, progress=report)
    _store_result(run, result)
    run.seconds = round(time.perf_counter() - started, 3)
    run.finished_at = utcnow()
    set_progress(run, 100, "done")
    transition(run, RunStatus.SUCCEEDED, actor=None, action="match_run.finished",
               after={"result": result["status"], "seconds": run.seconds,
                      "assignments": len(result["assignments"]), "unmatched": len(result["unmatched"])})
    return run


def fail_run(run: MatchRun, message: str) -> MatchRun:
    run.error = message[:4000]
    run.finished_at = utcnow()
    if run.status in (RunStatus.QUEUED, RunStatus.RUNNING):
        transition(run, RunStatus.FAILED, actor=None, action="match_run.failed", after={"error": run.error[:500]})
    return run


def _store_result(run: MatchRun, result: dict[str, Any]) -> None:
    run.result = result
    for project_id, units in sorted(adapter.group_assignments(result).items()):
        funding: dict[int, int] = {}
        for unit in units:
            for f in unit["funding"]:
                funding[int(f["pool_id"])] = funding.get(int(f["pool_id"]), 0) + int(f["amount"])
        cost = sum(int(u["cost"]) for u in units)
        score = sum(u["score"] * int(u["cost"]) for u in units) / cost if cost else units[0]["score"]
        db.session.add(MatchProposal(
            run_id=run.id, project_id=project_id, status=MatchProposalStatus.PROPOSED, score=round(score, 6),
            cost_cents=cost, units=units, funding=[{"pool_id": k, "amount": v} for k, v in sorted(funding.items())],
            pinned=any(u.get("pinned") for u in units)))


# ---------------------------------------------------------------- decisions and proposals

def _reason(text: str, field_name: str = "reason") -> str:
    text = (text or "").strip()
    if len(text) < MIN_REASON:
        raise ValidationFailed(_l("Give a reason (at least %(n)d characters); it is kept in the record.", n=MIN_REASON),
                               fields={field_name: _l("A reason is required.")})
    return text[:2000]


@dataclass(frozen=True)
class DecisionInput:
    project_id: int
    kind: DecisionKind
    reason: str
    provider_id: int | None = None
    pool_id: int | None = None
    lot_id: int | None = None


def add_decision(actor: User, run: MatchRun, data: DecisionInput, *, now: datetime | None = None) -> MatchDecision:
    """Pin or forbid a (project, provider) or (project, pool) pair, with a mandatory reason."""
    now = now or utcnow()
    require_official(actor)
    reason = _reason(data.reason)
    if data.project_id not in run.parameters.get("project_ids", []):
        raise ValidationFailed(_l("This project is not part of the run."), fields={"project_id": _l("Not in the run.")})
    project = db.session.get(Project, data.project_id)
    if project is None:
        raise NotFound(_l("Not found."))
    policy.require(actor, "match.decide", project)
    if (data.provider_id is None) == (data.pool_id is None):
        raise ValidationFailed(_l("Choose either a provider or a pool."), fields={"provider_id": _l("Required.")})
    if data.provider_id is not None and db.session.get(Organization, data.provider_id) is None:
        raise ValidationFailed(_l("Unknown provider."), fields={"provider_id": _l("Unknown provider.")})
    if data.pool_id is not None and db.session.get(FundingPool, data.pool_id) is None:
        raise ValidationFailed(_l("Unknown pool."), fields={"pool_id": _l("Unknown pool.")})
    if data.lot_id is not None:
        lot = db.session.get(Lot, data.lot_id)
        if lot is None or lot.project_id != project.id or data.provider_id is None:
            raise ValidationFailed(_l("Unknown lot."), fields={"lot_id": _l("Unknown lot.")})
    # A new decision on a pair replaces an older one on the same pair.
    for old in db.session.scalars(select(MatchDecision).where(
            MatchDecision.project_id == project.id, MatchDecision.revoked_at.is_(None),
            MatchDecision.provider_id.is_(None) if data.provider_id is None
            else MatchDecision.provider_id == data.provider_id,
            MatchDecision.pool_id.is_(None) if data.pool_id is None else MatchDecision.pool_id == data.pool_id,
            MatchDecision.lot_id.is_(None) if data.lot_id is None else MatchDecision.lot_id == data.lot_id)):
        old.revoked_at, old.revoked_by_id = now, actor.id
        record(actor, "match_decision.replaced", old, before={"kind": old.kind})
    decision = MatchDecision(run_id=run.id, project_id=project.id, lot_id=data.lot_id, provider_id=data.provider_id,
                             pool_id=data.pool_id, kind=DecisionKind(data.kind), reason=reason,
                             created_by_id=actor.id, created_at=now)
    db.session.add(decision)
    db.session.flush()
    record(actor, f"match_decision.{decision.kind}", decision,
           after={"project_id": project.id, "provider_id": data.provider_id, "pool_id": data.pool_id,
                  "lot_id": data.lot_id, "reason": reason, "run_id": run.id})
    return decision


def revoke_decision(actor: User, decision: MatchDecision, *, now: datetime | None = None) -> MatchDecision:
    now = now or utcnow()
    policy.require(actor, "match.decide", decision.project)
    if decision.revoked_at is not None:
        raise Conflict(_l("This decision was already revoked."))
    decision.revoked_at, decision.revoked_by_id = now, actor.id
    record(actor, "match_decision.revoked", decision, before={"kind": decision.kind, "reason": decision.reason})
    return decision


def reject_proposal(actor: User, proposal: MatchProposal, reason: str, *,
                    now: datetime | None = None) -> MatchProposal:
    """Turn a proposal down, with a mandatory reason (nothing else changes)."""
    now = now or utcnow()
    policy.require(actor, "match.decide", proposal.project)
    reason = _reason(reason)
    proposal.decided_by_id, proposal.decided_at, proposal.decision_reason = actor.id, now, reason
    transition(proposal, MatchProposalStatus.REJECTED, actor=actor, action="match_proposal.rejected",
               after={"reason": reason, "project_id": proposal.project_id})
    return proposal


# ---------------------------------------------------------------- reading a run for the console

COMPONENT_LABELS = {
    "text": _l("Fit of capability to needs"),
    "category": _l("Field of specialisation"),
    "geography": _l("Local presence"),
    "reputation": _l("Ratings"),
    "price": _l("Price"),
    "delivery": _l("Past deliveries"),
    "social_org": _l("Social organisation"),
    "funding_only": _l("Funding only"),
}


@dataclass
class UnitView:
    lot: Lot | None
    provider: Organization | None
    cost: int
    score: float
    components: list[tuple[str, float]]
    funding: list[tuple[FundingPool, int]]
    wrong_category: bool = False


@dataclass
class ProposalView:
    proposal: MatchProposal
    project: Project
    units: list[UnitView]
    funding: list[tuple[FundingPool, int]]
    binding: list[str] = field(default_factory=list)


@dataclass
class UnmatchedView:
    project: Project | None
    lot: Lot | None
    reason: str
    code: str


@dataclass
class RunView:
    run: MatchRun
    proposals: list[ProposalView]
    unmatched: list[UnmatchedView]
    binding: list[str]
    decisions: list[MatchDecision]
    stats: dict[str, Any]


def _names(locale: str, row: Any) -> str:
    return row.tr("name", locale) if row is not None else "?"


def binding_text(entry: str, locale: str, orgs: dict[int, Organization], pools: dict[int, FundingPool],
                 projects: dict[int, Project], pins: set[tuple[int, int]]) -> Any:
    """A binding constraint (``kind:id[:id]``) in plain words."""
    kind, _, rest = entry.partition(":")
    parts = rest.split(":")

    def org(i: str) -> str:
        return _names(locale, orgs.get(int(i))) if i.isdigit() else i

    def pool(i: str) -> str:
        return _names(locale, pools.get(int(i))) if i.isdigit() else i

    def project(i: str) -> str:
        p = projects.get(int(i)) if i.isdigit() else None
        return p.tr("title", locale) if p else i

    if kind == "pool_budget":
        return _l("%(pool)s is used up: its remaining money limits the result.", pool=pool(parts[0]))
    if kind == "provider_capacity":
        return _l("%(org)s has no capacity left for more projects.", org=org(parts[0]))
    if kind == "provider_share":
        return _l("%(org)s reached the fairness cap on its share of the total value.", org=org(parts[0]))
    if kind == "pool_project_cap" and len(parts) == 2:
        return _l("%(pool)s pays its maximum for %(project)s (per-project limit or co-funding share).",
                  pool=pool(parts[0]), project=project(parts[1]))
    if kind == "pinned" and len(parts) == 2:
        pid, other = parts
        if pid.isdigit() and other.isdigit() and (int(pid), int(other)) in pins:
            return _l("Kept by an official decision: %(org)s for %(project)s.", org=org(other), project=project(pid))
        return _l("Kept by an official decision: %(pool)s for %(project)s.", pool=pool(other), project=project(pid))
    return entry


def run_view(run: MatchRun, locale: str) -> RunView:
    """Everything the console shows about a run, with names and reasons in ``locale``."""
    result = run.result or {}
    proposals = list(db.session.scalars(select(MatchProposal).where(MatchProposal.run_id == run.id)
                                        .order_by(MatchProposal.project_id)))
    project_ids = set(run.parameters.get("project_ids", []))
    org_ids: set[int] = set()
    pool_ids: set[int] = set()
    for p in proposals:
        for unit in p.units:
            if unit.get("provider_id") is not None:
                org_ids.add(int(unit["provider_id"]))
        pool_ids.update(int(f["pool_id"]) for f in p.funding)
    for entry in result.get("binding", []):
        kind, _, rest = entry.partition(":")
        for part in rest.split(":"):
            if part.isdigit():
                if kind.startswith("pool") or kind == "pinned":
                    pool_ids.add(int(part))
                if not kind.startswith("pool"):
                    org_ids.add(int(part))
    decisions = decisions_for(sorted(project_ids))
    for d in decisions:
        if d.provider_id:
            org_ids.add(d.provider_id)
        if d.pool_id:
            pool_ids.add(d.pool_id)
    projects = {p.id: p for p in db.session.scalars(select(Project).where(Project.id.in_(project_ids)))}
    orgs = {o.id: o for o in db.session.scalars(select(Organization).where(Organization.id.in_(org_ids)))}
    pools = {p.id: p for p in db.session.scalars(select(FundingPool).where(FundingPool.id.in_(pool_ids)))}
    lots = {lot.id: lot for lot in db.session.scalars(select(Lot).where(Lot.project_id.in_(project_ids)))}
    wrong = {(w[0], w[1], w[2]) for w in result.get("wrong_category", [])}
    pins = {(d.project_id, d.provider_id) for d in decisions if d.provider_id and d.kind == DecisionKind.PIN}
    binding_all = result.get("binding", [])
    views = []
    for p in proposals:
        units = []
        for unit in p.units:
            provider_id = unit.get("provider_id")
            units.append(UnitView(
                lot=lots.get(unit["lot_id"]) if unit.get("lot_id") is not None else None,
                provider=orgs.get(int(provider_id)) if provider_id is not None else None,
                cost=int(unit["cost"]), score=float(unit["score"]),
                components=[(str(COMPONENT_LABELS.get(k, k)), v) for k, v in unit.get("components", {}).items()],
                funding=[(pools[int(f["pool_id"])], int(f["amount"])) for f in unit.get("funding", [])
                         if int(f["pool_id"]) in pools],
                wrong_category=(p.project_id, unit.get("lot_id"), provider_id) in wrong))
        provider_ids = {str(u.get("provider_id")) for u in p.units}
        pools_used = {str(f["pool_id"]) for f in p.funding}
        related = [b for b in binding_all
                   if (b.startswith("pool_budget:") and b.split(":")[1] in pools_used)
                   or (b.startswith(("provider_capacity:", "provider_share:")) and b.split(":")[1] in provider_ids)
                   or (b.startswith(("pool_project_cap:",)) and b.split(":")[-1] == str(p.project_id))
                   or (b.startswith("pinned:") and b.split(":")[1] == str(p.project_id))]
        views.append(ProposalView(
            proposal=p, project=projects.get(p.project_id) or db.session.get(Project, p.project_id), units=units,
            funding=[(pools[int(f["pool_id"])], int(f["amount"])) for f in p.funding if int(f["pool_id"]) in pools],
            binding=[binding_text(b, locale, orgs, pools, projects, pins) for b in related]))
    lang = "en" if locale == "en" else "zh"
    unmatched = []
    for u in result.get("unmatched", []):
        project = projects.get(int(u["project_id"]))
        params = dict(u.get("params") or {})
        if project is not None:  # names in the reader's language
            params.setdefault("category_name", project.category.tr("name", locale))
            if "category_name" in params and params.get("category") in (None, project.category.code):
                params["category_name"] = project.category.tr("name", locale)
            if "street_name" in params:
                params["street_name"] = project.street.tr("name", locale) if project.street else (
                    "Futian District" if lang == "en" else "福田区")
        unmatched.append(UnmatchedView(project=project, lot=lots.get(u.get("lot_id")) if u.get("lot_id") else None,
                                       reason=adapter.reason_text(u["code"], params, lang), code=u["code"]))
    return RunView(run=run, proposals=views, unmatched=unmatched,
                   binding=[binding_text(b, locale, orgs, pools, projects, pins) for b in binding_all],
                   decisions=decisions, stats=result.get("stats", {}))


def recent_runs(actor: User, limit: int = 20) -> list[MatchRun]:
    stmt = select(MatchRun).order_by(MatchRun.id.desc()).limit(limit)
    street = policy.street_filter(actor)
    if street is not None:
        stmt = stmt.where(MatchRun.street_id == street)
    return list(db.session.scalars(stmt))


def can_see_run(actor: User, run: MatchRun) -> bool:
    """District-wide officials see every run; a street official the runs made for their street."""
    return policy.can(actor, "run.view", run)
