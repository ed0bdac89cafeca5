"""OCDS 1.1 releases of government-purchased projects (政府购买服务).

One contracting process per published project (``ocid`` = ``<prefix>-<project id>``, the prefix
registered for the deployment in ``MARKET_OCDS_OCID_PREFIX``), told as a series of releases, each
dated when its step happened, so that merging them in date order gives the current state:

=====================  ==============================  =========================================
release id suffix      tag                             when / what
=====================  ==============================  =========================================
``tender``             planning, tender                publication: budget, tender (active), lots,
                                                       items; ``planning`` alone while no tender
                                                       is published
``bids``               tenderUpdate                    the bids' opening: ``bids`` (bid extension),
                                                       tenderers, numberOfTenderers; the tender
                                                       stays active, or is unsuccessful when the
                                                       round failed for lack of valid bids
``award-<id>``         award                           approval: one OCDS award per contract (lot),
                                                       status ``pending`` during the notice (公示)
``award-<id>-confirmed``  awardUpdate, tenderUpdate    notice over, contracts signed: the awards
                                                       are ``active``, the tender ``complete``
``award-<id>-cancelled``  awardCancellation            objection upheld: ``cancelled``; the tender
                                                       goes on (active)
``contract-<id>``      contract                        signature: value, period, planned milestones
``implementation-<id>-<stamp>``  implementation        milestones met and payouts made (the stamp
                                                       is the latest event, so new facts make a new
                                                       release rather than changing an old one)
``contract-<id>-ended``  contractTermination           completed or terminated after signing
``tender-cancelled``   tenderCancellation              the project was cancelled before its tender
                                                       was complete: tender and lots ``cancelled``
=====================  ==============================  =========================================

Release dates are the steps' recorded times, to the second, in Beijing time. Steps recorded in the
same second (contracts signed as the award is confirmed, say) are one release: its id joins their
suffixes with ``+`` and its tags list theirs. So the dates of a process's releases strictly
increase, and compiling them has one order.

Sealed bids: nothing about bids -- not their number, bidders, prices or dates -- appears before
the tender's bids are opened (``Tender.opened_at``) *and* the deadline has passed; then the
``bids`` release lists every bid that was opened (withdrawn ones were never opened).

Money is CNY in yuan (JSON numbers, converted exactly from integer fen); calendar dates become the
start (or, for ends and due dates, the last second) of that day in Beijing. Parties: the buyer and
procuring entity is the project's organisation, else the street office (街道) or the district for
district-wide projects; bidders are ``tenderer``, contracted providers ``supplier`` (and
``payee``), funders whose pools co-fund the contract ``funder``. An organisation whose unified
social credit code is verified is identified in ``CN-USCI``, any other in the local scheme
``X-SRE-ORG`` (market.opendata.identifiers). Milestones carry what they pay (``value``), a field of
the marketplace's own extension (market.opendata.extension), listed in every package with the bid
and lot extensions.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import groupby
from typing import Any

from flask import current_app
from sqlalchemy import Select, func, select
from sqlalchemy.orm import selectinload

from market.bids.models import Bid, BidStatus, Lot, Tender
from market.bids.services import bidding_closed
from market.config import DEFAULT_OCID_PREFIX
from market.config import ocid_prefix as checked_ocid_prefix
from market.contracts.models import Contract, ContractStatus, Milestone, MilestoneStatus
from market.core.audit import AuditEvent
from market.core.db import db
from market.funds.models import CommitmentStatus, FundingCommitment, FundingPool
from market.geo.models import District, ProjectType, Street
from market.opendata import extension
from market.opendata.common import day_end, day_start, iso, license_url, page_links, public_url, publisher, value
from market.opendata.identifiers import org_identifier
from market.orgs.models import Organization
from market.payments.models import Payout, PayoutStatus
from market.projects.models import Project, ProjectKind, ProjectStatus
from market.review.models import Award, AwardStatus

OCDS_VERSION = "1.1"
#: Kinds of project published as contracting processes (micro-projects could join later).
OCDS_KINDS = (ProjectKind.GOVERNMENT_SERVICE,)
REGISTERED_EXTENSIONS = (
    "https://raw.githubusercontent.com/open-contracting-extensions/ocds_bid_extension/v1.1.5/extension.json",
    "https://raw.githubusercontent.com/open-contracting-extensions/ocds_lots_extension/v1.1.5/extension.json",
)
ORG_SCHEME = "X-SRE-ORG"
CATEGORY_SCHEME = "X-SRE-CATEGORY"
LANGUAGE = "zh"
BATCH = 100

PROCUREMENT_CATEGORY = {ProjectType.SERVICE: "services", ProjectType.GOODS: "goods", ProjectType.WORKS: "works"}
BID_STATUS = {BidStatus.SUBMITTED: "pending", BidStatus.AWARDED: "valid", BidStatus.NOT_AWARDED: "valid"}
MET = (MilestoneStatus.APPROVED, MilestoneStatus.PAID)
ENDED = (ContractStatus.COMPLETED, ContractStatus.TERMINATED)


def ocid_prefix() -> str:
    """The deployment's registered prefix (checked: a malformed one is refused, never published)."""
    return checked_ocid_prefix(current_app.config.get("OCDS_OCID_PREFIX") or DEFAULT_OCID_PREFIX)


def extensions() -> list[str]:
    """The extensions every package declares: bids, lots and the marketplace's milestone value."""
    return [*REGISTERED_EXTENSIONS, extension.url()]


def ocid_of(project: Project) -> str:
    return f"{ocid_prefix()}-{project.id}"


def published_projects() -> Select:
    """The projects with a contracting process: government-purchased and published (not drafts)."""
    return select(Project).where(Project.kind.in_(OCDS_KINDS), Project.status != ProjectStatus.DRAFT)


def bids_are_public(project: Project, tender: Tender | None, now: datetime) -> bool:
    """Bids show only once opened, and never before the deadline (whatever the clock said at opening)."""
    return tender is not None and tender.is_opened and bidding_closed(project, now)


# ---------------------------------------------------------------- loading a page of projects at once

@dataclass
class _Records:
    tenders: dict[int, Tender] = field(default_factory=dict)
    lots: dict[int, list[Lot]] = field(default_factory=lambda: defaultdict(list))
    bids: dict[int, list[Bid]] = field(default_factory=lambda: defaultdict(list))
    awards: dict[int, list[Award]] = field(default_factory=lambda: defaultdict(list))
    contracts: dict[int, list[Contract]] = field(default_factory=lambda: defaultdict(list))  # by award id
    payouts: dict[int, Payout] = field(default_factory=dict)  # paid ones, by milestone id
    funders: dict[int, dict[int, Organization]] = field(default_factory=lambda: defaultdict(dict))  # by award id
    opened: set[int] = field(default_factory=set)  # projects whose bids are public
    cancelled_at: dict[int, datetime] = field(default_factory=dict)  # when cancelled projects were cancelled
    district: District | None = None


def _load(projects: list[Project], now: datetime) -> _Records:
    records = _Records()
    ids = [p.id for p in projects]
    if not ids:
        return records
    by_id = {p.id: p for p in projects}
    session = db.session
    records.tenders = {t.project_id: t for t in session.scalars(select(Tender).where(Tender.project_id.in_(ids)))}
    for lot in session.scalars(select(Lot).where(Lot.project_id.in_(ids)).order_by(Lot.project_id, Lot.seq)
                               .options(selectinload(Lot.category))):
        records.lots[lot.project_id].append(lot)
    records.opened = {pid for pid, tender in records.tenders.items() if bids_are_public(by_id[pid], tender, now)}
    if records.opened:
        for bid in session.scalars(select(Bid).where(Bid.project_id.in_(records.opened),
                                                     Bid.status != BidStatus.WITHDRAWN)
                                   .order_by(Bid.project_id, Bid.lot_seq, Bid.id)
                                   .options(selectinload(Bid.organization))):
            records.bids[bid.project_id].append(bid)
    for award in session.scalars(select(Award).where(Award.project_id.in_(ids)).order_by(Award.approved_at, Award.id)):
        records.awards[award.project_id].append(award)
    contracts = list(session.scalars(select(Contract).where(Contract.project_id.in_(ids), Contract.award_id.is_not(None))
                                     .order_by(Contract.lot_seq, Contract.id)
                                     .options(selectinload(Contract.provider), selectinload(Contract.milestones))))
    for contract in contracts:
        records.contracts[contract.award_id].append(contract)
    milestone_ids = [m.id for c in contracts for m in c.milestones]
    if milestone_ids:
        records.payouts = {p.milestone_id: p for p in session.scalars(select(Payout).where(
            Payout.milestone_id.in_(milestone_ids), Payout.status == PayoutStatus.PAID))}
    for commitment in session.scalars(select(FundingCommitment).where(
            FundingCommitment.project_id.in_(ids), FundingCommitment.status != CommitmentStatus.RELEASED,
            FundingCommitment.award_id.is_not(None))
            .options(selectinload(FundingCommitment.pool).selectinload(FundingPool.funder))):
        funder = commitment.pool.funder
        records.funders[commitment.award_id][funder.id] = funder
    records.cancelled_at = _cancellations([p for p in projects if p.status == ProjectStatus.CANCELLED])
    if any(p.street_id is None for p in projects):
        districts = session.scalars(select(District).limit(2)).all()
        records.district = districts[0] if len(districts) == 1 else None
    return records


def _cancellations(projects: list[Project]) -> dict[int, datetime]:
    """When each project was cancelled: the audit trail records every change of status; a project
    cancelled before the trail began (imported) falls back on its last change, which cancellation
    freezes."""
    if not projects:
        return {}
    when = {p.id: p.updated_at for p in projects}
    events = db.session.execute(select(AuditEvent.object_id, AuditEvent.occurred_at, AuditEvent.after).where(
        AuditEvent.object_type == Project.__tablename__,
        AuditEvent.object_id.in_([str(p.id) for p in projects])).order_by(AuditEvent.seq))
    for object_id, occurred_at, after in events:
        if (after or {}).get("status") == ProjectStatus.CANCELLED.value:
            when[int(object_id)] = occurred_at
    return when


# ---------------------------------------------------------------- parties

class _Parties:
    """The organisations one release mentions, each once, with every role it plays there."""

    def __init__(self) -> None:
        self._parties: dict[str, dict[str, Any]] = {}

    def add(self, party: dict[str, Any], *roles: str) -> dict[str, Any]:
        entry = self._parties.setdefault(party["id"], {**party, "roles": []})
        for role in roles:
            if role not in entry["roles"]:
                entry["roles"].append(role)
        return {"id": party["id"], "name": party["name"]}

    def org(self, org: Organization, *roles: str) -> dict[str, Any]:
        return self.add(org_party(org), *roles)

    def absorb(self, other: _Parties) -> None:
        for party in other._parties.values():
            self.add(party, *party["roles"])

    def listed(self, first: str | None = None) -> list[dict[str, Any]]:
        """The parties, ``first`` (the buyer) leading."""
        return sorted(self._parties.values(), key=lambda party: party["id"] != first)


def _named(party: dict[str, Any], row: Any) -> dict[str, Any]:
    if getattr(row, "name_en", ""):
        party["name_en"] = row.name_en
    return party


def org_party(org: Organization) -> dict[str, Any]:
    """An organisation by its verified credit code (``CN-USCI``), else by the marketplace's id; the
    marketplace's id and page stay as an additional identifier of a ``CN-USCI`` party."""
    page = public_url("orgs.detail", org_id=org.id)
    local = {"scheme": ORG_SCHEME, "id": str(org.id), "legalName": org.name, "uri": page}
    ident = org_identifier(org, ORG_SCHEME)
    if ident.scheme == ORG_SCHEME:
        return _named({"id": str(ident), "name": org.name, "identifier": local}, org)
    return _named({"id": str(ident), "name": org.name,
                   "identifier": {"scheme": ident.scheme, "id": ident.id, "legalName": org.name},
                   "additionalIdentifiers": [local]}, org)


def buyer_party(project: Project, district: District | None) -> dict[str, Any]:
    """The project's organisation, else the office of its street (街道), else the district."""
    if project.organization is not None:
        return org_party(project.organization)
    street: Street | None = project.street
    if street is not None:
        return _named({"id": f"X-SRE-STREET-{street.id}", "name": street.name}, street)
    if district is not None:
        return _named({"id": f"X-SRE-DISTRICT-{district.id}", "name": district.name}, district)
    return {"id": "X-SRE-DISTRICT", "name": publisher()["name"]}


# ---------------------------------------------------------------- pieces

def _compact(section: dict[str, Any]) -> dict[str, Any]:
    """Drop empty optional fields (None, "", [], {}) -- never zeros."""
    return {k: v for k, v in section.items() if v is not None and v != "" and v != [] and v != {}}


def _english(section: dict[str, Any], row: Any, *fields: str, target: dict[str, str] | None = None) -> dict[str, Any]:
    """OCDS language variants (``title_en``) where the English twin is filled in."""
    for name in fields:
        english = getattr(row, f"{name}_en", "")
        if english:
            section[f"{(target or {}).get(name, name)}_en"] = english
    return section


def lot_id(lot: Lot) -> str:
    return f"lot-{lot.seq}"


def _classification(category) -> dict[str, Any] | None:
    if category is None:
        return None
    return _english({"scheme": CATEGORY_SCHEME, "id": category.code, "description": category.name}, category,
                    "name", target={"name": "description"})


def _items(project: Project, lots: list[Lot]) -> list[dict[str, Any]]:
    if not lots:
        return [_compact(_english({"id": "item-1", "description": project.title,
                                   "classification": _classification(project.category)}, project, "title",
                                  target={"title": "description"}))]
    return [_compact(_english({"id": f"item-{lot.seq}", "description": lot.title,
                               "classification": _classification(lot.category or project.category),
                               "relatedLot": lot_id(lot)}, lot, "title", target={"title": "description"}))
            for lot in lots]


def _period(start, end) -> dict[str, Any] | None:
    period = _compact({"startDate": day_start(start), "endDate": day_end(end)})
    return period or None


def _contract_period(contract: Contract) -> dict[str, Any] | None:
    dates = [m.due_date for m in contract.milestones]
    return _period(min(dates), max(dates)) if dates else None


#: Tender statuses by stage (the closed tenderStatus codelist): published without a tender yet;
#: open for bids or under evaluation; the round failed at its opening; the award confirmed; the
#: project cancelled before that.
PLANNING, ACTIVE, UNSUCCESSFUL, COMPLETE, CANCELLED = "planning", "active", "unsuccessful", "complete", "cancelled"


def _tender_section(project: Project, tender: Tender | None, lots: list[Lot], tender_id: str,
                    procuring: dict[str, Any]) -> dict[str, Any]:
    status = ACTIVE if tender is not None else PLANNING
    section = {
        "id": tender_id, "title": project.title, "description": project.description, "status": status,
        "procuringEntity": procuring, "items": _items(project, lots), "value": value(project.budget_cents),
        "procurementMethod": "open", "mainProcurementCategory": PROCUREMENT_CATEGORY.get(project.project_type),
        # Lots that buy something else than the project (a works lot of a service project).
        "additionalProcurementCategories": [PROCUREMENT_CATEGORY[t] for t in ProjectType if t != project.project_type
                                            and any(lot.project_type == t for lot in lots)],
        "submissionMethod": ["electronicSubmission"],
        "tenderPeriod": _compact({"startDate": iso(project.published_at), "endDate": iso(project.bid_deadline)}),
        "contractPeriod": _period(project.start_date, project.end_date),
        "documents": [{"id": "notice", "documentType": "tenderNotice", "title": project.title,
                       "url": public_url("projects.detail", project_id=project.id),
                       "format": "text/html", "language": LANGUAGE}],
    }
    _english(section, project, "title", "description")
    if tender is not None:
        section["eligibilityCriteria"] = tender.requirements
        if tender.requirements_en:
            section["eligibilityCriteria_en"] = tender.requirements_en
        if tender.criteria:
            section["awardCriteria"] = "ratedCriteria"
            section["awardCriteriaDetails"] = "; ".join(f"{c.get('name', '')} {c.get('weight', '')}%"
                                                        for c in tender.criteria)
            if all(c.get("name_en") for c in tender.criteria):
                section["awardCriteriaDetails_en"] = "; ".join(f"{c['name_en']} {c.get('weight', '')}%"
                                                               for c in tender.criteria)
    if lots:
        section["lots"] = [_compact(_english({"id": lot_id(lot), "title": lot.title, "description": lot.description,
                                              "status": status, "value": value(lot.budget_cents)},
                                             lot, "title", "description")) for lot in lots]
    return _compact(section)


def _milestone(milestone: Milestone, lot: Lot | None, *, as_planned: bool) -> dict[str, Any]:
    met = not as_planned and milestone.status in MET
    return _compact(_english({
        "id": f"milestone-{milestone.id}", "title": milestone.title, "type": "delivery",
        "dueDate": day_end(milestone.due_date), "status": "met" if met else "scheduled",
        "dateMet": iso(milestone.approved_at) if met else None, "value": value(milestone.amount_cents),
        "relatedLots": [lot_id(lot)] if lot is not None else None,
    }, milestone, "title"))


#: The order of steps recorded in the same second (publication first, cancellation last).
STAGES = ("tender", "bids", "award", "award-closed", "contract", "implementation", "contract-ended",
          "tender-cancelled")


@dataclass
class _Step:
    """One step of a contracting process, before steps of the same second become one release."""

    moment: datetime
    stage: str
    suffix: str
    tags: list[str]
    parties: _Parties
    sections: dict[str, Any]

    @property
    def second(self) -> str:
        return iso(self.moment) or ""


@dataclass
class _Process:
    """What every release of one project shares."""

    project: Project
    ocid: str
    buyer: dict[str, Any]
    lots: dict[int, Lot]

    @property
    def tender_id(self) -> str:
        return f"{self.ocid}-tender"

    def step(self, stage: str, suffix: str, moment: datetime, tags: list[str], parties: _Parties | None = None,
             **sections: Any) -> _Step:
        parties = parties or _Parties()
        parties.add(self.buyer, "buyer", "procuringEntity")
        return _Step(moment, stage, suffix, tags, parties, sections)

    def tender_update(self, status: str, **fields: Any) -> dict[str, Any]:
        """The tender's new status, its lots' with it (one status per stage for the whole tender)."""
        update = {"id": self.tender_id, "status": status, **fields}
        if self.lots:
            update["lots"] = [{"id": lot_id(lot), "status": status} for lot in self.lots.values()]
        return update

    def release(self, steps: list[_Step]) -> dict[str, Any]:
        """The steps of one second as one release: their tags, parties and sections merged in order."""
        parties = _Parties()
        sections: dict[str, Any] = {}
        tags: list[str] = []
        for step in steps:
            parties.absorb(step.parties)
            sections = _merged(sections, step.sections)
            tags += [tag for tag in step.tags if tag not in tags]
        buyer_ref = {"id": self.buyer["id"], "name": self.buyer["name"]}
        return {"ocid": self.ocid, "id": f"{self.ocid}-" + "+".join(step.suffix for step in steps),
                "date": steps[0].second, "tag": tags, "initiationType": "tender", "language": LANGUAGE,
                "parties": parties.listed(buyer_ref["id"]), "buyer": buyer_ref, **sections}

    def lot_of(self, contract: Contract) -> Lot | None:
        return self.lots.get(contract.lot_id) if contract.lot_id is not None else None

    def title_of(self, contract: Contract) -> str:
        lot = self.lot_of(contract)
        return f"{self.project.title} — {lot.title}" if lot is not None else self.project.title


def _merged(earlier: Any, later: Any) -> Any:
    """``later`` over ``earlier`` as OCDS merges releases: objects field by field, arrays of objects
    with ids by id, anything else replaced."""
    if isinstance(earlier, dict) and isinstance(later, dict):
        out = dict(earlier)
        for key, item in later.items():
            out[key] = _merged(earlier[key], item) if key in earlier else item
        return out
    if isinstance(earlier, list) and isinstance(later, list) and all(
            isinstance(item, dict) and "id" in item for item in [*earlier, *later]):
        by_id = {item["id"]: item for item in earlier}
        for item in later:
            by_id[item["id"]] = _merged(by_id[item["id"]], item) if item["id"] in by_id else item
        return list(by_id.values())
    return later


def _award_id(award: Award, contract: Contract) -> str:
    return f"award-{award.id}" + (f"-lot-{contract.lot_seq}" if contract.lot_seq else "")


# ---------------------------------------------------------------- releases of one project

def project_releases(project: Project, records: _Records) -> list[dict[str, Any]]:
    """Every release of one project, oldest first, dated strictly later one after the other."""
    lots = records.lots.get(project.id, [])
    process = _Process(project, ocid_of(project), buyer_party(project, records.district), {lot.id: lot for lot in lots})
    tender = records.tenders.get(project.id)
    steps: list[_Step] = []

    parties = _Parties()
    procuring = parties.add(process.buyer, "buyer", "procuringEntity")
    planning = {"budget": _compact({"id": f"budget-{project.id}", "description": project.title,
                                    "amount": value(project.budget_cents), "project": project.title,
                                    "projectID": str(project.id)})}
    steps.append(process.step("tender", "tender", project.published_at or project.created_at,
                              ["planning", "tender"] if tender is not None else ["planning"], parties,
                              planning=planning,
                              tender=_tender_section(project, tender, lots, process.tender_id, procuring)))

    winning_bids: dict[tuple[int, int], str] = {}
    if tender is not None and project.id in records.opened:
        bids = records.bids.get(project.id, [])
        steps.append(_bids_step(process, tender, bids))
        winning_bids = {(b.organization_id, b.lot_seq): f"bid-{b.id}" for b in bids}

    completed = False
    for award in records.awards.get(project.id, []):
        contracts = records.contracts.get(award.id, [])
        if contracts:
            steps.extend(_award_steps(process, award, contracts, records.funders.get(award.id, {}), winning_bids))
            completed = completed or award.status == AwardStatus.CONFIRMED
            for contract in contracts:
                steps.extend(_contract_steps(process, award, contract, records.payouts))

    if project.status == ProjectStatus.CANCELLED and not completed:
        steps.append(process.step("tender-cancelled", "tender-cancelled",
                                  records.cancelled_at.get(project.id, project.updated_at), ["tenderCancellation"],
                                  tender=process.tender_update(CANCELLED)))
    steps.sort(key=lambda step: (step.moment.astimezone(UTC).replace(microsecond=0), STAGES.index(step.stage)))
    return [process.release(list(same)) for _second, same in groupby(steps, key=lambda step: step.second)]


def _bids_step(process: _Process, tender: Tender, bids: list[Bid]) -> _Step:
    parties = _Parties()
    lot_ids = {lot.id: lot_id(lot) for lot in process.lots.values()}
    details, tenderers = [], {}
    for bid in bids:
        ref = parties.org(bid.organization, "tenderer")
        tenderers[ref["id"]] = ref
        details.append(_compact({"id": f"bid-{bid.id}", "date": iso(bid.submitted_at),
                                 "status": BID_STATUS.get(BidStatus(bid.status), "pending"), "tenderers": [ref],
                                 "value": value(bid.price_cents),
                                 "relatedLots": [lot_ids[bid.lot_id]] if bid.lot_id in lot_ids else None}))
    opened_at = iso(tender.opened_at)
    statistics = [{"id": "bids", "measure": "bids", "value": len(bids), "date": opened_at},
                  {"id": "bidders", "measure": "bidders", "value": len(tenderers), "date": opened_at}]
    for lot in process.lots.values():
        statistics.append({"id": f"bids-{lot_id(lot)}", "measure": "bids", "date": opened_at,
                           "value": sum(1 for b in bids if b.lot_id == lot.id), "relatedLot": lot_id(lot)})
    status = UNSUCCESSFUL if tender.has_failed else ACTIVE
    return process.step("bids", "bids", tender.opened_at, ["tenderUpdate"], parties,
                        tender=_compact(process.tender_update(
                            status, numberOfTenderers=len(tenderers), tenderers=list(tenderers.values()),
                            awardPeriod={"startDate": opened_at})),
                        bids={"statistics": statistics, "details": details})


def _award_steps(process: _Process, award: Award, contracts: list[Contract], funders: dict[int, Organization],
                 winning_bids: dict[tuple[int, int], str]) -> list[_Step]:
    parties = _Parties()
    awards = []
    for contract in contracts:
        lot = process.lot_of(contract)
        awards.append(_compact({
            "id": _award_id(award, contract), "title": process.title_of(contract), "description": award.reason,
            "status": "pending", "date": iso(award.approved_at), "value": value(contract.amount_cents),
            "suppliers": [parties.org(contract.provider, "supplier")],
            "contractPeriod": _contract_period(contract),
            "relatedLots": [lot_id(lot)] if lot is not None else None,
            "relatedBid": winning_bids.get((contract.provider_id, contract.lot_seq)),
        }))
    for funder in sorted(funders.values(), key=lambda o: o.id):
        parties.org(funder, "funder")
    out = [process.step("award", f"award-{award.id}", award.approved_at, ["award"], parties, awards=awards)]
    closed = award.closed_at or award.updated_at
    if award.status == AwardStatus.CONFIRMED:
        out.append(process.step("award-closed", f"award-{award.id}-confirmed", closed, ["awardUpdate", "tenderUpdate"],
                                awards=[{"id": _award_id(award, c), "status": "active"} for c in contracts],
                                tender=process.tender_update(COMPLETE, awardPeriod={"endDate": iso(closed)})))
    elif award.status == AwardStatus.CANCELLED:
        out.append(process.step("award-closed", f"award-{award.id}-cancelled", closed, ["awardCancellation"],
                                awards=[{"id": _award_id(award, c), "status": "cancelled"} for c in contracts]))
    return out


def _contract_steps(process: _Process, award: Award, contract: Contract, payouts: dict[int, Payout]) -> list[_Step]:
    if contract.signed_at is None:
        return []  # in notice, or terminated before signature: the award releases tell it
    lot = process.lot_of(contract)
    award_id = _award_id(award, contract)
    parties = _Parties()
    parties.org(contract.provider, "supplier")
    out = [process.step("contract", f"contract-{contract.id}", contract.signed_at, ["contract"], parties,
                        contracts=[_compact({
                            "id": f"contract-{contract.id}", "awardID": award_id, "title": process.title_of(contract),
                            "status": "active", "value": value(contract.amount_cents),
                            "period": _contract_period(contract), "dateSigned": iso(contract.signed_at),
                            "implementation": {"milestones": [_milestone(m, lot, as_planned=True)
                                                              for m in contract.milestones]},
                        })])]

    paid = [payouts[m.id] for m in contract.milestones if m.id in payouts]
    events = [m.approved_at for m in contract.milestones if m.status in MET and m.approved_at is not None]
    events += [p.paid_at for p in paid if p.paid_at is not None]
    if events:
        latest = max(events)
        parties = _Parties()
        parties.add(process.buyer, "payer")
        payer = {"id": process.buyer["id"], "name": process.buyer["name"]}
        payee = parties.org(contract.provider, "supplier", "payee")
        transactions = [{"id": f"payout-{p.id}", "date": iso(p.paid_at),
                         "value": {"amount": value(p.amount_cents)["amount"], "currency": p.currency.upper()},
                         "payer": payer, "payee": payee} for p in paid]
        stamp = latest.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
        out.append(process.step("implementation", f"implementation-{contract.id}-{stamp}", latest, ["implementation"],
                                parties, contracts=[{"id": f"contract-{contract.id}", "awardID": award_id,
                                                     "implementation": _compact({
                                                         "milestones": [_milestone(m, lot, as_planned=False)
                                                                        for m in contract.milestones],
                                                         "transactions": transactions})}]))
    if contract.status in ENDED and contract.ended_at is not None:
        out.append(process.step("contract-ended", f"contract-{contract.id}-ended", contract.ended_at,
                                ["contractTermination"],
                                contracts=[{"id": f"contract-{contract.id}", "awardID": award_id,
                                            "status": "terminated"}]))
    return out


# ---------------------------------------------------------------- packages

def _projects_page(stmt: Select) -> list[Project]:
    return list(db.session.scalars(stmt.options(
        selectinload(Project.organization), selectinload(Project.category),
        selectinload(Project.street))))


def releases_of(projects: list[Project], now: datetime) -> list[dict[str, Any]]:
    records = _load(projects, now)
    return [release for project in projects for release in project_releases(project, records)]


def iter_releases(now: datetime) -> Iterator[dict[str, Any]]:
    """Every release of every published project, a batch of projects at a time (for the CSV)."""
    last = 0
    while True:
        projects = _projects_page(published_projects().where(Project.id > last).order_by(Project.id).limit(BATCH))
        if not projects:
            return
        yield from releases_of(projects, now)
        last = projects[-1].id


def release_package(*, page: int, per_page: int, now: datetime) -> tuple[dict[str, Any], dict[str, str]]:
    """One page of projects (by id), with all their releases, as an OCDS release package; and the
    links to the next and previous pages (sent as an HTTP ``Link`` header: OCDS 1.1 packages have
    no field for them)."""
    total = db.session.scalar(select(func.count()).select_from(published_projects().subquery())) or 0
    projects = _projects_page(published_projects().order_by(Project.id).limit(per_page)
                              .offset((page - 1) * per_page))
    releases = releases_of(projects, now)
    latest = max((datetime.fromisoformat(r["date"]) for r in releases), default=now)
    package: dict[str, Any] = {
        "uri": public_url("opendata.ocds_releases", page=page, per_page=per_page),
        "version": OCDS_VERSION,
        "extensions": extensions(),
        "publishedDate": iso(latest),
        "publisher": publisher(),
        "publicationPolicy": public_url("web.open_data"),
        "releases": releases,
    }
    if license_url():
        package["license"] = license_url()
    return package, page_links("opendata.ocds_releases", page, per_page, total)
