"""Entry points of background workers: each builds the application from the environment, then works.

``rq worker matching`` (with the web app's ``DATABASE_URL`` and ``REDIS_URL``) runs
:func:`run_match_job` for every match run the console queues; ``rq worker --with-scheduler
notifications`` runs :func:`deliver_notification` for every e-mail or SMS in the outbox (the
scheduler starts the retries that wait for their time).
"""
from __future__ import annotations

from collections.abc import Callable

from flask import Flask

from market import create_app
from market.notifications import delivery
from market.review import jobs

# How a worker gets its application; tests put their app here.
app_factory: Callable[[], Flask] = create_app


def run_match_job(run_id: int) -> None:
    """The RQ job: build an app from the environment and execute the run."""
    jobs.execute(app_factory(), run_id)


def deliver_notification(outbox_id: int) -> str:
    """The RQ job: build an app from the environment and deliver one outbox row, if still due."""
    return delivery.deliver_one(app_factory(), outbox_id)
