"""Step 1: the LP relaxation, an upper bound, by column generation on large models.

>>> COLUMN_GENERATION_MIN
40000
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from ..reasons import Reason
from ..solvers import SolveOutcome
from .formulation import Formulation, restrict
from .runner import SolverRunner

__all__ = ["COLUMN_GENERATION_MIN", "solve_relaxation"]

#: Above this many columns the LP relaxation is solved by column generation.
COLUMN_GENERATION_MIN = 40_000
#: Columns each unit (project) starts with in the master LP: its best providers and pools.
_MASTER_PROVIDERS = 5
_MASTER_POOLS = 4
_MAX_ROUNDS = 15


def solve_relaxation(form: Formulation, runner: SolverRunner, *, gap: float,
                     stats: dict[str, Any], notes: list[Reason]) -> SolveOutcome:
    """LP relaxation of the formulation; by column generation above
    :data:`COLUMN_GENERATION_MIN` columns.

    The master LP starts with each project's 5 best providers and 4 best pools; every other
    column is priced with the master's row duals (``rc = c - A.T @ duals``) and the
    improving ones are added until none is left.  The returned bound adds
    ``sum(max(rc, 0) * ub)`` over columns left out, so it is valid even if the loop stops
    early.
    """
    model = form.model
    if model.n_cols <= COLUMN_GENERATION_MIN:
        return runner.run(model, mip=False)
    started = time.perf_counter()
    master = _initial_master(form)
    scale = max(1e-12, float(np.abs(model.c).mean()))
    for round_ in range(_MAX_ROUNDS):
        sub, free_idx, kept_rows = restrict(model, ~master, np.zeros(model.n_cols))
        out = runner.run(sub, mip=False)
        if not out.has_solution or out.row_duals is None or out.x is None:
            notes.append(Reason("column_generation_stopped", {"status": out.status}))
            return runner.run(model, mip=False)
        duals = np.zeros(model.n_rows)
        duals[kept_rows] = out.row_duals
        reduced = model.c - model.A.T @ duals
        enter = ~master & (reduced > 1e-9 * scale) & (model.ub > 0)
        stats["cg_iterations"] = round_ + 1
        # stop when the columns left out can add at most 5 % of the gap target
        missing = float(np.sum(np.maximum(reduced[enter], 0.0) * model.ub[enter]))
        if not enter.any() or missing <= 0.05 * gap * abs(float(out.objective or 0.0)) \
                or runner.remaining() < 1.0:
            break
        master |= enter
    x = np.zeros(model.n_cols)
    x[free_idx] = out.x
    value = model.objective(x)
    missing = float(np.sum(np.maximum(reduced[~master], 0.0) * model.ub[~master]))
    stats["cg_columns"] = int(master.sum())
    # the master's value plus what the columns left out could add bounds the LP only when the
    # master was solved to optimality (its duals are then the optimal ones)
    bound = value + missing if out.status == "optimal" else None
    return SolveOutcome(out.status, x, value, bound, time.perf_counter() - started,
                        out.solver, "column generation", dict(out.info), reduced, duals)


def _initial_master(form: Formulation) -> np.ndarray[Any, np.dtype[np.bool_]]:
    """Each unit's best providers, every selection column, each project's best pools, pins."""
    inst, columns = form.inst, form.columns
    z0 = columns.first_fund
    master = np.zeros(form.model.n_cols, dtype=bool)
    for pairs in inst.unit_pairs:
        master[pairs[:_MASTER_PROVIDERS]] = True
    master[columns.n_pairs:z0] = True
    for funds in inst.project_funds:
        best = sorted(funds, key=lambda t: inst.fund_rank[t])[:_MASTER_POOLS]
        master[[z0 + t for t in best]] = True
    master[list(inst.pinned_pairs)] = True
    master[[z0 + t for t in inst.pinned_funds]] = True
    return master
