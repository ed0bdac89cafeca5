"""The problem as indexed arrays: units, candidate pairs, pool pairs, weights, pins.

Everything the solution methods share lives in one :class:`Instance`, built once per
:func:`matching.optimize.solve` call; no solver is involved here.  Indices:

* ``j`` - a project (``instance.projects``, sorted by id);
* ``i`` - a provider (``instance.providers``, input order);
* ``f`` - a pool (``instance.pools``, sorted by id);
* ``u`` - a unit, i.e. a whole project or one lot (``instance.units``);
* ``k`` - a candidate pair (unit, provider);
* ``t`` - a funding pair (project, pool).

>>> from matching.types import MatchProblem, ProjectSpec, CandidateSet
>>> inst = Instance(MatchProblem(projects=[ProjectSpec(id=1, title="t", category="c",
...                                                    street_id="s", budget=10)], providers=[]),
...                 CandidateSet({}, {}))
>>> len(inst.units), bool(inst.viable[0])
(1, False)
"""

from __future__ import annotations

import functools

import numpy as np
import numpy.typing as npt

from ..candidates import Unit, units_of
from ..reasons import Reason
from ..types import (
    INT_MAX,
    Candidate,
    CandidateSet,
    Id,
    MatchProblem,
    PoolSpec,
    ProjectSpec,
    UnitKey,
    id_key,
)
from .pairs import order_unit_pairs, read_candidates

__all__ = ["Instance", "pool_serves", "IntArray", "FloatArray", "BoolArray"]

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]


def pool_serves(pool: PoolSpec, project: ProjectSpec) -> bool:
    """Whether the pool's focus categories and streets cover the project."""
    return ((not pool.categories or project.category in pool.categories)
            and (not pool.streets or project.street_id in pool.streets))


class Instance:
    """Index bookkeeping of one problem and its candidates (see the module docstring)."""

    def __init__(self, problem: MatchProblem, candidates: CandidateSet):
        self.problem = problem
        self.candidates = candidates
        self._index_objects()
        self._index_units()
        forbidden_providers = self._read_decisions()
        self.pin_errors: list[Reason] = list(candidates.pin_errors)
        self._index_provider_pairs(forbidden_providers)
        self._index_funding_pairs()
        self._weigh()
        self._find_viable()
        self._max_cost_cache: dict[int, int] = {}
        self._serving: dict[tuple[str, Id], list[int]] = {}
        self._index_pins()

    # ----------------------------------------------------------------- building

    def _index_objects(self) -> None:
        problem = self.problem
        self.projects: list[ProjectSpec] = sorted(problem.projects, key=lambda p: id_key(p.id))
        self.project_index = {p.id: j for j, p in enumerate(self.projects)}
        self.providers = list(problem.providers)
        self.provider_index = {p.id: i for i, p in enumerate(self.providers)}
        self.pools = sorted(problem.pools, key=lambda p: id_key(p.id))
        self.pool_index = {p.id: f for f, p in enumerate(self.pools)}
        self.remaining = [p.remaining for p in self.pools]
        self.capacity = [p.capacity for p in self.providers]

    def _index_units(self) -> None:
        self.units: list[Unit] = []
        self.unit_project: list[int] = []
        self.project_units: list[list[int]] = [[] for _ in self.projects]
        for j, project in enumerate(self.projects):
            for unit in units_of(project):
                self.project_units[j].append(len(self.units))
                self.unit_project.append(j)
                self.units.append(unit)
        self.unit_index = {unit.key: u for u, unit in enumerate(self.units)}

    def _read_decisions(self) -> set[tuple[Id, Id | None, Id]]:
        """Pins and forbids by kind; returns the forbidden (project, lot, provider) triples."""
        forbidden_providers: set[tuple[Id, Id | None, Id]] = set()
        self.forbidden_pools: set[tuple[Id, Id]] = set()
        self.pinned_provider_decisions: list[tuple[UnitKey, Id]] = []
        self.pinned_pool_decisions: list[tuple[Id, Id]] = []
        for dec in self.problem.decisions:
            if dec.provider_id is not None:
                if dec.kind == "forbid":
                    forbidden_providers.add((dec.project_id, dec.lot_id, dec.provider_id))
                else:
                    self.pinned_provider_decisions.append(((dec.project_id, dec.lot_id),
                                                           dec.provider_id))
            elif dec.pool_id is not None:
                if dec.kind == "forbid":
                    self.forbidden_pools.add((dec.project_id, dec.pool_id))
                else:
                    self.pinned_pool_decisions.append((dec.project_id, dec.pool_id))
        return forbidden_providers

    def _index_provider_pairs(self, forbidden: set[tuple[Id, Id | None, Id]]) -> None:
        """One pair per (unit, candidate provider) that is neither forbidden nor without capacity."""
        items = list(self.candidates.providers.items())
        read = read_candidates(items, self.provider_index, self._unit_of_candidates)
        keep = read.first
        if len(keep):
            capacity = np.asarray(self.capacity, dtype=np.int64)
            keep = keep[capacity[read.pair_provider[keep]] > 0]
        if forbidden and len(keep):
            keys = [items[q][0] for q in read.key_of[keep].tolist()]
            banned = [(key[0], None, self.providers[i].id) in forbidden
                      or (key[0], key[1], self.providers[i].id) in forbidden
                      for key, i in zip(keys, read.pair_provider[keep].tolist())]
            keep = keep[~np.asarray(banned, dtype=bool)]
        self.pair_candidate: list[Candidate] = [read.flat[q] for q in keep.tolist()]
        self.pair_unit: IntArray = read.pair_unit[keep]
        self.pair_provider: IntArray = read.pair_provider[keep]
        self.pair_price: IntArray = read.pair_price[keep]
        self.pair_score: FloatArray = read.pair_score[keep]
        # each unit's pairs best first: score, then provider id
        rank = np.empty(len(self.providers), dtype=np.int64)
        rank[sorted(range(len(self.providers)), key=lambda i: id_key(self.providers[i].id))] = \
            np.arange(len(self.providers), dtype=np.int64)
        self.unit_pairs: list[list[int]] = order_unit_pairs(
            len(self.units), self.pair_unit, self.pair_score, rank[self.pair_provider])

    @functools.cached_property
    def pair_position(self) -> dict[tuple[int, int], int]:
        """``(unit, provider) -> pair``."""
        return dict(zip(zip(self.pair_unit.tolist(), self.pair_provider.tolist()),
                        range(len(self.pair_unit))))

    def _unit_of_candidates(self, key: UnitKey) -> int:
        u = self.unit_index.get(key)
        if u is None:
            if key[0] not in self.project_index:
                raise ValueError(f"candidates: unknown project {key[0]!r}")
            raise ValueError(f"candidates: project {key[0]!r} has no unit {key[1]!r} "
                             "that needs a provider")
        return u

    def _index_funding_pairs(self) -> None:
        """One pair per (project that needs funding, candidate pool with money that serves it)."""
        fund_project: list[int] = []
        fund_pool: list[int] = []
        fund_rank: list[int] = []
        self.project_funds: list[list[int]] = [[] for _ in self.projects]
        for project_id, ranked in self.candidates.pools.items():
            j = self.project_index.get(project_id)
            if j is None:
                raise ValueError(f"candidates: unknown project {project_id!r} in pools")
            project = self.projects[j]
            if not project.needs_funding:
                continue
            seen: set[int] = set()
            for pool_cand in ranked:
                f = self.pool_index.get(pool_cand.pool_id)
                if f is None:
                    raise ValueError(f"candidates: unknown pool {pool_cand.pool_id!r}")
                pool = self.pools[f]
                if f in seen or (project_id, pool_cand.pool_id) in self.forbidden_pools \
                        or pool.remaining <= 0 or not pool_serves(pool, project):
                    continue
                seen.add(f)
                self.project_funds[j].append(len(fund_project))
                fund_project.append(j)
                fund_pool.append(f)
                fund_rank.append(pool_cand.rank)
        self.fund_project: IntArray = np.array(fund_project, dtype=np.int64)
        self.fund_pool: IntArray = np.array(fund_pool, dtype=np.int64)
        self.fund_rank: FloatArray = np.array(fund_rank, dtype=np.float64)
        self.fund_position = {(fund_project[t], fund_pool[t]): t for t in range(len(fund_project))}

    def _weigh(self) -> None:
        """Objective weights (in units of the mean budget) and the money unit of the model."""
        opts = self.problem.options
        budgets = [u.budget for u in self.units] + [p.budget for p in self.projects
                                                    if not p.needs_provider]
        positive = [b for b in budgets if b > 0]
        #: Objective values are in this unit (the mean positive budget, or 1).
        self.value_scale = float(np.mean(positive)) if (opts.weight_by_budget and positive) else 1.0
        self.unit_weight: FloatArray = np.array([
            self.projects[self.unit_project[u]].priority
            * (self.units[u].budget / self.value_scale if opts.weight_by_budget else 1.0)
            for u in range(len(self.units))], dtype=np.float64)
        self.project_weight: FloatArray = np.array([
            p.priority * (p.budget / self.value_scale if opts.weight_by_budget else 1.0)
            for p in self.projects], dtype=np.float64)
        costs = [int(c) for c in self.pair_price] + [p.cost_without_bids for p in self.projects]
        positive = [c for c in costs if c > 0]
        # money unit of the model: a tenth of the median cost keeps coefficients near 1-100
        self.money_unit = max(1.0, float(np.median(positive)) / 10.0) if positive else 1.0
        self.fairness_cap: float | None = None
        if opts.max_provider_share is not None:
            self.fairness_cap = opts.max_provider_share * float(sum(u.budget for u in self.units))

    def _find_viable(self) -> None:
        """Projects that can go ahead at all: every unit has a pair, some pool if it costs money."""
        self.viable: BoolArray = np.ones(len(self.projects), dtype=bool)
        for j, project in enumerate(self.projects):
            if project.needs_provider and any(not self.unit_pairs[u] for u in self.project_units[j]):
                self.viable[j] = False
            if project.needs_funding and not self.project_funds[j] and self.min_cost(j) > 0:
                self.viable[j] = False

    def _index_pins(self) -> None:
        """Pinned pairs, funding pairs and projects; a pin that cannot hold is a pin error."""
        self.pinned_pairs: set[int] = set()
        self.pinned_projects: set[int] = set()
        self.pinned_funds: set[int] = set()
        for key, provider_id in self.pinned_provider_decisions:
            u = self.unit_index.get(key)
            k = None if u is None else self.pair_position.get((u, self.provider_index[provider_id]))
            if u is None or k is None:
                self._add_pin_error(Reason("pin_not_candidate", {
                    "project_id": key[0], "lot_id": key[1], "provider_id": provider_id}))
                continue
            self.pinned_pairs.add(k)
            self.pinned_projects.add(self.unit_project[u])
        for project_id, pool_id in self.pinned_pool_decisions:
            j = self.project_index[project_id]
            t = self.fund_position.get((j, self.pool_index[pool_id]))
            if t is None:
                self._add_pin_error(Reason("pinned_pool_not_eligible",
                                           {"project_id": project_id, "pool_id": pool_id}))
                continue
            self.pinned_funds.add(t)
            self.pinned_projects.add(j)
        for j in sorted(self.pinned_projects):
            if not self.viable[j]:
                self.pin_errors.append(Reason("pinned_project_not_viable",
                                              {"project_id": self.projects[j].id}))
        units_pinned: set[int] = set()
        for k in self.pinned_pairs:
            u = int(self.pair_unit[k])
            if u in units_pinned:
                project_id, lot_id = self.units[u].key
                self.pin_errors.append(Reason("two_pinned_providers",
                                              {"project_id": project_id, "lot_id": lot_id}))
            units_pinned.add(u)

    def _add_pin_error(self, error: Reason) -> None:
        """A pin error, unless candidate generation already reported the same pair."""
        pair = {name: error.params.get(name) for name in ("project_id", "provider_id", "pool_id")}
        if not any(all(e.params.get(name) == value for name, value in pair.items())
                   for e in self.pin_errors):
            self.pin_errors.append(error)

    # ----------------------------------------------------------------- queries

    def min_cost(self, j: int) -> int:
        """Cheapest cost of project j over its pairs (0 if a unit has none)."""
        project = self.projects[j]
        if not project.needs_provider:
            return project.cost_without_bids
        total = 0
        for u in self.project_units[j]:
            pairs = self.unit_pairs[u]
            if not pairs:
                return 0
            total += int(min(self.pair_price[k] for k in pairs))
        return total

    def max_cost(self, j: int) -> int:
        """Dearest cost of project j over its pairs."""
        cached = self._max_cost_cache.get(j)
        if cached is None:
            project = self.projects[j]
            if not project.needs_provider:
                cached = project.cost_without_bids
            else:
                cached = int(sum(max((int(self.pair_price[k]) for k in self.unit_pairs[u]),
                                     default=0) for u in self.project_units[j]))
            self._max_cost_cache[j] = cached
        return cached

    def uniform_price(self, j: int) -> int | None:
        """The cost of project j if it does not depend on the provider, else ``None``."""
        project = self.projects[j]
        if not project.needs_provider:
            return project.cost_without_bids
        if project.lots:
            return None
        prices = {int(self.pair_price[k]) for k in self.unit_pairs[self.project_units[j][0]]}
        if len(prices) == 1:
            return prices.pop()
        return None

    def serving_pools(self, project: ProjectSpec) -> list[int]:
        """Pools whose focus and streets cover the project, whatever their money and caps."""
        key = (project.category, project.street_id)
        found = self._serving.get(key)
        if found is None:
            found = self._serving[key] = [f for f, pool in enumerate(self.pools)
                                          if pool_serves(pool, project)]
        return found

    def serving_pool_array(self, project: ProjectSpec) -> IntArray:
        """:meth:`serving_pools` as an array."""
        return np.asarray(self.serving_pools(project), dtype=np.int64)

    @functools.cached_property
    def _pool_cap_terms(self) -> tuple[FloatArray, IntArray]:
        """Each pool's ``max_share`` and ``max_per_project`` (:data:`INT_MAX` when unset)."""
        share = np.array([p.max_share for p in self.pools], dtype=np.float64)
        per_project = np.array([INT_MAX if p.max_per_project is None else p.max_per_project
                                for p in self.pools], dtype=np.int64)
        return share, per_project

    def pool_caps(self, pools: IntArray, cost: int) -> IntArray:
        """:meth:`~matching.types.PoolSpec.cap_for` of each pool in ``pools`` at ``cost``."""
        if cost >= 2**52:  # beyond exact float arithmetic: one by one
            return np.array([self.pools[f].cap_for(cost) for f in pools.tolist()], dtype=np.int64)
        share, per_project = self._pool_cap_terms
        caps = np.floor(share[pools] * float(cost) + 1e-9).astype(np.int64)
        out: IntArray = np.maximum(0, np.minimum(np.minimum(caps, per_project[pools]), cost))
        return out

    def cap(self, t: int, cost: int) -> int:
        """Integer cap of funding pair t for a project costing ``cost``."""
        return self.pools[int(self.fund_pool[t])].cap_for(cost)

    def pairs_of_project(self, j: int) -> list[int]:
        """Every candidate pair of every unit of project j."""
        return [k for u in self.project_units[j] for k in self.unit_pairs[u]]
