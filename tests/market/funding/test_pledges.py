"""Pledges from pools: never above the pool's money, its grant cap, its co-funding share or the project's need."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from market.accounts.models import Role
from market.core.audit import AuditEvent
from market.core.db import db, utcnow
from market.core.errors import Conflict, PermissionDenied, ValidationFailed
from market.funding import services
from market.funding.models import Pledge, PledgeStatus
from market.projects.models import ProjectStatus
from tests.market.payments.helpers import assert_ledger_ok


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
    made = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "pledge.made"))
    assert made.after == {"pool_id": pool.id, "project_id": project.id, "amount_cents": 600_000}
    moved = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "money.pledge"))
    assert moved.after["amount_cents"] == 600_000
    assert moved.after["balances"] == {f"pool:{pool.id}": 4_400_000, f"pledge:{pledge.id}": 600_000}
    services.release_pledge(user, pledge, now=utcnow())
    assert _fresh(project).funded_cents == 600_000 and _fresh(pledge).status == PledgeStatus.RELEASED
    assert services.funding_summary(_fresh(project)).pledged == 0
    released = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "money.pledge_release"))
    assert released.after["balances"] == {f"pledge:{pledge.id}": 0, f"project:{project.id}": 600_000}
    assert_ledger_ok()


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
    assert_ledger_ok()


def test_co_funding_share_counts_earlier_pledges_of_the_same_pool(funder, public_project):
    """City:district 1:1 -- the pool pays at most half, however many pledges it splits it into."""
    user, pool = funder(max_share_percent=50)
    project = public_project(budget_cents=1_000_000)
    services.pledge_from_pool(user, pool, project, 300_000, now=utcnow())
    services.pledge_from_pool(user, pool, project, 200_000, now=utcnow())
    with pytest.raises(ValidationFailed):
        services.pledge_from_pool(user, pool, project, 1, now=utcnow())
    assert_ledger_ok()


def test_pledged_and_funded_never_exceed_the_budget(funder, public_project, donated):
    user, pool = funder()
    other_user, other_pool = funder()
    project = public_project(budget_cents=1_000_000)
    donated(project, 400_000)
    services.pledge_from_pool(user, pool, project, 500_000, now=utcnow())
    with pytest.raises(ValidationFailed):
        services.pledge_from_pool(other_user, other_pool, project, 100_001, now=utcnow())
    services.pledge_from_pool(other_user, other_pool, project, 100_000, now=utcnow())
    assert services.funding_summary(project).room == 0
    assert_ledger_ok()


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
    assert_ledger_ok()


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
    assert _fresh(pool).remaining_cents == pool.received_cents - 500_000
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
    assert _fresh(pool).remaining_cents == pool.received_cents - 500_000
    assert_ledger_ok()


def test_officials_cannot_release_or_withdraw_a_funders_pledge(funder, public_project, make_user, make_browser, geo):
    """Attack: an official (of the project's street, or district-wide) released a foundation's pledge
    into a project -- paying the foundation's money out without the foundation -- because the old
    ``can_settle_pledge`` let every official settle any pledge. Now only the pool's funder (or an
    administrator) releases or withdraws it, in the service and on the page."""
    user, pool = funder(total_cents=1_000_000)
    project = public_project(budget_cents=2_000_000, street=geo.streets[0])
    pledge = services.pledge_from_pool(user, pool, project, 300_000, now=utcnow())
    db.session.commit()
    street_official = make_user(Role.OFFICIAL, street=geo.streets[0])
    district_official = make_user(Role.OFFICIAL)
    for official in (street_official, district_official):
        for settle in (services.release_pledge, services.withdraw_pledge):
            with pytest.raises(PermissionDenied):
                settle(official, pledge, now=utcnow())
            db.session.rollback()
        browser = make_browser()
        browser.login(official)
        assert browser.post(f"/funding/pledges/{pledge.id}/release").status_code == 403
        assert browser.post(f"/funding/pledges/{pledge.id}/withdraw").status_code == 403
        assert "Release" not in browser.get(f"/funds/{pool.id}").get_data(as_text=True)
    assert _fresh(pledge).status == PledgeStatus.ACTIVE
    assert (_fresh(project).funded_cents, _fresh(pool).remaining_cents) == (0, 700_000)
    assert_ledger_ok()
    owner = make_browser()
    owner.login(user)
    assert owner.post(f"/funding/pledges/{pledge.id}/release").status_code == 302
    assert _fresh(pledge).status == PledgeStatus.RELEASED and _fresh(project).funded_cents == 300_000
    assert_ledger_ok()


def test_an_administrator_is_not_a_funder(funder, public_project, make_user, make_browser, make_org):
    """Attack: an administrator pledged a foundation's money, released it to a project, edited the pool,
    opened a matching campaign with it and requested an appropriation into a department's pool: the
    technical role spent other people's money. Only the funder's members move their money."""
    from market.funds.models import FundingPool
    from market.orgs.models import OrgKind

    user, pool = funder(total_cents=5_000_000)
    project = public_project(budget_cents=2_000_000)
    pledge = services.pledge_from_pool(user, pool, project, 600_000, now=utcnow())
    department = make_org(OrgKind.GOVERNMENT, categories=())
    department_pool = FundingPool(funder_id=department.id, name="区民政局专项资金", declared_cents=1_000_000)
    db.session.add(department_pool)
    db.session.commit()
    admin = make_user(Role.ADMIN)
    with pytest.raises(PermissionDenied):
        services.pledge_from_pool(admin, pool, project, 100_000, now=utcnow())
    db.session.rollback()
    browser = make_browser()
    browser.login(admin)
    assert browser.post(f"/funding/projects/{project.id}/pledge",
                        {"pool_id": pool.id, "amount": "1000"}).status_code == 403
    for url in (f"/funding/pledges/{pledge.id}/release", f"/funding/pledges/{pledge.id}/withdraw"):
        assert browser.post(url).status_code == 403
    assert browser.post(f"/funds/{pool.id}/edit", {"name": "改名", "total": "99999999"}).status_code == 403
    assert browser.post(f"/funding/pools/{pool.id}/campaigns/new", {"name": "x", "amount": "1000"}).status_code == 403
    assert browser.post(f"/funding/pools/{department_pool.id}/appropriation",
                        {"amount": "100000", "document_ref": "福民〔2026〕1号"}).status_code == 403
    assert browser.post(f"/funding/pools/{pool.id}/top-up", {"amount": "1000"}).status_code == 403
    db.session.expire_all()
    assert _fresh(pledge).status == PledgeStatus.ACTIVE
    assert (_fresh(pool).declared_cents, _fresh(pool).remaining_cents) == (5_000_000, 4_400_000)
    assert db.session.scalar(select(func.count(Pledge.id))) == 1
    assert_ledger_ok()


def test_a_budget_never_drops_below_the_money_held_for_the_project(funder, public_project, make_browser):
    """Attack: after a funder pledged ¥40,000 to a ¥100,000 project, its owner lowered the budget to ¥1 and
    the pledge was released: the project held 40,000 times its budget and the pool's co-funding share no
    longer meant anything. A budget can be lowered only down to what is given, pledged or awarded."""
    user, pool = funder(total_cents=5_000_000)
    project = public_project(budget_cents=10_000_000)
    owner = project.owner
    services.pledge_from_pool(user, pool, project, 4_000_000, now=utcnow())
    db.session.commit()
    browser = make_browser()
    browser.login(owner)
    form = {"kind": project.kind.value, "title": project.title, "title_en": project.title_en or "",
            "description": project.description, "description_en": project.description_en or "",
            "category_id": project.category_id, "project_type": project.project_type.value,
            "street_id": project.street_id, "community_id": "", "budget": "1"}
    answer = browser.post(f"/projects/{project.id}/edit", form)
    assert answer.status_code == 400 and "At least ¥40,000" in answer.get_data(as_text=True)
    assert _fresh(project).budget_cents == 10_000_000
    assert browser.post(f"/projects/{project.id}/edit", {**form, "budget": "40000"}).status_code == 302
    assert _fresh(project).budget_cents == 4_000_000
    assert browser.post(f"/projects/{project.id}/edit", {**form, "budget": "200000"}).status_code == 302
