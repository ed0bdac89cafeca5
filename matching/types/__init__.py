"""Plain, frozen data types shared by the matching engine and the web app.

The web app (``market/review/adapter.py``) builds these objects from its database rows and
reads the results back; nothing here knows about Flask or SQLAlchemy.

Modules
-------
``matching.types.common``
    :data:`Id`, :data:`UnitKey`, :func:`id_key` and the kinds an input may name.
``matching.types.inputs``
    :class:`Requirements`, :class:`LotSpec`, :class:`ProjectSpec`, :class:`ProviderSpec`,
    :class:`BidSpec`, :class:`PoolSpec`, :class:`Decision`.
``matching.types.options``
    :class:`ScoreWeights`, :class:`MatchOptions`.
``matching.types.problem``
    :class:`MatchProblem`, validated across objects.
``matching.types.results``
    :class:`Candidate`, :class:`PoolCandidate`, :class:`FilterFunnel`, :class:`CandidateSet`,
    :class:`Funding`, :class:`Assignment`, :class:`Unmatched`, :class:`MatchResult`.
``matching.types.validation``
    The field checks behind every ``ValueError``.

Conventions
-----------
* **Ids** are ``int`` or non-empty ``str`` (``Id``).  Wherever ids must be ordered (tie-breaking,
  output order) :func:`id_key` is used: integers first, numerically, then strings, lexically.
* **Money** is always an ``int`` number of minor units (fen, 1 yuan = 100 fen).
* **Integers** (money, counts, staff, ``k``) must be below 2**63 (:data:`INT_MAX`): the engine
  keeps them in numpy ``int64`` arrays.
* **Sequences** may be passed as lists; they are stored as tuples / frozensets so that every
  object is immutable.
* Bad values raise ``ValueError`` whose message starts with the offending field, e.g.
  ``"ProjectSpec.budget: must be an int >= 0 (fen), got -5"``.
* Explanations are :class:`matching.reasons.Reason` codes with parameters; see
  :mod:`matching.reasons` for the codes and a plain renderer.

Example::

    >>> format_reason("pools_exhausted", {"needed": 30_000_000, "left": 12_000_000})
    'pools exhausted: needs 300,000, 120,000 left'
    >>> format_reason("pools_exhausted", {"needed": 30_000_000, "left": 12_000_000}, lang="zh")
    '资金池余额不足：需要300,000元，剩余120,000元'
"""

from __future__ import annotations

from ..reasons import REASON_TEMPLATES, Reason, format_money, format_reason
from .common import (
    INT_MAX,
    POOL_KINDS,
    PROJECT_TYPES,
    PROVIDER_KINDS,
    STATUSES,
    Id,
    UnitKey,
    id_key,
)
from .inputs import BidSpec, Decision, LotSpec, PoolSpec, ProjectSpec, ProviderSpec, Requirements
from .options import MatchOptions, ScoreWeights
from .problem import MatchProblem
from .results import (
    Assignment,
    Candidate,
    CandidateSet,
    FilterFunnel,
    Funding,
    MatchResult,
    PoolCandidate,
    Unmatched,
)

__all__ = [
    "Id",
    "UnitKey",
    "id_key",
    "format_money",
    "format_reason",
    "Reason",
    "REASON_TEMPLATES",
    "Requirements",
    "LotSpec",
    "ProjectSpec",
    "ProviderSpec",
    "BidSpec",
    "PoolSpec",
    "Decision",
    "ScoreWeights",
    "MatchOptions",
    "MatchProblem",
    "Candidate",
    "PoolCandidate",
    "FilterFunnel",
    "CandidateSet",
    "Funding",
    "Assignment",
    "Unmatched",
    "MatchResult",
    "PROVIDER_KINDS",
    "POOL_KINDS",
    "PROJECT_TYPES",
    "STATUSES",
    "INT_MAX",
]
