"""The authorisation matrix, generated from the routes' declared policies (market.ui.guard) and the
one policy table (market.core.policy.RULES), on the demo data:

* every route declares its policy (a route without one fails);
* every route × every role: nothing answers 500, and officials-only routes refuse everyone else;
* the object dimension: for every action of officials that depends on where the object stands, an
  official of another street is refused on an object of a street they do not govern, and a
  district-wide official of another district on every object of the demo's district.
"""
from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from market.core import policy
from market.ui.guard import PUBLIC, route_policy
from tests.market.micro.conftest import png_bytes

# Logging out or switching language would end the walk; starting a matching run leaves a background
# job behind (their permissions are tested in tests/market/review).
SKIP = {"static", "accounts.logout", "web.set_language", "review.start", "review.rerun"}
ROLES = ("anonymous", "resident", "provider", "funder", "official", "street_official", "admin")
EMAILS = {"street_official": "street.official@demo.futian.example"}
TOKEN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
DEMO_PASSWORD = "demo-password-2026"


@pytest.fixture
def other_street(app, demo):
    """Objects the demo keeps in the street official's street only, made in another street through the
    services by that street's own people: a matching run with a decision, a micro-project round up to a
    resident's objection to its results, a sealed bid with an attachment, an organisation's evidence."""
    from market.accounts.models import Role, User
    from market.core.db import db, utcnow
    from market.geo.models import Street

    official = db.session.scalar(select(User).where(User.email == _email("street_official")))
    street = db.session.scalar(select(Street).where(Street.id != official.street_id).order_by(Street.id).limit(1))
    now = utcnow()
    with app.test_request_context():
        their_official = _person(Role.OFFICIAL, "official", street_id=street.id)
        provider = _person(Role.PROVIDER, "provider")
        _organisation_with_evidence(their_official, provider, street)
        _sealed_bid_with_attachment(app, their_official, provider, street, now)
        _round_with_objection(their_official, street, now)
        _match_run_with_decision(app, their_official, now)
    return street


def _person(role, name: str, **fields):
    """An account as an administrator would create it (officials are made directly, as in the demo)."""
    from market.accounts.models import Role, User
    from market.accounts.services import place_official
    from market.core.db import db

    user = User(email=f"other.street.{name}@example.org", display_name=f"Other street {name}", role=role, **fields)
    user.set_password(DEMO_PASSWORD)
    if role == Role.OFFICIAL:
        place_official(user, street_id=user.street_id, district_id=None if user.street_id else user.district_id)
    db.session.add(user)
    db.session.commit()
    return user


def _organisation_with_evidence(official, provider, street):
    """The provider's organisation, based in and serving ``street``, verified by its official, with a
    registration certificate as evidence."""
    from pathlib import Path

    from flask import current_app

    from market.core.db import db
    from market.geo.services import categories_by_code
    from market.orgs import services
    from market.orgs.models import DocumentKind, OrgKind

    org = services.create_org(provider, services.OrgInput(
        name="其他街道长者关爱社工服务中心", name_en="Elder Care Social Work Centre of another street",
        kind=OrgKind.SOCIAL_ORGANISATION, registration_date=date(2016, 3, 1), full_time_staff=12,
        office_area_m2=150, rating_grade=4, capacity=3, capability="居家养老、长者助餐",
        home_street_id=street.id, category_ids=(categories_by_code()["elderly_care"].id,),
        service_street_ids=(street.id,)))
    db.session.commit()
    services.verify(official, org, facts_seen=org.facts_digest())
    db.session.commit()
    services.add_documents(provider, org, [services.DocumentUpload(DocumentKind.REGISTRATION, "登记证书.pdf",
                                                                   b"%PDF-1.4 registration certificate")],
                           Path(current_app.instance_path) / "uploads" / "org-documents")
    db.session.commit()
    return org


def _sealed_bid_with_attachment(app, official, provider, street, now):
    """A tender the official publishes on a new project of ``street``, and the provider's sealed bid
    with a PDF attached."""
    from market.bids import services
    from market.core.db import db
    from market.geo.models import ProjectType
    from market.geo.services import categories_by_code
    from market.projects import services as projects
    from market.projects.models import ProjectKind

    project = projects.create_project(official, projects.ProjectInput(
        kind=ProjectKind.GOVERNMENT_SERVICE, title="独居老人助餐服务", description="为辖区独居老人提供上门助餐。",
        category_id=categories_by_code()["elderly_care"].id, project_type=ProjectType.SERVICE,
        budget_cents=20_000_000, street_id=street.id))
    services.publish_tender(official, project, services.TenderInput(
        bid_deadline=now + timedelta(days=10), requirements="需具备居家养老服务经验。",
        criteria=tuple(services.CriterionInput(c["name"], c["weight"], c["name_en"])
                       for c in services.default_criteria())), now=now)
    db.session.commit()
    bid = services.submit_bid(provider, project, services.BidInput(price_cents=18_000_000,
                                                                   proposal="组建专业团队上门助餐和探访。"), now=now)
    services.add_attachment(provider, bid, services.Upload("服务方案.pdf", b"%PDF-1.4 service plan"),
                            app.instance_path, now=now)
    db.session.commit()
    return bid


def _round_with_objection(official, street, now):
    """A community round of ``street``: a resident's proposal with a photo, reviewed feasible, voted
    on, results published, and a resident's objection to them."""
    from pathlib import Path

    from flask import current_app

    from market.accounts.models import Role
    from market.core.db import db, utcnow
    from market.geo.models import Community, ProjectType
    from market.geo.services import categories_by_code
    from market.micro.models import RoundPhase
    from market.micro.services import proposals, review, rounds, voting
    from market.micro.services.common import PhotoUpload

    community = db.session.scalar(select(Community).where(Community.street_id == street.id)
                                  .order_by(Community.id).limit(1))
    resident = _person(Role.RESIDENT, "resident", community_id=community.id, verified_at=utcnow())
    round_ = rounds.create_round(official, rounds.RoundInput(
        title="2027年民生微实事", year=2027, street_id=street.id, community_id=community.id,
        budget_cents=100_000_000), now=now)
    proposal = proposals.create_proposal(resident, round_, proposals.ProposalInput(
        title="长者饭堂桌椅更新", description="为社区长者饭堂更换桌椅。",
        category_id=categories_by_code()["elderly_care"].id, project_type=ProjectType.GOODS,
        place="社区党群服务中心", estimated_cost_cents=10_000_000), [PhotoUpload("饭堂.png", png_bytes())],
        submit=True, upload_dir=Path(current_app.instance_path) / "uploads" / "micro", now=now)
    rounds.change_phase(official, round_, RoundPhase.REVIEW)
    review.review_proposal(official, proposal, review.ReviewDecision(review.ReviewOutcome.FEASIBLE, 10_000_000),
                           now=now)
    closes = now + timedelta(days=7)
    rounds.open_voting(official, round_, rounds.VotingSetup(budget_cents=100_000_000, opens_at=now,
                                                            closes_at=closes), now=now)
    voting.cast_ballot(resident, round_, [proposal.id], now=now + timedelta(hours=1))
    voting.close_voting(official, round_, now=closes)
    objection = voting.file_objection(resident, round_, "请公开计票过程。", now=closes + timedelta(hours=1))
    db.session.commit()
    return objection


def _match_run_with_decision(app, official, now):
    """A matching run on the street's projects whose bidding is over, executed at once as the
    background job would, and the official's decision to exclude the provider it proposed for one."""
    from market.core.db import db
    from market.projects.models import Project
    from market.review import adapter, jobs, services
    from market.review.models import DecisionKind, MatchProposal

    project_ids = list(db.session.scalars(services.matchable_query(official, "evaluating")
                                          .with_only_columns(Project.id)))
    run = services.start_run(official, project_ids, adapter.RunOptions(time_limit=20), now=now)
    db.session.commit()
    jobs.execute(app, run.id)
    db.session.expire_all()
    proposal = next(p for p in db.session.scalars(select(MatchProposal).where(MatchProposal.run_id == run.id)
                                                  .order_by(MatchProposal.id))
                    if p.units[0]["provider_id"] is not None)  # not a public-benefit project's funding alone
    decision = services.add_decision(official, run, services.DecisionInput(
        project_id=proposal.project_id, kind=DecisionKind.FORBID, reason="该机构近期投诉较多，暂不考虑。",
        provider_id=proposal.units[0]["provider_id"]), now=now)
    db.session.commit()
    return decision


def _email(role: str) -> str:
    return EMAILS.get(role, f"{role}@demo.futian.example")


def _policies(app):
    return {rule.endpoint: route_policy(app.view_functions[rule.endpoint]) for rule in app.url_map.iter_rules()
            if rule.endpoint != "static"}


def test_every_route_declares_its_policy(app):
    missing = sorted(endpoint for endpoint, declared in _policies(app).items() if declared is None)
    assert missing == [], f"routes without a policy: {missing}"
    unknown = sorted(d.action for d in _policies(app).values() if d and d.action and d.action not in policy.RULES)
    assert unknown == []


def test_every_rule_is_used_or_called_by_a_service(app):
    """A rule nobody asks is a rule that protects nothing."""
    from pathlib import Path

    declared = {d.action for d in _policies(app).values() if d and d.action}
    sources = "".join(p.read_text() for p in Path("market").rglob("*.py"))
    unused = sorted(action for action in policy.RULES if action not in declared and f'"{action}"' not in sources
                    .replace(f'"{action}": _rule', ""))
    assert unused == []


def _urls(app, values):
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if rule.endpoint in SKIP:
            continue
        url = rule.rule
        for name in rule.arguments:
            url = re.sub(rf"<(?:\w+:)?{name}>", str(values(rule.endpoint, name)), url)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield rule.endpoint, method, url


def _login(make_browser, role: str):
    from market.accounts.models import User
    from market.core.db import db
    from market.extensions import limiter

    limiter.reset()  # the walk posts to /login itself; each role starts with the log-in limit unused
    browser = make_browser()
    if role != "anonymous":
        user = db.session.scalar(select(User).where(User.email == _email(role)))
        browser.login(user, password=DEMO_PASSWORD)
    return browser


def _refusal_ok(role: str, method: str, response) -> bool:
    allowed = {401, 403, 404} | ({302} if role == "anonymous" else set())
    if method == "POST":
        allowed.add(400)  # an empty form refused before the permission check: nothing written
    if response.status_code not in allowed:
        return False
    return response.status_code != 302 or "/login" in response.headers.get("Location", "")


def test_every_route_for_every_role(app, demo, make_browser):
    from market.bids.models import Bid
    from market.core.db import db

    seal = db.session.scalar(select(Bid.seal).limit(1))
    policies = _policies(app)

    def values(endpoint, name):
        return seal if name == "seal" else "x" if name in ("stored_name", "code") else 1

    problems = []
    for role in ROLES:
        browser = _login(make_browser, role)
        token = TOKEN.search(browser.get("/login").get_data(as_text=True)).group(1)
        for endpoint, method, url in _urls(app, values):
            if method == "GET":
                response = browser.client.get(url)
            else:
                response = browser.client.post(url, data={"csrf_token": token})
            if response.status_code >= 500:
                problems.append(f"{role} {method} {url}: {response.status_code}")
                continue
            declared = policies[endpoint]
            the_rule = declared.rule if declared is not PUBLIC else None
            if the_rule is None:
                continue
            refused = role == "anonymous" and not set(the_rule.relations) & policy.ANONYMOUS
            refused = refused or (the_rule.officials_only and role in ("anonymous", "resident", "provider", "funder"))
            refused = refused or (set(the_rule.relations) == {"admin"} and role != "admin")
            if refused and not _refusal_ok(role, method, response):
                problems.append(f"{role} {method} {url}: {response.status_code} (should be refused)")
    assert problems == []


def _other_street_object(model, street_id: int):
    """An object of ``model`` that stands in a street other than ``street_id`` (never the district's)."""
    from market.core.db import db

    for obj in db.session.scalars(select(model).order_by(model.id).limit(3000)):
        scope = policy.scope_of(obj)
        if scope.street_id is not None and scope.street_id != street_id:
            return obj
    return None


def _walk_jurisdictional(app, browser, pick):
    """Every jurisdictional action on the object ``pick(model)`` chooses: (endpoints checked, answers other
    than a refusal, endpoints with no object to try)."""
    token = TOKEN.search(browser.get("/login").get_data(as_text=True)).group(1)
    checked, problems, no_object = [], [], []
    objects: dict[type, object] = {}
    for endpoint, declared in sorted(_policies(app).items()):
        if endpoint in SKIP or declared is None or declared is PUBLIC or declared.model is None:
            continue
        if not declared.rule.jurisdictional:
            continue
        if declared.model not in objects:
            objects[declared.model] = pick(declared.model)
        obj = objects[declared.model]
        if obj is None:
            no_object.append(f"{endpoint} ({declared.model.__name__})")
            continue
        rule_ = next(r for r in app.url_map.iter_rules() if r.endpoint == endpoint)
        identifier = obj.seal if declared.arg == "seal" else getattr(obj, "stored_name", None) \
            if declared.arg == "stored_name" else obj.id

        def values(_endpoint, name, identifier=identifier, arg=declared.arg):
            return identifier if name == arg else 1

        for method in sorted(rule_.methods - {"HEAD", "OPTIONS"}):
            url = rule_.rule
            for name in rule_.arguments:
                url = re.sub(rf"<(?:\w+:)?{name}>", str(values(endpoint, name)), url)
            response = browser.client.get(url) if method == "GET" else browser.client.post(url, data={"csrf_token": token})
            checked.append(endpoint)
            if response.status_code not in (403, 404):
                scope = policy.scope_of(obj)
                problems.append(f"{method} {url} ({endpoint}, {declared.model.__name__} of street "
                                f"{scope.street_id}, district {scope.district_id}): {response.status_code}")
    return checked, problems, no_object


def test_officials_of_another_street_are_refused_on_every_jurisdictional_action(app, demo, other_street,
                                                                                   make_browser):
    """The object dimension: an official of 福田街道 on objects of other streets."""
    from market.accounts.models import User
    from market.core.db import db

    official = db.session.scalar(select(User).where(User.email == _email("street_official")))
    assert official.street_id is not None
    browser = _login(make_browser, "street_official")
    checked, problems, no_object = _walk_jurisdictional(
        app, browser, lambda model: _other_street_object(model, official.street_id))
    assert problems == []
    assert no_object == [], f"the demo has no object of another street for: {no_object}"
    assert len(set(checked)) >= 20  # the walk reached the officials' actions


def test_officials_of_another_district_are_refused_on_every_jurisdictional_action(app, demo, other_street,
                                                                                     make_browser):
    """The district dimension: a district-wide official of another district (Luohu) on the objects of the
    demo's district (Futian), those of its streets and its own (its projects, runs and funds)."""
    from market.accounts.models import Role
    from market.core.db import db
    from market.geo.models import District, Street

    luohu = District(code="440303", name="罗湖区", name_en="Luohu District")
    db.session.add_all([luohu, Street(district=luohu, code="440303001", name="桂园街道", name_en="Guiyuan Subdistrict")])
    db.session.commit()
    intruder = _person(Role.OFFICIAL, "luohu.official", district_id=luohu.id)
    browser = make_browser()
    browser.login(intruder, DEMO_PASSWORD)

    def futian_object(model):
        for obj in db.session.scalars(select(model).order_by(model.id).limit(3000)):
            scope = policy.scope_of(obj)
            if scope.street_id is not None or scope.district_id is not None:
                return obj
        return None

    checked, problems, no_object = _walk_jurisdictional(app, browser, futian_object)
    assert problems == []
    assert no_object == [], f"the demo has no object of its district for: {no_object}"
    assert len(set(checked)) >= 20
