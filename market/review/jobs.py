"""Running a match in the background: a thread on SQLite / without Redis, an RQ job with Redis.

The console creates a queued :class:`~market.review.models.MatchRun` and commits; then
:func:`launch` hands the run's id to a worker, which works in its own application context and
database session, committing progress as it goes so that the page can poll it.

RQ workers run ``rq worker matching`` with the same environment as the web app
(``DATABASE_URL``, ``REDIS_URL``); the job, :func:`market.worker.run_match_job`, builds its own app.
"""
from __future__ import annotations

import logging
import threading
import traceback
from typing import TYPE_CHECKING, Any

from flask import Flask

from market.core.db import db
from market.review.models import JOB_TIMEOUT

if TYPE_CHECKING:
    from market.review.models import MatchRun

log = logging.getLogger(__name__)
QUEUE_NAME = "matching"
# Seconds to wait for Redis before running a match in this process instead.
REDIS_TIMEOUT = 1.0

# The RQ job, named rather than imported: the worker module builds the whole application.
RQ_JOB = "market.worker.run_match_job"


def execute(app: Flask, run_id: int) -> None:
    """Run ``run_id`` to the end inside ``app``, committing progress; failures mark the run failed."""
    from market.review.models import MatchRun
    from market.review.services import execute_run, fail_run

    with app.app_context():
        run = db.session.get(MatchRun, run_id)
        if run is None:
            log.warning("match run %s vanished before it started", run_id)
            return
        try:
            execute_run(run, checkpoint=db.session.commit)
            db.session.commit()
        except Exception as error:  # any engine or database error ends the run, with its message kept
            log.exception("match run %s failed", run_id)
            db.session.rollback()
            run = db.session.get(MatchRun, run_id)
            if run is not None:
                fail_run(run, f"{type(error).__name__}: {error}\n{traceback.format_exc(limit=5)}")
                db.session.commit()
        finally:
            db.session.remove()


def launch(app: Flask, run: MatchRun, *, redis_url: str = "", inline: bool = False) -> Any:
    """Start ``run`` (already committed) in the background and commit the backend that took it.

    With ``redis_url`` the run goes to the RQ queue; when Redis cannot be reached it runs in a
    thread of this process instead, so an outage of Redis delays nothing. ``inline`` runs it at
    once in the caller's thread (used by the CLI). Returns the RQ job or the thread (tests join it).
    """
    if inline:
        _record_backend(run, "cli")
        execute(app, run.id)
        return None
    if redis_url:
        from redis import Redis
        from redis.exceptions import RedisError
        from rq import Queue

        try:
            connection = Redis.from_url(redis_url, socket_connect_timeout=REDIS_TIMEOUT, socket_timeout=REDIS_TIMEOUT)
            _record_backend(run, "rq")
            return Queue(QUEUE_NAME, connection=connection).enqueue(RQ_JOB, run.id, job_timeout=JOB_TIMEOUT,
                                                                    job_id=f"match-run-{run.id}")
        except RedisError as error:
            log.warning("Redis unreachable (%s); match run %s runs in this process", type(error).__name__, run.id)
    _record_backend(run, "thread")
    thread = threading.Thread(target=execute, args=(app, run.id), name=f"match-run-{run.id}", daemon=True)
    thread.start()
    return thread


def _record_backend(run: MatchRun, backend: str) -> None:
    # Committed before the job can start, so the worker never races this write.
    run.backend = backend
    db.session.commit()
