"""matching.bench.pb_bench without the large Pabulib files (the real run takes minutes)."""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest

from matching.bench.pb_bench import INSTANCES, RULE_ORDER, _election_rows, _Mode, replay_rows, run

KEYS = {"benchmark", "size", "ours_s", "reference", "reference_s", "ratio", "quality"}
DATA = Path(__file__).resolve().parents[1] / "data" / "pabulib"


def test_missing_data_folder_gives_one_note_row(tmp_path):
    rows = run(quick=True, data_dir=tmp_path)
    assert len(rows) == 1
    assert set(rows[0]) == KEYS
    assert rows[0]["reference"].startswith("skipped")
    assert rows[0]["reference_s"] is None


def test_benchmark_covers_every_rule_on_the_largest_elections():
    assert set(RULE_ORDER) == {"greedy", "max-welfare", "mes", "mes-add1", "mes-add1-greedy", "phragmen"}
    assert INSTANCES == ("Poland_Wroclaw_2025.pb", "Poland_Warszawa_2021_Praga-Poludnie.pb")


def test_replay_rows_for_the_files_with_a_selected_column():
    rows = {row["size"].split(":")[0]: row for row in replay_rows(DATA)}
    assert set(rows) == {"Hungary_Veszprem_2025", "Poland_Krakow_2020_Swoszowice", "Poland_Warszawa_2018_Saska_Kepa"}
    assert all(set(row) == KEYS for row in rows.values())
    krakow = rows["Poland_Krakow_2020_Swoszowice"]
    assert (krakow["benchmark"], krakow["quality"]) == ("pb/replay greedy", "reproduced: 7 projects, cost 1,338,500")
    assert krakow["size"] == "Poland_Krakow_2020_Swoszowice: 1,306 ordinal ballots, 13 projects"
    assert krakow["ours_s"] is not None and krakow["reference"] == "the file's selected column"
    saska = rows["Poland_Warszawa_2018_Saska_Kepa"]
    assert saska["quality"] == "reproduced: 12 projects, cost 733,091"
    veszprem = rows["Hungary_Veszprem_2025"]
    assert (veszprem["benchmark"], veszprem["ours_s"]) == ("pb/replay unknown", None)
    assert veszprem["quality"] == "not replayed: the file does not say which rule the city used"


def test_replay_row_names_the_projects_that_differ(tmp_path):
    text = (DATA / "Poland_Krakow_2020_Swoszowice.pb").read_text(encoding="utf-8")
    lines = text.splitlines()
    # Mark project 1 (not a winner) as selected.
    index = next(i for i, line in enumerate(lines) if line.startswith("1;"))
    assert lines[index].endswith(";0")
    lines[index] = lines[index][:-1] + "1"
    (tmp_path / "changed.pb").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (row,) = replay_rows(tmp_path)
    assert row["quality"] == "DIFFERENT: selected but not replayed 1; replayed but not selected none"


def test_rule_rows_compare_with_pabutools_on_a_small_election():
    pytest.importorskip("pabutools")
    from pabutools.election import parse_pabulib

    path = DATA / "US_Stanford_Dataset_PB_Chicago_35th_Ward_2019_vote_approvals.pb"
    mode = _Mode(ours_repeats=1, reference_repeats=1, add1_limit_s=30.0, reference_name="pabutools")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # pabutools' PuLP calls
        rows = _election_rows(path, parse_pabulib(str(path)), mode)
    assert [row["benchmark"] for row in rows] == [f"pb/{rule}" for rule in RULE_ORDER]
    assert {row["quality"] for row in rows} == {"identical"}
    assert all(row["reference_s"] is not None and set(row) == KEYS for row in rows)
