"""`--plot OUT.png` on `formalize compare` and `formalize bench`: the file is a real PNG of a
sensible size, it is the figure the Jupyter display shows (rebuilt from the same result, byte
for byte), and the figure's artists carry the result's numbers. Usage errors come before any
work. The LLM answers here are scripted (ScriptedLLM): nothing measures a real model."""

from __future__ import annotations

import csv
import json
import struct
import sys
from pathlib import Path

import pytest

from formalize.cli.main import main
from formalize.evaluation.bench import summarize
from formalize.llm.testing import ScriptedLLM

pytest.importorskip("matplotlib")

ROOT = Path(__file__).resolve().parent.parent
KNAPSACK = ROOT / "problems/examples/knapsack"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def png_size(path: Path) -> tuple[int, int]:
    """(width, height) in pixels from the IHDR chunk; fails on anything but a PNG."""
    data = path.read_bytes()
    assert data[:8] == PNG_SIGNATURE, f"{path} is not a PNG"
    assert data[12:16] == b"IHDR" and data[-8:-4] == b"IEND"
    return struct.unpack(">II", data[16:24])


def assert_sensible_png(path: Path) -> None:
    w, h = png_size(path)
    assert 600 <= w <= 2400 and 350 <= h <= 1400, (w, h)
    assert path.stat().st_size > 15_000  # text, bars and lines, not an empty canvas


def bars(ax) -> list[tuple[float, float]]:
    """(centre x, height) of every bar of an axes, left to right."""
    from matplotlib.patches import Rectangle

    out = [(p.get_x() + p.get_width() / 2, p.get_height()) for p in ax.patches
           if isinstance(p, Rectangle)]
    return sorted(out)


# --------------------------------------------------------------------------- compare


def knapsack_items() -> list[dict[str, str]]:
    with open(KNAPSACK / "items.csv", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def overweight_answers() -> list[str]:
    """A values answer taking every item (over the 400 dag limit) and a wrong objective."""
    items = knapsack_items()
    total = sum(float(r["value"]) for r in items)
    values = {"values": {"take": {r["item"]: 1 for r in items}}, "objective": total}
    return [f"Take everything.\n```json\n{json.dumps(values)}\n```", '{"objective": 1000}']


def test_compare_plot_is_the_displayed_figure_with_the_answers_numbers(tmp_path, capsys):
    from formalize.evaluation.compare import compare
    from formalize.evaluation.plots import build_comparison_figure, savefig

    out = tmp_path / "figs" / "knapsack.png"  # a folder that does not exist yet
    llm = ScriptedLLM(overweight_answers(), name="plot-cli-double")
    try:
        code = main(["compare", str(KNAPSACK / "model.json"), "--model",
                     "scripted/plot-cli-double", "--no-cache", "--json", "--plot", str(out)])
    finally:
        llm.close()
    cap = capsys.readouterr()
    assert code == 0, cap.err
    doc = json.loads(cap.out)
    assert doc["files"]["plot"] == str(out)
    assert_sensible_png(out)

    items = knapsack_items()
    everything = sum(float(r["value"]) for r in items)
    assert sum(float(r["weight"]) for r in items) > 400  # the answer is overweight
    llm = ScriptedLLM(overweight_answers(), name="plot-cli-double")
    try:
        comp = compare(KNAPSACK / "model.json", llm.client(), no_cache=True)
    finally:
        llm.close()
    assert [a.verdict for a in comp.answers] == ["infeasible", "wrong"]
    fig = build_comparison_figure(comp)
    objective_ax, violations_ax = fig.get_axes()
    # values answer: claimed and recomputed side by side; objective answer: one bar
    assert [h for _, h in bars(objective_ax)] == pytest.approx([everything, everything, 1000])
    optimum = [ln.get_ydata()[0] for ln in objective_ax.get_lines()]
    assert optimum == pytest.approx([1030])  # the example's known optimum
    assert [h for _, h in bars(violations_ax)] == [1]
    written = {t.get_text() for t in objective_ax.texts}
    assert {"1272", "1000"} <= written
    labels = [t.get_text() for t in fig.legends[0].get_texts()]
    assert labels == ["optimum (1030)", "objective of its values", "claimed: infeasible / wrong"]
    assert [t.get_text() for t in objective_ax.get_xticklabels()] == \
        ["values\ninfeasible", "objective\nwrong"]
    # what the CLI wrote is this figure, byte for byte
    again = savefig(fig, tmp_path / "again.png")
    assert again.read_bytes() == out.read_bytes()


def test_compare_sweep_plot_lines_are_the_table(tmp_path, capsys):
    from test_compare import sweep_script


    out = tmp_path / "sweep.png"
    responder, _ = sweep_script([5, 10], [0])
    llm = ScriptedLLM(responder.queue(), name="plot-sweep-double")
    try:
        code = main(["compare", "--family", "knapsack", "--sizes", "5,10", "--seeds", "1",
                     "--model", "scripted/plot-sweep-double", "--no-cache", "--json",
                     "--plot", str(out)])
    finally:
        llm.close()
    cap = capsys.readouterr()
    assert code == 0, cap.err
    doc = json.loads(cap.out)
    assert_sensible_png(out)
    rate = {(r["variant"], r["size"]): 100 * r["correct_rate"] for r in doc["table"]}
    assert rate == {("values", 5): 100, ("values", 10): 0, ("objective", 5): 100,
                    ("objective", 10): 100}
    # the figure the CLI drew, read back: the correct-rate panel holds the table's rates
    import formalize.evaluation.plots as plots

    drawn = {}
    real = plots.build_sweep_figure

    def spy(report):
        fig = real(report)
        for line in fig.get_axes()[0].get_lines():
            drawn[line.get_label()] = list(zip(line.get_xdata(), line.get_ydata()))
        return fig

    llm = ScriptedLLM(sweep_script([5, 10], [0])[0].queue(), name="plot-sweep-double")
    try:
        plots.build_sweep_figure = spy
        assert main(["compare", "--family", "knapsack", "--sizes", "5,10", "--seeds", "1",
                     "--model", "scripted/plot-sweep-double", "--no-cache", "--json",
                     "--plot", str(tmp_path / "again.png")]) == 0
    finally:
        plots.build_sweep_figure = real
        llm.close()
    capsys.readouterr()
    assert drawn == {v: [(s, rate[v, s]) for s in (5, 10)] for v in ("values", "objective")}


# --------------------------------------------------------------------------- bench


def test_bench_plot_bars_are_the_summary(tmp_path, capsys, monkeypatch):
    from formalize.evaluation.bench import Summary, read_results
    from formalize.evaluation.plots import savefig

    drawn = []
    real = Summary.figure

    def spy(self):
        fig = real(self)
        drawn.append((self, fig))
        return fig

    monkeypatch.setattr(Summary, "figure", spy)
    out = tmp_path / "chart.png"
    results = tmp_path / "ex.jsonl"
    code = main(["bench", "examples", "--model", "reference", "--out", str(results),
                 "--no-progress", "--no-plot", "--plot", str(out)])
    cap = capsys.readouterr()
    assert code == 0, cap.err
    assert f"--plot: {out}" in cap.out
    assert not results.with_name("ex.summary.png").exists()  # --no-plot: none beside --out
    assert_sensible_png(out)
    assert len(drawn) == 1
    summary, fig = drawn[0]
    # the summary drawn is the run's: 20 examples, each optimum equal to its label
    _, records = read_results(results)
    again = summarize(list(records.values()), mode="reference", model="reference")
    assert {(g.group, g.value, g.scored, g.correct) for g in summary.groups} == \
        {(g.group, g.value, g.scored, g.correct) for g in again.groups}
    groups = summary.groups
    assert groups[0].group == "all" and groups[0].scored == 20 and groups[0].correct == 20
    (ax,) = fig.get_axes()
    heights = [h for _, h in bars(ax)]
    # bars: per group, executed / correct at 1e-6 / correct at 5% (grouped left to right)
    expected = [100 * (rate or 0.0) for g in groups
                for rate in (g.execution_rate, g.accuracy, g.accuracy_orlm)]
    assert heights == pytest.approx(expected)
    assert all(g.accuracy == 1.0 for g in groups)
    ticks = [t.get_text() for t in ax.get_xticklabels()]
    assert ticks[0] == "all\n20 scored" and "examples\n20 scored" in ticks
    kinds = [t.get_text() for t in ax.texts]
    assert kinds == ["all", "dataset", "problem class"]
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend == ["executed", "correct at 1e-06", "correct at 5%"]
    assert savefig(fig, tmp_path / "again.png").read_bytes() == out.read_bytes()


def test_bench_chart_marks_rates_with_nothing_to_count(tmp_path):
    rec = {"type": "problem", "id": "x:1", "dataset": "x", "label": None,
           "status": "skipped", "skipped": True}
    summary = summarize([rec], mode="ir", model="m")
    assert summary.groups[0].n == 1 and summary.groups[0].scored == 0
    fig = summary.figure()
    (ax,) = fig.get_axes()
    texts = [t.get_text() for t in ax.texts]
    assert texts.count("n/a") >= 2
    assert [t.get_text() for t in ax.get_xticklabels()][0] == "all\n0 of 1 scored"


# --------------------------------------------------------------------------- usage


@pytest.mark.parametrize("argv", [
    ["compare", str(KNAPSACK / "model.json"), "--model", "scripted/none"],
    ["bench", "examples", "--model", "reference"],
])
@pytest.mark.parametrize("plot,msg", [
    ("out.txt", "give a file name ending in .png, .svg, .pdf"),
    ("{tmp}", "is a directory"),
    ("{tmp}/file.txt/out.png", "is a file, not a directory"),
])
def test_bad_plot_paths_are_usage_errors_before_any_work(argv, plot, msg, tmp_path, capsys,
                                                         monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "file.txt").write_text("x")
    code = main([*argv, "--out", str(tmp_path / "r.jsonl") if argv[0] == "bench" else
                 str(tmp_path / "cmp"), "--plot", plot.format(tmp=tmp_path)])
    assert code == 2
    assert msg in capsys.readouterr().err
    assert not (tmp_path / "r.jsonl").exists() and not (tmp_path / "cmp").exists()


def test_plot_without_matplotlib_says_what_to_install(tmp_path, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import matplotlib -> ImportError
    assert main(["bench", "examples", "--model", "reference", "--out",
                 str(tmp_path / "r.jsonl"), "--plot", str(tmp_path / "x.png")]) == 2
    assert "pip install 'formalize[plot]'" in capsys.readouterr().err
    assert not (tmp_path / "r.jsonl").exists()


def test_solve_help_says_there_is_no_plot(capsys):
    assert main(["solve", "--help"]) == 0
    text = " ".join(capsys.readouterr().out.split())
    assert "No --plot here" in text and "formalize compare --plot OUT.png" in text
