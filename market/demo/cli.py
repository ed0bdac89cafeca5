"""``flask demo load`` and ``flask demo accounts``."""
from __future__ import annotations

import time

import click
from flask.cli import AppGroup

from market.core.db import db
from market.demo.city import CITY_EMAIL_DOMAIN, load_city
from market.demo.data import DEMO_ACCOUNTS, DEMO_PASSWORD
from market.demo.loader import DemoLoadError, database_contents, load_demo

demo_cli = AppGroup("demo", help="Demo data for trying the platform out.")


@demo_cli.command("load")
@click.option("--scale", type=click.IntRange(min=1), default=1, show_default=True,
              help="Multiply the number of projects (organisations and pools stay the same).")
@click.option("--if-empty", is_flag=True,
              help="Skip quietly (exit 0) when the database already holds data instead of failing.")
@click.option("--city", is_flag=True, help="Load the whole of Shenzhen instead: ten districts, 74 streets, about "
                                           "680 communities, 90,000 projects over three years, 2,000 rounds.")
@click.option("--city-scale", type=click.FloatRange(min=0, max=1, min_open=True), default=1.0, show_default=True,
              help="With --city: the fraction of its organisations, projects and rounds to load (0.01: a hundredth).")
def load_command(scale: int, if_empty: bool, city: bool, city_scale: float) -> None:
    """Fill an empty database with deterministic Futian demo data (or, with --city, Shenzhen's)."""
    contents = database_contents(db.session)
    if any(contents.values()):
        present = ", ".join(f"{n} {name}" for name, n in contents.items() if n)
        if if_empty:
            click.echo(f"Database already has data ({present}); demo load skipped.")
            return
        click.echo(f"Refusing to load demo data: the database is not empty ({present}). "
                   "Use a fresh database, or pass --if-empty to skip without error.", err=True)
        raise SystemExit(1)
    started = time.perf_counter()
    try:
        counts = load_city(db.session, city_scale) if city else load_demo(db.session, scale=scale)
        db.session.commit()
    except DemoLoadError as error:
        db.session.rollback()
        click.echo(f"Refusing to load demo data: {error}.", err=True)
        raise SystemExit(1) from error
    except BaseException:
        db.session.rollback()
        raise
    elapsed = time.perf_counter() - started
    size = f"Shenzhen, fraction {city_scale:g}" if city else f"scale {scale}"
    click.echo(f"Demo data loaded in {elapsed:.1f} s ({size}):")
    width = max(len(name) for name in counts)
    for name, n in counts.items():
        click.echo(f"  {name:<{width}}  {n:>8,}")
    if city:
        click.echo(f"Accounts (password: {DEMO_PASSWORD}): admin@{CITY_EMAIL_DOMAIN}; per district "
                   f"official@<district>.{CITY_EMAIL_DOMAIN}, finance@..., street01@... (e.g. "
                   f"official@futian.{CITY_EMAIL_DOMAIN})")
        return
    click.echo(f"Demo accounts (password: {DEMO_PASSWORD}): "
               + ", ".join(account.email for account in DEMO_ACCOUNTS))


@demo_cli.command("accounts")
def accounts_command() -> None:
    """List the demo accounts and their shared password."""
    for account in DEMO_ACCOUNTS:
        click.echo(f"{account.email:<38} {account.role.value:<9} {account.description}")
    click.echo(f"Password for all of them: {DEMO_PASSWORD}")


@demo_cli.command("classifier-accuracy")
@click.argument("files", nargs=-1, type=click.Path(exists=True, dir_okay=False))
@click.option("--misses", is_flag=True, help="List the texts whose category was not among the first three.")
def classifier_accuracy_command(files: tuple[str, ...], misses: bool) -> None:
    """Top-1 and top-3 accuracy of the category suggestion on labelled CSV FILES (label,text) and on the
    held-aside demo proposals, trained as on the demo database without them."""
    from market.demo.micro import classifier_training_examples, held_aside_examples
    from matching.classify import evaluate, read_examples, train

    classifier = train(classifier_training_examples())
    sets = [(path, read_examples(path)) for path in files] + [("held-aside demo proposals", held_aside_examples())]
    if len(sets) > 1:
        sets.append(("all of them", [e for _name, examples in sets for e in examples]))
    for name, examples in sets:
        result = evaluate(classifier, examples, k=3)
        click.echo(f"{name}: {result.summary()}")
        if misses:
            for text, label, labels in result.misses:
                click.echo(f"  {label}\t{','.join(labels)}\t{text}")
