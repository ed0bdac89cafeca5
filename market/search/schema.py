"""What the database indexes for text search, and the DDL that builds it on each database.

A listed model declares its searchable text once (:func:`searchable`): title columns (names weigh
more), body columns, which of them are English, and optionally the text of a row it points at (a
project's category). The declaration adds the search structures to the table's DDL, so
``db.create_all()`` builds the same schema as migration ``0019_database_search`` (a test compares
them):

* PostgreSQL: ``pg_trgm`` GIN indexes on the joined title texts and on the joined body texts
  (substrings of three characters or more in any language, ``word_similarity`` for misspelt
  words), and a GIN index on a generated column :data:`PAIRS_COLUMN` holding the pairs of
  adjacent Chinese characters of both (:data:`CJK_PAIRS_FUNCTION`): the two-character words most
  Chinese queries are made of, which trigrams cannot find; and a generated column
  :data:`ENGLISH_COLUMN` holding the English title's ``to_tsvector('english')``, which ranking
  reads instead of parsing and stemming the title of every row found (migration
  ``0029_search_speed``). The columns are the database's own (the models do not map them); the
  database computes them, and keeps the indexes current, in each write.
* SQLite: an FTS5 table ``<table>_search`` with the ``trigram`` tokenizer holding each row's
  title and body, kept in step by triggers in the writing transaction. (A later migration that
  rebuilds such a table in batch mode drops its triggers and must create them again.)
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, event, literal_column
from sqlalchemy.dialects.postgresql import TSVECTOR
from sqlalchemy.engine import Connection
from sqlalchemy.orm import InstrumentedAttribute
from sqlalchemy.sql.expression import ColumnClause

# SQLite's FTS5 keeps each full-text table's data in these shadow tables.
FTS5_SHADOWS = ("data", "idx", "content", "docsize", "config")

#: PostgreSQL: the pairs of adjacent Chinese characters in a text (repeats kept: GIN keeps each key
#: once). Too slow to call on rows at search time: it fills :data:`PAIRS_COLUMN` when rows are written.
CJK_PAIRS_FUNCTION = r"""CREATE OR REPLACE FUNCTION search_cjk_pairs(doc text) RETURNS text[]
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
  SELECT coalesce(array_agg(substr(run[1], i, 2)), '{}')
  FROM regexp_matches(doc, '[\u3400-\u9fff]{2,}', 'g') AS run, generate_series(1, length(run[1]) - 1) AS i
$$"""
#: PostgreSQL: the generated column of each searchable table holding its Chinese character pairs.
PAIRS_COLUMN = "search_pairs"
#: PostgreSQL: the generated column of each searchable table with an English title holding that
#: title's ``to_tsvector('english', ...)``: full-text ranking reads it instead of computing it per row.
ENGLISH_COLUMN = "search_english"


def joined(columns: Sequence[InstrumentedAttribute]) -> ColumnElement[str]:
    """The columns' texts joined by a space, written exactly as the index expressions are."""
    expression = columns[0]
    for column in columns[1:]:
        expression = expression.op("||")(literal_column("' '")).op("||")(column)
    return expression


@dataclass(frozen=True)
class RelatedText:
    """Text of the row that ``key`` points at (``target`` is that row's id column)."""

    key: InstrumentedAttribute
    target: InstrumentedAttribute
    columns: tuple[InstrumentedAttribute, ...]


@dataclass(frozen=True)
class Searchable:
    """A model's searchable text: title and body columns, the English ones, and a related row's text."""

    model: type
    title: tuple[InstrumentedAttribute, ...]
    body: tuple[InstrumentedAttribute, ...]
    english: tuple[InstrumentedAttribute, ...]
    related: RelatedText | None = None

    @property
    def table(self) -> str:
        return self.model.__tablename__

    @property
    def fts_table(self) -> str:
        """SQLite: the FTS5 table holding this model's texts, keyed by the row's id."""
        return f"{self.table}_search"

    def index_names(self) -> tuple[str, str, str]:
        """PostgreSQL: the title and body trigram indexes and the index of :data:`PAIRS_COLUMN`."""
        return (f"ix_{self.table}_search_title", f"ix_{self.table}_search_body", f"ix_{self.table}_search_pairs")

    def title_text(self) -> ColumnElement[str]:
        return joined(self.title)

    def body_text(self) -> ColumnElement[str]:
        return joined(self.body)

    def english_title(self) -> tuple[InstrumentedAttribute, ...]:
        return tuple(c for c in self.title if any(c is e for e in self.english))

    def english_vector(self) -> ColumnClause[Any] | None:
        """PostgreSQL: :data:`ENGLISH_COLUMN` of the table (None without an English title), a
        column of the table to SQL expressions though the model does not map it."""
        if not self.english_title():
            return None
        return ColumnClause(ENGLISH_COLUMN, TSVECTOR(), _selectable=self.model.__table__)

    def owns(self, name: str) -> bool:
        """Whether ``name`` is one of the search structures built here (not described by the models)."""
        return (name == self.fts_table or any(name == f"{self.fts_table}_{s}" for s in FTS5_SHADOWS)
                or name in self.index_names() or name in (PAIRS_COLUMN, ENGLISH_COLUMN))

    # -- DDL
    def create_statements(self, dialect: str, *, trgm_schema: str = "public") -> list[str]:
        """Statements that build the search structures of an existing table (rows already in it included).

        ``trgm_schema`` is where pg_trgm is installed (see :func:`install_postgresql_functions`).
        Only the declared table and column names go into the statements, never input.
        """
        title, body = _sql(self.title), _sql(self.body)
        if dialect == "postgresql":
            title_index, body_index, pairs_index = self.index_names()
            opclass = f"{trgm_schema}.gin_trgm_ops"
            return [f"ALTER TABLE {self.table} ADD COLUMN {PAIRS_COLUMN} text[] "
                    f"GENERATED ALWAYS AS (search_cjk_pairs({_sql(self.title + self.body)})) STORED",
                    f"CREATE INDEX {title_index} ON {self.table} USING gin (({title}) {opclass})",
                    f"CREATE INDEX {body_index} ON {self.table} USING gin (({body}) {opclass})",
                    f"CREATE INDEX {pairs_index} ON {self.table} USING gin ({PAIRS_COLUMN})",
                    *([f"ALTER TABLE {self.table} ADD COLUMN {ENGLISH_COLUMN} tsvector GENERATED ALWAYS AS "
                       f"(to_tsvector('english'::regconfig, {_sql(self.english_title())})) STORED"]
                      if self.english_title() else [])]
        if dialect == "sqlite":
            fts, table = self.fts_table, self.table
            columns = ", ".join(_names(self.title + self.body))
            new_title, new_body = _sql(self.title, "new."), _sql(self.body, "new.")
            # Declared table and column names only: nothing here comes from input.
            return [f"CREATE VIRTUAL TABLE {fts} USING fts5(title, body, tokenize='trigram')",
                    f"INSERT INTO {fts} (rowid, title, body) SELECT id, {title}, {body} FROM {table}",  # noqa: S608  # nosec B608
                    f"CREATE TRIGGER {fts}_insert AFTER INSERT ON {table} BEGIN "  # noqa: S608  # nosec B608
                    f"INSERT INTO {fts} (rowid, title, body) VALUES (new.id, {new_title}, {new_body}); END",
                    f"CREATE TRIGGER {fts}_update AFTER UPDATE OF {columns} ON {table} BEGIN "  # noqa: S608  # nosec B608
                    f"UPDATE {fts} SET title = {new_title}, body = {new_body} WHERE rowid = new.id; END",
                    f"CREATE TRIGGER {fts}_delete AFTER DELETE ON {table} BEGIN "  # noqa: S608  # nosec B608
                    f"DELETE FROM {fts} WHERE rowid = old.id; END"]
        return []

    def drop_statements(self, dialect: str) -> list[str]:
        """Statements that remove the search structures (the table itself stays)."""
        if dialect == "postgresql":
            return [*(f"DROP INDEX IF EXISTS {name}" for name in self.index_names()),
                    f"ALTER TABLE {self.table} DROP COLUMN IF EXISTS {PAIRS_COLUMN}",
                    f"ALTER TABLE {self.table} DROP COLUMN IF EXISTS {ENGLISH_COLUMN}"]
        if dialect == "sqlite":
            fts = self.fts_table
            return [*(f"DROP TRIGGER IF EXISTS {fts}_{when}" for when in ("insert", "update", "delete")),
                    f"DROP TABLE IF EXISTS {fts}"]
        return []


def install_postgresql_functions(connection: Connection) -> str:
    """Install pg_trgm unless it is there and (re)create :data:`CJK_PAIRS_FUNCTION`; return
    pg_trgm's schema (as an SQL identifier).

    The operator class is named with its schema: the extension may live outside the schema the
    tables are created in (another one on the search path when the app runs).
    """
    connection.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    connection.exec_driver_sql(CJK_PAIRS_FUNCTION)
    return connection.exec_driver_sql(
        "SELECT extnamespace::regnamespace::text FROM pg_extension WHERE extname = 'pg_trgm'").scalar_one()


def _names(columns: Sequence[InstrumentedAttribute]) -> list[str]:
    return [column.property.columns[0].name for column in columns]


def _sql(columns: Sequence[InstrumentedAttribute], prefix: str = "") -> str:
    return " || ' ' || ".join(f"{prefix}{name}" for name in _names(columns))


_registry: dict[str, Searchable] = {}


def searchable(model: type, *, title: Sequence[InstrumentedAttribute], body: Sequence[InstrumentedAttribute],
               english: Sequence[InstrumentedAttribute], related: RelatedText | None = None) -> Searchable:
    """Declare ``model``'s searchable text; its table's creation and removal then build and drop the
    search structures too."""
    spec = Searchable(model, tuple(title), tuple(body), tuple(english), related)
    _registry[spec.table] = spec
    table = model.__table__

    @event.listens_for(table, "after_create")
    def _create(target, connection: Connection, **_kw) -> None:
        dialect = connection.dialect.name
        trgm_schema = install_postgresql_functions(connection) if dialect == "postgresql" else "public"
        for statement in spec.create_statements(dialect, trgm_schema=trgm_schema):
            connection.exec_driver_sql(statement)

    @event.listens_for(table, "before_drop")
    def _drop(target, connection: Connection, **_kw) -> None:
        for statement in spec.drop_statements(connection.dialect.name):
            connection.exec_driver_sql(statement)

    return spec


def declared() -> list[Searchable]:
    """Every searchable model's declaration, by table name."""
    return [_registry[name] for name in sorted(_registry)]


def is_search_object(name: str | None) -> bool:
    """Whether a database object named ``name`` is a search structure (Alembic leaves those alone)."""
    return bool(name) and any(spec.owns(name) for spec in _registry.values())


def include_object(obj, name, type_, reflected, compare_to) -> bool:
    """An Alembic ``include_object`` hook: models and migrations are compared without the search structures."""
    return not (reflected and compare_to is None and is_search_object(name))
