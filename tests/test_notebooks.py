"""The notebooks under notebooks/: stored clean, and each executed end to end, offline, in a
fresh kernel (nbclient), with its outputs checked for the numbers it is about."""

from __future__ import annotations

import json
import os
import re
import time
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat", reason="the notebooks need the dev extra: pip install -e '.[dev]'")
nbclient = pytest.importorskip("nbclient", reason="the notebooks need the dev extra: pip install -e '.[dev]'")

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
CELL_TIMEOUT = 120  # seconds; each notebook runs well under 2 minutes offline


def outputs_text(nb) -> str:
    """Every output of every code cell as text: streams, errors, text/plain, text/html,
    text/latex, and the names of images."""
    parts: list[str] = []
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        for out in cell.get("outputs", []):
            if out.output_type == "stream":
                parts.append(out.text)
            elif out.output_type == "error":
                parts.append("\n".join(out.traceback))
            else:
                data = out.get("data", {})
                for mime in ("text/plain", "text/html", "text/latex", "text/markdown"):
                    if mime in data:
                        parts.append(data[mime] if isinstance(data[mime], str) else "".join(data[mime]))
                parts += [f"<{mime}>" for mime in data if mime.startswith("image/")]
    return "\n".join(parts)


def execute(path: Path, tmp_path: Path, monkeypatch, **env: str) -> tuple[object, float]:
    """Run one notebook in a fresh kernel from notebooks/, no language model configured (unless
    `env` sets one), this checkout's code first on the path; returns (notebook, seconds)."""
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]))
    for var in ("FORMALIZE_MODEL", "FORMALIZE_API_BASE", "FORMALIZE_API_KEY"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))  # no user config file
    monkeypatch.setenv("FORMALIZE_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    monkeypatch.setenv("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    nb = nbformat.read(path, as_version=4)
    client = nbclient.NotebookClient(nb, timeout=CELL_TIMEOUT, kernel_name="python3",
                                     resources={"metadata": {"path": str(path.parent)}})
    t0 = time.perf_counter()
    client.execute()
    return nb, time.perf_counter() - t0


def test_every_notebook_is_stored_clean_and_tested():
    assert NOTEBOOKS, "no notebooks found"
    for path in NOTEBOOKS:
        nb = nbformat.read(path, as_version=4)
        nbformat.validate(nb)
        for cell in nb.cells:
            if cell.cell_type == "code":
                assert cell.outputs == [] and cell.execution_count is None, \
                    f"{path.name}: stored with outputs; clear them (README, 'Notebooks')"
        assert path.stem in CHECKS, f"{path.name} has no test in {Path(__file__).name}"


def check_quickstart(text: str) -> None:
    # the located error and its fix
    assert "error: constraints oven_time expr col 45: 'oven_hour' is not declared" in text
    assert "did you mean 'oven_hours'?" in text
    assert "ok: True | class: MILP | variables: 2 | constraints: 2 | findings: 0" in text
    # HiGHS solves it: 20 loaves, 10 cakes, 110 (both resources used up; see the notebook)
    assert "optimal objective 110.0 via highs" in text
    assert "FEASIBLE: 2 constraint instance(s)" in text and "objective (recomputed) = 110" in text
    # the guess of 25 loaves earns more but breaks both limits, each located with its amount
    assert "NOT FEASIBLE" in text and "oven_time violated by 5: lhs 45 <= rhs 40" in text
    assert "flour_stock violated by 10" in text
    # exports: Pyomo solved again, the LP file, the LaTeX
    assert "| objective 110.0 |" in text and "make[bread]': 20.0" in text
    assert "oven_time: +1 make(bread) +2 make(cake) <= +40" in text
    assert "\\max \\quad" in text and "\\mathrm{oven\\_hours}" in text
    # no model configured: says what to set, sends nothing
    assert "No language model is configured, so nothing was sent" in text
    assert "FORMALIZE_MODEL" in text


def check_big_data_small_prompt(text: str) -> None:
    assert f"{BIG_STORES:,} stores x 100 products = {100 * BIG_STORES:,} variables" in text
    assert (f"demand.csv: {100 * BIG_STORES} rows; columns: store (number), product (text), "
            "demand (number), margin (number); first rows: 1, P001,") in text
    assert "verified: True, steps: ['read', 'structure']" in text
    # the same prompt whatever the data's length: the row counts' digits differ, nothing else
    big = int(re.search(rf"first request, {100 * BIG_STORES:,} data rows: *([\d,]+) tokens", text)[1].replace(",", ""))
    small = int(re.search(r"first request, 1,000 data rows: *([\d,]+) tokens", text)[1].replace(",", ""))
    assert abs(big - small) <= 3 and big < 4000, (big, small)
    # solved at scale, and the optimum confirmed by the greedy rule (exact for this model)
    assert re.search(r"optimal objective [\d,.]+ via highs", text)
    m = re.search(r"greedy optimum ([\d,.]+) +solver ([\d,.]+)", text)
    assert m and m[1] == m[2], m
    assert f"({100 * BIG_STORES:,} instance(s))" in text  # the model's display: sizes from the files


def check_benchmarks(text: str) -> None:
    assert "<b>formalize bench</b> — mode reference" in text and "Label audit" in text
    agree = re.search(r"original labels: +(\d+)/(\d+) agree", text)
    fixed = re.search(r"corrected labels: +(\d+)/(\d+) agree", text)
    assert agree and fixed and int(agree[2]) >= 80
    assert int(agree[1]) < int(agree[2])  # the library records disagreements with the labels
    assert fixed[1] == fixed[2] == agree[2]  # and its corrections explain every one of them
    assert "not-optimal" in text and "integrality" in text  # the kinds of label error
    assert text.count("data:image/png;base64,") + text.count("<image/png>") >= 3  # three charts


def check_why_the_solver_computes(text: str) -> None:
    assert "knapsack: solver vs a person (typed guess)" in text
    # the typed guess: 1060 by its own values, over the weight limit; the bare claim impossible
    assert re.search(r"values +infeasible .*weight", text)
    assert re.search(r"objective +wrong .*1060", text)
    assert "No language model is configured, so nothing was sent" in text
    assert "scripted/greedy-rule answering directly vs the solver (15 instances, 3 per size)" in text
    assert "dynamic programming" in text  # each optimum proven independently of the solver
    assert text.count("data:image/png;base64,") >= 2  # the comparison's and the sweep's plots
    # the recorded stand-in run, with how it was obtained, and its plots
    assert "Comparison mode with a stand-in model" in text and "compare_standin.py" in text
    assert text.count("<image/png>") >= 2


CHECKS = {"quickstart": check_quickstart, "big_data_small_prompt": check_big_data_small_prompt,
          "benchmarks": check_benchmarks, "why_the_solver_computes": check_why_the_solver_computes}
# the notebook's size in the test run (its default is 10,000 stores: 10^6 variables)
BIG_STORES = 1000
ENV = {"big_data_small_prompt": {"FORMALIZE_NOTEBOOK_STORES": str(BIG_STORES)}}


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs_offline(path: Path, tmp_path, monkeypatch):
    nb, seconds = execute(path, tmp_path, monkeypatch, **ENV.get(path.stem, {}))
    text = outputs_text(nb)
    assert "Traceback" not in text, text[-3000:]
    CHECKS[path.stem](text)
    print(f"{path.name}: {seconds:.1f} s")


def test_notebook_outputs_text_reads_every_kind():
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x")])
    nb.cells[0].outputs = [
        nbformat.v4.new_output("stream", text="printed"),
        nbformat.v4.new_output("display_data", data={"text/html": "<b>t</b>", "image/png": "AA=="}),
        nbformat.v4.new_output("error", ename="E", evalue="v", traceback=["Traceback", "E: v"])]
    text = outputs_text(json.loads(json.dumps(nb), object_hook=nbformat.NotebookNode))
    assert "printed" in text and "<b>t</b>" in text and "<image/png>" in text and "E: v" in text


def test_quickstart_llm_cell_with_a_configured_model(tmp_path, monkeypatch, openai_server):
    """The quickstart's last cell with FORMALIZE_MODEL set: a local OpenAI-compatible server
    stands in for the model (answering with the hand-written model, read step then structure
    step); the notebook's own code sends the requests, verifies and solves."""
    from openai_server import structured

    read = {"sets": {"Products": ["bread", "cake"]}, "params": {
        "profit": {"index": ["Products"], "values": {"bread": 3, "cake": 5},
                   "source": "Bread earns $3 a loaf, cake $5"},
        "oven": {"index": ["Products"], "values": {"bread": 1, "cake": 2},
                 "source": "A loaf takes 1 hour in the oven ... a cake takes 2 hours"},
        "flour": {"index": ["Products"], "values": {"bread": 2, "cake": 1},
                  "source": "2 kg of flour; a cake takes 2 hours and 1 kg"},
        "oven_hours": {"value": 40, "source": "The oven runs 40 hours a week"},
        "flour_kg": {"value": 50, "source": "50 kg of flour arrive each week"}}}
    structure = {"sense": "maximize",
                 "variables": {"make": {"index": ["Products"], "domain": "integer", "lb": 0}},
                 "objective": "sum(profit[p] * make[p] for p in Products)",
                 "constraints": [
                     {"name": "oven_time", "expr": "sum(oven[p] * make[p] for p in Products) <= oven_hours"},
                     {"name": "flour_stock", "expr": "sum(flour[p] * make[p] for p in Products) <= flour_kg"}]}
    openai_server.enqueue(structured(read), structured(structure))
    nb, _ = execute(ROOT / "notebooks/quickstart.ipynb", tmp_path, monkeypatch,
                    FORMALIZE_MODEL="openai/stand-in", FORMALIZE_API_BASE=openai_server.base_url,
                    FORMALIZE_API_KEY="test-key")
    text = outputs_text(nb)
    assert "Traceback" not in text, text[-3000:]
    assert "No language model is configured" not in text
    assert "formalizing with openai/stand-in" in text
    assert "<b>optimal</b> — objective <b>110</b>" in text  # the program's answer, displayed
    assert "verified, 2 LLM call(s), 0 repair round(s)" in text
    assert [r.body["model"] for r in openai_server.requests] == ["stand-in", "stand-in"]
    assert "A bakery makes bread and cake" in openai_server.requests[0].body["messages"][-1]["content"]
