"""Readable renderings: LaTeX and plain text of models (solvers.render), and rich / Jupyter HTML
renderings of solutions, formalizations and results (formalize.render)."""

from __future__ import annotations

import glob
import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from rich.console import Console

import solvers
from formalize.api import solve as fsolve
from formalize.llm.client import Usage
from formalize.program.results import Formalization, Result, Round
from solvers.diagnostics import Diagnostic, Location
from solvers.render import to_latex, to_text

ROOT = Path(__file__).resolve().parent.parent
EX = ROOT / "problems/examples"


def balanced(tex: str) -> bool:
    """Braces balance (escaped \\{ \\} skipped) and \\left/\\right pair up."""
    depth, i = 0, 0
    while i < len(tex):
        ch = tex[i]
        if ch == "\\":
            i += 2
            continue
        depth += {"{": 1, "}": -1}.get(ch, 0)
        if depth < 0:
            return False
        i += 1
    return depth == 0 and len(re.findall(r"\\left\b", tex)) == len(re.findall(r"\\right\b", tex))


# ------------------------------------------------------------------------------ LaTeX / text


def test_latex_transport():
    tex = to_latex(EX / "transport/model.json")
    assert tex.startswith("\\begin{align*}") and tex.endswith("\\end{align*}")
    assert "\\min" in tex and "\\sum_{p \\in \\mathrm{Plants},\\ m \\in \\mathrm{Markets}}" in tex
    assert "\\le \\mathrm{supply}_{p}" in tex and "\\ge \\mathrm{demand}_{m}" in tex
    assert "\\forall p \\in \\mathrm{Plants}" in tex
    assert "\\text{(supply\\_limit)}" in tex and "\\text{(demand\\_met)}" in tex
    assert "\\mathrm{ship} \\in \\mathbb{R}^{\\mathrm{Plants} \\times \\mathrm{Markets}}" in tex
    assert not tex.rstrip().removesuffix("\\end{align*}").rstrip().endswith("\\\\")
    assert balanced(tex)


def test_latex_reformulated_constructs_and_bounds():
    tex = to_latex(EX / "facility_location/model.json")
    assert "\\Rightarrow" in tex and "\\neg" in tex and "\\{0,1\\}" in tex
    tex = to_latex(EX / "minimax_location/model.json")
    assert "\\max_{v \\in \\mathrm{Villages}}" in tex and "\\left|" in tex
    assert "\\le \\mathrm{side}" in tex  # a bound given as a parameter is rendered, not verbatim
    tex = to_latex(EX / "job_shop/model.json")
    assert "\\vee" in tex and "sum(" not in tex and "\\le \\sum_{j \\in" in tex
    tex = to_latex(EX / "diet/model.json")  # named index "f in Foods"
    assert "\\mathrm{servings}_{f} \\le \\mathrm{max\\_servings}_{f} \\quad \\forall f \\in" in tex
    tex = to_latex(EX / "sudoku/model.json")
    assert tex.startswith("\\begin{align*}\n\\text{find}") and "alldifferent" in tex


def test_latex_of_every_stored_model_is_balanced():
    paths = sorted(glob.glob(str(ROOT / "problems/**/model.json"), recursive=True))
    assert len(paths) >= 30
    for p in paths:
        tex = to_latex(p)
        assert balanced(tex), p
        assert "?" not in tex, p  # no unrendered node


def test_latex_escapes_text_and_keeps_broken_expressions_verbatim():
    doc = {"name": "odd", "sense": "maximize", "sets": {"S": ["a&b", "50%"]},
           "variables": {"x": {"index": ["S"], "domain": "real", "lb": 0, "ub": 1}},
           "objective": "sum(x[s] for s in S)",
           "constraints": [{"name": "pick_#1", "expr": "x['a&b'] <= x['50%']"}]}
    tex = to_latex(doc)
    assert "\\text{a\\&b}" in tex and "\\text{50\\%}" in tex and "pick\\_\\#1" in tex
    assert balanced(tex)
    from solvers.model import Model

    m = Model.model_validate({**doc, "constraints": [{"name": "c", "expr": "x[s] <= {1}"}]})
    tex = to_latex(m)  # a model under repair: the expression shown verbatim, still balanced
    assert "\\text{x[s] <= \\{1\\}}" in tex and balanced(tex)


def test_text_rendering():
    txt = to_text(EX / "transport/model.json")
    assert txt.splitlines()[0].startswith("model transport")
    assert "Plants = {seattle, san_diego} (2)" in txt
    assert "dist[Plants, Markets] (from distances.csv:distance)" in txt
    assert "ship[Plants, Markets] : real (lb=0)" in txt  # not "lb=0.0"
    assert "minimize sum(freight * dist[p, m] / 1000 * ship[p, m]" in txt
    assert "supply_limit: sum(ship[p, m] for m in Markets) <= supply[p]   for p in Plants" in txt
    txt = to_text(EX / "facility_location/model.json")
    assert "open[Sites] : binary" in txt and "(lb" not in txt.split("open[Sites]")[1].splitlines()[0]
    assert "find a feasible point" in to_text(EX / "sudoku/model.json")


# ------------------------------------------------------------------------------ rich / HTML


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []
        self.seen: list[str] = []
        self.ok = True

    def handle_starttag(self, tag, attrs):
        self.seen.append(tag)
        if tag not in ("br", "hr", "img"):
            self.stack.append(tag)

    def handle_endtag(self, tag):
        if not self.stack or self.stack.pop() != tag:
            self.ok = False


def parse_html(html: str) -> _Tags:
    p = _Tags()
    p.feed(html)
    p.close()
    assert p.ok and not p.stack, html
    return p


def render_rich(obj) -> str:
    c = Console(record=True, width=120, color_system=None)
    c.print(obj)
    return c.export_text()


@pytest.fixture(scope="module")
def transport() -> Result:
    return fsolve(EX / "transport/model.json")


def test_result_rich(transport):
    text = render_rich(transport)
    assert "Solution: optimal" in text and "objective = 153.675" in text
    assert "ship[seattle, chicago]" in text and "300" in text
    assert "ship[san_diego, topeka]" in text and "275" in text
    assert "binding constraints" in text and "demand_met[new_york]" in text and "0.225" in text
    assert "Formalization" not in text  # a given model: no LLM summary


def test_result_rich_infeasible_and_mip():
    text = render_rich(fsolve(EX / "infeasible_bakery/model.json"))
    assert "infeasible" in text and "standing_orders[bread]" in text and "oven_time" in text
    text = render_rich(fsolve(EX / "knapsack/model.json"))
    assert "objective = 1030" in text and "dual" not in text  # a MILP has no duals to show


def test_result_html(transport):
    html = transport._repr_html_()
    tags = parse_html(html)
    assert "table" in tags.seen and "153.675" in html and "optimal" in html
    assert "ship[seattle, chicago]" in html
    assert "$$\\begin{aligned}" in html and "\\end{aligned}$$" in html  # the model for MathJax
    assert "\\sum" in html


def test_result_html_escapes_and_infeasible():
    html = fsolve(EX / "infeasible_bakery/model.json")._repr_html_()
    parse_html(html)
    assert "<b>infeasible</b>" in html and "standing_orders[cake]" in html
    doc = {"name": "tags", "sense": "maximize", "sets": {"S": ["<i>", "a&b"]},
           "variables": {"x": {"index": ["S"], "domain": "real", "lb": 0, "ub": 1}},
           "objective": "sum(x[s] for s in S)", "constraints": [
               {"name": "one", "expr": "x['<i>'] + x['a&b'] <= 1.5"}]}
    sol = solvers.solve(doc)
    from formalize.render import solution_html

    html = solution_html(sol)
    parse_html(html)
    assert "x[&lt;i&gt;]" in html and "x[a&amp;b]" in html and "<i>" not in html


def _formalization(ok: bool) -> Formalization:
    model = solvers.load_model(ROOT / "problems/datasets/nl4opt/cpmpy_1133974368/model.json")
    diags = [] if ok else [Diagnostic("undeclared-symbol", "'cap_smal' is not declared",
                                      location=Location(section="objective", column=1),
                                      hint="did you mean 'cap_small'?")]
    u = Usage()
    return Formalization(text="snacks", model=model, diagnostics=diags,
                         history=[Round("read", tokens=10), Round("structure", tokens=20),
                                  Round("repair", diagnostics=diags)],
                         usage=u, seconds=0.5, solution=solvers.solve(model) if ok else None)


def test_formalization_html_and_rich():
    f = _formalization(ok=True)
    html = f._repr_html_()
    parse_html(html)
    assert "verified" in html and "3 LLM call(s)" in html and "1 repair round(s)" in html
    assert "\\mathrm{cap\\_small}" in html and "\\begin{aligned}" in html
    text = render_rich(f)
    assert "Formalization: verified" in text and "1 repair round(s)" in text
    bad = _formalization(ok=False)
    html = bad._repr_html_()
    parse_html(html)
    assert "NOT verified" in html and "<li>" in html and "cap_smal" in html
    assert "did you mean" in render_rich(bad)


def test_result_of_the_llm_path_renders_its_formalization():
    f = _formalization(ok=True)
    r = Result(text="snacks", solution=f.solution, formalization=f, samples=[f])
    text = render_rich(r)
    assert "objective = 4190" in text and "small" in text and "47" in text
    assert "Formalization: verified" in text
    html = r._repr_html_()
    parse_html(html)
    assert "4190" in html and "Formalization" in html and "<table>" in html
    assert json.loads(json.dumps(r.to_dict(), default=str))["objective"] == pytest.approx(4190)
