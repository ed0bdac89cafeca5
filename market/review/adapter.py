"""The one place that turns database rows into :mod:`matching` dataclasses, and results back.

What goes in
------------
* **projects** - the selected ones, each with what it still lacks:

  - government-purchased services and micro-projects need a provider: those put out to tender
    (with a :class:`~market.bids.models.Tender`) choose among their *opened* bids (sealed or
    bid-less tenders are left out with a reason); the others may go to any eligible provider at
    their budget (direct commissioning);
  - micro-projects need funding from the pools; government-purchased services only when the run
    asks for it (``fund_government_services``), since they are normally paid from the purchasing
    department's budget;
  - public-benefit projects need funding only (their applicant delivers), for the part of the
    budget not received, pledged, being paid or reserved yet (:func:`open_needs`).

* **lots** of split projects, each awarded on its own.
* **providers** - verified social organisations and enterprises; capacity is their declared
  capacity minus the contracts they hold (in notice or signed); reputation from residents'
  ratings of their micro-projects (:func:`market.micro.services.evaluation.provider_rating_totals`);
  past deliveries from completed / terminated contracts.
* **pools** - open pools with money left. ``remaining_cents`` is already net of every
  reservation (approving a match reserves the money in the same transaction), so it is used as is.
* **decisions** - the officials' active pins and forbids on the selected projects.

A bid from an organisation outside the project's (lot's) category is allowed: the engine's
category filter would drop it, so :func:`solve_built` adds such bidders back as candidates with a
category component of :data:`WRONG_CATEGORY_SCORE` (below a secondary category's 0.7).
"""
from __future__ import annotations

import dataclasses
import time
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from market.bids.models import Bid, BidStatus, Lot, Tender
from market.contracts.models import Contract, ContractStatus
from market.core.db import db
from market.funding.services import funding_summary
from market.funds.models import FundingPool
from market.geo.models import Category, Street
from market.micro.models import RATING_CRITERIA, Rating
from market.micro.services.evaluation import provider_rating_totals
from market.orgs.models import DEFAULT_SUPPLIES, Organization, OrgKind, Qualification, VerificationState
from market.projects.models import Project, ProjectKind, ProjectStatus
from market.review.vocabulary import engine_vocabulary
from matching.candidates import check_pair, generate_candidates
from matching.optimize import solve
from matching.score import combine, score_pair, text_component
from matching.types import (
    PROJECT_TYPES,
    BidSpec,
    Candidate,
    CandidateSet,
    Decision,
    Funding,
    LotSpec,
    MatchOptions,
    MatchProblem,
    MatchResult,
    PoolSpec,
    ProjectSpec,
    ProviderSpec,
    Requirements,
    id_key,
)
from matching.vocabulary import MatchedSkill

#: Category component of a bid from outside the project's category (primary 1.0, secondary 0.7).
WRONG_CATEGORY_SCORE = 0.3
#: Street id given to district-wide projects: only district-wide providers and pools serve it.
DISTRICT = "district"
PROVIDER_ORG_KINDS = (OrgKind.SOCIAL_ORGANISATION, OrgKind.ENTERPRISE)
ACTIVE_CONTRACT = (ContractStatus.IN_NOTICE, ContractStatus.SIGNED)
#: Licences a provider must hold to be proposed for a project of a type (works: a construction licence).
REQUIRED_QUALIFICATIONS: dict[str, frozenset[str]] = {"works": frozenset({Qualification.CONSTRUCTION.value})}
POOL_KIND = {OrgKind.GOVERNMENT: "government", OrgKind.FOUNDATION: "foundation", OrgKind.ENTERPRISE: "csr"}

# The adapter's own reason codes (rendered with the engine's by market.review.reasons): projects it does not
# send to the engine ("bids_sealed", "already_funded", "not_matchable", "already_contracted", "no_valid_bid") and
# notes on what it could not use ("project_gone", "decision_ignored_provider", "decision_ignored_lot_pin",
# "decision_ignored_pool").


@dataclass(frozen=True)
class RunOptions:
    """Options of a run chosen by the official (plain values, stored with the run)."""

    solver: str = "cbc"
    time_limit: float = 60.0
    gap: float = 1e-3
    max_provider_share: float | None = None
    fund_government_services: bool = False

    def as_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> RunOptions:
        known = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in values.items() if k in known})


@dataclass
class Built:
    """A problem ready for the engine, plus what the adapter already knows."""

    problem: MatchProblem
    skipped: list[dict[str, Any]] = field(default_factory=list)
    # (project_id, lot_id) -> provider ids whose bid is outside the unit's category.
    wrong_category: dict[tuple[int, int | None], set[int]] = field(default_factory=dict)
    #: ``{"code", "params"}`` notes on what the adapter could not use.
    notes: list[dict[str, Any]] = field(default_factory=list)
    stats: dict[str, Any] = field(default_factory=dict)


# ---------------------------------------------------------------- rows -> dataclasses

def _delivery_counts() -> dict[int, tuple[int, int]]:
    rows = db.session.execute(select(Contract.provider_id, Contract.status, func.count())
                              .where(Contract.status.in_((ContractStatus.COMPLETED, ContractStatus.TERMINATED)))
                              .group_by(Contract.provider_id, Contract.status))
    counts: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    for provider_id, status, n in rows:
        counts[provider_id][0 if status == ContractStatus.COMPLETED else 1] += n
    return {k: (v[0], v[1]) for k, v in counts.items()}


def _active_loads() -> dict[int, int]:
    rows = db.session.execute(select(Contract.provider_id, func.count())
                              .where(Contract.status.in_(ACTIVE_CONTRACT)).group_by(Contract.provider_id))
    return {provider_id: n for provider_id, n in rows}


#: At most this many titles of a provider's past deliveries are evidence of its specialty (the latest).
DELIVERED_TITLES = 10
#: A delivery rated below this mean (stars, over residents' ratings) is no evidence of a specialty.
WELL_RATED_STARS = 3.0


def _delivered_titles() -> dict[int, tuple[str, ...]]:
    """``{provider_id: titles}`` of the projects each provider delivered well: its completed (accepted)
    contracts whose project residents did not rate below :data:`WELL_RATED_STARS` on average, the
    latest :data:`DELIVERED_TITLES` per provider. Two queries in all, however many providers."""
    stars = sum(getattr(Rating, c) for c in RATING_CRITERIA)
    rated = (select(Rating.project_id, func.avg(stars).label("stars_sum"))
             .group_by(Rating.project_id).subquery())
    latest = func.row_number().over(partition_by=Contract.provider_id,
                                    order_by=Contract.id.desc()).label("n")
    ranked = (select(Contract.provider_id, Contract.project_id, latest)
              .outerjoin(rated, rated.c.project_id == Contract.project_id)
              .where(Contract.status == ContractStatus.COMPLETED,
                     (rated.c.stars_sum.is_(None)) | (rated.c.stars_sum >= WELL_RATED_STARS * len(RATING_CRITERIA)))
              .subquery())
    rows = db.session.execute(select(ranked.c.provider_id, Project.title, Project.title_en)
                              .join(Project, Project.id == ranked.c.project_id)
                              .where(ranked.c.n <= DELIVERED_TITLES)
                              .order_by(ranked.c.provider_id, ranked.c.n))
    titles: dict[int, list[str]] = defaultdict(list)
    for provider_id, title, title_en in rows:
        text = f"{title} {title_en}".strip()
        if text and text not in titles[provider_id]:  # the lots of one project: one title
            titles[provider_id].append(text)
    return {k: tuple(v) for k, v in titles.items()}


def provider_specs(as_of: date) -> tuple[list[ProviderSpec], dict[int, Organization]]:
    """Every verified social organisation and enterprise as a :class:`ProviderSpec`."""
    orgs = [org for org in db.session.scalars(
        select(Organization).where(Organization.kind.in_(PROVIDER_ORG_KINDS), eligible_clause())
        .options(selectinload(Organization.categories), selectinload(Organization.service_streets))
        .order_by(Organization.id)) if org.is_eligible]
    ratings = provider_rating_totals([o.id for o in orgs])
    deliveries = _delivery_counts()
    loads = _active_loads()
    delivered = _delivered_titles()
    codes = {c.id: c.code for c in db.session.scalars(select(Category))}
    specs = []
    for org in orgs:
        # While changed facts wait for an official, the verified ones count.
        facts = org.eligibility()
        total, count = ratings.get(org.id, (0.0, 0))
        done, failed = deliveries.get(org.id, (0, 0))
        streets = set(facts.service_street_ids)
        if facts.home_street_id is not None:
            streets.add(facts.home_street_id)
        specs.append(ProviderSpec(
            id=org.id, name=org.name,
            kind=facts.kind if facts.kind == OrgKind.SOCIAL_ORGANISATION.value else "enterprise",
            categories=tuple(sorted(codes[c] for c in facts.category_ids if c in codes)), streets=frozenset(streets),
            whole_district=facts.serves_whole_district, home_street_id=facts.home_street_id,
            rating_grade=facts.rating_grade, registered_on=facts.registration_date, staff=facts.full_time_staff,
            office_area_m2=float(facts.office_area_m2), capacity=max(0, org.capacity - loads.get(org.id, 0)),
            capability=f"{org.capability} {org.capability_en}".strip(), rating_sum=total, rating_count=count,
            deliveries_completed=done, deliveries_failed=failed, delivered_titles=delivered.get(org.id, ()),
            supplies=frozenset(t for t in (org.supplies if org.supplies is not None else DEFAULT_SUPPLIES)
                               if t in PROJECT_TYPES),
            qualifications=frozenset(org.qualifications or ())))
    return specs, {o.id: o for o in orgs}


def eligible_clause():
    """Organisations whose verified facts count: verified, or pending with verified facts kept."""
    return (Organization.verification_state == VerificationState.VERIFIED) | (
        (Organization.verification_state == VerificationState.PENDING) & Organization.verified_facts.is_not(None))


def pool_specs() -> list[PoolSpec]:
    """Open pools with money left (``remaining_cents`` is already net of reservations)."""
    pools = db.session.scalars(
        select(FundingPool).where(FundingPool.is_open, FundingPool.remaining_cents > 0)
        .options(selectinload(FundingPool.focus_categories), selectinload(FundingPool.streets),
                 selectinload(FundingPool.funder)).order_by(FundingPool.id))
    return [PoolSpec(id=p.id, name=p.name, remaining=p.remaining_cents, max_per_project=p.max_grant_cents,
                     max_share=p.max_share_percent / 100, categories=frozenset(c.code for c in p.focus_categories),
                     streets=frozenset(s.id for s in p.streets), kind=POOL_KIND.get(p.funder.kind, "other"))
            for p in pools]


def open_needs(projects: list[Project]) -> dict[int, int]:
    """What each project still lacks in money: the budget minus money received, pledged, being
    paid, and awarded from pools (:func:`market.funding.services.funding_summary`)."""
    return {p.id: funding_summary(p).room for p in projects}


def _skip(project: Project, code: str, **params: Any) -> dict[str, Any]:
    return {"project_id": project.id, "lot_id": None, "code": code, "params": params}


def build_problem(project_ids: Iterable[int], options: RunOptions, *, now: datetime,
                  decisions: Iterable[Any] = (), district_id: int | None = None) -> Built:
    """Load the selected projects and everything around them into a :class:`MatchProblem`.

    ``decisions`` are :class:`market.review.models.MatchDecision` rows (active ones are used); the
    run's ``district_id`` chooses the vocabulary (the city's words and that district's).
    Projects that cannot go to the engine (sealed bids, no valid bid, nothing left to fund,
    already under contract) are returned in ``Built.skipped`` with a reason code.
    """
    started = time.perf_counter()
    from market.core.calendar import local_label

    ids = sorted(set(project_ids))
    projects = list(db.session.scalars(
        select(Project).where(Project.id.in_(ids)).order_by(Project.id)
        .options(selectinload(Project.category), selectinload(Project.street), selectinload(Project.community))))
    tenders = {t.project_id: t for t in db.session.scalars(select(Tender).where(Tender.project_id.in_(ids)))}
    lots: dict[int, list[Lot]] = defaultdict(list)
    for lot in db.session.scalars(select(Lot).where(Lot.project_id.in_(ids)).order_by(Lot.project_id, Lot.seq)):
        lots[lot.project_id].append(lot)
    contracted = set(db.session.scalars(select(Contract.project_id).where(
        Contract.project_id.in_(ids), Contract.status != ContractStatus.TERMINATED)))
    needs = open_needs(projects)
    categories = {c.id: c for c in db.session.scalars(select(Category))}
    streets = {s.id: s for s in db.session.scalars(select(Street))}
    providers, orgs = provider_specs(now.date())
    provider_ids = set(orgs)
    bids_by_project: dict[int, list[Bid]] = defaultdict(list)
    for bid in db.session.scalars(select(Bid).where(Bid.project_id.in_(ids), Bid.status == BidStatus.SUBMITTED)
                                  .order_by(Bid.id)):
        bids_by_project[bid.project_id].append(bid)

    built = Built(problem=MatchProblem(projects=(), providers=()))
    specs: list[ProjectSpec] = []
    bid_specs: list[BidSpec] = []
    for project in projects:
        if project.id in contracted:
            built.skipped.append(_skip(project, "already_contracted"))
            continue
        if project.status not in (ProjectStatus.OPEN, ProjectStatus.EVALUATING):
            built.skipped.append(_skip(project, "not_matchable", status=str(project.status)))
            continue
        kind = ProjectKind(project.kind)
        tender = tenders.get(project.id)
        # Put out to tender through market.bids (a bare deadline without a tender takes no bids).
        tendered = kind != ProjectKind.PUBLIC_BENEFIT and tender is not None
        open_need = needs[project.id]
        if kind == ProjectKind.PUBLIC_BENEFIT:
            needs_provider, needs_funding = False, True
            if open_need <= 0:
                built.skipped.append(_skip(project, "already_funded"))
                continue
        else:
            needs_provider = True
            needs_funding = open_need > 0 and (kind == ProjectKind.MICRO or options.fund_government_services)
        unit_bids: list[Bid] = []
        if tendered:
            if tender is None or not tender.is_opened or project.bid_deadline is None or now < project.bid_deadline:
                deadline = local_label(project.bid_deadline) if project.bid_deadline else "?"
                built.skipped.append(_skip(project, "bids_sealed", deadline=deadline))
                continue
            all_bids = bids_by_project.get(project.id, [])
            unit_bids = [b for b in all_bids if b.organization_id in provider_ids
                         and b.price_cents <= (b.lot.budget_cents if b.lot else project.budget_cents)]
            lot_ids = {lot.id for lot in lots.get(project.id, [])}
            bid_units = {b.lot_id for b in unit_bids}
            missing = (lot_ids - bid_units) if lot_ids else ({None} - bid_units)
            if missing:
                built.skipped.append({"project_id": project.id, "lot_id": min(missing, key=id_key), "code": "no_valid_bid",
                                      "params": {"bids": len(all_bids)}})
                continue
        category = categories[project.category_id]
        street = streets.get(project.street_id) if project.street_id else None
        lot_specs = tuple(LotSpec(id=lot.id, budget=lot.budget_cents, title=f"{lot.title} {lot.title_en}".strip(),
                                  description=f"{lot.description} {lot.description_en}".strip(),
                                  category=categories[lot.category_id].code if lot.category_id else None,
                                  project_type=str(lot.project_type) if lot.project_type else None,
                                  qualifications=REQUIRED_QUALIFICATIONS.get(str(lot.project_type), frozenset()))
                          for lot in lots.get(project.id, [])) if needs_provider else ()
        requirements = tender.requirements + " " + tender.requirements_en if tender else ""
        specs.append(ProjectSpec(
            id=project.id, title=f"{project.title} {project.title_en}".strip(), category=category.code,
            street_id=project.street_id if project.street_id is not None else DISTRICT,
            budget=project.budget_cents,
            description=f"{project.description} {project.description_en} {requirements}".strip(),
            category_name=category.name, street_name=street.name if street else "福田区",
            community_id=project.community_id, community_name=project.community.name if project.community else "",
            price=open_need if kind == ProjectKind.PUBLIC_BENEFIT else None,
            project_type=str(project.project_type),
            requirements=Requirements(min_rating_grade=project.min_rating_grade,
                                      min_years_registered=float(project.min_years_registered),
                                      min_staff=project.min_staff,
                                      min_office_area_m2=float(project.min_office_area_m2),
                                      qualifications=REQUIRED_QUALIFICATIONS.get(str(project.project_type), frozenset()))
            if needs_provider
            else Requirements(),
            needs_provider=needs_provider, needs_funding=needs_funding, lots=lot_specs,
            applicant_id=project.organization_id))
        for bid in unit_bids:
            bid_specs.append(BidSpec(project_id=project.id, provider_id=bid.organization_id, price=bid.price_cents,
                                     lot_id=bid.lot_id))
            unit_category = category.code
            if bid.lot is not None and bid.lot.category_id:
                unit_category = categories[bid.lot.category_id].code
            org_codes = {categories[c].code for c in orgs[bid.organization_id].eligibility().category_ids
                         if c in categories}
            if unit_category not in org_codes:
                built.wrong_category.setdefault((project.id, bid.lot_id), set()).add(bid.organization_id)
    for project_id in ids:
        if project_id not in {p.id for p in projects}:
            built.notes.append(_note("project_gone", project_id=project_id))

    pools = pool_specs()
    decision_specs = _decision_specs(decisions, {p.id: p for p in specs}, provider_ids, {p.id for p in pools},
                                     built.notes)
    built.problem = MatchProblem(
        projects=specs, providers=providers, pools=pools, bids=bid_specs, decisions=decision_specs,
        options=MatchOptions(max_provider_share=options.max_provider_share, as_of=now.date(),
                             vocabulary=engine_vocabulary(_vocabulary_district(district_id, projects))))
    built.stats = {"projects": len(specs), "skipped": len(built.skipped), "providers": len(providers),
                   "pools": len(pools), "bids": len(bid_specs), "decisions": len(decision_specs),
                   "build_s": round(time.perf_counter() - started, 3)}
    return built


def _vocabulary_district(district_id: int | None, projects: list[Project]) -> int | None:
    """Whose added words a run uses: its district's; for an administrator's run (no district), the
    district of its projects when they share one, else the city's words alone."""
    if district_id is not None:
        return district_id
    districts = {p.district_id for p in projects}
    return districts.pop() if len(districts) == 1 else None


def _note(code: str, **params: Any) -> dict[str, Any]:
    return {"code": code, "params": params}


def _decision_specs(decisions: Iterable[Any], projects: dict[int, ProjectSpec], provider_ids: set[int],
                    pool_ids: set[int], notes: list[dict[str, Any]]) -> list[Decision]:
    out: list[Decision] = []
    seen: set[tuple] = set()
    for d in sorted(decisions, key=lambda d: d.id):
        if d.revoked_at is not None or d.project_id not in projects:
            continue
        project = projects[d.project_id]
        key = (d.project_id, d.lot_id, d.provider_id, d.pool_id)
        if key in seen:
            continue
        if d.provider_id is not None:
            if d.provider_id not in provider_ids or not project.needs_provider:
                notes.append(_note("decision_ignored_provider", decision_id=d.id, provider_id=d.provider_id,
                                   project_id=d.project_id))
                continue
            if d.kind == "pin" and project.lots and d.lot_id is None:
                notes.append(_note("decision_ignored_lot_pin", decision_id=d.id, project_id=d.project_id))
                continue
        elif d.pool_id not in pool_ids or not project.needs_funding:
            notes.append(_note("decision_ignored_pool", decision_id=d.id, pool_id=d.pool_id, project_id=d.project_id))
            continue
        # The latest decision on a pair wins over an older opposite one.
        opposite = [i for i, o in enumerate(out) if (o.project_id, o.lot_id, o.provider_id, o.pool_id) == key]
        for i in reversed(opposite):
            out.pop(i)
        seen.add(key)
        maker = Decision.pin if d.kind == "pin" else Decision.forbid
        out.append(maker(d.project_id, provider_id=d.provider_id, pool_id=d.pool_id, lot_id=d.lot_id,
                         note=d.reason[:200]))
    # A forbid on a whole project and a pin on one of its lots for the same provider contradict:
    # keep the newer one (the later in the list).
    cleaned: list[Decision] = []
    for dec in reversed(out):
        clash = any(o.provider_id is not None and o.provider_id == dec.provider_id and o.project_id == dec.project_id
                    and o.kind != dec.kind and (o.lot_id is None or dec.lot_id is None) for o in cleaned)
        if not clash:
            cleaned.append(dec)
    return list(reversed(cleaned))


# ---------------------------------------------------------------- solving

def _add_wrong_category_bidders(built: Built, candidates: CandidateSet) -> CandidateSet:
    """Bidders outside a unit's category become candidates with a low category component."""
    if not built.wrong_category:
        return candidates
    problem = built.problem
    weights = problem.options.weights
    providers = dict(candidates.providers)
    for (project_id, lot_id), provider_ids in sorted(built.wrong_category.items(), key=lambda kv: (kv[0][0], id_key(kv[0][1]))):
        project = problem.project(project_id)
        lot = next((x for x in project.lots if x.id == lot_id), None)
        category = (lot.category if lot and lot.category else project.category)
        extra: list[Candidate] = []
        for provider_id in sorted(provider_ids):
            provider = problem.provider(provider_id)
            widened = dataclasses.replace(provider, categories=provider.categories + (category,))
            mini = MatchProblem(
                projects=[project], providers=[widened],
                bids=[b for b in problem.bids if b.project_id == project_id and b.provider_id == provider_id],
                decisions=[d for d in problem.decisions if d.project_id == project_id
                           and (d.provider_id == provider_id)],
                options=problem.options)
            if check_pair(mini, project_id, provider_id, lot_id) is not None:
                continue
            price = next(b.price for b in mini.bids if b.lot_id == lot_id)
            needs = project.text if lot is None else f"{lot.title} {lot.description} {project.text}"
            text, matched = text_component(needs, widened, category, vocabulary=problem.options.vocabulary,
                                           mode=problem.options.text_mode)
            _, components = score_pair(project, widened, lot=lot, price=price, weights=weights,
                                       mode=problem.options.text_mode, text_similarity=text)
            components["category"] = WRONG_CATEGORY_SCORE
            extra.append(Candidate(project_id, provider_id, combine(components, weights), components, price, lot_id,
                                   matched_skills=matched))
        if extra:
            key = (project_id, lot_id)
            merged = list(providers.get(key, ())) + extra
            merged.sort(key=lambda c: (-c.score, id_key(c.provider_id)))
            providers[key] = tuple(merged)
    return dataclasses.replace(candidates, providers=providers)


def solve_built(built: Built, options: RunOptions,
                progress: Callable[[int, str], None] | None = None) -> dict[str, Any]:
    """Run the engine on a built problem; return the result as plain JSON-ready data."""
    report = progress or (lambda pct, note: None)
    problem = built.problem
    started = time.perf_counter()
    report(35, "candidates")
    candidates = generate_candidates(problem)
    candidates = _add_wrong_category_bidders(built, candidates)
    candidates_s = time.perf_counter() - started
    report(60, "optimising")
    if problem.projects:
        result = solve(problem, candidates=candidates, solver=options.solver, time_limit=options.time_limit,
                       gap=options.gap)
    else:
        result = MatchResult("no_candidates", 0.0, 0.0, 0.0, (), (), (), "", 0.0)
    result = tidy_funding(problem, result)
    report(90, "saving")
    return result_to_json(result, built, candidates_s=candidates_s, pairs=candidates.pair_count,
                          ranking=ranking_of(candidates))


def ranking_of(candidates: CandidateSet) -> dict[tuple[Any, Any], list[tuple[Any, float]]]:
    """``(project_id, lot_id) -> [(provider_id, score), ...]``, best first, as the engine ranked them."""
    return {key: [(c.provider_id, c.score) for c in ranked] for key, ranked in candidates.providers.items()}


def _rank(ranking: dict[tuple[Any, Any], list[tuple[Any, float]]], project_id: Any, lot_id: Any,
          provider_id: Any) -> dict[str, Any]:
    """Where the chosen provider stood in the engine's ranking of the unit: ``rank`` is 1 + the number
    of candidates with a strictly higher score (ties share a rank), ``first_choice`` the best one."""
    ranked = ranking.get((project_id, lot_id), [])
    if provider_id is None or not ranked:
        return {}
    chosen = next((score for pid, score in ranked if pid == provider_id), None)
    best_id, best_score = ranked[0]
    rank = 1 + sum(1 for _pid, score in ranked if chosen is not None and score > chosen + 1e-9)
    return {"rank": rank if chosen is not None else None, "candidates": len(ranked),
            "first_choice": {"provider_id": best_id, "score": round(best_score, 6)}}


def tidy_funding(problem: MatchProblem, result: MatchResult) -> MatchResult:
    """Fold crumbs of funding (under 1 yuan or 0.1 % of the cost, left by the solver's rounding)
    into another pool of the same project when that pool's money left and caps allow it."""
    pools = {p.id: p for p in problem.pools}
    used: dict[Any, int] = defaultdict(int)
    by_project: dict[Any, list[int]] = defaultdict(list)
    for index, a in enumerate(result.assignments):
        by_project[a.project_id].append(index)
        for f in a.funding:
            used[f.pool_id] += f.amount
    assignments = list(result.assignments)
    for indexes in by_project.values():
        cost = sum(assignments[i].cost for i in indexes)
        totals: dict[Any, int] = defaultdict(int)
        for i in indexes:
            for f in assignments[i].funding:
                totals[f.pool_id] += f.amount
        for i in indexes:
            a = assignments[i]
            funding = {f.pool_id: f.amount for f in a.funding}
            threshold = max(100, a.cost // 1000)
            for crumb in sorted(funding, key=lambda p: (funding[p], id_key(p))):
                amount = funding[crumb]
                if amount >= threshold or len([p for p in funding if funding[p]]) < 2:
                    continue
                for other in sorted(funding, key=lambda p: (-funding[p], id_key(p))):
                    if other == crumb or not funding[other] or other not in pools:
                        continue
                    if used[other] + amount > pools[other].remaining or \
                            totals[other] + amount > pools[other].cap_for(cost):
                        continue
                    funding[other] += amount
                    funding[crumb] = 0
                    totals[other] += amount
                    totals[crumb] -= amount
                    used[other] += amount
                    used[crumb] -= amount
                    break
            assignments[i] = dataclasses.replace(a, funding=tuple(
                Funding(p, v) for p, v in sorted(funding.items(), key=lambda kv: id_key(kv[0])) if v > 0))
    return dataclasses.replace(result, assignments=tuple(assignments))


def result_to_json(result: MatchResult, built: Built, *, candidates_s: float = 0.0, pairs: int = 0,
                   ranking: dict[tuple[Any, Any], list[tuple[Any, float]]] | None = None) -> dict[str, Any]:
    ranking = ranking or {}
    unmatched = [{"project_id": u.project_id, "lot_id": u.lot_id, **u.reason.as_dict()} for u in result.unmatched]
    return {
        "status": result.status, "objective": result.objective, "bound": result.bound, "gap": result.gap,
        "solver": result.solver, "seconds": round(result.seconds, 3),
        "notes": [n.as_dict() for n in result.notes] + built.notes,
        "assignments": [{"project_id": a.project_id, "lot_id": a.lot_id, "provider_id": a.provider_id,
                         "score": round(a.score, 6), "components": {k: round(v, 6) for k, v in a.components.items()},
                         "cost": a.cost, "pinned": a.pinned,
                         "funding": [{"pool_id": f.pool_id, "amount": f.amount} for f in a.funding],
                         **_matched(a.matched_skills),
                         **_rank(ranking, a.project_id, a.lot_id, a.provider_id)}
                        for a in result.assignments],
        "unmatched": built.skipped + unmatched,
        "binding": [b.as_dict() for b in result.binding],
        "wrong_category": sorted([p, lot, prov] for (p, lot), provs in built.wrong_category.items() for prov in provs),
        "stats": {**built.stats, "candidate_pairs": pairs, "candidates_s": round(candidates_s, 3),
                  "solve_s": round(result.seconds, 3)},
    }


def _matched(skills: Iterable[MatchedSkill]) -> dict[str, Any]:
    """``{"matched_skills": [...]}`` when the engine matched skills of the vocabulary, else nothing."""
    matched = [{"skill": m.skill, "project_term": m.project_term, "provider_term": m.provider_term} for m in skills]
    return {"matched_skills": matched} if matched else {}


def group_assignments(result: dict[str, Any]) -> dict[int, list[dict[str, Any]]]:
    """Assignments of a stored result grouped by project id (lots in order)."""
    grouped: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for a in result.get("assignments", []):
        grouped[int(a["project_id"])].append(a)
    return dict(grouped)
