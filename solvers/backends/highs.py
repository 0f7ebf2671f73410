"""HiGHS backend (via highspy): LP, MILP and convex QP from a `Lowered` model, plus LP/MPS writing.

The model is handed over in one `passModel` call with the CSR rows as numpy arrays (no per-row
Python work), and Q via `passHessian`. HiGHS's log is silenced; instances come from
`solvers.highs_instance.new_highs`, which swallows the copyright banner of the first one.

Sign conventions of the results: `duals[c][k]` is the shadow price ∂objective/∂rhs of the row (in
the model's own sense, so a binding `<=` row of a maximization has a dual ≥ 0);
`reduced_costs[x][k]` is HiGHS's column dual; `slacks[c][k]` is the distance of the row activity
to its nearest finite bound (≥ 0 when satisfied, 0 for a satisfied equality, inf for a free row).
"""

from __future__ import annotations

import contextlib
import math
import time
from pathlib import Path
from typing import Any

import numpy as np

from ..diagnostics import Diagnostic, Location, ModelError, error
from ..highs_instance import _hp, new_highs
from ..lowered import Lowered
from ..solution import Solution, Status
from .common import (
    BlockValues,
    block_keys,
    col_key,
    file_names,
    row_block_keys,
    row_group,
    row_key,
)
from .contract import SolveControl, as_control, limit_status, stop_message

# HiGHS's own numeric limits (options large_matrix_value, infinite_bound / infinite_cost,
# small_matrix_value): beyond them a value is refused, read as infinite, or dropped — so
# formalize refuses it first, located, instead of returning a silently different answer.
MAX_COEF = 1e15  # |constraint/objective/quadratic coefficient| above this: value-too-large
MAX_BOUND = 1e20  # |finite bound or right-hand side| at or above this: value-too-large
MIN_COEF = 1e-9  # nonzero |constraint coefficient| at or below this: value-too-small



def _hessian_lower_csc(lowered: Lowered) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Q (COO, taken as its symmetric part) → lower-triangular column-wise arrays for HiGHS."""
    r = np.asarray(lowered.q_rows, dtype=np.int64)
    c = np.asarray(lowered.q_cols, dtype=np.int64)
    v = np.asarray(lowered.q_vals, dtype=np.float64)
    hi = np.maximum(r, c)
    lo = np.minimum(r, c)
    v = np.where(r == c, v, v / 2.0)
    n = lowered.n_cols
    code = lo * n + hi  # sort by column (lo), then row (hi)
    order = np.argsort(code, kind="stable")
    code, v = code[order], v[order]
    uniq, first = np.unique(code, return_index=True)
    vals = np.add.reduceat(v, first) if len(v) else v
    keep = vals != 0.0
    uniq, vals = uniq[keep], vals[keep]
    cols = uniq // n
    rows = uniq % n
    start = np.searchsorted(cols, np.arange(n + 1)).astype(np.int32)
    return start, rows.astype(np.int32), vals.astype(np.float64)


def build_highs(lowered: Lowered, threads: int | None = None, names: bool = False) -> Any:
    """A `Highs` instance holding the lowered model (optionally with readable row/column names)."""
    hp = _hp()
    check_ranges(lowered)
    h = new_highs(threads)
    inf = hp.kHighsInf
    n, m = lowered.n_cols, lowered.n_rows
    sense = lowered.sense
    obj_sense = int(hp.ObjSense.kMaximize) if sense == "maximize" else int(hp.ObjSense.kMinimize)
    cost = np.asarray(lowered.obj, dtype=np.float64)
    if sense == "feasibility" or len(cost) == 0:
        cost = np.zeros(n)
    a_start = np.asarray(lowered.a_start, dtype=np.int32)
    if len(a_start) == 0:
        a_start = np.zeros(m + 1, dtype=np.int32)
    a_index = np.asarray(lowered.a_index, dtype=np.int32)
    a_value = np.asarray(lowered.a_value, dtype=np.float64)
    # a variable nothing refers to is relaxed (its value is rounded afterwards): it must not
    # make an LP a MIP, nor a convex QP an MIQP that HiGHS cannot take
    integrality = np.where(lowered.used_columns(), np.asarray(lowered.integrality, dtype=np.int32), 0)
    integrality = integrality.astype(np.int32)
    offset = float(lowered.obj_offset) if sense != "feasibility" else 0.0

    def clip(a: Any) -> np.ndarray:
        return np.clip(np.asarray(a, dtype=np.float64), -inf, inf)

    status = h.passModel(
        n, m, len(a_value), int(hp.MatrixFormat.kRowwise), obj_sense, offset,
        cost, clip(lowered.col_lb), clip(lowered.col_ub), clip(lowered.row_lo),
        clip(lowered.row_hi), a_start, a_index, a_value, integrality,
    )
    if status == hp.HighsStatus.kError:
        raise ModelError(error(
            "highs-load-error", "HiGHS rejected the lowered model (inconsistent arrays or bounds)",
            hint="run `formalize check` on the model; this is likely a lowering bug",
            section="model",
        ))
    if lowered.has_q and sense != "feasibility":
        q_start, q_index, q_value = _hessian_lower_csc(lowered)
        status = h.passHessian(
            n, len(q_value), int(hp.HessianFormat.kTriangular), q_start, q_index, q_value
        )
        if status == hp.HighsStatus.kError:
            raise ModelError(error(
                "nonconvex-qp", "HiGHS rejected the quadratic objective (Q is not "
                + ("negative" if sense == "maximize" else "positive") + " semidefinite)",
                hint="HiGHS solves convex QPs only: check the signs of the squared terms",
                section="objective",
            ))
    if names:
        _pass_names(h, lowered)
    return h


def _where(name: str) -> tuple[str, str | None]:
    """(section, item) of a row/column block name; auxiliaries `_max[c]` belong to c."""
    if name.startswith("_") and name.endswith("]") and "[" in name:
        name = name[name.index("[") + 1:-1]
    return ("objective", None) if name == "objective" else ("constraints", name)


def _index(key: Any) -> tuple | None:
    if key == () or key is None:
        return None
    return key if isinstance(key, tuple) else (key,)


def _row_diag(lowered: Lowered, i: int, code: str, msg: str, hint: str) -> Diagnostic:
    b = row_group(lowered, i)
    if b is None:
        return Diagnostic(code, msg, location=Location(section="constraints"), hint=hint)
    section, item = _where(b.name)
    return Diagnostic(code, msg, hint=hint, location=Location(
        section=section, item=item, field="expr", index=_index(row_key(b, i - b.start))))


def _col_diag(lowered: Lowered, j: int, code: str, msg: str, hint: str, field: str) -> Diagnostic:
    from .common import _find

    b = _find(lowered.cols, j)
    if b is None:
        return Diagnostic(code, msg, location=Location(section="variables"), hint=hint)
    if b.auxiliary:
        section, item = _where(b.name)
        return Diagnostic(code, msg, hint=hint, location=Location(section=section, item=item,
                                                                  field="expr"))
    return Diagnostic(code, msg, hint=hint, location=Location(
        section="variables", item=b.name, field=field, index=_index(col_key(b, j - b.start)),
        symbol=b.name))


def check_ranges(lowered: Lowered, solver: str = "HiGHS") -> None:
    """Refuse values HiGHS (or SCIP: `solver`, same limits) cannot take as written, each located
    at its constraint instance, objective or variable: |coefficient| > 1e15, a finite bound or
    right-hand side with magnitude >= 1e20 (read as infinite), a nonzero constraint coefficient
    <= 1e-9 (dropped as zero). Raises ModelError listing the first offender of each kind."""
    diags: list[Diagnostic] = []
    scale_hint = "rescale the units of the data (e.g. thousands instead of units)"
    val = np.abs(np.asarray(lowered.a_value, dtype=np.float64))
    start = np.asarray(lowered.a_start, dtype=np.int64)
    for bad, code, what, hint in (
        (val > MAX_COEF, "value-too-large", "a coefficient of magnitude {v:.3g} (limit 1e15)",
         scale_hint),
        ((val > 0) & (val <= MIN_COEF), "value-too-small",
         "a coefficient of magnitude {v:.3g}, which " + solver + " would drop as zero (limit 1e-9)",
         scale_hint + ", or drop the negligible term"),
    ):
        if bad.any():
            k = int(np.flatnonzero(bad)[0])
            i = int(np.searchsorted(start, k, side="right") - 1)
            diags.append(_row_diag(lowered, i, code, what.format(v=val[k]) + f" in {int(bad.sum())} "
                                   "term(s)", hint))
    for arr, side in ((lowered.row_lo, "lower"), (lowered.row_hi, "upper")):
        a = np.asarray(arr, dtype=np.float64)
        bad = np.isfinite(a) & (np.abs(a) >= MAX_BOUND)
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            diags.append(_row_diag(lowered, i, "value-too-large",
                                   f"a right-hand side of {a[i]:.3g} (the {side} side, after moving "
                                   f"constants); {solver} reads values >= 1e20 as infinite",
                                   "drop the constraint if it is meant as no limit, or " + scale_hint))
    for arr, field in ((lowered.col_lb, "lb"), (lowered.col_ub, "ub")):
        a = np.asarray(arr, dtype=np.float64)
        bad = np.isfinite(a) & (np.abs(a) >= MAX_BOUND)
        if bad.any():
            j = int(np.flatnonzero(bad)[0])
            diags.append(_col_diag(lowered, j, "value-too-large",
                                   f"the bound {field} = {a[j]:.3g}; {solver} reads values >= 1e20 as "
                                   "infinite", "use null for no bound, or " + scale_hint, field))
    if lowered.sense != "feasibility":
        c = np.abs(np.asarray(lowered.obj, dtype=np.float64))
        q = np.abs(np.asarray(lowered.q_vals, dtype=np.float64))
        worst = max(float(c.max()) if c.size else 0.0, float(q.max()) if q.size else 0.0)
        if worst > MAX_COEF:
            diags.append(Diagnostic("value-too-large", f"an objective coefficient of magnitude "
                                    f"{worst:.3g} (limit 1e15)", hint=scale_hint,
                                    location=Location(section="objective", field="objective")))
    if diags:
        raise ModelError(diags)


def _pass_names(h: Any, lowered: Lowered) -> None:
    cols, rows = file_names(lowered)
    for j, s in enumerate(cols):
        h.passColName(j, s)
    for i, s in enumerate(rows):
        h.passRowName(i, s)


def _set_options(h: Any, options: dict[str, Any] | None) -> None:
    hp = _hp()
    for k, v in (options or {}).items():
        if isinstance(v, np.generic):
            v = v.item()
        if h.setOptionValue(str(k), v) == hp.HighsStatus.kError:
            raise ValueError(
                f"HiGHS option {k}={v!r} is unknown or has a wrong type/value "
                "(see https://ergo-code.github.io/HiGHS/stable/options/definitions/)"
            )


def _slacks(act: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore"):
        up = np.where(np.isfinite(hi), hi - act, np.inf)
        dn = np.where(np.isfinite(lo), act - lo, np.inf)
    return np.minimum(up, dn)


_LIMITS = ("kTimeLimit", "kIterationLimit", "kSolutionLimit", "kInterrupt", "kHighsInterrupt",
           "kObjectiveBound", "kObjectiveTarget", "kUnknown")


def _finite(x: float) -> float | None:
    """A finite number (-0.0 read as 0.0), or None for HiGHS's infinities."""
    x = float(x) + 0.0
    return x if math.isfinite(x) and abs(x) < 1e300 else None


def run_highs(h: Any, control: SolveControl) -> Any:
    """`h.run()` under the backend contract (call it inside `control.run`): HiGHS's time limit
    is what is left of the budget, and its interrupt callbacks report progress to `control` and
    stop the run within a fraction of a second once a stop is requested (Ctrl-C, `stop_all`,
    the deadline watchdog)."""
    left = control.remaining()
    if left is not None:
        h.setOptionValue("time_limit", max(left, 1e-3))
    control.update(phase="presolve")
    with watching(h, control):
        return h.run()


@contextlib.contextmanager
def watching(h: Any, control: SolveControl) -> Any:
    """HiGHS's interrupt callbacks (simplex, IPM, MIP) wired to `control` while the block runs:
    progress numbers go to `control.update`, a requested stop interrupts HiGHS."""
    cb = _hp().cb
    T = cb.HighsCallbackType
    mip, simplex, ipm = int(T.kCallbackMipInterrupt), int(T.kCallbackSimplexInterrupt), int(
        T.kCallbackIpmInterrupt)

    last = [-1.0]
    clock = time.monotonic

    def callback(kind: Any, message: str, out: Any, data_in: Any, user: Any) -> None:
        # called at every simplex iteration and MIP node: first the stop flag, then at most
        # one progress update per 50 ms (a few µs per call in all)
        if control._stop_reason is not None:
            if data_in is not None:
                data_in.user_interrupt = True
            return
        now = clock()
        if now - last[0] < 0.05:
            return
        last[0] = now
        k = int(kind)
        if k == mip:
            control.update(phase="branch and bound", incumbent=_finite(out.mip_primal_bound),
                           bound=_finite(out.mip_dual_bound), nodes=int(out.mip_node_count))
        elif k == simplex:
            control.update(phase="simplex", iterations=int(out.simplex_iteration_count))
        elif k == ipm:
            control.update(phase="interior point", iterations=int(out.ipm_iteration_count))

    h.setCallback(callback, None)
    for kind in (T.kCallbackMipInterrupt, T.kCallbackSimplexInterrupt, T.kCallbackIpmInterrupt):
        h.startCallback(kind)
    try:
        yield h
    finally:
        h.setCallback(None, None)


def solve_highs(
    lowered: Lowered,
    control: SolveControl | None = None,
    *,
    time_limit: float | None = None,
    threads: int | None = None,
    options: dict[str, Any] | None = None,
    duals: bool = True,
) -> Solution:
    """Solve a lowered LP/MILP/QP with HiGHS under the backend contract (`contract.py`).

    `control` carries the budget, progress and stop request (default: a new one with
    `time_limit`, None meaning the default limit). Status: optimal / infeasible / unbounded
    ("unbounded or infeasible" is resolved by re-solving without presolve, then by a
    zero-objective feasibility solve, within the same budget); `time_limit` / `interrupted`
    with the incumbent when there is one; `feasible` at a work limit set in `options`; load or
    solve failures give `error`. `options` are HiGHS options by name (a wrong name raises
    ValueError). `duals=False` skips the LP duals and reduced costs. Values come back as arrays
    (`BlockValues`: per-variable dicts are built only when asked for)."""
    control = as_control(control, time_limit, "highs")
    if lowered.cp_constraints:
        kinds = sorted({c.kind for c in lowered.cp_constraints})
        raise ModelError(error(
            "needs-cpsat", f"constraints of kind {', '.join(kinds)} can only be solved by CP-SAT "
            f"(first: {lowered.cp_constraints[0].name})",
            hint="use backend='cpsat'", section="constraints", item=lowered.cp_constraints[0].name,
        ))
    return control.run(lambda: _solve_highs(lowered, control, threads, options, duals))


def _solve_highs(lowered: Lowered, control: SolveControl, threads: int | None,
                 options: dict[str, Any] | None, duals: bool) -> Solution:
    hp = _hp()
    t0 = time.perf_counter()
    h = build_highs(lowered, threads=threads)
    _set_options(h, options)
    is_mip = bool(np.any((np.asarray(lowered.integrality) != 0) & lowered.used_columns()))
    if control.expired() or control.stop_reason is not None:
        return _not_started(control, t0)
    run_status = run_highs(h, control)
    ms = h.getModelStatus()
    solve_time = h.getRunTime()
    message = ""
    MS = hp.HighsModelStatus

    if ms == MS.kUnboundedOrInfeasible and control.stop_reason is None:
        ms, extra = _resolve_unbounded_or_infeasible(h, lowered, control, threads)
        solve_time += extra
    info = h.getInfo()
    sol = Solution(status=Status.ERROR, solver="highs", solve_time=solve_time)
    name = ms.name if hasattr(ms, "name") else str(ms)
    has_point = info.primal_solution_status == 2  # kSolutionStatusFeasible
    if ms == MS.kOptimal:
        sol.status = Status.OPTIMAL
    elif ms == MS.kInfeasible:
        sol.status = Status.INFEASIBLE
    elif ms == MS.kUnbounded:
        sol.status = Status.UNBOUNDED
    elif ms == MS.kModelEmpty:
        sol.status = Status.OPTIMAL
    elif name in _LIMITS:
        sol.status = limit_status(control, has_point=has_point, timed_out=ms == MS.kTimeLimit)
        message = (stop_message(sol.status, control, "HiGHS", has_point)
                   if sol.status != Status.FEASIBLE else
                   f"HiGHS stopped: {h.modelStatusToString(ms)}")
    else:
        sol.status = Status.ERROR
        message = f"HiGHS failed: {h.modelStatusToString(ms)} (run status {run_status})"
    sol.message = message

    if sol.ok or (sol.stopped and has_point):
        # the solution stays HiGHS's vectors until someone reads it: each list → array
        # conversion happens on first use (values, duals, slacks), names only when asked for
        # (the functions hold HiGHS's solution and small arrays, never the lowered model)
        s = h.getSolution()
        empty = ms == MS.kModelEmpty
        if empty or not s.value_valid:
            point = _empty_point(lowered) + 0.0
            sol.values = BlockValues(lowered.cols, point, block_keys)
        else:
            ints = np.flatnonzero(np.asarray(lowered.integrality) != 0)
            sol.values = BlockValues(lowered.cols, lambda: _primal(s, ints), block_keys)
        if lowered.sense == "feasibility":
            sol.objective = 0.0
        elif empty:
            sol.objective = float(lowered.obj_offset)
        else:
            sol.objective = float(info.objective_function_value)
        if is_mip:
            sol.best_bound = _finite(info.mip_dual_bound)
            gap = float(info.mip_gap)
            sol.gap = gap if math.isfinite(gap) and gap >= 0 else None
            if sol.status == Status.OPTIMAL and sol.best_bound is None:
                sol.best_bound, sol.gap = sol.objective, 0.0
        with_duals = (duals and not is_mip and sol.ok and s.dual_valid
                      and lowered.sense != "feasibility")
        if lowered.n_rows and not empty and s.value_valid:
            lo, hi = np.asarray(lowered.row_lo, float), np.asarray(lowered.row_hi, float)
            sol.slacks = BlockValues(lowered.rows, lambda: _slacks(
                np.asarray(s.row_value, dtype=np.float64), lo, hi), row_block_keys)
            if with_duals:
                sol.duals = BlockValues(lowered.rows, lambda: np.asarray(s.row_dual, np.float64),
                                        row_block_keys)
        if with_duals:
            sol.reduced_costs = BlockValues(lowered.cols, lambda: np.asarray(s.col_dual, np.float64)
                                            + 0.0, block_keys)
    elif sol.stopped and is_mip:
        sol.best_bound = _finite(info.mip_dual_bound)
    elif sol.status == Status.UNBOUNDED:
        sol.unbounded_variables = unbounded_columns(h, lowered)
    sol.wall_time = time.perf_counter() - t0
    return sol


def _primal(s: Any, ints: np.ndarray) -> np.ndarray:
    """HiGHS's primal point as an array: integer columns (`ints`) rounded, -0.0 read as 0.0."""
    x = np.asarray(s.col_value, dtype=np.float64)
    if len(ints):
        x[ints] = np.round(x[ints])
    x += 0.0
    return x


def _not_started(control: SolveControl, t0: float) -> Solution:
    """The budget was spent (or a stop requested) before the solver could start."""
    status = limit_status(control, has_point=False, timed_out=True)
    return Solution(status=status, solver="highs", wall_time=time.perf_counter() - t0,
                    message=stop_message(status, control, "HiGHS", False)
                    + " (before the solver started)")


def _empty_point(lowered: Lowered) -> np.ndarray:
    """A point for a model with no rows that HiGHS reports empty: each column at a finite bound."""
    lb = np.asarray(lowered.col_lb, float)
    ub = np.asarray(lowered.col_ub, float)
    return np.where(np.isfinite(lb), lb, np.where(np.isfinite(ub), ub, 0.0))


def _resolve_unbounded_or_infeasible(
    h: Any, lowered: Lowered, control: SolveControl, threads: int | None,
) -> tuple[Any, float]:
    """Turn HiGHS's "unbounded or infeasible" into one of the two; returns (status, extra time).
    Both re-solves run within what is left of the budget; a stop leaves the question open."""
    hp = _hp()
    MS = hp.HighsModelStatus
    h.setOptionValue("presolve", "off")
    h.clearSolver()
    run_highs(h, control)
    extra = h.getRunTime()
    ms = h.getModelStatus()
    if control.stop_reason is not None:
        return ms, extra
    if ms in (MS.kUnboundedOrInfeasible, MS.kUnbounded):
        feasible = _is_feasible(lowered, control, threads)
        if feasible is False:
            return MS.kInfeasible, extra
        if feasible is None:
            return MS.kTimeLimit, extra
    if ms == MS.kUnboundedOrInfeasible:
        return MS.kUnbounded, extra
    return ms, extra


def _is_feasible(lowered: Lowered, control: SolveControl, threads: int | None) -> bool | None:
    """Feasibility of the constraints alone (zero objective); None when not decided in time."""
    hp = _hp()
    h = build_highs(lowered, threads=threads)
    h.changeColsCost(lowered.n_cols, np.arange(lowered.n_cols, dtype=np.int32),
                     np.zeros(lowered.n_cols))
    if lowered.has_q:
        h.passHessian(lowered.n_cols, 0, int(hp.HessianFormat.kTriangular),
                      np.zeros(lowered.n_cols + 1, dtype=np.int32), np.zeros(0, np.int32),
                      np.zeros(0))
    run_highs(h, control)
    ms = h.getModelStatus()
    if ms == hp.HighsModelStatus.kOptimal:
        return True
    if ms in (hp.HighsModelStatus.kInfeasible, hp.HighsModelStatus.kUnboundedOrInfeasible):
        return False
    return None


def unbounded_columns(h: Any, lowered: Lowered, limit: int = 50) -> list[str]:
    """Names of the variables along which the objective runs off.

    From HiGHS's primal ray when it has one (columns with a nonzero ray entry), else the
    columns with an infinite bound in the improving direction of a nonzero objective coefficient."""
    from .common import col_label

    idx: np.ndarray | None = None
    try:
        st, has_ray, ray = h.getPrimalRay()
        if has_ray:
            ray = np.asarray(ray, dtype=np.float64)
            if len(ray) == lowered.n_cols:
                scale = max(float(np.max(np.abs(ray))), 1e-300)
                idx = np.flatnonzero(np.abs(ray) > 1e-9 * scale)
    except Exception:  # ray retrieval is best effort
        idx = None
    if idx is None or len(idx) == 0:
        idx = improving_unbounded_columns(lowered)
    aux = {j for b in lowered.cols if b.auxiliary for j in range(b.start, b.start + b.count)}
    names = [col_label(lowered, int(j)) for j in idx if int(j) not in aux]
    if len(names) > limit:
        names = names[:limit] + [f"... ({len(names) - limit} more)"]
    return names


def improving_unbounded_columns(lowered: Lowered) -> np.ndarray:
    """Columns whose objective improves without limit in their own bounds (a cheap ray guess)."""
    c = np.asarray(lowered.obj, dtype=np.float64)
    if lowered.sense == "maximize":
        c = -c
    lb = np.asarray(lowered.col_lb, float)
    ub = np.asarray(lowered.col_ub, float)
    idx = np.flatnonzero(((c < 0) & ~np.isfinite(ub)) | ((c > 0) & ~np.isfinite(lb)))
    if len(idx) == 0:
        idx = np.flatnonzero((c != 0) & (~np.isfinite(ub) | ~np.isfinite(lb)))
    return idx


def _write(lowered_or_model: Any, path: str | Path, suffix: str) -> Path:
    lowered = lowered_or_model
    if not isinstance(lowered_or_model, Lowered):
        from ..lower import lower
        from ..model import load_model

        lowered = lower(load_model(lowered_or_model), target="highs")
    if lowered.cp_constraints:
        c = lowered.cp_constraints[0]
        raise ModelError(error(
            "needs-cpsat", f"{c.kind} ({c.name}) cannot be written as {suffix[1:].upper()}: it "
            "exists for CP-SAT only", hint="lower the model for HiGHS (target='highs')",
            section="constraints", item=c.name,
        ))
    path = Path(path)
    if path.suffix.lower() != suffix:
        raise ValueError(f"{path}: expected a file name ending in {suffix}")
    h = build_highs(lowered, names=True)
    st = h.writeModel(str(path))
    if st == _hp().HighsStatus.kError or not path.exists():
        raise OSError(f"HiGHS could not write {path}")
    return path


def write_lp(lowered_or_model: Any, path: str | Path) -> Path:
    """Write the model (a `Lowered`, or anything `lower()` takes) as a CPLEX-LP file."""
    return _write(lowered_or_model, path, ".lp")


def write_mps(lowered_or_model: Any, path: str | Path) -> Path:
    """Write the model (a `Lowered`, or anything `lower()` takes) as a free-format MPS file."""
    return _write(lowered_or_model, path, ".mps")
