""":func:`solve`: check the arguments, choose the backend, index the problem, run the pipeline.

>>> from matching.types import MatchProblem
>>> solve(MatchProblem(projects=[], providers=[])).status
'no_candidates'
"""

from __future__ import annotations

import math
import time
from typing import Any

from ..candidates import generate_candidates
from ..reasons import Reason
from ..solvers import available_solvers
from ..types import CandidateSet, MatchProblem, MatchResult
from .instance import Instance
from .pipeline import Pipeline
from .runner import SolverRunner

__all__ = ["solve"]


def solve(problem: MatchProblem, *, candidates: CandidateSet | None = None,
          solver: str = "cbc", time_limit: float = 60.0, gap: float = 1e-3,
          threads: int | None = None, mip_max_projects: int = 3_000,
          solver_options: dict[str, Any] | None = None, fast_path: bool = True) -> MatchResult:
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
    fast_path : bool
        Solve a pure assignment (no pool money, no fairness cap, no split project; see
        :func:`matching.optimize.flow.flow_blocker`) as a min-cost flow without a solver
        (default).  ``False`` always takes the MILP path.

    Returns
    -------
    MatchResult

    Raises
    ------
    ValueError
        If an argument is invalid (the message names it).

    Examples
    --------
    >>> from matching.reasons import render
    >>> from matching.types import ProjectSpec, ProviderSpec, PoolSpec
    >>> projects = [ProjectSpec(id="p1", title="长者助餐", category="elderly", street_id="s1",
    ...                         budget=30_000_000, description="为独居老人提供上门助餐"),
    ...             ProjectSpec(id="p2", title="四点半课堂", category="children", street_id="s1",
    ...                         budget=20_000_000, description="课后托管与作业辅导")]
    >>> providers = [ProviderSpec(id="a", name="长者之家", categories=["elderly"],
    ...                           whole_district=True, capability="居家养老、助餐配送")]
    >>> pools = [PoolSpec(id="f", name="福田区民生微实事资金", remaining=20_000_000)]
    >>> res = solve(MatchProblem(projects=projects, providers=providers, pools=pools))
    >>> res.status, [(u.project_id, u.reason.code) for u in res.unmatched]
    ('optimal', [('p1', 'pools_exhausted'), ('p2', 'no_provider_for_category')])
    >>> render(res.unmatched[0].reason)
    'pools exhausted: needs 300,000, 200,000 left'
    """
    called = time.perf_counter()
    _check_arguments(problem, candidates, solver, time_limit, gap, threads)
    notes: list[Reason] = []
    backend = _choose_backend(solver, notes)
    candidates_s = 0.0
    if candidates is None:
        started = time.perf_counter()
        candidates = generate_candidates(problem)
        candidates_s = time.perf_counter() - started
    # the time limit covers the optimisation only
    runner = SolverRunner(backend, deadline=called + candidates_s + float(time_limit),
                          threads=threads, options=solver_options or {})
    outcome = Pipeline(Instance(problem, candidates), runner, gap=float(gap),
                       mip_max_projects=mip_max_projects, notes=notes,
                       fast_path=fast_path).run()
    stats = dict(outcome.stats)
    stats["candidates_s"] = candidates_s
    return MatchResult(status=outcome.status, objective=outcome.objective, bound=outcome.bound,
                       gap=outcome.gap, assignments=outcome.assignments,
                       unmatched=outcome.unmatched, binding=outcome.binding,
                       solver=outcome.solver, seconds=time.perf_counter() - called,
                       notes=tuple(notes), stats=stats)


def _check_arguments(problem: MatchProblem, candidates: CandidateSet | None, solver: str,
                     time_limit: float, gap: float, threads: int | None) -> None:
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


def _choose_backend(solver: str, notes: list[Reason]) -> str:
    """The backend to use for ``solver``; a fallback is noted."""
    have = available_solvers()
    if solver == "auto":
        solver = "highs" if "highs" in have else "cbc"
    if solver == "highs" and "highs" not in have:
        notes.append(Reason("solver_fallback", {"solver": "highs", "fallback": "cbc"}))
        solver = "cbc"
    if solver == "cbc" and "cbc" not in have:  # pragma: no cover - PuLP ships CBC
        if "highs" not in have:
            raise ValueError("solver: neither CBC nor HiGHS is available")
        notes.append(Reason("solver_fallback", {"solver": "cbc", "fallback": "highs"}))
        solver = "highs"
    return solver
