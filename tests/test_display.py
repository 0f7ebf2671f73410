"""Jupyter displays (`_repr_html_`, `_repr_latex_`) of models, solutions, comparisons and
benchmark summaries: what a person reads in a notebook."""

from __future__ import annotations

import base64
import re
from pathlib import Path

import solvers
from tests.test_render import balanced, parse_html

ROOT = Path(__file__).resolve().parent.parent
EX = ROOT / "problems/examples"


def cells(html: str) -> list[str]:
    """The text of every table cell, in order."""
    return [re.sub(r"<[^>]+>", "", c) for c in re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", html)]


def png_images(html: str) -> list[bytes]:
    """The PNG images embedded in the HTML."""
    return [base64.b64decode(b) for b in re.findall(r"data:image/png;base64,([A-Za-z0-9+/=]+)", html)]


def test_model_html_summarizes_sets_and_data_beside_the_mathematics():
    m = solvers.load_model(EX / "transport/model.json")
    html = m._repr_html_()
    parse_html(html)
    assert "<b>transport</b>" in html and "Dantzig&#x27;s transportation problem" in html
    assert ("minimize; 2 set(s), 4 param(s), 1 variable group(s) (6 instance(s)), "
            "2 constraint group(s)") in html
    assert "$$\\begin{aligned}" in html and "\\mathrm{supply\\_limit}" not in html  # names as text
    c = cells(html)
    assert c[c.index("Plants"):c.index("Plants") + 4] == ["Plants", "2", "seattle, san_diego", "listed"]
    i = c.index("supply")
    assert c[i:i + 4] == ["supply", "[Plants]", "2 values, 350 … 600",
                          "“Seattle can ship at most 350 cases and San Diego at most 600 cases”"]
    i = c.index("dist")  # read from the CSV file beside the model: its range is the file's
    assert c[i:i + 4] == ["dist", "[Plants, Markets]", "6 values, 1.4 … 2.5", "from distances.csv: distance"]
    assert c[c.index("freight") + 2] == "90"


def test_model_latex_is_the_align_block():
    m = solvers.load_model(EX / "transport/model.json")
    tex = m._repr_latex_()
    assert tex.startswith("\\begin{align*}") and tex.endswith("\\end{align*}") and balanced(tex)
    assert "\\forall p \\in \\mathrm{Plants}" in tex


def test_model_html_of_a_large_set_and_unresolvable_data():
    doc = {"name": "big", "sets": {"N": {"range": [1, 5000]}, "S": ["<x>", "a&b"]},
           "params": {"w": {"index": ["N"], "expr": "n * 2", "source": "twice"},
                      "c": {"index": ["S"], "values": {"<x>": 1, "a&b": 1}}},
           "variables": {"x": {"index": ["N", "S"], "domain": "binary"}},
           "objective": "sum(w[n] * x[n, s] for n in N for s in S)", "sense": "maximize",
           "constraints": [{"name": "one", "forall": "n in N", "expr": "sum(x[n, s] for s in S) <= 1"}]}
    doc["params"]["w"]["index"] = ["n in N"]
    html = solvers.load_model(doc)._repr_html_()
    parse_html(html)
    assert "(10,000 instance(s))" in html
    c = cells(html)
    assert c[c.index("N"):c.index("N") + 4] == ["N", "5000", "1, 2, 3, 4, 5, 6, …", "range 1..5000"]
    assert c[c.index("w") + 2] == "5,000 values, 2 … 10000" and c[c.index("w") + 3] == "= n * 2"
    assert "&lt;x&gt;, a&amp;b" in html and "<x>" not in html  # escaped
    assert c[c.index("c") + 2] == "2 values, 1"  # one value throughout
    # data that do not resolve: said, not raised
    bad = {**doc, "params": {**doc["params"], "c": {"index": ["S"], "from": {"file": "nowhere.csv",
                                                                             "column": "c"}}}}
    html = solvers.load_model(bad)._repr_html_()
    parse_html(html)
    assert "The data do not resolve" in html and "nowhere.csv" in html
    assert "instance(s))" not in html  # no count without the data


def test_solution_html_values_binding_constraints_and_duals():
    sol = solvers.solve(EX / "transport/model.json")
    html = sol._repr_html_()
    parse_html(html)
    assert "<b>optimal</b> — objective <b>153.675</b>" in html
    c = cells(html)
    assert c[c.index("ship[seattle, chicago]") + 1] == "300"
    assert c[c.index("ship[san_diego, topeka]") + 1] == "275"
    assert "ship[seattle, topeka]" not in c  # zeros left out
    assert c[c.index("demand_met[new_york]") + 1] == "0.225"  # the dual: $ per extra case
    html = solvers.solve(EX / "knapsack/model.json")._repr_html_()
    assert "objective <b>1030</b>" in html and "dual" not in html  # a MILP has no duals


def test_solution_html_infeasible_names_the_conflict():
    html = solvers.solve(EX / "infeasible_bakery/model.json")._repr_html_()
    parse_html(html)
    assert "<b>infeasible</b>" in html and "Conflicting constraints (IIS):" in html
    assert "oven_time" in html and "<table>" not in html  # no point to tabulate


# ------------------------------------------------------------------------------ evaluation


def test_comparison_html_is_the_side_by_side_table_with_its_plot():
    import json

    from formalize.evaluation.compare import compare
    from formalize.llm.testing import ScriptedLLM

    items = [k[0] if isinstance(k, tuple) else k
             for k in solvers.solve(EX / "knapsack/model.json").values["take"]]
    everything = {"values": {"take": dict.fromkeys(items, 1)}, "objective": 5000}  # too heavy
    llm = ScriptedLLM([json.dumps(everything), json.dumps({"objective": 1030})], name="person")
    try:
        c = compare(EX / "knapsack/model.json", llm.client(), formal_model=EX / "knapsack/model.json",
                    variants=("values", "objective"))
    finally:
        llm.close()
    html = c._repr_html_()
    parse_html(html)
    c_ = cells(html)
    assert c_[2:4] == ["direct: values", "direct: objective"]
    i = c_.index("verdict")
    assert c_[i + 1:i + 4] == ["optimal (solver)", "infeasible", "correct"]
    assert c_[c_.index("objective claimed") + 1:c_.index("objective claimed") + 4] == ["1030", "5000", "1030"]
    (png,) = png_images(html)
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 5000


def test_bench_summary_and_audit_html():
    from formalize.evaluation.bench import summarize
    from formalize.evaluation.library import Audit, AuditEntry

    recs = [{"id": "a", "dataset": "d1", "status": "optimal", "objective": 10.0, "label": 10.0,
             "executed": True, "mode": "reference"},
            {"id": "b", "dataset": "d1", "status": "optimal", "objective": 12.0, "label": 10.0,
             "executed": True, "mode": "reference"},
            {"id": "c", "dataset": "d2", "status": "optimal", "objective": 3.0, "label": 3.0,
             "executed": True, "mode": "reference"}]
    s = summarize(recs, 1e-6, mode="reference", model="reference")
    html = s._repr_html_()
    parse_html(html)
    c = cells(html)
    i = c.index("all")
    assert c[i:i + 5] == ["all", "3", "3", "100.0%", "66.7%"]
    i = c.index("dataset=d1")
    assert c[i:i + 5] == ["dataset=d1", "2", "2", "100.0%", "50.0%"]
    (png,) = png_images(html)
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    audit = Audit([AuditEntry("a", "d1", "agree", 10.0, "optimal", 10.0, "ok"),
                   AuditEntry("b", "d1", "disagree", 12.0, "optimal", 10.0, "ok", kind="not-optimal",
                              reason="12 > 10: the label <is> not optimal")])
    html = audit._repr_html_()
    parse_html(html)
    c = cells(html)
    assert c[c.index("d1"):c.index("d1") + 5] == ["d1", "2", "1", "1", "0"]
    assert "the label &lt;is&gt; not optimal" in html and c[c.index("b") + 1] == "disagree"
