"""What the harvested model says back to the user and to the verifier.

- `built_numbers(run)`: the numbers the built model holds and its index structure, for the
  text-aware verifier (`formalize.verify.code_report`);
- `variable_names(run, solution)`: each column's variable name and index tuple — Pyomo's from the
  harvest's name table, PuLP's and CP-SAT's parsed from the names the program gave (`x[1,a]`,
  `x_(1,_'a')`, `x_1_a` split on the elements the program lists);
- `readable_solution(solution, run)`: the solution keyed by those names and index tuples, values
  cleaned (no -0.0; values within 1e-6 of an integer snapped to it; others rounded to 12
  significant digits); the objective stays the solver's (rounded only for display).
"""

from __future__ import annotations

import ast
import dataclasses
import math
import re
from typing import Any

import numpy as np

from formalize.codemode.cpsat_proto import proto_numbers, read_proto
from formalize.codemode.sandbox import CodeRun
from formalize.verify.code_report import BuiltNumbers
from formalize.verify.grounding import spelled_out_sizes
from solvers.expr import _ast_parse
from solvers.solution import Solution

SNAP_TOL = 1e-6
_BRACKET = re.compile(r"^([A-Za-z_][\w.]*)\[(.*)\]$")
_PULP_TUPLE = re.compile(r"^([A-Za-z_]\w*?)_\((.*)\)$")


def clean_value(v: float) -> float:
    """-0.0 → 0.0; within SNAP_TOL (absolute, or relative for large values) of an integer →
    that integer; else rounded to 12 significant digits (1.4e-13 → 0.0, 56408.00000000001 →
    56408.0)."""
    if not math.isfinite(v):
        return v
    r = round(v)
    if abs(v - r) <= SNAP_TOL * max(1.0, abs(v)) * (1.0 if abs(v) < 1e6 else 1e-3):
        return float(r) + 0.0
    return float(f"{v:.12g}") + 0.0


def built_numbers(run: CodeRun, collections: dict[str, list] | None = None) -> BuiltNumbers | None:
    """The numbers and structure of the model a successful run built (None: no model);
    `collections`: the program's literal collections, whose elements split PuLP's and CP-SAT's
    column names (`x_A_1`) into a variable and its index."""
    if not run.ok:
        return None
    vocab = _vocabulary(collections or {})
    md = run.model
    if md is not None:
        parts = [md.col_cost, md.a_val, md.q_val, md.row_lower, md.row_upper, md.col_lower,
                 md.col_upper, np.asarray([md.offset], dtype=float), 2.0 * np.asarray(md.q_val)]
        vals = np.concatenate([np.asarray(p, dtype=float).reshape(-1) for p in parts])
        vals = np.unique(vals[np.isfinite(vals)])
        cols = [(var, tuple(idx)) if idx or run.library == "pyomo" else _split(var, vocab)
                for var, idx in zip(md.column_var, md.column_index)]
        return BuiltNumbers(vals, _structure(cols))
    if run.model_data is not None:
        proto = read_proto(run.model_data)
        if proto is None:
            return None
        names = [v.name or f"_v{i}" for i, v in enumerate(proto.variables)]
        return BuiltNumbers(proto_numbers(proto), _structure([_split(n, vocab) for n in names]))
    return None


def _structure(cols: list[tuple[str, tuple]]) -> list[float]:
    """Sizes of each variable family's index positions, their integer elements, the number of
    families and of columns per family, and the sets spelled out in scalar names
    (`grounding.spelled_out_sizes`)."""
    fams: dict[str, list[tuple]] = {}
    for var, idx in cols:
        fams.setdefault(var, []).append(tuple(idx))
    out: list[float] = [float(len(fams))]
    for idxs in fams.values():
        out.append(float(len(idxs)))
        arity = max((len(i) for i in idxs), default=0)
        for k in range(arity):
            elems = {i[k] for i in idxs if len(i) > k}
            out.append(float(len(elems)))
            out += [float(e) for e in elems if isinstance(e, int) and not isinstance(e, bool)]
    out += spelled_out_sizes([var for var, idxs in fams.items() if idxs == [()]])
    return out


def _atom(s: str) -> Any:
    s = s.strip()
    try:
        v = ast.literal_eval(_ast_parse(s))  # the project's one (locked) parse
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        return s
    return v if isinstance(v, (int, float, str)) and not isinstance(v, bool) else s


def _split(name: str, vocabulary: dict[str, Any]) -> tuple[str, tuple]:
    """(variable, index) of a column name the program gave: `x[1,a]`, PuLP's `x_(1,_'a')`, or
    `x_1_a` when every part after the first is an element the program lists (`vocabulary`:
    the elements as the name writes them → the element)."""
    m = _BRACKET.match(name)
    if m:
        return m.group(1), tuple(_atom(p) for p in m.group(2).split(","))
    m = _PULP_TUPLE.match(name)
    if m:
        return m.group(1), tuple(_atom(p.strip("_ ")) for p in m.group(2).split(",") if p.strip("_ "))
    if vocabulary and "_" in name:
        parts = name.split("_")
        # the longest variable-name prefix whose rest splits into known elements
        for cut in range(1, len(parts)):
            rest = _elements_of(parts[cut:], vocabulary)
            if rest is not None:
                return "_".join(parts[:cut]), tuple(rest)
    return name, ()


def _elements_of(parts: list[str], vocabulary: dict[str, Any]) -> list | None:
    """`parts` read as a sequence of elements (an element may itself hold underscores)."""
    if not parts:
        return []
    for j in range(len(parts), 0, -1):
        key = "_".join(parts[:j])
        if key in vocabulary:
            rest = _elements_of(parts[j:], vocabulary)
            if rest is not None:
                return [vocabulary[key], *rest]
    return None


def _vocabulary(collections: dict[str, list]) -> dict[str, Any]:
    vocab: dict[str, Any] = {}
    for els in collections.values():
        for e in els:
            for x in (e if isinstance(e, tuple) else (e,)):
                if isinstance(x, (str, int)) and not isinstance(x, bool):
                    vocab.setdefault(str(x).replace(" ", "_").replace("-", "_"), x)
    return vocab


def variable_names(run: CodeRun, solution: Solution, collections: dict[str, list] | None = None
                   ) -> dict[str, tuple[str, tuple]]:
    """Column name → (variable, index tuple) for every column of the solution."""
    vocab = _vocabulary(collections or {})
    out: dict[str, tuple[str, tuple]] = {}
    for col in solution.values:
        var, idx = run.names.get(col, (col, ()))
        if run.library == "pyomo" or idx:
            out[col] = (var, tuple(idx))
            continue
        out[col] = _split(col, vocab)
    # a family that got no index at all for some of its columns keeps the plain names
    return out


def readable_solution(solution: Solution, run: CodeRun, collections: dict[str, list] | None = None
                      ) -> Solution:
    """A copy of `solution` keyed by variable name and index (one-element indices as plain keys,
    scalars as `()`), values cleaned; the objective is the solver's, unchanged."""
    names = variable_names(run, solution, collections)
    values: dict[str, dict[Any, float]] = {}
    clash = False
    for col, vals in solution.values.items():
        v = vals.get(()) if isinstance(vals, dict) else None
        if v is None:
            continue
        var, idx = names.get(col, (col, ()))
        fam = values.setdefault(var, {})
        idx = idx[0] if len(idx) == 1 else idx  # one-element indices as plain keys (Solution's rule)
        if idx in fam:
            clash = True
            break
        fam[idx] = clean_value(float(v))
    if clash:  # two columns read as one: keep the columns' own names
        values = {col: {(): clean_value(float(vals[()]))} for col, vals in solution.values.items()
                  if isinstance(vals, dict) and () in vals}
    return dataclasses.replace(solution, values=values)


__all__ = ["SNAP_TOL", "built_numbers", "clean_value", "readable_solution", "variable_names"]
