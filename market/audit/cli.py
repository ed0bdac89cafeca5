"""``flask audit verify`` checks the audit chain; ``flask audit rotate-key`` adds a signing key."""
from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup

from market.core.audit import verify_chain
from market.core.audit_keys import rotate_key

audit_cli = AppGroup("audit", help="Audit trail commands.")


@audit_cli.command("verify")
def verify_command() -> None:
    """Check every event's signature and link, and the end of the chain against the latest checkpoint;
    exit 1 at the first problem, saying what it is."""
    report = verify_chain()
    if report.ok:
        click.echo(f"audit chain ok: {report.checked} events. {report.message}")
        return
    click.echo(f"audit chain BROKEN: {report.message} ({report.checked} events before it are intact)", err=True)
    raise SystemExit(1)


@audit_cli.command("rotate-key")
def rotate_key_command() -> None:
    """Add a new signing key to instance/audit_keys; restart the app to sign with it. Keep the old keys."""
    if current_app.config.get("AUDIT_KEYS"):
        raise click.ClickException("keys come from MARKET_AUDIT_KEYS: append the new key there instead")
    key_id = rotate_key(current_app.instance_path)
    click.echo(f"new audit key {key_id} added; it signs new events once the app restarts")
