"""Solver backends for linear models given as sparse matrices.

The optimiser writes its formulation once, as a :class:`LinearModel` (maximise ``c @ x``
subject to ``row_lb <= A @ x <= row_ub``, ``lb <= x <= ub``, some ``x`` integer), and hands
it to a backend:

``"cbc"``
    CBC through PuLP (``pulp.COIN_CMD`` pointed at the CBC binary bundled with PuLP, which
    avoids the deprecated ``PULP_CBC_CMD`` class; a ``cbc`` on ``PATH`` is used if there is no
    bundled one).  Expressions are built from (variable, coefficient) pairs with
    ``LpAffineExpression``, the fast path.  The MIP bound is read from CBC's log.
``"highs"``
    HiGHS through ``highspy`` directly (``Highs.passModel`` with numpy arrays; PuLP's HiGHS
    adapter adds columns one by one).  ``presolve="off"`` by default: HiGHS 1.16 can stall
    after presolve on assignment-shaped models (HiGHS issues #1501, #2226, #2478).

Both backends report a :class:`SolveOutcome` whose status is read from the solver's *solution*
status (PuLP's ``sol_status``, HiGHS's ``primal_solution_status``), never from the model
status alone: a time-limited run can claim "Optimal" with no usable solution.  Callers still
verify every solution against the original constraints.
"""

from __future__ import annotations

import math
import os
import re
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = ["LinearModel", "SolveOutcome", "available_solvers", "solve_linear"]


@dataclass
class LinearModel:
    """``max c @ x  s.t.  row_lb <= A @ x <= row_ub,  lb <= x <= ub,  x[integer] integral``.

    ``A`` is a ``scipy.sparse.csr_matrix``; infinite row or column bounds are ``+-numpy.inf``.
    A row must be an equality, or bounded on one side only.

    >>> from scipy import sparse
    >>> m = LinearModel(c=np.array([1.0, 2.0]), lb=np.zeros(2), ub=np.ones(2),
    ...                 integer=np.array([True, True]),
    ...                 A=sparse.csr_matrix(np.array([[1.0, 1.0]])),
    ...                 row_lb=np.array([-np.inf]), row_ub=np.array([1.0]))
    >>> m.n_cols, m.n_rows
    (2, 1)
    """

    c: np.ndarray
    lb: np.ndarray
    ub: np.ndarray
    integer: np.ndarray
    A: Any
    row_lb: np.ndarray
    row_ub: np.ndarray
    offset: float = 0.0

    @property
    def n_cols(self) -> int:
        return int(len(self.c))

    @property
    def n_rows(self) -> int:
        return int(self.A.shape[0])

    def objective(self, x: np.ndarray) -> float:
        """Objective value of ``x``."""
        return float(self.c @ x) + self.offset

    def violation(self, x: np.ndarray) -> float:
        """Largest violation of a row or column bound by ``x`` (0 if feasible)."""
        ax = self.A @ x
        worst = 0.0
        if len(ax):
            worst = max(worst, float(np.max(np.maximum(self.row_lb - ax, 0.0))),
                        float(np.max(np.maximum(ax - self.row_ub, 0.0))))
        if len(x):
            worst = max(worst, float(np.max(np.maximum(self.lb - x, 0.0))),
                        float(np.max(np.maximum(x - self.ub, 0.0))))
        return worst


@dataclass
class SolveOutcome:
    """What a backend returns.

    ``status``: ``"optimal"`` (within the requested gap), ``"feasible"`` (a solution, limit
    reached), ``"infeasible"``, ``"unbounded"``, ``"no_solution"`` (limit reached without a
    solution) or ``"error"``.  ``bound`` is a proven upper bound on the objective when the
    solver gives one.
    """

    status: str
    x: np.ndarray | None
    objective: float | None
    bound: float | None
    seconds: float
    solver: str
    message: str = ""
    info: dict = field(default_factory=dict)
    reduced_costs: np.ndarray | None = None
    row_duals: np.ndarray | None = None

    @property
    def has_solution(self) -> bool:
        return self.status in ("optimal", "feasible") and self.x is not None


def _cbc_path() -> str | None:
    try:
        from pulp.apis.coin_api import PULP_CBC_CMD
    except Exception:  # pragma: no cover - pulp missing or broken
        return shutil.which("cbc")
    path = PULP_CBC_CMD.pulp_cbc_path
    if path and os.path.exists(path) and os.access(path, os.X_OK):
        return path
    return shutil.which("cbc")


def available_solvers() -> tuple[str, ...]:
    """Backends usable here, in order of preference.

    >>> "cbc" in available_solvers()
    True
    """
    out = []
    if _cbc_path() is not None:
        out.append("cbc")
    try:
        import highspy  # noqa: F401
    except ImportError:
        pass
    else:
        out.append("highs")
    return tuple(out)


def solve_linear(model: LinearModel, *, solver: str = "cbc", mip: bool = True,
                 time_limit: float | None = None, gap: float | None = None,
                 gap_abs: float | None = None, warm_start: np.ndarray | None = None, threads: int | None = None,
                 options: dict | None = None) -> SolveOutcome:
    """Solve a :class:`LinearModel` with CBC or HiGHS.

    Parameters
    ----------
    model : LinearModel
    solver : {"cbc", "highs"}
    mip : bool
        False solves the LP relaxation.
    time_limit : float, optional
        Seconds.
    gap : float, optional
        Relative MIP gap at which to stop.
    gap_abs : float, optional
        Absolute MIP gap at which to stop (objective units, ``offset`` excluded).
    warm_start : numpy.ndarray, optional
        A feasible point to start from (MIP only).
    threads : int, optional
    options : dict, optional
        Extra solver options (HiGHS option names; CBC command-line options as
        ``{"name": value}``).

    Returns
    -------
    SolveOutcome

    Examples
    --------
    >>> from scipy import sparse
    >>> m = LinearModel(c=np.array([1.0, 2.0]), lb=np.zeros(2), ub=np.ones(2),
    ...                 integer=np.array([True, True]),
    ...                 A=sparse.csr_matrix(np.array([[1.0, 1.0]])),
    ...                 row_lb=np.array([-np.inf]), row_ub=np.array([1.0]))
    >>> out = solve_linear(m, solver="cbc")
    >>> out.status, out.objective, out.x.tolist()
    ('optimal', 2.0, [0.0, 1.0])
    """
    if solver == "cbc":
        return _solve_cbc(model, mip=mip, time_limit=time_limit, gap=gap, gap_abs=gap_abs,
                          warm_start=warm_start, threads=threads, options=options or {})
    if solver == "highs":
        return _solve_highs(model, mip=mip, time_limit=time_limit, gap=gap, gap_abs=gap_abs,
                            warm_start=warm_start, threads=threads, options=options or {})
    raise ValueError(f"solver: must be 'cbc' or 'highs', got {solver!r}")


# --------------------------------------------------------------------------- CBC via PuLP

_BEST_POSSIBLE = re.compile(r"best possible (-?[0-9.eE+]+)")
_UPPER = re.compile(r"^(?:Upper|Lower) bound:\s*(-?[0-9.eE+]+)", re.M)


def _solve_cbc(model: LinearModel, *, mip: bool, time_limit: float | None, gap: float | None,
               gap_abs: float | None, warm_start: np.ndarray | None, threads: int | None, options: dict) -> SolveOutcome:
    import pulp
    from pulp import COIN_CMD, LpAffineExpression, LpConstraint, constants

    t0 = time.perf_counter()
    path = _cbc_path()
    if path is None:
        return SolveOutcome("error", None, None, None, 0.0, "cbc", "CBC binary not found")
    n = model.n_cols
    prob = pulp.LpProblem("match", constants.LpMaximize)
    lb = model.lb.tolist()
    ub = model.ub.tolist()
    integer = model.integer.tolist()
    cont, intc = constants.LpContinuous, constants.LpInteger
    xs = [prob.add_variable(f"x{i}", None if lb[i] == -math.inf else lb[i],
                            None if ub[i] == math.inf else ub[i],
                            intc if (mip and integer[i]) else cont) for i in range(n)]
    nz = np.flatnonzero(model.c)
    obj = LpAffineExpression([(xs[i], float(model.c[i])) for i in nz.tolist()])
    if not len(nz) and n:
        obj = LpAffineExpression([(xs[0], 0.0)])
    prob.setObjective(obj)
    A = model.A.tocsr()
    indptr, indices, data = A.indptr.tolist(), A.indices.tolist(), A.data.tolist()
    rlb, rub = model.row_lb.tolist(), model.row_ub.tolist()
    EQ, LE, GE = constants.LpConstraintEQ, constants.LpConstraintLE, constants.LpConstraintGE
    row_cons: list[list] = [[] for _ in range(model.n_rows)]
    for r in range(model.n_rows):
        s, e = indptr[r], indptr[r + 1]
        if s == e:
            continue
        expr = LpAffineExpression([(xs[indices[j]], data[j]) for j in range(s, e)])
        lo, hi = rlb[r], rub[r]
        if lo == hi:
            con = LpConstraint(expr, EQ, f"r{r}", hi)
            prob.addConstraint(con)
            row_cons[r].append(con)
        else:
            if hi != math.inf:
                con = LpConstraint(expr, LE, f"r{r}", hi)
                prob.addConstraint(con)
                row_cons[r].append(con)
            if lo != -math.inf:
                con = LpConstraint(LpAffineExpression(expr), GE, f"g{r}", lo)
                prob.addConstraint(con)
                row_cons[r].append(con)
    warm = False
    if mip and warm_start is not None:
        for v, val in zip(xs, warm_start.tolist()):
            v.setInitialValue(round(val) if v.cat == intc else val, check=False)
        warm = True
    build_s = time.perf_counter() - t0
    fd, log_path = tempfile.mkstemp(prefix="cbc_", suffix=".log")
    os.close(fd)
    settings = {} if mip else {"primalSimplex": ""}  # Clp's primal is 2-5x faster here
    settings.update(options)
    cmd_options = [f"{k} {v}".strip() for k, v in settings.items()]
    cbc = COIN_CMD(path=path, mip=mip, msg=False, timeLimit=time_limit,
                   gapRel=gap if mip else None, gapAbs=gap_abs if mip else None, warmStart=warm, threads=threads,
                   logPath=log_path, options=cmd_options)
    try:
        prob.solve(cbc)
    except pulp.PulpSolverError as exc:
        return SolveOutcome("error", None, None, None, time.perf_counter() - t0, "cbc", str(exc))
    finally:
        try:
            with open(log_path, encoding="utf-8", errors="replace") as fh:
                log = fh.read()
        except OSError:
            log = ""
        try:
            os.unlink(log_path)
        except OSError:
            pass
    seconds = time.perf_counter() - t0
    sol = prob.sol_status
    info = {"build_s": build_s, "pulp_status": prob.status, "sol_status": sol}
    if sol == constants.LpSolutionInfeasible:
        return SolveOutcome("infeasible", None, None, None, seconds, "cbc", "infeasible", info)
    if sol == constants.LpSolutionUnbounded:
        return SolveOutcome("unbounded", None, None, None, seconds, "cbc", "unbounded", info)
    if sol not in (constants.LpSolutionOptimal, constants.LpSolutionIntegerFeasible):
        # CBC stopped without a solution: variables may hold fractional garbage
        return SolveOutcome("no_solution", None, None, None, seconds, "cbc",
                            "no solution within the limits", info)
    x = np.array([v.varValue if v.varValue is not None else 0.0 for v in xs], dtype=np.float64)
    rc = duals = None
    if not mip:
        rc = np.array([v.dj if v.dj is not None else 0.0 for v in xs], dtype=np.float64)
        duals = np.array([sum((c.pi or 0.0) for c in cons) for cons in row_cons],
                         dtype=np.float64)
    objective = model.objective(x)
    bound = None
    if not mip and sol == constants.LpSolutionOptimal:
        bound = objective
    elif mip:
        found = _BEST_POSSIBLE.findall(log)
        if found:
            bound = -float(found[-1]) + model.offset  # CBC minimises -c @ x internally
        else:
            found = _UPPER.findall(log)
            if found:
                bound = float(found[-1]) + model.offset
        if sol == constants.LpSolutionOptimal:
            # CBC only reports "Optimal" once the gap criterion holds
            proven = objective + (gap or 0.0) * max(abs(objective), 1e-9) + (gap_abs or 0.0)
            bound = proven if bound is None else min(bound, proven)
    status = "optimal" if sol == constants.LpSolutionOptimal else "feasible"
    return SolveOutcome(status, x, objective, bound, seconds, "cbc", "", info, rc, duals)


# --------------------------------------------------------------------------- HiGHS via highspy

_banner_done = False


def _new_highs():
    """A silent ``highspy.Highs``; the one-off copyright banner is swallowed at fd level."""
    global _banner_done
    import highspy

    if _banner_done:
        h = highspy.Highs()
    else:
        _banner_done = True
        try:
            import sys

            sys.stdout.flush()
            saved = os.dup(1)
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, 1)
            try:
                h = highspy.Highs()
            finally:
                os.dup2(saved, 1)
                os.close(saved)
                os.close(devnull)
        except OSError:  # pragma: no cover - no usable file descriptors
            h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    return h


def _solve_highs(model: LinearModel, *, mip: bool, time_limit: float | None, gap: float | None,
                 gap_abs: float | None, warm_start: np.ndarray | None, threads: int | None, options: dict
                 ) -> SolveOutcome:
    try:
        import highspy
    except ImportError:
        return SolveOutcome("error", None, None, None, 0.0, "highs", "highspy is not installed")
    t0 = time.perf_counter()
    h = _new_highs()
    inf = highspy.kHighsInf
    lp = highspy.HighsLp()
    n, m = model.n_cols, model.n_rows
    lp.num_col_ = n
    lp.num_row_ = m
    lp.col_cost_ = np.asarray(model.c, dtype=np.float64)
    lp.col_lower_ = np.where(np.isinf(model.lb), -inf, model.lb).astype(np.float64)
    lp.col_upper_ = np.where(np.isinf(model.ub), inf, model.ub).astype(np.float64)
    lp.row_lower_ = np.where(np.isinf(model.row_lb), -inf, model.row_lb).astype(np.float64)
    lp.row_upper_ = np.where(np.isinf(model.row_ub), inf, model.row_ub).astype(np.float64)
    A = model.A.tocsr()
    lp.a_matrix_.format_ = highspy.MatrixFormat.kRowwise
    lp.a_matrix_.start_ = A.indptr.astype(np.int32)
    lp.a_matrix_.index_ = A.indices.astype(np.int32)
    lp.a_matrix_.value_ = A.data.astype(np.float64)
    lp.sense_ = highspy.ObjSense.kMaximize
    lp.offset_ = float(model.offset)
    if mip and bool(np.any(model.integer)):
        K, C = highspy.HighsVarType.kInteger, highspy.HighsVarType.kContinuous
        lp.integrality_ = [K if b else C for b in model.integer.tolist()]
    status = h.passModel(lp)
    if status == highspy.HighsStatus.kError:
        return SolveOutcome("error", None, None, None, time.perf_counter() - t0, "highs",
                            "HiGHS rejected the model")
    settings: dict[str, Any] = {"presolve": "off"}
    if time_limit is not None:
        settings["time_limit"] = float(max(time_limit, 0.01))
    if gap is not None and mip:
        settings["mip_rel_gap"] = float(gap)
    if gap_abs is not None and mip:
        settings["mip_abs_gap"] = float(max(gap_abs, 0.0))
    if threads is not None:
        settings["threads"] = int(threads)
    settings.update(options)
    for key, value in settings.items():
        h.setOptionValue(key, value)
    if mip and warm_start is not None:
        sol = highspy.HighsSolution()
        sol.col_value = np.where(model.integer, np.round(warm_start), warm_start).tolist()
        sol.value_valid = True
        h.setSolution(sol)
    build_s = time.perf_counter() - t0
    h.run()
    seconds = time.perf_counter() - t0
    ms = h.getModelStatus()
    info_obj = h.getInfo()
    info = {"build_s": build_s, "model_status": h.modelStatusToString(ms)}
    S = highspy.HighsModelStatus
    if ms == S.kInfeasible:
        return SolveOutcome("infeasible", None, None, None, seconds, "highs", "infeasible", info)
    if ms in (S.kUnbounded, S.kUnboundedOrInfeasible):
        return SolveOutcome("unbounded" if ms == S.kUnbounded else "infeasible", None, None, None,
                            seconds, "highs", info["model_status"], info)
    has_primal = info_obj.primal_solution_status == 2  # kSolutionStatusFeasible
    if not has_primal:
        return SolveOutcome("no_solution", None, None, None, seconds, "highs",
                            info["model_status"], info)
    solution = h.getSolution()
    x = np.asarray(solution.col_value, dtype=np.float64)
    rc = duals = None
    if not (mip and bool(np.any(model.integer))) and solution.dual_valid:
        rc = np.asarray(solution.col_dual, dtype=np.float64)
        duals = np.asarray(solution.row_dual, dtype=np.float64)
    objective = model.objective(x)
    bound = None
    if mip and bool(np.any(model.integer)):
        db = float(info_obj.mip_dual_bound)
        if math.isfinite(db) and abs(db) < 1e300:
            bound = db
    elif ms == S.kOptimal:
        bound = objective
    status = "optimal" if ms == S.kOptimal else "feasible"
    return SolveOutcome(status, x, objective, bound, seconds, "highs", info["model_status"], info,
                        rc, duals)
