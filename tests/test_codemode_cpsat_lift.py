"""CP-SAT programs lifted into the formal model (issue 10, item 3 of the code-verify brief).

The knapsack below is small enough to know its optimum by hand. Items a, b, c, d weigh 5, 6, 3,
4 (capacity 12) and are worth 10, 13, 7, 8; taking c forces d; a or b must be taken; `extra`
(0..10, worth 2 each) is at most 3 when a is taken and at least 2 when b is not; 5 is added.
The feasible selections within the capacity that respect c -> d and a-or-b: {a}, {b}, {a, b},
{a, d}, {b, d}, {a, c, d}: b without a lets extra reach 10, so {b, d} = 13 + 8 + 20 + 5 = 46 beats
{b} = 38, {a, b} = 23 + 6 + 5 = 34, {a, c, d} = 25 + 6 + 5 = 36, {a, d} = 29, {a} = 21.
"""

from __future__ import annotations

import json

import pytest

import solvers
from formalize.codemode import solve_code
from formalize.codemode.codegen import solve_with_code
from formalize.codemode.lift import lift
from formalize.codemode.readback import readable_solution
from formalize.llm.testing import ScriptedLLM
from formalize.verify.code_numbers import program_numbers
from solvers.render import to_text

BEST = 46.0
KNAPSACK = '''from ortools.sat.python import cp_model
items = ["a", "b", "c", "d"]
value = {"a": 10, "b": 13, "c": 7, "d": 8}
weight = {"a": 5, "b": 6, "c": 3, "d": 4}
model = cp_model.CpModel()
take = {i: model.NewBoolVar(f"take[{i}]") for i in items}
pos = {i: model.NewIntVar(0, 5, f"pos_{i}") for i in items}
extra = model.NewIntVar(0, 10, "extra")
model.Add(sum(weight[i] * take[i] for i in items) <= 12)
model.AddAllDifferent([pos[i] for i in items])
model.Add(pos["a"] != 2)
model.Add(extra <= 3).OnlyEnforceIf(take["a"])
model.Add(extra >= 2).OnlyEnforceIf(take["b"].Not())
model.AddImplication(take["c"], take["d"])
model.AddBoolOr([take["a"], take["b"]])
model.Maximize(sum(value[i] * take[i] for i in items) + 2 * extra + 5)
'''
TEXT = ("Four items a, b, c and d weigh 5, 6, 3 and 4 kg; the knapsack holds 12 kg. They are worth "
        "10, 13, 7 and 8. Taking c requires taking d, and a or b must be taken. Each item also gets a "
        "distinct position from 0 to 5, and a may not take position 2. Extra effort (0 to 10 units, "
        "worth 2 each) is at most 3 when a is taken and at least 2 when b is not. A bonus of 5 is "
        "always paid. Maximize the total worth.")


def _lifted(src: str):
    sol, run = solve_code(src)
    assert run.ok and sol.ok, run.diagnostics
    collections = program_numbers(src).collections
    model, why = lift(run, collections)
    return sol, run, collections, model, why


def test_a_cpsat_model_is_lifted_whole_and_solves_to_the_programs_optimum():
    sol, run, collections, model, why = _lifted(KNAPSACK)
    assert why is None and model is not None
    assert sol.objective == pytest.approx(BEST)
    shown = to_text(model)
    assert "take[i in items] : binary" in shown and "pos[i in items] : integer (lb=0, ub=5)" in shown
    assert "extra : integer (lb=0, ub=10)" in shown
    assert 'all_different(pos["a"], pos["b"], pos["c"], pos["d"])' in shown
    assert 'pos["a"] != 2' in shown
    assert 'implies(take["a"] == 1, extra <= 3)' in shown and 'implies(take["b"] == 0, extra >= 2)' in shown
    assert "maximize" in shown and "+ 2 * extra + 5" in shown
    again = solvers.solve(model)  # all_different: the formal model goes to CP-SAT
    assert again.ok and again.objective == pytest.approx(BEST)
    # the program's own solution, read back under the lifted names, is checked on the lifted model
    report = solvers.check(model, readable_solution(sol, run, collections).values)
    assert report.feasible and report.complete and report.objective == pytest.approx(BEST)


def test_a_linear_cpsat_model_solves_through_highs_too():
    src = KNAPSACK.replace('model.AddAllDifferent([pos[i] for i in items])\nmodel.Add(pos["a"] != 2)\n', "")
    sol, _, _, model, why = _lifted(src)
    assert why is None
    highs = solvers.solve(model, backend="highs")  # implies: big-M from the bounds
    assert highs.solver == "highs" and highs.objective == pytest.approx(BEST) == sol.objective


def test_minimize_with_an_offset_keeps_its_sense_and_constant():
    src = '''from ortools.sat.python import cp_model
model = cp_model.CpModel()
x = model.NewIntVar(0, 9, "x")
y = model.NewIntVar(0, 9, "y")
model.Add(2 * x + 3 * y >= 13)
model.AddExactlyOne([model.NewBoolVar("u"), model.NewBoolVar("v")])
model.Minimize(4 * x + 5 * y + 7)
'''
    # 2x + 3y >= 13 at least cost 4x + 5y: y = 3, x = 2 gives 8 + 15 = 23 (13 exactly); y = 5, x = 0
    # gives 25; x = 5, y = 1 gives 25; x = 7: 28 -- so 23 + 7 = 30
    sol, _, _, model, why = _lifted(src)
    assert why is None and model.sense == "minimize"
    assert sol.objective == pytest.approx(30) and solvers.solve(model).objective == pytest.approx(30)


def test_a_model_with_constraints_the_format_lacks_is_not_lifted_and_says_which():
    src = '''from ortools.sat.python import cp_model
model = cp_model.CpModel()
s = [model.NewIntVar(0, 20, f"s{k}") for k in range(2)]
iv = [model.NewFixedSizeIntervalVar(s[k], 4, f"iv{k}") for k in range(2)]
model.AddNoOverlap(iv)
p = model.NewIntVar(0, 400, "p")
model.AddMultiplicationEquality(p, [s[0], s[1]])
model.Minimize(p + s[0])
'''
    sol, _, _, model, why = _lifted(src)
    assert model is None and sol.ok
    assert "NewIntervalVar ×2" in why and "AddNoOverlap ×1" in why and "AddMultiplicationEquality ×1" in why
    assert why.startswith("not lifted")


def test_code_mode_runs_the_formal_checks_on_a_lifted_cpsat_model_and_never_on_a_partial_one():
    fixed = '''from ortools.sat.python import cp_model
model = cp_model.CpModel()
x = model.NewIntVar(0, 10, "x")
y = model.NewIntVar(0, 10, "y")
model.Add(x == 3)
model.Add(y == 4)
model.Maximize(2 * x + 5 * y)
'''
    text = "Make x and y, at most 10 each; x is 3 and y is 4. Profit 2 per x and 5 per y. Maximize profit."
    llm = ScriptedLLM([f"```python\n{fixed}```\n"] * 2, name="cpsat_lift_fixed")
    try:
        res = solve_with_code(text, llm.client(), library="cpsat")
    finally:
        llm.close()
    f = res.formalization
    assert f.model is not None and res.objective == pytest.approx(26)
    assert "fixed-by-equalities" in [d.code for d in f.history[0].diagnostics]
    # the same model beside a product: nothing lifted, so no check judges a partial model
    partial = fixed.replace("model.Maximize", "p = model.NewIntVar(0, 100, 'p')\n"
                            "model.AddMultiplicationEquality(p, [x, y])\nmodel.Maximize")
    llm = ScriptedLLM([f"```python\n{partial}```\n"] * 2, name="cpsat_lift_partial")
    try:
        res = solve_with_code(text, llm.client(), library="cpsat")
    finally:
        llm.close()
    assert res.formalization.model is None and res.objective == pytest.approx(26)
    lift_steps = [s.detail for s in res.formalization.trace if s.name == "lift"]
    assert lift_steps and "AddMultiplicationEquality ×1" in lift_steps[-1]
    assert "fixed-by-equalities" not in [d.code for r in res.formalization.history for d in r.diagnostics]


def test_save_model_writes_a_lifted_cpsat_model_that_formalize_solve_solves(tmp_path, capsys):
    from formalize.cli import main as cli

    problem = tmp_path / "problem.txt"
    problem.write_text(TEXT)
    out = tmp_path / "lifted.json"
    llm = ScriptedLLM([f"```python\n{KNAPSACK}```\n"], name="cpsat_lift_save")
    with llm:
        code = cli.main(["solve", str(problem), "--mode", "code", "--model", llm.model, "--quiet",
                         "--save-model", str(out), "--show-model"])
    assert code == 0, capsys.readouterr()
    assert "all_different" in capsys.readouterr().out
    doc = json.loads(out.read_text())
    assert doc["variables"]["take"]["domain"] == "binary"
    assert cli.main(["solve", str(out), "--json", "--quiet"]) == 0
    solved = json.loads(capsys.readouterr().out)
    assert solved["solution"]["objective"] == pytest.approx(BEST)
