"""Units of work (a whole project or one lot) and the hard filters of one (unit, provider) pair.

>>> from matching.types import ProviderSpec
>>> proj = ProjectSpec(id=1, title="助餐", category="elderly", street_id="s1", budget=100)
>>> prov = ProviderSpec(id="a", name="A", categories=["elderly"], streets=["s2"])
>>> check_pair(MatchProblem(projects=[proj], providers=[prov]), 1, "a")
'area'
"""

from __future__ import annotations

from dataclasses import dataclass

from ..score import serves_area
from ..types import Id, LotSpec, MatchProblem, ProjectSpec, ProviderSpec, UnitKey

__all__ = ["Unit", "units_of", "bids_by_unit", "forbidden_providers", "check_pair", "first_failed_filter",
           "Bids", "Forbidden"]

#: Bid prices: ``(project_id, lot_id) -> provider_id -> fen``.
Bids = dict[UnitKey, dict[Id, int]]
#: Forbidden providers: ``(project_id, lot_id or None) -> provider ids`` (None = every lot).
Forbidden = dict[UnitKey, set[Id]]


@dataclass(frozen=True, slots=True)
class Unit:
    """One thing a provider is assigned to: a whole project or one lot of it."""

    key: UnitKey
    project: ProjectSpec
    lot: LotSpec | None
    category: str
    budget: int
    cost: int  # cost when there is no bid
    text: str
    #: What the unit buys: the lot's type, else the project's (``"service"``, ``"works"``, ``"goods"``).
    project_type: str = "service"
    #: Qualifications a provider must hold: the project's, and the lot's own.
    qualifications: frozenset[str] = frozenset()

    @property
    def project_id(self) -> Id:
        return self.key[0]


def units_of(project: ProjectSpec) -> list[Unit]:
    """The units (whole project, or its lots) of a project that needs a provider.

    >>> p = ProjectSpec(id=1, title="t", category="c", street_id="s", budget=10)
    >>> [u.key for u in units_of(p)]
    [(1, None)]
    """
    if not project.needs_provider:
        return []
    required = frozenset(project.requirements.qualifications)
    if not project.lots:
        return [Unit((project.id, None), project, None, project.category, project.budget,
                     project.cost_without_bids, project.text, project.project_type, required)]
    return [Unit((project.id, lot.id), project, lot, lot.category or project.category,
                 lot.budget, lot.budget, f"{lot.title} {lot.description} {project.text}".strip(),
                 lot.project_type or project.project_type, required | frozenset(lot.qualifications))
            for lot in project.lots]


def bids_by_unit(problem: MatchProblem) -> Bids:
    """Bid prices by unit and provider."""
    out: Bids = {}
    for bid in problem.bids:
        out.setdefault((bid.project_id, bid.lot_id), {})[bid.provider_id] = bid.price
    return out


def forbidden_providers(problem: MatchProblem) -> Forbidden:
    """``(project_id, lot_id or None) -> forbidden provider ids`` (None = every lot)."""
    out: Forbidden = {}
    for dec in problem.decisions:
        if dec.kind == "forbid" and dec.provider_id is not None:
            out.setdefault((dec.project_id, dec.lot_id), set()).add(dec.provider_id)
    return out


def check_pair(problem: MatchProblem, project_id: Id, provider_id: Id,
               lot_id: Id | None = None) -> str | None:
    """The first hard filter that the pair fails, or ``None`` if it is eligible.

    Parameters
    ----------
    problem : MatchProblem
    project_id, provider_id : Id
    lot_id : Id, optional

    Returns
    -------
    str or None
        One of ``FilterFunnel.STAGES``.

    Examples
    --------
    >>> from matching.types import ProviderSpec
    >>> proj = ProjectSpec(id=1, title="助餐", category="elderly", street_id="s1", budget=100)
    >>> prov = ProviderSpec(id="a", name="A", categories=["elderly"], streets=["s2"])
    >>> check_pair(MatchProblem(projects=[proj], providers=[prov]), 1, "a")
    'area'
    """
    project = problem.project(project_id)
    provider = problem.provider(provider_id)
    unit = next((u for u in units_of(project) if u.key == (project_id, lot_id)), None)
    if unit is None:
        raise ValueError(f"lot_id: project {project_id!r} has no unit {lot_id!r}")
    return first_failed_filter(problem, unit, provider, bids_by_unit(problem).get(unit.key),
                               forbidden_providers(problem))


def first_failed_filter(problem: MatchProblem, unit: Unit, provider: ProviderSpec,
                        bids: dict[Id, int] | None, forbidden: Forbidden) -> str | None:
    """The first of ``FilterFunnel.STAGES`` that the pair fails, or ``None``."""
    project = unit.project
    required = project.requirements
    if unit.category not in provider.categories:
        return "category"
    if unit.project_type not in provider.supplies:
        return "supplies"
    if provider.capacity <= 0:
        return "capacity"
    if not serves_area(provider, project.street_id, project.community_id):
        return "area"
    if not required.met_by(provider, problem.options.as_of) or not unit.qualifications <= frozenset(provider.qualifications):
        return "requirements"
    if bids is not None and (provider.id not in bids or bids[provider.id] > unit.budget):
        return "bids"
    if project.id in provider.conflict_project_ids or (
            project.applicant_id is not None and project.applicant_id in provider.conflict_org_ids):
        return "conflicts"
    lot_id = unit.key[1]
    if provider.id in forbidden.get((project.id, None), ()) or (
            lot_id is not None and provider.id in forbidden.get((project.id, lot_id), ())):
        return "decisions"
    return None
