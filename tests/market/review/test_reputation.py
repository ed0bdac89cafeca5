"""The ratings loop, through the pages: what residents say about a provider's micro-project one year
decides, all else equal, whom the matching console proposes the next year."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from market.accounts.models import Role
from market.core.db import db
from market.micro.services.evaluation import REPUTATION_PRIOR_MEAN, REPUTATION_PRIOR_WEIGHT
from market.projects.models import ProjectKind
from market.review.models import MatchProposal, MatchRun, RunStatus

POOR = {"quality": "1", "timeliness": "2", "communication": "1", "value_for_money": "2"}  # 1.5 stars
GOOD = {"quality": "5", "timeliness": "4", "communication": "5", "value_for_money": "4"}  # 4.5 stars
RESIDENTS = 5


@pytest.fixture
def inline_runs(app, monkeypatch):
    """Matching runs finish within the request that starts them (as in tests/market/review/test_routes.py)."""
    monkeypatch.setitem(app.config, "MATCH_RUNS_INLINE", True)


def _components(page: str) -> dict[str, str]:
    """The score breakdown of the proposed provider on a run's project page: label -> shown value."""
    return dict(re.findall(r'<li><span>([^<]+)</span><span class="num">([0-9.]+)</span></li>', page))


def _proposal(run_id: int, project_id: int) -> MatchProposal:
    return db.session.scalar(select(MatchProposal).where(MatchProposal.run_id == run_id,
                                                         MatchProposal.project_id == project_id))


def test_residents_ratings_decide_the_next_years_match(browser, make_browser, market, make_user, make_pool,
                                                       inline_runs):
    community = market.geo.communities[0]
    # Two providers alike in every verified fact and in what they say they do. The one residents
    # will rate badly is the older (lower id): without ratings the engine's tie-break would favour it.
    poor = market.org(name="福田区甲社工服务中心", name_en="Centre A")
    good = market.org(name="福田区乙社工服务中心", name_en="Centre B")
    assert poor.id < good.id

    # Year one: each delivers a micro-project in 岗厦社区; the responsible official accepts both.
    year_one = {org.id: market.engaged(org, community=community, title=f"{org.name}承接的长者饭堂项目")
                for org in (poor, good)}
    browser.login(market.official)
    for project in year_one.values():
        assert browser.post(f"/micro/projects/{project.id}/accept",
                            {"report": "现场验收：项目按合同完成。", "rating_days": "30"}).status_code == 302
    # Five residents rate both projects through the rating page: 1-2 stars for one, 4-5 for the other.
    for _ in range(RESIDENTS):
        resident = make_browser()
        resident.login(make_user(Role.RESIDENT, community=community))
        for org, stars in ((poor, POOR), (good, GOOD)):
            response = resident.post(f"/micro/projects/{year_one[org.id].id}/rate", {**stars, "comment": ""})
            assert response.status_code == 302, response.get_data(as_text=True)[:500]

    # The Bayesian average (prior mean 3 stars, weight 5 pseudo-ratings, as in market.micro.services.evaluation):
    # poor (3*5 + 5*1.5) / 10 = 2.25 stars -> (2.25 - 1) / 4 = 0.3125; good (3*5 + 5*4.5) / 10 = 3.75 -> 0.6875.
    assert (REPUTATION_PRIOR_MEAN, REPUTATION_PRIOR_WEIGHT) == (3.0, 5.0)
    expected = {}
    for org, stars in ((poor, 1.5), (good, 4.5)):
        mean = (REPUTATION_PRIOR_MEAN * REPUTATION_PRIOR_WEIGHT + RESIDENTS * stars) / (REPUTATION_PRIOR_WEIGHT
                                                                                          + RESIDENTS)
        expected[org.id] = (mean - 1) / 4
    assert expected == {poor.id: 0.3125, good.id: 0.6875}
    for org, shown in ((poor, "2.2"), (good, "3.8")):  # the provider's page: 1 + 4 * score, in stars
        page = browser.get(f"/organizations/{org.id}").get_data(as_text=True)
        assert re.search(rf'class="reputation">.*?</span></span> {re.escape(shown)} ', page, re.S), org.name

    # Year two: an otherwise equal micro-project, in the same community, funded from a pool.
    project = market.make_project(kind=ProjectKind.MICRO, owner=market.official, community=community,
                                  budget_cents=5_000_000, title="岗厦社区长者助餐点", title_en="Gangxia meal point")
    make_pool(total_cents=20_000_000)
    response = browser.post("/review/runs", {"project_ids": [str(project.id)], "solver": "cbc", "time_limit": "20"})
    assert response.status_code == 302
    run = db.session.scalars(select(MatchRun).order_by(MatchRun.id.desc())).first()
    assert run.status == RunStatus.SUCCEEDED
    page = browser.get(f"/review/runs/{run.id}/projects/{project.id}").get_data(as_text=True)
    assert "Centre B" in page and "Centre A" not in page.split("Override: keep or exclude a pair")[0]
    first = _proposal(run.id, project.id).units[0]
    assert first["provider_id"] == good.id
    assert first["components"]["reputation"] == pytest.approx(expected[good.id])
    assert _components(page)["Ratings"] == "0.69"

    # Excluding the well-rated provider (through the page) shows what the other one would have scored.
    response = browser.post(f"/review/runs/{run.id}/projects/{project.id}/decisions", {
        "kind": "forbid", "target": f"provider:{good.id}", "lot_id": "", "reason": "查看另一家机构的评分"})
    assert response.status_code == 302
    assert browser.post(f"/review/runs/{run.id}/rerun").status_code == 302
    again = db.session.scalars(select(MatchRun).order_by(MatchRun.id.desc())).first()
    assert again.parent_id == run.id and again.status == RunStatus.SUCCEEDED
    second = _proposal(again.id, project.id).units[0]
    assert second["provider_id"] == poor.id
    assert second["components"]["reputation"] == pytest.approx(expected[poor.id])
    page = browser.get(f"/review/runs/{again.id}/projects/{project.id}").get_data(as_text=True)
    assert _components(page)["Ratings"] == "0.31"
    # Only the ratings tell them apart, and they put the well-rated provider first.
    assert {k: v for k, v in first["components"].items() if k != "reputation"} == \
        {k: v for k, v in second["components"].items() if k != "reputation"}
    assert first["score"] > second["score"]
