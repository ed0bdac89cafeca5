"""Donation matching: a funder's 1:1 match up to a cap, and quadratic funding.

Pure functions over plain values (no Flask, no SQLAlchemy, no I/O). Money is an
``int`` number of minor units (fen); every result is a frozen dataclass whose
amounts are integers that never add up to more than the cap or the pool, and
which says for each donation and project why it got what it got, as a
:class:`~matching.reasons.Reason` (``matching.reasons.render`` reads it in
English or Chinese).

Two rules, after the anchors in ``/work/shared/ANCHORS.md``:

* :func:`match_one_to_one` -- the corporate match of GlobalGiving and
  DonorsChoose: every donation is matched at ``ratio`` (1:1 by default), first
  come first matched, until the funder's cap is spent.
* :func:`quadratic_match` -- Gitcoin's quadratic funding: a project's ideal
  match is ``(sum of sqrt(c_i))**2 - sum of c_i`` over its contributors'
  totals ``c_i``, and the pool is shared in proportion to the ideal matches, so
  many small donations attract more than one large gift of the same total.

Determinism. Results depend only on the input. Integer amounts are found with
exact rational arithmetic (square roots are IEEE-754 correctly rounded, then
handled as exact fractions) and the largest-remainder method; when two projects
have the same remainder the extra unit goes to the project whose key sorts
first (integers before strings, integers numerically, strings lexically).
"""
from __future__ import annotations

import math
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from .reasons import Reason, render

__all__ = [
    "Donation",
    "DonationMatch",
    "ProjectMatch",
    "OneToOneResult",
    "QuadraticProject",
    "QuadraticResult",
    "match_one_to_one",
    "quadratic_match",
]


def _sort_key(key: Any) -> tuple[int, Any]:
    """Integers (numerically) before strings (lexically); anything else is refused."""
    if isinstance(key, bool):
        raise ValueError(f"project: keys must be int or str, got {key!r}")
    if isinstance(key, int):
        return (0, key)
    if isinstance(key, str):
        return (1, key)
    raise ValueError(f"project: keys must be int or str, got {key!r}")


def _check_amount(name: str, value: Any, *, allow_none: bool = False, positive: bool = False) -> None:
    if value is None and allow_none:
        return
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{name}: must be an int (fen), got {value!r}")
    if value < 0 or (positive and value == 0):
        raise ValueError(f"{name}: must be an int {'> 0' if positive else '>= 0'} (fen), got {value!r}")


# ---------------------------------------------------------------------------
# 1:1 matching up to a cap
# ---------------------------------------------------------------------------

@dataclass(frozen=True)
class Donation:
    """One gift: ``amount`` fen to ``project`` from ``donor`` (``None``: anonymous)."""

    project: Hashable
    amount: int
    donor: Hashable | None = None

    def __post_init__(self) -> None:
        _sort_key(self.project)
        _check_amount("Donation.amount", self.amount, positive=True)


@dataclass(frozen=True)
class DonationMatch:
    """What one donation attracted and, when less than the full match, why
    (``donation_matched``, ``donation_partly_matched`` or ``donation_not_matched`` with
    ``ran_out``: ``cap``, ``donor_limit`` or ``project_limit``)."""

    index: int  # position in the input sequence
    donation: Donation
    matched: int
    reason: Reason


@dataclass(frozen=True)
class ProjectMatch:
    """A project's donations and the match they attracted under :func:`match_one_to_one`.

    ``reason`` is ``matched_in_full``, ``reached_limit`` or ``cap_ran_out``.
    """

    project: Hashable
    donations: int  # number of gifts
    donated: int  # their total
    matched: int
    limit: int | None  # the project's own limit (room left in its budget), if any
    reason: Reason

    @property
    def reason_code(self) -> str:
        return self.reason.code


@dataclass(frozen=True)
class OneToOneResult:
    """Outcome of :func:`match_one_to_one`; ``total_matched + unallocated == cap``."""

    cap: int
    ratio: Fraction
    total_matched: int
    unallocated: int
    donations: tuple[DonationMatch, ...]
    projects: tuple[ProjectMatch, ...]
    summary: Reason  # one_to_one_summary

    @property
    def matches(self) -> dict[Hashable, int]:
        """``{project: matched amount}`` for every project that received donations."""
        return {p.project: p.matched for p in self.projects}

    @property
    def explanation(self) -> str:
        """The summary in English."""
        return render(self.summary)


def match_one_to_one(donations: Sequence[Donation], cap: int, *, ratio: int | Fraction = 1,
                     per_donor_cap: int | None = None, per_project_cap: int | None = None,
                     project_limits: Mapping[Hashable, int] | None = None) -> OneToOneResult:
    """Match donations at ``ratio`` (1:1 by default), first come first matched, up to ``cap``.

    Parameters
    ----------
    donations : sequence of Donation
        The gifts, **in the order they were made**; earlier gifts are matched
        first (the order is the tie-breaking rule).
    cap : int
        The most the funder pays in total (fen).
    ratio : int or Fraction, default 1
        Match per unit donated (``Fraction(1, 2)`` pays 1 fen for every 2 given).
        A donation's match is rounded down to whole fen.
    per_donor_cap : int, optional
        The most one donor's gifts can attract together (anonymous gifts share
        no cap). Guards against one wealthy donor exhausting the match.
    per_project_cap : int, optional
        The most one project can receive.
    project_limits : mapping, optional
        ``{project: fen}`` further limits per project, e.g. the room left in its
        budget; a project missing from the mapping has no such limit.

    Returns
    -------
    OneToOneResult
        Per-donation and per-project matches with reasons; the amounts are
        integers and ``total_matched <= cap``.

    Raises
    ------
    ValueError
        When an amount is negative or not an ``int``, or ``ratio <= 0``.

    Examples
    --------
    >>> gifts = [Donation("a", 30_000, "x"), Donation("b", 50_000, "y"), Donation("a", 40_000, "z")]
    >>> result = match_one_to_one(gifts, cap=60_000)
    >>> result.matches
    {'a': 30000, 'b': 30000}
    >>> [render(d.reason) for d in result.donations]
    ['matched', 'partly matched: the cap ran out', 'not matched: the cap ran out']
    """
    donations = tuple(donations)
    ratio = _check_one_to_one(donations, cap, ratio, per_donor_cap, per_project_cap, project_limits)
    limits = dict(project_limits or {})
    left = cap
    by_donor: dict[Hashable, int] = {}
    by_project: dict[Hashable, int] = {}
    results: list[DonationMatch] = []
    for index, donation in enumerate(donations):
        bounds = [(left, "cap")]
        if per_donor_cap is not None and donation.donor is not None:
            bounds.append((per_donor_cap - by_donor.get(donation.donor, 0), "donor_limit"))
        project_bound = _project_limit(donation.project, per_project_cap, limits)
        if project_bound is not None:
            bounds.append((project_bound - by_project.get(donation.project, 0), "project_limit"))
        bound, ran_out = min(bounds, key=lambda b: b[0])
        wanted = math.floor(donation.amount * ratio)
        matched = max(0, min(wanted, bound))
        left -= matched
        if donation.donor is not None:
            by_donor[donation.donor] = by_donor.get(donation.donor, 0) + matched
        by_project[donation.project] = by_project.get(donation.project, 0) + matched
        results.append(DonationMatch(index, donation, matched, _donation_reason(matched, wanted, ran_out)))
    projects = tuple(_project_match(key, [r for r in results if r.donation.project == key],
                                    by_project.get(key, 0), _project_limit(key, per_project_cap, limits),
                                    ratio)
                     for key in sorted({d.project for d in donations}, key=_sort_key))
    total = cap - left
    summary = Reason("one_to_one_summary", {
        "donations": len(donations), "ratio": f"{ratio.numerator}:{ratio.denominator}",
        "matched": total, "cap": cap, "left": left})
    return OneToOneResult(cap, ratio, total, left, tuple(results), projects, summary)


def _check_one_to_one(donations: Sequence[Donation], cap: int, ratio: int | Fraction,
                      per_donor_cap: int | None, per_project_cap: int | None,
                      project_limits: Mapping[Hashable, int] | None) -> Fraction:
    """Validate :func:`match_one_to_one`'s arguments; returns the ratio as a fraction."""
    _check_amount("cap", cap)
    _check_amount("per_donor_cap", per_donor_cap, allow_none=True)
    _check_amount("per_project_cap", per_project_cap, allow_none=True)
    exact = Fraction(ratio)
    if exact <= 0:
        raise ValueError(f"ratio: must be > 0, got {exact}")
    for key, value in (project_limits or {}).items():
        _sort_key(key)
        _check_amount(f"project_limits[{key!r}]", value)
    for i, donation in enumerate(donations):
        if not isinstance(donation, Donation):
            raise ValueError(f"donations[{i}]: must be a Donation, got {type(donation).__name__}")
    return exact


def _project_limit(project: Hashable, per_project_cap: int | None,
                   limits: Mapping[Hashable, int]) -> int | None:
    """The most ``project`` may be matched: the per-project cap and its own limit, if any."""
    bound = per_project_cap
    if project in limits:
        bound = limits[project] if bound is None else min(bound, limits[project])
    return bound


def _donation_reason(matched: int, wanted: int, ran_out: str) -> Reason:
    if matched == wanted:
        return Reason("donation_matched")
    if matched == 0:
        return Reason("donation_not_matched", {"ran_out": ran_out})
    return Reason("donation_partly_matched", {"ran_out": ran_out})


def _project_match(key: Hashable, own: list[DonationMatch], matched: int, limit: int | None,
                   ratio: Fraction) -> ProjectMatch:
    """A project's totals and why it got what it got."""
    full = sum(math.floor(r.donation.amount * ratio) for r in own)
    if matched == full:
        reason = Reason("matched_in_full", {"gifts": len(own)})
    elif limit is not None and matched == limit:
        reason = Reason("reached_limit", {"limit": limit})
    else:
        reason = Reason("cap_ran_out", {"matched": matched, "full": full})
    return ProjectMatch(key, len(own), sum(r.donation.amount for r in own), matched, limit, reason)


# ---------------------------------------------------------------------------
# Quadratic funding
# ---------------------------------------------------------------------------

@dataclass(frozen=True)
class QuadraticProject:
    """One project's contributions and its share of the pool under :func:`quadratic_match`.

    ``reason`` is ``no_contributions``, ``single_contributor``, ``reached_limit``,
    ``full_ideal`` or ``share``.
    """

    project: Hashable
    contributors: int
    contributed: int
    sum_sqrt: float  # sum of sqrt(c_i)
    ideal_match: float  # (sum sqrt c_i)^2 - sum c_i, before scaling to the pool
    match: int
    limit: int | None
    capped: bool
    reason: Reason

    @property
    def reason_code(self) -> str:
        return self.reason.code


@dataclass(frozen=True)
class QuadraticResult:
    """Outcome of :func:`quadratic_match`; ``total_matched + unallocated == pool_amount``."""

    pool_amount: int
    total_matched: int
    unallocated: int
    scale: float  # total matched / total ideal match (1.0 when nothing is ideal)
    projects: tuple[QuadraticProject, ...]
    summary: Reason  # quadratic_scaled or quadratic_shared

    @property
    def matches(self) -> dict[Hashable, int]:
        """``{project: matched amount}`` for every project in the input."""
        return {p.project: p.match for p in self.projects}

    @property
    def explanation(self) -> str:
        """The summary in English."""
        return render(self.summary)


def _apportion(weights: dict[Hashable, Fraction], total: int,
               caps: dict[Hashable, int | None]) -> dict[Hashable, int]:
    """Share ``total`` units in proportion to ``weights`` without exceeding ``caps``.

    Water-filling: a project whose proportional share reaches its cap gets the
    cap and leaves; the rest is shared again. Whole units by largest remainder,
    ties to the key that sorts first. The sum is ``min(total, sum of caps)``
    over projects with a positive weight.
    """
    result = {key: 0 for key in weights}
    active = [k for k in sorted(weights, key=_sort_key) if weights[k] > 0 and caps.get(k) != 0]
    left = total
    while active and left > 0:
        weight_sum = sum(weights[k] for k in active)
        shares = {k: left * weights[k] / weight_sum for k in active}
        capped = [k for k in active if (cap := caps.get(k)) is not None and shares[k] >= cap]
        if capped:
            for key in capped:
                cap = caps[key]
                if cap is not None:  # always: only capped projects are in the list
                    result[key] = cap
                    left -= cap
            active = [k for k in active if k not in capped]
            continue
        floors = {k: math.floor(shares[k]) for k in active}
        spare = left - sum(floors.values())
        order = sorted(active, key=lambda k: (-(shares[k] - floors[k]), _sort_key(k)))
        for key in order:
            if spare <= 0:
                break
            cap = caps.get(key)
            if cap is None or floors[key] < cap:
                floors[key] += 1
                spare -= 1
        result.update(floors)
        break
    return result


def quadratic_match(contributions_by_project: Mapping[Hashable, Sequence[int] | Mapping[Hashable, int]],
                    pool_amount: int, *, per_project_cap: int | None = None,
                    project_limits: Mapping[Hashable, int] | None = None,
                    scale_up: bool = True) -> QuadraticResult:
    """Share ``pool_amount`` among projects by quadratic funding.

    A project's ideal match is ``(sum of sqrt(c_i))**2 - sum of c_i`` where
    ``c_i`` is contributor *i*'s total to that project. The pool is shared in
    proportion to the ideal matches (scaled down when they ask for more than the
    pool, and -- with ``scale_up`` -- up when they ask for less, as Gitcoin
    does), within each project's limit; what a capped project cannot take is
    shared among the others.

    Parameters
    ----------
    contributions_by_project : mapping
        ``{project: contributions}``; ``contributions`` is a sequence with one
        total per contributor, or a ``{contributor: total}`` mapping. Add up a
        contributor's gifts to a project **before** calling: split gifts count
        as separate people otherwise, which is how quadratic funding is gamed.
        Zero entries are ignored.
    pool_amount : int
        The matching pool (fen).
    per_project_cap : int, optional
        The most any project can receive (Gitcoin's "matching cap").
    project_limits : mapping, optional
        ``{project: fen}`` further limits per project, e.g. the room left in its
        budget.
    scale_up : bool, default True
        When the ideal matches add up to less than the pool, scale them up to
        spend the whole pool (within limits). ``False`` pays at most the ideal
        match and leaves the rest unallocated.

    Returns
    -------
    QuadraticResult
        Per-project ideal and actual matches with reasons. Amounts are integers,
        ``total_matched <= pool_amount`` and no project exceeds its limit.

    Raises
    ------
    ValueError
        When an amount is negative or not an ``int``, or a key is neither
        ``int`` nor ``str``.

    Examples
    --------
    Ten gifts of 100 against one gift of 1,000: the same total, a very
    different match.

    >>> result = quadratic_match({"many": [100] * 10, "one": [1_000]}, pool_amount=5_000)
    >>> result.matches
    {'many': 5000, 'one': 0}
    >>> result.projects[0].ideal_match
    9000.0
    >>> quadratic_match({"a": [400, 100], "b": [100, 100, 100, 100]}, 1_000).matches
    {'a': 250, 'b': 750}
    """
    _check_amount("pool_amount", pool_amount)
    _check_amount("per_project_cap", per_project_cap, allow_none=True)
    limits = dict(project_limits or {})
    for key, value in limits.items():
        _sort_key(key)
        _check_amount(f"project_limits[{key!r}]", value)
    rows = {key: _contribution_row(key, contributions_by_project[key])
            for key in sorted(contributions_by_project, key=_sort_key)}
    caps = {key: _project_limit(key, per_project_cap, limits) for key in rows}
    payable = dict(caps)
    if not scale_up:
        for key, row in rows.items():
            whole = math.floor(row.ideal)
            cap = caps[key]
            payable[key] = whole if cap is None else min(whole, cap)
    weights = {key: row.ideal for key, row in rows.items()}
    allocation = _apportion(weights, pool_amount, payable)
    total_ideal = sum(weights.values())
    total = sum(allocation.values())
    projects = tuple(_quadratic_project(key, row, allocation[key], caps[key], total_ideal, scale_up)
                     for key, row in rows.items())
    scale = float(Fraction(total) / total_ideal) if total_ideal else 1.0
    summary = Reason("quadratic_scaled" if total_ideal else "quadratic_shared", {
        "projects": len(rows), "ideal": math.floor(total_ideal), "pool": pool_amount, "scale": scale,
        "matched": total, "left": pool_amount - total})
    return QuadraticResult(pool_amount, total, pool_amount - total, scale, projects, summary)


@dataclass(frozen=True)
class _Contributions:
    """One project's positive contributions, summed, and its ideal match."""

    count: int
    total: int
    sum_sqrt: float
    ideal: Fraction


def _contribution_row(key: Hashable, raw: Sequence[int] | Mapping[Hashable, int]) -> _Contributions:
    amounts = list(raw.values()) if isinstance(raw, Mapping) else list(raw)
    for i, amount in enumerate(amounts):
        _check_amount(f"contributions_by_project[{key!r}][{i}]", amount)
    amounts = [a for a in amounts if a > 0]
    sum_sqrt = math.fsum(math.sqrt(a) for a in amounts)
    # (sum sqrt c)^2 - sum c = 2 * sum_{i<j} sqrt(c_i c_j): exactly 0 for one contributor, and at
    # least 2 fen for two or more, far above the rounding error of the float square roots.
    ideal = Fraction(sum_sqrt) ** 2 - sum(amounts) if len(amounts) > 1 else Fraction(0)
    return _Contributions(len(amounts), sum(amounts), sum_sqrt, max(Fraction(0), ideal))


def _quadratic_project(key: Hashable, row: _Contributions, match: int, limit: int | None,
                       total_ideal: Fraction | int, scale_up: bool) -> QuadraticProject:
    """A project's share and why it got it."""
    capped = limit is not None and match == limit and row.ideal > 0
    if row.count == 0:
        reason = Reason("no_contributions")
    elif row.ideal == 0:
        reason = Reason("single_contributor")
    elif capped:
        reason = Reason("reached_limit", {"limit": limit})
    elif not scale_up and match == math.floor(row.ideal):
        reason = Reason("full_ideal")
    else:
        reason = Reason("share", {"fraction": float(row.ideal / total_ideal) if total_ideal else 0.0})
    return QuadraticProject(key, row.count, row.total, row.sum_sqrt, float(row.ideal), match, limit, capped,
                            reason)
