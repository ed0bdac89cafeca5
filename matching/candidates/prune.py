"""Hard filters and the approximate pass, vectorised over blocks of units x providers.

Units are grouped by category and type (blocking) and compared only with the providers of that
category that supply the type (service, goods or works) and have capacity left; each block is cut into chunks of at most :data:`CHUNK_CELLS` pairs.  In
a chunk every filter is a boolean matrix, each filter's survivors are counted for the unit's
:class:`~matching.types.FilterFunnel`, the non-text score components are computed exactly, and
the text component is approximated by a tf-idf cosine so that only the best ``shortlist``
providers per unit survive to the exact pass.

>>> Survivors.concatenate([]).unit.tolist()
[]
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..score import (
    CATEGORY_PRIMARY,
    CATEGORY_SECONDARY,
    GEO_DISTRICT,
    GEO_LOCAL,
    GEO_STREET,
    price_score,
)
from ..types import FilterFunnel, Id, MatchProblem, UnitKey
from .providers import BoolArray, FloatArray, IntArray, ProviderArrays
from .skills import SkillData, text_scores
from .units import Unit, bids_by_unit, forbidden_providers

__all__ = ["CHUNK_CELLS", "TextIndex", "Survivors", "filter_and_prune"]

#: Units x providers per vectorised chunk.
CHUNK_CELLS = 2_000_000


@dataclass(frozen=True)
class TextIndex:
    """tf-idf rows of the units and of the providers (sparse), the slope that maps their
    cosine to the exact fuzzy similarity, and the skills each side names (the text component
    is :func:`~matching.candidates.skills.text_scores` of the approximate fuzzy similarity)."""

    units: Any
    providers: Any
    slope: float
    skills: SkillData | None = None


@dataclass(frozen=True)
class Survivors:
    """The pairs that passed every hard filter (and the shortlist), as parallel arrays."""

    unit: IntArray
    provider: IntArray
    #: Weighted non-text part of the score (category, geography, price and the static ones).
    rest: FloatArray
    geography: FloatArray
    category: FloatArray
    price_score: FloatArray
    #: The pair's cost in fen (the bid, else the unit's price or budget).
    price: IntArray

    @classmethod
    def concatenate(cls, parts: list[Survivors]) -> Survivors:
        if not parts:
            empty_i = np.zeros(0, dtype=np.int64)
            empty_f = np.zeros(0, dtype=np.float64)
            return cls(empty_i, empty_i, empty_f, empty_f, empty_f, empty_f, empty_i)
        return cls(*(np.concatenate([getattr(p, name) for p in parts]) for name in (
            "unit", "provider", "rest", "geography", "category", "price_score", "price")))


class _Units:
    """Per-unit arrays: where it is, what it requires, its bids and exclusions."""

    def __init__(self, problem: MatchProblem, units: list[Unit], providers: ProviderArrays):
        self.units = units
        self.street = np.array([providers.street_index[u.project.street_id] for u in units],
                               dtype=np.int64)
        no_community = len(providers.community_index)
        self.community = np.array([no_community if u.project.community_id is None
                                   else providers.community_index[u.project.community_id]
                                   for u in units], dtype=np.int64)
        self.min_grade = np.array([u.project.requirements.min_rating_grade for u in units],
                                  dtype=np.int64)
        self.min_years = np.array([u.project.requirements.min_years_registered for u in units])
        self.min_staff = np.array([u.project.requirements.min_staff for u in units], dtype=np.int64)
        self.min_office = np.array([u.project.requirements.min_office_area_m2 for u in units])
        self.qualifications = [u.qualifications for u in units]
        #: Price component at the unit's own cost (no bid).
        self.price_score = np.array([price_score(u.cost, u.budget) for u in units])
        self.bids = bids_by_unit(problem)
        self.forbidden = forbidden_providers(problem)
        self.conflicted_by_project: dict[Id, set[int]] = {}
        self.conflicted_by_applicant: dict[Id, set[int]] = {}
        for i, provider in enumerate(problem.providers):
            for project_id in provider.conflict_project_ids:
                self.conflicted_by_project.setdefault(project_id, set()).add(i)
            for org_id in provider.conflict_org_ids:
                self.conflicted_by_applicant.setdefault(org_id, set()).add(i)


class _Block:
    """The providers of one category that supply one type and have capacity left, with their
    arrays sliced."""

    def __init__(self, providers: ProviderArrays, members: IntArray, primary: BoolArray,
                 project_type: str, weights_category: float, text: TextIndex | None,
                 n_providers: int, category: str = ""):
        self.n_category = len(members)
        supplies = providers.supplies[project_type][members]
        members, primary = members[supplies], primary[supplies]
        self.n_supplies = len(members)
        has_capacity = providers.capacity[members] > 0
        self.members: IntArray = members[has_capacity]
        self.size = len(self.members)
        self.category_score = np.where(primary[has_capacity], CATEGORY_PRIMARY, CATEGORY_SECONDARY)
        #: Column of each provider (by input index) in the block, -1 if not in it.
        self.column = np.full(n_providers, -1, dtype=np.int64)
        self.column[self.members] = np.arange(self.size)
        self.serves_street = providers.serves_street[:, self.members]
        self.serves_community = providers.serves_community[:, self.members]
        self.whole_district = providers.whole_district[self.members]
        self.home_street = providers.home_street[self.members]
        self.grade, self.years = providers.grade[self.members], providers.years[self.members]
        self.staff, self.office = providers.staff[self.members], providers.office[self.members]
        self.qualifications = [providers.qualifications[i] for i in self.members.tolist()]
        self.fixed = weights_category * self.category_score + providers.static[self.members]
        self.text = text.providers[self.members].T.tocsr() if text is not None and self.size else None
        #: Skill masks of the members in the category, the masks of the ones their names name,
        #: and how many skills of the whole vocabulary each claims.
        self.skills: Any = None
        self.names: Any = None
        self.offer: IntArray = np.zeros(self.size, dtype=np.int64)
        if text is not None and text.skills is not None and self.size:
            self.skills, self.names, self.offer = text.skills.block(self.members, category)


def filter_and_prune(problem: MatchProblem, units: list[Unit], providers: ProviderArrays,
                     text: TextIndex | None, shortlist: float,
                     funnels: dict[UnitKey, FilterFunnel]) -> Survivors:
    """Every pair passing the hard filters, cut to the best ``shortlist`` per unit by the
    approximate score (``inf``: no cut); fills ``funnels`` for every unit."""
    weights = problem.options.weights
    context = _Units(problem, units, providers)
    by_block: dict[tuple[str, str], list[int]] = {}
    for u, unit in enumerate(units):
        by_block.setdefault((unit.category, unit.project_type), []).append(u)
    parts: list[Survivors] = []
    for category, project_type in sorted(by_block):
        rows_of_category = np.array(by_block[category, project_type], dtype=np.int64)
        block = _Block(providers, providers.category_members.get(category, np.zeros(0, dtype=np.int64)),
                       providers.category_primary.get(category, np.zeros(0, dtype=bool)),
                       project_type, weights.category, text, len(problem.providers), category)
        if block.size == 0:
            for u in rows_of_category.tolist():
                key = units[u].key
                funnels[key] = FilterFunnel(category=block.n_category, supplies=block.n_supplies,
                                            capacity=0, bid_count=len(context.bids.get(key, ())))
            continue
        chunk = max(1, CHUNK_CELLS // block.size)
        for start in range(0, len(rows_of_category), chunk):
            rows = rows_of_category[start:start + chunk]
            parts.append(_filter_chunk(problem, context, providers, block, rows, text, shortlist,
                                       funnels))
    return Survivors.concatenate(parts)


def _filter_chunk(problem: MatchProblem, context: _Units, providers: ProviderArrays, block: _Block,
                  rows: IntArray, text: TextIndex | None, shortlist: float,
                  funnels: dict[UnitKey, FilterFunnel]) -> Survivors:
    """The filters, funnels and approximate cut of one chunk of units against a block."""
    weights = problem.options.weights
    streets = context.street[rows]
    in_street = block.serves_street[streets]
    local = block.serves_community[context.community[rows]] | \
        (block.home_street[None, :] == streets[:, None])
    area = block.whole_district[None, :] | in_street | block.serves_community[context.community[rows]]
    eligible = area & _meets_requirements(context, block, rows)
    n_area = area.sum(axis=1)
    n_requirements = eligible.sum(axis=1)
    prices, price_fen, n_bids = _apply_bids(context, providers, block, rows, eligible,
                                            n_requirements)
    n_conflicts, n_decisions = _apply_exclusions(context, providers, block, rows, eligible, n_bids)
    for r, u in enumerate(rows.tolist()):
        key = context.units[u].key
        funnels[key] = FilterFunnel(
            category=block.n_category, supplies=block.n_supplies, capacity=block.size, area=int(n_area[r]),
            requirements=int(n_requirements[r]), bids=int(n_bids[r]),
            conflicts=int(n_conflicts[r]), decisions=int(n_decisions[r]),
            bid_count=len(context.bids.get(key, ())))
    geography = np.where(local, GEO_LOCAL, np.where(in_street, GEO_STREET, GEO_DISTRICT))
    rest = block.fixed[None, :] + weights.geography * geography + weights.price * prices
    if text is not None and block.text is not None and math.isfinite(shortlist) \
            and shortlist < block.size:
        fuzzy = text.slope * (text.units[rows] @ block.text).toarray()
        if text.skills is not None and block.skills is not None:
            skills = text.skills
            shared = skills.shared_block(rows, block.skills)
            named = skills.shared_block(rows, block.names)
            fuzzy = text_scores(fuzzy, skills.n_need[rows, None], block.offer[None, :], shared,
                                skills.n_category[rows, None], named)
        approx = np.where(eligible, weights.text * fuzzy + rest, -np.inf)
        r_kept, c_kept = _best_per_row(approx, eligible, int(shortlist))
    else:
        r_kept, c_kept = np.nonzero(eligible)
    if price_fen is None:
        price = np.array([context.units[u].cost for u in rows.tolist()], dtype=np.int64)[r_kept]
    else:
        price = price_fen[r_kept, c_kept].astype(np.int64)
    return Survivors(rows[r_kept], block.members[c_kept], rest[r_kept, c_kept],
                     geography[r_kept, c_kept], block.category_score[c_kept],
                     prices[r_kept, c_kept], price)


def _meets_requirements(context: _Units, block: _Block, rows: IntArray) -> BoolArray:
    """Rating grade, years registered, staff, office area and qualifications, unit by
    provider."""
    meets: BoolArray = (block.grade[None, :] >= context.min_grade[rows, None]) & (
        block.years[None, :] >= context.min_years[rows, None] - 1e-9) & (
        block.staff[None, :] >= context.min_staff[rows, None]) & (
        block.office[None, :] >= context.min_office[rows, None] - 1e-9)
    for r, u in enumerate(rows.tolist()):
        required = context.qualifications[u]
        if required:
            meets[r] &= np.array([required <= held for held in block.qualifications],
                                 dtype=np.bool_)
    return meets


def _apply_bids(context: _Units, providers: ProviderArrays, block: _Block, rows: IntArray,
                eligible: BoolArray, n_requirements: IntArray
                ) -> tuple[FloatArray, IntArray | None, IntArray]:
    """Units with bids keep only bidders at or under their budget, at their bid's price.

    Returns the price components, the prices in fen (``None``: every unit at its own cost)
    and how many providers are left per unit.
    """
    prices: FloatArray = np.broadcast_to(context.price_score[rows, None], eligible.shape)
    price_fen: IntArray | None = None
    n_bids = n_requirements.copy()
    bid_rows = [r for r, u in enumerate(rows.tolist()) if context.units[u].key in context.bids]
    if not bid_rows:
        return prices, price_fen, n_bids
    prices = prices.copy()
    price_fen = np.broadcast_to(
        np.array([context.units[u].cost for u in rows.tolist()])[:, None], eligible.shape).copy()
    for r in bid_rows:
        unit = context.units[int(rows[r])]
        bidders = np.zeros(block.size, dtype=bool)
        for provider_id, amount in context.bids[unit.key].items():
            col = block.column[providers.index[provider_id]]
            if col >= 0 and amount <= unit.budget:
                bidders[col] = True
                prices[r, col] = price_score(amount, unit.budget)
                price_fen[r, col] = amount
        eligible[r] &= bidders
        n_bids[r] = int(eligible[r].sum())
    return prices, price_fen, n_bids


def _apply_exclusions(context: _Units, providers: ProviderArrays, block: _Block, rows: IntArray,
                      eligible: BoolArray, n_bids: IntArray) -> tuple[IntArray, IntArray]:
    """Conflicts of interest, then official decisions; returns the providers left after each."""
    n_conflicts = n_bids.copy()
    n_decisions = n_bids.copy()
    for r, u in enumerate(rows.tolist()):
        unit = context.units[u]
        project_id = unit.key[0]
        conflicted = set(context.conflicted_by_project.get(project_id, ()))
        if unit.project.applicant_id is not None:
            conflicted |= context.conflicted_by_applicant.get(unit.project.applicant_id, set())
        if conflicted:
            cols = block.column[np.fromiter(conflicted, dtype=np.int64)]
            eligible[r, cols[cols >= 0]] = False
            n_conflicts[r] = int(eligible[r].sum())
            n_decisions[r] = n_conflicts[r]
        forbidden = set(context.forbidden.get((project_id, None), ()))
        if unit.key[1] is not None:
            forbidden |= context.forbidden.get((project_id, unit.key[1]), set())
        if forbidden:
            cols = block.column[np.array([providers.index[p] for p in forbidden], dtype=np.int64)]
            eligible[r, cols[cols >= 0]] = False
            n_decisions[r] = int(eligible[r].sum())
    return n_conflicts, n_decisions


def _best_per_row(approx: FloatArray, eligible: BoolArray, keep: int) -> tuple[IntArray, IntArray]:
    """Row and column indices of the ``keep`` best eligible cells of each row."""
    cols = np.argpartition(-approx, keep - 1, axis=1)[:, :keep]
    r_kept = np.repeat(np.arange(approx.shape[0]), keep)
    c_kept = cols.reshape(-1)
    ok = eligible[r_kept, c_kept]
    return r_kept[ok], c_kept[ok]
