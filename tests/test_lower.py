"""Vectorized lowering (solvers/lower.py): exact matrices, reformulations, errors, speed smoke."""

from __future__ import annotations

import math

import numpy as np
import pytest

from solvers.diagnostics import ModelError
from solvers.lower import lower
from solvers.lowered import Lowered
from solvers.model import load_model

INF = math.inf


# --------------------------------------------------------------------------- helpers


def rows_of(L: Lowered) -> list[tuple[float, dict[int, float], float]]:
    """(lo, {col: coef}, hi) per row."""
    out = []
    for r in range(L.n_rows):
        s, e = L.a_start[r], L.a_start[r + 1]
        out.append((float(L.row_lo[r]), dict(zip(L.a_index[s:e].tolist(), L.a_value[s:e].tolist())),
                    float(L.row_hi[r])))
    return out


def named_rows(L: Lowered) -> list[tuple[str, float, dict[str, float], float]]:
    cn, rn = L.col_names(), L.row_names()
    return [(rn[i], lo, {cn[c]: v for c, v in terms.items()}, hi)
            for i, (lo, terms, hi) in enumerate(rows_of(L))]


def solve_highs(L: Lowered) -> tuple[str, float, np.ndarray]:
    """A private mini backend for confirming optima of small lowered models."""
    import highspy

    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    lp = highspy.HighsLp()
    lp.num_col_, lp.num_row_ = L.n_cols, L.n_rows
    lp.col_cost_ = L.obj
    lp.offset_ = L.obj_offset
    lp.col_lower_, lp.col_upper_ = L.col_lb, L.col_ub
    lp.row_lower_, lp.row_upper_ = L.row_lo, L.row_hi
    lp.a_matrix_.format_ = highspy.MatrixFormat.kRowwise
    lp.a_matrix_.start_ = L.a_start
    lp.a_matrix_.index_ = L.a_index
    lp.a_matrix_.value_ = L.a_value
    if L.sense == "maximize":
        lp.sense_ = highspy.ObjSense.kMaximize
    if L.integrality.any():
        lp.integrality_ = [highspy.HighsVarType.kInteger if v else highspy.HighsVarType.kContinuous
                           for v in L.integrality]
    h.passModel(lp)
    if L.has_q:
        n = L.n_cols
        Q = np.zeros((n, n))
        np.add.at(Q, (L.q_rows, L.q_cols), L.q_vals)
        start, index, value = [0], [], []
        for j in range(n):  # lower triangle, column-wise
            for i in range(j, n):
                if Q[i, j] != 0:
                    index.append(i)
                    value.append(Q[i, j])
            start.append(len(index))
        h.passHessian(n, len(value), highspy.HessianFormat.kTriangular, np.array(start, dtype=np.int32),
                      np.array(index, dtype=np.int32), np.array(value))
    h.run()
    status = h.modelStatusToString(h.getModelStatus())
    return status, h.getInfo().objective_function_value, np.array(h.getSolution().col_value)


def error_of(model, target: str = "highs"):
    with pytest.raises(ModelError) as exc:
        lower(model, target)
    return exc.value.diagnostics


TRANSPORT = {
    "name": "transport",
    "sets": {"Plants": ["seattle", "san_diego"], "Markets": ["ny", "chicago", "topeka"]},
    "params": {
        "a": {"index": ["Plants"], "values": {"seattle": 350, "san_diego": 600}},
        "b": {"index": ["Markets"], "values": {"ny": 325, "chicago": 300, "topeka": 275}},
        "d": {"index": ["Plants", "Markets"],
              "values": {"seattle": {"ny": 2.5, "chicago": 1.7, "topeka": 1.8},
                         "san_diego": {"ny": 2.5, "chicago": 1.8, "topeka": 1.4}}},
        "f": 90,
    },
    "variables": {"x": {"index": ["Plants", "Markets"], "lb": 0}},
    "objective": "sum(f * d[i, j] / 1000 * x[i, j] for i in Plants for j in Markets)",
    "constraints": [
        {"name": "supply", "forall": "i in Plants", "expr": "sum(x[i, j] for j in Markets) <= a[i]"},
        {"name": "demand", "forall": "j in Markets", "expr": "sum(x[i, j] for i in Plants) >= b[j]"},
    ],
}


# --------------------------------------------------------------------------- linear core


def test_transport_matrices_and_optimum():
    L = lower(TRANSPORT)
    assert L.problem_class == "LP" and L.sense == "minimize"
    assert L.col_names() == ["x[seattle,ny]", "x[seattle,chicago]", "x[seattle,topeka]",
                             "x[san_diego,ny]", "x[san_diego,chicago]", "x[san_diego,topeka]"]
    assert L.row_names() == ["supply[seattle]", "supply[san_diego]", "demand[ny]", "demand[chicago]",
                             "demand[topeka]"]
    assert L.a_start.tolist() == [0, 3, 6, 8, 10, 12]
    assert L.a_index.tolist() == [0, 1, 2, 3, 4, 5, 0, 3, 1, 4, 2, 5]
    assert L.a_index.dtype == np.int32
    assert np.all(L.a_value == 1.0)
    assert L.row_lo.tolist() == [-INF, -INF, 325, 300, 275]
    assert L.row_hi.tolist() == [350, 600, INF, INF, INF]
    assert np.allclose(L.obj, [0.225, 0.153, 0.162, 0.225, 0.162, 0.126])
    assert L.col_lb.tolist() == [0] * 6 and np.all(np.isinf(L.col_ub))
    assert [b.name for b in L.rows] == ["supply", "demand"]
    assert L.rows[1].keys(2) == "topeka"
    status, obj, _ = solve_highs(L)
    assert status == "Optimal" and obj == pytest.approx(153.675)


def test_index_arithmetic_with_filter():
    m = {"sets": {"T": {"range": [1, 3]}}, "params": {"dem": {"index": ["T"], "values": [1, 2, 3]}},
         "variables": {"inv": {"index": ["T"], "lb": 0}, "p": {"index": ["T"], "lb": 0, "ub": 5}},
         "objective": "sum(inv[t] for t in T)",
         "constraints": [{"name": "bal", "forall": "t in T if t > 1", "expr": "inv[t-1] + p[t] == dem[t] + inv[t]"},
                         {"name": "first", "expr": "p[1] == inv[1] + dem[1]"}]}
    L = lower(m)
    assert named_rows(L) == [
        ("bal[2]", 2.0, {"inv[1]": 1.0, "inv[2]": -1.0, "p[2]": 1.0}, 2.0),
        ("bal[3]", 3.0, {"inv[2]": 1.0, "inv[3]": -1.0, "p[3]": 1.0}, 3.0),
        ("first", 1.0, {"inv[1]": -1.0, "p[1]": 1.0}, 1.0),
    ]
    assert L.col_ub.tolist() == [INF, INF, INF, 5, 5, 5]


def test_ifexp_skips_branch_and_range_generator():
    m = {"sets": {"T": {"range": [1, 3]}}, "params": {"init": 4},
         "variables": {"inv": {"index": ["T"], "lb": 0}, "p": {"index": ["T"], "lb": 0}},
         "constraints": [
             {"name": "bal", "forall": "t in T", "expr": "(inv[t-1] if t > 1 else init) + p[t] == inv[t]"},
             {"name": "cum", "forall": "t in T", "expr": "sum(p[k] for k in range(1, t + 1)) <= 10 * t"}]}
    L = lower(m)
    assert named_rows(L) == [
        ("bal[1]", -4.0, {"inv[1]": -1.0, "p[1]": 1.0}, -4.0),
        ("bal[2]", 0.0, {"inv[1]": 1.0, "inv[2]": -1.0, "p[2]": 1.0}, 0.0),
        ("bal[3]", 0.0, {"inv[2]": 1.0, "inv[3]": -1.0, "p[3]": 1.0}, 0.0),
        ("cum[1]", -INF, {"p[1]": 1.0}, 10.0),
        ("cum[2]", -INF, {"p[1]": 1.0, "p[2]": 1.0}, 20.0),
        ("cum[3]", -INF, {"p[1]": 1.0, "p[2]": 1.0, "p[3]": 1.0}, 30.0),
    ]
    assert L.sense == "feasibility" and not L.obj.any()


ARCS = {
    "sets": {"N": ["a", "b", "c"], "A": [["a", "b"], ["b", "c"], ["a", "c"]]},
    "params": {"cap": {"index": ["A"], "values": [["a", "b", 4], ["b", "c", 3], ["a", "c", 2]]},
               "sup": {"index": ["N"], "values": {"a": 5, "b": 0, "c": -5}},
               "cost": {"index": ["N", "N"], "default": 1, "values": {"a": {"c": 3}}}},
    "variables": {"f": {"index": ["A"], "lb": 0, "ub": "cap"}},
    "objective": "sum(cost[i, j] * f[i, j] for (i, j) in A)",
    "constraints": [{"name": "cons", "forall": "n in N",
                     "expr": "sum(f[i, j] for (i, j) in A if i == n) - sum(f[i, j] for (i, j) in A if j == n) == sup[n]"},
                    {"name": "half", "forall": "a in A if cap[a] > 2", "expr": "2 * f[a] <= 2 * cap[a] + 0 * f[a]"}],
}


def test_arcs_flow_conservation_and_tuple_bindings():
    L = lower(ARCS)
    assert L.col_names() == ["f[a,b]", "f[b,c]", "f[a,c]"]
    assert L.col_ub.tolist() == [4, 3, 2]  # bare param with the variable's index, element-wise
    assert L.obj.tolist() == [1, 1, 3]  # cost over (N, N) gathered through arc components
    assert named_rows(L) == [
        ("cons[a]", 5.0, {"f[a,b]": 1.0, "f[a,c]": 1.0}, 5.0),
        ("cons[b]", 0.0, {"f[a,b]": -1.0, "f[b,c]": 1.0}, 0.0),
        ("cons[c]", -5.0, {"f[b,c]": -1.0, "f[a,c]": -1.0}, -5.0),
        ("half[a,b]", -INF, {"f[a,b]": 2.0}, 8.0),  # zero coefficient dropped
        ("half[b,c]", -INF, {"f[b,c]": 2.0}, 6.0),
    ]
    assert L.rows[1].keys(0) == ("a", "b")
    status, obj, x = solve_highs(L)
    assert status == "Optimal" and obj == pytest.approx(3 * 1 + 3 * 1 + 2 * 3)


def test_tuple_forall_keys_and_membership_filter():
    m = {"sets": {"N": ["a", "b", "c"], "A": [["a", "b"], ["b", "c"]]},
         "variables": {"x": {"index": ["N", "N"], "lb": 0, "ub": 1}},
         "constraints": [{"name": "pairs", "forall": "i in N, j in N if (i, j) in A", "expr": "x[i, j] + x[j, i] <= 1"},
                         {"name": "arcs", "forall": "(i, j) in A", "expr": "x[i, j] >= 0.5"},
                         {"name": "diag", "forall": "i in N, j in N if i < j and not (i, j) in A",
                          "expr": "x[i, j] == 0"}]}
    L = lower(m)
    names = [r[0] for r in named_rows(L)]
    assert names == ["pairs[a,b]", "pairs[b,c]", "arcs[a,b]", "arcs[b,c]", "diag[a,c]"]
    assert L.rows[1].keys(1) == ("b", "c")
    assert rows_of(L)[0] == (-INF, {1: 1.0, 3: 1.0}, 1.0)


def test_filters_in_sum_and_forall():
    m = {"sets": {"I": ["p", "q", "r"]},
         "params": {"w": {"index": ["I"], "values": [3, 0, 5]}},
         "variables": {"x": {"index": ["I"], "lb": 0}},
         "constraints": [{"name": "pos", "forall": "i in I if w[i] > 0", "expr": "x[i] <= w[i]"},
                         {"name": "tot", "expr": "sum(w[i] * x[i] for i in I if w[i] >= 1 and i != 'r') >= 2"}]}
    assert named_rows(lower(m)) == [("pos[p]", -INF, {"x[p]": 1.0}, 3.0), ("pos[r]", -INF, {"x[r]": 1.0}, 5.0),
                                    ("tot", 2.0, {"x[p]": 3.0}, INF)]


def test_chains_and_both_sides():
    m = {"sets": {"I": [1, 2]}, "params": {"lo": {"index": ["I"], "values": [1, 2]}},
         "variables": {"x": {"index": ["I"]}, "y": {}},
         "constraints": [{"name": "rng", "forall": "i in I", "expr": "lo[i] <= 2 * x[i] + 1 <= 10"},
                         {"name": "vchain", "expr": "x[1] <= y <= x[2]"},
                         {"name": "rev", "expr": "5 >= y >= -1"}]}
    assert named_rows(lower(m)) == [
        ("rng[1]", 0.0, {"x[1]": 2.0}, 9.0), ("rng[2]", 1.0, {"x[2]": 2.0}, 9.0),
        ("vchain", -INF, {"x[1]": 1.0, "y": -1.0}, 0.0), ("vchain", -INF, {"y": 1.0, "x[2]": -1.0}, 0.0),
        ("rev", -1.0, {"y": 1.0}, 5.0)]


def test_strict_inequality_on_integers():
    m = {"variables": {"n": {"domain": "integer", "lb": 0.5, "ub": 7.9}, "b": {"domain": "binary"}},
         "constraints": [{"name": "s", "expr": "2 * n < 9 + b"}, {"name": "g", "expr": "n > b"}]}
    L = lower(m)
    assert L.col_lb.tolist() == [1, 0] and L.col_ub.tolist() == [7, 1]  # integral bounds
    assert rows_of(L) == [(-INF, {0: 2.0, 1: -1.0}, 8.0), (1.0, {0: 1.0, 1: -1.0}, INF)]
    assert L.problem_class == "MILP"
    d = error_of({"variables": {"x": {}}, "constraints": [{"name": "s", "expr": "x < 3"}]})
    assert d[0].code == "strict-inequality" and d[0].location.item == "s"
    d = error_of({"variables": {"n": {"domain": "integer"}}, "constraints": [{"name": "s", "expr": "0.5 * n < 3"}]})
    assert d[0].code == "strict-inequality"


def test_trivial_constraints():
    m = {"sets": {"I": ["a", "b"]}, "params": {"w": {"index": ["I"], "values": [0, 2]}},
         "variables": {"x": {"index": ["I"], "lb": 0}},
         "constraints": [{"name": "mixed", "forall": "i in I", "expr": "sum(x[j] for j in I if w[j] > 0 and j == i) <= 4"},
                         {"name": "cancel", "expr": "x['a'] - x['a'] <= 1"}]}
    L = lower(m)
    assert named_rows(L) == [("mixed[b]", -INF, {"x[b]": 1.0}, 4.0)]
    infos = [d for d in L.diagnostics if d.code == "trivial-constraint"]
    assert [d.location.item for d in infos] == ["mixed", "cancel"] and all(d.severity == "info" for d in infos)
    d = error_of({**m, "constraints": [{"name": "bad", "forall": "i in I", "expr": "w[i] >= 1"}]})
    assert d[0].code == "infeasible-constant" and d[0].location.index == ("a",)


def test_variable_bounds_expressions():
    m = {"sets": {"Items": ["u", "v"]}, "params": {"stock": {"index": ["Items"], "values": [3, 4]}, "k": 2},
         "variables": {"x": {"index": ["i in Items"], "lb": "-stock[i]", "ub": "stock[i] * k"},
                       "y": {"index": ["Items"], "domain": "binary", "ub": 5},
                       "z": {"domain": "integer", "lb": "k / 4", "ub": "k * 10 + 0.5"}}}
    L = lower(m)
    assert L.col_lb.tolist() == [-3, -4, 0, 0, 1] and L.col_ub.tolist() == [6, 8, 1, 1, 20]
    assert L.integrality.tolist() == [0, 0, 1, 1, 1]


# --------------------------------------------------------------------------- logic & reformulations

BASE = {"sets": {"I": [1, 2]}, "params": {"cap": {"index": ["I"], "values": [4, 6]}},
        "variables": {"x": {"index": ["I"], "lb": -2, "ub": 10}, "y": {"index": ["I"], "domain": "binary"}}}


def test_implies_big_m_values():
    L = lower({**BASE, "constraints": [
        {"name": "imp", "forall": "i in I", "expr": "implies(y[i], x[i] <= cap[i])"},
        {"name": "neg", "forall": "i in I", "expr": "implies(not y[i], x[i] >= 3)"},
        {"name": "eq0", "expr": "implies(y[1] == 0, x[1] == 1)"}]})
    assert named_rows(L) == [
        ("imp[1]", -INF, {"x[1]": 1.0, "y[1]": 6.0}, 10.0),  # M = 10 - 4
        ("imp[2]", -INF, {"x[2]": 1.0, "y[2]": 4.0}, 10.0),  # M = 10 - 6
        ("neg[1]", 3.0, {"x[1]": 1.0, "y[1]": 5.0}, INF),  # m = 3 - (-2)
        ("neg[2]", 3.0, {"x[2]": 1.0, "y[2]": 5.0}, INF),
        ("eq0", -INF, {"x[1]": 1.0, "y[1]": -9.0}, 1.0),
        ("eq0", 1.0, {"x[1]": 1.0, "y[1]": 3.0}, INF)]


def test_implies_and_or_for_cpsat_records():
    L = lower({**BASE, "constraints": [
        {"name": "imp", "forall": "i in I", "expr": "implies(y[i] == 0, x[i] <= cap[i] and x[i] >= 1)"},
        {"name": "orc", "expr": "x[1] <= 0 or x[1] + x[2] >= 5"}]}, "cpsat")
    assert L.n_rows == 0
    imp = [c for c in L.cp_constraints if c.kind == "implies"]
    assert [c.key for c in imp] == [1, 2]
    col, positive = imp[1].data["literal"]
    assert (col, positive) == (3, False)
    (e1, lo1, hi1), (e2, lo2, hi2) = imp[1].data["rows"]
    assert e1[0].tolist() == [1] and e1[1].tolist() == [1.0] and e1[2] == 0.0 and (lo1, hi1) == (-INF, 6.0)
    assert (lo2, hi2) == (1.0, INF)
    (orc,) = [c for c in L.cp_constraints if c.kind == "or"]
    a0, a1 = orc.data["alternatives"]
    assert a0[0][0][0].tolist() == [0] and a0[0][1:] == (-INF, 0.0)
    assert a1[0][0][0].tolist() == [0, 1] and a1[0][1:] == (5.0, INF)


def test_or_big_m_and_abs_solve():
    # minimize |x - 3| subject to x <= 1 or x >= 6  →  x = 1, objective 2
    m = {"variables": {"x": {"lb": -5, "ub": 10}},
         "objective": "abs(x - 3)", "constraints": [{"name": "gap", "expr": "x <= 1 or x >= 6"}]}
    L = lower(m)
    assert L.problem_class == "MILP"
    assert [b.name for b in L.cols] == ["x", "_abs[objective]", "_or[gap]"]
    assert L.col_lb[1] == 0 and L.col_ub[1] == 8  # t ∈ [0, max |x - 3|]
    gap = [r for r in named_rows(L) if r[0] == "gap"]
    assert gap == [("gap", 1.0, {"_or[gap][0]": 1.0, "_or[gap][1]": 1.0}, INF),
                   ("gap", -INF, {"x": 1.0, "_or[gap][0]": 9.0}, 10.0),
                   ("gap", -5.0, {"x": 1.0, "_or[gap][1]": -11.0}, INF)]  # m = 6 - (-5)
    status, obj, x = solve_highs(L)
    assert status == "Optimal" and obj == pytest.approx(2.0) and x[0] == pytest.approx(1.0)


def test_abs_epigraph_rows():
    L = lower({**BASE, "objective": "sum(abs(x[i] - cap[i]) for i in I)"})
    assert not L.integrality[4:].any()  # convex use: no binaries
    assert named_rows(L) == [
        ("_abs[objective]", -4.0, {"x[1]": -1.0, "_abs[objective][0]": 1.0}, INF),
        ("_abs[objective]", -6.0, {"x[2]": -1.0, "_abs[objective][1]": 1.0}, INF),
        ("_abs[objective]", 4.0, {"x[1]": 1.0, "_abs[objective][0]": 1.0}, INF),
        ("_abs[objective]", 6.0, {"x[2]": 1.0, "_abs[objective][1]": 1.0}, INF)]
    assert L.obj.tolist() == [0, 0, 0, 0, 1, 1]
    assert solve_highs(L)[1] == pytest.approx(0.0)


def test_max_exact_and_min_epigraph_solve():
    # maximize max(x1, 2 x2) s.t. x1 + x2 <= 8: non-convex use → exact form → 16
    m = {"sets": {"I": [1, 2]}, "variables": {"x": {"index": ["I"], "lb": 0, "ub": 10}}, "sense": "maximize",
         "objective": "max(x[1], 2 * x[2])", "constraints": [{"name": "c", "expr": "x[1] + x[2] <= 8"}]}
    L = lower(m)
    assert [b.name for b in L.cols] == ["x", "_max[objective]", "_max_z[objective]"]
    assert L.col_ub[2] == 20  # t ≤ max(10, 20)
    r = named_rows(L)
    assert ("_max[objective]", -INF, {"x[1]": -1.0, "_max[objective][0]": 1.0, "_max_z[objective][0]": 20.0}, 20.0) in r
    assert ("_max[objective]", -INF, {"x[2]": -2.0, "_max[objective][0]": 1.0, "_max_z[objective][1]": 20.0}, 20.0) in r
    assert ("_max[objective]", 1.0, {"_max_z[objective][0]": 1.0, "_max_z[objective][1]": 1.0}, 1.0) in r
    assert solve_highs(L)[1] == pytest.approx(16.0)
    # maximize min(x1, x2) s.t. x1 + 2 x2 <= 6: convex use → epigraph only → 2
    m2 = {**m, "objective": "min(x[i] for i in I)", "constraints": [{"name": "c", "expr": "x[1] + 2 * x[2] <= 6"}]}
    L2 = lower(m2)
    assert L2.problem_class == "LP" and [b.name for b in L2.cols] == ["x", "_min[objective]"]
    assert solve_highs(L2)[1] == pytest.approx(2.0)
    # max(...) >= 3 in a constraint is the non-convex side → binaries
    L3 = lower({**m, "objective": "x[1]", "sense": "minimize",
                "constraints": [{"name": "c", "expr": "max(x[i] for i in I) >= 3"}]})
    assert L3.problem_class == "MILP" and solve_highs(L3)[1] == pytest.approx(0.0)


def test_minmax_abs_cpsat_records():
    m = {"sets": {"I": [1, 2]}, "variables": {"x": {"index": ["I"], "domain": "integer", "lb": -3, "ub": 4}},
         "objective": "abs(x[1]) + max(x[i] - 1 for i in I)", "constraints": [{"name": "c", "expr": "min(x[1], 2) >= 0"}]}
    L = lower(m, "cpsat")
    kinds = {c.kind: c for c in L.cp_constraints}
    ab, mx, mn = kinds["abs"], kinds["max"], kinds["min"]
    assert ab.data["target"] == 2 and len(ab.data["exprs"]) == 1
    assert L.col_lb[2] == 0 and L.col_ub[2] == 4 and L.integrality[2] == 1
    assert [(e[0].tolist(), e[1].tolist(), e[2]) for e in mx.data["exprs"]] == [([0], [1.0], -1.0), ([1], [1.0], -1.0)]
    assert mn.name == "c" and mn.data["exprs"][1][0].size == 0 and mn.data["exprs"][1][2] == 2.0
    assert L.obj[ab.data["target"]] == 1 and L.obj[mx.data["target"]] == 1


def test_all_different_and_not_equal_cpsat():
    m = {"sets": {"Q": [1, 2, 3]}, "variables": {"r": {"index": ["Q"], "domain": "integer", "lb": 1, "ub": 3}},
         "constraints": [{"name": "rows", "expr": "all_different(r[q] for q in Q)"},
                         {"name": "diag", "forall": "i in Q, j in Q if i < j", "expr": "r[i] - r[j] != i - j"},
                         {"name": "lit", "expr": "all_different(r[1], r[2] + 1)"}]}
    L = lower(m, "cpsat")
    assert L.problem_class == "CP"
    ad = [c for c in L.cp_constraints if c.kind == "all_different"]
    assert [e[0].tolist() for e in ad[0].data["exprs"]] == [[0], [1], [2]]
    assert ad[1].data["exprs"][1][2] == 1.0
    ne = [c for c in L.cp_constraints if c.kind == "not_equal"]
    assert [c.key for c in ne] == [(1, 2), (1, 3), (2, 3)]
    cols, coefs, const = ne[0].data["expr"]
    assert cols.tolist() == [0, 1] and coefs.tolist() == [1.0, -1.0] and const == 1.0
    d = error_of(m)
    assert {x.code for x in d} == {"needs-cpsat"} and d[0].location.item == "rows"


def test_qp_q_matrix_convention_and_solve():
    m = {"sets": {"A": ["u", "v"]},
         "params": {"cov": {"index": ["A", "A"], "values": [[2, 1], [0.5, 3]]}, "mu": {"index": ["A"], "values": [1, 2]}},
         "variables": {"w": {"index": ["A"], "lb": 0}},
         "objective": "sum(w[i] * w[j] * cov[i, j] for i in A for j in A) - sum(mu[i] * w[i] for i in A) + (w['u'] - 1) ** 2",
         "constraints": [{"name": "budget", "expr": "sum(w[i] for i in A) == 1"}]}
    L = lower(m)
    assert L.problem_class == "QP"
    Q = np.zeros((2, 2))
    Q[L.q_rows, L.q_cols] = L.q_vals
    cov = np.array([[2, 1], [0.5, 3]])
    assert np.allclose(Q, cov + cov.T + np.diag([2, 0]))  # ½xᵀQx = xᵀ cov x + w_u²
    assert L.obj.tolist() == [-3, -2] and L.obj_offset == 1
    # minimize x² + y² s.t. x + y = 2 → 2 at (1, 1)
    L2 = lower({"variables": {"x": {}, "y": {}}, "objective": "x**2 + y*y",
                "constraints": [{"name": "c", "expr": "x + y == 2"}]})
    status, obj, x = solve_highs(L2)
    assert status == "Optimal" and obj == pytest.approx(2.0, abs=1e-6) and np.allclose(x, [1, 1], atol=1e-4)


# --------------------------------------------------------------------------- errors


def test_undeclared_symbol_suggests_nearest():
    d = error_of({**TRANSPORT, "constraints": [{"name": "sup", "forall": "i in Plants", "expr": "sum(x[i, j] for j in Markets) <= aa[i]"}]})
    assert d[0].code == "undeclared-symbol" and "did you mean 'a'" in d[0].hint
    assert d[0].location.item == "sup" and d[0].location.field == "expr" and d[0].location.column == 34
    assert d[0].location.symbol == "aa"
    d = error_of({**TRANSPORT, "objective": "sum(x[i, j] for i in Plant for j in Markets)"})
    assert d[0].code == "undeclared-symbol" and "Plants" in d[0].hint and d[0].location.section == "objective"


def test_arity_and_index_not_in_set():
    d = error_of({**TRANSPORT, "constraints": [{"name": "c", "forall": "i in Plants", "expr": "x[i] <= 1"}]})
    assert d[0].code == "index-arity" and d[0].location.symbol == "x"
    d = error_of({"sets": {"T": {"range": [1, 3]}}, "variables": {"inv": {"index": ["T"]}},
                  "constraints": [{"name": "bal", "forall": "t in T", "expr": "inv[t] - inv[t - 1] <= 1"}]})
    assert d[0].code == "index-not-in-set"
    assert d[0].location.index == (1,) and d[0].location.column == 10 and "inv[0]" in d[0].message
    assert "if t > 1" in d[0].hint
    d = error_of({**TRANSPORT, "constraints": [{"name": "c", "expr": "x['seattle', 'boston'] <= 1"}]})
    assert d[0].code == "index-not-in-set" and "boston" in d[0].message


def test_data_context_and_nonlinear_errors():
    d = error_of({**TRANSPORT, "constraints": [{"name": "c", "forall": "i in Plants", "expr": "sum(x[i, j] for j in Markets if x[i, j] > 0) <= 1"}]})
    assert d[0].code == "variable-in-data-context" and d[0].location.symbol == "x"
    # for HiGHS (the default target) nonlinear terms are located `needs-scip` errors ...
    d = error_of({**TRANSPORT, "constraints": [{"name": "q", "forall": "i in Plants", "expr": "x[i, 'ny'] * x[i, 'chicago'] <= 1"}]})
    assert d[0].code == "needs-scip" and d[0].location.index == ("seattle",)
    d = error_of({**TRANSPORT, "objective": "sum(x[i, j] / x[i, j] for i in Plants for j in Markets)"})
    assert d[0].code == "needs-scip"
    # ... which the lowering for SCIP keeps, one expression tree per instance
    low = lower({**TRANSPORT, "constraints": [{"name": "q", "forall": "i in Plants", "expr": "x[i, 'ny'] * x[i, 'chicago'] <= 1"}]},
                target="scip")
    assert [(c.name, c.key) for c in low.nl_constraints] == [("q", "seattle"), ("q", "san_diego")]
    from solvers._nonlinear import evaluate

    x = np.arange(low.n_cols, dtype=float)  # x[i, ny] * x[i, chicago] - 1 <= 0 at any point
    assert evaluate(low.nl_constraints[0].tree, x) - low.nl_constraints[0].hi == x[0] * x[1] - 1
    assert low.problem_class == "NLP"


def test_big_m_unbounded_and_other_errors():
    m = {**BASE, "variables": {**BASE["variables"], "z": {}},
         "constraints": [{"name": "bm", "forall": "i in I", "expr": "implies(y[i], z <= 1)"}]}
    d = error_of(m)
    assert d[0].code == "big-m-unbounded" and d[0].location.index == (1,) and d[0].location.symbol == "z"
    m = {**BASE, "constraints": [{"name": "lit", "expr": "implies(x[1], x[2] <= 1)"}]}
    assert error_of(m)[0].code == "implies-literal"
    m = {**BASE, "params": {"d": {"index": ["I"], "values": [1, 0]}},
         "constraints": [{"name": "dz", "forall": "i in I", "expr": "x[i] / d[i] <= 1"}]}
    d = error_of(m)
    assert d[0].code == "division-by-zero" and d[0].location.index == (2,)
    m = {**BASE, "params": {"p": {"index": ["I"], "values": {"1": 3}}},
         "constraints": [{"name": "miss", "forall": "i in I", "expr": "x[i] <= p[i]"}]}
    d = error_of(m)
    assert d[0].code == "param-missing-value" and d[0].location.index == (2,)
    d = error_of({**BASE, "constraints": [{"name": "s", "expr": "x[1] <= I"}]})
    assert d[0].code == "set-as-value"
    d = error_of({**BASE, "constraints": [{"name": "s", "expr": "x <= 1"}]})
    assert d[0].code == "missing-index"


def test_errors_are_collected_across_constraints():
    d = error_of({**TRANSPORT, "constraints": [{"name": "a1", "expr": "foo <= 1"}, {"name": "a2", "expr": "bar <= 1"}]})
    assert [x.location.item for x in d] == ["a1", "a2"]


# --------------------------------------------------------------------------- scale


def test_speed_smoke_300(tmp_path):
    n = 300
    rng = np.random.default_rng(1)
    p, q = np.meshgrid(np.arange(1, n + 1), np.arange(1, n + 1), indexing="ij")
    data = np.column_stack([p.ravel(), q.ravel(), rng.uniform(1, 9, n * n).round(2)])
    np.savetxt(tmp_path / "c.csv", data, delimiter=",", fmt=["%d", "%d", "%.2f"], header="p,m,c", comments="")
    m = {"sets": {"P": {"range": [1, n]}, "M": {"range": [1, n]}},
         "params": {"s": {"index": ["P"], "default": 10.0}, "d": {"index": ["M"], "default": 5.0},
                    "c": {"index": ["P", "M"], "from": {"file": "c.csv", "column": "c"}}},
         "variables": {"x": {"index": ["P", "M"], "lb": 0}},
         "objective": "sum(c[p, m] * x[p, m] for p in P for m in M)",
         "constraints": [{"name": "sup", "forall": "p in P", "expr": "sum(x[p, m] for m in M) <= s[p]"},
                         {"name": "dem", "forall": "m in M", "expr": "sum(x[p, m] for p in P) >= d[m]"}]}
    L = lower(load_model(m, data_dirs=[tmp_path]))
    assert L.n_cols == n * n and L.n_rows == 2 * n and L.a_index.size == 2 * n * n
    assert np.all(np.diff(L.a_start) == n)
    assert L.a_index[L.a_start[n]:L.a_start[n + 1]].tolist() == list(range(0, n * n, n))
    assert np.allclose(L.obj, data[:, 2]) and L.row_hi[:n].tolist() == [10.0] * n


def test_large_lowerings_return_the_freed_heap(monkeypatch):
    """Above TRIM_ABOVE columns + nonzeros the lowering hands its freed temporaries back to the OS
    (glibc malloc_trim), so a solver's copy of the model does not stack on them; below, not."""
    import platform
    import sys

    import solvers.lower as lowering
    from solvers.heap import trim_heap

    if sys.platform.startswith("linux") and platform.libc_ver()[0] == "glibc":
        assert trim_heap() is True
    calls = []
    monkeypatch.setattr(lowering, "trim_heap", lambda: calls.append(1) or True)
    doc = {"sets": {"I": {"range": [1, 20]}}, "variables": {"x[I]": "real >= 0"},
           "minimize": "sum(x[i] for i in I)", "constraints": {"c[i in I]": "x[i] >= 1"}}
    lowering.lower(doc)
    assert calls == []
    monkeypatch.setattr(lowering, "TRIM_ABOVE", 40)  # 20 columns + 20 nonzeros
    lowering.lower(doc)
    assert calls == [1]
