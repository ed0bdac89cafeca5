"""The rules cities used, named by a Pabulib file's META ``rule``, and replays of real elections.

Hand-made elections check each rule's semantics; the real files in tests/data/pabulib
always run; every file of /work/shared/data/pabulib with a ``selected`` column is
replayed when that folder exists.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from matching.pb import (
    CITY_RULES,
    UNSUPPORTED_RULES,
    Ballot,
    Election,
    PBProject,
    city_equal_shares,
    city_greedy,
    official_rule,
    read_pabulib,
    replay,
    run_rule,
)
from matching.pb.meta import (
    SENTINEL_COST,
    ballot_limit_breaches,
    city_scores,
    meta_number,
    meta_rule,
    rank_points,
)
from matching.pb.rules.equalshares import compare_with_greedy

DATA = Path(__file__).resolve().parents[1] / "data" / "pabulib"
SHARED = Path("/work/shared/data/pabulib")

# Every file of the shared folder with a ``selected`` column: "reproduced", or why not.
SHARED_REPLAYS = {
    "Poland_Krakow_2020_Swoszowice.pb": "reproduced",
    "Poland_Warszawa_2018_Saska_Kepa.pb": "reproduced",
    "Poland_Warszawa_2021_Praga-Poludnie.pb": "reproduced",
    "Poland_Wroclaw_2025.pb": "reproduced",
    # Winners by greedy over price ranges (20, 40 or 80 M HUF stand for "below 20 M",
    # "20-50 M", "50-100 M"), so the rule is recorded as unknown: nothing to replay.
    "Hungary_Veszprem_2025.pb": "not replayed: the file does not say which rule the city used",
}


def make(
    costs: dict[str, int],
    ballots: list[tuple[str, ...]],
    budget: int,
    *,
    meta: dict[str, str] | None = None,
    columns: dict[str, dict[str, str]] | None = None,
    ballot_type: str = "approval",
    points: list[tuple[int, ...]] | None = None,
) -> Election:
    projects = tuple(PBProject(pid, cost, attributes=(columns or {}).get(pid, {})) for pid, cost in costs.items())
    made = tuple(
        Ballot(str(index + 1), chosen, points[index] if points else ()) for index, chosen in enumerate(ballots)
    )
    return Election(projects, made, budget, ballot_type, meta=meta or {})


# a: 3 votes, b: 2 votes, c: 1 vote, d: none
ABCD = {"a": 60, "b": 50, "c": 30, "d": 10}
ABCD_BALLOTS = [("a", "b"), ("a", "b"), ("a", "c")]


# -- META ---------------------------------------------------------------------------------


def test_meta_rule_and_numbers():
    election = make(ABCD, ABCD_BALLOTS, 100, meta={"rule": " greedy ", "max_sum_cost": "735616.25"})
    assert meta_rule(election) == "greedy"
    assert meta_number(election, "max_sum_cost") * 4 == 2942465
    assert meta_number(election, "min_length") is None
    with pytest.raises(ValueError, match="META rule: missing"):
        meta_rule(make(ABCD, ABCD_BALLOTS, 100))
    with pytest.raises(ValueError, match="META max_length"):
        meta_number(make(ABCD, [], 100, meta={"max_length": "three"}), "max_length")


def test_city_scores_prefer_the_score_column_then_the_votes_column_then_the_ballots():
    both = {pid: {"votes": "1", "score": str(10 * i)} for i, pid in enumerate(ABCD)}
    assert city_scores(make(ABCD, ABCD_BALLOTS, 100, columns=both)).source == "the file's score column"
    votes_only = {pid: {"votes": "9"} for pid in ABCD}
    found = city_scores(make(ABCD, ABCD_BALLOTS, 100, columns=votes_only))
    assert (found.source, found.unit, dict(found.scores)["a"]) == ("the file's votes column", "votes", 9)
    assert found.differing == ("a", "b", "c", "d")
    partial = {"a": {"votes": "3"}}  # a column only some projects fill is not the city's count
    assert city_scores(make(ABCD, ABCD_BALLOTS, 100, columns=partial)).source == "counted from the ballots"


def test_points_ballots_are_ranked_by_points_even_with_a_votes_column():
    columns = {"a": {"votes": "2"}, "b": {"votes": "1"}}
    election = make(
        {"a": 10, "b": 10}, [("a", "b"), ("a",)], 10, columns=columns, ballot_type="cumulative", points=[(1, 5), (1,)]
    )
    found = city_scores(election)
    assert (dict(found.scores), found.unit, found.source) == ({"a": 2, "b": 5}, "points", "counted from the ballots")


def test_rank_points_use_the_ballots_points_or_borda():
    ranked = Election(
        (PBProject("a", 1), PBProject("b", 1), PBProject("c", 1)),
        (
            Ballot("1", ("a", "b", "c")),  # Borda: 3, 2, 1
            Ballot("2", ("c",)),  # Borda: 1
            Ballot("3", ("b", "a"), attributes={"points": "4,3"}),  # fixed points by position
        ),
        1,
        "ordinal",
    )
    assert rank_points(ranked) == {"a": 6, "b": 6, "c": 2}
    borda = Election(ranked.projects, ranked.ballots, 1, "ordinal", meta={"scoring_fn": "Borda"})
    assert rank_points(borda) == rank_points(ranked)
    dowdall = Election(ranked.projects, ranked.ballots, 1, "ordinal", meta={"scoring_fn": "Dowdall"})
    with pytest.raises(ValueError, match="META scoring_fn"):
        rank_points(dowdall)
    short = Election(ranked.projects, (Ballot("9", ("a", "b"), attributes={"points": "4"}),), 1, "ordinal")
    with pytest.raises(ValueError, match="ballot '9' points: 1 points for 2 ranked projects"):
        rank_points(short)


def test_ballot_limit_breaches_count_each_limit():
    election = make(
        {"a": 10, "b": 20},
        [("a", "b"), ("a",), ("b",)],
        30,
        ballot_type="cumulative",
        points=[(1, 4), (3,), (2,)],
        meta={"max_points": "3", "min_sum_points": "2", "max_sum_points": "4", "max_length": "1", "min_points": "2"},
    )
    assert ballot_limit_breaches(election) == {
        "max_length": 1,  # ballot 1
        "min_points": 1,  # ballot 1 gives 1 point
        "max_points": 1,  # ballot 1 gives 4 points
        "min_sum_points": 0,
        "max_sum_points": 1,  # ballot 1: 5 points
    }


# -- city greedy ----------------------------------------------------------------------------


def test_greedy_skips_no_skip_stops():
    election = make(ABCD, ABCD_BALLOTS, 100)
    greedy = city_greedy(election)
    no_skip = city_greedy(election, "greedy-no-skip")
    assert greedy.selected == ("a", "c", "d")  # b does not fit, c and d still do
    assert no_skip.selected == ("a",)
    assert no_skip.explanation("b").reason == ("not selected: 2 votes (2nd in line), but the budget left 40 < cost 50")
    assert no_skip.explanation("d").reason == (
        "not selected: 0 votes (4th in line), but the count stopped at b (2nd), the first project that did not fit"
    )
    assert greedy.explanation("d").selected  # nobody voted for it, but it fits


def test_threshold_excludes_projects_below_it_in_every_greedy_variant():
    election = make(ABCD, ABCD_BALLOTS, 100, meta={"min_project_score_threshold": "2"})
    result = city_greedy(election, "greedy-threshold")
    assert result.selected == ("a",)
    assert (
        result.explanation("c").reason
        == "not selected: 1 vote (3rd in line), below the threshold of 2 votes needed to win"
    )
    assert dict(result.details)["min_project_score_threshold"] == "2"
    assert city_greedy(election).selected == ("a",)
    assert city_greedy(election, "greedy-no-skip").selected == ("a",)
    with pytest.raises(ValueError, match="META min_project_score_threshold"):
        city_greedy(make(ABCD, ABCD_BALLOTS, 100), "greedy-threshold")
    with pytest.raises(ValueError, match="variant"):
        city_greedy(election, "greedy-exclusive")


def test_a_withdrawn_project_is_passed_over_without_stopping_the_count():
    costs = {"a": 60, "w": SENTINEL_COST, "c": 30}
    election = make(costs, [("a", "w"), ("a", "w"), ("w", "c")], 100)
    result = city_greedy(election, "greedy-no-skip")
    assert result.selected == ("a", "c")
    assert (
        result.explanation("w").reason == "not selected: its cost 999,999,999 marks a project withdrawn after the vote"
    )


def test_city_greedy_ranks_by_the_citys_count_not_the_ballots():
    columns = {"a": {"votes": "1"}, "b": {"votes": "5"}, "c": {"votes": "2"}, "d": {"votes": "0"}}
    result = city_greedy(make(ABCD, ABCD_BALLOTS, 100, columns=columns))
    assert result.selected == ("b", "c", "d")
    assert dict(result.details) == {
        "score": "votes, the file's votes column",
        "score_differs_from_ballots": "a, b, c",
    }


def test_city_greedy_on_rankings_uses_the_score_column():
    columns = {"a": {"score": "3"}, "b": {"score": "7"}}
    election = make({"a": 10, "b": 10}, [("a", "b"), ("a", "b")], 10, ballot_type="ordinal", columns=columns)
    result = city_greedy(election)
    assert result.selected == ("b",)
    assert result.explanation("b").reason == "selected: 7 points (1st in line); its cost 10 fit in the budget left 10"


# -- official rule and replay ------------------------------------------------------------


def test_official_rule_applies_the_meta_rule():
    for name in ("greedy", "greedy-no-skip"):
        result = official_rule(make(ABCD, ABCD_BALLOTS, 100, meta={"rule": name, "max_length": "1"}))
        assert result.rule == "official"
        assert result.selected == city_greedy(make(ABCD, ABCD_BALLOTS, 100), name).selected
        details = dict(result.details)
        assert details["meta_rule"] == name
        assert details["ballots_outside_limits"] == "max_length 3"  # counted all the same


def test_official_rule_refuses_what_it_cannot_replay():
    assert set(CITY_RULES) | set(UNSUPPORTED_RULES) == {
        "greedy",
        "greedy-no-skip",
        "greedy-threshold",
        "greedy-exclusive",
        "greedy-custom",
        "equalshares",
        "equalshares-comparison",
        "equalshares/add1",
        "equalshares/add1-comparison",
        "unknown",
    }
    for name, why in UNSUPPORTED_RULES.items():
        with pytest.raises(ValueError, match=f"META rule: '{name}' cannot be replayed: ") as raised:
            official_rule(make(ABCD, ABCD_BALLOTS, 100, meta={"rule": name}))
        assert why in str(raised.value)
    with pytest.raises(ValueError, match="not a rule the Pabulib format defines"):
        official_rule(make(ABCD, ABCD_BALLOTS, 100, meta={"rule": "borda"}))
    ranked = make({"a": 1}, [("a",)], 1, ballot_type="ordinal", meta={"rule": "equalshares"})
    with pytest.raises(ValueError, match="ballot_type"):
        official_rule(ranked)


def test_replay_compares_with_the_selected_column():
    def with_selected(flags: dict[str, str], rule: str = "greedy") -> Election:
        columns = {pid: {"selected": flag} for pid, flag in flags.items()}
        return make(ABCD, ABCD_BALLOTS, 100, meta={"rule": rule}, columns=columns)

    assert replay(with_selected({"a": "1", "b": "0", "c": "1", "d": "1"})).reproduced
    wrong = replay(with_selected({"a": "1", "b": "1", "c": "0", "d": "0"}))
    assert (wrong.reproduced, wrong.missing, wrong.extra) == (False, ("b",), ("c", "d"))
    # 2 marks a special case the file explains: neither missing nor extra.
    assert replay(with_selected({"a": "1", "b": "0", "c": "1", "d": "2"})).reproduced
    unknown = replay(with_selected({"a": "1", "b": "0", "c": "1", "d": "1"}, "unknown"))
    assert (unknown.result, unknown.reason) == (None, UNSUPPORTED_RULES["unknown"])
    assert not unknown.reproduced
    with pytest.raises(ValueError, match="PROJECTS selected"):
        replay(make(ABCD, ABCD_BALLOTS, 100, meta={"rule": "greedy"}))
    ranked = make(
        {"a": 1}, [("a",)], 1, ballot_type="ordinal", meta={"rule": "equalshares"}, columns={"a": {"selected": "1"}}
    )
    refused = replay(ranked)
    assert (refused.result, refused.reason) == (
        None,
        "ballot_type: this rule needs approval or choose-1 ballots, got 'ordinal'",
    )


# -- Method of Equal Shares as cities run it ---------------------------------------------


def test_equal_shares_ties_go_to_the_cheaper_project():
    # Both projects are split equally between the same two voters: a tie in affordability.
    election = make({"a": 60, "b": 40}, [("a", "b"), ("a", "b")], 60)
    assert run_rule("mes", election).selected == ("a",)  # pabutools: by id
    result = city_equal_shares(election, "equalshares")
    assert result.selected == ("b",)
    assert dict(result.details)["ties"] == "lower cost, then more votes, then lexico"


def test_add_one_starts_from_whole_currency_units():
    # 20 for 3 voters: 6.67 each buys a (all three pay), 6 each only b.
    election = make({"a": 20, "b": 10, "c": 50}, [("a", "b", "c"), ("a", "b"), ("a", "c")], 20)
    assert run_rule("mes-add1", election).selected == ("a",)
    result = city_equal_shares(election, "equalshares/add1")
    assert result.selected == ("b",)
    assert dict(result.details)["budget_per_voter"] == "6"
    assert dict(result.details)["add1_increments"] == "0"  # exhaustive: nothing else fits


def test_add_one_is_not_used_when_all_projects_fit():
    election = make({"a": 10, "b": 60}, [(), ("a", "b")], 75)
    assert sorted(run_rule("mes-add1", election).selected) == ["a", "b"]
    result = city_equal_shares(election, "equalshares/add1")
    assert result.selected == ("a",)
    assert dict(result.details)["add1"] == "not used: all the projects together fit in the budget"


def test_add_one_counts_projects_nobody_voted_for_when_testing_exhaustion():
    # b, c: one supporter; z: none. 62 for 2 voters: 31 each buys c (20); z (10) still fits, so
    # Add1 goes on until the supporter can pay for b as well: 31 + 38 = 69 buys c, then b overspends.
    election = make({"b": 50, "c": 20, "z": 10}, [("b", "c"), ()], 62)
    textbook = run_rule("mes-add1", election)
    assert (textbook.selected, dict(textbook.details)["add1_increments"]) == (("c",), "0")
    result = city_equal_shares(election, "equalshares/add1")
    assert result.selected == ("c",)
    assert dict(result.details)["add1_increments"] == "38"


def test_comparison_step_keeps_the_outcome_more_voters_prefer():
    # Equal shares funds only a (voter 3 cannot pay 40 alone); greedy funds a and b.
    election = make({"a": 60, "b": 40, "c": 40}, [("a",), ("a",), ("b", "c")], 100)
    assert compare_with_greedy(election, ["a"], [0, 1, 2]).keeps_greedy
    switched = city_equal_shares(election, "equalshares-comparison")
    assert switched.selected == ("a", "b")
    assert dict(switched.details)["comparison"] == (
        "the greedy outcome kept: 1 voter preferred the greedy outcome, 0 voters equal shares"
    )
    assert switched.explanation("b").reason.endswith("; greedy count, kept by the comparison step")
    # Equal shares funds c and b, greedy c and a: voter 2 prefers greedy, voter 3 equal shares;
    # greedy must be preferred by more voters to replace it.
    election = make({"a": 30, "b": 20, "c": 60}, [("c",), ("a", "c"), ("b",)], 100)
    kept = city_equal_shares(election, "equalshares-comparison")
    assert kept.selected == ("c", "b")
    assert dict(kept.details)["comparison"] == (
        "equal shares kept: 1 voter preferred the greedy outcome, 1 voter equal shares"
    )


def test_equal_shares_threshold_makes_projects_ineligible():
    election = make(
        {"a": 60, "b": 40, "c": 10},
        [("a", "b"), ("a", "b"), ("a", "c")],
        100,
        meta={"min_project_score_threshold": "2"},
    )
    result = city_equal_shares(election, "equalshares/add1-comparison")
    assert "c" not in result.selected
    assert result.explanation("c").reason == "not selected: below the threshold of 2 votes needed to win"
    with pytest.raises(ValueError, match="variant"):
        city_equal_shares(election, "mes")


# -- real elections ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "rule", "winners"),
    [
        ("Poland_Krakow_2020_Swoszowice.pb", "greedy", 7),
        ("Poland_Warszawa_2018_Saska_Kepa.pb", "greedy-threshold", 12),
    ],
)
def test_real_replays_in_the_repository(name, rule, winners):
    outcome = replay(read_pabulib(DATA / name))
    assert outcome.meta_rule == rule
    assert outcome.reproduced, (outcome.missing, outcome.extra)
    assert len(outcome.recorded) == winners


def test_saska_kepa_threshold_binds_no_project_and_one_ballot_breaks_max_sum_cost():
    election = read_pabulib(DATA / "Poland_Warszawa_2018_Saska_Kepa.pb")
    result = official_rule(election)
    details = dict(result.details)
    assert details["min_project_score_threshold"] == "148"  # 10 % of the 1,472 ballots
    assert details["ballots_outside_limits"] == "min_length 0, max_sum_cost 1"
    assert not any("below the threshold" in x.reason for x in result.explanations)  # the least has 244 votes
    assert city_greedy(Election(election.projects, election.ballots, election.budget)).selected == result.selected
    assert sorted(run_rule("greedy", election).selected) == sorted(result.selected)


def test_veszprem_is_listed_as_not_replayable():
    outcome = replay(read_pabulib(DATA / "Hungary_Veszprem_2025.pb"))
    assert (outcome.meta_rule, outcome.result) == ("unknown", None)
    assert f"not replayed: {outcome.reason}" == SHARED_REPLAYS["Hungary_Veszprem_2025.pb"]


def _shared_file(name: str) -> Path:
    if not SHARED.is_dir():
        pytest.skip(f"{SHARED} is not on this machine (the shared Pabulib files are not part of the repository)")
    return SHARED / name


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(SHARED_REPLAYS))
def test_shared_files_replay_their_official_rule(name):
    outcome = replay(read_pabulib(_shared_file(name)))
    if outcome.result is None:
        assert f"not replayed: {outcome.reason}" == SHARED_REPLAYS[name]
        return
    assert SHARED_REPLAYS[name] == "reproduced", (name, outcome.missing, outcome.extra)
    assert outcome.reproduced, (name, outcome.missing, outcome.extra)


def test_every_shared_file_with_a_selected_column_is_listed():
    folder = _shared_file("")
    with_selected = set()
    for path in folder.glob("*.pb"):
        with path.open(encoding="utf-8-sig") as handle:
            header = next(line for line in handle if line.startswith("project_id;"))
        if "selected" in header.strip().split(";"):
            with_selected.add(path.name)
    assert with_selected == set(SHARED_REPLAYS)
