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
from sqlalchemy import BigInteger, Select, cast, func
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
    id_sum: int
    version_sum: Any  # the sum of the rows' update times as numbers: any edit changes it


def _version_of(column: Any, dialect: str) -> Any:
    """A row's update time in whole microseconds, computed by the database (cheap to fetch and sum)."""
    if dialect == "sqlite":
        return cast((func.julianday(column) - 2440587.5) * 86_400_000_000, BigInteger)
    return cast(func.extract("epoch", column) * 1_000_000, BigInteger)


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
        self.versions: dict[int, Any] = {}
        self.titles: list[str] = []
        self.bodies: list[str] = []
        self.doc_grams: list[np.ndarray] = []
        self.vocabulary: dict[str, int] = {}
        # Searched rows: the first matrix.shape[0] of self.ids. Rows added since the matrix was
        # built are searchable once the refresh that added them has rebuilt it.
        self.matrix: sparse.csc_matrix | None = None
        self.rankings: OrderedDict[tuple, list[tuple[int, float]]] = OrderedDict()
        self.generation = 0  # counts changes of the indexed rows; rankings belong to one generation
        self.refreshing = False

    # -- keeping up to date
    def _current_stamp(self, session) -> _Stamp:
        version = _version_of(self.model.updated_at, session.get_bind().dialect.name)
        summary = self.scope.with_only_columns(func.count(self.model.id), func.coalesce(func.sum(self.model.id), 0),
                                               func.sum(version)).order_by(None)
        count, id_sum, version_sum = session.execute(summary).one()
        return _Stamp(int(count), int(id_sum), version_sum)

    def _current_versions(self, session) -> dict[int, Any]:
        version = _version_of(self.model.updated_at, session.get_bind().dialect.name)
        return dict(session.execute(self.scope.with_only_columns(self.model.id, version).order_by(None)).all())

    def _rows(self, session, ids: Sequence[int] | None = None) -> list[tuple]:
        stmt = self.scope.with_only_columns(self.model.id, *self.text_columns).order_by(None)
        if ids is None:
            return list(session.execute(stmt))
        rows: list[tuple] = []
        for start in range(0, len(ids), 500):
            rows.extend(session.execute(stmt.where(self.model.id.in_(ids[start:start + 500]))))
        return rows

    def refresh(self, session) -> None:
        """Bring the index up to date with the database (cheap when nothing changed).

        A summary of the rows (count, sum of ids, sum of update times) says whether anything
        changed; if so, each row's update time says exactly which rows to fetch again, whatever
        the clocks of the machines that wrote them. The database is read, and the matrix rebuilt,
        outside the lock: searches go on meanwhile with the index as it was.
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
        versions = self._current_versions(session)
        with self.lock:
            known = dict(self.versions) if previous is not None else None
        if known is not None and known.keys() <= versions.keys():
            changed = sorted(i for i, version in versions.items() if known.get(i) != version)
            rows = self._rows(session, changed)
            with self.lock:
                if self.stamp is not previous:  # another refresh got there first
                    return
                self._upsert(rows)
                self.versions.update({i: versions[i] for i in changed})
                self.stamp = stamp
            self._rebuild_matrix()
            return
        # First build, or rows were removed: build afresh beside the index, then swap it in.
        fresh = TextIndex(self.model, self.scope, self.text_columns)
        fresh._upsert(self._rows(session))
        fresh.versions = versions
        fresh._rebuild_matrix()
        with self.lock:
            for name in ("position", "ids", "versions", "titles", "bodies", "doc_grams", "vocabulary", "matrix"):
                setattr(self, name, getattr(fresh, name))
            self.stamp = stamp
            self._changed()

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
            self._changed()

    def _changed(self) -> None:
        self.generation += 1
        self.rankings.clear()

    def _rebuild_matrix(self) -> None:
        """Build the n-gram matrix of the current rows and swap it in (unless they changed meanwhile)."""
        with self.lock:
            generation, doc_grams, columns = self.generation, list(self.doc_grams), max(1, len(self.vocabulary))
        lengths = np.fromiter((len(g) for g in doc_grams), dtype=np.int64, count=len(doc_grams))
        indptr = np.concatenate(([0], np.cumsum(lengths)))
        indices = np.concatenate(doc_grams) if doc_grams else np.zeros(0, dtype=np.int32)
        data = np.ones(len(indices), dtype=np.float32)
        rows = sparse.csr_matrix((data, indices, indptr), shape=(len(doc_grams), columns))
        # Column-major: a query reads only its own grams' postings, not every row.
        matrix = rows.tocsc()
        with self.lock:
            if self.generation == generation:
                self.matrix = matrix
                self.rankings.clear()  # rankings made with the previous matrix may lack new rows

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
        matrix = self.matrix
        if matrix is None:
            return [], [], []
        rows, columns = matrix.shape
        share = np.zeros(rows, dtype=np.float32)
        for term in terms:
            term_grams = grams(term)
            known = sorted(g for g in (self.vocabulary.get(g) for g in term_grams) if g is not None and g < columns)
            if not known:
                continue
            postings = matrix[:, known]  # one column per gram: the rows containing it
            share += np.bincount(postings.indices, minlength=rows).astype(np.float32) / len(term_grams)
        share /= len(terms)
        if allowed_ids is not None:
            mask = np.zeros(rows, dtype=bool)
            mask[[at for at in (self.position.get(i) for i in allowed_ids) if at is not None and at < rows]] = True
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
