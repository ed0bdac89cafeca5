"""The sector vocabulary the matching engine uses: the packaged words and those officials add.

The packaged vocabulary (:meth:`matching.vocabulary.Vocabulary.default`) names, per category, the
skills a project may need and the words tenders, policy documents and providers use for them.
Officials add words in the console (:func:`add_term`) and withdraw them (:func:`withdraw_term`);
both are written to the audit trail. Each district keeps its own added words (an administrator's serve
the whole city): :func:`engine_vocabulary` is what a district's matching runs use, the packaged words
with the city's and that district's active added ones, so a word added in one district never changes
another district's runs.

Who may: any official adds to their district's words; the official who added a word, district-wide
officials of its district and administrators withdraw it (``vocabulary.*`` in :mod:`market.core.policy`).
No function commits.
"""
from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import ColumnElement, or_, select, true
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from market.accounts.models import Role, User
from market.core import policy
from market.core.audit import record
from market.core.db import db, utcnow
from market.core.errors import Conflict, ValidationFailed
from market.geo.models import Category
from market.review.models import TERM_LANGUAGES, VocabularyTerm
from matching.text import normalize as engine_normalize
from matching.vocabulary import MIN_TERM_LENGTH, SkillTerm, Vocabulary

#: The longest skill name and word (the columns' size).
MAX_LENGTH = 60
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_LATIN = re.compile(r"[A-Za-z]")


def normalise(text: str) -> str:
    """A word as stored: Unicode NFKC (full-width letters become plain ones), single spaces, no ends."""
    return " ".join(unicodedata.normalize("NFKC", text or "").split())


def _key(text: str) -> str:
    """How two words are compared: ignoring case and spaces."""
    return normalise(text).casefold().replace(" ", "")


# ---------------------------------------------------------------- reading

def used_in(district_id: int | None) -> ColumnElement[bool]:
    """The added words a district's runs use: the city's and its own (None: the city's alone)."""
    city = VocabularyTerm.district_id.is_(None)
    return city if district_id is None else or_(city, VocabularyTerm.district_id == district_id)


def _shown_to(actor: User) -> ColumnElement[bool]:
    """The added words an official sees: their district's and the city's; an administrator sees every one."""
    return true() if actor.role == Role.ADMIN else used_in(actor.district_id)


def active_terms(district_id: int | None) -> list[VocabularyTerm]:
    """The words a district's runs use that nobody withdrew, oldest first."""
    return list(db.session.scalars(select(VocabularyTerm).where(VocabularyTerm.removed_at.is_(None),
                                                                used_in(district_id))
                                   .options(selectinload(VocabularyTerm.category))
                                   .order_by(VocabularyTerm.id)))


def _engine_accepts(code: str, skill: str, term: str) -> bool:
    try:
        SkillTerm(category=code, skill=skill, terms=(term,))
    except ValueError:
        return False
    return True


def skill_terms(terms: Iterable[VocabularyTerm]) -> tuple[SkillTerm, ...]:
    """Added words as the engine takes them: one :class:`SkillTerm` per (category, skill). A stored word the
    engine refuses (added before :func:`add_term` checked as the engine does) is left out, so that it cannot
    stop every matching run."""
    grouped: dict[tuple[str, str], list[str]] = defaultdict(list)
    for row in terms:
        if row.removed_at is None and _engine_accepts(row.category.code, row.skill, row.term):
            grouped[(row.category.code, row.skill)].append(row.term)
    return tuple(SkillTerm(category=code, skill=skill, terms=tuple(words))
                 for (code, skill), words in sorted(grouped.items()))


def engine_vocabulary(district_id: int | None) -> Vocabulary:
    """The vocabulary a district's matching runs use: the packaged one with the city's and the district's
    active added words."""
    return Vocabulary.default().with_terms(skill_terms(active_terms(district_id)))


@dataclass
class TermEntry:
    """One word of a skill: packaged (``row`` None) or added by an official."""

    term: str
    row: VocabularyTerm | None = None

    @property
    def packaged(self) -> bool:
        return self.row is None


@dataclass
class SkillEntry:
    skill: str
    packaged: bool
    terms: list[TermEntry] = field(default_factory=list)

    @property
    def added(self) -> list[TermEntry]:
        return [t for t in self.terms if not t.packaged]


@dataclass
class CategoryEntry:
    category: Category
    skills: list[SkillEntry] = field(default_factory=list)

    @property
    def added_count(self) -> int:
        return sum(len(s.added) for s in self.skills)

    @property
    def term_count(self) -> int:
        return sum(len(s.terms) for s in self.skills)


def listing(actor: User) -> list[CategoryEntry]:
    """The whole vocabulary per category (in the categories' order): the packaged skills and words,
    then the words and skills officials added, with who added them and when."""
    policy.require(actor, "vocabulary.view")
    packaged = Vocabulary.default()
    added = list(db.session.scalars(select(VocabularyTerm).where(VocabularyTerm.removed_at.is_(None),
                                                                 _shown_to(actor))
                                    .options(selectinload(VocabularyTerm.added_by))
                                    .order_by(VocabularyTerm.created_at, VocabularyTerm.id)))
    by_category: dict[int, list[VocabularyTerm]] = defaultdict(list)
    for row in added:
        by_category[row.category_id].append(row)
    entries = []
    for category in db.session.scalars(select(Category).order_by(Category.sort_order, Category.id)):
        skills: dict[str, SkillEntry] = {}
        for skill in packaged.skills:
            if skill.category == category.code:
                entry = skills.setdefault(skill.skill, SkillEntry(skill.skill, packaged=True))
                entry.terms += [TermEntry(t) for t in skill.terms]
        for row in by_category.get(category.id, []):
            entry = skills.setdefault(row.skill, SkillEntry(row.skill, packaged=False))
            entry.terms.append(TermEntry(row.term, row))
        entries.append(CategoryEntry(category, list(skills.values())))
    return entries


def skill_names(actor: User) -> list[str]:
    """Every skill name the official's vocabulary has, packaged and added, for suggestions in the form."""
    names = {s.skill for s in Vocabulary.default().skills}
    names |= set(db.session.scalars(select(VocabularyTerm.skill).where(VocabularyTerm.removed_at.is_(None),
                                                                       used_in(actor.district_id))))
    return sorted(names)


# ---------------------------------------------------------------- changing

@dataclass(frozen=True)
class TermInput:
    category_id: int | None
    skill: str
    term: str
    language: str


def _words(value: str, name: str, errors: dict[str, object]) -> str:
    text = normalise(value)
    if not text:
        errors[name] = _l("Required.")
    elif len(text) > MAX_LENGTH:
        errors[name] = _l("At most %(n)d characters.", n=MAX_LENGTH)
    elif any(unicodedata.category(ch).startswith("C") for ch in text):
        errors[name] = _l("Use letters and words only, without control characters.")
    elif len(engine_normalize(text)) < MIN_TERM_LENGTH:  # the engine refuses it: every run would fail
        errors[name] = _l("At least %(n)d letters or characters, punctuation and symbols not counted.",
                          n=MIN_TERM_LENGTH)
    return text


def _check(data: TermInput) -> tuple[Category | None, str, str, dict[str, object]]:
    errors: dict[str, object] = {}
    category = db.session.get(Category, data.category_id) if data.category_id is not None else None
    if category is None:
        errors["category_id"] = _l("Choose a category from the list.")
    skill = _words(data.skill, "skill", errors)
    term = _words(data.term, "term", errors)
    if data.language not in TERM_LANGUAGES:
        errors["language"] = _l("Choose Chinese or English.")
    elif "term" not in errors:
        if data.language == "zh" and not _CJK.search(term):
            errors["term"] = _l("A Chinese word needs Chinese characters; choose English for an English word.")
        elif data.language == "en" and (_CJK.search(term) or not _LATIN.search(term)):
            errors["term"] = _l("An English word is written in Latin letters; choose Chinese for a Chinese word.")
    return category, skill, term, errors


def _known_words(category: Category, skill: str, district_id: int | None) -> set[str]:
    """The words the skill already has in the category for the district (packaged and added, the skill's own
    name included)."""
    wanted = _key(skill)
    words: set[str] = set()
    for entry in Vocabulary.default().skills:
        if entry.category == category.code and _key(entry.skill) == wanted:
            words |= {_key(entry.skill)} | {_key(t) for t in entry.terms}
    for row in db.session.scalars(select(VocabularyTerm).where(VocabularyTerm.category_id == category.id,
                                                              VocabularyTerm.removed_at.is_(None),
                                                              used_in(district_id))):
        if _key(row.skill) == wanted:
            words |= {_key(row.skill), _key(row.term)}
    return words


def _existing_skill(category: Category, skill: str, district_id: int | None) -> str:
    """The skill's name as the vocabulary already spells it, else as given: "Visiting" joins an added
    "visiting", and a packaged skill named by one of its words (“home care” for 居家养老) is that skill."""
    wanted = _key(skill)
    packaged = Vocabulary.default().skills_of(category.code)
    for entry in packaged:
        if _key(entry.skill) == wanted:
            return entry.skill
    named = [entry.skill for entry in packaged if wanted in {_key(t) for t in entry.terms}]
    if len(named) == 1:
        return named[0]
    spelled = db.session.scalars(select(VocabularyTerm.skill).where(
        VocabularyTerm.category_id == category.id, VocabularyTerm.removed_at.is_(None), used_in(district_id))).all()
    return next((name for name in spelled if _key(name) == wanted), skill)


def add_term(actor: User, data: TermInput, *, now: datetime | None = None) -> VocabularyTerm:
    """Add ``data.term`` as a word for ``data.skill`` in the category (a new skill when the category has
    none of that name), to the official's district's words (an administrator's: the city's). Raises
    :class:`ValidationFailed` naming the fields that are wrong."""
    policy.require(actor, "vocabulary.add")
    now = now or utcnow()
    category, skill, term, errors = _check(data)
    if errors:
        raise ValidationFailed(_l("The word was not added: please correct the marked fields."), fields=errors)
    assert category is not None
    district_id = actor.district_id
    skill = _existing_skill(category, skill, district_id)
    if _key(term) in _known_words(category, skill, district_id):
        raise ValidationFailed(_l("“%(term)s” is already a word for “%(skill)s”.", term=term, skill=skill),
                               fields={"term": _l("Already in the vocabulary for this skill.")})
    row = VocabularyTerm(district_id=district_id, category_id=category.id, skill=skill, term=term,
                         language=data.language, added_by_id=actor.id, created_at=now)
    try:
        with db.session.begin_nested():
            db.session.add(row)
            db.session.flush()
    except IntegrityError:  # the same word added at the same moment by someone else
        raise ValidationFailed(_l("“%(term)s” is already a word for “%(skill)s”.", term=term, skill=skill),
                               fields={"term": _l("Already in the vocabulary for this skill.")}) from None
    record(actor, "vocabulary_term.added", row,
           after={"district_id": district_id, "category_id": category.id, "skill": skill, "term": term,
                  "language": data.language})
    return row


def withdraw_term(actor: User, row: VocabularyTerm, *, now: datetime | None = None) -> VocabularyTerm:
    """Withdraw an added word: later runs no longer use it; the row stays for the record."""
    policy.require(actor, "vocabulary.withdraw", row)
    if row.removed_at is not None:
        raise Conflict(_l("This word was already withdrawn."))
    row.removed_at, row.removed_by_id = now or utcnow(), actor.id
    record(actor, "vocabulary_term.withdrawn", row,
           before={"category_id": row.category_id, "skill": row.skill, "term": row.term, "language": row.language})
    return row
