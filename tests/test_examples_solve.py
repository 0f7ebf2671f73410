"""End to end on the bundled examples: load -> static checks -> solve -> independent checker.

The labels in problems/examples/*/expected.json are proven without our stack by
tests/test_examples_reference.py; here our solvers must reproduce them, and every solution is
confirmed by `solvers.check` (which does not reuse the lowering).
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest

import solvers
from solvers import Status

EXAMPLES = Path(__file__).resolve().parent.parent / "problems" / "examples"
NAMES = sorted(p.name for p in EXAMPLES.iterdir() if (p / "model.json").is_file())
REL = 1e-6

# integer models both backends accept: HiGHS (big-M for `or`/`implies`) and CP-SAT (native,
# with the bakery's 0.5 h coefficients scaled exactly)
BOTH_BACKENDS = [
    "assignment",
    "facility_location",
    "infeasible_bakery",
    "job_shop",
    "knapsack",
    "set_cover",
]

# classes that a static classifier may also legitimately report: a disjunctive integer model is
# CP or MILP; abs/max models are LPs mathematically but may be classed by their reformulation
OTHER_CLASS_OK = {
    "job_shop": {"MILP"},
    "l1_regression": {"MILP"},
    "minimax_location": {"MILP"},
}


def expected(name: str) -> dict:
    return json.loads((EXAMPLES / name / "expected.json").read_text(encoding="utf-8"))


def load(name: str) -> solvers.Model:
    return solvers.load_model(EXAMPLES / name / "model.json")


def close(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=REL, abs_tol=1e-7)


def errors_of(result: Any) -> list:
    """The error-severity diagnostics of a check_model result."""
    diags = getattr(result, "diagnostics", result)
    return [d for d in diags if getattr(d, "severity", "error") == "error"]


def assert_solution(name: str, model: solvers.Model, sol: solvers.Solution, backend: str) -> None:
    """Status and objective as labelled; the checker confirms the point and the objective."""
    exp = expected(name)
    where = f"{name} ({backend}, solver={sol.solver!r}, message={sol.message!r})"
    if exp["status"] == "infeasible":
        assert sol.status == Status.INFEASIBLE, f"{where}: status {sol.status.value}"
        return
    if exp["status"] == "feasible":
        assert sol.ok, f"{where}: status {sol.status.value}, expected a feasible point"
    else:
        assert sol.status == Status.OPTIMAL, f"{where}: status {sol.status.value}"
        assert sol.objective is not None
        assert close(sol.objective, exp["objective"]), (
            f"{where}: objective {sol.objective} != expected {exp['objective']}"
        )
    report = solvers.check(model, sol.values)
    assert report.feasible, f"{where}: checker rejects the solution: {report}"
    if exp["status"] == "optimal":
        assert report.objective is not None and close(report.objective, exp["objective"]), (
            f"{where}: checker objective {report.objective} != expected {exp['objective']}"
        )


@pytest.mark.parametrize("name", NAMES)
def test_static_checks_clean(name: str) -> None:
    result = solvers.check_model(load(name))
    errs = errors_of(result)
    assert not errs, f"{name}: " + "; ".join(str(d) for d in errs)
    cls = getattr(result, "problem_class", None)
    cls = getattr(cls, "value", cls)
    want = expected(name)["class"]
    assert cls == want or cls in OTHER_CLASS_OK.get(name, set()), (
        f"{name}: problem class {cls}, expected {want}"
    )


@pytest.mark.parametrize("name", NAMES)
def test_solve_matches_label(name: str) -> None:
    model = load(name)
    sol = solvers.solve(model, backend="auto")
    assert_solution(name, model, sol, "auto")


@pytest.mark.parametrize("name", BOTH_BACKENDS)
@pytest.mark.parametrize("backend", ["highs", "cpsat"])
def test_both_backends_agree(name: str, backend: str) -> None:
    model = load(name)
    sol = solvers.solve(model, backend=backend)
    assert_solution(name, model, sol, backend)


def test_infeasible_bakery_names_its_conflict() -> None:
    sol = solvers.solve(load("infeasible_bakery"))
    assert sol.status == Status.INFEASIBLE
    assert sol.iis, "an infeasible model must come with its conflicting constraints"
    # the oven time and both standing orders are each needed for the conflict
    assert set(sol.iis) == {"oven_time", "standing_orders[bread]", "standing_orders[cake]"}


def test_sudoku_is_the_unique_completion() -> None:
    from test_examples_reference import sudoku_reference

    sol = solvers.solve(load("sudoku"))
    assert sol.ok, sol.message
    grid = [[round(sol.value("cell", r, c)) for c in range(1, 10)] for r in range(1, 10)]
    solution, count = sudoku_reference()
    assert count == 1
    assert grid == solution


def test_n_queens_solution_is_valid() -> None:
    from test_examples_reference import queens_ok

    sol = solvers.solve(load("n_queens"))
    assert sol.ok, sol.message
    rows = [round(sol.value("row", i)) for i in range(1, 9)]
    assert queens_ok(rows), rows


def test_checker_rejects_a_broken_solution() -> None:
    """The checker is not a rubber stamp: pack every item and it must object."""
    model = load("knapsack")
    sol = solvers.solve(model)
    assert sol.status == Status.OPTIMAL
    values = {name: dict.fromkeys(vals, 1.0) for name, vals in sol.values.items()}
    report = solvers.check(model, values)
    assert not report.feasible  # all 22 items weigh 803 dag > 400


# --- the checker alone on known points: the models encode the problems the references solve


def _tsp_values(tour: list[str], km: dict) -> dict[str, dict]:
    arcs = set(zip(tour, tour[1:], strict=False))
    order = {town: float(pos) for pos, town in enumerate(tour[1:-1], start=1)}
    return {"travel": {k: float(k in arcs) for k in km}, "order": order}


def test_checker_scores_reference_optima() -> None:
    """Optimal points known from the reference derivations score the labelled objective."""
    from test_examples_reference import Example, sudoku_reference

    ship = dict.fromkeys(
        [(p, m) for p in ("seattle", "san_diego") for m in ("new_york", "chicago", "topeka")], 0.0
    )
    ship.update(
        {
            ("seattle", "new_york"): 50.0,
            ("seattle", "chicago"): 300.0,
            ("san_diego", "new_york"): 275.0,
            ("san_diego", "topeka"): 275.0,
        }
    )
    km = Example("tsp").param("km")
    grid, _ = sudoku_reference()
    points: dict[str, dict[str, dict]] = {
        "transport": {"ship": ship},
        "blending": {
            "grams": {"chicken": 0, "beef": 60, "mutton": 0, "rice": 0, "wheat_bran": 0, "gel": 40}
        },
        "minimax_location": {"depot_x": {(): 55.0}, "depot_y": {(): 50.0}},
        "tsp": _tsp_values(["ashford", "ely", "dover", "brigg", "carlow", "frome", "ashford"], km),
        "sudoku": {"cell": {(r + 1, c + 1): grid[r][c] for r in range(9) for c in range(9)}},
        "n_queens": {"row": {i: r for i, r in enumerate([1, 5, 8, 6, 3, 7, 2, 4], start=1)}},
    }
    for name, values in points.items():
        report = solvers.check(load(name), values)
        assert report.feasible, f"{name}: {report.summary()}"
        exp = expected(name)
        if exp["status"] == "optimal":
            assert report.objective is not None and close(report.objective, exp["objective"]), name


def test_checker_catches_subtours() -> None:
    """Two 3-town loops satisfy the degree constraints; MTZ (no_subtour) must reject them."""
    from test_examples_reference import Example

    km = Example("tsp").param("km")
    loops = [("ashford", "ely"), ("ely", "brigg"), ("brigg", "ashford")]
    loops += [("carlow", "dover"), ("dover", "frome"), ("frome", "carlow")]
    values = {
        "travel": {k: float(k in loops) for k in km},
        "order": {"brigg": 2.0, "carlow": 1.0, "dover": 2.0, "ely": 1.0, "frome": 3.0},
    }
    report = solvers.check(load("tsp"), values)
    assert not report.feasible
    violated = {v.constraint for v in report.violations}
    assert violated == {"no_subtour"}, report.summary()
