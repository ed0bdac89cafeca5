"""Text search as a condition and an order for the listing's own statement.

:func:`text_match` turns a query into SQL for a :class:`~market.search.schema.Searchable` model: a
WHERE clause that the listing adds to its filters, and relevance keys for its ORDER BY, so that the
filters, the search, the order and the page are one statement.

Each query word (jieba words for Chinese, see :func:`~market.search.services.search_terms`) is
found as a substring of the title, the body or the related row's text. An English word of four
letters or more that the rows do not hold is taken as misspelt, and the words like it that they do
hold are looked for with it: rapidfuzz picks them from a bounded set of texts that share most of
its trigrams (titles by ``word_similarity`` on PostgreSQL, titles and bodies by the FTS5 trigram
table's rank on SQLite) and from the related texts. A row must hold every word of a query of up
to three words, and 70 % of a longer one's.

Relevance, best first: the query is the whole title (either language); then the number of query
words in the title (the others are in the body or the related text); then, on PostgreSQL,
``ts_rank`` of the English title for the English words (stemmed, whole words: the
``to_tsvector('english')`` the database keeps of each title); then the shorter title; then the id.
:func:`ranked_page` computes the keys once per row found, where the row is read.
"""
from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

from rapidfuzz import fuzz
from sqlalchemy import (
    ColumnElement,
    Select,
    Text,
    and_,
    bindparam,
    case,
    column,
    exists,
    false,
    func,
    literal,
    literal_column,
    or_,
    select,
    table,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session

from market.core.cache import TTLCache
from market.search.schema import PAIRS_COLUMN, Searchable, joined
from market.search.services import normalise, search_terms

# A row must hold this share of a long query's words (rounded up); queries of up to three words need all.
TERM_SHARE = 0.7
# English words this long or longer are looked for misspelt when the rows do not hold them.
FUZZY_MIN_LENGTH = 4
# Rows (and related rows) read for the words like a misspelt one.
FUZZY_CANDIDATES = 50
# How alike (rapidfuzz ratio, 0-100) a word must read to stand for the misspelt one.
FUZZY_MIN_RATIO = 80.0
# Words standing for one misspelt word, most alike first.
FUZZY_VARIANTS = 5
# The words like a misspelt one (or none, when the rows hold it) change only with the titles: a
# minute-old answer spares each search of the word its look-ups. Tests turn it off.
spellings = TTLCache(60.0)

_ENGLISH_WORD = re.compile(r"[a-z][a-z0-9]*")
_LETTER = re.compile(r"[a-z]")
_CJK_PAIR = re.compile(r"[\u3400-\u9fff]{2}")
_WORDS = re.compile(r"[0-9a-z]+")


@dataclass(frozen=True)
class Key:
    """One relevance key: an expression and whether larger values come first."""

    expression: ColumnElement[Any]
    descending: bool = True


@dataclass(frozen=True)
class TextMatch:
    """A query as SQL: the rows it finds and the keys that order them by relevance (best first)."""

    where: ColumnElement[bool]
    relevance: tuple[Key, ...]


def is_english_word(term: str) -> bool:
    return _ENGLISH_WORD.fullmatch(term) is not None


def is_fuzzy(term: str) -> bool:
    """Whether ``term`` is looked for misspelt too (when the rows do not hold it)."""
    return len(term) >= FUZZY_MIN_LENGTH and is_english_word(term)


def spelling_variants(term: str, texts: Sequence[str]) -> list[str]:
    """The words of ``texts`` that read like ``term`` (a letter missing, added, doubled or changed,
    another ending), most alike first.

    >>> spelling_variants("eldery", ["Elderly care", "Meals for the elderly", "Every week"])
    ['elderly']
    >>> spelling_variants("family", ["Talks for families", "Famine relief"])
    ['families']
    """
    words = {word for text in texts for word in _WORDS.findall(normalise(text)) if word != term}
    scored = {word: fuzz.ratio(term, word) for word in words}
    # Another ending: all of the word but its last letter, and at most three letters more.
    stem = term[:-1]
    alike = [w for w, score in scored.items() if score >= FUZZY_MIN_RATIO
             or (w.startswith(stem) and len(w) - len(term) <= 3)]
    return sorted(alike, key=lambda w: (-scored[w], w))[:FUZZY_VARIANTS]


def text_match(session: Session, spec: Searchable, query: str) -> TextMatch | None:
    """``query`` as SQL over ``spec``'s model, or None when it holds no word to look for."""
    terms = search_terms(query)
    if not terms:
        return None
    dialect: _Postgres | _Sqlite = (_Postgres(session, spec) if session.get_bind().dialect.name == "postgresql"
                                    else _Sqlite(session, spec))
    titles, found = [], []
    all_words: list[str] = []
    database = str(session.get_bind().engine.url)
    for term in terms:
        words = [term]
        if is_fuzzy(term):
            words += spellings.get((database, spec.table, term), partial(dialect.variants, term))
        all_words += words
        titles.append(or_(*(dialect.in_title(w) for w in words)))
        # The related row's key first: a row found by it is not read further.
        found.append(or_(dialect.in_related(words), *(dialect.found(w) for w in words)))
    required = math.ceil(TERM_SHARE * len(terms)) if len(terms) > 3 else len(terms)
    where = and_(*found) if required == len(terms) else and_(or_(*found), _count(found) >= required)
    whole = sorted({normalise(query), " ".join(query.lower().split())} - {""})
    # Lower case is never shorter than the text (one letter may become two): a longer title cannot be
    # the query, and its length is read at a fraction of the cost of lowering it.
    longest = max((len(text) for text in whole), default=0)
    exact = or_(*(and_(func.length(column_) <= longest, or_(*(func.lower(column_) == text for text in whole)))
                  for column_ in spec.title))
    relevance = [Key(case((exact, 1), else_=0)), Key(_count(titles))]
    if required < len(terms):  # a row may lack some words: more of them first
        relevance.append(Key(_count(found)))
    # Every word is in the title, the body or the related text: more in the title means fewer elsewhere.
    relevance += [*dialect.refine(all_words), Key(func.length(dialect.title_text), False)]
    return TextMatch(where, tuple(relevance))


def ranked_page(stmt: Select, model: type, match: TextMatch, *, limit: int, offset: int) -> Select:
    """Ids of one page of the rows of ``stmt`` that ``match`` finds, best first, each with the number
    of rows found: one statement.

    The relevance keys are computed once per row found, in a narrow subquery (the rows read for the
    search condition give them: the full-text rank reads the vector the database stores), and the
    page is the top of those narrow rows.
    """
    # OFFSET 0 keeps the keys computed in the scan, in narrow rows, under the window function and the sort.
    keys = [k.expression.label(f"k{i}") for i, k in enumerate(match.relevance)]
    found = (stmt.where(match.where).with_only_columns(model.id, *keys).order_by(None).offset(0).subquery("found"))
    order = [found.c[f"k{i}"].desc() if k.descending else found.c[f"k{i}"].asc()
             for i, k in enumerate(match.relevance)]
    return (select(found.c.id, func.count().over().label("total"))
            .order_by(*order, found.c.id).limit(limit).offset(offset))


def _count(conditions: Sequence[ColumnElement[bool]]) -> ColumnElement[int]:
    total: ColumnElement[int] = case((conditions[0], 1), else_=0)
    for condition in conditions[1:]:
        total = total + case((condition, 1), else_=0)
    return total


class _Postgres:
    """pg_trgm substrings, Chinese character pairs for two-character words, word_similarity for
    misspelt words: each condition is served by a GIN index."""

    def __init__(self, session: Session, spec: Searchable):
        self.session, self.spec = session, spec
        self.title_text, self.body_text = spec.title_text(), spec.body_text()

    @staticmethod
    def contains(text: ColumnElement[str], word: str) -> ColumnElement[bool]:
        # Chinese has no case: LIKE spares ILIKE's folding of the whole text.
        return text.ilike(f"%{word}%") if _LETTER.search(word) else text.like(f"%{word}%")

    def in_title(self, word: str) -> ColumnElement[bool]:
        """Whether the title holds ``word``: for an English word, first as written in the English
        title, in lower case or capitalised (a plain LIKE), and only then in any case (ILIKE, which
        lowers the whole title of each row)."""
        if not _LETTER.search(word):
            return self.contains(self.title_text, word)
        plain = [column_.like(f"%{form}%") for column_ in self.spec.english_title()
                 for form in dict.fromkeys((word, word.capitalize()))]
        return or_(*plain, self.contains(self.title_text, word))

    def found(self, word: str) -> ColumnElement[bool]:
        if _CJK_PAIR.fullmatch(word):  # trigrams need three characters: the pairs column answers
            pairs = literal_column(f"{self.spec.table}.{PAIRS_COLUMN}", ARRAY(Text))
            return pairs.op("@>", is_comparison=True)(bindparam(None, [word], type_=ARRAY(Text)))
        return self.contains(self.title_text, word) | self.contains(self.body_text, word)

    def in_related(self, words: Sequence[str]) -> ColumnElement[bool]:
        related = self.spec.related
        if related is None:
            return false()
        text = joined(related.columns)
        ids = select(related.target).where(or_(*(self.contains(text, w) for w in words)))
        # = ANY(ARRAY(...)): an array the planner looks up in the key's index, unlike IN (SELECT ...).
        return related.key.op("=", is_comparison=True)(func.any(func.array(ids.scalar_subquery())))

    def variants(self, word: str) -> list[str]:
        """Unless a title holds ``word``: words like it in the titles that word_similarity finds
        (trigram index), and in the related texts."""
        if self.session.scalar(select(exists().where(self.contains(self.title_text, word)))):
            return []
        similar = literal(word).op("<%", is_comparison=True)
        titles = list(self.session.scalars(select(self.title_text).where(similar(self.title_text))
                                           .limit(FUZZY_CANDIDATES)))
        related = self.spec.related
        if related is not None:
            text = joined(related.columns)
            titles += self.session.scalars(select(text).where(similar(text)).limit(FUZZY_CANDIDATES))
        return spelling_variants(word, titles)

    def refine(self, words: Sequence[str]) -> tuple[Key, ...]:
        """Full-text rank of the English title for the English words (stemmed, whole words)."""
        english = [w for w in words if is_english_word(w)]
        vector = self.spec.english_vector()  # to_tsvector('english') of the title, stored by the database
        if not english or vector is None:
            return ()
        return (Key(func.ts_rank(vector, func.to_tsquery(literal_column("'english'"), " | ".join(english)))),)


class _Sqlite:
    """FTS5 trigram substrings (a full scan for words of two characters); misspelt words through
    the words of the rows that share most of their trigrams."""

    def __init__(self, session: Session, spec: Searchable):
        self.session, self.spec = session, spec
        self.fts = table(spec.fts_table, column("rowid"), column("title"), column("body"))
        self.title_text, self.body_text = func.lower(spec.title_text()), func.lower(spec.body_text())

    @staticmethod
    def contains(text: ColumnElement[str], word: str) -> ColumnElement[bool]:
        return func.instr(text, word) > 0

    def _matching(self, expression: str):
        return select(self.fts.c.rowid).where(literal_column(self.spec.fts_table).match(expression))

    def in_title(self, word: str) -> ColumnElement[bool]:
        return self.contains(self.title_text, word)

    def found(self, word: str) -> ColumnElement[bool]:
        if len(word) >= 3:  # the trigram table answers substrings of three characters or more
            return self.spec.model.id.in_(self._matching(f'"{word}"'))
        return self.contains(self.title_text, word) | self.contains(self.body_text, word)

    def in_related(self, words: Sequence[str]) -> ColumnElement[bool]:
        related = self.spec.related
        if related is None:
            return false()
        text = func.lower(joined(related.columns))
        return related.key.in_(select(related.target).where(or_(*(self.contains(text, w) for w in words))))

    def variants(self, word: str) -> list[str]:
        """Unless some row holds ``word``: words like it in the rows sharing most of its trigrams
        (the FTS5 table's rank) and in the related texts."""
        if self.session.scalar(self._matching(f'"{word}"').limit(1)) is not None:
            return []
        grams = sorted({word[i:i + 3] for i in range(len(word) - 2)})
        rows = self.session.execute(
            select(self.fts.c.title, self.fts.c.body)
            .where(literal_column(self.spec.fts_table).match(" OR ".join(f'"{g}"' for g in grams)))
            .order_by(literal_column("rank")).limit(FUZZY_CANDIDATES)).all()
        texts = [text for row in rows for text in row]
        related = self.spec.related
        if related is not None:
            texts += self.session.scalars(select(joined(related.columns)).limit(FUZZY_CANDIDATES)).all()
        return spelling_variants(word, texts)

    def refine(self, words: Sequence[str]) -> tuple[Key, ...]:
        return ()
