"""Maximum welfare: the affordable set of projects with the largest total satisfaction.

An exact 0/1 knapsack solved as an integer program with PuLP (CBC by default).
Welfare is additive: under ``cost`` satisfaction (default, consistent with the
greedy rule, which is its greedy approximation) a project is worth
``score * cost``; under ``cardinality`` satisfaction it is worth its ``score``
(votes for approval ballots, points otherwise; see ``Election.scores``). This is
pabutools' ``max_additive_utilitarian_welfare`` with ``Cost_Sat`` /
``Cardinality_Sat``.

Ties between optimal sets are broken explicitly (pabutools leaves them to the
solver): among all welfare-maximal sets we return the one that contains the
project ranked first by the tie-breaking order if any optimal set does, then,
subject to that, the second one, and so on. Solver answers are checked in exact
integer arithmetic.
"""

from __future__ import annotations

import math
import os
from fractions import Fraction

import pulp

from matching.pb._text import money
from matching.pb.model import Election, PBResult, ProjectExplanation, total_cost
from matching.pb.rules.greedy import _format_score, score_unit
from matching.pb.tiebreaking import tie_breaking_ranks

SATISFACTIONS = ("cost", "cardinality")
SOLVERS = ("cbc", "highs")


def _integers(values: list[Fraction]) -> list[int]:
    """Scale exact numbers to integers (common denominator, then common divisor)."""
    denominator = math.lcm(1, *(v.denominator for v in values))
    scaled = [int(v * denominator) for v in values]
    divisor = math.gcd(*scaled) if any(scaled) else 1
    return [s // divisor for s in scaled] if divisor > 1 else scaled


def _cbc() -> pulp.LpSolver:
    """CBC: PuLP's bundled binary if present, else a ``cbc`` on the PATH.

    (PuLP 3.3 deprecates ``PULP_CBC_CMD`` in favour of ``COIN_CMD``; pointing
    ``COIN_CMD`` at the bundled binary is the same solver without the warning.)
    """
    bundled = getattr(pulp.apis.coin_api, "pulp_cbc_path", None)
    if bundled and os.access(bundled, os.X_OK):
        return pulp.COIN_CMD(path=bundled, msg=False)
    solver = pulp.COIN_CMD(msg=False)
    if not solver.available():
        raise RuntimeError("CBC not found: install it (pip install 'pulp[cbc]') or pass solver='highs'")
    return solver


class _Knapsack:
    """Exact knapsack with fixings, solved by an ILP solver and checked exactly."""

    def __init__(self, weights: list[int], costs: list[int], budget: int, solver: str):
        self.weights = weights
        self.costs = costs
        self.budget = budget
        if solver == "cbc":
            self.solver = _cbc()
        elif solver == "highs":
            self.solver = pulp.HiGHS(msg=False)
        else:
            raise ValueError(f"solver: expected one of {', '.join(SOLVERS)}, got {solver!r}")

    def welfare(self, chosen: set[int]) -> int:
        return sum(self.weights[j] for j in chosen)

    def cost(self, chosen: set[int]) -> int:
        return sum(self.costs[j] for j in chosen)

    def solve(self, ones: set[int], zeros: set[int], at_least: int | None) -> set[int] | None:
        """Max-welfare set containing ``ones``, avoiding ``zeros`` (welfare >= at_least)."""
        free = [j for j in range(len(self.weights)) if j not in ones and j not in zeros]
        room = self.budget - self.cost(ones)
        if room < 0:
            return None
        base = self.welfare(ones)
        if not free:
            return set(ones) if at_least is None or base >= at_least else None
        problem = pulp.LpProblem("max_welfare", pulp.LpMaximize)
        x = {j: problem.add_variable(f"x_{j}", 0, 1, cat=pulp.LpBinary) for j in free}
        problem += pulp.lpSum(self.weights[j] * x[j] for j in free)
        problem += pulp.lpSum(self.costs[j] * x[j] for j in free) <= room
        if at_least is not None:
            # Integer data: ">= at_least - 1/2" is exact and immune to solver tolerances.
            problem += pulp.lpSum(self.weights[j] * x[j] for j in free) >= at_least - base - 0.5
        status = problem.solve(self.solver)
        if pulp.LpStatus[status] != "Optimal":
            return None
        chosen = set(ones) | {j for j in free if (x[j].varValue or 0) > 0.5}
        if self.cost(chosen) > self.budget:  # pragma: no cover - solver tolerance
            raise RuntimeError("the ILP solver returned a set over budget")
        if at_least is not None and self.welfare(chosen) < at_least:  # pragma: no cover
            raise RuntimeError("the ILP solver returned a set below the required welfare")
        return chosen

    def upper_bound(self, ones: set[int], zeros: set[int]) -> Fraction:
        """LP-relaxation bound (Dantzig) on the welfare of sets with these fixings."""
        room = Fraction(self.budget - self.cost(ones))
        bound = Fraction(self.welfare(ones))
        items = [j for j in range(len(self.weights)) if j not in ones and j not in zeros and self.weights[j] > 0]
        items.sort(
            key=lambda j: Fraction(self.weights[j], self.costs[j]) if self.costs[j] else Fraction(10**30), reverse=True
        )
        for j in items:
            if self.costs[j] <= room:
                room -= self.costs[j]
                bound += self.weights[j]
            else:
                bound += Fraction(self.weights[j]) * room / self.costs[j]
                break
        return bound


def _optimal_set(knapsack: _Knapsack, ranks: list[int]) -> tuple[set[int], int, int]:
    """Lexicographically first welfare-maximal set; also (optimum, ILP solves)."""
    m = len(knapsack.weights)
    solves = 1
    incumbent = knapsack.solve(set(), {j for j in range(m) if knapsack.costs[j] > knapsack.budget}, None)
    if incumbent is None:  # pragma: no cover - the empty set is always feasible
        raise RuntimeError("the ILP solver found no feasible set")
    incumbent = {j for j in incumbent if knapsack.weights[j] > 0}  # same welfare without unsupported projects
    optimum = knapsack.welfare(incumbent)
    while True:
        ones: set[int] = set()
        zeros = {j for j in range(m) if knapsack.costs[j] > knapsack.budget}
        improved = False
        for j in sorted(range(m), key=ranks.__getitem__):
            if j in zeros:
                continue
            if j in incumbent:
                ones.add(j)
                continue
            if knapsack.cost(ones) + knapsack.costs[j] > knapsack.budget or knapsack.weights[j] == 0:
                # A project that adds no welfare (nobody approves it) is never selected, as in pabutools.
                zeros.add(j)
                continue
            if knapsack.weights[j] > 0 and knapsack.cost(incumbent) + knapsack.costs[j] <= knapsack.budget:
                incumbent = incumbent | {j}  # still optimal and respects every fixing
                ones.add(j)
                if knapsack.welfare(incumbent) > optimum:  # pragma: no cover - first solve was not optimal
                    optimum = knapsack.welfare(incumbent)
                    improved = True
                    break
                continue
            if knapsack.upper_bound(ones | {j}, zeros) < optimum:
                zeros.add(j)
                continue
            solves += 1
            found = knapsack.solve(ones | {j}, zeros, optimum)
            if found is None:
                zeros.add(j)
                continue
            incumbent = found
            ones.add(j)
            if knapsack.welfare(found) > optimum:  # pragma: no cover - first solve was not optimal
                optimum = knapsack.welfare(found)
                improved = True
                break
        if not improved:
            return incumbent, optimum, solves


def max_welfare(
    election: Election,
    *,
    tie_breaking: str = "lexico",
    satisfaction: str = "cost",
    solver: str = "cbc",
) -> PBResult:
    """Welfare-maximising selection within the budget (rule name ``max-welfare``).

    Parameters
    ----------
    election : Election
        Any ballot type.
    tie_breaking : str
        Order used to choose among optimal sets (see the module docstring).
    satisfaction : str
        ``cost`` (a project is worth score x cost) or ``cardinality`` (worth its score).
    solver : str
        ``cbc`` (default, bundled with PuLP) or ``highs``.

    Returns
    -------
    PBResult

    Examples
    --------
    >>> from matching.pb.model import Ballot, PBProject
    >>> e = Election((PBProject("a", 100), PBProject("b", 50), PBProject("c", 50)),
    ...              (Ballot("1", ("a", "b")), Ballot("2", ("a", "c")), Ballot("3", ("a",)), Ballot("4", ("b", "c"))),
    ...              budget=100)
    >>> max_welfare(e).selected
    ('a',)
    >>> max_welfare(e, satisfaction="cardinality").selected
    ('b', 'c')
    """
    if satisfaction not in SATISFACTIONS:
        raise ValueError(f"satisfaction: expected one of {', '.join(SATISFACTIONS)}, got {satisfaction!r}")
    ranks = tie_breaking_ranks(election, tie_breaking)
    scores = election.scores()
    projects = election.projects
    exact_costs = [Fraction(p.cost) for p in projects]
    values = [
        Fraction(scores[p.id]) * (exact_costs[j] if satisfaction == "cost" else 1) for j, p in enumerate(projects)
    ]
    scaled = _integers(exact_costs + [Fraction(election.budget)])
    costs, budget = scaled[:-1], scaled[-1]
    knapsack = _Knapsack(_integers(values), costs, budget, solver)
    chosen, _, solves = _optimal_set(knapsack, ranks)

    order = sorted(chosen, key=ranks.__getitem__)
    selected = tuple(projects[j].id for j in order)
    spent = total_cost(election, selected)
    welfare = sum((values[j] for j in chosen), Fraction(0))
    unit = score_unit(election)
    measure = f"{unit} x cost" if satisfaction == "cost" else unit
    explanations = []
    for j, project in enumerate(projects):
        score = _format_score(scores[project.id], unit)
        if j in chosen:
            reason = (
                f"selected: {score}; part of the selection with the largest total {measure} "
                f"({money(welfare)}) that fits the budget"
            )
        elif exact_costs[j] > Fraction(election.budget):
            reason = f"not selected: its cost {money(project.cost)} exceeds the whole budget {money(election.budget)}"
        else:
            reason = (
                f"not selected: {score}; the largest total {measure} that fits the budget "
                f"({money(welfare)}) is reached without it"
            )
        explanations.append(ProjectExplanation(project.id, j in chosen, reason))
    return PBResult(
        rule="max-welfare",
        selected=selected,
        cost=spent,
        explanations=tuple(explanations),
        details=(("welfare", money(welfare)), ("satisfaction", satisfaction), ("ilp_solves", str(solves))),
    )
