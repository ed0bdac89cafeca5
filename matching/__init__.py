"""Pure matching engine: plain dataclasses in, plain dataclasses with explanations out.

No Flask, no SQLAlchemy, no database: usable from a notebook.

Modules
-------
``matching.types``
    Frozen input and output dataclasses (:class:`ProjectSpec`, :class:`ProviderSpec`,
    :class:`BidSpec`, :class:`PoolSpec`, :class:`Decision`, :class:`MatchOptions`,
    :class:`MatchProblem`, :class:`MatchResult`, ...).
``matching.reasons``
    :class:`Reason`: every explanation as a code with parameters, and a plain English /
    Chinese renderer (:func:`matching.reasons.render`).
``matching.text``
    Normalisation, jieba / English tokenisation and rapidfuzz similarity of needs to
    capabilities.
``matching.vocabulary``
    Sector vocabulary (skills and their synonyms per category, kept as data) and the skills a
    project and a provider share (:class:`MatchedSkill`, :func:`render_matched`).
``matching.score``
    Combined score with its components (text, category, geography, reputation, price,
    delivery, social organisation).
``matching.candidates``
    Top-k providers and pools per project after hard filters, with fast pruning.
``matching.optimize``
    :func:`solve`: the assignment and funding MILP (PuLP + CBC, or HiGHS), verified results,
    reasons for every unmatched project, binding constraints (a package: formulation, the
    decomposition pipeline, money, explanations, verification).
``matching.solvers``
    Solver backends for sparse linear models.
``matching.pb``
    Participatory-budgeting rules (separate package).
``matching.bench``
    ``python -m matching.bench [--quick]``.

Typical use::

    from matching import MatchProblem, solve
    result = solve(MatchProblem(projects=..., providers=..., pools=...))

The names below are importable from ``matching`` directly; the heavy modules (numpy, PuLP,
jieba, rapidfuzz) load on first use, so ``import matching`` stays cheap.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    # types (standard library only)
    "Assignment": "matching.types",
    "BidSpec": "matching.types",
    "Candidate": "matching.types",
    "CandidateSet": "matching.types",
    "Decision": "matching.types",
    "FilterFunnel": "matching.types",
    "Funding": "matching.types",
    "LotSpec": "matching.types",
    "MatchOptions": "matching.types",
    "MatchProblem": "matching.types",
    "MatchResult": "matching.types",
    "PoolCandidate": "matching.types",
    "PoolSpec": "matching.types",
    "ProjectSpec": "matching.types",
    "ProviderSpec": "matching.types",
    "REASON_TEMPLATES": "matching.reasons",
    "Reason": "matching.reasons",
    "Requirements": "matching.types",
    "ScoreWeights": "matching.types",
    "Unmatched": "matching.types",
    "format_money": "matching.reasons",
    "format_reason": "matching.reasons",
    "id_key": "matching.types",
    # sector vocabulary (standard library only)
    "MatchedSkill": "matching.vocabulary",
    "SkillTerm": "matching.vocabulary",
    "Vocabulary": "matching.vocabulary",
    "render_matched": "matching.vocabulary",
    # engine
    "similarity": "matching.text",
    "score_pair": "matching.score",
    "generate_candidates": "matching.candidates",
    "check_pair": "matching.candidates",
    "solve": "matching.optimize",
    "verify": "matching.optimize",
    "available_solvers": "matching.solvers",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'matching' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))
