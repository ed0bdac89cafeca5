"""Milestone payouts: a Stripe Connect transfer per approved milestone, retried with the same key, never twice."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from market.accounts.models import Role
from market.contracts.models import Milestone, MilestoneStatus
from market.core.audit import AuditEvent
from market.core.db import db, utcnow
from market.core.errors import Conflict, PermissionDenied
from market.payments import services
from market.payments.gateway import current_gateway
from market.payments.models import Payout, PayoutMethod, PayoutStatus
from tests.market.payments.helpers import assert_ledger_ok


def _reload(payout):
    db.session.expire_all()
    return db.session.get(Payout, payout.id)


def _paid_audits():
    return db.session.scalar(select(func.count(AuditEvent.id)).where(AuditEvent.action == "payout.paid"))


def test_online_payout_transfers_to_the_connected_account(online, make_milestone, make_user):
    milestone = make_milestone(amount_cents=3_000_000)
    official = make_user(Role.OFFICIAL)
    payout = services.request_payout(milestone, actor=official, now=utcnow())
    db.session.commit()
    assert payout.status == PayoutStatus.PAID and payout.method == PayoutMethod.STRIPE_TRANSFER
    assert payout.transfer_id.startswith("tr_test_") and payout.attempts == 1
    [call] = online.calls("/v1/transfers")
    assert call.form["amount"] == "3000000" and call.form["currency"] == "cny"
    assert call.form["destination"] == "acct_1ProvTest01"
    assert call.form["metadata[milestone_id]"] == str(milestone.id)
    assert call.form["metadata[contract_id]"] == str(milestone.contract_id)
    assert call.form["transfer_group"] == f"contract-{milestone.contract_id}"
    assert call.headers["idempotency-key"] == f"payout-milestone-{milestone.id}"
    assert "stripe-account" not in call.headers
    assert db.session.get(Milestone, milestone.id).status == MilestoneStatus.PAID
    audit = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "payout.paid"))
    assert audit.after["amount_cents"] == 3_000_000 and audit.actor_id == official.id


def test_payout_is_built_from_config_when_the_caller_passes_only_the_milestone(online, make_milestone):
    milestone = make_milestone()
    payout = services.request_payout(milestone)
    assert payout.status == PayoutStatus.PAID
    # Asking again (the approval code retried) returns the same payout and sends nothing.
    assert services.request_payout(milestone).id == payout.id
    assert len(online.calls("/v1/transfers")) == 1


def test_failed_transfer_is_retried_with_the_same_key_and_pays_once(online, make_milestone, make_user, make_browser):
    milestone = make_milestone(amount_cents=1_200_000)
    online.fail_next("/v1/transfers", 500)
    payout = services.request_payout(milestone, now=utcnow())
    db.session.commit()
    assert payout.status == PayoutStatus.FAILED and "unknown error" in payout.last_error
    assert db.session.get(Milestone, milestone.id).status == MilestoneStatus.APPROVED
    assert _paid_audits() == 0

    official = make_user(Role.OFFICIAL)
    browser = make_browser()
    browser.login(official)
    queue = browser.get("/payments/transfers").get_data(as_text=True)
    assert "Retry" in queue and "unknown error" in queue
    assert browser.post(f"/payments/payouts/{payout.id}/retry").status_code == 302
    payout = _reload(payout)
    assert payout.status == PayoutStatus.PAID and payout.attempts == 2
    keys = [c.headers["idempotency-key"] for c in online.calls("/v1/transfers")]
    assert keys == [f"payout-milestone-{milestone.id}"] * 2
    assert len(online.created["/v1/transfers"]) == 1  # one transfer exists at "Stripe"
    assert _paid_audits() == 1
    # A second click (or a replayed form) cannot pay again.
    assert browser.post(f"/payments/payouts/{payout.id}/retry").status_code == 409
    assert len(online.created["/v1/transfers"]) == 1 and _paid_audits() == 1


def test_a_retry_after_a_lost_answer_gets_stripes_stored_result(online, make_milestone, make_user):
    """The transfer went through but our side never recorded it: the same key returns the same transfer."""
    milestone = make_milestone()
    gateway = current_gateway()
    first = gateway.create_transfer(amount_cents=milestone.amount_cents, destination="acct_1ProvTest01",
                                    idempotency_key=f"payout-milestone-{milestone.id}", metadata={})
    payout = services.request_payout(milestone, gateway=gateway, now=utcnow())
    assert payout.transfer_id == first.id
    assert len(online.created["/v1/transfers"]) == 1


def test_provider_without_connected_account_fails_visibly_until_set(online, make_milestone, make_user):
    milestone = make_milestone(stripe_account=None)
    payout = services.request_payout(milestone, now=utcnow())
    db.session.commit()
    assert payout.status == PayoutStatus.FAILED and "Stripe account" in services.payout_error(payout)
    assert online.calls("/v1/transfers") == []
    provider = payout.provider
    member = make_user(Role.PROVIDER, organization=provider)
    services.set_stripe_account(member, provider, "acct_1Later0001")
    payout = services.retry_payout(make_user(Role.OFFICIAL), payout, gateway=current_gateway(), now=utcnow())
    assert payout.status == PayoutStatus.PAID and online.calls("/v1/transfers")[0].form["destination"] == "acct_1Later0001"


def test_rejected_transfer_shows_stripes_message(online, make_milestone):
    milestone = make_milestone()
    online.fail_next("/v1/transfers", 400, code="balance_insufficient",
                     message="You have insufficient funds in your Stripe account.")
    payout = services.request_payout(milestone, now=utcnow())
    assert payout.status == PayoutStatus.FAILED and "insufficient funds" in payout.last_error
    assert db.session.scalar(select(AuditEvent.after).where(AuditEvent.action == "payout.failed"))["code"] \
        == "balance_insufficient"


def test_offline_payout_is_a_bank_transfer_confirmed_by_an_official(app, make_milestone, make_user, make_browser):
    milestone = make_milestone()
    payout = services.request_payout(milestone, now=utcnow())
    db.session.commit()
    assert payout.method == PayoutMethod.BANK_TRANSFER and payout.status == PayoutStatus.PENDING
    provider_member = make_user(Role.PROVIDER, organization=payout.provider)
    outsider = make_browser()
    outsider.login(provider_member)
    assert outsider.post(f"/payments/payouts/{payout.id}/confirm").status_code == 403
    assert _reload(payout).status == PayoutStatus.PENDING
    browser = make_browser()
    browser.login(make_user(Role.OFFICIAL))
    page = browser.get("/payments/transfers").get_data(as_text=True)
    assert "Online payment is not configured" in page and "Bank transfer made: confirm" in page
    assert browser.post(f"/payments/payouts/{payout.id}/confirm", csrf=False).status_code == 400
    assert browser.post(f"/payments/payouts/{payout.id}/confirm").status_code == 302
    assert _reload(payout).status == PayoutStatus.PAID
    assert db.session.get(Milestone, milestone.id).status == MilestoneStatus.PAID
    assert browser.post(f"/payments/payouts/{payout.id}/confirm").status_code == 409
    assert _paid_audits() == 1


def test_only_approved_milestones_are_paid(app, make_milestone):
    milestone = make_milestone(status=MilestoneStatus.SUBMITTED)
    with pytest.raises(Conflict):
        services.request_payout(milestone, gateway=None)
    assert db.session.scalar(select(func.count(Payout.id))) == 0


def test_only_officials_retry_or_confirm(app, make_milestone, make_user):
    payout = services.request_payout(make_milestone(), gateway=None, now=utcnow())
    with pytest.raises(PermissionDenied):
        services.confirm_payout(make_user(Role.FUNDER), payout, now=utcnow())
    with pytest.raises(PermissionDenied):
        services.retry_payout(make_user(Role.PROVIDER), payout, gateway=None, now=utcnow())


def test_the_pool_commitment_counts_as_paid_once_the_whole_contract_is_paid(app, make_milestone, make_user,
                                                                            make_pool):
    from datetime import date

    from market.core import ledger
    from market.funds.models import CommitmentStatus, FundingCommitment, FundingPool

    first = make_milestone(amount_cents=1_000_000)
    contract = first.contract
    second = Milestone(seq=2, title="第二阶段服务", title_en="Second stage", due_date=date(2027, 3, 31),
                       amount_cents=1_000_000, status=MilestoneStatus.APPROVED)
    contract.milestones.append(second)
    pool = make_pool(total_cents=10_000_000)
    commitment = FundingCommitment(pool_id=pool.id, project_id=contract.project_id, contract_id=contract.id,
                                   amount_cents=2_000_000, status=CommitmentStatus.RESERVED)
    db.session.add(commitment)
    db.session.flush()
    ledger.move(ledger.Movement.COMMITMENT, 2_000_000, source=ledger.pool(pool.id),
                target=ledger.commitment(commitment.id), actor=None, reference=commitment,
                project_id=contract.project_id)
    db.session.commit()
    official = make_user(Role.OFFICIAL)
    for milestone, expected, held in ((first, CommitmentStatus.RESERVED, 1_000_000),
                                      (second, CommitmentStatus.PAID, 0)):
        payout = services.request_payout(milestone, actor=official, gateway=None, now=utcnow())
        services.confirm_payout(official, payout, now=utcnow())
        db.session.commit()
        db.session.refresh(commitment)
        assert commitment.status == expected and ledger.balance(ledger.commitment(commitment.id)) == held
        assert _reload(payout).status == PayoutStatus.PAID
        assert_ledger_ok()
    assert commitment.paid_at is not None
    # Paid out, the money still counts towards the project's budget: it is not "needed" again.
    from market.funding.services import funding_summary

    assert funding_summary(contract.project).committed_by_pools == 2_000_000
    audit = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "commitment.paid"))
    assert audit.after == {"status": "paid", "pool_id": pool.id, "contract_id": contract.id}
    payouts = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "money.payout")).all()
    assert [(e.after["from"], e.after["to"], e.after["amount_cents"]) for e in payouts] == [
        (f"commitment:{commitment.id}", "outside", 1_000_000)] * 2
    pool = db.session.get(FundingPool, pool.id)
    # The pool received 100,000 yuan, 20,000 of it went to the provider: received stays, the ledger says where.
    assert (pool.received_cents, pool.remaining_cents) == (10_000_000, 8_000_000)


def test_a_payout_larger_than_the_reservation_takes_only_the_pool_money_reserved(app, make_milestone, make_user,
                                                                                 make_pool):
    """The rest of a payout is the contracting department's own budget: the pool pays no more than it reserved."""
    from market.core import ledger
    from market.funds.models import CommitmentStatus, FundingCommitment

    milestone = make_milestone(amount_cents=1_000_000)
    contract = milestone.contract
    pool = make_pool(total_cents=5_000_000)
    commitment = FundingCommitment(pool_id=pool.id, project_id=contract.project_id, contract_id=contract.id,
                                   amount_cents=400_000, status=CommitmentStatus.RESERVED)
    db.session.add(commitment)
    db.session.flush()
    ledger.move(ledger.Movement.COMMITMENT, 400_000, source=ledger.pool(pool.id),
                target=ledger.commitment(commitment.id), actor=None, reference=commitment,
                project_id=contract.project_id)
    db.session.commit()
    official = make_user(Role.OFFICIAL)
    payout = services.request_payout(milestone, actor=official, gateway=None, now=utcnow())
    services.confirm_payout(official, payout, now=utcnow())
    db.session.commit()
    paid = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "payout.paid"))
    assert paid.after["amount_cents"] == 1_000_000 and paid.after["from_pools_cents"] == 400_000
    db.session.refresh(commitment)
    assert commitment.status == CommitmentStatus.PAID
    assert_ledger_ok()
