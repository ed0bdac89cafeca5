"""Funders' pledges, donations to public-benefit projects and donation-matching campaigns.

Money rules kept here (every change of money is an audit event):

* A project's received funds + active pledges + donations still being paid +
  reserved pool commitments never exceed its budget (:func:`funding_summary`).
* A pledge from a pool never exceeds the pool's remaining money, its maximum
  grant per project or its co-funding share of the project's budget
  (:func:`pledge_limit`).
* A matching campaign reserves its whole amount from the pool when it is
  created; at close the engine (``matching.funding``) shares it, the matched
  amounts go to the projects and the rest goes back to the pool, so the pool is
  never overspent.

Services take an explicit ``actor`` and ``now`` and flush but never commit.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, func, select

from market.accounts.models import Role, User
from market.core import ledger, policy
from market.core.audit import record
from market.core.db import db, utcnow
from market.core.errors import Conflict, PermissionDenied, ValidationFailed
from market.core.money import money
from market.core.state import transition
from market.funding.models import (
    CampaignAllocation,
    CampaignStatus,
    MatchingCampaign,
    MatchingRule,
    Pledge,
    PledgeStatus,
    campaign_projects,
)
from market.funds.models import CommitmentStatus, FundingCommitment, FundingPool
from market.orgs.models import OrgKind
from market.payments import services as payments
from market.payments.gateway import StripeGateway
from market.payments.models import PaymentOrder, PaymentPurpose, PaymentStatus
from market.projects.models import Project, ProjectKind, ProjectStatus
from market.projects.signals import budget_floor
from matching.funding import Donation, match_one_to_one, quadratic_match

SEEKING_FUNDS = (ProjectStatus.OPEN, ProjectStatus.EVALUATING)
MIN_DONATION_CENTS = 1_000  # ¥10
MIN_TOPUP_CENTS = 10_000  # ¥100


def _locked(model: Any, ident: int) -> Any:
    return db.session.get(model, ident, with_for_update=True, populate_existing=True)


def _sum(column: Any, *where: Any) -> int:
    """``SUM(column)`` as an int (PostgreSQL returns NUMERIC for a sum of BIGINT), 0 when nothing matches."""
    return int(db.session.scalar(select(func.coalesce(func.sum(column), 0)).where(*where)) or 0)


def seeks_funds(project: Project) -> bool:
    return project.kind == ProjectKind.PUBLIC_BENEFIT and project.status in SEEKING_FUNDS


# ---------------------------------------------------------------------------
# The funding bar
# ---------------------------------------------------------------------------

@dataclass(frozen=True)
class FundingSummary:
    """Where a project's money stands. ``room`` is what may still be pledged or given."""

    budget: int
    received: int  # project.funded_cents: donations, matches and released pledges
    pledged: int  # active pledges from pools
    in_payment: int  # donations started and not paid yet, while they hold the room (payments.holds_room)
    committed_by_pools: int  # pool money the award process reserved for, or paid to, its contracts

    @property
    def total(self) -> int:
        return self.received + self.pledged + self.in_payment + self.committed_by_pools

    @property
    def room(self) -> int:
        return max(0, self.budget - self.total)

    @property
    def percent(self) -> int:
        """Received and pledged, as a share of the budget (what the funding bar shows)."""
        if not self.budget:
            return 0
        return min(100, (100 * (self.received + self.pledged + self.committed_by_pools)) // self.budget)

    @property
    def received_percent(self) -> int:
        return min(100, (100 * self.received) // self.budget) if self.budget else 0


def _pool_commitments(project_id: int) -> int:
    """Pool money awarded to the project's contracts: reserved, or already paid to the provider."""
    return _sum(FundingCommitment.amount_cents, FundingCommitment.project_id == project_id,
                FundingCommitment.status != CommitmentStatus.RELEASED)


@budget_floor.connect
def _money_held_for(project: Project) -> int:
    """A project's budget never drops below what has been given, pledged, promised or awarded to it."""
    return funding_summary(project).total


def funding_summary(project: Project, *, now: datetime | None = None) -> FundingSummary:
    """Where the project's money stands at ``now`` (default: this moment)."""
    pledged = _sum(Pledge.amount_cents, Pledge.project_id == project.id, Pledge.status == PledgeStatus.ACTIVE)
    in_payment = _sum(PaymentOrder.amount_cents, PaymentOrder.project_id == project.id,
                      payments.holds_room(now or utcnow()))
    return FundingSummary(project.budget_cents, project.funded_cents, pledged, in_payment,
                          _pool_commitments(project.id))


# ---------------------------------------------------------------------------
# Pledges from pools
# ---------------------------------------------------------------------------

def pool_covers(pool: FundingPool, project: Project) -> bool:
    """Whether the pool's focus (categories, streets; empty = any) includes the project."""
    if pool.focus_categories and project.category_id not in {c.id for c in pool.focus_categories}:
        return False
    if pool.streets and project.street_id not in {s.id for s in pool.streets}:
        return False
    return True


@dataclass(frozen=True)
class PledgeLimit:
    """The most ``pool`` can still pledge to ``project`` and the rule that binds."""

    amount: int
    binding: str  # pool_remaining | max_grant | co_funding | project_room
    limits: dict[str, int] = field(default_factory=dict)

    @property
    def label(self) -> str:
        return str(PLEDGE_LIMIT_LABELS.get(self.binding, self.binding))


PLEDGE_LIMIT_LABELS = {
    "pool_remaining": _l("the money left in the pool"),
    "max_grant": _l("the pool's maximum grant per project"),
    "co_funding": _l("the pool's co-funding share of the project's budget"),
    "project_room": _l("what the project still needs"),
}


def _pool_given_to(pool: FundingPool, project: Project) -> int:
    """What the pool has pledged (active or released) and matched to the project so far."""
    pledged = _sum(Pledge.amount_cents, Pledge.pool_id == pool.id, Pledge.project_id == project.id,
                   Pledge.status.in_((PledgeStatus.ACTIVE, PledgeStatus.RELEASED)))
    matched = _sum(CampaignAllocation.match_cents, CampaignAllocation.project_id == project.id,
                   CampaignAllocation.campaign_id.in_(select(MatchingCampaign.id).where(
                       MatchingCampaign.pool_id == pool.id)))
    return pledged + matched


def pool_rule_room(pool: FundingPool, project: Project) -> int | None:
    """What the pool's own rules (co-funding share, maximum grant) still allow it to give the project.

    ``None`` when the pool has neither rule.
    """
    caps = []
    if pool.max_share_percent < 100:
        caps.append(project.budget_cents * pool.max_share_percent // 100)
    if pool.max_grant_cents is not None:
        caps.append(pool.max_grant_cents)
    if not caps:
        return None
    return max(0, min(caps) - _pool_given_to(pool, project))


def pledge_limit(pool: FundingPool, project: Project) -> PledgeLimit:
    given = _pool_given_to(pool, project)
    limits = {"pool_remaining": pool.remaining_cents, "project_room": funding_summary(project).room}
    if pool.max_share_percent < 100:
        limits["co_funding"] = project.budget_cents * pool.max_share_percent // 100 - given
    if pool.max_grant_cents is not None:
        limits["max_grant"] = pool.max_grant_cents - given
    binding = min(limits, key=lambda k: (limits[k], list(PLEDGE_LIMIT_LABELS).index(k)))
    return PledgeLimit(max(0, limits[binding]), binding, limits)


def pledge_from_pool(actor: User, pool: FundingPool, project: Project, amount_cents: int, *, now: datetime,
                     note: str = "") -> Pledge:
    """The pool's funder reserves ``amount_cents`` of the pool for ``project`` (a ledger movement
    from the pool to the pledge)."""
    policy.require(actor, "pledge.make", pool)
    # Lock order everywhere (approvals too): pools, then projects, then providers.
    pool = _locked(FundingPool, pool.id)
    project = _locked(Project, project.id)
    if not seeks_funds(project):
        raise Conflict(_l("This project is not seeking funds."))
    if not pool.is_open:
        raise Conflict(_l("This pool is closed."))
    if not pool_covers(pool, project):
        raise ValidationFailed(_l("This pool does not fund projects of this category or area."),
                               fields={"pool_id": _l("Outside the pool's focus.")})
    if amount_cents <= 0:
        raise ValidationFailed(_l("Please correct the marked fields."), fields={"amount": _l("More than zero.")})
    limit = pledge_limit(pool, project)
    if amount_cents > limit.amount:
        raise ValidationFailed(
            _l("Please correct the marked fields."),
            fields={"amount": _l("At most %(amount)s (limited by %(rule)s).", amount=money(limit.amount),
                                 rule=limit.label)})
    pledge = Pledge(pool_id=pool.id, project_id=project.id, amount_cents=amount_cents, status=PledgeStatus.ACTIVE,
                    note=note[:2000], pledged_by_id=actor.id, pledged_at=now, created_at=now, updated_at=now)
    db.session.add(pledge)
    db.session.flush()
    record(actor, "pledge.made", pledge, after={"pool_id": pool.id, "project_id": project.id,
                                                "amount_cents": amount_cents})
    ledger.move(ledger.Movement.PLEDGE, amount_cents, source=ledger.pool(pool.id), target=ledger.pledge(pledge.id),
                actor=actor, reference=pledge, project_id=project.id, at=now)
    return pledge


def can_settle_pledge(user: User, pledge: Pledge) -> bool:
    return policy.can(user, "pledge.settle", pledge)


def release_pledge(actor: User, pledge: Pledge, *, now: datetime) -> Pledge:
    """The pool's funder pays an active pledge into the project's funds."""
    policy.require(actor, "pledge.settle", pledge)
    project = _locked(Project, pledge.project_id)
    pledge = _locked(Pledge, pledge.id)
    pledge.settled_at, pledge.settled_by_id = now, actor.id
    transition(pledge, PledgeStatus.RELEASED, actor=actor, action="pledge.released",
               after={"project_id": project.id, "amount_cents": pledge.amount_cents})
    ledger.move(ledger.Movement.PLEDGE_RELEASE, pledge.amount_cents, source=ledger.pledge(pledge.id),
                target=ledger.project(project.id), actor=actor, reference=pledge, project_id=project.id, at=now)
    return pledge


def withdraw_pledge(actor: User, pledge: Pledge, *, now: datetime) -> Pledge:
    """The pool's funder takes back an active pledge while the project still seeks funds."""
    policy.require(actor, "pledge.settle", pledge)
    pool = _locked(FundingPool, pledge.pool_id)
    pledge = _locked(Pledge, pledge.id)
    if pledge.status == PledgeStatus.ACTIVE and not seeks_funds(pledge.project):
        raise Conflict(_l("The project has moved on; a pledge can only be withdrawn while it seeks funds."))
    pledge.settled_at, pledge.settled_by_id = now, actor.id
    transition(pledge, PledgeStatus.WITHDRAWN, actor=actor, action="pledge.withdrawn",
               after={"amount_cents": pledge.amount_cents})
    ledger.move(ledger.Movement.PLEDGE_WITHDRAWAL, pledge.amount_cents, source=ledger.pledge(pledge.id),
                target=ledger.pool(pool.id), actor=actor, reference=pledge, project_id=pledge.project_id, at=now)
    return pledge


def pledges_of_pool(pool: FundingPool) -> Select:
    return select(Pledge).where(Pledge.pool_id == pool.id).order_by(Pledge.pledged_at.desc(), Pledge.id.desc())


def pledges_of_project(project: Project) -> Select:
    return (select(Pledge).where(Pledge.project_id == project.id, Pledge.status != PledgeStatus.WITHDRAWN)
            .order_by(Pledge.pledged_at, Pledge.id))


def pledges_of_org(org_id: int) -> Select:
    return (select(Pledge).join(FundingPool, Pledge.pool).where(FundingPool.funder_id == org_id)
            .order_by(Pledge.pledged_at.desc(), Pledge.id.desc()))


def pools_for_pledging(actor: User, project: Project) -> list[tuple[FundingPool, PledgeLimit]]:
    """The actor's open pools that cover ``project``, each with what it can still pledge."""
    if not actor.is_authenticated or actor.organization_id is None:
        return []
    pools = db.session.scalars(select(FundingPool).where(FundingPool.funder_id == actor.organization_id,
                                                         FundingPool.is_open).order_by(FundingPool.id)).all()
    return [(pool, pledge_limit(pool, project)) for pool in pools
            if policy.can(actor, "pledge.make", pool) and pool_covers(pool, project)]


# ---------------------------------------------------------------------------
# Donations and top-ups
# ---------------------------------------------------------------------------

@dataclass(frozen=True)
class DonationInput:
    amount_cents: int
    as_organisation: bool = False
    anonymous: bool = False


def donate(actor: User, project: Project, data: DonationInput, *, gateway: StripeGateway | None, now: datetime,
           currency: str, return_urls: payments.ReturnUrls) -> PaymentOrder:
    """A resident or a firm gives to a public-benefit project (Stripe Checkout, or a bank-transfer pledge offline)."""
    if not actor.is_authenticated or actor.is_disabled:
        raise PermissionDenied(_l("Log in to donate."))
    project = _locked(Project, project.id)
    if not seeks_funds(project):
        raise Conflict(_l("This project is not collecting donations."))
    payer_org = None
    if data.as_organisation:
        payer_org = actor.organization
        if payer_org is None:
            raise ValidationFailed(_l("Please correct the marked fields."),
                                   fields={"as_organisation": _l("You are not a member of an organisation.")})
    if data.amount_cents < MIN_DONATION_CENTS:
        raise ValidationFailed(_l("Please correct the marked fields."),
                               fields={"amount": _l("At least %(amount)s.", amount=money(MIN_DONATION_CENTS))})
    if gateway is None:
        promised = db.session.scalar(select(PaymentOrder).where(
            PaymentOrder.project_id == project.id, PaymentOrder.payer_id == actor.id,
            payments.holds_room(now)).limit(1))
        if promised is not None:  # one promise at a time: nobody reserves a project's whole need in small pieces
            raise ValidationFailed(_l("Please correct the marked fields."), fields={"amount": _l(
                "Your transfer %(reference)s to this project is still awaiting confirmation.",
                reference=promised.reference)})
    room = funding_summary(project, now=now).room
    if data.amount_cents > room:
        raise ValidationFailed(_l("Please correct the marked fields."),
                               fields={"amount": _l("The project needs at most %(amount)s more.", amount=money(room))})
    title = project.title_en or project.title
    request = payments.PaymentRequest(
        purpose=PaymentPurpose.DONATION, amount_cents=data.amount_cents, currency=currency,
        product_name=_l("Donation: %(title)s", title=project.title),
        description=title, project=project, payer_org=payer_org, anonymous=data.anonymous)
    return payments.start_payment(actor, request, gateway=gateway, now=now, return_urls=return_urls)


def top_up_pool(actor: User, pool: FundingPool, amount_cents: int, *, gateway: StripeGateway | None, now: datetime,
                currency: str, return_urls: payments.ReturnUrls) -> PaymentOrder:
    """The pool's funder adds money to it; the pool grows once the money is received.

    A government department's pool is funded by budget appropriations only (confirmed by another
    official of the department), never by a bank transfer any district official could confirm.
    """
    policy.require(actor, "pool.manage", pool)
    if takes_appropriations(pool):
        raise Conflict(_l("A government department's pool receives money by budget appropriation; record an "
                          "appropriation instead."), code="appropriation_only")
    if amount_cents < MIN_TOPUP_CENTS:
        raise ValidationFailed(_l("Please correct the marked fields."),
                               fields={"amount": _l("At least %(amount)s.", amount=money(MIN_TOPUP_CENTS))})
    request = payments.PaymentRequest(
        purpose=PaymentPurpose.POOL_TOPUP, amount_cents=amount_cents, currency=currency,
        product_name=_l("Top-up: %(name)s", name=pool.name), description=pool.name_en or pool.name,
        pool=pool, payer_org=pool.funder)
    return payments.start_payment(actor, request, gateway=gateway, now=now, return_urls=return_urls)


def takes_appropriations(pool: FundingPool) -> bool:
    """A government department's pool is funded by appropriations (other pools by top-ups)."""
    return pool.funder.kind == OrgKind.GOVERNMENT


def money_coming_into(pool: FundingPool) -> Select:
    """Top-ups and appropriations announced for the pool and not confirmed yet."""
    return (select(PaymentOrder).where(PaymentOrder.pool_id == pool.id, PaymentOrder.status == PaymentStatus.PENDING)
            .order_by(PaymentOrder.created_at, PaymentOrder.id))


def donations_to(project: Project, limit: int = 20) -> list[PaymentOrder]:
    return list(db.session.scalars(select(PaymentOrder).where(
        PaymentOrder.project_id == project.id, PaymentOrder.status == PaymentStatus.PAID)
        .order_by(PaymentOrder.paid_at.desc(), PaymentOrder.id.desc()).limit(limit)))


def topups_of_org(org_id: int) -> Select:
    return (select(PaymentOrder).join(FundingPool, PaymentOrder.pool)
            .where(PaymentOrder.purpose == PaymentPurpose.POOL_TOPUP, FundingPool.funder_id == org_id)
            .order_by(PaymentOrder.created_at.desc(), PaymentOrder.id.desc()))


# ---------------------------------------------------------------------------
# Matching campaigns
# ---------------------------------------------------------------------------

@dataclass(frozen=True)
class CampaignInput:
    name: str
    rule: MatchingRule
    amount_cents: int
    starts_at: datetime
    ends_at: datetime
    project_ids: tuple[int, ...]
    name_en: str = ""
    description: str = ""
    description_en: str = ""
    per_donor_cap_cents: int | None = None
    per_project_cap_cents: int | None = None


def eligible_campaign_projects(pool: FundingPool) -> list[Project]:
    """Public-benefit projects seeking funds that the pool's focus covers."""
    projects = db.session.scalars(select(Project).where(Project.kind == ProjectKind.PUBLIC_BENEFIT,
                                                        Project.status.in_(SEEKING_FUNDS))
                                  .order_by(Project.id)).all()
    return [p for p in projects if pool_covers(pool, p)]


def can_manage_campaign(user: User, campaign: MatchingCampaign) -> bool:
    return policy.can(user, "campaign.manage", campaign)


def create_campaign(actor: User, pool: FundingPool, data: CampaignInput, *, now: datetime) -> MatchingCampaign:
    """The pool's funder opens a matching campaign; its amount is reserved from the pool at once."""
    policy.require(actor, "campaign.manage", pool)
    pool = _locked(FundingPool, pool.id)
    errors: dict[str, Any] = {}
    if not data.name.strip():
        errors["name"] = _l("A name is required.")
    if data.amount_cents <= 0:
        errors["amount"] = _l("More than zero.")
    elif data.amount_cents > pool.remaining_cents:
        errors["amount"] = _l("At most %(amount)s (the money left in the pool).", amount=money(pool.remaining_cents))
    if data.starts_at < now - timedelta(days=1):  # today at the earliest: no match for gifts made before it
        errors["starts_on"] = _l("A campaign starts today at the earliest.")
    if data.ends_at <= data.starts_at:
        errors["ends_on"] = _l("The campaign must end after it starts.")
    elif data.ends_at <= now:
        errors["ends_on"] = _l("The campaign must end in the future.")
    for name in ("per_donor_cap_cents", "per_project_cap_cents"):
        value = getattr(data, name)
        if value is not None and value <= 0:
            errors[name.removesuffix("_cents")] = _l("Leave empty for no limit, or give an amount above zero.")
    eligible = {p.id: p for p in eligible_campaign_projects(pool)}
    chosen = [eligible[i] for i in dict.fromkeys(data.project_ids) if i in eligible]
    if not data.project_ids:
        errors["project_ids"] = _l("Choose at least one project.")
    elif len(chosen) != len(set(data.project_ids)):
        errors["project_ids"] = _l("Some projects are not public-benefit projects seeking funds within the pool's focus.")
    if not pool.is_open:
        errors["pool"] = _l("This pool is closed.")
    if errors:
        raise ValidationFailed(_l("Please correct the marked fields."), fields=errors)
    campaign = MatchingCampaign(
        pool_id=pool.id, name=data.name.strip(), name_en=data.name_en.strip(), description=data.description,
        description_en=data.description_en, rule=data.rule, amount_cents=data.amount_cents,
        per_donor_cap_cents=data.per_donor_cap_cents if data.rule == MatchingRule.ONE_TO_ONE else None,
        per_project_cap_cents=data.per_project_cap_cents, starts_at=data.starts_at, ends_at=data.ends_at,
        status=CampaignStatus.OPEN, created_by_id=actor.id, created_at=now, updated_at=now)
    campaign.projects = chosen
    db.session.add(campaign)
    db.session.flush()
    record(actor, "campaign.created", campaign,
           after={"pool_id": pool.id, "rule": campaign.rule, "reserved_cents": campaign.amount_cents,
                  "projects": [p.id for p in chosen], "starts_at": campaign.starts_at, "ends_at": campaign.ends_at})
    ledger.move(ledger.Movement.CAMPAIGN_RESERVE, data.amount_cents, source=ledger.pool(pool.id),
                target=ledger.campaign(campaign.id), actor=actor, reference=campaign, at=now)
    return campaign


def running_campaigns_for(project: Project, now: datetime) -> list[MatchingCampaign]:
    campaigns = db.session.scalars(
        select(MatchingCampaign).join(campaign_projects, campaign_projects.c.campaign_id == MatchingCampaign.id)
        .where(campaign_projects.c.project_id == project.id, MatchingCampaign.status == CampaignStatus.OPEN,
               MatchingCampaign.starts_at <= now, MatchingCampaign.ends_at > now)
        .order_by(MatchingCampaign.ends_at, MatchingCampaign.id)).all()
    return list(campaigns)


def list_campaigns(status: CampaignStatus | None = None) -> Select:
    stmt = select(MatchingCampaign).order_by(MatchingCampaign.starts_at.desc(), MatchingCampaign.id.desc())
    if status is not None:
        stmt = stmt.where(MatchingCampaign.status == status)
    return stmt


def contributor_of(order: PaymentOrder) -> str | None:
    """Who counts as the contributor for matching, or ``None`` when the gift attracts no match.

    Only verified residents and members giving in the name of a verified
    organisation attract matching: quadratic funding rewards the number of
    people, so unverified accounts would make it easy to game.
    """
    if order.payer_org_id is not None:
        return f"org:{order.payer_org_id}" if order.payer_org is not None and order.payer_org.is_verified else None
    payer = order.payer
    if payer.role == Role.RESIDENT and payer.is_verified:
        return f"user:{payer.id}"
    return None


@dataclass(frozen=True)
class CampaignTally:
    """The donations that count for a campaign up to a moment, per project, and the engine's answer."""

    until: datetime
    donations: tuple[PaymentOrder, ...]  # paid gifts in the period, oldest first
    eligible: tuple[tuple[PaymentOrder, str], ...]  # (gift, contributor) for gifts that attract matching
    room: dict[int, int]  # the most each project can be matched: its need, within the pool's rules
    result: Any  # matching.funding.OneToOneResult | QuadraticResult

    def per_project(self, project_id: int) -> dict[str, int]:
        gifts = [d for d in self.donations if d.project_id == project_id]
        eligible = [(d, c) for d, c in self.eligible if d.project_id == project_id]
        return {"donations": len(gifts), "donated": sum(d.amount_cents for d in gifts),
                "eligible": len(eligible), "contributors": len({c for _, c in eligible}),
                "match": self.result.matches.get(project_id, 0)}

    def reason_code(self, project_id: int) -> str:
        return next((p.reason_code for p in self.result.projects if p.project == project_id), "no_contributions")


def tally_campaign(campaign: MatchingCampaign, *, now: datetime) -> CampaignTally:
    """Run the campaign's rule on the paid donations made in its period up to ``now`` (nothing is written)."""
    until = min(now, campaign.ends_at)
    project_ids = [p.id for p in campaign.projects]
    donations: Sequence[PaymentOrder] = db.session.scalars(select(PaymentOrder).where(
        PaymentOrder.purpose == PaymentPurpose.DONATION, PaymentOrder.status == PaymentStatus.PAID,
        PaymentOrder.project_id.in_(project_ids), PaymentOrder.created_at >= campaign.starts_at,
        PaymentOrder.created_at < until).order_by(PaymentOrder.created_at, PaymentOrder.id)).all()
    eligible = tuple((d, c) for d in donations if (c := contributor_of(d)) is not None)
    room = {}
    for project in campaign.projects:
        room[project.id] = funding_summary(project).room
        rule_room = pool_rule_room(campaign.pool, project)
        if rule_room is not None:  # the pool's co-funding share and grant cap hold for matches too
            room[project.id] = min(room[project.id], rule_room)
    if campaign.rule == MatchingRule.ONE_TO_ONE:
        result = match_one_to_one([Donation(d.project_id, d.amount_cents, c) for d, c in eligible],
                                  campaign.amount_cents, per_donor_cap=campaign.per_donor_cap_cents,
                                  per_project_cap=campaign.per_project_cap_cents, project_limits=room)
    else:
        contributions: dict[int, dict[str, int]] = {pid: defaultdict(int) for pid in project_ids}
        for d, c in eligible:
            contributions[d.project_id][c] += d.amount_cents
        result = quadratic_match({pid: dict(v) for pid, v in contributions.items()}, campaign.amount_cents,
                                 per_project_cap=campaign.per_project_cap_cents, project_limits=room)
    return CampaignTally(until, tuple(donations), eligible, room, result)


ALLOCATION_REASONS = {
    "matched_in_full": _l("every eligible donation matched in full"),
    "reached_limit": _l("reached its limit (the campaign's cap per project or what the project still needs)"),
    "cap_ran_out": _l("the campaign's money or a donor's limit ran out"),
    "no_contributions": _l("no eligible donations"),
    "single_contributor": _l("a single contributor attracts no quadratic match"),
    "full_ideal": _l("received its full quadratic match"),
    "share": _l("its share of the pool, by the number and size of its donations"),
}


def reason_label(code: str) -> str:
    return str(ALLOCATION_REASONS.get(code, code))


def close_campaign(actor: User, campaign: MatchingCampaign, *, now: datetime) -> MatchingCampaign:
    """Compute the allocation, pay the matched amounts into the projects and return the rest to the pool.

    The funder may close its campaign once it has started; a district official only once its
    period is over (the nightly close), never early on the funder's behalf.
    """
    policy.require(actor, "campaign.close", campaign)
    early_by_official = not policy.can(actor, "campaign.manage", campaign) and now < campaign.ends_at
    if early_by_official:
        raise PermissionDenied(_l("Only the campaign's funder can close it before it ends on %(when)s.",
                                  when=campaign.ends_at.date().isoformat()))
    # Pools before projects, as approvals lock them: the same order everywhere cannot deadlock.
    pool = _locked(FundingPool, campaign.pool_id)
    for project in sorted(campaign.projects, key=lambda p: p.id):
        _locked(Project, project.id)
    campaign = _locked(MatchingCampaign, campaign.id)
    if campaign.status != CampaignStatus.OPEN:
        raise Conflict(_l("This campaign is already closed."))
    if now <= campaign.starts_at:  # closing at the first instant would leave an empty period
        raise Conflict(_l("The campaign has not started yet; cancel it instead."))
    tally = tally_campaign(campaign, now=now)
    result = tally.result
    if result.total_matched > campaign.amount_cents:  # the engine guarantees this; never trust money blindly
        raise Conflict("matching result exceeds the campaign amount")
    for project in campaign.projects:
        numbers = tally.per_project(project.id)
        match = numbers["match"]
        if match > tally.room[project.id]:
            raise Conflict("matching result exceeds a project's room")
        campaign.allocations.append(CampaignAllocation(
            project_id=project.id, donations=numbers["donations"], contributors=numbers["contributors"],
            donated_cents=numbers["donated"], match_cents=match, reason=tally.reason_code(project.id)))
        if match:
            ledger.move(ledger.Movement.CAMPAIGN_MATCH, match, source=ledger.campaign(campaign.id),
                        target=ledger.project(project.id), actor=actor, reference=campaign, project_id=project.id,
                        at=now)
    leftover = campaign.amount_cents - result.total_matched
    if leftover:
        ledger.move(ledger.Movement.CAMPAIGN_RETURN, leftover, source=ledger.campaign(campaign.id),
                    target=ledger.pool(pool.id), actor=actor, reference=campaign, at=now)
    campaign.matched_cents = result.total_matched
    campaign.explanation = result.explanation
    campaign.closed_at, campaign.closed_by_id = now, actor.id
    if now < campaign.ends_at:
        campaign.ends_at = now  # closed early: the period ends now
    transition(campaign, CampaignStatus.CLOSED, actor=actor, action="campaign.closed",
               after={"matched_cents": result.total_matched, "returned_to_pool_cents": leftover,
                      "allocation": {str(a.project_id): a.match_cents for a in campaign.allocations}})
    return campaign


def cancel_campaign(actor: User, campaign: MatchingCampaign, *, now: datetime) -> MatchingCampaign:
    """Call off an open campaign; its reserved money goes back to the pool and nothing is matched."""
    policy.require(actor, "campaign.manage", campaign)
    pool = _locked(FundingPool, campaign.pool_id)
    campaign = _locked(MatchingCampaign, campaign.id)
    if campaign.status != CampaignStatus.OPEN:
        raise Conflict(_l("This campaign is already closed."))
    if now >= campaign.starts_at:
        raise Conflict(_l("Donors have been promised a match; close the campaign instead of cancelling it."))
    campaign.closed_at, campaign.closed_by_id = now, actor.id
    transition(campaign, CampaignStatus.CANCELLED, actor=actor, action="campaign.cancelled",
               after={"returned_to_pool_cents": campaign.amount_cents})
    ledger.move(ledger.Movement.CAMPAIGN_RETURN, campaign.amount_cents, source=ledger.campaign(campaign.id),
                target=ledger.pool(pool.id), actor=actor, reference=campaign, at=now)
    return campaign


# ---------------------------------------------------------------------------
# What the ledger must agree with (``flask ledger check``)
# ---------------------------------------------------------------------------

@ledger.register_check
def _pledges_match_the_ledger() -> list[str]:
    problems = []
    held = ledger.balances(ledger.AccountKind.PLEDGE)
    for pledge_id, status, amount in db.session.execute(select(Pledge.id, Pledge.status, Pledge.amount_cents)
                                                        .order_by(Pledge.id)):
        expected = amount if status == PledgeStatus.ACTIVE else 0
        if held.get(pledge_id, 0) != expected:
            problems.append(f"pledge {pledge_id} ({status}) holds {held.get(pledge_id, 0)}, expected {expected}")
    return problems


@ledger.register_check
def _campaigns_match_the_ledger() -> list[str]:
    problems = []
    held = ledger.balances(ledger.AccountKind.CAMPAIGN)
    matched = ledger.movement_totals(ledger.AccountKind.CAMPAIGN, ledger.Movement.CAMPAIGN_MATCH)
    allocated = dict(db.session.execute(select(CampaignAllocation.campaign_id, func.sum(CampaignAllocation.match_cents))
                                        .group_by(CampaignAllocation.campaign_id)).all())
    for campaign in db.session.scalars(select(MatchingCampaign).order_by(MatchingCampaign.id)):
        expected = campaign.amount_cents if campaign.status == CampaignStatus.OPEN else 0
        if held.get(campaign.id, 0) != expected:
            problems.append(f"campaign {campaign.id} ({campaign.status}) holds {held.get(campaign.id, 0)}, "
                            f"expected {expected}")
        paid = -matched.get(campaign.id, 0)
        if paid != campaign.matched_cents:
            problems.append(f"campaign {campaign.id} says it matched {campaign.matched_cents}, the ledger {paid}")
        if campaign.status == CampaignStatus.CLOSED and int(allocated.get(campaign.id) or 0) != paid:
            problems.append(f"campaign {campaign.id}'s allocations add up to {int(allocated.get(campaign.id) or 0)}, "
                            f"the ledger {paid}")
    return problems
