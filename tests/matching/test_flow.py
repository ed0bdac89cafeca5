"""The flow fast path: when it applies, and that it matches the MILP path's objective exactly."""

from __future__ import annotations

import random

import pytest

from matching.optimize import solve, verify
from matching.optimize.flow import flow_blocker
from matching.optimize.instance import Instance
from matching.reasons import PATH_CODES, REASON_TEMPLATES, render
from matching.solvers import available_solvers
from matching.types import (
    Candidate,
    CandidateSet,
    Decision,
    LotSpec,
    MatchOptions,
    MatchProblem,
    PoolCandidate,
    PoolSpec,
    ProjectSpec,
    ProviderSpec,
    UnitKey,
)

SOLVERS = available_solvers()


def random_assignment(seed: int) -> tuple[MatchProblem, CandidateSet]:
    """A small pure assignment: capacities 0-3, sparse candidates, priorities, pins, forbids,
    more projects than slots at times (some must stay unmatched)."""
    rng = random.Random(seed)
    n_projects = rng.randint(1, 12)
    n_providers = rng.randint(1, 6)
    projects = [ProjectSpec(id=f"p{j:02d}", title="t", category="c", street_id="s",
                            budget=rng.choice([0, 1_000, 50_000, 2_000_000]) or 1,
                            priority=rng.choice([0.5, 1.0, 1.0, 2.0]), needs_funding=False)
                for j in range(n_projects)]
    providers = [ProviderSpec(id=f"v{i}", name="v", categories=("c",), whole_district=True,
                              capacity=rng.choice([0, 1, 1, 2, 3])) for i in range(n_providers)]
    lists: dict[UnitKey, tuple[Candidate, ...]] = {}
    for p in projects:
        chosen = rng.sample(providers, rng.randint(0, n_providers))
        cands = [Candidate(p.id, v.id, rng.choice([0.0, 0.25, 0.5, round(rng.random(), 3)]), {},
                           p.budget) for v in chosen]
        lists[(p.id, None)] = tuple(sorted(cands, key=lambda c: -c.score))
    decisions = []
    pairs = [(key[0], c.provider_id) for key, cands in lists.items() for c in cands]
    rng.shuffle(pairs)
    pinned_projects: set[object] = set()
    pins_of: dict[object, int] = {}
    capacity = {v.id: v.capacity for v in providers}
    for project_id, provider_id in pairs[:rng.randint(0, 4)]:
        if rng.random() < 0.5:
            decisions.append(Decision.forbid(project_id, provider_id=provider_id))
        elif project_id not in pinned_projects and pins_of.get(provider_id, 0) < capacity[provider_id]:
            decisions.append(Decision.pin(project_id, provider_id=provider_id))
            pinned_projects.add(project_id)
            pins_of[provider_id] = pins_of.get(provider_id, 0) + 1
    problem = MatchProblem(projects=projects, providers=providers, decisions=decisions,
                           options=MatchOptions(weight_by_budget=rng.random() < 0.8))
    return problem, CandidateSet(lists, {})


@pytest.mark.parametrize("seed", range(200))
def test_fast_path_has_the_milp_objective_on_random_assignments(seed):
    problem, cands = random_assignment(seed)
    fast = solve(problem, candidates=cands)
    assert verify(problem, fast) == []
    if fast.status != "no_candidates":
        assert fast.stats["path"] == "flow"
        assert [n.code for n in fast.notes] == ["flow_fast_path"]
        assert fast.status == "optimal" and fast.gap == 0.0
    for solver in SOLVERS if seed % 10 == 0 else ["cbc"]:
        milp = solve(problem, candidates=cands, solver=solver, gap=0.0, fast_path=False)
        assert verify(problem, milp) == []
        assert milp.status == fast.status
        assert fast.objective == pytest.approx(milp.objective, rel=1e-7, abs=1e-9)
    kept = {(a.project_id, a.provider_id) for a in fast.assignments}
    for dec in problem.decisions:
        pair = (dec.project_id, dec.provider_id)
        assert (pair in kept) == (dec.kind == "pin")


def project(id: str, **kw: object) -> ProjectSpec:
    kw = {"title": "t", "category": "c", "street_id": "s", "budget": 100, "needs_funding": False,
          **kw}
    return ProjectSpec(id=id, **kw)  # type: ignore[arg-type]


def provider(id: str, capacity: int = 1) -> ProviderSpec:
    return ProviderSpec(id=id, name=id, categories=("c",), whole_district=True, capacity=capacity)


def test_capacity_and_leaving_projects_unmatched():
    # v (capacity 2) is best for all three; w takes p3, which loses least by moving
    projects = [project("p1", budget=100), project("p2", budget=300), project("p3", budget=200)]
    cands = CandidateSet({
        ("p1", None): (Candidate("p1", "v", 0.9, {}, 100),),
        ("p2", None): (Candidate("p2", "v", 0.9, {}, 300),),
        ("p3", None): (Candidate("p3", "v", 0.9, {}, 200), Candidate("p3", "w", 0.5, {}, 200)),
    }, {})
    problem = MatchProblem(projects=projects, providers=[provider("v", 2), provider("w", 1)])
    result = solve(problem, candidates=cands)
    assert result.stats["path"] == "flow"
    assert {(a.project_id, a.provider_id) for a in result.assignments} == {
        ("p2", "v"), ("p1", "v"), ("p3", "w")}
    assert result.unmatched == ()
    assert result.objective == pytest.approx(
        solve(problem, candidates=cands, fast_path=False).objective, rel=1e-9)


def test_a_pin_takes_a_slot_and_a_forbid_drops_the_pair():
    projects = [project("p1"), project("p2")]
    cands = CandidateSet({
        ("p1", None): (Candidate("p1", "v", 0.9, {}, 100), Candidate("p1", "w", 0.8, {}, 100)),
        ("p2", None): (Candidate("p2", "v", 0.9, {}, 100),),
    }, {})
    problem = MatchProblem(projects=projects, providers=[provider("v"), provider("w")],
                           decisions=[Decision.pin("p2", provider_id="v"),
                                      Decision.forbid("p1", provider_id="w")])
    result = solve(problem, candidates=cands)
    assert result.stats["path"] == "flow"
    assert [(a.project_id, a.provider_id, a.pinned) for a in result.assignments] == [
        ("p2", "v", True)]
    assert result.unmatched[0].project_id == "p1"
    assert result.unmatched[0].reason.code in {"providers_at_capacity", "forbidden_by_decision"}
    assert verify(problem, result) == []


def test_the_note_names_the_path_in_words():
    assert "flow_fast_path" in PATH_CODES and "flow_fast_path" in REASON_TEMPLATES
    problem, cands = random_assignment(3)
    result = solve(problem, candidates=cands)
    note = next(n for n in result.notes if n.code == "flow_fast_path")
    assert "min-cost flow" in render(note)
    assert result.solver == ""


def blocker_of(problem: MatchProblem) -> str | None:
    cands = CandidateSet({(p.id, lot.id if p.lots else None): (Candidate(p.id, "v", 0.5, {}, 100),)
                          for p in problem.projects for lot in (p.lots or [None])}, {})
    return flow_blocker(Instance(problem, cands))


def test_the_fast_path_applies_only_to_a_pure_assignment():
    providers = [provider("v", 5)]
    pools = [PoolSpec(id="f", name="f", remaining=10**6)]
    assert blocker_of(MatchProblem(projects=[project("p")], providers=providers)) is None
    assert blocker_of(MatchProblem(projects=[project("p")], providers=providers,
                                   options=MatchOptions(max_provider_share=0.5))) \
        == "provider_share_cap"
    assert blocker_of(MatchProblem(projects=[project("p", needs_funding=True)],
                                   providers=providers)) is None  # no pool: cannot go ahead
    funded = MatchProblem(projects=[project("p", needs_funding=True)], providers=providers,
                          pools=pools)
    assert flow_blocker(Instance(funded, CandidateSet(
        {("p", None): (Candidate("p", "v", 0.5, {}, 100),)},
        {"p": (PoolCandidate("p", "f", 0, False),)}))) == "needs_pool_money"
    split = project("p", lots=[LotSpec(id="a", title="a", budget=50),
                               LotSpec(id="b", title="b", budget=50)])
    assert blocker_of(MatchProblem(projects=[split], providers=providers)) == "split_project"


def test_conflicting_pins_take_the_milp_path_and_are_explained():
    projects = [project("p1"), project("p2")]
    cands = CandidateSet({
        ("p1", None): (Candidate("p1", "v", 0.9, {}, 100),),
        ("p2", None): (Candidate("p2", "v", 0.9, {}, 100),),
    }, {})
    problem = MatchProblem(projects=projects, providers=[provider("v")],
                           decisions=[Decision.pin("p1", provider_id="v"),
                                      Decision.pin("p2", provider_id="v")])
    result = solve(problem, candidates=cands)
    assert result.status == "infeasible"
    assert result.stats["flow_blocker"] == "conflicting_pins"


def test_quick_benchmark_rows_agree_with_the_dense_assignment_and_the_milp():
    from matching.bench import flow_bench

    rows = flow_bench.run(quick=True)
    assert len(rows) == 3
    assert all(row["quality"].startswith("objective equal") for row in rows), rows


@pytest.mark.parametrize("seed", range(5))
def test_fast_path_has_the_milp_objective_on_larger_assignments_with_capacities(seed):
    # enough units per provider that slots repeat and many augmenting paths are needed
    rng = random.Random(1000 + seed)
    projects = [project(f"p{j:03d}", budget=rng.choice([1_000, 5_000, 20_000]),
                        priority=rng.choice([1.0, 2.0])) for j in range(60)]
    providers = [provider(f"v{i:02d}", capacity=rng.randint(0, 4)) for i in range(15)]
    lists: dict[UnitKey, tuple[Candidate, ...]] = {}
    for p in projects:
        chosen = rng.sample(providers, rng.randint(1, 6))
        lists[(p.id, None)] = tuple(Candidate(p.id, v.id, round(rng.random(), 2), {}, p.budget)
                                    for v in chosen)
    problem = MatchProblem(projects=projects, providers=providers)
    cands = CandidateSet(lists, {})
    fast = solve(problem, candidates=cands)
    milp = solve(problem, candidates=cands, gap=0.0, fast_path=False)
    assert fast.stats["path"] == "flow" and verify(problem, fast) == []
    assert fast.objective == pytest.approx(milp.objective, rel=1e-7)
    loads: dict[object, int] = {}
    for a in fast.assignments:
        loads[a.provider_id] = loads.get(a.provider_id, 0) + 1
    assert all(loads[v.id] <= v.capacity for v in providers if v.id in loads)


def test_a_repeated_candidate_counts_once_with_its_first_score():
    cands = CandidateSet({("p1", None): (Candidate("p1", "v", 0.2, {}, 100),
                                         Candidate("p1", "w", 0.5, {}, 100),
                                         Candidate("p1", "v", 0.9, {}, 100))}, {})
    inst = Instance(MatchProblem(projects=[project("p1")], providers=[provider("v"),
                                                                      provider("w")]), cands)
    assert [(int(inst.pair_provider[k]), float(inst.pair_score[k])) for k in inst.unit_pairs[0]] \
        == [(1, 0.5), (0, 0.2)]
    assert inst.pair_position == {(0, 0): 0, (0, 1): 1}


def test_the_first_bad_candidate_in_input_order_is_named():
    problem = MatchProblem(projects=[project("p1"), project("p2")], providers=[provider("v")])
    cands = CandidateSet({("p1", None): (Candidate("p1", "v", 1.5, {}, 100),),
                          ("p2", None): (Candidate("p2", "nobody", 0.5, {}, 100),)}, {})
    with pytest.raises(ValueError, match="score of 'p1'/'v'"):
        Instance(problem, cands)
    cands = CandidateSet({("p1", None): (Candidate("p1", "v", 0.5, {}, -1),),
                          ("ghost", None): (Candidate("ghost", "v", 0.5, {}, 100),)}, {})
    with pytest.raises(ValueError, match="price of 'p1'/'v'"):
        Instance(problem, cands)
    cands = CandidateSet({("p1", None): (Candidate("p1", "v", 0.5, {}, True),)}, {})
    with pytest.raises(ValueError, match="price of 'p1'/'v' must be an int"):
        Instance(problem, cands)


def _provider_stage_by_milp(inst, required, optional, room):
    """The provider stage as a MILP (scipy): the optimum, or None if infeasible."""
    import numpy as np
    from scipy.optimize import Bounds, LinearConstraint, milp

    from matching.optimize.formulation import pair_objective

    units = set(required) | set(optional)
    edges = [k for k in range(len(inst.pair_unit)) if int(inst.pair_unit[k]) in units]
    c = pair_objective(inst)
    rows, lower, upper = [], [], []
    for u in sorted(units):
        rows.append([1.0 if int(inst.pair_unit[k]) == u else 0.0 for k in edges])
        lower.append(1.0 if u in required else 0.0)
        upper.append(1.0)
    for i in range(len(inst.providers)):
        rows.append([1.0 if int(inst.pair_provider[k]) == i else 0.0 for k in edges])
        lower.append(0.0)
        upper.append(float(room[i]))
    if not edges:
        return None if required else 0.0
    res = milp(-c[edges], constraints=LinearConstraint(np.array(rows), lower, upper),
               integrality=np.ones(len(edges)), bounds=Bounds(0, 1),
               options={"mip_rel_gap": 0.0})
    return None if res.x is None else -res.fun


@pytest.mark.parametrize("seed", range(60))
def test_provider_stage_flow_has_the_milp_objective(seed):
    import numpy as np

    from matching.optimize.flow import assign_providers
    from matching.optimize.formulation import pair_objective

    problem, cands = random_assignment(seed)
    inst = Instance(problem, cands)
    rng = random.Random(seed)
    units = list(range(len(inst.units)))
    rng.shuffle(units)
    cut = rng.randint(0, len(units))
    required, optional = sorted(units[:cut]), sorted(units[cut:])
    room = np.array([max(0, c - rng.randint(0, 1)) for c in inst.capacity], dtype=np.int64)
    got = assign_providers(inst, np.array(required, dtype=np.int64),
                           np.array(optional, dtype=np.int64), room)
    best = _provider_stage_by_milp(inst, required, optional, room)
    if best is None:
        assert got is None
        return
    assert got is not None
    assert set(required) <= set(got)
    c = pair_objective(inst)
    assert all(int(inst.pair_unit[k]) == u for u, k in got.items())
    loads = np.bincount([int(inst.pair_provider[k]) for k in got.values()],
                        minlength=len(inst.providers))
    assert (loads <= room).all()
    value = sum(c[k] for k in got.values())
    # never worse than the MILP; equal within its absolute gap (HiGHS stops at 1e-6)
    assert value >= best - 1e-9
    assert value == pytest.approx(best, rel=1e-7, abs=1e-6)

