"""Derived sets, computed params, set functions and conditional expressions (docs/model-format.md).

Each construct: its meaning (elements, values, optimum checked by hand or by the checker), the
vectorized evaluation (`data.instance`) agreeing with the checker's scalar one, sparse variables,
located diagnostics for the mistakes a model writer makes, and the round trips (compact notation,
LaTeX/text, exports).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import solvers
from solvers import ModelError
from solvers.checks import check_model
from solvers.compact import to_compact
from solvers.data import instance
from solvers.lower import lower
from solvers.render import to_latex, to_text


def model(sets=None, params=None, **rest) -> solvers.Model:
    return solvers.load_model({"sets": sets or {}, "params": params or {}, **rest})


def both(m: solvers.Model):
    """The vectorized and the scalar instance, asserted equal."""
    a, b = instance(m), instance(m, scalar=True)
    assert a is not b
    for name in a.sets:
        assert a.sets[name].elements == b.sets[name].elements, name
        assert a.sets[name].dim == b.sets[name].dim, name
    for name in a.params:
        assert np.array_equal(a.params[name].table, b.params[name].table, equal_nan=True), name
    return a


def diags(fn, *args, **kw) -> list:
    with pytest.raises(ModelError) as exc:
        fn(*args, **kw)
    return exc.value.diagnostics


BASE = {"N": ["a", "b", "c"], "K": ["b", "c", "d"], "T": {"range": [1, 4]}}


# --------------------------------------------------------------------------- derived sets


@pytest.mark.parametrize("expr, want, dim", [
    ("N | K", ["a", "b", "c", "d"], 1),
    ("N & K", ["b", "c"], 1),
    ("N - K", ["a"], 1),
    ("K - N | N - K", ["d", "a"], 1),
    ("N * T", [(e, t) for e in "abc" for t in (1, 2, 3, 4)], 2),
    ("(i, j) in N * N if i != j", [(i, j) for i in "abc" for j in "abc" if i != j], 2),
    ("i in N, t in T if t > 2", [(i, t) for i in "abc" for t in (3, 4)], 2),
    ("t in T if t != last(T)", [1, 2, 3], 1),
    ("{(j, i) for (i, j) in N * K if i < j}", [(j, i) for i in "abc" for j in "bcd" if i < j], 2),
    ("{i for (i, t) in N * T if t == 1}", ["a", "b", "c"], 1),
    ("{t + 1 for t in T}", [2, 3, 4, 5], 1),
    ("range(2, 5)", [2, 3, 4], 1),
    ("(a, t) in (N & K) * T if ord(t) <= 2", [(e, t) for e in "bc" for t in (1, 2)], 2),
])
def test_set_algebra_filters_and_projections(expr, want, dim):
    m = model({**BASE, "S": expr})
    inst = both(m)
    assert inst.sets["S"].elements == want
    assert inst.sets["S"].dim == dim


def test_keys_of_a_sparse_param_is_a_tuple_set():
    m = model({"P": ["p", "q"], "M": ["x", "y", "z"], "Routes": "keys(cost)"},
              {"cost": {"index": ["P", "M"], "values": [["p", "y", 3], ["q", "x", 1], ["q", "z", 2]]},
               "fee": {"index": ["P", "M"], "values": {"p": {"x": 1}}, "default": 0},
               },
              variables={"ship[Routes]": "real >= 0"},
              minimize="sum(cost[p, m] * ship[p, m] for (p, m) in Routes)",
              constraints={"need[m in M]": "sum(ship[p, m] for p in P if (p, m) in Routes) >= 1"})
    inst = both(m)
    assert inst.sets["Routes"].elements == [("p", "y"), ("q", "x"), ("q", "z")]
    low = lower(m)
    assert low.n_cols == 3  # sparse: a column per route, not per pair
    sol = solvers.solve(m)
    assert sol.objective == pytest.approx(6.0)
    # keys of a param with a default are the given entries only
    m2 = model({"P": ["p", "q"], "M": ["x", "y"], "F": "keys(fee)"},
               {"fee": {"index": ["P", "M"], "values": {"p": {"x": 1}}, "default": 0}})
    assert both(m2).sets["F"].elements == [("p", "x")]


def test_sparse_variable_has_no_column_outside_its_domain():
    m = model({"N": ["a", "b", "c"], "Arcs": "(i, j) in N * N if i != j"},
              variables={"x[Arcs]": "binary"},
              maximize="sum(x[i, j] for (i, j) in Arcs)",
              constraints={"one[i in N]": "sum(x[i, j] for j in N if j != i) <= 1",
                           "bad": "x['a', 'a'] <= 1"})
    res = check_model(m)
    bad = [d for d in res.errors if d.code == "index-not-in-set"]
    assert bad and bad[0].location.item == "bad"
    m.constraints.pop()
    m._cache.clear()
    low = lower(m)
    assert low.n_cols == 6
    assert solvers.solve(m).objective == pytest.approx(3)


def test_set_definition_errors_are_located():
    ds = diags(instance, model({**BASE, "S": "(i, j) in N * Q if i != j"}))
    assert ds[0].code == "undeclared-symbol" and ds[0].location.item == "S" and ds[0].location.symbol == "Q"
    ds = diags(instance, model({**BASE, "S": "N | N * N"}))
    assert ds[0].code == "set-shape" and "dimension" in ds[0].message
    ds = diags(instance, model({**BASE, "S": "N + K"}))
    assert ds[0].code == "bad-set" and "|" in (ds[0].hint or "")
    ds = diags(instance, model({**BASE, "S": "keys(N)"}))
    assert ds[0].code == "bad-set"
    ds = diags(instance, model({**BASE, "S": "i in N if x[i] > 0"}, variables={"x[N]": "real"}))
    assert ds[0].code == "variable-in-data-context" and "set definition" in ds[0].message
    ds = diags(instance, model({**BASE, "S": {"expr": "N | K", "elements": ["a"]}}))
    assert ds[0].code == "set-shape" and "exactly one" in ds[0].message
    ds = diags(instance, model({"A": "B | N", "B": "A - N", "N": ["a"]}))
    assert ds[0].code == "cyclic-definition" and "A" in ds[0].message and "B" in ds[0].message


def test_generator_over_a_set_expression_points_to_a_derived_set():
    res = check_model(model(BASE, variables={"x[N, N]": "real >= 0"}, minimize="sum(x[i, j] for (i, j) in N * N)"))
    d = next(d for d in res.errors if d.code == "bad-set")
    assert "derived set" in (d.hint or "") and d.location.section == "objective"


def test_a_set_only_used_in_a_definition_is_used():
    m = model({**BASE, "S": "N - K"}, variables={"x[S]": "real >= 0"}, minimize="sum(x[i] for i in S)")
    codes = check_model(m).codes()
    assert "unused-set" not in codes or all(
        d.location.item not in ("N", "K") for d in check_model(m).diagnostics if d.code == "unused-set")


# --------------------------------------------------------------------------- computed params


def test_computed_distances_and_unit_conversion():
    m = model({"N": ["a", "b", "c"]},
              {"x[N]": [0, 3, 0], "y[N]": [0, 0, 4],
               "dist[i in N, j in N]": "sqrt((x[i] - x[j])**2 + (y[i] - y[j])**2)",
               "price_per_hundred": 250, "unit_price": "price_per_hundred / 100",
               "total": "sum(dist[i, j] for i in N for j in N if ord(i) < ord(j))"})
    inst = both(m)
    assert inst.params["dist"].table.tolist() == [[0, 3, 4], [3, 0, 5], [4, 5, 0]]
    assert float(inst.params["unit_price"].table) == 2.5
    assert float(inst.params["total"].table) == 12


def test_computed_param_over_a_tuple_set_and_as_a_bound():
    m = model({"N": [1, 2, 3], "Arcs": "(i, j) in N * N if i < j"},
              {"cap[a in Arcs]": "10 * ord(a)"},
              variables={"f[a in Arcs]": "real in [0, cap[a]]"},
              maximize="sum(f[i, j] for (i, j) in Arcs)")
    inst = both(m)
    assert inst.params["cap"].table.tolist() == [10, 20, 30]
    assert solvers.solve(m).objective == pytest.approx(60)


def test_computed_param_errors_are_located_at_the_entry():
    ds = diags(instance, model({"N": [1, 2]}, {"d[N]": [1, 0], "r[i in N]": "1 / d[i]"}))
    assert ds[0].code == "division-by-zero" and ds[0].location.item == "r" and ds[0].location.index == (2,)
    ds = diags(instance, model({"N": [1, 2]}, {"d[N]": [1, -1], "r[i in N]": "sqrt(d[i])"}))
    assert ds[0].code == "math-domain" and ds[0].location.index == (2,)
    ds = diags(instance, model({"N": [1, 2]}, {"r[i in N]": "x[i] * 2"}, variables={"x[N]": "real"}))
    assert ds[0].code == "variable-in-data-context" and "computed param" in ds[0].message
    ds = diags(instance, model({"N": [1]}, {"r[i in N]": {"expr": "1", "values": [2]}}))
    assert ds[0].code == "param-shape" and "expr" in ds[0].message
    ds = diags(instance, model({}, {"a": "b + 1", "b": "a * 2"}))
    assert ds[0].code == "cyclic-definition"
    # the scalar deriver locates the same entry
    with pytest.raises(ModelError) as exc:
        instance(model({"N": [1, 2]}, {"d[N]": [1, 0], "r[i in N]": "1 / d[i]"}), scalar=True)
    assert exc.value.diagnostics[0].location.index == (2,)


def test_computed_params_are_vectorized():
    """A 10^6-entry distance table costs a few numpy calls (the checker's scalar pass is not
    involved in building a model)."""
    n = 1000
    rng = np.random.default_rng(1)
    m = model({"N": {"range": [1, n]}},
              {"x[N]": rng.uniform(0, 100, n).tolist(), "y[N]": rng.uniform(0, 100, n).tolist(),
               "d[i in N, j in N]": "sqrt((x[i] - x[j])**2 + (y[i] - y[j])**2)"})
    table = instance(m).params["d"].table
    x, y = np.array(m.params["x"].values), np.array(m.params["y"].values)
    ref = np.sqrt((x[:, None] - x[None, :]) ** 2 + (y[:, None] - y[None, :]) ** 2)
    assert np.allclose(table, ref)


# --------------------------------------------------------------------------- set functions


def test_set_functions_in_a_multi_period_model():
    m = model({"T": ["jan", "feb", "mar", "apr"]},
              {"dem[T]": [3, 5, 2, 4], "start": 1},
              variables={"make[T]": "real >= 0", "inv[T]": "real >= 0"},
              minimize="sum(make[t] * ord(t) + 0.1 * inv[t] for t in T)",
              constraints={
                  "bal[t in T]": "inv[t] == (start if t == first(T) else inv[prev(t)]) + make[t] - dem[t]",
                  "end": "inv[last(T)] >= len(T) - 2",
                  "flat[t in T if t != last(T)]": "make[next(t)] <= make[t] + 4",
              })
    sol = solvers.solve(m)
    assert sol.status.value == "optimal"
    rep = solvers.check(m, sol)
    assert rep.feasible and rep.objective == pytest.approx(sol.objective)
    # by hand: 1 + Σmake - 14 >= 2 gives Σmake >= 15; a unit costs ord(t) and 0.1 per month
    # held, so all 15 are made in jan (the rule limits rises only): 15 + 0.1 * (13 + 8 + 6 + 2)
    assert sol.value("make", "jan") == pytest.approx(15)
    assert sol.objective == pytest.approx(15 + 0.1 * 29)


def test_wrap_gives_a_cyclic_neighbour():
    m = model({"D": ["mo", "tu", "we"]}, variables={"x[D]": "real in [0, 10]"},
              maximize="sum(x[d] for d in D)",
              constraints={"pair[d in D]": "x[d] + x[prev(d, wrap=True)] <= 6",
                           "tail[d in D]": "x[next(d, D, wrap=True)] >= 0"})
    sol = solvers.solve(m)
    assert sol.objective == pytest.approx(9)  # a 3-cycle: x_i + x_{i-1} <= 6 sums to 2·Σx <= 18
    assert solvers.check(m, sol).feasible


def test_prev_of_the_first_element_is_a_located_error_with_the_fix():
    m = model({"T": [1, 2, 3]}, variables={"s[T]": "real >= 0"}, minimize="sum(s[t] for t in T)",
              constraints={"bal[t in T]": "s[t] >= s[prev(t)] + 1"})
    res = check_model(m)
    d = next(d for d in res.errors if d.code == "index-not-in-set")
    assert d.location.item == "bal" and d.location.index == (1,)
    assert "first(T)" in d.hint and "wrap=True" in d.hint


def test_set_function_diagnostics():
    ds = check_model(model({"T": ["a", "b"]}, variables={"x[T]": "real >= 0"},
                           minimize="sum(x[t] * first(T) for t in T)")).errors
    assert any(d.code == "type-mismatch" and "not a number" in d.message for d in ds)
    ds = check_model(model({"T": [1, 2]}, variables={"x[T]": "real >= 0"},
                           minimize="sum(x[t] * ord(t + 1) for t in T)")).errors
    assert any(d.code == "bad-set-function" and "ord(e, S)" in d.hint for d in ds)
    from solvers.expr import parse_expr

    with pytest.raises(ModelError) as exc:
        parse_expr("prev(t, wrap=1)")
    assert exc.value.diagnostics[0].code == "bad-call" and "wrap=True" in exc.value.diagnostics[0].hint


def test_ord_and_first_in_the_checker_agree_with_the_lowering():
    m = model({"T": {"range": [5, 8]}}, {"w[t in T]": "ord(t) + first(T) + last(T) * 0 + prev(t, wrap=True)"},
              variables={"x[T]": "real in [0, 1]"}, maximize="sum(w[t] * x[t] for t in T)")
    inst = both(m)
    assert inst.params["w"].table.tolist() == [1 + 5 + 8, 2 + 5 + 5, 3 + 5 + 6, 4 + 5 + 7]


# --------------------------------------------------------------------------- conditional expressions


def test_conditional_expression_on_data():
    m = model({"I": [1, 2, 3]}, {"c[I]": [4, -2, 5]}, variables={"x[I]": "real in [0, 1]"},
              maximize="sum((c[i] if c[i] > 0 else 0) * x[i] + (1 if i == 2 else 0) for i in I)")
    sol = solvers.solve(m)
    assert sol.objective == pytest.approx(10)


def test_conditional_on_a_variable_says_to_use_implies():
    m = model({}, variables={"x": "real in [0, 5]", "y": "binary"}, maximize="x",
              constraints={"c": "x <= (2 if y >= 1 else 5)"})
    d = next(d for d in check_model(m).errors if d.code == "variable-in-data-context")
    assert "if cond else" in d.message and "implies" in d.hint and d.location.item == "c"


# --------------------------------------------------------------------------- tuple keys


def test_tuple_key_error_says_how_to_key_a_tuple_set():
    m = model({"Ops": [["cut", 1], ["cut", 2], ["weld", 1]]},
              {"dur": {"index": ["Ops"], "values": {"cut": {"1": 3}}}})
    d = diags(instance, m)[0]
    assert d.code == "unknown-key" and d.location.item == "dur"
    assert '"cut,1": 5' in d.hint and "rows" in d.hint
    ok = model({"Ops": [["cut", 1], ["cut", 2], ["weld", 1]]},
               {"dur": {"index": ["Ops"], "values": {"cut,1": 3, "(cut, 2)": 4, "weld,1": 5}},
                "rows": {"index": ["Ops"], "values": [["cut", 1, 3], ["cut", 2, 4], ["weld", 1, 5]]}})
    inst = instance(ok)
    assert inst.params["dur"].table.tolist() == inst.params["rows"].table.tolist() == [3, 4, 5]


# --------------------------------------------------------------------------- round trips


RICH = {
    "sets": {"N": ["a", "b", "c"], "Arcs": "(i, j) in N * N if i != j", "Far": {"expr": "Arcs - Near"},
             "Near": "{(i, j) for (i, j) in Arcs if d[i, j] <= 3}"},
    "params": {"x[N]": [0, 3, 0], "y[N]": [0, 0, 4], "scale": 2,
               "d[i in N, j in N]": {"expr": "sqrt((x[i] - x[j])**2 + (y[i] - y[j])**2)", "source": "coordinates"},
               "w[a in Arcs]": "scale * d[a] + ord(a)"},
    "variables": {"f[Arcs]": "real >= 0"},
    "minimize": "sum(w[i, j] * f[i, j] for (i, j) in Arcs) + sum(f[a] for a in Far)",
    "constraints": {"out[i in N if i == first(N)]": "sum(f[i, j] for j in N if j != i) >= 1",
                    "in_[j in N if j == last(N)]": "sum(f[i, j] for i in N if i != j) >= (1 if len(N) > 2 else 0)"},
}


def test_compact_round_trip_keeps_every_construct():
    m = solvers.load_model(RICH)
    for keep in (True, False):
        for inline in (True, False):
            back = solvers.load_model(to_compact(m, keep_provenance=keep, inline_scalars=inline))
            a, b = lower(m), lower(back)
            assert np.array_equal(a.obj, b.obj) and np.array_equal(a.a_value, b.a_value)
            assert a.col_names() == b.col_names()
    c = to_compact(m, inline_scalars=True)
    assert c["params"]["w[a in Arcs]"] == "2 * d[a] + ord(a)"  # the single-use scalar is inlined
    assert c["sets"]["Arcs"] == "(i, j) in N * N if i != j"


def test_latex_and_text_show_the_definitions():
    tex = to_latex(RICH)
    assert r"\text{where}" in tex and r"\sqrt{{\left(x_{i} - x_{j}\right)}^{2}" in tex
    assert r"\mathrm{Arcs} = \left\{(i,j) \in \mathcal{N} \times \mathcal{N} : i \ne j\right\}" in tex
    assert r"\operatorname{ord}\left(a\right)" in tex and r"\operatorname{first}" in tex
    text = to_text(RICH)
    assert "Arcs = (i, j) in N * N if i != j" in text
    assert "d[i in N, j in N] = sqrt(" in text


def test_exports_of_derived_constructs(tmp_path):
    from solvers.export import write_lp

    m = solvers.load_model(RICH)
    ref = solvers.solve(m).objective
    import highspy

    path = write_lp(m, tmp_path / "m.lp")
    h = highspy.Highs()
    h.silent()
    h.readModel(str(path))
    h.run()
    assert h.getInfo().objective_function_value == pytest.approx(ref)


def test_the_checker_recomputes_derived_data_itself():
    """Corrupt the lowering's (vectorized) data: the checker, which derives its own, objects."""
    m = solvers.load_model(RICH)
    good = solvers.solve(m)
    assert solvers.check(m, good).objective_consistent
    m = solvers.load_model(RICH)
    instance(m).params["w"].table[:] = 0.0  # as if the vectorized evaluator were wrong
    bad = solvers.solve(m)  # solved on the corrupted data
    rep = solvers.check(m, bad)
    assert rep.objective_consistent is False
    assert rep.objective == pytest.approx(good.objective) or rep.objective > bad.objective
    assert not math.isclose(rep.objective, bad.objective)


def test_membership_with_the_wrong_number_of_parts_says_how_to_test_a_tuple_set():
    m = model({"I": [1, 2, 3], "P": "(i, j) in I * I if i < j"}, variables={"x[I]": "real in [0, 1]"},
              maximize="sum(x[i] for i in I if i in P)")
    d = next(d for d in check_model(m).errors if d.code == "index-arity")
    assert d.location.section == "objective" and "2-tuples such as (1, 2)" in d.message
    assert "(i, j) in P" in d.hint and "{i for (i, j) in P}" in d.hint
    # the hint's set works: i = 1, 2 start a pair
    m = model({"I": [1, 2, 3], "P": "(i, j) in I * I if i < j", "Starts": "{i for (i, j) in P}"},
              variables={"x[I]": "real in [0, 1]"}, maximize="sum(x[i] for i in I if i in Starts)")
    assert solvers.solve(m).objective == pytest.approx(2)


def test_tuple_membership_and_tuple_keys_from_separate_indices():
    """`(i, j) in P` and `w[i, j]` with i, j bound separately: positions found by codes over the
    indices' domains (a tuple set with parts outside them is fine), as the scalar checker finds."""
    m = model({"I": [1, 2, 3], "J": ["x", "y"], "P": [[1, "x"], [2, "y"], [5, "z"], [3, "y"]],
               "Q": "i in I, j in J if (i, j) in P"},
              {"w": {"index": ["P"], "values": {"1,x": 2, "3,y": 4}, "default": 0}},
              variables={"v[I, J]": "real in [0, 1]"},
              maximize="sum(w[i, j] * v[i, j] for i in I for j in J if (i, j) in P)")
    inst = both(m)
    assert inst.sets["Q"].elements == [(1, "x"), (2, "y"), (3, "y")]
    assert solvers.solve(m).objective == pytest.approx(6)


def test_tuple_membership_over_huge_index_domains_does_not_overflow():
    """Four parts over a 2^16-element set: the mixed-radix code of a tuple would pass 2^62, so
    the tuples are looked up one by one; both evaluators agree."""
    m = model({"A": {"range": [0, 2 ** 16 - 1]}, "Q": [[5, 5, 5, 5], [7, 7, 7, 8], [2 ** 16 - 1] * 4],
               "D": "i in A if (i, i, i, i) in Q"})
    assert both(m).sets["D"].elements == [5, 2 ** 16 - 1]


# --------------------------------------------------------------------------- and / or short-circuit


def test_and_or_in_data_conditions_short_circuit_as_in_python():
    """`d[i] != 0 and a[i] / d[i] > 2` never divides by zero: the right side is evaluated only
    where the left leaves the outcome open, in forall conditions, generator filters, if-else
    values and computed params, vectorized and scalar alike; an unguarded division still fails
    at its instance."""
    data = {"d[N]": [0, 2, 4, 0], "a[N]": [5, 5, 5, 5]}
    m = model({"N": [1, 2, 3, 4]},
              {**data,
               "big[i in N]": "1 if d[i] != 0 and a[i] / d[i] > 2 else 0",
               "open[i in N]": "1 if d[i] == 0 or a[i] / d[i] > 2 else 0",
               "nested[i in N]": "1 if not (d[i] == 0 or a[i] / d[i] <= 2) and i > 0 else 0",
               "total": "sum(a[i] / d[i] for i in N if d[i] > 0 and a[i] / d[i] >= 1.25)"},
              variables={"x[N]": "real in [0, 10]"},
              maximize="sum(x[i] for i in N)",
              constraints=[{"name": "guard", "forall": "i in N if d[i] != 0 and a[i] / d[i] > 2",
                            "expr": "x[i] <= 1"},
                           {"name": "guard_or", "forall": "i in N if d[i] == 0 or a[i] / d[i] > 2",
                            "expr": "x[i] <= 3"}])
    inst = both(m)
    assert inst.params["big"].table.tolist() == [0, 1, 0, 0]
    assert inst.params["open"].table.tolist() == [1, 1, 0, 1]
    assert inst.params["nested"].table.tolist() == [0, 1, 0, 0]
    assert inst.params["total"].table.tolist() == pytest.approx(2.5 + 1.25)
    sol = solvers.solve(m)
    assert sol.objective == pytest.approx(3 + 1 + 10 + 3)
    assert solvers.check(m, sol).feasible
    unguarded = model({"N": [1, 2]}, {"d[N]": [0, 2]}, variables={"x[N]": "real in [0, 1]"},
                      maximize="sum(x[i] for i in N)",
                      constraints=[{"name": "g", "forall": "i in N if d[i] >= 0 and 1 / d[i] > 0",
                                    "expr": "x[i] <= 1"}])
    ds = diags(solvers.solve, unguarded)
    assert ds[0].code == "division-by-zero" and ds[0].location.index == (1,)
