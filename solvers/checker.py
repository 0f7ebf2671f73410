"""The independent checker: scores any assignment against a model, one constraint instance at a time.

A scalar tree walker written apart from `lower.py` (it never touches the lowering's matrices):
it expands every `forall` instance, evaluates both sides with the assignment's values and reports
feasibility, each violated instance with its amount, bound / integrality problems, missing and
unknown entries, and the objective recomputed.

The evaluator is generic over how a variable instance is represented: `Evaluator.value(node, env,
var_value)` calls `var_value(name, key)` for each variable instance, which may return floats
(checking) or library expressions supporting `+ - *` (Pyomo / PuLP exports); `expand(model)`
yields every constraint instance with a closure building its `Rel` (comparison / logic tree).

Conventions
- A variable or constraint instance key is a *flat* tuple of elements (`("seattle", "ny")`; tuple
  elements of a tuple set are spliced in; `()` for scalars).
- Tolerance: a comparison `a <= b` is violated when `a - b > tol * max(1, |a|, |b|)` (absolute
  near zero, relative on large sides); `==` likewise on `|a - b|`; bounds use
  `tol * max(1, |bound|)`; integrality `|v - round(v)| > tol`.
- Strict `a < b`: when both sides are integral (within tol) it means `a <= b - 1`; otherwise `a < b` exactly.
- Logic is evaluated by its meaning (no big-M): `implies(c, k)` is violated iff `c` holds and `k`
  is violated (a binary literal `y[i]` holds iff y > 0.5); `c1 or c2` iff every alternative is
  violated (amount: the smallest); `all_different` iff two values are within tol (amount: the
  number of equal pairs); `!=` iff the sides are within tol. Violations without a natural
  magnitude (`!=`, `not`) count 1.
- Missing values (`missing="error"`, the default): the instances are listed in `missing`, the
  report is incomplete and infeasible, constraints needing them are listed in `unevaluated`.
  With `missing="zero"` they are listed too but taken as 0 (an LLM answer listing only nonzeros).
"""

from __future__ import annotations

import itertools
import math
import operator
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .data import Deriver, Instance, ParamData, SetData, instance, register_deriver
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
)
from .limits import how_to_raise, limit, over_limit
from .model import Model, ParamSpec, load_model
from .safe_text import safe_line

VarValue = Callable[[str, tuple], Any]
CMP_OPS = frozenset({"<=", ">=", "==", "<", ">", "!="})

__all__ = [
    "Evaluator", "EvalError", "Cmp", "Lit", "Logic", "Rel", "ConstraintInstance", "expand",
    "variable_instances", "VariableInstance", "objective_value", "check", "CheckReport",
    "Violation", "VariableProblem", "UnknownEntry", "judge", "Judgement", "format_key", "ScalarDeriver",
]
_SET = "\0set:"  # env key: the declared set an index name ranges over (for ord / prev / next)


# --------------------------------------------------------------------------- relations


@dataclass(frozen=True)
class Cmp:
    """A comparison or chain: operands[0] ops[0] operands[1] ops[1] operands[2] ..."""

    ops: tuple[str, ...]
    operands: tuple[Any, ...]


@dataclass(frozen=True)
class Lit:
    """A binary literal inside `implies`: `y[i]` (positive) or `not y[i]`."""

    value: Any
    positive: bool = True


@dataclass(frozen=True)
class Logic:
    """kind: and / or / not (parts are Rels), implies (cond Rel/Lit, then Rel),
    all_different (parts are arithmetic values)."""

    kind: str
    parts: tuple[Any, ...]


Rel = Cmp | Lit | Logic


class EvalError(Exception):
    """A problem met while evaluating one instance; turned into a located Diagnostic."""

    def __init__(self, code: str, message: str, hint: str | None = None, col: int | None = None,
                 symbol: str | None = None):
        super().__init__(message)
        self.code, self.message, self.hint, self.col, self.symbol = code, message, hint, col, symbol

    def diagnostic(self, section: str | None, item: str | None, field: str | None,
                   index: tuple | None = None) -> Diagnostic:
        return Diagnostic(self.code, self.message, location=Location(
            section=section, item=item, field=field, index=index, column=self.col or None,
            symbol=self.symbol), hint=self.hint)


class _MissingValue(Exception):
    """A variable instance without a value (raised by the checker's var_value)."""


def format_key(name: str, key: tuple) -> str:
    """`ship[seattle, ny]`, or the bare name for a scalar."""
    return f"{name}[{', '.join(str(k) for k in key)}]" if key else name


def _flat(e: Any) -> tuple:
    return tuple(e) if isinstance(e, tuple) else (e,)


def _as_int(v: Any, col: int, what: str) -> int:
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        raise EvalError("bad-index", f"{what} {v!r} is not an integer", "use an element or integer arithmetic", col)
    if isinstance(v, float):
        if not math.isfinite(v) or v != int(v):
            raise EvalError("bad-index", f"{what} {v!r} is not an integer", "index arithmetic works on integer elements", col)
        return int(v)
    return v


def _no_var(context: str) -> VarValue:
    def vv(name: str, key: tuple) -> Any:
        raise EvalError("variable-in-data-context", f"variable {name!r} used in {context}",
                        f"{context} must depend on data only (params, index names, numbers)", symbol=name)
    return vv


def _sqrt(v: float) -> float:
    if v < 0:
        if v >= -1e-9:  # a solver's value of a square at zero
            return 0.0
        raise EvalError("math-domain", f"sqrt of the negative value {v:g}", "check the data or the bounds")
    return math.sqrt(v)


def _log(v: float) -> float:
    if v <= 0:
        raise EvalError("math-domain", f"log of the nonpositive value {v:g}", "check the data or the bounds")
    return math.log(v)


def _exp(v: float) -> float:
    try:
        return math.exp(v)
    except OverflowError:
        raise EvalError("non-finite", f"exp({v:g}) overflows", "rescale the data") from None


_DEFAULT_FUNCS: dict[str, Callable] = {"abs": abs, "min": min, "max": max, "sqrt": _sqrt, "exp": _exp,
                                       "log": _log}


# --------------------------------------------------------------------------- evaluator


class Evaluator:
    """Scalar evaluation of expression trees over a model's resolved data.

    Without `inst`, the data are resolved with derived sets and computed params recomputed by
    this module's scalar evaluator (`ScalarDeriver`), not the lowering's. `variables=False`
    evaluates data only (set definitions, computed params), before the variables' sets exist."""

    def __init__(self, model: Model, inst: Instance | None = None, *, variables: bool = True):
        self.model = model
        self.inst = inst if inst is not None else instance(model, scalar=True)
        self._sds: dict[str, list] = {}
        self.visits = 0  # index bindings enumerated since `budget()` (one constraint, the objective, ...)
        self.max_visits = limit("max_nonzeros", model._limits)
        self.var_sets: dict[str, list[str]] = {}
        self.var_names: dict[str, list[str | None]] = {}
        for name, spec in model.variables.items() if variables else ():
            sets, names = [], []
            for entry in spec.index:
                iname, sname = parse_index_decl(entry, Location(section="variables", item=name, field="index"))
                if sname not in self.inst.sets:
                    near = nearest(sname, list(self.inst.sets))
                    raise ModelError(Diagnostic("undeclared-set", f"variable {name!r} is indexed over {sname!r}, which is not a declared set",
                                                location=Location(section="variables", item=name, field="index", symbol=sname),
                                                hint=f"did you mean {near!r}?" if near else "declare the set in \"sets\""))
                sets.append(sname)
                names.append(iname)
            self.var_sets[name] = sets
            self.var_names[name] = names

    def budget(self) -> None:
        """Start counting the index bindings of one item (a constraint with its sums, the
        objective, one derived set): more than max_nonzeros is a `too-many-instances` error."""
        self.visits = 0

    # ---- sets and keys
    def dims(self, sets: list[str]) -> list[int]:
        return [self.inst.sets[s].dim for s in sets]

    def set_elements(self, ref: SetRef, env: dict) -> list:
        if ref.name is not None:
            s = self.inst.sets.get(ref.name)
            if s is None:
                near = nearest(ref.name, list(self.inst.sets))
                raise EvalError("undeclared-set", f"{ref.name!r} is not a declared set",
                                f"did you mean {near!r}?" if near else "declare it in \"sets\"", ref.col, ref.name)
            return s.elements
        lo = _as_int(self.value(ref.lo, env, _no_var("a range bound")), ref.col, "range bound")
        hi = _as_int(self.value(ref.hi, env, _no_var("a range bound")), ref.col, "range bound")
        cap = limit("max_instances", self.model._limits)
        if hi - lo > cap:
            raise EvalError("too-many-instances", f"range({lo}, {hi}) has {hi - lo:,} elements, over the limit "
                            f"of {cap:,} (max_instances)", how_to_raise("max_instances"), ref.col)
        return range(lo, hi)  # type: ignore[return-value]

    def iter_gens(self, gens: tuple[Gen, ...], env: dict) -> Iterator[dict]:
        """Every binding of the generators' targets (conditions applied), as new env dicts.

        Refused before the first binding (`too-many-instances`): generators over named sets whose
        sizes multiply to more than max_instances (the lowering's rule); while enumerating: more
        than max_nonzeros bindings since `budget()`."""
        size, cap = 1, limit("max_instances", self.model._limits)
        for g in gens:
            s = self.inst.sets.get(g.over.name) if g.over.name is not None else None
            size *= len(s.elements) if s is not None else 1
        if size > cap:
            raise EvalError("too-many-instances", f"the generators {', '.join(', '.join(g.targets) for g in gens)} "
                            f"have {size:,} index bindings, over the limit of {cap:,} (max_instances)",
                            how_to_raise("max_instances") + ", or make the model smaller", gens[0].col)
        yield from self._iter_gens(gens, env)

    def _iter_gens(self, gens: tuple[Gen, ...], env: dict) -> Iterator[dict]:
        if not gens:
            yield env
            return
        g, rest = gens[0], gens[1:]
        for e in self.set_elements(g.over, env):
            self.visits += 1
            if self.visits > self.max_visits:
                raise EvalError("too-many-instances", f"the generators enumerate more than {self.max_visits:,} index "
                                "bindings (max_nonzeros)", how_to_raise("max_nonzeros") + ", or make the model "
                                "smaller", g.col)
            if len(g.targets) == 1:
                env2 = {**env, g.targets[0]: e}
                if g.over.name is not None:
                    env2[_SET + g.targets[0]] = g.over.name
            else:
                if not isinstance(e, tuple) or len(e) != len(g.targets):
                    raise EvalError("generator-arity", f"cannot unpack element {e!r} into ({', '.join(g.targets)})",
                                    "the number of names must equal the set's dimension", g.col)
                env2 = {**env, **dict(zip(g.targets, e))}
            if all(self.cond(c, env2) for c in g.conds):
                yield from self._iter_gens(rest, env2)

    def key_of(self, args: tuple[Node, ...], env: dict) -> tuple:
        """Flattened element key of index arguments."""
        out: list = []
        for a in args:
            out.extend(self.element(a, env))
        return tuple(out)

    def element(self, node: Node, env: dict) -> tuple:
        """The element(s) an index argument denotes, flattened."""
        if isinstance(node, Name) and node.id in env:
            return _flat(env[node.id])
        if isinstance(node, Str):
            return (node.value,)
        if isinstance(node, Tuple):
            return self.key_of(node.elts, env)
        if isinstance(node, (SetEnd, Step)):
            return _flat(self.set_element(node, env))
        v = self.value(node, env, _no_var("an index"))
        if isinstance(v, str):
            return (v,)
        return (_as_int(v, node.col, "index value"),)

    # ---- set functions
    def set_position(self, fn: str, arg: Node, over: SetRef | None, env: dict, col: int) -> tuple[SetData, int]:
        """The ordered set of `ord`/`prev`/`next` and the 0-based position of its argument."""
        if over is not None:
            if over.name is None:
                elems = self.set_elements(over, env)
                sd = SetData("range", elems, 1)
            else:
                sd = self.inst.sets.get(over.name)  # type: ignore[assignment]
                if sd is None:
                    raise EvalError("undeclared-set", f"{over.name!r} is not a declared set", "declare it in \"sets\"",
                                    over.col, over.name)
        elif isinstance(arg, Name) and _SET + arg.id in env:
            sd = self.inst.sets[env[_SET + arg.id]]
        else:
            raise EvalError("bad-set-function", f"{fn}(): the set of its argument is not known here",
                            f"name the set: {fn}(t, S)", col, fn)
        key = self.element(arg, env)
        e = key[0] if len(key) == 1 else tuple(key)
        p = sd.pos.get(e)
        if p is None:
            raise EvalError("index-not-in-set", f"{fn}(): {e!r} is not an element of {sd.name}",
                            f"pass an element of {sd.name}", col, sd.name)
        return sd, p

    def set_element(self, node: Node, env: dict) -> Any:
        """The element `first(S)`, `last(S)`, `prev(t)` or `next(t)` denotes (a tuple for tuple sets)."""
        if isinstance(node, SetEnd):
            elems = self.set_elements(node.over, env)
            if not elems:
                raise EvalError("empty-set", f"{node.kind}({node.over.name}): the set is empty",
                                f"give {node.over.name} elements", node.col, node.over.name)
            return elems[0] if node.kind == "first" else elems[-1]
        assert isinstance(node, Step)
        sd, p = self.set_position(node.kind, node.arg, node.over, env, node.col)
        q = p - 1 if node.kind == "prev" else p + 1
        if node.wrap:
            q %= len(sd.elements)
        elif not 0 <= q < len(sd.elements):
            end = "first" if node.kind == "prev" else "last"
            raise EvalError("index-not-in-set", f"{node.kind}(): {sd.elements[p]!r} is the {end} element of {sd.name}",
                            f"skip it with `if t != {end}({sd.name})`, or use {node.kind}(t, wrap=True)", node.col, sd.name)
        return sd.elements[q]

    def check_key(self, name: str, sets: list[str], key: tuple, col: int) -> tuple[int, ...]:
        """Arity and membership of a flat key against a symbol's index sets; returns positions."""
        sds = self._sds.get(name)
        if sds is None:
            sds = self._sds[name] = [(self.inst.sets[s], self.inst.sets[s].dim) for s in sets]
        if len(sds) == len(key) and all(d == 1 for _, d in sds):
            pos = []
            for (sd, _), e in zip(sds, key):
                p = sd.pos.get(e)
                if p is None:
                    break
                pos.append(p)
            else:
                return tuple(pos)
        need = sum(d for _, d in sds)
        if len(key) != need:
            raise EvalError("index-arity", f"{name} takes {need} index value(s), got {len(key)}",
                            f"{name} is indexed over {sets or 'nothing (a scalar)'}", col, name)
        out = []
        k = 0
        for (sd, d), s in zip(sds, sets):
            e = key[k] if d == 1 else tuple(key[k:k + d])
            k += d
            p = sd.pos.get(e)
            if p is None:
                near = nearest(str(e), [str(x) for x in sd.elements[:5000]]) if isinstance(e, str) else None
                hint = f"did you mean {near!r}?" if near else "restrict the forall/sum with an if condition, e.g. `if t > 1`"
                raise EvalError("index-not-in-set", f"{name}[{', '.join(map(str, key))}]: {e!r} is not in {s}", hint, col, name)
            out.append(p)
        return tuple(out)

    # ---- values
    def value(self, node: Node, env: dict, var_value: VarValue, funcs: dict | None = None) -> Any:
        """The arithmetic value of a node; variables through `var_value(name, key)`."""
        f = funcs or _DEFAULT_FUNCS
        if isinstance(node, Num):
            return node.value
        if isinstance(node, Name):
            return self._name(node, env, var_value)
        if isinstance(node, Index):
            return self._index(node, env, var_value)
        if isinstance(node, BinOp):
            return self._binop(node, env, var_value, funcs)
        if isinstance(node, Neg):
            return -self.value(node.operand, env, var_value, funcs)
        if isinstance(node, IfExp):
            branch = node.then if self.cond(node.cond, env) else node.orelse
            return self.value(branch, env, var_value, funcs)
        if isinstance(node, Agg):
            if node.func not in ("sum", "prod", "min", "max"):
                raise EvalError("misplaced-constraint", f"{node.func}(...) is a constraint, not a value",
                                "use it as a whole constraint expr", node.col, node.func)
            vals = [self.value(node.body, e, var_value, funcs) for e in self.iter_gens(node.gens, env)]
            if node.func == "sum":
                return _fold(vals, lambda a, b: a + b, 0.0)
            if node.func == "prod":
                return _fold(vals, lambda a, b: a * b, 1.0)
            if not vals:
                raise EvalError("empty-aggregate", f"{node.func}() over an empty set", "make sure the generator has elements", node.col)
            return f[node.func](vals)
        if isinstance(node, Call):
            if node.func == "len":
                return float(len(self.set_elements(node.args[0], env)))  # type: ignore[arg-type]
            if node.func in ("min", "max"):
                return f[node.func]([self.value(a, env, var_value, funcs) for a in node.args])
            if node.func == "abs":
                return f["abs"](self.value(node.args[0], env, var_value, funcs))
            if node.func in MATH_FUNCS:
                fn = f.get(node.func) or _DEFAULT_FUNCS[node.func]
                try:
                    return fn(self.value(node.args[0], env, var_value, funcs))
                except EvalError as e:
                    raise EvalError(e.code, e.message, e.hint, node.col, node.func) from None
            raise EvalError("misplaced-constraint", f"{node.func}(...) is a constraint, not a value",
                            "use it as a whole constraint expr", node.col, node.func)
        if isinstance(node, Ord):
            return float(self.set_position("ord", node.arg, node.over, env, node.col)[1] + 1)
        if isinstance(node, (SetEnd, Step)):
            e = self.set_element(node, env)
            if isinstance(e, (int, float)) and not isinstance(e, bool):
                return e
            raise EvalError("element-as-number", f"the element {e!r} is used as a number",
                            "use it as an index, or ord(t) for its position", node.col)
        if isinstance(node, Str):
            raise EvalError("element-as-number", f"the element {node.value!r} is used as a number",
                            "elements are only index values", node.col, node.value)
        if isinstance(node, (Compare, BoolOp, Not)):
            raise EvalError("misplaced-constraint", "a comparison or logical operator inside an arithmetic expression",
                            "comparisons belong at the top of a constraint or in `if` conditions", node.col)
        raise EvalError("bad-expression", f"cannot evaluate {type(node).__name__} here", None, node.col)

    def _name(self, node: Name, env: dict, var_value: VarValue) -> Any:
        n = node.id
        if n in env:
            e = env[n]
            if isinstance(e, (int, float)) and not isinstance(e, bool):
                return e
            raise EvalError("element-as-number", f"index {n} is the element {e!r}, not a number",
                            "only integer elements can be used in arithmetic", node.col, n)
        p = self.inst.params.get(n)
        if p is not None:
            if p.index:
                raise EvalError("param-without-index", f"param {n!r} is indexed over {p.index} but used without an index",
                                f"write {n}[{', '.join('...' for _ in p.index)}]", node.col, n)
            return float(p.table)
        if n in self.model.variables:
            if self.var_sets[n]:
                raise EvalError("variable-without-index", f"variable {n!r} is indexed over {self.var_sets[n]} but used without an index",
                                f"write {n}[...] or sum over it", node.col, n)
            return var_value(n, ())
        if n in self.inst.sets:
            raise EvalError("set-as-value", f"set {n!r} is used as a value", f"use len({n}) for its size, or iterate over it",
                            node.col, n)
        raise EvalError("undeclared-symbol", f"{n!r} is not declared", _near_hint(n, self._all_names(env)), node.col, n)

    def _index(self, node: Index, env: dict, var_value: VarValue) -> Any:
        n = node.base
        key = self.key_of(node.args, env)
        p = self.inst.params.get(n)
        if p is not None:
            pos = self.check_key(n, p.index, key, node.col)
            v = float(p.table[pos]) if pos else float(p.table)
            if v == v:  # not NaN
                return v
            if p.default is not None:
                return p.default
            raise EvalError("param-missing-value", f"{format_key(n, key)} has no value and {n!r} has no default",
                            f"add the entry to {n}.values or give \"default\"", node.col, n)
        if n in self.model.variables:
            self.check_key(n, self.var_sets[n], key, node.col)
            return var_value(n, key)
        if n in env or n in self.inst.sets:
            raise EvalError("bad-index", f"{n!r} cannot be indexed (it is {'an index name' if n in env else 'a set'})",
                            "only params and variables are indexed", node.col, n)
        raise EvalError("undeclared-symbol", f"{n!r} is not declared", _near_hint(n, self._all_names(env)), node.col, n)

    def _binop(self, node: BinOp, env: dict, var_value: VarValue, funcs: dict | None) -> Any:
        a = self.value(node.left, env, var_value, funcs)
        if node.op == "/":
            b = self.value(node.right, env, var_value, funcs)  # a variable divisor: SCIP models
            if isinstance(b, (int, float)) and b == 0:
                raise EvalError("division-by-zero", "division by zero", "check the divisor's data", node.col)
            return a / b
        if node.op == "**":
            b = self.value(node.right, env, _no_var("an exponent"), funcs)
            if b == 0:
                return 1.0
            if b == 1:
                return a
            if b == int(b) and 0 < b <= 64:  # exact repeated products for small powers
                out = a
                for _ in range(int(b) - 1):
                    out = out * a
                return out
            try:
                return float(a) ** float(b)  # floats: a huge integer power never runs unbounded
            except OverflowError:
                return math.inf
            except TypeError:
                return a ** b
        b = self.value(node.right, env, var_value, funcs)
        if node.op == "+":
            return a + b
        if node.op == "-":
            return a - b
        return a * b

    def _all_names(self, env: dict) -> list[str]:
        return [*(k for k in env if not k.startswith("\0")), *self.model.sets, *self.model.params,
                *self.model.variables]

    # ---- conditions (data only)
    def cond(self, node: Node, env: dict) -> bool:
        """Truth of an `if` condition (Python semantics on elements, numbers as floats)."""
        if isinstance(node, BoolOp):
            if node.op == "and":
                return all(self.cond(v, env) for v in node.values)
            return any(self.cond(v, env) for v in node.values)
        if isinstance(node, Not):
            return not self.cond(node.operand, env)
        if isinstance(node, Compare):
            if node.ops[0] in ("in", "not in"):
                key = self.element(node.operands[0], env)
                ref = node.operands[1]
                assert isinstance(ref, SetRef)
                elems = self.set_elements(ref, env)
                if ref.name is not None and len(key) != self.inst.sets[ref.name].dim:
                    raise EvalError("index-arity", f"`... in {ref.name}` tests an element with {len(key)} part(s), "
                                    f"but {ref.name} holds elements of {self.inst.sets[ref.name].dim} part(s)",
                                    "test a whole element, one part per position", node.col, ref.name)
                members = self.inst.sets[ref.name].pos if ref.name is not None else elems
                e = key[0] if len(key) == 1 else key
                return (e in members) == (node.ops[0] == "in")
            vals = [self._cval(o, env) for o in node.operands]
            return all(_compare(a, op, b, node.col) for a, op, b in zip(vals, node.ops, vals[1:]))
        v = self.value(node, env, _no_var("a condition"))
        return bool(v != 0)

    def _cval(self, node: Node, env: dict) -> Any:
        if isinstance(node, Name) and node.id in env:
            return env[node.id]
        if isinstance(node, Str):
            return node.value
        if isinstance(node, (SetEnd, Step)):
            return self.set_element(node, env)
        if isinstance(node, Tuple):
            return self.key_of(node.elts, env)
        return self.value(node, env, _no_var("a condition"))

    # ---- constraints
    def relation(self, node: Node, env: dict, var_value: VarValue, funcs: dict | None = None) -> Rel:
        """The constraint-level meaning of a node: Cmp / Logic tree over values."""
        if isinstance(node, Compare) and all(o in CMP_OPS for o in node.ops):
            return Cmp(node.ops, tuple(self.value(o, env, var_value, funcs) for o in node.operands))
        if isinstance(node, BoolOp):
            return Logic(node.op, tuple(self.relation(v, env, var_value, funcs) for v in node.values))
        if isinstance(node, Not):
            return Logic("not", (self.relation(node.operand, env, var_value, funcs),))
        if isinstance(node, Call) and node.func == "implies":
            return Logic("implies", (self._literal(node.args[0], env, var_value, funcs),
                                     self.relation(node.args[1], env, var_value, funcs)))
        if isinstance(node, Call) and node.func == "all_different":
            return Logic("all_different", tuple(self.value(a, env, var_value, funcs) for a in node.args))
        if isinstance(node, Agg) and node.func == "all_different":
            return Logic("all_different", tuple(self.value(node.body, e, var_value, funcs)
                                                for e in self.iter_gens(node.gens, env)))
        raise EvalError("not-a-constraint", "a constraint needs <=, >= or == (or implies / or / all_different)",
                        "write e.g. \"sum(x[i] for i in I) <= 10\"", node.col)

    def _literal(self, node: Node, env: dict, var_value: VarValue, funcs: dict | None) -> Rel:
        if isinstance(node, (Name, Index)):
            return Lit(self.value(node, env, var_value, funcs), True)
        if isinstance(node, Not) and isinstance(node.operand, (Name, Index)):
            return Lit(self.value(node.operand, env, var_value, funcs), False)
        return self.relation(node, env, var_value, funcs)


def _fold(vals: list, op: Callable, empty: float) -> Any:
    if not vals:
        return empty
    acc = vals[0]
    for v in vals[1:]:
        acc = op(acc, v)
    return acc


def _compare(a: Any, op: str, b: Any, col: int) -> bool:
    num = (int, float)
    if isinstance(a, num) and isinstance(b, num):
        a, b = float(a), float(b)
    elif type(a) is not type(b) and op in ("<", "<=", ">", ">="):
        raise EvalError("bad-condition", f"cannot order {a!r} and {b!r}", "compare elements of the same kind", col)
    try:
        if op == "==":
            return a == b
        if op == "!=":
            return a != b
        return {"<=": operator.le, ">=": operator.ge, "<": operator.lt, ">": operator.gt}[op](a, b)
    except TypeError:
        raise EvalError("bad-condition", f"cannot compare {a!r} {op} {b!r}", "compare elements of the same kind", col) from None


def _near_hint(name: str, names: list[str]) -> str:
    near = nearest(name, names)
    return f"did you mean {near!r}?" if near else "declare it in sets, params or variables"


# --------------------------------------------------------------------------- expansion


@dataclass
class ConstraintInstance:
    """One instance of a constraint: `relation(var_value)` builds its Rel (raises ModelError)."""

    name: str
    key: tuple
    text: str
    node: Node
    env: dict
    evaluator: Evaluator = field(repr=False)

    @property
    def label(self) -> str:
        return format_key(self.name, self.key)

    def relation(self, var_value: VarValue, funcs: dict | None = None) -> Rel:
        try:
            return self.evaluator.relation(self.node, self.env, var_value, funcs)
        except EvalError as e:
            raise ModelError(e.diagnostic("constraints", self.name, "expr", self.key)) from None


def _parse(text: str, loc: Location) -> Node:
    return parse_expr(text, loc)


def expand(model: Any, evaluator: Evaluator | None = None) -> Iterator[ConstraintInstance]:
    """Every constraint instance of a model (forall expanded, conditions applied), in order.

    Raises ModelError (located) for a constraint whose expr/forall does not parse or expand."""
    ev = evaluator or Evaluator(load_model(model))
    for c in ev.model.constraints:
        yield from _expand_one(ev, c.name, c.expr, c.forall)


def _expand_one(ev: Evaluator, name: str, expr: str, forall: str | None) -> Iterator[ConstraintInstance]:
    node = _parse(expr, Location(section="constraints", item=name, field="expr"))
    gens = parse_forall(forall or "", Location(section="constraints", item=name, field="forall"))
    targets = [t for g in gens for t in g.targets]
    ev.budget()
    try:
        for env in ev.iter_gens(gens, {}):
            key = tuple(x for t in targets for x in _flat(env[t]))
            yield ConstraintInstance(name, key, expr, node, env, ev)
    except EvalError as e:
        raise ModelError(e.diagnostic("constraints", name, "forall")) from None


@dataclass
class VariableInstance:
    name: str
    key: tuple
    domain: str
    lb: float | None
    ub: float | None


def variable_instances(model: Any, evaluator: Evaluator | None = None) -> Iterator[VariableInstance]:
    """Every variable instance with its domain and evaluated bounds (None = unbounded)."""
    ev = evaluator or Evaluator(load_model(model))
    for name, spec in ev.model.variables.items():
        sets, names = ev.var_sets[name], ev.var_names[name]
        bound_nodes = {}
        for which in ("lb", "ub"):
            raw = getattr(spec, which)
            if isinstance(raw, str):
                bound_nodes[which] = _parse(raw, Location(section="variables", item=name, field=which))
        count, cap = math.prod(len(ev.inst.sets[s].elements) for s in sets), limit("max_instances", ev.model._limits)
        if count > cap:
            raise over_limit("max_instances", f"variable {name!r} over {' × '.join(sets)}", count, "instances", cap,
                             code="too-many-instances", section="variables", item=name, field="index")
        for combo in itertools.product(*(ev.inst.sets[s].elements for s in sets)):
            key = tuple(x for e in combo for x in _flat(e))
            env = {n: e for n, e in zip(names, combo) if n}
            env.update({_SET + n: s for n, s in zip(names, sets) if n})
            lb, ub = (0.0, 1.0) if spec.domain == "binary" else (None, None)
            for which in ("lb", "ub"):
                raw = getattr(spec, which)
                if raw is None:
                    continue
                if isinstance(raw, str):
                    try:
                        v = _bound_value(ev, name, sets, bound_nodes[which], env, key)
                    except EvalError as e:
                        raise ModelError(e.diagnostic("variables", name, which, key)) from None
                else:
                    v = float(raw)
                if which == "lb":
                    lb = v
                else:
                    ub = v
            yield VariableInstance(name, key, spec.domain, lb, ub)


def _bound_value(ev: Evaluator, var: str, sets: list[str], node: Node, env: dict, key: tuple) -> float:
    # a bare name of a param with the variable's own index is applied element-wise
    if isinstance(node, Name) and node.id not in env:
        p = ev.inst.params.get(node.id)
        if p is not None and p.index:
            if list(p.index) != list(sets):
                raise EvalError("param-without-index", f"bound {node.id!r} is indexed over {p.index}, the variable over {sets}",
                                f"index it explicitly, e.g. \"i in {sets[0] if sets else 'S'}\" and \"{node.id}[i]\"", node.col, node.id)
            try:
                return p.get(key, ev.inst)
            except KeyError:
                raise EvalError("param-missing-value", f"{format_key(node.id, key)} has no value", "add the entry or a default",
                                node.col, node.id) from None
    v = ev.value(node, env, _no_var("a variable bound"))
    return float(v)


def objective_value(model: Any, var_value: VarValue, funcs: dict | None = None,
                    evaluator: Evaluator | None = None) -> Any:
    """The objective expression evaluated with `var_value` (0.0 for a feasibility model)."""
    ev = evaluator or Evaluator(load_model(model))
    m = ev.model
    if m.is_feasibility:
        return 0.0
    node = _parse(m.objective or "", Location(section="objective", field="objective"))
    ev.budget()
    try:
        return ev.value(node, {}, var_value, funcs)
    except EvalError as e:
        raise ModelError(e.diagnostic("objective", None, "objective")) from None


# --------------------------------------------------------------------------- derived data


def _factors(node: Node) -> list[Node]:
    """The factors of a product `A * B * C`, left to right (a single set otherwise)."""
    if isinstance(node, SetOp) and node.op == "*":
        return _factors(node.left) + _factors(node.right)
    return [node]


class ScalarDeriver(Deriver):
    """Derived sets and computed params evaluated one element at a time with `Evaluator`, so
    that the checker does not take them from the lowering's vectorized code (`solvers.derive`)."""

    def set(self, model: Model, inst: Instance, name: str, node: Any) -> SetData:
        ev = Evaluator(model, Instance(dict(inst.sets), inst.params), variables=False)
        try:
            elems, dim = self._eval(ev, node, name)
        except EvalError as e:
            raise ModelError(e.diagnostic("sets", name, "expr")) from None
        return SetData(name, elems, dim)

    def _eval(self, ev: Evaluator, node: Node, name: str) -> tuple[list, int]:
        if isinstance(node, SetRef):
            if node.name is None:
                return list(ev.set_elements(node, {})), 1
            sd = ev.inst.sets.get(node.name)
            if sd is None:
                kind = ev.model.names().get(node.name)
                raise EvalError("not-a-set" if kind else "undeclared-symbol",
                                f"{node.name!r} is {'a ' + kind if kind else 'not declared'}, not a set",
                                _near_hint(node.name, list(ev.model.sets)), node.col, node.name)
            return list(sd.elements), sd.dim
        if isinstance(node, SetOp):
            a, da = self._eval(ev, node.left, name)
            b, db = self._eval(ev, node.right, name)
            if node.op == "*":
                cap = limit("max_instances", ev.model._limits)
                if len(a) * len(b) > cap:
                    raise EvalError("set-too-large", f"the product has {len(a) * len(b):,} elements, over the limit "
                                    f"of {cap:,} (max_instances)", how_to_raise("max_instances"), node.col)
                return [_flat(x) + _flat(y) for x in a for y in b], da + db
            if a and b and da != db:
                raise EvalError("set-shape", f"{node.op} combines sets of dimension {da} and {db}",
                                "both sides must hold elements of the same shape", node.col)
            dim = da if a else db
            if node.op == "|":
                seen = set(a)
                return a + [e for e in b if e not in seen and not seen.add(e)], dim  # type: ignore[func-returns-value]
            members = set(b)
            return [e for e in a if (e in members) == (node.op == "&")], dim
        if isinstance(node, ParamKeys):
            p = ev.inst.params.get(node.param)
            if p is None or not p.index:
                raise EvalError("bad-set", f"keys({node.param}): not an indexed param", "keys() takes an indexed param",
                                node.col, node.param)
            out = []
            sets = [ev.inst.sets[s] for s in p.index]
            for pos in itertools.product(*(range(len(s.elements)) for s in sets)):
                given = bool(p.given[pos]) if p.given is not None else not math.isnan(float(p.table[pos]))
                if given:
                    out.append(tuple(x for s, k in zip(sets, pos) for x in _flat(s.elements[k])))
            dim = sum(p.dims)
            return ([k[0] for k in out] if dim == 1 else out), dim
        if isinstance(node, SetComp):
            gens = []
            for k, g in enumerate(node.gens):
                # (i, j) in A * B binds i over A and j over B (so ord(j) knows its set)
                factors = _factors(g.over)
                refs = [self._named(ev, f, name, f"{k}.{j}") for j, f in enumerate(factors)]
                dims = [ev.inst.sets[r.name].dim if r.name is not None else 1 for r in refs]
                if len(refs) > 1 and sum(dims) == len(g.targets):
                    pos = 0
                    for j, (r, d) in enumerate(zip(refs, dims)):
                        gens.append(Gen(g.targets[pos:pos + d], r, g.conds if j == len(refs) - 1 else (), col=g.col))
                        pos += d
                    continue
                gens.append(Gen(g.targets, self._named(ev, g.over, name, str(k)), g.conds, col=g.col))
            targets = [t for g in gens for t in g.targets]
            out = []
            seen: set = set()
            for env in ev.iter_gens(tuple(gens), {}):
                if node.elts is None:
                    key = tuple(x for t in targets for x in _flat(env[t]))
                else:
                    key = ev.key_of(node.elts, env)
                e = key[0] if len(key) == 1 else key
                if e not in seen:
                    seen.add(e)
                    out.append(e)
            if out:
                dim = len(_flat(out[0]))
            elif node.elts is None:
                dim = sum(ev.inst.sets[g.over.name].dim if len(g.targets) == 1 and g.over.name else len(g.targets)
                          for g in gens)
            else:
                dim = len(node.elts)
            return out, dim
        raise EvalError("bad-set", f"{type(node).__name__} is not a set expression", None, node.col)

    def _named(self, ev: Evaluator, node: Node, name: str, tag: str) -> SetRef:
        if isinstance(node, SetRef):
            return node
        elems, d = self._eval(ev, node, name)
        tmp = f"\0{name}#{tag}"
        ev.inst.sets[tmp] = SetData(tmp, elems, d)
        return SetRef(name=tmp, col=node.col)

    def param(self, model: Model, inst: Instance, name: str, spec: ParamSpec, node: Any) -> ParamData:
        ev = Evaluator(model, inst, variables=False)
        sets, names = spec.index_sets, spec.index_names
        for sname in sets:
            if sname not in inst.sets:
                raise ModelError(Diagnostic("undeclared-set", f"param {name!r} is indexed over {sname!r}, which is "
                                            "not a declared set", location=Location(section="params", item=name,
                                                                                    field="index", symbol=sname),
                                            hint=_near_hint(sname, list(model.sets))))
        sds = [inst.sets[s] for s in sets]
        count, cap = math.prod(len(s.elements) for s in sds), limit("max_instances", model._limits)
        if count > cap:
            raise over_limit("max_instances", f"param {name!r} over {' × '.join(sets)}", count, "entries", cap,
                             code="param-too-large", section="params", item=name, field="index")
        table = np.full([len(s.elements) for s in sds], np.nan)
        for pos in itertools.product(*(range(len(s.elements)) for s in sds)):
            combo = [s.elements[k] for s, k in zip(sds, pos)]
            env: dict = {n: e for n, e in zip(names, combo) if n}
            env.update({_SET + n: s for n, s in zip(names, sets) if n})
            key = tuple(x for e in combo for x in _flat(e))
            try:
                v = float(ev.value(node, env, _no_var("a computed param")))
            except EvalError as e:
                raise ModelError(e.diagnostic("params", name, "expr", key or None)) from None
            except (ArithmeticError, ValueError, TypeError) as e:
                raise ModelError(Diagnostic("evaluation-error", f"cannot evaluate: {e}", location=Location(
                    section="params", item=name, field="expr", index=key or None))) from None
            if not math.isfinite(v):
                raise ModelError(Diagnostic("non-finite", f"the computed value is {v}", location=Location(
                    section="params", item=name, field="expr", index=key or None),
                    hint="check the data (division by zero, overflow, negative base)"))
            table[pos] = v
        return ParamData(name, list(sets), table, None, [s.dim for s in sds])


register_deriver(True, ScalarDeriver)


# --------------------------------------------------------------------------- judging relations


@dataclass
class Judgement:
    """Outcome of a relation on float values."""

    ok: bool
    amount: float = 0.0
    lhs: float | None = None
    rhs: float | None = None
    sense: str = ""
    detail: str = ""


def _pair(a: float, op: str, b: float, tol: float) -> tuple[bool, float]:
    allowed = tol * max(1.0, abs(a), abs(b))
    if op == "<=":
        d = a - b
        return d > allowed, max(d, 0.0)
    if op == ">=":
        d = b - a
        return d > allowed, max(d, 0.0)
    if op == "==":
        d = abs(a - b)
        return d > allowed, d
    if op in ("<", ">"):
        lo, hi = (a, b) if op == "<" else (b, a)
        if _integral(lo, tol) and _integral(hi, tol):
            d = lo - (round(hi) - 1)
            return d > allowed, max(d, 0.0)
        return lo >= hi, max(lo - hi, 0.0)
    if op == "!=":
        eq = abs(a - b) <= allowed
        return eq, 1.0 if eq else 0.0
    raise ValueError(op)


def _integral(v: float, tol: float = 0.0) -> bool:
    """Integral within tol (the integrality tolerance), so that an integer variable at
    2.9999995 — accepted as 3 by the integrality check — is judged as 3 by `k < 3`."""
    return abs(v - round(v)) <= max(tol, 1e-9 * max(1.0, abs(v)))


def judge(rel: Rel, tol: float = 1e-6) -> Judgement:
    """Evaluate a relation on floats: whether it holds, and by how much it is violated."""
    if isinstance(rel, Cmp):
        worst: Judgement | None = None
        vals = [float(v) for v in rel.operands]
        for a, op, b in zip(vals, rel.ops, vals[1:]):
            bad, amount = _pair(a, op, b, tol)
            j = Judgement(not bad, amount if bad else 0.0, a, b, op)
            if worst is None or (bad and (worst.ok or amount > worst.amount)):
                worst = j
        assert worst is not None
        if len(rel.ops) > 1:
            worst.sense = " ".join(rel.ops)
        return worst
    if isinstance(rel, Lit):
        v = float(rel.value)
        holds = (v > 0.5) == rel.positive
        return Judgement(holds, 0.0 if holds else abs(v - (1.0 if rel.positive else 0.0)), v, 1.0 if rel.positive else 0.0, "literal")
    kind = rel.kind
    if kind == "and":
        js = [judge(p, tol) for p in rel.parts]
        bad = [j for j in js if not j.ok]
        if not bad:
            return Judgement(True, sense="and")
        w = max(bad, key=lambda j: j.amount)
        return Judgement(False, w.amount, w.lhs, w.rhs, w.sense, f"{len(bad)} of {len(js)} parts violated")
    if kind == "or":
        js = [judge(p, tol) for p in rel.parts]
        if any(j.ok for j in js):
            return Judgement(True, sense="or")
        b = min(js, key=lambda j: j.amount)
        return Judgement(False, b.amount, b.lhs, b.rhs, b.sense, f"none of {len(js)} alternatives holds (nearest shown)")
    if kind == "not":
        j = judge(rel.parts[0], tol)
        return Judgement(not j.ok, 0.0 if not j.ok else 1.0, j.lhs, j.rhs, "not", "" if not j.ok else "the negated constraint holds")
    if kind == "implies":
        c = judge(rel.parts[0], tol)
        if not c.ok:
            return Judgement(True, sense="implies", detail="condition does not hold")
        j = judge(rel.parts[1], tol)
        if j.ok:
            return Judgement(True, sense="implies")
        return Judgement(False, j.amount, j.lhs, j.rhs, j.sense, "condition holds but the implied constraint is violated" +
                         (f" ({j.detail})" if j.detail else ""))
    if kind == "all_different":
        vals = [float(v) for v in rel.parts]
        order = sorted(range(len(vals)), key=lambda i: vals[i])
        pairs: list[tuple[int, int]] = []
        for a in range(len(order)):
            for b in range(a + 1, len(order)):
                i, k = order[a], order[b]
                if abs(vals[k] - vals[i]) <= tol * max(1.0, abs(vals[i])):
                    pairs.append((min(i, k), max(i, k)))
                else:
                    break
        if not pairs:
            return Judgement(True, sense="all_different")
        i, k = min(pairs)
        return Judgement(False, float(len(pairs)), vals[i], vals[k], "all_different",
                         f"{len(pairs)} equal pair(s), e.g. positions {i + 1} and {k + 1} both = {vals[i]:g}")
    raise ValueError(f"unknown relation {kind!r}")


# --------------------------------------------------------------------------- the report


@dataclass
class Violation:
    """A violated constraint instance."""

    constraint: str
    index: tuple
    expr: str
    lhs: float | None
    rhs: float | None
    amount: float
    sense: str
    detail: str = ""

    @property
    def label(self) -> str:
        return format_key(self.constraint, self.index)

    def __str__(self) -> str:
        sides = f": lhs {self.lhs:g} {self.sense} rhs {self.rhs:g}" if self.lhs is not None and self.rhs is not None else ""
        det = f" — {self.detail}" if self.detail else ""
        return safe_line(f"{self.label} violated by {self.amount:g}{sides}{det}  [{self.expr}]")

    def to_dict(self) -> dict:
        return {"constraint": self.constraint, "index": list(self.index), "label": self.label, "expr": self.expr,
                "lhs": self.lhs, "rhs": self.rhs, "amount": self.amount, "sense": self.sense, "detail": self.detail}


@dataclass
class VariableProblem:
    """A value outside its bounds, a fractional integer, or a non-finite value."""

    variable: str
    index: tuple
    value: float
    kind: str  # lower-bound | upper-bound | integrality | non-finite
    amount: float
    bound: float | None = None

    @property
    def label(self) -> str:
        return format_key(self.variable, self.index)

    def __str__(self) -> str:
        label = safe_line(self.label)
        if self.kind == "integrality":
            return f"{label} = {self.value:g} is not integral (off by {self.amount:g})"
        if self.kind == "non-finite":
            return f"{label} = {self.value} is not a finite number"
        side = "below its lower" if self.kind == "lower-bound" else "above its upper"
        return f"{label} = {self.value:g} is {side} bound {self.bound:g} by {self.amount:g}"

    def to_dict(self) -> dict:
        return {"variable": self.variable, "index": list(self.index), "label": self.label, "value": _jnum(self.value),
                "kind": self.kind, "amount": _jnum(self.amount), "bound": self.bound}


@dataclass
class UnknownEntry:
    """An assignment entry that names no variable instance (or holds no number)."""

    entry: str
    reason: str

    def __str__(self) -> str:
        return safe_line(f"{self.entry}: {self.reason}")


@dataclass
class CheckReport:
    """What `check` found. `feasible` means: complete, no model errors, no violations."""

    feasible: bool
    complete: bool
    objective: float | None
    violations: list[Violation] = field(default_factory=list)
    variable_problems: list[VariableProblem] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    unknown_entries: list[UnknownEntry] = field(default_factory=list)
    unevaluated: list[str] = field(default_factory=list)
    errors: list[Diagnostic] = field(default_factory=list)
    claimed_objective: float | None = None
    objective_consistent: bool | None = None
    n_constraints: int = 0
    n_variables: int = 0
    tol: float = 1e-6
    missing_policy: str = "error"

    @property
    def max_violation(self) -> float:
        return max((v.amount for v in self.violations), default=0.0)

    def summary(self, limit: int = 10) -> str:
        lines = [f"{'FEASIBLE' if self.feasible else 'NOT FEASIBLE'}: {self.n_constraints} constraint instance(s), "
                 f"{self.n_variables} variable instance(s) checked (tol {self.tol:g})"]
        if self.objective is not None:
            obj = f"objective (recomputed) = {self.objective:.10g}"
            if self.claimed_objective is not None:
                obj += f"; claimed {self.claimed_objective:.10g} ({'consistent' if self.objective_consistent else 'INCONSISTENT'})"
            lines.append(obj)
        sections: list[tuple[str, list]] = [
            ("model errors", [str(d) for d in self.errors]),
            ("violated constraints", [str(v) for v in self.violations]),
            ("variable problems", [str(p) for p in self.variable_problems]),
            (f"missing values ({'taken as 0' if self.missing_policy == 'zero' else 'not evaluated'})", self.missing),
            ("unknown entries", [str(u) for u in self.unknown_entries]),
            ("not evaluated (missing values)", self.unevaluated),
        ]
        for title, items in sections:
            if items:
                lines.append(f"{title}: {len(items)}")
                lines.extend(f"  {safe_line(s)}" for s in items[:limit])
                if len(items) > limit:
                    lines.append(f"  ... and {len(items) - limit} more")
        return "\n".join(lines)

    def to_dict(self) -> dict:
        return {
            "feasible": self.feasible, "complete": self.complete, "objective": _jnum(self.objective),
            "claimed_objective": _jnum(self.claimed_objective), "objective_consistent": self.objective_consistent,
            "max_violation": self.max_violation, "violations": [v.to_dict() for v in self.violations],
            "variable_problems": [p.to_dict() for p in self.variable_problems], "missing": list(self.missing),
            "unknown_entries": [{"entry": u.entry, "reason": u.reason} for u in self.unknown_entries],
            "unevaluated": list(self.unevaluated), "errors": [d.to_dict() for d in self.errors],
            "n_constraints": self.n_constraints, "n_variables": self.n_variables, "tol": self.tol,
            "missing_policy": self.missing_policy,
        }


def _jnum(x: float | None) -> float | str | None:
    if x is None:
        return None
    return x if math.isfinite(x) else str(x)


# --------------------------------------------------------------------------- assignments


_MAX_ERRORS_PER_CONSTRAINT = 10
_BRACKET = re.compile(r"^\s*([^\W\d]\w*)\s*[\[(](.*)[\])]\s*$", re.UNICODE | re.DOTALL)


class _Reader:
    """Normalizes the accepted assignment formats into {(name, flat key): float}."""

    def __init__(self, ev: Evaluator):
        self.ev = ev
        self.values: dict[tuple[str, tuple], float] = {}
        self.unknown: list[UnknownEntry] = []
        self._universe: dict[tuple[str, int], dict] = {}

    def read(self, assignment: Any) -> None:
        if not isinstance(assignment, Mapping):
            self.unknown.append(UnknownEntry(_short(assignment), "an assignment is a mapping variable -> values"))
            return
        for top, val in assignment.items():
            name = str(top).strip()
            if name in self.ev.model.variables:
                self._var(name, val, [], name)
                continue
            m = _BRACKET.match(name)
            if m and m.group(1) in self.ev.model.variables:
                self._leaf(m.group(1), [m.group(2)], val, name)
                continue
            near = nearest(m.group(1) if m else name, list(self.ev.model.variables))
            self.unknown.append(UnknownEntry(name, "not a variable of the model" + (f" (did you mean {near!r}?)" if near else "")))

    def _arity(self, name: str) -> int:
        return sum(self.ev.dims(self.ev.var_sets[name]))

    def _var(self, name: str, val: Any, prefix: list, where: str) -> None:
        arity = self._arity(name)
        if isinstance(val, dict) and "value" in val and set(val) <= {"value", "index", "key", "indices"}:
            self._list(name, [val], prefix, where, arity)
            return
        if isinstance(val, dict):
            for k, v in val.items():
                path = [*prefix, k]
                w = format_key(name, tuple(path))
                if isinstance(v, dict) and "value" not in v:
                    self._var(name, v, path, w)
                elif isinstance(v, dict):
                    self._leaf(name, path, v.get("value"), w)
                else:
                    self._leaf(name, path, v, w)
            return
        if isinstance(val, list):
            self._list(name, val, prefix, where, arity)
            return
        self._leaf(name, prefix, val, where)

    def _list(self, name: str, val: list, prefix: list, where: str, arity: int) -> None:
        if val and all(isinstance(x, dict) and "value" in x for x in val):
            for x in val:
                idx = x.get("index", x.get("key", x.get("indices", [])))
                idx = list(idx) if isinstance(idx, (list, tuple)) else [idx]
                self._leaf(name, [*prefix, *idx], x.get("value"), format_key(name, tuple(idx)))
            return
        sets = self.ev.var_sets[name]
        if self._dense_ok(val, sets, len(prefix)):
            self._dense(name, val, sets, prefix)
            return
        rest = arity - len(_flatten(prefix))
        if val and all(isinstance(r, list) and len(r) == rest + 1 for r in val):
            for r in val:
                path = [*prefix, *r[:-1]]
                self._leaf(name, path, r[-1], format_key(name, tuple(path)))
            return
        self.unknown.append(UnknownEntry(where, f"cannot read a list of {len(val)} item(s) here "
                                                 "(expected one value per element in set order, rows [keys..., value], "
                                                 "or {\"index\": [...], \"value\": v} records)"))

    def _dense_ok(self, val: Any, sets: list[str], depth: int) -> bool:
        if depth >= len(sets) or not isinstance(val, list) or len(val) != len(self.ev.inst.sets[sets[depth]]):
            return False
        if depth == len(sets) - 1:
            return all(not isinstance(v, (list, dict)) for v in val)
        return all(self._dense_ok(v, sets, depth + 1) for v in val)

    def _dense(self, name: str, val: list, sets: list[str], prefix: list) -> None:
        for e, v in zip(self.ev.inst.sets[sets[len(prefix)]].elements, val):
            path = [*prefix, e]
            if isinstance(v, list):
                self._dense(name, v, sets, path)
            else:
                self._leaf(name, path, v, format_key(name, tuple(_flatten(path))))

    def _leaf(self, name: str, path: list, raw: Any, where: str) -> None:
        val = _to_number(raw)
        if val is None:
            self.unknown.append(UnknownEntry(where, f"value {_short(raw)} is not a number"))
            return
        key = self._match(name, path)
        if isinstance(key, str):
            self.unknown.append(UnknownEntry(where, key))
            return
        if (name, key) in self.values and self.values[(name, key)] != val:
            self.unknown.append(UnknownEntry(where, f"given twice ({self.values[(name, key)]:g} and {val:g}); the last is used"))
        self.values[(name, key)] = val

    def _match(self, name: str, path: list) -> tuple | str:
        """The flat key a path of raw key parts denotes, or a reason string."""
        arity = self._arity(name)
        parts = _flatten(path)
        if len(parts) != arity:
            split: list = []
            for p in parts:
                if isinstance(p, str) and ("," in p or p.strip()[:1] in "([" or not p.strip()):
                    split.extend(x for x in (s.strip() for s in p.strip().strip("()[]").split(",")) if x)
                else:
                    split.append(p)
            parts = split
        if len(parts) != arity:
            return f"{name} takes {arity} index value(s), got {len(parts)}"
        key = []
        k = 0
        for s in self.ev.var_sets[name]:
            sd = self.ev.inst.sets[s]
            comp = []
            for j in range(sd.dim):
                e = self._elem(s, sd, j, parts[k])
                if e is _NOPE:
                    return f"{parts[k]!r} is not an element of {s}" + _near_suffix(str(parts[k]), self._univ(s, sd, j))
                comp.append(e)
                k += 1
            t = comp[0] if sd.dim == 1 else tuple(comp)
            if t not in sd.pos:
                return f"{t!r} is not an element of {s}"
            key.extend(comp)
        return tuple(key)

    def _univ(self, s: str, sd: SetData, j: int) -> dict:
        u = self._universe.get((s, j))
        if u is None:
            comps = sd.elements if sd.dim == 1 else dict.fromkeys(e[j] for e in sd.elements)
            u = {e: e for e in comps}
            self._universe[(s, j)] = u
        return u

    def _elem(self, s: str, sd: SetData, j: int, part: Any) -> Any:
        u = self._univ(s, sd, j)
        if not isinstance(part, bool) and isinstance(part, (str, int)) and part in u:
            return u[part]
        if isinstance(part, float) and math.isfinite(part) and part == int(part) and int(part) in u:
            return int(part)
        if isinstance(part, str):
            t = part.strip().strip("'\"").strip()
            if t in u:
                return t
            if re.fullmatch(r"[+-]?\d+", t) and int(t) in u:
                return int(t)
            low = [e for e in u if isinstance(e, str) and e.lower() == t.lower()]
            if len(low) == 1:
                return low[0]
        return _NOPE


_NOPE = object()


def _flatten(path: list) -> list:
    out: list = []
    for p in path:
        if isinstance(p, (tuple, list)):
            out.extend(_flatten(list(p)))
        else:
            out.append(p)
    return out


def _near_suffix(s: str, universe: dict) -> str:
    near = nearest(s, [str(e) for e in list(universe)[:5000]])
    return f" (did you mean {near!r}?)" if near else ""


def _to_number(v: Any) -> float | None:
    if isinstance(v, bool):
        return float(v)
    if isinstance(v, (int, float)):
        return float(v)
    if hasattr(v, "item") and not isinstance(v, (str, bytes, dict, list)):
        try:
            return float(v.item())
        except (TypeError, ValueError):
            return None
    if isinstance(v, str):
        t = v.strip().replace(",", "").replace("_", "")
        try:
            return float(t)
        except ValueError:
            return None
    return None


def _short(x: Any) -> str:
    s = repr(x)
    return s if len(s) <= 60 else s[:57] + "..."


# --------------------------------------------------------------------------- check


def check(model: Any, assignment: Any, tol: float = 1e-6, *, claimed_objective: float | None = None,
          missing: str = "error") -> CheckReport:
    """Score an assignment against a model; see the module docstring for formats and tolerances.

    `assignment`: a `Solution`, `Solution.to_dict()`, or a mapping variable -> values in any of
    the forms `{("a", "b"): v}`, `{"a,b": v}`, `{"x[a,b]": v}` (top level), nested dicts
    `{"a": {"b": v}}`, lists of `{"index": [...], "value": v}`, lists in set order, rows
    `[a, b, v]`, or a plain number for a scalar variable. `missing`: "error" or "zero".
    Never raises for a bad model or assignment: problems are in the report."""
    if missing not in ("error", "zero"):
        raise ValueError("missing must be 'error' or 'zero'")
    report = CheckReport(feasible=False, complete=False, objective=None, tol=tol, missing_policy=missing,
                         claimed_objective=claimed_objective)
    try:
        m = load_model(model)
        ev = Evaluator(m)
    except ModelError as e:
        report.errors.extend(e.diagnostics)
        return report
    assignment, claimed = _unwrap(assignment, set(m.variables))
    if claimed_objective is None:
        report.claimed_objective = claimed_objective = claimed
    reader = _Reader(ev)
    reader.read(assignment)
    values = reader.values
    report.unknown_entries = reader.unknown

    # variables: bounds, integrality, completeness
    try:
        for vi in variable_instances(m, ev):
            report.n_variables += 1
            k = (vi.name, vi.key)
            if k not in values:
                report.missing.append(format_key(vi.name, vi.key))
                if missing == "zero":
                    _check_var(report, vi, 0.0, tol)
                continue
            _check_var(report, vi, values[k], tol)
    except ModelError as e:
        report.errors.extend(e.diagnostics)

    def var_value(name: str, key: tuple) -> float:
        v = values.get((name, key))
        if v is None:
            if missing == "zero":
                return 0.0
            raise _MissingValue(format_key(name, key))
        return v

    for c in m.constraints:
        n_err = 0
        try:
            for ci in _expand_one(ev, c.name, c.expr, c.forall):
                report.n_constraints += 1
                try:
                    j = judge(ci.relation(var_value), tol)
                except _MissingValue:
                    report.unevaluated.append(ci.label)
                    continue
                except ModelError as e:
                    n_err += 1
                    if n_err <= _MAX_ERRORS_PER_CONSTRAINT:
                        report.errors.extend(e.diagnostics)
                    continue
                except (ArithmeticError, ValueError, TypeError) as e:
                    n_err += 1
                    if n_err <= _MAX_ERRORS_PER_CONSTRAINT:
                        report.errors.append(Diagnostic("evaluation-error", f"cannot evaluate: {e}", location=Location(
                            section="constraints", item=ci.name, field="expr", index=ci.key), hint="check the data and values"))
                    continue
                if not j.ok:
                    report.violations.append(Violation(ci.name, ci.key, ci.text, j.lhs, j.rhs, j.amount, j.sense, j.detail))
        except ModelError as e:
            report.errors.extend(e.diagnostics)
        if n_err > _MAX_ERRORS_PER_CONSTRAINT:
            report.errors.append(Diagnostic("more-errors", f"{n_err - _MAX_ERRORS_PER_CONSTRAINT} more instance error(s) not shown",
                                            location=Location(section="constraints", item=c.name), severity="error"))
    try:
        report.objective = float(objective_value(m, var_value, evaluator=ev))
    except _MissingValue:
        report.objective = None
    except ModelError as e:
        report.errors.extend(e.diagnostics)
    except (ArithmeticError, ValueError, TypeError) as e:
        report.errors.append(Diagnostic("evaluation-error", f"the objective cannot be evaluated: {e}",
                                        location=Location(section="objective", field="objective")))
    if report.objective is not None and claimed_objective is not None:
        c_obj = float(claimed_objective)
        report.objective_consistent = abs(report.objective - c_obj) <= tol * max(1.0, abs(report.objective))
    report.complete = not report.errors and not report.unevaluated and (missing == "zero" or not report.missing)
    report.feasible = report.complete and not report.violations and not report.variable_problems
    return report


def _check_var(report: CheckReport, vi: VariableInstance, v: float, tol: float) -> None:
    if not math.isfinite(v):
        report.variable_problems.append(VariableProblem(vi.name, vi.key, v, "non-finite", math.inf))
        return
    if vi.lb is not None and v < vi.lb - tol * max(1.0, abs(vi.lb)):
        report.variable_problems.append(VariableProblem(vi.name, vi.key, v, "lower-bound", vi.lb - v, vi.lb))
    if vi.ub is not None and v > vi.ub + tol * max(1.0, abs(vi.ub)):
        report.variable_problems.append(VariableProblem(vi.name, vi.key, v, "upper-bound", v - vi.ub, vi.ub))
    if vi.domain in ("integer", "binary") and abs(v - round(v)) > tol:
        report.variable_problems.append(VariableProblem(vi.name, vi.key, v, "integrality", abs(v - round(v))))


def _unwrap(assignment: Any, variables: set[str]) -> tuple[Any, float | None]:
    """A Solution / Solution.to_dict() / {"values": ..., "objective": ...} → (values, claimed objective)."""
    vals = getattr(assignment, "values", None)
    if vals is not None and not callable(vals) and hasattr(assignment, "status"):
        return vals, getattr(assignment, "objective", None)
    if isinstance(assignment, dict) and isinstance(assignment.get("values"), dict) and \
            not any(str(k) in variables for k in assignment):
        obj = _to_number(assignment.get("objective")) if assignment.get("objective") is not None else None
        return assignment["values"], obj
    return assignment, None
