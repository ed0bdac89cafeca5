"""The ledger keeps its promises whatever anyone tries.

A Hypothesis state machine runs random sequences of money operations through the real services
(pools, top-ups, appropriations, pledges, donations, refunds, matching campaigns, awards,
contracts, milestones and payouts), each by a randomly chosen actor of any role, with amounts
that are often zero, negative or more than there is. After every step: ``ledger.check()`` is ok,
no account is below zero, every transfer's postings balance, money is conserved (what the accounts
hold is the net money from outside: payments received less payouts), pools and projects hold what
their payments say, no project is promised more than its budget, and every movement is audited.
A refused operation (a DomainError) changed nothing; any other exception fails the test.

Each example starts from empty tables (``_empty_all_tables``, as between tests) and a small world
built here; the ``@initialize`` steps put money and a signed contract in it through the services.
"""
from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from hypothesis import HealthCheck, event, note, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    initialize,
    invariant,
    multiple,
    rule,
    run_state_machine_as_test,
)
from sqlalchemy import String, cast, func, literal, select, union_all

from market.accounts.models import Role, User
from market.accounts.services import place_official
from market.contracts import services as contract_services
from market.contracts.models import Contract, Milestone
from market.core import audit, ledger, policy
from market.core.db import db
from market.core.errors import DomainError
from market.funding import services as funding
from market.funding.models import (
    CampaignAllocation,
    CampaignStatus,
    MatchingCampaign,
    MatchingRule,
    Pledge,
    PledgeStatus,
)
from market.funds import services as funds
from market.funds.models import CommitmentStatus, FundingCommitment, FundingPool
from market.geo.models import Category, Community, District, ProjectType, Street
from market.geo.taxonomy import CATEGORIES
from market.orgs.models import Organization, OrgKind, VerificationState
from market.payments import services as payments
from market.payments.models import PaymentOrder, PaymentPurpose, PaymentStatus, Payout
from market.projects.models import Project, ProjectKind, ProjectStatus
from market.review import awards
from market.review.models import Award, AwardObjection, MatchProposal, MatchProposalStatus, MatchRun, RunStatus
from tests.conftest import _empty_all_tables

T0 = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)

# Who may act: residents, provider members, funder members (of the pools' foundation and of another
# foundation), officials of the district, of the projects' street and of another street, officials of a
# government department (district-wide, members of the department that funds its pool), an administrator.
ACTORS = ("resident", "resident_elsewhere", "provider", "other_provider", "funder", "other_funder",
          "district_official", "street_official", "other_street_official", "department_official",
          "department_colleague", "admin")
# Two public-benefit projects seeking funds (one in each street) and a government-purchased service.
PROJECTS = ("benefit", "benefit_elsewhere", "service")
BUDGETS = {"benefit": 300_000, "benefit_elsewhere": 150_000, "service": 500_000}

SOMEONE_ALLOWED = "someone_allowed"  # the first actor the policy allows (see LedgerMachine.act_as)
NIGHTLY_JOB = "nightly_job"  # no actor: the system's own job

# Small amounts in fen: usual ones first (what shrinking aims for), then anything from negative to
# more than any pool or project holds, zero and just below the minimums.
MONEY = st.one_of(st.sampled_from([1_000, 5_000, 10_000, 20_000, 50_000]), st.integers(-20_000, 400_000),
                  st.sampled_from([0, -1, 999, 9_999]))


def usually(value: Any, others: list[Any]) -> st.SearchStrategy[Any]:
    """``value`` most of the time (and what shrinking aims for), else any of ``others``."""
    return st.sampled_from([value] * (2 * len(others)) + others)


def actors() -> st.SearchStrategy[str]:
    """Mostly someone the policy allows, else anyone at all."""
    return usually(SOMEONE_ALLOWED, list(ACTORS))


def no_urls(order: PaymentOrder) -> tuple[str, str]:
    return "", ""


# ---------------------------------------------------------------- the world each example starts from

def _org(kind: OrgKind, name: str, street: Street | None, categories: list[Category], district: District
         ) -> Organization:
    org = Organization(name=name, name_en=name, kind=kind, verification_state=VerificationState.VERIFIED,
                       registration_date=date(2020, 1, 1), full_time_staff=12, office_area_m2=120, rating_grade=4,
                       capacity=3, capability="专注居家养老、助餐配送", capability_en="Home-based elderly care",
                       home_street_id=street.id if street else None, district_id=district.id)
    org.categories = categories
    db.session.add(org)
    db.session.flush()
    org.verified_facts = org.current_facts()  # as an official's verification leaves it
    return org


def build_world() -> tuple[dict[str, int], dict[str, int], dict[str, int]]:
    """Categories, a district with two streets, the organisations, one user per actor and the
    projects; returns the ids of the users and of the projects by name, and of the two streets and
    the provider organisation."""
    session = db.session
    categories = [Category(code=c, name=zh, name_en=en, sort_order=i) for i, (c, zh, en) in enumerate(CATEGORIES)]
    session.add_all(categories)
    care = next(c for c in categories if c.code == "elderly_care")
    district = District(code="440304", name="福田区", name_en="Futian District")
    home = Street(district=district, code="S1", name="福田街道", name_en="Futian Subdistrict")
    other = Street(district=district, code="S2", name="莲花街道", name_en="Lianhua Subdistrict")
    home_community = Community(street=home, code="C1", name="岗厦社区", name_en="Gangxia Community")
    other_community = Community(street=other, code="C3", name="景田社区", name_en="Jingtian Community")
    session.add_all([district, home, other, home_community, other_community])
    session.flush()
    provider_org = _org(OrgKind.SOCIAL_ORGANISATION, "福田区长者服务中心", home, [care], district)
    other_provider_org = _org(OrgKind.SOCIAL_ORGANISATION, "莲花社工服务中心", other, [care], district)
    foundation = _org(OrgKind.FOUNDATION, "深圳社区关爱基金会", None, [], district)
    other_foundation = _org(OrgKind.FOUNDATION, "鹏城公益基金会", None, [], district)
    department = _org(OrgKind.GOVERNMENT, "福田区民政局", None, [], district)
    people = {
        "resident": dict(role=Role.RESIDENT, community_id=home_community.id, verified_at=T0),
        "resident_elsewhere": dict(role=Role.RESIDENT, community_id=other_community.id, verified_at=T0),
        "provider": dict(role=Role.PROVIDER, organization_id=provider_org.id),
        "other_provider": dict(role=Role.PROVIDER, organization_id=other_provider_org.id),
        "funder": dict(role=Role.FUNDER, organization_id=foundation.id),
        "other_funder": dict(role=Role.FUNDER, organization_id=other_foundation.id),
        "district_official": dict(role=Role.OFFICIAL),
        "street_official": dict(role=Role.OFFICIAL, street_id=home.id),
        "other_street_official": dict(role=Role.OFFICIAL, street_id=other.id),
        "department_official": dict(role=Role.OFFICIAL, organization_id=department.id),
        "department_colleague": dict(role=Role.OFFICIAL, organization_id=department.id),
        "admin": dict(role=Role.ADMIN),
    }
    users = {name: User(email=f"{name}@example.org", display_name=name, password_hash="!", **fields)
             for name, fields in people.items()}
    session.add_all(users.values())
    session.flush()
    for user in users.values():
        if user.role == Role.OFFICIAL:  # every official works for the district, in a street office or district-wide
            place_official(user, street_id=user.street_id, district_id=None if user.street_id else district.id)

    def project(kind: ProjectKind, name: str, street: Street, owner: User, org: Organization | None) -> Project:
        return Project(kind=kind, title=f"{street.name}独居老人助餐服务", title_en=f"Meals for elderly people ({name})",
                       description="为辖区独居老人提供上门助餐、探访和健康监测服务。", category_id=care.id,
                       project_type=ProjectType.SERVICE, street_id=street.id, budget_cents=BUDGETS[name],
                       owner_id=owner.id, organization_id=org.id if org else None, status=ProjectStatus.OPEN)

    projects = {
        "benefit": project(ProjectKind.PUBLIC_BENEFIT, "benefit", home, users["provider"], provider_org),
        "benefit_elsewhere": project(ProjectKind.PUBLIC_BENEFIT, "benefit_elsewhere", other, users["other_provider"],
                                     other_provider_org),
        "service": project(ProjectKind.GOVERNMENT_SERVICE, "service", home, users["street_official"], None),
    }
    session.add_all(projects.values())
    session.commit()
    return ({name: u.id for name, u in users.items()}, {name: p.id for name, p in projects.items()},
            {"home_street": home.id, "other_street": other.id, "provider": provider_org.id})


# ---------------------------------------------------------------- what a refused operation must leave alone

def _rows(stmt: Any) -> frozenset[tuple[Any, ...]]:
    return frozenset(tuple(row) for row in db.session.execute(stmt))


def money_state() -> dict[str, Any]:
    """Every balance, cached money column and status a money operation can change, as stored."""
    statuses = union_all(*(select(literal(model.__tablename__), model.id, cast(model.status, String))
                           for model in (PaymentOrder, Pledge, MatchingCampaign, FundingCommitment, Award, Contract,
                                         Milestone, Payout)))
    return {
        "accounts": _rows(select(ledger.Account.kind, ledger.Account.ref_id, ledger.Account.balance_cents,
                                 ledger.Account.external_cents)),
        "transfers": _rows(select(ledger.Transfer.id, ledger.Transfer.movement, ledger.Transfer.amount_cents)),
        "postings": db.session.scalar(select(func.count(ledger.Posting.id))),
        "pools": _rows(select(FundingPool.id, FundingPool.remaining_cents, FundingPool.received_cents)),
        "projects": _rows(select(Project.id, Project.funded_cents, Project.status)),
        "statuses": _rows(statuses),
    }


def _differences(before: dict[str, Any], after: dict[str, Any]) -> str:
    lines = []
    for key in before:
        if before[key] != after[key]:
            if isinstance(before[key], frozenset):
                lines.append(f"{key}: gone {sorted(before[key] - after[key], key=str)}, "
                             f"new {sorted(after[key] - before[key], key=str)}")
            else:
                lines.append(f"{key}: {before[key]} -> {after[key]}")
    return "\n".join(lines)


def _total(column: Any, *where: Any) -> int:
    return int(db.session.scalar(select(func.coalesce(func.sum(column), 0)).where(*where)) or 0)


def _sums(key: Any, column: Any, *where: Any) -> dict[int, int]:
    """``SUM(column)`` per ``key``."""
    return {k: int(total) for k, total in db.session.execute(select(key, func.sum(column)).where(*where).group_by(key))}


# ---------------------------------------------------------------- the machine

class LedgerMachine(RuleBasedStateMachine):
    """Random money operations by random people; the ledger's promises hold after each one."""

    pools = Bundle("pools")
    orders = Bundle("orders")
    pledges = Bundle("pledges")
    campaigns = Bundle("campaigns")
    awards = Bundle("awards")  # approved: in notice at first
    contracts = Bundle("contracts")  # awards whose contract is signed

    def __init__(self, app: Any) -> None:
        super().__init__()
        db.session.rollback()  # a failed example may leave its transaction open
        _empty_all_tables(db)
        app.extensions["audit"].checkpoints.reset()
        self.users, self.projects, self.places = build_world()
        self.now = T0

    # ---- helpers

    def user(self, name: str) -> User:
        return db.session.get(User, self.users[name])

    def act_as(self, name: str, action: str, obj: Any = None) -> User | None:
        """The actor called ``name``; for SOMEONE_ALLOWED, the first actor the policy lets take
        ``action`` on ``obj`` (the services may still refuse them for other reasons)."""
        if name == NIGHTLY_JOB:
            return None
        if name != SOMEONE_ALLOWED:
            return self.user(name)
        everyone = {user.id: user for user in db.session.scalars(select(User))}
        for candidate in ACTORS:
            if policy.can(everyone[self.users[candidate]], action, obj):
                note(f"{action}: {candidate} may")
                return everyone[self.users[candidate]]
        note(f"{action}: nobody may")
        return self.user("resident")

    def project(self, name: str) -> Project:
        return db.session.get(Project, self.projects[name])

    def attempt(self, name: str, operation: Any, *args: Any, **kwargs: Any) -> Any:
        """Run one service call as one request: commit what it did, or roll back a refusal and
        check that it changed nothing. Anything but a DomainError fails the test."""
        before = money_state()
        try:
            done = operation(*args, **kwargs)
            db.session.commit()
        except DomainError as refused:
            db.session.rollback()
            event(f"{name}: refused ({refused.code})")
            after = money_state()
            assert after == before, (f"{name} was refused ({refused.code}: {refused}) but changed:\n"
                                     + _differences(before, after))
            return None
        event(f"{name}: done")
        return done

    def contract_of(self, award_id: int) -> Contract:
        return db.session.scalar(select(Contract).where(Contract.award_id == award_id).order_by(Contract.id))

    def milestone_of(self, award_id: int, seq: int) -> Milestone:
        return next(m for m in self.contract_of(award_id).milestones if m.seq == seq)

    def proposal(self, project: Project, funding_lines: list[tuple[int, int]], own_budget: int) -> MatchProposal:
        """What a finished matching run proposes (setup data, as the engine writes it): the project's
        provider, paid with the pools' money (a government service also costs its department ``own_budget``)."""
        lines = [{"pool_id": pool_id, "amount": amount} for pool_id, amount in sorted(funding_lines)]
        funded = sum(amount for _, amount in funding_lines)
        service = project.kind == ProjectKind.GOVERNMENT_SERVICE
        cost = funded + own_budget if service else funded
        unit = {"lot_id": None, "provider_id": self.places["provider"] if service else None, "cost": cost,
                "score": 0.8, "components": {}, "funding": lines}
        run = MatchRun(created_by_id=self.users["district_official"], street_id=None, status=RunStatus.SUCCEEDED,
                       progress=100, progress_note="done", parameters={"project_ids": [project.id], "options": {}},
                       project_count=1, created_at=self.now, started_at=self.now, finished_at=self.now)
        db.session.add(run)
        db.session.flush()
        proposal = MatchProposal(run_id=run.id, project_id=project.id, status=MatchProposalStatus.PROPOSED, score=0.8,
                                 cost_cents=cost, units=[unit], funding=lines)
        db.session.add(proposal)
        db.session.commit()
        return proposal

    # ---- funded pools to start from (through the services, by the people who may)

    @initialize(target=pools, amount=st.one_of(st.just(300_000), st.integers(funding.MIN_TOPUP_CENTS, 400_000)))
    def foundation_pool(self, amount: int) -> int:
        """The foundation opens a pool and tops it up by bank transfer; the district confirms."""
        pool = funds.create_pool(self.user("funder"), funds.PoolInput(name="社区关爱基金", declared_cents=amount))
        order = funding.top_up_pool(self.user("funder"), pool, amount, gateway=None, now=self.now, currency="cny",
                                    return_urls=no_urls)
        payments.confirm_bank_transfer(self.user("district_official"), order, now=self.now)
        db.session.commit()
        return pool.id

    @initialize(target=pools, amount=st.one_of(st.just(300_000), st.integers(1, 400_000)))
    def department_pool(self, amount: int) -> int:
        """The department opens a pool; one official announces an appropriation, another confirms it."""
        pool = funds.create_pool(self.user("department_official"),
                                 funds.PoolInput(name="民生项目专项资金", declared_cents=amount))
        order = payments.request_appropriation(self.user("department_official"), pool, amount, "福民〔2026〕12号",
                                               now=self.now)
        payments.confirm_appropriation(self.user("department_colleague"), order, now=self.now)
        db.session.commit()
        return pool.id

    @initialize(target=contracts, project=usually("service", ["benefit_elsewhere", "benefit"]),
                amount=st.integers(1, 100_000), own_budget=st.sampled_from([0, 50_000]))
    def contract_under_way(self, project: str, amount: int, own_budget: int) -> int:
        """The department funds a pool by appropriation; a district official approves a proposal
        paying the project's provider from it; the contract is signed after the notice period."""
        official, colleague = self.user("department_official"), self.user("department_colleague")
        pool = funds.create_pool(official, funds.PoolInput(name="专项资金", declared_cents=amount))
        order = payments.request_appropriation(official, pool, amount, "福民〔2026〕7号", now=self.now)
        payments.confirm_appropriation(colleague, order, now=self.now)
        db.session.commit()
        proposal = self.proposal(self.project(project), [(pool.id, amount)], own_budget)
        award = awards.approve_proposal(self.user("district_official"), proposal, now=self.now)
        db.session.commit()
        self.now = award.notice_ends_at + timedelta(hours=1)
        contract_services.sign_contract(self.user("district_official"), self.contract_of(award.id), now=self.now)
        db.session.commit()
        return award.id

    @initialize(target=campaigns, amount=st.integers(1, 50_000), matching=st.sampled_from(MatchingRule))
    def running_campaign(self, amount: int, matching: MatchingRule) -> int:
        """The other foundation tops up a pool of its own and matches donations to the public-benefit
        projects still seeking funds, for two days from now."""
        funder = self.user("other_funder")
        pool = funds.create_pool(funder, funds.PoolInput(name="配捐基金", declared_cents=amount))
        order = funding.top_up_pool(funder, pool, max(amount, funding.MIN_TOPUP_CENTS), gateway=None, now=self.now,
                                    currency="cny", return_urls=no_urls)
        payments.confirm_bank_transfer(self.user("district_official"), order, now=self.now)
        chosen = tuple(self.projects[name] for name in ("benefit", "benefit_elsewhere")
                       if funding.seeks_funds(self.project(name)))
        campaign = funding.create_campaign(funder, pool, funding.CampaignInput(
            name="99公益日配捐", rule=matching, amount_cents=amount, starts_at=self.now,
            ends_at=self.now + timedelta(days=2), project_ids=chosen), now=self.now)
        db.session.commit()
        return campaign.id

    @initialize(target=orders, amount=st.integers(funding.MIN_DONATION_CENTS, 50_000))
    def received_donation(self, amount: int) -> int:
        """A resident gives to a public-benefit project still seeking funds by bank transfer; an
        official of its street confirms that the money arrived."""
        project = next(self.project(name) for name in ("benefit", "benefit_elsewhere")
                       if funding.seeks_funds(self.project(name)))
        order = funding.donate(self.user("resident"), project, funding.DonationInput(amount), gateway=None,
                               now=self.now, currency="cny", return_urls=no_urls)
        official = "street_official" if project.street_id == self.places["home_street"] else "other_street_official"
        payments.confirm_bank_transfer(self.user(official), order, now=self.now)
        db.session.commit()
        return order.id

    # ---- time

    @rule(hours=st.sampled_from([1, 24, 24 * 10]))
    def time_passes(self, hours: int) -> None:
        self.now += timedelta(hours=hours)

    # ---- pools and the money coming into them

    @rule(target=pools, actor=actors(), declared=MONEY,
          focus=st.sampled_from(["anywhere", "home_street", "other_street"]), max_grant=st.none() | MONEY,
          share=st.sampled_from([100, 50, 0]))
    def create_pool(self, actor: str, declared: int, focus: str, max_grant: int | None, share: int) -> Any:
        streets = () if focus == "anywhere" else (self.places[focus],)
        data = funds.PoolInput(name="社区关爱基金", declared_cents=declared, max_grant_cents=max_grant,
                               max_share_percent=share, street_ids=streets)
        pool = self.attempt("create_pool", funds.create_pool, self.act_as(actor, "pool.create"), data)
        return multiple() if pool is None else pool.id

    @rule(actor=actors(), pool=pools, declared=MONEY, is_open=usually(True, [False]))
    def update_pool(self, actor: str, pool: int, declared: int, is_open: bool) -> None:
        """The funder changes the declared total, or closes the pool (its money stays where it is)."""
        found = db.session.get(FundingPool, pool)
        data = funds.PoolInput(name=found.name, declared_cents=declared, is_open=is_open,
                               max_grant_cents=found.max_grant_cents, max_share_percent=found.max_share_percent,
                               street_ids=tuple(street.id for street in found.streets))
        self.attempt("update_pool", funds.update_pool, self.act_as(actor, "pool.manage", found), found, data)

    @rule(target=orders, actor=actors(), pool=pools, amount=MONEY, how=st.sampled_from(["top_up", "appropriation"]),
          document=st.sampled_from(["福民〔2026〕31号", ""]))
    def announce_money(self, actor: str, pool: int, amount: int, how: str, document: str) -> Any:
        """The funder promises a top-up by bank transfer, or a department official an appropriation."""
        found = db.session.get(FundingPool, pool)
        who = self.act_as(actor, "pool.manage", found)
        if how == "top_up":
            order = self.attempt("top_up", funding.top_up_pool, who, found, amount, gateway=None, now=self.now,
                                 currency="cny", return_urls=no_urls)
        else:
            order = self.attempt("request_appropriation", payments.request_appropriation, who, found, amount, document,
                                 now=self.now)
        return multiple() if order is None else order.id

    @rule(actor=actors(), order=orders,
          how=usually("confirm", ["reject", "confirm_bank_transfer", "confirm_appropriation"]))
    def settle_order(self, actor: str, order: int, how: str) -> None:
        """An official records that promised money arrived ("confirm": the way its kind is confirmed;
        or deliberately the other way) or never arrived."""
        found = db.session.get(PaymentOrder, order)
        appropriation = found.purpose == PaymentPurpose.APPROPRIATION
        if how == "confirm":
            how = "confirm_appropriation" if appropriation else "confirm_bank_transfer"
        if how == "confirm_bank_transfer":
            self.attempt(how, payments.confirm_bank_transfer, self.act_as(actor, "payment.confirm", found), found,
                         now=self.now)
        elif how == "confirm_appropriation":
            self.attempt(how, payments.confirm_appropriation, self.act_as(actor, "appropriation.confirm", found), found,
                         now=self.now)
        else:
            action = "appropriation.confirm" if appropriation else "payment.confirm"
            self.attempt("reject_transfer", payments.reject_bank_transfer, self.act_as(actor, action, found), found,
                         now=self.now, reason="银行未到账")

    @rule(actor=actors(), order=orders, reason=st.sampled_from(["捐赠人要求退款", ""]))
    def refund(self, actor: str, order: int, reason: str) -> None:
        found = db.session.get(PaymentOrder, order)
        self.attempt("refund", payments.refund_payment, self.act_as(actor, "payment.refund", found), found,
                     reason=reason, gateway=None, now=self.now)

    # ---- pledges

    @rule(target=pledges, actor=actors(), pool=pools, project=st.sampled_from(PROJECTS), amount=MONEY)
    def pledge(self, actor: str, pool: int, project: str, amount: int) -> Any:
        found = db.session.get(FundingPool, pool)
        pledge = self.attempt("pledge", funding.pledge_from_pool, self.act_as(actor, "pledge.make", found), found,
                              self.project(project), amount, now=self.now)
        return multiple() if pledge is None else pledge.id

    @rule(actor=actors(), pledge=pledges, release=st.booleans())
    def settle_pledge(self, actor: str, pledge: int, release: bool) -> None:
        """The funder pays the pledge into the project, or takes it back into the pool."""
        found = db.session.get(Pledge, pledge)
        operation = funding.release_pledge if release else funding.withdraw_pledge
        self.attempt(operation.__name__, operation, self.act_as(actor, "pledge.settle", found), found, now=self.now)

    # ---- donations

    @rule(target=orders, actor=actors(), project=st.sampled_from(PROJECTS), amount=MONEY,
          as_organisation=st.booleans())
    def donate(self, actor: str, project: str, amount: int, as_organisation: bool) -> Any:
        found = self.project(project)
        order = self.attempt("donate", funding.donate, self.act_as(actor, "donation.make", found), found,
                             funding.DonationInput(amount, as_organisation=as_organisation), gateway=None,
                             now=self.now, currency="cny", return_urls=no_urls)
        return multiple() if order is None else order.id

    # ---- matching campaigns

    @rule(target=campaigns, actor=actors(), pool=pools, amount=MONEY, matching=st.sampled_from(MatchingRule),
          starts_in=st.sampled_from([0, 1, 24, -1]), lasts=usually(48, [24 * 10, 1, 0, -1]),
          chosen=usually(("benefit",), [("benefit", "benefit_elsewhere"), ("benefit_elsewhere",), ("service",), ()]),
          donor_cap=st.none() | MONEY)
    def open_campaign(self, actor: str, pool: int, amount: int, matching: MatchingRule, starts_in: int, lasts: int,
                      chosen: tuple[str, ...], donor_cap: int | None) -> Any:
        found = db.session.get(FundingPool, pool)
        starts_at = self.now + timedelta(hours=starts_in)
        data = funding.CampaignInput(name="99公益日配捐", rule=matching, amount_cents=amount, starts_at=starts_at,
                                     ends_at=starts_at + timedelta(hours=lasts),
                                     project_ids=tuple(self.projects[name] for name in chosen),
                                     per_donor_cap_cents=donor_cap)
        campaign = self.attempt("open_campaign", funding.create_campaign, self.act_as(actor, "campaign.manage", found),
                                found, data, now=self.now)
        return multiple() if campaign is None else campaign.id

    @rule(actor=st.one_of(actors(), st.just("district_official")), campaign=campaigns,
          how=st.sampled_from(["close", "close_after_the_end", "cancel"]))
    def end_campaign(self, actor: str, campaign: int, how: str) -> None:
        """The funder closes a started campaign (any time) or cancels one not started; a district
        official closes it only after its end (for "close_after_the_end" the machine's clock moves
        to just after the end first)."""
        found = db.session.get(MatchingCampaign, campaign)
        if how == "cancel":
            self.attempt("cancel_campaign", funding.cancel_campaign, self.act_as(actor, "campaign.manage", found),
                         found, now=self.now)
            return
        if how == "close_after_the_end" and self.now <= found.ends_at:
            self.now = found.ends_at + timedelta(minutes=1)
        self.attempt("close_campaign", funding.close_campaign, self.act_as(actor, "campaign.close", found), found,
                     now=self.now)

    # ---- awards: money reserved in pools, cancelled, paid out by milestones

    @rule(target=awards, actor=actors(), project=st.sampled_from(PROJECTS),
          funding_lines=st.lists(st.tuples(pools, MONEY.filter(lambda amount: amount > 0)), min_size=1, max_size=2,
                                 unique_by=lambda line: line[0]),
          own_budget=st.sampled_from([0, 10_000, 100_000]))
    def approve_proposal(self, actor: str, project: str, funding_lines: list[tuple[int, int]], own_budget: int) -> Any:
        """An official approves a matching run's proposal: the award reserves the money in the pools."""
        found = self.project(project)
        proposal = self.proposal(found, funding_lines, own_budget)
        award = self.attempt("approve_proposal", awards.approve_proposal, self.act_as(actor, "match.decide", found),
                             proposal, reason="综合评分最高，资金来源明确。", now=self.now)
        return multiple() if award is None else award.id

    @rule(actor=actors(), award=awards)
    def cancel_award(self, actor: str, award: int) -> None:
        found = db.session.get(Award, award)
        self.attempt("cancel_award", awards.cancel_award, self.act_as(actor, "match.decide", found.project), found,
                     reason="复核发现评审材料不全，取消授予。", now=self.now)

    @rule(objector=actors(), official=actors(), award=awards, uphold=st.booleans())
    def object_to_award(self, objector: str, official: str, award: int, uphold: bool) -> None:
        """Someone objects during the notice period; an official answers (upholding cancels the award)."""
        found = db.session.get(Award, award)
        objection = self.attempt("file_objection", awards.file_objection, self.act_as(objector, "award.object", found),
                                 found, "评审过程不够公开，请复核中标机构资质。", now=self.now)
        if objection is None:
            return
        self.promises_hold()
        objection = db.session.get(AwardObjection, objection.id)
        self.attempt("answer_objection", awards.answer_objection,
                     self.act_as(official, "award.answer", objection.award.project), objection, uphold=uphold,
                     answer="经复核，答复如下。", now=self.now)

    @rule(target=contracts, actor=st.one_of(actors(), st.just(NIGHTLY_JOB)), award=awards,
          after_the_notice=st.booleans())
    def sign_contract(self, actor: str, award: int, after_the_notice: bool) -> Any:
        """An official (or the nightly job) signs the contract; the machine's clock moves to the end
        of the notice period first when ``after_the_notice``."""
        contract = self.contract_of(award)
        if after_the_notice and self.now < contract.notice_ends_at:
            self.now = contract.notice_ends_at + timedelta(minutes=1)
        signed = self.attempt("sign_contract", contract_services.sign_contract, self.act_as(actor, "contract.manage", contract),
                              contract, now=self.now)
        return multiple() if signed is None else award

    @rule(provider=actors(), official=actors(), payer=actors(), award=contracts, seq=st.integers(1, 3))
    def deliver_milestone(self, provider: str, official: str, payer: str, award: int, seq: int) -> None:
        """The provider reports the milestone done, an official approves it (asking for the payout),
        an official confirms the bank transfer to the provider: three requests, each checked."""
        milestone = self.milestone_of(award, seq)
        self.attempt("submit_milestone", contract_services.submit_milestone,
                     self.act_as(provider, "contract.report", milestone.contract), milestone,
                     "已完成本阶段上门助餐服务并提交记录。", now=self.now)
        self.promises_hold()
        milestone = self.milestone_of(award, seq)
        self.attempt("approve_milestone", contract_services.approve_milestone, self.act_as(official, "contract.manage", milestone),
                     milestone, now=self.now)
        self.promises_hold()
        payout = db.session.scalar(select(Payout).where(Payout.milestone_id == milestone.id))
        if payout is not None:
            self.attempt("confirm_payout", payments.confirm_payout, self.act_as(payer, "payout.confirm", payout),
                         payout, now=self.now)

    # ---- the promises, after every step

    @invariant()
    def promises_hold(self) -> None:
        """The ledger's promises, as the database holds them now."""
        report = ledger.check()
        assert report.ok, "ledger.check() found problems:\n" + "\n".join(report.problems)
        session = db.session
        below = session.execute(select(ledger.Account.kind, ledger.Account.ref_id, ledger.Account.balance_cents)
                                .where(ledger.Account.balance_cents < 0)).all()
        assert not below, f"accounts below zero: {below}"

        posted = (select(ledger.Posting.transfer_id, func.count(ledger.Posting.id).label("n"),
                         func.sum(ledger.Posting.amount_cents).label("total"),
                         func.max(ledger.Posting.amount_cents).label("credit"))
                  .group_by(ledger.Posting.transfer_id).subquery())
        unbalanced = session.execute(
            select(ledger.Transfer.id, ledger.Transfer.movement, ledger.Transfer.amount_cents, posted.c.n,
                   posted.c.total, posted.c.credit)
            .outerjoin(posted, posted.c.transfer_id == ledger.Transfer.id)
            .where(posted.c.n.is_(None) | (posted.c.n != 2) | (posted.c.total != 0)
                   | (posted.c.credit != ledger.Transfer.amount_cents))).all()
        assert not unbalanced, f"transfers whose postings do not balance: {unbalanced}"

        # Every movement is on the audit trail as "money.<movement>".
        moved = _rows(select(cast(ledger.Transfer.id, String), ledger.Transfer.movement))
        audited = _rows(select(audit.AuditEvent.object_id, audit.AuditEvent.action)
                        .where(audit.AuditEvent.object_type == "ledger_transfers"))
        assert {(tid, f"money.{movement.value}") for tid, movement in moved} == audited, (
            f"transfers {sorted(moved)} but audit events {sorted(audited)}")

        # Money is conserved: what all accounts hold is what came in from outside, which is what the
        # payments received brought less what was paid to providers.
        outside = ledger.AccountKind.OUTSIDE
        held = _total(ledger.Account.balance_cents, ledger.Account.kind != outside)
        exchanged = _total(ledger.Account.external_cents, ledger.Account.kind != outside)
        came_in = -_total(ledger.Posting.amount_cents, ledger.Posting.account_kind == outside)
        paid = PaymentOrder.status == PaymentStatus.PAID
        received = _total(PaymentOrder.amount_cents, paid)
        paid_out = _total(ledger.Transfer.amount_cents, ledger.Transfer.movement == ledger.Movement.PAYOUT)
        assert held == exchanged == came_in, f"held {held}, exchanged with outside {exchanged}, in {came_in}"
        assert came_in == received - paid_out, (f"net money from outside {came_in}, but payments received "
                                                f"{received} less paid to providers {paid_out}")

        # A pool received its confirmed top-ups and appropriations (less refunds).
        by_pool = _sums(PaymentOrder.pool_id, PaymentOrder.amount_cents, paid, PaymentOrder.pool_id.is_not(None))
        for pool_id, received_cents, remaining in session.execute(
                select(FundingPool.id, FundingPool.received_cents, FundingPool.remaining_cents)):
            assert received_cents == by_pool.get(pool_id, 0), (f"pool {pool_id} received {received_cents}, "
                                                               f"its payments {by_pool.get(pool_id, 0)}")
            assert 0 <= remaining <= received_cents, f"pool {pool_id} holds {remaining} of {received_cents}"

        # A project holds its donations, released pledges and campaign matches (less refunds), and what
        # it holds, is pledged, is being paid and pools reserved for it never exceeds its budget (the
        # first money rule of market.funding).
        donated = _sums(PaymentOrder.project_id, PaymentOrder.amount_cents, paid, PaymentOrder.project_id.is_not(None))
        released = _sums(Pledge.project_id, Pledge.amount_cents, Pledge.status == PledgeStatus.RELEASED)
        matched = _sums(CampaignAllocation.project_id, CampaignAllocation.match_cents, CampaignAllocation.campaign_id.in_(
            select(MatchingCampaign.id).where(MatchingCampaign.status == CampaignStatus.CLOSED)))
        pledged = _sums(Pledge.project_id, Pledge.amount_cents, Pledge.status == PledgeStatus.ACTIVE)
        in_payment = _sums(PaymentOrder.project_id, PaymentOrder.amount_cents, PaymentOrder.project_id.is_not(None),
                           PaymentOrder.status == PaymentStatus.PENDING)
        committed = _sums(FundingCommitment.project_id, FundingCommitment.amount_cents,
                          FundingCommitment.status != CommitmentStatus.RELEASED)
        for project_id, budget, funded in session.execute(select(Project.id, Project.budget_cents, Project.funded_cents)):
            parts = [table.get(project_id, 0) for table in (donated, released, matched)]
            assert funded == sum(parts), (f"project {project_id} holds {funded}; its donations, released pledges "
                                          f"and matches are {parts}")
            promised = [funded] + [table.get(project_id, 0) for table in (pledged, in_payment, committed)]
            assert sum(promised) <= budget, (f"project {project_id} (budget {budget}) holds, is pledged, is being "
                                             f"paid and has reserved {promised}")

    def teardown(self) -> None:
        db.session.rollback()
        report = audit.verify_chain()
        assert report.ok, report.message


# Fast enough for every CI run; the "ci" profile (tests/conftest.py) makes it derandomised there.
LEDGER_SETTINGS = settings(max_examples=25, stateful_step_count=25, deadline=None,
                           suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])


def test_ledger_keeps_its_promises_whatever_anyone_tries(app):
    with app.test_request_context():
        run_state_machine_as_test(lambda: LedgerMachine(app), settings=LEDGER_SETTINGS)
