"""The Python layers: the AST allow-list (static, before anything runs) and, with the allow-list
skipped by the parent, the audit hook and solver guard inside the child. Each case asserts the
layer that refuses, the diagnostic code and the line. The OS layers stay on underneath (they
are proven alone in test_os_layers.py)."""

from __future__ import annotations

import types
from concurrent.futures import ThreadPoolExecutor

import pytest

from formalize.codemode import check_code, run_code
from formalize.codemode.allowlist import LIBRARY_MODULE_ATTRIBUTES

# --- the allow-list -------------------------------------------------------------------------
# (source, diagnostic code of the first finding, its line, its symbol)
STATIC = {
    "getattr-alias": ("g = getattr\nx = g(1, 'real')\n", "dynamic-attribute", 1, "getattr"),
    "getattr-map": ("x = list(map(getattr, [1], ['real']))\n", "dynamic-attribute", 1, "getattr"),
    "getattr-reduce": ("import functools\nx = functools.reduce(getattr, ['real'], 1)\n",
                       "dynamic-attribute", 2, "getattr"),
    "getattr-in-list": ("fs = [getattr]\nx = fs[0](1, 'real')\n", "dynamic-attribute", 1,
                        "getattr"),
    "getattr-sorted-key": ("x = sorted([1], key=getattr)\n", "dynamic-attribute", 1, "getattr"),
    "setattr-alias": ("s = setattr\n", "dynamic-attribute", 1, "setattr"),
    "dunder-built-at-run-time": ("n = '_' * 2 + 'class' + '_' * 2\nx = getattr((), n)\n",
                                 "dynamic-attribute", 2, "getattr"),
    "dunder-literal": ("x = getattr((), '__class__')\n", "dunder-access", 1, "__class__"),
    "subclasses": ("x = object.__subclasses__()\n", "dunder-access", 1, "__subclasses__"),
    "globals-of-function": ("def f():\n    pass\ng = f.__globals__\n", "dunder-access", 3,
                            "__globals__"),
    "builtins-import": ("os = __import__('os')\n", "forbidden-name", 1, "os"),
    "dunder-import-name": ("m = __import__('o' + 's')\n", "dunder-access", 1, "__import__"),
    "frame-walk": ("try:\n    1 / 0\nexcept Exception as e:\n    g = e.__traceback__\n",
                   "dunder-access", 4, "__traceback__"),
    "tb-frame-attribute": ("def f(tb):\n    return tb.tb_frame.f_back.f_globals\n",
                           "forbidden-attribute", 2, "f_globals"),
    "generator-frame": ("def g():\n    yield 1\nb = g().gi_frame.f_builtins\n",
                        "forbidden-attribute", 3, "f_builtins"),
    "format-computed": ("fmt = '{0.' + 'real}'\ny = fmt.format(1)\n", "dynamic-format", 2,
                        "format"),
    "format-dunder-literal": ("y = '{0.__class__}'.format(1)\n", "dunder-access", 1,
                              "__class__"),
    "match-class-attribute": ("match 1:\n    case object(__class__=c):\n        pass\n",
                              "dunder-access", 2, "__class__"),
    "star-import-dead-binding": ("from pulp import *\nif False:\n    time = 0\n"
                                 "time.clock_settime(0, 1.0)\n", "forbidden-name", 4, "time"),
    "star-import-loop-binding": ("from pulp import *\nfor time in []:\n    pass\n"
                                 "time.sleep(1)\n", "forbidden-name", 4, "time"),
    "star-import-use-before-binding": ("from pulp import *\ndef f():\n    return json.dumps\n"
                                       "json = 1\n", "forbidden-name", 3, "json"),
    "library-submodule": ("import pulp\nx = pulp.pulp.LpProblem\n", "forbidden-attribute", 2,
                          "pulp"),
    "library-module-sys": ("import pulp\nx = pulp.sys.modules\n", "forbidden-attribute", 2,
                           "sys"),
    "pyomo-package-walk": ("import pyomo.environ\nx = pyomo.common\n", "forbidden-attribute", 2,
                           "common"),
    "pyomo-environ-pyomo": ("import pyomo.environ as pyo\nx = pyo.pyomo.opt\n",
                            "forbidden-attribute", 2, "pyomo"),
    "cp-model-time": ("from ortools.sat.python import cp_model\ncp_model.time.sleep(1)\n",
                      "forbidden-attribute", 2, "time"),
    "from-library-import-module": ("from pulp import sys\n", "forbidden-import", 1, "pulp.sys"),
    "pulp-highs-actualsolve": ("import pulp\nm = pulp.LpProblem('p')\n"
                               "pulp.HiGHS().actualSolve(m)\n", "solve-call", 3, "actualSolve"),
    "pulp-highs-class": ("from pulp import HiGHS\n", "solve-call", 1, "HiGHS"),
    "pulp-solve-with": ("import pulp\nm = pulp.LpProblem('p')\nm.solve(pulp.GUROBI())\n",
                        "solve-call", 3, "solve"),
    "pulp-cbc": ("import pulp\ns = pulp.PULP_CBC_CMD()\n", "solve-call", 2, "PULP_CBC_CMD"),
    "pyomo-solverfactory": ("import pyomo.environ as pyo\ns = pyo.SolverFactory('highs')\n",
                            "solve-call", 2, "SolverFactory"),
    "cpsat-solver": ("from ortools.sat.python import cp_model\ns = cp_model.CpSolver()\n",
                     "solve-call", 2, "CpSolver"),
    "getattr-literal-solver": ("import pulp\ns = getattr(pulp, 'HiGHS')\n", "solve-call", 2,
                               "HiGHS"),
    "getattr-literal-solverfactory": ("import pyomo.environ as pyo\n"
                                      "s = getattr(pyo, 'SolverFactory')('highs')\n",
                                      "solve-call", 2, "SolverFactory"),
    "getattr-literal-package": ("import pyomo.environ as pyo\np = getattr(pyo, 'pyomo')\n",
                                "forbidden-attribute", 2, "pyomo"),
    "getattr-literal-submodule": ("import pulp\np = getattr(pulp, 'pulp')\n",
                                  "forbidden-attribute", 2, "pulp"),
    "getattr-literal-format": ("f = '{0.' + 'real}'\ny = getattr(f, 'format')(1)\n",
                               "dynamic-format", 2, "format"),
    "pyomo-load-file": ("import pyomo.environ as pyo\nm = pyo.ConcreteModel()\n"
                        "m.load('/etc/passwd')\n", "solve-call", 3, "load"),
    "pyomo-display-to-file": ("import pyomo.environ as pyo\nm = pyo.ConcreteModel()\n"
                              "m.display('/usr/pwned')\n", "solve-call", 3, "display"),
    "filename-keyword": ("import pyomo.environ as pyo\nm = pyo.ConcreteModel()\n"
                         "m.display(filename='/usr/pwned')\n", "solve-call", 3, "filename"),
    "highspy-import": ("import highspy\n", "forbidden-import", 1, "highspy"),
    "ctypes-import": ("import ctypes\n", "forbidden-import", 1, "ctypes"),
    "os-import": ("import os\n", "forbidden-import", 1, "os"),
    "exec": ("exec('1')\n", "forbidden-name", 1, "exec"),
    "vars": ("v = vars()\n", "forbidden-name", 1, "vars"),
}


@pytest.mark.parametrize("name", sorted(STATIC))
def test_allow_list_refuses(name):
    src, code, line, symbol = STATIC[name]
    diags = check_code(src)
    assert diags, f"allowed:\n{src}"
    found = [(d.code, d.location.field, d.location.symbol) for d in diags]
    assert (code, f"line {line}", symbol) in found, [str(d) for d in diags]
    assert diags[0].location.field == f"line {line}"  # the first finding is that line
    assert all(d.hint for d in diags)
    run = run_code(src)
    assert run.reason == "refused" and run.returncode is None  # nothing started


@pytest.mark.parametrize("src", [
    "from pulp import *\ntime = [1, 2, 3]\nmodel = LpProblem('p')\nx = LpVariable.dicts('x', time)\n",
    "from pulp import *\ndef f(time):\n    return time\n",
    "import pulp\nm = pulp.LpProblem('p')\nx = getattr(m, 'name')\n",
    "y = 'x_{0}'.format(3)\n",
    "y = getattr('x_{0}', 'format')(3)\n",
    "import pyomo.environ as pyo\nm = pyo.ConcreteModel()\nm.display()\nm.pprint()\n",
    "import pyomo.environ as pyo\nm = pyo.ConcreteModel()\nm.time = pyo.Set(initialize=[1])\n",
])
def test_allow_list_keeps_ordinary_code(src):
    assert check_code(src) == [], [str(d) for d in check_code(src)]


def test_library_module_tables_cover_the_installed_libraries():
    """Every module-valued attribute of an allowed library module is in the table (a library
    upgrade that adds one fails here rather than opening a path)."""
    import importlib

    for module, listed in LIBRARY_MODULE_ATTRIBUTES.items():
        mod = importlib.import_module(module)
        actual = {k for k, v in vars(mod).items() if isinstance(v, types.ModuleType)}
        assert actual <= listed, f"{module}: add {sorted(actual - listed)}"


# --- the audit hook and the solver guard (allow-list skipped) ---------------------------------
SWITCH_OFF = '''
try:
    open('/usr/pwned', 'w')
except PermissionError as e:
    tb = e.__traceback__
    frames = ()
    while tb is not None:
        frames += (tb.tb_frame,)
        tb = tb.tb_next
    for f in frames:
        fr = f
        while fr is not None:
            g = fr.f_globals
            for k in list(g.keys()):
                if k.startswith('_') and isinstance(g[k], (tuple, frozenset, set, dict)):
                    g[k] = type(g[k])()
            for k in ('_REFUSED_PREFIXES', '_BLOCKED_IMPORTS', '_PATH_EVENTS', '_LIST_EVENTS'):
                g[k] = frozenset()
            fr = fr.f_back
    print('hook globals:', sorted(frames[-1].f_globals))
import socket
'''
HOOKED = {
    # name: (source, reason, code, text in the message, line)
    "switch-off-by-frame-walking": (SWITCH_OFF, "refused", "sandbox-refused",
                                    "sandbox: importing 'socket'", 21),
    "patched-builtins-and-realpath": (
        "import builtins, posixpath, os.path\nbuiltins.isinstance = lambda *a: True\n"
        "builtins.len = lambda *a: 0\nposixpath.realpath = lambda p, **k: '/sandbox/x'\n"
        "os.path.realpath = posixpath.realpath\nopen('/usr/pwned', 'w')\n",
        "refused", "sandbox-refused", "sandbox: opening /usr/pwned for writing", 6),
    "pathlike-object": (
        "class P:\n    def __fspath__(self):\n        return '/usr/pwned'\nopen(P(), 'w')\n",
        "refused", "sandbox-refused", "opening /usr/pwned for writing", 4),
    "symlink-chain-in-path": ("open('/sandbox/../usr/./pwned', 'w')\n", "refused",
                              "sandbox-refused", "opening /usr/pwned for writing", 1),
    "cached-module-ctypes": ("import ctypes\n", "refused", "sandbox-refused",
                             "importing 'ctypes'", 1),
    "socket-import": ("import socket\n", "refused", "sandbox-refused", "importing 'socket'", 1),
    "os-system": ("import os\nos.system('true')\n", "refused", "sandbox-refused",
                  "'os.system'", 2),
    "subprocess": ("import subprocess\nsubprocess.run(['true'])\n", "refused",
                   "sandbox-refused", "importing 'fcntl'", 1),
    "posix-spawn": ("import os\nos.posix_spawn('/usr/bin/true', ['true'], {})\n", "refused",
                    "sandbox-refused", "'os.posix_spawn'", 2),
    "read-outside": ("open('/etc/hostname').read()\n", "refused", "sandbox-refused",
                     "opening /etc/hostname", 1),
    "list-outside": ("import os\nos.listdir('/')\n", "refused", "sandbox-refused",
                     "'os.listdir' on /", 2),
    "current-frames": ("import sys\nsys._current_frames()\n", "refused", "sandbox-refused",
                       "'sys._current_frames'", 2),
    "gc-objects": ("import gc\ngc.get_objects()\n", "refused", "sandbox-refused",
                   "importing 'gc'", 1),
    "guard-pulp-highs": ("import pulp\nm = pulp.LpProblem('p')\nx = pulp.LpVariable('x', 0, 1)\n"
                         "m += x\npulp.HiGHS().actualSolve(m)\n", "refused", "solve-call",
                         "HiGHS.actualSolve", 5),
    "guard-pulp-solve": ("import pulp\nm = pulp.LpProblem('p')\nx = pulp.LpVariable('x', 0, 1)\n"
                         "m += x\nm.solve()\n", "refused", "solve-call", "LpProblem.solve", 5),
    "guard-pyomo": ("import pyomo.environ as pyo\nm = pyo.ConcreteModel()\n"
                    "pyo.SolverFactory('appsi_highs').solve(m)\n", "refused", "solve-call",
                    "pyomo SolverFactory", 3),
    "guard-cpsat": ("from ortools.sat.python import cp_model\nm = cp_model.CpModel()\n"
                    "cp_model.CpSolver().solve(m)\n", "refused", "solve-call", "CpSolver.solve", 3),
}


@pytest.fixture(scope="module")
def hooked_runs():
    def one(name: str):
        return run_code(HOOKED[name][0], _skip_allowlist=True, timeout=20.0)

    names = sorted(HOOKED)
    with ThreadPoolExecutor(max_workers=3) as pool:
        return dict(zip(names, pool.map(one, names)))


@pytest.mark.parametrize("name", sorted(HOOKED))
def test_python_layers_refuse(name, hooked_runs):
    _, reason, code, text, line = HOOKED[name]
    run = hooked_runs[name]
    described = f"{run.reason}: {[str(d) for d in run.diagnostics]} {run.stdout[-200:]!r}"
    assert run.reason == reason, described
    assert [d.code for d in run.diagnostics] == [code], described
    assert text in run.diagnostics[0].message, described
    assert run.diagnostics[0].location.field == f"line {line}", described
    assert "audit-hook" in run.layers.get("python", "")


def test_hook_state_is_not_reachable(hooked_runs):
    """The frames a refusal exposes hold no setting of the hook: its globals were emptied."""
    run = hooked_runs["switch-off-by-frame-walking"]
    assert "hook globals: ['_BLOCKED_IMPORTS', '_LIST_EVENTS', '_PATH_EVENTS', " \
           "'_REFUSED_PREFIXES']" in run.stdout  # only what the program itself put there
