"""Does the engine propose the right provider first?  A hand-labelled Futian set.

The set lives in ``tests/data/matching_labelled/`` (its README says how it was written):
projects written like Futian tender notices and residents' micro-project proposals, provider
profiles written like social organisations' and firms' own descriptions, and for every project
the provider an experienced official would pick (``right``), the providers that pass the hard
filters (``eligible``: same category, serves the street) and the deliberate hard negatives
among them, each with its kind:

``neighbour_specialty``
    same category and area, a neighbouring specialty (居家上门 vs 长者饭堂);
``keyword_stuffing``
    a generic 综合服务中心 profile that repeats every keyword of its categories;
``incidental_words``
    shares place names and words such as 社区 with the project, nothing else;
``non_supplier``
    for goods and works: an organisation that supplies neither (art troupe, social workers,
    trainers, designers).

Each project's eligible providers are ranked three ways:

* ``engine``: :func:`matching.score.score_pair` total, as the engine scores a candidate, with
  the default sector vocabulary (the provider is built from its capability text, name, the
  titles of the projects it delivered, what it supplies and its qualifications); a pair the
  engine's hard filters reject (e.g. a goods project and a provider that supplies no goods)
  ranks last;
* ``engine_words_only``: the same with :meth:`matching.vocabulary.Vocabulary.empty` - the
  text component is the plain ``token_set_ratio`` of needs and capabilities, as before the
  vocabulary (name and delivered titles then play no part);
* ``random``: random order among the eligible, as an exact expected value;
* ``token_set_ratio``: rapidfuzz ``fuzz.token_set_ratio`` of the project's text against the
  capability text, both segmented with :func:`matching.text.prepare` (the text component
  alone, without category, geography, reputation or delivery record).

Ties are broken at random, so every figure is the expected value over tie orders: if the
right provider ties with ``t`` wrong ones and trails ``b``, precision@1 counts
``1 / (t + 1)`` when ``b == 0`` and the reciprocal rank is the mean of ``1 / r`` for ``r`` in
``b + 1 .. b + t + 1``.  Random order is the case where every provider ties.

There are two sets in that format: the development set (``tests/data/matching_labelled``, 87
projects, the one the engine's weights and vocabulary were tuned on) and the held-out set
(``tests/data/matching_labelled/heldout``, 38 projects and 64 other providers, written before
the tuning and never used for it); the held-out figures are the estimate for new projects.

``python -m matching.bench.labelled_bench [--misses] [--heldout | --data DIR]`` prints the
figures of one set, the breakdown by kind of project and, with ``--misses``, every project the
engine gets wrong; ``python -m matching.bench --only labelled`` prints the benchmark table rows
of both sets, held-out first.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..candidates import check_pair
from ..score import score_pair
from ..text import prepare
from ..types import MatchProblem, ProjectSpec, ProviderSpec
from ..vocabulary import Vocabulary

__all__ = [
    "DATA_DIR",
    "HELDOUT_DIR",
    "SETS",
    "HARD_NEGATIVE_KINDS",
    "RIGHT_PROFILES",
    "RANKERS",
    "Label",
    "LabelledSet",
    "Outcome",
    "RankerFigures",
    "LabelledReport",
    "load_set",
    "rank_outcome",
    "evaluate",
    "format_report",
    "run",
    "main",
]

#: Where the development set lives in a checkout of the project.
DATA_DIR = Path(__file__).resolve().parents[2] / "tests" / "data" / "matching_labelled"
#: The held-out set: written after the engine, never used to tune it (same format).
HELDOUT_DIR = DATA_DIR / "heldout"
#: ``name -> folder`` of the sets the benchmark reports, the held-out set first.
SETS = {"heldout": HELDOUT_DIR, "development": DATA_DIR}
HARD_NEGATIVE_KINDS = ("neighbour_specialty", "keyword_stuffing", "incidental_words", "non_supplier")
#: How the right provider describes the need: in the project's words, in the sector's other
#: words (喘息服务, 个案管理, 亲职教育 ...), or with the decisive word only in its name.
RIGHT_PROFILES = ("same_words", "other_words", "name_only")
RANKERS = ("engine", "engine_words_only", "random", "token_set_ratio")
#: Wins by less than this (score units) are fragile.
NARROW = 0.01
_TIE = 1e-9


@dataclass(frozen=True)
class Label:
    """The labels of one project."""

    right: str
    right_profile: str
    hard_negatives: dict[str, str]
    eligible: tuple[str, ...]


@dataclass(frozen=True)
class LabelledSet:
    """Projects and providers as engine inputs, with the labels and the raw records."""

    projects: tuple[ProjectSpec, ...]
    providers: dict[str, ProviderSpec]
    labels: dict[str, Label]
    project_records: dict[str, dict[str, Any]]
    provider_records: dict[str, dict[str, Any]]

    @property
    def pair_count(self) -> int:
        """Number of labelled eligible (project, provider) pairs."""
        return sum(len(label.eligible) for label in self.labels.values())


@dataclass(frozen=True)
class Outcome:
    """Where one ranker put the right provider of one project.

    ``margin`` is the right provider's score minus the best wrong one's (negative when a wrong
    provider wins; ``None`` for random order); ``winner`` the best-scoring wrong provider.
    """

    project_id: str
    n_eligible: int
    precision_at_1: float
    reciprocal_rank: float
    better: int
    ties: int
    right_score: float | None
    winner: str | None
    winner_score: float | None
    margin: float | None


@dataclass(frozen=True)
class RankerFigures:
    """Figures of one ranker over the whole set."""

    ranker: str
    precision_at_1: float
    mrr: float
    median_margin: float | None
    narrow_wins: int
    seconds: float
    outcomes: tuple[Outcome, ...]

    def outcome(self, project_id: str) -> Outcome:
        """The outcome of one project (``KeyError`` if unknown)."""
        for o in self.outcomes:
            if o.project_id == project_id:
                return o
        raise KeyError(project_id)


@dataclass(frozen=True)
class LabelledReport:
    """Output of :func:`evaluate`."""

    n_projects: int
    n_providers: int
    n_pairs: int
    figures: dict[str, RankerFigures]
    engine_rejected: tuple[tuple[str, str], ...]
    data: LabelledSet

    def summary(self) -> dict[str, dict[str, float | int | None]]:
        """``ranker -> {precision_at_1, mrr, median_margin, narrow_wins}``."""
        return {name: {"precision_at_1": f.precision_at_1, "mrr": f.mrr,
                       "median_margin": f.median_margin, "narrow_wins": f.narrow_wins}
                for name, f in self.figures.items()}

    def breakdown(self, ranker: str, key: Callable[[str], str]) -> dict[str, tuple[int, float, float]]:
        """``group -> (projects, precision@1, MRR)`` of one ranker, projects grouped by ``key``."""
        groups: dict[str, list[Outcome]] = {}
        for o in self.figures[ranker].outcomes:
            groups.setdefault(key(o.project_id), []).append(o)
        return {g: (len(os), statistics.fmean(o.precision_at_1 for o in os),
                    statistics.fmean(o.reciprocal_rank for o in os))
                for g, os in sorted(groups.items())}

    def winner_kinds(self, ranker: str = "engine") -> Counter[str]:
        """On the projects the ranker misses, what kind of provider wins."""
        kinds: Counter[str] = Counter()
        for o in self.figures[ranker].outcomes:
            if o.precision_at_1 < 1.0 and o.winner is not None:
                label = self.data.labels[o.project_id]
                kinds[label.hard_negatives.get(o.winner, "other_eligible")] += 1
        return kinds


# --------------------------------------------------------------------------- loading


def _read(path: Path) -> Any:
    with path.open(encoding="utf-8") as fh:
        return json.load(fh)


def load_set(data_dir: str | Path | None = None) -> LabelledSet:
    """Read the set and build engine inputs from it.

    Parameters
    ----------
    data_dir : path, optional
        Folder with ``projects.json``, ``providers.json``, ``labels.json`` and
        ``streets.json`` (default :data:`DATA_DIR`).

    Returns
    -------
    LabelledSet

    Raises
    ------
    FileNotFoundError
        The folder or one of its files is missing.
    ValueError
        A label names an unknown provider, a right provider or hard negative outside the
        eligible set, or an unknown kind; the message starts with the project id.
    """
    folder = Path(data_dir) if data_dir is not None else DATA_DIR
    streets = {s["id"]: s["name"] for s in _read(folder / "streets.json")}
    project_rows = _read(folder / "projects.json")
    provider_rows = _read(folder / "providers.json")
    label_rows = _read(folder / "labels.json")

    providers: dict[str, ProviderSpec] = {}
    for row in provider_rows:
        served = set(row["streets"]) | {row["home_street"]}
        providers[row["id"]] = ProviderSpec(
            id=row["id"], name=row["name"], kind=row["kind"], categories=row["categories"],
            streets=frozenset(served), whole_district=row["whole_district"],
            home_street_id=row["home_street"], rating_grade=row["rating_grade"],
            years_registered=float(row["years_registered"]), staff=row["staff"], capacity=1,
            capability=row["capability"], deliveries_completed=row["deliveries_completed"],
            supplies=frozenset(row["supplies"]), qualifications=frozenset(row["qualifications"]),
            delivered_titles=tuple(row.get("delivered_projects", ())))

    projects = []
    for row in project_rows:
        lead = "服务对象：" if row["lang"] == "zh" else "Target group: "
        community = row.get("community")
        projects.append(ProjectSpec(
            id=row["id"], title=row["title"], category=row["category"], street_id=row["street"],
            budget=int(row["budget_yuan"]) * 100,
            description=f"{row['content']} {lead}{row['target_group']}",
            street_name=streets.get(row["street"], row["street"]),
            community_id=f"{row['street']}/{community}" if community else None,
            community_name=community or "", project_type=row["project_type"],
            needs_provider=True, needs_funding=False))

    labels: dict[str, Label] = {}
    for project in projects:
        raw = label_rows.get(project.id)
        if raw is None:
            raise ValueError(f"{project.id}: no label")
        label = Label(right=raw["right"], right_profile=raw["right_profile"],
                      hard_negatives=dict(raw["hard_negatives"]), eligible=tuple(raw["eligible"]))
        unknown = [p for p in (label.right, *label.hard_negatives, *label.eligible) if p not in providers]
        if unknown:
            raise ValueError(f"{project.id}: unknown provider(s) {unknown}")
        if label.right not in label.eligible:
            raise ValueError(f"{project.id}.right: {label.right} is not among the eligible providers")
        if label.right_profile not in RIGHT_PROFILES:
            raise ValueError(f"{project.id}.right_profile: unknown {label.right_profile!r}")
        for pid, kind in label.hard_negatives.items():
            if kind not in HARD_NEGATIVE_KINDS:
                raise ValueError(f"{project.id}.hard_negatives: unknown kind {kind!r}")
            if pid == label.right or pid not in label.eligible:
                raise ValueError(f"{project.id}.hard_negatives: {pid} must be an eligible wrong provider")
        labels[str(project.id)] = label
    return LabelledSet(projects=tuple(projects), providers=providers, labels=labels,
                       project_records={r["id"]: r for r in project_rows},
                       provider_records={r["id"]: r for r in provider_rows})


# --------------------------------------------------------------------------- ranking


def rank_outcome(project_id: str, scores: dict[str, float], right: str, *,
                 with_margin: bool = True) -> Outcome:
    """Tie-aware precision@1 and reciprocal rank of ``right`` among ``scores``.

    Ties are broken uniformly at random, so both figures are expected values.

    >>> o = rank_outcome("p", {"a": 0.9, "b": 0.9, "c": 0.1}, "a")
    >>> o.precision_at_1, o.reciprocal_rank, o.margin
    (0.5, 0.75, 0.0)
    >>> rank_outcome("p", {"a": 0.2, "b": 0.9}, "a").winner
    'b'
    """
    mine = scores[right]
    wrong = {k: v for k, v in scores.items() if k != right}
    better = sum(1 for v in wrong.values() if v > mine + _TIE)
    ties = sum(1 for v in wrong.values() if abs(v - mine) <= _TIE)
    p1 = 1.0 / (ties + 1) if better == 0 else 0.0
    rr = statistics.fmean(1.0 / r for r in range(better + 1, better + ties + 2))
    winner = winner_score = margin = None
    if wrong:
        winner = min(wrong, key=lambda k: (-wrong[k], k))
        winner_score = wrong[winner]
        if with_margin:
            margin = mine - winner_score
    return Outcome(project_id=project_id, n_eligible=len(scores), precision_at_1=p1,
                   reciprocal_rank=rr, better=better, ties=ties,
                   right_score=mine if with_margin else None, winner=winner if with_margin else None,
                   winner_score=winner_score if with_margin else None, margin=margin)


def _figures(name: str, outcomes: list[Outcome], seconds: float) -> RankerFigures:
    margins = [o.margin for o in outcomes if o.margin is not None]
    return RankerFigures(
        ranker=name, precision_at_1=statistics.fmean(o.precision_at_1 for o in outcomes),
        mrr=statistics.fmean(o.reciprocal_rank for o in outcomes),
        median_margin=statistics.median(margins) if margins else None,
        narrow_wins=sum(1 for m in margins if 0 < m < NARROW), seconds=seconds,
        outcomes=tuple(outcomes))


def evaluate(data_dir: str | Path | None = None) -> LabelledReport:
    """Rank every project's eligible providers with the three rankers.

    Returns
    -------
    LabelledReport
        Figures per ranker (precision@1, MRR, median margin, wins by less than 0.01) and
        per project; ``engine_rejected`` lists labelled eligible pairs that the engine's own
        hard filters (:func:`matching.candidates.check_pair`) reject: they rank last for the
        engine.
    """
    from rapidfuzz import fuzz

    data = load_set(data_dir)
    problem = MatchProblem(projects=data.projects, providers=tuple(data.providers.values()))
    rejected = tuple((str(p.id), v) for p in data.projects for v in data.labels[str(p.id)].eligible
                     if check_pair(problem, p.id, v) is not None)
    rejected_set = set(rejected)
    prepare("预热")  # load the jieba dictionary outside the timings

    def engine_run(vocabulary: Vocabulary) -> tuple[list[Outcome], float]:
        outcomes: list[Outcome] = []
        t0 = time.perf_counter()
        for project in data.projects:
            label = data.labels[str(project.id)]
            scores = {v: (score_pair(project, data.providers[v], vocabulary=vocabulary)[0]
                          if (str(project.id), v) not in rejected_set else float("-inf"))
                      for v in label.eligible}
            outcomes.append(rank_outcome(str(project.id), scores, label.right))
        return outcomes, time.perf_counter() - t0

    Vocabulary.default().index("elderly_care")  # read and compile outside the timings
    engine, engine_s = engine_run(Vocabulary.default())
    words, words_s = engine_run(Vocabulary.empty())

    text: list[Outcome] = []
    t0 = time.perf_counter()
    for project in data.projects:
        label = data.labels[str(project.id)]
        need = prepare(project.text)
        scores = {v: fuzz.token_set_ratio(need, prepare(data.providers[v].capability), processor=None) / 100.0
                  for v in label.eligible}
        text.append(rank_outcome(str(project.id), scores, label.right))
    text_s = time.perf_counter() - t0

    chance = [rank_outcome(str(p.id), dict.fromkeys(data.labels[str(p.id)].eligible, 0.0), data.labels[str(p.id)].right,
                           with_margin=False) for p in data.projects]
    figures = {"engine": _figures("engine", engine, engine_s),
               "engine_words_only": _figures("engine_words_only", words, words_s),
               "random": _figures("random", chance, 0.0),
               "token_set_ratio": _figures("token_set_ratio", text, text_s)}
    return LabelledReport(n_projects=len(data.projects), n_providers=len(data.providers),
                          n_pairs=data.pair_count, figures=figures, engine_rejected=rejected, data=data)


# --------------------------------------------------------------------------- output


def _size(report: LabelledReport) -> str:
    return f"{report.n_projects} projects, {report.n_providers} providers, {report.n_pairs} eligible pairs"


def _quality(f: RankerFigures) -> str:
    text = f"P@1 {f.precision_at_1:.3f}, MRR {f.mrr:.3f}"
    if f.median_margin is not None:
        text += f", median margin {f.median_margin:+.3f}, {f.narrow_wins} wins by < {NARROW}"
    return text


def run(quick: bool = False) -> list[dict[str, Any]]:
    """Benchmark rows: one per set and ranker (``quick`` changes nothing: the sets are small).

    The held-out set (never used to tune the engine) comes first; the development set, on
    which weights and vocabulary were tuned, second.
    """
    titles = ("engine score_pair", "engine score_pair without the sector vocabulary",
              "random order among the eligible (expected)",
              "token_set_ratio of need and capability texts")
    rows = []
    for set_name, folder in SETS.items():
        report = evaluate(folder)
        for name, title in zip(RANKERS, titles):
            f = report.figures[name]
            rows.append({"benchmark": f"labelled ({set_name}): {title}", "size": _size(report),
                         "ours_s": f.seconds if name != "random" else None,
                         "reference": "right provider labelled by hand", "reference_s": None,
                         "ratio": None, "quality": _quality(f)})
    return rows


def _provider_line(report: LabelledReport, project: ProjectSpec, pid: str, role: str) -> str:
    data = report.data
    total, parts = score_pair(project, data.providers[pid])
    kind = data.labels[str(project.id)].hard_negatives.get(pid)
    tag = f" [{kind}]" if kind else ""
    comps = " ".join(f"{k}={v:.2f}" for k, v in parts.items() if k in ("text", "category", "geography", "delivery"))
    return f"    {role:<6} {pid} {data.provider_records[pid]['name']}{tag}: {total:.3f} ({comps})"


def format_report(report: LabelledReport, *, misses: bool = False) -> str:
    """Plain-text report: figures, breakdowns, and with ``misses`` every engine failure."""
    lines = [f"labelled set: {_size(report)}"]
    if report.engine_rejected:
        lines.append(f"engine's hard filters reject {len(report.engine_rejected)} labelled eligible pair(s)")
    lines.append("")
    lines.append(f"{'ranker':<18} {'P@1':>6} {'MRR':>6} {'median margin':>14} {'wins < 0.01':>12}")
    for name in RANKERS:
        f = report.figures[name]
        margin = "—" if f.median_margin is None else f"{f.median_margin:+.3f}"
        narrow = "—" if f.median_margin is None else str(f.narrow_wins)
        lines.append(f"{name:<18} {f.precision_at_1:>6.3f} {f.mrr:>6.3f} {margin:>14} {narrow:>12}")
    records = report.data.project_records
    groupings = {
        "right provider's words": lambda pid: report.data.labels[pid].right_profile,
        "source": lambda pid: records[pid]["source"],
        "project type": lambda pid: records[pid]["project_type"],
        "language": lambda pid: records[pid]["lang"],
    }
    for title, key in groupings.items():
        lines.append("")
        lines.append(f"P@1 by {title}: " + "; ".join(
            f"{group} (n={n}) " + " / ".join(f"{r} {report.breakdown(r, key)[group][1]:.2f}" for r in RANKERS)
            for group, (n, _, _) in report.breakdown("engine", key).items()))
    kinds = report.winner_kinds("engine")
    lines.append("")
    lines.append("engine misses, by kind of winner: " + (", ".join(f"{k} {n}" for k, n in kinds.most_common())
                                                         or "none"))
    if misses:
        by_id = {p.id: p for p in report.data.projects}
        lines.append("")
        lines.append("engine misses (right provider not alone in first place):")
        for o in report.figures["engine"].outcomes:
            if o.precision_at_1 >= 1.0:
                continue
            project = by_id[o.project_id]
            label = report.data.labels[o.project_id]
            rec = records[o.project_id]
            rank = f"{o.better + 1}" if not o.ties else f"{o.better + 1}-{o.better + o.ties + 1}"
            lines.append(f"  {o.project_id} [{rec['source']}, {rec['project_type']}, {label.right_profile}] "
                         f"{rec['title']} ({project.category}, {project.street_name}): right ranked {rank} "
                         f"of {o.n_eligible}, margin {o.margin:+.3f}")
            lines.append(_provider_line(report, project, label.right, "right"))
            assert o.winner is not None
            lines.append(_provider_line(report, project, o.winner, "winner"))
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m matching.bench.labelled_bench [--misses] [--data DIR]``."""
    parser = argparse.ArgumentParser(prog="python -m matching.bench.labelled_bench",
                                     description="Precision@1 and MRR of the engine on the labelled set.")
    parser.add_argument("--misses", action="store_true", help="list every project the engine gets wrong")
    parser.add_argument("--data", help=f"folder of the set (default {DATA_DIR}, the development set)")
    parser.add_argument("--heldout", action="store_true", help=f"use the held-out set ({HELDOUT_DIR})")
    args = parser.parse_args(argv)
    folder = HELDOUT_DIR if args.heldout else args.data
    print(format_report(evaluate(folder), misses=args.misses))
    return 0


if __name__ == "__main__":
    sys.exit(main())
