"""Contract and milestone pages: signing, reporting, approving; status codes, permissions, bad input."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from market.contracts.models import Contract, ContractStatus, MilestoneStatus
from market.core.db import db, utcnow
from market.projects.models import ProjectStatus
from market.review import awards
from market.review.models import MatchProposal


def _run(market, project, official=None):
    return market.match([project], official=official, now=utcnow())


def test_contract_signing_and_milestones_through_the_pages(browser, market, opened, make_browser):
    project, winner = opened
    _run(market, project)
    award = awards.approve_proposal(market.official, db.session.scalar(select(MatchProposal)), now=utcnow())
    db.session.commit()
    contract = db.session.scalar(select(Contract))
    browser.login(market.official)
    assert browser.post(f"/review/contracts/{contract.id}/sign").status_code == 409
    award.notice_ends_at = contract.notice_ends_at = utcnow() - timedelta(minutes=1)  # the notice period passes
    db.session.commit()
    page = browser.get("/dashboard").get_data(as_text=True)
    assert "Contracts ready to sign" in page
    assert browser.post(f"/review/contracts/{contract.id}/sign").status_code == 302
    db.session.expire_all()
    contract = db.session.get(Contract, contract.id)
    assert contract.status == ContractStatus.SIGNED and contract.project.status == ProjectStatus.IN_PROGRESS
    first = contract.milestones[0]
    provider = make_browser()
    provider.login(winner)
    assert "Report done" in provider.get(f"/review/contracts/{contract.id}").get_data(as_text=True)
    assert provider.post(f"/review/milestones/{first.id}/submit", {"note": ""}).status_code == 303
    assert provider.post(f"/review/milestones/{first.id}/submit", {"note": "已完成需求评估"}).status_code == 302
    assert provider.post(f"/review/milestones/{first.id}/approve").status_code == 403
    outsider = make_browser()
    outsider.login(market.provider())
    assert outsider.post(f"/review/milestones/{contract.milestones[1].id}/submit",
                         {"note": "冒充的报告内容"}).status_code == 403
    assert outsider.post(f"/review/milestones/{contract.milestones[1].id}/submit", {"note": ""}).status_code == 403
    assert browser.post(f"/review/milestones/{first.id}/approve").status_code == 302
    db.session.expire_all()
    assert db.session.get(type(first), first.id).status in (MilestoneStatus.APPROVED, MilestoneStatus.PAID)
    public = make_browser().get(f"/review/contracts/{contract.id}")
    assert public.status_code == 200 and "已完成需求评估" in public.get_data(as_text=True)
    assert make_browser().get("/review/contracts/99999").status_code == 404
    assert browser.post("/review/milestones/99999/approve").status_code == 404
