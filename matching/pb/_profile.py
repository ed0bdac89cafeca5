"""Array form of an approval election, shared by the rules (internal).

Identical ballots are merged into *groups* with a multiplicity: every rule here
treats voters with the same ballot identically, and real elections repeat ballots
a lot (a choose-1 election with 56,000 voters has as many groups as projects).
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from matching.pb.model import APPROVAL_TYPES, Election


@dataclass(frozen=True, eq=False)
class ApprovalArrays:
    """Approval profile as group-level sparse incidence arrays.

    Attributes
    ----------
    n_voters : int
        Number of ballots, empty ones included.
    costs : tuple of Fraction
        Exact project costs (election order).
    weights : ndarray of int64
        Number of voters in each group of identical ballots.
    supporter_ptr, supporter_groups : ndarray of int64
        Groups approving project ``j``: ``supporter_groups[supporter_ptr[j]:supporter_ptr[j+1]]``.
    ballot_ptr, ballot_projects : ndarray of int64
        Projects approved by group ``g``: ``ballot_projects[ballot_ptr[g]:ballot_ptr[g+1]]``.
    votes : ndarray of int64
        Number of voters approving each project.
    """

    n_voters: int
    costs: tuple[Fraction, ...]
    weights: np.ndarray
    supporter_ptr: np.ndarray
    supporter_groups: np.ndarray
    ballot_ptr: np.ndarray
    ballot_projects: np.ndarray
    votes: np.ndarray

    @property
    def n_projects(self) -> int:
        return len(self.costs)

    def supporters(self, project: int) -> np.ndarray:
        return self.supporter_groups[self.supporter_ptr[project] : self.supporter_ptr[project + 1]]

    def neighbours(self) -> list[np.ndarray]:
        """For each project, the other projects sharing at least one supporter group."""
        m = self.n_projects
        n_groups = len(self.weights)
        if n_groups * m <= 50_000_000:
            incidence = np.zeros((n_groups, m), dtype=bool)
            rows = np.repeat(np.arange(n_groups), np.diff(self.ballot_ptr))
            incidence[rows, self.ballot_projects] = True
            out = []
            for j in range(m):
                row = incidence[self.supporters(j)].any(axis=0)
                row[j] = False
                out.append(np.flatnonzero(row))
            return out
        shared = np.zeros(m * m, dtype=bool)
        lengths = np.diff(self.ballot_ptr)
        # All (a, b) pairs inside each ballot, in chunks of about a million pairs.
        start = 0
        while start < n_groups:
            stop = start
            pairs = 0
            while stop < n_groups and (pairs == 0 or pairs + lengths[stop] ** 2 <= 1_000_000):
                pairs += int(lengths[stop]) ** 2
                stop += 1
            sizes = lengths[start:stop]
            entries = self.ballot_projects[self.ballot_ptr[start] : self.ballot_ptr[stop]]
            owner = np.repeat(np.arange(stop - start), sizes)
            first = np.repeat(entries, sizes[owner])
            # For every entry, the entries of its own ballot.
            offsets = self.ballot_ptr[start:stop] - self.ballot_ptr[start]
            base = np.repeat(offsets[owner], sizes[owner])
            within = np.arange(len(first)) - np.repeat(np.cumsum(sizes[owner]) - sizes[owner], sizes[owner])
            second = entries[base + within]
            shared[first * m + second] = True
            start = stop
        matrix = shared.reshape(m, m)
        np.fill_diagonal(matrix, False)
        return [np.flatnonzero(matrix[j]) for j in range(m)]


def approval_arrays(election: Election) -> ApprovalArrays:
    """Build :class:`ApprovalArrays`; ValueError unless the ballots are approval-type."""
    if election.ballot_type not in APPROVAL_TYPES:
        raise ValueError(f"ballot_type: this rule needs approval or choose-1 ballots, got {election.ballot_type!r}")
    index = {p.id: j for j, p in enumerate(election.projects)}
    # Identical ballots (as written) become one group. Ballots listing the same
    # projects in another order stay separate groups: same result, less merging.
    keys = [projects for projects, _ in election.ballot_counts]
    weights = [count for _, count in election.ballot_counts]
    lengths = np.fromiter((len(k) for k in keys), dtype=np.int64, count=len(keys))
    ballot_ptr = np.zeros(len(keys) + 1, dtype=np.int64)
    np.cumsum(lengths, out=ballot_ptr[1:])
    ballot_projects = np.array([index[p] for k in keys for p in k], dtype=np.int64)
    group_of_entry = np.repeat(np.arange(len(keys), dtype=np.int64), lengths)
    # A stable sort of small integers is a linear-time radix sort in numpy.
    small = np.int16 if len(index) < 2**15 else np.int64
    order = np.argsort(ballot_projects.astype(small), kind="stable")
    supporter_groups = group_of_entry[order]
    m = len(election.projects)
    counts = np.bincount(ballot_projects, minlength=m)
    supporter_ptr = np.zeros(m + 1, dtype=np.int64)
    np.cumsum(counts, out=supporter_ptr[1:])
    weights_array = np.asarray(weights, dtype=np.int64)
    votes = np.bincount(ballot_projects, weights=weights_array[group_of_entry], minlength=m).astype(np.int64)
    return ApprovalArrays(
        n_voters=len(election.ballots),
        costs=tuple(Fraction(p.cost) for p in election.projects),
        weights=weights_array,
        supporter_ptr=supporter_ptr,
        supporter_groups=supporter_groups,
        ballot_ptr=ballot_ptr,
        ballot_projects=ballot_projects,
        votes=votes,
    )
