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

import importlib.util
import math
import os
import re
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

__all__ = ["LinearModel", "SolveOutcome", "available_solvers", "highs_lp", "highs_outcome",
           "new_highs", "solve_linear"]

FloatArray = npt.NDArray[np.float64]


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
    info: dict[str, Any] = field(default_factory=dict)
    reduced_costs: np.ndarray | None = None
    row_duals: np.ndarray | None = None

    @property
    def has_solution(self) -> bool:
        return self.status in ("optimal", "feasible") and self.x is not None


def _cbc_path() -> str | None:
    """The CBC binary bundled with PuLP, else a ``cbc`` on ``PATH``."""
    from pulp.apis.coin_api import PULP_CBC_CMD

    path = PULP_CBC_CMD.pulp_cbc_path
    if path and os.path.exists(path) and os.access(path, os.X_OK):
        return str(path)
    return shutil.which("cbc")


def _has_highs() -> bool:
    """Whether ``highspy`` (the optional ``highs`` extra) is installed."""
    return importlib.util.find_spec("highspy") is not None


def available_solvers() -> tuple[str, ...]:
    """Backends usable here, in order of preference.

    >>> "cbc" in available_solvers()
    True
    """
    out = []
    if _cbc_path() is not None:
        out.append("cbc")
    if _has_highs():
        out.append("highs")
    return tuple(out)


def solve_linear(model: LinearModel, *, solver: str = "cbc", mip: bool = True,
                 time_limit: float | None = None, gap: float | None = None,
                 gap_abs: float | None = None, warm_start: np.ndarray | None = None, threads: int | None = None,
                 options: dict[str, Any] | None = None) -> SolveOutcome:
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
    request = _Request(mip, time_limit, gap, gap_abs, warm_start, threads, options or {})
    if solver == "cbc":
        return _solve_cbc(model, request)
    if solver == "highs":
        return _solve_highs(model, request)
    raise ValueError(f"solver: must be 'cbc' or 'highs', got {solver!r}")


# --------------------------------------------------------------------------- CBC via PuLP

_BEST_POSSIBLE = re.compile(r"best possible (-?[0-9.eE+]+)")
_UPPER = re.compile(r"^(?:Upper|Lower) bound:\s*(-?[0-9.eE+]+)", re.M)


@dataclass(frozen=True)
class _Request:
    """What :func:`solve_linear` asks of a backend besides the model."""

    mip: bool
    time_limit: float | None
    gap: float | None
    gap_abs: float | None
    warm_start: FloatArray | None
    threads: int | None
    options: dict[str, Any]


def _solve_cbc(model: LinearModel, request: _Request) -> SolveOutcome:
    import pulp

    started = time.perf_counter()
    path = _cbc_path()
    if path is None:
        return SolveOutcome("error", None, None, None, 0.0, "cbc", "CBC binary not found")
    prob, variables, row_constraints = _pulp_model(model, request.mip)
    warm = _set_warm_start(variables, request)
    build_s = time.perf_counter() - started
    fd, log_path = tempfile.mkstemp(prefix="cbc_", suffix=".log")
    os.close(fd)
    try:
        prob.solve(_cbc_command(path, request, warm, log_path))
    except pulp.PulpSolverError as exc:
        return SolveOutcome("error", None, None, None, time.perf_counter() - started, "cbc", str(exc))
    finally:
        log = _read_and_remove(log_path)
    return _cbc_outcome(model, request, prob, variables, row_constraints, log,
                        time.perf_counter() - started, build_s)


def _pulp_model(model: LinearModel, mip: bool) -> tuple[Any, list[Any], list[list[Any]]]:
    """The model as a PuLP problem: its variables, and the constraints written for each row
    (none for an empty row, two for a row bounded on both sides)."""
    import pulp
    from pulp import LpAffineExpression, LpConstraint, constants

    n = model.n_cols
    prob = pulp.LpProblem("match", constants.LpMaximize)
    lb = model.lb.tolist()
    ub = model.ub.tolist()
    integer = model.integer.tolist()
    continuous, integral = constants.LpContinuous, constants.LpInteger
    variables = [prob.add_variable(f"x{i}", None if lb[i] == -math.inf else lb[i],
                                   None if ub[i] == math.inf else ub[i],
                                   integral if (mip and integer[i]) else continuous) for i in range(n)]
    nonzero = np.flatnonzero(model.c)
    objective = LpAffineExpression([(variables[i], float(model.c[i])) for i in nonzero.tolist()])
    if not len(nonzero) and n:
        objective = LpAffineExpression([(variables[0], 0.0)])
    prob.setObjective(objective)
    matrix = model.A.tocsr()
    indptr, indices, data = matrix.indptr.tolist(), matrix.indices.tolist(), matrix.data.tolist()
    row_lb, row_ub = model.row_lb.tolist(), model.row_ub.tolist()
    eq, le, ge = constants.LpConstraintEQ, constants.LpConstraintLE, constants.LpConstraintGE
    row_constraints: list[list[Any]] = [[] for _ in range(model.n_rows)]
    for r in range(model.n_rows):
        start, end = indptr[r], indptr[r + 1]
        if start == end:
            continue
        expr = LpAffineExpression([(variables[indices[j]], data[j]) for j in range(start, end)])
        lower, upper = row_lb[r], row_ub[r]
        written = []
        if lower == upper:
            written.append(LpConstraint(expr, eq, f"r{r}", upper))
        else:
            if upper != math.inf:
                written.append(LpConstraint(expr, le, f"r{r}", upper))
            if lower != -math.inf:
                written.append(LpConstraint(LpAffineExpression(expr), ge, f"g{r}", lower))
        for con in written:
            prob.addConstraint(con)
            row_constraints[r].append(con)
    return prob, variables, row_constraints


def _set_warm_start(variables: list[Any], request: _Request) -> bool:
    """Initial values from ``request.warm_start`` (MIP only); whether there are any."""
    from pulp import constants

    if not request.mip or request.warm_start is None:
        return False
    for var, value in zip(variables, request.warm_start.tolist()):
        var.setInitialValue(round(value) if var.cat == constants.LpInteger else value, check=False)
    return True


def _cbc_command(path: str, request: _Request, warm: bool, log_path: str) -> Any:
    from pulp import COIN_CMD

    mip = request.mip
    settings: dict[str, Any] = {} if mip else {"primalSimplex": ""}  # Clp's primal is 2-5x faster here
    settings.update(request.options)
    cmd_options = [f"{k} {v}".strip() for k, v in settings.items()]
    return COIN_CMD(path=path, mip=mip, msg=False, timeLimit=request.time_limit,
                    gapRel=request.gap if mip else None, gapAbs=request.gap_abs if mip else None,
                    warmStart=warm, threads=request.threads, logPath=log_path, options=cmd_options)


def _read_and_remove(path: str) -> str:
    try:
        with open(path, encoding="utf-8", errors="replace") as fh:
            log = fh.read()
    except OSError:
        log = ""
    try:
        os.unlink(path)
    except OSError:
        pass
    return log


def _cbc_outcome(model: LinearModel, request: _Request, prob: Any, variables: list[Any],
                 row_constraints: list[list[Any]], log: str, seconds: float, build_s: float
                 ) -> SolveOutcome:
    """The outcome read from PuLP's *solution* status, the values, duals (LP) and CBC's bound."""
    from pulp import constants

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
    x = np.array([v.varValue if v.varValue is not None else 0.0 for v in variables], dtype=np.float64)
    reduced = duals = None
    if not request.mip:
        reduced = np.array([v.dj if v.dj is not None else 0.0 for v in variables], dtype=np.float64)
        duals = np.array([sum((c.pi or 0.0) for c in cons) for cons in row_constraints],
                         dtype=np.float64)
    objective = model.objective(x)
    optimal = sol == constants.LpSolutionOptimal
    bound = _cbc_bound(model, request, log, objective, optimal)
    return SolveOutcome("optimal" if optimal else "feasible", x, objective, bound, seconds, "cbc", "",
                        info, reduced, duals)


def _cbc_bound(model: LinearModel, request: _Request, log: str, objective: float,
               optimal: bool) -> float | None:
    """The LP value, or the MIP bound from CBC's log (no worse than the gap CBC stopped at)."""
    if not request.mip:
        return objective if optimal else None
    bound = None
    found = _BEST_POSSIBLE.findall(log)
    if found:
        bound = -float(found[-1]) + model.offset  # CBC minimises -c @ x internally
    else:
        found = _UPPER.findall(log)
        if found:
            bound = float(found[-1]) + model.offset
    if optimal:
        # CBC only reports "Optimal" once the gap criterion holds
        proven = objective + (request.gap or 0.0) * max(abs(objective), 1e-9) + (request.gap_abs or 0.0)
        bound = proven if bound is None else min(bound, proven)
    return bound


# --------------------------------------------------------------------------- HiGHS via highspy

_banner_done = False


def new_highs() -> Any:
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


def _solve_highs(model: LinearModel, request: _Request) -> SolveOutcome:
    if not _has_highs():
        return SolveOutcome("error", None, None, None, 0.0, "highs", "highspy is not installed")
    import highspy

    started = time.perf_counter()
    h = new_highs()
    status = h.passModel(highs_lp(model, request.mip))
    if status == highspy.HighsStatus.kError:
        return SolveOutcome("error", None, None, None, time.perf_counter() - started, "highs",
                            "HiGHS rejected the model")
    settings: dict[str, Any] = {"presolve": "off"}
    if request.time_limit is not None:
        settings["time_limit"] = float(max(request.time_limit, 0.01))
    if request.gap is not None and request.mip:
        settings["mip_rel_gap"] = float(request.gap)
    if request.gap_abs is not None and request.mip:
        settings["mip_abs_gap"] = float(max(request.gap_abs, 0.0))
    if request.threads is not None:
        settings["threads"] = int(request.threads)
    settings.update(request.options)
    for key, value in settings.items():
        h.setOptionValue(key, value)
    if request.mip and request.warm_start is not None:
        sol = highspy.HighsSolution()
        sol.col_value = np.where(model.integer, np.round(request.warm_start), request.warm_start).tolist()
        sol.value_valid = True
        h.setSolution(sol)
    build_s = time.perf_counter() - started
    h.run()
    return highs_outcome(model, request.mip, h, time.perf_counter() - started, build_s)


def highs_lp(model: LinearModel, mip: bool) -> Any:
    """The model as a ``highspy.HighsLp`` (row-wise matrix, maximising)."""
    import highspy

    inf = highspy.kHighsInf
    lp = highspy.HighsLp()
    lp.num_col_ = model.n_cols
    lp.num_row_ = model.n_rows
    lp.col_cost_ = np.asarray(model.c, dtype=np.float64)
    lp.col_lower_ = np.where(np.isinf(model.lb), -inf, model.lb).astype(np.float64)
    lp.col_upper_ = np.where(np.isinf(model.ub), inf, model.ub).astype(np.float64)
    lp.row_lower_ = np.where(np.isinf(model.row_lb), -inf, model.row_lb).astype(np.float64)
    lp.row_upper_ = np.where(np.isinf(model.row_ub), inf, model.row_ub).astype(np.float64)
    matrix = model.A.tocsr()
    lp.a_matrix_.format_ = highspy.MatrixFormat.kRowwise
    lp.a_matrix_.start_ = matrix.indptr.astype(np.int32)
    lp.a_matrix_.index_ = matrix.indices.astype(np.int32)
    lp.a_matrix_.value_ = matrix.data.astype(np.float64)
    lp.sense_ = highspy.ObjSense.kMaximize
    lp.offset_ = float(model.offset)
    if mip and bool(np.any(model.integer)):
        integral, continuous = highspy.HighsVarType.kInteger, highspy.HighsVarType.kContinuous
        lp.integrality_ = [integral if b else continuous for b in model.integer.tolist()]
    return lp


def highs_outcome(model: LinearModel, mip: bool, h: Any, seconds: float,
                   build_s: float) -> SolveOutcome:
    """The outcome read from HiGHS's model status and *primal solution* status."""
    import highspy

    status = h.getModelStatus()
    info_obj = h.getInfo()
    info = {"build_s": build_s, "model_status": h.modelStatusToString(status)}
    statuses = highspy.HighsModelStatus
    if status == statuses.kInfeasible:
        return SolveOutcome("infeasible", None, None, None, seconds, "highs", "infeasible", info)
    if status in (statuses.kUnbounded, statuses.kUnboundedOrInfeasible):
        return SolveOutcome("unbounded" if status == statuses.kUnbounded else "infeasible", None, None, None,
                            seconds, "highs", info["model_status"], info)
    if info_obj.primal_solution_status != 2:  # kSolutionStatusFeasible
        return SolveOutcome("no_solution", None, None, None, seconds, "highs",
                            info["model_status"], info)
    solution = h.getSolution()
    x = np.asarray(solution.col_value, dtype=np.float64)
    is_mip = mip and bool(np.any(model.integer))
    reduced = duals = None
    if not is_mip and solution.dual_valid:
        reduced = np.asarray(solution.col_dual, dtype=np.float64)
        duals = np.asarray(solution.row_dual, dtype=np.float64)
    objective = model.objective(x)
    bound = None
    if is_mip:
        dual_bound = float(info_obj.mip_dual_bound)
        if math.isfinite(dual_bound) and abs(dual_bound) < 1e300:
            bound = dual_bound
    elif status == statuses.kOptimal:
        bound = objective
    return SolveOutcome("optimal" if status == statuses.kOptimal else "feasible", x, objective, bound,
                        seconds, "highs", info["model_status"], info, reduced, duals)
