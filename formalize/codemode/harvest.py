"""Solve a harvested code-mode model with our own backends and read the solution back.

Pyomo and PuLP models come as validated arrays with a name table (`result.HarvestedModel`) and
go to HiGHS through `passModel`, never through a file format whose names could be misparsed;
CP-SAT models come as a CpModelProto in text format, parsed by CP-SAT itself (no Python protobuf
round trip), and go to our CpSolver. Both solves follow the backend contract (solvers/backends/contract.py):
the default time limit, progress, Ctrl-C, statuses `time_limit` / `interrupted` with the
incumbent. Never pywraplp: `import pulp` makes
OR-Tools' own HiGHS segfault in the same process (DESIGN.md).
"""

from __future__ import annotations

import os
import sys
import time
from typing import Any

from formalize.codemode.result import HarvestedModel, visible_names
from formalize.codemode.sandbox import CodeRun, run_code
from solvers.backends.contract import (
    ProgressFn,
    SolveControl,
    as_control,
    limit_status,
    stop_message,
)
from solvers.backends.highs import run_highs
from solvers.diagnostics import Diagnostic, Location
from solvers.solution import Solution, Status

_banner_done = False


def new_highs() -> Any:
    """A silent `highspy.Highs()`. The first construction in a process prints a banner on
    stdout that no option silences, so fd 1 is pointed at /dev/null for that one call
    (output of other threads during those microseconds is lost too)."""
    global _banner_done
    import highspy

    if _banner_done:
        h = highspy.Highs()
    else:
        sys.stdout.flush()
        saved = os.dup(1)
        devnull = os.open(os.devnull, os.O_WRONLY)
        try:
            os.dup2(devnull, 1)
            h = highspy.Highs()
        finally:
            os.dup2(saved, 1)
            os.close(saved)
            os.close(devnull)
            _banner_done = True
    h.setOptionValue("output_flag", False)
    return h


def _error(message: str, code: str = "solve-error") -> Solution:
    return Solution(
        status=Status.ERROR,
        message=message,
        diagnostics=[Diagnostic(code=code, message=message, location=Location(section="code"))],
    )


def _csc(rows: Any, cols: Any, vals: Any, num_cols: int, num_rows: int) -> tuple:
    """Column-wise (start, index, value) with duplicate entries summed and zeros dropped."""
    import numpy as np

    if len(vals) == 0:
        return np.zeros(num_cols + 1, np.int64), np.zeros(0, np.int64), np.zeros(0)
    height = max(num_rows, 1)
    key = cols.astype(np.int64) * height + rows.astype(np.int64)
    order = np.argsort(key, kind="stable")
    key, vals = key[order], vals[order]
    uniq, first = np.unique(key, return_index=True)
    summed = np.add.reduceat(vals, first)
    keep = summed != 0.0
    uniq, summed = uniq[keep], summed[keep]
    c, r = uniq // height, uniq % height
    start = np.searchsorted(c, np.arange(num_cols + 1)).astype(np.int64)
    return start, r.astype(np.int64), summed.astype(np.float64)


def _empty_model(md: HarvestedModel) -> Solution:
    """No variables: the rows are constants; feasible when each holds at zero."""
    if not bool(((md.row_lower <= 0.0) & (md.row_upper >= 0.0)).all()):
        return Solution(status=Status.INFEASIBLE, solver="highs",
                        message="a constraint without variables does not hold")
    return Solution(status=Status.OPTIMAL, solver="highs", objective=md.offset,
                    message="the model has no variables")


def solve_arrays(
    md: HarvestedModel, control: SolveControl | None = None, *,
    time_limit: float | None = None, threads: int | None = None
) -> Solution:
    """Solve a harvested linear model (quadratic objective allowed) with HiGHS under the backend
    contract, handed over as arrays: no file format, so no name can change the model. Values
    keyed by column name (the library's own, e.g. `x[1,a]` for Pyomo); a repeated name gets
    `#k`."""
    control = as_control(control, time_limit, "highs")
    return control.run(lambda: _solve_arrays(md, control, threads))


def _highs_model(md: HarvestedModel) -> tuple[Any, Any]:
    """(HighsLp, HighsHessian or None) from the validated arrays."""
    import highspy
    import numpy as np

    n, m = md.num_cols, md.num_rows
    lp = highspy.HighsLp()
    lp.num_col_, lp.num_row_ = n, m
    lp.col_cost_ = np.ascontiguousarray(md.col_cost, dtype=np.float64)
    lp.col_lower_ = np.ascontiguousarray(md.col_lower, dtype=np.float64)
    lp.col_upper_ = np.ascontiguousarray(md.col_upper, dtype=np.float64)
    lp.row_lower_ = np.ascontiguousarray(md.row_lower, dtype=np.float64)
    lp.row_upper_ = np.ascontiguousarray(md.row_upper, dtype=np.float64)
    lp.offset_ = float(md.offset)
    lp.sense_ = highspy.ObjSense.kMaximize if md.sense == "maximize" else highspy.ObjSense.kMinimize
    start, index, value = _csc(md.a_row, md.a_col, md.a_val, n, m)
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.num_col_, lp.a_matrix_.num_row_ = n, m
    lp.a_matrix_.start_, lp.a_matrix_.index_, lp.a_matrix_.value_ = start, index, value
    if md.col_integer.any():
        lp.integrality_ = [highspy.HighsVarType.kInteger if f else highspy.HighsVarType.kContinuous
                           for f in md.col_integer]
    if not len(md.q_val):
        return lp, None
    # objective c'x + 1/2 x'Qx: Q_jj = 2 * coef(x_j^2), Q_ji = coef(x_i x_j) (lower triangle)
    rows = np.maximum(md.q_row, md.q_col)
    cols = np.minimum(md.q_row, md.q_col)
    vals = np.where(md.q_row == md.q_col, 2.0 * md.q_val, md.q_val)
    hs = highspy.HighsHessian()
    hs.dim_ = n
    hs.format_ = highspy.HessianFormat.kTriangular
    hs.start_, hs.index_, hs.value_ = _csc(rows, cols, vals, n, n)
    return lp, hs


def _solve_arrays(md: HarvestedModel, control: SolveControl, threads: int | None) -> Solution:
    import highspy

    if md.num_cols == 0:
        return _empty_model(md)
    h = new_highs()
    if threads is not None:
        h.setOptionValue("threads", int(threads))
    control.update(phase="reading the model")
    lp, hessian = _highs_model(md)
    integer = bool(md.col_integer.any())
    if h.passModel(lp) == highspy.HighsStatus.kError:
        return _error("HiGHS refused the model the program built")
    if hessian is not None:
        if integer:
            return _error("the objective is quadratic and the model has integer variables: "
                          "HiGHS solves quadratic objectives over continuous variables only",
                          "unsupported-model")
        if h.passHessian(hessian) == highspy.HighsStatus.kError:
            return _error("HiGHS refused the quadratic objective (it must be convex when "
                          "minimizing, concave when maximizing)", "unsupported-model")
    t0 = time.perf_counter()
    run_highs(h, control)
    elapsed = time.perf_counter() - t0
    ms = h.getModelStatus()
    info = h.getInfo()
    M = highspy.HighsModelStatus
    has_point = info.primal_solution_status == 2
    status = {
        M.kOptimal: Status.OPTIMAL,
        M.kInfeasible: Status.INFEASIBLE,
        M.kUnbounded: Status.UNBOUNDED,
        M.kUnboundedOrInfeasible: Status.UNBOUNDED,
    }.get(ms)
    message = h.modelStatusToString(ms)
    if status is None:
        limits = (M.kTimeLimit, M.kIterationLimit, M.kSolutionLimit, M.kInterrupt)
        if ms not in limits:
            return _error(f"HiGHS stopped with status {h.modelStatusToString(ms)}")
        status = limit_status(control, has_point=has_point, timed_out=ms == M.kTimeLimit)
        if status != Status.FEASIBLE:
            message = stop_message(status, control, "HiGHS", has_point)
    sol = Solution(status=status, solver="highs", solve_time=elapsed, message=message)
    if ms == M.kUnboundedOrInfeasible:
        sol.message = "HiGHS: the model is unbounded or infeasible"
    if status in (Status.OPTIMAL, Status.FEASIBLE) or (sol.stopped and has_point):
        values = h.getSolution().col_value
        seen: dict[str, int] = {}
        for j, name in enumerate(md.columns):
            k = seen.get(name, 0)
            seen[name] = k + 1
            sol.values[name if k == 0 else f"{name}#{k + 1}"] = {(): float(values[j])}
        sol.objective = float(info.objective_function_value)
        if integer and info.mip_node_count >= 0:
            sol.best_bound = float(info.mip_dual_bound)
            sol.gap = float(info.mip_gap)
    return sol


def solve_cpsat_text(
    data: bytes, control: SolveControl | None = None, *,
    time_limit: float | None = None, threads: int | None = None
) -> Solution:
    """Solve a CpModelProto in text format with CP-SAT under the backend contract; values keyed
    by variable name (unnamed variables as `_v<index>`). The text is parsed by CP-SAT's own C++
    parser straight into its model, inside the budget: no Python protobuf round trip (which
    took 40 s for a 16 MB model)."""
    control = as_control(control, time_limit, "cpsat")
    return control.run(lambda: _solve_cpsat_text(data, control, threads))


def _solve_cpsat_text(data: bytes, control: SolveControl, threads: int | None) -> Solution:
    from ortools.sat.python import cp_model, cp_model_helper

    from solvers.backends.cpsat import run_cpsat

    t0 = time.perf_counter()
    control.update(phase="reading the model")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return _error(f"the CP-SAT model is not text: {exc}")
    proto = cp_model_helper.CpModelProto()
    if not proto.parse_text_format(text):
        return _error("the CP-SAT model could not be read")
    del text
    problem = cp_model_helper.CpSatHelper.validate_model(proto)  # the child's bytes: check them
    if problem:
        return _error(f"the CP-SAT model is invalid: {problem[:500]}")
    model = cp_model.CpModel(proto)
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = int(threads) if threads else 2
    if control.expired() or control.stop_reason is not None:
        status = limit_status(control, has_point=False, timed_out=True)
        return Solution(status=status, solver="cp-sat", wall_time=time.perf_counter() - t0,
                        message=stop_message(status, control, "CP-SAT", False)
                        + " (while the model was being read)")
    st = run_cpsat(solver, model, control, feasibility=not (
        proto.has_objective() or proto.has_floating_point_objective()))
    status = {
        cp_model.OPTIMAL: Status.OPTIMAL,
        cp_model.INFEASIBLE: Status.INFEASIBLE,
    }.get(st)
    message = solver.status_name(st)
    if status is None and st in (cp_model.FEASIBLE, cp_model.UNKNOWN):
        left = control.remaining()
        status = limit_status(control, has_point=st == cp_model.FEASIBLE,
                              timed_out=st == cp_model.UNKNOWN or (left is not None and left < 0.1))
        if status != Status.FEASIBLE:
            message = stop_message(status, control, "CP-SAT", st == cp_model.FEASIBLE)
    sol = Solution(
        status=status or Status.ERROR,
        solver="cp-sat",
        solve_time=float(solver.wall_time),
        message=message,
    )
    if st in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        seen: set[str] = set()
        names = visible_names([var.name or f"_v{i}" for i, var in enumerate(proto.variables)])
        for i, name in enumerate(names):
            if name in seen:
                name = f"{name}#{i}"
            seen.add(name)
            sol.values[name] = {(): float(solver.value(model.get_int_var_from_proto_index(i)))}
        if proto.has_objective() or proto.has_floating_point_objective():
            sol.objective = float(solver.objective_value)
            sol.best_bound = float(solver.best_objective_bound)
    return sol


def solve_run(
    run: CodeRun, *, time_limit: float | None = None, threads: int | None = None,
    control: SolveControl | None = None,
) -> Solution:
    """Solve the model a successful `CodeRun` harvested (time limit None: the default)."""
    if not run.ok or (run.model is None and run.model_data is None):
        msg = (
            "; ".join(str(d) for d in run.diagnostics) or f"the program did not run ({run.reason})"
        )
        return Solution(status=Status.ERROR, message=msg, diagnostics=list(run.diagnostics))
    if run.model_format == "arrays" and run.model is not None:
        return solve_arrays(run.model, control, time_limit=time_limit, threads=threads)
    if run.model_format == "cpsat-text" and run.model_data is not None:
        return solve_cpsat_text(run.model_data, control, time_limit=time_limit, threads=threads)
    return _error(f"unknown model format {run.model_format!r}")


def solve_code(
    src: str, *, time_limit: float | None = None, threads: int | None = None,
    progress: ProgressFn | None = None, **run_options: Any
) -> tuple[Solution, CodeRun]:
    """Check, run (contained), harvest and solve a code-mode program: the top-level call. The
    time limit (None: the default) counts from the harvest; the program's own run has the
    sandbox's limits. `progress` gets the solver's `Progress` reports."""
    t0 = time.perf_counter()
    run = run_code(src, **run_options)
    sol = solve_run(run, threads=threads, control=SolveControl(time_limit, progress))
    sol.wall_time = time.perf_counter() - t0
    return sol, run


def user_values(solution: Solution, run: CodeRun) -> dict[str, dict[Any, float]]:
    """Values regrouped by the program's own variable names where the library tells them
    (Pyomo: column `x[1,2]` -> `{"x": {(1, 2): v}}`, one-element indices as plain keys); other
    columns stay as they are, under the key `()`."""
    out: dict[str, dict[Any, float]] = {}
    for col, vals in solution.values.items():
        var, index = run.names.get(col, (col, ()))
        key: Any = index[0] if len(index) == 1 else tuple(index)
        value = vals.get(()) if isinstance(vals, dict) else None
        if value is not None:
            out.setdefault(var, {})[key] = value
    return out
