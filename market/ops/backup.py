"""Backups of the whole database: SQLite's online backup API, or pg_dump/pg_restore for PostgreSQL."""
from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

from sqlalchemy.engine import Engine, make_url


class BackupError(RuntimeError):
    """A backup or restore could not be made; the message says why."""


def _sqlite_path(engine: Engine) -> Path:
    database = make_url(str(engine.url)).database
    if not database or database == ":memory:":
        raise BackupError("an in-memory SQLite database cannot be backed up")
    return Path(database)


def _pg_args(engine: Engine) -> tuple[list[str], dict[str, str]]:
    """Connection arguments for the PostgreSQL client tools (password via the environment, not argv)."""
    url = engine.url
    args = ["--host", url.host or "127.0.0.1", "--port", str(url.port or 5432),
            "--username", url.username or "postgres", "--dbname", url.database or ""]
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = url.password
    options = url.query.get("options")
    if options:
        env["PGOPTIONS"] = options if isinstance(options, str) else " ".join(options)
    return args, env


def _run(command: list[str], env: dict[str, str]) -> None:
    tool = command[0]
    if shutil.which(tool) is None:
        raise BackupError(f"{tool} is not installed (Debian: apt-get install postgresql-client)")
    # An argument list (no shell) naming a fixed client tool; the values come from DATABASE_URL.
    result = subprocess.run(command, env=env, capture_output=True, text=True)  # noqa: S603  # nosec B603
    if result.returncode != 0:
        raise BackupError(f"{tool} failed: {result.stderr.strip()[:500]}")


def create_backup(engine: Engine, target: Path) -> Path:
    """Write a consistent copy of the database to ``target`` while the app keeps running."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    if engine.dialect.name == "sqlite":
        source = sqlite3.connect(_sqlite_path(engine))
        destination = sqlite3.connect(target)
        try:
            source.backup(destination)
        finally:
            destination.close()
            source.close()
    elif engine.dialect.name == "postgresql":
        args, env = _pg_args(engine)
        _run(["pg_dump", "--format=custom", "--no-owner", "--file", str(target), *args], env)
    else:
        raise BackupError(f"no backup method for {engine.dialect.name}")
    return target


def restore_backup(engine: Engine, source: Path) -> None:
    """Replace the database's contents with the backup at ``source``."""
    source = Path(source)
    if not source.is_file():
        raise BackupError(f"no backup file at {source}")
    engine.dispose()  # no pooled connection may keep the old contents open
    if engine.dialect.name == "sqlite":
        backup = sqlite3.connect(source)
        live = sqlite3.connect(_sqlite_path(engine))
        try:
            backup.backup(live)
        finally:
            live.close()
            backup.close()
    elif engine.dialect.name == "postgresql":
        args, env = _pg_args(engine)
        _run(["pg_restore", "--clean", "--if-exists", "--no-owner", "--single-transaction", *args, str(source)], env)
    else:
        raise BackupError(f"no restore method for {engine.dialect.name}")
