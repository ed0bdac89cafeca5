"""Verification of integer results: the public :func:`verify` of a :class:`MatchResult`, and
:func:`violations`, the check every solution passes inside the optimiser before it is kept.

Both speak to the developer (a list of messages, empty when everything holds); explanations for
people are :class:`~matching.reasons.Reason` codes elsewhere.

>>> verify(MatchProblem(projects=[], providers=[]),
...        MatchResult("no_candidates", 0.0, 0.0, 0.0, (), (), (), "", 0.0))
[]
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..candidates import units_of
from ..types import (
    Assignment,
    CandidateSet,
    Id,
    MatchProblem,
    MatchResult,
    PoolSpec,
    ProjectSpec,
    ProviderSpec,
)
from .instance import Instance, pool_serves
from .solution import Solution, pools_left, project_cost, provider_loads

__all__ = ["verify", "violations"]


def _lot(lot_id: Id | None) -> str:
    return "" if lot_id is None else f" lot {lot_id!r}"


@dataclass
class _Tally:
    """What a result's assignments add up to, per project, provider and pool."""

    per_project: dict[Id, list[Assignment]] = field(default_factory=dict)
    load: dict[Id, int] = field(default_factory=dict)
    value: dict[Id, int] = field(default_factory=dict)
    paid: dict[Id, int] = field(default_factory=dict)


@dataclass
class _Bids:
    """Bid prices by project (whole projects) and by (project, lot)."""

    whole: dict[Id, dict[Id, int]] = field(default_factory=dict)
    lots: dict[tuple[Id, Id], dict[Id, int]] = field(default_factory=dict)


def verify(problem: MatchProblem, result: MatchResult,
           candidates: CandidateSet | None = None) -> list[str]:
    """Check a result against every constraint, in integers; returns the violations.

    Checks: one provider per project (lot), all lots or none, provider capacity, fairness
    share, decisions (pins kept, forbidden absent), funding equal to cost, pool eligibility,
    pool budgets, per-project maxima and co-funding shares.  With ``candidates`` it also checks
    that every pair was a candidate.

    >>> verify(MatchProblem(projects=[], providers=[]),
    ...        MatchResult("no_candidates", 0.0, 0.0, 0.0, (), (), (), "", 0.0))
    []
    """
    errors: list[str] = []
    projects = {p.id: p for p in problem.projects}
    providers = {p.id: p for p in problem.providers}
    pools = {p.id: p for p in problem.pools}
    tally = _tally(result, projects, providers, pools, candidates, errors)
    bids = _Bids()
    for b in problem.bids:
        if b.lot_id is None:
            bids.whole.setdefault(b.project_id, {})[b.provider_id] = b.price
        else:
            bids.lots.setdefault((b.project_id, b.lot_id), {})[b.provider_id] = b.price
    for project_id, items in tally.per_project.items():
        project = projects[project_id]
        _check_units(project, items, errors)
        _check_funding(project, items, pools, errors)
        _check_costs(project, items, bids, errors)
    _check_providers(problem, tally, providers, errors)
    for pool_id, amount in tally.paid.items():
        if amount > pools[pool_id].remaining:
            errors.append(f"pool {pool_id!r} overspent: {amount} > {pools[pool_id].remaining}")
    _check_decisions(problem, result, projects, errors)
    return errors


def _tally(result: MatchResult, projects: dict[Id, ProjectSpec], providers: dict[Id, ProviderSpec],
           pools: dict[Id, PoolSpec], candidates: CandidateSet | None, errors: list[str]) -> _Tally:
    """Add up the assignments, noting unknown objects, pairs assigned twice, bad amounts."""
    tally = _Tally()
    seen: set[tuple[Id, Id | None]] = set()
    for a in result.assignments:
        key = (a.project_id, a.lot_id)
        if key in seen:
            errors.append(f"project {a.project_id!r}{_lot(a.lot_id)} assigned twice")
        seen.add(key)
        if a.project_id not in projects:
            errors.append(f"unknown project {a.project_id!r}")
            continue
        tally.per_project.setdefault(a.project_id, []).append(a)
        if a.provider_id is not None:
            if a.provider_id not in providers:
                errors.append(f"unknown provider {a.provider_id!r}")
                continue
            tally.load[a.provider_id] = tally.load.get(a.provider_id, 0) + 1
            tally.value[a.provider_id] = tally.value.get(a.provider_id, 0) + a.cost
            if candidates is not None and not any(
                    c.provider_id == a.provider_id for c in candidates.for_project(*key)):
                errors.append(f"pair {a.project_id!r}/{a.provider_id!r} is not a candidate")
        for f in a.funding:
            if f.pool_id not in pools:
                errors.append(f"unknown pool {f.pool_id!r}")
                continue
            if f.amount <= 0 or not isinstance(f.amount, int):
                errors.append(f"pool {f.pool_id!r} pays a non-positive or non-integer amount")
            tally.paid[f.pool_id] = tally.paid.get(f.pool_id, 0) + f.amount
    return tally


def _check_units(project: ProjectSpec, items: list[Assignment], errors: list[str]) -> None:
    """A project that needs a provider has one for the whole project or for every lot."""
    if not project.needs_provider:
        return
    want = {lot.id for lot in project.lots} if project.lots else {None}
    got = {a.lot_id for a in items}
    if got != want:
        errors.append(f"project {project.id!r}: lots {sorted(map(str, got))} of "
                      f"{sorted(map(str, want))} assigned")
    if any(a.provider_id is None for a in items):
        errors.append(f"project {project.id!r} needs a provider")


def _check_funding(project: ProjectSpec, items: list[Assignment], pools: dict[Id, PoolSpec],
                   errors: list[str]) -> None:
    """Funding equals the cost, from eligible pools within their caps (or there is none)."""
    if not project.needs_funding:
        if any(a.funding for a in items):
            errors.append(f"project {project.id!r} does not need funding but got some")
        return
    cost = sum(a.cost for a in items)
    by_pool: dict[Id, int] = {}
    for a in items:
        for f in a.funding:
            by_pool[f.pool_id] = by_pool.get(f.pool_id, 0) + f.amount
    if sum(by_pool.values()) != cost:
        errors.append(f"project {project.id!r}: funding {sum(by_pool.values())} != cost {cost}")
    for pool_id, amount in by_pool.items():
        pool = pools.get(pool_id)
        if pool is None:
            continue
        if not pool_serves(pool, project):
            errors.append(f"pool {pool_id!r} may not fund project {project.id!r}")
        if amount > pool.cap_for(cost):
            errors.append(f"pool {pool_id!r} pays {amount} > its cap "
                          f"{pool.cap_for(cost)} for project {project.id!r}")


def _check_costs(project: ProjectSpec, items: list[Assignment], bids: _Bids,
                 errors: list[str]) -> None:
    """Each unit costs its provider's bid, or else its price or budget."""
    pid = project.id
    if project.needs_provider and not project.lots:
        a = items[0]
        offers = bids.whole.get(pid, {})
        expected = offers.get(a.provider_id, project.cost_without_bids) \
            if offers and a.provider_id is not None else project.cost_without_bids
        if offers and a.provider_id not in offers:
            errors.append(f"project {pid!r} has bids but {a.provider_id!r} did not bid")
        if a.cost != expected:
            errors.append(f"project {pid!r}: cost {a.cost} != price {expected}")
    if project.lots:
        budgets = {lot.id: lot.budget for lot in project.lots}
        for a in items:
            lot_offers = bids.lots.get((pid, a.lot_id)) if a.lot_id is not None else None
            if lot_offers:
                expected_cost = lot_offers.get(a.provider_id) if a.provider_id is not None else None
            else:
                expected_cost = budgets.get(a.lot_id) if a.lot_id is not None else None
            if a.cost != expected_cost:
                errors.append(f"project {pid!r} lot {a.lot_id!r}: cost {a.cost} is not "
                              "its bid or budget")
    cost = sum(a.cost for a in items)
    if not project.needs_provider and cost != project.cost_without_bids:
        errors.append(f"project {pid!r}: cost {cost} != {project.cost_without_bids}")


def _check_providers(problem: MatchProblem, tally: _Tally, providers: dict[Id, ProviderSpec],
                     errors: list[str]) -> None:
    """Capacity and the fairness cap of every provider."""
    for provider_id, n in tally.load.items():
        if n > providers[provider_id].capacity:
            errors.append(f"provider {provider_id!r}: {n} projects > capacity "
                          f"{providers[provider_id].capacity}")
    share = problem.options.max_provider_share
    if share is not None:
        total = sum(u.budget for p in problem.projects for u in units_of(p))
        for provider_id, value in tally.value.items():
            if value > share * total + 1e-6:
                errors.append(f"provider {provider_id!r}: {value} above the fairness cap")


def _check_decisions(problem: MatchProblem, result: MatchResult, projects: dict[Id, ProjectSpec],
                     errors: list[str]) -> None:
    """Pins kept (unless the result is infeasible), forbidden pairs absent."""
    assigned = {(a.project_id, a.lot_id, a.provider_id) for a in result.assignments}
    funded = {(a.project_id, f.pool_id) for a in result.assignments for f in a.funding}
    for dec in problem.decisions:
        if dec.provider_id is not None:
            lots = [dec.lot_id] if dec.lot_id is not None or not projects[dec.project_id].lots \
                else [lot.id for lot in projects[dec.project_id].lots]
            hit = any((dec.project_id, lot, dec.provider_id) in assigned for lot in lots)
        else:
            hit = (dec.project_id, dec.pool_id) in funded
        target = dec.provider_id or dec.pool_id
        if dec.kind == "pin" and not hit and result.status in ("optimal", "feasible"):
            errors.append(f"pinned pair {dec.project_id!r}/{target!r} missing")
        if dec.kind == "forbid" and hit:
            errors.append(f"forbidden pair {dec.project_id!r}/{target!r} present")


def violations(inst: Instance, sol: Solution) -> list[str]:
    """Integer check of a solution against the model's constraints."""
    errors: list[str] = []
    load, value = provider_loads(inst, sol)
    for i, n in enumerate(load):
        if n > inst.capacity[i]:
            errors.append(f"capacity of {inst.providers[i].id!r}")
        if inst.fairness_cap is not None and value[i] > inst.fairness_cap + 1e-6:
            errors.append(f"fairness cap of {inst.providers[i].id!r}")
    for f, left in enumerate(pools_left(inst, sol)):
        if left < 0:
            errors.append(f"pool {inst.pools[f].id!r} overspent")
    for j in sol.selected:
        errors.extend(_project_violations(inst, sol, j))
    for u in sol.chosen:
        if inst.unit_project[u] not in sol.selected:
            errors.append(f"unit {inst.units[u].key!r} chosen but project not selected")
    for k in inst.pinned_pairs:
        if sol.chosen.get(int(inst.pair_unit[k])) != k:
            errors.append("pinned pair missing")
    for t in inst.pinned_funds:
        j = int(inst.fund_project[t])
        if sol.funding.get(j, {}).get(int(inst.fund_pool[t]), 0) < 1 and (
                j not in sol.selected or project_cost(inst, sol, j) > 0):
            errors.append("pinned pool missing")
    return errors


def _project_violations(inst: Instance, sol: Solution, j: int) -> list[str]:
    """A selected project is viable, complete and funded exactly within its pools' caps."""
    errors: list[str] = []
    project = inst.projects[j]
    if not inst.viable[j]:
        errors.append(f"project {project.id!r} is not viable")
    if project.needs_provider and any(u not in sol.chosen for u in inst.project_units[j]):
        errors.append(f"project {project.id!r} incomplete")
    if project.needs_funding:
        cost = project_cost(inst, sol, j)
        alloc = sol.funding.get(j, {})
        if sum(alloc.values()) != cost:
            errors.append(f"project {project.id!r} funding != cost")
        for f, amount in alloc.items():
            t = inst.fund_position.get((j, f))
            if t is None or amount > inst.cap(t, cost) or amount <= 0:
                errors.append(f"pool {inst.pools[f].id!r} cap on {project.id!r}")
    return errors
