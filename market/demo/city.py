"""Build the deterministic Shenzhen data set: the ten districts of the city on one installation.

``flask demo load --city`` lays out the city's ten districts with their 74 streets and about 680
communities; each district with its civil-affairs bureau, its officials (a district-wide one, one of the
bureau's finance office, one per street office) and its social-construction fund; about 5,000
organisations; 30,000 projects a year over three years; 2,000 micro-project rounds with their ballots.
``fraction`` (``--city-scale``) scales the organisations, projects and rounds (geography and officials
stay whole), so that tests load a small slice of the same city.

How it is built (the same conventions as :mod:`market.demo.loader`, at a size where one service call
per row would take hours):

* places, organisations, people, projects, proposals and ballots go in with bulk inserts, each row
  drawn so that it satisfies what the services check (an official placed with
  :func:`market.accounts.services.place_official`; every project, organisation and official in a
  district; a project's community in its street; a ballot only from a verified resident of the round's
  community, one per voter, choosing only the round's feasible proposals, within the round's picks);
* money only through the services and the ledger: each district's fund is opened with
  :func:`market.funds.services.create_pool` and receives an appropriation one official of the bureau
  requests and its finance official confirms (:mod:`market.demo.money`);
* every verified or refused organisation has the audit event of its decision, made by an official
  of its district whom the policy allows to decide;
* rounds whose voting closed are counted through :func:`market.micro.services.voting.close_voting`:
  the round's rule, the results, the phase change through the transition helper and its audit event;
  those whose public notice ended are made final by :func:`~market.micro.services.voting.finalise_results`,
  which turns their selected proposals into micro-projects (one round under way per community at most).

Every value comes from ``random.Random(SEED)`` in a fixed order, and dates lie around the demo's
reference date, so two loads into empty databases give the same rows.
"""
from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session
from werkzeug.security import generate_password_hash

from market.accounts.models import Role, User
from market.accounts.services import place_official
from market.core import policy
from market.core.audit import record
from market.core.policy import Scope
from market.demo import data as D
from market.demo import money
from market.demo.loader import DemoLoadError, database_contents, ensure_categories, summary_counts
from market.funds import services as pools
from market.geo.models import Community, District, Street
from market.geo.taxonomy import CATEGORIES
from market.micro.models import (
    Ballot,
    BallotChoice,
    MicroRound,
    Proposal,
    ProposalStatus,
    RoundPhase,
    SelectionRule,
)
from market.micro.services import voting
from market.orgs.models import Organization, OrgKind, VerificationState, organization_categories
from market.projects.models import Project, ProjectKind, ProjectStatus

SEED = D.SEED + 440300  # Shenzhen's division code: another stream than the Futian demo's
CITY_EMAIL_DOMAIN = "demo.shenzhen.example"
ORGANISATIONS = 5_000
PROJECTS_PER_YEAR = 30_000
YEARS = (2024, 2025, 2026)
ROUNDS = 2_000
COMMUNITIES = 680
RESIDENTS_PER_ROUND_COMMUNITY = 20
FUND_CENTS = 100_000_000 * 100  # each district's social-construction fund for the year: ¥100 million
CHUNK = 5_000

# (GB/T 2260 code, name, English name, e-mail slug, streets (name, English name)). 大鹏新区 is a
# functional area without a code of its own; it uses the city's code with a suffix.
DISTRICTS: tuple[tuple[str, str, str, str, tuple[tuple[str, str], ...]], ...] = (
    ("440304", "福田区", "Futian District", "futian", (
        ("园岭街道", "Yuanling"), ("南园街道", "Nanyuan"), ("福田街道", "Futian"), ("沙头街道", "Shatou"),
        ("香蜜湖街道", "Xiangmihu"), ("梅林街道", "Meilin"), ("莲花街道", "Lianhua"), ("华富街道", "Huafu"),
        ("福保街道", "Fubao"), ("华强北街道", "Huaqiangbei"))),
    ("440303", "罗湖区", "Luohu District", "luohu", (
        ("桂园街道", "Guiyuan"), ("黄贝街道", "Huangbei"), ("东门街道", "Dongmen"), ("翠竹街道", "Cuizhu"),
        ("南湖街道", "Nanhu"), ("笋岗街道", "Sungang"), ("东湖街道", "Donghu"), ("莲塘街道", "Liantang"),
        ("东晓街道", "Dongxiao"), ("清水河街道", "Qingshuihe"))),
    ("440305", "南山区", "Nanshan District", "nanshan", (
        ("南头街道", "Nantou"), ("南山街道", "Nanshan"), ("沙河街道", "Shahe"), ("蛇口街道", "Shekou"),
        ("招商街道", "Zhaoshang"), ("粤海街道", "Yuehai"), ("桃源街道", "Taoyuan"), ("西丽街道", "Xili"))),
    ("440308", "盐田区", "Yantian District", "yantian", (
        ("沙头角街道", "Shatoujiao"), ("海山街道", "Haishan"), ("盐田街道", "Yantian"), ("梅沙街道", "Meisha"))),
    ("440306", "宝安区", "Bao'an District", "baoan", (
        ("新安街道", "Xin'an"), ("西乡街道", "Xixiang"), ("航城街道", "Hangcheng"), ("福永街道", "Fuyong"),
        ("福海街道", "Fuhai"), ("沙井街道", "Shajing"), ("新桥街道", "Xinqiao"), ("松岗街道", "Songgang"),
        ("燕罗街道", "Yanluo"), ("石岩街道", "Shiyan"))),
    ("440307", "龙岗区", "Longgang District", "longgang", (
        ("平湖街道", "Pinghu"), ("坂田街道", "Bantian"), ("布吉街道", "Buji"), ("南湾街道", "Nanwan"),
        ("横岗街道", "Henggang"), ("龙城街道", "Longcheng"), ("龙岗街道", "Longgang"), ("坪地街道", "Pingdi"),
        ("吉华街道", "Jihua"), ("宝龙街道", "Baolong"), ("园山街道", "Yuanshan"))),
    ("440309", "龙华区", "Longhua District", "longhua", (
        ("观湖街道", "Guanhu"), ("民治街道", "Minzhi"), ("龙华街道", "Longhua"), ("大浪街道", "Dalang"),
        ("福城街道", "Fucheng"), ("观澜街道", "Guanlan"))),
    ("440310", "坪山区", "Pingshan District", "pingshan", (
        ("坪山街道", "Pingshan"), ("马峦街道", "Maluan"), ("碧岭街道", "Biling"), ("石井街道", "Shijing"),
        ("坑梓街道", "Kengzi"), ("龙田街道", "Longtian"))),
    ("440311", "光明区", "Guangming District", "guangming", (
        ("光明街道", "Guangming"), ("公明街道", "Gongming"), ("新湖街道", "Xinhu"), ("凤凰街道", "Fenghuang"),
        ("玉塘街道", "Yutang"), ("马田街道", "Matian"))),
    ("440300DP", "大鹏新区", "Dapeng New District", "dapeng", (
        ("葵涌街道", "Kuichong"), ("大鹏街道", "Dapeng"), ("南澳街道", "Nan'ao"))),
)

# Stems of community names (社区) with their pinyin, drawn without repetition within a street.
_STEMS = (
    "东湖:Donghu 西岭:Xiling 南园:Nanyuan 北环:Beihuan 新村:Xincun 上围:Shangwei 下屋:Xiawu 水围:Shuiwei 田心:Tianxin 石龙:Shilong "
    "沙湾:Shawan 碧海:Bihai 翠湖:Cuihu 金田:Jintian 银湖:Yinhu 荔枝:Lizhi 松坪:Songping 竹林:Zhulin 梅园:Meiyuan 桃花:Taohua "
    "杏林:Xinglin 海滨:Haibin 山海:Shanhai 港湾:Gangwan 龙井:Longjing 凤岗:Fenggang 鹤洲:Hezhou 鹏程:Pengcheng 华侨:Huaqiao "
    "振兴:Zhenxing 和平:Heping 长安:Chang'an 永丰:Yongfeng 兴华:Xinghua 富民:Fumin 安乐:Anle 福安:Fu'an 祥和:Xianghe 怡景:Yijing "
    "丽水:Lishui 锦绣:Jinxiu 春华:Chunhua 秋实:Qiushi 清泉:Qingquan 明珠:Mingzhu 晨光:Chenguang 星河:Xinghe 彩虹:Caihong "
    "阳光:Yangguang 文锦:Wenjin 书香:Shuxiang 景苑:Jingyuan 新湖:Xinhu 岭下:Lingxia 塘尾:Tangwei 坳背:Aobei 围仔:Weizai 大围:Dawei "
    "老街:Laojie 渔村:Yucun 湖贝:Hubei 向西:Xiangxi 黄木:Huangmu 岗头:Gangtou 蚝业:Haoye 白石:Baishi 红岭:Hongling 玉田:Yutian "
    "金龙:Jinlong 宝华:Baohua"
)
COMMUNITY_STEMS: tuple[tuple[str, str], ...] = tuple(tuple(pair.split(":")) for pair in _STEMS.split())  # type: ignore[misc]

KIND_SHARES = {OrgKind.SOCIAL_ORGANISATION: 60, OrgKind.FOUNDATION: 22, OrgKind.ENTERPRISE: 18}
PROJECT_KIND_SHARES = {ProjectKind.GOVERNMENT_SERVICE: 40, ProjectKind.PUBLIC_BENEFIT: 25, ProjectKind.MICRO: 35}
PAST_STATUSES = {ProjectStatus.COMPLETED: 86, ProjectStatus.CANCELLED: 5, ProjectStatus.IN_PROGRESS: 9}
CURRENT_STATUSES = {ProjectStatus.DRAFT: 4, ProjectStatus.OPEN: 24, ProjectStatus.EVALUATING: 9,
                    ProjectStatus.AWARDED: 10, ProjectStatus.IN_PROGRESS: 28, ProjectStatus.COMPLETED: 22,
                    ProjectStatus.CANCELLED: 3}
# Most communities count by votes; some by equal shares (its completion is the slowest rule to count).
ROUND_RULES = {SelectionRule.GREEDY: 8, SelectionRule.MES_ADD1_GREEDY: 1, SelectionRule.MES: 1}
PROJECT_WORDS = (("服务项目", "service"), ("能力建设项目", "capacity building"), ("关爱行动", "care programme"),
                 ("示范点建设", "model site"), ("社区行动计划", "community action plan"))
PROPOSAL_WORDS = (("设施更新", "facility renewal", "goods"), ("活动室改造", "activity room refit", "works"),
                  ("系列活动", "activity series", "service"), ("便民服务点", "neighbourhood service point", "service"),
                  ("设备添置", "new equipment", "goods"))


def _scaled(n: int, fraction: float) -> int:
    return max(1, round(n * fraction))


def _weighted(rng: random.Random, weights: dict[Any, int]) -> Any:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _moment(rng: random.Random, day: date) -> datetime:
    """A time during Beijing office hours (01:00–09:59 UTC) on ``day``."""
    return datetime(day.year, day.month, day.day, rng.randint(1, 9), rng.randrange(60), tzinfo=UTC)


def _chunks(rows: list[dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
    for start in range(0, len(rows), CHUNK):
        yield rows[start:start + CHUNK]


@dataclass(eq=False)
class _District:
    code: str
    zh: str
    en: str
    slug: str
    id: int = 0
    streets: list[dict[str, Any]] = field(default_factory=list)
    department_id: int = 0
    official: User | None = None
    finance: User | None = None
    street_officials: dict[int, User] = field(default_factory=dict)  # street id -> official
    providers: list[tuple[int, int, int]] = field(default_factory=list)  # (org id, member id, home street id)


def load_city(session: Session, fraction: float = 1.0) -> dict[str, int]:
    """Load the Shenzhen data set (``fraction`` of its organisations, projects and rounds) into an empty
    database and return row counts. ``session`` must be the application's ``db.session``; the caller
    commits. Raises :class:`DemoLoadError` when the database is not empty."""
    if not 0 < fraction <= 1:
        raise ValueError("fraction must be more than 0 and at most 1")
    contents = database_contents(session)
    if any(contents.values()):
        present = ", ".join(f"{n} {name}" for name, n in contents.items() if n)
        raise DemoLoadError(f"the database is not empty ({present})")
    _CityBuilder(session, fraction).run()
    counts = summary_counts(session)
    counts["micro_rounds"] = session.scalar(select(func.count(MicroRound.id))) or 0
    counts["micro_proposals"] = session.scalar(select(func.count(Proposal.id))) or 0
    counts["micro_ballots"] = session.scalar(select(func.count(Ballot.id))) or 0
    return counts


class _CityBuilder:
    def __init__(self, session: Session, fraction: float) -> None:
        self.session = session
        self.fraction = fraction
        self.rng = random.Random(SEED)
        self.password_hash = generate_password_hash(D.DEMO_PASSWORD)
        self.category_ids: dict[str, int] = {}
        self.category_codes = [code for code, _, _ in CATEGORIES]
        self.category_zh = {code: zh for code, zh, _ in CATEGORIES}
        self.category_en = {code: en for code, _, en in CATEGORIES}
        self.districts = [_District(code, zh, en, slug) for code, zh, en, slug, _ in DISTRICTS]
        self.communities: list[dict[str, Any]] = []
        self.admin: User | None = None

    def run(self) -> None:
        self.category_ids = ensure_categories(self.session)
        self._geography()
        self._departments()
        self._officials()
        self._organisations()
        self._funds()
        projects = self._projects()
        rounds = self._rounds()
        record(None, "demo.city_loaded", object_type="system", object_id="city",
               after={"seed": SEED, "fraction": self.fraction, "districts": len(self.districts),
                      "projects": projects, "rounds": rounds, "reference_date": D.REFERENCE_DATE})

    # -- geography -----------------------------------------------------------

    def _geography(self) -> None:
        ids = self.session.scalars(insert(District).returning(District.id, sort_by_parameter_order=True),
                                   [{"code": d.code, "name": d.zh, "name_en": d.en} for d in self.districts]).all()
        street_rows = []
        for district, district_id, (*_, streets) in zip(self.districts, ids, DISTRICTS, strict=True):
            district.id = district_id
            for number, (zh, en) in enumerate(streets, start=1):
                street_rows.append({"district_id": district_id, "code": f"{district.code}{number:03d}", "name": zh,
                                    "name_en": f"{en} Subdistrict"})
        street_ids = self.session.scalars(insert(Street).returning(Street.id, sort_by_parameter_order=True),
                                          street_rows).all()
        streets = [{**row, "id": street_id} for row, street_id in zip(street_rows, street_ids, strict=True)]
        for district in self.districts:
            district.streets = [s for s in streets if s["district_id"] == district.id]
        # About 680 communities: each street gets 9 or 10, a few more or fewer.
        per_street = COMMUNITIES / len(streets)
        community_rows = []
        for index, street in enumerate(streets):
            count = max(4, round(per_street * (index + 1)) - round(per_street * index) + self.rng.randint(-2, 2))
            for number, (zh, en) in enumerate(self.rng.sample(COMMUNITY_STEMS, count), start=1):
                community_rows.append({"street_id": street["id"], "code": f"{street['code']}{number:03d}",
                                       "name": f"{zh}社区", "name_en": f"{en} Community"})
        community_ids = self.session.scalars(
            insert(Community).returning(Community.id, sort_by_parameter_order=True), community_rows).all()
        self.communities = [{**row, "id": cid} for row, cid in zip(community_rows, community_ids, strict=True)]
        self.street_district = {s["id"]: s["district_id"] for s in streets}
        self.street_name = {s["id"]: (s["name"], s["name_en"]) for s in streets}

    # -- the bureaus and their officials -------------------------------------

    def _departments(self) -> None:
        created = datetime(2023, 12, 1, 2, 0, tzinfo=UTC)
        rows = [{"name": f"深圳市{d.zh}民政局", "name_en": f"Civil Affairs Bureau, {d.en}",
                 "kind": OrgKind.GOVERNMENT.value, "district_id": d.id, "home_street_id": None,
                 "serves_whole_district": True, "capability": f"负责{d.zh}社会建设与民生微实事工作。",
                 "capability_en": f"Social development and resident micro-projects in {d.en}.",
                 "procurement_code": f"SZ{d.slug[:4].upper()}", "capacity": 0,
                 "verification_state": VerificationState.VERIFIED.value, "verified_at": created,
                 "contact_email": f"minzheng@{d.slug}.{CITY_EMAIL_DOMAIN}",
                 "created_at": created, "updated_at": created} for d in self.districts]
        ids = self.session.scalars(insert(Organization).returning(Organization.id, sort_by_parameter_order=True),
                                   rows).all()
        for district, org_id in zip(self.districts, ids, strict=True):
            district.department_id = org_id

    def _person(self) -> str:
        given = "".join(self.rng.choice(D.GIVEN_NAME_CHARS) for _ in range(self.rng.choice((1, 2, 2))))
        return self.rng.choice(D.SURNAMES) + given

    def _user(self, email: str, name: str, role: Role, **values: Any) -> User:
        created = datetime(2024, 1, 2, 2, 0, tzinfo=UTC)
        user = User(email=email, display_name=name, password_hash=self.password_hash, role=role.value,
                    created_at=created, updated_at=created, **values)
        self.session.add(user)
        return user

    def _officials(self) -> None:
        """Per district: a district-wide official and a finance official of the bureau, one official per street
        office; and one administrator for the city. Officials are placed by the accounts service."""
        self.admin = self._user(f"admin@{CITY_EMAIL_DOMAIN}", "市级管理员", Role.ADMIN)
        for d in self.districts:
            d.official = self._user(f"official@{d.slug}.{CITY_EMAIL_DOMAIN}", f"{self._person()}（{d.zh}民政局）",
                                    Role.OFFICIAL, organization_id=d.department_id)
            place_official(d.official, district_id=d.id)
            d.finance = self._user(f"finance@{d.slug}.{CITY_EMAIL_DOMAIN}", f"{self._person()}（{d.zh}民政局财务科）",
                                   Role.OFFICIAL, organization_id=d.department_id)
            place_official(d.finance, district_id=d.id)
            for number, street in enumerate(d.streets, start=1):
                official = self._user(f"street{number:02d}@{d.slug}.{CITY_EMAIL_DOMAIN}",
                                      f"{self._person()}（{street['name']}）", Role.OFFICIAL)
                place_official(official, street_id=street["id"])
                d.street_officials[street["id"]] = official
        self.session.flush()

    # -- organisations -------------------------------------------------------

    def _organisations(self) -> None:
        rng = self.rng
        weights = {d: len(d.streets) for d in self.districts}
        rows, specs = [], []
        for n in range(_scaled(ORGANISATIONS, self.fraction)):
            district = _weighted(rng, weights)
            street = rng.choice(district.streets)
            kind = _weighted(rng, KIND_SHARES)
            categories = sorted(rng.sample(self.category_codes, rng.randint(1, 3)), key=self.category_codes.index)
            main = self.category_zh[categories[0]]
            short = street["name"].removesuffix("街道")
            if kind == OrgKind.SOCIAL_ORGANISATION:
                name, name_en = (f"{district.zh}{short}{main}社工服务中心第{n + 1}号",
                                 f"{street['name_en'].removesuffix(' Subdistrict')} {self.category_en[categories[0]]} "
                                 f"Social Work Centre No. {n + 1}")
            elif kind == OrgKind.FOUNDATION:
                name, name_en = (f"深圳市{short}{main}公益基金会第{n + 1}号",
                                 f"Shenzhen {street['name_en'].removesuffix(' Subdistrict')} Foundation No. {n + 1}")
            else:
                name, name_en = (f"深圳市{short}实业有限公司第{n + 1}号",
                                 f"Shenzhen {street['name_en'].removesuffix(' Subdistrict')} Industrial Co. No. {n + 1}")
            roll = rng.random()
            state = (VerificationState.PENDING if roll < 0.05 else
                     VerificationState.REJECTED if roll < 0.07 else VerificationState.VERIFIED)
            registered = date(2008, 1, 1) + timedelta(days=rng.randint(0, 15 * 365))
            created = _moment(rng, date(2024, 1, 1) + timedelta(days=rng.randint(0, 700)))
            staff = rng.randint(3, 80) if kind == OrgKind.SOCIAL_ORGANISATION else rng.randint(2, 30)
            row = {"name": name, "name_en": name_en, "kind": kind.value, "registration_date": registered,
                   "full_time_staff": staff, "office_area_m2": rng.randint(40, 800),
                   "rating_grade": rng.choice((0, 3, 3, 4, 4, 5)), "capacity": rng.randint(2, 12),
                   "capability": f"专注{'、'.join(self.category_zh[c] for c in categories)}",
                   "capability_en": "Works in " + ", ".join(self.category_en[c].lower() for c in categories),
                   "home_street_id": street["id"], "district_id": district.id, "serves_whole_district": False,
                   "verification_state": state.value,
                   "verification_note": "登记证书与章程不一致，请补充材料。" if state == VerificationState.REJECTED else "",
                   "verified_at": created + timedelta(days=3) if state == VerificationState.VERIFIED else None,
                   "verified_by_id": district.official.id if state != VerificationState.PENDING else None,  # type: ignore[union-attr]
                   "created_at": created, "updated_at": created}
            if state == VerificationState.VERIFIED:  # the facts its official verified
                row["verified_facts"] = {
                    "name": name, "kind": kind.value, "credit_code": "", "registration_date": registered.isoformat(),
                    "full_time_staff": staff, "office_area_m2": row["office_area_m2"],
                    "rating_grade": row["rating_grade"], "home_street_id": street["id"],
                    "serves_whole_district": False, "service_street_ids": [],
                    "category_ids": sorted(self.category_ids[c] for c in categories)}
            else:
                row["verified_facts"] = None
            rows.append(row)
            specs.append((district, street, kind, categories, state))
        ids: list[int] = []
        for chunk in _chunks(rows):
            ids += self.session.scalars(insert(Organization).returning(Organization.id, sort_by_parameter_order=True),
                                        chunk).all()
        self.session.execute(insert(organization_categories), [
            {"organization_id": org_id, "category_id": self.category_ids[c]}
            for org_id, (*_, categories, _state) in zip(ids, specs, strict=True) for c in categories])
        self._decisions(ids, rows, specs)
        self._provider_members(ids, specs)

    def _decisions(self, ids: list[int], rows: list[dict[str, Any]], specs: list[tuple[Any, ...]]) -> None:
        """The audit event of every decision on an organisation, by its district's official (whom the policy
        lets decide on organisations of the district's streets)."""
        for org_id, row, (district, street, _kind, _categories, state) in zip(ids, rows, specs, strict=True):
            if state == VerificationState.PENDING:
                continue
            policy.require(district.official, "organization.verify",
                           Scope(street_id=street["id"], district_id=district.id, org_id=org_id, public=True))
            if state == VerificationState.VERIFIED:
                record(district.official, "organization.verified", object_type="organizations", object_id=org_id,
                       before={"verification_state": VerificationState.PENDING},
                       after={"verification_state": state, "facts": row["verified_facts"]})
            else:
                record(district.official, "organization.verification_refused", object_type="organizations",
                       object_id=org_id, before={"verification_state": VerificationState.PENDING},
                       after={"verification_state": state, "reason": row["verification_note"]})

    def _provider_members(self, ids: list[int], specs: list[tuple[Any, ...]]) -> None:
        """A member for every verified social organisation (the owner of its public-benefit projects)."""
        wanted = [(org_id, district, street) for org_id, (district, street, kind, _c, state) in zip(ids, specs, strict=True)
                  if kind == OrgKind.SOCIAL_ORGANISATION and state == VerificationState.VERIFIED]
        created = datetime(2024, 1, 5, 2, 0, tzinfo=UTC)
        rows = [{"email": f"provider{n:05d}@{district.slug}.{CITY_EMAIL_DOMAIN}", "display_name": self._person(),
                 "password_hash": self.password_hash, "role": Role.PROVIDER.value, "organization_id": org_id,
                 "created_at": created, "updated_at": created}
                for n, (org_id, district, _street) in enumerate(wanted, start=1)]
        member_ids: list[int] = []
        for chunk in _chunks(rows):
            member_ids += self.session.scalars(insert(User).returning(User.id, sort_by_parameter_order=True),
                                               chunk).all()
        for (org_id, district, street), member_id in zip(wanted, member_ids, strict=True):
            district.providers.append((org_id, member_id, street["id"]))

    # -- the districts' funds ------------------------------------------------

    def _funds(self) -> None:
        """Each district's social-construction fund: opened by its bureau's official, funded by an
        appropriation that official requests and the bureau's finance official confirms."""
        opened = datetime(2026, 1, 5, 2, 0, tzinfo=UTC)
        for d in self.districts:
            pool = pools.create_pool(d.official, pools.PoolInput(
                name=f"{d.zh}2026年度社会建设专项资金", declared_cents=FUND_CENTS,
                name_en=f"{d.en} Social Development Fund 2026",
                description=f"{d.zh}财政安排的社会建设专项资金，资助民生微实事和社区公益项目。",
                description_en=f"{d.en}'s budget for social development: resident micro-projects and community "
                               f"public-benefit projects.", year=2026, max_grant_cents=1_000_000 * 100,
                max_share_percent=100))
            pool.created_at = pool.updated_at = opened
            money.appropriate(d.official, d.finance, pool, FUND_CENTS, f"深{d.slug}财社〔2026〕1号",  # type: ignore[arg-type]
                              requested_at=opened + timedelta(days=2), confirmed_at=opened + timedelta(days=6))

    # -- projects ------------------------------------------------------------

    def _communities_of(self, street_id: int) -> list[dict[str, Any]]:
        if not hasattr(self, "_by_street"):
            self._by_street: dict[int, list[dict[str, Any]]] = {}
            for c in self.communities:
                self._by_street.setdefault(c["street_id"], []).append(c)
        return self._by_street[street_id]

    def _projects(self) -> int:
        rng = self.rng
        weights = {d: len(d.streets) for d in self.districts}
        total = 0
        for year in YEARS:
            rows = []
            statuses = CURRENT_STATUSES if year == YEARS[-1] else PAST_STATUSES
            for _ in range(_scaled(PROJECTS_PER_YEAR, self.fraction)):
                district = _weighted(rng, weights)
                rows.append(self._project_row(rng, district, _weighted(rng, PROJECT_KIND_SHARES),
                                              _weighted(rng, statuses), year))
            for chunk in _chunks(rows):
                self.session.execute(insert(Project), chunk)
            total += len(rows)
        return total

    def _project_row(self, rng: random.Random, d: _District, kind: ProjectKind, status: ProjectStatus,
                     year: int) -> dict[str, Any]:
        category = rng.choice(self.category_codes)
        street = rng.choice(d.streets)
        community = None
        organization_id: int | None = d.department_id
        owner_id = d.street_officials[street["id"]].id
        if kind == ProjectKind.MICRO:
            community = rng.choice(self._communities_of(street["id"]))
            budget = rng.randint(2, 50) * 10_000
        elif kind == ProjectKind.PUBLIC_BENEFIT and d.providers:
            organization_id, owner_id, home = rng.choice(d.providers)
            street = next(s for s in d.streets if s["id"] == home)
            budget = rng.randint(5, 80) * 10_000
        else:
            kind = ProjectKind.GOVERNMENT_SERVICE
            budget = rng.randint(10, 300) * 10_000
        street_id: int | None = street["id"]
        if kind == ProjectKind.GOVERNMENT_SERVICE and rng.random() < 0.1:  # the district's own: no street
            street_id, owner_id = None, d.official.id  # type: ignore[union-attr]
        place_zh, place_en = (community["name"], community["name_en"]) if community else (
            self.street_name[street_id] if street_id else (d.zh, d.en))
        word_zh, word_en = rng.choice(PROJECT_WORDS)
        start = date(year, 1, 1) + timedelta(days=rng.randint(0, 300))
        published = _moment(rng, start - timedelta(days=rng.randint(10, 40)))
        if status == ProjectStatus.DRAFT or published > D.REFERENCE_TIME:
            published = min(published, D.REFERENCE_TIME - timedelta(days=1))
        return {"kind": kind.value, "title": f"{place_zh}{self.category_zh[category]}{word_zh}（{year}）",
                "title_en": f"{self.category_en[category]} {word_en}, {place_en} ({year})",
                "description": f"面向{place_zh}居民的{self.category_zh[category]}{word_zh}。",
                "description_en": f"A {self.category_en[category].lower()} {word_en} for the residents of {place_en}.",
                "category_id": self.category_ids[category], "project_type": "service",
                "street_id": street_id, "community_id": community["id"] if community else None,
                "district_id": d.id, "budget_cents": budget * 100, "funded_cents": 0,
                "start_date": start, "end_date": start + timedelta(days=rng.randint(60, 360)),
                "min_rating_grade": 0, "min_years_registered": 1 if kind == ProjectKind.GOVERNMENT_SERVICE else 0,
                "min_staff": 3 if kind == ProjectKind.GOVERNMENT_SERVICE else 0, "min_office_area_m2": 0,
                "owner_id": owner_id, "organization_id": organization_id, "status": status.value,
                "published_at": None if status == ProjectStatus.DRAFT else published,
                "created_at": published - timedelta(days=2), "updated_at": published}

    # -- micro-project rounds ------------------------------------------------

    def _rounds(self) -> int:
        """Rounds of one community and year each, with feasible proposals and residents' ballots; rounds whose
        voting closed before the reference date are counted by the voting service."""
        rng = self.rng
        count = _scaled(ROUNDS, self.fraction)
        slots = [(year, c) for year in YEARS for c in self.communities]
        rng.shuffle(slots)
        slots = sorted(slots[:count], key=lambda s: (s[0], s[1]["id"]))
        residents = self._residents({c["id"]: c for _year, c in slots})
        round_rows = []
        for year, c in slots:
            street_id = c["street_id"]
            district = next(d for d in self.districts if d.id == self.street_district[street_id])
            current = year == YEARS[-1] and rng.random() < 0.5
            opens = (D.REFERENCE_TIME - timedelta(days=5)) if current else _moment(rng, date(year, 6, rng.randint(1, 20)))
            round_rows.append({
                "title": f"{c['name']}{year}年民生微实事", "title_en": f"{c['name_en']} micro-projects {year}",
                "year": year, "street_id": street_id, "community_id": c["id"],
                "official_id": district.street_officials[street_id].id, "phase": RoundPhase.VOTING.value,
                "budget_cents": rng.randint(30, 100) * 10_000 * 100, "max_picks": 3,
                "rule": _weighted(rng, ROUND_RULES).value,
                "voting_opens_at": opens, "voting_closes_at": opens + timedelta(days=14),
                "ballot_salt": f"{rng.getrandbits(64):016x}", "created_at": opens - timedelta(days=60),
                "updated_at": opens})
        # Year by year, as they ran: a community's round of one year is final before its next one opens (the
        # database allows one round under way per community).
        for year in YEARS:
            rows = [row for row in round_rows if row["year"] == year]
            round_ids: list[int] = []
            for chunk in _chunks(rows):
                round_ids += self.session.scalars(
                    insert(MicroRound).returning(MicroRound.id, sort_by_parameter_order=True), chunk).all()
            self._proposals_and_ballots(round_ids, rows, residents)
            self._count_closed(round_ids, rows)
        return len(round_rows)

    def _residents(self, communities: dict[int, dict[str, Any]]) -> dict[int, list[int]]:
        """Verified residents of the communities that hold rounds, verified by their street's official."""
        rows = []
        for cid, c in sorted(communities.items()):
            district = next(d for d in self.districts if d.id == self.street_district[c["street_id"]])
            verifier = district.street_officials[c["street_id"]].id
            for n in range(RESIDENTS_PER_ROUND_COMMUNITY):
                rows.append({"email": f"resident{cid:04d}{n:02d}@{district.slug}.{CITY_EMAIL_DOMAIN}",
                             "display_name": self._person(), "password_hash": self.password_hash,
                             "role": Role.RESIDENT.value, "community_id": cid,
                             "verified_at": datetime(2024, 3, 1, 2, 0, tzinfo=UTC), "verified_by_id": verifier,
                             "created_at": datetime(2024, 2, 1, 2, 0, tzinfo=UTC),
                             "updated_at": datetime(2024, 3, 1, 2, 0, tzinfo=UTC)})
        ids: list[int] = []
        for chunk in _chunks(rows):
            ids += self.session.scalars(insert(User).returning(User.id, sort_by_parameter_order=True), chunk).all()
        by_community: dict[int, list[int]] = {}
        for row, user_id in zip(rows, ids, strict=True):
            by_community.setdefault(row["community_id"], []).append(user_id)
        return by_community

    def _proposals_and_ballots(self, round_ids: list[int], round_rows: list[dict[str, Any]],
                               residents: dict[int, list[int]]) -> None:
        rng = self.rng
        proposal_rows, owners = [], []
        for round_id, row in zip(round_ids, round_rows, strict=True):
            voters = residents[row["community_id"]]
            for _ in range(rng.randint(3, 7)):
                category = rng.choice(self.category_codes)
                word_zh, word_en, kind = rng.choice(PROPOSAL_WORDS)
                cost = rng.randint(2, 30) * 10_000 * 100
                submitted = row["voting_opens_at"] - timedelta(days=rng.randint(30, 50))
                proposal_rows.append({
                    "round_id": round_id, "community_id": row["community_id"], "author_id": rng.choice(voters),
                    "title": f"{self.category_zh[category]}{word_zh}", "title_en": f"{self.category_en[category]}: {word_en}",
                    "description": f"居民建议：{self.category_zh[category]}{word_zh}。",
                    "description_en": f"Residents propose {word_en} for {self.category_en[category].lower()}.",
                    "category_id": self.category_ids[category], "project_type": kind, "place": "社区党群服务中心",
                    "estimated_cost_cents": cost, "official_cost_cents": cost, "status": ProposalStatus.FEASIBLE.value,
                    "submitted_at": submitted, "reviewed_by_id": row["official_id"],
                    "reviewed_at": submitted + timedelta(days=10), "created_at": submitted, "updated_at": submitted})
                owners.append(round_id)
        proposal_ids: list[int] = []
        for chunk in _chunks(proposal_rows):
            proposal_ids += self.session.scalars(insert(Proposal).returning(Proposal.id, sort_by_parameter_order=True),
                                                 chunk).all()
        by_round: dict[int, list[int]] = {}
        for round_id, proposal_id in zip(owners, proposal_ids, strict=True):
            by_round.setdefault(round_id, []).append(proposal_id)
        ballot_rows, picks = [], []
        for round_id, row in zip(round_ids, round_rows, strict=True):
            eligible = residents[row["community_id"]]
            for voter in rng.sample(eligible, rng.randint(len(eligible) // 2, len(eligible))):
                ballot_rows.append({"round_id": round_id, "voter_id": voter,
                                    "cast_at": row["voting_opens_at"] + timedelta(hours=rng.randint(1, 300))})
                picks.append(rng.sample(by_round[round_id], rng.randint(1, min(row["max_picks"], len(by_round[round_id])))))
        ballot_ids: list[int] = []
        for chunk in _chunks(ballot_rows):
            ballot_ids += self.session.scalars(insert(Ballot).returning(Ballot.id, sort_by_parameter_order=True),
                                               chunk).all()
        choice_rows = [{"ballot_id": ballot_id, "proposal_id": pid}
                       for ballot_id, chosen in zip(ballot_ids, picks, strict=True) for pid in chosen]
        for chunk in _chunks(choice_rows):
            self.session.execute(insert(BallotChoice), chunk)

    def _count_closed(self, round_ids: list[int], round_rows: list[dict[str, Any]]) -> None:
        """Rounds whose voting closed are counted by their street's official through the voting service, and
        those whose public notice ended are made final: their selected proposals become micro-projects."""
        officials = {u.id: u for d in self.districts for u in d.street_officials.values()}
        closed = [round_id for round_id, row in zip(round_ids, round_rows, strict=True)
                  if row["voting_closes_at"] < D.REFERENCE_TIME]
        for start in range(0, len(closed), 200):
            rounds = self.session.scalars(select(MicroRound).where(MicroRound.id.in_(closed[start:start + 200]))
                                          .order_by(MicroRound.id)).all()
            for round_ in rounds:
                official = officials[round_.official_id]
                voting.close_voting(official, round_, now=round_.voting_closes_at + timedelta(hours=1))
                if round_.notice_ends_at is not None and round_.notice_ends_at < D.REFERENCE_TIME:
                    voting.finalise_results(official, round_, now=round_.notice_ends_at + timedelta(hours=1))
            self.session.flush()
