"""Greedy steps: fill the leftovers of a solution, and a fallback built from the pins alone.

>>> from matching.types import MatchProblem, CandidateSet
>>> inst = Instance(MatchProblem(projects=[], providers=[]), CandidateSet({}, {}))
>>> greedy_fill(inst, Solution())
0
"""

from __future__ import annotations

from ..reasons import Reason
from .instance import Instance
from .solution import Solution, pools_left, project_cost, provider_loads
from .verify import violations

__all__ = ["greedy_fill", "fund_greedily", "fallback_from_pins"]


def greedy_fill(inst: Instance, sol: Solution) -> int:
    """Add projects that still fit in the leftovers, best value first; returns how many."""
    load, value = provider_loads(inst, sol)
    left = pools_left(inst, sol)
    added = 0
    for _, j in _by_best_value(inst, sol):
        project = inst.projects[j]
        for picks in _pair_options(inst, j, load, value):
            cost = (project.cost_without_bids if not project.needs_provider
                    else sum(int(inst.pair_price[k]) for k in picks))
            alloc: dict[int, int] | None = {}
            if project.needs_funding:
                alloc = fund_greedily(inst, j, cost, left)
                if alloc is None:
                    continue
            for k in picks:
                sol.chosen[int(inst.pair_unit[k])] = k
                i = int(inst.pair_provider[k])
                load[i] += 1
                value[i] += int(inst.pair_price[k])
            sol.selected.add(j)
            if project.needs_funding and alloc is not None:
                sol.funding[j] = alloc
                for f, amount in alloc.items():
                    left[f] -= amount
            added += 1
            break
    return added


def _by_best_value(inst: Instance, sol: Solution) -> list[tuple[float, int]]:
    """Viable projects outside the solution as ``(-best possible value, j)``, best first."""
    funding_only = inst.problem.options.funding_only_score
    todo = []
    for j, project in enumerate(inst.projects):
        if j in sol.selected or not inst.viable[j]:
            continue
        if project.needs_provider:
            best = sum(inst.unit_weight[u] * inst.pair_score[inst.unit_pairs[u][0]]
                       for u in inst.project_units[j])
        else:
            best = inst.project_weight[j] * funding_only
        todo.append((-float(best), j))
    todo.sort()
    return todo


def _pair_options(inst: Instance, j: int, load: list[int], value: list[int],
                  limit: int = 3) -> list[list[int]]:
    """Up to ``limit`` provider choices for project j that respect capacity and fairness.

    A project without lots gets its best ``limit`` free providers; a split project one
    choice, each lot's best free provider.
    """
    project = inst.projects[j]
    if not project.needs_provider:
        return [[]]
    units = inst.project_units[j]
    if len(units) == 1:
        out = []
        for k in inst.unit_pairs[units[0]]:
            if _fits(inst, k, load, value, 0, 0):
                out.append([k])
                if len(out) >= limit:
                    break
        return out
    picks = []
    extra_load: dict[int, int] = {}
    extra_value: dict[int, int] = {}
    for u in units:
        got = next((k for k in inst.unit_pairs[u]
                    if _fits(inst, k, load, value, extra_load.get(int(inst.pair_provider[k]), 0),
                             extra_value.get(int(inst.pair_provider[k]), 0))), None)
        if got is None:
            return []
        i = int(inst.pair_provider[got])
        extra_load[i] = extra_load.get(i, 0) + 1
        extra_value[i] = extra_value.get(i, 0) + int(inst.pair_price[got])
        picks.append(got)
    return [picks]


def _fits(inst: Instance, k: int, load: list[int], value: list[int], extra_load: int,
          extra_value: int) -> bool:
    """Whether pair k's provider has room for it (capacity and fairness cap)."""
    i = int(inst.pair_provider[k])
    if load[i] + extra_load >= inst.capacity[i]:
        return False
    return inst.fairness_cap is None or \
        value[i] + extra_value + int(inst.pair_price[k]) <= inst.fairness_cap


def fund_greedily(inst: Instance, j: int, cost: int, left: list[int]) -> dict[int, int] | None:
    """Cover project j's cost from its pools, pinned then by rank; ``None`` if they cannot."""
    alloc: dict[int, int] = {}
    got = 0
    funds = sorted(inst.project_funds[j], key=lambda t: (0 if t in inst.pinned_funds else 1,
                                                         inst.fund_rank[t]))
    for t in funds:
        if got >= cost:
            break
        f = int(inst.fund_pool[t])
        give = min(inst.cap(t, cost), left[f], cost - got)
        if give > 0:
            alloc[f] = give
            got += give
    if got != cost:
        return None
    return alloc


def fallback_from_pins(inst: Instance, notes: list[Reason]) -> Solution | None:
    """A solution with the pinned pairs and projects, then greedy (when the solver gives nothing).

    ``None`` if the pins alone do not fit.
    """
    sol = Solution()
    for k in inst.pinned_pairs:
        sol.chosen[int(inst.pair_unit[k])] = k
    load, _value = provider_loads(inst, sol)
    left = pools_left(inst, sol)
    for j in sorted(inst.pinned_projects):
        project = inst.projects[j]
        for u in inst.project_units[j]:
            if u not in sol.chosen:
                free = [k for k in inst.unit_pairs[u]
                        if load[int(inst.pair_provider[k])] < inst.capacity[int(inst.pair_provider[k])]]
                if not free:
                    return None
                sol.chosen[u] = free[0]
                load[int(inst.pair_provider[free[0]])] += 1
        sol.selected.add(j)
        if project.needs_funding:
            alloc = fund_greedily(inst, j, project_cost(inst, sol, j), left)
            if alloc is None:
                return None
            sol.funding[j] = alloc
            for f, amount in alloc.items():
                left[f] -= amount
    greedy_fill(inst, sol)
    if violations(inst, sol):
        return None
    notes.append(Reason("greedy_fallback"))
    return sol
