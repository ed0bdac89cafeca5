"""Candidate generation: hard filters, ranking, pools, pruning recall."""

from datetime import date

import pytest

from matching.bench import synthetic_market
from matching.candidates import (
    check_pair,
    exhaustive_candidates,
    generate_candidates,
    recall_at_k,
)
from matching.reasons import render
from matching.score import score_pair
from matching.types import (
    BidSpec,
    Decision,
    LotSpec,
    MatchOptions,
    MatchProblem,
    PoolSpec,
    ProjectSpec,
    ProviderSpec,
    Requirements,
)

NEED = "为辖区独居老人提供上门助餐、探访和健康监测服务"


def project(**kw):
    base = dict(id="p1", title="福田社区长者助餐", category="elderly", category_name="养老服务",
                street_id="futian", street_name="福田街道", community_id="futian:1",
                budget=30_000_000, description=NEED)
    base.update(kw)
    return ProjectSpec(**base)


def provider(id, **kw):
    base = dict(id=id, name=f"机构{id}", categories=("elderly",), whole_district=True,
                capability="专注居家养老、助餐配送、长者健康管理", rating_grade=4,
                years_registered=5.0, staff=10, office_area_m2=80.0, capacity=2)
    base.update(kw)
    return ProviderSpec(**base)


def problem(projects, providers, **kw):
    return MatchProblem(projects=projects, providers=providers, **kw)


def ids(cands, project_id="p1", lot_id=None):
    return [c.provider_id for c in cands.for_project(project_id, lot_id)]


@pytest.mark.parametrize("bad, stage", [
    (dict(categories=("children",)), "category"),
    (dict(capacity=0), "capacity"),
    (dict(whole_district=False, streets={"meilin"}), "area"),
    (dict(rating_grade=2), "requirements"),
    (dict(years_registered=0.5), "requirements"),
    (dict(staff=2), "requirements"),
    (dict(office_area_m2=10.0), "requirements"),
    (dict(conflict_project_ids={"p1"}), "conflicts"),
    (dict(conflict_org_ids={"org-applicant"}), "conflicts"),
])
def test_each_hard_filter_excludes_the_provider(bad, stage):
    reqs = Requirements(min_rating_grade=3, min_years_registered=1, min_staff=3,
                        min_office_area_m2=20)
    prob = problem([project(requirements=reqs, applicant_id="org-applicant")],
                   [provider("ok"), provider("bad", **bad)])
    cands = generate_candidates(prob)
    assert ids(cands) == ["ok"]
    assert check_pair(prob, "p1", "bad") == stage
    assert check_pair(prob, "p1", "ok") is None


def test_community_level_provider_serves_only_its_community():
    prob = problem([project(), project(id="p2", community_id="futian:2")],
                   [provider("c1", whole_district=False, communities={"futian:1"})])
    cands = generate_candidates(prob)
    assert ids(cands, "p1") == ["c1"] and ids(cands, "p2") == []
    assert cands.for_project("p1")[0].components["geography"] == 1.0


def test_street_wide_project_needs_a_street_level_provider():
    prob = problem([project(community_id=None)],
                   [provider("c1", whole_district=False, communities={"futian:1"}),
                    provider("s1", whole_district=False, streets={"futian"})])
    assert ids(generate_candidates(prob)) == ["s1"]


def test_registered_on_is_checked_against_as_of():
    prob = problem([project(requirements=Requirements(min_years_registered=1))],
                   [provider("new", years_registered=None, registered_on=date(2024, 9, 1)),
                    provider("old", years_registered=None, registered_on=date(2020, 9, 1))],
                   options=MatchOptions(as_of=date(2025, 1, 1)))
    assert ids(generate_candidates(prob)) == ["old"]


def test_only_bidders_within_budget_are_candidates_when_bids_exist():
    prob = problem([project()], [provider("a"), provider("b"), provider("c")],
                   bids=[BidSpec("p1", "b", 27_000_000), BidSpec("p1", "c", 31_000_000)])
    cands = generate_candidates(prob)
    assert ids(cands) == ["b"]
    assert cands.for_project("p1")[0].price == 27_000_000
    assert cands.funnels[("p1", None)].first_empty() is None
    assert check_pair(prob, "p1", "c") == "bids"


def test_forbidden_pair_is_excluded_and_pinned_pair_kept_below_the_cut():
    weak = provider("weak", capability="青少年课后托管", rating_count=10, rating_sum=15.0)
    strong = [provider(f"s{i}") for i in range(4)]
    prob = problem([project()], strong + [weak],
                   decisions=[Decision.forbid("p1", provider_id="s0"),
                              Decision.pin("p1", provider_id="weak")],
                   options=MatchOptions(k_providers=2))
    got = ids(generate_candidates(prob))
    assert "s0" not in got and "weak" in got and len(got) == 3


def test_pinned_pair_failing_a_filter_is_reported():
    prob = problem([project()], [provider("far", whole_district=False, streets={"meilin"})],
                   decisions=[Decision.pin("p1", provider_id="far")])
    cands = generate_candidates(prob)
    assert [e.code for e in cands.pin_errors] == ["pin_fails_filter"]
    assert cands.pin_errors[0].params == {"project_id": "p1", "lot_id": None, "provider_id": "far",
                                          "stage": "area"}
    assert "fails the area filter" in render(cands.pin_errors[0])


def test_related_provider_ranks_first_and_ties_break_by_id():
    prob = problem([project()], [
        provider("z-kids", capability="青少年课后托管、四点半课堂与亲子阅读"),
        provider("b-elderly"), provider("a-elderly")])
    cands = generate_candidates(prob)
    assert ids(cands) == ["a-elderly", "b-elderly", "z-kids"]
    first, second = cands.for_project("p1")[:2]
    assert first.score == second.score


def test_top_k_limits_the_list():
    prob = problem([project()], [provider(f"x{i:02d}") for i in range(30)],
                   options=MatchOptions(k_providers=5))
    assert len(ids(generate_candidates(prob))) == 5


def test_candidate_components_match_score_pair():
    prob = synthetic_market(40, 60, 5, seed=3)
    cands = generate_candidates(prob)
    checked = 0
    for (pid, lot_id), lst in list(cands.providers.items())[:15]:
        proj = prob.project(pid)
        lot = next((lot for lot in proj.lots if lot.id == lot_id), None)
        for c in lst[:3]:
            score, parts = score_pair(proj, prob.provider(c.provider_id), lot=lot, price=c.price)
            assert c.score == pytest.approx(score, abs=1e-9)
            assert c.components == pytest.approx(parts, abs=1e-9)
            checked += 1
    assert checked > 10


def test_lots_get_candidates_of_their_own_category():
    lots = (LotSpec("A", 20_000_000, title="助餐配送"),
            LotSpec("B", 10_000_000, title="心理疏导", category="mental"))
    prob = problem([project(lots=lots)],
                   [provider("eld"), provider("psy", categories=("mental",),
                                              capability="心理疏导、情绪支持")])
    cands = generate_candidates(prob)
    assert ids(cands, "p1", "A") == ["eld"] and ids(cands, "p1", "B") == ["psy"]


def test_funnel_explains_the_first_filter_that_left_nobody():
    prob = problem([project()], [provider("far", whole_district=False, streets={"meilin"})])
    funnel = generate_candidates(prob).funnels[("p1", None)]
    assert (funnel.category, funnel.capacity, funnel.area) == (1, 1, 0)
    assert funnel.first_empty() == "area"


def test_pools_are_filtered_by_focus_street_money_and_decisions():
    pools = [PoolSpec("any", "区级资金", remaining=10**8),
             PoolSpec("eld", "养老基金", remaining=10**8, categories={"elderly"}),
             PoolSpec("kids", "儿童基金", remaining=10**8, categories={"children"}),
             PoolSpec("meilin", "梅林街道资金", remaining=10**8, streets={"meilin"}),
             PoolSpec("empty", "已用完", remaining=0),
             PoolSpec("banned", "被排除", remaining=10**8)]
    prob = problem([project()], [provider("a")], pools=pools,
                   decisions=[Decision.forbid("p1", pool_id="banned")])
    got = {p.pool_id for p in generate_candidates(prob).pools["p1"]}
    assert got == {"any", "eld"}


def test_pool_shortlist_is_deterministic_and_keeps_pins():
    pools = [PoolSpec(f"f{i:02d}", f"基金{i}", remaining=(i + 1) * 10**6) for i in range(30)]
    prob = problem([project()], [provider("a")], pools=pools,
                   decisions=[Decision.pin("p1", pool_id="f00")],
                   options=MatchOptions(k_pools=5))
    first = generate_candidates(prob).pools["p1"]
    again = generate_candidates(prob).pools["p1"]
    assert first == again
    assert len(first) in (5, 6) and "f00" in {p.pool_id for p in first}


def test_pruned_candidates_recall_the_exhaustive_top_20():
    prob = synthetic_market(300, 800, 20, seed=5, options=MatchOptions(
        as_of=date(2025, 1, 1), shortlist=30))
    fast = generate_candidates(prob)
    ref = exhaustive_candidates(prob)
    assert fast.stats["pairs_rescored"] < ref.stats["pairs_rescored"]
    assert recall_at_k(fast, ref, 20) >= 0.95


def test_exhaustive_and_pruned_agree_when_the_shortlist_covers_everything():
    prob = synthetic_market(60, 120, 5, seed=9,
                            options=MatchOptions(as_of=date(2025, 1, 1), shortlist=500))
    assert generate_candidates(prob).providers == exhaustive_candidates(prob).providers


def test_no_projects_or_providers_give_empty_candidates():
    assert generate_candidates(problem([], [])).pair_count == 0
    cands = generate_candidates(problem([project()], []))
    assert cands.pair_count == 0 and cands.funnels[("p1", None)].first_empty() == "category"


def test_pool_draws_do_not_depend_on_the_other_projects_of_their_block():
    # projects of one (category, street) are drawn together; each keeps its own draw
    from matching.bench import synthetic_market
    from matching.candidates.pools import pool_candidates

    problem = synthetic_market(300, 50, 40, seed=5)
    together, _, _ = pool_candidates(problem, problem.projects)
    funded = [p for p in problem.projects if p.needs_funding]
    for project in funded[:25]:
        alone, _, _ = pool_candidates(problem, [project])
        assert alone[project.id] == together[project.id]
    assert list(together) == [p.id for p in funded]


def test_a_lots_own_qualifications_are_required_of_its_providers_only():
    from matching.candidates import exhaustive_candidates, generate_candidates
    from matching.candidates.units import check_pair
    from matching.types import LotSpec, MatchProblem, ProjectSpec, ProviderSpec

    project = ProjectSpec(id=1, title="长者饭堂运营及改造", category="elderly_care", street_id="s", budget=300,
                          lots=[LotSpec(id="meals", budget=200, title="助餐服务"),
                                LotSpec(id="works", budget=100, title="适老化改造工程", project_type="works",
                                        qualifications=["construction"])])
    licensed = ProviderSpec(id="licensed", name="装饰公司", categories=["elderly_care"], whole_district=True,
                            capability="适老化改造工程 助餐服务", supplies=["service", "works"],
                            qualifications=["construction"])
    unlicensed = ProviderSpec(id="unlicensed", name="修缮社", categories=["elderly_care"], whole_district=True,
                              capability="适老化改造工程 助餐服务", supplies=["service", "works"])
    problem = MatchProblem(projects=[project], providers=[licensed, unlicensed])
    assert check_pair(problem, 1, "unlicensed", lot_id="works") == "requirements"
    assert check_pair(problem, 1, "unlicensed", lot_id="meals") is None
    assert check_pair(problem, 1, "licensed", lot_id="works") is None
    for candidates in (generate_candidates(problem), exhaustive_candidates(problem)):
        assert {c.provider_id for c in candidates.for_project(1, "works")} == {"licensed"}
        assert {c.provider_id for c in candidates.for_project(1, "meals")} == {"licensed", "unlicensed"}
