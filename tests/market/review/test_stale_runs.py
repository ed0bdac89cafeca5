"""A run whose server died never ends by itself: it must not block the same request for ever."""
from __future__ import annotations

from datetime import timedelta

from market.core.db import db
from market.core.state import transition
from market.review import adapter, jobs, services
from market.review.models import RunStatus
from tests.market.bids.helpers import AFTER


def test_a_run_abandoned_long_ago_does_not_block_the_same_request(market):
    project = market.tendered(start_date=(AFTER + timedelta(days=30)).date(),
                              end_date=(AFTER + timedelta(days=210)).date())
    market.bid(market.provider(rating_grade=5), project, 26_000_000)
    market.open(project)
    options = adapter.RunOptions()
    # Started two days ago on a thread of a server process that was restarted since: it stays "running".
    long_ago = AFTER - timedelta(days=2)
    dead = services.start_run(market.official, [project.id], options, now=long_ago)
    transition(dead, RunStatus.RUNNING, actor=None, action="match_run.started")
    db.session.commit()
    assert AFTER - long_ago > timedelta(seconds=jobs.JOB_TIMEOUT) * 2
    # Far beyond any job's time limit, the official asks for the same run again: it should run.
    run = services.start_run(market.official, [project.id], options, now=AFTER)
    assert run.id != dead.id
