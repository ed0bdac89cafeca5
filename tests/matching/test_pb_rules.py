"""matching.pb rules on small hand-made elections with known outcomes."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from matching.pb import (
    RULES,
    TIE_BREAKING_RULES,
    Ballot,
    Election,
    PBProject,
    greedy,
    max_welfare,
    mes_add_one,
    mes_add_one_greedy,
    method_of_equal_shares,
    read_pabulib,
    run_rule,
    sequential_phragmen,
    tie_breaking_ranks,
)
from matching.pb.rules import mes as mes_module

DATA = Path(__file__).resolve().parents[1] / "data" / "pabulib"


def election(costs: dict[str, int], ballots: list[tuple[str, ...]], budget, ballot_type="approval", points=None):
    projects = tuple(PBProject(pid, cost) for pid, cost in costs.items())
    made = []
    for index, chosen in enumerate(ballots):
        made.append(Ballot(str(index + 1), chosen, points[index] if points else ()))
    return Election(projects, tuple(made), budget, ballot_type)


# a: 3 votes, b: 2 votes, c: 1 vote
ABC = election({"a": 60, "b": 50, "c": 40}, [("a", "b"), ("a", "b"), ("a", "c")], 100)


def test_registry_names():
    assert list(RULES) == [
        "greedy",
        "greedy-cost-sat",
        "greedy-cardinality-sat",
        "greedy-additive-sat",
        "max-welfare",
        "mes",
        "mes-add1",
        "mes-add1-greedy",
        "phragmen",
    ]
    with pytest.raises(ValueError, match="rule"):
        run_rule("borda", ABC)
    for name in RULES:
        result = run_rule(name, ABC)
        assert result.rule == name
        assert [x.project_id for x in result.explanations] == ["a", "b", "c"]
        assert {x.project_id for x in result.explanations if x.selected} == set(result.selected)
        assert result.cost == sum(ABC.project(p).cost for p in result.selected) <= ABC.budget


# -- greedy -----------------------------------------------------------------------


def test_greedy_skips_what_does_not_fit_and_continues():
    result = greedy(ABC)
    assert result.selected == ("a", "c")
    assert result.cost == 100
    assert result.explanation("a").reason == "selected: 3 votes (1st in line); its cost 60 fit in the budget left 100"
    assert result.explanation("b").reason == "not selected: 2 votes (2nd in line), but the budget left 40 < cost 50"
    assert result.explanation("c").selected


def test_greedy_ties_go_to_the_id_first_as_a_string():
    tied = election({"9": 10, "10": 10}, [("9", "10")], 10)
    assert greedy(tied).selected == ("10",)  # "10" < "9" as strings, like pabutools
    assert tie_breaking_ranks(tied) == [1, 0]
    cheap = election({"9": 5, "10": 10}, [("9", "10")], 10)
    assert greedy(cheap, tie_breaking="min-cost").selected == ("9",)
    assert greedy(cheap, tie_breaking="max-cost").selected == ("10",)
    with pytest.raises(ValueError, match="tie_breaking"):
        greedy(cheap, tie_breaking="random")


def test_greedy_funds_unsupported_projects_last_if_they_fit():
    result = greedy(election({"a": 50, "b": 30, "z": 20}, [("a",), ("b",), ("a",)], 100))
    assert result.selected == ("a", "b", "z")


def test_greedy_by_points_and_by_rank():
    cumulative = election(
        {"a": 60, "b": 50, "c": 40}, [("a", "b"), ("b", "c"), ("c",)], 100, "cumulative", [(1, 2), (3, 1), (5,)]
    )
    assert cumulative.scores() == {"a": 1, "b": 5, "c": 6}
    result = greedy(cumulative)
    assert result.selected == ("c", "b")
    assert "6 points" in result.explanation("c").reason
    ordinal = election({"a": 60, "b": 50, "c": 40}, [("a", "b", "c"), ("b", "a"), ("b",)], 100, "ordinal")
    assert ordinal.scores() == {"a": 4, "b": 5, "c": 1}
    assert greedy(ordinal).selected == ("b", "c")


def test_no_ballots_or_no_budget():
    empty = election({"a": 10, "b": 20}, [], 25)
    assert greedy(empty).selected == ("a",)
    assert method_of_equal_shares(empty).selected == ()
    assert mes_add_one(empty).selected == ()
    assert sequential_phragmen(empty).selected == ("a",)
    broke = election({"a": 10}, [("a",)], 0)
    for name in RULES:
        assert run_rule(name, broke).selected == ()


# -- maximum welfare ----------------------------------------------------------------


def test_max_welfare_beats_greedy_on_welfare():
    two_small = election({"a": 60, "b": 50, "c": 50}, [("a", "b", "c"), ("a", "b", "c"), ("a",)], 100)
    assert greedy(two_small).selected == ("a",)  # 3 votes x 60 = 180
    result = max_welfare(two_small)  # 2 x 50 + 2 x 50 = 200
    assert result.selected == ("b", "c")
    assert dict(result.details)["welfare"] == "200"
    assert "is reached without it" in result.explanation("a").reason
    assert max_welfare(two_small, solver="highs").selected == ("b", "c")
    with pytest.raises(ValueError, match="satisfaction"):
        max_welfare(two_small, satisfaction="happiness")
    with pytest.raises(ValueError, match="solver"):
        max_welfare(two_small, solver="gurobi")


def test_max_welfare_breaks_ties_by_order():
    tied = election({"p": 10, "q": 10, "z": 5}, [("p", "q"), ()], 15)
    # {p} and {q} both have welfare 100; the first project in the order wins. The unsupported z
    # would fit but adds no welfare, so it is not selected (as in pabutools' optimal sets).
    assert max_welfare(tied).selected == ("p",)
    assert max_welfare(tied, tie_breaking="max-votes").selected == ("p",)
    too_big = election({"p": 10, "big": 50}, [("p", "big")], 20)
    result = max_welfare(too_big)
    assert result.selected == ("p",)
    assert result.explanation("big").reason == "not selected: its cost 50 exceeds the whole budget 20"


def test_max_welfare_with_fractional_costs():
    frac = Election(
        (PBProject("a", Fraction(1, 3)), PBProject("b", Fraction(1, 2)), PBProject("c", Fraction(1, 6))),
        (Ballot("1", ("a", "b")), Ballot("2", ("b", "c"))),
        budget=Fraction(2, 3),
    )
    assert max_welfare(frac).selected == ("b", "c")


# -- method of equal shares ---------------------------------------------------------------


def test_mes_is_proportional():
    # 6 voters want x1..x3, 4 voters want y1, y2; each project costs 30, budget 100.
    ballots = [("x1", "x2", "x3")] * 6 + [("y1", "y2")] * 4
    costs = {"x1": 30, "x2": 30, "x3": 30, "y1": 30, "y2": 30}
    e = election(costs, ballots, 100)
    assert greedy(e).selected == ("x1", "x2", "x3")
    result = method_of_equal_shares(e)
    assert result.selected == ("x1", "x2", "y1")
    assert result.explanation("x1").reason == "selected in round 1 with 6 supporters paying 5 each"
    assert result.explanation("y1").reason == "selected in round 3 with 4 supporters paying 7.50 each"
    assert (
        result.explanation("x3").reason == "not selected: after round 2 its 6 supporters had 0 left in total < cost 30"
    )
    assert dict(result.details)["budget_per_voter"] == "10"


def test_mes_partial_payments_are_explained():
    e = election({"a": 30, "b": 20}, [("a", "b"), ("b",), ("b",)], 60)
    # b costs 20: everyone pays 20/3; a then needs 30 from voter 1 alone, who has 13.33.
    result = method_of_equal_shares(e)
    assert result.selected == ("b",)
    e = election({"a": 12, "b": 9}, [("a", "b"), ("a",), ("b",)], 30)
    # Round 1: a and b tie at 1/2 per unit of cost; a wins on its id. Voter 1 keeps 4,
    # so b's payment level (4.50) is too much for her: she pays her 4, voter 3 pays 5.
    result = method_of_equal_shares(e)
    assert result.selected == ("a", "b")
    assert result.explanation("b").reason == (
        "selected in round 2 with 2 supporters: 1 paying 5 each and 1 paying all they had left (4 together)"
    )


def test_mes_add_one_and_greedy_completion():
    e = election({"a": 50, "b": 40, "c": 30}, [("a",), ("a",), ("a", "b"), ("b",), ("c",)], 100)
    assert method_of_equal_shares(e).selected == ("a",)
    add1 = mes_add_one(e)
    assert add1.selected == ("a", "b")
    assert dict(add1.details)["budget_per_voter"] == "29"  # 20 + 9 increments
    assert dict(add1.details)["add1_increments"] == "9"
    # Greedy completion has nothing left to add: c no longer fits.
    assert mes_add_one_greedy(e).selected == ("a", "b")

    leftover = election({"a": 50, "b": 40, "c": 10}, [("a",), ("a",), ("a",), ("b",)], 100)
    # Equal shares never buys c (no supporters); the completion does, with what is left.
    result = mes_add_one_greedy(leftover)
    assert result.selected == ("a", "b", "c")
    assert result.explanation("b").reason == "selected in round 2 with 1 supporter paying 40"
    assert result.explanation("c").reason == (
        "selected in the greedy completion: 0 votes, its cost 10 fit in the budget left 10 "
        "(with equal shares alone: no voter supported it)"
    )


def test_mes_cardinality_satisfaction():
    e = election({"big": 80, "s1": 20, "s2": 20}, [("big", "s1", "s2")] * 2, 100)
    assert method_of_equal_shares(e).selected == ("big", "s1")
    assert method_of_equal_shares(e, satisfaction="cardinality").selected == ("s1", "s2")
    with pytest.raises(ValueError, match="satisfaction"):
        method_of_equal_shares(e, satisfaction="joy")


def test_mes_and_phragmen_need_approval_ballots():
    cumulative = election({"a": 60}, [("a",)], 100, "cumulative", [(2,)])
    for rule in ("mes", "mes-add1", "mes-add1-greedy", "phragmen"):
        with pytest.raises(ValueError, match="ballot_type"):
            run_rule(rule, cumulative)
    assert greedy(cumulative).selected == ("a",)
    assert max_welfare(cumulative).selected == ("a",)


# -- sequential Phragmén ------------------------------------------------------------------


def test_phragmen_stops_at_the_first_project_that_does_not_fit():
    e = election({"a": 60, "b": 50, "c": 40}, [("a", "b"), ("a", "b"), ("c",)], 100)
    result = sequential_phragmen(e)
    assert result.selected == ("b", "c")
    assert result.explanation("b").reason == (
        "selected in round 1: its 2 supporters shared its cost, each having paid 25 in total"
    )
    assert result.explanation("a").reason == (
        "not selected: it was next in round 3, but the budget left 10 < cost 60, which ends the rule"
    )
    # Greedy would have skipped a and continued; Phragmén ends instead.
    blocked = election({"a": 60, "b": 50, "z": 5}, [("a",), ("a",), ("a",), ("b",)], 100)
    assert sequential_phragmen(blocked).selected == ("a",)
    assert "ended in round 2" in sequential_phragmen(blocked).explanation("z").reason


def test_tie_breaking_names():
    assert TIE_BREAKING_RULES == ("lexico", "min-cost", "max-cost", "max-votes")
    e = election({"b": 10, "a": 10}, [("a", "b")], 10)
    for rule in RULES:
        assert run_rule(rule, e).selected == ("a",)


# -- add-one skipping -------------------------------------------------------------------


def naive_add_one(election: Election) -> tuple[int, list[int]]:
    """pabutools' loop, one increment at a time, on our MES runs."""
    engine = mes_module._engine(election, "lexico", "cost")
    costs = engine.arrays.costs
    base = Fraction(election.budget) / len(election.ballots)
    previous = None
    k = 0
    while True:
        run = engine.run(base + k)
        spent = sum(costs[j] for j in run.selected)
        if spent > election.budget:
            return k - 1, sorted(previous.selected)
        if all(spent + costs[j] > election.budget for j in engine.eligible if j not in run.selected):
            return k, sorted(run.selected)
        previous = run
        k += 1


@settings(max_examples=100, deadline=None, database=None)
@given(
    st.lists(st.integers(1, 9), min_size=2, max_size=6),
    st.lists(st.lists(st.integers(0, 5), max_size=4), min_size=1, max_size=25),
    st.integers(10, 400),
    st.booleans(),
)
def test_add_one_skips_only_increments_with_the_same_outcome(costs, ballots, budget, choose_one):
    """The skipping (and the closed form for disjoint supporters) returns the very
    increment pabutools stops at, not only the same projects."""
    ids = [str(i) for i in range(len(costs))]
    chosen = [tuple(sorted({ids[i % len(ids)] for i in b})) for b in ballots]
    if choose_one:
        chosen = [c[:1] for c in chosen]
    e = Election(
        tuple(PBProject(i, 10 * c) for i, c in zip(ids, costs, strict=True)),
        tuple(Ballot(str(v), c) for v, c in enumerate(chosen)),
        budget,
    )
    k, selected = naive_add_one(e)
    result = mes_add_one(e)
    assert dict(result.details)["add1_increments"] == str(k)
    assert sorted(e.project_ids.index(p) for p in result.selected) == selected


def test_add_one_on_a_long_completion():
    # 5,556 increments for pabutools; a few dozen MES runs here.
    e = read_pabulib(DATA / "Worldwide_Mechanical_Turk_Knapsack_8.pb")
    result = mes_add_one(e)
    details = dict(result.details)
    assert details["add1_increments"] == "5556"
    assert int(details["mes_runs"]) < 200


@pytest.mark.parametrize("rule", list(RULES))
def test_explanations_on_a_real_election(rule):
    e = read_pabulib(DATA / "US_Stanford_Dataset_PB_Chicago_39th_Ward_2020_vote_knapsacks.pb")
    result = run_rule(rule, e)
    assert [x.project_id for x in result.explanations] == list(e.project_ids)
    assert {x.project_id for x in result.explanations if x.selected} == set(result.selected)
    assert all(x.reason.startswith("selected" if x.selected else "not selected") for x in result.explanations)
