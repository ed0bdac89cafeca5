"""Explicit tie-breaking orders.

Every rule breaks ties with a *rank*: a strict order of all projects, the first
project winning. The default, ``"lexico"``, ranks projects by id compared as
strings (``"10" < "9"``), which is what pabutools' default
``lexico_tie_breaking`` does (it sorts on ``Project.name``, the Pabulib
``project_id``), so the default outcomes are identical to pabutools'.
"""

from __future__ import annotations

from matching.pb.model import Election, Number

TIE_BREAKING_RULES = ("lexico", "min-cost", "max-cost", "max-votes")
"""Available orders. ``min-cost``/``max-cost``/``max-votes`` fall back to ``lexico``."""


def tie_breaking_ranks(election: Election, tie_breaking: str = "lexico") -> list[int]:
    """Rank of each project (election order), 0 winning every tie.

    Parameters
    ----------
    election : Election
        The election.
    tie_breaking : str
        ``lexico`` (smaller id as a string first), ``min-cost`` (cheaper first),
        ``max-cost`` (more expensive first) or ``max-votes`` (named on more
        ballots first); the last three fall back to ``lexico``.

    Returns
    -------
    list of int
        ``ranks[j]`` is the position of ``election.projects[j]`` in the order.

    Examples
    --------
    >>> from matching.pb.model import PBProject
    >>> e = Election((PBProject("9", 5), PBProject("10", 7)), (), budget=10)
    >>> tie_breaking_ranks(e), tie_breaking_ranks(e, "min-cost")
    ([1, 0], [0, 1])
    """
    projects = election.projects
    keys: list[tuple[Number | str, ...]]
    if tie_breaking == "lexico":
        keys = [(p.id,) for p in projects]
    elif tie_breaking == "min-cost":
        keys = [(p.cost, p.id) for p in projects]
    elif tie_breaking == "max-cost":
        keys = [(-p.cost, p.id) for p in projects]
    elif tie_breaking == "max-votes":
        votes = election.votes()
        keys = [(-votes[p.id], p.id) for p in projects]
    else:
        raise ValueError(f"tie_breaking: expected one of {', '.join(TIE_BREAKING_RULES)}, got {tie_breaking!r}")
    order = sorted(range(len(projects)), key=keys.__getitem__)
    ranks = [0] * len(projects)
    for position, index in enumerate(order):
        ranks[index] = position
    return ranks
