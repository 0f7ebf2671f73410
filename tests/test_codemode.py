"""Code mode end to end: real Pyomo, PuLP and CP-SAT programs go check -> run -> harvest -> solve,
and each kind of failure becomes the right located diagnostic."""

from __future__ import annotations

import itertools

import pytest

from formalize.codemode import check_code, run_code, solve_code, user_values
from solvers.solution import Status

PYOMO_LP = """
import pyomo.environ as pyo

model = pyo.ConcreteModel()
model.x = pyo.Var([1, 2], within=pyo.NonNegativeReals)
model.obj = pyo.Objective(expr=3 * model.x[1] + 2 * model.x[2], sense=pyo.maximize)
model.c1 = pyo.Constraint(expr=model.x[1] + model.x[2] <= 4)
model.c2 = pyo.Constraint(expr=model.x[1] + 3 * model.x[2] <= 6)
model.c3 = pyo.Constraint(expr=model.x[1] <= 3)
"""

WEIGHTS = [12, 7, 11, 8, 9, 6]
VALUES = [24, 13, 23, 15, 16, 11]
CAP = 26

PULP_KNAPSACK = f"""
import pulp

weights = {WEIGHTS}
values = {VALUES}
model = pulp.LpProblem("knapsack", pulp.LpMaximize)
take = [pulp.LpVariable(f"take_{{i}}", cat="Binary") for i in range(len(weights))]
model += pulp.lpSum(v * t for v, t in zip(values, take)) + 5
model += pulp.lpSum(w * t for w, t in zip(weights, take)) <= {CAP}, "capacity"
"""

CPSAT_SEND_MORE = """
from ortools.sat.python import cp_model

model = cp_model.CpModel()
letters = "SENDMORY"
v = {c: model.new_int_var(0, 9, c) for c in letters}
model.add_all_different(list(v.values()))
model.add(v["S"] >= 1)
model.add(v["M"] >= 1)
send = 1000 * v["S"] + 100 * v["E"] + 10 * v["N"] + v["D"]
more = 1000 * v["M"] + 100 * v["O"] + 10 * v["R"] + v["E"]
money = 10000 * v["M"] + 1000 * v["O"] + 100 * v["N"] + 10 * v["E"] + v["Y"]
model.add(send + more == money)
"""

PYOMO_2D = """
from pyomo.environ import *

plants = ["a", "b"]
markets = [1, 2]
cost = {("a", 1): 2, ("a", 2): 4, ("b", 1): 3, ("b", 2): 1}
model = ConcreteModel()
model.ship = Var(plants, markets, domain=NonNegativeReals)
model.cost = Objective(expr=sum(cost[p, m] * model.ship[p, m] for p in plants for m in markets))
model.demand = Constraint(markets, rule=lambda mdl, m: sum(mdl.ship[p, m] for p in plants) >= 10)
model.supply = Constraint(plants, rule=lambda mdl, p: sum(mdl.ship[p, m] for m in markets) <= 15)
"""


def test_pyomo_lp_hand_optimum():
    assert check_code(PYOMO_LP) == []
    sol, run = solve_code(PYOMO_LP, timeout=20)
    assert run.ok and run.library == "pyomo" and run.model_format == "arrays"
    assert sol.status is Status.OPTIMAL and sol.solver == "highs"
    assert sol.objective == pytest.approx(11.0)  # vertex (3, 1): 3*3 + 2*1
    assert sol.values["x[1]"][()] == pytest.approx(3.0)
    assert sol.values["x[2]"][()] == pytest.approx(1.0)
    assert run.names["x[1]"] == ("x", (1,))
    assert user_values(sol, run)["x"] == {1: pytest.approx(3.0), 2: pytest.approx(1.0)}
    assert set(sol.values) == {"x[1]", "x[2]"}


def test_pyomo_two_index_names_map_back():
    sol, run = solve_code(PYOMO_2D, timeout=20)
    assert sol.status is Status.OPTIMAL
    # cheapest: market 1 from a (2), market 2 from b (1): 10*2 + 10*1
    assert sol.objective == pytest.approx(30.0)
    ship = user_values(sol, run)["ship"]
    assert ship[("a", 1)] == pytest.approx(10.0) and ship[("b", 2)] == pytest.approx(10.0)
    assert run.names["ship[a,1]"] == ("ship", ("a", 1))


def test_pulp_knapsack_brute_force_optimum():
    best = max(
        sum(v for v, t in zip(VALUES, pick) if t)
        for pick in itertools.product([0, 1], repeat=len(WEIGHTS))
        if sum(w for w, t in zip(WEIGHTS, pick) if t) <= CAP
    )
    sol, run = solve_code(PULP_KNAPSACK, timeout=20)
    assert run.ok and run.library == "pulp"
    assert sol.status is Status.OPTIMAL
    assert sol.objective == pytest.approx(best + 5)  # the objective constant is kept
    chosen = [i for i in range(len(WEIGHTS)) if sol.values[f"take_{i}"][()] > 0.5]
    assert sum(WEIGHTS[i] for i in chosen) <= CAP
    assert sum(VALUES[i] for i in chosen) == best


def test_cpsat_all_different_puzzle():
    sol, run = solve_code(CPSAT_SEND_MORE, timeout=20)
    assert run.ok and run.library == "cpsat" and run.model_format == "cpsat-text"
    assert sol.status is Status.OPTIMAL and sol.solver == "cp-sat"
    digits = {k: int(v[()]) for k, v in sol.values.items()}
    assert digits == {"S": 9, "E": 5, "N": 6, "D": 7, "M": 1, "O": 0, "R": 8, "Y": 2}
    assert sol.objective is None


def test_stdout_of_program_is_captured_not_printed(capfd):
    sol, run = solve_code(PYOMO_LP.replace("model.c3", "print('hello from model')\nmodel.c3"))
    assert sol.ok and "hello from model" in run.stdout
    assert "hello from model" not in capfd.readouterr().out
    assert "Running HiGHS" not in capfd.readouterr().out


def _only(diags, code):
    assert [d.code for d in diags] == [code], [str(d) for d in diags]
    return diags[0]


def test_syntax_error_is_located():
    d = _only(check_code("import pulp\nmodel = pulp.LpProblem('p'\nx = 1\n"), "syntax-error")
    assert d.location.section == "code" and d.location.field in ("line 2", "line 3")
    run = run_code("import pulp\nfor i in range(3)\n    pass\n")
    assert run.reason == "refused"
    assert _only(run.diagnostics, "syntax-error").location.field == "line 2"


def test_forbidden_import_is_located():
    d = _only(
        check_code("import pulp\nimport os\nmodel = pulp.LpProblem('p')\n"), "forbidden-import"
    )
    assert d.location.field == "line 2" and d.location.symbol == "os" and d.hint
    run = run_code("from subprocess import run\n")
    assert run.reason == "refused" and run.returncode is None  # never started


def test_runtime_error_carries_user_line():
    src = "import pulp\nmodel = pulp.LpProblem('p')\ncap = [1, 2]\nx = cap[5]\n"
    sol, run = solve_code(src, timeout=20)
    assert run.reason == "runtime_error" and sol.status is Status.ERROR
    d = _only(run.diagnostics, "runtime-error")
    assert d.location.field == "line 4" and "IndexError" in d.message
    assert sol.diagnostics == run.diagnostics


def test_runtime_error_inside_function_points_at_innermost_user_line():
    src = "import math\n\ndef f(a):\n    return math.sqrt(a)\n\nmodel = f(-1)\n"
    run = run_code(src)
    d = _only(run.diagnostics, "runtime-error")
    assert d.location.field == "line 4" and "ValueError" in d.message


def test_program_that_forgets_model():
    run = run_code("import pulp\nprob = pulp.LpProblem('p', pulp.LpMinimize)\n")
    assert run.reason == "no_model"
    d = _only(run.diagnostics, "missing-model")
    assert "`model`" in d.message and "model =" in d.hint


def test_model_of_wrong_type():
    run = run_code("import math\nmodel = [math.pi]\n")
    assert run.reason == "bad_model"
    assert "ConcreteModel" in _only(run.diagnostics, "bad-model").message


def test_solve_calls_are_refused_statically():
    """Decision: programs that solve are refused (not silently ignored), so the repair loop
    tells the LLM to drop the call; we always solve with our own backends."""
    for src, line in [
        ("import pulp\nmodel = pulp.LpProblem('p')\nmodel.solve()\n", 3),
        (
            "import pyomo.environ as pyo\nmodel = pyo.ConcreteModel()\n"
            "pyo.SolverFactory('glpk').solve(model)\n",
            3,
        ),
        (
            "from ortools.sat.python import cp_model\nmodel = cp_model.CpModel()\n"
            "s = cp_model.CpSolver()\n",
            3,
        ),
    ]:
        diags = check_code(src)
        assert diags and all(d.code == "solve-call" for d in diags), [str(d) for d in diags]
        assert diags[0].location.field == f"line {line}"
        assert run_code(src).reason == "refused"


def test_infeasible_program_model():
    src = PYOMO_LP + "model.c4 = pyo.Constraint(expr=model.x[1] >= 5)\n"
    sol, _ = solve_code(src)
    assert sol.status is Status.INFEASIBLE


def test_common_llm_style_passes_the_allow_list():
    src = (
        "from pulp import *\nimport math, itertools\nfrom collections import defaultdict\n"
        "time = [1, 2, 3]\nmodel = LpProblem('s', LpMinimize)\n"
        "x = LpVariable.dicts('x', time, lowBound=0)\nmodel += lpSum(x[t] for t in time)\n"
        "for t in time:\n    model += x[t] >= math.ceil(t / 2), f'c_{t}'\n"
        "if __name__ == '__main__':\n    print(value(model.objective))\n"
    )
    assert check_code(src) == []
    sol, run = solve_code(src)
    assert sol.objective == pytest.approx(1 + 1 + 2) and run.ok


def test_recursion_bomb_is_a_located_runtime_error():
    src = "def f(n):\n    return f(n + 1) + 1\nmodel = f(0)\n"
    assert check_code(src) == []  # plain Python: only the runtime can stop it
    run = run_code(src)
    assert run.reason == "runtime_error"
    assert "RecursionError" in run.diagnostics[0].message
    assert run.diagnostics[0].location.field == "line 2"


def test_containment_layers_are_reported():
    run = run_code("import math\nmodel = math.pi\n")
    assert run.reason == "bad_model"
    for layer in ("uid", "capabilities", "no_new_privs", "seccomp", "rlimits", "disk",
                  "network"):
        assert layer in run.layers, run.layers
    assert run.layers["python"] == "audit-hook, solver-guard"
    assert any(line.startswith("seccomp: allow-list") for line in run.containment)
