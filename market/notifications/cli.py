"""``flask notifications drain``: send what is due in the outbox (or hand it to the RQ workers)."""
from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup

from market.notifications import delivery

notifications_cli = AppGroup("notifications", help="Notification outbox.")


@notifications_cli.command("drain")
@click.option("--limit", type=click.IntRange(min=1), default=100, show_default=True,
              help="At most this many messages per run.")
@click.option("--enqueue", is_flag=True, help="Queue the due messages for the RQ workers instead of sending them.")
def drain_command(limit: int, enqueue: bool) -> None:
    """Send the e-mails and SMS that are due (first attempts and retries whose time has come).

    Safe to run from cron while workers run: each message is claimed by one sender only.
    """
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    if enqueue:
        if not app.config.get("REDIS_URL"):
            raise click.UsageError("--enqueue needs REDIS_URL.")
        click.echo(f"{delivery.enqueue_due(app, limit=limit)} message(s) queued.", err=True)
        return
    report = delivery.deliver_due(app, limit=limit)
    click.echo(f"{report[delivery.SENT]} message(s) sent, {report[delivery.FAILED]} to retry, "
               f"{report[delivery.DEAD]} given up.", err=True)
