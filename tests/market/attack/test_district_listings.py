"""Listings, search, the JSON API and the open-data files, read by anyone and by another district's officials:
a district's unpublished project (a draft of the district itself, in none of its streets) appears nowhere."""
from __future__ import annotations

import pytest

from market.core.db import db
from market.projects.models import ProjectStatus

TITLE = "罗湖区未发布的区级项目"


@pytest.fixture
def luohu_draft(city, make_project):
    project = make_project(owner=city.b_official, street=city.b_street, status=ProjectStatus.DRAFT, title=TITLE,
                           title_en="Luohu unpublished district project")
    project.street_id = None  # the district's own
    db.session.commit()
    return project


PUBLIC_URLS = ("/projects/?q=罗湖", "/search?q=罗湖", "/api/v1/projects?q=罗湖", "/api/v1/projects",
               "/api/v1/ocds/releases.json", "/api/v1/ocds/releases.csv", "/api/v1/360giving/grants.json",
               "/api/v1/360giving/grants.csv", "/stats/public", "/")


@pytest.mark.parametrize("who", ["anonymous", "a_official", "a_street_official", "b_street_official"])
def test_a_districts_draft_appears_in_no_listing_search_api_or_open_data(city, luohu_draft, make_browser, who):
    browser = make_browser()
    if who != "anonymous":
        browser.login(getattr(city, who))
    for url in PUBLIC_URLS:
        response = browser.get(url)
        assert response.status_code < 500, url
        body = response.get_data(as_text=True)
        assert TITLE not in body and "Luohu unpublished" not in body, url
    for url in (f"/projects/{luohu_draft.id}", f"/api/v1/projects/{luohu_draft.id}"):
        assert browser.get(url).status_code in (302, 403, 404), url
    own = make_browser()
    own.login(city.b_official)
    assert own.get(f"/projects/{luohu_draft.id}").status_code == 200
