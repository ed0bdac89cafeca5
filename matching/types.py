"""Plain, frozen data types shared by the matching engine and the web app.

The web app (``market/review/adapter.py``) builds these objects from its database rows and
reads the results back; nothing here knows about Flask or SQLAlchemy.

Conventions
-----------
* **Ids** are ``int`` or non-empty ``str`` (``Id``).  Wherever ids must be ordered (tie-breaking,
  output order) :func:`id_key` is used: integers first, numerically, then strings, lexically.
* **Money** is always an ``int`` number of minor units (fen, 1 yuan = 100 fen).  Messages show
  yuan; machine-readable ``params`` keep fen.
* **Integers** (money, counts, staff, ``k``) must be below 2**63 (:data:`INT_MAX`): the engine
  keeps them in numpy ``int64`` arrays.
* **Sequences** may be passed as lists; they are stored as tuples / frozensets so that every
  object is immutable.
* Bad values raise ``ValueError`` whose message starts with the offending field, e.g.
  ``"ProjectSpec.budget: must be an int >= 0 (fen), got -5"``.

Reason codes
------------
Every unmatched project carries ``reason`` (English), ``reason_code`` and ``params``.  The web app
translates with :data:`REASON_TEMPLATES` / :func:`format_reason` (``lang="zh"``):

===============================  ===================================================================
code                             Chinese template (``format_reason(code, params, lang="zh")``)
===============================  ===================================================================
no_provider_for_category         暂无提供{category_name}的服务机构
no_provider_in_area              {street_name}暂无符合条件的{category_name}服务机构
requirements_not_met             {street_name}的{category_name}服务机构均不满足资质要求（{detail}）
no_valid_bid                     没有有效投标（{bids}份投标均不符合条件或超出预算）
conflict_of_interest             符合条件的服务机构均存在利益冲突
forbidden_by_decision            符合条件的服务机构均已被正式决定排除
providers_at_capacity            {count}家符合条件的服务机构均已满负荷
provider_share_cap               符合条件的服务机构已达到总金额{share}的公平上限
no_eligible_pool                 没有资金池覆盖{street_name}的{category_name}项目
pools_exhausted                  资金池余额不足：需要{needed}元，剩余{left}元
co_funding_limit                 配资规则限制：最多可筹集{coverable}元，需要{needed}元
co_funding_share_rounds_to_zero  配资比例折算不足1分：{pools}无法为{needed}元的项目出资
not_selected                     未入选：资金和服务机构已分配给综合得分更高的项目
infeasible_decisions             正式决定无法同时满足：{detail}
no_solution                      求解器在时限内未找到可行解
===============================  ===================================================================

Example::

    >>> format_reason("pools_exhausted", {"needed": 30_000_000, "left": 12_000_000})
    'pools exhausted: needs 300,000, 120,000 left'
    >>> format_reason("pools_exhausted", {"needed": 30_000_000, "left": 12_000_000}, lang="zh")
    '资金池余额不足：需要300,000元，剩余120,000元'
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from datetime import date
from typing import Any, Literal

__all__ = [
    "Id",
    "UnitKey",
    "id_key",
    "format_money",
    "format_reason",
    "REASON_TEMPLATES",
    "Requirements",
    "LotSpec",
    "ProjectSpec",
    "ProviderSpec",
    "BidSpec",
    "PoolSpec",
    "Decision",
    "ScoreWeights",
    "MatchOptions",
    "MatchProblem",
    "Candidate",
    "PoolCandidate",
    "FilterFunnel",
    "CandidateSet",
    "Funding",
    "Assignment",
    "Unmatched",
    "MatchResult",
    "PROVIDER_KINDS",
    "POOL_KINDS",
    "PROJECT_TYPES",
    "STATUSES",
    "INT_MAX",
]

Id = int | str
#: A unit of work: ``(project_id, lot_id)``; ``lot_id`` is ``None`` for a project without lots.
UnitKey = tuple[Id, Id | None]

PROVIDER_KINDS = ("social_organisation", "enterprise", "public_institution", "other")
POOL_KINDS = ("government", "foundation", "csr", "other")
PROJECT_TYPES = ("service", "works", "goods")
STATUSES = ("optimal", "feasible", "infeasible", "no_candidates")
#: Largest int an input may hold (2**63 - 1): the engine keeps money and counts in numpy int64.
INT_MAX = 2**63 - 1


# --------------------------------------------------------------------------- helpers


def id_key(value: Id | None) -> tuple:
    """Sort key that orders mixed ids deterministically.

    ``None`` first, then integers numerically, then strings lexically.

    >>> sorted(["b", 10, "a", 2], key=id_key)
    [2, 10, 'a', 'b']
    """
    if value is None:
        return (0, 0, "")
    if isinstance(value, int):
        return (1, value, "")
    return (2, 0, value)


def format_money(fen: int) -> str:
    """Format an amount in fen as yuan with thousands separators.

    >>> format_money(30_000_000)
    '300,000'
    >>> format_money(12_345)
    '123.45'
    """
    fen = int(fen)
    sign = "-" if fen < 0 else ""
    yuan, cents = divmod(abs(fen), 100)
    return f"{sign}{yuan:,}" if cents == 0 else f"{sign}{yuan:,}.{cents:02d}"


#: ``code -> (English template, Chinese template)``.  Money params are in fen and shown in yuan.
REASON_TEMPLATES: dict[str, tuple[str, str]] = {
    "no_provider_for_category": (
        "no provider offers {category_name}",
        "暂无提供{category_name}的服务机构",
    ),
    "no_provider_in_area": (
        "no eligible provider in {street_name} for {category_name}",
        "{street_name}暂无符合条件的{category_name}服务机构",
    ),
    "requirements_not_met": (
        "no provider for {category_name} in {street_name} meets the requirements ({detail})",
        "{street_name}的{category_name}服务机构均不满足资质要求（{detail}）",
    ),
    "no_valid_bid": (
        "no valid bid: {bids} bid(s), none from an eligible provider within the budget",
        "没有有效投标（{bids}份投标均不符合条件或超出预算）",
    ),
    "conflict_of_interest": (
        "every eligible provider has a conflict of interest",
        "符合条件的服务机构均存在利益冲突",
    ),
    "forbidden_by_decision": (
        "every eligible provider is excluded by an official decision",
        "符合条件的服务机构均已被正式决定排除",
    ),
    "providers_at_capacity": (
        "all {count} eligible providers are fully booked",
        "{count}家符合条件的服务机构均已满负荷",
    ),
    "provider_share_cap": (
        "eligible providers reached the fairness cap of {share} of the total value",
        "符合条件的服务机构已达到总金额{share}的公平上限",
    ),
    "no_eligible_pool": (
        "no funding pool covers {category_name} in {street_name}",
        "没有资金池覆盖{street_name}的{category_name}项目",
    ),
    "pools_exhausted": (
        "pools exhausted: needs {needed}, {left} left",
        "资金池余额不足：需要{needed}元，剩余{left}元",
    ),
    "co_funding_limit": (
        "co-funding rules cover at most {coverable} of {needed}",
        "配资规则限制：最多可筹集{coverable}元，需要{needed}元",
    ),
    "co_funding_share_rounds_to_zero": (
        "co-funding share rounds to 0 fen: {pools} can pay nothing towards {needed}",
        "配资比例折算不足1分：{pools}无法为{needed}元的项目出资",
    ),
    "not_selected": (
        "not selected: funds and providers went to higher-scoring projects",
        "未入选：资金和服务机构已分配给综合得分更高的项目",
    ),
    "infeasible_decisions": (
        "official decisions cannot all be met: {detail}",
        "正式决定无法同时满足：{detail}",
    ),
    "no_solution": (
        "the solver found no solution within the time limit",
        "求解器在时限内未找到可行解",
    ),
}

_MONEY_PARAMS = frozenset({"needed", "left", "coverable", "budget", "price"})


def format_reason(code: str, params: Mapping[str, Any], lang: Literal["en", "zh"] = "en") -> str:
    """Render a reason code with its parameters in English or Chinese.

    Money parameters (``needed``, ``left``, ``coverable``, ``budget``, ``price``) are in fen
    and shown in yuan; ``share`` is a fraction shown as a percentage; a list (e.g. ``pools``)
    is joined with ", " (Chinese: "、").

    >>> format_reason("no_provider_in_area", {"street_name": "福田街道", "category_name": "养老服务"})
    'no eligible provider in 福田街道 for 养老服务'
    >>> format_reason("co_funding_share_rounds_to_zero", {"pools": ["甲基金", "乙基金"], "needed": 5},
    ...               lang="zh")
    '配资比例折算不足1分：甲基金、乙基金无法为0.05元的项目出资'
    """
    if code not in REASON_TEMPLATES:
        raise ValueError(f"code: unknown reason code {code!r}")
    template = REASON_TEMPLATES[code][0 if lang == "en" else 1]
    shown: dict[str, Any] = {}
    for key, value in params.items():
        if key in _MONEY_PARAMS and isinstance(value, numbers.Integral):
            shown[key] = format_money(int(value))
        elif key == "share" and isinstance(value, numbers.Real):
            shown[key] = f"{float(value):.0%}"
        elif isinstance(value, (list, tuple)):
            shown[key] = ("、" if lang == "zh" else ", ").join(str(v) for v in value)
        else:
            shown[key] = value
    return template.format_map(_Default(shown))


class _Default(dict):
    def __missing__(self, key: str) -> str:  # a template field the caller did not give
        return "?"


def _fail(owner: str, name: str, message: str) -> None:
    raise ValueError(f"{owner}.{name}: {message}")


def _set(obj: Any, name: str, value: Any) -> None:
    object.__setattr__(obj, name, value)


def _check_id(owner: str, name: str, value: Any, *, optional: bool = False) -> None:
    if value is None and optional:
        return
    if isinstance(value, bool) or not isinstance(value, (int, str)) or value == "":
        _fail(owner, name, f"must be an int or a non-empty str id, got {value!r}")


def _check_int(owner: str, obj: Any, name: str, *, low: int = 0, optional: bool = False,
               unit: str = "") -> None:
    value = getattr(obj, name)
    if value is None and optional:
        return
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < low:
        suffix = f" ({unit})" if unit else ""
        _fail(owner, name, f"must be an int >= {low}{suffix}, got {value!r}")
    if value > INT_MAX:
        limit = f"{INT_MAX} {unit}" if unit else f"{INT_MAX}"
        _fail(owner, name, f"must be below 2**63 (at most {limit}), got {value!r}")
    _set(obj, name, int(value))


def _check_real(owner: str, obj: Any, name: str, *, low: float = 0.0,
                high: float = math.inf, optional: bool = False, low_open: bool = False) -> None:
    value = getattr(obj, name)
    if value is None and optional:
        return
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value):
        _fail(owner, name, f"must be a finite number, got {value!r}")
    if value < low or value > high or (low_open and value == low):
        bracket = "(" if low_open else "["
        _fail(owner, name, f"must be in {bracket}{low}, {high}], got {value!r}")
    _set(obj, name, float(value))


def _check_str(owner: str, obj: Any, name: str, *, nonempty: bool = False) -> None:
    value = getattr(obj, name)
    if not isinstance(value, str) or (nonempty and not value.strip()):
        _fail(owner, name, f"must be a{' non-empty' if nonempty else ''} str, got {value!r}")


def _check_bool(owner: str, obj: Any, name: str) -> None:
    if not isinstance(getattr(obj, name), bool):
        _fail(owner, name, f"must be a bool, got {getattr(obj, name)!r}")


def _check_choice(owner: str, obj: Any, name: str, choices: tuple[str, ...]) -> None:
    if getattr(obj, name) not in choices:
        _fail(owner, name, f"must be one of {choices}, got {getattr(obj, name)!r}")


def _id_set(owner: str, obj: Any, name: str) -> None:
    value = getattr(obj, name)
    if isinstance(value, (str, int)):
        _fail(owner, name, f"must be a collection of ids, got {value!r}")
    items = frozenset(value)
    for item in items:
        _check_id(owner, name, item)
    _set(obj, name, items)


# --------------------------------------------------------------------------- inputs


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

    >>> Requirements(min_rating_grade=3, min_staff=3).min_staff
    3
    """

    min_rating_grade: int = 0
    min_years_registered: float = 0.0
    min_staff: int = 0
    min_office_area_m2: float = 0.0

    def __post_init__(self) -> None:
        owner = "Requirements"
        _check_int(owner, self, "min_rating_grade")
        if self.min_rating_grade > 5:
            _fail(owner, "min_rating_grade", f"must be 0-5, got {self.min_rating_grade}")
        _check_real(owner, self, "min_years_registered")
        _check_int(owner, self, "min_staff")
        _check_real(owner, self, "min_office_area_m2")

    def describe(self) -> str:
        """Short English description of the non-trivial thresholds.

        >>> Requirements(min_rating_grade=3, min_staff=3).describe()
        'rating >= 3A, staff >= 3'
        """
        parts = []
        if self.min_rating_grade:
            parts.append(f"rating >= {self.min_rating_grade}A")
        if self.min_years_registered:
            parts.append(f"registered >= {self.min_years_registered:g} years")
        if self.min_staff:
            parts.append(f"staff >= {self.min_staff}")
        if self.min_office_area_m2:
            parts.append(f"office >= {self.min_office_area_m2:g} m2")
        return ", ".join(parts) or "none"


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

    >>> LotSpec(id="A", budget=100_000, title="助餐配送").category is None
    True
    """

    id: Id
    budget: int
    title: str = ""
    description: str = ""
    category: str | None = None

    def __post_init__(self) -> None:
        owner = "LotSpec"
        _check_id(owner, "id", self.id)
        _check_int(owner, self, "budget", unit="fen")
        _check_str(owner, self, "title")
        _check_str(owner, self, "description")
        if self.category is not None:
            _check_str(owner, self, "category", nonempty=True)


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
    lots: tuple[LotSpec, ...] = ()
    applicant_id: Id | None = None
    priority: float = 1.0

    def __post_init__(self) -> None:
        owner = "ProjectSpec"
        _check_id(owner, "id", self.id)
        _check_str(owner, self, "title")
        _check_str(owner, self, "category", nonempty=True)
        _check_id(owner, "street_id", self.street_id)
        _check_int(owner, self, "budget", unit="fen")
        _check_str(owner, self, "description")
        _check_str(owner, self, "category_name")
        _check_str(owner, self, "street_name")
        _check_id(owner, "community_id", self.community_id, optional=True)
        _check_str(owner, self, "community_name")
        _check_int(owner, self, "price", optional=True, unit="fen")
        if self.price is not None and self.price > self.budget:
            _fail(owner, "price", f"{self.price} exceeds the budget {self.budget}")
        _check_choice(owner, self, "project_type", PROJECT_TYPES)
        if not isinstance(self.requirements, Requirements):
            _fail(owner, "requirements", "must be a Requirements instance")
        _check_bool(owner, self, "needs_provider")
        _check_bool(owner, self, "needs_funding")
        if not (self.needs_provider or self.needs_funding):
            _fail(owner, "needs_provider", "needs_provider and needs_funding are both False")
        lots = tuple(self.lots)
        if any(not isinstance(lot, LotSpec) for lot in lots):
            _fail(owner, "lots", "must contain LotSpec instances")
        if lots:
            if not self.needs_provider:
                _fail(owner, "lots", "lots only make sense when needs_provider is True")
            if len({lot.id for lot in lots}) != len(lots):
                _fail(owner, "lots", "lot ids must be unique within a project")
            total = sum(lot.budget for lot in lots)
            if total != self.budget:
                _fail(owner, "lots", f"lot budgets sum to {total}, project budget is {self.budget}")
            if self.price is not None:
                _fail(owner, "price", "give prices per lot through bids, not on a split project")
        _set(self, "lots", lots)
        _check_id(owner, "applicant_id", self.applicant_id, optional=True)
        _check_real(owner, self, "priority", low=0.0, low_open=True, high=1e6)
        if not self.category_name:
            _set(self, "category_name", self.category)
        if not self.street_name:
            _set(self, "street_name", str(self.street_id))

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
    categories: tuple[str, ...] = ()
    streets: frozenset[Id] = frozenset()
    communities: frozenset[Id] = frozenset()
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
    conflict_project_ids: frozenset[Id] = frozenset()
    conflict_org_ids: frozenset[Id] = frozenset()

    def __post_init__(self) -> None:
        owner = "ProviderSpec"
        _check_id(owner, "id", self.id)
        _check_str(owner, self, "name")
        _check_choice(owner, self, "kind", PROVIDER_KINDS)
        if isinstance(self.categories, str):
            _fail(owner, "categories", "must be a sequence of category codes, not a str")
        cats = tuple(dict.fromkeys(self.categories))
        for cat in cats:
            if not isinstance(cat, str) or not cat:
                _fail(owner, "categories", f"category codes must be non-empty str, got {cat!r}")
        _set(self, "categories", cats)
        _id_set(owner, self, "streets")
        _id_set(owner, self, "communities")
        _check_bool(owner, self, "whole_district")
        _check_id(owner, "home_street_id", self.home_street_id, optional=True)
        _check_int(owner, self, "rating_grade")
        if self.rating_grade > 5:
            _fail(owner, "rating_grade", f"must be 0-5, got {self.rating_grade}")
        _check_real(owner, self, "years_registered", optional=True)
        if self.registered_on is not None and not isinstance(self.registered_on, date):
            _fail(owner, "registered_on", f"must be a datetime.date, got {self.registered_on!r}")
        _check_int(owner, self, "staff")
        _check_real(owner, self, "office_area_m2")
        _check_int(owner, self, "capacity")
        _check_str(owner, self, "capability")
        _check_int(owner, self, "rating_count")
        _check_real(owner, self, "rating_sum")
        if self.rating_count == 0 and self.rating_sum != 0:
            _fail(owner, "rating_sum", "must be 0 when rating_count is 0")
        if self.rating_count and not (self.rating_count <= self.rating_sum <= 5 * self.rating_count):
            _fail(owner, "rating_sum", "must lie between rating_count and 5 * rating_count "
                  "(ratings are 1-5 stars)")
        _check_int(owner, self, "deliveries_completed")
        _check_int(owner, self, "deliveries_failed")
        _id_set(owner, self, "conflict_project_ids")
        _id_set(owner, self, "conflict_org_ids")

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
        _check_id(owner, "project_id", self.project_id)
        _check_id(owner, "provider_id", self.provider_id)
        _check_int(owner, self, "price", unit="fen")
        _check_id(owner, "lot_id", self.lot_id, optional=True)


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
    categories: frozenset[str] = frozenset()
    streets: frozenset[Id] = frozenset()
    kind: str = "foundation"

    def __post_init__(self) -> None:
        owner = "PoolSpec"
        _check_id(owner, "id", self.id)
        _check_str(owner, self, "name")
        _check_int(owner, self, "remaining", unit="fen")
        _check_int(owner, self, "max_per_project", optional=True, unit="fen")
        _check_real(owner, self, "max_share", low=0.0, high=1.0, low_open=True)
        if isinstance(self.categories, str):
            _fail(owner, "categories", "must be a collection of category codes, not a str")
        _set(self, "categories", frozenset(self.categories))
        _id_set(owner, self, "streets")
        _check_choice(owner, self, "kind", POOL_KINDS)

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
        _check_choice(owner, self, "kind", ("pin", "forbid"))
        _check_id(owner, "project_id", self.project_id)
        _check_id(owner, "provider_id", self.provider_id, optional=True)
        _check_id(owner, "pool_id", self.pool_id, optional=True)
        _check_id(owner, "lot_id", self.lot_id, optional=True)
        if (self.provider_id is None) == (self.pool_id is None):
            _fail(owner, "provider_id", "give exactly one of provider_id and pool_id")
        if self.lot_id is not None and self.provider_id is None:
            _fail(owner, "lot_id", "lot_id only applies to provider decisions")
        _check_str(owner, self, "note")

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


@dataclass(frozen=True, slots=True)
class ScoreWeights:
    """Weights of the score components and the priors of the Bayesian averages.

    The combined score is ``sum(w_i * c_i) / sum(w_i)`` over the components below, each in
    [0, 1], so it lies in [0, 1].  Defaults: text 0.35, geography 0.15, reputation 0.15,
    delivery 0.14, category 0.10, price 0.10, and social organisation 0.01, which only
    decides near-ties in favour of social organisations.

    Attributes
    ----------
    text : float
        Similarity of the project's needs to the provider's capabilities.
    category : float
        1.0 if the project's category is the provider's primary category, else 0.7.
    geography : float
        1.0 community served or home street, 0.8 street served, 0.5 whole-district only.
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

    text: float = 0.35
    category: float = 0.10
    geography: float = 0.15
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
            _check_real(owner, self, name, high=1e6)
        if self.total <= 0:
            _fail(owner, "text", "at least one component weight must be > 0")
        _check_real(owner, self, "rating_prior_mean", low=1.0, high=5.0)
        _check_real(owner, self, "rating_prior_weight", high=1e6)
        _check_real(owner, self, "delivery_prior_completed", high=1e6)
        _check_real(owner, self, "delivery_prior_failed", high=1e6)
        if self.delivery_prior_completed + self.delivery_prior_failed <= 0:
            _fail(owner, "delivery_prior_completed", "the delivery prior must have positive mass")

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
    text_mode: str = "words"
    as_of: date | None = None

    def __post_init__(self) -> None:
        owner = "MatchOptions"
        _check_int(owner, self, "k_providers", low=1)
        _check_int(owner, self, "k_pools", low=1)
        _check_int(owner, self, "shortlist", low=1, optional=True)
        _check_real(owner, self, "max_provider_share", low=0.0, high=1.0, low_open=True,
                    optional=True)
        _check_bool(owner, self, "weight_by_budget")
        _check_real(owner, self, "min_score", high=1.0)
        _check_real(owner, self, "funding_only_score", high=1.0)
        if not isinstance(self.weights, ScoreWeights):
            _fail(owner, "weights", "must be a ScoreWeights instance")
        _check_choice(owner, self, "text_mode", ("words", "chars"))
        if self.as_of is not None and not isinstance(self.as_of, date):
            _fail(owner, "as_of", f"must be a datetime.date, got {self.as_of!r}")

    @property
    def shortlist_size(self) -> int:
        """Effective shortlist size."""
        return self.shortlist if self.shortlist is not None else max(60, 3 * self.k_providers)


@dataclass(frozen=True)
class MatchProblem:
    """Everything one matching run needs, validated across objects.

    Checks unique ids, that bids and decisions name known projects, lots, providers and pools,
    and that no pair is both pinned and forbidden.  Field names in errors follow the input,
    e.g. ``"bids[2].provider_id: unknown provider 'np9'"``.

    >>> prob = MatchProblem(projects=[ProjectSpec(id=1, title="助餐", category="elderly",
    ...                                           street_id="s1", budget=100)], providers=[])
    >>> len(prob.projects), prob.options.k_providers
    (1, 20)
    """

    projects: tuple[ProjectSpec, ...]
    providers: tuple[ProviderSpec, ...]
    pools: tuple[PoolSpec, ...] = ()
    bids: tuple[BidSpec, ...] = ()
    decisions: tuple[Decision, ...] = ()
    options: MatchOptions = field(default_factory=MatchOptions)

    def __post_init__(self) -> None:
        owner = "MatchProblem"
        for name, kind in (("projects", ProjectSpec), ("providers", ProviderSpec),
                           ("pools", PoolSpec), ("bids", BidSpec), ("decisions", Decision)):
            value = getattr(self, name)
            if isinstance(value, (str, bytes)) or not hasattr(value, "__iter__"):
                _fail(owner, name, f"must be a sequence of {kind.__name__}")
            items = tuple(value)
            for i, item in enumerate(items):
                if not isinstance(item, kind):
                    raise ValueError(f"{name}[{i}]: must be a {kind.__name__}, "
                                     f"got {type(item).__name__}")
            _set(self, name, items)
        if not isinstance(self.options, MatchOptions):
            _fail(owner, "options", "must be a MatchOptions instance")
        projects = _unique("projects", self.projects)
        providers = _unique("providers", self.providers)
        pools = _unique("pools", self.pools)
        seen_bids: set[tuple] = set()
        for i, bid in enumerate(self.bids):
            project = projects.get(bid.project_id)
            if project is None:
                raise ValueError(f"bids[{i}].project_id: unknown project {bid.project_id!r}")
            if bid.provider_id not in providers:
                raise ValueError(f"bids[{i}].provider_id: unknown provider {bid.provider_id!r}")
            if not project.needs_provider:
                raise ValueError(f"bids[{i}].project_id: project {bid.project_id!r} "
                                 "does not need a provider")
            lot_ids = {lot.id for lot in project.lots}
            if project.lots and bid.lot_id not in lot_ids:
                raise ValueError(f"bids[{i}].lot_id: project {bid.project_id!r} is split into "
                                 f"lots; {bid.lot_id!r} is not one of them")
            if not project.lots and bid.lot_id is not None:
                raise ValueError(f"bids[{i}].lot_id: project {bid.project_id!r} has no lots")
            key = (bid.project_id, bid.lot_id, bid.provider_id)
            if key in seen_bids:
                raise ValueError(f"bids[{i}]: duplicate bid by {bid.provider_id!r} on "
                                 f"project {bid.project_id!r}")
            seen_bids.add(key)
        pairs: dict[tuple, str] = {}
        for i, dec in enumerate(self.decisions):
            project = projects.get(dec.project_id)
            if project is None:
                raise ValueError(f"decisions[{i}].project_id: unknown project {dec.project_id!r}")
            if dec.provider_id is not None:
                if dec.provider_id not in providers:
                    raise ValueError(f"decisions[{i}].provider_id: unknown provider "
                                     f"{dec.provider_id!r}")
                if not project.needs_provider:
                    raise ValueError(f"decisions[{i}].provider_id: project {dec.project_id!r} "
                                     "does not need a provider")
                if dec.lot_id is not None and dec.lot_id not in {lot.id for lot in project.lots}:
                    raise ValueError(f"decisions[{i}].lot_id: unknown lot {dec.lot_id!r} of "
                                     f"project {dec.project_id!r}")
                if dec.kind == "pin" and project.lots and dec.lot_id is None:
                    raise ValueError(f"decisions[{i}].lot_id: pin a provider to one lot of the "
                                     f"split project {dec.project_id!r}")
                key = ("provider", dec.project_id, dec.lot_id, dec.provider_id)
            else:
                if dec.pool_id not in pools:
                    raise ValueError(f"decisions[{i}].pool_id: unknown pool {dec.pool_id!r}")
                if not project.needs_funding:
                    raise ValueError(f"decisions[{i}].pool_id: project {dec.project_id!r} "
                                     "does not need funding")
                key = ("pool", dec.project_id, None, dec.pool_id)
            other = pairs.get(key)
            if other is not None and other != dec.kind:
                raise ValueError(f"decisions[{i}]: the pair is both pinned and forbidden")
            pairs[key] = dec.kind
            if dec.kind == "forbid" and dec.lot_id is None and key[0] == "provider":
                for lot in project.lots:
                    if pairs.get(("provider", dec.project_id, lot.id, dec.provider_id)) == "pin":
                        raise ValueError(f"decisions[{i}]: the pair is both pinned and forbidden")
            if dec.kind == "pin" and key[0] == "provider" and dec.lot_id is not None:
                if pairs.get(("provider", dec.project_id, None, dec.provider_id)) == "forbid":
                    raise ValueError(f"decisions[{i}]: the pair is both pinned and forbidden")
        _set(self, "_projects", projects)
        _set(self, "_providers", providers)
        _set(self, "_pools", pools)

    def project(self, project_id: Id) -> ProjectSpec:
        """The project with this id (``KeyError`` if unknown)."""
        return self._projects[project_id]  # type: ignore[attr-defined]

    def provider(self, provider_id: Id) -> ProviderSpec:
        """The provider with this id (``KeyError`` if unknown)."""
        return self._providers[provider_id]  # type: ignore[attr-defined]

    def pool(self, pool_id: Id) -> PoolSpec:
        """The pool with this id (``KeyError`` if unknown)."""
        return self._pools[pool_id]  # type: ignore[attr-defined]

    def replace(self, **changes: Any) -> MatchProblem:
        """A copy with some fields replaced (validated again)."""
        values = {f.name: getattr(self, f.name) for f in fields(self)}
        values.update(changes)
        return MatchProblem(**values)


def _unique(name: str, items: tuple) -> dict:
    index: dict = {}
    for i, item in enumerate(items):
        if item.id in index:
            raise ValueError(f"{name}[{i}].id: duplicate id {item.id!r}")
        index[item.id] = item
    return index


# --------------------------------------------------------------------------- candidates


@dataclass(frozen=True, slots=True)
class Candidate:
    """A provider that passed the hard filters for a project (lot), with its score.

    ``components`` holds every score component in [0, 1] (see :class:`ScoreWeights`);
    ``price`` is the cost in fen if this provider delivers (its bid, else the project's price
    or budget).
    """

    project_id: Id
    provider_id: Id
    score: float
    components: dict[str, float]
    price: int
    lot_id: Id | None = None


@dataclass(frozen=True, slots=True)
class PoolCandidate:
    """A pool eligible to fund a project; ``rank`` 0 is preferred (specific focus first)."""

    project_id: Id
    pool_id: Id
    rank: int
    specific: bool


@dataclass(frozen=True, slots=True)
class FilterFunnel:
    """How many providers survived each hard filter, in order, for one project (lot).

    The first stage that reaches 0 explains why a project has no candidate.
    """

    category: int = 0
    capacity: int = 0
    area: int = 0
    requirements: int = 0
    bids: int = 0
    conflicts: int = 0
    decisions: int = 0
    bid_count: int = 0

    STAGES = ("category", "capacity", "area", "requirements", "bids", "conflicts", "decisions")

    def first_empty(self) -> str | None:
        """Name of the first stage with no provider left, or ``None``."""
        for stage in self.STAGES:
            if getattr(self, stage) == 0:
                return stage
        return None


@dataclass(frozen=True)
class CandidateSet:
    """Output of :func:`matching.candidates.generate_candidates`.

    Attributes
    ----------
    providers : dict
        ``(project_id, lot_id) -> tuple of Candidate``, best first.
    pools : dict
        ``project_id -> tuple of PoolCandidate`` for projects that need funding.
    funnels : dict
        ``(project_id, lot_id) -> FilterFunnel``.
    pool_funnels : dict
        ``project_id -> (eligible by category, + by area, + not forbidden)`` pool counts.
    pin_errors : tuple of str
        Pinned pairs that fail a hard filter (they make the problem infeasible).
    stats : dict
        Timings and counts of the generation.
    """

    providers: dict[UnitKey, tuple[Candidate, ...]]
    pools: dict[Id, tuple[PoolCandidate, ...]]
    funnels: dict[UnitKey, FilterFunnel] = field(default_factory=dict)
    pool_funnels: dict[Id, tuple[int, int, int]] = field(default_factory=dict)
    pin_errors: tuple[str, ...] = ()
    stats: dict[str, Any] = field(default_factory=dict)

    def for_project(self, project_id: Id, lot_id: Id | None = None) -> tuple[Candidate, ...]:
        """Candidates of one project (lot), best first (empty if none)."""
        return self.providers.get((project_id, lot_id), ())

    @property
    def pair_count(self) -> int:
        """Number of (project, provider) candidate pairs."""
        return sum(len(v) for v in self.providers.values())


# --------------------------------------------------------------------------- results


@dataclass(frozen=True, slots=True)
class Funding:
    """``amount`` fen paid by pool ``pool_id``."""

    pool_id: Id
    amount: int


@dataclass(frozen=True, slots=True)
class Assignment:
    """A matched project (or lot): provider, score with components, cost and funding split.

    ``provider_id`` is ``None`` for a project that only needed funding.  ``funding`` sums
    exactly to ``cost`` when the project needs funding, and is empty otherwise.
    """

    project_id: Id
    provider_id: Id | None
    score: float
    components: dict[str, float]
    cost: int
    funding: tuple[Funding, ...] = ()
    lot_id: Id | None = None
    pinned: bool = False

    @property
    def funded(self) -> int:
        """Total funding in fen."""
        return sum(f.amount for f in self.funding)


@dataclass(frozen=True, slots=True)
class Unmatched:
    """A project (or lot) left without a match, and why.

    ``reason`` is English; ``reason_code`` and ``params`` let the caller translate, e.g.
    ``format_reason(u.reason_code, u.params, lang="zh")``.
    """

    project_id: Id
    reason: str
    reason_code: str
    params: dict[str, Any] = field(default_factory=dict)
    lot_id: Id | None = None


@dataclass(frozen=True)
class MatchResult:
    """Outcome of :func:`matching.optimize.solve`.

    Attributes
    ----------
    status : {"optimal", "feasible", "infeasible", "no_candidates"}
        ``optimal`` = the bound has closed: within the requested relative gap (as the solver
        measures it, tie-breaking terms included, so ``gap`` may exceed it by up to 2e-7) or
        within the solvers' absolute tolerance; ``feasible`` = a verified solution with a
        larger gap (time limit); ``infeasible`` = official decisions cannot be met (no
        assignments); ``no_candidates`` = nothing could be matched at all.
    objective : float
        Score-weighted value of the assignments: sum of ``priority * score * budget`` (fen)
        over matched projects (lots), or of ``priority * score`` if not weighting by budget.
    bound : float
        Proven upper bound on the objective (LP relaxation or the MIP solver's bound);
        ``inf`` if none is known (the solver failed and a greedy fallback was used).
    gap : float
        ``(bound - objective) / bound``, 0 when the bound is 0, ``inf`` when it is unknown.
    assignments : tuple of Assignment
        Sorted by project id, then lot id.
    unmatched : tuple of Unmatched
    binding : tuple of str
        Constraints at their limit, as ``"kind:id[:id]"`` with kinds ``pool_budget``,
        ``pool_project_cap`` (per-project maximum or co-funding share), ``provider_capacity``,
        ``provider_share``, ``pinned``.
    solver : str
        Solver actually used ("cbc" or "highs"), or "" if none was needed.
    seconds : float
        Wall time of the :func:`solve` call (``stats["candidates_s"]`` of it generating
        candidates, which the time limit does not cover).
    notes : tuple of str
        Anything else worth telling the reviewer (fallbacks, repairs, pin conflicts).
    stats : dict
        Model sizes and phase timings.
    """

    status: str
    objective: float
    bound: float
    gap: float
    assignments: tuple[Assignment, ...]
    unmatched: tuple[Unmatched, ...]
    binding: tuple[str, ...]
    solver: str
    seconds: float
    notes: tuple[str, ...] = ()
    stats: dict[str, Any] = field(default_factory=dict)

    def assignment_for(self, project_id: Id, lot_id: Id | None = None) -> Assignment | None:
        """The assignment of a project (lot), or ``None``."""
        for a in self.assignments:
            if a.project_id == project_id and a.lot_id == lot_id:
                return a
        return None

    def pool_totals(self) -> dict[Id, int]:
        """Total fen paid by each pool."""
        totals: dict[Id, int] = {}
        for a in self.assignments:
            for f in a.funding:
                totals[f.pool_id] = totals.get(f.pool_id, 0) + f.amount
        return totals
