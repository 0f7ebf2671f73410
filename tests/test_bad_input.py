"""Bad input: random and malformed documents and expressions through load → check → solve.

No uncaught exception ever; every rejection is a located message. Plus the defined outcomes of
the named edge cases: NaN/inf, empty sets, a 10⁷-element set, duplicate names, unicode names,
constraints with no variables (trivially true or false).
"""

from __future__ import annotations

import json
import math

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import solvers
from solvers import ModelError, Status, load_model
from solvers.checks import check_model
from solvers.expr import parse_expr

NAMES = st.sampled_from(["x", "y", "I", "J", "c", "d", "cap", "sum", "for", "x1", "Zé", "_", "1a", ""])
ATOMS = st.sampled_from(["x", "y[i]", "c[i]", "3", "0.5", "i", "I", "x[i, j]", "'a'", "nan", "1e400",
                         "sum(x[i] for i in I)", "abs(x)", "max(x, y)", "len(I)", "x ** 2", "x / y", "y[k]"])
OPS = st.sampled_from(["+", "-", "*", "/", "**", "<=", ">=", "==", " and ", " or ", "<", "!=", " in ", ","])


@st.composite
def expressions(draw) -> str:
    parts = [draw(ATOMS)]
    for _ in range(draw(st.integers(0, 5))):
        parts += [draw(OPS), draw(ATOMS)]
    s = "".join(parts)
    if draw(st.booleans()):
        s = f"implies(x == 1, {s})" if draw(st.booleans()) else f"sum({s} for i in I)"
    if draw(st.integers(0, 9)) == 0:  # raw garbage too
        s = draw(st.text(max_size=30))
    return s


NUMBERS = st.one_of(st.integers(-10**6, 10**6), st.floats(allow_nan=True, allow_infinity=True),
                    st.just(float("nan")), st.just(float("inf")))
ELEMENTS = st.one_of(st.integers(-3, 5), st.sampled_from(["a", "b", "c", "é", ""]),
                     st.lists(st.sampled_from(["a", "b"]), min_size=1, max_size=3))


@st.composite
def documents(draw) -> dict:
    doc: dict = {}
    if draw(st.booleans()):
        doc["sense"] = draw(st.sampled_from(["minimize", "maximize", "feasibility", "up", None, 3]))
    doc["sets"] = {draw(NAMES): draw(st.one_of(st.lists(ELEMENTS, max_size=4),
                                                st.fixed_dictionaries({"range": st.lists(st.integers(-2, 6), min_size=0, max_size=3)}),
                                                NUMBERS))
                   for _ in range(draw(st.integers(0, 3)))}
    doc["params"] = {draw(NAMES): draw(st.one_of(
        NUMBERS,
        st.fixed_dictionaries({"value": NUMBERS}),
        st.fixed_dictionaries({"index": st.lists(NAMES, max_size=2),
                               "values": st.one_of(st.dictionaries(st.sampled_from(["a", "b", "1", "2"]), NUMBERS, max_size=3),
                                                   st.lists(NUMBERS, max_size=3), NUMBERS)}),
    )) for _ in range(draw(st.integers(0, 3)))}
    doc["variables"] = {draw(NAMES): draw(st.fixed_dictionaries(
        {"index": st.lists(NAMES, max_size=2)},
        optional={"domain": st.sampled_from(["real", "integer", "binary", "complex"]),
                  "lb": st.one_of(NUMBERS, expressions(), st.none()),
                  "ub": st.one_of(NUMBERS, expressions(), st.none())}))
        for _ in range(draw(st.integers(0, 3)))}
    if draw(st.booleans()):
        doc["objective"] = draw(expressions())
    doc["constraints"] = [draw(st.fixed_dictionaries(
        {"name": NAMES, "expr": expressions()},
        optional={"forall": st.sampled_from(["i in I", "i in I, j in J", "(i, j) in I", "i in Q", "i of I",
                                             "i in I if c[i] > 0", "i in range(1, 3)", ""])}))
        for _ in range(draw(st.integers(0, 3)))]
    return doc


def _located(diags) -> None:
    assert diags, "a rejection must carry at least one diagnostic"
    for d in diags:
        assert d.code and d.message and str(d)
        assert d.location.section is not None or d.code.startswith(("bad-", "schema", "file")), str(d)


def run_pipeline(doc) -> str:
    """load → check → solve; returns the outcome kind, raising only on an uncaught exception."""
    try:
        m = load_model(doc)
    except ModelError as e:
        _located(e.diagnostics)
        return "rejected-load"
    res = check_model(m)
    if not res.ok:
        _located(res.errors)
        return "rejected-check"
    try:
        sol = solvers.solve(m, time_limit=2)
    except ModelError as e:
        _located(e.diagnostics)
        return "rejected-solve"
    assert isinstance(sol.status, Status)
    if sol.ok and sol.values:
        rep = solvers.check(m, sol.values, tol=1e-5)
        assert rep.feasible, rep.summary()
    return sol.status.value


@settings(max_examples=1500, deadline=None, suppress_health_check=list(HealthCheck))
@given(documents())
def test_random_documents_never_crash(doc):
    run_pipeline(doc)


@settings(max_examples=1500, deadline=None, suppress_health_check=list(HealthCheck))
@given(expressions())
def test_random_expressions_never_crash(expr):
    doc = {"sets": {"I": [1, 2], "J": ["a", "b"]}, "params": {"c": {"index": ["I"], "values": {"1": 2, "2": 3}}},
           "variables": {"x": {"lb": 0, "ub": 10}, "y": {"index": ["I"], "lb": 0, "ub": 5}},
           "objective": "x + sum(y[i] for i in I)",
           "constraints": [{"name": "c1", "expr": expr}]}
    run_pipeline(doc)
    try:
        parse_expr(expr)
    except ModelError as e:
        _located(e.diagnostics) if e.diagnostics[0].location.section else None
        assert e.diagnostics[0].code


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=200))
def test_random_text_documents(text):
    try:
        load_model(text if text.strip().startswith("{") else json.dumps({"objective": text}))
    except ModelError as e:
        assert e.diagnostics and all(str(d) for d in e.diagnostics)


# ---------------------------------------------------------------- the named edge cases

BASE = {"sets": {"I": [1, 2, 3]}, "params": {"c": {"index": ["I"], "values": [1, 2, 3]}},
        "variables": {"x": {"index": ["I"], "lb": 0, "ub": 4}},
        "sense": "maximize", "objective": "sum(c[i] * x[i] for i in I)",
        "constraints": [{"name": "cap", "expr": "sum(x[i] for i in I) <= 5"}]}


def doc(**patch):
    d = json.loads(json.dumps(BASE))
    d.update(patch)
    return d


def diag_codes(d) -> set[str]:
    try:
        m = load_model(d)
    except ModelError as e:
        return {x.code for x in e.diagnostics}
    return {x.code for x in check_model(m).errors}


def test_baseline_optimum():
    sol = solvers.solve(BASE)
    assert sol.status == Status.OPTIMAL and sol.objective == pytest.approx(3 * 4 + 2 * 1)


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), -float("inf")])
def test_nan_and_inf_params_are_located_errors(bad):
    codes = diag_codes(doc(params={"c": {"index": ["I"], "values": [1, bad, 3]}}))
    assert "non-finite" in codes


def test_nan_bound_and_literal_are_rejected():
    codes = diag_codes(doc(variables={"x": {"index": ["I"], "lb": 0, "ub": float("nan")}}))
    assert codes, "a NaN bound must be rejected"
    assert diag_codes(doc(constraints=[{"name": "cap", "expr": "sum(x[i] for i in I) <= 1e400"}]))


def test_empty_set_gives_empty_sums_and_no_instances():
    d = doc(sets={"I": []}, params={"c": {"index": ["I"], "values": {}}})
    sol = solvers.solve(d)
    assert sol.status == Status.OPTIMAL and sol.objective == 0
    res = check_model(d)
    assert res.ok


def test_ten_million_element_set_is_handled():
    d = doc(sets={"I": {"range": [1, 10_000_000]}}, params={"c": {"index": ["I"], "default": 1}},
            variables={"x": {"index": ["I"], "lb": 0, "ub": 1}})
    m = load_model(d)
    res = check_model(m)  # static checks do not expand instances
    assert res.ok, [str(x) for x in res.errors]
    from solvers.data import instance

    assert len(instance(m).sets["I"]) == 10_000_000


def test_duplicate_names_are_errors():
    assert "duplicate-name" in diag_codes(doc(params={"x": 3, "c": {"index": ["I"], "values": [1, 2, 3]}}))
    dup = [{"name": "cap", "expr": "x[1] <= 1"}, {"name": "cap", "expr": "x[2] <= 1"}]
    assert "duplicate-name" in diag_codes(doc(constraints=dup)) or "duplicate-constraint" in diag_codes(doc(constraints=dup))


def test_unicode_names_work():
    d = {"sets": {"Städte": ["köln", "münchen"]}, "params": {"größe": {"index": ["Städte"], "values": {"köln": 2, "münchen": 3}}},
         "variables": {"menge": {"index": ["Städte"], "lb": 0, "ub": 1}}, "sense": "maximize",
         "objective": "sum(größe[s] * menge[s] for s in Städte)",
         "constraints": [{"name": "höchstens", "expr": "sum(menge[s] for s in Städte) <= 1.5"}]}
    sol = solvers.solve(d)
    assert sol.objective == pytest.approx(3 + 2 * 0.5)
    assert sol.values["menge"]["münchen"] == pytest.approx(1)


def test_constraint_without_variables_true_is_dropped_false_is_an_error():
    true_doc = doc(constraints=[*BASE["constraints"], {"name": "tautology", "expr": "len(I) >= 2"}])
    sol = solvers.solve(true_doc)
    assert sol.status == Status.OPTIMAL and math.isclose(sol.objective, 14)
    false_doc = doc(constraints=[*BASE["constraints"], {"name": "contradiction", "expr": "c[1] >= 5"}])
    with pytest.raises(ModelError) as exc:
        solvers.solve(false_doc)
    d = exc.value.diagnostics[0]
    assert d.code == "infeasible-constant" and d.location.item == "contradiction"
