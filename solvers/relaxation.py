"""Ranges of linear expressions over a lowered model's LP relaxation (HiGHS).

The static domain checks (log, sqrt, division) first bound an argument over the variables' box
by interval arithmetic; a model often keeps a divisor off 0 by a constraint instead (\"at least 20%
of the budget goes to solar\" keeps the spend on solar >= 100000). `RowRanges` asks HiGHS for
the least and greatest value of the argument over the linear rows and bounds, integrality relaxed,
so such a model draws no warning. A relaxation's range contains every feasible point's value, so
a range that stays inside the domain is a proof, never a guess.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .lowered import Lowered


class RowRanges:
    """Ranges of linear expressions over the LP relaxation of a lowered model's linear rows and
    column bounds. The model is loaded into HiGHS once, on the first range asked; each range then
    only changes the objective (two LP solves, warm-started). The lowering uses it, so it loads the
    arrays into HiGHS itself rather than through the backend (which imports the lowering)."""

    def __init__(self, lowered: Lowered, time_limit: float = 1.0):
        self.lowered = lowered
        self.time_limit = float(time_limit)
        self._h: Any = None
        self._loaded: bool | None = None  # None: not tried yet; False: HiGHS refused the model

    def _highs(self) -> Any:
        if self._loaded is None:
            from .highs_instance import _hp, new_highs

            hp, low = _hp(), self.lowered
            n, m = low.n_cols, low.n_rows
            inf = hp.kHighsInf

            def clip(a: Any) -> np.ndarray:
                return np.clip(np.asarray(a, dtype=np.float64), -inf, inf)

            a_start = np.asarray(low.a_start, dtype=np.int32) if len(low.a_start) else np.zeros(m + 1, dtype=np.int32)
            h = new_highs()  # the thread count of the solves around it: resizing the pool is not free
            h.setOptionValue("time_limit", self.time_limit)
            st = h.passModel(n, m, len(low.a_value), int(hp.MatrixFormat.kRowwise), int(hp.ObjSense.kMinimize),
                             0.0, np.zeros(n), clip(low.col_lb), clip(low.col_ub), clip(low.row_lo),
                             clip(low.row_hi), a_start, np.asarray(low.a_index, dtype=np.int32),
                             np.asarray(low.a_value, dtype=np.float64), np.zeros(n, dtype=np.int32))
            self._loaded = st != hp.HighsStatus.kError
            self._h = h if self._loaded else None
        return self._h

    def range(self, cols: Any, coefs: Any, const: float = 0.0) -> tuple[float, float] | None:
        """(min, max) of `sum(coefs * x[cols]) + const`; -inf / inf where unbounded. None when the
        relaxation is infeasible or HiGHS does not finish in the time limit (nothing learned)."""
        h = self._highs()
        if h is None:
            return None
        from .highs_instance import _hp

        hp, n = _hp(), self.lowered.n_cols
        cost = np.zeros(n)
        np.add.at(cost, np.asarray(cols, dtype=np.int64), np.asarray(coefs, dtype=np.float64))
        h.changeColsCost(n, np.arange(n, dtype=np.int32), cost)
        out = []
        for sense in (hp.ObjSense.kMinimize, hp.ObjSense.kMaximize):
            h.changeObjectiveSense(sense)
            h.run()
            ms = h.getModelStatus()
            if ms == hp.HighsModelStatus.kOptimal:
                out.append(float(h.getInfo().objective_function_value) + const)
            elif ms == hp.HighsModelStatus.kUnbounded:
                out.append(-math.inf if sense == hp.ObjSense.kMinimize else math.inf)
            else:  # infeasible, unbounded-or-infeasible, time limit: nothing learned
                return None
        return out[0], out[1]
