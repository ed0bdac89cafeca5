"""Panel scores, the candidate notice (中标候选人公示), complaints (质疑) and the award that waits for them."""
from __future__ import annotations

from datetime import timedelta
from fractions import Fraction

import pytest
from sqlalchemy import func, select

from market.core.calendar import add_working_days
from market.core.db import db
from market.core.errors import Conflict, PermissionDenied, ValidationFailed
from market.panels import services
from market.panels.models import ComplaintStatus, NoticeStatus, PanelScore, RecordStatus
from market.projects.models import ProjectStatus
from market.review import awards
from tests.market.bids.helpers import AFTER


def test_scores_are_weighted_by_the_criteria_and_averaged_over_members(evaluation):
    draw = evaluation.draw(3)
    criteria = evaluation.project_tender().criteria
    sheet = evaluation.sheet(draw)
    scores = dict(sheet.scores)
    first, second, third = draw.member_ids
    best = evaluation.bids[0].id
    for c in range(len(criteria)):  # member one gives the best bid 100 everywhere, member two 40 on the first criterion
        scores[(best, first, c)] = 100
    scores[(best, second, 0)] = 40
    evaluation_row = services.record_scores(evaluation.market.official, evaluation.project,
                                            services.ScoreSheet(scores, sheet.reasons), now=AFTER)
    results = {r.bid.id: r for r in services.evaluation_results(evaluation_row)}
    weight = criteria[0]["weight"]
    member_totals = [Fraction(100), Fraction(90 * (100 - weight) + 40 * weight, 100), Fraction(90)]
    assert results[best].total == sum(member_totals) / 3
    assert results[best].criterion_means[0] == Fraction(100 + 40 + 90, 3)
    assert [r.rank for r in services.evaluation_results(evaluation_row)] == [1, 2, 3]


def test_a_sheet_must_be_complete_and_in_range(evaluation):
    draw = evaluation.draw(3)
    sheet = evaluation.sheet(draw)
    bid, member = evaluation.bids[1].id, draw.member_ids[2]
    for bad in (101, -1, None, 7.5, True):
        scores = {**sheet.scores, (bid, member, 3): bad}
        with pytest.raises(ValidationFailed) as caught:
            services.record_scores(evaluation.market.official, evaluation.project,
                                   services.ScoreSheet(scores, sheet.reasons), now=AFTER)
        assert list(caught.value.fields) == [services.score_field(bid, member, 3)], bad
    missing = {k: v for k, v in sheet.scores.items() if k != (bid, member, 0)}
    with pytest.raises(ValidationFailed):
        services.record_scores(evaluation.market.official, evaluation.project,
                               services.ScoreSheet(missing, sheet.reasons), now=AFTER)
    outsider = next(e.id for e in evaluation.experts if e.id not in draw.member_ids)
    with pytest.raises(ValidationFailed):
        services.record_scores(evaluation.market.official, evaluation.project,
                               services.ScoreSheet({**sheet.scores, (bid, outsider, 0): 50}, sheet.reasons), now=AFTER)
    with pytest.raises(ValidationFailed) as caught:
        services.record_scores(evaluation.market.official, evaluation.project,
                               services.ScoreSheet(sheet.scores, {**sheet.reasons, bid: ""}), now=AFTER)
    assert list(caught.value.fields) == [services.reason_field(bid)]
    db.session.rollback()
    assert db.session.scalar(select(func.count(PanelScore.id))) == 0


def test_scores_are_not_public_before_the_notice(evaluation, browser):
    evaluation.scored(scores_by_bid=(83, 77, 61))
    page = browser.get(f"/panels/projects/{evaluation.project.id}/notice").get_data(as_text=True)
    assert "No candidate notice" in page and "83.00" not in page
    assert evaluation.best.organization.name_en not in page


def test_notice_publishes_the_top_three_with_scores_and_reasons(evaluation, browser):
    notice = evaluation.published(scores_by_bid=(83, 77, 61))
    assert notice.window_ends_at == add_working_days(AFTER, services.COMPLAINT_WORKING_DAYS)
    assert [(c["rank"], c["organization_id"], c["total"]) for c in notice.candidates] == [
        (1, evaluation.best.organization_id, "83.00"), (2, evaluation.second.organization_id, "77.00"),
        (3, evaluation.third.organization_id, "61.00")]
    assert services.first_candidate(evaluation.project) == evaluation.best.organization_id
    page = browser.get(f"/panels/projects/{evaluation.project.id}/notice").get_data(as_text=True)
    assert "83.00" in page and "方案完整，团队经验充分。" in page and evaluation.best.organization.name_en in page
    assert "/panels/projects/" in browser.get(f"/projects/{evaluation.project.id}").get_data(as_text=True)


def test_award_waits_for_the_window_and_the_answers(evaluation):
    market = evaluation.market
    notice = evaluation.published()
    proposal = market.proposal(market.match([evaluation.project]), evaluation.project)
    assert proposal.units[0]["provider_id"] == evaluation.best.organization_id
    with pytest.raises(Conflict) as caught:  # during the complaint window
        awards.approve_proposal(market.official, proposal, now=AFTER + timedelta(hours=1))
    assert caught.value.code == "evaluation_pending"
    db.session.rollback()

    complaint = services.file_complaint(evaluation.third, evaluation.project, "第一候选人的团队人员资质存疑，请复核。",
                                        now=AFTER + timedelta(hours=2))
    db.session.commit()
    after_window = notice.window_ends_at + timedelta(minutes=1)
    with pytest.raises(Conflict) as caught:  # the window is over, the complaint unanswered
        awards.approve_proposal(market.official, proposal, now=after_window)
    assert "await an answer" in str(caught.value.message)
    db.session.rollback()

    services.answer_complaint(market.official, complaint, uphold=False, answer="经复核，团队人员资质证书齐全有效。",
                              now=after_window)
    db.session.commit()
    assert services.award_blockers(evaluation.project, after_window) == []
    award = awards.approve_proposal(market.official, proposal, now=after_window)
    db.session.commit()
    assert evaluation.project.status == ProjectStatus.AWARDED and award.reason == ""
    assert complaint.status == ComplaintStatus.DISMISSED


def test_passing_over_the_first_candidate_needs_a_public_reason(evaluation):
    market = evaluation.market
    notice = evaluation.published(scores_by_bid=(70, 88, 60))  # the panel prefers the second bidder
    proposal = market.proposal(market.match([evaluation.project]), evaluation.project)
    assert proposal.units[0]["provider_id"] == evaluation.best.organization_id
    later = notice.window_ends_at + timedelta(minutes=1)
    with pytest.raises(ValidationFailed) as caught:
        awards.approve_proposal(market.official, proposal, now=later)
    assert "reason" in caught.value.fields
    db.session.rollback()
    award = awards.approve_proposal(market.official, proposal, reason="第一候选人放弃中标资格，依次确定。", now=later)
    assert award.reason == "第一候选人放弃中标资格，依次确定。"


def test_an_upheld_complaint_leads_to_new_scores_and_a_new_notice(evaluation):
    market = evaluation.market
    first = evaluation.published()
    complaint = services.file_complaint(evaluation.second, evaluation.project, "评分未考虑我方的本地服务基础，请复核。",
                                        now=AFTER + timedelta(hours=1))
    services.answer_complaint(market.official, complaint, uphold=True, answer="经复核，评分有误，由评审委员会重新评分。",
                              now=AFTER + timedelta(hours=3))
    db.session.commit()
    later = first.window_ends_at + timedelta(days=1)
    assert any("upheld" in str(b) for b in services.award_blockers(evaluation.project, later))
    with pytest.raises(Conflict) as caught:  # the same scores cannot be published again
        services.publish_notice(market.official, evaluation.project, now=later)
    assert caught.value.code == "not_rescored"
    db.session.rollback()
    evaluation.scored(scores_by_bid=(80, 85, 60), now=later)
    second = services.publish_notice(market.official, evaluation.project, now=later)
    db.session.commit()
    assert first.status == NoticeStatus.SUPERSEDED and second.status == NoticeStatus.PUBLISHED
    assert services.first_candidate(evaluation.project) == evaluation.second.organization_id
    assert [n.seq for n in services.notices_of(evaluation.project)] == [2, 1]
    assert services.award_blockers(evaluation.project, later)  # the new notice has its own window
    assert services.award_blockers(evaluation.project, second.window_ends_at) == []


def test_scores_cannot_change_once_published_without_an_upheld_complaint(evaluation):
    evaluation.published()
    with pytest.raises(Conflict) as caught:
        evaluation.scored(scores_by_bid=(10, 20, 30))
    assert caught.value.code == "published"
    db.session.rollback()
    assert services.current_evaluation(evaluation.project).status == RecordStatus.CURRENT


def test_only_bidders_complain_within_the_window_and_in_bounds(evaluation, market):
    notice = evaluation.published()
    outsider = market.provider()
    with pytest.raises(PermissionDenied):
        services.file_complaint(outsider, evaluation.project, "我方虽未投标，但认为结果不公。", now=AFTER)
    with pytest.raises(PermissionDenied):
        services.file_complaint(market.official, evaluation.project, "官员不能以投标人身份质疑。", now=AFTER)
    with pytest.raises(Conflict) as caught:
        services.file_complaint(evaluation.third, evaluation.project, "评分明显偏低，请说明理由。",
                                now=notice.window_ends_at)
    assert caught.value.code == "window_closed"
    for text in ("太短", "长" * 5001):
        with pytest.raises(ValidationFailed):
            services.file_complaint(evaluation.third, evaluation.project, text, now=AFTER)
    db.session.rollback()
    assert notice.complaints == []


def test_officials_of_another_street_cannot_score_publish_or_answer(evaluation):
    market = evaluation.market
    draw = evaluation.draw(3)
    with pytest.raises(PermissionDenied):
        services.record_scores(market.other_official, evaluation.project, evaluation.sheet(draw), now=AFTER)
    evaluation.scored()
    with pytest.raises(PermissionDenied):
        services.publish_notice(market.other_official, evaluation.project, now=AFTER)
    services.publish_notice(market.official, evaluation.project, now=AFTER)
    complaint = services.file_complaint(evaluation.third, evaluation.project, "评分明显偏低，请说明理由。", now=AFTER)
    db.session.commit()
    with pytest.raises(PermissionDenied):
        services.answer_complaint(market.other_official, complaint, uphold=True, answer="越权答复测试。", now=AFTER)
    with pytest.raises(PermissionDenied):
        services.answer_complaint(evaluation.best, complaint, uphold=False, answer="投标人不能答复。", now=AFTER)
