"""From an integer solution to what :func:`matching.optimize.solve` returns: the status (does the
bound close?), the assignments with their funding, and the explanations.

>>> relative_gap(99.0, 100.0), relative_gap(5.0, 0.0), relative_gap(1.0, float("inf"))
(0.01, 0.0, inf)
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from ..reasons import Reason
from ..types import Assignment, Funding, Unmatched, id_key
from .explain import binding_constraints, unmatched_projects
from .instance import Instance
from .money import split_among_lots
from .solution import Solution, solution_value

__all__ = ["Outcome", "GAP_SLACK", "relative_gap", "bound_noise", "finish", "infeasible"]

#: Slack on the requested relative gap: the solver stops at that gap with the tie-breaking
#: terms (< 1.1e-7 of the value) in its objective, the reported gap leaves them out.
GAP_SLACK = 2e-7


@dataclass
class Outcome:
    """A :class:`~matching.types.MatchResult` without the call's wall time and notes."""

    status: str
    objective: float
    bound: float
    gap: float
    assignments: tuple[Assignment, ...]
    unmatched: tuple[Unmatched, ...]
    binding: tuple[Reason, ...]
    solver: str
    stats: dict[str, Any]


def relative_gap(value: float, bound: float) -> float:
    """``(bound - value) / bound``, 0 when the bound is 0 or below, ``inf`` when unknown."""
    if not math.isfinite(bound):
        return math.inf
    if bound <= 0:
        return 0.0
    return max(0.0, (bound - value) / bound)


def bound_noise(inst: Instance) -> float:
    """A bound this close to the value (in value units) has closed.

    Covers the tie-breaking terms and the solvers' absolute tolerance: HiGHS prunes nodes
    within 1e-6 of the model's objective unit (``value_scale``), which is more than 1e-6 of the
    value when the weights add up to less than 1 (small priorities).
    """
    total = float(inst.unit_weight.sum()) + float(inst.project_weight.sum())
    return 1e-6 * inst.value_scale * max(total, 1.0)


def finish(inst: Instance, sol: Solution, *, bound: float, gap_target: float, solver: str,
           stats: dict[str, Any], status_hint: str | None = None) -> Outcome:
    """The outcome of a verified solution against the best proven bound.

    The status is ``optimal`` exactly when the bound closes: the gap is within ``gap_target``
    (plus :data:`GAP_SLACK`), or the bound is within :func:`bound_noise` of the value.
    """
    value = solution_value(inst, sol)
    # tie-breaking terms (< 1e-7 of the value) and solver tolerances are not a real gap
    if math.isfinite(bound) and bound - value <= bound_noise(inst):
        bound = value
    gap = relative_gap(value, bound) if math.isfinite(bound) else math.inf
    if status_hint is not None:
        status = status_hint
    elif not sol.selected and not inst.viable.any():
        status = "no_candidates"
    else:
        status = "optimal" if gap <= gap_target + GAP_SLACK else "feasible"
    assignments = assignments_of(inst, sol)
    unmatched = unmatched_projects(inst, sol)
    binding = binding_constraints(inst, sol)
    stats["value"] = value
    return Outcome(status, value, bound, gap, assignments, unmatched, binding, solver, stats)


def infeasible(inst: Instance, reasons: list[Reason], *, solver: str, stats: dict[str, Any],
               notes: list[Reason]) -> Outcome:
    """No assignments: every project unmatched because of ``reasons``.

    ``reasons`` are why the official decisions cannot all be met, or ``[Reason("no_solution")]``
    when the solver found nothing in time; they are added to the notes too.
    """
    notes.extend(reasons)
    if len(reasons) == 1 and reasons[0].code == "no_solution":
        why = reasons[0]
    else:
        why = Reason("infeasible_decisions", {"conflicts": [r.as_dict() for r in reasons]})
    unmatched = tuple(Unmatched(p.id, why) for p in inst.projects)
    return Outcome("infeasible", 0.0, 0.0, 0.0, (), unmatched, (), solver, stats)


def assignments_of(inst: Instance, sol: Solution) -> tuple[Assignment, ...]:
    """One assignment per selected project (per lot of a split one), in project order; a split
    project's funding is shared between its lots north-west first."""
    out: list[Assignment] = []
    funding_only = inst.problem.options.funding_only_score
    for j in sorted(sol.selected):
        project = inst.projects[j]
        alloc = sol.funding.get(j, {})
        pools_sorted = sorted(alloc, key=lambda f: id_key(inst.pools[f].id))
        if not project.needs_provider:
            funding = tuple(Funding(inst.pools[f].id, alloc[f]) for f in pools_sorted
                            if alloc[f] > 0)
            pinned = any(int(inst.fund_project[t]) == j for t in inst.pinned_funds)
            out.append(Assignment(project.id, None, funding_only, {"funding_only": funding_only},
                                  project.cost_without_bids, funding, None, pinned))
            continue
        units = inst.project_units[j]
        lot_costs = [int(inst.pair_price[sol.chosen[u]]) for u in units]
        split = split_among_lots([alloc[f] for f in pools_sorted], lot_costs) \
            if project.needs_funding else [[0] * len(pools_sorted) for _ in units]
        for pos, u in enumerate(units):
            k = sol.chosen[u]
            cand = inst.pair_candidate[k]
            funding = tuple(Funding(inst.pools[f].id, split[pos][q])
                            for q, f in enumerate(pools_sorted) if split[pos][q] > 0)
            out.append(Assignment(project.id, cand.provider_id, float(inst.pair_score[k]),
                                  dict(cand.components), int(inst.pair_price[k]), funding,
                                  inst.units[u].key[1], k in inst.pinned_pairs,
                                  cand.matched_skills))
    return tuple(out)
