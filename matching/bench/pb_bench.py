"""Benchmark of ``matching.pb`` rules against pabutools on large Pabulib elections.

``run(quick)`` returns one row per (rule, election): our median time, pabutools'
median time on the same input, their ratio and whether the outcomes are the same.

pabutools' add-one completion re-runs MES once per currency unit added to each
voter's budget; on big elections that is hours. Its time is estimated first
(one pabutools MES run x the number of runs it will make, known from ours) and
the reference is skipped, with a note in ``reference``, when the estimate exceeds
the mode's limit.
"""

from __future__ import annotations

import statistics
import time
import warnings
from collections.abc import Callable
from fractions import Fraction
from functools import partial
from pathlib import Path
from typing import Any

from matching.pb.io import read_pabulib
from matching.pb.model import Election
from matching.pb.rules import RULES

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
        starting from an already parsed file.
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

    ours_repeats = 3 if quick else 5
    reference_repeats = 1 if quick else 3
    add1_limit_s = 30.0 if quick else 420.0
    rows = []
    for path in paths:
        election = read_pabulib(path)
        size = f"{path.stem}: {len(election.ballots):,} ballots, {len(election.projects)} projects"
        reference_input = parse_pabulib(str(path)) if parse_pabulib else None
        multiprofile_mes_s: tuple[float, float] | None = None
        for rule in RULE_ORDER:
            ours_s, result = _median_time(partial(RULES[rule], election), ours_repeats)
            ours = sorted(result.selected)
            if reference_input is None:
                rows.append(_row(f"pb/{rule}", size, ours_s, reference_name, None, "not compared"))
                continue
            reference_call = _pabutools_rule(rule)
            repeats = reference_repeats
            if rule in ("mes-add1", "mes-add1-greedy"):
                # pabutools makes one MES run (on the multiprofile) per increment,
                # up to ours + 1: time one and extrapolate before committing.
                if multiprofile_mes_s is None:
                    multiprofile_mes_s = _multiprofile_mes_times(*reference_input)
                runs = int(dict(result.details).get("add1_increments", "0")) + 2
                estimate = multiprofile_mes_s[0] + multiprofile_mes_s[1] * runs
                if estimate > add1_limit_s:
                    note = f"{reference_name} (skipped: estimated {estimate / 60:.0f} min for {runs} MES runs)"
                    rows.append(_row(f"pb/{rule}", size, ours_s, note, None, "not compared"))
                    continue
                repeats = 1
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # pabutools uses deprecated PuLP calls
                try:
                    reference_s, reference = _median_time(partial(reference_call, *reference_input), repeats)
                except Exception as error:  # pabutools' own failures are reported, not fatal
                    rows.append(
                        _row(f"pb/{rule}", size, ours_s, f"{reference_name} failed: {error!r}", None, "not compared")
                    )
                    continue
            quality = "identical" if reference == ours else "DIFFERENT"
            if (
                quality == "DIFFERENT"
                and rule == "max-welfare"
                and _welfare(election, reference) == _welfare(election, ours)
            ):
                quality = "DIFFERENT (same welfare: a tie broken differently)"
            rows.append(_row(f"pb/{rule}", size, ours_s, reference_name, reference_s, quality))
    return rows


def _welfare(election: Election, selected: list[str]) -> int | Fraction:
    scores = election.scores()
    total: int | Fraction = 0
    for p in selected:
        total += scores[p] * election.project(p).cost
    return total


if __name__ == "__main__":  # pragma: no cover
    import json
    import sys

    for row in run(quick="--quick" in sys.argv):
        print(json.dumps(row))
