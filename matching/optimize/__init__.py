"""Assign providers to projects and funding to projects, optimally, with explanations.

Formulation (one MILP, written once as sparse matrices, see :mod:`matching.solvers`)
-----------------------------------------------------------------------------------
Variables: ``x[k]`` binary for each candidate pair (project or lot, provider); ``y[j]``
binary "project j goes ahead" for projects that need funding, are split into lots, or need
funding only; ``z[t]`` continuous money (in a scaled unit) from pool ``f`` to project ``j`` for
each eligible pool pair ``t``.

* each project (lot) gets at most one provider; all lots of a split project or none;
* provider capacity: number of projects (lots) <= ``capacity``;
* a funded project is covered exactly: ``sum_f z[f, j] = cost_j`` (the chosen bid, else the
  agreed price, else the budget);
* no pool above its remaining budget; per-project maximum and co-funding share
  (``z[f, j] <= min(max_per_project, floor(max_share * cost_j))``), only for pools eligible
  by category and street;
* fairness: each provider's contracts <= ``max_provider_share`` x the total budget of the
  projects that need a provider;
* official decisions: pinned pairs fixed to 1, forbidden pairs have no variable;
* objective: maximise ``sum priority_j * score * budget`` ("score-weighted value"), plus
  tie-breaking terms below 1e-7 of it that prefer lower provider ids, then lower project
  ids.  Money carries no tie-breaking term (it makes the LP badly degenerate); the split of a
  project's cost between pools is the solver's, and the same input gives the same output.
* pools: ``z <= cap * y`` linking rows are written for models with up to 20,000 (pool,
  project) pairs (a tighter LP); larger models keep ``z <= cap`` as a column bound, which is
  exact for the MIP because an unselected project receives nothing.

Fast path
---------
Without pool money, co-funding, split projects or the fairness cap (``max_provider_share`` is
``None``) the model is a pure assignment: it is solved exactly as a sparse min-cost flow
(:mod:`matching.optimize.flow`, no solver), noted ``flow_fast_path``; ``stats["path"]`` says
which path ran, ``stats["flow_blocker"]`` why the fast path did not apply.

Solution method
---------------
1. **LP relaxation** - an upper bound, and most decisions already integral (without budgets
   the model is a transportation problem and the LP optimum is integral).  Large models
   (> 40,000 columns) are solved by column generation: each project's best providers and
   pools first, then the columns the row duals price as improving.  Their bound is
   Lagrangian (valid for any multipliers), taken each round at the master's duals moved row
   by row to their best (:mod:`matching.optimize.tighten`); half of each round's new columns
   are priced by those moved multipliers.
2. **Cheap incumbent** - the LP without the projects it split, money rounded to fen, leftovers
   filled greedily.  If that is within ``gap`` of the bound, stop.
3. **Selection MIP** - branch only on "project j goes ahead" (``y``); provider choices and money
   stay continuous, because for fixed ``y`` the provider side is a transportation problem.
   With up to ``mip_max_projects`` projects every selection is free and the solver's bound is
   a valid global bound; above that, only the split projects and those with the smallest LP
   reduced costs are free (the money of the others stays where the LP put it); their
   selection LP is then first rounded by diving (:mod:`matching.optimize.dive`), and the MIP
   runs only if that leaves the gap above the target.  Warm-started from the best solution.
4. **Repair** - provider choices that came out fractional are made integral by a small MIP
   with the selection fixed (or those projects are dropped).
5. **Money in fen** - amounts are floored, then the few missing fen are routed by an integral
   max-flow (never above a pool's remaining budget, a cap or the cost); every constraint is
   verified in integers; projects that still fit in the leftovers are added greedily.

Gaps are measured against the best proven bound: the LP bound, or the selection MIP's bound
when every project was free.  A result is ``optimal`` exactly when that bound closes within
the requested gap (or the solvers' tolerance).  Model sizes, phase timings and counts are in
``MatchResult.stats``.

Explanations are :class:`~matching.reasons.Reason` codes: why each project is unmatched, which
constraints bind, and notes on how the run went.

Every returned solution has passed :func:`verify`; an infeasible or empty problem returns a
:class:`MatchResult`, never a solver traceback; bad inputs raise ``ValueError`` naming the
field.

Modules
-------
``api``          :func:`solve`: arguments, backend, the pipeline, the :class:`MatchResult`.
``instance``     the problem as indexed arrays (units, pairs, pool pairs, weights, pins).
``formulation``  the MILP above as a :class:`~matching.solvers.LinearModel`.
``runner``       the one door to the solver backends (deadline, threads, options).
``flow``         the fast path: a pure assignment as a min-cost flow (sparse LAPJV, no solver).
``relaxation``   step 1, with column generation.
``pipeline``     steps 2-5.
``money``        money in fen (floor, max-flow), and a split project's money between lots.
``greedy``       leftovers filled greedily; a fallback built from the pins.
``solution``     an integer solution and its accounting.
``verify``       :func:`verify` of a result, and the check of every solution kept.
``explain``      unmatched projects, binding constraints, conflicting decisions.
``result``       status, assignments and explanations of a solution.

>>> from matching.types import MatchProblem
>>> solve(MatchProblem(projects=[], providers=[])).unmatched
()
"""

from __future__ import annotations

from .api import solve
from .formulation import TIGHT_ROWS_MAX
from .relaxation import COLUMN_GENERATION_MIN
from .verify import verify

__all__ = ["solve", "verify", "TIGHT_ROWS_MAX", "COLUMN_GENERATION_MIN"]
