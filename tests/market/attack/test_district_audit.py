"""The audit trail of one district read by another district's official: neither its events nor, through the
"Who" filter's list, the names of the people who acted there."""
from __future__ import annotations

from market.accounts.models import Role
from market.core.audit import record
from market.core.db import db


def test_another_districts_audit_trail_and_its_people_stay_hidden(city, make_user, make_project, make_browser):
    luohu_resident = make_user(Role.RESIDENT, community=city.b_community)
    luohu_resident.display_name = "罗湖居民张三丰"
    luohu_project = make_project(owner=city.b_official, street=city.b_street, title="罗湖区桂园街道保密项目")
    record(luohu_resident, "project.updated", luohu_project, after={"title": luohu_project.title})
    db.session.commit()
    intruder = make_browser()
    intruder.login(city.a_official)
    for query in ("", f"?actor={luohu_resident.id}", f"?object_type=projects&object_id={luohu_project.id}"):
        html = intruder.get(f"/audit/{query}").get_data(as_text=True)
        assert "罗湖区桂园街道保密项目" not in html and "罗湖居民张三丰" not in html, query
    export = intruder.get(f"/audit/export.csv?actor={luohu_resident.id}").get_data(as_text=True)
    assert "罗湖" not in export and export.count("\n") <= 1  # the header only
    own = make_browser()
    own.login(city.b_official)
    html = own.get(f"/audit/?actor={luohu_resident.id}").get_data(as_text=True)
    assert "罗湖居民张三丰" in html
