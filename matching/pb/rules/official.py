"""Replay the rule a city actually used, as named by the Pabulib META ``rule`` key.

:func:`official_rule` reads META ``rule`` and applies it with the file's own
parameters (``min_project_score_threshold``, the ``score``/``votes`` columns,
``scoring_fn``); :func:`replay` compares the outcome with the file's ``selected`` column.

=================================  ==========================================================
META ``rule``                      counted by
=================================  ==========================================================
``greedy``                         :func:`~matching.pb.rules.citygreedy.city_greedy`
``greedy-no-skip``                 (stops at the first project that does not fit)
``greedy-threshold``               (only projects reaching the threshold)
``equalshares``                    :func:`~matching.pb.rules.equalshares.city_equal_shares`
``equalshares-comparison``         (approval and choose-1 ballots)
``equalshares/add1``
``equalshares/add1-comparison``
=================================  ==========================================================

Not replayed (:data:`UNSUPPORTED_RULES` says why): ``greedy-exclusive``,
``greedy-custom`` and ``unknown``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

from matching.pb.meta import ballot_limit_breaches, meta_rule
from matching.pb.model import Election, PBResult
from matching.pb.rules.citygreedy import GREEDY_VARIANTS, city_greedy
from matching.pb.rules.equalshares import EQUAL_SHARES_VARIANTS, city_equal_shares

CityRule = Callable[[Election, str], PBResult]
"""``rule(election, tie_breaking) -> PBResult``."""


def _greedy_variant(variant: str) -> CityRule:
    return lambda election, tie_breaking: city_greedy(election, variant, tie_breaking=tie_breaking)


def _equal_shares_variant(variant: str) -> CityRule:
    return lambda election, tie_breaking: city_equal_shares(election, variant, tie_breaking=tie_breaking)


CITY_RULES: dict[str, CityRule] = {
    **{name: _greedy_variant(name) for name in GREEDY_VARIANTS},
    **{name: _equal_shares_variant(name) for name in EQUAL_SHARES_VARIANTS},
}
"""META ``rule`` value -> how to count it."""

UNSUPPORTED_RULES: dict[str, str] = {
    "greedy-exclusive": (
        "projects that exclude each other (same place, same category) are settled by a hierarchy "
        "that the file describes only in words, in its comment"
    ),
    "greedy-custom": "a special procedure (manual reallocations, hybrid rules) that the file describes only in words",
    "unknown": "the file does not say which rule the city used",
}
"""META ``rule`` values Pabulib defines that cannot be replayed, and why."""


def official_rule(election: Election, *, tie_breaking: str = "lexico") -> PBResult:
    """Apply the rule named in META ``rule`` (CLI: ``--rule official``).

    Parameters
    ----------
    election : Election
        An election read from a Pabulib file.
    tie_breaking : str
        Order among equal scores (files do not record how cities broke ties).

    Returns
    -------
    PBResult
        ``rule`` is ``official``; ``details`` start with ``meta_rule`` and end with the
        ballots outside the META ballot limits (counted all the same, as the city did).

    Raises
    ------
    ValueError
        Naming ``META rule`` and why when the rule cannot be replayed.

    Examples
    --------
    >>> from matching.pb.model import Ballot, PBProject
    >>> e = Election((PBProject("a", 60), PBProject("b", 50), PBProject("c", 40)),
    ...              (Ballot("1", ("a", "b")), Ballot("2", ("a", "b")), Ballot("3", ("a", "c"))),
    ...              100, meta={"rule": "greedy-no-skip"})
    >>> r = official_rule(e)
    >>> r.rule, r.selected, dict(r.details)["meta_rule"]
    ('official', ('a',), 'greedy-no-skip')
    """
    name = meta_rule(election)
    rule = CITY_RULES.get(name)
    if rule is None:
        why = UNSUPPORTED_RULES.get(name, "it is not a rule the Pabulib format defines")
        raise ValueError(f"META rule: {name!r} cannot be replayed: {why}")
    result = rule(election, tie_breaking)
    breaches = ballot_limit_breaches(election)
    limits = ", ".join(f"{key} {value}" for key, value in breaches.items()) or "none in META"
    details = (("meta_rule", name),) + result.details + (("ballots_outside_limits", limits),)
    return replace(result, rule="official", details=details)


@dataclass(frozen=True)
class Replay:
    """The official rule's outcome next to the file's ``selected`` column.

    Attributes
    ----------
    meta_rule : str
        The file's META ``rule``.
    recorded : frozenset of str
        Projects marked ``selected`` 1 in the file.
    result : PBResult or None
        The replay, None when the rule cannot be replayed on this file.
    reason : str
        Why not, when ``result`` is None (an unsupported rule, or the rule's
        ``ValueError``, e.g. equal shares on rankings).
    missing, extra : tuple of str
        Recorded but not replayed; replayed but not recorded (projects marked with
        another value than 0 or 1, special cases explained in the file, are left out).
    """

    meta_rule: str
    recorded: frozenset[str]
    result: PBResult | None = None
    reason: str = ""
    missing: tuple[str, ...] = ()
    extra: tuple[str, ...] = ()

    @property
    def reproduced(self) -> bool:
        """The replay selects exactly the recorded projects."""
        return self.result is not None and not self.missing and not self.extra


def recorded_selection(election: Election) -> tuple[frozenset[str], frozenset[str]] | None:
    """Projects marked ``selected`` 1, and those marked otherwise than 0 or 1; None without the column."""
    values = {p.id: (p.attribute("selected") or "").strip() for p in election.projects}
    if not election.projects or not all(values.values()):
        return None
    chosen = frozenset(pid for pid, value in values.items() if value == "1")
    special = frozenset(pid for pid, value in values.items() if value not in ("0", "1"))
    return chosen, special


def replay(election: Election, *, tie_breaking: str = "lexico") -> Replay:
    """Run :func:`official_rule` and compare with the file's ``selected`` column.

    Raises
    ------
    ValueError
        When the file has no ``selected`` column.

    Examples
    --------
    >>> from matching.pb.model import Ballot, PBProject
    >>> e = Election((PBProject("a", 60, attributes={"selected": "1"}),
    ...               PBProject("b", 50, attributes={"selected": "0"})),
    ...              (Ballot("1", ("a", "b")),), 100, meta={"rule": "greedy"})
    >>> replay(e).reproduced
    True
    """
    found = recorded_selection(election)
    if found is None:
        raise ValueError("PROJECTS selected: the file does not say which projects won")
    recorded, special = found
    name = meta_rule(election)
    if name not in CITY_RULES:
        why = UNSUPPORTED_RULES.get(name, "it is not a rule the Pabulib format defines")
        return Replay(name, recorded, reason=why)
    try:
        result = official_rule(election, tie_breaking=tie_breaking)
    except ValueError as error:
        return Replay(name, recorded, reason=str(error))
    replayed = frozenset(result.selected) - special
    return Replay(
        name,
        recorded,
        result,
        missing=tuple(sorted(recorded - replayed)),
        extra=tuple(sorted(replayed - recorded)),
    )
