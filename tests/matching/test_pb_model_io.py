"""matching.pb model validation and Pabulib read/write."""

from __future__ import annotations

import dataclasses
import doctest
import importlib
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import pytest

from matching.pb import (
    Ballot,
    Election,
    PBProject,
    PBResult,
    format_pabulib,
    parse_pabulib,
    read_pabulib,
    write_pabulib,
)
from matching.pb.io import format_number
from matching.pb.model import as_number

DATA = Path(__file__).resolve().parents[1] / "data" / "pabulib"
FILES = sorted(DATA.glob("*.pb"))


def small_election(**changes) -> Election:
    fields = {
        "projects": (PBProject("a", 60, "Trees"), PBProject("b", 50), PBProject("c", 40)),
        "ballots": (Ballot("1", ("a", "b")), Ballot("2", ("c",)), Ballot("3", ())),
        "budget": 100,
    }
    fields.update(changes)
    return Election(**fields)


# -- model ------------------------------------------------------------------------


def test_numbers_are_exact():
    assert as_number("735616.25", "budget") == Fraction(2942465, 4)
    assert as_number("1,5", "cost") == Fraction(3, 2)  # decimal comma, as in some files
    assert as_number(0.1, "cost") == Fraction(1, 10)
    assert as_number(Decimal("2.50"), "cost") == Fraction(5, 2)
    assert isinstance(as_number(12.0, "cost"), int)


@pytest.mark.parametrize("value", [float("nan"), float("inf"), "abc", True, None, "1/0"])
def test_bad_numbers_name_the_field(value):
    with pytest.raises(ValueError, match="budget"):
        as_number(value, "budget")


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"budget": -1}, "budget"),
        ({"budget": "lots"}, "budget"),
        ({"ballot_type": "plurality"}, "ballot_type"),
        ({"projects": (PBProject("a", 1), PBProject("a", 2))}, "projects"),
        ({"ballots": (Ballot("1", ("z",)),)}, r"ballots\[0\]\.projects"),
        ({"ballots": (Ballot("1", ()), Ballot("1", ()))}, r"ballots\[1\]\.voter_id"),
        ({"ballots": (Ballot("1", ("a",), (3,)),)}, r"ballots\[0\]\.points"),
        ({"ballot_type": "choose-1", "ballots": (Ballot("1", ("a", "b")),)}, r"ballots\[0\]\.projects"),
        ({"ballot_type": "cumulative", "ballots": (Ballot("1", ("a",)),)}, r"ballots\[0\]\.points"),
        ({"ballot_type": "cumulative", "ballots": (Ballot("1", ("a",), (-1,)),)}, r"ballots\[0\]\.points"),
        ({"meta": (("k", "1"), ("k", "2"))}, "meta"),
    ],
)
def test_bad_elections_name_the_field(change, field):
    with pytest.raises(ValueError, match=field):
        small_election(**change)


@pytest.mark.parametrize(
    ("build", "field"),
    [
        (lambda: PBProject("a", -5), "cost"),
        (lambda: PBProject("a,b", 5), "project.id"),
        (lambda: PBProject("", 5), "project.id"),
        (lambda: PBProject(" a", 5), "project.id"),
        (lambda: Ballot("v", "ab"), "projects"),
        (lambda: Ballot("v", ("a", "a")), "projects"),
        (lambda: Ballot("v", ("a", "b"), (1,)), "points"),
        (lambda: Ballot("v;1", ("a",)), "voter_id"),
    ],
)
def test_bad_parts_name_the_field(build, field):
    with pytest.raises(ValueError, match=field):
        build()


def test_dataclasses_are_frozen_and_normalised():
    election = small_election(meta={"description": "test"})
    assert election.meta == (("description", "test"),)
    assert election.projects[0].cost == 60
    with pytest.raises(dataclasses.FrozenInstanceError):
        election.budget = 5  # type: ignore[misc]
    assert election.votes() == {"a": 1, "b": 1, "c": 1}
    assert election.project("b").cost == 50
    with pytest.raises(KeyError):
        election.project("zz")


def test_scores_per_ballot_type():
    projects = (PBProject("a", 1), PBProject("b", 1), PBProject("c", 1))
    cumulative = Election(projects, (Ballot("1", ("a", "b"), (3, 1)), Ballot("2", ("b",), (2,))), 5, "cumulative")
    assert cumulative.scores() == {"a": 3, "b": 3, "c": 0}
    ordinal = Election(projects, (Ballot("1", ("c", "a", "b")), Ballot("2", ("a",))), 5, "ordinal")
    # Pabulib's positional score: length of the ranking minus the position.
    assert ordinal.scores() == {"a": 3, "b": 1, "c": 3}


def test_result_json_dict_sorts_ids():
    result = PBResult("mes", ("b", "a"), Fraction(21, 2))
    assert result.to_json_dict() == {"rule": "mes", "selected": ["a", "b"], "cost": 10.5}


@pytest.mark.parametrize(
    "module",
    [
        "model",
        "io",
        "meta",
        "tiebreaking",
        "_text",
        "rules",
        "rules.greedy",
        "rules.satgreedy",
        "rules.citygreedy",
        "rules.equalshares",
        "rules.official",
        "rules.maxwelfare",
        "rules.mes",
        "rules.phragmen",
    ],
)
def test_docstring_examples(module):
    failures, _ = doctest.testmod(importlib.import_module(f"matching.pb.{module}"))
    assert failures == 0


# -- Pabulib format -------------------------------------------------------------


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_round_trip_real_files(path, tmp_path):
    election = read_pabulib(path)
    text = path.read_text(encoding="utf-8-sig")
    assert f"num_votes;{len(election.ballots)}" in text
    assert f"num_projects;{len(election.projects)}" in text
    again = parse_pabulib(format_pabulib(election))
    assert again == election
    out = tmp_path / path.name
    write_pabulib(election, out)
    assert read_pabulib(out) == election
    # Writing twice gives the same text: the format is stable.
    assert format_pabulib(read_pabulib(out)) == out.read_text(encoding="utf-8")


def test_reader_details():
    saska = read_pabulib(DATA / "Poland_Warszawa_2018_Saska_Kepa.pb")
    assert saska.budget == Fraction(73561625, 100)
    assert "735616.25" in format_pabulib(saska)
    veszprem = read_pabulib(DATA / "Hungary_Veszprem_2025.pb")
    assert veszprem.projects[0].id == "01"  # ids stay strings
    assert veszprem.meta_value("comment").startswith("#1: Project were not assigned")
    toulouse = read_pabulib(DATA / "France_Toulouse_2019.pb")
    assert toulouse.ballot_type == "cumulative"
    assert toulouse.ballots[0].projects == ("15", "22", "25", "10")
    assert toulouse.ballots[0].points == (2, 2, 2, 1)
    krakow = read_pabulib(DATA / "Poland_Krakow_2020_Swoszowice.pb")
    # Our ordinal score reproduces the file's own "score" column.
    assert {p.id: str(krakow.scores()[p.id]) for p in krakow.projects} == {
        p.id: p.attribute("score") for p in krakow.projects
    }


def test_anonymised_export():
    election = small_election(
        ballots=(Ballot("alice", ("a",), attributes={"age": "34"}), Ballot("bob", ("b", "c"), attributes={"age": "51"}))
    )
    text = format_pabulib(election, anonymise=True, voter_attributes=False)
    assert "alice" not in text and "bob" not in text and "34" not in text
    back = parse_pabulib(text)
    assert [b.voter_id for b in back.ballots] == ["1", "2"]
    assert [b.projects for b in back.ballots] == [("a",), ("b", "c")]
    kept = parse_pabulib(format_pabulib(election, anonymise=True))
    assert kept.ballots[1].attribute("age") == "51"


def test_writer_quotes_and_recomputes_meta():
    election = small_election(
        projects=(PBProject("a", 60, 'Trees; "big" ones'), PBProject("b", 50), PBProject("c", 40)),
        meta=(("description", "x"), ("num_votes", "999"), ("budget", "100.0")),
    )
    text = format_pabulib(election)
    assert "num_votes;3" in text  # derived values replace stale META entries
    assert "budget;100\n" in text
    assert parse_pabulib(text).projects[0].name == 'Trees; "big" ones'


def test_cumulative_round_trip_with_fractional_points():
    election = Election(
        (PBProject("a", Fraction(5, 2)), PBProject("b", 1)),
        (Ballot("1", ("a", "b"), (Fraction(3, 2), 1)), Ballot("2", (), ())),
        budget=Fraction(7, 2),
        ballot_type="cumulative",
    )
    assert parse_pabulib(format_pabulib(election)) == election


def test_format_number():
    assert format_number(Fraction(1, 8)) == "0.125"
    assert format_number(Fraction(-5, 2)) == "-2.5"
    with pytest.raises(ValueError, match="cost"):
        format_number(Fraction(1, 3), "cost")


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ("META\nkey;value\nvote_type;approval\nPROJECTS\nproject_id;cost\na;1\nVOTES\nvoter_id;vote\n", "budget"),
        ("META\nkey;value\nbudget;10\nPROJECTS\nproject_id;name\na;x\nVOTES\nvoter_id;vote\n", "cost"),
        ("META\nkey;value\nbudget;10\nPROJECTS\nproject_id;cost\na;ten\n", "cost"),
        ("META\nkey;value\nbudget;10\nPROJECTS\nproject_id;cost\na;1\nVOTES\nvoter_id;vote\n1;b\n", "unknown project"),
        ("key;value\nbudget;10\n", "section"),
        ("META\nkey;value\nbudget;10\nPROJECTS\nproject_id;cost\na;1;2\n", "fields"),
    ],
)
def test_malformed_files(text, field):
    with pytest.raises(ValueError, match=field):
        parse_pabulib(text)


def test_elections_and_results_pickle():
    # Background jobs (rq) pickle their arguments and results.
    import pickle

    from matching.pb import run_rule

    election = read_pabulib(DATA / "Switzerland_Zurich_S5.pb")
    copy = pickle.loads(pickle.dumps(election))  # noqa: S301 - our own bytes
    assert copy == election
    assert copy.ballot_counts == election.ballot_counts
    result = run_rule("mes-add1-greedy", copy)
    assert pickle.loads(pickle.dumps(result)) == result  # noqa: S301
