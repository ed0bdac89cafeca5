"""Background matching: a thread without Redis, an RQ job with it; failures end the run, not the app."""
from __future__ import annotations

import time

import pytest
from sqlalchemy import select

from market import worker
from market.core.db import db
from market.projects.models import ProjectKind
from market.review import adapter, jobs, services
from market.review.models import MatchRun, RunStatus
from tests.market.bids.helpers import T0

REDIS_URL = "redis://127.0.0.1:6379/15"


@pytest.fixture
def queued(market):
    market.org()
    project = market.make_project(kind=ProjectKind.MICRO, budget_cents=3_000_000)
    market.make_pool(total_cents=10_000_000)
    run = services.start_run(market.official, [project.id], adapter.RunOptions(time_limit=20), now=T0)
    db.session.commit()
    return run.id


def _reloaded(run_id: int) -> MatchRun:
    db.session.expire_all()
    return db.session.get(MatchRun, run_id)


def test_without_redis_a_thread_runs_it_with_its_own_session(app, queued):
    thread = jobs.launch(app, db.session.get(MatchRun, queued), redis_url="")
    thread.join(120)
    assert not thread.is_alive()
    run = _reloaded(queued)
    assert run.status == RunStatus.SUCCEEDED and run.progress == 100 and len(run.proposals) == 1
    assert run.started_at is not None and run.finished_at >= run.started_at


def test_with_redis_away_the_run_falls_back_to_a_thread(app, queued, monkeypatch, browser, market, caplog):
    # Nothing listens on port 1: the enqueue fails at once and the run is not lost.
    monkeypatch.setitem(app.config, "REDIS_URL", "redis://127.0.0.1:1/0")
    browser.login(market.official)
    project_id = db.session.get(MatchRun, queued).parameters["project_ids"][0]
    response = browser.post("/review/runs", {"project_ids": str(project_id), "solver": "cbc", "time_limit": "20"})
    assert response.status_code == 302
    run = db.session.scalars(select(MatchRun).order_by(MatchRun.id.desc())).first()
    assert run.id != queued and _reloaded(run.id).backend == "thread"
    assert "Redis unreachable" in caplog.text
    for _ in range(600):
        if _reloaded(run.id).is_finished:
            break
        time.sleep(0.1)
    assert _reloaded(run.id).status == RunStatus.SUCCEEDED and len(_reloaded(run.id).proposals) == 1


def test_an_engine_error_marks_the_run_failed(app, queued, monkeypatch):
    def explode(*args, **kwargs):
        raise RuntimeError("solver crashed")

    monkeypatch.setattr(adapter, "solve_built", explode)
    jobs.execute(app, queued)
    run = _reloaded(queued)
    assert run.status == RunStatus.FAILED and "RuntimeError: solver crashed" in run.error
    assert run.proposals == []


def _redis():
    try:
        from redis import Redis

        connection = Redis.from_url(REDIS_URL, socket_connect_timeout=0.5)
        connection.ping()
    except Exception:  # no server here: the RQ path cannot be exercised
        return None
    return connection


def test_with_redis_an_rq_worker_runs_it(app, queued, monkeypatch, browser, market):
    connection = _redis()
    if connection is None:
        pytest.skip("Redis is not reachable on 127.0.0.1:6379")
    from rq import Queue, SimpleWorker

    Queue(jobs.QUEUE_NAME, connection=connection).empty()
    monkeypatch.setattr(worker, "app_factory", lambda: app)
    monkeypatch.setitem(app.config, "REDIS_URL", REDIS_URL)
    browser.login(market.official)
    project_id = db.session.scalar(select(MatchRun)).parameters["project_ids"][0]
    response = browser.post("/review/runs", {"project_ids": str(project_id), "solver": "cbc", "time_limit": "20"})
    assert response.status_code == 302
    run = db.session.scalars(select(MatchRun).order_by(MatchRun.id.desc())).first()
    assert run.backend == "rq" and _reloaded(run.id).status == RunStatus.QUEUED
    SimpleWorker([Queue(jobs.QUEUE_NAME, connection=connection)], connection=connection).work(burst=True)
    assert _reloaded(run.id).status == RunStatus.SUCCEEDED
