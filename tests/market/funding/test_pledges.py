"""Pledges from pools: never above the pool's money, its grant cap, its co-funding share or the project's need."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from market.accounts.models import Role
from market.audit.models import AuditEvent
from market.db import db, utcnow
from market.errors import Conflict, PermissionDenied, ValidationFailed
from market.funding import services
from market.funding.models import Pledge, PledgeStatus
from market.projects.models import ProjectStatus


def _fresh(obj):
    db.session.expire_all()
    return db.session.get(type(obj), obj.id)


def test_pledge_reserves_pool_money_and_counts_towards_the_goal(funder, public_project):
    user, pool = funder(total_cents=5_000_000)
    project = public_project(budget_cents=2_000_000)
    pledge = services.pledge_from_pool(user, pool, project, 600_000, now=utcnow())
    db.session.commit()
    assert _fresh(pool).remaining_cents == 4_400_000
    summary = services.funding_summary(_fresh(project))
    assert (summary.received, summary.pledged, summary.room, summary.percent) == (0, 600_000, 1_400_000, 30)
    audit = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "pledge.made"))
    assert audit.before == {"pool_remaining_cents": 5_000_000} and audit.after["pool_remaining_cents"] == 4_400_000
    services.release_pledge(user, pledge, now=utcnow())
    assert _fresh(project).funded_cents == 600_000 and _fresh(pledge).status == PledgeStatus.RELEASED
    assert services.funding_summary(_fresh(project)).pledged == 0


@pytest.mark.parametrize(("pool_fields", "budget", "binding", "limit"), [
    ({"total_cents": 300_000}, 2_000_000, "pool_remaining", 300_000),
    ({"max_grant_cents": 500_000}, 2_000_000, "max_grant", 500_000),
    ({"max_share_percent": 50}, 2_000_000, "co_funding", 1_000_000),
    ({}, 700_000, "project_room", 700_000),
])
def test_pledge_limits(funder, public_project, pool_fields, budget, binding, limit):
    user, pool = funder(**pool_fields)
    project = public_project(budget_cents=budget)
    found = services.pledge_limit(pool, project)
    assert (found.binding, found.amount) == (binding, limit)
    with pytest.raises(ValidationFailed) as caught:
        services.pledge_from_pool(user, pool, project, limit + 1, now=utcnow())
    assert "amount" in caught.value.fields
    db.session.rollback()
    services.pledge_from_pool(user, pool, project, limit, now=utcnow())
    assert services.pledge_limit(_fresh(pool), _fresh(project)).amount == 0


def test_co_funding_share_counts_earlier_pledges_of_the_same_pool(funder, public_project):
    """City:district 1:1 -- the pool pays at most half, however many pledges it splits it into."""
    user, pool = funder(max_share_percent=50)
    project = public_project(budget_cents=1_000_000)
    services.pledge_from_pool(user, pool, project, 300_000, now=utcnow())
    services.pledge_from_pool(user, pool, project, 200_000, now=utcnow())
    with pytest.raises(ValidationFailed):
        services.pledge_from_pool(user, pool, project, 1, now=utcnow())


def test_pledged_and_funded_never_exceed_the_budget(funder, public_project):
    user, pool = funder()
    other_user, other_pool = funder()
    project = public_project(budget_cents=1_000_000, funded_cents=400_000)
    services.pledge_from_pool(user, pool, project, 500_000, now=utcnow())
    with pytest.raises(ValidationFailed):
        services.pledge_from_pool(other_user, other_pool, project, 100_001, now=utcnow())
    services.pledge_from_pool(other_user, other_pool, project, 100_000, now=utcnow())
    assert services.funding_summary(project).room == 0


def test_only_the_pools_funder_pledges(funder, public_project, make_user):
    _, pool = funder()
    project = public_project()
    for intruder in (make_user(Role.FUNDER), make_user(Role.OFFICIAL), make_user(Role.RESIDENT)):
        with pytest.raises(PermissionDenied):
            services.pledge_from_pool(intruder, pool, project, 1_000, now=utcnow())


def test_focus_closed_pools_and_projects_not_seeking_funds(funder, public_project, make_project, category):
    user, pool = funder(focus=("community_education",))
    with pytest.raises(ValidationFailed):
        services.pledge_from_pool(user, pool, public_project(), 1_000, now=utcnow())  # elderly care
    user, pool = funder(is_open=False)
    with pytest.raises(Conflict):
        services.pledge_from_pool(user, pool, public_project(), 1_000, now=utcnow())
    user, pool = funder()
    with pytest.raises(Conflict):
        services.pledge_from_pool(user, pool, make_project(), 1_000, now=utcnow())  # a government service
    with pytest.raises(Conflict):
        services.pledge_from_pool(user, pool, public_project(status=ProjectStatus.COMPLETED), 1_000, now=utcnow())


def test_withdraw_returns_the_money_to_the_pool(funder, public_project, make_user):
    user, pool = funder(total_cents=1_000_000)
    project = public_project()
    pledge = services.pledge_from_pool(user, pool, project, 250_000, now=utcnow())
    with pytest.raises(PermissionDenied):
        services.withdraw_pledge(make_user(Role.OFFICIAL), pledge, now=utcnow())
    services.withdraw_pledge(user, pledge, now=utcnow())
    assert _fresh(pool).remaining_cents == 1_000_000 and _fresh(pledge).status == PledgeStatus.WITHDRAWN
    with pytest.raises(Conflict):
        services.release_pledge(user, _fresh(pledge), now=utcnow())
    assert _fresh(project).funded_cents == 0


def test_pledge_page_and_form(funder, public_project, make_browser, make_user):
    user, pool = funder(max_share_percent=50)
    project = public_project(budget_cents=1_000_000)
    browser = make_browser()
    browser.login(user)
    detail = browser.get(f"/projects/{project.id}").get_data(as_text=True)
    assert "Pledge from a pool" in detail and "Donate" in detail
    page = browser.get(f"/funding/projects/{project.id}/pledge").get_data(as_text=True)
    assert "co-funding share" in page and "¥5,000" in page
    response = browser.post(f"/funding/projects/{project.id}/pledge", {"pool_id": pool.id, "amount": "5000.01"})
    assert response.status_code == 400 and "At most ¥5,000" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count(Pledge.id))) == 0
    assert browser.post(f"/funding/projects/{project.id}/pledge", {"pool_id": pool.id, "amount": "abc"}).status_code == 400
    assert browser.post(f"/funding/projects/{project.id}/pledge", {"pool_id": 99999, "amount": "10"}).status_code == 400
    assert browser.post(f"/funding/projects/{project.id}/pledge", {"pool_id": pool.id, "amount": "5000"}).status_code == 302
    assert _fresh(pool).remaining_cents == pool.total_cents - 500_000
    pool_page = browser.get(f"/funds/{pool.id}").get_data(as_text=True)
    assert "Release" in pool_page and "Withdraw" in pool_page
    pledge = db.session.scalar(select(Pledge))
    other = make_browser()
    other.login(make_user(Role.FUNDER))
    assert other.get(f"/funding/projects/{project.id}/pledge").status_code == 403
    assert other.post(f"/funding/pledges/{pledge.id}/release").status_code == 403
    assert browser.post(f"/funding/pledges/{pledge.id}/release", csrf=False).status_code == 400
    assert browser.post(f"/funding/pledges/{pledge.id}/release").status_code == 302
    assert _fresh(project).funded_cents == 500_000
    assert browser.post(f"/funding/pledges/{pledge.id}/withdraw").status_code == 409
    assert _fresh(pool).remaining_cents == pool.total_cents - 500_000
