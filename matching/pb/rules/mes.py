"""Method of Equal Shares (MES) for approval ballots, with the add-one completion.

Semantics follow pabutools' ``method_of_equal_shares`` exactly:

* every voter (empty ballots included) starts with ``budget / n_voters``;
* in each round the project with the smallest *affordability* ``rho`` is
  selected: the least ``rho`` with ``sum(min(b_i, rho * u_j)) >= cost_j`` over its
  supporters ``i``, where ``u_j`` is a supporter's satisfaction (the cost of ``j``
  under cost satisfaction, 1 under cardinality satisfaction); each supporter then
  pays ``min(b_i, rho * u_j)``;
* ties go to the project ranked first by the tie-breaking order;
* a project whose supporters have less money left than its cost is dropped;
* projects with no supporter or no cost (no satisfaction under cost
  satisfaction) are never bought; under cardinality satisfaction free projects
  with a supporter are selected upfront, as pabutools does.

The counting engine itself (exact where floats could mislead, fast by merging identical
ballots) is :mod:`matching.pb.rules.mes_engine`.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from fractions import Fraction

from matching.pb._profile import approval_arrays
from matching.pb._text import count, money
from matching.pb.model import Election, PBResult, ProjectExplanation, total_cost
from matching.pb.rules.mes_engine import _ZERO, _EqualShares, _Run
from matching.pb.tiebreaking import tie_breaking_ranks

# -- explanations ------------------------------------------------------------------


def _explain(election: Election, engine: _EqualShares, run: _Run) -> dict[str, ProjectExplanation]:
    arrays = engine.arrays
    out: dict[str, ProjectExplanation] = {}
    for j in run.preselected:
        pid = election.projects[j].id
        out[pid] = ProjectExplanation(pid, True, "selected first: it costs nothing and has supporters", 0)
    for round_number, purchase in enumerate(run.purchases, start=1):
        pid = election.projects[purchase.project].id
        if purchase.partial_payers == 0:
            each = " each" if purchase.full_payers > 1 else ""
            text = (
                f"selected in round {round_number} with {count(purchase.full_payers, 'supporter')} "
                f"paying {money(purchase.payment)}{each}"
            )
        else:
            text = (
                f"selected in round {round_number} with "
                f"{count(purchase.full_payers + purchase.partial_payers, 'supporter')}: "
                f"{purchase.full_payers:,} paying {money(purchase.payment)} each and "
                f"{purchase.partial_payers:,} paying all they had left ({money(purchase.partial_total)} together)"
            )
        out[pid] = ProjectExplanation(pid, True, text, round_number)
    for j, project in enumerate(election.projects):
        if project.id in out:
            continue
        supporters = int(arrays.votes[j])
        if supporters == 0:
            text = "not selected: no voter supported it"
        elif arrays.costs[j] == 0:
            text = "not selected: it costs nothing, so under cost satisfaction there is nothing to share"
        elif j in run.dropped:
            after, money_left = run.dropped[j]
            when = "from the start" if after == 0 else f"after round {after}"
            text = (
                f"not selected: {when} its {count(supporters, 'supporter')} had "
                f"{money(money_left)} left in total < cost {money(project.cost)}"
            )
        else:
            text = "not selected: no voter left to pay for it"
        out[project.id] = ProjectExplanation(project.id, False, text)
    return out


def _result(election: Election, engine: _EqualShares, run: _Run, rule: str, details: list[tuple[str, str]]) -> PBResult:
    explanations = _explain(election, engine, run)
    selected_ids = tuple(election.projects[j].id for j in run.selected)
    return PBResult(
        rule=rule,
        selected=selected_ids,
        cost=total_cost(election, selected_ids),
        explanations=tuple(explanations[p.id] for p in election.projects),
        details=tuple([("budget_per_voter", money(run.budget_per_voter))] + details),
    )


def _engine(election: Election, tie_breaking: str, satisfaction: str) -> _EqualShares:
    return _EqualShares(approval_arrays(election), tie_breaking_ranks(election, tie_breaking), satisfaction)


def _empty_run() -> _Run:
    return _Run(budget_per_voter=_ZERO, preselected=[])


# -- public rules ------------------------------------------------------------------


def method_of_equal_shares(election: Election, *, tie_breaking: str = "lexico", satisfaction: str = "cost") -> PBResult:
    """Method of Equal Shares (rule name ``mes``).

    Parameters
    ----------
    election : Election
        Approval or choose-1 ballots.
    tie_breaking : str
        See :mod:`matching.pb.tiebreaking`; the default matches pabutools.
    satisfaction : str
        ``cost`` (default: a supporter's satisfaction is the project's cost, as
        on equalshares.net) or ``cardinality`` (1 per approved project).

    Returns
    -------
    PBResult
        Explanations give the round and what the supporters paid.

    Examples
    --------
    >>> from matching.pb.model import Ballot, PBProject
    >>> e = Election((PBProject("a", 60), PBProject("b", 40), PBProject("c", 30)),
    ...              (Ballot("1", ("a", "b")), Ballot("2", ("a",)), Ballot("3", ("c",))),
    ...              budget=100)
    >>> r = method_of_equal_shares(e)
    >>> r.selected
    ('a', 'c')
    >>> r.explanation("a").reason
    'selected in round 1 with 2 supporters paying 30 each'
    >>> r.explanation("b").reason
    'not selected: from the start its 1 supporter had 33.33 left in total < cost 40'
    """
    engine = _engine(election, tie_breaking, satisfaction)
    # pabutools returns the empty allocation when nobody voted.
    run = engine.run(Fraction(election.budget) / len(election.ballots)) if election.ballots else _empty_run()
    return _result(election, engine, run, "mes", [])


def _add_one(
    election: Election, engine: _EqualShares, *, integral_start: bool = False, watched: list[int] | None = None
) -> tuple[_Run, int, int]:
    """pabutools' iterated MES with ``voter_budget_increment=1``.

    With ``integral_start`` the per-voter budget starts at ``floor(budget / n)``
    instead of ``budget / n``; an outcome is exhaustive when no project of
    ``watched`` (default: those that can be bought) fits in what is left, or when
    every project that can be bought is. Returns the chosen run, its increment
    ``k`` and the number of runs computed.
    """
    budget = Fraction(election.budget)
    costs = engine.arrays.costs
    if not election.ballots:
        return _empty_run(), 0, 0
    base = budget / len(election.ballots)
    if integral_start:
        base = Fraction(math.floor(base))
    exhaustive = _exhaustion_test(engine, budget, engine.eligible if watched is None else watched)

    def spent(run: _Run) -> Fraction:
        return sum((costs[j] for j in run.selected), _ZERO)

    if engine.disjoint:
        return _add_one_disjoint(engine, base, budget, exhaustive)

    k = 0
    current = engine.run(base)
    runs = 1
    # A skip attempt costs a (usually aborted) run. When attempts keep failing
    # (the order of selections changes at almost every increment), back off.
    failures = 0
    wait = 0
    while True:
        # ``current`` is the run at increment k, computed in full and not exhaustive
        # unless we return now.
        if exhaustive(current.selected, spent(current)):
            return current, k, runs
        if wait:
            wait -= 1
        else:
            step = 2
            skipped = False
            while step > 1:
                trial = engine.run(base + k + step, reference=current)
                runs += 1
                if trial.matches_reference:
                    k += step
                    current = trial
                    step *= 2
                    skipped = True
                else:
                    step //= 2
            failures = 0 if skipped else failures + 1
            wait = min(2**failures - 1, 15)
        following = engine.run(base + k + 1)
        runs += 1
        if spent(following) > budget:
            return current, k, runs
        k += 1
        current = following


def _exhaustion_test(
    engine: _EqualShares, budget: Fraction, watched: list[int]
) -> Callable[[list[int], Fraction], bool]:
    """``exhaustive(selected, cost)``: nothing of ``watched`` fits any more, or all that can be bought is."""
    costs = engine.arrays.costs
    eligible = set(engine.eligible)

    def exhaustive(selected: list[int], cost: Fraction) -> bool:
        chosen = set(selected)
        return eligible <= chosen or all(cost + costs[j] > budget for j in watched if j not in chosen)

    return exhaustive


def _add_one_disjoint(
    engine: _EqualShares, base: Fraction, budget: Fraction, exhaustive: Callable[[list[int], Fraction], bool]
) -> tuple[_Run, int, int]:
    """Add-one completion when no voter supports two projects (e.g. choose-1 ballots).

    Budgets then never interact: at increment k, MES buys exactly the projects
    whose supporters can split the cost equally, ``(base + k) * supporters >=
    cost``. The outcome only changes at those thresholds, so only they are visited;
    the result is pabutools' (same stopping rules), without the runs in between.
    """
    costs = engine.arrays.costs
    threshold = {}
    for j in engine.eligible:
        needed = costs[j] / engine.total_weight[j] - base
        threshold[j] = max(0, math.ceil(needed))
    fixed_cost = sum((costs[j] for j in engine.preselected), _ZERO)
    events = sorted(set(threshold.values()) | {0})
    final_k = None
    for k in events:
        bought = [j for j in engine.eligible if threshold[j] <= k]
        spent = fixed_cost + sum((costs[j] for j in bought), _ZERO)
        if spent > budget:
            # pabutools returns the outcome of the increment just before (k > 0 here:
            # at k = 0 everyone pays a share of the budget); it equals the previous
            # threshold's outcome.
            final_k = k - 1
            break
        if exhaustive(engine.preselected + bought, spent):
            final_k = k
            break
    if final_k is None:  # pragma: no cover - buying every eligible project is exhaustive
        raise AssertionError("add-one completion did not stop")
    run = engine.run(base + final_k)
    return run, final_k, 1


def mes_add_one(election: Election, *, tie_breaking: str = "lexico", satisfaction: str = "cost") -> PBResult:
    """MES with the add-one completion (rule name ``mes-add1``).

    Same outcome as pabutools' ``method_of_equal_shares(...,
    voter_budget_increment=1)``: the per-voter budget grows by one currency unit
    while the outcome stays within the budget and is not exhaustive.

    Examples
    --------
    >>> from matching.pb.model import Ballot, PBProject
    >>> e = Election((PBProject("a", 60), PBProject("b", 40), PBProject("c", 30)),
    ...              (Ballot("1", ("a", "b")), Ballot("2", ("a",)), Ballot("3", ("c",))),
    ...              budget=100)
    >>> r = mes_add_one(e)
    >>> r.selected, r.cost
    (('a', 'c'), 90)
    """
    engine = _engine(election, tie_breaking, satisfaction)
    run, k, runs = _add_one(election, engine)
    return _result(election, engine, run, "mes-add1", [("add1_increments", str(k)), ("mes_runs", str(runs))])


def mes_add_one_greedy(election: Election, *, tie_breaking: str = "lexico", satisfaction: str = "cost") -> PBResult:
    """MES with add-one completion, then greedy by votes (rule name ``mes-add1-greedy``).

    The variant recommended on equalshares.net; in pabutools, the add-one outcome
    fed to ``greedy_utilitarian_welfare(..., sat_class=Cost_Sat,
    initial_budget_allocation=...)`` (the same as ``completion_by_rule_combination``
    with those two rules). Leftover budget goes to the projects with most votes
    that still fit.

    Examples
    --------
    >>> from matching.pb.model import Ballot, PBProject
    >>> e = Election((PBProject("a", 60), PBProject("b", 30), PBProject("c", 30)),
    ...              (Ballot("1", ("a", "b")), Ballot("2", ("a",)), Ballot("3", ("c",))),
    ...              budget=100)
    >>> r = mes_add_one_greedy(e)
    >>> r.selected
    ('a', 'c')
    """
    from matching.pb.rules.greedy import _format_score, greedy_fill, score_unit

    engine = _engine(election, tie_breaking, satisfaction)
    run, k, runs = _add_one(election, engine)
    base = _result(election, engine, run, "mes-add1-greedy", [("add1_increments", str(k)), ("mes_runs", str(runs))])
    scores = election.scores()
    added, considered = greedy_fill(election, engine.ranks, run.selected, scores)
    if not added:
        return base
    unit = score_unit(election)
    explanations = []
    for j, item in enumerate(base.explanations):
        if j in considered:
            position, left, fits = considered[j]
            score = _format_score(scores[item.project_id], unit)
            cost = money(election.projects[j].cost)
            if fits:
                alone = item.reason.removeprefix("not selected: ")
                item = ProjectExplanation(
                    item.project_id,
                    True,
                    f"selected in the greedy completion: {score}, its cost {cost} fit in the budget left "
                    f"{money(left)} (with equal shares alone: {alone})",
                )
            else:
                item = ProjectExplanation(
                    item.project_id,
                    False,
                    f"{item.reason}; greedy completion: {score}, but the budget left {money(left)} < cost {cost}",
                )
        explanations.append(item)
    selected = base.selected + tuple(election.projects[j].id for j in added)
    return PBResult(
        rule="mes-add1-greedy",
        selected=selected,
        cost=total_cost(election, selected),
        explanations=tuple(explanations),
        details=base.details + (("greedy_added", str(len(added))),),
    )
