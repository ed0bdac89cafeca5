"""Organisations and funding pools: ownership, verification, pool money rules."""
from __future__ import annotations

from sqlalchemy import func, select

from market.accounts.models import Role
from market.core.audit import AuditEvent
from market.core.db import db
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
    assert browser.post(f"/organizations/{org.id}/verification", {"decision": "approve", "facts_seen": org.facts_digest()}).status_code == 302
    db.session.refresh(org)
    assert org.is_verified
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "organization.verified"))
    assert event.before == {"verification_state": "pending"} and event.after["verification_state"] == "verified"


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


def _available_on_the_home_page(client) -> str:
    """The home page's "Available in open pools" figure, as shown."""
    import re

    page = client.get("/").get_data(as_text=True)
    return re.search(r"<strong>([^<]*)</strong><span>Available in open pools</span>", page).group(1)


def _pool_money(pool):
    db.session.expire_all()
    pool = db.session.get(FundingPool, pool.id)
    return pool.declared_cents, pool.received_cents, pool.remaining_cents


def _assert_ledger_ok():
    from tests.market.payments.helpers import assert_ledger_ok

    assert_ledger_ok()


def test_funder_opens_pool_with_cofunding_rule(browser, make_user, make_org):
    foundation = make_org(OrgKind.FOUNDATION)
    browser.login(make_user(Role.FUNDER, organization=foundation))
    assert browser.post("/funds/new", _pool_form()).status_code == 302
    pool = db.session.scalar(select(FundingPool))
    assert _pool_money(pool) == (200_000_000, 0, 0)
    assert pool.max_grant_cents == 30_000_000 and pool.max_share_percent == 50
    created = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "pool.created"))
    assert created.after["declared_cents"] == 200_000_000 and created.after["max_share_percent"] == 50


def test_a_grant_cap_of_zero_is_refused_not_read_as_no_limit(browser, make_user, make_org):
    """Attack: a funder typed 0 as the largest grant, meaning "nothing for now"; the form read 0 as "no
    limit" and the pool could give any project everything. Zero is refused with its reason; empty
    means no limit."""
    browser.login(make_user(Role.FUNDER, organization=make_org(OrgKind.FOUNDATION)))
    response = browser.post("/funds/new", _pool_form(max_grant="0"))
    assert response.status_code == 400
    assert "Leave empty for no limit, or give an amount above zero." in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count(FundingPool.id))) == 0
    assert browser.post("/funds/new", _pool_form(max_grant="")).status_code == 302
    assert db.session.scalar(select(FundingPool)).max_grant_cents is None


def test_a_newly_declared_pool_has_nothing_to_give_until_money_arrives(browser, client, make_user, make_org,
                                                                       make_pool, make_project):
    """Attack: a funder declared a pool of 2,000,000 yuan and could at once pledge and be awarded money
    that never arrived -- the old ``create_pool`` made the declared total the pool's remaining money,
    and the home page added it to the money "available in open pools". Now a new pool holds nothing
    until a top-up or an appropriation is confirmed."""
    from market.funding import services as funding
    from market.projects.models import ProjectKind

    funded = make_pool(total_cents=5_000_000)  # another funder's pool with money in it
    available = _available_on_the_home_page(client)
    assert available == "¥50,000"
    foundation = make_org(OrgKind.FOUNDATION, categories=())
    funder = make_user(Role.FUNDER, organization=foundation)
    browser.login(funder)
    assert browser.post("/funds/new", _pool_form(max_grant="", max_share_percent="100")).status_code == 302
    pool = db.session.scalar(select(FundingPool).where(FundingPool.id != funded.id))
    assert _pool_money(pool) == (200_000_000, 0, 0)
    assert _available_on_the_home_page(client) == available
    detail = browser.get(f"/funds/{pool.id}").get_data(as_text=True)
    assert "¥2,000,000" in detail and "Still awaited" in detail
    project = make_project(kind=ProjectKind.PUBLIC_BENEFIT, budget_cents=10_000_000)
    assert funding.pledge_limit(pool, project).amount == 0
    response = browser.post(f"/funding/projects/{project.id}/pledge", {"pool_id": pool.id, "amount": "100"})
    assert response.status_code == 400 and "the money left in the pool" in response.get_data(as_text=True)
    assert _pool_money(pool) == (200_000_000, 0, 0)
    _assert_ledger_ok()


def test_provider_cannot_open_a_pool(browser, make_user, make_org):
    browser.login(make_user(Role.PROVIDER, organization=make_org()))
    assert browser.post("/funds/new", _pool_form()).status_code == 403
    assert db.session.scalar(select(func.count(FundingPool.id))) == 0


def test_editing_a_pool_changes_only_its_declared_total(browser, client, make_user, make_org, make_pool,
                                                       make_project):
    """Attack: the funder raised the pool's total on its edit form and the old ``update_pool`` added the
    difference to the money left in the pool: money that never arrived could then be pledged and
    awarded, and the home page counted it as available. Now an edit changes the declared total (an
    intention) and the rules only; what was received, what is left and what can be pledged stay."""
    from market.core.db import utcnow
    from market.funding import services as funding
    from market.projects.models import ProjectKind

    foundation = make_org(OrgKind.FOUNDATION, categories=())
    funder = make_user(Role.FUNDER, organization=foundation)
    pool = make_pool(funder=foundation, total_cents=1_000_000)  # 10,000 yuan declared and received
    project = make_project(kind=ProjectKind.PUBLIC_BENEFIT, budget_cents=100_000_000)
    funding.pledge_from_pool(funder, pool, project, 600_000, now=utcnow())
    db.session.commit()
    assert _pool_money(pool) == (1_000_000, 1_000_000, 400_000)
    available = _available_on_the_home_page(client)
    assert available == "¥4,000"
    browser.login(funder)
    form = _pool_form(total="50000000", max_grant="", max_share_percent="100")
    assert browser.post(f"/funds/{pool.id}/edit", form).status_code == 302
    assert _pool_money(pool) == (5_000_000_000, 1_000_000, 400_000)
    assert _available_on_the_home_page(client) == available
    assert funding.pledge_limit(db.session.get(FundingPool, pool.id), project).amount == 400_000
    response = browser.post(f"/funding/projects/{project.id}/pledge", {"pool_id": pool.id, "amount": "4000.01"})
    assert response.status_code == 400 and "At most ¥4,000" in response.get_data(as_text=True)
    updated = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "pool.updated"))
    assert (updated.before["declared_cents"], updated.after["declared_cents"]) == (1_000_000, 5_000_000_000)
    # Lowering the declared total below what was received and allocated takes no money away either
    # (it used to be refused, "below the amount already committed"; it is only an intention now).
    assert browser.post(f"/funds/{pool.id}/edit", _pool_form(total="1000")).status_code == 302
    assert _pool_money(pool) == (100_000, 1_000_000, 400_000)
    assert browser.post(f"/funding/projects/{project.id}/pledge", {"pool_id": pool.id, "amount": "4000"}
                        ).status_code == 302
    assert _pool_money(pool) == (100_000, 1_000_000, 0)
    _assert_ledger_ok()


def test_other_funder_cannot_edit_pool(browser, make_user, make_org, make_pool):
    pool = make_pool()
    browser.login(make_user(Role.FUNDER, organization=make_org(OrgKind.FOUNDATION)))
    assert browser.post(f"/funds/{pool.id}/edit", _pool_form()).status_code == 403
    assert _pool_money(pool) == (100_000_000, 100_000_000, 100_000_000)


def test_pool_money_changes_only_through_the_ledger(make_pool):
    """Setting a pool's money on the row is refused at flush; below the ORM, the database still
    refuses a pool that holds less than nothing or more than it received."""
    import pytest
    from sqlalchemy import update
    from sqlalchemy.exc import IntegrityError

    from market.core.ledger import UnrecordedMoney

    pool = make_pool(total_cents=1000)
    for column in ("remaining_cents", "received_cents"):
        setattr(pool, column, 5000)
        with pytest.raises(UnrecordedMoney):
            db.session.flush()
        db.session.rollback()
    for value in (-1, 1001):
        with pytest.raises(IntegrityError):
            db.session.execute(update(FundingPool).where(FundingPool.id == pool.id).values(remaining_cents=value))
            db.session.flush()
        db.session.rollback()
    assert _pool_money(pool) == (1000, 1000, 1000)
    _assert_ledger_ok()


def test_a_firm_says_what_it_supplies_and_the_change_is_audited(browser, make_user, make_org):
    org = make_org(OrgKind.ENTERPRISE, name="深圳市体育用品有限公司")
    assert org.supplies == ["service"] and org.qualifications == []
    browser.login(make_user(Role.PROVIDER, organization=org))
    form = browser.get(f"/organizations/{org.id}/edit").get_data(as_text=True)
    assert 'name="supplies"' in form and 'name="qualifications"' in form
    response = browser.post(f"/organizations/{org.id}/edit", _org_form(
        name=org.name, kind="enterprise", supplies=["goods", "works"], qualifications=["construction"]))
    assert response.status_code == 302
    db.session.refresh(org)
    assert org.supplies == ["goods", "works"] and org.qualifications == ["construction"]
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "organization.updated")
                               .order_by(AuditEvent.id.desc())).first()
    assert event.before["supplies"] == ["service"] and event.after["supplies"] == ["goods", "works"]
    assert event.after["qualifications"] == ["construction"]
    page = browser.get(f"/organizations/{org.id}").get_data(as_text=True)
    assert "Goods, Works" in page and "Construction enterprise licence" in page


def test_supplying_nothing_means_services_and_unknown_types_are_refused(browser, make_user, make_org):
    org = make_org()
    browser.login(make_user(Role.PROVIDER, organization=org))
    assert browser.post(f"/organizations/{org.id}/edit", _org_form(name=org.name)).status_code == 302
    db.session.refresh(org)
    assert org.supplies == ["service"]
    response = browser.post(f"/organizations/{org.id}/edit", _org_form(name=org.name, supplies=["food"]))
    assert response.status_code == 400
    db.session.refresh(org)
    assert org.supplies == ["service"]
