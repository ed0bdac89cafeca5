"""The main journeys, each in Chinese and English: a resident votes, a provider bids,
an official runs matching and approves, a donor gives in offline mode."""
from __future__ import annotations

import re

from sqlalchemy import select

from tests.e2e.conftest import biddable_tenders, log_in, query

DEMO = "@demo.futian.example"


def test_resident_votes_in_their_round(page, language):
    from market.accounts.models import User
    from market.micro.models import MicroRound, RoundPhase

    def voting_round(session):
        resident = session.scalar(select(User).where(User.email == "resident" + DEMO))
        return next(r.id for r in session.scalars(select(MicroRound).where(MicroRound.phase == RoundPhase.VOTING))
                    if r.covers(resident.community_id, resident.community.street_id))

    round_id = query(voting_round)
    log_in(page, "resident" + DEMO, language)
    page.goto(page.base + f"/micro/rounds/{round_id}/ballot")
    boxes = page.locator("input[type=checkbox][name=proposal_ids]")
    assert boxes.count() >= 3
    for box in range(boxes.count()):
        boxes.nth(box).uncheck()
    picks = (0, 1) if language == "zh" else (1, 2)
    for index in picks:
        boxes.nth(index).check()
    page.locator("form button[type=submit], form input[type=submit]").last.click()
    page.wait_for_load_state()
    assert page.locator(".flash-success").count() >= 1
    checked = [i for i in range(boxes.count()) if page.locator("input[name=proposal_ids]").nth(i).is_checked()]
    assert checked == list(picks)  # the ballot can be changed until voting closes; the latest counts


def test_provider_submits_a_sealed_bid(page, language):
    options = query(lambda session: biddable_tenders(session, "provider" + DEMO))
    project_id, budget_cents = options[0] if language == "zh" else options[1]
    log_in(page, "provider" + DEMO, language)
    page.goto(page.base + f"/bids/projects/{project_id}/bid")
    # A file over the limit is refused in the browser, before anything is sent.
    files = page.locator("input[type=file][name=attachments]")
    files.set_input_files({"name": "plan.pdf", "mimeType": "application/pdf", "buffer": b"%PDF" + b"0" * (11 << 20)})
    assert "plan.pdf" in files.evaluate("input => input.validationMessage")
    files.set_input_files([])
    assert files.evaluate("input => input.validity.valid")
    page.fill("input[name=price]", str(budget_cents // 100 - 1000))
    page.fill("textarea[name=proposal]", "由持证社工与护理员组成服务队，每周上门两次，建立长者健康档案。")
    page.fill("textarea[name=team]", "项目主管1名，社工3名，护理员4名")
    page.locator("form button[type=submit], form input[type=submit]").last.click()
    page.wait_for_load_state()
    assert page.locator(".flash-success").count() >= 1
    assert "/bids/" in page.url


def test_official_runs_matching_and_approves(page, language):
    log_in(page, "official" + DEMO, language)
    page.goto(page.base + "/review/")
    group = 1 if language == "zh" else 2  # micro-projects, then public-benefit projects
    page.locator(".console-groups section").nth(group).locator("input[name=project_ids]").first.check()
    page.locator("button[name=scope][value=selected]").click()
    page.wait_for_url(re.compile(r".*/review/runs/\d+"))
    page.wait_for_selector("input[name=proposal_ids]", timeout=120_000)
    # One proposal is approved from its details page (several at once: test_official_console.py).
    page.locator("tr:has(input[name=proposal_ids]) td:nth-child(2) a").first.click()
    approve = page.locator("form[action$='/approve']")
    approve.locator("textarea[name=reason]").fill("按撮合建议确定。" if language == "zh" else "As the match proposes.")
    approve.locator("button[type=submit]").click()
    page.wait_for_load_state()
    assert page.locator(".flash-success").count() >= 1


def test_donor_gives_in_offline_mode(page, language):
    from market.funding.services import seeks_funds
    from market.projects.models import Project, ProjectKind, ProjectStatus

    def seeking(session):
        projects = session.scalars(select(Project).where(Project.kind == ProjectKind.PUBLIC_BENEFIT,
                                                         Project.status == ProjectStatus.OPEN).order_by(Project.id))
        return [p.id for p in projects if seeks_funds(p)]

    project_id = query(seeking)[0 if language == "zh" else 1]
    log_in(page, "resident" + DEMO, language)
    page.goto(page.base + f"/funding/projects/{project_id}/donate")
    page.fill("input[name=amount]", "200")
    page.locator("form button[type=submit], form input[type=submit]").last.click()
    page.wait_for_url(re.compile(r".*/payments/orders/\d+"))
    assert page.locator(".flash-success").count() >= 1
    assert "SRE-" in page.inner_text("main")  # the bank-transfer reference to quote
