"""Downloads: tables as CSV (UTF-8 with a byte-order mark, so Excel reads Chinese) or XLSX.

Every export in the app (audit trail, matching runs, statistics, open data) goes through
:func:`table_response`, so all of them guard against spreadsheet formulas the same way: a text
cell that starts like a formula (= + - @, tab, carriage return, in full width too, after spaces or not) is
prefixed with an apostrophe.
Numbers stay numbers in XLSX; amounts are given in yuan by the caller.
"""
from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from flask import Response, abort, send_file
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

BOM = "\ufeff"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
FORMATS = ("csv", "xlsx")
XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_SAFE_FILENAME = re.compile(r"[^A-Za-z0-9._-]+")


def safe_text(value: Any) -> str:
    """A cell's text with formula starts neutralised; ``None`` is empty. Full-width signs (＝, ＋, －, ＠, as a
    Chinese keyboard types them) and spaces before a sign count too: spreadsheets may read them as one."""
    if value is None:
        return ""
    text = str(value)
    start = unicodedata.normalize("NFKC", text[:8]).lstrip(" \u3000\n")
    return "'" + text if text.startswith(FORMULA_STARTS) or start.startswith(FORMULA_STARTS) else text


def to_csv(header: Sequence[Any], rows: Iterable[Sequence[Any]]) -> str:
    """CSV text with a BOM and CRLF line ends; numbers as written, other cells as safe text."""
    out = io.StringIO()
    out.write(BOM)
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([safe_text(h) for h in header])
    for row in rows:
        writer.writerow([cell if isinstance(cell, (int, float, Decimal)) and not isinstance(cell, bool)
                         else safe_text(cell) for cell in row])
    return out.getvalue()


def _xlsx_cell(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, (int, float)):
        return value
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, datetime):
        # Excel has no time zones: write the wall-clock time the caller chose.
        return value.replace(tzinfo=None)
    if isinstance(value, date):
        return value
    return safe_text(value)


def to_xlsx(header: Sequence[Any], rows: Iterable[Sequence[Any]], *, sheet_title: str = "data") -> bytes:
    """An XLSX workbook of one sheet: a bold header row, then the rows."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=_SAFE_FILENAME.sub("_", sheet_title)[:31] or "data")
    header_cells = []
    for title in header:
        cell = WriteOnlyCell(sheet, value=safe_text(title))
        cell.font = Font(bold=True)
        header_cells.append(cell)
    sheet.append(header_cells)
    for row in rows:
        sheet.append([_xlsx_cell(cell) for cell in row])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def download(body: bytes | str, filename: str, mimetype: str) -> Response:
    """A file download; ``filename`` is reduced to ASCII letters, digits, dots and dashes."""
    data = body.encode("utf-8") if isinstance(body, str) else body
    name = _SAFE_FILENAME.sub("-", filename).strip("-") or "export"
    return Response(data, mimetype=mimetype, headers={"Content-Disposition": f'attachment; filename="{name}"'})


def table_response(header: Sequence[Any], rows: Iterable[Sequence[Any]], *, filename_stem: str,
                   fmt: str) -> Response:
    """The table as ``filename_stem.csv`` or ``filename_stem.xlsx`` (``fmt`` is one of :data:`FORMATS`)."""
    if fmt == "xlsx":
        return download(to_xlsx(header, rows, sheet_title=filename_stem), f"{filename_stem}.xlsx", XLSX_MIMETYPE)
    if fmt == "csv":
        return download(to_csv(header, rows), f"{filename_stem}.csv", "text/csv")
    raise ValueError(f"fmt: one of {FORMATS}")


def stored_file(path: Path, *, content_type: str, filename: str, private: bool = True) -> Response:
    """An uploaded file as a download under its own name; never guessed as another type, and (when
    ``private``) never kept by shared caches. 404 when the file is missing on disk."""
    if not path.is_file():
        abort(404)
    response = send_file(io.BytesIO(path.read_bytes()), mimetype=content_type, as_attachment=True,
                         download_name=filename, max_age=0)
    response.headers["X-Content-Type-Options"] = "nosniff"
    if private:
        response.headers["Cache-Control"] = "private, no-store"
    return response
