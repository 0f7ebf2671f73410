"""`solvers.solve`: load → lower → HiGHS, CP-SAT or SCIP → Solution (with IIS when infeasible)."""

from __future__ import annotations

from typing import Any

from .backends.contract import ProgressFn, SolveControl, default_threads
from .diagnostics import ModelError
from .lowered import Lowered
from .solution import Solution, Status

BACKENDS = ("auto", "highs", "cpsat", "scip")


def solve(
    model: Any,
    backend: str = "auto",
    time_limit: float | None = None,
    threads: int | None = None,
    *,
    progress: ProgressFn | None = None,
    progress_interval: float = 1.0,
    iis: bool = True,
    iis_time_limit: float = 30.0,
    duals: bool = True,
    data_dirs: list[Any] | None = None,
    **options: Any,
) -> Solution:
    """Solve a model (a path, dict, JSON/YAML text, `Model`, or an already lowered `Lowered`).

    backend: "highs" (LP, MILP, convex QP), "cpsat" (integer models with finite bounds, CP
    constraints), "scip" (nonconvex quadratic and nonlinear models, MINLP: global optimum, gap
    reported; needs pyscipopt) or "auto": CP-SAT when the model needs it (all_different, `!=`,
    or a quadratic objective over bounded integers) or is a pure-integer, bounded model with
    `or` disjunctions (scheduling: CP-SAT takes them natively, HiGHS only through big-M); SCIP
    only when neither can solve it (nonlinear or quadratic constraints, a nonconvex quadratic
    objective, a mixed-integer quadratic objective with real variables); HiGHS otherwise.

    time_limit: seconds of wall time for the whole call — loading, lowering, the conversion to
    the solver's input and the solve (the IIS of an infeasible model has its own
    `iis_time_limit`). None means the default (`FORMALIZE_TIME_LIMIT`, else 300 s),
    `math.inf` no limit. At the limit the status is `time_limit`, with the best solution found
    so far (`has_solution`, `objective`, `best_bound`, `gap`) when there is one.

    progress: called about every `progress_interval` seconds (in this thread, from the first
    interval on: short solves stay quiet) with a `Progress` (incumbent, bound, gap, nodes).

    Ctrl-C (KeyboardInterrupt) while the solver runs stops it within a second and the Solution
    comes back with status `interrupted` and the best point found so far; a second Ctrl-C
    raises KeyboardInterrupt. (During loading and lowering it raises as usual.) Another
    thread stops running solves with `solvers.backends.contract.stop_all()`.

    Errors: a problem *in the model* — load/check/lowering diagnostics, or a construct the chosen
    backend refuses (`needs-cpsat`, `cpsat-real-variable`, `cpsat-inexact-coefficient`, ...) —
    raises `ModelError` with located diagnostics: the caller must fix the model. A failure *of
    the solver* on a valid model returns `Solution(status=Status.ERROR, message=...)`. A wrong
    backend name, time limit or solver option raises ValueError.

    Infeasible: `solution.iis` names an irreducible conflicting set of constraint instances
    (and `iis_bounds` the variable bounds involved), computed within `iis_time_limit` seconds
    (`iis=False` skips it). `duals=False` skips LP duals and reduced costs. Unbounded:
    `solution.unbounded_variables`. `threads`: the solver's threads (None:
    `FORMALIZE_SOLVER_THREADS` when set, else the solver's default). `options` go to the solver
    as its own parameters (HiGHS options / CP-SAT parameters). `wall_time` covers loading,
    lowering and solving; `solve_time` is the solver's own run time."""
    if backend not in BACKENDS:
        raise ValueError(f"unknown backend {backend!r}; choose one of {', '.join(BACKENDS)}")
    if threads is None:
        threads = default_threads()
    control = SolveControl(time_limit, progress, progress_interval=progress_interval)
    lowered, chosen = _lower(model, backend, data_dirs)
    if control.expired():
        sol = Solution(status=Status.TIME_LIMIT, solver=chosen, message=(
            f"the time limit of {control.time_limit:g}s ran out while loading and lowering the "
            f"model ({control.elapsed():.1f}s); the solver did not start"))
    elif chosen == "scip":
        from .backends.scip import solve_scip

        sol = solve_scip(lowered, control, threads=threads, options=options)
    elif chosen == "cpsat":
        from .backends.cpsat import solve_cpsat

        sol = solve_cpsat(lowered, control, threads=threads, options=options)
    else:
        from .backends.highs import solve_highs

        sol = solve_highs(lowered, control, threads=threads, options=options, duals=duals)
    sol.diagnostics = list(lowered.diagnostics) + list(sol.diagnostics)  # e.g. trivial-constraint notes
    if sol.status == Status.INFEASIBLE and iis:
        _fill_iis(sol, lowered, iis_time_limit, threads)
    sol.wall_time = control.elapsed()
    return sol


def _lower(model: Any, backend: str, data_dirs: list[Any] | None) -> tuple[Lowered, str]:
    """Lower for the chosen backend. "auto" lowers for HiGHS and switches to CP-SAT when the model
    needs it (all_different, `!=`, an integer quadratic objective CP-SAT can take, disjunctive
    integer scheduling), and to SCIP only when nothing else can solve it: nonlinear or quadratic
    constraints, a nonconvex quadratic objective, or a mixed-integer quadratic objective with
    real or unbounded variables."""
    if isinstance(model, Lowered):
        if backend != "auto":
            return model, backend
        if model.is_nonlinear:
            return model, "scip"
        if model.cp_constraints or model.problem_class == "CP":
            return model, "cpsat"
        if model.problem_class == "MIQP":
            return model, "cpsat" if _cpsat_takes(model) else "scip"
        return model, "scip" if model.has_q and not q_convex(model) else "highs"
    from .lower import lower
    from .model import Model, load_model

    m = model if isinstance(model, Model) and not data_dirs else load_model(model, data_dirs)
    if backend != "auto":
        if backend == "scip":
            _scip_or_raise()
        low = lower(m, target=backend)
        if backend == "highs" and low.has_q and low.sense != "feasibility" and not q_convex(low):
            from .diagnostics import Diagnostic, Location

            raise ModelError(Diagnostic(
                "nonconvex-qp", "the quadratic objective is not convex, and HiGHS solves convex QPs only",
                location=Location(section="objective", field="objective"),
                hint="solve with backend='scip' (or 'auto', which chooses it) for the global optimum, or check "
                     "the signs of the quadratic terms if the objective was meant to be convex"))
        return low, backend
    try:
        low = lower(m, target="highs")
    except ModelError as exc:
        codes = {d.code for d in exc.diagnostics}
        if "needs-scip" in codes and "needs-cpsat" not in codes:
            _scip_or_raise(exc.diagnostics)
            return lower(m, target="scip"), "scip"
        if "needs-cpsat" in codes and "needs-scip" not in codes:
            return lower(m, target="cpsat"), "cpsat"
        raise
    if low.cp_constraints or low.problem_class == "CP":
        return lower(m, target="cpsat"), "cpsat"
    if low.problem_class == "MIQP":
        if _cpsat_takes(low):
            try:
                return lower(m, target="cpsat"), "cpsat"
            except ModelError:  # e.g. a coefficient CP-SAT cannot scale exactly
                pass
        _scip_or_raise()
        return low, "scip"
    if low.has_q and not q_convex(low):
        _scip_or_raise()
        return low, "scip"  # the lowering for HiGHS holds the same arrays
    if _disjunctive_integer(m, low):
        try:
            return lower(m, target="cpsat"), "cpsat"
        except ModelError:  # e.g. a coefficient CP-SAT cannot scale exactly: stay with HiGHS
            pass
    return low, "highs"


def _scip_or_raise(diags: list | None = None) -> None:
    """Raise `needs-scip` (with how to install it) when pyscipopt is missing."""
    from .backends.scip import INSTALL_HINT, available

    if available():
        return
    from .diagnostics import Diagnostic, Location

    where = [d for d in diags or [] if d.code == "needs-scip"]
    raise ModelError([Diagnostic("needs-scip", "this model needs SCIP (nonlinear, nonconvex or mixed-integer "
                                 "quadratic terms), and pyscipopt is not installed"
                                 + (f"; first such term: {where[0].location}" if where else ""),
                                 location=Location(section="model"), hint=INSTALL_HINT)])


def _cpsat_takes(low: Lowered) -> bool:
    """Every used column integer with finite bounds (CP-SAT's precondition)."""
    import numpy as np

    used = low.used_columns()
    return bool(np.all(np.asarray(low.integrality)[used] != 0)
                and np.all(np.isfinite(np.asarray(low.col_lb)[used]))
                and np.all(np.isfinite(np.asarray(low.col_ub)[used])))


def q_convex(low: Lowered) -> bool:
    """Is the quadratic objective convex in its sense (Q ⪰ 0 to minimize, ⪯ 0 to maximize)?
    Eigenvalues up to 2000 quadratic columns, a Cholesky factorization up to 6000; a larger Q is
    taken as convex (HiGHS reports it otherwise)."""
    import numpy as np

    if not low.has_q:
        return True
    r, c, v = (np.asarray(a) for a in (low.q_rows, low.q_cols, low.q_vals))
    cols = np.unique(np.concatenate([r, c]))
    if len(cols) > 6000:
        return True
    pos = np.searchsorted(cols, np.arange(cols.max() + 1))
    h = np.zeros((len(cols), len(cols)))
    np.add.at(h, (pos[r], pos[c]), v.astype(float))
    h = (h + h.T) / 2
    if low.sense == "maximize":
        h = -h
    scale = max(1.0, float(np.abs(h).max()))
    if len(cols) <= 2000:
        return bool(np.linalg.eigvalsh(h)[0] >= -1e-9 * scale)
    try:
        np.linalg.cholesky(h + 1e-9 * scale * np.eye(len(cols)))
    except np.linalg.LinAlgError:
        return False
    return True


def _disjunctive_integer(m: Any, low: Lowered) -> bool:
    """A pure-integer model with finite bounds and `or` disjunctions (scheduling, no-overlap):
    CP-SAT takes the disjunctions natively, where HiGHS needs big-M rows with weak relaxations."""
    import numpy as np

    from .expr import BoolOp, parse_expr

    if low.problem_class != "MILP" or low.n_cols == 0 or not np.all(low.integrality != 0):
        return False
    if not (np.all(np.isfinite(low.col_lb)) and np.all(np.isfinite(low.col_ub))):
        return False
    return any(isinstance(t := parse_expr(c.expr), BoolOp) and t.op == "or" for c in m.constraints)


def _fill_iis(sol: Solution, lowered: Lowered, time_limit: float, threads: int | None) -> None:
    """The conflicting set, under its own budget; Ctrl-C ends the search with what it has."""
    from .iis import compute_iis, cpsat_iis, describe, scip_iis

    control = SolveControl(time_limit, solver=sol.solver)
    if sol.solver == "scip":
        res = control.run(lambda: scip_iis(lowered, time_limit=time_limit, control=control))
    elif sol.solver == "cpsat":
        res = control.run(lambda: cpsat_iis(lowered, time_limit=time_limit, threads=threads,
                                            control=control))
    else:
        res = control.run(lambda: compute_iis(lowered, time_limit=time_limit, threads=threads,
                                              control=control))
    sol.iis = res.rows
    sol.iis_bounds = res.bounds
    note = f"conflicting set ({res.method}): {describe(res)}"
    if control.stop_reason == "interrupted":
        note += " (the search was interrupted)"
    sol.message = (sol.message + " " if sol.message else "") + note
