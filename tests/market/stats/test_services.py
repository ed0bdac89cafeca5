"""Each figure of the dashboard on the small 2025 district of conftest.py, with answers worked out by hand."""
from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import event

from market.stats import services
from market.stats.period import Period
from tests.market.opendata.stories import story  # noqa: F401
from tests.market.stats.conftest import YEAR_2025


def board(world, period=YEAR_2025, *, actor=None, street=None, category=None, locale="en"):
    filters = services.officials_filters(actor or world.district_official, period, street, category)
    return services.dashboard(filters, locale)


def test_projects_published_awarded_completed_per_street_and_category(world):
    b = board(world)
    s1, s2 = (s.id for s in world.streets)
    elderly, youth = world.categories["elderly_care"].id, world.categories["youth"].id
    figures = {key: (f.published, f.asked_cents, f.awarded, f.completed) for key, f in b.projects_by_street.items()}
    # Street 1: A and B published (E in 2024, I in 2026, F a draft); A, B, E and M awarded; A and M completed.
    assert figures[s1] == (2, 30_000_000, 4, 2)
    # Street 2: C, D, G and J published; C and D awarded (G's award was cancelled).
    assert figures[s2] == (4, 24_000_000, 2, 0)
    assert figures[None] == (1, 7_000_000, 0, 0)  # H, the district's own
    assert [g.key for g in b.streets] == [s1, s2, None]
    by_category = {key: (f.published, f.asked_cents, f.awarded, f.completed) for key, f in b.projects_by_category.items()}
    assert by_category[elderly] == (3, 36_000_000, 4, 2)
    assert by_category[youth] == (4, 25_000_000, 2, 0)
    total = b.projects_total
    assert (total.published, total.asked_cents, total.awarded, total.completed) == (7, 61_000_000, 6, 2)


def test_period_filter_moves_the_counts(world):
    b = board(world, Period(date(2024, 12, 1), date(2024, 12, 31)))
    assert (b.projects_total.published, b.projects_total.awarded) == (1, 0)  # E published; awarded in January
    b = board(world, Period(date(2026, 1, 1), date(2026, 1, 31)))
    assert b.projects_total.published == 1  # I
    assert [m.paid_cents for m in b.money if m.source == "foundation"] == [4_500_000]  # C's payout, 10 January 2026
    # Beijing days: A was published at 10:00 on 1 March in Beijing, 02:00 UTC the same day.
    assert board(world, Period(date(2025, 3, 1), date(2025, 3, 1))).projects_total.published == 1
    assert board(world, Period(date(2025, 3, 2), date(2025, 3, 31))).projects_total.published == 0


def test_street_and_category_filters(world):
    s1 = world.streets[0].id
    b = board(world, street=s1)
    assert set(b.projects_by_street) == {s1}
    assert (b.projects_total.published, b.projects_total.awarded) == (2, 4)
    b = board(world, category=world.categories["youth"].id)
    assert (b.projects_total.published, b.projects_total.asked_cents) == (4, 25_000_000)
    assert set(b.projects_by_category) == {world.categories["youth"].id}


def test_money_by_source_reserved_at_the_end_and_paid_in_the_period(world):
    money = {m.source: (m.reserved_cents, m.paid_cents) for m in board(world).money}
    assert money == {
        "district": (0, 9_000_000),  # A's reservation paid in full
        "street": (13_000_000, 5_000_000),  # B: 18M reserved, 5M paid
        "foundation": (4_500_000 + 250_000, 500_000),  # C unpaid until 2026, J's open pledge; J's released pledge paid
        "enterprise": (5_000_000, 2_000_000),
        "donations": (0, 1_000_000 - 300_000),  # the 2024 donation is outside the period; less the refund
        "other": (0, 0),
    }
    s1 = {m.source: (m.reserved_cents, m.paid_cents) for m in board(world, street=world.streets[0].id).money}
    assert s1["street"] == (13_000_000, 5_000_000) and s1["foundation"] == (0, 0) and s1["donations"] == (0, 0)


def test_dashboard_money_agrees_with_the_ledger(world):
    """Over a period holding every movement, reserved is what the ledger's commitment and pledge accounts
    hold now, and paid is what the paying movements and donations moved."""
    from market.core import ledger

    b = board(world, Period(date(2020, 1, 1), date.today()))
    held = sum(ledger.balances(ledger.AccountKind.COMMITMENT).values()) + sum(
        ledger.balances(ledger.AccountKind.PLEDGE).values())
    assert b.reserved_cents == held > 0
    k, m = ledger.AccountKind, ledger.Movement
    paid = (-sum(ledger.movement_totals(k.COMMITMENT, m.PAYOUT).values())
            - sum(ledger.movement_totals(k.PLEDGE, m.PLEDGE_RELEASE).values())
            - sum(ledger.movement_totals(k.CAMPAIGN, m.CAMPAIGN_MATCH).values())
            + sum(ledger.movement_totals(k.PROJECT, m.DONATION).values())
            + sum(ledger.movement_totals(k.PROJECT, m.REFUND).values()))
    assert b.paid_cents == paid > 0
    foundation_pool = world.pools["foundation"]
    assert next(s for s in b.money if s.source == "foundation").reserved_cents == sum(
        ledger.balance(ledger.commitment(c.id)) for c in _commitments(foundation_pool)) + 250_000
    assert ledger.check().ok


def _commitments(pool):
    from sqlalchemy import select

    from market.core.db import db
    from market.funds.models import FundingCommitment

    return db.session.scalars(select(FundingCommitment).where(FundingCommitment.pool_id == pool.id)).all()


def test_active_providers_and_concentration(world, monkeypatch):
    b = board(world, locale="zh")
    providers = b.providers
    assert (providers.active, providers.contracts, providers.total_cents) == (4, 6, 44_000_000)
    assert [(p.name, p.amount_cents) for p in providers.top] == [
        ("福田长者之家", 30_000_000), ("景田邻里中心", 7_000_000), ("莲花社工服务社", 4_500_000), ("岗厦便民服务队", 2_500_000)]
    assert providers.top[0].share == pytest.approx(30 / 44)
    assert providers.top_share == pytest.approx(1.0)
    assert providers.hhi == pytest.approx(10_000 * (30**2 + 7**2 + 4.5**2 + 2.5**2) / 44**2)
    monkeypatch.setattr(services, "TOP_SHARE_OF", 2)
    assert board(world).providers.top_share == pytest.approx(37 / 44)
    assert board(world, Period(date(2030, 1, 1), date(2030, 12, 31))).providers == services.ProviderFigures()


def test_time_from_publication_to_award(world):
    b = board(world)
    s1, s2 = (s.id for s in world.streets)
    # A 10, B 20, C 30, D 40, E 30 days; M has no publication date.
    assert b.award_time == services.Durations(5, pytest.approx(30.0), pytest.approx(36.0))
    assert b.award_time_by_street[s1] == services.Durations(3, pytest.approx(20.0), pytest.approx(28.0))
    assert b.award_time_by_street[s2] == services.Durations(2, pytest.approx(35.0), pytest.approx(39.0))
    assert board(world, street=s2).award_time == services.Durations(2, pytest.approx(35.0), pytest.approx(39.0))


def test_acceptance_and_ratings(world):
    b = board(world)
    s1 = world.streets[0].id
    ratings = b.ratings_by_street[s1]
    assert (ratings.accepted, ratings.ratings) == (1, 3)
    assert ratings.mean("quality") == pytest.approx(4.0)
    assert ratings.mean("timeliness") == pytest.approx(11 / 3)
    assert ratings.overall == pytest.approx(50 / 12)
    assert b.ratings_total.ratings == 3
    assert board(world, Period(date(2025, 10, 1), date(2025, 12, 31))).ratings_total.ratings == 0


def test_participation_by_community(world):
    rows = {p.community_id: p for p in board(world).participation}
    c1, c2 = world.communities[0].id, world.communities[1].id
    one = rows[c1]
    assert (one.proposals, one.ballots, one.votes, one.eligible) == (3, 4, 7, 6)  # the draft and 2026's resident not
    assert one.turnout == pytest.approx(4 / 6)
    assert rows[c2].eligible is None and rows[c2].turnout is None  # no voting there
    assert board(world, Period(date(2025, 6, 1), date(2025, 12, 31))).participation[0].ballots == 0
    assert {p.community_id for p in board(world, street=world.streets[1].id).participation} == {
        c.id for c in world.communities[2:]}


def test_street_official_sees_only_their_street(world):
    from market.core.errors import PermissionDenied

    filters = services.officials_filters(world.official, YEAR_2025)
    assert filters.street_id == world.streets[0].id
    with pytest.raises(PermissionDenied):
        services.officials_filters(world.official, YEAR_2025, world.streets[1].id)
    assert services.officials_filters(world.district_official, YEAR_2025).street_id is None


def test_residents_and_providers_are_refused(world, make_user):
    from market.accounts.models import Role
    from market.core.errors import PermissionDenied

    for user in (world.residents[0], make_user(Role.PROVIDER, organization=world.providers["P1"]), None):
        with pytest.raises(PermissionDenied):
            services.officials_filters(user, YEAR_2025)


def test_unknown_street_or_category_is_a_validation_error(world):
    from market.core.errors import ValidationFailed

    with pytest.raises(ValidationFailed) as error:
        services.officials_filters(world.district_official, YEAR_2025, 999_999, 10**12)
    assert set(error.value.fields) == {"street", "category"}


def test_bounded_number_of_queries_whatever_the_number_of_projects(world, make_project):
    """The dashboard reads grouped figures: adding many projects (awarded, with money) adds no query."""
    from market.core.db import db

    def queries() -> int:
        count = 0

        def counter(*_args):
            nonlocal count
            count += 1

        db.session.expire_all()
        event.listen(db.engine, "before_cursor_execute", counter)
        try:
            board(world)
        finally:
            event.remove(db.engine, "before_cursor_execute", counter)
        return count

    before = queries()
    from tests.market.stats.conftest import _contract, bj

    for n in range(30):
        project = make_project(street=world.streets[n % 2], budget_cents=1_000_000 + n, published_at=bj(2025, 8, 1))
        _contract(world, project, world.providers["P2"], 1_000_000, approved_at=bj(2025, 8, 20))
    after = queries()
    assert board(world).projects_total.published == 37
    assert after == before <= 25


def test_money_agrees_with_the_ledger_after_the_whole_marketplace_story(story):  # noqa: F811
    """The services' own path (award, signed contracts, a payout confirmed by the finance office, a
    released pledge, a matching campaign closed, a donation by bank transfer): the dashboard's
    reserved and paid totals are the ledger's."""
    from market.core import ledger
    from market.core.db import utcnow
    from market.stats.period import beijing_today

    official = next(u for u in _officials() if u.street_id is None)
    b = board(None, Period(date(2020, 1, 1), beijing_today(utcnow())), actor=official)
    k, m = ledger.AccountKind, ledger.Movement
    held = sum(ledger.balances(k.COMMITMENT).values()) + sum(ledger.balances(k.PLEDGE).values())
    paid = (-sum(ledger.movement_totals(k.COMMITMENT, m.PAYOUT).values())
            - sum(ledger.movement_totals(k.PLEDGE, m.PLEDGE_RELEASE).values())
            - sum(ledger.movement_totals(k.CAMPAIGN, m.CAMPAIGN_MATCH).values())
            + sum(ledger.movement_totals(k.PROJECT, m.DONATION).values())
            + sum(ledger.movement_totals(k.PROJECT, m.REFUND).values()))
    assert (b.reserved_cents, b.paid_cents) == (held, paid)
    assert held > 0 and paid > 0
    by_source = {s.source: s.paid_cents for s in b.money}
    assert by_source["donations"] == 4_000_000 + 100_000  # given to the public-benefit project; the bank transfer
    assert by_source["foundation"] > 1_234_567  # the released pledge, and the campaign's matching


def _officials():
    from sqlalchemy import select

    from market.accounts.models import Role, User
    from market.core.db import db

    return db.session.scalars(select(User).where(User.role == Role.OFFICIAL).order_by(User.id)).all()
