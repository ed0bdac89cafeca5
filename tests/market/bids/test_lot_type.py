"""What each lot buys: the tender form sets it (the project's type unless chosen), keeps it on a bad
submission, and the lot lists show it."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from market.bids.models import Lot
from market.core.db import db, utcnow
from market.geo.models import ProjectType
from market.projects.models import ProjectStatus
from tests.market.bids.test_routes import _tender_form


def _lots(**overrides):
    data = {"lots-0-title": "长者助餐服务", "lots-0-budget": "200000", "lots-0-project_type": "",
            "lots-1-title": "长者饭堂适老化改造", "lots-1-budget": "100000", "lots-1-project_type": "works"}
    data.update(overrides)
    return data


def _stored(project):
    db.session.expire_all()
    return list(db.session.scalars(select(Lot).where(Lot.project_id == project.id).order_by(Lot.seq)))


def test_an_official_splits_a_service_project_with_a_works_lot(browser, market):
    project = market.make_project(owner=market.official, status=ProjectStatus.DRAFT)
    browser.login(market.official)
    form = browser.get(f"/bids/projects/{project.id}/tender").get_data(as_text=True)
    assert 'name="lots-0-project_type"' in form and "Same as the project" in form
    response = browser.post(f"/bids/projects/{project.id}/tender", _tender_form(utcnow() + timedelta(days=20),
                                                                               **_lots()))
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    lots = _stored(project)
    assert [(lot.title, lot.project_type) for lot in lots] == [("长者助餐服务", None),
                                                               ("长者饭堂适老化改造", ProjectType.WORKS)]
    assert [lot.effective_type for lot in lots] == [ProjectType.SERVICE, ProjectType.WORKS]
    detail = browser.get(f"/projects/{project.id}").get_data(as_text=True)
    lots_table = detail[detail.index("长者助餐服务"):]
    assert "as the project" in lots_table and "(Service)" in lots_table and "<td>Works</td>" in lots_table
    form = browser.get(f"/bids/projects/{project.id}/tender").get_data(as_text=True)
    works = form[form.index('name="lots-1-project_type"'):]
    assert '<option selected value="works">' in works[:works.index("</select>")]


def test_an_unknown_lot_type_is_refused_and_the_form_keeps_what_was_typed(browser, market):
    project = market.make_project(owner=market.official, status=ProjectStatus.DRAFT)
    browser.login(market.official)
    response = browser.post(f"/bids/projects/{project.id}/tender",
                            _tender_form(utcnow() + timedelta(days=20), **_lots(**{"lots-1-project_type": "weapons"})))
    assert response.status_code == 400
    body = response.get_data(as_text=True)
    assert 'id="lots-1-project_type-error">Not a valid choice.' in body and "长者饭堂适老化改造" in body and "须有长者服务经验。" in body
    assert _stored(project) == [] and db.session.get(type(project), project.id).status == ProjectStatus.DRAFT


def test_a_lot_type_cannot_change_once_the_tender_is_published(market):
    import pytest

    from market.bids import services
    from market.core.errors import Conflict
    from tests.market.bids.helpers import T0

    project = market.tendered(lots=(("助餐", 20_000_000), ("改造", 10_000_000)))
    market.bid(market.provider(), project, 9_000_000, lot=services.lots_of(project)[1])
    data = services.TenderInput(
        bid_deadline=project.bid_deadline, requirements="需具备居家养老服务经验。",
        criteria=tuple(services.CriterionInput(c["name"], c["weight"], c["name_en"])
                       for c in services.default_criteria()),
        lots=(services.LotInput(title="助餐", budget_cents=20_000_000),
              services.LotInput(title="改造", budget_cents=10_000_000, project_type=ProjectType.WORKS)))
    with pytest.raises(Conflict):
        services.publish_tender(market.official, project, data, now=T0 + timedelta(days=2))
    db.session.rollback()
    assert [lot.project_type for lot in _stored(project)] == [None, None]


def test_the_bid_form_names_each_lots_type(browser, market):
    from market.bids import services

    now = utcnow()
    project = market.make_project(owner=market.official, status=ProjectStatus.DRAFT)
    data = services.TenderInput(
        bid_deadline=now + timedelta(days=3), requirements="需具备居家养老服务经验。",
        criteria=tuple(services.CriterionInput(c["name"], c["weight"], c["name_en"])
                       for c in services.default_criteria()),
        lots=(services.LotInput(title="助餐", budget_cents=20_000_000),
              services.LotInput(title="改造", budget_cents=10_000_000, project_type=ProjectType.WORKS)))
    services.publish_tender(market.official, project, data, now=now - timedelta(minutes=1))
    db.session.commit()
    browser.login(market.provider())
    html = browser.get(f"/bids/projects/{project.id}/bid").get_data(as_text=True)
    assert "1. 助餐 · Service" in html and "2. 改造 · Works" in html


def test_the_service_refuses_a_lot_type_that_is_not_one(market):
    import pytest

    from market.bids import services
    from market.core.errors import ValidationFailed
    from tests.market.bids.helpers import DEADLINE, T0

    project = market.make_project(owner=market.official, status=ProjectStatus.DRAFT)
    data = services.TenderInput(
        bid_deadline=DEADLINE, requirements="需具备居家养老服务经验。",
        criteria=tuple(services.CriterionInput(c["name"], c["weight"], c["name_en"])
                       for c in services.default_criteria()),
        lots=(services.LotInput(title="助餐", budget_cents=20_000_000),
              services.LotInput(title="改造", budget_cents=10_000_000, project_type="weapons")))
    with pytest.raises(ValidationFailed) as refused:
        services.publish_tender(market.official, project, data, now=T0)
    assert "lots" in refused.value.fields
    db.session.rollback()
    assert _stored(project) == []
