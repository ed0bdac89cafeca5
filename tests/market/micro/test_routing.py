"""Routing (自动分派): proposals and flags go to the street office or a district department, with
working-day clocks, escalation to the district, queues, and the category map; suggestions (自动分类)."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from market.accounts.models import Role
from market.core.audit import AuditEvent
from market.core.calendar import BEIJING, add_working_days
from market.core.db import db
from market.core.errors import Conflict, PermissionDenied, ValidationFailed
from market.geo.models import District, ProjectType
from market.micro.models import FlagKind, Proposal, ProposalStatus, RoundPhase, RoutedItem
from market.micro.services import proposals, review, routing, supervision
from market.notifications.models import Notification
from market.orgs.models import OrgKind

# Wednesday 30 September 2026, 10:00 in Beijing: the National Day holiday runs 1-7 October and
# Saturday 10 October is a make-up working day.
BEFORE_NATIONAL_DAY = datetime(2026, 9, 30, 2, 0, tzinfo=UTC)
# Friday 27 November 2026, 10:00 in Beijing: the clocks run over a weekend.
FRIDAY = datetime(2026, 11, 27, 2, 0, tzinfo=UTC)


def _beijing(value: datetime) -> str:
    return value.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M")


@pytest.fixture
def offices(make_org, geo, make_user):
    """Each street's office, two district departments, and their officials."""
    street_offices = [make_org(OrgKind.GOVERNMENT, name=f"{s.name}办事处", home_street_id=s.id, categories=())
                      for s in geo.streets]
    health = make_org(OrgKind.GOVERNMENT, name="福田区卫生健康局", home_street_id=None, serves_whole_district=True,
                      categories=())
    education = make_org(OrgKind.GOVERNMENT, name="福田区教育局", home_street_id=None, serves_whole_district=True,
                         categories=())

    class Offices:
        pass

    o = Offices()
    o.street = street_offices
    o.health, o.education = health, education
    o.street_official = make_user(Role.OFFICIAL, street=geo.streets[0], organization=street_offices[0])
    o.other_street_official = make_user(Role.OFFICIAL, street=geo.streets[1], organization=street_offices[1])
    o.health_official = make_user(Role.OFFICIAL, organization=health)
    o.education_official = make_user(Role.OFFICIAL, organization=education)
    o.district = make_user(Role.OFFICIAL)
    o.admin = make_user(Role.ADMIN)
    return o


@pytest.fixture
def submit(app, make_round, make_user, category, tmp_path):
    """submit(text, category_code, now=...) -> a proposal submitted by a verified resident of the round (the
    community's one round under way unless told)."""
    rounds = []

    def make(title="长者饭堂桌椅更新", code="elderly_care", *, now=BEFORE_NATIONAL_DAY, round_=None, author=None,
             description="为社区长者饭堂更换桌椅，方便长者就餐。"):
        if round_ is None:
            rounds[:] = rounds or [make_round()]
            round_ = rounds[0]
        author = author or make_user(Role.RESIDENT, community=round_.community)
        proposal = proposals.create_proposal(author, round_, proposals.ProposalInput(
            title=title, description=description, category_id=category(code).id if code else None,
            project_type=ProjectType.GOODS, place="社区党群服务中心", estimated_cost_cents=5_000_000),
            submit=True, upload_dir=tmp_path, now=now)
        db.session.commit()
        return proposal

    return make


def _district(official) -> District:
    return db.session.get(District, official.district_id)


def _item(proposal) -> RoutedItem:
    return routing.item_of(proposal=proposal)


# ---------------------------------------------------------------- where items go

def test_a_proposal_goes_to_its_street_office_by_default(offices, submit, geo):
    proposal = submit()
    item = _item(proposal)
    assert item.office_id == offices.street[0].id and not item.to_department and item.street_id == geo.streets[0].id
    told = set(db.session.scalars(select(Notification.user_id).where(Notification.kind == "micro.item_routed")))
    assert offices.street_official.id in told
    assert offices.other_street_official.id not in told and offices.health_official.id not in told
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "micro.item_routed"))
    assert event.object_id == str(item.id) and event.after["office_id"] == offices.street[0].id


def test_a_category_mapped_to_a_department_goes_to_the_department(offices, submit, category):
    routing.set_category_route(offices.district, _district(offices.district), category("health"), offices.health.id)
    db.session.commit()
    proposal = submit("社区义诊", "health", description="每月请社康医生来量血压。")
    item = _item(proposal)
    assert item.office_id == offices.health.id and item.to_department
    told = set(db.session.scalars(select(Notification.user_id).where(Notification.kind == "micro.item_routed")))
    assert told == {offices.health_official.id}
    # other categories still go to the street office
    assert _item(submit()).office_id == offices.street[0].id


def test_the_category_map_is_kept_by_district_officials_and_audited(offices, category, browser):
    health = category("health")
    with pytest.raises(PermissionDenied):
        routing.set_category_route(offices.street_official, _district(offices.district), health, offices.health.id)
    with pytest.raises(ValidationFailed):  # a street office is not a department
        routing.set_category_route(offices.district, _district(offices.district), health, offices.street[1].id)
    routing.set_category_route(offices.district, _district(offices.district), health, offices.health.id)
    routing.set_category_route(offices.district, _district(offices.district), health, offices.education.id)
    routing.set_category_route(offices.district, _district(offices.district), health, None)
    db.session.commit()
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "micro.category_route_set")
                                .order_by(AuditEvent.seq)).all()
    assert [(e.before["office_id"], e.after["office_id"]) for e in events] == [
        (None, offices.health.id), (offices.health.id, offices.education.id), (offices.education.id, None)]
    assert routing.category_routes(_district(offices.district)) == {}

    browser.login(offices.street_official)
    assert browser.get("/micro/routing").status_code == 403
    assert browser.post("/micro/routing", {f"office_{health.id}": offices.health.id}).status_code == 403
    browser.logout()
    browser.login(offices.district)
    assert browser.get("/micro/routing").status_code == 200
    bad = browser.post("/micro/routing", {f"office_{health.id}": str(offices.street[0].id)})
    assert bad.status_code == 400 and routing.category_routes(_district(offices.district)) == {}
    assert browser.post("/micro/routing", {f"office_{health.id}": str(offices.health.id)}).status_code == 302
    assert routing.category_routes(_district(offices.district))[health.id].office_id == offices.health.id


def test_a_street_without_an_office_on_the_platform_is_answered_by_its_officials(submit, street_official):
    item = _item(submit())
    assert item.office_id is None and not item.to_department
    assert routing.queue_for(street_official, now=BEFORE_NATIONAL_DAY)[0].item.id == item.id


# ---------------------------------------------------------------- clocks, queue, escalation

def test_deadlines_count_working_days_across_the_national_day_holiday(offices, submit, browser):
    item = _item(submit(now=BEFORE_NATIONAL_DAY))
    # 2 working days: 8 and 9 October; 5: 8, 9, 10 (a make-up Saturday), 12 and 13 October.
    assert _beijing(item.ack_due_at) == "2026-10-10 00:00"
    assert _beijing(item.review_due_at) == "2026-10-14 00:00"
    assert item.ack_due_at == add_working_days(BEFORE_NATIONAL_DAY, 2)
    during_holiday = datetime(2026, 10, 6, 2, 0, tzinfo=UTC)
    (entry,) = routing.queue_for(offices.street_official, now=during_holiday)
    assert entry.age_days == 6 and not entry.ack_overdue and not entry.review_overdue
    assert routing.escalate_overdue(now=during_holiday) == []


def test_deadlines_skip_the_weekend(offices, submit):
    item = _item(submit(now=FRIDAY))
    assert _beijing(item.ack_due_at) == "2026-12-02 00:00"  # Monday and Tuesday
    assert _beijing(item.review_due_at) == "2026-12-05 00:00"  # to Friday 4 December
    monday = datetime(2026, 11, 30, 2, 0, tzinfo=UTC)
    (entry,) = routing.queue_for(offices.street_official, now=monday)
    assert entry.age_days == 3 and not entry.ack_overdue


def test_a_missed_deadline_escalates_once_audited_and_district_officials_see_it(offices, submit, browser):
    proposal = submit(now=FRIDAY)
    item = _item(proposal)
    wednesday = datetime(2026, 12, 2, 1, 0, tzinfo=UTC)  # 09:00: the acknowledge clock ran out at midnight
    assert routing.queue_for(offices.district, now=wednesday) == []  # not escalated yet
    assert [i.id for i in routing.escalate_overdue(now=wednesday)] == [item.id]
    db.session.commit()
    assert routing.escalate_overdue(now=wednesday + timedelta(hours=1)) == []  # idempotent
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "micro.item_escalated")).all()
    assert [e.after["missed"] for e in events] == ["acknowledge"] and events[0].actor_id is None
    assert db.session.scalar(select(func.count(Notification.id)).where(
        Notification.kind == "micro.item_escalated", Notification.user_id == offices.district.id)) == 1
    (entry,) = routing.queue_for(offices.district, now=wednesday)
    assert entry.item.escalated and entry.ack_overdue
    # the review clock is its own: it escalates once more when it runs out
    saturday = datetime(2026, 12, 5, 1, 0, tzinfo=UTC)
    assert [i.id for i in routing.escalate_overdue(now=saturday)] == [item.id]
    assert routing.escalate_overdue(now=saturday) == []
    assert db.session.scalar(select(func.count(AuditEvent.id)).where(AuditEvent.action == "micro.item_escalated")) == 2


def test_the_queue_page_escalates_when_viewed_and_shows_a_badge(offices, submit, browser):
    proposal = submit(title="长者饭堂桌椅更新", now=datetime(2020, 3, 2, 2, 0, tzinfo=UTC))
    browser.login(offices.district)
    page = browser.get("/micro/queue")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "长者饭堂桌椅更新" in html and "Escalated" in html
    assert _item(proposal).ack_escalated_at is not None
    browser.get("/micro/queue")
    assert db.session.scalar(select(func.count(AuditEvent.id)).where(AuditEvent.action == "micro.item_escalated")) == 2


def test_acknowledging_stops_its_clock_and_reviewing_closes_the_item(offices, submit, make_round):
    round_ = make_round()
    proposal = submit(now=FRIDAY, round_=round_)
    item = _item(proposal)
    monday = datetime(2026, 11, 30, 2, 0, tzinfo=UTC)
    routing.acknowledge(offices.street_official, item, now=monday)
    db.session.commit()
    with pytest.raises(Conflict):
        routing.acknowledge(offices.street_official, item, now=monday)
    wednesday = datetime(2026, 12, 2, 2, 0, tzinfo=UTC)
    assert routing.escalate_overdue(now=wednesday) == []  # acknowledged in time: no escalation
    (entry,) = routing.queue_for(offices.street_official, now=wednesday)
    assert not entry.ack_overdue
    review.review_proposal(offices.street_official, proposal, review.ReviewDecision(
        review.ReviewOutcome.FEASIBLE, 5_000_000), now=wednesday)
    db.session.commit()
    assert _item(proposal).reviewed_at == wednesday
    assert routing.queue_for(offices.street_official, now=wednesday) == []
    assert routing.escalate_overdue(now=wednesday + timedelta(days=30)) == []


def test_a_resubmitted_proposal_restarts_the_clocks(offices, submit, tmp_path):
    proposal = submit(now=FRIDAY)
    review.review_proposal(offices.street_official, proposal, review.ReviewDecision(
        review.ReviewOutcome.NEEDS_CHANGES, reason="请写明地点。"), now=FRIDAY + timedelta(days=1))
    later = datetime(2026, 12, 7, 2, 0, tzinfo=UTC)
    proposals.submit_proposal(proposal.author, proposal, now=later)
    db.session.commit()
    item = _item(proposal)
    assert item.is_open and item.routed_at == later and item.ack_due_at == add_working_days(later, 2)


def test_merging_a_duplicate_closes_its_item(offices, submit, make_round):
    round_ = make_round()
    first, second = submit(round_=round_), submit(round_=round_)
    proposals.merge_proposals(offices.street_official, second, first)
    db.session.commit()
    assert not _item(second).is_open and _item(first).is_open


def test_queues_show_each_office_its_own_items(offices, submit, category):
    routing.set_category_route(offices.district, _district(offices.district), category("health"), offices.health.id)
    street_item = _item(submit(now=FRIDAY))
    health_item = _item(submit("社区义诊", "health", now=FRIDAY))
    monday = datetime(2026, 11, 30, 2, 0, tzinfo=UTC)

    def ids(official):
        return [e.item.id for e in routing.queue_for(official, now=monday)]

    assert ids(offices.street_official) == [street_item.id]
    assert ids(offices.health_official) == [health_item.id]
    assert ids(offices.other_street_official) == [] and ids(offices.education_official) == []
    assert sorted(ids(offices.admin)) == sorted([street_item.id, health_item.id])


# ---------------------------------------------------------------- flags

def test_a_raised_flag_is_routed_with_its_own_deadline_and_escalates(offices, engaged_project, make_user):
    project, *_ = engaged_project()
    resident = make_user(Role.RESIDENT)
    flag = supervision.raise_flag(resident, project, FlagKind.SAFETY, "围挡有缺口。", now=FRIDAY)
    db.session.commit()
    item = routing.item_of(flag=flag)
    assert item.office_id == offices.street[0].id and item.review_due_at == flag.due_at
    assert item.ack_due_at <= flag.due_at
    (entry,) = routing.queue_for(offices.street_official, now=FRIDAY)
    assert entry.kind == "flag" and entry.link.endswith(f"#flag-{flag.id}")
    after_due = flag.due_at + timedelta(hours=1)
    assert [i.id for i in routing.escalate_overdue(now=after_due)] == [item.id]
    supervision.answer_flag(project.owner, flag, "已处理。", now=after_due)
    db.session.commit()
    assert not routing.item_of(flag=flag).is_open


# ---------------------------------------------------------------- jurisdiction, from the attacker's side

def test_an_official_of_another_street_cannot_acknowledge_or_reroute(offices, submit, browser):
    item = _item(submit())
    with pytest.raises(PermissionDenied):
        routing.acknowledge(offices.other_street_official, item)
    with pytest.raises(PermissionDenied):
        routing.reroute(offices.other_street_official, item, offices.health.id)
    browser.login(offices.other_street_official)
    assert browser.post(f"/micro/routed/{item.id}/acknowledge").status_code == 403
    assert browser.post(f"/micro/routed/{item.id}/reroute", {"office_id": offices.health.id}).status_code == 403
    db.session.expire_all()
    assert _item(item.proposal).acknowledged_at is None and _item(item.proposal).office_id == offices.street[0].id


def test_a_department_item_is_not_the_street_officials(offices, submit, category):
    routing.set_category_route(offices.district, _district(offices.district), category("health"), offices.health.id)
    item = _item(submit("社区义诊", "health"))
    for intruder in (offices.street_official, offices.other_street_official):
        with pytest.raises(PermissionDenied):
            routing.acknowledge(intruder, item)
    routing.acknowledge(offices.health_official, item)
    assert item.acknowledged_by_id == offices.health_official.id


def test_residents_cannot_touch_items_and_have_no_queue(offices, submit, browser, make_user):
    proposal = submit()
    item = _item(proposal)
    browser.login(proposal.author)
    assert browser.get("/micro/queue").status_code == 403
    assert browser.post(f"/micro/routed/{item.id}/acknowledge").status_code == 403
    assert browser.post(f"/micro/routed/{item.id}/reroute", {"office_id": offices.health.id}).status_code == 403


def test_rerouting_goes_to_a_department_or_back_to_the_street_office_only(offices, submit, browser):
    item = _item(submit())
    with pytest.raises(ValidationFailed):  # another street's office
        routing.reroute(offices.street_official, item, offices.street[1].id)
    with pytest.raises(ValidationFailed):
        routing.reroute(offices.street_official, item, None)
    browser.login(offices.street_official)
    response = browser.post(f"/micro/routed/{item.id}/reroute", {"office_id": offices.health.id})
    assert response.status_code == 302
    db.session.expire_all()
    item = db.session.get(RoutedItem, item.id)
    assert item.office_id == offices.health.id and item.to_department
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "micro.item_rerouted"))
    assert event.before["office_id"] == offices.street[0].id and event.after["office_id"] == offices.health.id
    # now it is the department's: the street official may no longer act on it
    assert browser.post(f"/micro/routed/{item.id}/acknowledge").status_code == 403
    browser.logout()
    browser.login(offices.health_official)
    assert browser.post(f"/micro/routed/{item.id}/acknowledge").status_code == 302


# ---------------------------------------------------------------- what residents see

def test_the_proposal_page_shows_the_office_and_deadlines_not_the_officials(offices, submit, client):
    proposal = submit(now=BEFORE_NATIONAL_DAY)
    html = client.get(f"/micro/proposals/{proposal.id}").get_data(as_text=True)
    import re
    routed = re.search(r'<p class="routing" id="routing">(.*?)</p>', html, re.S).group(1)
    assert offices.street[0].name_en in routed
    assert "Oct 10, 2026" in routed and "Oct 14, 2026" in routed
    assert offices.street_official.display_name not in html and offices.street_official.email not in html


# ---------------------------------------------------------------- category suggestions

def test_an_empty_category_is_suggested_from_the_text(offices, submit, category):
    proposal = submit("楼道电动车充电太危险", None, description="很多人把电动车推进楼道充电，怕着火，想建个集中充电棚。")
    assert proposal.category_id == category("public_safety").id


def test_a_text_without_known_words_asks_for_a_category(app, make_round, make_user, tmp_path):
    round_ = make_round()
    author = make_user(Role.RESIDENT, community=round_.community)
    with pytest.raises(ValidationFailed) as error:
        proposals.create_proposal(author, round_, proposals.ProposalInput(
            title="zzzqqq", description="xxyyzz", category_id=None, project_type=ProjectType.GOODS, place="这里",
            estimated_cost_cents=100), submit=True, upload_dir=tmp_path)
    assert "category_id" in error.value.fields
    db.session.rollback()
    assert db.session.scalar(select(func.count(Proposal.id))) == 0


def test_the_form_suggests_without_javascript(offices, make_round, make_user, browser, category):
    round_ = make_round()
    resident = make_user(Role.RESIDENT, community=round_.community)
    browser.login(resident)
    form = {"title": "小区篮球场没有灯", "description": "晚上打篮球看不见，篮球架也锈了，想装灯换篮板。",
            "category_id": "", "project_type": "goods", "place": "篮球场", "estimated_cost": "20000"}
    page = browser.post(f"/micro/rounds/{round_.id}/proposals/new", {**form, "suggest": "1"})
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    culture = category("culture_sports")
    assert f'<option selected value="{culture.id}">' in html or f'value="{culture.id}" selected' in html
    assert db.session.scalar(select(func.count(Proposal.id))) == 0  # nothing saved
    # Asking before the place and the estimate are filled in suggests too, with no errors shown yet.
    early = browser.post(f"/micro/rounds/{round_.id}/proposals/new",
                         {**form, "place": "", "estimated_cost": "", "suggest": "1"})
    assert early.status_code == 200 and 'class="error"' not in early.get_data(as_text=True)
    assert f'value="{culture.id}" selected' in early.get_data(as_text=True) \
        or f'<option selected value="{culture.id}">' in early.get_data(as_text=True)
    assert browser.post(f"/micro/rounds/{round_.id}/proposals/new", {**form, "submit": "1"}).status_code == 302
    proposal = db.session.scalar(select(Proposal))
    assert proposal.category_id == culture.id and proposal.status == ProposalStatus.SUBMITTED
    # the resident's own choice wins over the suggestion
    chosen = {**form, "category_id": str(category("youth").id), "submit": "1"}
    assert browser.post(f"/micro/rounds/{round_.id}/proposals/new", chosen).status_code == 302
    assert db.session.scalars(select(Proposal.category_id).order_by(Proposal.id)).all()[-1] == category("youth").id


def test_the_suggestion_endpoint(app, client, category):
    response = client.get("/micro/category-suggestions", query_string={"q": "楼道灯坏了，晚上太黑，换成感应灯"})
    assert response.status_code == 200
    items = response.get_json()["items"]
    assert len(items) == 3 and items[0]["id"] == category("facilities_works").id
    assert items[0]["score"] >= items[1]["score"] >= items[2]["score"]


@pytest.mark.parametrize("query", ["", "   ", "!!!???", "\x00\x01\x02", "12345", "😀😀😀"])
def test_the_suggestion_endpoint_answers_nonsense_with_no_suggestion(app, client, query):
    response = client.get("/micro/category-suggestions", query_string={"q": query})
    assert response.status_code == 200 and response.get_json() == {"items": []}


def test_the_suggestion_endpoint_refuses_missing_and_overlong_text(app, client):
    missing = client.get("/micro/category-suggestions")
    assert missing.status_code == 400 and "q" in missing.get_json()["error"]["fields"]
    overlong = client.get("/micro/category-suggestions", query_string={"q": "长者" * 5000})
    assert overlong.status_code == 400 and "q" in overlong.get_json()["error"]["fields"]
    bad_bytes = client.get("/micro/category-suggestions?q=%ff%fe%fd")
    assert bad_bytes.status_code in (200, 400)


# ---------------------------------------------------------------- the periodic job

def test_flask_micro_escalate(app, offices, submit):
    submit(now=datetime(2020, 3, 2, 2, 0, tzinfo=UTC))
    runner = app.test_cli_runner()
    first = runner.invoke(args=["micro", "escalate"])
    assert first.exit_code == 0 and "proposal" in first.output
    second = runner.invoke(args=["micro", "escalate"])
    assert second.exit_code == 0 and "proposal" not in second.output
    assert db.session.scalar(select(func.count(AuditEvent.id)).where(AuditEvent.action == "micro.item_escalated")) == 2


def test_routing_needs_no_round_phase_change(offices, submit):
    """Routing happens at submission, whatever the round later does."""
    proposal = submit()
    assert proposal.round.phase == RoundPhase.COLLECTION and _item(proposal) is not None
