"""Exports of a model: Pyomo `ConcreteModel`, PuLP `LpProblem`, LP and MPS files.

Exports are built from the lowered model (like MathOptInterface's level in JuMP): every
reformulation (big-M for `implies`/`or`, auxiliaries for `abs`/`min`/`max`) is already applied,
and names stay readable: one Pyomo variable/constraint family per declared variable/constraint
(indexed by the instance keys where they are plain and unique, else by position), and LP, MPS
and PuLP names like `ship(seattle_ny)`. No export can re-read as another model: every name is
made safe for LP/MPS readers (`backends.common.sanitize`: LP keywords such as `st`, `end`,
`bounds`, `inf`, `bin` and number-like names such as `e1` get a leading `_`; spaces, operators and
unicode become `_`; long names are cut and hashed) and distinct; `name_map` says what each file
name stands for and reads a solver's values back under the original names.
Pyomo and PuLP are imported only here, only when called. Constructs that exist for CP-SAT only
(`all_different`, `!=`) raise `ModelError` (`needs-cpsat`).
"""

from __future__ import annotations

import json
import math
import os
import shutil
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .backends.common import (
    all_col_labels,
    all_row_labels,
    block_keys,
    file_names,
    fresh_name,
    sanitize,
)
from .lowered import Lowered

__all__ = ["NameMap", "name_map", "to_pulp", "to_pyomo", "write_lp", "write_mps", "write_pyomo"]


def _lowered(model: Any) -> tuple[Lowered, str]:
    """The model lowered for HiGHS (reformulations applied) — or for SCIP when it has nonlinear
    terms, kept as expression trees — and its name."""
    if isinstance(model, Lowered):
        return model, "model"
    from .diagnostics import ModelError
    from .lower import lower
    from .model import Model, load_model

    m = model if isinstance(model, Model) else load_model(model)
    try:
        return lower(m, target="highs"), m.name or "model"
    except ModelError as exc:
        if not any(d.code == "needs-scip" for d in exc.diagnostics):
            raise
    return lower(m, target="scip"), m.name or "model"


def _linear_only(lw: Lowered, fmt: str, alternative: str) -> None:
    """Refuse a model with nonlinear constraints or objective for a linear/quadratic format."""
    if not lw.is_nonlinear:
        return
    from .diagnostics import Diagnostic, Location, ModelError

    where = lw.nl_constraints[0].name if lw.nl_constraints else None
    raise ModelError(Diagnostic(
        "export-nonlinear", f"{fmt} cannot hold the nonlinear "
        + (f"constraint {where!r}" if where else "objective"),
        location=Location(section="constraints" if where else "objective", item=where),
        hint=f"export to {alternative}, which keeps sqrt/exp/log/products of variables"))


@dataclass(frozen=True)
class NameMap:
    """The names an LP, MPS or PuLP export writes for columns and rows, and what they stand for."""

    columns: list[str]  # file name of column j
    rows: list[str]  # file name of row i
    column_labels: list[str]  # readable original of column j: "ship[seattle,ny]"
    row_labels: list[str]
    column_keys: list[tuple[str, Any] | None]  # (variable, key); None for an auxiliary column

    def to_dict(self) -> dict[str, dict[str, str]]:
        """`{"columns": {file name: original}, "rows": {...}}` (what `--names FILE` writes)."""
        return {"columns": dict(zip(self.columns, self.column_labels)),
                "rows": dict(zip(self.rows, self.row_labels))}

    def values(self, by_file_name: Mapping[str, float]) -> dict[str, dict[Any, float]]:
        """Values a solver reports by file name → `{variable: {key: value}}` (as `Solution.values`;
        auxiliary columns dropped). A name the export did not write is a KeyError."""
        where = {n: j for j, n in enumerate(self.columns)}
        out: dict[str, dict[Any, float]] = {}
        for n, v in by_file_name.items():
            ck = self.column_keys[where[n]]
            if ck is not None:
                out.setdefault(ck[0], {})[ck[1]] = float(v)
        return out


def name_map(model: Any) -> NameMap:
    """The file names of the model's columns and rows (shared by write_lp, write_mps, to_pulp)."""
    lw, _ = _lowered(model)
    cols, rows = file_names(lw)
    keys: list[tuple[str, Any] | None] = [None] * lw.n_cols
    for b in lw.cols:
        if not b.auxiliary:
            for j, k in enumerate(block_keys(b)):
                keys[b.start + j] = (b.name, k)
    return NameMap(cols, rows, all_col_labels(lw), all_row_labels(lw), keys)


def _write(model: Any, path: str | Path, suffix: str, names: str | Path | None) -> Path:
    from .backends.highs import write_lp as _wlp
    from .backends.highs import write_mps as _wmps

    lw, _ = _lowered(model)
    _linear_only(lw, "an LP/MPS file" if suffix == ".lp" else "an MPS file", "Pyomo (to_pyomo)")
    path = Path(path)
    writer = _wlp if suffix == ".lp" else _wmps
    if path.suffix.lower() == suffix:
        writer(lw, path)
    else:  # HiGHS picks the format by the file name: write under the right suffix, then move.
        with tempfile.TemporaryDirectory() as d:
            tmp = Path(d) / f"model{suffix}"
            writer(lw, tmp)
            shutil.move(os.fspath(tmp), os.fspath(path))
    if names is not None:
        Path(names).write_text(json.dumps(name_map(lw).to_dict(), indent=1, ensure_ascii=False) + "\n",
                               encoding="utf-8")
    return path


def write_lp(model: Any, path: str | Path, names: str | Path | None = None) -> Path:
    """Write the model as a CPLEX LP file (via HiGHS), whatever the file name; returns the path.
    `names`: also write the name map (file name → original, JSON) there."""
    return _write(model, path, ".lp", names)


def write_mps(model: Any, path: str | Path, names: str | Path | None = None) -> Path:
    """Write the model as a free MPS file (via HiGHS), whatever the file name; returns the path.
    `names`: also write the name map (file name → original, JSON) there."""
    return _write(model, path, ".mps", names)


def _safe(name: str) -> str:
    """A Python identifier that is also a safe LP name (Pyomo component names)."""
    return sanitize(name).replace("(", "_").replace(")", "_")


def _bound(v: float) -> float | None:
    return None if not math.isfinite(v) else float(v)


def _row_terms(lw: Lowered, i: int) -> tuple[np.ndarray, np.ndarray]:
    a, b = lw.a_start[i], lw.a_start[i + 1]
    return lw.a_index[a:b], lw.a_value[a:b]


def _row_key(keys: Any, j: int) -> Any:
    return keys(j) if callable(keys) else keys[j]


def _plain(k: Any) -> bool:
    """A key Pyomo can index by as it is: a str/int, or a flat tuple of them."""
    atom = (str, int, np.integer)
    return isinstance(k, atom) or (isinstance(k, tuple) and len(k) > 0
                                   and all(isinstance(x, atom) for x in k))


def _index(keys: list) -> list:
    """Keys as a Pyomo index: themselves when plain and unique, else positions 0..n-1."""
    norm = [int(k) if isinstance(k, np.integer) else k for k in keys]
    if all(map(_plain, norm)) and len(set(norm)) == len(norm):
        dims = {len(k) if isinstance(k, tuple) else 1 for k in norm}
        if len(dims) == 1:
            return norm
    return list(range(len(keys)))


def to_pyomo(model: Any):
    """A Pyomo ConcreteModel equivalent to the model (after standard reformulations).

    Integer columns whose bounds lie in [0, 1] get the Binary domain; every column keeps the
    bounds of the lowered model (fixings included)."""
    import pyomo.environ as pyo

    lw, name = _lowered(model)
    m = pyo.ConcreteModel(name=name)
    cols: list[Any] = [None] * lw.n_cols
    used: set[str] = set()

    def component(base: str) -> str:
        nm = _safe(base)
        while nm in used or hasattr(m, nm):
            nm += "_"
        used.add(nm)
        return nm

    for blk in lw.cols:
        scalar = not blk.index_sets and blk.count == 1
        if scalar:
            idx: list = [None]
        elif blk.index_sets:
            idx = _index([blk.key(j) for j in range(blk.count)])
        else:  # an auxiliary family: positions
            idx = list(range(blk.count))
        var = pyo.Var(domain=pyo.Reals) if scalar else pyo.Var(idx, domain=pyo.Reals)
        m.add_component(component(blk.name), var)
        for j, k in enumerate(idx):
            c = blk.start + j
            v = var if scalar else var[k]
            lo, hi = _bound(lw.col_lb[c]), _bound(lw.col_ub[c])
            if lw.integrality[c]:
                binary = lo is not None and hi is not None and lo >= 0 and hi <= 1
                v.domain = pyo.Binary if binary else pyo.Integers
            v.setlb(lo)
            v.setub(hi)
            cols[c] = v

    def linear(i: int) -> Any:
        ci, cv = _row_terms(lw, i)
        if len(ci) == 0:
            return 0.0
        return pyo.quicksum(float(v) * cols[int(c)] for c, v in zip(ci, cv))

    nl_names = {nc.name for nc in lw.nl_constraints}
    for blk in lw.rows:
        if blk.count == 0 and blk.name in nl_names:
            continue  # all its instances are nonlinear: added below
        keys = [_row_key(blk.keys, j) for j in range(blk.count)]
        scalar = blk.count == 1 and keys == [()]
        idx = [None] if scalar else _index(keys)
        body: dict[Any, Any] = {}
        for j, k in enumerate(idx):
            i = blk.start + j
            expr = linear(i)
            lo, hi = _bound(lw.row_lo[i]), _bound(lw.row_hi[i])
            if isinstance(expr, float):  # an empty row: holds or not, nothing to pass on
                if (lo is None or lo <= 1e-9) and (hi is None or hi >= -1e-9):
                    continue
                body[k] = pyo.Constraint.Infeasible
            elif lo is not None and hi is not None and lo == hi:
                body[k] = expr == lo
            elif lo is not None or hi is not None:
                body[k] = (lo, expr, hi)

        def rule(_m: Any, *k: Any, _body: dict = body, _scalar: bool = scalar) -> Any:
            key = None if _scalar else k[0] if len(k) == 1 else k
            return _body.get(key, pyo.Constraint.Skip)

        con = pyo.Constraint(rule=rule) if scalar else pyo.Constraint(idx, rule=rule)
        m.add_component(component(blk.name), con)
    groups: dict[str, list] = {}
    for nc in lw.nl_constraints:  # nonlinear instances: one (indexed) component per constraint
        groups.setdefault(nc.name, []).append(nc)
    for cname, items in groups.items():
        exprs = []
        for nc in items:
            e = _pyomo_expr(pyo, nc.tree, cols)
            lo, hi = _bound(nc.lo), _bound(nc.hi)
            exprs.append((e == lo) if lo is not None and lo == hi else (lo, e, hi))
        if len(items) == 1 and items[0].key == ():
            m.add_component(component(cname), pyo.Constraint(expr=exprs[0]))
            continue
        nidx = _index([nc.key for nc in items])
        body_nl = dict(zip(nidx, exprs))

        def nl_rule(_m: Any, *k: Any, _body: dict = body_nl) -> Any:
            return _body[k[0] if len(k) == 1 else k]

        m.add_component(component(cname), pyo.Constraint(nidx, rule=nl_rule))
    if lw.sense != "feasibility" and lw.nl_objective is not None:
        sense = pyo.minimize if lw.sense == "minimize" else pyo.maximize
        m.add_component(component("objective"), pyo.Objective(expr=_pyomo_expr(pyo, lw.nl_objective, cols),
                                                               sense=sense))
    elif lw.sense != "feasibility":
        nz = np.flatnonzero(lw.obj)
        obj: Any = float(lw.obj_offset) + pyo.quicksum(float(lw.obj[j]) * cols[j] for j in nz)
        if lw.has_q:
            obj = obj + pyo.quicksum(0.5 * float(v) * cols[int(r)] * cols[int(c)]
                                     for r, c, v in zip(lw.q_rows, lw.q_cols, lw.q_vals))
        sense = pyo.minimize if lw.sense == "minimize" else pyo.maximize
        m.add_component(component("objective"), pyo.Objective(expr=obj, sense=sense))
    else:
        m.add_component(component("objective"), pyo.Objective(expr=0.0))
    return m


def _pyomo_expr(pyo: Any, t: Any, cols: list) -> Any:
    """A Pyomo expression for an expression tree of the lowering (solvers._nonlinear)."""
    op = t[0]
    if op == "const":
        return float(t[1])
    if op == "lin":
        return float(t[3]) + pyo.quicksum(float(k) * cols[int(j)] for j, k in zip(t[1], t[2]))
    if op == "quad":
        return pyo.quicksum(float(k) * cols[int(a)] * cols[int(b)] for a, b, k in zip(t[1], t[2], t[3]))
    if op == "+":
        return pyo.quicksum(_pyomo_expr(pyo, a, cols) for a in t[1])
    if op == "*":
        return _pyomo_expr(pyo, t[1][0], cols) * _pyomo_expr(pyo, t[1][1], cols)
    if op == "/":
        return _pyomo_expr(pyo, t[1][0], cols) / _pyomo_expr(pyo, t[1][1], cols)
    a = _pyomo_expr(pyo, t[1][0], cols)
    if op == "pow":
        return a ** float(t[2])
    if op == "abs":
        return abs(a)
    return {"sqrt": pyo.sqrt, "exp": pyo.exp, "log": pyo.log}[op](a)


def to_pulp(model: Any):
    """A PuLP LpProblem equivalent to the model (linear models only: PuLP has no quadratic terms)."""
    import pulp

    lw, name = _lowered(model)
    _linear_only(lw, "PuLP", "Pyomo (to_pyomo)")
    if lw.has_q:
        from .diagnostics import Diagnostic, Location, ModelError

        raise ModelError(Diagnostic("export-quadratic", "PuLP cannot hold a quadratic objective",
                                    location=Location(section="objective"),
                                    hint="export to Pyomo, LP or MPS instead"))
    sense = pulp.LpMaximize if lw.sense == "maximize" else pulp.LpMinimize
    prob = pulp.LpProblem(_safe(name), sense)
    names, rnames = file_names(lw)
    cols: list[Any] = []
    for c, nm in enumerate(names):
        lo, hi = _bound(lw.col_lb[c]), _bound(lw.col_ub[c])
        cat = "Continuous"
        if lw.integrality[c]:
            binary = lo is not None and hi is not None and lo == 0 and hi == 1
            cat = "Binary" if binary else "Integer"
        if hasattr(prob, "add_variable"):  # PuLP ≥ 3.3: variables belong to the problem
            cols.append(prob.add_variable(nm, lowBound=lo, upBound=hi, cat=cat))
        else:  # pragma: no cover - older PuLP
            cols.append(pulp.LpVariable(nm, lowBound=lo, upBound=hi, cat=cat))
    taken = set(rnames)
    for i in range(lw.n_rows):
        ci, cv = _row_terms(lw, i)
        expr = pulp.lpSum(float(v) * cols[int(c)] for c, v in zip(ci, cv))
        lo, hi = _bound(lw.row_lo[i]), _bound(lw.row_hi[i])
        nm = rnames[i]
        if lo is not None and hi is not None and lo == hi:
            prob += (expr == lo), nm
            continue
        if lo is not None and hi is not None:  # a range: two rows, distinct names
            lo_nm, hi_nm = fresh_name(nm + "_lo", taken), fresh_name(nm + "_hi", taken)
            prob += (expr >= lo), lo_nm
            prob += (expr <= hi), hi_nm
        elif lo is not None:
            prob += (expr >= lo), nm
        elif hi is not None:
            prob += (expr <= hi), nm
    if lw.sense != "feasibility":
        obj = pulp.lpSum(float(lw.obj[j]) * cols[j] for j in np.flatnonzero(lw.obj))
        prob += obj + float(lw.obj_offset)
    return prob


def write_pyomo(model: Any, path: str | Path) -> bool:
    """Write a model (or a Pyomo model) with Pyomo's writers (.lp .mps .nl .gms by suffix).

    Names are Pyomo's symbolic labels (`ship(seattle_ny)`); when two index values give the same
    label (`"a b"` and `"a_b"`), Pyomo's generic names (`x1`, `c_u_x2_`) instead. Returns True
    when the symbolic labels were used."""
    m = model if hasattr(model, "write") and hasattr(model, "component_objects") else to_pyomo(model)
    try:
        m.write(str(path), io_options={"symbolic_solver_labels": True})
        return True
    except RuntimeError as exc:
        if "Duplicate symbol" not in str(exc):
            raise
    m.write(str(path), io_options={"symbolic_solver_labels": False})
    return False
