"""Projects: state machine, permissions, forms that keep the user's input, listings."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from market.accounts.models import Role
from market.core.audit import AuditEvent
from market.core.db import db
from market.core.errors import IllegalTransition
from market.core.state import transition
from market.projects.models import PROJECT_TRANSITIONS, Project, ProjectKind, ProjectStatus


@pytest.mark.parametrize("start", list(ProjectStatus))
def test_every_illegal_transition_raises(make_project, start):
    project = make_project(status=start)
    for target in ProjectStatus:
        if target in PROJECT_TRANSITIONS[start]:
            continue
        with pytest.raises(IllegalTransition):
            transition(project, target, actor=None)
        assert project.status == start


def test_legal_transition_is_audited(browser, make_user, make_project):
    official = make_user(Role.OFFICIAL)
    project = make_project(owner=official, status=ProjectStatus.DRAFT)
    browser.login(official)
    response = browser.post(f"/projects/{project.id}/status", {"status": "open"})
    assert response.status_code == 302
    db.session.refresh(project)
    assert project.status == ProjectStatus.OPEN and project.published_at is not None
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "project.status_changed"))
    assert event.before == {"status": "draft"} and event.after == {"status": "open"}
    assert event.actor_id == official.id and event.object_id == str(project.id)


def test_illegal_transition_over_http_is_a_409_and_changes_nothing(browser, make_user, make_project):
    official = make_user(Role.OFFICIAL)
    project = make_project(owner=official, status=ProjectStatus.DRAFT)
    browser.login(official)
    response = browser.post(f"/projects/{project.id}/status", {"status": "evaluating"})
    assert response.status_code == 409
    # Awarding and acceptance have their own processes; no button skips them.
    assert browser.post(f"/projects/{project.id}/status", {"status": "completed"}).status_code == 403
    db.session.refresh(project)
    assert project.status == ProjectStatus.DRAFT


def _form(category, geo, **overrides):
    data = {"kind": "government_service", "title": "莲花街道长者助餐服务", "title_en": "Meals for elders",
            "description": "为长者提供助餐。", "description_en": "", "category_id": category().id,
            "project_type": "service", "street_id": geo.streets[1].id, "community_id": "", "budget": "350000",
            "start_date": "2027-01-01", "end_date": "2027-12-31", "min_rating_grade": "3",
            "min_years_registered": "1", "min_staff": "3", "min_office_area_m2": "20"}
    data.update(overrides)
    return data


def test_official_creates_a_draft_project(browser, make_user, category, geo):
    browser.login(make_user(Role.OFFICIAL))
    response = browser.post("/projects/new", _form(category, geo))
    assert response.status_code == 302
    project = db.session.scalar(select(Project))
    assert project.status == ProjectStatus.DRAFT
    assert project.budget_cents == 35_000_000
    assert project.min_rating_grade == 3


def test_invalid_form_rerenders_with_input_and_writes_nothing(browser, make_user, category, geo):
    browser.login(make_user(Role.OFFICIAL))
    response = browser.post("/projects/new", _form(category, geo, budget="-5", end_date="2026-01-01"))
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "莲花街道长者助餐服务" in page  # the user's input is still there
    assert "Cannot be negative" in page
    assert db.session.scalar(select(func.count(Project.id))) == 0


def test_end_before_start_is_refused_by_the_service(browser, make_user, category, geo):
    browser.login(make_user(Role.OFFICIAL))
    response = browser.post("/projects/new", _form(category, geo, start_date="2027-05-01", end_date="2027-01-01"))
    assert response.status_code == 400
    assert "end date is before the start date" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count(Project.id))) == 0


def test_community_must_lie_in_the_street(browser, make_user, category, geo):
    browser.login(make_user(Role.OFFICIAL))
    response = browser.post("/projects/new", _form(category, geo, community_id=geo.communities[0].id))
    assert response.status_code == 400
    assert "not in the chosen street" in response.get_data(as_text=True)


def test_street_official_cannot_publish_for_another_street(browser, make_user, category, geo):
    browser.login(make_user(Role.OFFICIAL, street=geo.streets[0]))
    response = browser.post("/projects/new", _form(category, geo))  # street 2
    assert response.status_code == 403
    assert db.session.scalar(select(func.count(Project.id))) == 0


def test_street_official_cannot_move_a_project_into_another_street(browser, make_user, make_project, category, geo):
    """Attack: a street official created a project in their street, then edited it into a street they do not
    govern (or named only a community of that street): the project became the other street's business,
    written by an outsider. Moving it is refused and the project stays where it was."""
    official = make_user(Role.OFFICIAL, street=geo.streets[0])
    project = make_project(owner=official, status=ProjectStatus.DRAFT, street=geo.streets[0])
    browser.login(official)
    other_community = next(c for c in geo.communities if c.street_id == geo.streets[1].id)
    for moved in (_form(category, geo), _form(category, geo, street_id="", community_id=other_community.id)):
        response = browser.post(f"/projects/{project.id}/edit", moved)
        assert response.status_code == 403, moved
        db.session.expire_all()
        assert db.session.get(Project, project.id).street_id == geo.streets[0].id
    assert browser.post("/projects/new", _form(category, geo, street_id="",
                                               community_id=other_community.id)).status_code == 403
    assert browser.post(f"/projects/{project.id}/edit",
                        _form(category, geo, street_id=geo.streets[0].id)).status_code == 302
    district = make_user(Role.OFFICIAL)  # a district-wide official may place it anywhere
    browser.login(district)
    assert browser.post(f"/projects/{project.id}/edit", _form(category, geo)).status_code == 302
    db.session.expire_all()
    assert db.session.get(Project, project.id).street_id == geo.streets[1].id


def test_a_tendered_project_is_not_closed_or_reopened_by_hand(browser, make_user, make_project, geo):
    """Attack: the owner of a tender moved it to "evaluating" before its deadline, which put the project into
    the matching console where the bidders were listed: the sealed bids were exposed early. A tendered
    project leaves bidding only at its deadline; by hand it can only be cancelled."""
    from datetime import timedelta

    from market.core.db import utcnow

    official = make_user(Role.OFFICIAL, street=geo.streets[0])
    project = make_project(owner=official, street=geo.streets[0], bid_deadline=utcnow() + timedelta(days=5),
                           published_at=utcnow())
    browser.login(official)
    page = browser.get(f"/projects/{project.id}").get_data(as_text=True)
    assert 'value="evaluating"' not in page and 'value="cancelled"' in page
    response = browser.post(f"/projects/{project.id}/status", {"status": "evaluating"})
    assert response.status_code == 409
    assert "ends at its published deadline" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Project, project.id).status == ProjectStatus.OPEN
    assert browser.post(f"/projects/{project.id}/status", {"status": "cancelled"}).status_code == 302


def test_resident_cannot_create_projects(browser, make_user):
    browser.login(make_user(Role.RESIDENT))
    assert browser.get("/projects/new").status_code == 403


def test_provider_cannot_edit_another_organisations_project(browser, make_user, make_org, make_project):
    own_org, other_org = make_org(), make_org()
    other_member = make_user(Role.PROVIDER, organization=other_org)
    project = make_project(owner=other_member, kind=ProjectKind.PUBLIC_BENEFIT)
    intruder = make_user(Role.PROVIDER, organization=own_org)
    browser.login(intruder)
    assert browser.get(f"/projects/{project.id}/edit").status_code == 403
    assert browser.post(f"/projects/{project.id}/edit", {"title": "hijacked"}).status_code == 403
    assert browser.post(f"/projects/{project.id}/status", {"status": "cancelled"}).status_code == 403
    db.session.refresh(project)
    assert project.status == ProjectStatus.OPEN


def test_provider_member_of_same_org_can_edit(browser, make_user, make_org, make_project, category, geo):
    org = make_org()
    author = make_user(Role.PROVIDER, organization=org)
    colleague = make_user(Role.PROVIDER, organization=org)
    project = make_project(owner=author, kind=ProjectKind.PUBLIC_BENEFIT)
    browser.login(colleague)
    response = browser.post(f"/projects/{project.id}/edit",
                            _form(category, geo, kind="public_benefit", title="新标题"))
    assert response.status_code == 302
    db.session.refresh(project)
    assert project.title == "新标题"


def test_drafts_are_hidden_from_the_public(client, browser, make_project, make_user):
    draft = make_project(status=ProjectStatus.DRAFT)
    # A visitor is asked to log in, exactly as for a project that does not exist: nothing is revealed.
    hidden, missing = client.get(f"/projects/{draft.id}"), client.get("/projects/999999")
    assert hidden.status_code == missing.status_code == 302
    assert hidden.headers["Location"].split("?")[0] == missing.headers["Location"].split("?")[0]
    browser.login(make_user(Role.PROVIDER))
    assert browser.get(f"/projects/{draft.id}").status_code == 404
    assert client.get(f"/api/v1/projects/{draft.id}").status_code == 404
    assert client.get("/api/v1/projects").get_json()["total"] == 0


def test_listing_filters_and_pagination(client, make_project, geo):
    for n in range(25):
        make_project(budget_cents=(n + 1) * 1_000_000, street=geo.streets[n % 2])
    data = client.get(f"/api/v1/projects?street_id={geo.streets[1].id}&budget_min=100000&per_page=5&sort=budget_asc").get_json()
    budgets = [item["budget_cents"] for item in data["items"]]
    assert data["total"] == 8  # odd n from 9 to 23: street 2, budgets 100,000..240,000 yuan
    assert budgets == sorted(budgets) and budgets[0] == 10_000_000
    page = client.get("/projects/?per_page=10&page=3")
    assert page.status_code == 200
    assert "Page 3 of 3" in page.get_data(as_text=True)


def test_search_tolerates_typos_in_english_and_finds_chinese(client, make_project):
    make_project(title="福田街道独居老人助餐服务项目", title_en="Meal delivery for elderly people living alone")
    make_project(title="青少年心理健康辅导", title_en="Youth mental health counselling", category_code="mental_health")
    english = client.get("/api/v1/projects?q=eldery%20meal").get_json()
    assert [i["title_en"] for i in english["items"]][:1] == ["Meal delivery for elderly people living alone"]
    chinese = client.get("/api/v1/projects?q=心理辅导").get_json()
    assert chinese["items"][0]["title"] == "青少年心理健康辅导"
    assert chinese["total"] == 1
