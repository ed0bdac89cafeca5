"""Benchmark of ``matching.pb`` rules against pabutools on large Pabulib elections.

``run(quick)`` returns one row per (rule, election): our median time, pabutools'
median time on the same input, their ratio and whether the outcomes are the same.

pabutools' add-one completion re-runs MES once per currency unit added to each
voter's budget; on big elections that is hours. Its time is estimated first
(one pabutools MES run x the number of runs it will make, known from ours) and
the reference is skipped, with a note in ``reference``, when the estimate exceeds
the mode's limit.

:func:`replay_rows` adds one row per Pabulib file with a ``selected`` column: the
rule the city used (META ``rule``) replayed, against the winners the file records.
"""

from __future__ import annotations

import statistics
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from functools import partial
from pathlib import Path
from typing import Any

from matching.pb._text import money
from matching.pb.io import read_pabulib
from matching.pb.model import Election, total_cost
from matching.pb.rules import RULES
from matching.pb.rules.official import Replay, recorded_selection, replay

DATA_DIR = Path("/work/shared/data/pabulib")
INSTANCES = ("Poland_Wroclaw_2025.pb", "Poland_Warszawa_2021_Praga-Poludnie.pb")
RULE_ORDER = ("greedy", "max-welfare", "mes", "mes-add1", "mes-add1-greedy", "phragmen")


def _median_time(function: Callable[[], Any], repeats: int) -> tuple[float, Any]:
    times = []
    result = None
    for _ in range(repeats):
        start = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def _pabutools_rule(rule: str) -> Callable[[Any, Any], list[str]]:
    """pabutools call equivalent to our rule (default tie-breaking, cost satisfaction)."""
    from pabutools.election import Cost_Sat
    from pabutools.rules import (
        greedy_utilitarian_welfare,
        max_additive_utilitarian_welfare,
        method_of_equal_shares,
        sequential_phragmen,
    )

    def names(allocation: Any) -> list[str]:
        return sorted(p.name for p in allocation)

    if rule == "greedy":
        return lambda inst, prof: names(greedy_utilitarian_welfare(inst, prof, sat_class=Cost_Sat))
    if rule == "max-welfare":
        return lambda inst, prof: names(max_additive_utilitarian_welfare(inst, prof, sat_class=Cost_Sat))
    if rule == "mes":
        return lambda inst, prof: names(method_of_equal_shares(inst, prof, sat_class=Cost_Sat))
    if rule == "mes-add1":
        return lambda inst, prof: names(
            method_of_equal_shares(inst, prof.as_multiprofile(), sat_class=Cost_Sat, voter_budget_increment=1)
        )
    if rule == "mes-add1-greedy":

        def add1_greedy(inst: Any, prof: Any) -> list[str]:
            multi = prof.as_multiprofile()
            add1 = method_of_equal_shares(inst, multi, sat_class=Cost_Sat, voter_budget_increment=1)
            return names(greedy_utilitarian_welfare(inst, multi, sat_class=Cost_Sat, initial_budget_allocation=add1))

        return add1_greedy
    if rule == "phragmen":
        return lambda inst, prof: names(sequential_phragmen(inst, prof))
    raise ValueError(f"rule: unknown {rule!r}")


def _multiprofile_mes_times(instance: Any, profile: Any) -> tuple[float, float]:
    """Seconds pabutools takes to build the multiprofile, and for one MES run on it."""
    from pabutools.election import Cost_Sat
    from pabutools.rules import method_of_equal_shares

    convert_s, multi = _median_time(profile.as_multiprofile, 1)
    mes_s, _ = _median_time(lambda: method_of_equal_shares(instance, multi, sat_class=Cost_Sat), 1)
    return convert_s, mes_s


def _row(
    benchmark: str, size: str, ours_s: float | None, reference: str, reference_s: float | None, quality: str
) -> dict[str, Any]:
    ratio = reference_s / ours_s if (reference_s is not None and ours_s) else None
    return {
        "benchmark": benchmark,
        "size": size,
        "ours_s": ours_s,
        "reference": reference,
        "reference_s": reference_s,
        "ratio": ratio,
        "quality": quality,
    }


def run(quick: bool = False, data_dir: str | Path | None = None) -> list[dict[str, Any]]:
    """Benchmark every rule on the largest Pabulib elections.

    Parameters
    ----------
    quick : bool
        Fewer repetitions (3 of ours, 1 of pabutools; 5 and 3 otherwise), and
        pabutools' add-one runs are skipped unless estimated under 30 s (7 min
        otherwise; a full run takes about 5 minutes).
    data_dir : path, optional
        Folder with the ``.pb`` files (default ``/work/shared/data/pabulib``).

    Returns
    -------
    list of dict
        Keys ``benchmark``, ``size``, ``ours_s``, ``reference``, ``reference_s``,
        ``ratio`` (reference_s / ours_s) and ``quality`` (``identical``,
        ``DIFFERENT``, or ``not compared`` when the reference was skipped, with
        the reason in ``reference``). Times are medians in seconds, both sides
        starting from an already parsed file. The replay rows of :func:`replay_rows`
        follow.
    """
    folder = Path(data_dir) if data_dir is not None else DATA_DIR
    paths = [folder / name for name in INSTANCES]
    if not all(p.is_file() for p in paths):
        return [_row("pb", "-", None, f"skipped: Pabulib files not found in {folder}", None, "not compared")]
    try:
        from importlib.metadata import version

        from pabutools.election import parse_pabulib

        reference_name = f"pabutools {version('pabutools')}"
    except ImportError:  # pragma: no cover - dev dependency
        parse_pabulib = None
        reference_name = "pabutools (not installed)"
    mode = _Mode(
        ours_repeats=3 if quick else 5,
        reference_repeats=1 if quick else 3,
        add1_limit_s=30.0 if quick else 420.0,
        reference_name=reference_name,
    )
    rows: list[dict[str, Any]] = []
    for path in paths:
        reference_input = parse_pabulib(str(path)) if parse_pabulib else None
        rows.extend(_election_rows(path, reference_input, mode))
    return rows + replay_rows(folder)


@dataclass(frozen=True)
class _Mode:
    """Repetitions and limits of a run, and the reference's name."""

    ours_repeats: int
    reference_repeats: int
    add1_limit_s: float
    reference_name: str


def _election_rows(path: Path, reference_input: Any, mode: _Mode) -> list[dict[str, Any]]:
    """One row per rule of :data:`RULE_ORDER` on one election."""
    election = read_pabulib(path)
    size = f"{path.stem}: {len(election.ballots):,} ballots, {len(election.projects)} projects"
    multiprofile_mes_s: tuple[float, float] | None = None
    rows = []
    for rule in RULE_ORDER:
        ours_s, result = _median_time(partial(RULES[rule], election), mode.ours_repeats)
        if reference_input is None:
            rows.append(_row(f"pb/{rule}", size, ours_s, mode.reference_name, None, "not compared"))
            continue
        repeats = mode.reference_repeats
        if rule in ("mes-add1", "mes-add1-greedy"):
            # pabutools makes one MES run (on the multiprofile) per increment,
            # up to ours + 1: time one and extrapolate before committing.
            if multiprofile_mes_s is None:
                multiprofile_mes_s = _multiprofile_mes_times(*reference_input)
            runs = int(dict(result.details).get("add1_increments", "0")) + 2
            estimate = multiprofile_mes_s[0] + multiprofile_mes_s[1] * runs
            if estimate > mode.add1_limit_s:
                note = f"{mode.reference_name} (skipped: estimated {estimate / 60:.0f} min for {runs} MES runs)"
                rows.append(_row(f"pb/{rule}", size, ours_s, note, None, "not compared"))
                continue
            repeats = 1
        compared = _compare(election, rule, sorted(result.selected), reference_input, repeats, mode.reference_name)
        rows.append(_row(f"pb/{rule}", size, ours_s, *compared))
    return rows


def _compare(
    election: Election, rule: str, ours: list[str], reference_input: Any, repeats: int, reference_name: str
) -> tuple[str, float | None, str]:
    """Time pabutools on the same election: (reference, reference_s, quality)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pabutools uses deprecated PuLP calls
        try:
            reference_s, reference = _median_time(partial(_pabutools_rule(rule), *reference_input), repeats)
        except Exception as error:  # pabutools' own failures are reported, not fatal
            return f"{reference_name} failed: {error!r}", None, "not compared"
    quality = "identical" if reference == ours else "DIFFERENT"
    if quality == "DIFFERENT" and rule == "max-welfare" and _welfare(election, reference) == _welfare(election, ours):
        quality = "DIFFERENT (same welfare: a tie broken differently)"
    return reference_name, reference_s, quality


def _welfare(election: Election, selected: list[str]) -> Fraction:
    scores = election.scores()
    return sum((Fraction(scores[p] * election.project(p).cost) for p in selected), Fraction(0))


def replay_rows(data_dir: str | Path | None = None) -> list[dict[str, Any]]:
    """One row per Pabulib file with a ``selected`` column: its official rule replayed.

    ``benchmark`` names the META rule, ``ours_s`` times the replay (``None`` when the
    rule cannot be replayed), ``reference`` is the file's ``selected`` column and
    ``quality`` says ``reproduced``, ``DIFFERENT`` (with the projects missing from the
    replay and those extra in it) or ``not replayed`` and why.
    """
    folder = Path(data_dir) if data_dir is not None else DATA_DIR
    rows: list[dict[str, Any]] = []
    for path in sorted(folder.glob("*.pb")):
        election = read_pabulib(path)
        if recorded_selection(election) is None:
            continue
        seconds, outcome = _median_time(partial(replay, election), 1)
        rows.append(_replay_row(path, election, seconds, outcome))
    return rows


def _replay_row(path: Path, election: Election, seconds: float, outcome: Replay) -> dict[str, Any]:
    size = f"{path.stem}: {len(election.ballots):,} {election.ballot_type} ballots, {len(election.projects)} projects"
    reference = "the file's selected column"
    benchmark = f"pb/replay {outcome.meta_rule}"
    if outcome.result is None:
        return _row(benchmark, size, None, reference, None, f"not replayed: {outcome.reason}")
    if outcome.reproduced:
        cost = money(total_cost(election, outcome.recorded))
        quality = f"reproduced: {len(outcome.recorded)} projects, cost {cost}"
    else:
        missing = ", ".join(outcome.missing) or "none"
        extra = ", ".join(outcome.extra) or "none"
        quality = f"DIFFERENT: selected but not replayed {missing}; replayed but not selected {extra}"
    return _row(benchmark, size, seconds, reference, None, quality)


if __name__ == "__main__":  # pragma: no cover
    import json
    import sys

    for row in run(quick="--quick" in sys.argv):
        print(json.dumps(row))
