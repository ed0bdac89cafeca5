"""Tender and bidding pages: status codes, permissions, forms that keep input, no 500 on bad input."""
from __future__ import annotations

import io
import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from market.accounts.models import Role
from market.bids.models import Bid, BidStatus, Tender
from market.core.db import db, utcnow
from market.projects.models import ProjectStatus

PDF = b"%PDF-1.4\nhello\n%%EOF\n"


def _tender_form(deadline, **overrides):
    data = {"bid_deadline": deadline.strftime("%Y-%m-%dT%H:%M"), "requirements": "须有长者服务经验。",
            "requirements_en": "Experience with older people."}
    for i, (name, weight) in enumerate((("服务方案", 50), ("报价", 30), ("本地服务", 20))):
        data[f"criteria-{i}-name"] = name
        data[f"criteria-{i}-weight"] = str(weight)
    data.update(overrides)
    return data


@pytest.fixture
def live(market):
    """A tender open for bids now (the pages use the real clock)."""
    now = utcnow()
    return market.tendered(deadline=now + timedelta(days=3), now=now - timedelta(minutes=1))


def test_official_publishes_a_tender_through_the_form(browser, market):
    project = market.make_project(owner=market.official, status=ProjectStatus.DRAFT)
    browser.login(market.official)
    page = browser.get(f"/bids/projects/{project.id}/tender")
    assert page.status_code == 200 and "Fit of the organisation" in page.get_data(as_text=True)
    deadline = utcnow() + timedelta(days=20)
    response = browser.post(f"/bids/projects/{project.id}/tender", _tender_form(deadline))
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    db.session.expire_all()
    project = db.session.get(type(project), project.id)
    assert project.status == ProjectStatus.OPEN and project.bid_deadline is not None
    tender = db.session.scalar(select(Tender).where(Tender.project_id == project.id))
    assert [c["weight"] for c in tender.criteria] == [50, 30, 20]
    detail = browser.get(f"/projects/{project.id}").get_data(as_text=True)
    assert "Bidding closes" in detail and "How bids are scored" in detail


def test_tender_form_keeps_input_and_explains_bad_weights(browser, market):
    project = market.make_project(owner=market.official, status=ProjectStatus.DRAFT)
    browser.login(market.official)
    data = _tender_form(utcnow() + timedelta(days=20), **{"criteria-0-weight": "10"})
    response = browser.post(f"/bids/projects/{project.id}/tender", data)
    assert response.status_code == 400
    body = response.get_data(as_text=True)
    assert "add up to 60" in body and "须有长者服务经验。" in body
    response = browser.post(f"/bids/projects/{project.id}/tender", _tender_form(utcnow() + timedelta(days=20),
                                                                               bid_deadline="not a date"))
    assert response.status_code == 400


@pytest.mark.parametrize("who", ["provider", "other_official", "resident"])
def test_only_the_projects_officials_publish(browser, market, make_user, who):
    project = market.make_project(owner=market.official, status=ProjectStatus.DRAFT)
    user = {"provider": lambda: market.provider(), "other_official": lambda: market.other_official,
            "resident": lambda: make_user(Role.RESIDENT)}[who]()
    browser.login(user)
    assert browser.get(f"/bids/projects/{project.id}/tender").status_code in (403, 404)
    assert browser.post(f"/bids/projects/{project.id}/tender",
                        _tender_form(utcnow() + timedelta(days=9))).status_code in (403, 404)


def test_provider_bids_with_an_attachment_then_revises_and_withdraws(browser, market, live):
    user = market.provider()
    browser.login(user)
    detail = browser.get(f"/projects/{live.id}").get_data(as_text=True)
    assert f"/bids/projects/{live.id}/bid" in detail
    data = {"price": "280000", "proposal": "上门助餐与探访方案", "team": "社工6名", "timeline": "12个月",
            "attachments": (io.BytesIO(PDF), "方案.pdf")}
    response = browser.post(f"/bids/projects/{live.id}/bid", data, content_type="multipart/form-data")
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    bid = db.session.scalar(select(Bid).where(Bid.project_id == live.id))
    assert response.headers["Location"].endswith(f"/bids/{bid.seal}")
    page = browser.get(f"/bids/{bid.seal}").get_data(as_text=True)
    assert "上门助餐与探访方案" in page and "方案.pdf" in page
    [attachment] = bid.attachments
    download = browser.get(f"/bids/files/{attachment.stored_name}")
    assert download.status_code == 200 and download.data == PDF
    assert download.headers["X-Content-Type-Options"] == "nosniff"
    assert "attachment" in download.headers["Content-Disposition"]
    response = browser.post(f"/bids/{bid.seal}/edit", {"price": "270000", "proposal": "修订方案"})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Bid, bid.id).price_cents == 27_000_000
    assert browser.post(f"/bids/{bid.seal}/withdraw").status_code == 302
    db.session.expire_all()
    assert db.session.get(Bid, bid.id).status == BidStatus.WITHDRAWN
    assert "My organisation's bids" in browser.get("/bids/mine").get_data(as_text=True)


@pytest.mark.parametrize("data, status, text", [
    ({"price": "abc", "proposal": "方案"}, 400, "Type an amount in yuan"),
    ({"price": "", "proposal": "方案"}, 400, "This field is required"),
    ({"price": "300000.01", "proposal": "方案"}, 400, "above the budget"),
    ({"price": "-5", "proposal": "方案"}, 400, "Cannot be negative"),
    ({"price": "1000", "proposal": ""}, 400, "This field is required"),
    ({"price": "1000", "proposal": "方案", "lot_id": "99999"}, 400, "Please correct the marked fields"),
])
def test_bad_bids_are_refused_without_a_500(browser, market, live, data, status, text):
    browser.login(market.provider())
    response = browser.post(f"/bids/projects/{live.id}/bid", data)
    assert response.status_code == status
    assert text in response.get_data(as_text=True)
    assert db.session.scalar(select(Bid)) is None


def test_ineligible_provider_sees_why_and_cannot_post(browser, market, live):
    user = market.provider(rating_grade=0, verified=False)
    browser.login(user)
    page = browser.get(f"/bids/projects/{live.id}/bid").get_data(as_text=True)
    assert "not verified" in page
    detail = browser.get(f"/projects/{live.id}").get_data(as_text=True)
    assert "Your organisation cannot bid" in detail
    response = browser.post(f"/bids/projects/{live.id}/bid", {"price": "1000", "proposal": "方案"})
    assert response.status_code == 403 and "not verified" in response.get_data(as_text=True)


def test_non_providers_cannot_bid_and_anonymous_users_log_in(browser, market, live, make_user):
    assert browser.get(f"/bids/projects/{live.id}/bid").status_code == 302
    browser.login(make_user(Role.RESIDENT))
    assert browser.get(f"/bids/projects/{live.id}/bid").status_code == 403
    assert browser.get("/bids/mine").status_code == 403
    assert browser.get("/bids/projects/999999/bid").status_code == 404


def test_bad_attachment_upload_is_a_400_with_the_reason(browser, market, live):
    user = market.provider()
    bid = market.bid(user, live, 20_000_000, now=utcnow())
    browser.login(user)
    response = browser.post(f"/bids/{bid.seal}/files", {"attachments": (io.BytesIO(b"MZ..."), "tool.exe")},
                            content_type="multipart/form-data")
    assert response.status_code == 400 and "not accepted" in response.get_data(as_text=True)
    response = browser.post(f"/bids/{bid.seal}/files", {"attachments": (io.BytesIO(PDF), "ok.pdf")},
                            content_type="multipart/form-data")
    assert response.status_code == 302
    assert browser.get("/bids/files/not-a-file").status_code == 404


def test_opening_is_refused_before_the_deadline_and_for_other_streets(browser, market, live):
    market.bid(market.provider(), live, 20_000_000, now=utcnow())
    browser.login(market.other_official)
    assert browser.post(f"/bids/projects/{live.id}/open").status_code == 403
    browser.logout()
    browser.login(market.official)
    assert browser.post(f"/bids/projects/{live.id}/open").status_code == 409
    assert "stay sealed" in browser.get(f"/bids/projects/{live.id}/opened").get_data(as_text=True)
    live.bid_deadline = utcnow() - timedelta(seconds=5)
    db.session.commit()
    assert "1 tender" in browser.get("/review/").get_data(as_text=True)
    assert live.title_en in browser.get("/bids/projects/awaiting-opening").get_data(as_text=True)
    assert browser.post(f"/bids/projects/{live.id}/open").status_code == 302
    assert browser.post(f"/bids/projects/{live.id}/open").status_code == 409


def test_dashboards_show_bids_and_review_work(browser, market, live):
    user = market.provider()
    market.bid(user, live, 20_000_000, now=utcnow())
    browser.login(user)
    page = browser.get("/dashboard").get_data(as_text=True)
    assert "My bids" in page and live.title_en in page or live.title in page
    browser.logout()
    browser.login(market.official)
    page = browser.get("/dashboard").get_data(as_text=True)
    assert "Tenders, matching and awards" in page and "Matching console" in page


def test_a_refused_bid_shows_the_fields_error_once_tied_to_it(browser, market, live):
    """Each field's error appears once, beside its field and tied to it; the summary links to the field."""
    browser.login(market.provider())
    response = browser.post(f"/bids/projects/{live.id}/bid", {"price": "300000.01", "proposal": "方案"})
    html = response.get_data(as_text=True)
    errors = re.findall(r'<small class="error" id="([^"]+)-error">([^<]+)</small>', html)
    assert [field for field, _message in errors] == ["price"]
    assert html.count(errors[0][1]) == 1  # not repeated in the summary at the top
    assert 'aria-invalid="true"' in html and 'aria-describedby="price-error"' in html
    assert 'class="flash flash-danger error-summary"' in html and '<a href="#price">' in html
