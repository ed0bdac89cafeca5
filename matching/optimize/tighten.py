"""Tighter Lagrangian multipliers by exact coordinate descent over groups of disjoint rows.

:func:`~matching.optimize.relaxation.lagrangian_bound` is valid for any row multipliers; a
column-generation master's duals leave many columns with a positive reduced cost, each adding
to the bound.  :func:`tighten_duals` moves each row's multiplier to the value that minimises
the bound with the others held (a one-dimensional convex piecewise-linear minimum, found among
its breakpoints).  Rows that share no column do not interact, so each group of pairwise
disjoint rows (:func:`disjoint_row_groups`) is moved at once, all in numpy.  The bound only
goes down, and stays valid whatever the result: the caller recomputes it from the returned
multipliers.

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
from scipy import sparse

from ..solvers import LinearModel
from .instance import BoolArray, FloatArray, IntArray

__all__ = ["disjoint_row_groups", "tighten_duals"]

#: At most this many groups of disjoint rows; rows left over keep their multiplier.
_MAX_GROUPS = 64


def tighten_duals(model: LinearModel, duals: FloatArray, *, passes: int = 4,
                  seconds: float = 10.0) -> FloatArray:
    """Multipliers at most as bad as ``duals`` for the bound (see the module docstring)."""
    stop = time.perf_counter() + seconds
    y = np.asarray(duals, dtype=np.float64).copy()
    y[~np.isfinite(y)] = 0.0
    y[(y > 0) & np.isinf(model.row_ub)] = 0.0
    y[(y < 0) & np.isinf(model.row_lb)] = 0.0
    matrix = sparse.csr_matrix(model.A)
    matrix.eliminate_zeros()
    reduced = model.c - matrix.T @ y
    infinite_cols = ~(np.isfinite(model.lb) & np.isfinite(model.ub))
    groups = disjoint_row_groups(matrix)
    for _ in range(passes):
        for rows in groups:
            block = sparse.csr_matrix(matrix[rows])
            best = _best_multipliers(model, rows, block, reduced, y, infinite_cols)
            step = best - y[rows]
            moved = step != 0
            if moved.any():
                reduced -= block[moved].T @ step[moved]
                y[rows] = best
            if time.perf_counter() > stop:
                return y
    return y


def disjoint_row_groups(matrix: sparse.csr_matrix) -> list[IntArray]:
    """The non-empty rows of ``matrix`` in groups whose rows share no column.

    Each round puts in a group every row left that is the first (lowest index) left at each
    of its columns.

    >>> a = sparse.csr_matrix(np.array([[1, 1, 0], [0, 1, 1], [0, 0, 1], [1, 0, 0]]))
    >>> [g.tolist() for g in disjoint_row_groups(a)]
    [[0], [1, 3], [2]]
    """
    n_rows, n_cols = matrix.shape
    lengths = np.diff(matrix.indptr)
    entry_row = np.repeat(np.arange(n_rows, dtype=np.int64), lengths)
    entry_col = matrix.indices.astype(np.int64)
    left = lengths > 0
    groups: list[IntArray] = []
    while left.any() and len(groups) < _MAX_GROUPS:
        live = left[entry_row]
        rows, cols = entry_row[live], entry_col[live]
        first = np.full(n_cols, n_rows, dtype=np.int64)
        np.minimum.at(first, cols, rows)
        blocked = np.bincount(rows[first[cols] != rows], minlength=n_rows) > 0
        chosen = left & ~blocked
        groups.append(np.flatnonzero(chosen))
        left &= ~chosen
    return groups


def _best_multipliers(model: LinearModel, rows: IntArray, block: sparse.csr_matrix,
                      reduced: FloatArray, y: FloatArray, infinite_cols: BoolArray) -> FloatArray:
    """Each row's multiplier minimising its part of the bound, the other rows held (rows with
    a column without finite bounds keep theirs)."""
    current = y[rows]
    parts = _RowParts(model, rows, block, reduced, current)
    at_current = parts.value_at(current)
    at_zero = parts.value_at(np.zeros(len(rows)))
    best_point, best_value = parts.best_breakpoints()
    out = current.copy()
    margin = 1e-12 * np.maximum(1.0, np.abs(at_current))
    zero_better = (at_zero < at_current - margin) & (at_zero <= best_value)
    point_better = (best_value < at_current - margin) & ~zero_better
    out[zero_better] = 0.0
    out[point_better] = best_point[point_better]
    fixed = np.bincount(parts.entry_row, weights=infinite_cols[block.indices].astype(np.float64),
                        minlength=len(rows)) > 0
    out[fixed] = current[fixed]
    return out


class _RowParts:
    """The rows' parts of the bound as functions of their multipliers.

    Row ``r``'s part at multiplier ``v`` is ``v * side(v) + sum_k f_k(base_k - a_k v)`` with
    ``f_k(w) = w * ub_k`` for ``w > 0``, ``w * lb_k`` otherwise: convex and piecewise linear,
    its minimum at 0, at the current value or at a breakpoint ``base_k / a_k``.
    """

    def __init__(self, model: LinearModel, rows: IntArray, block: sparse.csr_matrix,
                 reduced: FloatArray, current: FloatArray):
        n = self.n = len(rows)
        self.starts = block.indptr[:-1]
        self.entry_row = np.repeat(np.arange(n, dtype=np.int64), np.diff(block.indptr))
        cols, a = block.indices, block.data
        self.a = a
        self.base = reduced[cols] + a * current[self.entry_row]
        lb, ub = model.lb[cols], model.ub[cols]
        lb, ub = np.where(np.isfinite(lb), lb, 0.0), np.where(np.isfinite(ub), ub, 0.0)
        # below its breakpoint a term has slope m_left, past it m_right
        m_left = np.where(a > 0, ub, lb)
        self.jump = np.where(a > 0, lb, ub) - m_left
        self.left_base = np.bincount(self.entry_row, weights=self.base * m_left, minlength=n)
        self.left_slope = np.bincount(self.entry_row, weights=a * m_left, minlength=n)
        self.upper, self.lower = model.row_ub[rows], model.row_lb[rows]
        self.point = self.base / a

    def value(self, row: IntArray, v: FloatArray, past_base: FloatArray,
              past_slope: FloatArray) -> FloatArray:
        """Row ``row``'s part at ``v``, ``past_*`` summed over the terms past their breakpoint
        (``inf`` outside the multiplier's sign)."""
        side = np.where(v > 0, self.upper[row], self.lower[row])
        with np.errstate(invalid="ignore"):
            out = np.where(v == 0, 0.0, v * side) + self.left_base[row] \
                - v * self.left_slope[row] + past_base - v * past_slope
        return np.where(np.isnan(out), np.inf, out)

    def value_at(self, v: FloatArray) -> FloatArray:
        """Each row's part at its multiplier ``v[r]``."""
        past = np.where(v[self.entry_row] >= self.point, 1.0, 0.0)
        past_base = np.bincount(self.entry_row, weights=past * self.base * self.jump,
                                minlength=self.n).astype(np.float64)
        past_slope = np.bincount(self.entry_row, weights=past * self.a * self.jump,
                                 minlength=self.n).astype(np.float64)
        return self.value(np.arange(self.n), v, past_base, past_slope)

    def best_breakpoints(self) -> tuple[FloatArray, FloatArray]:
        """Each row's best breakpoint and its part there (``inf`` for a row without one)."""
        # each row's breakpoints sorted: at one, the terms up to it are past theirs
        order = np.lexsort((self.point, self.entry_row))
        rows, points = self.entry_row[order], self.point[order]
        step_base = np.cumsum((self.base * self.jump)[order])
        step_slope = np.cumsum((self.a * self.jump)[order])
        before_base = np.concatenate([[0.0], step_base])[self.starts][rows]
        before_slope = np.concatenate([[0.0], step_slope])[self.starts][rows]
        values = self.value(rows, points, step_base - before_base, step_slope - before_slope)
        allowed = np.where(points > 0, np.isfinite(self.upper[rows]),
                           np.where(points < 0, np.isfinite(self.lower[rows]), True))
        values = np.where(allowed & np.isfinite(points), values, np.inf)
        best_point = np.full(self.n, np.inf)
        best_value = np.full(self.n, np.inf)
        if len(order):
            by_value = np.lexsort((values, rows))
            found, first = np.unique(rows[by_value], return_index=True)
            best_point[found] = points[by_value[first]]
            best_value[found] = values[by_value[first]]
        return best_point, best_value
