"""Sector vocabulary: per category, the skills a provider may have and the words that name them.

A tender says 居家养老, a care provider says 上门照护, a resident says 有人上门照顾: the same
skill.  A :class:`Vocabulary` lists, per category code, skills (:class:`SkillTerm`) with their
synonyms and near-terms in Chinese and English.  The text component of the score expands a
project's needs and a provider's capabilities with the skills whose terms they use, so that a
skill named on both sides counts as shared even in different words; every shared skill is
recorded as a :class:`MatchedSkill` ("matched: 居家养老 ≈ 上门照护").

The default vocabulary is data, not code: ``matching/data/sector_vocabulary.toml``, one table per
category, ``"skill" = ["term", ...]``.  Officials' additions are merged with
:meth:`Vocabulary.with_terms`.

Terms are matched in :func:`matching.text.normalize`-d text: Chinese terms anywhere, English
terms as whole words (with an optional plural ``s``/``es``); the text is scanned left to right
and at each position the longest term wins (a dictionary lookup per candidate length, no
regular expression).

Examples
--------
>>> vocab = Vocabulary((SkillTerm("elderly_care", "居家养老", ("上门照护", "home care")),))
>>> vocab.match("街道居家养老服务项目", "我们提供上门照护", "elderly_care")
(MatchedSkill(skill='居家养老', project_term='居家养老', provider_term='上门照护'),)
>>> render_matched(vocab.match("Home care for elders", "上门照护", "elderly_care"))
'matched: home care ≈ 上门照护'
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from importlib import resources
from pathlib import Path
from typing import Literal

from .text import normalize

__all__ = ["SkillTerm", "Vocabulary", "MatchedSkill", "SkillIndex", "matched_pairs", "render_matched",
           "matched_skills", "DEFAULT_DATA", "MIN_TERM_LENGTH"]

#: The packaged default vocabulary (inside the ``matching`` package).
DEFAULT_DATA = "data/sector_vocabulary.toml"
#: Shortest term (after normalisation): a single character would match almost any text.
MIN_TERM_LENGTH = 2

_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")


@dataclass(frozen=True, slots=True)
class SkillTerm:
    """One skill of a category and the terms that name it.

    Attributes
    ----------
    category : str
        Category code (as in :attr:`matching.types.ProjectSpec.category`), e.g. ``"elderly_care"``.
    skill : str
        Canonical skill name (Chinese), e.g. ``"居家养老"``.  It is a term of the skill too.
    terms : tuple of str
        Synonyms and near-terms, Chinese and English (lists are accepted; blanks and repeats
        are dropped; a term of fewer than :data:`MIN_TERM_LENGTH` characters, once
        normalised, raises ``ValueError``).

    >>> SkillTerm("elderly_care", "居家养老", ["上门照护", " 上门照护 ", ""]).terms
    ('上门照护',)
    """

    category: str
    skill: str
    terms: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        for name in ("category", "skill"):
            value = getattr(self, name)
            if not isinstance(value, str) or not value.strip():
                raise ValueError(f"SkillTerm.{name}: must be a non-empty str, got {value!r}")
            object.__setattr__(self, name, value.strip())
        if isinstance(self.terms, str):
            raise ValueError("SkillTerm.terms: must be a sequence of str, not a str")
        terms: list[str] = []
        if len(normalize(self.skill)) < MIN_TERM_LENGTH:
            raise ValueError(f"SkillTerm.skill: needs at least {MIN_TERM_LENGTH} letters or "
                             f"characters, got {self.skill!r}")
        for term in self.terms:
            if not isinstance(term, str):
                raise ValueError(f"SkillTerm.terms: terms must be str, got {term!r}")
            term = term.strip()
            if not term or term in terms:
                continue
            if len(normalize(term)) < MIN_TERM_LENGTH:
                raise ValueError(f"SkillTerm.terms: each term needs at least {MIN_TERM_LENGTH} "
                                 f"letters or characters (one would match almost any text), "
                                 f"got {term!r}")
            terms.append(term)
        object.__setattr__(self, "terms", tuple(terms))

    @property
    def all_terms(self) -> tuple[str, ...]:
        """The skill name followed by its terms (no repeats).

        >>> SkillTerm("x", "助餐", ["送餐", "助餐"]).all_terms
        ('助餐', '送餐')
        """
        return (self.skill, *(t for t in self.terms if t != self.skill))


@dataclass(frozen=True, slots=True)
class MatchedSkill:
    """A skill that a project asks for and a provider offers, and the words each side used.

    >>> MatchedSkill("居家养老", "居家养老", "上门照护").provider_term
    '上门照护'
    """

    skill: str
    project_term: str
    provider_term: str


class SkillIndex:
    """The terms of one category compiled for fast search (built by :meth:`Vocabulary.index`).

    ``skills`` are the category's skill names in vocabulary order; :meth:`find` returns, for a
    text, each skill it names with the first term that named it.
    """

    def __init__(self, category: str, skills: Sequence[SkillTerm]):
        self.category = category
        self.skills: tuple[str, ...] = tuple(s.skill for s in skills)
        owners: dict[str, list[int]] = {}
        surface: dict[str, str] = {}
        for n, skill in enumerate(skills):
            for term in skill.all_terms:
                key = normalize(term)
                if not key:
                    continue
                owners.setdefault(key, [])
                if n not in owners[key]:
                    owners[key].append(n)
                surface.setdefault(key, term)
        self._owners = {k: tuple(v) for k, v in owners.items()}
        self._surface = surface
        #: Term lengths by first character, longest first (the scan tries the longest first).
        lengths: dict[str, set[int]] = {}
        for key in owners:
            lengths.setdefault(key[0], set()).add(len(key))
        self._lengths = {c: tuple(sorted(v, reverse=True)) for c, v in lengths.items()}
        #: Terms without Chinese characters: matched as whole words, plural allowed.
        self._words = frozenset(k for k in owners if not _CJK.search(k))

    def __len__(self) -> int:
        return len(self.skills)

    def find(self, text: str, *, normalized: bool = False) -> dict[int, str]:
        """``skill position -> first term naming it`` in ``text``, in order of appearance.

        >>> idx = Vocabulary((SkillTerm("c", "助餐", ["送餐", "meal"]),)).index("c")
        >>> idx.find("Meals delivered; 送餐上门")
        {0: 'meal'}
        """
        norm = text if normalized else normalize(text)
        found: dict[int, str] = {}
        n = len(norm)
        i = 0
        while i < n:
            nxt = i + 1
            for length in self._lengths.get(norm[i], ()):
                key = norm[i:i + length]
                owners = self._owners.get(key)
                if owners is None:
                    continue
                end = i + length
                if key in self._words:
                    if i > 0 and _is_word_char(norm[i - 1]):
                        continue
                    for suffix in ("es", "s"):
                        if norm.startswith(suffix, end) and not (
                                end + len(suffix) < n and _is_word_char(norm[end + len(suffix)])):
                            end += len(suffix)
                            break
                    if end < n and _is_word_char(norm[end]):
                        continue
                for owner in owners:
                    found.setdefault(owner, self._surface[key])
                nxt = end
                break
            i = nxt
        return found


def _is_word_char(ch: str) -> bool:
    return ch.isascii() and ch.isalnum()


@dataclass(frozen=True)
class Vocabulary:
    """Skills and their terms, per category (see the module docstring).

    Attributes
    ----------
    skills : tuple of SkillTerm
        At most one entry per ``(category, skill)``; :meth:`with_terms` merges.

    >>> Vocabulary.empty().skills
    ()
    >>> len(Vocabulary.default().categories) >= 19
    True
    """

    skills: tuple[SkillTerm, ...] = ()

    def __post_init__(self) -> None:
        if isinstance(self.skills, (str, bytes)):
            raise ValueError("Vocabulary.skills: must be a sequence of SkillTerm")
        merged: dict[tuple[str, str], SkillTerm] = {}
        for item in self.skills:
            if not isinstance(item, SkillTerm):
                raise ValueError(f"Vocabulary.skills: must hold SkillTerm objects, got {item!r}")
            key = (item.category, item.skill)
            old = merged.get(key)
            merged[key] = item if old is None else SkillTerm(
                item.category, item.skill, old.terms + item.terms)
        object.__setattr__(self, "skills", tuple(merged.values()))

    # ------------------------------------------------------------------ construction

    @classmethod
    def empty(cls) -> Vocabulary:
        """A vocabulary without skills: the text is compared word for word only."""
        return cls(())

    @classmethod
    def default(cls) -> Vocabulary:
        """The packaged sector vocabulary (``matching/data/sector_vocabulary.toml``), read once."""
        return _default()

    @classmethod
    def from_mapping(cls, data: Mapping[str, Mapping[str, Sequence[str]]]) -> Vocabulary:
        """Build from ``{category: {skill: [term, ...]}}`` (the layout of the TOML file).

        >>> Vocabulary.from_mapping({"health": {"急救培训": ["心肺复苏", "first aid"]}}).skills[0].terms
        ('心肺复苏', 'first aid')
        """
        skills = []
        for category, table in data.items():
            if not isinstance(table, Mapping):
                raise ValueError(f"Vocabulary: category {category!r} must map skills to term lists")
            for skill, terms in table.items():
                if isinstance(terms, str) or not isinstance(terms, Sequence):
                    raise ValueError(f"Vocabulary: {category}.{skill} must be a list of terms")
                skills.append(SkillTerm(category, skill, tuple(terms)))
        return cls(tuple(skills))

    @classmethod
    def from_toml(cls, source: str | Path) -> Vocabulary:
        """Read a TOML file in the layout of the default one (a path, or the TOML text itself
        when it is a ``str`` containing a newline)."""
        if isinstance(source, str) and "\n" in source:
            data = tomllib.loads(source)
        else:
            with open(source, "rb") as fh:
                data = tomllib.load(fh)
        return cls.from_mapping(data)

    def with_terms(self, extra: Iterable[SkillTerm]) -> Vocabulary:
        """A vocabulary with ``extra`` merged in: terms of an existing ``(category, skill)`` are
        added to it, other entries become new skills.

        >>> v = Vocabulary((SkillTerm("c", "助餐", ("送餐",)),))
        >>> w = v.with_terms([SkillTerm("c", "助餐", ("长者饭堂",)), SkillTerm("c", "探访", ())])
        >>> [(s.skill, s.terms) for s in w.skills]
        [('助餐', ('送餐', '长者饭堂')), ('探访', ())]
        """
        return Vocabulary(self.skills + tuple(extra))

    # ------------------------------------------------------------------ lookup

    @property
    def categories(self) -> tuple[str, ...]:
        """Category codes with at least one skill, in order of first appearance."""
        return tuple(dict.fromkeys(s.category for s in self.skills))

    def skills_of(self, category: str) -> tuple[SkillTerm, ...]:
        """The skills of one category (empty if unknown)."""
        return tuple(s for s in self.skills if s.category == category)

    @cached_property
    def _indexes(self) -> dict[str, SkillIndex]:
        by_category: dict[str, list[SkillTerm]] = {}
        for skill in self.skills:
            by_category.setdefault(skill.category, []).append(skill)
        return {c: SkillIndex(c, s) for c, s in by_category.items()}

    @cached_property
    def _whole(self) -> SkillIndex:
        return SkillIndex("*", self.skills)

    def whole_index(self) -> SkillIndex:
        """The compiled terms of every category in one index: a position is one skill of one
        category (``skills[position]`` of this vocabulary).  One scan of a text finds every
        skill it names, whatever the category - how broad a profile is.

        >>> v = Vocabulary((SkillTerm("a", "助餐", ("送餐",)), SkillTerm("b", "普法", ())))
        >>> sorted(v.whole_index().find("送餐和普法讲座"))
        [0, 1]
        """
        return self._whole

    def index(self, category: str) -> SkillIndex:
        """The compiled terms of one category (an empty index for an unknown category)."""
        found = self._indexes.get(category)
        return found if found is not None else SkillIndex(category, ())

    def skills_in(self, text: str, category: str) -> dict[str, str]:
        """``skill -> first term naming it`` in ``text``, for one category.

        >>> Vocabulary.default().skills_in("为长者提供上门照护和助浴", "elderly_care")
        {'居家养老': '上门照护'}
        """
        idx = self.index(category)
        return {idx.skills[n]: term for n, term in idx.find(text).items()}

    def match(self, needs: str, capability: str, category: str) -> tuple[MatchedSkill, ...]:
        """Skills of ``category`` named in both texts, in the order the needs name them.

        >>> Vocabulary.default().match("独居老人居家养老服务", "提供上门照护", "elderly_care")[0]
        MatchedSkill(skill='居家养老', project_term='居家养老', provider_term='上门照护')
        """
        idx = self.index(category)
        return matched_skills(idx, idx.find(needs), idx.find(capability))


def matched_skills(index: SkillIndex, needs: Mapping[int, str], offers: Mapping[int, str]
                   ) -> tuple[MatchedSkill, ...]:
    """The shared skills of two :meth:`SkillIndex.find` results, in the needs' order."""
    return tuple(MatchedSkill(index.skills[n], term, offers[n]) for n, term in needs.items()
                 if n in offers)


def matched_pairs(skills: Iterable[MatchedSkill]) -> list[str]:
    """Each matched skill in words, "the project's term ≈ the provider's" (one word when both sides
    use the same), without repeats.

    >>> matched_pairs([MatchedSkill("居家养老", "居家养老", "上门照护"), MatchedSkill("长者助餐", "助餐", "助餐"),
    ...                MatchedSkill("长者助餐", "助餐", "助餐")])
    ['居家养老 ≈ 上门照护', '助餐']
    """
    pairs: list[str] = []
    for m in skills:
        pair = m.project_term if m.project_term == m.provider_term else f"{m.project_term} ≈ {m.provider_term}"
        if pair and pair not in pairs:
            pairs.append(pair)
    return pairs


def render_matched(skills: Iterable[MatchedSkill], lang: Literal["en", "zh"] = "en") -> str:
    """Plain rendering for notebooks and logs; ``""`` when nothing matched.

    >>> render_matched([MatchedSkill("居家养老", "居家养老", "上门照护"),
    ...                 MatchedSkill("长者助餐", "助餐", "助餐")], lang="zh")
    '匹配技能：居家养老 ≈ 上门照护；助餐'
    >>> render_matched([])
    ''
    """
    parts = matched_pairs(skills)
    if not parts:
        return ""
    if lang == "zh":
        return "匹配技能：" + "；".join(parts)
    return "matched: " + "; ".join(parts)


_DEFAULT: Vocabulary | None = None


def _default() -> Vocabulary:
    global _DEFAULT
    if _DEFAULT is None:
        text = resources.files("matching").joinpath(DEFAULT_DATA).read_text(encoding="utf-8")
        _DEFAULT = Vocabulary.from_toml(text)
    return _DEFAULT
