"""Rank rows by fuzzy similarity to a query, in Chinese (jieba words) and English.

Filters run in SQL first; only the surviving rows' texts are scored, with
rapidfuzz's ``partial_ratio`` so that a misspelt word still finds its row.
"""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import jieba
import numpy as np
from rapidfuzz import fuzz, process

jieba.setLogLevel(60)

_CJK = re.compile(r"[\u3400-\u9fff]")
_WORD = re.compile(r"[0-9a-z\u3400-\u9fff]+")
_STOPWORDS = frozenset({"的", "和", "与", "及", "在", "为", "了", "the", "and", "for", "of", "to", "in", "a", "an"})
# Bodies are long; their first part carries the subject and keeps scoring fast.
BODY_CHARS = 240
MIN_SCORE = 70.0


def is_cjk(text: str) -> bool:
    return _CJK.search(text) is not None


def normalise(text: str) -> str:
    """Full-width to half-width, lower case, punctuation folded to spaces."""
    text = unicodedata.normalize("NFKC", text or "").lower()
    return " ".join(_WORD.findall(text))


def query_terms(query: str) -> list[str]:
    """Words of the query: jieba segments for Chinese, whole words for English."""
    text = normalise(query)
    terms: list[str] = []
    for chunk in text.split():
        if _CJK.search(chunk):
            words = [w for w in jieba.lcut_for_search(chunk) if len(w) > 1 and w not in _STOPWORDS]
            # Keep the longest segments; their sub-words add nothing once the whole word matches.
            words = [w for w in words if not any(w != other and w in other for other in words)]
            terms.extend(words or [chunk])
        elif len(chunk) > 2 and chunk not in _STOPWORDS:
            terms.append(chunk)
    seen: set[str] = set()
    return [t for t in terms if not (t in seen or seen.add(t))] or ([text] if text else [])


@dataclass(frozen=True)
class SearchDocument:
    """One row's searchable text: a title (names count double) and a body."""

    id: int
    title: str
    body: str = ""


def rank(query: str, documents: Sequence[SearchDocument], *, min_score: float = MIN_SCORE) -> list[tuple[int, float]]:
    """Return ``(id, score)`` pairs scoring at least ``min_score`` (0–100), best first, ties by id."""
    terms = query_terms(query)
    if not terms or not documents:
        return []
    return rank_normalised(terms, [d.id for d in documents], [normalise(d.title) for d in documents],
                           [normalise(d.body) for d in documents], min_score=min_score)


def rank_normalised(terms: Sequence[str], ids: Sequence[int], titles: Sequence[str], bodies: Sequence[str], *,
                    min_score: float = MIN_SCORE) -> list[tuple[int, float]]:
    """:func:`rank` for texts already normalised and query terms already found."""
    if not terms or not ids:
        return []
    title_scores = process.cdist(terms, titles, scorer=fuzz.partial_ratio, dtype=np.uint8, workers=-1)
    body_scores = process.cdist(terms, bodies, scorer=fuzz.partial_ratio, dtype=np.uint8, workers=-1)
    # A term counts by its best place; a body match counts a little less than a title match.
    per_term = np.maximum(title_scores.astype(np.float32), body_scores.astype(np.float32) * 0.9)
    scores = per_term.mean(axis=0)
    id_array = np.array(ids)
    keep = scores >= min_score
    order = np.lexsort((id_array[keep], -scores[keep]))
    return [(int(i), float(s)) for i, s in zip(id_array[keep][order], scores[keep][order], strict=True)]


def documents_from_rows(rows: Iterable[tuple]) -> list[SearchDocument]:
    """Rows of (id, title, title_en, body columns...) to documents covering both languages.

    Each body column contributes its beginning, so a long Chinese description does not
    crowd out its English twin or the category name.
    """
    documents = []
    for row in rows:
        bodies = [text for text in row[3:] if text]
        share = BODY_CHARS // max(1, len(bodies))
        documents.append(SearchDocument(row[0], f"{row[1]} {row[2] or ''}", " ".join(t[:share] for t in bodies)))
    return documents
