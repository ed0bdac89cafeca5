"""Every route whose rule grants the *district* relation (a district-wide official of the object's
district), tried by a district-wide official of another district on an object of the demo's district:
refused. The authorisation matrix walks the *governs* rules; this walks the others."""
from __future__ import annotations

import re

from sqlalchemy import select

from market.core import policy
from market.ui.guard import PUBLIC, route_policy

TOKEN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
#: Kept for the whole installation: any district-wide official manages them (see docs/trust.md).
INSTALLATION_WIDE = {"Expert", "ExpertEmployment", "ExpertRelationship", "VocabularyTerm"}


def _placed(model):
    from market.core.db import db

    for obj in db.session.scalars(select(model).order_by(model.id).limit(3000)):
        scope = policy.scope_of(obj)
        if scope.street_id is not None or scope.district_id is not None:
            return obj
    return None


def test_another_districts_official_is_refused_on_every_district_relation_route(app, demo, make_browser):
    from market.accounts.models import Role, User
    from market.accounts.services import place_official
    from market.core.db import db
    from market.geo.models import District, Street

    luohu = District(code="440303", name="罗湖区", name_en="Luohu District")
    db.session.add_all([luohu, Street(district=luohu, code="440303001", name="桂园街道", name_en="Guiyuan")])
    db.session.flush()
    intruder = User(email="luohu.district@example.org", display_name="Luohu official", role=Role.OFFICIAL)
    intruder.set_password("luohu-password-2026")
    place_official(intruder, district_id=luohu.id)
    db.session.add(intruder)
    db.session.commit()
    browser = make_browser()
    browser.login(intruder, "luohu-password-2026")
    token = TOKEN.search(browser.get("/login").get_data(as_text=True)).group(1)
    checked, problems, no_object = set(), [], set()
    for rule_ in app.url_map.iter_rules():
        declared = route_policy(app.view_functions[rule_.endpoint]) if rule_.endpoint != "static" else None
        if declared is None or declared is PUBLIC or declared.model is None:
            continue
        if "district" not in policy.rule(declared.action).relations:
            continue
        obj = _placed(declared.model)
        if obj is None:
            no_object.add(declared.model.__name__)
            continue
        url = rule_.rule
        for name in rule_.arguments:
            url = re.sub(rf"<(?:\w+:)?{name}>", str(obj.id if name == declared.arg else 1), url)
        for method in sorted(rule_.methods - {"HEAD", "OPTIONS"}):
            response = browser.client.get(url) if method == "GET" else browser.client.post(url, data={
                "csrf_token": token})
            checked.add(rule_.endpoint)
            if response.status_code not in (403, 404):
                problems.append(f"{method} {url} ({rule_.endpoint}): {response.status_code}")
    assert problems == []
    assert no_object <= INSTALLATION_WIDE, no_object
    assert {"bids.settings", "bids.department_code", "notifications.retry", "notifications.discard",
            "payments.refund_order", "funding.close_campaign"} <= checked
