"""``flask review run`` (match everything an official may match) and ``flask review sign-due``."""
from __future__ import annotations

import time

import click
from flask import current_app
from flask.cli import AppGroup

from market.accounts.services import find_user_by_email
from market.contracts import services as contract_services
from market.core.db import db, utcnow
from market.review import adapter, jobs, services
from market.review.models import MatchRun

review_cli = AppGroup("review", help="Matching console and contract commands.")


@review_cli.command("run")
@click.option("--official", "email", required=True, help="E-mail of the official the run is made for.")
@click.option("--solver", type=click.Choice(services.SOLVERS), default="cbc", show_default=True)
@click.option("--time-limit", type=click.IntRange(1, services.MAX_TIME_LIMIT), default=60, show_default=True)
def run_command(email: str, solver: str, time_limit: int) -> None:
    """Run the engine on every project the official may match, and print how long it took."""
    official = find_user_by_email(email)
    if official is None or not official.is_official:
        raise click.UsageError(f"{email} is not an official")
    ids = sorted(services.matchable_ids(official))
    run = services.start_run(official, ids, adapter.RunOptions(solver=solver, time_limit=float(time_limit)),
                             now=utcnow())
    db.session.commit()
    started = time.perf_counter()
    jobs.launch(current_app._get_current_object(), run, inline=True)
    elapsed = time.perf_counter() - started
    db.session.expire_all()
    run = db.session.get(MatchRun, run.id)
    result = run.result or {}
    click.echo(f"run {run.id}: {run.status} in {elapsed:.1f} s - {len(ids)} projects, "
               f"{len(result.get('assignments', []))} assignments, {len(result.get('unmatched', []))} unmatched; "
               f"stats {result.get('stats', {})}")
    if run.error:
        click.echo(run.error, err=True)
        raise SystemExit(1)


@review_cli.command("sign-due")
def sign_due_command() -> None:
    """Sign every contract whose notice period ended without an unanswered objection."""
    signed = contract_services.sign_due_contracts(now=utcnow())
    db.session.commit()
    click.echo(f"{len(signed)} contract(s) signed")
