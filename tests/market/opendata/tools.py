"""The sector's own tools, run offline on the exports: the OCDS Data Review Tool's library
(lib-cove-ocds), OCDS Kit's compile (records), flatten-tool (the 360Giving spreadsheet form) and the
360Giving Data Quality Tool's checks.

Nothing here reaches the network. The tools fetch schemas and extensions over HTTP by default; here
the OCDS standard comes from a ZIP built from ``tests/data/standards`` (a ``file://`` URL, which the
tools accept for the standard), and extension URLs are answered by a requests adapter mounted on the
session the tools use: the marketplace's own extension through the app (so the test also proves the
app serves it), the registered bid and lots extensions from ``tests/data/standards/extensions`` when
they are stored there, "404" otherwise.

The 360Giving Data Quality Tool's library is not on PyPI; :func:`giving_notices` applies its checks,
as named in its report, to the grants (see the function for which and why).
"""
from __future__ import annotations

import io
import json
import re
import tempfile
import zipfile
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from requests.adapters import HTTPAdapter
from urllib3 import HTTPResponse

STANDARDS = Path(__file__).resolve().parents[2] / "data" / "standards"
OCDS = STANDARDS / "ocds-1.1.5"
GIVING = STANDARDS / "360giving-1.4.3"
EXTENSIONS = STANDARDS / "extensions"
OCDS_TAG = "1__1__5"

#: The registered extensions the packages declare, by the folder a stored copy would have.
REGISTERED = {
    "https://raw.githubusercontent.com/open-contracting-extensions/ocds_bid_extension/v1.1.5/":
        "ocds_bid_extension-v1.1.5",
    "https://raw.githubusercontent.com/open-contracting-extensions/ocds_lots_extension/v1.1.5/":
        "ocds_lots_extension-v1.1.5",
}
#: The fields those two extensions add that the exports use (root fields, as lib-cove-ocds reports
#: them): unknown to the schema while the extensions themselves are not stored.
REGISTERED_FIELDS = {
    "ocds_bid_extension-v1.1.5": {("/releases", "bids"), ("/releases/awards", "relatedBid")},
    "ocds_lots_extension-v1.1.5": {("/releases/tender", "lots"), ("/releases/tender/items", "relatedLot"),
                                   ("/releases/awards", "relatedLots"),
                                   ("/releases/contracts/implementation/milestones", "relatedLots")},
}


# ---------------------------------------------------------------- no network

LOOPBACK = {"localhost", "127.0.0.1", "::1"}
# The test app's configured address (TestConfig.BASE_URL): the links of its exports point there.
SITE_HOST = "market.example.org"


def block_network(monkeypatch) -> None:
    """Any connection or name lookup beyond this machine raises (a local database still works)."""
    import socket

    real_connect, real_getaddrinfo = socket.socket.connect, socket.getaddrinfo

    def connect(sock, address):
        host = address[0] if isinstance(address, tuple) else None
        if host is not None and host not in LOOPBACK:
            raise OSError(f"network blocked in tests: {address!r}")
        return real_connect(sock, address)

    def getaddrinfo(host, *args, **kwargs):
        if host not in LOOPBACK and host is not None:
            raise OSError(f"network blocked in tests: {host!r}")
        return real_getaddrinfo(host, *args, **kwargs)

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)


class _Offline(HTTPAdapter):
    """Answers the tools' HTTP requests from the app (its own URLs) or from stored files."""

    def __init__(self, client) -> None:
        super().__init__()
        self.client = client
        self.requested: list[str] = []

    def send(self, request, **kwargs):
        self.requested.append(request.url)
        status, body = self._answer(request.url)
        raw = HTTPResponse(body=io.BytesIO(body), status=status, preload_content=False, request_url=request.url,
                           headers={"Content-Type": "application/octet-stream"}, reason="OK" if status == 200
                           else "Not Found")
        return self.build_response(request, raw)

    def _answer(self, url: str) -> tuple[int, bytes]:
        parts = urlsplit(url)
        if parts.hostname in (SITE_HOST, "localhost"):
            response = self.client.get(parts.path)
            return response.status_code, response.get_data()
        for base, folder in REGISTERED.items():
            stored = EXTENSIONS / folder
            if url.startswith(base) and (stored / url[len(base):]).is_file():
                return 200, (stored / url[len(base):]).read_bytes()
            archive = f"https://github.com/open-contracting-extensions/{folder.rsplit('-', 1)[0]}/archive/" \
                      f"{folder.rsplit('-', 1)[1]}.zip"
            if url == archive and stored.is_dir():
                return 200, _zip({f"ext/{p.relative_to(stored)}": p.read_bytes()
                                  for p in sorted(stored.rglob("*")) if p.is_file()}, "ext/")
        return 404, b""


def stored_extensions() -> set[str]:
    return {folder for folder in REGISTERED.values() if (EXTENSIONS / folder / "release-schema.json").is_file()}


def _zip(files: dict[str, bytes], root: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(root, "")
        for name, content in files.items():
            archive.writestr(name, content)
    return buffer.getvalue()


@contextmanager
def offline_tools(client) -> Iterator[_Offline]:
    """The tools' HTTP session answered by :class:`_Offline` for the time of the block."""
    from ocdsextensionregistry.util import session

    adapters = dict(session.adapters)
    adapter = _Offline(client)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    session.cache.clear()
    try:
        yield adapter
    finally:
        session.adapters.clear()
        session.adapters.update(adapters)
        session.cache.clear()


def closed_codelists(release_schema: dict[str, Any]) -> dict[str, list[str]]:
    """The closed codelists' codes, as the release schema's ``enum`` lists them."""
    found: dict[str, list[str]] = {}

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if "codelist" in node and node.get("openCodelist") is False:
                codes = node.get("enum") or node.get("items", {}).get("enum") or []
                found.setdefault(node["codelist"], [code for code in codes if code is not None])
            for child in node.values():
                walk(child)
        elif isinstance(node, list):
            for child in node:
                walk(child)

    walk(release_schema)
    return found


def standard_zip(folder: Path) -> Path:
    """The standard as the tools read it: ``<root>/schema/`` with the schemas and codelists."""
    files = {f"standard/schema/{path.name}": path.read_bytes() for path in sorted(OCDS.glob("*.json"))}
    release = json.loads((OCDS / "release-schema.json").read_text(encoding="utf-8"))
    for name, codes in closed_codelists(release).items():
        files[f"standard/schema/codelists/{name}"] = ("Code\n" + "".join(f"{code}\n" for code in codes)).encode()
    path = folder / "standard.zip"
    path.write_bytes(_zip(files, "standard/"))
    return path


# ---------------------------------------------------------------- OCDS: lib-cove-ocds and ocdskit

@dataclass
class CoveReport:
    """What lib-cove-ocds found, reduced to what the tests judge."""

    validation_errors: list[str]
    closed_codelist_values: dict[str, list[str]]  # codes outside a closed codelist, by field
    additional_fields: set[tuple[str, str]]  # (path, field) of root fields outside the (extended) schema
    bad_ocid_prefixes: list[str]
    invalid_extensions: dict[str, str]
    empty_fields: list[str]
    count: int


def cove(package: dict[str, Any], zip_path: Path) -> CoveReport:
    from libcoveocds.api import ocds_json_output
    from libcoveocds.config import LibCoveOCDSConfig

    config = LibCoveOCDSConfig({"standard_zip": f"file://{zip_path}", "context": "api"})
    with tempfile.TemporaryDirectory() as folder:
        result = ocds_json_output(folder, json_data=package, lib_cove_ocds_config=config)
    # ``all_additional_fields`` tells language variants (``title_en``) apart; ``additional_fields``
    # does so only while some other field is unknown.
    additional = {(field_info["path"], field_info["field_name"]) for field_info in result["all_additional_fields"]
                  if field_info["root_additional_field"]}
    return CoveReport(
        validation_errors=[f"{e['path']}: {e['description']}" for e in result["validation_errors"]],
        closed_codelist_values={path: sorted(map(str, info["values"]))
                                for path, info in result["additional_closed_codelist_values"].items()},
        additional_fields=additional,
        bad_ocid_prefixes=[ocid for ocid, _path in result.get("conformance_errors", {}).get(
            "ocds_prefixes_bad_format", [])],
        invalid_extensions=dict(result["extensions"]["invalid_extensions"]) if result["extensions"] else {},
        empty_fields=[item["json_location"] for item in result.get("additional_checks", {}).get("empty_field", [])],
        count=result["count"])


def unexplained_fields(report: CoveReport) -> set[tuple[str, str]]:
    """Unknown fields, less those of registered extensions that are declared but not stored here."""
    missing = set(REGISTERED.values()) - stored_extensions()
    allowed = set().union(*(REGISTERED_FIELDS[folder] for folder in missing))
    return {item for item in report.additional_fields if item not in allowed}


def patched_release_schema(extension_urls: list[str], zip_path: Path) -> dict[str, Any]:
    """The release schema with the declared extensions that can be had applied (for OCDS Kit)."""
    import warnings

    from ocdsextensionregistry import ProfileBuilder
    from ocdsextensionregistry.exceptions import ExtensionWarning

    builder = ProfileBuilder(OCDS_TAG, extension_urls, standard_base_url=f"file://{zip_path}")
    with warnings.catch_warnings():  # an extension not stored here is reported by lib-cove-ocds instead
        warnings.simplefilter("ignore", ExtensionWarning)
        return builder.patched_release_schema()


def compile_records(package: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    """``ocdskit compile --package``: one record per ocid with its compiled release."""
    from ocdskit.combine import merge

    return next(merge([package], return_package=True, schema=schema, published_date=package["publishedDate"],
                      publisher=package["publisher"]))


def _moment(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


def timeline_problems(releases: list[dict[str, Any]]) -> dict[str, list[str]]:
    """Per ocid, releases whose date is not strictly after the one before (compile order undefined)."""
    by_ocid: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for release in releases:
        by_ocid[release["ocid"]].append(release)
    problems: dict[str, list[str]] = {}
    for ocid, group in by_ocid.items():
        moments = sorted(_moment(r["date"]) for r in group)
        if any(later <= earlier for earlier, later in zip(moments, moments[1:])):
            problems[ocid] = [r["date"] for r in group]
    return problems


def record_contradictions(record: dict[str, Any]) -> list[str]:
    """What a compiled release says that cannot all be true of one contracting process."""
    compiled = record["compiledRelease"]
    tender = compiled.get("tender", {})
    status = tender.get("status")
    awards = compiled.get("awards", [])
    problems = []
    closes = _moment(tender.get("tenderPeriod", {}).get("endDate"))
    opened = _moment(tender.get("awardPeriod", {}).get("startDate"))
    for award in awards:
        when = _moment(award.get("date"))
        if when and closes and when < closes:
            problems.append(f"award {award['id']} dated before the tender closes")
        if when and opened and when < opened:
            problems.append(f"award {award['id']} dated before the bids were opened")
    statuses = {award.get("status") for award in awards}
    if "active" in statuses and status != "complete":
        problems.append(f"an active award, but the tender is {status}")
    if status == "complete" and "active" not in statuses:
        problems.append("the tender is complete without an active award")
    if "pending" in statuses and status not in ("active", "cancelled"):
        problems.append(f"a pending award, but the tender is {status}")
    for lot in tender.get("lots", []):
        if lot.get("status") != status:
            problems.append(f"lot {lot['id']} is {lot.get('status')}, the tender {status}")
    dates = {award["id"]: _moment(award.get("date")) for award in awards}
    for contract in compiled.get("contracts", []):
        signed, awarded = _moment(contract.get("dateSigned")), dates.get(contract.get("awardID"))
        if signed and awarded and signed < awarded:
            problems.append(f"contract {contract['id']} signed before its award")
    return problems


# ---------------------------------------------------------------- 360Giving: flatten-tool and the DQT's checks

def unflatten_grants(csv_text: str, folder: Path) -> list[dict[str, Any]]:
    """The grants flatten-tool reads back from the grants CSV (titles converted by the schema)."""
    import warnings

    import flattentool

    sheets = folder / "sheets"
    sheets.mkdir()
    (sheets / "grants.csv").write_text(csv_text.removeprefix("\ufeff"), encoding="utf-8")
    output = folder / "unflattened.json"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # flatten-tool's own deprecations
        flattentool.unflatten(str(sheets), input_format="csv", output_name=str(output), root_list_path="grants",
                              schema=str(GIVING / "360-giving-schema.json"), convert_titles=True, id_name="id",
                              root_id="")
    return json.loads(output.read_text(encoding="utf-8"))["grants"]


#: The 360Giving Data Quality Tool's checks that :func:`giving_notices` applies, by the names in its
#: report. Left out: MoreThanOneFundingOrg (a marketplace publishes for many funders at once), the
#: UK registers' checks (charity and company numbers, postcodes: NoRecipientOrgCompanyCharityNumber,
#: RecipientOrgCharityNumber, RecipientOrgCompanyNumber, GeoCodePostcode), the checks of grants to
#: individuals (none are published) and the spreadsheet-only checks.
GIVING_CHECKS = (
    "ZeroAmountTest", "RecipientOrgUnrecognisedPrefix", "FundingOrgUnrecognisedPrefix", "OrganizationIdUnexpectedChars",
    "GrantIdUnexpectedChars", "LooksLikeEmail", "PlannedStartDateBeforeEndDate", "FarFuturePlannedDates",
    "FarPastDates", "PostDatedAwardDates", "RecipientOrg360GPrefix", "FundingOrg360GPrefix", "IncompleteRecipientOrg",
    "NoGrantProgramme", "NoBeneficiaryLocation", "TitleDescriptionSame", "TitleLength", "NoLastModified",
    "NoDataSource", "PlannedDurationNotPresent", "BeneficiaryLocationNameButNoCode",
    "BeneficiaryButNotRecipientGeoData", "RecipientGeoDataButNoBeneficiary",
)
#: Organisation identifier prefixes the exports use: org-id.guide's list for China's register, and
#: the prefix 360Giving keeps for publishers' own identifiers.
RECOGNISED_PREFIXES = ("CN-USCI-", "360G-")
EMAIL = re.compile(r"[\w.-]+@[\w.-]+\.[\w.-]+")


def _strings(node: Any, path: str = "") -> Iterator[tuple[str, str]]:
    if isinstance(node, dict):
        for key, child in node.items():
            yield from _strings(child, f"{path}/{key}")
    elif isinstance(node, list):
        for index, child in enumerate(node):
            yield from _strings(child, f"{path}/{index}")
    elif isinstance(node, str):
        yield path, node


@dataclass
class GivingNotices:
    by_check: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))

    def add(self, check: str, location: str) -> None:
        self.by_check[check].append(location)

    def failed(self) -> dict[str, list[str]]:
        return {check: locations for check, locations in self.by_check.items() if locations}


def giving_notices(grants: list[dict[str, Any]], now: datetime) -> dict[str, list[str]]:
    """The Data Quality Tool's quality and usefulness notices (see GIVING_CHECKS) by check, each with
    the JSON locations it points at."""
    notices = GivingNotices()
    for index, grant in enumerate(grants):
        at = f"grants/{index}"
        if grant.get("amountAwarded") == 0:
            notices.add("ZeroAmountTest", f"{at}/amountAwarded")
        if "\n" in grant.get("id", ""):
            notices.add("GrantIdUnexpectedChars", f"{at}/id")
        for role, unrecognised, internal in (
                ("recipientOrganization", "RecipientOrgUnrecognisedPrefix", "RecipientOrg360GPrefix"),
                ("fundingOrganization", "FundingOrgUnrecognisedPrefix", "FundingOrg360GPrefix")):
            for number, org in enumerate(grant.get(role, [])):
                where = f"{at}/{role}/{number}/id"
                if not org.get("id", "").startswith(RECOGNISED_PREFIXES):
                    notices.add(unrecognised, where)
                if org.get("id", "").lower().startswith("360g"):
                    notices.add(internal, where)
                if "\n" in org.get("id", ""):
                    notices.add("OrganizationIdUnexpectedChars", where)
        for path, text in _strings(grant):
            if "email" not in path and EMAIL.search(text):
                notices.add("LooksLikeEmail", at + path)
        planned = (grant.get("plannedDates") or [{}])[0]
        start, end = _moment(planned.get("startDate")), _moment(planned.get("endDate"))
        if start and end and start > end:
            notices.add("PlannedStartDateBeforeEndDate", f"{at}/plannedDates/0/startDate")
        if any(day and day > now + timedelta(days=12 * 365) for day in (start, end)):
            notices.add("FarFuturePlannedDates", f"{at}/plannedDates/0")
        awarded = _moment(grant.get("awardDate"))
        if any(day and day < now - timedelta(days=25 * 365) for day in (start, end, awarded)):
            notices.add("FarPastDates", at)
        if awarded and awarded > now:
            notices.add("PostDatedAwardDates", f"{at}/awardDate")
        if not (start and end) and planned.get("duration") is None:
            notices.add("PlannedDurationNotPresent", f"{at}/plannedDates")
        recipients = grant.get("recipientOrganization", [])
        located = any(org.get("postalCode") or any(place.get("geoCode") for place in org.get("location", []))
                      for org in recipients)
        if recipients and not located:
            notices.add("IncompleteRecipientOrg", f"{at}/recipientOrganization/0/id")
        beneficiaries = grant.get("beneficiaryLocation", [])
        if not grant.get("grantProgramme"):
            notices.add("NoGrantProgramme", f"{at}/id")
        if not beneficiaries:
            notices.add("NoBeneficiaryLocation", f"{at}/id")
        if grant.get("title") and grant.get("title") == grant.get("description"):
            notices.add("TitleDescriptionSame", f"{at}/description")
        if len(grant.get("title", "")) > 140:
            notices.add("TitleLength", f"{at}/title")
        if not grant.get("dateModified"):
            notices.add("NoLastModified", f"{at}/id")
        if not grant.get("dataSource"):
            notices.add("NoDataSource", f"{at}/id")
        for number, place in enumerate(beneficiaries):
            if place.get("name") and not place.get("geoCode"):
                notices.add("BeneficiaryLocationNameButNoCode", f"{at}/beneficiaryLocation/{number}/name")
        first = recipients[0] if recipients else {}
        if beneficiaries and recipients and not first.get("postalCode") and not first.get("location"):
            notices.add("BeneficiaryButNotRecipientGeoData", f"{at}/recipientOrganization/0/id")
        if recipients and first.get("location") and not beneficiaries:
            notices.add("RecipientGeoDataButNoBeneficiary", f"{at}/recipientOrganization/0/location")
    return notices.failed()
