"""PNG figures of the comparison mode (matplotlib on the Agg canvas; pyplot is never touched).

Made to read well in the degenerate cases a real run produces: every answer right or every
answer wrong (no axis spanning +-0.04 around a constant), series that coincide (drawn with
nested markers and named in the panel), and one legend below the panels, clear of the data.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from formalize.evaluation.fmt import num
from formalize.evaluation.verdicts import MPL_COLORS

# per variant: marker, size, line style (decreasing sizes: coinciding points stay visible)
STYLES = {"values": ("o", 10, "-"), "objective": ("s", 6.5, "--"), "trace": ("^", 4.5, ":")}
SOLVER_STYLE = ("D", 5, "-")
COLORS = {"values": "#1f77b4", "objective": "#ff7f0e", "trace": "#2ca02c", "solver": "#444444"}


def figure(width: float, height: float) -> Any:
    """A matplotlib Figure on the Agg canvas (no pyplot: the caller's backend is left alone)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height))
    FigureCanvasAgg(fig)
    return fig


def savefig(fig: Any, path: str | Path) -> Path:
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(p, dpi=110)
    return p


def png_html(fig: Any, alt: str = "") -> str:
    """The figure as an <img> with the PNG inline (Jupyter displays); empty when matplotlib
    is not installed (the plot extra)."""
    import base64
    import html
    import io

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90)
    data = base64.b64encode(buf.getvalue()).decode("ascii")
    return (f"<img alt='{html.escape(alt, quote=True)}' style='max-width:100%' "
            f"src='data:image/png;base64,{data}'>")


def html_plot(build: Any, obj: Any, alt: str) -> str:
    """``png_html(build(obj))``, or a note when matplotlib is missing."""
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        return "<p><small>(plots need matplotlib: pip install 'formalize[plot]')</small></p>"
    return png_html(build(obj), alt)


def _size_axis(ax: Any, sizes: Sequence[int]) -> None:
    if len(sizes) > 1 and max(sizes) / max(1, min(sizes)) >= 8:
        ax.set_xscale("log")
    ax.set_xticks(list(sizes), [str(x) for x in sizes])
    ax.minorticks_off()
    if len(sizes) == 1:
        ax.set_xlim(sizes[0] - 1, sizes[0] + 1)
    ax.set_xlabel("size")
    ax.grid(alpha=0.3)


def _span(ax: Any, values: list[float], *, floor: float, lo: float | None = 0.0,
          empty: str = "") -> None:
    """Y limits that show a constant series as a line in a sensible frame: at least `floor`
    tall, from `lo` (or below the data) with 12 % headroom."""
    if not values:
        ax.set_ylim(0, floor)
        if empty:
            ax.text(0.5, 0.5, empty, ha="center", va="center", transform=ax.transAxes,
                    color="#666666", fontsize=9)
        return
    vmin, vmax = min(values), max(values)
    bottom = min(lo, vmin) if lo is not None else vmin
    top = max(vmax, bottom + floor)
    pad = 0.12 * (top - bottom)
    ax.set_ylim(bottom - (pad if bottom < 0 or lo is None else pad / 3), top + pad)


def _coinciding(series: dict[str, list[tuple[int, float]]]) -> list[str]:
    """Groups of series with the same points, as "a = b" texts."""
    names = [k for k, v in series.items() if v]
    out, seen = [], set()
    for i, a in enumerate(names):
        same = [b for b in names[i + 1:] if b not in seen and series[b] == series[a]]
        if same:
            seen.update(same)
            out.append(" = ".join([a, *same]))
    return out


def _lines(ax: Any, series: dict[str, list[tuple[int, float]]], *, note_same: bool = True) -> None:
    for name, pts in series.items():
        if not pts:
            continue
        marker, size, style = STYLES.get(name, SOLVER_STYLE)
        ax.plot([p[0] for p in pts], [p[1] for p in pts], marker=marker, markersize=size,
                linestyle=style, color=COLORS.get(name, "#444444"), label=name,
                markerfacecolor="none" if name == "values" else COLORS.get(name, "#444444"),
                markeredgewidth=1.6, linewidth=1.6 if name == "values" else 1.2, zorder=3)
    same = _coinciding(series) if note_same else []
    if same:  # said between the title and the axes, clear of the data
        ax.text(0.5, 1.012, "coincide: " + "; ".join(same), transform=ax.transAxes,
                ha="center", va="bottom", fontsize=8, color="#555555")


def _title(ax: Any, title: str) -> None:
    ax.set_title(title, pad=14)


def sweep_figure(report: Any, path: str | Path) -> Path:
    """The sweep's figure (:func:`build_sweep_figure`) saved as a PNG."""
    return savefig(build_sweep_figure(report), path)


def build_sweep_figure(report: Any) -> Any:
    """Two rows over size: accuracy (correct rate, gap to the optimum, violated instances or
    trace steps right) and cost (seconds per answer beside the solver's, output tokens, and the
    instances' integrality gap)."""
    rows = report.table()
    sizes = report.sizes_run or report.sizes
    variants = report.variants
    fig = figure(14, 8.2)
    axes = fig.subplots(2, 3)

    def series(key: str, scale: float = 1.0, only: Sequence[str] | None = None
               ) -> dict[str, list[tuple[int, float]]]:
        return {v: [(r["size"], r[key] * scale) for r in rows
                    if r["variant"] == v and r.get(key) is not None]
                for v in variants if only is None or v in only}

    # accuracy
    ax = axes[0][0]
    s = series("correct_rate", 100.0)
    _lines(ax, s)
    ax.set_ylim(-6, 106)
    _title(ax, "correct answers (%)")
    ax = axes[0][1]
    s = series("mean_gap", 100.0)
    _lines(ax, s)
    flat = [y for pts in s.values() for _, y in pts]
    _span(ax, flat, floor=5.0, lo=0.0, empty="no answer with an objective")
    if flat and all(abs(y) < 1e-9 for y in flat):
        ax.text(0.5, 0.5, "every answer at the optimum (gap 0)", transform=ax.transAxes,
                ha="center", va="center", fontsize=9, color="#666666")
    _title(ax, "mean gap to the optimum (%)")
    ax = axes[0][2]
    if "trace" in variants:
        s = series("fidelity", 100.0, only=["trace"])
        _lines(ax, s)
        flat = [y for pts in s.values() for _, y in pts]
        if not flat:
            ax.set_ylim(-6, 106)
            ax.text(0.5, 0.5, "no trace answer", ha="center", va="center",
                    transform=ax.transAxes, color="#666666", fontsize=9)
        elif min(flat) >= 90:  # zoom in: one wrong cell of 600 is 99.8 %
            lo = min(flat) - 2 * (100 - min(flat)) - 1
            ax.set_ylim(lo, 100 + 0.12 * (100 - lo))
            ax.set_yticks([t for t in ax.get_yticks() if lo <= t <= 100])
        else:
            ax.set_ylim(-6, 106)
        for x, y in (s.get("trace") or []):
            ax.annotate(f"{y:.1f}" if y < 100 else "100", (x, y), textcoords="offset points",
                        xytext=(0, 7), ha="center", fontsize=8, color=COLORS["trace"])
        _title(ax, "trace: steps right (%)")
    else:
        s = series("mean_violations", only=["values"])
        _lines(ax, s)
        flat = [y for pts in s.values() for _, y in pts]
        _span(ax, flat, floor=2.0, empty="no values answer")
        if flat and all(y == 0 for y in flat):
            ax.text(0.5, 0.5, "no violated constraint", transform=ax.transAxes, ha="center",
                    va="center", fontsize=9, color="#666666")
        _title(ax, "violated constraint instances (values, mean)")
    # cost
    ax = axes[1][0]
    s = series("model_seconds")
    solver = [(r["size"], r["solver_seconds"]) for r in rows
              if r["variant"] == variants[0] and r.get("solver_seconds") is not None]
    s_all = {**s, "solver": solver}
    _lines(ax, s_all)
    ys = [y for pts in s_all.values() for _, y in pts if y > 0]
    if ys:
        ax.set_yscale("log")
        lo, hi = min(ys), max(ys)
        ax.set_ylim(lo / 3, hi * 3)
    else:
        _span(ax, [], floor=1.0, empty="no timing")
    _title(ax, "seconds per answer (median; solver: build + solve)")
    ax = axes[1][1]
    s = series("output_tokens")
    _lines(ax, s)
    flat = [y for pts in s.values() for _, y in pts]
    _span(ax, flat, floor=10.0, empty="output tokens not reported")
    _title(ax, "output tokens per answer (median)")
    ax = axes[1][2]
    gaps = [(r["size"], r["integrality_gap"] * 100) for r in rows
            if r["variant"] == variants[0] and r.get("integrality_gap") is not None]
    if gaps:
        ax.plot([g[0] for g in gaps], [g[1] for g in gaps], marker="D", color="#8c564b",
                linestyle="-", label="relaxation bound gap (instances)")
    _span(ax, [g[1] for g in gaps], floor=5.0, empty="no bound known")
    if gaps and all(abs(g[1]) < 1e-9 for g in gaps):
        ax.text(0.5, 0.5, "bound = optimum: a short certificate", transform=ax.transAxes,
                ha="center", va="center", fontsize=9, color="#666666")
    _title(ax, "relaxation bound vs optimum (%, instances)")
    for ax in [*axes[0], *axes[1]]:
        _size_axis(ax, sizes)
    handles, labels = [], []
    for ax in [*axes[0], *axes[1]]:
        for h, lab in zip(*ax.get_legend_handles_labels(), strict=True):
            if lab not in labels:
                handles.append(h)
                labels.append(lab)
    fig.legend(handles, labels, loc="lower center", ncol=max(1, len(labels)), frameon=False,
               fontsize=10)
    n_inst = len(report.points)
    fig.suptitle(f"{report.family}: {report.llm} answering directly vs the solver "
                 f"({n_inst} instance{'s' if n_inst != 1 else ''}, "
                 f"{len(report.seeds)} per size)")
    fig.tight_layout(rect=(0, 0.05, 1, 0.96))
    return fig


def comparison_figure(comp: Any, path: str | Path) -> Path:
    """The comparison's figure (:func:`build_comparison_figure`) saved as a PNG."""
    return savefig(build_comparison_figure(comp), path)


def _wrap(label: str, width: int = 18) -> str:
    """A long tick label on lines of about `width` characters (file names stay whole)."""
    import textwrap

    return "\n".join(textwrap.wrap(label, width, break_long_words=False)) or label


def build_comparison_figure(comp: Any) -> Any:
    """Objectives and violations per answer: the optimum as a line across, each answer's claimed
    objective as a bar coloured by its verdict (legend below), beside the objective recomputed
    from its values (values answers), the numbers written on the bars; violated constraint
    instances per values answer on an integer axis."""
    from matplotlib.patches import Patch
    from matplotlib.ticker import MaxNLocator

    fig = figure(10, 4.8)
    answers = comp.answers
    n_values = sum(1 for a in answers if a.variant == "values")
    ax1, ax2 = fig.subplots(1, 2, gridspec_kw={
        "width_ratios": [max(2, len(answers)), max(1.4, 1.1 * n_values)]})
    opt = comp.truth.objective
    vals: list[float] = [] if opt is None else [opt]
    for x, a in enumerate(answers):
        pair = a.variant == "values" and a.recomputed_objective is not None
        bars = [(x - 0.2 if pair else x, a.claimed_objective, MPL_COLORS[a.verdict], None)]
        if pair:
            bars.append((x + 0.2, a.recomputed_objective, "white", "//"))
        for bx, v, color, hatch in bars:
            if v is None or not math.isfinite(v):
                ax1.text(bx, 0, "no number", ha="center", va="bottom", fontsize=8,
                         color="#666666", rotation=90)
                continue
            ax1.bar(bx, v, 0.4, color=color, hatch=hatch, edgecolor="black", zorder=2)
            ax1.annotate(num(v), (bx, v), textcoords="offset points",
                         xytext=(0, 3 if v >= 0 else -3), ha="center",
                         va="bottom" if v >= 0 else "top", fontsize=8, zorder=4,
                         bbox={"facecolor": "white", "edgecolor": "none", "pad": 1.0})
            vals.append(v)
    if opt is not None:
        ax1.axhline(opt, color="black", lw=1.4, linestyle="--", zorder=3)
    names = [_wrap(n) for n in comp.labels] or [a.variant for a in answers]
    ax1.set_xticks(range(len(answers)), [f"{n}\n{a.verdict}" for n, a in zip(names, answers)])
    ax1.set_xlim(-0.6, len(answers) - 0.4)
    if vals:
        lo, hi = min(0.0, min(vals)), max(0.0, max(vals))
        pad = 0.18 * max(hi - lo, 1.0)
        ax1.set_ylim(lo - (pad if lo < 0 else 0), hi + pad)
    ax1.set_title("objective per answer")
    ax1.grid(axis="y", alpha=0.3)
    ax1.set_axisbelow(True)
    values = [a for a in answers if a.variant == "values"]
    value_names = [_wrap(n.replace(" (values)", "")) if comp.labels else n
                   for n, a in zip(comp.labels or names, answers) if a.variant == "values"]
    counts = [a.n_violations for a in values]
    ax2.bar(range(len(values)), counts, 0.5,
            color=[MPL_COLORS[a.verdict] for a in values], edgecolor="black")
    for x, c in enumerate(counts):
        ax2.annotate(str(c), (x, c), textcoords="offset points", xytext=(0, 3), ha="center",
                     fontsize=8)
    ax2.set_xticks(range(len(values)), value_names)
    ax2.set_xlim(-0.8, max(1, len(values)) - 0.2)
    ax2.set_ylim(0, max(counts + [1]) * 1.25)
    ax2.yaxis.set_major_locator(MaxNLocator(integer=True))
    if not values:
        ax2.text(0.5, 0.5, "no values answer", ha="center", va="center",
                 transform=ax2.transAxes, color="#666666")
    elif all(c == 0 for c in counts):
        ax2.text(0.5, 0.5, "no violated constraint", ha="center", va="center",
                 transform=ax2.transAxes, color="#666666")
    ax2.set_title("violated constraint instances")
    handles: list[Any] = []
    if opt is not None:
        from matplotlib.lines import Line2D

        handles.append(Line2D([], [], color="black", lw=1.4, linestyle="--",
                              label=f"optimum ({num(opt)})"))
    handles.append(Patch(facecolor="white", edgecolor="black", hatch="//",
                         label="objective of its values"))
    by_color: dict[str, list[str]] = {}  # verdicts sharing a colour share an entry
    for verdict in dict.fromkeys(a.verdict for a in answers):
        by_color.setdefault(MPL_COLORS[verdict], []).append(verdict)
    for color, verdicts in by_color.items():
        handles.append(Patch(facecolor=color, edgecolor="black",
                             label="claimed: " + " / ".join(verdicts)))
    fig.legend(handles=handles, loc="lower center", ncol=min(len(handles), 5), frameon=False,
               fontsize=9)
    fig.suptitle(comp.title)
    fig.tight_layout(rect=(0, 0.08, 1, 0.95))
    return fig
