"""Irreducible infeasible subsets: which constraint instances (and variable bounds) conflict.

For an LP, HiGHS's own IIS (`getIis`, strategy "irreducible") is asked first. When it fails, and
always for a MILP, a deletion filter runs on a zero-objective copy of the model: constraint
groups (all instances of one constraint) are relaxed first, then single instances; a row is
dropped for good only when the rest is *proven* infeasible, so the set returned is always
infeasible. For a MILP the filter starts from the LP relaxation's IIS when the relaxation is
already infeasible. Models HiGHS cannot take go through one deletion filter with an exact
solver (`cpsat_iis`, `scip_iis`) over the rows and the CP or nonlinear constraint instances, all
parts of one constraint (its rows, its reformulation's rows, its CP/nonlinear part) as one group
first. The work is capped by a time limit; a filter cut short is reported (`IIS.complete`
False): its set is infeasible but maybe not irreducible.
"""

from __future__ import annotations

import contextlib
import copy
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .backends.common import _norm_key, col_label, label, row_group, row_key, row_label
from .backends.contract import SolveControl
from .lowered import Lowered


@dataclass
class IIS:
    """An infeasible subset: constraint instances by name, the variable bounds involved."""

    rows: list[str] = field(default_factory=list)  # e.g. ["supply_limit[seattle]", "demand[ny]"]
    bounds: list[str] = field(default_factory=list)  # e.g. ["ship[seattle,ny] >= 0"]
    method: str = "none"  # highs-iis | deletion-filter | bounds | none
    complete: bool = True  # False: the time cap cut the filter short (set not proven minimal)
    row_indices: list[int] = field(default_factory=list)


def find_iis(lowered: Lowered, time_limit: float = 30.0, threads: int | None = None) -> list[str]:
    """Names of the constraint instances of an irreducible infeasible subset (see compute_iis)."""
    return compute_iis(lowered, time_limit=time_limit, threads=threads).rows


def compute_iis(lowered: Lowered, time_limit: float = 30.0, threads: int | None = None,
                control: SolveControl | None = None) -> IIS:
    """An irreducible infeasible subset of an infeasible lowered model, within `time_limit` s.
    With a `control` (run this inside `control.run`), a stop request (Ctrl-C) ends the search
    early: the set found so far conflicts but may not be minimal."""
    deadline = time.perf_counter() + max(float(time_limit), 0.1)
    bad = _conflicting_bounds(lowered)
    if bad:
        return IIS(rows=[], bounds=bad, method="bounds")
    is_mip = bool(np.any(np.asarray(lowered.integrality) != 0))
    start_rows: list[int] | None = None
    res = _highs_iis(lowered, deadline, threads, control)
    if res is not None:
        if not is_mip:
            return res
        start_rows = res.row_indices  # the relaxation's conflict: a MILP-infeasible start set
    return _deletion_filter(lowered, deadline, threads, start_rows, control)


def _feasibility_copy(lowered: Lowered, relax: bool) -> Lowered:
    low = copy.copy(lowered)
    low.sense = "feasibility"
    low.obj = np.zeros(lowered.n_cols)
    low.obj_offset = 0.0
    low.q_rows = np.zeros(0, dtype=np.int32)
    low.q_cols = np.zeros(0, dtype=np.int32)
    low.q_vals = np.zeros(0)
    low.cp_constraints = []
    low._used = None  # the objective and CP constraints are gone: recompute which columns are used
    if relax:
        low.integrality = np.zeros(lowered.n_cols, dtype=np.int8)
    return low


def _conflicting_bounds(lowered: Lowered) -> list[str]:
    lb = np.asarray(lowered.col_lb, float)
    ub = np.asarray(lowered.col_ub, float)
    ints = np.asarray(lowered.integrality) != 0
    with np.errstate(invalid="ignore"):
        empty = lb > ub
        empty |= ints & np.isfinite(lb) & np.isfinite(ub) & (np.ceil(lb - 1e-9) > np.floor(ub + 1e-9))
    out = []
    for j in np.flatnonzero(empty)[:50]:
        name = col_label(lowered, int(j))
        out.append(f"{_num(lb[j])} <= {name} <= {_num(ub[j])}")
    return out


def _num(v: float) -> str:
    return str(int(v)) if float(v).is_integer() else repr(float(v))


def _row_name(lowered: Lowered, i: int) -> str:
    """Name of row i for an IIS: rows of a reformulation block (`_abs[c]`, `_max[c]`, ...) are
    named after the constraint instance they belong to (`c[k]`), not the internal block."""
    b = row_group(lowered, i)
    if b is not None and b.auxiliary and b.name.startswith("_") and b.name.endswith("]") \
            and "[" in b.name:
        return label(b.name[b.name.index("[") + 1:-1], row_key(b, i - b.start))
    return row_label(lowered, i)


def _dedupe(items: list[str]) -> list[str]:
    return list(dict.fromkeys(items))


def _highs_iis(lowered: Lowered, deadline: float, threads: int | None,
               control: SolveControl | None = None) -> IIS | None:
    """HiGHS's IIS of the (relaxed) LP, or None when HiGHS cannot give one."""
    from .backends.highs import _hp, build_highs, watching

    hp = _hp()
    if lowered.n_rows == 0:
        return None
    h = build_highs(_feasibility_copy(lowered, relax=True), threads=threads)
    h.setOptionValue("iis_strategy", int(hp.IisStrategy.kIisStrategyIrreducible))
    h.setOptionValue("iis_time_limit", max(deadline - time.perf_counter(), 0.05))
    h.setOptionValue("time_limit", max(deadline - time.perf_counter(), 0.05))
    try:
        with watching(h, control) if control is not None else contextlib.nullcontext():
            st, iis = h.getIis()
    except Exception:  # HiGHS IIS is best effort: fall back to the filter
        return None
    if control is not None and control.stop_reason is not None:
        return None
    if st == hp.HighsStatus.kError or not iis.valid_:
        return None
    rows = [int(i) for i in iis.row_index_]
    if not rows and not len(iis.col_index_):
        return None
    b = hp.IisBoundStatus
    lb = np.asarray(lowered.col_lb, float)
    ub = np.asarray(lowered.col_ub, float)
    bounds = []
    for j, s in zip(iis.col_index_, iis.col_bound_):
        j, s = int(j), int(s)
        name = col_label(lowered, j)
        if s == int(b.kIisBoundStatusLower):
            bounds.append(f"{name} >= {_num(lb[j])}")
        elif s == int(b.kIisBoundStatusUpper):
            bounds.append(f"{name} <= {_num(ub[j])}")
        elif s == int(b.kIisBoundStatusBoxed):
            bounds.append(f"{_num(lb[j])} <= {name} <= {_num(ub[j])}")
    return IIS(
        rows=_dedupe([_row_name(lowered, i) for i in rows]), bounds=bounds,
        method="highs-iis", row_indices=rows,
    )


def _filter(
    items: list[Any], group_of: Any, test: Any, deadline: float,
    control: SolveControl | None = None,
) -> tuple[list[Any], bool]:
    """Deletion filter: drop groups, then single items, whenever the rest stays infeasible.

    `test(active)` says whether the items in `active` are infeasible (True), feasible (False) or
    undecided (None: the item is kept, so the result stays infeasible)."""
    active = list(items)
    complete = True
    groups: dict[Any, list[Any]] = {}
    for it in active:
        groups.setdefault(group_of(it), []).append(it)
    phases = [list(groups.values())] if len(groups) > 1 else []
    phases.append(None)  # single items, over what survives the group phase
    for phase in phases:
        chunks = phase if phase is not None else [[it] for it in active]
        for chunk in chunks:
            if time.perf_counter() >= deadline or (control is not None and control.stop_reason):
                return active, False
            drop = set(chunk)
            rest = [it for it in active if it not in drop]
            res = test(rest)
            if res is True:
                active = rest
            elif res is None:
                if phase is None:  # a single item kept unproven: the set may not be minimal
                    complete = False
                if time.perf_counter() >= deadline:
                    return active, False
    return active, complete


def _deletion_filter(
    lowered: Lowered, deadline: float, threads: int | None, start_rows: list[int] | None,
    control: SolveControl | None = None,
) -> IIS:
    """Deletion filter over the rows with HiGHS (LP or MILP, zero objective)."""
    from .backends.highs import _hp, build_highs, watching

    hp = _hp()
    MS = hp.HighsModelStatus
    inf = hp.kHighsInf
    m = lowered.n_rows
    lo = np.clip(np.asarray(lowered.row_lo, float), -inf, inf)
    hi = np.clip(np.asarray(lowered.row_hi, float), -inf, inf)
    h = build_highs(_feasibility_copy(lowered, relax=False), threads=threads)
    h.setOptionValue("mip_rel_gap", 1.0)  # any feasible point answers the question
    state = {"on": set(range(m))}

    def test(active: list[int]) -> bool | None:
        want = set(active)
        off = sorted(state["on"] - want)
        on = sorted(want - state["on"])
        if off:
            ix = np.asarray(off, dtype=np.int32)
            h.changeRowsBounds(len(ix), ix, np.full(len(ix), -inf), np.full(len(ix), inf))
        if on:
            ix = np.asarray(on, dtype=np.int32)
            h.changeRowsBounds(len(ix), ix, lo[ix], hi[ix])
        state["on"] = want
        left = deadline - time.perf_counter()
        if left <= 0:
            return None
        h.setOptionValue("time_limit", left)
        with watching(h, control) if control is not None else contextlib.nullcontext():
            h.run()
        ms = h.getModelStatus()
        if ms == MS.kInfeasible:
            return True
        if ms in (MS.kOptimal, MS.kModelEmpty):
            return False
        return None  # limit hit or unclear

    items = list(range(m))
    if start_rows is not None and test(sorted(start_rows)) is True:
        items = sorted(start_rows)

    def group_of(i: int) -> Any:
        b = row_group(lowered, i)
        return id(b) if b is not None else -1 - i

    rows, complete = _filter(items, group_of, test, deadline, control)
    return IIS(
        rows=_dedupe([_row_name(lowered, i) for i in rows]), method="deletion-filter",
        complete=complete, row_indices=rows,
    )


def cpsat_iis(lowered: Lowered, time_limit: float = 30.0, threads: int | None = None,
              control: SolveControl | None = None) -> IIS:
    """Deletion filter with CP-SAT over rows and CP constraints (for models HiGHS cannot take);
    `control` as in `compute_iis`."""
    from .backends.cpsat import cpsat_infeasible

    return _exact_filter(
        lowered, time_limit, lowered.cp_constraints,
        lambda rows, cps, left: cpsat_infeasible(lowered, rows, cps, left, threads, control),
        "cpsat-deletion-filter", control)


def scip_iis(lowered: Lowered, time_limit: float = 30.0, control: SolveControl | None = None) -> IIS:
    """Deletion filter with SCIP over linear rows and nonlinear constraint instances (SCIP has no
    IIS of its own for nonlinear models); `control` as in `compute_iis`."""
    from .backends.scip import scip_infeasible

    return _exact_filter(
        lowered, time_limit, lowered.nl_constraints,
        lambda rows, nls, left: scip_infeasible(lowered, rows, nls, left, control),
        "scip-deletion-filter", control)


def _constraint_of_row(lowered: Lowered, i: int) -> Any:
    """The model constraint a row belongs to (its name; a reformulation's rows, named like
    `_or[cover]`, belong to `cover`), or ("row", i) for a row of no block."""
    b = row_group(lowered, i)
    if b is None:
        return ("row", i)
    name = b.name
    if name.startswith("_") and "[" in name:
        name = name[name.index("[") + 1:-1]
    return name


def _exact_filter(lowered: Lowered, time_limit: float, others: list[Any],
                  infeasible: Callable[[list[int], list[int], float], bool | None], method: str,
                  control: SolveControl | None) -> IIS:
    """The deletion filter of an exact solver (CP-SAT, SCIP) over the linear rows and the model's
    other constraint instances (`others`: CP or nonlinear, each with `name` and `key`), all parts
    of one constraint as one group first. `infeasible(rows, others, seconds)` answers True, False
    or None (undecided)."""
    deadline = time.perf_counter() + max(float(time_limit), 0.1)
    bad = _conflicting_bounds(lowered)
    if bad:
        return IIS(rows=[], bounds=bad, method="bounds")
    items: list[tuple[str, int]] = [("r", i) for i in range(lowered.n_rows)]
    items += [("o", k) for k in range(len(others))]

    def test(active: list[tuple[str, int]]) -> bool | None:
        left = deadline - time.perf_counter()
        if left <= 0:
            return None
        return infeasible([i for t, i in active if t == "r"], [k for t, k in active if t == "o"], left)

    def group_of(it: tuple[str, int]) -> Any:
        t, i = it
        return others[i].name if t == "o" else _constraint_of_row(lowered, i)

    kept, complete = _filter(items, group_of, test, deadline, control)
    names = []
    for t, i in kept:
        if t == "r":
            names.append(_row_name(lowered, i))
        else:
            c = others[i]
            names.append(label(c.name, _norm_key(c.key)))  # flat, as row labels are
    return IIS(rows=_dedupe(names), method=method, complete=complete,
               row_indices=[i for t, i in kept if t == "r"])


def unbounded_variables(lowered: Lowered, threads: int | None = None) -> list[str]:
    """Variables along which an unbounded model's objective runs off (HiGHS primal ray)."""
    from .backends.highs import build_highs, unbounded_columns

    h = build_highs(lowered, threads=threads)
    h.setOptionValue("presolve", "off")
    h.run()
    return unbounded_columns(h, lowered)


def describe(iis: IIS) -> str:
    """One line for messages: the conflicting instances and bounds."""
    parts: list[Any] = list(iis.rows) + list(iis.bounds)
    text = "; ".join(str(p) for p in parts) if parts else "(no conflicting subset found)"
    if not iis.complete:
        text += " (time cap reached: the set conflicts but may not be minimal)"
    return text
