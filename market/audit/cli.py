"""``flask audit verify``: check the audit hash chain."""
from __future__ import annotations

import click
from flask.cli import AppGroup

from market.audit.services import verify_chain

audit_cli = AppGroup("audit", help="Audit trail commands.")


@audit_cli.command("verify")
def verify_command() -> None:
    """Recompute the audit chain; exit 1 at the first event that does not fit."""
    report = verify_chain()
    if report.ok:
        click.echo(f"audit chain ok: {report.checked} events")
        return
    click.echo(f"audit chain BROKEN at event {report.first_bad_id}: {report.problem} "
               f"({report.checked} events before it are intact)", err=True)
    raise SystemExit(1)
