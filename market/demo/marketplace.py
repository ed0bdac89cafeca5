"""Demo stage of the marketplace: tenders, sealed and opened bids, a match run, awards in notice
with objections, contracts with milestones in every status, and pool commitments.

Runs after the base demo (``market.demo.loader.EXTRA_STAGES``); deterministic (its own seeded
generator, the fixed reference date of :mod:`market.demo.data`); flushes, never commits.

What it lays out around the reference date (2026-12-01):

* every government-purchased service gets its tender (requirements, the published scoring
  criteria; a few large ones split into two lots);
* open tenders carry sealed bids, some of them by the demo provider (provider@demo.futian.example);
  one tender of the Futian Subdistrict official closed the day before: its bids wait to be opened;
* evaluating projects carry bids that their officials opened after the deadline (audited, with the
  public opening record);
* procurement: departments have their number codes, every tender its project number; open tenders of
  the Futian Subdistrict official show each procurement method (an invited tender, a single source in
  its notice, a direct commission, a competitive negotiation and consultation, with a clarification a
  provider asked for), and a request for quotation whose quotations were opened;
* awarded / in-progress / completed projects get the award that led there, the contract(s) and
  three milestones each: planned, reported done, approved and paid all occur; the demo provider won
  the first service under way it is eligible for, with a milestone still to report; one award in notice
  has an open objection, another a dismissed one;
* their money, moved as the services move it (see :func:`_past_money`): what public-benefit
  projects raised before their award, pool grants reserved as commitments (¥7.36 million of the
  social-construction fund's ¥30 million; the other pools' past grants arrive first as top-ups, so
  that what they hold stays what the base demo gave them), payouts of paid milestones drawing on
  those commitments;
* two finished match runs of the Futian Subdistrict official: the first, a forbid decision with
  its reason on one of its proposals, the re-run respecting it; two of the re-run's proposals are
  approved (awards in notice, money reserved);
* two milestones whose acceptance came with a failed third-party evaluation (第三方评估), sent back to
  their providers: one in Futian Subdistrict, one in another street.
"""
from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import insert, select
from sqlalchemy.orm import Session, selectinload

from market.accounts.models import Role, User
from market.bids import procurement
from market.bids import services as bidding
from market.bids.models import Bid, BidStatus, Lot, ProcurementMethod, Tender
from market.bids.services import default_criteria, seal_digest
from market.contracts import services as contract_services
from market.contracts.models import Contract, ContractStatus, EvaluationConclusion, Milestone, MilestoneStatus
from market.core import ledger, policy
from market.core.audit import record
from market.core.calendar import add_working_days
from market.core.policy import Scope
from market.demo import data as D
from market.demo import money
from market.funding.services import MIN_TOPUP_CENTS
from market.funds.models import CommitmentStatus, FundingCommitment, FundingPool
from market.geo.models import Category
from market.orgs.models import Organization, OrgKind, VerificationState
from market.payments.models import Payout, PayoutMethod, PayoutStatus
from market.payments.services import idempotency_key_for_payout
from market.projects.models import Project, ProjectKind, ProjectStatus
from market.review import adapter, awards, services, vocabulary
from market.review.models import (
    Award,
    AwardObjection,
    AwardObjectionStatus,
    AwardStatus,
    DecisionKind,
    MatchProposalStatus,
    RunStatus,
)
from matching.score import combine, price_score

SEED = D.SEED + 2
REF = D.REFERENCE_TIME
SOCIAL_FUND_COMMITTED_CENTS = (30_000_000 - 22_640_000) * 100  # total - remaining of the base demo
YUAN = 100

PROPOSALS = (
    "我机构在{place}深耕多年，熟悉辖区{target}的需求。项目将组建由持证社工牵头、志愿者协同的服务团队，"
    "建立服务对象档案，按月开展{activity}，并通过季度满意度回访持续改进服务质量。",
    "我们将以“需求评估—个案服务—小组活动—社区倡导”四步推进，配备督导一名、专职社工{staff}名，"
    "与社区党委、居委会和物业建立联动机制，确保{target}得到及时、专业的服务。",
    "项目采用“1+N”服务模式：1个服务站点辐射辖区各小区，N支志愿服务队伍参与。我们曾承接同类项目，"
    "验收评价良好，将沿用成熟的服务流程与台账管理制度。",
)
TEAMS = ("项目主管1名（中级社工师），专职社工{staff}名，财务1名，志愿者骨干约20名。",
         "督导1名（高级社工师），项目社工{staff}名，康复/心理等专业顾问2名。")
TIMELINES = ("第1个月：需求调研与团队组建；第2–{mid}个月：常规服务与中期评估；最后1个月：总结评估与验收。",
             "启动期1个月、实施期{mid}个月、总结期1个月，每季度提交进度报告。")
REQUIREMENTS = ("投标人须具备{category}领域服务经验，配备项目所需专职人员，制定详细的服务方案、人员配置、"
                "进度安排和质量保障措施，并承诺接受服务对象满意度测评和第三方评估。")
REQUIREMENTS_EN = ("Bidders need experience in {category}, the full-time staff the project requires, and a detailed "
                   "plan: services, team, schedule and quality assurance. They accept user-satisfaction surveys "
                   "and an independent evaluation.")
OBJECTION_OPEN = ("中标机构在本街道已承接多个同类项目，人员是否足够？请说明该机构的服务能力和人员安排，"
                  "以及评分中“本地服务基础”一项的依据。")
OBJECTION_DISMISSED = "该机构去年在其他街道的项目曾被投诉，请核实其履约情况。"
DEPARTMENT_CODES = {"深圳市福田区民政局": "FTMZ", "深圳市福田区残疾人联合会": "FTCL", "深圳市福田区教育局": "FTJY",
                    "深圳市福田区卫生健康局": "FTWJ"}
# The methods shown on open tenders of the Futian Subdistrict official, in this order; the request for
# quotation goes to a tender whose quotations were opened.
SHOWCASE_OPEN = (ProcurementMethod.INVITED_TENDER, ProcurementMethod.SINGLE_SOURCE,
                 ProcurementMethod.DIRECT_COMMISSION, ProcurementMethod.COMPETITIVE_NEGOTIATION,
                 ProcurementMethod.COMPETITIVE_CONSULTATION)
SINGLE_SOURCE_REASON = ("该服务需与现有长者健康档案系统无缝衔接，只有原承建机构拥有系统接口和数据迁移能力，"
                        "依法采用单一来源方式。")
QUESTION = "请问服务对象名单由街道提供还是由中标机构自行排查？排查工作量是否计入服务指标？"
ANSWER = "服务对象名单由街道办事处提供初始名单，中标机构须在首月完成入户核实；核实工作计入服务指标，按户计算。"
ANSWER_DISMISSED = ("经核查，该机构去年项目已按期通过验收，投诉事项已整改完毕并经服务对象确认；"
                    "其评分依据已在公示中列明，维持原评审结果。")


@dataclass
class _Org:
    """An organisation's facts as plain values (the eligibility loops run tens of thousands of times)."""

    row: Organization
    id: int
    categories: tuple[str, ...]
    streets: frozenset[int]
    whole: bool
    rating: int
    registered: date | None
    staff: int
    area: int
    capacity: int
    load: int = 0

    def serves(self, street_id: int | None) -> bool:
        return self.whole or (street_id is not None and street_id in self.streets)

    def eligible(self, need: _Need) -> bool:
        years = (need.on - self.registered).days / 365.25 if self.registered else 0.0
        return (self.rating >= need.rating and years >= need.years and self.staff >= need.staff
                and self.area >= need.area and self.serves(need.street_id))


@dataclass(frozen=True)
class _Need:
    """A project's eligibility rules as plain values."""

    rating: int
    years: int
    staff: int
    area: int
    street_id: int | None
    on: date

    @classmethod
    def of(cls, project: Project, on: date) -> _Need:
        return cls(project.min_rating_grade, project.min_years_registered, project.min_staff,
                   project.min_office_area_m2, project.street_id, on)


@dataclass
class _Pool:
    row: FundingPool
    categories: frozenset[str]
    streets: frozenset[int]
    backing: int = 0  # spending not yet backed by commitments (may be used for past grants)

    def covers(self, code: str, street_id: int | None) -> bool:
        return (not self.categories or code in self.categories) and (
            not self.streets or (street_id is not None and street_id in self.streets))

    def cap(self, cost: int) -> int:
        cap = self.row.max_share_percent * cost // 100
        if self.row.max_grant_cents is not None:
            cap = min(cap, self.row.max_grant_cents)
        return cap


@dataclass
class _Stage:
    session: Session
    rng: random.Random
    codes: dict[int, str]
    officials: dict[str, User]
    provider_user: User
    resident: User
    orgs: list[_Org]
    by_category: dict[str, list[_Org]]
    pools: list[_Pool]
    social_fund: _Pool
    social_left: int = SOCIAL_FUND_COMMITTED_CENTS
    counts: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    members: dict[int, User] = field(default_factory=dict)
    tenders: dict[int, Tender] = field(default_factory=dict)
    sealed: list[Bid] = field(default_factory=list)
    past_bids: list[Bid] = field(default_factory=list)
    # The demo provider delivers one service under way (a signed contract with milestones to report).
    demo_delivers: bool = False


def load_marketplace_demo(session: Session) -> None:
    """Add the marketplace's demo rows (see the module docstring); flushes, never commits."""
    stage = _prepare(session)
    projects = list(session.scalars(select(Project).order_by(Project.id).options(
        selectinload(Project.category), selectinload(Project.street), selectinload(Project.community))))
    contracted = set(session.scalars(select(Contract.project_id)))
    with session.no_autoflush:  # rows are flushed in batches, where ids are needed
        _tenders_and_bids(stage, projects)
        _history(stage, [p for p in projects if p.id not in contracted])
    session.flush()
    _vocabulary(stage)
    session.flush()
    _match_run(stage)
    session.flush()
    _evaluations(stage)
    session.flush()
    record(None, "demo.marketplace_loaded", object_type="system", object_id="demo",
           after={"seed": SEED, "reference_date": D.REFERENCE_DATE, **dict(sorted(stage.counts.items()))})


def _prepare(session: Session) -> _Stage:
    users = {u.email: u for u in session.scalars(select(User).where(User.email.like(f"%@{D.DEMO_EMAIL_DOMAIN}")))}
    official = users[f"official@{D.DEMO_EMAIL_DOMAIN}"]
    street_official = users[f"street.official@{D.DEMO_EMAIL_DOMAIN}"]
    orgs = []
    for org in session.scalars(
            select(Organization).where(Organization.kind.in_((OrgKind.SOCIAL_ORGANISATION, OrgKind.ENTERPRISE)),
                                       Organization.verification_state == VerificationState.VERIFIED,
                                       Organization.capacity > 0)
            .options(selectinload(Organization.categories), selectinload(Organization.service_streets))
            .order_by(Organization.id)):
        streets = {s.id for s in org.service_streets} | ({org.home_street_id} if org.home_street_id else set())
        orgs.append(_Org(org, org.id, tuple(c.code for c in org.categories), frozenset(streets),
                         org.serves_whole_district, org.rating_grade, org.registration_date, org.full_time_staff,
                         org.office_area_m2, org.capacity))
    pools = []
    for pool in session.scalars(select(FundingPool).options(selectinload(FundingPool.focus_categories),
                                                            selectinload(FundingPool.streets))
                                .order_by(FundingPool.id)):
        pools.append(_Pool(pool, frozenset(c.code for c in pool.focus_categories),
                           frozenset(s.id for s in pool.streets), backing=pool.declared_cents - pool.remaining_cents))
    members: dict[int, User] = {}
    for user in session.scalars(select(User).where(User.role == Role.PROVIDER, User.organization_id.is_not(None))
                                .order_by(User.id)):
        members.setdefault(user.organization_id, user)
    members[users[f"provider@{D.DEMO_EMAIL_DOMAIN}"].organization_id] = users[f"provider@{D.DEMO_EMAIL_DOMAIN}"]
    social = next(p for p in pools if p.row.name == D.SOCIAL_FUND_NAME)
    social.backing = 0  # backed through social_left, exactly
    by_category: dict[str, list[_Org]] = defaultdict(list)
    for org in orgs:
        for code in org.categories:
            by_category[code].append(org)
    return _Stage(session=session, rng=random.Random(SEED),  # noqa: S311  (seeded demo data)
                  members=members,
                  by_category=dict(by_category),
                  codes={c.id: c.code for c in session.scalars(select(Category))},
                  officials={"district": official, "street": street_official},
                  provider_user=users[f"provider@{D.DEMO_EMAIL_DOMAIN}"],
                  resident=users[f"resident@{D.DEMO_EMAIL_DOMAIN}"], orgs=orgs, pools=pools, social_fund=social)


def _official_for(stage: _Stage, project: Project) -> User:
    street = stage.officials["street"]
    return street if project.street_id is not None and project.street_id == street.street_id \
        else stage.officials["district"]


def _moment(rng: random.Random, start: datetime, end: datetime) -> datetime:
    span = max(1, int((end - start).total_seconds() // 60))
    return start + timedelta(minutes=rng.randrange(span))


# ---------------------------------------------------------------- tenders and bids

def _tenders_and_bids(stage: _Stage, projects: list[Project]) -> None:
    rng = stage.rng
    session = stage.session
    demo_org = stage.provider_user.organization_id
    tendered = [p for p in projects if p.kind == ProjectKind.GOVERNMENT_SERVICE and p.bid_deadline is not None
                and p.status in (ProjectStatus.OPEN, ProjectStatus.EVALUATING, ProjectStatus.AWARDED,
                                 ProjectStatus.IN_PROGRESS, ProjectStatus.COMPLETED)]
    split_left = {ProjectStatus.OPEN: 2, ProjectStatus.EVALUATING: 1}
    demo_bids = 0
    demo = next((o for o in stage.orgs if o.id == demo_org), None)
    _department_codes(stage)
    showcase = list(SHOWCASE_OPEN)
    quotation_left = 1
    _closed_yesterday(stage, tendered)
    for project in tendered:
        code = stage.codes[project.category_id]
        published = project.published_at or (project.bid_deadline - timedelta(days=30))
        need = _Need.of(project, published.date())
        candidates = [o for o in stage.by_category.get(code, []) if o.eligible(need)]
        lots: list[Lot] = []
        if split_left.get(project.status, 0) and project.budget_cents >= 1_000_000 * YUAN \
                and project.project_type == "service":
            split_left[project.status] -= 1
            first = (project.budget_cents * 6 // 10) // (100 * YUAN) * (100 * YUAN)
            for seq, (title, title_en, budget) in enumerate(
                    (("标段一：个案与上门服务", "Lot 1: casework and home visits", first),
                     ("标段二：社区活动与志愿者培育", "Lot 2: community activities and volunteers",
                      project.budget_cents - first)), start=1):
                lots.append(Lot(project_id=project.id, seq=seq, title=title, title_en=title_en,
                                description="", budget_cents=budget))
            session.add_all(lots)
        if project.status in (ProjectStatus.AWARDED, ProjectStatus.IN_PROGRESS, ProjectStatus.COMPLETED):
            stage.tenders[project.id] = _raw_tender(stage, project, published)
            session.flush()
            continue  # their bids are laid out with the award (see _history)
        close = min(project.bid_deadline, REF) if project.status == ProjectStatus.OPEN else project.bid_deadline
        others = [o for o in stage.orgs if code not in o.categories and o.eligible(need)] \
            if rng.random() < 0.15 else []
        bids: list[Bid] = []
        method, keep = None, None
        for unit in (lots or [None]):
            chosen = rng.sample(candidates, min(len(candidates), rng.randint(2, 5)))
            if others:
                chosen.append(rng.choice(others))  # a bid from outside the category (scored lower)
            if project.status == ProjectStatus.OPEN and demo is not None and demo not in chosen \
                    and demo.eligible(need) and (code in demo.categories or demo_bids < 1) and demo_bids < 4:
                chosen.append(demo)
            if project.id not in stage.tenders:
                # The bidders are drawn as for any tender (the generator's sequence stays the same); a
                # showcase method then keeps only the bids its rules allow.
                method, keep = _showcase_method(stage, project, showcase, chosen, quotation_left > 0) \
                    if not lots else (None, None)
                if method == ProcurementMethod.REQUEST_FOR_QUOTATION:
                    quotation_left -= 1
                if method is not None and method != ProcurementMethod.REQUEST_FOR_QUOTATION:
                    invited = [o.id for o in keep] if method in procurement.INVITATION_METHODS else []
                    stage.tenders[project.id] = _publish(stage, project, method, invited, published)
                else:
                    stage.tenders[project.id] = _raw_tender(stage, project, published, method)
                session.flush()
            for org in chosen:
                if org.id == demo_org and project.status == ProjectStatus.OPEN:
                    demo_bids += 1
                bid = _add_bid(stage, project, unit, org, _moment(rng, published, close - timedelta(hours=1)))
                if keep is not None and org not in keep:
                    _drop(stage, bid)
                else:
                    bids.append(bid)
        tender = stage.tenders[project.id]
        if project.status == ProjectStatus.EVALUATING:
            opened_at = min(project.bid_deadline + timedelta(hours=rng.randint(2, 30)), REF - timedelta(hours=1))
            _open(stage, project, tender, opened_at, bids)
        if method == ProcurementMethod.COMPETITIVE_CONSULTATION:
            _clarification(stage, project, published)
    # The demo provider's bids are audited one by one, as the bidding page does; the others in one
    # event carrying every seal and commitment (still nothing about who bid for what).
    for bid in stage.sealed:
        if bid.organization_id == demo_org:
            record(None, "bid.submitted", object_type="sealed_bid", object_id=bid.seal,
                   after={"commitment": seal_digest(bid), "revision": bid.revision})
    record(None, "demo.sealed_bids", object_type="system", object_id="demo",
           after={"bids": [{"seal": b.seal, "commitment": seal_digest(b)} for b in stage.sealed
                           if b.organization_id != demo_org]})


def _closed_yesterday(stage: _Stage, tendered: list[Project]) -> None:
    """One open tender of the street official closed yesterday at 17:00: its bids are sealed and it waits
    for the official to open them (showcase methods only take tenders still open)."""
    street = stage.officials["street"].street_id
    closing = REF - timedelta(hours=16)
    for project in reversed(tendered):
        if project.status == ProjectStatus.OPEN and project.street_id == street \
                and project.project_type == "service" and project.budget_cents < 1_000_000 * YUAN \
                and project.published_at is not None and project.published_at < closing - timedelta(days=14):
            project.bid_deadline = closing
            return


def _department_codes(stage: _Stage) -> None:
    """The number codes of the district's departments and street offices, as an official sets them."""
    official = stage.officials["district"]
    for org in stage.session.scalars(select(Organization).where(Organization.kind == OrgKind.GOVERNMENT)
                                     .order_by(Organization.id)):
        code = DEPARTMENT_CODES.get(org.name)
        if code is None and org.name_en.endswith(" Subdistrict Office, Futian District"):
            letters = "".join(ch for ch in org.name_en.split()[0] if ch.isalpha())
            code = f"FT{letters[:4].upper()}"
        if code:
            procurement.set_department_code(official, org, code)


def _showcase_method(stage: _Stage, project: Project, showcase: list[ProcurementMethod], chosen: list[_Org],
                     quotation: bool) -> tuple[ProcurementMethod | None, list[_Org] | None]:
    """The method this tender shows in the demo (None: an ordinary open tender) and the drawn bidders
    whose bids it keeps (None: all of them)."""
    street = stage.officials["street"].street_id
    if len(chosen) < 3 or (project.street_id != street and len(showcase) == len(SHOWCASE_OPEN)):
        return None, None  # the first showcase tender is the street official's own
    if project.status == ProjectStatus.EVALUATING and quotation:
        return ProcurementMethod.REQUEST_FOR_QUOTATION, None  # three or more quotations: it proceeds
    if project.status != ProjectStatus.OPEN or project.bid_deadline <= REF or not showcase:
        return None, None
    method = showcase[0]
    if method == ProcurementMethod.DIRECT_COMMISSION \
            and project.budget_cents >= procurement.DEFAULT_DIRECT_COMMISSION_MAX_CENTS:
        return None, None
    showcase.pop(0)
    keep = {ProcurementMethod.INVITED_TENDER: 3, ProcurementMethod.SINGLE_SOURCE: 1}.get(method)
    return method, (chosen[:keep] if keep else None)


def _raw_tender(stage: _Stage, project: Project, published: datetime,
                method: ProcurementMethod | None = None) -> Tender:
    """A tender as it was published before the demo's reference time, numbered as publication numbers it."""
    tender = Tender(project_id=project.id, published_by_id=project.owner_id, criteria=default_criteria(),
                    requirements=REQUIREMENTS.format(category=project.category.name),
                    requirements_en=REQUIREMENTS_EN.format(category=project.category.name_en.lower()),
                    method=method or ProcurementMethod.OPEN_TENDER, created_at=published, updated_at=published)
    stage.session.add(tender)
    procurement.assign_number(project, published)
    return tender


def _drop(stage: _Stage, bid: Bid) -> None:
    """Take back a drawn bid the tender's method does not allow."""
    stage.session.expunge(bid)
    stage.sealed.remove(bid)
    stage.counts["bids"] -= 1


def _publish(stage: _Stage, project: Project, method: ProcurementMethod, invited: list[int],
             published: datetime) -> Tender:
    """A tender published through the bidding services, with its method's invitations and reason."""
    official = _official_for(stage, project)
    data = bidding.TenderInput(
        bid_deadline=project.bid_deadline, requirements=REQUIREMENTS.format(category=project.category.name),
        requirements_en=REQUIREMENTS_EN.format(category=project.category.name_en.lower()),
        criteria=tuple(bidding.CriterionInput(c["name"], c["weight"], c["name_en"]) for c in default_criteria()),
        method=method, method_reason=SINGLE_SOURCE_REASON if method == ProcurementMethod.SINGLE_SOURCE else "",
        contact_name="陈主任", contact_phone="0755-82910000", invited_org_ids=tuple(invited))
    stage.session.flush()
    tender = bidding.publish_tender(official, project, data, now=published)
    stage.counts[f"tenders.{method.value}"] += 1
    return tender


def _clarification(stage: _Stage, project: Project, published: datetime) -> None:
    """The demo provider's question and the official's answer, published to all."""
    asked = bidding.ask_clarification(stage.provider_user, project, QUESTION, now=published + timedelta(days=1))
    bidding.answer_clarification(_official_for(stage, project), asked, ANSWER, now=published + timedelta(days=2))
    stage.counts["clarifications"] += 1


def _add_bid(stage: _Stage, project: Project, lot: Lot | None, org: _Org, when: datetime,
             status: BidStatus = BidStatus.SUBMITTED, *, audit: bool = True) -> Bid:
    rng = stage.rng
    budget = lot.budget_cents if lot else project.budget_cents
    price = max(100 * YUAN, int(budget * rng.uniform(0.82, 0.995)) // (100 * YUAN) * (100 * YUAN))
    place = project.community.name if project.community else (project.street.name if project.street else "福田区")
    staff = max(2, min(org.staff, rng.randint(2, 8)))
    months = max(3, round(((project.end_date or date(2027, 12, 31)) - (project.start_date or date(2027, 1, 1))).days / 30))
    bid = Bid(project_id=project.id, lot_id=lot.id if lot else None, lot_seq=lot.seq if lot else 0,
              organization_id=org.id, submitted_by=_member(stage, org.id), price_cents=price,
              proposal=rng.choice(PROPOSALS).format(place=place, target="服务对象", activity="走访、个案和小组活动",
                                                    staff=staff),
              team=rng.choice(TEAMS).format(staff=staff), timeline=rng.choice(TIMELINES).format(mid=max(2, months - 2)),
              status=status, revision=1, submitted_at=when, created_at=when, updated_at=when,
              seal=f"{rng.getrandbits(128):032x}", seal_nonce=f"{rng.getrandbits(256):064x}")
    if audit:  # sealed: audited under its seal (see _tenders_and_bids)
        stage.session.add(bid)
        stage.sealed.append(bid)
    else:  # a past bid, audited by its opening record, inserted in bulk with the other past rows
        stage.past_bids.append(bid)
    stage.counts["bids"] += 1
    return bid


def _member(stage: _Stage, org_id: int) -> User:
    """A provider member of the organisation (created once, flushed with the rest), who signs its bids."""
    if org_id not in stage.members:
        org = stage.session.get(Organization, org_id)
        stage.members[org_id] = User(
            email=f"bidder{org_id:04d}@{D.DEMO_EMAIL_DOMAIN}", display_name=f"{org.name}投标联系人",
            password_hash=stage.provider_user.password_hash, role=Role.PROVIDER, organization_id=org_id,
            created_at=org.created_at, updated_at=org.created_at)
        stage.session.add(stage.members[org_id])
    return stage.members[org_id]


def _open(stage: _Stage, project: Project, tender: Tender, opened_at: datetime, bids: list[Bid], *,
          audit: bool = True) -> None:
    official = _official_for(stage, project)
    policy.require(official, "bids.open", project)
    stage.counts["tenders_opened"] += 1
    if not audit:  # a past tender: summed up in the stage's closing audit event
        tender.opened_at, tender.opened_by_id, tender.opened_bid_count = opened_at, official.id, len(bids)
        return
    stage.session.flush()  # the bids, for the opening record
    bidding.open_bids(official, project, now=opened_at)


# ---------------------------------------------------------------- awards, contracts, milestones, commitments

def _history(stage: _Stage, projects: list[Project]) -> None:
    """The award, contracts and money behind every project the base demo shows as awarded or later."""
    session = stage.session
    done = [p for p in projects if p.status in (ProjectStatus.AWARDED, ProjectStatus.IN_PROGRESS,
                                                ProjectStatus.COMPLETED)]
    plans = []
    for project in done:
        units = _providers_for(stage, project)
        if units is not None:
            plans.append(_award_history(stage, project, units))
    if stage.social_left:
        raise RuntimeError(f"demo: social fund spending left unbacked: {stage.social_left}")
    # Past rows go in with bulk inserts (thousands of them); the new member users first, for their ids.
    session.flush()
    for bid in stage.past_bids:
        bid.submitted_by_id = bid.submitted_by.id
    _bulk_insert(session, Bid, stage.past_bids)
    award_ids = _bulk_insert(session, Award, [plan.award for plan in plans], ids=True)
    contracts = []
    for plan, award_id in zip(plans, award_ids, strict=True):
        plan.award.id = award_id
        for contract in plan.contracts:
            contract.award_id = award_id
            contracts.append(contract)
    contract_ids = _bulk_insert(session, Contract, contracts, ids=True)
    milestones = []
    for contract, contract_id in zip(contracts, contract_ids, strict=True):
        contract.id = contract_id
        for milestone in contract.milestones:
            milestone.contract_id = contract_id
            milestone.submitted_by_id = milestone.submitted_by.id if milestone.submitted_by else None
            milestones.append(milestone)
    for milestone, milestone_id in zip(milestones, _bulk_insert(session, Milestone, milestones, ids=True),
                                       strict=True):
        milestone.id = milestone_id
    _past_money(stage, plans)
    objection_plan = {"open": 1, "dismissed": 1}
    for plan in plans:
        if plan.award.status == AwardStatus.IN_NOTICE and plan.kind == ProjectKind.GOVERNMENT_SERVICE:
            for kind in ("open", "dismissed"):
                if objection_plan[kind]:
                    objection_plan[kind] -= 1
                    _objection(stage, plan.award, plan.official, kind)
                    break


def _past_money(stage: _Stage, plans: list[_AwardPlan]) -> None:
    """The money behind the past awards, moved as the services move it (every yuan through the ledger).

    * a public-benefit project raised the part of its budget the pools did not fund before its
      award: a bank transfer its official confirmed;
    * a pool's past grants arrived as a top-up before them (the social-construction fund's
      appropriation covers its own);
    * each grant was reserved for the contract when the award was approved (a commitment), and
      paid milestones drew on the reservations, oldest first (the rest of a payout being the
      contracting department's own budget); a completed contract gave back what it did not use.

    Awards, contracts, milestones, commitments and payouts are created in their final status, as
    the history left them; their money moves now.
    """
    session = stage.session
    rng = random.Random(SEED + 1)  # noqa: S311  (seeded demo data)
    district = stage.officials["district"]
    owners = {u.id: u for u in session.scalars(select(User).where(User.id.in_(
        {plan.project.owner_id for plan in plans if plan.kind == ProjectKind.PUBLIC_BENEFIT})))}
    for plan in plans:
        project = plan.project
        raised = project.budget_cents - sum(amount for _, amount in plan.funding)
        if plan.kind != ProjectKind.PUBLIC_BENEFIT or raised <= 0:
            continue
        published, approved = project.published_at, plan.award.approved_at
        at = published + (approved - published) * rng.uniform(0.1, 0.5)
        money.receive(owners[project.owner_id], _official_for(stage, project), project, raised, at=at,
                      confirmed_at=at + (approved - at) * 0.3)
        stage.counts["transfers_raised"] += 1
    grants: dict[int, int] = defaultdict(int)
    first: dict[int, datetime] = {}
    pools = {pool.row.id: pool for pool in stage.pools}
    for plan in plans:
        for pool, amount in plan.funding:
            if pool is not stage.social_fund:
                grants[pool.row.id] += amount
                first[pool.row.id] = min(first.get(pool.row.id, plan.award.approved_at), plan.award.approved_at)
    members: dict[int, User] = {}
    for user in session.scalars(select(User).where(User.role == Role.FUNDER, User.organization_id.in_(
            {pools[pool_id].row.funder_id for pool_id in grants})).order_by(User.id)):
        members.setdefault(user.organization_id, user)
    for pool_id in sorted(grants):
        pool = pools[pool_id].row
        at = min(pool.created_at + timedelta(days=1), first[pool_id] - timedelta(days=3))
        money.top_up(members[pool.funder_id], district, pool, max(grants[pool_id], MIN_TOPUP_CENTS), at=at,
                     confirmed_at=at + timedelta(days=1))
        stage.counts["top_ups_for_grants"] += 1
    _commitments_and_payouts(stage, plans)


@dataclass
class _Reservation:
    """A commitment while the history is replayed: what it still holds and what it paid."""

    commitment: FundingCommitment
    plan: _AwardPlan
    held: int
    paid: int = 0


def _commitments_and_payouts(stage: _Stage, plans: list[_AwardPlan]) -> None:
    """Commitments and payouts as ``market.review.awards`` and ``market.payments.services`` leave
    them: a paid milestone draws on the contract's reservations oldest first and a reservation
    drawn to nothing is paid (``_pay_from_commitments``); a completed contract gives back what its
    reservations still hold (``_settle_commitments``). Rows go in with their final status, then
    the ledger moves the money in the same steps."""
    session = stage.session
    reservations: list[_Reservation] = []
    drawn: list[tuple[Milestone, _Reservation, int]] = []  # (paid milestone, reservation, part)
    settled: list[tuple[_Reservation, int, datetime]] = []  # (reservation, given back, when)
    paid_milestones: list[tuple[_AwardPlan, Contract, Milestone]] = []
    for plan in plans:
        for contract in plan.contracts:
            paid_milestones += [(plan, contract, m) for m in contract.milestones if m.status == MilestoneStatus.PAID]
        if not plan.funding:
            continue
        contract = plan.contracts[0]  # funded projects (micro, public-benefit) have one contract
        approved = plan.award.approved_at
        mine = [_Reservation(FundingCommitment(pool_id=pool.row.id, project_id=plan.project.id,
                                               contract_id=contract.id, award_id=plan.award.id, amount_cents=amount,
                                               status=CommitmentStatus.RESERVED, created_at=approved,
                                               updated_at=approved), plan, amount)
                for pool, amount in plan.funding]
        reservations += mine
        for milestone in contract.milestones:
            if milestone.status != MilestoneStatus.PAID:
                continue
            due = milestone.amount_cents
            for reservation in mine:
                part = min(reservation.held, due)
                if part <= 0:
                    continue
                drawn.append((milestone, reservation, part))
                reservation.held -= part
                reservation.paid += part
                due -= part
                if reservation.held == 0:
                    reservation.commitment.status = CommitmentStatus.PAID
                    reservation.commitment.paid_at = milestone.paid_at
        if contract.status == ContractStatus.COMPLETED:
            last = max(m.paid_at for m in contract.milestones)
            for reservation in mine:
                if reservation.held:
                    settled.append((reservation, reservation.held, last))
                    commitment = reservation.commitment
                    commitment.status = CommitmentStatus.PAID if reservation.paid else CommitmentStatus.RELEASED
                    commitment.paid_at, commitment.released_at = (last, None) if reservation.paid else (None, last)
    commitments = [r.commitment for r in reservations]
    for commitment, commitment_id in zip(commitments, _bulk_insert(session, FundingCommitment, commitments, ids=True),
                                         strict=True):
        commitment.id = commitment_id
    payouts = []
    for plan, contract, milestone in paid_milestones:
        payouts.append(Payout(milestone_id=milestone.id, provider_id=contract.provider_id,
                              amount_cents=milestone.amount_cents, currency=money.CURRENCY,
                              method=PayoutMethod.BANK_TRANSFER, status=PayoutStatus.PAID,
                              idempotency_key=idempotency_key_for_payout(milestone), destination_account="",
                              attempts=0, last_error="", requested_at=milestone.approved_at,
                              requested_by_id=plan.official.id, paid_at=milestone.paid_at,
                              confirmed_by_id=plan.official.id, created_at=milestone.approved_at,
                              updated_at=milestone.paid_at))
    payout_ids = dict(zip((m.id for _, _, m in paid_milestones), _bulk_insert(session, Payout, payouts, ids=True),
                          strict=True))
    stage.counts["commitments"] += len(commitments)
    stage.counts["payouts"] += len(payouts)
    for reservation in reservations:  # the approval reserved the grant (market.review.awards._reserve)
        commitment, official = reservation.commitment, reservation.plan.official
        ledger.move(ledger.Movement.COMMITMENT, commitment.amount_cents, source=ledger.pool(commitment.pool_id),
                    target=ledger.commitment(commitment.id), actor=official,
                    reference_type="funding_commitments", reference_id=commitment.id, project_id=commitment.project_id,
                    memo=f"contract {commitment.contract_id}, award {commitment.award_id}", at=commitment.created_at)
    for milestone, reservation, part in drawn:
        commitment, official = reservation.commitment, reservation.plan.official
        policy.require(official, "payout.confirm", Scope(street_id=reservation.plan.project.street_id, district_id=reservation.plan.project.district_id))
        payout_id = payout_ids[milestone.id]
        ledger.move(ledger.Movement.PAYOUT, part, source=ledger.commitment(commitment.id), target=ledger.OUTSIDE,
                    actor=official, reference_type="payouts", reference_id=payout_id,
                    key=f"payout:{payout_id}:commitment:{commitment.id}", project_id=commitment.project_id,
                    at=milestone.paid_at)
    for reservation, left, when in settled:
        commitment, official = reservation.commitment, reservation.plan.official
        ledger.move(ledger.Movement.COMMITMENT_RELEASE, left, source=ledger.commitment(commitment.id),
                    target=ledger.pool(commitment.pool_id), actor=official,
                    reference_type="funding_commitments", reference_id=commitment.id,
                    key=f"commitment:{commitment.id}:settled", project_id=commitment.project_id, at=when)


def _bulk_insert(session: Session, model: Any, objects: list[Any], *, ids: bool = False) -> list[int]:
    """Insert transient objects' column values in one statement (ids returned in order if asked)."""
    if not objects:
        return []
    rows = []
    for obj in objects:
        row = {}
        for column in model.__table__.columns:
            if column.key == "id":
                continue
            value = getattr(obj, column.key)
            if value is None and column.default is not None:
                arg = column.default.arg
                value = arg(None) if callable(arg) else arg
            row[column.key] = value
        rows.append(row)
    stmt = insert(model).execution_options(render_nulls=True)
    if ids:
        return list(session.scalars(stmt.returning(model.id, sort_by_parameter_order=True), rows))
    session.execute(stmt, rows)
    return []


@dataclass
class _AwardPlan:
    award: Award
    contracts: list[Contract]
    funding: list[tuple[_Pool, int]]
    kind: ProjectKind
    official: User
    project: Project


def _providers_for(stage: _Stage, project: Project) -> list[tuple[Lot | None, Organization, int]] | None:
    """``(lot, provider, price)`` per unit: the winning bid, a direct commission or the applicant."""
    rng = stage.rng
    session = stage.session
    if project.kind == ProjectKind.PUBLIC_BENEFIT:
        org = session.get(Organization, project.organization_id) if project.organization_id else None
        return [(None, org, project.budget_cents)] if org is not None else None
    code = stage.codes[project.category_id]
    need = _Need.of(project, (project.published_at or REF).date())
    eligible = [o for o in stage.by_category.get(code, []) if o.eligible(need)]
    # Firms build and supply (works, goods); social organisations deliver services.
    suited = OrgKind.SOCIAL_ORGANISATION if project.project_type == "service" else OrgKind.ENTERPRISE
    eligible = [o for o in eligible if o.row.kind == suited] or eligible
    free = [o for o in eligible if o.load < o.capacity] or eligible
    if not free:
        return None
    if project.kind == ProjectKind.MICRO:
        org = rng.choice(free)
        org.load += project.status != ProjectStatus.COMPLETED
        return [(None, org.row, project.budget_cents)]
    lots = list(session.scalars(select(Lot).where(Lot.project_id == project.id).order_by(Lot.seq)))
    out = []
    published = project.published_at or (project.bid_deadline - timedelta(days=30))
    bids: list[Bid] = []
    for lot in (lots or [None]):
        winner = rng.choice(free)
        demo = next((o for o in eligible if o.id == stage.provider_user.organization_id), None)
        if demo is not None and project.status == ProjectStatus.IN_PROGRESS and not stage.demo_delivers:
            stage.demo_delivers = True
            winner = demo
        winner.load += project.status != ProjectStatus.COMPLETED
        losers = rng.sample([o for o in eligible if o is not winner], min(len(eligible) - 1, rng.randint(1, 3)))
        bid = _add_bid(stage, project, lot, winner, _moment(rng, published, project.bid_deadline - timedelta(hours=1)),
                       BidStatus.AWARDED, audit=False)
        bids.append(bid)
        for loser in losers:
            bids.append(_add_bid(stage, project, lot, loser,
                                 _moment(rng, published, project.bid_deadline - timedelta(hours=1)),
                                 BidStatus.NOT_AWARDED, audit=False))
        out.append((lot, winner.row, bid.price_cents))
    tender = stage.tenders.get(project.id)
    if tender is not None:
        _open(stage, project, tender, project.bid_deadline + timedelta(hours=rng.randint(2, 30)), bids, audit=False)
    return out


def _award_history(stage: _Stage, project: Project, units: list[tuple[Lot | None, Organization, int]]) -> _AwardPlan:
    rng = stage.rng
    official = _official_for(stage, project)
    policy.require(official, "match.decide", project)  # approves the award, signs, approves milestones
    status = ProjectStatus(project.status)
    start = project.start_date or (REF.date() + timedelta(days=20))
    end = project.end_date or (start + timedelta(days=180))
    if status == ProjectStatus.AWARDED:
        approved_at = REF - timedelta(days=rng.randint(0, 2), hours=rng.randint(1, 6))
    else:
        approved_at = datetime.combine(start - timedelta(days=rng.randint(12, 30)), datetime.min.time(),
                                       tzinfo=UTC) + timedelta(hours=rng.randint(1, 9))
    notice_ends_at = add_working_days(approved_at, awards.NOTICE_WORKING_DAYS)
    award_status = AwardStatus.IN_NOTICE if status == ProjectStatus.AWARDED else AwardStatus.CONFIRMED
    cost = sum(price for _, _, price in units)
    funding = _funding_plan(stage, project, cost)
    funded = sum(amount for _, amount in funding)
    public_benefit = project.kind == ProjectKind.PUBLIC_BENEFIT
    award = Award(project_id=project.id, status=award_status, approved_by_id=official.id, approved_at=approved_at,
                  notice_ends_at=notice_ends_at, amount_cents=(funded or cost) if public_benefit else cost,
                  funded_cents=funded,
                  closed_at=None if award_status == AwardStatus.IN_NOTICE else notice_ends_at + timedelta(hours=2),
                  reason=("项目经评审符合资助方向，资金按资助规则配置。" if public_benefit
                          else "综合评分最高，服务方案与项目需求契合，报价在预算之内。"),
                  explanation={"units": [_explained(stage, project, lot, org, price) for lot, org, price in units],
                               "funding": [{"pool_id": pool.row.id, "amount": amount} for pool, amount in funding],
                               "project_status_before": ProjectStatus.EVALUATING.value},
                  created_at=approved_at, updated_at=approved_at)
    stage.counts["awards"] += 1
    signed_at = notice_ends_at + timedelta(hours=rng.randint(2, 48))
    contracts = []
    for lot, org, price in units:
        amount = (funded or price) if public_benefit else price
        contract = Contract(project_id=project.id, lot_id=lot.id if lot else None, lot_seq=lot.seq if lot else 0,
                            provider_id=org.id, amount_cents=amount, notice_ends_at=notice_ends_at,
                            status=ContractStatus.IN_NOTICE, created_at=approved_at, updated_at=approved_at)
        if status != ProjectStatus.AWARDED:
            contract.status = ContractStatus.SIGNED if status == ProjectStatus.IN_PROGRESS else ContractStatus.COMPLETED
            contract.signed_at, contract.signed_by_id = signed_at, official.id
        for seq, title, title_en, due, part in contract_services.milestone_plan(amount, start, end):
            milestone = Milestone(seq=seq, title=title, title_en=title_en, due_date=due, amount_cents=part,
                                  status=MilestoneStatus.PLANNED, submission_note="", created_at=approved_at,
                                  updated_at=approved_at)
            _milestone_state(stage, milestone, status, official, org.id)
            contract.milestones.append(milestone)
        if status == ProjectStatus.COMPLETED:  # as the app completes it: with its last milestone's approval
            contract.ended_at = max(m.approved_at for m in contract.milestones)
        contracts.append(contract)
        stage.counts["contracts"] += 1
    return _AwardPlan(award, contracts, funding, ProjectKind(project.kind), official, project)


def _explained(stage: _Stage, project: Project, lot: Lot | None, org: Organization, price: int) -> dict[str, Any]:
    """Score components of a past award, as the console would have shown them."""
    rng = stage.rng
    budget = lot.budget_cents if lot else project.budget_cents
    components = {"text": round(rng.uniform(0.35, 0.75), 3), "category": rng.choice((1.0, 1.0, 0.7)),
                  "geography": rng.choice((1.0, 0.8, 0.5)), "reputation": round(rng.uniform(0.45, 0.7), 3),
                  "price": round(price_score(price, budget), 3), "delivery": round(rng.uniform(0.6, 0.85), 3),
                  "social_org": 1.0 if org.kind == OrgKind.SOCIAL_ORGANISATION else 0.0}
    return {"lot_id": lot.id if lot else None, "provider_id": org.id, "cost": price,
            "score": round(combine(components), 3), "components": components}


def _milestone_state(stage: _Stage, milestone: Milestone, status: ProjectStatus, official: User,
                     provider_id: int) -> None:
    """Milestones consistent with the project: all paid when completed, by due date when in progress."""
    rng = stage.rng
    due = datetime.combine(milestone.due_date, datetime.min.time(), tzinfo=UTC) + timedelta(hours=3)
    if status == ProjectStatus.AWARDED or (status == ProjectStatus.IN_PROGRESS and due > REF):
        return
    submitted = min(due + timedelta(days=rng.randint(0, 5)), REF - timedelta(hours=6))
    milestone.submitted_at = submitted
    milestone.submitted_by = _member(stage, provider_id)
    milestone.submission_note = "已按计划完成本阶段服务，服务台账、活动照片和满意度回访记录已上传。"
    if status == ProjectStatus.IN_PROGRESS and milestone.seq > 1 and rng.random() < 0.5:
        milestone.status = MilestoneStatus.SUBMITTED
        return
    approved = min(submitted + timedelta(days=rng.randint(1, 6)), REF - timedelta(hours=2))
    milestone.approved_at, milestone.approved_by_id = approved, official.id
    if status == ProjectStatus.IN_PROGRESS and milestone.seq > 1 and rng.random() < 0.5:
        milestone.status = MilestoneStatus.APPROVED
        return
    milestone.status = MilestoneStatus.PAID
    milestone.paid_at = min(approved + timedelta(days=rng.randint(1, 10)), REF - timedelta(hours=1))


def _funding_plan(stage: _Stage, project: Project, cost: int) -> list[tuple[_Pool, int]]:
    """Where the money of a micro or public-benefit project came from: the social fund (backing
    its recorded spending exactly), then pools with unbacked spending or money left."""
    if project.kind == ProjectKind.GOVERNMENT_SERVICE:
        return []  # the purchasing department's budget
    rng = stage.rng
    code = stage.codes[project.category_id]
    plan: list[tuple[_Pool, int]] = []
    need = cost
    social = stage.social_fund
    if stage.social_left and social.covers(code, project.street_id):
        amount = min(social.cap(cost) // YUAN * YUAN, stage.social_left, need)
        if amount > 0:
            plan.append((social, amount))
            stage.social_left -= amount
            need -= amount
    if need and rng.random() < 0.7:
        options = [p for p in stage.pools if p is not social and p.covers(code, project.street_id)
                   and p.backing >= min(need, p.cap(cost)) > 0]
        if options:
            pool = rng.choice(options)
            amount = min(need, pool.cap(cost))
            pool.backing -= amount
            plan.append((pool, amount))
    return plan


def _objection(stage: _Stage, award: Award, official: User, kind: str) -> None:
    filed = award.approved_at + timedelta(hours=5)
    objection = AwardObjection(award_id=award.id, submitted_by_id=stage.resident.id, submitted_at=filed,
                               text=OBJECTION_OPEN if kind == "open" else OBJECTION_DISMISSED,
                               status=AwardObjectionStatus.OPEN)
    if kind == "dismissed":
        objection.status = AwardObjectionStatus.DISMISSED
        objection.answer, objection.answered_by_id = ANSWER_DISMISSED, official.id
        objection.answered_at = filed + timedelta(hours=20)
    stage.session.add(objection)
    stage.counts[f"objections_{kind}"] += 1


# ---------------------------------------------------------------- a finished match run

#: Words the demo officials added to the matching vocabulary: (official, category, skill, word).
VOCABULARY_WORDS = (("street", "elderly_care", "居家养老", "帮老人洗澡"),
                    ("district", "elderly_care", "长者助餐", "老人饭堂"))


def _vocabulary(stage: _Stage) -> None:
    """Residents' everyday words for two skills, added by the officials through the console's service
    (so the runs below use them, and the vocabulary page shows who added what)."""
    categories = {code: category_id for category_id, code in stage.codes.items()}
    for n, (who, code, skill, word) in enumerate(VOCABULARY_WORDS):
        vocabulary.add_term(stage.officials[who], vocabulary.TermInput(
            category_id=categories[code], skill=skill, term=word, language="zh"), now=REF - timedelta(days=3 - n))


def _match_run(stage: _Stage) -> None:
    """The Futian Subdistrict official's runs: a first run, a forbid decision on one of its
    proposals, the re-run that respects it, and two of the re-run's proposals approved."""
    official = stage.officials["street"]
    ids = sorted(services.matchable_ids(official))
    if not ids:
        return
    first = services.start_run(official, ids, adapter.RunOptions(time_limit=30), now=REF - timedelta(hours=4))
    services.execute_run(first, now=REF - timedelta(hours=4))
    stage.counts["match_runs"] += 1
    overridden = next((p for p in first.proposals if p.units and p.units[0].get("provider_id") is not None), None)
    run = first
    if overridden is not None:
        services.add_decision(official, first, services.DecisionInput(
            project_id=overridden.project_id, kind=DecisionKind.FORBID,
            provider_id=int(overridden.units[0]["provider_id"]),
            reason="该机构上一周期同类项目的整改事项尚未完成，本轮暂不予考虑。"), now=REF - timedelta(hours=3))
        run = services.rerun(official, first, now=REF - timedelta(hours=3))
        services.execute_run(run, now=REF - timedelta(hours=3))
        stage.counts["match_runs"] += 1
    approved = 0
    for proposal in sorted(run.proposals, key=lambda p: (-p.score, p.project_id)):
        if approved == 2:
            break
        if proposal.status == MatchProposalStatus.PROPOSED and run.status == RunStatus.SUCCEEDED:
            awards.approve_proposal(official, proposal, reason="按撮合建议确定，评分依据见下。",
                                    now=REF - timedelta(hours=1))
            approved += 1
            stage.counts["awards_from_run"] += 1


# ---------------------------------------------------------------- third-party evaluations at acceptance

#: An evaluator that is not registered on the platform (its unified social credit code checks out).
OUTSIDE_EVALUATOR = ("深圳市鹏城社会服务评估中心", "52440300MJL0A4P7XW")
EVALUATION_SUMMARY = ("服务台账与活动记录基本完整，但满意度回访样本不足30%，部分服务对象未能联系核实；"
                      "建议补充回访并完善个案记录后重新提交验收。")
EVALUATION_REPORT = "%PDF-1.4\n% 第三方评估报告（演示）\n%%EOF\n".encode()


def _evaluations(stage: _Stage) -> None:
    """Two milestones reported done whose acceptance came with a third-party evaluation that failed,
    so they went back to their providers: one in Futian Subdistrict, evaluated by a verified
    organisation of the platform, one in another street by an evaluator not registered here.
    (Failed ones: a passed one would ask for a payout, which this stage leaves to the funding stage.)"""
    street_id = stage.officials["street"].street_id
    waiting = list(stage.session.scalars(
        select(Milestone).join(Contract, Milestone.contract_id == Contract.id)
        .where(Milestone.status == MilestoneStatus.SUBMITTED, Contract.status == ContractStatus.SIGNED)
        .order_by(Milestone.id)))
    here = next((m for m in waiting if m.contract.project.street_id == street_id), None)
    elsewhere = next((m for m in waiting if m.contract.project.street_id not in (None, street_id)), None)
    for milestone, registered in ((here, True), (elsewhere, False)):
        if milestone is None:
            continue
        contract = milestone.contract
        official = _official_for(stage, contract.project)
        evaluator = next((o.row for o in sorted(stage.orgs, key=lambda o: (-o.rating, o.id))
                          if o.id not in (contract.provider_id, official.organization_id)), None) if registered else None
        contract_services.accept_milestone(official, milestone, contract_services.EvaluationInput(
            conclusion=EvaluationConclusion.FAIL.value, summary=EVALUATION_SUMMARY,
            report=contract_services.Upload("第三方评估报告.pdf", EVALUATION_REPORT),
            evaluator_org_id=evaluator.id if evaluator is not None else None,
            evaluator_name="" if evaluator is not None else OUTSIDE_EVALUATOR[0],
            evaluator_credit_code="" if evaluator is not None else OUTSIDE_EVALUATOR[1]),
            storage_root=current_app.instance_path, now=REF - timedelta(minutes=30))
        stage.counts["evaluations_failed"] += 1
