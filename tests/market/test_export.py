"""Downloads of tables (CSV and XLSX) and the server-drawn charts."""
from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook

from market.ui import export
from market.ui.charts import Bar, bar_chart


def test_csv_has_bom_crlf_and_neutralises_formulas():
    text = export.to_csv(["名称", "金额"], [["=HYPERLINK(\"x\")", 12.5], ["-1+1", 3], ["@SUM(A1)", None]])
    assert text.startswith("\ufeff名称,金额\r\n")
    assert "'=HYPERLINK" in text and "'-1+1" in text and "'@SUM" in text
    assert ",12.5\r\n" in text and ",3\r\n" in text


def test_xlsx_keeps_numbers_and_neutralises_formulas(app):
    with app.test_request_context():
        response = export.table_response(["项目", "yuan"], [["+cmd", 1200], ["养老", 3.5]],
                                         filename_stem="审计 trail", fmt="xlsx")
    assert response.mimetype == export.XLSX_MIMETYPE
    assert response.headers["Content-Disposition"] == 'attachment; filename="trail.xlsx"'
    sheet = load_workbook(io.BytesIO(response.get_data())).active
    rows = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert rows == [["项目", "yuan"], ["'+cmd", 1200], ["养老", 3.5]]


def test_unknown_format_is_refused(app):
    with app.test_request_context(), pytest.raises(ValueError):
        export.table_response(["a"], [], filename_stem="x", fmt="pdf")


def test_bar_chart_scales_to_the_largest_and_escapes_labels():
    svg = str(bar_chart("Money <by> pool", [Bar("<b>A</b>", 100), Bar("B", 50, note="¥50")]))
    assert svg.startswith("<svg") and 'role="img"' in svg and "viewBox" in svg
    assert "&lt;b&gt;A&lt;/b&gt;" in svg and "<b>" not in svg
    widths = [float(part.split('"')[0]) for part in svg.split('<rect x="220" y="')[1:] for part in
              [part.split('width="')[1]]]
    assert widths[0] == pytest.approx(2 * widths[1])
    assert "¥50" in svg


def test_money_shows_negative_amounts_with_the_sign_before_the_symbol():
    from market.core.money import money

    assert money(-150) == "-¥1.50" and money(-100) == "-¥1" and money(-150, with_symbol=False) == "-1.50"
    assert money(123_456_50) == "¥123,456.50" and money(0) == "¥0" and money(None) == ""
