from __future__ import annotations

from datetime import date

import pytest

from tests.market.payments.helpers import WEBHOOK_SECRET
from tests.market.payments.stripe_stub import StubServer


@pytest.fixture(autouse=True)
def _request_context(app):
    """Service calls in a test body run as in a request (lazy translated messages need a locale)."""
    with app.test_request_context():
        yield


@pytest.fixture
def stripe_stub():
    with StubServer() as stub:
        yield stub


@pytest.fixture
def online(app, stripe_stub, monkeypatch):
    """Online mode against the local Stripe stand-in (no automatic retries, so failures show)."""
    for key, value in {"STRIPE_SECRET_KEY": "sk_test_suite", "STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET,
                       "STRIPE_API_BASE": stripe_stub.url, "STRIPE_MAX_NETWORK_RETRIES": 0,
                       "PAYMENT_METHODS": "card,alipay,wechat_pay"}.items():
        monkeypatch.setitem(app.config, key, value)
    return stripe_stub


@pytest.fixture
def webhook_only(app, monkeypatch):
    """Offline for outgoing calls, but webhooks can be verified."""
    monkeypatch.setitem(app.config, "STRIPE_WEBHOOK_SECRET", WEBHOOK_SECRET)


@pytest.fixture
def make_milestone(app, make_project, make_org):
    from market.contracts.models import Contract, ContractStatus, Milestone, MilestoneStatus
    from market.core.db import db, utcnow

    def make(*, amount_cents=5_000_000, provider=None, status=MilestoneStatus.APPROVED, stripe_account="acct_1ProvTest01"):
        provider = provider or make_org(stripe_account_id=stripe_account)
        project = make_project()
        contract = Contract(project_id=project.id, provider_id=provider.id, amount_cents=amount_cents * 2,
                            status=ContractStatus.SIGNED, signed_at=utcnow())
        milestone = Milestone(seq=1, title="第一阶段服务", title_en="First stage", due_date=date(2026, 12, 31),
                              amount_cents=amount_cents, status=status)
        contract.milestones.append(milestone)
        db.session.add(contract)
        db.session.commit()
        return milestone

    return make


@pytest.fixture
def public_project(make_project, make_user, make_org):
    from market.accounts.models import Role
    from market.projects.models import ProjectKind

    def make(**fields):
        org = make_org()
        owner = make_user(Role.PROVIDER, organization=org)
        fields.setdefault("budget_cents", 10_000_000)
        return make_project(owner=owner, kind=ProjectKind.PUBLIC_BENEFIT, **fields)

    return make


@pytest.fixture
def donated(app, make_user):
    """``donated(project, cents)``: a resident's bank-transfer donation, confirmed by a district official
    (how money reaches a project without Stripe); returns the paid order."""
    from market.accounts.models import Role
    from market.core.db import db, utcnow
    from market.payments import services
    from market.payments.models import PaymentPurpose

    officials = []

    def make(project, amount_cents, *, donor=None, at=None):
        at = at or utcnow()
        if not officials:
            officials.append(make_user(Role.OFFICIAL))
        order = services.start_payment(donor or make_user(Role.RESIDENT), services.PaymentRequest(
            purpose=PaymentPurpose.DONATION, amount_cents=amount_cents, currency="cny", product_name="捐赠",
            project=project), gateway=None, now=at, return_urls=lambda o: ("", ""))
        services.confirm_bank_transfer(officials[0], order, now=at)
        db.session.commit()
        return order

    return make


@pytest.fixture
def checkout_order(app, online, make_user, public_project, make_pool):
    """A payment order with a real Checkout session created (through the SDK) at the stand-in."""
    from market.accounts.models import Role
    from market.core.db import db, utcnow
    from market.payments import services
    from market.payments.gateway import current_gateway
    from market.payments.models import PaymentPurpose

    def make(*, purpose=PaymentPurpose.DONATION, amount_cents=50_000, payer=None, project=None, pool=None):
        payer = payer or make_user(Role.RESIDENT)
        if purpose == PaymentPurpose.DONATION:
            project = project or public_project()
        else:
            pool = pool or make_pool()
        request = services.PaymentRequest(purpose=purpose, amount_cents=amount_cents, currency="cny",
                                          product_name="Test", project=project, pool=pool)
        order = services.start_payment(payer, request, gateway=current_gateway(), now=utcnow(),
                                       return_urls=lambda o: (f"http://localhost/s/{o.id}", f"http://localhost/c/{o.id}"))
        db.session.commit()
        assert order.checkout_session_id
        return order

    return make
