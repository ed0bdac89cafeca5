"""Provider-side arrays shared by every block of candidate generation.

>>> from matching.types import MatchProblem, ProviderSpec
>>> arrays = ProviderArrays(MatchProblem(projects=[], providers=[
...     ProviderSpec(id="b", name="B", categories=["elderly", "children"]),
...     ProviderSpec(id="a", name="A", categories=["children"])]), [])
>>> arrays.rank.tolist(), arrays.category_members["children"].tolist()
([1, 0], [0, 1])
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from ..score import static_components
from ..types import PROJECT_TYPES, Id, MatchProblem, id_key
from .units import Unit

__all__ = ["ProviderArrays", "IntArray", "FloatArray", "BoolArray"]

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]


class ProviderArrays:
    """One entry per provider (input order): the facts the hard filters and the score read.

    Area membership is kept as dense boolean matrices over the streets and communities of the
    units being matched, each with one extra all-False row for "none".
    """

    def __init__(self, problem: MatchProblem, units: list[Unit]):
        opts = problem.options
        weights = opts.weights
        providers = problem.providers
        n = len(providers)
        self.providers = providers
        self.index = {p.id: i for i, p in enumerate(providers)}
        order = sorted(range(n), key=lambda i: id_key(providers[i].id))
        #: Position of each provider in id order (the tie-breaking rule).
        self.rank: IntArray = np.empty(n, dtype=np.int64)
        self.rank[order] = np.arange(n)
        self.grade: IntArray = np.array([p.rating_grade for p in providers], dtype=np.int64)
        self.years: FloatArray = np.array([p.years(opts.as_of) for p in providers], dtype=np.float64)
        self.staff: IntArray = np.array([p.staff for p in providers], dtype=np.int64)
        self.office: FloatArray = np.array([p.office_area_m2 for p in providers], dtype=np.float64)
        self.capacity: IntArray = np.array([p.capacity for p in providers], dtype=np.int64)
        self.whole_district: BoolArray = np.array([p.whole_district for p in providers], dtype=bool)
        #: Whether each provider supplies each project type.
        self.supplies: dict[str, BoolArray] = {
            t: np.array([t in p.supplies for p in providers], dtype=bool) for t in PROJECT_TYPES}
        #: Qualifications held, per provider.
        self.qualifications = [frozenset(p.qualifications) for p in providers]
        statics = [static_components(p, weights) for p in providers]
        self.reputation: FloatArray = np.array([s["reputation"] for s in statics], dtype=np.float64)
        self.delivery: FloatArray = np.array([s["delivery"] for s in statics], dtype=np.float64)
        self.social_org: FloatArray = np.array([s["social_org"] for s in statics], dtype=np.float64)
        #: Weighted sum of the components that depend on the provider only.
        self.static: FloatArray = weights.reputation * self.reputation \
            + weights.delivery * self.delivery + weights.social_org * self.social_org
        self._index_areas(units)
        self._index_categories()

    def _index_areas(self, units: list[Unit]) -> None:
        providers = self.providers
        n = len(providers)
        streets: dict[Id, int] = {}
        communities: dict[Id, int] = {}
        for unit in units:
            streets.setdefault(unit.project.street_id, len(streets))
            if unit.project.community_id is not None:
                communities.setdefault(unit.project.community_id, len(communities))
        self.street_index = streets
        self.community_index = communities
        self.serves_street: npt.NDArray[np.bool_] = np.zeros((len(streets) + 1, n), dtype=bool)
        self.serves_community: npt.NDArray[np.bool_] = np.zeros((len(communities) + 1, n), dtype=bool)
        #: Street index of each provider's office (-2 = not a street being matched).
        self.home_street: IntArray = np.full(n, -2, dtype=np.int64)
        for i, provider in enumerate(providers):
            for street_id in provider.streets:
                row = streets.get(street_id)
                if row is not None:
                    self.serves_street[row, i] = True
            for community_id in provider.communities:
                row = communities.get(community_id)
                if row is not None:
                    self.serves_community[row, i] = True
            if provider.home_street_id is not None and provider.home_street_id in streets:
                self.home_street[i] = streets[provider.home_street_id]

    def _index_categories(self) -> None:
        members: dict[str, list[int]] = {}
        primary: dict[str, list[bool]] = {}
        for i, provider in enumerate(self.providers):
            for position, category in enumerate(provider.categories):
                members.setdefault(category, []).append(i)
                primary.setdefault(category, []).append(position == 0)
        #: Providers serving each category, in input order.
        self.category_members = {c: np.array(v, dtype=np.int64) for c, v in members.items()}
        #: Whether that category is the member's primary (first) one.
        self.category_primary = {c: np.array(v, dtype=bool) for c, v in primary.items()}
