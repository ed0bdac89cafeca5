"""The open-data exports, fetched through their real routes: what they tell, what they keep sealed,
and that the CSV files say the same as the JSON packages."""
from __future__ import annotations

import csv
import io
import json
import re
from datetime import datetime
from decimal import Decimal

import pytest

from market.config import DEFAULT_OCID_PREFIX
from market.opendata.common import yuan, yuan_text
from tests.market.opendata.stories import LATE_BIDDER, SECRET_COMPETITOR, SECRET_COMPETITOR_EN, SECRET_PRICE_FORMS

OCDS_URL = "/api/v1/ocds/releases.json"
GRANTS_URL = "/api/v1/360giving/grants.json"


def _json(client, url):
    response = client.get(url)
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    assert response.mimetype == "application/json"
    return response.get_json()


NEXT = re.compile(r'<([^>]+)>; rel="next"')


def ocid(project) -> str:
    return f"{DEFAULT_OCID_PREFIX}-{project.id}"


def _pages(client, url, key):
    """Every item, following the ``Link`` header's ``next`` from page to page."""
    items, pages = [], 0
    while url:
        response = client.get(url)
        assert response.status_code == 200
        items += response.get_json()[key]
        found = NEXT.search(response.headers.get("Link", ""))
        url = found.group(1) if found else None
        pages += 1
        assert pages < 50
    return items


def _csv(client, url):
    response = client.get(url)
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    raw = response.get_data()
    assert raw.startswith(b"\xef\xbb\xbf"), "Excel needs the UTF-8 byte-order mark"
    return list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"), newline="")))


def _by_suffix(releases, process):
    return {r["id"].removeprefix(process + "-"): r for r in releases if r["ocid"] == process}


def _roles(release):
    return {p["name"]: set(p["roles"]) for p in release["parties"]}


# ---------------------------------------------------------------- OCDS

def test_ocds_tells_planning_tender_bids_award_contract_and_implementation(client, story):
    package = _json(client, OCDS_URL)
    assert package["version"] == "1.1" and package["publishedDate"] and package["publisher"]["name"]
    releases = package["releases"]
    project, award = story.project, story.award
    first, second = story.contracts
    # Only published government-purchased projects are contracting processes; public-benefit ones are not.
    assert {r["ocid"] for r in releases} == {ocid(p) for p in (project, story.cancelled)}
    assert len({r["id"] for r in releases}) == len(releases)
    for release in releases:
        assert datetime.fromisoformat(release["date"]).utcoffset() is not None
        assert release["initiationType"] == "tender" and release["buyer"]["name"]
        assert {p["id"] for p in release["parties"]} >= {release["buyer"]["id"]}

    mine = _by_suffix(releases, ocid(project))
    payout_stamp = next(k for k in mine if k.startswith(f"implementation-{first.id}-"))
    # Signing the contracts confirms the award; the last milestone's approval completes the contract:
    # steps of the same instant are one release.
    signing = f"award-{award.id}-confirmed+contract-{first.id}+contract-{second.id}"
    completion = next(k for k in mine if k.startswith(f"implementation-{second.id}-"))
    assert completion.endswith(f"+contract-{second.id}-ended")
    assert list(mine) == ["tender", "bids", f"award-{award.id}", signing, payout_stamp, completion], \
        "one release per step, oldest first"
    dates = [datetime.fromisoformat(r["date"]) for r in mine.values()]
    assert all(earlier < later for earlier, later in zip(dates, dates[1:])), "strictly later, one after the other"
    tags = {suffix: r["tag"] for suffix, r in mine.items()}
    assert tags["tender"] == ["planning", "tender"] and tags["bids"] == ["tenderUpdate"]
    assert tags[f"award-{award.id}"] == ["award"] and tags[signing] == ["awardUpdate", "tenderUpdate", "contract"]
    assert tags[payout_stamp] == ["implementation"] and tags[completion] == ["implementation", "contractTermination"]

    tender = mine["tender"]["tender"]
    assert mine["tender"]["planning"]["budget"]["amount"] == {"amount": 300000, "currency": "CNY"}
    assert tender["value"] == {"amount": 300000, "currency": "CNY"} and tender["status"] == "active"
    assert [(lot["id"], lot["value"]["amount"]) for lot in tender["lots"]] == [("lot-1", 180000), ("lot-2", 120000)]
    assert {i["relatedLot"] for i in tender["items"]} == {"lot-1", "lot-2"}
    assert datetime.fromisoformat(tender["tenderPeriod"]["endDate"]) == project.bid_deadline.replace(microsecond=0)
    assert tender["tenderPeriod"]["endDate"].endswith("+08:00")
    assert tender["procuringEntity"] == mine["tender"]["buyer"] and tender["mainProcurementCategory"] == "services"
    assert "bids" not in mine["tender"] and "numberOfTenderers" not in tender

    opened = mine["bids"]
    assert opened["tender"]["numberOfTenderers"] == 3
    details = {d["tenderers"][0]["name"]: d for d in opened["bids"]["details"]}
    assert {name: (d["value"]["amount"], d["relatedLots"]) for name, d in details.items()} == {
        "福田长者之家": (170000, ["lot-1"]), "莲花社工服务社": (179000, ["lot-1"]),
        "景田邻里中心": (110000.55, ["lot-2"])}
    assert {s["id"]: s["value"] for s in opened["bids"]["statistics"]} == {
        "bids": 3, "bidders": 3, "bids-lot-1": 2, "bids-lot-2": 1}
    assert all(_roles(opened)[name] == {"tenderer"} for name in details)

    approved = mine[f"award-{award.id}"]
    assert [(a["status"], a["value"]["amount"], a["relatedLots"], a["suppliers"][0]["name"])
            for a in approved["awards"]] == [("pending", 170000, ["lot-1"], "福田长者之家"),
                                             ("pending", 110000.55, ["lot-2"], "景田邻里中心")]
    assert approved["awards"][0]["relatedBid"] == f"bid-{story.bids['福田长者之家'].id}"
    roles = _roles(approved)
    assert roles["福田长者之家"] == {"supplier"} and "funder" in set().union(*roles.values())
    assert {a["status"] for a in mine[signing]["awards"]} == {"active"}
    assert mine[signing]["tender"]["status"] == "complete" and "status" not in mine[f"award-{award.id}"].get("tender", {})

    contracts = {c["id"]: c for c in mine[signing]["contracts"]}
    signed = contracts[f"contract-{first.id}"]
    assert signed["awardID"] == approved["awards"][0]["id"] and signed["status"] == "active"
    assert signed["value"] == {"amount": 170000, "currency": "CNY"} and signed["dateSigned"]
    assert [m["value"]["amount"] for m in signed["implementation"]["milestones"]] == [51000, 68000, 51000]

    [under_way] = mine[payout_stamp]["contracts"]
    [transaction] = under_way["implementation"]["transactions"]
    assert transaction["id"] == f"payout-{story.paid_payout.id}"
    assert transaction["value"] == {"amount": 51000, "currency": "CNY"}
    assert transaction["payee"]["name"] == "福田长者之家" and transaction["payer"] == mine["tender"]["buyer"]
    assert [m["status"] for m in under_way["implementation"]["milestones"]] == ["met", "scheduled", "scheduled"]
    assert {"payer", "buyer"} <= _roles(mine[payout_stamp])[mine["tender"]["buyer"]["name"]]
    [ended] = mine[completion]["contracts"]
    assert ended["status"] == "terminated" and {m["status"] for m in ended["implementation"]["milestones"]} == {"met"}

    cancelled = _by_suffix(releases, ocid(story.cancelled))
    assert list(cancelled) == ["tender", "tender-cancelled"]  # published with no tender: planning, then cancelled
    assert cancelled["tender"]["tag"] == ["planning"] and cancelled["tender"]["tender"]["status"] == "planning"
    assert cancelled["tender-cancelled"]["tag"] == ["tenderCancellation"]
    assert cancelled["tender-cancelled"]["tender"]["status"] == "cancelled"
    every_role = set().union(*(set(p["roles"]) for r in releases for p in r["parties"]))
    assert {"buyer", "procuringEntity", "tenderer", "supplier", "funder", "payer", "payee"} <= every_role


def test_sealed_bids_stay_out_of_the_exports_until_they_are_opened(client, sealed):
    documents = [client.get(url).get_data(as_text=True)
                 for url in (OCDS_URL, "/api/v1/ocds/releases.csv", GRANTS_URL, "/api/v1/360giving/grants.csv")]
    for body in documents:
        for secret in (SECRET_COMPETITOR, SECRET_COMPETITOR_EN, LATE_BIDDER, *SECRET_PRICE_FORMS, "234567.89"):
            assert secret not in body
    releases = _json(client, OCDS_URL)["releases"]
    for project in (sealed.project, sealed.unopened):  # deadline ahead; deadline passed but never opened
        [release] = [r for r in releases if r["ocid"] == ocid(project)]
        assert release["tag"] == ["planning", "tender"]
        assert "bids" not in release and "numberOfTenderers" not in release["tender"]
        assert "tenderers" not in release["tender"]
        assert {p["id"] for p in release["parties"]} == {release["buyer"]["id"]}


def test_bids_appear_once_opened(client, sealed, market):
    from datetime import timedelta

    from market.core.db import utcnow

    market.open(sealed.unopened, now=utcnow() - timedelta(minutes=1))
    releases = _by_suffix(_json(client, OCDS_URL)["releases"], ocid(sealed.unopened))
    [bid] = releases["bids"]["bids"]["details"]
    assert bid["tenderers"][0]["name"] == LATE_BIDDER and bid["value"]["amount"] == 234567.89
    body = client.get(OCDS_URL).get_data(as_text=True)
    assert SECRET_COMPETITOR not in body and "276543.21" not in body  # the other tender is still sealed


# ---------------------------------------------------------------- 360Giving

def test_grants_are_the_money_firmly_given_from_pools(client, story):
    package = _json(client, GRANTS_URL)
    assert package["version"] == "1.4" and package["publisher"]["name"]
    grants = {g["id"]: g for g in package["grants"]}
    contracts = {c.id: c for c in story.contracts}
    commitments = sorted(k for k in grants if k.startswith("360G-sre-commitment-"))
    assert len(commitments) == 3  # two lots of the government service, one public-benefit project
    recipients = sorted((grants[k]["recipientOrganization"][0]["name"], grants[k]["amountAwarded"]) for k in commitments)
    assert recipients == [("景田邻里中心", 110000.55), ("梅岭社区互助会", 60000), ("福田长者之家", 170000)]
    assert {c.provider.name for c in contracts.values()} == {"福田长者之家", "景田邻里中心"}
    pb = next(grants[k] for k in commitments if grants[k]["recipientOrganization"][0]["name"] == "梅岭社区互助会")
    assert pb["title"] == "梅岭社区长者食堂" and pb["fundingOrganization"][0]["name"] == story.pool.funder.name
    [place] = pb["beneficiaryLocation"]  # the community's street, by its official code
    assert (place["name"], place["description"], place["geoCode"]) == ("莲花街道", "梅岭社区", "440304008")
    assert pb["plannedDates"][0]["startDate"].endswith("+08:00") and "amountDisbursed" not in pb

    pledge = grants[f"360G-sre-pledge-{story.pledge.id}"]
    assert pledge["amountAwarded"] == pledge["amountDisbursed"] == 12345.67 and pledge["currency"] == "CNY"
    assert pledge["fundingOrganization"][0]["name"] == "福田慈善基金会"
    match = next(g for k, g in grants.items() if k.startswith("360G-sre-match-"))
    assert match["amountAwarded"] == 1000 and match["title"] == "莲花山公园义务导览"
    assert [p["title"] for p in match["grantProgramme"]][-1] == "邻里配捐行动"
    assert len(grants) == 5
    dates = [g["awardDate"] for g in package["grants"]]
    assert dates == sorted(dates) and all(datetime.fromisoformat(d).utcoffset() is not None for d in dates)


def test_commitments_wait_for_the_end_of_the_notice_period(client, story):
    from sqlalchemy import update

    from market.core.db import db
    from market.review.models import Award, AwardStatus

    # As before the contracts were signed (set in the database: the app itself never moves an award back).
    db.session.execute(update(Award).where(Award.id == story.pb_award.id).values(status=AwardStatus.IN_NOTICE))
    db.session.commit()
    grants = _json(client, GRANTS_URL)["grants"]
    assert "梅岭社区长者食堂" not in {g["title"] for g in grants if g["id"].startswith("360G-sre-commitment-")}


# ---------------------------------------------------------------- CSV

def test_csv_files_parse_and_match_the_json(client, story, sealed):
    releases = _pages(client, f"{OCDS_URL}?per_page=2", "releases")
    rows = _csv(client, "/api/v1/ocds/releases.csv")
    assert [r["id"] for r in rows] == [r["id"] for r in releases]
    by_id = {r["id"]: r for r in rows}
    process = ocid(story.project)
    bids = by_id[f"{process}-bids"]
    assert bids["bids/details/count"] == "3" and "110000.55" in bids["bids/details/value/amount"]
    assert "福田长者之家" in bids["tender/tenderers/name"]
    award = by_id[f"{process}-award-{story.award.id}"]
    assert award["awards/value/amount (total)"] == "280000.55" and award["awards/count"] == "2"
    assert by_id[f"{process}-tender"]["tender/value/amount"] == "300000.00"
    assert by_id[f"{process}-tender"]["tender/title"] == "福田街道长者助餐与探访服务"

    grants = _pages(client, f"{GRANTS_URL}?per_page=2", "grants")
    grant_rows = _csv(client, "/api/v1/360giving/grants.csv")
    assert [r["Identifier"] for r in grant_rows] == [g["id"] for g in grants] and len(grants) == 5
    pledge = next(r for r in grant_rows if r["Identifier"] == f"360G-sre-pledge-{story.pledge.id}")
    assert (pledge["Amount Awarded"], pledge["Currency"], pledge["Funding Org:0:Name"]) == ("12345.67", "CNY",
                                                                                         "福田慈善基金会")


def test_csv_cells_cannot_become_spreadsheet_formulas(client, market):
    market.tendered(title="=HYPERLINK(\"http://example.com\")")
    [row] = _csv(client, "/api/v1/ocds/releases.csv")
    assert row["tender/title"].startswith("'=")


# ---------------------------------------------------------------- paging, errors, the page

def test_paging_by_project_with_links(client, market):
    projects = [market.tendered() for _ in range(3)]
    first = client.get(f"{OCDS_URL}?per_page=2")
    assert [r["ocid"] for r in first.get_json()["releases"]] == [ocid(p) for p in projects[:2]]
    assert first.headers["Link"].endswith('page=2&per_page=2>; rel="next"') and "prev" not in first.headers["Link"]
    second = client.get(NEXT.search(first.headers["Link"]).group(1))
    assert [r["ocid"] for r in second.get_json()["releases"]] == [ocid(projects[2])]
    assert second.headers["Link"].endswith('page=1&per_page=2>; rel="prev"') and "next" not in second.headers["Link"]
    beyond = client.get(f"{OCDS_URL}?page=9")
    assert beyond.get_json()["releases"] == [] and 'rel="prev"' in beyond.headers["Link"]


def test_empty_exports_answer(client):
    assert _json(client, OCDS_URL)["releases"] == []
    assert _json(client, GRANTS_URL)["grants"] == []
    assert len(_csv(client, "/api/v1/ocds/releases.csv")) == 0
    assert len(_csv(client, "/api/v1/360giving/grants.csv")) == 0


@pytest.mark.parametrize("url", [OCDS_URL, GRANTS_URL])
@pytest.mark.parametrize(("query", "field"), [("page=0", "page"), ("per_page=101", "per_page"),
                                              ("page=abc", "page"), ("per_page=-1", "per_page"),
                                              ("page=99999999999999999999", "page")])
def test_bad_paging_gets_400_naming_the_field(client, url, query, field):
    response = client.get(f"{url}?{query}")
    assert response.status_code == 400
    assert field in response.get_json()["error"]["fields"]


def test_open_data_page_links_every_export(client):
    body = client.get("/open-data").get_data(as_text=True)
    for url in (OCDS_URL, "/api/v1/ocds/releases.csv", GRANTS_URL, "/api/v1/360giving/grants.csv"):
        assert f'href="{url}"' in body
    assert 'href="/open-data"' in client.get("/").get_data(as_text=True)  # the footer


def test_yuan_conversion_is_exact():
    for cents in (0, 1, 10, 99, 100, 12_345, 28_000_000, 11_000_055, 10**15 - 1):
        written = json.dumps(yuan(cents))  # what the packages say
        assert Decimal(written) == Decimal(cents) / 100 == Decimal(yuan_text(cents)), cents
    assert yuan(28_000_000) == 280000 and isinstance(yuan(28_000_000), int)
