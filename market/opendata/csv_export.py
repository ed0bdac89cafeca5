"""Flattened CSV views of the exports: one row per OCDS release, one row per 360Giving grant.

Rows are built from the very JSON objects the packages publish, so both always agree. Files are
UTF-8 with a byte-order mark (Excel then reads Chinese correctly) and CRLF line ends; several
values in one cell are joined with "; "; amounts are exact decimals in yuan. A text cell that
starts like a spreadsheet formula (= + - @) is prefixed with an apostrophe.
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

GRANT_COLUMNS = [
    "Identifier", "Title", "Description", "Currency", "Amount Awarded", "Amount Disbursed", "Award Date",
    "Planned Dates:Start Date", "Planned Dates:End Date",
    "Recipient Org:Identifier", "Recipient Org:Name", "Funding Org:Identifier", "Funding Org:Name",
    "Grant Programme:Code", "Grant Programme:Title", "Beneficiary Location:Name",
    "Beneficiary Location:Country Code", "Classifications:Code", "Classifications:Title", "URL", "Last Modified",
]


def grant_row(grant: dict[str, Any]) -> dict[str, Any]:
    planned = (grant.get("plannedDates") or [{}])[0]
    recipient, funder = grant["recipientOrganization"][0], grant["fundingOrganization"][0]
    programmes = grant.get("grantProgramme", [])
    locations = grant.get("beneficiaryLocation", [])
    classifications = grant.get("classifications", [])
    return {
        "Identifier": grant["id"], "Title": grant["title"], "Description": grant["description"],
        "Currency": grant["currency"], "Amount Awarded": _amount(grant["amountAwarded"]),
        "Amount Disbursed": _amount(grant.get("amountDisbursed")), "Award Date": grant["awardDate"],
        "Planned Dates:Start Date": planned.get("startDate"), "Planned Dates:End Date": planned.get("endDate"),
        "Recipient Org:Identifier": recipient["id"], "Recipient Org:Name": recipient["name"],
        "Funding Org:Identifier": funder["id"], "Funding Org:Name": funder["name"],
        "Grant Programme:Code": _joined(p.get("code") for p in programmes),
        "Grant Programme:Title": _joined(p.get("title") for p in programmes),
        "Beneficiary Location:Name": _joined(loc.get("name") for loc in locations),
        "Beneficiary Location:Country Code": _joined(loc.get("countryCode") for loc in locations),
        "Classifications:Code": _joined(c.get("code") for c in classifications),
        "Classifications:Title": _joined(c.get("title") for c in classifications),
        "URL": grant.get("url"), "Last Modified": grant.get("dateModified"),
    }


def grants_csv(grants: Iterable[dict[str, Any]]) -> str:
    return to_csv(GRANT_COLUMNS, (grant_row(g) for g in grants))
