"""The figures officials decide with, each from a few grouped SQL queries.

Every figure is computed in the database (counts, sums, percentiles through window functions),
grouped by street and category at most, so the number of queries and the rows read back do not
grow with the number of projects. Money comes from the ledger (``market.core.ledger``): postings
on the accounts money is reserved in (contract commitments and pledges) and on the movements
that pay it (payouts to providers, pledges and matching paid into projects, donations), traced
back through the funding pool to its funder to name the source.

Who sees what: officials of a street see their street; district-wide officials and
administrators see every street (:func:`officials_filters`). The public page asks
:func:`public_filters` and shows only aggregates (``market.stats.tables`` suppresses small counts).
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import Float, and_, case, cast, distinct, func, literal, literal_column, or_, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import ColumnElement, FunctionElement

from market.accounts.models import Role, User
from market.contracts.models import Contract, ContractStatus
from market.core import ledger, policy
from market.core.db import db
from market.core.errors import ValidationFailed
from market.funding.models import MatchingCampaign, Pledge
from market.funds.models import FundingCommitment, FundingPool
from market.geo.models import Category, Community, Street
from market.micro.models import (
    RATING_CRITERIA,
    Acceptance,
    Ballot,
    BallotChoice,
    MicroRound,
    Proposal,
    ProposalStatus,
    Rating,
    RoundPhase,
)
from market.orgs.models import Organization, OrgKind
from market.projects.models import Project, ProjectKind, ProjectStatus
from market.review.models import Award
from market.stats.period import Period

K = ledger.AccountKind
M = ledger.Movement

#: Where money comes from, in the order shown.
SOURCES: dict[str, Any] = {
    "district": _l("District fund"),
    "street": _l("Street funds"),
    "foundation": _l("Foundations"),
    "enterprise": _l("Enterprises"),
    "donations": _l("Donations"),
    "other": _l("Other funders"),
}
#: How many of the largest providers are listed, and the size of the concentration figure.
TOP_PROVIDERS = 10
TOP_SHARE_OF = 5
LARGEST_ID = 2**31 - 1


# ---------------------------------------------------------------- who sees which street

@dataclass(frozen=True)
class Filters:
    """What the figures cover: a period, and optionally one street and one category."""

    period: Period
    street_id: int | None = None
    category_id: int | None = None
    district_id: int | None = None  # a district's officials see their district's figures only


def _checked_ids(street_id: int | None, category_id: int | None) -> None:
    errors: dict[str, Any] = {}
    if street_id is not None and (not 0 < street_id <= LARGEST_ID or db.session.get(Street, street_id) is None):
        errors["street"] = _l("Choose a street from the list.")
    if category_id is not None and (not 0 < category_id <= LARGEST_ID
                                    or db.session.get(Category, category_id) is None):
        errors["category"] = _l("Choose a category from the list.")
    if errors:
        raise ValidationFailed(_l("There is no such street or category."), fields=errors)


def officials_filters(actor: Any, period: Period, street_id: int | None = None,
                      category_id: int | None = None) -> Filters:
    """The filters an official may use: a street official's figures are their own street's
    (asking for another street is refused); district-wide officials choose any street or all."""
    policy.require(actor, "stats.view")
    _checked_ids(street_id, category_id)
    if street_id is None:
        street_id = policy.street_filter(actor)
    district_id = policy.district_filter(actor)
    policy.require(actor, "stats.street", policy.Scope(street_id=street_id, district_id=district_id))
    return Filters(period, street_id, category_id, district_id)


def public_filters(period: Period, street_id: int | None = None, category_id: int | None = None) -> Filters:
    """Filters for the public page: any street, any category, aggregates only."""
    _checked_ids(street_id, category_id)
    return Filters(period, street_id, category_id)


# ---------------------------------------------------------------- SQL helpers

class days_between(FunctionElement):  # noqa: N801  (used like a SQL function)
    """``later - earlier`` in days (fractional), in the database's own arithmetic."""

    type = Float()
    inherit_cache = True
    name = "days_between"


@compiles(days_between)
def _days_between_postgresql(element: days_between, compiler: Any, **kw: Any) -> str:
    later, earlier = (compiler.process(arg, **kw) for arg in element.clauses)
    return f"(EXTRACT(EPOCH FROM ({later} - {earlier})) / 86400.0)"


@compiles(days_between, "sqlite")
def _days_between_sqlite(element: days_between, compiler: Any, **kw: Any) -> str:
    later, earlier = (compiler.process(arg, **kw) for arg in element.clauses)
    return f"(julianday({later}) - julianday({earlier}))"


def _within(column: Any, period: Period) -> ColumnElement[bool]:
    return and_(column >= period.start, column < period.end)


def _in_scope(filters: Filters) -> list[ColumnElement[bool]]:
    """Conditions on :class:`Project` for the street and category chosen."""
    conditions = []
    if filters.street_id is not None:
        conditions.append(Project.street_id == filters.street_id)
    if filters.category_id is not None:
        conditions.append(Project.category_id == filters.category_id)
    if filters.district_id is not None:
        conditions.append(Project.district_id == filters.district_id)
    return conditions


def _awarded_at() -> Any:
    """Each project's first live contract (one not terminated, e.g. by an upheld objection) and when
    it was awarded: the award's approval, else the signature, else the contract's creation."""
    when = func.coalesce(Award.approved_at, Contract.signed_at, Contract.created_at)
    return (select(Contract.project_id.label("project_id"), func.min(when).label("awarded_at"))
            .outerjoin(Award, Award.id == Contract.award_id)
            .where(Contract.status != ContractStatus.TERMINATED)
            .group_by(Contract.project_id).subquery("first_contracts"))


def _live_contracts() -> Any:
    """Live contracts with the moment they were awarded (as in :func:`_awarded_at`)."""
    return (select(Contract.id.label("id"), Contract.project_id.label("project_id"),
                   Contract.provider_id.label("provider_id"), Contract.amount_cents.label("amount_cents"),
                   func.coalesce(Award.approved_at, Contract.signed_at, Contract.created_at).label("awarded_at"))
            .outerjoin(Award, Award.id == Contract.award_id)
            .where(Contract.status != ContractStatus.TERMINATED).subquery("live_contracts"))


def _completed_at() -> tuple[Any, Any]:
    """When completed projects were completed: the acceptance of a micro-project, else the end of its
    last completed contract, else its last change. Returns the expression and the subquery it joins."""
    ends = (select(Contract.project_id.label("project_id"), func.max(Contract.ended_at).label("ended_at"))
            .where(Contract.status == ContractStatus.COMPLETED).group_by(Contract.project_id).subquery("contract_ends"))
    return func.coalesce(Acceptance.accepted_at, ends.c.ended_at, Project.updated_at), ends


# ---------------------------------------------------------------- projects

@dataclass
class ProjectFigures:
    """Projects published (and the money they ask), awarded and completed in the period."""

    published: int = 0
    asked_cents: int = 0
    awarded: int = 0
    completed: int = 0

    def add(self, other: ProjectFigures) -> None:
        self.published += other.published
        self.asked_cents += other.asked_cents
        self.awarded += other.awarded
        self.completed += other.completed


def project_figures(filters: Filters) -> dict[tuple[int | None, int], ProjectFigures]:
    """``{(street_id, category_id): figures}``, from three grouped queries."""
    period, scope = filters.period, _in_scope(filters)
    cells: dict[tuple[int | None, int], ProjectFigures] = defaultdict(ProjectFigures)
    for street_id, category_id, count, asked in db.session.execute(
            select(Project.street_id, Project.category_id, func.count(Project.id), func.sum(Project.budget_cents))
            .where(Project.status != ProjectStatus.DRAFT, _within(Project.published_at, period), *scope)
            .group_by(Project.street_id, Project.category_id)):
        cells[(street_id, category_id)].published = int(count)
        cells[(street_id, category_id)].asked_cents = int(asked or 0)
    first = _awarded_at()
    for street_id, category_id, count in db.session.execute(
            select(Project.street_id, Project.category_id, func.count(Project.id))
            .join(first, first.c.project_id == Project.id)
            .where(_within(first.c.awarded_at, period), *scope).group_by(Project.street_id, Project.category_id)):
        cells[(street_id, category_id)].awarded = int(count)
    completed_at, ends = _completed_at()
    for street_id, category_id, count in db.session.execute(
            select(Project.street_id, Project.category_id, func.count(Project.id))
            .outerjoin(Acceptance, Acceptance.project_id == Project.id)
            .outerjoin(ends, ends.c.project_id == Project.id)
            .where(Project.status == ProjectStatus.COMPLETED, _within(completed_at, period), *scope)
            .group_by(Project.street_id, Project.category_id)):
        cells[(street_id, category_id)].completed = int(count)
    return dict(cells)


# ---------------------------------------------------------------- money by source

def _source_of_money() -> tuple[Any, Any]:
    """A posting's source of money (a key of :data:`SOURCES`), and the statement that can name it:
    postings with their transfer, the project the money is for, and — for money held in or paid
    from a commitment, pledge or campaign — the pool and the funder that own it."""
    pool_id = func.coalesce(FundingCommitment.pool_id, Pledge.pool_id, MatchingCampaign.pool_id)
    source = case(
        (FundingPool.id.is_(None), literal("donations")),
        (and_(Organization.kind == OrgKind.GOVERNMENT, Organization.home_street_id.is_(None)), literal("district")),
        (Organization.kind == OrgKind.GOVERNMENT, literal("street")),
        (Organization.kind == OrgKind.FOUNDATION, literal("foundation")),
        (Organization.kind == OrgKind.ENTERPRISE, literal("enterprise")),
        else_=literal("other"))
    joined = (select().select_from(ledger.Posting)
              .join(ledger.Transfer, ledger.Transfer.id == ledger.Posting.transfer_id)
              .join(Project, Project.id == ledger.Transfer.project_id)
              .outerjoin(FundingCommitment, and_(ledger.Posting.account_kind == K.COMMITMENT,
                                                 FundingCommitment.id == ledger.Posting.account_ref))
              .outerjoin(Pledge, and_(ledger.Posting.account_kind == K.PLEDGE, Pledge.id == ledger.Posting.account_ref))
              .outerjoin(MatchingCampaign, and_(ledger.Posting.account_kind == K.CAMPAIGN,
                                                MatchingCampaign.id == ledger.Posting.account_ref))
              .outerjoin(FundingPool, FundingPool.id == pool_id)
              .outerjoin(Organization, Organization.id == FundingPool.funder_id))
    return source, joined


#: Movements that pay money out of a reservation (to the provider, or into the project's funds).
PAYING = (M.PAYOUT, M.PLEDGE_RELEASE, M.CAMPAIGN_MATCH)
#: Accounts money is held in for a project until it is paid.
RESERVING = (K.COMMITMENT, K.PLEDGE)


@dataclass(frozen=True)
class SourceMoney:
    source: str
    reserved_cents: int = 0
    paid_cents: int = 0

    @property
    def label(self) -> str:
        return str(SOURCES[self.source])


def money_by_source(filters: Filters) -> list[SourceMoney]:
    """Per source: money still reserved for projects at the end of the period (the balance of their
    commitments and pledges), and money paid in the period (payouts to providers from commitments,
    pledges and matching paid into projects' funds, donations to projects less their refunds)."""
    period, scope = filters.period, _in_scope(filters)
    source, joined = _source_of_money()
    posting = ledger.Posting
    reserved = dict(db.session.execute(
        joined.add_columns(source, func.sum(posting.amount_cents))
        .where(posting.account_kind.in_(RESERVING), ledger.Transfer.occurred_at < period.end, *scope)
        .group_by(source)).all())
    # Paying movements take money out of the reservation (negative postings there); donations and
    # their refunds move money into and out of the project's own account.
    signed = case((posting.account_kind == K.PROJECT, posting.amount_cents), else_=-posting.amount_cents)
    paid = dict(db.session.execute(
        joined.add_columns(source, func.sum(signed))
        .where(_within(ledger.Transfer.occurred_at, period), *scope,
               or_(and_(ledger.Transfer.movement.in_(PAYING), posting.account_kind.in_((*RESERVING, K.CAMPAIGN))),
                   and_(ledger.Transfer.movement.in_((M.DONATION, M.REFUND)), posting.account_kind == K.PROJECT)))
        .group_by(source)).all())
    return [SourceMoney(key, int(reserved.get(key) or 0), int(paid.get(key) or 0)) for key in SOURCES]


# ---------------------------------------------------------------- providers

@dataclass(frozen=True)
class ProviderShare:
    """A provider's contracts awarded in the period and its share of the money awarded."""

    org_id: int
    name: str
    name_en: str
    contracts: int
    amount_cents: int
    share: float  # 0..1 of all money awarded in the period

    def tr(self, locale: str) -> str:
        return self.name_en if locale == "en" and self.name_en else self.name


@dataclass(frozen=True)
class ProviderFigures:
    active: int = 0  # providers with at least one contract awarded in the period
    contracts: int = 0
    total_cents: int = 0
    top: tuple[ProviderShare, ...] = ()
    top_share: float | None = None  # the TOP_SHARE_OF largest providers' share of the money awarded
    hhi: float | None = None  # Herfindahl-Hirschman index, 0..10000


def provider_figures(filters: Filters) -> ProviderFigures:
    """Active providers and how concentrated the money awarded to them is (two queries)."""
    contracts = _live_contracts()
    per_provider = (select(contracts.c.provider_id.label("provider_id"),
                           func.count(contracts.c.id).label("contracts"),
                           func.sum(contracts.c.amount_cents).label("amount_cents"))
                    .join(Project, Project.id == contracts.c.project_id)
                    .where(_within(contracts.c.awarded_at, filters.period), *_in_scope(filters))
                    .group_by(contracts.c.provider_id).subquery("per_provider"))
    amount = cast(per_provider.c.amount_cents, Float)
    active, count, total, squares = db.session.execute(
        select(func.count(per_provider.c.provider_id), func.sum(per_provider.c.contracts),
               func.sum(per_provider.c.amount_cents), func.sum(amount * amount))).one()
    total = int(total or 0)
    if not active:
        return ProviderFigures()
    rows = db.session.execute(
        select(per_provider.c.provider_id, Organization.name, Organization.name_en, per_provider.c.contracts,
               per_provider.c.amount_cents)
        .join(Organization, Organization.id == per_provider.c.provider_id)
        .order_by(per_provider.c.amount_cents.desc(), per_provider.c.provider_id).limit(TOP_PROVIDERS)).all()
    top = tuple(ProviderShare(org_id, name, name_en or "", int(n), int(cents), int(cents) / total if total else 0.0)
                for org_id, name, name_en, n, cents in rows)
    top_share = sum(p.amount_cents for p in top[:TOP_SHARE_OF]) / total if total else None
    hhi = 10_000 * float(squares) / (total * total) if total else None
    return ProviderFigures(int(active), int(count or 0), total, top, top_share, hhi)


# ---------------------------------------------------------------- time from publication to award

@dataclass(frozen=True)
class Durations:
    projects: int = 0
    median_days: float | None = None
    p90_days: float | None = None


QUANTILES = (50, 90)


def _interpolated(values: dict[int, float], n: int, quantile: int) -> float:
    """The ``quantile``-th percentile of ``n`` sorted values given by rank (1-based), interpolated
    between the two nearest ranks as PostgreSQL's ``percentile_cont`` does."""
    lower, upper = quantile * (n - 1) // 100, (quantile * (n - 1) + 99) // 100  # the ranks the query read
    low, high = values[lower + 1], values[upper + 1]
    return low + (high - low) * (quantile * (n - 1) / 100 - lower)


def award_durations(filters: Filters) -> tuple[Durations, dict[int | None, Durations]]:
    """Days from publication to the first award, for projects awarded in the period: median and 90th
    percentile overall and per street. Ranks come from window functions; only the ranks each
    percentile needs are read back."""
    first = _awarded_at()
    durations = (select(Project.street_id.label("street_id"),
                        days_between(first.c.awarded_at, Project.published_at).label("days"))
                 .join(first, first.c.project_id == Project.id)
                 .where(Project.published_at.is_not(None), _within(first.c.awarded_at, filters.period),
                        *_in_scope(filters)).subquery("durations"))

    def percentiles(key: Any, grouped: bool) -> dict[Any, Durations]:
        groups = key if grouped else None
        ranked = select(key.label("key"), durations.c.days,
                        func.row_number().over(partition_by=groups, order_by=durations.c.days).label("rank"),
                        func.count().over(partition_by=groups).label("n")).subquery("ranked")
        wanted = [ranked.c.rank == (q * (ranked.c.n - 1)) // 100 + 1 for q in QUANTILES]
        wanted += [ranked.c.rank == (q * (ranked.c.n - 1) + 99) // 100 + 1 for q in QUANTILES]
        found: dict[Any, tuple[int, dict[int, float]]] = {}
        for group, days, rank, n in db.session.execute(
                select(ranked.c.key, ranked.c.days, ranked.c.rank, ranked.c.n).where(or_(*wanted))):
            found.setdefault(group, (int(n), {}))[1][int(rank)] = float(days)
        return {group: Durations(n, *(_interpolated(values, n, q) for q in QUANTILES))
                for group, (n, values) in found.items()}

    overall = percentiles(literal_column("0"), grouped=False).get(0, Durations())
    return overall, percentiles(durations.c.street_id, grouped=True)


# ---------------------------------------------------------------- acceptance ratings

@dataclass
class RatingFigures:
    """Micro-projects accepted in the period and residents' ratings given in it (1-5 stars)."""

    accepted: int = 0
    ratings: int = 0
    sums: dict[str, int] = field(default_factory=lambda: dict.fromkeys(RATING_CRITERIA, 0))

    def add(self, other: RatingFigures) -> None:
        self.accepted += other.accepted
        self.ratings += other.ratings
        for criterion in RATING_CRITERIA:
            self.sums[criterion] += other.sums[criterion]

    def mean(self, criterion: str) -> float | None:
        return self.sums[criterion] / self.ratings if self.ratings else None

    @property
    def overall(self) -> float | None:
        """The mean over every criterion of every rating."""
        return sum(self.sums.values()) / (self.ratings * len(RATING_CRITERIA)) if self.ratings else None


def rating_figures(filters: Filters) -> dict[tuple[int | None, int], RatingFigures]:
    """``{(street_id, category_id): figures}``, from two grouped queries."""
    scope = [Project.kind == ProjectKind.MICRO, *_in_scope(filters)]
    cells: dict[tuple[int | None, int], RatingFigures] = defaultdict(RatingFigures)
    for street_id, category_id, count in db.session.execute(
            select(Project.street_id, Project.category_id, func.count(Acceptance.id))
            .join(Project, Project.id == Acceptance.project_id)
            .where(_within(Acceptance.accepted_at, filters.period), *scope)
            .group_by(Project.street_id, Project.category_id)):
        cells[(street_id, category_id)].accepted = int(count)
    sums = [func.sum(getattr(Rating, criterion)) for criterion in RATING_CRITERIA]
    for street_id, category_id, count, *totals in db.session.execute(
            select(Project.street_id, Project.category_id, func.count(Rating.id), *sums)
            .join(Project, Project.id == Rating.project_id)
            .where(_within(Rating.created_at, filters.period), *scope)
            .group_by(Project.street_id, Project.category_id)):
        cell = cells[(street_id, category_id)]
        cell.ratings = int(count)
        cell.sums = {criterion: int(total or 0) for criterion, total in zip(RATING_CRITERIA, totals)}
    return dict(cells)


# ---------------------------------------------------------------- participation in micro-projects

@dataclass(frozen=True)
class Participation:
    """One community: proposals submitted, ballots and votes cast in the period; residents eligible to
    vote (verified by the end of the period) when a round's voting covering it overlapped the period."""

    community_id: int
    street_id: int
    name: str
    street_name: str
    proposals: int = 0
    ballots: int = 0
    votes: int = 0
    eligible: int | None = None  # None: no voting in this community during the period

    @property
    def turnout(self) -> float | None:
        return self.ballots / self.eligible if self.eligible else None


def participation(filters: Filters, locale: str) -> list[Participation]:
    """Every community in the street(s) chosen, from five grouped queries. The category narrows
    the proposals only (a ballot is for a whole round)."""
    period = filters.period
    in_street = [Community.street_id == filters.street_id] if filters.street_id is not None else []
    communities = db.session.execute(select(Community, Street).join(Street, Street.id == Community.street_id)
                                     .where(*in_street).order_by(Street.id, Community.id)).all()
    proposal_scope = [Proposal.category_id == filters.category_id] if filters.category_id is not None else []
    proposals = dict(db.session.execute(
        select(Proposal.community_id, func.count(Proposal.id))
        .where(Proposal.status != ProposalStatus.DRAFT, _within(Proposal.submitted_at, period), *proposal_scope)
        .group_by(Proposal.community_id)).all())
    ballots = {community_id: (int(n), int(votes)) for community_id, n, votes in db.session.execute(
        select(User.community_id, func.count(distinct(Ballot.id)), func.count(BallotChoice.proposal_id))
        .join(User, User.id == Ballot.voter_id).outerjoin(BallotChoice, BallotChoice.ballot_id == Ballot.id)
        .where(_within(Ballot.cast_at, period)).group_by(User.community_id))}
    eligible = dict(db.session.execute(
        select(User.community_id, func.count(User.id))
        .where(User.role == Role.RESIDENT, User.verified_at.is_not(None), User.verified_at < period.end,
               User.is_disabled.is_(False), User.community_id.is_not(None))
        .group_by(User.community_id)).all())
    covered = set(db.session.scalars(
        select(Community.id).join(MicroRound, or_(MicroRound.community_id == Community.id,
                                                  and_(MicroRound.community_id.is_(None),
                                                       MicroRound.street_id == Community.street_id)))
        .where(MicroRound.phase != RoundPhase.CANCELLED, MicroRound.voting_opens_at < period.end,
               MicroRound.voting_closes_at > period.start, *in_street).distinct()))
    return [Participation(c.id, s.id, c.tr("name", locale), s.tr("name", locale), int(proposals.get(c.id, 0)),
                          *ballots.get(c.id, (0, 0)), int(eligible.get(c.id, 0)) if c.id in covered else None)
            for c, s in communities]


# ---------------------------------------------------------------- the whole dashboard

@dataclass(frozen=True)
class Group:
    """A row of a per-street or per-category table: ``key`` None is the district's own projects."""

    key: int | None
    label: str


@dataclass
class Dashboard:
    filters: Filters
    locale: str
    streets: list[Group]
    categories: list[Group]
    projects_by_street: dict[int | None, ProjectFigures]
    projects_by_category: dict[int | None, ProjectFigures]
    projects_total: ProjectFigures
    money: list[SourceMoney]
    providers: ProviderFigures
    award_time: Durations
    award_time_by_street: dict[int | None, Durations]
    ratings_by_street: dict[int | None, RatingFigures]
    ratings_total: RatingFigures
    participation: list[Participation]

    @property
    def paid_cents(self) -> int:
        return sum(m.paid_cents for m in self.money)

    @property
    def reserved_cents(self) -> int:
        return sum(m.reserved_cents for m in self.money)


def _roll_up(cells: dict[tuple[int | None, int], Any], make: type, index: int, keys: Iterable[int | None]
             ) -> tuple[dict[int | None, Any], Any]:
    """Sum (street, category) cells along one axis: a few hundred groups at most, never rows."""
    rolled = {key: make() for key in keys}
    total = make()
    for key, cell in cells.items():
        rolled.setdefault(key[index], make()).add(cell)
        total.add(cell)
    return rolled, total


DISTRICT_WIDE = _l("District-wide")


def dashboard(filters: Filters, locale: str) -> Dashboard:
    """Every figure for ``filters`` (checked by :func:`officials_filters` or :func:`public_filters`)."""
    street_rows = db.session.scalars(select(Street).order_by(Street.id)
                                     .where(*([Street.id == filters.street_id] if filters.street_id else []))
                                     .where(*([Street.district_id == filters.district_id] if filters.district_id
                                              else []))).all()
    category_rows = db.session.scalars(
        select(Category).order_by(Category.sort_order, Category.id)
        .where(*([Category.id == filters.category_id] if filters.category_id else []))).all()
    streets = [Group(s.id, s.tr("name", locale)) for s in street_rows]
    categories = [Group(c.id, c.tr("name", locale)) for c in category_rows]
    cells = project_figures(filters)
    by_street, total = _roll_up(cells, ProjectFigures, 0, [g.key for g in streets])
    by_category, _ = _roll_up(cells, ProjectFigures, 1, [g.key for g in categories])
    ratings_by_street, ratings_total = _roll_up(rating_figures(filters), RatingFigures, 0, [g.key for g in streets])
    overall, per_street = award_durations(filters)
    if None in by_street or None in per_street or None in ratings_by_street:
        streets.append(Group(None, str(DISTRICT_WIDE)))  # projects of the whole district, not of one street
    return Dashboard(filters, locale, streets, categories, by_street, by_category, total, money_by_source(filters),
                     provider_figures(filters), overall, per_street, ratings_by_street, ratings_total,
                     participation(filters, locale))
