"""A lot's own type reaches the engine: a works lot of a service project goes only to an organisation
that supplies works, and the run says why when none does; the run's download names the matched skills."""
from __future__ import annotations

import csv
import io

from flask_babel import force_locale
from openpyxl import load_workbook

from market.bids import services as bids
from market.core.db import db
from market.geo.models import ProjectType
from market.projects.models import ProjectStatus
from market.review import adapter
from market.review.reasons import reason_text
from tests.market.bids.helpers import AFTER, DEADLINE, T0


def _split(market):
    """A service project in two lots, the second a works lot (refitting the canteen)."""
    project = market.make_project(owner=market.official, status=ProjectStatus.DRAFT,
                                  title="长者饭堂运营及适老化改造", title_en="")
    data = bids.TenderInput(
        bid_deadline=DEADLINE, requirements="需具备长者助餐服务经验。",
        criteria=tuple(bids.CriterionInput(c["name"], c["weight"], c["name_en"]) for c in bids.default_criteria()),
        lots=(bids.LotInput(title="长者饭堂助餐服务", budget_cents=20_000_000),
              bids.LotInput(title="长者饭堂适老化改造工程", budget_cents=10_000_000, project_type=ProjectType.WORKS)))
    bids.publish_tender(market.official, project, data, now=T0)
    db.session.commit()
    return project, bids.lots_of(project)


def _troupe_and_builder(market):
    troupe = market.org(name="福田长者饭堂服务社", capability="长者饭堂助餐服务、长者饭堂适老化改造工程")
    builder = market.org(name="深圳市装饰公司", capability="室内装修")
    builder.supplies, builder.qualifications = ["service", "works"], ["construction"]
    db.session.commit()
    return troupe, builder


def test_the_adapter_gives_each_lot_its_own_type(market):
    project, (meals, works) = _split(market)
    troupe, _builder = _troupe_and_builder(market)
    user = market.provider(troupe)
    market.bid(user, project, 19_000_000, lot=meals)
    market.bid(user, project, 9_000_000, lot=works)
    market.open(project)
    built = adapter.build_problem([project.id], adapter.RunOptions(), now=AFTER)
    [spec] = built.problem.projects
    assert spec.project_type == "service"
    assert {lot.id: lot.project_type for lot in spec.lots} == {meals.id: None, works.id: "works"}


def test_a_works_lot_goes_only_to_an_organisation_that_supplies_works(market):
    project, (meals, works) = _split(market)
    troupe, builder = _troupe_and_builder(market)
    troupe_user, builder_user = market.provider(troupe), market.provider(builder)
    market.bid(troupe_user, project, 19_000_000, lot=meals)
    market.bid(troupe_user, project, 8_000_000, lot=works)  # cheaper, and refused by the type filter
    market.bid(builder_user, project, 9_500_000, lot=works)
    market.open(project)
    run = market.match([project])
    [proposal] = [p for p in run.proposals if p.project_id == project.id]
    assert {u["lot_id"]: u["provider_id"] for u in proposal.units} == {meals.id: troupe.id, works.id: builder.id}


def test_a_works_lot_nobody_supplies_is_left_unmatched_with_its_reason(browser, market):
    project, (meals, works) = _split(market)
    troupe = market.org(name="福田长者服务社", capability="长者助餐、饭堂运营及适老化改造")  # services only
    user = market.provider(troupe)
    market.bid(user, project, 19_000_000, lot=meals)
    market.bid(user, project, 9_000_000, lot=works)
    market.open(project)
    run = market.match([project])
    assert all(troupe.id not in {u["provider_id"] for u in p.units if u["lot_id"] == works.id}
               for p in run.proposals)
    reasons = [u for u in run.result["unmatched"] if u["project_id"] == project.id]
    assert any(u["code"] == "no_provider_supplies_type" and u.get("lot_id") == works.id for u in reasons), reasons
    entry = next(u for u in reasons if u["code"] == "no_provider_supplies_type")
    with force_locale("en"):
        assert reason_text(entry["code"], entry["params"]).endswith(" supplies works.")
    browser.login(market.official)
    html = browser.get(f"/review/runs/{run.id}/projects/{project.id}").get_data(as_text=True)
    assert "supplies works" in html


def test_the_run_download_has_the_matched_skills(browser, market):
    from matching.vocabulary import MatchedSkill
    from tests.market.review.test_vocabulary import _run_with_matched_skills

    run, project = _run_with_matched_skills(market, [MatchedSkill("居家养老", "居家养老", "上门照护"),
                                                     MatchedSkill("长者助餐", "助餐", "助餐")])
    browser.login(market.official)
    response = browser.get(f"/review/runs/{run.id}/rows.csv")
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    column = rows[0].index("Matched skills")
    assert rows[0][column - 1] == "Score"
    [row] = [r for r in rows[1:] if r[0] == str(project.id)]
    assert row[column] == "居家养老 ≈ 上门照护; 助餐"
    response = browser.get(f"/review/runs/{run.id}/rows.xlsx")
    sheet = load_workbook(io.BytesIO(response.get_data())).active
    table = [[cell.value for cell in r] for r in sheet.iter_rows()]
    column = table[0].index("Matched skills")
    assert [r[column] for r in table[1:] if r[0] == project.id] == ["居家养老 ≈ 上门照护; 助餐"]


def test_a_run_download_without_matched_skills_leaves_the_column_empty(browser, market):
    from tests.market.review.test_vocabulary import _run_with_matched_skills

    run, project = _run_with_matched_skills(market, [])
    browser.login(market.official)
    rows = list(csv.reader(io.StringIO(browser.get(f"/review/runs/{run.id}/rows.csv").get_data(as_text=True)
                                       .lstrip("\ufeff"))))
    column = rows[0].index("Matched skills")
    assert [r[column] for r in rows[1:] if r[0] == str(project.id)] == [""]


def test_a_works_lot_needs_the_construction_licence_even_in_a_service_project(market):
    project, (meals, works) = _split(market)
    troupe, builder = _troupe_and_builder(market)
    unlicensed = market.org(name="深圳市修缮服务社", capability="长者饭堂适老化改造工程")
    unlicensed.supplies = ["service", "works"]  # says it builds, holds no construction licence
    db.session.commit()
    market.bid(market.provider(troupe), project, 19_000_000, lot=meals)
    market.bid(market.provider(unlicensed), project, 8_000_000, lot=works)  # cheaper, and refused
    market.bid(market.provider(builder), project, 9_500_000, lot=works)
    market.open(project)
    built = adapter.build_problem([project.id], adapter.RunOptions(), now=AFTER)
    [spec] = built.problem.projects
    assert {lot.id: set(lot.qualifications) for lot in spec.lots} == {meals.id: set(), works.id: {"construction"}}
    run = market.match([project])
    [proposal] = [p for p in run.proposals if p.project_id == project.id]
    assert {u["lot_id"]: u["provider_id"] for u in proposal.units} == {meals.id: troupe.id, works.id: builder.id}
