"""Strangers from another district after every organisation, routing map and word took a district: an
official who registers a department in another district's street, a street official who sends a resident's
matter to a department of no district, and a district's official who refunds a donation to the whole city's
project."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from market.accounts.models import Role
from market.core import policy
from market.core.db import db
from market.core.errors import PermissionDenied, ValidationFailed
from market.geo.models import ProjectType
from market.micro.services import proposals, routing
from market.orgs import services
from market.orgs.models import Organization, OrgKind
from market.payments import services as payments
from market.payments.models import PaymentMethod, PaymentOrder, PaymentPurpose, PaymentStatus


@pytest.fixture
def make_browser_for(make_browser):
    def make(user):
        browser = make_browser()
        browser.login(user)
        return browser
    return make


def test_an_official_cannot_register_a_department_in_another_districts_street(city, make_browser, category):
    """Else an official of A could give district B a department of their making, listed among B's own on
    B's routing map and in its officials' reroute choices."""
    with pytest.raises(ValidationFailed) as error:
        services.create_org(city.a_official, services.OrgInput(
            name="罗湖区假卫生局", kind=OrgKind.GOVERNMENT, home_street_id=city.b_street.id,
            serves_whole_district=True))
    assert "home_street_id" in error.value.fields
    db.session.rollback()
    assert routing.departments(city.b.id) == []
    browser = make_browser()
    browser.login(city.a_street_official)
    before = db.session.scalar(select(func.count(Organization.id)))
    refused = browser.post("/organizations/new", {
        "name": "罗湖区假教育局", "kind": OrgKind.GOVERNMENT.value, "category_ids": str(category("health").id),
        "rating_grade": "0", "supplies": "service", "home_street_id": str(city.b_street.id),
        "serves_whole_district": "y"})
    assert refused.status_code == 400
    assert db.session.scalar(select(func.count(Organization.id))) == before
    # In their own district's streets, and for an administrator anywhere, it still goes.
    own = services.create_org(city.b_official, services.OrgInput(
        name="罗湖区卫生局", kind=OrgKind.GOVERNMENT, home_street_id=city.b_street.id, serves_whole_district=True))
    by_admin = services.create_org(city.admin, services.OrgInput(
        name="罗湖区教育局", kind=OrgKind.GOVERNMENT, home_street_id=city.b_street.id, serves_whole_district=True))
    db.session.commit()
    assert own.district_id == by_admin.district_id == city.b.id


def test_a_matter_cannot_be_rerouted_to_a_department_of_no_district(city, geo, make_org, make_round, make_user,
                                                                      make_browser_for, category, tmp_path):
    """A department registered in no district (from before every organisation had one) answers for no district:
    the routing map and the district's department list leave it out, and so does rerouting."""
    make_org(OrgKind.GOVERNMENT, name="福田街道办事处", home_street_id=geo.streets[0].id, categories=())
    nowhere = make_org(OrgKind.GOVERNMENT, name="无区部门", home_street_id=None, district_id=None,
                       serves_whole_district=True, categories=())
    own = make_org(OrgKind.GOVERNMENT, name="福田区卫生健康局", home_street_id=None, district_id=city.a.id,
                   serves_whole_district=True, categories=())
    round_ = make_round()
    proposal = proposals.create_proposal(make_user(Role.RESIDENT, community=round_.community), round_,
                                         proposals.ProposalInput(
        title="长者饭堂桌椅更新", description="为社区长者饭堂更换桌椅，方便长者就餐。",
        category_id=category("elderly_care").id, project_type=ProjectType.GOODS, place="社区党群服务中心",
        estimated_cost_cents=5_000_000), submit=True, upload_dir=tmp_path)
    db.session.commit()
    item = routing.item_of(proposal=proposal)
    office = item.office_id
    with pytest.raises(ValidationFailed):
        routing.reroute(city.a_street_official, item, nowhere.id)
    db.session.rollback()
    assert item.office_id == office
    browser = make_browser_for(city.a_street_official)
    assert browser.post(f"/micro/routed/{item.id}/reroute", {"office_id": str(nowhere.id)}).status_code == 400
    db.session.refresh(item)
    assert item.office_id == office
    routing.reroute(city.a_street_official, item, own.id)  # the district's own department still can
    assert item.office_id == own.id


def test_a_districts_official_cannot_refund_a_donation_to_the_whole_citys_project(city, make_project, make_user):
    """The whole city's project (no street, no district: an administrator's) belongs to no district, so its
    donations are the administrators' to pay back; a donation to a district's project stays its officials'."""
    project = make_project(owner=city.admin, district_id=None)
    project.street_id = None
    donor = make_user(Role.RESIDENT)
    order = PaymentOrder(purpose=PaymentPurpose.DONATION, project_id=project.id, payer_id=donor.id,
                         amount_cents=10_000, currency="cny", method=PaymentMethod.BANK_TRANSFER, status=PaymentStatus.PAID)
    db.session.add(order)
    db.session.commit()
    for official in (city.a_official, city.b_official):
        assert not policy.can(official, "payment.refund", order)
        with pytest.raises(PermissionDenied):
            payments.refund_payment(official, order, reason="退回捐款测试", gateway=None, now=order.created_at)
        db.session.rollback()
    assert policy.can(city.admin, "payment.refund", order)
    local = make_project(owner=city.a_official)
    local_order = PaymentOrder(purpose=PaymentPurpose.DONATION, project_id=local.id, payer_id=donor.id,
                               amount_cents=10_000, currency="cny", method=PaymentMethod.BANK_TRANSFER, status=PaymentStatus.PAID)
    db.session.add(local_order)
    db.session.commit()
    assert policy.can(city.a_official, "payment.refund", local_order)
    assert not policy.can(city.b_official, "payment.refund", local_order)


def test_a_districts_official_cannot_read_or_change_the_whole_citys_expert(city, make_browser, category):
    """An administrator's expert is in the whole city's pool (drawn for the city's projects): no district's
    official lists it, and asking for it by its number does not open it either."""
    from market.panels import services as panels

    expert = panels.create_expert(city.admin, panels.ExpertInput(name="全市专家", category_ids=(category("health").id,),
                                                                 phone="13800000009"))
    db.session.commit()
    assert expert.district_id is None
    for official in (city.a_official, city.b_official):
        assert not policy.can(official, "experts.manage", expert)
        with pytest.raises(PermissionDenied):
            panels.update_expert(official, expert, panels.ExpertInput(name="改名", category_ids=()))
        db.session.rollback()
        browser = make_browser()
        browser.login(official)
        page = browser.get(f"/panels/experts/{expert.id}/edit")
        assert page.status_code == 403 and "13800000009" not in page.get_data(as_text=True)
        assert browser.post(f"/panels/experts/{expert.id}/edit", {"name": "改名"}).status_code == 403
    assert db.session.get(type(expert), expert.id).name == "全市专家"
    assert policy.can(city.admin, "experts.manage", expert)
    assert policy.can(city.a_official, "experts.manage")  # the pool's page itself (their own district's)
