"""The random panel draw: conflicted experts are excluded (one rule each), the draw is reproducible
from its recorded seed and verifiable in public, too few experts is a clear error, redraws are reasoned."""
from __future__ import annotations

import random
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from market.core.audit import AuditEvent
from market.core.db import db
from market.core.errors import Conflict, PermissionDenied, ValidationFailed
from market.panels import services
from market.panels.models import PanelDraw, RecordStatus
from tests.market.bids.helpers import AFTER


def _excluded(draw: PanelDraw) -> dict[int, list[str]]:
    return {x["expert_id"]: x["reasons"] for x in draw.excluded}


def test_an_expert_working_for_a_bidder_is_excluded(evaluation):
    conflicted = evaluation.expert("同机构专家", organization=evaluation.best.organization)
    draw = evaluation.draw(5)
    assert conflicted.id not in draw.eligible_ids + draw.chosen_ids
    assert _excluded(draw)[conflicted.id] == ["bidder_employee"]


def test_an_expert_whose_account_belongs_to_a_bidder_is_excluded(evaluation):
    from market.panels.models import Expert

    conflicted = evaluation.expert("以投标机构账号入库的专家")
    # The profile names no organisation, but the linked account is a member of a bidder.
    db.session.get(Expert, conflicted.id).user_id = evaluation.best.id
    db.session.commit()
    draw = evaluation.draw(5)
    assert conflicted.id not in draw.eligible_ids + draw.chosen_ids
    assert _excluded(draw)[conflicted.id] == ["bidder_employee"]


def test_an_expert_who_worked_for_a_bidder_within_three_years_is_excluded(evaluation):
    recent = evaluation.expert("近期任职专家")
    services.add_employment(evaluation.market.district_official, recent, services.EmploymentInput(
        evaluation.second.organization_id, date(2018, 3, 1), (AFTER - timedelta(days=2 * 365)).date()))
    long_ago = evaluation.expert("早年任职专家")
    services.add_employment(evaluation.market.district_official, long_ago, services.EmploymentInput(
        evaluation.second.organization_id, date(2012, 3, 1), (AFTER - timedelta(days=4 * 365)).date()))
    db.session.commit()
    draw = evaluation.draw(5)
    assert _excluded(draw)[recent.id] == ["recent_employment"]
    assert long_ago.id in draw.eligible_ids  # more than three years ago: no conflict


def test_an_expert_who_declared_a_relationship_with_a_bidder_is_excluded(evaluation):
    related = evaluation.expert("有关联专家")
    services.add_relationship(evaluation.market.district_official, related, evaluation.third.organization_id,
                              "配偶在该机构担任理事。")
    db.session.commit()
    draw = evaluation.draw(5)
    assert _excluded(draw)[related.id] == ["declared_relationship"]
    assert related.id not in draw.chosen_ids


def test_an_expert_of_the_procuring_organisation_is_excluded(evaluation, make_org):
    from market.orgs.models import OrgKind

    department = make_org(OrgKind.GOVERNMENT, categories=())
    evaluation.project.organization_id = department.id
    db.session.commit()
    insider = evaluation.expert("采购单位专家", organization=department)
    draw = evaluation.draw(3)
    assert _excluded(draw)[insider.id] == ["procuring_organisation"]


def test_the_draw_is_reproducible_from_its_recorded_seed_and_audited(evaluation):
    draw = evaluation.draw(5)
    assert len(draw.chosen_ids) == len(set(draw.chosen_ids)) == 5
    assert set(draw.chosen_ids) <= set(draw.eligible_ids) == {e.id for e in evaluation.experts}
    assert random.Random(draw.seed).sample(sorted(draw.eligible_ids), 5) == draw.chosen_ids  # noqa: S311
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "panel.drawn"))
    assert (event.after["seed"], event.after["eligible_ids"], event.after["chosen_ids"]) == (
        draw.seed, draw.eligible_ids, draw.chosen_ids)
    check = services.verify_draw(draw)
    assert check.matches and check.recomputed == draw.chosen_ids
    # The same seed and pool give the same panel whatever order the pool is listed in.
    assert services.draw_members(draw.seed, reversed(draw.eligible_ids), 5) == draw.chosen_ids


def test_verification_says_when_the_record_was_changed(evaluation, browser):
    draw = evaluation.draw(5)
    evaluation.published()  # the draw is public once the candidate notice is
    outsider = next(e for e in evaluation.experts if e.id not in draw.chosen_ids)
    page = browser.get(f"/panels/draws/{draw.id}/verify").get_data(as_text=True)
    assert "The draw matches" in page and draw.seed in page
    draw.chosen_ids = [outsider.id, *draw.chosen_ids[1:]]  # someone edits the row afterwards
    db.session.commit()
    assert not services.verify_draw(draw).matches
    page = browser.get(f"/panels/draws/{draw.id}/verify").get_data(as_text=True)
    assert "does NOT match" in page


def test_a_panel_larger_than_the_eligible_pool_is_refused(evaluation):
    with pytest.raises(ValidationFailed) as caught:
        evaluation.draw(9)  # 7 experts of the field
    assert caught.value.code == "too_few_in_category" and "fallback_reason" in caught.value.fields
    with pytest.raises(Conflict) as caught:  # the whole pool has no more
        evaluation.draw(9, fallback_reason="本领域专家不足，按规定从全库抽取。")
    assert caught.value.code == "too_few_experts"
    db.session.rollback()
    assert db.session.scalar(select(PanelDraw)) is None


def test_the_whole_pool_is_used_only_with_a_recorded_reason(evaluation):
    others = [evaluation.expert(f"财务专家{n}", codes=("community_governance",)) for n in range(2)]
    draw = evaluation.draw(9, fallback_reason="本领域专家不足，按规定从全库抽取。")
    assert set(draw.eligible_ids) == {e.id for e in evaluation.experts + others}
    assert draw.fallback_reason == "本领域专家不足，按规定从全库抽取。"
    assert services.verify_draw(draw).matches


def test_panel_sizes_are_odd_from_three_to_nine(evaluation):
    for size in (1, 2, 4, 11):
        with pytest.raises(ValidationFailed):
            evaluation.draw(size)


def test_an_official_of_another_street_cannot_draw(evaluation):
    with pytest.raises(PermissionDenied):
        services.draw_panel(evaluation.market.other_official, evaluation.project, 5, now=AFTER)
    with pytest.raises(PermissionDenied):
        services.draw_panel(evaluation.best, evaluation.project, 5, now=AFTER)


def test_no_draw_before_the_bids_are_opened(evaluation, market):
    sealed = market.tendered()
    with pytest.raises(Conflict) as caught:
        services.draw_panel(market.official, sealed, 5, now=AFTER)
    assert caught.value.code == "sealed"


def test_a_redraw_needs_a_reason_keeps_the_others_and_never_brings_back_the_replaced(evaluation):
    first = evaluation.draw(5)
    declined = first.chosen_ids[0]
    with pytest.raises(ValidationFailed) as caught:
        services.redraw_panel(evaluation.market.official, evaluation.project, [declined], "", now=AFTER)
    assert "reason" in caught.value.fields
    db.session.rollback()
    second = services.redraw_panel(evaluation.market.official, evaluation.project, [declined], "该专家因病无法参加评审。",
                                   now=AFTER)
    db.session.commit()
    assert first.status == RecordStatus.SUPERSEDED and second.status == RecordStatus.CURRENT
    assert second.kept_ids == first.chosen_ids[1:] and len(second.member_ids) == 5
    assert declined not in second.member_ids and declined not in second.eligible_ids
    assert services.verify_draw(second).matches
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "panel.redrawn"))
    assert event.after["reason"] == "该专家因病无法参加评审。" and event.after["replaced_ids"] == [declined]


def test_the_pool_is_managed_by_district_officials_and_audited(evaluation):
    market = evaluation.market
    with pytest.raises(PermissionDenied):
        services.create_expert(market.official, services.ExpertInput(name="街道专家", category_ids=(1,)))
    with pytest.raises(ValidationFailed) as caught:
        services.create_expert(market.district_official, services.ExpertInput(name="", category_ids=(),
                                                                              user_email="nobody@example.org"))
    assert {"name", "category_ids", "user_email"} <= set(caught.value.fields)
    db.session.rollback()
    expert = evaluation.experts[0]
    services.update_expert(market.district_official, expert, services.ExpertInput(
        name=expert.name, title="注册会计师", category_ids=(evaluation.category("elderly_care").id,)))
    db.session.commit()
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "expert.updated"))
    assert (event.before["title"], event.after["title"]) == ("高级社工师", "注册会计师")
