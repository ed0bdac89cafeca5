"""What the engine returns: candidates (with their filter funnels) and the matching result.

>>> Funding(pool_id="f", amount=100).amount
100
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..reasons import Reason
from ..vocabulary import MatchedSkill
from .common import Id, UnitKey

__all__ = ["Candidate", "PoolCandidate", "FilterFunnel", "CandidateSet", "Funding", "Assignment",
           "Unmatched", "MatchResult"]


@dataclass(frozen=True, slots=True)
class Candidate:
    """A provider that passed the hard filters for a project (lot), with its score.

    ``components`` holds every score component in [0, 1] (see :class:`ScoreWeights`);
    ``price`` is the cost in fen if this provider delivers (its bid, else the project's price
    or budget); ``matched_skills`` the skills of the sector vocabulary that the project's
    needs and the provider's profile both name (see :mod:`matching.vocabulary`).
    """

    project_id: Id
    provider_id: Id
    score: float
    components: dict[str, float]
    price: int
    lot_id: Id | None = None
    matched_skills: tuple[MatchedSkill, ...] = ()


@dataclass(frozen=True, slots=True)
class PoolCandidate:
    """A pool eligible to fund a project; ``rank`` 0 is preferred (specific focus first)."""

    project_id: Id
    pool_id: Id
    rank: int
    specific: bool


@dataclass(frozen=True, slots=True)
class FilterFunnel:
    """How many providers survived each hard filter, in order, for one project (lot).

    The first stage that reaches 0 explains why a project has no candidate.
    """

    category: int = 0
    #: Of those, the providers that supply the unit's type (service, goods or works).
    supplies: int = 0
    capacity: int = 0
    area: int = 0
    requirements: int = 0
    bids: int = 0
    conflicts: int = 0
    decisions: int = 0
    bid_count: int = 0

    STAGES = ("category", "supplies", "capacity", "area", "requirements", "bids", "conflicts", "decisions")

    def first_empty(self) -> str | None:
        """Name of the first stage with no provider left, or ``None``."""
        for stage in self.STAGES:
            if getattr(self, stage) == 0:
                return stage
        return None


@dataclass(frozen=True)
class CandidateSet:
    """Output of :func:`matching.candidates.generate_candidates`.

    Attributes
    ----------
    providers : dict
        ``(project_id, lot_id) -> tuple of Candidate``, best first.
    pools : dict
        ``project_id -> tuple of PoolCandidate`` for projects that need funding.
    funnels : dict
        ``(project_id, lot_id) -> FilterFunnel``.
    pool_funnels : dict
        ``project_id -> (eligible by category, + by area, + not forbidden)`` pool counts.
    pin_errors : tuple of Reason
        Pinned pairs that fail a hard filter (``pin_fails_filter``, ``pinned_pool_not_eligible``):
        they make the problem infeasible.
    stats : dict
        Timings and counts of the generation.
    """

    providers: dict[UnitKey, tuple[Candidate, ...]]
    pools: dict[Id, tuple[PoolCandidate, ...]]
    funnels: dict[UnitKey, FilterFunnel] = field(default_factory=dict)
    pool_funnels: dict[Id, tuple[int, int, int]] = field(default_factory=dict)
    pin_errors: tuple[Reason, ...] = ()
    stats: dict[str, Any] = field(default_factory=dict)

    def for_project(self, project_id: Id, lot_id: Id | None = None) -> tuple[Candidate, ...]:
        """Candidates of one project (lot), best first (empty if none)."""
        return self.providers.get((project_id, lot_id), ())

    @property
    def pair_count(self) -> int:
        """Number of (project, provider) candidate pairs."""
        return sum(len(v) for v in self.providers.values())


@dataclass(frozen=True, slots=True)
class Funding:
    """``amount`` fen paid by pool ``pool_id``."""

    pool_id: Id
    amount: int


@dataclass(frozen=True, slots=True)
class Assignment:
    """A matched project (or lot): provider, score with components, cost and funding split.

    ``provider_id`` is ``None`` for a project that only needed funding.  ``funding`` sums
    exactly to ``cost`` when the project needs funding, and is empty otherwise.
    ``matched_skills`` are the chosen candidate's (:attr:`Candidate.matched_skills`).
    """

    project_id: Id
    provider_id: Id | None
    score: float
    components: dict[str, float]
    cost: int
    funding: tuple[Funding, ...] = ()
    lot_id: Id | None = None
    pinned: bool = False
    matched_skills: tuple[MatchedSkill, ...] = ()

    @property
    def funded(self) -> int:
        """Total funding in fen."""
        return sum(f.amount for f in self.funding)


@dataclass(frozen=True, slots=True)
class Unmatched:
    """A project (or lot) left without a match, and why (a :class:`~matching.reasons.Reason`).

    >>> from matching.reasons import render
    >>> u = Unmatched("p1", Reason("pools_exhausted", {"needed": 500, "left": 200}))
    >>> u.reason_code, render(u.reason)
    ('pools_exhausted', 'pools exhausted: needs 5, 2 left')
    """

    project_id: Id
    reason: Reason
    lot_id: Id | None = None

    @property
    def reason_code(self) -> str:
        """The reason's code."""
        return self.reason.code

    @property
    def params(self) -> dict[str, Any]:
        """The reason's parameters."""
        return self.reason.params


@dataclass(frozen=True)
class MatchResult:
    """Outcome of :func:`matching.optimize.solve`.

    Attributes
    ----------
    status : {"optimal", "feasible", "infeasible", "no_candidates"}
        ``optimal`` = the bound has closed: within the requested relative gap (as the solver
        measures it, tie-breaking terms included, so ``gap`` may exceed it by up to 2e-7) or
        within the solvers' absolute tolerance; ``feasible`` = a verified solution whose bound
        has not closed (time limit, or value lost making the solution integral); ``infeasible`` = official decisions cannot be met (no
        assignments); ``no_candidates`` = nothing could be matched at all.
    objective : float
        Score-weighted value of the assignments: sum of ``priority * score * budget`` (fen)
        over matched projects (lots), or of ``priority * score`` if not weighting by budget.
    bound : float
        Proven upper bound on the objective (LP relaxation or the MIP solver's bound);
        ``inf`` if none is known (the solver failed and a greedy fallback was used).
    gap : float
        ``(bound - objective) / bound``, 0 when the bound is 0, ``inf`` when it is unknown.
    assignments : tuple of Assignment
        Sorted by project id, then lot id.
    unmatched : tuple of Unmatched
    binding : tuple of Reason
        Constraints at their limit: ``pool_budget``, ``pool_project_cap`` (per-project maximum
        or co-funding share), ``provider_capacity``, ``provider_share``, ``pinned_provider``,
        ``pinned_pool`` (see :mod:`matching.reasons` for their parameters).
    solver : str
        Solver actually used ("cbc" or "highs"), or "" if none was needed.
    seconds : float
        Wall time of the :func:`solve` call (``stats["candidates_s"]`` of it generating
        candidates, which the time limit does not cover).
    notes : tuple of Reason
        Anything else worth telling the reviewer: solver fallbacks, solutions discarded, why
        official decisions cannot all be met.
    stats : dict
        Model sizes and phase timings.
    """

    status: str
    objective: float
    bound: float
    gap: float
    assignments: tuple[Assignment, ...]
    unmatched: tuple[Unmatched, ...]
    binding: tuple[Reason, ...]
    solver: str
    seconds: float
    notes: tuple[Reason, ...] = ()
    stats: dict[str, Any] = field(default_factory=dict)

    def assignment_for(self, project_id: Id, lot_id: Id | None = None) -> Assignment | None:
        """The assignment of a project (lot), or ``None``."""
        for a in self.assignments:
            if a.project_id == project_id and a.lot_id == lot_id:
                return a
        return None

    def pool_totals(self) -> dict[Id, int]:
        """Total fen paid by each pool."""
        totals: dict[Id, int] = {}
        for a in self.assignments:
            for f in a.funding:
                totals[f.pool_id] = totals.get(f.pool_id, 0) + f.amount
        return totals
