"""The static allow-list for code mode: which Python the LLM may write to *build* a model.

This is the first of two layers. It is deliberately strict (imports only from the modelling
libraries and a few pure standard-library modules; no dunders, no private attributes, no file,
process or reflection builtins; no solving). The second layer, the sandbox in `sandbox.py`,
assumes this one has been bypassed and contains the program by itself.

Allowed standard-library modules and why they are safe: `math`, `itertools`, `collections`,
`functools`, `fractions` are pure computation with no file, process, network or reflection
access (`operator` is not allowed: `attrgetter("__class__")` reaches attributes by string;
`numpy`/`pandas` are not allowed: `load`, `fromfile`, `read_csv` reach the file system).
"""

from __future__ import annotations

import ast
import re

from formalize.codemode.scopes import unsafe_star_loads
from solvers.diagnostics import Diagnostic, Location
from solvers.expr import _ast_parse

# Module -> allowed. A module is allowed if it, or a parent listed with a trailing ".", is here.
ALLOWED_MODULES: frozenset[str] = frozenset(
    {
        "pyomo.environ",
        "pyomo.core",
        "pulp",
        "ortools.sat.python.cp_model",
        "ortools.sat.python",  # only as `from ortools.sat.python import cp_model`
        "math",
        "itertools",
        "collections",
        "functools",
        "fractions",
        "__future__",
    }
)
# `from X import name` is checked for these packages: only the listed names may be imported.
_FROM_ONLY: dict[str, frozenset[str]] = {"ortools.sat.python": frozenset({"cp_model"})}

# Names that may not be used at all (builtins that reach files, code, reflection or the process;
# modules that star imports of the modelling libraries drag in; solver entry points).
FORBIDDEN_BUILTINS: frozenset[str] = frozenset(
    {
        "open",
        "exec",
        "eval",
        "compile",
        "__import__",
        "globals",
        "locals",
        "vars",
        "input",
        "breakpoint",
        "help",
        "exit",
        "quit",
        "memoryview",
    }
)
FORBIDDEN_MODULE_NAMES: frozenset[str] = frozenset(
    {
        "os",
        "sys",
        "subprocess",
        "socket",
        "importlib",
        "ctypes",
        "builtins",
        "pathlib",
        "shutil",
        "io",
        "posix",
        "pty",
        "signal",
        "multiprocessing",
        "threading",
        "tempfile",
        "pickle",
        "marshal",
        "codeop",
        "gc",
        "inspect",
        "resource",
        "runpy",
        "urllib",
        "http",
        "ftplib",
        "ssl",
        "asyncio",
        "mmap",
        "fcntl",
        "np",
        "pd",
        "numpy",
        "pandas",
        "apis",
        "cmh",
        "webbrowser",
        "sqlite3",
        "operator",
        "sysconfig",
        "_posixsubprocess",
    }
)
# Attributes of the allowed library modules that are modules themselves (`pulp.sys`,
# `pyo.pyomo`, `cp_model.time`): refused after the library's name, and as names a star import
# brings in. A test checks these against the installed libraries.
LIBRARY_MODULE_ATTRIBUTES: dict[str, frozenset[str]] = {
    "pyomo.environ": frozenset({
        "_sys", "base", "boolean_value", "calculus", "expr", "expr_common", "expr_errors",
        "importlib", "kernel", "logical_expr", "numeric_expr", "numvalue", "plugins", "pyomo",
        "symbol_map", "sympy_tools", "taylor_series", "util", "visitor",
    }),
    "pyomo.core": frozenset({
        "base", "boolean_value", "calculus", "expr", "expr_common", "expr_errors", "kernel",
        "logical_expr", "numeric_expr", "numvalue", "plugins", "pyomoobject", "staleflag",
        "symbol_map", "sympy_tools", "taylor_series", "util", "visitor",
    }),
    "pulp": frozenset({
        "apis", "choco_api", "coin_api", "collections", "const", "constants", "copt_api", "core",
        "cplex_api", "cuopt_api", "dataclasses", "glpk_api", "gurobi_api", "highs_api",
        "itertools", "json", "logging", "math", "mipcl_api", "mosek_api", "mps_lp", "mpslp",
        "pulp", "re", "sas_api", "scip_api", "sparse", "sys", "utilities", "v4_migration",
        "warnings", "xpress_api",
    }),
    "ortools.sat.python.cp_model": frozenset({
        "cmh", "copy", "np", "pd", "sorted_interval_list", "threading", "time", "warnings",
    }),
}
# Packages on the way to an allowed module: only that way on is allowed (`pyomo.environ`, not
# `pyomo.common`).
_PACKAGE_PATHS: dict[str, frozenset[str]] = {
    "pyomo": frozenset({"environ", "core"}),
    "ortools": frozenset({"sat"}),
    "ortools.sat": frozenset({"python"}),
    "ortools.sat.python": frozenset({"cp_model"}),
}
_HARMLESS_MODULES = frozenset({"math", "itertools", "collections"})
# Modules that `from pulp import *` / `from pyomo.environ import *` / `from ... cp_model import *`
# drag into the namespace: refused unless the program rebinds the name first, unconditionally
# (`time = [...]` in the module body after the star import; see scopes.py).
STAR_IMPORTED_NAMES: frozenset[str] = frozenset(
    {
        "json",
        "logging",
        "warnings",
        "time",
        "copy",
        "re",
        "dataclasses",
        "core",
        "utilities",
        "mps_lp",
        "mpslp",
        "plugins",
        "kernel",
        "util",
        "platform",
        "glob",
        "weakref",
        "traceback",
        "linecache",
        "site",
        "types",
        "code",
        "const",
        "constants",
        "sparse",
        "v4_migration",
        "base",
        "expr",
        "visitor",
        "symbol_map",
        "sympy_tools",
    }
) | frozenset(
    n
    for attrs in LIBRARY_MODULE_ATTRIBUTES.values()
    for n in attrs
    if not n.startswith("_") and n not in _HARMLESS_MODULES
)
# Things that solve, write or read files: the program must only build the model.
SOLVE_NAMES: frozenset[str] = frozenset(
    {
        "SolverFactory",
        "SolverManagerFactory",
        "CpSolver",
        "getSolver",
        "getSolverFromDict",
        "listSolvers",
        "LpSolverDefault",
        "LpSolver",
        "LpSolver_CMD",
        "configSolvers",
        "pulpTestAll",
        "DataPortal",
        "TempfileManager",
        # PuLP's solver classes (the `*_CMD` ones are refused by their suffix)
        "HiGHS",
        "CyLP",
        "PYGLPK",
        "GLPK",
        "CPLEX",
        "CPLEX_PY",
        "CPLEX_DLL",
        "GUROBI",
        "MOSEK",
        "XPRESS",
        "XPRESS_PY",
        "COIN",
        "COINMP_DLL",
        "SCIP",
        "SCIP_PY",
        "COPT",
        "COPT_DLL",
        "SAS94",
        "SASCAS",
        "CUOPT",
        "YAPOSIB",
        "PulpSolverError",
        "SolveWrapper",
        "appsi",
    }
)
SOLVE_ATTRIBUTES: frozenset[str] = frozenset(
    {
        "solve",
        "Solve",
        "solve_with_solution_callback",
        "SolveWithSolutionCallback",
        "SearchForAllSolutions",
        "search_for_all_solutions",
        "sequentialSolve",
        "write",
        "writeLP",
        "writeMPS",
        "toJson",
        "to_json",
        "fromJson",
        "from_json",
        "fromMPS",
        "fromDict",
        "export_to_file",
        "ExportToFile",
        "create_instance",
        "load_solutions",
        "actualSolve",
        "actualResolve",
        "solveCheck",
        "resolve",
        "sequentialResolve",
        "buildSolverModel",
        "callSolver",
        "findSolutionValues",
        "load",  # Pyomo: model.load("file") reads it through a DataPortal
    }
)
# Keyword arguments that name a file to read or write (Pyomo's display(filename=...), ...).
FILE_KEYWORDS: frozenset[str] = frozenset({"filename", "file", "ostream", "path", "fname"})
# Attributes that reach frames, code objects, modules or the process.
FORBIDDEN_ATTRIBUTES: frozenset[str] = (
    frozenset(
        {
            "gi_frame",
            "gi_code",
            "gi_yieldfrom",
            "cr_frame",
            "cr_code",
            "ag_frame",
            "ag_code",
            "f_globals",
            "f_locals",
            "f_builtins",
            "f_back",
            "f_code",
            "tb_frame",
            "tb_next",
            "co_code",
            "func_globals",
            "func_code",
            "mro",
            "system",
            "popen",
            "spawn",
            "fork",
            "exec",
            "execv",
            "execve",
            "unlink",
            "rmtree",
            "rmdir",
            "kill",
            "format_map",
            "with_traceback",
            "getsource",
            "import_module",
            "reload",
            "modules",
            "getoutput",
        }
    )
    | FORBIDDEN_MODULE_NAMES
)
# Dunder methods a class in the program may define (defining is harmless; access is not).
ALLOWED_DUNDER_DEFS: frozenset[str] = frozenset({"__init__", "__repr__", "__str__"})
_DUNDER = re.compile(r"__\w+__")
_REFLECTIVE = {"getattr", "setattr", "delattr", "hasattr"}


def _is_dunder(name: str) -> bool:
    return len(name) > 4 and name.startswith("__") and name.endswith("__")


def _diag(
    code: str, message: str, node: ast.AST | None, symbol: str | None, hint: str
) -> Diagnostic:
    line = getattr(node, "lineno", None)
    col = getattr(node, "col_offset", None)
    return Diagnostic(
        code=code,
        message=message,
        location=Location(
            section="code",
            field=f"line {line}" if line is not None else None,
            column=col + 1 if col is not None else None,
            symbol=symbol,
        ),
        hint=hint,
    )


def _module_allowed(module: str) -> bool:
    return module in ALLOWED_MODULES


def _module_bindings(tree: ast.AST) -> dict[str, str]:
    """Names bound to an allowed module by an import: `pyo` -> "pyomo.environ", `pyomo` ->
    "pyomo" (after `import pyomo.environ`), `cp_model` -> "ortools.sat.python.cp_model"."""
    out: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                out[a.asname or a.name.split(".")[0]] = a.name if a.asname else a.name.split(".")[0]
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            for a in node.names:
                full = f"{node.module}.{a.name}"
                if a.name != "*" and (full in ALLOWED_MODULES or full in _PACKAGE_PATHS):
                    out[a.asname or a.name] = full
    return out


class _Checker(ast.NodeVisitor):
    def __init__(self, unsafe_star: set[int], modules: dict[str, str]) -> None:
        self.diagnostics: list[Diagnostic] = []
        self.unsafe_star = unsafe_star  # ids of loads that may see a star-imported module
        self.modules = modules
        self.called: set[int] = set()  # ids of expressions in call position

    def add(self, code: str, message: str, node: ast.AST, symbol: str | None, hint: str) -> None:
        self.diagnostics.append(_diag(code, message, node, symbol, hint))

    # imports -------------------------------------------------------------------------------
    def _import_refused(self, node: ast.AST, module: str) -> None:
        self.add(
            "forbidden-import",
            f"import of '{module}' is not allowed in code mode",
            node,
            module,
            "import only pyomo.environ, pulp, ortools.sat.python.cp_model, math, itertools, "
            "collections, functools or fractions; put data inline as Python literals",
        )

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            if not _module_allowed(alias.name) or alias.name in _FROM_ONLY:
                self._import_refused(node, alias.name)
            if alias.asname:
                self._check_binding(node, alias.asname)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        module = node.module or ""
        if node.level or not _module_allowed(module):
            self._import_refused(node, "." * node.level + module)
            return
        only = _FROM_ONLY.get(module)
        for alias in node.names:
            submodule = alias.name in LIBRARY_MODULE_ATTRIBUTES.get(module, ())
            if (only is not None and alias.name not in only) or submodule:
                self._import_refused(node, f"{module}.{alias.name}")
            elif alias.name != "*" and (alias.name in SOLVE_NAMES or _is_dunder(alias.name)):
                self._name_refused(node, alias.name)
            if alias.asname:
                self._check_binding(node, alias.asname)

    def _check_binding(self, node: ast.AST, name: str) -> None:
        if _is_dunder(name) or name in FORBIDDEN_BUILTINS or name in FORBIDDEN_MODULE_NAMES:
            self._name_refused(node, name)

    # names ---------------------------------------------------------------------------------
    def _name_refused(self, node: ast.AST, name: str) -> None:
        if name in SOLVE_NAMES or name.endswith("_CMD"):
            self.add(
                "solve-call",
                f"'{name}' solves or reads/writes files; code mode programs only build the model",
                node,
                name,
                "remove the solver; leave the built model in a variable named `model` and we "
                "solve it with HiGHS or CP-SAT",
            )
        elif _is_dunder(name):
            self.add(
                "dunder-access",
                f"the name '{name}' is not allowed (no dunder names in code mode)",
                node,
                name,
                "write plain model-building code without Python internals",
            )
        else:
            self.add(
                "forbidden-name",
                f"'{name}' is not allowed in code mode",
                node,
                name,
                "use only the modelling library, plain Python data and math/itertools; "
                "no file, process, reflection or dynamic-code builtins",
            )

    def visit_Name(self, node: ast.Name) -> None:
        name = node.id
        if name == "__name__" and isinstance(node.ctx, ast.Load):
            return  # `if __name__ == "__main__":` is common and harmless
        if id(node) in self.unsafe_star:
            self.add(
                "forbidden-name",
                f"'{name}' may still be the module a star import brought in (`from ... import "
                "*` defines it); it is not allowed in code mode",
                node,
                name,
                f"give your own data another name, or assign `{name} = ...` unconditionally "
                "right after the imports, before any use",
            )
        elif (
            _is_dunder(name)
            or name in FORBIDDEN_BUILTINS
            or name in FORBIDDEN_MODULE_NAMES
            or name in SOLVE_NAMES
            or name.endswith("_CMD")
            or name.endswith("_api")
        ):
            self._name_refused(node, name)
        elif name in _REFLECTIVE and isinstance(node.ctx, ast.Load) and id(node) not in self.called:
            self.add(
                "dynamic-attribute",
                f"'{name}' may only be called directly, with a constant attribute name; it "
                "cannot be renamed, stored or passed to another function",
                node,
                name,
                "access attributes directly, e.g. `m.x` instead of getattr(m, name)",
            )

    def visit_Call(self, node: ast.Call) -> None:
        func = node.func
        self.called.add(id(func))
        if isinstance(func, ast.Name) and func.id in _REFLECTIVE:
            attr = node.args[1] if len(node.args) > 1 else None
            if not (isinstance(attr, ast.Constant) and isinstance(attr.value, str)):
                self.add(
                    "dynamic-attribute",
                    f"{func.id}() with a computed attribute name is not allowed",
                    node,
                    func.id,
                    "access attributes directly, e.g. `m.x` instead of getattr(m, name)",
                )
            elif _is_dunder(attr.value) or attr.value.startswith("_"):
                self.add(
                    "dunder-access",
                    f"{func.id}() of the private attribute '{attr.value}' is not allowed",
                    node,
                    attr.value,
                    "use only the public API of the modelling library",
                )
            else:  # the same checks as `obj.attr` written out
                obj = node.args[0] if node.args else None
                module = self._module_path(obj) if obj is not None else None
                if module is None or not self._module_attr_refused(node, module, attr.value):
                    if attr.value == "format" and not (
                            isinstance(obj, ast.Constant) and isinstance(obj.value, str)):
                        self._dynamic_format(node)
                    self._attribute_name(node, attr.value)
        files = [kw.arg for kw in node.keywords if kw.arg in FILE_KEYWORDS]
        if (isinstance(func, ast.Attribute) and func.attr == "display"
                and (node.args or any(kw.arg is None for kw in node.keywords))):
            files.append("display")  # Pyomo: display(filename) writes that file
        for what in files:
            self.add("solve-call", f"'{what}' reads or writes a file; code mode programs only "
                     "build the model", node, what,
                     "print with print() or model.display() without arguments; write no files")
        self.generic_visit(node)

    # attributes ----------------------------------------------------------------------------
    def _attr_refused(self, node: ast.AST, attr: str) -> None:
        if attr in SOLVE_ATTRIBUTES:
            self.add(
                "solve-call",
                f"'.{attr}' solves the model or reads/writes files; code mode programs only "
                "build the model",
                node,
                attr,
                "delete the solve/write call; leave the built model in a variable named `model` "
                "and we solve it with HiGHS or CP-SAT",
            )
        else:
            self.add(
                "forbidden-attribute",
                f"the attribute '.{attr}' is not allowed in code mode",
                node,
                attr,
                "use only the public model-building API of pyomo, pulp or cp_model",
            )

    def _module_path(self, expr: ast.AST) -> str | None:
        """The allowed module (or package on the way to one) `expr` names, if any."""
        if isinstance(expr, ast.Name):
            return self.modules.get(expr.id)
        if isinstance(expr, ast.Attribute):
            base = self._module_path(expr.value)
            if base in _PACKAGE_PATHS and expr.attr in _PACKAGE_PATHS[base]:
                return f"{base}.{expr.attr}"
        return None

    def _module_attr_refused(self, node: ast.AST, module: str, attr: str) -> bool:
        if module in _PACKAGE_PATHS and attr not in _PACKAGE_PATHS[module]:
            what = f"the module '{module}.{attr}' is not allowed in code mode"
        elif attr in LIBRARY_MODULE_ATTRIBUTES.get(module, ()):
            what = f"'{module}.{attr}' is a module inside the library; it is not allowed in code mode"
        else:
            return False
        self.add("forbidden-attribute", what, node, attr,
                 "use the modelling API itself (pyomo.environ, pulp, cp_model), nothing below it")
        return True

    def _attribute_name(self, node: ast.AST, attr: str) -> None:
        """The checks every attribute name gets (also the keywords of a class pattern)."""
        if attr.startswith("_"):
            self.add(
                "dunder-access",
                f"the private attribute '.{attr}' is not allowed in code mode",
                node,
                attr,
                "use only the public API of the modelling library",
            )
        elif attr in FORBIDDEN_ATTRIBUTES or attr in SOLVE_ATTRIBUTES:
            self._attr_refused(node, attr)
        elif attr in SOLVE_NAMES or attr.endswith("_CMD"):
            self._name_refused(node, attr)

    def visit_MatchClass(self, node: ast.MatchClass) -> None:
        for attr in node.kwd_attrs:
            self._attribute_name(node, attr)
        self.generic_visit(node)

    def visit_Attribute(self, node: ast.Attribute) -> None:
        attr = node.attr
        module = self._module_path(node.value)
        if module is not None and self._module_attr_refused(node, module, attr):
            self.generic_visit(node)
            return
        if attr == "format" and not (
            isinstance(node.value, ast.Constant) and isinstance(node.value.value, str)
        ):
            self._dynamic_format(node)
        self._attribute_name(node, attr)
        self.generic_visit(node)

    def _dynamic_format(self, node: ast.AST) -> None:
        self.add(
            "dynamic-format",
            "'.format' is only allowed on a string literal (a computed format string can "
            "read any attribute)",
            node,
            "format",
            "use an f-string, e.g. f\"x_{i}\"",
        )

    # definitions and literals --------------------------------------------------------------
    def _check_def(self, node: ast.AST, name: str) -> None:
        dunder = _is_dunder(name) and name not in ALLOWED_DUNDER_DEFS
        if dunder or name in FORBIDDEN_BUILTINS or name in FORBIDDEN_MODULE_NAMES:
            self._name_refused(node, name)

    def visit_FunctionDef(self, node: ast.FunctionDef) -> None:
        self._check_def(node, node.name)
        self.generic_visit(node)

    visit_AsyncFunctionDef = visit_FunctionDef  # type: ignore[assignment]

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        self._check_def(node, node.name)
        for kw in node.keywords:
            self.add(
                "forbidden-name",
                f"class keyword '{kw.arg}' is not allowed in code mode",
                node,
                kw.arg,
                "define plain classes, or better plain dicts and functions",
            )
        self.generic_visit(node)

    def visit_arg(self, node: ast.arg) -> None:
        if _is_dunder(node.arg):
            self._name_refused(node, node.arg)

    def visit_Constant(self, node: ast.Constant) -> None:
        value = node.value
        if value == "__main__":
            return  # `if __name__ == "__main__":`
        if isinstance(value, (str, bytes)):
            text = value if isinstance(value, str) else value.decode("latin-1")
            match = _DUNDER.search(text)
            if match:
                self.add(
                    "dunder-access",
                    f"string literal containing '{match.group(0)}' is not allowed in code mode",
                    node,
                    match.group(0),
                    "do not spell Python internals in strings; name things without double "
                    "underscores",
                )

    def visit_Global(self, node: ast.Global) -> None:
        for name in node.names:
            self._check_binding(node, name)


def parse_code(src: str) -> tuple[ast.Module | None, list[Diagnostic]]:
    """Parse `src`; a syntax error becomes a located diagnostic."""
    try:
        return _ast_parse(src, mode="exec", filename="<model code>"), []  # type: ignore[return-value]
    except SyntaxError as exc:
        line = exc.lineno
        text = (exc.text or "").rstrip("\n")
        return None, [
            Diagnostic(
                code="syntax-error",
                message=f"syntax error: {exc.msg}" + (f" in `{text.strip()}`" if text else ""),
                location=Location(
                    section="code",
                    field=f"line {line}" if line else None,
                    column=exc.offset,
                    symbol=text.strip() or None,
                ),
                hint="fix the Python syntax at this line (unbalanced brackets, a missing colon, "
                "wrong indentation)",
            )
        ]
    except ValueError as exc:  # e.g. null bytes in the source
        return None, [
            Diagnostic(
                code="syntax-error",
                message=f"the code cannot be parsed: {exc}",
                location=Location(section="code"),
                hint="send plain UTF-8 Python source text",
            )
        ]


def check_code(src: str) -> list[Diagnostic]:
    """All allow-list findings for `src` (empty list = allowed), each located by line and column."""
    tree, diags = parse_code(src)
    if tree is None:
        return diags
    unsafe = {id(n) for n in unsafe_star_loads(tree, STAR_IMPORTED_NAMES)}
    checker = _Checker(unsafe, _module_bindings(tree))
    checker.visit(tree)
    return sorted(
        checker.diagnostics,
        key=lambda d: (_line_of(d), d.location.column or 0),
    )


def _line_of(d: Diagnostic) -> int:
    field = d.location.field or ""
    return int(field[5:]) if field.startswith("line ") else 0


def libraries_used(src: str) -> list[str]:
    """Which modelling libraries the program imports: a subset of ["pyomo", "pulp", "cpsat"]."""
    tree, _ = parse_code(src)
    if tree is None:
        return []
    found: set[str] = set()
    for node in ast.walk(tree):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            names = [node.module]
        for n in names:
            if n.startswith("pyomo"):
                found.add("pyomo")
            elif n.startswith("pulp"):
                found.add("pulp")
            elif n.startswith("ortools"):
                found.add("cpsat")
    return sorted(found)
