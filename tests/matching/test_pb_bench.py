"""matching.bench.pb_bench without the large Pabulib files (the real run takes minutes)."""

from __future__ import annotations

from matching.bench.pb_bench import INSTANCES, RULE_ORDER, run

KEYS = {"benchmark", "size", "ours_s", "reference", "reference_s", "ratio", "quality"}


def test_missing_data_folder_gives_one_note_row(tmp_path):
    rows = run(quick=True, data_dir=tmp_path)
    assert len(rows) == 1
    assert set(rows[0]) == KEYS
    assert rows[0]["reference"].startswith("skipped")
    assert rows[0]["reference_s"] is None


def test_benchmark_covers_every_rule_on_the_largest_elections():
    assert set(RULE_ORDER) == {"greedy", "max-welfare", "mes", "mes-add1", "mes-add1-greedy", "phragmen"}
    assert INSTANCES == ("Poland_Wroclaw_2025.pb", "Poland_Warszawa_2021_Praga-Poludnie.pb")
