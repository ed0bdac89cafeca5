"""The sector vocabulary applied to every unit and provider of a run, as sparse matrices.

Each unit names skills of its category, each provider skills of its categories (in its
capabilities, name and delivered titles, :func:`matching.score.provider_evidence`).  Within a
category a skill is a bit (its position in the category), so the skills a unit names are a
bit mask, and so are the skills a provider names in each unit category; the skills a pair shares
are the population count of the AND of the two masks, for aligned pairs or a whole block at
once.  :func:`text_scores` is :func:`matching.score.skill_text_score` on arrays.

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

from collections.abc import Iterable

import numpy as np
import numpy.typing as npt

from ..score import (
    BREADTH_FREE,
    BREADTH_PENALTY,
    BREADTH_SCALE,
    NAME_WEIGHT,
    SKILL_WEIGHT,
    provider_claims,
    provider_skills,
)
from ..types import MatchProblem
from ..vocabulary import MatchedSkill, Vocabulary
from .providers import FloatArray, IntArray
from .units import Unit

__all__ = ["SkillData", "text_scores", "popcount"]

MaskArray = npt.NDArray[np.uint64]
#: Bits set in each byte value.
_POP = np.array([bin(b).count("1") for b in range(256)], dtype=np.int64)


def popcount(masks: MaskArray) -> IntArray:
    """Bits set per mask, summed over the last axis (the words of a mask).

    >>> popcount(np.array([[7, 1], [0, 2**63]], dtype=np.uint64)).tolist()
    [4, 1]
    """
    as_bytes = np.ascontiguousarray(masks).view(np.uint8)
    counts: IntArray = _POP[as_bytes].sum(axis=-1)
    return counts


def text_scores(fuzzy: npt.ArrayLike, n_need: npt.ArrayLike, n_offer: npt.ArrayLike,
                n_shared: npt.ArrayLike, n_category: npt.ArrayLike,
                n_named: npt.ArrayLike = 0) -> FloatArray:
    """:func:`matching.score.skill_text_score` element-wise (arguments broadcast).

    >>> text_scores(np.array([0.5, 0.5]), np.array([2, 2]), np.array([3, 22]),
    ...             np.array([2, 2]), 10).round(3).tolist()
    [0.6, 0.168]
    """
    fz = np.asarray(fuzzy, dtype=np.float64)
    need = np.asarray(n_need, dtype=np.float64)
    shared = np.asarray(n_shared, dtype=np.float64)
    coverage = np.divide(shared, need, out=np.zeros(np.broadcast(shared, need).shape),
                         where=need > 0)
    text = np.where(need > 0, (1.0 - SKILL_WEIGHT) * fz + SKILL_WEIGHT * coverage, fz)
    n_cat = np.asarray(n_category, dtype=np.float64)
    breadth = np.maximum(0.0, np.asarray(n_offer, dtype=np.float64) - shared - BREADTH_FREE) \
        / np.maximum(1.0, BREADTH_SCALE * n_cat)
    # a category the vocabulary does not know has nothing to be broad in
    text = text * np.where(n_cat > 0, np.maximum(0.0, 1.0 - BREADTH_PENALTY * breadth), 1.0)
    named = np.minimum(np.asarray(n_named, dtype=np.float64), need)
    text = text + NAME_WEIGHT * np.divide(named, need, out=np.zeros(np.broadcast(named, need).shape),
                                          where=need > 0)
    out: FloatArray = np.clip(text, 0.0, 1.0)
    return out


class SkillData:
    """Skills named by every unit (in its category) and provider (in each of its categories)."""

    def __init__(self, problem: MatchProblem, units: list[Unit], vocabulary: Vocabulary):
        self.vocabulary = vocabulary
        #: Column of each unit category in the per-category arrays.
        self.category_column: dict[str, int] = {}
        for unit in units:
            self.category_column.setdefault(unit.category, len(self.category_column))
        n_cats = max(1, len(self.category_column))
        sizes = [len(vocabulary.index(c)) for c in self.category_column]
        #: 64-bit words per mask.
        self.words = max(1, -(-max(sizes, default=0) // 64))
        #: ``skill position -> term`` of each unit, in its category.
        self.unit_found = [vocabulary.index(u.category).find(u.text) for u in units]
        self.unit_category: IntArray = np.array([self.category_column[u.category] for u in units],
                                                dtype=np.int64)
        self.unit_mask: MaskArray = np.zeros((len(units), self.words), dtype=np.uint64)
        for u, found in enumerate(self.unit_found):
            _set_bits(self.unit_mask[u], found)
        #: ``category -> skill position -> term`` of each provider.
        self.provider_found = [provider_skills(p, vocabulary) for p in problem.providers]
        n_providers = len(problem.providers)
        self.provider_mask: MaskArray = np.zeros((n_providers, n_cats, self.words), dtype=np.uint64)
        #: Skills of each unit category that the provider's evidence and its name both name.
        self.name_mask: MaskArray = np.zeros((n_providers, n_cats, self.words), dtype=np.uint64)
        #: Skills each provider claims in the whole vocabulary (:func:`matching.score.provider_claims`).
        self.claims: IntArray = np.array([provider_claims(p, vocabulary) for p in problem.providers],
                                         dtype=np.int64)
        for i, found_by_category in enumerate(self.provider_found):
            for category, found in found_by_category.items():
                c = self.category_column.get(category)
                if c is not None and found:
                    _set_bits(self.provider_mask[i, c], found)
                    name = problem.providers[i].name
                    _set_bits(self.name_mask[i, c],
                              [n for n in vocabulary.index(category).find(name) if n in found])
        self.n_need: IntArray = np.array([len(f) for f in self.unit_found], dtype=np.int64)
        self.n_category: IntArray = np.array([sizes[c] for c in self.unit_category.tolist()],
                                             dtype=np.int64)
        self.unit_names = [tuple(vocabulary.index(u.category).skills[n] for n in f)
                           for u, f in zip(units, self.unit_found)]
        self.provider_names = [tuple(dict.fromkeys(
            vocabulary.index(c).skills[n] for c, found in by_c.items() for n in found))
            for by_c in self.provider_found]
        self._unit_category_name = [u.category for u in units]
        self._matched: dict[tuple[str, int, str, str], MatchedSkill] = {}

    def block(self, members: IntArray, category: str) -> tuple[MaskArray, MaskArray, IntArray]:
        """Skill masks of a block's providers in ``category`` (members x words), the masks of
        those skills their names name, and how many skills of the whole vocabulary each claims."""
        c = self.category_column.get(category)
        if c is None:
            empty = np.zeros((len(members), self.words), dtype=np.uint64)
            return empty, empty, self.claims[members]
        return self.provider_mask[members, c], self.name_mask[members, c], self.claims[members]

    def shared_block(self, rows: IntArray, masks: MaskArray) -> IntArray:
        """Skills shared by each unit of ``rows`` and each provider of a block (rows x members)
        (with the name masks: the shared skills the providers' names name)."""
        return popcount(self.unit_mask[rows][:, None, :] & masks[None, :, :])

    def scores(self, unit: IntArray, provider: IntArray, fuzzy: FloatArray) -> FloatArray:
        """Text components of aligned (unit, provider) pairs from their fuzzy similarities."""
        if not len(unit):
            return np.zeros(0, dtype=np.float64)
        cats = self.unit_category[unit]
        shared = popcount(self.unit_mask[unit] & self.provider_mask[provider, cats])
        named = popcount(self.unit_mask[unit] & self.name_mask[provider, cats])
        return text_scores(fuzzy, self.n_need[unit], self.claims[provider], shared,
                           self.n_category[unit], named)

    def matched(self, u: int, i: int) -> tuple[MatchedSkill, ...]:
        """The skills unit ``u`` and provider ``i`` both name (as
        :func:`matching.vocabulary.matched_skills`; equal values share one object)."""
        category = self._unit_category_name[u]
        offers = self.provider_found[i].get(category)
        needs = self.unit_found[u]
        if not offers or not needs:
            return ()
        out = []
        for n, term in needs.items():
            other = offers.get(n)
            if other is None:
                continue
            key = (category, n, term, other)
            skill = self._matched.get(key)
            if skill is None:
                skill = self._matched[key] = MatchedSkill(self.vocabulary.index(category).skills[n],
                                                          term, other)
            out.append(skill)
        return tuple(out)


def _set_bits(mask: MaskArray, positions: Iterable[int]) -> None:
    """Set the bits of skill ``positions`` in a mask of 64-bit words (in place)."""
    for n in positions:
        mask[n // 64] |= np.uint64(1 << (n % 64))
