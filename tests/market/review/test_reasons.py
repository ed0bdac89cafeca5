"""market.review.reasons: the engine's reason codes as translated sentences with names."""
from __future__ import annotations

import pytest
from flask_babel import force_locale

from market.funding.services import ALLOCATION_REASONS
from market.review import reasons
from market.review.services import binding_entry
from matching.reasons import (
    ALLOCATION_CODES,
    BINDING_CODES,
    CONFLICT_CODES,
    NOTE_CODES,
    PATH_CODES,
    UNMATCHED_CODES,
)


def test_every_code_of_a_matching_run_has_a_translatable_sentence(app):
    assert set(reasons.REASON_TEXTS) >= UNMATCHED_CODES | CONFLICT_CODES | BINDING_CODES | NOTE_CODES | PATH_CODES


def test_every_allocation_code_of_a_campaign_has_a_label(app):
    assert set(ALLOCATION_REASONS) >= ALLOCATION_CODES


def test_money_reads_in_whole_yuan(app):
    with force_locale("en"):
        text = reasons.reason_text("pools_exhausted", {"needed": 30_000_000, "left": 12_000_049})
    assert text == "Needs ¥300,000, only ¥120,000 left in the pools."


def test_sentences_come_from_the_catalogue_with_names_for_ids(app, make_pool):
    pool = make_pool()
    pool.name, pool.name_en = "福田区社会建设专项资金", "Futian Social Construction Fund"
    names = reasons.Names(locale="zh", pools={pool.id: pool})
    with force_locale("zh"):
        text = reasons.reason_text("pool_budget", {"pool_id": pool.id, "used": 10, "remaining": 10}, names)
    assert text == "福田区社会建设专项资金 已用尽：其剩余资金限制了撮合结果。"
    with force_locale("en"):
        english = reasons.reason_text("pool_budget", {"pool_id": pool.id}, reasons.Names(locale="en",
                                                                                         pools={pool.id: pool}))
    assert english == "Futian Social Construction Fund is used up: its remaining money limits the result."


def test_conflicting_decisions_name_each_conflict(app, make_org):
    org = make_org(name="福田长者之家", name_en="Futian Elders' Home")
    conflicts = [{"code": "pinned_over_capacity", "params": {"provider_id": org.id, "count": 2, "capacity": 1}},
                 {"code": "pins_exceed_limits", "params": {}}]
    with force_locale("en"):
        text = reasons.reason_text("infeasible_decisions", {"conflicts": conflicts},
                                   reasons.Names(locale="en", orgs={org.id: org}))
    assert text == ("Official decisions cannot all be met: Futian Elders' Home is pinned to more projects (2) than "
                    "it can take (1). The pinned pairs together exceed the pools' money or the providers' capacity.")


def test_requirements_list_only_the_thresholds_set(app):
    with force_locale("en"):
        text = reasons.reason_text("requirements_not_met", {
            "category_name": "Elderly care", "street_name": "Futian", "min_rating_grade": 4, "min_staff": 3})
    assert text == ("No provider for Elderly care in Futian meets the requirements "
                    "(rating 4A or above, 3 full-time staff or more).")


@pytest.mark.parametrize(("entry", "expected"), [
    ({"code": "lp_failed", "params": {"status": "no_solution", "message": ""}},
     "The LP relaxation ended without a solution (no_solution)."),
    ({"code": "solver_fallback", "params": {"solver": "highs", "fallback": "cbc"}},
     "HiGHS is not available: CBC was used instead."),
    ("decision 7 ignored: pin a provider to one lot", "decision 7 ignored: pin a provider to one lot"),
    ({"code": "no_such_code", "params": {}}, "no_such_code"),
])
def test_stored_notes_read_whether_codes_or_older_text(app, entry, expected):
    with force_locale("en"):
        assert reasons.stored_reason_text(entry) == expected


def test_older_runs_binding_strings_become_codes():
    pins = {(5, 9)}
    assert binding_entry("pinned:5:9", pins) == {"code": "pinned_provider",
                                                  "params": {"project_id": 5, "provider_id": 9}}
    assert binding_entry("pinned:5:3", pins) == {"code": "pinned_pool", "params": {"project_id": 5, "pool_id": 3}}
    assert binding_entry("pool_project_cap:3:5", pins) == {"code": "pool_project_cap",
                                                           "params": {"pool_id": 3, "project_id": 5}}
    assert binding_entry({"code": "pool_budget", "params": {"pool_id": 3}}, pins) == \
        {"code": "pool_budget", "params": {"pool_id": 3}}
    assert binding_entry("something else", pins) == {"code": "something else", "params": {}}


def test_result_status_in_words(app):
    with force_locale("en"):
        assert reasons.result_status_label("feasible") == "not proven optimal"
        assert reasons.result_status_label("optimal") == "optimal"
