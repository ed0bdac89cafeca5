"""A district's procurement settings (thresholds, notice periods, number prefixes, department codes) are its
own: the officials of another district can neither change nor read them, and a district-wide project of a
district follows its own district's settings."""
from __future__ import annotations

from market.bids import procurement
from market.core.db import db
from market.orgs.models import OrgKind
from tests.market.bids.helpers import refused


def _settings_form(**fields):
    return {"direct_commission_max": "5000000", "single_source_notice_days": "5", "clarification_days": "5",
            "number_prefix": "HACK", **fields}


def test_another_districts_official_cannot_change_a_districts_procurement_settings(city, make_browser):
    page = f"/bids/districts/{city.a.id}/settings"
    for intruder in (city.b_official, city.b_street_official):
        browser = make_browser()
        browser.login(intruder)
        assert browser.get(page).status_code in (403, 404)
        refused(browser, page, _settings_form())
    db.session.expire_all()
    assert procurement.settings_for(city.a).number_prefix == ""
    own = make_browser()
    own.login(city.b_official)
    assert own.post(f"/bids/districts/{city.b.id}/settings", _settings_form(number_prefix="LHZF")).status_code == 302
    own.login(city.a_official)
    assert own.post(page, _settings_form(number_prefix="FTZF")).status_code == 302
    db.session.expire_all()
    assert procurement.settings_for(city.a).number_prefix == "FTZF"
    assert procurement.settings_for(city.b).number_prefix == "LHZF"


def test_another_districts_official_cannot_set_a_districts_department_code(city, make_browser, make_org):
    department = make_org(OrgKind.GOVERNMENT, categories=())  # Futian's (district A's) department
    intruder = make_browser()
    intruder.login(city.b_official)
    refused(intruder, f"/bids/districts/{city.b.id}/department-codes", {"org_id": department.id, "code": "LHXX"})
    refused(intruder, f"/bids/districts/{city.a.id}/department-codes", {"org_id": department.id, "code": "LHXX"})
    db.session.expire_all()
    assert not department.procurement_code
    own = make_browser()
    own.login(city.a_official)
    assert own.post(f"/bids/districts/{city.a.id}/department-codes",
                    {"org_id": department.id, "code": "FTMZ"}).status_code == 302


def test_a_district_wide_project_follows_its_own_districts_settings(city, make_project):
    with_a = procurement.update_settings(city.a_official, city.a, procurement.SettingsInput(
        direct_commission_max_cents=100_000, single_source_notice_days=5, clarification_days=5, number_prefix="FTZF"))
    with_b = procurement.update_settings(city.b_official, city.b, procurement.SettingsInput(
        direct_commission_max_cents=900_000, single_source_notice_days=7, clarification_days=7, number_prefix="LHZF"))
    db.session.commit()
    project = make_project(owner=city.b_official, street=city.b_street)
    project.street_id = None  # Luohu's own, in none of its streets
    db.session.commit()
    assert project.district_id == city.b.id
    assert procurement.project_settings(project).number_prefix == with_b.number_prefix != with_a.number_prefix


def test_a_districts_settings_changes_are_in_its_own_audit_trail_only(city, make_browser):
    procurement.update_settings(city.a_official, city.a, procurement.SettingsInput(
        direct_commission_max_cents=123_400, single_source_notice_days=9, clarification_days=9, number_prefix="FTZF"))
    db.session.commit()
    page = "/audit/?action=procurement.settings_changed"
    intruder = make_browser()
    intruder.login(city.b_official)
    assert "FTZF" not in intruder.get(page).get_data(as_text=True)
    own = make_browser()
    own.login(city.a_street_official)
    assert "FTZF" in own.get(page).get_data(as_text=True)


def test_a_city_wide_project_follows_the_defaults_not_the_first_districts_settings(city, make_browser,
                                                                                    make_project):
    own = make_browser()
    own.login(city.a_official)
    assert own.post(f"/bids/districts/{city.a.id}/settings", _settings_form(number_prefix="FTZF")).status_code == 302
    project = make_project(owner=city.admin, street=None, district_id=None)
    project.street_id = None
    db.session.commit()
    assert procurement.district_of(project) is None
    assert procurement.project_settings(project).number_prefix == ""  # not district A's "FTZF"
