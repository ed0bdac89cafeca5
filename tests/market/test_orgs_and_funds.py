"""Organisations and funding pools: ownership, verification, pool money rules."""
from __future__ import annotations

from sqlalchemy import func, select

from market.accounts.models import Role
from market.audit.models import AuditEvent
from market.db import db
from market.funds.models import FundingPool
from market.orgs.models import Organization, OrgKind, VerificationState


def _org_form(**overrides):
    data = {"name": "深圳市福田区彩虹社工服务中心", "name_en": "Rainbow Social Work Centre", "kind": "social_organisation",
            "registration_date": "2015-03-01", "full_time_staff": "25", "office_area_m2": "180", "rating_grade": "4",
            "capacity": "5", "capability": "长者服务、社区教育", "capability_en": "", "contact_email": "",
            "contact_phone": ""}
    data.update(overrides)
    return data


def test_provider_creates_unverified_org_and_becomes_member(browser, make_user):
    provider = make_user(Role.PROVIDER)
    browser.login(provider)
    response = browser.post("/organizations/new", _org_form())
    assert response.status_code == 302
    org = db.session.scalar(select(Organization))
    db.session.refresh(provider)
    assert provider.organization_id == org.id
    assert org.verification_state == VerificationState.PENDING
    page = browser.get(f"/organizations/{org.id}").get_data(as_text=True)
    assert "have not been verified" in page and "Unverified" in page


def test_provider_cannot_create_a_foundation(browser, make_user):
    browser.login(make_user(Role.PROVIDER))
    assert browser.post("/organizations/new", _org_form(kind="foundation")).status_code == 400
    assert db.session.scalar(select(func.count(Organization.id))) == 0


def test_provider_cannot_edit_another_organisation(browser, make_user, make_org):
    mine, theirs = make_org(), make_org(name="别人的机构")
    browser.login(make_user(Role.PROVIDER, organization=mine))
    assert browser.get(f"/organizations/{theirs.id}/edit").status_code == 403
    assert browser.post(f"/organizations/{theirs.id}/edit", _org_form(name="改名")).status_code == 403
    db.session.refresh(theirs)
    assert theirs.name == "别人的机构"


def test_changing_checked_facts_requires_reverification(browser, make_user, make_org):
    org = make_org()
    browser.login(make_user(Role.PROVIDER, organization=org))
    response = browser.post(f"/organizations/{org.id}/edit", _org_form(name=org.name, rating_grade="5"))
    assert response.status_code == 302
    db.session.refresh(org)
    assert org.rating_grade == 5 and org.verification_state == VerificationState.PENDING


def test_official_verifies_org_and_it_is_audited(browser, make_user, make_org):
    org = make_org(verified=False)
    browser.login(make_user(Role.OFFICIAL))
    assert org.name_en in browser.get("/organizations/verification").get_data(as_text=True)
    assert browser.post(f"/organizations/{org.id}/verification", {"decision": "approve"}).status_code == 302
    db.session.refresh(org)
    assert org.is_verified
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "organization.verification")) is not None


def test_unverified_orgs_are_marked_in_listings(client, make_org):
    make_org(name="待核实机构", name_en="Awaiting Checks Centre", verified=False)
    page = client.get("/organizations/").get_data(as_text=True)
    assert "Awaiting Checks Centre" in page and "Unverified" in page
    assert client.get("/api/v1/organizations?verification=pending").get_json()["total"] == 1


def _pool_form(**overrides):
    data = {"name": "长者关爱基金", "name_en": "Elder Care Fund", "description": "", "description_en": "",
            "year": "2026", "total": "2000000", "max_grant": "300000", "max_share_percent": "50", "is_open": "y"}
    data.update(overrides)
    return data


def test_funder_opens_pool_with_cofunding_rule(browser, make_user, make_org):
    foundation = make_org(OrgKind.FOUNDATION)
    browser.login(make_user(Role.FUNDER, organization=foundation))
    assert browser.post("/funds/new", _pool_form()).status_code == 302
    pool = db.session.scalar(select(FundingPool))
    assert pool.total_cents == pool.remaining_cents == 200_000_000
    assert pool.max_grant_cents == 30_000_000 and pool.max_share_percent == 50
    created = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "pool.created"))
    assert created.after["total_cents"] == 200_000_000


def test_provider_cannot_open_a_pool(browser, make_user, make_org):
    browser.login(make_user(Role.PROVIDER, organization=make_org()))
    assert browser.post("/funds/new", _pool_form()).status_code == 403
    assert db.session.scalar(select(func.count(FundingPool.id))) == 0


def test_pool_total_cannot_drop_below_committed(browser, make_user, make_org, make_pool):
    foundation = make_org(OrgKind.FOUNDATION)
    pool = make_pool(funder=foundation, total_cents=100_000_000, remaining_cents=40_000_000)  # 600,000 committed
    browser.login(make_user(Role.FUNDER, organization=foundation))
    response = browser.post(f"/funds/{pool.id}/edit", _pool_form(total="500000"))
    assert response.status_code == 400
    assert "already committed" in response.get_data(as_text=True)
    db.session.refresh(pool)
    assert (pool.total_cents, pool.remaining_cents) == (100_000_000, 40_000_000)
    assert browser.post(f"/funds/{pool.id}/edit", _pool_form(total="1500000")).status_code == 302
    db.session.refresh(pool)
    assert (pool.total_cents, pool.remaining_cents) == (150_000_000, 90_000_000)


def test_other_funder_cannot_edit_pool(browser, make_user, make_org, make_pool):
    pool = make_pool()
    browser.login(make_user(Role.FUNDER, organization=make_org(OrgKind.FOUNDATION)))
    assert browser.post(f"/funds/{pool.id}/edit", _pool_form()).status_code == 403


def test_database_refuses_overspent_pool(make_pool):
    import pytest
    from sqlalchemy.exc import IntegrityError

    pool = make_pool(total_cents=1000)
    pool.remaining_cents = -1
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()
