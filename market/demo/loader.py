"""Build the deterministic Futian demo data set.

:func:`load_demo` draws every value from ``random.Random(SEED)`` in a fixed
order and lays dates out around :data:`~market.demo.data.REFERENCE_DATE`, so two
loads into empty databases produce the same rows (ids included, apart from
password salts, the audit events' own timestamps and the ``updated_at`` of rows
the services change).

The demo obeys the rules the platform enforces: places, organisations, people and
projects go in with bulk inserts (a row may be created in any status), but money
only moves through the payment services and the ledger -- the social-construction
fund receives an appropriation one official of the Civil Affairs Bureau requested
and another confirmed, the other pools bank transfers a district official
confirmed, public-benefit projects the transfers their officials confirmed -- and
every verified organisation has its verified facts and the audit event of its
verification.
"""
from __future__ import annotations

import math
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session
from werkzeug.security import generate_password_hash

from market.accounts.models import Role, User
from market.accounts.services import place_official
from market.core import ledger, policy
from market.core.audit import AuditEvent, record
from market.core.policy import Scope
from market.demo import data as D
from market.demo import money
from market.demo.funding import load_funding_demo
from market.demo.marketplace import load_marketplace_demo
from market.demo.micro import load_micro_demo
from market.demo.panels import load_panels_demo
from market.funds import services as pools
from market.funds.models import FundingPool
from market.geo.models import Category, Community, District, Street
from market.geo.taxonomy import CATEGORIES
from market.orgs.models import (
    Organization,
    OrgKind,
    VerificationState,
    organization_categories,
    organization_service_streets,
)
from market.payments.models import PaymentOrder
from market.projects.models import Project, ProjectKind, ProjectStatus

ORG_COUNTS = {OrgKind.SOCIAL_ORGANISATION: 449, OrgKind.FOUNDATION: 284, OrgKind.ENTERPRISE: 220}
PROJECT_COUNTS = {ProjectKind.GOVERNMENT_SERVICE: 236, ProjectKind.PUBLIC_BENEFIT: 180, ProjectKind.MICRO: 150}
EXTRA_RESIDENTS = 36
SOCIAL_FUND_TOTAL_CENTS = 30_000_000 * 100
SOCIAL_FUND_MAX_GRANT_CENTS = 500_000 * 100
SOCIAL_FUND_SHARE_PERCENT = 50
PROJECT_CHUNK = 10_000

STATUS_WEIGHTS: dict[ProjectKind, dict[ProjectStatus, int]] = {
    ProjectKind.GOVERNMENT_SERVICE: {ProjectStatus.DRAFT: 4, ProjectStatus.OPEN: 22, ProjectStatus.EVALUATING: 10,
                                     ProjectStatus.AWARDED: 12, ProjectStatus.IN_PROGRESS: 25,
                                     ProjectStatus.COMPLETED: 23, ProjectStatus.CANCELLED: 4},
    ProjectKind.PUBLIC_BENEFIT: {ProjectStatus.DRAFT: 5, ProjectStatus.OPEN: 40, ProjectStatus.EVALUATING: 10,
                                 ProjectStatus.AWARDED: 10, ProjectStatus.IN_PROGRESS: 18,
                                 ProjectStatus.COMPLETED: 14, ProjectStatus.CANCELLED: 3},
    ProjectKind.MICRO: {ProjectStatus.DRAFT: 4, ProjectStatus.OPEN: 20, ProjectStatus.EVALUATING: 8,
                        ProjectStatus.AWARDED: 12, ProjectStatus.IN_PROGRESS: 26, ProjectStatus.COMPLETED: 27,
                        ProjectStatus.CANCELLED: 3},
}


class DemoLoadError(RuntimeError):
    """The demo data cannot be loaded (the database already holds data)."""


def database_contents(session: Session) -> dict[str, int]:
    """Row counts of the tables the demo fills (categories excluded: migrations seed them)."""
    models = (("projects", Project), ("organizations", Organization), ("users", User),
              ("funding_pools", FundingPool), ("communities", Community), ("streets", Street),
              ("districts", District))
    return {name: session.scalar(select(func.count()).select_from(model)) or 0 for name, model in models}


def ensure_categories(session: Session) -> dict[str, int]:
    """Insert the taxonomy categories that are missing; return ``{code: id}`` for all of them."""
    existing = {code: cid for code, cid in session.execute(select(Category.code, Category.id))}
    missing = [{"code": code, "name": zh, "name_en": en, "sort_order": index}
               for index, (code, zh, en) in enumerate(CATEGORIES) if code not in existing]
    if missing:
        session.execute(insert(Category), missing)
        existing = {code: cid for code, cid in session.execute(select(Category.code, Category.id))}
    return existing


Stage = Callable[[Session], None]
# The domains' own demo rows on top of the base data, in this order (the micro-projects link to the
# marketplace's contracts); each deterministic, flushing but not committing.
DEMO_STAGES: tuple[Stage, ...] = (load_marketplace_demo, load_funding_demo, load_micro_demo, load_panels_demo)


def load_demo(session: Session, scale: int = 1, *, stages: Sequence[Stage] | None = None) -> dict[str, int]:
    """Load the demo data into an empty database and return row counts per table.

    ``scale`` multiplies the number of projects only. ``stages`` are the domains' own demo rows on
    top of the base data (default :data:`DEMO_STAGES`; tests load one alone). ``session`` must be
    the application's ``db.session`` (audit events are appended through it); the caller commits.
    Raises :class:`DemoLoadError` when the database is not empty.
    """
    stages = DEMO_STAGES if stages is None else stages
    if scale < 1:
        raise ValueError("scale must be at least 1")
    contents = database_contents(session)
    if any(contents.values()):
        present = ", ".join(f"{n} {name}" for name, n in contents.items() if n)
        raise DemoLoadError(f"the database is not empty ({present})")
    builder = _Builder(session, scale)
    builder.run()
    for stage in stages:
        stage(session)
    return summary_counts(session)


def summary_counts(session: Session) -> dict[str, int]:
    def count(model: Any, *where: Any) -> int:
        stmt = select(func.count()).select_from(model)
        for clause in where:
            stmt = stmt.where(clause)
        return session.scalar(stmt) or 0

    counts = {
        "districts": count(District), "streets": count(Street), "communities": count(Community),
        "categories": count(Category), "users": count(User), "organizations": count(Organization),
    }
    for kind in OrgKind:
        counts[f"organizations.{kind.value}"] = count(Organization, Organization.kind == kind.value)
    counts["organization_categories"] = count(organization_categories)
    counts["funding_pools"] = count(FundingPool)
    counts["payment_orders"] = count(PaymentOrder)
    counts["ledger_transfers"] = count(ledger.Transfer)
    counts["projects"] = count(Project)
    for kind in ProjectKind:
        counts[f"projects.{kind.value}"] = count(Project, Project.kind == kind.value)
    counts["audit_events"] = count(AuditEvent)
    return counts


# ---------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------

def _bulk(model: Any) -> Any:
    """An ORM bulk INSERT that sends NULLs explicitly.

    Without ``render_nulls`` SQLAlchemy leaves out ``None`` values row by row and
    then has to split the batch wherever the set of keys changes.
    """
    return insert(model).execution_options(render_nulls=True)


def _weighted(rng: random.Random, weights: dict[Any, int]) -> Any:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _log_uniform(rng: random.Random, low: float, high: float) -> float:
    return math.exp(rng.uniform(math.log(low), math.log(high)))


def _round_to(value: float, step: int) -> int:
    return max(step, int(round(value / step)) * step)


def _moment(rng: random.Random, day: date) -> datetime:
    """A time during Beijing office hours (01:00–09:59 UTC) on ``day``."""
    return datetime(day.year, day.month, day.day, rng.randint(1, 9), rng.randrange(60), tzinfo=UTC)


def _random_date(rng: random.Random, start: date, end: date) -> date:
    return start + timedelta(days=rng.randint(0, (end - start).days))


def _join_zh(items: list[str]) -> str:
    return "、".join(items)


def _join_en(items: list[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def _capitalise(text: str) -> str:
    return text[:1].upper() + text[1:]


def _prefixed(place_zh: str, title_zh: str) -> str:
    """``place_zh + title_zh`` without doubling 社区 ("上步社区" + "社区书屋…" → "上步社区书屋…")."""
    if place_zh.endswith("社区") and title_zh.startswith("社区"):
        title_zh = title_zh[2:]
    return place_zh + title_zh


def _slug(pinyin: str) -> str:
    return "".join(ch for ch in pinyin.lower() if ch.isalnum())


@dataclass
class _Place:
    zh: str
    en: str
    street: int | None  # index into streets
    street_id: int | None
    community_id: int | None


@dataclass
class _Org:
    id: int = 0
    kind: OrgKind = OrgKind.SOCIAL_ORGANISATION
    name: str = ""
    name_en: str = ""
    short: str = ""
    short_en: str = ""
    categories: list[str] = field(default_factory=list)
    home_street: int | None = None
    whole_district: bool = False
    streets: list[int] = field(default_factory=list)
    rating: int = 0
    verified: bool = True
    registered: date | None = None
    programme: tuple[str, str] | None = None  # CSR programme of an enterprise
    # What it may be contracted for (service, goods, works) and the licences it holds.
    supplies: tuple[str, ...] = ("service",)
    qualifications: tuple[str, ...] = ()
    demo: bool = False  # a demo account's organisation: always verified
    row: dict[str, Any] = field(default_factory=dict)


class _Builder:
    def __init__(self, session: Session, scale: int) -> None:
        self.session = session
        self.scale = scale
        self.rng = random.Random(D.SEED)
        self.password_hash = generate_password_hash(D.DEMO_PASSWORD)
        self.category_ids: dict[str, int] = {}
        self.category_zh: dict[str, str] = {code: zh for code, zh, _ in CATEGORIES}
        self.streets: list[dict[str, Any]] = []
        self.communities: list[dict[str, Any]] = []
        self.users: dict[str, User] = {}
        self.district_id = 0
        self.orgs: list[_Org] = []
        self.departments: list[_Org] = []  # district departments then street offices (street order)
        self.members: dict[int, int] = {}  # organisation id -> member user id
        self.member_rows: list[dict[str, Any]] = []
        # Values of the rules-abiding rework come from their own generator, so the main stream
        # (and with it every organisation, pool and project) stays what it was.
        self.extra_rng = random.Random(D.SEED + 1)
        self.received: list[int] = []  # per project row: yuan it received while seeking funds
        # The first completed micro-project lies in the demo resident's community, so that they have one to rate.
        self.resident_rates_one = False

    # -- orchestration -------------------------------------------------------

    def run(self) -> None:
        self.category_ids = ensure_categories(self.session)
        self._geography()
        self._fixed_users()
        self._government()
        self._social_organisations()
        self._foundations()
        self._enterprises()
        self._insert_orgs()
        self._attach_fixed_users()
        self._verifications()
        self._residents()
        pools = self._pools()
        projects = self._projects()
        self._audit(pools, projects)

    # -- geography -----------------------------------------------------------

    def _geography(self) -> None:
        code, zh, en = D.DISTRICT
        district_id = self.session.scalars(insert(District).returning(District.id),
                                           [{"code": code, "name": zh, "name_en": en}]).one()
        self.district_id = district_id
        rows = [{"district_id": district_id, "code": f"{code}{suffix}", "name": name, "name_en": name_en}
                for suffix, name, name_en, _ in D.STREETS]
        street_ids = self.session.scalars(insert(Street).returning(Street.id, sort_by_parameter_order=True),
                                          rows).all()
        community_rows = []
        for index, ((suffix, name, name_en, communities), street_id) in enumerate(zip(D.STREETS, street_ids)):
            self.streets.append({"id": street_id, "zh": name, "en": name_en, "short": name.removesuffix("街道"),
                                 "short_en": name_en.removesuffix(" Subdistrict"), "communities": []})
            for number, (cname, pinyin) in enumerate(communities, start=1):
                community_rows.append({"street_id": street_id, "code": f"{code}{suffix}{number:03d}",
                                       "name": f"{cname}社区", "name_en": f"{pinyin} Community"})
                self.communities.append({"street": index, "zh": f"{cname}社区", "en": f"{pinyin} Community",
                                         "short": cname, "pinyin": pinyin})
        community_ids = self.session.scalars(
            insert(Community).returning(Community.id, sort_by_parameter_order=True), community_rows).all()
        for index, community in enumerate(self.communities):
            community["id"] = community_ids[index]
            self.streets[community["street"]]["communities"].append(index)
        self.demo_street = next(i for i, s in enumerate(self.streets) if s["zh"] == D.DEMO_STREET)

    def _community_index(self, name: str) -> int:
        return next(i for i, c in enumerate(self.communities) if c["zh"] == name)

    def _street_place(self, street: int) -> _Place:
        s = self.streets[street]
        return _Place(s["zh"], s["en"], street, s["id"], None)

    def _community_place(self, community: int) -> _Place:
        c = self.communities[community]
        return _Place(c["zh"], c["en"], c["street"], self.streets[c["street"]]["id"], c["id"])

    @staticmethod
    def _district_place() -> _Place:
        return _Place(D.DISTRICT[1], D.DISTRICT[2], None, None, None)

    # -- people --------------------------------------------------------------

    def _person_name(self) -> str:
        rng = self.rng
        given = "".join(rng.choice(D.GIVEN_NAME_CHARS) for _ in range(rng.choice((1, 2, 2, 2))))
        return rng.choice(D.SURNAMES) + given

    def _fixed_users(self) -> None:
        created = datetime(2025, 3, 1, 2, 0, tzinfo=UTC)
        for account in D.DEMO_ACCOUNTS:
            user = User(email=account.email, display_name=account.display_name, password_hash=self.password_hash,
                        role=account.role.value, created_at=created, updated_at=created)
            self.session.add(user)
            self.users[account.key] = user
        street_id = self.streets[self.demo_street]["id"]
        for account in D.DEMO_ACCOUNTS:
            if account.role == Role.OFFICIAL:
                place_official(self.users[account.key], district_id=self.district_id,
                               street_id=street_id if account.key == "street_official" else None)
        resident = self.communities[self._community_index(D.DEMO_RESIDENT_COMMUNITY)]
        resident2 = self.communities[self._community_index(D.DEMO_RESIDENT2_COMMUNITY)]
        self.users["resident"].community_id = resident["id"]
        self.users["resident2"].community_id = resident2["id"]
        self.session.flush()
        self.users["resident"].verified_at = datetime(2025, 4, 8, 3, 20, tzinfo=UTC)
        self.users["resident"].verified_by_id = self.users["street_official"].id

    def _verifier_for(self, street: int | None) -> int:
        key = "street_official" if street == self.demo_street else "official"
        return self.users[key].id

    def _owner_for(self, street: int | None) -> int:
        """Government and micro-projects of 福田街道 belong to its street official, the rest to the district's."""
        return self._verifier_for(street)

    def _residents(self) -> None:
        rng = self.rng
        rows = []
        for n in range(3, 3 + EXTRA_RESIDENTS):
            community = rng.randrange(len(self.communities))
            street = self.communities[community]["street"]
            created = _moment(rng, _random_date(rng, date(2025, 1, 10), D.REFERENCE_DATE - timedelta(days=3)))
            verified = rng.random() < 0.6
            rows.append({
                "email": f"resident{n}@{D.DEMO_EMAIL_DOMAIN}", "display_name": self._person_name(),
                "password_hash": self.password_hash, "role": Role.RESIDENT.value,
                "community_id": self.communities[community]["id"],
                "verified_at": created + timedelta(days=rng.randint(1, 20), hours=rng.randint(0, 6)) if verified else None,
                "verified_by_id": self._verifier_for(street) if verified else None,
                "created_at": created, "updated_at": created,
            })
        self.session.execute(_bulk(User), rows)

    # -- organisations ---------------------------------------------------------

    def _org_row(self, org: _Org, **values: Any) -> dict[str, Any]:
        rng = self.rng
        if org.kind == OrgKind.GOVERNMENT:
            verified_at = datetime(2024, 12, 2, 2, 0, tzinfo=UTC)
            state = VerificationState.VERIFIED
        else:
            roll = rng.random()
            state = (VerificationState.PENDING if roll < 0.05 else
                     VerificationState.REJECTED if roll < 0.065 else VerificationState.VERIFIED)
            if org.demo:
                state = VerificationState.VERIFIED
            start = max(org.registered or date(2024, 1, 1), date(2024, 1, 1))
            verified_at = _moment(rng, _random_date(rng, start, D.REFERENCE_DATE - timedelta(days=45)))
            if state == VerificationState.PENDING:
                verified_at = None
        org.verified = state == VerificationState.VERIFIED
        if verified_at is not None:
            created = verified_at - timedelta(days=rng.randint(1, 15), hours=rng.randint(0, 5))
        else:
            created = _moment(rng, D.REFERENCE_DATE - timedelta(days=rng.randint(2, 40)))
        row = {
            "name": org.name, "name_en": org.name_en, "kind": org.kind.value,
            "registration_date": org.registered, "rating_grade": org.rating,
            "home_street_id": self.streets[org.home_street]["id"] if org.home_street is not None else None,
            "serves_whole_district": org.whole_district, "district_id": self.district_id,
            "supplies": list(org.supplies), "qualifications": list(org.qualifications),
            "verification_state": state.value,
            "verification_note": D.REFUSAL_REASON if state == VerificationState.REJECTED else "",
            "verified_at": verified_at if state == VerificationState.VERIFIED else None,
            # Departments are registered verified when the district sets the exchange up; nobody votes on them.
            "verified_by_id": (None if state == VerificationState.PENDING or org.kind == OrgKind.GOVERNMENT
                               else self.users["official"].id),
            "created_at": created, "updated_at": created,
        }
        row.update(values)
        org.row = row
        return row

    def _pick_categories(self, main: str, count: int, related_bias: float = 0.75) -> list[str]:
        rng = self.rng
        chosen = [main]
        codes = [code for code, _, _ in CATEGORIES]
        while len(chosen) < count:
            pool = D.RELATED_CATEGORIES.get(main, ()) if rng.random() < related_bias else codes
            candidate = rng.choice(pool) if pool else rng.choice(codes)
            if candidate not in chosen:
                chosen.append(candidate)
        return chosen

    def _service_streets(self, home: int, whole: bool) -> list[int]:
        if whole:
            return []
        others = [i for i in range(len(self.streets)) if i != home]
        return sorted([home, *self.rng.sample(others, self.rng.choice((0, 0, 1, 1, 2, 3)))])

    def _coverage(self, org: _Org) -> tuple[str, str]:
        if org.whole_district:
            return "服务范围覆盖福田区全域", "It serves the whole of Futian District"
        zh = _join_zh([self.streets[i]["short"] for i in org.streets]) + "街道"
        en_names = [self.streets[i]["short_en"] for i in org.streets]
        suffix = " Subdistrict" if len(en_names) == 1 else " subdistricts"
        return f"服务范围包括{zh}", f"It serves {_join_en(en_names)}{suffix}"

    def _phrases(self, categories: list[str], limit: int = 3) -> tuple[list[str], list[str]]:
        zh, en = [], []
        for code in categories[:limit]:
            phrase_zh, phrase_en = self.rng.choice(D.CAPABILITY_PHRASES[code])
            zh.append(phrase_zh)
            en.append(phrase_en)
        return zh, en

    def _government(self) -> None:
        for name, name_en, categories in D.DISTRICT_DEPARTMENTS:
            cats_zh = _join_zh([self.category_zh[c] for c in categories])
            cats_en = _join_en([D.CATEGORY_TEXT_EN[c] for c in categories])
            org = _Org(kind=OrgKind.GOVERNMENT, name=name, name_en=name_en, categories=list(categories),
                       whole_district=True, verified=True)
            self._org_row(org, capability=f"负责全区{cats_zh}相关工作，通过政府购买服务委托社会组织提供专业服务。",
                          capability_en=f"Responsible for {cats_en} across the district; buys professional "
                                        f"services from social organisations.",
                          full_time_staff=0, office_area_m2=0, capacity=0,
                          contact_email=f"{_slug(name_en.split()[2])}@futian.demo.example",
                          contact_phone=f"0755-8{self.rng.randrange(10**7):07d}")
            self.departments.append(org)
        for index, street in enumerate(self.streets):
            org = _Org(kind=OrgKind.GOVERNMENT, name=f"深圳市福田区{street['zh']}办事处",
                       name_en=f"{street['en']} Office, Futian District",
                       categories=["community_governance", "elderly_care", "public_safety", "facilities_works"],
                       home_street=index, streets=[index], verified=True)
            self._org_row(org, capability=f"负责{street['zh']}辖区内的社区服务、民生微实事和基层治理工作。",
                          capability_en=f"Runs community services, resident micro-projects and local governance "
                                        f"in {street['en']}.",
                          full_time_staff=0, office_area_m2=0, capacity=0,
                          contact_email=f"{_slug(street['short_en'])}.office@futian.demo.example",
                          contact_phone=f"0755-8{self.rng.randrange(10**7):07d}")
            self.departments.append(org)
        self.orgs.extend(self.departments)

    def _registration(self, start: date, end: date) -> date:
        rng = self.rng
        # More registrations in the 2010s boom of Shenzhen's social-work sector.
        year = rng.choices(range(start.year, end.year + 1),
                           weights=[3 if 2010 <= y <= 2020 else 1 for y in range(start.year, end.year + 1)])[0]
        first = max(start, date(year, 1, 1))
        last = min(end, date(year, 12, 31))
        return _random_date(rng, first, last)

    def _social_organisations(self) -> None:
        rng = self.rng
        used: set[tuple[str, str]] = set()
        for index in range(ORG_COUNTS[OrgKind.SOCIAL_ORGANISATION]):
            if index == 0:  # the demo provider's organisation
                main, categories = "elderly_care", ["elderly_care", "community_education"]
                brand, suffix, district_prefix = ("福和", "Fuhe"), D.GENERIC_SOCIAL_SUFFIX, True
                registered, rating, staff, area = date(2012, 5, 18), 4, 46, 320
                home, whole = self.demo_street, False
                streets = sorted([home, self.demo_street + 1, 8])
            else:
                main = _weighted(rng, D.SOCIAL_MAIN_CATEGORY_WEIGHTS)
                categories = self._pick_categories(main, rng.choices((1, 2, 3, 4), weights=(35, 35, 20, 10))[0])
                options = D.SOCIAL_SUFFIXES[main]
                while True:
                    brand, suffix = rng.choice(D.SOCIAL_BRANDS), rng.choice(options)
                    if (brand[0], suffix[0]) not in used and brand[0] != "福和":
                        break
                district_prefix = rng.random() < 0.65
                registered = self._registration(date(2005, 1, 1), date(2025, 10, 31))
                years = (D.REFERENCE_DATE - registered).days / 365.25
                rating = 0 if years < 2 else rng.choices((0, 1, 2, 3, 4, 5), weights=(52, 1, 4, 21, 14, 8))[0]
                staff = min(120, round(_log_uniform(rng, 2, 30)) + rating * rng.randint(0, 14))
                area = int(min(800, max(10, staff * rng.uniform(4, 9) + rng.uniform(0, 60))))
                home = rng.randrange(len(self.streets))
                whole = rng.random() < (0.5 if rating >= 4 else 0.2)
                streets = self._service_streets(home, whole)
            used.add((brand[0], suffix[0]))
            prefix_zh, prefix_en = ("深圳市福田区", "Shenzhen Futian ") if district_prefix else ("深圳市", "Shenzhen ")
            org = _Org(kind=OrgKind.SOCIAL_ORGANISATION, name=f"{prefix_zh}{brand[0]}{suffix[0]}",
                       name_en=f"{prefix_en}{brand[1]} {suffix[1]}", short=f"{brand[0]}{suffix[0]}",
                       short_en=f"{brand[1]} {suffix[1]}", categories=categories, home_street=home,
                       whole_district=whole, streets=streets, rating=rating, registered=registered,
                       demo=index == 0)
            capacity = max(1, min(8, 1 + staff // 15 + rng.randint(0, 2)))
            licensed = max(1, round(staff * rng.uniform(0.4, 0.8)))
            phrases_zh, phrases_en = self._phrases(categories)
            coverage_zh, coverage_en = self._coverage(org)
            grade_zh = f"，民政部门评估等级为{rating}A" if rating else ""
            grade_en = f", rated {rating}A by the civil-affairs assessment" if rating else ""
            capability = (f"{org.name}成立于{registered.year}年，是依法登记的社会服务机构{grade_zh}。"
                          f"机构专注于{_join_zh([self.category_zh[c] for c in categories])}领域，"
                          f"{'；'.join(phrases_zh)}。现有专职人员{staff}人，其中持证社工{licensed}人，"
                          f"服务场地{area}平方米。{coverage_zh}。")
            capability_en = (f"Founded in {registered.year}, {org.name_en} is a registered non-profit social-service "
                             f"organisation{grade_en}. It works in "
                             f"{_join_en([D.CATEGORY_TEXT_EN[c] for c in categories])}: it "
                             f"{_join_en(phrases_en)}. It has {staff} full-time staff, {licensed} of them licensed "
                             f"social workers, and {area} m² of premises. {coverage_en}.")
            self._org_row(org, full_time_staff=staff, office_area_m2=area, capacity=capacity,
                          capability=capability, capability_en=capability_en,
                          contact_email=f"{_slug(brand[1])}{index + 1:03d}@example.org",
                          contact_phone=f"0755-8{rng.randrange(10**7):07d}")
            self.orgs.append(org)
        self.demo_provider = next(o for o in self.orgs if o.kind == OrgKind.SOCIAL_ORGANISATION)

    def _brands(self) -> list[tuple[str, str]]:
        return [(a + b, pa + pb) for a, pa in D.BRAND_FIRST for b, pb in D.BRAND_SECOND
                if a != b and pa.lower() != pb]

    def _foundations(self) -> None:
        rng = self.rng
        brands = self._brands()
        rng.shuffle(brands)
        brands.remove(("恒信", "Hengxin"))
        brands.insert(0, ("恒信", "Hengxin"))
        community_picks = rng.sample(range(len(self.communities)), D.COMMUNITY_FOUNDATION_COUNT)
        weights = {t: t[2] for t in D.FOUNDATION_TYPES}
        for index in range(ORG_COUNTS[OrgKind.FOUNDATION]):
            if index == 0:  # the demo funder's foundation
                type_zh, type_en, leaning = "公益基金会", "Charity Foundation", ("elderly_care", "community_education")
                brand_zh, brand_en = brands[0]
                name, name_en = f"深圳市{brand_zh}{type_zh}", f"Shenzhen {brand_en} {type_en}"
                categories = ["elderly_care", "community_education", "health"]
                home, whole, streets = self.demo_street, True, []
            elif index <= D.COMMUNITY_FOUNDATION_COUNT:
                community = self.communities[community_picks[index - 1]]
                brand_zh, brand_en = community["short"], community["pinyin"]
                type_zh, type_en = D.COMMUNITY_FOUNDATION
                name, name_en = f"深圳市福田区{brand_zh}{type_zh}", f"Shenzhen Futian {brand_en} {type_en}"
                categories = self._pick_categories("community_governance", rng.choice((2, 3)), related_bias=0.5)
                home = community["street"]
                whole, streets = False, [home]
            else:
                type_zh, type_en, _, leaning = _weighted(rng, weights)
                brand_zh, brand_en = brands[index]
                name, name_en = f"深圳市{brand_zh}{type_zh}", f"Shenzhen {brand_en} {type_en}"
                main = rng.choice(leaning) if leaning else _weighted(rng, D.SOCIAL_MAIN_CATEGORY_WEIGHTS)
                categories = self._pick_categories(main, rng.choice((1, 2, 2, 3)), related_bias=0.4)
                home = rng.randrange(len(self.streets))
                whole = rng.random() < 0.8
                streets = self._service_streets(home, whole)
            community_foundation = 0 < index <= D.COMMUNITY_FOUNDATION_COUNT
            if index == 0:
                registered = date(2015, 9, 1)
            elif community_foundation:  # Shenzhen's community foundations date from 2014 on
                registered = self._registration(date(2014, 3, 1), date(2025, 6, 30))
            else:
                registered = self._registration(date(2005, 1, 1), date(2025, 6, 30))
            years = (D.REFERENCE_DATE - registered).days / 365.25
            rating = 4 if index == 0 else (0 if years < 2 else rng.choices((0, 3, 4, 5), weights=(60, 15, 15, 10))[0])
            staff = round(_log_uniform(rng, 2, 12 if community_foundation else 40))
            area = int(min(500, max(20, staff * rng.uniform(8, 15))))
            granted = _round_to(_log_uniform(rng, 50, min(20_000, 250 * staff * max(1, years))), 10)  # 万元 so far
            scope_zh, scope_en = rng.choice(D.FOUNDATION_SCOPES[:2] if community_foundation else D.FOUNDATION_SCOPES)
            org = _Org(kind=OrgKind.FOUNDATION, name=name, name_en=name_en, short=f"{brand_zh}{type_zh}",
                       short_en=f"{brand_en} {type_en}", categories=categories, home_street=home,
                       whole_district=whole, streets=streets, rating=rating, registered=registered,
                       demo=index == 0)
            coverage_zh, coverage_en = self._coverage(org)
            capability = (f"{name}成立于{registered.year}年，{scope_zh}，重点资助"
                          f"{_join_zh([self.category_zh[c] for c in categories])}领域的公益项目，累计资助金额超过"
                          f"{granted}万元。{coverage_zh}。")
            capability_en = (f"Founded in {registered.year}, the foundation {scope_en}. It funds public-benefit "
                             f"projects in {_join_en([D.CATEGORY_TEXT_EN[c] for c in categories])} and has granted "
                             f"more than ¥{granted * 10_000:,} so far. {coverage_en}.")
            self._org_row(org, full_time_staff=staff, office_area_m2=area, capacity=0,
                          capability=capability, capability_en=capability_en,
                          contact_email=f"{_slug(brand_en)}.foundation@example.org",
                          contact_phone=f"0755-8{rng.randrange(10**7):07d}")
            self.orgs.append(org)
        self.demo_funder = next(o for o in self.orgs if o.kind == OrgKind.FOUNDATION)

    def _enterprises(self) -> None:
        rng = self.rng
        brands = self._brands()
        rng.shuffle(brands)
        suppliers = [i for i in D.ENTERPRISE_INDUSTRIES if i[3]]
        others = [i for i in D.ENTERPRISE_INDUSTRIES if not i[3]]
        for index in range(ORG_COUNTS[OrgKind.ENTERPRISE]):
            industry = rng.choice(suppliers if rng.random() < D.ENTERPRISE_SUPPLIER_SHARE else others)
            ind_zh, ind_en, ind_short, supplies, phrase = industry
            brand_zh, brand_en = brands[index]
            programme = rng.choice(D.CSR_PROGRAMMES)
            if supplies:
                categories = rng.sample(supplies, rng.randint(1, len(supplies)))
            else:
                categories = self._pick_categories(_weighted(rng, D.SOCIAL_MAIN_CATEGORY_WEIGHTS),
                                                   rng.choice((1, 2, 3)), related_bias=0.5)
            registered = self._registration(date(1998, 1, 1), date(2024, 12, 31))
            staff = round(_log_uniform(rng, 12, 600))
            area = int(min(2000, max(50, staff * rng.uniform(4, 10))))
            home = rng.randrange(len(self.streets))
            whole = rng.random() < 0.6
            org = _Org(kind=OrgKind.ENTERPRISE, name=f"深圳市{brand_zh}{ind_zh}", name_en=f"Shenzhen {brand_en} {ind_en}",
                       short=f"{brand_zh}{ind_short}", short_en=brand_en, categories=categories, home_street=home,
                       whole_district=whole, streets=self._service_streets(home, whole), registered=registered,
                       programme=programme)
            org.supplies, org.qualifications = D.ENTERPRISE_OFFER.get(ind_short, (("service",), ()))
            cats_zh = _join_zh([self.category_zh[c] for c in categories])
            cats_en = _join_en([D.CATEGORY_TEXT_EN[c] for c in categories])
            if phrase:
                capability = (f"{org.name}成立于{registered.year}年，{phrase[0]}。现有员工{staff}人，"
                              f"可承接福田区{cats_zh}相关的货物采购和工程项目。")
                capability_en = (f"Founded in {registered.year}, the company {phrase[1]}. It has {staff} staff and "
                                 f"takes on goods and works contracts in {cats_en} in Futian.")
                capacity = max(1, min(8, staff // 40 + rng.randint(1, 3)))
            else:
                capability = (f"{org.name}成立于{registered.year}年，现有员工{staff}人。公司积极履行社会责任，"
                              f"通过“{programme[0]}”公益计划支持{cats_zh}领域的社区项目。")
                capability_en = (f"Founded in {registered.year}, the company has {staff} staff. Its CSR programme "
                                 f"'{programme[1]}' supports community projects in {cats_en}.")
                capacity = 0
            self._org_row(org, full_time_staff=staff, office_area_m2=area, capacity=capacity,
                          capability=capability, capability_en=capability_en,
                          contact_email=f"csr@{_slug(brand_en)}-{index + 1:03d}.example.com",
                          contact_phone=f"0755-8{rng.randrange(10**7):07d}")
            self.orgs.append(org)

    def _facts(self, org: _Org) -> dict[str, Any]:
        """The eligibility facts as :meth:`Organization.current_facts` states them (before the insert)."""
        return {
            "name": org.name, "kind": org.kind.value, "credit_code": "",
            "registration_date": org.registered.isoformat() if org.registered else None,
            "full_time_staff": org.row["full_time_staff"], "office_area_m2": org.row["office_area_m2"],
            "rating_grade": org.row["rating_grade"], "home_street_id": org.row["home_street_id"],
            "serves_whole_district": bool(org.whole_district),
            "service_street_ids": sorted(self.streets[s]["id"] for s in org.streets),
            "category_ids": sorted(self.category_ids[c] for c in org.categories),
        }

    def _insert_orgs(self) -> None:
        for org in self.orgs:  # verified organisations carry the facts their official verified
            org.row["verified_facts"] = self._facts(org) if org.verified else None
        rows = [org.row for org in self.orgs]
        ids = self.session.scalars(_bulk(Organization).returning(Organization.id, sort_by_parameter_order=True),
                                   rows).all()
        category_rows, street_rows = [], []
        for org, org_id in zip(self.orgs, ids):
            org.id = org_id
            category_rows += [{"organization_id": org_id, "category_id": self.category_ids[c]} for c in org.categories]
            street_rows += [{"organization_id": org_id, "street_id": self.streets[s]["id"]} for s in org.streets]
        self.session.execute(insert(organization_categories), category_rows)
        self.session.execute(insert(organization_service_streets), street_rows)
        self.verified_providers = [o for o in self.orgs if o.kind == OrgKind.SOCIAL_ORGANISATION and o.verified]

    def _verifications(self) -> None:
        """The audit events of the verifications (and refusals), as ``market.orgs.services`` writes them.

        The district official decided on every organisation: officials governing an organisation's
        home street may, and district-wide officials govern every street. Government departments and
        street offices were registered by the system when the district set the exchange up.
        """
        for org in self.orgs:
            state = VerificationState(org.row["verification_state"])
            if state == VerificationState.PENDING:
                continue
            official = None if org.kind == OrgKind.GOVERNMENT else self.users["official"]
            if official is not None:
                policy.require(official, "organization.verify",
                               Scope(street_id=org.row["home_street_id"], district_id=self.district_id, org_id=org.id,
                                     public=True))
            if state == VerificationState.VERIFIED:
                record(official, "organization.verified", object_type="organizations", object_id=org.id,
                       before={"verification_state": VerificationState.PENDING},
                       after={"verification_state": state, "facts": org.row["verified_facts"]})
            else:
                record(official, "organization.verification_refused", object_type="organizations",
                       object_id=org.id, before={"verification_state": VerificationState.PENDING},
                       after={"verification_state": state, "reason": org.row["verification_note"]})

    def _attach_fixed_users(self) -> None:
        self.users["official"].organization_id = self.departments[D.SOCIAL_FUND_OWNER].id
        self.users["finance"].organization_id = self.departments[D.SOCIAL_FUND_OWNER].id
        self.users["street_official"].organization_id = self.departments[len(D.DISTRICT_DEPARTMENTS) + self.demo_street].id
        self.users["provider"].organization_id = self.demo_provider.id
        self.users["funder"].organization_id = self.demo_funder.id
        self.session.flush()
        self.members[self.demo_provider.id] = self.users["provider"].id

    # -- funding pools -------------------------------------------------------

    def _pools(self) -> list[dict[str, Any]]:
        """Declare the pools as ``create_pool`` does (empty), then let their money arrive: the
        social-construction fund's appropriation, and the other pools' top-ups of what they hold
        today (a pool's declared total may be more than what arrived; what it spent on past
        grants arrives with the marketplace's history, ``market.demo.marketplace``)."""
        rng = self.rng
        fund_owner = self.departments[D.SOCIAL_FUND_OWNER]
        created = datetime(2026, 1, 5, 2, 0, tzinfo=UTC)
        specs: list[dict[str, Any]] = [{
            "org": fund_owner, "name": D.SOCIAL_FUND_NAME, "name_en": D.SOCIAL_FUND_NAME_EN,
            "description": D.SOCIAL_FUND_DESCRIPTION, "description_en": D.SOCIAL_FUND_DESCRIPTION_EN, "year": 2026,
            "declared": SOCIAL_FUND_TOTAL_CENTS, "held": SOCIAL_FUND_TOTAL_CENTS,
            "max_grant": SOCIAL_FUND_MAX_GRANT_CENTS, "share": SOCIAL_FUND_SHARE_PERCENT, "is_open": True,
            "created": created, "categories": [], "streets": []}]
        for org in self.orgs:
            if not org.verified:  # pending or refused funders have no pools yet
                continue
            if org.kind == OrgKind.FOUNDATION:
                count = 1 if org is self.demo_funder else (2 if rng.random() < 0.06 else 1)
            elif org.kind == OrgKind.ENTERPRISE:
                csr_only = org.row["capacity"] == 0
                count = 1 if rng.random() < (0.12 if csr_only else 0.04) else 0
            else:
                continue
            for number in range(count):
                specs.append(self._pool(org, demo=org is self.demo_funder and number == 0))
        members = self._funder_members(specs)
        for spec in specs:
            pool = pools.create_pool(members[spec["org"].id], pools.PoolInput(
                name=spec["name"], declared_cents=spec["declared"], name_en=spec["name_en"],
                description=spec["description"], description_en=spec["description_en"], year=spec["year"],
                max_grant_cents=spec["max_grant"], max_share_percent=spec["share"], is_open=spec["is_open"],
                category_ids=tuple(self.category_ids[c] for c in spec["categories"]),
                street_ids=tuple(self.streets[s]["id"] for s in spec["streets"])))
            pool.created_at = pool.updated_at = spec["created"]
            spec["pool"], spec["id"] = pool, pool.id
        official = self.users["official"]
        fund = specs[0]
        money.appropriate(official, self.users["finance"], fund["pool"], fund["held"], D.SOCIAL_FUND_APPROPRIATION_REF,
                          requested_at=fund["created"] + timedelta(days=3),
                          confirmed_at=fund["created"] + timedelta(days=8))
        for spec in specs[1:]:
            if spec["held"]:
                money.top_up(members[spec["org"].id], official, spec["pool"], spec["held"],
                             at=spec["created"] + timedelta(hours=20), confirmed_at=spec["created"] + timedelta(days=2))
        return specs

    def _funder_members(self, specs: list[dict[str, Any]]) -> dict[int, User]:
        """``{organisation id: the member who manages its pools}``: the demo accounts for the
        bureau and the demo foundation, a staff member created now for every other funder."""
        members = {self.departments[D.SOCIAL_FUND_OWNER].id: self.users["official"],
                   self.demo_funder.id: self.users["funder"]}
        rows: dict[int, dict[str, Any]] = {}
        for spec in specs:
            org = spec["org"]
            if org.id in members or org.id in rows:
                continue
            given = "".join(self.extra_rng.choice(D.GIVEN_NAME_CHARS) for _ in range(self.extra_rng.choice((1, 2, 2))))
            rows[org.id] = {"email": f"funder{len(rows) + 1:03d}@{D.DEMO_EMAIL_DOMAIN}",
                            "display_name": f"{self.extra_rng.choice(D.SURNAMES)}{given}（{org.short}）",
                            "password_hash": self.password_hash, "role": Role.FUNDER.value, "organization_id": org.id,
                            "created_at": org.row["created_at"], "updated_at": org.row["created_at"]}
        if rows:
            ids = self.session.scalars(_bulk(User).returning(User.id, sort_by_parameter_order=True),
                                       list(rows.values())).all()
            users = {u.id: u for u in self.session.scalars(select(User).where(User.id.in_(ids)))}
            members.update({org_id: users[user_id] for org_id, user_id in zip(rows, ids, strict=True)})
        return members

    def _pool(self, org: _Org, demo: bool) -> dict[str, Any]:
        rng = self.rng
        is_open = demo or rng.random() < 0.86
        year = 2026 if demo else (rng.choices((2026, 2027), weights=(7, 3))[0] if is_open
                                  else rng.choices((2025, 2026), weights=(8, 2))[0])
        total = 2_000_000 if demo else _round_to(_log_uniform(rng, 200_000, 20_000_000), 10_000)
        if not is_open:
            remaining = _round_to(total * rng.uniform(0, 0.2), 100) if rng.random() < 0.7 else 0
        elif year == 2027:
            remaining = total
        else:
            remaining = _round_to(total * rng.uniform(0.2, 1.0), 100)
        remaining = min(remaining, total)
        if demo:
            remaining = 1_650_000
        grant_options = [g for g in (50_000, 100_000, 200_000, 300_000, 500_000, 1_000_000) if g <= total]
        max_grant = 200_000 if demo else (None if rng.random() < 0.25 or not grant_options else rng.choice(grant_options))
        if org.kind == OrgKind.FOUNDATION:
            share = 80 if demo else rng.choices((100, 80, 70, 50), weights=(50, 20, 15, 15))[0]
        else:
            share = rng.choices((100, 80, 50), weights=(75, 15, 10))[0]
        if demo:
            focus = ["elderly_care", "community_education"]
        elif rng.random() < 0.12:
            focus = []
        else:
            focus = rng.sample(org.categories, rng.randint(1, len(org.categories)))
        focus = sorted(focus, key=[c for c, _, _ in CATEGORIES].index)
        if demo:
            streets: list[int] = []
        elif org.streets and (not org.whole_district) and (org.kind == OrgKind.ENTERPRISE or
                                                            org.short.endswith(D.COMMUNITY_FOUNDATION[0])):
            streets = list(org.streets)
        elif rng.random() < 0.12:
            streets = sorted(rng.sample(range(len(self.streets)), rng.randint(1, 3)))
        else:
            streets = []
        if org.kind == OrgKind.FOUNDATION:
            if len(focus) == 1:
                theme_zh, theme_en = self.category_zh[focus[0]], D.CATEGORY_TITLE_EN[focus[0]]
                name = f"{org.short}{year}年度{theme_zh}资助计划"
                name_en = f"{org.short_en} {year} {theme_en} Grants"
            elif focus:
                name = f"{org.short}{year}年度社区公益资助计划"
                name_en = f"{org.short_en} {year} Community Grants"
            else:
                name = f"{org.short}{year}年度公益创投计划"
                name_en = f"{org.short_en} {year} Social Venture Grants"
        else:
            programme = org.programme or ("公益", "Community")
            name = f"{org.short}“{programme[0]}”公益计划（{year}）"
            name_en = f"{org.short_en} '{programme[1]}' Programme ({year})"
        focus_zh = _join_zh([self.category_zh[c] for c in focus]) if focus else "各类社会服务"
        focus_en = _join_en([D.CATEGORY_TEXT_EN[c] for c in focus]) if focus else "all kinds of social services"
        if streets:
            where_zh = _join_zh([self.streets[s]["zh"] for s in streets])
            where_en = _join_en([self.streets[s]["en"] for s in streets])
        else:
            where_zh, where_en = "福田区", "Futian District"
        grant_zh = f"单个项目资助上限{max_grant // 10_000:g}万元" if max_grant else "单个项目资助金额视项目需求确定"
        grant_en = f"up to ¥{max_grant:,} per project" if max_grant else "amounts set by each project's needs"
        share_zh = f"，资助金额不超过项目总成本的{share}%" if share < 100 else ""
        share_en = f", covering at most {share}% of a project's cost" if share < 100 else ""
        description = (f"资助{where_zh}{focus_zh}领域的公益项目，{grant_zh}{share_zh}。"
                       f"优先支持在福田区登记、运作规范的社会组织。")
        description_en = (f"Grants for public-benefit projects in {focus_en} in {where_en}: {grant_en}{share_en}. "
                          f"Well-run social organisations registered in Futian are preferred.")
        created = _moment(rng, date(year - 1, 12, 1) + timedelta(days=rng.randint(0, 60)))
        created = min(created, D.REFERENCE_TIME - timedelta(days=3))
        return {"org": org, "name": name, "name_en": name_en, "description": description,
                "description_en": description_en, "year": year, "declared": total * 100, "held": remaining * 100,
                "max_grant": max_grant * 100 if max_grant else None, "share": share, "is_open": is_open,
                "created": created, "categories": focus, "streets": streets}

    # -- projects ------------------------------------------------------------

    def _projects(self) -> int:
        rng = self.rng
        kinds = [kind for kind, n in PROJECT_COUNTS.items() for _ in range(n * self.scale)]
        rng.shuffle(kinds)
        self.public_benefit_seen = 0
        self.by_category = {code: [o for o in self.verified_providers if code in o.categories]
                            for code, _, _ in CATEGORIES}
        makers = {ProjectKind.GOVERNMENT_SERVICE: self._government_project,
                  ProjectKind.PUBLIC_BENEFIT: self._public_benefit_project, ProjectKind.MICRO: self._micro_project}
        rows = [makers[kind]() for kind in kinds]
        # Public-benefit projects name their organisation's member, created now in one batch.
        owners = self._insert_members()
        for row in rows:
            if row["owner_id"] < 0:
                row["owner_id"] = owners[row["owner_id"]]
        ids: list[int] = []
        for start in range(0, len(rows), PROJECT_CHUNK):
            ids += self.session.scalars(_bulk(Project).returning(Project.id, sort_by_parameter_order=True),
                                        rows[start:start + PROJECT_CHUNK]).all()
        self._receive_money(rows, ids)
        return len(rows)

    def _receive_money(self, rows: list[dict[str, Any]], ids: list[int]) -> None:
        """What public-benefit projects raised while seeking funds: the applicant's bank transfer of
        the funds it raised itself (自筹), confirmed by an official of the project's street."""
        rng = self.extra_rng
        wanted = [(project_id, row, yuan) for project_id, row, yuan in zip(ids, rows, self.received, strict=True)
                  if yuan]
        if not wanted:
            return
        projects = {p.id: p for p in self.session.scalars(select(Project).where(
            Project.kind == ProjectKind.PUBLIC_BENEFIT, Project.status.in_(
                (ProjectStatus.OPEN, ProjectStatus.EVALUATING, ProjectStatus.CANCELLED))))}
        payers = {u.id: u for u in self.session.scalars(select(User).where(User.role == Role.PROVIDER))}
        street_official, official = self.users["street_official"], self.users["official"]
        for project_id, row, yuan in wanted:
            published = row["published_at"]
            if row["status"] == ProjectStatus.CANCELLED:  # raised soon after publication, before the end
                at = published + timedelta(days=rng.uniform(1, 9))
            else:
                at = published + (D.REFERENCE_TIME - published) * rng.uniform(0.1, 0.6)
            confirmer = street_official if row["street_id"] == street_official.street_id else official
            money.receive(payers[row["owner_id"]], confirmer, projects[project_id], yuan * 100, at=at,
                          confirmed_at=at + (D.REFERENCE_TIME - at) * 0.25)

    def _schedule(self, kind: ProjectKind, status: ProjectStatus, months: int) -> dict[str, Any]:
        """Dates consistent with ``status`` around the reference date."""
        rng = self.rng
        ref = D.REFERENCE_DATE
        tendered = kind != ProjectKind.PUBLIC_BENEFIT
        bid_window = (10, 30) if kind == ProjectKind.MICRO else (20, 45)
        deadline_day: date | None = None
        published: date | None = None
        if status == ProjectStatus.DRAFT:
            start = ref + timedelta(days=rng.randint(60, 240))
            created = ref - timedelta(days=rng.randint(1, 60))
        elif status == ProjectStatus.OPEN:
            published = ref - timedelta(days=rng.randint(1, 45))
            if tendered:
                deadline_day = ref + timedelta(days=rng.randint(21, 150))
                start = deadline_day + timedelta(days=rng.randint(20, 60))
            else:
                start = ref + timedelta(days=rng.randint(30, 180))
        elif status == ProjectStatus.EVALUATING:
            published = ref - timedelta(days=rng.randint(40, 120))
            deadline_day = ref - timedelta(days=rng.randint(1, 30))
            start = ref + timedelta(days=rng.randint(15, 75))
        elif status == ProjectStatus.AWARDED:
            published = ref - timedelta(days=rng.randint(60, 200))
            deadline_day = published + timedelta(days=rng.randint(*bid_window))
            start = ref + timedelta(days=rng.randint(0, 60))
        elif status == ProjectStatus.IN_PROGRESS:
            start = ref - timedelta(days=rng.randint(20, min(330, months * 30 - 10)))
            published = start - timedelta(days=rng.randint(40, 100))
            deadline_day = published + timedelta(days=rng.randint(*bid_window))
        elif status == ProjectStatus.COMPLETED:
            end = ref - timedelta(days=rng.randint(5, 330))
            start = end - timedelta(days=months * 30)
            published = start - timedelta(days=rng.randint(40, 100))
            deadline_day = published + timedelta(days=rng.randint(*bid_window))
        else:  # cancelled
            published = ref - timedelta(days=rng.randint(10, 300))
            deadline_day = published + timedelta(days=rng.randint(*bid_window))
            start = published + timedelta(days=rng.randint(60, 120))
        if status in (ProjectStatus.IN_PROGRESS, ProjectStatus.COMPLETED) and deadline_day is not None:
            # The bids are opened (a day or so after the deadline) before the award, which comes 12 to 30
            # days before the start (market.demo.marketplace): a call closing too late opens earlier.
            late = deadline_day - (start - timedelta(days=33))
            if late > timedelta(0):
                published -= late
                deadline_day -= late
        if status != ProjectStatus.COMPLETED:
            end = start + timedelta(days=months * 30)
        if status == ProjectStatus.IN_PROGRESS and end <= ref:
            end = ref + timedelta(days=rng.randint(15, 120))
        published_at = _moment(rng, published) if published else None
        if published_at is not None:
            created_at = published_at - timedelta(days=rng.randint(1, 20), hours=rng.randint(0, 8))
        else:
            created_at = _moment(rng, created)
        deadline = None
        if tendered and deadline_day is not None:
            # 17:00 Beijing time, the usual closing hour of Shenzhen calls.
            deadline = datetime(deadline_day.year, deadline_day.month, deadline_day.day, 9, 0, tzinfo=UTC)
        updated_at = published_at or created_at
        if status == ProjectStatus.CANCELLED and published_at is not None and deadline is not None:
            # Cancelled a third of the way to its deadline: the last change of a cancelled project.
            updated_at = min(published_at + (deadline - published_at) / 3, D.REFERENCE_TIME - timedelta(hours=1))
            updated_at = updated_at.replace(second=0, microsecond=0)
        return {"start_date": start, "end_date": end, "bid_deadline": deadline, "published_at": published_at,
                "created_at": created_at, "updated_at": updated_at}

    def _service_texts(self, template: D.ServiceTemplate, place: _Place, schedule: dict[str, Any],
                       budget: int, note: tuple[str, str], year_in_title: bool) -> dict[str, str]:
        rng = self.rng
        title_zh, title_en, target_zh, target_en, activity_zh, activity_en = template
        months = max(1, round((schedule["end_date"] - schedule["start_date"]).days / 30))
        people = _round_to(budget / rng.uniform(120, 600), 10)
        sessions = max(4, people // rng.randint(10, 30))
        year = schedule["start_date"].year
        prefix, suffix = (f"{year}年", f" ({year})") if year_in_title else ("", "")
        return {
            "title": prefix + _prefixed(place.zh, title_zh),
            "title_en": f"{title_en}, {place.en}{suffix}",
            "description": (f"本项目面向{_prefixed(place.zh, target_zh)}，{activity_zh}。项目周期{months}个月，"
                            f"计划服务{people}人次，开展活动{sessions}场。{note[0]}"),
            "description_en": (f"For {target_en} in {place.en}: {activity_en}. The project runs for {months} months "
                               f"and plans {people:,} service contacts in {sessions} activities. {note[1]}"),
        }

    def _goods_works_texts(self, template: D.GoodsWorksTemplate, place: _Place, budget: int,
                           year_in_title: bool, year: int) -> dict[str, str]:
        rng = self.rng
        kind, _, title_zh, title_en, scope_zh, scope_en = template
        days = rng.choice((30, 45, 60, 90, 120)) if kind == "works" else rng.choice((15, 20, 30, 45))
        period_zh = "工期" if kind == "works" else "供货期"
        period_en = "construction period" if kind == "works" else "delivery within"
        prefix, suffix = (f"{year}年", f" ({year})") if year_in_title else ("", "")
        return {
            "title": prefix + _prefixed(place.zh, title_zh),
            "title_en": f"{title_en}, {place.en}{suffix}",
            "description": (f"本项目在{place.zh}{scope_zh}。预算{budget / 10_000:g}万元，{period_zh}{days}天，"
                            f"须符合国家相关质量与安全标准。"),
            "description_en": (f"The project covers {scope_en} in {place.en}. Budget ¥{budget:,}; {period_en} "
                               f"{days} days, to national quality and safety standards."),
        }

    def _project_row(self, kind: ProjectKind, status: ProjectStatus, category: str, project_type: str,
                     place: _Place, budget: int, owner_id: int, organization_id: int | None,
                     texts: dict[str, str], schedule: dict[str, Any], eligibility: tuple[int, int, int, int],
                     funded: int = 0) -> dict[str, Any]:
        rating, years, staff, area = eligibility
        # Money is not a column to fill in: it arrives by confirmed transfers (see _receive_money).
        # What an awarded or later project received comes with its award (market.demo.marketplace).
        self.received.append(funded if status in (ProjectStatus.OPEN, ProjectStatus.EVALUATING,
                                                  ProjectStatus.CANCELLED) else 0)
        return {"kind": kind.value, **texts, "category_id": self.category_ids[category],
                "project_type": project_type, "street_id": place.street_id, "community_id": place.community_id,
                "district_id": self.district_id,
                "budget_cents": budget * 100, "funded_cents": 0,
                "min_rating_grade": rating, "min_years_registered": years, "min_staff": staff,
                "min_office_area_m2": area, "owner_id": owner_id, "organization_id": organization_id,
                "status": status.value, **schedule}

    def _government_project(self) -> dict[str, Any]:
        rng = self.rng
        kind = ProjectKind.GOVERNMENT_SERVICE
        status = _weighted(rng, STATUS_WEIGHTS[kind])
        project_type = rng.choices(("service", "goods", "works"), weights=(76, 9, 15))[0]
        roll = rng.random()
        if roll < 0.2:
            place = self._district_place()
        elif roll < 0.8:
            place = self._street_place(rng.randrange(len(self.streets)))
        else:
            place = self._community_place(rng.randrange(len(self.communities)))
        if project_type == "service":
            category = _weighted(rng, D.SOCIAL_MAIN_CATEGORY_WEIGHTS)
            template: Any = rng.choice(D.SERVICE_TEMPLATES[category])
            months = rng.choice((6, 12, 12, 12, 24))
            high = 800_000 if place.community_id else 3_000_000
            budget = _round_to(_log_uniform(rng, 100_000, high), 1_000)
        else:
            template = rng.choice([t for t in D.GOODS_WORKS_TEMPLATES if t[0] == project_type])
            category = template[1]
            months = rng.choice((2, 3, 4, 6))
            budget = _round_to(_log_uniform(rng, 100_000, 3_000_000 if project_type == "works" else 1_200_000), 1_000)
        schedule = self._schedule(kind, status, months)
        year_in_title = rng.random() < 0.5
        if project_type == "service":
            texts = self._service_texts(template, place, schedule, budget, rng.choice(D.GOVERNMENT_NOTES),
                                        year_in_title)
            if budget >= 1_000_000:
                eligibility = (rng.choice((2, 3, 3, 3)), rng.choice((1, 2, 3)), rng.choice((3, 5, 10)),
                               rng.choice((20, 50, 100)))
            elif budget >= 300_000:
                eligibility = (rng.choice((0, 2, 3)), 1, 3, 20)
            else:
                eligibility = (rng.choice((0, 0, 0, 1, 2, 3)), 1, 3, 20)
        else:
            texts = self._goods_works_texts(template, place, budget, year_in_title, schedule["start_date"].year)
            eligibility = (0, 1, rng.choice((3, 5)), 20)
        if place.street is None:
            department = self.departments[D.PURCHASING_DEPARTMENT.get(category, 0)]
        else:
            department = self.departments[len(D.DISTRICT_DEPARTMENTS) + place.street]
        return self._project_row(kind, status, category, project_type, place, budget,
                                 self._owner_for(place.street), department.id, texts, schedule, eligibility)

    def _public_benefit_project(self) -> dict[str, Any]:
        rng = self.rng
        kind = ProjectKind.PUBLIC_BENEFIT
        status = _weighted(rng, STATUS_WEIGHTS[kind])
        if self.public_benefit_seen < 4:  # the demo provider's own projects
            org = self.demo_provider
            category = org.categories[self.public_benefit_seen % 2]
        else:
            category = _weighted(rng, D.SOCIAL_MAIN_CATEGORY_WEIGHTS)
            candidates = self.by_category[category] or self.verified_providers
            org = rng.choice(candidates)
            if category not in org.categories:
                category = org.categories[0]
        self.public_benefit_seen += 1
        goods = [t for t in D.GOODS_WORKS_TEMPLATES if t[0] == "goods" and t[1] == category]
        project_type = "goods" if goods and rng.random() < 0.1 else "service"
        streets = org.streets or list(range(len(self.streets)))
        roll = rng.random()
        if roll < 0.25 and org.whole_district:
            place = self._district_place()
        elif roll < 0.7:
            place = self._street_place(rng.choice(streets))
        else:
            street = rng.choice(streets)
            place = self._community_place(rng.choice(self.streets[street]["communities"]))
        budget = _round_to(_log_uniform(rng, 50_000, 800_000), 100)
        months = rng.choice((6, 9, 12, 12, 18))
        schedule = self._schedule(kind, status, months)
        if project_type == "service":
            texts = self._service_texts(rng.choice(D.SERVICE_TEMPLATES[category]), place, schedule, budget,
                                        rng.choice(D.PUBLIC_BENEFIT_NOTES), False)
        else:
            texts = self._goods_works_texts(rng.choice(goods), place, budget, False, schedule["start_date"].year)
        share = {ProjectStatus.DRAFT: (0, 0), ProjectStatus.OPEN: (0, 0.8), ProjectStatus.EVALUATING: (0.3, 0.95),
                 ProjectStatus.CANCELLED: (0, 0.3)}.get(status, (1, 1))
        funded = min(budget, _round_to(budget * rng.uniform(*share), 100)) if share[1] else 0
        if share[0] == 0 and share[1] and rng.random() < 0.15:
            funded = 0
        return self._project_row(kind, status, category, project_type, place, budget, self._member(org), org.id,
                                 texts, schedule, (0, 0, 0, 0), funded)

    def _member(self, org: _Org) -> int:
        """A provider user for ``org``, created on first need."""
        if org.id not in self.members:
            number = len(self.member_rows) + 1
            created = _moment(self.rng, D.REFERENCE_DATE - timedelta(days=self.rng.randint(200, 600)))
            self.member_rows.append({
                "email": f"member{number:03d}@{D.DEMO_EMAIL_DOMAIN}", "display_name": self._person_name(),
                "password_hash": self.password_hash, "role": Role.PROVIDER.value, "organization_id": org.id,
                "created_at": created, "updated_at": created})
            self.members[org.id] = -number  # placeholder until the batch insert
        return self.members[org.id]

    def _insert_members(self) -> dict[int, int]:
        """Insert the member users; return ``{placeholder: user id}``."""
        if not self.member_rows:
            return {}
        ids = self.session.scalars(_bulk(User).returning(User.id, sort_by_parameter_order=True),
                                   self.member_rows).all()
        return {-(number + 1): user_id for number, user_id in enumerate(ids)}

    def _micro_project(self) -> dict[str, Any]:
        rng = self.rng
        kind = ProjectKind.MICRO
        status = _weighted(rng, STATUS_WEIGHTS[kind])
        template = rng.choice(D.MICRO_TEMPLATES)
        project_type, category, title_zh, title_en, content_zh, content_en, high = template
        place = self._community_place(rng.randrange(len(self.communities)))
        if status == ProjectStatus.COMPLETED and not self.resident_rates_one:
            self.resident_rates_one = True
            place = self._community_place(self._community_index(D.DEMO_RESIDENT_COMMUNITY))
        low = 50_000 if project_type == "works" else 20_000
        budget = _round_to(_log_uniform(rng, low, high), 100)
        months = rng.choice((1, 2, 3, 4, 6))
        schedule = self._schedule(kind, status, months)
        street = self.streets[place.street]  # type: ignore[index]
        year = schedule["start_date"].year
        households = _round_to(rng.uniform(40, 1500), 10)
        texts = {
            "title": _prefixed(place.zh, title_zh),
            "title_en": f"{title_en}, {place.en}",
            "description": (f"{content_zh}。本项目由居民提议、社区居委会审议通过，纳入{year}年{street['zh']}"
                            f"民生微实事项目，预计惠及{households}户居民。"),
            "description_en": (f"{_capitalise(content_en)}. Proposed by residents and approved by the residents' "
                               f"committee, it is one of {street['en']}'s {year} resident micro-projects and should "
                               f"benefit about {households:,} households."),
        }
        department = self.departments[len(D.DISTRICT_DEPARTMENTS) + place.street]  # type: ignore[operator]
        eligibility = (0, 1, 3, 0)
        return self._project_row(kind, status, category, project_type, place, budget,
                                 self._owner_for(place.street), department.id, texts, schedule, eligibility)

    # -- audit ---------------------------------------------------------------

    def _audit(self, pools: list[dict[str, Any]], projects: int) -> None:
        record(self.users["street_official"], "user.verified", object_type="users",
               object_id=self.users["resident"].id, before={"verified": False}, after={"verified": True})
        record(None, "demo.loaded", object_type="system", object_id="demo",
               after={"seed": D.SEED, "scale": self.scale, "projects": projects, "organizations": len(self.orgs),
                      "funding_pools": len(pools), "reference_date": D.REFERENCE_DATE})

