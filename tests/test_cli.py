"""The `formalize` command: exit codes, messages without tracebacks, `--json`, the LLM path.

Most runs are in-process (`formalize.cli.main.main`); a few are real processes to prove the exit code,
a clean stdout (the HiGHS banner must not leak into `--json`) and the absence of tracebacks.
Known optima: transport 153.675 (Dantzig; problems/examples/transport/expected.json), NL4Opt
snack suitcases 4190 (l ≤ 70/3 → l = 23, s = 47 → 50·47 + 80·23), the bakery is infeasible
(standing orders need 10 oven hours > 8).
"""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import solvers
from formalize.cli import main as cli
from formalize.llm.testing import ScriptedLLM, scripted_error

ROOT = Path(__file__).resolve().parent.parent
EX = ROOT / "problems/examples"
TRANSPORT = EX / "transport/model.json"
BAKERY = EX / "infeasible_bakery/model.json"
SNACKS = ROOT / "problems/datasets/nl4opt/cpmpy_1133974368"
GOOD = json.loads((SNACKS / "model.json").read_text())
SNACKS_OPT = 4190.0


def run(capsys, *args: str) -> tuple[int, str, str]:
    """The CLI in-process: (exit code, stdout, stderr)."""
    code = cli.main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


def run_proc(*args: str, cwd: Path | None = None, env: dict | None = None,
             timeout: float = 60) -> subprocess.CompletedProcess:
    """The CLI as a real process (`python -m formalize.cli.main`)."""
    e = dict(os.environ if env is None else env)
    e["PYTHONPATH"] = os.pathsep.join([str(ROOT), e.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    return subprocess.run([sys.executable, "-m", "formalize.cli.main", *map(str, args)], cwd=cwd or ROOT,
                          env=e, capture_output=True, text=True, timeout=timeout)


def diet_with(tmp_path: Path, **changes: str) -> Path:
    doc = json.loads((EX / "diet/model.json").read_text())
    doc.update(changes)
    p = tmp_path / "model.json"
    p.write_text(json.dumps(doc))
    return p


# ------------------------------------------------------------------------------ start-up / usage


def test_help_imports_nothing_heavy():
    code = ("import sys\nfrom formalize.cli import main as cli\nrc = cli.main(['--help'])\n"
            "heavy = ['numpy', 'pydantic', 'rich', 'litellm', 'highspy', 'ortools', 'pyomo', 'pulp',"
            " 'solvers.model']\nprint(rc, [m for m in heavy if m in sys.modules], file=sys.stderr)")
    p = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                       env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=60)
    assert p.stderr.strip() == "0 []", p.stderr
    assert "usage: formalize" in p.stdout and "Exit codes" in p.stdout


def test_usage_errors_exit_2(capsys, tmp_path):
    assert run(capsys)[0] == cli.EXIT_USAGE  # no command: help on stderr
    code, _, err = run(capsys, "solve")
    assert code == 2 and "required" in err
    code, _, err = run(capsys, "export", TRANSPORT, "--to", "docx")
    assert code == 2 and "invalid choice" in err
    code, _, err = run(capsys, "solve", TRANSPORT, "--samples", "0")
    assert code == 2 and "--samples" in err
    code, _, err = run(capsys, "solve", TRANSPORT, "--time-limit", "-1")
    assert code == 2 and "--time-limit" in err
    code, _, err = run(capsys, "solve", TRANSPORT, "--data", tmp_path / "nope.csv")
    assert code == 2 and "nope.csv" in err and "--data" in err
    code, _, err = run(capsys, "solve", tmp_path)
    assert code == 2 and "not a file" in err


def test_exit_codes_documented_in_module_docstring():
    doc = cli.__doc__
    for code, words in [(cli.EXIT_OK, "success"), (cli.EXIT_MODEL, "model has errors"),
                        (cli.EXIT_USAGE, "usage or configuration"), (cli.EXIT_NO_SOLUTION, "infeasible"),
                        (cli.EXIT_LLM, "the LLM failed"), (cli.EXIT_INTERNAL, "internal error")]:
        line = next(ln for ln in doc.splitlines() if ln.strip().startswith(f"{code} "))
        assert words in line, line


# ------------------------------------------------------------------------------ check


def test_check_good_model(capsys):
    code, out, err = run(capsys, "check", TRANSPORT)
    assert code == 0
    assert "ok" in out and "class LP" in out and "0 error(s)" in out


def test_check_undeclared_symbol_is_located_on_stderr(capsys, tmp_path):
    p = diet_with(tmp_path, objective="sum(price[f] * serving[f] for f in Foods)")
    code, out, err = run(capsys, "check", p)
    assert code == cli.EXIT_MODEL
    assert "objective" in err and "col 16" in err and "'serving' is not declared" in err
    assert "did you mean 'servings'" in err
    assert "1 error(s)" in out and "Traceback" not in err


def test_check_json(capsys, tmp_path):
    code, out, _ = run(capsys, "check", TRANSPORT, "--json")
    doc = json.loads(out)
    assert code == 0 and doc["ok"] is True and doc["problem_class"] == "LP"
    p = diet_with(tmp_path, objective="sum(price[f] * serving[f] for f in Foods)")
    code, out, _ = run(capsys, "check", p, "--json")
    doc = json.loads(out)
    assert code == 1 and doc["ok"] is False
    d = next(d for d in doc["diagnostics"] if d["code"] == "undeclared-symbol")
    assert d["location"]["section"] == "objective" and d["location"]["column"] == 16


def test_check_malformed_json_and_missing_file(capsys, tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text('{"name": "x", "variables": {')
    code, out, err = run(capsys, "check", bad)
    assert code == cli.EXIT_MODEL and "not valid JSON" in err and "Traceback" not in err
    code, out, _ = run(capsys, "check", bad, "--json")  # still one JSON document on stdout
    assert code == 1 and json.loads(out)["ok"] is False
    code, out, err = run(capsys, "check", tmp_path / "missing.json")
    assert code == cli.EXIT_USAGE and "missing.json: no such file" in err
    code, out, err = run(capsys, "check", tmp_path / "missing.json", "--json")
    doc = json.loads(out)
    assert code == 2 and doc["status"] == "error" and doc["exit_code"] == 2


def test_check_broken_model_in_a_real_process(tmp_path):
    p = diet_with(tmp_path, objective="sum(price[f] * serving[f] for f in Foods)")
    r = run_proc("check", p)
    assert r.returncode == 1 and "'serving' is not declared" in r.stderr
    assert "Traceback" not in r.stderr + r.stdout


# ------------------------------------------------------------------------------ solve a model


def test_solve_model_table(capsys):
    code, out, err = run(capsys, "solve", TRANSPORT)
    assert code == 0, err
    assert "optimal" in out and "objective = 153.675" in out
    # instance keys are shown (not eaten as rich markup)
    assert "ship[seattle, chicago]" in out and "300" in out
    assert "demand_met[new_york]" in out and "binding constraints" in out


def test_solve_model_json_in_a_real_process_has_a_clean_stdout():
    r = run_proc("solve", TRANSPORT, "--json")
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)  # fails if the HiGHS banner (or anything else) leaked
    assert doc["status"] == "optimal" and doc["objective"] == pytest.approx(153.675)
    assert doc["mode"] == "model" and doc["exit_code"] == 0
    ship = {tuple(v["index"]): v["value"] for v in doc["solution"]["values"]["ship"]}
    assert ship[("seattle", "chicago")] == pytest.approx(300)
    assert "HiGHS" not in r.stdout and "Traceback" not in r.stderr


def test_solve_infeasible_exit_3_with_the_iis(capsys):
    code, out, err = run(capsys, "solve", BAKERY)
    assert code == cli.EXIT_NO_SOLUTION
    assert "infeasible" in out
    for name in ("oven_time", "standing_orders[bread]", "standing_orders[cake]"):
        assert name in out
    code, out, _ = run(capsys, "solve", BAKERY, "--json")
    doc = json.loads(out)
    assert code == 3 and doc["status"] == "infeasible" and doc["exit_code"] == 3
    assert sorted(doc["solution"]["iis"]) == ["oven_time", "standing_orders[bread]",
                                              "standing_orders[cake]"]


def test_solve_infeasible_in_a_real_process():
    r = run_proc("solve", BAKERY)
    assert r.returncode == 3 and "standing_orders[cake]" in r.stdout
    assert "Traceback" not in r.stderr


@pytest.mark.parametrize("example, backend", [("shortest_route", "auto"), ("seasonal_stock", "auto"),
                                              ("haverly_pooling", "auto"), ("fire_station", "scip")])
def test_format_v2_examples_solve_from_the_cli_to_their_independent_optima(capsys, example, backend):
    """The second edition's examples (derived sets, computed params, set functions, conditional
    expressions; nonlinear models on SCIP) from the command line; expected.json holds optima
    derived without our stack (tests/test_examples_reference.py)."""
    if example in ("haverly_pooling", "fire_station"):
        pytest.importorskip("pyscipopt")
    want = json.loads((EX / example / "expected.json").read_text())
    code, out, err = run(capsys, "solve", EX / example / "model.json", "--backend", backend, "--json", "--quiet")
    doc = json.loads(out)
    assert code == 0, err
    assert doc["status"] == "optimal" and doc["objective"] == pytest.approx(want["objective"], rel=1e-6)
    if want["class"] in ("NLP", "MINLP"):
        assert doc["solution"]["solver"] == "scip" and doc["solution"]["gap"] <= 1e-6


def test_backend_scip_is_a_choice_and_highs_refuses_a_bilinear_model(capsys):
    from formalize.cli import options

    assert options.BACKENDS == solvers.solve_api.BACKENDS
    code, _, err = run(capsys, "solve", EX / "haverly_pooling/model.json", "--backend", "highs")
    assert code == cli.EXIT_MODEL and "a quadratic term in a constraint" in err and "scip" in err
    code, out, _ = run(capsys, "check", EX / "haverly_pooling/model.json", "--backend", "scip")
    assert code == 0

def test_solve_broken_model_exit_1_and_json_error(capsys, tmp_path):
    p = diet_with(tmp_path, objective="sum(price[f] * serving[f] for f in Foods)")
    code, out, err = run(capsys, "solve", p)
    assert code == 1 and "'serving' is not declared" in err and out == ""
    code, out, err = run(capsys, "solve", p, "--json")
    doc = json.loads(out)
    assert code == 1 and doc["exit_code"] == 1
    assert any(d["code"] == "undeclared-symbol" for d in doc["diagnostics"])


# ------------------------------------------------------------------------------ solve problem.txt


@pytest.fixture
def problem_dir(tmp_path, monkeypatch) -> Path:
    """A working directory with the snack problem, no pyproject, no user config, no model set."""
    (tmp_path / "problem.txt").write_text((SNACKS / "problem.txt").read_text())
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("FORMALIZE_MODEL", raising=False)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    return tmp_path


def test_no_model_configured_exit_2_in_a_real_process(tmp_path):
    (tmp_path / "problem.txt").write_text((SNACKS / "problem.txt").read_text())
    env = {k: v for k, v in os.environ.items() if not k.startswith("FORMALIZE_")}
    env.update(HOME=str(tmp_path), XDG_CONFIG_HOME=str(tmp_path / "cfg"))
    r = run_proc("solve", "problem.txt", cwd=tmp_path, env=env)
    assert r.returncode == 2
    assert "No LLM model is configured" in r.stderr
    assert "--model" in r.stderr and "FORMALIZE_MODEL" in r.stderr and "ollama/" in r.stderr
    assert "Traceback" not in r.stderr and r.stdout == ""


def test_solve_text_with_a_scripted_llm(capsys, problem_dir):
    llm = ScriptedLLM([GOOD, GOOD], name="cli_text")  # read step, structure step
    try:
        code, out, err = run(capsys, "solve", "problem.txt", "--model", llm.model, "--show-model",
                             "--save-model", "out.json")
    finally:
        llm.close()
    assert code == 0, err
    assert len(llm.calls) == 2 and "snack" in llm.calls[0].prompt.lower()
    assert "reading" in err and "solving" in err  # live progress on stderr
    assert "subject to:" in out and "preference: small >= ratio_small * large" in out  # --show-model
    assert "objective = 4190" in out and "Formalization: verified" in out
    vals = dict(line.split() for line in out.splitlines() if line.split()[:1] in (["small"], ["large"])
                and len(line.split()) == 2)
    assert vals == {"small": "47", "large": "23"}
    saved = solvers.load_model(problem_dir / "out.json")  # --save-model: reloads, same optimum
    sol = solvers.solve(saved)
    assert sol.objective == pytest.approx(SNACKS_OPT)
    code, out, _ = run(capsys, "solve", problem_dir / "out.json")
    assert code == 0 and "objective = 4190" in out


def test_solve_text_json(capsys, problem_dir):
    llm = ScriptedLLM([GOOD, GOOD], name="cli_json")
    try:
        code, out, err = run(capsys, "solve", "problem.txt", "--model", llm.model, "--json")
    finally:
        llm.close()
    assert code == 0, err
    doc = json.loads(out)
    assert doc["status"] == "optimal" and doc["objective"] == pytest.approx(SNACKS_OPT)
    assert doc["mode"] == "ir" and doc["exit_code"] == 0
    f = doc["formalization"]
    assert f["ok"] is True and [r["step"] for r in f["history"]] == ["read", "structure"]
    assert f["model"]["name"] == "snack_suitcases" and f["repair_rounds"] == 0
    assert doc["usage"]["calls"] == 2 and doc["usage"]["prompt_tokens"] > 0
    values = {k: v[0]["value"] for k, v in doc["solution"]["values"].items()}
    assert values == {"small": pytest.approx(47), "large": pytest.approx(23)}
    assert "reading" not in err  # no progress lines with --json


def test_solve_text_with_samples_shows_the_vote(capsys, problem_dir):
    llm = ScriptedLLM([GOOD, GOOD], name="cli_vote")
    try:
        code, out, err = run(capsys, "solve", "problem.txt", "--model", llm.model, "--samples", "2",
                             "--strategy", "single")
    finally:
        llm.close()
    assert code == 0, err
    assert "objective = 4190" in out and "confidence 100% (2/2 samples agree)" in out


def test_solve_text_unrepaired_model_exit_4(capsys, problem_dir):
    bad = copy.deepcopy(GOOD)
    bad["objective"] = "cap_smal * small + cap_large * large"
    llm = ScriptedLLM([bad, bad, bad], name="cli_bad")
    try:
        code, out, err = run(capsys, "solve", "problem.txt", "--model", llm.model,
                             "--strategy", "single", "--max-repairs", "2", "--save-model", "o.json")
    finally:
        llm.close()
    assert code == cli.EXIT_LLM
    assert "'cap_smal' is not declared" in err and "NOT verified" in out
    assert not (problem_dir / "o.json").exists() and "no verified model to save" in err


def test_provider_failure_exit_4(capsys, problem_dir, monkeypatch):
    monkeypatch.setenv("FORMALIZE_MAX_RETRIES", "0")
    llm = ScriptedLLM([scripted_error(500)] * 3, name="cli_down")
    try:
        code, out, err = run(capsys, "solve", "problem.txt", "--model", llm.model)
        assert code == cli.EXIT_LLM
        assert "LLM failure" in err and "HTTP 500" in err and "Traceback" not in err
        assert len(llm.calls) == 1  # max_retries 0: one attempt
        code, out, err = run(capsys, "solve", "problem.txt", "--model", llm.model, "--json")
    finally:
        llm.close()
    doc = json.loads(out)
    assert code == 4 and doc["status"] == "error" and "HTTP 500" in doc["error"]


# ------------------------------------------------------------------------------ export (CLI side)


def test_export_renderings(capsys, tmp_path):
    code, out, _ = run(capsys, "export", TRANSPORT, "--to", "latex")
    assert code == 0 and out.startswith("\\begin{align*}") and "\\sum" in out
    code, out, _ = run(capsys, "export", TRANSPORT, "--to", "text")
    assert code == 0 and "supply_limit:" in out
    code, out, _ = run(capsys, "export", TRANSPORT, "--to", "json", "-o", tmp_path / "m.json")
    assert code == 0 and out == ""
    (tmp_path / "distances.csv").write_text((EX / "transport/distances.csv").read_text())
    assert solvers.solve(tmp_path / "m.json").objective == pytest.approx(153.675)


def test_export_lp_to_stdout_equals_the_file(capsys, tmp_path):
    code, out, _ = run(capsys, "export", TRANSPORT, "--to", "lp")
    assert code == 0 and "supply_limit(seattle)" in out
    assert run(capsys, "export", TRANSPORT, "--to", "lp", "-o", tmp_path / "t.lp")[0] == 0
    assert (tmp_path / "t.lp").read_text().strip() == out.strip()


def test_export_errors(capsys, tmp_path):
    code, _, err = run(capsys, "export", EX / "portfolio/model.json", "--to", "pulp")
    assert code == 1 and "PuLP cannot hold a quadratic objective" in err
    code, _, err = run(capsys, "export", EX / "sudoku/model.json", "--to", "lp", "-o", tmp_path / "s.lp")
    assert code == 1 and "CP-SAT" in err and "Traceback" not in err
    code, _, err = run(capsys, "export", TRANSPORT, "--to", "mps", "-o", tmp_path)
    assert code == 2 and "directory" in err


def test_export_to_a_closed_pipe_is_quiet(tmp_path):
    big = {"name": "big", "sense": "minimize", "sets": {"I": {"range": [1, 120]}, "J": {"range": [1, 120]}},
           "variables": {"x": {"index": ["I", "J"], "domain": "real", "lb": 0}},
           "objective": "sum(x[i, j] for i in I for j in J)",
           "constraints": [{"name": "cover", "forall": "i in I", "expr": "sum(x[i, j] for j in J) >= 1"}]}
    (tmp_path / "big.json").write_text(json.dumps(big))  # its LP file is far beyond a pipe buffer
    code = ("import subprocess, sys\n"
            "p = subprocess.Popen([sys.executable, '-m', 'formalize.cli.main', 'export', sys.argv[1],"
            " '--to', 'lp'], stdout=subprocess.PIPE, stderr=subprocess.PIPE)\n"
            "head = p.stdout.read(100); p.stdout.close(); err = p.stderr.read().decode(); p.wait()\n"
            "print(p.returncode, b'HiGHS' in head, 'Traceback' in err or 'error' in err)")
    r = subprocess.run([sys.executable, "-c", code, str(tmp_path / "big.json")], cwd=ROOT,
                       capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(ROOT)},
                       timeout=60)
    assert r.stdout.split() == ["0", "True", "False"], r.stdout + r.stderr
