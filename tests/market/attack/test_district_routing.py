"""Which department answers which category is decided per district: the officials of another district can
neither undo nor replace a district's choice, through the routing page or the service."""
from __future__ import annotations

import pytest

from market.core.db import db
from market.core.errors import PermissionDenied
from market.micro.services import routing
from market.orgs.models import OrgKind


@pytest.fixture
def futian_health(city, geo, make_org, category):
    """District A routes health matters to its own department."""
    department = make_org(OrgKind.GOVERNMENT, categories=(), home_street_id=None, district_id=geo.district.id,
                          serves_whole_district=True)
    routing.set_category_route(city.a_official, category("health"), department.id)
    db.session.commit()
    return department


def test_another_districts_official_cannot_clear_a_districts_routing_through_the_page(city, geo, futian_health,
                                                                                       category, make_browser):
    intruder = make_browser()
    intruder.login(city.b_official)
    response = intruder.post("/micro/routing", {})  # every category "back to the street offices"
    assert response.status_code in (302, 400, 403)
    db.session.expire_all()
    assert routing.office_for(geo.streets[0].id, category("health").id) == (futian_health, True)
    html = intruder.get("/micro/routing").get_data(as_text=True)
    assert f'name="office_{category("health").id}"' not in html and "its officials can change it" in html
    assert f'name="office_{category("elderly_care").id}"' in html  # its own choices it still makes


def test_another_districts_official_cannot_replace_a_districts_department(city, geo, futian_health, category,
                                                                         make_org):
    luohu_department = make_org(OrgKind.GOVERNMENT, categories=(), home_street_id=None, district_id=city.b.id,
                                serves_whole_district=True)
    for change in (lambda: routing.set_category_route(city.b_official, category("health"), None),
                   lambda: routing.set_category_route(city.b_official, category("health"), luohu_department.id)):
        with pytest.raises(PermissionDenied):
            change()
        db.session.rollback()
    assert routing.office_for(geo.streets[0].id, category("health").id) == (futian_health, True)
