"""Equalities that fix every variable: a rank check on the lowered model, with the point evaluated.

When the equality rows alone determine every variable (their rank equals the number of free
columns), the feasible set is one point at most: the objective and every inequality decide
nothing. A correct optimization model rarely looks like that; a model that wrote "at least" or "at
most" as "==" often does — in the recorded run, equalities pinned the variables and made a stated
constraint infeasible at the only point they allowed. The check reports `fixed-by-equalities`
(advice) with the point and, evaluated there, the bounds, integrality and inequality rows it
violates. A determined point that violates nothing is reported only when the text states limits
("at least", "at most" …) and the model keeps no inequality at all: a blend whose data fix the
mix is a correct model.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np

from solvers.diagnostics import Diagnostic, Location
from solvers.model import Model

_INEQUALITY_WORDS = re.compile(
    r"\b(?:at\s+least|at\s+most|no\s+more\s+than|no\s+less\s+than|not\s+(?:exceed|more|less)|up\s+to|"
    r"a\s+minimum\s+of|a\s+maximum\s+of|exceeds?|or\s+more|or\s+less|fewer\s+than|more\s+than|less\s+than)\b", re.IGNORECASE)
MAX_COLS = 2000
MAX_ROWS = 20000
TOL = 1e-7


def _lowered(model: Model, lowered: Any) -> Any:
    if lowered is not None:
        return lowered
    try:
        from solvers.lower import lower

        return lower(model)
    except Exception:  # a model that does not lower is reported by the static checks
        return None


def fixed_by_equalities(model: Model, text: str | None = None, lowered: Any = None) -> list[Diagnostic]:
    """`fixed-by-equalities` advice when the equality rows fix every variable the model uses
    while an objective or inequality rows are there to decide something, and either that point
    violates a bound, integrality or an inequality row, or the text states limits ("at least",
    "at most", …) of which the model keeps none as an inequality."""
    low = _lowered(model, lowered)
    if low is None or low.cp_constraints:
        return []
    n, m = len(low.col_lb), len(low.row_lo)
    if n == 0 or m > MAX_ROWS:
        return []
    starts, idx, val = low.a_start, low.a_index, low.a_value
    used = np.zeros(n, dtype=bool)
    used[idx] = True
    used |= low.obj != 0
    if low.q_rows.size:
        used[low.q_rows] = True
    fixed = low.col_lb == low.col_ub
    free = used & ~fixed
    nf = int(free.sum())
    if nf == 0 or nf > MAX_COLS:
        return []
    eq = np.isfinite(low.row_lo) & (low.row_lo == low.row_hi)
    if not eq.any():
        return []
    rows = np.repeat(np.arange(m), np.diff(starts))
    a = np.zeros((m, n))
    np.add.at(a, (rows, idx), val)
    a_eq = a[eq][:, free]
    if np.linalg.matrix_rank(a_eq) < nf:
        return []
    ineq_rows = (~eq) & (np.abs(a[:, free]).sum(axis=1) > 0)
    decides = bool(np.any(low.obj[free] != 0) or low.q_rows.size or ineq_rows.any())
    if not decides:
        return []  # a system of equations is the whole problem: nothing is wrong with solving it
    # the only point the equalities allow
    x = np.where(fixed, low.col_lb, 0.0)
    rhs = low.row_lo[eq] - a[eq][:, fixed] @ x[fixed]
    sol, *_ = np.linalg.lstsq(a_eq, rhs, rcond=None)
    x[free] = sol
    names = low.col_names()
    row_names = low.row_names()
    consistent = np.allclose(a_eq @ sol, rhs, atol=1e-6, rtol=1e-9)
    problems: list[str] = []
    if not consistent:
        problems.append("the equalities contradict each other")
    act = a @ x
    bad_rows = np.flatnonzero(ineq_rows & ((act < low.row_lo - TOL * (1 + np.abs(low.row_lo)))
                                           | (act > low.row_hi + TOL * (1 + np.abs(low.row_hi)))))
    for r in bad_rows[:5]:
        side = low.row_lo[r] if act[r] < low.row_lo[r] else low.row_hi[r]
        problems.append(f"{row_names[r]} is violated ({_num(act[r])} against {_num(side)})")
    cols = np.flatnonzero(free)
    for j in cols:
        if x[j] < low.col_lb[j] - TOL or x[j] > low.col_ub[j] + TOL:
            problems.append(f"{names[j]} = {_num(x[j])} is outside its bounds [{_num(low.col_lb[j])}, {_num(low.col_ub[j])}]")
        elif low.integrality[j] and abs(x[j] - round(x[j])) > 1e-6:
            problems.append(f"{names[j]} = {_num(x[j])} is not an integer")
        if len(problems) >= 8:
            break
    if not problems and not (_INEQUALITY_WORDS.search(text or "") and not ineq_rows.any()):
        return []  # a determined but feasible point, and nothing in the text asks for a range
    shown = ", ".join(f"{names[j]} = {_num(x[j])}" for j in cols[:8]) + (", …" if nf > 8 else "")
    eq_names = sorted({row_names[r].split("[", 1)[0] for r in np.flatnonzero(eq)})
    what = "the objective" if np.any(low.obj[free] != 0) or low.q_rows.size else "the inequalities"
    msg = (f"the equality constraints ({', '.join(eq_names[:6])}) alone fix all {nf} variables (rank {nf}): "
           f"the only point they allow is {shown}; {what} cannot change it")
    if problems:
        msg += "; at that point " + "; ".join(problems)
    return [Diagnostic("fixed-by-equalities", msg, severity="warning", location=Location(section="constraints"),
                       hint="check whether the text says 'at least' / 'at most' where the model writes '=='")]


def _num(v: float) -> str:
    return str(int(round(v))) if abs(v - round(v)) < 1e-9 and abs(v) < 1e15 else f"{v:.6g}"
