"""Fixtures shared by the marketplace tests (bids and review): a tendered project, bids, a fixed clock."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

T0 = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)  # "now" of the service-level tests
DEADLINE = T0 + timedelta(days=10)
AFTER = DEADLINE + timedelta(hours=1)


class Market:
    """Builds the usual marketplace situation: officials, providers, a tender, bids."""

    def __init__(self, make_user, make_org, make_project, make_pool, geo):
        from market.accounts.models import Role

        self.make_user, self.make_org, self.make_project, self.make_pool, self.geo = (
            make_user, make_org, make_project, make_pool, geo)
        self.official = make_user(Role.OFFICIAL, street=geo.streets[0])
        self.district_official = make_user(Role.OFFICIAL)
        self.other_official = make_user(Role.OFFICIAL, street=geo.streets[1])

    FIXED = ("rating_grade", "capacity", "full_time_staff", "office_area_m2", "registration_date", "capability",
             "capability_en", "home_street_id")

    def org(self, **fields):
        """An organisation; unlike ``make_org`` it also overrides the fixed profile values."""
        from market.core.db import db

        late = {k: fields.pop(k) for k in self.FIXED if k in fields}
        org = self.make_org(**fields)
        for name, value in late.items():
            setattr(org, name, value)
        db.session.commit()
        return org

    def provider(self, org=None, **org_fields):
        from market.accounts.models import Role

        org = org or self.org(**org_fields)
        return self.make_user(Role.PROVIDER, organization=org)

    def tendered(self, *, deadline=DEADLINE, lots=(), now=T0, official=None, requirements="需具备居家养老服务经验。",
                 **project_fields):
        """A draft project published as a tender by its street official at ``now``."""
        from market.bids import services
        from market.core.db import db
        from market.projects.models import ProjectStatus

        official = official or self.official
        project_fields.setdefault("status", ProjectStatus.DRAFT)
        project = self.make_project(owner=official, **project_fields)
        data = services.TenderInput(
            bid_deadline=deadline, requirements=requirements,
            criteria=tuple(services.CriterionInput(c["name"], c["weight"], c["name_en"])
                           for c in services.default_criteria()),
            lots=tuple(services.LotInput(title=t, budget_cents=b) for t, b in lots))
        services.publish_tender(official, project, data, now=now)
        db.session.commit()
        return project

    def bid(self, user, project, price_cents, *, proposal="我们将组建专业团队提供上门助餐和探访服务。", lot=None,
            now=T0 + timedelta(days=1), **fields):
        from market.bids import services
        from market.core.db import db

        bid = services.submit_bid(user, project, services.BidInput(price_cents=price_cents, proposal=proposal,
                                                                   lot_id=lot.id if lot else None, **fields), now=now)
        db.session.commit()
        return bid

    def match(self, projects, *, official=None, now=AFTER, **options):
        """Run the engine at once (as the background job would) and return the finished run."""
        from market.core.db import db
        from market.review import adapter, services

        run = services.start_run(official or self.official, [p.id for p in projects],
                                 adapter.RunOptions(**{"time_limit": 20, **options}), now=now)
        db.session.commit()
        services.execute_run(run, now=now)
        db.session.commit()
        return run

    def received(self, project, cents):
        """``cents`` donated to ``project`` through the ledger (the only way its funds change)."""
        from market.core import ledger
        from market.core.db import db

        ledger.move(ledger.Movement.DONATION, cents, source=ledger.OUTSIDE, target=ledger.project(project.id),
                    actor=None, reference_type="test_fixture", reference_id=project.id, project_id=project.id)
        db.session.commit()
        return project

    def delivered(self, org, *, community=None, official=None, budget_cents=5_000_000, **project_fields):
        """A micro-project of ``org`` (signed contract, in progress) that its responsible official
        accepted: residents of ``community`` may rate it now."""
        from market.core.db import db
        from market.micro.services import evaluation

        project = self.engaged(org, community=community, official=official, budget_cents=budget_cents,
                               **project_fields)
        evaluation.accept_project(official or self.official, project, "现场验收合格，资料齐全。")
        db.session.commit()
        return project

    def engaged(self, org, *, community=None, official=None, budget_cents=5_000_000, **project_fields):
        """A micro-project in progress under a signed contract with ``org``."""
        from market.contracts.models import Contract, ContractStatus
        from market.core.db import db, utcnow
        from market.projects.models import ProjectKind, ProjectStatus

        community = community or self.geo.communities[0]
        project = self.make_project(kind=ProjectKind.MICRO, status=ProjectStatus.IN_PROGRESS,
                                    owner=official or self.official, street=community.street, community=community,
                                    budget_cents=budget_cents, **project_fields)
        db.session.add(Contract(project_id=project.id, provider_id=org.id, amount_cents=budget_cents,
                                status=ContractStatus.SIGNED, signed_at=utcnow()))
        db.session.commit()
        return project

    def rate(self, project, *stars_per_resident):
        """Each argument is one resident of the project's community rating it (stars per criterion,
        or one number for every criterion), through the evaluation service."""
        from market.accounts.models import Role
        from market.core.db import db
        from market.micro.models import RATING_CRITERIA
        from market.micro.services import evaluation

        for stars in stars_per_resident:
            given = stars if isinstance(stars, dict) else {c: stars for c in RATING_CRITERIA}
            evaluation.rate_project(self.make_user(Role.RESIDENT, community=project.community), project, given)
        db.session.commit()

    def proposal(self, run, project):
        return next(p for p in run.proposals if p.project_id == project.id)

    def open(self, project, *, official=None, now=AFTER):
        from market.bids import services
        from market.core.db import db

        tender = services.open_bids(official or self.official, project, now=now)
        db.session.commit()
        return tender


def written() -> tuple[dict[str, int], int | None]:
    """Rows per table and the head of the audit trail: a refused request leaves both as they were
    (every change of state appends to the trail)."""
    from sqlalchemy import func, select

    from market.core.audit import AuditEvent
    from market.core.db import db

    db.session.expire_all()
    rows = {table.name: db.session.scalar(select(func.count()).select_from(table))
            for table in db.metadata.sorted_tables}
    return rows, db.session.scalar(select(func.max(AuditEvent.seq)))


def refused(browser, url, data=None):
    """Post ``url`` as ``browser``'s user, who may not: refused (403, or 404 where the object is
    hidden from them), with nothing written."""
    before = written()
    response = browser.post(url, data or {})
    assert response.status_code in (403, 404), (url, response.status_code)
    assert written() == before, url
    return response


@pytest.fixture
def market(make_user, make_org, make_project, make_pool, geo):
    return Market(make_user, make_org, make_project, make_pool, geo)


@pytest.fixture(autouse=True)
def _request_context(request):
    """Services build translated messages; outside a request the locale selector has nothing to read."""
    if "app" not in request.fixturenames:
        yield
        return
    app = request.getfixturevalue("app")
    with app.test_request_context():
        yield


