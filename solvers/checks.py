"""Static checks of a model: located diagnostics and the inferred problem class.

`check_model(model, backend=None)` never raises for a bad model: load and data errors become
diagnostics too. The checks walk the expression trees with scopes of bound index names and do not
instantiate constraint instances (data is resolved once via `data.instance`; forall bindings are
counted when that is cheap). Rules follow docs/semantics.md. The only instance-level work is the
convexity test of a quadratic objective: the objective is expanded into a polynomial by the
checker's scalar evaluator (independent of the lowering) and its Hessian tested with eigenvalues.

Diagnostic codes emitted here (plus the loader's, parser's and data resolution's own codes):
duplicate-name, duplicate-constraint, bad-name, reserved-name, undeclared-symbol, undeclared-set,
index-arity, index-not-in-set, generator-arity, shadowed-name (warning), set-as-value,
param-without-index, variable-without-index, bad-index, variable-in-data-context, nonlinear,
nonconvex-qp, qp-convexity-unchecked (info), miqp-unsupported, needs-cpsat, strict-inequality,
bad-implies-condition, bad-disjunction, misplaced-constraint, not-a-constraint, bad-objective,
constant-objective (warning), empty-domain, unbounded-integer-cpsat, cpsat-real-variable,
orphan-variable (warning), unused-param (warning), unused-set (warning), empty-forall (warning),
no-instances (warning).
"""

from __future__ import annotations

import contextlib
import itertools
import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from .checker import EvalError, Evaluator, objective_value
from .data import Instance, instance
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
    SetEnd,
    SetRef,
    Step,
    Str,
    Tuple,
    nearest,
    parse_expr,
    parse_forall,
    parse_index_decl,
    parse_set_expr,
    set_names,
    walk,
)
from .limits import limit, over_limit
from .lower import VectorDeriver  # noqa: F401 - registers the vectorized evaluator of derived data
from .model import IDENT, RESERVED, Model, load_model

if TYPE_CHECKING:
    from .lowered import Lowered

CLASSES = ("LP", "MILP", "QP", "MIQP", "CP")
NONLINEAR = 3
_COUNT_LIMIT = 200_000
_DENSE_EIG_LIMIT = 2000
_CHOLESKY_LIMIT = 6000


@dataclass
class CheckResult:
    """All static diagnostics of a model and its inferred problem class."""

    diagnostics: list[Diagnostic] = field(default_factory=list)
    problem_class: str | None = None  # LP | MILP | QP | MIQP | CP (None when the model did not load)
    n_variables: int | None = None  # variable instances
    n_constraints: int | None = None  # constraint instances (None when not counted)
    backend: str | None = None
    # the lowering that built the instances, for the backend a solve would choose (`lowered_for`):
    # `solvers.solve(res.lowered, backend=res.lowered_for)` solves without lowering again
    lowered: Lowered | None = field(default=None, repr=False, compare=False)
    lowered_for: str | None = None

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.severity == "error"]

    @property
    def warnings(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.severity == "warning"]

    @property
    def ok(self) -> bool:
        """True when there is no error (warnings allowed)."""
        return not self.errors

    def codes(self) -> list[str]:
        return [d.code for d in self.diagnostics]

    def summary(self) -> str:
        head = f"{'OK' if self.ok else 'ERRORS'}: class {self.problem_class or '?'}"
        if self.n_variables is not None:
            head += f", {self.n_variables} variable instance(s)"
        if self.n_constraints is not None:
            head += f", {self.n_constraints} constraint instance(s)"
        head += f"; {len(self.errors)} error(s), {len(self.warnings)} warning(s)"
        return "\n".join([head, *(str(d) for d in self.diagnostics)])

    def to_dict(self) -> dict:
        return {"ok": self.ok, "problem_class": self.problem_class, "n_variables": self.n_variables,
                "n_constraints": self.n_constraints, "diagnostics": [d.to_dict() for d in self.diagnostics]}


@dataclass(frozen=True)
class _Ctx:
    """Where an expression sits: its location, whether it must be data only, and its sign."""

    section: str
    item: str | None
    field: str
    data_only: str | None = None  # the reason ("an if-condition"), or None
    sign: int = 0  # +1: larger is worse (convex side), -1: mirrored, 0: unknown / both

    def but(self, **kw: Any) -> _Ctx:
        return _Ctx(**{**self.__dict__, **kw})


class _Static:
    def __init__(self, model: Model, inst: Instance | None, backend: str | None):
        self.m = model
        self.inst = inst
        self.backend = backend
        self.diags: list[Diagnostic] = []
        self._seen: set = set()
        self.used: set[str] = set()  # sets and params referenced anywhere
        self.used_vars: set[str] = set()  # variables used in the objective or constraints
        self.var_sets: dict[str, list[str]] = {}
        self.all_different = self.neq = self.logic = self.aux_binary = False
        self.quadratic_objective = False
        self.nonlinear = False  # terms only SCIP takes: the class is NLP / MINLP
        self.objective_ok = True

    # ---- reporting
    def scip_term(self, what: str, ctx: _Ctx, col: int | None, symbol: str | None = None) -> int:
        """A term only SCIP solves: fine for backend auto/scip (class NLP/MINLP), an error for
        HiGHS and CP-SAT. Returns the NONLINEAR degree."""
        self.nonlinear = True
        if self.backend in ("highs", "cpsat"):
            name = "HiGHS" if self.backend == "highs" else "CP-SAT"
            self.add("needs-scip", f"{what} is nonlinear, which {name} does not take",
                     "SCIP solves it to global optimality: backend='scip' (backend='auto' chooses it)",
                     ctx, col, symbol)
        return NONLINEAR

    def add(self, code: str, msg: str, hint: str | None, ctx: _Ctx | None = None, col: int | None = None,
            symbol: str | None = None, severity: str = "error", **loc: Any) -> None:
        where = dict(section=ctx.section, item=ctx.item, field=ctx.field) if ctx else {}
        where.update(loc)
        d = Diagnostic(code, msg, severity=severity,  # type: ignore[arg-type]
                       location=Location(column=col or None, symbol=symbol, **where), hint=hint)
        k = (d.code, d.message, d.location)
        if k not in self._seen:
            self._seen.add(k)
            self.diags.append(d)

    def _names(self, scope: dict) -> list[str]:
        return [*scope, *self.m.sets, *self.m.params, *self.m.variables]

    def set_dim(self, name: str) -> int | None:
        if self.inst is not None and name in self.inst.sets:
            return self.inst.sets[name].dim
        return None

    def param_index(self, name: str) -> list[str]:
        return list(self.m.params[name].index_sets)

    # ---- generators
    def gens(self, gens: tuple[Gen, ...], scope: dict, ctx: _Ctx) -> dict:
        scope = dict(scope)
        for g in gens:
            dim: int | None = 1
            if g.over.name is not None:
                dim = self.setref(g.over, scope, ctx)
            else:
                for b in (g.over.lo, g.over.hi):
                    if b is not None:
                        self.value(b, scope, ctx.but(data_only="a range bound", sign=0))
            if len(g.targets) > 1:
                if dim is not None and dim != len(g.targets):
                    self.add("generator-arity", f"({', '.join(g.targets)}) unpacks {len(g.targets)} names but {g.over.name} has dimension {dim}",
                             f"write {len(g.targets) if dim == 1 else dim} name(s), e.g. `{'(' + ', '.join('ijkl'[:dim]) + ')' if dim and dim > 1 else 'i'} in {g.over.name}`",
                             ctx, g.col, g.over.name)
                for t in g.targets:
                    scope[t] = 1
            else:
                scope[g.targets[0]] = dim
            for t in g.targets:
                if t in self.m.sets or t in self.m.params or t in self.m.variables:
                    self.add("shadowed-name", f"index name {t!r} shadows the declared {self.m.names()[t]} {t!r}",
                             "rename the index name; inside this scope the declared name is hidden",
                             ctx, g.col, t, severity="warning")
            for c in g.conds:
                self.cond(c, scope, ctx)
        return scope

    def setref(self, ref: SetRef, scope: dict, ctx: _Ctx) -> int | None:
        if ref.name is None:
            for b in (ref.lo, ref.hi):
                if b is not None:
                    self.value(b, scope, ctx.but(data_only="a range bound", sign=0))
            return 1
        if ref.name not in self.m.sets:
            near = nearest(ref.name, list(self.m.sets))
            self.add("undeclared-set", f"{ref.name!r} is not a declared set",
                     f"did you mean {near!r}?" if near else "declare it in \"sets\"", ctx, ref.col, ref.name)
            return None
        self.used.add(ref.name)
        return self.set_dim(ref.name)

    # ---- conditions
    def cond(self, node: Node, scope: dict, ctx: _Ctx, what: str = "an if-condition") -> None:
        c = ctx.but(data_only=what, sign=0)
        if isinstance(node, BoolOp):
            for v in node.values:
                self.cond(v, scope, ctx, what)
        elif isinstance(node, Not):
            self.cond(node.operand, scope, ctx, what)
        elif isinstance(node, Compare) and node.ops[0] in ("in", "not in"):
            lhs = node.operands[0]
            for a in (lhs.elts if isinstance(lhs, Tuple) else (lhs,)):
                self.index_arg(a, scope, c)
            ref = node.operands[1]
            assert isinstance(ref, SetRef)
            self.setref(ref, scope, c)
        elif isinstance(node, Compare):
            for o in node.operands:
                if isinstance(o, Str):
                    continue
                if isinstance(o, Tuple):
                    for a in o.elts:
                        self.index_arg(a, scope, c)
                    continue
                self.value(o, scope, c)
        else:
            self.value(node, scope, c)

    # ---- index arguments
    def index_arg(self, node: Node, scope: dict, ctx: _Ctx) -> int | None:
        """Analyze one index argument; returns how many flat positions it fills (None unknown)."""
        if isinstance(node, Name) and node.id in scope:
            return scope[node.id]
        if isinstance(node, Str):
            return 1
        if isinstance(node, SetEnd):
            return self.setref(node.over, scope, ctx)
        if isinstance(node, Step):
            return self.set_func(node.kind, node.arg, node.over, scope, ctx)
        if isinstance(node, Tuple):
            counts = [self.index_arg(a, scope, ctx) for a in node.elts]
            return None if any(x is None for x in counts) else sum(counts)  # type: ignore[misc]
        self.value(node, scope, ctx.but(data_only="an index", sign=0))
        return 1

    def set_func(self, fn: str, arg: Node, over: SetRef | None, scope: dict, ctx: _Ctx) -> int | None:
        """ord / prev / next: the argument is an element (usually an index name); returns the
        number of flat index positions its result fills."""
        n = self.index_arg(arg, scope, ctx.but(data_only=f"the argument of {fn}()", sign=0))
        if over is not None:
            return self.setref(over, scope, ctx)
        if not (isinstance(arg, Name) and arg.id in scope) and not isinstance(arg, (SetEnd, Step)):
            self.add("bad-set-function", f"{fn}() of an expression needs its set",
                     f"write {fn}(e, S) with the ordered set S (or pass an index name bound by a generator)",
                     ctx, arg.col, fn)
        return n

    def index(self, node: Index, scope: dict, ctx: _Ctx) -> None:
        counts = [self.index_arg(a, scope, ctx) for a in node.args]
        base = node.base
        if base in self.m.params:
            self.used.add(base)
            sets = self.param_index(base)
        elif base in self.m.variables:
            sets = self.var_sets.get(base, [])
        elif base in scope or base in self.m.sets:
            self.add("bad-index", f"{base!r} cannot be indexed (it is {'an index name' if base in scope else 'a set'})",
                     "only params and variables are indexed" + ("" if base in scope else f"; iterate with `for i in {base}`"),
                     ctx, node.col, base)
            return
        else:
            self.add("undeclared-symbol", f"{base!r} is not declared", _hint(base, self._names(scope)), ctx, node.col, base)
            return
        dims = [self.set_dim(s) for s in sets]
        if any(d is None for d in dims) or any(c is None for c in counts):
            return
        need = sum(dims)  # type: ignore[arg-type]
        got = sum(counts)  # type: ignore[arg-type]
        if need != got:
            self.add("index-arity", f"{base} takes {need} index value(s), got {got}",
                     f"{base} is indexed over {sets}" if sets else f"{base} is a scalar: write {base} without brackets",
                     ctx, node.col, base)
            return
        # literal elements against one-dimensional index sets
        pos = 0
        flat_sets: list[tuple[str, int]] = []
        for s, d in zip(sets, dims):
            flat_sets.extend((s, j) for j in range(d))  # type: ignore[arg-type]
        for a, c in zip(node.args, counts):
            if isinstance(a, (Str, Num)) and self.inst is not None:
                s, _ = flat_sets[pos]
                sd = self.inst.sets[s]
                e: Any = a.value
                if isinstance(e, float):
                    e = int(e) if e == int(e) else e
                if sd.dim == 1 and e not in sd.pos:
                    near = nearest(str(e), [str(x) for x in sd.elements[:5000]]) if isinstance(e, str) else None
                    self.add("index-not-in-set", f"{base}[...]: {e!r} is not an element of {s}",
                             f"did you mean {near!r}?" if near else f"use an element of {s}", ctx, a.col, str(e))
            pos += c  # type: ignore[operator]

    # ---- values: returns the degree 0 data, 1 affine, 2 quadratic, 3 nonlinear
    def value(self, node: Node, scope: dict, ctx: _Ctx) -> int:
        if isinstance(node, (Num, Str)):
            return 0
        if isinstance(node, Name):
            return self.name(node, scope, ctx)
        if isinstance(node, Index):
            self.index(node, scope, ctx)
            if node.base in self.m.variables and node.base not in scope:
                return self.var_use(node.base, node.col, ctx)
            return 0
        if isinstance(node, Neg):
            return self.value(node.operand, scope, ctx.but(sign=-ctx.sign))
        if isinstance(node, BinOp):
            return self.binop(node, scope, ctx)
        if isinstance(node, IfExp):
            self.cond(node.cond, scope, ctx, "the condition of `a if cond else b`")
            return max(self.value(node.then, scope, ctx), self.value(node.orelse, scope, ctx))
        if isinstance(node, SetEnd):
            self.setref(node.over, scope, ctx)
            return 0
        if isinstance(node, (Ord, Step)):
            self.set_func("ord" if isinstance(node, Ord) else node.kind, node.arg, node.over, scope, ctx)
            return 0
        if isinstance(node, Agg):
            inner = self.gens(node.gens, scope, ctx)
            if node.func == "all_different":
                self.value(node.body, inner, ctx)
                self.add("misplaced-constraint", "all_different(...) is a constraint, not a value",
                         "use it as a whole constraint expr", ctx, node.col, node.func)
                return 0
            if node.func == "prod":
                d = self.value(node.body, inner, ctx.but(sign=0))
                if d > 0:
                    self.add("nonlinear", "a product over a generator of a variable expression is nonlinear",
                             "linearize it (e.g. sum of logs is not supported either); only data products are allowed",
                             ctx, node.col, "prod")
                    return NONLINEAR
                return 0
            d = self.value(node.body, inner, ctx)
            if node.func == "sum":
                return d
            return self.minmax(node.func, d, node.col, ctx)
        if isinstance(node, Call):
            if node.func == "len":
                ref = node.args[0]
                assert isinstance(ref, SetRef)
                self.setref(ref, scope, ctx)
                return 0
            if node.func in ("min", "max", "abs"):
                d = max(self.value(a, scope, ctx) for a in node.args)
                return self.minmax(node.func, d, node.col, ctx)
            if node.func in MATH_FUNCS:
                d = self.value(node.args[0], scope, ctx.but(sign=0))
                if d == 0:
                    return 0
                return self.scip_term(f"{node.func}() of an expression with variables", ctx, node.col, node.func)
            for a in node.args:
                if isinstance(a, (Compare, BoolOp, Not)):
                    continue
                self.value(a, scope, ctx)
            self.add("misplaced-constraint", f"{node.func}(...) is a constraint, not a value",
                     "use it as a whole constraint expr (not inside arithmetic or the objective)", ctx, node.col, node.func)
            return 0
        if isinstance(node, (Compare, BoolOp, Not)):
            self.add("misplaced-constraint", "a comparison or logical operator inside an arithmetic expression",
                     "comparisons belong at the top of a constraint or in `if` conditions", ctx, node.col)
            return 0
        if isinstance(node, Tuple):
            self.add("bad-expression", "a tuple is not a value", "tuples are only index arguments", ctx, node.col)
            return 0
        return 0

    def name(self, node: Name, scope: dict, ctx: _Ctx) -> int:
        n = node.id
        if n in scope:
            return 0
        if n in self.m.params:
            self.used.add(n)
            if self.m.params[n].index:
                self.add("param-without-index", f"param {n!r} is indexed over {self.param_index(n)} but used without an index",
                         f"write {n}[{', '.join('...' for _ in self.param_index(n))}]", ctx, node.col, n)
            return 0
        if n in self.m.variables:
            if self.var_sets.get(n):
                self.add("variable-without-index", f"variable {n!r} is indexed over {self.var_sets[n]} but used without an index",
                         f"write {n}[...] or sum over it: sum({n}[i] for i in {self.var_sets[n][0]})", ctx, node.col, n)
            return self.var_use(n, node.col, ctx)
        if n in self.m.sets:
            self.used.add(n)
            self.add("set-as-value", f"set {n!r} is used as a value", f"use len({n}) for its size, or iterate: for i in {n}",
                     ctx, node.col, n)
            return 0
        self.add("undeclared-symbol", f"{n!r} is not declared", _hint(n, self._names(scope)), ctx, node.col, n)
        return 0

    def var_use(self, n: str, col: int, ctx: _Ctx) -> int:
        if ctx.data_only:
            hint = f"{ctx.data_only} must depend on data only (params, index names, numbers)"
            if "if cond else" in ctx.data_only or "if-condition" in ctx.data_only:
                hint += ("; a condition on a variable is a logical constraint: write implies(y[i], <constraint>) "
                         "with a binary y (big-M is derived from the bounds), or `c1 or c2`")
            self.add("variable-in-data-context", f"variable {n!r} used in {ctx.data_only}", hint, ctx, col, n)
            return 0
        if ctx.section in ("objective", "constraints"):
            self.used_vars.add(n)
        return 1

    def binop(self, node: BinOp, scope: dict, ctx: _Ctx) -> int:
        op = node.op
        if op in ("+", "-"):
            dl = self.value(node.left, scope, ctx)
            dr = self.value(node.right, scope, ctx.but(sign=-ctx.sign) if op == "-" else ctx)
            return max(dl, dr)
        if op == "*":
            sl, sr = self.sign(node.left, scope), self.sign(node.right, scope)
            dl = self.value(node.left, scope, ctx.but(sign=ctx.sign * sr))
            dr = self.value(node.right, scope, ctx.but(sign=ctx.sign * sl))
            if dl >= NONLINEAR or dr >= NONLINEAR:
                return NONLINEAR
            if dl + dr > 2:
                return self.scip_term(f"a product of degree {dl + dr} in the variables", ctx, node.col)
            return dl + dr
        if op == "/":
            sr = self.sign(node.right, scope)
            dl = self.value(node.left, scope, ctx.but(sign=ctx.sign * sr))
            dr = self.value(node.right, scope, ctx.but(sign=0))
            if dr == 0:
                return dl
            return self.scip_term("a division by an expression with variables", ctx, node.col)
        # power
        dl = self.value(node.left, scope, ctx.but(sign=0))
        self.value(node.right, scope, ctx.but(data_only="an exponent", sign=0))
        if dl == 0:
            return 0
        e = self.const(node.right)
        if e == 0:
            return 0
        if e == 1:
            return dl
        if e == 2 and dl == 1:
            return 2
        if dl >= NONLINEAR:
            return NONLINEAR
        shown = "a non-constant" if e is None else f"{e:g}"
        return self.scip_term(f"raising a variable expression to the power {shown}", ctx, node.col)

    def minmax(self, func: str, d: int, col: int, ctx: _Ctx) -> int:
        if d == 0:
            return 0
        if d >= 2:
            if func == "abs":
                return self.scip_term("abs() of a quadratic or nonlinear expression", ctx, col, func)
            self.add("nonlinear", f"{func}() of a quadratic or nonlinear expression is not supported",
                     f"introduce a variable t with t {'>=' if func == 'max' else '<='} each argument as constraints, "
                     "and use t", ctx, col, func)
            return NONLINEAR
        convex = (func in ("max", "abs") and ctx.sign > 0) or (func == "min" and ctx.sign < 0)
        if not convex:
            self.aux_binary = True
        return 1

    # ---- data helpers
    def const(self, node: Node) -> float | None:
        """The value of a closed data expression (no index names), or None."""
        if isinstance(node, Num):
            return node.value
        if self.inst is None:
            return None
        try:
            v = Evaluator(self.m, self.inst).value(node, {}, _raise_var)
            return float(v)
        except Exception:  # noqa: BLE001 - any failure just means "not a known constant"
            return None

    def sign(self, node: Node, scope: dict) -> int:
        """+1 / -1 when a data expression is known nonnegative / nonpositive, else 0."""
        if isinstance(node, Num):
            return (node.value > 0) - (node.value < 0) if node.value else 1
        if isinstance(node, Neg):
            return -self.sign(node.operand, scope)
        if (isinstance(node, Call) and node.func == "len") or isinstance(node, Ord):
            return 1
        if isinstance(node, (Name, Index)):
            n = node.id if isinstance(node, Name) else node.base
            if n in scope or self.inst is None or n not in self.inst.params:
                return 0
            t = self.inst.params[n].table
            t = t[~np.isnan(t)] if t.ndim else t
            if np.all(t >= 0):
                return 1
            if np.all(t <= 0):
                return -1
            return 0
        if isinstance(node, BinOp) and node.op in ("*", "/"):
            return self.sign(node.left, scope) * self.sign(node.right, scope)
        if isinstance(node, BinOp) and node.op == "+":
            a, b = self.sign(node.left, scope), self.sign(node.right, scope)
            return a if a == b else 0
        return 0

    # ---- constraints
    def relation(self, node: Node, scope: dict, ctx: _Ctx, in_logic: bool = False) -> None:
        if isinstance(node, Compare) and all(o not in ("in", "not in") for o in node.ops):
            self.compare(node, scope, ctx, in_logic)
            return
        if isinstance(node, BoolOp):
            if node.op == "or":
                self.logic = True
                for v in node.values:
                    if not (isinstance(v, Compare) or (isinstance(v, BoolOp) and v.op == "and")):
                        self.add("bad-disjunction", "each alternative of `or` must be a comparison (or an `and` of comparisons)",
                                 "write e.g. \"s[a] + d[a] <= s[b] or s[b] + d[b] <= s[a]\"", ctx, getattr(v, "col", node.col))
                    self.relation(v, scope, ctx, True)
            else:
                for v in node.values:
                    self.relation(v, scope, ctx, in_logic)
            return
        if isinstance(node, Not):
            self.logic = True
            self.relation(node.operand, scope, ctx, True)
            return
        if isinstance(node, Call) and node.func == "implies":
            self.logic = True
            self.implies_cond(node.args[0], scope, ctx)
            self.relation(node.args[1], scope, ctx, True)
            return
        if isinstance(node, (Call, Agg)) and node.func == "all_different":
            self.all_different = True
            if isinstance(node, Agg):
                inner = self.gens(node.gens, scope, ctx)
                degs = [self.value(node.body, inner, ctx.but(sign=0))]
            else:
                degs = [self.value(a, scope, ctx.but(sign=0)) for a in node.args]
            if max(degs, default=0) >= 2:
                self.add("nonlinear", "all_different takes linear (affine integer) expressions",
                         "pass variables or variables plus constants", ctx, node.col, "all_different")
            if self.backend == "highs":
                self.add("needs-cpsat", "all_different is only supported by CP-SAT",
                         "use backend='cpsat', or model it with binaries x[i, v] and sum(x[i, v] for i in I) <= 1",
                         ctx, node.col, "all_different")
            return
        self.value(node, scope, ctx.but(sign=0))
        self.add("not-a-constraint", "a constraint needs <=, >= or == (or implies / or / all_different)",
                 "write e.g. \"sum(x[i] for i in I) <= 10\"", ctx, node.col)

    def compare(self, node: Compare, scope: dict, ctx: _Ctx, in_logic: bool) -> None:
        n = len(node.operands)
        signs = [0] * n
        if len(node.ops) == 1 and not in_logic:
            if node.ops[0] == "<=":
                signs = [1, -1]
            elif node.ops[0] == ">=":
                signs = [-1, 1]
        degs = [self.value(o, scope, ctx.but(sign=s)) for o, s in zip(node.operands, signs)]
        if max(degs) >= 2:
            if in_logic:
                self.add("nonlinear", "a nonlinear or quadratic constraint inside implies/or is not supported",
                         "keep logic over linear constraints; model the nonlinear part as its own constraint on a "
                         "variable that the logic then uses", ctx, node.col)
            else:
                self.scip_term("a quadratic term in a constraint" if max(degs) == 2 else "a nonlinear constraint",
                               ctx, node.col)
            if any(o in ("<", ">") for o in node.ops):
                self.add("strict-inequality", "a strict inequality over a nonlinear expression",
                         "use <= or >= (with an explicit margin if intended)", ctx, node.col)
        has_var = max(degs) >= 1
        if "!=" in node.ops and has_var:
            self.neq = True
            if self.backend == "highs":
                self.add("needs-cpsat", "!= between expressions is only supported by CP-SAT",
                         "use backend='cpsat', or a disjunction a <= b - 1 or a >= b + 1", ctx, node.col, "!=")
        if any(o in ("<", ">") for o in node.ops) and has_var:
            reals = sorted({v for o in node.operands for v in self.vars_in(o, scope)
                            if self.m.variables[v].domain == "real"})
            if reals:
                self.add("strict-inequality", f"strict inequality over the continuous variable(s) {', '.join(reals)}",
                         "use <= or >= (with an explicit margin if intended); strict < means <= b - 1 only for integer expressions",
                         ctx, node.col, reals[0])

    def vars_in(self, node: Node, scope: dict) -> set[str]:
        out = set()
        for n in walk(node):
            nm = n.id if isinstance(n, Name) else n.base if isinstance(n, Index) else None
            if nm is not None and nm in self.m.variables and nm not in scope:
                out.add(nm)
        return out

    def implies_cond(self, node: Node, scope: dict, ctx: _Ctx) -> None:
        target = node.operand if isinstance(node, Not) else node
        hint = ("write implies(y[i], ...), implies(not y[i], ...), implies(y[i] == 1, ...) or "
                "implies(y[i] == 0, ...) with y a binary variable")
        if isinstance(target, Compare):
            lit = (len(target.ops) == 1 and target.ops[0] in ("==", ">=", "<=") and isinstance(target.operands[1], Num)
                   and target.operands[1].value in (0.0, 1.0))
            if not lit:
                for o in target.operands:
                    if not isinstance(o, SetRef):
                        self.value(o, scope, ctx.but(sign=0))
                self.add("bad-implies-condition", "the condition of implies must be a binary variable instance (or its negation)",
                         hint, ctx, node.col)
                return
            target = target.operands[0]
        self.value(target, scope, ctx.but(sign=0))
        name = target.id if isinstance(target, Name) else target.base if isinstance(target, Index) else None
        if name not in self.m.variables or self.m.variables[name].domain != "binary":
            self.add("bad-implies-condition", "the condition of implies must be a binary variable instance (or its negation)",
                     hint, ctx, node.col, name)


def _scip_available() -> bool:
    from .backends.scip import available

    return available()


def _raise_var(name: str, key: tuple) -> Any:
    raise EvalError("variable-in-data-context", "variable", symbol=name)


def _hint(name: str, names: list[str]) -> str:
    near = nearest(name, names)
    return f"did you mean {near!r}?" if near else "declare it in sets, params or variables"


# --------------------------------------------------------------------------- polynomials (for Q)


class _NotQuadratic(Exception):
    pass


class _PolyTooLarge(Exception):
    pass


_POLY_PAIRS_LIMIT = 250_000  # term products the scalar convexity check multiplies out


class _Poly:
    """A polynomial of degree <= 2: {(): c, (i,): a_i, (i, j): q_ij with i <= j}."""

    __slots__ = ("t",)

    def __init__(self, t: dict | None = None):
        self.t: dict[tuple, float] = t or {}

    @staticmethod
    def lift(x: Any) -> _Poly:
        if isinstance(x, _Poly):
            return x
        return _Poly({(): float(x)}) if x else _Poly()

    def __add__(self, o: Any) -> _Poly:
        o = _Poly.lift(o)
        t = dict(self.t)
        for k, v in o.t.items():
            t[k] = t.get(k, 0.0) + v
        return _Poly(t)

    __radd__ = __add__

    def __neg__(self) -> _Poly:
        return _Poly({k: -v for k, v in self.t.items()})

    def __sub__(self, o: Any) -> _Poly:
        return self + (-_Poly.lift(o))

    def __rsub__(self, o: Any) -> _Poly:
        return _Poly.lift(o) - self

    def __mul__(self, o: Any) -> _Poly:
        if not isinstance(o, _Poly):
            f = float(o)
            return _Poly({k: v * f for k, v in self.t.items()}) if f else _Poly()
        if len(self.t) * len(o.t) > _POLY_PAIRS_LIMIT:
            raise _PolyTooLarge
        t: dict[tuple, float] = {}
        for k1, v1 in self.t.items():
            for k2, v2 in o.t.items():
                k = tuple(sorted(k1 + k2))
                if len(k) > 2:
                    raise _NotQuadratic
                t[k] = t.get(k, 0.0) + v1 * v2
        return _Poly(t)

    __rmul__ = __mul__

    def __truediv__(self, o: Any) -> _Poly:
        return self * (1.0 / float(o))

    def __pow__(self, e: Any) -> _Poly:
        if e == 0:
            return _Poly({(): 1.0})
        if e == 1:
            return self
        if e == 2:
            return self * self
        raise _NotQuadratic


def _not_poly(*_: Any) -> Any:
    raise _NotQuadratic


def _convexity(st: _Static) -> None:
    """nonconvex-qp when the Hessian of a quadratic objective has the wrong definiteness."""
    ids: dict[tuple, int] = {}

    def var(name: str, key: tuple) -> _Poly:
        return _Poly({(ids.setdefault((name, key), len(ids)),): 1.0})

    try:
        poly = objective_value(st.m, var, funcs={"abs": _not_poly, "min": _not_poly, "max": _not_poly},
                               evaluator=Evaluator(st.m, st.inst))
    except (_NotQuadratic, ModelError, EvalError, ArithmeticError, ValueError, TypeError):
        return
    except _PolyTooLarge:
        st.add("qp-convexity-unchecked", f"the quadratic objective multiplies out to more than "
               f"{_POLY_PAIRS_LIMIT:,} products: its convexity was not checked here",
               "the solver will report a nonconvex objective", severity="info", section="objective",
               field="objective")
        return
    poly = _Poly.lift(poly)
    quad = {k: v for k, v in poly.t.items() if len(k) == 2 and v != 0.0}
    if not quad:
        return
    cols = sorted({i for k in quad for i in k})
    where = {c: n for n, c in enumerate(cols)}
    h = np.zeros((len(cols), len(cols)))
    for (i, j), v in quad.items():
        if i == j:
            h[where[i], where[i]] += v
        else:
            h[where[i], where[j]] += v / 2
            h[where[j], where[i]] += v / 2
    if st.m.sense == "maximize":
        h = -h
    scale = max(1.0, float(np.abs(h).max()))
    loc = dict(section="objective", field="objective")
    want = "positive" if st.m.sense != "maximize" else "negative"
    hint = (f"HiGHS solves convex QPs only: a {'minimized' if want == 'positive' else 'maximized'} quadratic objective must be "
            f"{want} semidefinite (e.g. sum of squares with nonnegative weights); check signs of the quadratic terms")
    # under backend auto a nonconvex QP goes to SCIP (global optimum): a note, not an error
    severity = "error" if st.backend == "highs" or not _scip_available() else "info"
    if severity == "info":
        hint = ("backend 'auto' solves it with SCIP to global optimality (HiGHS takes convex QPs only); if the "
                "objective was meant to be convex, check the signs of the quadratic terms")
    elif st.backend != "highs":
        hint += "; or install SCIP (pip install 'formalize[scip]'), which solves nonconvex QPs to global optimality"
    names = {c: k for k, c in ids.items()}
    if len(cols) <= _DENSE_EIG_LIMIT:
        w, vecs = np.linalg.eigh(h)
        if w[0] < -1e-9 * scale:
            v = np.abs(vecs[:, 0])
            # the variables the direction really moves (an eigenspace shared by several
            # blocks mixes them: name only the large components)
            top = [names[cols[i]] for i in np.argsort(-v)[:3] if v[i] >= 0.3 * v.max()]
            shown = ", ".join(f"{n}[{', '.join(map(str, k))}]" if k else n for n, k in top)
            what = "not concave (as a maximized objective must be for HiGHS)" if st.m.sense == "maximize" \
                else "not convex"
            curv = "largest eigenvalue of its Hessian " + f"{-w[0]:.4g}" if st.m.sense == "maximize" \
                else f"smallest eigenvalue of its Hessian {w[0]:.4g}"
            st.add("nonconvex-qp", f"the quadratic objective is {what} ({curv}; "
                   f"direction mostly along {shown})", hint, symbol=top[0][0], severity=severity, **loc)
    elif len(cols) <= _CHOLESKY_LIMIT:
        try:
            np.linalg.cholesky(h + 1e-9 * scale * np.eye(len(cols)))
        except np.linalg.LinAlgError:
            what = "not concave" if st.m.sense == "maximize" else "not convex"
            st.add("nonconvex-qp", f"the quadratic objective is {what} (Cholesky factorization of its Hessian failed)",
                   hint, severity=severity, **loc)
    else:
        st.add("qp-convexity-unchecked", f"convexity of the quadratic objective over {len(cols)} variables was not checked",
               "the solver will report a nonconvex objective", severity="info", **loc)


# --------------------------------------------------------------------------- entry point


def check_model(model: Any, backend: str | None = None, instantiate: bool = True) -> CheckResult:
    """All diagnostics and the problem class of a model (path, dict, text or Model).

    Static checks first; then, when `instantiate` is true, every constraint instance is built as
    the solver would (up to INSTANTIATE_LIMIT variable instances), so data-dependent errors are
    found before a solve — when a constraint (or the objective) has a static error, the others
    are still built, so one check reports every fault it can. `backend` (None/"auto", "highs", "cpsat")
    enables the backend-specific checks. Never raises for a bad model: load and data errors are
    returned as diagnostics."""
    backend = None if backend in (None, "auto") else backend
    res = CheckResult(backend=backend)
    try:
        m = load_model(model)
    except ModelError as e:
        res.diagnostics.extend(e.diagnostics)
        return res
    inst: Instance | None
    try:
        inst = instance(m)
    except ModelError as e:
        res.diagnostics.extend(e.diagnostics)
        inst = None
    st = _Static(m, inst, backend)
    _names_check(st)
    _variables_check(st)
    _objective_check(st)
    _constraints_check(st, res)
    _definitions_check(st)
    _unused_check(st, inst)
    res.problem_class = _classify(st)
    _backend_check(st, res.problem_class)
    if st.quadratic_objective and st.objective_ok and inst is not None and backend not in ("cpsat", "scip"):
        _convexity(st)
    if inst is not None:
        res.n_variables = sum(math.prod(len(inst.sets[s]) for s in st.var_sets[v]) if all(s in inst.sets for s in st.var_sets[v])
                              else 0 for v in m.variables)
        _size_check(st, m, inst)
    res.diagnostics.extend(st.diags)
    if m.sense == "feasibility" and (m.objective or "").strip():
        res.diagnostics.append(Diagnostic(
            "objective-ignored", "sense is \"feasibility\", so the objective is not optimized",
            severity="warning", location=Location(section="objective"),
            hint="set sense to minimize or maximize, or drop the objective"))
    elif m.sense != "feasibility" and not (m.objective or "").strip():
        res.diagnostics.append(Diagnostic(
            "no-objective", f"sense is {m.sense!r} but there is no objective: any feasible point is returned",
            severity="warning", location=Location(section="objective"),
            hint="write the objective, or set sense to \"feasibility\""))
    if instantiate and inst is not None:
        if res.ok:
            _instances_check(m, res, backend)
        elif (sound := _sound_part(m, res)) is not None:
            # every fault at once: the constraints without static errors are built too
            _instances_check(sound, res, backend)
            res.lowered = res.lowered_for = None
    return res


def _sound_part(m: Model, res: CheckResult) -> Model | None:
    """The model without its constraints (and objective) that have static errors, or None when an
    error sits elsewhere (names, sets, params, variables): then no instance can be built soundly."""
    names = {c.name for c in m.constraints}
    broken: set[str] = set()
    objective_broken = False
    for d in res.errors:
        loc = d.location
        if loc.section == "constraints" and loc.item in names:
            broken.add(loc.item)
        elif loc.section == "objective":
            objective_broken = True
        else:
            return None
    update: dict[str, Any] = {"constraints": [c for c in m.constraints if c.name not in broken]}
    if objective_broken:
        update.update(objective=None, sense="feasibility")
    sound = m.model_copy(update=update)
    sound._cache = {k: v for k, v in m._cache.items() if k in ("instance", "files")}  # the data only
    return sound


INSTANTIATE_LIMIT = 2_000_000  # variable instances; larger models are checked when solved


def _size_check(st: _Static, m: Model, inst: Instance) -> None:
    """Variables and foralls over max_instances (solvers.limits), found without building them."""
    cap = limit("max_instances", m._limits)
    for v, sets in st.var_sets.items():
        if all(s in inst.sets for s in sets):
            n = math.prod(len(inst.sets[s]) for s in sets)
            if n > cap:
                st.diags.extend(over_limit("max_instances", f"variable {v!r} over {' × '.join(sets)}", n,
                                           "instances", cap, code="too-many-instances", section="variables",
                                           item=v, field="index").diagnostics)
    for c in m.constraints:
        if not (c.forall and c.forall.strip()):
            continue
        try:
            gens = parse_forall(c.forall, Location(section="constraints", item=c.name, field="forall"))
        except ModelError:
            continue  # reported by the constraint checks
        sizes = [len(inst.sets[g.over.name]) if g.over.name in inst.sets else None for g in gens]
        if all(x is not None for x in sizes) and math.prod(sizes) > cap:  # type: ignore[misc]
            st.diags.extend(over_limit("max_instances", f"the forall of {c.name!r}", math.prod(sizes),  # type: ignore[arg-type]
                                       "instances", cap, code="too-many-instances", section="constraints",
                                       item=c.name, field="forall").diagnostics)


def _instances_check(m: Model, res: CheckResult, backend: str | None) -> None:
    """Build every constraint instance (the solver's lowering) to find what only data reveals:
    an index outside its set (`inv[t - 1]` at the first t), a missing param entry, division by
    zero, a false constant constraint, a big-M without bounds."""
    if res.n_variables is not None and res.n_variables > INSTANTIATE_LIMIT:
        res.diagnostics.append(Diagnostic(
            "instances-not-checked", f"{res.n_variables} variable instances: constraint instances are "
            "checked when the model is solved", severity="info", location=Location(section="model")))
        return
    from .solve_api import _lower

    # the backend choice of the solve ("auto" picks as solvers.solve does), so the lowering kept
    # here is the one the solve needs and its errors are the ones the solve would raise
    target = backend or ("cpsat" if res.problem_class == "CP" else "auto")
    try:
        low, chosen = _lower(m, target, None)
    except ModelError as e:
        seen = {str(d) for d in res.diagnostics}
        res.diagnostics.extend(d for d in e.diagnostics if str(d) not in seen)
        return
    res.diagnostics.extend(low.diagnostics)
    res.lowered, res.lowered_for = low, chosen


def _names_check(st: _Static) -> None:
    m = st.m
    seen: dict[str, str] = {}
    for kind, table in (("set", m.sets), ("param", m.params), ("variable", m.variables)):
        section = kind + "s"
        for n in table:
            if not IDENT.match(n):
                st.add("bad-name", f"{kind} name {n!r} is not an identifier", "use letters, digits and _ (not starting with a digit)",
                       section=section, item=n, symbol=n)
            elif n in RESERVED:
                st.add("reserved-name", f"{kind} name {n!r} is a reserved word", f"rename it, e.g. {n}_",
                       section=section, item=n, symbol=n)
            if n in seen:
                st.add("duplicate-name", f"{n!r} is declared both as a {seen[n]} and as a {kind}",
                       "names are unique across sets, params and variables; rename one", section=section, item=n, symbol=n)
            else:
                seen[n] = kind
    cnames: set[str] = set()
    for c in m.constraints:
        if not IDENT.match(c.name):
            st.add("bad-name", f"constraint name {c.name!r} is not an identifier", "use letters, digits and _",
                   section="constraints", item=c.name, symbol=c.name)
        elif c.name in RESERVED:
            st.add("reserved-name", f"constraint name {c.name!r} is a reserved word", f"rename it, e.g. {c.name}_",
                   section="constraints", item=c.name, symbol=c.name)
        if c.name in cnames:
            st.add("duplicate-constraint", f"constraint name {c.name!r} is used more than once",
                   "give every constraint a unique name", section="constraints", item=c.name, symbol=c.name)
        cnames.add(c.name)


def _variables_check(st: _Static) -> None:
    m = st.m
    for name, spec in m.variables.items():
        sets, scope = [], {}
        for entry in spec.index:
            try:
                iname, sname = parse_index_decl(entry, Location(section="variables", item=name, field="index"))
            except ModelError as e:
                st.diags.extend(e.diagnostics)
                continue
            if sname not in m.sets:
                near = nearest(sname, list(m.sets))
                st.add("undeclared-set", f"variable {name!r} is indexed over {sname!r}, which is not a declared set",
                       f"did you mean {near!r}?" if near else "declare the set in \"sets\"",
                       section="variables", item=name, field="index", symbol=sname)
                continue
            st.used.add(sname)
            sets.append(sname)
            if iname:
                scope[iname] = st.set_dim(sname)
        st.var_sets[name] = sets
    for name, spec in m.variables.items():
        num = {}
        for which in ("lb", "ub"):
            raw = getattr(spec, which)
            if raw is None:
                continue
            if not isinstance(raw, str):
                num[which] = float(raw)
                if math.isnan(raw):
                    st.add("non-finite", f"{which} of {name!r} is NaN", "use a number or null (unbounded)",
                           section="variables", item=name, field=which)
                continue
            ctx = _Ctx("variables", name, which, data_only="a variable bound")
            try:
                node = parse_expr(raw, Location(section="variables", item=name, field=which))
            except ModelError as e:
                st.diags.extend(e.diagnostics)
                continue
            scope = {}
            for entry in spec.index:
                try:
                    iname, sname = parse_index_decl(entry)
                except ModelError:
                    continue
                if iname:
                    scope[iname] = st.set_dim(sname)
            if isinstance(node, Name) and node.id in m.params and m.params[node.id].index and node.id not in scope:
                st.used.add(node.id)
                if list(m.params[node.id].index_sets) != st.var_sets[name]:
                    st.add("param-without-index", f"bound {node.id!r} is indexed over {list(m.params[node.id].index_sets)}, "
                           f"the variable over {st.var_sets[name]}", "index the variable with names (\"i in S\") and write "
                           f"{node.id}[i]", ctx, node.col, node.id)
                continue
            st.value(node, scope, ctx)
        if "lb" in num and "ub" in num and num["lb"] > num["ub"]:
            st.add("empty-domain", f"{name!r} has lb {num['lb']:g} > ub {num['ub']:g}", "swap or fix the bounds",
                   section="variables", item=name, field="lb")


def _objective_check(st: _Static) -> None:
    m = st.m
    if m.is_feasibility:
        return
    ctx = _Ctx("objective", None, "objective", sign=-1 if m.sense == "maximize" else 1)
    try:
        node = parse_expr(m.objective or "", Location(section="objective", field="objective"))
    except ModelError as e:
        st.diags.extend(e.diagnostics)
        st.objective_ok = False
        return
    n_before = len(st.diags)
    if isinstance(node, (Compare, BoolOp, Not)) or (isinstance(node, (Call, Agg)) and node.func in ("implies", "all_different")):
        st.add("bad-objective", "the objective is an expression to optimize, not a constraint",
               "move comparisons to \"constraints\"; the objective is e.g. \"sum(c[i] * x[i] for i in I)\"", ctx, node.col)
        st.objective_ok = False
        return
    d = st.value(node, {}, ctx)
    if any(x.severity == "error" for x in st.diags[n_before:]):
        st.objective_ok = False
    if d == 2:
        st.quadratic_objective = True
    elif d >= NONLINEAR:
        st.nonlinear = True
    elif d == 0 and st.objective_ok:
        st.add("constant-objective", "the objective contains no variable", "did you forget a variable, or mean sense \"feasibility\"?",
               ctx, node.col, severity="warning")


def _constraints_check(st: _Static, res: CheckResult) -> None:
    total: int | None = 0
    for c in st.m.constraints:
        ctx_e = _Ctx("constraints", c.name, "expr")
        ctx_f = _Ctx("constraints", c.name, "forall")
        gens: tuple[Gen, ...] = ()
        forall_ok = True
        if c.forall and c.forall.strip():
            try:
                gens = parse_forall(c.forall, Location(section="constraints", item=c.name, field="forall"))
            except ModelError as e:
                st.diags.extend(e.diagnostics)
                forall_ok = False
        n_before = len(st.diags)
        scope = st.gens(gens, {}, ctx_f)
        if any(d.severity == "error" for d in st.diags[n_before:]):
            forall_ok = False
        try:
            node = parse_expr(c.expr, Location(section="constraints", item=c.name, field="expr"))
        except ModelError as e:
            st.diags.extend(e.diagnostics)
        else:
            st.relation(node, scope, ctx_e)
        count = _count(st, gens, ctx_f) if forall_ok else None
        total = None if total is None or count is None else total + count
    res.n_constraints = total


def _count(st: _Static, gens: tuple[Gen, ...], ctx: _Ctx) -> int | None:
    """Instances of a forall (None when not cheap); warns about empty ones."""
    if st.inst is None:
        return None
    if not gens:
        return 1
    sizes = []
    for g in gens:
        if g.over.name is None or g.over.name not in st.inst.sets:
            sizes.append(None)
            continue
        n = len(st.inst.sets[g.over.name])
        sizes.append(n)
        if n == 0:
            st.add("empty-forall", f"the forall ranges over the empty set {g.over.name!r}: the constraint has no instances",
                   f"give {g.over.name} elements, or drop the constraint", ctx, g.col, g.over.name, severity="warning")
            return 0
    if all(s is not None for s in sizes) and not any(g.conds for g in gens):
        return math.prod(sizes)  # type: ignore[arg-type]
    bound = math.prod(s if s is not None else 1000 for s in sizes)
    if bound > _COUNT_LIMIT:
        return None
    try:
        n = sum(1 for _ in itertools.islice(Evaluator(st.m, st.inst).iter_gens(gens, {}), _COUNT_LIMIT + 1))
    except (EvalError, ModelError, ArithmeticError, ValueError, TypeError):
        return None
    if n > _COUNT_LIMIT:
        return None
    if n == 0:
        st.add("no-instances", "the forall conditions exclude every combination: the constraint has no instances",
               "check the `if` condition", ctx, gens[0].col, severity="warning")
    return n


def _definitions_check(st: _Static) -> None:
    """What derived sets and computed params refer to counts as used (their errors come from the
    data resolution, which evaluates them)."""
    m = st.m
    for name, sspec in m.sets.items():
        if sspec.expr is not None:
            with contextlib.suppress(ModelError):
                st.used.update(set_names(parse_set_expr(sspec.expr, Location(section="sets", item=name, field="expr"))))
    for name, pspec in m.params.items():
        if pspec.expr is not None:
            try:
                node = parse_expr(pspec.expr, Location(section="params", item=name, field="expr"))
            except ModelError:
                continue
            st.used.update(set_names(node) - {n for n in pspec.index_names if n})


def _unused_check(st: _Static, inst: Instance | None) -> None:
    m = st.m
    for spec in m.params.values():
        for s in spec.index_sets:
            st.used.add(s)
    for sspec in m.sets.values():
        for b in sspec.range or []:
            if isinstance(b, str):
                st.used.add(b)
    for name in m.variables:
        if name not in st.used_vars:
            st.add("orphan-variable", f"variable {name!r} appears in no constraint and not in the objective",
                   "use it or remove it (a forgotten constraint is a common slip)", section="variables", item=name,
                   symbol=name, severity="warning")
    for name in m.params:
        if name not in st.used:
            st.add("unused-param", f"param {name!r} is never used", "use it or remove it (a number from the text may be missing "
                   "from a constraint)", section="params", item=name, symbol=name, severity="warning")
    for name in m.sets:
        if name not in st.used:
            st.add("unused-set", f"set {name!r} is never used", "use it or remove it", section="sets", item=name,
                   symbol=name, severity="warning")


def _classify(st: _Static) -> str:
    if st.all_different or st.neq:
        return "CP"
    integer = any(v.domain in ("integer", "binary") for n, v in st.m.variables.items() if n in st.used_vars)
    if st.nonlinear:
        return "MINLP" if integer or st.logic or st.aux_binary else "NLP"
    if st.quadratic_objective:
        return "MIQP" if integer or st.logic or st.aux_binary else "QP"
    if integer or st.logic or st.aux_binary:
        return "MILP"
    return "LP"


def _backend_check(st: _Static, cls: str) -> None:
    if cls == "MIQP" and st.backend == "highs":
        st.add("miqp-unsupported", "a quadratic objective with integer variables (MIQP) is not supported by HiGHS",
               "backend='auto' solves it with CP-SAT (every variable integer and bounded) or SCIP; or linearize "
               "the quadratic terms", section="objective", field="objective")
    if cls in ("NLP", "MINLP") and st.backend in (None, "scip") and not _scip_available():
        st.add("needs-scip", f"this {cls} model needs SCIP, and pyscipopt is not installed",
               "pip install 'formalize[scip]' (or pip install pyscipopt): the wheels ship SCIP",
               section="model")
    if st.backend == "cpsat" or (cls == "CP" and st.backend is None) or (
            cls == "MIQP" and st.backend is None and not _scip_available()):
        for name, spec in st.m.variables.items():
            if name not in st.used_vars:
                continue  # a variable nothing refers to is fixed, not modelled
            if spec.domain == "real":
                st.add("cpsat-real-variable", f"variable {name!r} is real; CP-SAT takes integer and binary variables only",
                       "make it integer (scale the units if needed), or solve with backend='highs'",
                       section="variables", item=name, field="domain", symbol=name)
            elif spec.domain == "integer":
                missing = [w for w in ("lb", "ub") if getattr(spec, w) is None]
                if missing:
                    st.add("unbounded-integer-cpsat", f"integer variable {name!r} has no {' and no '.join(missing)}",
                           "CP-SAT needs finite bounds: add \"lb\" and \"ub\" (a safe range from the data)",
                           section="variables", item=name, field=missing[0], symbol=name)
