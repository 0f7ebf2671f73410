"""Jupyter displays of models and solutions (HTML; the model's mathematics for MathJax).

`Model._repr_html_` / `_repr_latex_` and `Solution._repr_html_` call these (through the hook
`solvers.model.DISPLAY`, filled by :func:`register` when `solvers` is imported): a model in mathematical notation
with its sets and data summarized, a solution as a table of nonzero values and binding
constraints. Everything from the model or the data is HTML-escaped.
"""

from __future__ import annotations

import html
import math
from typing import Any

from .diagnostics import ModelError
from .model import DISPLAY, Model, _index_decl, load_model
from .safe_text import safe_line
from .solution import Solution

MAX_ROWS = 40  # solution rows shown
MAX_ELEMENTS = 6  # set elements shown
MAX_QUOTE = 90  # characters of a param's source quote


def fmt(v: Any) -> str:
    """A number in 6 significant digits, integers as integers; None as a dash."""
    if v is None:
        return "—"
    if isinstance(v, float) or type(v).__name__.startswith("float"):  # numpy floats too
        v = float(v)
        if not math.isfinite(v):
            return str(v)
        if v == int(v) and abs(v) < 1e15:
            return str(int(v))
        return f"{v:.6g}"
    return str(v)


def key_text(k: Any) -> str:
    """An index key as written after a name: ``[a, b]``; nothing for a scalar (each element on
    one line, control and bidi characters as escapes)."""
    if k == ():
        return ""
    if isinstance(k, tuple):
        return "[" + ", ".join(map(safe_line, k)) + "]"
    return f"[{safe_line(k)}]"


def _esc(x: Any) -> str:
    return html.escape(str(x))


# ------------------------------------------------------------------------------- solutions


def value_rows(sol: Solution, nonzero_only: bool = True, limit: int = MAX_ROWS) -> tuple[list[tuple[str, str]], int]:
    """(variable instance, value) rows in the model's order; and how many were left out."""
    rows = []
    for name, vals in sol.values.items():
        for k, v in vals.items():
            if nonzero_only and abs(v) < 1e-9:
                continue
            rows.append((f"{safe_line(name)}{key_text(k)}", fmt(v)))
    return rows[:limit], max(0, len(rows) - limit)


def binding_rows(sol: Solution, tol: float = 1e-7, limit: int = 20) -> list[tuple[str, str]]:
    """Constraint instances with zero slack and their duals (LP)."""
    out = []
    for name, vals in (sol.slacks or {}).items():
        for k, s in vals.items():
            if abs(s) <= tol:
                d = (sol.duals or {}).get(name, {}).get(k)
                out.append((f"{safe_line(name)}{key_text(k)}", fmt(d)))
    return out[:limit]


def solution_html(sol: Solution) -> str:
    """The solution for Jupyter: status and objective, a table of the nonzero values, the
    binding constraints (with duals for an LP), and the IIS or unbounded direction."""
    rows, more = value_rows(sol)
    body = "".join(f"<tr><td>{_esc(a)}</td><td style='text-align:right'>{_esc(b)}</td></tr>"
                   for a, b in rows)
    if more:
        body += f"<tr><td colspan=2>… {more} more nonzero</td></tr>"
    if not rows:
        body += "<tr><td colspan=2>(all variables are zero)</td></tr>"
    extra = ""
    if sol.message and not sol.ok:
        extra += f"<p>{_esc(sol.message)}</p>"
    if sol.iis:
        extra += f"<p><b>Conflicting constraints (IIS):</b> {_esc(', '.join(sol.iis))}</p>"
    if sol.unbounded_variables:
        extra += f"<p><b>Unbounded along:</b> {_esc(', '.join(sol.unbounded_variables))}</p>"
    table = ""
    if sol.has_solution:
        table = f"<table><tr><th>variable</th><th>value</th></tr>{body}</table>"
        binding = binding_rows(sol)
        if binding:
            duals = sol.duals is not None
            head = "<th>binding constraint</th>" + ("<th>dual</th>" if duals else "")
            table += f"<table><tr>{head}</tr>" + "".join(
                f"<tr><td>{_esc(n)}</td>" + (f"<td style='text-align:right'>{_esc(d)}</td>" if duals else "")
                + "</tr>" for n, d in binding) + "</table>"
    return (f"<p><b>{_esc(sol.status.value)}</b>"
            + (f" — objective <b>{fmt(sol.objective)}</b>" if sol.objective is not None else "")
            + (f" gap {sol.gap:.2%}" if sol.gap else "")
            + (f", bound {fmt(sol.best_bound)}" if sol.stopped and sol.best_bound is not None else "")
            + f" <small>({_esc(sol.solver)}, {sol.wall_time:.3f}s)</small></p>{extra}{table}")


# ------------------------------------------------------------------------------- models


def model_math_html(model: Any) -> str:
    """The model's LaTeX (`aligned` in display math, for MathJax), HTML-escaped; empty when it
    does not render (a model under repair)."""
    from .render import to_latex

    try:
        tex = to_latex(model)
    except Exception:  # a model under repair may not render
        return ""
    tex = tex.replace(r"\begin{align*}", r"\begin{aligned}").replace(r"\end{align*}", r"\end{aligned}")
    return "<div>$$" + html.escape(tex, quote=False) + "$$</div>"


def _short(text: str, n: int) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= n else text[: n - 1] + "…"


def _instance(m: Model) -> tuple[Any, str]:
    """The resolved data, or None with the reason it could not be resolved."""
    from . import lower  # noqa: F401  (registers the evaluator of derived sets and params)
    from .data import instance

    try:
        return instance(m), ""
    except ModelError as exc:
        return None, str(exc)
    except Exception as exc:  # a model under repair: shown, not raised
        return None, f"{type(exc).__name__}: {exc}"


def _set_rows(m: Model, inst: Any) -> list[list[str]]:
    rows = []
    for name, s in m.sets.items():
        data = inst.sets.get(name) if inst is not None else None
        if s.range is not None:
            source = f"range {s.range[0]}..{s.range[1]}"
        elif s.expr is not None:
            source = f"= {s.expr}"
        elif s.from_ is not None:
            source = f"from {s.from_.file}"
        else:
            source = "listed"
        elements = data.elements if data is not None else (s.elements or [])
        shown = ", ".join(map(str, elements[:MAX_ELEMENTS])) + (", …" if len(elements) > MAX_ELEMENTS else "")
        size = str(len(elements)) if data is not None or s.elements is not None else "?"
        rows.append([name, size, shown, source])
    return rows


def _param_rows(m: Model, inst: Any) -> list[list[str]]:
    rows = []
    for name, p in m.params.items():
        data = inst.params.get(name) if inst is not None else None
        index = "[" + ", ".join(p.index) + "]" if p.index else "scalar"
        if data is None:
            values = fmt(p.value) if p.value is not None else "?"
        elif data.is_scalar:
            values = fmt(float(data.table))
        else:
            import numpy as np

            table = np.asarray(data.table, dtype=float)
            given = table[~np.isnan(table)]
            if given.size == 0:
                values = "no values"
            else:
                lo, hi = float(given.min()), float(given.max())
                values = f"{given.size:,} values, " + (fmt(lo) if lo == hi else f"{fmt(lo)} … {fmt(hi)}")
            if data.default is not None:
                values += f" (default {fmt(data.default)})"
        if p.expr is not None:
            source = f"= {p.expr}"
        elif p.from_ is not None:
            source = f"from {p.from_.file}: {p.from_.column}"
        else:
            source = f"“{_short(p.source, MAX_QUOTE)}”" if getattr(p, "source", None) else ""
        rows.append([name, index, values, source])
    return rows


def _table(head: list[str], rows: list[list[str]]) -> str:
    return ("<table><tr>" + "".join(f"<th style='text-align:left'>{_esc(h)}</th>" for h in head) + "</tr>"
            + "".join("<tr>" + "".join(f"<td style='text-align:left'>{_esc(c)}</td>" for c in r) + "</tr>"
                      for r in rows) + "</table>")


def model_html(model: Any) -> str:
    """A model for Jupyter: a one-line summary (sense, counts of sets, data entries, variable
    instances, constraint groups), the mathematics, and tables of its sets and data (sizes, the
    first elements, value ranges, where each came from), assumptions and acknowledged numbers."""
    m = model if isinstance(model, Model) else load_model(model)
    inst, problem = _instance(m)
    n_vars = None
    if inst is not None:
        n_vars = 0
        for v in m.variables.values():
            n = 1
            for s in (_index_decl(e)[1] for e in v.index):
                n *= len(inst.sets[s]) if s in inst.sets else 0
            n_vars += n
    sense = "feasibility" if m.is_feasibility else m.sense
    head = (f"<p><b>{_esc(m.name)}</b>" + (f" — {_esc(m.description)}" if m.description else "")
            + f"<br><small>{_esc(sense)}; {len(m.sets)} set(s), {len(m.params)} param(s), "
            + f"{len(m.variables)} variable group(s)"
            + (f" ({n_vars:,} instance(s))" if n_vars is not None else "")
            + f", {len(m.constraints)} constraint group(s)</small></p>")
    out = head + model_math_html(m)
    if problem:
        out += f"<p><b>The data do not resolve:</b> {_esc(problem)}</p>"
    if m.sets:
        out += "<p><b>Sets</b></p>" + _table(["set", "size", "elements", "from"], _set_rows(m, inst))
    if m.params:
        out += "<p><b>Data</b></p>" + _table(["param", "index", "values", "from"], _param_rows(m, inst))
    if m.assumptions:
        out += ("<p><b>Assumptions</b></p><ul>" + "".join(f"<li>{_esc(a)}</li>" for a in m.assumptions)
                + "</ul>")
    if m.acknowledged:
        out += ("<p><b>Numbers of the text not used</b></p><ul>"
                + "".join(f"<li>{_esc(fmt(a.number))}: {_esc(a.reason)}</li>" for a in m.acknowledged)
                + "</ul>")
    return out


def model_latex(model: Any) -> str:
    """The model as a LaTeX ``align*`` block (:func:`solvers.render.to_latex`)."""
    from .render import to_latex

    return to_latex(model)


def register() -> None:
    """Give Model and Solution their Jupyter displays (called by ``import solvers``)."""
    DISPLAY.update(model_html=model_html, model_latex=model_latex, solution_html=solution_html)
