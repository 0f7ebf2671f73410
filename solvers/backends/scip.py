"""SCIP backend (via pyscipopt): nonconvex quadratic and nonlinear models, MINLP, to global optimality.

SCIP takes what HiGHS and CP-SAT cannot: products of variables in constraints, nonconvex
quadratic objectives, `sqrt`/`exp`/`log`/`abs`/powers of variable expressions, division by a
variable expression, with integer variables too. It solves them by spatial branch and bound, so
the answer is the *global* optimum within its gap tolerance (default 0: proven optimal); the
reported `gap` and `best_bound` say how far the proof got when a limit stopped it.

The lowered model is handed over as it is: columns with their bounds and integrality, the linear
rows (`lo <= A x <= hi`), the nonlinear constraint instances (`Lowered.nl_constraints`, one
expression tree each, see `solvers._nonlinear`) and the objective `c·x + ½xᵀQx + offset` or the
tree `Lowered.nl_objective`. SCIP's objective is linear, so a quadratic or nonlinear objective
becomes an epigraph variable `z` with `z >= f(x)` (minimize) or `z <= f(x)` (maximize).

The backend follows `solvers.backends.contract`: it runs under the caller's `SolveControl` (the
time budget counted from the caller's start, the building of SCIP's model included; progress from
an event handler on new incumbents and solved nodes; a stop request or Ctrl-C calls
`interruptSolve`, and SCIP's own SIGINT handler stays off), and `limit_status` says how a stopped
solve ended: `time_limit` or `interrupted`, with the incumbent, `best_bound` and `gap` when there
is one. pyscipopt is an optional dependency: `pip install 'formalize[scip]'` (the wheels ship SCIP).
"""

from __future__ import annotations

import math
import time
from typing import Any

import numpy as np

from .._nonlinear import domain_guards, evaluate
from ..diagnostics import ModelError, error
from ..lowered import Lowered
from ..solution import Solution, Status
from .common import col_values
from .contract import (
    SolveControl,
    SolveStopped,
    as_control,
    limit_status,
    relative_gap,
    stop_message,
)
from .highs import check_ranges

INSTALL_HINT = "install SCIP's Python interface: pip install 'formalize[scip]' (or pip install pyscipopt)"


def available() -> bool:
    """True when pyscipopt can be imported."""
    try:
        import pyscipopt  # noqa: F401
    except ImportError:
        return False
    return True


def _scip() -> Any:
    try:
        import pyscipopt
    except ImportError:
        raise ModelError(error(
            "needs-scip", "this model needs SCIP (nonlinear or nonconvex terms), and pyscipopt is not installed",
            hint=INSTALL_HINT, section="model")) from None
    return pyscipopt


def _bound(v: float) -> float | None:
    return float(v) if math.isfinite(v) else None


def _expr(p: Any, t: Any, x: list) -> Any:
    """A pyscipopt expression (or a float) for an expression tree."""
    op = t[0]
    if op == "const":
        return float(t[1])
    if op == "lin":
        if not len(t[1]):
            return float(t[3])
        e = p.quicksum(float(k) * x[int(j)] for j, k in zip(t[1], t[2]))
        return e + float(t[3]) if t[3] else e
    if op == "quad":
        return p.quicksum(float(k) * x[int(a)] * x[int(b)] for a, b, k in zip(t[1], t[2], t[3]))
    if op == "+":
        parts = [_expr(p, a, x) for a in t[1]]
        return p.quicksum(parts) if parts else 0.0
    if op == "*":
        return _expr(p, t[1][0], x) * _expr(p, t[1][1], x)
    if op == "/":
        return _expr(p, t[1][0], x) / _expr(p, t[1][1], x)
    a = _expr(p, t[1][0], x)
    if op == "pow":
        if isinstance(a, float):
            return a ** t[2]
        e = float(t[2])
        return a ** int(e) if e == int(e) and e > 0 else a ** e
    if isinstance(a, float):
        return {"sqrt": math.sqrt, "exp": math.exp, "log": math.log, "abs": abs}[op](a)
    if op == "sqrt":
        return p.sqrt(a)
    if op == "exp":
        return p.exp(a)
    if op == "log":
        return p.log(a)
    if op == "abs":
        return abs(a)
    raise ValueError(f"unknown operation {op!r}")


def _add_range(m: Any, e: Any, lo: float, hi: float, name: str) -> None:
    if math.isfinite(lo) and math.isfinite(hi):
        if lo == hi:
            m.addCons(e == lo, name=name)
        else:
            m.addCons(e >= lo, name=name + "_lo")
            m.addCons(e <= hi, name=name + "_hi")
    elif math.isfinite(lo):
        m.addCons(e >= lo, name=name)
    elif math.isfinite(hi):
        m.addCons(e <= hi, name=name)


def objective_tree(lowered: Lowered) -> Any:
    """The objective as one expression tree (c·x + ½xᵀQx + offset, or the nonlinear tree)."""
    if lowered.nl_objective is not None:
        return lowered.nl_objective
    nz = np.flatnonzero(np.asarray(lowered.obj) != 0)
    parts: list = [("lin", nz.astype(np.int64), np.asarray(lowered.obj, dtype=np.float64)[nz],
                    float(lowered.obj_offset))]
    if lowered.has_q:
        r, c, v = (np.asarray(a) for a in (lowered.q_rows, lowered.q_cols, lowered.q_vals))
        parts.append(("quad", r.astype(np.int64), c.astype(np.int64), 0.5 * v.astype(np.float64)))
    return ("+", parts)


def build_scip(lowered: Lowered, rows: list[int] | None = None, nls: list[int] | None = None,
               objective: bool = True, check: Any = None) -> tuple[Any, list]:
    """A pyscipopt Model of the lowered model (optionally only some rows / nonlinear constraints,
    and without the objective: the deletion filter's feasibility copies). `check` is called now
    and then (a control's budget check). Returns (model, vars)."""
    p = _scip()
    m = p.Model()
    m.hideOutput()
    m.setParam("misc/catchctrlc", False)  # Ctrl-C is the waiting thread's (backend contract)
    integ = np.asarray(lowered.integrality)
    lb, ub = np.asarray(lowered.col_lb, float), np.asarray(lowered.col_ub, float)
    names = lowered.col_names()
    used = lowered.used_columns()
    x = []
    for j in range(lowered.n_cols):
        if integ[j] and used[j]:
            vtype = "B" if lb[j] >= 0 and ub[j] <= 1 else "I"
        else:
            vtype = "C"
        x.append(m.addVar(name=f"x{j}_{names[j]}"[:200], vtype=vtype, lb=_bound(lb[j]), ub=_bound(ub[j])))
    start = np.asarray(lowered.a_start)
    idx, val = np.asarray(lowered.a_index), np.asarray(lowered.a_value)
    lo_r, hi_r = np.asarray(lowered.row_lo, float), np.asarray(lowered.row_hi, float)
    for n_done, i in enumerate(range(lowered.n_rows) if rows is None else rows):
        if check is not None and n_done % 2000 == 0:
            check()
        a, b = int(start[i]), int(start[i + 1])
        e = p.quicksum(float(v) * x[int(j)] for j, v in zip(idx[a:b], val[a:b]))
        _add_range(m, e, lo_r[i], hi_r[i], f"r{i}")
    trees = []
    for k in (range(len(lowered.nl_constraints)) if nls is None else nls):
        c = lowered.nl_constraints[k]
        _add_range(m, _expr(p, c.tree, x), c.lo, c.hi, f"n{k}")
        trees.append(c.tree)
    if objective and lowered.nl_objective is not None and lowered.sense != "feasibility":
        trees.append(lowered.nl_objective)
    seen: set[str] = set()
    for t in trees:  # the functions' domains (log > 0, sqrt >= 0): no point where one is undefined
        for arg, lo, hi in domain_guards(t, lb, ub):
            key = repr((arg, lo, hi))
            if key not in seen:
                seen.add(key)
                e = _expr(p, arg, x)
                if not isinstance(e, float):
                    m.addCons(e >= lo if lo is not None else e <= hi, name=f"domain{len(seen)}")
    if objective and lowered.sense != "feasibility":
        tree = objective_tree(lowered)
        if lowered.nl_objective is None and not lowered.has_q:
            f = _expr(p, tree, x)
            m.setObjective(f if not isinstance(f, float) else 0.0, "maximize" if lowered.sense == "maximize" else "minimize")
        else:  # SCIP's objective is linear: an epigraph variable
            z = m.addVar(name="objective", vtype="C", lb=None, ub=None)
            f = _expr(p, tree, x)
            m.addCons(z - f >= 0 if lowered.sense == "minimize" else z - f <= 0, name="objective")
            m.setObjective(z, "maximize" if lowered.sense == "maximize" else "minimize")
    return m, x


def _set_options(m: Any, options: dict[str, Any] | None) -> None:
    for k, v in (options or {}).items():
        if isinstance(v, np.generic):
            v = v.item()
        try:
            m.setParam(str(k), v)
        except (KeyError, LookupError, TypeError, ValueError) as exc:
            raise ValueError(f"SCIP parameter {k}={v!r} is unknown or has a wrong type/value ({exc}); "
                             "see https://www.scipopt.org/doc/html/PARAMETERS.php") from None


def _progress_handler(p: Any, m: Any, control: SolveControl, incumbent: Any) -> Any:
    """An event handler reporting incumbent, bound and nodes to the control. The incumbent is
    the model's objective at SCIP's best point (`incumbent()`, on each new best solution), not
    SCIP's epigraph variable, which may sit above it within the tolerances."""

    class Report(p.Eventhdlr):  # type: ignore[misc, name-defined]
        best: float | None = None

        def eventinit(self) -> None:
            self.model.catchEvent(p.SCIP_EVENTTYPE.BESTSOLFOUND, self)
            self.model.catchEvent(p.SCIP_EVENTTYPE.NODESOLVED, self)

        def eventexit(self) -> None:
            self.model.dropEvent(p.SCIP_EVENTTYPE.BESTSOLFOUND, self)
            self.model.dropEvent(p.SCIP_EVENTTYPE.NODESOLVED, self)

        def eventexec(self, event: Any) -> dict:
            try:
                if event.getType() == p.SCIP_EVENTTYPE.BESTSOLFOUND or (self.best is None and self.model.getNSols()):
                    self.best = incumbent()
                bound = self.model.getDualbound()
                if abs(bound) >= 1e19:  # no bound before the root relaxation: report with it
                    return {}
                control.update(incumbent=self.best, bound=bound, nodes=int(self.model.getNNodes()),
                               phase="branch and bound")
            except Exception:  # progress is best effort
                pass
            return {}

    h = Report()
    m.includeEventhdlr(h, "formalize-progress", "progress reports to the backend contract")
    return h


def solve_scip(lowered: Lowered, control: SolveControl | None = None, *, time_limit: float | None = None,
               threads: int | None = None, options: dict[str, Any] | None = None) -> Solution:
    """Solve a lowered model with SCIP (global optimality for nonconvex and nonlinear models).

    Status: optimal (gap within SCIP's tolerance) / infeasible / unbounded; a stop gives
    `time_limit` or `interrupted` (with the incumbent, `best_bound` and `gap` when there is one).
    SCIP runs single-threaded (`threads` is ignored). `options` are SCIP parameters by name
    (`{"limits/gap": 1e-4}`); a wrong one raises ValueError."""
    control = as_control(control, time_limit, "scip")
    if lowered.cp_constraints:
        kinds = sorted({c.kind for c in lowered.cp_constraints})
        raise ModelError(error(
            "needs-cpsat", f"constraints of kind {', '.join(kinds)} are solved by CP-SAT only, not SCIP "
            f"(first: {lowered.cp_constraints[0].name})", hint="use backend='cpsat' for a model without "
            "nonlinear terms", section="constraints", item=lowered.cp_constraints[0].name))
    p = _scip()
    check_ranges(lowered, solver="SCIP")  # SCIP's infinity is 1e20 too; it refuses "infinite" coefficients
    return control.run(lambda: _solve_scip(p, lowered, control, options))


def _solve_scip(p: Any, lowered: Lowered, control: SolveControl, options: dict[str, Any] | None) -> Solution:
    t0 = time.perf_counter()
    control.update(phase="building the model")
    try:
        m, x = build_scip(lowered, check=control.check)
        control.check()
    except SolveStopped:
        status = limit_status(control, has_point=False, timed_out=True)
        return Solution(status=status, solver="scip", solve_time=time.perf_counter() - t0,
                        message=stop_message(status, control, "SCIP", False) + " (while the SCIP model was being built)")
    except ModelError:
        raise
    except Exception as exc:  # pyscipopt raises a bare Exception for data SCIP refuses
        raise ModelError(error(
            "scip-load-error", f"SCIP refused the model: {exc}", hint="a value SCIP reads as infinite "
            "(magnitude >= 1e20) inside a nonlinear term is the usual cause: rescale the data")) from None
    _set_options(m, options)
    left = control.remaining()
    if left is not None:
        m.setParam("limits/time", max(left, 0.01))
    tree = objective_tree(lowered) if lowered.sense != "feasibility" else None

    def incumbent() -> float:
        return 0.0 if tree is None else evaluate(tree, _point(m, x, lowered))

    _progress_handler(p, m, control, incumbent)
    control.on_stop(m.interruptSolve)  # re-sent by the waiting thread until the solve ends
    control.update(phase="presolve")
    getattr(m, "optimizeNogil", m.optimize)()  # without the GIL: the waiting thread stays live
    status = m.getStatus()
    solve_time = time.perf_counter() - t0
    has_point = m.getNSols() > 0
    sol = Solution(status=Status.ERROR, solver="scip", solve_time=solve_time)
    if status == "inforunbd":
        status = _infeasible_or_unbounded(lowered, control)
    if status == "optimal":
        sol.status = Status.OPTIMAL
    elif status == "infeasible":
        sol.status = Status.INFEASIBLE
        has_point = False
    elif status == "unbounded":
        sol.status = Status.UNBOUNDED
        has_point = False
    elif status in ("timelimit", "userinterrupt", "nodelimit", "totalnodelimit", "stallnodelimit", "gaplimit",
                    "sollimit", "bestsollimit", "memlimit", "restartlimit", "primallimit", "duallimit"):
        sol.status = limit_status(control, has_point=has_point, timed_out=status == "timelimit")
        sol.message = stop_message(sol.status, control, "SCIP", has_point) + f" (SCIP status {status})"
    else:
        sol.message = f"SCIP ended with status {status!r}"
    if has_point:
        xv = _point(m, x, lowered)
        _defined_at(lowered, xv)
        sol.values = col_values(lowered, xv)
        sol.objective = 0.0 if lowered.sense == "feasibility" else evaluate(objective_tree(lowered), xv)
        if lowered.sense != "feasibility":
            bound = m.getDualbound()
            sol.best_bound = bound if math.isfinite(bound) and abs(bound) < 1e19 else None
            if sol.status == Status.OPTIMAL:
                g = m.getGap()
                sol.gap = float(g) if math.isfinite(g) else relative_gap(sol.objective, sol.best_bound)
            else:
                sol.gap = relative_gap(sol.objective, sol.best_bound)
        else:
            sol.gap = 0.0
    if sol.status == Status.OPTIMAL and sol.gap is not None and sol.gap > 0:
        sol.message = (sol.message + " " if sol.message else "") + f"(global optimum within a relative gap of {sol.gap:.2g})"
    return sol


def _defined_at(lowered: Lowered, xv: np.ndarray) -> None:
    """Raise a located `nonlinear-domain` error when a nonlinear constraint or the objective is
    undefined at SCIP's point (a divisor whose range crosses 0 has no guard, and SCIP may have
    simplified the division away)."""
    checks = [(c.tree, c.name, c.key) for c in lowered.nl_constraints]
    if lowered.sense != "feasibility":
        checks.append((objective_tree(lowered), None, None))
    for tree, name, key in checks:
        try:
            v = evaluate(tree, xv)
        except (ZeroDivisionError, ValueError, OverflowError) as exc:
            v, why = math.nan, str(exc) or type(exc).__name__
        else:
            why = "not a finite number"
        if math.isfinite(v):
            continue
        index = None if key is None or key == () else (key if isinstance(key, tuple) else (key,))
        raise ModelError(error(
            "nonlinear-domain", f"SCIP's best point leaves the {'constraint' if name else 'objective'} undefined "
            f"({why})", hint="keep every divisor away from 0 (a bound such as \"lb\": 0.001, or a constraint "
            "on its sign) and every log/sqrt argument in its domain",
            section="constraints" if name else "objective", item=name, index=index))


def _point(m: Any, x: list, lowered: Lowered) -> np.ndarray:
    """SCIP's best point as column values: integers snapped, values within SCIP's feasibility
    tolerance outside a bound (-1e-9 for a nonnegative flow) put on it."""
    best = m.getBestSol()
    xv = np.array([m.getSolVal(best, v) for v in x], dtype=np.float64)
    integ = np.asarray(lowered.integrality) != 0
    snap = integ & (np.abs(xv - np.round(xv)) <= 1e-6)
    xv[snap] = np.round(xv[snap])
    return np.clip(xv, np.asarray(lowered.col_lb, float), np.asarray(lowered.col_ub, float)) + 0.0


def _infeasible_or_unbounded(lowered: Lowered, control: SolveControl) -> str:
    """Resolve SCIP's "infeasible or unbounded" with a feasibility solve (no objective)."""
    m, _ = build_scip(lowered, objective=False)
    left = control.remaining()
    if left is not None:
        m.setParam("limits/time", max(left, 0.01))
    control.on_stop(m.interruptSolve)
    getattr(m, "optimizeNogil", m.optimize)()
    st = m.getStatus()
    if st == "infeasible":
        return "infeasible"
    if st == "optimal":
        return "unbounded"
    return st


def scip_infeasible(lowered: Lowered, rows: list[int], nls: list[int], time_limit: float,
                    control: SolveControl | None = None) -> bool | None:
    """Is the model with only these linear rows and nonlinear constraints infeasible?
    True / False, or None when SCIP could not decide within `time_limit` seconds (or `control`
    asked it to stop)."""
    m, _ = build_scip(lowered, rows=rows, nls=nls, objective=False)
    m.setParam("limits/time", max(time_limit, 0.01))
    if control is not None:
        control.on_stop(m.interruptSolve)
        if control.stop_reason is not None:
            return None
    getattr(m, "optimizeNogil", m.optimize)()
    st = m.getStatus()
    if st == "infeasible":
        return True
    if st in ("optimal", "sollimit", "bestsollimit") or m.getNSols() > 0:
        return False
    return None
