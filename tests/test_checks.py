"""Static checks: each check on a model exhibiting it, with its code, location and hint."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest

from solvers.checks import check_model

EXAMPLES = Path(__file__).resolve().parent.parent / "problems" / "examples"

BASE = {
    "name": "transport",
    "sense": "minimize",
    "sets": {"Plants": ["seattle", "san_diego"], "Markets": ["ny", "chicago"]},
    "params": {
        "supply": {"index": ["Plants"], "values": {"seattle": 350, "san_diego": 600}},
        "demand": {"index": ["Markets"], "values": {"ny": 325, "chicago": 300}},
        "cost": {"index": ["Plants", "Markets"], "values": [[2.5, 1.7], [2.5, 1.8]]},
    },
    "variables": {"ship": {"index": ["Plants", "Markets"], "lb": 0}},
    "objective": "sum(cost[p, m] * ship[p, m] for p in Plants for m in Markets)",
    "constraints": [
        {"name": "supply_limit", "forall": "p in Plants", "expr": "sum(ship[p, m] for m in Markets) <= supply[p]"},
        {"name": "demand_met", "forall": "m in Markets", "expr": "sum(ship[p, m] for p in Plants) >= demand[m]"},
    ],
}


def model(**changes) -> dict:
    m = copy.deepcopy(BASE)
    m.update(changes)
    return m


def with_constraint(expr: str, forall: str | None = None, name: str = "extra", **changes) -> dict:
    m = model(**changes)
    c = {"name": name, "expr": expr}
    if forall:
        c["forall"] = forall
    m["constraints"] = [*m["constraints"], c]
    return m


def only(res, code: str):
    found = [d for d in res.diagnostics if d.code == code]
    assert found, f"no {code!r} in {res.codes()}"
    return found[0]


def test_clean_model_has_no_diagnostics():
    res = check_model(BASE)
    assert res.ok and res.diagnostics == [], res.summary()
    assert res.problem_class == "LP"
    assert res.n_variables == 4 and res.n_constraints == 4
    assert "class LP" in res.summary()


def test_load_error_is_returned_not_raised():
    res = check_model({"sets": {}, "variables": {"x": {"domain": "complex"}}})
    assert not res.ok and res.problem_class is None
    assert res.errors[0].code == "schema"
    res = check_model("{not json")
    assert res.errors[0].code == "bad-json"


def test_data_error_non_finite_reported():
    m = model()
    m["params"]["supply"]["values"]["seattle"] = float("nan")
    res = check_model(m)
    d = only(res, "non-finite")
    assert d.location.item == "supply"


def test_undeclared_symbol_suggests_nearest():
    res = check_model(with_constraint("sum(ship[p, m] for m in Markets) <= suply[p]", "p in Plants"))
    d = only(res, "undeclared-symbol")
    assert (d.location.section, d.location.item, d.location.field, d.location.symbol) == ("constraints", "extra", "expr", "suply")
    assert d.location.column == 37
    assert "supply" in d.hint


def test_literal_index_not_in_set_suggests_element():
    res = check_model(with_constraint('ship["seatle", "ny"] <= 10'))
    d = only(res, "index-not-in-set")
    assert d.location.symbol == "seatle" and d.location.column == 6
    assert "seattle" in d.hint


def test_index_arity_counts_tuple_sets():
    m = model()
    m["sets"]["Arcs"] = [["seattle", "ny"], ["san_diego", "chicago"]]
    m["variables"]["flow"] = {"index": ["Arcs"], "lb": 0}
    m["constraints"] = [
        {"name": "ok_flat", "forall": "a in Arcs", "expr": "flow[a] <= 5"},
        {"name": "ok_pair", "forall": "(i, j) in Arcs", "expr": "flow[i, j] + ship[i, j] <= 5"},
        {"name": "bad", "forall": "a in Arcs", "expr": "flow[a, 1] <= 5"},
    ]
    res = check_model(m)
    errs = [d for d in res.errors if d.code == "index-arity"]
    assert len(errs) == 1, res.summary()
    assert errs[0].location.item == "bad" and "takes 2" in errs[0].message and errs[0].location.symbol == "flow"


def test_generator_arity():
    res = check_model(with_constraint("sum(ship[p, m] for (p, m, k) in Plants) <= 3"))
    assert only(res, "generator-arity").location.symbol == "Plants"


def test_undeclared_generator_set():
    res = check_model(with_constraint("sum(ship[p, m] for m in Market) >= 1", "p in Plants"))
    d = only(res, "undeclared-set")
    assert d.location.symbol == "Market" and "Markets" in d.hint


def test_variable_in_data_context():
    res = check_model(with_constraint("sum(ship[p, m] for m in Markets if ship[p, m] > 0) <= 5", "p in Plants"))
    d = only(res, "variable-in-data-context")
    assert d.location.symbol == "ship" and "if-condition" in d.message
    # a divisor with variables is nonlinear: SCIP takes it, HiGHS does not
    res = check_model(with_constraint("ship['seattle', 'ny'] / ship['seattle', 'chicago'] <= 5"), backend="highs")
    assert "division" in only(res, "needs-scip").message
    m = model()
    m["variables"]["y"] = {"ub": "ship['seattle', 'ny']"}
    d = only(check_model(m), "variable-in-data-context")
    assert (d.location.section, d.location.item, d.location.field) == ("variables", "y", "ub")


def test_quadratic_constraint_and_nonlinear_terms():
    res = check_model(with_constraint("ship['seattle', 'ny'] * ship['seattle', 'chicago'] <= 5"), backend="highs")
    d = only(res, "needs-scip")
    assert "HiGHS" in d.message and "backend='scip'" in d.hint and d.location.item == "extra"
    res = check_model(model(objective="sum(ship[p, m] ** 3 for p in Plants for m in Markets)"), backend="highs")
    assert only(res, "needs-scip").location.section == "objective"
    # under auto they are the nonlinear class SCIP solves
    assert check_model(with_constraint("ship['seattle', 'ny'] * ship['seattle', 'chicago'] <= 5")).problem_class == "NLP"


def test_not_a_constraint():
    res = check_model(with_constraint("ship['seattle', 'ny'] + 1"))
    d = only(res, "not-a-constraint")
    assert "<=, >= or ==" in d.message and d.hint


def test_all_different_is_cp_and_needs_cpsat_for_highs():
    m = {"sets": {"I": {"range": [1, 3]}}, "variables": {"x": {"index": ["I"], "domain": "integer", "lb": 1, "ub": 3}},
         "sense": "feasibility", "constraints": [{"name": "diff", "expr": "all_different(x[i] for i in I)"}]}
    assert check_model(m).problem_class == "CP" and check_model(m).ok
    d = only(check_model(m, backend="highs"), "needs-cpsat")
    assert d.location.item == "diff" and "cpsat" in d.hint


def test_neq_between_expressions_is_cp():
    m = {"variables": {"a": {"domain": "integer", "lb": 0, "ub": 5}, "b": {"domain": "integer", "lb": 0, "ub": 5}},
         "sense": "feasibility", "constraints": [{"name": "ne", "expr": "a != b"}]}
    assert check_model(m).problem_class == "CP"
    assert only(check_model(m, backend="highs"), "needs-cpsat").location.symbol == "!="


def test_cpsat_needs_bounded_integers_and_no_reals():
    m = {"variables": {"n": {"domain": "integer", "lb": 0}, "r": {"domain": "real", "lb": 0, "ub": 1}},
         "objective": "n + r", "constraints": [{"name": "c", "expr": "n + r >= 1"}]}
    res = check_model(m, backend="cpsat")
    d = only(res, "unbounded-integer-cpsat")
    assert (d.location.item, d.location.field) == ("n", "ub") and "lb" in d.hint
    assert only(res, "cpsat-real-variable").location.item == "r"
    assert check_model(m).ok  # fine for HiGHS


def test_orphan_variable_unused_param_and_set():
    m = model()
    m["variables"]["unused_var"] = {"lb": 0}
    m["params"]["budget"] = 10
    m["sets"]["Extra"] = ["a"]
    res = check_model(m)
    assert res.ok
    assert only(res, "orphan-variable").location.item == "unused_var"
    assert only(res, "unused-param").location.item == "budget"
    assert only(res, "unused-set").location.item == "Extra"
    assert all(d.severity == "warning" for d in res.diagnostics)


def test_empty_forall_and_no_instances_warnings():
    m = with_constraint("ship['seattle', 'ny'] <= 1", "e in Empty", sets={**BASE["sets"], "Empty": []})
    d = only(check_model(m), "empty-forall")
    assert d.severity == "warning" and d.location.symbol == "Empty"
    m = with_constraint("ship[p, 'ny'] <= 1", "p in Plants if p == 'boston'")
    res = check_model(m)
    assert only(res, "no-instances").severity == "warning"
    assert res.n_constraints == 4


def test_duplicate_and_reserved_names():
    m = model()
    m["params"]["Plants"] = 3
    m["variables"]["sum"] = {"lb": 0}
    m["constraints"] = [*m["constraints"], {"name": "supply_limit", "expr": "ship['seattle', 'ny'] <= 1"}]
    res = check_model(m)
    assert only(res, "duplicate-name").location.item == "Plants"
    assert only(res, "reserved-name").location.item == "sum"
    assert only(res, "duplicate-constraint").location.item == "supply_limit"


def test_parse_errors_located():
    res = check_model(with_constraint("sum(ship[p, m] for m in Markets) = 5", "p in Plants"))
    d = only(res, "syntax")
    assert d.location.item == "extra" and "==" in d.hint


def test_misuse_of_names():
    res = check_model(with_constraint("ship <= supply['seattle'] + Plants"))
    assert only(res, "variable-without-index").location.symbol == "ship"
    assert only(res, "set-as-value").location.symbol == "Plants"
    res = check_model(with_constraint("ship['seattle', 'ny'] <= supply"))
    assert only(res, "param-without-index").location.symbol == "supply"


def test_strict_inequality_on_reals():
    res = check_model(with_constraint("ship['seattle', 'ny'] < 5"))
    assert only(res, "strict-inequality").location.symbol == "ship"
    m = {"variables": {"k": {"domain": "integer", "lb": 0, "ub": 9}}, "objective": "k",
         "constraints": [{"name": "c", "expr": "k > 2"}]}
    assert check_model(m).ok


def test_bad_implies_condition():
    m = model()
    m["variables"]["open"] = {"index": ["Plants"], "domain": "binary"}
    m["constraints"].append({"name": "closed", "forall": "p in Plants",
                             "expr": "implies(not open[p], sum(ship[p, m] for m in Markets) == 0)"})
    res = check_model(m)  # building the instances finds that big-M needs a bound on ship
    assert only(res, "big-m-unbounded").location.item == "closed"
    assert check_model(m, instantiate=False).ok
    m["variables"]["ship"]["ub"] = 1000
    res = check_model(m)
    assert res.ok and res.problem_class == "MILP"
    m["constraints"][-1]["expr"] = "implies(ship[p, 'ny'] >= 5, sum(ship[p, m] for m in Markets) == 0)"
    assert only(check_model(m), "bad-implies-condition").location.item == "closed"


def test_empty_domain_and_constant_objective():
    m = model(objective="5")
    m["variables"]["z"] = {"lb": 3, "ub": 1}
    res = check_model(m)
    assert only(res, "empty-domain").location.item == "z"
    assert only(res, "constant-objective").severity == "warning"


def test_objective_that_is_a_constraint():
    res = check_model(model(objective="sum(ship[p, m] for p in Plants for m in Markets) >= 3"))
    assert only(res, "bad-objective").location.section == "objective"


@pytest.mark.parametrize("sense,expected", [("minimize", "QP"), ("maximize", "nonconvex")])
def test_qp_convexity(sense, expected):
    m = model(sense=sense, objective="sum(ship[p, m] ** 2 for p in Plants for m in Markets) - ship['seattle', 'ny']")
    res = check_model(m, backend="highs")
    assert res.problem_class == "QP"
    if expected == "QP":
        assert res.ok, res.summary()
    else:
        d = only(res, "nonconvex-qp")
        assert d.location.section == "objective" and "semidefinite" in d.hint
        # under auto the nonconvex QP is solved by SCIP: a note, not an error
        note = only(check_model(m), "nonconvex-qp")
        assert note.severity == "info" and "SCIP" in note.hint


def test_indefinite_product_objective_is_nonconvex():
    m = model(objective="ship['seattle', 'ny'] * ship['seattle', 'chicago'] + sum(ship[p, m] for p in Plants for m in Markets)")
    d = only(check_model(m), "nonconvex-qp")
    assert "ship" in d.message


def test_problem_class_inference():
    assert check_model(BASE).problem_class == "LP"
    m = model()
    m["variables"]["ship"]["domain"] = "integer"
    assert check_model(m).problem_class == "MILP"
    m["objective"] = "sum(ship[p, m] ** 2 for p in Plants for m in Markets)"
    assert check_model(m).problem_class == "MIQP"
    assert only(check_model(m, backend="highs"), "miqp-unsupported")
    # convex max in a minimized objective stays LP; concave use needs binaries
    assert check_model(model(objective="max(ship[p, m] for p in Plants for m in Markets)")).problem_class == "LP"
    assert check_model(model(sense="maximize", objective="max(ship[p, m] for p in Plants for m in Markets)")).problem_class == "MILP"
    assert check_model(model(objective="sum(abs(ship[p, m] - 3) for p in Plants for m in Markets)")).problem_class == "LP"
    assert check_model(model(objective="-sum(abs(ship[p, m] - 3) for p in Plants for m in Markets)")).problem_class == "MILP"


@pytest.mark.parametrize("name", ["transport", "diet", "knapsack", "portfolio", "n_queens", "sudoku", "tsp",
                                  "facility_location", "minimax_location", "l1_regression"])
def test_examples_are_clean(name):
    path = next((EXAMPLES / name).glob("model.*"))
    res = check_model(path)
    assert res.ok and not res.warnings, res.summary()
    expected = {"transport": "LP", "diet": "LP", "knapsack": "MILP", "portfolio": "QP", "n_queens": "CP", "sudoku": "CP",
                "tsp": "MILP", "facility_location": "MILP", "minimax_location": "LP", "l1_regression": "LP"}[name]
    assert res.problem_class == expected


def test_instances_are_built_so_data_errors_show_before_a_solve():
    m = {"sets": {"T": {"range": [1, 3]}}, "variables": {"x": {"index": ["T"], "lb": 0}},
         "objective": "sum(x[t] for t in T)",
         "constraints": [{"name": "ramp", "forall": "t in T", "expr": "x[t - 1] <= x[t]"}]}
    d = only(check_model(m), "index-not-in-set")
    assert d.location.item == "ramp" and d.location.index == (1,) and "t > 1" in d.hint
    m["constraints"][0]["forall"] = "t in T if t > 1"
    assert check_model(m).ok


def test_objective_and_sense_disagreements_are_warned():
    assert only(check_model({"sense": "feasibility", "objective": "x", "variables": {"x": {"ub": 1}}}),
                "objective-ignored").severity == "warning"
    assert only(check_model({"sense": "maximize", "variables": {"x": {"ub": 1}},
                             "constraints": [{"name": "c", "expr": "x <= 1"}]}), "no-objective")


def test_pyomo_domain_names_carry_their_bound():
    from solvers import load_model, solve

    sol = solve({"variables": {"x": {"domain": "NonNegativeReals", "ub": 5}}, "objective": "x"})
    assert sol.objective == 0
    m = load_model({"variables": {"n": {"domain": "PositiveIntegers"}}})
    assert m.variables["n"].domain == "integer" and m.variables["n"].lb == 1


def test_instances_of_sound_constraints_are_built_beside_a_static_error():
    """Every fault at once: a misspelled symbol in one constraint does not hide the instance
    error (an index outside its set at the first period) of another."""
    doc = {"sets": {"T": {"range": [1, 3]}}, "params": {"d": {"index": ["T"], "values": {"1": 2, "2": 3, "3": 1}}},
           "variables": {"inv": {"index": ["T"], "lb": 0, "ub": 10}, "buy": {"index": ["T"], "lb": 0, "ub": 10}},
           "objective": "sum(buy[t] for t in T)",
           "constraints": [{"name": "balance", "forall": "t in T", "expr": "inv[t] == inv[t - 1] + buy[t] - d[t]"},
                           {"name": "cap", "forall": "t in T", "expr": "inv[t] <= capp"}]}
    res = check_model(doc)
    codes = {(d.code, d.location.item) for d in res.errors}
    assert ("undeclared-symbol", "cap") in codes
    (oob,) = [d for d in res.errors if d.code == "index-not-in-set"]
    assert oob.location.item == "balance" and oob.location.index == (1,)
    assert res.lowered is None  # a model with errors is not solved
    # an error outside the constraints (a variable's bound) leaves the instances unbuilt
    doc["variables"]["inv"]["ub"] = "nosuch"
    assert not any(d.code == "index-not-in-set" for d in check_model(doc).errors)


def test_a_clean_check_keeps_the_lowering_for_the_solve():
    import solvers

    res = check_model(EXAMPLES / "knapsack" / "model.json")
    assert res.ok and res.lowered is not None and res.lowered_for == "highs"
    sol = solvers.solve(res.lowered, backend=res.lowered_for)
    assert sol.objective == pytest.approx(solvers.solve(EXAMPLES / "knapsack" / "model.json").objective)


def test_a_maximized_product_objective_is_called_not_concave_along_its_own_variables():
    """Recorded (stand-in run, OptiBench 529): maximize sum(margin[c] * vehicles[c] * trips[c])
    was reported "not convex" (a maximized objective must be concave) with a direction naming
    vehicles of another cargo (the eigenvalue is shared by every cargo's block)."""
    doc = {"sets": {"C": ["Food", "Electronics", "Tools"]},
           "params": {"margin": {"index": ["C"], "values": {"Food": 60, "Electronics": 60, "Tools": 60}}},
           "variables": {"vehicles": {"index": ["C"], "lb": 0, "ub": 10},
                         "trips": {"index": ["C"], "lb": 0, "ub": 10}},
           "sense": "maximize", "objective": "sum(margin[c] * vehicles[c] * trips[c] for c in C)"}
    d = only(check_model(doc, backend="highs"), "nonconvex-qp")
    assert "not concave" in d.message and "not convex" not in d.message
    direction = d.message.split("direction mostly along ")[1]
    cargos = {c for c in ("Food", "Electronics", "Tools") if c in direction}
    assert len(cargos) == 1, d.message  # one block: vehicles[c] and trips[c] of the same cargo
    assert direction.count("[") == 2
