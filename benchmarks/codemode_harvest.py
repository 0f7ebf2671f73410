"""Code mode: the array harvest against the LP-file round trip it replaced, side by side.

Builds a Pyomo transportation model (P plants x M markets, P + M rows, P * M columns) and a
PuLP one of the same size in this process, then times, for each:
- **arrays**: the harness's export (`_pyomo_model` / `_pulp_model`: columns, rows, coefficients
  and the name table as flat arrays), plus the parent's validation (`result.read_model`) and the
  hand-over to HiGHS (`harvest.solve_arrays` up to `passModel`, without solving);
- **LP file**: the library's LP writer plus HiGHS `readModel` of that file (the old path).
It prints both times and their ratio, and checks the two reach the same optimum.
Also, the whole sandboxed run (`run_code`) of a small program, to show the fixed cost of a run.

Run: ``python benchmarks/codemode_harvest.py [--plants 150] [--markets 150] [--repeat 3]``
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from formalize.codemode import harvest, result, run_code  # noqa: E402

spec = importlib.util.spec_from_file_location("harness", ROOT / "formalize/codemode/_harness.py")
harness = importlib.util.module_from_spec(spec)
assert spec.loader is not None
spec.loader.exec_module(harness)


def pyomo_model(p: int, m: int):
    import pyomo.environ as pyo

    model = pyo.ConcreteModel()
    model.x = pyo.Var(range(p), range(m), within=pyo.NonNegativeReals)
    model.cost = pyo.Objective(expr=sum(((i * 7 + j * 3) % 11 + 1) * model.x[i, j]
                                        for i in range(p) for j in range(m)))
    model.supply = pyo.Constraint(range(p), rule=lambda mm, i: sum(mm.x[i, j] for j in range(m))
                                  <= 10 + i % 5)
    model.demand = pyo.Constraint(range(m), rule=lambda mm, j: sum(mm.x[i, j] for i in range(p))
                                  >= 5 + j % 3)
    return model


def pulp_model(p: int, m: int):
    import pulp

    model = pulp.LpProblem("t", pulp.LpMinimize)
    x = {(i, j): pulp.LpVariable(f"x_{i}_{j}", 0) for i in range(p) for j in range(m)}
    model += pulp.lpSum(((i * 7 + j * 3) % 11 + 1) * x[i, j] for i in range(p) for j in range(m))
    for i in range(p):
        model += pulp.lpSum(x[i, j] for j in range(m)) <= 10 + i % 5
    for j in range(m):
        model += pulp.lpSum(x[i, j] for i in range(p)) >= 5 + j % 3
    return model


def via_arrays(model, lib) -> tuple[float, float]:
    t0 = time.perf_counter()
    data = (harness._pyomo_model(model, lib) if lib.__name__.startswith("pyomo")
            else harness._pulp_model(model, lib))
    frames, _ = result.split_frames(data, 1 << 30)
    md = result.read_model(frames[0])
    sol = harvest.solve_arrays(md)
    return time.perf_counter() - t0 - sol.solve_time, sol.objective


def via_lp_file(model, lib) -> tuple[float, float]:
    import highspy

    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "m.lp")
        t0 = time.perf_counter()
        if lib.__name__.startswith("pyomo"):
            model.write(path, io_options={"symbolic_solver_labels": True})
        else:
            model.writeLP(path)
        h = harvest.new_highs()
        h.readModel(path)
        elapsed = time.perf_counter() - t0
        h.run()
        assert h.getModelStatus() == highspy.HighsModelStatus.kOptimal
        return elapsed, h.getInfo().objective_function_value


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--plants", type=int, default=150)
    ap.add_argument("--markets", type=int, default=150)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    import pulp
    import pyomo.environ as pyo

    p, m = args.plants, args.markets
    print(f"transport model: {p * m} columns, {p + m} rows")
    for name, build, lib in (("pyomo", pyomo_model, pyo), ("pulp", pulp_model, pulp)):
        model = build(p, m)
        arrays = [via_arrays(model, lib) for _ in range(args.repeat)]
        lpfile = [via_lp_file(model, lib) for _ in range(args.repeat)]
        a, lp = min(t for t, _ in arrays), min(t for t, _ in lpfile)
        same = abs(arrays[0][1] - lpfile[0][1]) <= 1e-6 * max(1.0, abs(lpfile[0][1]))
        print(f"{name:6} arrays {a:7.3f} s   LP file {lp:7.3f} s   ratio {a / lp:5.2f}   "
              f"same optimum: {same} ({arrays[0][1]:g})")
    src = "import pulp\nmodel = pulp.LpProblem('p')\nx = pulp.LpVariable('x', 0, 1)\nmodel += x\n"
    for outer in ("builtin", "bwrap"):
        times = []
        for _ in range(args.repeat):
            t0 = time.perf_counter()
            run = run_code(src, _outer=outer)
            times.append(time.perf_counter() - t0)
        status = run.reason if run.ok else f"{run.reason}: {run.diagnostics[0].message[:60]}"
        print(f"one sandboxed PuLP run ({outer}): {min(times):.2f} s ({status})")


if __name__ == "__main__":
    main()
