"""Candidate generation: the top-k providers (and pools) of every project after hard filters.

Hard filters, in this order (the first one that leaves nobody explains an unmatched project,
see :class:`matching.types.FilterFunnel`):

1. **category** - the provider lists the project's (lot's) category;
2. **capacity** - the provider can take at least one more project;
3. **area** - it serves the whole district, the project's street, or its community;
4. **requirements** - rating grade, years registered, staff and office area;
5. **bids** - if the project (lot) has bids, only bidders at or under the budget remain;
6. **conflicts** - no conflict of interest (the project, or its applicant organisation);
7. **decisions** - no official decision forbids the pair.

Ranking uses the combined score of :mod:`matching.score`.  Scoring every pair exactly with
rapidfuzz is far too slow at district scale (10k x 10k pairs), so generation prunes:

* **blocking** - projects are grouped by category and only compared with the providers of that
  category; the other filters are vectorised with numpy over each block;
* **approximate pass** - the non-text components are exact and cheap; the text component is
  approximated by the cosine of sparse tf-idf token vectors (scaled by a slope fitted on a
  sample of exact scores); the best ``shortlist`` providers per project survive;
* **exact pass** - survivors are rescored with rapidfuzz (``process.cpdist`` on all cores) and
  the best ``k`` are kept.

Both passes apply the sector vocabulary (``options.vocabulary``, default
:meth:`matching.vocabulary.Vocabulary.default`) as :func:`matching.score.text_component` does:
texts are expanded with the skills they name, the skills a pair shares are a sparse row product
(``skills``), and every candidate records them (:attr:`Candidate.matched_skills`).

Ties are broken by provider id (:func:`matching.types.id_key`); social organisations already
win near-ties through their score component.  Pinned pairs that pass the hard filters are
always kept, even below the cut.

Pools are eligible for a project if they have money left, their focus categories include the
project's category (or are empty), their streets include its street (or are empty) and their
co-funding cap on its budget is at least 1 fen (``max_share`` and ``max_per_project``).  When
more than ``k_pools`` are eligible, the kept ones are a deterministic weighted draw
(Efraimidis-Spirakis keys from a CRC32 of the project and pool ids; weight = remaining budget,
x4 for a focus-category match, x2 for a street match): large and targeted pools reach most
projects, small general pools still reach some.  Pinned pools are always kept.

Modules
-------
``units``      units of work and the hard filters of one pair (:func:`check_pair`).
``providers``  provider-side arrays shared by every block.
``prune``      the hard filters and the approximate pass, vectorised by category block.
``pools``      candidate pools.
``skills``     the vocabulary's skills of every unit and provider, as sparse matrices.
``generate``   :func:`generate_candidates`: the passes put together, the exact pass, pins.

>>> from matching.types import MatchProblem
>>> generate_candidates(MatchProblem(projects=[], providers=[])).pair_count
0
"""

from __future__ import annotations

from .generate import exhaustive_candidates, generate_candidates, recall_at_k
from .units import Unit, check_pair, units_of

__all__ = ["generate_candidates", "exhaustive_candidates", "check_pair", "Unit", "units_of",
           "recall_at_k"]
