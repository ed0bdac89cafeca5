"""Shared fixtures: the app on SQLite (or ``--db-url``), a clean database per test,
a CSRF-aware client helper and factories that return callables."""
from __future__ import annotations

import os
import re
import uuid
from datetime import date, timedelta
from itertools import count

import pytest
from flask.testing import FlaskClient
from hypothesis import settings
from sqlalchemy import create_engine, delete, func, select, text
from sqlalchemy.engine import make_url

DEFAULT_PASSWORD = "correct-horse-9"

# CI explores the same examples every run (a failure found locally is kept by its seed printout).
settings.register_profile("ci", derandomize=True, database=None)
if os.environ.get("CI"):
    settings.load_profile("ci")


def pytest_ignore_collect(collection_path, config):
    """Browser and cluster tests run only when asked for by path (`make test-e2e`, `make test-cluster`)."""
    if collection_path.name in ("e2e", "cluster") and not any(collection_path.name in str(arg)
                                                               for arg in config.args):
        return True
    return None


def pytest_addoption(parser):
    parser.addoption("--db-url", default="", help="run database tests against this URL (PostgreSQL)")


@pytest.fixture(scope="session", autouse=True)
def _test_speed_settings():
    """Real hashing with fewer rounds (the suite logs in hundreds of times); totals, choices, search
    pages and the words like a misspelt one see changes at once."""
    from market.accounts import models
    from market.geo import services as geo_services
    from market.search import query
    from market.ui import listing

    models.PASSWORD_HASH_METHOD = "pbkdf2:sha256:1000"
    listing.totals.seconds = 0.0
    listing.searches.seconds = 0.0
    geo_services.choices.seconds = 0.0
    query.spellings.seconds = 0.0


@pytest.fixture(scope="session")
def database_url(request, tmp_path_factory):
    """SQLite in a temporary file (threads share it), or a throw-away database on the
    ``--db-url`` server so that several test runs can use one server at once."""
    url = request.config.getoption("--db-url")
    if not url:
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"
        return
    server = make_url(url).set(drivername="postgresql+psycopg")
    name = f"{server.database or 'test'}_{uuid.uuid4().hex[:8]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    yield server.set(database=name).render_as_string(hide_password=False)
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


class IsolatedClient(FlaskClient):
    """Each request runs in a fresh application context (own ``g`` and database session),
    as it does in production, even though the test body holds a context of its own."""

    def open(self, *args, **kwargs):
        with self.application.app_context():
            return super().open(*args, **kwargs)


@pytest.fixture(scope="session")
def app(database_url, tmp_path_factory):
    from market import create_app
    from market.config import TestConfig
    from market.core.db import db

    app = create_app(TestConfig(database_url, instance_path=str(tmp_path_factory.mktemp("instance"))))
    app.test_client_class = IsolatedClient
    with app.app_context():
        db.drop_all()
        db.create_all()
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def _empty_all_tables(db) -> None:
    if db.engine.dialect.name == "postgresql":
        # DELETE on a few small tables is far quicker than TRUNCATE on dozens; replica mode
        # skips the foreign-key triggers (users and organizations refer to each other).
        db.session.execute(text("SET session_replication_role = replica"))
        for table in reversed(db.metadata.sorted_tables):
            db.session.execute(delete(table))
        db.session.execute(text("SET session_replication_role = DEFAULT"))
    else:
        # users and organizations refer to each other; SQLite checks keys row by row.
        connection = db.session.connection()
        connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
        for table in reversed(db.metadata.sorted_tables):
            connection.execute(delete(table))
        db.session.commit()
        db.session.connection().exec_driver_sql("PRAGMA foreign_keys=ON")
    db.session.commit()


@pytest.fixture(autouse=True)
def _clean_database(request):
    """Every test that touches the app starts from empty tables plus the category taxonomy."""
    if "app" not in request.fixturenames:
        yield
        return
    app = request.getfixturevalue("app")
    from market.core.db import db
    from market.extensions import limiter
    from market.geo.models import Category
    from market.geo.taxonomy import CATEGORIES

    with app.app_context():
        db.session.add_all(Category(code=c, name=zh, name_en=en, sort_order=i) for i, (c, zh, en) in enumerate(CATEGORIES))
        db.session.commit()
        limiter.reset()
        app.extensions["audit"].checkpoints.reset()
        ctx = app.app_context()
        ctx.push()
        try:
            yield
        finally:
            db.session.rollback()
            db.session.remove()
            ctx.pop()
            _empty_all_tables(db)
            db.session.remove()


class DemoSnapshot:
    """The whole demo, loaded through the services once per test process, then copied row by row into
    the test's emptied database (a second instead of a whole load for every test that reads it)."""

    def __init__(self) -> None:
        self.rows: dict[str, list[dict]] | None = None
        self.checkpoints: list = []

    def load_into(self, app) -> None:
        from market.core.db import db
        from market.demo.loader import load_demo

        if self.rows is None:
            load_demo(db.session)
            db.session.commit()
            self.rows = {table.name: [dict(row) for row in db.session.execute(table.select()).mappings()]
                         for table in db.metadata.sorted_tables}
            self.checkpoints = list(app.extensions["audit"].checkpoints.all())
            return
        _empty_all_tables(db)
        _insert_rows(db, self.rows)
        log = app.extensions["audit"].checkpoints
        log.reset()
        for checkpoint in self.checkpoints:
            log.append(seq=checkpoint.seq, head=checkpoint.head, at=checkpoint.at, note=checkpoint.note)


def _insert_rows(db, rows: dict[str, list[dict]]) -> None:
    connection = db.session.connection()
    postgres = db.engine.dialect.name == "postgresql"
    # users and organizations refer to each other: keys are checked once every row is back.
    connection.exec_driver_sql("SET session_replication_role = replica" if postgres else "PRAGMA defer_foreign_keys=ON")
    for table in db.metadata.sorted_tables:
        if rows[table.name]:
            connection.execute(table.insert(), rows[table.name])
            if postgres and "id" in table.c and table.c.id.autoincrement is not False:
                highest = select(func.max(table.c.id)).scalar_subquery()
                connection.execute(select(func.setval(func.pg_get_serial_sequence(table.name, "id"), highest)))
    if postgres:
        connection.exec_driver_sql("SET session_replication_role = DEFAULT")
    db.session.commit()


@pytest.fixture(scope="session")
def demo_snapshot():
    return DemoSnapshot()


@pytest.fixture
def demo(app, demo_snapshot):
    """The whole demo in the test's database (the same rows as ``flask demo load``)."""
    demo_snapshot.load_into(app)


@pytest.fixture
def client(app):
    return app.test_client()


_TOKEN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


class Browser:
    """A test client that fetches a CSRF token like a browser would, then posts forms."""

    def __init__(self, client):
        self.client = client
        self._token: str | None = None

    def token(self) -> str:
        if self._token is None:
            page = self.client.get("/login").get_data(as_text=True)
            self._token = _TOKEN.search(page).group(1)
        return self._token

    def get(self, url, **kwargs):
        return self.client.get(url, **kwargs)

    def post(self, url, data=None, *, csrf=True, **kwargs):
        data = dict(data or {})
        if csrf:
            data.setdefault("csrf_token", self.token())
        return self.client.post(url, data=data, **kwargs)

    def login(self, user, password: str = DEFAULT_PASSWORD):
        response = self.post("/login", {"email": user.email, "password": password})
        assert response.status_code == 302, response.get_data(as_text=True)[:500]
        self._token = None  # the session changed; fetch a fresh token
        return response

    def logout(self):
        return self.post("/logout")


@pytest.fixture
def browser(client):
    return Browser(client)


@pytest.fixture
def make_browser(app):
    return lambda: Browser(app.test_client())


# ---------------------------------------------------------------- factories

@pytest.fixture
def geo(app):
    """A small district: 2 streets with 2 communities each."""
    from market.core.db import db
    from market.geo.models import Community, District, Street

    district = District(code="440304", name="福田区", name_en="Futian District")
    streets = [Street(district=district, code="S1", name="福田街道", name_en="Futian Subdistrict"),
               Street(district=district, code="S2", name="莲花街道", name_en="Lianhua Subdistrict")]
    communities = [Community(street=streets[0], code="C1", name="岗厦社区", name_en="Gangxia Community"),
                   Community(street=streets[0], code="C2", name="皇岗社区", name_en="Huanggang Community"),
                   Community(street=streets[1], code="C3", name="景田社区", name_en="Jingtian Community"),
                   Community(street=streets[1], code="C4", name="梅岭社区", name_en="Meiling Community")]
    db.session.add_all([district, *streets, *communities])
    db.session.commit()

    class Geo:
        pass

    g = Geo()
    g.district, g.streets, g.communities = district, streets, communities
    return g


@pytest.fixture
def category(app):
    from market.geo.services import categories_by_code

    return lambda code="elderly_care": categories_by_code()[code]


_seq = count(1)


@pytest.fixture
def make_user(app, geo):
    from market.accounts.models import Role, User
    from market.accounts.services import place_official
    from market.core.db import db, utcnow

    def make(role=Role.RESIDENT, *, community=None, street=None, organization=None, verified=True,
             email=None, password=DEFAULT_PASSWORD, **fields):
        n = next(_seq)
        user = User(email=email or f"user{n}@example.org", display_name=f"User {n}", role=role, **fields)
        user.set_password(password)
        if role == Role.RESIDENT:
            user.community_id = (community or geo.communities[0]).id
            if verified:
                user.verified_at = utcnow()
        if street is not None:
            user.street_id = street.id
        if role == Role.OFFICIAL:  # officials of the fixture's district unless told otherwise
            place_official(user, street_id=user.street_id,
                           district_id=None if user.street_id else (user.district_id or geo.district.id))
        if organization is not None:
            user.organization_id = organization.id
        db.session.add(user)
        db.session.commit()
        return user

    return make


@pytest.fixture
def make_org(app, geo, category):
    from market.core.db import db
    from market.orgs.models import Organization, OrgKind, VerificationState

    def make(kind=OrgKind.SOCIAL_ORGANISATION, *, name=None, verified=True, categories=("elderly_care",), **fields):
        n = next(_seq)
        values = {"name_en": f"Futian Social Work Centre {n}",
                  "registration_date": date.today() - timedelta(days=5 * 365), "full_time_staff": 12,
                  "office_area_m2": 120, "rating_grade": 4, "capacity": 3,
                  "capability": "专注居家养老、助餐配送、长者健康管理",
                  "capability_en": "Home-based elderly care, meal delivery, health management for older people",
                  "home_street_id": geo.streets[0].id, "district_id": geo.district.id, **fields}
        org = Organization(name=name or f"福田区第{n}社工服务中心", kind=kind,
                           verification_state=VerificationState.VERIFIED if verified else VerificationState.PENDING,
                           **values)
        org.categories = [category(code) for code in categories]
        db.session.add(org)
        db.session.flush()
        if verified:  # as an official's verification leaves it: the facts it checked are kept
            org.verified_facts = org.current_facts()
        db.session.commit()
        return org

    return make


@pytest.fixture
def make_project(app, geo, category, make_user):
    from market.accounts.models import Role
    from market.core.db import db
    from market.geo.models import ProjectType
    from market.projects.models import Project, ProjectKind, ProjectStatus

    def make(*, owner=None, status=ProjectStatus.OPEN, kind=ProjectKind.GOVERNMENT_SERVICE, title=None,
             budget_cents=30_000_000, category_code="elderly_care", street=None, community=None, **fields):
        owner = owner or make_user(Role.OFFICIAL)
        n = next(_seq)
        fields.setdefault("title_en", f"Meal service for elderly people living alone {n}")
        fields.setdefault("district_id", (street or geo.streets[0]).district_id)
        fields.setdefault("description", "为辖区独居老人提供上门助餐、探访和健康监测服务。")
        fields.setdefault("description_en",
                          "Meal delivery, home visits and health monitoring for elderly residents living alone.")
        project = Project(kind=kind, title=title or f"福田街道独居老人助餐服务项目{n}",
                          category_id=category(category_code).id, project_type=ProjectType.SERVICE,
                          street_id=(street or geo.streets[0]).id, community_id=community.id if community else None,
                          budget_cents=budget_cents, owner_id=owner.id, organization_id=owner.organization_id,
                          status=status, **fields)
        db.session.add(project)
        db.session.commit()
        return project

    return make


@pytest.fixture
def make_pool(app, make_org, category):
    """A pool declaring ``total_cents``, holding ``remaining_cents`` (default: all of it) that arrived
    as a top-up through the ledger."""
    from market.core import ledger
    from market.core.db import db
    from market.funds.models import FundingPool
    from market.orgs.models import OrgKind

    def make(*, funder=None, total_cents=100_000_000, remaining_cents=None, focus=(), **fields):
        funder = funder or make_org(OrgKind.FOUNDATION, categories=())
        n = next(_seq)
        pool = FundingPool(funder_id=funder.id, name=f"社区关爱基金{n}", name_en=f"Community Care Fund {n}",
                           declared_cents=total_cents, **fields)
        pool.focus_categories = [category(code) for code in focus]
        db.session.add(pool)
        db.session.flush()
        arrived = total_cents if remaining_cents is None else remaining_cents
        if arrived:
            ledger.move(ledger.Movement.TOP_UP, arrived, source=ledger.OUTSIDE, target=ledger.pool(pool.id),
                        actor=None, reference_type="test_fixture", reference_id=pool.id)
        db.session.commit()
        return pool

    return make


@pytest.fixture
def city(geo, make_user):
    """District A (the fixture's Futian, two streets) and district B (Luohu, one street), each with a
    district-wide official and a street official."""
    from market.accounts.models import Role
    from market.core.db import db
    from market.geo.models import Community, District, Street

    luohu = District(code="440303", name="罗湖区", name_en="Luohu District")
    street = Street(district=luohu, code="LH1", name="桂园街道", name_en="Guiyuan Subdistrict")
    community = Community(street=street, code="LH101", name="松园社区", name_en="Songyuan Community")
    db.session.add_all([luohu, street, community])
    db.session.commit()

    class City:
        pass

    c = City()
    c.a, c.b, c.b_street, c.b_community = geo.district, luohu, street, community
    c.a_official = make_user(Role.OFFICIAL)
    c.a_street_official = make_user(Role.OFFICIAL, street=geo.streets[0])
    c.b_official = make_user(Role.OFFICIAL, district_id=luohu.id)
    c.b_street_official = make_user(Role.OFFICIAL, street=street)
    c.admin = make_user(Role.ADMIN)
    c.intruders = (c.b_official, c.b_street_official)
    return c


@pytest.fixture(scope="module")
def databases(request):
    """Empty databases for a module's demo loads, on the run's database server (``--db-url``)."""
    from tests.market.demo_helpers import demo_databases

    with demo_databases(request.config.getoption("--db-url")) as made:
        yield made
