"""Candidate pairs as arrays: the provider candidates of a :class:`~matching.types.CandidateSet`
read in one vectorised pass.

:func:`index_provider_pairs` keeps, in the candidate set's own order, each unit's first
candidate per provider that is neither forbidden nor without capacity, and orders each unit's
pairs best first (score, then provider id).  Bad candidates raise the same ``ValueError`` as a
one-by-one check, for the first bad candidate in that order.

>>> from matching.types import Candidate
>>> cands = [Candidate(1, "b", 0.5, {}, 10), Candidate(1, "a", 0.5, {}, 10),
...          Candidate(1, "b", 0.9, {}, 10)]
>>> read = read_candidates([((1, None), tuple(cands))], {"a": 0, "b": 1}, lambda key: 0)
>>> read.pair_provider.tolist(), read.first.tolist()
([1, 0, 1], [0, 1])
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from operator import attrgetter
from typing import Any

import numpy as np
import numpy.typing as npt

from ..types import INT_MAX, Candidate, Id, UnitKey

__all__ = ["CandidateArrays", "read_candidates", "check_candidate", "order_unit_pairs"]

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]


@dataclass
class CandidateArrays:
    """Every provider candidate flattened (``pair_*`` per candidate, in input order), the key
    each came from, and ``first``: the positions of each unit's first candidate per provider."""

    flat: list[Candidate]
    pair_unit: IntArray
    pair_provider: IntArray
    pair_price: IntArray
    pair_score: FloatArray
    key_of: IntArray
    first: IntArray


def check_candidate(key: UnitKey, cand: Candidate, provider_index: dict[Id, int]) -> None:
    """Raise the ``ValueError`` that names what is wrong with one candidate, if anything."""
    if cand.provider_id not in provider_index:
        raise ValueError(f"candidates: unknown provider {cand.provider_id!r}")
    if not (0.0 <= cand.score <= 1.0) or not math.isfinite(cand.score):
        raise ValueError(f"candidates: score of {key[0]!r}/{cand.provider_id!r} must "
                         f"be in [0, 1], got {cand.score!r}")
    price: Any = cand.price
    if isinstance(price, bool) or not isinstance(price, (int, np.integer)) or price < 0:
        raise ValueError(f"candidates: price of {key[0]!r}/{cand.provider_id!r} must "
                         f"be an int >= 0 (fen), got {price!r}")
    if price > INT_MAX:
        raise ValueError(f"candidates: price of {key[0]!r}/{cand.provider_id!r} must "
                         f"be below 2**63 (at most {INT_MAX} fen), got {price!r}")


def _prices_ok(prices: list[Any]) -> bool:
    """Whether every price is an int (not a bool) in [0, INT_MAX]."""
    for kind in set(map(type, prices)):
        if kind is bool or not issubclass(kind, (int, np.integer)):
            return False
    return not prices or (min(prices) >= 0 and max(prices) <= INT_MAX)


def _units(items: Sequence[tuple[UnitKey, Sequence[Candidate]]], provider_index: dict[Id, int],
           unit_of: Callable[[UnitKey], int]) -> list[int]:
    """The unit of each item; an unknown unit raises after the candidates before it are checked
    (the first error in input order wins)."""
    units: list[int] = []
    for position, (key, _) in enumerate(items):
        try:
            units.append(unit_of(key))
        except ValueError:
            for earlier, ranked in items[:position]:
                for cand in ranked:
                    check_candidate(earlier, cand, provider_index)
            raise
    return units


def read_candidates(items: Sequence[tuple[UnitKey, Sequence[Candidate]]],
                    provider_index: dict[Id, int], unit_of: Callable[[UnitKey], int]
                    ) -> CandidateArrays:
    """Flatten ``(unit key, ranked candidates)`` items into arrays, checking every candidate."""
    units = _units(items, provider_index, unit_of)
    counts = np.fromiter((len(ranked) for _, ranked in items), dtype=np.int64, count=len(items))
    flat = [cand for _, ranked in items for cand in ranked]
    get = provider_index.get
    providers = [get(provider_id, -1) for provider_id in map(attrgetter("provider_id"), flat)]
    scores = np.array(list(map(attrgetter("score"), flat)), dtype=np.float64).reshape(-1)
    prices = list(map(attrgetter("price"), flat))
    if -1 in providers or not bool(np.all((scores >= 0.0) & (scores <= 1.0))) \
            or not _prices_ok(prices):
        for key, ranked in items:  # the first bad candidate names itself
            for cand in ranked:
                check_candidate(key, cand, provider_index)
    key_of = np.repeat(np.arange(len(items), dtype=np.int64), counts)
    pair_unit = np.asarray(units, dtype=np.int64)[key_of]
    pair_provider = np.asarray(providers, dtype=np.int64)
    # first candidate of each (unit, provider): later duplicates are ignored
    code = pair_unit * max(1, len(provider_index)) + pair_provider
    _, first = np.unique(code, return_index=True)
    return CandidateArrays(flat, pair_unit, pair_provider,
                           np.asarray(prices, dtype=np.int64).reshape(-1), scores, key_of,
                           np.sort(first).astype(np.int64))


def order_unit_pairs(n_units: int, pair_unit: IntArray, pair_score: FloatArray,
                     provider_rank: IntArray) -> list[list[int]]:
    """Each unit's pairs best first: higher score, then lower provider rank."""
    order = np.lexsort((provider_rank, -pair_score, pair_unit))
    ends = np.cumsum(np.bincount(pair_unit, minlength=n_units))
    starts = ends - np.bincount(pair_unit, minlength=n_units)
    ordered: list[int] = order.tolist()
    return [ordered[a:b] for a, b in zip(starts.tolist(), ends.tolist())]
