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
    infeasible or HiGHS does not finish in `time_limit` seconds (nothing learned)."""
    from .backends.highs import _hp, build_highs
    from .iis import _feasibility_copy

    hp = _hp()
    try:
        h = build_highs(_feasibility_copy(lowered, relax=True), threads=1)
    except Exception:  # a model HiGHS will not load (its error comes from the solve itself)
        return None
    h.setOptionValue("time_limit", float(time_limit))
    cols = np.asarray(cols, dtype=np.int32)
    cost = np.zeros(lowered.n_cols)
    np.add.at(cost, cols, np.asarray(coefs, dtype=np.float64))
    h.changeColsCost(lowered.n_cols, np.arange(lowered.n_cols, dtype=np.int32), cost)
    out = []
    for sense in (hp.ObjSense.kMinimize, hp.ObjSense.kMaximize):
        h.changeObjectiveSense(sense)
        h.run()
        st = h.getModelStatus()
        if st == hp.HighsModelStatus.kOptimal:
            out.append(float(h.getInfo().objective_function_value) + const)
        elif st == hp.HighsModelStatus.kUnbounded:
            out.append(-math.inf if sense == hp.ObjSense.kMinimize else math.inf)
        else:  # infeasible, unbounded-or-infeasible, time limit: nothing learned
            return None
    return out[0], out[1]
