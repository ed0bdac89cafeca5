"""Declarative base with a naming convention, the shared ``db`` object and mixins."""
from __future__ import annotations

import sqlite3
from datetime import UTC, datetime

from flask import Flask, current_app
from flask_sqlalchemy import SQLAlchemy
from flask_sqlalchemy.session import Session as FlaskSession
from sqlalchemy import DateTime, MetaData, Select, create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Mapped, ORMExecuteState, Session, mapped_column
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


#: Where the app keeps the read replica's engine (``DATABASE_REPLICA_URL``), when there is one.
REPLICA = "market.replica"


def init_replica(app: Flask) -> None:
    """Open the read replica's engine when ``DATABASE_REPLICA_URL`` is configured."""
    url = app.config.get("DATABASE_REPLICA_URL", "")
    if url:
        app.extensions[REPLICA] = create_engine(url, pool_pre_ping=True)


class RoutingSession(FlaskSession):
    """Sends plain reads to the read replica when the request asked for it (``info["replica"]``) and
    this session has written nothing yet; writes, locking reads and reads after a write stay on the
    primary."""

    def get_bind(self, mapper=None, clause=None, bind=None, **kwargs):
        if bind is None and self.info.get("replica") and not self.info.get("wrote") \
                and isinstance(clause, Select) and clause._for_update_arg is None:
            replica = current_app.extensions.get(REPLICA)
            if replica is not None:
                return replica
        return super().get_bind(mapper=mapper, clause=clause, bind=bind, **kwargs)


@event.listens_for(RoutingSession, "after_flush")
def _remember_writes(session: Session, _context) -> None:
    session.info["wrote"] = True


db = SQLAlchemy(model_class=Base, session_options={"class_": RoutingSession})


def utcnow() -> datetime:
    """Timezone-aware current time in UTC."""
    return datetime.now(UTC)


class AwareDateTime(TypeDecorator):
    """A timestamp stored in UTC that always comes back timezone-aware.

    SQLite keeps no zone, so values are normalised to UTC on the way in and
    marked UTC on the way out; PostgreSQL keeps ``timestamptz`` as is.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use an aware one (UTC)")
        return value.astimezone(UTC)

    def process_result_value(self, value, dialect):
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value


class TimestampMixin:
    created_at: Mapped[datetime] = mapped_column(AwareDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(AwareDateTime(), default=utcnow, onupdate=utcnow)


class Localized:
    """Rows with Chinese columns (``title``) and English twins (``title_en``)."""

    def tr(self, field: str, locale: str) -> str:
        """The English twin of ``field`` when ``locale`` is English and it is filled, else the Chinese."""
        if locale == "en":
            english = getattr(self, f"{field}_en", "")
            if english:
                return english
        return getattr(self, field)

    def tr_language(self, field: str, locale: str) -> str:
        """The language of the text :meth:`tr` gives: ``"en"`` for the English twin, else ``"zh"``."""
        if locale == "en" and getattr(self, f"{field}_en", ""):
            return "en"
        return "zh"


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, _record) -> None:
    """SQLite: enforce foreign keys, and let readers and a writer work at the same time (WAL)."""
    if isinstance(dbapi_connection, sqlite3.Connection):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.close()


@event.listens_for(Session, "do_orm_execute")
def _sqlite_write_lock_for_update(state: ORMExecuteState) -> None:
    """SQLite ignores ``FOR UPDATE``: take the database's write lock before such a read instead.

    The sqlite3 driver starts a transaction only at the first write, so rows read before it
    may be stale by the time they are written back (two approvals both spending a pool's
    money). ``BEGIN IMMEDIATE`` makes the reading transaction the only writer until it ends;
    other writers wait for it (busy timeout) and then read what it wrote.
    """
    if not state.is_select or getattr(state.statement, "_for_update_arg", None) is None:
        return
    connection = state.session.connection(bind_arguments=state.bind_arguments)
    if connection.dialect.name != "sqlite":
        return
    driver = connection.connection.driver_connection
    if isinstance(driver, sqlite3.Connection) and not driver.in_transaction:
        driver.execute("BEGIN IMMEDIATE")
