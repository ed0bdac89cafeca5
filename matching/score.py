"""Combined score of a (project, provider) pair, with every component kept for explanations.

Components, each in [0, 1] (weights in :class:`matching.types.ScoreWeights`):

``text``
    How well the provider's profile fits the project's needs, with the sector vocabulary
    (:mod:`matching.vocabulary`) applied first (:func:`text_component`):

    * each side is expanded with the skills of the project's category that it names - the
      needs from the project's text, the provider from its capabilities, its name and the titles
      of the projects it delivered (:func:`provider_evidence`) - so a skill named on both sides
      in different words (居家养老 ≈ 上门照护) is a shared word, recorded as a
      :class:`~matching.vocabulary.MatchedSkill`;
    * ``fuzzy`` = rapidfuzz ``token_set_ratio`` of the expanded token strings
      (:func:`matching.text.similarity`);
    * if the needs name skills, ``(1 - SKILL_WEIGHT) * fuzzy + SKILL_WEIGHT * coverage`` where
      ``coverage`` is the share of the needs' skills the provider offers;
    * specialists over generalists: multiplied by ``1 - BREADTH_PENALTY * breadth``, where
      ``breadth`` counts the skills the provider claims in the *whole* vocabulary (every
      category, :func:`provider_claims`) beyond the ones the project asks for (``BREADTH_FREE``
      are free), over ``BREADTH_SCALE`` times the project category's number of skills.  A
      specialist names a few skills, mostly the ones the project needs; a 综合服务中心 that lists
      the keywords of four categories claims dozens and keeps little of the one-sided word
      overlap that its keyword lists give it - however its skills fall across categories;
    * the name as evidence of the specialty: plus ``NAME_WEIGHT`` times the share of the needs'
      skills that the provider's *name* names (an organisation called 食物银行 or 慢病管理服务中心 is
      one; its profile may describe the work in other words).

    With :meth:`Vocabulary.empty() <matching.vocabulary.Vocabulary.empty>` the component is
    ``fuzzy`` on the plain texts.
``category``
    1.0 if the project's category is the provider's primary (first) category, 0.7 if a
    secondary one (0 = not served, filtered out before scoring).
``geography``
    1.0 if local (the community is explicitly served, or the office is in the project's
    street), 0.8 if the street is served, 0.5 if served only as part of the whole district.
``reputation``
    Bayesian average of 1-5 star ratings, ``(m * C + sum) / (C + n)``, mapped to [0, 1] by
    ``(avg - 1) / 4``; a provider without ratings gets the prior mean ``m``.
``price``
    ``1 - 0.5 * price / budget``: 0.5 at the budget, 1.0 for a free offer.
``delivery``
    Bayesian success rate of past deliveries, ``(completed + a) / (completed + failed + a + b)``.
``social_org``
    1.0 for social organisations, 0 otherwise: with its small default weight it only decides
    near-ties, in favour of social organisations (the usual preference in Futian calls).

The combined score is ``sum(w_i * c_i) / sum(w_i)``.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import Literal

from .types import Id, LotSpec, ProjectSpec, ProviderSpec, ScoreWeights
from .vocabulary import MatchedSkill, Vocabulary, matched_skills

__all__ = [
    "GEO_LOCAL",
    "GEO_STREET",
    "GEO_DISTRICT",
    "CATEGORY_PRIMARY",
    "CATEGORY_SECONDARY",
    "reputation_score",
    "delivery_score",
    "price_score",
    "category_score",
    "geography_score",
    "serves_area",
    "combine",
    "static_components",
    "score_pair",
    "SKILL_WEIGHT",
    "BREADTH_PENALTY",
    "BREADTH_FREE",
    "BREADTH_SCALE",
    "NAME_WEIGHT",
    "provider_evidence",
    "provider_skills",
    "provider_claims",
    "skill_text_score",
    "text_component",
]

#: Geography only ranks providers that all serve the project: a district-wide provider does serve
#: the street, so being local is a preference, not a gap that outweighs a clear lead on the text.
GEO_LOCAL = 1.0
GEO_STREET = 0.9
GEO_DISTRICT = 0.75
CATEGORY_PRIMARY = 1.0
CATEGORY_SECONDARY = 0.7
#: Share of the text component that is the coverage of the project's skills.
SKILL_WEIGHT = 0.2
#: Text lost per unit of breadth (skills claimed in the whole vocabulary beyond the project's,
#: over ``BREADTH_SCALE`` times the project category's number of skills).
BREADTH_PENALTY = 1.0
#: Skills a provider may claim beyond the project's without penalty.
BREADTH_FREE = 2
#: Breadth is measured in units of this many times the project category's number of skills: a
#: profile claiming that many skills beyond the project's loses its whole text component.
BREADTH_SCALE = 2.5
#: Text added when the provider's name names every skill the project asks for (pro rata).
NAME_WEIGHT = 0.1


def reputation_score(rating_sum: float, rating_count: int, *, prior_mean: float = 3.0,
                     prior_weight: float = 5.0) -> float:
    """Bayesian average of 1-5 star ratings, mapped to [0, 1].

    Parameters
    ----------
    rating_sum : float
        Sum of the stars received.
    rating_count : int
        Number of ratings.
    prior_mean : float
        Prior average in stars (what an unrated provider gets).
    prior_weight : float
        Weight of the prior, in pseudo-ratings.

    Returns
    -------
    float

    Examples
    --------
    >>> reputation_score(0, 0)
    0.5
    >>> round(reputation_score(50, 10), 3)   # ten 5-star ratings, pulled towards the prior
    0.833
    """
    if rating_count < 0 or prior_weight < 0:
        raise ValueError("rating_count: must be >= 0")
    denom = prior_weight + rating_count
    avg = prior_mean if denom == 0 else (prior_mean * prior_weight + rating_sum) / denom
    return min(1.0, max(0.0, (avg - 1.0) / 4.0))


def delivery_score(completed: int, failed: int, *, prior_completed: float = 2.0,
                   prior_failed: float = 1.0) -> float:
    """Bayesian success rate of past deliveries (Beta prior).

    >>> round(delivery_score(0, 0), 3)
    0.667
    >>> round(delivery_score(18, 0), 3)
    0.952
    """
    if completed < 0 or failed < 0:
        raise ValueError("completed: counts must be >= 0")
    return (completed + prior_completed) / (completed + failed + prior_completed + prior_failed)


def price_score(price: int, budget: int) -> float:
    """Price component: 0.5 at the budget, rising to 1.0 for a free offer.

    >>> price_score(100, 100), price_score(80, 100), price_score(0, 0)
    (0.5, 0.6, 0.5)
    """
    if budget <= 0:
        return 0.5
    return 1.0 - 0.5 * min(max(price, 0) / budget, 1.0)


def category_score(category: str, categories: Sequence[str]) -> float:
    """Category fit: primary category 1.0, secondary 0.7, not served 0.

    >>> category_score("elderly", ("elderly", "disability")), category_score("disability", ("elderly", "disability"))
    (1.0, 0.7)
    """
    if not categories or category not in categories:
        return 0.0
    return CATEGORY_PRIMARY if categories[0] == category else CATEGORY_SECONDARY


def serves_area(provider: ProviderSpec, street_id: Id, community_id: Id | None) -> bool:
    """Whether the provider serves a project in this street (and community).

    A provider serves a project if it covers the whole district, the project's street, or the
    project's community (a street-wide project needs the whole street).

    >>> p = ProviderSpec(id=1, name="x", streets=["s1"], communities=["c9"])
    >>> serves_area(p, "s1", None), serves_area(p, "s2", "c9"), serves_area(p, "s2", None)
    (True, True, False)
    """
    return (provider.whole_district or street_id in provider.streets
            or (community_id is not None and community_id in provider.communities))


def geography_score(provider: ProviderSpec, street_id: Id, community_id: Id | None) -> float:
    """Geographic fit: 1.0 local, 0.9 street served, 0.75 whole district only, 0 not served.

    >>> p = ProviderSpec(id=1, name="x", streets=["s1"], whole_district=True, home_street_id="s3")
    >>> geography_score(p, "s1", None), geography_score(p, "s2", None), geography_score(p, "s3", None)
    (0.9, 0.75, 1.0)
    """
    if not serves_area(provider, street_id, community_id):
        return 0.0
    if (community_id is not None and community_id in provider.communities) or (
            provider.home_street_id is not None and provider.home_street_id == street_id):
        return GEO_LOCAL
    if street_id in provider.streets:
        return GEO_STREET
    return GEO_DISTRICT


def combine(components: Mapping[str, float], weights: ScoreWeights | None = None) -> float:
    """Weighted average of the components, in [0, 1].

    Missing components count as 0.

    >>> combine({"text": 1.0, "category": 1.0, "geography": 1.0, "reputation": 1.0,
    ...          "price": 1.0, "delivery": 1.0, "social_org": 1.0})
    1.0
    >>> round(combine({"text": 1.0}, ScoreWeights(text=1, category=1, geography=0,
    ...       reputation=0, price=0, delivery=0, social_org=0)), 2)
    0.5
    """
    chosen = weights or ScoreWeights()
    weight_of = chosen.as_dict()
    total = sum(weight_of[name] * float(components.get(name, 0.0)) for name in chosen.COMPONENTS)
    return min(1.0, max(0.0, total / chosen.total))


def static_components(provider: ProviderSpec, weights: ScoreWeights | None = None
                      ) -> dict[str, float]:
    """The components that depend on the provider only: reputation, delivery, social_org.

    >>> static_components(ProviderSpec(id=1, name="x", kind="enterprise"))["social_org"]
    0.0
    """
    chosen = weights or ScoreWeights()
    return {
        "reputation": reputation_score(provider.rating_sum, provider.rating_count,
                                       prior_mean=chosen.rating_prior_mean,
                                       prior_weight=chosen.rating_prior_weight),
        "delivery": delivery_score(provider.deliveries_completed, provider.deliveries_failed,
                                   prior_completed=chosen.delivery_prior_completed,
                                   prior_failed=chosen.delivery_prior_failed),
        "social_org": 1.0 if provider.kind == "social_organisation" else 0.0,
    }


def provider_evidence(provider: ProviderSpec) -> str:
    """What shows a provider's specialty: its capabilities, its name and the titles of the
    projects it delivered well.

    >>> provider_evidence(ProviderSpec(id=1, name="粤韵曲艺社", capability="排练演出",
    ...                                delivered_titles=["社区粤剧进万家"]))
    '排练演出 粤韵曲艺社 社区粤剧进万家'
    """
    return " ".join(part for part in (provider.capability, provider.name, *provider.delivered_titles)
                    if part)


def provider_skills(provider: ProviderSpec, vocabulary: Vocabulary,
                    categories: Collection[str] = ()) -> dict[str, dict[int, str]]:
    """``category -> {skill position: term}`` found in the provider's evidence, for each of its
    categories (and ``categories``).

    >>> p = ProviderSpec(id=1, name="x", categories=["elderly_care"], capability="上门照护")
    >>> provider_skills(p, Vocabulary.default())
    {'elderly_care': {0: '上门照护'}}
    """
    from .text import normalize

    evidence = normalize(provider_evidence(provider))
    wanted = dict.fromkeys((*provider.categories, *categories))
    return {c: vocabulary.index(c).find(evidence, normalized=True) for c in wanted}


def provider_claims(provider: ProviderSpec, vocabulary: Vocabulary) -> int:
    """How many skills of the whole vocabulary (every category) the provider's evidence names.

    >>> p = ProviderSpec(id=1, name="x", capability="上门照护、长者饭堂、四点半课堂")
    >>> provider_claims(p, Vocabulary.default())
    3
    """
    from .text import normalize

    return len(vocabulary.whole_index().find(normalize(provider_evidence(provider)), normalized=True))


def skill_text_score(fuzzy: float, n_need: int, n_offer: int, n_shared: int,
                     n_category: int, n_named: int = 0) -> float:
    """The text component from its parts (see the module docstring).

    Parameters
    ----------
    fuzzy : float
        ``token_set_ratio`` of the expanded texts, in [0, 1].
    n_need : int
        Skills of the project's category the project names.
    n_offer : int
        Skills of the whole vocabulary the provider claims (:func:`provider_claims`).
    n_shared : int
        Skills of the project's category both name.
    n_category : int
        Skills of the project's category in the vocabulary.
    n_named : int
        Shared skills that the provider's name names.

    Examples
    --------
    >>> skill_text_score(0.5, 0, 0, 0, 10)                 # no skill named: fuzzy only
    0.5
    >>> skill_text_score(0.5, 0, 9, 0, 0)                  # a category without skills: fuzzy only
    0.5
    >>> round(skill_text_score(0.5, 2, 3, 2, 10), 3)       # specialist: the skills asked, and one more
    0.6
    >>> round(skill_text_score(0.5, 2, 22, 2, 10), 3)      # generalist: twenty more
    0.168
    >>> round(skill_text_score(0.5, 2, 3, 2, 10, n_named=1), 3)   # its name says one of them
    0.65
    """
    text = fuzzy
    if n_need > 0:
        text = (1.0 - SKILL_WEIGHT) * fuzzy + SKILL_WEIGHT * n_shared / n_need
    if n_category > 0:  # a category the vocabulary does not know has nothing to be broad in
        breadth = max(0, n_offer - n_shared - BREADTH_FREE) / (BREADTH_SCALE * n_category)
        text *= max(0.0, 1.0 - BREADTH_PENALTY * breadth)
    if n_need > 0:
        text += NAME_WEIGHT * min(n_named, n_need) / n_need
    return min(1.0, max(0.0, text))


def text_component(needs: str, provider: ProviderSpec, category: str, *,
                   vocabulary: Vocabulary | None = None, mode: Literal["words", "chars"] = "words"
                   ) -> tuple[float, tuple[MatchedSkill, ...]]:
    """The text component of a pair and the skills both sides name.

    Parameters
    ----------
    needs : str
        The project's (lot's) text.
    provider : ProviderSpec
    category : str
        The project's (lot's) category: whose skills count.
    vocabulary : Vocabulary, optional
        Default :meth:`Vocabulary.default`.
    mode : {"words", "chars"}

    Returns
    -------
    (float, tuple of MatchedSkill)

    Examples
    --------
    >>> p = ProviderSpec(id=1, name="颐康居家照护中心", categories=["elderly_care"],
    ...                  capability="为失能长者提供上门照护、助浴")
    >>> score, skills = text_component("居家养老服务：独居老人生活照料", p, "elderly_care")
    >>> [(m.skill, m.project_term, m.provider_term) for m in skills]
    [('居家养老', '居家养老', '上门照护')]
    """
    from .text import expand, prepare, similarity

    vocab = vocabulary if vocabulary is not None else Vocabulary.default()
    index = vocab.index(category)
    need_found = index.find(needs)
    offered = provider_skills(provider, vocab, (category,))
    offer_found = offered[category]
    shared = matched_skills(index, need_found, offer_found)
    in_name = index.find(provider.name) if shared else {}
    n_named = sum(1 for n in need_found if n in offer_found and n in in_name)
    need_text = expand(prepare(needs, mode=mode), [index.skills[n] for n in need_found])
    provider_text = expand(prepare(provider.capability, mode=mode),
                           {vocab.index(c).skills[n] for c, found in offered.items() for n in found})
    fuzzy = similarity(need_text, provider_text, prepared=True)
    score = skill_text_score(fuzzy, len(need_found), provider_claims(provider, vocab), len(shared),
                             len(index), n_named)
    return score, shared


def score_pair(project: ProjectSpec, provider: ProviderSpec, *, lot: LotSpec | None = None,
               price: int | None = None, weights: ScoreWeights | None = None,
               text_similarity: float | None = None, mode: Literal["words", "chars"] = "words",
               vocabulary: Vocabulary | None = None) -> tuple[float, dict[str, float]]:
    """Combined score and components of one (project or lot, provider) pair.

    Hard filters are not applied here (see :func:`matching.candidates.check_pair`).

    Parameters
    ----------
    project : ProjectSpec
    provider : ProviderSpec
    lot : LotSpec, optional
        Score this lot of a split project (its text is added to the project's).
    price : int, optional
        The bid in fen; default: the lot budget, or the project's price / budget.
    weights : ScoreWeights, optional
    text_similarity : float, optional
        Precomputed text component (skip rapidfuzz).
    mode : {"words", "chars"}
        Tokens for the text component.
    vocabulary : Vocabulary, optional
        Sector vocabulary of the text component (default :meth:`Vocabulary.default`); the
        skills both sides name come from :func:`text_component`.

    Returns
    -------
    (float, dict)
        Score in [0, 1] and the components.

    Examples
    --------
    >>> proj = ProjectSpec(id=1, title="长者助餐", category="elderly", street_id="s1",
    ...                    budget=100_000, description="为辖区独居老人提供上门助餐和健康监测")
    >>> prov = ProviderSpec(id="a", name="长者之家", categories=["elderly"], streets=["s1"],
    ...                     capability="专注居家养老、助餐配送、长者健康管理")
    >>> score, parts = score_pair(proj, prov)
    >>> 0 < score < 1, parts["geography"], parts["category"]
    (True, 0.9, 1.0)
    """
    chosen = weights or ScoreWeights()
    category = project.category if lot is None or lot.category is None else lot.category
    budget = project.budget if lot is None else lot.budget
    if price is None:
        price = budget if lot is not None else project.cost_without_bids
    needs = project.text if lot is None else f"{lot.title} {lot.description} {project.text}"
    if text_similarity is None:
        text_similarity, _ = text_component(needs, provider, category, vocabulary=vocabulary,
                                            mode=mode)
    components = {
        "text": float(text_similarity),
        "category": category_score(category, provider.categories),
        "geography": geography_score(provider, project.street_id, project.community_id),
        "price": price_score(price, budget),
    }
    components.update(static_components(provider, chosen))
    ordered = {name: components[name] for name in chosen.COMPONENTS}
    return combine(ordered, chosen), ordered
