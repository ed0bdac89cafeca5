"""Step 1: the LP relaxation, an upper bound, by column generation on large models.

>>> COLUMN_GENERATION_MIN
40000
"""

from __future__ import annotations

import dataclasses
import math
import time
from typing import Any

import numpy as np

from ..reasons import Reason
from ..solvers import LinearModel, SolveOutcome
from .formulation import Formulation, restrict
from .instance import BoolArray, FloatArray, IntArray
from .master import IncrementalMaster
from .runner import SolverRunner
from .tighten import tighten_duals

__all__ = ["COLUMN_GENERATION_MIN", "lagrangian_bound", "solve_relaxation"]

#: Above this many columns the LP relaxation is solved by column generation.
COLUMN_GENERATION_MIN = 40_000
#: Columns each unit (project) starts with in the master LP: its best providers and pools.
_MASTER_PROVIDERS = 5
_MASTER_POOLS = 4
#: The same when the master grows in place (HiGHS): re-solving after adding columns is cheap.
_GROWING_PROVIDERS = 2
_GROWING_POOLS = 2
#: At most this many columns enter the growing master per round.
_ENTER_PER_ROUND = 20_000
#: Share of the time left that column generation may use (rounding and the selection MIP
#: need the rest).
_LP_SHARE = 0.75
_MAX_ROUNDS = 15
_MAX_GROWING_ROUNDS = 200
#: Passes of :func:`tighten_duals` over the rows after each round.
_TIGHTEN_PASSES = 2
#: A raw bound this far above the master's value (relative) gets one pass of tightening.
_FAR = 0.1
#: Column generation stops when its bound is within this share of the gap target of the
#: master's value (rounding loses a little more).
_STOP_SHARE = 0.5


def lagrangian_bound(model: LinearModel, duals: FloatArray) -> float:
    """An upper bound on ``model`` (maximised) from any row multipliers.

    For every ``x`` within the column bounds and rows, ``c @ x <= sum_i y_i * b_i +
    sum_j max(rc_j * lb_j, rc_j * ub_j)`` with ``rc = c - A.T @ y``, ``b_i`` the row's upper
    side where ``y_i > 0`` and its lower side where ``y_i < 0`` (a multiplier pointing at an
    infinite side is set to 0).  Valid whatever ``duals`` are; equal to the LP optimum at the
    optimal duals.

    >>> from scipy import sparse
    >>> m = LinearModel(c=np.array([1.0, 2.0]), lb=np.zeros(2), ub=np.ones(2),
    ...                 integer=np.array([False, False]),
    ...                 A=sparse.csr_matrix(np.array([[1.0, 1.0]])),
    ...                 row_lb=np.array([-np.inf]), row_ub=np.array([1.0]))
    >>> lagrangian_bound(m, np.array([2.0])), lagrangian_bound(m, np.array([0.0]))
    (2.0, 3.0)
    """
    y = np.asarray(duals, dtype=np.float64).copy()
    y[~np.isfinite(y)] = 0.0
    y[(y > 0) & np.isinf(model.row_ub)] = 0.0
    y[(y < 0) & np.isinf(model.row_lb)] = 0.0
    side = np.where(y > 0, np.where(np.isinf(model.row_ub), 0.0, model.row_ub),
                    np.where(np.isinf(model.row_lb), 0.0, model.row_lb))
    rows = float(np.dot(y, side))
    reduced = model.c - model.A.T @ y
    with np.errstate(invalid="ignore"):  # 0 * inf: a column with a zero reduced cost adds 0
        at_upper = np.where(reduced > 0, reduced * model.ub, 0.0)
        at_lower = np.where(reduced < 0, reduced * model.lb, 0.0)
    return rows + float(at_upper.sum()) + float(at_lower.sum()) + model.offset


def solve_relaxation(form: Formulation, runner: SolverRunner, *, gap: float,
                     stats: dict[str, Any], notes: list[Reason]) -> SolveOutcome:
    """LP relaxation of the formulation; by column generation above
    :data:`COLUMN_GENERATION_MIN` columns.

    The master LP starts with each project's 5 best providers and 4 best pools and leaves out
    the pools' caps on each candidate's price (:attr:`Formulation.optional_rows`: they make
    the LP several times slower and the bound barely tighter; the integer money enforces
    them).  Every other column is priced with the master's row duals (``rc = c - A.T @
    duals``) and the improving ones are added until none is left.  The bound is
    :func:`lagrangian_bound` of the whole model at the master's duals (0 on the rows left
    out): valid even if the loop stops early.
    """
    model = form.model
    if model.n_cols <= COLUMN_GENERATION_MIN:
        return runner.run(model, mip=False)
    started = time.perf_counter()
    kept = np.flatnonzero(~form.optional_rows) if len(form.optional_rows) else \
        np.arange(model.n_rows)
    lean = LinearModel(c=model.c, lb=model.lb, ub=model.ub, integer=model.integer,
                       A=model.A.tocsr()[kept], row_lb=model.row_lb[kept],
                       row_ub=model.row_ub[kept], offset=model.offset)
    stats["lp_rows_left_out"] = model.n_rows - len(kept)
    if runner.solver == "highs":
        master = _initial_master(form, _GROWING_PROVIDERS, _GROWING_POOLS)
        return _generate_incrementally(form, lean, kept, master, runner, gap=gap, stats=stats,
                                       notes=notes, started=started)
    master = _initial_master(form)
    scale = max(1e-12, float(np.abs(model.c).mean()))
    bound = math.inf
    for round_ in range(_MAX_ROUNDS):
        sub, free_idx, kept_rows = restrict(lean, ~master, np.zeros(model.n_cols))
        out = runner.run(sub, mip=False)
        if not out.has_solution or out.row_duals is None or out.x is None:
            notes.append(Reason("column_generation_stopped", {"status": out.status}))
            return runner.run(model, mip=False)
        duals = np.zeros(model.n_rows)
        duals[kept[kept_rows]] = out.row_duals
        bound = min(bound, lagrangian_bound(model, duals))
        reduced = model.c - model.A.T @ duals
        enter = ~master & (reduced > 1e-9 * scale) & (model.ub > 0)
        stats["cg_iterations"] = round_ + 1
        value = float(out.objective or 0.0)
        # stop when the bound is within 5 % of the gap target of the master's value
        if not enter.any() or bound - value <= 0.05 * gap * abs(value) \
                or runner.remaining() < 1.0:
            break
        master |= enter
    x = np.zeros(model.n_cols)
    x[free_idx] = out.x
    stats["cg_columns"] = int(master.sum())
    return SolveOutcome(out.status, x, model.objective(x), bound, time.perf_counter() - started,
                        out.solver, "column generation", dict(out.info), reduced, duals)


def _generate_incrementally(form: Formulation, lean: LinearModel, kept: IntArray,
                            master: BoolArray, runner: SolverRunner, *, gap: float,
                            stats: dict[str, Any], notes: list[Reason], started: float
                            ) -> SolveOutcome:
    """Column generation on one HiGHS model that grows (each round starts from the last
    basis); stops within :data:`_LP_SHARE` of the time left, keeping the last round solved
    to optimality.  Every round's bound is :func:`lagrangian_bound` at its duals tightened by
    :func:`tighten_duals` (the best over the rounds is kept); half the entering columns are
    priced by those tightened multipliers (:func:`_entering_columns`)."""
    model = form.model
    stop_at = time.perf_counter() + _LP_SHARE * runner.remaining()
    lp = IncrementalMaster(lean, np.flatnonzero(master), threads=runner.threads,
                           options=runner.options)
    bound = math.inf
    best: SolveOutcome | None = None
    for round_ in range(_MAX_GROWING_ROUNDS):
        out = lp.solve(min(stop_at, runner.deadline) - time.perf_counter())
        stats["cg_iterations"] = round_ + 1
        if out.status != "optimal" or out.row_duals is None or out.x is None:
            notes.append(Reason("column_generation_stopped", {"status": out.status}))
            break
        duals = np.zeros(model.n_rows)
        duals[kept] = out.row_duals
        tightening = time.perf_counter()
        value = float(out.objective or 0.0)
        raw = lagrangian_bound(model, duals)
        # far from the master's value the multipliers only price columns: one pass will do
        passes = 1 if raw - value > _FAR * abs(value) else _TIGHTEN_PASSES
        tightened = tighten_duals(model, duals, passes=passes, seconds=0.1 * runner.remaining())
        bound = min(bound, raw, lagrangian_bound(model, tightened))
        reduced = model.c - model.A.T @ duals
        best = SolveOutcome(out.status, out.x, model.objective(out.x), bound, 0.0, out.solver,
                            "column generation", dict(out.info), reduced, duals)
        stats.setdefault("cg_rounds", []).append(
            (round(out.seconds, 2), round(time.perf_counter() - tightening, 2), round(value, 2),
             round(bound, 2)))
        # stop when the bound is within :data:`_STOP_SHARE` of the gap target of the master's
        # value, or when another round half as long again as this one would not finish (a
        # round stopped by its time limit is lost)
        round_s = out.seconds + time.perf_counter() - tightening
        if bound - value <= _STOP_SHARE * gap * abs(value) \
                or time.perf_counter() + max(1.0, 1.5 * round_s) > stop_at:
            break
        chosen = _entering_columns(model, master, reduced, model.c - model.A.T @ tightened)
        if not len(chosen):
            break
        lp.add(chosen)
        master[chosen] = True
    stats["cg_columns"] = int(master.sum())
    if best is None:
        return runner.run(model, mip=False, time_limit=0.5)
    return dataclasses.replace(best, bound=bound, seconds=time.perf_counter() - started)


def _entering_columns(model: LinearModel, master: BoolArray, reduced: FloatArray,
                      priced: FloatArray) -> IntArray:
    """Columns to add to the master: half of :data:`_ENTER_PER_ROUND` the most improving by
    the master's duals (``reduced``), half by the tightened multipliers (``priced``: close to
    the whole LP's duals, they point at the columns of its optimum)."""
    scale = max(1e-12, float(np.abs(model.c).mean()))
    half = _ENTER_PER_ROUND // 2
    chosen = []
    for costs in (reduced, priced):
        enter = np.flatnonzero(~master & (costs > 1e-9 * scale) & (model.ub > 0))
        if len(enter) > half:
            enter = enter[np.argpartition(-costs[enter], half)[:half]]
        chosen.append(enter)
    return np.union1d(chosen[0], chosen[1])


def _initial_master(form: Formulation, providers: int = _MASTER_PROVIDERS,
                    pools: int = _MASTER_POOLS) -> BoolArray:
    """Each unit's best providers, every selection column, each project's best pools, pins."""
    inst, columns = form.inst, form.columns
    z0 = columns.first_fund
    master = np.zeros(form.model.n_cols, dtype=bool)
    for pairs in inst.unit_pairs:
        master[pairs[:providers]] = True
    master[columns.n_pairs:z0] = True
    for funds in inst.project_funds:
        best = sorted(funds, key=lambda t: inst.fund_rank[t])[:pools]
        master[[z0 + t for t in best]] = True
    master[list(inst.pinned_pairs)] = True
    master[[z0 + t for t in inst.pinned_funds]] = True
    return master
