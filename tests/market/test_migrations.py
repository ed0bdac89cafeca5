"""Alembic revisions build exactly the schema the models describe, and go down and up again."""
from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import create_engine, inspect, text


@pytest.fixture
def migration_app(database_url, tmp_path):
    from market import create_app
    from market.config import TestConfig
    from market.db import db

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
    from market.db import db

    with migration_app.app_context():
        upgrade()
        with db.engine.connect() as connection:
            diff = compare_metadata(MigrationContext.configure(connection), db.metadata)
        assert diff == [], f"models and migrations differ: {diff}"
        assert db.session.execute(text("SELECT COUNT(*) FROM categories")).scalar() >= 19
        db.session.remove()
        downgrade(revision="base")
        tables = set(inspect(db.engine).get_table_names()) - {"alembic_version"}
        assert tables == set()
        upgrade()
        assert "projects" in inspect(db.engine).get_table_names()
