"""Which binding a name refers to: the scope analysis behind the allow-list's star-import rule.

`from pulp import *` puts modules such as `time`, `json` or `sys` among the program's globals.
A program may reuse such a name for its own data (`time = [1, 2, 3]`), but only when that
rebinding certainly happens before any use: an unconditional statement of the module body,
after the last star import and before the statement that uses the name (a `def` counts as a
use of the globals in its body). `if False: time = 0` or a loop target does not count.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field

_FUNCTION_LIKE = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)
_COMPREHENSIONS = (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)


@dataclass
class _Scope:
    node: ast.AST
    parent: _Scope | None
    locals: set[str] = field(default_factory=set)
    declared_global: set[str] = field(default_factory=set)
    declared_nonlocal: set[str] = field(default_factory=set)


def _target_names(target: ast.AST) -> list[str]:
    if isinstance(target, ast.Name):
        return [target.id]
    if isinstance(target, (ast.Tuple, ast.List)):
        return [n for elt in target.elts for n in _target_names(elt)]
    if isinstance(target, ast.Starred):
        return _target_names(target.value)
    return []


def unconditional_bindings(stmt: ast.stmt) -> set[str]:
    """Names a module-body statement always binds when it completes."""
    if isinstance(stmt, ast.Assign):
        return {n for t in stmt.targets for n in _target_names(t)}
    if isinstance(stmt, ast.AnnAssign) and stmt.value is not None:
        return set(_target_names(stmt.target))
    if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return {stmt.name}
    if isinstance(stmt, (ast.Import, ast.ImportFrom)):
        return {a.asname or a.name.split(".")[0] for a in stmt.names if a.name != "*"}
    return set()


class _Collector(ast.NodeVisitor):
    """Builds the scope tree and records every load of a watched name with its scope."""

    def __init__(self, watched: frozenset[str]) -> None:
        self.watched = watched
        self.scope: _Scope | None = None
        self.loads: list[tuple[ast.Name, _Scope]] = []

    def _enter(self, node: ast.AST) -> _Scope:
        scope = _Scope(node, self.scope)
        self.scope = scope
        return scope

    def _bind(self, name: str) -> None:
        assert self.scope is not None
        self.scope.locals.add(name)

    def visit_Module(self, node: ast.Module) -> None:
        self._enter(node)
        self.generic_visit(node)

    def _function(self, node: ast.AST) -> None:
        outer = self.scope
        if not isinstance(node, ast.Lambda):
            for dec in node.decorator_list:  # type: ignore[attr-defined]
                self.visit(dec)
            if node.returns is not None:  # type: ignore[attr-defined]
                self.visit(node.returns)  # type: ignore[attr-defined]
            self._bind(node.name)  # type: ignore[attr-defined]
        args = node.args  # type: ignore[attr-defined]
        for default in [*args.defaults, *[d for d in args.kw_defaults if d is not None]]:
            self.visit(default)
        scope = self._enter(node)
        for a in [*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg]:
            if a is not None:
                scope.locals.add(a.arg)
        body = node.body if isinstance(node.body, list) else [node.body]  # type: ignore[attr-defined]
        for stmt in body:
            self.visit(stmt)
        self.scope = outer

    visit_FunctionDef = visit_AsyncFunctionDef = visit_Lambda = _function  # type: ignore[assignment]

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        for expr in [*node.decorator_list, *node.bases, *[k.value for k in node.keywords]]:
            self.visit(expr)
        self._bind(node.name)
        outer = self.scope
        self._enter(node)
        for stmt in node.body:
            self.visit(stmt)
        self.scope = outer

    def _comprehension(self, node: ast.AST) -> None:
        gens = node.generators  # type: ignore[attr-defined]
        self.visit(gens[0].iter)  # evaluated in the enclosing scope
        outer = self.scope
        scope = self._enter(node)
        for i, gen in enumerate(gens):
            scope.locals.update(_target_names(gen.target))
            if i:
                self.visit(gen.iter)
            for cond in gen.ifs:
                self.visit(cond)
        for part in ("elt", "key", "value"):
            if hasattr(node, part):
                self.visit(getattr(node, part))
        self.scope = outer

    visit_ListComp = visit_SetComp = visit_DictComp = visit_GeneratorExp = _comprehension  # type: ignore[assignment]

    def visit_NamedExpr(self, node: ast.NamedExpr) -> None:
        self.visit(node.value)
        scope = self.scope
        while scope is not None and isinstance(scope.node, _COMPREHENSIONS):
            scope = scope.parent  # a walrus in a comprehension binds in the enclosing scope
        if scope is not None:
            scope.locals.add(node.target.id)

    def visit_Global(self, node: ast.Global) -> None:
        assert self.scope is not None
        self.scope.declared_global.update(node.names)

    def visit_Nonlocal(self, node: ast.Nonlocal) -> None:
        assert self.scope is not None
        self.scope.declared_nonlocal.update(node.names)

    def visit_Name(self, node: ast.Name) -> None:
        assert self.scope is not None
        if isinstance(node.ctx, (ast.Store, ast.Del)):
            self._bind(node.id)
        elif node.id in self.watched:
            self.loads.append((node, self.scope))

    def visit_alias(self, node: ast.alias) -> None:
        if node.name != "*":
            self._bind(node.asname or node.name.split(".")[0])

    def visit_ExceptHandler(self, node: ast.ExceptHandler) -> None:
        if node.name:
            self._bind(node.name)
        self.generic_visit(node)

    def visit_MatchAs(self, node: ast.MatchAs) -> None:
        if node.name:
            self._bind(node.name)
        self.generic_visit(node)

    def visit_MatchStar(self, node: ast.MatchStar) -> None:
        if node.name:
            self._bind(node.name)


def _resolves_to_global(name: str, scope: _Scope) -> bool:
    s: _Scope | None = scope
    innermost = True
    while s is not None:
        node = s.node
        if isinstance(node, ast.Module):
            return True
        if name in s.declared_global:
            return True
        if isinstance(node, ast.ClassDef):
            if innermost:
                return True  # a class body binding may be conditional: treat the load as global
        elif name in s.locals or name in s.declared_nonlocal:
            return False
        innermost = False
        s = s.parent
    return True


def unsafe_star_loads(tree: ast.Module, names: frozenset[str]) -> list[ast.Name]:
    """Loads of `names` that may still see what a star import bound."""
    body = tree.body
    stars = [i for i, s in enumerate(body) if isinstance(s, ast.ImportFrom)
             and any(a.name == "*" for a in s.names)]
    if not stars:
        return []
    last_star = max(stars)
    collector = _Collector(names)
    collector.visit(tree)
    top_of: dict[int, int] = {}
    for i, stmt in enumerate(body):
        for sub in ast.walk(stmt):
            top_of[id(sub)] = i
    bound_at: dict[str, int] = {}
    for i, stmt in enumerate(body):
        if i > last_star:
            for n in unconditional_bindings(stmt):
                bound_at.setdefault(n, i)
    unsafe = []
    for node, scope in collector.loads:
        if not _resolves_to_global(node.id, scope):
            continue
        first = bound_at.get(node.id)
        if first is None or first >= top_of.get(id(node), -1):
            unsafe.append(node)
    return unsafe
