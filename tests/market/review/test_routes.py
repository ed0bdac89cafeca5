"""Console, run and award notice pages: status codes, permissions, bad input."""
from __future__ import annotations

import re

import pytest
from markupsafe import escape
from sqlalchemy import select

from market.accounts.models import Role
from market.core.db import db, utcnow
from market.projects.models import ProjectKind
from market.review import adapter, awards, services
from market.review.models import Award, AwardObjection, MatchDecision, MatchProposal, MatchRun, RunStatus


@pytest.fixture
def inline_runs(app, monkeypatch):
    monkeypatch.setitem(app.config, "MATCH_RUNS_INLINE", True)




def _run(market, project, official=None):
    return market.match([project], official=official, now=utcnow())


def test_console_is_for_officials(browser, market, make_user):
    assert browser.get("/review/").status_code == 302
    for role in (Role.PROVIDER, Role.RESIDENT, Role.FUNDER):
        browser.login(make_user(role))
        assert browser.get("/review/").status_code == 403
        assert browser.post("/review/runs", {"scope": "all"}).status_code == 403
        browser.logout()


def test_official_runs_the_console_and_sees_proposals_with_reasons(browser, market, opened, inline_runs):
    project, winner = opened
    micro = market.make_project(kind=ProjectKind.MICRO, category_code="youth")
    browser.login(market.official)
    page = browser.get("/review/").get_data(as_text=True)
    assert project.title_en in page and micro.title_en in page
    response = browser.post("/review/runs", {"project_ids": [str(project.id), str(micro.id)], "solver": "cbc",
                                             "time_limit": "20"})
    assert response.status_code == 302
    run = db.session.scalar(select(MatchRun))
    assert response.headers["Location"].endswith(f"/review/runs/{run.id}")
    page = browser.get(f"/review/runs/{run.id}").get_data(as_text=True)
    assert "Futian Elders&#39; Home" in page or "Futian Elders' Home" in page
    assert "No provider offers" in page  # the micro-project in a category nobody serves
    assert "Fit of capability to needs" not in page  # score components are on the project's details page
    details = browser.get(f"/review/runs/{run.id}/projects/{project.id}").get_data(as_text=True)
    assert "Fit of capability to needs" in details
    status = browser.get(f"/review/runs/{run.id}/status.json").get_json()
    assert status["status"] == RunStatus.SUCCEEDED and status["progress"] == 100 and status["finished"]
    chinese = browser.get(f"/review/runs/{run.id}?lang=zh").get_data(as_text=True)
    [unmatched] = services.run_view(run, "zh").unmatched
    assert unmatched.code == "no_provider_for_category" and micro.category.name in unmatched.reason
    assert str(escape(unmatched.reason)) in chinese


def test_running_page_polls_with_a_static_script_only(browser, market, opened):
    project, _ = opened
    run = services.start_run(market.official, [project.id], adapter.RunOptions(), now=utcnow())
    db.session.commit()
    browser.login(market.official)
    page = browser.get(f"/review/runs/{run.id}").get_data(as_text=True)
    assert "js/match-progress.js" in page and 'data-status-url="/review/runs/' in page
    assert all('src="' in tag for tag in re.findall(r"<script[^>]*>", page))
    assert " style=" not in page
    script = browser.get("/static/js/match-progress.js")
    assert script.status_code == 200
    script.close()


def test_run_everything_and_bad_selections(browser, market, opened, inline_runs):
    browser.login(market.official)
    assert browser.post("/review/runs", {"scope": "all", "time_limit": "20", "solver": "cbc"}).status_code == 302
    assert db.session.scalar(select(MatchRun)).project_count == 1
    assert browser.post("/review/runs", {"project_ids": "abc", "time_limit": "20", "solver": "cbc"}).status_code == 400
    assert browser.post("/review/runs", {"time_limit": "20", "solver": "cbc"}).status_code == 400
    assert browser.post("/review/runs", {"project_ids": "999999", "time_limit": "20", "solver": "cbc"}).status_code == 400
    response = browser.post("/review/runs", {"scope": "all", "time_limit": "9999", "solver": "cbc"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/review/")


def test_approve_from_the_run_page_publishes_the_award(browser, market, opened, make_browser):
    project, winner = opened
    run = _run(market, project)
    proposal = db.session.scalar(select(MatchProposal))
    browser.login(market.official)
    response = browser.post(f"/review/proposals/{proposal.id}/approve",
                            {"reason": "综合得分最高，报价合理", "notice_days": "5"})
    assert response.status_code == 302
    award = db.session.scalar(select(Award))
    assert response.headers["Location"].endswith(f"/review/awards/{award.id}")
    public = make_browser().get(f"/review/awards/{award.id}").get_data(as_text=True)
    assert "综合得分最高，报价合理" in public and "Futian Elders" in public and "File an objection" not in public
    assert "Log in" in public
    listing = make_browser().get("/review/awards").get_data(as_text=True)
    assert project.title_en in listing
    detail = make_browser().get(f"/projects/{project.id}").get_data(as_text=True)
    assert "Futian Elders" in detail and "Award notice, reasons and objections" in detail
    assert browser.post(f"/review/proposals/{proposal.id}/approve", {"notice_days": "5"}).status_code == 409
    assert run.id


def test_reject_and_decide_need_reasons(browser, market, opened):
    project, winner = opened
    run = _run(market, project)
    proposal = db.session.scalar(select(MatchProposal))
    browser.login(market.official)
    assert browser.post(f"/review/proposals/{proposal.id}/reject", {"reason": ""}).status_code == 303
    url = f"/review/runs/{run.id}/projects/{project.id}"
    page = browser.get(url).get_data(as_text=True)
    assert "Record the decision" in page and f"provider:{winner.organization_id}" in page
    data = {"kind": "forbid", "target": f"provider:{winner.organization_id}", "lot_id": "", "reason": ""}
    assert browser.post(f"{url}/decisions", data).status_code == 303
    assert db.session.scalar(select(MatchDecision)) is None
    data["reason"] = "该机构近期在其他项目中存在违约"
    assert browser.post(f"{url}/decisions", data).status_code == 302
    decision = db.session.scalar(select(MatchDecision))
    assert decision.reason == "该机构近期在其他项目中存在违约"
    assert browser.post(f"{url}/decisions", {**data, "target": "provider:abc"}).status_code == 303
    assert browser.post(f"/review/decisions/{decision.id}/revoke").status_code == 302
    assert browser.post(f"/review/proposals/{proposal.id}/reject", {"reason": "价格偏高需复核"}).status_code == 302
    db.session.expire_all()
    assert db.session.get(MatchProposal, proposal.id).status == "rejected"


def test_rerun_keeps_the_selection(browser, market, opened, inline_runs):
    project, _ = opened
    run = _run(market, project)
    browser.login(market.official)
    response = browser.post(f"/review/runs/{run.id}/rerun")
    assert response.status_code == 302
    newest = db.session.scalars(select(MatchRun).order_by(MatchRun.id.desc())).first()
    assert newest.parent_id == run.id and newest.status == RunStatus.SUCCEEDED


def test_runs_of_another_street_are_not_visible(browser, market, opened):
    project, _ = opened
    run = _run(market, project, official=market.district_official)
    browser.login(market.other_official)
    assert browser.get(f"/review/runs/{run.id}").status_code == 404
    assert browser.get(f"/review/runs/{run.id}/status.json").status_code == 404
    proposal = db.session.scalar(select(MatchProposal))
    assert browser.post(f"/review/proposals/{proposal.id}/approve", {"notice_days": "5"}).status_code in (403, 404)
    db.session.expire_all()
    assert db.session.get(MatchProposal, proposal.id).status == "proposed" and db.session.scalar(select(Award)) is None
    browser.logout()
    browser.login(market.official)  # the street official sees only runs made for the street
    assert browser.get(f"/review/runs/{run.id}").status_code == 404
    assert browser.get("/review/runs/99999").status_code == 404


def test_objections_and_answers_through_the_award_page(browser, market, opened, make_user, make_browser):
    project, _ = opened
    _run(market, project)
    award = awards.approve_proposal(market.official, db.session.scalar(select(MatchProposal)), now=utcnow())
    db.session.commit()
    anonymous = make_browser()
    assert anonymous.post(f"/review/awards/{award.id}/objections", {"text": "匿名异议不被接受的"}).status_code == 302
    resident = make_browser()
    resident.login(make_user(Role.RESIDENT))
    assert "File an objection" in resident.get(f"/review/awards/{award.id}").get_data(as_text=True)
    assert resident.post(f"/review/awards/{award.id}/objections", {"text": "短"}).status_code == 400
    assert resident.post(f"/review/awards/{award.id}/objections",
                         {"text": "中标机构的人员配置是否满足要求？请说明。"}).status_code == 302
    objection = db.session.scalar(select(AwardObjection))
    browser.login(market.other_official)
    assert browser.post(f"/review/objections/{objection.id}/answer",
                        {"outcome": "dismiss", "answer": "越权的回答"}).status_code == 403
    browser.logout()
    browser.login(market.official)
    assert browser.post(f"/review/objections/{objection.id}/answer", {"outcome": "dismiss", "answer": ""}).status_code == 303
    assert browser.post(f"/review/objections/{objection.id}/answer",
                        {"outcome": "dismiss", "answer": "经核实，人员配置满足要求。"}).status_code == 302
    page = make_browser().get(f"/review/awards/{award.id}").get_data(as_text=True)
    assert "经核实，人员配置满足要求。" in page and "Dismissed" in page
    assert make_browser().get("/review/awards?status=bogus").status_code == 400
    assert make_browser().get("/review/awards?status=in_notice").status_code == 200


def test_base_navigation_shows_the_console_only_to_officials(browser, market, make_user):
    assert "Matching console" not in browser.get("/").get_data(as_text=True)
    assert "Awards" in browser.get("/").get_data(as_text=True)
    browser.login(market.official)
    assert "Matching console" in browser.get("/").get_data(as_text=True)
