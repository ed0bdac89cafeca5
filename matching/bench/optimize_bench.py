"""Benchmark of the optimiser against solving the whole model as one MIP.

Rows (``run(quick)``), each with CBC and with HiGHS:

* the Futian demo size, 566 projects x 950 providers x 300 pools with budgets, gap target
  0.1 %, fairness cap 5 %;
* 5,000 projects x 5,000 providers x 300 pools with budgets, gap target 1 % (full run only);
* pure assignment without budgets on the MILP path (``fast_path=False``; the default flow
  fast path has its own rows in :mod:`matching.bench.flow_bench`), 2,000 x 2,000 with 20
  candidates each, against scipy's ``linear_sum_assignment`` on the same scores (full run
  only).

"ours" is the median wall time of :func:`matching.optimize.solve` (candidates precomputed);
"quality" gives its gap to the best proven bound and the status.  The reference is the same
model handed to the same solver as a single MIP (PuLP/CBC or HiGHS, same gap, 60 s limit,
timed once), with its own gap to our bound.
"""

from __future__ import annotations

import statistics
import time
from datetime import date
from typing import Any

import numpy as np

from ..candidates import generate_candidates
from ..optimize import solve
from ..optimize.formulation import build_formulation
from ..optimize.instance import Instance
from ..solvers import available_solvers, solve_linear
from ..types import (
    Candidate,
    CandidateSet,
    MatchOptions,
    MatchProblem,
    ProjectSpec,
    ProviderSpec,
    UnitKey,
)
from . import synthetic_market

REFERENCE_LIMIT = 60.0


def _row(benchmark: str, size: str, ours_s: float, reference: str, reference_s: float | None,
         quality: str) -> dict[str, Any]:
    ratio = reference_s / ours_s if (reference_s is not None and ours_s) else None
    return {"benchmark": benchmark, "size": size, "ours_s": ours_s, "reference": reference,
            "reference_s": reference_s, "ratio": ratio, "quality": quality}


def _pct(x: float) -> str:
    return "n/a" if x is None or not np.isfinite(x) else f"{100 * x:.3f} %"


def _direct_mip(problem: MatchProblem, cands: CandidateSet, solver: str, gap: float,
                bound: float) -> tuple[float, str]:
    """Time and quality of the whole model solved as one MIP by ``solver``."""
    inst = Instance(problem, cands)
    model = build_formulation(inst).model
    t0 = time.perf_counter()
    out = solve_linear(model, solver=solver, mip=True, time_limit=REFERENCE_LIMIT, gap=gap)
    seconds = time.perf_counter() - t0
    if not out.has_solution or out.objective is None:
        return seconds, f"{out.status} after {seconds:.0f} s"
    value = float(out.objective) * inst.value_scale
    ref_gap = (bound - value) / bound if bound > 0 else 0.0
    return seconds, f"gap {_pct(max(ref_gap, 0.0))} ({out.status})"


def _market_rows(name: str, problem: MatchProblem, gap: float, repeats: int,
                 reference: bool) -> list[dict[str, Any]]:
    cands = generate_candidates(problem)
    size = f"{len(problem.projects):,} x {len(problem.providers):,} x {len(problem.pools)} pools"
    rows = []
    for solver in available_solvers():
        times, result = [], None
        for _ in range(repeats):
            t0 = time.perf_counter()
            result = solve(problem, candidates=cands, solver=solver, gap=gap, time_limit=60)
            times.append(time.perf_counter() - t0)
        assert result is not None
        ours = statistics.median(times)
        quality = (f"gap {_pct(result.gap)} ({result.status}); "
                   f"{len(result.assignments):,} matched")
        if reference:
            ref_s, ref_quality = _direct_mip(problem, cands, solver, gap, result.bound)
            ref_name = f"{solver.upper()} on the whole MIP ({ref_quality})"
        else:
            ref_s, ref_name = None, "skipped in --quick"
        rows.append(_row(f"{name} [{solver}]", size, ours, ref_name, ref_s, quality))
    return rows


def _assignment_rows(n: int, k: int, repeats: int) -> list[dict[str, Any]]:
    from scipy.optimize import linear_sum_assignment

    rng = np.random.default_rng(3)
    projects = [ProjectSpec(id=f"p{i:05d}", title="t", category="c", street_id="s",
                            budget=1_000_000, needs_funding=False) for i in range(n)]
    providers = [ProviderSpec(id=f"v{j:05d}", name="v", categories=("c",), whole_district=True,
                              capacity=1) for j in range(n)]
    dense = np.zeros((n, n))
    lists: dict[UnitKey, tuple[Candidate, ...]] = {}
    for i in range(n):
        cols = rng.choice(n, size=k, replace=False)
        scores = np.round(rng.uniform(0.05, 1.0, size=k), 4)
        dense[i, cols] = scores
        lists[(projects[i].id, None)] = tuple(
            Candidate(projects[i].id, providers[j].id, float(s), {}, 1_000_000)
            for j, s in zip(cols.tolist(), scores.tolist()))
    problem = MatchProblem(projects=projects, providers=providers)
    cands = CandidateSet(lists, {})
    t0 = time.perf_counter()
    rows_, cols_ = linear_sum_assignment(dense, maximize=True)
    ref_s = time.perf_counter() - t0
    best = float(dense[rows_, cols_].sum())
    out = []
    for solver in available_solvers():
        times, result = [], None
        for _ in range(repeats):
            t0 = time.perf_counter()
            result = solve(problem, candidates=cands, solver=solver, fast_path=False)
            times.append(time.perf_counter() - t0)
        assert result is not None
        got = sum(a.score for a in result.assignments)
        out.append(_row(f"assignment, no budgets, MILP path [{solver}]", f"{n:,} x {n:,}, k={k}",
                        statistics.median(times), "scipy linear_sum_assignment (dense)", ref_s,
                        f"objective {'equal' if abs(got - best) < 1e-6 else f'{got:.4f} vs {best:.4f}'}"
                        f" ({result.status})"))
    return out


def run(quick: bool = False) -> list[dict[str, Any]]:
    """Optimiser benchmark rows (see the module docstring)."""
    options = MatchOptions(as_of=date(2025, 1, 1), max_provider_share=0.05)
    rows = _market_rows("match + fund, Futian demo size",
                        synthetic_market(566, 950, 300, seed=11, options=options),
                        gap=1e-3, repeats=1 if quick else 3, reference=not quick)
    if not quick:
        rows += _market_rows("match + fund, 5,000 projects",
                             synthetic_market(5_000, 5_000, 300, seed=11, options=options),
                             gap=1e-2, repeats=3, reference=True)
        rows += _assignment_rows(2_000, 20, repeats=3)
    return rows
