"""Government procurement: project numbers, each procurement method's rules, invitations, a failed request for
quotation, the single-source notice before an award, clarifications that extend a deadline, tender documents,
and the district's settings. Dates are ordinary weeks of November 2026 (no public holiday)."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from market.bids import procurement, services
from market.bids.models import (
    BidStatus,
    ProcurementMethod,
    ProcurementSettings,
    TenderDocument,
)
from market.core.audit import AuditEvent
from market.core.calendar import BEIJING
from market.core.db import db
from market.core.errors import Conflict, PermissionDenied, ValidationFailed
from market.notifications.models import Notification
from market.orgs.models import OrgKind
from market.projects.models import ProjectStatus
from market.review import awards

MONDAY = datetime(2026, 11, 2, 2, 0, tzinfo=UTC)  # Monday 2 November 2026, 10:00 in Beijing
DEADLINE = MONDAY + timedelta(days=10)  # Thursday 12 November, 10:00
OPENED = DEADLINE + timedelta(hours=1)
PDF = b"%PDF-1.7\n1 0 obj <<>> endobj\n%%EOF\n"
M = ProcurementMethod


def _beijing(day: int, hour: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, 0, tzinfo=BEIJING).astimezone(UTC)


def _publish(market, method=M.OPEN_TENDER, *, invited=(), reason="", deadline=DEADLINE, now=MONDAY, official=None,
             phone="", **project_fields):
    official = official or market.official
    project_fields.setdefault("status", ProjectStatus.DRAFT)
    project = market.make_project(owner=official, **project_fields)
    data = services.TenderInput(
        bid_deadline=deadline, requirements="须有三年以上长者服务经验。",
        criteria=(services.CriterionInput("服务方案", 60), services.CriterionInput("报价", 40)),
        method=method, method_reason=reason, invited_org_ids=tuple(o.id for o in invited),
        contact_name="陈主任" if phone else "", contact_phone=phone)
    services.publish_tender(official, project, data, now=now)
    db.session.commit()
    return project


def _actions() -> list[str]:
    return list(db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.seq)))


def _bidders(market, n):
    return [market.provider() for _ in range(n)]


# ---------------------------------------------------------------- project numbers

def test_numbers_run_per_department_prefix_and_year(market, make_org):
    department = make_org(OrgKind.GOVERNMENT, categories=(), procurement_code="FTMZ")
    market.official.organization_id = department.id
    db.session.commit()
    first, second = _publish(market), _publish(market)
    next_year = _publish(market, now=datetime(2027, 1, 4, 2, 0, tzinfo=UTC), deadline=datetime(2027, 1, 20, tzinfo=UTC))
    market.official.organization_id = None
    db.session.commit()
    fallback = _publish(market)
    assert [first.number, second.number, next_year.number] == ["FTMZ-2026-0001", "FTMZ-2026-0002", "FTMZ-2027-0001"]
    assert fallback.number == "ZFGM-2026-0001"
    procurement.update_settings(market.district_official, market.geo.district,
                                procurement.SettingsInput(50_000_000, 5, 3, number_prefix="ftzf"), now=MONDAY)
    assert _publish(market).number == "FTZF-2026-0001"
    published = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "tender.published")
                                   .order_by(AuditEvent.seq)).first()
    assert published.after["number"] == "FTMZ-2026-0001"


def test_a_number_is_unique_in_the_database(market):
    project = _publish(market)
    other = market.make_project(owner=market.official)
    other.number = project.number
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()


def test_amending_keeps_the_number_and_a_draft_has_none(market):
    assert market.make_project(owner=market.official, status=ProjectStatus.DRAFT).number is None
    project = _publish(market)
    number = project.number
    services.publish_tender(market.official, project, services.TenderInput(
        bid_deadline=DEADLINE + timedelta(days=1), requirements="补充要求。",
        criteria=(services.CriterionInput("服务方案", 100),)), now=MONDAY + timedelta(days=1))
    assert project.number == number


@pytest.mark.parametrize("query", ["ZFGM-2026-0002", "zfgm-2026-0002", "2026-0002"])
def test_projects_are_found_by_exact_or_partial_number(market, browser, query):
    first, second = _publish(market), _publish(market)
    for url in (f"/projects/?q={query}", f"/search?q={query}"):
        body = browser.get(url).get_data(as_text=True)
        assert second.title_en in body and first.title_en not in body, url
    body = browser.get("/projects/?q=ZFGM-2026").get_data(as_text=True)
    assert first.title_en in body and second.title_en in body
    assert "ZFGM-2026-0001" in body  # shown in the listing


# ---------------------------------------------------------------- each method, from publication to opening

@pytest.mark.parametrize("method, bids, status", [
    (M.OPEN_TENDER, 1, ProjectStatus.EVALUATING),
    (M.COMPETITIVE_NEGOTIATION, 2, ProjectStatus.EVALUATING),
    (M.COMPETITIVE_CONSULTATION, 3, ProjectStatus.EVALUATING),
    (M.REQUEST_FOR_QUOTATION, 3, ProjectStatus.EVALUATING),
    (M.DIRECT_COMMISSION, 1, ProjectStatus.EVALUATING),
    (M.INVITED_TENDER, 3, ProjectStatus.EVALUATING),
    (M.SINGLE_SOURCE, 1, ProjectStatus.EVALUATING),
])
def test_a_tender_through_each_method(market, method, bids, status):
    users = _bidders(market, max(bids, 3))
    orgs = [u.organization for u in users]
    invited = {M.INVITED_TENDER: orgs[:3], M.SINGLE_SOURCE: orgs[:1]}.get(method, ())
    reason = "原服务系统的唯一维护单位，依法采用单一来源。" if method == M.SINGLE_SOURCE else ""
    project = _publish(market, method, invited=invited, reason=reason)
    tender = services.tender_of(project)
    assert tender.method == method and project.number
    for user in users[:bids]:
        market.bid(user, project, 25_000_000, now=MONDAY + timedelta(days=1))
    market.open(project, now=OPENED)
    [opening] = services.openings_of(project)
    assert project.status == status and not opening.failed and opening.valid_bid_count == bids
    assert opening.method == method and opening.opened_by_id == market.official.id


def test_direct_commission_only_below_the_districts_threshold(market):
    with pytest.raises(ValidationFailed) as caught:
        _publish(market, M.DIRECT_COMMISSION, budget_cents=60_000_000)  # ¥600,000 >= ¥500,000
    assert "method" in caught.value.fields
    db.session.rollback()
    assert _publish(market, M.DIRECT_COMMISSION, budget_cents=40_000_000).number
    procurement.update_settings(market.district_official, market.geo.district,
                                procurement.SettingsInput(30_000_000, 5, 3), now=MONDAY)
    db.session.commit()
    with pytest.raises(ValidationFailed):
        _publish(market, M.DIRECT_COMMISSION, budget_cents=40_000_000)


def test_settings_are_audited_and_refuse_absurd_values_and_street_officials(market):
    district = market.geo.district
    assert procurement.settings_for(district).single_source_notice_days == 5
    for bad in (procurement.SettingsInput(-1, 5, 3), procurement.SettingsInput(1, 0, 3),
                procurement.SettingsInput(1, 5, 31), procurement.SettingsInput(10**17, 5, 3),
                procurement.SettingsInput(1, 5, 3, number_prefix="F1-")):
        with pytest.raises(ValidationFailed):
            procurement.update_settings(market.district_official, district, bad, now=MONDAY)
    with pytest.raises(PermissionDenied):
        procurement.update_settings(market.official, district, procurement.SettingsInput(1, 5, 3), now=MONDAY)
    assert db.session.get(ProcurementSettings, district.id) is None
    procurement.update_settings(market.district_official, district, procurement.SettingsInput(20_000_000, 7, 2),
                                now=MONDAY)
    db.session.commit()
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "procurement.settings_changed"))
    assert event.before["direct_commission_max_cents"] == procurement.DEFAULT_DIRECT_COMMISSION_MAX_CENTS
    assert event.after == {"direct_commission_max_cents": 20_000_000, "single_source_notice_days": 7,
                           "clarification_days": 2, "number_prefix": ""}


# ---------------------------------------------------------------- invited tender

def test_invited_tender_needs_three_and_refuses_an_uninvited_bidder(market):
    invited_users = _bidders(market, 3)
    outsider = market.provider()
    with pytest.raises(ValidationFailed) as caught:
        _publish(market, M.INVITED_TENDER, invited=[u.organization for u in invited_users[:2]])
    assert "invited" in caught.value.fields
    db.session.rollback()
    project = _publish(market, M.INVITED_TENDER, invited=[u.organization for u in invited_users])
    with pytest.raises(PermissionDenied) as caught:
        market.bid(outsider, project, 20_000_000, now=MONDAY + timedelta(days=1))
    assert caught.value.code == "not_eligible" and "invited tender" in str(caught.value.message)
    db.session.rollback()
    assert market.bid(invited_users[0], project, 20_000_000, now=MONDAY + timedelta(days=1)).status == BidStatus.SUBMITTED
    published = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "tender.published"))
    assert published.after["invited_org_ids"] == sorted(u.organization_id for u in invited_users)
    notified = set(db.session.scalars(select(Notification.user_id).where(Notification.kind == "bids.invited")))
    assert notified == {u.id for u in invited_users}


def test_the_method_and_invitations_are_locked_after_publication(market):
    users = _bidders(market, 4)
    project = _publish(market, M.INVITED_TENDER, invited=[u.organization for u in users[:3]])
    with pytest.raises(Conflict):
        services.publish_tender(market.official, project, services.TenderInput(
            bid_deadline=DEADLINE, requirements="须有经验。", criteria=(services.CriterionInput("方案", 100),),
            method=M.INVITED_TENDER, invited_org_ids=tuple(u.organization_id for u in users)),
            now=MONDAY + timedelta(days=1))


# ---------------------------------------------------------------- failed request for quotation

def _failed_quotation(market):
    users = _bidders(market, 3)
    project = _publish(market, M.REQUEST_FOR_QUOTATION)
    for user in users[:2]:
        market.bid(user, project, 25_000_000, now=MONDAY + timedelta(days=1))
    withdrawn = market.bid(users[2], project, 24_000_000, now=MONDAY + timedelta(days=1))
    services.withdraw_bid(users[2], withdrawn, now=MONDAY + timedelta(days=2))
    db.session.commit()
    market.open(project, now=OPENED)
    return project, users


def test_request_for_quotation_with_two_valid_bids_fails_in_public(market, make_browser):
    project, users = _failed_quotation(market)
    tender = services.tender_of(project)
    assert tender.has_failed and project.status == ProjectStatus.OPEN
    assert "3 valid bids; 2 came" in tender.failure_reason
    [opening] = services.openings_of(project)
    assert opening.failed and opening.valid_bid_count == 2 and len(opening.entries) == 3
    assert [e["price_cents"] for e in opening.entries if e["withdrawn_at"]] == [None]
    assert "tender.failed" in _actions()
    assert services.award_blockers(project, OPENED)
    public = make_browser().get(f"/bids/projects/{project.id}/opening").get_data(as_text=True)
    assert "Failed" in public and users[0].organization.name_en in public and "¥250,000" in public
    assert "Withdrawn" in public
    assert "The tender failed at its opening" in make_browser().get(f"/projects/{project.id}").get_data(as_text=True)


def test_a_failed_quotation_is_published_again_with_a_new_deadline(market):
    project, users = _failed_quotation(market)
    new_deadline = DEADLINE + timedelta(days=7)
    with pytest.raises(ValidationFailed):  # the deadline must be in the future
        services.republish_tender(market.official, project,
                                  services.RepublishInput(OPENED - timedelta(hours=2), M.REQUEST_FOR_QUOTATION),
                                  now=OPENED)
    db.session.rollback()
    with pytest.raises(PermissionDenied):
        services.republish_tender(market.other_official, project,
                                  services.RepublishInput(new_deadline, M.REQUEST_FOR_QUOTATION), now=OPENED)
    db.session.rollback()
    tender = services.republish_tender(market.official, project,
                                       services.RepublishInput(new_deadline, M.REQUEST_FOR_QUOTATION), now=OPENED)
    db.session.commit()
    assert tender.round == 2 and not tender.has_failed and not tender.is_opened
    assert project.bid_deadline == new_deadline and services.accepts_bids(project, OPENED)
    assert {b.status for b in db.session.scalars(select(services.Bid))} == {BidStatus.WITHDRAWN}
    assert "tender.republished" in _actions()
    for user in users:  # the bids came back: every bidder may bid again
        market.bid(user, project, 23_000_000, now=OPENED + timedelta(hours=1))
    market.open(project, now=new_deadline + timedelta(hours=1))
    assert [o.round for o in services.openings_of(project)] == [2, 1]
    assert project.status == ProjectStatus.EVALUATING and not services.award_blockers(project, new_deadline)


def test_a_failed_quotation_switched_to_an_open_tender_needs_a_public_reason(market):
    project, _users = _failed_quotation(market)
    data = services.RepublishInput(DEADLINE + timedelta(days=7), M.OPEN_TENDER)
    with pytest.raises(ValidationFailed) as caught:
        services.republish_tender(market.official, project, data, now=OPENED)
    assert "reason" in caught.value.fields
    db.session.rollback()
    reason = "询价仅两家有效报价，改为公开招标以扩大竞争。"
    services.republish_tender(market.official, project, services.RepublishInput(data.bid_deadline, M.OPEN_TENDER,
                                                                                 reason), now=OPENED)
    db.session.commit()
    tender = services.tender_of(project)
    assert tender.method == M.OPEN_TENDER and tender.method_reason == reason
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "tender.method_switched"))
    assert event.before["method"] == "request_for_quotation" and event.after["method_reason"] == reason


def test_a_tender_that_did_not_fail_cannot_be_published_again(market):
    project = _publish(market)
    with pytest.raises(Conflict):
        services.republish_tender(market.official, project,
                                  services.RepublishInput(DEADLINE + timedelta(days=3), M.OPEN_TENDER), now=MONDAY)


# ---------------------------------------------------------------- single source

def test_single_source_needs_a_reason_and_its_notice_blocks_the_award_until_it_ends(market):
    supplier = market.provider()
    with pytest.raises(ValidationFailed) as caught:
        _publish(market, M.SINGLE_SOURCE, invited=[supplier.organization])
    assert "method_reason" in caught.value.fields
    db.session.rollback()
    deadline = MONDAY + timedelta(days=2)  # Wednesday 4 November
    project = _publish(market, M.SINGLE_SOURCE, invited=[supplier.organization], deadline=deadline,
                       reason="原系统唯一维护单位，依法采用单一来源方式。")
    tender = services.tender_of(project)
    assert tender.notice_ends_at == _beijing(10)  # 5 working days after Monday 2: the end of Monday 9
    with pytest.raises(PermissionDenied):  # only the named supplier bids
        market.bid(market.provider(), project, 20_000_000, now=MONDAY + timedelta(hours=2))
    db.session.rollback()
    market.bid(supplier, project, 28_000_000, now=MONDAY + timedelta(hours=2))
    market.open(project, now=deadline + timedelta(hours=1))
    run = market.match([project], now=deadline + timedelta(hours=2))
    proposal = market.proposal(run, project)
    with pytest.raises(Conflict) as caught:
        awards.approve_proposal(market.official, proposal, now=_beijing(9, 18))
    assert caught.value.code == "award_blocked" and "single-source notice" in str(caught.value.message)
    db.session.rollback()
    assert services.award_blockers(project, _beijing(10, 9)) == []
    proposal = market.proposal(run, project)
    award = awards.approve_proposal(market.official, proposal, now=_beijing(10, 9))
    assert award.project_id == project.id


# ---------------------------------------------------------------- clarifications

def test_a_late_answer_extends_the_deadline_and_an_early_one_does_not(market):
    asker, bidder = market.provider(), market.provider()
    project = _publish(market)
    market.bid(bidder, project, 25_000_000, now=MONDAY + timedelta(hours=1))
    early = services.ask_clarification(asker, project, "服务对象名单由谁提供？", now=MONDAY + timedelta(hours=2))
    services.answer_clarification(market.official, early, "由街道提供初始名单。", now=_beijing(3, 10))
    assert early.deadline_extended_to is None and project.bid_deadline == DEADLINE
    late = services.ask_clarification(asker, project, "评分细则能否进一步说明？", now=_beijing(9, 10))
    services.answer_clarification(market.official, late, "详见附件评分细则。", now=_beijing(10, 15))  # Tuesday
    db.session.commit()
    # 3 working days after Tuesday 10 November: Wednesday, Thursday, Friday; the end of Friday 13.
    assert project.bid_deadline == late.deadline_extended_to == _beijing(14)
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "tender.deadline_extended"))
    assert event.after["clarification_id"] == late.id and event.after["working_days"] == 3
    kinds = {(n.user_id, n.kind) for n in db.session.scalars(select(Notification))}
    assert {(bidder.id, "bids.clarification_published"), (bidder.id, "bids.deadline_extended"),
            (asker.id, "bids.deadline_extended")} <= kinds


def test_questions_stay_private_until_answered(market):
    asker, rival = market.provider(), market.provider()
    colleague = market.provider(asker.organization)
    project = _publish(market)
    question = services.ask_clarification(asker, project, "投标保证金如何缴纳？", now=MONDAY + timedelta(hours=1))
    db.session.commit()
    assert services.clarifications_for(rival, project) == []
    assert services.clarifications_for(None, project) == []
    assert services.clarifications_for(market.other_official, project) == []
    assert services.clarifications_for(colleague, project) == [question]
    assert services.clarifications_for(market.official, project) == [question]
    services.answer_clarification(market.official, question, "本项目不收取投标保证金。", now=MONDAY + timedelta(hours=3))
    assert services.clarifications_for(rival, project) == [question]
    assert services.clarifications_for(None, project) == [question]


def test_another_streets_official_neither_answers_nor_publishes(market):
    project = _publish(market)
    question = services.ask_clarification(market.provider(), project, "请问服务期限从何时开始计算？",
                                          now=MONDAY + timedelta(hours=1))
    for attempt in (lambda: services.answer_clarification(market.other_official, question, "答复", now=MONDAY),
                    lambda: services.publish_clarification(market.other_official, project, "", "澄清", now=MONDAY),
                    lambda: services.answer_clarification(market.provider(), question, "答复", now=MONDAY)):
        with pytest.raises(PermissionDenied):
            attempt()
    assert not question.is_published


@pytest.mark.parametrize("text", ["短", "问" * 2001, "   " * 10])
def test_absurd_questions_are_refused(market, text):
    project = _publish(market)
    with pytest.raises(ValidationFailed) as caught:
        services.ask_clarification(market.provider(), project, text, now=MONDAY)
    assert "question" in caught.value.fields


def test_no_questions_after_the_deadline_and_no_answer_twice(market):
    project = _publish(market)
    asker = market.provider()
    question = services.ask_clarification(asker, project, "请问是否接受联合体投标？", now=MONDAY)
    services.answer_clarification(market.official, question, "不接受联合体投标。", now=MONDAY + timedelta(hours=1))
    with pytest.raises(Conflict):
        services.answer_clarification(market.official, question, "再答一次。", now=MONDAY + timedelta(hours=2))
    with pytest.raises(Conflict):
        services.ask_clarification(asker, project, "截止后还能提问吗？请答复。", now=DEADLINE + timedelta(minutes=1))


def test_officials_publish_a_clarification_of_their_own(market):
    project = _publish(market)
    clarification = services.publish_clarification(market.official, project, "", "服务地点调整为岗厦社区党群服务中心。",
                                                   now=MONDAY + timedelta(days=1))
    assert clarification.is_published and clarification.asked_by_id is None
    with pytest.raises(ValidationFailed):
        services.publish_clarification(market.official, project, "", "x" * 5001, now=MONDAY)


# ---------------------------------------------------------------- contact and documents

@pytest.mark.parametrize("phone", ["12345", "0755", "abc-defg-hijk", "1" * 40, "+1 202 555 0100", "23800138000"])
def test_bad_phone_numbers_are_refused(market, phone):
    with pytest.raises(ValidationFailed) as caught:
        _publish(market, phone=phone)
    assert "contact_phone" in caught.value.fields


def test_a_good_phone_is_kept_in_one_form(market):
    project = _publish(market, phone="+86 138 0013 8000")
    assert services.tender_of(project).contact_phone == "13800138000"
    assert procurement.tel_uri("0755-82910000") == "tel:+86-755-82910000"


def test_documents_are_checked_and_stored_once_like_bid_attachments(app, market):
    project = _publish(market)
    document = services.add_tender_document(market.official, project, services.Upload("招标文件.pdf", PDF),
                                            app.instance_path, now=MONDAY)
    db.session.commit()
    assert services.document_path(app.instance_path, document).read_bytes() == PDF
    assert document.sha256 and document.size_bytes == len(PDF)
    for upload, field in ((services.Upload("tool.exe", b"MZ"), "documents"),
                          (services.Upload("big.pdf", b"%PDF-" + b"0" * services.MAX_DOCUMENT_BYTES), "documents"),
                          (services.Upload("fake.pdf", b"not a pdf"), "documents")):
        with pytest.raises(ValidationFailed) as caught:
            services.add_tender_document(market.official, project, upload, app.instance_path, now=MONDAY)
        assert field in caught.value.fields
    for actor in (market.other_official, market.provider()):
        with pytest.raises(PermissionDenied):
            services.add_tender_document(actor, project, services.Upload("a.pdf", PDF), app.instance_path, now=MONDAY)
    with pytest.raises(Conflict):  # after the deadline the documents are final
        services.add_tender_document(market.official, project, services.Upload("a.pdf", PDF), app.instance_path,
                                     now=DEADLINE)
    assert len(db.session.scalars(select(TenderDocument)).all()) == 1
    assert "tender.document_added" in _actions()


def test_a_late_bid_is_recorded_for_the_opening_record(market):
    project = _publish(market)
    late = market.provider()
    with pytest.raises(Conflict):
        market.bid(late, project, 20_000_000, now=DEADLINE + timedelta(minutes=5))
    db.session.rollback()
    services.record_late_attempt(late, project, now=DEADLINE + timedelta(minutes=5))
    assert services.record_late_attempt(late, project, now=DEADLINE - timedelta(minutes=5)) is None
    db.session.commit()
    [attempt] = services.late_attempts(project, 1)
    assert attempt.organization_id == late.organization_id and attempt.attempted_at == DEADLINE + timedelta(minutes=5)


def test_the_opening_record_of_late_bids_cannot_be_padded(market):
    """Once per organisation, only between the deadline and the opening, never for a bidder or the uninvited."""
    bidder, late, uninvited = market.provider(), market.provider(), market.provider()
    invited = [bidder, late, market.provider()]
    project = _publish(market, M.INVITED_TENDER, invited=[u.organization for u in invited])
    market.bid(bidder, project, 20_000_000, now=MONDAY + timedelta(days=1))
    after = DEADLINE + timedelta(minutes=5)
    assert services.record_late_attempt(late, project, now=after) is not None
    assert services.record_late_attempt(late, project, now=after + timedelta(minutes=1)) is None  # once
    assert services.record_late_attempt(bidder, project, now=after) is None  # its bid is in the opening
    assert services.record_late_attempt(uninvited, project, now=after) is None  # could never have bid
    market.open(project, now=OPENED)
    other = market.provider()
    assert services.record_late_attempt(other, project, now=OPENED + timedelta(minutes=5)) is None  # after opening
    db.session.commit()
    assert [a.organization_id for a in services.late_attempts(project, 1)] == [late.organization_id]


def test_only_invited_organisations_ask_about_an_invited_tender(market):
    invited = _bidders(market, 3)
    project = _publish(market, M.INVITED_TENDER, invited=[u.organization for u in invited])
    with pytest.raises(PermissionDenied) as caught:
        services.ask_clarification(market.provider(), project, "请问评分细则中服务方案一项如何打分？", now=MONDAY + timedelta(days=1))
    assert caught.value.code == "not_invited"
    assert services.ask_clarification(invited[0], project, "请问评分细则中服务方案一项如何打分？", now=MONDAY + timedelta(days=1))


def test_a_deadline_years_ahead_is_refused(market):
    with pytest.raises(ValidationFailed) as caught:
        _publish(market, deadline=MONDAY + services.MAX_BIDDING_PERIOD + timedelta(days=1))
    assert "bid_deadline" in caught.value.fields
