"""The dashboard's figures as tables: one table per chart, the same rows shown, drawn and exported.

A cell is a plain value (text, whole number, fen, share 0..1, days, stars) read with its column's
``kind``; :data:`SUPPRESSED` stands for a count too small to publish. The public version
(:func:`public_tables`) suppresses every community figure that rests on fewer than
:data:`MIN_PUBLIC_COUNT` residents, and the mean ratings given by fewer residents than that.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any

from flask_babel import lazy_gettext as _l

from market.core.money import money
from market.micro.labels import RATING_CRITERIA_LABELS
from market.micro.models import RATING_CRITERIA
from market.stats.services import TOP_SHARE_OF, Dashboard, Durations

#: Community figures (and mean ratings) resting on fewer residents than this are not published.
MIN_PUBLIC_COUNT = 5


class Suppressed:
    """A published count withheld because fewer than :data:`MIN_PUBLIC_COUNT` residents are behind it."""

    def __str__(self) -> str:
        return f"<{MIN_PUBLIC_COUNT}"

    def __repr__(self) -> str:
        return "SUPPRESSED"


SUPPRESSED = Suppressed()
KINDS = ("text", "count", "money", "share", "days", "stars")


@dataclass(frozen=True)
class Column:
    label: Any
    kind: str = "count"

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"kind: one of {KINDS}, not {self.kind!r}")


@dataclass(frozen=True)
class Table:
    """``rows`` are tuples of cells, one per column; ``chart`` is the index of the column drawn
    against the first column's labels; ``total`` an optional last row, shown and exported, not drawn."""

    key: str
    title: Any
    columns: tuple[Column, ...]
    rows: list[tuple[Any, ...]]
    chart: int
    chart_title: Any
    total: tuple[Any, ...] | None = None
    notes: list[Any] = field(default_factory=list)

    @property
    def chart_kind(self) -> str:
        return self.columns[self.chart].kind


# ---------------------------------------------------------------- showing and exporting cells

def cell_text(value: Any, kind: str) -> str:
    """A cell as shown on the page."""
    if value is SUPPRESSED:
        return str(value)
    if value is None:
        return "—"
    if kind == "money":
        return money(value)
    if kind == "count":
        return f"{value:,}"
    if kind == "share":
        return f"{100 * value:.1f}%"
    if kind == "days":
        return f"{value:.1f}"
    if kind == "stars":
        return f"{value:.2f}"
    return str(value)


def cell_export(value: Any, kind: str) -> Any:
    """A cell as exported: numbers stay numbers (money in yuan, shares in percent), withheld counts
    say so."""
    if value is SUPPRESSED:
        return str(value)
    if value is None:
        return ""
    if kind == "money":
        return Decimal(value) / 100
    if kind == "share":
        return round(100 * value, 2)
    if kind in ("days", "stars"):
        return round(value, 2)
    return value if kind == "count" else str(value)


def export_header(table: Table) -> list[str]:
    units = {"money": _l("yuan"), "share": "%", "days": _l("days"), "stars": _l("1-5 stars")}
    return [f"{column.label} ({units[column.kind]})" if column.kind in units else str(column.label)
            for column in table.columns]


def export_rows(table: Table) -> list[list[Any]]:
    rows = [*table.rows, *([table.total] if table.total else [])]
    return [[cell_export(value, column.kind) for value, column in zip(row, table.columns)] for row in rows]


def chart_values(table: Table) -> list[tuple[str, float, str]]:
    """``(label, value, shown value)`` for each row the chart draws: withheld and empty cells are left out."""
    return [(str(row[0]), float(row[table.chart]), cell_text(row[table.chart], table.chart_kind))
            for row in table.rows if row[table.chart] is not None and row[table.chart] is not SUPPRESSED]


# ---------------------------------------------------------------- the tables

def _projects(key: str, title: Any, first: Any, everything: Any, groups: list, figures: dict, total: Any,
              chart: int, chart_title: Any) -> Table:
    columns = (Column(first, "text"), Column(_l("Projects published")), Column(_l("Money asked"), "money"),
               Column(_l("Projects awarded")), Column(_l("Projects completed")))
    rows = [(g.label, figures[g.key].published, figures[g.key].asked_cents, figures[g.key].awarded,
             figures[g.key].completed) for g in groups if g.key in figures]
    return Table(key, title, columns, rows, chart, chart_title,
                 total=(str(everything), total.published, total.asked_cents, total.awarded, total.completed),
                 notes=[_l("Published: projects published in the period, with the budgets they ask for. Awarded: "
                           "projects whose first contract was awarded in the period. Completed: projects completed "
                           "(accepted) in the period.")])


def _durations_row(label: str, figures: Durations) -> tuple[Any, ...]:
    return (label, figures.projects, figures.median_days, figures.p90_days)


def tables(board: Dashboard) -> list[Table]:
    """Every table of the dashboard, in the order shown."""
    providers = board.providers
    rating_columns = tuple(Column(RATING_CRITERIA_LABELS[c][0], "stars") for c in RATING_CRITERIA)
    concentration = "—" if providers.hhi is None else format(providers.hhi, ",.0f")
    return [
        _projects("projects-by-street", _l("Projects by street"), _l("Street"), _l("All streets"), board.streets,
                  board.projects_by_street, board.projects_total, 1, _l("Projects published, by street")),
        _projects("projects-by-category", _l("Projects by category"), _l("Category"), _l("All categories"),
                  board.categories,
                  board.projects_by_category, board.projects_total, 2, _l("Money asked, by category")),
        Table("money-by-source", _l("Money by source"),
              (Column(_l("Source"), "text"), Column(_l("Reserved at the end of the period"), "money"),
               Column(_l("Paid in the period"), "money")),
              [(m.label, m.reserved_cents, m.paid_cents) for m in board.money], 2, _l("Money paid, by source"),
              total=(str(_l("All sources")), board.reserved_cents, board.paid_cents),
              notes=[_l("From the ledger. Reserved: pool money set aside for contracts and pledges to projects, "
                        "not paid yet. Paid: payouts to providers from that money, pledges and matching paid into "
                        "projects' funds, and donations to projects less refunds. District and street funds are "
                        "the pools of government departments of the district and of the streets.")]),
        Table("providers", _l("Providers"),
              (Column(_l("Provider"), "text"), Column(_l("Contracts")), Column(_l("Money awarded"), "money"),
               Column(_l("Share"), "share")),
              [(p.tr(board.locale), p.contracts, p.amount_cents, p.share) for p in providers.top],
              3, _l("Share of the money awarded, largest providers"),
              total=(str(_l("All active providers")), providers.contracts, providers.total_cents,
                     1.0 if providers.total_cents else None),
              notes=[_l("Active providers (with a contract awarded in the period): %(n)d.", n=providers.active),
                     _l("Share of the %(k)d largest providers: %(share)s.", k=TOP_SHARE_OF,
                        share=cell_text(providers.top_share, "share")),
                     _l("Concentration (Herfindahl-Hirschman index, 0-10,000; above 2,500 is highly "
                        "concentrated): %(hhi)s.",
                        hhi=concentration)]),
        Table("award-time", _l("Time from publication to award"),
              (Column(_l("Street"), "text"), Column(_l("Projects awarded")), Column(_l("Median"), "days"),
               Column(_l("90th percentile"), "days")),
              [_durations_row(g.label, board.award_time_by_street.get(g.key, Durations())) for g in board.streets],
              2, _l("Median days from publication to award, by street"),
              total=_durations_row(str(_l("All streets")), board.award_time),
              notes=[_l("Days from a project's publication to the award of its first contract, for projects "
                        "awarded in the period.")]),
        Table("ratings", _l("Acceptance and residents' ratings"),
              (Column(_l("Street"), "text"), Column(_l("Micro-projects accepted")), Column(_l("Ratings")),
               Column(_l("Mean rating"), "stars"), *rating_columns),
              [_ratings_row(g.label, board.ratings_by_street.get(g.key)) for g in board.streets],
              3, _l("Mean rating of accepted micro-projects, by street"),
              total=_ratings_row(str(_l("All streets")), board.ratings_total),
              notes=[_l("Micro-projects accepted in the period, and residents' ratings given in the period "
                        "(1 to 5 stars per criterion).")]),
        Table("participation", _l("Micro-project participation by community"),
              (Column(_l("Community"), "text"), Column(_l("Street"), "text"), Column(_l("Proposals")),
               Column(_l("Ballots")), Column(_l("Votes")), Column(_l("Eligible residents")),
               Column(_l("Turnout"), "share")),
              [(p.name, p.street_name, p.proposals, p.ballots, p.votes, p.eligible, p.turnout)
               for p in board.participation], 6, _l("Turnout, by community"),
              notes=[_l("Turnout: ballots cast in the period by a community's residents, divided by its verified "
                        "residents, for communities where a round's voting took place in the period. Votes: the "
                        "proposals ticked on those ballots.")]),
    ]


def _ratings_row(label: str, figures: Any) -> tuple[Any, ...]:
    if figures is None:
        return (label, 0, 0, None, *([None] * len(RATING_CRITERIA)))
    return (label, figures.accepted, figures.ratings, figures.overall, *(figures.mean(c) for c in RATING_CRITERIA))


# ---------------------------------------------------------------- the public version

def _small(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value < MIN_PUBLIC_COUNT


def _suppress_participation(row: tuple[Any, ...]) -> tuple[Any, ...]:
    name, street, proposals, ballots, votes, eligible, turnout = row
    hide_ballots = _small(ballots) or _small(eligible)
    return (name, street, SUPPRESSED if _small(proposals) else proposals,
            SUPPRESSED if _small(ballots) else ballots, SUPPRESSED if hide_ballots else votes,
            SUPPRESSED if _small(eligible) else eligible, SUPPRESSED if hide_ballots else turnout)


def _suppress_ratings(row: tuple[Any, ...]) -> tuple[Any, ...]:
    if not _small(row[2]):
        return row
    return (row[0], row[1], SUPPRESSED, *([SUPPRESSED] * (len(row) - 3)))


PUBLIC_RULES: dict[str, Callable[[tuple[Any, ...]], tuple[Any, ...]]] = {
    "participation": _suppress_participation,
    "ratings": _suppress_ratings,
}


def public_tables(board: Dashboard) -> list[Table]:
    """The tables residents see: the same aggregates, with small counts withheld."""
    published = []
    for table in tables(board):
        rule = PUBLIC_RULES.get(table.key)
        if rule is None:
            published.append(table)
            continue
        published.append(replace(table, rows=[rule(row) for row in table.rows],
                                 total=rule(table.total) if table.total else None,
                                 notes=[*table.notes, _l("Figures resting on fewer than %(n)d residents are shown as "
                                                         "“<%(n)d” to protect their privacy.", n=MIN_PUBLIC_COUNT)]))
    return published


def table_by_key(all_tables: list[Table], key: str) -> Table | None:
    return next((t for t in all_tables if t.key == key), None)
