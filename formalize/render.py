"""Terminal (rich) and Jupyter (HTML) renderings of solutions, formalizations and results."""

from __future__ import annotations

import html
from typing import Any

from solvers.display import MAX_ROWS, binding_rows, solution_html, value_rows  # noqa: F401
from solvers.display import fmt as _fmt
from solvers.display import model_math_html as model_html
from solvers.safe_text import safe_line, safe_text
from solvers.solution import Solution

_SAFE_CONSOLE: Any = None


def console(stderr: bool = False, **options: Any) -> Any:
    """A rich Console whose every text segment passes `safe_text` before it is styled: the
    terminal boundary of everything formalize prints with rich (tables, messages, progress)."""
    global _SAFE_CONSOLE
    if _SAFE_CONSOLE is None:
        from rich.console import Console
        from rich.segment import Segment

        class SafeConsole(Console):
            """rich's Console, with control and bidi characters neutralized in what it renders."""

            def render(self, renderable: Any, options: Any = None) -> Any:  # type: ignore[override]
                for seg in super().render(renderable, options):
                    if seg.control is None and seg.text and not seg.text.isprintable():
                        yield Segment(safe_text(seg.text), seg.style, None)
                    else:
                        yield seg

        _SAFE_CONSOLE = SafeConsole
    options.setdefault("highlight", False)
    return _SAFE_CONSOLE(stderr=stderr, **options)


def solution_rich(sol: Solution, title: str = "Solution"):
    """A rich renderable: status line, objective, values and binding constraints."""
    from rich.console import Group
    from rich.table import Table
    from rich.text import Text

    color = {"optimal": "green", "feasible": "yellow", "time_limit": "yellow",
             "interrupted": "yellow"}.get(sol.status.value, "red")
    head = Text.assemble((f"{title}: ", "bold"), (sol.status.value, f"bold {color}"))
    if sol.objective is not None:
        head.append(f"   objective = {_fmt(sol.objective)}", style="bold")
    if sol.gap:
        head.append(f"   gap = {sol.gap:.2%}")
    if sol.stopped and sol.best_bound is not None:
        head.append(f"   bound = {_fmt(sol.best_bound)}")
    head.append(f"   ({sol.solver}, solver {sol.solve_time:.3f}s, total {sol.wall_time:.3f}s)", style="dim")
    parts: list[Any] = [head]
    if sol.message and not sol.ok and not (sol.iis and sol.message.startswith("conflicting set")
                                           and "not be minimal" not in sol.message):
        # (the IIS line below says the same)
        parts.append(Text(sol.message, style="yellow" if sol.stopped else "red"))
    if sol.iis:
        parts.append(Text("conflicting constraints (IIS): " + ", ".join(map(safe_line, sol.iis)), style="red"))
    if sol.unbounded_variables:
        parts.append(Text("unbounded along: " + ", ".join(map(safe_line, sol.unbounded_variables)), style="red"))
    if sol.has_solution:
        rows, more = value_rows(sol)
        t = Table(show_header=True, header_style="bold", box=None)
        t.add_column("variable")
        t.add_column("value", justify="right")
        for a, b in rows:  # Text, not markup: "ship[seattle, ny]" must not read as a style tag
            t.add_row(Text(a), Text(b))
        if more:
            t.add_row(Text(f"… {more} more nonzero"), "")
        if not rows:
            t.add_row(Text("(all variables are zero)"), "")
        parts.append(t)
        b = binding_rows(sol)
        if b:
            parts.append(Text("binding constraints", style="bold"))
            bt = Table(show_header=True, header_style="bold", box=None)
            bt.add_column("constraint")
            if sol.duals is not None:
                bt.add_column("dual", justify="right")
            for name, dual in b:
                bt.add_row(*((Text(name), Text(dual)) if sol.duals is not None else (Text(name),)))
            parts.append(bt)
    return Group(*parts)


def diagnostics_rich(diags) -> Any:
    from rich.text import Text

    t = Text()
    for d in diags:
        style = {"error": "red", "warning": "yellow"}.get(d.severity, "dim")
        t.append(str(d) + "\n", style=style)
    return t


def formalization_rich(f) -> Any:
    from rich.console import Group
    from rich.text import Text

    u = f.usage
    head = Text.assemble(("Formalization: ", "bold"), ("verified" if f.ok else "NOT verified",
                                                        "bold green" if f.ok else "bold red"),
                         f"   {len(f.history)} LLM call(s), {f.repair_rounds} repair round(s), "
                         f"{u.total_tokens} tokens, ${u.cost:.4f}, {f.seconds:.1f}s")
    parts: list[Any] = [head]
    if f.containment:
        parts.append(Text.assemble(("contained by: ", "dim"), containment_summary(f.containment)))
    if f.diagnostics:
        parts.append(diagnostics_rich(f.diagnostics))
    return Group(*parts)


def containment_summary(layers: dict[str, str]) -> str:
    """One line for the layers a code-mode run had in force (the full list is in the JSON)."""
    outer = layers.get("outer", "?").split(" (")[0]
    names = [k for k in layers if k not in ("outer", "note", "network", "isolation")]
    line = f"{outer}; " + ", ".join(names)
    if layers.get("note"):
        line += f" ({layers['note']})"
    return line


def formalization_html(f) -> str:
    """A formalization for Jupyter: verification summary, the model in LaTeX, diagnostics."""
    diags = "".join(f"<li>{html.escape(str(d))}</li>" for d in f.diagnostics)
    return (f"<p><b>Formalization</b>: {'verified' if f.ok else 'NOT verified'}, "
            f"{len(f.history)} LLM call(s), {f.repair_rounds} repair round(s), "
            f"{f.usage.total_tokens} tokens, ${f.usage.cost:.4f}, {f.seconds:.1f}s</p>"
            + (f"<p>contained by: {html.escape(containment_summary(f.containment))}</p>"
               if f.containment else "")
            + (model_html(f.model) if f.model is not None else "")
            + (f"<ul>{diags}</ul>" if diags else ""))


def assumptions_of(f) -> list[str]:
    """The readings a formalization states (the program's comments, or the model's field)."""
    if f is None:
        return []
    return list(getattr(f, "assumptions", None) or (f.model.assumptions if f.model is not None else []))


def result_rich(r) -> Any:
    from rich.console import Group
    from rich.text import Text

    parts: list[Any] = []
    if r.solution is not None:
        parts.append(solution_rich(r.solution))
    stated = assumptions_of(r.formalization)
    if stated:
        parts.append(Text("assumptions of the " + ("program" if r.mode == "code" else "model"), style="bold"))
        parts.append(Text("\n".join(f"- {safe_line(a)}" for a in stated)))
    if r.vote is not None:
        v = r.vote
        line = Text(f"confidence {v.confidence:.0%} ({len(v.clusters[0][1]) if v.clusters else 0}/"
                    f"{len(v.objectives)} samples agree)", style="green" if v.agreed else "yellow")
        if not v.agreed:
            parts_txt = [f"{_fmt(val)} × {len(ix)}" for val, ix in v.clusters]
            if v.failed:
                parts_txt.append(f"{len(v.failed)} without a solution")
            line.append("; disagreement: " + ", ".join(parts_txt))
        parts.append(line)
        for (val, ix), said in zip(v.clusters, v.readings):
            if said:
                parts.append(Text(f"  {_fmt(val)} ({len(ix)} sample(s)) assumes: " + "; ".join(map(safe_line, said))))
    if r.formalization is not None and r.mode != "model":
        parts.append(formalization_rich(r.formalization))
    return Group(*parts)


def result_html(r) -> str:
    """A result for Jupyter: the solution table, the vote, the model in LaTeX."""
    out = solution_html(r.solution) if r.solution is not None else "<p><b>no solution</b></p>"
    if r.vote is not None:
        v = r.vote
        agree = len(v.clusters[0][1]) if v.clusters else 0
        extra = f", {len(v.failed)} without a solution" if v.failed else ""
        out += f"<p>confidence {v.confidence:.0%} ({agree}/{len(v.objectives)} samples agree{extra})</p>"
        said = [(val, ix, r) for (val, ix), r in zip(v.clusters, v.readings) if r]
        if said:
            out += "<ul>" + "".join(f"<li>{html.escape(_fmt(val))} ({len(ix)} sample(s)) assumes: "
                                    + html.escape("; ".join(r)) + "</li>" for val, ix, r in said) + "</ul>"
    f = r.formalization
    stated = assumptions_of(f)
    if stated:
        out += (f"<p><b>Assumptions of the {'program' if r.mode == 'code' else 'model'}</b></p><ul>"
                + "".join(f"<li>{html.escape(safe_line(a))}</li>" for a in stated) + "</ul>")
    if f is not None:
        if r.mode == "model":
            out += model_html(f.model) if f.model is not None else ""
        else:
            out += formalization_html(f)
    return out
