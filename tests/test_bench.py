"""The benchmark runner (formalize.evaluation.bench): datasets, scoring, reference runs, resume, --compare, CLI.

End-to-end runs use ``--model reference`` (the hand-written models of problems/datasets, no LLM)
and, for the LLM paths, ScriptedLLM — a test double answering from queues written here."""

from __future__ import annotations

import contextlib
import json
import math
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from formalize.cli.main import main
from formalize.evaluation import bench
from formalize.evaluation.bench import is_correct, load_dataset, read_results, run_bench, summarize
from formalize.evaluation.scoring import Rounding, answer_rounding
from formalize.llm.config import ConfigError

ROOT = Path(__file__).resolve().parent.parent
# the shared dataset collection beside the clone (or beside a parent, for a worktree)
SHARED = next((up / "shared" / "datasets" for up in ROOT.parents
               if (up / "shared" / "datasets" / "comparisons").is_dir()), ROOT.parent / "shared" / "datasets")
REFS = ROOT / "problems" / "datasets"
needs_shared = pytest.mark.skipif(not SHARED.is_dir(), reason="../shared/datasets not present")
CORRECTIONS = {c["id"]: c for c in map(json.loads, (REFS / "corrections.jsonl").read_text().splitlines())}


def _expected(bench_name: str, version: str) -> dict[str, bool]:
    """Independently of the runner: does our reference optimum match the label of `version`?

    Our optimum is the recorded correction where there is one, else the dataset label (that the
    reference models reproduce the labels is proven by tests/test_datasets_solve.py)."""
    out = {}
    for meta_path in sorted((REFS / bench_name).glob("*/meta.json")):
        if not (meta_path.parent / "model.json").is_file():  # drawn, not modelled yet
            continue
        meta = json.loads(meta_path.read_text())
        ours = CORRECTIONS[meta["id"]]["our_optimum"] if meta["id"] in CORRECTIONS else meta["answer"]
        key = f"{bench_name}-{version}"
        if key not in meta["label_versions"]:
            continue
        label = meta["label_versions"][key]
        out[meta["id"]] = (ours is None and label is None) or (
            ours is not None and label is not None and abs(ours - label) <= 1e-6 * max(1, abs(label)))
    return out


# ------------------------------------------------------------------------------ scoring rules
def test_scoring_tolerances() -> None:
    assert is_correct(100.0, "ok", "optimal", 100.00005, 1e-6) is True  # |d| = 5e-5 <= 1e-4
    assert is_correct(100.0, "ok", "optimal", 100.001, 1e-6) is False
    assert is_correct(100.0, "ok", "optimal", 104.9, 0.05) is True  # ORLM convention: 5 %
    assert is_correct(100.0, "ok", "optimal", 105.1, 0.05) is False
    assert is_correct(0.0, "ok", "optimal", 5e-7, 1e-6) is True  # absolute floor at label 0
    assert is_correct(0.0, "ok", "optimal", 1e-3, 0.05) is False
    assert is_correct(-50.0, "ok", "feasible", -50.0, 1e-6) is True
    assert is_correct(100.0, "ok", "infeasible", None, 0.05) is False
    assert is_correct(100.0, "ok", "error", 100.0, 0.05) is False  # no solution: not correct


def test_scoring_infeasible_and_unscored_labels() -> None:
    for label_status in ("infeasible", "missing"):
        assert is_correct(None, label_status, "infeasible", None, 1e-6) is True
        assert is_correct(None, label_status, "optimal", 12.0, 0.05) is False
        assert is_correct(None, label_status, "unbounded", None, 0.05) is False
    assert is_correct(None, "feasible", "optimal", None, 1e-6) is True  # feasibility example
    assert is_correct(None, "unparsed", "optimal", 1.0, 1e-6) is None
    assert is_correct(None, "objective_key_unresolved", "infeasible", None, 1e-6) is None
    # --labels corrected: the library found the text lacks data the answer needs
    assert is_correct(None, "incomplete-text", "optimal", 607479.0, 1e-6) is None


@pytest.mark.parametrize("text, mode, unit", [
    ("What is the least cost? Provide your answer rounded to the nearest dollar.", "nearest", 1),
    ("the minimum total cost (rounded off)?", "nearest", 1),
    ("Round your answer off to nearest integer.", "nearest", 1),
    ("rounded to the nearest integar", "nearest", 1),  # the dataset's spelling
    ("rounded up to the nearest whole number", "up", 1),
    ("Provide your answer rounded down to the nearest dollar.", "down", 1),
    ("Round your answer to two decimal places.", "nearest", 0.01),
    ("rounded off to one decimal place", "nearest", 0.1),
    ("rounded to nearest thousand dollars", "nearest", 1000),
    ("rounded to nearest hundred dollars", "nearest", 100),
    # several: the last (the question's) counts
    ("Prices rounded to the nearest cent. What is the profit (rounded to the nearest dollar)?", "nearest", 1),
])
def test_answer_rounding_is_read_from_the_text(text: str, mode: str, unit: float) -> None:
    r = answer_rounding(text)
    assert r is not None and (r.mode, r.unit) == (mode, unit) and "round" in r.words.lower()


@pytest.mark.parametrize("text", [
    "Sales are rounded down to whole numbers as partial sales are not possible.",  # the plan's integrality
    "The plane makes a round trip of 600 km.",
    "a rounded food item gives 20 grams of protein",
    "What is the maximum profit?",
])
def test_answer_rounding_ignores_what_is_no_rounding_of_the_answer(text: str) -> None:
    assert answer_rounding(text) is None


def test_scoring_after_the_rounding_the_text_asks_for() -> None:
    dollar = answer_rounding("Provide your answer rounded to the nearest dollar.")
    assert is_correct(15.0, "ok", "optimal", 15.2351, 1e-6) is False
    assert is_correct(15.0, "ok", "optimal", 15.2351, 1e-6, dollar) is True
    assert is_correct(15.0, "ok", "optimal", 15.5, 1e-6, dollar) is False  # half rounds away from 0
    assert is_correct(16.0, "ok", "optimal", 15.5, 1e-6, dollar) is True
    assert is_correct(16.0, "ok", "optimal", 15.4999999999, 1e-6, dollar) is True  # solver noise
    assert is_correct(15.2351, "ok", "optimal", 15.0, 1e-6, dollar) is True  # an unrounded label too
    assert is_correct(-15.0, "ok", "optimal", -15.4, 1e-6, dollar.to_json()) is True  # the record's form
    up = answer_rounding("rounded up to the nearest dollar")
    assert is_correct(16.0, "ok", "optimal", 15.01, 1e-6, up) is True
    assert is_correct(15.0, "ok", "optimal", 15.0000000001, 1e-6, up) is True
    cents = answer_rounding("rounded to two decimal places")
    assert is_correct(3.14, "ok", "optimal", 3.14159, 1e-6, cents) is True
    assert is_correct(3.14, "ok", "optimal", 3.146, 1e-6, cents) is False
    thousands = answer_rounding("rounded to nearest thousand dollars")
    assert is_correct(137000.0, "ok", "optimal", 136_600.0, 1e-6, thousands) is True
    # rounding changes neither null labels nor a run without a solution
    assert is_correct(None, "infeasible", "infeasible", None, 1e-6, dollar) is True
    assert is_correct(15.0, "ok", "infeasible", None, 1e-6, dollar) is False
    assert is_correct(15.0, "ok", "optimal", 15.2351, 1e-6, {"mode": "sideways", "unit": 1}) is False
    assert Rounding.of({"mode": "nearest", "unit": 0}) is None


def test_summary_scores_the_recorded_rounding() -> None:
    rnd = answer_rounding("rounded to the nearest dollar").to_json()
    recs = [{"id": "a", "dataset": "d", "mode": "ir", "label": 15.0, "label_status": "ok",
             "status": "optimal", "objective": 15.2351, "executed": True, "answer_rounding": rnd,
             "direct": {"status": "optimal", "objective": 14.9, "executed": True}},
            {"id": "b", "dataset": "d", "mode": "ir", "label": 15.0, "label_status": "ok",
             "status": "optimal", "objective": 15.2351, "executed": True},  # no rounding asked
            {"id": "c", "dataset": "d", "mode": "reference", "label": 3.0, "label_status": "ok",
             "status": "incomplete-text", "objective": None, "note": "no demands"}]
    g = summarize(recs, 1e-6).overall
    assert (g.n, g.skipped, g.scored, g.correct, g.direct_correct) == (3, 1, 2, 1, 1)
    assert g.correct_orlm == 2


def test_a_run_records_and_scores_the_rounding_its_text_asks_for(tmp_path: Path) -> None:
    from formalize.llm.testing import ScriptedLLM

    text = ("A diet of bread and milk must give 30 g protein. Bread costs 3 dollars and gives 4 g; "
            "milk costs 4 dollars and gives 6 g. What is the least cost? Provide your answer "
            "rounded to the nearest dollar.")
    path = tmp_path / "normalized.jsonl"
    path.write_text(json.dumps({"id": "r:1", "text": text, "answer": 20, "answer_status": "ok",
                                "benchmark": "r", "version": "v"}) + "\n")
    with ScriptedLLM(['{"objective": 20.0000}', '{"objective": 19.6}'], name="bench-round") as llm:
        a = run_bench("r", model=llm.client(), mode="direct", path=path, out=tmp_path / "a.jsonl",
                      progress=False)
        b = run_bench("r", model=llm.client(), mode="direct", path=path, out=tmp_path / "b.jsonl",
                      progress=False)
    (rec,) = b.records
    assert rec["answer_rounding"] == {"mode": "nearest", "unit": 1.0, "words": "rounded to the nearest dollar"}
    assert a.summary.overall.correct == 1 and b.summary.overall.correct == 1  # 19.6 answers 20
    _, recs = read_results(tmp_path / "b.jsonl")
    assert summarize(recs.values()).overall.correct == 1  # re-scored from the file


def test_summary_counts_and_categories() -> None:
    recs = [
        {"id": "a", "dataset": "d", "categories": {"difficulty": "easy"}, "mode": "ir", "label": 10.0,
         "label_status": "ok", "status": "optimal", "objective": 10.3, "executed": True,
         "repair_rounds": 2, "tokens": 100, "cost": 0.5, "seconds": 1.0},
        {"id": "b", "dataset": "d", "categories": {"difficulty": "hard"}, "mode": "ir", "label": None,
         "label_status": "infeasible", "status": "infeasible", "objective": None, "executed": True,
         "repair_rounds": 0, "tokens": 50, "cost": 0.25, "seconds": 2.0},
        {"id": "c", "dataset": "d", "categories": {"difficulty": "hard"}, "mode": "ir", "label": 5.0,
         "label_status": "ok", "status": "error", "objective": None, "executed": False,
         "repair_rounds": 3, "tokens": 10, "cost": 0.0, "seconds": 0.5},
    ]
    s = summarize(recs, 1e-6)
    g = s.overall
    assert (g.n, g.scored, g.executed, g.correct, g.correct_orlm) == (3, 3, 2, 1, 2)
    assert (g.infeasible_labels, g.infeasible_correct) == (1, 1)
    assert g.repair_rounds == pytest.approx(5 / 3)
    assert (g.tokens, g.cost, g.seconds) == (160, 0.75, 3.5)
    hard = next(x for x in s.groups if (x.group, x.value) == ("difficulty", "hard"))
    assert (hard.n, hard.correct, hard.execution_rate) == (2, 1, 0.5)
    md, csv_text = s.to_markdown(), s.to_csv()
    assert "difficulty=hard" in md and "33.3%" in md and "66.7%" in md
    assert csv_text.splitlines()[0].startswith("group,value,problems")
    assert len(csv_text.splitlines()) == 1 + 4  # all, dataset, easy, hard


# ------------------------------------------------------------------------------ datasets
def test_shipped_sets_have_licence_and_attribution() -> None:
    for name in ("nl4opt", "mamo_easylp", "mamo_complexlp", "optibench"):
        d = ROOT / "problems" / "benchmarks" / name
        assert (d / "LICENSE").read_text().strip() and (d / "ATTRIBUTION.md").read_text().strip()
        ds = load_dataset(name)
        assert len(ds) > 200 and all(p.text and p.id for p in ds.problems)
    nl = load_dataset("nl4opt")
    assert nl.label == "nl4opt-cpmpy" and len(nl) == 289
    assert sum(p.answer is None for p in nl.problems) == 19
    assert len(load_dataset("nl4opt", agreed_only=True)) == 179  # README: 179 of 289 agree
    assert {p.categories.get("type") for p in load_dataset("mamo_easylp").problems} == {"easy_lp"}


def test_unshipped_and_bad_versions_are_located_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="industryor: not a dataset shipped.*--path"):
        load_dataset("industryor")
    with pytest.raises(ConfigError, match="carries the 'cpmpy' labels, not 'sirl'"):
        load_dataset("nl4opt", version="sirl")
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "x:1", "text": "t", "answer": 1}\n{not json\n')
    with pytest.raises(ConfigError, match=r"bad.jsonl:2: not valid JSON"):
        load_dataset("x", path=bad)


@needs_shared
def test_version_choice_and_agreed_filter_from_shared_root() -> None:
    sirl = load_dataset("nl4opt", path=SHARED, version="sirl")
    assert sirl.label == "nl4opt-sirl" and len(sirl) == 245
    agreed = load_dataset("industryor", path=SHARED, version="v2_hf", agreed_only=True)
    clusters = [json.loads(x) for x in (SHARED / "comparisons" / "industryor.jsonl").read_text().splitlines()]
    want = {c["ids"]["industryor-v2_hf"] for c in clusters
            if c["all_agree"] and len(c["ids"]) >= 2 and "industryor-v2_hf" in c["ids"]}
    assert {p.id for p in agreed.problems} == want and 0 < len(want) < 100
    with pytest.raises(ConfigError, match="versions there: .*sirl"):
        load_dataset("nl4opt", path=SHARED, version="nosuch")


# ------------------------------------------------------------------------------ reference runs
@needs_shared
@pytest.mark.parametrize("name, version", [("nl4opt", "cpmpy"), ("complexor", "coe"),
                                           ("complexor", "orthought")])
def test_reference_run_matches_independent_expectation(tmp_path: Path, name: str, version: str) -> None:
    expected = _expected(name, version)
    rep = run_bench(name, model="reference", path=SHARED, version=version,
                    out=tmp_path / "r.jsonl", progress=False, workers=0)
    recs = {r["id"]: r for r in rep.records}
    with_ref = {i: r for i, r in recs.items() if r["status"] != bench.NO_REFERENCE}
    assert len(with_ref) == len(expected)  # complexor-orthought ids are matched via comparisons
    got = {}
    for r in with_ref.values():
        ok = is_correct(r["label"], r["label_status"], r["status"], r["objective"], 1e-6)
        got[r["id"]] = ok
    assert sorted(got.values()) == sorted(expected.values())
    g = rep.summary.overall
    assert g.scored == len(expected) and g.correct == sum(expected.values())
    assert g.skipped == len(recs) - len(expected)
    assert g.execution_rate == 1.0
    if (name, version) == ("complexor", "coe"):  # prod and steel4: labels disagree (CORRECTIONS.md)
        assert got["complexor-coe:prod"] is False and got["complexor-coe:steel4"] is False
    if name == "nl4opt":  # furnaces: null label, and our model is infeasible
        assert got["nl4opt-cpmpy:-847055511"] is True
        assert g.infeasible_labels == sum(r["label"] is None for r in with_ref.values()) >= 1
    assert rep.reports["markdown"].read_text().count("|") > 10
    assert rep.reports["csv"].is_file() and rep.reports["plot"].stat().st_size > 1000


def test_reference_run_in_a_process_pool_on_examples(tmp_path: Path) -> None:
    rep = run_bench("examples", model="reference", out=tmp_path / "e.jsonl", progress=False,
                    workers=2, ids=["examples:knapsack", "examples:infeasible_bakery", "examples:sudoku",
                                    "examples:transport"])
    recs = {r["id"]: r for r in rep.records}
    assert recs["examples:knapsack"]["objective"] == pytest.approx(1030)
    assert recs["examples:transport"]["objective"] == pytest.approx(153.675)
    assert recs["examples:infeasible_bakery"]["status"] == "infeasible"
    assert rep.summary.overall.correct == 4 and rep.summary.overall.scored == 4


# ------------------------------------------------------------------------------ resume
def _lines(path: Path) -> list[dict]:
    return [json.loads(x) for x in path.read_text().splitlines() if x.strip()]


def test_truncated_last_line_is_repaired_and_rerun(tmp_path: Path) -> None:
    out = tmp_path / "r.jsonl"
    ids = ["examples:knapsack", "examples:diet", "examples:assignment"]
    run_bench("examples", model="reference", ids=ids, out=out, progress=False, workers=0)
    text = out.read_text()
    last = text.rstrip("\n").rsplit("\n", 1)[1]
    out.write_text(text[: len(text) - len(last) // 2 - 1])  # cut the last record mid-line
    header, done = read_results(out)
    assert header is not None and len(done) == 2
    rep = run_bench("examples", model="reference", ids=ids, out=out, resume=True, progress=False,
                    workers=0)
    assert (rep.ran, rep.resumed) == (1, 2)
    problems = [r for r in _lines(out) if r["type"] == "problem"]  # every line parses again
    assert sorted(r["id"] for r in problems) == sorted(ids)
    assert rep.summary.overall.correct == 3


def test_existing_results_need_resume_or_overwrite(tmp_path: Path) -> None:
    out = tmp_path / "r.jsonl"
    run_bench("examples", model="reference", ids=["examples:diet"], out=out, progress=False, workers=0)
    with pytest.raises(ConfigError, match="exists: pass --resume"):
        run_bench("examples", model="reference", ids=["examples:diet"], out=out, progress=False)
    with pytest.raises(ConfigError, match="--resume of a different run"):
        run_bench("nl4opt", model="reference", limit=1, out=out, resume=True, progress=False)


_SLOW_RUN = """
import sys, time
from formalize.evaluation import bench
real = bench._solve_reference
def slow(*a, **k):
    time.sleep(0.15)
    return real(*a, **k)
bench._solve_reference = slow  # a slow solver, so the kill lands mid-run
bench.run_bench("examples", model="reference", out=sys.argv[1], concurrency=2, workers=0,
                resume=True, progress=False)
"""


def test_kill_midway_then_resume_loses_nothing_and_counts_nothing_twice(tmp_path: Path) -> None:
    out = tmp_path / "r.jsonl"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    proc = subprocess.Popen([sys.executable, "-c", _SLOW_RUN, str(out)], env=env, cwd=tmp_path)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if out.is_file() and out.read_text().count('"type": "problem"') >= 3:
            break
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)
    before = [r["id"] for r in _lines_tolerant(out) if r.get("type") == "problem"]
    total = len(load_dataset("examples"))
    assert 3 <= len(before) < total, "the kill should land mid-run"
    rc = main(["bench", "examples", "--model", "reference", "--out", str(out), "--resume",
               "--workers", "0", "--no-progress"])
    assert rc == 0
    problems = [r for r in _lines(out) if r["type"] == "problem"]
    ids = [r["id"] for r in problems]
    assert len(ids) == len(set(ids)) == total  # each problem exactly once, none lost
    assert set(before) <= set(ids)
    _, latest = read_results(out)
    assert summarize(latest.values()).overall.correct == total


def _lines_tolerant(path: Path) -> list[dict]:
    out = []
    for line in path.read_text().splitlines():
        with contextlib.suppress(json.JSONDecodeError):
            out.append(json.loads(line))
    return out


# ------------------------------------------------------------------------------ LLM paths
def _dataset(tmp_path: Path) -> Path:
    """Two problems with references (known optima) as a user's own normalized.jsonl."""
    rows = []
    for folder, label in (("knapsack", 1030.0), ("diet", 92.5)):
        d = ROOT / "problems" / "examples" / folder
        rows.append({"id": f"mine:{folder}", "text": (d / "problem.txt").read_text(), "answer": label,
                     "answer_status": "ok", "benchmark": "mine", "version": "v1",
                     "meta": {"difficulty": "easy" if folder == "diet" else "hard"}})
    p = tmp_path / "normalized.jsonl"
    p.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return p


def test_direct_mode_and_compare_with_scripted_llm(tmp_path: Path) -> None:
    from formalize.llm.testing import ScriptedLLM

    path = _dataset(tmp_path)
    diet = json.loads((ROOT / "problems" / "examples" / "diet" / "model.json").read_text())
    knap_text = (ROOT / "problems" / "examples" / "knapsack" / "problem.txt").read_text()

    def direct(messages: list[dict]) -> str:  # the double's "own iteration": one right, one wrong
        prompt = messages[-1]["content"]
        return 'Step 1 ... so {"objective": 1030}' if knap_text[:60] in prompt else \
            'I computed it: {"objective": 95.0}'

    with ScriptedLLM([direct, direct], name="bench-direct") as llm:
        rep = run_bench("mine", model=llm.client(), mode="direct", path=path,
                        out=tmp_path / "d.jsonl", progress=False)
    by_id = {r["id"]: r for r in rep.records}
    assert by_id["mine:knapsack"]["objective"] == 1030.0
    assert rep.summary.overall.correct == 1 and rep.summary.overall.correct_orlm == 2  # 95 vs 92.5

    # --compare: the pipeline (ir, single call) on diet, the direct answer beside it
    def answer(messages: list[dict]) -> str:
        prompt = messages[-1]["content"]
        if "Reason step by step" in prompt:
            return '{"objective": 80}'
        return json.dumps(diet)

    with ScriptedLLM([answer] * 5, name="bench-compare") as llm:
        rep = run_bench("mine", model=llm.client(), mode="ir", strategy="single", path=path,
                        ids=["diet"], compare=True, out=tmp_path / "c.jsonl", progress=False)
        n_calls = len(llm.calls)
    (rec,) = rep.records
    assert rec["status"] == "optimal" and rec["objective"] == pytest.approx(92.5)
    assert rec["direct"]["objective"] == 80.0 and rec["llm_calls"] == n_calls - 1 >= 1
    assert rec["repair_rounds"] == rec["llm_calls"] - 1
    g = rep.summary.overall
    assert (g.accuracy, g.direct_accuracy, g.direct_accuracy_orlm) == (1.0, 0.0, 0.0)
    assert "direct@5%" in rep.summary.to_markdown()


def test_parse_direct_answers() -> None:
    assert bench.parse_direct('reasoning {"x": 1} ... final {"objective": "1,250.5"}') == ("optimal", 1250.5)
    assert bench.parse_direct('{"status": "infeasible"}') == ("infeasible", None)
    assert bench.parse_direct("the answer is about 42") == ("unparseable", None)
    status, value = bench.parse_direct('{"objective": 1e3}')
    assert status == "optimal" and math.isclose(value, 1000)
    # read as compare mode reads answers: a key given twice is no answer (it was "last wins")
    assert bench.parse_direct('final: {"objective": 3, "objective": 4}') == ("unparseable", None)
    assert bench.parse_direct('{"objective": 12, "status": "optimal"} and later {"note": 1}') == ("optimal", 12.0)


def test_llm_failure_is_recorded_per_problem(tmp_path: Path) -> None:
    from formalize.llm.testing import ScriptedLLM, scripted_error

    path = _dataset(tmp_path)
    with ScriptedLLM([scripted_error(401, "bad key")] * 2, name="bench-fail") as llm:
        rep = run_bench("mine", model=llm.client(), mode="ir", strategy="single", path=path,
                        out=tmp_path / "f.jsonl", progress=False)
    assert all(r["status"] == "error" and "LLMError" in r["error"] for r in rep.records)
    assert rep.summary.overall.executed == 0 and rep.summary.overall.scored == 2


# ------------------------------------------------------------------------------ CLI
def test_cli_reference_run(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "cli.jsonl"
    rc = main(["bench", "examples", "--model", "reference", "--ids", "knapsack", "diet",
               "--out", str(out), "--report", str(tmp_path / "rep"), "--no-progress"])
    assert rc == 0
    text = capsys.readouterr().out
    assert "acc@5%" in text and "100.0%" in text
    assert (tmp_path / "rep" / "cli.summary.md").is_file()
    assert (tmp_path / "rep" / "cli.summary.csv").read_text().startswith("group,")


def test_cli_without_model_is_a_config_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.delenv("FORMALIZE_MODEL", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "cfg"))
    monkeypatch.chdir(tmp_path)  # no pyproject.toml with [tool.formalize] model
    rc = main(["bench", "nl4opt", "--limit", "1", "--out", str(tmp_path / "x.jsonl")])
    assert rc == 2
    err = capsys.readouterr().err
    assert "this benchmark needs a model" in err and "--model reference" in err
    assert "FORMALIZE_MODEL" in err


def test_run_bench_inside_a_running_event_loop(tmp_path: Path) -> None:
    """Jupyter runs cells inside an event loop: run_bench must not call asyncio.run there."""
    import asyncio

    async def in_a_loop():
        return run_bench("examples", model="reference", ids=["examples:knapsack"],
                         out=tmp_path / "loop.jsonl", progress=False, workers=0, plot=False)

    rep = asyncio.run(in_a_loop())
    (rec,) = rep.records
    assert rec["objective"] == pytest.approx(1030) and rep.summary.overall.correct == 1


def test_a_results_file_another_run_writes_is_refused_even_with_overwrite(tmp_path):
    """The run holds its results file's lock from before it reads (repairs) it to the end:
    --overwrite and --resume of a file another run writes are refused, the file untouched; a
    folder as --out is a usage error, not an IsADirectoryError."""
    from formalize.evaluation.results_file import ResultsFile

    out = tmp_path / "r.jsonl"
    run_bench("examples", model="reference", out=out, progress=False, plot=False,
              ids=["examples:diet"])
    before = out.read_bytes()
    with ResultsFile(out):  # another run writing it
        for kw in ({"overwrite": True}, {"resume": True}):
            with pytest.raises(ConfigError, match="being written by another run"):
                run_bench("examples", model="reference", out=out, progress=False, plot=False,
                          ids=["examples:diet"], **kw)
    assert out.read_bytes() == before
    rep = run_bench("examples", model="reference", out=out, progress=False, plot=False,
                    ids=["examples:diet"], overwrite=True)
    assert rep.ran == 1 and len(out.read_text().splitlines()) == 2  # started again: header + 1
    with pytest.raises(ConfigError, match="is a folder"):
        run_bench("examples", model="reference", out=tmp_path, progress=False, plot=False,
                  ids=["examples:diet"])
