"""The one door to the solver backends: which backend, how many threads, until when.

Everything the optimiser asks of CBC or HiGHS goes through :class:`SolverRunner`, so the
solution methods never see a backend's options or clock.

>>> import time
>>> runner = SolverRunner("cbc", deadline=time.perf_counter() + 10)
>>> 9 < runner.remaining() <= 10
True
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from ..solvers import LinearModel, SolveOutcome, solve_linear
from .instance import FloatArray

__all__ = ["SolverRunner"]


@dataclass
class SolverRunner:
    """Runs :func:`matching.solvers.solve_linear` within a deadline (``time.perf_counter()``)."""

    solver: str
    deadline: float
    threads: int | None = None
    options: dict[str, Any] = field(default_factory=dict)

    def remaining(self) -> float:
        """Seconds left until the deadline."""
        return self.deadline - time.perf_counter()

    def run(self, model: LinearModel, *, mip: bool, gap: float | None = None,
            gap_abs: float | None = None, warm: FloatArray | None = None,
            time_limit: float | None = None) -> SolveOutcome:
        """Solve ``model`` (its LP relaxation unless ``mip``), never past the deadline by more
        than half a second."""
        limit = self.remaining() if time_limit is None else min(time_limit, self.remaining())
        return solve_linear(model, solver=self.solver, mip=mip, time_limit=max(0.5, limit),
                            gap=gap, gap_abs=gap_abs, warm_start=warm, threads=self.threads,
                            options=self.options)
