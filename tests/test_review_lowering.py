"""Regression tests from a review of the lowering (solvers/lower.py): each model has a
hand-computed optimum, confirmed by the independent checker."""

from __future__ import annotations

import pytest

import solvers
from solvers.diagnostics import ModelError
from solvers.lower import lower


def _solve(model: dict, backend: str = "highs") -> float:
    s = solvers.solve(model, backend=backend)
    assert s.status == "optimal", s
    rep = solvers.check(model, s)
    assert rep.feasible, rep
    assert rep.objective == pytest.approx(s.objective)
    return float(s.objective)


TUPLES = [["a", "b"], ["b", "c"], ["c", "d"]]


@pytest.mark.parametrize("cond, expected", [
    ('(i, j) != ("a", "b")', 20.0),   # two names against a tuple literal
    ('(i, j) == ("a", "b")', 10.0),
    ('(i, j) < ("b", "c")', 10.0),    # lexicographic, as in Python
    ('(i, j) >= ("b", "c")', 20.0),
    ('(i, j) > ("b", "b")', 20.0),
])
def test_tuple_condition_of_two_names(cond: str, expected: float) -> None:
    m = {"sets": {"A": TUPLES}, "variables": {"x[A]": "real in [0, 10]"},
         "maximize": f"sum(x[i, j] for (i, j) in A if {cond})", "constraints": {}}
    assert _solve(m) == pytest.approx(expected)


def test_tuple_binding_against_tuple_literal() -> None:
    m = {"sets": {"A": TUPLES}, "variables": {"x[A]": "real in [0, 10]"},
         "maximize": 'sum(x[a] for a in A if a == ("a", "b"))', "constraints": {}}
    assert _solve(m) == pytest.approx(10.0)


def test_tuple_binding_against_integer_tuple_literal() -> None:
    m = {"sets": {"A": [[1, 2], [2, 3], [3, 4]]}, "variables": {"x[A]": "real in [0, 10]"},
         "maximize": "sum(x[a] for a in A if a != (1, 2))", "constraints": {}}
    assert _solve(m) == pytest.approx(20.0)


STRICT = {"sets": {"I": [1, 2]}, "params": {"b[I]": [1.5, 3]},
          "variables": {"x[I]": "integer in [0, 5]"}, "maximize": "sum(x[i] for i in I)",
          "constraints": {"c[i in I]": "sum(x[j] for j in I if j < i) < b[i]"}}


@pytest.mark.parametrize("backend", ["highs", "cpsat"])
def test_strict_instance_without_variables_is_decided_on_fractional_data(backend: str) -> None:
    # c[1] is 0 < 1.5 (true, dropped); c[2] is x[1] < 3 → x[1] <= 2; optimum 2 + 5
    assert _solve(STRICT, backend) == pytest.approx(7.0)


def test_strict_instance_without_variables_false_on_data() -> None:
    m = dict(STRICT, params={"b[I]": [0.5, 3]},
             constraints={"c[i in I]": "b[i] > sum(x[j] for j in I if j < i) + 1"})
    with pytest.raises(ModelError) as ei:
        lower(m)
    d = ei.value.diagnostics[0]
    assert d.code == "infeasible-constant" and d.location.index == (1,)


def test_strict_data_only_row_that_holds_by_a_fraction() -> None:
    # 1 < 1.5 holds; it must not be read as 1 <= 1.5 - 1
    m = {"params": {"b": 1.5}, "variables": {"x": "integer in [0, 4]"}, "maximize": "x",
         "constraints": {"c": "x - x + 1 < b"}}
    assert _solve(m) == pytest.approx(4.0)


def test_strict_with_cancelling_real_variable_is_exact() -> None:
    m = {"sets": {"I": [1, 2]}, "variables": {"x[I]": "integer in [0, 5]", "r": "real in [0, 1]"},
         "maximize": "sum(x[i] for i in I)", "constraints": {"c": "x[1] + r - r < 3"}}
    assert _solve(m) == pytest.approx(7.0)


def test_strict_with_real_variable_still_rejected() -> None:
    m = {"variables": {"x": "integer in [0, 5]", "r": "real in [0, 1]"}, "maximize": "x",
         "constraints": {"c": "x + r < 3"}}
    with pytest.raises(ModelError) as ei:
        lower(m)
    assert ei.value.diagnostics[0].code == "strict-inequality"


def test_bound_error_keeps_the_instance_when_the_other_bound_is_an_expression() -> None:
    m = {"sets": {"I": [1, 2, 3]}, "params": {"lo[I]": [0, 0, 0], "hi[I]": {"1": 5, "2": 6}},
         "variables": {"x[I]": {"lb": "lo", "ub": "hi"}},
         "maximize": "sum(x[i] for i in I)", "constraints": {}}
    with pytest.raises(ModelError) as ei:
        lower(m)
    d = ei.value.diagnostics[0]
    assert d.code == "param-missing-value"
    assert d.location.field == "ub" and d.location.index == (3,)


def test_one_element_tuples_are_plain_elements() -> None:
    m = {"sets": {"S": [["a"], ["b"]]}, "variables": {"y[S]": "real in [0, 3]"},
         "maximize": 'y["a"] + sum(y[s] for s in S)', "constraints": {}}
    assert _solve(m) == pytest.approx(9.0)
