"""The harvest reads back the built model as arrays with a name table, so no name can change
it. Property: for names drawn from the LP-format keyword list, unicode, spaces and random
strings, a PuLP and a Pyomo program built over them solve to the independently known optimum,
with every value found back under its own name (and index tuple, for Pyomo)."""

from __future__ import annotations

import random

import pytest

from formalize.codemode import solve_code, user_values
from solvers.solution import Status

LP_WORDS = [
    "st", "s.t.", "subject", "to", "end", "bounds", "bound", "inf", "infinity", "-inf", "min",
    "max", "minimize", "maximize", "minimum", "maximum", "bin", "binary", "binaries", "gen",
    "general", "generals", "semi", "semis", "semi-continuous", "sos", "sos1", "sos2", "free",
    "int", "integer", "obj", "e", "E", "1e5", "<=", ">=", "=", ":", "\\", "[x]", "x^2",
    "such that", "with spaces", "tab\tname", "ünïcödé", "名前", "αβγ", "emoji🙂", "a" * 300,
]


def _names(seed: int, count: int) -> list[str]:
    rng = random.Random(seed)
    alphabet = "abcXYZ019_ .:<>=-+*/\\^[](){}'\"é名🙂\t"
    out = set()
    while len(out) < count:
        out.add("".join(rng.choice(alphabet) for _ in range(rng.randint(1, 12))))
    return sorted(out)


def _instance(names: list[str], seed: int) -> tuple[list, float, dict[str, float]]:
    """max sum c x s.t. sum x <= cap, lb <= x <= ub; optimum by the greedy rule (distinct c)."""
    rng = random.Random(seed)
    costs = rng.sample(range(1, 10 * len(names)), len(names))
    rows = [(n, float(c), float(rng.randint(0, 2)), float(rng.randint(3, 9)))
            for n, c in zip(names, costs)]
    cap = float(sum(lb for _, _, lb, _ in rows) + 4 * len(rows) // 3)
    x = {n: lb for n, _, lb, _ in rows}
    room = cap - sum(x.values())
    for n, _, lb, ub in sorted(rows, key=lambda r: -r[1]):
        take = min(ub - lb, room)
        x[n] += take
        room -= take
    return rows, cap, x


def _pulp_program(rows: list, cap: float) -> str:
    lines = ["import pulp", "model = pulp.LpProblem('names', pulp.LpMaximize)", "v = {}"]
    for i, (n, _, lb, ub) in enumerate(rows):
        lines.append(f"v[{i}] = pulp.LpVariable({n!r}, {lb}, {ub})")
    lines.append("model += pulp.lpSum(c * v[i] for i, c in enumerate(" +
                 repr([c for _, c, _, _ in rows]) + "))")
    lines.append(f"model += pulp.lpSum(v.values()) <= {cap}, 'capacity'")
    return "\n".join(lines) + "\n"


def _pyomo_program(rows: list, cap: float) -> str:
    return (
        "import pyomo.environ as pyo\n"
        f"rows = {rows!r}\n"
        "model = pyo.ConcreteModel()\n"
        "names = [r[0] for r in rows]\n"
        "cost = {r[0]: r[1] for r in rows}\n"
        "bound = {r[0]: (r[2], r[3]) for r in rows}\n"
        "model.x = pyo.Var(names, bounds=lambda m, n: bound[n])\n"
        "model.obj = pyo.Objective(expr=sum(cost[n] * model.x[n] for n in names), "
        "sense=pyo.maximize)\n"
        f"model.cap = pyo.Constraint(expr=sum(model.x[n] for n in names) <= {cap})\n"
    )


def test_pulp_variable_named_st_keeps_its_bound():
    """The issue's case: `st` lost its bound through the LP file (12 reported, true 10)."""
    src = ("import pulp\nmodel = pulp.LpProblem('p', pulp.LpMaximize)\n"
           "st = pulp.LpVariable('st', 0, 2)\ny = pulp.LpVariable('y', 0, 10)\n"
           "model += 3 * st + y\nmodel += st + y <= 10\n")
    sol, run = solve_code(src)
    assert sol.status is Status.OPTIMAL
    assert sol.objective == pytest.approx(14.0)  # st = 2, y = 8 (without its bound: 30)
    assert sol.values["st"][()] == pytest.approx(2.0)


@pytest.mark.parametrize("names, seed", [(LP_WORDS, 1), (_names(7, 40), 2)],
                         ids=["lp-keywords-unicode", "random-strings"])
def test_pulp_names_cannot_change_the_model(names, seed):
    # PuLP itself turns "-+[] ->/" into "_"; keep the names it leaves distinct
    clean = {}
    for n in names:
        clean.setdefault(n.translate(str.maketrans("-+[] ->/", "________")), n)
    rows, cap, x = _instance(sorted(clean), seed)
    sol, run = solve_code(_pulp_program(rows, cap))
    assert run.ok and sol.status is Status.OPTIMAL, [str(d) for d in run.diagnostics]
    assert sol.objective == pytest.approx(sum(c * x[n] for n, c, _, _ in rows))
    for n, _, _, _ in rows:
        assert sol.values[n][()] == pytest.approx(x[n]), n


@pytest.mark.parametrize("names, seed", [(LP_WORDS, 3), (_names(11, 40), 4)],
                         ids=["lp-keywords-unicode", "random-strings"])
def test_pyomo_index_names_cannot_change_the_model(names, seed):
    rows, cap, x = _instance(list(names), seed)
    sol, run = solve_code(_pyomo_program(rows, cap))
    assert run.ok and sol.status is Status.OPTIMAL, [str(d) for d in run.diagnostics]
    assert sol.objective == pytest.approx(sum(c * x[n] for n, c, _, _ in rows))
    values = user_values(sol, run)["x"]
    assert set(values) == set(names)
    for n in names:
        assert values[n] == pytest.approx(x[n]), n


def test_pyomo_quadratic_objective_and_tuple_indices():
    """min sum (x_ij - t_ij)^2 over a 2x2 grid with sum x = 2: the projection, known in closed
    form (shift every target by the same amount)."""
    src = (
        "import pyomo.environ as pyo\n"
        "t = {('a', 1): 1.0, ('a', 2): 2.0, ('b', 1): 3.0, ('b', 2): 0.0}\n"
        "model = pyo.ConcreteModel()\n"
        "model.x = pyo.Var(list(t))\n"
        "model.obj = pyo.Objective(expr=sum((model.x[k] - t[k]) ** 2 for k in t))\n"
        "model.total = pyo.Constraint(expr=sum(model.x[k] for k in t) == 2)\n"
    )
    sol, run = solve_code(src)
    assert sol.status is Status.OPTIMAL, sol.message
    shift = (2 - 6) / 4  # every x = t - 1
    assert sol.objective == pytest.approx(4 * shift**2, abs=1e-6)
    values = user_values(sol, run)["x"]
    assert values[("b", 1)] == pytest.approx(2.0, abs=1e-5)
    assert run.names["x[a,1]"] == ("x", ("a", 1))


def test_nonlinear_constraint_is_a_located_bad_model():
    src = ("import pyomo.environ as pyo\nmodel = pyo.ConcreteModel()\nmodel.x = pyo.Var()\n"
           "model.y = pyo.Var()\nmodel.c = pyo.Constraint(expr=model.x * model.y <= 1)\n")
    sol, run = solve_code(src)
    assert run.reason == "bad_model"
    d = run.diagnostics[0]
    assert d.code == "bad-model" and "constraint 'c' is not linear" in d.message
    assert d.location.symbol == "c"


def test_nan_data_is_a_located_bad_model():
    src = ("import pyomo.environ as pyo\nmodel = pyo.ConcreteModel()\n"
           "model.x = pyo.Var(bounds=(0, 1))\nmodel.o = pyo.Objective(expr=model.x)\n"
           "model.broken = pyo.Constraint(expr=float('nan') * model.x <= 1)\n")
    run = solve_code(src)[1]
    assert run.reason == "bad_model"
    d = run.diagnostics[0]
    assert d.message == "the coefficient of 'x' in 'broken' is NaN"
    assert d.location.symbol == "broken"


@pytest.mark.parametrize("library", ["pulp", "cpsat"])
def test_names_with_escape_sequences_are_shown_escaped(library):
    """A name is a label the program chose: its control and bidi characters reach the solution
    (and the terminal) as escapes, never raw; the model is the same."""
    raw = "\x1bc;pwned\x07x\u202e"  # ESC c: reset the terminal
    if library == "pulp":
        src = ("import pulp\nmodel = pulp.LpProblem('p', pulp.LpMaximize)\n"
               f"x = pulp.LpVariable({raw!r}, 0, 3)\ny = pulp.LpVariable('tab\\tname', 0, 1)\n"
               "model += 2 * x + y\n")
    else:
        src = ("from ortools.sat.python import cp_model\nmodel = cp_model.CpModel()\n"
               f"x = model.new_int_var(0, 3, {raw!r})\ny = model.new_int_var(0, 1, 'tab\\tname')\n"
               "model.maximize(2 * x + y)\n")
    sol, run = solve_code(src)
    assert sol.status is Status.OPTIMAL and sol.objective == pytest.approx(7.0)
    shown = "\\x1bc;pwned\\x07x\\u202e"
    assert sol.values[shown][()] == pytest.approx(3.0)
    assert sol.values["tab\tname"][()] == pytest.approx(1.0)  # tab and newline stay as they are
    assert not any(c in name for name in sol.values for c in "\x1b\x07\u202e")
