"""Ids, units of work, the kinds an input may name, and the integer limit.

>>> sorted(["b", 10, "a", 2], key=id_key)
[2, 10, 'a', 'b']
"""

from __future__ import annotations

__all__ = ["Id", "UnitKey", "IdKey", "id_key", "PROVIDER_KINDS", "POOL_KINDS", "PROJECT_TYPES",
           "STATUSES", "INT_MAX"]

Id = int | str
#: A unit of work: ``(project_id, lot_id)``; ``lot_id`` is ``None`` for a project without lots.
UnitKey = tuple[Id, Id | None]
#: What :func:`id_key` returns.
IdKey = tuple[int, int, str]

PROVIDER_KINDS = ("social_organisation", "enterprise", "public_institution", "other")
POOL_KINDS = ("government", "foundation", "csr", "other")
PROJECT_TYPES = ("service", "works", "goods")
#: Statuses of a :class:`matching.types.MatchResult`.
STATUSES = ("optimal", "feasible", "infeasible", "no_candidates")
#: Largest int an input may hold (2**63 - 1): the engine keeps money and counts in numpy int64.
INT_MAX = 2**63 - 1


def id_key(value: Id | None) -> IdKey:
    """Sort key that orders mixed ids deterministically.

    ``None`` first, then integers numerically, then strings lexically.

    >>> sorted(["b", 10, "a", 2], key=id_key)
    [2, 10, 'a', 'b']
    """
    if value is None:
        return (0, 0, "")
    if isinstance(value, int):
        return (1, value, "")
    return (2, 0, value)
