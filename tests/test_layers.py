"""The package's layers: every import (module-level, function-level, TYPE_CHECKING) read with
`ast`, so the order holds whichever code path runs — llm < verify < render < program < codemode <
api < evaluation < cli — with no import cycle, and `solvers` never importing `formalize`."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LAYERS = ["llm", "verify", "render", "program", "codemode", "api", "evaluation", "cli"]


def _modules(package: str) -> dict[str, Path]:
    out = {}
    for p in sorted((ROOT / package).rglob("*.py")):
        parts = list(p.relative_to(ROOT).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = p
    return out


def _imports(name: str, path: Path, known: dict[str, Path]) -> set[str]:
    """The modules of `known` that `name` imports anywhere in its source."""
    is_pkg = path.name == "__init__.py"
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        targets: list[str] = []
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                pkg = name.split(".") if is_pkg else name.split(".")[:-1]
                pkg = pkg[: len(pkg) - (node.level - 1)]
                base = ".".join(pkg + ([base] if base else []))
            targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in known else base for a in node.names]
        for t in targets:
            while t and t not in known:  # `import a.b.c` of a package path: the deepest module known
                t = t.rpartition(".")[0]
            if t and t != name:
                found.add(t)
    return found


def _layer(module: str) -> int | None:
    parts = module.split(".")
    if parts[0] != "formalize" or len(parts) == 1:
        return None  # the package root is the facade above every layer
    return LAYERS.index(parts[1])


def _graph() -> dict[str, set[str]]:
    known = {**_modules("formalize"), **_modules("solvers")}
    return {m: _imports(m, p, known) for m, p in known.items()}


def test_every_module_belongs_to_a_layer():
    stray = [m for m in _modules("formalize") if m != "formalize" and m.split(".")[1] not in LAYERS]
    assert not stray, f"modules outside the layers {LAYERS}: {stray}"


def test_imports_go_down_the_layers():
    graph = _graph()
    upward = []
    for mod, deps in graph.items():
        if mod.startswith("solvers"):
            upward += [f"{mod} -> {d}" for d in deps if d.startswith("formalize")]
            continue
        here = _layer(mod)
        if here is None:
            continue
        upward += [f"{mod} -> {d}" for d in deps
                   if (there := _layer(d)) is not None and there > here]
    assert not upward, "imports against the layer order:\n" + "\n".join(sorted(upward))


def test_no_import_cycles():
    graph = _graph()
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    cycles: list[list[str]] = []

    def visit(v: str) -> None:  # Tarjan's strongly connected components
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                cycles.append(sorted(comp))

    for v in graph:
        if v not in index:
            visit(v)
    assert not cycles, f"import cycles: {cycles}"


def test_the_checker_sees_function_level_imports():
    """The walk must find an import inside a function (the kind that hid program <-> codegen)."""
    graph = _graph()
    assert "formalize.codemode.codegen" in graph["formalize.api"]  # imported inside solve()
    assert "formalize.llm.client" in graph["formalize.cli.main"]  # inside _make_client()
