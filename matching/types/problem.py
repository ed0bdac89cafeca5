"""One matching run's input, validated across objects (:class:`MatchProblem`).

>>> MatchProblem(projects=[], providers=[], bids=[BidSpec(project_id=1, provider_id="a", price=5)])
Traceback (most recent call last):
...
ValueError: bids[0].project_id: unknown project 1
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, fields
from typing import Any, Protocol, TypeVar

from .common import Id
from .inputs import BidSpec, Decision, PoolSpec, ProjectSpec, ProviderSpec
from .options import MatchOptions
from .validation import fail, set_field

__all__ = ["MatchProblem"]

#: What a pair decision is keyed by: ``(target kind, project id, lot id, provider or pool id)``.
_PairKey = tuple[str, Id, Id | None, Id | None]


@dataclass(frozen=True)
class MatchProblem:
    """Everything one matching run needs, validated across objects.

    Checks unique ids, that bids and decisions name known projects, lots, providers and pools,
    and that no pair is both pinned and forbidden.  Field names in errors follow the input,
    e.g. ``"bids[2].provider_id: unknown provider 'np9'"``.  Lists are accepted and stored as
    tuples.

    >>> prob = MatchProblem(projects=[ProjectSpec(id=1, title="助餐", category="elderly",
    ...                                           street_id="s1", budget=100)], providers=[])
    >>> len(prob.projects), prob.options.k_providers
    (1, 20)
    """

    projects: Sequence[ProjectSpec]
    providers: Sequence[ProviderSpec]
    pools: Sequence[PoolSpec] = ()
    bids: Sequence[BidSpec] = ()
    decisions: Sequence[Decision] = ()
    options: MatchOptions = field(default_factory=MatchOptions)
    _projects: dict[Id, ProjectSpec] = field(init=False, repr=False, compare=False)
    _providers: dict[Id, ProviderSpec] = field(init=False, repr=False, compare=False)
    _pools: dict[Id, PoolSpec] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        self._store_sequences()
        if not isinstance(self.options, MatchOptions):
            fail("MatchProblem", "options", "must be a MatchOptions instance")
        projects = _unique("projects", self.projects)
        providers = _unique("providers", self.providers)
        pools = _unique("pools", self.pools)
        _check_bids(self.bids, projects, providers)
        _check_decisions(self.decisions, projects, providers, pools)
        set_field(self, "_projects", projects)
        set_field(self, "_providers", providers)
        set_field(self, "_pools", pools)

    def _store_sequences(self) -> None:
        """Every sequence field as a tuple of its type."""
        for name, kind in (("projects", ProjectSpec), ("providers", ProviderSpec),
                           ("pools", PoolSpec), ("bids", BidSpec), ("decisions", Decision)):
            value = getattr(self, name)
            if isinstance(value, (str, bytes)) or not hasattr(value, "__iter__"):
                fail("MatchProblem", name, f"must be a sequence of {kind.__name__}")
            items = tuple(value)
            for i, item in enumerate(items):
                if not isinstance(item, kind):
                    raise ValueError(f"{name}[{i}]: must be a {kind.__name__}, "
                                     f"got {type(item).__name__}")
            set_field(self, name, items)

    def project(self, project_id: Id) -> ProjectSpec:
        """The project with this id (``KeyError`` if unknown)."""
        return self._projects[project_id]

    def provider(self, provider_id: Id) -> ProviderSpec:
        """The provider with this id (``KeyError`` if unknown)."""
        return self._providers[provider_id]

    def pool(self, pool_id: Id) -> PoolSpec:
        """The pool with this id (``KeyError`` if unknown)."""
        return self._pools[pool_id]

    def replace(self, **changes: Any) -> MatchProblem:
        """A copy with some fields replaced (validated again)."""
        values = {f.name: getattr(self, f.name) for f in fields(self) if f.init}
        values.update(changes)
        return MatchProblem(**values)


class _HasId(Protocol):
    @property
    def id(self) -> Id: ...


_T = TypeVar("_T", bound=_HasId)


def _unique(name: str, items: Iterable[_T]) -> dict[Id, _T]:
    index: dict[Id, _T] = {}
    for i, item in enumerate(items):
        if item.id in index:
            raise ValueError(f"{name}[{i}].id: duplicate id {item.id!r}")
        index[item.id] = item
    return index


def _check_bids(bids: Sequence[BidSpec], projects: dict[Id, ProjectSpec],
                providers: dict[Id, ProviderSpec]) -> None:
    """Each bid names a known project (lot) that needs a provider, and a known provider, once."""
    seen: set[tuple[Id, Id | None, Id]] = set()
    for i, bid in enumerate(bids):
        project = projects.get(bid.project_id)
        if project is None:
            raise ValueError(f"bids[{i}].project_id: unknown project {bid.project_id!r}")
        if bid.provider_id not in providers:
            raise ValueError(f"bids[{i}].provider_id: unknown provider {bid.provider_id!r}")
        if not project.needs_provider:
            raise ValueError(f"bids[{i}].project_id: project {bid.project_id!r} "
                             "does not need a provider")
        lot_ids = {lot.id for lot in project.lots}
        if project.lots and bid.lot_id not in lot_ids:
            raise ValueError(f"bids[{i}].lot_id: project {bid.project_id!r} is split into "
                             f"lots; {bid.lot_id!r} is not one of them")
        if not project.lots and bid.lot_id is not None:
            raise ValueError(f"bids[{i}].lot_id: project {bid.project_id!r} has no lots")
        key = (bid.project_id, bid.lot_id, bid.provider_id)
        if key in seen:
            raise ValueError(f"bids[{i}]: duplicate bid by {bid.provider_id!r} on "
                             f"project {bid.project_id!r}")
        seen.add(key)


def _check_decisions(decisions: Sequence[Decision], projects: dict[Id, ProjectSpec],
                     providers: dict[Id, ProviderSpec], pools: dict[Id, PoolSpec]) -> None:
    """Each decision names known objects that fit it; no pair is both pinned and forbidden."""
    pairs: dict[_PairKey, str] = {}
    for i, dec in enumerate(decisions):
        project = projects.get(dec.project_id)
        if project is None:
            raise ValueError(f"decisions[{i}].project_id: unknown project {dec.project_id!r}")
        if dec.provider_id is not None:
            _check_provider_decision(i, dec, project, providers)
            key: _PairKey = ("provider", dec.project_id, dec.lot_id, dec.provider_id)
        else:
            if dec.pool_id not in pools:
                raise ValueError(f"decisions[{i}].pool_id: unknown pool {dec.pool_id!r}")
            if not project.needs_funding:
                raise ValueError(f"decisions[{i}].pool_id: project {dec.project_id!r} "
                                 "does not need funding")
            key = ("pool", dec.project_id, None, dec.pool_id)
        if _contradicts(pairs, key, dec, project):
            raise ValueError(f"decisions[{i}]: the pair is both pinned and forbidden")
        pairs[key] = dec.kind


def _check_provider_decision(i: int, dec: Decision, project: ProjectSpec,
                             providers: dict[Id, ProviderSpec]) -> None:
    if dec.provider_id not in providers:
        raise ValueError(f"decisions[{i}].provider_id: unknown provider {dec.provider_id!r}")
    if not project.needs_provider:
        raise ValueError(f"decisions[{i}].provider_id: project {dec.project_id!r} "
                         "does not need a provider")
    if dec.lot_id is not None and dec.lot_id not in {lot.id for lot in project.lots}:
        raise ValueError(f"decisions[{i}].lot_id: unknown lot {dec.lot_id!r} of "
                         f"project {dec.project_id!r}")
    if dec.kind == "pin" and project.lots and dec.lot_id is None:
        raise ValueError(f"decisions[{i}].lot_id: pin a provider to one lot of the "
                         f"split project {dec.project_id!r}")


def _contradicts(pairs: dict[_PairKey, str], key: _PairKey, dec: Decision,
                 project: ProjectSpec) -> bool:
    """Whether ``dec`` pins what an earlier decision forbids, or the other way round.

    A forbid on a whole project covers its lots: it contradicts a pin on any lot.
    """
    other = pairs.get(key)
    if other is not None and other != dec.kind:
        return True
    if key[0] != "provider":
        return False
    if dec.kind == "forbid" and dec.lot_id is None:
        return any(pairs.get(("provider", dec.project_id, lot.id, dec.provider_id)) == "pin"
                   for lot in project.lots)
    if dec.kind == "pin" and dec.lot_id is not None:
        return pairs.get(("provider", dec.project_id, None, dec.provider_id)) == "forbid"
    return False
