"""Code mode driven by a scripted LLM (a test double behind real litellm) and the real sandbox.

Each scenario feeds a realistic mistake in model-building code and checks that the located
diagnostic goes back in the repair prompt and the loop ends at the right optimum, solved by our
backends from the model the sandboxed code built. Each sandbox run takes about one second.

Known optima: NL4Opt snack suitcases (problems/datasets/nl4opt/cpmpy_1133974368) 4190,
independently: l ≤ 70/3 → l = 23, s = 47 → 50·47 + 80·23 = 4190 (its LP relaxation: 4200);
knapsack (problems/examples/knapsack/expected.json) 1030, Rosetta Code's 0-1 knapsack value.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from formalize.api import solve
from formalize.cli import main as cli
from formalize.codemode.codegen import extract_code, solve_with_code
from formalize.llm.testing import ScriptedLLM

ROOT = Path(__file__).resolve().parent.parent
SNACKS = ROOT / "problems/datasets/nl4opt/cpmpy_1133974368"
TEXT = (SNACKS / "problem.txt").read_text()
PYOMO = (SNACKS / "model_pyomo.py").read_text()
OPT = 4190.0
KNAPSACK = ROOT / "problems/examples/knapsack"

PULP = """import pulp

model = pulp.LpProblem("snacks", pulp.LpMaximize)
small = pulp.LpVariable("small", 0, 70, cat="Integer")
large = pulp.LpVariable("large", 15, 50, cat="Integer")
model += 50 * small + 80 * large
model += small >= 2 * large
model += small + large <= 70
"""

CPSAT = """from ortools.sat.python import cp_model

model = cp_model.CpModel()
small = model.NewIntVar(0, 70, "small")
large = model.NewIntVar(15, 50, "large")
model.Add(small >= 2 * large)
model.Add(small + large <= 70)
model.Maximize(50 * small + 80 * large)
"""


def fenced(code: str, prose: str = "Here is the model:") -> str:
    return f"{prose}\n```python\n{code}```\n"


def run_code_mode(responses, **kw):
    llm = ScriptedLLM(responses, name="codegen")
    try:
        res = solve_with_code(TEXT, llm.client(), **kw)
    finally:
        llm.close()
    return res, llm


def repair_prompt(llm: ScriptedLLM, call: int) -> str:
    """The last user message of a call: the repair request with the diagnostics."""
    return str(llm.calls[call].messages[-1]["content"])


def assert_optimum(res, values=True):
    assert res.mode == "code" and res.status == "optimal", res.formalization.diagnostics
    assert res.objective == pytest.approx(OPT, rel=1e-9)
    assert res.formalization.ok
    if values:
        got = {k: v[()] for k, v in res.solution.values.items() if k in ("small", "large")}
        assert got == {"small": pytest.approx(47), "large": pytest.approx(23)}


def test_correct_pyomo_first_time():
    res, llm = run_code_mode([fenced(PYOMO)])
    assert_optimum(res)
    assert res.code == PYOMO.strip() and res.formalization.code == res.code
    assert [r.step for r in res.formalization.history] == ["code"]
    assert res.formalization.repair_rounds == 0 and llm.remaining == 0
    first = llm.calls[0]
    assert "BUILDS (does not solve)" in first.prompt and "Pyomo" in first.prompt
    assert "snack" in first.prompt.lower()
    assert "The format (JSON)" not in first.prompt  # the IR format is not shown in code mode
    assert res.usage.calls == 1


def test_forbidden_import_is_located_and_repaired():
    res, llm = run_code_mode([fenced("import os\n" + PYOMO), fenced(PYOMO)])
    assert_optimum(res)
    first = res.formalization.history[0].diagnostics
    assert first and first[0].location.field == "line 1"
    prompt = repair_prompt(llm, 1)
    assert "code line 1 col 1: import of 'os' is not allowed" in prompt
    assert [r.step for r in res.formalization.history] == ["code", "repair"]


def test_runtime_error_goes_back_with_its_line():
    broken = PYOMO.replace("model.total = pyo.Constraint(expr=model.small + model.large <= 70)",
                           "model.total = pyo.Constraint(expr=model.small + model.large <= max_total)")
    line = broken.splitlines().index(
        "model.total = pyo.Constraint(expr=model.small + model.large <= max_total)") + 1
    res, llm = run_code_mode([fenced(broken), fenced(PYOMO)])
    assert_optimum(res)
    prompt = repair_prompt(llm, 1)
    assert "NameError: name 'max_total' is not defined" in prompt
    assert f"code line {line} " in prompt and f"at line {line}" in prompt


def test_code_without_model_is_repaired():
    forgot = PYOMO.replace("model = pyo.ConcreteModel", "m = pyo.ConcreteModel").replace("model.", "m.")
    res, llm = run_code_mode([fenced(forgot), fenced(PYOMO)])
    assert_optimum(res)
    assert res.formalization.history[0].diagnostics[0].code == "missing-model"
    assert "did not leave a variable named `model`" in repair_prompt(llm, 1)


def test_infeasible_model_goes_back_for_repair():
    infeasible = PYOMO.replace("bounds=(15, 50)", "bounds=(50, 50)")  # l = 50 needs s ≥ 100 > 70
    res, llm = run_code_mode([fenced(infeasible), fenced(PYOMO)])
    assert_optimum(res)
    assert [r.step for r in res.formalization.history] == ["code", "repair-infeasible"]
    assert "the model your code builds is INFEASIBLE" in repair_prompt(llm, 1)


def test_solve_call_is_refused_and_repaired():
    solving = PYOMO + "pyo.SolverFactory('highs').solve(model)\n"
    res, llm = run_code_mode([fenced(solving), fenced(PYOMO)])
    assert_optimum(res)
    prompt = repair_prompt(llm, 1)
    assert "'.solve' solves the model" in prompt and "'SolverFactory' solves" in prompt
    assert len(llm.calls) == 2


def test_repairs_are_bounded_and_the_failure_is_reported():
    forbidden = fenced("import subprocess\n" + PYOMO)
    res, llm = run_code_mode([forbidden] * 3, max_repairs=2)
    f = res.formalization
    assert len(llm.calls) == 3 and f.repair_rounds == 2 and llm.remaining == 0
    assert res.solution is None and res.status == "error" and not f.ok
    assert any("import of 'subprocess' is not allowed" in str(d) for d in f.diagnostics)
    # the same code again is named as such in the next repair prompt
    assert "repeats an earlier answer unchanged" in repair_prompt(llm, 2)
    assert res.to_dict()["formalization"]["ok"] is False


def test_unavailable_sandbox_stops_without_more_llm_calls(monkeypatch):
    """When a required layer of the sandbox is missing the program never runs, and no repair
    of the code can change that: one call, the reason said plainly."""
    from formalize.codemode import containment

    real = containment.inspect_child

    def missing_layer(*a, **k):
        seen = real(*a, **k)
        seen.missing.append("no seccomp filter")
        return seen

    monkeypatch.setattr(containment, "inspect_child", missing_layer)
    res, llm = run_code_mode([fenced(PYOMO), fenced(PYOMO)], max_repairs=1)
    assert len(llm.calls) == 1 and llm.remaining == 1
    assert res.status == "error" and not res.formalization.ok
    codes = [d.code for d in res.formalization.diagnostics]
    assert codes == ["sandbox-unavailable"]
    assert "no seccomp filter" in res.formalization.diagnostics[0].message


def test_last_round_failure_leaves_no_stale_solution():
    """An infeasible run, then code that fails to run: the result is the last code's failure."""
    infeasible = PYOMO.replace("bounds=(15, 50)", "bounds=(50, 50)")
    res, _ = run_code_mode([fenced(infeasible), fenced("import os\n" + PYOMO)], max_repairs=1)
    assert res.solution is None and res.status == "error" and not res.formalization.ok
    assert res.code.startswith("import os")


def test_still_infeasible_after_the_repairs_says_so():
    infeasible = fenced(PYOMO.replace("bounds=(15, 50)", "bounds=(50, 50)"))
    res, llm = run_code_mode([infeasible, infeasible], max_repairs=1)
    f = res.formalization
    assert res.status == "infeasible" and len(llm.calls) == 2
    assert f.ok  # the code ran and its model was solved: "infeasible" is the answer
    (d,) = [d for d in f.diagnostics if d.code == "infeasible"]
    assert d.severity == "warning" and "may be infeasible" in d.message


@pytest.mark.parametrize(("library", "code", "named"), [("pulp", PULP, "PuLP"),
                                                         ("cpsat", CPSAT, "CP-SAT")])
def test_pulp_and_cpsat_programs(library, code, named):
    res, llm = run_code_mode([fenced(code)], library=library)
    assert_optimum(res)
    assert res.formalization.strategy == f"code:{library}"
    assert named in llm.calls[0].prompt


def test_unknown_library_is_refused():
    with pytest.raises(ValueError, match="library must be one of pyomo, pulp, cpsat"):
        solve_with_code(TEXT, None, library="gurobi")  # type: ignore[arg-type]


def test_knapsack_reference_program():
    text = (KNAPSACK / "problem.txt").read_text()
    expected = json.loads((KNAPSACK / "expected.json").read_text())["objective"]
    llm = ScriptedLLM([fenced((KNAPSACK / "model_pyomo.py").read_text())], name="codegen_ks")
    try:
        res = solve_with_code(text, llm.client())
    finally:
        llm.close()
    assert res.status == "optimal" and res.objective == pytest.approx(expected)


def test_progress_reports_the_steps():
    seen: list[str] = []
    res, _ = run_code_mode([fenced("import os\n" + PYOMO), fenced(PYOMO)],
                           progress=lambda step, detail: seen.append(step))
    assert_optimum(res, values=False)
    # the allow-list, then the numbers against the text (each round)
    assert seen == ["drafting", "checking", "checking", "repairing", "checking", "solving", "checking"]


def test_extract_code_variants():
    assert extract_code("```Python\nx = 1\n```") == "x = 1"
    assert extract_code("```py\nx = 1\n```") == "x = 1"
    assert extract_code("```python\nx = 1\n```\n```text\nnot code at all, longer\n```") == "x = 1"
    assert extract_code("```python\nx = 1\ny = 2") == "x = 1\ny = 2"  # truncated: no closing fence
    assert extract_code("x = 1") == "x = 1"


def test_answer_without_code_is_a_located_diagnostic():
    res, llm = run_code_mode(["I cannot help with that.", fenced(PYOMO)])
    assert_optimum(res, values=False)
    assert res.formalization.history[0].diagnostics[0].code in ("syntax-error", "no-code")
    res, llm = run_code_mode(["", fenced(PYOMO)])
    assert res.formalization.history[0].diagnostics[0].code == "no-code"
    assert "contains no Python code" in repair_prompt(llm, 1)


# ------------------------------------------------------------------------- public API and CLI


def test_public_solve_in_code_mode():
    llm = ScriptedLLM([fenced(PULP)], name="codegen_api")
    try:
        res = solve(TEXT, llm.client(), mode="code", library="pulp")
    finally:
        llm.close()
    assert_optimum(res)
    assert res.code == PULP.strip() and res.to_dict()["mode"] == "code"


def test_code_mode_samples_vote():
    relaxed = PYOMO.replace("NonNegativeIntegers", "NonNegativeReals")  # LP relaxation: 4200
    llm = ScriptedLLM([fenced(PYOMO), fenced(relaxed), fenced(PYOMO)], name="codegen_vote")
    try:
        res = solve(TEXT, llm.client(), mode="code", samples=3)
    finally:
        llm.close()
    assert len(llm.calls) == 3 and len(res.samples) == 3
    assert res.objective == pytest.approx(OPT) and res.code == PYOMO.strip()
    assert res.vote is not None and res.confidence == pytest.approx(2 / 3) and not res.vote.agreed
    assert sorted(v for v, _ in res.vote.clusters) == pytest.approx([OPT, 4200.0])
    assert res.usage.calls == 3


def test_code_mode_refuses_data_files(tmp_path):
    csv = tmp_path / "d.csv"
    csv.write_text("a,b\n1,2\n")
    with pytest.raises(ValueError, match="code mode takes no data files"):
        solve(TEXT, ScriptedLLM([], name="codegen_data").client(), mode="code", data=[csv])


@pytest.fixture
def problem_dir(tmp_path, monkeypatch) -> Path:
    """A working directory with the snack problem and no user configuration."""
    (tmp_path / "problem.txt").write_text(TEXT)
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("FORMALIZE_MODEL", raising=False)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    return tmp_path


def test_cli_solve_in_code_mode(capsys, problem_dir):
    llm = ScriptedLLM([fenced("import os\n" + PYOMO), fenced(PYOMO)], name="codegen_cli")
    try:
        code = cli.main(["solve", "problem.txt", "--mode", "code", "--model", llm.model])
        out, err = capsys.readouterr()
        assert code == 0, err
        assert "objective = 4190" in out and "Formalization: verified" in out
        assert "contained by: " in out and "seccomp" in out  # the layers that were in force
        assert "drafting" in err and "repairing" in err and "solving" in err
        code = cli.main(["solve", "problem.txt", "--mode", "code", "--model", llm.model, "--json"])
        out, err = capsys.readouterr()
    finally:
        llm.close()
    assert code == 0, err
    doc = json.loads(out)
    assert doc["mode"] == "code" and doc["objective"] == pytest.approx(OPT)
    assert doc["code"] == PYOMO.strip() and doc["formalization"]["ok"] is True
    layers = doc["formalization"]["containment"]  # as the parent saw them in /proc
    for layer in ("outer", "uid", "capabilities", "no_new_privs", "seccomp", "rlimits"):
        assert layer in layers, layers
    assert layers["seccomp"].startswith("allow-list")
    assert len(llm.calls) == 2 and doc["usage"]["cached_calls"] == 2  # the rerun: from the cache


def test_cli_code_mode_failure_exit_4(capsys, problem_dir):
    llm = ScriptedLLM([fenced("import os\n" + PYOMO)] * 2, name="codegen_cli_bad")
    try:
        code = cli.main(["solve", "problem.txt", "--mode", "code", "--model", llm.model,
                         "--max-repairs", "1"])
    finally:
        llm.close()
    out, err = capsys.readouterr()
    assert code == cli.EXIT_LLM
    assert "import of 'os' is not allowed" in err and "NOT verified" in out
