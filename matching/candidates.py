"""Candidate generation: the top-k providers (and pools) of every project after hard filters.

Hard filters, in this order (the first one that leaves nobody explains an unmatched project,
see :class:`matching.types.FilterFunnel`):

1. **category** - the provider lists the project's (lot's) category;
2. **capacity** - the provider can take at least one more project;
3. **area** - it serves the whole district, the project's street, or its community;
4. **requirements** - rating grade, years registered, staff and office area;
5. **bids** - if the project (lot) has bids, only bidders at or under the budget remain;
6. **conflicts** - no conflict of interest (the project, or its applicant organisation);
7. **decisions** - no official decision forbids the pair.

Ranking uses the combined score of :mod:`matching.score`.  Scoring every pair exactly with
rapidfuzz is far too slow at district scale (10k x 10k pairs), so generation prunes:

* **blocking** - projects are grouped by category and only compared with the providers of that
  category; the other filters are vectorised with numpy over each block;
* **approximate pass** - the non-text components are exact and cheap; the text component is
  approximated by the cosine of sparse tf-idf token vectors (scaled by a slope fitted on a
  sample of exact scores); the best ``shortlist`` providers per project survive;
* **exact pass** - survivors are rescored with rapidfuzz (``process.cpdist`` on all cores) and
  the best ``k`` are kept.

Ties are broken by provider id (:func:`matching.types.id_key`); social organisations already
win near-ties through their score component.  Pinned pairs that pass the hard filters are
always kept, even below the cut.

Pools are eligible for a project if they have money left, their focus categories include the
project's category (or are empty), their streets include its street (or are empty) and their
co-funding cap on its budget is at least 1 fen (``max_share`` and ``max_per_project``).  When
more than ``k_pools`` are eligible, the kept ones are a deterministic weighted draw
(Efraimidis-Spirakis keys from a CRC32 of the project and pool ids; weight = remaining budget,
x4 for a focus-category match, x2 for a street match): large and targeted pools reach most
projects, small general pools still reach some.  Pinned pools are always kept.
"""

from __future__ import annotations

import math
import time
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from . import score as S
from .reasons import Reason
from .text import pairwise_similarity, prepare_many, tfidf_matrix
from .types import (
    Candidate,
    CandidateSet,
    FilterFunnel,
    Id,
    LotSpec,
    MatchProblem,
    PoolCandidate,
    ProjectSpec,
    ProviderSpec,
    UnitKey,
    id_key,
)

__all__ = ["generate_candidates", "exhaustive_candidates", "check_pair", "Unit", "units_of",
           "recall_at_k"]

_CHUNK_CELLS = 2_000_000  # units x providers per vectorised chunk


@dataclass(frozen=True, slots=True)
class Unit:
    """One thing a provider is assigned to: a whole project or one lot of it."""

    key: UnitKey
    project: ProjectSpec
    lot: LotSpec | None
    category: str
    budget: int
    cost: int  # cost when there is no bid
    text: str

    @property
    def project_id(self) -> Id:
        return self.key[0]


def units_of(project: ProjectSpec) -> list[Unit]:
    """The units (whole project, or its lots) of a project that needs a provider.

    >>> p = ProjectSpec(id=1, title="t", category="c", street_id="s", budget=10)
    >>> [u.key for u in units_of(p)]
    [(1, None)]
    """
    if not project.needs_provider:
        return []
    if not project.lots:
        return [Unit((project.id, None), project, None, project.category, project.budget,
                     project.cost_without_bids, project.text)]
    return [Unit((project.id, lot.id), project, lot, lot.category or project.category,
                 lot.budget, lot.budget, f"{lot.title} {lot.description} {project.text}".strip())
            for lot in project.lots]


def _bids_by_unit(problem: MatchProblem) -> dict[UnitKey, dict[Id, int]]:
    out: dict[UnitKey, dict[Id, int]] = {}
    for bid in problem.bids:
        out.setdefault((bid.project_id, bid.lot_id), {})[bid.provider_id] = bid.price
    return out


def _forbidden_providers(problem: MatchProblem) -> dict[tuple, set[Id]]:
    """``(project_id, lot_id or None) -> forbidden provider ids`` (None = every lot)."""
    out: dict[tuple, set[Id]] = {}
    for dec in problem.decisions:
        if dec.kind == "forbid" and dec.provider_id is not None:
            out.setdefault((dec.project_id, dec.lot_id), set()).add(dec.provider_id)
    return out


def check_pair(problem: MatchProblem, project_id: Id, provider_id: Id,
               lot_id: Id | None = None) -> str | None:
    """The first hard filter that the pair fails, or ``None`` if it is eligible.

    Parameters
    ----------
    problem : MatchProblem
    project_id, provider_id : Id
    lot_id : Id, optional

    Returns
    -------
    str or None
        One of ``FilterFunnel.STAGES``.

    Examples
    --------
    >>> from matching.types import ProviderSpec
    >>> proj = ProjectSpec(id=1, title="助餐", category="elderly", street_id="s1", budget=100)
    >>> prov = ProviderSpec(id="a", name="A", categories=["elderly"], streets=["s2"])
    >>> check_pair(MatchProblem(projects=[proj], providers=[prov]), 1, "a")
    'area'
    """
    project = problem.project(project_id)
    provider = problem.provider(provider_id)
    unit = next((u for u in units_of(project) if u.key == (project_id, lot_id)), None)
    if unit is None:
        raise ValueError(f"lot_id: project {project_id!r} has no unit {lot_id!r}")
    return _check_unit(problem, unit, provider, _bids_by_unit(problem).get(unit.key),
                       _forbidden_providers(problem))


def _check_unit(problem: MatchProblem, unit: Unit, provider: ProviderSpec,
                bids: dict[Id, int] | None, forbidden: dict[tuple, set[Id]]) -> str | None:
    project = unit.project
    req = project.requirements
    if unit.category not in provider.categories:
        return "category"
    if provider.capacity <= 0:
        return "capacity"
    if not S.serves_area(provider, project.street_id, project.community_id):
        return "area"
    if (provider.rating_grade < req.min_rating_grade
            or provider.years(problem.options.as_of) < req.min_years_registered
            or provider.staff < req.min_staff
            or provider.office_area_m2 < req.min_office_area_m2):
        return "requirements"
    if bids is not None and (provider.id not in bids or bids[provider.id] > unit.budget):
        return "bids"
    if project.id in provider.conflict_project_ids or (
            project.applicant_id is not None and project.applicant_id in provider.conflict_org_ids):
        return "conflicts"
    lot_id = unit.key[1]
    if provider.id in forbidden.get((project.id, None), ()) or (
            lot_id is not None and provider.id in forbidden.get((project.id, lot_id), ())):
        return "decisions"
    return None


class _Market:
    """Provider-side arrays shared by every block."""

    def __init__(self, problem: MatchProblem, units: list[Unit]):
        opts = problem.options
        w = opts.weights
        provs = problem.providers
        n = len(provs)
        self.providers = provs
        self.index = {p.id: i for i, p in enumerate(provs)}
        order = sorted(range(n), key=lambda i: id_key(provs[i].id))
        self.rank = np.empty(n, dtype=np.int64)
        self.rank[order] = np.arange(n)
        self.grade = np.array([p.rating_grade for p in provs], dtype=np.int64)
        self.years = np.array([p.years(opts.as_of) for p in provs], dtype=np.float64)
        self.staff = np.array([p.staff for p in provs], dtype=np.int64)
        self.office = np.array([p.office_area_m2 for p in provs], dtype=np.float64)
        self.capacity = np.array([p.capacity for p in provs], dtype=np.int64)
        self.whole = np.array([p.whole_district for p in provs], dtype=bool)
        statics = [S.static_components(p, w) for p in provs]
        self.rep = np.array([s["reputation"] for s in statics], dtype=np.float64)
        self.deliv = np.array([s["delivery"] for s in statics], dtype=np.float64)
        self.social = np.array([s["social_org"] for s in statics], dtype=np.float64)
        self.static = w.reputation * self.rep + w.delivery * self.deliv + w.social_org * self.social
        # area membership, as dense boolean rows (one extra all-False row for "none")
        streets: dict[Id, int] = {}
        comms: dict[Id, int] = {}
        for u in units:
            streets.setdefault(u.project.street_id, len(streets))
            if u.project.community_id is not None:
                comms.setdefault(u.project.community_id, len(comms))
        self.street_index = streets
        self.comm_index = comms
        self.street_mat = np.zeros((len(streets) + 1, n), dtype=bool)
        self.comm_mat = np.zeros((len(comms) + 1, n), dtype=bool)
        self.home = np.full(n, -2, dtype=np.int64)
        for i, p in enumerate(provs):
            for s in p.streets:
                j = streets.get(s)
                if j is not None:
                    self.street_mat[j, i] = True
            for c in p.communities:
                j = comms.get(c)
                if j is not None:
                    self.comm_mat[j, i] = True
            if p.home_street_id is not None and p.home_street_id in streets:
                self.home[i] = streets[p.home_street_id]
        cats: dict[str, list[int]] = {}
        prim: dict[str, list[bool]] = {}
        for i, p in enumerate(provs):
            for j, c in enumerate(p.categories):
                cats.setdefault(c, []).append(i)
                prim.setdefault(c, []).append(j == 0)
        self.cat_members = {c: np.array(v, dtype=np.int64) for c, v in cats.items()}
        self.cat_primary = {c: np.array(v, dtype=bool) for c, v in prim.items()}


def generate_candidates(problem: MatchProblem, *, project_ids: Iterable[Id] | None = None,
                        exhaustive: bool = False, workers: int = -1) -> CandidateSet:
    """Top-k eligible providers and pools of every project, ranked by the combined score.

    Parameters
    ----------
    problem : MatchProblem
        Projects, providers, pools, bids and decisions; ``problem.options`` gives ``k_providers``,
        ``k_pools``, ``shortlist``, ``min_score``, ``weights`` and ``text_mode``.
    project_ids : iterable of Id, optional
        Only these projects (default: all).
    exhaustive : bool
        Score every eligible pair exactly (no approximate pruning): the reference ranking.
    workers : int
        Threads for rapidfuzz (-1 = all cores).

    Returns
    -------
    CandidateSet

    Examples
    --------
    >>> from matching.types import ProviderSpec, PoolSpec
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
    t_start = time.perf_counter()
    opts = problem.options
    w = opts.weights
    wanted = None if project_ids is None else set(project_ids)
    projects = [p for p in problem.projects if wanted is None or p.id in wanted]
    units = [u for p in projects for u in units_of(p)]
    stats: dict = {"units": len(units), "providers": len(problem.providers)}
    funnels: dict[UnitKey, FilterFunnel] = {}
    providers_out: dict[UnitKey, tuple[Candidate, ...]] = {}
    pin_errors: list[Reason] = []

    if units:
        market = _Market(problem, units)
        t0 = time.perf_counter()
        unit_strs = prepare_many([u.text for u in units], mode=opts.text_mode)  # type: ignore[arg-type]
        prov_strs = prepare_many([p.capability for p in problem.providers],
                                 mode=opts.text_mode)  # type: ignore[arg-type]
        stats["prepare_s"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        shortlist = math.inf if exhaustive else opts.shortlist_size
        if exhaustive:
            xu = xp = None
            slope = 0.0
        else:
            mat, _, _ = tfidf_matrix(prov_strs + unit_strs)
            xp = mat[: len(prov_strs)].tocsr()
            xu = mat[len(prov_strs):].tocsr()
            slope = _fit_slope(units, market, unit_strs, prov_strs, xu, xp)
        stats["slope"] = slope
        surv = _filter_and_prune(problem, units, market, xu, xp, slope, shortlist, funnels)
        stats["vectorise_filter_s"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        u_idx, p_idx, rest, geo, cat, price_c, price = surv
        stats["pairs_rescored"] = int(len(u_idx))
        stats["pairs_eligible"] = int(sum(f.decisions for f in funnels.values()))
        exact = pairwise_similarity([unit_strs[i] for i in u_idx.tolist()],
                                    [prov_strs[i] for i in p_idx.tolist()], workers=workers)
        total = np.clip((w.text * exact + rest) / w.total, 0.0, 1.0)
        keep = total >= opts.min_score
        order = np.lexsort((market.rank[p_idx], -total, u_idx))
        order = order[keep[order]]
        u_sorted = u_idx[order]
        if len(order):
            starts = np.r_[0, np.flatnonzero(np.diff(u_sorted)) + 1]
            group_start = np.repeat(starts, np.diff(np.r_[starts, len(order)]))
            take = order[(np.arange(len(order)) - group_start) < opts.k_providers]
        else:
            take = order
        provs = problem.providers
        lists: dict[int, list[Candidate]] = {}
        t_u, t_p = u_idx[take].tolist(), p_idx[take].tolist()
        t_exact, t_cat, t_geo = exact[take].tolist(), cat[take].tolist(), geo[take].tolist()
        t_pc, t_total, t_price = price_c[take].tolist(), total[take].tolist(), price[take].tolist()
        rep, deliv, social = market.rep.tolist(), market.deliv.tolist(), market.social.tolist()
        for j in range(len(t_u)):
            ui, pi = t_u[j], t_p[j]
            key = units[ui].key
            comps = {"text": t_exact[j], "category": t_cat[j], "geography": t_geo[j],
                     "reputation": rep[pi], "price": t_pc[j], "delivery": deliv[pi],
                     "social_org": social[pi]}
            cand = Candidate(key[0], provs[pi].id, t_total[j], comps, t_price[j], key[1])
            bucket = lists.get(ui)
            if bucket is None:
                lists[ui] = [cand]
            else:
                bucket.append(cand)
        providers_out = {units[i].key: tuple(v) for i, v in lists.items()}
        stats["exact_s"] = time.perf_counter() - t0
        _add_pins(problem, units, providers_out, pin_errors)

    pools_out, pool_funnels = _pool_candidates(problem, projects, pin_errors)
    stats["seconds"] = time.perf_counter() - t_start
    return CandidateSet(providers=providers_out, pools=pools_out, funnels=funnels,
                        pool_funnels=pool_funnels, pin_errors=tuple(pin_errors), stats=stats)


def exhaustive_candidates(problem: MatchProblem, *, project_ids: Iterable[Id] | None = None,
                          workers: int = -1) -> CandidateSet:
    """Reference ranking: every eligible pair scored exactly (see :func:`generate_candidates`).

    >>> exhaustive_candidates(MatchProblem(projects=[], providers=[])).pair_count
    0
    """
    return generate_candidates(problem, project_ids=project_ids, exhaustive=True, workers=workers)


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


def _fit_slope(units, market, unit_strs, prov_strs, xu, xp, n_samples: int = 3000) -> float:
    """Least-squares slope of exact text similarity on tf-idf cosine, within categories."""
    rng = np.random.default_rng(12345)
    us, ps = [], []
    for _ in range(n_samples):
        i = int(rng.integers(len(units)))
        members = market.cat_members.get(units[i].category)
        if members is None or not len(members):
            continue
        us.append(i)
        ps.append(int(members[int(rng.integers(len(members)))]))
    if len(us) < 20:
        return 1.0
    u = np.array(us)
    p = np.array(ps)
    cos = np.asarray(xu[u].multiply(xp[p]).sum(axis=1)).reshape(-1)
    exact = pairwise_similarity([unit_strs[i] for i in us], [prov_strs[j] for j in ps])
    if np.ptp(cos) < 1e-9:
        return 1.0
    slope = float(np.polyfit(cos, exact, 1)[0])
    return slope if slope > 0.05 else 0.05


def _filter_and_prune(problem: MatchProblem, units: list[Unit], market: _Market, xu, xp,
                      slope: float, shortlist: float, funnels: dict):
    opts = problem.options
    w = opts.weights
    n_prov = len(problem.providers)
    bids = _bids_by_unit(problem)
    forbidden = _forbidden_providers(problem)
    conflicts: dict[Id, set[int]] = {}
    by_org: dict[Id, set[int]] = {}
    for i, p in enumerate(problem.providers):
        for pid in p.conflict_project_ids:
            conflicts.setdefault(pid, set()).add(i)
        for org in p.conflict_org_ids:
            by_org.setdefault(org, set()).add(i)

    street_of = np.array([market.street_index[u.project.street_id] for u in units], dtype=np.int64)
    no_comm = len(market.comm_index)
    comm_of = np.array([no_comm if u.project.community_id is None
                        else market.comm_index[u.project.community_id] for u in units],
                       dtype=np.int64)
    minr = np.array([u.project.requirements.min_rating_grade for u in units], dtype=np.int64)
    miny = np.array([u.project.requirements.min_years_registered for u in units])
    mins = np.array([u.project.requirements.min_staff for u in units], dtype=np.int64)
    mina = np.array([u.project.requirements.min_office_area_m2 for u in units])
    base_price = np.array([S.price_score(u.cost, u.budget) for u in units])

    by_cat: dict[str, list[int]] = {}
    for i, u in enumerate(units):
        by_cat.setdefault(u.category, []).append(i)

    out_u, out_p, out_rest, out_geo, out_cat, out_pc, out_price = [], [], [], [], [], [], []
    for category in sorted(by_cat):
        uidx = np.array(by_cat[category], dtype=np.int64)
        members = market.cat_members.get(category, np.zeros(0, dtype=np.int64))
        primary = market.cat_primary.get(category, np.zeros(0, dtype=bool))
        has_cap = market.capacity[members] > 0
        P = members[has_cap]
        n_cat, n_cap = len(members), len(P)
        if n_cap == 0:
            for i in uidx.tolist():
                funnels[units[i].key] = FilterFunnel(category=n_cat, capacity=0,
                                                     bid_count=len(bids.get(units[i].key, ())))
            continue
        cat_comp = np.where(primary[has_cap], S.CATEGORY_PRIMARY, S.CATEGORY_SECONDARY)
        pos = np.full(n_prov, -1, dtype=np.int64)
        pos[P] = np.arange(n_cap)
        street_c = market.street_mat[:, P]
        comm_c = market.comm_mat[:, P]
        whole_c = market.whole[P]
        home_c = market.home[P]
        grade_c, years_c = market.grade[P], market.years[P]
        staff_c, office_c = market.staff[P], market.office[P]
        fixed_c = w.category * cat_comp + market.static[P]
        xp_c = xp[P].T.tocsr() if xp is not None else None
        chunk = max(1, _CHUNK_CELLS // n_cap)
        for start in range(0, len(uidx), chunk):
            rows = uidx[start:start + chunk]
            su, cu = street_of[rows], comm_of[rows]
            in_street = street_c[su]
            local = comm_c[cu] | (home_c[None, :] == su[:, None])
            area = whole_c[None, :] | in_street | comm_c[cu]
            elig = area & (grade_c[None, :] >= minr[rows, None]) & (
                years_c[None, :] >= miny[rows, None] - 1e-9) & (
                staff_c[None, :] >= mins[rows, None]) & (office_c[None, :] >= mina[rows, None] - 1e-9)
            n_area = area.sum(axis=1)
            n_req = elig.sum(axis=1)
            price_c = np.broadcast_to(base_price[rows, None], elig.shape)
            price_fen = None
            n_bids = n_req.copy()
            bid_rows = [r for r, i in enumerate(rows.tolist()) if units[i].key in bids]
            if bid_rows:
                price_c = price_c.copy()
                price_fen = np.broadcast_to(
                    np.array([units[i].cost for i in rows.tolist()])[:, None], elig.shape).copy()
                for r in bid_rows:
                    unit = units[int(rows[r])]
                    mask = np.zeros(n_cap, dtype=bool)
                    for prov_id, amount in bids[unit.key].items():
                        j = pos[market.index[prov_id]]
                        if j >= 0 and amount <= unit.budget:
                            mask[j] = True
                            price_c[r, j] = S.price_score(amount, unit.budget)
                            price_fen[r, j] = amount
                    elig[r] &= mask
                    n_bids[r] = int(elig[r].sum())
            n_conf = n_bids.copy()
            n_dec = n_bids.copy()
            for r, i in enumerate(rows.tolist()):
                unit = units[i]
                pid = unit.key[0]
                bad = set(conflicts.get(pid, ()))
                if unit.project.applicant_id is not None:
                    bad |= by_org.get(unit.project.applicant_id, set())
                if bad:
                    cols = pos[np.fromiter(bad, dtype=np.int64)]
                    elig[r, cols[cols >= 0]] = False
                    n_conf[r] = int(elig[r].sum())
                    n_dec[r] = n_conf[r]
                fb = set(forbidden.get((pid, None), ()))
                if unit.key[1] is not None:
                    fb |= forbidden.get((pid, unit.key[1]), set())
                if fb:
                    cols = pos[np.array([market.index[x] for x in fb], dtype=np.int64)]
                    elig[r, cols[cols >= 0]] = False
                    n_dec[r] = int(elig[r].sum())
                funnels[unit.key] = FilterFunnel(
                    category=n_cat, capacity=n_cap, area=int(n_area[r]),
                    requirements=int(n_req[r]), bids=int(n_bids[r]), conflicts=int(n_conf[r]),
                    decisions=int(n_dec[r]), bid_count=len(bids.get(unit.key, ())))
            geo = np.where(local, S.GEO_LOCAL, np.where(in_street, S.GEO_STREET, S.GEO_DISTRICT))
            rest = fixed_c[None, :] + w.geography * geo + w.price * price_c
            if math.isfinite(shortlist) and shortlist < n_cap:
                cos = (xu[rows] @ xp_c).toarray()
                approx = np.where(elig, w.text * slope * cos + rest, -np.inf)
                m = int(shortlist)
                cols = np.argpartition(-approx, m - 1, axis=1)[:, :m]
                rr = np.repeat(np.arange(len(rows)), m)
                cc = cols.reshape(-1)
                ok = elig[rr, cc]
                rr, cc = rr[ok], cc[ok]
            else:
                rr, cc = np.nonzero(elig)
            out_u.append(rows[rr])
            out_p.append(P[cc])
            out_rest.append(rest[rr, cc])
            out_geo.append(geo[rr, cc])
            out_cat.append(cat_comp[cc])
            out_pc.append(price_c[rr, cc])
            if price_fen is None:
                out_price.append(np.array([units[i].cost for i in rows.tolist()],
                                          dtype=np.int64)[rr])
            else:
                out_price.append(price_fen[rr, cc].astype(np.int64))
    if not out_u:
        empty_i = np.zeros(0, dtype=np.int64)
        empty_f = np.zeros(0, dtype=np.float64)
        return empty_i, empty_i, empty_f, empty_f, empty_f, empty_f, empty_i
    return (np.concatenate(out_u), np.concatenate(out_p), np.concatenate(out_rest),
            np.concatenate(out_geo), np.concatenate(out_cat), np.concatenate(out_pc),
            np.concatenate(out_price))


def _add_pins(problem: MatchProblem, units: list[Unit],
              providers_out: dict[UnitKey, tuple[Candidate, ...]], pin_errors: list[Reason]) -> None:
    pins = [d for d in problem.decisions if d.kind == "pin" and d.provider_id is not None]
    if not pins:
        return
    by_key = {u.key: u for u in units}
    bids = _bids_by_unit(problem)
    forbidden = _forbidden_providers(problem)
    opts = problem.options
    for dec in pins:
        key = (dec.project_id, dec.lot_id)
        unit = by_key.get(key)
        if unit is None:  # project not requested
            continue
        current = providers_out.get(key, ())
        if any(c.provider_id == dec.provider_id for c in current):
            continue
        provider = problem.provider(dec.provider_id)
        stage = _check_unit(problem, unit, provider, bids.get(key), forbidden)
        if stage is not None:
            pin_errors.append(Reason("pin_fails_filter", {
                "project_id": dec.project_id, "lot_id": dec.lot_id, "provider_id": dec.provider_id,
                "stage": stage}))
            continue
        price = bids.get(key, {}).get(provider.id, unit.cost)
        score, comps = S.score_pair(unit.project, provider, lot=unit.lot, price=price,
                                    weights=opts.weights, mode=opts.text_mode)
        cand = Candidate(dec.project_id, provider.id, score, comps, int(price), dec.lot_id)
        merged = sorted(current + (cand,), key=lambda c: (-c.score, id_key(c.provider_id)))
        providers_out[key] = tuple(merged)


def _id_hash(value: Id) -> int:
    return zlib.crc32(repr(value).encode("utf-8"))


def _mix_uniform(a: int, b: np.ndarray) -> np.ndarray:
    """Deterministic uniforms in (0, 1) from two 32-bit hashes (splitmix64 finaliser)."""
    with np.errstate(over="ignore"):
        z = (np.uint64(a) * np.uint64(0x9E3779B97F4A7C15)) ^ b.astype(np.uint64)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        z = z ^ (z >> np.uint64(31))
    return ((z >> np.uint64(11)).astype(np.float64) + 0.5) / float(1 << 53)


def _pool_candidates(problem: MatchProblem, projects: Sequence[ProjectSpec],
                     pin_errors: list[Reason]):
    k = problem.options.k_pools
    pools = sorted(problem.pools, key=lambda p: id_key(p.id))
    forbidden: dict[Id, set[Id]] = {}
    pinned: dict[Id, list[Id]] = {}
    for dec in problem.decisions:
        if dec.pool_id is not None:
            if dec.kind == "forbid":
                forbidden.setdefault(dec.project_id, set()).add(dec.pool_id)
            else:
                pinned.setdefault(dec.project_id, []).append(dec.pool_id)
    cache: dict[tuple, tuple] = {}
    out: dict[Id, tuple[PoolCandidate, ...]] = {}
    funnels: dict[Id, tuple[int, int, int]] = {}
    for project in projects:
        if not project.needs_funding:
            continue
        sig = (project.category, project.street_id)
        entry = cache.get(sig)
        if entry is None:
            by_cat = [p for p in pools if p.remaining > 0
                      and (not p.categories or project.category in p.categories)]
            elig = [p for p in by_cat if not p.streets or project.street_id in p.streets]
            entry = cache[sig] = (
                len(by_cat), elig,
                np.array([p.remaining * (4.0 if p.categories else 1.0)
                          * (2.0 if p.streets else 1.0) for p in elig], dtype=np.float64),
                np.array([_id_hash(p.id) for p in elig], dtype=np.uint64),
                np.array([p.max_share for p in elig], dtype=np.float64),
                np.array([p.max_per_project is None or p.max_per_project > 0 for p in elig],
                         dtype=bool))
        n_cat, elig, weight, hashes, share, has_max = entry
        ok = has_max & (np.floor(share * project.budget + 1e-9) >= 1)
        fb = forbidden.get(project.id)
        if fb:
            ok &= np.array([p.id not in fb for p in elig], dtype=bool)
        idx = np.flatnonzero(ok)
        funnels[project.id] = (n_cat, len(elig), len(idx))
        keys = -np.log(_mix_uniform(_id_hash(project.id), hashes[idx])) / weight[idx]
        order = idx[np.argsort(keys, kind="stable")]  # pools are in id order: ties by id
        chosen = [elig[i] for i in order[:k].tolist()]
        chosen_ids = {p.id for p in chosen}
        allowed_ids = {elig[i].id for i in idx.tolist()}
        for pool_id in pinned.get(project.id, ()):
            if pool_id in chosen_ids:
                continue
            if pool_id not in allowed_ids:
                pin_errors.append(Reason("pinned_pool_not_eligible",
                                         {"project_id": project.id, "pool_id": pool_id}))
            else:
                chosen.append(problem.pool(pool_id))
                chosen_ids.add(pool_id)
        out[project.id] = tuple(PoolCandidate(project.id, p.id, r, bool(p.categories or p.streets))
                                for r, p in enumerate(chosen))
    return out, funnels
