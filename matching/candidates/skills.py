"""The sector vocabulary applied to every unit and provider of a run, as sparse matrices.

Each unit names skills of its category, each provider skills of its categories (in its
capabilities, name and delivered titles, :func:`matching.score.provider_evidence`).  Skills are
columns of two sparse 0/1 matrices, so the skills a pair shares are a row product, for one pair
or a whole block; :func:`text_scores` is :func:`matching.score.skill_text_score` on arrays.

>>> from matching.types import MatchProblem, ProjectSpec, ProviderSpec
>>> from matching.vocabulary import Vocabulary
>>> from matching.candidates.units import units_of
>>> proj = ProjectSpec(id=1, title="居家养老", category="elderly_care", street_id="s", budget=1)
>>> prov = ProviderSpec(id="a", name="A", categories=["elderly_care"], capability="上门照护")
>>> data = SkillData(MatchProblem(projects=[proj], providers=[prov]), units_of(proj),
...                  Vocabulary.default())
>>> data.unit_names[0], data.provider_names[0], data.matched(0, 0)[0].provider_term
(('居家养老',), ('居家养老',), '上门照护')
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy import sparse

from ..score import BREADTH_FREE, BREADTH_PENALTY, SKILL_WEIGHT, provider_skills
from ..types import MatchProblem
from ..vocabulary import MatchedSkill, Vocabulary, matched_skills
from .providers import FloatArray, IntArray
from .units import Unit

__all__ = ["SkillData", "text_scores"]


def text_scores(fuzzy: FloatArray, n_need: Any, n_offer: Any, n_shared: Any,
                n_category: Any) -> FloatArray:
    """:func:`matching.score.skill_text_score` element-wise (arguments broadcast).

    >>> text_scores(np.array([0.5, 0.5]), np.array([2, 2]), np.array([2, 9]),
    ...             np.array([2, 2]), 10).round(3).tolist()
    [0.6, 0.24]
    """
    fuzzy = np.asarray(fuzzy, dtype=np.float64)
    n_need = np.asarray(n_need, dtype=np.float64)
    n_shared = np.asarray(n_shared, dtype=np.float64)
    coverage = np.divide(n_shared, n_need, out=np.zeros(np.broadcast(n_shared, n_need).shape),
                         where=n_need > 0)
    text = np.where(n_need > 0, (1.0 - SKILL_WEIGHT) * fuzzy + SKILL_WEIGHT * coverage, fuzzy)
    breadth = np.maximum(0.0, np.asarray(n_offer, dtype=np.float64) - n_shared - BREADTH_FREE) \
        / np.maximum(1.0, np.asarray(n_category, dtype=np.float64))
    out: FloatArray = np.clip(text * (1.0 - BREADTH_PENALTY * breadth), 0.0, 1.0)
    return out


class SkillData:
    """Skills named by every unit (in its category) and provider (in each of its categories)."""

    def __init__(self, problem: MatchProblem, units: list[Unit], vocabulary: Vocabulary):
        self.vocabulary = vocabulary
        columns: dict[tuple[str, int], int] = {}
        categories: dict[str, int] = {}
        #: ``skill position -> term`` of each unit, in its category.
        self.unit_found: list[dict[int, str]] = []
        self.unit_category: IntArray = np.zeros(len(units), dtype=np.int64)
        rows: list[int] = []
        cols: list[int] = []
        for u, unit in enumerate(units):
            found = vocabulary.index(unit.category).find(unit.text)
            self.unit_found.append(found)
            self.unit_category[u] = categories.setdefault(unit.category, len(categories))
            for n in found:
                rows.append(u)
                cols.append(columns.setdefault((unit.category, n), len(columns)))
        #: ``category -> skill position -> term`` of each provider.
        self.provider_found: list[dict[str, dict[int, str]]] = []
        p_rows: list[int] = []
        p_cols: list[int] = []
        for i, provider in enumerate(problem.providers):
            found_by_category = provider_skills(provider, vocabulary)
            self.provider_found.append(found_by_category)
            for category, found in found_by_category.items():
                for n in found:
                    p_rows.append(i)
                    p_cols.append(columns.setdefault((category, n), len(columns)))
        n_cols = max(1, len(columns))
        self.units = sparse.csr_matrix((np.ones(len(rows)), (rows, cols)),
                                       shape=(len(units), n_cols))
        self.providers = sparse.csr_matrix((np.ones(len(p_rows)), (p_rows, p_cols)),
                                           shape=(len(problem.providers), n_cols))
        self.n_need: IntArray = np.array([len(f) for f in self.unit_found], dtype=np.int64)
        self.n_category: IntArray = np.array([len(vocabulary.index(u.category)) for u in units],
                                             dtype=np.int64)
        #: Skills each provider names in each unit category (providers x categories).
        self.offer: IntArray = np.zeros((len(problem.providers), max(1, len(categories))),
                                        dtype=np.int64)
        for i, found_by_category in enumerate(self.provider_found):
            for category, found in found_by_category.items():
                c = categories.get(category)
                if c is not None:
                    self.offer[i, c] = len(found)
        self.category_column = categories
        self.unit_names = [tuple(vocabulary.index(u.category).skills[n] for n in f)
                           for u, f in zip(units, self.unit_found)]
        self.provider_names = [tuple(dict.fromkeys(
            vocabulary.index(c).skills[n] for c, found in by_c.items() for n in found))
            for by_c in self.provider_found]
        self._unit_category_name = [u.category for u in units]

    def block(self, members: IntArray, category: str) -> tuple[Any, IntArray]:
        """Skills of a block's providers, transposed (skills x members), and how many of the
        category's skills each names."""
        c = self.category_column.get(category)
        offer = self.offer[members, c] if c is not None else np.zeros(len(members), dtype=np.int64)
        return self.providers[members].T.tocsr(), offer

    def scores(self, unit: IntArray, provider: IntArray, fuzzy: FloatArray) -> FloatArray:
        """Text components of aligned (unit, provider) pairs from their fuzzy similarities."""
        if not len(unit):
            return np.zeros(0, dtype=np.float64)
        shared = np.asarray(self.units[unit].multiply(self.providers[provider]).sum(axis=1)
                            ).reshape(-1)
        offer = self.offer[provider, self.unit_category[unit]]
        return text_scores(fuzzy, self.n_need[unit], offer, shared, self.n_category[unit])

    def matched(self, u: int, i: int) -> tuple[MatchedSkill, ...]:
        """The skills unit ``u`` and provider ``i`` both name."""
        category = self._unit_category_name[u]
        offers = self.provider_found[i].get(category)
        if not offers or not self.unit_found[u]:
            return ()
        return matched_skills(self.vocabulary.index(category), self.unit_found[u], offers)
