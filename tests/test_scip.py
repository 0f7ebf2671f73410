"""The SCIP backend: nonconvex quadratic and nonlinear models, MINLP, solved to global optimality.

Every optimum here is known independently (closed form, vertex enumeration, or brute force over
the integer points with a closed-form inner problem) and every solution is re-checked by the
independent checker (`solvers.check`), which evaluates sqrt/exp/log/abs/powers/products itself.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

import solvers
from solvers import ModelError, Status
from solvers.checks import check_model
from solvers.lower import lower

pytest.importorskip("pyscipopt")


def solved(model, backend: str = "auto", **kw) -> solvers.Solution:
    sol = solvers.solve(model, backend=backend, **kw)
    assert sol.status == Status.OPTIMAL, sol.message
    rep = solvers.check(model, sol, tol=1e-6)
    assert rep.feasible, rep.summary()
    assert rep.objective == pytest.approx(sol.objective, rel=1e-7, abs=1e-7)
    return sol


def test_auto_chooses_scip_only_when_needed():
    lp = {"variables": {"x": "real in [0, 4]"}, "maximize": "x", "constraints": {"c": "x <= 3"}}
    assert solvers.solve(lp).solver == "highs"
    convex_qp = {"variables": {"x": "real in [-4, 4]"}, "minimize": "(x - 1)**2"}
    assert solvers.solve(convex_qp).solver == "highs"
    cp = {"sets": {"I": [1, 2, 3]}, "variables": {"x[I]": "integer in [1, 3]"},
          "constraints": {"d": "all_different(x[i] for i in I)"}}
    assert solvers.solve(cp).solver == "cpsat"
    int_qp = {"variables": {"x": "integer in [-3, 3]"}, "minimize": "-(x**2) + x"}
    assert solvers.solve(int_qp).solver == "cpsat"  # a bounded integer QP stays on CP-SAT
    assert solved({"variables": {"x": "real in [0, 2]", "y": "real in [0, 2]"}, "maximize": "x + y",
                   "constraints": {"c": "x * y <= 1"}}).solver == "scip"


def test_nonconvex_qp_objective_goes_to_scip_with_the_global_optimum():
    """Maximize a convex function over a polytope: the optimum is at a vertex; enumerate them."""
    m = {"variables": {"x": "real in [-1, 3]", "y": "real in [-2, 2]"},
         "maximize": "x**2 + 2*y**2 - x*y", "constraints": {"c": "x + y <= 3"}}
    res = check_model(m)
    assert res.ok and any(d.code == "nonconvex-qp" and d.severity == "info" for d in res.diagnostics)
    sol = solved(m)
    assert sol.solver == "scip"
    f = lambda x, y: x * x + 2 * y * y - x * y  # noqa: E731
    vertices = [(-1, -2), (-1, 2), (1, 2), (3, 0), (3, -2)]
    assert sol.objective == pytest.approx(max(f(*v) for v in vertices))
    with pytest.raises(ModelError) as exc:
        solvers.solve(m, backend="highs")
    assert [d.code for d in exc.value.diagnostics] == ["nonconvex-qp"]
    assert "backend='scip'" in exc.value.diagnostics[0].hint
    errs = check_model(m, backend="highs").errors
    assert [d.code for d in errs] == ["nonconvex-qp"]


def test_minlp_matches_brute_force():
    """Integer n in 0..5 and real t: for each n the inner problem has a closed form."""
    m = {"variables": {"n": "integer in [0, 5]", "t": "real in [0, 10]"},
         "minimize": "(n - 2.6)**2 + (t - n)**2 + 3 * sqrt(t + 1) - log(n + 1) + abs(t - 2)",
         "constraints": {"link": "t * n >= 3", "cap": "t + n <= 8"}}
    assert check_model(m).problem_class == "MINLP"
    sol = solved(m)
    best = math.inf
    for n in range(6):
        for t in np.linspace(0, 10, 20001):
            if t * n >= 3 - 1e-12 and t + n <= 8:
                best = min(best, (n - 2.6) ** 2 + (t - n) ** 2 + 3 * math.sqrt(t + 1) - math.log(n + 1) + abs(t - 2))
    # the grid is within 5e-4 of any t; the objective's slope is bounded, so within 1e-2
    assert sol.objective <= best + 1e-6
    assert sol.objective >= best - 1e-2


def test_products_powers_division_and_functions():
    # geometric programme: min x + y with x * y >= 4  → 2 * sqrt(4) = 4 at x = y = 2
    assert solved({"variables": {"x": "real in [0.1, 10]", "y": "real in [0.1, 10]"}, "minimize": "x + y",
                   "constraints": {"c": "x * y >= 4"}}).objective == pytest.approx(4)
    # division by a variable: min x + 9 / x → 6 at x = 3
    assert solved({"variables": {"x": "real in [0.5, 10]"}, "minimize": "x + 9 / x"}).objective == pytest.approx(6)
    # a fractional power: max x**1.5 subject to x <= 4 → 8
    assert solved({"variables": {"x": "real in [0, 9]"}, "maximize": "x**1.5",
                   "constraints": {"c": "x <= 4"}}).objective == pytest.approx(8)
    # exp and log: min exp(x) - 2 x → 2 - 2 ln 2 at x = ln 2
    assert solved({"variables": {"x": "real in [-3, 3]"}, "minimize": "exp(x) - 2 * x"}).objective == \
        pytest.approx(2 - 2 * math.log(2))
    # max log(x) + log(y) with x + 2y <= 8 → x = 4, y = 2
    assert solved({"variables": {"x": "real in [0.01, 10]", "y": "real in [0.01, 10]"},
                   "maximize": "log(x) + log(y)", "constraints": {"c": "x + 2 * y <= 8"}}).objective == \
        pytest.approx(math.log(8))
    # degree 3 and abs of a quadratic: min |x^2 - 2| + (x - 1)^3 * 0 over x in [0, 3] → 0 at sqrt 2
    sol = solved({"variables": {"x": "real in [0, 3]"}, "minimize": "abs(x**2 - 2) + 0 * x * x * x"})
    assert sol.objective == pytest.approx(0, abs=1e-6) and sol.value("x") == pytest.approx(math.sqrt(2), abs=1e-4)


def test_gap_and_bound_are_reported():
    sol = solved("problems/examples/haverly_pooling/model.json")
    assert sol.solver == "scip" and sol.objective == pytest.approx(400)
    assert sol.gap is not None and sol.gap <= 1e-6
    assert sol.best_bound == pytest.approx(400, rel=1e-6)


def test_static_checks_classify_and_locate():
    m = {"variables": {"x": "real in [-1, 4]", "y": "binary"}, "minimize": "log(x) + y",
         "constraints": {"c": "x * x <= 2", "d": "implies(y == 1, x * x <= 1)"}}
    res = check_model(m)
    d = next(d for d in res.errors if d.code == "nonlinear")
    assert d.location.item == "d" and "implies" in d.message
    m["constraints"].pop("d")
    res = check_model(m)
    assert res.ok and res.problem_class == "MINLP" or res.problem_class == "NLP"
    warn = next(d for d in res.warnings if d.code == "nonlinear-domain")
    assert warn.location.section == "objective" and "log" in warn.message and "lb" in warn.hint
    for backend in ("highs", "cpsat"):
        errs = check_model(m, backend=backend).errors
        assert any(e.code == "needs-scip" and "backend='scip'" in e.hint for e in errs), backend
    with pytest.raises(ModelError) as exc:
        lower(m, target="highs")
    assert {d.code for d in exc.value.diagnostics} == {"needs-scip"}


def test_min_max_of_nonlinear_is_a_located_error():
    m = {"variables": {"x": "real in [0, 4]", "y": "real in [0, 4]"}, "minimize": "max(x * y, x)"}
    d = next(d for d in check_model(m).errors if d.code == "nonlinear")
    assert "introduce a variable t" in d.hint


def test_infeasible_nonlinear_model_names_its_conflict():
    m = {"variables": {"x": "real in [0, 10]", "y": "real in [0, 10]"}, "minimize": "x + y",
         "constraints": {"circle": "x**2 + y**2 <= 4", "far": "x + y >= 3", "fine": "x <= 9",
                         "hyper": "x * y >= 0.5"}}
    sol = solvers.solve(m)
    assert sol.status == Status.INFEASIBLE and sol.solver == "scip"
    assert set(sol.iis) == {"circle", "far"}  # x + y <= 2√2 < 3 on the disc


def test_checker_evaluates_nonlinear_terms_itself():
    m = "problems/examples/fire_station/model.json"
    rep = solvers.check(m, {"sx": 0.0, "sy": 0.0, "reach": 5.0})
    assert not rep.feasible  # Dale at √72 ≈ 8.49 km from (0, 0) is the farthest
    worst = max(rep.violations, key=lambda v: v.amount)
    assert worst.label == "covers[Dale]" and worst.lhs == pytest.approx(math.sqrt(72))
    assert {v.label for v in rep.violations} == {"covers[Birch]", "covers[Cedar]", "covers[Dale]", "covers[Fern]"}


def test_pyomo_export_of_nonlinear_models_evaluates_to_our_solution():
    import pyomo.environ as pyo

    from solvers.export import to_pulp, to_pyomo, write_lp

    for name in ("haverly_pooling", "fire_station"):
        path = f"problems/examples/{name}/model.json"
        sol = solvers.solve(path)
        low = lower(solvers.load_model(path), target="scip")
        m = to_pyomo(path)
        x = {}
        for blk in low.cols:
            var = getattr(m, blk.name)
            for j in range(blk.count):
                key = blk.key(j)
                v = var if key == () else var[key]
                v.set_value(sol.values[blk.name][key] if key != () else sol.values[blk.name][()])
                x[blk.start + j] = v
        obj = next(iter(m.component_objects(pyo.Objective)))
        assert pyo.value(obj) == pytest.approx(sol.objective, rel=1e-7)
        for con in m.component_objects(pyo.Constraint):
            for c in con.values():
                body = pyo.value(c.body)
                if c.has_lb():
                    assert body >= pyo.value(c.lower) - 1e-5
                if c.has_ub():
                    assert body <= pyo.value(c.upper) + 1e-5
        for bad, args in ((to_pulp, (path,)), (write_lp, (path, "/tmp/never.lp"))):
            with pytest.raises(ModelError) as exc:
                bad(*args)
            assert exc.value.diagnostics[0].code == "export-nonlinear"


def test_missing_pyscipopt_says_how_to_install(monkeypatch):
    import solvers.backends.scip as scip

    monkeypatch.setattr(scip, "available", lambda: False)
    m = "problems/examples/haverly_pooling/model.json"
    with pytest.raises(ModelError) as exc:
        solvers.solve(m)
    d = exc.value.diagnostics[0]
    assert d.code == "needs-scip" and "pip install 'formalize[scip]'" in d.hint
    assert any(e.code == "needs-scip" and "pip install" in e.hint for e in check_model(m).errors)
    # models HiGHS or CP-SAT take are not affected
    assert solvers.solve({"variables": {"x": "real in [0, 1]"}, "maximize": "x"}).status == Status.OPTIMAL


def test_mixed_integer_quadratic_with_real_variables_goes_to_scip():
    m = {"variables": {"n": "integer in [0, 4]", "x": "real in [0, 3.5]"},
         "maximize": "n * x - (x - 1)**2", "constraints": {"c": "n + x <= 5"}}
    sol = solved(m)
    assert sol.solver == "scip"
    best = max(n * x - (x - 1) ** 2 for n in range(5) for x in np.linspace(0, 3.5, 3501) if n + x <= 5 + 1e-12)
    assert sol.objective == pytest.approx(best, abs=1e-3) and sol.objective >= best - 1e-9


def test_brute_force_on_random_polynomials():
    """Small random polynomial programmes over integer boxes: SCIP equals enumeration."""
    rng = np.random.default_rng(7)
    for _ in range(6):
        a, b, c = (int(v) for v in rng.integers(-3, 4, 3))
        m = {"variables": {"x": "integer in [-3, 3]", "y": "integer in [-2, 3]"},
             "minimize": f"{a} * x * y * y + {b} * x**3 + {c} * y + abs(x - y)",
             "constraints": {"c": "x * y <= 4"}}
        sol = solved(m)
        best = min(a * x * y * y + b * x ** 3 + c * y + abs(x - y)
                   for x, y in itertools.product(range(-3, 4), range(-2, 4)) if x * y <= 4)
        assert sol.objective == pytest.approx(best)


# time limit, progress and Ctrl-C under the backend contract: tests/test_solve_runtime.py (HARD["scip"])


def test_values_scip_reads_as_infinite_are_located_errors():
    """A coefficient of 1e300 in a model routed to SCIP (a mixed-integer quadratic objective
    over an unbounded real) is `value-too-large` at its constraint, as for HiGHS — not SCIP's bare
    'error in input data' (found by tests/test_bad_input.py's stacked mutations)."""
    doc = {"sets": {"I": [1]}, "variables": {"x[I]": "real >= 0", "z[I]": "binary"},
           "minimize": "sum(x[i] * x[i] for i in I)",
           "constraints": {"rng[i in I]": "-1 <= x[i] + z[i] <= 4", "h": "1e300 * x[1] <= 5"}}
    with pytest.raises(ModelError) as exc:
        solvers.solve(doc, backend="scip")
    d = exc.value.diagnostics[0]
    assert d.code == "value-too-large" and d.location.item == "h" and "1e+300" in d.message
    with pytest.raises(ModelError) as exc:
        solvers.solve({**doc, "constraints": {**doc["constraints"], "h": "x[1] <= 1e25"}}, backend="scip")
    d = exc.value.diagnostics[0]
    assert d.code == "value-too-large" and d.location.item == "h" and "SCIP reads values >= 1e20" in d.message


def test_divisors_are_kept_off_zero_or_the_undefined_point_is_reported():
    """SCIP simplifies x / x to 1, so it could return x = 0, where the model is undefined (found
    by tests/test_bad_input.py: `x/x >= x`). A divisor of one sign gets a guard (>= 1e-6); one
    whose range crosses 0 cannot, and a point where it is 0 is a located `nonlinear-domain` error."""
    doc = {"variables": {"x": "real in [0, 10]"}, "minimize": "x", "constraints": {"c1": "x / x >= x"}}
    sol = solvers.solve(doc)
    assert sol.status == Status.OPTIMAL and 0 < sol.value("x") <= 1e-5
    assert solvers.check(doc, sol.values).feasible
    neg = {"variables": {"x": "real in [-10, 0]"}, "maximize": "x", "constraints": {"c": "2 / x <= -1"}}
    sol = solvers.solve(neg)
    assert -1e-5 <= sol.value("x") < 0 and solvers.check(neg, sol.values).feasible
    # x / abs(x): abs is an auxiliary column; guarded at SCIP's tolerance it sat at 1e-6 with x = 0,
    # and x = 0 came back "optimal" where the model is undefined (a hypothesis find): the model is
    # infeasible (x / abs(x) is 1 wherever it is defined)
    absdoc = {"variables": {"x": "real in [0, 10]"}, "minimize": "x", "constraints": {"c": "x + x / abs(x) <= x"}}
    assert solvers.solve(absdoc).status == Status.INFEASIBLE
    for doc in ({"variables": {"x": "real in [-1, 1]"}, "minimize": "x**2 + x / x"},
                {"variables": {"x": "real in [-1, 1]", "y": "real in [0, 5]"}, "minimize": "y",
                 "constraints": {"c": "y >= x**2 + x / x"}}):
        with pytest.raises(ModelError) as exc:
            solvers.solve(doc)
        d = exc.value.diagnostics[0]
        assert d.code == "nonlinear-domain" and "division by zero" in d.message and "lb" in d.hint
        assert (d.location.item == "c") if "constraints" in doc else d.location.section == "objective"


def test_domain_warning_reads_the_linear_constraints():
    """A divisor the constraints keep off 0 is no risk (the stand-in's energy-per-dollar ratio,
    OptiBench 89: at least 20% of the budget on solar); without that constraint the warning stays,
    with the range over bounds and rows; a log argument the rows keep below 0 in part stays too."""
    ratio = {"variables": {"s": "integer in [0, 100]", "w": "integer in [0, 100]"},
             "maximize": "(10*s + 3*w) / (5000*s + 2000*w)",
             "constraints": {"share": "5000*s >= 0.2 * 500000", "budget": "5000*s + 2000*w <= 500000"}}
    assert not [d for d in check_model(ratio).warnings if d.code == "nonlinear-domain"]
    sol = solvers.solve(ratio)  # 20 solar units and no wind: 200 / 100000
    assert sol.status == Status.OPTIMAL and sol.objective == pytest.approx(0.002)
    assert solvers.check(ratio, sol.values).feasible
    loose = {**ratio, "constraints": {"budget": "5000*s + 2000*w <= 500000"}}
    (w,) = [d for d in check_model(loose).warnings if d.code == "nonlinear-domain"]
    assert "linear constraints it ranges in [0, 500000]" in w.message and w.location.section == "objective"
    log = {"variables": {"x": "real in [-1, 4]"}, "minimize": "log(x)", "constraints": {"c": "x >= -0.5"}}
    (w,) = [d for d in check_model(log).warnings if d.code == "nonlinear-domain"]
    assert "[-0.5, 4]" in w.message
    root = {"variables": {"x": "real in [-1, 4]", "y": "real in [-3, 3]"}, "minimize": "sqrt(x + y)",
            "constraints": {"c": "x + y >= 0"}}
    assert not [d for d in check_model(root).warnings if d.code == "nonlinear-domain"]
