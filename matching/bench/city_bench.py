"""City-size benchmark: a whole district's year at once.

One deterministic market of 30,000 projects, 5,000 providers and 1,000 pools
(:func:`matching.bench.synthetic_market`, seed 11, fairness cap 5 %; 3,000 x 500 x 100 with
``--quick``), two rows:

* candidate generation (top 20 per project) timed once, with recall@20 against the exhaustive
  ranking on a 200-project sample and exhaustive rapidfuzz scoring extrapolated as the
  reference (as in :mod:`matching.bench.candidates_bench`); target <= 15 s, recall >= 0.95;
* the whole matching (:func:`matching.optimize.solve` on those candidates, gap target 1 %,
  60 s limit, HiGHS when installed) timed once, with its gap to the bound it proves; target
  <= 60 s within 1 % of the bound.  The reference column gives the time limit.
"""

from __future__ import annotations

import time
from datetime import date
from typing import Any

from ..optimize import solve
from ..types import MatchOptions
from . import synthetic_market
from .candidates_bench import measure, synthetic_vocabulary

#: Seconds allowed to the whole matching.
TIME_LIMIT = 60.0


def run(quick: bool = False) -> list[dict[str, Any]]:
    """City-size rows (see the module docstring)."""
    sizes = (3_000, 500, 100) if quick else (30_000, 5_000, 1_000)
    options = MatchOptions(as_of=date(2025, 1, 1), k_providers=20, max_provider_share=0.05,
                           vocabulary=synthetic_vocabulary())
    problem = synthetic_market(*sizes, seed=11, options=options)
    size = f"{sizes[0]:,} x {sizes[1]:,} x {sizes[2]:,} pools"
    candidates_row, cands = measure(problem, repeats=1, sample_size=50 if quick else 200,
                                    size=size, label="city: candidates top-20")
    started = time.perf_counter()
    result = solve(problem, candidates=cands, solver="auto", gap=1e-2, time_limit=TIME_LIMIT)
    seconds = time.perf_counter() - started
    gap = "n/a" if result.gap == float("inf") else f"{100 * result.gap:.3f} %"
    match_row = {"benchmark": f"city: whole matching [{result.solver or 'flow'}]", "size": size,
                 "ours_s": seconds, "reference": "time limit", "reference_s": TIME_LIMIT,
                 "ratio": TIME_LIMIT / seconds if seconds else None,
                 "quality": f"gap {gap} to its bound ({result.status}); "
                            f"{len(result.assignments):,} matched, "
                            f"{len(result.unmatched):,} unmatched"}
    return [candidates_row, match_row]
