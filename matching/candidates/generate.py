""":func:`generate_candidates`: hard filters, the approximate pass, the exact pass, pins, pools.

>>> exhaustive_candidates(MatchProblem(projects=[], providers=[])).pair_count
0
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterable
from typing import Any

import numpy as np

from ..reasons import Reason
from ..score import score_pair, text_component
from ..text import expand, pairwise_similarity, prepare_many, tfidf_matrix
from ..types import Candidate, CandidateSet, FilterFunnel, Id, MatchProblem, UnitKey, id_key
from ..vocabulary import Vocabulary
from .pools import pool_candidates
from .providers import FloatArray, IntArray, ProviderArrays
from .prune import Survivors, TextIndex, filter_and_prune
from .skills import SkillData
from .units import Unit, bids_by_unit, first_failed_filter, forbidden_providers, units_of

__all__ = ["generate_candidates", "exhaustive_candidates", "recall_at_k"]

#: Pairs sampled to fit the slope of the exact text similarity on the tf-idf cosine.
_SLOPE_SAMPLES = 3000


def generate_candidates(problem: MatchProblem, *, project_ids: Iterable[Id] | None = None,
                        exhaustive: bool = False, workers: int = -1,
                        vocabulary: Vocabulary | None = None) -> CandidateSet:
    """Top-k eligible providers and pools of every project, ranked by the combined score.

    Parameters
    ----------
    problem : MatchProblem
        Projects, providers, pools, bids and decisions; ``problem.options`` gives ``k_providers``,
        ``k_pools``, ``shortlist``, ``min_score``, ``weights``, ``text_mode`` and ``vocabulary``.
    project_ids : iterable of Id, optional
        Only these projects (default: all).
    exhaustive : bool
        Score every eligible pair exactly (no approximate pruning): the reference ranking.
    workers : int
        Threads for rapidfuzz (-1 = all cores).
    vocabulary : Vocabulary, optional
        Sector vocabulary of the text component, instead of ``problem.options``'s (whose
        ``None`` means :meth:`Vocabulary.default`).

    Returns
    -------
    CandidateSet
        Every candidate records the skills it shares with the project
        (:attr:`Candidate.matched_skills`).

    Examples
    --------
    >>> from matching.types import ProjectSpec, ProviderSpec, PoolSpec
    >>> proj = ProjectSpec(id=1, title="长者助餐", category="elderly", street_id="s1",
    ...                    budget=100_000, description="为独居老人提供上门助餐和健康监测")
    >>> provs = [ProviderSpec(id="a", name="A", categories=["elderly"], streets=["s1"],
    ...                       capability="专注居家养老、助餐配送、长者健康管理"),
    ...          ProviderSpec(id="b", name="B", categories=["elderly"], whole_district=True,
    ...                       capability="青少年课后托管"),
    ...          ProviderSpec(id="c", name="C", categories=["children"], whole_district=True)]
    >>> cs = generate_candidates(MatchProblem(projects=[proj], providers=provs,
    ...                          pools=[PoolSpec(id="f", name="F", remaining=10**7)]))
    >>> [c.provider_id for c in cs.for_project(1)], [p.pool_id for p in cs.pools[1]]
    (['a', 'b'], ['f'])
    """
    started = time.perf_counter()
    wanted = None if project_ids is None else set(project_ids)
    projects = [p for p in problem.projects if wanted is None or p.id in wanted]
    units = [u for p in projects for u in units_of(p)]
    stats: dict[str, Any] = {"units": len(units), "providers": len(problem.providers)}
    funnels: dict[UnitKey, FilterFunnel] = {}
    providers_out: dict[UnitKey, tuple[Candidate, ...]] = {}
    pin_errors: list[Reason] = []
    if units:
        vocab = vocabulary if vocabulary is not None else problem.options.sector_vocabulary
        providers_out = _provider_candidates(problem, units, exhaustive, workers, funnels, stats,
                                             vocab)
        pin_errors = _add_pinned_pairs(problem, units, providers_out, vocab)
    pools_out, pool_funnels, pool_errors = pool_candidates(problem, projects)
    stats["seconds"] = time.perf_counter() - started
    return CandidateSet(providers=providers_out, pools=pools_out, funnels=funnels,
                        pool_funnels=pool_funnels, pin_errors=tuple(pin_errors + pool_errors),
                        stats=stats)


def _provider_candidates(problem: MatchProblem, units: list[Unit], exhaustive: bool,
                         workers: int, funnels: dict[UnitKey, FilterFunnel],
                         stats: dict[str, Any], vocabulary: Vocabulary
                         ) -> dict[UnitKey, tuple[Candidate, ...]]:
    """Filter, prune approximately (unless ``exhaustive``), score exactly, keep the top k."""
    opts = problem.options
    providers = ProviderArrays(problem, units)
    started = time.perf_counter()
    skills = SkillData(problem, units, vocabulary)
    unit_texts = [expand(t, names) for t, names in zip(
        prepare_many([u.text for u in units], mode=opts.text_mode), skills.unit_names)]
    provider_texts = [expand(t, names) for t, names in zip(
        prepare_many([p.capability for p in problem.providers], mode=opts.text_mode),
        skills.provider_names)]
    stats["prepare_s"] = time.perf_counter() - started
    started = time.perf_counter()
    text: TextIndex | None = None
    if not exhaustive:
        matrix, _, _ = tfidf_matrix(provider_texts + unit_texts)
        provider_rows = matrix[: len(provider_texts)].tocsr()
        unit_rows = matrix[len(provider_texts):].tocsr()
        slope = _fit_slope(units, providers, unit_texts, provider_texts, unit_rows, provider_rows)
        text = TextIndex(unit_rows, provider_rows, slope, skills)
    stats["slope"] = text.slope if text is not None else 0.0
    shortlist = math.inf if exhaustive else opts.shortlist_size
    survivors = filter_and_prune(problem, units, providers, text, shortlist, funnels)
    stats["vectorise_filter_s"] = time.perf_counter() - started
    started = time.perf_counter()
    stats["pairs_rescored"] = int(len(survivors.unit))
    stats["pairs_eligible"] = int(sum(f.decisions for f in funnels.values()))
    fuzzy = pairwise_similarity([unit_texts[u] for u in survivors.unit.tolist()],
                                [provider_texts[i] for i in survivors.provider.tolist()],
                                workers=workers)
    exact = skills.scores(survivors.unit, survivors.provider, fuzzy)
    out = _top_k(problem, units, providers, survivors, exact, skills)
    stats["exact_s"] = time.perf_counter() - started
    return out


def _top_k(problem: MatchProblem, units: list[Unit], providers: ProviderArrays,
           survivors: Survivors, exact: FloatArray, skills: SkillData
           ) -> dict[UnitKey, tuple[Candidate, ...]]:
    """The best ``k_providers`` survivors of each unit by exact score (ties by provider id),
    at or above ``min_score``."""
    opts = problem.options
    weights = opts.weights
    total = np.clip((weights.text * exact + survivors.rest) / weights.total, 0.0, 1.0)
    take = _first_k_per_unit(survivors.unit, providers.rank[survivors.provider], total,
                             total >= opts.min_score, opts.k_providers)
    chosen_units, chosen_providers = survivors.unit[take].tolist(), survivors.provider[take].tolist()
    texts, categories = exact[take].tolist(), survivors.category[take].tolist()
    geography, prices = survivors.geography[take].tolist(), survivors.price_score[take].tolist()
    scores, costs = total[take].tolist(), survivors.price[take].tolist()
    reputation, delivery = providers.reputation.tolist(), providers.delivery.tolist()
    social_org = providers.social_org.tolist()
    provider_ids = [p.id for p in problem.providers]
    keys = [unit.key for unit in units]
    lists: dict[int, list[Candidate]] = {}
    make = Candidate
    for n, (u, i) in enumerate(zip(chosen_units, chosen_providers)):
        key = keys[u]
        components = {"text": texts[n], "category": categories[n], "geography": geography[n],
                      "reputation": reputation[i], "price": prices[n], "delivery": delivery[i],
                      "social_org": social_org[i]}
        ranked = lists.get(u)
        if ranked is None:
            ranked = lists[u] = []
        ranked.append(make(key[0], provider_ids[i], scores[n], components, costs[n], key[1], skills.matched(u, i)))
    return {keys[u]: tuple(ranked) for u, ranked in lists.items()}


def _first_k_per_unit(unit: IntArray, provider_rank: IntArray, score: FloatArray,
                      keep: np.ndarray[Any, np.dtype[np.bool_]], k: int) -> IntArray:
    """Indices of the first ``k`` kept pairs of each unit, best score first, then provider id."""
    order = np.lexsort((provider_rank, -score, unit))
    order = order[keep[order]]
    if not len(order):
        return order
    unit_sorted = unit[order]
    starts = np.r_[0, np.flatnonzero(np.diff(unit_sorted)) + 1]
    group_start = np.repeat(starts, np.diff(np.r_[starts, len(order)]))
    first_k: IntArray = order[(np.arange(len(order)) - group_start) < k]
    return first_k


def _add_pinned_pairs(problem: MatchProblem, units: list[Unit],
                      providers_out: dict[UnitKey, tuple[Candidate, ...]],
                      vocabulary: Vocabulary) -> list[Reason]:
    """Pinned pairs that pass the hard filters join their unit's candidates, even below the cut;
    returns the ones that fail (``pin_fails_filter``)."""
    pins = [d for d in problem.decisions if d.kind == "pin" and d.provider_id is not None]
    errors: list[Reason] = []
    if not pins:
        return errors
    by_key = {u.key: u for u in units}
    bids = bids_by_unit(problem)
    forbidden = forbidden_providers(problem)
    opts = problem.options
    for dec in pins:
        key = (dec.project_id, dec.lot_id)
        unit = by_key.get(key)
        if unit is None or dec.provider_id is None:  # project not requested
            continue
        current = providers_out.get(key, ())
        if any(c.provider_id == dec.provider_id for c in current):
            continue
        provider = problem.provider(dec.provider_id)
        stage = first_failed_filter(problem, unit, provider, bids.get(key), forbidden)
        if stage is not None:
            errors.append(Reason("pin_fails_filter", {
                "project_id": dec.project_id, "lot_id": dec.lot_id, "provider_id": dec.provider_id,
                "stage": stage}))
            continue
        price = bids.get(key, {}).get(provider.id, unit.cost)
        text, matched = text_component(unit.text, provider, unit.category,
                                       vocabulary=vocabulary, mode=opts.text_mode)
        score, components = score_pair(unit.project, provider, lot=unit.lot, price=price,
                                       weights=opts.weights, text_similarity=text)
        cand = Candidate(dec.project_id, provider.id, score, components, int(price), dec.lot_id,
                         matched)
        providers_out[key] = tuple(sorted(current + (cand,),
                                          key=lambda c: (-c.score, id_key(c.provider_id))))
    return errors


def exhaustive_candidates(problem: MatchProblem, *, project_ids: Iterable[Id] | None = None,
                          workers: int = -1, vocabulary: Vocabulary | None = None) -> CandidateSet:
    """Reference ranking: every eligible pair scored exactly (see :func:`generate_candidates`).

    >>> exhaustive_candidates(MatchProblem(projects=[], providers=[])).pair_count
    0
    """
    return generate_candidates(problem, project_ids=project_ids, exhaustive=True, workers=workers,
                               vocabulary=vocabulary)


def recall_at_k(found: CandidateSet, reference: CandidateSet, k: int | None = None) -> float:
    """Share of the reference top-k that generation found, tie-aware, averaged over projects.

    A found provider counts as relevant if its exact reference score is at least the k-th best
    reference score, so equal scores at the cut are not punished.  Projects whose reference
    list is empty are skipped; 1.0 if there is nothing to find.

    >>> recall_at_k(CandidateSet({}, {}), CandidateSet({}, {}))
    1.0
    """
    recalls = []
    for key, ref in reference.providers.items():
        if not ref:
            continue
        kk = min(k or len(ref), len(ref))
        cut = ref[kk - 1].score - 1e-12
        relevant = {c.provider_id for c in ref if c.score >= cut}
        got = {c.provider_id for c in found.providers.get(key, ())[:kk]}
        recalls.append(min(1.0, len(got & relevant) / kk))
    return float(np.mean(recalls)) if recalls else 1.0


def _fit_slope(units: list[Unit], providers: ProviderArrays, unit_texts: list[str],
               provider_texts: list[str], unit_rows: Any, provider_rows: Any) -> float:
    """Least-squares slope of exact text similarity on tf-idf cosine, within categories."""
    rng = np.random.default_rng(12345)
    sample_units: list[int] = []
    sample_providers: list[int] = []
    for _ in range(_SLOPE_SAMPLES):
        u = int(rng.integers(len(units)))
        members = providers.category_members.get(units[u].category)
        if members is None or not len(members):
            continue
        sample_units.append(u)
        sample_providers.append(int(members[int(rng.integers(len(members)))]))
    if len(sample_units) < 20:
        return 1.0
    rows_u = np.array(sample_units)
    rows_p = np.array(sample_providers)
    cosine = np.asarray(unit_rows[rows_u].multiply(provider_rows[rows_p]).sum(axis=1)).reshape(-1)
    exact = pairwise_similarity([unit_texts[u] for u in sample_units],
                                [provider_texts[i] for i in sample_providers])
    if np.ptp(cosine) < 1e-9:
        return 1.0
    slope = float(np.polyfit(cosine, exact, 1)[0])
    return slope if slope > 0.05 else 0.05
