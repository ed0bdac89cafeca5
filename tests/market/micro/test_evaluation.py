"""Acceptance and rating: state changes through the models' machines, one rating per resident,
and the provider reputation the matcher reads."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from market.accounts.models import Role
from market.contracts.models import ContractStatus
from market.core.audit import AuditEvent
from market.core.db import db, utcnow
from market.core.errors import Conflict, IllegalTransition
from market.micro.models import Acceptance, Rating
from market.micro.services import evaluation
from market.notifications.models import Notification
from market.projects.models import ProjectStatus

STARS = {"quality": "5", "timeliness": "4", "communication": "5", "value_for_money": "4", "comment": "很好"}


def test_responsible_official_records_acceptance(browser, make_browser, make_user, engaged_project, street_official,
                                                 geo):
    project, contract, _org, _member = engaged_project()
    resident = make_user(Role.RESIDENT)
    url = f"/micro/projects/{project.id}/accept"
    other = make_browser()
    other.login(make_user(Role.OFFICIAL, street=geo.streets[0]))  # same street, but not responsible
    assert other.get(url).status_code == 403
    browser.login(street_official)
    assert browser.get(url).status_code == 200
    assert browser.post(url, {"report": "", "rating_days": "30"}).status_code == 400
    response = browser.post(url, {"report": "2027年5月12日现场验收：桌椅40套，安装牢固，符合合同要求。", "rating_days": "30"})
    assert response.status_code == 302
    db.session.refresh(project)
    db.session.refresh(contract)
    assert project.status == ProjectStatus.COMPLETED and contract.status == ContractStatus.COMPLETED
    acceptance = db.session.scalar(select(Acceptance))
    assert acceptance.rating_closes_at - acceptance.rating_opens_at == timedelta(days=30)
    assert db.session.scalar(select(Notification.kind).where(Notification.user_id == resident.id)) == "micro.rating_open"
    actions = set(db.session.scalars(select(AuditEvent.action)))
    assert {"project.completed", "contract.completed", "micro.project_accepted"} <= actions
    assert browser.post(url, {"report": "again", "rating_days": "30"}).status_code == 409


def test_acceptance_needs_a_project_in_progress(engaged_project, street_official):
    project, *_ = engaged_project(status=ProjectStatus.AWARDED)
    with pytest.raises(IllegalTransition):
        evaluation.accept_project(street_official, project, "验收")
    db.session.rollback()
    assert db.session.scalar(select(func.count(Acceptance.id))) == 0


def test_acceptance_needs_an_engaged_provider(make_project, street_official, geo):
    from market.projects.models import ProjectKind

    project = make_project(kind=ProjectKind.MICRO, status=ProjectStatus.IN_PROGRESS, owner=street_official,
                           community=geo.communities[0])
    with pytest.raises(Conflict, match="No provider is engaged"):
        evaluation.accept_project(street_official, project, "验收")


def _accepted(engaged_project, street_official, **kwargs):
    project, contract, org, member = engaged_project(**kwargs)
    evaluation.accept_project(street_official, project, "验收合格")
    db.session.commit()
    return project, contract, org


def test_residents_rate_once(browser, make_user, engaged_project, street_official):
    project, contract, org = _accepted(engaged_project, street_official)
    browser.login(make_user(Role.RESIDENT))
    url = f"/micro/projects/{project.id}/rate"
    assert browser.get(url).status_code == 200
    response = browser.post(url, {**STARS, "quality": "0"})
    assert response.status_code == 400 and "很好" in response.get_data(as_text=True)
    assert browser.post(url, STARS).status_code == 302
    response = browser.post(url, STARS)
    assert response.status_code == 409 and "already rated" in response.get_data(as_text=True)
    rating = db.session.scalar(select(Rating))
    assert rating.provider_id == org.id and rating.stars == 4.5
    assert "4.5" in browser.get(f"/micro/projects/{project.id}").get_data(as_text=True)


def test_database_allows_one_rating_per_resident(make_user, engaged_project, street_official):
    project, _contract, org = _accepted(engaged_project, street_official)
    user = make_user(Role.RESIDENT)
    for _ in range(2):
        db.session.add(Rating(project_id=project.id, user_id=user.id, provider_id=org.id, quality=5, timeliness=5,
                              communication=5, value_for_money=5))
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()


def test_rating_refused_outside_the_period_and_community(browser, make_user, engaged_project, street_official, geo):
    project, *_ = engaged_project()
    resident = make_user(Role.RESIDENT)
    with pytest.raises(Conflict, match="not open"):
        evaluation.rate_project(resident, project, {k: 4 for k in ("quality", "timeliness", "communication",
                                                                   "value_for_money")})
    evaluation.accept_project(street_official, project, "验收合格", rating_days=30)
    db.session.commit()
    with pytest.raises(Conflict, match="not open"):
        evaluation.rate_project(resident, project, {"quality": 4, "timeliness": 4, "communication": 4,
                                                    "value_for_money": 4}, now=utcnow() + timedelta(days=31))
    browser.login(make_user(Role.RESIDENT, community=geo.communities[1]))
    response = browser.post(f"/micro/projects/{project.id}/rate", STARS)
    assert response.status_code == 403
    assert db.session.scalar(select(func.count(Rating.id))) == 0


def test_reputation_is_a_bayesian_average(make_user, engaged_project, street_official, make_org, client):
    project, _contract, org = _accepted(engaged_project, street_official)
    one = make_user(Role.RESIDENT)
    evaluation.rate_project(one, project, {"quality": 5, "timeliness": 5, "communication": 5, "value_for_money": 5})
    db.session.commit()
    totals = evaluation.provider_rating_totals([org.id, make_org().id])
    assert totals == {org.id: (5.0, 1)}
    reputation = evaluation.provider_reputation(org.id)
    # One 5-star rating does not make a 5-star provider: (3*5 + 5) / 6 = 3.33 stars.
    assert reputation.count == 1 and reputation.average == 5.0
    assert reputation.stars == pytest.approx(20 / 6)
    page = client.get(f"/organizations/{org.id}").get_data(as_text=True)
    assert "Residents&#39; rating" in page or "Residents' rating" in page
    assert "3.3" in page


def test_rating_totals_for_no_ids():
    assert evaluation.provider_rating_totals([]) == {}
