"""Solve a harvested code-mode model with our own backends and read the solution back.

LP files (from Pyomo with symbolic labels, or PuLP) go to highspy's `readModel`; CP-SAT models
come as a serialized CpModelProto and go to our CpSolver. Never pywraplp: `import pulp` makes
OR-Tools' own HiGHS segfault in the same process (DESIGN.md).
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from typing import Any

from formalize.codemode.sandbox import CodeRun, run_code
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
    data: bytes, run: CodeRun, *, time_limit: float | None = None, threads: int | None = None
) -> Solution:
    """Solve an LP-format model with HiGHS; values keyed `{column_name: {(): value}}`."""
    import highspy

    h = new_highs()
    if time_limit is not None:
        h.setOptionValue("time_limit", float(time_limit))
    if threads is not None:
        h.setOptionValue("threads", int(threads))
    with tempfile.TemporaryDirectory(prefix="formalize-lp-") as tmp:
        path = os.path.join(tmp, "model.lp")
        with open(path, "wb") as f:
            f.write(data)
        if h.readModel(path) == highspy.HighsStatus.kError:
            return _error("HiGHS could not read the LP file the program's model was written to")
    t0 = time.perf_counter()
    h.run()
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
    if status is None:
        limits = (M.kTimeLimit, M.kIterationLimit, M.kSolutionLimit, M.kInterrupt)
        if ms in limits:
            status = Status.FEASIBLE if has_point else Status.TIME_LIMIT
        else:
            return _error(f"HiGHS stopped with status {h.modelStatusToString(ms)}")
    sol = Solution(
        status=status, solver="highs", solve_time=elapsed, message=h.modelStatusToString(ms)
    )
    if ms == M.kUnboundedOrInfeasible:
        sol.message = "HiGHS: the model is unbounded or infeasible"
    if status in (Status.OPTIMAL, Status.FEASIBLE):
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


def solve_cpsat_proto(
    data: bytes, *, time_limit: float | None = None, threads: int | None = None
) -> Solution:
    """Solve a serialized CpModelProto with CP-SAT; values keyed by variable name (unnamed
    variables as `_v<index>`)."""
    from google.protobuf import text_format
    from google.protobuf.message import DecodeError
    from ortools.sat import cp_model_pb2
    from ortools.sat.python import cp_model, cp_model_helper

    pb = cp_model_pb2.CpModelProto()
    try:
        pb.ParseFromString(data)
    except DecodeError as exc:
        return _error(f"the CP-SAT model could not be decoded: {exc}")
    proto = cp_model_helper.CpModelProto()
    if not proto.parse_text_format(text_format.MessageToString(pb)):
        return _error("the CP-SAT model could not be loaded")
    model = cp_model.CpModel(proto)
    solver = cp_model.CpSolver()
    if time_limit is not None:
        solver.parameters.max_time_in_seconds = float(time_limit)
    solver.parameters.num_workers = int(threads) if threads else 2
    st = solver.solve(model)
    status = {
        cp_model.OPTIMAL: Status.OPTIMAL,
        cp_model.FEASIBLE: Status.FEASIBLE,
        cp_model.INFEASIBLE: Status.INFEASIBLE,
        cp_model.UNKNOWN: Status.TIME_LIMIT,
    }.get(st, Status.ERROR)
    sol = Solution(
        status=status,
        solver="cp-sat",
        solve_time=float(solver.wall_time),
        message=solver.status_name(st),
    )
    if status in (Status.OPTIMAL, Status.FEASIBLE):
        seen: set[str] = set()
        for i, var in enumerate(pb.variables):
            name = var.name or f"_v{i}"
            if name in seen:
                name = f"{name}#{i}"
            seen.add(name)
            sol.values[name] = {(): float(solver.value(model.get_int_var_from_proto_index(i)))}
        if pb.HasField("objective") or pb.HasField("floating_point_objective"):
            sol.objective = float(solver.objective_value)
            sol.best_bound = float(solver.best_objective_bound)
    return sol


def solve_run(
    run: CodeRun, *, time_limit: float | None = None, threads: int | None = None
) -> Solution:
    """Solve the model a successful `CodeRun` harvested."""
    if not run.ok or run.model_data is None:
        msg = (
            "; ".join(str(d) for d in run.diagnostics) or f"the program did not run ({run.reason})"
        )
        return Solution(status=Status.ERROR, message=msg, diagnostics=list(run.diagnostics))
    if run.model_format == "lp":
        return solve_lp_text(run.model_data, run, time_limit=time_limit, threads=threads)
    if run.model_format == "cpsat-pb":
        return solve_cpsat_proto(run.model_data, time_limit=time_limit, threads=threads)
    return _error(f"unknown model format {run.model_format!r}")


def solve_code(
    src: str, *, time_limit: float | None = None, threads: int | None = None, **run_options: Any
) -> tuple[Solution, CodeRun]:
    """Check, run (contained), harvest and solve a code-mode program: the top-level call."""
    t0 = time.perf_counter()
    run = run_code(src, **run_options)
    sol = solve_run(run, time_limit=time_limit, threads=threads)
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
