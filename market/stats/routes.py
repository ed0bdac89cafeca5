from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, render_template, request
from flask_babel import get_locale
from flask_login import current_user

from market.core import policy
from market.core.db import db, utcnow
from market.core.errors import ValidationFailed
from market.geo.models import Street
from market.geo.services import category_choices, street_choices
from market.stats import services
from market.stats.forms import FilterArgs, read_filter_args, shown_args
from market.stats.period import PRESETS
from market.stats.tables import (
    MIN_PUBLIC_COUNT,
    Table,
    cell_text,
    chart_values,
    export_header,
    export_rows,
    public_tables,
    table_by_key,
    tables,
)
from market.ui.charts import Bar, bar_chart
from market.ui.export import FORMATS, table_response
from market.ui.guard import guard, public
from market.ui.replica import replica_reads

bp = Blueprint("stats", __name__, url_prefix="/stats")


def _locale() -> str:
    return str(get_locale() or "zh")


def _filters(args: FilterArgs, *, public_page: bool) -> services.Filters:
    if public_page:
        return services.public_filters(args.period, args.street_id, args.category_id)
    return services.officials_filters(current_user, args.period, args.street_id, args.category_id)


def _query(filters: services.Filters) -> dict[str, Any]:
    """The filters as query-string arguments, for export links and preset links."""
    query: dict[str, Any] = {"from": filters.period.first.isoformat(), "to": filters.period.last.isoformat()}
    if filters.street_id is not None:
        query["street"] = filters.street_id
    if filters.category_id is not None:
        query["category"] = filters.category_id
    return query


def _kept(args: Any) -> dict[str, str]:
    """The street and category to keep when a preset is chosen (well-formed ones only)."""
    return {name: value for name in ("street", "category")
            if (value := (args.get(name) or "").strip()).isascii() and value.isdigit() and len(value) <= 10}


def _chart(table: Table) -> Any:
    return bar_chart(str(table.chart_title), [Bar(label, value, note=text) for label, value, text in
                                              chart_values(table)])


def _page(*, public_page: bool):
    template = "stats/public.html" if public_page else "stats/index.html"
    fixed_street = None if public_page else policy.street_filter(current_user)
    context: dict[str, Any] = {
        "public_page": public_page, "presets": PRESETS, "categories": category_choices(),
        "streets": street_choices(), "fixed_street": db.session.get(Street, fixed_street) if fixed_street else None,
        "args": shown_args(request.args), "keep": _kept(request.args), "min_count": MIN_PUBLIC_COUNT, "cell_text": cell_text,
        "endpoint": "stats.public_index" if public_page else "stats.index",
        "export_endpoint": "stats.public_export" if public_page else "stats.export"}
    try:
        filters = _filters(read_filter_args(request.args, utcnow()), public_page=public_page)
    except ValidationFailed as error:
        fields = {name: [str(m) for m in (v if isinstance(v, list) else [v])] for name, v in error.fields.items()}
        return render_template(template, board=None, error=str(error.message), field_errors=fields, **context), 400
    board = services.dashboard(filters, _locale())
    shown = public_tables(board) if public_page else tables(board)
    query = _query(filters)
    context["args"] = {**context["args"], **{k: str(v) for k, v in query.items()},
                       "preset": filters.period.preset}
    return render_template(template, board=board, tables=[(t, _chart(t)) for t in shown], query=query,
                           error="", field_errors={}, **context)


def _export(table_key: str, fmt: str, *, public_page: bool):
    if fmt not in FORMATS:
        abort(404)
    try:
        filters = _filters(read_filter_args(request.args, utcnow()), public_page=public_page)
    except ValidationFailed as error:
        return render_template("errors/error.html", status=400, message=str(error.message)), 400
    board = services.dashboard(filters, _locale())
    table = table_by_key(public_tables(board) if public_page else tables(board), table_key)
    if table is None:
        abort(404)
    period = filters.period
    stem = f"{'public-' if public_page else ''}stats-{table.key}-{period.first.isoformat()}-{period.last.isoformat()}"
    return table_response(export_header(table), export_rows(table), filename_stem=stem, fmt=fmt)


@bp.get("/")
@guard("stats.view")
def index():
    return _page(public_page=False)


@bp.get("/export/<table>.<fmt>")
@guard("stats.view")
def export(table: str, fmt: str):
    return _export(table, fmt, public_page=False)


@bp.get("/public")
@replica_reads
@public
def public_index():
    return _page(public_page=True)


@bp.get("/public/export/<table>.<fmt>")
@replica_reads
@public
def public_export(table: str, fmt: str):
    return _export(table, fmt, public_page=True)

