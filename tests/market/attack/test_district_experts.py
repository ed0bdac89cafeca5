"""Each district keeps its own expert pool: another district's officials neither see, change nor draw its
experts (their phone numbers included), and a panel is drawn from the project's own district."""
from __future__ import annotations

import pytest

from market.core.db import db
from market.core.errors import PermissionDenied
from market.panels import services


def _expert(official, name: str, phone: str):
    from sqlalchemy import select

    from market.geo.models import Category

    field = db.session.scalar(select(Category.id).where(Category.code == "elderly_care"))
    expert = services.create_expert(official, services.ExpertInput(name=name, category_ids=(field,), phone=phone))
    db.session.commit()
    return expert


def test_an_expert_belongs_to_the_pool_of_the_district_that_added_it(city):
    a_expert = _expert(city.a_official, "福田专家", "13800000001")
    b_expert = _expert(city.b_official, "罗湖专家", "13800000002")
    assert (a_expert.district_id, b_expert.district_id) == (city.a.id, city.b.id)
    listed = db.session.scalars(services.experts_query(city.b_official)).all()
    assert listed == [b_expert]
    assert set(db.session.scalars(services.experts_query(city.admin)).all()) == {a_expert, b_expert}


def test_another_districts_official_cannot_change_or_read_an_expert(city, make_browser):
    a_expert = _expert(city.a_official, "福田专家", "13800000001")
    with pytest.raises(PermissionDenied):
        services.update_expert(city.b_official, a_expert, services.ExpertInput(name="改名", category_ids=()))
    db.session.rollback()
    browser = make_browser()
    browser.login(city.b_official)
    listing = browser.get("/panels/experts")
    assert listing.status_code == 200 and "13800000001" not in listing.get_data(as_text=True)
    assert "福田专家" not in listing.get_data(as_text=True)
    page = browser.get(f"/panels/experts/{a_expert.id}/edit")
    assert page.status_code == 403 and "13800000001" not in page.get_data(as_text=True)
    response = browser.post(f"/panels/experts/{a_expert.id}/edit", {"name": "改名"})
    assert response.status_code == 403
    assert db.session.get(type(a_expert), a_expert.id).name == "福田专家"
    own = make_browser()
    own.login(city.a_official)
    assert "13800000001" in own.get(f"/panels/experts/{a_expert.id}/edit").get_data(as_text=True)


def test_a_panel_is_drawn_from_the_projects_own_district(city, market):
    from market.panels.models import Expert

    a_experts = [_expert(city.a_official, f"福田专家{n}", "") for n in range(3)]
    b_experts = [_expert(city.b_official, f"罗湖专家{n}", "") for n in range(3)]
    from tests.market.bids.helpers import AFTER

    project = market.tendered()  # a project of district A's street
    eligibility = services.panel_eligibility(project, whole_pool=True, now=AFTER)
    drawable = set(eligibility.eligible_ids) | {e["expert_id"] for e in eligibility.excluded}
    assert drawable == {e.id for e in a_experts}
    assert not drawable & {e.id for e in b_experts}
    assert db.session.get(Expert, b_experts[0].id).district_id == city.b.id
