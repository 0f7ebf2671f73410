"""Transportation LP through four front ends: formalize, native highspy, Pyomo, linopy.

    python benchmarks/build_transport.py                # 100x100, 300x300, 1000x1000
    python benchmarks/build_transport.py --quick        # 100x100 only
    python benchmarks/build_transport.py --sizes 200 500 --skip-pyomo-above 300

One deterministic instance per size (seeded costs; total supply = 1.1 x total demand) is written
as CSV files to a temp dir. Every front end reads those files itself and runs in its own
subprocess, so that its peak memory (VmHWM of the child) is its own. Measured per front end:
wall time from reading the data to having the solution values in hand (imports excluded),
HiGHS's own run time (`Highs.getRunTime()` of the instance that solved), the overhead
(wall - HiGHS), the CPU overhead (the process's CPU seconds minus those spent inside
`Highs.run`, which every front end calls: unlike wall time it is not inflated by other jobs on a
shared machine), peak resident memory, and the peak above the post-import baseline. Ratios are
to (b), native highspy fed numpy CSR arrays (names mapped to positions by `pd.Index.get_indexer`).
The formalize child ends with the values as an array (`sol.values.array("ship")`), as native
highspy does: names are resolved on demand.

Measured 2026-12-02 01:50 UTC (issue 9 item 4), one run, all front ends side by side, on the
shared 2-core machine under a load average of 10-13 (other jobs running: wall times are
inflated up to 10x over CPU times and noisy; the CPU columns are the steadier comparison).

    size       front end  wall s HiGHS s overhead s  x(b) cpu over s  x(b) peak MB  x(b)  +MB  x(b)
    100x100    formalize    0.52    0.17       0.35  3.72       0.05  5.22     104  1.10   13  1.19
               highspy      0.25    0.16       0.09  1.00       0.01  1.00      95  1.00   11  1.00
               pyomo        2.55    0.17       2.38 25.48       0.40 38.37     128  1.35   24  2.20
               linopy       4.20    0.19       4.00 42.84       0.56 53.64     170  1.79   31  2.86
    300x300    formalize    3.13    2.61       0.52  1.13       0.08  1.43     151  1.01   59  0.90
               highspy      2.95    2.49       0.46  1.00       0.05  1.00     150  1.00   66  1.00
               pyomo       21.88    1.19      20.70 45.15       3.92 73.23     314  2.10  211  3.19
               linopy       8.63    3.51       5.12 11.17       0.63 11.68     235  1.57   96  1.45
    1000x1000  formalize   64.59   54.54      10.05  2.58       1.04  1.72     707  0.99  622  0.99
               highspy     51.96   48.07       3.89  1.00       0.61  1.00     711  1.00  627  1.00
               linopy      73.68   59.23      14.45  3.71       1.55  2.56     871  1.23  732  1.17
               (pyomo skipped above 300x300)

At 10^6 variables: formalize's overhead is under linopy's (wall 10.05 s vs 14.45 s, CPU 1.04 s
vs 1.55 s; native highspy 0.61 s CPU) and its peak memory equals native's (707 vs 711 MB,
target <= 1.2x): a large lowering returns its freed heap to the OS (solvers/heap.py) before HiGHS
copies the model. Reading the CSV files is part of every front end's overhead (about 0.2 s CPU,
measured apart). An earlier run the same hour, before the heap was returned (load about 9):
overhead 3.27 s wall / 0.95 s CPU vs linopy 6.35 / 1.67 and native 3.00 / 0.81; peak 820 MB
(1.15x native's 712).

Before (2026-12-02 00:20, the same machine under load, per-variable dicts for values and
reduced costs, the native child mapping names with `Series.map` of a dict): 1000x1000 formalize
overhead 13.69 s vs linopy 8.27 s, peak 905 MB (1.27x native's 714 MB).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FRONT_ENDS = ("formalize", "highspy", "pyomo", "linopy")


# --- instance -----------------------------------------------------------------------------

def write_instance(n: int, folder: Path, seed: int = 7) -> Path:
    """Write costs.csv, supply.csv, demand.csv and model.json for an n x n instance."""
    import numpy as np

    rng = np.random.default_rng(seed + n)
    folder.mkdir(parents=True, exist_ok=True)
    plants = [f"p{i}" for i in range(n)]
    markets = [f"m{j}" for j in range(n)]
    demand = rng.integers(10, 100, size=n)
    supply = np.floor(demand.sum() * 1.1 / n * rng.uniform(0.8, 1.2, size=n)).astype(int)
    supply[-1] += max(0, int(demand.sum() * 1.1) - int(supply.sum()))  # supply >= demand
    cost = np.round(rng.uniform(1.0, 100.0, size=(n, n)), 2)
    with open(folder / "supply.csv", "w") as f:
        f.write("plant,supply\n")
        f.writelines(f"{p},{s}\n" for p, s in zip(plants, supply))
    with open(folder / "demand.csv", "w") as f:
        f.write("market,demand\n")
        f.writelines(f"{m},{d}\n" for m, d in zip(markets, demand))
    with open(folder / "costs.csv", "w") as f:
        f.write("plant,market,cost\n")
        for i, p in enumerate(plants):
            row = cost[i]
            f.writelines(f"{p},{markets[j]},{row[j]:.2f}\n" for j in range(n))
    model = {
        "name": "transport",
        "sense": "minimize",
        "sets": {
            "P": {"from": {"file": "supply.csv", "column": "plant"}},
            "M": {"from": {"file": "demand.csv", "column": "market"}},
        },
        "params": {
            "supply": {"index": ["P"], "from": {"file": "supply.csv", "column": "supply"}},
            "demand": {"index": ["M"], "from": {"file": "demand.csv", "column": "demand"}},
            "cost": {"index": ["P", "M"], "from": {"file": "costs.csv", "column": "cost"}},
        },
        "variables": {"ship": {"index": ["P", "M"], "domain": "real", "lb": 0}},
        "objective": "sum(cost[p, m] * ship[p, m] for p in P for m in M)",
        "constraints": [
            {"name": "supply_limit", "forall": "p in P",
             "expr": "sum(ship[p, m] for m in M) <= supply[p]"},
            {"name": "demand_met", "forall": "m in M",
             "expr": "sum(ship[p, m] for p in P) >= demand[m]"},
        ],
    }
    path = folder / "model.json"
    path.write_text(json.dumps(model, indent=1))
    return path


# --- children ---------------------------------------------------------------------------

def _vm_hwm_mb() -> float:
    """Peak resident set size of this process (VmHWM), MB."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


class _RunCpu:
    """CPU seconds of this process spent inside `highspy.Highs.run` (every front end calls it,
    in its own thread or not): patched on the class, so Pyomo's and linopy's instances count too.
    The CPU overhead of a front end is its process CPU time minus this: unlike wall time, it is
    not inflated by other jobs on a shared machine."""

    def __init__(self) -> None:
        import highspy

        self.seconds = 0.0
        original = highspy.Highs.run

        def run(h, *a, **k):
            t = time.process_time()
            try:
                return original(h, *a, **k)
            finally:
                self.seconds += time.process_time() - t

        highspy.Highs.run = run


def _cpu(res: dict, cpu0: float, runs: _RunCpu) -> dict:
    """Add the process CPU time since cpu0 and the part of it inside HiGHS's run."""
    res["cpu"] = time.process_time() - cpu0
    res["highs_cpu"] = runs.seconds
    return res


def _read_frames(folder: Path):
    import pandas as pd

    sup = pd.read_csv(folder / "supply.csv")
    dem = pd.read_csv(folder / "demand.csv")
    cost = pd.read_csv(folder / "costs.csv")
    return sup, dem, cost


def child_formalize(folder: Path) -> dict:
    from solvers.backends.highs import new_highs, solve_highs
    from solvers.lower import lower
    from solvers.model import load_model

    new_highs()  # the banner/first-instance cost is an import-time cost for every front end
    runs = _RunCpu()
    base = _vm_hwm_mb()
    cpu0, t0 = time.process_time(), time.perf_counter()
    model = load_model(folder / "model.json")
    inst_t = time.perf_counter()
    low = lower(model, target="highs")
    low_t = time.perf_counter()
    sol = solve_highs(low)
    x = sol.values.array("ship")  # the values in hand as an array; names are resolved on demand
    t1 = time.perf_counter()
    assert sol.status.value == "optimal", sol.message
    assert len(x) == low.n_cols
    return _cpu({"wall": t1 - t0, "highs": sol.solve_time, "objective": sol.objective,
                 "base_mb": base, "stages": {"load": inst_t - t0, "lower": low_t - inst_t,
                                             "solve+results": t1 - low_t}}, cpu0, runs)


def child_highspy(folder: Path) -> dict:
    import highspy
    import numpy as np
    import pandas as pd

    from solvers.backends.highs import new_highs

    h = new_highs()
    runs = _RunCpu()
    base = _vm_hwm_mb()
    cpu0, t0 = time.process_time(), time.perf_counter()
    sup, dem, cost = _read_frames(folder)
    n, m = len(sup), len(dem)
    # names to positions by pandas' hash index (Series.map of a dict is ~10x slower on 10^6 keys)
    ii = pd.Index(sup["plant"]).get_indexer(cost["plant"])
    jj = pd.Index(dem["market"]).get_indexer(cost["market"])
    c = np.zeros(n * m)
    c[ii * m + jj] = cost["cost"].to_numpy()
    # rows 0..n-1: supply (x[i, :]), rows n..n+m-1: demand (x[:, j]); CSR
    sup_idx = np.arange(n * m, dtype=np.int32)
    dem_idx = np.arange(n * m, dtype=np.int32).reshape(n, m).T.ravel()
    a_index = np.concatenate([sup_idx, dem_idx]).astype(np.int32)
    a_start = np.concatenate([np.arange(n + 1) * m, n * m + np.arange(1, m + 1) * n]).astype(
        np.int32)
    a_value = np.ones(2 * n * m)
    inf = highspy.kHighsInf
    row_lo = np.concatenate([np.full(n, -inf), dem["demand"].to_numpy(float)])
    row_hi = np.concatenate([sup["supply"].to_numpy(float), np.full(m, inf)])
    h.passModel(n * m, n + m, len(a_value), int(highspy.MatrixFormat.kRowwise),
                int(highspy.ObjSense.kMinimize), 0.0, c, np.zeros(n * m), np.full(n * m, inf),
                row_lo, row_hi, a_start, a_index, a_value, np.zeros(n * m, dtype=np.int32))
    h.run()
    x = np.asarray(h.getSolution().col_value)
    t1 = time.perf_counter()
    assert h.getModelStatus() == highspy.HighsModelStatus.kOptimal
    assert len(x) == n * m
    return _cpu({"wall": t1 - t0, "highs": h.getRunTime(), "base_mb": base,
                 "objective": h.getInfo().objective_function_value}, cpu0, runs)


def child_pyomo(folder: Path) -> dict:
    import pyomo.environ as pe

    from solvers.backends.highs import new_highs

    new_highs()
    runs = _RunCpu()
    base = _vm_hwm_mb()
    cpu0, t0 = time.process_time(), time.perf_counter()
    sup, dem, cost = _read_frames(folder)
    mdl = pe.ConcreteModel()
    mdl.P = pe.Set(initialize=list(sup["plant"]), ordered=True)
    mdl.M = pe.Set(initialize=list(dem["market"]), ordered=True)
    mdl.supply = pe.Param(mdl.P, initialize=dict(zip(sup["plant"], sup["supply"].astype(float))))
    mdl.demand = pe.Param(mdl.M, initialize=dict(zip(dem["market"], dem["demand"].astype(float))))
    mdl.cost = pe.Param(mdl.P, mdl.M, initialize=dict(
        zip(zip(cost["plant"], cost["market"]), cost["cost"].astype(float))))
    mdl.ship = pe.Var(mdl.P, mdl.M, within=pe.NonNegativeReals)
    mdl.obj = pe.Objective(expr=pe.quicksum(
        mdl.cost[p, q] * mdl.ship[p, q] for p in mdl.P for q in mdl.M), sense=pe.minimize)
    mdl.supply_limit = pe.Constraint(
        mdl.P, rule=lambda b, p: pe.quicksum(b.ship[p, q] for q in b.M) <= b.supply[p])
    mdl.demand_met = pe.Constraint(
        mdl.M, rule=lambda b, q: pe.quicksum(b.ship[p, q] for p in b.P) >= b.demand[q])
    opt = pe.SolverFactory("appsi_highs")
    res = opt.solve(mdl)
    vals = {k: v.value for k, v in mdl.ship.items()}
    t1 = time.perf_counter()
    assert str(res.solver.termination_condition) == "optimal"
    assert len(vals) == len(sup) * len(dem)
    return _cpu({"wall": t1 - t0, "highs": opt._solver_model.getRunTime(), "base_mb": base,
                 "objective": pe.value(mdl.obj)}, cpu0, runs)


def child_linopy(folder: Path) -> dict:
    import linopy
    import pandas as pd
    import xarray as xr

    from solvers.backends.highs import new_highs

    new_highs()
    runs = _RunCpu()
    base = _vm_hwm_mb()
    cpu0, t0 = time.process_time(), time.perf_counter()
    sup, dem, cost = _read_frames(folder)
    P = pd.Index(sup["plant"], name="P")
    M = pd.Index(dem["market"], name="M")
    c = xr.DataArray(cost.set_index(["plant", "market"])["cost"].unstack().reindex(
        index=P, columns=M).to_numpy(), coords=[P, M])
    s = xr.DataArray(sup["supply"].to_numpy(float), coords=[P])
    d = xr.DataArray(dem["demand"].to_numpy(float), coords=[M])
    m = linopy.Model()
    ship = m.add_variables(lower=0, coords=[P, M], name="ship")
    m.add_constraints(ship.sum("M") <= s, name="supply_limit")
    m.add_constraints(ship.sum("P") >= d, name="demand_met")
    m.add_objective((c * ship).sum())
    status, cond = m.solve("highs", io_api="direct", output_flag=False)
    vals = ship.solution.values
    t1 = time.perf_counter()
    assert status == "ok", (status, cond)
    assert vals.size == len(sup) * len(dem)
    return _cpu({"wall": t1 - t0, "highs": m.solver_model.getRunTime(), "base_mb": base,
                 "objective": float(m.objective.value)}, cpu0, runs)


CHILDREN = {"formalize": child_formalize, "highspy": child_highspy, "pyomo": child_pyomo,
            "linopy": child_linopy}


def run_child(front: str, folder: Path, timeout: float) -> dict:
    """Run one front end in a fresh interpreter; returns its measurements (or an error)."""
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    cmd = [sys.executable, str(Path(__file__).resolve()), "--child", front, "--dir", str(folder)]
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env)
    except subprocess.TimeoutExpired:
        return {"error": f"timed out after {timeout:.0f} s"}
    for line in reversed(out.stdout.splitlines()):
        if line.startswith("RESULT "):
            return json.loads(line[7:])
    err = (out.stderr.strip().splitlines() or ["no output"])[-1]
    return {"error": err}


# --- main -------------------------------------------------------------------------------

def _fmt(x: float | None, spec: str = ".2f") -> str:
    return "-" if x is None else format(x, spec)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[100, 300, 1000])
    ap.add_argument("--quick", action="store_true", help="100x100 only")
    ap.add_argument("--front-ends", nargs="+", default=list(FRONT_ENDS), choices=FRONT_ENDS)
    ap.add_argument("--skip-pyomo-above", type=int, default=None,
                    help="skip Pyomo for sizes above N (default: always run it)")
    ap.add_argument("--timeout", type=float, default=900.0, help="per front end and size, s")
    ap.add_argument("--json", type=Path, default=None, help="also write the results here")
    ap.add_argument("--child", choices=FRONT_ENDS, help=argparse.SUPPRESS)
    ap.add_argument("--dir", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)

    if args.child:
        import pandas  # noqa: F401 - imports are not part of the measured wall time

        res = CHILDREN[args.child](args.dir)
        res["peak_mb"] = _vm_hwm_mb()
        print("RESULT " + json.dumps(res), flush=True)
        return 0

    sizes = [100] if args.quick else args.sizes
    fronts = list(args.front_ends)
    if "linopy" in fronts:
        try:
            import linopy  # noqa: F401
        except ImportError:
            print("linopy not importable: skipped")
            fronts.remove("linopy")
    results: dict[int, dict[str, dict]] = {}
    with tempfile.TemporaryDirectory(prefix="transport_bench_") as tmp:
        for n in sizes:
            folder = write_instance(n, Path(tmp) / f"n{n}").parent
            results[n] = {}
            for front in fronts:
                if front == "pyomo" and args.skip_pyomo_above is not None and (
                        n > args.skip_pyomo_above):
                    results[n][front] = {"error": "skipped (--skip-pyomo-above)"}
                    continue
                print(f"  {n}x{n} {front} ...", flush=True, file=sys.stderr)
                results[n][front] = run_child(front, folder, args.timeout)
            _print_table(n, results[n])
    if args.json:
        args.json.write_text(json.dumps(results, indent=1))
    return 0


def _print_table(n: int, res: dict[str, dict]) -> None:
    ref = res.get("highspy", {})
    ref_over = ref["wall"] - ref["highs"] if "wall" in ref else None
    ref_cpu = ref["cpu"] - ref["highs_cpu"] if "cpu" in ref else None
    ref_mem = ref.get("peak_mb")
    ref_dmem = ref["peak_mb"] - ref["base_mb"] if "peak_mb" in ref else None
    print(f"\n{n}x{n}  ({n * n:,} variables, {2 * n * n:,} nonzeros)")
    head = (f"{'front end':<10} {'wall s':>7} {'HiGHS s':>7} {'overhead s':>10} {'x(b)':>6} "
            f"{'cpu over s':>10} {'x(b)':>6} {'peak MB':>7} {'x(b)':>5} {'+MB':>5} {'x(b)':>5} {'objective':>12}")
    print(head)
    print("-" * len(head))
    for front, r in res.items():
        if "error" in r:
            print(f"{front:<10} {r['error']}")
            continue
        over = r["wall"] - r["highs"]
        cpu_over = r["cpu"] - r["highs_cpu"]
        dmem = r["peak_mb"] - r["base_mb"]
        print(
            f"{front:<10} {r['wall']:7.2f} {r['highs']:7.2f} {over:10.2f} "
            f"{_fmt(over / ref_over if ref_over else None):>6} {cpu_over:10.2f} "
            f"{_fmt(cpu_over / ref_cpu if ref_cpu else None):>6} {r['peak_mb']:7.0f} "
            f"{_fmt(r['peak_mb'] / ref_mem if ref_mem else None):>5} {dmem:5.0f} "
            f"{_fmt(dmem / ref_dmem if ref_dmem else None):>5} {r['objective']:12.2f}"
        )
        if "stages" in r:
            st = ", ".join(f"{k} {v:.2f}s" for k, v in r["stages"].items())
            print(f"{'':<10} stages (wall): {st}")

if __name__ == "__main__":
    sys.exit(main())
