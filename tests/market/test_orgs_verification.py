"""Organisations' eligibility facts are verified facts: who may verify, what changes send an
organisation back, what bids and matching read meanwhile, and the evidence officials see."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from market.accounts.models import Role
from market.core.audit import AuditEvent
from market.core.db import db, utcnow
from market.notifications.models import Notification
from market.orgs import credit_code
from market.orgs.models import Organization, OrgKind, VerificationState
from market.projects.models import ProjectStatus

VALID_CODE = "91350100M000100Y43"


def _profile(org, **changes) -> dict:
    data = {"name": org.name, "name_en": org.name_en, "kind": org.kind.value, "credit_code": org.credit_code,
            "registration_date": org.registration_date.isoformat(), "full_time_staff": org.full_time_staff,
            "office_area_m2": org.office_area_m2, "rating_grade": org.rating_grade, "capacity": org.capacity,
            "capability": org.capability, "capability_en": org.capability_en,
            "category_ids": [c.id for c in org.categories], "home_street_id": org.home_street_id or "",
            "service_street_ids": [s.id for s in org.service_streets], "document_kind": "registration"}
    data.update(changes)
    return data


def test_credit_codes_are_checked_by_their_check_character():
    assert credit_code.problem(VALID_CODE) is None
    assert credit_code.problem(VALID_CODE[:-1] + "4") == "check"
    assert credit_code.problem("91350100M000100Y4") == "length"
    assert credit_code.problem("91350100M000100I43") == "characters"  # I is not in the standard's alphabet
    assert credit_code.problem(" 91350100m000100y43 ") is None  # spaces and case do not matter


def test_a_wrong_credit_code_is_a_field_error(browser, make_user, make_org):
    org = make_org()
    member = make_user(Role.PROVIDER, organization=org)
    browser.login(member)
    response = browser.post(f"/organizations/{org.id}/edit", _profile(org, credit_code=VALID_CODE[:-1] + "4"))
    assert response.status_code == 400
    assert "check character" in response.get_data(as_text=True)


def test_changing_an_eligibility_fact_sends_a_verified_org_back_and_keeps_the_verified_facts(
        browser, make_user, make_org, make_project):
    """Attack: a verified organisation raised its staff and office area and stayed verified, so it could
    bid where it did not qualify. Now it goes back to pending and bids read the verified facts."""
    from market.bids.services import eligibility_problems

    org = make_org(full_time_staff=3, office_area_m2=20)
    project = make_project(status=ProjectStatus.OPEN, min_staff=10, min_office_area_m2=100)
    assert eligibility_problems(org, project, utcnow())  # does not qualify
    browser.login(make_user(Role.PROVIDER, organization=org))
    response = browser.post(f"/organizations/{org.id}/edit", _profile(org, full_time_staff=50, office_area_m2=500))
    assert response.status_code == 302
    db.session.refresh(org)
    assert org.verification_state == VerificationState.PENDING and org.full_time_staff == 50
    assert org.is_eligible and org.eligibility().full_time_staff == 3
    problems = [str(p) for p in eligibility_problems(org, project, utcnow())]
    assert any("3 full-time staff" in p for p in problems) and any("20 m²" in p for p in problems)
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "organization.facts_changed"))
    assert set(event.after["changed"]) == {"full_time_staff", "office_area_m2"}


def test_matching_reads_the_verified_facts_while_changes_wait(make_user, make_org, geo):
    from market.orgs.services import OrgInput, update_org
    from market.review.adapter import provider_specs

    org = make_org(full_time_staff=4)
    member = make_user(Role.PROVIDER, organization=org)
    update_org(member, org, OrgInput(name=org.name, kind=OrgKind(org.kind), full_time_staff=40,
                                     office_area_m2=org.office_area_m2, rating_grade=org.rating_grade,
                                     registration_date=org.registration_date, home_street_id=org.home_street_id,
                                     capacity=org.capacity, category_ids=tuple(c.id for c in org.categories)))
    db.session.commit()
    specs = {spec.id: spec for spec in provider_specs(utcnow().date())[0]}
    assert specs[org.id].staff == 4


def test_editing_other_fields_keeps_the_verification(browser, make_user, make_org):
    org = make_org()
    browser.login(make_user(Role.PROVIDER, organization=org))
    assert browser.post(f"/organizations/{org.id}/edit",
                        _profile(org, capability="新的服务介绍", capacity=5)).status_code == 302
    db.session.refresh(org)
    assert org.verification_state == VerificationState.VERIFIED


def test_the_queue_shows_before_and_after_and_the_evidence(browser, make_user, make_org, geo):
    org = make_org(full_time_staff=3)
    member = make_user(Role.PROVIDER, organization=org)
    browser.login(member)
    pdf = (b"%PDF-1.4 certificate", "certificate.pdf")
    from io import BytesIO

    data = _profile(org, full_time_staff=30, credit_code=VALID_CODE)
    data["documents"] = [(BytesIO(pdf[0]), pdf[1])]
    assert browser.client.post(f"/organizations/{org.id}/edit", data={**data, "csrf_token": browser.token()},
                               content_type="multipart/form-data").status_code == 302
    browser.logout()
    browser.login(make_user(Role.OFFICIAL, street=geo.streets[0]))
    queue = browser.get("/organizations/verification").get_data(as_text=True)
    assert org.name_en in queue and "certificate.pdf" in queue
    assert ">3<" in queue and "<strong>30</strong>" in queue and "changed" in queue


def test_an_official_of_another_street_cannot_verify_or_unverify(browser, make_user, make_org, geo):
    """Attack: a street official verified and un-verified organisations based in other streets."""
    pending = make_org(verified=False, home_street_id=geo.streets[1].id)
    verified = make_org(rating_grade=4, home_street_id=geo.streets[1].id)
    browser.login(make_user(Role.OFFICIAL, street=geo.streets[0]))
    assert pending.name not in browser.get("/organizations/verification").get_data(as_text=True)
    assert browser.post(f"/organizations/{pending.id}/verification", {"decision": "approve", "facts_seen": pending.facts_digest()}).status_code == 403
    assert browser.post(f"/organizations/{verified.id}/verification",
                        {"decision": "refuse", "reason": "no longer valid"}).status_code == 403
    db.session.refresh(pending), db.session.refresh(verified)
    assert pending.verification_state == VerificationState.PENDING
    assert verified.verification_state == VerificationState.VERIFIED


def test_a_verified_organisation_that_renames_itself_is_verified_again(browser, make_user, make_org):
    """Attack: a verified organisation took the name of a well-known one and kept its verified badge, so
    officials and residents saw the borrowed name as checked. The name is a verified fact too."""
    org = make_org()
    original = org.name
    browser.login(make_user(Role.PROVIDER, organization=org))
    assert browser.post(f"/organizations/{org.id}/edit", _profile(org, name="福田区红十字会")).status_code == 302
    db.session.refresh(org)
    assert org.verification_state == VerificationState.PENDING and org.name == "福田区红十字会"
    assert org.verified_facts["name"] == original
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "organization.facts_changed"))
    assert event.after["changed"] == ["name"]


def test_nobody_verifies_their_own_organisation(browser, make_user, make_org, geo):
    """Attack: an official who belongs to an organisation (a street office, or an NGO an official also
    works for) approved it and withdrew the verification of nobody else's: they were judge in their own
    case. A member of the organisation never decides on it; another official does."""
    org = make_org(kind=OrgKind.GOVERNMENT, verified=False, home_street_id=geo.streets[0].id)
    insider = make_user(Role.OFFICIAL, street=geo.streets[0], organization=org)
    browser.login(insider)
    assert org.name not in browser.get("/organizations/verification").get_data(as_text=True)
    assert browser.post(f"/organizations/{org.id}/verification", {"decision": "approve", "facts_seen": org.facts_digest()}).status_code == 403
    db.session.refresh(org)
    assert org.verification_state == VerificationState.PENDING
    browser.login(make_user(Role.OFFICIAL, street=geo.streets[0]))
    assert browser.post(f"/organizations/{org.id}/verification", {"decision": "approve", "facts_seen": org.facts_digest()}).status_code == 302
    db.session.refresh(org)
    assert org.is_verified and org.verified_by_id != insider.id


def test_an_official_approves_only_the_facts_they_were_shown(browser, make_user, make_org, make_browser, geo):
    """Attack: the organisation changed its staff from 47 to 9999 while the official had its queue entry open
    showing 47; the approval then verified 9999, a fact nobody checked. The decision carries a digest of
    the facts on the page, and a decision on facts that changed since is refused."""
    org = make_org(verified=False, full_time_staff=47)
    official = make_browser()
    official.login(make_user(Role.OFFICIAL, street=geo.streets[0]))
    shown = org.facts_digest()
    assert f'value="{shown}"' in official.get("/organizations/verification").get_data(as_text=True)
    member = make_browser()
    member.login(make_user(Role.PROVIDER, organization=org))
    assert member.post(f"/organizations/{org.id}/edit", _profile(org, full_time_staff=9999)).status_code == 302
    answer = official.post(f"/organizations/{org.id}/verification", {"decision": "approve", "facts_seen": shown})
    assert answer.status_code == 409 and "check them again" in answer.get_data(as_text=True)
    assert "9999" in answer.get_data(as_text=True)  # the page shows the facts as they are now
    db.session.refresh(org)
    assert org.verification_state == VerificationState.PENDING and org.verified_facts is None
    assert official.post(f"/organizations/{org.id}/verification",
                         {"decision": "approve", "facts_seen": org.facts_digest()}).status_code == 302
    db.session.refresh(org)
    assert org.is_verified and org.verified_facts["full_time_staff"] == 9999


def test_a_government_department_stays_one(browser, make_user, make_org, geo):
    """Attack: an official turned their department into a "foundation", topped its pool up by a bank transfer
    of ¥1,000,000,000 that any district official could confirm, and so skipped the appropriation that
    another official of the department must confirm. A department's kind is fixed, nothing becomes a
    department by editing, and a funder cannot register one."""
    department = make_org(OrgKind.GOVERNMENT, categories=())
    browser.login(make_user(Role.OFFICIAL, organization=department))
    form = browser.get(f"/organizations/{department.id}/edit").get_data(as_text=True)
    assert 'value="foundation"' not in form
    assert browser.post(f"/organizations/{department.id}/edit",
                        _profile(department, kind="foundation")).status_code == 400
    db.session.refresh(department)
    assert department.kind == OrgKind.GOVERNMENT and department.is_verified
    from market.core.errors import ValidationFailed
    from market.orgs.services import OrgInput, update_org

    with pytest.raises(ValidationFailed) as refused:  # the service refuses it too, whatever the form offered
        update_org(make_user(Role.OFFICIAL, organization=department), department,
                   OrgInput(name=department.name, kind=OrgKind.FOUNDATION))
    assert "kind" in refused.value.fields
    db.session.rollback()
    foundation = make_org(OrgKind.FOUNDATION, categories=())
    browser.login(make_user(Role.FUNDER, organization=foundation))
    assert browser.post(f"/organizations/{foundation.id}/edit",
                        _profile(foundation, kind="government")).status_code == 400
    provider_org = make_org()
    browser.login(make_user(Role.PROVIDER, organization=provider_org))
    assert browser.post(f"/organizations/{provider_org.id}/edit",
                        _profile(provider_org, kind="foundation")).status_code == 400  # not a provider's kind
    assert browser.post(f"/organizations/{provider_org.id}/edit",
                        _profile(provider_org, kind="enterprise")).status_code == 302
    db.session.refresh(foundation)
    assert foundation.kind == OrgKind.FOUNDATION
    browser.login(make_user(Role.FUNDER))
    registered = browser.post("/organizations/new", {**_profile(foundation, kind="government"), "name": "福田区财政局"})
    assert registered.status_code == 400


def test_profiles_are_written_by_members_and_checked_by_someone_else(browser, make_user, make_org, geo, app):
    """Attack: an administrator changed an organisation's staff to 777 and then, as nobody's member, approved
    the change: one person wrote and checked the facts. An official who registers an organisation (and
    attaches its certificate) is likewise not the one who verifies it."""
    from io import BytesIO

    org = make_org(full_time_staff=12)
    browser.login(make_user(Role.ADMIN))
    assert browser.post(f"/organizations/{org.id}/edit", _profile(org, full_time_staff=777)).status_code == 403
    db.session.refresh(org)
    assert org.full_time_staff == 12 and org.is_verified
    registrar = make_user(Role.OFFICIAL, street=geo.streets[0])
    browser.login(registrar)
    data = {**_profile(org, name="福田区新设社工站", credit_code=VALID_CODE), "kind": "social_organisation",
            "documents": [(BytesIO(b"%PDF-1.4 registration"), "registration.pdf")], "csrf_token": browser.token()}
    created = browser.client.post("/organizations/new", data=data, content_type="multipart/form-data")
    assert created.status_code == 302
    new = db.session.scalar(select(Organization).where(Organization.name == "福田区新设社工站"))
    assert [d.filename for d in new.documents] == ["registration.pdf"] and registrar.organization_id is None
    refused = browser.post(f"/organizations/{new.id}/verification",
                           {"decision": "approve", "facts_seen": new.facts_digest()})
    assert refused.status_code == 403 and "another official verifies it" in refused.get_data(as_text=True)
    browser.login(make_user(Role.OFFICIAL, street=geo.streets[0]))
    assert browser.post(f"/organizations/{new.id}/verification",
                        {"decision": "approve", "facts_seen": new.facts_digest()}).status_code == 302


def test_organisations_without_a_home_street_are_verified_by_district_officials(browser, make_user, make_org, geo):
    org = make_org(verified=False, home_street_id=None)
    browser.login(make_user(Role.OFFICIAL, street=geo.streets[0]))
    assert browser.post(f"/organizations/{org.id}/verification", {"decision": "approve", "facts_seen": org.facts_digest()}).status_code == 403
    browser.logout()
    browser.login(make_user(Role.OFFICIAL))
    assert browser.post(f"/organizations/{org.id}/verification", {"decision": "approve", "facts_seen": org.facts_digest()}).status_code == 302
    db.session.refresh(org)
    assert org.is_verified and org.verified_facts == org.current_facts()


def test_withdrawing_a_verification_needs_a_reason_and_tells_the_members(browser, make_user, make_org, geo):
    """Attack: a verified 4A organisation was un-verified with no reason."""
    org = make_org(rating_grade=4, home_street_id=geo.streets[0].id)
    member = make_user(Role.PROVIDER, organization=org)
    browser.login(make_user(Role.OFFICIAL, street=geo.streets[0]))
    silent = browser.post(f"/organizations/{org.id}/verification", {"decision": "refuse", "reason": ""})
    assert silent.status_code == 400
    db.session.refresh(org)
    assert org.verification_state == VerificationState.VERIFIED
    said = browser.post(f"/organizations/{org.id}/verification",
                        {"decision": "refuse", "reason": "评估等级证书已过期"})
    assert said.status_code == 302
    db.session.refresh(org)
    assert org.verification_state == VerificationState.REJECTED and not org.is_eligible
    assert org.verification_note == "评估等级证书已过期"
    notice = db.session.scalar(select(Notification).where(Notification.user_id == member.id))
    assert notice.kind == "organization.verification_withdrawn" and notice.params["reason"] == "评估等级证书已过期"
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "organization.verification_withdrawn"))
    assert event.after["reason"] == "评估等级证书已过期" and event.before["verification_state"] == "verified"


@pytest.mark.parametrize("content, name", [(b"MZ\x90\x00 not a pdf", "cert.pdf"), (b"%PDF-" + b"x" * 2000, "big.pdf")])
def test_bad_documents_are_refused(browser, make_user, make_org, monkeypatch, content, name):
    from io import BytesIO

    from market.orgs import services

    monkeypatch.setattr(services, "MAX_DOCUMENT_BYTES", 1000)  # the limit, small enough to stay in memory
    org = make_org()
    browser.login(make_user(Role.PROVIDER, organization=org))
    data = _profile(org, capability="改一下")
    data["documents"] = [(BytesIO(content), name)]
    response = browser.client.post(f"/organizations/{org.id}/edit", data={**data, "csrf_token": browser.token()},
                                   content_type="multipart/form-data")
    assert response.status_code == 400
    db.session.refresh(org)
    assert org.documents == [] and org.capability != "改一下"


def test_documents_are_for_members_and_the_verifying_officials(browser, make_user, make_org, geo, app):
    from market.orgs.models import DocumentKind
    from market.orgs.routes import document_dir
    from market.orgs.services import DocumentUpload, add_documents

    org = make_org(home_street_id=geo.streets[0].id)
    member = make_user(Role.PROVIDER, organization=org)
    with app.test_request_context():
        add_documents(member, org, [DocumentUpload(DocumentKind.RATING, "rating.pdf", b"%PDF-1.7 rating")],
                      document_dir())
    db.session.commit()
    doc = org.documents[0]
    for user, status in ((make_user(Role.PROVIDER, organization=make_org()), 403),
                         (make_user(Role.OFFICIAL, street=geo.streets[1]), 403)):
        browser.login(user)
        assert browser.get(f"/organizations/documents/{doc.id}/review").status_code == status
        assert browser.get(f"/organizations/documents/{doc.id}").status_code == 403
        browser.logout()
    browser.login(make_user(Role.OFFICIAL, street=geo.streets[0]))
    assert _download(browser, f"/organizations/documents/{doc.id}/review") == b"%PDF-1.7 rating"
    browser.logout()
    browser.login(member)
    assert _download(browser, f"/organizations/documents/{doc.id}") == b"%PDF-1.7 rating"


def _download(browser, url: str) -> bytes:
    response = browser.get(url)
    try:
        return response.data
    finally:
        response.close()


def test_a_refused_org_that_corrects_its_profile_asks_again(browser, make_user, make_org, geo):
    org = make_org(verified=False, home_street_id=geo.streets[0].id)
    official = make_user(Role.OFFICIAL, street=geo.streets[0])
    browser.login(official)
    browser.post(f"/organizations/{org.id}/verification", {"decision": "refuse", "reason": "请上传登记证书"})
    browser.logout()
    browser.login(make_user(Role.PROVIDER, organization=org))
    assert browser.post(f"/organizations/{org.id}/edit", _profile(org, credit_code=VALID_CODE)).status_code == 302
    db.session.refresh(org)
    assert org.verification_state == VerificationState.PENDING


def test_years_registered_count_from_the_verified_date(make_org):
    org = make_org(registration_date=utcnow().date() - timedelta(days=400))
    assert org.eligibility().years_registered(utcnow().date()) > 1
