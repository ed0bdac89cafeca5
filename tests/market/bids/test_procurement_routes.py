"""Procurement pages: the tender's number, method and contact, documents, questions and answers, the public
opening record and the district's settings; each refused from the attacker's side, none answering 500."""
from __future__ import annotations

import io
from datetime import timedelta

import pytest
from sqlalchemy import select

from market.accounts.models import Role
from market.bids import services
from market.bids.models import Clarification, LateBidAttempt, ProcurementMethod, ProcurementSettings, TenderDocument
from market.core.db import db, utcnow
from market.projects.models import ProjectStatus
from tests.market.bids.helpers import refused

PDF = b"%PDF-1.4\ntender documents\n%%EOF\n"
QUESTION = "请问服务对象名单由谁提供，是否需要入户核实？"


def _form(deadline, **overrides):
    data = {"bid_deadline": deadline.strftime("%Y-%m-%dT%H:%M"), "requirements": "须有长者服务经验。",
            "criteria-0-name": "服务方案", "criteria-0-weight": "60", "criteria-1-name": "报价",
            "criteria-1-weight": "40"}
    data.update(overrides)
    return data


@pytest.fixture
def live(market):
    now = utcnow()
    return market.tendered(deadline=now + timedelta(days=20), now=now - timedelta(minutes=1))


def test_the_tender_form_takes_method_and_contact_and_the_page_shows_them(browser, market):
    project = market.make_project(owner=market.official, status=ProjectStatus.DRAFT)
    browser.login(market.official)
    url = f"/bids/projects/{project.id}/tender"
    response = browser.post(url, _form(utcnow() + timedelta(days=20), method="competitive_negotiation",
                                       contact_name="陈主任", contact_phone="0755-8291 0000"))
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    page = browser.get(f"/projects/{project.id}").get_data(as_text=True)
    db.session.expire_all()
    assert services.tender_of(project).method == ProcurementMethod.COMPETITIVE_NEGOTIATION
    assert project.number in page and "Competitive negotiation" in page
    assert 'href="tel:+86-755-82910000"' in page and "陈主任" in page


@pytest.mark.parametrize("overrides, message", [
    ({"contact_name": "陈主任", "contact_phone": "12345"}, "Not a phone number"),
    ({"method": "invited_tender"}, "Invite at least 3 organisations"),
    ({"method": "single_source"}, "Give the public reason"),
    ({"method": "no_such_method"}, "Not a valid choice"),
])
def test_bad_tender_input_is_explained_and_kept(browser, market, overrides, message):
    project = market.make_project(owner=market.official, status=ProjectStatus.DRAFT)
    browser.login(market.official)
    response = browser.post(f"/bids/projects/{project.id}/tender", _form(utcnow() + timedelta(days=20), **overrides))
    body = response.get_data(as_text=True)
    assert response.status_code == 400 and message in body and "须有长者服务经验。" in body
    assert services.tender_of(project) is None and db.session.get(type(project), project.id).number is None


def test_documents_published_for_everyone_and_refused_to_others(browser, market, make_browser, live, monkeypatch):
    browser.login(market.official)
    response = browser.post(f"/bids/projects/{live.id}/documents",
                            {"documents": (io.BytesIO(PDF), "招标文件.pdf")}, content_type="multipart/form-data")
    assert response.status_code == 302
    document = db.session.scalar(select(TenderDocument))
    anonymous = make_browser().get(f"/bids/documents/{document.stored_name}")
    assert anonymous.status_code == 200 and anonymous.data == PDF
    assert anonymous.headers["X-Content-Type-Options"] == "nosniff"
    assert "招标文件.pdf" in make_browser().get(f"/projects/{live.id}").get_data(as_text=True)
    # The limit, lowered so that the test sends kilobytes (the service test sends a file above the real one).
    monkeypatch.setattr(services, "MAX_DOCUMENT_BYTES", 1024)
    huge = browser.post(f"/bids/projects/{live.id}/documents",
                        {"documents": (io.BytesIO(b"%PDF-" + b"0" * 2048), "big.pdf")},
                        content_type="multipart/form-data")
    assert huge.status_code == 400
    for user in (market.other_official, market.provider()):
        other = make_browser()
        other.login(user)
        refused(other, f"/bids/projects/{live.id}/documents")
        refused(other, f"/bids/projects/{live.id}/documents/{document.id}/delete")
    assert len(db.session.scalars(select(TenderDocument)).all()) == 1


def test_documents_of_a_draft_stay_with_its_officials(app, market, make_browser):
    draft = market.make_project(owner=market.official, status=ProjectStatus.DRAFT)
    document = services.add_tender_document(market.official, draft, services.Upload("草稿.pdf", PDF),
                                            app.instance_path, now=utcnow())
    db.session.commit()
    assert make_browser().get(f"/bids/documents/{document.stored_name}").status_code == 302  # log in first
    provider = make_browser()
    provider.login(market.provider())
    assert provider.get(f"/bids/documents/{document.stored_name}").status_code == 404
    official = make_browser()
    official.login(market.official)
    assert official.get(f"/bids/documents/{document.stored_name}").status_code == 200


def test_a_question_stays_private_and_its_answer_is_published_without_the_asker(market, make_browser, live):
    asker_user = market.provider(name="提问的社工中心", name_en="Asking Centre")
    asker, rival = make_browser(), make_browser()
    asker.login(asker_user)
    rival.login(market.provider())
    assert asker.post(f"/bids/projects/{live.id}/questions", {"question": "短"}).status_code == 400
    assert asker.post(f"/bids/projects/{live.id}/questions", {"question": QUESTION}).status_code == 302
    assert "1 question waiting for an answer" in asker.get(f"/projects/{live.id}").get_data(as_text=True)
    assert QUESTION not in rival.get(f"/projects/{live.id}").get_data(as_text=True)
    assert QUESTION not in make_browser().get(f"/projects/{live.id}").get_data(as_text=True)
    other = make_browser()
    other.login(market.other_official)
    assert other.get(f"/bids/projects/{live.id}/clarifications").status_code == 403
    clarification = db.session.scalar(select(Clarification))
    refused(other, f"/bids/projects/{live.id}/clarifications/{clarification.id}/answer", {"answer": "答复"})
    refused(other, f"/bids/projects/{live.id}/clarifications", {"answer": "澄清"})
    refused(rival, f"/bids/projects/{live.id}/clarifications/{clarification.id}/answer", {"answer": "答复"})
    official = make_browser()
    official.login(market.official)
    page = official.get(f"/bids/projects/{live.id}/clarifications").get_data(as_text=True)
    assert QUESTION in page
    response = official.post(f"/bids/projects/{live.id}/clarifications/{clarification.id}/answer",
                             {"answer": "名单由街道提供，中标机构首月入户核实。"})
    assert response.status_code == 302
    public = make_browser().get(f"/projects/{live.id}").get_data(as_text=True)
    assert QUESTION in public and "名单由街道提供" in public
    assert "Asking Centre" not in public and "提问的社工中心" not in public


def test_an_answer_close_to_the_deadline_moves_it_and_says_so(market, make_browser):
    now = utcnow()
    project = market.tendered(deadline=now + timedelta(hours=6), now=now - timedelta(minutes=1))
    official = make_browser()
    official.login(market.official)
    response = official.post(f"/bids/projects/{project.id}/clarifications", {"answer": "服务地点调整为社区党群服务中心。"})
    assert response.status_code == 302
    db.session.expire_all()
    clarification = db.session.scalar(select(Clarification))
    assert clarification.deadline_extended_to is not None
    assert db.session.get(type(project), project.id).bid_deadline == clarification.deadline_extended_to > now + \
        timedelta(days=2)
    assert "The bid deadline was extended" in make_browser().get(f"/projects/{project.id}").get_data(as_text=True)


def test_a_late_bid_is_refused_and_shown_on_the_public_opening_record(browser, market, make_browser):
    now = utcnow()
    project = market.tendered(deadline=now - timedelta(minutes=5), now=now - timedelta(days=3))
    market.bid(market.provider(name_en="On Time Centre"), project, 20_000_000, now=now - timedelta(days=1))
    late = market.provider(name_en="Late Centre")
    browser.login(late)
    response = browser.post(f"/bids/projects/{project.id}/bid", {"price": "1000", "proposal": "方案"})
    assert response.status_code == 409
    assert db.session.scalar(select(LateBidAttempt)).organization_id == late.organization_id
    assert "Late Centre" not in make_browser().get(f"/bids/projects/{project.id}/opening").get_data(as_text=True)
    market.open(project, now=utcnow())
    public = make_browser().get(f"/bids/projects/{project.id}/opening").get_data(as_text=True)
    assert "On Time Centre" in public and "¥200,000" in public and "Late Centre" in public
    assert "Public opening record" in make_browser().get(f"/projects/{project.id}").get_data(as_text=True)


def test_the_settings_page_is_for_district_officials_and_refuses_absurd_values(browser, market, make_browser,
                                                                              make_user):
    district = market.geo.district
    url = f"/bids/districts/{district.id}/settings"
    for user in (market.official, market.provider(), make_user(Role.RESIDENT)):
        other = make_browser()
        other.login(user)
        assert other.get(url).status_code == 403
        refused(other, url, {"direct_commission_max": "1", "single_source_notice_days": "5",
                             "clarification_days": "3"})
    browser.login(market.district_official)
    assert browser.get(url).status_code == 200
    response = browser.post(url, {"direct_commission_max": "-5", "single_source_notice_days": "5",
                                  "clarification_days": "3"})
    assert response.status_code == 400 and "Cannot be negative" in response.get_data(as_text=True)
    response = browser.post(url, {"direct_commission_max": "1000", "single_source_notice_days": "99",
                                  "clarification_days": "3"})
    assert response.status_code == 400
    assert db.session.get(ProcurementSettings, district.id) is None
    response = browser.post(url, {"direct_commission_max": "200000", "single_source_notice_days": "7",
                                  "clarification_days": "2", "number_prefix": "FTZF"})
    assert response.status_code == 302
    row = db.session.get(ProcurementSettings, district.id)
    assert (row.direct_commission_max_cents, row.single_source_notice_days, row.number_prefix) == \
        (20_000_000, 7, "FTZF")
