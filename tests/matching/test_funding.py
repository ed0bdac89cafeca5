"""Donation matching engine: 1:1 up to a cap and quadratic funding (pure, deterministic, never over budget)."""
from __future__ import annotations

import doctest
import math
import subprocess
import sys
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import matching.funding as funding
from matching.funding import Donation, match_one_to_one, quadratic_match
from matching.reasons import Reason, render

amounts = st.integers(min_value=1, max_value=10_000_000)
project_keys = st.one_of(st.integers(min_value=0, max_value=50), st.text(alphabet="abcxyz", min_size=1, max_size=3))


def test_doctests():
    assert doctest.testmod(funding).failed == 0


def test_engine_imports_neither_flask_nor_sqlalchemy():
    code = "import sys, matching.funding; print('flask' in sys.modules, 'sqlalchemy' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "False"]


# ---------------------------------------------------------------- 1:1

def test_first_come_first_matched_until_the_cap():
    result = match_one_to_one([Donation(1, 600), Donation(2, 300), Donation(1, 400)], cap=1_000)
    assert [d.matched for d in result.donations] == [600, 300, 100]
    assert result.matches == {1: 700, 2: 300} and result.unallocated == 0
    assert result.donations[2].reason == Reason("donation_partly_matched", {"ran_out": "cap"})
    assert render(result.donations[2].reason) == "partly matched: the cap ran out"
    assert {p.project: p.reason_code for p in result.projects} == {1: "cap_ran_out", 2: "matched_in_full"}


def test_donor_and_project_limits():
    gifts = [Donation("a", 500, "rich"), Donation("a", 500, "rich"), Donation("b", 500, "poor"), Donation("b", 500)]
    result = match_one_to_one(gifts, cap=10_000, per_donor_cap=600, project_limits={"b": 700})
    assert [d.matched for d in result.donations] == [500, 100, 500, 200]
    assert [d.reason.params.get("ran_out") for d in result.donations] == [None, "donor_limit", None, "project_limit"]
    assert render(result.donations[1].reason) == "partly matched: the donor's match limit was reached"
    assert render(result.donations[3].reason) == "partly matched: the project's match limit was reached"
    assert result.total_matched == 1_300 and result.unallocated == 8_700


def test_ratio_rounds_down_per_donation():
    result = match_one_to_one([Donation(1, 3), Donation(1, 3)], cap=100, ratio=Fraction(1, 2))
    assert [d.matched for d in result.donations] == [1, 1]
    assert result.summary.params["ratio"] == "1:2"
    assert result.explanation == ("2 donation(s) matched 1:2 in the order given, first come first matched: "
                                  "0.02 of the 1 cap paid, 0.98 left.")


@pytest.mark.parametrize(("call", "message"), [
    (lambda: match_one_to_one([], cap=-1), "cap"),
    (lambda: match_one_to_one([], cap=1.5), "cap"),
    (lambda: match_one_to_one([], cap=10, ratio=0), "ratio"),
    (lambda: Donation(1, 0), "Donation.amount"),
    (lambda: Donation(1.5, 10), "project"),
    (lambda: match_one_to_one([(1, 10)], cap=10), r"donations\[0\]"),
    (lambda: quadratic_match({1: [-5]}, 10), r"contributions_by_project\[1\]\[0\]"),
    (lambda: quadratic_match({1: [5]}, True), "pool_amount"),
    (lambda: quadratic_match({(1, 2): [5]}, 10), "project"),
    (lambda: quadratic_match({1: [5]}, 10, project_limits={1: -1}), "project_limits"),
])
def test_bad_input_names_the_field(call, message):
    with pytest.raises(ValueError, match=message):
        call()


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(project_keys, amounts, st.one_of(st.none(), st.integers(0, 5))), max_size=30),
       st.integers(min_value=0, max_value=20_000_000), st.one_of(st.none(), st.integers(1, 5_000_000)),
       st.one_of(st.none(), st.integers(1, 5_000_000)))
def test_one_to_one_never_exceeds_cap_donation_or_limits(rows, cap, per_donor, per_project):
    gifts = [Donation(p, a, d) for p, a, d in rows]
    result = match_one_to_one(gifts, cap, per_donor_cap=per_donor, per_project_cap=per_project)
    assert 0 <= result.total_matched <= cap and result.total_matched + result.unallocated == cap
    assert all(0 <= d.matched <= d.donation.amount and isinstance(d.matched, int) for d in result.donations)
    assert sum(result.matches.values()) == result.total_matched
    if per_project is not None:
        assert all(v <= per_project for v in result.matches.values())
    if per_donor is not None:
        by_donor: dict = {}
        for d in result.donations:
            if d.donation.donor is not None:
                by_donor[d.donation.donor] = by_donor.get(d.donation.donor, 0) + d.matched
        assert all(v <= per_donor for v in by_donor.values())
    # Unconstrained, everything is matched until the cap runs out.
    if per_donor is None and per_project is None:
        assert result.total_matched == min(cap, sum(g.amount for g in gifts))
    assert match_one_to_one(gifts, cap, per_donor_cap=per_donor, per_project_cap=per_project) == result


# ---------------------------------------------------------------- quadratic

def test_gitcoin_formula_and_scaling():
    result = quadratic_match({"a": [400, 100], "b": [100, 100, 100, 100]}, 1_000)
    ideal = {p.project: p.ideal_match for p in result.projects}
    assert ideal == {"a": (20 + 10) ** 2 - 500, "b": 40 ** 2 - 400}
    assert result.matches == {"a": 250, "b": 750} and result.scale == pytest.approx(0.625)


def test_without_scale_up_pays_at_most_the_ideal():
    result = quadratic_match({1: [100, 100]}, 10_000, scale_up=False)
    assert result.matches == {1: 200} and result.unallocated == 9_800
    assert result.projects[0].reason_code == "full_ideal"


def test_caps_redistribute_to_the_others():
    result = quadratic_match({1: [100] * 9, 2: [100] * 4, 3: [100] * 4}, 10_000, per_project_cap=4_000)
    assert result.matches[1] == 4_000 and result.matches[2] == result.matches[3] == 3_000
    assert result.projects[0].capped and result.projects[0].reason_code == "reached_limit"
    limited = quadratic_match({1: [100] * 9, 2: [100] * 4}, 10_000, project_limits={1: 500, 2: 500})
    assert limited.matches == {1: 500, 2: 500} and limited.unallocated == 9_000


def test_ties_go_to_the_key_that_sorts_first():
    result = quadratic_match({"b": [1, 1], "a": [1, 1], 3: [1, 1]}, 10)
    assert result.matches == {3: 4, "a": 3, "b": 3}
    assert [p.project for p in result.projects] == [3, "a", "b"]


def test_contributor_mappings_and_zero_entries():
    result = quadratic_match({1: {"x": 400, "y": 100, "z": 0}, 2: []}, 100)
    assert result.projects[0].contributors == 2 and result.projects[1].reason_code == "no_contributions"
    assert result.matches == {1: 100, 2: 0}


def test_single_contributors_attract_nothing():
    result = quadratic_match({1: [5_000], 2: [7_000]}, 1_000)
    assert result.matches == {1: 0, 2: 0} and result.unallocated == 1_000 and result.scale == 1.0


contributions = st.dictionaries(project_keys, st.lists(st.integers(0, 1_000_000), max_size=12), max_size=8)


@settings(max_examples=200, deadline=None)
@given(contributions, st.integers(0, 50_000_000), st.one_of(st.none(), st.integers(0, 10_000_000)), st.booleans())
def test_quadratic_never_exceeds_the_pool_or_a_cap(by_project, pool, cap, scale_up):
    result = quadratic_match(by_project, pool, per_project_cap=cap, scale_up=scale_up)
    matches = result.matches
    assert all(isinstance(v, int) and v >= 0 for v in matches.values())
    assert sum(matches.values()) == result.total_matched <= pool
    assert result.total_matched + result.unallocated == pool
    if cap is not None:
        assert all(v <= cap for v in matches.values())
    for p in result.projects:
        if p.ideal_match == 0:
            assert p.match == 0
        if not scale_up:
            assert p.match <= math.floor(p.ideal_match) + 0
    # With no caps and scaling up, the whole pool goes out as soon as anyone has an ideal match.
    if cap is None and scale_up and any(p.ideal_match > 0 for p in result.projects):
        assert result.total_matched == pool
    assert quadratic_match(dict(reversed(list(by_project.items()))), pool, per_project_cap=cap,
                           scale_up=scale_up).matches == matches


@settings(max_examples=200, deadline=None)
@given(st.integers(2, 40), st.integers(1, 100_000), st.integers(1, 10_000_000))
def test_many_small_donations_attract_more_than_one_large(n, each, pool):
    """n people giving ``each`` beat one person giving ``n * each``: the point of quadratic funding."""
    result = quadratic_match({"many": [each] * n, "one": [each * n]}, pool)
    assert result.matches["many"] >= result.matches["one"] == 0
    assert result.matches["many"] == pool
    # And against a project with fewer but larger gifts of the same total.
    if n % 2 == 0:
        mixed = quadratic_match({"many": [each] * n, "fewer": [each * 2] * (n // 2)}, pool)
        assert mixed.matches["many"] >= mixed.matches["fewer"]
        ideal = {p.project: p.ideal_match for p in mixed.projects}
        assert ideal["many"] > ideal["fewer"] or n == 2
