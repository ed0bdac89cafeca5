"""``flask backup create [PATH]`` and ``flask backup restore PATH``."""
from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup

from market.core.audit import checkpoint_restore, verify_chain
from market.core.db import db
from market.ops.backup import BackupError, create_backup, restore_backup

backup_cli = AppGroup("backup", help="Back up and restore the database.")


@backup_cli.command("create")
@click.argument("path", required=False, type=click.Path(dir_okay=False, path_type=Path))
def create_command(path: Path | None) -> None:
    """Write a backup (default: instance/backups/market-<UTC time>.backup)."""
    if path is None:
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        path = Path(current_app.instance_path) / "backups" / f"market-{stamp}.backup"
    try:
        written = create_backup(db.engine, path)
    except BackupError as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"backup written to {written} ({written.stat().st_size:,} bytes)")


@backup_cli.command("restore")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def restore_command(path: Path, yes: bool) -> None:
    """Replace the database with the backup at PATH, then check the audit chain."""
    if not yes:
        click.confirm(f"Replace the whole database with {path}?", abort=True)
    db.session.remove()
    try:
        restore_backup(db.engine, path)
    except BackupError as error:
        raise click.ClickException(str(error)) from error
    report = verify_chain(against_checkpoint=False)
    click.echo(f"restored from {path}; audit chain {'ok' if report.ok else 'BROKEN'}: {report.checked} events")
    if not report.ok:
        click.echo(report.message, err=True)
        raise SystemExit(1)
    note = checkpoint_restore(path.name)
    if note:
        click.echo(f"checkpoint written: {note}")


ledger_cli = AppGroup("ledger", help="The money ledger.")


@ledger_cli.command("check")
def ledger_check_command() -> None:
    """Recompute every balance from the postings and compare it with every cached figure; exit 1 on any
    difference, listing them."""
    from market.core import ledger

    report = ledger.check()
    if report.ok:
        click.echo(f"ledger ok: {report.transfers} transfers, {report.accounts} accounts; every balance and cached "
                   "figure agrees with the postings")
        return
    click.echo(f"ledger BROKEN: {len(report.problems)} problem(s)", err=True)
    for problem in report.problems[:200]:
        click.echo(f"  {problem}", err=True)
    raise SystemExit(1)
