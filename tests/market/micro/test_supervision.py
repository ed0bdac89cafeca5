"""Implementation: following, progress updates with photos, flags with an answer deadline, comments."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from market.accounts.models import Role
from market.contracts.models import MilestoneStatus
from market.core.audit import AuditEvent, verify_chain
from market.core.calendar import add_working_days
from market.core.db import db, utcnow
from market.micro.models import Flag, FlagStatus, Follow, Photo, ProgressUpdate
from market.micro.services import supervision
from market.notifications.models import Notification
from market.projects.models import ProjectStatus


def test_project_page_is_public_for_micro_projects_only(client, engaged_project, make_project):
    project, contract, org, _member = engaged_project()
    page = client.get(f"/micro/projects/{project.id}")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert org.name_en in text or org.name in text
    assert "Purchase" in text or "桌椅采购" in text
    assert client.get(f"/micro/projects/{make_project().id}").status_code == 404
    assert client.get("/micro/projects/9999").status_code == 404


def test_provider_posts_update_with_photo_and_followers_are_told(browser, make_browser, make_user, engaged_project,
                                                                 photo_file):
    project, contract, _org, member = engaged_project()
    follower = make_user(Role.RESIDENT)
    fb = make_browser()
    fb.login(follower)
    assert fb.post(f"/micro/projects/{project.id}/follow", {"action": "follow"}).status_code == 302
    assert fb.post(f"/micro/projects/{project.id}/follow", {"action": "follow"}).status_code == 409
    browser.login(member)
    url = f"/micro/projects/{project.id}/updates/new"
    assert browser.get(url).status_code == 200
    milestone = contract.milestones[0]
    response = browser.post(url, {"body": "桌椅已到货，正在组装。", "percent_complete": "40", "milestone_id": milestone.id,
                                  "milestone_done": "y", "photos": [photo_file()]}, content_type="multipart/form-data")
    assert response.status_code == 302
    update = db.session.scalar(select(ProgressUpdate))
    assert update.percent_complete == 40 and len(update.photos) == 1
    db.session.refresh(milestone)
    assert milestone.status == MilestoneStatus.SUBMITTED
    notes = db.session.scalars(select(Notification).where(Notification.user_id == follower.id)).all()
    assert [n.kind for n in notes] == ["micro.project_update"]
    assert supervision.progress_percent(project) == 40
    text = fb.get(f"/micro/projects/{project.id}").get_data(as_text=True)
    assert "桌椅已到货" in text and "pct-40" in text
    with fb.get(f"/micro/photos/{update.photos[0].id}") as photo:
        assert photo.status_code == 200  # progress photos are public
    actions = set(db.session.scalars(select(AuditEvent.action)))
    assert {"micro.progress_update", "milestone.submitted"} <= actions


def test_only_the_engaged_provider_posts_updates(browser, make_user, make_org, engaged_project):
    project, contract, _org, _member = engaged_project()
    url = f"/micro/projects/{project.id}/updates/new"
    for user in (make_user(Role.RESIDENT), make_user(Role.PROVIDER, organization=make_org()),
                 make_user(Role.OFFICIAL)):
        browser.login(user)
        assert browser.get(url).status_code == 403
        assert browser.post(url, {"body": "x", "percent_complete": "10"}).status_code == 403
        browser.logout()
    assert db.session.scalar(select(func.count(ProgressUpdate.id))) == 0


def test_update_bad_input(browser, engaged_project, make_project, photo_file):
    project, contract, _org, member = engaged_project()
    browser.login(member)
    url = f"/micro/projects/{project.id}/updates/new"
    response = browser.post(url, {"body": "进展", "percent_complete": "140"})
    assert response.status_code == 400 and "进展" in response.get_data(as_text=True)
    response = browser.post(url, {"body": "进展", "percent_complete": "50", "milestone_done": "y"})
    assert response.status_code == 400 and "Choose the milestone" in response.get_data(as_text=True)
    response = browser.post(url, {"body": "进展", "percent_complete": "50", "photos": [photo_file("x.png", b"GIF89a")]},
                            content_type="multipart/form-data")
    assert response.status_code == 400
    assert db.session.scalar(select(func.count(ProgressUpdate.id))) == 0
    assert db.session.scalar(select(func.count(Photo.id))) == 0


def test_resident_flags_a_problem_and_the_responsible_official_answers(browser, make_browser, make_user,
                                                                       engaged_project, street_official, geo):
    project, _contract, _org, _member = engaged_project()
    resident = make_user(Role.RESIDENT)
    browser.login(resident)
    url = f"/micro/projects/{project.id}/flags"
    assert browser.post(url, {"kind": "fire", "body": "x"}).status_code == 400
    response = browser.post(url, {"kind": "safety", "body": ""})
    assert response.status_code == 400
    assert browser.post(url, {"kind": "safety", "body": "施工区域没有围挡，孩子可以进入。"}).status_code == 302
    flag = db.session.scalar(select(Flag))
    assert flag.status == FlagStatus.UNANSWERED and flag.due_at == add_working_days(flag.created_at, 3)
    assert db.session.scalar(select(Notification.kind).where(Notification.user_id == street_official.id)) \
        == "micro.flag_raised"
    answer_url = f"/micro/flags/{flag.id}/answer"
    others = [make_user(Role.OFFICIAL, street=geo.streets[0]), resident]
    for other in others:
        b = make_browser()
        b.login(other)
        assert b.post(answer_url, {"answer": "收到"}).status_code == 403
    official = make_browser()
    official.login(street_official)
    assert official.post(answer_url, {"answer": ""}).status_code == 400
    assert official.post(answer_url, {"answer": "已要求施工方当天加装围挡，并安排巡查。"}).status_code == 302
    assert official.post(answer_url, {"answer": "再答"}).status_code == 409
    db.session.refresh(flag)
    assert flag.status == FlagStatus.ANSWERED and flag.answered_by_id == street_official.id
    events = db.session.scalars(select(AuditEvent.action).where(AuditEvent.action.like("micro.flag%"))
                                .order_by(AuditEvent.id)).all()
    assert events == ["micro.flag_raised", "micro.flag_answered"]
    assert verify_chain().ok


def test_only_verified_residents_of_the_community_flag(browser, make_user, engaged_project, geo):
    project, *_ = engaged_project()
    url = f"/micro/projects/{project.id}/flags"
    for user in (make_user(Role.RESIDENT, verified=False), make_user(Role.RESIDENT, community=geo.communities[1]),
                 make_user(Role.PROVIDER)):
        browser.login(user)
        assert browser.post(url, {"kind": "delay", "body": "拖延"}).status_code == 403
        browser.logout()
    assert db.session.scalar(select(func.count(Flag.id))) == 0


def test_overdue_flags_are_highlighted_on_the_official_dashboard(browser, make_user, engaged_project,
                                                                 street_official):
    project, *_ = engaged_project()
    resident = make_user(Role.RESIDENT)
    long_ago = utcnow() - timedelta(days=10)
    supervision.raise_flag(resident, project, "delay", "两周没有施工了。", now=long_ago)
    supervision.raise_flag(resident, project, "quality", "油漆有味道。")
    db.session.commit()
    assert supervision.overdue_count(street_official) == 1
    browser.login(street_official)
    page = browser.get("/dashboard").get_data(as_text=True)
    assert "overdue-flags" in page and "1 reported problem is overdue" in page
    assert "Problems waiting for your answer" in page


def test_comments_on_projects(browser, make_user, engaged_project, geo):
    project, _contract, _org, member = engaged_project()
    browser.login(make_user(Role.RESIDENT, community=geo.communities[2]))
    assert browser.post(f"/micro/projects/{project.id}/comments", {"body": "外社区评论"}).status_code == 403
    browser.logout()
    browser.login(member)
    assert browser.post(f"/micro/projects/{project.id}/comments", {"body": "下周二安装。"}).status_code == 302
    assert "下周二安装" in browser.get(f"/micro/projects/{project.id}").get_data(as_text=True)


def test_follow_and_unfollow(browser, make_user, engaged_project):
    project, *_ = engaged_project()
    browser.login(make_user(Role.RESIDENT))
    assert browser.post(f"/micro/projects/{project.id}/follow", {"action": "unfollow"}).status_code == 409
    assert browser.post(f"/micro/projects/{project.id}/follow", {"action": "follow"}).status_code == 302
    assert "Projects I follow" in browser.get("/dashboard").get_data(as_text=True)
    assert browser.post(f"/micro/projects/{project.id}/follow", {"action": "unfollow"}).status_code == 302
    assert db.session.scalar(select(func.count(Follow.id))) == 0


@pytest.mark.parametrize("status", [ProjectStatus.COMPLETED, ProjectStatus.CANCELLED])
def test_no_updates_or_flags_after_the_end(browser, make_user, engaged_project, status):
    project, _contract, _org, member = engaged_project(status=status)
    browser.login(member)
    assert browser.post(f"/micro/projects/{project.id}/updates/new",
                        {"body": "x", "percent_complete": "100"}).status_code == 409
    browser.logout()
    browser.login(make_user(Role.RESIDENT))
    assert browser.post(f"/micro/projects/{project.id}/flags", {"kind": "delay", "body": "x"}).status_code == 409


def test_people_without_the_right_are_refused_before_their_form_is_read(browser, make_user, engaged_project,
                                                                       make_round, make_proposal, geo):
    """An empty form from someone who may not act gets 403, as a filled one does, never 400."""
    from market.micro.models import Objection, RoundPhase
    from market.micro.services import supervision, voting

    project, *_ = engaged_project()
    resident = make_user(Role.RESIDENT)
    flag = supervision.raise_flag(resident, project, "delay", "两周没有施工了。")
    round_ = make_round(phase=RoundPhase.NOTICE, notice_ends_at=utcnow() + timedelta(days=3))
    proposal = make_proposal(make_round(community=geo.communities[2]))
    objection = voting.file_objection(make_user(Role.RESIDENT), round_, "票数统计有误。")
    db.session.commit()
    outsider = make_user(Role.RESIDENT, community=geo.communities[1])
    browser.login(outsider)
    for url in (f"/micro/projects/{project.id}/flags", f"/micro/projects/{project.id}/comments",
                f"/micro/flags/{flag.id}/answer", f"/micro/rounds/{round_.id}/objections",
                f"/micro/objections/{objection.id}/answer", f"/micro/proposals/{proposal.id}/comments"):
        assert browser.post(url, {}).status_code == 403, url
    assert db.session.scalar(select(func.count(Objection.id))) == 1
