"""Contract services: signing after the notice period, milestones reported, returned and approved
(each approval asking for its payout), and the third-party evaluation at acceptance."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from market.contracts import services as contract_services
from market.contracts.models import ContractStatus, MilestoneStatus
from market.core.audit import AuditEvent
from market.core.db import db
from market.core.errors import Conflict, IllegalTransition, PermissionDenied, ValidationFailed
from market.payments.models import Payout, PayoutMethod, PayoutStatus
from market.projects.models import ProjectStatus
from tests.market.bids.helpers import AFTER
from tests.market.contracts.helpers import _approved


def _payouts():
    return {p.milestone_id: p for p in db.session.scalars(select(Payout))}


def test_milestones_reported_by_the_provider_and_approved_by_the_official(market, signed):
    contract, winner = signed
    first = contract.milestones[0]
    with pytest.raises(PermissionDenied):
        contract_services.submit_milestone(market.provider(), first, "不是我的合同", now=AFTER)
    with pytest.raises(ValidationFailed):
        contract_services.submit_milestone(winner, first, "", now=AFTER)
    with pytest.raises(IllegalTransition):
        contract_services.approve_milestone(market.official, first, now=AFTER)
    contract_services.submit_milestone(winner, first, "完成需求评估和团队组建", now=AFTER)
    with pytest.raises(PermissionDenied):
        contract_services.approve_milestone(market.other_official, first, now=AFTER)
    contract_services.return_milestone(market.official, first, "缺少服务台账", now=AFTER)
    assert first.status == MilestoneStatus.PLANNED and _payouts() == {}
    contract_services.submit_milestone(winner, first, "补交了服务台账", now=AFTER)
    contract_services.approve_milestone(market.official, first, now=AFTER)
    assert first.status == MilestoneStatus.APPROVED and first.approved_by_id == market.official.id
    assert list(_payouts()) == [first.id]
    for milestone in contract.milestones[1:]:
        contract_services.submit_milestone(winner, milestone, "阶段工作已完成", now=AFTER)
        contract_services.approve_milestone(market.official, milestone, now=AFTER)
    assert contract.status == ContractStatus.COMPLETED and contract.project.status == ProjectStatus.COMPLETED
    assert sorted(_payouts()) == sorted(m.id for m in contract.milestones)


def test_approving_a_milestone_asks_for_its_payout(market, signed):
    """Approving sends milestone_approved, which market.payments answers with request_payout: without Stripe the
    payout waits as a bank transfer for the finance office, for the milestone's amount, once."""
    contract, winner = signed
    first = contract.milestones[0]
    contract_services.submit_milestone(winner, first, "完成需求评估和团队组建", now=AFTER)
    contract_services.approve_milestone(market.official, first, now=AFTER)
    db.session.commit()
    [payout] = _payouts().values()
    assert (payout.milestone_id, payout.provider_id, payout.amount_cents) == (first.id, contract.provider_id,
                                                                              first.amount_cents)
    assert payout.method == PayoutMethod.BANK_TRANSFER and payout.status == PayoutStatus.PENDING
    assert payout.requested_by_id == market.official.id
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "payout.requested"))
    assert event.object_id == str(payout.id) and event.after["milestone_id"] == first.id
    with pytest.raises(IllegalTransition):  # approved once, paid once
        contract_services.approve_milestone(market.official, first, now=AFTER)
    db.session.rollback()
    assert len(_payouts()) == 1


def test_milestones_wait_for_the_signature(market, evaluated):
    award = _approved(market, evaluated)
    [contract] = contract_services.contracts_of(award)
    with pytest.raises(Conflict):
        contract_services.submit_milestone(evaluated[1], contract.milestones[0], "还没签约就报告", now=AFTER)
