"""A lot that buys something else than its project shows in OCDS as an additional procurement category."""
from __future__ import annotations

from market.bids import services as bids
from market.core.db import db
from market.geo.models import ProjectType
from market.projects.models import ProjectStatus
from tests.market.bids.helpers import DEADLINE, T0
from tests.market.opendata.test_exports import OCDS_URL, _json, ocid
from tests.market.opendata.test_standards import _errors, ocds_validator  # noqa: F401  (the fixture)


def _published(market, *lot_types):
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
    split = _published(market, None, ProjectType.WORKS)
    plain = _published(market, None, ProjectType.SERVICE)  # a lot naming the project's own type adds nothing
    package = _json(client, OCDS_URL)
    tenders = {r["ocid"]: r["tender"] for r in package["releases"]}
    assert tenders[ocid(split)]["mainProcurementCategory"] == "services"
    assert tenders[ocid(split)]["additionalProcurementCategories"] == ["works"]
    assert "additionalProcurementCategories" not in tenders[ocid(plain)]
    assert _errors(ocds_validator, package) == []
