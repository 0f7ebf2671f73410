"""The notebooks under notebooks/: stored clean, and each executed end to end, offline, in a
fresh kernel (nbclient), with its outputs checked for the numbers it is about."""

from __future__ import annotations

import json
import os
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


CHECKS = {"quickstart": check_quickstart}


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs_offline(path: Path, tmp_path, monkeypatch):
    nb, seconds = execute(path, tmp_path, monkeypatch)
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
