"""Candidate pools of each project: eligible ones, a deterministic weighted draw when there are
more than ``k_pools``, pinned ones always kept.

>>> from matching.types import MatchProblem, ProjectSpec, PoolSpec
>>> prob = MatchProblem(projects=[ProjectSpec(id=1, title="t", category="c", street_id="s",
...                                           budget=100)], providers=[],
...                     pools=[PoolSpec(id="f", name="F", remaining=50)])
>>> pools, funnels, errors = pool_candidates(prob, prob.projects)
>>> [p.pool_id for p in pools[1]], funnels[1]
(['f'], (1, 1, 1))
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ..reasons import Reason
from ..types import Id, MatchProblem, PoolCandidate, PoolSpec, ProjectSpec, id_key
from .providers import BoolArray, FloatArray

__all__ = ["pool_candidates"]

Uint64Array = np.ndarray[tuple[int], np.dtype[np.uint64]]


@dataclass(frozen=True)
class _Eligible:
    """The pools with money whose focus and streets cover one (category, street)."""

    n_by_category: int
    pools: list[PoolSpec]
    weight: FloatArray
    hashes: Uint64Array
    share: FloatArray
    pays_something: BoolArray


def _id_hash(value: Id) -> int:
    return zlib.crc32(repr(value).encode("utf-8"))


def _mix_uniform(a: Uint64Array, b: Uint64Array) -> FloatArray:
    """Deterministic uniforms in (0, 1) from two 32-bit hashes (splitmix64 finaliser); the
    arrays broadcast."""
    with np.errstate(over="ignore"):
        z = (a.astype(np.uint64) * np.uint64(0x9E3779B97F4A7C15)) ^ b.astype(np.uint64)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        z = z ^ (z >> np.uint64(31))
    uniform: FloatArray = ((z >> np.uint64(11)).astype(np.float64) + 0.5) / float(1 << 53)
    return uniform


def _eligible(pools: list[PoolSpec], project: ProjectSpec) -> _Eligible:
    by_category = [p for p in pools if p.remaining > 0
                   and (not p.categories or project.category in p.categories)]
    eligible = [p for p in by_category if not p.streets or project.street_id in p.streets]
    return _Eligible(
        len(by_category), eligible,
        # weight of the draw: money left, x4 for a focus-category match, x2 for a street match
        np.array([p.remaining * (4.0 if p.categories else 1.0) * (2.0 if p.streets else 1.0)
                  for p in eligible], dtype=np.float64),
        np.array([_id_hash(p.id) for p in eligible], dtype=np.uint64),
        np.array([p.max_share for p in eligible], dtype=np.float64),
        np.array([p.max_per_project is None or p.max_per_project > 0 for p in eligible],
                 dtype=bool))


def pool_candidates(problem: MatchProblem, projects: Sequence[ProjectSpec]
                    ) -> tuple[dict[Id, tuple[PoolCandidate, ...]], dict[Id, tuple[int, int, int]],
                               list[Reason]]:
    """Candidate pools and pool funnels of the projects that need funding, and the pinned pools
    that are not eligible (``pinned_pool_not_eligible``).

    Projects with the same category and street share their eligible pools; their draws are
    computed together, a block of projects at a time.
    """
    k = problem.options.k_pools
    pools = sorted(problem.pools, key=lambda p: id_key(p.id))
    forbidden: dict[Id, set[Id]] = {}
    pinned: dict[Id, list[Id]] = {}
    for dec in problem.decisions:
        if dec.pool_id is not None:
            if dec.kind == "forbid":
                forbidden.setdefault(dec.project_id, set()).add(dec.pool_id)
            else:
                pinned.setdefault(dec.project_id, []).append(dec.pool_id)
    groups: dict[tuple[str, Id], list[ProjectSpec]] = {}
    for project in projects:
        if project.needs_funding:
            groups.setdefault((project.category, project.street_id), []).append(project)
    drawn: dict[Id, tuple[list[PoolSpec], tuple[int, int, int], set[Id] | None]] = {}
    for members in groups.values():
        found = _eligible(pools, members[0])
        for start in range(0, len(members), _BLOCK):
            _draw_block(members[start:start + _BLOCK], found, k, forbidden, pinned, drawn)
    out: dict[Id, tuple[PoolCandidate, ...]] = {}
    funnels: dict[Id, tuple[int, int, int]] = {}
    pin_errors: list[Reason] = []
    for project in projects:  # the input order
        if not project.needs_funding:
            continue
        chosen, funnels[project.id], allowed_ids = drawn[project.id]
        pins = pinned.get(project.id)
        if pins and allowed_ids is not None:
            _add_pinned_pools(problem, project, pins, chosen, allowed_ids, pin_errors)
        out[project.id] = tuple(PoolCandidate(project.id, p.id, rank, bool(p.categories or p.streets))
                                for rank, p in enumerate(chosen))
    return out, funnels, pin_errors


#: Projects whose draws are computed together (a block x eligible pools matrix).
_BLOCK = 2_000


def _draw_block(members: list[ProjectSpec], found: _Eligible, k: int,
                forbidden: dict[Id, set[Id]], pinned: dict[Id, list[Id]],
                drawn: dict[Id, tuple[list[PoolSpec], tuple[int, int, int], set[Id] | None]]
                ) -> None:
    """The ``k`` pools drawn for each project of one block (same category and street): a
    weighted draw without replacement by exponential keys, ties by pool id."""
    budgets = np.array([float(p.budget) for p in members], dtype=np.float64)
    ok = found.pays_something[None, :] & (
        np.floor(found.share[None, :] * budgets[:, None] + 1e-9) >= 1)
    for row, project in enumerate(members):
        excluded = forbidden.get(project.id)
        if excluded:
            ok[row] &= np.array([p.id not in excluded for p in found.pools], dtype=bool)
    hashes = np.array([_id_hash(p.id) for p in members], dtype=np.uint64)
    with np.errstate(divide="ignore"):
        keys = -np.log(_mix_uniform(hashes[:, None], found.hashes[None, :])) / found.weight[None, :]
    keys = np.where(ok, keys, np.inf)
    order = np.argsort(keys, axis=1, kind="stable")[:, :k]  # pools are in id order: ties by id
    counts = ok.sum(axis=1).tolist()
    for row, project in enumerate(members):
        chosen = [found.pools[i] for i in order[row, :min(k, counts[row])].tolist()]
        allowed_ids = {found.pools[i].id for i in np.flatnonzero(ok[row]).tolist()} \
            if pinned.get(project.id) else None
        drawn[project.id] = (chosen, (found.n_by_category, len(found.pools), counts[row]),
                             allowed_ids)


def _add_pinned_pools(problem: MatchProblem, project: ProjectSpec, pinned: list[Id],
                      chosen: list[PoolSpec], allowed: set[Id], pin_errors: list[Reason]) -> None:
    chosen_ids = {p.id for p in chosen}
    for pool_id in pinned:
        if pool_id in chosen_ids:
            continue
        if pool_id not in allowed:
            pin_errors.append(Reason("pinned_pool_not_eligible",
                                     {"project_id": project.id, "pool_id": pool_id}))
        else:
            chosen.append(problem.pool(pool_id))
            chosen_ids.add(pool_id)
