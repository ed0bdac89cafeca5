"""The audit trail as people read it: labels for every recorded action, names instead of e-mail
addresses, labelled before → after values, filters, downloads, and bad filters answered in words."""
from __future__ import annotations

import ast
import csv
import io
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import select, text

from market.audit.labels import ACTION_LABELS, FIELD_LABELS, OBJECT_TYPE_LABELS, action_label
from market.core.audit import AuditEvent, record
from market.core.db import db

MARKET = Path(__file__).resolve().parents[2] / "market"
# The helpers that define recording; every other call of theirs names an action.
DEFINITIONS = {MARKET / "core" / "audit.py", MARKET / "core" / "state.py"}


# ---------------------------------------------------------------- every recorded action has a label

def _expansions() -> dict[str, set[str]]:
    """Codes built from an enum in an f-string: the source text, and every code it can give."""
    from market.core.ledger import Movement
    from market.review.models import DecisionKind

    return {"f'money.{movement.value}'": {f"money.{m.value}" for m in Movement},
            "f'match_decision.{decision.kind}'": {f"match_decision.{k.value}" for k in DecisionKind}}


class _Scan:
    """Finds the action codes a module records: literals, either branch of a conditional, enum-built
    f-strings, and names passed in by the module's own callers (or a parameter's default)."""

    def __init__(self, source: str, where: str) -> None:
        self.tree = ast.parse(source)
        self.where = where
        self.parents = {child: node for node in ast.walk(self.tree) for child in ast.iter_child_nodes(node)}
        self.functions = {node.name: node for node in ast.walk(self.tree)
                          if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))}
        self.codes: set[str] = set()
        self.unresolved: list[str] = []
        self.detail_keys: set[str] = set()
        self.without_action = 0

    def _function_of(self, node: ast.AST) -> ast.FunctionDef | None:
        while node in self.parents:
            node = self.parents[node]
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                return node
        return None

    def _passed(self, function: ast.FunctionDef, name: str) -> list[ast.expr]:
        params = [a.arg for a in function.args.args]
        index = params.index(name)
        defaults = dict(zip(params[len(params) - len(function.args.defaults):], function.args.defaults, strict=True))
        values = []
        for node in ast.walk(self.tree):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == function.name:
                given = next((kw.value for kw in node.keywords if kw.arg == name), None)
                if given is None and index < len(node.args):
                    given = node.args[index]
                values.append(given if given is not None else defaults[name])
        return values

    def resolve(self, expr: ast.expr, at: ast.AST) -> set[str]:
        if isinstance(expr, ast.Constant) and isinstance(expr.value, str):
            return {expr.value}
        if isinstance(expr, ast.IfExp):
            return self.resolve(expr.body, at) | self.resolve(expr.orelse, at)
        if isinstance(expr, ast.JoinedStr) and ast.unparse(expr) in _expansions():
            return _expansions()[ast.unparse(expr)]
        if isinstance(expr, ast.Name):
            function = self._function_of(at)
            if function is not None and expr.id in [a.arg for a in function.args.args]:
                return set().union(*(self.resolve(value, value) for value in self._passed(function, expr.id)))
            assigned = [node.value for node in ast.walk(function or self.tree) if isinstance(node, ast.Assign)
                        and any(getattr(t, "id", None) == expr.id for t in node.targets)]
            if assigned:
                return set().union(*(self.resolve(value, value) for value in assigned))
        self.unresolved.append(f"{self.where}:{getattr(expr, 'lineno', '?')} {ast.unparse(expr)}")
        return set()

    def run(self) -> _Scan:
        for node in ast.walk(self.tree):
            if not isinstance(node, ast.Call):
                continue
            name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
            if name not in ("record", "transition"):
                continue
            action = next((kw.value for kw in node.keywords if kw.arg == "action"), None)
            if action is None and name == "record" and len(node.args) >= 2:
                action = node.args[1]
            for kw in node.keywords:
                if kw.arg in ("before", "after") and isinstance(kw.value, ast.Dict):
                    self.detail_keys |= {k.value for k in kw.value.keys if isinstance(k, ast.Constant)}
            if action is None:
                self.without_action += 1  # the transition helper names it <noun>.<status>
                continue
            self.codes |= self.resolve(action, node)
        return self


def _scan_market() -> list[_Scan]:
    return [_Scan(path.read_text(encoding="utf-8"), str(path.relative_to(MARKET.parent))).run()
            for path in sorted(MARKET.rglob("*.py")) if path not in DEFINITIONS]


def test_every_recorded_action_code_has_a_label(app):
    scans = _scan_market()
    codes = set().union(*(scan.codes for scan in scans))
    unresolved = [u for scan in scans for u in scan.unresolved]
    assert unresolved == [], f"action codes the scan cannot work out (teach _Scan or _expansions): {unresolved}"
    assert len(codes) > 120  # the scan reaches the whole code base
    assert {"bid.revised", "payout.mismatch", "money.payout", "match_decision.forbid",
            "organization.verification_withdrawn"} <= codes  # passed in, defaulted, enum-built, conditional
    missing = sorted(code for code in codes if code not in ACTION_LABELS)
    assert missing == [], f"recorded actions without a label in market/audit/labels.py: {missing}"


def test_codes_the_transition_helper_makes_itself_are_labelled(app):
    """Without ``action=`` the helper records ``<noun>.<status>``: every model's every status is said in words."""
    from market.core.db import Base
    from market.core.state import stateful_models

    unlabelled = []
    for model in stateful_models(Base):
        assert model.__tablename__ in OBJECT_TYPE_LABELS, model.__name__
        enum = model.__table__.c[model.__state_column__].type.enum
        for status in enum:
            code = f"{model.__state_noun__}.{status.value}"
            if action_label(code) == code:
                unlabelled.append(code)
    assert unlabelled == []
    with app.test_request_context():
        assert action_label("project.awarded") == "Project awarded"
        assert action_label("matching run.failed") == "Matching run: Failed"


def test_the_scan_catches_an_unlabelled_code():
    source = ("def _note(action, thing):\n    record(None, action, thing)\n\n"
              "def work(flag):\n    _note('nobody.labels_this' if flag else 'project.created', 1)\n"
              "    transition(x, y, actor=None)\n")
    scan = _Scan(source, "example.py").run()
    assert scan.codes == {"nobody.labels_this", "project.created"} and scan.without_action == 1
    assert [c for c in scan.codes if c not in ACTION_LABELS] == ["nobody.labels_this"]
    assert _Scan("record(None, make_code(), 1)", "example.py").run().unresolved == ["example.py:1 make_code()"]


def test_every_recorded_detail_has_a_name(app):
    keys = set().union(*(scan.detail_keys for scan in _scan_market()))
    assert len(keys) > 50
    assert sorted(keys - set(FIELD_LABELS)) == []


# ---------------------------------------------------------------- helpers

@pytest.fixture
def named(make_user):
    """``make_user`` with a display name."""
    def make(role, name: str, **fields):
        user = make_user(role, **fields)
        user.display_name = name
        db.session.commit()
        return user

    return make


@pytest.fixture
def people(named, make_org):
    from market.accounts.models import Role

    provider_org = make_org()

    class People:
        official = named(Role.OFFICIAL, "张伟", email="zhang.wei@street.example")
        admin = named(Role.ADMIN, "Admin Li", email="root@district.example")
        provider = named(Role.PROVIDER, "陈静", organization=provider_org, email="chen@provider.example")
        resident = named(Role.RESIDENT, "王芳", email="wang@resident.example")

    return People


def _at(monkeypatch, when: datetime) -> None:
    """The next events are recorded at ``when``."""
    monkeypatch.setattr("market.core.audit.utcnow", lambda: when)


def _csv_rows(response) -> list[list[str]]:
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    body = response.get_data(as_text=True)
    assert body.startswith("\ufeff")
    return list(csv.reader(io.StringIO(body[1:])))


def _table(page) -> str:
    """The events' table of an audit page (the filters' choices name every action and actor too)."""
    return page.get_data(as_text=True).split("<table", 1)[1].split("</table>", 1)[0]


def _seqs(browser, query: str = "") -> list[int]:
    return [int(row[0]) for row in _csv_rows(browser.get(f"/audit/export.csv?{query}"))[1:]]


@pytest.fixture
def trail(app, people, make_project, monkeypatch):
    """Five events: by the provider, the official and the system, on two projects and an organisation,
    on two Beijing days (the last one a minute after midnight in Beijing, still the previous day in UTC)."""
    project, other = make_project(), make_project()
    day = datetime(2026, 3, 1, 2, 0, tzinfo=UTC)  # 10:00 on 1 March in Beijing
    _at(monkeypatch, day)
    record(people.provider, "project.created", project, after={"title": "长者助餐", "budget_cents": 30_000_000})
    record(people.official, "project.updated", project, before={"budget_cents": 30_000_000},
           after={"budget_cents": 25_000_050})
    _at(monkeypatch, day + timedelta(hours=3))
    record(None, "money.top_up", object_type="ledger_transfers", object_id=7,
           after={"amount_cents": 5_000_000, "balances": {"pool:1": 5_000_000}})
    record(people.official, "organization.verified", object_type="organizations", object_id=people.provider.organization_id,
           before={"verification_state": "pending"}, after={"verification_state": "verified"})
    _at(monkeypatch, datetime(2026, 3, 1, 16, 1, tzinfo=UTC))  # 00:01 on 2 March in Beijing
    record(people.official, "project.status_changed", other, before={"status": "open"},
           after={"status": "awarded", "bid_deadline": datetime(2026, 3, 1, 16, 30, tzinfo=UTC)})
    db.session.commit()
    monkeypatch.undo()
    return project, other


# ---------------------------------------------------------------- who is shown, and how

def test_officials_see_names_and_roles_never_e_mail_addresses(browser, people, trail):
    browser.login(people.official)
    page = browser.get("/audit/")
    body, table = page.get_data(as_text=True), _table(page)
    assert page.status_code == 200
    assert "张伟" in table and "陈静" in table and "Official" in table and "Provider" in table
    assert "<em>System</em>" in table  # the ledger's event has no actor
    assert "@" not in body.split("<main", 1)[1].split("</main>", 1)[0]  # nowhere: not in rows, filters or raw data
    assert "Raw record" not in body


def test_administrators_also_see_e_mail_addresses_and_the_raw_record(browser, people, trail):
    browser.login(people.admin)
    table = _table(browser.get("/audit/"))
    assert "zhang.wei@street.example" in table and "chen@provider.example" in table
    assert "Raw record" in table and "25000050" in table


def test_actions_and_objects_are_said_in_words_and_link_to_their_page(browser, people, trail):
    project, _other = trail
    browser.login(people.official)
    body = _table(browser.get("/audit/"))
    assert "Project created" in body and "Organisation verified" in body and "Money: pool top-up" in body
    assert "project.created</td>" not in body
    assert f'href="/projects/{project.id}"' in body
    assert f'href="/organizations/{people.provider.organization_id}"' in body
    assert 'href="/ledger' not in body  # money transfers have no page


def test_before_and_after_are_labelled_money_statuses_and_beijing_times(browser, people, trail):
    browser.login(people.official)
    body = _table(browser.get("/audit/"))
    assert "<dt>Budget</dt>" in body
    assert '<span class="before">¥300,000</span> → <span class="after">¥250,000.50</span>' in body
    assert '<span class="before">Open</span> → <span class="after">Awarded</span>' in body
    assert '<span class="before">Awaiting verification</span> → <span class="after">Verified</span>' in body
    assert "2026-03-02 00:30:00" in body  # 16:30 UTC is half past midnight in Beijing
    assert "Balances" in body and "¥50,000" in body
    assert "budget_cents" not in body and '{"' not in body  # no raw keys, no JSON dump


def test_the_same_page_in_chinese(browser, people, trail):
    browser.login(people.official)
    browser.get("/lang/zh")
    body = browser.get("/audit/").get_data(as_text=True)
    assert "审计记录" in body and "政府工作人员" in body  # labels come from the catalogue
    assert '<span class="before">开放中</span>' in body
    assert "zhang.wei@" not in body


# ---------------------------------------------------------------- filters

def test_each_filter_and_their_combination(browser, people, trail):
    project, other = trail
    browser.login(people.official)
    everything = _seqs(browser)
    assert everything == [5, 4, 3, 2, 1]
    assert _seqs(browser, f"actor={people.official.id}") == [5, 4, 2]
    assert _seqs(browser, "actor=system") == [3]
    assert _seqs(browser, "object_type=projects") == [5, 2, 1]
    assert _seqs(browser, f"object_type=projects&object_id={project.id}") == [2, 1]
    same_id = [e.seq for e in db.session.scalars(select(AuditEvent).where(AuditEvent.object_id == str(other.id))
                                                 .order_by(AuditEvent.seq.desc()))]
    assert 5 in same_id and _seqs(browser, f"object_id={other.id}") == same_id
    assert _seqs(browser, "action=project.updated") == [2]
    # Days are Beijing days: 16:01 UTC on 1 March is 2 March in Beijing.
    assert _seqs(browser, "date_from=2026-03-02") == [5]
    assert _seqs(browser, "date_to=2026-03-01") == [4, 3, 2, 1]
    assert _seqs(browser, "date_from=2026-03-01&date_to=2026-03-01") == [4, 3, 2, 1]
    assert _seqs(browser, "date_from=2026-03-03") == []
    combined = f"actor={people.official.id}&object_type=projects&date_from=2026-03-01&date_to=2026-03-01"
    assert _seqs(browser, combined) == [2]
    page = browser.get(f"/audit/?{combined}").get_data(as_text=True)
    table = page.split("<table", 1)[1]
    assert "1 event ·" in page and "Project edited" in table and "Project created" not in table


def test_the_page_is_paginated_and_keeps_the_filters(browser, people, app):
    for n in range(55):
        record(people.official, "project.updated", object_type="projects", object_id=1, after={"title": f"t{n}"})
    record(people.provider, "project.created", object_type="projects", object_id=2)
    db.session.commit()
    browser.login(people.official)
    first = browser.get(f"/audit/?actor={people.official.id}").get_data(as_text=True)
    assert "55 events" in first and "Page 1 of 2" in first and "t54" in first and "t4<" not in first
    assert f"actor={people.official.id}" in first.split('rel="next"')[0].rsplit("href=", 1)[1]
    second = browser.get(f"/audit/?actor={people.official.id}&page=2").get_data(as_text=True)
    assert "t4<" in second and "t0<" in second and "t54" not in second and "陈静" not in second.split("<table", 1)[1]


@pytest.mark.parametrize("query, field", [
    ("date_from=2026-13-45", "From (date)"),
    ("date_from=yesterday", "From (date)"),
    ("date_to=99999-01-01", "To (date)"),
    ("date_from=0001-01-01", "From (date)"),
    ("date_from=2026-03-05&date_to=2026-03-01", "To (date)"),
    ("object_type=bank_vault", "Object type"),
    ("object_type=%3Cscript%3E", "Object type"),
    ("action=project.exploded", "Action"),
    ("actor=robert", "Who"),
    ("actor=99999999999999999999", "Who"),
    ("actor=-1", "Who"),
    ("object_id=" + "9" * 41, "Object number"),
    ("object_type=sealed_bid&object_id=%00", "Object number"),
    ("object_id=1%0A2", "Object number"),
    ("page=0", "Page"),
    ("page=abc", "Page"),
    ("page=" + "9" * 30, "Page"),
])
def test_absurd_filters_are_a_400_that_says_which(browser, people, trail, query, field):
    browser.login(people.official)
    page = browser.get(f"/audit/?{query}")
    assert page.status_code == 400
    body = page.get_data(as_text=True)
    assert "Some filters are not valid." in body and f"<li>{field}:" in body
    assert "<script>" not in body
    assert 'name="date_from"' in body  # the form is there to correct it
    assert browser.get(f"/audit/export.csv?{query}").status_code == 400


@pytest.mark.parametrize("query", ["object_id=" + "9" * 40, "actor=2147483647", "page=1000000",
                                   "object_id=%E4%B8%AD' OR 1=1 --"])
def test_filters_that_match_nothing_say_so(browser, people, trail, query):
    browser.login(people.official)
    page = browser.get(f"/audit/?{query}")
    assert page.status_code == 200
    assert "No event matches these filters." in page.get_data(as_text=True)
    if not query.startswith("page="):
        assert _seqs(browser, query) == []


# ---------------------------------------------------------------- downloads

def test_csv_download_has_the_labelled_columns_without_e_mail_for_officials(browser, people, trail):
    browser.login(people.official)
    response = browser.get("/audit/export.csv?object_type=projects")
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"].startswith('attachment; filename="audit-trail-')
    rows = _csv_rows(response)
    assert rows[0] == ["No.", "When (Beijing time)", "Who", "Role", "Action", "Action code", "Object type",
                       "Object", "Before → after"]
    newest = rows[1]
    assert newest[1] == "2026-03-02 00:01:00" and newest[2] == "张伟" and newest[3] == "Official"
    assert newest[4] == "Project status changed" and newest[6] == "Project"
    assert "Status: Open → Awarded" in newest[8] and "Bid deadline: 2026-03-02 00:30:00" in newest[8]
    assert "Budget: ¥300,000 → ¥250,000.50" in rows[2][8]
    assert "@" not in response.get_data(as_text=True)


def test_csv_download_for_administrators_has_the_e_mail_column(browser, people, trail):
    browser.login(people.admin)
    rows = _csv_rows(browser.get("/audit/export.csv"))
    assert rows[0][4] == "E-mail"
    assert {row[4] for row in rows[1:]} == {"zhang.wei@street.example", "chen@provider.example", ""}


def test_xlsx_download_reads_back_and_neutralises_formulas(browser, people, named, trail):
    from market.accounts.models import Role

    sneaky = named(Role.OFFICIAL, '=HYPERLINK("http://evil.example","click")')
    record(sneaky, "project.updated", object_type="projects", object_id=1, after={"title": "+SUM(A1)"})
    db.session.commit()
    browser.login(people.official)
    csv_rows = _csv_rows(browser.get("/audit/export.csv"))
    assert csv_rows[1][2] == "'=HYPERLINK(\"http://evil.example\",\"click\")"
    response = browser.get("/audit/export.xlsx?date_from=2020-01-01")
    assert response.mimetype.endswith("spreadsheetml.sheet")
    sheet = load_workbook(io.BytesIO(response.get_data())).active
    rows = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert rows[0][:4] == ["No.", "When (Beijing time)", "Who", "Role"]
    assert rows[1][0] == 6 and rows[1][2].startswith("'=HYPERLINK")
    assert rows[1][8] == "Title: +SUM(A1)"
    assert isinstance(rows[2][1], datetime) and rows[2][1] == datetime(2026, 3, 2, 0, 1)
    assert [row[0] for row in rows[1:]] == [6, 5, 4, 3, 2, 1]
    assert not any("@" in str(cell) for row in rows for cell in row)


# ---------------------------------------------------------------- sealed bids stay sealed

def test_sealed_bid_events_show_the_seal_and_commitment_only(browser, people, make_user, geo, category):
    from market.accounts.models import Role
    from market.bids import services as bids
    from market.core.db import utcnow
    from market.geo.models import ProjectType
    from market.projects import services as projects
    from market.projects.models import ProjectKind

    now = utcnow()
    official = make_user(Role.OFFICIAL, street=geo.streets[0])
    project = projects.create_project(official, projects.ProjectInput(
        kind=ProjectKind.GOVERNMENT_SERVICE, title="独居老人助餐服务", description="为辖区独居老人提供上门助餐。",
        category_id=category().id, project_type=ProjectType.SERVICE, budget_cents=20_000_000,
        street_id=geo.streets[0].id))
    bids.publish_tender(official, project, bids.TenderInput(
        bid_deadline=now + timedelta(days=10), requirements="需具备居家养老服务经验。",
        criteria=tuple(bids.CriterionInput(c["name"], c["weight"], c["name_en"]) for c in bids.default_criteria())),
        now=now)
    db.session.commit()
    bid = bids.submit_bid(people.provider, project, bids.BidInput(price_cents=18_765_400,
                                                                  proposal="秘密方案：组建专业团队上门助餐。"), now=now)
    db.session.commit()
    browser.login(people.admin)  # even administrators see only the seal before the deadline
    page = browser.get("/audit/?object_type=sealed_bid")
    body = page.get_data(as_text=True)
    assert "Sealed bid submitted" in _table(page) and "Seal commitment" in body
    assert "秘密方案" not in body and "187,654" not in body and "18765400" not in body
    assert people.provider.organization.name not in body
    assert f"/bids/{bid.seal}" not in body  # nothing links from the seal to the bid
    rows = _csv_rows(browser.get("/audit/export.csv?object_type=sealed_bid"))
    assert len(rows) == 2 and "秘密方案" not in str(rows) and "187,654" not in str(rows)


# ---------------------------------------------------------------- verification in words

def test_verification_says_intact_or_broken_and_when(browser, people, trail):
    browser.login(people.official)
    body = browser.get("/audit/?verify=1").get_data(as_text=True)
    report = body.split('id="chain-report"', 1)[1].split("</div>", 1)[0]
    assert "✓ Intact" in report and "The chain is intact: 5 events checked" in report and "Checked on" in report
    db.session.execute(text("UPDATE audit_events SET after = NULL WHERE seq = 2"))
    db.session.commit()
    body = browser.get("/audit/?verify=1").get_data(as_text=True)
    report = body.split('id="chain-report"', 1)[1].split("</div>", 1)[0]
    assert "flash-danger" in body.split('id="chain-report"', 1)[0].rsplit("<div", 1)[1]
    assert "✗ Broken" in report and "Event 2 does not match its signature" in report
    assert "✓ Intact" not in body


# ---------------------------------------------------------------- who may read

@pytest.mark.parametrize("who", ["resident", "provider"])
def test_residents_and_providers_are_refused(browser, people, trail, who):
    browser.login(getattr(people, who))
    for url in ("/audit/", "/audit/export.csv", "/audit/export.xlsx", "/audit/?verify=1"):
        assert browser.get(url).status_code == 403


def test_visitors_are_sent_to_log_in(client, trail):
    for url in ("/audit/", "/audit/export.csv"):
        response = client.get(url)
        assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_an_official_of_another_street_reads_only_their_streets_and_the_districts_events(browser, make_user, geo,
                                                                                         trail):
    from market.accounts.models import Role

    other = geo.streets[1]
    readable = sorted((e.seq for e in db.session.scalars(select(AuditEvent))
                       if e.street_id in (None, other.id)), reverse=True)
    assert readable != [5, 4, 3, 2, 1]  # the trail has events of the first street
    browser.login(make_user(Role.OFFICIAL, street=other))
    assert _seqs(browser) == readable


def test_object_pages_link_to_their_history_for_audit_readers_only(browser, people, trail):
    project, _other = trail
    history = f"/audit/?object_type=projects&amp;object_id={project.id}"
    assert history not in browser.get(f"/projects/{project.id}").get_data(as_text=True)
    browser.login(people.resident)
    assert history not in browser.get(f"/projects/{project.id}").get_data(as_text=True)
    browser.logout()
    browser.login(people.official)
    assert history in browser.get(f"/projects/{project.id}").get_data(as_text=True)
    org = f"/audit/?object_type=organizations&amp;object_id={people.provider.organization_id}"
    assert org in browser.get(f"/organizations/{people.provider.organization_id}").get_data(as_text=True)
    assert db.session.scalar(select(AuditEvent.id).where(AuditEvent.object_id == str(project.id)).limit(1))


def test_every_object_page_the_trail_links_to_exists(app):
    from market.audit.routes import OBJECT_PAGES

    endpoints = {rule.endpoint: rule.arguments for rule in app.url_map.iter_rules()}
    for object_type, (endpoint, argument) in OBJECT_PAGES.items():
        assert endpoint in endpoints and argument in endpoints[endpoint], object_type


def test_a_street_official_reads_their_streets_record_and_the_districts_not_another_streets(
        browser, make_browser, make_user, make_project, geo):
    from market.accounts.models import Role

    ours, theirs = make_project(street=geo.streets[0]), make_project(street=geo.streets[1])
    for project in (ours, theirs):
        record(None, "project.updated", project, after={"title": project.title})
    record(None, "procurement.settings_changed", object_type="system")
    db.session.commit()
    assert {e.street_id for e in db.session.scalars(select(AuditEvent).where(AuditEvent.action == "project.updated"))} \
        == {geo.streets[0].id, geo.streets[1].id}
    street_official = make_user(Role.OFFICIAL, street=geo.streets[0])
    browser.login(street_official)
    page = browser.get("/audit/?action=project.updated").get_data(as_text=True)
    assert f'href="/projects/{ours.id}"' in page and f'href="/projects/{theirs.id}"' not in page
    district_wide = browser.get("/audit/?action=procurement.settings_changed").get_data(as_text=True)
    assert "1 event" in district_wide  # the district's own record stays readable to every official
    export = browser.get("/audit/export.csv?action=project.updated").get_data(as_text=True)
    assert ours.title in export and theirs.title not in export
    district = make_browser()
    district.login(make_user(Role.OFFICIAL))
    page = district.get("/audit/?action=project.updated").get_data(as_text=True)
    assert f'href="/projects/{ours.id}"' in page and f'href="/projects/{theirs.id}"' in page
