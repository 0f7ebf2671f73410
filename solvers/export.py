"""Exports of a model: Pyomo `ConcreteModel`, PuLP `LpProblem`, LP and MPS files.

Exports are built from the lowered model (like MathOptInterface's level in JuMP): every
reformulation (big-M for `implies`/`or`, auxiliaries for `abs`/`min`/`max`) is already applied,
and names stay readable: one Pyomo/PuLP variable family per declared variable, one constraint
family per declared constraint. Pyomo and PuLP are imported only here, only when called.
"""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Any

import numpy as np

from .lowered import Lowered


def _lowered(model: Any) -> Lowered:
    if isinstance(model, Lowered):
        return model
    from .lower import lower

    return lower(model, target="highs")


def write_lp(model: Any, path: str | Path) -> Path:
    """Write the model as a CPLEX LP file (via HiGHS); returns the path."""
    from .backends.highs import write_lp as _w

    _w(_lowered(model), path)
    return Path(path)


def write_mps(model: Any, path: str | Path) -> Path:
    """Write the model as a free MPS file (via HiGHS); returns the path."""
    from .backends.highs import write_mps as _w

    _w(_lowered(model), path)
    return Path(path)


def _safe(name: str) -> str:
    s = re.sub(r"\W", "_", name)
    return s if s and not s[0].isdigit() else f"_{s}"


def _bound(v: float) -> float | None:
    return None if not math.isfinite(v) else float(v)


def _row_terms(lw: Lowered, i: int) -> tuple[np.ndarray, np.ndarray]:
    a, b = lw.a_start[i], lw.a_start[i + 1]
    return lw.a_index[a:b], lw.a_value[a:b]


def _block_keys(lw: Lowered, block) -> list:
    return [block.key(j) for j in range(block.count)]


def _row_keys(block) -> list:
    keys = block.keys() if callable(block.keys) else list(block.keys)
    return keys


def to_pyomo(model: Any):
    """A Pyomo ConcreteModel equivalent to the model (after standard reformulations)."""
    import pyomo.environ as pyo

    lw = _lowered(model)
    m = pyo.ConcreteModel(name=getattr(model, "name", "model"))
    cols: list[Any] = [None] * lw.n_cols
    for blk in lw.cols:
        keys = _block_keys(lw, blk)
        idx = list(range(blk.count)) if len(set(map(repr, keys))) != len(keys) else keys
        dom = pyo.Binary if blk.domain == "binary" else pyo.Integers if blk.domain == "integer" else pyo.Reals
        if blk.index_sets:
            var = pyo.Var(idx, domain=dom)
        else:
            var = pyo.Var(domain=dom)
        m.add_component(_safe(blk.name), var)
        for j, k in enumerate(idx):
            c = blk.start + j
            v = var[k] if blk.index_sets else var
            if blk.domain != "binary":
                v.setlb(_bound(lw.col_lb[c]))
                v.setub(_bound(lw.col_ub[c]))
            cols[c] = v
    for blk in lw.rows:
        keys = _row_keys(blk)
        unique = len(set(map(repr, keys))) == len(keys)
        idx = keys if unique else list(range(blk.count))
        pos = {k: n for n, k in enumerate(idx)}

        def rule(_m, *k, _blk=blk, _pos=pos):
            i = _blk.start + _pos[k[0] if len(k) == 1 else k]
            ci, cv = _row_terms(lw, i)
            expr = sum(float(v) * cols[int(c)] for c, v in zip(ci, cv))
            lo, hi = _bound(lw.row_lo[i]), _bound(lw.row_hi[i])
            if isinstance(expr, (int, float)):
                ok = (lo is None or expr >= lo - 1e-9) and (hi is None or expr <= hi + 1e-9)
                return pyo.Constraint.Feasible if ok else pyo.Constraint.Infeasible
            if lo is not None and hi is not None and lo == hi:
                return expr == lo
            return (lo, expr, hi)

        if blk.count == 1 and idx == [()]:
            m.add_component(_safe(blk.name), pyo.Constraint(rule=lambda _m, _r=rule: _r(_m, ())))
        else:
            m.add_component(_safe(blk.name), pyo.Constraint(idx, rule=rule))
    if lw.sense != "feasibility":
        obj = lw.obj_offset + sum(float(lw.obj[j]) * cols[j] for j in np.flatnonzero(lw.obj))
        if lw.has_q:
            for r, c, v in zip(lw.q_rows, lw.q_cols, lw.q_vals):
                obj = obj + 0.5 * float(v) * cols[int(r)] * cols[int(c)]
        m.objective = pyo.Objective(expr=obj, sense=pyo.minimize if lw.sense == "minimize" else pyo.maximize)
    else:
        m.objective = pyo.Objective(expr=0.0)
    return m


def to_pulp(model: Any):
    """A PuLP LpProblem equivalent to the model (linear models only: PuLP has no quadratic terms)."""
    import pulp

    lw = _lowered(model)
    if lw.has_q:
        from .diagnostics import Diagnostic, Location, ModelError

        raise ModelError(Diagnostic("export-quadratic", "PuLP cannot hold a quadratic objective",
                                    location=Location(section="objective"),
                                    hint="export to Pyomo, LP or MPS instead"))
    sense = pulp.LpMaximize if lw.sense == "maximize" else pulp.LpMinimize
    prob = pulp.LpProblem(_safe(getattr(model, "name", "model")), sense)
    cols: list[Any] = [None] * lw.n_cols
    names = lw.col_names()
    for blk in lw.cols:
        cat = "Binary" if blk.domain == "binary" else "Integer" if blk.domain == "integer" else "Continuous"
        for j in range(blk.count):
            c = blk.start + j
            lb = None if blk.domain == "binary" else _bound(lw.col_lb[c])
            ub = None if blk.domain == "binary" else _bound(lw.col_ub[c])
            cols[c] = pulp.LpVariable(_safe(names[c]), lowBound=lb, upBound=ub, cat=cat)
    rnames = lw.row_names()
    for i in range(lw.n_rows):
        ci, cv = _row_terms(lw, i)
        expr = pulp.lpSum(float(v) * cols[int(c)] for c, v in zip(ci, cv))
        lo, hi = _bound(lw.row_lo[i]), _bound(lw.row_hi[i])
        nm = _safe(rnames[i])
        if lo is not None and hi is not None and lo == hi:
            prob += (expr == lo), nm
        else:
            if lo is not None:
                prob += (expr >= lo), (nm + "_lo" if hi is not None else nm)
            if hi is not None:
                prob += (expr <= hi), (nm + "_hi" if lo is not None else nm)
    obj = pulp.lpSum(float(lw.obj[j]) * cols[j] for j in np.flatnonzero(lw.obj)) + lw.obj_offset
    prob += obj
    return prob
