"""One installation, several districts: the officials of one district (district-wide or of a street) can
neither act on nor read the non-public business of another district -- its projects and their review, its
matching runs, its funds and pools, its audit trail, its micro-project rounds -- while its own officials can."""
from __future__ import annotations

from datetime import date, timedelta
from zoneinfo import ZoneInfo

import pytest

from market.accounts.models import Role
from market.accounts.services import place_official, residents_awaiting_verification
from market.audit.services import AuditFilters, events_query
from market.core import policy
from market.core.db import db, utcnow
from market.core.errors import PermissionDenied, ValidationFailed
from market.funding.models import MatchingCampaign
from market.geo.models import ProjectType
from market.micro.models import MicroRound, RoundPhase
from market.micro.services.dashboard import dashboard_for
from market.orgs.models import OrgKind
from market.orgs.services import verification_queue
from market.payments.models import PaymentMethod, PaymentOrder, PaymentPurpose
from market.projects import services as projects
from market.projects.models import ProjectKind, ProjectStatus
from market.review import adapter
from market.review import services as review


@pytest.fixture(autouse=True)
def _request_context(app):
    with app.test_request_context():
        yield


def _draft(actor, street_id=None, title="福田区长者助餐服务"):
    from market.geo.services import categories_by_code

    data = projects.ProjectInput(kind=ProjectKind.GOVERNMENT_SERVICE, title=title, description="为长者提供助餐。",
                                 category_id=categories_by_code()["elderly_care"].id,
                                 project_type=ProjectType.SERVICE, budget_cents=10_000_000, street_id=street_id)
    project = projects.create_project(actor, data)
    db.session.commit()
    return project


def test_officials_are_placed_in_their_district(city, geo):
    assert city.a_official.district_id == geo.district.id and city.a_street_official.district_id == geo.district.id
    assert city.b_street_official.district_id == city.b.id  # the street's district follows
    with pytest.raises(ValidationFailed):  # a street of one district, the district of another
        place_official(city.b_official, street_id=geo.streets[0].id, district_id=city.b.id)
    with pytest.raises(ValidationFailed):  # every official belongs somewhere
        place_official(city.b_official)


def test_a_district_project_belongs_to_its_creators_district_and_is_not_another_districts(city, geo):
    project = _draft(city.a_official)  # no street: the district's own
    assert project.street_id is None and project.district_id == geo.district.id
    assert policy.can(city.a_official, "project.edit", project)
    assert policy.can(city.admin, "project.edit", project)
    assert not policy.can(city.a_street_official, "project.edit", project)  # not a street's business
    for intruder in city.intruders:
        assert not policy.can(intruder, "project.view", project)  # a draft: not public
        assert not policy.can(intruder, "project.edit", project)
        with pytest.raises(PermissionDenied):
            projects.change_status(intruder, project, ProjectStatus.OPEN)
    assert project.status == ProjectStatus.DRAFT


def test_an_official_places_projects_in_their_own_district_only(city, geo):
    with pytest.raises(PermissionDenied):
        _draft(city.b_official, street_id=geo.streets[0].id)
    project = _draft(city.b_official, street_id=city.b_street.id, title="罗湖区桂园街道长者助餐")
    assert project.district_id == city.b.id
    assert not policy.can(city.a_official, "project.edit", project)
    assert policy.can(city.b_street_official, "project.edit", project)


def test_the_matching_console_of_one_district_neither_lists_nor_matches_anothers_projects(city, geo, make_project):
    evaluating = make_project(owner=city.a_official, status=ProjectStatus.EVALUATING)
    district_wide = make_project(owner=city.a_official, status=ProjectStatus.EVALUATING, street=None)
    district_wide.street_id = None
    db.session.commit()
    assert district_wide.district_id == geo.district.id
    for intruder in city.intruders:
        listed = set(db.session.scalars(review.matchable_query(intruder, "evaluating")).all())
        assert evaluating not in listed and district_wide not in listed
        assert not policy.can(intruder, "match.decide", evaluating)
        assert not policy.can(intruder, "match.decide", district_wide)
        with pytest.raises(ValidationFailed):
            review.start_run(intruder, [evaluating.id], adapter.RunOptions(time_limit=5), now=utcnow())
    own = set(db.session.scalars(review.matchable_query(city.a_official, "evaluating")).all())
    assert {evaluating, district_wide} <= own


def test_a_districts_matching_run_is_hidden_from_another_district(city, make_project):
    project = make_project(owner=city.a_official, status=ProjectStatus.EVALUATING)
    run = review.start_run(city.a_official, [project.id], adapter.RunOptions(time_limit=5), now=utcnow())
    db.session.commit()
    assert run.street_id is None and run.district_id == city.a.id
    assert review.can_see_run(city.a_official, run) and run in review.recent_runs(city.a_official)
    for intruder in city.intruders:
        assert not review.can_see_run(intruder, run)
        assert run not in review.recent_runs(intruder)


def test_a_districts_fund_is_not_another_districts(city, geo, make_org, make_pool):
    department = make_org(OrgKind.GOVERNMENT, categories=(), home_street_id=None, district_id=geo.district.id)
    fund = make_pool(funder=department)
    appropriation = PaymentOrder(purpose=PaymentPurpose.APPROPRIATION, method=PaymentMethod.BANK_TRANSFER,
                                 pool=fund, pool_id=fund.id, payer_id=city.a_street_official.id, amount_cents=100)
    campaign = MatchingCampaign(pool=fund)
    assert fund.policy_scope().district_id == geo.district.id
    assert policy.can(city.a_official, "payment.confirm", appropriation)
    assert policy.can(city.a_official, "campaign.close", campaign)
    for intruder in city.intruders:
        assert not policy.can(intruder, "payment.confirm", appropriation)
        assert not policy.can(intruder, "payment.view", appropriation)
        assert not policy.can(intruder, "payment.refund", appropriation)
        assert not policy.can(intruder, "campaign.close", campaign)
        assert not policy.can(intruder, "pool.manage", fund)
    db.session.rollback()  # the unsaved order and campaign were cascaded into the session with the pool


def test_the_audit_trail_of_one_district_is_not_read_in_another(city, geo, make_project):
    project = _draft(city.a_official)  # the district's: no street
    street_project = make_project(owner=city.a_official)
    projects.update_project(city.a_official, street_project, projects.ProjectInput(
        kind=street_project.kind, title=street_project.title + "（修订）", description=street_project.description,
        category_id=street_project.category_id, project_type=street_project.project_type,
        budget_cents=street_project.budget_cents, street_id=street_project.street_id))
    db.session.commit()

    def objects(reader):
        rows = db.session.scalars(events_query(AuditFilters(object_type="projects"), zone=ZoneInfo("Asia/Shanghai"),
                                               reader=reader)).all()
        return {event.object_id for event in rows}

    mine = {str(project.id), str(street_project.id)}
    assert objects(city.a_official) >= mine and objects(city.admin) >= mine
    assert str(project.id) in objects(city.a_street_official)  # their district's own record
    for intruder in city.intruders:
        assert not objects(intruder) & mine


def test_micro_rounds_of_one_district_are_managed_there_only(city, geo):
    round_ = MicroRound(title="岗厦社区2027年民生微实事", title_en="Gangxia 2027", year=2027, street_id=geo.streets[0].id,
                        community_id=geo.communities[0].id, official_id=city.a_street_official.id,
                        phase=RoundPhase.VOTING, budget_cents=100_000_000, ballot_salt="s",
                        voting_opens_at=utcnow() - timedelta(days=1), voting_closes_at=utcnow() + timedelta(days=1))
    db.session.add(round_)
    db.session.commit()
    assert policy.can(city.a_official, "round.manage", round_)
    assert policy.can(city.a_street_official, "round.manage", round_)
    assert round_ in dashboard_for(city.a_official).open_rounds
    for intruder in city.intruders:
        assert not policy.can(intruder, "round.manage", round_)
        assert not policy.can(intruder, "proposal.review", round_)
        assert round_ not in dashboard_for(intruder).open_rounds


def test_queues_of_one_district_leave_out_anothers_organisations_and_residents(city, geo, make_org, make_user):
    org = make_org(verified=False)
    resident = make_user(Role.RESIDENT, community=geo.communities[0], verified=False)
    assert org in db.session.scalars(verification_queue(city.a_official)).all()
    assert resident in db.session.scalars(residents_awaiting_verification(city.a_official)).all()
    for intruder in city.intruders:
        assert not policy.can(intruder, "organization.verify", org)
        assert not policy.can(intruder, "resident.verify", resident)
        assert org not in db.session.scalars(verification_queue(intruder)).all()
        assert resident not in db.session.scalars(residents_awaiting_verification(intruder)).all()


def test_an_official_without_a_district_governs_nothing(city, geo, make_project):
    project = make_project(owner=city.a_official)
    stray = city.b_official
    stray.district_id = None
    db.session.commit()
    assert not policy.can(stray, "project.edit", project)
    assert not policy.can(stray, "payment.refund", project)
    assert policy.district_filter(stray) == policy.NO_DISTRICT


def test_the_district_project_page_is_refused_to_another_districts_official(city, make_browser):
    project = _draft(city.a_official)
    browser = make_browser()
    browser.login(city.b_official)
    assert browser.get(f"/projects/{project.id}").status_code in (403, 404)
    assert browser.get(f"/projects/{project.id}/edit").status_code in (403, 404)
    own = make_browser()
    own.login(city.a_official)
    assert own.get(f"/projects/{project.id}/edit").status_code == 200


def test_statistics_of_another_district_are_refused_and_a_districts_own_are_limited_to_it(city, geo, make_project):
    from market.stats.period import Period
    from market.stats.services import dashboard, officials_filters

    period = Period(date.today() - timedelta(days=30), date.today() + timedelta(days=1))
    with pytest.raises(PermissionDenied):
        officials_filters(city.b_official, period, street_id=geo.streets[0].id)
    own = officials_filters(city.b_official, period)
    assert own.district_id == city.b.id and own.street_id is None
    make_project(owner=city.a_official, published_at=utcnow())
    assert dashboard(own, "zh").projects_total.published == 0
    assert dashboard(officials_filters(city.a_official, period), "zh").projects_total.published == 1


def test_a_districts_department_answers_its_own_districts_matters_only(city, geo, make_org, category):
    from market.micro.services import routing

    department = make_org(OrgKind.GOVERNMENT, categories=(), home_street_id=None, district_id=geo.district.id,
                          serves_whole_district=True)
    routing.set_category_route(city.a_official, city.a, category("health"), department.id)
    db.session.commit()
    assert routing.office_for(geo.streets[0].id, category("health").id) == (department, True)
    assert routing.office_for(city.b_street.id, category("health").id) == (None, False)  # B's street answers
    assert department not in routing.departments(city.b.id) and department in routing.departments(city.a.id)
    with pytest.raises(ValidationFailed):  # B's officials cannot hand B's matters to A's department
        routing.set_category_route(city.b_official, city.b, category("elderly_care"), department.id)
