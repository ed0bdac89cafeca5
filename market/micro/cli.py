"""``flask micro escalate``: escalate residents' matters whose first-answer deadline has passed."""
from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup

from market.core.db import db
from market.micro.services.routing import escalate_overdue

micro_cli = AppGroup("micro", help="Resident micro-projects.")


@micro_cli.command("escalate")
def escalate_command() -> None:
    """Escalate overdue routed proposals and flags to the district (running it again changes nothing)."""
    with current_app.test_request_context():
        escalated = escalate_overdue()
        db.session.commit()
    for item in escalated:
        subject = f"proposal {item.proposal_id}" if item.proposal_id else f"flag {item.flag_id}"
        click.echo(f"{item.id}\t{subject}\tstreet {item.street_id}\toffice {item.office_id or '-'}")
    click.echo(f"{len(escalated)} item(s) escalated.", err=True)
