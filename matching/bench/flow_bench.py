"""Benchmark of the flow fast path (a pure assignment solved as a sparse min-cost flow).

Rows (``run(quick)``), n projects x n providers (capacity 1), k random candidates per project
with scores in [0.05, 1], no pool money, no fairness cap:

* ``solve()`` on the fast path (candidates precomputed: indexing, the flow, verification and
  explanations) against scipy's dense ``linear_sum_assignment`` on the n x n score matrix
  (non-candidates score 0), at 2,000 x 2,000 with k = 20 and 20,000 x 20,000 with k = 10
  (3.2 GB of float64; 500 x 500 with ``--quick``);
* the flow alone (:func:`matching.optimize.flow.solve_flow` on an indexed instance) against the
  same dense run;
* ``solve()`` on the fast path against the MILP path (``fast_path=False``, PuLP/CBC) at 2,000.

Every reference is measured in the same run on the same scores; "quality" compares objectives
(the sum of the matched scores: every project has the same budget and priority).
"""

from __future__ import annotations

import gc
import statistics
import time
from typing import Any

import numpy as np

from ..optimize import solve
from ..optimize.flow import solve_flow
from ..optimize.instance import Instance, IntArray
from ..optimize.solution import solution_value
from ..types import Candidate, CandidateSet, MatchProblem, ProjectSpec, ProviderSpec, UnitKey

FloatMatrix = np.ndarray[Any, np.dtype[np.float64]]

#: Budget (and price) of every project: the objective is this times the sum of the scores.
BUDGET = 1_000_000


def _row(benchmark: str, size: str, ours_s: float, reference: str, reference_s: float | None,
         quality: str) -> dict[str, Any]:
    ratio = reference_s / ours_s if (reference_s is not None and ours_s) else None
    return {"benchmark": benchmark, "size": size, "ours_s": ours_s, "reference": reference,
            "reference_s": reference_s, "ratio": ratio, "quality": quality}


def assignment_market(n: int, k: int, seed: int = 3
                      ) -> tuple[MatchProblem, CandidateSet, IntArray, FloatMatrix]:
    """n x n pure assignment with k candidates per project; also the candidate columns and
    scores as (n, k) arrays."""
    rng = np.random.default_rng(seed)
    cols = np.empty((n, k), dtype=np.int64)
    for i in range(n):
        cols[i] = rng.choice(n, size=k, replace=False)
    scores: FloatMatrix = np.round(rng.uniform(0.05, 1.0, size=(n, k)), 4)
    projects = [ProjectSpec(id=f"p{i:05d}", title="t", category="c", street_id="s",
                            budget=BUDGET, needs_funding=False) for i in range(n)]
    providers = [ProviderSpec(id=f"v{j:05d}", name="v", categories=("c",), whole_district=True,
                              capacity=1) for j in range(n)]
    lists: dict[UnitKey, tuple[Candidate, ...]] = {}
    for i, project in enumerate(projects):
        order = np.argsort(-scores[i], kind="stable")
        lists[(project.id, None)] = tuple(
            Candidate(project.id, providers[int(cols[i, o])].id, float(scores[i, o]), {}, BUDGET)
            for o in order.tolist())
    return MatchProblem(projects=projects, providers=providers), CandidateSet(lists, {}), cols, scores


def _dense(n: int, cols: IntArray, scores: FloatMatrix) -> tuple[float, float]:
    """Seconds and objective of scipy's dense ``linear_sum_assignment`` (building the matrix not
    timed); the matrix holds minus the scores, so no negated copy is made."""
    from scipy.optimize import linear_sum_assignment

    cost = np.zeros((n, n))
    cost[np.arange(n)[:, None], cols] = -scores
    t0 = time.perf_counter()
    rows, chosen = linear_sum_assignment(cost)
    seconds = time.perf_counter() - t0
    value = -float(cost[rows, chosen].sum())
    del cost
    gc.collect()
    return seconds, value


def _equal(got: float, best: float) -> str:
    return "objective equal" if abs(got - best) <= 1e-6 * max(1.0, best) else \
        f"objective {got:.4f} vs {best:.4f}"


def _rows(n: int, k: int, repeats: int, milp: bool) -> list[dict[str, Any]]:
    problem, cands, cols, scores = assignment_market(n, k)
    size = f"{n:,} x {n:,}, k={k}"
    times, result = [], None
    for _ in range(repeats):
        t0 = time.perf_counter()
        result = solve(problem, candidates=cands)
        times.append(time.perf_counter() - t0)
    assert result is not None and result.stats.get("path") == "flow"
    ours = statistics.median(times)
    inst = Instance(problem, cands)
    flow_times, sol = [], None
    for _ in range(repeats):
        t0 = time.perf_counter()
        sol = solve_flow(inst)
        flow_times.append(time.perf_counter() - t0)
    assert sol is not None
    flow = statistics.median(flow_times)
    flow_value = solution_value(inst, sol) / BUDGET
    del inst
    dense_s, best = _dense(n, cols, scores)
    got = result.objective / BUDGET  # every project: priority 1, the same budget
    reference = "scipy linear_sum_assignment (dense, same run)"
    rows = [
        _row("assignment as a flow: solve() fast path", size, ours, reference, dense_s,
             f"{_equal(got, best)}; {len(result.assignments):,} matched ({result.status})"),
        _row("assignment as a flow: the flow alone (solve_flow)", size, flow, reference, dense_s,
             _equal(flow_value, best)),
    ]
    if milp:
        t0 = time.perf_counter()
        slow = solve(problem, candidates=cands, solver="cbc", fast_path=False)
        milp_s = time.perf_counter() - t0
        rows.append(_row("assignment as a flow: solve() fast path", size, ours,
                         f"solve() MILP path, PuLP/CBC ({slow.status})", milp_s,
                         _equal(got, slow.objective / BUDGET)))
    return rows


def run(quick: bool = False) -> list[dict[str, Any]]:
    """Flow fast-path benchmark rows (see the module docstring)."""
    if quick:
        return _rows(500, 10, repeats=1, milp=True)
    return _rows(2_000, 20, repeats=3, milp=True) + _rows(20_000, 10, repeats=1, milp=False)
