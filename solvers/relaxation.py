"""Ranges of linear expressions over a lowered model's LP relaxation (HiGHS).

The static domain checks (log, sqrt, division) first bound an argument over the variables' box
by interval arithmetic; a model often keeps a divisor off 0 by a constraint instead (\"at least 20%
of the budget goes to solar\" keeps the spend on solar >= 100000). `linear_range` asks HiGHS for
the least and greatest value of the argument over the linear rows and bounds, integrality relaxed,
so such a model draws no warning. A relaxation's range contains every feasible point's value, so
a range that stays inside the domain is a proof, never a guess.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .lowered import Lowered


def linear_range(lowered: Lowered, cols: Any, coefs: Any, const: float = 0.0, *,
                 time_limit: float = 1.0) -> tuple[float, float] | None:
    """(min, max) of `sum(coefs * x[cols]) + const` over the LP relaxation of the lowered model's
    linear rows and column bounds; -inf / inf where unbounded. None when the relaxation is
    infeasible or HiGHS does not finish in `time_limit` seconds (nothing learned). The lowering
    calls it, so it loads the arrays into HiGHS itself rather than through the backend (which
    imports the lowering)."""
    from .highs_instance import _hp, new_highs

    hp = _hp()
    n, m = lowered.n_cols, lowered.n_rows
    inf = hp.kHighsInf

    def clip(a: Any) -> np.ndarray:
        return np.clip(np.asarray(a, dtype=np.float64), -inf, inf)

    cost = np.zeros(n)
    np.add.at(cost, np.asarray(cols, dtype=np.int64), np.asarray(coefs, dtype=np.float64))
    a_start = np.asarray(lowered.a_start, dtype=np.int32) if len(lowered.a_start) else np.zeros(m + 1, dtype=np.int32)
    h = new_highs()  # the thread count of the solves around it: resizing the pool is not free
    h.setOptionValue("time_limit", float(time_limit))
    st = h.passModel(n, m, len(lowered.a_value), int(hp.MatrixFormat.kRowwise), int(hp.ObjSense.kMinimize), 0.0,
                     cost, clip(lowered.col_lb), clip(lowered.col_ub), clip(lowered.row_lo), clip(lowered.row_hi),
                     a_start, np.asarray(lowered.a_index, dtype=np.int32), np.asarray(lowered.a_value, dtype=np.float64),
                     np.zeros(n, dtype=np.int32))
    if st == hp.HighsStatus.kError:
        return None
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
