"""Sealed bids do not leak: not through any page, the API, search, the audit trail or a download,
not to competitors, residents, officials or administrators, before the deadline."""
from __future__ import annotations

from datetime import timedelta

import pytest
from werkzeug.routing import IntegerConverter

from market.accounts.models import Role
from market.bids import services
from market.db import db, utcnow

SECRET_PRICE = 28_765_432
PRICE_FORMS = ("28765432", "287,654.32", "287654.32", "287,654")
SECRET_TEXT = "绝密方案XYZ7731"
SECRET_TEAM = "秘密团队TEAM991"
COMPETITOR = "保密竞争者社工中心"
COMPETITOR_EN = "Sealed Competitor Centre"
PDF = b"%PDF-1.7\n" + SECRET_TEXT.encode() + b"\n%%EOF\n"
# Pages where organisation names are public whatever happens in tenders.
ORG_NAME_PUBLIC = ("orgs.", "search.", "api.organization")


@pytest.fixture
def sealed(app, market, make_user, make_pool, geo):
    now = utcnow()
    project = market.tendered(deadline=now + timedelta(days=5), now=now - timedelta(minutes=5))
    competitor = market.provider(name=COMPETITOR, name_en=COMPETITOR_EN)
    bid = market.bid(competitor, project, SECRET_PRICE, proposal=SECRET_TEXT, team=SECRET_TEAM, now=now)
    attachment = services.add_attachment(competitor, bid, services.Upload("方案.pdf", PDF), app.instance_path, now=now)
    db.session.commit()
    rival = market.provider()
    market.bid(rival, project, 25_000_000, proposal="另一份方案", now=now)

    class Sealed:
        pass

    s = Sealed()
    s.project, s.bid, s.attachment, s.competitor, s.rival = project, bid, attachment, competitor, rival
    s.pool = make_pool()
    s.viewers = {
        "anonymous": None,
        "rival bidder": rival,
        "other provider": market.provider(),
        "resident": make_user(Role.RESIDENT),
        "street official": market.official,
        "district official": market.district_official,
        "other street official": market.other_official,
        "admin": make_user(Role.ADMIN),
        "funder": make_user(Role.FUNDER),
    }
    return s


def _urls(app, s) -> list[tuple[str, str]]:
    """Every GET page of the app with its arguments filled in for the sealed project."""
    values = {"project_id": s.project.id, "org_id": s.competitor.organization_id, "pool_id": s.pool.id,
              "seal": s.bid.seal, "stored_name": s.attachment.stored_name}
    urls = []
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.endpoint in ("static", "web.set_language"):
            continue
        args = {}
        for name in rule.arguments:
            converter = rule._converters[name]
            if name in values:
                args[name] = values[name]
            elif isinstance(converter, IntegerConverter):
                args[name] = 1
            elif type(converter).__name__ == "PathConverter":
                args = None
                break
            else:
                args[name] = "1"
        if args is None:
            continue
        with app.test_request_context():
            from flask import url_for

            # A page about the organisation itself names it, whatever happens in tenders.
            endpoint = "orgs.page" if "org_id" in rule.arguments else rule.endpoint
            urls.append((endpoint, url_for(rule.endpoint, **args)))
    return urls


def _searches() -> list[tuple[str, str, str]]:
    """Searches for a bid's content: the pages echo the query, but must find nothing."""
    return [(endpoint, url.format(q=query), query) for query in (SECRET_TEXT, "287654", SECRET_TEAM)
            for endpoint, url in (("search.index", "/search?q={q}"), ("projects.index", "/projects?q={q}"),
                                  ("api.projects", "/api/v1/projects?q={q}"))]


def _secrets_in(body: str, endpoint: str, echoed: str = "") -> list[str]:
    if echoed:
        body = body.replace(echoed, "")
    found = [s for s in (SECRET_TEXT, SECRET_TEAM, *PRICE_FORMS) if s in body]
    if not endpoint.startswith(ORG_NAME_PUBLIC):
        found += [s for s in (COMPETITOR, COMPETITOR_EN) if s in body]
    return found


def test_sealed_bid_leaks_through_no_page_api_search_or_download(app, sealed, make_browser):
    urls = _urls(app, sealed)
    assert len(urls) > 40
    for who, user in sealed.viewers.items():
        browser = make_browser()
        if user is not None:
            browser.login(user)
        for endpoint, url in urls:
            response = browser.get(url)
            body = response.get_data(as_text=True) if not response.mimetype.startswith("application/pdf") \
                else response.get_data().decode("latin-1")
            leaked = _secrets_in(body, endpoint)
            if endpoint.startswith(("bids.", "review.", "projects.", "web.")):
                assert response.status_code < 500, (who, url)
            assert not leaked, f"{who} sees {leaked} at {url} ({response.status_code})"
            if endpoint == "projects.detail":
                assert "bids received" not in body and "bid received" not in body, who
        for endpoint, url, query in _searches():
            response = browser.get(url)
            body = response.get_data(as_text=True)
            assert not _secrets_in(body, endpoint, echoed=query), (who, url)
            assert sealed.project.title not in body and sealed.project.title_en not in body, (who, url)


def test_the_bidder_sees_its_own_bid_and_nobody_else_can_open_it(sealed, make_browser):
    own = make_browser()
    own.login(sealed.competitor)
    page = own.get(f"/bids/{sealed.bid.seal}").get_data(as_text=True)
    assert SECRET_TEXT in page and "287,654.32" in page
    assert own.get(f"/bids/files/{sealed.attachment.stored_name}").status_code == 200
    for who, user in sealed.viewers.items():
        browser = make_browser()
        if user is not None:
            browser.login(user)
        for url in (f"/bids/{sealed.bid.seal}", f"/bids/files/{sealed.attachment.stored_name}",
                    f"/bids/{sealed.bid.seal}/edit"):
            response = browser.get(url)
            assert response.status_code in (302, 404), (who, url, response.status_code)
        response = browser.post(f"/bids/{sealed.bid.seal}/withdraw")
        assert response.status_code in (302, 400, 404), who
        if response.status_code == 302:
            assert "/login" in response.headers["Location"]


def test_audit_trail_shows_a_commitment_not_the_bid(sealed, make_browser):
    for user in (sealed.viewers["street official"], sealed.viewers["admin"]):
        browser = make_browser()
        browser.login(user)
        page = browser.get("/audit/").get_data(as_text=True)
        assert sealed.bid.seal in page and services.seal_digest(sealed.bid)[:10] in page
        assert not _secrets_in(page, "audit.index")
        assert sealed.competitor.email not in page


def test_after_the_deadline_only_the_reviewing_officials_see_the_bids(app, sealed, make_browser):
    project = sealed.project
    project.bid_deadline = utcnow() - timedelta(minutes=1)  # time passes
    db.session.commit()
    official = make_browser()
    official.login(sealed.viewers["street official"])
    assert official.get(f"/bids/projects/{project.id}/opened").status_code == 200  # offers to open
    response = official.post(f"/bids/projects/{project.id}/open")
    assert response.status_code == 302
    page = official.get(f"/bids/projects/{project.id}/opened").get_data(as_text=True)
    assert COMPETITOR_EN in page and "287,654.32" in page
    assert SECRET_TEXT in official.get(f"/bids/{sealed.bid.seal}").get_data(as_text=True)
    for who in ("other street official", "rival bidder", "resident", "anonymous", "funder", "other provider"):
        browser = make_browser()
        if sealed.viewers[who] is not None:
            browser.login(sealed.viewers[who])
        for url in (f"/bids/projects/{project.id}/opened", f"/bids/{sealed.bid.seal}",
                    f"/projects/{project.id}", f"/api/v1/projects/{project.id}"):
            body = browser.get(url).get_data(as_text=True)
            assert not _secrets_in(body, "projects.detail"), (who, url)
    public = make_browser().get(f"/projects/{project.id}").get_data(as_text=True)
    assert "2 bids received." in public
