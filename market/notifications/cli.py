"""``flask notifications drain``: hand the outbox to an e-mail sender (here: print it)."""
from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup
from flask_babel import force_locale

from market.core.db import db
from market.notifications.services import drain_outbox

notifications_cli = AppGroup("notifications", help="Notification outbox.")


@notifications_cli.command("drain")
@click.option("--limit", type=click.IntRange(min=1), default=100, show_default=True,
              help="At most this many messages per run.")
def drain_command(limit: int) -> None:
    """Print the unsent outbox messages and mark them sent."""
    locale = current_app.config["BABEL_DEFAULT_LOCALE"]
    # Flask-Babel translates only inside a request; a mail is rendered as if for one, in the default language.
    with current_app.test_request_context(), force_locale(locale):
        mails = drain_outbox(locale=locale, limit=limit)
        db.session.commit()
    for mail in mails:
        click.echo(f"{mail.outbox_id}\t{mail.recipient}\t{mail.text}\t{mail.link}")
    click.echo(f"{len(mails)} message(s) sent.", err=True)
