"""A column-generation master LP kept alive between rounds (HiGHS): columns are added to the
solved model and the simplex restarts from its last basis instead of from scratch.

>>> from scipy import sparse
>>> from matching.solvers import LinearModel
>>> m = LinearModel(c=np.array([1.0, 2.0]), lb=np.zeros(2), ub=np.ones(2),
...                 integer=np.array([False, False]),
...                 A=sparse.csr_matrix(np.array([[1.0, 1.0]])),
...                 row_lb=np.array([-np.inf]), row_ub=np.array([1.0]))
>>> master = IncrementalMaster(m, np.array([0]), threads=None, options={})
>>> master.solve(5.0).objective
1.0
>>> master.add(np.array([1]))
>>> out = master.solve(5.0)
>>> out.objective, [abs(v) for v in out.x.tolist()], len(out.row_duals)
(2.0, [0.0, 1.0], 1)
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np
from scipy import sparse

from ..solvers import LinearModel, SolveOutcome, highs_lp, highs_outcome, new_highs
from .instance import IntArray

__all__ = ["IncrementalMaster"]


class IncrementalMaster:
    """The LP ``model`` over a growing set of its columns, all rows kept, solved by HiGHS.

    :meth:`solve` returns vectors over *all* the model's columns (0 where a column is not in
    the master yet) and the duals of all its rows.
    """

    def __init__(self, model: LinearModel, columns: IntArray, *, threads: int | None,
                 options: dict[str, Any]):
        self.model = model
        self._csc = model.A.tocsc()
        self.columns = np.asarray(columns, dtype=np.int64)
        self._h = new_highs()
        self._h.passModel(highs_lp(self._restricted(self.columns), mip=False))
        settings: dict[str, Any] = {"presolve": "off"}
        if threads is not None:
            settings["threads"] = int(threads)
        settings.update(options)
        for key, value in settings.items():
            self._h.setOptionValue(key, value)

    def _restricted(self, columns: IntArray) -> LinearModel:
        m = self.model
        return LinearModel(c=m.c[columns], lb=m.lb[columns], ub=m.ub[columns],
                           integer=np.zeros(len(columns), dtype=bool),
                           A=sparse.csr_matrix(self._csc[:, columns]), row_lb=m.row_lb,
                           row_ub=m.row_ub, offset=m.offset)

    def add(self, columns: IntArray) -> None:
        """Add these columns (not yet in the master) to it."""
        columns = np.asarray(columns, dtype=np.int64)
        if not len(columns):
            return
        m = self.model
        block = sparse.csc_matrix(self._csc[:, columns])
        self._h.addCols(len(columns), m.c[columns].astype(np.float64),
                        m.lb[columns].astype(np.float64), m.ub[columns].astype(np.float64),
                        int(block.nnz), block.indptr[:-1].astype(np.int32),
                        block.indices.astype(np.int32), block.data.astype(np.float64))
        self.columns = np.concatenate([self.columns, columns])

    def solve(self, time_limit: float) -> SolveOutcome:
        """Re-solve from the last basis within ``time_limit`` seconds."""
        # HiGHS counts its time limit from the model's first run, over all runs
        self._h.setOptionValue("time_limit",
                               float(self._h.getRunTime()) + float(max(time_limit, 0.01)))
        started = time.perf_counter()
        self._h.run()
        sub = self._restricted(self.columns)
        out = highs_outcome(sub, False, self._h, time.perf_counter() - started, 0.0)
        if out.x is None:
            return out
        x = np.zeros(self.model.n_cols)
        x[self.columns] = out.x
        return SolveOutcome(out.status, x, out.objective, out.bound, out.seconds, out.solver,
                            out.message, out.info, None, out.row_duals)
