"""Flattened CSV views of the exports: one row per OCDS release, one row per 360Giving grant.

Rows are built from the very JSON objects the packages publish, so both always agree. Files are
UTF-8 with a byte-order mark (Excel then reads Chinese correctly) and CRLF line ends; amounts are
exact decimals in yuan. A text cell that starts like a spreadsheet formula (= + - @) is prefixed
with an apostrophe. The releases' file is a summary, one row per release, several values in one
cell joined with "; "; the grants' file has the 360Giving standard's columns, one value a cell.
"""
from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from flask import Response

from market.opendata.common import cents_of, yuan_text
from market.ui import export

JOIN = "; "


def _amount(amount: int | float | None) -> str:
    return "" if amount is None else yuan_text(cents_of(amount))


def _total(values: Iterable[dict[str, Any] | None]) -> str:
    amounts = [v.get("amount") for v in values if v and v.get("amount") is not None]
    return yuan_text(sum(cents_of(a) for a in amounts)) if amounts else ""


def _joined(values: Iterable[Any]) -> str:
    return JOIN.join(str(v) for v in values if v not in (None, ""))


def to_csv(columns: list[str], rows: Iterable[dict[str, Any]]) -> str:
    return export.to_csv(columns, ([row.get(column) for column in columns] for row in rows))


def csv_response(text: str, filename: str) -> Response:
    return export.download(text, filename, "text/csv")


# ---------------------------------------------------------------- OCDS

RELEASE_COLUMNS = [
    "ocid", "id", "date", "tag", "initiationType", "language", "buyer/id", "buyer/name",
    "planning/budget/amount/amount", "planning/budget/amount/currency",
    "tender/id", "tender/title", "tender/status", "tender/procurementMethod", "tender/mainProcurementCategory",
    "tender/value/amount", "tender/value/currency", "tender/tenderPeriod/startDate", "tender/tenderPeriod/endDate",
    "tender/lots/count", "tender/numberOfTenderers", "tender/tenderers/name",
    "bids/details/count", "bids/details/value/amount",
    "awards/count", "awards/id", "awards/status", "awards/date", "awards/value/amount (total)",
    "awards/suppliers/name",
    "contracts/count", "contracts/id", "contracts/status", "contracts/dateSigned", "contracts/value/amount (total)",
    "contracts/implementation/milestones/count", "contracts/implementation/milestones/met",
    "contracts/implementation/transactions/count", "contracts/implementation/transactions/value/amount (total)",
    "parties/count", "parties/roles",
]


def release_row(release: dict[str, Any]) -> dict[str, Any]:
    planning = release.get("planning", {}).get("budget", {}).get("amount", {})
    tender = release.get("tender", {})
    bids = release.get("bids", {}).get("details", [])
    awards = release.get("awards", [])
    contracts = release.get("contracts", [])
    milestones = [m for c in contracts for m in c.get("implementation", {}).get("milestones", [])]
    transactions = [t for c in contracts for t in c.get("implementation", {}).get("transactions", [])]
    return {
        "ocid": release["ocid"], "id": release["id"], "date": release["date"], "tag": _joined(release["tag"]),
        "initiationType": release["initiationType"], "language": release.get("language"),
        "buyer/id": release.get("buyer", {}).get("id"), "buyer/name": release.get("buyer", {}).get("name"),
        "planning/budget/amount/amount": _amount(planning.get("amount")),
        "planning/budget/amount/currency": planning.get("currency"),
        "tender/id": tender.get("id"), "tender/title": tender.get("title"), "tender/status": tender.get("status"),
        "tender/procurementMethod": tender.get("procurementMethod"),
        "tender/mainProcurementCategory": tender.get("mainProcurementCategory"),
        "tender/value/amount": _amount(tender.get("value", {}).get("amount")),
        "tender/value/currency": tender.get("value", {}).get("currency"),
        "tender/tenderPeriod/startDate": tender.get("tenderPeriod", {}).get("startDate"),
        "tender/tenderPeriod/endDate": tender.get("tenderPeriod", {}).get("endDate"),
        "tender/lots/count": len(tender["lots"]) if "lots" in tender else "",
        "tender/numberOfTenderers": tender.get("numberOfTenderers"),
        "tender/tenderers/name": _joined(t.get("name") for t in tender.get("tenderers", [])),
        "bids/details/count": len(bids) if "bids" in release else "",
        "bids/details/value/amount": _joined(_amount(b.get("value", {}).get("amount")) for b in bids),
        "awards/count": len(awards) if awards else "",
        "awards/id": _joined(a["id"] for a in awards), "awards/status": _joined(a.get("status") for a in awards),
        "awards/date": _joined(dict.fromkeys(a.get("date") for a in awards)),
        "awards/value/amount (total)": _total(a.get("value") for a in awards),
        "awards/suppliers/name": _joined(s.get("name") for a in awards for s in a.get("suppliers", [])),
        "contracts/count": len(contracts) if contracts else "",
        "contracts/id": _joined(c["id"] for c in contracts),
        "contracts/status": _joined(c.get("status") for c in contracts),
        "contracts/dateSigned": _joined(c.get("dateSigned") for c in contracts),
        "contracts/value/amount (total)": _total(c.get("value") for c in contracts),
        "contracts/implementation/milestones/count": len(milestones) if milestones else "",
        "contracts/implementation/milestones/met": sum(1 for m in milestones if m.get("status") == "met")
        if milestones else "",
        "contracts/implementation/transactions/count": len(transactions) if transactions else "",
        "contracts/implementation/transactions/value/amount (total)": _total(t.get("value") for t in transactions),
        "parties/count": len(release.get("parties", [])),
        "parties/roles": _joined(f"{p['name']} ({', '.join(p.get('roles', []))})" for p in release.get("parties", [])),
    }


def releases_csv(releases: Iterable[dict[str, Any]]) -> str:
    return to_csv(RELEASE_COLUMNS, (release_row(r) for r in releases))


# ---------------------------------------------------------------- 360Giving (the standard's spreadsheet titles)
#
# Headings are the 360Giving schema's titles joined by ":" as flatten-tool writes and reads them, an
# array's items numbered from 0 (``Grant Programme:1:Title``), so that flatten-tool turns the file
# back into the very grants of the JSON package. Every value has its own cell.

Field = tuple[str, str, "tuple[Field, ...] | None"]

LOCATION_FIELDS: tuple[Field, ...] = (
    ("id", "Identifier", None), ("name", "Name", None), ("description", "Description", None),
    ("geoCode", "Geographic Code", None), ("geoCodeType", "Geographic Code Type", None),
    ("countryCode", "Country Code", None))
ORGANISATION_FIELDS: tuple[Field, ...] = (
    ("id", "Identifier", None), ("name", "Name", None), ("location", "Location", LOCATION_FIELDS))
GRANT_FIELDS: tuple[Field, ...] = (
    ("id", "Identifier", None), ("title", "Title", None), ("description", "Description", None),
    ("currency", "Currency", None), ("amountAwarded", "Amount Awarded", None),
    ("amountDisbursed", "Amount Disbursed", None), ("awardDate", "Award Date", None),
    ("plannedDates", "Planned Dates", (("startDate", "Start Date", None), ("endDate", "End Date", None))),
    ("recipientOrganization", "Recipient Org", ORGANISATION_FIELDS),
    ("fundingOrganization", "Funding Org", (("id", "Identifier", None), ("name", "Name", None))),
    ("grantProgramme", "Grant Programme", (("code", "Code", None), ("title", "Title", None))),
    ("beneficiaryLocation", "Beneficiary Location", LOCATION_FIELDS),
    ("classifications", "Classifications", (("vocabulary", "Vocabulary", None), ("code", "Code", None),
                                            ("title", "Title", None))),
    ("url", "URL", None), ("dateModified", "Last Modified", None), ("dataSource", "Data Source", None),
)
#: Amounts are written as exact decimals in yuan.
AMOUNTS = frozenset({"amountAwarded", "amountDisbursed"})


def _lengths(fields: tuple[Field, ...], objects: list[dict[str, Any]], path: tuple[str, ...] = (),
             into: dict[tuple[str, ...], int] | None = None) -> dict[tuple[str, ...], int]:
    """The largest number of items of each array (by its path without indices) in ``objects``."""
    into = {} if into is None else into
    for key, _title, children in fields:
        if children is None:
            continue
        arrays = [obj.get(key) or [] for obj in objects]
        into[(*path, key)] = max([into.get((*path, key), 1), *map(len, arrays)])
        _lengths(children, [item for array in arrays for item in array], (*path, key), into)
    return into


def _headings(fields: tuple[Field, ...], lengths: dict[tuple[str, ...], int], path: tuple[str, ...] = (),
              title: str = "") -> list[tuple[str, tuple[str | int, ...]]]:
    """``(heading, path with indices)`` for every cell, in the order of ``fields``."""
    out = []
    for key, name, children in fields:
        heading = f"{title}{name}"
        if children is None:
            out.append((heading, (key,)))
            continue
        for index in range(lengths[(*path, key)]):
            for sub_heading, sub_path in _headings(children, lengths, (*path, key), f"{heading}:{index}:"):
                out.append((sub_heading, (key, index, *sub_path)))
    return out


def _cell(grant: dict[str, Any], path: tuple[str | int, ...]) -> Any:
    node: Any = grant
    for step in path:
        if isinstance(step, int):
            node = node[step] if isinstance(node, list) and step < len(node) else None
        else:
            node = node.get(step) if isinstance(node, dict) else None
        if node is None:
            return None
    return _amount(node) if path[-1] in AMOUNTS else node


def grants_csv(grants: Iterable[dict[str, Any]]) -> str:
    grants = list(grants)
    headings = _headings(GRANT_FIELDS, _lengths(GRANT_FIELDS, grants))
    return export.to_csv([heading for heading, _path in headings],
                         ([_cell(grant, path) for _heading, path in headings] for grant in grants))
