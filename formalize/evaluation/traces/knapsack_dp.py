"""The 0/1 knapsack dynamic programme over capacities, run by hand and checked cell by cell.

best[i][c] (items 1..i, weight limit c) = best[i-1][c] when w_i > c, else
max(best[i-1][c], best[i-1][c - w_i] + v_i); row 0 is all zeros. Every cell is one step,
checked from the answer's own previous row; then one trace-back step (the chosen items weigh
at most C and are worth the reported best[n][C]).
"""

from __future__ import annotations

import json
from typing import Any

from formalize.evaluation.traces.base import (
    Faults,
    TraceCheck,
    TraceUnavailable,
    number,
    same,
    show,
)

NAME = "knapsack-dp"
TITLE = "dynamic programming over capacities"
KEYS = ("rows", "chosen")
MAX_CELLS = 20_000  # (items + 1) x (capacity + 1): what a person could write out


def data(model: dict[str, Any]) -> tuple[list[int], list[int], int]:
    """(weights, values, capacity) of a knapsack family model (params weight, value, capacity)."""
    try:
        p = model["params"]
        weights = [int(x) for x in p["weight"]["values"]]
        values = [int(x) for x in p["value"]["values"]]
        capacity = int(p["capacity"]["value"])
    except (KeyError, TypeError, ValueError) as exc:
        raise TraceUnavailable(f"{NAME}: not a knapsack family model ({exc})") from None
    return weights, values, capacity


def table(weights: list[int], values: list[int], capacity: int) -> list[list[int]]:
    """The whole DP table, rows 0..n, columns 0..capacity."""
    rows = [[0] * (capacity + 1)]
    for w, v in zip(weights, values, strict=True):
        prev = rows[-1]
        rows.append([prev[c] if w > c else max(prev[c], prev[c - w] + v)
                     for c in range(capacity + 1)])
    return rows


def trace_back(rows: list[list[int]], weights: list[int], capacity: int) -> list[int]:
    """Items (1-based) of an optimal packing read back from the table."""
    chosen, c = [], capacity
    for i in range(len(weights), 0, -1):
        if rows[i][c] != rows[i - 1][c]:
            chosen.append(i)
            c -= weights[i - 1]
    return sorted(chosen)


def available(model: dict[str, Any]) -> None:
    """Raise TraceUnavailable when the table is too large to write out."""
    weights, _, capacity = data(model)
    cells = (len(weights) + 1) * (capacity + 1)
    if cells > MAX_CELLS:
        raise TraceUnavailable(
            f"{NAME}: the table has {len(weights) + 1} rows x {capacity + 1} columns = {cells} "
            f"cells, more than {MAX_CELLS}; use fewer items (the capacity grows with them)")


def instructions(model: dict[str, Any]) -> str:
    """The procedure and the answer's JSON shape, for the prompt."""
    weights, _, capacity = data(model)
    n = len(weights)
    return f"""Procedure (dynamic programming over capacities):
best[i][c] is the largest total value that items 1..i can give with total weight at most c,
for i = 0..{n} and c = 0..{capacity}. Row 0 is all zeros. For i = 1..{n}, with w_i and v_i the
weight and value of item i:
  best[i][c] = best[i-1][c]                                   if w_i > c
  best[i][c] = max(best[i-1][c], best[i-1][c - w_i] + v_i)    otherwise
The optimum is best[{n}][{capacity}]. Then trace back: for i = {n} down to 1, item i is chosen
if best[i][c] differs from best[i-1][c] (and then c decreases by w_i), starting at c = {capacity}.

Report every row in full ({n + 1} rows of {capacity + 1} numbers each, columns c = 0..{capacity})
as one JSON object in a ```json block:
{{"rows": [[<best[0][0]>, ..., <best[0][{capacity}]>], [<best[1][0]>, ...], ..., [<best[{n}][0]>, ..., <best[{n}][{capacity}]>]],
 "optimum": <best[{n}][{capacity}]>, "chosen": [<item numbers from the trace-back>]}}"""


def reference(model: dict[str, Any]) -> dict[str, Any]:
    """The correct trace in the answer's shape."""
    weights, values, capacity = data(model)
    rows = table(weights, values, capacity)
    return {"rows": rows, "optimum": rows[-1][capacity],
            "chosen": trace_back(rows, weights, capacity)}


def check(model: dict[str, Any], doc: dict[str, Any]) -> TraceCheck:
    """Check every cell from the answer's previous row, then the trace-back."""
    weights, values, capacity = data(model)
    n, width = len(weights), capacity + 1
    truth = table(weights, values, capacity)
    rows = doc.get("rows")
    if isinstance(rows, dict):  # {"0": [...], "1": [...]}
        rows = [rows.get(str(i), rows.get(i)) for i in range(n + 1)]
    if not isinstance(rows, list):
        rows = []
    faults = Faults()
    right = 0
    step = 0
    prev_row: list[Any] = []
    for i in range(n + 1):
        got_row = rows[i] if i < len(rows) and isinstance(rows[i], list) else None
        if got_row is not None and len(got_row) != width:
            faults.add(step + 1, f"row {i}",
                       f"has {len(got_row)} numbers; it needs {width} (c = 0..{capacity})")
        # predecessors: the answer's previous row (the true value where it gives none)
        pred: list[Any] = []
        if i > 0:
            for cc in range(width):
                x = number(prev_row[cc]) if cc < len(prev_row) else None
                pred.append(x if x is not None else truth[i - 1][cc])
        for c in range(width):
            step += 1
            got = number(got_row[c]) if got_row is not None and c < len(got_row) else None
            if i == 0:
                expected, why = 0, "row 0 is all zeros"
            else:
                w, v = weights[i - 1], values[i - 1]
                if w > c:
                    expected = pred[c]
                    why = f"w_{i} = {w} > {c}, so best[{i - 1}][{c}] = {show(pred[c])}"
                else:
                    keep, take = pred[c], pred[c - w] + v
                    expected = max(keep, take)
                    why = (f"max(best[{i - 1}][{c}] = {show(keep)}, best[{i - 1}][{c - w}] + "
                           f"{v} = {show(take)})")
            if got is not None and same(got, expected, 0.0):
                right += 1
            elif got_row is None and c == 0:
                faults.add(step, f"row {i}", "missing")
            elif got_row is not None:
                if got is not None:
                    got_txt = show(got)
                else:
                    got_txt = repr(got_row[c])[:20] if c < len(got_row) else "missing"
                faults.add(step, f"cell best[{i}][{c}]",
                           f"{got_txt}, expected {show(expected)} = {why}")
        prev_row = got_row if got_row is not None else truth[i]
    # the trace-back step
    step += 1
    last = number(rows[n][capacity]) if len(rows) > n and isinstance(rows[n], list) and \
        len(rows[n]) > capacity else None
    chosen = doc.get("chosen")
    items = [int(x) for x in chosen] if isinstance(chosen, list) and all(
        isinstance(x, (int, float)) and not isinstance(x, bool) and float(x).is_integer()
        for x in chosen) else None
    if items is None or len(set(items)) != len(items) or any(not 1 <= x <= n for x in items):
        faults.add(step, "trace-back", f"\"chosen\" must list distinct item numbers 1..{n}, "
                                       f"got {json.dumps(chosen)[:60]}")
    else:
        weight = sum(weights[x - 1] for x in items)
        value = sum(values[x - 1] for x in items)
        if weight > capacity:
            faults.add(step, "trace-back", f"the chosen items weigh {weight} > {capacity}")
        elif last is None or not same(last, value, 0.0):
            faults.add(step, "trace-back", f"the chosen items are worth {value}, the table's "
                                           f"best[{n}][{capacity}] is {show(last)}")
        else:
            right += 1
    claimed = number(doc.get("optimum"))
    opt = truth[n][capacity]
    final_ok = claimed is not None and same(claimed, opt, 0.0)
    detail = "" if final_ok else f"reports optimum {show(claimed)}, the true optimum is {opt}"
    return TraceCheck(NAME, step, right, faults.items, faults.count, final_ok, detail,
                      float(claimed) if claimed is not None else None)
