"""Exports (LP, MPS, Pyomo, PuLP) solve to the same optimum as `solvers.solve` — and as the
independently derived optima in problems/examples/*/expected.json — including models whose
`implies`, `abs` and `max` were reformulated (facility_location, l1_regression,
minimax_location) and a convex QP (portfolio: LP/MPS/Pyomo only; PuLP has no quadratic terms).

LP/MPS files are read back by highspy; Pyomo models are solved by Pyomo's own HiGHS interface;
PuLP models by PuLP's bundled CBC. OR-Tools' pywraplp is never used here (DESIGN.md: it crashes
in a process that imported pulp); highspy is unaffected.
"""

from __future__ import annotations

import json
from pathlib import Path

import highspy
import pytest

import solvers
from formalize.cli import main as cli
from solvers import ModelError
from solvers.export import to_pulp, to_pyomo, write_lp, write_mps

ROOT = Path(__file__).resolve().parent.parent
EX = ROOT / "problems/examples"
LINEAR = ["transport", "diet", "knapsack", "assignment", "set_cover", "tsp", "production_planning",
          "blending", "facility_location", "l1_regression", "minimax_location", "shortest_route",
          "seasonal_stock"]
ALL = LINEAR + ["portfolio"]
# the brief's CBC: PuLP's bundled binary (deprecated in PuLP 3.3 in favour of pulp[cbc], still shipped)
pytestmark = pytest.mark.filterwarnings("ignore:PULP_CBC_CMD is deprecated:DeprecationWarning")


def expected(name: str) -> float:
    return float(json.loads((EX / name / "expected.json").read_text())["objective"])


def read_with_highs(path: Path) -> tuple[str, float]:
    h = highspy.Highs()
    h.silent()
    assert h.readModel(str(path)) == highspy.HighsStatus.kOk
    h.run()
    return h.modelStatusToString(h.getModelStatus()), h.getInfo().objective_function_value


@pytest.fixture(scope="module")
def reference() -> dict[str, float]:
    """solvers.solve's optimum per example, checked against the independent value."""
    out = {}
    for name in ALL:
        sol = solvers.solve(EX / name / "model.json")
        assert sol.status.value == "optimal"
        assert sol.objective == pytest.approx(expected(name), rel=1e-6, abs=1e-9)
        out[name] = sol.objective
    return out


@pytest.mark.parametrize("name", ALL)
def test_lp_and_mps_files_reread_by_highspy(name, reference, tmp_path, capsys):
    model = EX / name / "model.json"
    lp = write_lp(model, tmp_path / "m.lp")
    assert cli.main(["export", str(model), "--to", "mps", "-o", str(tmp_path / "m.mps")]) == 0
    for path in (lp, tmp_path / "m.mps"):
        status, obj = read_with_highs(path)
        assert status == "Optimal", (path.suffix, status)
        assert obj == pytest.approx(reference[name], rel=1e-6, abs=1e-7), path.suffix


def test_lp_file_name_without_lp_suffix(tmp_path, reference):
    out = write_lp(EX / "knapsack/model.json", tmp_path / "knapsack.txt")
    assert out.read_text().startswith("\\ File written by HiGHS")
    assert not list(tmp_path.glob("*.lp"))
    out = write_mps(EX / "knapsack/model.json", tmp_path / "knapsack.out")
    assert "ROWS" in out.read_text()


def test_infeasible_model_exports_stay_infeasible(tmp_path):
    import pulp

    status, _ = read_with_highs(write_lp(EX / "infeasible_bakery/model.json", tmp_path / "b.lp"))
    assert status == "Infeasible"
    prob = to_pulp(EX / "infeasible_bakery/model.json")
    assert pulp.LpStatus[prob.solve(pulp.PULP_CBC_CMD(msg=False))] == "Infeasible"


def _solve_pyomo(m, tmp_path: Path) -> float:
    """Solve with Pyomo's HiGHS interface; without one, via Pyomo's LP writer and highspy."""
    import pyomo.environ as pyo

    solver = pyo.SolverFactory("highs")
    if solver.available(exception_flag=False):
        res = solver.solve(m)
        assert str(res.solver.termination_condition) == "optimal"
        return pyo.value(next(m.component_objects(pyo.Objective, active=True)))
    path = tmp_path / "pyomo.lp"
    m.write(str(path), io_options={"symbolic_solver_labels": True})
    status, obj = read_with_highs(path)
    assert status == "Optimal"
    return obj


@pytest.mark.parametrize("name", ALL)
def test_pyomo_export_same_optimum(name, reference, tmp_path):
    import pyomo.environ as pyo

    m = to_pyomo(EX / name / "model.json")
    assert isinstance(m, pyo.ConcreteModel)
    assert _solve_pyomo(m, tmp_path) == pytest.approx(reference[name], rel=1e-6, abs=1e-7)


def test_pyomo_export_names_follow_the_model():
    import pyomo.environ as pyo

    m = to_pyomo(EX / "transport/model.json")
    assert m.name == "transport"
    assert ("seattle", "ny") not in m.ship and ("seattle", "new_york") in m.ship
    assert len(m.supply_limit) == 2 and "san_diego" in m.supply_limit
    assert m.ship["seattle", "new_york"].lb == 0
    m = to_pyomo(EX / "facility_location/model.json")  # implies → big-M rows: positions
    assert m.open["A"].domain is pyo.Binary
    assert len(list(m.component_objects(pyo.Constraint))) >= 3


def test_pyomo_file_written_by_the_cli(tmp_path, reference):
    model = EX / "minimax_location/model.json"
    assert cli.main(["export", str(model), "--to", "pyomo", "-o", str(tmp_path / "p.lp")]) == 0
    status, obj = read_with_highs(tmp_path / "p.lp")
    assert status == "Optimal" and obj == pytest.approx(reference["minimax_location"], rel=1e-6)


@pytest.mark.parametrize("name", LINEAR)
def test_pulp_export_same_optimum_with_cbc(name, reference):
    import pulp

    prob = to_pulp(EX / name / "model.json")
    assert isinstance(prob, pulp.LpProblem)
    status = prob.solve(pulp.PULP_CBC_CMD(msg=False))
    assert pulp.LpStatus[status] == "Optimal"
    assert pulp.value(prob.objective) == pytest.approx(reference[name], rel=1e-6, abs=1e-7)


def test_pulp_json_written_by_the_cli_reloads(tmp_path, reference):
    import pulp

    model = EX / "facility_location/model.json"
    assert cli.main(["export", str(model), "--to", "pulp", "-o", str(tmp_path / "p.json")]) == 0
    load = getattr(pulp.LpProblem, "fromJson", None) or pulp.LpProblem.from_json
    _, prob = load(str(tmp_path / "p.json"))
    prob.solve(pulp.PULP_CBC_CMD(msg=False))
    assert pulp.value(prob.objective) == pytest.approx(reference["facility_location"], rel=1e-6)


def test_pulp_names_are_distinct_even_when_sanitizing_collides():
    doc = {"name": "clash", "sense": "maximize", "sets": {"S": ["a b", "a_b", "a-b"]},
           "variables": {"x": {"index": ["S"], "domain": "real", "lb": 0, "ub": 1}},
           "objective": "sum(x[s] for s in S)",
           "constraints": [{"name": "cap", "forall": "s in S", "expr": "x[s] <= 0.5"},
                           {"name": "band", "forall": "s in S", "expr": "0.1 <= x[s] <= 0.9"}]}
    import pulp

    prob = to_pulp(doc)
    names = [v.name for v in prob.variables()]
    assert len(names) == len(set(names)) == 3
    assert prob.numConstraints() == 3 + 6  # a range is two rows
    prob.solve(pulp.PULP_CBC_CMD(msg=False))
    assert pulp.value(prob.objective) == pytest.approx(1.5)


def test_cp_only_and_quadratic_refusals_are_model_errors():
    with pytest.raises(ModelError) as e:
        to_pulp(EX / "portfolio/model.json")
    assert e.value.diagnostics[0].code == "export-quadratic"
    with pytest.raises(ModelError) as e:
        to_pyomo(EX / "sudoku/model.json")
    assert any(d.code == "needs-cpsat" for d in e.value.diagnostics)
