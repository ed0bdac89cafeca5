"""Alembic revisions build exactly the schema the models describe, go down and up again, and carry a
database in use over: its money into the ledger, its audit chain, its verified organisations."""
from __future__ import annotations

import hashlib
import json
import re
from datetime import UTC, date, datetime, timedelta

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import CheckConstraint, MetaData, create_engine, inspect, select, text


@pytest.fixture
def migration_app(database_url, tmp_path):
    from market import create_app
    from market.config import TestConfig
    from market.core.db import db

    if database_url.startswith("sqlite"):
        url = f"sqlite:///{tmp_path / 'migrations.db'}"
    else:
        # A separate schema keeps the migration run away from the suite's tables.
        engine = create_engine(database_url)
        with engine.begin() as connection:
            connection.execute(text("DROP SCHEMA IF EXISTS migration_check CASCADE"))
            connection.execute(text("CREATE SCHEMA migration_check"))
        engine.dispose()
        url = database_url + ("&" if "?" in database_url else "?") + "options=-csearch_path%3Dmigration_check"
    app = create_app(TestConfig(url, instance_path=str(tmp_path)))
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
    if not database_url.startswith("sqlite"):
        engine = create_engine(database_url)
        with engine.begin() as connection:
            connection.execute(text("DROP SCHEMA IF EXISTS migration_check CASCADE"))
        engine.dispose()


def test_upgrade_matches_models_then_downgrade_and_upgrade_again(migration_app):
    from market.core.db import db
    from market.search import schema

    with migration_app.app_context():
        upgrade()
        with db.engine.connect() as connection:
            # The search structures are not in the models; tests/market/test_search.py compares them.
            context = MigrationContext.configure(connection, opts={"include_object": schema.include_object})
            diff = compare_metadata(context, db.metadata)
        assert diff == [], f"models and migrations differ: {diff}"
        assert db.session.execute(text("SELECT COUNT(*) FROM categories")).scalar() >= 19
        db.session.remove()
        downgrade(revision="base")
        tables = set(inspect(db.engine).get_table_names()) - {"alembic_version"}
        assert tables == set()
        upgrade()
        assert "projects" in inspect(db.engine).get_table_names()


def test_upgrade_gives_the_models_check_constraints_and_no_server_defaults(migration_app):
    """What ``compare_metadata`` leaves out: CHECK constraints (by name; by text where SQLite keeps it
    as written) and the server defaults that filled new columns of existing rows."""
    from market.core.db import db

    with migration_app.app_context():
        upgrade()
        database = inspect(db.engine)
        sqlite = db.engine.dialect.name == "sqlite"
        for table in db.metadata.sorted_tables:
            wanted = {c.name: " ".join(str(c.sqltext).split()) for c in table.constraints if isinstance(c, CheckConstraint)}
            found = {c["name"]: " ".join(c["sqltext"].split()) for c in database.get_check_constraints(table.name)}
            assert (found if sqlite else set(found)) == (wanted if sqlite else set(wanted)), table.name
            defaults = {c["name"]: c["default"] for c in database.get_columns(table.name)
                        if c["default"] is not None and not (c["name"] == "id" and "nextval" in str(c["default"]))}
            assert defaults == {}, table.name


def _search_structures(connection) -> list[tuple[str, ...]]:
    """The search structures of the connection's schema, as the database describes them (schema
    names left out: the suite's tables and the migration's live in different schemas)."""
    if connection.dialect.name == "sqlite":
        rows = connection.exec_driver_sql(
            "SELECT type, name, sql FROM sqlite_master WHERE name LIKE '%\\_search%' ESCAPE '\\' ORDER BY name")
        return [(kind, name, " ".join((sql or "").split())) for kind, name, sql in rows]
    rows = connection.exec_driver_sql(
        "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema() "
        "AND indexname ~ '^ix_.+_search_' ORDER BY indexname").all()
    rows += connection.exec_driver_sql(
        "SELECT proname, pg_get_functiondef(oid) FROM pg_proc WHERE proname = 'search_cjk_pairs' "
        "AND pronamespace = current_schema()::regnamespace").all()
    rows += connection.exec_driver_sql(
        "SELECT table_name || '.' || column_name, data_type || ' ' || generation_expression "
        "FROM information_schema.columns WHERE table_schema = current_schema() "
        "AND column_name IN ('search_pairs', 'search_english') ORDER BY table_name, column_name").all()
    return [(name, re.sub(r"\b(?:public|migration_check)\.", "", definition)) for name, definition in rows]


def test_upgrade_builds_the_search_structures_that_create_all_builds(app, migration_app):
    """The FTS5 tables and triggers (SQLite) or trigram and full-text indexes (PostgreSQL) of
    ``db.create_all()`` and of the migrations are the same."""
    from market.core.db import db
    from market.search import schema

    with db.engine.connect() as connection:  # the suite's database, built by create_all
        built = _search_structures(connection)
    with migration_app.app_context():
        upgrade()
        with db.engine.connect() as connection:
            migrated = _search_structures(connection)
        db.session.remove()
    if db.engine.dialect.name == "postgresql":  # 3 indexes and 2 columns per table, the character pairs function
        assert len(built) == 5 * len(schema.declared()) + 1 == 16
    else:  # the full-text table, its shadow tables and 3 triggers per table
        assert len(built) == (1 + len(schema.FTS5_SHADOWS) + 3) * len(schema.declared()) == 27
    assert migrated == built


# ---------------------------------------------------------------- upgrading a database in use

T0 = datetime(2026, 3, 2, 9, 30, 15, 123456, tzinfo=UTC)


def _legacy_digest(event: dict) -> str:
    """How 0006-era code hashed an audit event: plain SHA-256 of its content and the previous hash."""
    payload = {name: event[name] for name in ("actor_id", "actor_label", "action", "object_type", "object_id",
                                              "before", "after", "prev_hash")}
    payload["occurred_at"] = event["occurred_at"].astimezone(UTC).isoformat(timespec="microseconds")
    canonical = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _books_before_the_ledger(connection) -> dict[str, int]:
    """Rows as the 0006 code left them; the pool's books balance the old way:
    total (800k declared + 200k topped up) - remaining (400k) = pledged and released (100k + 150k)
    + matched (90k) + reserved and paid commitments (200k + 60k)."""
    tables = MetaData()
    tables.reflect(bind=connection)

    def add(table_name: str, /, **values) -> int | None:
        table = tables.tables[table_name]
        for stamp in ("created_at", "updated_at"):
            if stamp in table.c:
                values.setdefault(stamp, T0)
        if "id" not in table.c:
            connection.execute(table.insert(), values)
            return None
        return connection.execute(table.insert().returning(table.c.id), values).scalar_one()

    later = T0 + timedelta(days=3)
    first, second, third = connection.execute(text("SELECT id FROM categories ORDER BY id LIMIT 3")).scalars()
    district = add("districts", code="440304", name="福田区", name_en="Futian")
    street, other_street = (add("streets", district_id=district, code=code, name=code, name_en=code)
                            for code in ("440304001", "440304002"))
    org_fields = dict(name_en="", full_time_staff=0, office_area_m2=0, rating_grade=0, capability="", capability_en="",
                      capacity=1, serves_whole_district=False, contact_email="", contact_phone="")
    funder = add("organizations", **{**org_fields, "name": "基金会", "kind": "foundation",
                                     "verification_state": "verified"})
    provider = add("organizations", **{**org_fields, "name": "社工中心", "kind": "social_organisation",
                                       "verification_state": "verified", "registration_date": date(2015, 3, 1),
                                       "full_time_staff": 12, "office_area_m2": 150, "rating_grade": 4,
                                       "home_street_id": street})
    pending = add("organizations", **{**org_fields, "name": "新机构", "kind": "social_organisation",
                                      "verification_state": "pending"})
    for category in (third, first):
        add("organization_categories", organization_id=provider, category_id=category)
    for street_id in (other_street, street):
        add("organization_service_streets", organization_id=provider, street_id=street_id)
    user_fields = dict(password_hash="x", is_disabled=False, failed_login_count=0)
    member = add("users", **user_fields, email="funder@example.org", display_name="F", role="funder",
                 organization_id=funder)
    official = add("users", **user_fields, email="official@example.org", display_name="O", role="official")
    donor = add("users", **{**user_fields, "failed_login_count": 3}, email="donor@example.org", display_name="D",
                role="resident")
    add("notifications", user_id=donor, kind="payment.received", params={}, link="/")

    pool = add("funding_pools", funder_id=funder, name="社区基金", name_en="", description="", description_en="",
               total_cents=1_000_000, remaining_cents=400_000, max_share_percent=100, is_open=True)
    idle_pool = add("funding_pools", funder_id=funder, name="备用基金", name_en="", description="", description_en="",
                    total_cents=50_000, remaining_cents=50_000, max_share_percent=100, is_open=True)
    add("funding_pool_categories", funding_pool_id=pool, category_id=first)
    project_fields = dict(kind="public_benefit", title_en="", description="", description_en="", category_id=first,
                          project_type="service", budget_cents=1_000_000, min_rating_grade=0, min_years_registered=0,
                          min_staff=0, min_office_area_m2=0, owner_id=official, status="open", street_id=street)
    # Received: a donation (30k), a released pledge (150k) and a campaign's match (90k).
    project = add("projects", **project_fields, title="长者食堂", funded_cents=270_000)
    # Received money the old books do not explain: it is carried over as an opening balance.
    other_project = add("projects", **project_fields, title="儿童之家", funded_cents=5_000)

    order_fields = dict(method="bank_transfer", currency="CNY", payer_id=donor, anonymous=False, failure_message="",
                        confirmed_by_id=official)
    donation = add("payment_orders", **order_fields, purpose="donation", status="received", amount_cents=30_000,
                   project_id=project, paid_at=later)
    add("payment_orders", **order_fields, purpose="donation", status="awaiting_payment", amount_cents=10_000,
        project_id=project)
    top_up = add("payment_orders", **order_fields, purpose="pool_topup", status="received", amount_cents=200_000,
                 pool_id=pool, paid_at=later)

    pledge_fields = dict(pool_id=pool, project_id=project, note="", pledged_by_id=member, pledged_at=later)
    active = add("pledges", **pledge_fields, amount_cents=100_000, status="pledged")
    add("pledges", **pledge_fields, amount_cents=150_000, status="released_to_project", settled_by_id=member,
        settled_at=later)
    add("pledges", **pledge_fields, amount_cents=50_000, status="withdrawn", settled_by_id=member, settled_at=later)
    campaign = add("matching_campaigns", pool_id=pool, name="配捐", name_en="", description="", description_en="",
                   rule="one_to_one", amount_cents=120_000, starts_at=T0, ends_at=later, status="closed",
                   matched_cents=90_000, explanation="", created_by_id=member, closed_at=later, closed_by_id=member)
    add("matching_campaign_projects", campaign_id=campaign, project_id=project)
    add("campaign_allocations", campaign_id=campaign, project_id=project, donations=1, contributors=1,
        donated_cents=30_000, match_cents=90_000, reason="")
    reserved = add("funding_commitments", pool_id=pool, project_id=project, amount_cents=200_000, status="reserved")
    add("funding_commitments", pool_id=pool, project_id=project, amount_cents=60_000, status="paid", paid_at=later)
    add("funding_commitments", pool_id=pool, project_id=project, amount_cents=40_000, status="released",
        released_at=later)

    previous = "0" * 64
    for number in range(3):
        event = {"occurred_at": T0 + timedelta(minutes=number), "actor_id": official, "actor_label": "official@example.org",
                 "action": "project.created", "object_type": "projects", "object_id": str(project),
                 "before": None if number == 0 else {"status": "draft"}, "after": {"title": "长者食堂", "n": number},
                 "prev_hash": previous}
        event["hash"] = previous = _legacy_digest(event)
        add("audit_events", **event)
    return {"pool": pool, "idle_pool": idle_pool, "project": project, "other_project": other_project,
            "donation": donation, "top_up": top_up, "active_pledge": active, "commitment": reserved,
            "campaign": campaign, "provider": provider, "pending": pending, "donor": donor,
            "categories": sorted((first, third)), "streets": sorted((street, other_street))}


def _count(table: str) -> int:
    from market.core.db import db

    return db.session.execute(text(f"SELECT COUNT(*) FROM {table}")).scalar_one()  # noqa: S608 (a fixed name)


def test_upgrading_a_database_in_use_carries_the_money_audit_chain_and_verified_facts(migration_app):
    from market.core import ledger
    from market.core.audit import record, verify_chain
    from market.core.db import db
    from market.funds.models import FundingPool
    from market.orgs.models import Organization
    from market.projects.services import list_projects
    from market.ui.listing import ListingArgs

    with migration_app.app_context():
        upgrade(revision="0006_listing_index")
        with db.engine.begin() as connection:
            ids = _books_before_the_ledger(connection)
        upgrade()

        report = ledger.check()
        assert report.ok, report.problems
        chain = verify_chain()
        assert (chain.ok, chain.checked, chain.legacy) == (True, 3, 3), chain.message
        if db.engine.dialect.name == "sqlite":
            # The rows already there are copied into the full-text tables (PostgreSQL's CREATE INDEX
            # reads them anyway; there pg_trgm lives outside this test's schema and search path).
            found = list_projects(ListingArgs(q="长者食堂")).items
            assert [p.id for p in found] == [ids["project"]]

        pool, idle_pool = db.session.get(FundingPool, ids["pool"]), db.session.get(FundingPool, ids["idle_pool"])
        assert (pool.declared_cents, pool.received_cents, pool.remaining_cents) == (1_000_000, 1_000_000, 400_000)
        assert (idle_pool.declared_cents, idle_pool.received_cents, idle_pool.remaining_cents) == (50_000,) * 3
        assert ledger.movements_total(ledger.pool(pool.id), ledger.Movement.OPENING) == 800_000
        assert ledger.movements_total(ledger.pool(pool.id), ledger.Movement.TOP_UP) == 200_000
        assert ledger.balance(ledger.project(ids["project"])) == 270_000
        assert ledger.movements_total(ledger.project(ids["other_project"]), ledger.Movement.OPENING) == 5_000
        assert ledger.balance(ledger.pledge(ids["active_pledge"])) == 100_000
        assert ledger.balance(ledger.commitment(ids["commitment"])) == 200_000
        assert ledger.movements_total(ledger.campaign(ids["campaign"]), ledger.Movement.CAMPAIGN_MATCH) == -90_000
        keys = set(db.session.scalars(select(ledger.Transfer.key).where(ledger.Transfer.key.like("payment_order:%"))))
        assert keys == {f"payment_order:{ids['donation']}", f"payment_order:{ids['top_up']}"}

        provider, pending = db.session.get(Organization, ids["provider"]), db.session.get(Organization, ids["pending"])
        assert provider.verified_facts == provider.current_facts()
        assert (provider.verified_facts["category_ids"], provider.verified_facts["service_street_ids"],
                provider.verified_facts["registration_date"]) == (ids["categories"], ids["streets"], "2015-03-01")
        assert pending.verified_facts is None
        # Rebuilding tables on SQLite must not cascade into the rows that refer to them.
        assert (_count("organization_categories"), _count("funding_pool_categories"), _count("notifications")) == (2, 1, 1)

        record(None, "migration.checked")
        db.session.commit()
        chain = verify_chain()
        assert (chain.ok, chain.checked, chain.legacy) == (True, 4, 3), chain.message
        db.session.remove()

        downgrade(revision="0006_listing_index")
        assert db.session.execute(text("SELECT total_cents, remaining_cents FROM funding_pools WHERE id = :id"),
                                  {"id": ids["pool"]}).one() == (1_000_000, 400_000)
        assert db.session.execute(text("SELECT failed_login_count FROM users WHERE id = :id"),
                                  {"id": ids["donor"]}).scalar_one() == 0
        assert (_count("organization_categories"), _count("funding_pool_categories"), _count("notifications")) == (2, 1, 1)
        db.session.remove()

        upgrade()
        report = ledger.check()
        assert report.ok, report.problems
        assert db.session.get(FundingPool, ids["pool"]).received_cents == 1_000_000


def test_organisations_registered_before_supply_types_supply_services(migration_app):
    """0021 leaves every existing organisation as matching saw it so far: services only, no licences."""
    from market.core.db import db

    with migration_app.app_context():
        upgrade(revision="0020_match_run_once")
        db.session.execute(text(
            "INSERT INTO organizations (name, name_en, kind, full_time_staff, office_area_m2, rating_grade, "
            "capability, capability_en, capacity, serves_whole_district, contact_email, contact_phone, "
            "procurement_code, verification_state, credit_code, verification_note, created_at, updated_at) "
            "VALUES ('社工中心', '', 'social_organisation', 5, 50, 3, '', '', 1, false, '', '', '', 'verified', '', '', "
            ":now, :now)"), {"now": datetime(2026, 3, 2, tzinfo=UTC)})
        db.session.commit()
        upgrade()
        supplies, qualifications = db.session.execute(text(
            "SELECT supplies, qualifications FROM organizations")).one()
        def read(value):  # SQLite returns JSON as text, PostgreSQL as the value
            return json.loads(value) if isinstance(value, str) else value

        assert read(supplies) == ["service"] and read(qualifications) == []


def test_lots_get_a_type_of_their_own_that_defaults_to_the_projects(migration_app):
    """0024 adds an empty (nullable) type to every lot, meaning the project's; going down drops only it."""
    from market.core.db import db

    def lot_columns():
        return {c["name"]: c for c in inspect(db.engine).get_columns("lots")}

    with migration_app.app_context():
        upgrade(revision="0023_district_scope")
        before = lot_columns()
        assert "project_type" not in before
        upgrade()
        after = lot_columns()
        assert after["project_type"]["nullable"] and after["project_type"]["default"] is None
        assert set(after) - set(before) == {"project_type"}
        db.session.remove()
        downgrade(revision="0023_district_scope")
        assert lot_columns().keys() == before.keys()
        assert {i["name"] for i in inspect(db.engine).get_indexes("lots")} >= {"ix_lots_project_id"}
        upgrade()
        assert "project_type" in lot_columns()
