"""The Lagrangian bound of the large-model relaxation: valid for any multipliers, exact at the
LP's optimal duals, and only lowered by tightening."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import sparse

from matching.optimize.relaxation import lagrangian_bound
from matching.optimize.tighten import tighten_duals
from matching.solvers import LinearModel, available_solvers, solve_linear


def _random_model(seed: int) -> LinearModel:
    rng = np.random.default_rng(seed)
    n, m = 30, 12
    dense = np.where(rng.random((m, n)) < 0.3, rng.integers(1, 5, (m, n)), 0).astype(float)
    row_lb = np.where(rng.random(m) < 0.3, 1.0, -np.inf)
    return LinearModel(c=rng.random(n) * 10, lb=np.zeros(n), ub=np.ones(n) * 2,
                       integer=np.zeros(n, dtype=bool), A=sparse.csr_matrix(dense),
                       row_lb=row_lb, row_ub=np.full(m, 6.0))


@pytest.mark.parametrize("seed", range(8))
def test_bound_holds_for_any_multipliers_and_closes_at_the_optimum(seed: int) -> None:
    model = _random_model(seed)
    backend = "highs" if "highs" in available_solvers() else "cbc"
    out = solve_linear(model, solver=backend, mip=False)
    if out.status != "optimal":
        pytest.skip("random model without an optimum")
    assert out.objective is not None and out.row_duals is not None
    assert lagrangian_bound(model, out.row_duals) == pytest.approx(out.objective, rel=1e-6)
    rng = np.random.default_rng(seed + 100)
    for _ in range(20):
        duals = rng.normal(0, 3, model.n_rows)
        assert lagrangian_bound(model, duals) >= out.objective - 1e-7
        tightened = tighten_duals(model, duals)
        assert lagrangian_bound(model, tightened) <= lagrangian_bound(model, duals) + 1e-9
        assert lagrangian_bound(model, tightened) >= out.objective - 1e-7
