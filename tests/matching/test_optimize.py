"""The optimiser: constraints, decisions, explanations, oracles and properties."""

from datetime import date

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from scipy.optimize import linear_sum_assignment

from matching.bench import synthetic_market
from matching.optimize import solve, verify
from matching.reasons import Reason, render
from matching.solvers import available_solvers
from matching.types import (
    BidSpec,
    Candidate,
    CandidateSet,
    Decision,
    LotSpec,
    MatchOptions,
    MatchProblem,
    MatchResult,
    PoolSpec,
    ProjectSpec,
    ProviderSpec,
    format_reason,
)

SOLVERS = [pytest.param("cbc"),
           pytest.param("highs", marks=pytest.mark.skipif(
               "highs" not in available_solvers(), reason="highspy not installed"))]

NEED = "为辖区独居老人提供上门助餐、探访和健康监测服务"
CAPABILITY = "专注居家养老、助餐配送、长者健康管理"


def project(id="p1", **kw):
    base = dict(id=id, title="长者助餐", category="elderly", category_name="养老服务",
                street_id="futian", street_name="福田街道", budget=30_000_000, description=NEED)
    base.update(kw)
    return ProjectSpec(**base)


def provider(id="a", **kw):
    base = dict(id=id, name=f"机构{id}", categories=("elderly",), whole_district=True,
                capability=CAPABILITY, capacity=3)
    base.update(kw)
    return ProviderSpec(**base)


def pool(id="f", remaining=10**9, **kw):
    return PoolSpec(id=id, name=f"资金池{id}", remaining=remaining, **kw)


def run(projects, providers, pools=(), solver="cbc", **kw):
    options = kw.pop("options", MatchOptions())
    prob = MatchProblem(projects=projects, providers=providers, pools=pools, options=options,
                        bids=kw.pop("bids", ()), decisions=kw.pop("decisions", ()))
    result = solve(prob, solver=solver, time_limit=20, **kw)
    assert verify(prob, result) == []
    return result


def only(result, project_id):
    found = [a for a in result.assignments if a.project_id == project_id]
    assert len(found) == 1, found
    return found[0]


def reason(result, project_id):
    return next(u for u in result.unmatched if u.project_id == project_id)


# --------------------------------------------------------------------------- explanations


def test_unmatched_projects_say_why_in_words_and_codes():
    result = run([project("p1"), project("p2", street_id="meilin", street_name="梅林街道")],
                 [provider("a", whole_district=False, streets={"meilin"}, capacity=1)],
                 [pool("f", remaining=12_000_000)])
    assert result.assignments == ()
    p1, p2 = reason(result, "p1"), reason(result, "p2")
    assert render(p1.reason) == "no eligible provider in 福田街道 for 养老服务"
    assert p1.reason_code == "no_provider_in_area"
    assert render(p2.reason) == "pools exhausted: needs 300,000, 120,000 left"
    assert (p2.reason_code, p2.params["needed"], p2.params["left"]) == \
        ("pools_exhausted", 30_000_000, 12_000_000)
    assert format_reason(p2.reason_code, p2.params, lang="zh") == \
        "资金池余额不足：需要300,000元，剩余120,000元"


def test_reason_codes_for_category_requirements_and_pools():
    from matching.types import Requirements
    result = run([project("p1", category="legal", category_name="法律援助"),
                  project("p2", requirements=Requirements(min_rating_grade=4)),
                  project("p3", category="mental", category_name="心理健康")],
                 [provider("a", rating_grade=3), provider("m", categories=("mental",))],
                 [pool("f", categories={"elderly", "legal"})])
    assert reason(result, "p1").reason_code == "no_provider_for_category"
    assert reason(result, "p2").reason_code == "requirements_not_met"
    assert reason(result, "p2").params["min_rating_grade"] == 4
    assert "rating >= 4A" in render(reason(result, "p2").reason)
    assert "等级不低于4A" in render(reason(result, "p2").reason, lang="zh")
    assert reason(result, "p3").reason_code == "no_eligible_pool"


@pytest.mark.parametrize("budget, pools, bids", [
    (5, [pool("tiny", max_share=0.001)], ()),  # 0.005 fen of a 5-fen cost
    (1_000, [pool("small", remaining=500), pool("tiny", max_share=0.0005)], ()),
    (1_000, [pool("tiny", max_share=0.01)], [BidSpec("p1", "a", 5)]),  # kept for the budget
], ids=["only-pool", "money-only-in-that-pool", "bid-below-budget"])
def test_pool_whose_co_funding_share_rounds_to_zero_is_named(budget, pools, bids):
    result = run([project("p1", budget=budget)], [provider("a")], pools, bids=bids)
    r = reason(result, "p1")
    assert r.reason_code == "co_funding_share_rounds_to_zero"
    assert r.params["pool_ids"] == ["tiny"]
    assert "资金池tiny" in render(r.reason)
    assert "资金池tiny" in format_reason(r.reason_code, r.params, lang="zh")


def test_pools_exhausted_counts_the_money_left_in_every_eligible_pool():
    pools = [pool(f"f{i:02d}", remaining=100_000) for i in range(15)]
    assert len(pools) > MatchOptions().k_pools  # more than candidate generation keeps
    pools.append(pool("kids", categories={"children"}))  # not eligible: not counted
    result = run([project("p1")], [provider()], pools)
    r = reason(result, "p1")
    assert (r.reason_code, r.params["needed"], r.params["left"]) == \
        ("pools_exhausted", 30_000_000, 1_500_000)


# --------------------------------------------------------------------------- constraints


@pytest.mark.parametrize("solver", SOLVERS)
def test_funding_covers_the_cost_exactly_within_caps_and_shares(solver):
    pools = [pool("city", max_share=0.5), pool("fnd", max_share=0.3, max_per_project=5_000_000),
             pool("csr", remaining=20_000_000)]
    result = run([project("p1", budget=30_000_001)], [provider()], pools, solver=solver)
    a = only(result, "p1")
    amounts = {f.pool_id: f.amount for f in a.funding}
    assert sum(amounts.values()) == a.cost == 30_000_001
    assert amounts.get("city", 0) <= 15_000_000 and amounts.get("fnd", 0) <= 5_000_000
    assert result.status == "optimal"


def test_co_funding_rule_that_cannot_cover_the_cost_is_explained():
    result = run([project("p1", budget=10_001)], [provider()],
                 [pool("x", max_share=0.5), pool("y", max_share=0.5)])
    r = reason(result, "p1")
    assert r.reason_code == "co_funding_limit"
    assert (r.params["needed"], r.params["coverable"]) == (10_001, 10_000)


def test_pools_are_never_overspent_by_integer_rounding():
    projects = [project(f"p{i}", budget=1_000_003 + i) for i in range(6)]
    pools = [pool("a", remaining=2_000_001, max_share=0.5), pool("b", remaining=2_000_001),
             pool("c", remaining=1_999_999, max_share=0.7)]
    result = run(projects, [provider(capacity=6)], pools)
    totals = result.pool_totals()
    assert all(totals.get(p.id, 0) <= p.remaining for p in pools)
    assert len(result.assignments) >= 5


@pytest.mark.parametrize("solver", SOLVERS)
def test_provider_capacity_is_respected(solver):
    result = run([project("p1", needs_funding=False),
                  project("p2", budget=20_000_000, needs_funding=False)],
                 [provider("a", capacity=1)], solver=solver)
    assert [a.project_id for a in result.assignments] == ["p1"]  # the larger value
    r = reason(result, "p2")
    assert r.reason_code == "providers_at_capacity"
    assert Reason("provider_capacity", {"provider_id": "a", "load": 1, "capacity": 1}) \
        in result.binding


def test_fairness_caps_a_providers_share_of_the_total_value():
    projects = [project(f"p{i}", budget=10_000_000, needs_funding=False) for i in range(4)]
    providers = [provider("star", capacity=4),
                 provider("other", capacity=4, capability="青少年课后托管")]
    result = run(projects, providers, options=MatchOptions(max_provider_share=0.5))
    by = {}
    for a in result.assignments:
        by[a.provider_id] = by.get(a.provider_id, 0) + a.cost
    assert by["star"] <= 20_000_000 and len(result.assignments) == 4
    assert Reason("provider_share", {"provider_id": "star", "value": 20_000_000,
                                     "cap": 20_000_000.0}) in result.binding


def test_fairness_cap_explains_an_unmatched_project():
    result = run([project("p1", budget=10_000_000, needs_funding=False),
                  project("p2", budget=9_000_000, needs_funding=False)],
                 [provider("a")], options=MatchOptions(max_provider_share=0.6))
    assert reason(result, "p2").reason_code == "provider_share_cap"


def test_bid_price_is_the_cost_that_funding_covers():
    result = run([project("p1")], [provider("a"), provider("b")], [pool("f")],
                 bids=[BidSpec("p1", "b", 25_000_000)])
    a = only(result, "p1")
    assert (a.provider_id, a.cost, a.funded) == ("b", 25_000_000, 25_000_000)


@pytest.mark.parametrize("solver", SOLVERS)
def test_split_project_gets_one_provider_per_lot_and_exact_funding(solver):
    lots = (LotSpec("A", 20_000_000, title="助餐配送"),
            LotSpec("B", 10_000_001, title="心理疏导", category="mental"))
    result = run([project("p1", budget=30_000_001, lots=lots)],
                 [provider("eld"), provider("psy", categories=("mental",),
                                            capability="心理疏导、情绪支持")],
                 [pool("f", max_share=0.6), pool("g")], solver=solver)
    by_lot = {a.lot_id: a for a in result.assignments}
    assert by_lot["A"].provider_id == "eld" and by_lot["B"].provider_id == "psy"
    assert by_lot["A"].funded == 20_000_000 and by_lot["B"].funded == 10_000_001


def test_split_project_is_all_or_nothing():
    lots = (LotSpec("A", 20_000_000), LotSpec("B", 10_000_000, category="mental"))
    result = run([project("p1", lots=lots)], [provider("eld")], [pool("f")])
    assert result.assignments == ()
    r = reason(result, "p1")
    assert (r.reason_code, r.lot_id) == ("no_provider_for_category", "B")


def test_funding_only_and_provider_only_projects():
    result = run([project("fund", needs_provider=False, price=5_000_000),
                  project("deliver", needs_funding=False)], [provider()], [pool("f")])
    fund, deliver = only(result, "fund"), only(result, "deliver")
    assert fund.provider_id is None and fund.funded == fund.cost == 5_000_000
    assert deliver.provider_id == "a" and deliver.funding == ()


def test_pool_focus_and_street_are_enforced():
    result = run([project("p1")], [provider()],
                 [pool("kids", categories={"children"}), pool("meilin", streets={"meilin"}),
                  pool("ok", remaining=30_000_000)])
    assert {f.pool_id for f in only(result, "p1").funding} == {"ok"}


# --------------------------------------------------------------------------- decisions


@pytest.mark.parametrize("solver", SOLVERS)
def test_pinned_pairs_are_kept_and_forbidden_pairs_never_appear(solver):
    weak = provider("weak", capability="社区文体活动", rating_count=5, rating_sum=10.0)
    result = run([project("p1"), project("p2")], [provider("best"), weak], [pool("f")],
                 decisions=[Decision.pin("p1", provider_id="weak"),
                            Decision.forbid("p2", provider_id="best")], solver=solver)
    assert only(result, "p1").provider_id == "weak" and only(result, "p1").pinned
    assert only(result, "p2").provider_id == "weak"
    assert Reason("pinned_provider", {"project_id": "p1", "lot_id": None, "provider_id": "weak"}) \
        in result.binding


def test_pinned_pool_contributes():
    result = run([project("p1")], [provider()], [pool("big"), pool("small", remaining=1_000_000)],
                 decisions=[Decision.pin("p1", pool_id="small")])
    assert any(f.pool_id == "small" and f.amount >= 1 for f in only(result, "p1").funding)


@pytest.mark.parametrize("solver", SOLVERS)
def test_conflicting_pins_return_an_infeasible_result_not_an_exception(solver):
    result = run([project("p1", needs_funding=False), project("p2", needs_funding=False)],
                 [provider("a", capacity=1)],
                 decisions=[Decision.pin("p1", provider_id="a"),
                            Decision.pin("p2", provider_id="a")], solver=solver)
    assert result.status == "infeasible" and result.assignments == ()
    assert {u.reason_code for u in result.unmatched} == {"infeasible_decisions"}
    conflicts = result.unmatched[0].params["conflicts"]
    assert conflicts == [{"code": "pinned_over_capacity",
                          "params": {"provider_id": "a", "count": 2, "capacity": 1}}]
    assert "capacity 1" in render(result.unmatched[0].reason)
    assert [n.code for n in result.notes] == ["pinned_over_capacity"]


def test_pin_that_fails_a_hard_filter_is_infeasible():
    result = run([project("p1")], [provider("far", whole_district=False, streets={"meilin"})],
                 decisions=[Decision.pin("p1", provider_id="far")])
    assert result.status == "infeasible" and result.notes[0].code == "pin_fails_filter"
    assert "area" in render(result.notes[0])
    assert result.unmatched[0].params["conflicts"] == [result.notes[0].as_dict()]


def test_pinned_project_without_enough_money_is_infeasible():
    result = run([project("p1")], [provider("a")], [pool("f", remaining=1_000)],
                 decisions=[Decision.pin("p1", provider_id="a")])
    assert result.status == "infeasible"
    assert result.notes[0] == Reason("pinned_project_underfunded",
                                     {"project_id": "p1", "needed": 30_000_000, "reachable": 1_000})
    assert "can give at most 10" in render(result.unmatched[0].reason)


def test_pin_and_forbid_of_the_same_pair_is_a_value_error():
    with pytest.raises(ValueError, match="decisions"):
        MatchProblem(projects=[project()], providers=[provider()],
                     decisions=[Decision.pin("p1", provider_id="a"),
                                Decision.forbid("p1", provider_id="a")])


# --------------------------------------------------------------------------- edge cases


@pytest.mark.parametrize("solver", SOLVERS)
def test_empty_problem_returns_a_result(solver):
    result = solve(MatchProblem(projects=[], providers=[]), solver=solver)
    assert (result.status, result.assignments, result.unmatched) == ("no_candidates", (), ())


def test_no_providers_returns_no_candidates_with_reasons():
    result = run([project("p1"), project("p2")], [], [pool("f")])
    assert result.status == "no_candidates"
    assert [u.reason_code for u in result.unmatched] == ["no_provider_for_category"] * 2


@pytest.mark.parametrize("kwargs, field", [
    (dict(solver="gurobi"), "solver"), (dict(time_limit=0), "time_limit"),
    (dict(time_limit=float("inf")), "time_limit"), (dict(gap=1.5), "gap"),
    (dict(threads=0), "threads"), (dict(candidates={"p1": []}), "candidates"),
])
def test_bad_arguments_raise_value_error_naming_the_field(kwargs, field):
    prob = MatchProblem(projects=[project()], providers=[provider()])
    with pytest.raises(ValueError, match=field):
        solve(prob, **kwargs)


@pytest.mark.parametrize("build, field", [
    (lambda: project(budget=-1), "ProjectSpec.budget"),
    (lambda: project(price=40_000_000), "ProjectSpec.price"),
    (lambda: project(needs_provider=False, needs_funding=False), "ProjectSpec.needs_provider"),
    (lambda: project(lots=(LotSpec("A", 1),)), "ProjectSpec.lots"),
    (lambda: provider(rating_grade=6), "ProviderSpec.rating_grade"),
    (lambda: provider(kind="charity"), "ProviderSpec.kind"),
    (lambda: provider(capacity=-1), "ProviderSpec.capacity"),
    (lambda: pool(max_share=0.0), "PoolSpec.max_share"),
    (lambda: pool(remaining=1.5), "PoolSpec.remaining"),
    (lambda: Decision("pin", "p1", provider_id="a", pool_id="f"), "Decision.provider_id"),
    (lambda: MatchProblem(projects=[project(), project()], providers=[]), r"projects\[1\].id"),
    (lambda: MatchProblem(projects=[project()], providers=[],
                          bids=[BidSpec("p1", "zz", 1)]), r"bids\[0\].provider_id"),
    (lambda: MatchProblem(projects=[project()], providers=[provider()],
                          decisions=[Decision.pin("p9", provider_id="a")]),
     r"decisions\[0\].project_id"),
    (lambda: MatchOptions(max_provider_share=1.5), "MatchOptions.max_provider_share"),
])
def test_bad_inputs_raise_value_error_naming_the_field(build, field):
    with pytest.raises(ValueError, match=field):
        build()


@pytest.mark.parametrize("build, field", [
    (lambda: project(budget=2**63), "ProjectSpec.budget"),
    (lambda: LotSpec("A", 2**64), "LotSpec.budget"),
    (lambda: BidSpec("p1", "a", 2**63), "BidSpec.price"),
    (lambda: pool(remaining=2**63), "PoolSpec.remaining"),
    (lambda: pool(max_per_project=2**63), "PoolSpec.max_per_project"),
    (lambda: provider(capacity=2**63), "ProviderSpec.capacity"),  # counts too: numpy int64
    (lambda: MatchOptions(k_providers=2**63), "MatchOptions.k_providers"),
    (lambda: solve(MatchProblem(projects=[project()], providers=[provider()]), candidates=(
        CandidateSet({("p1", None): (Candidate("p1", "a", 0.5, {}, 2**63),)}, {}))),
     "candidates: price"),
])
def test_amounts_of_2_63_fen_or_more_raise_value_error_naming_the_field(build, field):
    with pytest.raises(ValueError, match=rf"{field}.*2\*\*63"):
        build()


def test_amounts_just_below_2_63_fen_are_matched_and_funded():
    most = 2**63 - 1
    for solver in available_solvers():
        result = run([project("p1", budget=most)], [provider("a")],
                     [pool("f", remaining=most), pool("g", remaining=most, max_share=0.5,
                                                      max_per_project=most)],
                     bids=[BidSpec("p1", "a", most)], solver=solver)
        assert (only(result, "p1").cost, only(result, "p1").funded) == (most, most)


def test_fairness_cap_holds_when_contract_values_add_up_past_2_63():
    half = 2**62  # two contracts of this add up past the int64 range
    result = run([project("p1", budget=half, needs_funding=False),
                  project("p2", budget=half, needs_funding=False)],
                 [provider("a", capacity=2)], options=MatchOptions(max_provider_share=0.5))
    assert len(result.assignments) == 1 and result.status == "optimal"
    assert reason(result, "p2").reason_code == "provider_share_cap"


def test_candidates_naming_an_unknown_provider_are_rejected():
    prob = MatchProblem(projects=[project()], providers=[provider()])
    bad = CandidateSet({("p1", None): (Candidate("p1", "ghost", 0.5, {}, 1),)}, {})
    with pytest.raises(ValueError, match="candidates"):
        solve(prob, candidates=bad)


def test_same_input_gives_the_same_output():
    projects = [project(f"p{i}", budget=10_000_000 + 1_000 * i) for i in range(5)]
    providers = [provider(f"v{i}", capacity=1) for i in range(3)]
    first = run(projects, providers, [pool("f", remaining=25_000_000)])
    again = run(projects, providers, [pool("f", remaining=25_000_000)])
    assert first.assignments == again.assignments and first.objective == again.objective


def test_verify_catches_an_overspent_pool():
    prob = MatchProblem(projects=[project()], providers=[provider()], pools=[pool("f", 10)])
    from matching.types import Assignment, Funding
    fake = MatchResult("optimal", 1.0, 1.0, 0.0, (Assignment(
        "p1", "a", 1.0, {}, 30_000_000, (Funding("f", 30_000_000),)),), (), (), "cbc", 0.0)
    assert any("overspent" in e for e in verify(prob, fake))


def test_result_reports_bound_gap_and_binding_pool():
    result = run([project("p1"), project("p2", budget=20_000_000)], [provider()],
                 [pool("f", remaining=30_000_000)])
    assert result.bound >= result.objective > 0 and 0 <= result.gap <= 1e-3
    assert any(b.code == "pool_budget" and b.params["pool_id"] == "f" for b in result.binding)
    assert result.solver == "cbc"


def funding_knapsack(budgets, priorities, **options):
    """Funding-only projects competing for a pool with half of what they need."""
    projects = [project(f"p{i}", budget=b, priority=w, needs_provider=False)
                for i, (b, w) in enumerate(zip(budgets, priorities))]
    return MatchProblem(projects=projects, providers=[],
                        pools=[pool("f", remaining=sum(budgets) // 2)],
                        options=MatchOptions(**options))


def test_bound_closed_within_the_requested_gap_is_optimal():
    # CBC stops at the requested relative gap, measured with the tie-breaking terms included
    prob = funding_knapsack([9_000, 5_800, 3_500, 9_300], [2, 0.1, 0.001, 1],
                            weight_by_budget=False)
    result = solve(prob, solver="cbc", gap=1e-4)
    assert verify(prob, result) == []
    assert result.status == "optimal"
    assert result.bound >= result.objective and result.gap <= 1e-4 + 1e-6


@pytest.mark.parametrize("seed", [1, 3])
def test_status_is_optimal_exactly_when_the_bound_closes(seed):
    # seed 3: the selection MIP's bound relaxes the provider choice, and repairing that choice
    # costs value, so the gap stays above the target: the result is only feasible
    prob = synthetic_market(60, 60, 8, seed=seed, funding_ratio=0.3,
                            options=MatchOptions(as_of=date(2025, 1, 1)))
    result = solve(prob, gap=1e-3, time_limit=20)
    assert verify(prob, result) == []
    assert result.bound >= result.objective > 0
    assert result.gap == pytest.approx((result.bound - result.objective) / result.bound, abs=1e-12)
    assert (result.status == "optimal") == (result.gap <= 1e-3 + 2e-7)


@pytest.mark.skipif("highs" not in available_solvers(), reason="highspy not installed")
def test_bound_closed_within_the_solvers_absolute_tolerance_is_optimal():
    # tiny priorities: the whole objective is a few 1e-4 of the model's unit, and HiGHS
    # prunes within an absolute 1e-6 of it
    budgets = [2204, 1606, 135, 439, 3427, 3170, 8429, 280, 5866, 9274, 5940, 1472, 1470, 7853,
               3791, 6757]
    priorities = [0.00028529, 0.00028617, 0.00014714, 0.00018247, 0.00013219, 0.00016942,
                  0.00016078, 0.00018058, 0.00018699, 0.00013824, 0.00025898, 0.00029667,
                  0.00025058, 0.00029416, 0.00025978, 0.00017933]
    prob = funding_knapsack(budgets, priorities)
    result = solve(prob, solver="highs", gap=0.0)
    assert verify(prob, result) == []
    assert result.status == "optimal"
    assert result.bound >= result.objective


# --------------------------------------------------------------------------- oracle


def assignment_problem(scores: np.ndarray, capacities=None):
    n, m = scores.shape
    caps = capacities if capacities is not None else [1] * m
    projects = [project(f"p{i}", needs_funding=False, budget=1_000_000) for i in range(n)]
    providers = [provider(f"v{j}", capacity=int(caps[j])) for j in range(m)]
    cands = CandidateSet({(f"p{i}", None): tuple(
        Candidate(f"p{i}", f"v{j}", float(scores[i, j]), {}, 1_000_000) for j in range(m))
        for i in range(n)}, {})
    return MatchProblem(projects=projects, providers=providers), cands


def lsa_value(scores: np.ndarray, capacities=None) -> float:
    if capacities is not None:
        scores = np.repeat(scores, capacities, axis=1)
    rows, cols = linear_sum_assignment(scores, maximize=True)
    return float(scores[rows, cols].sum())


@pytest.mark.parametrize("solver", SOLVERS)
def test_pure_assignment_matches_linear_sum_assignment(solver):
    rng = np.random.default_rng(42)
    scores = np.round(rng.uniform(0.05, 1.0, size=(30, 40)), 4)
    prob, cands = assignment_problem(scores)
    result = solve(prob, candidates=cands, solver=solver)
    got = sum(a.score for a in result.assignments)
    assert result.status == "optimal"
    assert got == pytest.approx(lsa_value(scores), abs=1e-9)
    assert result.objective == pytest.approx(got * 1_000_000, rel=1e-12)


@given(n=st.integers(1, 6), m=st.integers(1, 5), seed=st.integers(0, 10**6),
       with_capacity=st.booleans())
@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_assignment_oracle_property(n, m, seed, with_capacity):
    rng = np.random.default_rng(seed)
    scores = np.round(rng.uniform(0.0, 1.0, size=(n, m)), 3)
    caps = rng.integers(1, 3, size=m).tolist() if with_capacity else None
    prob, cands = assignment_problem(scores, caps)
    for solver in available_solvers():
        result = solve(prob, candidates=cands, solver=solver)
        assert verify(prob, result) == []
        assert sum(a.score for a in result.assignments) == pytest.approx(
            lsa_value(scores, caps), abs=1e-9)


# --------------------------------------------------------------------------- properties


@st.composite
def markets(draw):
    cats, streets = ["elderly", "children"], ["futian", "meilin"]
    n_proj = draw(st.integers(1, 5))
    projects = []
    for i in range(n_proj):
        needs_provider, needs_funding = draw(st.sampled_from(
            [(True, True), (True, True), (True, False), (False, True)]))
        lots = ()
        budget = draw(st.integers(0, 60_000))
        if needs_provider and draw(st.integers(0, 5)) == 0 and budget >= 2:
            first = draw(st.integers(1, budget - 1))
            lots = (LotSpec("A", first), LotSpec("B", budget - first,
                                                 category=draw(st.sampled_from(cats))))
        projects.append(project(f"p{i}", category=draw(st.sampled_from(cats)),
                                street_id=draw(st.sampled_from(streets)), budget=budget,
                                needs_provider=needs_provider, needs_funding=needs_funding,
                                lots=lots, priority=draw(st.sampled_from([0.5, 1.0, 2.0]))))
    providers = []
    for j in range(draw(st.integers(1, 4))):
        providers.append(provider(
            f"v{j}", categories=tuple(draw(st.lists(st.sampled_from(cats), min_size=1,
                                                    max_size=2, unique=True))),
            whole_district=draw(st.booleans()), streets=set(draw(st.lists(
                st.sampled_from(streets), max_size=2))), capacity=draw(st.integers(0, 2)),
            kind=draw(st.sampled_from(["social_organisation", "enterprise"]))))
    pools = []
    for f in range(draw(st.integers(0, 3))):
        pools.append(pool(f"f{f}", remaining=draw(st.integers(0, 80_000)),
                          max_share=draw(st.sampled_from([0.3, 0.5, 1.0])),
                          max_per_project=draw(st.sampled_from([None, 20_000])),
                          categories=set(draw(st.lists(st.sampled_from(cats), max_size=1))),
                          streets=set(draw(st.lists(st.sampled_from(streets), max_size=1)))))
    bids = []
    for p in projects:
        if p.needs_provider and not p.lots and draw(st.integers(0, 3)) == 0:
            for v in draw(st.lists(st.sampled_from(providers), max_size=2, unique_by=lambda v: v.id)):
                bids.append(BidSpec(p.id, v.id, draw(st.integers(0, p.budget + 10))))
    decisions = []
    seen = set()
    for _ in range(draw(st.integers(0, 3))):
        p = draw(st.sampled_from(projects))
        kind = draw(st.sampled_from(["pin", "forbid"]))
        if p.needs_provider and (not p.lots or kind == "forbid") and draw(st.booleans()):
            target = ("provider", draw(st.sampled_from(providers)).id)
        elif p.needs_funding and pools:
            target = ("pool", draw(st.sampled_from(pools)).id)
        else:
            continue
        if (p.id, target) in seen:
            continue
        seen.add((p.id, target))
        kw = {f"{target[0]}_id": target[1]}
        decisions.append(Decision(kind, p.id, **kw))
    share = draw(st.sampled_from([None, None, 0.4, 0.8]))
    return MatchProblem(projects=projects, providers=providers, pools=pools, bids=bids,
                        decisions=decisions, options=MatchOptions(max_provider_share=share))


def check_properties(prob: MatchProblem, result: MatchResult):
    assert verify(prob, result) == []
    pools = {p.id: p for p in prob.pools}
    for pool_id, total in result.pool_totals().items():
        assert total <= pools[pool_id].remaining  # no pool overspent
    for a in result.assignments:
        if prob.project(a.project_id).needs_funding:
            assert a.funded == a.cost  # funding sums exact
    load = {}
    for a in result.assignments:
        if a.provider_id is not None:
            load[a.provider_id] = load.get(a.provider_id, 0) + 1
    assert all(n <= prob.provider(v).capacity for v, n in load.items())
    pairs = {(a.project_id, a.provider_id) for a in result.assignments} | {
        (a.project_id, f.pool_id) for a in result.assignments for f in a.funding}
    for d in prob.decisions:
        pair = (d.project_id, d.provider_id if d.provider_id is not None else d.pool_id)
        if d.kind == "forbid":
            assert pair not in pairs
        elif result.status in ("optimal", "feasible"):
            assert pair in pairs
    if result.status == "infeasible":
        assert result.assignments == ()
    assert {a.project_id for a in result.assignments}.isdisjoint(
        {u.project_id for u in result.unmatched})
    assert len({a.project_id for a in result.assignments}) + len(result.unmatched) == \
        len(prob.projects)


@given(prob=markets())
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_random_markets_satisfy_every_constraint_with_cbc(prob):
    check_properties(prob, solve(prob, solver="cbc", time_limit=20))


@pytest.mark.skipif("highs" not in available_solvers(), reason="highspy not installed")
@given(prob=markets())
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_random_markets_satisfy_every_constraint_with_highs(prob):
    check_properties(prob, solve(prob, solver="highs", time_limit=20))


@given(prob=markets())
@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_both_solvers_reach_the_same_objective(prob):
    assume("highs" in available_solvers())
    a = solve(prob, solver="cbc", gap=0.0)
    b = solve(prob, solver="highs", gap=0.0)
    assert a.status == b.status
    assert a.objective == pytest.approx(b.objective, rel=1e-6, abs=1e-6)


def test_a_relaxation_stopped_by_its_time_limit_proves_no_bound():
    # the LP's value is a bound only when the LP was solved to optimality
    import dataclasses
    import time

    from matching.candidates import generate_candidates
    from matching.optimize.instance import Instance
    from matching.optimize.pipeline import Pipeline
    from matching.optimize.runner import SolverRunner

    class StoppedEarly(SolverRunner):
        """Every solve ends as if its time limit had been reached: values, no bound."""

        def run(self, model, **kw):
            out = super().run(model, **kw)
            if out.status == "optimal":
                out = dataclasses.replace(out, status="feasible", bound=None)
            return out

    problem = MatchProblem(projects=[project("p1", budget=100), project("p2", budget=200)],
                           providers=[provider("a", capacity=2)], pools=[pool(remaining=250)])
    inst = Instance(problem, generate_candidates(problem))
    honest = Pipeline(inst, SolverRunner("cbc", time.perf_counter() + 30), gap=1e-3,
                      mip_max_projects=10, notes=[]).run()
    stopped = Pipeline(inst, StoppedEarly("cbc", time.perf_counter() + 30), gap=1e-3,
                       mip_max_projects=10, notes=[]).run()
    assert honest.status == "optimal"
    assert stopped.objective == pytest.approx(honest.objective)
    assert stopped.status == "feasible" and stopped.bound == float("inf")


@pytest.mark.skipif("highs" not in available_solvers(), reason="highspy not installed")
@given(prob=markets())
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_column_generation_and_diving_keep_every_constraint_and_an_honest_bound(prob):
    # the large-model path on small markets: column generation with tightened multipliers for
    # the relaxation, diving on the selection LP (only some projects free) for the rounding
    from matching.optimize import relaxation

    exact = solve(prob, solver="cbc", gap=0.0, time_limit=20)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(relaxation, "COLUMN_GENERATION_MIN", 0)
        result = solve(prob, solver="highs", time_limit=20, mip_max_projects=1)
    check_properties(prob, result)
    if exact.status == "optimal" and result.status in ("optimal", "feasible"):
        assert result.objective <= exact.objective * (1 + 1e-6) + 1e-6
        assert result.bound >= exact.objective * (1 - 1e-6) - 1e-6
        if result.status == "optimal":
            assert result.objective >= exact.objective * (1 - 1e-3 - 1e-6) - 1e-6
