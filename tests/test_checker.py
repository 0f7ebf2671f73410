"""The independent checker: feasibility, violation amounts, objective, assignment formats, logic."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

from solvers.checker import Cmp, check, expand, objective_value, variable_instances
from solvers.solution import Solution, Status

EXAMPLES = Path(__file__).resolve().parent.parent / "problems" / "examples"

# min sum(c[i] x[i]) + 10 sum(y[i]) s.t. sum(x) >= 4, x[i] <= 3 y[i]; x in [0, 3], y binary
SMALL = {
    "name": "small",
    "sets": {"I": [1, 2, 3]},
    "params": {"c": {"index": ["I"], "values": {"1": 1, "2": 2, "3": 3}}, "need": 4},
    "variables": {"x": {"index": ["i in I"], "lb": 0, "ub": 3}, "y": {"index": ["I"], "domain": "binary"}},
    "objective": "sum(c[i] * x[i] for i in I) + 10 * sum(y[i] for i in I)",
    "constraints": [
        {"name": "total", "expr": "sum(x[i] for i in I) >= need"},
        {"name": "link", "forall": "i in I", "expr": "x[i] <= 3 * y[i]"},
    ],
}
GOOD = {"x": {1: 3.0, 2: 1.0, 3: 0.0}, "y": {1: 1, 2: 1, 3: 0}}

TRANSPORT = {
    "sets": {"Plants": ["seattle", "san_diego"], "Markets": ["ny", "chicago"]},
    "params": {"supply": {"index": ["Plants"], "values": {"seattle": 350, "san_diego": 600}},
               "demand": {"index": ["Markets"], "values": {"ny": 325, "chicago": 300}}},
    "variables": {"ship": {"index": ["Plants", "Markets"], "lb": 0}},
    "objective": "sum(2 * ship[p, m] for p in Plants for m in Markets)",
    "constraints": [
        {"name": "sup", "forall": "p in Plants", "expr": "sum(ship[p, m] for m in Markets) <= supply[p]"},
        {"name": "dem", "forall": "m in Markets", "expr": "sum(ship[p, m] for p in Plants) >= demand[m]"},
    ],
}
T_VALUES = {("seattle", "ny"): 325.0, ("seattle", "chicago"): 0.0, ("san_diego", "ny"): 0.0, ("san_diego", "chicago"): 300.0}


def test_feasible_point_and_exact_objective():
    r = check(SMALL, GOOD, claimed_objective=25)
    assert r.feasible and r.complete, r.summary()
    assert r.objective == 25.0 and r.objective_consistent is True
    assert r.n_constraints == 4 and r.n_variables == 6
    assert "FEASIBLE" in r.summary()
    assert check(SMALL, GOOD, claimed_objective=24).objective_consistent is False


def test_two_violated_instances_with_amounts():
    r = check(SMALL, {"x": {1: 3, 2: 1, 3: 2}, "y": {1: 1, 2: 0, 3: 0}})
    assert not r.feasible and r.complete
    got = {(v.constraint, v.index): v for v in r.violations}
    assert set(got) == {("link", (2,)), ("link", (3,))}
    v2, v3 = got[("link", (2,))], got[("link", (3,))]
    assert (v2.lhs, v2.rhs, v2.amount, v2.sense) == (1.0, 0.0, 1.0, "<=")
    assert v3.amount == 2.0 and v3.expr == "x[i] <= 3 * y[i]"
    assert "link[3] violated by 2" in r.summary()
    d = r.to_dict()
    assert json.dumps(d) and d["violations"][0]["label"] == "link[2]"


def test_integrality_and_bound_violations():
    vals = {"x": {1: 4.0, 2: -1.0, 3: 1.0}, "y": {1: 1, 2: 0.5, 3: 1}}
    r = check(SMALL, vals)
    probs = {(p.label, p.kind): p for p in r.variable_problems}
    assert probs[("x[1]", "upper-bound")].amount == pytest.approx(1.0)
    assert probs[("x[2]", "lower-bound")].amount == pytest.approx(1.0)
    assert probs[("y[2]", "integrality")].amount == pytest.approx(0.5)
    assert len(probs) == 3 and not r.feasible
    # within tolerance: not reported
    ok = {"x": {1: 3 + 1e-8, 2: 1.0, 3: 0.0}, "y": {1: 1 - 1e-9, 2: 1, 3: 0}}
    assert check(SMALL, ok).feasible


def test_tolerance_is_relative_on_large_sides():
    m = {"variables": {"v": {"lb": 0}}, "objective": "v", "constraints": [{"name": "c", "expr": "v <= 1000000"}]}
    assert check(m, {"v": 1000000.5}).feasible  # 0.5 <= 1e-6 * 1e6
    assert not check(m, {"v": 1000002}).feasible
    assert not check(m | {"constraints": [{"name": "c", "expr": "v <= 1"}]}, {"v": 1.00001}).feasible


@pytest.mark.parametrize("assignment", [
    {"ship": T_VALUES},
    {"ship": {"seattle,ny": 325, "seattle, chicago": 0, "(san_diego, ny)": 0, "['san_diego', 'chicago']": "300"}},
    {"ship[seattle,ny]": 325, "ship[seattle, chicago]": 0, "ship[san_diego,ny]": 0, "ship[San_Diego,chicago]": 300},
    {"ship": {"seattle": {"ny": 325, "chicago": 0}, "san_diego": {"ny": 0, "chicago": 300}}},
    {"ship": [{"index": ["seattle", "ny"], "value": 325}, {"index": ["seattle", "chicago"], "value": 0},
              {"index": ["san_diego", "ny"], "value": 0}, {"index": ["san_diego", "chicago"], "value": 300}]},
    {"ship": [[325, 0], [0, 300]]},
    {"ship": [["seattle", "ny", 325], ["seattle", "chicago", 0], ["san_diego", "ny", 0], ["san_diego", "chicago", 300]]},
])
def test_assignment_formats(assignment):
    r = check(TRANSPORT, assignment)
    assert r.feasible, r.summary()
    assert r.objective == 1250.0


def test_solution_objects_and_integer_elements_from_strings():
    sol = Solution(Status.OPTIMAL, objective=1250.0, values={"ship": T_VALUES})
    r = check(TRANSPORT, sol)
    assert r.feasible and r.claimed_objective == 1250.0 and r.objective_consistent
    r = check(TRANSPORT, sol.to_dict())
    assert r.feasible and r.objective_consistent
    r = check(SMALL, {"x": {"1": 3, "2": "1", "3": 0}, "y[1]": 1, "y[2]": True, "y[3]": 0})
    assert r.feasible, r.summary()


def test_missing_and_unknown_entries():
    r = check(TRANSPORT, {"ship": {("seattle", "ny"): 325, ("san_diego", "chicago"): 300}, "shipp": 3,
                          "ship[boston,ny]": 1, "ship[seattle]": 2})
    assert not r.feasible and not r.complete
    assert sorted(r.missing) == ["ship[san_diego, ny]", "ship[seattle, chicago]"]
    assert set(r.unevaluated) == {"sup[seattle]", "sup[san_diego]", "dem[ny]", "dem[chicago]"}
    assert r.objective is None
    reasons = {u.entry: u.reason for u in r.unknown_entries}
    assert "did you mean 'ship'" in reasons["shipp"]
    assert "not an element of Plants" in reasons["ship[boston,ny]"]
    assert "takes 2 index value(s), got 1" in reasons["ship[seattle]"]
    # missing taken as zero: the same point is feasible (an answer listing only nonzeros)
    r = check(TRANSPORT, {"ship": {("seattle", "ny"): 325, ("san_diego", "chicago"): 300}}, missing="zero")
    assert r.feasible and r.objective == 1250.0 and len(r.missing) == 2


LOGIC = {
    "sets": {"I": [1, 2]},
    "variables": {"x": {"index": ["I"], "lb": 0, "ub": 10}, "y": {"index": ["I"], "domain": "binary"},
                  "z": {"index": ["I"], "domain": "integer", "lb": 0, "ub": 5}, "k": {"domain": "integer", "lb": 0, "ub": 9}},
    "sense": "feasibility",
    "constraints": [
        {"name": "on_needs_x", "forall": "i in I", "expr": "implies(y[i], x[i] >= 1)"},
        {"name": "off_means_zero", "forall": "i in I", "expr": "implies(not y[i], x[i] == 0)"},
        {"name": "gap", "expr": "x[1] <= 1 or x[1] >= 2"},
        {"name": "close", "expr": "abs(x[1] - x[2]) <= 1"},
        {"name": "diff", "expr": "all_different(z[i] for i in I)"},
        {"name": "small_k", "expr": "k < 3"},
        {"name": "ne", "expr": "z[1] != k"},
    ],
}


def _logic_report(x, y, z, k):
    return check(LOGIC, {"x": dict(zip([1, 2], x)), "y": dict(zip([1, 2], y)), "z": dict(zip([1, 2], z)), "k": k})


def test_logic_semantics_feasible_point():
    r = _logic_report([2.5, 2], [1, 1], [1, 2], 2)
    assert r.feasible, r.summary()
    assert r.objective == 0.0


def test_logic_semantics_violations():
    r = _logic_report([1.5, 0], [1, 0], [3, 3], 3)
    got = {v.label: v for v in r.violations}
    # implies(y[2], ...) holds vacuously, implies(not y[2], x[2] == 0) holds; y[1]=1 and x[1]=1.5 >= 1 holds
    assert "on_needs_x[1]" not in got and "on_needs_x[2]" not in got and "off_means_zero[2]" not in got
    assert got["gap"].amount == pytest.approx(0.5) and "alternatives" in got["gap"].detail
    assert got["close"].lhs == pytest.approx(1.5) and got["close"].amount == pytest.approx(0.5)
    assert got["diff"].amount == 1.0 and got["diff"].sense == "all_different"
    assert got["small_k"].amount == 1.0  # k < 3 on integers means k <= 2
    assert got["ne"].sense == "!="
    assert set(got) == {"gap", "close", "diff", "small_k", "ne"}
    r = _logic_report([0, 0], [1, 0], [1, 2], 2)
    assert [v.label for v in r.violations] == ["on_needs_x[1]"]
    assert r.violations[0].amount == 1.0 and "condition holds" in r.violations[0].detail
    r = _logic_report([0, 2], [1, 0], [1, 2], 2)
    assert {v.label for v in r.violations} == {"on_needs_x[1]", "off_means_zero[2]", "close"}


def test_tuple_set_keys_and_forall_over_pairs():
    m = {"sets": {"Arcs": [["a", "b"], ["b", "c"]]},
         "params": {"cap": {"index": ["Arcs"], "values": [["a", "b", 5], ["b", "c", 7]]}},
         "variables": {"flow": {"index": ["Arcs"], "lb": 0}},
         "objective": "sum(flow[a] for a in Arcs)",
         "constraints": [{"name": "cap_ok", "forall": "(i, j) in Arcs", "expr": "flow[i, j] <= cap[i, j]"}]}
    r = check(m, {"flow": {("a", "b"): 6, "b,c": 7}})
    assert [(v.label, v.amount) for v in r.violations] == [("cap_ok[a, b]", 1.0)]
    assert r.objective == 13.0


def test_model_errors_are_reported_not_raised():
    r = check({"variables": {"x": {"domain": "complex"}}}, {})
    assert not r.feasible and r.errors[0].code == "schema"
    m = {"sets": {"T": [1, 2, 3]}, "variables": {"inv": {"index": ["T"], "lb": 0}}, "objective": "inv[3]",
         "constraints": [{"name": "flow", "forall": "t in T", "expr": "inv[t] >= inv[t - 1]"}]}
    r = check(m, {"inv": {1: 1, 2: 2, 3: 3}})
    assert not r.feasible
    d = r.errors[0]
    assert d.code == "index-not-in-set" and d.location.item == "flow" and d.location.index == (1,)
    assert "0 is not in T" in d.message and "if t > 1" in d.hint
    m["constraints"][0]["forall"] = "t in T if t > 1"
    assert check(m, {"inv": {1: 1, 2: 2, 3: 3}}).feasible


def test_expand_is_generic_over_variable_representation():
    insts = list(expand(SMALL))
    assert [i.label for i in insts] == ["total", "link[1]", "link[2]", "link[3]"]
    rel = insts[1].relation(lambda name, key: _Sym(f"{name}{list(key)}"))  # any object supporting + - *
    assert isinstance(rel, Cmp) and rel.ops == ("<=",)
    assert str(rel.operands[0]) == "x[1]" and str(rel.operands[1]) == "(3.0*y[1])"
    bounds = {(v.name, v.key): (v.domain, v.lb, v.ub) for v in variable_instances(SMALL)}
    assert bounds[("x", (2,))] == ("real", 0.0, 3.0) and bounds[("y", (1,))] == ("binary", 0.0, 1.0)
    assert objective_value(SMALL, lambda n, k: 1.0) == 36.0


class _Sym:
    """A stand-in for a library expression (Pyomo/PuLP): records the arithmetic."""

    def __init__(self, text: str):
        self.text = text

    def __str__(self) -> str:
        return self.text

    def __add__(self, o):
        return _Sym(f"({self}+{o})")

    __radd__ = __add__

    def __sub__(self, o):
        return _Sym(f"({self}-{o})")

    def __rsub__(self, o):
        return _Sym(f"({o}-{self})")

    def __mul__(self, o):
        return _Sym(f"({self}*{o})")

    def __rmul__(self, o):
        return _Sym(f"({o}*{self})")

    def __neg__(self):
        return _Sym(f"-{self}")


# --------------------------------------------------------------------------- solver round trip

HAVE_SOLVE = importlib.util.find_spec("solvers.lower") is not None and importlib.util.find_spec("solvers.solve_api") is not None


@pytest.mark.skipif(not HAVE_SOLVE, reason="solvers.solve / solvers.lower not available yet")
@pytest.mark.parametrize("name", ["transport", "diet", "knapsack", "facility_location", "n_queens", "portfolio",
                                  "job_shop", "tsp", "sudoku", "minimax_location", "l1_regression", "assignment"])
def test_solver_solutions_are_confirmed_by_the_checker(name):
    import solvers

    path = next((EXAMPLES / name).glob("model.*"))
    sol = solvers.solve(path)
    assert sol.ok, sol.message
    r = check(path, sol, tol=1e-5)
    assert r.feasible, r.summary()
    if sol.objective is not None and r.objective is not None and name != "n_queens":
        assert r.objective_consistent, r.summary()
    expected = json.loads((EXAMPLES / name / "expected.json").read_text()).get("objective")
    if expected is not None:
        assert r.objective == pytest.approx(expected, rel=1e-4, abs=1e-6)
