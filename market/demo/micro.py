"""Demo stage of the resident micro-projects: one community of 福田街道 in each phase.

Runs after the base demo and the marketplace stage (``market.demo.loader.EXTRA_STAGES``);
deterministic (its own seeded generator, the fixed reference date of :mod:`market.demo.data`);
flushes, never commits. It goes through the services, so every step is validated and audited as
it would be in use, with the clock set by their ``now`` argument.

Around the reference date (2026-12-01), in 福田街道:

* 福山社区 (the demo resident's community) is **collecting** proposals for its own round: submitted ones
  with supports and comments, a near-duplicate pair, one sent back for changes and a draft; the demo
  resident can propose;
* the street's **street-wide round** (街道级, open to every community of 福田街道) is **voting** until
  31 December: six feasible proposals (one by the demo resident), Method of Equal Shares, at most three
  picks, 30 ballots of neighbours from 福山社区 and 福安社区; the demo resident has not voted yet;
* 岗厦社区 is **under review**: feasible, declined and merged proposals, two still waiting for the
  street official, and an expert panel (the district official and the demo funder) that scored;
* 皇岗社区 is in **public notice**: a knapsack vote counted greedily, results published, one answered
  and one unanswered objection;
* the first micro-project in progress of another community is in **implementation**: its 2026
  round is final and linked to it, the provider posted progress, one flag was answered and one is
  overdue (highlighted on the street official's dashboard); the demo resident follows it;
* the completed micro-project of 福山社区 is in **acceptance and rating**: the acceptance report is
  published and residents are rating the provider; the demo resident has not rated it yet;
* routing: the district official gives disability, education and health matters to their district
  departments; every submitted proposal and flag was routed and acknowledged in time, except the latest
  proposal of 福安社区: never acknowledged, it is escalated to the district (the queues show escalated
  items first, with a badge). Proposals still waiting for the review phase ran past their review clock.

New residents log in with the demo password as ``micro.<community>.<nn>@demo.futian.example``.
"""
from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.security import generate_password_hash

from market.accounts.models import Role, User
from market.contracts.models import MilestoneStatus
from market.core.audit import record
from market.core.state import transition
from market.demo import data as D
from market.geo.models import Category, Community, ProjectType, Street
from market.micro.models import (
    Acceptance,
    BallotType,
    FlagKind,
    MicroRound,
    Proposal,
    ProposalStatus,
    RoundPhase,
    SelectionRule,
)
from market.micro.services import evaluation, proposals, review, rounds, routing, supervision, voting
from market.micro.services.common import community_residents
from market.notifications.services import notify
from market.orgs.models import Organization
from market.projects.models import Project, ProjectKind, ProjectStatus

SEED = D.SEED + 7
REF = D.REFERENCE_TIME  # 2026-12-01 09:00 in Beijing
YUAN = 100
VOTING_CLOSES = datetime(2026, 12, 31, 15, 59, tzinfo=UTC)  # 23:59 on New Year's Eve in Beijing


@dataclass(frozen=True)
class Idea:
    """A proposal a resident might make."""

    project_type: str
    category: str
    title: str
    title_en: str
    description: str
    description_en: str
    place: str
    cost_yuan: int


def _idea(kind, category, title, title_en, description, description_en, place, cost) -> Idea:
    return Idea(kind, category, title, title_en, description, description_en, place, cost)


VOTING_IDEAS = (
    _idea("goods", "elderly_care", "长者饭堂适老化桌椅更新", "Elder-friendly tables and chairs for the seniors' canteen",
          "长者饭堂现有桌椅老旧、没有扶手，长者起身困难。建议更换带扶手的适老化桌椅40套，并加装防滑脚垫。",
          "The canteen's old chairs have no armrests and older diners struggle to stand up. Replace 40 sets with "
          "elder-friendly tables and chairs with armrests and non-slip feet.", "福山社区党群服务中心一楼长者饭堂", 180_000),
    _idea("works", "children_family", "儿童游乐场安全地垫及设施更新", "Safety mats and new equipment for the playground",
          "小区儿童游乐场地面为硬质地砖，滑梯油漆剥落。建议铺设EPDM安全地垫，更换滑梯和秋千。",
          "The playground has a hard tiled floor and the slide's paint is peeling. Lay EPDM safety mats and replace "
          "the slide and swings.", "福山花园中心广场", 420_000),
    _idea("works", "public_safety", "电动自行车集中充电棚", "A shelter for charging e-bikes",
          "居民在楼道内给电动车充电，存在火灾隐患。建议在小区东门建设带烟感和喷淋的集中充电棚，约60个充电位。",
          "Residents charge e-bikes in the stairwells, a fire risk. Build a charging shelter with smoke detectors and "
          "sprinklers at the east gate, about 60 charging points.", "福山花园东门空地", 650_000),
    _idea("service", "mental_health", "独居长者心理关爱小组", "Support groups for older people living alone",
          "为社区约80名独居长者开展每月两次的心理关爱小组和电话问候，由专业社工带领。",
          "Fortnightly support groups and phone calls for about 80 older people living alone, led by social "
          "workers.", "福山社区活动室", 120_000),
    _idea("works", "facilities_works", "楼道声控LED照明改造", "Sound-activated LED lighting in the stairwells",
          "1至8栋楼道照明不足，夜间上下楼不安全。建议更换声控LED灯共320盏。",
          "Stairwells of buildings 1-8 are poorly lit at night. Replace 320 lamps with sound-activated LEDs.",
          "福山花园1-8栋", 260_000),
    _idea("service", "community_education", "青少年暑期编程与阅读营", "Summer coding and reading camp for teenagers",
          "暑假期间为社区青少年开设编程入门和阅读分享营，共8周，每周三次。",
          "An eight-week summer camp, three afternoons a week: coding basics and reading circles for teenagers.",
          "福山社区书屋", 90_000),
)
VOTING_DECLINED = _idea("works", "facilities_works", "小区外墙整体翻新", "Repainting all façades of the estate",
                        "小区外墙面砖脱落，建议整体翻新外墙。", "Façade tiles are falling off; repaint all façades.",
                        "福山花园", 480_000)

COLLECTION_IDEAS = (
    _idea("goods", "culture_sports", "社区篮球场灯光及篮球架更新", "New lights and hoops for the basketball court",
          "篮球场夜间没有照明，篮球架锈蚀。建议更换LED球场灯和篮球架。",
          "The court has no lights at night and the hoops are rusty. Install LED floodlights and new hoops.",
          "福山社区篮球场", 160_000),
    _idea("works", "facilities_works", "无障碍坡道及扶手加装", "Ramps and handrails at building entrances",
          "3、5、7栋入口只有台阶，轮椅和婴儿车无法通行。建议修建无障碍坡道并加装扶手。",
          "Buildings 3, 5 and 7 have only steps at their entrances. Build ramps with handrails for wheelchairs and "
          "prams.", "福山小区3、5、7栋", 240_000),
    _idea("works", "facilities_works", "楼栋入口无障碍通道改造", "Step-free entrances for the older buildings",
          "老旧楼栋门口台阶高，坐轮椅的居民出入困难，希望改造成无障碍通道。",
          "The old buildings' entrances have high steps; residents in wheelchairs cannot get in or out.",
          "福山小区老楼", 210_000),
    _idea("service", "environment", "垃圾分类积分兑换活动", "Points for sorting waste",
          "每月开展一次垃圾分类积分兑换活动，提高分类准确率。",
          "A monthly points-for-sorting scheme to raise the share of correctly sorted waste.", "福山社区广场", 60_000),
    _idea("service", "elderly_care", "长者智能手机课堂", "Smartphone classes for older residents",
          "教长者使用健康码、线上挂号和视频通话，每期8课时，共6期。",
          "Six courses of eight lessons: health codes, booking doctors online and video calls.",
          "福山社区长者活动室", 45_000),
)
COLLECTION_DRAFT = _idea("goods", "community_education", "社区书屋增添绘本", "Picture books for the library",
                         "为社区书屋增添儿童绘本300册。", "Add 300 picture books for children.", "福山社区书屋", 30_000)

REVIEW_IDEAS = (
    _idea("works", "environment", "屋顶花园及雨水收集", "A roof garden with rainwater collection",
          "在社区服务中心屋顶建设共享花园，收集雨水用于浇灌。", "A shared roof garden watered with collected rain.",
          "岗厦社区服务中心屋顶", 380_000),
    _idea("goods", "public_safety", "老旧楼栋灭火器和应急灯更换", "New extinguishers and emergency lights",
          "为12栋老旧楼栋更换过期灭火器，加装应急照明灯。", "Replace expired extinguishers and add emergency lights "
          "in 12 older buildings.", "岗厦村12栋老楼", 150_000),
    _idea("service", "migrant_services", "来深建设者子女周末课堂", "Weekend classes for migrant workers' children",
          "为来深建设者子女提供周末作业辅导和兴趣课程。", "Homework help and hobby classes at weekends for the "
          "children of migrant workers.", "岗厦社区活动室", 110_000),
    _idea("service", "health", "社区义诊与慢病管理", "Free health checks and chronic-disease follow-up",
          "每月一次义诊，为高血压、糖尿病居民建立随访档案。", "A monthly free clinic and follow-up files for "
          "residents with hypertension or diabetes.", "岗厦社区健康服务中心", 95_000),
    _idea("works", "facilities_works", "岗厦村巷道排水改造", "Drainage for the lanes of Gangxia village",
          "雨季巷道积水严重，建议疏通并改造排水沟。", "Lanes flood in the rainy season; clear and rebuild the "
          "drains.", "岗厦村东区巷道", 720_000),
    _idea("goods", "culture_sports", "广场舞音响设备", "Sound system for square dancing",
          "为广场舞队购置低噪音音响设备。", "A low-noise sound system for the square-dancing groups.", "岗厦广场", 40_000),
)
REVIEW_DUPLICATE = _idea("goods", "public_safety", "楼道灭火器更新", "New fire extinguishers in the stairwells",
                         "楼道灭火器已过期，建议更换。", "The stairwell extinguishers have expired; replace them.",
                         "岗厦村老楼", 80_000)

NOTICE_IDEAS = (
    _idea("works", "facilities_works", "休闲座椅及遮阳棚", "Benches and sunshades on the square",
          "皇岗广场缺少座椅和遮阳，长者和家长无处休息。", "The square has no benches or shade for older people and "
          "parents.", "皇岗广场", 280_000),
    _idea("service", "children_family", "四点半课堂", "After-school club at half past four",
          "为双职工家庭的小学生提供放学后托管和作业辅导。", "After-school care and homework help for children of "
          "working parents.", "皇岗社区党群服务中心", 150_000),
    _idea("goods", "elderly_care", "长者活动室空调更换", "New air conditioning for the seniors' room",
          "长者活动室空调老化，夏天闷热。", "The seniors' room air conditioning is worn out.", "皇岗社区长者活动室",
          120_000),
    _idea("works", "environment", "垂直绿化墙", "A green wall", "在社区围墙建设垂直绿化。",
          "Plant a green wall on the community's boundary wall.", "皇岗社区围墙", 350_000),
    _idea("service", "legal_aid", "法律咨询进楼栋", "Legal advice in the buildings",
          "每月邀请律师进楼栋提供免费法律咨询。", "A lawyer gives free advice in a building every month.",
          "皇岗社区各楼栋", 48_000),
)

# Categories the district's departments answer (index into market.demo.data.DISTRICT_DEPARTMENTS).
DEPARTMENT_ROUTES = {"disability": 1, "community_education": 2, "youth": 2, "health": 3, "mental_health": 3,
                     "bereaved_families": 3}

FOLLOW_UP_IDEAS = (
    _idea("service", "community_governance", "邻里节系列活动", "Neighbourhood festival",
          "举办邻里节和百家宴。", "A neighbourhood festival and shared dinner.", "社区广场", 150_000),
    _idea("goods", "culture_sports", "户外健身器材更新", "New outdoor fitness equipment",
          "更换老化的户外健身器材。", "Replace worn outdoor fitness equipment.", "社区公园", 180_000),
)


def load_micro_demo(session: Session) -> None:
    """Add the micro-project demo on top of the base and marketplace demo (flushes, never commits)."""
    _Stage(session).run()


class _Stage:
    def __init__(self, session: Session) -> None:
        self.session = session
        self.rng = random.Random(SEED)  # noqa: S311 - seeded demo data, not security
        self.password_hash = generate_password_hash(D.DEMO_PASSWORD)
        self.upload_dir = Path(current_app.instance_path) / "uploads" / "micro"
        self.accounts = {a.key: session.scalar(select(User).where(User.email == a.email)) for a in D.DEMO_ACCOUNTS}
        self.official = self.accounts["street_official"]
        self.street = session.scalar(select(Street).where(Street.name == D.DEMO_STREET))
        self.categories = {c.code: c.id for c in session.scalars(select(Category))}
        self.used: set[int] = set()
        self.resident_counts: dict[int, int] = {}  # community id -> demo residents created so far

    def run(self) -> None:
        self._category_routes()
        home = self._community(D.DEMO_RESIDENT_COMMUNITY)
        # The resident's community's last round is final (its project accepted, being rated) before
        # its new round opens.
        accepted = self._delivered_project(ProjectStatus.COMPLETED, home)
        if accepted is not None:
            self._acceptance(accepted)
        neighbours = self._collection(home)
        self._voting(self._community("福安社区"), neighbours)
        self._review(self._community("岗厦社区"))
        self._notice(self._community("皇岗社区"))
        implementation = self._delivered_project(ProjectStatus.IN_PROGRESS)
        if implementation is not None:
            self._implementation(implementation)
        routing.escalate_overdue(now=REF)
        self.session.flush()

    def _acknowledge(self, item, when: datetime) -> None:
        """The office acknowledges (a department's item: the district official, who governs every street)."""
        routing.acknowledge(self.accounts["official"] if item.to_department else self.official, item, now=when)

    def _category_routes(self) -> None:
        """The district official gives some categories to their departments (before anything is routed)."""
        departments = [self.session.scalar(select(Organization).where(Organization.name == name))
                       for name, _en, _cats in D.DISTRICT_DEPARTMENTS]
        by_code = {c.code: c for c in self.session.scalars(select(Category))}
        official = self.accounts["official"]
        district = routing.map_district(official, None)
        for code, index in DEPARTMENT_ROUTES.items():
            routing.set_category_route(official, district, by_code[code], departments[index].id,
                                       now=REF - timedelta(days=400))

    # -- helpers -------------------------------------------------------------

    def _community(self, name: str) -> Community:
        community = self.session.scalar(select(Community).where(Community.name == name))
        self.used.add(community.id)
        return community

    def _at(self, days: float, hours: int = 0) -> datetime:
        """The reference time shifted by ``days`` (negative: before), at a random office-hours minute."""
        return REF + timedelta(days=days, hours=hours, minutes=self.rng.randrange(0, 360))

    def _residents(self, community: Community, count: int) -> list[User]:
        """Verified residents of ``community`` created for the demo (log in with the demo password)."""
        slug = "".join(ch for ch in community.name_en.removesuffix(" Community").lower() if ch.isalnum())
        verified = REF - timedelta(days=240)
        users = []
        first = self.resident_counts.get(community.id, 0) + 1
        self.resident_counts[community.id] = first + count - 1
        for n in range(first, first + count):
            name = self.rng.choice(D.SURNAMES) + "".join(self.rng.choice(D.GIVEN_NAME_CHARS)
                                                         for _ in range(self.rng.choice((1, 2, 2))))
            user = User(email=f"micro.{slug}.{n:02d}@{D.DEMO_EMAIL_DOMAIN}", display_name=name,
                        password_hash=self.password_hash, role=Role.RESIDENT.value, community_id=community.id,
                        verified_at=verified, verified_by_id=self.official.id, created_at=verified - timedelta(days=9),
                        updated_at=verified)
            self.session.add(user)
            users.append(user)
        self.session.flush()
        return users

    def _round(self, community: Community | None, title: str, title_en: str, year: int, budget_yuan: int,
               created: datetime) -> MicroRound:
        """A round of ``community``, or of the whole demo street when ``community`` is None."""
        return rounds.create_round(self.official, rounds.RoundInput(
            title=title, title_en=title_en, year=year, street_id=self.street.id,
            community_id=community.id if community is not None else None, budget_cents=budget_yuan * YUAN),
            now=created)

    def _propose(self, round_: MicroRound, author: User, idea: Idea, when: datetime, *, submit: bool = True,
                 cost_cents: int | None = None) -> Proposal:
        return proposals.create_proposal(author, round_, proposals.ProposalInput(
            title=idea.title, title_en=idea.title_en, description=idea.description,
            description_en=idea.description_en,
            category_id=self.categories[idea.category], project_type=ProjectType(idea.project_type),
            place=idea.place, estimated_cost_cents=cost_cents or idea.cost_yuan * YUAN),
            submit=submit, upload_dir=self.upload_dir, now=when)

    def _supports(self, round_: MicroRound, items: list[Proposal], residents: list[User], start: float,
                  end: float) -> None:
        for proposal in items:
            for resident in self.rng.sample(residents, self.rng.randint(2, min(12, len(residents)))):
                if resident.id != proposal.author_id:
                    proposals.support_proposal(resident, proposal, now=self._at(self.rng.uniform(start, end)))

    def _feasible(self, proposal: Proposal, when: datetime, factor: float = 1.0, reason: str = "") -> None:
        cost = int(round(proposal.estimated_cost_cents * factor / (1000 * YUAN))) * 1000 * YUAN
        review.review_proposal(self.official, proposal, review.ReviewDecision(
            review.ReviewOutcome.FEASIBLE, cost, reason), now=when)

    def _ballots(self, round_: MicroRound, voters: list[User], weights: list[float], start: float, end: float,
                 max_picks: int) -> None:
        """Each voter ticks 1..max_picks projects, likelier the heavier; knapsack ballots stop at the budget."""
        items = voting.feasible_proposals(round_)
        for voter in voters:
            picks: list[Proposal] = []
            total = 0
            for _ in range(self.rng.randint(1, max_picks)):
                choice = self.rng.choices(items, weights=weights)[0]
                if choice in picks:
                    continue
                if round_.ballot_type == BallotType.KNAPSACK and total + choice.cost_cents > round_.budget_cents:
                    continue
                picks.append(choice)
                total += choice.cost_cents
            voting.cast_ballot(voter, round_, [p.id for p in picks], now=self._at(self.rng.uniform(start, end)))

    # -- voting: the street-wide round, open to the demo resident and their neighbours ------------

    def _voting(self, neighbour: Community, home_residents: list[User]) -> None:
        round_ = self._round(None, "福田街道2027年街道级民生微实事", "Futian Subdistrict 2027 street-wide micro-projects",
                             2027, 1_200_000, self._at(-75))
        neighbours = self._residents(neighbour, 18)
        demo_resident = self.accounts["resident"]
        authors = [demo_resident, home_residents[9], neighbours[0], neighbours[1], home_residents[10], neighbours[2]]
        items = [self._propose(round_, author, idea, self._at(-70 + 4 * n))
                 for n, (author, idea) in enumerate(zip(authors, VOTING_IDEAS, strict=True))]
        declined = self._propose(round_, neighbours[3], VOTING_DECLINED, self._at(-50))
        voters = home_residents[:12] + neighbours[:18]
        self._supports(round_, items, voters, -48, -40)
        rounds.change_phase(self.official, round_, RoundPhase.REVIEW)
        for n, proposal in enumerate(items):
            self._feasible(proposal, self._at(-35 + n), factor=self.rng.choice((0.9, 1.0, 1.0, 1.1)))
        review.review_proposal(self.official, declined, review.ReviewDecision(
            review.ReviewOutcome.DECLINED, reason="外墙翻新属于物业专项维修资金范围，不能使用民生微实事经费。"),
            now=self._at(-28))
        rounds.open_voting(self.official, round_, rounds.VotingSetup(
            budget_cents=1_200_000 * YUAN, opens_at=REF - timedelta(days=21), closes_at=VOTING_CLOSES,
            ballot_type=BallotType.APPROVAL, rule=SelectionRule.MES_ADD1_GREEDY, max_picks=3,
            notice_working_days=5), now=REF - timedelta(days=21))
        self._ballots(round_, voters, [5, 6, 4, 5, 3, 2], -20, -6, 3)

    # -- collection ----------------------------------------------------------

    def _collection(self, community: Community) -> list[User]:
        """The demo resident's community collects proposals; returns the neighbours created for it."""
        round_ = self._round(community, "福山社区2027年民生微实事", "Fushan Community 2027 micro-projects", 2027,
                             1_500_000, self._at(-30))
        residents = self._residents(community, 14)
        items = [self._propose(round_, residents[n], idea, self._at(-27 + 3 * n))
                 for n, idea in enumerate(COLLECTION_IDEAS)]
        self._propose(round_, residents[6], COLLECTION_DRAFT, self._at(-3), submit=False)
        for proposal in items[:-1]:  # the last one waits: never acknowledged, it is escalated
            self._acknowledge(routing.item_of(proposal=proposal), proposal.submitted_at + timedelta(hours=20))
        self._supports(round_, items, residents, -12, -1)
        for n, text in enumerate(("支持！我家老人坐轮椅，每次出门都要邻居帮忙抬。", "建议和另一个坡道提议合并，一起做。")):
            proposals.add_proposal_comment(residents[8 + n], items[1], text, now=self._at(-9 + n))
        review.review_proposal(self.official, items[3], review.ReviewDecision(
            review.ReviewOutcome.NEEDS_CHANGES, reason="请写明活动的频次、地点和预计参与人数，并附上积分兑换的物品清单。"),
            now=self._at(-4))
        return residents

    # -- review --------------------------------------------------------------

    def _review(self, community: Community) -> None:
        round_ = self._round(community, "岗厦社区2027年民生微实事", "Gangxia Community 2027 micro-projects", 2027,
                             1_600_000, self._at(-60))
        residents = self._residents(community, 12)
        items = [self._propose(round_, residents[n], idea, self._at(-55 + 3 * n))
                 for n, idea in enumerate(REVIEW_IDEAS)]
        duplicate = self._propose(round_, residents[7], REVIEW_DUPLICATE, self._at(-36))
        self._supports(round_, items + [duplicate], residents, -34, -23)
        rounds.change_phase(self.official, round_, RoundPhase.REVIEW)
        proposals.merge_proposals(self.official, duplicate, items[1], now=self._at(-20))
        for n in (0, 1, 2):
            self._feasible(items[n], self._at(-19 + n), factor=(0.95, 1.0, 1.0)[n])
        review.review_proposal(self.official, items[4], review.ReviewDecision(
            review.ReviewOutcome.DECLINED, reason="排水改造估算约72万元，已由区水务局纳入2027年城中村排水专项，不重复立项。"),
            now=self._at(-16))
        for proposal in (items[3], items[5]):  # still waiting for their review, but acknowledged in time
            self._acknowledge(routing.item_of(proposal=proposal), proposal.submitted_at + timedelta(hours=20))
        panel = [self.accounts["official"], self.accounts["funder"]]
        for member in panel:
            review.invite_panel_member(self.official, round_, member.email, now=self._at(-15))
        for member in panel:
            for proposal in items[:3]:
                review.score_proposal(member, proposal, {c: self.rng.randint(3, 5) for c in
                                                         ("need", "feasibility", "value_for_money", "reach")},
                                      "", now=self._at(-12))

    # -- public notice -------------------------------------------------------

    def _notice(self, community: Community) -> None:
        round_ = self._round(community, "皇岗社区2027年民生微实事", "Huanggang Community 2027 micro-projects", 2027,
                             600_000, self._at(-95))
        residents = self._residents(community, 28)
        items = [self._propose(round_, residents[n], idea, self._at(-90 + 3 * n)) for n, idea in enumerate(NOTICE_IDEAS)]
        self._supports(round_, items, residents, -70, -60)
        rounds.change_phase(self.official, round_, RoundPhase.REVIEW)
        for n, proposal in enumerate(items):
            self._feasible(proposal, self._at(-45 + n))
        closes = REF - timedelta(days=7) + timedelta(hours=1)  # Tuesday 24 November, 10:00 in Beijing
        rounds.open_voting(self.official, round_, rounds.VotingSetup(
            budget_cents=600_000 * YUAN, opens_at=REF - timedelta(days=28), closes_at=closes,
            ballot_type=BallotType.KNAPSACK, rule=SelectionRule.GREEDY, notice_working_days=7),
            now=REF - timedelta(days=28))
        self._ballots(round_, residents[:26], [6, 5, 4, 2, 3], -27, -8, 3)
        voting.close_voting(self.official, round_, now=closes)
        missed = next((r.proposal for r in round_.results if not r.selected), round_.results[-1].proposal)
        first = voting.file_objection(residents[26], round_, f"“{missed.title}”为什么没有入选？我身边很多邻居都支持。",
                                      now=self._at(-6))
        voting.file_objection(residents[27], round_, "入选项目的后期维护费用由谁承担？建议一并公示维护方案。",
                              now=self._at(-5))
        voting.answer_objection(self.official, first, "本轮按得票从高到低、在预算内依次入选；该项目得票较少，轮到它时剩余预算"
                                                      "已不足以支付其费用。计票明细已公示，也可下载Pabulib文件自行复核。",
                                now=self._at(-4))

    # -- implementation and acceptance ------------------------------------------

    def _delivered_project(self, status: ProjectStatus, home: Community | None = None) -> Project | None:
        """The first micro-project of the street in ``status``, with a provider engaged: in ``home`` if it has
        one, else in a community not used yet."""
        candidates = list(self.session.scalars(
            select(Project).where(Project.kind == ProjectKind.MICRO, Project.status == status,
                                  Project.street_id == self.street.id, Project.community_id.is_not(None))
            .order_by(Project.id)))
        if home is not None:
            candidates.sort(key=lambda p: p.community_id != home.id)
        for project in candidates:
            if supervision.contract_of(project) is None:
                continue
            if project.community_id in self.used and (home is None or project.community_id != home.id):
                continue
            self.used.add(project.community_id)
            return project
        return None

    def _final_round(self, project: Project, created: float) -> list[User]:
        """The 2026 round that selected ``project``: the project's proposal won, two others did not."""
        community = project.community
        # The budget leaves room for the winner only, so that the others (each dearer than the rest)
        # are not selected and need no project of their own.
        budget_yuan = project.budget_cents // YUAN + 120_000
        round_ = self._round(community, f"{community.name}2026年民生微实事", f"{community.name_en} 2026 micro-projects",
                             2026, budget_yuan, self._at(created))
        residents = self._residents(community, 12)
        idea = Idea(project.project_type, project.category.code, project.title, project.title_en, project.description,
                    project.description_en, community.name, project.budget_cents // YUAN)
        winner = self._propose(round_, residents[0], idea, self._at(created + 5), cost_cents=project.budget_cents)
        others = [self._propose(round_, residents[n + 1], idea, self._at(created + 8 + n))
                  for n, idea in enumerate(FOLLOW_UP_IDEAS)]
        rounds.change_phase(self.official, round_, RoundPhase.REVIEW)
        review.review_proposal(self.official, winner, review.ReviewDecision(
            review.ReviewOutcome.FEASIBLE, project.budget_cents), now=self._at(created + 20))
        for proposal in others:
            self._feasible(proposal, self._at(created + 21))
        opens, closes = REF + timedelta(days=created + 30), REF + timedelta(days=created + 44)
        rounds.open_voting(self.official, round_, rounds.VotingSetup(
            budget_cents=budget_yuan * YUAN, opens_at=opens, closes_at=closes, rule=SelectionRule.GREEDY), now=opens)
        for voter in residents:
            picks = [winner] + [p for p in others if self.rng.random() < 0.35]
            voting.cast_ballot(voter, round_, [p.id for p in picks],
                               now=opens + timedelta(days=self.rng.uniform(0.5, 13)))
        voting.close_voting(self.official, round_, now=closes)
        # Results final, as voting.finalise_results records them; but the winner is already a project
        # (the marketplace engaged its provider since), so the demo links it rather than opening a new one.
        round_.results_final_at = round_.notice_ends_at
        for row in round_.results:
            transition(row.proposal, ProposalStatus.SELECTED if row.selected else ProposalStatus.NOT_SELECTED,
                       actor=self.official,
                       action="micro.proposal_selected" if row.selected else "micro.proposal_not_selected",
                       after={"round_id": round_.id})
        winner.project_id = project.id
        transition(round_, RoundPhase.FINAL, actor=self.official, action="micro.results_final",
                   after={"projects": [project.id]})
        return residents

    def _implementation(self, project: Project) -> None:
        residents = self._final_round(project, -330)
        contract = supervision.contract_of(project)
        member = self.session.scalar(select(User).where(User.organization_id == contract.provider_id,
                                                        User.role == Role.PROVIDER).order_by(User.id).limit(1))
        if member is None:
            member = User(email=f"micro.provider{contract.provider_id}@{D.DEMO_EMAIL_DOMAIN}", display_name="项目负责人",
                          password_hash=self.password_hash, role=Role.PROVIDER.value,
                          organization_id=contract.provider_id)
            self.session.add(member)
            self.session.flush()
        for follower in [self.accounts["resident"], *residents[:4]]:
            supervision.follow_project(follower, project, now=self._at(-40))
        planned = [m for m in contract.milestones if m.status == MilestoneStatus.PLANNED]
        supervision.post_update(member, project, supervision.UpdateInput(
            "材料已进场，完成现场放样和安全围挡。", 30), upload_dir=self.upload_dir, now=self._at(-30))
        supervision.post_update(member, project, supervision.UpdateInput(
            "主体安装完成约六成，本周完成剩余部分并自检。", 60, planned[0].id if planned else None),
            upload_dir=self.upload_dir, now=self._at(-9))
        safety = supervision.raise_flag(residents[5], project, FlagKind.SAFETY, "施工区域围挡有缺口，放学时孩子会从缺口穿过。",
                                        now=self._at(-15))
        supervision.answer_flag(self.official, safety, "已通知施工方当天补齐围挡，并在放学时段安排专人值守。",
                                now=self._at(-14))
        delay = supervision.raise_flag(residents[6], project, FlagKind.DELAY, "已经一周没有看到工人施工了，什么时候能完工？",
                                       now=self._at(-12))
        self._acknowledge(routing.item_of(flag=delay), delay.created_at + timedelta(hours=3))
        supervision.add_project_comment(residents[7], project, "希望完工后能公布验收结果。", now=self._at(-11))
        supervision.add_project_comment(member, project, "完工后将邀请居民代表参加验收。", now=self._at(-10))

    def _acceptance(self, project: Project) -> None:
        residents = self._final_round(project, -400)
        accepted_at = REF - timedelta(days=6)
        acceptance = Acceptance(project_id=project.id, official_id=self.official.id, accepted_at=accepted_at,
                                report="街道办、社区居委会和居民代表5人现场验收：项目按合同内容全部完成，质量合格，"
                                       "资料齐全，同意通过验收。",
                                rating_opens_at=accepted_at,
                                rating_closes_at=accepted_at + timedelta(days=evaluation.DEFAULT_RATING_DAYS))
        self.session.add(acceptance)
        self.session.flush()
        record(self.official, "micro.project_accepted", acceptance,
               after={"project_id": project.id, "rating_closes_at": acceptance.rating_closes_at})
        notify(community_residents(project.community_id), "micro.rating_open",
               {"project": project.title, "project_en": project.title_en,
                "closes_at": acceptance.rating_closes_at.isoformat()},
               f"/micro/projects/{project.id}/rate", now=accepted_at)
        comments = ("施工认真，工期准时。", "效果不错，就是施工期间噪音有点大。", "", "希望后续维护也能跟上。", "", "")
        for n, resident in enumerate(residents[:6]):
            stars = {c: self.rng.choice((3, 4, 4, 5, 5)) for c in
                     ("quality", "timeliness", "communication", "value_for_money")}
            evaluation.rate_project(resident, project, stars, comments[n], now=accepted_at + timedelta(days=n + 1))



# ---------------------------------------------------------------- category suggestion: what it learns from

def demo_ideas() -> list[Idea]:
    """Every proposal text of this demo stage, in a fixed order."""
    return [*VOTING_IDEAS, VOTING_DECLINED, *COLLECTION_IDEAS, COLLECTION_DRAFT, *REVIEW_IDEAS, REVIEW_DUPLICATE,
            *NOTICE_IDEAS, *FOLLOW_UP_IDEAS]


def held_aside_ideas() -> list[Idea]:
    """Every third demo proposal, kept out of training to measure the category suggestion on."""
    return demo_ideas()[2::3]


def classifier_training_examples() -> list:
    """What the category suggestion learns from on the demo database, without the held-aside proposals:
    the categories' names and keywords, the other demo proposals and the demo projects' texts."""
    from market.micro.services.classification import seed_examples, text_of
    from matching.classify import Example

    held = {idea.title for idea in held_aside_ideas()}
    examples = seed_examples()
    examples += [Example(text_of(i.title, i.description, i.title_en, i.description_en), i.category)
                 for i in demo_ideas() if i.title not in held]
    projects = [Example(text_of(t[0], t[4], t[1], t[5]), code)
                for code, templates in D.SERVICE_TEMPLATES.items() for t in templates]
    projects += [Example(text_of(t[2], t[4], t[3], t[5]), t[1]) for t in (*D.GOODS_WORKS_TEMPLATES, *D.MICRO_TEMPLATES)]
    # Some demo proposals share their title with a project's: those projects stay out too.
    return examples + [e for e in projects if not any(title in e.text for title in held)]


def held_aside_examples() -> list:
    """The held-aside demo proposals as residents wrote them (title and description)."""
    from market.micro.services.classification import text_of
    from matching.classify import Example

    return [Example(text_of(i.title, i.description), i.category) for i in held_aside_ideas()]
