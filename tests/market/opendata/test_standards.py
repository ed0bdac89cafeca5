"""The real exports validate against the standards' own schemas (tests/data/standards, offline):
OCDS 1.1.5 release package (Draft 4) and 360Giving 1.4.3 package (Draft 2020-12)."""
from __future__ import annotations

import json
import re
from datetime import datetime
from urllib.parse import urlsplit

import jsonschema
import pytest
from referencing import Registry
from referencing.jsonschema import DRAFT4, DRAFT202012

from tests.market.opendata.tools import GIVING, OCDS

RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$")


def _format_checker() -> jsonschema.FormatChecker:
    """date-time and uri checked for real (jsonschema checks them only with optional packages)."""
    checker = jsonschema.FormatChecker()

    @checker.checks("date-time")
    def _date_time(value) -> bool:
        if not isinstance(value, str):
            return True
        if not RFC3339.match(value):
            return False
        datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
        return True

    @checker.checks("uri")
    def _uri(value) -> bool:
        if not isinstance(value, str):
            return True
        parts = urlsplit(value)
        return bool(parts.scheme and (parts.netloc or parts.path))

    return checker


def _load(path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def _errors(validator, instance) -> list[str]:
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(instance)][:20]


@pytest.fixture(scope="module")
def ocds_validator():
    package = _load(OCDS / "release-package-schema.json")
    release = _load(OCDS / "release-schema.json")
    release_url = package["properties"]["releases"]["items"]["$ref"]
    assert release_url == release["id"]
    registry = Registry().with_resource(release_url, DRAFT4.create_resource(release))
    return jsonschema.Draft4Validator(package, registry=registry, format_checker=_format_checker())


@pytest.fixture(scope="module")
def giving_validator():
    package = _load(GIVING / "360-giving-package-schema.json")
    grant = _load(GIVING / "360-giving-schema.json")
    grant_url = package["properties"]["grants"]["items"]["$ref"]
    registry = Registry().with_resource(grant_url, DRAFT202012.create_resource(grant))
    return jsonschema.Draft202012Validator(package, registry=registry, format_checker=_format_checker())


def test_validators_reject_what_the_standards_forbid(ocds_validator, giving_validator):
    """The validators are wired to the real schemas: broken packages fail."""
    assert not ocds_validator.is_valid({"uri": "x", "version": "1.1", "publishedDate": "2026-01-01T00:00:00Z",
                                        "publisher": {"name": "x"},
                                        "releases": [{"ocid": "ocds-x-1", "id": "1", "date": "yesterday",
                                                      "tag": ["tender"], "initiationType": "tender"}]})
    assert not ocds_validator.is_valid({"uri": "http://x", "version": "1.1", "publisher": {"name": "x"},
                                        "publishedDate": "2026-01-01T00:00:00Z",
                                        "releases": [{"ocid": "ocds-x-1", "id": "1", "date": "2026-01-01T00:00:00Z",
                                                      "tag": ["bidding"], "initiationType": "tender"}]})
    assert not giving_validator.is_valid({"grants": [{"id": "360G-x-1", "title": "t", "description": "d",
                                                      "currency": "CNY", "amountAwarded": 1,
                                                      "awardDate": "2026-01-01T00:00:00+08:00",
                                                      "fundingOrganization": [{"id": "f", "name": "F"}]}]})


def test_ocds_release_package_is_valid_ocds_1_1(client, story, sealed, ocds_validator):
    package = client.get("/api/v1/ocds/releases.json").get_json()
    assert len(package["releases"]) >= 10
    assert _errors(ocds_validator, package) == []
    for page in (1, 2):  # paged packages too
        part = client.get(f"/api/v1/ocds/releases.json?per_page=2&page={page}").get_json()
        assert _errors(ocds_validator, part) == []
    for release in package["releases"]:  # the extensions' required fields (their schemas are not stored here)
        for bid in release.get("bids", {}).get("details", []):
            assert isinstance(bid["id"], str)
        for statistic in release.get("bids", {}).get("statistics", []):
            assert {"id", "measure", "value"} <= set(statistic)
        for lot in release.get("tender", {}).get("lots", []):
            assert isinstance(lot["id"], str)


def test_360giving_package_is_valid_360giving_1_4(client, story, giving_validator):
    package = client.get("/api/v1/360giving/grants.json").get_json()
    assert len(package["grants"]) == 5
    assert _errors(giving_validator, package) == []
    assert _errors(giving_validator, client.get("/api/v1/360giving/grants.json?per_page=2&page=3").get_json()) == []


# ---------------------------------------------------------------- lots of another type

def _ocid(project) -> str:
    from market.config import DEFAULT_OCID_PREFIX

    return f"{DEFAULT_OCID_PREFIX}-{project.id}"


def _published_in_lots(market, *lot_types):
    from market.bids import services as bids
    from market.core.db import db
    from market.projects.models import ProjectStatus
    from tests.market.bids.helpers import DEADLINE, T0

    project = market.make_project(owner=market.official, status=ProjectStatus.DRAFT, title="长者饭堂运营及改造")
    budget = project.budget_cents // len(lot_types)
    data = bids.TenderInput(
        bid_deadline=DEADLINE, requirements="需具备长者助餐服务经验。",
        criteria=tuple(bids.CriterionInput(c["name"], c["weight"], c["name_en"]) for c in bids.default_criteria()),
        lots=tuple(bids.LotInput(title=f"第{i}标段", budget_cents=budget, project_type=t)
                   for i, t in enumerate(lot_types, start=1)))
    bids.publish_tender(market.official, project, data, now=T0)
    db.session.commit()
    return project


def test_a_works_lot_of_a_service_project_is_an_additional_category(client, market, ocds_validator):
    """A lot that buys something else than its project (works in a service project) is an additional
    procurement category of the tender; a lot of the project's own type adds none."""
    from market.geo.models import ProjectType

    split = _published_in_lots(market, None, ProjectType.WORKS)
    plain = _published_in_lots(market, None, ProjectType.SERVICE)  # a lot naming the project's own type adds nothing
    package = client.get("/api/v1/ocds/releases.json").get_json()
    tenders = {r["ocid"]: r["tender"] for r in package["releases"]}
    assert tenders[_ocid(split)]["mainProcurementCategory"] == "services"
    assert tenders[_ocid(split)]["additionalProcurementCategories"] == ["works"]
    assert "additionalProcurementCategories" not in tenders[_ocid(plain)]
    assert _errors(ocds_validator, package) == []
