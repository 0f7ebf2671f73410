"""Vectorized lowering of a formal model to arrays (`Lowered`): column bounds, CSR rows, objective,
Q, and CP-SAT records. Implements docs/semantics.md.

Every constraint body is evaluated once over a *frame* holding all its instances (numpy arrays of
element codes per index name); `sum` generators cross-join into child frames and reduce by a
parent-row map, param lookups are gathers into dense tables, and results are ragged term arrays
(`solvers._vector.Lin`). There are no per-instance Python loops on the linear path; CP-SAT
records (one per instance, for CP-sized models) are the exception.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from ._nonlinear import domain_risks, is_expr, leaves_domain, simplify, trees
from ._vector import (
    EV,
    I64,
    NL,
    Dom,
    Frame,
    Lin,
    Quad,
    add,
    group_starts,
    is_lin,
    merge_terms,
    mul_lin,
    neg,
    reduce_sum,
    scale,
)
from .data import (
    Deriver,
    Instance,
    ParamData,
    SetData,
    instance,
    register_deriver,
)
from .diagnostics import Diagnostic, Location, ModelError
from .expr import (
    MATH_FUNCS,
    Agg,
    BinOp,
    BoolOp,
    Call,
    Compare,
    Gen,
    IfExp,
    Index,
    Name,
    Neg,
    Node,
    Not,
    Num,
    Ord,
    ParamKeys,
    SetComp,
    SetEnd,
    SetOp,
    SetRef,
    Step,
    Str,
    Tuple,
    nearest,
    parse_expr,
    parse_forall,
    parse_index_decl,
    walk,
)
from .heap import trim_heap
from .limits import how_to_raise, limit, over_limit
from .lowered import ColumnBlock, CPConstraint, InstanceKeys, Lowered, NLConstraint, RowBlock
from .model import Model, ParamSpec, load_model
from .relaxation import RowRanges

INF = math.inf
TRIM_ABOVE = 200_000  # columns + nonzeros from which the freed heap is returned after lowering
TOL = 1e-9
_MAX_RANGE_LPS = 20  # distinct linear arguments of log/sqrt/division ranged over the rows per model
_RANGE_LP_SIZE = 200_000  # columns + nonzeros above which those ranges stay the box's
_REL = ("<=", ">=", "==", "<", ">")
_TUPLE_NAMES = ("i", "j", "k", "l", "m")


def lower(model, target: str = "highs") -> Lowered:
    """Lower a model (a Model or anything `load_model` accepts) for `target` "highs", "cpsat" or
    "scip" (like "highs", plus nonlinear and quadratic terms kept as expression trees).

    Raises ModelError with located diagnostics for every problem found."""
    if target not in ("highs", "cpsat", "scip"):
        raise ModelError(Diagnostic("bad-target", f"unknown lowering target {target!r}",
                                    hint="use target='highs', 'cpsat' or 'scip'"))
    m = model if isinstance(model, Model) else load_model(model)
    low = _Lowerer(m, target).run()
    if low.n_cols + len(low.a_value) >= TRIM_ABOVE:  # the solver's copy does not stack on freed temporaries
        trim_heap()
    return low


# --------------------------------------------------------------------------- helpers


class _Fail(Exception):
    """Internal: one located diagnostic (collected per constraint)."""

    def __init__(self, diag: Diagnostic):
        super().__init__(str(diag))
        self.diag = diag


@dataclass
class _Ctx:
    section: str
    item: str | None = None
    field: str | None = None
    keys: InstanceKeys | None = None


@dataclass(eq=False)
class _Chunk:
    """Finalized rows: terms sorted by (row, col), lo ≤ terms ≤ hi, inst = instance per row."""

    n: int
    row: np.ndarray
    col: np.ndarray
    coef: np.ndarray
    lo: np.ndarray
    hi: np.ndarray
    inst: np.ndarray


@dataclass(eq=False)
class _Block:
    name: str
    chunks: list
    parts: list  # InstanceKeys parts
    description: str | None = None
    auxiliary: bool = False


def _full(a, n: int) -> np.ndarray:
    return np.broadcast_to(np.asarray(a, dtype=np.float64), (n,))


def _cat(parts: list[np.ndarray], dtype) -> np.ndarray:
    return np.concatenate(parts) if parts else np.empty(0, dtype=dtype)


def _fmt(x) -> str:
    if isinstance(x, float) and math.isfinite(x) and x == int(x) and abs(x) < 1e15:
        return str(int(x))
    return str(x)


class _Lowerer:
    def __init__(self, model: Model, target: str):
        self.model = model
        self.target = target
        self.names = model.names()
        self.inst: Instance
        self.ncols = 0
        self.col_blocks: list[ColumnBlock] = []
        self.lb_parts: list[np.ndarray] = []
        self.ub_parts: list[np.ndarray] = []
        self.int_parts: list[np.ndarray] = []
        self._bounds_cache: tuple[int, np.ndarray, np.ndarray, np.ndarray] | None = None
        self.vars: dict[str, tuple[ColumnBlock, list[SetData]]] = {}
        self.doms: dict[str, Dom] = {}
        self.maps: dict[tuple, tuple] = {}
        self.comps: dict[tuple, tuple] = {}
        self.blocks: list[_Block] = []
        self.aux: dict[str, list[_Chunk]] = {}
        self.cp: list[CPConstraint] = []
        self.diags: list[Diagnostic] = []
        self.errors: list[Diagnostic] = []
        self.ctx = _Ctx("model")
        self.obj_lin: Lin | None = None
        self.nl_obj = None  # the objective's tree when it is nonlinear (target scip)
        self.nl_cons: list[NLConstraint] = []
        self.owner = "model"
        self._hid = 0
        self.cap = limit("max_instances", model._limits)
        self.cap_nz = limit("max_nonzeros", model._limits)
        self.n_rows_seen = 0
        self.n_terms_seen = 0

    # ------------------------------------------------------------------ driver

    def run(self) -> Lowered:
        self.inst = instance(self.model)
        self._sizes()
        self._variables()
        self._objective()
        for spec in self.model.constraints:
            self._constraint(spec)
        if self.errors:
            raise ModelError(self.errors)
        return self._assemble()

    def _guard(self, fn, *args) -> None:
        try:
            fn(*args)
        except _Fail as f:
            self.errors.append(f.diag)
        except ModelError as e:
            self.errors.extend(e.diagnostics)

    # ------------------------------------------------------------------ errors

    def fail(self, code: str, msg: str, node: Node | None = None, frame: Frame | None = None,
             row: int | None = None, symbol: str | None = None, hint: str | None = None) -> _Fail:
        index = None
        if frame is not None and frame.n > 0:
            r = 0 if row is None else int(row)
            index = self._index_at(frame, r)
        loc = Location(section=self.ctx.section, item=self.ctx.item, field=self.ctx.field,
                       index=index, column=(node.col or None) if node is not None else None,
                       symbol=symbol)
        return _Fail(Diagnostic(code, msg, location=loc, hint=hint))

    def _index_at(self, frame: Frame, r: int) -> tuple | None:
        inst = int(frame.root_rows()[r]) if frame.n else 0
        if self.ctx.keys is not None:
            if not self.ctx.keys.parts:
                return None
            return self.ctx.keys.index(inst)
        out: list = []
        for k, ev in frame.binds.items():
            if k.startswith("\0"):
                continue
            v = ev.value(r)
            out.extend(v if isinstance(v, tuple) else (v,))
        return tuple(out) or None

    def _undeclared(self, name: str, node: Node, frame: Frame) -> _Fail:
        cands = list(self.names) + [k for k in frame.binds if not k.startswith("\0")]
        near = nearest(name, cands)
        return self.fail("undeclared-symbol", f"{name!r} is not declared", node, symbol=name,
                         hint=f"did you mean {near!r}?" if near else
                         "declare it under sets, params or variables, or bind it in a generator")

    # ------------------------------------------------------------------ columns

    def _add_cols(self, name: str, count: int, lb, ub, integer: bool, index_sets: list,
                  domain: str, auxiliary: bool) -> int:
        start = self.ncols
        self.col_blocks.append(ColumnBlock(name, start, count, index_sets, domain, auxiliary))
        lb, ub = np.asarray(lb, dtype=np.float64), np.asarray(ub, dtype=np.float64)
        self.lb_parts.append(lb if lb.shape == (count,) else np.array(_full(lb, count)))
        self.ub_parts.append(ub if ub.shape == (count,) else np.array(_full(ub, count)))
        self.int_parts.append(np.full(count, 1 if integer else 0, dtype=np.int8))
        self.ncols += count
        return start

    def _bounds(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        c = self._bounds_cache
        if c is None or c[0] != len(self.lb_parts):
            c = (len(self.lb_parts), _cat(self.lb_parts, np.float64), _cat(self.ub_parts, np.float64),
                 _cat(self.int_parts, np.int8))
            self._bounds_cache = c
        return c[1], c[2], c[3]

    def _sizes(self) -> None:
        """Every variable's instance count within max_instances, and all of them together."""
        errors, total = [], 0
        for name, spec in self.model.variables.items():
            sizes = []
            for entry in spec.index:
                sname = entry.split(" in ", 1)[-1].strip()
                s = self.inst.sets.get(sname)
                sizes.append(len(s) if s is not None else 1)
            count = math.prod(sizes)
            total += count
            if count > self.cap:
                errors.extend(over_limit("max_instances", f"variable {name!r} over {' × '.join(spec.index)}",
                                         count, "instances", self.cap, code="too-many-instances",
                                         section="variables", item=name, field="index").diagnostics)
        if not errors and total > self.cap:
            errors.extend(over_limit("max_instances", "the model's variables together", total, "instances",
                                     self.cap, code="too-many-instances", section="variables").diagnostics)
        if errors:
            raise ModelError(errors)

    def _grow(self, size: int, what: str, node: Node | None) -> None:
        """Refuse, before allocating, a frame of `size` index bindings over max_instances."""
        if size > self.cap:
            d = over_limit("max_instances", what, size, "index bindings", self.cap, code="too-many-instances",
                           section=self.ctx.section, item=self.ctx.item, field=self.ctx.field,
                           column=(node.col or None) if node is not None else None).diagnostics[0]
            raise _Fail(d)

    def _account(self, blocks_before: int) -> None:
        """Running totals of rows and terms: over max_instances / max_nonzeros stops the lowering."""
        for blk in self.blocks[blocks_before:]:
            for ch in blk.chunks:
                self.n_rows_seen += ch.n
                self.n_terms_seen += int(ch.col.size)
        if self.n_rows_seen > self.cap:
            raise ModelError(self.errors + over_limit("max_instances", "the constraints together (up to this one)", self.n_rows_seen,
                             "rows", self.cap, code="too-many-instances", section=self.ctx.section,
                             item=self.ctx.item).diagnostics)
        if self.n_terms_seen > self.cap_nz:
            raise ModelError(self.errors + over_limit("max_nonzeros", "the constraints together (up to this one)", self.n_terms_seen,
                             "terms", self.cap_nz, code="too-many-nonzeros", section=self.ctx.section,
                             item=self.ctx.item).diagnostics)

    def _variables(self) -> None:
        for name, spec in self.model.variables.items():
            self.ctx = _Ctx("variables", name, "index")
            sets: list[SetData] = []
            named: list[str | None] = []
            ok = True
            for entry in spec.index:
                try:
                    iname, sname = parse_index_decl(entry, Location("variables", name, "index"))
                except ModelError as e:
                    self.errors.extend(e.diagnostics)
                    ok = False
                    continue
                s = self.inst.sets.get(sname)
                if s is None:
                    near = nearest(sname, list(self.model.sets))
                    self.errors.append(self.fail(
                        "undeclared-set", f"variable {name!r} is indexed over {sname!r}, which is not a declared set",
                        symbol=sname, hint=f"did you mean {near!r}?" if near else "declare the set in \"sets\"").diag)
                    ok = False
                    continue
                sets.append(s)
                named.append(iname)
            shape = [len(s) for s in sets]
            count = int(np.prod(shape)) if shape else 1
            integer = spec.domain in ("integer", "binary")
            dlb, dub = (0.0, 1.0) if spec.domain == "binary" else (-INF, INF)
            lb = np.full(count, dlb)
            ub = np.full(count, dub)
            if ok:
                frame = None
                keys: InstanceKeys | None = None
                for which, arr in (("lb", lb), ("ub", ub)):
                    raw = getattr(spec, which)
                    if raw is None:
                        continue
                    self.ctx = _Ctx("variables", name, which, None if frame is None else keys)
                    if isinstance(raw, (int, float)) and not math.isnan(raw):
                        arr[:] = max(float(raw), 0.0) if spec.domain == "binary" and which == "lb" else \
                            min(float(raw), 1.0) if spec.domain == "binary" else float(raw)
                        continue
                    try:
                        if frame is None:
                            frame = self._var_frame(sets, named, shape, count)
                            keys = self.ctx.keys
                        vals = self._bound(raw, frame, sets, count)
                    except _Fail as f:
                        self.errors.append(f.diag)
                        continue
                    except ModelError as e:
                        self.errors.extend(e.diagnostics)
                        continue
                    if spec.domain == "binary":
                        vals = np.maximum(vals, 0.0) if which == "lb" else np.minimum(vals, 1.0)
                    arr[:] = vals
            if integer:
                with np.errstate(invalid="ignore"):
                    np.ceil(lb - 1e-9, out=lb)
                    lb += 0.0
                    np.floor(ub + 1e-9, out=ub)
            start = self._add_cols(name, count, lb, ub, integer, sets, spec.domain, False)
            self.vars[name] = (self.col_blocks[-1], sets)
            assert self.col_blocks[-1].start == start

    def _var_frame(self, sets: list[SetData], named: list, shape: list[int], count: int) -> Frame:
        binds: dict[str, EV] = {}
        parts = []
        pos = np.unravel_index(np.arange(count, dtype=I64), shape) if shape else ()
        for k, (s, iname) in enumerate(zip(sets, named)):
            ev = EV(self._dom(s), pos[k].astype(I64), s.dim)
            parts.append((s.elements, ev.codes, s.dim))
            binds[iname if iname else f"\0v{k}"] = ev
        self.ctx.keys = InstanceKeys(parts, None, count)
        return Frame(count, binds)

    def _bound(self, raw, frame: Frame, sets: list[SetData], count: int) -> np.ndarray:
        if isinstance(raw, (int, float)):
            if math.isnan(raw):
                raise self.fail("non-finite", f"{self.ctx.field} is NaN", hint="give a number or null")
            return np.full(count, float(raw))
        node = parse_expr(raw, Location("variables", self.ctx.item, self.ctx.field))
        if isinstance(node, Name) and node.id not in frame.binds and self.names.get(node.id) == "param":
            p = self.inst.params[node.id]
            if p.index and p.index == [s.name for s in sets]:
                vals = p.table.reshape(-1)
                bad = np.isnan(vals)
                if bad.any():
                    r = int(np.flatnonzero(bad)[0])
                    raise self.fail("param-missing-value", f"{node.id} has no value for this instance",
                                    node, frame, r, node.id, hint="give the value or a default")
                return vals.astype(np.float64)
        v = self._data(node, frame)
        return np.array(_full(v, count))

    def _dom(self, s: SetData) -> Dom:
        d = self.doms.get(s.name)
        if d is None:
            d = self.doms[s.name] = Dom(s.elements, s.name)
        return d

    # ------------------------------------------------------------------ frames

    def _set(self, ref: SetRef, frame: Frame) -> SetData:
        name = ref.name or ""
        s = self.inst.sets.get(name)
        if s is not None:
            return s
        kind = self.names.get(name)
        if kind:
            raise self.fail("not-a-set", f"{name!r} is a {kind}, not a set", ref, symbol=name,
                            hint="a generator ranges over a declared set: for i in SetName")
        near = nearest(name, list(self.model.sets))
        raise self.fail("undeclared-symbol", f"set {name!r} is not declared", ref, symbol=name,
                        hint=f"did you mean {near!r}?" if near else "declare it in \"sets\"")

    def _component(self, dom: Dom, k: int) -> tuple[Dom, np.ndarray]:
        key = (id(dom), k)
        c = self.comps.get(key)
        if c is None:
            vals = [e[k] for e in dom.elems]
            cd = Dom(list(dict.fromkeys(vals)))
            pos = cd.pos
            cm = np.fromiter((pos[v] for v in vals), dtype=I64, count=len(vals))
            c = self.comps[key] = (cd, cm, dom)
        return c[0], c[1]

    def _join(self, frame: Frame, gen: Gen) -> Frame:
        over = gen.over
        n = frame.n
        what = f"{', '.join(gen.targets)} in {over.name or 'range(...)'}" + (" (with the enclosing generators)" if n > 1 else "")
        if over.name is not None:
            s = self._set(over, frame)
            dom, dim, k = self._dom(s), s.dim, len(s)
            self._grow(n * k, what, gen)
            parent = np.repeat(np.arange(n, dtype=I64), k)
            codes = np.tile(np.arange(k, dtype=I64), n)
        else:
            lo = self._int_data(over.lo, frame)
            hi = self._int_data(over.hi, frame)
            if n == 1 and np.ndim(lo) and np.ndim(hi):
                what = f"{', '.join(gen.targets)} in range({int(lo[0])}, {int(hi[0])})"
            span = np.maximum(np.asarray(hi, dtype=np.float64) - np.asarray(lo, dtype=np.float64), 0)
            big = float(span.sum()) if span.size else 0.0  # in floats: no int64 wrap-around
            if big > self.cap:
                self._grow(int(min(big, 2.0**62)), what, gen)
            lens = np.maximum(hi - lo, 0)
            parent = np.repeat(np.arange(n, dtype=I64), lens)
            starts = np.zeros(n, dtype=I64)
            np.cumsum(lens[:-1], out=starts[1:])
            vals = lo[parent] + (np.arange(parent.size, dtype=I64) - starts[parent])
            vmin = int(vals.min()) if vals.size else 0
            vmax = int(vals.max()) if vals.size else -1
            if vmax - vmin < 2 * vals.size + 1024:
                dom, dim = Dom(list(range(vmin, vmax + 1))), 1
                codes = vals - vmin
            else:  # widely spread values: only the ones that occur (bounded by the frame)
                uniq, codes = np.unique(vals, return_inverse=True)
                dom, dim = Dom([int(v) for v in uniq]), 1
                codes = codes.astype(I64).reshape(-1)
        binds = {name: ev.take(parent) for name, ev in frame.binds.items()}
        if len(gen.targets) == 1:
            binds[gen.targets[0]] = EV(dom, codes, dim)
        else:
            if len(gen.targets) != dim:
                raise self.fail("index-arity", f"{over.name or 'range'} has elements of dimension {dim}, "
                                f"but {len(gen.targets)} names unpack them", gen,
                                hint=f"write {dim} name(s) in the target, or a single name")
            self._hid += 1
            hidden = f"\0t{self._hid}"
            binds[hidden] = EV(dom, codes, dim)
            for k, t in enumerate(gen.targets):
                cd, cm = self._component(dom, k)
                binds[t] = EV(cd, cm[codes], 1, (hidden, k))
        new_parent = parent if frame.parent is None else frame.parent[parent]
        new_root = parent if frame.root is None else frame.root[parent]
        out = Frame(int(parent.size), binds, new_parent, new_root)
        for c in gen.conds:
            if out.n == 0:
                break
            out = out.filter(self._cond(c, out))
        return out

    def _gens(self, frame: Frame, gens: tuple[Gen, ...]) -> Frame:
        f = Frame(frame.n, dict(frame.binds), None, frame.root)
        for g in gens:
            f = self._join(f, g)
        if f.parent is None:  # no generators: identity
            f = Frame(f.n, f.binds, np.arange(f.n, dtype=I64), f.root)
        return f

    def _forall(self, text: str | None) -> tuple[Frame, InstanceKeys]:
        gens = parse_forall(text, Location(self.ctx.section, self.ctx.item, "forall")) if text else ()
        f = Frame(1, {})
        self.ctx.field = "forall"
        for g in gens:
            f = self._join(f, g)
        frame = Frame(f.n, f.binds)
        parts = []
        for g in gens:
            for t in g.targets:
                ev = frame.binds[t]
                parts.append((ev.dom.elems, ev.codes, ev.dim))
        # a name re-bound by a later generator keeps only its last binding
        keys = InstanceKeys(parts, None, frame.n)
        return frame, keys

    # ------------------------------------------------------------------ element values

    def _elem(self, node: Node, frame: Frame) -> list[EV]:
        """Evaluate an index argument to element values (a Tuple gives several)."""
        if isinstance(node, Tuple):
            out: list[EV] = []
            for e in node.elts:
                out.extend(self._elem(e, frame))
            return out
        if isinstance(node, Name) and node.id in frame.binds:
            return [frame.binds[node.id]]
        if isinstance(node, Str):
            return [EV(Dom([node.value]), np.zeros((), dtype=I64))]
        if isinstance(node, Num):
            if node.value != int(node.value):
                raise self.fail("bad-index", f"{node.value} is not a set element (elements are strings or integers)",
                                node, hint="index with an integer, a string or an index name")
            return [EV(Dom([int(node.value)]), np.zeros((), dtype=I64))]
        if isinstance(node, SetEnd):
            s = self._set(node.over, frame)
            if not s.elements:
                raise self.fail("empty-set", f"{node.kind}({s.name}): the set {s.name} is empty", node,
                                symbol=s.name, hint=f"give {s.name} elements")
            code = 0 if node.kind == "first" else len(s) - 1
            return [EV(self._dom(s), np.asarray(code, dtype=I64), s.dim)]
        if isinstance(node, Step):
            s, p = self._set_pos(node.arg, node.over, node.kind, frame, node)
            q = p - 1 if node.kind == "prev" else p + 1
            if node.wrap:
                q = np.mod(q, max(len(s), 1))
            else:
                bad = (q < 0) | (q >= len(s))
                if np.any(bad):
                    r = int(np.flatnonzero(np.broadcast_to(bad, (frame.n,)))[0]) if q.ndim else 0
                    e = s.elements[int(p if p.ndim == 0 else p[r])]
                    end = "first" if node.kind == "prev" else "last"
                    raise self.fail(
                        "index-not-in-set", f"{node.kind}(): {e!r} is the {end} element of {s.name}, it has no "
                        f"{'previous' if node.kind == 'prev' else 'next'} element", node, frame, r, s.name,
                        hint=f"skip it with `if t != {end}({s.name})` in the forall or sum, branch with "
                             f"`(... if t == {end}({s.name}) else ...)`, or use {node.kind}(t, wrap=True) for a "
                             "cyclic order")
            return [EV(self._dom(s), q.astype(I64), s.dim)]
        if isinstance(node, BinOp) and node.op in ("+", "-"):
            for a, b, sign in ((node.left, node.right, 1), (node.right, node.left, -1)):
                if isinstance(a, Name) and a.id in frame.binds and not self._has_var(b, frame):
                    if sign == -1 and node.op == "-":
                        break  # k - t: general path
                    ev = frame.binds[a.id]
                    num = ev.dom.numeric() if ev.dim == 1 else None
                    if num is None:
                        raise self.fail("index-arithmetic", f"index arithmetic on {a.id!r}, whose elements are not integers",
                                        node, frame, symbol=a.id, hint="arithmetic like t - 1 needs an integer set such as {\"range\": [1, 12]}")
                    k = self._data(b, frame)
                    if k.ndim == 0:
                        kk = float(k)
                        if kk != int(kk):
                            raise self.fail("bad-index", f"index offset {kk} is not an integer", b)
                        kk = int(kk) if node.op == "+" else -int(kk)
                        return [EV(Dom([e + kk for e in ev.dom.elems]), ev.codes)]
                    break
        vals = self._data(node, frame)
        bad = vals != np.round(vals)
        if np.any(bad):
            r = int(np.flatnonzero(np.broadcast_to(bad, (frame.n,)))[0]) if vals.ndim else 0
            v = float(vals if vals.ndim == 0 else vals[r])
            raise self.fail("bad-index", f"index value {v} is not an integer element", node, frame, r,
                            hint="indices are set elements: strings, integers, or integer arithmetic like t - 1")
        iv = vals.astype(I64)
        if iv.ndim == 0:
            return [EV(Dom([int(iv)]), np.zeros((), dtype=I64))]
        uniq, inv = np.unique(iv, return_inverse=True)
        return [EV(Dom([int(u) for u in uniq]), inv.astype(I64))]

    def _set_pos(self, arg: Node, over: SetRef | None, fn: str, frame: Frame, node: Node
                 ) -> tuple[SetData, np.ndarray]:
        """The ordered set of a set function (`ord`, `prev`, `next`) and 0-based positions of its
        argument in it (per row)."""
        evs = self._elem(arg, frame)
        if over is not None:
            s = self._set(over, frame)
        elif len(evs) == 1 and evs[0].dom.set_name is not None and evs[0].dom.set_name in self.inst.sets:
            s = self.inst.sets[evs[0].dom.set_name]
        else:
            raise self.fail("bad-set-function", f"{fn}(): the set of its argument is not known here", node,
                            hint=f"name the set: {fn}(t, S) (an index of a tuple, or an expression, needs it)")
        got = sum(ev.dim for ev in evs)
        if got != s.dim:
            raise self.fail("index-arity", f"{fn}(): {s.name} has elements of dimension {s.dim}, got {got}", node,
                            symbol=s.name, hint=f"pass one element of {s.name}")
        p = self._map(evs[0], s) if len(evs) == 1 and evs[0].dim == s.dim else self._tuple_pos(
            [c for ev in evs for c in (self._split(ev) if ev.dim > 1 else [ev])], s, frame)
        bad = p < 0
        if np.any(bad):
            r = int(np.flatnonzero(np.broadcast_to(bad, (frame.n,)))[0]) if p.ndim else 0
            v = [ev.value(r) for ev in evs]
            raise self.fail("index-not-in-set", f"{fn}(): {v[0] if len(v) == 1 else tuple(v)!r} is not an element "
                            f"of {s.name}", node, frame, r, s.name, hint=f"pass an element of {s.name}")
        return s, p

    def _map(self, ev: EV, s: SetData) -> np.ndarray:
        if ev.dom.set_name == s.name:
            return ev.codes
        key = (id(ev.dom), s.name)
        m = self.maps.get(key)
        if m is None:
            pos = s.pos
            m = np.fromiter((pos.get(e, -1) for e in ev.dom.elems), dtype=I64, count=len(ev.dom))
            self.maps[key] = (m, ev.dom)
        else:
            m = m[0]
        return m[ev.codes]

    def _split(self, ev: EV) -> list[EV]:
        out = []
        for k in range(ev.dim):
            cd, cm = self._component(ev.dom, k)
            out.append(EV(cd, cm[ev.codes], 1))
        return out

    def _positions(self, base: str, sets: list[SetData], args: tuple[Node, ...], frame: Frame,
                   node: Node, allow_missing: bool = False, membership: bool = False) -> np.ndarray:
        """Flat positions (C order over `sets`) of `base[args]` per row; -1 where missing
        (`membership`: of the element tested by `args in base`)."""
        evs: list[EV] = []
        for a in args:
            evs.extend(self._elem(a, frame))
        need = sum(s.dim for s in sets)
        got = sum(ev.dim for ev in evs)
        if need != got and membership:
            s = sets[0]
            ex = s.elements[0] if s.elements else None
            shape = f"{need}-tuples such as {ex!r}" if need > 1 and ex is not None else (
                f"{need}-tuples" if need > 1 else "single elements")
            names = ", ".join(_TUPLE_NAMES[:need]) if need <= len(_TUPLE_NAMES) else None
            raise self.fail("index-arity", f"`... in {base}` tests an element with {got} part(s), but {base} holds {shape}",
                            node, symbol=base,
                            hint=(f"test a whole element, one part per position: ({names}) in {base}; to test "
                                  f"the first part only, define a set such as {{i for ({names}) in {base}}}"
                                  if need > 1 and names else f"test one element: i in {base}"))
        if need != got:
            what = ", ".join(f"{s.name}" + (f" (dimension {s.dim})" if s.dim > 1 else "") for s in sets) or "nothing"
            raise self.fail("index-arity", f"{base} takes {need} index value(s) ({what}), got {got}",
                            node, symbol=base, hint=f"write {base}[{', '.join(s.name[:1].lower() or 'i' for s in sets)}]"
                            if sets else f"{base} is not indexed; write {base} alone")
        queue = list(evs)
        flat = None
        missing = None
        for s in sets:
            d = s.dim
            if queue[0].dim == d:
                ev = queue.pop(0)
                p = self._map(ev, s)
                shown = [ev]
            else:
                comps: list[EV] = []
                while len(comps) < d:
                    h = queue.pop(0)
                    if h.dim == 1:
                        comps.append(h)
                    else:
                        queue[0:0] = self._split(h)
                shown = comps
                if d == 1:
                    p = self._map(comps[0], s)
                else:
                    p = self._tuple_pos(comps, s, frame)
            bad = p < 0
            if np.any(bad):
                if allow_missing:
                    missing = bad if missing is None else (missing | bad)
                    p = np.where(bad, 0, p)
                else:
                    r = int(np.flatnonzero(np.broadcast_to(bad, (frame.n,)))[0]) if p.ndim else 0
                    vals = [e.value(r) for e in shown]
                    v = vals[0] if len(vals) == 1 else tuple(vals)
                    allv = ", ".join(map(str, [e.value(r) for e in evs]))
                    arith = any(isinstance(a, BinOp) for a in args)
                    hint = ("skip the boundary instances with a condition, e.g. add `if t > 1` to the forall"
                            if arith else f"{s.name} has elements such as {', '.join(map(str, s.elements[:3]))}")
                    raise self.fail("index-not-in-set", f"{base}[{allv}]: {v!r} is not in {s.name}",
                                    node, frame, r, base, hint)
            flat = p if flat is None else flat * len(s) + p
        assert flat is not None
        if allow_missing:
            ok = np.ones((), dtype=bool) if missing is None else ~missing
            return np.where(np.broadcast_to(ok, np.broadcast(flat, ok).shape), flat, -1)
        return flat

    def _tuple_pos(self, comps: list[EV], s: SetData, frame: Frame) -> np.ndarray:
        """Positions in the tuple set `s` of the tuples formed by `comps` per row (-1: not in s)."""
        o = comps[0].origin
        if o is not None and all(c.origin is not None and c.origin[0] == o[0] and c.origin[1] == k
                                 for k, c in enumerate(comps)):
            whole = frame.binds.get(o[0])
            if whole is not None and whole.dim == len(comps):
                return self._map(whole, s)
        codes = np.broadcast_arrays(*[c.codes for c in comps])
        sizes = [len(c.dom) for c in comps]
        if math.prod(sizes) >= 2 ** 62:  # the mixed-radix code would overflow: look tuples up one by one
            rows = np.stack([c.reshape(-1) for c in codes], axis=1)
            uniq, inv = np.unique(rows, axis=0, return_inverse=True)
            pos = s.pos
            m = np.fromiter((pos.get(tuple(c.dom.elems[int(i)] for c, i in zip(comps, u)), -1) for u in uniq),
                            dtype=I64, count=len(uniq))
            return m[inv.reshape(-1)].reshape(codes[0].shape)
        comb = np.zeros(codes[0].shape, dtype=I64)
        for c, z in zip(codes, sizes):
            comb = comb * z + c
        keys, where = self._tuple_codes(comps, s, sizes)
        if not len(keys):
            return np.full(comb.shape, -1, dtype=I64)
        i = np.minimum(np.searchsorted(keys, comb), len(keys) - 1)
        return np.where(keys[i] == comb, where[i], -1)

    def _tuple_codes(self, comps: list[EV], s: SetData, sizes: list[int]) -> tuple[np.ndarray, np.ndarray]:
        """The elements of the tuple set `s` as mixed-radix codes over the components' domains
        (sorted), with their positions in `s`; elements with a part outside a domain are left out.
        Work per element of `s` and per distinct part, never per row (cached per set and domains)."""
        key = (s.name, *(id(c.dom) for c in comps))
        hit = self.maps.get(key)
        if hit is not None:
            return hit[0], hit[1]
        sdom = self._dom(s)
        code = np.zeros(len(s), dtype=I64)
        ok = np.ones(len(s), dtype=bool)
        for k, (c, z) in enumerate(zip(comps, sizes)):
            part_dom, part_codes = self._component(sdom, k)
            to_c = np.fromiter((c.dom.pos.get(v, -1) for v in part_dom.elems), dtype=I64, count=len(part_dom))
            ck = to_c[part_codes]
            ok &= ck >= 0
            code = code * z + np.maximum(ck, 0)
        where = np.flatnonzero(ok)
        code = code[where]
        order = np.argsort(code, kind="stable")
        self.maps[key] = (code[order], where[order], [c.dom for c in comps])  # (the domains kept alive: id())
        return code[order], where[order]

    # ------------------------------------------------------------------ data / conditions

    def _find_var(self, node: Node, frame: Frame) -> Node | None:
        for n in walk(node):
            nm = n.id if isinstance(n, Name) else n.base if isinstance(n, Index) else None
            if nm is not None and nm not in frame.binds and self.names.get(nm) == "variable":
                return n
        return None

    def _has_var(self, node: Node, frame: Frame) -> bool:
        return self._find_var(node, frame) is not None

    def _data(self, node: Node, frame: Frame) -> np.ndarray:
        v = self._find_var(node, frame)
        if v is not None:
            nm = v.id if isinstance(v, Name) else v.base  # type: ignore[union-attr]
            raise self.fail("variable-in-data-context",
                            f"variable {nm!r} used where only data is allowed ({self._data_what()})",
                            v, frame, symbol=nm,
                            hint="conditions, bounds, divisors, exponents and ranges use params and index names only; "
                                 "for a decision-dependent condition use implies(y[i], ...) with a binary y")
        out = self._num(node, frame, 0)
        if is_lin(out):
            raise self.fail("variable-in-data-context", f"a variable is used where only data is allowed ({self._data_what()})",
                            node, frame, hint="conditions, bounds, divisors and exponents use params and index names only")
        return out

    def _data_what(self) -> str:
        if self.ctx.section == "params":
            return "a computed param, which is evaluated before solving"
        if self.ctx.section == "sets":
            return "a set definition"
        return {"forall": "a forall condition", "lb": "a bound", "ub": "a bound"}.get(self.ctx.field or "", "a condition, bound, divisor or exponent")

    def _int_data(self, node: Node, frame: Frame) -> np.ndarray:
        v = np.broadcast_to(self._data(node, frame), (frame.n,))
        if np.any(v != np.round(v)):
            raise self.fail("bad-range", "range() bounds must be integers", node, frame,
                            int(np.flatnonzero(v != np.round(v))[0]))
        return v.astype(I64)

    def _elemlike(self, node: Node, frame: Frame) -> bool:
        return isinstance(node, (Str, SetEnd, Step)) or (isinstance(node, Name) and node.id in frame.binds) or \
            (isinstance(node, Tuple) and all(self._elemlike(e, frame) or
                                             (isinstance(e, Num) and e.value == int(e.value))
                                             for e in node.elts))

    def _cond(self, node: Node, frame: Frame) -> np.ndarray:
        n = frame.n
        if isinstance(node, BoolOp):
            # short-circuit as Python does: a later operand is evaluated only on the rows whose
            # outcome is still open (`d[i] != 0 and a[i] / d[i] > 2` never divides by zero)
            r = np.broadcast_to(self._cond(node.values[0], frame), (n,))
            for v in node.values[1:]:
                open_rows = r if node.op == "and" else ~r
                if not open_rows.any():
                    break
                if open_rows.all():
                    r = np.broadcast_to(self._cond(v, frame), (n,))
                    continue
                idx = np.flatnonzero(open_rows)
                r = np.array(r)
                r[idx] = np.broadcast_to(self._cond(v, frame.take(idx)), (len(idx),))
            return np.array(r)
        if isinstance(node, Not):
            return ~self._cond(node.operand, frame)
        if isinstance(node, Compare):
            if node.ops[0] in ("in", "not in"):
                left, ref = node.operands
                assert isinstance(ref, SetRef)
                if ref.name is None:
                    v = np.broadcast_to(self._data(left, frame), (n,))
                    lo = np.broadcast_to(self._data(ref.lo, frame), (n,))
                    hi = np.broadcast_to(self._data(ref.hi, frame), (n,))
                    m = (v >= lo) & (v < hi) & (v == np.round(v))
                else:
                    s = self._set(ref, frame)
                    args = left.elts if isinstance(left, Tuple) else (left,)
                    p = self._positions(s.name, [s], args, frame, node, allow_missing=True, membership=True)
                    m = np.broadcast_to(p >= 0, (n,))
                return ~m if node.ops[0] == "not in" else np.array(m)
            ops = node.ops
            r = np.ones(n, dtype=bool)
            for k, op in enumerate(ops):
                a, b = node.operands[k], node.operands[k + 1]
                r &= self._cmp(a, op, b, frame, node)
            return r
        v = self._data(node, frame)
        return np.array(np.broadcast_to(v != 0, (n,)))

    def _cmp(self, a: Node, op: str, b: Node, frame: Frame, node: Node) -> np.ndarray:
        n = frame.n
        if op not in ("<=", ">=", "==", "<", ">", "!="):
            raise self.fail("bad-condition", f"operator {op!r} cannot be chained", node)
        if isinstance(a, Str) or isinstance(b, Str):
            numeric = False
        elif self._elemlike(a, frame) and self._elemlike(b, frame):
            A, B = self._elem(a, frame), self._elem(b, frame)
            numeric = len(A) == 1 and len(B) == 1 and \
                all(x.dim == 1 and x.dom.numeric() is not None for x in A + B)
        else:
            numeric = True  # numbers compare as floats; _data reports non-numeric elements
        if numeric:
            x = self._data(a, frame)
            y = self._data(b, frame)
            res = {"<=": x <= y, ">=": x >= y, "==": x == y, "<": x < y, ">": x > y, "!=": x != y}[op]
            return np.array(np.broadcast_to(res, (n,)))
        # element (or tuple) comparison: flatten tuples to components, compare lexicographically
        A = [c for e in self._elem(a, frame) for c in (self._split(e) if e.dim > 1 else [e])]
        B = [c for e in self._elem(b, frame) for c in (self._split(e) if e.dim > 1 else [e])]
        if len(A) != len(B):
            if op in ("==", "!="):
                return np.full(n, op == "!=")
            raise self.fail("bad-condition", "cannot order elements of different shapes", node)
        lt = np.zeros(n, dtype=bool)
        eq = np.ones(n, dtype=bool)
        for ea, eb in zip(A, B):
            ra, rb = self._ranks(ea.dom, eb.dom, op, node)
            x = np.broadcast_to(ra[ea.codes], (n,))
            y = np.broadcast_to(rb[eb.codes], (n,))
            if op not in ("==", "!="):
                lt |= eq & (x < y)
            eq &= x == y
        res = {"<=": lt | eq, ">=": ~lt, "==": eq, "<": lt, ">": ~lt & ~eq, "!=": ~eq}[op]
        return np.array(res)

    def _ranks(self, da: Dom, db: Dom, op: str, node: Node) -> tuple[np.ndarray, np.ndarray]:
        union = list(dict.fromkeys(list(da.elems) + list(db.elems)))
        if op not in ("==", "!="):
            try:
                union = sorted(union)
            except TypeError:
                raise self.fail("type-mismatch", "cannot order strings and numbers", node,
                                hint="compare elements of the same kind") from None
        rank = {e: i for i, e in enumerate(union)}
        return (np.fromiter((rank[e] for e in da.elems), dtype=I64, count=len(da)),
                np.fromiter((rank[e] for e in db.elems), dtype=I64, count=len(db)))

    # ------------------------------------------------------------------ expression evaluation

    def _num(self, node: Node, frame: Frame, pol: int):
        """Evaluate to a data array (shape () or (n,)) or a Lin over the frame.

        `pol` is +1 where the value is being minimized (convex functions may use epigraphs),
        -1 where maximized, 0 otherwise."""
        n = frame.n
        if isinstance(node, Num):
            return np.asarray(node.value, dtype=np.float64)
        if isinstance(node, Str):
            raise self.fail("type-mismatch", f"the string {node.value!r} is not a number", node,
                            hint="strings are set elements: use them as indices, x[\"a\"]")
        if isinstance(node, Name):
            return self._name(node, frame)
        if isinstance(node, Index):
            return self._index(node, frame)
        if isinstance(node, Neg):
            return neg(self._num(node.operand, frame, -pol))
        if isinstance(node, BinOp):
            return self._binop(node, frame, pol)
        if isinstance(node, Agg):
            return self._agg(node, frame, pol)
        if isinstance(node, Call):
            return self._call(node, frame, pol)
        if isinstance(node, Ord):
            _, p = self._set_pos(node.arg, node.over, "ord", frame, node)
            return (p + 1).astype(np.float64)
        if isinstance(node, (SetEnd, Step)):
            ev = self._elem(node, frame)[0]
            num = ev.dom.numeric() if ev.dim == 1 else None
            if num is None:
                ex = ev.value(0) if frame.n else "?"
                raise self.fail("type-mismatch", f"{'first/last' if isinstance(node, SetEnd) else node.kind}() gives the "
                                f"element {ex!r}, which is not a number", node,
                                hint="use it as an index (x[prev(t)]) or compare it (t == first(T)); "
                                     "ord(t) gives a position as a number")
            return num[ev.codes]
        if isinstance(node, IfExp):
            mask = self._cond(node.cond, frame)
            if mask.all():
                return self._num(node.then, frame, pol)
            if not mask.any():
                return self._num(node.orelse, frame, pol)
            it, iff = np.flatnonzero(mask), np.flatnonzero(~mask)
            a = self._num(node.then, frame.take(it), pol)
            b = self._num(node.orelse, frame.take(iff), pol)
            return add(reduce_sum(a if is_expr(a) else np.broadcast_to(a, (len(it),)), it, n),
                       reduce_sum(b if is_expr(b) else np.broadcast_to(b, (len(iff),)), iff, n), n)
        if isinstance(node, (Compare, BoolOp, Not)):
            raise self.fail("bad-expression", "a comparison or logical expression is not a value here", node,
                            hint="conditions go after `if` in a generator or forall; comparisons are constraints at the top level")
        if isinstance(node, Tuple):
            raise self.fail("bad-expression", "a tuple is not a value", node, hint="tuples are index arguments: x[i, j]")
        raise self.fail("bad-expression", f"unsupported expression {type(node).__name__}", node)

    def _name(self, node: Name, frame: Frame):
        nm = node.id
        if nm in frame.binds:
            ev = frame.binds[nm]
            num = ev.dom.numeric() if ev.dim == 1 else None
            if num is None:
                ex = ev.dom.elems[0] if len(ev.dom) else "?"
                raise self.fail("type-mismatch", f"index {nm!r} ranges over non-numeric elements (e.g. {ex!r}) and cannot be used as a number",
                                node, symbol=nm, hint="use it as an index (cost[i]) or compare it with == / !=")
            return num[ev.codes]
        kind = self.names.get(nm)
        if kind == "param":
            p = self.inst.params[nm]
            if p.index:
                raise self.fail("missing-index", f"param {nm!r} is indexed over {p.index}; it needs an index",
                                node, symbol=nm, hint=f"write {nm}[{', '.join(s[:1].lower() for s in p.index)}]")
            return np.asarray(p.table, dtype=np.float64)
        if kind == "variable":
            blk, sets = self.vars[nm]
            if sets:
                raise self.fail("missing-index", f"variable {nm!r} is indexed over {[s.name for s in sets]}; it needs an index",
                                node, symbol=nm, hint=f"write {nm}[...] inside sum(... for ...) or a forall")
            return Lin.of_cols(np.asarray(blk.start), frame.n)
        if kind == "set":
            raise self.fail("set-as-value", f"set {nm!r} is used as a value", node, symbol=nm,
                            hint=f"use len({nm}) for its size, or iterate: sum(... for i in {nm})")
        raise self._undeclared(nm, node, frame)

    def _index(self, node: Index, frame: Frame):
        nm = node.base
        if nm in frame.binds:
            raise self.fail("bad-index", f"index name {nm!r} cannot be indexed", node, symbol=nm,
                            hint="only params and variables take [ ]")
        kind = self.names.get(nm)
        if kind == "param":
            p = self.inst.params[nm]
            sets = [self.inst.sets[s] for s in p.index]
            pos = self._positions(nm, sets, node.args, frame, node)
            vals = p.table.reshape(-1)[pos]
            bad = np.isnan(vals)
            if np.any(bad):
                r = int(np.flatnonzero(np.broadcast_to(bad, (frame.n,)))[0]) if vals.ndim else 0
                flat = int(pos if pos.ndim == 0 else pos[r])
                key = np.unravel_index(flat, p.table.shape)
                ks = ", ".join(str(self.inst.sets[s].elements[int(k)]) for s, k in zip(p.index, key))
                raise self.fail("param-missing-value", f"{nm}[{ks}] has no value and {nm} has no default",
                                node, frame, r, nm, hint=f"add the entry to {nm}'s values, or give {nm} a \"default\"")
            return vals
        if kind == "variable":
            blk, sets = self.vars[nm]
            pos = self._positions(nm, sets, node.args, frame, node)
            return Lin.of_cols(blk.start + pos, frame.n)
        if kind == "set":
            raise self.fail("set-as-value", f"set {nm!r} cannot be indexed", node, symbol=nm,
                            hint=f"iterate over it: for i in {nm}; test membership: i in {nm}")
        raise self._undeclared(nm, node, frame)

    def _sign(self, d: np.ndarray) -> int:
        if d.size == 0 or np.all(d >= 0):
            return 1
        if np.all(d <= 0):
            return -1
        return 0

    def _binop(self, node: BinOp, frame: Frame, pol: int):
        n = frame.n
        op = node.op
        if op == "+":
            return add(self._num(node.left, frame, pol), self._num(node.right, frame, pol), n)
        if op == "-":
            return add(self._num(node.left, frame, pol), neg(self._num(node.right, frame, -pol)), n)
        if op == "*":
            lv, rv = self._has_var(node.left, frame), self._has_var(node.right, frame)
            if lv and rv:
                a = self._num(node.left, frame, 0)
                b = self._num(node.right, frame, 0)
                return self._mul_lins(a, b, node, frame)
            if lv:
                d = self._num(node.right, frame, 0)
                return self._mul(self._num(node.left, frame, pol * self._sign(d)), d)
            d = self._num(node.left, frame, 0)
            return self._mul(self._num(node.right, frame, pol * self._sign(d)), d)
        if op == "/":
            if self._has_var(node.right, frame):
                if self.target != "scip":
                    raise self._needs_scip("division by an expression with variables", node)
                return NL(n, "/", (self._num(node.left, frame, 0), self._num(node.right, frame, 0)))
            d = self._data(node.right, frame)
            zero = d == 0
            if np.any(zero):
                r = int(np.flatnonzero(np.broadcast_to(zero, (n,)))[0]) if d.ndim else 0
                raise self.fail("division-by-zero", "division by zero", node, frame, r,
                                hint="guard the divisor with a condition (if d[i] > 0) or fix the data")
            a = self._num(node.left, frame, pol * self._sign(d))
            return self._mul(a, 1.0 / d)
        if op == "**":
            fv = self._find_var(node.right, frame)
            if fv is not None:
                raise self.fail("variable-in-data-context", "the exponent must be a constant", fv,
                                hint="exponents are numbers or params")
            e = self._data(node.right, frame)
            if not self._has_var(node.left, frame):
                b = self._data(node.left, frame)
                with np.errstate(all="ignore"):
                    out = np.power(b, e)
                self._finite(out, node, frame, "the power")
                return out
            ev = np.unique(np.asarray(e).reshape(-1))
            if ev.size != 1 or float(ev[0]) not in (0.0, 1.0, 2.0):
                if self.target != "scip":
                    raise self._needs_scip(f"power {_fmt(float(ev[0])) if ev.size == 1 else 'of varying exponent'} "
                                           "of an expression with variables", node)
                return NL(n, "pow", (self._num(node.left, frame, 0),), p=np.asarray(e, dtype=np.float64))
            k = float(ev[0])
            if k == 0:
                return np.ones(())
            base = self._num(node.left, frame, pol if k == 1 else 0)
            if k == 1:
                return base
            if isinstance(base, NL) or (is_lin(base) and base.q is not None):
                if self.target != "scip":
                    raise self._needs_scip("the square of a quadratic or nonlinear expression", node)
                return NL(n, "pow", (base,), p=2.0)
            return self._mul_lins(base, base, node, frame)
        raise self.fail("bad-operator", f"operator {op!r} is not supported", node)

    def _needs_scip(self, what: str, node: Node, symbol: str | None = None) -> _Fail:
        return self.fail("needs-scip", f"{what} is nonlinear: HiGHS and CP-SAT take linear constraints and a "
                         "convex quadratic objective only", node, symbol=symbol,
                         hint="SCIP solves it to global optimality: backend='scip' (backend='auto' chooses it; "
                              "pip install 'formalize[scip]')")

    def _mul(self, a, d: np.ndarray):
        if isinstance(a, NL):
            return NL(a.n, "*", (a, np.asarray(d, dtype=np.float64)))
        if is_lin(a):
            return scale(a, np.asarray(d, dtype=np.float64))
        with np.errstate(over="ignore", invalid="ignore"):  # inf is reported where it lands
            return a * d

    def _mul_lins(self, a, b, node: Node, frame: Frame):
        if not is_expr(a) or not is_expr(b):
            return self._mul(a, b) if is_expr(a) else self._mul(b, a)
        if isinstance(a, NL) or isinstance(b, NL) or a.q is not None or b.q is not None:
            if self.target != "scip":
                raise self._needs_scip("a product of more than two variables (degree > 2)", node)
            return NL(frame.n, "*", (a, b))
        pairs = float(np.dot(np.bincount(a.row, minlength=a.n).astype(np.float64),
                             np.bincount(b.row, minlength=b.n).astype(np.float64))) if a.row.size and b.row.size else 0.0
        if pairs > self.cap_nz:
            raise _Fail(over_limit("max_nonzeros", "this product of two sums", int(pairs), "quadratic terms",
                                   self.cap_nz, code="too-many-nonzeros", section=self.ctx.section,
                                   item=self.ctx.item, field=self.ctx.field,
                                   column=node.col or None).diagnostics[0])
        return mul_lin(a, b)

    def _finite(self, v: np.ndarray, node: Node, frame: Frame, what: str) -> None:
        bad = ~np.isfinite(v)
        if np.any(bad):
            r = int(np.flatnonzero(np.broadcast_to(bad, (frame.n,)))[0]) if v.ndim else 0
            val = float(v if v.ndim == 0 else v[r])
            raise self.fail("non-finite", f"{what} evaluates to {val}", node, frame, r,
                            hint="check the data (division by zero, overflow, negative base)")

    def _agg(self, node: Agg, frame: Frame, pol: int):
        n = frame.n
        if node.func == "all_different":
            raise self.fail("bad-expression", "all_different is a constraint, not a value", node,
                            hint="write it alone as the constraint expr")
        child = self._gens(frame, node.gens)
        if node.func == "sum":
            if child.n == 0:
                return np.zeros(n)
            body = self._num(node.body, child, pol)
            return reduce_sum(body, child.parent, n)
        if node.func == "prod":
            if self._has_var(node.body, child):
                raise self.fail("nonlinear", "prod() over variables is not supported", node,
                                hint="prod() is allowed on data only; write a product of variables out (x * y * z), "
                                     "which SCIP solves")
            out = np.ones(n)
            if child.n:
                np.multiply.at(out, child.parent, np.broadcast_to(self._data(node.body, child), (child.n,)))
            self._finite(out, node, frame, "the product")
            return out
        # min / max over a generator
        empty = np.bincount(child.parent, minlength=n) == 0 if child.n else np.ones(n, dtype=bool)
        if np.any(empty):
            r = int(np.flatnonzero(empty)[0])
            raise self.fail("empty-aggregate", f"{node.func}() over an empty set", node, frame, r,
                            hint="make sure the generator yields at least one element (check its if)")
        if not self._has_var(node.body, child):
            v = np.broadcast_to(self._data(node.body, child), (child.n,))
            out = np.full(n, -INF if node.func == "max" else INF)
            (np.maximum if node.func == "max" else np.minimum).at(out, child.parent, v)
            return out
        body = self._num(node.body, child, pol if node.func == "max" else pol)
        if isinstance(body, NL) or (is_lin(body) and body.q is not None):
            raise self._minmax_nonlinear(node.func, node)
        if not is_lin(body):
            body = Lin.of_data(body, child.n)
        return self._minmax(node.func, body, child.parent, n, frame, child.root_rows(), pol, node)

    def _call(self, node: Call, frame: Frame, pol: int):
        n = frame.n
        f = node.func
        if f == "len":
            ref = node.args[0]
            assert isinstance(ref, SetRef)
            if ref.name is not None:
                return np.asarray(float(len(self._set(ref, frame))))
            lo, hi = self._data(ref.lo, frame), self._data(ref.hi, frame)
            return np.maximum(hi - lo, 0.0)
        if f in ("implies", "all_different"):
            raise self.fail("bad-expression", f"{f}() is a constraint, not a value", node,
                            hint="write it as the whole constraint expr")
        if not any(self._has_var(a, frame) for a in node.args):
            vals = [np.broadcast_to(self._data(a, frame), (n,)) for a in node.args]
            if f == "abs":
                return np.abs(vals[0])
            if f in MATH_FUNCS:
                return self._math(f, vals[0], node, frame)
            return (np.maximum if f == "max" else np.minimum).reduce(np.stack(vals), axis=0)
        if f in MATH_FUNCS:
            if self.target != "scip":
                raise self._needs_scip(f"{f}() of an expression with variables", node, f)
            return NL(n, f, (self._num(node.args[0], frame, 0),))
        if f == "abs":
            e = self._num(node.args[0], frame, 0)
            if isinstance(e, NL) or (is_lin(e) and e.q is not None):
                if self.target != "scip":
                    raise self._needs_scip("abs() of a quadratic or nonlinear expression", node, f)
                return NL(n, "abs", (e,))
            if self.target == "cpsat":
                return self._minmax("abs", e, np.arange(n, dtype=I64), n, frame, frame.root_rows(), pol, node)
            both = self._stack([e, neg(e)], n)
            return self._minmax("max", both, np.tile(np.arange(n, dtype=I64), 2), n, frame,
                                np.tile(frame.root_rows(), 2), pol, node, label="abs")
        arg_pol = pol if (f == "max" and pol > 0) or (f == "min" and pol < 0) else 0
        es = [self._num(a, frame, arg_pol) for a in node.args]
        for e in es:
            if isinstance(e, NL) or (is_lin(e) and e.q is not None):
                raise self._minmax_nonlinear(f, node)
        k = len(es)
        return self._minmax(f, self._stack(es, n), np.tile(np.arange(n, dtype=I64), k), n, frame,
                            np.tile(frame.root_rows(), k), pol, node)

    def _math(self, f: str, v: np.ndarray, node: Node, frame: Frame) -> np.ndarray:
        """sqrt / exp / log of data, with located domain errors."""
        bad = (v < 0) if f == "sqrt" else (v <= 0) if f == "log" else np.zeros(v.shape, dtype=bool)
        if np.any(bad):
            r = int(np.flatnonzero(np.broadcast_to(bad, (frame.n,)))[0])
            raise self.fail("math-domain", f"{f} of {'the negative' if f == 'sqrt' else 'the nonpositive'} value "
                            f"{_fmt(float(v[r]))}", node, frame, r, f,
                            hint="check the data, or guard the case with `... if cond else ...`")
        with np.errstate(over="ignore"):
            out = {"sqrt": np.sqrt, "exp": np.exp, "log": np.log}[f](v)
        self._finite(out, node, frame, f"{f}()")
        return out

    def _minmax_nonlinear(self, f: str, node: Node) -> _Fail:
        return self.fail("nonlinear", f"{f}() of a quadratic or nonlinear expression is not supported", node, symbol=f,
                         hint=f"introduce a variable t with t {'>=' if f == 'max' else '<='} each argument as "
                              "constraints, and use t")

    def _stack(self, es: list, n: int) -> Lin:
        """Stack k per-row expressions into one Lin over k*n rows (arg k of row r at k*n + r)."""
        rows, cols, coefs, consts = [], [], [], []
        for k, e in enumerate(es):
            e = e if is_lin(e) else Lin.of_data(e, n)
            rows.append(e.row + k * n)
            cols.append(e.col)
            coefs.append(e.coef)
            consts.append(e.const_full())
        return Lin(len(es) * n, np.concatenate(consts), np.concatenate(rows).astype(I64),
                   np.concatenate(cols).astype(I64), np.concatenate(coefs))

    # ------------------------------------------------------------------ activity bounds

    def _act(self, row: np.ndarray, col: np.ndarray, coef: np.ndarray, n: int
             ) -> tuple[np.ndarray, np.ndarray]:
        """Per-row min and max of sum(coef * x[col]) over the column bounds."""
        lb, ub, _ = self._bounds()
        lo_c, hi_c = lb[col], ub[col]
        pos = coef > 0
        with np.errstate(invalid="ignore"):
            cmin = np.where(pos, coef * lo_c, coef * hi_c)
            cmax = np.where(pos, coef * hi_c, coef * lo_c)
        cmin[coef == 0] = 0.0
        cmax[coef == 0] = 0.0
        return np.bincount(row, weights=cmin, minlength=n), np.bincount(row, weights=cmax, minlength=n)

    def _merged(self, e: Lin) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        r, c, k = merge_terms(e.row, e.col, e.coef, self.ncols)
        return r, c, k, np.array(e.const_full())

    # ------------------------------------------------------------------ min / max / abs

    def _minmax(self, func: str, E: Lin, grp: np.ndarray, n: int, frame: Frame, arg_inst: np.ndarray,
                pol: int, node: Node, label: str | None = None) -> Lin:
        """Auxiliary column t (one per row of `frame`) equal to func over the arg rows of E
        grouped by `grp`; epigraph rows when the use is convex, exact form otherwise."""
        label = label or func
        m = E.n
        r, c, k, const = self._merged(E)
        amin, amax = self._act(r, c, k, m)
        amin, amax = amin + const, amax + const
        inst = frame.root_rows()
        if func in ("max", "abs"):
            tlo, thi = np.full(n, -INF), np.full(n, -INF)
            if func == "abs":
                tlo = np.maximum(0.0, np.maximum(amin, -amax))
                thi = np.maximum(np.abs(amin), np.abs(amax))
            else:
                np.maximum.at(tlo, grp, amin)
                np.maximum.at(thi, grp, amax)
        else:
            tlo, thi = np.full(n, INF), np.full(n, INF)
            np.minimum.at(tlo, grp, amin)
            np.minimum.at(thi, grp, amax)
        aux_name = f"_{label}[{self.owner}]"
        if self.target == "cpsat":
            t0 = self._add_cols(aux_name, n, tlo, thi, True, [], "integer", True)
            starts = group_starts(r, m)
            order = np.argsort(grp, kind="stable")
            gs = group_starts(grp[order], n)
            for i in range(n):
                exprs = []
                for a in order[gs[i]:gs[i + 1]]:
                    s0, s1 = starts[a], starts[a + 1]
                    exprs.append((c[s0:s1].copy(), k[s0:s1].copy(), float(const[a])))
                self.cp.append(CPConstraint(label, self.owner, self._key(inst[i]),
                                            {"target": t0 + i, "exprs": exprs}))
            return Lin.of_cols(t0 + np.arange(n, dtype=I64), n)
        convex = (func == "max" and pol > 0) or (func == "min" and pol < 0)
        if label == "abs":
            tlo = np.maximum(tlo, 0.0)
        # t is integral when every argument is (integer columns, integer coefficients and
        # constants): then it is an integer column, so `max(...) < b` stays a valid strict row
        _, _, integ = self._bounds()
        whole = bool(np.all(integ[c] != 0) and np.all(k == np.round(k)) and np.all(const == np.round(const)))
        t0 = self._add_cols(aux_name, n, tlo, thi, whole, [], "integer" if whole else "real", True)
        tcols = t0 + grp
        sgn = 1.0 if func == "max" else -1.0
        # epigraph rows: sgn * (t - e) >= 0  →  sgn*t - sgn*e_terms >= sgn*const
        row = np.concatenate([np.arange(m, dtype=I64), r])
        col = np.concatenate([tcols, c])
        coef = np.concatenate([np.full(m, sgn), -sgn * k])
        lo = sgn * const + 0.0
        self._aux_chunk(label, m, row, col, coef, lo, np.full(m, INF), arg_inst)
        if convex:
            return Lin.of_cols(t0 + np.arange(n, dtype=I64), n)
        # exact: binaries z per arg row, sum_z = 1 per group, sgn*(t - e) <= M (1 - z)
        if func == "max":
            M = thi[grp] - amin
        else:
            M = amax - tlo[grp]
        bad = ~np.isfinite(M)
        if np.any(bad):
            a = int(np.flatnonzero(bad)[0])
            raise self.fail("big-m-unbounded",
                            f"{label}() is used in a non-convex position and needs finite bounds on its arguments", node,
                            frame, int(grp[a]), hint="give the variables inside lb and ub so a big-M can be derived")
        M = np.maximum(M, 0.0)
        z0 = self._add_cols(f"_{label}_z[{self.owner}]", m, 0.0, 1.0, True, [], "binary", True)
        row = np.concatenate([np.arange(m, dtype=I64), r, np.arange(m, dtype=I64)])
        col = np.concatenate([tcols, c, z0 + np.arange(m, dtype=I64)])
        coef = np.concatenate([np.full(m, sgn), -sgn * k, M])
        self._aux_chunk(label, m, row, col, coef, np.full(m, -INF), M + sgn * const, arg_inst)
        self._aux_chunk(label, n, grp, z0 + np.arange(m, dtype=I64), np.ones(m), np.ones(n), np.ones(n), inst)
        return Lin.of_cols(t0 + np.arange(n, dtype=I64), n)

    def _aux_chunk(self, label: str, n: int, row, col, coef, lo, hi, inst) -> None:
        r, c, k = merge_terms(np.asarray(row, dtype=I64), np.asarray(col, dtype=I64),
                              np.asarray(coef, dtype=np.float64), self.ncols)
        self.aux.setdefault(label, []).append(
            _Chunk(n, r, c, k, np.array(_full(lo, n)), np.array(_full(hi, n)), np.asarray(inst, dtype=I64)))

    def _key(self, inst: int):
        return self.ctx.keys(int(inst)) if self.ctx.keys is not None else ()

    # ------------------------------------------------------------------ objective

    def _objective(self) -> None:
        m = self.model
        self.ctx = _Ctx("objective", None, "expr", InstanceKeys([], None, 1))
        self.owner = "objective"
        if m.is_feasibility:
            return
        try:
            node = parse_expr(m.objective, Location("objective", None, "expr"))
            pol = 1 if m.sense == "minimize" else -1
            frame = Frame(1, {})
            v = self._num(node, frame, pol)
            if isinstance(v, NL):
                self.nl_obj = simplify(trees(v, 1, self.ncols)[0])
                self._flush_aux("objective", [], None)
                return
            lin = v if is_lin(v) else Lin.of_data(v, 1)
            parts = [lin.coef, np.asarray(lin.const, dtype=np.float64).reshape(-1)]
            if lin.q is not None:
                parts.append(lin.q.coef)
            if not all(np.isfinite(p).all() for p in parts):
                raise self.fail("non-finite", "a coefficient or the constant of the objective is not finite",
                                node, hint="check the data for overflow or division by tiny numbers")
            self.obj_lin = lin
            self._flush_aux("objective", [], None)
        except _Fail as f:
            self.errors.append(f.diag)
        except ModelError as e:
            self.errors.extend(e.diagnostics)

    # ------------------------------------------------------------------ constraints

    def _constraint(self, spec) -> None:
        self.ctx = _Ctx("constraints", spec.name, "forall")
        self.owner = spec.name
        self.aux = {}
        before = len(self.blocks)
        try:
            frame, keys = self._forall(spec.forall)
            self.ctx.keys = keys
            self.ctx.field = "expr"
            node = parse_expr(spec.expr, Location("constraints", spec.name, "expr"))
            blk = _Block(spec.name, [], keys.parts, spec.description)
            if frame.n:
                self._top(node, frame, blk)
            self.blocks.append(blk)
            self._flush_aux(spec.name, keys.parts, spec.description)
        except _Fail as f:
            self.errors.append(f.diag)
        except ModelError as e:
            self.errors.extend(e.diagnostics)
        self._account(before)

    def _flush_aux(self, owner: str, parts: list, description: str | None) -> None:
        for label, chunks in self.aux.items():
            self.blocks.append(_Block(f"_{label}[{owner}]", chunks, parts, description, True))
        self.aux = {}

    def _top(self, node: Node, frame: Frame, blk: _Block) -> None:
        if isinstance(node, BoolOp) and node.op == "and":
            for v in node.values:
                self._top(v, frame, blk)
            return
        if isinstance(node, Compare) and node.ops == ("!=",):
            self._not_equal(node, frame, blk)
            return
        if isinstance(node, Compare):
            for lin, lo, hi in self._rows(node, frame):
                self._plain_rows(lin, lo, hi, frame, blk, node)
            return
        if isinstance(node, Call) and node.func == "implies":
            self._implies(node, frame, blk)
            return
        if isinstance(node, BoolOp) and node.op == "or":
            self._disjunction(node, frame, blk)
            return
        if isinstance(node, (Call, Agg)) and node.func == "all_different":
            self._all_different(node, frame, blk)
            return
        raise self.fail("not-a-constraint", "a constraint must be a comparison (<=, >=, ==), a chain, "
                        "implies(...), all_different(...), or and/or of comparisons", node,
                        hint="e.g. \"sum(x[i] for i in I) <= cap\"")

    def _rows(self, node: Node, frame: Frame) -> list[tuple[Lin, np.ndarray, np.ndarray]]:
        """Linear rows (Lin with const, lo, hi) of a comparison, chain or `and` of them."""
        if isinstance(node, BoolOp) and node.op == "and":
            out = []
            for v in node.values:
                out.extend(self._rows(v, frame))
            return out
        if not isinstance(node, Compare):
            raise self.fail("not-a-constraint", "expected a comparison here", node,
                            hint="implies/or take comparisons such as x[i] <= 5")
        ops = node.ops
        for op in ops:
            if op in ("in", "not in"):
                raise self.fail("bad-constraint", "a membership test is a condition, not a constraint", node,
                                hint="put it after `if` in the forall")
            if op == "!=":
                raise self.fail("bad-constraint", "!= cannot be combined with other comparisons here", node,
                                hint="write `a != b` alone as the constraint (CP-SAT only)")
        n = frame.n
        k = len(ops)
        pols = []
        for i in range(k + 1):
            p = set()
            if i > 0:
                p.add({"<=": -1, "<": -1, ">=": 1, ">": 1, "==": 0}[ops[i - 1]])
            if i < k:
                p.add({"<=": 1, "<": 1, ">=": -1, ">": -1, "==": 0}[ops[i]])
            pols.append(p.pop() if len(p) == 1 else 0)
        vals = [self._num(o, frame, pl) for o, pl in zip(node.operands, pols)]
        for v in vals:
            if self.target != "scip" and is_lin(v) and v.q is not None:
                q = self._find_quad(node, frame) or node
                raise self.fail("needs-scip", "a quadratic term in a constraint", q,
                                frame, int(v.q.row.min()) if v.q.row.size else 0,
                                hint="HiGHS takes quadratic terms in the objective only; SCIP solves quadratic "
                                     "constraints to global optimality: backend='scip' (backend='auto' chooses it; "
                                     "pip install 'formalize[scip]')")
        out = []
        if k == 2 and all(o in ("<=", ">=") for o in ops) and ops[0] == ops[1] and \
                not is_expr(vals[0]) and not is_expr(vals[2]):
            lo, hi = (vals[0], vals[2]) if ops[0] == "<=" else (vals[2], vals[0])
            e = vals[1] if is_expr(vals[1]) else Lin.of_data(vals[1], n)
            return [(e, np.array(_full(lo, n)), np.array(_full(hi, n)))]
        for i, op in enumerate(ops):
            d = add(vals[i], neg(vals[i + 1]), n)
            d = d if is_expr(d) else Lin.of_data(d, n)
            if (isinstance(d, NL) or d.q is not None) and op in ("<", ">"):
                raise self.fail("strict-inequality", "a strict inequality over a nonlinear expression", node,
                                hint="use <= or >= (with an explicit margin if intended)")
            lo, hi = np.full(n, -INF), np.full(n, INF)
            if op in ("<=", "=="):
                hi = np.zeros(n)
            if op in (">=", "=="):
                lo = np.zeros(n)
            if op in ("<", ">"):
                # a row without variables is decided exactly on the data (d < 0 / d > 0)
                has = self._strict_ok(d, node, frame)
                c = d.const_full()
                if op == "<":
                    hi = np.where(has | (c >= 0), -1.0, 0.0)
                else:
                    lo = np.where(has | (c <= 0), 1.0, 0.0)
            out.append((d, lo, hi))
        return out

    def _find_quad(self, node: Node, frame: Frame) -> Node | None:
        for x in walk(node):
            if isinstance(x, BinOp) and x.op == "*" and self._has_var(x.left, frame) and self._has_var(x.right, frame):
                return x
            if isinstance(x, BinOp) and x.op == "**" and self._has_var(x.left, frame):
                return x
        return None

    def _strict_ok(self, d: Lin, node: Node, frame: Frame) -> np.ndarray:
        """Check that `d < 0` / `d > 0` is exact as `d <= -1` / `d >= 1` on every row that has
        variables (after merging terms); returns that per-row mask."""
        _, _, integ = self._bounds()
        r, col, k = merge_terms(d.row, d.col, d.coef, self.ncols)
        has = np.bincount(r, minlength=d.n) > 0 if r.size else np.zeros(d.n, dtype=bool)
        bad_t = (integ[col] == 0) | (k != np.round(k))
        c = d.const_full()
        bad_rows = np.flatnonzero(has & (c != np.round(c)))
        rows = np.concatenate([r[bad_t], bad_rows])
        if rows.size:
            r = int(rows.min())
            raise self.fail("strict-inequality",
                            "a strict inequality (< or >) needs integer variables with integer coefficients and constants",
                            node, frame, r, hint="use <= or >= (with an explicit margin if intended, e.g. x <= y - 0.001)")
        return has

    def _chunk(self, lin: Lin, lo: np.ndarray, hi: np.ndarray, frame: Frame, node: Node) -> _Chunk:
        if isinstance(lin, NL) or lin.q is not None:
            raise self.fail("nonlinear", "a nonlinear or quadratic constraint inside implies/or is not supported",
                            node, hint="keep logic over linear constraints; model the nonlinear part as its own "
                                       "constraint on a variable that the logic then uses")
        n = lin.n
        r, c, k, const = self._merged(lin)
        with np.errstate(over="ignore", invalid="ignore"):  # inf - inf: reported just below
            lo = np.asarray(lo, dtype=np.float64) - const
            hi = np.asarray(hi, dtype=np.float64) - const
        bad_t = ~np.isfinite(k)
        bad = np.isnan(lo) | np.isnan(hi) | (lo == INF) | (hi == -INF) | ~np.isfinite(const)
        if np.any(bad_t) or np.any(bad):
            rows = np.concatenate([r[bad_t], np.flatnonzero(bad)])
            raise self.fail("non-finite", "a coefficient or bound of this constraint is not finite", node,
                            frame, int(rows.min()), hint="check the data for overflow or division by tiny numbers")
        return _Chunk(n, r, c, k, lo, hi, frame.root_rows())

    def _plain_rows(self, lin: Lin, lo, hi, frame: Frame, blk: _Block, node: Node) -> None:
        if isinstance(lin, NL) or lin.q is not None:
            self._nl_rows(lin, lo, hi, frame, blk, node)
            return
        ch = self._chunk(lin, lo, hi, frame, node)
        has = np.bincount(ch.row, minlength=ch.n) > 0 if ch.row.size else np.zeros(ch.n, dtype=bool)
        if not has.all():
            empty = ~has
            scale_ = np.maximum(1.0, np.maximum(np.abs(np.where(np.isfinite(ch.lo), ch.lo, 0)),
                                                np.abs(np.where(np.isfinite(ch.hi), ch.hi, 0))))
            ok = (ch.lo <= TOL * scale_) & (ch.hi >= -TOL * scale_)
            false_rows = np.flatnonzero(empty & ~ok)
            if false_rows.size:
                r = int(false_rows[0])
                what = []
                if not ch.lo[r] <= TOL:
                    what.append(f"needs 0 >= {_fmt(float(ch.lo[r]))}")
                if not ch.hi[r] >= -TOL:
                    what.append(f"needs 0 <= {_fmt(float(ch.hi[r]))}")
                raise self.fail("infeasible-constant",
                                f"this instance has no variables and is false on the data ({'; '.join(what)} after moving constants)",
                                node, frame, r, hint="check the data or the constraint; add an `if` to the forall to skip such instances")
            ntriv = int(empty.sum())
            self.diags.append(Diagnostic("trivial-constraint",
                                         f"{ntriv} instance(s) have no variables and hold on the data; dropped",
                                         severity="info",
                                         location=Location(section="constraints", item=self.ctx.item, field="expr"),
                                         hint=None))
            keep = np.flatnonzero(has)
            newpos = np.full(ch.n, -1, dtype=I64)
            newpos[keep] = np.arange(keep.size, dtype=I64)
            ch = _Chunk(int(keep.size), newpos[ch.row], ch.col, ch.coef, ch.lo[keep], ch.hi[keep], ch.inst[keep])
        if ch.n:
            blk.chunks.append(ch)

    def _nl_rows(self, e, lo, hi, frame: Frame, blk: _Block, node: Node) -> None:
        """Nonlinear (or quadratic) constraint instances: one expression tree each (target scip)."""
        n = frame.n
        lo = np.broadcast_to(np.asarray(lo, dtype=np.float64), (n,))
        hi = np.broadcast_to(np.asarray(hi, dtype=np.float64), (n,))
        inst = frame.root_rows()
        for i, t in enumerate(trees(e, n, self.ncols)):
            t = simplify(t)
            if t[0] == "const":  # no variables left in this instance: judged on the data
                v = float(t[1])
                if not (lo[i] - TOL * max(1.0, abs(v)) <= v <= hi[i] + TOL * max(1.0, abs(v))):
                    raise self.fail("infeasible-constant", "this instance has no variables and is false on the data",
                                    node, frame, i, hint="check the data or the constraint")
                continue
            self.nl_cons.append(NLConstraint(blk.name, self._key(int(inst[i])), t, float(lo[i]), float(hi[i])))

    # ------------------------------------------------------------------ logic

    def _literal(self, node: Node, frame: Frame) -> tuple[np.ndarray, bool]:
        positive = True
        lit = node
        if isinstance(node, Not):
            lit, positive = node.operand, False
        elif isinstance(node, Compare) and len(node.ops) == 1 and node.ops[0] in ("==", ">=", "<="):
            a, b = node.operands
            if self._has_var(b, frame) and not self._has_var(a, frame):
                a, b = b, a
                op = {"==": "==", ">=": "<=", "<=": ">="}[node.ops[0]]
            else:
                op = node.ops[0]
            if self._has_var(b, frame):
                raise self._bad_lit(node)
            v = np.unique(np.asarray(self._data(b, frame)).reshape(-1))
            if v.size != 1:
                raise self._bad_lit(node)
            val = float(v[0])
            if (op, val) in (("==", 1.0), (">=", 1.0)):
                positive = True
            elif (op, val) in (("==", 0.0), ("<=", 0.0)):
                positive = False
            else:
                raise self._bad_lit(node)
            lit = a
        if not isinstance(lit, (Name, Index)):
            raise self._bad_lit(node)
        e = self._num(lit, frame, 0)
        n = frame.n
        lb, ub, integ = self._bounds()
        if not is_lin(e) or e.q is not None or e.row.size != n or np.any(e.coef != 1) or np.any(e.const != 0) \
                or not np.array_equal(e.row, np.arange(n)):
            raise self._bad_lit(node)
        if not (np.all(integ[e.col] == 1) and np.all(lb[e.col] >= 0) and np.all(ub[e.col] <= 1)):
            raise self.fail("implies-literal", "the condition of implies must be a binary variable", lit,
                            symbol=getattr(lit, "base", getattr(lit, "id", None)),
                            hint="declare it with \"domain\": \"binary\"")
        return e.col, positive

    def _bad_lit(self, node: Node) -> _Fail:
        return self.fail("implies-literal", "the condition of implies must be a binary variable y[i], "
                         "not y[i], y[i] == 1 or y[i] == 0", node,
                         hint="write implies(y[i] == 1, x[i] <= cap[i])")

    def _implied(self, ch: _Chunk, ycol: np.ndarray, positive: bool, frame: Frame, node: Node) -> list[_Chunk]:
        """Big-M rows enforcing the rows of `ch` when the literal holds."""
        n = ch.n
        amin, amax = self._act(ch.row, ch.col, ch.coef, n)
        out = []
        for side in ("hi", "lo"):
            b = ch.hi if side == "hi" else ch.lo
            sel = np.isfinite(b)
            if not sel.any():
                continue
            with np.errstate(invalid="ignore"):
                M = (amax - b) if side == "hi" else (b - amin)
            bad = sel & ~np.isfinite(M)
            if np.any(bad):
                r = int(np.flatnonzero(bad)[0])
                tcols = ch.col[ch.row == r]
                lb, ub, _ = self._bounds()
                unb = [c for c in tcols if not np.isfinite(ub[c] if side == "hi" else lb[c]) or
                       not np.isfinite(lb[c] if side == "hi" else ub[c])]
                sym = self._col_var(int(unb[0])) if unb else None
                raise self.fail("big-m-unbounded",
                                f"the implied constraint needs a big-M, but {sym or 'a variable'} has no finite bound",
                                node, frame, r, sym, hint="give the variables lb and ub so a big-M can be derived")
            sel &= np.greater(M, TOL * np.maximum(1.0, np.abs(np.where(np.isfinite(b), b, 0))))
            if not sel.any():
                continue
            keep = np.flatnonzero(sel)
            newpos = np.full(n, -1, dtype=I64)
            newpos[keep] = np.arange(keep.size, dtype=I64)
            tm = sel[ch.row]
            m_k = M[keep]
            # hi: a·x + M z <= b + M ; z = y (positive) or 1 - y
            # lo: a·x - M z >= b - M
            sgn = 1.0 if side == "hi" else -1.0
            ycoef = sgn * m_k if positive else -sgn * m_k
            bound = b[keep] + sgn * m_k if positive else b[keep]
            row = np.concatenate([newpos[ch.row[tm]], np.arange(keep.size, dtype=I64)])
            col = np.concatenate([ch.col[tm], ycol[keep]])
            coef = np.concatenate([ch.coef[tm], ycoef])
            r, c, k = merge_terms(row, col, coef, self.ncols)
            lo = bound if side == "lo" else np.full(keep.size, -INF)
            hi = bound if side == "hi" else np.full(keep.size, INF)
            out.append(_Chunk(int(keep.size), r, c, k, lo, hi, ch.inst[keep]))
        return out

    def _col_var(self, col: int) -> str | None:
        for b in self.col_blocks:
            if b.start <= col < b.start + b.count:
                return b.name
        return None

    def _cp_rows(self, ch: _Chunk, i: int, starts: np.ndarray) -> tuple:
        s0, s1 = starts[i], starts[i + 1]
        return ((ch.col[s0:s1].copy(), ch.coef[s0:s1].copy(), 0.0), float(ch.lo[i]), float(ch.hi[i]))

    def _implies(self, node: Call, frame: Frame, blk: _Block) -> None:
        lit, cons = node.args
        ycol, positive = self._literal(lit, frame)
        chunks = [self._chunk(lin, lo, hi, frame, cons) for lin, lo, hi in self._rows(cons, frame)]
        if self.target == "cpsat":
            starts = [group_starts(ch.row, ch.n) for ch in chunks]
            for i in range(frame.n):
                rows = [self._cp_rows(ch, i, st) for ch, st in zip(chunks, starts)]
                self.cp.append(CPConstraint("implies", blk.name, self._key(i),
                                            {"literal": (int(ycol[i]), positive), "rows": rows}))
            return
        for ch in chunks:
            blk.chunks.extend(self._implied(ch, ycol, positive, frame, node))

    def _disjunction(self, node: BoolOp, frame: Frame, blk: _Block) -> None:
        n = frame.n
        alts = [[self._chunk(lin, lo, hi, frame, v) for lin, lo, hi in self._rows(v, frame)]
                for v in node.values]
        if self.target == "cpsat":
            starts = [[group_starts(ch.row, ch.n) for ch in alt] for alt in alts]
            for i in range(n):
                data = [[self._cp_rows(ch, i, st) for ch, st in zip(alt, sts)] for alt, sts in zip(alts, starts)]
                self.cp.append(CPConstraint("or", blk.name, self._key(i), {"alternatives": data}))
            return
        K = len(alts)
        z0 = self._add_cols(f"_or[{blk.name}]", n * K, 0.0, 1.0, True, [], "binary", True)
        zc = z0 + np.arange(n * K, dtype=I64)
        blk.chunks.append(_Chunk(n, np.repeat(np.arange(n, dtype=I64), K), zc, np.ones(n * K),
                                 np.ones(n), np.full(n, INF), frame.root_rows()))
        for k, alt in enumerate(alts):
            ycol = z0 + np.arange(n, dtype=I64) * K + k
            for ch in alt:
                blk.chunks.extend(self._implied(ch, ycol, True, frame, node.values[k]))

    def _exprs_per_row(self, E: Lin) -> list[tuple]:
        r, c, k, const = self._merged(E)
        st = group_starts(r, E.n)
        return [(c[st[i]:st[i + 1]].copy(), k[st[i]:st[i + 1]].copy(), float(const[i])) for i in range(E.n)]

    def _all_different(self, node: Call | Agg, frame: Frame, blk: _Block) -> None:
        if self.target != "cpsat":
            raise self.fail("needs-cpsat", "all_different is only supported by CP-SAT", node,
                            symbol="all_different", hint="use backend='cpsat'")
        n = frame.n
        if isinstance(node, Agg):
            child = self._gens(frame, node.gens)
            body = self._num(node.body, child, 0)
            body = body if is_lin(body) else Lin.of_data(np.broadcast_to(body, (child.n,)), child.n)
            grp = child.parent
        else:
            es = [self._num(a, frame, 0) for a in node.args]
            body = self._stack(es, n)
            grp = np.tile(np.arange(n, dtype=I64), len(es))
        if body.q is not None:
            raise self.fail("nonlinear", "all_different takes linear expressions", node)
        exprs = self._exprs_per_row(body)
        order = np.argsort(grp, kind="stable")
        gs = group_starts(grp[order], n)
        for i in range(n):
            self.cp.append(CPConstraint("all_different", blk.name, self._key(i),
                                        {"exprs": [exprs[a] for a in order[gs[i]:gs[i + 1]]]}))

    def _not_equal(self, node: Compare, frame: Frame, blk: _Block) -> None:
        n = frame.n
        a = self._num(node.operands[0], frame, 0)
        b = self._num(node.operands[1], frame, 0)
        d = add(a, neg(b), n)
        d = d if is_lin(d) else Lin.of_data(d, n)
        if d.q is not None:
            raise self.fail("nonlinear", "quadratic terms are not supported in constraints", node)
        r, c, k, const = self._merged(d)
        has = np.bincount(r, minlength=n) > 0 if r.size else np.zeros(n, dtype=bool)
        false_rows = np.flatnonzero(~has & (const == 0))
        if false_rows.size:
            raise self.fail("infeasible-constant", "this instance has no variables and is false on the data (both sides equal)",
                            node, frame, int(false_rows[0]), hint="check the data, or skip the instance with an `if` in the forall")
        if not has.any():
            return
        if self.target != "cpsat":
            raise self.fail("needs-cpsat", "!= between expressions is only supported by CP-SAT", node,
                            symbol="!=", hint="use backend='cpsat', or model the disjunction a <= b - 1 or a >= b + 1")
        st = group_starts(r, n)
        for i in np.flatnonzero(has):
            i = int(i)
            self.cp.append(CPConstraint("not_equal", blk.name, self._key(i),
                                        {"expr": (c[st[i]:st[i + 1]].copy(), k[st[i]:st[i + 1]].copy(), float(const[i]))}))

    # ------------------------------------------------------------------ assembly

    def _domain_warnings(self, low: Lowered) -> None:
        """A warning per constraint (and the objective) whose log / sqrt / division / fractional
        power may leave its domain within the variables' bounds (interval arithmetic) and, for a
        linear argument, within the LP relaxation of the linear rows too (solvers/relaxation.py)."""
        lb, ub = np.asarray(low.col_lb, float), np.asarray(low.col_ub, float)
        seen: set[tuple[str, str]] = set()
        items = [(c.name, c.key, c.tree) for c in low.nl_constraints]
        if low.nl_objective is not None:
            items.append(("objective", (), low.nl_objective))
        ranges: dict[tuple, tuple[float, float] | None] = {}
        rows = RowRanges(low)  # HiGHS loads the rows once, on the first linear argument

        def over_rows(arg: Any) -> tuple[float, float] | None:
            """The argument's range over the linear rows too, when it is linear (cached; at most
            _MAX_RANGE_LPS distinct arguments per model)."""
            if arg[0] != "lin" or low.n_rows == 0 or len(arg[1]) == 0 \
                    or low.n_cols + len(low.a_value) > _RANGE_LP_SIZE:
                return None
            k = (arg[1].tobytes(), arg[2].tobytes())
            if k not in ranges:
                if len(ranges) >= _MAX_RANGE_LPS:
                    return None
                ranges[k] = rows.range(arg[1], arg[2], arg[3])
            return ranges[k]

        for name, key, tree in items:
            for fn, (a, b), arg in domain_risks(tree, lb, ub):
                if (name, fn) in seen:
                    continue
                rows_iv = over_rows(arg)
                where = "over the variables' bounds"
                if rows_iv is not None:
                    a, b = max(a, rows_iv[0]), min(b, rows_iv[1])
                    if not leaves_domain(fn, (a, b)):
                        continue  # the constraints keep it inside the domain
                    where = "over the variables' bounds and the linear constraints"
                seen.add((name, fn))
                what = {"log": "log() of an expression that may be <= 0", "sqrt": "sqrt() of an expression that may "
                        "be < 0", "/": "a division by an expression that may be 0"}.get(
                            fn, f"a power {fn} of an expression that may be negative or 0")
                index = None if key == () else (key if isinstance(key, tuple) else (key,))
                section = "objective" if name == "objective" else "constraints"
                self.diags.append(Diagnostic(
                    "nonlinear-domain", f"{what}: {where} it ranges in [{_fmt(a)}, {_fmt(b)}]",
                    severity="warning", location=Location(section=section, item=None if name == "objective" else name,
                                                          field="expr", index=index, symbol=fn),
                    hint="give the variables bounds that keep the argument inside the domain (e.g. \"lb\": 0.001 for "
                         "a log or a divisor), or add a constraint that does; SCIP then never evaluates outside it"))

    def _assemble(self) -> Lowered:
        ncols = self.ncols
        lb, ub, integ = self._bounds()
        # rows
        cnt_l, cols_l, vals_l, lo_l, hi_l = [], [], [], [], []
        row_blocks: list[RowBlock] = []
        off = 0
        for b in self.blocks:
            start = off
            insts = []
            for ch in b.chunks:
                cnt_l.append(np.bincount(ch.row, minlength=ch.n) if ch.row.size else np.zeros(ch.n, dtype=I64))
                cols_l.append(ch.col)
                vals_l.append(ch.coef)
                lo_l.append(ch.lo)
                hi_l.append(ch.hi)
                insts.append(ch.inst)
                off += ch.n
            count = off - start
            inst = np.concatenate(insts) if insts else np.empty(0, dtype=I64)
            row_blocks.append(RowBlock(b.name, start, count, InstanceKeys(b.parts, inst, count),
                                       b.description, b.auxiliary))
        nrows = off
        a_index = np.concatenate(cols_l, dtype=np.int32) if cols_l else np.empty(0, dtype=np.int32)
        a_value = np.concatenate(vals_l) if vals_l else np.empty(0)
        a_start = np.zeros(nrows + 1, dtype=I64)
        if cnt_l:
            np.cumsum(np.concatenate(cnt_l), out=a_start[1:])
        row_lo = np.concatenate(lo_l) if lo_l else np.empty(0)
        row_hi = np.concatenate(hi_l) if hi_l else np.empty(0)
        # objective
        obj = np.zeros(ncols)
        offset = 0.0
        qr = qc = np.empty(0, dtype=np.int32)
        qv = np.empty(0)
        e = self.obj_lin
        if e is not None:
            if e.col.size:
                obj = np.bincount(e.col, weights=e.coef, minlength=ncols).astype(np.float64)
            offset = float(np.asarray(e.const).reshape(-1)[0])
            if e.q is not None and e.q.coef.size:
                q = e.q
                r = np.concatenate([q.c1, q.c2])
                c = np.concatenate([q.c2, q.c1])
                v = np.concatenate([q.coef, q.coef])
                r, c, v = merge_terms(r, c, v, ncols)
                qr, qc, qv = r.astype(np.int32), c.astype(np.int32), v
        sense = "feasibility" if self.model.is_feasibility else self.model.sense
        low = Lowered(sense=sense, col_lb=lb, col_ub=ub, integrality=integ, cols=self.col_blocks,
                       obj=obj, obj_offset=offset, q_rows=qr, q_cols=qc, q_vals=qv,
                       a_start=a_start, a_index=a_index, a_value=a_value, row_lo=row_lo, row_hi=row_hi,
                       rows=row_blocks, cp_constraints=self.cp, problem_class="LP",
                       nl_constraints=self.nl_cons,
                       nl_objective=self.nl_obj if sense != "feasibility" else None,
                       diagnostics=self.diags)
        if low.is_nonlinear:
            self._domain_warnings(low)
        # the class counts the columns the model uses: a declared integer variable that nothing
        # refers to does not make a convex QP mixed-integer
        integ_used = (integ != 0) & low.used_columns()
        kinds = {c.kind for c in self.cp}
        if low.is_nonlinear:
            low.problem_class = "MINLP" if integ_used.any() else "NLP"
        elif kinds & {"all_different", "not_equal"}:
            low.problem_class = "CP"
        elif qv.size:
            low.problem_class = "MIQP" if integ_used.any() else "QP"
        elif integ_used.any():
            low.problem_class = "MILP"
        return low


# --------------------------------------------------------------------------- derived data
# Derived sets and computed params, evaluated vectorized at build time with the frames above: a
# filter is one frame row per combination with its conditions as boolean masks, a computed param
# one data expression over the frame of all its index combinations (`dist[i in N, j in N]`: |N|²
# rows at once). The checker recomputes both with its own scalar evaluator
# (`solvers.checker.ScalarDeriver`); `data.instance` runs the one registered for it.


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
        if len(elems) > low.cap:
            raise over_limit("max_instances", f"set {name!r}", len(elems), "elements", low.cap,
                             code="set-too-large", section="sets", item=name, field="expr")
        return SetData(name, elems, dim)

    def _eval(self, low: _Lowerer, node: Node, name: str) -> tuple[list, int]:
        """(elements, dimension) of a set expression."""
        if isinstance(node, SetRef):
            if node.name is not None:
                s = low._set(node, Frame(1, {}))
                return s.elements, s.dim
            lo = int(low._int_data(node.lo, Frame(1, {})).reshape(-1)[0])  # type: ignore[arg-type]
            hi = int(low._int_data(node.hi, Frame(1, {})).reshape(-1)[0])  # type: ignore[arg-type]
            if hi - lo > low.cap:
                raise low.fail("set-too-large", f"range({lo}, {hi}) has {hi - lo:,} elements, over the limit of "
                               f"{low.cap:,} (max_instances)", node,
                               hint=how_to_raise("max_instances") + ", or use a smaller range")
            return list(range(lo, max(lo, hi))), 1
        if isinstance(node, SetOp):
            a, da = self._eval(low, node.left, name)
            b, db = self._eval(low, node.right, name)
            if node.op == "*":
                size = len(a) * len(b)
                if size > low.cap:
                    raise low.fail("set-too-large", f"the product has {size:,} elements, over the limit of "
                                   f"{low.cap:,} (max_instances)", node,
                                   hint="filter the pairs that exist: \"(i, j) in A * B if <condition>\"; or "
                                        + how_to_raise("max_instances"))
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
            if f.n * max(1, self._size(low, g)) > low.cap:
                raise low.fail("set-too-large", f"the filter enumerates {f.n * max(1, self._size(low, g)):,} "
                               f"combinations, over the limit of {low.cap:,} (max_instances)", g,
                               hint="filter a smaller product, or split the definition into steps; or "
                                    + how_to_raise("max_instances"))
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
        count = math.prod(shape)
        if count > low.cap:
            raise over_limit("max_instances", f"param {name!r} over {' × '.join(spec.index_sets)}", count, "entries",
                             low.cap, code="param-too-large", section="params", item=name, field="index")
        try:
            frame = low._var_frame(sets, list(spec.index_names), shape, count)
            low.ctx.field = "expr"
            vals = np.broadcast_to(np.asarray(low._data(node, frame), dtype=np.float64), (count,))
            low._finite(vals, node, frame, "the computed value")
        except _Fail as f:
            raise ModelError(f.diag) from None
        table = np.array(vals.reshape(shape) if shape else vals.reshape(()), dtype=np.float64)
        return ParamData(name, list(spec.index_sets), table, None, [s.dim for s in sets])


register_deriver(False, VectorDeriver)

__all__ = ["lower", "Quad", "VectorDeriver"]
