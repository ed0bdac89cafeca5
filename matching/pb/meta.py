"""What a Pabulib file's META section says about how the city counted its vote.

* :func:`meta_rule` -- the ``rule`` key (``greedy``, ``greedy-no-skip``, ``equalshares/add1``...);
* :func:`meta_number` -- a numeric parameter such as ``min_project_score_threshold``;
* :func:`city_scores` -- the score the city ranked projects by: the file's ``score`` column, else
  its ``votes`` column on approval and choose-1 ballots, else counted from the ballots;
* :func:`rank_points` -- points for ordinal ballots: the ballot's own ``points`` (Polish cities
  that give 4/3/2/1 points by position store them so), otherwise ``scoring_fn`` (Borda);
* :func:`ballot_limit_breaches` -- ballots outside the limits the ballot paper set
  (``min_length``, ``max_sum_cost``, ``max_sum_points``...).

Reference: https://pabulib.org/format.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction

from matching.pb.model import APPROVAL_TYPES, Ballot, Election, Number, as_number

SENTINEL_COST = 999_999_999
"""A cost Pabulib uses for a project admitted to the ballot but withdrawn later: never funded."""

BALLOT_LIMITS = (
    "min_length",
    "max_length",
    "min_sum_cost",
    "max_sum_cost",
    "min_points",
    "max_points",
    "min_sum_points",
    "max_sum_points",
)
"""META keys limiting what one ballot may contain."""


def meta_rule(election: Election) -> str:
    """The META ``rule`` value (ValueError when missing).

    Examples
    --------
    >>> from matching.pb.model import PBProject
    >>> meta_rule(Election((PBProject("a", 1),), (), 1, meta={"rule": "greedy-no-skip"}))
    'greedy-no-skip'
    """
    value = (election.meta_value("rule") or "").strip()
    if not value:
        raise ValueError("META rule: missing")
    return value


def meta_number(election: Election, key: str) -> Number | None:
    """A numeric META value, or None when the key is absent or empty.

    Examples
    --------
    >>> from matching.pb.model import PBProject
    >>> e = Election((PBProject("a", 1),), (), 1, meta={"min_project_score_threshold": "148"})
    >>> meta_number(e, "min_project_score_threshold"), meta_number(e, "max_length")
    (148, None)
    """
    value = election.meta_value(key)
    if value is None or not value.strip():
        return None
    return as_number(value, f"META {key}")


@dataclass(frozen=True)
class CityScores:
    """The score each project was ranked by, and where it comes from.

    Attributes
    ----------
    scores : mapping of str to number
        Project id -> score.
    unit : str
        ``votes`` or ``points``.
    source : str
        ``the file's score column``, ``the file's votes column`` or ``counted from the ballots``.
    differing : tuple of str
        Projects whose column value differs from the count of the ballots in the file.
    """

    scores: Mapping[str, Number]
    unit: str
    source: str
    differing: tuple[str, ...] = ()


def city_scores(election: Election) -> CityScores:
    """The score the city counted for each project.

    The ``score`` column when every project has one; on approval and choose-1
    ballots, else the ``votes`` column; otherwise the count of the ballots
    (votes, points, or :func:`rank_points` for ordinal ballots).

    Examples
    --------
    >>> from matching.pb.model import Ballot, PBProject
    >>> e = Election((PBProject("a", 1, attributes={"votes": "7"}),), (Ballot("1", ("a",)),), 1)
    >>> found = city_scores(e)
    >>> dict(found.scores), found.source, found.differing
    ({'a': 7}, "the file's votes column", ('a',))
    """
    unit = "votes" if election.ballot_type in APPROVAL_TYPES else "points"
    counted = counted_scores(election)
    column = _score_column(election)
    if column is None:
        return CityScores(counted, unit, "counted from the ballots")
    values = {p.id: as_number(p.attribute(column), f"PROJECTS {p.id} {column}") for p in election.projects}
    differing = tuple(pid for pid, value in values.items() if value != counted[pid])
    return CityScores(values, unit, f"the file's {column} column", differing)


def _score_column(election: Election) -> str | None:
    columns = ("score", "votes") if election.ballot_type in APPROVAL_TYPES else ("score",)
    for column in columns:
        if election.projects and all((p.attribute(column) or "").strip() for p in election.projects):
            return column
    return None


def counted_scores(election: Election) -> dict[str, Number]:
    """Votes (approval, choose-1), points (cumulative, scoring) or rank points (ordinal) from the ballots."""
    if election.ballot_type == "ordinal":
        return rank_points(election)
    return election.scores()


def rank_points(election: Election) -> dict[str, Number]:
    """Total points of ordinal ballots.

    A ballot with its own ``points`` column keeps them (cities that give fixed
    points by position, e.g. 4/3/2/1, are stored so); otherwise META ``scoring_fn``,
    of which the Pabulib format defines ``Borda`` (the default): a project at
    0-based position ``i`` of a ranking of ``L`` projects gets ``L - i`` points.

    Examples
    --------
    >>> from matching.pb.model import Ballot, PBProject
    >>> e = Election((PBProject("a", 1), PBProject("b", 1)),
    ...              (Ballot("1", ("a", "b")), Ballot("2", ("b", "a"), attributes={"points": "4,3"})),
    ...              1, "ordinal")
    >>> rank_points(e)
    {'a': 5, 'b': 5}
    """
    scoring = (election.meta_value("scoring_fn") or "Borda").strip()
    if scoring.lower() != "borda":
        raise ValueError(f"META scoring_fn: the Pabulib format defines only Borda, got {scoring!r}")
    totals: dict[str, Fraction] = {p.id: Fraction(0) for p in election.projects}
    for ballot in election.ballots:
        for project_id, points in zip(ballot.projects, _ballot_rank_points(ballot), strict=True):
            totals[project_id] += points
    return {k: int(v) if v.denominator == 1 else v for k, v in totals.items()}


def _ballot_rank_points(ballot: Ballot) -> tuple[Number, ...]:
    raw = (ballot.attribute("points") or "").strip()
    length = len(ballot.projects)
    if not raw:
        return tuple(length - i for i in range(length))
    field = f"ballot {ballot.voter_id!r} points"
    points = tuple(as_number(item, field) for item in raw.split(",") if item.strip())
    if len(points) != length:
        raise ValueError(f"{field}: {len(points)} points for {length} ranked projects")
    return points


def ballot_limit_breaches(election: Election) -> dict[str, int]:
    """For each ballot limit in META, how many ballots break it.

    The file holds the ballots the city counted, so a breach is reported, not
    corrected (Warszawa 2018 Saska Kępa counted one ballot above ``max_sum_cost``).

    Examples
    --------
    >>> from matching.pb.model import Ballot, PBProject
    >>> e = Election((PBProject("a", 60), PBProject("b", 50)),
    ...              (Ballot("1", ("a", "b")), Ballot("2", ("b",))), 100,
    ...              meta={"min_length": "1", "max_sum_cost": "100"})
    >>> ballot_limit_breaches(e)
    {'min_length': 0, 'max_sum_cost': 1}
    """
    limits = {key: value for key in BALLOT_LIMITS if (value := meta_number(election, key)) is not None}
    costs = {p.id: p.cost for p in election.projects}
    breaches = dict.fromkeys(limits, 0)
    # Length and cost depend on the projects only: count each distinct ballot once.
    for chosen, multiplicity in election.ballot_counts:
        _count_breaches(breaches, limits, _selection_measures(chosen, costs), multiplicity)
    if any(key.endswith("points") for key in limits):
        for ballot in election.ballots:
            if ballot.points:
                _count_breaches(breaches, limits, _points_measures(ballot.points), 1)
    return breaches


def _count_breaches(
    breaches: dict[str, int], limits: Mapping[str, Number], measured: Mapping[str, Number], multiplicity: int
) -> None:
    for key, value in measured.items():
        limit = limits.get(key)
        if limit is not None and (value < limit if key.startswith("min_") else value > limit):
            breaches[key] += multiplicity


def _selection_measures(chosen: tuple[str, ...], costs: Mapping[str, Number]) -> dict[str, Number]:
    """A ballot's value for the length and cost limits of :data:`BALLOT_LIMITS`."""
    total_cost: Number = sum(costs[p] for p in chosen)  # ints stay ints (fast)
    return {
        "min_length": len(chosen),
        "max_length": len(chosen),
        "min_sum_cost": total_cost,
        "max_sum_cost": total_cost,
    }


def _points_measures(points: tuple[Number, ...]) -> dict[str, Number]:
    """A ballot's value for the point limits of :data:`BALLOT_LIMITS`."""
    total = sum((Fraction(p) for p in points), Fraction(0))
    return {"min_points": min(points), "max_points": max(points), "min_sum_points": total, "max_sum_points": total}
