"""Every organisation belongs to a district, so that only that district's officials govern it: one registered
without a home street in a city of several districts must say its district (else any district's officials
could close its campaigns or refund its payments), and its members cannot move it to another district."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from market.accounts.models import Role
from market.core import policy
from market.core.db import db
from market.core.errors import ValidationFailed
from market.orgs import services
from market.orgs.models import Organization, OrgKind


def _count() -> int:
    return db.session.scalar(select(func.count(Organization.id)))


def test_an_organisation_without_home_street_must_name_its_district(city, make_user, make_browser, category):
    funder = make_user(Role.FUNDER)
    browser = make_browser()
    browser.login(funder)
    form = {"name": "无街道基金会", "kind": OrgKind.FOUNDATION.value, "category_ids": str(category("health").id),
            "rating_grade": "0", "supplies": "service"}
    before = _count()
    refused = browser.post("/organizations/new", form)
    page = refused.get_data(as_text=True)
    assert refused.status_code == 400 and _count() == before
    assert 'name="district_id"' in page and "无街道基金会" in page  # re-rendered with what was typed
    created = browser.post("/organizations/new", {**form, "district_id": str(city.b.id)})
    assert created.status_code == 302
    org = db.session.scalar(select(Organization).where(Organization.name == "无街道基金会"))
    assert org.district_id == city.b.id
    # Only its own district's officials act for it.
    assert not policy.can(city.a_official, "payment.refund", org)
    assert not policy.can(city.a_official, "campaign.close", org)
    assert policy.can(city.b_official, "payment.refund", org)


def test_the_district_chosen_must_agree_with_the_home_street_and_the_official(city, geo, make_user):
    funder = make_user(Role.FUNDER)
    with pytest.raises(ValidationFailed) as error:
        services.create_org(funder, services.OrgInput(name="错区", kind=OrgKind.FOUNDATION,
                                                      home_street_id=geo.streets[0].id, district_id=city.b.id))
    assert "district_id" in error.value.fields
    db.session.rollback()
    with pytest.raises(ValidationFailed):  # an official registers in their own district only
        services.create_org(city.a_official, services.OrgInput(name="代登记", kind=OrgKind.FOUNDATION,
                                                               district_id=city.b.id))
    db.session.rollback()
    with pytest.raises(ValidationFailed):  # absurd input
        services.create_org(funder, services.OrgInput(name="无此区", kind=OrgKind.FOUNDATION, district_id=10**9))
    db.session.rollback()


def test_members_cannot_move_their_organisation_into_another_district(city, geo, make_org, make_user):
    org = make_org(home_street_id=geo.streets[0].id, district_id=city.a.id)
    member = make_user(Role.PROVIDER, organization=org)
    with pytest.raises(ValidationFailed) as error:
        services.update_org(member, org, services.OrgInput(name=org.name, kind=OrgKind(org.kind),
                                                          home_street_id=city.b_street.id))
    assert "home_street_id" in error.value.fields
    db.session.rollback()
    db.session.refresh(org)
    assert org.district_id == city.a.id and org.home_street_id == geo.streets[0].id


def test_an_organisation_placed_in_no_district_is_left_to_administrators(city, make_org):
    """Rows from before every organisation had a district: no district's officials may claim them."""
    org = make_org(OrgKind.FOUNDATION, home_street_id=None, district_id=None)
    for official in (city.a_official, city.b_official):
        assert not policy.can(official, "payment.refund", org)
        assert not policy.can(official, "campaign.close", org)
    assert policy.can(city.admin, "payment.refund", org)
