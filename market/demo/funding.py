"""Demo funding activity on top of the base demo data (a ``market.demo.loader`` extra stage).

Everything goes through the real services (so every money movement is audited and
every rule holds), offline (bank transfers confirmed by the district official), at
fixed moments before :data:`~market.demo.data.REFERENCE_TIME`, with amounts drawn
from a seeded generator: two loads give the same rows.

* pledges from the demo foundation's pool and from the social-construction fund
  (one of each released into the project's funds);
* the demo foundation raises its 2026 pool's declared total and tops it up (one transfer
  confirmed, one awaiting the finance office);
* a quadratic-funding campaign that closed in November with its allocation, and
  an open 1:1 matching campaign of the social-construction fund;
* donations by residents and by a firm's CSR officer (a few still awaiting
  confirmation);
* milestone payouts (one paid, one failed awaiting a retry) when earlier stages
  created approved milestones; skipped otherwise.
"""
from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from market.accounts.models import Role, User
from market.contracts.models import Milestone, MilestoneStatus
from market.core.audit import record
from market.demo import data as D
from market.funding import services
from market.funding.models import MatchingRule
from market.funds import services as pools
from market.funds.models import FundingPool
from market.orgs.models import Organization, OrgKind, VerificationState
from market.payments import services as payments
from market.payments.models import PaymentOrder, Payout, PayoutMethod, PayoutStatus
from market.projects.models import Project, ProjectKind, ProjectStatus
from market.review.models import MatchProposal, MatchProposalStatus

SEED = 2026_12_01
CURRENCY = "cny"
FIRM_MEMBER_EMAIL = f"csr.officer@{D.DEMO_EMAIL_DOMAIN}"


def _at(month: int, day: int, hour: int = 3, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=UTC)


def _no_urls(order: PaymentOrder) -> tuple[str, str]:
    return "", ""


class _Stage:
    def __init__(self, session: Session) -> None:
        self.session = session
        self.rng = random.Random(SEED)
        user = lambda email: session.scalar(select(User).where(User.email == email))  # noqa: E731
        self.official = user(f"official@{D.DEMO_EMAIL_DOMAIN}")
        self.funder = user(f"funder@{D.DEMO_EMAIL_DOMAIN}")
        self.resident = user(f"resident@{D.DEMO_EMAIL_DOMAIN}")
        self.residents = list(session.scalars(select(User).where(User.role == Role.RESIDENT,
                                                                 User.verified_at.is_not(None)).order_by(User.id)))
        self.unverified = session.scalar(select(User).where(User.role == Role.RESIDENT, User.verified_at.is_(None))
                                         .order_by(User.id))
        self.funder_pool = session.scalar(select(FundingPool).where(
            FundingPool.funder_id == self.funder.organization_id, FundingPool.is_open).order_by(FundingPool.id))
        self.social_fund = session.scalar(select(FundingPool).where(FundingPool.name == D.SOCIAL_FUND_NAME))
        # Projects the match run proposes are left alone, so that its proposals stay approvable.
        proposed = select(MatchProposal.project_id).where(MatchProposal.status == MatchProposalStatus.PROPOSED)
        self.open_projects = list(session.scalars(select(Project).where(
            Project.kind == ProjectKind.PUBLIC_BENEFIT, Project.status == ProjectStatus.OPEN,
            Project.id.not_in(proposed)).order_by(Project.id)))

    # -- helpers ---------------------------------------------------------------

    def _yuan(self, low: int, high: int, step: int = 10) -> int:
        return self.rng.randrange(low, high + 1, step) * 100

    def _donate(self, donor: User, project: Project, amount: int, at: datetime, *, confirm: bool = True,
                as_org: bool = False, anonymous: bool = False) -> PaymentOrder | None:
        room = services.funding_summary(project).room
        amount = min(amount, room)
        if amount < services.MIN_DONATION_CENTS:
            return None
        order = services.donate(donor, project, services.DonationInput(amount, as_organisation=as_org,
                                                                       anonymous=anonymous),
                                gateway=None, now=at, currency=CURRENCY, return_urls=_no_urls)
        if confirm:
            payments.confirm_bank_transfer(self.official, order, now=at + timedelta(hours=20))
        return order

    def _covered(self, pool: FundingPool, count: int, skip: set[int]) -> list[Project]:
        chosen = []
        for project in self.open_projects:
            if project.id in skip or not services.pool_covers(pool, project):
                continue
            if services.funding_summary(project).room < project.budget_cents // 3:
                continue  # leave nearly funded projects alone
            chosen.append(project)
            if len(chosen) == count:
                break
        return chosen

    def _firm_member(self) -> User | None:
        """A CSR officer of the first verified enterprise, so that a firm can give in its own name."""
        firm = self.session.scalar(select(Organization).where(
            Organization.kind == OrgKind.ENTERPRISE, Organization.verification_state == VerificationState.VERIFIED)
            .order_by(Organization.id))
        if firm is None:
            return None
        member = User(email=FIRM_MEMBER_EMAIL, display_name="吴晓岚（企业社会责任专员）", role=Role.FUNDER,
                      password_hash=self.funder.password_hash, organization_id=firm.id,
                      created_at=_at(3, 2), updated_at=_at(3, 2))
        self.session.add(member)
        self.session.flush()
        return member

    # -- the story -------------------------------------------------------------

    def run(self) -> None:
        if not (self.official and self.funder and self.funder_pool and self.social_fund and self.open_projects):
            return  # not the base demo data set: nothing sensible to add
        used: set[int] = set()
        self._top_ups()
        self._pledges(used)
        self._quadratic_campaign(used)
        self._one_to_one_campaign(used)
        self._resident_donations(used)
        self._payouts()
        self.session.flush()

    def _top_ups(self) -> None:
        """The foundation adds ¥400,000 to its 2026 pool: ¥300,000 arrived, ¥100,000 is still awaited."""
        pool = self.funder_pool
        pools.update_pool(self.funder, pool, pools.PoolInput(
            name=pool.name, declared_cents=pool.declared_cents + 400_000_00, name_en=pool.name_en,
            description=pool.description, description_en=pool.description_en, year=pool.year,
            max_grant_cents=pool.max_grant_cents, max_share_percent=pool.max_share_percent, is_open=pool.is_open,
            category_ids=tuple(c.id for c in pool.focus_categories), street_ids=tuple(s.id for s in pool.streets)))
        confirmed = services.top_up_pool(self.funder, self.funder_pool, 300_000_00, gateway=None, now=_at(9, 8),
                                         currency=CURRENCY, return_urls=_no_urls)
        payments.confirm_bank_transfer(self.official, confirmed, now=_at(9, 10))
        services.top_up_pool(self.funder, self.funder_pool, 100_000_00, gateway=None, now=_at(11, 23),
                             currency=CURRENCY, return_urls=_no_urls)

    def _pledges(self, used: set[int]) -> None:
        for pool, actor, count in ((self.funder_pool, self.funder, 2), (self.social_fund, self.official, 2)):
            for number, project in enumerate(self._covered(pool, count, used)):
                limit = services.pledge_limit(pool, project).amount
                amount = min(limit, (project.budget_cents * self.rng.choice((20, 25, 30)) // 100) // 10_000 * 10_000)
                if amount <= 0:
                    continue
                used.add(project.id)
                pledge = services.pledge_from_pool(actor, pool, project, amount, now=_at(10, 12 + 3 * number),
                                                   note="2026年度资助（演示数据）")
                if number == 0:
                    services.release_pledge(actor, pledge, now=_at(11, 20))

    def _quadratic_campaign(self, used: set[int]) -> None:
        projects = self._covered(self.funder_pool, 4, used)
        if len(projects) < 2:
            return
        used.update(p.id for p in projects)
        campaign = services.create_campaign(self.funder, self.funder_pool, services.CampaignInput(
            name="恒信“众人拾柴”长者服务配捐（二次方配捐）", name_en="Hengxin 'Many Hands' elder-care match (quadratic)",
            description="捐款人越多，配捐越多：按二次方配捐规则分配2万元配捐资金，单个项目最多1.2万元，鼓励更多居民小额参与。",
            description_en="The more people give, the larger the match: ¥20,000 shared by quadratic funding (at most "
                           "¥12,000 per project), so that many small gifts from residents count.",
            rule=MatchingRule.QUADRATIC, amount_cents=20_000_00, starts_at=_at(10, 1, 0), ends_at=_at(11, 1, 0),
            project_ids=tuple(p.id for p in projects), per_project_cap_cents=12_000_00), now=_at(9, 25))
        crowds = [9, 3, 5, 0][:len(projects)]
        for index, (project, crowd) in enumerate(zip(projects, crowds, strict=True)):
            donors = self.rng.sample(self.residents, min(crowd, len(self.residents)))
            for n, donor in enumerate(donors):
                self._donate(donor, project, self._yuan(20, 300), _at(10, 2 + 3 * n % 27, 2 + index))
        if len(projects) > 1:  # one generous donor, one contributor: a large gift attracts little match
            self._donate(self.residents[-1], projects[1], 3_000_00, _at(10, 9))
        if self.unverified is not None:  # unverified accounts donate, but attract no match
            self._donate(self.unverified, projects[0], 500_00, _at(10, 15))
        services.close_campaign(self.funder, campaign, now=_at(11, 2))

    def _one_to_one_campaign(self, used: set[int]) -> None:
        projects = self._covered(self.social_fund, 6, used)
        if not projects:
            return
        used.update(p.id for p in projects)
        services.create_campaign(self.official, self.social_fund, services.CampaignInput(
            name="福田区“爱心翻倍”1:1配捐行动", name_en="Futian 'Double your kindness' 1:1 match",
            description="2026年11月15日至12月31日，居民和企业向以下公益项目每捐1元，区社会建设专项资金配捐1元，"
                        "总额20万元，每位捐款人最多配捐1000元。",
            description_en="From 15 November to 31 December 2026 the district social-construction fund adds one "
                           "yuan for every yuan residents and firms give to these projects: ¥200,000 in all, at most "
                           "¥1,000 per donor.",
            rule=MatchingRule.ONE_TO_ONE, amount_cents=200_000_00, starts_at=_at(11, 14, 16), ends_at=_at(12, 31, 16),
            project_ids=tuple(p.id for p in projects), per_donor_cap_cents=1_000_00), now=_at(11, 10))
        donors = self.residents[: min(len(self.residents), 14)]
        for n, donor in enumerate(donors):
            project = projects[n % len(projects)]
            pending = n % 5 == 4  # a few bank transfers not yet confirmed
            self._donate(donor, project, self._yuan(50, 800), _at(11, 15 + n % 10, 2 + n % 7), confirm=not pending,
                         anonymous=n % 6 == 5)
        firm_member = self._firm_member()
        if firm_member is not None:
            self._donate(firm_member, projects[0], 20_000_00, _at(11, 22), as_org=True)

    def _resident_donations(self, used: set[int]) -> None:
        """The demo resident's own history: one donation received, one bank transfer awaiting confirmation."""
        others = [p for p in self.open_projects if p.id not in used][:2]
        if self.resident is None or not others:
            return
        self._donate(self.resident, others[0], 200_00, _at(11, 5))
        self._donate(self.resident, others[-1], 100_00, _at(11, 24), confirm=False)

    def _payouts(self) -> None:
        approved = list(self.session.scalars(select(Milestone).where(Milestone.status == MilestoneStatus.APPROVED)
                                             .order_by(Milestone.id).limit(2)))
        if not approved:
            return  # no contracts with approved milestones in this data set
        paid = payments.request_payout(approved[0], actor=self.official, gateway=None, now=_at(11, 20))
        payments.confirm_payout(self.official, paid, now=_at(11, 21))
        if len(approved) < 2:
            return
        milestone = approved[1]
        if self.session.scalar(select(Payout.id).where(Payout.milestone_id == milestone.id)) is not None:
            return  # its payout is under way already
        # As if the platform had been online: a Connect transfer the provider's wrong account id made fail
        # (created as it ended up: a failed payout moves no money).
        failed = Payout(milestone_id=milestone.id, provider_id=milestone.contract.provider_id,
                        amount_cents=milestone.amount_cents, currency=CURRENCY,
                        idempotency_key=payments.idempotency_key_for_payout(milestone),
                        method=PayoutMethod.STRIPE_TRANSFER, status=PayoutStatus.FAILED, attempts=1,
                        destination_account="acct_1DemoMissing",
                        last_error="No such destination: 'acct_1DemoMissing'", requested_at=_at(11, 22),
                        requested_by_id=self.official.id, created_at=_at(11, 22), updated_at=_at(11, 22))
        self.session.add(failed)
        self.session.flush()
        record(self.official, "payout.failed", failed, after={"error": failed.last_error, "attempts": 1,
                                                              "milestone_id": milestone.id})


def load_funding_demo(session: Session) -> None:
    """Add the demo's pledges, donations, campaigns, top-ups and payouts (flushes, does not commit)."""
    _Stage(session).run()
