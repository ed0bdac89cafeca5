"""Which department answers which category is decided per district: each district keeps its own map, and the
officials of another district can neither read-and-change nor replace it, through the page or the service."""
from __future__ import annotations

import pytest

from market.core.db import db
from market.core.errors import PermissionDenied, ValidationFailed
from market.micro.services import routing
from market.orgs.models import OrgKind


@pytest.fixture
def departments(city, geo, make_org):
    """Each district has a health department."""
    def department(district):
        return make_org(OrgKind.GOVERNMENT, categories=(), home_street_id=None, district_id=district.id,
                        serves_whole_district=True)
    return department(city.a), department(city.b)


@pytest.fixture
def futian_health(city, departments, category):
    """District A routes health matters to its own department."""
    routing.set_category_route(city.a_official, city.a, category("health"), departments[0].id)
    db.session.commit()
    return departments[0]


def test_two_districts_give_the_same_category_to_their_own_departments(city, geo, departments, category):
    health = category("health")
    routing.set_category_route(city.a_official, city.a, health, departments[0].id)
    routing.set_category_route(city.b_official, city.b, health, departments[1].id)
    db.session.commit()
    assert routing.office_for(geo.streets[0].id, health.id) == (departments[0], True)
    assert routing.office_for(city.b_street.id, health.id) == (departments[1], True)
    routing.set_category_route(city.b_official, city.b, health, None)  # B's change leaves A's map alone
    db.session.commit()
    assert routing.office_for(geo.streets[0].id, health.id) == (departments[0], True)
    assert routing.office_for(city.b_street.id, health.id) == (None, False)


def test_another_districts_official_cannot_change_a_districts_map_through_the_service(city, futian_health,
                                                                                     departments, category, geo):
    for change in (lambda: routing.set_category_route(city.b_official, city.a, category("health"), None),
                   lambda: routing.set_category_route(city.b_official, city.a, category("health"), departments[1].id),
                   lambda: routing.set_category_route(city.b_street_official, city.b, category("health"), None)):
        with pytest.raises(PermissionDenied):
            change()
        db.session.rollback()
    with pytest.raises(ValidationFailed):  # nor hand its own matters to another district's department
        routing.set_category_route(city.b_official, city.b, category("health"), futian_health.id)
    db.session.rollback()
    assert routing.office_for(geo.streets[0].id, category("health").id) == (futian_health, True)


def test_another_districts_official_cannot_read_or_change_a_districts_map_through_the_page(
        city, geo, futian_health, category, make_browser):
    intruder = make_browser()
    intruder.login(city.b_official)
    assert intruder.get(f"/micro/routing?district={city.a.id}").status_code == 403
    response = intruder.post(f"/micro/routing?district={city.a.id}", {})  # every category "back to the street"
    assert response.status_code == 403
    db.session.expire_all()
    assert routing.office_for(geo.streets[0].id, category("health").id) == (futian_health, True)
    own = intruder.get("/micro/routing").get_data(as_text=True)  # its own map, without A's department
    assert f'name="office_{category("health").id}"' in own and f'value="{futian_health.id}"' not in own
    for absurd in ("999999", str(10**20), "-1", "0"):
        assert intruder.get(f"/micro/routing?district={absurd}").status_code == 404


def test_an_administrator_chooses_the_district_whose_map_to_change(city, departments, category, make_browser, geo):
    admin = make_browser()
    admin.login(city.admin)
    choice = admin.get("/micro/routing").get_data(as_text=True)
    assert f"/micro/routing?district={city.a.id}" in choice and f"/micro/routing?district={city.b.id}" in choice
    health = category("health")
    assert admin.post(f"/micro/routing?district={city.b.id}",
                      {f"office_{health.id}": str(departments[1].id)}).status_code == 302
    db.session.expire_all()
    assert routing.office_for(city.b_street.id, health.id) == (departments[1], True)
    assert routing.office_for(geo.streets[0].id, health.id)[1] is False  # A's map is unchanged: its street
    wrong = admin.post(f"/micro/routing?district={city.a.id}", {f"office_{health.id}": str(departments[1].id)})
    assert wrong.status_code == 400  # B's department does not answer for A


def test_an_unverified_department_answers_no_residents_matters(city, geo, make_org, category, departments):
    from market.core.state import transition
    from market.orgs.models import VerificationState

    pending = make_org(OrgKind.GOVERNMENT, categories=(), home_street_id=None, district_id=city.a.id,
                       serves_whole_district=True, verified=False)
    assert pending not in routing.departments(city.a.id)
    with pytest.raises(ValidationFailed):
        routing.set_category_route(city.a_official, city.a, category("health"), pending.id)
    db.session.rollback()
    # A department whose verification is withdrawn stops answering: its street offices answer again.
    routing.set_category_route(city.a_official, city.a, category("health"), departments[0].id)
    transition(departments[0], VerificationState.PENDING, actor=city.admin, action="organization.facts_changed")
    db.session.commit()
    assert routing.office_for(geo.streets[0].id, category("health").id)[1] is False
