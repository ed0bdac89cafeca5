"""The exports pass the sector's own tools, run offline (tests/market/opendata/tools.py): the OCDS Data
Review Tool's library (lib-cove-ocds), OCDS Kit's compile, flatten-tool and the 360Giving Data Quality
Tool's checks. Any schema error, malformed ocid, unknown field, self-contradicting record, lossy
spreadsheet or quality notice fails."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
import requests

from market.core.db import utcnow
from tests.market.opendata import tools
from tests.market.opendata.stories import CODES

OCDS_URL = "/api/v1/ocds/releases.json?per_page=100"
GRANTS_URL = "/api/v1/360giving/grants.json?per_page=100"


@pytest.fixture
def offline(monkeypatch):
    tools.block_network(monkeypatch)


@pytest.fixture
def standard(tmp_path):
    return tools.standard_zip(tmp_path)


def _package(client, url):
    response = client.get(url)
    assert response.status_code == 200
    assert "next" not in response.headers.get("Link", ""), "the tests read one page"
    return response.get_json()


@pytest.fixture
def failed_round(market):
    """A request for quotation whose round failed at its opening: two valid bids, three needed."""
    from market.bids import services
    from market.bids.models import ProcurementMethod
    from market.core.db import db
    from market.projects.models import ProjectStatus

    now = utcnow()
    project = market.make_project(owner=market.official, status=ProjectStatus.DRAFT, title="询价失败的助餐项目")
    services.publish_tender(market.official, project, services.TenderInput(
        bid_deadline=now - timedelta(days=2), requirements="须有三年以上长者服务经验。",
        criteria=(services.CriterionInput("服务方案", 60), services.CriterionInput("报价", 40)),
        method=ProcurementMethod.REQUEST_FOR_QUOTATION), now=now - timedelta(days=20))
    db.session.commit()
    for price in (25_000_000, 26_000_000):
        market.bid(market.provider(), project, price, now=now - timedelta(days=10))
    market.open(project, now=now - timedelta(days=1))
    assert services.tender_of(project).has_failed
    return project


@pytest.fixture
def upheld(market, make_user):
    """A government service whose award an upheld objection cancelled, then cancelled itself."""
    from market.accounts.models import Role
    from market.core.db import db
    from market.projects import services as projects
    from market.projects.models import ProjectStatus
    from market.review import awards

    now = utcnow()
    project = market.tendered(deadline=now - timedelta(days=9), now=now - timedelta(days=30), title="撤销授予的探访项目")
    market.bid(market.provider(), project, 25_000_000, now=now - timedelta(days=12))
    market.open(project, now=now - timedelta(days=8))
    run = market.match([project], now=now - timedelta(days=7))
    award = awards.approve_proposal(market.official, market.proposal(run, project), now=now - timedelta(days=7))
    objection = awards.file_objection(make_user(Role.RESIDENT), award, "中标机构与评审人员存在利害关系。",
                                      now=now - timedelta(days=6))
    awards.answer_objection(market.official, objection, uphold=True, answer="经查属实，撤销本次授予。",
                            now=now - timedelta(days=5))
    db.session.commit()
    projects.change_status(market.official, project, ProjectStatus.CANCELLED)
    db.session.commit()
    return project


# ---------------------------------------------------------------- OCDS

def test_the_release_package_passes_lib_cove_ocds(client, story, sealed, failed_round, upheld, offline, standard):
    package = _package(client, OCDS_URL)
    with tools.offline_tools(client) as adapter:
        report = tools.cove(package, standard)
    assert report.count == len(package["releases"]) > 15
    assert report.validation_errors == [] and report.closed_codelist_values == {}
    assert report.bad_ocid_prefixes == []
    assert tools.unexplained_fields(report) == set()
    assert report.empty_fields == []
    # The marketplace's extension was fetched from the app and applied (milestone values are known).
    assert "https://market.example.org/api/v1/ocds/extension/extension.json" in adapter.requested
    assert "https://market.example.org/api/v1/ocds/extension/release-schema.json" in adapter.requested
    assert not [url for url in report.invalid_extensions if "market.example.org" in url]
    missing = set(tools.REGISTERED.values()) - tools.stored_extensions()
    assert len(report.invalid_extensions) == len(missing)
    assert ("/releases/contracts/implementation/milestones", "value") not in report.additional_fields


def test_the_tools_catch_what_they_should(client, story, offline, standard, app, monkeypatch):
    """The same checks on broken packages fail: the wiring is real."""
    package = _package(client, OCDS_URL)
    package["releases"][0]["ocid"] = "ocds-sre-futian-1"
    package["releases"][0]["tag"] = ["bidding"]
    package["releases"][1]["parties"][0]["details"] = {"url": "https://market.example.org/organizations/1"}
    package["extensions"] = [url for url in package["extensions"] if "market.example.org" not in url]
    with tools.offline_tools(client):
        report = tools.cove(package, standard)
    assert report.bad_ocid_prefixes == ["ocds-sre-futian-1"]
    assert report.closed_codelist_values == {"releases/tag": ["bidding"]}
    assert {("/releases/parties/details", "url"), ("/releases/contracts/implementation/milestones", "value")} \
        <= tools.unexplained_fields(report)


def test_compiled_records_tell_one_story_per_process(client, story, sealed, failed_round, upheld, offline,
                                                     standard):
    package = _package(client, OCDS_URL)
    assert tools.timeline_problems(package["releases"]) == {}
    with tools.offline_tools(client):
        records = tools.compile_records(package, tools.patched_release_schema(package["extensions"], standard))
        compiled = {r["ocid"]: r["compiledRelease"] for r in records["records"]}
        assert {r["ocid"]: tools.record_contradictions(r) for r in records["records"]
                if tools.record_contradictions(r)} == {}
        # Compiled releases are releases: the same tool finds nothing in them either.
        as_releases = {**{k: v for k, v in package.items() if k != "releases"}, "releases": list(compiled.values())}
        report = tools.cove(as_releases, standard)
    assert report.validation_errors == [] and report.closed_codelist_values == {}
    assert tools.unexplained_fields(report) == set()
    prefix = package["releases"][0]["ocid"].rsplit("-", 1)[0]

    def tender(project):
        return compiled[f"{prefix}-{project.id}"]["tender"]

    assert tender(story.project)["status"] == "complete"
    assert {lot["status"] for lot in tender(story.project)["lots"]} == {"complete"}
    assert {a["status"] for a in compiled[f"{prefix}-{story.project.id}"]["awards"]} == {"active"}
    assert tender(story.cancelled)["status"] == "cancelled"
    assert tender(sealed.project)["status"] == tender(sealed.unopened)["status"] == "active"
    assert tender(failed_round)["status"] == "unsuccessful"
    assert tender(upheld)["status"] == "cancelled"
    assert {a["status"] for a in compiled[f"{prefix}-{upheld.id}"]["awards"]} == {"cancelled"}


def test_steps_of_the_same_second_are_one_release(client, story):
    """Signing the contracts confirms the award in the same instant: one release, both tags."""
    releases = _package(client, OCDS_URL)["releases"]
    first, second = story.contracts
    signed = [r for r in releases if r["id"].endswith(f"award-{story.award.id}-confirmed+contract-{first.id}"
                                                      f"+contract-{second.id}")]
    assert len(signed) == 1
    [release] = signed
    assert release["tag"] == ["awardUpdate", "tenderUpdate", "contract"]
    assert {c["id"] for c in release["contracts"]} == {f"contract-{first.id}", f"contract-{second.id}"}
    assert release["tender"]["status"] == "complete"


def test_the_ocid_prefix_is_the_deployments_and_must_be_well_formed(client, story, app, monkeypatch):
    from market.config import Config, ocid_prefix

    monkeypatch.setitem(app.config, "OCDS_OCID_PREFIX", "ocds-8xb2fq")
    releases = _package(client, OCDS_URL)["releases"]
    assert {r["ocid"] for r in releases} >= {f"ocds-8xb2fq-{story.project.id}", f"ocds-8xb2fq-{story.cancelled.id}"}
    assert all(re.fullmatch(r"ocds-8xb2fq-\d+", r["ocid"]) for r in releases)
    for bad in ("ocds-sre-futian", "ocds-ABCDEF", "ocds-12345", "8xb2fq"):
        with pytest.raises(ValueError, match="MARKET_OCDS_OCID_PREFIX"):
            ocid_prefix(bad)
    monkeypatch.setenv("MARKET_OCDS_OCID_PREFIX", "ocds-sre-futian")
    with pytest.raises(ValueError, match="MARKET_OCDS_OCID_PREFIX"):
        Config(instance_path=str(app.instance_path))
    monkeypatch.setenv("MARKET_OCDS_OCID_PREFIX", "ocds-8xb2fq")
    assert Config(instance_path=str(app.instance_path)).OCDS_OCID_PREFIX == "ocds-8xb2fq"


def test_the_extension_is_served_and_declared(client):
    package = client.get(OCDS_URL).get_json()
    assert "https://market.example.org/api/v1/ocds/extension/extension.json" in package["extensions"]
    metadata = client.get("/api/v1/ocds/extension/extension.json").get_json()
    assert metadata["schemas"] == ["release-schema.json"] and metadata["compatibility"] == ["1.1"]
    assert metadata["name"]["en"] and metadata["documentationUrl"]["en"] == "https://market.example.org/open-data"
    patch = client.get("/api/v1/ocds/extension/release-schema.json").get_json()
    assert patch["definitions"]["Milestone"]["properties"]["value"]["$ref"] == "#/definitions/Value"
    assert client.get("/api/v1/ocds/extension/codelists.json").status_code == 404


def test_organisations_with_a_verified_credit_code_are_identified_by_it(client, story):
    releases = _package(client, OCDS_URL)["releases"]
    parties = {p["name"]: p for r in releases for p in r["parties"]}
    winner = parties["福田长者之家"]
    assert winner["id"] == f"CN-USCI-{CODES['福田长者之家']}"
    assert winner["identifier"] == {"scheme": "CN-USCI", "id": CODES["福田长者之家"], "legalName": "福田长者之家"}
    [local] = winner["additionalIdentifiers"]
    assert local["scheme"] == "X-SRE-ORG" and local["uri"].endswith(f"/organizations/{local['id']}")
    loser = parties["莲花社工服务社"]  # no code: the marketplace's own identifier
    assert loser["id"] == f"X-SRE-ORG-{loser['identifier']['id']}" and "additionalIdentifiers" not in loser


def test_only_a_verified_and_valid_credit_code_identifies(make_org):
    from sqlalchemy import update

    from market.core.db import db
    from market.opendata.identifiers import org_identifier
    from market.orgs.models import Organization

    code = CODES["景田邻里中心"]
    assert str(org_identifier(make_org(credit_code=code), "X")) == f"CN-USCI-{code}"
    unchecked = make_org(credit_code=code, verified=False)  # nobody verified it yet
    assert str(org_identifier(unchecked, "X")) == f"X-{unchecked.id}"
    wrong = make_org(credit_code=code[:-1] + ("0" if code[-1] != "0" else "1"))  # its check character is wrong
    assert str(org_identifier(wrong, "X")) == f"X-{wrong.id}"
    # Waiting for a check of a changed code: the code last verified still identifies it.
    changed = make_org(credit_code=code)
    db.session.execute(update(Organization).where(Organization.id == changed.id).values(
        verification_state="pending", credit_code=CODES["福田长者之家"]))
    db.session.commit()
    db.session.refresh(changed)
    assert str(org_identifier(changed, "X")) == f"CN-USCI-{code}"


def test_paging_links_go_in_the_link_header(client, market):
    projects = [market.tendered() for _ in range(3)]
    first = client.get("/api/v1/ocds/releases.json?per_page=2")
    assert "links" not in first.get_json()
    assert first.headers["Link"] == '<https://market.example.org/api/v1/ocds/releases.json?page=2&per_page=2>; rel="next"'
    second = client.get("/api/v1/ocds/releases.json?page=2&per_page=2")
    assert second.headers["Link"] == '<https://market.example.org/api/v1/ocds/releases.json?page=1&per_page=2>; rel="prev"'
    assert [r["ocid"].rsplit("-", 1)[1] for r in second.get_json()["releases"]] == [str(projects[2].id)]


# ---------------------------------------------------------------- 360Giving

def test_grants_pass_the_data_quality_checks(client, story, offline):
    grants = _package(client, GRANTS_URL)["grants"]
    assert len(grants) == 5
    notices = tools.giving_notices(grants, utcnow())
    # Organisations without a verified credit code keep the marketplace's 360G identifier, which the
    # tool notes; no other notice.
    internal = {grants[int(at.split("/")[1])][at.split("/")[2]][0]["name"]
                for check in ("RecipientOrg360GPrefix", "FundingOrg360GPrefix") for at in notices.pop(check, [])}
    assert internal == {"梅岭社区互助会", story.pool.funder.name}
    assert notices == {}


def test_grants_are_located_by_official_codes(client, story):
    grants = {g["id"]: g for g in _package(client, GRANTS_URL)["grants"]}
    pb = next(g for g in grants.values() if g["title"] == "梅岭社区长者食堂")
    assert pb["beneficiaryLocation"] == [{
        "id": f"360G-sre-street-{story.pb_project.street_id}", "name": "莲花街道", "description": "梅岭社区",
        "geoCode": "440304008", "geoCodeType": "NBS statistical division, township level", "countryCode": "CN"}]
    pledge = grants[f"360G-sre-pledge-{story.pledge.id}"]
    assert pledge["fundingOrganization"] == [{"id": f"CN-USCI-{CODES['福田慈善基金会']}", "name": "福田慈善基金会"}]
    assert pledge["dataSource"] == f"https://market.example.org/funds/{story.pledge.pool_id}"
    [place] = pledge["recipientOrganization"][0]["location"]
    assert (place["name"], place["geoCode"]) == ("福田街道", "440304004")


def test_the_grants_csv_unflattens_to_the_same_grants(client, story, offline, tmp_path):
    grants = _package(client, GRANTS_URL)["grants"]
    response = client.get("/api/v1/360giving/grants.csv")
    text = response.get_data(as_text=True)
    heading = text.removeprefix("\ufeff").split("\r\n", 1)[0].split(",")
    assert {"Beneficiary Location:0:Geographic Code", "Grant Programme:1:Title", "Classifications:0:Vocabulary",
            "Recipient Org:0:Location:0:Geographic Code", "Data Source"} <= set(heading)
    assert tools.unflatten_grants(text, tmp_path) == grants


def test_no_network_in_these_tests(offline):
    with pytest.raises((OSError, requests.ConnectionError)):
        requests.get("https://standard.open-contracting.org/schema/1__1__5/release-schema.json", timeout=5)
