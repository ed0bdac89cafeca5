"""Sealed bids do not leak: not through any page, the API, search, the audit trail or a download,
not to competitors, residents, officials or administrators, before the deadline."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from werkzeug.routing import AnyConverter, IntegerConverter

from market.accounts.models import Role
from market.bids import services
from market.core.audit import AuditEvent
from market.core.calendar import BEIJING
from market.core.db import db, utcnow
from market.core.errors import Conflict

SECRET_PRICE = 28_765_432
PRICE_FORMS = ("28765432", "287,654.32", "287654.32", "287,654")
SECRET_TEXT = "绝密方案XYZ7731"
SECRET_TEAM = "秘密团队TEAM991"
COMPETITOR = "保密竞争者社工中心"
COMPETITOR_EN = "Sealed Competitor Centre"
PDF = b"%PDF-1.7\n" + SECRET_TEXT.encode() + b"\n%%EOF\n"
# Pages where organisation names are public whatever happens in tenders (the expert forms choose among all of them).
ORG_NAME_PUBLIC = ("orgs.", "search.", "api.organization", "panels.new_expert", "panels.edit_expert")


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
            elif isinstance(converter, AnyConverter):
                args[name] = sorted(converter.items)[0]
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


# ---------------------------------------------------------------- the answer never depends on whether anyone bid

_CSRF = re.compile(r'(name="csrf_token"[^>]*value=")[^"]+(")')


def _minute(value):
    """The tender form takes minutes: deadlines set to the minute can be posted again unchanged."""
    return value.replace(second=0, microsecond=0)


def _tender_post(project, deadline, *, lots=None, requirements="需具备居家养老服务经验。"):
    """The tender form as the official posts it: the published criteria and ``lots`` (default: the lots
    the project has, unchanged)."""
    data = {"bid_deadline": deadline.astimezone(BEIJING).strftime("%Y-%m-%dT%H:%M"), "requirements": requirements}
    for i, criterion in enumerate(services.default_criteria()):
        data[f"criteria-{i}-name"] = criterion["name"]
        data[f"criteria-{i}-name_en"] = criterion["name_en"]
        data[f"criteria-{i}-weight"] = str(criterion["weight"])
    if lots is None:
        lots = [(lot.title, lot.budget_cents) for lot in services.lots_of(project)]
    for i, (title, cents) in enumerate(lots):
        data[f"lots-{i}-title"] = title
        data[f"lots-{i}-budget"] = str(cents // 100)
    return data


def _as_if_any_project(body: str, project) -> str:
    """A page with what names the project (id, titles) and the session's CSRF token taken out, so that
    the pages of two projects alike in everything else can be compared."""
    for text in (project.title, project.title_en):
        body = body.replace(text, "TITLE")
    body = re.sub(rf"/{project.id}(?![0-9])", "/ID", body)
    # The page's links to its own history (the project's, its tender's) name those objects.
    body = re.sub(r"object_id=[0-9]+", "object_id=ID", body)
    return _CSRF.sub(r"\1TOKEN\2", body)


def _messages(body: str) -> list[str]:
    """What a page tells its reader about the form: field errors and flash messages."""
    found = re.findall(r'<small class="error"[^>]*>(.*?)</small>', body)
    found += [re.sub(r"<[^>]+>", " ", m).strip()
              for m in re.findall(r'<div class="flash flash-\w+[^"]*" role="(?:alert|status)"[^>]*>(.*?)</div>\s*(?:</div>|\n)',
                                  body, re.S)]
    return found


def _twins(market, *, deadline, now, lots=()):
    """Two tenders alike in everything but their title; the second gets a sealed bid (and a withdrawn one)."""
    bare = market.tendered(deadline=deadline, now=now, lots=lots)
    bid_for = market.tendered(deadline=deadline, now=now, lots=lots)
    lot = services.lots_of(bid_for)[0] if lots else None
    market.bid(market.provider(), bid_for, 9_000_000, lot=lot, now=now + timedelta(minutes=1))
    withdrawn = market.provider()
    bid = market.bid(withdrawn, bid_for, 9_500_000, lot=lot, now=now + timedelta(minutes=1))
    services.withdraw_bid(withdrawn, bid, now=now + timedelta(minutes=2))
    db.session.commit()
    return bare, bid_for


def _same_answer(browser, bare, bid_for, data_for):
    """Post the tender form for both twins; their answers (status, page) must be the same."""
    first = browser.post(f"/bids/projects/{bare.id}/tender", data_for(bare))
    second = browser.post(f"/bids/projects/{bid_for.id}/tender", data_for(bid_for))
    assert first.status_code == second.status_code
    body = first.get_data(as_text=True)
    assert _as_if_any_project(body, bare) == _as_if_any_project(second.get_data(as_text=True), bid_for)
    return first.status_code, _messages(body)


def test_moving_a_published_deadline_earlier_is_refused_the_same_with_or_without_bids(browser, market):
    """A published deadline is only extended, whether or not anyone bid, and the refusal reads the same.

    Would fail on the old code: without bids it moved the deadline earlier (302); with bids it refused
    saying "Bids have come in", which told the official that the tender had bids.
    """
    now = utcnow()
    deadline = _minute(now + timedelta(days=5))
    bare, bid_for = _twins(market, deadline=deadline, now=now - timedelta(minutes=5))
    browser.login(market.official)
    status, messages = _same_answer(browser, bare, bid_for,
                                    lambda p: _tender_post(p, deadline - timedelta(days=2)))
    assert status == 400
    assert "A published deadline can be extended but not brought forward." in messages
    assert not any("bid" in m.lower() and "come in" in m.lower() for m in messages)
    db.session.expire_all()
    assert {db.session.get(type(p), p.id).bid_deadline for p in (bare, bid_for)} == {deadline}
    status, _ = _same_answer(browser, bare, bid_for, lambda p: _tender_post(p, deadline + timedelta(days=2)))
    assert status == 302  # extending is allowed for both
    db.session.expire_all()
    assert {db.session.get(type(p), p.id).bid_deadline for p in (bare, bid_for)} == {deadline + timedelta(days=2)}


def test_a_passed_deadline_cannot_be_changed_so_bidding_never_reopens(browser, market):
    """Once the deadline has passed the tender is final: a new deadline is refused (409), with or
    without bids, and late bids stay refused.

    Would fail on the old code: it accepted any future deadline for an unopened tender, re-opening
    bidding after the deadline (with or without bids).
    """
    now = utcnow()
    deadline = _minute(now - timedelta(minutes=10))
    bare, bid_for = _twins(market, deadline=deadline, now=deadline - timedelta(days=3))
    browser.login(market.official)
    for new_deadline in (now + timedelta(days=7), now + timedelta(minutes=30)):
        status, messages = _same_answer(browser, bare, bid_for, lambda p, d=new_deadline: _tender_post(p, d))
        assert status == 409
        assert any("bidding is closed for good" in m for m in messages), messages
    db.session.expire_all()
    for project in (bare, bid_for):
        project = db.session.get(type(project), project.id)
        assert project.bid_deadline == deadline and not services.accepts_bids(project, utcnow())
    late = market.provider()
    with pytest.raises(Conflict) as caught:
        market.bid(late, bare, 9_000_000, now=utcnow())
    assert caught.value.code == "late_bid"


def test_lots_cannot_change_after_publication_with_or_without_bids(browser, market):
    """Lots are fixed once the tender is published; the refusal is the same whether or not a bid came in,
    while the rest of the tender may still be amended.

    Would fail on the old code: without bids it replaced the lots (302); with bids it refused saying
    "Bids have come in: the lots can no longer change".
    """
    now = utcnow()
    deadline = _minute(now + timedelta(days=5))
    lots = (("个案服务", 18_000_000), ("社区活动", 12_000_000))
    bare, bid_for = _twins(market, deadline=deadline, now=now - timedelta(minutes=5), lots=lots)
    browser.login(market.official)
    for changed in ([("个案服务", 15_000_000), ("社区活动", 15_000_000)],
                    [("个案服务", 18_000_000), ("长者活动", 12_000_000)], []):
        status, messages = _same_answer(browser, bare, bid_for,
                                        lambda p, c=changed: _tender_post(p, deadline, lots=c))
        assert status == 409
        assert "Once the tender is published its lots cannot change: bidders prepare for them." in messages
        assert not any("come in" in m for m in messages)
    status, _ = _same_answer(browser, bare, bid_for,
                             lambda p: _tender_post(p, deadline, requirements="另需提供服务台账样本。"))
    assert status == 302
    db.session.expire_all()
    for project in (bare, bid_for):
        assert [(lot.title, lot.budget_cents) for lot in services.lots_of(project)] == list(lots)
        assert services.tender_of(project).requirements == "另需提供服务台账样本。"


def test_before_the_deadline_no_page_or_audit_event_says_whether_a_tender_has_bids(app, market, make_user,
                                                                                   make_browser):
    """Bids coming in, being revised and withdrawn change nothing on the project page, the tender page,
    the officials' pages or the public listings; the audit trail records them under their seals only,
    and amending the tender is answered alike for a tender with and without bids.

    Would fail on the old code: amending a tender with bids was answered "Bids have come in: ..."
    (and an earlier deadline was accepted for a tender without bids).
    """
    now = utcnow()
    deadline = _minute(now + timedelta(days=5))
    bare = market.tendered(deadline=deadline, now=now - timedelta(minutes=5))
    bid_for = market.tendered(deadline=deadline, now=now - timedelta(minutes=5))
    viewers = {"street official": market.official, "district official": market.district_official,
               "other street official": market.other_official, "admin": make_user(Role.ADMIN),
               "provider": market.provider(), "resident": make_user(Role.RESIDENT), "anonymous": None}
    browsers = {}
    for who, user in viewers.items():
        browsers[who] = make_browser()
        if user is not None:
            browsers[who].login(user)
            browsers[who].get("/")  # shows the welcome message, which would otherwise differ between snapshots
    pages = [f"/projects/{p.id}" for p in (bare, bid_for)] + [
        f"/api/v1/projects/{bid_for.id}", f"/bids/projects/{bid_for.id}/tender", f"/bids/projects/{bid_for.id}/opened",
        "/bids/projects/awaiting-opening", "/review/", "/dashboard", "/projects/", "/review/awards"]

    def snapshot():
        return {(who, url): (response.status_code, _CSRF.sub(r"\1TOKEN\2", response.get_data(as_text=True)))
                for who, b in browsers.items() for url in pages for response in [b.get(url)]}

    last_seq = lambda: db.session.scalar(select(func.max(AuditEvent.seq)))  # noqa: E731
    before, seq_before = snapshot(), last_seq()
    bidder, other = market.provider(name=COMPETITOR, name_en=COMPETITOR_EN), market.provider()
    bid = market.bid(bidder, bid_for, SECRET_PRICE, proposal=SECRET_TEXT, team=SECRET_TEAM, now=utcnow())
    services.add_attachment(bidder, bid, services.Upload("方案.pdf", PDF), app.instance_path, now=utcnow())
    services.revise_bid(bidder, bid, services.BidInput(price_cents=SECRET_PRICE - 100, proposal=SECRET_TEXT),
                        now=utcnow())
    withdrawn = market.bid(other, bid_for, 25_000_000, now=utcnow())
    services.withdraw_bid(other, withdrawn, now=utcnow())
    db.session.commit()
    after = snapshot()
    changed = sorted(key for key in before if before[key] != after[key])
    assert changed == [], changed
    assert all(status < 500 for status, _ in after.values())
    assert after[("street official", f"/bids/projects/{bid_for.id}/tender")][0] == 200

    # The trail: what the bids added is under seals, without actor, project, bidder or content.
    official = browsers["street official"]
    trail = official.get("/audit/").get_data(as_text=True)
    assert not _secrets_in(trail, "audit.index") and bidder.email not in trail and other.email not in trail
    added = db.session.scalars(select(AuditEvent).where(AuditEvent.seq > seq_before).order_by(AuditEvent.seq)).all()
    assert [e.action for e in added] == ["bid.submitted", "bid.revised", "bid.revised", "bid.submitted",
                                         "bid.withdrawn"]
    for event in added:
        assert (event.object_type, event.actor_id, event.actor_label) == ("sealed_bid", None, "system")
        assert event.object_id in {bid.seal, withdrawn.seal} and event.object_id in trail
        assert set(event.after) <= {"commitment", "revision", "status"}
        assert event.before in (None, {"status": "submitted"})
    about = lambda project: sorted(  # noqa: E731
        e.action for e in db.session.scalars(select(AuditEvent))
        if (e.object_type == "projects" and e.object_id == str(project.id))
        or (e.object_type == "tenders" and e.object_id == str(services.tender_of(project).id))
        or project.id in ((e.after or {}).get("project_id"), (e.before or {}).get("project_id")))
    assert about(bare) == about(bid_for) == ["project.published", "tender.published"]

    # Amending: the same answer for the tender with bids as for the one without.
    answers = [official.post(f"/bids/projects/{p.id}/tender", _tender_post(p, deadline - timedelta(days=1)))
               for p in (bare, bid_for)]
    assert [a.status_code for a in answers] == [400, 400]
    assert _as_if_any_project(answers[0].get_data(as_text=True), bare) == \
        _as_if_any_project(answers[1].get_data(as_text=True), bid_for)
