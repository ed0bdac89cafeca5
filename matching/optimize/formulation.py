"""The assignment and funding MILP, written once as sparse matrices (a :class:`LinearModel`).

Columns, in this order (:class:`Columns`): ``x[k]`` binary for each candidate pair (unit,
provider); ``y[j]`` binary "project j goes ahead" for viable projects that need funding, are
split into lots, or need funding only; ``z[t]`` continuous money (in the instance's money unit)
from pool to project for each funding pair.  Rows, in this order:

* unit rows - each unit gets at most one provider; all lots of a split project or none
  (``sum_k x[k] = y[j]``);
* capacity rows - a provider's pairs <= its capacity; fairness: its contracts' value <= the
  fairness cap (only where the pairs could exceed them);
* funding rows - a funded project is covered exactly (``sum_t z[t] = cost``), and per pool
  the per-project maximum and co-funding share (``z[t] <= cap``, linked to ``y`` on small
  models, see :data:`TIGHT_ROWS_MAX`);
* pool rows - no pool above its remaining budget.

Objective: ``sum priority * score * budget`` (in units of the mean budget) plus tie-breaking
terms below 1e-7 of it that prefer lower provider ids, then lower project ids.  Pins are lower
bounds of 1; forbidden pairs have no column.

>>> from matching.types import MatchProblem, ProjectSpec, ProviderSpec, CandidateSet, Candidate
>>> prob = MatchProblem(projects=[ProjectSpec(id=1, title="t", category="c", street_id="s",
...                                           budget=10, needs_funding=False)],
...                     providers=[ProviderSpec(id="a", name="A", categories=["c"])])
>>> cands = CandidateSet({(1, None): (Candidate(1, "a", 0.5, {}, 10),)}, {})
>>> form = build_formulation(Instance(prob, cands))
>>> form.model.n_cols, form.model.n_rows, form.columns.n_pairs
(1, 1, 1)
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from scipy import sparse

from ..solvers import LinearModel
from ..types import id_key
from .instance import BoolArray, FloatArray, Instance, IntArray
from .solution import Solution

__all__ = ["TIGHT_ROWS_MAX", "Columns", "Formulation", "build_formulation", "pair_objective",
           "restrict"]

#: Up to this many (pool, project) pairs the model links money to selection row by row.
TIGHT_ROWS_MAX = 20_000

#: Raw funding read from a model vector: ``(project, funding pair) -> fen`` (a float).
RawFunding = dict[tuple[int, int], float]


@dataclass(frozen=True)
class Columns:
    """Where each kind of variable sits in the model's column vector."""

    n_pairs: int
    n_select: int
    n_fund: int
    #: Column of project j's "goes ahead" variable, or -1 if it has none.
    select_of: IntArray
    #: Whether money is linked to selection row by row (small models).
    tight_rows: bool

    @property
    def first_fund(self) -> int:
        """Column of funding pair 0."""
        return self.n_pairs + self.n_select

    @property
    def n_cols(self) -> int:
        return self.n_pairs + self.n_select + self.n_fund


@dataclass
class _Rows:
    """Rows collected in coordinate form: ``lower <= sum(value * x[col]) <= upper``."""

    row: list[int] = field(default_factory=list)
    col: list[int] = field(default_factory=list)
    value: list[float] = field(default_factory=list)
    lower: list[float] = field(default_factory=list)
    upper: list[float] = field(default_factory=list)
    #: Rows a relaxation may leave out (each pool's cap on each candidate's price).
    optional: list[bool] = field(default_factory=list)

    def add(self, entries: list[tuple[int, float]], lower: float, upper: float,
            optional: bool = False) -> None:
        r = len(self.lower)
        for col, value in entries:
            self.row.append(r)
            self.col.append(col)
            self.value.append(value)
        self.lower.append(lower)
        self.upper.append(upper)
        self.optional.append(optional)


@dataclass
class Formulation:
    """The MILP of an instance and how to read its vectors back."""

    inst: Instance
    columns: Columns
    model: LinearModel
    #: Rows the LP relaxation of a large model may leave out (the pools' caps on each
    #: candidate's price): the integer money of :mod:`matching.optimize.money` enforces them.
    optional_rows: BoolArray = field(default_factory=lambda: np.zeros(0, dtype=bool))

    def binaries_of_project(self, j: int) -> list[int]:
        """Project j's pair columns and its selection column."""
        out = self.inst.pairs_of_project(j)
        if self.columns.select_of[j] >= 0:
            out.append(int(self.columns.select_of[j]))
        return out

    def decode(self, x: FloatArray) -> tuple[Solution, RawFunding]:
        """Integer choices and raw funding (fen, float) from a model vector."""
        inst, columns = self.inst, self.columns
        sol = Solution()
        for u, pairs in enumerate(inst.unit_pairs):
            if not pairs:
                continue
            values = x[pairs]
            best = int(np.argmax(values))
            if values[best] > 0.5:
                sol.chosen[u] = pairs[best]
        for j, project in enumerate(inst.projects):
            if not inst.viable[j]:
                continue
            units = inst.project_units[j]
            y = columns.select_of[j]
            if project.needs_provider:
                goes_ahead = all(u in sol.chosen for u in units)
                if y >= 0 and x[y] < 0.5:
                    goes_ahead = False
            else:
                goes_ahead = bool(x[y] > 0.5)
            if goes_ahead:
                sol.selected.add(j)
            else:
                for u in units:
                    sol.chosen.pop(u, None)
        raw: RawFunding = {}
        for t in range(columns.n_fund):
            amount = float(x[columns.first_fund + t]) * inst.money_unit
            if amount > 1e-3:
                raw[(int(inst.fund_project[t]), t)] = amount
        return sol, raw

    def encode(self, sol: Solution) -> FloatArray:
        """Model vector of an integer solution (for warm starts)."""
        inst, columns = self.inst, self.columns
        x = np.zeros(self.model.n_cols)
        for k in sol.chosen.values():
            x[k] = 1.0
        for j in sol.selected:
            if columns.select_of[j] >= 0:
                x[columns.select_of[j]] = 1.0
        for j, amounts in sol.funding.items():
            for f, amount in amounts.items():
                t = inst.fund_position.get((j, f))
                if t is not None:
                    x[columns.first_fund + t] = amount / inst.money_unit
        return x


def build_formulation(inst: Instance) -> Formulation:
    """The full MILP of an instance (see the module docstring)."""
    columns = _layout(inst)
    n = columns.n_cols
    objective = _objective(inst, columns)
    lower, upper, integer = _column_bounds(inst, columns)
    rows = _Rows()
    _unit_rows(inst, columns, rows)
    _capacity_rows(inst, rows)
    _funding_rows(inst, columns, rows)
    _pool_rows(inst, columns, rows, upper)
    matrix = sparse.csr_matrix(
        (np.asarray(rows.value, dtype=np.float64),
         (np.asarray(rows.row, dtype=np.int64), np.asarray(rows.col, dtype=np.int64))),
        shape=(len(rows.lower), n))
    matrix.sum_duplicates()
    model = LinearModel(c=objective, lb=lower, ub=upper, integer=integer, A=matrix,
                        row_lb=np.asarray(rows.lower, dtype=np.float64),
                        row_ub=np.asarray(rows.upper, dtype=np.float64))
    return Formulation(inst, columns, model, np.asarray(rows.optional, dtype=bool))


def _layout(inst: Instance) -> Columns:
    n_pairs = len(inst.pair_unit)
    select_of = np.full(len(inst.projects), -1, dtype=np.int64)
    n_select = 0
    for j, project in enumerate(inst.projects):
        if inst.viable[j] and (project.needs_funding or project.lots or not project.needs_provider):
            select_of[j] = n_pairs + n_select
            n_select += 1
    n_fund = len(inst.fund_project)
    return Columns(n_pairs, n_select, n_fund, select_of, n_fund <= TIGHT_ROWS_MAX)


def pair_objective(inst: Instance) -> FloatArray:
    """Objective coefficient of each candidate pair: ``priority * score * budget`` (in units of
    the mean budget) plus tie-breaking terms below 1e-7 of it that prefer lower provider ids,
    then lower project ids.  Shared by the MILP and the flow fast path."""
    n_pairs = len(inst.pair_unit)
    n_providers = max(1, len(inst.providers))
    provider_rank = np.empty(len(inst.providers), dtype=np.float64)
    order = sorted(range(len(inst.providers)), key=lambda i: id_key(inst.providers[i].id))
    provider_rank[order] = np.arange(len(inst.providers))
    n_projects = max(1, len(inst.projects))
    pair_weight = inst.unit_weight[inst.pair_unit] if n_pairs else np.zeros(0)
    pair_project = np.array(inst.unit_project, dtype=np.int64)[inst.pair_unit] if n_pairs else \
        np.zeros(0, dtype=np.int64)
    out: FloatArray = pair_weight * inst.pair_score \
        + 1e-7 * pair_weight * (1 - provider_rank[inst.pair_provider] / n_providers) \
        + 1e-8 * pair_weight * (1 - pair_project / n_projects)
    return out


def _objective(inst: Instance, columns: Columns) -> FloatArray:
    """Score-weighted value, with tie-breaking terms on providers and projects (not on money:
    they make the LP badly degenerate; the split between pools is the solver's, deterministic
    for a given input)."""
    c = np.zeros(columns.n_cols)
    c[:columns.n_pairs] = pair_objective(inst)
    n_projects = max(1, len(inst.projects))
    funding_only = inst.problem.options.funding_only_score
    for j, project in enumerate(inst.projects):
        y = columns.select_of[j]
        if y >= 0 and not project.needs_provider:
            weight = inst.project_weight[j]
            c[y] = weight * funding_only + 1e-8 * weight * (1 - j / n_projects)
    return c


def _column_bounds(inst: Instance, columns: Columns) -> tuple[FloatArray, FloatArray, BoolArray]:
    """Bounds: nothing for projects that cannot go ahead, money within reach, pins at 1."""
    n = columns.n_cols
    lower = np.zeros(n)
    upper = np.ones(n)
    integer = np.zeros(n, dtype=bool)
    integer[:columns.n_pairs + columns.n_select] = True
    z0 = columns.first_fund
    for j in np.flatnonzero(~inst.viable).tolist():
        for u in inst.project_units[j]:
            upper[inst.unit_pairs[u]] = 0.0
    for t in range(columns.n_fund):
        j = int(inst.fund_project[t])
        if not inst.viable[j]:
            upper[z0 + t] = 0.0
        else:
            max_cost = inst.max_cost(j)
            upper[z0 + t] = min(inst.remaining[int(inst.fund_pool[t])],
                                inst.cap(t, max_cost)) / inst.money_unit
    for k in inst.pinned_pairs:
        lower[k] = 1.0
    for j in inst.pinned_projects:
        if columns.select_of[j] >= 0:
            lower[columns.select_of[j]] = 1.0
    for t in inst.pinned_funds:
        lower[z0 + t] = min(1.0 / inst.money_unit, upper[z0 + t])
    return lower, upper, integer


def _unit_rows(inst: Instance, columns: Columns, rows: _Rows) -> None:
    for j in range(len(inst.projects)):
        y = int(columns.select_of[j])
        for u in inst.project_units[j]:
            entries = [(k, 1.0) for k in inst.unit_pairs[u]]
            if not entries:
                continue
            if y >= 0:
                rows.add(entries + [(y, -1.0)], 0.0, 0.0)
            else:
                rows.add(entries, -np.inf, 1.0)


def _capacity_rows(inst: Instance, rows: _Rows) -> None:
    """Capacity and fairness rows of the providers whose pairs could exceed them."""
    money = inst.money_unit
    by_provider: dict[int, list[int]] = {}
    for k in range(len(inst.pair_unit)):
        by_provider.setdefault(int(inst.pair_provider[k]), []).append(k)
    for i, pairs in sorted(by_provider.items()):
        if len(pairs) > inst.capacity[i]:
            rows.add([(k, 1.0) for k in pairs], -np.inf, float(inst.capacity[i]))
        # summed in float: int64 wraps around silently past 2**63
        if inst.fairness_cap is not None and \
                float(inst.pair_price[pairs].sum(dtype=np.float64)) > inst.fairness_cap:
            rows.add([(k, float(inst.pair_price[k]) / money) for k in pairs], -np.inf,
                     inst.fairness_cap / money)


def _funding_rows(inst: Instance, columns: Columns, rows: _Rows) -> None:
    """Cost covered exactly, and each pool's cap on each project it may fund."""
    money = inst.money_unit
    z0 = columns.first_fund
    for j, project in enumerate(inst.projects):
        if not project.needs_funding or not inst.viable[j]:
            continue
        y = int(columns.select_of[j])
        funds = inst.project_funds[j]
        price = inst.uniform_price(j)
        cost_entries = [(y, -price / money)] if price is not None else [
            (k, -float(inst.pair_price[k]) / money) for k in inst.pairs_of_project(j)]
        rows.add([(z0 + t, 1.0) for t in funds] + cost_entries, 0.0, 0.0)
        for t in funds:
            if price is not None:
                _uniform_cap_row(inst, columns, rows, j, t, price)
            elif project.lots:
                _lot_cap_rows(inst, columns, rows, j, t)
            else:
                _price_cap_row(inst, columns, rows, j, t)


def _uniform_cap_row(inst: Instance, columns: Columns, rows: _Rows, j: int, t: int,
                     price: int) -> None:
    # z <= cap is already the column bound (y = 0 forces z = 0 through the funding row);
    # z <= cap * y only tightens the LP, worth it on small models
    cap = inst.pools[int(inst.fund_pool[t])].cap_for(price)
    if cap < price and columns.tight_rows:
        y = int(columns.select_of[j])
        rows.add([(columns.first_fund + t, 1.0), (y, -cap / inst.money_unit)], -np.inf, 0.0)


def _lot_cap_rows(inst: Instance, columns: Columns, rows: _Rows, j: int, t: int) -> None:
    """A split project's cost depends on every lot's provider: the share on each pair's price."""
    pool = inst.pools[int(inst.fund_pool[t])]
    money = inst.money_unit
    z = columns.first_fund + t
    if pool.max_share < 1.0:
        rows.add([(z, 1.0)] + [
            (k, -math.floor(pool.max_share * float(inst.pair_price[k]) + 1e-9) / money)
            for k in inst.pairs_of_project(j)], -np.inf, 0.0)
    if pool.max_per_project is not None and pool.max_per_project < inst.max_cost(j):
        y = int(columns.select_of[j])
        rows.add([(z, 1.0), (y, -pool.max_per_project / money)], -np.inf, 0.0)


def _price_cap_row(inst: Instance, columns: Columns, rows: _Rows, j: int, t: int) -> None:
    """The pool's cap on each candidate's price, where it is below the price."""
    pool = inst.pools[int(inst.fund_pool[t])]
    pairs = inst.unit_pairs[inst.project_units[j][0]]
    caps = [pool.cap_for(int(inst.pair_price[k])) for k in pairs]
    if any(cap < int(inst.pair_price[k]) for cap, k in zip(caps, pairs)):
        rows.add([(columns.first_fund + t, 1.0)]
                 + [(k, -cap / inst.money_unit) for cap, k in zip(caps, pairs)], -np.inf, 0.0,
                 optional=True)


def _pool_rows(inst: Instance, columns: Columns, rows: _Rows, upper: FloatArray) -> None:
    """Remaining budget of every pool whose funding pairs could together exceed it."""
    money = inst.money_unit
    z0 = columns.first_fund
    by_pool: dict[int, list[int]] = {}
    for t in range(columns.n_fund):
        by_pool.setdefault(int(inst.fund_pool[t]), []).append(t)
    for f, funds in sorted(by_pool.items()):
        if float(upper[[z0 + t for t in funds]].sum()) * money > inst.remaining[f]:
            rows.add([(z0 + t, 1.0) for t in funds], -np.inf, inst.remaining[f] / money)


def restrict(model: LinearModel, fix: BoolArray, values: FloatArray
             ) -> tuple[LinearModel, IntArray, IntArray]:
    """The model with columns ``fix`` set to ``values``.

    Returns the sub-model (free columns, rows shifted, rows without free columns dropped), the
    free column indices and the kept row indices.
    """
    free_idx = np.flatnonzero(~fix)
    fixed_idx = np.flatnonzero(fix)
    matrix = model.A.tocsc()
    shift = matrix[:, fixed_idx] @ values[fixed_idx] if len(fixed_idx) else np.zeros(model.n_rows)
    free_matrix = matrix[:, free_idx].tocsr()
    keep = np.diff(free_matrix.indptr) > 0
    row_lb = model.row_lb - shift
    row_ub = model.row_ub - shift
    # fixed continuous values read back from a solver carry ~1e-8 relative noise: a "<=" row
    # that ends up a hair below 0 (e.g. a pool fully used by fixed projects) means 0
    noise = 1e-6 * np.maximum(1.0, np.abs(model.row_ub))
    row_ub = np.where((row_ub < 0) & (row_ub > -noise) & np.isinf(model.row_lb), 0.0, row_ub)
    sub = LinearModel(
        c=model.c[free_idx], lb=model.lb[free_idx], ub=model.ub[free_idx],
        integer=model.integer[free_idx], A=free_matrix[keep],
        row_lb=row_lb[keep], row_ub=row_ub[keep],
        offset=float(model.c[fixed_idx] @ values[fixed_idx]) + model.offset)
    return sub, free_idx, np.flatnonzero(keep)
