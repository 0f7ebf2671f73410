"""The compact notation of a model: the shortest document `load_model` reads back as the same model.

`to_compact(model)` writes the shorthands of docs/model-format.md ("Compact notation"): the index
in the key (`"ship[p in Plants, m in Markets]": "real >= 0"`, `"supply[Plants]": [350, 600]`,
`"cap[p in Plants]": "<expr>"`), variable shorthand strings, `"maximize": "<expr>"`, sets as bare
lists, params as bare numbers, complete tables as lists in set order, no empty or default fields.
Free-text provenance (`description`, `source`) is kept unless `keep_provenance=False`;
`assumptions` and `acknowledged` are always kept (they are shown to the user and read by the
verifier).
`inline_scalars=True` also writes the value of every scalar param that is used exactly once (and
carries no kept provenance) into the expression that uses it and drops the param — the style the
compact prompt asks for (`50*small`; name a number only when it is used in several places or is
indexed data). Either way the lowered model is the same.
"""

from __future__ import annotations

import io
import json
import math
import re
import tokenize
from typing import Any

import numpy as np

from .diagnostics import ModelError
from .expr import Agg, SetComp, parse_expr, parse_forall, parse_set_expr, walk
from .model import IDENT, Model, ParamSpec, VariableSpec, load_model

_PARAM_SPEC_KEYS = ("values", "from")


def to_compact(model: Model | dict | str, keep_provenance: bool = True,
               inline_scalars: bool = False) -> dict[str, Any]:
    """The shortest faithful compact document of `model` (anything `load_model` accepts)."""
    m = model if isinstance(model, Model) else load_model(model)
    subst = _inlinable(m, keep_provenance) if inline_scalars else {}
    out: dict[str, Any] = {}
    if m.name != "model":
        out["name"] = m.name
    if keep_provenance and m.description:
        out["description"] = m.description
    sets = {name: _set(spec, keep_provenance, subst) for name, spec in m.sets.items()}
    if sets:
        out["sets"] = sets
    params: dict[str, Any] = {}
    for name, spec in m.params.items():
        if name in subst:
            continue
        key, val = _param(m, name, spec, keep_provenance, subst)
        params[key] = val
    if params:
        out["params"] = params
    variables: dict[str, Any] = {}
    for name, spec in m.variables.items():
        key, val = _variable(name, spec, keep_provenance, subst)
        variables[key] = val
    if variables:
        out["variables"] = variables
    objective = _sub(m.objective, subst) if m.objective is not None else None
    if m.sense != "feasibility" and objective is not None and objective.strip():
        out[m.sense] = objective
    else:
        if m.sense != "minimize":
            out["sense"] = m.sense
        if objective is not None:
            out["objective"] = objective
    cons = _constraints(m, keep_provenance, subst)
    if cons:
        out["constraints"] = cons
    # statements to the user and to the verifier, not provenance: always kept
    if m.assumptions:
        out["assumptions"] = list(m.assumptions)
    if m.acknowledged:
        out["acknowledged"] = [a.model_dump() for a in m.acknowledged]
    return out


# --------------------------------------------------------------------------- sections


def _set(spec, keep: bool, subst: dict[str, str]) -> Any:
    desc = spec.description if keep else None
    if spec.elements is not None:
        return {"elements": spec.elements, "description": desc} if desc else spec.elements
    if spec.expr is not None:
        expr = _sub(spec.expr, subst)
        return {"expr": expr, "description": desc} if desc else expr
    out: dict[str, Any] = {}
    if spec.range is not None:
        out["range"] = [_num(float(subst[b])) if isinstance(b, str) and b in subst else b
                        for b in spec.range]
    if spec.from_ is not None:
        out["from"] = spec.from_.model_dump(exclude_none=True)
    if desc:
        out["description"] = desc
    return out


def _param(m: Model, name: str, spec: ParamSpec, keep: bool, subst: dict[str, str]) -> tuple[str, Any]:
    prov = {k: v for k, v in (("source", spec.source), ("description", spec.description))
            if keep and v}
    if spec.expr is not None:  # a computed param: "dist[i in N, j in N]": "<expr>"
        key = f"{name}[{', '.join(spec.index)}]" if spec.index else name
        expr = _sub(spec.expr, subst)
        return key, ({"expr": expr, **prov} if prov else expr)
    if not spec.index:
        if spec.from_ is None and spec.value is not None and not prov and spec.default is None:
            return name, _num(spec.value)
        return name, _drop_none({"value": _num(spec.value) if spec.value is not None else None,
                                 "default": _num(spec.default) if spec.default is not None else None,
                                 "from": _file(spec), **prov})
    key = f"{name}[{', '.join(spec.index)}]"
    values, default = spec.values, spec.default
    if spec.from_ is None and values is not None:
        dense = _dense(m, name)
        written = {"values": values} if default is None else {"values": values, "default": _num(default)}
        if dense is not None and len(_js(dense)) <= len(_js(written)):
            values, default = dense, None
    body = _drop_none({"values": values, "default": _num(default) if default is not None else None,
                       "from": _file(spec), **prov})
    bare_ok = set(body) == {"values"} and not (isinstance(values, dict) and set(values) & set(_PARAM_SPEC_KEYS))
    return key, (values if bare_ok else body)


def _variable(name: str, spec: VariableSpec, keep: bool, subst: dict[str, str]) -> tuple[str, Any]:
    key = f"{name}[{', '.join(spec.index)}]" if spec.index else name
    lb, ub = (_bound(b, subst) for b in (spec.lb, spec.ub))
    text = spec.domain
    if lb is not None and ub is not None:
        text += f" in [{_bound_text(lb)}, {_bound_text(ub)}]"
    elif lb is not None:
        text += f" >= {_bound_text(lb)}"
    elif ub is not None:
        text += f" <= {_bound_text(ub)}"
    if keep and spec.description:
        lb, ub = (_num(b) if isinstance(b, float) else b for b in (lb, ub))
        return key, _drop_none({"domain": spec.domain, "lb": lb, "ub": ub, "description": spec.description})
    return key, text


def _constraints(m: Model, keep: bool, subst: dict[str, str]) -> Any:
    names = [c.name for c in m.constraints]
    keyed = len(set(names)) == len(names) and all(IDENT.match(n) for n in names)
    items = []
    for c in m.constraints:
        expr = _sub(c.expr, subst)
        forall = _sub(c.forall, subst) if c.forall else None
        desc = c.description if keep else None
        items.append((c.name, forall, expr, desc))
    if not keyed:  # names the key syntax cannot carry: the canonical list
        return [_drop_none({"name": n, "forall": f, "expr": e, "description": d}) for n, f, e, d in items]
    out: dict[str, Any] = {}
    for n, f, e, d in items:
        out[f"{n}[{f}]" if f else n] = {"expr": e, "description": d} if d else e
    return out


# --------------------------------------------------------------------------- values


def _num(v: float) -> int | float:
    return int(v) if isinstance(v, float) and v.is_integer() and abs(v) < 2**53 else v


def _js(v: Any) -> str:
    return json.dumps(v, separators=(",", ":"))


def _drop_none(d: dict) -> dict:
    return {k: v for k, v in d.items() if v is not None}


def _file(spec: ParamSpec) -> dict | None:
    return spec.from_.model_dump(exclude_none=True) if spec.from_ is not None else None


def _dense(m: Model, name: str) -> list | None:
    """The param's complete table as nested lists in set order, or None (missing entries, or the
    data cannot be resolved here)."""
    from .data import instance
    from .lower import VectorDeriver  # noqa: F401 - registers the evaluator of derived data

    try:
        table = instance(m).params[name].table
    except (ModelError, KeyError):
        return None
    if table.ndim == 0 or table.size == 0 or bool(np.isnan(table).any()):
        return None
    return _ints(table.tolist())


def _ints(v: Any) -> Any:
    return [_ints(x) for x in v] if isinstance(v, list) else _num(float(v))


def _bound(b: Any, subst: dict[str, str]) -> Any:
    if isinstance(b, str):
        s = _sub(b, subst).strip()
        return float(s) if re.fullmatch(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?", s) else s
    return b


def _bound_text(b: Any) -> str:
    if isinstance(b, str):
        return b
    v = _num(float(b))
    return str(v) if isinstance(v, int) else repr(v)


# --------------------------------------------------------------------------- inlining


def _literal(v: float) -> str:
    n = _num(float(v))
    text = str(n) if isinstance(n, int) else repr(n)
    return f"({text})" if n < 0 else text


def _inlinable(m: Model, keep: bool) -> dict[str, str]:
    """Scalar params whose value replaces their one use: an inline value, no kept provenance,
    referenced exactly once, and never rebound as an index name."""
    cands = {name: _literal(p.value) for name, p in m.params.items()
             if not p.index and p.value is not None and p.from_ is None and p.default is None
             and math.isfinite(p.value) and not (keep and (p.source or p.description))}
    if not cands:
        return cands
    bound: set[str] = {n for p in m.params.values() for n in p.index_names if n}
    texts = [m.objective] + [c.expr for c in m.constraints] + [
        b for v in m.variables.values() for b in (v.lb, v.ub) if isinstance(b, str)] + [
        p.expr for p in m.params.values() if p.expr is not None]
    try:
        for t in texts:
            if t:
                for node in walk(parse_expr(t)):
                    if isinstance(node, Agg):
                        bound.update(x for g in node.gens for x in g.targets)
        for sspec in m.sets.values():
            if sspec.expr is not None:
                for node in walk(parse_set_expr(sspec.expr)):
                    if isinstance(node, (Agg, SetComp)):
                        bound.update(x for g in node.gens for x in g.targets)
        for c in m.constraints:
            if c.forall:
                for g in parse_forall(c.forall):
                    bound.update(g.targets)
                    for cond in g.conds:
                        bound.update(x for n in walk(cond) if isinstance(n, Agg)
                                     for g2 in n.gens for x in g2.targets)
    except ModelError:
        return {}  # an expression we cannot parse: leave every name as written
    for v in m.variables.values():
        for e in v.index:
            parts = e.split()
            if len(parts) == 3 and parts[1] == "in":
                bound.add(parts[0])
    uses = _name_counts([m.objective, *(c.expr for c in m.constraints),
                         *(c.forall for c in m.constraints),
                         *(s.expr for s in m.sets.values()), *(p.expr for p in m.params.values()),
                         *(b for v in m.variables.values() for b in (v.lb, v.ub) if isinstance(b, str)),
                         *(b for s in m.sets.values() for b in (s.range or []) if isinstance(b, str))])
    return {k: v for k, v in cands.items() if k not in bound and uses.get(k, 0) == 1}


def _name_counts(texts: list[str | None]) -> dict[str, int]:
    """How often each NAME token occurs in `texts` (a bare set-range bound counts once)."""
    out: dict[str, int] = {}
    for t in texts:
        if not t:
            continue
        try:
            toks = list(tokenize.generate_tokens(io.StringIO(t).readline))
        except (tokenize.TokenError, SyntaxError, IndentationError):
            continue
        for tok in toks:
            if tok.type == tokenize.NAME:
                out[tok.string] = out.get(tok.string, 0) + 1
    return out


def _sub(text: str | None, subst: dict[str, str]) -> str | None:
    """Replace whole NAME tokens found in `subst` (never inside string literals)."""
    if not text or not subst or not any(k in text for k in subst):
        return text
    try:
        toks = list(tokenize.generate_tokens(io.StringIO(text).readline))
    except (tokenize.TokenError, SyntaxError, IndentationError):
        return text
    lines = text.splitlines(keepends=True) or [text]
    offs = [0]
    for ln in lines:
        offs.append(offs[-1] + len(ln))
    edits = []
    for t in toks:
        if t.type == tokenize.NAME and t.string in subst:
            start = offs[t.start[0] - 1] + t.start[1]
            edits.append((start, start + len(t.string), subst[t.string]))
    for a, b, rep in reversed(edits):
        text = text[:a] + rep + text[b:]
    return text


__all__ = ["to_compact"]
