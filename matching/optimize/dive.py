"""Diving on an LP: its integer columns fixed batch by batch, re-solved from the last basis.

A rounding of the selection LP (:mod:`matching.optimize.pipeline`, step 3) that keeps the LP's
balance between projects: the fractional selections closest to 1 are fixed at 1, the LP is
re-solved (HiGHS, dual simplex from the last basis: a fraction of a second each), and so on;
when none is close to 1 (or time runs out) the fractional ones are fixed at 0, and after one
more re-solve what is still fractional is set to 0 (the columns that depend on it are the
caller's: :func:`~matching.optimize.formulation.Formulation.decode` leaves such a project out).
A batch that makes the LP infeasible is fixed at 0 instead (always feasible: a project left out
frees what it used).

>>> from scipy import sparse
>>> m = LinearModel(c=np.array([3.0, 2.0, 2.0]), lb=np.zeros(3), ub=np.ones(3),
...                 integer=np.array([True, True, True]),
...                 A=sparse.csr_matrix(np.array([[2.0, 1.0, 1.0]])),
...                 row_lb=np.array([-np.inf]), row_ub=np.array([2.0]))
>>> import time
>>> x = dive(m, SolverRunner("highs", time.perf_counter() + 5), seconds=5)
>>> x is None or sorted(np.round(x).tolist()) in ([0.0, 1.0, 1.0], [0.0, 0.0, 1.0])
True
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from ..solvers import LinearModel, available_solvers, highs_lp, new_highs
from .instance import FloatArray
from .runner import SolverRunner

__all__ = ["dive"]

#: A value this far from 0 and 1 is fractional.
_TOL = 1e-6
#: Fractional values at least this high are fixed at 1 together.
_FIX_UP = 0.6
#: At most this many re-solves.
_MAX_ROUNDS = 60


def dive(model: LinearModel, runner: SolverRunner, *, seconds: float,
         latest: float | None = None) -> FloatArray | None:
    """A solution of the LP ``model`` whose integer columns (bounds 0 and 1) are integral, or
    ``None`` (HiGHS not installed, or the LP not solved in time).

    New fixes stop after ``seconds``; the re-solves that finish the dive may go on until
    ``latest`` (``time.perf_counter()``; default: half a second before the runner's deadline).
    """
    integer = np.flatnonzero(model.integer)
    if not len(integer) or runner.solver != "highs" or "highs" not in available_solvers():
        return None
    import highspy

    stop = time.perf_counter() + min(seconds, runner.remaining())
    hard_stop = runner.deadline - 0.5 if latest is None else min(latest, runner.deadline - 0.5)
    h = new_highs()
    h.passModel(highs_lp(model, mip=False))
    settings: dict[str, Any] = {"presolve": "off"}
    if runner.threads is not None:
        settings["threads"] = int(runner.threads)
    settings.update(runner.options)
    for key, value in settings.items():
        h.setOptionValue(key, value)
    lower = model.lb[integer].copy()
    upper = model.ub[integer].copy()
    batch = np.zeros(0, dtype=np.int64)
    last_s = 0.0
    rounded_down = False
    for round_ in range(_MAX_ROUNDS + 1):
        started = time.perf_counter()
        # past ``stop`` a re-solve still gets twice the last one's time (the last fixes are
        # small steps), never past the runner's deadline
        limit = min(max(stop - started, 2 * last_s, 1.0), hard_stop - started)
        if limit <= 0:
            return None
        h.setOptionValue("time_limit", float(h.getRunTime()) + limit)
        h.run()
        last_s = time.perf_counter() - started
        status = h.getModelStatus()
        if status == highspy.HighsModelStatus.kInfeasible and len(batch):
            lower[batch], upper[batch] = 0.0, 0.0  # that batch cannot all go ahead
            _set_bounds(h, integer[batch], lower[batch], upper[batch])
            batch = np.zeros(0, dtype=np.int64)
            continue
        if status != highspy.HighsModelStatus.kOptimal:
            return None
        x = np.asarray(h.getSolution().col_value, dtype=np.float64)
        values = x[integer]
        fractional = np.flatnonzero((values > _TOL) & (values < 1 - _TOL))
        if not len(fractional):
            return x
        if rounded_down:  # what the last fixes at 0 left fractional stays out
            x[integer[fractional]] = 0.0
            return x
        batch = fractional[values[fractional] >= _FIX_UP]
        if not len(batch) or round_ >= _MAX_ROUNDS - 1 or time.perf_counter() + 2 * last_s > stop:
            # none close to 1, or out of rounds or time: what is still fractional stays out
            rounded_down = True
            upper[fractional] = 0.0
            _set_bounds(h, integer[fractional], lower[fractional], upper[fractional])
            batch = np.zeros(0, dtype=np.int64)
            continue
        lower[batch] = 1.0
        _set_bounds(h, integer[batch], lower[batch], upper[batch])
    return None


def _set_bounds(h: Any, columns: Any, lower: FloatArray, upper: FloatArray) -> None:
    h.changeColsBounds(len(columns), np.asarray(columns, dtype=np.int32),
                       np.asarray(lower, dtype=np.float64), np.asarray(upper, dtype=np.float64))
