"""`formalize check model.json --text problem.txt`: the text-aware verifier on a hand-written model."""

from __future__ import annotations

import copy
import json
import re
import shlex
import subprocess
import sys
from pathlib import Path

from formalize.cli import main as cli
from tests.test_verify_checks import TRUCKS_RIGHT, TRUCKS_TEXT, TRUCKS_WRONG

ROOT = Path(__file__).resolve().parent.parent
DIET = ROOT / "problems/examples/diet"


def run(capsys, *args: str) -> tuple[int, str, str]:
    code = cli.main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


def write(tmp_path: Path, doc: dict, text: str) -> tuple[Path, Path]:
    m, t = tmp_path / "model.json", tmp_path / "problem.txt"
    m.write_text(json.dumps(doc))
    t.write_text(text)
    return m, t


def test_the_command_as_written_in_the_readme(capsys, monkeypatch) -> None:
    readme = (ROOT / "README.md").read_text()
    (argv,) = {tuple(shlex.split(ln, comments=True)[1:]) for ln in readme.splitlines()
               if ln.startswith("formalize check ") and "--text" in ln}  # one command, shown twice
    monkeypatch.chdir(ROOT)
    code, out, err = run(capsys, *argv)
    assert code == 0
    assert "ok — class LP, 0 error(s), 0 warning(s)" in out and "4 acknowledged" in out
    assert "solved (optimal, objective 92.5)" in out  # Chvatal's diet: 92.5 cents
    # the acknowledged numbers, located in the text with their words and the model's reason
    assert re.search(r"info: text line \d+ col \d+: the text's number 237 \(\"…2 whole milk 237 cc", err)
    assert "serving size of whole milk" in err


def test_advice_is_located_with_the_quote_and_exits_0(capsys, tmp_path) -> None:
    doc = copy.deepcopy(TRUCKS_WRONG)
    del doc["constraints"][1]  # the 20-ton capacity forgotten as well
    m, t = write(tmp_path, doc, TRUCKS_TEXT)
    code, out, err = run(capsys, "check", m, "--text", t)
    assert code == 0 and "1 unused" in out
    assert "warning: text line 3 col 47: the text's number 20 (\"…" in err and "at most 20 tons" in err
    assert "idle-member" not in err or "Each truck must depart" in err


def test_errors_exit_1_and_json_carries_the_report(capsys, tmp_path) -> None:
    doc = copy.deepcopy(TRUCKS_RIGHT)
    doc["params"]["fee"]["values"][2] = 7.5  # misread
    doc["params"]["week"] = {"value": 45, "source": "derived: 8 * 5 = 45"}
    doc["constraints"].append({"name": "w", "expr": "sum(go[k] for k in Trucks) <= week"})
    m, t = write(tmp_path, doc, TRUCKS_TEXT + " Drivers work 8 hours a day, five days a week.")
    code, out, err = run(capsys, "check", m, "--text", t, "--json")
    assert code == 1
    res = json.loads(out)
    # text errors do not keep the model from solving (the solution checks run): 7.5 for 7 adds 0.5
    assert res["ok"] is False and res["solution"] == {"status": "optimal", "objective": 136.5}
    codes = [d["code"] for d in res["diagnostics"]]
    assert "ungrounded-number" in codes and "wrong-derivation" in codes
    (wrong,) = res["text"]["grounding"]["wrong_derivations"]
    assert wrong["computed"] == 40 and "8 * 5 = 40, not 45" in wrong["message"]
    (bad,) = res["text"]["grounding"]["ungrounded"]
    assert bad["value"] == 7.5 and "fee[T3]" in bad["where"]


def test_solution_checks_and_no_solve(capsys, tmp_path) -> None:
    m, t = write(tmp_path, TRUCKS_WRONG, TRUCKS_TEXT)
    code, out, _ = run(capsys, "check", m, "--text", t, "--json")
    res = json.loads(out)
    assert code == 0 and res["solution"] == {"status": "optimal", "objective": 109.0}
    assert [d["code"] for d in res["diagnostics"]] == ["idle-member"]
    code, out, _ = run(capsys, "check", m, "--text", t, "--json", "--no-solve")
    res = json.loads(out)
    assert code == 0 and res["solution"] is None and res["diagnostics"] == [] and not res["text"]["solution_checks"]


def test_missing_text_file_is_a_usage_error(capsys, tmp_path) -> None:
    m, _ = write(tmp_path, TRUCKS_RIGHT, TRUCKS_TEXT)
    code, _, err = run(capsys, "check", m, "--text", tmp_path / "nope.txt")
    assert code == 2 and "nope.txt: no such file" in err


def test_in_a_real_process(tmp_path) -> None:
    m, t = write(tmp_path, TRUCKS_WRONG, TRUCKS_TEXT)
    p = subprocess.run([sys.executable, "-m", "formalize.cli.main", "check", str(m), "--text", str(t)],
                       capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert p.returncode == 0 and "Traceback" not in p.stderr
    assert "Each truck must depart from its depot" in p.stderr and "1 warning(s)" in p.stdout
