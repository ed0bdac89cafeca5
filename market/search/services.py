"""Query words, and fuzzy ranking of a few texts in memory, in Chinese (jieba words) and English.

Listings search in the database (:mod:`market.search.query`); :func:`rank` scores small sets held
in memory (a round's proposals like the one being written) with rapidfuzz's ``partial_ratio``, so
that a misspelt word still finds its text.
"""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

import jieba
import numpy as np
from rapidfuzz import fuzz, process

jieba.setLogLevel(60)

_CJK = re.compile(r"[\u3400-\u9fff]")
_WORD = re.compile(r"[0-9a-z\u3400-\u9fff]+")
_STOPWORDS = frozenset({"的", "和", "与", "及", "在", "为", "了", "the", "and", "for", "of", "to", "in", "a", "an"})
MIN_SCORE = 70.0
# A Chinese query this short is one word: jieba would split 适老化 into 适 and 老化.
WHOLE_CJK_CHARS = 3


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


def search_terms(query: str) -> list[str]:
    """The words a database search looks for, each as a substring (normalised, in query order).

    Chinese runs of up to three characters are one word; longer ones are jieba's words, a
    one-character word joined to the word before it (or after it, at the start) so that no
    character is lost. English words of one or two letters and stop words are left out, unless
    nothing else is left.

    >>> search_terms("居家养老服务"), search_terms("适老化"), search_terms("心理咨询师")
    (['居家', '养老', '服务'], ['适老化'], ['心理咨询师'])
    >>> search_terms("Eldery care, 养老"), search_terms("的"), search_terms(" !! ")
    (['eldery', 'care', '养老'], ['的'], [])
    """
    text = normalise(query)
    terms: list[str] = []
    for chunk in text.split():
        if _CJK.search(chunk) and len(chunk) > WHOLE_CJK_CHARS:
            words: list[str] = []
            for word in jieba.lcut(chunk):
                if word in _STOPWORDS:
                    continue
                if words and (len(word) == 1 or len(words[-1]) == 1):
                    words[-1] += word
                else:
                    words.append(word)
            terms.extend(words)
        elif _CJK.search(chunk) or (len(chunk) > 2 and chunk not in _STOPWORDS):
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

