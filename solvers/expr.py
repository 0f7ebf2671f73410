"""The expression language: strings parsed (never evaluated) into a typed tree.

Parsing uses Python's `ast` with an allow-list of node types; every rejection is a located
`ModelError`. Names are not resolved here (that needs the model): `Name` and `Index` nodes carry
the identifier, and `checks.py` / the evaluators decide whether it is a set, param, variable or
an index bound by a generator.
"""

from __future__ import annotations

import ast
import math
import re
import threading
from dataclasses import dataclass, field

from .diagnostics import Diagnostic, Location, ModelError
from .model import split_top

# --------------------------------------------------------------------------- tree


@dataclass(frozen=True)
class Node:
    """Base of all expression nodes; `col` is the 1-based column in the source string."""

    col: int = field(default=0, compare=False, kw_only=True)


@dataclass(frozen=True)
class Num(Node):
    value: float


@dataclass(frozen=True)
class Str(Node):
    """A string literal, used as a set element: `x["seattle"]`."""

    value: str


@dataclass(frozen=True)
class Name(Node):
    id: str


@dataclass(frozen=True)
class Index(Node):
    """`base[args]` — a param or variable instance."""

    base: str
    args: tuple[Node, ...]


@dataclass(frozen=True)
class Tuple(Node):
    elts: tuple[Node, ...]


@dataclass(frozen=True)
class BinOp(Node):
    op: str  # + - * / **
    left: Node
    right: Node


@dataclass(frozen=True)
class Neg(Node):
    operand: Node


@dataclass(frozen=True)
class Compare(Node):
    """`a op b [op c]`; ops in <=, >=, ==, <, >, !=, in, not in."""

    ops: tuple[str, ...]
    operands: tuple[Node, ...]


@dataclass(frozen=True)
class BoolOp(Node):
    op: str  # and / or
    values: tuple[Node, ...]


@dataclass(frozen=True)
class Not(Node):
    operand: Node


@dataclass(frozen=True)
class SetRef(Node):
    """What a generator ranges over: a declared set, or `range(lo, hi)` (hi excluded)."""

    name: str | None = None
    lo: Node | None = None
    hi: Node | None = None


@dataclass(frozen=True)
class Gen(Node):
    """One `for targets in set if conds` clause."""

    targets: tuple[str, ...]
    over: SetRef
    conds: tuple[Node, ...] = ()


@dataclass(frozen=True)
class Agg(Node):
    """`func(body for ... in ... if ...)` with func in sum, min, max, all_different, prod."""

    func: str
    body: Node
    gens: tuple[Gen, ...]


@dataclass(frozen=True)
class Call(Node):
    """`func(args)` with func in min, max, abs, all_different, implies, len, card."""

    func: str
    args: tuple[Node, ...]


@dataclass(frozen=True)
class IfExp(Node):
    """`a if cond else b` where cond depends only on data and indices."""

    cond: Node
    then: Node
    orelse: Node


@dataclass(frozen=True)
class SetEnd(Node):
    """`first(S)` / `last(S)`: the first or last element of an ordered set."""

    kind: str  # first | last
    over: SetRef


@dataclass(frozen=True)
class Ord(Node):
    """`ord(t)` / `ord(t, S)`: the 1-based position of an element in its (ordered) set."""

    arg: Node
    over: SetRef | None = None


@dataclass(frozen=True)
class Step(Node):
    """`prev(t)` / `next(t)` (optionally `prev(t, S)`, `wrap=True`): the neighbouring element of
    `t` in its ordered set; without wrap, the first element has no prev and the last no next."""

    kind: str  # prev | next
    arg: Node
    over: SetRef | None = None
    wrap: bool = False


@dataclass(frozen=True)
class SetOp(Node):
    """Set algebra in a set definition: `A | B` union, `A & B` intersection, `A - B`
    difference, `A * B` cartesian product (tuples are flattened)."""

    op: str
    left: Node
    right: Node


@dataclass(frozen=True)
class SetComp(Node):
    """A filtered (or projected) set in a set definition: `(i, j) in N * N if i != j` (elts None:
    the elements are the generators' targets) or `{(j, i) for (i, j) in Arcs}`."""

    elts: tuple[Node, ...] | None
    gens: tuple[Gen, ...]


@dataclass(frozen=True)
class ParamKeys(Node):
    """`keys(p)`: the index keys at which the param `p` is given (not defaulted), in set order."""

    param: str


AGG_FUNCS = frozenset({"sum", "min", "max", "all_different", "prod"})
MATH_FUNCS = frozenset({"sqrt", "exp", "log"})
CALL_FUNCS = frozenset({"min", "max", "abs", "all_different", "implies", "len", "card"}) | MATH_FUNCS
SET_FUNCS = frozenset({"first", "last", "ord", "prev", "next"})
_SETOPS = {ast.BitOr: "|", ast.BitAnd: "&", ast.Sub: "-", ast.Mult: "*"}
SET_EXPR_HINT = ("a set is defined from declared sets: \"A | B\" (union), \"A & B\" (intersection), "
                 "\"A - B\" (difference), \"A * B\" (product), a filter \"(i, j) in N * N if i != j\", "
                 "a projection \"{(j, i) for (i, j) in Arcs}\", or keys(p) (the keys a param is given at)")
_BINOPS = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.Pow: "**"}
_CMPOPS = {ast.LtE: "<=", ast.GtE: ">=", ast.Eq: "==", ast.Lt: "<", ast.Gt: ">", ast.NotEq: "!=",
           ast.In: "in", ast.NotIn: "not in"}
MAX_EXPR_LEN = 20000
MAX_DEPTH = 60


# --------------------------------------------------------------------------- parsing


class _Fail(Exception):
    def __init__(self, code: str, msg: str, col: int, hint: str | None = None, symbol: str | None = None):
        super().__init__(msg)
        self.code, self.msg, self.col, self.hint, self.symbol = code, msg, col, hint, symbol


def parse_expr(text: str, where: Location | None = None) -> Node:
    """Parse an expression string into a tree; raises ModelError located at `where` + column."""
    where = where or Location()
    if not isinstance(text, str):
        raise ModelError(Diagnostic("bad-expression", f"expected an expression string, got {type(text).__name__}",
                                    location=where, hint="write the expression as a string"))
    src = _normalize(text)
    if not src.strip():
        raise ModelError(Diagnostic("empty-expression", "the expression is empty", location=where,
                                    hint="write e.g. \"sum(x[i] for i in I) <= 10\""))
    if len(src) > MAX_EXPR_LEN:
        raise ModelError(Diagnostic("expression-too-long", f"the expression has {len(src)} characters (limit {MAX_EXPR_LEN})",
                                    location=where, hint="index constraints over sets with forall/sum instead of writing terms out"))
    key = src.strip()
    hit = _TREES.get(key)
    if hit is not None:
        return hit
    try:
        tree = _ast_parse(key)
    except SyntaxError as exc:
        col = exc.offset or 0
        raise ModelError(Diagnostic("syntax", f"syntax error: {exc.msg}", location=_at(where, col),
                                    hint=_syntax_hint(src, col))) from None
    except (RecursionError, MemoryError):
        raise ModelError(Diagnostic("expression-too-deep", "the expression nests too deeply to parse",
                                    location=where, hint="simplify it, or write long sums with sum(...)")) from None
    except ValueError as exc:
        raise ModelError(Diagnostic("syntax", f"cannot parse the expression: {exc}",
                                    location=where, hint="remove null bytes or control characters")) from None
    try:
        node = _Conv().conv(tree.body, 0)
    except _Fail as f:
        raise ModelError(Diagnostic(f.code, f.msg, location=_at(where, f.col, f.symbol), hint=f.hint)) from None
    except RecursionError:
        raise ModelError(Diagnostic("expression-too-deep", "the expression nests too deeply", location=where,
                                    hint="simplify the expression")) from None
    if len(_TREES) < _TREES_MAX:  # trees are immutable: checks, lowering and checker share them
        _TREES[key] = node
    return node


_TREES: dict[str, Node] = {}
_TREES_MAX = 20_000
_PARSE_LOCK = threading.Lock()


def _ast_parse(src: str, mode: str = "eval", filename: str = "<unknown>") -> ast.AST:
    """`ast.parse` under a lock: CPython 3.11's parser is not safe from many threads at once
    ("AST constructor recursion depth mismatch" seen with 32 concurrent programs). Every
    parse of the project goes through here (also code mode's allow-list and number reading);
    Python itself parses outside the lock (3.11 formats a traceback's carets with `ast.parse`), so
    the mismatch, which leaves nothing behind, is retried once."""
    with _PARSE_LOCK:
        try:
            return ast.parse(src, filename=filename, mode=mode)
        except SystemError as e:  # the race with a parse outside the lock (a traceback's carets
            if "recursion depth" not in str(e):  # in another thread): the next try is clean
                raise
            return ast.parse(src, filename=filename, mode=mode)


def parse_set_expr(text: str, where: Location | None = None) -> Node:
    """Parse a set definition: set algebra (`A | B`, `A & B`, `A - B`, `A * B`, `keys(p)`), a
    filter (`(i, j) in N * N if i != j` → a `SetComp` without elts) or a projection
    (`{(j, i) for (i, j) in Arcs if c[i, j] > 0}`). Raises ModelError located at `where`."""
    where = where or Location()
    if not isinstance(text, str) or not text.strip():
        raise ModelError(Diagnostic("empty-expression", "the set definition is empty", location=where,
                                    hint=SET_EXPR_HINT))
    src = _normalize(text).strip()
    if len(src) > MAX_EXPR_LEN:
        raise ModelError(Diagnostic("expression-too-long", f"the set definition has {len(src)} characters "
                                    f"(limit {MAX_EXPR_LEN})", location=where, hint="define it from other sets"))
    conv = _Conv()
    conv.set_algebra = True
    try:
        tree = _ast_parse(src)
    except SyntaxError as exc:
        if re.search(r"\bin\b", src):  # a filter "i in A, j in B if cond" is not an expression
            return SetComp(None, parse_forall(src, where, set_algebra=True), col=1)
        raise ModelError(Diagnostic("syntax", f"syntax error: {exc.msg}", location=_at(where, exc.offset or 0),
                                    hint=SET_EXPR_HINT)) from None
    except (RecursionError, MemoryError, ValueError):
        raise ModelError(Diagnostic("expression-too-deep", "the set definition cannot be parsed", location=where,
                                    hint="simplify it")) from None
    body = tree.body  # type: ignore[attr-defined]
    if isinstance(body, (ast.Compare, ast.Tuple)) and re.search(r"\bin\b", src):
        return SetComp(None, parse_forall(src, where, set_algebra=True), col=1)
    try:
        return conv.set_expr(body)
    except _Fail as f:
        raise ModelError(Diagnostic(f.code, f.msg, location=_at(where, f.col, f.symbol), hint=f.hint)) from None
    except RecursionError:
        raise ModelError(Diagnostic("expression-too-deep", "the set definition nests too deeply",
                                    location=where, hint="simplify it")) from None


def set_names(node: Node) -> set[str]:
    """Names of sets, params and functions' sets a set definition or expression refers to
    (for the dependency order of derived sets and computed params)."""
    out: set[str] = set()
    for n in walk(node):
        if isinstance(n, Name):
            out.add(n.id)
        elif isinstance(n, Index):
            out.add(n.base)
        elif isinstance(n, SetRef) and n.name is not None:
            out.add(n.name)
        elif isinstance(n, ParamKeys):
            out.add(n.param)
    return out


def parse_forall(text: str, where: Location | None = None, *, set_algebra: bool = False) -> tuple[Gen, ...]:
    """Parse a `forall` clause ("i in I, j in J if cond" or "for i in I for j in J") into generators.

    `set_algebra`: generators may range over set expressions (set definitions only)."""
    where = where or Location()
    if not isinstance(text, str) or not text.strip():
        return ()
    src = _normalize(text).strip()
    # pieces: (start in src, text); the parsed body is "[0 " + " ".join("for " + piece)
    if src.startswith("for "):
        pieces = [(0, src[4:])]
    else:
        parts = split_top(src)
        raw: list[tuple[int, str]] = []
        pos = 0
        for p in parts:
            raw.append((pos, p))
            pos += len(p) + 1
        pieces = []
        pending: tuple[int, str] | None = None
        for start, p in raw:
            cur = (pending[0], src[pending[0]:start + len(p)]) if pending else (start, p)
            if re.search(r"\bin\b", cur[1]):
                pieces.append(cur)
                pending = None
            else:
                pending = cur
        if pending:
            pieces.append(pending)
    body = ""
    spans: list[tuple[int, int]] = []  # (column where the piece starts in the parsed text, in src)
    for start, p in pieces:
        lead = len(p) - len(p.lstrip())
        spans.append((3 + len(body) + 4 + 1, start + lead + 1))
        body += ("for " + p.strip() + " ")
    body = body.rstrip()

    def remap(col: int) -> int:
        best = spans[0]
        for sp in spans:
            if sp[0] <= col:
                best = sp
        return max(1, col - best[0] + best[1])

    try:
        tree = _ast_parse(f"[0 {body}]")
    except SyntaxError as exc:
        raise ModelError(Diagnostic("syntax", f"syntax error in forall: {exc.msg}",
                                    location=_at(where, remap(exc.offset or 1)),
                                    hint="write e.g. \"i in I, j in J if i != j\" or \"(i, j) in Arcs\"")) from None
    node = tree.body
    if not isinstance(node, ast.ListComp):
        raise ModelError(Diagnostic("bad-forall", "forall must be generators like \"i in I, j in J\"", location=where,
                                    hint="write e.g. \"i in I, j in J if i != j\""))
    conv = _Conv()
    conv.set_algebra = set_algebra
    try:
        gens = conv.gens(node.generators, 0)
    except _Fail as f:
        raise ModelError(Diagnostic(f.code, f.msg, location=_at(where, remap(f.col), f.symbol), hint=f.hint)) from None
    return tuple(_recol(g, remap) for g in gens)


def _recol(node, fn):
    """A copy of a tree with every column mapped through `fn`."""
    import dataclasses

    changes = {}
    for f in dataclasses.fields(node):
        v = getattr(node, f.name)
        if f.name == "col":
            changes["col"] = fn(v) if v > 0 else v
        elif isinstance(v, Node):
            changes[f.name] = _recol(v, fn)
        elif isinstance(v, tuple) and any(isinstance(x, Node) for x in v):
            changes[f.name] = tuple(_recol(x, fn) if isinstance(x, Node) else x for x in v)
    return dataclasses.replace(node, **changes)


def parse_index_decl(entry: str, where: Location | None = None) -> tuple[str | None, str]:
    """Split a variable index entry "i in Items" → ("i", "Items"); "Items" → (None, "Items")."""
    m = re.fullmatch(r"\s*([^\W\d]\w*)\s+in\s+([^\W\d]\w*)\s*", entry or "")
    if m:
        return m.group(1), m.group(2)
    m = re.fullmatch(r"\s*([^\W\d]\w*)\s*", entry or "")
    if m:
        return None, m.group(1)
    raise ModelError(Diagnostic("bad-index", f"index entry {entry!r} is neither a set name nor \"i in Set\"",
                                location=where or Location(), hint="write the set name, or \"i in Set\""))


def _at(where: Location, col: int, symbol: str | None = None) -> Location:
    return Location(section=where.section, item=where.item, field=where.field, index=where.index,
                    column=col or None, symbol=symbol or where.symbol)


def _normalize(text: str) -> str:
    # common unicode operators an LLM or a person may write
    return (text.replace("≤", "<=").replace("≥", ">=").replace("≠", "!=").replace("−", "-")
            .replace("×", "*").replace("·", "*").replace("\u00a0", " "))


def _syntax_hint(src: str, col: int) -> str:
    if "=" in src and "==" not in src and "<=" not in src and ">=" not in src and "!=" not in src:
        return "an equality constraint is written with ==, not ="
    if "^" in src:
        return "powers are written **, not ^"
    if src.count("(") != src.count(")") or src.count("[") != src.count("]"):
        return "unbalanced brackets"
    return "check the expression near this column"


class _Conv:
    """ast → tree with an allow-list."""

    def conv(self, n: ast.AST, depth: int) -> Node:
        if depth > MAX_DEPTH:
            raise _Fail("expression-too-deep", "the expression nests too deeply", _col(n), "simplify it")
        d = depth + 1
        col = _col(n)
        if isinstance(n, ast.Constant):
            v = n.value
            if isinstance(v, bool) or v is None:
                raise _Fail("bad-constant", f"constant {v!r} is not allowed", col, "use numbers (1/0) instead of booleans")
            if isinstance(v, (int, float)):
                f = float(v)
                if not math.isfinite(f):
                    raise _Fail("non-finite", f"the number {n.value!r} is not finite", col,
                                "use a finite number; drop the constraint or bound instead of using infinity")
                return Num(f, col=col)
            if isinstance(v, str):
                return Str(v, col=col)
            raise _Fail("bad-constant", f"constant {v!r} is not allowed", col, "use numbers or element names")
        if isinstance(n, ast.Name):
            return Name(n.id, col=col)
        if isinstance(n, ast.BinOp):
            op = _BINOPS.get(type(n.op))
            if op is None:
                raise _Fail("bad-operator", f"operator {type(n.op).__name__} is not allowed", col,
                            "use + - * / ** (and // or % only on constants is not supported)")
            return BinOp(op, self.conv(n.left, d), self.conv(n.right, d), col=col)
        if isinstance(n, ast.UnaryOp):
            if isinstance(n.op, ast.USub):
                return Neg(self.conv(n.operand, d), col=col)
            if isinstance(n.op, ast.UAdd):
                return self.conv(n.operand, d)
            if isinstance(n.op, ast.Not):
                return Not(self.conv(n.operand, d), col=col)
            raise _Fail("bad-operator", "operator ~ is not allowed", col, "use not")
        if isinstance(n, ast.Compare):
            ops = []
            for o in n.ops:
                s = _CMPOPS.get(type(o))
                if s is None:
                    raise _Fail("bad-operator", f"comparison {type(o).__name__} is not allowed", col, "use <=, >=, ==")
                ops.append(s)
            operands = (self.conv(n.left, d), *(self.conv(c, d) for c in n.comparators))
            if any(o in ("in", "not in") for o in ops):
                if len(ops) != 1:
                    raise _Fail("bad-membership", "a membership test cannot be chained", col, "write (i, j) in S alone")
                operands = (operands[0], self._setref(n.comparators[0]))
            return Compare(tuple(ops), operands, col=col)
        if isinstance(n, ast.BoolOp):
            return BoolOp("and" if isinstance(n.op, ast.And) else "or", tuple(self.conv(v, d) for v in n.values), col=col)
        if isinstance(n, ast.Subscript):
            if not isinstance(n.value, ast.Name):
                raise _Fail("bad-index", "only names can be indexed", col, "write x[i, j]")
            sl = n.slice
            if isinstance(sl, ast.Slice):
                raise _Fail("bad-index", "slices are not allowed", col, "index with elements or index names")
            args = sl.elts if isinstance(sl, ast.Tuple) else [sl]
            return Index(n.value.id, tuple(self.conv(a, d) for a in args), col=col)
        if isinstance(n, ast.Tuple):
            return Tuple(tuple(self.conv(e, d) for e in n.elts), col=col)
        if isinstance(n, ast.IfExp):
            return IfExp(self.conv(n.test, d), self.conv(n.body, d), self.conv(n.orelse, d), col=col)
        if isinstance(n, ast.Call):
            return self.call(n, d)
        if isinstance(n, (ast.GeneratorExp, ast.ListComp)):
            raise _Fail("bad-generator", "a generator must be the argument of sum/min/max/all_different", col,
                        "write sum(x[i] for i in I)")
        if isinstance(n, ast.Attribute):
            raise _Fail("bad-attribute", f"attribute access '.{n.attr}' is not allowed", col,
                        "use x[i] indexing; there are no methods in expressions")
        if isinstance(n, ast.Lambda):
            raise _Fail("bad-construct", "lambda is not allowed", col, "write the expression directly")
        raise _Fail("bad-construct", f"{type(n).__name__} is not allowed in an expression", col,
                    "see docs/model-format.md for the expression language")

    def call(self, n: ast.Call, d: int) -> Node:
        col = _col(n)
        if not isinstance(n.func, ast.Name):
            raise _Fail("bad-call", "only the functions of the expression language may be called "
                        f"({', '.join(sorted(CALL_FUNCS | AGG_FUNCS | SET_FUNCS))})",
                        col, "no methods or attribute calls")
        fn = n.func.id
        if n.keywords and fn not in ("prev", "next"):
            raise _Fail("bad-call", f"{fn}() takes no keyword arguments", col, "pass positional arguments only")
        if fn in ("card", "len"):
            if len(n.args) != 1:
                raise _Fail("bad-call", f"{fn}() takes one set", col, f"write {fn}(S)")
            return Call("len", (self._setref(n.args[0]),), col=col)
        if fn in SET_FUNCS:
            return self.set_func(fn, n, d)
        if len(n.args) == 1 and isinstance(n.args[0], (ast.GeneratorExp, ast.ListComp)) and fn in AGG_FUNCS:
            g = n.args[0]
            return Agg(fn, self.conv(g.elt, d), self.gens(g.generators, d), col=col)
        if fn == "sum":
            if len(n.args) == 1 and isinstance(n.args[0], (ast.List, ast.Tuple)):
                elts = [self.conv(e, d) for e in n.args[0].elts]
                return _sum_nodes(elts, col)
            raise _Fail("bad-call", "sum() takes a generator", col, "write sum(x[i] for i in I)")
        if fn in CALL_FUNCS:
            args = n.args
            if len(args) == 1 and isinstance(args[0], (ast.List, ast.Tuple)) and fn in ("min", "max", "all_different"):
                args = args[0].elts
            if fn in ("abs", *MATH_FUNCS) and len(args) != 1:
                raise _Fail("bad-call", f"{fn}() takes one argument", col, f"write {fn}(e)")
            if fn == "implies" and len(args) != 2:
                raise _Fail("bad-call", "implies() takes two arguments", col, "write implies(y[i] == 1, x[i] <= 5)")
            if fn in ("min", "max") and len(args) < 1:
                raise _Fail("bad-call", f"{fn}() needs arguments", col, f"write {fn}(a, b) or {fn}(e for i in I)")
            if fn == "all_different" and len(args) < 1:
                raise _Fail("bad-call", "all_different() needs arguments", col, "write all_different(x[i] for i in I)")
            return Call(fn, tuple(self.conv(a, d) for a in args), col=col)
        known = sorted(CALL_FUNCS | AGG_FUNCS | SET_FUNCS)
        raise _Fail("unknown-function", f"unknown function {fn!r}", col,
                    f"allowed functions: {', '.join(known)}" + _near(fn, known), symbol=fn)

    def set_func(self, fn: str, n: ast.Call, d: int) -> Node:
        """first(S), last(S), ord(t[, S]), prev(t[, S][, wrap=True]), next(...)."""
        col = _col(n)
        if fn in ("first", "last"):
            if len(n.args) != 1:
                raise _Fail("bad-call", f"{fn}() takes one set", col, f"write {fn}(S)")
            return SetEnd(fn, self._setref(n.args[0]), col=col)
        if not 1 <= len(n.args) <= 2:
            extra = ", wrap=True" if fn in ("prev", "next") else ""
            raise _Fail("bad-call", f"{fn}() takes an element and optionally its set", col,
                        f"write {fn}(t) or {fn}(t, S){extra}")
        over = self._setref(n.args[1]) if len(n.args) == 2 else None
        if fn == "ord":
            return Ord(self.conv(n.args[0], d), over, col=col)
        wrap = False
        for kw in n.keywords:
            if kw.arg != "wrap" or not isinstance(kw.value, ast.Constant) or not isinstance(kw.value.value, bool):
                raise _Fail("bad-call", f"{fn}() takes only the keyword wrap=True or wrap=False", col,
                            f"write {fn}(t, wrap=True) for a cyclic neighbour")
            wrap = kw.value.value
        return Step(fn, self.conv(n.args[0], d), over, wrap, col=col)

    def gens(self, comps: list[ast.comprehension], d: int, offset: int = 0) -> tuple[Gen, ...]:
        out = []
        for c in comps:
            col = _col(c.target) + offset
            if c.is_async:
                raise _Fail("bad-generator", "async generators are not allowed", col)
            t = c.target
            if isinstance(t, ast.Name):
                targets = (t.id,)
            elif isinstance(t, ast.Tuple) and all(isinstance(e, ast.Name) for e in t.elts):
                targets = tuple(e.id for e in t.elts)  # type: ignore[union-attr]
            else:
                raise _Fail("bad-generator", "a generator target must be a name or a tuple of names", col,
                            "write for i in I or for (i, j) in Arcs")
            if len(set(targets)) != len(targets):
                raise _Fail("bad-generator", "repeated name in a generator target", col)
            over = self._setref(c.iter, offset)
            conds = tuple(self.conv(x, d) for x in c.ifs)
            out.append(Gen(targets, over, conds, col=col))
        return tuple(out)

    set_algebra = False  # set definitions: generators may range over `A * B`, `A | B`, ...

    def _setref(self, n: ast.AST, offset: int = 0) -> SetRef:
        col = _col(n) + offset
        if isinstance(n, ast.Name):
            return SetRef(name=n.id, col=col)
        if self.set_algebra and isinstance(n, ast.BinOp) and type(n.op) in _SETOPS:
            return self.set_expr(n, offset)  # type: ignore[return-value]
        if isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id == "range" and not n.keywords:
            if len(n.args) == 1:
                return SetRef(lo=Num(0.0, col=col), hi=self.conv(n.args[0], 1), col=col)
            if len(n.args) == 2:
                return SetRef(lo=self.conv(n.args[0], 1), hi=self.conv(n.args[1], 1), col=col)
        if isinstance(n, ast.BinOp) and type(n.op) in _SETOPS:
            raise _Fail("bad-set", "a generator ranges over a declared set, not a set expression", col,
                        "declare it as a derived set, e.g. \"sets\": {\"Pairs\": \"(i, j) in N * N if i != j\"}, "
                        "and write for (i, j) in Pairs")
        raise _Fail("bad-set", "a generator must range over a declared set name or range(a, b)", col,
                    "declare the set in \"sets\" and write for i in SetName")

    def set_expr(self, n: ast.AST, offset: int = 0) -> Node:
        """A set-algebra expression: names, range(a, b), keys(p), | & - *, parentheses."""
        col = _col(n) + offset
        if isinstance(n, ast.BinOp) and type(n.op) in _SETOPS:
            return SetOp(_SETOPS[type(n.op)], self.set_expr(n.left, offset), self.set_expr(n.right, offset), col=col)
        if isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id == "keys":
            if len(n.args) != 1 or n.keywords or not isinstance(n.args[0], ast.Name):
                raise _Fail("bad-set", "keys() takes the name of one indexed param", col, "write keys(cost)")
            return ParamKeys(n.args[0].id, col=col)
        if isinstance(n, ast.SetComp):
            gens = self.gens(n.generators, 1, offset)
            elts = n.elt.elts if isinstance(n.elt, ast.Tuple) else [n.elt]
            return SetComp(tuple(self.conv(e, 1) for e in elts), gens, col=col)
        if isinstance(n, (ast.Name, ast.Call)):
            return self._setref(n, offset)
        if isinstance(n, ast.Set):
            raise _Fail("bad-set", "a literal set of elements is not a set definition", col,
                        "declare the elements as their own set ([\"a\", \"b\"]) and combine it by name")
        raise _Fail("bad-set", f"{type(n).__name__} is not a set expression", col, SET_EXPR_HINT)


def _col(n: ast.AST) -> int:
    return getattr(n, "col_offset", -1) + 1


def _sum_nodes(elts: list[Node], col: int) -> Node:
    if not elts:
        return Num(0.0, col=col)
    acc = elts[0]
    for e in elts[1:]:
        acc = BinOp("+", acc, e, col=col)
    return acc


def _near(name: str, names: list[str] | set[str]) -> str:
    import difflib

    m = difflib.get_close_matches(name, list(names), n=1, cutoff=0.6)
    return f"; did you mean {m[0]!r}?" if m else ""


def nearest(name: str, names) -> str | None:
    """The declared name closest to a misspelled one, or None."""
    import difflib

    m = difflib.get_close_matches(name, list(names), n=1, cutoff=0.6)
    if not m:
        low = {n.lower(): n for n in names}
        if name.lower() in low:
            return low[name.lower()]
    return m[0] if m else None


def walk(node: Node):
    """Yield every node of a tree (pre-order)."""
    stack = [node]
    while stack:
        n = stack.pop()
        yield n
        for f in getattr(n, "__dataclass_fields__", {}):
            if f == "col":
                continue
            v = getattr(n, f)
            if isinstance(v, Node):
                stack.append(v)
            elif isinstance(v, tuple):
                stack.extend(x for x in v if isinstance(x, Node))
