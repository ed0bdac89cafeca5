"""The matching console: what can be matched, runs, officials' decisions and proposals.

Approving a proposal, awards and objections live in :mod:`market.review.awards`; signing the
contracts and their milestones in :mod:`market.contracts.services`. Every function takes an explicit ``actor`` and ``now``; none
commits (the route or the job does).
"""
from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, exists, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from market.accounts.models import Role, User
from market.bids.models import Lot
from market.contracts.models import Contract, ContractStatus
from market.core import policy
from market.core.audit import record
from market.core.db import db, utcnow
from market.core.enums import label_of
from market.core.errors import Conflict, DomainError, NotFound, ValidationFailed
from market.core.money import money
from market.core.state import transition
from market.funds.models import FundingPool
from market.geo.models import Category
from market.geo.services import limit_to_jurisdiction
from market.orgs.models import Organization
from market.projects.models import Project, ProjectKind, ProjectStatus
from market.review import adapter, awards, reasons
from market.review.models import (
    JOB_TIMEOUT,
    DecisionKind,
    MatchDecision,
    MatchProposal,
    MatchProposalStatus,
    MatchRun,
    RunStatus,
)
from matching.vocabulary import MatchedSkill, matched_pairs

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
    return limit_to_jurisdiction(stmt, actor, Project.street_id, Project.district_id)


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


# A run unfinished this long after its job's time limit is taken for dead.
ABANDON_MARGIN = timedelta(minutes=10)


class RunUnderWay(Conflict):
    """The same request (scope, selection, options) is queued or running already: ``run`` is that run."""

    def __init__(self, run: MatchRun) -> None:
        super().__init__(_l("The same matching run is already under way; here it is."))
        self.run = run


def request_key(street_id: int | None, project_ids: list[int], options: adapter.RunOptions,
                parent: MatchRun | None) -> str:
    """What identifies a request to run: who it is for, what it matches and how."""
    payload = {"street": street_id, "projects": project_ids, "options": options.as_dict(),
               "parent": parent.id if parent else None}
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()


def _abandoned(run: MatchRun, now: datetime) -> bool:
    """Whether ``run`` is still queued or running far beyond the time limit of any job."""
    return (run.started_at or run.created_at) < now - timedelta(seconds=JOB_TIMEOUT) - ABANDON_MARGIN


def _active_run(key: str) -> MatchRun | None:
    return db.session.scalar(select(MatchRun).where(MatchRun.request_key == key,
                                                    MatchRun.status.in_((RunStatus.QUEUED, RunStatus.RUNNING))))


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
    street_id = actor.street_id if actor.role == Role.OFFICIAL else None
    key = request_key(street_id, wanted, options, parent)
    under_way = _active_run(key)
    if under_way is not None and _abandoned(under_way, now):
        # Its process died (a restart while it ran on a thread): it will never end by itself.
        fail_run(under_way, "Abandoned: still unfinished long after the time limit of any run.")
        db.session.flush()
        under_way = None
    if under_way is not None:
        raise RunUnderWay(under_way)
    run = MatchRun(created_by_id=actor.id, street_id=street_id, request_key=key,
                   district_id=actor.district_id if actor.role == Role.OFFICIAL else None,
                   parent_id=parent.id if parent else None, status=RunStatus.QUEUED, progress=0,
                   progress_note="queued", parameters={"project_ids": wanted, "options": options.as_dict()},
                   project_count=len(wanted), created_at=now)
    try:
        with db.session.begin_nested():  # another server may have queued the same request a moment ago
            db.session.add(run)
            db.session.flush()
    except IntegrityError:
        under_way = _active_run(key)
        if under_way is None:
            raise
        raise RunUnderWay(under_way) from None
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
    built = adapter.build_problem(project_ids, options, now=now, decisions=decisions_for(project_ids),
                                  district_id=run.district_id)
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


#: Below this score a proposal needs a look; from HIGH_SCORE up it is a strong match.
LOW_SCORE = 0.5
HIGH_SCORE = 0.75
SCORE_BANDS = ("high", "medium", "low")
UNMATCHED = "unmatched"
ROW_STATUSES = tuple(s.value for s in MatchProposalStatus) + (UNMATCHED,)
ROW_SORTS = ("score_desc", "score_asc", "amount_desc", "amount_asc", "title", "street")
#: Flags that put a row under "needs attention".
ATTENTION = frozenset({"unmatched", "low_score", "binding", "pinned", "decision"})
#: The most proposals approved in one request (a page of the console holds at most 100 rows).
MAX_BULK = 100
DISTRICT_KEY = "district"

#: Short names of the reasons a project is left unmatched, for the run's summary.
UNMATCHED_LABELS = {
    "no_provider_for_category": _l("No provider in the field"),
    "no_provider_supplies_type": _l("No provider supplies this type"),
    "no_provider_in_area": _l("No provider in the area"),
    "requirements_not_met": _l("Requirements not met"),
    "no_valid_bid": _l("No valid bid"),
    "conflict_of_interest": _l("Conflict of interest"),
    "forbidden_by_decision": _l("Excluded by decisions"),
    "providers_at_capacity": _l("Providers fully booked"),
    "provider_share_cap": _l("Fairness cap reached"),
    "no_eligible_pool": _l("No pool for it"),
    "pools_exhausted": _l("Pools used up"),
    "co_funding_limit": _l("Co-funding limits"),
    "co_funding_share_rounds_to_zero": _l("Co-funding share too small"),
    "not_selected": _l("Higher scores went first"),
    "infeasible_decisions": _l("Decisions contradict"),
    "no_solution": _l("No solution in time"),
    "bids_sealed": _l("Bids not opened yet"),
    "already_funded": _l("Already funded"),
    "not_matchable": _l("Not matchable now"),
    "already_contracted": _l("Already contracted"),
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
    rank: int | None = None
    candidates: int = 0
    first_choice: Organization | None = None
    first_score: float | None = None
    #: The skills of the vocabulary the engine found on both sides, as stored with the proposal.
    matched_skills: list[dict[str, str]] = field(default_factory=list)

    @property
    def against_ranking(self) -> bool:
        return self.rank is not None and self.rank > 1

    @property
    def matched_text(self) -> str:
        return matched_text(self.matched_skills)


@dataclass
class ProposalView:
    proposal: MatchProposal
    project: Project
    units: list[UnitView]
    funding: list[tuple[FundingPool, int]]
    #: Why the result looks as it does for this pair, in plain words (limits it met, decisions).
    binding: list[str] = field(default_factory=list)

    @property
    def providers(self) -> list[Organization]:
        seen: dict[int, Organization] = {}
        for unit in self.units:
            if unit.provider is not None:
                seen.setdefault(unit.provider.id, unit.provider)
        return list(seen.values())

    @property
    def against_ranking(self) -> bool:
        return any(unit.against_ranking for unit in self.units)


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
    #: Every limit that shaped the run, in plain words with names.
    binding: list[str]
    decisions: list[MatchDecision]
    stats: dict[str, Any]
    #: How the run went (solver fallbacks, decisions the adapter could not use), in plain words.
    notes: list[str] = field(default_factory=list)
    #: The result's status in words ("optimal", ...).
    status: str = ""


def _names(locale: str, row: Any) -> str:
    return row.tr("name", locale) if row is not None else "?"


_LEGACY_BINDING = {"pool_budget": ("pool_id",), "provider_capacity": ("provider_id",),
                   "provider_share": ("provider_id",), "pool_project_cap": ("pool_id", "project_id")}


def binding_entry(entry: Any, pins: set[tuple[int, int]]) -> dict[str, Any]:
    """A stored binding constraint as ``{"code", "params"}``.

    Runs stored before the engine spoke in codes hold ``kind:id[:id]`` strings; ``pinned:project:other`` names a
    provider when the pair is a pinned provider decision (``pins``), else a pool.
    """
    if isinstance(entry, dict):
        return {"code": str(entry.get("code", "")), "params": dict(entry.get("params") or {})}
    kind, _, rest = str(entry).partition(":")
    parts = [int(x) if x.isdigit() else x for x in rest.split(":")] if rest else []
    names = _LEGACY_BINDING.get(kind)
    if names is not None and len(parts) == len(names):
        return {"code": kind, "params": dict(zip(names, parts))}
    if kind == "pinned" and len(parts) == 2:
        project_id, other = parts
        if (project_id, other) in pins:
            return {"code": "pinned_provider", "params": {"project_id": project_id, "provider_id": other}}
        return {"code": "pinned_pool", "params": {"project_id": project_id, "pool_id": other}}
    return {"code": str(entry), "params": {}}


def _places_taken(run: MatchRun, org_ids: set[int]) -> dict[int, int]:
    """Active contracts of each organisation that did not come out of ``run`` (its own pairs are counted
    from the run, approved or not)."""
    if not org_ids:
        return {}
    from market.review.models import Award

    rows = db.session.execute(
        select(Contract.provider_id, func.count()).outerjoin(Award, Award.id == Contract.award_id)
        .where(Contract.provider_id.in_(org_ids), Contract.status.in_(adapter.ACTIVE_CONTRACT),
               or_(Award.run_id.is_(None), Award.run_id != run.id))
        .group_by(Contract.provider_id))
    return {provider_id: n for provider_id, n in rows}


def _marginal(pairs: list[tuple[MatchProposal, float]]) -> MatchProposal:
    """The pair that used a limit's last room: the lowest score (the latest project on a tie)."""
    return min(pairs, key=lambda pair: (pair[1], -pair[0].project_id))[0]


def _explain(run: MatchRun, proposals: list[MatchProposal], binding: list[dict[str, Any]],
             names: reasons.Names) -> tuple[dict[int, list[Any]], list[Any]]:
    """The engine's binding constraints as sentences with names: beside the pair they concern (a provider's
    or a pool's last room beside the pair that used it), and one list for the whole run."""
    per_proposal: dict[int, list[Any]] = {}
    summary: list[Any] = []
    capacity_ids = {b["params"].get("provider_id") for b in binding if b["code"] == "provider_capacity"}
    taken_elsewhere = _places_taken(run, {i for i in capacity_ids if isinstance(i, int)})
    for entry in binding:
        code, params = entry["code"], entry["params"]
        ids = {key: value for key, value in params.items() if key.endswith("_id") and value is not None}
        if not ids or not all(isinstance(value, int) for value in ids.values()):
            summary.append(reasons.reason_text(code, params, names))
            continue
        if code in ("provider_capacity", "provider_share"):
            _explain_provider(code, ids["provider_id"], proposals, names, taken_elsewhere, per_proposal, summary)
        elif code == "pool_budget":
            _explain_pool(ids["pool_id"], proposals, names, per_proposal, summary)
        elif code == "pool_project_cap" and "project_id" in ids:
            for p in proposals:
                if p.project_id == ids["project_id"]:
                    per_proposal.setdefault(p.id, []).append(_l(
                        "%(pool)s pays its maximum for this project (per-project limit or co-funding share).",
                        pool=names.pool(ids["pool_id"])))
            summary.append(reasons.reason_text(code, params, names))
        elif code in ("pinned_provider", "pinned_pool") and "project_id" in ids:
            target = names.org(ids["provider_id"]) if code == "pinned_provider" else names.pool(ids["pool_id"])
            for p in proposals:
                if p.project_id == ids["project_id"]:
                    per_proposal.setdefault(p.id, []).append(_l("Kept by an official decision: %(target)s.",
                                                                target=target))
            summary.append(reasons.reason_text(code, params, names))
        else:
            summary.append(reasons.reason_text(code, params, names))
    # Plain text, escaped where shown: the sentences carry names typed by organisations.
    return {pid: [str(n) for n in notes] for pid, notes in per_proposal.items()}, [str(n) for n in summary]


def _explain_provider(code: str, provider_id: int, proposals: list[MatchProposal], names: reasons.Names,
                      taken_elsewhere: dict[int, int], per_proposal: dict[int, list[Any]], summary: list[Any]) -> None:
    """A provider's capacity or fairness cap: beside the pair that used its last room, and in the summary."""
    org = names.orgs.get(provider_id)
    name = names.org(provider_id)
    pairs = [(p, float(u["score"])) for p in proposals for u in p.units if u.get("provider_id") == provider_id]
    if code == "provider_capacity":
        places = org.capacity if org is not None else 0
        taken = taken_elsewhere.get(provider_id, 0) + len(pairs)
        if not pairs:
            summary.append(_l("%(org)s is fully booked (%(taken)d of %(places)d projects).",
                              org=name, taken=taken, places=places))
            return
        last = _marginal(pairs)
        per_proposal.setdefault(last.id, []).append(_l(
            "%(org)s: fully booked (%(taken)d of %(places)d projects); this pair takes its last place.",
            org=name, taken=taken, places=places))
        summary.append(_l("%(org)s is fully booked (%(taken)d of %(places)d projects); the last place "
                          "went to %(project)s.", org=name, taken=taken, places=places,
                          project=names.project(last.project_id)))
        return
    if not pairs:
        summary.append(_l("%(org)s reached the fairness cap on its share of the total value.", org=name))
        return
    last = _marginal(pairs)
    per_proposal.setdefault(last.id, []).append(_l(
        "%(org)s: this pair brings it to the fairness cap on its share of the total value.", org=name))
    summary.append(_l("%(org)s reached the fairness cap on its share of the total value with "
                      "%(project)s.", org=name, project=names.project(last.project_id)))


def _explain_pool(pool_id: int, proposals: list[MatchProposal], names: reasons.Names,
                  per_proposal: dict[int, list[Any]], summary: list[Any]) -> None:
    """A pool used up: beside the project that took its last money, and in the summary."""
    name = names.pool(pool_id)
    funded = [(p, sum(int(f["amount"]) for f in p.funding if int(f["pool_id"]) == pool_id)) for p in proposals]
    funded = [(p, amount) for p, amount in funded if amount]
    if not funded:
        summary.append(_l("%(pool)s is used up.", pool=name))
        return
    last = _marginal([(p, p.score) for p, _amount in funded])
    amount = next(a for p, a in funded if p.id == last.id)
    per_proposal.setdefault(last.id, []).append(_l(
        "%(pool)s: used up; this project takes its last %(amount)s.", pool=name, amount=money(amount, whole=True)))
    summary.append(_l("%(pool)s is used up by this run: %(total)s to %(n)d projects, the last %(amount)s "
                      "to %(project)s.", pool=name, total=money(sum(a for _p, a in funded), whole=True),
                      n=len(funded), amount=money(amount, whole=True), project=names.project(last.project_id)))


def _run_ids(run: MatchRun, proposals: list[MatchProposal], entries: list[Any]) -> tuple[set[int], set[int], set[int]]:
    """Projects, organisations and pools a run's view names: its selection, proposals and reasons."""
    project_ids = set(run.parameters.get("project_ids", []))
    org_ids: set[int] = set()
    pool_ids: set[int] = set()
    for p in proposals:
        project_ids.add(p.project_id)
        for unit in p.units:
            if unit.get("provider_id") is not None:
                org_ids.add(int(unit["provider_id"]))
            first = (unit.get("first_choice") or {}).get("provider_id")
            if isinstance(first, int):
                org_ids.add(first)
        pool_ids.update(int(f["pool_id"]) for f in p.funding)
    named = reasons.ids_named(entries)
    project_ids |= {i for i in named["project_id"] if isinstance(i, int)}
    org_ids |= {i for i in named["provider_id"] if isinstance(i, int)}
    pool_ids |= {i for i in named["pool_id"] if isinstance(i, int)}
    return project_ids, org_ids, pool_ids


def _unmatched_views(result: dict[str, Any], names: reasons.Names) -> list[UnmatchedView]:
    """The projects a run left unmatched, each with its reason in the reader's language and names."""
    views = []
    for u in result.get("unmatched", []):
        project = names.projects.get(int(u["project_id"]))
        params = dict(u.get("params") or {})
        if project is not None:  # names in the reader's language
            if params.get("category") in (None, project.category.code):
                params["category_name"] = project.category.tr("name", names.locale)
            if "street_name" in params:
                params["street_name"] = project.street.tr("name", names.locale) if project.street else str(
                    _l("Whole district"))
        views.append(UnmatchedView(project=project, lot=names.lots.get(u.get("lot_id")) if u.get("lot_id") else None,
                                   reason=reasons.reason_text(u["code"], params, names), code=u["code"]))
    return views


def run_view(run: MatchRun, locale: str) -> RunView:
    """Everything the console shows about a run, with names and reasons in ``locale``."""
    with force_locale(locale):
        return _run_view(run, locale)


def _run_view(run: MatchRun, locale: str) -> RunView:
    result = run.result or {}
    proposals = list(db.session.scalars(select(MatchProposal).where(MatchProposal.run_id == run.id)
                                        .order_by(MatchProposal.project_id)))
    stored_binding = result.get("binding", [])
    project_ids, org_ids, pool_ids = _run_ids(run, proposals, result.get("unmatched", []) + result.get("notes", []))
    decisions = decisions_for(sorted(project_ids))
    for d in decisions:
        if d.provider_id:
            org_ids.add(d.provider_id)
        if d.pool_id:
            pool_ids.add(d.pool_id)
    pins = {(d.project_id, d.provider_id) for d in decisions if d.provider_id and d.kind == DecisionKind.PIN}
    binding = [binding_entry(entry, pins) for entry in stored_binding]
    named = reasons.ids_named(binding)
    project_ids |= {i for i in named["project_id"] if isinstance(i, int)}
    org_ids |= {i for i in named["provider_id"] if isinstance(i, int)}
    pool_ids |= {i for i in named["pool_id"] if isinstance(i, int)}
    names = reasons.Names(
        locale=locale,
        projects={p.id: p for p in db.session.scalars(
            select(Project).where(Project.id.in_(project_ids))
            .options(selectinload(Project.category), selectinload(Project.street), selectinload(Project.community)))},
        orgs={o.id: o for o in db.session.scalars(select(Organization).where(Organization.id.in_(org_ids)))},
        pools={p.id: p for p in db.session.scalars(select(FundingPool).where(FundingPool.id.in_(pool_ids)))},
        lots={lot.id: lot for lot in db.session.scalars(select(Lot).where(Lot.project_id.in_(project_ids)))},
        categories={c.code: c for c in db.session.scalars(select(Category))})
    wrong = {(w[0], w[1], w[2]) for w in result.get("wrong_category", [])}
    explained, summary = _explain(run, proposals, binding, names)
    views = [_proposal_view(p, names, wrong, explained) for p in proposals]
    return RunView(run=run, proposals=views, unmatched=_unmatched_views(result, names), binding=summary,
                   decisions=decisions, stats=result.get("stats", {}),
                   notes=[reasons.stored_reason_text(n, names) for n in result.get("notes", [])],
                   status=reasons.result_status_label(result.get("status")))


def _proposal_view(p: MatchProposal, names: reasons.Names, wrong: set[tuple[Any, Any, Any]],
                   explained: dict[int, list[Any]]) -> ProposalView:
    units = []
    for unit in p.units:
        provider_id = unit.get("provider_id")
        first = unit.get("first_choice") or {}
        units.append(UnitView(
            lot=names.lots.get(unit["lot_id"]) if unit.get("lot_id") is not None else None,
            provider=names.orgs.get(int(provider_id)) if provider_id is not None else None,
            cost=int(unit["cost"]), score=float(unit["score"]),
            components=[(str(COMPONENT_LABELS.get(k, k)), v) for k, v in unit.get("components", {}).items()],
            funding=[(names.pools[int(f["pool_id"])], int(f["amount"])) for f in unit.get("funding", [])
                     if int(f["pool_id"]) in names.pools],
            wrong_category=(p.project_id, unit.get("lot_id"), provider_id) in wrong,
            rank=unit.get("rank"), candidates=int(unit.get("candidates") or 0),
            first_choice=names.orgs.get(first.get("provider_id")) if isinstance(first.get("provider_id"), int) else None,
            first_score=first.get("score"), matched_skills=list(unit.get("matched_skills") or [])))
    return ProposalView(
        proposal=p, project=names.projects.get(p.project_id) or db.session.get(Project, p.project_id), units=units,
        funding=[(names.pools[int(f["pool_id"])], int(f["amount"])) for f in p.funding if int(f["pool_id"]) in names.pools],
        binding=explained.get(p.id, []))


# ---------------------------------------------------------------- the run as rows: filters, sorting, summary

@dataclass
class RunRow:
    """One project of a run as the console lists it: its proposal, or why it has none."""

    project: Project
    view: ProposalView | None
    unmatched: list[UnmatchedView]
    flags: frozenset[str]
    notes: list[Any]

    @property
    def proposal(self) -> MatchProposal | None:
        return self.view.proposal if self.view else None

    @property
    def status(self) -> str:
        return str(self.view.proposal.status) if self.view else UNMATCHED

    @property
    def score(self) -> float | None:
        return self.view.proposal.score if self.view else None

    @property
    def cost(self) -> int:
        return self.view.proposal.cost_cents if self.view else 0

    @property
    def funded(self) -> int:
        return self.view.proposal.funded_cents if self.view else 0

    @property
    def band(self) -> str | None:
        return score_band(self.score)

    @property
    def street_key(self) -> str:
        return str(self.project.street_id) if self.project.street_id is not None else DISTRICT_KEY

    @property
    def needs_attention(self) -> bool:
        return bool(self.flags & ATTENTION)


def matched_text(matched: list[dict[str, str]]) -> str:
    """The skills matched for a unit in words: "居家养老 ≈ 上门照护; 助餐" (the project's word ≈ the provider's,
    one word when both use the same); empty when none was."""
    return "; ".join(matched_pairs(MatchedSkill(str(m.get("skill", "")), str(m.get("project_term", "")),
                                                str(m.get("provider_term", ""))) for m in matched))


def score_band(score: float | None) -> str | None:
    """``high`` from :data:`HIGH_SCORE`, ``low`` under :data:`LOW_SCORE`, ``medium`` between."""
    if score is None:
        return None
    return "high" if score >= HIGH_SCORE else "low" if score < LOW_SCORE else "medium"


def rank_text(unit: UnitView, locale: str) -> str:
    """Why a unit is not the engine's first choice, in plain words."""
    return str(_l("Ranked %(rank)d of %(n)d by score; %(first)s scored higher (%(best)s against %(score)s).",
                  rank=unit.rank or 0, n=unit.candidates, first=_names(locale, unit.first_choice),
                  best=f"{unit.first_score or 0:.2f}", score=f"{unit.score:.2f}"))


def reasons_needed(view: ProposalView, locale: str) -> list[Any]:
    """Why approving this proposal needs a public reason: it goes against the engine's ranking (not its
    first choice for a unit) or keeps a pair an official pinned. Empty when none is needed."""
    out: list[Any] = [rank_text(unit, locale) for unit in view.units if unit.against_ranking]
    if view.proposal.pinned:
        out.append(str(_l("It keeps a pair pinned by an official decision.")))
    return out


def run_rows(view: RunView, locale: str) -> list[RunRow]:
    """Every project of the run, in project order: proposals and projects left unmatched."""
    decided = {d.project_id for d in view.decisions}
    unmatched_by_project: dict[int, list[UnmatchedView]] = {}
    for u in view.unmatched:
        if u.project is not None:
            unmatched_by_project.setdefault(u.project.id, []).append(u)
    rows = []
    seen: set[int] = set()
    for p in view.proposals:
        flags = set()
        if p.proposal.score < LOW_SCORE:
            flags.add("low_score")
        if p.binding:
            flags.add("binding")
        if p.proposal.pinned:
            flags.add("pinned")
        if p.project.id in decided:
            flags.add("decision")
        if p.against_ranking:
            flags.add("against_ranking")
        missing = unmatched_by_project.get(p.project.id, [])
        if missing:
            flags.add("unmatched")
        notes = list(p.binding) + [rank_text(u, locale) for u in p.units if u.against_ranking]
        rows.append(RunRow(project=p.project, view=p, unmatched=missing, flags=frozenset(flags), notes=notes))
        seen.add(p.project.id)
    for project_id, missing in unmatched_by_project.items():
        if project_id in seen:
            continue
        seen.add(project_id)
        flags = {"unmatched"} | ({"decision"} if project_id in decided else set())
        rows.append(RunRow(project=missing[0].project, view=None, unmatched=missing, flags=frozenset(flags),
                           notes=[u.reason for u in missing]))
    rows.sort(key=lambda r: r.project.id)
    return rows


@dataclass(frozen=True)
class RowFilter:
    """What the console's filters ask for (empty: everything)."""

    street: str = ""
    category: str = ""
    kind: str = ""
    band: str = ""
    status: str = ""
    attention: bool = False


def row_choices(rows: list[RunRow], locale: str) -> dict[str, list[tuple[str, str]]]:
    """The streets and categories present in a run, for its filters."""
    streets: dict[str, str] = {}
    categories: dict[str, str] = {}
    for row in rows:
        streets.setdefault(row.street_key, row.project.street.tr("name", locale) if row.project.street
                           else str(_l("Whole district")))
        categories.setdefault(str(row.project.category_id), row.project.category.tr("name", locale))
    return {"street": sorted(streets.items(), key=lambda kv: kv[1]),
            "category": sorted(categories.items(), key=lambda kv: kv[1])}


def filter_rows(rows: list[RunRow], wanted: RowFilter) -> list[RunRow]:
    def keep(row: RunRow) -> bool:
        return ((not wanted.street or row.street_key == wanted.street)
                and (not wanted.category or str(row.project.category_id) == wanted.category)
                and (not wanted.kind or str(row.project.kind) == wanted.kind)
                and (not wanted.band or row.band == wanted.band)
                and (not wanted.status or row.status == wanted.status)
                and (not wanted.attention or row.needs_attention))

    return [row for row in rows if keep(row)]


def sort_rows(rows: list[RunRow], sort: str, locale: str) -> list[RunRow]:
    """Rows in the order asked for; rows without a score or amount come last; ties by project id."""
    def title(row: RunRow) -> str:
        return row.project.tr("title", locale).casefold()

    if sort in ("score_desc", "score_asc"):
        sign = -1 if sort == "score_desc" else 1
        return sorted(rows, key=lambda r: (r.score is None, sign * (r.score or 0), r.project.id))
    if sort in ("amount_desc", "amount_asc"):
        sign = -1 if sort == "amount_desc" else 1
        return sorted(rows, key=lambda r: (r.view is None, sign * r.cost, r.project.id))
    if sort == "title":
        return sorted(rows, key=lambda r: (title(r), r.project.id))
    if sort == "street":
        return sorted(rows, key=lambda r: (r.project.street is None,
                                           r.project.street.tr("name", locale) if r.project.street else "",
                                           title(r), r.project.id))
    return sorted(rows, key=lambda r: r.project.id)


@dataclass
class RunSummary:
    matched: int
    unmatched: int
    attention: int
    cost_cents: int
    funded_cents: int
    unmatched_by_reason: list[tuple[str, int]]
    by_pool: list[tuple[FundingPool, int]]


def run_summary(view: RunView, rows: list[RunRow]) -> RunSummary:
    """The run in numbers: matched and unmatched projects (by reason), money proposed per pool."""
    reasons: dict[str, int] = {}
    for row in rows:
        if row.view is None and row.unmatched:
            code = row.unmatched[0].code
            label = str(UNMATCHED_LABELS.get(code, code))
            reasons[label] = reasons.get(label, 0) + 1
    pools: dict[int, list[Any]] = {}
    for p in view.proposals:
        for pool, amount in p.funding:
            pools.setdefault(pool.id, [pool, 0])[1] += amount
    return RunSummary(
        matched=len(view.proposals), unmatched=sum(1 for r in rows if r.view is None),
        attention=sum(1 for r in rows if r.needs_attention),
        cost_cents=sum(p.proposal.cost_cents for p in view.proposals),
        funded_cents=sum(p.proposal.funded_cents for p in view.proposals),
        unmatched_by_reason=sorted(reasons.items(), key=lambda kv: (-kv[1], kv[0])),
        by_pool=sorted(((pool, amount) for pool, amount in pools.values()), key=lambda pa: (-pa[1], pa[0].id)))


def _yuan(cents: int) -> Decimal:
    return Decimal(int(cents)) / 100


def _units_matched_text(view: ProposalView) -> str:
    """The skills matched for each unit of a proposal, as on the console; a split project's per lot."""
    parts = []
    for unit in view.units:
        text = unit.matched_text
        if text:
            parts.append(str(_l("Lot %(n)d: %(skills)s", n=unit.lot.seq, skills=text)) if unit.lot else text)
    return " | ".join(parts)


def export_table(rows: list[RunRow], locale: str) -> tuple[list[Any], list[list[Any]]]:
    """The rows as a table for download: amounts in yuan (exact), names in ``locale``."""
    header = [_l("Project id"), _l("Project"), _l("Kind"), _l("Street"), _l("Category"), _l("Status"),
              _l("Providers"), _l("Score"), _l("Matched skills"), _l("Cost (yuan)"), _l("From pools (yuan)"), _l("Pools"), _l("Notes")]
    out = []
    for row in rows:
        view = row.view
        out.append([
            row.project.id, row.project.tr("title", locale), label_of(ProjectKind(row.project.kind)),
            row.project.street.tr("name", locale) if row.project.street else str(_l("Whole district")),
            row.project.category.tr("name", locale),
            str(UNMATCHED_LABELS.get(row.unmatched[0].code, row.unmatched[0].code)) if view is None and row.unmatched
            else label_of(MatchProposalStatus(row.status)) if view is not None else row.status,
            "; ".join(o.tr("name", locale) for o in view.providers) if view else "",
            round(view.proposal.score, 4) if view else None,
            _units_matched_text(view) if view else "",
            _yuan(row.cost) if view else None, _yuan(row.funded) if view else None,
            "; ".join(f"{pool.tr('name', locale)} {money(amount, with_symbol=False)}" for pool, amount in view.funding)
            if view else "",
            " ".join(str(n) for n in row.notes)])
    return [str(h) for h in header], out


# ---------------------------------------------------------------- approving: one, or several at once

def parse_proposal_ids(values: list[str]) -> list[int]:
    """Proposal ids from a form: whole numbers, at most :data:`MAX_BULK` of them, at least one."""
    if len(values) > MAX_BULK:
        raise ValidationFailed(_l("Select at most %(n)d proposals at once.", n=MAX_BULK),
                               fields={"proposal_ids": _l("Too many.")})
    ids: list[int] = []
    for value in values:
        text = (value or "").strip()
        if not text.isdigit() or len(text) > 12:
            raise ValidationFailed(_l("Not a proposal number: %(value)s.", value=text[:20]),
                                   fields={"proposal_ids": _l("Not a number.")})
        ids.append(int(text))
    ids = sorted(set(ids))
    if not ids:
        raise ValidationFailed(_l("Select at least one proposal."), fields={"proposal_ids": _l("Nothing selected.")})
    return ids


@dataclass
class BulkItem:
    view: ProposalView
    reasons_needed: list[Any]


@dataclass
class BulkPlan:
    """What approving a selection would do: the proposals, and the money per pool and per provider."""

    run: MatchRun
    items: list[BulkItem]
    by_pool: list[tuple[FundingPool, int]]
    by_provider: list[tuple[Organization, int, int]]  # organisation, pairs, amount

    @property
    def cost_cents(self) -> int:
        return sum(item.view.proposal.cost_cents for item in self.items)

    @property
    def funded_cents(self) -> int:
        return sum(item.view.proposal.funded_cents for item in self.items)


def plan_bulk_approval(actor: User, run: MatchRun, proposal_ids: list[int], locale: str) -> BulkPlan:
    """Check a selection of the run's proposals before approving it: every one belongs to the run, is
    still proposed, and stands where the actor decides. Nothing is written."""
    require_official(actor)
    if len(proposal_ids) > MAX_BULK:
        raise ValidationFailed(_l("Select at most %(n)d proposals at once.", n=MAX_BULK),
                               fields={"proposal_ids": _l("Too many.")})
    wanted = set(proposal_ids)
    found = {p.id: p for p in db.session.scalars(select(MatchProposal).where(
        MatchProposal.id.in_(wanted), MatchProposal.run_id == run.id))} if wanted else {}
    if not wanted:
        raise ValidationFailed(_l("Select at least one proposal."), fields={"proposal_ids": _l("Nothing selected.")})
    strangers = sorted(wanted - set(found))
    if strangers:
        raise ValidationFailed(_l("Not proposals of this run: %(ids)s.", ids=", ".join(str(i) for i in strangers[:10])),
                               fields={"proposal_ids": _l("Not in this run.")})
    for proposal in found.values():
        policy.require(actor, "match.decide", proposal.project)
    if not run.is_finished:
        raise Conflict(_l("This run has not finished yet."))
    decided = [p for p in found.values() if p.status != MatchProposalStatus.PROPOSED]
    if decided:
        raise Conflict(_l("Already decided, so not approved again: %(projects)s.", projects=", ".join(
            p.project.tr("title", locale) for p in sorted(decided, key=lambda p: p.project_id)[:5])))
    view = run_view(run, locale)
    items = [BulkItem(v, reasons_needed(v, locale)) for v in view.proposals if v.proposal.id in wanted]
    pools: dict[int, list[Any]] = {}
    providers: dict[int, list[Any]] = {}
    for item in items:
        for pool, amount in item.view.funding:
            pools.setdefault(pool.id, [pool, 0])[1] += amount
        for unit in item.view.units:
            if unit.provider is not None:
                entry = providers.setdefault(unit.provider.id, [unit.provider, 0, 0])
                entry[1] += 1
                entry[2] += unit.cost
    return BulkPlan(run=run, items=items,
                    by_pool=sorted(((p, a) for p, a in pools.values()), key=lambda pa: (-pa[1], pa[0].id)),
                    by_provider=sorted(((o, n, a) for o, n, a in providers.values()), key=lambda x: (-x[2], x[0].id)))


def _public_reason(proposal: MatchProposal, reason: str, field_name: str = "reason") -> str:
    """The reason published with an award; required (at least :data:`MIN_REASON` characters) when the
    approval goes against the engine's ranking or keeps a pinned pair."""
    against = any(isinstance(u.get("rank"), int) and u["rank"] > 1 for u in proposal.units)
    if against or proposal.pinned:
        if len((reason or "").strip()) < MIN_REASON:
            raise ValidationFailed(
                _l("This proposal is not the engine's first choice or keeps a pinned pair: give the public reason "
                   "for approving it (at least %(n)d characters).", n=MIN_REASON),
                fields={field_name: _l("A public reason is required.")})
    return (reason or "").strip()[:2000]


def approve_one(actor: User, proposal: MatchProposal, *, reason: str = "", now: datetime | None = None,
                notice_days: int = awards.NOTICE_WORKING_DAYS) -> Any:
    """Approve one proposal (:func:`market.review.awards.approve_proposal`), with the public reason
    required when it goes against the engine's ranking or keeps a pinned pair."""
    policy.require(actor, "match.decide", proposal.project)
    text = _public_reason(proposal, reason)
    return awards.approve_proposal(actor, proposal, reason=text, now=now, notice_days=notice_days)


class BulkApprovalFailed(Conflict):
    code = "bulk_approval_failed"


def approve_proposals(actor: User, run: MatchRun, proposal_ids: list[int], reasons: dict[int, str], *,
                      now: datetime | None = None, notice_days: int = awards.NOTICE_WORKING_DAYS,
                      locale: str = "zh") -> list[Any]:
    """Approve a selection of the run's proposals one by one through
    :func:`market.review.awards.approve_proposal`, all or nothing: when one cannot be approved,
    :class:`BulkApprovalFailed` names the project and the reason, and the caller rolls the
    transaction back, so none of the selection is approved (nothing is committed here)."""
    now = now or utcnow()
    plan = plan_bulk_approval(actor, run, proposal_ids, locale)
    errors: dict[str, Any] = {}
    texts: dict[int, str] = {}
    for item in plan.items:
        name = f"reason_{item.view.proposal.id}"
        try:
            texts[item.view.proposal.id] = _public_reason(item.view.proposal, reasons.get(item.view.proposal.id, ""),
                                                          name)
        except ValidationFailed as error:
            errors.update(error.fields)
    if errors:
        raise ValidationFailed(_l("Give the public reason for each proposal marked below; nothing was approved."),
                               fields=errors)
    approved = []
    for item in sorted(plan.items, key=lambda i: i.view.proposal.id):
        proposal = item.view.proposal
        try:
            approved.append(awards.approve_proposal(actor, proposal, reason=texts[proposal.id], now=now,
                                                    notice_days=notice_days))
        except DomainError as error:
            raise BulkApprovalFailed(_l("Nothing was approved: %(project)s cannot be approved now: %(why)s",
                                        project=item.view.project.tr("title", locale), why=str(error.message)),
                                     fields={f"proposal_{proposal.id}": error.message}) from error
    record(actor, "match_run.bulk_approved", run, after={
        "proposal_ids": [a.proposal_id for a in approved], "award_ids": [a.id for a in approved],
        "reasons": {str(pid): text for pid, text in texts.items() if text}})
    return approved


def recent_runs(actor: User, limit: int = 20) -> list[MatchRun]:
    stmt = select(MatchRun).order_by(MatchRun.id.desc()).limit(limit)
    return list(db.session.scalars(limit_to_jurisdiction(stmt, actor, MatchRun.street_id, MatchRun.district_id)))


def can_see_run(actor: User, run: MatchRun) -> bool:
    """District-wide officials see their district's runs; a street official the runs made for their street."""
    return policy.can(actor, "run.view", run)
