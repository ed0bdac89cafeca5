"""The matching console on runs of many proposals: filters, sorting and pages, names and whole yuan,
readable limits, the summary chart, downloads, and approving a selection at once (all or nothing)."""
from __future__ import annotations

import csv
import io
import re

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from market.accounts.models import Role
from market.core.audit import AuditEvent
from market.core.db import db
from market.core.errors import PermissionDenied, ValidationFailed
from market.core.money import money
from market.funds.models import FundingPool
from market.projects.models import ProjectKind
from market.review import services
from market.review.models import Award, DecisionKind, MatchProposal, MatchProposalStatus
from tests.market.bids.helpers import refused, written
from tests.market.review.runs import large_run

ROW = re.compile(r'<tr(?: class="attention")?>\s*<td[^>]*>(?:<input type="checkbox" name="proposal_ids" value="(\d+)"'
                 r'[^>]*>)?</td>\s*<td[^>]*><a href="/review/runs/\d+/projects/(\d+)">')
SCORE = re.compile(r'<td class="num"[^>]*>(\d\.\d\d)</td>')
PAGE_BUDGET = 40_000  # bytes of the first page of a 150-proposal run (it was 109,652 with three forms per row)


@pytest.fixture
def big(market):
    return large_run(market, proposals=40, unmatched=6)


def _page(browser, run, query=""):
    response = browser.get(f"/review/runs/{run.id}{query}")
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def _rows(html):
    return [int(project_id) for _proposal, project_id in ROW.findall(html)]


def _proposal(run, project):
    return db.session.scalar(select(MatchProposal).where(MatchProposal.run_id == run.id,
                                                         MatchProposal.project_id == project.id))


# ---------------------------------------------------------------- the run page

def test_first_page_of_a_150_proposal_run_is_light_and_shows_the_summary(browser, market):
    run, projects, *_ = large_run(market, proposals=150, unmatched=10)
    browser.login(market.official)
    html = _page(browser, run)
    size = len(html.encode())
    print(f"run page with 150 proposals: {size} bytes")
    assert size < PAGE_BUDGET
    assert _rows(html) == [p.id for p in projects[:25]]
    assert html.count('name="proposal_ids"') == 25 and "form method=\"post\" action=\"/review/proposals/" not in html
    assert "Page 1 of 7" in html
    assert html.index('class="stats"') < html.index("run-table")  # the summary comes first


def test_filters_narrow_the_rows(browser, market, big):
    run, projects, *_ = big
    browser.login(market.official)
    unmatched = _rows(_page(browser, run, "?status=unmatched"))
    assert unmatched == [p.id for p in projects[40:]]
    government = _rows(_page(browser, run, "?kind=government_service&per_page=100"))
    assert government and set(government) == {p.id for p in projects if p.kind == ProjectKind.GOVERNMENT_SERVICE}
    low = _page(browser, run, "?band=low&per_page=100")
    assert _rows(low) and all(float(s) < services.LOW_SCORE for s in SCORE.findall(low))
    category = projects[1].category_id
    youth = _rows(_page(browser, run, f"?category={category}&per_page=100"))
    assert set(youth) == {p.id for p in projects if p.category_id == category}
    street = _rows(_page(browser, run, f"?street={market.geo.streets[0].id}&per_page=100"))
    assert len(street) == 46
    attention = _rows(_page(browser, run, "?attention=1&per_page=100"))
    view = services.run_view(run, "en")
    expected = [r.project.id for r in services.run_rows(view, "en") if r.needs_attention]
    assert attention == expected and set(unmatched) <= set(attention) and len(attention) < 46


def test_sorting_and_pages_keep_the_filters(browser, market, big):
    run, projects, *_ = big
    browser.login(market.official)
    scores = [float(s) for s in SCORE.findall(_page(browser, run, "?sort=score_desc&per_page=100"))]
    assert len(scores) == 40 and scores == sorted(scores, reverse=True)
    ascending = [float(s) for s in SCORE.findall(_page(browser, run, "?sort=score_asc&per_page=100"))]
    assert ascending == sorted(ascending)
    by_amount = _rows(_page(browser, run, "?sort=amount_desc&status=proposed&per_page=100"))
    assert by_amount == [p.id for p in sorted(projects[:40], key=lambda p: -p.budget_cents)]
    by_title = _rows(_page(browser, run, "?sort=title&per_page=100"))
    assert by_title == [p.id for p in sorted(projects, key=lambda p: p.title_en.casefold())]
    first = _page(browser, run, "?sort=score_desc&kind=micro&per_page=10")
    assert "page=2" in first and "sort=score_desc" in first and "kind=micro" in first
    second = _rows(_page(browser, run, "?sort=score_desc&kind=micro&per_page=10&page=2"))
    everything = _rows(_page(browser, run, "?sort=score_desc&kind=micro&per_page=100"))
    assert second == everything[10:20]


@pytest.mark.parametrize("query", ["?sort=bogus", "?page=abc", "?page=0", "?per_page=5000", "?street=999999",
                                   "?status=nonsense", "?band=<script>", "?page=99999999999999999999"])
def test_bad_filters_are_a_clear_400(browser, market, big, query):
    run, *_ = big
    browser.login(market.official)
    response = browser.get(f"/review/runs/{run.id}{query}")
    assert response.status_code == 400
    assert "<script>" not in response.get_data(as_text=True)


def test_names_and_whole_yuan_instead_of_ids_and_fen(browser, market, big):
    run, projects, orgs, funds = big
    browser.login(market.official)
    html = _page(browser, run, "?per_page=100")
    assert orgs[1].name_en in html and funds[2].name_en in html
    assert not re.search(r"(Provider|Pool) #\d", html)
    assert projects[1].budget_cents % 100  # ¥10,123.45
    assert money(projects[1].budget_cents, whole=True) == "¥10,123" and "¥10,123<" in html
    assert not re.search(r"¥[\d,]+\.\d\d", html)
    # The reasons of unmatched projects are in whole yuan too.
    assert "123,456.55" not in html and "1,234.56" not in html and "¥" in html
    project = projects[0]
    services.add_decision(market.official, run, services.DecisionInput(
        project_id=project.id, kind=DecisionKind.FORBID, reason="近期投诉较多，暂不考虑。", provider_id=orgs[0].id))
    services.add_decision(market.official, run, services.DecisionInput(
        project_id=project.id, kind=DecisionKind.FORBID, reason="该基金本年度已无余额。", pool_id=funds[2].id))
    db.session.commit()
    details = _page(browser, run, f"/projects/{project.id}")
    assert f"Provider: {orgs[0].name_en}" in details and f"Pool: {funds[2].name_en}" in details
    assert not re.search(r"(Provider|Pool) #\d", details)
    assert not re.search(r"¥[\d,]+\.\d\d", details.split("Override")[0])


def test_money_rounds_to_whole_yuan_only_when_asked():
    assert money(1_012_345) == "¥10,123.45"
    assert money(1_012_345, whole=True) == "¥10,123"
    assert money(1_012_350, whole=True) == "¥10,124"
    assert money(99, whole=True, with_symbol=False) == "1"


def test_officials_of_other_streets_and_other_roles_see_no_run(browser, market, big, make_user):
    run, *_ = big
    for user in (market.other_official, make_user(Role.RESIDENT), market.provider()):
        browser.login(user)
        assert browser.get(f"/review/runs/{run.id}").status_code in (403, 404)
        assert browser.get(f"/review/runs/{run.id}/rows.csv").status_code in (403, 404)
        browser.logout()


# ---------------------------------------------------------------- chart and downloads

def test_summary_chart_has_a_table_of_the_same_numbers(browser, market, big):
    run, projects, orgs, funds = big
    browser.login(market.official)
    html = _page(browser, run)
    summary = html[html.index('id="run-summary"'):]
    assert summary.count("<svg") == 2
    assert "<title>Matched: 40</title>" in summary and "<td>Matched</td><td class=\"num\">40</td>" in summary
    assert "<td>Pools used up</td><td class=\"num\">3</td>" in summary
    assert "<td>Providers fully booked</td><td class=\"num\">3</td>" in summary
    view = services.run_view(run, "en")
    by_pool = services.run_summary(view, services.run_rows(view, "en")).by_pool
    for pool, amount in by_pool:
        assert f"<td>{pool.name_en}</td><td class=\"num\">{money(amount, whole=True)}</td>" in summary
    assert sum(a for _p, a in by_pool) == sum(p.funded_cents for p in view.run.proposals)


def test_rows_download_as_csv_and_xlsx(browser, market, big):
    run, projects, orgs, funds = big
    browser.login(market.official)
    response = browser.get(f"/review/runs/{run.id}/rows.csv?status=unmatched")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0][:3] == ["Project id", "Project", "Kind"] and len(rows) == 1 + 6
    assert [int(r[0]) for r in rows[1:]] == [p.id for p in projects[40:]]
    assert {r[5] for r in rows[1:]} == {"Pools used up", "Providers fully booked"}
    response = browser.get(f"/review/runs/{run.id}/rows.xlsx?sort=amount_desc")
    assert response.status_code == 200
    assert f'filename="match-run-{run.id}.xlsx"' in response.headers["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(response.get_data())).active
    table = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert len(table) == 1 + 46
    header = table[0]
    cost, providers = header.index("Cost (yuan)"), header.index("Providers")
    biggest = max(projects[:40], key=lambda p: p.budget_cents)
    assert table[1][0] == biggest.id and table[1][cost] == pytest.approx(biggest.budget_cents / 100)
    assert isinstance(table[1][cost], float) and table[1][providers]
    assert browser.get(f"/review/runs/{run.id}/rows.pdf").status_code == 404
    assert browser.get(f"/review/runs/{run.id}/rows.csv?sort=nope").status_code == 400


# ---------------------------------------------------------------- approving a selection

def _ids(run, projects):
    return [str(_proposal(run, p).id) for p in projects]


def test_confirmation_shows_totals_per_pool_and_per_provider(browser, market, big):
    run, projects, orgs, funds = big
    chosen = [projects[0], projects[2], projects[6]]  # micro-projects, funded by pools
    browser.login(market.official)
    response = browser.post(f"/review/runs/{run.id}/approve-selected", {"proposal_ids": _ids(run, chosen)})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    pools_table = html[html.index("bulk-pools"):html.index("bulk-providers")]
    per_pool: dict[int, int] = {}
    for p in chosen:
        for f in _proposal(run, p).funding:
            per_pool[f["pool_id"]] = per_pool.get(f["pool_id"], 0) + f["amount"]
    for pool_id, amount in per_pool.items():
        pool = db.session.get(FundingPool, pool_id)
        assert f"<td>{pool.name_en}</td><td class=\"num\">{money(amount, whole=True)}</td>" in pools_table
    providers_table = html[html.index("bulk-providers"):]
    for p in chosen:
        org_id = _proposal(run, p).units[0]["provider_id"]
        name = next(o.name_en for o in orgs if o.id == org_id)
        assert f"<td>{name}</td><td class=\"num\">1</td>" in providers_table
    total = sum(p.budget_cents for p in chosen)
    assert f"3 proposals, {money(total, whole=True)} in all" in html
    assert db.session.scalar(select(func.count(Award.id))) == 0  # nothing approved yet


def test_bulk_approval_approves_every_selected_proposal(browser, market, big):
    run, projects, *_ = big
    chosen = [projects[0], projects[1]]
    browser.login(market.official)
    response = browser.post(f"/review/runs/{run.id}/approve-selected/confirm",
                            {"proposal_ids": _ids(run, chosen), "notice_days": "5"})
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/review/runs/{run.id}")
    db.session.expire_all()
    assert [_proposal(run, p).status for p in chosen] == [MatchProposalStatus.APPROVED] * 2
    assert _proposal(run, projects[2]).status == MatchProposalStatus.PROPOSED
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "match_run.bulk_approved"))
    assert event is not None and sorted(event.after["proposal_ids"]) == sorted(int(i) for i in _ids(run, chosen))


def test_bulk_approval_is_all_or_nothing(browser, market, big):
    run, projects, orgs, funds = big
    chosen = [projects[0], projects[2]]
    failing = _proposal(run, projects[2])
    pool = db.session.get(FundingPool, failing.funding[0]["pool_id"])
    assert pool.id != _proposal(run, projects[0]).funding[0]["pool_id"]
    pool.is_open = False  # closed after the run: the second approval fails
    db.session.commit()
    browser.login(market.official)
    before = written()
    response = browser.post(f"/review/runs/{run.id}/approve-selected/confirm",
                            {"proposal_ids": _ids(run, chosen), "notice_days": "5"})
    assert response.status_code == 409
    html = response.get_data(as_text=True)
    assert "Nothing was approved" in html and projects[2].title_en in html and "closed" in html
    assert written() == before
    assert {_proposal(run, p).status for p in chosen} == {MatchProposalStatus.PROPOSED}


def test_approving_against_the_ranking_needs_a_public_reason(browser, market, big):
    run, projects, *_ = big
    against = projects[3]  # every seventh from the fourth is not the engine's first choice
    plain = projects[0]
    assert _proposal(run, against).units[0]["rank"] == 2
    ids = _ids(run, [plain, against])
    browser.login(market.official)
    confirm = browser.post(f"/review/runs/{run.id}/approve-selected", {"proposal_ids": ids}).get_data(as_text=True)
    assert f'name="reason_{ids[1]}"' in confirm and f'name="reason_{ids[0]}"' not in confirm
    assert "Ranked 2 of 8 by score" in confirm
    before = written()
    response = browser.post(f"/review/runs/{run.id}/approve-selected/confirm",
                            {"proposal_ids": ids, "notice_days": "5", f"reason_{ids[1]}": "  "})
    assert response.status_code == 400 and "A public reason is required." in response.get_data(as_text=True)
    assert written() == before
    reason = "该机构已在本社区服务三年，居民满意度高。"
    response = browser.post(f"/review/runs/{run.id}/approve-selected/confirm",
                            {"proposal_ids": ids, "notice_days": "5", f"reason_{ids[1]}": reason})
    assert response.status_code == 302
    award = db.session.scalar(select(Award).where(Award.proposal_id == int(ids[1])))
    assert award.reason == reason
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "award.approved",
                                                       AuditEvent.object_id == str(award.id)))
    assert event.after["reason"] == reason
    assert reason in browser.get(f"/review/awards/{award.id}").get_data(as_text=True)


def test_approving_one_pinned_or_against_the_ranking_needs_a_reason_too(browser, market, big):
    run, projects, *_ = big
    proposal = _proposal(run, projects[10])
    assert proposal.units[0]["rank"] == 2
    browser.login(market.official)
    before = written()
    response = browser.post(f"/review/proposals/{proposal.id}/approve", {"notice_days": "5", "reason": ""})
    assert response.status_code == 303 and written() == before
    pinned = _proposal(run, projects[0])
    pinned.pinned = True
    db.session.commit()
    with pytest.raises(ValidationFailed):
        services.approve_one(market.official, pinned, reason="")
    db.session.rollback()
    response = browser.post(f"/review/proposals/{proposal.id}/approve",
                            {"notice_days": "5", "reason": "居民代表会议一致推荐。"})
    assert response.status_code == 302 and "/review/awards/" in response.headers["Location"]


def test_an_official_of_another_street_cannot_approve_a_mixed_selection(browser, market, big, make_project):
    run, projects, *_ = big
    mine = _proposal(run, projects[0])
    theirs = _proposal(run, projects[2])
    projects[2].street_id = market.geo.streets[1].id  # a project of the other street in this run's selection
    db.session.commit()
    browser.login(market.official)
    for url in (f"/review/runs/{run.id}/approve-selected", f"/review/runs/{run.id}/approve-selected/confirm"):
        refused(browser, url, {"proposal_ids": [str(mine.id), str(theirs.id)], "notice_days": "5"})
    with pytest.raises(PermissionDenied):
        services.approve_proposals(market.official, run, [mine.id, theirs.id], {})
    db.session.rollback()
    assert {_proposal(run, projects[0]).status, _proposal(run, projects[2]).status} == {MatchProposalStatus.PROPOSED}
    # The other street's official reaches neither this run nor, through their own run, its proposals.
    browser.logout()
    browser.login(market.other_official)
    refused(browser, f"/review/runs/{run.id}/approve-selected/confirm", {"proposal_ids": [str(mine.id)],
                                                                          "notice_days": "5"})
    other_project = make_project(kind=ProjectKind.MICRO, owner=market.other_official, street=market.geo.streets[1])
    market.make_pool()
    other_run = market.match([other_project], official=market.other_official)
    before = written()
    response = browser.post(f"/review/runs/{other_run.id}/approve-selected/confirm",
                            {"proposal_ids": [str(mine.id)], "notice_days": "5"})
    assert response.status_code == 400 and "Not proposals of this run" in response.get_data(as_text=True)
    assert written() == before


def test_residents_and_providers_are_refused(browser, market, big, make_user):
    run, projects, *_ = big
    for user in (make_user(Role.RESIDENT), market.provider(), make_user(Role.FUNDER)):
        browser.login(user)
        for url in (f"/review/runs/{run.id}/approve-selected", f"/review/runs/{run.id}/approve-selected/confirm"):
            refused(browser, url, {"proposal_ids": _ids(run, projects[:2]), "notice_days": "5"})
        browser.logout()


@pytest.mark.parametrize("ids", [["999999"], ["abc"], ["-1"], ["1e3"], ["1.5"], [""], [],
                                 [str(i) for i in range(1, 5001)], ["9" * 40]])
def test_absurd_selections_are_refused_with_nothing_written(browser, market, big, ids):
    run, *_ = big
    browser.login(market.official)
    for url in (f"/review/runs/{run.id}/approve-selected", f"/review/runs/{run.id}/approve-selected/confirm"):
        before = written()
        response = browser.post(url, {"proposal_ids": ids, "notice_days": "5"})
        assert response.status_code == 400, (ids[:3], response.status_code)
        assert written() == before


def test_bad_notice_days_keep_the_selection_and_write_nothing(browser, market, big):
    run, projects, *_ = big
    ids = _ids(run, projects[:2])
    browser.login(market.official)
    before = written()
    response = browser.post(f"/review/runs/{run.id}/approve-selected/confirm", {"proposal_ids": ids,
                                                                               "notice_days": "999"})
    assert response.status_code == 400 and written() == before
    html = response.get_data(as_text=True)
    assert all(f'name="proposal_ids" value="{i}"' in html for i in ids)


# ---------------------------------------------------------------- explanations from the engine

def test_a_full_provider_reads_fully_booked_beside_the_pair_that_took_its_last_place(browser, market, make_pool):
    from market.projects.models import ProjectStatus

    star = market.org(name="福田长者之家", name_en="Futian Elders' Home", rating_grade=5, capacity=1)
    market.org(name="莲花社工", name_en="Lianhua Social Work", rating_grade=3, capacity=5,
               capability="社区文艺演出与体育活动", capability_en="Community arts performances and sports events")
    make_pool(total_cents=1_000_000_000)
    projects = [market.make_project(kind=ProjectKind.MICRO, status=ProjectStatus.OPEN, owner=market.official,
                                    budget_cents=5_000_000 + i * 100_000) for i in range(2)]
    run = market.match(projects)
    assert {"code": "provider_capacity", "params": {"provider_id": star.id, "load": 1, "capacity": 1}} \
        in run.result["binding"]
    view = services.run_view(run, "en")
    rows = {r.project.id: r for r in services.run_rows(view, "en")}
    star_rows = [r for r in rows.values() if r.view and star in r.view.providers]
    assert len(star_rows) == 1
    [note] = [str(n) for n in star_rows[0].notes if "fully booked" in str(n)]
    assert note == "Futian Elders' Home: fully booked (1 of 1 projects); this pair takes its last place."
    others = [r for r in rows.values() if r is not star_rows[0]]
    assert all("fully booked" not in " ".join(str(n) for n in r.notes) for r in others)
    browser.login(market.official)
    html = _page(browser, run)
    assert "fully booked (1 of 1 projects)" in html and "has no capacity left" not in html
    summary = html[html.index("What limited the result"):]
    assert "Futian Elders&#39; Home is fully booked (1 of 1 projects); the last place went to" in summary
    other = next(r for r in others if r.view)
    assert other.view.against_ranking and "against_ranking" in other.flags
    assert "Futian Elders&#39; Home scored higher" in html
