"""The evaluation pages from the attacker's side: another street, people who did not bid, absurd
input; every refusal writes nothing."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from market.accounts.models import Role
from market.core.db import db, utcnow
from market.panels import services
from market.panels.models import Complaint, Expert, PanelDraw, PanelScore
from tests.market.bids.helpers import refused, written


def test_an_official_of_another_street_is_refused_everywhere(evaluation, make_browser):
    project = evaluation.project
    evaluation.published()
    complaint = services.file_complaint(evaluation.third, project, "评分明显偏低，请说明理由。",
                                        now=services.current_notice(project).published_at + timedelta(hours=1))
    db.session.commit()
    browser = make_browser()
    browser.login(evaluation.market.other_official)
    assert browser.get(f"/panels/projects/{project.id}").status_code == 403
    assert browser.get(f"/panels/projects/{project.id}/scores").status_code == 403
    refused(browser, f"/panels/projects/{project.id}/draw", {"size": "3"})
    refused(browser, f"/panels/projects/{project.id}/notice")
    refused(browser, f"/panels/projects/{project.id}/complaints/{complaint.id}/answer",
            {"outcome": "uphold", "answer": "越权答复测试。"})
    assert complaint.status == "open"


def test_the_street_official_draws_and_scores_through_the_pages(evaluation, make_browser):
    project = evaluation.project
    browser = make_browser()
    browser.login(evaluation.market.official)
    assert browser.get(f"/panels/projects/{project.id}").status_code == 200
    response = browser.post(f"/panels/projects/{project.id}/draw", {"size": "3"})
    assert response.status_code == 302
    draw = services.current_draw(project)
    criteria = len(evaluation.project_tender().criteria)
    form = {services.score_field(b.id, m, c): "75" for b in evaluation.bids for m in draw.member_ids
            for c in range(criteria)}
    form.update({services.reason_field(b.id): "方案可行，报价合理。" for b in evaluation.bids})
    bad = {**form, services.score_field(evaluation.bids[0].id, draw.member_ids[0], 0): "150"}
    before = written()
    response = browser.post(f"/panels/projects/{project.id}/scores", bad)
    assert response.status_code == 400 and "A whole number from 0 to 100." in response.get_data(as_text=True)
    assert 'value="150"' in response.get_data(as_text=True)  # the sheet comes back with what was typed
    assert written() == before
    assert browser.post(f"/panels/projects/{project.id}/scores", form).status_code == 302
    assert db.session.scalar(select(func.count(PanelScore.id))) == 3 * 3 * criteria
    assert browser.post(f"/panels/projects/{project.id}/notice").status_code == 302
    assert services.current_notice(project) is not None


def test_a_panel_larger_than_the_pool_is_a_clear_error_on_the_page(evaluation, make_browser):
    browser = make_browser()
    browser.login(evaluation.market.official)
    before = written()
    response = browser.post(f"/panels/projects/{evaluation.project.id}/draw",
                            {"size": "9", "fallback_reason": "本领域专家不足，从全库抽取。"})
    assert response.status_code == 409
    assert "Only 7 experts are eligible, too few for 9" in response.get_data(as_text=True)
    assert written() == before and db.session.scalar(select(PanelDraw)) is None


def test_a_provider_who_did_not_bid_cannot_complain(evaluation, make_browser):
    evaluation.published()
    browser = make_browser()
    browser.login(evaluation.market.provider())
    before = written()
    response = browser.post(f"/panels/projects/{evaluation.project.id}/complaints",
                            {"text": "我方虽未投标，但认为结果不公。"})
    assert response.status_code == 403 and written() == before


def test_a_bidder_complains_on_the_public_page_within_the_window(evaluation, make_browser):
    evaluation.published(now=utcnow())
    browser = make_browser()
    browser.login(evaluation.third)
    page = browser.get(f"/panels/projects/{evaluation.project.id}/notice").get_data(as_text=True)
    assert "File the complaint" in page
    response = browser.post(f"/panels/projects/{evaluation.project.id}/complaints", {"text": "短"})
    assert response.status_code == 400 and db.session.scalar(select(func.count(Complaint.id))) == 0
    response = browser.post(f"/panels/projects/{evaluation.project.id}/complaints",
                            {"text": "评分明显偏低，请说明理由。"})
    assert response.status_code == 302
    assert db.session.scalar(select(Complaint.text)) == "评分明显偏低，请说明理由。"


def test_a_complaint_after_the_window_is_refused_on_the_page(evaluation, make_browser):
    evaluation.published(now=utcnow() - timedelta(days=30))
    browser = make_browser()
    browser.login(evaluation.third)
    page = browser.get(f"/panels/projects/{evaluation.project.id}/notice").get_data(as_text=True)
    assert "File the complaint" not in page
    before = written()
    response = browser.post(f"/panels/projects/{evaluation.project.id}/complaints",
                            {"text": "评分明显偏低，请说明理由。"})
    assert response.status_code == 409 and "complaint period ended" in response.get_data(as_text=True)
    assert written() == before


def test_the_expert_pool_is_for_district_officials(evaluation, make_browser, make_user):
    street = make_browser()
    street.login(evaluation.market.official)
    assert street.get("/panels/experts").status_code == 403
    refused(street, "/panels/experts/new", {"name": "越权专家", "category_ids": "1"})
    provider = make_browser()
    provider.login(evaluation.best)
    assert provider.get(f"/panels/experts/{evaluation.experts[0].id}/edit").status_code == 403
    district = make_browser()
    district.login(evaluation.market.district_official)
    page = district.get("/panels/experts").get_data(as_text=True)
    assert evaluation.experts[0].name in page
    response = district.post("/panels/experts/new", {"name": "新专家", "phone": "abc!", "category_ids": "1"})
    assert response.status_code == 400 and "新专家" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count(Expert.id))) == len(evaluation.experts)
    response = district.post("/panels/experts/new", {"name": "新专家", "phone": "0755-1234",
                                                     "category_ids": str(evaluation.category("elderly_care").id),
                                                     "is_active": "y"})
    assert response.status_code == 302
    created = db.session.scalar(select(Expert).where(Expert.name == "新专家"))
    response = district.post(f"/panels/experts/{created.id}/employments",
                             {"organization_id": str(evaluation.best.organization_id), "started_on": "2024-05-01",
                              "ended_on": "2020-01-01"})
    assert response.status_code == 400 and created.employments == []


def test_residents_and_visitors_see_only_the_public_verification(evaluation, make_browser, make_user, client):
    draw = evaluation.draw(3)
    resident = make_browser()
    resident.login(make_user(Role.RESIDENT))
    assert resident.get(f"/panels/projects/{evaluation.project.id}").status_code == 403
    assert client.get(f"/panels/projects/{evaluation.project.id}").status_code == 302  # log in first
    # Naming the panel before the notice would let bidders approach its members.
    assert client.get(f"/panels/draws/{draw.id}/verify").status_code == 404
    assert resident.get(f"/panels/draws/{draw.id}/verify").status_code == 404
    evaluation.published()
    assert client.get(f"/panels/draws/{draw.id}/verify").status_code == 200
