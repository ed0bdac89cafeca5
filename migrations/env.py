import logging
from logging.config import fileConfig

from alembic import context
from flask import current_app

# this is the Alembic Config object, which provides
# access to the values within the .ini file in use.
config = context.config

# Interpret the config file for Python logging.
# This line sets up loggers basically.
fileConfig(config.config_file_name, disable_existing_loggers=False)  # the app's own loggers keep working
logger = logging.getLogger('alembic.env')


def get_engine():
    return current_app.extensions['migrate'].db.engine


def render_item(type_, obj, autogen_context):
    """Write the app's AwareDateTime as a plain timezone-aware DateTime in migrations."""
    from market.core.db import AwareDateTime
    from market.core.enums import EnumText

    if type_ == "type" and isinstance(obj, AwareDateTime):
        return "sa.DateTime(timezone=True)"
    if type_ == "type" and isinstance(obj, EnumText):
        return f"sa.String(length={obj.impl.length})"
    return False


def include_object(obj, name, type_, reflected, compare_to):
    """Leave the search structures alone (FTS5 tables, trigram indexes: not described by the models);
    with MIGRATION_TABLES=a,b,... set, autogenerate only those tables (one concern per revision)."""
    import os

    from market.search import schema

    if not schema.include_object(obj, name, type_, reflected, compare_to):
        return False
    wanted = os.environ.get("MIGRATION_TABLES")
    if not wanted:
        return True
    table = obj if type_ == "table" else getattr(obj, "table", None)
    table_name = getattr(table, "name", name)
    return table_name in set(wanted.split(","))


def get_engine_url():
    try:
        return get_engine().url.render_as_string(hide_password=False).replace(
            '%', '%%')
    except AttributeError:
        return str(get_engine().url).replace('%', '%%')


# add your model's MetaData object here
# for 'autogenerate' support
# from myapp import mymodel
# target_metadata = mymodel.Base.metadata
config.set_main_option('sqlalchemy.url', get_engine_url())
target_db = current_app.extensions['migrate'].db

# other values from the config, defined by the needs of env.py,
# can be acquired:
# my_important_option = config.get_main_option("my_important_option")
# ... etc.


def get_metadata():
    if hasattr(target_db, 'metadatas'):
        return target_db.metadatas[None]
    return target_db.metadata


def run_migrations_offline():
    """Run migrations in 'offline' mode.

    This configures the context with just a URL
    and not an Engine, though an Engine is acceptable
    here as well.  By skipping the Engine creation
    we don't even need a DBAPI to be available.

    Calls to context.execute() here emit the given string to the
    script output.

    """
    url = config.get_main_option("sqlalchemy.url")
    context.configure(
        url=url, target_metadata=get_metadata(), literal_binds=True
    )

    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online():
    """Run migrations in 'online' mode.

    In this scenario we need to create an Engine
    and associate a connection with the context.

    """

    # this callback is used to prevent an auto-migration from being generated
    # when there are no changes to the schema
    # reference: http://alembic.zzzcomputing.com/en/latest/cookbook.html
    def process_revision_directives(context, revision, directives):
        if getattr(config.cmd_opts, 'autogenerate', False):
            script = directives[0]
            if script.upgrade_ops.is_empty():
                directives[:] = []
                logger.info('No changes in schema detected.')

    conf_args = current_app.extensions['migrate'].configure_args
    if conf_args.get("process_revision_directives") is None:
        conf_args["process_revision_directives"] = process_revision_directives

    connectable = get_engine()

    with connectable.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            # Batch mode rebuilds a table by copying it and dropping the original. With foreign
            # keys enforced, that drop would delete the rows that refer to the table through
            # ON DELETE CASCADE (a user's notifications, an organisation's categories) or fail.
            # SQLite ignores the pragma inside a transaction; a fresh connection has none open.
            connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
            connection.commit()
        # SQLite cannot ALTER most things; batch mode rebuilds the table instead.
        conf_args.setdefault("render_as_batch", sqlite)
        conf_args.setdefault("render_item", render_item)
        conf_args.setdefault("include_object", include_object)
        context.configure(
            connection=connection,
            target_metadata=get_metadata(),
            **conf_args
        )

        try:
            with context.begin_transaction():
                context.run_migrations()
        except BaseException:
            if sqlite:
                _enforce_foreign_keys(connection)
            raise
        if sqlite:
            problems = _enforce_foreign_keys(connection)
            if problems:
                raise RuntimeError("after migrating, rows refer to rows that do not exist "
                                   f"(table, rowid, parent table, key): {problems[:20]}")


def _enforce_foreign_keys(connection):
    """Turn SQLite's foreign keys back on (the connection returns to the pool) and list the rows
    that break one."""
    connection.rollback()  # each revision commits its own work; what a failed one left pending is dropped
    problems = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
    connection.exec_driver_sql("PRAGMA foreign_keys=ON")
    connection.commit()
    return problems


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
