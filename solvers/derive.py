"""Derived sets and computed params, evaluated vectorized at build time with the lowering's frames.

A derived set (`SetSpec.expr`) is set algebra over declared sets (`A | B`, `A & B`, `A - B`,
`A * B`), `keys(p)`, a filter (`(i, j) in N * N if i != j`: one frame row per combination,
conditions as boolean masks) or a projection (`{(j, i) for (i, j) in Arcs}`). A computed param
(`ParamSpec.expr`) is one data expression evaluated over the frame of all its index combinations
(`dist[i in N, j in N]`: |N|² rows at once), so distances from coordinates or unit conversions cost
a few numpy calls whatever the size. The checker recomputes both with its own scalar evaluator
(`solvers.checker.ScalarDeriver`); `data.instance` decides which one runs.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ._vector import EV, I64, Frame
from .data import MAX_DENSE, MAX_SET_SIZE, Deriver, Instance, ParamData, SetData
from .diagnostics import Diagnostic, Location, ModelError
from .expr import Gen, Node, ParamKeys, SetComp, SetOp, SetRef, nearest
from .lower import _Ctx, _Fail, _Lowerer
from .model import Model, ParamSpec


def _err(code: str, msg: str, hint: str, **loc: Any) -> ModelError:
    return ModelError(Diagnostic(code, msg, location=Location(**loc), hint=hint))


def combine(a: Any, b: Any) -> tuple:
    """The flat tuple of two elements (either may be a tuple): a product's element."""
    return (a if isinstance(a, tuple) else (a,)) + (b if isinstance(b, tuple) else (b,))


def _objects(values: list) -> np.ndarray:
    """A 1-d object array of elements (tuples stay whole)."""
    out = np.empty(len(values), dtype=object)
    if values and isinstance(values[0], tuple):
        for k, v in enumerate(values):
            out[k] = v
    else:
        out[:] = values
    return out


def _factors(node: Node) -> list[Node]:
    """The factors of a product `A * B * C`, left to right."""
    if isinstance(node, SetOp) and node.op == "*":
        return _factors(node.left) + _factors(node.right)
    return [node]


class VectorDeriver(Deriver):
    """Derived sets and computed params through the lowering's vectorized evaluator."""

    def _lowerer(self, model: Model, inst: Instance, section: str, name: str) -> _Lowerer:
        low = _Lowerer(model, "highs")
        low.inst = Instance(dict(inst.sets), inst.params)  # temporary sets never leak out
        low.ctx = _Ctx(section, name, "expr")
        return low

    def set(self, model: Model, inst: Instance, name: str, node: Any) -> SetData:
        low = self._lowerer(model, inst, "sets", name)
        try:
            elems, dim = self._eval(low, node, name)
        except _Fail as f:
            raise ModelError(f.diag) from None
        if len(elems) > MAX_SET_SIZE:
            raise _err("set-too-large", f"set {name!r} has {len(elems)} elements (limit {MAX_SET_SIZE})",
                       "filter it further", section="sets", item=name, field="expr")
        return SetData(name, elems, dim)

    def _eval(self, low: _Lowerer, node: Node, name: str) -> tuple[list, int]:
        """(elements, dimension) of a set expression."""
        if isinstance(node, SetRef):
            if node.name is not None:
                s = low._set(node, Frame(1, {}))
                return s.elements, s.dim
            lo = int(low._int_data(node.lo, Frame(1, {})).reshape(-1)[0])  # type: ignore[arg-type]
            hi = int(low._int_data(node.hi, Frame(1, {})).reshape(-1)[0])  # type: ignore[arg-type]
            if hi - lo > MAX_SET_SIZE:
                raise low.fail("set-too-large", f"range({lo}, {hi}) has {hi - lo} elements (limit {MAX_SET_SIZE})",
                               node, hint="use a smaller range")
            return list(range(lo, max(lo, hi))), 1
        if isinstance(node, SetOp):
            a, da = self._eval(low, node.left, name)
            b, db = self._eval(low, node.right, name)
            if node.op == "*":
                size = len(a) * len(b)
                if size > MAX_SET_SIZE:
                    raise low.fail("set-too-large", f"the product has {size} elements (limit {MAX_SET_SIZE})", node,
                                   hint="filter the pairs that exist: \"(i, j) in A * B if <condition>\"")
                ia = np.repeat(np.arange(len(a), dtype=I64), len(b))
                ib = np.tile(np.arange(len(b), dtype=I64), len(a))
                oa, ob = _objects(a)[ia], _objects(b)[ib]
                if da == 1 and db == 1:
                    return list(zip(oa.tolist(), ob.tolist())), 2
                return [combine(x, y) for x, y in zip(oa.tolist(), ob.tolist())], da + db
            if da != db and a and b:
                sym = {"|": "union", "&": "intersection", "-": "difference"}[node.op]
                raise low.fail("set-shape", f"the {sym} combines sets of dimension {da} and {db}", node,
                               hint="both sides must hold elements of the same shape (e.g. both pairs)")
            dim = da if a else db
            if node.op == "|":
                return list(dict.fromkeys([*a, *b])), dim
            bset = set(b)
            if node.op == "&":
                return [e for e in a if e in bset], dim
            return [e for e in a if e not in bset], dim
        if isinstance(node, ParamKeys):
            return self._keys(low, node)
        if isinstance(node, SetComp):
            return self._comp(low, node, name)
        raise low.fail("bad-set", f"{type(node).__name__} is not a set expression", node,
                       hint="see docs/model-format.md, \"Derived sets\"")

    def _keys(self, low: _Lowerer, node: ParamKeys) -> tuple[list, int]:
        p = low.inst.params.get(node.param)
        if p is None or not p.index:
            kind = low.names.get(node.param)
            near = nearest(node.param, [n for n, q in low.model.params.items() if q.index])
            what = f"a {kind}" if kind else "not declared"
            raise low.fail("bad-set", f"keys({node.param}): {node.param!r} is {what}, not an indexed param",
                           node, symbol=node.param,
                           hint=f"did you mean keys({near})?" if near else "keys() takes an indexed param")
        mask = ~np.isnan(p.table) if p.given is None else p.given
        pos = np.nonzero(mask)
        cols = []
        for sname, k in zip(p.index, pos):
            cols.append(_objects(low.inst.sets[sname].elements)[k].tolist())
        dim = sum(p.dims)
        if len(cols) == 1:
            return cols[0], dim
        out = []
        for parts in zip(*cols):
            flat: tuple = ()
            for x in parts:
                flat = combine(flat, x)
            out.append(flat)
        return out, dim

    def _named(self, low: _Lowerer, node: Node, name: str, tag: str) -> SetRef:
        """A generator's set as a SetRef: declared sets as they are, anything else evaluated
        into a temporary set."""
        if isinstance(node, SetRef):
            return node
        elems, dim = self._eval(low, node, name)
        tmp = f"\0{name}#{tag}"
        low.inst.sets[tmp] = SetData(tmp, elems, dim)
        return SetRef(name=tmp, col=node.col)

    def _comp(self, low: _Lowerer, node: SetComp, name: str) -> tuple[list, int]:
        gens = []
        for k, g in enumerate(node.gens):
            over = g.over
            factors = _factors(over) if isinstance(over, SetOp) and over.op == "*" else [over]
            refs = [self._named(low, f, name, f"{k}.{j}") for j, f in enumerate(factors)]
            dims = [low._set(r, Frame(1, {})).dim if r.name is not None else 1 for r in refs]
            if len(refs) > 1 and sum(dims) == len(g.targets):
                # (i, j) in A * B: one join per factor (no product of tuples is built)
                pos = 0
                for j, (r, d) in enumerate(zip(refs, dims)):
                    last = j == len(refs) - 1
                    gens.append(Gen(g.targets[pos:pos + d], r, g.conds if last else (), col=g.col))
                    pos += d
                continue
            gens.append(Gen(g.targets, self._named(low, over, name, str(k)), g.conds, col=g.col))
        f = Frame(1, {})
        for g in gens:
            if f.n * max(1, self._size(low, g)) > MAX_SET_SIZE * 4:
                raise low.fail("set-too-large", "the filter enumerates too many combinations", g,
                               hint="filter a smaller product, or split the definition into steps")
            f = low._join(f, g)
        frame = Frame(f.n, f.binds)
        if node.elts is None:
            evs = [frame.binds[t] for g in gens for t in g.targets]
        else:
            evs = [ev for e in node.elts for ev in low._elem(e, frame)]
        cols = []
        for ev in evs:
            codes = np.broadcast_to(ev.codes, (frame.n,))
            cols.append((_objects(list(ev.dom.elems))[codes].tolist(), ev.dim))
        dim = sum(d for _, d in cols)
        if len(cols) == 1:
            vals = cols[0][0]
        elif all(d == 1 for _, d in cols):
            vals = list(zip(*(c for c, _ in cols)))
        else:
            vals = []
            for parts in zip(*(c for c, _ in cols)):
                flat: tuple = ()
                for x in parts:
                    flat = combine(flat, x)
                vals.append(flat)
        targets = [t for g in gens for t in g.targets]
        if node.elts is None and len(set(targets)) == len(targets):
            return vals, dim  # distinct combinations of distinct elements: no duplicates
        return list(dict.fromkeys(vals)), dim

    @staticmethod
    def _size(low: _Lowerer, g: Gen) -> int:
        s = low.inst.sets.get(g.over.name or "") if isinstance(g.over, SetRef) else None
        return len(s) if s is not None else 1

    def param(self, model: Model, inst: Instance, name: str, spec: ParamSpec, node: Any) -> ParamData:
        low = self._lowerer(model, inst, "params", name)
        sets = []
        for sname in spec.index_sets:
            s = inst.sets.get(sname)
            if s is None:
                near = nearest(sname, list(model.sets))
                raise _err("undeclared-set", f"param {name!r} is indexed over {sname!r}, which is not a declared set",
                           f"did you mean {near!r}?" if near else "declare the set in \"sets\"",
                           section="params", item=name, field="index", symbol=sname)
            sets.append(s)
        shape = [len(s) for s in sets]
        count = int(np.prod(shape)) if shape else 1
        if count > MAX_DENSE:
            raise _err("param-too-large", f"param {name!r} spans {count} entries over {spec.index_sets} "
                       f"(limit {MAX_DENSE})", "index it over a tuple set of the combinations that exist",
                       section="params", item=name, field="index")
        try:
            frame = low._var_frame(sets, list(spec.index_names), shape, count)
            low.ctx.field = "expr"
            vals = np.broadcast_to(np.asarray(low._data(node, frame), dtype=np.float64), (count,))
            low._finite(vals, node, frame, "the computed value")
        except _Fail as f:
            raise ModelError(f.diag) from None
        table = np.array(vals.reshape(shape) if shape else vals.reshape(()), dtype=np.float64)
        return ParamData(name, list(spec.index_sets), table, None, [s.dim for s in sets])


__all__ = ["VectorDeriver", "combine", "EV"]
