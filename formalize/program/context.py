"""What each step is shown: data-file summaries (read), declared symbols (structure), the
findings and the solver's conflict (repair). Each call sees only what its step needs."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from solvers import Model, Solution
from solvers.diagnostics import Diagnostic


def data_summaries(paths: Sequence[str | Path], rows: int = 3) -> str:
    """What the LLM sees of attached data files: name, row count, columns with types, a few rows.

    Reading is streamed: the cost (in prompt tokens) does not grow with the file's length."""
    out = []
    for p in map(Path, paths):
        try:
            n, cols, head = _summary(p, rows)
        except (OSError, ValueError, AttributeError, IndexError) as exc:  # the verify step locates it
            out.append(f"- {p.name}: cannot be summarized ({type(exc).__name__})")
            continue
        types = []
        for j, c in enumerate(cols):
            vals = [r[j] for r in head if j < len(r)]
            types.append(f"{c} ({'number' if vals and all(_isnum(v) for v in vals) else 'text'})")
        out.append(f"- {p.name}: {n} rows; columns: {', '.join(types)}; first rows: "
                   + "; ".join(", ".join(map(str, r)) for r in head))
    return "\n".join(out)


def _summary(p: Path, rows: int) -> tuple[int, list, list]:
    """(row count, columns, first rows) of a CSV or JSON data file; undecodable bytes replaced."""
    if not p.is_file():  # a FIFO or a device would block or never end
        raise OSError(f"{p.name} is not a regular file")
    if p.suffix.lower() == ".json":
        data = json.loads(p.read_text(encoding="utf-8", errors="replace"))
        recs = data if isinstance(data, list) else data.get("records") or data.get("data") or [data]
        cols = list(recs[0]) if recs and isinstance(recs[0], dict) else []
        return len(recs), cols, [[r.get(c) for c in cols] for r in recs[:rows]]
    import csv

    with p.open(newline="", encoding="utf-8", errors="replace") as f:
        reader = csv.reader(f, skipinitialspace=True)
        cols = next(reader, [])
        head = [r for _, r in zip(range(rows), reader)]
        return len(head) + sum(1 for _ in reader), cols, head


def _isnum(v: Any) -> bool:
    try:
        float(v)
        return True
    except (TypeError, ValueError):
        return False


def symbols_summary(model: Model) -> str:
    """Declared sets and params as symbols (sizes and a few elements, never the whole data)."""
    lines = []
    for name, s in model.sets.items():
        if s.range is not None:
            lines.append(f"set {name} = {s.range[0]}..{s.range[1]}" + (f"  # {s.description}" if s.description else ""))
        elif s.from_ is not None:
            lines.append(f"set {name} (from {s.from_.file})")
        elif s.expr is not None:
            lines.append(f"set {name} = {s.expr}" + (f"  # {s.description}" if s.description else ""))
        else:
            el = s.elements or []
            lines.append(f"set {name} = {json.dumps(el[:6])[:-1]}{', ...' if len(el) > 6 else ''}] ({len(el)} elements)")
    for name, p in model.params.items():
        src = f"  # {p.source}" if p.source else ""
        if p.expr is not None:
            lines.append(f"param {name}{'[' + ', '.join(p.index) + ']' if p.index else ''} = {p.expr}{src}")
        elif p.index:
            lines.append(f"param {name}[{', '.join(p.index)}]{src}")
        else:
            lines.append(f"param {name} (scalar){src}")
    return "\n".join(lines) or "(none)"


def iis_text(model: Model, sol: Solution, limit: int = 40) -> str:
    """The conflict for the repair prompt: the IIS constraints with their text and the variable
    bounds in it, or — when the solver isolated nothing — every constraint and bound as a suspect."""
    desc = {c.name: c.description or c.expr for c in model.constraints}
    lines = []
    for item in sol.iis or []:
        base = item.split("[", 1)[0]
        lines.append(f"- {item}: {desc.get(base, '(variable bound)')}")
    lines += [f"- variable bound {b}" for b in sol.iis_bounds or []]
    if lines:
        return "\n".join(lines[:limit])
    suspects = [f"- constraint {c.name}: {c.expr}" + (f"  ({c.description})" if c.description else "")
                for c in model.constraints]
    for name, v in model.variables.items():
        idx = f"[{', '.join(v.index)}]" if v.index else ""
        suspects.append(f"- variable {name}{idx}: {v.domain}, lb {v.lb}, ub {v.ub}")
    more = [f"- ... and {len(suspects) - limit} more"] if len(suspects) > limit else []
    return "\n".join(["- (the solver could not isolate a conflicting subset; every constraint and "
                      "bound below is a suspect)", *suspects[:limit], *more])


def bullets(diags: Sequence[Diagnostic]) -> str:
    """One located finding a line."""
    return "\n".join(f"- {d}" for d in diags)


__all__ = ["bullets", "data_summaries", "iis_text", "symbols_summary"]
