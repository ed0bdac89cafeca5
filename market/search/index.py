"""An in-process character-n-gram index over one listing's searchable texts.

Scoring every row with rapidfuzz takes seconds at city scale (tens of thousands of
projects), so a query first narrows the rows with n-grams — Chinese character
bigrams and English letter trigrams, which survive a typo or two — and rapidfuzz
then ranks only the few thousand survivors. Each process keeps one index per
listing and keeps it up to date in a background thread: rows changed since the last
look are fetched and replaced; anything else (rows gone) rebuilds it. Rankings are kept
for the index's current content, so a popular query is ranked once per change of the data.
"""
from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import sparse
from sqlalchemy import Select, func
from sqlalchemy.orm import Session

from market.search.services import BODY_CHARS, MIN_SCORE, is_cjk, normalise, query_terms, rank_normalised

log = logging.getLogger(__name__)

# Rows passed on to exact fuzzy ranking; more would only cost time, never change the first pages.
CANDIDATES = 1000
# Share of a query word's n-grams a row must contain to be considered at all.
MIN_GRAM_SHARE = 0.5
# How long an index answers without asking the database whether rows changed: a new
# project shows up in search results this many seconds (and one refresh) after it is saved.
FRESH_SECONDS = 2.0
# Rankings kept per index; any change to the indexed rows drops them all.
CACHED_RANKINGS = 256


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
        self.matrix: sparse.csc_matrix | None = None
        self.rankings: OrderedDict[tuple, list[tuple[int, float]]] = OrderedDict()
        self.generation = 0  # counts changes of the indexed rows; rankings belong to one generation
        self.refreshing = False

    # -- keeping up to date
    def _current_stamp(self, session) -> _Stamp:
        summary = self.scope.with_only_columns(func.count(self.model.id), func.max(self.model.updated_at),
                                               func.coalesce(func.sum(self.model.id), 0)).order_by(None)
        count, newest, id_sum = session.execute(summary).one()
        return _Stamp(int(count), newest, int(id_sum))

    def _rows(self, session, newer_than=None) -> Iterable[tuple]:
        stmt = self.scope.with_only_columns(self.model.id, *self.text_columns).order_by(None)
        if newer_than is not None:
            stmt = stmt.where(self.model.updated_at >= newer_than)
        return session.execute(stmt)

    def refresh(self, session) -> None:
        """Bring the index up to date with the database (cheap when nothing changed).

        The database is read outside the lock, so searches go on meanwhile; only applying the
        changed rows (and rebuilding the matrix) holds them up.
        """
        with self.lock:
            now = time.monotonic()
            if now - self.checked_at < FRESH_SECONDS:
                return
            self.checked_at = now
            previous = self.stamp
        stamp = self._current_stamp(session)
        if stamp == previous:
            return
        if previous is not None and stamp.newest is not None and previous.newest is not None:
            # Rows stamped at the newest known time again too: one committed later may share it.
            changed = list(self._rows(session, newer_than=previous.newest))
            with self.lock:
                if self.stamp is previous:
                    self._upsert(changed)
                    if len(self.ids) == stamp.count and sum(self.ids) == stamp.id_sum:
                        self.stamp = stamp
                        self._matrix()
                        return
        everything = list(self._rows(session))  # rows were removed: start afresh
        with self.lock:
            self._reset()
            self._upsert(everything)
            self.stamp = stamp
            self._matrix()

    def refresh_in_background(self, engine) -> None:
        """Start :meth:`refresh` in a thread with its own session, unless one runs or the index is fresh."""
        with self.lock:
            if self.refreshing or time.monotonic() - self.checked_at < FRESH_SECONDS:
                return
            self.refreshing = True

        def work() -> None:
            try:
                with Session(engine) as session:
                    self.refresh(session)
            except Exception:  # the database away for a moment: the next request tries again
                log.warning("search index refresh failed", exc_info=True)
            finally:
                self.refreshing = False

        threading.Thread(target=work, name=f"search-index-{self.model.__tablename__}", daemon=True).start()

    def _reset(self) -> None:
        self.position, self.ids, self.titles, self.bodies, self.doc_grams = {}, [], [], [], []
        self.vocabulary, self.matrix = {}, None
        self._changed()

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
            self._changed()

    def _changed(self) -> None:
        self.generation += 1
        self.rankings.clear()

    def _matrix(self) -> sparse.csc_matrix:
        if self.matrix is None:
            lengths = np.fromiter((len(g) for g in self.doc_grams), dtype=np.int64, count=len(self.doc_grams))
            indptr = np.concatenate(([0], np.cumsum(lengths)))
            indices = np.concatenate(self.doc_grams) if self.doc_grams else np.zeros(0, dtype=np.int32)
            data = np.ones(len(indices), dtype=np.float32)
            rows = sparse.csr_matrix((data, indices, indptr), shape=(len(self.ids), max(1, len(self.vocabulary))))
            # Column-major: a query reads only its own grams' postings, not every row.
            self.matrix = rows.tocsc()
        return self.matrix

    # -- answering
    def search(self, query: str, allowed_ids: set[int] | None = None, *, min_score: float = MIN_SCORE,
               allowed_key: object = None) -> list[tuple[int, float]]:
        """``(id, score)`` best first, like :func:`market.search.services.rank`, over the indexed rows.

        ``allowed_key`` names ``allowed_ids`` (the filters that gave them) so that the ranking can
        be kept; without it a restricted search is ranked afresh.
        """
        terms = query_terms(query)
        if not terms or not self.ids:
            return []
        cache_key = (tuple(terms), min_score, allowed_key) if allowed_ids is None or allowed_key is not None else None
        with self.lock:
            if cache_key is not None and cache_key in self.rankings:
                self.rankings.move_to_end(cache_key)
                return self.rankings[cache_key]
            generation = self.generation
            ids, titles, bodies = self._candidates(terms, allowed_ids)
        ranked = rank_normalised(terms, ids, titles, bodies, min_score=min_score)
        if cache_key is not None:
            with self.lock:
                if generation == self.generation:  # the rows did not change while ranking
                    self.rankings[cache_key] = ranked
                    while len(self.rankings) > CACHED_RANKINGS:
                        self.rankings.popitem(last=False)
        return ranked

    def _candidates(self, terms: Sequence[str], allowed_ids: set[int] | None) -> tuple[list[int], list[str], list[str]]:
        """The rows sharing most n-grams with the query's words (at most :data:`CANDIDATES`)."""
        matrix = self._matrix()
        share = np.zeros(len(self.ids), dtype=np.float32)
        for term in terms:
            term_grams = grams(term)
            known = sorted(self.vocabulary[g] for g in term_grams if g in self.vocabulary)
            if not known:
                continue
            postings = matrix[:, known]  # one column per gram: the rows containing it
            share += np.bincount(postings.indices, minlength=len(self.ids)).astype(np.float32) / len(term_grams)
        share /= len(terms)
        if allowed_ids is not None:
            mask = np.zeros(len(self.ids), dtype=bool)
            mask[[self.position[i] for i in allowed_ids if i in self.position]] = True
            share[~mask] = 0.0
        hits = np.flatnonzero(share >= MIN_GRAM_SHARE)
        if len(hits) > CANDIDATES:
            hits = hits[np.argsort(-share[hits], kind="stable")[:CANDIDATES]]
        return [self.ids[i] for i in hits], [self.titles[i] for i in hits], [self.bodies[i] for i in hits]


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
    if index.stamp is None or FRESH_SECONDS <= 0:
        index.refresh(session)
    else:
        # Asking the database whether rows changed costs a scan of the table: leave it to a
        # thread, and answer from the index as it is (at most a refresh behind).
        index.refresh_in_background(session.get_bind())
    return index


def search_ids(session, model: type, scope: Select, text_columns: Sequence[Any], query: str,
               filtered: Select | None = None) -> list[tuple[int, float]]:
    """Rank the rows of ``scope`` (narrowed to ``filtered`` when given) for ``query``."""
    index = index_for(session, model, scope, text_columns)
    if filtered is None:
        return index.search(query)
    ids_stmt = filtered.with_only_columns(model.id).order_by(None)
    # The filters' SQL names the allowed rows: any change to them changes the index too.
    allowed_key = str(ids_stmt.compile(session.get_bind(), compile_kwargs={"literal_binds": True}))
    return index.search(query, set(session.scalars(ids_stmt)), allowed_key=allowed_key)
