"""The 0/1 knapsack dynamic programme over capacities, run by hand and checked step by step.

best[i][c] (items 1..i, weight limit c) = best[i-1][c] when w_i > c, else
max(best[i-1][c], best[i-1][c - w_i] + v_i); row 0 is all zeros. A row is a step function of
c, so the answer writes each row as its steps: the capacities c at which best[i][c] rises, each
with its new value (the row's non-dominated (weight, value) states). Every step of every row
is checked from the answer's own previous row (a missing, wrong or extra step is one wrong
step); then one trace-back step (the chosen items weigh at most C and are worth the row n's
best[n][C]). The steps carry exactly the information of the full table, in far fewer numbers
(a 10-item strongly correlated instance: about 340 steps instead of 24,000 cells).
"""

from __future__ import annotations

import json
from bisect import bisect_right
from fractions import Fraction
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
TITLE = "dynamic programming over capacities (rows as their steps)"
KEYS = ("rows", "chosen")
MAX_STEPS = 2_000  # steps over all rows: what a person could write out

Steps = list[tuple[int, Any]]  # (capacity, value) in increasing capacity and value


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


def value_at(steps: Steps, c: int) -> Any:
    """best[i][c] of a row given as its steps (0 below the first step)."""
    k = bisect_right([s[0] for s in steps], c)
    return steps[k - 1][1] if k else 0


def next_row(prev: Steps, w: int, v: int, capacity: int) -> Steps:
    """The steps of row i from those of row i-1: the upper envelope of best[i-1][c] and
    best[i-1][c - w] + v (for c >= w), up to the capacity."""
    cands = [(c, x) for c, x in prev]
    if w <= capacity:
        cands += [(w, v)] + [(c + w, x + v) for c, x in prev if c + w <= capacity]
    out: Steps = []
    for c, x in sorted(cands, key=lambda t: (t[0], -t[1])):
        if x > (out[-1][1] if out else 0) and x > 0:
            if out and out[-1][0] == c:
                continue
            out.append((c, x))
    return out


def rows_of(weights: list[int], values: list[int], capacity: int) -> list[Steps]:
    """The steps of rows 1..n."""
    rows, prev = [], []
    for w, v in zip(weights, values, strict=True):
        prev = next_row(prev, w, v, capacity)
        rows.append(prev)
    return rows


def trace_back(rows: list[Steps], weights: list[int], capacity: int) -> list[int]:
    """Items (1-based) of an optimal packing read back from the rows."""
    chosen, c = [], capacity
    for i in range(len(weights), 0, -1):
        before = value_at(rows[i - 2], c) if i > 1 else 0
        if value_at(rows[i - 1], c) != before:
            chosen.append(i)
            c -= weights[i - 1]
    return sorted(chosen)


def available(model: dict[str, Any]) -> None:
    """Raise TraceUnavailable when the rows have too many steps to write out."""
    weights, values, capacity = data(model)
    total = 0
    prev: Steps = []
    for w, v in zip(weights, values, strict=True):
        prev = next_row(prev, w, v, capacity)
        total += len(prev)
        if total > MAX_STEPS:
            raise TraceUnavailable(
                f"{NAME}: the {len(weights)} rows have more than {MAX_STEPS} steps in all; use "
                f"fewer items")


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

Write each row i = 1..{n} as its steps: best[i][c] never decreases as c grows, so list only the
capacities c (0..{capacity}, increasing) at which best[i][c] becomes larger than best[i][c-1]
(best[i][-1] counts as 0), each as [c, best[i][c]]. Between two steps the row keeps the value of
the earlier one. For example, with items (weight 3, value 4) and (weight 5, value 6) and
capacity 9, row 1 is [[3, 4]] and row 2 is [[3, 4], [5, 6], [8, 10]].

Report every row (rows 1..{n}, keyed by i) as one JSON object in a ```json block:
{{"rows": {{"1": [[<c>, <best[1][c]>], ...], "2": [...], ..., "{n}": [...]}},
 "optimum": <best[{n}][{capacity}]>, "chosen": [<item numbers from the trace-back>]}}"""


def reference(model: dict[str, Any]) -> dict[str, Any]:
    """The correct trace in the answer's shape."""
    weights, values, capacity = data(model)
    rows = rows_of(weights, values, capacity)
    return {"rows": {str(i): [list(s) for s in r] for i, r in enumerate(rows, start=1)},
            "optimum": value_at(rows[-1], capacity) if rows else 0,
            "chosen": trace_back(rows, weights, capacity)}


def _reported_rows(doc: dict[str, Any], n: int) -> list[Any]:
    """Rows 1..n of the answer (a dict keyed 1..n, or a list of rows 1..n, or of rows 0..n)."""
    rows = doc.get("rows")
    if isinstance(rows, dict):
        return [rows.get(str(i), rows.get(i)) for i in range(1, n + 1)]
    if isinstance(rows, list):
        if len(rows) == n + 1 and rows[0] in ([], None):  # row 0 given too
            rows = rows[1:]
        return [rows[i] if i < len(rows) else None for i in range(n)]
    return [None] * n


def _pairs(row: Any) -> tuple[list[tuple[Fraction, Fraction]], str]:
    """The [c, value] pairs of a reported row, and what was wrong with its form ("" if fine)."""
    if not isinstance(row, list):
        return [], "missing" if row is None else f"is not a list of [c, value] pairs: "                                                  f"{json.dumps(row)[:40]}"
    out, bad = [], ""
    for item in row:
        c = number(item[0]) if isinstance(item, (list, tuple)) and len(item) == 2 else None
        x = number(item[1]) if c is not None else None
        if c is None or x is None:
            bad = bad or f"{json.dumps(item)[:30]} is not a [c, value] pair"
            continue
        out.append((c, x))
    return out, bad


def check(model: dict[str, Any], doc: dict[str, Any]) -> TraceCheck:
    """Check every step of every row from the answer's previous row, then the trace-back."""
    weights, values, capacity = data(model)
    n = len(weights)
    truth = rows_of(weights, values, capacity)
    reported = _reported_rows(doc, n)
    faults = Faults()
    right = total = 0
    prev: Steps = []
    got_rows: list[Steps] = []
    for i in range(1, n + 1):
        w, v = weights[i - 1], values[i - 1]
        pairs, bad = _pairs(reported[i - 1])
        expected = next_row(prev, w, v, capacity)  # from the answer's own row i-1
        exp = dict(expected)
        got: dict[Fraction, Fraction] = {}
        for c, x in pairs:
            got.setdefault(c, x)  # a repeated capacity: the first one counts
        if bad:
            faults.add(total + 1, f"row {i}", bad)
        steps_here = sorted(set(exp) | set(got))
        for c in steps_here:
            total += 1
            if c in exp and c in got and same(got[c], exp[c], 0.0):
                right += 1
                continue
            if reported[i - 1] is None:
                if c == steps_here[0]:
                    faults.add(total, f"row {i}", "missing")
                continue
            before = value_at(prev, int(c)) if float(c).is_integer() else None
            shifted = (value_at(prev, int(c) - w) + v) if float(c).is_integer() and c >= w \
                else None
            if shifted is None:
                why = f"best[{i - 1}][{show(c)}] = {show(before)}, as w_{i} = {w} > {show(c)}"
            else:
                why = (f"max(best[{i - 1}][{show(c)}] = {show(before)}, "
                       f"best[{i - 1}][{show(c - w)}] + {v} = {show(shifted)})")
            if c not in exp:
                faults.add(total, f"row {i}, c = {show(c)}",
                           f"[{show(c)}, {show(got[c])}] is not a step of row {i}: best[{i}]"
                           f"[{show(c)}] = {why} = {show(value_at(expected, int(c)))}, the same "
                           f"as at c - 1" if before is not None else
                           f"[{show(c)}, {show(got[c])}]: c must be a whole number")
            elif c not in got:
                faults.add(total, f"row {i}, c = {show(c)}",
                           f"step missing: best[{i}][{show(c)}] = {why} = {show(exp[c])} is "
                           f"larger than best[{i}][{show(c - 1)}]")
            else:
                faults.add(total, f"row {i}, c = {show(c)}",
                           f"{show(got[c])}, expected {why} = {show(exp[c])}")
        clean = sorted((int(c), x) for c, x in got.items()
                       if float(c).is_integer() and 0 <= c <= capacity)
        row: Steps = []
        for c, x in clean:  # the answer's row as a step function (what row i+1 builds on)
            if x > (row[-1][1] if row else 0):
                row.append((c, x))
        prev = row if reported[i - 1] is not None else truth[i - 1]
        got_rows.append(prev)
    # the trace-back step
    total += 1
    last = value_at(got_rows[-1], capacity) if got_rows else Fraction(0)
    chosen = doc.get("chosen")
    items = [int(x) for x in chosen] if isinstance(chosen, list) and all(
        isinstance(x, (int, float)) and not isinstance(x, bool) and float(x).is_integer()
        for x in chosen) else None
    if items is None or len(set(items)) != len(items) or any(not 1 <= x <= n for x in items):
        faults.add(total, "trace-back", f"\"chosen\" must list distinct item numbers 1..{n}, "
                                        f"got {json.dumps(chosen)[:60]}")
    else:
        weight = sum(weights[x - 1] for x in items)
        value = sum(values[x - 1] for x in items)
        if weight > capacity:
            faults.add(total, "trace-back", f"the chosen items weigh {weight} > {capacity}")
        elif not same(Fraction(last), value, 0.0):
            faults.add(total, "trace-back", f"the chosen items are worth {value}, the answer's "
                                            f"best[{n}][{capacity}] is {show(last)}")
        else:
            right += 1
    claimed = number(doc.get("optimum"))
    opt = value_at(truth[-1], capacity) if truth else 0
    final_ok = claimed is not None and same(claimed, opt, 0.0)
    detail = "" if final_ok else f"reports optimum {show(claimed)}, the true optimum is {opt}"
    return TraceCheck(NAME, total, right, faults.items, faults.count, final_ok, detail,
                      float(claimed) if claimed is not None else None)
