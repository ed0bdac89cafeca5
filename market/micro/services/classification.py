"""Category suggestion (自动分类) for residents' proposals, with :mod:`matching.classify`.

The classifier learns from the categories' names and keyword seeds
(:data:`market.geo.taxonomy.CATEGORY_KEYWORDS`) and from every proposal and project whose category
is known. It is trained once per process and data version (the counts and latest ids of those
rows), so a new proposal or project is learnt from on the next suggestion.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass

from sqlalchemy import func, select

from market.core.db import db
from market.geo.models import Category
from market.geo.taxonomy import CATEGORIES, CATEGORY_KEYWORDS
from market.micro.models import Proposal, ProposalStatus
from market.projects.models import Project, ProjectStatus
from matching.classify import CentroidClassifier, Example, train

#: The longest text a suggestion reads (title and description together).
MAX_SUGGEST_CHARS = 4000
SUGGESTIONS = 3
# How many of the latest projects the classifier learns from (the demo has a few hundred).
MAX_PROJECT_EXAMPLES = 3000
# Keyword seeds count as this many examples: enough to start from, not enough to drown real texts.
SEED_WEIGHT = 6.0


@dataclass(frozen=True)
class CategorySuggestion:
    category: Category
    score: float


def seed_examples() -> list[Example]:
    """The categories' names and keywords, in the taxonomy's order (which breaks ties)."""
    return [Example(f"{zh} {en} {CATEGORY_KEYWORDS.get(code, '')}", code, SEED_WEIGHT) for code, zh, en in CATEGORIES]


def text_of(title: str, description: str = "", title_en: str = "", description_en: str = "") -> str:
    """What the classifier reads of a proposal: its title (twice: it says most) and description."""
    return " ".join(part for part in (title, title, description, title_en, description_en) if part)


def _data_version() -> tuple:
    proposals = db.session.execute(select(func.count(Proposal.id), func.max(Proposal.id), func.max(Proposal.updated_at))
                                   ).one()
    projects = db.session.execute(select(func.count(Project.id), func.max(Project.id), func.max(Project.updated_at))
                                  ).one()
    categories = db.session.execute(select(func.count(Category.id), func.max(Category.id))).one()
    return (str(db.engine.url), tuple(proposals), tuple(projects), tuple(categories))


def training_examples() -> list[Example]:
    """Seeds, then public proposals and non-draft projects with their categories (by code)."""
    codes = {cid: code for cid, code in db.session.execute(select(Category.id, Category.code))}
    examples = [e for e in seed_examples() if e.label in codes.values()]
    rows = db.session.execute(select(Proposal.title, Proposal.description, Proposal.title_en, Proposal.description_en,
                                     Proposal.category_id)
                              .where(Proposal.status != ProposalStatus.DRAFT).order_by(Proposal.id))
    examples += [Example(text_of(t, d, te, de), codes[c]) for t, d, te, de, c in rows if c in codes]
    rows = db.session.execute(select(Project.title, Project.description, Project.title_en, Project.description_en,
                                     Project.category_id)
                              .where(Project.status != ProjectStatus.DRAFT, Project.category_id.is_not(None))
                              .order_by(Project.id.desc()).limit(MAX_PROJECT_EXAMPLES))
    examples += [Example(text_of(t, (d or "")[:500], te, (de or "")[:500]), codes[c]) for t, d, te, de, c in rows
                 if c in codes]
    return examples


_lock = threading.Lock()
_cache: dict[str, tuple[tuple, CentroidClassifier]] = {}


def classifier() -> CentroidClassifier:
    """The classifier for the current data (trained again only when the data changed)."""
    version = _data_version()
    cached = _cache.get("classifier")
    if cached is not None and cached[0] == version:
        return cached[1]
    with _lock:
        trained = train(training_examples())
        _cache["classifier"] = (version, trained)
    return trained


def suggest_categories(text: str, k: int = SUGGESTIONS) -> list[CategorySuggestion]:
    """The ``k`` likeliest categories of a proposal's text, best first (empty for a text without known words)."""
    text = (text or "")[:MAX_SUGGEST_CHARS]
    if not text.strip():
        return []
    by_code = {c.code: c for c in db.session.scalars(select(Category))}
    return [CategorySuggestion(by_code[s.label], s.score) for s in classifier().suggest(text, k) if s.label in by_code]
