"""Tighter Lagrangian multipliers, one short row at a time.

:func:`~matching.optimize.relaxation.lagrangian_bound` is valid for any row multipliers; a
column-generation master's duals leave many columns with a positive reduced cost, each adding
to the bound.  :func:`tighten_duals` moves each short row's multiplier (a unit or funding row)
to the value that minimises the bound with the others held (a one-dimensional convex
piecewise-linear minimum, found among its breakpoints).  The bound only goes down, and stays
valid whatever the result: the caller recomputes it from the returned multipliers.

>>> from scipy import sparse
>>> from matching.solvers import LinearModel
>>> m = LinearModel(c=np.array([1.0, 2.0]), lb=np.zeros(2), ub=np.ones(2),
...                 integer=np.array([False, False]),
...                 A=sparse.csr_matrix(np.array([[1.0, 1.0]])),
...                 row_lb=np.array([-np.inf]), row_ub=np.array([1.0]))
>>> from matching.optimize.relaxation import lagrangian_bound
>>> lagrangian_bound(m, np.array([0.0])), lagrangian_bound(m, tighten_duals(m, np.array([0.0])))
(3.0, 2.0)
"""

from __future__ import annotations

import time

import numpy as np

from ..solvers import LinearModel
from .instance import FloatArray

__all__ = ["tighten_duals"]

#: Rows with more entries than this keep their multiplier (capacity and pool rows).
_SHORT_ROW = 64


def tighten_duals(model: LinearModel, duals: FloatArray, *, passes: int = 2,
                  seconds: float = 10.0) -> FloatArray:
    """Multipliers at most as bad as ``duals`` for the bound (see the module docstring)."""
    stop = time.perf_counter() + seconds
    y = np.asarray(duals, dtype=np.float64).copy()
    y[(y > 0) & np.isinf(model.row_ub)] = 0.0
    y[(y < 0) & np.isinf(model.row_lb)] = 0.0
    matrix = model.A.tocsr()
    reduced = model.c - matrix.T @ y
    lengths = np.diff(matrix.indptr)
    rows = np.flatnonzero((lengths > 0) & (lengths <= _SHORT_ROW)).tolist()
    for _ in range(passes):
        for r in rows:
            start, end = matrix.indptr[r], matrix.indptr[r + 1]
            cols = matrix.indices[start:end]
            a = matrix.data[start:end]
            base = reduced[cols] + a * y[r]
            best = _best_multiplier(model, r, base, a, model.lb[cols], model.ub[cols], y[r])
            reduced[cols] = base - a * best
            y[r] = best
        if time.perf_counter() > stop:
            break
    return y


def _best_multiplier(model: LinearModel, r: int, base: FloatArray, a: FloatArray,
                     lb: FloatArray, ub: FloatArray, current: float) -> float:
    """The multiplier of row ``r`` minimising its part of the bound, the others held."""
    upper, lower = float(model.row_ub[r]), float(model.row_lb[r])
    if not (np.all(np.isfinite(lb)) and np.all(np.isfinite(ub))):
        return current
    nonzero = a != 0
    trial = np.concatenate([base[nonzero] / a[nonzero], [0.0, current]])
    if np.isinf(upper):
        trial = trial[trial <= 0]
    if np.isinf(lower):
        trial = trial[trial >= 0]
    if not len(trial):
        return current
    value = base[None, :] - a[None, :] * trial[:, None]
    columns = np.where(value > 0, value * ub[None, :], value * lb[None, :]).sum(axis=1)
    side = np.where(trial > 0, upper if np.isfinite(upper) else 0.0,
                    lower if np.isfinite(lower) else 0.0)
    total = trial * side + columns
    return float(trial[int(np.argmin(total))])
