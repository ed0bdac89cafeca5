"""The funding demo stage: deterministic, consistent money, and every movement audited."""
from __future__ import annotations

import hashlib
from datetime import date

import pytest
from sqlalchemy import func, select

from market.core import ledger
from market.core.audit import verify_chain
from market.core.db import db
from tests.market.demo_helpers import demo_databases, determinism_is_checked_on_sqlite


def _load(tmp_path_factory, monkeypatch, databases):
    import market.demo.loader as loader
    from market.contracts.models import Contract, ContractStatus, Milestone, MilestoneStatus
    from market.demo.funding import load_funding_demo
    from market.projects.models import Project, ProjectKind

    app = databases.app(str(tmp_path_factory.mktemp("instance")))
    with app.app_context():
        loader.load_demo(db.session, stages=())  # the base data only, then this stage
        # Approved milestones, as the award process would leave them.
        project = db.session.scalar(select(Project).where(Project.kind == ProjectKind.GOVERNMENT_SERVICE)
                                    .order_by(Project.id))
        provider = db.session.scalar(select(Project.organization_id).where(Project.kind == ProjectKind.PUBLIC_BENEFIT)
                                     .order_by(Project.id))
        contract = Contract(project_id=project.id, provider_id=provider, amount_cents=600_000_00,
                            status=ContractStatus.SIGNED)
        for seq in (1, 2):
            contract.milestones.append(Milestone(seq=seq, title=f"第{seq}期", due_date=date(2026, 11, seq),
                                                 amount_cents=300_000_00, status=MilestoneStatus.APPROVED))
        db.session.add(contract)
        db.session.flush()
        load_funding_demo(db.session)
        db.session.commit()
    return app


def _digest() -> str:
    from market.funding.models import CampaignAllocation, MatchingCampaign, Pledge
    from market.payments.models import PaymentOrder, Payout

    rows = []
    for model, columns in ((PaymentOrder, ("id", "purpose", "status", "amount_cents", "project_id", "pool_id",
                                           "payer_id", "payer_org_id", "created_at", "paid_at")),
                           (Pledge, ("id", "pool_id", "project_id", "amount_cents", "status", "pledged_at")),
                           (MatchingCampaign, ("id", "pool_id", "rule", "amount_cents", "matched_cents", "status")),
                           (CampaignAllocation, ("campaign_id", "project_id", "match_cents", "reason")),
                           (Payout, ("milestone_id", "status", "amount_cents", "method"))):
        rows.append(list(db.session.execute(select(*(getattr(model, c) for c in columns)).order_by(columns[0]))))
    return hashlib.sha256(repr(rows).encode()).hexdigest()


@pytest.fixture(scope="module")
def demo(request, tmp_path_factory):
    monkeypatch = pytest.MonkeyPatch()
    try:
        with demo_databases(request.config.getoption("--db-url")) as databases:
            yield _load(tmp_path_factory, monkeypatch, databases), tmp_path_factory, monkeypatch, databases
    finally:
        monkeypatch.undo()


def test_funding_demo_contents(demo):
    from market.funding.models import CampaignStatus, MatchingCampaign, MatchingRule, Pledge, PledgeStatus
    from market.funding.services import funding_summary
    from market.funds.models import FundingPool
    from market.payments.models import PaymentMethod, PaymentOrder, PaymentPurpose, PaymentStatus, Payout, PayoutStatus
    from market.projects.models import Project, ProjectKind

    app, _, _, _ = demo
    with app.app_context():
        pledges = db.session.scalars(select(Pledge)).all()
        assert len(pledges) == 4 and sum(p.status == PledgeStatus.RELEASED for p in pledges) == 2
        campaigns = {c.rule: c for c in db.session.scalars(select(MatchingCampaign))}
        closed = campaigns[MatchingRule.QUADRATIC]
        assert closed.status == CampaignStatus.CLOSED and len(closed.allocations) >= 2
        assert sum(a.match_cents for a in closed.allocations) == closed.matched_cents <= closed.amount_cents
        assert closed.matched_cents > 0 and closed.explanation
        crowd = max(closed.allocations, key=lambda a: a.contributors)
        assert crowd.match_cents == max(a.match_cents for a in closed.allocations)
        assert campaigns[MatchingRule.ONE_TO_ONE].status == CampaignStatus.OPEN
        orders = db.session.scalars(select(PaymentOrder)).all()
        pending = [o for o in orders if o.status == PaymentStatus.PENDING]
        assert len(pending) >= 3
        assert all(o.method == (PaymentMethod.TREASURY if o.purpose == PaymentPurpose.APPROPRIATION
                                else PaymentMethod.BANK_TRANSFER) for o in orders)
        assert {o.purpose for o in orders} == {PaymentPurpose.DONATION, PaymentPurpose.POOL_TOPUP,
                                               PaymentPurpose.APPROPRIATION}
        assert any(o.payer_org_id for o in orders if o.purpose == PaymentPurpose.DONATION)
        assert sorted(p.status for p in db.session.scalars(select(Payout))) == [PayoutStatus.PAID,
                                                                              PayoutStatus.FAILED]
        for pool in db.session.scalars(select(FundingPool)):
            assert 0 <= pool.remaining_cents <= pool.received_cents <= pool.declared_cents
        report = ledger.check()
        assert report.ok, report.problems[:10]
        for project in db.session.scalars(select(Project).where(Project.kind == ProjectKind.PUBLIC_BENEFIT)):
            assert funding_summary(project).total <= project.budget_cents
        assert verify_chain().ok
        money_events = db.session.scalar(select(func.count()).select_from(PaymentOrder).where(
            PaymentOrder.status == PaymentStatus.PAID))
        from market.core.audit import AuditEvent
        assert db.session.scalar(select(func.count(AuditEvent.id)).where(
            AuditEvent.action == "payment.received")) == money_events


def test_funding_demo_is_deterministic(demo, request):
    determinism_is_checked_on_sqlite(request)
    app, tmp_path_factory, monkeypatch, databases = demo
    with app.app_context():
        expected = _digest()
    again = _load(tmp_path_factory, monkeypatch, databases)
    with again.app_context():
        assert _digest() == expected
