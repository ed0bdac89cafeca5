"""Plain frozen dataclasses for participatory-budgeting elections and their outcomes.

Numbers (costs, budgets, points) are kept exact: ``int`` when integral, otherwise
``fractions.Fraction``. Floats and ``Decimal`` are accepted on input and converted
exactly (a float is read through its shortest ``repr``, so ``0.1`` means one tenth).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from numbers import Rational
from operator import attrgetter
from typing import cast

Number = int | Fraction
"""An exact number: ``int`` when integral, ``Fraction`` otherwise."""

BALLOT_TYPES = ("approval", "choose-1", "cumulative", "scoring", "ordinal")
"""Pabulib ``vote_type`` values. Knapsack ballots are stored as ``approval`` (as Pabulib does)."""

APPROVAL_TYPES = frozenset({"approval", "choose-1"})
SCORED_TYPES = frozenset({"cumulative", "scoring"})

# Characters that would break the Pabulib vote lists or the section layout.
_FORBIDDEN_ID_CHARS = (",", ";", "\n", "\r", '"')


def as_number(value: object, field_name: str) -> Number:
    """Convert ``value`` to an exact number, raising ValueError naming ``field_name``.

    Parameters
    ----------
    value : int, Fraction, Decimal, float or str
        The value to convert. Strings may use a decimal comma, as some Pabulib files do.
    field_name : str
        Name used in the error message.

    Returns
    -------
    int or Fraction
        ``int`` when the value is integral.

    Examples
    --------
    >>> as_number("735616.25", "budget")
    Fraction(2942465, 4)
    >>> as_number(12.0, "cost")
    12
    """
    if isinstance(value, bool):
        raise ValueError(f"{field_name}: expected a number, got a bool")
    try:
        if isinstance(value, int | Rational):
            number = Fraction(value)
        elif isinstance(value, Decimal):
            if not value.is_finite():
                raise ValueError
            number = Fraction(value)
        elif isinstance(value, float):
            if not math.isfinite(value):
                raise ValueError
            number = Fraction(repr(value))
        elif isinstance(value, str):
            number = Fraction(value.strip().replace(",", "."))
        else:
            raise ValueError
    except (ValueError, ZeroDivisionError):
        raise ValueError(f"{field_name}: expected a finite number, got {value!r}") from None
    return int(number) if number.denominator == 1 else number


def _as_pairs(value: object, field_name: str) -> tuple[tuple[str, str], ...]:
    """Normalise a mapping or an iterable of pairs into a tuple of (str, str) pairs."""
    items = cast("Iterable[tuple[object, object]]", value.items() if isinstance(value, Mapping) else value)
    try:
        pairs = tuple((str(k), str(v)) for k, v in items)
    except (TypeError, ValueError):
        raise ValueError(f"{field_name}: expected a mapping or (key, value) pairs") from None
    keys = [k for k, _ in pairs]
    if len(set(keys)) != len(keys):
        raise ValueError(f"{field_name}: duplicate keys")
    return pairs


def _check_id(value: object, field_name: str) -> str:
    if not isinstance(value, str) or not value.strip() or value != value.strip():
        raise ValueError(f"{field_name}: expected a non-empty string without surrounding spaces, got {value!r}")
    if any(ch in value for ch in _FORBIDDEN_ID_CHARS):
        raise ValueError(f'{field_name}: {value!r} contains one of , ; " or a line break')
    return value


@dataclass(frozen=True)
class PBProject:
    """A project residents can vote for.

    Parameters
    ----------
    id : str
        Unique identifier (Pabulib ``project_id``); ties are broken on it by default.
    cost : int or Fraction
        Non-negative cost.
    name : str
        Human-readable title (may be empty).
    attributes : tuple of (str, str)
        Other Pabulib project columns (``votes``, ``category``...), kept verbatim.

    Examples
    --------
    >>> PBProject("p1", 300, "Bike racks").cost
    300
    """

    id: str
    cost: Number
    name: str = ""
    attributes: tuple[tuple[str, str], ...] = ()

    def __post_init__(self) -> None:
        _check_id(self.id, "project.id")
        cost = as_number(self.cost, f"project {self.id!r} cost")
        if cost < 0:
            raise ValueError(f"project {self.id!r} cost: must be >= 0, got {cost}")
        object.__setattr__(self, "cost", cost)
        if not isinstance(self.name, str):
            raise ValueError(f"project {self.id!r} name: expected a string")
        object.__setattr__(self, "attributes", _as_pairs(self.attributes, f"project {self.id!r} attributes"))

    def attribute(self, key: str, default: str | None = None) -> str | None:
        """Value of an extra Pabulib column, or ``default``."""
        return dict(self.attributes).get(key, default)


@dataclass(frozen=True)
class Ballot:
    """One voter's ballot.

    Parameters
    ----------
    voter_id : str
        Unique voter identifier.
    projects : tuple of str
        Project ids. For ``ordinal`` ballots the order is the ranking (best first);
        otherwise the order is kept only for faithful round trips.
    points : tuple of numbers
        Points given to ``projects`` (same length) for ``cumulative``/``scoring``
        ballots; empty for the other ballot types.
    attributes : tuple of (str, str)
        Other Pabulib vote columns (``age``, ``sex``...), kept verbatim.

    Examples
    --------
    >>> Ballot("v1", ("p1", "p2")).projects
    ('p1', 'p2')
    """

    voter_id: str
    projects: tuple[str, ...]
    points: tuple[Number, ...] = ()
    attributes: tuple[tuple[str, str], ...] = ()

    def __post_init__(self) -> None:
        _check_id(self.voter_id, "ballot.voter_id")
        if isinstance(self.projects, str):
            raise ValueError(f"ballot {self.voter_id!r} projects: expected a sequence of ids, got a string")
        projects = tuple(self.projects)
        if len(set(projects)) != len(projects):
            raise ValueError(f"ballot {self.voter_id!r} projects: a project appears twice")
        object.__setattr__(self, "projects", projects)
        points = tuple(as_number(p, f"ballot {self.voter_id!r} points") for p in self.points)
        if points and len(points) != len(projects):
            raise ValueError(f"ballot {self.voter_id!r} points: {len(points)} points for {len(projects)} projects")
        object.__setattr__(self, "points", points)
        object.__setattr__(self, "attributes", _as_pairs(self.attributes, f"ballot {self.voter_id!r} attributes"))

    def attribute(self, key: str, default: str | None = None) -> str | None:
        """Value of an extra Pabulib vote column, or ``default``."""
        return dict(self.attributes).get(key, default)


@dataclass(frozen=True)
class Election:
    """A participatory-budgeting election: projects, ballots and a budget.

    Parameters
    ----------
    projects : tuple of PBProject
        Projects with unique ids.
    ballots : tuple of Ballot
        Ballots with unique voter ids; every project they mention must exist.
        Empty ballots are allowed and count as voters (they matter for the
        Method of Equal Shares, which splits the budget among all voters).
    budget : int or Fraction
        Total budget (non-negative).
    ballot_type : str
        One of ``approval``, ``choose-1``, ``cumulative``, ``scoring``, ``ordinal``.
    meta : tuple of (str, str)
        Pabulib META entries, in file order, except ``budget`` and ``vote_type``
        (the fields above) and ``num_projects``/``num_votes`` (derived); a mapping
        is accepted too.

    Attributes
    ----------
    ballot_counts : tuple of (tuple of str, int)
        How many ballots name each distinct tuple of projects, in order of first
        appearance (computed once, while validating; the rules work on groups).

    Raises
    ------
    ValueError
        Naming the offending field.

    Examples
    --------
    >>> e = Election((PBProject("a", 60), PBProject("b", 50)),
    ...              (Ballot("1", ("a",)), Ballot("2", ("a", "b"))), budget=100)
    >>> e.votes()
    {'a': 2, 'b': 1}
    """

    projects: tuple[PBProject, ...]
    ballots: tuple[Ballot, ...]
    budget: Number
    ballot_type: str = "approval"
    meta: tuple[tuple[str, str], ...] = field(default=())
    ballot_counts: tuple[tuple[tuple[str, ...], int], ...] = field(init=False, repr=False, compare=False, hash=False)

    def __post_init__(self) -> None:
        projects = tuple(self.projects)
        for index, project in enumerate(projects):
            if not isinstance(project, PBProject):
                raise ValueError(f"projects[{index}]: expected a PBProject, got {type(project).__name__}")
        ids = [p.id for p in projects]
        if len(set(ids)) != len(ids):
            seen: set[str] = set()
            duplicate = next(i for i in ids if i in seen or seen.add(i))  # type: ignore[func-returns-value]
            raise ValueError(f"projects: duplicate project id {duplicate!r}")
        object.__setattr__(self, "projects", projects)

        budget = as_number(self.budget, "budget")
        if budget < 0:
            raise ValueError(f"budget: must be >= 0, got {budget}")
        object.__setattr__(self, "budget", budget)

        if self.ballot_type not in BALLOT_TYPES:
            raise ValueError(f"ballot_type: expected one of {', '.join(BALLOT_TYPES)}, got {self.ballot_type!r}")

        ballots = tuple(self.ballots)
        known = set(ids)
        voter_ids: set[str] = set()
        scored = self.ballot_type in SCORED_TYPES
        for index, ballot in enumerate(ballots):
            if not isinstance(ballot, Ballot):
                raise ValueError(f"ballots[{index}]: expected a Ballot, got {type(ballot).__name__}")
            if ballot.voter_id in voter_ids:
                raise ValueError(f"ballots[{index}].voter_id: duplicate voter id {ballot.voter_id!r}")
            voter_ids.add(ballot.voter_id)
            if scored:
                if len(ballot.points) != len(ballot.projects):
                    raise ValueError(
                        f"ballots[{index}].points: {self.ballot_type} ballots need one point value per project"
                    )
                if self.ballot_type == "cumulative" and any(p < 0 for p in ballot.points):
                    raise ValueError(f"ballots[{index}].points: cumulative points must be >= 0")
            elif ballot.points:
                raise ValueError(f"ballots[{index}].points: {self.ballot_type} ballots carry no points")
        counts = Counter(map(attrgetter("projects"), ballots))
        for chosen in counts:
            unknown = [p for p in chosen if p not in known]
            if unknown or (self.ballot_type == "choose-1" and len(chosen) > 1):
                index = next(i for i, b in enumerate(ballots) if b.projects == chosen)
                if unknown:
                    raise ValueError(f"ballots[{index}].projects: unknown project id {unknown[0]!r}")
                raise ValueError(f"ballots[{index}].projects: choose-1 ballots name at most one project")
        object.__setattr__(self, "ballots", ballots)
        object.__setattr__(self, "ballot_counts", tuple(counts.items()))
        meta = _as_pairs(self.meta, "meta")
        object.__setattr__(self, "meta", meta)

    @property
    def project_ids(self) -> tuple[str, ...]:
        """Project ids in election order."""
        return tuple(p.id for p in self.projects)

    def project(self, project_id: str) -> PBProject:
        """The project with this id (KeyError if absent)."""
        for project in self.projects:
            if project.id == project_id:
                return project
        raise KeyError(project_id)

    def meta_value(self, key: str, default: str | None = None) -> str | None:
        """A META entry, or ``default``."""
        return dict(self.meta).get(key, default)

    def votes(self) -> dict[str, int]:
        """Number of ballots naming each project (approvals, or appearances in a ranking)."""
        counts = dict.fromkeys(self.project_ids, 0)
        for chosen, multiplicity in self.ballot_counts:
            for project_id in chosen:
                counts[project_id] += multiplicity
        return counts

    def scores(self) -> dict[str, Number]:
        """Total score per project, the quantity the greedy rule sorts by.

        * approval / choose-1: number of approvals;
        * cumulative / scoring: sum of points;
        * ordinal: Pabulib's positional score, a project at (0-based) position ``i``
          of a ballot ranking ``L`` projects gets ``L - i`` points (this reproduces
          the ``score`` column of Pabulib's ordinal files).
        """
        if self.ballot_type in APPROVAL_TYPES:
            return dict[str, Number](self.votes())
        # ints stay ints (fast); a Fraction point makes that total a Fraction.
        totals: dict[str, Number] = {p.id: 0 for p in self.projects}
        for ballot in self.ballots:
            if self.ballot_type == "ordinal":
                length = len(ballot.projects)
                for position, project_id in enumerate(ballot.projects):
                    totals[project_id] += length - position
            else:
                for project_id, points in zip(ballot.projects, ballot.points, strict=True):
                    totals[project_id] += points
        return {k: _normalise(v) for k, v in totals.items()}


def _normalise(value: Number) -> Number:
    if isinstance(value, Fraction) and value.denominator == 1:
        return int(value)
    return value


@dataclass(frozen=True)
class ProjectExplanation:
    """Why one project was or was not selected, in words residents can read.

    Parameters
    ----------
    project_id : str
        The project.
    selected : bool
        Whether the rule funded it.
    reason : str
        One sentence, e.g. ``"selected in round 3: 412 supporters paid 29.10 each"``.
    round : int or None
        Round in which it was selected (1-based), if the rule works in rounds.
    """

    project_id: str
    selected: bool
    reason: str
    round: int | None = None


@dataclass(frozen=True)
class PBResult:
    """Outcome of a rule.

    Parameters
    ----------
    rule : str
        Registry name of the rule (``greedy``, ``mes``...).
    selected : tuple of str
        Selected project ids, in the order the rule selected them.
    cost : int or Fraction
        Total cost of the selected projects.
    explanations : tuple of ProjectExplanation
        One per project of the election, in election order.
    details : tuple of (str, str)
        Rule-specific facts (e.g. the per-voter budget MES ended with).
    """

    rule: str
    selected: tuple[str, ...]
    cost: Number
    explanations: tuple[ProjectExplanation, ...] = ()
    details: tuple[tuple[str, str], ...] = ()

    def explanation(self, project_id: str) -> ProjectExplanation:
        """The explanation for one project (KeyError if absent)."""
        for item in self.explanations:
            if item.project_id == project_id:
                return item
        raise KeyError(project_id)

    def to_json_dict(self) -> dict[str, object]:
        """``{"rule", "selected" (sorted ids), "cost"}`` with a JSON-friendly cost.

        Integral costs become ``int``; others a ``float``.

        Examples
        --------
        >>> PBResult("greedy", ("b", "a"), 110).to_json_dict()
        {'rule': 'greedy', 'selected': ['a', 'b'], 'cost': 110}
        """
        cost = self.cost if isinstance(self.cost, int) else float(self.cost)
        return {"rule": self.rule, "selected": sorted(self.selected), "cost": cost}


def total_cost(election: Election, project_ids: Iterable[str]) -> Number:
    """Exact total cost of some projects of ``election``.

    Examples
    --------
    >>> e = Election((PBProject("a", 60), PBProject("b", 50)), (), budget=100)
    >>> total_cost(e, ["a", "b"])
    110
    """
    costs = {p.id: p.cost for p in election.projects}
    total = sum((Fraction(costs[i]) for i in project_ids), Fraction(0))
    return int(total) if total.denominator == 1 else total
