"""What a matching run is about: projects (and their lots), providers, bids, pools, decisions.

Every class is a frozen dataclass validated on construction: sequences (lists are fine) are
stored as tuples, collections of ids as frozensets, numbers are normalised, and a bad value
raises ``ValueError`` naming the field.

>>> ProjectSpec(id=1, title="长者助餐", category="elderly", street_id="futian", budget=-5)
Traceback (most recent call last):
...
ValueError: ProjectSpec.budget: must be an int >= 0 (fen), got -5
"""

from __future__ import annotations

import math
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Literal

from .common import POOL_KINDS, PROJECT_TYPES, PROVIDER_KINDS, Id
from .validation import (
    check_bool,
    check_choice,
    check_code_set,
    check_id,
    check_id_set,
    check_int,
    check_real,
    check_str,
    fail,
    set_field,
)

__all__ = ["Requirements", "LotSpec", "ProjectSpec", "ProviderSpec", "BidSpec", "PoolSpec",
           "Decision"]


@dataclass(frozen=True, slots=True)
class Requirements:
    """Eligibility thresholds a provider must meet to deliver a project.

    Attributes
    ----------
    min_rating_grade : int
        Minimum social-organisation rating grade, 0-5 (3 means "3A"); 0 = no requirement.
    min_years_registered : float
        Minimum years since registration.
    min_staff : int
        Minimum full-time staff.
    min_office_area_m2 : float
        Minimum office area in square metres.
    qualifications : frozenset of str
        Qualification codes the provider must hold, all of them (e.g. ``"construction"``).

    >>> Requirements(min_rating_grade=3, min_staff=3).min_staff
    3
    """

    min_rating_grade: int = 0
    min_years_registered: float = 0.0
    min_staff: int = 0
    min_office_area_m2: float = 0.0
    qualifications: Collection[str] = frozenset()

    def __post_init__(self) -> None:
        owner = "Requirements"
        check_int(owner, self, "min_rating_grade")
        if self.min_rating_grade > 5:
            fail(owner, "min_rating_grade", f"must be 0-5, got {self.min_rating_grade}")
        check_real(owner, self, "min_years_registered")
        check_int(owner, self, "min_staff")
        check_real(owner, self, "min_office_area_m2")
        check_code_set(owner, self, "qualifications")

    def thresholds(self) -> dict[str, int | float]:
        """The non-trivial thresholds by field name (the parameters of ``requirements_not_met``).

        >>> Requirements(min_rating_grade=3, min_staff=3).thresholds()
        {'min_rating_grade': 3, 'min_staff': 3}
        """
        values: dict[str, int | float] = {
            "min_rating_grade": self.min_rating_grade,
            "min_years_registered": self.min_years_registered,
            "min_staff": self.min_staff,
            "min_office_area_m2": self.min_office_area_m2,
        }
        return {name: value for name, value in values.items() if value}

    def met_by(self, provider: ProviderSpec, as_of: date | None = None) -> bool:
        """Whether the provider meets every threshold and holds every qualification.

        >>> Requirements(qualifications=["construction"]).met_by(ProviderSpec(id=1, name="x"))
        False
        """
        return (provider.rating_grade >= self.min_rating_grade
                and provider.years(as_of) >= self.min_years_registered
                and provider.staff >= self.min_staff
                and provider.office_area_m2 >= self.min_office_area_m2
                and frozenset(self.qualifications) <= frozenset(provider.qualifications))


@dataclass(frozen=True, slots=True)
class LotSpec:
    """One lot of a split project; each lot gets its own provider.

    Attributes
    ----------
    id : Id
        Lot id, unique within its project.
    budget : int
        Lot budget in fen; the lot budgets of a project sum to the project budget.
    title, description : str
        Text compared with provider capabilities (the project text is added to it).
    category : str or None
        Category code of the lot; ``None`` means the project's category.
    project_type : {"service", "works", "goods"} or None
        What the lot buys; ``None`` means the project's type.
    qualifications : frozenset of str
        Qualification codes a provider must hold for this lot, on top of the project's
        requirements (e.g. ``"construction"`` for a works lot of a service project).

    >>> LotSpec(id="A", budget=100_000, title="助餐配送").category is None
    True
    """

    id: Id
    budget: int
    title: str = ""
    description: str = ""
    category: str | None = None
    project_type: str | None = None
    qualifications: Collection[str] = frozenset()

    def __post_init__(self) -> None:
        owner = "LotSpec"
        check_id(owner, "id", self.id)
        check_int(owner, self, "budget", unit="fen")
        check_str(owner, self, "title")
        check_str(owner, self, "description")
        if self.category is not None:
            check_str(owner, self, "category", nonempty=True)
        if self.project_type is not None:
            check_choice(owner, self, "project_type", PROJECT_TYPES)
        check_code_set(owner, self, "qualifications")


@dataclass(frozen=True, slots=True)
class ProjectSpec:
    """A public-service project that needs a provider, funding, or both.

    Attributes
    ----------
    id : Id
        Project id.
    title : str
        Short title (part of the text compared with provider capabilities).
    category : str
        Category code (hard filter against provider categories and pool focus).
    street_id : Id
        Street (街道) the project serves.
    budget : int
        Budget in fen: the maximum cost; bids above it are not eligible.
    description : str
        The needs, in free text (Chinese or English).
    category_name, street_name, community_name : str
        Display names used in explanations (fall back to the codes).
    community_id : Id or None
        Community (社区) served; ``None`` for a street-wide project.
    price : int or None
        Agreed price in fen when there are no bids; ``None`` means the budget.
    project_type : {"service", "works", "goods"}
        What the project buys (服务 / 工程 / 货物): only providers that supply it are candidates.
    requirements : Requirements
        Eligibility thresholds for providers.
    needs_provider, needs_funding : bool
        What the project still lacks; at least one must be true.
    lots : tuple of LotSpec
        Lots of a split project (empty = one provider for the whole project).
    applicant_id : Id or None
        Organisation that proposed the project (checked against provider conflicts).
    priority : float
        Multiplier of the project's value in the objective (e.g. resident support), > 0.

    >>> p = ProjectSpec(id=1, title="长者助餐", category="elderly", street_id="futian",
    ...                 budget=30_000_000)
    >>> p.cost_without_bids
    30000000
    """

    id: Id
    title: str
    category: str
    street_id: Id
    budget: int
    description: str = ""
    category_name: str = ""
    street_name: str = ""
    community_id: Id | None = None
    community_name: str = ""
    price: int | None = None
    project_type: str = "service"
    requirements: Requirements = field(default_factory=Requirements)
    needs_provider: bool = True
    needs_funding: bool = True
    lots: Sequence[LotSpec] = ()
    applicant_id: Id | None = None
    priority: float = 1.0

    def __post_init__(self) -> None:
        owner = "ProjectSpec"
        check_id(owner, "id", self.id)
        check_str(owner, self, "title")
        check_str(owner, self, "category", nonempty=True)
        check_id(owner, "street_id", self.street_id)
        check_int(owner, self, "budget", unit="fen")
        check_str(owner, self, "description")
        check_str(owner, self, "category_name")
        check_str(owner, self, "street_name")
        check_id(owner, "community_id", self.community_id, optional=True)
        check_str(owner, self, "community_name")
        check_int(owner, self, "price", optional=True, unit="fen")
        if self.price is not None and self.price > self.budget:
            fail(owner, "price", f"{self.price} exceeds the budget {self.budget}")
        check_choice(owner, self, "project_type", PROJECT_TYPES)
        if not isinstance(self.requirements, Requirements):
            fail(owner, "requirements", "must be a Requirements instance")
        check_bool(owner, self, "needs_provider")
        check_bool(owner, self, "needs_funding")
        if not (self.needs_provider or self.needs_funding):
            fail(owner, "needs_provider", "needs_provider and needs_funding are both False")
        lots = tuple(self.lots)
        if any(not isinstance(lot, LotSpec) for lot in lots):
            fail(owner, "lots", "must contain LotSpec instances")
        if lots:
            if not self.needs_provider:
                fail(owner, "lots", "lots only make sense when needs_provider is True")
            if len({lot.id for lot in lots}) != len(lots):
                fail(owner, "lots", "lot ids must be unique within a project")
            total = sum(lot.budget for lot in lots)
            if total != self.budget:
                fail(owner, "lots", f"lot budgets sum to {total}, project budget is {self.budget}")
            if self.price is not None:
                fail(owner, "price", "give prices per lot through bids, not on a split project")
        set_field(self, "lots", lots)
        check_id(owner, "applicant_id", self.applicant_id, optional=True)
        check_real(owner, self, "priority", low=0.0, low_open=True, high=1e6)
        if not self.category_name:
            set_field(self, "category_name", self.category)
        if not self.street_name:
            set_field(self, "street_name", str(self.street_id))

    @property
    def cost_without_bids(self) -> int:
        """Cost in fen when no bid sets the price: ``price`` or else ``budget``."""
        return self.budget if self.price is None else self.price

    @property
    def text(self) -> str:
        """Title and description joined: the needs compared with capabilities."""
        return f"{self.title} {self.description}".strip()


@dataclass(frozen=True, slots=True)
class ProviderSpec:
    """An organisation that can deliver projects (NGO / social organisation, firm, ...).

    Attributes
    ----------
    id : Id
    name : str
    kind : {"social_organisation", "enterprise", "public_institution", "other"}
        Social organisations are preferred on ties.
    categories : tuple of str
        Category codes served; the first is the primary category.
    streets, communities : frozenset of Id
        Service area; ``whole_district=True`` serves every street.
    whole_district : bool
    home_street_id : Id or None
        Street of the office (scores as local).
    rating_grade : int
        Rating grade 0-5 (5 = 5A); 0 = not rated.
    years_registered : float or None
        Years since registration; or give ``registered_on`` and ``MatchOptions.as_of``.
    registered_on : datetime.date or None
    staff : int
        Full-time staff.
    office_area_m2 : float
    capacity : int
        How many more projects (or lots) it can take now; 0 = none.
    capability : str
        Free-text capabilities compared with project needs.
    supplies : frozenset of {"service", "works", "goods"}
        What it can be contracted for (hard filter against the project's or lot's type);
        services only by default.
    qualifications : frozenset of str
        Qualification codes it holds (checked against ``Requirements.qualifications``).
    delivered_titles : tuple of str
        Titles of projects it delivered well: with its ``name``, evidence of its specialty for
        the text component (the skills of the sector vocabulary they name count as offered).
    rating_sum, rating_count : float, int
        Sum and number of 1-5 star ratings from past projects (Bayesian-averaged).
    deliveries_completed, deliveries_failed : int
        Past projects accepted / failed at acceptance (验收).
    conflict_project_ids, conflict_org_ids : frozenset of Id
        Projects it may not deliver; organisations (project applicants) it is tied to.

    >>> ProviderSpec(id="np1", name="福田长者之家", categories=["elderly"], streets=["futian"],
    ...              capacity=2).categories
    ('elderly',)
    """

    id: Id
    name: str
    kind: str = "social_organisation"
    categories: Sequence[str] = ()
    streets: Collection[Id] = frozenset()
    communities: Collection[Id] = frozenset()
    whole_district: bool = False
    home_street_id: Id | None = None
    rating_grade: int = 0
    years_registered: float | None = None
    registered_on: date | None = None
    staff: int = 0
    office_area_m2: float = 0.0
    capacity: int = 1
    capability: str = ""
    rating_sum: float = 0.0
    rating_count: int = 0
    deliveries_completed: int = 0
    deliveries_failed: int = 0
    conflict_project_ids: Collection[Id] = frozenset()
    conflict_org_ids: Collection[Id] = frozenset()
    supplies: Collection[str] = frozenset({"service"})
    qualifications: Collection[str] = frozenset()
    delivered_titles: Sequence[str] = ()

    def __post_init__(self) -> None:
        owner = "ProviderSpec"
        check_id(owner, "id", self.id)
        check_str(owner, self, "name")
        check_choice(owner, self, "kind", PROVIDER_KINDS)
        if isinstance(self.categories, str):
            fail(owner, "categories", "must be a sequence of category codes, not a str")
        cats = tuple(dict.fromkeys(self.categories))
        for cat in cats:
            if not isinstance(cat, str) or not cat:
                fail(owner, "categories", f"category codes must be non-empty str, got {cat!r}")
        set_field(self, "categories", cats)
        check_id_set(owner, self, "streets")
        check_id_set(owner, self, "communities")
        check_bool(owner, self, "whole_district")
        check_id(owner, "home_street_id", self.home_street_id, optional=True)
        check_int(owner, self, "rating_grade")
        if self.rating_grade > 5:
            fail(owner, "rating_grade", f"must be 0-5, got {self.rating_grade}")
        check_real(owner, self, "years_registered", optional=True)
        if self.registered_on is not None and not isinstance(self.registered_on, date):
            fail(owner, "registered_on", f"must be a datetime.date, got {self.registered_on!r}")
        check_int(owner, self, "staff")
        check_real(owner, self, "office_area_m2")
        check_int(owner, self, "capacity")
        check_str(owner, self, "capability")
        check_int(owner, self, "rating_count")
        check_real(owner, self, "rating_sum")
        if self.rating_count == 0 and self.rating_sum != 0:
            fail(owner, "rating_sum", "must be 0 when rating_count is 0")
        if self.rating_count and not (self.rating_count <= self.rating_sum <= 5 * self.rating_count):
            fail(owner, "rating_sum", "must lie between rating_count and 5 * rating_count "
                  "(ratings are 1-5 stars)")
        check_int(owner, self, "deliveries_completed")
        check_int(owner, self, "deliveries_failed")
        check_id_set(owner, self, "conflict_project_ids")
        check_id_set(owner, self, "conflict_org_ids")
        check_code_set(owner, self, "supplies", PROJECT_TYPES)
        check_code_set(owner, self, "qualifications")
        if isinstance(self.delivered_titles, str):
            fail(owner, "delivered_titles", "must be a sequence of str, not a str")
        titles = tuple(self.delivered_titles)
        for title in titles:
            if not isinstance(title, str):
                fail(owner, "delivered_titles", f"titles must be str, got {title!r}")
        set_field(self, "delivered_titles", titles)

    def years(self, as_of: date | None = None) -> float:
        """Years registered: ``years_registered`` or computed from ``registered_on``.

        >>> ProviderSpec(id=1, name="x", registered_on=date(2020, 1, 1)).years(date(2023, 1, 1))
        3.0
        """
        if self.years_registered is not None:
            return self.years_registered
        if self.registered_on is None:
            return 0.0
        ref = as_of or date.today()
        return max(0.0, round((ref - self.registered_on).days / 365.25, 2))


@dataclass(frozen=True, slots=True)
class BidSpec:
    """A provider's bid on a project (or on one lot of it).

    If a project (lot) has any bids, only its bidders are candidates and the bid price is the
    cost that funding must cover.  A bid above the budget is not eligible.

    >>> BidSpec(project_id=1, provider_id="np1", price=28_000_000).lot_id is None
    True
    """

    project_id: Id
    provider_id: Id
    price: int
    lot_id: Id | None = None

    def __post_init__(self) -> None:
        owner = "BidSpec"
        check_id(owner, "project_id", self.project_id)
        check_id(owner, "provider_id", self.provider_id)
        check_int(owner, self, "price", unit="fen")
        check_id(owner, "lot_id", self.lot_id, optional=True)


@dataclass(frozen=True, slots=True)
class PoolSpec:
    """A funding pool: foundation, enterprise CSR programme or government fund.

    Attributes
    ----------
    id : Id
    name : str
    remaining : int
        Budget still available, in fen.
    max_per_project : int or None
        Most it pays towards one project, in fen (``None`` = no limit).
    max_share : float
        Largest fraction of a project's cost it pays (co-funding rule), in (0, 1].
    categories : frozenset of str
        Focus categories; empty = any.
    streets : frozenset of Id
        Streets it funds; empty = the whole district.
    kind : {"government", "foundation", "csr", "other"}

    >>> PoolSpec(id="f1", name="福田区社会建设专项资金", remaining=5_000_000_00, max_share=0.5).max_share
    0.5
    """

    id: Id
    name: str
    remaining: int
    max_per_project: int | None = None
    max_share: float = 1.0
    categories: Collection[str] = frozenset()
    streets: Collection[Id] = frozenset()
    kind: str = "foundation"

    def __post_init__(self) -> None:
        owner = "PoolSpec"
        check_id(owner, "id", self.id)
        check_str(owner, self, "name")
        check_int(owner, self, "remaining", unit="fen")
        check_int(owner, self, "max_per_project", optional=True, unit="fen")
        check_real(owner, self, "max_share", low=0.0, high=1.0, low_open=True)
        if isinstance(self.categories, str):
            fail(owner, "categories", "must be a collection of category codes, not a str")
        set_field(self, "categories", frozenset(self.categories))
        check_id_set(owner, self, "streets")
        check_choice(owner, self, "kind", POOL_KINDS)

    def cap_for(self, cost: int) -> int:
        """Most this pool may pay towards a project costing ``cost`` fen (ignores ``remaining``).

        >>> PoolSpec(id=1, name="p", remaining=10**9, max_share=0.5, max_per_project=100).cap_for(301)
        100
        """
        cap = math.floor(self.max_share * cost + 1e-9)
        if self.max_per_project is not None:
            cap = min(cap, self.max_per_project)
        return max(0, min(cap, cost))


@dataclass(frozen=True, slots=True)
class Decision:
    """An official decision about a pair: ``"pin"`` keeps it, ``"forbid"`` excludes it.

    Exactly one of ``provider_id`` / ``pool_id`` is given.  A pinned provider pair must appear
    in the result; a pinned pool must contribute to the project; forbidden pairs never appear.
    ``lot_id`` narrows a provider decision to one lot (``None`` = every lot).

    >>> Decision.pin(1, provider_id="np1").kind
    'pin'
    """

    kind: Literal["pin", "forbid"]
    project_id: Id
    provider_id: Id | None = None
    pool_id: Id | None = None
    lot_id: Id | None = None
    note: str = ""

    def __post_init__(self) -> None:
        owner = "Decision"
        check_choice(owner, self, "kind", ("pin", "forbid"))
        check_id(owner, "project_id", self.project_id)
        check_id(owner, "provider_id", self.provider_id, optional=True)
        check_id(owner, "pool_id", self.pool_id, optional=True)
        check_id(owner, "lot_id", self.lot_id, optional=True)
        if (self.provider_id is None) == (self.pool_id is None):
            fail(owner, "provider_id", "give exactly one of provider_id and pool_id")
        if self.lot_id is not None and self.provider_id is None:
            fail(owner, "lot_id", "lot_id only applies to provider decisions")
        check_str(owner, self, "note")

    @classmethod
    def pin(cls, project_id: Id, *, provider_id: Id | None = None, pool_id: Id | None = None,
            lot_id: Id | None = None, note: str = "") -> Decision:
        """A decision that keeps the pair."""
        return cls("pin", project_id, provider_id, pool_id, lot_id, note)

    @classmethod
    def forbid(cls, project_id: Id, *, provider_id: Id | None = None, pool_id: Id | None = None,
               lot_id: Id | None = None, note: str = "") -> Decision:
        """A decision that excludes the pair."""
        return cls("forbid", project_id, provider_id, pool_id, lot_id, note)

