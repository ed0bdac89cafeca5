"""The hand-labelled provider set is well formed, and its benchmark ranks and reports."""

from __future__ import annotations

import doctest
import json
import math
import shutil
from pathlib import Path

import pytest

from market.geo.taxonomy import CATEGORIES
from matching import check_pair
from matching.bench import labelled_bench
from matching.bench.labelled_bench import (
    DATA_DIR,
    HARD_NEGATIVE_KINDS,
    HELDOUT_DIR,
    RANKERS,
    RIGHT_PROFILES,
    evaluate,
    format_report,
    load_set,
    rank_outcome,
)
from matching.types import MatchProblem

CATEGORY_CODES = {code for code, _, _ in CATEGORIES}


#: set -> (folder, minimum projects, minimum providers)
SETS = {"development": (DATA_DIR, 60, 150), "heldout": (HELDOUT_DIR, 30, 60)}


def _read(name: str, folder: Path = DATA_DIR):
    with (folder / name).open(encoding="utf-8") as fh:
        return json.load(fh)


def _raw(folder: Path):
    return {"projects": _read("projects.json", folder), "providers": _read("providers.json", folder),
            "labels": _read("labels.json", folder), "streets": _read("streets.json", folder)}


@pytest.fixture(scope="module", params=sorted(SETS))
def raw(request):
    folder, min_projects, min_providers = SETS[request.param]
    return {**_raw(folder), "min_projects": min_projects, "min_providers": min_providers}


@pytest.fixture(scope="module")
def report():
    return evaluate()


def test_the_set_is_large_enough(raw):
    assert len(raw["projects"]) >= raw["min_projects"]
    assert len(raw["providers"]) >= raw["min_providers"]
    assert len({p["id"] for p in raw["projects"]}) == len(raw["projects"])
    assert len({p["id"] for p in raw["providers"]}) == len(raw["providers"])
    assert set(raw["labels"]) == {p["id"] for p in raw["projects"]}


def test_projects_cover_tenders_micro_projects_languages_and_types(raw):
    projects = raw["projects"]
    assert {p["source"] for p in projects} == {"tender", "micro"}
    assert sum(p["lang"] == "en" for p in projects) >= 3
    assert sum(p["lang"] == "zh" for p in projects) > len(projects) / 2
    for kind in ("goods", "works"):
        assert sum(p["project_type"] == kind for p in projects) >= 3


def test_the_heldout_set_shares_no_project_or_provider_with_the_development_set():
    dev, held = _raw(DATA_DIR), _raw(HELDOUT_DIR)
    assert not {p["id"] for p in dev["projects"]} & {p["id"] for p in held["projects"]}
    assert not {v["id"] for v in dev["providers"]} & {v["id"] for v in held["providers"]}
    assert not {v["name"] for v in dev["providers"]} & {v["name"] for v in held["providers"]}
    assert not {p["title"] for p in dev["projects"]} & {p["title"] for p in held["projects"]}


def test_codes_are_valid(raw):
    streets = {s["id"] for s in raw["streets"]}
    assert len(streets) == 10
    for p in raw["projects"]:
        assert p["category"] in CATEGORY_CODES, p["id"]
        assert p["street"] in streets, p["id"]
        assert p["project_type"] in ("service", "goods", "works"), p["id"]
        assert p["lang"] in ("zh", "en"), p["id"]
        assert isinstance(p["budget_yuan"], int) and p["budget_yuan"] > 0, p["id"]
        assert p["title"].strip() and p["content"].strip() and p["target_group"].strip(), p["id"]
    for v in raw["providers"]:
        assert v["kind"] in ("social_organisation", "enterprise"), v["id"]
        assert v["categories"] and set(v["categories"]) <= CATEGORY_CODES, v["id"]
        assert set(v["streets"]) <= streets and v["home_street"] in streets, v["id"]
        assert v["whole_district"] or v["home_street"] in v["streets"], v["id"]
        assert v["supplies"] and set(v["supplies"]) <= {"service", "goods", "works"}, v["id"]
        assert 0 <= v["rating_grade"] <= 5, v["id"]
        assert v["capability"].strip() and v["delivered_projects"], v["id"]


def test_works_contractors_hold_a_construction_qualification(raw):
    for v in raw["providers"]:
        if "works" in v["supplies"]:
            assert any("建筑业企业资质" in q for q in v["qualifications"]), v["id"]


def test_eligible_sets_are_exactly_the_hard_filter_survivors(raw):
    for p in raw["projects"]:
        expected = [v["id"] for v in raw["providers"]
                    if p["category"] in v["categories"]
                    and (v["whole_district"] or p["street"] in v["streets"] or p["street"] == v["home_street"])]
        assert raw["labels"][p["id"]]["eligible"] == expected, p["id"]


def test_every_project_has_its_right_provider_and_hard_negatives_among_the_eligible(raw):
    providers = {v["id"]: v for v in raw["providers"]}
    projects = {p["id"]: p for p in raw["projects"]}
    for pid, label in raw["labels"].items():
        eligible = label["eligible"]
        assert len(eligible) >= 3, pid
        assert label["right"] in eligible, pid
        assert label["right_profile"] in RIGHT_PROFILES, pid
        negatives = label["hard_negatives"]
        assert len(negatives) >= 1, pid
        assert label["right"] not in negatives, pid
        assert set(negatives) <= set(eligible), pid
        assert set(negatives.values()) <= set(HARD_NEGATIVE_KINDS), pid
        kind = projects[pid]["project_type"]
        assert kind in providers[label["right"]]["supplies"], pid
        if kind != "service":
            # an organisation that does not supply goods or works competes with the supplier
            assert any(kind not in providers[n]["supplies"] for n in negatives), pid


def test_every_kind_of_hard_negative_and_of_wording_occurs(raw):
    kinds = {k for label in raw["labels"].values() for k in label["hard_negatives"].values()}
    profiles = {label["right_profile"] for label in raw["labels"].values()}
    assert kinds == set(HARD_NEGATIVE_KINDS)
    assert {"same_words", "other_words"} <= profiles <= set(RIGHT_PROFILES)


def test_the_engine_hard_filters_never_reject_a_right_provider(report):
    data = report.data
    problem = MatchProblem(projects=data.projects, providers=tuple(data.providers.values()))
    for project in data.projects:
        assert check_pair(problem, project.id, data.labels[project.id].right) is None, project.id
    rights = {(pid, label.right) for pid, label in data.labels.items()}
    assert not rights & set(report.engine_rejected)


def test_bench_figures_lie_in_the_unit_interval(report):
    assert report.n_projects >= 60 and report.n_providers >= 150
    for name in RANKERS:
        f = report.figures[name]
        assert 0.0 <= f.precision_at_1 <= 1.0, name
        assert 0.0 <= f.mrr <= 1.0, name
        assert f.precision_at_1 <= f.mrr, name
        assert len(f.outcomes) == report.n_projects
    for name in ("engine", "engine_words_only", "token_set_ratio"):
        f = report.figures[name]
        assert f.median_margin is not None and -1.0 <= f.median_margin <= 1.0
        assert 0 <= f.narrow_wins <= report.n_projects
    assert report.figures["random"].median_margin is None


def test_random_order_is_the_exact_expected_value(report):
    sizes = [len(label.eligible) for label in report.data.labels.values()]
    p1 = sum(1 / n for n in sizes) / len(sizes)
    mrr = sum(sum(1 / r for r in range(1, n + 1)) / n for n in sizes) / len(sizes)
    assert math.isclose(report.figures["random"].precision_at_1, p1)
    assert math.isclose(report.figures["random"].mrr, mrr)


def test_the_engine_beats_random_order(report):
    engine, chance = report.figures["engine"], report.figures["random"]
    assert engine.precision_at_1 > chance.precision_at_1
    assert engine.mrr > chance.mrr


def test_summary_and_report_name_every_ranker(report):
    summary = report.summary()
    assert set(summary) == set(RANKERS)
    text = format_report(report, misses=True)
    for name in RANKERS:
        assert name in text
    missed = [o.project_id for o in report.figures["engine"].outcomes if o.precision_at_1 < 1.0]
    for pid in missed:
        assert f"  {pid} [" in text


def test_ties_are_shared_in_expectation():
    tied = rank_outcome("p", {"a": 0.5, "b": 0.5, "c": 0.5, "d": 0.9}, "a")
    assert tied.better == 1 and tied.ties == 2
    assert tied.precision_at_1 == 0.0
    assert math.isclose(tied.reciprocal_rank, (1 / 2 + 1 / 3 + 1 / 4) / 3)
    assert tied.winner == "d" and math.isclose(tied.margin, -0.4)
    alone = rank_outcome("p", {"a": 0.7, "b": 0.2}, "a")
    assert alone.precision_at_1 == 1.0 and alone.reciprocal_rank == 1.0


def test_a_label_outside_the_eligible_set_is_refused(tmp_path: Path):
    for name in ("projects.json", "providers.json", "streets.json", "labels.json"):
        shutil.copy(DATA_DIR / name, tmp_path / name)
    labels = json.loads((tmp_path / "labels.json").read_text(encoding="utf-8"))
    first = next(iter(labels))
    labels[first]["eligible"] = [v for v in labels[first]["eligible"] if v != labels[first]["right"]]
    (tmp_path / "labels.json").write_text(json.dumps(labels, ensure_ascii=False), encoding="utf-8")
    with pytest.raises(ValueError, match=f"^{first}.right"):
        load_set(tmp_path)


def test_benchmark_rows_are_registered(capsys):
    from matching.bench.__main__ import SUITES, main

    assert SUITES["labelled"] == "matching.bench.labelled_bench"
    assert main(["--only", "labelled"]) == 0
    out = capsys.readouterr().out
    for name in ("heldout", "development"):
        assert f"labelled ({name}): engine score_pair" in out
        assert f"labelled ({name}): random order among the eligible" in out
        assert f"labelled ({name}): token_set_ratio" in out
    assert out.index("labelled (heldout)") < out.index("labelled (development)")


def test_docstring_examples_run():
    failed, attempted = doctest.testmod(labelled_bench, optionflags=doctest.ELLIPSIS)
    assert attempted > 0 and failed == 0


def test_the_sector_vocabulary_widens_the_right_providers_lead(report):
    with_vocabulary, words_only = report.figures["engine"], report.figures["engine_words_only"]
    assert with_vocabulary.precision_at_1 >= words_only.precision_at_1
    assert with_vocabulary.mrr >= words_only.mrr
    assert with_vocabulary.median_margin > words_only.median_margin
    assert with_vocabulary.narrow_wins <= words_only.narrow_wins
