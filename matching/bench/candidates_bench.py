"""Benchmark of candidate generation against exhaustive rapidfuzz scoring.

``run(quick)`` returns one row: the median time of
:func:`matching.candidates.generate_candidates` on a Futian-like market with Chinese texts
(10,000 projects x 10,000 providers; 2,000 x 2,000 with ``--quick``), the time an exhaustive
rapidfuzz ``process.cdist`` of every project against every provider would take (measured on a
random sample of projects in the same run and extrapolated linearly), and recall@20 of the
pruned candidates against the exhaustive ranking (every eligible pair scored exactly) on that
sample.

The synthetic market names its categories with short codes of its own; the run uses the default
sector vocabulary re-keyed to them (:func:`synthetic_vocabulary`), so that the timing and the
recall include expanding the texts with the vocabulary's skills.

The jieba dictionary is loaded once before timing (a web worker loads it once at start-up);
the segmentation cache is cleared before every timed run.
"""

from __future__ import annotations

import random
import statistics
import time
from datetime import date
from typing import Any

import numpy as np

from ..candidates import exhaustive_candidates, generate_candidates, recall_at_k, units_of
from ..text import _jieba, clear_cache, prepare_many
from ..types import CandidateSet, MatchOptions, MatchProblem
from ..vocabulary import SkillTerm, Vocabulary
from . import synthetic_market

#: The synthetic market's category codes -> the application's (``market/geo/taxonomy.py``).
SYNTHETIC_CATEGORIES = {
    "elderly": ("elderly_care",), "disability": ("disability",),
    "children": ("children_family", "youth"), "governance": ("community_governance", "volunteering"),
    "culture": ("culture_sports", "community_education"), "environment": ("environment",),
    "mental": ("mental_health",), "employment": ("employment",), "legal": ("legal_aid",),
    "safety": ("public_safety",), "family": ("children_family",), "health": ("health",),
}


def synthetic_vocabulary() -> Vocabulary:
    """The default vocabulary with its skills copied to the synthetic market's category codes.

    >>> len(synthetic_vocabulary().skills_of("elderly")) == len(Vocabulary.default().skills_of("elderly_care"))
    True
    """
    default = Vocabulary.default()
    return Vocabulary(tuple(SkillTerm(code, s.skill, s.terms) for code, sources in SYNTHETIC_CATEGORIES.items()
                            for source in sources for s in default.skills_of(source)))


def _row(benchmark: str, size: str, ours_s: float, reference: str, reference_s: float | None,
         quality: str) -> dict[str, Any]:
    ratio = reference_s / ours_s if (reference_s is not None and ours_s) else None
    return {"benchmark": benchmark, "size": size, "ours_s": ours_s, "reference": reference,
            "reference_s": reference_s, "ratio": ratio, "quality": quality}


def run(quick: bool = False) -> list[dict[str, Any]]:
    """Candidate generation benchmark rows (see the module docstring)."""
    n = 2_000 if quick else 10_000
    k = 20
    problem = synthetic_market(n, n, 300, seed=7,
                               options=MatchOptions(as_of=date(2025, 1, 1), k_providers=k,
                                                    vocabulary=synthetic_vocabulary()))
    row, _ = measure(problem, repeats=1 if quick else 3, sample_size=50 if quick else 200,
                     size=f"{n:,} x {n:,}")
    return [row]


def measure(problem: MatchProblem, *, repeats: int, sample_size: int, size: str,
            label: str = "candidates top-20 (blocking + tf-idf + rapidfuzz rescoring, sector vocabulary)"
            ) -> tuple[dict[str, Any], CandidateSet]:
    """The row of one market (median of ``repeats`` runs, recall@k on a random sample of
    ``sample_size`` projects) and the candidates of its last run."""
    from rapidfuzz import fuzz, process

    k = problem.options.k_providers
    _jieba()  # one-off dictionary load, outside the timings
    times = []
    cands = None
    for _ in range(repeats):
        clear_cache()
        t0 = time.perf_counter()
        cands = generate_candidates(problem)
        times.append(time.perf_counter() - t0)
    assert cands is not None
    ours = statistics.median(times)

    rng = random.Random(1)
    needing = [p for p in problem.projects if p.needs_provider]
    sample = rng.sample(needing, min(sample_size, len(needing)))
    n_units = sum(len(units_of(p)) for p in problem.projects)
    sample_units = [u for p in sample for u in units_of(p)]
    # exhaustive rapidfuzz: every sampled need against every capability, no blocking
    needs = prepare_many([u.text for u in sample_units])
    caps = prepare_many([p.capability for p in problem.providers])
    ref_times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        process.cdist(needs, caps, scorer=fuzz.token_set_ratio, workers=-1, dtype=np.uint8)
        ref_times.append(time.perf_counter() - t0)
    reference = statistics.median(ref_times) * n_units / len(sample_units)
    exact = exhaustive_candidates(problem, project_ids=[p.id for p in sample])
    recall = recall_at_k(cands, exact, k)
    return _row(
        label, size, ours,
        f"exhaustive rapidfuzz cdist token_set_ratio ({len(sample_units)}-project sample, "
        "extrapolated)", reference,
        f"recall@{k} {recall:.3f}; {cands.stats['pairs_rescored']:,} pairs rescored of "
        f"{cands.stats['pairs_eligible']:,} eligible"), cands
