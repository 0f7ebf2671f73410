"""The numbers a code-mode program uses, found in its source: what grounding checks in code mode.

A program writes its data as literals (`fixed_cost = {"A": 2500, ...}`) and builds a model from
some of them. Only what reaches the model counts as used — the same rule as for a formal model,
where a param no expression references covers no text number. Which statements reach the model
is a def-use analysis of the source (no program is run for it):

- the roots are the statements that build `model` (the name the harness takes): `model = ...`,
  `model += ...`, `model.x = Var(...)`, `model.c = Constraint(rule=r)`, `model.Add(...)`, and any
  call that is handed `model`;
- a statement that is reached reaches the definitions of every name it reads: the assignments,
  augmented assignments and mutations (`d[k] = v`, `d.update(...)`, a call handed the name) of
  that name, the enclosing loop and `if` headers of each, and the whole body of a function it
  reads;
- a Pyomo data component (`model.f = Param(..., initialize=fixed_cost)`, `Set`, `Expression`)
  is not a root: it is reached only when a reached statement reads the attribute `.f`.

Names are not told apart by scope (a local `c` and a global `c` are one name), so the analysis
errs towards "used": it may miss an unused table, it does not invent one.

Each literal gets a kind, as `grounding.ModelNumber.kind`: `value` (data written as a literal
table or scalar), `literal` (in an expression), `bound` (a variable's bound), `range` / `stop`
(the start / exclusive end of `range(...)`), `position` (a subscript, a dict key, an exponent,
a condition on loop variables: structure, not data), `constant` (a big-M constant — a power of
ten of 1000 or more, or any number written for a name like `M`/`big_m` — or a tolerance of at
most 1e-4: never grounded, never a use of the text).

Stated assumptions, acknowledged numbers and the program's own numbers are structured comments
(docs/semantics.md): `# assumption: <text>`, `# acknowledged: <number> - <reason>`,
`# modelling: <why>` on the line of a number that is the model's own, not the text's (a priority
weight; on a line of its own it covers the next line) — as a formal model's "modelling:" source —
and `# derived: 10 // 4 = 2` on the line of numbers computed from the text's (cutting patterns
written out; on a line of its own it covers the next line), read as a param's "derived:" source.
"""

from __future__ import annotations

import ast
import math
import re
from dataclasses import dataclass, field

from formalize.verify.grounding import modelling_reason
from solvers.diagnostics import Diagnostic, Location
from solvers.expr import _ast_parse
from solvers.model import Acknowledgement

MODEL_NAME = "model"
# Pyomo components that hold data, not model structure: reached only through their attribute
_DATA_COMPONENTS = frozenset({"Param", "Set", "RangeSet", "Expression"})
_BOUND_KEYWORDS = frozenset({"bounds", "lb", "ub", "lowBound", "upBound", "lowbound", "upbound",
                             "low", "high", "lower_bound", "upper_bound"})
_BIG_M_NAME = re.compile(r"^(?:big_?m|bigm|m|large|huge|inf|infinity|big)(?:_\w*)?$|_m$|^m_",
                         re.IGNORECASE)
_DERIVED = re.compile(r"^#\s*(?:derived|computed|calculated)\s*:", re.IGNORECASE)
_ASSUMPTION = re.compile(r"^#\s*assum(?:ption|e|ing)s?\s*:\s*(.+?)\s*$", re.IGNORECASE)
_ACKNOWLEDGED = re.compile(r"^#\s*acknowledged?\s*:\s*(\S+?)[:;,]?(?:\s+[-—–:;]+)?(?:\s+(.*?))?\s*$",
                           re.IGNORECASE)
# keyword arguments that set up the modelling library or the solver, not data: a set's
# dimension, logging, limits, threads, seeds (recorded: Set(dimen=2) drew "the number 2 is not
# in the text", with the hint to write 6/3)
_SETTING_KEYWORDS = frozenset({"dimen", "msg", "tee", "verbose", "threads", "seed", "timeLimit",
                               "time_limit", "timelimit", "gapRel", "gapAbs", "mip_gap",
                               "num_workers", "num_search_workers", "max_time_in_seconds",
                               "log_search_progress", "random_seed", "ordered", "warmStart"})


@dataclass(frozen=True)
class CodeNumber:
    """A numeric literal of the program: value, place, kind, the name it is data of, and whether
    the statement holding it reaches the model."""

    value: float
    line: int
    col: int
    kind: str
    name: str | None  # the variable the literal is data of (`fixed_cost`), when it is data
    reached: bool

    @property
    def location(self) -> Location:
        return Location(section="code", field=f"line {self.line}", column=self.col + 1,
                        symbol=self.name)


@dataclass
class ProgramNumbers:
    """What the source analysis found: every literal, the data names the model never uses, the
    sizes of reached literal collections, and the structured comments."""

    numbers: list[CodeNumber] = field(default_factory=list)
    unused_data: dict[str, int] = field(default_factory=dict)  # name -> line of its definition
    sizes: list[int] = field(default_factory=list)  # lengths of reached lists, tuples, dicts
    collections: dict[str, list] = field(default_factory=dict)  # name -> its literal elements
    assumptions: list[str] = field(default_factory=list)
    acknowledged: list[tuple[int, Acknowledgement]] = field(default_factory=list)  # (line, ack)
    comment_errors: list[Diagnostic] = field(default_factory=list)
    modelling: dict[int, str] = field(default_factory=dict)  # line -> why its numbers are the model's own
    derived: dict[int, tuple[int, str]] = field(default_factory=dict)  # line -> (comment line, its derivation)
    parsed: bool = True  # False: the source did not parse (nothing else was found)


@dataclass
class _Stmt:
    node: ast.AST
    loads: set[str] = field(default_factory=set)
    attrs: set[str] = field(default_factory=set)  # attribute names read (`.f` of `model.f`)
    writes: set[str] = field(default_factory=set)
    context: list[int] = field(default_factory=list)  # enclosing headers (loops, ifs, functions)
    func: str | None = None  # the function this statement belongs to
    root: bool = False


# --------------------------------------------------------------------------- def-use


def _root_name(node: ast.AST) -> str | None:
    """`d` of `d`, `d[k]`, `d.a.b`, `d.a[k].b`."""
    while isinstance(node, (ast.Attribute, ast.Subscript)):
        node = node.value
    return node.id if isinstance(node, ast.Name) else None


def _call_name(node: ast.AST) -> str:
    """`Param` of `pyo.Param(...)` / `Param(...)`."""
    if isinstance(node, ast.Call):
        f = node.func
        if isinstance(f, ast.Attribute):
            return f.attr
        if isinstance(f, ast.Name):
            return f.id
    return ""


def _bound_names(node: ast.AST) -> set[str]:
    """Names bound inside an expression (comprehension targets, lambda arguments)."""
    out: set[str] = set()
    for n in ast.walk(node):
        if isinstance(n, ast.comprehension):
            out |= {t.id for t in ast.walk(n.target) if isinstance(t, ast.Name)}
        elif isinstance(n, ast.Lambda):
            a = n.args
            out |= {x.arg for x in [*a.posonlyargs, *a.args, *a.kwonlyargs, a.vararg, a.kwarg] if x}
        elif isinstance(n, ast.NamedExpr):
            out.discard(n.target.id)
    return out


def _reads(nodes: list[ast.AST]) -> tuple[set[str], set[str]]:
    loads: set[str] = set()
    attrs: set[str] = set()
    for node in nodes:
        local = _bound_names(node)
        for n in ast.walk(node):
            if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load) and n.id not in local:
                loads.add(n.id)
            elif isinstance(n, ast.Attribute) and isinstance(n.ctx, ast.Load):
                attrs.add(n.attr)
            elif isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id == "getattr" \
                    and len(n.args) >= 2 and isinstance(n.args[1], ast.Constant):
                attrs.add(str(n.args[1].value))
    return loads, attrs


class _Flow:
    """Statements with their reads and writes, and which of them reach the model."""

    def __init__(self, tree: ast.Module) -> None:
        self.stmts: list[_Stmt] = []
        self.func_body: dict[str, list[int]] = {}
        self._body(tree.body, [], None)
        self.reached = self._reach()

    def _add(self, st: _Stmt) -> int:
        self.stmts.append(st)
        return len(self.stmts) - 1

    def _body(self, body: list[ast.stmt], context: list[int], func: str | None) -> None:
        for s in body:
            self._stmt(s, context, func)

    def _stmt(self, s: ast.stmt, context: list[int], func: str | None) -> None:
        if isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef)):
            loads, attrs = _reads([*s.decorator_list, *s.args.defaults,
                                   *[d for d in s.args.kw_defaults if d is not None]])
            k = self._add(_Stmt(s, loads, attrs, {s.name}, list(context), func))
            self.func_body.setdefault(s.name, [])
            start = len(self.stmts)
            self._body(s.body, [*context, k], s.name)
            self.func_body[s.name] += list(range(start, len(self.stmts)))
            return
        if isinstance(s, ast.ClassDef):
            loads, attrs = _reads([*s.bases, *s.decorator_list])
            k = self._add(_Stmt(s, loads, attrs, {s.name}, list(context), func))
            self._body(s.body, [*context, k], func)
            return
        if isinstance(s, (ast.For, ast.AsyncFor)):
            loads, attrs = _reads([s.iter])
            k = self._add(_Stmt(s, loads, attrs, set(), list(context), func))
            self._body(s.body + s.orelse, [*context, k], func)
            return
        if isinstance(s, (ast.While, ast.If)):
            loads, attrs = _reads([s.test])
            k = self._add(_Stmt(s, loads, attrs, set(), list(context), func))
            self._body(s.body + s.orelse, [*context, k], func)
            return
        if isinstance(s, (ast.With, ast.AsyncWith)):
            loads, attrs = _reads([i.context_expr for i in s.items])
            k = self._add(_Stmt(s, loads, attrs, set(), list(context), func))
            self._body(s.body, [*context, k], func)
            return
        if isinstance(s, ast.Try) or type(s).__name__ == "TryStar":
            self._body(s.body + s.orelse + s.finalbody  # type: ignore[attr-defined]
                       + [x for h in s.handlers for x in h.body], context, func)  # type: ignore[attr-defined]
            return
        if isinstance(s, ast.Match):
            loads, attrs = _reads([s.subject])
            k = self._add(_Stmt(s, loads, attrs, set(), list(context), func))
            for case in s.cases:
                self._body(case.body, [*context, k], func)
            return
        self._simple(s, context, func)

    def _simple(self, s: ast.stmt, context: list[int], func: str | None) -> None:
        loads, attrs = _reads([s])
        writes: set[str] = set()
        root = False
        targets: list[ast.AST] = []
        value: ast.AST | None = None
        if isinstance(s, ast.Assign):
            targets, value = list(s.targets), s.value
        elif isinstance(s, (ast.AugAssign, ast.AnnAssign)):
            targets, value = [s.target], s.value
        elif isinstance(s, ast.Return) and func is not None:
            writes.add(func)
        elif isinstance(s, ast.Expr) and isinstance(s.value, ast.Call):
            call = s.value
            r = _root_name(call.func) if isinstance(call.func, ast.Attribute) else None
            if r is not None:
                writes.add(r)  # d.update(...), model.Add(...), model.c.add(...)
            for a in [*call.args, *[k.value for k in call.keywords]]:
                if isinstance(a, (ast.Name, ast.Attribute, ast.Subscript)) and _root_name(a):
                    writes.add(_root_name(a))  # type: ignore[arg-type]  # handed over: may be mutated
        elif isinstance(s, ast.Delete):
            targets = list(s.targets)
        for t in targets:
            for elt in (t.elts if isinstance(t, (ast.Tuple, ast.List)) else [t]):
                if isinstance(elt, ast.Starred):
                    elt = elt.value
                r = _root_name(elt)
                if r is None:
                    continue
                if (r == MODEL_NAME and isinstance(elt, ast.Attribute) and value is not None
                        and _call_name(value) in _DATA_COMPONENTS):
                    writes.add("." + elt.attr)  # a Pyomo data component: reached by its attribute
                else:
                    writes.add(r)
        if MODEL_NAME in writes:
            root = True
        self._add(_Stmt(s, loads, attrs, writes, list(context), func, root))

    def _reach(self) -> set[int]:
        writers: dict[str, list[int]] = {}
        for i, st in enumerate(self.stmts):
            for w in st.writes:
                writers.setdefault(w, []).append(i)
        data_attrs = {w for w in writers if w.startswith(".")}
        reached: set[int] = set()
        todo = [i for i, st in enumerate(self.stmts) if st.root]
        names: set[str] = set()
        while todo:
            i = todo.pop()
            if i in reached:
                continue
            reached.add(i)
            st = self.stmts[i]
            todo += st.context
            want = set(st.loads) | {"." + a for a in st.attrs if "." + a in data_attrs}
            if st.func is not None:
                want.add(st.func)
            for n in want - names:
                names.add(n)
                todo += writers.get(n, [])
                todo += self.func_body.get(n, [])
        return reached


# --------------------------------------------------------------------------- literals


def _number(node: ast.AST) -> float | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)) \
            and not isinstance(node.value, bool):
        v = float(node.value)
        return v if math.isfinite(v) else None
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        v = _number(node.operand)
        if v is not None:
            return -v if isinstance(node.op, ast.USub) else v
    return None


def _is_data(node: ast.AST) -> bool:
    """A literal table: numbers, strings, None in nested dicts, lists, tuples, sets."""
    if _number(node) is not None or isinstance(node, ast.Constant):
        return True
    if isinstance(node, (ast.List, ast.Tuple, ast.Set)):
        return all(_is_data(e) for e in node.elts)
    if isinstance(node, ast.Dict):
        return all(k is not None and _is_data(k) and _is_data(v) for k, v in zip(node.keys, node.values))
    return False


def _labels(node: ast.AST) -> bool:
    """A literal list of consecutive integers (at least three): index labels such as periods."""
    vals = [_number(e) for e in node.elts]  # type: ignore[attr-defined]
    if len(vals) < 3 or any(v is None or v != int(v) for v in vals):
        return False
    ints = sorted(int(v) for v in vals)  # type: ignore[arg-type]
    return ints == list(range(ints[0], ints[0] + len(ints)))


def _pow10(v: float) -> bool:
    if v <= 0:
        return False
    e = math.log10(v)
    return abs(e - round(e)) < 1e-12


def _literals(node: ast.AST, kind: str, out: list[tuple[ast.AST, float, str]]) -> None:
    """Numeric literals under `node`, each with the kind of place it is in."""
    v = _number(node)
    if v is not None:
        out.append((node, v, kind))
        return
    if isinstance(node, ast.Subscript):
        _literals(node.value, kind, out)
        _literals(node.slice, "position", out)
        return
    if isinstance(node, ast.Dict):
        for k, val in zip(node.keys, node.values):
            if k is not None:
                _literals(k, "position", out)
            _literals(val, kind, out)
        return
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Pow):
        base, exp = _number(node.left), _number(node.right)
        if base is not None and exp is not None and abs(exp) <= 30 and base > 0:
            out.append((node, base ** exp, kind))  # 10**6: one number, as the text writes it
            return
        _literals(node.left, kind if _number(node.right) is not None else "position", out)
        _literals(node.right, "position", out)
        return
    if isinstance(node, ast.comprehension):
        _literals(node.iter, kind, out)
        for c in node.ifs:
            _literals(c, "position", out)
        return
    if isinstance(node, ast.Call):
        fname = _call_name(node)
        _literals(node.func, kind, out)
        if fname == "range" and isinstance(node.func, ast.Name):
            kinds = ["stop"] if len(node.args) == 1 else ["range", "stop", "position"]
        elif fname == "RangeSet":
            kinds = ["stop"] if len(node.args) == 1 else ["range", "stop", "position"]  # ends: structure
        elif fname == "round":
            kinds = [kind, "position"]
        elif fname in ("NewIntVar", "new_int_var"):
            kinds = ["bound", "bound"]
        elif fname == "LpVariable":
            kinds = [kind, "bound", "bound"]
        else:
            kinds = []
        for i, a in enumerate(node.args):
            _literals(a, kinds[i] if i < len(kinds) else kind, out)
        for kw in node.keywords:
            if kw.arg in _SETTING_KEYWORDS:
                continue
            _literals(kw.value, "bound" if kw.arg in _BOUND_KEYWORDS else kind, out)
        return
    if isinstance(node, ast.Compare) and kind == "position":
        for x in [node.left, *node.comparators]:
            _literals(x, "position", out)
        return
    if isinstance(node, ast.JoinedStr):
        return  # names and messages, not data
    if isinstance(node, (ast.List, ast.Tuple, ast.Set)) and _labels(node):
        for e in node.elts:  # [1, 2, 3, 4, 5, 6]: the members of an index set, not data
            _literals(e, "position", out)
        return
    for child in ast.iter_child_nodes(node):
        _literals(child, kind, out)


def _statement_parts(s: ast.AST) -> list[ast.AST]:
    """The expressions that belong to a statement itself (a compound statement: its header)."""
    if isinstance(s, (ast.For, ast.AsyncFor)):
        return [s.iter]
    if isinstance(s, (ast.While, ast.If)):
        return [s.test]
    if isinstance(s, (ast.With, ast.AsyncWith)):
        return [i.context_expr for i in s.items]
    if isinstance(s, ast.Match):
        return [s.subject]
    if isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef)):
        return [*s.args.defaults, *[d for d in s.args.kw_defaults if d is not None]]
    if isinstance(s, ast.ClassDef):
        return []
    return [s]


def _assigned_name(s: ast.AST) -> str | None:
    if isinstance(s, ast.Assign) and len(s.targets) == 1:
        return _root_name(s.targets[0]) if not isinstance(s.targets[0], ast.Attribute) \
            else s.targets[0].attr
    if isinstance(s, (ast.AnnAssign, ast.AugAssign)):
        t = s.target
        return t.attr if isinstance(t, ast.Attribute) else _root_name(t)
    return None


def _elements(node: ast.AST) -> list | None:
    """The elements of a literal list/tuple/set (or a dict's keys), when all are constants."""
    if isinstance(node, (ast.List, ast.Tuple, ast.Set)):
        items = node.elts
    elif isinstance(node, ast.Dict):
        items = [k for k in node.keys if k is not None]
    else:
        return None
    out = []
    for e in items:
        if isinstance(e, ast.Constant):
            out.append(e.value)
        elif isinstance(e, ast.Tuple) and all(isinstance(x, ast.Constant) for x in e.elts):
            out.append(tuple(x.value for x in e.elts))  # type: ignore[attr-defined]
        else:
            return None
    return out


# --------------------------------------------------------------------------- comments


def _comments(src: str, out: ProgramNumbers) -> None:
    import io
    import tokenize

    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(src).readline))
    except (tokenize.TokenError, SyntaxError, IndentationError):
        return
    for tok in tokens:
        if tok.type != tokenize.COMMENT:
            continue
        text = tok.string.strip()
        line = tok.start[0]
        why = modelling_reason(text.lstrip("#"))  # "# modelling: why", as a param's source says it
        if why is not None:  # the numbers of this line (or of the next, for a comment on a line of its own)
            out.modelling[line] = why
            if tok.line.strip().startswith("#"):
                out.modelling.setdefault(line + 1, why)
            continue
        if _DERIVED.match(text):  # "# derived: 10 // 4 = 2", as a param's source states it
            out.derived[line] = (line, text.lstrip("#").strip())
            if tok.line.strip().startswith("#"):
                out.derived.setdefault(line + 1, (line, text.lstrip("#").strip()))
            continue
        m = _ASSUMPTION.match(text)
        if m:
            out.assumptions.append(m.group(1))
            continue
        m = _ACKNOWLEDGED.match(text)
        if m:
            number, reason = m.group(1).strip(",;:"), (m.group(2) or "").strip()
            if not reason:
                out.comment_errors.append(Diagnostic(
                    "bad-acknowledgement", f"the acknowledgement of {number} gives no reason",
                    location=Location(section="code", field=f"line {line}", symbol=number),
                    hint="write `# acknowledged: <number> - <why the model does not need it>`"))
                continue
            try:
                out.acknowledged.append((line, Acknowledgement(number=number, reason=reason)))
            except Exception as exc:  # noqa: BLE001 - a malformed number is reported, located
                out.comment_errors.append(Diagnostic(
                    "bad-acknowledgement", f"the acknowledgement {text!r} cannot be read: {exc}",
                    location=Location(section="code", field=f"line {line}"),
                    hint="write `# acknowledged: <number as the text writes it> - <reason>`"))


# --------------------------------------------------------------------------- entry point


def program_numbers(src: str) -> ProgramNumbers:
    """Every numeric literal of `src` with its kind and whether it reaches the model; the data
    names the model never uses; the structured comments."""
    out = ProgramNumbers()
    _comments(src, out)
    try:
        tree = _ast_parse(src, mode="exec")
    except (SyntaxError, ValueError):
        out.parsed = False
        return out
    flow = _Flow(tree)
    data_lines: dict[str, tuple[int, bool]] = {}  # name -> (first line, any definition reached)
    for i, st in enumerate(flow.stmts):
        reached = i in flow.reached
        name = _assigned_name(st.node)
        value = getattr(st.node, "value", None)
        data = value is not None and not isinstance(st.node, ast.Return) and _is_data(value)
        found: list[tuple[ast.AST, float, str]] = []
        for part in _statement_parts(st.node):
            _literals(part, "value" if data else "literal", found)
        if isinstance(st.node, ast.Assign) and isinstance(st.node.targets[0], (ast.Tuple, ast.List)):
            name = None
        if name is not None and st.func is None and not st.context:
            if any(k in ("value", "literal") for _, _, k in found):
                line, was = data_lines.get(name, (st.node.lineno, False))  # type: ignore[attr-defined]
                data_lines[name] = (line, was or reached)
            els = _elements(value) if data else None  # type: ignore[arg-type]
            if els is not None:
                out.collections.setdefault(name, els)
        elif name is not None and reached:
            data_lines[name] = (data_lines.get(name, (0, True))[0], True)
        if reached:
            for n in _own(st.node):
                if isinstance(n, (ast.List, ast.Set, ast.Dict)) or (n is value and isinstance(n, ast.Tuple)):
                    out.sizes.append(len(n.keys) if isinstance(n, ast.Dict) else len(n.elts))
        big_m = name is not None and bool(_BIG_M_NAME.search(name))
        for node, v, kind in found:
            if kind in ("value", "literal") and abs(v) >= 1000 and _pow10(abs(v)) and (big_m or kind == "literal"):
                kind = "constant"  # a big-M constant: structure, never demanded of the text
            elif kind in ("value", "literal") and 0 < abs(v) <= 1e-4:
                kind = "constant"  # a tolerance
            if kind in ("value", "literal") and big_m and isinstance(st.node, ast.Assign) and _number(value) is not None:
                kind = "constant"
            out.numbers.append(CodeNumber(v, node.lineno, node.col_offset, kind,  # type: ignore[attr-defined]
                                          name if kind == "value" else None, reached))
    out.unused_data = {n: line for n, (line, was) in data_lines.items() if not was and n != MODEL_NAME}
    return out


def _own(s: ast.AST) -> list[ast.AST]:
    """The nodes of a statement's own expressions (not of the statements nested in it)."""
    out: list[ast.AST] = []
    for part in _statement_parts(s):
        out += list(ast.walk(part))
    return out


__all__ = ["CodeNumber", "ProgramNumbers", "program_numbers"]
