"""An official works through a matching run in the console, in Chinese and in English: opens the run,
filters it, selects two proposals, checks the totals on the confirmation page and approves them at once.
Each step leaves a screenshot in test-artifacts/e2e/."""
from __future__ import annotations

import re

from sqlalchemy import func, select

from tests.e2e.conftest import ARTIFACTS, log_in, query

OFFICIAL = "street.official@demo.futian.example"


def _run_with_proposals() -> int:
    """The street official's latest finished run that still has proposals awaiting a decision."""
    from market.accounts.models import User
    from market.review.models import MatchProposal, MatchProposalStatus, MatchRun, RunStatus

    def find(session):
        official = session.scalar(select(User).where(User.email == OFFICIAL))
        waiting = (select(func.count(MatchProposal.id)).where(MatchProposal.run_id == MatchRun.id,
                                                               MatchProposal.status == MatchProposalStatus.PROPOSED)
                   .scalar_subquery())
        return session.scalar(select(MatchRun.id).where(MatchRun.created_by_id == official.id,
                                                        MatchRun.status == RunStatus.SUCCEEDED, waiting >= 2)
                              .order_by(MatchRun.id.desc()).limit(1))

    return query(find)


def _approved(run_id: int) -> int:
    from market.review.models import MatchProposal, MatchProposalStatus

    return query(lambda session: session.scalar(select(func.count(MatchProposal.id)).where(
        MatchProposal.run_id == run_id, MatchProposal.status == MatchProposalStatus.APPROVED)))


def _shot(page, language: str, step: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"official_console_{language}_{step}.png"), full_page=True)


def test_official_filters_a_run_and_approves_two_proposals_at_once(page, language):
    log_in(page, OFFICIAL, language)
    if _run_with_proposals() is None:  # every demo proposal decided already: make a fresh run
        page.goto(page.base + "/review/")
        page.locator("button[name=scope][value=all]").click()
        page.wait_for_url(re.compile(r".*/review/runs/\d+"))
        page.wait_for_selector("table.run-table", timeout=180_000)
    run_id = _run_with_proposals()
    assert run_id is not None
    approved_before = _approved(run_id)
    page.goto(page.base + f"/review/runs/{run_id}")
    page.wait_for_selector("table.run-table")
    assert page.locator("#run-summary svg.chart").count() >= 1
    _shot(page, language, "1_run")

    page.select_option("select[name=status]", "proposed")
    page.select_option("select[name=sort]", "score_desc")
    page.locator("form.filters button[type=submit]").click()
    page.wait_for_url(re.compile(r".*status=proposed.*"))
    boxes = page.locator("input[type=checkbox][name=proposal_ids]")
    assert boxes.count() >= 2
    assert page.locator("table.run-table tbody tr").count() == boxes.count()  # only proposals awaiting a decision
    boxes.nth(0).check()
    boxes.nth(1).check()
    _shot(page, language, "2_filtered")

    page.locator("form.run-rows button[type=submit]").first.click()
    page.wait_for_url(re.compile(r".*/approve-selected$"))
    assert page.locator("table.bulk-pools").count() == 1 and page.locator("table.bulk-providers").count() == 1
    assert page.locator("input[type=hidden][name=proposal_ids]").count() == 2
    reasons = page.locator("textarea[name^=reason_]")
    for index in range(reasons.count()):  # the engine's second choice or a pinned pair needs a public reason
        reasons.nth(index).fill("居民代表会议推荐该机构，服务经验丰富。" if language == "zh"
                                else "Recommended by the residents' representatives for its experience.")
    _shot(page, language, "3_confirm")

    page.locator("form[action$='/approve-selected/confirm'] button[type=submit]").click()
    page.wait_for_url(re.compile(rf".*/review/runs/{run_id}$"))
    assert page.locator(".flash-success").count() >= 1
    assert _approved(run_id) == approved_before + 2
    _shot(page, language, "4_approved")
