"""Assign providers to projects and funding to projects, optimally, with explanations.

Formulation (one MILP, written once as sparse matrices, see :mod:`matching.solvers`)
----------------------------------------------------------------------------------
Variables: ``x[k]`` binary for each candidate pair (project or lot, provider); ``y[j]``
binary "project j goes ahead" for projects that need funding, are split into lots, or need
funding only; ``z[t]`` continuous money (in a scaled unit) from pool ``f`` to project ``j`` for
each eligible pool pair ``t``.

* each project (lot) gets at most one provider; all lots of a split project or none;
* provider capacity: number of projects (lots) <= ``capacity``;
* a funded project is covered exactly: ``sum_f z[f, j] = cost_j`` (the chosen bid, else the
  agreed price, else the budget);
* no pool above its remaining budget; per-project maximum and co-funding share
  (``z[f, j] <= min(max_per_project, floor(max_share * cost_j))``), only for pools eligible
  by category and street;
* fairness: each provider's contracts <= ``max_provider_share`` x the total budget of the
  projects that need a provider;
* official decisions: pinned pairs fixed to 1, forbidden pairs have no variable;
* objective: maximise ``sum priority_j * score * budget`` ("score-weighted value"), plus
  tie-breaking terms below 1e-7 of it that prefer lower provider ids, then lower project
  ids.  Money carries no tie-breaking term (it makes the LP badly degenerate); the split of a
  project's cost between pools is the solver's, and the same input gives the same output.
* pools: ``z <= cap * y`` linking rows are written for models with up to 20,000 (pool,
  project) pairs (a tighter LP); larger models keep ``z <= cap`` as a column bound, which is
  exact for the MIP because an unselected project receives nothing.

Solution method
---------------
1. **LP relaxation** - an upper bound, and most decisions already integral (without budgets
   the model is a transportation problem and the LP optimum is integral).  Large models
   (> 40,000 columns) are solved by column generation: each project's 5 best providers and 4
   best pools first, then every column the row duals price as improving.
2. **Cheap incumbent** - the LP without the projects it split, money rounded to fen, leftovers
   filled greedily.  If that is within ``gap`` of the bound, stop.
3. **Selection MIP** - branch only on "project j goes ahead" (``y``); provider choices and money
   stay continuous, because for fixed ``y`` the provider side is a transportation problem.
   With up to ``mip_max_projects`` projects every selection is free and the solver's bound is
   a valid global bound; above that, only the split projects and those with the smallest LP
   reduced costs are free (the money of the others stays where the LP put it).  Warm-started
   from the incumbent.
4. **Repair** - provider choices that came out fractional are made integral by a small MIP
   with the selection fixed (or those projects are dropped).
5. **Money in fen** - amounts are floored, then the few missing fen are routed by an integral
   max-flow (never above a pool's remaining budget, a cap or the cost); every constraint is
   verified in integers; projects that still fit in the leftovers are added greedily.

Gaps are measured against the best proven bound: the LP bound, or the selection MIP's bound
when every project was free.  Model sizes, phase timings and counts are in
``MatchResult.stats``.

Every returned solution has passed :func:`verify`; an infeasible or empty problem returns a
:class:`MatchResult`, never a solver traceback; bad inputs raise ``ValueError`` naming the
field.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy import sparse

from .candidates import Unit, generate_candidates, units_of
from .solvers import LinearModel, SolveOutcome, available_solvers, solve_linear
from .types import (
    INT_MAX,
    Assignment,
    Candidate,
    CandidateSet,
    Funding,
    Id,
    MatchProblem,
    MatchResult,
    PoolSpec,
    ProjectSpec,
    Unmatched,
    format_reason,
    id_key,
)

__all__ = ["solve", "verify"]

_TOL = 1e-6
_BINDING_USED = 0.995
#: Slack on the requested relative gap: the solver stops at that gap with the tie-breaking
#: terms (< 1.1e-7 of the value) in its objective, the reported gap leaves them out.
_GAP_SLACK = 2e-7
#: Up to this many (pool, project) pairs the model links money to selection row by row.
TIGHT_ROWS_MAX = 20_000
#: Above this many columns the LP relaxation is solved by column generation.
COLUMN_GENERATION_MIN = 40_000


# --------------------------------------------------------------------------- public API


def solve(problem: MatchProblem, *, candidates: CandidateSet | None = None,
          solver: str = "cbc", time_limit: float = 60.0, gap: float = 1e-3,
          threads: int | None = None, mip_max_projects: int = 3_000,
          solver_options: dict | None = None) -> MatchResult:
    """Match projects with providers and funding pools.

    Parameters
    ----------
    problem : MatchProblem
    candidates : CandidateSet, optional
        Precomputed candidates (default: :func:`matching.candidates.generate_candidates`).
        Provider candidates are trusted for the provider hard filters; capacity, decisions and
        pool eligibility (category, street, money left) are enforced here anyway.
    solver : {"cbc", "highs", "auto"}
        ``"cbc"`` (bundled with PuLP, default), ``"highs"`` (``highspy``; falls back to CBC
        with a note if it is not installed) or ``"auto"`` (HiGHS when installed).
    time_limit : float
        Seconds for the whole solve (candidate generation not included).
    gap : float
        Relative gap to the bound accepted as optimal (default 0.1 %).
    threads : int, optional
        Solver threads.
    mip_max_projects : int
        Up to this many projects, step 3 branches on every project's selection (its bound is
        then global); above it, on the fractional projects and those with the smallest LP
        reduced costs, this many in all.
    solver_options : dict, optional
        Extra backend options (see :func:`matching.solvers.solve_linear`).

    Returns
    -------
    MatchResult

    Raises
    ------
    ValueError
        If an argument is invalid (the message names it).

    Examples
    --------
    >>> from matching.types import ProjectSpec, ProviderSpec, PoolSpec
    >>> projects = [ProjectSpec(id="p1", title="长者助餐", category="elderly", street_id="s1",
    ...                         budget=30_000_000, description="为独居老人提供上门助餐"),
    ...             ProjectSpec(id="p2", title="四点半课堂", category="children", street_id="s1",
    ...                         budget=20_000_000, description="课后托管与作业辅导")]
    >>> providers = [ProviderSpec(id="a", name="长者之家", categories=["elderly"],
    ...                           whole_district=True, capability="居家养老、助餐配送")]
    >>> pools = [PoolSpec(id="f", name="福田区民生微实事资金", remaining=20_000_000)]
    >>> res = solve(MatchProblem(projects=projects, providers=providers, pools=pools))
    >>> res.status, [(u.project_id, u.reason_code) for u in res.unmatched]
    ('optimal', [('p1', 'pools_exhausted'), ('p2', 'no_provider_for_category')])
    >>> res.unmatched[0].reason
    'pools exhausted: needs 300,000, 200,000 left'
    """
    t_start = t_call = time.perf_counter()
    if not isinstance(problem, MatchProblem):
        raise ValueError(f"problem: must be a MatchProblem, got {type(problem).__name__}")
    if solver not in ("cbc", "highs", "auto"):
        raise ValueError(f"solver: must be 'cbc', 'highs' or 'auto', got {solver!r}")
    if isinstance(time_limit, bool) or not isinstance(time_limit, (int, float)) or not (
            math.isfinite(time_limit) and time_limit > 0):
        raise ValueError(f"time_limit: must be a positive number of seconds, got {time_limit!r}")
    if isinstance(gap, bool) or not isinstance(gap, (int, float)) or not (0 <= gap < 1):
        raise ValueError(f"gap: must be in [0, 1), got {gap!r}")
    if threads is not None and (isinstance(threads, bool) or not isinstance(threads, int)
                                or threads < 1):
        raise ValueError(f"threads: must be a positive int, got {threads!r}")
    if candidates is not None and not isinstance(candidates, CandidateSet):
        raise ValueError("candidates: must be a CandidateSet")
    notes: list[str] = []
    have = available_solvers()
    if solver == "auto":
        solver = "highs" if "highs" in have else "cbc"
    if solver == "highs" and "highs" not in have:
        notes.append("highspy is not installed: used CBC instead of HiGHS")
        solver = "cbc"
    if solver == "cbc" and "cbc" not in have:  # pragma: no cover - PuLP ships CBC
        if "highs" in have:
            notes.append("CBC is not available: used HiGHS")
            solver = "highs"
        else:
            raise ValueError("solver: neither CBC nor HiGHS is available")
    t_cand = 0.0
    if candidates is None:
        t0 = time.perf_counter()
        candidates = generate_candidates(problem)
        t_cand = time.perf_counter() - t0
        t_start += t_cand  # the time limit covers the optimisation only
    fm = _Formulation(problem, candidates, notes)
    engine = _Engine(fm, solver=solver, deadline=t_start + float(time_limit), gap=float(gap),
                     threads=threads, mip_max_projects=mip_max_projects,
                     options=solver_options or {})
    result = engine.run()
    stats = dict(result.stats)
    stats["candidates_s"] = t_cand
    return MatchResult(status=result.status, objective=result.objective, bound=result.bound,
                       gap=result.gap, assignments=result.assignments, unmatched=result.unmatched,
                       binding=result.binding, solver=result.solver,
                       seconds=time.perf_counter() - t_call, notes=tuple(notes), stats=stats)


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
    load: dict[Id, int] = {}
    value: dict[Id, int] = {}
    paid: dict[Id, int] = {}
    seen: set = set()
    per_project: dict[Id, list[Assignment]] = {}
    bids_of: dict[Id, dict[Id, int]] = {}
    lot_bids: dict[tuple, dict[Id, int]] = {}
    for b in problem.bids:
        if b.lot_id is None:
            bids_of.setdefault(b.project_id, {})[b.provider_id] = b.price
        else:
            lot_bids.setdefault((b.project_id, b.lot_id), {})[b.provider_id] = b.price
    for a in result.assignments:
        key = (a.project_id, a.lot_id)
        if key in seen:
            errors.append(f"project {a.project_id!r}{_lot(a.lot_id)} assigned twice")
        seen.add(key)
        if a.project_id not in projects:
            errors.append(f"unknown project {a.project_id!r}")
            continue
        per_project.setdefault(a.project_id, []).append(a)
        if a.provider_id is not None:
            if a.provider_id not in providers:
                errors.append(f"unknown provider {a.provider_id!r}")
                continue
            load[a.provider_id] = load.get(a.provider_id, 0) + 1
            value[a.provider_id] = value.get(a.provider_id, 0) + a.cost
            if candidates is not None and not any(
                    c.provider_id == a.provider_id for c in candidates.for_project(*key)):
                errors.append(f"pair {a.project_id!r}/{a.provider_id!r} is not a candidate")
        for f in a.funding:
            if f.pool_id not in pools:
                errors.append(f"unknown pool {f.pool_id!r}")
                continue
            if f.amount <= 0 or not isinstance(f.amount, int):
                errors.append(f"pool {f.pool_id!r} pays a non-positive or non-integer amount")
            paid[f.pool_id] = paid.get(f.pool_id, 0) + f.amount
    for pid, items in per_project.items():
        project = projects[pid]
        if project.needs_provider:
            want = {lot.id for lot in project.lots} if project.lots else {None}
            got = {a.lot_id for a in items}
            if got != want:
                errors.append(f"project {pid!r}: lots {sorted(map(str, got))} of "
                              f"{sorted(map(str, want))} assigned")
            if any(a.provider_id is None for a in items):
                errors.append(f"project {pid!r} needs a provider")
        cost = sum(a.cost for a in items)
        if project.needs_funding:
            by_pool: dict[Id, int] = {}
            for a in items:
                for f in a.funding:
                    by_pool[f.pool_id] = by_pool.get(f.pool_id, 0) + f.amount
            if sum(by_pool.values()) != cost:
                errors.append(f"project {pid!r}: funding {sum(by_pool.values())} != cost {cost}")
            for pool_id, amount in by_pool.items():
                pool = pools.get(pool_id)
                if pool is None:
                    continue
                if not _pool_serves(pool, project):
                    errors.append(f"pool {pool_id!r} may not fund project {pid!r}")
                if amount > pool.cap_for(cost):
                    errors.append(f"pool {pool_id!r} pays {amount} > its cap "
                                  f"{pool.cap_for(cost)} for project {pid!r}")
        elif any(a.funding for a in items):
            errors.append(f"project {pid!r} does not need funding but got some")
        if project.needs_provider and not project.lots:
            a = items[0]
            bids = bids_of.get(pid, {})
            expected = bids.get(a.provider_id, project.cost_without_bids) if bids else \
                project.cost_without_bids
            if bids and a.provider_id not in bids:
                errors.append(f"project {pid!r} has bids but {a.provider_id!r} did not bid")
            if a.cost != expected:
                errors.append(f"project {pid!r}: cost {a.cost} != price {expected}")
        if project.lots:
            budgets = {lot.id: lot.budget for lot in project.lots}
            for a in items:
                offers = lot_bids.get((pid, a.lot_id))
                expected = budgets.get(a.lot_id) if not offers else offers.get(a.provider_id)
                if a.cost != expected:
                    errors.append(f"project {pid!r} lot {a.lot_id!r}: cost {a.cost} is not "
                                  "its bid or budget")
        if not project.needs_provider and cost != project.cost_without_bids:
            errors.append(f"project {pid!r}: cost {cost} != {project.cost_without_bids}")
    for prov_id, n in load.items():
        if n > providers[prov_id].capacity:
            errors.append(f"provider {prov_id!r}: {n} projects > capacity "
                          f"{providers[prov_id].capacity}")
    share = problem.options.max_provider_share
    if share is not None:
        total = sum(u.budget for p in problem.projects for u in units_of(p))
        for prov_id, v in value.items():
            if v > share * total + 1e-6:
                errors.append(f"provider {prov_id!r}: {v} above the fairness cap")
    for pool_id, amount in paid.items():
        if amount > pools[pool_id].remaining:
            errors.append(f"pool {pool_id!r} overspent: {amount} > {pools[pool_id].remaining}")
    assigned = {(a.project_id, a.lot_id, a.provider_id) for a in result.assignments}
    funded = {(a.project_id, f.pool_id) for a in result.assignments for f in a.funding}
    for dec in problem.decisions:
        if dec.provider_id is not None:
            lots = [dec.lot_id] if dec.lot_id is not None or not projects[dec.project_id].lots \
                else [lot.id for lot in projects[dec.project_id].lots]
            hit = any((dec.project_id, lot, dec.provider_id) in assigned for lot in lots)
        else:
            hit = (dec.project_id, dec.pool_id) in funded
        if dec.kind == "pin" and not hit and result.status in ("optimal", "feasible"):
            errors.append(f"pinned pair {dec.project_id!r}/{dec.provider_id or dec.pool_id!r} "
                          "missing")
        if dec.kind == "forbid" and hit:
            errors.append(f"forbidden pair {dec.project_id!r}/{dec.provider_id or dec.pool_id!r} "
                          "present")
    return errors


# --------------------------------------------------------------------------- helpers


def _lot(lot_id: Id | None) -> str:
    return "" if lot_id is None else f" lot {lot_id!r}"


def _pool_serves(pool: PoolSpec, project: ProjectSpec) -> bool:
    return ((not pool.categories or project.category in pool.categories)
            and (not pool.streets or project.street_id in pool.streets))


@dataclass
class _Solution:
    """An integer solution: chosen pair per unit, selected projects, funding in fen."""

    chosen: dict[int, int] = field(default_factory=dict)        # unit -> pair
    selected: set[int] = field(default_factory=set)             # project indices
    funding: dict[int, dict[int, int]] = field(default_factory=dict)  # project -> pool -> fen

    def copy(self) -> _Solution:
        return _Solution(dict(self.chosen), set(self.selected),
                         {j: dict(v) for j, v in self.funding.items()})


@dataclass
class _Outcome:
    status: str
    objective: float
    bound: float
    gap: float
    assignments: tuple
    unmatched: tuple
    binding: tuple
    solver: str
    stats: dict


class _Formulation:
    """Index bookkeeping and the sparse model."""

    def __init__(self, problem: MatchProblem, cands: CandidateSet, notes: list[str]):
        self.problem = problem
        self.cands = cands
        self.notes = notes
        opts = problem.options
        self.projects: list[ProjectSpec] = sorted(problem.projects, key=lambda p: id_key(p.id))
        self.pidx = {p.id: j for j, p in enumerate(self.projects)}
        self.providers = list(problem.providers)
        self.vidx = {p.id: i for i, p in enumerate(self.providers)}
        prov_rank = {p.id: r for r, p in enumerate(sorted(self.providers,
                                                           key=lambda p: id_key(p.id)))}
        self.pools = sorted(problem.pools, key=lambda p: id_key(p.id))
        self.fidx = {p.id: i for i, p in enumerate(self.pools)}
        self.remaining = [p.remaining for p in self.pools]
        self.capacity = [p.capacity for p in self.providers]

        # ---- units
        self.units: list[Unit] = []
        self.unit_project: list[int] = []
        self.project_units: list[list[int]] = [[] for _ in self.projects]
        for j, p in enumerate(self.projects):
            for u in units_of(p):
                self.project_units[j].append(len(self.units))
                self.unit_project.append(j)
                self.units.append(u)
        uidx = {u.key: i for i, u in enumerate(self.units)}

        # ---- decisions
        forbid_prov: set[tuple] = set()
        forbid_pool: set[tuple] = set()
        self.pin_prov: list[tuple] = []     # (unit key, provider id)
        self.pin_pool: list[tuple] = []     # (project id, pool id)
        for d in problem.decisions:
            if d.provider_id is not None:
                if d.kind == "forbid":
                    forbid_prov.add((d.project_id, d.lot_id, d.provider_id))
                else:
                    self.pin_prov.append(((d.project_id, d.lot_id), d.provider_id))
            elif d.kind == "forbid":
                forbid_pool.add((d.project_id, d.pool_id))
            else:
                self.pin_pool.append((d.project_id, d.pool_id))
        self.forbid_pool = forbid_pool
        self.pin_errors: list[str] = list(cands.pin_errors)

        # ---- provider pairs
        pair_unit, pair_prov, pair_price, pair_score = [], [], [], []
        self.pair_cand: list[Candidate] = []
        for key, clist in cands.providers.items():
            u = uidx.get(key)
            if u is None:
                if key[0] not in self.pidx:
                    raise ValueError(f"candidates: unknown project {key[0]!r}")
                raise ValueError(f"candidates: project {key[0]!r} has no unit {key[1]!r} "
                                 "that needs a provider")
            seen: set = set()
            for c in clist:
                if c.provider_id not in self.vidx:
                    raise ValueError(f"candidates: unknown provider {c.provider_id!r}")
                if c.provider_id in seen:
                    continue
                seen.add(c.provider_id)
                if not (0.0 <= c.score <= 1.0) or not math.isfinite(c.score):
                    raise ValueError(f"candidates: score of {key[0]!r}/{c.provider_id!r} must "
                                     f"be in [0, 1], got {c.score!r}")
                if isinstance(c.price, bool) or not isinstance(c.price, (int, np.integer)) \
                        or c.price < 0:
                    raise ValueError(f"candidates: price of {key[0]!r}/{c.provider_id!r} must "
                                     f"be an int >= 0 (fen), got {c.price!r}")
                if c.price > INT_MAX:
                    raise ValueError(f"candidates: price of {key[0]!r}/{c.provider_id!r} must "
                                     f"be below 2**63 (at most {INT_MAX} fen), got {c.price!r}")
                if (key[0], None, c.provider_id) in forbid_prov or \
                        (key[0], key[1], c.provider_id) in forbid_prov:
                    continue
                if self.capacity[self.vidx[c.provider_id]] <= 0:
                    continue
                pair_unit.append(u)
                pair_prov.append(self.vidx[c.provider_id])
                pair_price.append(int(c.price))
                pair_score.append(float(c.score))
                self.pair_cand.append(c)
        self.pair_unit = np.array(pair_unit, dtype=np.int64)
        self.pair_prov = np.array(pair_prov, dtype=np.int64)
        self.pair_price = np.array(pair_price, dtype=np.int64)
        self.pair_score = np.array(pair_score, dtype=np.float64)
        self.unit_pairs: list[list[int]] = [[] for _ in self.units]
        for k, u in enumerate(pair_unit):
            self.unit_pairs[u].append(k)
        # sort each unit's pairs best first (score, then provider id)
        for u, ks in enumerate(self.unit_pairs):
            ks.sort(key=lambda k: (-pair_score[k], prov_rank[self.providers[pair_prov[k]].id]))
        self.pair_pos = {(pair_unit[k], pair_prov[k]): k for k in range(len(pair_unit))}

        # ---- pool pairs
        fund_project, fund_pool, fund_rank = [], [], []
        self.project_funds: list[list[int]] = [[] for _ in self.projects]
        for pid, plist in cands.pools.items():
            j = self.pidx.get(pid)
            if j is None:
                raise ValueError(f"candidates: unknown project {pid!r} in pools")
            project = self.projects[j]
            if not project.needs_funding:
                continue
            seen = set()
            for pc in plist:
                f = self.fidx.get(pc.pool_id)
                if f is None:
                    raise ValueError(f"candidates: unknown pool {pc.pool_id!r}")
                pool = self.pools[f]
                if f in seen or (pid, pc.pool_id) in forbid_pool or pool.remaining <= 0 \
                        or not _pool_serves(pool, project):
                    continue
                seen.add(f)
                self.project_funds[j].append(len(fund_project))
                fund_project.append(j)
                fund_pool.append(f)
                fund_rank.append(pc.rank)
        self.fund_project = np.array(fund_project, dtype=np.int64)
        self.fund_pool = np.array(fund_pool, dtype=np.int64)
        self.fund_rank = np.array(fund_rank, dtype=np.float64)
        self.fund_pos = {(fund_project[t], fund_pool[t]): t for t in range(len(fund_project))}

        # ---- values
        budgets = [u.budget for u in self.units] + [p.budget for p in self.projects
                                                    if not p.needs_provider]
        positive = [b for b in budgets if b > 0]
        self.bnorm = float(np.mean(positive)) if (opts.weight_by_budget and positive) else 1.0
        self.unit_weight = np.array([
            self.projects[self.unit_project[u]].priority
            * (self.units[u].budget / self.bnorm if opts.weight_by_budget else 1.0)
            for u in range(len(self.units))], dtype=np.float64)
        self.project_weight = np.array([
            p.priority * (p.budget / self.bnorm if opts.weight_by_budget else 1.0)
            for p in self.projects], dtype=np.float64)
        costs = [int(c) for c in pair_price] + [p.cost_without_bids for p in self.projects]
        positive = [c for c in costs if c > 0]
        # money unit of the model: a tenth of the median cost keeps coefficients near 1-100
        self.money = max(1.0, float(np.median(positive)) / 10.0) if positive else 1.0
        self.fair_cap: float | None = None
        if opts.max_provider_share is not None:
            self.fair_cap = opts.max_provider_share * float(sum(u.budget for u in self.units))

        # ---- which projects can go ahead at all
        self.viable = np.ones(len(self.projects), dtype=bool)
        for j, p in enumerate(self.projects):
            if p.needs_provider and any(not self.unit_pairs[u] for u in self.project_units[j]):
                self.viable[j] = False
            if p.needs_funding and not self.project_funds[j] and self._min_cost(j) > 0:
                self.viable[j] = False
        self._max_cost_cache: dict[int, int] = {}
        self._serving: dict[tuple, list[int]] = {}
        self._check_pins()
        self.model: LinearModel | None = None

    # ----------------------------------------------------------------- basics

    def project_cost(self, j: int, sol: _Solution) -> int:
        p = self.projects[j]
        if not p.needs_provider:
            return p.cost_without_bids
        return int(sum(int(self.pair_price[sol.chosen[u]]) for u in self.project_units[j]))

    def _min_cost(self, j: int) -> int:
        p = self.projects[j]
        if not p.needs_provider:
            return p.cost_without_bids
        total = 0
        for u in self.project_units[j]:
            ks = self.unit_pairs[u]
            if not ks:
                return 0
            total += int(min(self.pair_price[k] for k in ks))
        return total

    def _check_pins(self) -> None:
        uidx = {u.key: i for i, u in enumerate(self.units)}
        self.pinned_pairs: set[int] = set()
        self.pinned_projects: set[int] = set()
        self.pinned_funds: set[int] = set()
        for key, prov_id in self.pin_prov:
            u = uidx.get(key)
            k = None if u is None else self.pair_pos.get((u, self.vidx[prov_id]))
            if k is None:
                msg = (f"pinned provider {prov_id!r} for project {key[0]!r}{_lot(key[1])} is not "
                       "an eligible candidate")
                if not any(str(prov_id) in e and str(key[0]) in e for e in self.pin_errors):
                    self.pin_errors.append(msg)
                continue
            self.pinned_pairs.add(k)
            self.pinned_projects.add(self.unit_project[u])
        for pid, pool_id in self.pin_pool:
            j = self.pidx[pid]
            t = self.fund_pos.get((j, self.fidx[pool_id]))
            if t is None:
                msg = f"pinned pool {pool_id!r} is not eligible for project {pid!r}"
                if msg not in self.pin_errors and not any(
                        str(pool_id) in e and str(pid) in e for e in self.pin_errors):
                    self.pin_errors.append(msg)
                continue
            self.pinned_funds.add(t)
            self.pinned_projects.add(j)
        for j in sorted(self.pinned_projects):
            if not self.viable[j]:
                self.pin_errors.append(f"pinned project {self.projects[j].id!r} cannot go ahead "
                                       "(no eligible provider or pool)")
        units_pinned: dict[int, int] = {}
        for k in self.pinned_pairs:
            u = int(self.pair_unit[k])
            if u in units_pinned:
                self.pin_errors.append(f"project {self.units[u].key[0]!r}"
                                       f"{_lot(self.units[u].key[1])} has two pinned providers")
            units_pinned[u] = k

    def serving_pools(self, p: ProjectSpec) -> list[int]:
        """Pools whose focus and streets cover project p, whatever their money and caps."""
        key = (p.category, p.street_id)
        found = self._serving.get(key)
        if found is None:
            found = self._serving[key] = [f for f, pool in enumerate(self.pools)
                                          if _pool_serves(pool, p)]
        return found

    def cap(self, t: int, cost: int) -> int:
        """Integer cap of funding pair t for a project costing ``cost``."""
        return self.pools[int(self.fund_pool[t])].cap_for(cost)

    # ----------------------------------------------------------------- model

    def build(self) -> LinearModel:
        """The full MILP (see the module docstring)."""
        S = self.money
        opts = self.problem.options
        K = len(self.pair_unit)
        # y variables: projects that need funding, have lots, or need funding only
        self.y_of = np.full(len(self.projects), -1, dtype=np.int64)
        ny = 0
        for j, p in enumerate(self.projects):
            if self.viable[j] and (p.needs_funding or p.lots or not p.needs_provider):
                self.y_of[j] = K + ny
                ny += 1
        # drop funding pairs of non-viable projects by bounding them at 0
        T = len(self.fund_project)
        self.tight_rows = T <= TIGHT_ROWS_MAX
        n = K + ny + T
        self.n_pairs, self.n_y, self.n_fund = K, ny, T
        self.z0 = K + ny
        c = np.zeros(n)
        lb = np.zeros(n)
        ub = np.ones(n)
        integer = np.zeros(n, dtype=bool)
        integer[:K + ny] = True
        rows: list[int] = []
        cols: list[int] = []
        vals: list[float] = []
        rlb: list[float] = []
        rub: list[float] = []

        def row(entries, lo, hi):
            r = len(rlb)
            for col, v in entries:
                rows.append(r)
                cols.append(col)
                vals.append(v)
            rlb.append(lo)
            rub.append(hi)

        n_prov = max(1, len(self.providers))
        prov_rank = np.empty(len(self.providers), dtype=np.float64)
        order = sorted(range(len(self.providers)), key=lambda i: id_key(self.providers[i].id))
        prov_rank[order] = np.arange(len(self.providers))
        n_proj = max(1, len(self.projects))
        # objective
        wu = self.unit_weight[self.pair_unit] if K else np.zeros(0)
        proj_of_pair = np.array(self.unit_project, dtype=np.int64)[self.pair_unit] if K else \
            np.zeros(0, dtype=np.int64)
        c[:K] = wu * self.pair_score + 1e-7 * wu * (1 - prov_rank[self.pair_prov] / n_prov) + \
            1e-8 * wu * (1 - proj_of_pair / n_proj)
        for j, p in enumerate(self.projects):
            y = self.y_of[j]
            if y >= 0 and not p.needs_provider:
                w = self.project_weight[j]
                c[y] = w * opts.funding_only_score + 1e-8 * w * (1 - j / n_proj)
        # no tie-breaking terms on money: they make the LP badly degenerate (several times
        # slower); the split between pools is the solver's, deterministic for a given input
        # bounds of non-viable projects
        for j in np.flatnonzero(~self.viable).tolist():
            for u in self.project_units[j]:
                ub[self.unit_pairs[u]] = 0.0
        for t in range(T):
            j = int(self.fund_project[t])
            if not self.viable[j]:
                ub[self.z0 + t] = 0.0
            else:
                max_cost = self._max_cost(j)
                ub[self.z0 + t] = min(self.remaining[int(self.fund_pool[t])],
                                      self.cap(t, max_cost)) / S
        for k in self.pinned_pairs:
            lb[k] = 1.0
        for j in self.pinned_projects:
            if self.y_of[j] >= 0:
                lb[self.y_of[j]] = 1.0
        for t in self.pinned_funds:
            lb[self.z0 + t] = min(1.0 / S, ub[self.z0 + t])
        # unit rows
        for j, p in enumerate(self.projects):
            y = int(self.y_of[j])
            for u in self.project_units[j]:
                entries = [(k, 1.0) for k in self.unit_pairs[u]]
                if not entries:
                    continue
                if y >= 0:
                    row(entries + [(y, -1.0)], 0.0, 0.0)
                else:
                    row(entries, -np.inf, 1.0)
        # capacity rows
        by_prov: dict[int, list[int]] = {}
        for k in range(K):
            by_prov.setdefault(int(self.pair_prov[k]), []).append(k)
        for i, ks in sorted(by_prov.items()):
            if len(ks) > self.capacity[i]:
                row([(k, 1.0) for k in ks], -np.inf, float(self.capacity[i]))
            # summed in float: int64 wraps around silently past 2**63
            if self.fair_cap is not None and \
                    float(self.pair_price[ks].sum(dtype=np.float64)) > self.fair_cap:
                row([(k, float(self.pair_price[k]) / S) for k in ks], -np.inf, self.fair_cap / S)
        # funding rows
        for j, p in enumerate(self.projects):
            if not p.needs_funding or not self.viable[j]:
                continue
            y = int(self.y_of[j])
            ts = self.project_funds[j]
            uniform, price = self._uniform_price(j)
            cost_entries = [(y, -price / S)] if uniform else [
                (k, -float(self.pair_price[k]) / S) for u in self.project_units[j]
                for k in self.unit_pairs[u]]
            row([(self.z0 + t, 1.0) for t in ts] + cost_entries, 0.0, 0.0)
            for t in ts:
                pool = self.pools[int(self.fund_pool[t])]
                if uniform:
                    # z <= cap is already the column bound (y = 0 forces z = 0 through the
                    # funding row); z <= cap * y only tightens the LP, worth it on small models
                    cap = pool.cap_for(price)
                    if cap < price and self.tight_rows:
                        row([(self.z0 + t, 1.0), (y, -cap / S)], -np.inf, 0.0)
                elif p.lots:
                    if pool.max_share < 1.0:
                        row([(self.z0 + t, 1.0)] + [
                            (k, -math.floor(pool.max_share * float(self.pair_price[k]) + 1e-9) / S)
                            for u in self.project_units[j] for k in self.unit_pairs[u]],
                            -np.inf, 0.0)
                    if pool.max_per_project is not None and pool.max_per_project < self._max_cost(j):
                        row([(self.z0 + t, 1.0), (y, -pool.max_per_project / S)], -np.inf, 0.0)
                else:
                    ks = self.unit_pairs[self.project_units[j][0]]
                    caps = [pool.cap_for(int(self.pair_price[k])) for k in ks]
                    if any(cp < int(self.pair_price[k]) for cp, k in zip(caps, ks)):
                        row([(self.z0 + t, 1.0)] + [(k, -cp / S) for cp, k in zip(caps, ks)],
                            -np.inf, 0.0)
        # pool budget rows
        by_pool: dict[int, list[int]] = {}
        for t in range(T):
            by_pool.setdefault(int(self.fund_pool[t]), []).append(t)
        for f, ts in sorted(by_pool.items()):
            if float(ub[[self.z0 + t for t in ts]].sum()) * S > self.remaining[f]:
                row([(self.z0 + t, 1.0) for t in ts], -np.inf, self.remaining[f] / S)
        A = sparse.csr_matrix((np.asarray(vals, dtype=np.float64),
                               (np.asarray(rows, dtype=np.int64), np.asarray(cols, dtype=np.int64))),
                              shape=(len(rlb), n))
        A.sum_duplicates()
        self.model = LinearModel(c=c, lb=lb, ub=ub, integer=integer, A=A,
                                 row_lb=np.asarray(rlb, dtype=np.float64),
                                 row_ub=np.asarray(rub, dtype=np.float64))
        return self.model

    def _uniform_price(self, j: int) -> tuple[bool, float]:
        p = self.projects[j]
        if not p.needs_provider:
            return True, float(p.cost_without_bids)
        if p.lots:
            return False, 0.0
        ks = self.unit_pairs[self.project_units[j][0]]
        prices = {int(self.pair_price[k]) for k in ks}
        if len(prices) == 1:
            return True, float(prices.pop())
        return False, 0.0

    def _max_cost(self, j: int) -> int:
        cached = self._max_cost_cache.get(j)
        if cached is None:
            cached = self._max_cost_cache[j] = self._compute_max_cost(j)
        return cached

    def _compute_max_cost(self, j: int) -> int:
        p = self.projects[j]
        if not p.needs_provider:
            return p.cost_without_bids
        return int(sum(max((int(self.pair_price[k]) for k in self.unit_pairs[u]), default=0)
                       for u in self.project_units[j]))

    # ----------------------------------------------------------------- decoding

    def binaries_of_project(self, j: int) -> list[int]:
        out = [k for u in self.project_units[j] for k in self.unit_pairs[u]]
        if self.y_of[j] >= 0:
            out.append(int(self.y_of[j]))
        return out

    def decode(self, x: np.ndarray) -> tuple[_Solution, dict[tuple[int, int], float]]:
        """Integer choices and raw funding (fen, float) from a model vector."""
        sol = _Solution()
        for u, ks in enumerate(self.unit_pairs):
            if not ks:
                continue
            vals = x[ks]
            best = int(np.argmax(vals))
            if vals[best] > 0.5:
                sol.chosen[u] = ks[best]
        for j, p in enumerate(self.projects):
            if not self.viable[j]:
                continue
            units = self.project_units[j]
            if p.needs_provider:
                ok = all(u in sol.chosen for u in units)
                if self.y_of[j] >= 0 and x[self.y_of[j]] < 0.5:
                    ok = False
            else:
                ok = x[self.y_of[j]] > 0.5
            if ok:
                sol.selected.add(j)
            else:
                for u in units:
                    sol.chosen.pop(u, None)
        raw: dict[tuple[int, int], float] = {}
        S = self.money
        for t in range(self.n_fund):
            v = float(x[self.z0 + t]) * S
            if v > 1e-3:
                raw[(int(self.fund_project[t]), t)] = v
        return sol, raw

    def encode(self, sol: _Solution) -> np.ndarray:
        """Model vector of an integer solution (for warm starts)."""
        assert self.model is not None
        x = np.zeros(self.model.n_cols)
        for u, k in sol.chosen.items():
            x[k] = 1.0
        for j in sol.selected:
            if self.y_of[j] >= 0:
                x[self.y_of[j]] = 1.0
        for j, amounts in sol.funding.items():
            for f, amount in amounts.items():
                t = self.fund_pos.get((j, f))
                if t is not None:
                    x[self.z0 + t] = amount / self.money
        return x

    # ----------------------------------------------------------------- money

    def allocate(self, sol: _Solution, raw: dict[tuple[int, int], float]) -> list[int]:
        """Integer funding for the selected projects, following the solver's money.

        Amounts are floored to fen (never above a cap, the cost or what a pool has left), then
        the few fen missing per project are routed by an integral max-flow from projects to
        pools with room; the solver's fractional money is a feasible flow, so an integral one
        exists.  Projects still short are dropped (returned) and never overspend anything.
        """
        left = list(self.remaining)
        sol.funding = {}
        order = sorted(sol.selected, key=lambda j: (0 if j in self.pinned_projects else 1, j))
        plans: dict[int, dict[int, float]] = {}
        for (j, t), v in raw.items():
            plans.setdefault(j, {})[t] = v
        amounts: dict[int, dict[int, int]] = {}
        costs: dict[int, int] = {}
        for j in order:
            if not self.projects[j].needs_funding:
                continue
            cost = costs[j] = self.project_cost(j, sol)
            plan = plans.get(j, {})
            got: dict[int, int] = {}
            total = 0
            for t in sorted(plan, key=lambda t: -plan[t]):
                f = int(self.fund_pool[t])
                a = max(0, min(int(math.floor(plan[t] + 1e-6)), self.cap(t, cost), left[f],
                               cost - total))
                if a:
                    got[t] = a
                    left[f] -= a
                    total += a
            amounts[j] = got
        # route the missing fen: source -> project (deficit) -> pool (room) -> sink (left)
        deficit = {j: costs[j] - sum(amounts[j].values()) for j in amounts}
        short = [j for j in sorted(deficit) if deficit[j] > 0]
        if short:
            self._route(short, deficit, amounts, costs, left)
        dropped: list[int] = []
        for j in order:
            if j not in amounts:
                continue
            got = amounts[j]
            ok = sum(got.values()) == costs[j]
            for t in self.pinned_funds:
                if int(self.fund_project[t]) == j and got.get(t, 0) < 1 and costs[j] > 0:
                    ok = False  # a pinned pool must contribute
            if not ok:
                dropped.append(j)
                for t, a in got.items():
                    left[int(self.fund_pool[t])] += a
                continue
            alloc: dict[int, int] = {}
            for t, a in got.items():
                if a > 0:
                    f = int(self.fund_pool[t])
                    alloc[f] = alloc.get(f, 0) + a
            sol.funding[j] = alloc
        for j in dropped:
            self._unselect(sol, j)
        return dropped

    def _route(self, short: list[int], deficit: dict[int, int],
               amounts: dict[int, dict[int, int]], costs: dict[int, int], left: list[int]) -> None:
        from scipy.sparse.csgraph import maximum_flow

        arcs: list[tuple[int, int, int]] = []  # (project, t, room)
        pools_used: dict[int, int] = {}
        for j in short:
            for t in self.project_funds[j]:
                f = int(self.fund_pool[t])
                room = min(self.cap(t, costs[j]) - amounts[j].get(t, 0), left[f])
                if room > 0:
                    arcs.append((j, t, room))
                    pools_used.setdefault(f, len(pools_used))
        if not arcs:
            return
        proj_node = {j: 1 + i for i, j in enumerate(short)}
        base = 1 + len(short)
        sink = base + len(pools_used)
        rows, cols, caps = [], [], []
        for j in short:
            rows.append(0)
            cols.append(proj_node[j])
            caps.append(deficit[j])
        for j, t, room in arcs:
            rows.append(proj_node[j])
            cols.append(base + pools_used[int(self.fund_pool[t])])
            caps.append(room)
        for f, i in pools_used.items():
            rows.append(base + i)
            cols.append(sink)
            caps.append(left[f])
        limit = np.iinfo(np.int32).max
        if max(caps) > limit:  # csgraph needs int32 capacities; deficits are a few fen
            caps = [min(c, limit) for c in caps]
        graph = sparse.csr_matrix((np.asarray(caps, dtype=np.int32), (rows, cols)),
                                  shape=(sink + 1, sink + 1))
        flow = maximum_flow(graph, 0, sink).flow.tocsr()
        for j, t, _room in arcs:
            f = int(self.fund_pool[t])
            v = int(flow[proj_node[j], base + pools_used[f]])
            if v > 0:
                amounts[j][t] = amounts[j].get(t, 0) + v
                left[f] -= v

    def _unselect(self, sol: _Solution, j: int) -> None:
        sol.selected.discard(j)
        sol.funding.pop(j, None)
        for u in self.project_units[j]:
            sol.chosen.pop(u, None)

    def pool_left(self, sol: _Solution) -> list[int]:
        left = list(self.remaining)
        for alloc in sol.funding.values():
            for f, a in alloc.items():
                left[f] -= a
        return left

    def loads(self, sol: _Solution) -> tuple[list[int], list[int]]:
        load = [0] * len(self.providers)
        value = [0] * len(self.providers)
        for u, k in sol.chosen.items():
            i = int(self.pair_prov[k])
            load[i] += 1
            value[i] += int(self.pair_price[k])
        return load, value

    # ----------------------------------------------------------------- checks

    def violations(self, sol: _Solution) -> list[str]:
        """Integer check of a solution against the model's constraints."""
        errs: list[str] = []
        load, value = self.loads(sol)
        for i, n in enumerate(load):
            if n > self.capacity[i]:
                errs.append(f"capacity of {self.providers[i].id!r}")
            if self.fair_cap is not None and value[i] > self.fair_cap + 1e-6:
                errs.append(f"fairness cap of {self.providers[i].id!r}")
        left = self.pool_left(sol)
        for f, v in enumerate(left):
            if v < 0:
                errs.append(f"pool {self.pools[f].id!r} overspent")
        for j in sol.selected:
            p = self.projects[j]
            if not self.viable[j]:
                errs.append(f"project {p.id!r} is not viable")
            if p.needs_provider and any(u not in sol.chosen for u in self.project_units[j]):
                errs.append(f"project {p.id!r} incomplete")
            if p.needs_funding:
                cost = self.project_cost(j, sol)
                alloc = sol.funding.get(j, {})
                if sum(alloc.values()) != cost:
                    errs.append(f"project {p.id!r} funding != cost")
                for f, a in alloc.items():
                    t = self.fund_pos.get((j, f))
                    if t is None or a > self.cap(t, cost) or a <= 0:
                        errs.append(f"pool {self.pools[f].id!r} cap on {p.id!r}")
        for u, k in sol.chosen.items():
            if self.unit_project[u] not in sol.selected:
                errs.append(f"unit {self.units[u].key!r} chosen but project not selected")
        for k in self.pinned_pairs:
            if sol.chosen.get(int(self.pair_unit[k])) != k:
                errs.append("pinned pair missing")
        for t in self.pinned_funds:
            j = int(self.fund_project[t])
            if sol.funding.get(j, {}).get(int(self.fund_pool[t]), 0) < 1 and (
                    j not in sol.selected or self.project_cost(j, sol) > 0):
                errs.append("pinned pool missing")
        return errs

    def value(self, sol: _Solution) -> float:
        """Reported objective: sum of priority * score * budget (or priority * score)."""
        total = 0.0
        scale = self.bnorm
        for u, k in sol.chosen.items():
            total += self.unit_weight[u] * self.pair_score[k] * scale
        fo = self.problem.options.funding_only_score
        for j in sol.selected:
            if not self.projects[j].needs_provider:
                total += self.project_weight[j] * fo * scale
        return float(total)

    # ----------------------------------------------------------------- greedy

    def greedy_fill(self, sol: _Solution) -> int:
        """Add projects that still fit in the leftovers, best value first; returns how many."""
        load, value = self.loads(sol)
        left = self.pool_left(sol)
        added = 0
        fo = self.problem.options.funding_only_score
        todo = []
        for j, p in enumerate(self.projects):
            if j in sol.selected or not self.viable[j]:
                continue
            if p.needs_provider:
                best = sum(self.unit_weight[u] * self.pair_score[self.unit_pairs[u][0]]
                           for u in self.project_units[j])
            else:
                best = self.project_weight[j] * fo
            todo.append((-best, j))
        todo.sort()
        for _, j in todo:
            p = self.projects[j]
            options = self._pair_options(j, load, value)
            for picks in options:
                cost = (p.cost_without_bids if not p.needs_provider
                        else sum(int(self.pair_price[k]) for k in picks))
                alloc = {}
                if p.needs_funding:
                    alloc = self._fund_greedy(j, cost, left)
                    if alloc is None:
                        continue
                for k in picks:
                    sol.chosen[int(self.pair_unit[k])] = k
                    i = int(self.pair_prov[k])
                    load[i] += 1
                    value[i] += int(self.pair_price[k])
                sol.selected.add(j)
                if p.needs_funding:
                    sol.funding[j] = alloc
                    for f, a in alloc.items():
                        left[f] -= a
                added += 1
                break
        return added

    def _pair_options(self, j: int, load: list[int], value: list[int], limit: int = 3):
        """Up to ``limit`` provider choices for project j that respect capacity and fairness."""
        p = self.projects[j]
        if not p.needs_provider:
            return [[]]
        units = self.project_units[j]
        if len(units) == 1:
            out = []
            for k in self.unit_pairs[units[0]]:
                i = int(self.pair_prov[k])
                if load[i] >= self.capacity[i]:
                    continue
                if self.fair_cap is not None and value[i] + int(self.pair_price[k]) > self.fair_cap:
                    continue
                out.append([k])
                if len(out) >= limit:
                    break
            return out
        picks = []
        extra_load: dict[int, int] = {}
        extra_value: dict[int, int] = {}
        for u in units:
            got = None
            for k in self.unit_pairs[u]:
                i = int(self.pair_prov[k])
                if load[i] + extra_load.get(i, 0) >= self.capacity[i]:
                    continue
                if self.fair_cap is not None and value[i] + extra_value.get(i, 0) + \
                        int(self.pair_price[k]) > self.fair_cap:
                    continue
                got = k
                break
            if got is None:
                return []
            i = int(self.pair_prov[got])
            extra_load[i] = extra_load.get(i, 0) + 1
            extra_value[i] = extra_value.get(i, 0) + int(self.pair_price[got])
            picks.append(got)
        return [picks]

    def _fund_greedy(self, j: int, cost: int, left: list[int]) -> dict[int, int] | None:
        alloc: dict[int, int] = {}
        got = 0
        ts = sorted(self.project_funds[j], key=lambda t: (0 if t in self.pinned_funds else 1,
                                                          self.fund_rank[t]))
        for t in ts:
            if got >= cost:
                break
            f = int(self.fund_pool[t])
            give = min(self.cap(t, cost), left[f], cost - got)
            if give > 0:
                alloc[f] = give
                got += give
        if got != cost:
            return None
        return alloc


class _Engine:
    """Runs the solution method and turns the result into a MatchResult."""

    def __init__(self, fm: _Formulation, *, solver: str, deadline: float, gap: float,
                 threads: int | None, mip_max_projects: int, options: dict):
        self.fm = fm
        self.solver = solver
        self.deadline = deadline
        self.gap = gap
        self.threads = threads
        self.full_limit = mip_max_projects
        self.options = options
        self.stats: dict[str, Any] = {}

    def remaining(self) -> float:
        return self.deadline - time.perf_counter()

    def _run_solver(self, model: LinearModel, *, mip: bool, gap: float | None = None,
                    gap_abs: float | None = None, warm: np.ndarray | None = None,
                    time_limit: float | None = None) -> SolveOutcome:
        limit = self.remaining() if time_limit is None else min(time_limit, self.remaining())
        return solve_linear(model, solver=self.solver, mip=mip, time_limit=max(0.5, limit),
                            gap=gap, gap_abs=gap_abs, warm_start=warm, threads=self.threads,
                            options=self.options)

    def run(self) -> _Outcome:
        fm = self.fm
        notes = fm.notes
        if fm.pin_errors:
            return self._infeasible(fm.pin_errors)
        if not fm.projects or not fm.viable.any():
            return self._finish(_Solution(), bound=0.0, status_hint="no_candidates", solver="")
        t0 = time.perf_counter()
        model = fm.build()
        self.stats.update(build_s=time.perf_counter() - t0, columns=model.n_cols,
                          rows=model.n_rows, nonzeros=int(model.A.nnz),
                          binaries=int(model.integer.sum()))
        # 1. LP relaxation: bound, and most decisions already integral
        lp = self._solve_lp(model)
        self.stats["lp_s"] = lp.seconds
        if lp.status == "infeasible":
            return self._infeasible(self._diagnose())
        if not lp.has_solution:
            notes.append(f"LP relaxation: {lp.status} ({lp.message})")
            sol = self._fallback()
            if sol is None:
                return self._infeasible(["no solution found within the time limit"],
                                        code="no_solution")
            return self._finish(sol, bound=math.inf, solver=self.solver)
        bound = float(lp.bound if lp.bound is not None else lp.objective) * fm.bnorm
        x_lp = lp.x
        frac_cols = model.integer & (np.abs(x_lp - np.round(x_lp)) > _TOL)
        frac_projects = [j for j in range(len(fm.projects))
                         if fm.binaries_of_project(j) and frac_cols[fm.binaries_of_project(j)].any()]
        self.stats["fractional_projects"] = len(frac_projects)
        # 2. cheap incumbent: the LP without its fractional projects, money rounded, leftovers
        #    filled greedily
        x0 = x_lp.copy()
        for j in frac_projects:
            x0[fm.binaries_of_project(j)] = 0.0
        best = self._integerise(x0, "LP rounding", funding_from=x_lp)
        if best is None:
            best = self._fallback()
            if best is None:
                return self._infeasible(self._diagnose())
        # 3. MIP over project selection (provider choice continuous: a transportation problem)
        if frac_projects and self._gap(best, bound) > self.gap + _GAP_SLACK \
                and self.remaining() > 0.5:
            sel = self._select_free(frac_projects, lp)
            cand, mip_bound = self._selection_mip(model, x_lp, sel, best)
            if cand is not None and fm.value(cand) > fm.value(best):
                best = cand
            if mip_bound is not None:
                bound = min(bound, mip_bound)
        return self._finish(best, bound=bound, solver=self.solver)

    def _solve_lp(self, model: LinearModel) -> SolveOutcome:
        """LP relaxation; by column generation on large models.

        The master LP starts with each project's 5 best providers and 4 best pools; every other
        column is priced with the master's row duals (``rc = c - A.T @ duals``) and the
        improving ones are added until none is left.  The returned bound adds
        ``sum(max(rc, 0) * ub)`` over columns left out, so it is valid even if the loop stops
        early.
        """
        fm = self.fm
        if model.n_cols <= COLUMN_GENERATION_MIN:
            return self._run_solver(model, mip=False)
        t0 = time.perf_counter()
        master = np.zeros(model.n_cols, dtype=bool)
        for ks in fm.unit_pairs:
            master[ks[:5]] = True
        master[fm.n_pairs:fm.z0] = True
        for ts in fm.project_funds:
            master[[fm.z0 + t for t in sorted(ts, key=lambda t: fm.fund_rank[t])[:4]]] = True
        master[list(fm.pinned_pairs)] = True
        master[[fm.z0 + t for t in fm.pinned_funds]] = True
        scale = max(1e-12, float(np.abs(model.c).mean()))
        out = None
        rc = lam = None
        for it in range(15):
            sub, free_idx, keep = _restrict(model, ~master, np.zeros(model.n_cols))
            out = self._run_solver(sub, mip=False)
            if not out.has_solution or out.row_duals is None:
                self.fm.notes.append(f"column generation stopped: master LP {out.status}")
                return self._run_solver(model, mip=False)
            lam = np.zeros(model.n_rows)
            lam[keep] = out.row_duals
            rc = model.c - model.A.T @ lam
            enter = ~master & (rc > 1e-9 * scale) & (model.ub > 0)
            self.stats["cg_iterations"] = it + 1
            # stop when the columns left out can add at most 5 % of the gap target
            missing = float(np.sum(np.maximum(rc[enter], 0.0) * model.ub[enter]))
            if not enter.any() or missing <= 0.05 * self.gap * abs(float(out.objective)) \
                    or self.remaining() < 1.0:
                break
            master |= enter
        assert out is not None and rc is not None
        x = np.zeros(model.n_cols)
        x[free_idx] = out.x
        value = model.objective(x)
        missing = float(np.sum(np.maximum(rc[~master], 0.0) * model.ub[~master]))
        self.stats["cg_columns"] = int(master.sum())
        return SolveOutcome(out.status, x, value, value + missing, time.perf_counter() - t0,
                            out.solver, "column generation", dict(out.info), rc, lam)

    def _gap(self, sol: _Solution, bound: float) -> float:
        value = self.fm.value(sol)
        return 0.0 if bound - value <= self._noise() else _gap(value, bound)

    def _select_free(self, frac_projects: list[int], lp: SolveOutcome) -> tuple[set[int], bool]:
        """Projects whose decisions the MIP may change; True if that is every project."""
        fm = self.fm
        candidates = [j for j in range(len(fm.projects))
                      if fm.viable[j] and fm.binaries_of_project(j)]
        if len(candidates) <= self.full_limit:
            return set(candidates), True
        free = set(frac_projects)
        rc = lp.reduced_costs
        if rc is None:
            return free, False
        room = min(self.full_limit, max(200, 20 * len(free))) - len(free)
        scored = []
        for j in candidates:
            if j in free:
                continue
            y = int(fm.y_of[j])
            xs = [k for u in fm.project_units[j] for k in fm.unit_pairs[u]]
            base = abs(float(rc[y])) if y >= 0 else 0.0
            extra = min((abs(float(rc[k])) for k in xs), default=0.0)
            scored.append((base + extra, j))
        scored.sort()
        free.update(j for _, j in scored[:max(0, room)])
        return free, False

    def _selection_mip(self, model: LinearModel, x_lp: np.ndarray,
                       selection: tuple[set[int], bool], best: _Solution
                       ) -> tuple[_Solution | None, float | None]:
        """Solve the MIP over the selection of the free projects; returns (solution, bound).

        The bound is global only when every project is free (provider choice relaxed).
        """
        fm = self.fm
        free, everything = selection
        self.stats["mip_projects"] = len(free)
        fix = model.integer.copy()
        if not everything:  # money of the fixed projects stays where the LP put it
            fix[fm.z0:] = True
        integer = np.zeros(model.n_cols, dtype=bool)
        for j in free:
            cols = fm.binaries_of_project(j)
            fix[cols] = False
            fix[[fm.z0 + t for t in fm.project_funds[j]]] = False
            y = int(fm.y_of[j])
            if y >= 0:
                integer[y] = True
            # a project without a selection variable only needs a provider: its choice is
            # part of the transportation problem, integral or repaired in step 4
        relaxed = LinearModel(c=model.c, lb=model.lb, ub=model.ub, integer=integer, A=model.A,
                              row_lb=model.row_lb, row_ub=model.row_ub, offset=model.offset)
        values = np.where(model.integer, np.round(x_lp), x_lp)
        sub, free_idx, _ = _restrict(relaxed, fix, values)
        warm = fm.encode(best)[free_idx]
        t1 = time.perf_counter()
        gap_abs = None if everything else 0.25 * self.gap * float(model.c @ x_lp)
        out = self._run_solver(sub, mip=bool(sub.integer.any()), gap=self.gap if everything else None,
                               gap_abs=gap_abs, warm=warm,
                               time_limit=max(1.0, 0.8 * self.remaining()))
        self.stats["mip_s"] = time.perf_counter() - t1
        self.stats["mip_status"] = out.status
        if not out.has_solution:
            self.fm.notes.append(f"selection MIP: {out.status} ({out.message})")
            return None, None
        x = np.where(fix, values, 0.0)
        x[free_idx] = out.x
        mip_bound = None
        if everything and out.bound is not None and math.isfinite(out.bound):
            mip_bound = float(out.bound) * fm.bnorm
        # 4. provider choices left fractional: a small MIP with the selection fixed
        frac = model.integer & (np.abs(x - np.round(x)) > _TOL)
        if frac.any():
            x = self._repair_fractional(model, x, frac)
        return self._integerise(x, "selection MIP"), mip_bound

    def _repair_fractional(self, model: LinearModel, x: np.ndarray, frac: np.ndarray
                           ) -> np.ndarray:
        fm = self.fm
        bad = [j for j in range(len(fm.projects))
               if fm.binaries_of_project(j) and frac[fm.binaries_of_project(j)].any()]
        self.stats["repaired_projects"] = len(bad)
        fix = model.integer.copy()
        for j in bad:
            fix[[k for u in fm.project_units[j] for k in fm.unit_pairs[u]]] = False
        values = np.round(x)
        sub, free_idx, _ = _restrict(model, fix, values)
        out = self._run_solver(sub, mip=True, gap_abs=0.1 * self.gap * float(model.c @ x),
                               time_limit=max(1.0, 0.5 * self.remaining()))
        if out.has_solution:
            y = np.where(fix, values, 0.0)
            y[free_idx] = out.x
            return y
        # could not make them integral with the selection fixed: drop those projects
        y = np.where(model.integer, np.round(x), x)
        for j in bad:
            y[fm.binaries_of_project(j)] = 0.0
        return y

    def _noise(self) -> float:
        """A bound this close to the value (in value units) has closed.

        Covers the tie-breaking terms and the solvers' absolute tolerance: HiGHS prunes nodes
        within 1e-6 of the model's objective unit (``bnorm``), which is more than 1e-6 of the
        value when the weights add up to less than 1 (small priorities).
        """
        fm = self.fm
        total = float(fm.unit_weight.sum()) + float(fm.project_weight.sum())
        return 1e-6 * fm.bnorm * max(total, 1.0)

    def _integerise(self, x: np.ndarray, label: str,
                    funding_from: np.ndarray | None = None) -> _Solution | None:
        fm = self.fm
        sol, raw = fm.decode(x)
        if funding_from is not None:  # follow that vector's money for the selected projects
            raw = {key: v for key, v in fm.decode(funding_from)[1].items() if key[0] in sol.selected}
        dropped = fm.allocate(sol, raw)
        if dropped:
            self.stats.setdefault("dropped_in_rounding", 0)
            self.stats["dropped_in_rounding"] += len(dropped)
        added = fm.greedy_fill(sol)
        if added:
            self.stats["greedy_added"] = self.stats.get("greedy_added", 0) + added
        errs = fm.violations(sol)
        if errs:
            fm.notes.append(f"{label} solution rejected by verification: {errs[0]}")
            return None
        return sol

    def _fallback(self) -> _Solution | None:
        """Greedy solution from the pins (used when the solver gives nothing)."""
        fm = self.fm
        sol = _Solution()
        for k in fm.pinned_pairs:
            u = int(fm.pair_unit[k])
            sol.chosen[u] = k
        pinned = sorted(fm.pinned_projects)
        load, value = fm.loads(sol)
        left = fm.pool_left(sol)
        for j in pinned:
            p = fm.projects[j]
            for u in fm.project_units[j]:
                if u not in sol.chosen:
                    opts = [k for k in fm.unit_pairs[u]
                            if load[int(fm.pair_prov[k])] < fm.capacity[int(fm.pair_prov[k])]]
                    if not opts:
                        return None
                    sol.chosen[u] = opts[0]
                    load[int(fm.pair_prov[opts[0]])] += 1
            sol.selected.add(j)
            if p.needs_funding:
                cost = fm.project_cost(j, sol)
                alloc = fm._fund_greedy(j, cost, left)
                if alloc is None:
                    return None
                sol.funding[j] = alloc
                for f, a in alloc.items():
                    left[f] -= a
        fm.greedy_fill(sol)
        if fm.violations(sol):
            return None
        fm.notes.append("used the greedy fallback solution")
        return sol

    def _diagnose(self) -> list[str]:
        """Why the official decisions cannot all be met (best effort)."""
        fm = self.fm
        msgs: list[str] = []
        count: dict[int, int] = {}
        value: dict[int, int] = {}
        for k in fm.pinned_pairs:
            i = int(fm.pair_prov[k])
            count[i] = count.get(i, 0) + 1
            value[i] = value.get(i, 0) + int(fm.pair_price[k])
        for i, n in sorted(count.items()):
            if n > fm.capacity[i]:
                msgs.append(f"provider {fm.providers[i].id!r} is pinned to {n} projects but has "
                            f"capacity {fm.capacity[i]}")
            if fm.fair_cap is not None and value[i] > fm.fair_cap:
                msgs.append(f"provider {fm.providers[i].id!r} is pinned to more than the "
                            "fairness cap")
        need: dict[int, int] = {}
        for j in sorted(fm.pinned_projects):
            p = fm.projects[j]
            if not p.needs_funding:
                continue
            cost = fm._min_cost(j)
            reach = sum(min(fm.cap(t, cost), fm.remaining[int(fm.fund_pool[t])])
                        for t in fm.project_funds[j])
            if reach < cost:
                msgs.append(f"pinned project {p.id!r} needs {cost} fen but its pools can give at "
                            f"most {reach}")
            for t in fm.project_funds[j]:
                need[int(fm.fund_pool[t])] = need.get(int(fm.fund_pool[t]), 0)
        if not msgs:
            msgs.append("the pinned pairs together exceed pool budgets or provider capacity")
        return msgs

    def _infeasible(self, msgs: list[str], code: str = "infeasible_decisions") -> _Outcome:
        fm = self.fm
        fm.notes.extend(msgs)
        detail = "; ".join(msgs)
        unmatched = []
        for p in fm.projects:
            params = {"detail": detail}
            unmatched.append(Unmatched(p.id, format_reason(code, params), code, params))
        return _Outcome("infeasible", 0.0, 0.0, 0.0, (), tuple(unmatched), (), self.solver,
                        self.stats)

    # ----------------------------------------------------------------- result

    def _finish(self, sol: _Solution, *, bound: float, solver: str,
                status_hint: str | None = None) -> _Outcome:
        fm = self.fm
        value = fm.value(sol)
        # tie-breaking terms (< 1e-7 of the value) and solver tolerances are not a real gap
        if math.isfinite(bound) and bound - value <= self._noise():
            bound = value
        gap = _gap(value, bound) if math.isfinite(bound) else math.inf
        if status_hint is not None:
            status = status_hint
        elif not sol.selected and not fm.viable.any():
            status = "no_candidates"
        else:
            status = "optimal" if gap <= self.gap + _GAP_SLACK else "feasible"
        assignments = self._assignments(sol)
        unmatched = self._unmatched(sol)
        binding = self._binding(sol)
        self.stats["value"] = value
        return _Outcome(status, value, bound, gap, assignments, unmatched, binding, solver,
                        self.stats)

    def _assignments(self, sol: _Solution) -> tuple[Assignment, ...]:
        fm = self.fm
        out: list[Assignment] = []
        fo = fm.problem.options.funding_only_score
        for j in sorted(sol.selected):
            p = fm.projects[j]
            alloc = sol.funding.get(j, {})
            pools_sorted = sorted(alloc, key=lambda f: id_key(fm.pools[f].id))
            if not p.needs_provider:
                funding = tuple(Funding(fm.pools[f].id, alloc[f]) for f in pools_sorted
                                if alloc[f] > 0)
                pinned = any(int(fm.fund_project[t]) == j for t in fm.pinned_funds)
                out.append(Assignment(p.id, None, fo, {"funding_only": fo},
                                      p.cost_without_bids, funding, None, pinned))
                continue
            units = fm.project_units[j]
            lot_costs = [int(fm.pair_price[sol.chosen[u]]) for u in units]
            split = _northwest([alloc[f] for f in pools_sorted], lot_costs) if p.needs_funding \
                else [[0] * len(pools_sorted) for _ in units]
            for pos, u in enumerate(units):
                k = sol.chosen[u]
                cand = fm.pair_cand[k]
                funding = tuple(Funding(fm.pools[f].id, split[pos][q])
                                for q, f in enumerate(pools_sorted) if split[pos][q] > 0)
                out.append(Assignment(p.id, cand.provider_id, float(fm.pair_score[k]),
                                      dict(cand.components), int(fm.pair_price[k]), funding,
                                      fm.units[u].key[1], k in fm.pinned_pairs))
        return tuple(out)

    def _unmatched(self, sol: _Solution) -> tuple[Unmatched, ...]:
        fm = self.fm
        load, value = fm.loads(sol)
        left = fm.pool_left(sol)
        out = []
        for j, p in enumerate(fm.projects):
            if j in sol.selected:
                continue
            code, params, lot_id = self._reason(j, load, value, left)
            out.append(Unmatched(p.id, format_reason(code, params), code, params, lot_id))
        return tuple(out)

    def _reason(self, j: int, load: list[int], value: list[int], left: list[int]
                ) -> tuple[str, dict, Id | None]:
        fm = self.fm
        p = fm.projects[j]
        base = {"project_id": p.id, "category": p.category, "category_name": p.category_name,
                "street_id": p.street_id, "street_name": p.street_name}
        if p.needs_provider:
            for u in fm.project_units[j]:
                if fm.unit_pairs[u]:
                    continue
                unit = fm.units[u]
                funnel = fm.cands.funnels.get(unit.key)
                stage = funnel.first_empty() if funnel is not None else "area"
                params = dict(base)
                if unit.category != p.category:
                    params["category"] = unit.category
                    params["category_name"] = unit.category
                code = {
                    "category": "no_provider_for_category",
                    "capacity": "providers_at_capacity",
                    "area": "no_provider_in_area",
                    "requirements": "requirements_not_met",
                    "bids": "no_valid_bid",
                    "conflicts": "conflict_of_interest",
                    "decisions": "forbidden_by_decision",
                    None: "no_provider_in_area",  # candidates cut below min_score
                }[stage]
                if code == "providers_at_capacity":
                    params["count"] = funnel.category if funnel else 0
                if code == "requirements_not_met":
                    params["detail"] = p.requirements.describe()
                if code == "no_valid_bid":
                    params["bids"] = funnel.bid_count if funnel else 0
                return code, params, unit.key[1]
        if p.needs_funding and fm._min_cost(j) > 0:
            found = self._funding_reason(j, fm._min_cost(j), left)
            if found is not None:
                return found[0], dict(base, **found[1]), None
        if p.needs_provider:
            for u in fm.project_units[j]:
                ks = fm.unit_pairs[u]
                free = [k for k in ks if load[int(fm.pair_prov[k])] < fm.capacity[int(fm.pair_prov[k])]]
                if not free:
                    return "providers_at_capacity", dict(base, count=len(ks)), fm.units[u].key[1]
                if fm.fair_cap is not None and all(
                        value[int(fm.pair_prov[k])] + int(fm.pair_price[k]) > fm.fair_cap
                        for k in free):
                    share = fm.problem.options.max_provider_share
                    return "provider_share_cap", dict(base, share=share), fm.units[u].key[1]
        return "not_selected", dict(base), None

    def _funding_reason(self, j: int, need: int, left: list[int]) -> tuple[str, dict] | None:
        """Why the pools cannot fund project j at cost ``need``, or ``None`` if they could.

        Looks at every pool eligible for the project, not only the few that candidate
        generation sampled: the money left and the co-funding caps of all of them.
        """
        fm = self.fm
        p = fm.projects[j]
        usable: list[tuple[int, int]] = []  # (pool, cap)
        rounds_to_zero: list[int] = []
        for f in fm.serving_pools(p):
            pool = fm.pools[f]
            if (p.id, pool.id) in fm.forbid_pool:
                continue
            cap = pool.cap_for(need)
            if cap > 0:
                usable.append((f, cap))
            else:
                rounds_to_zero.append(f)
        if not usable and not rounds_to_zero:
            return "no_eligible_pool", {}
        money = sum(left[f] for f, _ in usable)
        reach = sum(min(cap, left[f]) for f, cap in usable)
        if reach >= need:
            # enough in reach; only a candidate set without this project's pools stops it
            return None if fm.project_funds[j] else ("no_eligible_pool", {})
        # pools whose share of the cost is below 1 fen are to blame when their money was what
        # the project lacked
        idle = [f for f in rounds_to_zero if left[f] > 0]
        if idle and (not usable or money + sum(left[f] for f in idle) >= need):
            return "co_funding_share_rounds_to_zero", {
                "pools": [fm.pools[f].name or str(fm.pools[f].id) for f in idle],
                "pool_ids": [fm.pools[f].id for f in idle], "needed": need}
        if money < need:
            return "pools_exhausted", {"needed": need, "left": money}
        return "co_funding_limit", {"needed": need, "coverable": reach}

    def _binding(self, sol: _Solution) -> tuple[str, ...]:
        fm = self.fm
        out: list[str] = []
        left = fm.pool_left(sol)
        used_any = {f for alloc in sol.funding.values() for f in alloc}
        for f, pool in enumerate(fm.pools):
            if f in used_any and pool.remaining > 0 and \
                    (pool.remaining - left[f]) >= _BINDING_USED * pool.remaining:
                out.append(f"pool_budget:{pool.id}")
        load, value = fm.loads(sol)
        for i, prov in enumerate(fm.providers):
            if load[i] and load[i] >= fm.capacity[i]:
                out.append(f"provider_capacity:{prov.id}")
            if fm.fair_cap is not None and value[i] >= _BINDING_USED * fm.fair_cap:
                out.append(f"provider_share:{prov.id}")
        for j in sorted(sol.selected):
            cost = fm.project_cost(j, sol)
            for f, a in sorted(sol.funding.get(j, {}).items()):
                t = fm.fund_pos[(j, f)]
                cap = fm.cap(t, cost)
                if cap < cost and a >= cap:
                    out.append(f"pool_project_cap:{fm.pools[f].id}:{fm.projects[j].id}")
        for k in sorted(fm.pinned_pairs):
            out.append(f"pinned:{fm.units[int(fm.pair_unit[k])].key[0]}:"
                       f"{fm.providers[int(fm.pair_prov[k])].id}")
        for t in sorted(fm.pinned_funds):
            out.append(f"pinned:{fm.projects[int(fm.fund_project[t])].id}:"
                       f"{fm.pools[int(fm.fund_pool[t])].id}")
        return tuple(out)


def _gap(value: float, bound: float) -> float:
    if not math.isfinite(bound):
        return math.inf
    if bound <= 0:
        return 0.0
    return max(0.0, (bound - value) / bound)


def _northwest(supply: list[int], demand: list[int]) -> list[list[int]]:
    """Integer matrix with the given row (demand) and column (supply) sums; sums must agree."""
    out = [[0] * len(supply) for _ in demand]
    s = list(supply)
    q = 0
    for r, d in enumerate(demand):
        need = d
        while need > 0 and q < len(s):
            give = min(need, s[q])
            out[r][q] += give
            need -= give
            s[q] -= give
            if s[q] == 0:
                q += 1
    return out


def _restrict(model: LinearModel, fix: np.ndarray, values: np.ndarray
              ) -> tuple[LinearModel, np.ndarray, np.ndarray]:
    """The model with columns ``fix`` set to ``values``.

    Returns the sub-model (free columns, rows shifted, rows without free columns dropped), the
    free column indices and the kept row indices.
    """
    free_idx = np.flatnonzero(~fix)
    fixed_idx = np.flatnonzero(fix)
    A = model.A.tocsc()
    shift = A[:, fixed_idx] @ values[fixed_idx] if len(fixed_idx) else np.zeros(model.n_rows)
    A_free = A[:, free_idx].tocsr()
    keep = np.diff(A_free.indptr) > 0
    row_lb = model.row_lb - shift
    row_ub = model.row_ub - shift
    # fixed continuous values read back from a solver carry ~1e-8 relative noise: a "<=" row
    # that ends up a hair below 0 (e.g. a pool fully used by fixed projects) means 0
    noise = 1e-6 * np.maximum(1.0, np.abs(model.row_ub))
    row_ub = np.where((row_ub < 0) & (row_ub > -noise) & np.isinf(model.row_lb), 0.0, row_ub)
    sub = LinearModel(
        c=model.c[free_idx], lb=model.lb[free_idx], ub=model.ub[free_idx],
        integer=model.integer[free_idx], A=A_free[keep],
        row_lb=row_lb[keep], row_ub=row_ub[keep],
        offset=float(model.c[fixed_idx] @ values[fixed_idx]) + model.offset)
    return sub, free_idx, np.flatnonzero(keep)
