"""Spreadsheet cells from user text never start a formula, however the sign is typed."""
from __future__ import annotations

import csv
import io

import pytest

from market.ui.export import safe_text, to_csv


@pytest.mark.parametrize("typed", ['=HYPERLINK("http://evil.example")', "＝HYPERLINK(\"x\")", "  =1+1",
                                   "\u3000＋86 1380", "－2+3", "＠SUM(A1)", "\t=1", "\r=1", "+1", "@x"])
def test_a_formula_start_gets_an_apostrophe(typed):
    assert safe_text(typed) == "'" + typed


@pytest.mark.parametrize("typed", ["长者饭堂", "Elderly care", "1=1", "a-b", "", "（＝）", "邮箱 a@b.cn"])
def test_ordinary_text_is_left_alone(typed):
    assert safe_text(typed) == typed


def test_a_cell_with_line_breaks_stays_one_cell():
    text = to_csv(["title", "n"], [["第一行\n＝第二行\r\n第三行", 3]])
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert rows == [["title", "n"], ["第一行\n＝第二行\r\n第三行", "3"]]
