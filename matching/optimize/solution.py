"""An integer solution and its accounting: costs, money left, provider loads, value.

>>> sol = Solution()
>>> sol.selected.add(0); sol.copy().selected
{0}
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .instance import Instance

__all__ = ["Solution", "project_cost", "pools_left", "provider_loads", "solution_value",
           "unselect"]


@dataclass
class Solution:
    """Chosen pair per unit, selected projects, and funding in fen per project and pool."""

    chosen: dict[int, int] = field(default_factory=dict)        # unit -> pair
    selected: set[int] = field(default_factory=set)             # project indices
    funding: dict[int, dict[int, int]] = field(default_factory=dict)  # project -> pool -> fen

    def copy(self) -> Solution:
        return Solution(dict(self.chosen), set(self.selected),
                        {j: dict(v) for j, v in self.funding.items()})


def project_cost(inst: Instance, sol: Solution, j: int) -> int:
    """What project j costs with the providers ``sol`` chose for its units."""
    project = inst.projects[j]
    if not project.needs_provider:
        return project.cost_without_bids
    return int(sum(int(inst.pair_price[sol.chosen[u]]) for u in inst.project_units[j]))


def pools_left(inst: Instance, sol: Solution) -> list[int]:
    """Money each pool has left after the solution's funding."""
    left = list(inst.remaining)
    for alloc in sol.funding.values():
        for f, amount in alloc.items():
            left[f] -= amount
    return left


def provider_loads(inst: Instance, sol: Solution) -> tuple[list[int], list[int]]:
    """Projects (units) and contract value each provider takes in the solution."""
    load = [0] * len(inst.providers)
    value = [0] * len(inst.providers)
    for k in sol.chosen.values():
        i = int(inst.pair_provider[k])
        load[i] += 1
        value[i] += int(inst.pair_price[k])
    return load, value


def solution_value(inst: Instance, sol: Solution) -> float:
    """Reported objective: sum of priority * score * budget (or priority * score)."""
    total = 0.0
    scale = inst.value_scale
    for u, k in sol.chosen.items():
        total += inst.unit_weight[u] * inst.pair_score[k] * scale
    funding_only = inst.problem.options.funding_only_score
    for j in sol.selected:
        if not inst.projects[j].needs_provider:
            total += inst.project_weight[j] * funding_only * scale
    return float(total)


def unselect(inst: Instance, sol: Solution, j: int) -> None:
    """Drop project j from the solution, with its providers and funding."""
    sol.selected.discard(j)
    sol.funding.pop(j, None)
    for u in inst.project_units[j]:
        sol.chosen.pop(u, None)
