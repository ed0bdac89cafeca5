"""Category suggestion: a nearest-centroid classifier over tf-idf vectors of short texts.

Train it from labelled example texts (plain ``(text, label)`` pairs: category names and keyword
seeds, earlier proposals and projects whose category is known), then ask it for the most likely
labels of a new text. Features are :func:`matching.text.tokenize` words plus the character
bigrams of Chinese runs (so that 老年人 and 老人, or a word jieba cut differently, still share
something), weighted by sublinear term frequency and inverse document frequency; each label's
centroid is the normalised mean of its examples' vectors and a text scores the cosine to each
centroid.

Deterministic: the same examples give the same classifier, and ties between labels are broken by
the label's first appearance in the training examples.

Run ``python -m matching.classify --train TRAIN.csv --evaluate TEST.csv`` for top-1 and top-3
accuracy on a labelled file (CSV with ``label`` and ``text`` columns).
"""
from __future__ import annotations

import argparse
import csv
import math
import re
import sys
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from matching.text import normalize, tokenize

__all__ = ["Example", "Suggestion", "CentroidClassifier", "Evaluation", "features", "train", "evaluate",
           "read_examples", "MAX_CHARS"]

#: Only the first this many characters of a text are read (a proposal's gist is at its start).
MAX_CHARS = 4000
_CJK_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]{2,}")
_BIGRAM_WEIGHT = 0.6
_CHAR_WEIGHT = 0.4


@dataclass(frozen=True)
class Example:
    """One labelled text; ``weight`` counts it as that many examples (keyword seeds may weigh less)."""

    text: str
    label: str
    weight: float = 1.0


@dataclass(frozen=True)
class Suggestion:
    """A label, its score (cosine to the label's centroid, in [0, 1]) and the features that made it."""

    label: str
    score: float
    evidence: tuple[str, ...] = ()


def features(text: str) -> dict[str, float]:
    """Weighted features of a text: its words and, prefixed ``#`` and ``@``, the character bigrams and characters of Chinese runs.

    >>> f = features("长者饭堂 new chairs")
    >>> f["长者饭堂"], f["chair"], f["#饭堂"]
    (1.0, 1.0, 0.6)
    """
    if not isinstance(text, str):
        raise ValueError(f"text: must be a str, got {type(text).__name__}")
    text = text[:MAX_CHARS]
    counts: defaultdict[str, float] = defaultdict(float)
    for token in tokenize(text):
        counts[token] += 1.0
    for run in _CJK_RUN.findall(normalize(text)):
        for i in range(len(run) - 1):
            counts["#" + run[i:i + 2]] += _BIGRAM_WEIGHT
        for char in run:
            counts["@" + char] += _CHAR_WEIGHT
    return dict(counts)


def _sublinear(counts: dict[str, float]) -> dict[str, float]:
    return {key: 1.0 + math.log(value) if value >= 1 else value for key, value in counts.items()}


@dataclass(frozen=True)
class CentroidClassifier:
    """A trained classifier: the labels in tie-break order, idf weights and one unit centroid per label."""

    labels: tuple[str, ...]
    idf: dict[str, float] = field(repr=False)
    centroids: dict[str, dict[str, float]] = field(repr=False)
    default_idf: float = 1.0

    def vector(self, text: str) -> dict[str, float]:
        """The unit tf-idf vector of ``text`` over the features seen in training (unknown ones are dropped)."""
        weights = {key: value * self.idf[key] for key, value in _sublinear(features(text)).items() if key in self.idf}
        norm = math.sqrt(sum(v * v for v in weights.values()))
        return {key: value / norm for key, value in weights.items()} if norm else {}

    def suggest(self, text: str, k: int = 3, *, min_score: float = 0.0) -> tuple[Suggestion, ...]:
        """The ``k`` likeliest labels of ``text``, best first; empty when the text has no known feature.

        >>> c = train([("长者饭堂桌椅", "elderly"), ("儿童游乐场地垫", "children")])
        >>> [s.label for s in c.suggest("给老人饭堂换椅子")]
        ['elderly']
        >>> c.suggest("")
        ()
        """
        if not isinstance(k, int) or k < 1:
            raise ValueError("k: must be a positive integer")
        query = self.vector(text)
        if not query:
            return ()
        scored = []
        for order, label in enumerate(self.labels):
            centroid = self.centroids[label]
            parts = {key: value * centroid[key] for key, value in query.items() if key in centroid}
            score = sum(parts.values())
            if score > min_score:
                evidence = tuple(key for key, _ in sorted(parts.items(), key=lambda kv: (-kv[1], kv[0]))[:5])
                scored.append((-score, order, Suggestion(label, round(score, 6), evidence)))
        scored.sort(key=lambda item: (item[0], item[1]))
        return tuple(s for _, _, s in scored[:k])


def _as_example(item: Example | tuple[str, str]) -> Example:
    if isinstance(item, Example):
        example = item
    else:
        try:
            text, label = item
        except (TypeError, ValueError):
            raise ValueError("examples: each must be an Example or a (text, label) pair") from None
        example = Example(text, label)
    if not isinstance(example.text, str) or not isinstance(example.label, str) or not example.label:
        raise ValueError("examples: text and label must be strings, the label not empty")
    if not example.weight > 0:
        raise ValueError("examples: weight must be positive")
    return example


def train(examples: Iterable[Example | tuple[str, str]]) -> CentroidClassifier:
    """A classifier from labelled texts.

    Parameters
    ----------
    examples : iterable of Example or (text, label)
        At least one example with a feature; labels in order of first appearance break ties.

    Returns
    -------
    CentroidClassifier

    Examples
    --------
    >>> c = train([("Repair the playground", "children"), ("Meals for older people", "elderly")])
    >>> c.labels
    ('children', 'elderly')
    >>> c.suggest("Hot meals for the elderly")[0].label
    'elderly'
    """
    rows = [_as_example(item) for item in examples]
    vectors = [(row, _sublinear(features(row.text))) for row in rows]
    vectors = [(row, vec) for row, vec in vectors if vec]
    if not vectors:
        raise ValueError("examples: no example has a usable word")
    total = sum(row.weight for row, _ in vectors)
    document_frequency: defaultdict[str, float] = defaultdict(float)
    for row, vec in vectors:
        for key in vec:
            document_frequency[key] += row.weight
    idf = {key: math.log((1.0 + total) / (1.0 + df)) + 1.0 for key, df in document_frequency.items()}
    labels: list[str] = []
    sums: dict[str, defaultdict[str, float]] = {}
    for row, vec in vectors:
        if row.label not in sums:
            labels.append(row.label)
            sums[row.label] = defaultdict(float)
        weighted = {key: value * idf[key] for key, value in vec.items()}
        norm = math.sqrt(sum(v * v for v in weighted.values()))
        for key, value in weighted.items():
            sums[row.label][key] += row.weight * value / norm
    centroids = {}
    for label, summed in sums.items():
        norm = math.sqrt(sum(v * v for v in summed.values()))
        centroids[label] = {key: value / norm for key, value in summed.items()}
    return CentroidClassifier(tuple(labels), idf, centroids)


@dataclass(frozen=True)
class Evaluation:
    """Accuracy on a labelled set: the share whose label came first, and among the first ``k``."""

    count: int
    top1: float
    topk: float
    k: int
    misses: tuple[tuple[str, str, tuple[str, ...]], ...]  # (text, label, suggested labels) not in the top k

    def summary(self) -> str:
        return (f"{self.count} texts: top-1 {self.top1:.1%}, top-{self.k} {self.topk:.1%}")


def evaluate(classifier: CentroidClassifier, examples: Iterable[Example | tuple[str, str]], *,
             k: int = 3) -> Evaluation:
    """Top-1 and top-``k`` accuracy of ``classifier`` on labelled ``examples``.

    >>> c = train([("长者饭堂", "elderly"), ("儿童乐园", "children")])
    >>> evaluate(c, [("老人饭堂", "elderly"), ("儿童滑梯", "children")], k=1).top1
    1.0
    """
    rows = [_as_example(item) for item in examples]
    if not rows:
        raise ValueError("examples: nothing to evaluate")
    first = within = 0
    misses = []
    for row in rows:
        labels = tuple(s.label for s in classifier.suggest(row.text, k))
        first += bool(labels) and labels[0] == row.label
        if row.label in labels:
            within += 1
        else:
            misses.append((row.text, row.label, labels))
    return Evaluation(len(rows), first / len(rows), within / len(rows), k, tuple(misses))


def read_examples(path: str) -> list[Example]:
    """Labelled texts from a UTF-8 CSV file with ``label`` and ``text`` columns (an optional ``weight``)."""
    with open(path, encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        if not reader.fieldnames or not {"label", "text"} <= set(reader.fieldnames):
            raise ValueError(f"{path}: needs 'label' and 'text' columns")
        return [Example(row["text"], row["label"], float(row.get("weight") or 1.0)) for row in reader]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m matching.classify", description=__doc__.split("\n\n")[0])
    parser.add_argument("--train", action="append", required=True, metavar="FILE",
                        help="labelled training texts (CSV: label,text[,weight]); repeat for several files")
    parser.add_argument("--evaluate", required=True, metavar="FILE", help="labelled texts to measure accuracy on")
    parser.add_argument("-k", type=int, default=3, help="also count a hit within the first k (default 3)")
    parser.add_argument("--misses", action="store_true", help="list the texts not found within the first k")
    args = parser.parse_args(argv)
    classifier = train(example for path in args.train for example in read_examples(path))
    result = evaluate(classifier, read_examples(args.evaluate), k=args.k)
    print(result.summary())
    if args.misses:
        for text, label, labels in result.misses:
            print(f"{label}\t{','.join(labels)}\t{text}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
