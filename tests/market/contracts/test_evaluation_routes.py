"""The acceptance page with a third-party evaluation: the official records it, the public reads its
conclusion and summary, the street's officials and the provider download the report; everyone else
is refused, and a bad form comes back with what was typed and why."""
from __future__ import annotations

import io

import pytest
from sqlalchemy import func, select

from market.accounts.models import Role
from market.contracts.models import ContractEvaluation, Milestone, MilestoneStatus
from market.core.db import db
from tests.market.bids.helpers import written

PDF = b"%PDF-1.4\n% evaluation report\n%%EOF\n"
SMALL_LIMIT = 4 * 1024
SUMMARY = "服务台账完整，回访满意度达到92%，建议加强个案记录。"


@pytest.fixture
def evaluator(market):
    return market.org(name="深圳市社会组织评估中心")


def _form(evaluator=None, **fields):
    data = {"evaluator_org_id": str(evaluator.id) if evaluator else "", "evaluator_name": "",
            "evaluator_credit_code": "", "conclusion": "pass", "summary": SUMMARY,
            "report": (io.BytesIO(PDF), "评估报告.pdf")}
    data.update(fields)
    return {k: v for k, v in data.items() if v is not None}


def _post(browser, milestone, data):
    return browser.post(f"/review/milestones/{milestone.id}/evaluation", data, content_type="multipart/form-data")


def _status(milestone) -> MilestoneStatus:
    db.session.expire_all()
    return db.session.scalar(select(Milestone.status).where(Milestone.id == milestone.id))


def test_official_accepts_with_an_evaluation_and_everyone_sees_what_they_may(browser, market, live_contract, evaluator,
                                                                             make_browser, make_user):
    contract, winner = live_contract
    first = contract.milestones[0]
    browser.login(market.official)
    assert "Accept with a third-party evaluation" in browser.get(f"/review/contracts/{contract.id}").get_data(
        as_text=True)
    page = browser.get(f"/review/milestones/{first.id}/evaluation")
    choices = page.get_data(as_text=True).split('name="evaluator_org_id"')[1].split("</select>")[0]
    assert page.status_code == 200 and f'value="{evaluator.id}"' in choices
    assert f'value="{contract.provider_id}"' not in choices  # the provider is not offered as its own evaluator
    response = _post(browser, first, _form(evaluator, conclusion="pass_with_remarks"))
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/review/contracts/{contract.id}")
    assert _status(first) in (MilestoneStatus.APPROVED, MilestoneStatus.PAID)
    evaluation = db.session.scalar(select(ContractEvaluation))
    assert evaluation.evaluator_org_id == evaluator.id and evaluation.conclusion == "pass_with_remarks"
    report_url = f"/review/evaluations/{evaluation.id}/report"

    public = make_browser().get(f"/review/contracts/{contract.id}").get_data(as_text=True)
    assert SUMMARY in public and "Pass with remarks" in public and "深圳市社会组织评估中心" in public
    assert report_url not in public  # the public reads the conclusion, not the report
    for reader in (browser, _logged_in(make_browser, winner)):
        assert report_url in reader.get(f"/review/contracts/{contract.id}").get_data(as_text=True)
        download = reader.get(report_url)
        assert download.status_code == 200 and download.data == PDF
        assert download.headers["X-Content-Type-Options"] == "nosniff"
        assert "attachment" in download.headers["Content-Disposition"]
    assert make_browser().get(report_url).status_code == 302  # visitors are asked to log in
    for outsider in (market.other_official, market.provider(), make_user(Role.RESIDENT), make_user(Role.FUNDER),
                     market.provider(evaluator)):
        assert _logged_in(make_browser, outsider).get(report_url).status_code == 403
    assert browser.get("/review/evaluations/99999/report").status_code == 404


def _logged_in(make_browser, user):
    browser = make_browser()
    browser.login(user)
    return browser


def test_a_failed_evaluation_through_the_page_sends_the_milestone_back(browser, market, live_contract):
    contract, _ = live_contract
    first = contract.milestones[0]
    browser.login(market.official)
    response = _post(browser, first, _form(evaluator_name="深圳大学社会评估研究中心",
                                           evaluator_credit_code="52440300MJL0A4P7XW", conclusion="fail"))
    assert response.status_code == 302
    assert _status(first) == MilestoneStatus.PLANNED
    page = browser.get(f"/review/contracts/{contract.id}").get_data(as_text=True)
    assert "深圳大学社会评估研究中心" in page and "52440300MJL0A4P7XW" in page and SUMMARY in page


@pytest.mark.parametrize("fields, message", [
    ({"report": None}, "Attach the evaluation report."),
    ({"report": (io.BytesIO(PDF + b"0" * SMALL_LIMIT), "大报告.pdf")}, "is too large"),
    ({"report": (io.BytesIO(b"MZ\x90\x00"), "tool.exe")}, "Accepted: docx, jpeg, jpg, pdf, png."),
    ({"conclusion": None}, "Give the evaluator&#39;s conclusion."),
    ({"summary": "合格"}, "Summarise the evaluator&#39;s findings"),
])
def test_bad_input_comes_back_with_what_was_typed_and_why(browser, market, live_contract, monkeypatch, fields,
                                                          message):
    # A small limit keeps the oversize upload in memory (the rule is the same at 10 MB).
    monkeypatch.setattr("market.contracts.services.MAX_REPORT_BYTES", SMALL_LIMIT)
    monkeypatch.setattr("market.contracts.routes.MAX_REPORT_BYTES", SMALL_LIMIT)
    contract, _ = live_contract
    first = contract.milestones[0]
    browser.login(market.official)
    before = written()
    typed = {"evaluator_name": "深圳大学社会评估研究中心", "evaluator_credit_code": "52440300MJL0A4P7XW"}
    if "summary" not in fields:
        typed["summary"] = "评估认为服务记录完整但回访样本不足。"
    response = _post(browser, first, _form(**{**typed, **fields}))
    page = response.get_data(as_text=True)
    assert response.status_code == 400, page[:2000]
    assert message in page
    assert "深圳大学社会评估研究中心" in page and "52440300MJL0A4P7XW" in page  # nothing typed is lost
    if "summary" not in fields:
        assert "评估认为服务记录完整但回访样本不足。" in page
    assert written() == before and _status(first) == MilestoneStatus.SUBMITTED
    assert db.session.scalar(select(func.count(ContractEvaluation.id))) == 0


def test_the_provider_as_its_own_evaluator_is_refused_on_the_page(browser, market, live_contract):
    contract, _ = live_contract
    first = contract.milestones[0]
    browser.login(market.official)
    response = _post(browser, first, _form(evaluator_org_id=str(contract.provider_id)))
    assert response.status_code == 400 and _status(first) == MilestoneStatus.SUBMITTED


@pytest.mark.parametrize("who", ["other_official", "winner", "other_provider", "resident"])
def test_only_the_streets_officials_open_or_post_the_evaluation(browser, market, live_contract, evaluator, make_user,
                                                                who):
    contract, winner = live_contract
    first = contract.milestones[0]
    user = {"other_official": market.other_official, "winner": winner, "other_provider": market.provider(),
            "resident": make_user(Role.RESIDENT)}[who]
    browser.login(user)
    assert browser.get(f"/review/milestones/{first.id}/evaluation").status_code == 403
    before = written()
    assert _post(browser, first, _form(evaluator)).status_code == 403
    assert written() == before and _status(first) == MilestoneStatus.SUBMITTED
    assert db.session.scalar(select(func.count(ContractEvaluation.id))) == 0
