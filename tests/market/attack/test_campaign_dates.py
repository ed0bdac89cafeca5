"""A campaign's first day that no timestamp can hold (year 1, which is before 0001-01-01 UTC once moved
from Beijing time) is refused (4xx), not a server error."""
from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import func, select

from market.accounts.models import Role
from market.core.db import db
from market.funding.models import MatchingCampaign
from market.orgs.models import OrgKind
from market.projects.models import ProjectKind


def test_a_first_day_in_year_one_is_refused_not_a_server_error(browser, make_user, make_org, make_pool, make_project):
    foundation = make_org(OrgKind.FOUNDATION, categories=())
    funder = make_user(Role.FUNDER, organization=foundation)
    pool = make_pool(funder=foundation)
    project = make_project(kind=ProjectKind.PUBLIC_BENEFIT)
    browser.login(funder)
    response = browser.post(f"/funding/pools/{pool.id}/campaigns/new", {
        "name": "邻里配捐行动", "rule": "one_to_one", "amount": "1000", "per_donor_cap": "", "per_project_cap": "",
        "starts_on": "0001-01-01", "ends_on": (date.today() + timedelta(days=30)).isoformat(),
        "project_ids": [str(project.id)]})
    # Like a last day in year 9999 (the app's handler for numbers out of range answers 400), not a 500:
    # here the overflow happens at the flush, wrapped in SQLAlchemy's StatementError, which no handler takes.
    assert response.status_code == 400
    assert db.session.scalar(select(func.count(MatchingCampaign.id))) == 0
