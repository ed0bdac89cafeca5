"""An in-process character-n-gram index over one listing's searchable texts.

Scoring every row with rapidfuzz takes seconds at city scale (tens of thousands of
projects), so a query first narrows the rows with n-grams — Chinese character
bigrams and English letter trigrams, which survive a typo or two — and rapidfuzz
then ranks only the few thousand survivors. Each process keeps one index per
listing and brings it up to date before answering: rows changed since the last
look are fetched and replaced; anything else (rows gone) rebuilds it.
"""
from __future__ import annotations

import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import sparse
from sqlalchemy import Select, func

from market.search.services import BODY_CHARS, MIN_SCORE, is_cjk, normalise, query_terms, rank_normalised

# Rows passed on to exact fuzzy ranking; more would only cost time, never change the first pages.
CANDIDATES = 1000
# Share of a query word's n-grams a row must contain to be considered at all.
MIN_GRAM_SHARE = 0.5
# How long an index answers without asking the database whether rows changed: a new
# project shows up in search results within this many seconds.
FRESH_SECONDS = 2.0


def grams(text: str) -> set[str]:
    """Character bigrams of Chinese words and padded trigrams of other words."""
    found: set[str] = set()
    for word in text.split():
        if is_cjk(word):
            found.update(word[i:i + 2] for i in range(len(word) - 1)) if len(word) > 1 else found.add(word)
        else:
            padded = f" {word} "
            found.update(padded[i:i + 3] for i in range(len(padded) - 2))
    return found


@dataclass(frozen=True)
class _Stamp:
    count: int
    newest: Any
    id_sum: int


class TextIndex:
    """Normalised texts and an n-gram matrix for the rows of one select()."""

    def __init__(self, model: type, scope: Select, text_columns: Sequence[Any]):
        self.model = model
        self.scope = scope
        self.text_columns = tuple(text_columns)
        self.lock = threading.Lock()
        self.stamp: _Stamp | None = None
        self.checked_at = float("-inf")
        self.position: dict[int, int] = {}
        self.ids: list[int] = []
        self.titles: list[str] = []
        self.bodies: list[str] = []
        self.doc_grams: list[np.ndarray] = []
        self.vocabulary: dict[str, int] = {}
        self.matrix: sparse.csr_matrix | None = None

    # -- keeping up to date
    def _current_stamp(self, session) -> _Stamp:
        summary = self.scope.with_only_columns(func.count(self.model.id), func.max(self.model.updated_at),
                                               func.coalesce(func.sum(self.model.id), 0)).order_by(None)
        count, newest, id_sum = session.execute(summary).one()
        return _Stamp(int(count), newest, int(id_sum))

    def _rows(self, session, newer_than=None) -> Iterable[tuple]:
        stmt = self.scope.with_only_columns(self.model.id, *self.text_columns).order_by(None)
        if newer_than is not None:
            stmt = stmt.where(self.model.updated_at > newer_than)
        return session.execute(stmt)

    def refresh(self, session) -> None:
        """Bring the index up to date with the database (cheap when nothing changed)."""
        with self.lock:
            now = time.monotonic()
            if now - self.checked_at < FRESH_SECONDS:
                return
            self.checked_at = now
            stamp = self._current_stamp(session)
            if stamp == self.stamp:
                return
            if self.stamp is not None and stamp.newest is not None and self.stamp.newest is not None:
                self._upsert(self._rows(session, newer_than=self.stamp.newest))
                if len(self.ids) == stamp.count and sum(self.ids) == stamp.id_sum:
                    self.stamp = stamp
                    return
            self._reset()
            self._upsert(self._rows(session))
            self.stamp = stamp

    def _reset(self) -> None:
        self.position, self.ids, self.titles, self.bodies, self.doc_grams = {}, [], [], [], []
        self.vocabulary, self.matrix = {}, None

    def _gram_ids(self, text: str) -> np.ndarray:
        vocabulary = self.vocabulary
        return np.fromiter((vocabulary.setdefault(g, len(vocabulary)) for g in grams(text)), dtype=np.int32)

    def _upsert(self, rows: Iterable[tuple]) -> None:
        changed = False
        for row in rows:
            row_id, title_zh, title_en, *body_parts = row
            title = normalise(f"{title_zh} {title_en or ''}")
            parts = [normalise(p) for p in body_parts if p]
            share = BODY_CHARS // max(1, len(parts))
            body = " ".join(p[:share] for p in parts)
            gram_ids = self._gram_ids(f"{title} {body}")
            at = self.position.get(row_id)
            if at is None:
                self.position[row_id] = len(self.ids)
                self.ids.append(row_id)
                self.titles.append(title)
                self.bodies.append(body)
                self.doc_grams.append(gram_ids)
            else:
                self.titles[at], self.bodies[at], self.doc_grams[at] = title, body, gram_ids
            changed = True
        if changed:
            self.matrix = None

    def _matrix(self) -> sparse.csr_matrix:
        if self.matrix is None:
            lengths = np.fromiter((len(g) for g in self.doc_grams), dtype=np.int64, count=len(self.doc_grams))
            indptr = np.concatenate(([0], np.cumsum(lengths)))
            indices = np.concatenate(self.doc_grams) if self.doc_grams else np.zeros(0, dtype=np.int32)
            data = np.ones(len(indices), dtype=np.float32)
            self.matrix = sparse.csr_matrix((data, indices, indptr), shape=(len(self.ids), max(1, len(self.vocabulary))))
        return self.matrix

    # -- answering
    def search(self, query: str, allowed_ids: set[int] | None = None, *,
               min_score: float = MIN_SCORE) -> list[tuple[int, float]]:
        """``(id, score)`` best first, like :func:`market.search.services.rank`, over the indexed rows."""
        terms = query_terms(query)
        if not terms or not self.ids:
            return []
        with self.lock:
            matrix = self._matrix()
            share = np.zeros(len(self.ids), dtype=np.float32)
            for term in terms:
                term_grams = grams(term)
                known = [self.vocabulary[g] for g in term_grams if g in self.vocabulary]
                if not known:
                    continue
                query_vector = np.zeros(matrix.shape[1], dtype=np.float32)
                query_vector[known] = 1.0
                share += (matrix @ query_vector) / len(term_grams)
            share /= len(terms)
            if allowed_ids is not None:
                mask = np.zeros(len(self.ids), dtype=bool)
                mask[[self.position[i] for i in allowed_ids if i in self.position]] = True
                share[~mask] = 0.0
            hits = np.flatnonzero(share >= MIN_GRAM_SHARE)
            if len(hits) > CANDIDATES:
                hits = hits[np.argsort(-share[hits], kind="stable")[:CANDIDATES]]
            ids = [self.ids[i] for i in hits]
            titles = [self.titles[i] for i in hits]
            bodies = [self.bodies[i] for i in hits]
        return rank_normalised(terms, ids, titles, bodies, min_score=min_score)


_indexes: dict[tuple, TextIndex] = {}
_registry_lock = threading.Lock()


def index_for(session, model: type, scope: Select, text_columns: Sequence[Any]) -> TextIndex:
    """The process's up-to-date index for ``scope`` on this database."""
    key = (str(session.get_bind().url), model.__tablename__, str(scope.compile(compile_kwargs={"literal_binds": True})),
           tuple(str(c) for c in text_columns))
    with _registry_lock:
        index = _indexes.get(key)
        if index is None:
            index = _indexes[key] = TextIndex(model, scope, text_columns)
    index.refresh(session)
    return index


def search_ids(session, model: type, scope: Select, text_columns: Sequence[Any], query: str,
               filtered: Select | None = None) -> list[tuple[int, float]]:
    """Rank the rows of ``scope`` (narrowed to ``filtered`` when given) for ``query``."""
    index = index_for(session, model, scope, text_columns)
    allowed = None
    if filtered is not None:
        allowed = set(session.scalars(filtered.with_only_columns(model.id).order_by(None)))
    return index.search(query, allowed)
