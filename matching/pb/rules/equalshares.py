"""The Method of Equal Shares as cities run it (Pabulib META ``rule``: ``equalshares``,
``equalshares-comparison``, ``equalshares/add1``, ``equalshares/add1-comparison``).

The cities that adopted the method (Wieliczka's Green Million in 2023, Świecie from 2024,
Aarau) computed their results with the equalshares.net tool, and Pabulib checks these
files the same way. On approval and choose-1 ballots, with cost satisfaction (a
supporter's gain is the project's cost), it differs from the textbook rules ``mes`` and
``mes-add1`` (pabutools) in three points:

* **ties** between equally affordable projects go to the cheaper project, then to the
  one with more votes; only then the tie-breaking order decides (the tool stops there);
* **Add1** starts from whole currency units per voter, ``floor(budget / voters)``, and
  adds one unit at a time while the outcome fits in the budget, stopping at an
  exhaustive outcome, where no project left out fits in what is left (every project on
  the ballot counts, not only those with supporters); when all the projects together fit
  in the budget, there is no Add1 step;
* the **comparison** step (``-comparison``) also counts the greedy outcome (most votes
  first, skipping what does not fit) and keeps it instead when more voters prefer it,
  a voter preferring the outcome that funds more of the projects she voted for (the
  rule Wieliczka and Świecie published).

A META ``min_project_score_threshold`` makes projects below it ineligible, in both counts.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from fractions import Fraction

from matching.pb._profile import approval_arrays
from matching.pb._text import count
from matching.pb.meta import CityScores, city_scores, meta_number
from matching.pb.model import Election, Number, PBResult, ProjectExplanation, total_cost
from matching.pb.rules.citygreedy import SELECTED, below_threshold, explain_steps, ranked_walk
from matching.pb.rules.greedy import _format_score
from matching.pb.rules.mes import _add_one, _empty_run, _result
from matching.pb.rules.mes_engine import _EqualShares, _Run
from matching.pb.tiebreaking import tie_breaking_ranks

EQUAL_SHARES_VARIANTS = ("equalshares", "equalshares-comparison", "equalshares/add1", "equalshares/add1-comparison")
"""META ``rule`` values this module counts."""


@dataclass(frozen=True)
class Comparison:
    """The comparison step's count.

    Attributes
    ----------
    greedy : tuple of str
        The greedy outcome (in the order it was counted).
    prefer_equal_shares, prefer_greedy : int
        Voters who approve more projects of one outcome than of the other.
    """

    greedy: tuple[str, ...]
    prefer_equal_shares: int
    prefer_greedy: int

    @property
    def keeps_greedy(self) -> bool:
        """True when more voters prefer the greedy outcome."""
        return self.prefer_greedy > self.prefer_equal_shares


def equal_shares_ranks(election: Election, tie_breaking: str = "lexico") -> list[int]:
    """Tie-breaking ranks: lower cost first, then more votes, then ``tie_breaking``.

    Examples
    --------
    >>> from matching.pb.model import Ballot, PBProject
    >>> e = Election((PBProject("a", 20), PBProject("b", 10), PBProject("c", 10)),
    ...              (Ballot("1", ("a", "c")),), 30)
    >>> equal_shares_ranks(e)
    [2, 1, 0]
    """
    base = tie_breaking_ranks(election, tie_breaking)
    votes = election.votes()
    projects = election.projects
    order = sorted(range(len(projects)), key=lambda j: (projects[j].cost, -votes[projects[j].id], base[j]))
    ranks = [0] * len(projects)
    for position, j in enumerate(order):
        ranks[j] = position
    return ranks


def city_equal_shares(
    election: Election, variant: str = "equalshares/add1-comparison", *, tie_breaking: str = "lexico"
) -> PBResult:
    """The Method of Equal Shares as a city ran it (one of :data:`EQUAL_SHARES_VARIANTS`).

    Parameters
    ----------
    election : Election
        Approval or choose-1 ballots.
    variant : str
        ``equalshares``, ``equalshares-comparison``, ``equalshares/add1`` or
        ``equalshares/add1-comparison``.
    tie_breaking : str
        The last tie-breaker, after lower cost and more votes.

    Returns
    -------
    PBResult
        ``details`` give the budget per voter, the Add1 increments and the comparison count.

    Examples
    --------
    >>> from matching.pb.model import Ballot, PBProject
    >>> e = Election((PBProject("a", 60), PBProject("b", 40), PBProject("c", 30)),
    ...              (Ballot("1", ("a", "b")), Ballot("2", ("a",)), Ballot("3", ("c",))), 100)
    >>> r = city_equal_shares(e, "equalshares/add1")
    >>> r.selected, dict(r.details)["budget_per_voter"]
    (('a', 'c'), '33')
    """
    if variant not in EQUAL_SHARES_VARIANTS:
        raise ValueError(f"variant: expected one of {', '.join(EQUAL_SHARES_VARIANTS)}, got {variant!r}")
    counted = city_scores(election)
    threshold = meta_number(election, "min_project_score_threshold")
    below = below_threshold(counted, threshold)
    index = {p.id: j for j, p in enumerate(election.projects)}
    excluded = frozenset(index[pid] for pid in below)
    engine = _EqualShares(approval_arrays(election), equal_shares_ranks(election, tie_breaking), "cost", excluded)
    run, details = _equal_shares_run(election, engine, excluded, add_one="/add1" in variant)
    details.append(("ties", f"lower cost, then more votes, then {tie_breaking}"))
    result = _result(election, engine, run, variant, details)
    result = _explain_threshold(result, counted, below, threshold)
    if not variant.endswith("-comparison"):
        return result
    ranks = tie_breaking_ranks(election, tie_breaking)
    comparison = compare_with_greedy(election, result.selected, ranks, below)
    return _apply_comparison(election, result, comparison, ranks, (below, threshold))


def _equal_shares_run(
    election: Election, engine: _EqualShares, excluded: frozenset[int], *, add_one: bool
) -> tuple[_Run, list[tuple[str, str]]]:
    """One run at ``budget / voters``, or the Add1 completion from whole units."""
    if not election.ballots:
        return _empty_run(), []
    budget = Fraction(election.budget)
    if not add_one:
        return engine.run(budget / len(election.ballots)), []
    if sum((Fraction(p.cost) for p in election.projects), Fraction(0)) <= budget:
        note = ("add1", "not used: all the projects together fit in the budget")
        return engine.run(budget / len(election.ballots)), [note]
    watched = [j for j in range(len(election.projects)) if j not in excluded]
    run, increments, runs = _add_one(election, engine, integral_start=True, watched=watched)
    return run, [("add1_increments", str(increments)), ("mes_runs", str(runs))]


def _explain_threshold(
    result: PBResult, counted: CityScores, below: frozenset[str], threshold: Number | None
) -> PBResult:
    if not below:
        return result
    limit = _format_score(threshold or 0, counted.unit)
    explanations = tuple(
        replace(item, reason=f"not selected: below the threshold of {limit} needed to win")
        if item.project_id in below
        else item
        for item in result.explanations
    )
    return replace(result, explanations=explanations)


def compare_with_greedy(
    election: Election, selected: Sequence[str], ranks: Sequence[int], below: frozenset[str] = frozenset()
) -> Comparison:
    """Count the voters who prefer ``selected`` and those who prefer the greedy outcome.

    Examples
    --------
    >>> from matching.pb.model import Ballot, PBProject
    >>> e = Election((PBProject("a", 60), PBProject("b", 40), PBProject("c", 40)),
    ...              (Ballot("1", ("a",)), Ballot("2", ("a",)), Ballot("3", ("b", "c"))), 100)
    >>> compare_with_greedy(e, ["b", "c"], [0, 1, 2])
    Comparison(greedy=('a', 'b'), prefer_equal_shares=1, prefer_greedy=2)
    """
    steps = ranked_walk(election, election.votes(), ranks, below=below)
    greedy = tuple(election.projects[s.index].id for s in steps if s.status == SELECTED)
    ours, theirs = set(selected), set(greedy)
    prefer_ours = prefer_greedy = 0
    for chosen, multiplicity in election.ballot_counts:
        mine = sum(1 for p in chosen if p in ours)
        other = sum(1 for p in chosen if p in theirs)
        if mine > other:
            prefer_ours += multiplicity
        elif other > mine:
            prefer_greedy += multiplicity
    return Comparison(greedy, prefer_ours, prefer_greedy)


def _apply_comparison(
    election: Election,
    result: PBResult,
    comparison: Comparison,
    ranks: Sequence[int],
    eligibility: tuple[frozenset[str], Number | None],
) -> PBResult:
    """Keep ``result`` or switch to the greedy outcome, saying why."""
    below, threshold = eligibility
    kept = "the greedy outcome" if comparison.keeps_greedy else "equal shares"
    sentence = (
        f"{kept} kept: {count(comparison.prefer_greedy, 'voter')} preferred the greedy outcome, "
        f"{count(comparison.prefer_equal_shares, 'voter')} equal shares"
    )
    details = result.details + (("comparison", sentence),)
    if not comparison.keeps_greedy:
        return replace(result, details=details)
    votes = CityScores(election.votes(), "votes", "counted from the ballots")
    steps = ranked_walk(election, votes.scores, ranks, below=below)
    explanations = tuple(
        ProjectExplanation(item.project_id, item.selected, f"{item.reason}; greedy count, kept by the comparison step")
        for item in explain_steps(election, steps, votes, threshold)
    )
    return replace(
        result,
        selected=comparison.greedy,
        cost=total_cost(election, comparison.greedy),
        explanations=explanations,
        details=details,
    )
