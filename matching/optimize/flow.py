"""The flow fast path: when no money and no fairness cap bind, matching is an assignment.

Without pool money, co-funding, split projects or the fairness share cap, the MILP of
:mod:`matching.optimize.formulation` keeps only "each unit at most one provider" and "each
provider at most ``capacity`` units": a bipartite b-matching, i.e. a min-cost flow.  It is
solved exactly by a sparse assignment (:func:`scipy.sparse.csgraph.min_weight_full_bipartite_matching`,
LAPJVsp) instead of a solver:

* each provider ``i`` becomes ``min(capacity_i, candidate units of i)`` identical slots (a
  provider never needs more slots than it has candidate units), every candidate pair
  ``(u, i)`` an edge to each slot of ``i``;
* each unit gets a private "unmatched" column, so a full matching of the units always exists
  and leaving a unit unmatched is allowed; each slot gets a private "unused" row, and the graph
  is made square by mirroring the candidate edges between those rows and columns (the solver's
  column reduction then assigns most units before any augmenting path is searched);
* edge costs are ``C - c[k]`` with ``c`` the MILP's own pair objective
  (:func:`~matching.optimize.formulation.pair_objective`, tie-breaking terms included) and
  ``C`` above every ``c[k]``; the "unmatched" column costs ``C``.  Every unit is matched exactly
  once, so minimising the costs maximises the MILP's objective;
* pins fix their pair and take one slot of their provider; forbidden pairs have no edge (the
  :class:`~matching.optimize.instance.Instance` never made them pairs).

:func:`flow_blocker` is the one place that decides whether the fast path applies.

>>> from matching.types import MatchProblem, ProjectSpec, ProviderSpec, CandidateSet, Candidate
>>> prob = MatchProblem(projects=[ProjectSpec(id=1, title="t", category="c", street_id="s",
...                                           budget=10, needs_funding=False)],
...                     providers=[ProviderSpec(id="a", name="A", categories=["c"])])
>>> inst = Instance(prob, CandidateSet({(1, None): (Candidate(1, "a", 0.5, {}, 10),)}, {}))
>>> flow_blocker(inst) is None
True
>>> sorted(solve_flow(inst).chosen.items())
[(0, 0)]
"""

from __future__ import annotations

import numpy as np
from scipy import sparse
from scipy.sparse.csgraph import min_weight_full_bipartite_matching

from .formulation import pair_objective
from .instance import BoolArray, FloatArray, Instance, IntArray
from .solution import Solution

__all__ = ["FAST_PATH_REASON", "flow_blocker", "solve_flow", "assign_providers"]

#: Why the fast path applies (the ``reason`` of the ``flow_fast_path`` note).
FAST_PATH_REASON = "assignment_only"


def flow_blocker(inst: Instance) -> str | None:
    """Why the problem is not a pure assignment, or ``None`` when the flow fast path applies.

    The fast path needs: no fairness share cap (``max_provider_share`` is ``None``); no project
    that could go ahead needs pool money, is funding-only or is split into lots (all lots or
    none is not a flow constraint); no project has more than one pinned provider and no
    provider more pins than capacity (those are infeasible decisions, which the MILP path
    explains).
    """
    if inst.fairness_cap is not None:
        return "provider_share_cap"
    for j, project in enumerate(inst.projects):
        if not inst.viable[j]:
            continue
        if project.needs_funding:
            return "needs_pool_money"
        if not project.needs_provider:
            return "funding_only_project"
        if len(inst.project_units[j]) != 1:
            return "split_project"
    pinned_units: set[int] = set()
    pins = [0] * len(inst.providers)
    for k in inst.pinned_pairs:
        u = int(inst.pair_unit[k])
        if u in pinned_units:
            return "conflicting_pins"
        pinned_units.add(u)
        i = int(inst.pair_provider[k])
        pins[i] += 1
        if pins[i] > inst.capacity[i]:
            return "conflicting_pins"
    return None


def solve_flow(inst: Instance) -> Solution:
    """The optimal assignment of an instance :func:`flow_blocker` lets through.

    Every viable project needs a provider only and has one unit, so a unit's project goes
    ahead exactly when the unit gets a provider.
    """
    sol = Solution()
    room = np.asarray(inst.capacity, dtype=np.int64).copy()
    pinned_units = np.zeros(len(inst.units), dtype=bool)
    for k in sorted(inst.pinned_pairs):
        u = int(inst.pair_unit[k])
        sol.chosen[u] = k
        pinned_units[u] = True
        room[int(inst.pair_provider[k])] -= 1
    c = pair_objective(inst)
    viable_unit = inst.viable[np.asarray(inst.unit_project, dtype=np.int64)] \
        if inst.units else np.zeros(0, dtype=bool)
    keep = np.ones(len(inst.pair_unit), dtype=bool)
    if len(keep):
        keep = viable_unit[inst.pair_unit] & ~pinned_units[inst.pair_unit] \
            & (room[inst.pair_provider] > 0)
    edges: IntArray = np.flatnonzero(keep).astype(np.int64)
    if len(edges):
        sol.chosen.update(_assign(inst, edges, c[edges], room))
    for u in sol.chosen:
        sol.selected.add(inst.unit_project[u])
    return sol


def assign_providers(inst: Instance, required: IntArray, optional: IntArray, room: IntArray,
                     allowed: BoolArray | None = None) -> dict[int, int] | None:
    """The provider stage once selection and money are fixed: unit -> pair for every unit in
    ``required`` and for those of ``optional`` worth matching, within ``room`` (capacity left per
    provider), over the pairs ``allowed`` (default: all), of the largest :func:`~matching.optimize.formulation.pair_objective`; ``None``
    if the required units cannot all get a provider.

    A required unit's pairs carry a bonus larger than any total of objective values, so the
    best assignment matches as many required units as possible first.
    """
    wanted = np.zeros(len(inst.units), dtype=np.int8)
    wanted[optional] = 1
    wanted[required] = 2
    room = np.asarray(room, dtype=np.int64)
    usable = (wanted[inst.pair_unit] > 0) & (room[inst.pair_provider] > 0)
    if allowed is not None:
        usable &= allowed
    edges: IntArray = np.flatnonzero(usable).astype(np.int64)
    if not len(edges):
        return None if len(required) else {}
    value = pair_objective(inst)[edges]
    forced = wanted[inst.pair_unit[edges]] == 2
    bonus = 2.0 * float(np.abs(value).sum()) + 1.0
    got = _assign(inst, edges, np.where(forced, value + bonus, value), room)
    if any(int(u) not in got for u in required.tolist()):
        return None
    return got


def _assign(inst: Instance, edges: IntArray, value: FloatArray, room: IntArray
            ) -> dict[int, int]:
    """Unit -> pair of the best assignment over candidate pairs ``edges`` worth ``value`` each
    (see the module docstring); ``room`` is each provider's capacity left after the pins."""
    unit = inst.pair_unit[edges]
    provider = inst.pair_provider[edges]
    rows, row_of = np.unique(unit, return_inverse=True)
    n_rows = len(rows)
    slots = np.minimum(room, np.bincount(provider, minlength=len(inst.providers)))
    first_slot = np.concatenate(([0], np.cumsum(slots)[:-1])).astype(np.int64)
    n_slots = int(slots.sum())
    # each edge repeated once per slot of its provider
    repeat = slots[provider]
    edge_of = np.repeat(np.arange(len(edges), dtype=np.int64), repeat)
    start = np.repeat(np.cumsum(repeat) - repeat, repeat)
    slot = first_slot[provider][edge_of] + (np.arange(len(edge_of), dtype=np.int64) - start)
    edge_row = row_of[edge_of]
    matched = _square_matching(edge_row, slot, value[edge_of], n_rows, n_slots)
    # the edge behind each matched (row, slot): rows and slots identify it
    code = edge_row * max(1, n_slots) + slot
    order = np.argsort(code, kind="stable")
    got = np.flatnonzero(matched >= 0)
    found = order[np.searchsorted(code, got * max(1, n_slots) + matched[got], sorter=order)]
    pairs = edges[edge_of[found]]
    return dict(zip(rows[got].tolist(), pairs.tolist()))


def _square_matching(edge_row: IntArray, slot: IntArray, value: FloatArray, n_rows: int,
                     n_slots: int) -> IntArray:
    """The slot of each row (-1: unmatched) in a matching of the largest total ``value``.

    A full matching of the square graph (rows + one dummy row per slot) x (slots + one dummy
    column per row): row ``r`` takes a slot or its own dummy column ("unmatched", cost ``top``),
    a slot is taken by a row or by its own dummy row ("unused", cost 1), and the dummy row of a
    slot taken by row ``r`` takes the dummy column of ``r`` (every edge mirrored, cost 1).  Each
    row pays ``top - value`` or ``top``, and slots and mirrored edges add a constant, so the
    minimum cost is the maximum value.  A square graph lets the solver start with its column
    reduction, which a rectangular one skips.
    """
    top = float(value.max()) + 1.0 if len(value) else 1.0
    size = n_rows + n_slots
    row_ids = np.arange(n_rows, dtype=np.int64)
    slot_ids = np.arange(n_slots, dtype=np.int64)
    graph = sparse.csr_matrix(
        (np.concatenate((top - value, np.full(n_rows, top), np.ones(n_slots + len(slot)))),
         (np.concatenate((edge_row, row_ids, n_rows + slot_ids, n_rows + slot)),
          np.concatenate((slot, n_slots + row_ids, slot_ids, n_slots + edge_row)))),
        shape=(size, size))
    _, col = min_weight_full_bipartite_matching(graph)
    taken = np.asarray(col[:n_rows], dtype=np.int64)
    out: IntArray = np.where(taken < n_slots, taken, -1)
    return out
