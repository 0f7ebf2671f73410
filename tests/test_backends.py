"""Backends on hand-built `Lowered` models (independent of lower.py), then end to end."""

from __future__ import annotations

import itertools
import math
from pathlib import Path

import numpy as np
import pytest

from solvers.backends.cpsat import solve_cpsat
from solvers.backends.highs import solve_highs, write_lp, write_mps
from solvers.data import SetData
from solvers.diagnostics import ModelError
from solvers.iis import _deletion_filter, compute_iis, find_iis
from solvers.lowered import ColumnBlock, CPConstraint, Lowered, RowBlock
from solvers.solution import Status
from solvers.solve_api import solve

INF = math.inf


def S(name: str, elems: list) -> SetData:
    dim = len(elems[0]) if elems and isinstance(elems[0], tuple) else 1
    return SetData(name, list(elems), dim)


def make(
    n: int,
    rows: list[tuple[list[int], list[float], float, float]],
    obj: list[float] | None = None,
    sense: str = "minimize",
    lb: list[float] | float = 0.0,
    ub: list[float] | float = INF,
    integer: list[int] | bool = False,
    cols: list[ColumnBlock] | None = None,
    row_blocks: list[RowBlock] | None = None,
    q: tuple[list[int], list[int], list[float]] | None = None,
    offset: float = 0.0,
    cp: list[CPConstraint] | None = None,
) -> Lowered:
    """A Lowered from rows given as (cols, coefs, lo, hi); default names x[0..n-1], r<i>."""
    start = np.cumsum([0] + [len(r[0]) for r in rows]).astype(np.int32)
    idx = np.array([c for r in rows for c in r[0]], dtype=np.int32)
    val = np.array([v for r in rows for v in r[1]], dtype=np.float64)
    integ = np.zeros(n, dtype=np.int8)
    if integer is True:
        integ[:] = 1
    elif integer:
        integ[list(integer)] = 1
    if cols is None:
        cols = [ColumnBlock("x", 0, n, [S("I", list(range(n)))],
                            "integer" if integer is True else "real")]
    if row_blocks is None:
        row_blocks = [RowBlock(f"r{i}", i, 1, [()]) for i in range(len(rows))]
    qr, qc, qv = q if q else ([], [], [])
    return Lowered(
        sense=sense,
        col_lb=np.broadcast_to(np.asarray(lb, float), (n,)).copy(),
        col_ub=np.broadcast_to(np.asarray(ub, float), (n,)).copy(),
        integrality=integ, cols=cols,
        obj=np.asarray(obj if obj is not None else [0.0] * n, dtype=np.float64),
        obj_offset=offset,
        q_rows=np.asarray(qr, dtype=np.int32), q_cols=np.asarray(qc, dtype=np.int32),
        q_vals=np.asarray(qv, dtype=np.float64),
        a_start=start, a_index=idx, a_value=val,
        row_lo=np.array([r[2] for r in rows], dtype=np.float64),
        row_hi=np.array([r[3] for r in rows], dtype=np.float64),
        rows=row_blocks, cp_constraints=cp or [],
        problem_class="MILP" if integ.any() else ("QP" if q else "LP"),
    )


# --- HiGHS: LP, duals, slacks --------------------------------------------------------------

def _lp(sense: str = "maximize") -> Lowered:
    # max x + y  s.t.  x + 2y <= 4 (c[1]),  3x + y <= 6 (c[2]),  x <= 10 (cap);  x, y >= 0
    # optimum x = 1.6, y = 1.2, obj 2.8; shadow prices 0.4 and 0.2, cap slack 8.4
    sign = 1.0 if sense == "maximize" else -1.0
    return make(
        2, [([0, 1], [1, 2], -INF, 4), ([0, 1], [3, 1], -INF, 6), ([0], [1], -INF, 10)],
        obj=[sign, sign], sense=sense,
        cols=[ColumnBlock("v", 0, 2, [S("K", ["x", "y"])], "real")],
        row_blocks=[RowBlock("c", 0, 2, [1, 2]), RowBlock("cap", 2, 1, [()])],
    )


def test_lp_values_duals_slacks() -> None:
    sol = solve_highs(_lp())
    assert sol.status == Status.OPTIMAL and sol.solver == "highs"
    assert sol.objective == pytest.approx(2.8)
    assert sol.value("v", "x") == pytest.approx(1.6)
    assert sol.values["v"]["y"] == pytest.approx(1.2)
    assert sol.duals["c"][1] == pytest.approx(0.4)
    assert sol.duals["c"][2] == pytest.approx(0.2)
    assert sol.duals["cap"][()] == pytest.approx(0.0)
    assert sol.slacks["c"][1] == pytest.approx(0.0, abs=1e-9)
    assert sol.slacks["cap"][()] == pytest.approx(8.4)
    assert sol.reduced_costs["v"]["x"] == pytest.approx(0.0, abs=1e-9)
    assert sol.best_bound is None and sol.solve_time > 0


def test_lp_min_duals_are_shadow_prices() -> None:
    sol = solve_highs(_lp("minimize"))  # min -x - y: loosening c[1] by 1 lowers the objective 0.4
    assert sol.objective == pytest.approx(-2.8)
    assert sol.duals["c"][1] == pytest.approx(-0.4)
    assert sol.duals["c"][2] == pytest.approx(-0.2)


def test_multi_index_keys_and_aux_skipped() -> None:
    cols = [
        ColumnBlock("ship", 0, 4, [S("P", ["s", "d"]), S("M", ["ny", "chi"])], "real"),
        ColumnBlock("_aux", 4, 1, [], "real", auxiliary=True),
    ]
    # min sum cost*ship, each market gets >= 1; aux >= 0 with cost 0
    low = make(5, [([0, 2], [1, 1], 1, INF), ([1, 3], [1, 1], 1, INF)],
               obj=[1, 2, 3, 1, 0], cols=cols,
               row_blocks=[RowBlock("demand", 0, 2, lambda j: ["ny", "chi"][j])])
    sol = solve_highs(low)
    assert sol.objective == pytest.approx(2.0)
    assert set(sol.values) == {"ship"}
    assert sol.values["ship"][("s", "ny")] == pytest.approx(1.0)
    assert sol.values["ship"][("d", "chi")] == pytest.approx(1.0)
    assert set(sol.duals["demand"]) == {"ny", "chi"}
    assert sol.duals["demand"]["chi"] == pytest.approx(1.0)


# --- HiGHS: MILP, QP ---------------------------------------------------------------------

W = [12, 7, 11, 8, 9, 6, 14, 5]
V = [24, 13, 23, 15, 16, 11, 27, 9]
CAP = 35


def _knapsack() -> Lowered:
    return make(len(W), [(list(range(len(W))), W, -INF, CAP)], obj=V, sense="maximize",
                lb=0, ub=1, integer=True)


def _knapsack_brute() -> float:
    best = 0
    for pick in itertools.product([0, 1], repeat=len(W)):
        if sum(w * p for w, p in zip(W, pick)) <= CAP:
            best = max(best, sum(v * p for v, p in zip(V, pick)))
    return best


def test_milp_knapsack_matches_brute_force() -> None:
    opt = _knapsack_brute()
    sol = solve_highs(_knapsack())
    assert sol.status == Status.OPTIMAL
    assert sol.objective == pytest.approx(opt)
    assert sol.best_bound == pytest.approx(opt, rel=1e-6)
    assert sol.gap is not None and sol.gap <= 1e-4
    assert sol.duals is None
    picked = [k for k, v in sol.values["x"].items() if v > 0.5]
    assert all(v in (0.0, 1.0) for v in sol.values["x"].values())
    assert sum(W[k] for k in picked) <= CAP
    assert sum(V[k] for k in picked) == opt


def test_qp_projection() -> None:
    # min (x-1)^2 + (y-2)^2 = x^2 + y^2 - 2x - 4y + 5  s.t. x + y <= 2 → (0.5, 1.5), obj 0.5
    low = make(2, [([0, 1], [1, 1], -INF, 2)], obj=[-2, -4], lb=-INF, q=([0, 1], [0, 1], [2, 2]),
               offset=5.0)
    sol = solve_highs(low)
    assert sol.status == Status.OPTIMAL
    assert sol.values["x"][0] == pytest.approx(0.5, abs=1e-5)
    assert sol.values["x"][1] == pytest.approx(1.5, abs=1e-5)
    assert sol.objective == pytest.approx(0.5, abs=1e-6)


def test_qp_offdiagonal_symmetric() -> None:
    # min x^2 + xy + y^2 - 3x  (Q = [[2,1],[1,2]]): gradient 2x + y = 3, x + 2y = 0 → (2, -1), -3
    low = make(2, [], obj=[-3, 0], lb=-INF, q=([0, 0, 1, 1], [0, 1, 0, 1], [2, 1, 1, 2]))
    sol = solve_highs(low)
    assert sol.values["x"][0] == pytest.approx(2.0, abs=1e-5)
    assert sol.values["x"][1] == pytest.approx(-1.0, abs=1e-5)
    assert sol.objective == pytest.approx(-3.0, abs=1e-6)


# --- infeasible and unbounded -------------------------------------------------------------

def _infeasible_lp() -> Lowered:
    # cap: x + y <= 1 ; need: x >= 2 ; other: y - z <= 5 ; other2: z <= 3 — conflict {cap, need}
    return make(3, [([0, 1], [1, 1], -INF, 1), ([0], [1], 2, INF), ([1, 2], [1, -1], -INF, 5),
                    ([2], [1], -INF, 3)],
                obj=[1, 1, 1],
                row_blocks=[RowBlock("cap", 0, 1, [()]), RowBlock("need", 1, 1, ["x"]),
                            RowBlock("other", 2, 2, [1, 2])])


def test_infeasible_lp_iis_highs() -> None:
    low = _infeasible_lp()
    assert solve_highs(low).status == Status.INFEASIBLE
    res = compute_iis(low)
    assert res.method == "highs-iis"
    assert sorted(res.rows) == ["cap", "need[x]"]
    assert "x[1] >= 0" in res.bounds


def test_infeasible_lp_iis_deletion_filter() -> None:
    import time

    low = _infeasible_lp()
    res = _deletion_filter(low, time.perf_counter() + 10, None, None)
    assert res.method == "deletion-filter" and res.complete
    assert sorted(res.rows) == ["cap", "need[x]"]


def test_infeasible_milp_iis() -> None:
    # parity: 2a + 2b == 3 has no integer solution (LP-feasible); other rows irrelevant
    low = make(3, [([0, 1], [2, 2], 3, 3), ([0, 2], [1, 1], -INF, 8), ([2], [1], 1, INF)],
               obj=[1, 1, 1], ub=5, integer=True,
               row_blocks=[RowBlock("parity", 0, 1, [()]), RowBlock("cap", 1, 1, [()]),
                           RowBlock("low", 2, 1, [()])])
    sol = solve(low)
    assert sol.status == Status.INFEASIBLE
    assert sol.iis == ["parity"]
    assert find_iis(low) == ["parity"]


def test_solve_fills_iis_and_bounds() -> None:
    sol = solve(_infeasible_lp())
    assert sol.status == Status.INFEASIBLE
    assert sorted(sol.iis) == ["cap", "need[x]"]
    assert sol.iis_bounds and "cap" in sol.message


def test_conflicting_bounds() -> None:
    low = make(2, [([0, 1], [1, 1], -INF, 10)], lb=[0, 0.2], ub=[1, 0.8], integer=[1])
    sol = solve(low)
    assert sol.status == Status.INFEASIBLE
    assert sol.iis == [] and sol.iis_bounds == ["0.2 <= x[1] <= 0.8"]


def test_unbounded_lp_names_variables() -> None:
    # max x + y  s.t. x - y <= 1 — runs off along x = y
    low = make(3, [([0, 1], [1, -1], -INF, 1), ([2], [1], -INF, 4)], obj=[1, 1, 0],
               sense="maximize")
    sol = solve_highs(low)
    assert sol.status == Status.UNBOUNDED
    assert set(sol.unbounded_variables) == {"x[0]", "x[1]"}


def test_unbounded_or_infeasible_resolved() -> None:
    # free x with cost 1 minimized and an x-free infeasible pair: presolve may say "unb. or inf."
    low = make(2, [([1], [1], 3, INF), ([1], [1], -INF, 1)], obj=[1, 0], lb=-INF)
    assert solve_highs(low).status == Status.INFEASIBLE
    low2 = make(2, [([1], [1], 0, 1)], obj=[1, 0], lb=-INF)
    assert solve_highs(low2).status == Status.UNBOUNDED


def test_feasibility_model_status_optimal() -> None:
    low = make(2, [([0, 1], [1, 1], 3, 3)], obj=[5, 7], sense="feasibility", ub=2, integer=True)
    for sol in (solve_highs(low), solve_cpsat(low)):
        assert sol.status == Status.OPTIMAL
        assert sol.objective == 0.0
        assert sum(sol.values["x"].values()) == pytest.approx(3)


def test_highs_refuses_cp_constraints() -> None:
    low = make(2, [], integer=True, ub=3,
               cp=[CPConstraint("all_different", "diff", (), {"exprs": [([0], [1], 0),
                                                                        ([1], [1], 0)]})])
    with pytest.raises(ModelError) as e:
        solve_highs(low)
    assert e.value.diagnostics[0].code == "needs-cpsat"


def test_highs_bad_option() -> None:
    with pytest.raises(ValueError, match="no_such_option"):
        solve_highs(_lp(), options={"no_such_option": 1})


# --- time limits -------------------------------------------------------------------------

def _market_split(m: int = 4, n: int = 30, seed: int = 3) -> Lowered:
    """Cornuéjols–Dawande market split: tiny and notoriously hard for branch and bound."""
    rng = np.random.default_rng(seed)
    a = rng.integers(0, 100, size=(m, n))
    rows = [(list(range(n)), a[i].tolist(), a[i].sum() // 2, a[i].sum() // 2) for i in range(m)]
    return make(n, rows, obj=rng.integers(1, 10, size=n).tolist(), ub=1, integer=True)


def test_highs_time_limit() -> None:
    sol = solve_highs(_market_split(), time_limit=0.3)
    assert sol.status in (Status.FEASIBLE, Status.TIME_LIMIT)
    assert sol.wall_time < 5
    if sol.status == Status.FEASIBLE:
        assert sol.gap is not None and sol.gap > 0


def test_cpsat_time_limit() -> None:
    sol = solve_cpsat(_market_split(m=5, n=40), time_limit=0.3, threads=1)
    assert sol.status in (Status.FEASIBLE, Status.TIME_LIMIT, Status.OPTIMAL, Status.INFEASIBLE)
    assert sol.status != Status.ERROR
    assert sol.wall_time < 5


# --- CP-SAT -------------------------------------------------------------------------------

def test_cpsat_knapsack_matches_brute_force() -> None:
    sol = solve_cpsat(_knapsack(), threads=2)
    assert sol.status == Status.OPTIMAL and sol.solver == "cpsat"
    assert sol.objective == pytest.approx(_knapsack_brute())
    assert sol.best_bound == pytest.approx(sol.objective)


def test_cpsat_scales_fractions_exactly() -> None:
    # max x + 2y  s.t. 0.5x + 0.5y <= 1.5, x/3 + y/3 >= 1/3 ; x, y in [0, 3] → y = 3, x = 0: 6
    low = make(2, [([0, 1], [0.5, 0.5], -INF, 1.5), ([0, 1], [1 / 3, 1 / 3], 1 / 3, INF)],
               obj=[1, 2], sense="maximize", ub=3, integer=True)
    sol = solve_cpsat(low)
    assert sol.status == Status.OPTIMAL and sol.objective == pytest.approx(6)
    # fractional objective: max 0.25x + y/3 s.t. x + y <= 3 → x=0,y=3: 1.0
    low2 = make(2, [([0, 1], [1, 1], -INF, 3)], obj=[0.25, 1 / 3], sense="maximize", ub=3,
                integer=True, offset=0.5)
    sol2 = solve_cpsat(low2)
    assert sol2.objective == pytest.approx(1.5)
    assert sol2.best_bound == pytest.approx(1.5)


def test_cpsat_refuses_inexact_coefficient() -> None:
    low = make(2, [([0, 1], [math.sqrt(2), 1], -INF, 3)], obj=[1, 1], sense="maximize", ub=3,
               integer=True, row_blocks=[RowBlock("lim", 0, 1, ["a"])])
    with pytest.raises(ModelError) as e:
        solve_cpsat(low)
    d = e.value.diagnostics[0]
    assert d.code == "cpsat-inexact-coefficient"
    assert d.location.item == "lim" and "1.414" in d.message


def test_cpsat_refuses_real_and_unbounded() -> None:
    with pytest.raises(ModelError) as e:
        solve_cpsat(make(2, [], obj=[1, 1], ub=3, integer=[0]))
    assert e.value.diagnostics[0].code == "cpsat-real-variable"
    assert "x[1]" in e.value.diagnostics[0].message
    with pytest.raises(ModelError) as e:
        solve_cpsat(make(2, [], obj=[1, 1], integer=True))
    assert e.value.diagnostics[0].code == "unbounded-integer-cpsat"
    # a variable nothing refers to is not modelled: it may be real or unbounded
    sol = solve_cpsat(make(2, [], obj=[1, 0], lb=[2, -5], ub=[3, 7], integer=[0]))
    assert sol.status == Status.OPTIMAL and sol.values["x"][0] == 2 and sol.values["x"][1] == 0


def test_unused_integer_variable_keeps_a_convex_qp_on_highs() -> None:
    import solvers

    m = {"variables": {"x": {"lb": 0, "ub": 10}, "z": {"domain": "integer", "lb": 1, "ub": 3}},
         "sense": "minimize", "objective": "(x - 2)**2"}
    assert solvers.check_model(m).problem_class == "QP"
    sol = solvers.solve(m)
    assert sol.solver == "highs" and sol.objective == pytest.approx(0, abs=1e-6)
    assert sol.values["z"][()] == 1 and sol.values["x"][()] == pytest.approx(2, abs=1e-3)


def _diff(n: int, lo: int, hi: int) -> CPConstraint:
    return CPConstraint("all_different", "diff", (),
                        {"exprs": [([i], [1.0], 0.0) for i in range(n)]})


def test_cpsat_all_different() -> None:
    # x in [1,3]^3 all different, min x0 + 2x1 + 3x2 → (3, 2, 1): 10
    low = make(3, [], obj=[1, 2, 3], lb=1, ub=3, integer=True, cp=[_diff(3, 1, 3)])
    sol = solve_cpsat(low)
    assert sol.status == Status.OPTIMAL and sol.objective == pytest.approx(10)
    assert [sol.values["x"][i] for i in range(3)] == [3, 2, 1]
    low4 = make(4, [], obj=[1] * 4, lb=1, ub=3, integer=True, cp=[_diff(4, 1, 3)])
    assert solve_cpsat(low4).status == Status.INFEASIBLE
    assert solve(low).solver == "cpsat"  # auto picks CP-SAT for CP constraints


def test_cpsat_implies_or_abs_max() -> None:
    # cols: y (0, binary), a (1), b (2), t (3), m (4), all integer
    # implies(y, a >= 4); y == 1 (row); or(a <= 1, b >= 5); t = |a - b|; m = max(a, b)
    # min t + m + b  with a, b in [0, 6] → a >= 4 so b >= 5: b = 5, a = 5 (t 0) → 0 + 5 + 5 = 10
    cp = [
        CPConstraint("implies", "imp", (), {"literal": (0, True), "rows": [([1], [1.0], 4, INF)]}),
        CPConstraint("or", "either", (), {"alternatives": [[([1], [1.0], -INF, 1)],
                                                            [([2], [1.0], 5, INF)]]}),
        CPConstraint("abs", "dist", (), {"target": 3, "exprs": [([1, 2], [1.0, -1.0], 0.0)]}),
        CPConstraint("max", "top", (), {"target": 4, "exprs": [([1], [1.0], 0.0),
                                                               ([2], [1.0], 0.0)]}),
    ]
    low = make(5, [([0], [1], 1, 1)], obj=[0, 0, 1, 1, 1], lb=0, ub=[1, 6, 6, 12, 12],
               integer=True, cp=cp)
    sol = solve_cpsat(low)
    assert sol.status == Status.OPTIMAL
    assert sol.objective == pytest.approx(10)
    x = sol.values["x"]
    assert (x[1], x[2], x[3], x[4]) == (5, 5, 0, 5)
    # negated literal: implies(not y, a >= 4) with y = 1 frees a → a = b = 0 ... but or → b >= 5
    # or a <= 1: a = 0, b = 0 satisfies "a <= 1": t = 0, m = 0 → objective 0
    cp[0] = CPConstraint("implies", "imp", (), {"literal": (0, False),
                                                "rows": [([1], [1.0], 4, INF)]})
    assert solve_cpsat(make(5, [([0], [1], 1, 1)], obj=[0, 0, 1, 1, 1], lb=0,
                            ub=[1, 6, 6, 12, 12], integer=True, cp=cp)).objective == 0


def test_cpsat_quadratic_objective() -> None:
    # min (x - 2)^2 + (y + 1)^2 over integers in [-3, 3]^2 → (2, -1), 0; expanded with offset 5
    low = make(2, [], obj=[-4, 2], lb=-3, ub=3, integer=True, q=([0, 1], [0, 1], [2, 2]),
               offset=5.0)
    sol = solve_cpsat(low)
    assert sol.status == Status.OPTIMAL
    assert sol.objective == pytest.approx(0) and sol.values["x"][0] == 2


# --- LP / MPS writing ----------------------------------------------------------------------

@pytest.mark.parametrize("writer,suffix", [(write_lp, ".lp"), (write_mps, ".mps")])
def test_write_and_read_back(tmp_path: Path, writer, suffix: str) -> None:
    import highspy

    from solvers.backends.highs import new_highs

    path = writer(_lp(), tmp_path / f"m{suffix}")
    text = path.read_text()
    assert "c(1)" in text and "v(x)" in text and "cap" in text
    h = new_highs()
    assert h.readModel(str(path)) != highspy.HighsStatus.kError
    h.run()
    assert h.getInfo().objective_function_value == pytest.approx(2.8)
    with pytest.raises(ValueError):
        writer(_lp(), tmp_path / "m.txt")


def test_banner_not_on_stdout(tmp_path: Path) -> None:
    import subprocess
    import sys

    code = ("from solvers.backends.highs import new_highs; new_highs(); new_highs(); "
            "print('ONLY')")
    root = Path(__file__).resolve().parents[1]
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=root,
                         timeout=60)
    assert out.stdout == "ONLY\n"


def test_cpsat_iis_names_global_constraint() -> None:
    # 4 variables in [1, 3] cannot be all different; the sum row is irrelevant
    low = make(4, [([0, 1], [1, 1], -INF, 6)], obj=[1] * 4, lb=1, ub=3, integer=True,
               cp=[_diff(4, 1, 3)], row_blocks=[RowBlock("pair", 0, 1, [()])])
    sol = solve(low)
    assert sol.status == Status.INFEASIBLE and sol.solver == "cpsat"
    assert sol.iis == ["diff"]


def test_cpsat_iis_rows_and_implies() -> None:
    # y == 1 (fix), implies(y, a >= 4) (imp), a <= 2 (cap), b <= 5 (other) → {fix, imp, cap}
    cp = [CPConstraint("implies", "imp", "k", {"literal": (0, True),
                                               "rows": [([1], [1.0], 4, INF)]})]
    low = make(3, [([0], [1], 1, 1), ([1], [1], -INF, 2), ([2], [1], -INF, 5)], obj=[0, 1, 1],
               ub=[1, 6, 6], integer=True, cp=cp,
               row_blocks=[RowBlock("fix", 0, 1, [()]), RowBlock("cap", 1, 1, [()]),
                           RowBlock("other", 2, 1, [()])])
    sol = solve(low, backend="cpsat")
    assert sol.status == Status.INFEASIBLE
    assert sorted(sol.iis) == ["cap", "fix", "imp[k]"]


# --- end to end through solvers.solve ----------------------------------------------------

TRANSPORT = {
    "name": "transport",
    "sense": "minimize",
    "sets": {"P": ["seattle", "san_diego"], "M": ["ny", "chicago", "topeka"]},
    "params": {
        "supply": {"index": ["P"], "values": {"seattle": 350, "san_diego": 600}},
        "demand": {"index": ["M"], "values": {"ny": 325, "chicago": 300, "topeka": 275}},
        "dist": {"index": ["P", "M"], "values": {
            "seattle": {"ny": 2.5, "chicago": 1.7, "topeka": 1.8},
            "san_diego": {"ny": 2.5, "chicago": 1.8, "topeka": 1.4}}},
    },
    "variables": {"ship": {"index": ["P", "M"], "lb": 0}},
    "objective": "sum(90 * dist[p, m] / 1000 * ship[p, m] for p in P for m in M)",
    "constraints": [
        {"name": "supply_limit", "forall": "p in P",
         "expr": "sum(ship[p, m] for m in M) <= supply[p]"},
        {"name": "demand_met", "forall": "m in M",
         "expr": "sum(ship[p, m] for p in P) >= demand[m]"},
    ],
}


def test_e2e_transport_gams_optimum() -> None:
    import solvers

    sol = solvers.solve(TRANSPORT)
    assert sol.status == Status.OPTIMAL and sol.solver == "highs"
    assert sol.objective == pytest.approx(153.675)  # GAMS trnsport model, the textbook value
    assert sum(sol.values["ship"][("seattle", m)] for m in ("ny", "chicago", "topeka")) <= 350 + 1e-6
    assert sol.duals["demand_met"]["ny"] == pytest.approx(0.225)  # GAMS marginal of demand(ny)
    assert sol.wall_time >= sol.solve_time > 0
    rep = solvers.check(TRANSPORT, sol)
    assert rep.feasible


def test_e2e_infeasible_names_instances() -> None:
    import copy

    import solvers

    m = copy.deepcopy(TRANSPORT)
    m["params"]["supply"]["values"]["san_diego"] = 500  # 850 < 900 demanded
    sol = solvers.solve(m)
    assert sol.status == Status.INFEASIBLE
    assert sorted(sol.iis) == sorted(["supply_limit[seattle]", "supply_limit[san_diego]",
                                      "demand_met[ny]", "demand_met[chicago]",
                                      "demand_met[topeka]"])


def test_e2e_unbounded() -> None:
    import solvers

    m = {"sense": "maximize", "sets": {"I": ["a", "b"]},
         "variables": {"x": {"index": ["I"], "lb": 0}, "z": {"lb": 0, "ub": 1}},
         "objective": "x['a'] + z",
         "constraints": [{"name": "link", "expr": "x['a'] - x['b'] <= 1"}]}
    sol = solvers.solve(m)
    assert sol.status == Status.UNBOUNDED
    assert "x[a]" in sol.unbounded_variables and "z" not in sol.unbounded_variables


def test_e2e_knapsack_both_backends_and_cp() -> None:
    import solvers

    m = {"sense": "maximize", "sets": {"I": list(range(len(W)))},
         "params": {"w": {"index": ["I"], "values": W}, "v": {"index": ["I"], "values": V}},
         "variables": {"take": {"index": ["I"], "domain": "binary"}},
         "objective": "sum(v[i] * take[i] for i in I)",
         "constraints": [{"name": "cap", "expr": f"sum(w[i] * take[i] for i in I) <= {CAP}"}]}
    opt = _knapsack_brute()
    a, b = solvers.solve(m, backend="highs"), solvers.solve(m, backend="cpsat")
    assert a.objective == pytest.approx(opt) and b.objective == pytest.approx(opt)
    assert solvers.check(m, b).feasible
    # CP: 3 integer variables in 1..3, all different, fractional weights scale exactly
    cp = {"sets": {"I": [1, 2, 3]},
          "variables": {"x": {"index": ["I"], "domain": "integer", "lb": 1, "ub": 3}},
          "sense": "minimize", "objective": "0.5 * x[1] + x[2] / 3 + 1.5 * x[3]",
          "constraints": [{"name": "diff", "expr": "all_different(x[i] for i in I)"}]}
    sol = solvers.solve(cp)
    assert sol.solver == "cpsat" and sol.status == Status.OPTIMAL
    # x3 = 1, x1 = 2, x2 = 3: 1 + 1 + 1.5 = 3.5 (the 6 permutations give >= 3.5)
    assert sol.objective == pytest.approx(3.5)
    assert [sol.values["x"][i] for i in (1, 2, 3)] == [2, 3, 1]
    with pytest.raises(ModelError) as e:
        solvers.solve(TRANSPORT, backend="cpsat")
    assert e.value.diagnostics[0].code == "cpsat-real-variable"


def test_e2e_write_lp_from_model(tmp_path: Path) -> None:
    text = write_lp(TRANSPORT, tmp_path / "t.lp").read_text()
    assert "supply_limit(seattle)" in text and "ship(seattle_ny)" in text


def test_cpsat_empty_integer_domain_is_infeasible() -> None:
    low = make(2, [([0, 1], [1, 1], -INF, 10)], lb=[0, 0.2], ub=[3, 0.8], integer=True)
    assert solve_cpsat(low).status == Status.INFEASIBLE


def test_auto_sends_disjunctive_integer_models_to_cpsat_and_linear_ones_to_highs():
    import solvers

    js = solvers.solve("problems/examples/job_shop/model.json")
    assert js.solver == "cpsat" and js.objective == 12  # expected.json: 12 (all 13,824 orderings tried)
    ks = solvers.solve("problems/examples/knapsack/model.json")
    assert ks.solver == "highs" and ks.objective == 1030
    forced = solvers.solve("problems/examples/job_shop/model.json", backend="highs")
    assert forced.solver == "highs" and forced.objective == 12


# --- the deletion filter shared by CP-SAT and SCIP ----------------------------------------------
def test_exact_filter_drops_all_parts_of_one_constraint_together() -> None:
    """Rows of `cover`, the rows of its reformulation (`_abs[cover]`) and its CP/nonlinear part
    form one group; the filter keeps exactly the conflicting parts and asks its oracle which
    subsets conflict (here: cover's row with its reformulation row and its CP part)."""
    from types import SimpleNamespace

    from solvers.iis import _exact_filter

    low = make(2, [([0], [1], 1, INF), ([0, 1], [1, -1], 0, INF), ([1], [1], -INF, 5)],
               row_blocks=[RowBlock("cover", 0, 1, [()]), RowBlock("_abs[cover]", 1, 1, [()]),
                           RowBlock("cap", 2, 1, [()])])
    others = [SimpleNamespace(name="cover", key=("a",)), SimpleNamespace(name="spare", key=())]
    asked: list[tuple[list[int], list[int]]] = []

    def infeasible(rows: list[int], parts: list[int], seconds: float) -> bool:
        asked.append((sorted(rows), sorted(parts)))
        return {0, 1} <= set(rows) and 0 in parts

    iis = _exact_filter(low, 10.0, others, infeasible, "test-filter", None)
    assert (iis.rows, iis.row_indices, iis.method, iis.complete) == (
        ["cover", "_abs[cover]", "cover[a]"], [0, 1], "test-filter", True)
    assert asked[0] == ([2], [1])  # the first test drops cover whole: rows, reformulation, CP part


def test_cpsat_and_scip_filters_name_the_same_conflict() -> None:
    """`|x - y| >= 3` (a CP constraint for CP-SAT, big-M rows for SCIP) against `x + y <= 2`."""
    pytest.importorskip("pyscipopt")
    m = {"variables": {"x": "integer in [0, 10]", "y": "integer in [0, 10]", "z": "integer in [0, 10]"},
         "minimize": "x + y + z",
         "constraints": {"apart": "abs(x - y) >= 3", "box": "x + y <= 2", "other": "z >= 1",
                         "loose": "z <= 9"}}
    for backend, method in (("cpsat", "cpsat-deletion-filter"), ("scip", "scip-deletion-filter")):
        sol = solve(m, backend=backend)
        assert sol.status == Status.INFEASIBLE and sol.solver == backend
        assert sol.iis == ["apart", "box"] and method in sol.message
