"""``python -m matching.pb FILE.pb --rule RULE``."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from matching.pb import RULES, read_pabulib, run_rule
from matching.pb.__main__ import main

DATA = Path(__file__).resolve().parents[1] / "data" / "pabulib"
CHICAGO = DATA / "US_Stanford_Dataset_PB_Chicago_39th_Ward_2020_vote_knapsacks.pb"
ROOT = Path(__file__).resolve().parents[2]


def test_cli_prints_one_json_line():
    completed = subprocess.run(
        [sys.executable, "-m", "matching.pb", str(CHICAGO), "--rule", "mes-add1-greedy"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=True,
    )
    lines = completed.stdout.splitlines()
    assert len(lines) == 1
    payload = json.loads(lines[0])
    assert list(payload) == ["rule", "selected", "cost"]
    assert payload["rule"] == "mes-add1-greedy"
    assert payload["selected"] == sorted(payload["selected"])
    expected = run_rule("mes-add1-greedy", read_pabulib(CHICAGO))
    assert payload["selected"] == sorted(expected.selected)
    assert payload["cost"] == expected.cost


@pytest.mark.parametrize("rule", list(RULES))
def test_cli_every_rule(rule, capsys):
    assert main([str(CHICAGO), "--rule", rule]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert payload["rule"] == rule
    assert isinstance(payload["cost"], int)
    assert payload["cost"] <= 500000


def test_cli_fractional_cost_and_tie_breaking(capsys):
    saska = DATA / "Poland_Warszawa_2018_Saska_Kepa.pb"
    assert main([str(saska), "--rule", "greedy", "--tie-breaking", "max-votes"]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert payload["selected"]


def test_cli_errors(tmp_path, capsys):
    assert main([str(tmp_path / "missing.pb"), "--rule", "mes"]) == 2
    assert "error" in capsys.readouterr().err
    bad = tmp_path / "bad.pb"
    bad.write_text("META\nkey;value\nvote_type;approval\n", encoding="utf-8")
    assert main([str(bad), "--rule", "mes"]) == 2
    assert "budget" in capsys.readouterr().err
    toulouse = DATA / "France_Toulouse_2019.pb"
    assert main([str(toulouse), "--rule", "phragmen"]) == 2
    assert "ballot_type" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main([str(CHICAGO), "--rule", "borda"])


def test_cli_official_replays_the_meta_rule_and_compares_with_selected(capsys):
    saska = DATA / "Poland_Warszawa_2018_Saska_Kepa.pb"
    assert main([str(saska), "--rule", "official"]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert list(payload) == ["rule", "selected", "cost", "meta_rule", "matches_selected", "missing", "extra"]
    assert (payload["rule"], payload["meta_rule"], payload["matches_selected"]) == (
        "official",
        "greedy-threshold",
        True,
    )
    assert payload["selected"] == sorted(p.id for p in read_pabulib(saska).projects if p.attribute("selected") == "1")
    assert payload["cost"] == 733091


def test_cli_official_without_a_selected_column(capsys):
    assert main([str(DATA / "France_Toulouse_2019.pb"), "--rule", "official"]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert list(payload) == ["rule", "selected", "cost", "meta_rule"]
    assert payload["meta_rule"] == "greedy"


def test_cli_official_refuses_an_unknown_rule(capsys):
    assert main([str(DATA / "Hungary_Veszprem_2025.pb"), "--rule", "official"]) == 2
    assert "META rule: 'unknown' cannot be replayed" in capsys.readouterr().err
