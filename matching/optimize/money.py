"""Money in fen: the solver's fractional funding made integral, and split between lots.

>>> split_among_lots([70, 30], [50, 50])
[[50, 0], [20, 30]]
"""

from __future__ import annotations

import math

import numpy as np
from scipy import sparse
from scipy.sparse.csgraph import maximum_flow

from .formulation import RawFunding
from .instance import Instance
from .solution import Solution, project_cost, unselect

__all__ = ["allocate", "split_among_lots"]

#: Fen per funding pair: ``project -> funding pair -> fen``.
_Amounts = dict[int, dict[int, int]]


def allocate(inst: Instance, sol: Solution, raw: RawFunding) -> list[int]:
    """Integer funding for the selected projects, following the solver's money.

    Amounts are floored to fen (never above a cap, the cost or what a pool has left), then
    the few fen missing per project are routed by an integral max-flow from projects to
    pools with room; the solver's fractional money is a feasible flow, so an integral one
    exists.  Projects still short are dropped (returned) and never overspend anything.
    Pinned projects are served first.
    """
    left = list(inst.remaining)
    sol.funding = {}
    order = sorted(sol.selected, key=lambda j: (0 if j in inst.pinned_projects else 1, j))
    amounts, costs = _floor_plans(inst, sol, raw, order, left)
    deficit = {j: costs[j] - sum(amounts[j].values()) for j in amounts}
    short = [j for j in sorted(deficit) if deficit[j] > 0]
    if short:
        _route_missing_fen(inst, short, deficit, amounts, costs, left)
    dropped = _keep_covered(inst, sol, order, amounts, costs, left)
    for j in dropped:
        unselect(inst, sol, j)
    return dropped


def _floor_plans(inst: Instance, sol: Solution, raw: RawFunding, order: list[int],
                 left: list[int]) -> tuple[_Amounts, dict[int, int]]:
    """Each funded project's money floored to fen, largest amounts first; returns the
    amounts per funding pair and the projects' costs."""
    plans: dict[int, dict[int, float]] = {}
    for (j, t), amount in raw.items():
        plans.setdefault(j, {})[t] = amount
    amounts: _Amounts = {}
    costs: dict[int, int] = {}
    for j in order:
        if not inst.projects[j].needs_funding:
            continue
        cost = costs[j] = project_cost(inst, sol, j)
        plan = plans.get(j, {})
        got: dict[int, int] = {}
        total = 0
        for t in sorted(plan, key=lambda t: -plan[t]):
            f = int(inst.fund_pool[t])
            amount = max(0, min(int(math.floor(plan[t] + 1e-6)), inst.cap(t, cost), left[f],
                                cost - total))
            if amount:
                got[t] = amount
                left[f] -= amount
                total += amount
        amounts[j] = got
    return amounts, costs


def _route_missing_fen(inst: Instance, short: list[int], deficit: dict[int, int],
                       amounts: _Amounts, costs: dict[int, int], left: list[int]) -> None:
    """Max-flow source -> project (its deficit) -> pool (room under its cap) -> sink (money left)."""
    arcs: list[tuple[int, int, int]] = []  # (project, funding pair, room)
    pool_node: dict[int, int] = {}
    for j in short:
        for t in inst.project_funds[j]:
            f = int(inst.fund_pool[t])
            room = min(inst.cap(t, costs[j]) - amounts[j].get(t, 0), left[f])
            if room > 0:
                arcs.append((j, t, room))
                pool_node.setdefault(f, len(pool_node))
    if not arcs:
        return
    project_node = {j: 1 + n for n, j in enumerate(short)}
    first_pool = 1 + len(short)
    sink = first_pool + len(pool_node)
    tails: list[int] = []
    heads: list[int] = []
    capacities: list[int] = []
    for j in short:
        tails.append(0)
        heads.append(project_node[j])
        capacities.append(deficit[j])
    for j, t, room in arcs:
        tails.append(project_node[j])
        heads.append(first_pool + pool_node[int(inst.fund_pool[t])])
        capacities.append(room)
    for f, n in pool_node.items():
        tails.append(first_pool + n)
        heads.append(sink)
        capacities.append(left[f])
    limit = int(np.iinfo(np.int32).max)
    if max(capacities) > limit:  # csgraph needs int32 capacities; deficits are a few fen
        capacities = [min(c, limit) for c in capacities]
    graph = sparse.csr_matrix((np.asarray(capacities, dtype=np.int32), (tails, heads)),
                              shape=(sink + 1, sink + 1))
    flow = maximum_flow(graph, 0, sink).flow.tocsr()
    for j, t, _room in arcs:
        f = int(inst.fund_pool[t])
        routed = int(flow[project_node[j], first_pool + pool_node[f]])
        if routed > 0:
            amounts[j][t] = amounts[j].get(t, 0) + routed
            left[f] -= routed


def _keep_covered(inst: Instance, sol: Solution, order: list[int], amounts: _Amounts,
                  costs: dict[int, int], left: list[int]) -> list[int]:
    """Store the funding of every project covered exactly (with its pinned pools paying);
    returns the others, whose money goes back to the pools."""
    dropped: list[int] = []
    for j in order:
        if j not in amounts:
            continue
        got = amounts[j]
        covered = sum(got.values()) == costs[j]
        for t in inst.pinned_funds:
            if int(inst.fund_project[t]) == j and got.get(t, 0) < 1 and costs[j] > 0:
                covered = False  # a pinned pool must contribute
        if not covered:
            dropped.append(j)
            for t, amount in got.items():
                left[int(inst.fund_pool[t])] += amount
            continue
        alloc: dict[int, int] = {}
        for t, amount in got.items():
            if amount > 0:
                f = int(inst.fund_pool[t])
                alloc[f] = alloc.get(f, 0) + amount
        sol.funding[j] = alloc
    return dropped


def split_among_lots(supply: list[int], demand: list[int]) -> list[list[int]]:
    """Integer matrix with the given row (demand: lot costs) and column (supply: pool amounts)
    sums, filled north-west first; the sums must agree."""
    out = [[0] * len(supply) for _ in demand]
    supply_left = list(supply)
    q = 0
    for r, needed in enumerate(demand):
        while needed > 0 and q < len(supply_left):
            give = min(needed, supply_left[q])
            out[r][q] += give
            needed -= give
            supply_left[q] -= give
            if supply_left[q] == 0:
                q += 1
    return out
