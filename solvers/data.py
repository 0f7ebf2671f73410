"""Resolved data of a model: ordered set elements and param tables, from inline values or files.

`instance(model)` resolves everything once (cached on the model) and raises a located
`ModelError` for missing files, wrong shapes, unknown keys and non-finite numbers.
Params are stored dense over the product of their index sets (NaN = not given), which is what
the vectorized lowering gathers from; `ParamData.get` is the scalar view the checker uses.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .diagnostics import Diagnostic, Location, ModelError
from .limits import limit, over_limit
from .model import FileRef, Model, ParamSpec, SetSpec


@dataclass
class SetData:
    """An ordered set of elements (str/int for dimension 1, tuples otherwise)."""

    name: str
    elements: list
    dim: int
    _pos: dict | None = field(default=None, repr=False)

    @property
    def pos(self) -> dict:
        """element → 0-based position."""
        if self._pos is None:
            self._pos = {e: i for i, e in enumerate(self.elements)}
        return self._pos

    def __len__(self) -> int:
        return len(self.elements)

    def __contains__(self, e: Any) -> bool:
        return e in self.pos

    @property
    def is_integer(self) -> bool:
        """True when every element is an int (index arithmetic is allowed)."""
        return self.dim == 1 and all(isinstance(e, int) for e in self.elements)


@dataclass
class ParamData:
    """A param: a scalar, or a dense table over its index sets (NaN marks missing entries)."""

    name: str
    index: list[str]  # set names
    table: np.ndarray  # shape () for scalars; one axis per index set
    default: float | None = None
    dims: list[int] = field(default_factory=list)  # dimension of each index set
    given: np.ndarray | None = None  # entries given explicitly (before the default); None: all

    @property
    def is_scalar(self) -> bool:
        return not self.index

    def get(self, key: tuple, inst: Instance) -> float:
        """Value at a key of elements (tuple-set elements may be given flat or nested).

        Raises KeyError with a message when the key is not in the index sets or not given."""
        if self.is_scalar:
            return float(self.table)
        pos = inst.positions(self.index, self.dims, key)
        v = float(self.table[pos])
        if math.isnan(v):
            if self.default is not None:
                return self.default
            raise KeyError(f"{self.name}[{', '.join(map(str, key))}] has no value")
        return v


@dataclass
class Instance:
    """All resolved sets and params of a model."""

    sets: dict[str, SetData]
    params: dict[str, ParamData]

    def positions(self, index: list[str], dims: list[int], key: tuple) -> tuple[int, ...]:
        """Map a flat or nested key of elements to table positions over `index` sets."""
        flat = _flatten_key(key)
        need = sum(dims)
        if len(flat) != need:
            raise KeyError(f"expected {need} index value(s), got {len(flat)}")
        out = []
        k = 0
        for sname, d in zip(index, dims):
            s = self.sets[sname]
            e = flat[k] if d == 1 else tuple(flat[k:k + d])
            k += d
            p = s.pos.get(_norm(e))
            if p is None:
                raise KeyError(f"{e!r} is not an element of {sname}")
            out.append(p)
        return tuple(out)


def _norm(e: Any) -> Any:
    if isinstance(e, float) and math.isfinite(e) and e == int(e):
        return int(e)
    if isinstance(e, tuple):
        return tuple(_norm(x) for x in e)
    if isinstance(e, (np.integer,)):
        return int(e)
    return e


def _flatten_key(key: Any) -> list:
    if not isinstance(key, tuple):
        key = (key,)
    out: list = []
    for k in key:
        if isinstance(k, (tuple, list)):
            out.extend(_norm(x) for x in k)
        else:
            out.append(_norm(k))
    return out


# --------------------------------------------------------------------------- resolution


class Deriver:
    """How derived sets and computed params are evaluated: the lowering's vectorized evaluator
    (`solvers.derive`, for `instance`) or the checker's scalar one (`instance(scalar=True)`), so
    that the independent checker recomputes them with code it does not share."""

    def set(self, model: Model, inst: Instance, name: str, node: Any) -> SetData:
        raise NotImplementedError

    def param(self, model: Model, inst: Instance, name: str, spec: ParamSpec, node: Any) -> ParamData:
        raise NotImplementedError


def has_derived(model: Model) -> bool:
    """True when a set or param is defined by an expression."""
    return any(s.expr is not None for s in model.sets.values()) or \
        any(p.expr is not None for p in model.params.values())


_DERIVERS: dict[bool, Callable[[], Deriver]] = {}


def register_deriver(scalar: bool, factory: Callable[[], Deriver]) -> None:
    """Install the evaluator of derived sets and computed params: `solvers.lower` registers the
    vectorized one (scalar=False) and `solvers.checker` the scalar one when they are imported."""
    _DERIVERS[scalar] = factory


def instance(model: Model, scalar: bool = False) -> Instance:
    """Resolve (once, cached on the model) all sets and params, in dependency order (a derived set
    or computed param after what it refers to); raises ModelError with every problem found.

    `scalar=True` evaluates derived sets and computed params with the checker's scalar evaluator
    (the same instance as the default when there is none)."""
    derived = has_derived(model)
    if scalar and not derived:
        scalar = False
    key = "instance_scalar" if scalar else "instance"
    cached = model._cache.get(key)
    if cached is not None:
        return cached
    factory = _DERIVERS.get(scalar)
    if derived and factory is None:
        raise RuntimeError("derived sets and computed params are evaluated by solvers.lower (or, scalar, "
                           "solvers.checker): import it before resolving the data")
    inst = _resolve(model, factory() if factory is not None else Deriver())
    model._cache[key] = inst
    return inst


def _resolve(model: Model, deriver: Deriver) -> Instance:
    diags: list[Diagnostic] = []
    sets: dict[str, SetData] = {}
    params: dict[str, ParamData] = {}
    inst = Instance(sets, params)
    nodes: dict[tuple[str, str], Any] = {}
    order = _order(model, nodes, diags)
    # what is not in the order failed to parse or lies on a cycle (both reported)
    failed: set[str] = (set(model.sets) | set(model.params)) - {n for _, n in order}
    for kind, name in order:
        deps = nodes.get((kind, name), (None, set()))[1]
        if deps & failed:
            failed.add(name)  # its dependency is reported already
            continue
        try:
            if kind == "set":
                spec = model.sets[name]
                if spec.expr is not None:
                    _one_kind(name, spec)
                    sets[name] = deriver.set(model, inst, name, nodes[(kind, name)][0])
                else:
                    sets[name] = _resolve_set(model, name, spec, params)
            else:
                pspec = model.params[name]
                if pspec.expr is not None:
                    _computed_ok(name, pspec)
                    params[name] = deriver.param(model, inst, name, pspec, nodes[(kind, name)][0])
                elif pspec.index:
                    params[name] = _indexed_param(model, name, pspec, inst)
                else:
                    params[name] = _scalar_param(model, name, pspec)
        except ModelError as e:
            diags.extend(e.diagnostics)
            failed.add(name)
    if diags:
        raise ModelError(diags)
    return inst


def _order(model: Model, nodes: dict, diags: list[Diagnostic]) -> list[tuple[str, str]]:
    """Sets and params in an order where each comes after what it refers to (declaration order
    otherwise; scalar params first, as set ranges may use them). Parses the definitions into
    `nodes[(kind, name)] = (tree, dependency names)`; a cycle is a `cyclic-definition` error."""
    from .expr import parse_expr, parse_set_expr, set_names

    declared = set(model.sets) | set(model.params)
    deps: dict[tuple[str, str], set[str]] = {}
    for name, spec in model.sets.items():
        d: set[str] = {b for b in spec.range or [] if isinstance(b, str)}
        tree = None
        if spec.expr is not None:
            try:
                tree = parse_set_expr(spec.expr, Location(section="sets", item=name, field="expr"))
                d |= set_names(tree)
            except ModelError as e:
                diags.extend(e.diagnostics)
                continue
        deps[("set", name)] = d & declared
        nodes[("set", name)] = (tree, deps[("set", name)])
    for name, pspec in model.params.items():
        d = set(pspec.index_sets)
        tree = None
        if pspec.expr is not None:
            try:
                tree = parse_expr(pspec.expr, Location(section="params", item=name, field="expr"))
                d |= set_names(tree) - {n for n in pspec.index_names if n}
            except ModelError as e:
                diags.extend(e.diagnostics)
                continue
        deps[("param", name)] = d & declared
        nodes[("param", name)] = (tree, deps[("param", name)])
    kind_of = {n: "set" for n in model.sets}
    for n in model.params:
        kind_of.setdefault(n, "param")
    items = [k for k in deps if k[0] == "param" and not model.params[k[1]].index_sets
             and model.params[k[1]].expr is None]
    items += [k for k in deps if k not in items]
    out: list[tuple[str, str]] = []
    state: dict[tuple[str, str], int] = {}  # 1 visiting, 2 done
    for start in items:
        if state.get(start):
            continue
        stack: list[tuple[tuple[str, str], list]] = [(start, sorted(deps[start]))]
        state[start] = 1
        while stack:
            item, todo = stack[-1]
            if not todo:
                stack.pop()
                state[item] = 2
                out.append(item)
                continue
            nxt_name = todo.pop()
            nxt = (kind_of[nxt_name], nxt_name)
            if nxt not in deps:
                continue  # failed to parse: reported
            if state.get(nxt) == 1:
                cycle = [k[1] for k, _ in stack]
                cycle = cycle[cycle.index(nxt_name):] + [nxt_name]
                diags.append(Diagnostic("cyclic-definition", "the definitions refer to each other in a cycle: "
                                        + " → ".join(cycle), location=Location(section=nxt[0] + "s", item=nxt_name,
                                                                               field="expr"),
                                        hint="define one of them from data (values, elements or a file), not "
                                             "from the others"))
                for k, _ in stack:
                    state[k] = 3  # on a cycle: never resolved (nor what depends on it)
                stack.clear()
                break
            if not state.get(nxt):
                state[nxt] = 1
                stack.append((nxt, sorted(deps[nxt])))
    return out


def _one_kind(name: str, spec: SetSpec) -> None:
    kinds = [k for k in ("elements", "range", "from_", "expr") if getattr(spec, k) is not None]
    if len(kinds) != 1:
        raise _err("set-shape", f"set {name!r} must have exactly one of elements, range, from, expr (has "
                   f"{', '.join(k.rstrip('_') for k in kinds)})",
                   "keep the definition (expr) or the data, not both", section="sets", item=name)


def _computed_ok(name: str, spec: ParamSpec) -> None:
    given = [k for k, v in (("value", spec.value), ("values", spec.values), ("from", spec.from_),
                            ("default", spec.default)) if v is not None]
    if given:
        raise _err("param-shape", f"param {name!r} has an expr and {', '.join(given)}",
                   "a computed param is defined by its expr alone (guard missing cases with "
                   "`a if cond else b`)", section="params", item=name, field="expr")


def _err(code: str, msg: str, hint: str | None = None, **loc) -> ModelError:
    return ModelError(Diagnostic(code, msg, location=Location(**loc), hint=hint))


def _scalar_param(model: Model, name: str, spec: ParamSpec) -> ParamData:
    if spec.from_ is not None:
        rows = _read_rows(model, spec.from_, "params", name)
        col = spec.from_.column
        if not rows or col is None or col not in rows[0]:
            cols = _columns(rows[0]) if rows else "none: the file has no rows"
            raise _err("data-column", f"column {_short(col, 60)} not found in {_short(spec.from_.file)} (columns: {cols})",
                       "name an existing column",
                       section="params", item=name, field="from")
        v = _to_float(rows[0][col], "params", name, ())
    elif spec.value is not None:
        v = spec.value
    elif spec.values is not None and isinstance(spec.values, (int, float)) and not isinstance(spec.values, bool):
        v = float(spec.values)
    else:
        raise _err("param-no-value", f"param {name!r} has no value", "give \"value\": <number>, or \"index\" with \"values\"",
                   section="params", item=name)
    if not math.isfinite(v):
        raise _err("non-finite", f"param {name!r} is {v} (not a finite number)", "use a finite number; drop the bound or constraint instead of using infinity",
                   section="params", item=name, field="value")
    return ParamData(name, [], np.array(float(v)), spec.default, [])


def _resolve_set(model: Model, name: str, spec: SetSpec, params: dict[str, ParamData]) -> SetData:
    kinds = [k for k in ("elements", "range", "from_") if getattr(spec, k) is not None]
    if len(kinds) != 1:
        raise _err("set-shape", f"set {name!r} must have exactly one of elements, range, from, expr (has {len(kinds)})",
                   "write a list of elements, {\"range\": [lo, hi]}, {\"from\": {...}} or a definition "
                   "such as \"A | B\"", section="sets", item=name)
    if spec.range is not None:
        if len(spec.range) != 2:
            raise _err("set-shape", f"range of set {name!r} must be [lo, hi]", "e.g. {\"range\": [1, 12]}", section="sets", item=name, field="range")
        bounds = []
        for b in spec.range:
            if isinstance(b, str):
                p = params.get(b)
                if p is None:
                    raise _err("undeclared-symbol", f"range bound {b!r} of set {name!r} is not a scalar param",
                               "declare it as a scalar param or write a number", section="sets", item=name, field="range", symbol=b)
                fb = float(p.table)
                if fb != int(fb):
                    raise _err("set-shape", f"range bound {b!r} = {fb} is not an integer", "range bounds are integers",
                               section="sets", item=name, field="range")
                bounds.append(int(fb))
            else:
                bounds.append(int(b))
        lo, hi = bounds
        cap = limit("max_instances", model._limits)
        if hi - lo + 1 > cap:
            raise over_limit("max_instances", f"set {name!r} (range {lo}..{hi})", hi - lo + 1, "elements", cap,
                             code="set-too-large", section="sets", item=name, field="range")
        return SetData(name, list(range(lo, hi + 1)), 1)
    if spec.from_ is not None:
        frame = _read_columns(model, spec.from_, "sets", name)
        cols = spec.from_.columns or ([spec.from_.column] if spec.from_.column else None)
        if not cols:
            raise _err("data-column", f"set {name!r} reads from a file but names no column", "add \"column\": \"...\"",
                       section="sets", item=name, field="from")
        for c in cols:
            if c not in frame:
                raise _err("data-column", f"column {_short(c, 60)} not found in {_short(spec.from_.file)} (columns: {_columns(frame)})",
                           "name an existing column", section="sets", item=name, field="from")
        if len(cols) == 1:
            uniq = dict.fromkeys(_py(v) for v in frame[cols[0]])
        else:
            uniq = dict.fromkeys(zip(*[[_elem(_py(v)) for v in frame[c]] for c in cols]))
        cap = limit("max_instances", model._limits)
        if len(uniq) > cap:
            raise over_limit("max_instances", f"set {name!r} (from {_short(spec.from_.file)})", len(uniq), "elements",
                             cap, code="set-too-large", section="sets", item=name, field="from")
        if len(cols) == 1:
            return SetData(name, [_elem(e) for e in uniq], 1)
        return SetData(name, list(uniq), len(cols))
    elems = spec.elements or []
    cap = limit("max_instances", model._limits)
    if len(elems) > cap:
        raise over_limit("max_instances", f"set {name!r}", len(elems), "elements", cap, code="set-too-large",
                         section="sets", item=name, field="elements")
    out = []
    dim = None
    for i, e in enumerate(elems):
        if isinstance(e, list):
            if not e or any(isinstance(x, list) for x in e):
                raise _err("set-shape", f"element #{i + 1} of set {name!r} must be a flat list of strings/ints",
                           "tuple elements are written [\"a\", \"b\"]", section="sets", item=name, field="elements")
            e = tuple(e)
            d = len(e)
            if d == 1:  # a 1-tuple is the element itself (dimension 1): ["a"] is "a"
                e = e[0]
        else:
            d = 1
        if isinstance(e, float):
            raise _err("set-shape", f"element {e!r} of set {name!r} is not a string or integer", "use strings or integers",
                       section="sets", item=name, field="elements")
        if dim is None:
            dim = d
        elif d != dim:
            raise _err("set-shape", f"set {name!r} mixes elements of dimension {dim} and {d} (element #{i + 1})",
                       "all tuples of a set have the same length", section="sets", item=name, field="elements")
        out.append(e)
    if len(set(out)) != len(out):
        seen: set = set()
        dup = next(e for e in out if e in seen or seen.add(e))  # first repeat, in one pass
        raise _err("duplicate-element", f"set {name!r} lists {dup!r} more than once", "remove the duplicate",
                   section="sets", item=name, field="elements")
    return SetData(name, out, dim or 1)


def _elem(v: Any) -> Any:
    if isinstance(v, str):
        s = v.strip()
        if not s or not (s[0].isdigit() or s[0] in "+-"):  # cannot read as an integer: no float() attempt
            return s
        try:
            f = float(s)
            if math.isfinite(f) and f == int(f) and "." not in s and "e" not in s.lower():
                return int(f)
        except ValueError:
            pass
        return s
    return _norm(v)


def _to_float(v: Any, section: str, name: str, key: tuple) -> float:
    if isinstance(v, bool):
        v = float(v)
    try:
        f = float(v)
    except (TypeError, ValueError):
        raise _err("bad-number", f"value {v!r} of {name}{list(key) if key else ''} is not a number",
                   "write a plain number", section=section, item=name, field="values", index=key or None) from None
    if not math.isfinite(f):
        raise _err("non-finite", f"{name}{list(key) if key else ''} is {f} (not a finite number)",
                   "use a finite number; drop the bound or constraint instead of using infinity",
                   section=section, item=name, field="values", index=key or None)
    return f


def _indexed_param(model: Model, name: str, spec: ParamSpec, inst: Instance) -> ParamData:
    loc = {"section": "params", "item": name}
    dims = []
    shape = []
    for s in spec.index_sets:
        sd = inst.sets.get(s)
        if sd is None:
            from .expr import nearest

            near = nearest(s, list(model.sets))
            raise _err("undeclared-set", f"param {name!r} is indexed over {s!r}, which is not a declared set",
                       f"did you mean {near!r}?" if near else "declare the set in \"sets\"", field="index", symbol=s, **loc)
        dims.append(sd.dim)
        shape.append(len(sd))
    size = math.prod(shape)
    cap = limit("max_instances", model._limits)
    if size > cap:
        raise over_limit("max_instances", f"param {name!r} over {' × '.join(spec.index_sets)}", size, "entries", cap,
                         code="param-too-large", field="index", **loc)
    table = np.full(shape, np.nan)
    p = ParamData(name, list(spec.index_sets), table, spec.default, dims)
    if spec.from_ is not None and spec.values is not None:
        raise _err("param-shape", f"param {name!r} has both values and from", "keep one", **loc)
    if spec.from_ is not None:
        _fill_from_file(model, p, spec.from_, inst)
    elif spec.values is not None:
        _fill_values(p, spec.values, inst)
    elif spec.value is not None:
        if not math.isfinite(spec.value):
            raise _err("non-finite", f"param {name!r} is {spec.value}", "use a finite number", field="value", **loc)
        table[...] = spec.value
    elif spec.default is None:
        raise _err("param-no-value", f"indexed param {name!r} has no values", "give \"values\", \"from\" or \"default\"", **loc)
    if spec.default is not None and not math.isfinite(spec.default):
        raise _err("non-finite", f"default of param {name!r} is {spec.default}", "use a finite number", field="default", **loc)
    if spec.default is not None:
        missing = np.isnan(table)
        if missing.any():
            p.given = ~missing
            table[missing] = spec.default
    return p


def _fill_values(p: ParamData, values: Any, inst: Instance) -> None:
    loc = {"section": "params", "item": p.name, "field": "values"}
    # list of rows [k1, ..., kn, value]?
    if isinstance(values, list) and values and _is_rows(values, p, inst):
        for r in values:
            _put(p, tuple(r[:-1]), r[-1], inst)
        return
    if isinstance(values, list):
        if _fill_dense_fast(p, values):
            return
        _fill_dense(p, values, inst, 0, ())
        return
    if isinstance(values, dict):
        _fill_nested(p, values, inst, 0, ())
        return
    if isinstance(values, (int, float)) and not isinstance(values, bool):
        p.table[...] = _to_float(values, "params", p.name, ())
        return
    raise _err("param-shape", f"values of param {p.name!r} must be a mapping, a list or a number, got {type(values).__name__}",
               "see docs/model-format.md (Params)", **loc)


def _is_rows(values: list, p: ParamData, inst: Instance) -> bool:
    """True when `values` is a list of [key..., value] rows rather than a dense nested list."""
    total_dim = sum(p.dims)
    if not all(isinstance(r, list) and len(r) == total_dim + 1 and not isinstance(r[-1], (list, dict))
               for r in values):
        return False
    for r in values:
        try:
            inst.positions(p.index, p.dims, tuple(r[:-1]))
        except KeyError:
            return False
    # keys are all valid elements: rows, unless the dense reading fits and no key is a string
    dense_fits = len(values) == len(inst.sets[p.index[0]]) and len(p.index) == 2 and \
        all(len(r) == len(inst.sets[p.index[1]]) for r in values)
    return not dense_fits or any(isinstance(x, str) for r in values for x in r[:-1])


def _fill_dense_fast(p: ParamData, values: list) -> bool:
    """A complete nested list of finite numbers in set order, converted in one numpy call.

    Returns False (the element-wise path then reports precisely what is wrong) otherwise."""
    try:
        arr = np.asarray(values, dtype=float)
    except (TypeError, ValueError):
        return False
    if arr.shape != p.table.shape or not np.all(np.isfinite(arr)):
        return False
    p.table[...] = arr
    return True


def _fill_dense(p: ParamData, values: list, inst: Instance, axis: int, prefix: tuple) -> None:
    s = inst.sets[p.index[axis]]
    if len(values) != len(s):
        raise _err("param-shape", f"param {p.name!r}: list at axis {axis + 1} has {len(values)} entries, set {s.name!r} has {len(s)}",
                   "give one value per element in set order, or use a mapping", section="params", item=p.name, field="values",
                   index=prefix or None)
    for e, v in zip(s.elements, values):
        key = prefix + (e,)
        if axis + 1 < len(p.index):
            if not isinstance(v, list):
                if isinstance(v, dict):
                    _fill_nested(p, v, inst, axis + 1, key)
                    continue
                raise _err("param-shape", f"param {p.name!r}: expected a list for {key!r}", "nest one list per index set",
                           section="params", item=p.name, field="values", index=key)
            _fill_dense(p, v, inst, axis + 1, key)
        else:
            _put(p, key, v, inst)


def _fill_nested(p: ParamData, values: dict, inst: Instance, axis: int, prefix: tuple) -> None:
    s = inst.sets[p.index[axis]]
    for k, v in values.items():
        e = _match_key(k, s)
        if e is None:
            from .expr import nearest

            near = nearest(str(k), [str(x) for x in s.elements[:5000]]) if s.dim == 1 else None
            raise _err("unknown-key", f"param {p.name!r}: key {k!r} is not an element of set {s.name!r}",
                       f"did you mean {near!r}?" if near else key_hint(s, p.name),
                       section="params", item=p.name, field="values", index=prefix + (k,))
        key = prefix + (e,)
        if axis + 1 < len(p.index):
            if isinstance(v, dict):
                _fill_nested(p, v, inst, axis + 1, key)
            elif isinstance(v, list):
                _fill_dense(p, v, inst, axis + 1, key)
            else:
                raise _err("param-shape", f"param {p.name!r}: expected a mapping under key {k!r} (indexed over {p.index})",
                           "nest one mapping per index set", section="params", item=p.name, field="values", index=key)
        else:
            _put(p, key, v, inst)


def key_hint(s: SetData, param: str) -> str:
    """How to write a key of `s`, with an example from its elements (tuple sets especially)."""
    if not s.elements:
        return f"{s.name} is empty"
    e = s.elements[0]
    if s.dim == 1:
        shown = ", ".join(repr(x) for x in s.elements[:3])
        return f"keys must be elements of {s.name} (such as {shown})"
    flat = ",".join(str(x) for x in e)
    row = json.dumps([*e, 5])
    return (f"{s.name} holds {s.dim}-tuples such as {tuple(e)!r}: key one element as one string, "
            f"\"{param}\": {{\"values\": {{\"{flat}\": 5}}}}, or give rows [key..., value]: "
            f"{{\"values\": [{row}]}} (a nested mapping {{\"{e[0]}\": {{...}}}} does not key a tuple set)")


def _match_key(k: Any, s: SetData) -> Any:
    if k in s.pos:
        return k
    if isinstance(k, str):
        e = _elem(k)
        if e in s.pos:
            return e
        if s.dim > 1:
            parts = [x.strip() for x in k.strip("()[] ").split(",")]
            if len(parts) == s.dim:
                t = tuple(_elem(x.strip("'\" ")) for x in parts)
                if t in s.pos:
                    return t
    if isinstance(k, list):
        t = tuple(_norm(x) for x in k)
        return t if t in s.pos else None
    return None


def _put(p: ParamData, key: tuple, v: Any, inst: Instance) -> None:
    if isinstance(v, (dict, list)):
        raise _err("param-shape", f"param {p.name!r}: value at {list(key)} is a {type(v).__name__}, expected a number",
                   f"param is indexed over {len(p.index)} set(s): {p.index}", section="params", item=p.name,
                   field="values", index=key)
    f = _to_float(v, "params", p.name, key)
    try:
        pos = inst.positions(p.index, p.dims, key)
    except KeyError as exc:
        tuple_sets = [inst.sets[n] for n in p.index if n in inst.sets and inst.sets[n].dim > 1]
        hint = key_hint(tuple_sets[0], p.name) if tuple_sets else f"keys must be elements of {p.index}"
        raise _err("unknown-key", f"param {p.name!r}: key {list(key)} — {exc.args[0]}", hint,
                   section="params", item=p.name, field="values", index=key) from None
    p.table[pos] = f


def _fill_from_file(model: Model, p: ParamData, ref: FileRef, inst: Instance) -> None:
    loc = {"section": "params", "item": p.name, "field": "from"}
    total_dim = sum(p.dims)
    frame = _read_columns(model, ref, "params", p.name)
    cols = list(frame)
    vcol = ref.column
    if vcol is None or vcol not in frame:
        raise _err("data-column", f"value column {_short(vcol, 60)} not found in {_short(ref.file)} (columns: {_columns(cols)})",
                   "name the value column in \"column\"", **loc)
    keys = ref.keys or [c for c in cols if c != vcol][:total_dim]
    if len(keys) != total_dim:
        raise _err("data-column", f"param {p.name!r} needs {total_dim} key column(s), {_short(ref.file)} gives {_columns(keys)}",
                   "name them in \"keys\"", **loc)
    for k in keys:
        if k not in frame:
            raise _err("data-column", f"key column {_short(k, 60)} not found in {_short(ref.file)} (columns: {_columns(cols)})",
                       "fix \"keys\"", **loc)
    try:
        vals = np.asarray(frame[vcol], dtype=float)
    except (TypeError, ValueError):
        bad = next((v for v in frame[vcol] if not _is_num(v)), None)
        raise _err("bad-number", f"column {_short(vcol, 60)} of {_short(ref.file)} holds a non-number {_short(bad, 60)}",
                   "clean the data file", **loc) from None
    if not np.all(np.isfinite(vals)):
        i = int(np.flatnonzero(~np.isfinite(vals))[0])
        raise _err("non-finite", f"{_short(ref.file)} row {i + 2}: {_short(vcol, 60, quote=False)} is {vals[i]}",
                   "use finite numbers", **loc)
    # vectorized key → position per index set
    positions = []
    k = 0
    for sname, d in zip(p.index, p.dims):
        s = inst.sets[sname]
        if d == 1:
            col = frame[keys[k]]
            pos = _map_positions(col, s)
        else:
            tuples = list(zip(*[[_elem(x) for x in frame[keys[k + j]]] for j in range(d)]))
            pos = np.fromiter((s.pos.get(t, -1) for t in tuples), dtype=np.int64, count=len(tuples))
        bad = np.flatnonzero(pos < 0)
        if bad.size:
            i = int(bad[0])
            raise _err("unknown-key", f"{_short(ref.file)} row {i + 2}: key {_short(_py(frame[keys[k]][i]), 60)} is not an "
                       f"element of set {sname!r}",
                       "fix the data or the set", **loc)
        positions.append(pos)
        k += d
    p.table[tuple(positions)] = vals


def _is_num(v: Any) -> bool:
    try:
        float(v)
        return True
    except (TypeError, ValueError):
        return False


def _map_positions(col: Any, s: SetData) -> np.ndarray:
    arr = np.asarray(col)
    if s.is_integer and arr.dtype.kind in "iu":
        lo = s.elements[0] if s.elements else 0
        if s.elements == list(range(lo, lo + len(s))):
            pos = arr.astype(np.int64) - lo
            pos[(pos < 0) | (pos >= len(s))] = -1
            return pos
    if arr.dtype.kind in "iu":
        return np.fromiter((s.pos.get(int(x), -1) for x in arr), dtype=np.int64, count=len(arr))
    # strings (or mixed objects): factorize then map the uniques — by hashing (pandas, O(n))
    # for long columns, else by sorting
    if len(arr) >= 10_000:
        try:
            import pandas as pd
        except ImportError:
            pd = None
        if pd is not None:
            inv, uniq = pd.factorize(arr.astype(object), use_na_sentinel=True)
            umap = np.array([s.pos.get(_elem(str(u)), -1) for u in uniq] + [-1], dtype=np.int64)
            return umap[inv]  # a missing value (code -1) maps to the trailing -1
    uniq, inv = np.unique(arr.astype(str), return_inverse=True)
    umap = np.array([s.pos.get(_elem(u), -1) for u in uniq], dtype=np.int64)
    return umap[inv]


def _read_columns(model: Model, ref: FileRef, section: str, name: str) -> dict[str, Any]:
    """Read a CSV/JSON file into a mapping column → array/list (pandas for large CSV files).

    The file is admitted and read by solvers.data_files (confined to the model's folder, the
    data_dirs and the --data files; bounded in size); only admitted files are ever quoted."""
    from .data_files import decode, read_data_file

    where = {"section": section, "item": name, "field": "from"}
    data = read_data_file(model, ref.file, section, name)
    cache = model._cache.setdefault("files", {})
    if data.path in cache:
        return cache[data.path]
    try:
        if data.path.lower().endswith(".json"):
            recs = _json_records(decode(data, where), model)
            if isinstance(recs, dict):
                recs = recs.get("records") or recs.get("data") or [recs]
            if not isinstance(recs, list) or not all(isinstance(r, dict) for r in recs):
                raise _err("data-shape", f"{_short(ref.file)} must be a JSON list of records", "[{\"col\": value, ...}, ...]",
                           **where)
            cols: dict[str, Any] = {}
            for r in recs:
                for k in r:
                    cols.setdefault(k, [])
            for k in cols:
                cols[k] = [r.get(k) for r in recs]
        else:
            cols = _read_csv(data.content, decode(data, where))
    except ModelError:
        raise
    except Exception as exc:
        raise _err("data-read", f"cannot read {_short(ref.file)}: {_short(str(exc), 160)}",
                   "check the file format (CSV with a header row, or JSON records)", **where) from None
    cache[data.path] = cols
    return cols


def _json_records(text: str, model: Model) -> Any:
    from .document import depth_exceeds
    from .limits import limit

    try:
        recs = json.loads(text)
    except RecursionError:
        raise ValueError("the JSON nests too deep") from None
    if depth_exceeds(recs, limit("max_depth", model._limits)):
        raise ValueError(f"the JSON nests deeper than {limit('max_depth', model._limits)} (max_depth)")
    return recs


SMALL_CSV_BYTES = 1_000_000


def _read_csv(raw: bytes, text: str) -> dict[str, Any]:
    """Columns of a CSV file: pandas' C parser for large files, the csv module for small ones
    (importing pandas costs more than reading a small file)."""
    pd = None
    if len(raw) > SMALL_CSV_BYTES:
        try:
            import pandas as pd
        except ImportError:
            pd = None
    if pd is not None:
        import io

        df = pd.read_csv(io.StringIO(text), skipinitialspace=True)
        df.columns = [str(c).strip() for c in df.columns]
        return {c: df[c].to_numpy() for c in df.columns}
    import csv
    import io

    reader = csv.DictReader(io.StringIO(text, newline=""), skipinitialspace=True)
    rows = list(reader)
    fields = [c.strip() for c in (reader.fieldnames or [])]
    return {c: [_elem(r[c0]) for r in rows] for c, c0 in zip(fields, reader.fieldnames or [])}


def _columns(cols: Any, n: int = 12) -> str:
    """The column names of an admitted file, bounded: at most `n`, each cut to 40 characters."""
    names = [str(c) for c in cols]
    shown = ", ".join(_short(c, 40, quote=False) for c in names[:n])
    return shown + (f", … ({len(names)} columns)" if len(names) > n else "")


def _short(x: Any, n: int = 80, quote: bool = True) -> str:
    s = repr(x) if quote else str(x)
    return s if len(s) <= n else s[: n - 1] + "…"


def _read_rows(model: Model, ref: FileRef, section: str, name: str) -> list[dict]:
    cols = _read_columns(model, ref, section, name)
    names = list(cols)
    n = len(cols[names[0]]) if names else 0
    return [{c: _py(cols[c][i]) for c in names} for i in range(n)]


def _py(v: Any) -> Any:
    if isinstance(v, np.generic):
        return v.item()
    return v
