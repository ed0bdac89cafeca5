"""Apps on empty databases for the demo tests, which load the demo into apps of their own:
in-memory SQLite, or throw-away databases on the ``--db-url`` server (PostgreSQL)."""
from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from flask import Flask
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from market import create_app
from market.config import TestConfig
from market.core.db import db


class DemoDatabases:
    """Makes apps, each on a new empty database; :meth:`close` disposes of them and their databases."""

    def __init__(self, server_url: str) -> None:
        self.server = make_url(server_url).set(drivername="postgresql+psycopg") if server_url else None
        self.admin = create_engine(self.server, isolation_level="AUTOCOMMIT") if self.server else None
        self.names: list[str] = []
        self.apps: list[Flask] = []

    def url(self) -> str:
        if self.server is None:
            return "sqlite://"
        name = f"{self.server.database or 'test'}_demo_{uuid.uuid4().hex[:8]}"
        with self.admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        self.names.append(name)
        return self.server.set(database=name).render_as_string(hide_password=False)

    def app(self, instance_path: str) -> Flask:
        """A test app on a new empty database, its tables created."""
        app = create_app(TestConfig(self.url(), instance_path=instance_path))
        self.apps.append(app)
        with app.app_context():
            db.create_all()
        return app

    def close(self) -> None:
        for app in self.apps:
            with app.app_context():
                db.session.remove()
                db.engine.dispose()
        if self.admin is not None:
            with self.admin.connect() as connection:
                for name in self.names:
                    connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            self.admin.dispose()


@contextmanager
def demo_databases(server_url: str) -> Iterator[DemoDatabases]:
    databases = DemoDatabases(server_url)
    try:
        yield databases
    finally:
        databases.close()


def determinism_is_checked_on_sqlite(request) -> None:
    """Skip a second whole demo load on PostgreSQL: the generator's determinism does not depend on the
    database (its contents and constraints are checked on both)."""
    import pytest

    if request.config.getoption("--db-url"):
        pytest.skip("the demo generator's determinism is checked on SQLite; it does not depend on the database")
