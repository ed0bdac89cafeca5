"""Explanations as :class:`~matching.reasons.Reason` codes: why each project is unmatched, which
constraints bind, and why official decisions cannot all be met.

>>> from matching.types import MatchProblem, CandidateSet
>>> inst = Instance(MatchProblem(projects=[], providers=[]), CandidateSet({}, {}))
>>> unmatched_projects(inst, Solution()), binding_constraints(inst, Solution())
((), ())
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..reasons import Reason
from ..types import Id, Unmatched
from .instance import Instance, IntArray
from .solution import Solution, pools_left, project_cost, provider_loads

__all__ = ["unmatched_projects", "binding_constraints", "pin_conflicts", "BINDING_USED"]

#: A pool (or a provider's fairness share) binds once this share of it is used.
BINDING_USED = 0.995

#: Reason code of the first hard filter that left a unit without candidates.
_FILTER_REASONS: dict[str | None, str] = {
    "category": "no_provider_for_category",
    "supplies": "no_provider_supplies_type",
    "capacity": "providers_at_capacity",
    "area": "no_provider_in_area",
    "requirements": "requirements_not_met",
    "bids": "no_valid_bid",
    "conflicts": "conflict_of_interest",
    "decisions": "forbidden_by_decision",
    None: "no_provider_in_area",  # candidates cut below min_score
}


def unmatched_projects(inst: Instance, sol: Solution) -> tuple[Unmatched, ...]:
    """Every project outside the solution, with the first reason that explains it."""
    load, value = provider_loads(inst, sol)
    left = np.asarray(pools_left(inst, sol), dtype=np.int64)
    out = []
    for j, project in enumerate(inst.projects):
        if j in sol.selected:
            continue
        base = {"project_id": project.id, "category": project.category,
                "category_name": project.category_name, "street_id": project.street_id,
                "street_name": project.street_name}
        reason, lot_id = (_no_candidate_reason(inst, j, base)
                          or _funding_reason(inst, j, base, left)
                          or _taken_reason(inst, j, base, load, value)
                          or (Reason("not_selected", base), None))
        out.append(Unmatched(project.id, reason, lot_id))
    return tuple(out)


_Found = tuple[Reason, Id | None] | None


def _no_candidate_reason(inst: Instance, j: int, base: dict[str, Any]) -> _Found:
    """A unit without any candidate: the first hard filter that left nobody."""
    project = inst.projects[j]
    if not project.needs_provider:
        return None
    for u in inst.project_units[j]:
        if inst.unit_pairs[u]:
            continue
        unit = inst.units[u]
        funnel = inst.candidates.funnels.get(unit.key)
        stage = funnel.first_empty() if funnel is not None else "area"
        params = dict(base)
        if unit.category != project.category:
            params["category"] = unit.category
            params["category_name"] = unit.category
        code = _FILTER_REASONS[stage]
        if code == "no_provider_supplies_type":
            params["project_type"] = unit.project_type
        if code == "providers_at_capacity":
            params["count"] = funnel.supplies if funnel else 0
        if code == "requirements_not_met":
            params.update(project.requirements.thresholds())
        if code == "no_valid_bid":
            params["bids"] = funnel.bid_count if funnel else 0
        return Reason(code, params), unit.key[1]
    return None


def _funding_reason(inst: Instance, j: int, base: dict[str, Any], left: IntArray) -> _Found:
    """Why the pools cannot fund project j at its cheapest cost, or ``None`` if they could.

    Looks at every pool eligible for the project, not only the few that candidate
    generation sampled: the money left and the co-funding caps of all of them.
    """
    project = inst.projects[j]
    need = inst.min_cost(j)
    if not project.needs_funding or need <= 0:
        return None
    serving = inst.serving_pool_array(project)
    if inst.forbidden_pools:
        serving = serving[[(project.id, inst.pools[f].id) not in inst.forbidden_pools
                           for f in serving.tolist()]]
    if not len(serving):
        return Reason("no_eligible_pool", base), None
    caps = inst.pool_caps(serving, need)
    usable = caps > 0
    # Python sums: amounts near 2**63 fen add up past int64
    money = sum(left[serving[usable]].tolist())
    reach = sum(np.minimum(caps[usable], left[serving[usable]]).tolist())
    if reach >= need:
        # enough in reach; only a candidate set without this project's pools stops it
        return None if inst.project_funds[j] else (Reason("no_eligible_pool", base), None)
    # pools whose share of the cost is below 1 fen are to blame when their money was what
    # the project lacked
    idle = [f for f in serving[~usable].tolist() if left[f] > 0]
    if idle and (not usable.any() or money + sum(int(left[f]) for f in idle) >= need):
        return Reason("co_funding_share_rounds_to_zero", dict(
            base, pools=[inst.pools[f].name or str(inst.pools[f].id) for f in idle],
            pool_ids=[inst.pools[f].id for f in idle], needed=need)), None
    if money < need:
        return Reason("pools_exhausted", dict(base, needed=need, left=money)), None
    return Reason("co_funding_limit", dict(base, needed=need, coverable=reach)), None


def _taken_reason(inst: Instance, j: int, base: dict[str, Any], load: list[int],
                  value: list[int]) -> _Found:
    """Every candidate of a unit is fully booked, or would pass the fairness cap."""
    if not inst.projects[j].needs_provider:
        return None
    for u in inst.project_units[j]:
        pairs = inst.unit_pairs[u]
        free = [k for k in pairs
                if load[int(inst.pair_provider[k])] < inst.capacity[int(inst.pair_provider[k])]]
        lot_id = inst.units[u].key[1]
        if not free:
            return Reason("providers_at_capacity", dict(base, count=len(pairs))), lot_id
        cap = inst.fairness_cap
        if cap is not None and all(
                value[int(inst.pair_provider[k])] + int(inst.pair_price[k]) > cap for k in free):
            share = inst.problem.options.max_provider_share
            return Reason("provider_share_cap", dict(base, share=share)), lot_id
    return None


def binding_constraints(inst: Instance, sol: Solution) -> tuple[Reason, ...]:
    """Constraints at (or within 0.5 % of) their limit in the solution, and the pins."""
    out: list[Reason] = []
    left = pools_left(inst, sol)
    used_any = {f for alloc in sol.funding.values() for f in alloc}
    for f, pool in enumerate(inst.pools):
        used = pool.remaining - left[f]
        if f in used_any and pool.remaining > 0 and used >= BINDING_USED * pool.remaining:
            out.append(Reason("pool_budget", {"pool_id": pool.id, "used": used,
                                              "remaining": pool.remaining}))
    load, value = provider_loads(inst, sol)
    for i, provider in enumerate(inst.providers):
        if load[i] and load[i] >= inst.capacity[i]:
            out.append(Reason("provider_capacity", {"provider_id": provider.id, "load": load[i],
                                                    "capacity": inst.capacity[i]}))
        if inst.fairness_cap is not None and value[i] >= BINDING_USED * inst.fairness_cap:
            out.append(Reason("provider_share", {"provider_id": provider.id, "value": value[i],
                                                 "cap": inst.fairness_cap}))
    for j in sorted(sol.selected):
        cost = project_cost(inst, sol, j)
        for f, amount in sorted(sol.funding.get(j, {}).items()):
            cap = inst.cap(inst.fund_position[(j, f)], cost)
            if cap < cost and amount >= cap:
                out.append(Reason("pool_project_cap", {
                    "pool_id": inst.pools[f].id, "project_id": inst.projects[j].id,
                    "amount": amount, "cap": cap}))
    for k in sorted(inst.pinned_pairs):
        project_id, lot_id = inst.units[int(inst.pair_unit[k])].key
        out.append(Reason("pinned_provider", {
            "project_id": project_id, "lot_id": lot_id,
            "provider_id": inst.providers[int(inst.pair_provider[k])].id}))
    for t in sorted(inst.pinned_funds):
        out.append(Reason("pinned_pool", {"project_id": inst.projects[int(inst.fund_project[t])].id,
                                          "pool_id": inst.pools[int(inst.fund_pool[t])].id}))
    return tuple(out)


def pin_conflicts(inst: Instance) -> list[Reason]:
    """Why the official decisions cannot all be met, when the solver says they cannot (best
    effort: providers pinned beyond their capacity or fairness cap, pinned projects their pools
    cannot pay for)."""
    found: list[Reason] = []
    count: dict[int, int] = {}
    value: dict[int, int] = {}
    for k in inst.pinned_pairs:
        i = int(inst.pair_provider[k])
        count[i] = count.get(i, 0) + 1
        value[i] = value.get(i, 0) + int(inst.pair_price[k])
    for i, n in sorted(count.items()):
        provider_id = inst.providers[i].id
        if n > inst.capacity[i]:
            found.append(Reason("pinned_over_capacity", {
                "provider_id": provider_id, "count": n, "capacity": inst.capacity[i]}))
        if inst.fairness_cap is not None and value[i] > inst.fairness_cap:
            found.append(Reason("pinned_over_share_cap", {"provider_id": provider_id}))
    for j in sorted(inst.pinned_projects):
        project = inst.projects[j]
        if not project.needs_funding:
            continue
        cost = inst.min_cost(j)
        reach = sum(min(inst.cap(t, cost), inst.remaining[int(inst.fund_pool[t])])
                    for t in inst.project_funds[j])
        if reach < cost:
            found.append(Reason("pinned_project_underfunded", {
                "project_id": project.id, "needed": cost, "reachable": reach}))
    if not found:
        found.append(Reason("pins_exceed_limits"))
    return found
