"""The decomposition: LP relaxation, cheap incumbent, selection MIP, repair, money in fen.

:class:`Pipeline` runs the steps listed in :mod:`matching.optimize` on one :class:`Instance`;
every solution it keeps has passed :func:`~matching.optimize.verify.violations`, and what it
returns is an :class:`~matching.optimize.result.Outcome` (never an exception from a solver).

>>> import time
>>> from matching.types import MatchProblem, CandidateSet
>>> inst = Instance(MatchProblem(projects=[], providers=[]), CandidateSet({}, {}))
>>> Pipeline(inst, SolverRunner("cbc", time.perf_counter() + 5), gap=1e-3,
...          mip_max_projects=10, notes=[]).run().status
'no_candidates'
"""

from __future__ import annotations

import math
import time
from typing import Any

import numpy as np

from ..reasons import Reason
from ..solvers import LinearModel, SolveOutcome
from .dive import dive
from .explain import pin_conflicts
from .flow import FAST_PATH_REASON, assign_providers, flow_blocker, solve_flow
from .formulation import Formulation, build_formulation, restrict
from .greedy import fallback_from_pins, greedy_fill
from .instance import BoolArray, FloatArray, Instance, IntArray
from .money import allocate
from .relaxation import solve_relaxation
from .result import GAP_SLACK, Outcome, bound_noise, finish, infeasible, relative_gap
from .runner import SolverRunner
from .solution import Solution, solution_value
from .verify import violations

__all__ = ["Pipeline"]

#: A model value this far from an integer is fractional.
_TOL = 1e-6
#: Time kept after the selection MIP, in multiples of the incumbent step's time.
_AFTER_MIP = 10.0
#: A selection MIP over only some projects is not started with less time than this (seconds):
#: building it and solving its root LP take longer.
_MIN_MIP_S = 3.0
#: Share of the time left that diving on the selection LP may use.
_DIVE_SHARE = 0.7


class Pipeline:
    """Runs the solution method on one instance (see the module docstring)."""

    def __init__(self, inst: Instance, runner: SolverRunner, *, gap: float,
                 mip_max_projects: int, notes: list[Reason], fast_path: bool = True):
        self.inst = inst
        self.fast_path = fast_path
        self.runner = runner
        self.gap = gap
        self.mip_max_projects = mip_max_projects
        self.notes = notes
        self.stats: dict[str, Any] = {}

    def run(self) -> Outcome:
        inst = self.inst
        if inst.pin_errors:
            return self._infeasible(inst.pin_errors)
        if not inst.projects or not inst.viable.any():
            return self._finish(Solution(), bound=0.0, status_hint="no_candidates", solver="")
        if self.fast_path:
            blocker = flow_blocker(inst)
            self.stats["flow_blocker"] = blocker
            if blocker is None:
                flow = self._flow()
                if flow is not None:
                    return flow
        started = time.perf_counter()
        self.stats["path"] = "milp"
        form = build_formulation(inst)
        model = form.model
        self.stats.update(build_s=time.perf_counter() - started, columns=model.n_cols,
                          rows=model.n_rows, nonzeros=int(model.A.nnz),
                          binaries=int(model.integer.sum()))
        # 1. LP relaxation: bound, and most decisions already integral
        lp = solve_relaxation(form, self.runner, gap=self.gap, stats=self.stats, notes=self.notes)
        self.stats["lp_s"] = lp.seconds
        if lp.status == "infeasible":
            return self._infeasible(pin_conflicts(inst))
        if not lp.has_solution or lp.x is None:
            self.notes.append(Reason("lp_failed", {"status": lp.status, "message": lp.message}))
            fallback = fallback_from_pins(inst, self.notes)
            if fallback is None:
                return self._infeasible([Reason("no_solution")])
            return self._finish(fallback, bound=math.inf)
        # only an LP solved to optimality bounds the MIP (a time-limited LP's value does not)
        bound = float(lp.bound) * inst.value_scale if lp.bound is not None else math.inf
        self.stats["lp_bound"] = bound
        x_lp = lp.x
        fractional = self._fractional_projects(form, model.integer & (np.abs(x_lp - np.round(x_lp)) > _TOL))
        self.stats["fractional_projects"] = len(fractional)
        # 2. cheap incumbent: the LP without its fractional projects, money rounded, leftovers
        #    filled greedily
        started = time.perf_counter()
        best = self._incumbent(form, x_lp, fractional) or fallback_from_pins(inst, self.notes)
        # what follows the selection MIP (repair, money, checks, explanations) takes a few
        # times what the incumbent took: the MIP leaves that much of the time limit
        self.stats["incumbent_s"] = time.perf_counter() - started
        if best is None:
            return self._infeasible(pin_conflicts(inst))
        self.stats["incumbent_value"] = solution_value(inst, best)
        # 3. MIP over project selection (provider choice continuous: a transportation problem)
        if fractional and self._gap(best, bound) > self.gap + GAP_SLACK \
                and self.runner.remaining() > 0.5:
            free = self._free_projects(form, fractional, lp)
            found, mip_bound = self._selection_mip(form, x_lp, free, best, bound)
            if found is not None and solution_value(inst, found) > solution_value(inst, best):
                best = found
            if mip_bound is not None:
                bound = min(bound, mip_bound)
        started = time.perf_counter()
        outcome = self._finish(best, bound=bound)
        self.stats["finish_s"] = time.perf_counter() - started
        return outcome

    # ----------------------------------------------------------------- steps

    def _flow(self) -> Outcome | None:
        """The pure assignment solved as a flow (exact: its value is its own bound); ``None``
        if the solution failed verification (the MILP path takes over)."""
        inst = self.inst
        started = time.perf_counter()
        sol = solve_flow(inst)
        self.stats["flow_s"] = time.perf_counter() - started
        errors = violations(inst, sol)
        if errors:
            self.notes.append(Reason("solution_rejected", {"stage": "flow", "violation": errors[0]}))
            return None
        self.stats["path"] = "flow"
        self.notes.append(Reason("flow_fast_path", {"reason": FAST_PATH_REASON}))
        return self._finish(sol, bound=solution_value(inst, sol), solver="")

    def _fractional_projects(self, form: Formulation, fractional_cols: BoolArray) -> list[int]:
        """Projects with a fractional pair or selection column."""
        out = []
        for j in range(len(self.inst.projects)):
            cols = form.binaries_of_project(j)
            if cols and fractional_cols[cols].any():
                out.append(j)
        return out

    def _incumbent(self, form: Formulation, x_lp: FloatArray, fractional: list[int]
                   ) -> Solution | None:
        """Step 2: the LP solution without its fractional projects, made integral."""
        x0 = x_lp.copy()
        for j in fractional:
            x0[form.binaries_of_project(j)] = 0.0
        return self._integerise(form, x0, "lp_rounding", funding_from=x_lp)

    def _free_projects(self, form: Formulation, fractional: list[int], lp: SolveOutcome
                       ) -> tuple[set[int], bool]:
        """Projects whose decisions the selection MIP may change; True if that is every project.

        Up to ``mip_max_projects`` every project with a decision is free; above, the fractional
        ones and those with the smallest LP reduced costs, ``mip_max_projects`` in all.
        """
        inst = self.inst
        candidates = [j for j in range(len(inst.projects))
                      if inst.viable[j] and form.binaries_of_project(j)]
        if len(candidates) <= self.mip_max_projects:
            return set(candidates), True
        free = set(fractional)
        reduced = lp.reduced_costs
        if reduced is None:
            return free, False
        room = min(self.mip_max_projects, max(200, 20 * len(free))) - len(free)
        scored = []
        for j in candidates:
            if j in free:
                continue
            y = int(form.columns.select_of[j])
            base = abs(float(reduced[y])) if y >= 0 else 0.0
            extra = min((abs(float(reduced[k])) for k in inst.pairs_of_project(j)), default=0.0)
            scored.append((base + extra, j))
        scored.sort()
        free.update(j for _, j in scored[:max(0, room)])
        return free, False

    def _selection_mip(self, form: Formulation, x_lp: FloatArray,
                       selection: tuple[set[int], bool], best: Solution, bound: float
                       ) -> tuple[Solution | None, float | None]:
        """Step 3: the MIP over the selection of the free projects; returns (solution, bound).

        The bound is global only when every project is free (provider choice relaxed).  When
        not every project is free, diving on the selection LP goes first, and the MIP runs only
        if that leaves the gap to ``bound`` above the target.
        """
        inst, model = self.inst, form.model
        free, everything = selection
        self.stats["mip_projects"] = len(free)
        fix, integer = self._selection_columns(form, free, everything)
        relaxed = LinearModel(c=model.c, lb=model.lb, ub=model.ub, integer=integer, A=model.A,
                              row_lb=model.row_lb, row_ub=model.row_ub, offset=model.offset)
        values = np.where(model.integer, np.round(x_lp), x_lp)
        sub, free_idx, _ = restrict(relaxed, fix, values)
        dived = None
        if not everything:  # a rounding of the selection LP first: the MIP starts from it
            dived = self._dive(form, self._without_optional_rows(form, relaxed, fix, values),
                               (fix, values, free_idx))
            if dived is not None and solution_value(inst, dived) > solution_value(inst, best):
                best = dived
                if self._gap(best, bound) <= self.gap + GAP_SLACK:
                    return best, None
        time_limit = 0.8 * self.runner.remaining() - _AFTER_MIP * self.stats.get("incumbent_s", 0.0)
        if time_limit < _MIN_MIP_S and not everything:  # too little time to improve anything
            return dived, None
        warm = form.encode(best)[free_idx]
        started = time.perf_counter()
        gap_abs = None if everything else 0.25 * self.gap * float(model.c @ x_lp)
        out = self.runner.run(sub, mip=bool(sub.integer.any()),
                              gap=self.gap if everything else None, gap_abs=gap_abs, warm=warm,
                              time_limit=max(1.0, time_limit))
        self.stats["mip_s"] = time.perf_counter() - started
        self.stats["mip_status"] = out.status
        if not out.has_solution or out.x is None:
            self.notes.append(Reason("selection_mip_failed",
                                     {"status": out.status, "message": out.message}))
            return dived, None
        mip_bound = None
        if everything and out.bound is not None and math.isfinite(out.bound):
            mip_bound = float(out.bound) * inst.value_scale
        found = self._complete(form, (fix, values, free_idx), out.x, "selection_mip")
        if found is None or (dived is not None
                             and solution_value(inst, dived) >= solution_value(inst, found)):
            return dived, mip_bound
        return found, mip_bound

    def _dive(self, form: Formulation, sub: LinearModel,
              fixed: tuple[BoolArray, FloatArray, IntArray]) -> Solution | None:
        """Step 3a: the selection LP rounded by diving (:mod:`matching.optimize.dive`)."""
        started = time.perf_counter()
        # what follows (repair, money, checks, explanations) takes a few times the incumbent
        after = 4.0 * self.stats.get("incumbent_s", 0.0) + 1.0
        x_sub = dive(sub, self.runner, seconds=_DIVE_SHARE * (self.runner.remaining() - after),
                     latest=self.runner.deadline - after)
        found = None if x_sub is None else self._complete(form, fixed, x_sub, "dive")
        self.stats["dive_s"] = time.perf_counter() - started
        if found is not None:
            self.stats["dive_value"] = solution_value(self.inst, found)
        return found

    @staticmethod
    def _without_optional_rows(form: Formulation, relaxed: LinearModel, fix: BoolArray,
                               values: FloatArray) -> LinearModel:
        """The selection LP without the pools' caps on each candidate's price (as the relaxation
        leaves them out: several times faster; the integer money enforces them)."""
        if not form.optional_rows.any():
            return restrict(relaxed, fix, values)[0]
        kept = np.flatnonzero(~form.optional_rows)
        lean = LinearModel(c=relaxed.c, lb=relaxed.lb, ub=relaxed.ub, integer=relaxed.integer,
                           A=relaxed.A.tocsr()[kept], row_lb=relaxed.row_lb[kept],
                           row_ub=relaxed.row_ub[kept], offset=relaxed.offset)
        return restrict(lean, fix, values)[0]

    def _complete(self, form: Formulation, fixed: tuple[BoolArray, FloatArray, IntArray],
                  x_sub: FloatArray, stage: str) -> Solution | None:
        """The whole model's vector from the sub-model's (``fixed``: the columns fixed, their
        values, the free columns), provider choices made integral (step 4), then step 5."""
        fix, values, free_idx = fixed
        x = np.where(fix, values, 0.0)
        x[free_idx] = x_sub
        # 4. provider choices left fractional: a small MIP with the selection fixed
        fractional = form.model.integer & (np.abs(x - np.round(x)) > _TOL)
        if fractional.any():
            x = self._repair_fractional(form, x, fractional)
        return self._integerise(form, x, stage)

    def _selection_columns(self, form: Formulation, free: set[int], everything: bool
                           ) -> tuple[BoolArray, BoolArray]:
        """Columns fixed at their LP value, and the integer ones (free projects' selection)."""
        model, columns = form.model, form.columns
        fix = model.integer.copy()
        if not everything:  # money of the fixed projects stays where the LP put it
            fix[columns.first_fund:] = True
        integer = np.zeros(model.n_cols, dtype=bool)
        for j in free:
            fix[form.binaries_of_project(j)] = False
            fix[[columns.first_fund + t for t in self.inst.project_funds[j]]] = False
            y = int(columns.select_of[j])
            if y >= 0:
                integer[y] = True
            # a project without a selection variable only needs a provider: its choice is
            # part of the transportation problem, integral or repaired in step 4
        return fix, integer

    def _repair_fractional(self, form: Formulation, x: FloatArray, fractional: BoolArray
                           ) -> FloatArray:
        """Step 4: integral provider choices with the selection fixed, or drop those projects."""
        inst, model = self.inst, form.model
        bad = self._fractional_projects(form, fractional)
        self.stats["repaired_projects"] = len(bad)
        by_flow = self._repair_by_flow(form, x, bad)
        if by_flow is not None:
            return by_flow
        # only the pairs and money of those projects move: the rest stays where it is
        fix = np.ones(model.n_cols, dtype=bool)
        for j in bad:
            fix[inst.pairs_of_project(j)] = False
            fix[[form.columns.first_fund + t for t in inst.project_funds[j]]] = False
        values = np.where(model.integer, np.round(x), x)
        sub, free_idx, _ = restrict(model, fix, values)
        out = self.runner.run(sub, mip=True, gap_abs=0.1 * self.gap * float(model.c @ x),
                              time_limit=max(1.0, 0.5 * self.runner.remaining()))
        if out.has_solution and out.x is not None:
            repaired = np.where(fix, values, 0.0)
            repaired[free_idx] = out.x
            return repaired
        # could not make them integral with the selection fixed: drop those projects
        dropped = np.where(model.integer, np.round(x), x)
        for j in bad:
            dropped[form.binaries_of_project(j)] = 0.0
        return dropped

    def _repair_by_flow(self, form: Formulation, x: FloatArray, bad: list[int]
                        ) -> FloatArray | None:
        """Step 4 as an assignment when the money cannot move: no fairness cap, and each
        project to repair either needs no pool money or costs the same whatever its provider.
        Selected projects (selection column at 1) must keep a provider; a project without a
        selection column may lose it.  ``None`` when it does not apply or fails."""
        inst, columns = self.inst, form.columns
        if inst.fairness_cap is not None or not bad:
            return None
        required: list[int] = []
        optional: list[int] = []
        for j in bad:
            project = inst.projects[j]
            if project.needs_funding and inst.uniform_price(j) is None:
                return None
            y = int(columns.select_of[j])
            if y < 0:
                optional.extend(inst.project_units[j])
            elif x[y] > 0.5:
                required.extend(inst.project_units[j])
        moving = [k for j in bad for k in inst.pairs_of_project(j)]
        if inst.pinned_pairs.intersection(moving):
            return None
        model = form.model
        values = np.where(model.integer, np.round(x), x)  # money stays where it was
        values[moving] = 0.0
        n_pairs = columns.n_pairs
        load = np.bincount(inst.pair_provider, weights=values[:n_pairs],
                           minlength=len(inst.providers))
        room = np.asarray(inst.capacity, dtype=np.int64) - np.round(load).astype(np.int64)
        chosen = assign_providers(inst, np.asarray(required, dtype=np.int64),
                                  np.asarray(optional, dtype=np.int64), room,
                                  allowed=model.ub[:n_pairs] > 0)
        if chosen is None:
            return None
        values[list(chosen.values())] = 1.0
        self.stats["repaired_by_flow"] = len(bad)
        return values

    def _integerise(self, form: Formulation, x: FloatArray, stage: str,
                    funding_from: FloatArray | None = None) -> Solution | None:
        """Step 5: integer choices from ``x``, money in fen, leftovers filled, all verified."""
        inst = self.inst
        sol, raw = form.decode(x)
        if funding_from is not None:  # follow that vector's money for the selected projects
            raw = {key: v for key, v in form.decode(funding_from)[1].items() if key[0] in sol.selected}
        dropped = allocate(inst, sol, raw)
        if dropped:
            self.stats.setdefault("dropped_in_rounding", 0)
            self.stats["dropped_in_rounding"] += len(dropped)
        added = greedy_fill(inst, sol)
        if added:
            self.stats["greedy_added"] = self.stats.get("greedy_added", 0) + added
        errors = violations(inst, sol)
        if errors:
            self.notes.append(Reason("solution_rejected", {"stage": stage, "violation": errors[0]}))
            return None
        return sol

    # ----------------------------------------------------------------- outcome

    def _gap(self, sol: Solution, bound: float) -> float:
        value = solution_value(self.inst, sol)
        return 0.0 if bound - value <= bound_noise(self.inst) else relative_gap(value, bound)

    def _finish(self, sol: Solution, *, bound: float, status_hint: str | None = None,
                solver: str | None = None) -> Outcome:
        return finish(self.inst, sol, bound=bound, gap_target=self.gap,
                      solver=self.runner.solver if solver is None else solver, stats=self.stats,
                      status_hint=status_hint)

    def _infeasible(self, reasons: list[Reason]) -> Outcome:
        return infeasible(self.inst, reasons, solver=self.runner.solver, stats=self.stats,
                          notes=self.notes)
