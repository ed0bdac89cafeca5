"""Options of a run: the score weights and the limits of candidate generation and the optimiser.

>>> MatchOptions(k_providers=0)
Traceback (most recent call last):
...
ValueError: MatchOptions.k_providers: must be an int >= 1, got 0
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Literal

from ..vocabulary import Vocabulary
from .validation import check_bool, check_choice, check_int, check_real, fail

__all__ = ["ScoreWeights", "MatchOptions"]


@dataclass(frozen=True, slots=True)
class ScoreWeights:
    """Weights of the score components and the priors of the Bayesian averages.

    The combined score is ``sum(w_i * c_i) / sum(w_i)`` over the components below, each in
    [0, 1], so it lies in [0, 1].  Defaults: text 0.40, reputation 0.15, delivery 0.14,
    geography 0.10, category 0.10, price 0.10, and social organisation 0.01, which only
    decides near-ties in favour of social organisations.

    Attributes
    ----------
    text : float
        Similarity of the project's needs to the provider's capabilities.
    category : float
        1.0 if the project's category is the provider's primary category, else 0.7.
    geography : float
        1.0 community served or home street, 0.9 street served, 0.75 whole-district only.
    reputation : float
        Bayesian average of 1-5 star ratings mapped to [0, 1].
    price : float
        ``1 - 0.5 * price / budget``: 0.5 at the budget, higher for cheaper bids.
    delivery : float
        Bayesian success rate of past deliveries.
    social_org : float
        1.0 for social organisations, else 0.
    rating_prior_mean, rating_prior_weight : float
        Prior of the ratings average (stars, pseudo-ratings).
    delivery_prior_completed, delivery_prior_failed : float
        Beta prior of the delivery success rate.

    >>> ScoreWeights(text=0.5).text
    0.5
    """

    text: float = 0.40
    category: float = 0.10
    geography: float = 0.10
    reputation: float = 0.15
    price: float = 0.10
    delivery: float = 0.14
    social_org: float = 0.01
    rating_prior_mean: float = 3.0
    rating_prior_weight: float = 5.0
    delivery_prior_completed: float = 2.0
    delivery_prior_failed: float = 1.0

    #: Names of the score components, in display order.
    COMPONENTS = ("text", "category", "geography", "reputation", "price", "delivery", "social_org")

    def __post_init__(self) -> None:
        owner = "ScoreWeights"
        for name in self.COMPONENTS:
            check_real(owner, self, name, high=1e6)
        if self.total <= 0:
            fail(owner, "text", "at least one component weight must be > 0")
        check_real(owner, self, "rating_prior_mean", low=1.0, high=5.0)
        check_real(owner, self, "rating_prior_weight", high=1e6)
        check_real(owner, self, "delivery_prior_completed", high=1e6)
        check_real(owner, self, "delivery_prior_failed", high=1e6)
        if self.delivery_prior_completed + self.delivery_prior_failed <= 0:
            fail(owner, "delivery_prior_completed", "the delivery prior must have positive mass")

    @property
    def total(self) -> float:
        """Sum of the component weights."""
        return float(sum(getattr(self, name) for name in self.COMPONENTS))

    def as_dict(self) -> dict[str, float]:
        """Component weights by name."""
        return {name: getattr(self, name) for name in self.COMPONENTS}


@dataclass(frozen=True, slots=True)
class MatchOptions:
    """Options of a matching run.

    Attributes
    ----------
    k_providers : int
        Candidate providers kept per project (lot), best first.
    k_pools : int
        Candidate pools kept per project.
    shortlist : int or None
        Providers per project rescored exactly with rapidfuzz after the fast approximate pass
        (``None`` = ``max(60, 3 * k_providers)``).
    max_provider_share : float or None
        Fairness: no provider's contracts above this share of the total budget of all
        projects that need a provider; ``None`` = off.
    weight_by_budget : bool
        Objective weights each match by the project's budget ("score-weighted value"); if
        False every project counts the same.
    min_score : float
        Candidates scoring below it are dropped.
    funding_only_score : float
        Score given, in the objective, to a project that needs funding but no provider.
    weights : ScoreWeights
    text_mode : {"words", "chars"}
        Chinese tokens for text similarity: jieba words or characters.
    as_of : datetime.date or None
        Reference date for ``registered_on`` (``None`` = today).
    vocabulary : Vocabulary or None
        Sector vocabulary that expands needs and capabilities before the text is scored
        (``None`` = :meth:`Vocabulary.default`; :meth:`Vocabulary.empty` = words only).

    >>> MatchOptions(max_provider_share=0.2).k_providers
    20
    """

    k_providers: int = 20
    k_pools: int = 12
    shortlist: int | None = None
    max_provider_share: float | None = None
    weight_by_budget: bool = True
    min_score: float = 0.0
    funding_only_score: float = 0.5
    weights: ScoreWeights = field(default_factory=ScoreWeights)
    text_mode: Literal["words", "chars"] = "words"
    as_of: date | None = None
    vocabulary: Vocabulary | None = None

    def __post_init__(self) -> None:
        owner = "MatchOptions"
        check_int(owner, self, "k_providers", low=1)
        check_int(owner, self, "k_pools", low=1)
        check_int(owner, self, "shortlist", low=1, optional=True)
        check_real(owner, self, "max_provider_share", low=0.0, high=1.0, low_open=True,
                    optional=True)
        check_bool(owner, self, "weight_by_budget")
        check_real(owner, self, "min_score", high=1.0)
        check_real(owner, self, "funding_only_score", high=1.0)
        if not isinstance(self.weights, ScoreWeights):
            fail(owner, "weights", "must be a ScoreWeights instance")
        check_choice(owner, self, "text_mode", ("words", "chars"))
        if self.as_of is not None and not isinstance(self.as_of, date):
            fail(owner, "as_of", f"must be a datetime.date, got {self.as_of!r}")
        if self.vocabulary is not None and not isinstance(self.vocabulary, Vocabulary):
            fail(owner, "vocabulary", "must be a Vocabulary instance or None")

    @property
    def shortlist_size(self) -> int:
        """Effective shortlist size."""
        return self.shortlist if self.shortlist is not None else max(60, 3 * self.k_providers)

    @property
    def sector_vocabulary(self) -> Vocabulary:
        """The vocabulary in effect: ``vocabulary``, or the default one."""
        return self.vocabulary if self.vocabulary is not None else Vocabulary.default()

