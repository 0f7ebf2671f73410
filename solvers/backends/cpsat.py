"""CP-SAT backend (OR-Tools): integer models and the CP constraints kept native by the lowering.

Every column must be integer or binary with finite bounds. Each linear row and the objective are
scaled *exactly* to integers: a coefficient x is read as `Fraction(x).limit_denominator(10**6)`,
which must equal x within 1e-12 (relative for |x| > 1), and the row is multiplied by the least
common denominator of its coefficients. Row bounds then tighten exactly (an integer activity
`<= 3.5` is `<= 3`). Anything not exactly scalable is refused with `cpsat-inexact-coefficient`;
nothing is rounded silently. The reported objective is recomputed from the values in floating
point (c·x + ½xᵀQx + offset); the best bound is unscaled.

`CPConstraint` data read here (linear expressions are `(cols, coefs, const)`, rows are
`((cols, coefs, const), lo, hi)` meaning lo <= expr <= hi — `(cols, coefs, lo, hi)` and dicts
are accepted too; a row list may nest):
- all_different: `exprs` — a list of linear expressions;
- implies: `literal` — `(col, positive)` (binary column, True for `y`, False for `not y`),
  `rows` — the rows enforced when the literal holds;
- or: `alternatives` — a list of row lists, at least one list holds;
- not_equal: `expr` — a linear expression that must not be 0;
- abs / min / max: `target` — a column or linear expression, `exprs` — linear expressions
  (abs takes one).
"""

from __future__ import annotations

import math
import time
from dataclasses import replace
from fractions import Fraction
from typing import Any

import numpy as np

from ..diagnostics import Location, ModelError, error
from ..lowered import CPConstraint, Lowered
from ..solution import Solution, Status
from .common import BlockValues, _norm_key, block_keys, col_label, row_label
from .contract import (
    SolveControl,
    SolveStopped,
    as_control,
    limit_status,
    relative_gap,
    stop_message,
)

MAX_DEN = 10**6
INT_LIMIT = 2**62


def _frac(x: float, where: dict[str, Any], what: str) -> Fraction:
    f = Fraction(float(x)).limit_denominator(MAX_DEN)
    if abs(float(f) - x) > 1e-12 * max(1.0, abs(x)):
        raise ModelError(error(
            "cpsat-inexact-coefficient",
            f"{what} {x!r} is not a fraction with denominator <= {MAX_DEN}; CP-SAT needs integer "
            "coefficients and formalize never rounds them",
            hint="use backend='highs', or write the coefficient as an exact ratio (e.g. 1/3 "
            "given with full precision, 0.25)",
            **where,
        ))
    return f


def _lcd(fracs: list[Fraction]) -> int:
    d = 1
    for f in fracs:
        d = d * f.denominator // math.gcd(d, f.denominator)
    return d


def _scale(coefs: np.ndarray, where: dict[str, Any], what: str) -> tuple[list[int], int]:
    """Integer coefficients and the multiplier L with ints = L·coefs exactly."""
    vals = np.asarray(coefs, dtype=np.float64)
    if len(vals) and np.all(vals == np.round(vals)) and np.all(np.abs(vals) < INT_LIMIT):
        return [int(v) for v in vals], 1
    fr = [_frac(float(v), where, what) for v in vals]
    den = _lcd(fr)
    ints = [int(f * den) for f in fr]
    if any(abs(v) >= INT_LIMIT for v in ints):
        raise ModelError(error(
            "cpsat-inexact-coefficient",
            f"{what}s scaled by {den} to integers exceed CP-SAT's 64-bit range",
            hint="rescale the data (e.g. different units) or use backend='highs'", **where,
        ))
    return ints, den


def _snap_tol(x: float) -> float:
    """How far x may be from an integer and still count as it: 1e-9 relative, capped at 1e-6
    (plus a few ulps) so that a large bound like 1e10 + 0.6 is never rounded the wrong way."""
    return min(1e-9 * max(1.0, abs(x)), 1e-6) + 16 * math.ulp(x)


def _floor(x: float) -> int:
    r = round(x)
    return int(r) if abs(x - r) <= _snap_tol(x) else math.floor(x)


def _ceil(x: float) -> int:
    r = round(x)
    return int(r) if abs(x - r) <= _snap_tol(x) else math.ceil(x)


_CHECK_EVERY = 2048  # rows/columns between budget checks while building the CpModel


class _Builder:
    """Builds the CpModel straight from the lowered arrays (no text or proto round trip). The
    build counts against `control`'s budget and stops (SolveStopped) when it runs out."""

    def __init__(self, lowered: Lowered, control: SolveControl | None = None):
        from ortools.sat.python import cp_model

        self.cp = cp_model
        self.low = lowered
        self.control = control
        self.m = cp_model.CpModel()
        self.x: list[Any] = []
        self.mag: list[int] = []  # max(|lb|, |ub|) of each column's integer domain

    # columns ---------------------------------------------------------------
    def columns(self) -> None:
        low = self.low
        lb = np.asarray(low.col_lb, float)
        ub = np.asarray(low.col_ub, float)
        ints = np.asarray(low.integrality) != 0
        used = low.used_columns()
        self.unused = np.flatnonzero(~used)  # variables nothing refers to: fixed, not modelled
        real = np.flatnonzero(~ints & used)
        if len(real):
            j = int(real[0])
            name = col_label(low, j)
            raise ModelError(error(
                "cpsat-real-variable",
                f"{name} is continuous ({len(real)} continuous column(s)); CP-SAT takes integer "
                "and binary variables only",
                hint="declare the variable integer/binary, or use backend='highs'",
                section="variables", item=name.split("[")[0], symbol=name,
            ))
        unb = np.flatnonzero(used & (~np.isfinite(lb) | ~np.isfinite(ub) | (np.abs(lb) > INT_LIMIT)
                                     | (np.abs(ub) > INT_LIMIT)))
        if len(unb):
            name = col_label(low, int(unb[0]))
            raise ModelError(error(
                "unbounded-integer-cpsat",
                f"{name} has no finite lower and upper bound ({len(unb)} such column(s)); "
                "CP-SAT needs a finite domain for every variable",
                hint="add lb and ub to the variable", section="variables",
                item=name.split("[")[0], symbol=name,
            ))
        new = self.m.NewIntVar
        check = self.control.check if self.control is not None else None
        for j in range(low.n_cols):
            if check is not None and j % _CHECK_EVERY == 0:
                check()
            if not used[j]:
                self.mag.append(0)
                self.x.append(new(0, 0, f"x{j}"))  # its value is set after the solve
                continue
            lo, hi = _ceil(lb[j]), _floor(ub[j])
            self.mag.append(max(abs(lo), abs(hi)))
            if lo <= hi:
                self.x.append(new(lo, hi, f"x{j}"))
            else:  # no integer between the bounds: the model is infeasible
                self.x.append(new(lo, lo, f"x{j}"))
                self.m.AddBoolOr([])

    # expressions -----------------------------------------------------------
    def no_overflow(self, cols: Any, ints: list[int], const: int, where: dict[str, Any]) -> None:
        """Refuse an expression whose activity could leave CP-SAT's 64-bit range (CP-SAT would
        reject the whole model with a bare "possible integer overflow")."""
        top = abs(const) + sum(abs(k) * self.mag[int(c)] for c, k in zip(cols, ints))
        if top >= INT_LIMIT:
            raise ModelError(error(
                "cpsat-overflow",
                f"the scaled integer expression can reach about {float(top):.3g}, beyond CP-SAT's "
                "64-bit range (2^62)",
                hint="tighten the variable bounds (lb/ub) or rescale the data, or use "
                "backend='highs'", **where,
            ))

    def lin(self, cols: Any, coefs: Any, where: dict[str, Any]) -> tuple[Any, int]:
        """Integer linear expression L·(coefs·x) and its multiplier L."""
        cols = np.asarray(cols, dtype=np.int64)
        ints, den = _scale(np.asarray(coefs, float), where, "coefficient")
        self.no_overflow(cols, ints, 0, where)
        expr = self.cp.LinearExpr.WeightedSum([self.x[int(c)] for c in cols], ints)
        return expr, den

    def affine(self, e: Any, where: dict[str, Any]) -> Any:
        """An exact integer affine expression (coefficients and constant must be integers)."""
        cols, coefs, const = _unpack_expr(e)
        vals = np.append(np.asarray(coefs, float), float(const))
        ints, den = _scale(vals, where, "coefficient")
        if den != 1:
            raise ModelError(error(
                "cpsat-inexact-coefficient",
                "an expression inside all_different/abs/min/max has non-integer coefficients "
                f"({', '.join(str(float(v)) for v in vals if v != round(v))})",
                hint="keep integer coefficients in global constraints, or introduce an integer "
                "variable for the scaled expression", **where,
            ))
        self.no_overflow(np.asarray(cols, dtype=np.int64), ints[:-1], ints[-1], where)
        terms = self.cp.LinearExpr.WeightedSum([self.x[int(c)] for c in cols], ints[:-1])
        return terms + ints[-1]

    def row(self, cols: Any, coefs: Any, lo: float, hi: float, where: dict[str, Any]) -> Any:
        """Add lo <= coefs·x <= hi scaled exactly; returns the CP-SAT constraint (or None)."""
        expr, den = self.lin(cols, coefs, where)
        lo_i = _ceil(lo * den) if math.isfinite(lo) else None
        hi_i = _floor(hi * den) if math.isfinite(hi) else None
        # |activity| < 2^62 is guaranteed by no_overflow: a side beyond that is redundant, or
        # (on the wrong side) impossible; never hand CP-SAT an out-of-range integer
        if lo_i is not None and lo_i <= -INT_LIMIT:
            lo_i = None
        if hi_i is not None and hi_i >= INT_LIMIT:
            hi_i = None
        if (lo_i is not None and lo_i >= INT_LIMIT) or (hi_i is not None and hi_i <= -INT_LIMIT):
            return self.m.AddBoolOr([])
        if lo_i is None and hi_i is None:
            return None
        if lo_i is not None and hi_i is not None:
            if lo_i == hi_i:
                return self.m.Add(expr == lo_i)
            return self.m.AddLinearConstraint(expr, lo_i, hi_i) if lo_i <= hi_i else (
                self.m.AddBoolOr([]))
        if lo_i is not None:
            return self.m.Add(expr >= lo_i)
        return self.m.Add(expr <= hi_i)

    def rows(self, subset: Any = None) -> None:
        """Add the linear rows (all, or the row indices in `subset`)."""
        low = self.low
        start = np.asarray(low.a_start, dtype=np.int64)
        idx = np.asarray(low.a_index, dtype=np.int64)
        val = np.asarray(low.a_value, dtype=np.float64)
        lo = np.asarray(low.row_lo, float)
        hi = np.asarray(low.row_hi, float)
        check = self.control.check if self.control is not None else None
        for n, i in enumerate(range(low.n_rows) if subset is None else sorted(subset)):
            if check is not None and n % _CHECK_EVERY == 0:
                check()
            s, e = int(start[i]), int(start[i + 1])
            if s == e:
                ok = (not math.isfinite(lo[i]) or lo[i] <= 1e-9) and (
                    not math.isfinite(hi[i]) or hi[i] >= -1e-9)
                if not ok:
                    self.m.AddBoolOr([])  # an empty row that cannot hold: infeasible
                continue
            try:
                self.row(idx[s:e], val[s:e], lo[i], hi[i], {})
            except ModelError as exc:  # locate the refusal at the row (named lazily)
                loc = Location(**_row_where(low, i))
                raise ModelError([replace(d, location=loc) for d in exc.diagnostics]) from None

    # CP constraints ----------------------------------------------------------
    def literal(self, lit: Any) -> Any:
        if isinstance(lit, dict):
            col = lit.get("col")
            positive = lit.get("positive", not lit.get("negated", False))
        elif isinstance(lit, (tuple, list)):
            col, positive = lit[0], (lit[1] if len(lit) > 1 else True)
        else:
            col, positive = lit, True
        v = self.x[int(col)]
        return v if positive else v.Not()

    def cp_constraint(self, c: CPConstraint) -> None:
        where = {"section": "constraints", "item": c.name,
                 "index": _index_tuple(c.key)}
        d = c.data
        kind = c.kind
        if kind == "all_different":
            self.m.AddAllDifferent([self.affine(e, where) for e in d["exprs"]])
        elif kind == "implies":
            lit = self.literal(d["literal"])
            for r in _rows_of(d["rows"]):
                ct = self.row(*_unpack_row(r), where)
                if ct is not None:
                    ct.OnlyEnforceIf(lit)
        elif kind == "or":
            bools = []
            for alt in d["alternatives"]:
                b = self.m.NewBoolVar("")
                for r in _rows_of(alt):
                    ct = self.row(*_unpack_row(r), where)
                    if ct is not None:
                        ct.OnlyEnforceIf(b)
                bools.append(b)
            self.m.AddBoolOr(bools)
        elif kind == "not_equal":
            self.m.Add(self.affine(d["expr"], where) != 0)
        elif kind in ("abs", "min", "max"):
            target = d["target"]
            t = self.x[int(target)] if isinstance(target, (int, np.integer)) else self.affine(
                target, where)
            exprs = [self.affine(e, where) for e in d["exprs"]]
            if kind == "abs":
                self.m.AddAbsEquality(t, exprs[0])
            elif kind == "max":
                self.m.AddMaxEquality(t, exprs)
            else:
                self.m.AddMinEquality(t, exprs)
        else:
            raise ModelError(error(
                "cpsat-unsupported", f"constraint kind {kind!r} is not supported by the CP-SAT "
                "backend", hint="use backend='highs'", **where,
            ))

    # objective -------------------------------------------------------------
    def objective(self) -> int:
        """Set the scaled objective; returns the multiplier L (objective·L is integral)."""
        low = self.low
        if low.sense == "feasibility":
            return 1
        c = np.asarray(low.obj, dtype=np.float64)
        nz = np.flatnonzero(c)
        where = {"section": "objective"}
        terms_cols = [int(j) for j in nz]
        terms_vals = [float(c[j]) for j in nz]
        qterms: list[tuple[int, int, float]] = []
        if low.has_q:
            acc: dict[tuple[int, int], float] = {}
            for r, k, v in zip(np.asarray(low.q_rows).tolist(), np.asarray(low.q_cols).tolist(),
                               np.asarray(low.q_vals, float).tolist()):
                a, b = min(r, k), max(r, k)
                acc[(a, b)] = acc.get((a, b), 0.0) + v / 2.0  # ½ x'Qx, symmetric part
            qterms = [(a, b, v) for (a, b), v in acc.items() if v != 0.0]
        allv = terms_vals + [v for _, _, v in qterms]
        if not allv:
            return 1
        ints, den = _scale(np.asarray(allv), where, "objective coefficient")
        lin = ints[: len(terms_vals)]
        top = sum(abs(k) * self.mag[j] for j, k in zip(terms_cols, lin))
        top += sum(abs(k) * self.mag[a] * self.mag[b] for (a, b, _), k in zip(qterms, ints[len(terms_vals):]))
        if top >= INT_LIMIT:
            raise ModelError(error(
                "cpsat-overflow", f"the scaled integer objective can reach about {float(top):.3g}, "
                "beyond CP-SAT's 64-bit range (2^62)",
                hint="tighten the variable bounds (lb/ub) or rescale the objective, or use "
                "backend='highs'", section="objective", field="objective",
            ))
        exprs = [self.x[j] for j in terms_cols]
        weights = list(lin)
        for (a, b, _), w in zip(qterms, ints[len(terms_vals):]):
            xa, xb = self.x[a], self.x[b]
            la, ua = _ceil(low.col_lb[a]), _floor(low.col_ub[a])
            lb_, ub_ = _ceil(low.col_lb[b]), _floor(low.col_ub[b])
            prods = [la * lb_, la * ub_, ua * lb_, ua * ub_]
            p = self.m.NewIntVar(min(prods), max(prods), f"q{a}_{b}")
            self.m.AddMultiplicationEquality(p, [xa, xb])
            exprs.append(p)
            weights.append(w)
        obj = self.cp.LinearExpr.WeightedSum(exprs, weights)
        if low.sense == "maximize":
            self.m.Maximize(obj)
        else:
            self.m.Minimize(obj)
        return den


def _is_row(r: Any) -> bool:
    """A single row: `((cols, coefs, const), lo, hi)`, `(cols, coefs, lo, hi)` or a dict."""
    if isinstance(r, dict):
        return "cols" in r or "expr" in r
    if not isinstance(r, (tuple, list)):
        return False
    if len(r) == 4:
        return not isinstance(r[2], (list, tuple, np.ndarray, dict))
    return (len(r) == 3 and isinstance(r[0], (tuple, list)) and len(r[0]) == 3
            and not isinstance(r[1], (list, tuple, np.ndarray, dict)))


def _unpack_row(r: Any) -> tuple[Any, Any, float, float]:
    """(cols, coefs, lo, hi) of a row, the expression's constant moved into the bounds."""
    if isinstance(r, dict):
        if "expr" in r:
            cols, coefs, const = _unpack_expr(r["expr"])
        else:
            cols, coefs, const = r["cols"], r["coefs"], float(r.get("const", 0.0))
        lo, hi = _or_inf(r.get("lo"), -1), _or_inf(r.get("hi"), 1)
    elif len(r) == 3:
        (cols, coefs, const), lo, hi = r[0], _or_inf(r[1], -1), _or_inf(r[2], 1)
    else:
        cols, coefs, lo, hi = r
        const, lo, hi = 0.0, _or_inf(lo, -1), _or_inf(hi, 1)
    return cols, coefs, lo - float(const), hi - float(const)


def _rows_of(obj: Any) -> list[Any]:
    """The rows in a row, a list of rows, or nested lists of rows."""
    if _is_row(obj):
        return [obj]
    out: list[Any] = []
    for r in obj:
        out.extend(_rows_of(r))
    return out


def _or_inf(v: Any, sign: int) -> float:
    return sign * math.inf if v is None else float(v)


def _unpack_expr(e: Any) -> tuple[Any, Any, float]:
    if isinstance(e, dict):
        return e["cols"], e["coefs"], float(e.get("const", 0.0))
    if isinstance(e, (int, np.integer)):
        return [int(e)], [1.0], 0.0
    cols, coefs, const = e
    return cols, coefs, float(const)


def _index_tuple(key: Any) -> tuple | None:
    key = _norm_key(key)  # tuple-set elements spliced in, as in row locations
    if key is None or key == ():
        return None
    return key if isinstance(key, tuple) else (key,)


def _row_where(low: Lowered, i: int) -> dict[str, Any]:
    name = row_label(low, i)
    item, _, rest = name.partition("[")
    return {"section": "constraints", "item": item,
            "index": tuple(rest.rstrip("]").split(",")) if rest else None}


def solve_cpsat(
    lowered: Lowered,
    control: SolveControl | None = None,
    *,
    time_limit: float | None = None,
    threads: int | None = None,
    options: dict[str, Any] | None = None,
) -> Solution:
    """Solve a lowered integer model with CP-SAT under the backend contract (`contract.py`).

    The CpModel is built directly from the arrays, inside the budget of `control` (default: a new
    one with `time_limit`, None meaning the default limit). Status: OPTIMAL → optimal (for a
    feasibility model: a feasible point was found), INFEASIBLE → infeasible, stopped by the
    budget → `time_limit`, by a stop request → `interrupted` (both with the incumbent when
    there is one), FEASIBLE at a limit set in `options` → feasible, MODEL_INVALID → error with
    CP-SAT's validation message. Progress: incumbent and bound from the solution and bound
    callbacks. `options` are CP-SAT parameters by name (`{"random_seed": 1}`); a wrong name
    raises ValueError."""
    control = as_control(control, time_limit, "cpsat")
    return control.run(lambda: _solve_cpsat(lowered, control, threads, options))


def _solve_cpsat(lowered: Lowered, control: SolveControl, threads: int | None,
                 options: dict[str, Any] | None) -> Solution:
    t0 = time.perf_counter()
    control.update(phase="building the model")
    try:
        b = _Builder(lowered, control)
        b.columns()
        b.rows()
        for c in lowered.cp_constraints:
            b.cp_constraint(c)
        den = b.objective()
        control.check()
    except SolveStopped:
        status = limit_status(control, has_point=False, timed_out=True)
        return Solution(status=status, solver="cpsat", wall_time=time.perf_counter() - t0,
                        message=stop_message(status, control, "CP-SAT", False)
                        + " (while the CP-SAT model was being built)")
    cp = b.cp
    solver = cp.CpSolver()
    p = solver.parameters
    if threads:
        p.num_workers = int(threads)
    for k, v in (options or {}).items():
        if not hasattr(p, k):
            raise ValueError(f"CP-SAT has no parameter {k!r} (see ortools sat_parameters.proto)")
        setattr(p, k, v.item() if isinstance(v, np.generic) else v)
    feas = lowered.sense == "feasibility"
    offset = float(lowered.obj_offset)
    status = run_cpsat(solver, b.m, control, den=den, offset=offset, feasibility=feas)
    sol = Solution(status=Status.ERROR, solver="cpsat", solve_time=float(solver.WallTime()))
    left = control.remaining()
    timed_out = left is not None and left < 0.1
    if status == cp.OPTIMAL or (status == cp.FEASIBLE and feas):
        sol.status = Status.OPTIMAL
    elif status == cp.FEASIBLE:
        sol.status = limit_status(control, has_point=True, timed_out=timed_out)
        sol.message = (stop_message(sol.status, control, "CP-SAT", True)
                       if sol.status != Status.FEASIBLE else
                       "CP-SAT stopped at a limit with a feasible point (optimality not proven)")
    elif status == cp.INFEASIBLE:
        sol.status = Status.INFEASIBLE
    elif status == cp.UNKNOWN:
        sol.status = limit_status(control, has_point=False, timed_out=True)
        sol.message = stop_message(sol.status, control, "CP-SAT", False)
    else:
        sol.status = Status.ERROR
        msg = b.m.Validate() or solver.StatusName(status)
        sol.message = f"CP-SAT rejected the model: {msg}"
    if status in (cp.OPTIMAL, cp.FEASIBLE):
        x = _point(solver, b.x)
        if len(b.unused):  # unused variables take the value nearest 0 within their bounds
            lb = np.asarray(lowered.col_lb, float)[b.unused]
            ub = np.asarray(lowered.col_ub, float)[b.unused]
            v = np.clip(0.0, lb, ub)
            ints = np.asarray(lowered.integrality)[b.unused] != 0
            v[ints] = np.clip(np.ceil(v[ints]), lb[ints], ub[ints])
            x[b.unused] = v
        sol.values = BlockValues(lowered.cols, x, block_keys)
        sol.objective = 0.0 if feas else _objective(lowered, x)
        if not feas:
            sol.best_bound = float(solver.BestObjectiveBound() / den + offset)
            if sol.status == Status.OPTIMAL:
                sol.best_bound = sol.objective
            sol.gap = relative_gap(sol.objective, sol.best_bound)
    elif sol.stopped and not feas and math.isfinite(solver.BestObjectiveBound()):
        sol.best_bound = float(solver.BestObjectiveBound() / den + offset)
    sol.wall_time = time.perf_counter() - t0
    return sol


def _point(solver: Any, xs: list[Any]) -> np.ndarray:
    """The values of the model's first len(xs) variables (the columns, created first) as an array,
    from the response in one conversion (4x faster than a Value() call per variable)."""
    if not xs:
        return np.zeros(0)
    try:
        got = np.asarray(solver.response_proto.solution, dtype=np.float64)
        if len(got) >= len(xs) and xs[0].Index() == 0 and xs[-1].Index() == len(xs) - 1:
            return got[: len(xs)].copy()
    except (AttributeError, TypeError):  # an older OR-Tools without response_proto
        pass
    return np.fromiter((solver.Value(v) for v in xs), dtype=np.float64, count=len(xs))


def run_cpsat(solver: Any, model: Any, control: SolveControl, *, den: float = 1,
              offset: float = 0.0, feasibility: bool = False) -> Any:
    """`solver.Solve(model)` under the backend contract (call it inside `control.run`): the time
    limit is what is left of the budget, progress goes to `control` (objective values divided by
    `den` plus `offset`: the model's own terms), a stop request ends the search (StopSearch),
    and CP-SAT's own SIGINT handler stays off — Ctrl-C is the waiting thread's (it would replace
    Python's handler and can outlive the solve: std::bad_function_call)."""
    from ortools.sat.python import cp_model

    p = solver.parameters
    p.catch_sigint_signal = False
    left = control.remaining()
    if left is not None:
        p.max_time_in_seconds = max(min(left, p.max_time_in_seconds), 1e-3)

    class Watcher(cp_model.CpSolverSolutionCallback):
        def on_solution_callback(self) -> None:
            if feasibility:
                control.update(phase="search", incumbent=0.0)
            else:
                control.update(phase="search", incumbent=self.ObjectiveValue() / den + offset,
                               bound=self.BestObjectiveBound() / den + offset,
                               nodes=int(self.NumBranches()))
            if control.stop_reason is not None:
                self.StopSearch()

    if hasattr(solver, "best_bound_callback") and not feasibility:
        solver.best_bound_callback = lambda bound: control.update(bound=bound / den + offset)
    control.on_stop(solver.StopSearch)  # re-sent by the waiting thread until the search ends
    control.update(phase="presolve")
    return solver.Solve(model, Watcher())


def _objective(lowered: Lowered, x: np.ndarray) -> float:
    val = float(np.dot(np.asarray(lowered.obj, float), x)) + float(lowered.obj_offset)
    if lowered.has_q:
        q = np.asarray(lowered.q_vals, float)
        r = np.asarray(lowered.q_rows, dtype=np.int64)
        c = np.asarray(lowered.q_cols, dtype=np.int64)
        val += 0.5 * float(np.sum(q * x[r] * x[c]))
    return val


def cpsat_infeasible(
    lowered: Lowered, rows: Any, cps: Any, time_limit: float, threads: int | None = None,
    control: SolveControl | None = None,
) -> bool | None:
    """Is the subproblem of the given rows and CP constraints (by position) infeasible?
    True / False, or None when CP-SAT could not decide within the time limit (or `control`
    asked it to stop)."""
    b = _Builder(lowered)
    b.columns()
    b.rows(rows)
    for k in sorted(cps):
        b.cp_constraint(lowered.cp_constraints[k])
    solver = b.cp.CpSolver()
    solver.parameters.max_time_in_seconds = max(float(time_limit), 0.01)
    if threads:
        solver.parameters.num_workers = int(threads)
    if control is not None:
        st = run_cpsat(solver, b.m, control, feasibility=True)
    else:
        solver.parameters.catch_sigint_signal = False
        st = solver.Solve(b.m)
    if st == b.cp.INFEASIBLE:
        return True
    if st in (b.cp.OPTIMAL, b.cp.FEASIBLE):
        return False
    return None
