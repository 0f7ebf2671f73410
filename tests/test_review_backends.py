"""Review of the backends, IIS, checker and Solution: regressions for bugs found in review, and
hand-computed answers cross-checked between HiGHS, CP-SAT and the independent checker."""

from __future__ import annotations

import json
import math

import pytest

from solvers.checker import check
from solvers.iis import _filter
from solvers.solution import Status
from solvers.solve_api import solve


def _model(obj: str | None, cons: list[str], variables: dict, sense: str = "maximize") -> dict:
    return {"variables": variables, "sense": sense, "objective": obj,
            "constraints": [{"name": f"c{i}", "expr": c} for i, c in enumerate(cons)]}


def test_cpsat_large_fractional_rhs_is_floored_not_rounded_up() -> None:
    # x <= 1e10 + 0.6 with integer x: the optimum is 1e10 (CP-SAT used to allow 1e10 + 1)
    m = _model("x", ["x <= 10000000000.6"],
               {"x": {"domain": "integer", "lb": 0, "ub": 20000000000}})
    for backend in ("highs", "cpsat"):
        sol = solve(m, backend=backend)
        assert sol.status == Status.OPTIMAL
        assert sol.values["x"][()] == 1e10, backend
        assert sol.objective == 1e10
    m = _model("x", ["x >= 10000000000.4"],
               {"x": {"domain": "integer", "lb": 0, "ub": 20000000000}}, sense="minimize")
    assert solve(m, backend="cpsat").values["x"][()] == 1e10 + 1


def test_cpsat_exact_scaling_of_thirds_and_tenths() -> None:
    # max x/3 + y/10 s.t. x/3 + 0.1 y <= 2.05, x + y <= 30, x, y in 0..30 integer:
    # 10x + 3y <= 61.5 → <= 61; objective (10x + 3y)/30 → best 61/30 (e.g. x=1, y=17)
    v = {"x": {"lb": 0, "ub": 30, "domain": "integer"}, "y": {"lb": 0, "ub": 30, "domain": "integer"}}
    m = _model("x/3 + 0.1*y", ["x/3 + 0.1*y <= 2.05", "x + y <= 30"], v)
    for backend in ("highs", "cpsat"):
        sol = solve(m, backend=backend)
        assert sol.objective == pytest.approx(61 / 30, abs=1e-9)
        assert sol.best_bound == pytest.approx(61 / 30, abs=1e-6)
        assert check(m, sol.values, claimed_objective=sol.objective).feasible
    # x/3 == 0.7 has no integer solution (x = 2.1): infeasible, not rounded to x = 2
    m = _model("x", ["x/3 == 0.7"], {"x": {"lb": 0, "ub": 20, "domain": "integer"}})
    assert solve(m, backend="cpsat", iis=False).status == Status.INFEASIBLE
    assert solve(m, backend="highs", iis=False).status == Status.INFEASIBLE


def test_maximize_mip_bound_gap_and_offset() -> None:
    # max 5x + 4y + 1 s.t. 6x + 4y <= 24, x + 2y <= 6, integers in 0..10: optimum 21 at (4, 0)
    v = {"x": {"lb": 0, "ub": 10, "domain": "integer"}, "y": {"lb": 0, "ub": 10, "domain": "integer"}}
    m = _model("5*x + 4*y + 1", ["6*x + 4*y <= 24", "x + 2*y <= 6"], v)
    for backend in ("highs", "cpsat"):
        sol = solve(m, backend=backend)
        assert sol.status == Status.OPTIMAL
        assert sol.objective == 21.0 and sol.best_bound == pytest.approx(21.0) and sol.gap == 0.0
        assert sol.values == {"x": {(): 4.0}, "y": {(): 0.0}}
        # no negative zeros in reported values
        assert all(math.copysign(1.0, val) == 1.0 for val in sol.values["y"].values())


def test_lp_dual_signs_follow_the_objective_sense() -> None:
    # ∂objective/∂rhs in the model's own sense
    v = {"x": {"lb": 0, "ub": 100}}
    assert solve(_model("x", ["x <= 4"], v), backend="highs").duals["c0"][()] == pytest.approx(1.0)
    assert solve(_model("x", ["x >= 2"], v, "minimize"), backend="highs").duals["c0"][()] == \
        pytest.approx(1.0)
    assert solve(_model("-x", ["x >= 2"], v), backend="highs").duals["c0"][()] == \
        pytest.approx(-1.0)
    sol = solve(_model("2*x", ["1 <= x <= 5"], v, "minimize"), backend="highs")
    assert sol.objective == 2.0 and sol.slacks["c0"][()] == 0.0
    assert sol.duals["c0"][()] == pytest.approx(2.0)
    sol = solve(_model("x", ["1 <= x + 0 <= 5", "x <= 3"], v), backend="highs")
    assert sol.slacks["c0"][()] == pytest.approx(2.0)  # ranged row: distance to the nearer side


def test_cpsat_iis_names_tuple_set_instances_flat() -> None:
    m = {"sets": {"Arcs": [["a", "b"], ["b", "c"]], "T": [1, 2]},
         "variables": {"x": {"index": ["Arcs", "T"], "domain": "integer", "lb": 0, "ub": 1}},
         "constraints": [
             {"name": "on", "forall": "a in Arcs, t in T", "expr": "x[a, t] >= 1 or x[a, t] >= 2",
              "if": None},
             {"name": "ne", "forall": "a in Arcs, t in T", "expr": "x[a, t] != 1"},
             {"name": "lin", "forall": "a in Arcs, t in T", "expr": "x[a, t] <= 1"}]}
    m["constraints"][0].pop("if")
    sol = solve(m, backend="cpsat")
    assert sol.status == Status.INFEASIBLE
    assert len(sol.iis) == 2
    assert all("(" not in n and "'" not in n for n in sol.iis), sol.iis
    (on,) = [n for n in sol.iis if n.startswith("on[")]
    (ne,) = [n for n in sol.iis if n.startswith("ne[")]
    assert on[2:] == ne[2:] and on in {"on[a,b,1]", "on[a,b,2]", "on[b,c,1]", "on[b,c,2]"}


def test_deletion_filter_reports_undecided_items_as_not_minimal() -> None:
    # items 0 and 1 conflict; the test cannot decide about item 2 → kept, set not proven minimal
    def test(active: list[int]) -> bool | None:
        if 2 not in active:
            return None
        return {0, 1} <= set(active)

    kept, complete = _filter([0, 1, 2], lambda i: i, test, deadline=math.inf)
    assert kept == [0, 1, 2] and complete is False
    kept, complete = _filter([0, 1, 2], lambda i: i, lambda a: {0, 1} <= set(a), math.inf)
    assert kept == [0, 1] and complete is True


def test_checker_strict_inequality_on_near_integral_integer() -> None:
    m = {"variables": {"k": {"domain": "integer", "lb": 0, "ub": 9}},
         "constraints": [{"name": "s", "expr": "k < 3"}]}
    r = check(m, {"k": 2.9999995})  # passes the integrality check as 3, so k < 3 must fail
    assert not r.feasible and r.violations[0].amount == pytest.approx(1.0, abs=1e-5)
    assert check(m, {"k": 2.0000004}).feasible
    assert check(m, {"k": 2}).feasible and not check(m, {"k": 3}).feasible


def test_implies_literals_agree_across_backends_and_checker() -> None:
    v = {"x": {"lb": 0, "ub": 5, "domain": "integer"}, "y": {"domain": "binary"}}
    # when the literal is "y off": min x + w·y → 3 (y=0, x=3) if w=10, 2 (y=1, x=0) if w=2
    for cond in ("not y", "y == 0", "y <= 0"):
        for w, want in ((10, 3.0), (2, 2.0)):
            m = _model(f"x + {w}*y", [f"implies({cond}, x >= 3)"], v, "minimize")
            for backend in ("highs", "cpsat"):
                sol = solve(m, backend=backend)
                assert sol.objective == want, (cond, w, backend)
                assert check(m, sol.values, claimed_objective=sol.objective).feasible


def test_solution_json_round_trip_checks_clean() -> None:
    m = {"sets": {"Arcs": [["a", "b"], ["b", "c"]], "T": [1, 2]},
         "variables": {"f": {"index": ["Arcs", "T"], "lb": 0, "ub": 3},
                       "g": {"index": ["Arcs"], "lb": 0, "ub": 2}, "s": {"lb": 0, "ub": 1}},
         "sense": "maximize",
         "objective": "sum(f[i, j, t] for (i, j) in Arcs for t in T) + sum(g[a] for a in Arcs) + s",
         "constraints": [
             {"name": "cap", "forall": "(i, j) in Arcs", "expr": "sum(f[i, j, t] for t in T) <= 4"},
             {"name": "cap2", "forall": "a in Arcs, t in T", "expr": "f[a, t] + g[a] <= 4 - t"}]}
    sol = solve(m)
    assert sol.objective == pytest.approx(10.0)  # per arc: g + f1 <= 3, g + f2 <= 2, g <= 2 → 4.5
    assert set(sol.values["f"]) == {("a", "b", 1), ("a", "b", 2), ("b", "c", 1), ("b", "c", 2)}
    assert set(sol.values["g"]) == {("a", "b"), ("b", "c")} and set(sol.values["s"]) == {()}
    d = json.loads(json.dumps(sol.to_dict()))
    r = check(m, d["values"], claimed_objective=d["objective"])
    assert r.feasible and r.complete and r.objective_consistent
    df = sol.to_dataframe()
    assert len(df) == 7 and ("a", "b", 1) in set(df["index"])


@pytest.mark.parametrize("domain", ["real", "integer"])
def test_iis_names_reformulation_rows_by_their_constraint(domain: str) -> None:
    # abs(x[1] - 5) <= 1 needs x[1] >= 4, low needs x[1] <= 2: the conflict is near5[1] and low,
    # not an internal row name like "_abs[near5][1]"
    m = {"sets": {"I": [1, 2]},
         "variables": {"x": {"index": ["I"], "lb": 0, "ub": 10, "domain": domain}},
         "sense": "minimize", "objective": "sum(x[i] for i in I)",
         "constraints": [{"name": "near5", "forall": "i in I", "expr": "abs(x[i] - 5) <= 1"},
                         {"name": "low", "expr": "x[1] <= 2"},
                         {"name": "pos", "forall": "i in I", "expr": "x[i] >= 0.5"}]}
    sol = solve(m, backend="highs")
    assert sol.status == Status.INFEASIBLE
    assert sorted(sol.iis) == ["low", "near5[1]"], sol.iis


def test_solution_value_accepts_tuple_set_elements() -> None:
    m = {"sets": {"Arcs": [["a", "b"], ["b", "c"]], "T": [1, 2]},
         "variables": {"f": {"index": ["Arcs", "T"], "lb": 0, "ub": 3},
                       "g": {"index": ["Arcs"], "lb": 0, "ub": 2}},
         "sense": "maximize", "objective": "sum(t * f[a, t] for a in Arcs for t in T) + g['b', 'c']"}
    sol = solve(m, backend="highs")
    assert sol.objective == pytest.approx(2 * 9.0 + 2.0)
    assert sol.value("f", ("a", "b"), 2) == sol.value("f", "a", "b", 2) == 3.0
    assert sol.value("g", ("b", "c")) == sol.value("g", "b", "c") == 2.0


def test_one_tuple_elements_are_keyed_by_the_element() -> None:
    # a set written as [["a"], ["b"]] has 1-tuples: keys are the elements, as the checker expects
    m = {"sets": {"S": [["a"], ["b"]]}, "variables": {"y": {"index": ["S"], "lb": 1, "ub": 2}}}
    sol = solve(m, backend="highs")
    assert sol.values == {"y": {"a": 1.0, "b": 1.0}}
    assert check(m, sol.values, claimed_objective=sol.objective).feasible
