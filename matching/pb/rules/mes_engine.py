"""The engine of the Method of Equal Shares (:mod:`matching.pb.rules.mes`): one run of MES on
approval ballots at a given per-voter budget, exact where floats could mislead.

How it stays exact and fast
---------------------------
pabutools computes with exact fractions. Here budgets are kept in float for
screening and exactly, implicitly: a voter's budget is either 0 (she once paid all
she had) or ``b0 - (payments she paid in full)``, so an exact sum over any set of
voters needs integer counts (numpy) and one big-integer product per past purchase
(all amounts share one common denominator). Every float affordability carries a
rigorous error interval (from the residual of the float root and a bound on the
float budgets' error); when intervals of competing projects overlap, or a voter's
budget is too close to the payment level, the decision is made exactly. Identical
ballots are merged, and a priority queue on lower bounds (affordabilities only grow
during a run, as in pabutools) re-evaluates only projects whose supporters paid.

The add-one completion (pabutools' ``voter_budget_increment=1``, recommended on
equalshares.net) re-runs MES with ``b0 = budget / n + k`` for ``k = 0, 1, ...``
and keeps the last outcome within budget, stopping at an exhaustive one. Most
increments change nothing, and whole ranges of them are skipped with a proof:
for a fixed sequence of selections every remaining budget is non-decreasing in
``k`` (payments shrink as supporters get richer), so every affordability is
non-increasing. If the run at ``k + d`` selects the same sequence as the run at
``k`` and, in every round, every other project at ``k + d`` is still worse than
the winner was at ``k``, then each increment in between selects that same
sequence too. Ranges are found by doubling ``d`` and halving on failure.
"""

from __future__ import annotations

import heapq
import math
import sys
from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np

from matching.pb._profile import ApprovalArrays

SATISFACTIONS = ("cost", "cardinality")

_ZERO = Fraction(0)
_EPS = sys.float_info.epsilon
_INF = math.inf


class FloatGuardError(RuntimeError):
    """An exact result fell outside its float error interval (a bug, never expected)."""


@dataclass
class _Purchase:
    project: int
    rho: Fraction
    payment: Fraction  # what a supporter with enough money pays (rho * u)
    full_payers: int
    partial_payers: int
    partial_total: float


@dataclass
class _Run:
    budget_per_voter: Fraction
    preselected: list[int]
    purchases: list[_Purchase] = field(default_factory=list)
    # project -> (purchases made before it was found unaffordable, money its supporters had)
    dropped: dict[int, tuple[int, float]] = field(default_factory=dict)
    # Set when the run was compared with a reference run (add-one skipping).
    matches_reference: bool = True

    @property
    def selected(self) -> list[int]:
        return self.preselected + [p.project for p in self.purchases]


@dataclass
class _Exact:
    """Exact affordability of one project in the current state."""

    payment: Fraction
    rho: Fraction
    poor: np.ndarray  # mask over the project's supporter groups: pays all she has
    poor_weight: int
    partial_total: float


class _EqualShares:
    """MES engine for one election; ``run`` may be called for many budgets."""

    def __init__(
        self, arrays: ApprovalArrays, ranks: list[int], satisfaction: str, excluded: frozenset[int] = frozenset()
    ):
        if satisfaction not in SATISFACTIONS:
            raise ValueError(f"satisfaction: expected one of {', '.join(SATISFACTIONS)}, got {satisfaction!r}")
        self.arrays = arrays
        self.ranks = ranks
        m = arrays.n_projects
        costs = arrays.costs
        self.utility = [c if satisfaction == "cost" else Fraction(1) for c in costs]
        self.utility_f = [float(u) for u in self.utility]
        self.costs_f = [float(c) for c in costs]
        votes = arrays.votes
        # ``excluded``: projects that may not win (e.g. below a city's score threshold).
        self.eligible = [
            j for j in range(m) if votes[j] > 0 and costs[j] > 0 and self.utility[j] > 0 and j not in excluded
        ]
        self.preselected = [j for j in range(m) if votes[j] > 0 and costs[j] == 0 and satisfaction == "cardinality"]
        self.supporters = [arrays.supporters(j) for j in range(m)]
        self.weights_i = [arrays.weights[s] for s in self.supporters]
        self.weights_f = [w.astype(np.float64) for w in self.weights_i]
        self.total_weight = [int(w.sum()) for w in self.weights_i]
        # Common denominator of all costs; runs extend it with b0 and payments.
        self.cost_denominator = math.lcm(1, *(c.denominator for c in costs))
        self._neighbours: list[np.ndarray] | None = None
        # No voter supports two projects (e.g. choose-1 ballots): budgets never interact.
        self.disjoint = bool((np.diff(arrays.ballot_ptr) <= 1).all())

    @property
    def neighbours(self) -> list[np.ndarray]:
        if self._neighbours is None:
            self._neighbours = self.arrays.neighbours()
        return self._neighbours

    def run(self, b0: Fraction, reference: _Run | None = None) -> _Run:
        """One MES run; with ``reference``, abort as soon as the skip proof fails."""
        if self.disjoint and reference is None:
            return self.disjoint_run(b0)
        return _RunState(self, b0, reference).execute()

    def disjoint_run(self, b0: Fraction) -> _Run:
        """MES when no voter supports two projects, in closed form.

        A purchase then changes no other project's supporters, so every project
        whose supporters can split its cost equally is bought, by increasing
        affordability ``cost / (u * supporters)`` (ties by rank).
        """
        run = _Run(budget_per_voter=b0, preselected=list(self.preselected))
        affordable = []
        for j in self.eligible:
            weight = self.total_weight[j]
            cost = self.arrays.costs[j]
            if b0 * weight >= cost:
                affordable.append((cost / (self.utility[j] * weight), self.ranks[j], j))
            else:
                run.dropped[j] = (0, float(b0 * weight))
        for rho, _, j in sorted(affordable):
            weight = self.total_weight[j]
            run.purchases.append(
                _Purchase(
                    project=j,
                    rho=rho,
                    payment=self.arrays.costs[j] / weight,
                    full_payers=weight,
                    partial_payers=0,
                    partial_total=0.0,
                )
            )
        return run


class _RunState:
    """Mutable state of one MES run."""

    def __init__(self, engine: _EqualShares, b0: Fraction, reference: _Run | None):
        self.e = engine
        self.b0 = b0
        self.b0f = float(b0)
        self.reference = reference
        n_groups = len(engine.arrays.weights)
        m = engine.arrays.n_projects
        self.budget = np.full(n_groups, self.b0f)
        self.exhausted = np.zeros(n_groups, dtype=bool)
        # paid[g, k]: group g paid purchase k in full (columns grow as purchases come).
        self.paid = np.zeros((n_groups, min(16, max(1, len(engine.eligible)))), dtype=np.uint8)
        # Exact ledger: every amount is an integer numerator over ``self.den``.
        self.den = math.lcm(engine.cost_denominator, b0.denominator)
        self.b0_num = b0.numerator * (self.den // b0.denominator)
        self.payment_nums: list[int] = []
        self.payments_f: list[float] = []
        self.run = _Run(budget_per_voter=b0, preselected=list(engine.preselected))
        self.lo = np.full(m, _INF)
        self.hi = np.full(m, _INF)
        self.fresh = np.zeros(m, dtype=bool)
        self.alive = np.zeros(m, dtype=bool)
        self.exact_cache: dict[int, _Exact] = {}

    # -- exact ledger ----------------------------------------------------------

    def add_payment(self, payment: Fraction) -> None:
        factor = payment.denominator // math.gcd(self.den, payment.denominator)
        if factor != 1:
            self.den *= factor
            self.b0_num *= factor
            self.payment_nums = [n * factor for n in self.payment_nums]
        self.payment_nums.append(payment.numerator * (self.den // payment.denominator))
        self.payments_f.append(float(payment))

    def exact_sum(self, groups: np.ndarray, weights: np.ndarray) -> int:
        """Exact total budget of these groups, as a numerator over ``self.den``."""
        active = ~self.exhausted[groups]
        w = weights[active]
        n_active = int(w.sum())
        total = self.b0_num * n_active
        r = len(self.payment_nums)
        if r and n_active:
            counts = (w @ self.paid[groups[active], :r]).tolist()
            nums = self.payment_nums
            total -= sum(c * nums[k] for k, c in enumerate(counts) if c)
        return total

    def exact_budget(self, group: int) -> int:
        if self.exhausted[group]:
            return 0
        r = len(self.payment_nums)
        nums = self.payment_nums
        return self.b0_num - sum(nums[k] for k in np.flatnonzero(self.paid[group, :r]).tolist())

    def cost_num(self, j: int) -> int:
        cost = self.e.arrays.costs[j]
        return cost.numerator * (self.den // cost.denominator)

    # -- error bound on float budgets ---------------------------------------

    @property
    def budget_error(self) -> float:
        # Each purchase changes a float budget by two roundings of at most eps * b0.
        return 4.0 * (len(self.payment_nums) + 1) * _EPS * max(self.b0f, 1e-300)

    # -- affordability ---------------------------------------------------------

    def float_eval(self, j: int) -> str:
        """Float interval of rho_j; returns 'ok', 'drop' or 'exact' (undecidable in float)."""
        e = self.e
        groups = e.supporters[j]
        w = e.weights_f[j]
        cost = e.costs_f[j]
        b = self.budget[groups]
        total_w = float(e.total_weight[j])
        total = float(np.dot(w, b))
        err_b = self.budget_error
        rounding = 4.0 * (len(b) + 2) * _EPS * (abs(total) + cost)
        err_total = total_w * err_b + rounding
        if total + err_total < cost:
            self.drop(j, total)
            return "drop"
        if total - err_total < cost:
            return "exact"
        # Newton from below on the concave, piecewise-linear F(q) = sum(w * min(b, q)):
        # every step stays left of the root and lands on it once in its last piece.
        # Start from a lower bound of the root: the equal split, or the last payment
        # level computed for j (budgets only shrank since, so the root only grew).
        q = max(cost / total_w, self.lo[j] * e.utility_f[j]) if self.lo[j] < _INF else cost / total_w
        spent = total_w * q
        for _ in range(100):
            spent = float(np.dot(w, np.minimum(b, q)))
            richer = float(w[b > q].sum())
            if richer <= 0:
                break
            step = (cost - spent) / richer
            if step <= 4 * _EPS * q:
                break
            q += step
        # The exact F differs from cost by at most ``slack`` at q, and has slope at least
        # the weight of voters surely richer than q + slack: that bounds the exact root.
        slack = abs(cost - spent) + err_total
        safe_rich = float(w[b > q + slack + err_b].sum())
        if safe_rich < 0.5:
            return "exact"
        delta = slack / safe_rich + 4 * _EPS * abs(q)
        u = e.utility_f[j]
        self.lo[j] = (q - delta) / u * (1 - 4 * _EPS)
        self.hi[j] = (q + delta) / u * (1 + 4 * _EPS)
        self.fresh[j] = True
        self.exact_cache.pop(j, None)
        return "ok"

    def exact_eval(self, j: int, hinted: bool) -> _Exact | None:
        """Exact affordability of j (None if its supporters cannot pay).

        With ``hinted`` (j has a fresh float interval, so it is affordable), the
        interval classifies most voters; only those whose budget is too close to
        the payment level get an exact budget.
        """
        e = self.e
        groups = e.supporters[j]
        weights = e.weights_i[j]
        cost_num = self.cost_num(j)
        if not hinted and self.exact_sum(groups, weights) < cost_num:
            return None
        budgets = self.budget[groups]
        err_b = self.budget_error
        if hinted:
            sure_poor = budgets < self.lo[j] * e.utility_f[j] - 2 * err_b
            sure_rich = budgets > self.hi[j] * e.utility_f[j] + 2 * err_b
        else:
            sure_poor = np.zeros(len(groups), dtype=bool)
            sure_rich = sure_poor
        unsure = np.flatnonzero(~(sure_poor | sure_rich)).tolist()
        paid = self.exact_sum(groups[sure_poor], weights[sure_poor])
        remaining = int(weights.sum()) - int(weights[sure_poor].sum())
        exact_unsure = sorted((self.exact_budget(int(groups[i])), i) for i in unsure)
        poor = sure_poor.copy()
        payment_num: Fraction | None = None  # numerator over den, possibly fractional
        position = 0
        while position < len(exact_unsure):
            value = exact_unsure[position][0]
            end = position
            block = 0
            while end < len(exact_unsure) and exact_unsure[end][0] == value:
                block += int(weights[exact_unsure[end][1]])
                end += 1
            # (cost - paid) / remaining <= value, in integers
            if cost_num - paid <= value * remaining:
                payment_num = Fraction(cost_num - paid, remaining)
                break
            for _, i in exact_unsure[position:end]:
                poor[i] = True
            paid += value * block
            remaining -= block
            position = end
        if payment_num is None:
            if remaining <= 0:
                raise FloatGuardError(f"project {j}: no payer left")
            payment_num = Fraction(cost_num - paid, remaining)
        payment = payment_num / self.den
        rho = payment / e.utility[j]
        if hinted and not (self.lo[j] <= float(rho) <= self.hi[j]):
            raise FloatGuardError(f"project {j}: exact rho {float(rho)} outside [{self.lo[j]}, {self.hi[j]}]")
        poor_weight = int(weights[poor].sum())
        result = _Exact(
            payment=payment,
            rho=rho,
            poor=poor,
            poor_weight=poor_weight,
            partial_total=float(Fraction(paid, self.den)),
        )
        rho_f = float(rho)
        self.lo[j] = rho_f * (1 - 4 * _EPS)
        self.hi[j] = rho_f * (1 + 4 * _EPS)
        self.fresh[j] = True
        self.exact_cache[j] = result
        return result

    def evaluate(self, j: int) -> bool:
        """Refresh j's interval; False if j was dropped."""
        status = self.float_eval(j)
        if status == "drop":
            return False
        if status == "exact" and self.exact_eval(j, hinted=False) is None:
            total = self.exact_sum(self.e.supporters[j], self.e.weights_i[j])
            self.drop(j, float(Fraction(total, self.den)))
            return False
        return True

    def exact_value(self, j: int) -> _Exact:
        exact = self.exact_cache.get(j) or self.exact_eval(j, hinted=True)
        if exact is None:  # pragma: no cover - hinted evaluations are affordable
            raise FloatGuardError(f"project {j}: affordable in float, not exactly")
        return exact

    def drop(self, j: int, total: float) -> None:
        self.alive[j] = False
        self.fresh[j] = False
        self.exact_cache.pop(j, None)
        self.run.dropped[j] = (len(self.run.purchases), total)

    # -- the run ---------------------------------------------------------------

    def execute(self) -> _Run:
        e = self.e
        ranks = e.ranks
        heap: list[tuple[float, int, int]] = []
        for j in e.eligible:
            weight = e.total_weight[j]
            cost = e.arrays.costs[j]
            if self.b0 * weight >= cost:
                # All budgets are equal: everyone pays cost / weight.
                rho_f = float(cost / (e.utility[j] * weight))
                self.lo[j] = rho_f * (1 - 4 * _EPS)
                self.hi[j] = rho_f * (1 + 4 * _EPS)
                self.fresh[j] = True
                self.alive[j] = True
                heap.append((self.lo[j], ranks[j], j))
            else:
                self.run.dropped[j] = (0, float(self.b0 * weight))
        heapq.heapify(heap)

        while heap:
            # Pop every project whose lower bound could beat the best upper bound.
            candidates: list[int] = []
            hi_min = _INF
            while heap and heap[0][0] <= hi_min:
                key, rank, j = heapq.heappop(heap)
                if not self.alive[j]:
                    continue
                if not self.fresh[j]:
                    if self.evaluate(j):
                        heapq.heappush(heap, (self.lo[j], rank, j))
                    continue
                if key < self.lo[j]:
                    heapq.heappush(heap, (self.lo[j], rank, j))
                    continue
                candidates.append(j)
                hi_min = min(hi_min, self.hi[j])
            if not candidates:
                break
            contenders = [j for j in candidates if self.lo[j] <= hi_min]
            for j in candidates:
                if self.lo[j] > hi_min:
                    heapq.heappush(heap, (self.lo[j], ranks[j], j))
            if len(contenders) == 1:
                selected = contenders[0]
                exact = self.exact_value(selected)
            else:
                best = min(contenders, key=lambda j: (self.exact_value(j).rho, ranks[j]))
                selected, exact = best, self.exact_value(best)
                for j in contenders:
                    if j != selected:
                        heapq.heappush(heap, (self.lo[j], ranks[j], j))
            if self.reference is not None and not self.same_as_reference(selected, heap):
                self.run.matches_reference = False
                return self.run
            self.buy(selected, exact)
        if self.reference is not None and len(self.run.purchases) != len(self.reference.purchases):
            self.run.matches_reference = False
        return self.run

    def same_as_reference(self, selected: int, heap: list[tuple[float, int, int]]) -> bool:
        """Skip proof for this round (see the module docstring).

        The reference run, with less budget per voter, selected ``ref.project``
        at affordability ``theta`` in this round. Every other live project must
        be worse than that here: rho > theta, or rho == theta and ranked after.
        """
        round_index = len(self.run.purchases)
        purchases = self.reference.purchases  # type: ignore[union-attr]
        if round_index >= len(purchases) or purchases[round_index].project != selected:
            return False
        theta = purchases[round_index].rho
        theta_hi = float(theta) * (1 + 4 * _EPS)
        rank_selected = self.e.ranks[selected]
        set_aside = []
        ok = True
        while heap and heap[0][0] <= theta_hi:
            entry = heapq.heappop(heap)
            key, rank, j = entry
            if not self.alive[j] or j == selected:
                continue
            if not self.fresh[j]:
                if self.evaluate(j):
                    heapq.heappush(heap, (self.lo[j], rank, j))
                continue
            set_aside.append((self.lo[j], rank, j))
            if self.lo[j] > theta_hi:
                continue
            rho = self.exact_value(j).rho
            if rho < theta or (rho == theta and rank < rank_selected):
                ok = False
                break
        for entry in set_aside:
            heapq.heappush(heap, entry)
        return ok

    def buy(self, j: int, exact: _Exact) -> None:
        e = self.e
        groups = e.supporters[j]
        poor_groups = groups[exact.poor]
        rich_groups = groups[~exact.poor]
        k = len(self.payment_nums)
        if k == self.paid.shape[1]:
            self.paid = np.concatenate([self.paid, np.zeros_like(self.paid)], axis=1)
        self.add_payment(exact.payment)
        self.paid[rich_groups, k] = 1
        self.budget[rich_groups] -= self.payments_f[-1]
        self.budget[poor_groups] = 0.0
        self.exhausted[poor_groups] = True
        self.alive[j] = False
        self.fresh[j] = False
        self.exact_cache.pop(j, None)
        stale = e.neighbours[j]
        self.fresh[stale] = False
        for s in stale.tolist():
            self.exact_cache.pop(s, None)
        weight = e.total_weight[j]
        self.run.purchases.append(
            _Purchase(
                project=j,
                rho=exact.rho,
                payment=exact.payment,
                full_payers=weight - exact.poor_weight,
                partial_payers=exact.poor_weight,
                partial_total=exact.partial_total,
            )
        )
