"""360Giving 1.4 grants: money from funders' pools given to organisations for projects.

Which records are grants
------------------------
A grant is published once the money is firmly given -- not while it can still be taken back:

* ``FundingCommitment`` (market/funds/models.py) -- pool money reserved when an official approves
  a match: published when ``paid``, or ``reserved`` once its award is *confirmed* (the notice
  period 公示 is over and the contracts are signed) and its contract was not terminated. Commitments
  of an award still in notice are left out (an upheld objection releases them), ``released`` ones
  too (the money went back to the pool). Recipient: the contracted provider (for a public-benefit
  project that is the applicant organisation); award date: the approval.
* ``Pledge`` (market/funding/models.py) -- only ``released_to_project`` pledges: an active pledge
  can still be withdrawn. Recipient: the project's organisation; award date: the pledge;
  disbursed in full.
* ``CampaignAllocation`` of a *closed* matching campaign with a match above zero: the matched
  money was paid into the project at the close. Recipient: the project's organisation; award date:
  the close; disbursed in full; the campaign is a second grant programme beside the pool.

Grants whose project has no organisation are left out: 360Giving names individual recipients
only with consent, and the marketplace does not record it. An organisation whose unified social
credit code an official verified is identified as ``CN-USCI-<code>``, any other as
``360G-sre-org-<id>`` (market.opendata.identifiers); a recipient is located at its home street
(or the district). Every grant is in CNY, amounts in yuan. The pool is the grant programme, and
the pool's public page, which shows where its money went, the grant's data source.

Beneficiary locations carry official codes (market.opendata.identifiers): a project of a street
or of one of its communities is located at the street (the community named as the location's
description), a district-wide one at the district. A place without a known code is named
without one. Grants are listed oldest award first.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from flask import current_app
from sqlalchemy import and_, or_, select
from sqlalchemy.orm import selectinload

from market.contracts.models import Contract, ContractStatus
from market.core.db import db
from market.funding.models import CampaignAllocation, CampaignStatus, MatchingCampaign, Pledge, PledgeStatus
from market.funds.models import CommitmentStatus, FundingCommitment, FundingPool
from market.geo.models import District
from market.opendata.common import (
    currency,
    day_end,
    day_start,
    iso,
    license_url,
    page_links,
    public_url,
    publisher,
    yuan,
)
from market.opendata.identifiers import Division, district_division, org_identifier, street_division
from market.orgs.models import Organization
from market.projects.models import Project, ProjectStatus
from market.review.models import Award, AwardStatus

VERSION = "1.4"
DEFAULT_PREFIX = "360G-sre"
CATEGORY_VOCABULARY = "X-SRE-CATEGORY"
KINDS = ("commitment", "pledge", "match")


def prefix() -> str:
    return current_app.config.get("THREESIXTYGIVING_PREFIX") or DEFAULT_PREFIX


@dataclass(frozen=True, order=True)
class _Key:
    """A grant's place in the listing (award date, source, row id), known before loading it."""

    moment: datetime
    kind_order: int
    row_id: int

    @property
    def kind(self) -> str:
        return KINDS[self.kind_order]


def _keys() -> list[_Key]:
    session = db.session
    keys = []
    commitments = (
        select(FundingCommitment.id, FundingCommitment.created_at, Award.approved_at)
        .join(Project, Project.id == FundingCommitment.project_id)
        .outerjoin(Award, Award.id == FundingCommitment.award_id)
        .outerjoin(Contract, Contract.id == FundingCommitment.contract_id)
        .where(Project.status != ProjectStatus.DRAFT,
               or_(FundingCommitment.contract_id.is_not(None), Project.organization_id.is_not(None)),
               or_(FundingCommitment.status == CommitmentStatus.PAID,
                   and_(FundingCommitment.status == CommitmentStatus.RESERVED,
                        or_(FundingCommitment.award_id.is_(None), Award.status == AwardStatus.CONFIRMED),
                        or_(FundingCommitment.contract_id.is_(None), Contract.status != ContractStatus.TERMINATED)))))
    for row_id, created, approved in session.execute(commitments):
        keys.append(_Key(approved or created, 0, row_id))
    pledges = (select(Pledge.id, Pledge.pledged_at).join(Project, Project.id == Pledge.project_id)
               .where(Pledge.status == PledgeStatus.RELEASED, Project.organization_id.is_not(None)))
    for row_id, pledged in session.execute(pledges):
        keys.append(_Key(pledged, 1, row_id))
    matches = (select(CampaignAllocation.id, MatchingCampaign.closed_at, MatchingCampaign.updated_at)
               .join(MatchingCampaign, MatchingCampaign.id == CampaignAllocation.campaign_id)
               .join(Project, Project.id == CampaignAllocation.project_id)
               .where(MatchingCampaign.status == CampaignStatus.CLOSED, CampaignAllocation.match_cents > 0,
                      Project.organization_id.is_not(None)))
    for row_id, closed, updated in session.execute(matches):
        keys.append(_Key(closed or updated, 2, row_id))
    keys.sort()
    return keys


# ---------------------------------------------------------------- pieces

def _org(org: Organization) -> dict[str, Any]:
    return {"id": str(org_identifier(org, f"{prefix()}-org")), "name": org.name}


def _place(kind: str, row_id: int, division: Division, description: str = "") -> dict[str, Any]:
    place = {"id": f"{prefix()}-{kind}-{row_id}", "name": division.name, "geoCode": division.code,
             "geoCodeType": division.code_type, "countryCode": "CN"}
    if description:
        place["description"] = description
    return place


def _recipient(org: Organization, district: District | None) -> dict[str, Any]:
    """The recipient with its location: its home street, else (district-wide) the district."""
    recipient = _org(org)
    street = org.home_street
    division = street_division(street)
    if division is not None:
        recipient["location"] = [_place("street", street.id, division)]
    elif street is None and (division := district_division(district)) is not None:
        recipient["location"] = [_place("district", district.id, division)]
    return recipient


def _pool_programme(pool: FundingPool) -> dict[str, Any]:
    return {"code": f"{prefix()}-pool-{pool.id}", "title": pool.name}


def _planned(start: date | None, end: date | None) -> list[dict[str, Any]]:
    if start is None:
        return []
    event = {"startDate": day_start(start)}
    if end is not None:
        event["endDate"] = day_end(end)
    return [event]


def _location(project: Project, district: District | None) -> list[dict[str, Any]]:
    """Where the project's beneficiaries are: its street by official code (its community, if any,
    as the description), the district for a district-wide project; else the most precise place
    it names, without a code."""
    street, community = project.street, project.community
    division = street_division(street)
    if division is not None:
        return [_place("street", street.id, division, community.name if community is not None else "")]
    if street is None and (division := district_division(district)) is not None:
        return [_place("district", district.id, division)]
    for kind, place in (("community", community), ("street", street), ("district", district)):
        if place is not None:
            return [{"id": f"{prefix()}-{kind}-{place.id}", "name": place.name, "countryCode": "CN"}]
    return []


def _grant(identifier: str, project: Project, *, amount: int, disbursed: int | None, moment: datetime,
           recipient: Organization, pool: FundingPool, planned: list[dict[str, Any]], modified: datetime | None,
           district: District | None, extra_programmes: Iterable[dict[str, Any]] = ()) -> dict[str, Any]:
    grant: dict[str, Any] = {
        "id": f"{prefix()}-{identifier}",
        "title": project.title,
        "description": project.description or project.title,
        "currency": currency(),
        "amountAwarded": yuan(amount),
        "awardDate": iso(moment),
        "recipientOrganization": [_recipient(recipient, district)],
        "fundingOrganization": [_org(pool.funder)],
        "grantProgramme": [_pool_programme(pool), *extra_programmes],
        "url": public_url("projects.detail", project_id=project.id),
        "dataSource": public_url("funds.detail", pool_id=pool.id),
    }
    if disbursed is not None:
        grant["amountDisbursed"] = yuan(disbursed)
    if planned:
        grant["plannedDates"] = planned
    location = _location(project, district)
    if location:
        grant["beneficiaryLocation"] = location
    if project.category is not None:
        grant["classifications"] = [{"vocabulary": CATEGORY_VOCABULARY, "code": project.category.code,
                                     "title": project.category.name}]
    if modified is not None:
        grant["dateModified"] = iso(modified)
    return grant


# ---------------------------------------------------------------- loading and building

def _projects(ids: set[int]) -> dict[int, Project]:
    if not ids:
        return {}
    return {p.id: p for p in db.session.scalars(select(Project).where(Project.id.in_(ids)).options(
        selectinload(Project.organization), selectinload(Project.category), selectinload(Project.street),
        selectinload(Project.community)))}


def _district() -> District | None:
    districts = db.session.scalars(select(District).limit(2)).all()
    return districts[0] if len(districts) == 1 else None


def grants_for(keys: list[_Key]) -> list[dict[str, Any]]:
    """The grants of ``keys``, in their order."""
    session = db.session
    wanted = {kind: [k.row_id for k in keys if k.kind == kind] for kind in KINDS}
    pool_load = selectinload(FundingCommitment.pool).selectinload(FundingPool.funder)
    commitments = {c.id: c for c in session.scalars(select(FundingCommitment).where(
        FundingCommitment.id.in_(wanted["commitment"])).options(pool_load))} if wanted["commitment"] else {}
    pledges = {p.id: p for p in session.scalars(select(Pledge).where(Pledge.id.in_(wanted["pledge"])).options(
        selectinload(Pledge.pool).selectinload(FundingPool.funder)))} if wanted["pledge"] else {}
    matches = {a.id: a for a in session.scalars(select(CampaignAllocation).where(
        CampaignAllocation.id.in_(wanted["match"])).options(
        selectinload(CampaignAllocation.campaign).selectinload(MatchingCampaign.pool)
        .selectinload(FundingPool.funder)))} if wanted["match"] else {}
    contract_ids = {c.contract_id for c in commitments.values() if c.contract_id is not None}
    contracts = {c.id: c for c in session.scalars(select(Contract).where(Contract.id.in_(contract_ids)).options(
        selectinload(Contract.provider), selectinload(Contract.milestones)))} if contract_ids else {}
    projects = _projects({c.project_id for c in commitments.values()} | {p.project_id for p in pledges.values()}
                         | {a.project_id for a in matches.values()})
    district = _district()

    grants = []
    for key in keys:
        if key.kind == "commitment":
            commitment = commitments[key.row_id]
            project = projects[commitment.project_id]
            contract = contracts.get(commitment.contract_id)
            if contract is not None and contract.milestones:
                due = [m.due_date for m in contract.milestones]
                planned = _planned(min(due), max(due))
            else:
                planned = _planned(project.start_date, project.end_date)
            paid = commitment.status == CommitmentStatus.PAID
            grants.append(_grant(
                f"commitment-{commitment.id}", project, amount=commitment.amount_cents,
                disbursed=commitment.amount_cents if paid else None, moment=key.moment,
                recipient=contract.provider if contract is not None else project.organization, pool=commitment.pool,
                planned=planned, modified=commitment.updated_at, district=district))
        elif key.kind == "pledge":
            pledge = pledges[key.row_id]
            project = projects[pledge.project_id]
            grants.append(_grant(
                f"pledge-{pledge.id}", project, amount=pledge.amount_cents, disbursed=pledge.amount_cents,
                moment=key.moment, recipient=project.organization, pool=pledge.pool,
                planned=_planned(project.start_date, project.end_date), modified=pledge.updated_at,
                district=district))
        else:
            allocation = matches[key.row_id]
            campaign = allocation.campaign
            project = projects[allocation.project_id]
            grants.append(_grant(
                f"match-{allocation.id}", project, amount=allocation.match_cents, disbursed=allocation.match_cents,
                moment=key.moment, recipient=project.organization, pool=campaign.pool,
                planned=_planned(project.start_date, project.end_date), modified=campaign.updated_at,
                district=district,
                extra_programmes=[{"code": f"{prefix()}-campaign-{campaign.id}", "title": campaign.name}]))
    return grants


def all_grants() -> list[dict[str, Any]]:
    return grants_for(_keys())


def grant_package(*, page: int, per_page: int, now: datetime) -> tuple[dict[str, Any], dict[str, str]]:
    """One page of grants as a 360Giving data package; and the links to the next and previous pages
    (an HTTP ``Link`` header: the package schema has no field for them)."""
    keys = _keys()
    grants = grants_for(keys[(page - 1) * per_page:page * per_page])
    modified = max((datetime.fromisoformat(g["dateModified"]) for g in grants if "dateModified" in g), default=now)
    package: dict[str, Any] = {
        "grants": grants,
        "version": VERSION,
        "title": "Grants from funding pools, Social Resource Exchange (Futian)",
        "identifier": f"{prefix()}-grants",
        "issued": iso(now),
        "modified": iso(modified),
        "publisher": {"name": publisher()["name"], "website": publisher()["uri"]},
        "downloadURL": public_url("opendata.giving_grants", page=page, per_page=per_page),
        "accessURL": public_url("web.open_data"),
    }
    if license_url():
        package["license"] = license_url()
    return package, page_links("opendata.giving_grants", page, per_page, len(keys))
