"""Transportation LP through four front ends: formalize, native highspy, Pyomo, linopy.

    python benchmarks/build_transport.py                # 100x100, 300x300, 1000x1000
    python benchmarks/build_transport.py --quick        # 100x100 only
    python benchmarks/build_transport.py --sizes 200 500 --skip-pyomo-above 300

One deterministic instance per size (seeded costs; total supply = 1.1 x total demand) is written
as CSV files to a temp dir. Every front end reads those files itself and runs in its own
subprocess, so that its peak memory (VmHWM of the child) is its own. Measured per front end:
wall time from reading the data to having the solution values in hand (imports excluded),
HiGHS's own run time (`Highs.getRunTime()` of the instance that solved), the overhead
(wall - HiGHS), peak resident memory, and the peak above the post-import baseline. Ratios are
to (b), native highspy fed numpy CSR arrays. The formalize child ends with the values as an
array (`sol.values.array("ship")`), as native highspy does: names are resolved on demand.

Measured 2026-12-02 (issue 9 item 4), one run each, all front ends side by side, on the shared
2-core machine under a load average of about 9.5 (other jobs running: absolute times are
inflated several-fold and noisy; compare within a size). Peak MB is the child's VmHWM.

    size        front end  wall s  HiGHS s  overhead s  x(b)   peak MB  x(b)
    100x100     formalize    0.36     0.10        0.26  3.73       103  1.09
                highspy      0.17     0.10        0.07  1.00        95  1.00
                pyomo        1.54     0.07        1.47 21.17       128  1.36
                linopy       2.26     0.13        2.14 30.84       170  1.80
    300x300     formalize    1.91     1.53        0.38  0.70       165  1.11
                highspy      1.94     1.39        0.55  1.00       149  1.00
                pyomo       16.64     1.37       15.27 27.71       314  2.11
                linopy       3.54     1.30        2.24  4.07       235  1.58
    1000x1000   formalize   27.65    24.07        3.58  0.63       819  1.15
                highspy     32.85    27.18        5.66  1.00       714  1.00
                linopy      33.82    28.40        5.42  0.96       872  1.22
                (pyomo skipped above 300x300)

A second run minutes later (same load): 1000x1000 overhead formalize 4.95 s, highspy 9.63 s,
linopy 7.14 s; peak 818 / 714 / 872 MB (1.15x, 1.00x, 1.22x).

Before (same machine and load, earlier that day; per-variable dicts for values and reduced
costs): 1000x1000 formalize overhead 13.69 s vs highspy 8.60 s and linopy 8.27 s, peak 905 MB
(1.27x highspy's 714 MB). Native highspy's overhead here is mostly its own pandas `Series.map`
of 10^6 string keys; formalize maps them by hashing (pandas.factorize).
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
    base = _vm_hwm_mb()
    t0 = time.perf_counter()
    model = load_model(folder / "model.json")
    inst_t = time.perf_counter()
    low = lower(model, target="highs")
    low_t = time.perf_counter()
    sol = solve_highs(low)
    x = sol.values.array("ship")  # the values in hand as an array; names are resolved on demand
    t1 = time.perf_counter()
    assert sol.status.value == "optimal", sol.message
    assert len(x) == low.n_cols
    return {"wall": t1 - t0, "highs": sol.solve_time, "objective": sol.objective,
            "base_mb": base, "stages": {"load": inst_t - t0, "lower": low_t - inst_t,
                                        "solve+results": t1 - low_t}}


def child_highspy(folder: Path) -> dict:
    import highspy
    import numpy as np
    import pandas as pd

    from solvers.backends.highs import new_highs

    h = new_highs()
    base = _vm_hwm_mb()
    t0 = time.perf_counter()
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
    return {"wall": t1 - t0, "highs": h.getRunTime(), "base_mb": base,
            "objective": h.getInfo().objective_function_value}


def child_pyomo(folder: Path) -> dict:
    import pyomo.environ as pe

    from solvers.backends.highs import new_highs

    new_highs()
    base = _vm_hwm_mb()
    t0 = time.perf_counter()
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
    return {"wall": t1 - t0, "highs": opt._solver_model.getRunTime(), "base_mb": base,
            "objective": pe.value(mdl.obj)}


def child_linopy(folder: Path) -> dict:
    import linopy
    import pandas as pd
    import xarray as xr

    from solvers.backends.highs import new_highs

    new_highs()
    base = _vm_hwm_mb()
    t0 = time.perf_counter()
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
    return {"wall": t1 - t0, "highs": m.solver_model.getRunTime(), "base_mb": base,
            "objective": float(m.objective.value)}


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
    ref_mem = ref.get("peak_mb")
    ref_dmem = ref["peak_mb"] - ref["base_mb"] if "peak_mb" in ref else None
    print(f"\n{n}x{n}  ({n * n:,} variables, {2 * n * n:,} nonzeros)")
    head = (f"{'front end':<10} {'wall s':>8} {'HiGHS s':>8} {'overhead s':>10} {'x(b)':>6} "
            f"{'peak MB':>8} {'x(b)':>6} {'+MB':>8} {'x(b)':>6} {'objective':>16}")
    print(head)
    print("-" * len(head))
    for front, r in res.items():
        if "error" in r:
            print(f"{front:<10} {r['error']}")
            continue
        over = r["wall"] - r["highs"]
        dmem = r["peak_mb"] - r["base_mb"]
        print(
            f"{front:<10} {r['wall']:8.2f} {r['highs']:8.2f} {over:10.2f} "
            f"{_fmt(over / ref_over if ref_over else None):>6} {r['peak_mb']:8.0f} "
            f"{_fmt(r['peak_mb'] / ref_mem if ref_mem else None):>6} {dmem:8.0f} "
            f"{_fmt(dmem / ref_dmem if ref_dmem else None):>6} {r['objective']:16.4f}"
        )
        if "stages" in r:
            st = ", ".join(f"{k} {v:.2f}s" for k, v in r["stages"].items())
            print(f"{'':<10} stages: {st}")


if __name__ == "__main__":
    sys.exit(main())
