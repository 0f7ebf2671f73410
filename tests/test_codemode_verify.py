"""Code mode gets the formal model's verifier: the program's numbers grounded against the text.

The scenario is the miss of issue 10 (a real model, code mode): the text lists a fixed operating
cost per distribution center beside the shipping costs; the program keeps `fixed_cost` as data
and never uses it, and the optimum comes out without the fixed costs. Here the instance is small
enough to know its optimum independently: every store has one cheapest center and the cheapest
assignment fits every capacity (DC1: S1 200 + S4 150 = 350 <= 500; DC2: S2 300 <= 600; DC3: S3
250 <= 400), so shipping costs at least and at most 200*4 + 300*4 + 250*3 + 150*5 = 3500; all
three centers operate, so the fixed costs add 2500 + 2000 + 1800 = 6300: 9800 in all. The
program that forgets them reaches 3500 — the 15,622-against-21,922 shape.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from formalize.codemode.codegen import solve_with_code
from formalize.llm.testing import ScriptedLLM
from formalize.verify.code_numbers import program_numbers
from formalize.verify.code_report import BuiltNumbers, check_program

HERE = Path(__file__).resolve().parent / "codemode_programs"
TEXT = (HERE / "fixed_cost.txt").read_text()
UNUSED = (HERE / "fixed_cost_unused.py").read_text()
USED = (HERE / "fixed_cost_used.py").read_text()
SHIPPING_ONLY, RIGHT = 3500.0, 9800.0


def fenced(code: str) -> str:
    return f"Here is the model:\n```python\n{code}```\n"


def run(responses: list[str], name: str, **kw):
    llm = ScriptedLLM(responses, name=name)
    try:
        res = solve_with_code(TEXT, llm.client(), **kw)
    finally:
        llm.close()
    return res, llm


def codes(diags) -> list[str]:
    return [d.code for d in diags]


def test_unused_fixed_cost_is_caught_and_the_repair_reaches_the_right_optimum():
    res, llm = run([fenced(UNUSED), fenced(USED)], "cmv_fixed_cost")
    assert len(llm.calls) == 2  # the first program was sent back
    first = res.formalization.history[0]
    unused = [d for d in first.diagnostics if d.code == "unused-number"]
    assert sorted(d.location.symbol for d in unused) == ["1,800", "2,000", "2,500"]
    data = [d for d in first.diagnostics if d.code == "unused-data"]
    assert len(data) == 1 and data[0].location.symbol == "fixed_cost" and data[0].location.field == "line 8"
    assert "1800, 2000, 2500" in data[0].message
    # what the first program's model gives: the shipping costs alone (the miss)
    solve = [s for s in res.formalization.trace if s.name == "solve"]
    assert solve[0].detail == f"optimal {SHIPPING_ONLY:.10g}"
    prompt = str(llm.calls[1].messages[-1]["content"])
    assert "2,500" in prompt and "fixed_cost" in prompt and "# acknowledged:" in prompt
    # the repaired program uses them: accepted, at the independently known optimum
    assert res.status == "optimal" and res.objective == pytest.approx(RIGHT, rel=1e-12)
    assert res.formalization.ok
    assert not [d for d in res.formalization.diagnostics if d.code in ("unused-number", "unused-data")]
    assert res.formalization.grounding is not None and res.formalization.grounding.unused == []
    assert res.formalization.assumptions == ["every distribution center operates, so each fixed cost is paid once"]
    # the answer reads like a formal model's: the Pyomo variable with its index tuples, clean values
    x = res.solution.values["x"]
    assert x[("DC1", "S1")] == 200.0 and x[("DC2", "S2")] == 300.0 and x[("DC3", "S3")] == 250.0
    assert x[("DC1", "S4")] == 150.0
    assert all(v == 0.0 and str(v) == "0.0" for k, v in x.items()
               if k not in {("DC1", "S1"), ("DC2", "S2"), ("DC3", "S3"), ("DC1", "S4")})


def test_advice_blocks_only_the_first_complete_program():
    """A model that keeps ignoring the advice is accepted on the second program, the advice
    still listed (as in the formal-model program)."""
    res, llm = run([fenced(UNUSED), fenced(UNUSED + "\n")], "cmv_advice_once")
    assert len(llm.calls) == 2
    assert res.objective == pytest.approx(SHIPPING_ONLY)
    assert "unused-number" in codes(res.formalization.diagnostics)
    assert res.formalization.ok  # advice is not an error


def test_an_acknowledged_number_moves_to_info_with_its_reason():
    acked = UNUSED.replace("# assumption:", "# acknowledged: 2,500 - DC1's fixed cost is sunk\n"
                           "# acknowledged: $2,000 - sunk\n# acknowledged: 1,800: sunk\n# assumption:")
    rep = check_program(acked, TEXT, BuiltNumbers(np.asarray([4.0, 5, 6, 500]), [3, 4]))
    assert [tn.raw for tn, _ in rep.grounding.acknowledged] == ["2,500", "2,000", "1,800"]
    assert rep.grounding.acknowledged[0][1] == "DC1's fixed cost is sunk"
    assert "unused-number" not in codes(rep.diagnostics())
    assert "unused-data" in codes(rep.diagnostics())  # the table itself is still never used


def test_an_acknowledgement_of_a_number_not_in_the_text_is_an_error_at_its_line():
    acked = "# acknowledged: 7,777 - not needed\n" + UNUSED
    rep = check_program(acked, TEXT, BuiltNumbers(np.asarray([4.0]), []))
    bad = [d for d in rep.diagnostics() if d.code == "acknowledged-not-in-text"]
    assert len(bad) == 1 and bad[0].location.section == "code" and bad[0].location.field == "line 1"
    assert bad[0].severity == "error"
    noreason = check_program("# acknowledged: 2,500\n" + UNUSED, TEXT, None)
    assert "bad-acknowledgement" in codes(noreason.diagnostics())


def test_a_misread_number_is_an_error_located_at_its_line_and_repaired():
    wrong = UNUSED.replace('"DC2": 600', '"DC2": 650')
    res, llm = run([fenced(wrong), fenced(USED)], "cmv_misread")
    first = res.formalization.history[0].diagnostics
    bad = [d for d in first if d.code == "ungrounded-number"]
    assert len(bad) == 1 and bad[0].severity == "error"
    assert "650" in bad[0].message and bad[0].location.field == "line 6"
    assert bad[0].location.symbol == "capacity"
    assert "Errors (each must be fixed)" in str(llm.calls[1].messages[-1]["content"])
    assert res.objective == pytest.approx(RIGHT)


def test_pulp_program_with_the_same_miss():
    pulp_src = '''import pulp

centers = ["DC1", "DC2", "DC3"]
stores = ["S1", "S2", "S3", "S4"]
capacity = {"DC1": 500, "DC2": 600, "DC3": 400}
demand = {"S1": 200, "S2": 300, "S3": 250, "S4": 150}
fixed_cost = {"DC1": 2500, "DC2": 2000, "DC3": 1800}
cost = {"DC1": [4, 6, 9, 5], "DC2": [5, 4, 7, 8], "DC3": [6, 7, 3, 6]}

prob = pulp.LpProblem("distribution", pulp.LpMinimize)
x = pulp.LpVariable.dicts("x", (centers, stores), lowBound=0)
prob += pulp.lpSum(cost[c][j] * x[c][s] for c in centers for j, s in enumerate(stores))
for c in centers:
    prob += pulp.lpSum(x[c][s] for s in stores) <= capacity[c]
for s in stores:
    prob += pulp.lpSum(x[c][s] for c in centers) >= demand[s]
model = prob
'''
    fixed = pulp_src.replace("prob += pulp.lpSum(cost[c][j]",
                             "prob += pulp.lpSum(fixed_cost.values()) + pulp.lpSum(cost[c][j]")
    llm = ScriptedLLM([fenced(pulp_src), fenced(fixed)], name="cmv_pulp")
    try:
        res = solve_with_code(TEXT, llm.client(), library="pulp")
    finally:
        llm.close()
    first = res.formalization.history[0].diagnostics
    assert sorted(d.location.symbol for d in first if d.code == "unused-number") == ["1,800", "2,000", "2,500"]
    assert res.objective == pytest.approx(RIGHT)
    # PuLP's names x_DC1_S1 read back as the variable x with its index tuple
    assert res.solution.values["x"][("DC3", "S3")] == 250.0


def test_pyomo_param_that_no_expression_reads_is_unused():
    src = UNUSED.replace("model = pyo.ConcreteModel()\n",
                         "model = pyo.ConcreteModel()\nmodel.f = pyo.Param(centers, initialize=fixed_cost)\n")
    pn = program_numbers(src)
    assert {"fixed_cost", "f"} <= set(pn.unused_data) or "fixed_cost" in pn.unused_data
    assert not any(n.reached for n in pn.numbers if n.value == 2500)
    used = src.replace("expr=sum(cost[c, s]", "expr=sum(model.f[c] for c in centers) + sum(cost[c, s]")
    assert any(n.reached for n in program_numbers(used).numbers if n.value == 2500)


def test_def_use_follows_rules_loops_and_calls():
    src = '''import pyomo.environ as pyo
cap = [10, 20]
spare = [30, 40]
extra = {"a": 55}
def helper(m, data):
    m.limit = pyo.Constraint(expr=m.x[0] <= data[0])
model = pyo.ConcreteModel()
model.x = pyo.Var(range(2))
for i in range(2):
    if cap[i] > 0:
        model.x[i].setub(cap[i])
helper(model, spare)
total = sum(extra.values())
'''
    pn = program_numbers(src)
    reached = {n.value for n in pn.numbers if n.reached}
    assert {10.0, 20.0, 30.0, 40.0} <= reached
    assert 55.0 not in reached and pn.unused_data == {"extra": 4}


def test_structure_is_not_demanded_of_the_text():
    """range ends, subscripts, dict keys, exponents, big-M constants and tolerances are
    structure; a number computed from the text's numbers is advice, not an error."""
    text = "Five workers, each works at most 8 hours a day on 5 days. A task takes 40 minutes."
    src = '''import pyomo.environ as pyo
M = 10**6
BIG = 100000
eps = 1e-6
W = range(1, 6)
hours = {1: 8, 2: 8, 3: 8, 4: 8, 5: 8}
model = pyo.ConcreteModel()
model.x = pyo.Var(W, bounds=(0, 8))
model.c = pyo.Constraint(W, rule=lambda m, w: m.x[w] * 60 <= hours[w] * 60 + eps * M + BIG * 0)
model.week = pyo.Constraint(expr=sum(model.x[w] for w in W) <= 40 * 5)
model.obj = pyo.Objective(expr=sum(model.x[w] ** 2 for w in W))
'''
    rep = check_program(src, text, BuiltNumbers(np.asarray([8.0, 60.0]), [5.0]))
    assert [d for d in rep.diagnostics() if d.severity == "error"] == []
    src2 = src.replace("40 * 5", "200")
    rep2 = check_program(src2, text, BuiltNumbers(np.asarray([8.0]), [5.0]))
    assert [d.code for d in rep2.diagnostics() if d.severity == "error"] == []
    assert "unstated-derivation" in codes(rep2.diagnostics())  # 200 = 40 * 5, not stated


def test_library_settings_are_not_data():
    """Recorded (stand-in code-mode run, OptiBench 529, tests/replays/code_mid): pyo.Set(dimen=2)
    drew "the number 2 is not in the text; it equals 6 / 3" (advice whose hint is a false
    derivation). Settings of the library or the solver (a set's dimension, a time limit, threads,
    a seed) are not data; the same program with a misread bound is still an error."""
    import json
    import re

    case = Path(__file__).resolve().parent / "replays" / "code_mid" / "optibench_resocratic_529"
    text = (case / "problem.txt").read_text()
    reply = json.loads((case / "replies.jsonl").read_text().splitlines()[1])["content"]
    src = re.search(r"```python\n(.*?)```", reply, re.S).group(1)
    assert "dimen=2" in src
    said = [d.message for d in check_program(src + "opts = dict(threads=4, seed=11, time_limit=30)\n",
                                             text, None).diagnostics() if d.severity != "info"]
    assert not [m for m in said if any(f"number {n} " in m for n in (2, 4, 11, 30))], said
    bad = src.replace("dimen=2,", "dimen=2, bounds=(0, 777),", 1)
    said = [d.message for d in check_program(bad, text, None).diagnostics() if d.severity == "error"]
    assert any("number 777 " in m for m in said), said


def test_reference_programs_raise_no_false_alarm():
    """Every reference Pyomo program of the library, grounded against its text: no error (v2_hf_69's
    cutting patterns, pieces per bar computed from the bar length, state their derivation in a
    `# derived:` comment, as its formal model states it in the param's source)."""
    root = Path(__file__).resolve().parent.parent / "problems"
    flagged = []
    for p in sorted([*root.glob("datasets/*/*/model_pyomo.py"), *root.glob("examples/*/model_pyomo.py")]):
        text = p.parent / "problem.txt"
        if not text.exists():
            continue
        rep = check_program(p.read_text(), text.read_text(), None)
        if any(d.severity == "error" for d in rep.diagnostics()):
            flagged.append(p.parent.name)
    assert flagged == []


@pytest.mark.parametrize("library", ["pyomo", "pulp", "cpsat"])
def test_code_mode_prompts_agree_with_the_answer_format(library):
    """System, user and repair prompts of code mode all ask for Python (never JSON, never a
    formal model) and say how to state assumptions and acknowledgements."""
    llm = ScriptedLLM(["```python\n```", "```python\n```"], name=f"cmv_prompts_{library}")
    try:
        solve_with_code(TEXT, llm.client(), library=library, max_repairs=1)
    finally:
        llm.close()
    assert len(llm.calls) == 2
    system = llm.calls[0].messages[0]["content"]
    assert llm.calls[0].messages[0]["role"] == "system"
    assert "Python code" in system and "JSON" not in system and "formal model" not in system
    assert all(c.messages[0]["content"] == system for c in llm.calls)  # one system prompt per mode
    assert all(c.response_format is None for c in llm.calls)
    user = llm.calls[0].messages[1]["content"]
    assert {"pyomo": "Pyomo", "pulp": "PuLP", "cpsat": "CP-SAT"}[library] in user
    assert "```python" in user and "# assumption:" in user and "# acknowledged:" in user
    assert "JSON" not in user
    repair = llm.calls[1].messages[-1]["content"]
    assert "```python" in repair and "JSON" not in repair and "contains no Python code" in repair


def test_the_vote_groups_samples_by_their_assumptions_when_optima_differ():
    from formalize.api import solve

    shipping_only = UNUSED.replace(
        "# assumption:", "# acknowledged: 2,500 - sunk\n# acknowledged: 2,000 - sunk\n"
        "# acknowledged: 1,800 - sunk\n# assumption:")
    llm = ScriptedLLM([fenced(USED), fenced(shipping_only), fenced(USED)], name="cmv_vote")
    try:
        res = solve(TEXT, llm.client(), mode="code", samples=3)
    finally:
        llm.close()
    v = res.vote
    assert [(val, len(ix)) for val, ix in v.clusters] == [(pytest.approx(RIGHT), 2),
                                                          (pytest.approx(SHIPPING_ONLY), 1)]
    assert v.readings == [["every distribution center operates, so each fixed cost is paid once"],
                          ["shipping is the only cost the objective counts"]]
    assert res.objective == pytest.approx(RIGHT)
    shown = res.to_dict()["vote"]["clusters"]
    assert shown[1]["assumptions"] == ["shipping is the only cost the objective counts"]
    from rich.console import Console

    console = Console(width=200, record=True)
    console.print(res)
    out = console.export_text()
    assert "assumes: shipping is the only cost the objective counts" in out
    assert "assumptions of the program" in out


def _lifted(src: str):
    from formalize.codemode import solve_code
    from formalize.codemode.lift import lift

    sol, run = solve_code(src)
    model, why = lift(run, program_numbers(src).collections)
    assert why is None and model is not None
    return sol, model


def test_the_harvested_model_is_lifted_into_a_readable_formal_model_with_the_same_optimum():
    import solvers
    from solvers.render import to_text

    sol, model = _lifted(USED)
    text = to_text(model)
    assert "x[c in centers, s in stores]" in text
    assert "supply: sum(x[c, s] for s in stores) <= supply_rhs[c]   for c in centers" in text
    assert "demand: sum(x[c, s] for c in centers) >= demand_rhs[s]   for s in stores" in text
    assert "+ 6300" in text
    again = solvers.solve(model)
    assert again.objective == pytest.approx(RIGHT) == sol.objective
    assert solvers.check(model, again.values).feasible


def test_lifting_keeps_integrality_bounds_ranges_and_a_quadratic_objective():
    import solvers

    src = '''import pyomo.environ as pyo
items = ["a", "b", "c"]
w = {"a": 3, "b": 4, "c": 5}
model = pyo.ConcreteModel()
model.y = pyo.Var(items, domain=pyo.Binary)
model.n = pyo.Var(domain=pyo.NonNegativeIntegers, bounds=(0, 7))
model.z = pyo.Var(items, bounds=lambda m, i: (0, w[i]))
model.cap = pyo.Constraint(expr=pyo.inequality(2, sum(w[i] * model.y[i] for i in items) + model.n, 9))
model.link = pyo.Constraint(items, rule=lambda m, i: m.z[i] <= w[i] * m.y[i])
model.obj = pyo.Objective(expr=sum((model.z[i] - 2) ** 2 for i in items) - model.n, sense=pyo.minimize)
'''
    sol, model = _lifted(src)
    assert model.variables["y"].domain == "binary" and model.variables["n"].domain == "integer"
    assert isinstance(model.variables["z"].ub, str)  # per-item bounds as a param
    # the MIQP goes to SCIP or CP-SAT in the formal model; HiGHS refuses it in code mode
    lifted = solvers.solve(model)
    assert lifted.ok
    # independently: n = 7 and z_i = 2 with y_i = 1 needs sum(w) + n <= 9: at most one y (w 3 or 4) with n <= 5..6;
    # enumerate every binary y and integer n, z_i = min(2, w_i * y_i) (a convex 1-d minimum)
    best = min(sum((min(2, wv * yi) - 2) ** 2 for wv, yi in zip((3, 4, 5), ys)) - n
               for ys in [(a, b, c) for a in (0, 1) for b in (0, 1) for c in (0, 1)]
               for n in range(8) if 2 <= sum(wv * yi for wv, yi in zip((3, 4, 5), ys)) + n <= 9)
    assert lifted.objective == pytest.approx(best, abs=1e-6)


def test_save_model_in_code_mode_writes_the_lifted_model(tmp_path, capsys):
    import json as _json

    from formalize.cli import main as cli
    from solvers import load_model
    from solvers import solve as solve_model

    problem = tmp_path / "problem.txt"
    problem.write_text(TEXT)
    out = tmp_path / "lifted.json"
    llm = ScriptedLLM([fenced(USED)], name="cmv_save_model")
    with llm:
        code = cli.main(["solve", str(problem), "--mode", "code", "--model", llm.model, "--quiet",
                         "--save-model", str(out), "--show-model"])
    assert code == 0
    shown = capsys.readouterr().out
    assert "supply: sum(x[c, s] for s in stores) <= supply_rhs[c]" in shown
    assert "every distribution center operates" in shown
    doc = _json.loads(out.read_text())
    assert doc["variables"]["x"]["index"] == ["c in centers", "s in stores"]
    assert solve_model(load_model(out)).objective == pytest.approx(RIGHT)


def test_the_miss_is_caught_through_the_replay_path(tmp_path):
    """The same transcript served over HTTP by ../shared/tools/fake_provider.py, as the recorded
    real-model runs are replayed (tests/test_replays.py): the unused fixed costs cost one round
    and the repaired program ends at the known optimum."""
    import json as _json

    from tests.test_replays import FAKE, _replay

    if FAKE is None:
        pytest.skip("../shared/tools/fake_provider.py is not beside the checkout")
    case = tmp_path / "case"
    case.mkdir()
    (case / "problem.txt").write_text(TEXT)
    (case / "replies.jsonl").write_text("".join(_json.dumps({"content": fenced(c)}) + "\n" for c in (UNUSED, USED)))
    res, calls = _replay(case, tmp_path, "code")
    assert calls == 2
    first = res.formalization.history[0].diagnostics
    assert sorted(d.location.symbol for d in first if d.code == "unused-number") == ["1,800", "2,000", "2,500"]
    assert res.objective == pytest.approx(RIGHT)


def test_values_are_cleaned_and_names_split_into_index_tuples():
    from formalize.codemode.readback import _split, clean_value

    assert str(clean_value(-0.0)) == "0.0" and clean_value(1.4e-13) == 0.0
    assert clean_value(56408.00000000001) == 56408.0 and clean_value(2.9999996) == 3.0
    assert clean_value(0.3333333333333333) == pytest.approx(1 / 3) and clean_value(2.5) == 2.5
    vocab = {"DC1": "DC1", "S_1": "S_1", "new_york": "new_york", "3": 3}
    assert _split("x[DC1,S_1]", {}) == ("x", ("DC1", "S_1"))
    assert _split("ship[1, 2]", {}) == ("ship", (1, 2))
    assert _split("x_('DC1',_'S_1')", {}) == ("x", ("DC1", "S_1"))
    assert _split("x_DC1_S_1", vocab) == ("x", ("DC1", "S_1"))
    assert _split("flow_new_york_3", vocab) == ("flow", ("new_york", 3))
    assert _split("total_cost", vocab) == ("total_cost", ())


def test_cpsat_values_keep_names_and_indices():
    src = '''from ortools.sat.python import cp_model
jobs = ["a", "b"]
model = cp_model.CpModel()
x = {(j, t): model.NewBoolVar(f"x[{j},{t}]") for j in jobs for t in range(2)}
for j in jobs:
    model.Add(sum(x[j, t] for t in range(2)) == 1)
model.Maximize(3 * x["a", 1] + 2 * x["b", 0])
'''
    llm = ScriptedLLM([fenced(src)], name="cmv_cpsat_names")
    try:
        res = solve_with_code("Two jobs a and b; score 3 and 2.", llm.client(), library="cpsat")
    finally:
        llm.close()
    assert res.objective == pytest.approx(5)
    assert res.solution.values["x"] == {("a", 0): 0.0, ("a", 1): 1.0, ("b", 0): 1.0, ("b", 1): 0.0}


def test_idle_members_of_the_lifted_model_are_advice():
    """"Each truck must depart": a program that lets trucks stay home (`<= 1`) is sent back once,
    its idle trucks named, as a formal model's would be."""
    text = ("A company has three trucks (T1, T2 and T3) and each truck must depart from the depot "
            "once today. A departure of T1 costs 4, of T2 costs 5 and of T3 costs 6. Minimize the cost.")
    src = '''import pyomo.environ as pyo
trucks = ["T1", "T2", "T3"]
cost = {"T1": 4, "T2": 5, "T3": 6}
model = pyo.ConcreteModel()
model.depart = pyo.Var(trucks, domain=pyo.Binary)
model.once = pyo.Constraint(trucks, rule=lambda m, t: m.depart[t] <= 1)
model.obj = pyo.Objective(expr=sum(cost[t] * model.depart[t] for t in trucks))
'''
    fixed = src.replace("m.depart[t] <= 1", "m.depart[t] == 1")
    llm = ScriptedLLM([fenced(src), fenced(fixed)], name="cmv_idle")
    try:
        res = solve_with_code(text, llm.client())
    finally:
        llm.close()
    first = res.formalization.history[0].diagnostics
    idle = [d for d in first if d.code == "idle-member"]
    assert idle and "T1" in idle[0].message and "T3" in idle[0].message
    assert res.objective == pytest.approx(15)


def test_a_number_of_the_programs_own_is_declared_by_a_modelling_comment():
    text = "Two products sell for 30 and 40. Machine time is at most 100 hours; each takes 2 hours."
    src = '''import pyomo.environ as pyo
model = pyo.ConcreteModel()
model.x = pyo.Var(["a", "b"], domain=pyo.NonNegativeReals)
w = 0.37  # modelling: tie-break weight between the two products
# modelling: a priority weight
bonus = 7
model.cap = pyo.Constraint(expr=2 * model.x["a"] + 2 * model.x["b"] <= 100)
model.obj = pyo.Objective(expr=30 * model.x["a"] + 40 * model.x["b"] + w * model.x["a"] + bonus * model.x["b"],
                          sense=pyo.maximize)
'''
    rep = check_program(src, text, None)
    assert [d for d in rep.diagnostics() if d.severity == "error"] == []
    own = [d for d in rep.diagnostics() if d.code == "modelling-constant"]
    assert [d.location.field for d in own] == ["line 4", "line 6"]
    assert "tie-break weight" in own[0].message
    bare = check_program(src.replace("  # modelling: tie-break weight between the two products", ""), text, None)
    bad = [d for d in bare.diagnostics() if d.code == "ungrounded-number"]
    assert len(bad) == 1 and "0.37" in bad[0].message and "# modelling:" in bad[0].hint


def test_index_labels_and_range_sets_are_structure():
    text = ("A store is open in six 4-hour periods and needs 10, 15, 25, 20, 18 and 12 clerks in them; "
            "a clerk works two consecutive periods. Minimize the clerks hired.")
    src = '''import pyomo.environ as pyo
periods = [1, 2, 3, 4, 5, 6]
need = dict(zip(periods, [10, 15, 25, 20, 18, 12]))
model = pyo.ConcreteModel()
model.T = pyo.RangeSet(1, 6)
model.start = pyo.Var(model.T, domain=pyo.NonNegativeIntegers)
model.cover = pyo.Constraint(model.T, rule=lambda m, t: m.start[t] + m.start[6 if t == 1 else t - 1] >= need[t])
model.obj = pyo.Objective(expr=sum(model.start[t] for t in model.T))
'''
    rep = check_program(src, text, None)
    assert [str(d) for d in rep.diagnostics() if d.severity == "error"] == []
    # a table of data is still data: a misread entry is an error
    bad = check_program(src.replace("[10, 15, 25", "[10, 17, 25"), text, None)
    assert [d.code for d in bad.diagnostics() if d.severity == "error"] == ["ungrounded-number"]
