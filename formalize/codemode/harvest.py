"""Solve a harvested code-mode model with our own backends and read the solution back.

LP files (from Pyomo with symbolic labels, or PuLP) go to highspy's `readModel`; CP-SAT models
come as a CpModelProto in text format, parsed by CP-SAT itself (no Python protobuf round trip),
and go to our CpSolver. Both solves follow the backend contract (solvers/backends/contract.py):
the default time limit, progress, Ctrl-C, statuses `time_limit` / `interrupted` with the
incumbent. Never pywraplp: `import pulp` makes
OR-Tools' own HiGHS segfault in the same process (DESIGN.md).
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from typing import Any

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


def solve_lp_text(
    data: bytes, run: CodeRun, control: SolveControl | None = None, *,
    time_limit: float | None = None, threads: int | None = None
) -> Solution:
    """Solve an LP-format model with HiGHS under the backend contract (reading the file counts
    against the budget; progress, stop and statuses as `solvers.solve`); values keyed
    `{column_name: {(): value}}`."""
    control = as_control(control, time_limit, "highs")
    return control.run(lambda: _solve_lp_text(data, run, control, threads))


def _solve_lp_text(data: bytes, run: CodeRun, control: SolveControl, threads: int | None) -> Solution:
    import highspy

    h = new_highs()
    if threads is not None:
        h.setOptionValue("threads", int(threads))
    with tempfile.TemporaryDirectory(prefix="formalize-lp-") as tmp:
        path = os.path.join(tmp, "model.lp")
        with open(path, "wb") as f:
            f.write(data)
        if h.readModel(path) == highspy.HighsStatus.kError:
            return _error("HiGHS could not read the LP file the program's model was written to")
    t0 = time.perf_counter()
    run_highs(h, control)
    elapsed = time.perf_counter() - t0
    ms = h.getModelStatus()
    info = h.getInfo()
    lp = h.getLp()
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
        internal = set(run.internal_columns)
        values = h.getSolution().col_value
        sol.values = {
            name: {(): float(values[j])}
            for j, name in enumerate(lp.col_names_)
            if name not in internal
        }
        sol.objective = float(info.objective_function_value) + run.objective_offset
        if len(lp.integrality_) and info.mip_node_count >= 0:
            sol.best_bound = float(info.mip_dual_bound) + run.objective_offset
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
        for i, var in enumerate(proto.variables):
            name = var.name or f"_v{i}"
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
    if not run.ok or run.model_data is None:
        msg = (
            "; ".join(str(d) for d in run.diagnostics) or f"the program did not run ({run.reason})"
        )
        return Solution(status=Status.ERROR, message=msg, diagnostics=list(run.diagnostics))
    if run.model_format == "lp":
        return solve_lp_text(run.model_data, run, control, time_limit=time_limit, threads=threads)
    if run.model_format == "cpsat-text":
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
    (Pyomo: `x(1_2)` -> `{"x": {(1, 2): v}}`); other columns stay as they are."""
    out: dict[str, dict[Any, float]] = {}
    for col, vals in solution.values.items():
        var, index = run.names.get(col, (col, ()))
        key: Any = index[0] if len(index) == 1 else index
        out.setdefault(var, {})[key] = vals[()]
    return out
