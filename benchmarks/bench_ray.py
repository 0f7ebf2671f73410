"""The benchmark runner on Ray against the local executor, side by side in one run.

1. The runner benchmark of benchmarks/bench_runner.py (200 problems, mode ir / strategy single,
   a local OpenAI-compatible server answering each request after 1 s with the problem's
   reference model, concurrency 32, litellm/openai door, cache off) through the local executor
   and through Ray (a local Ray on this machine, 2 workers of 1 CPU each), alternating, ``--rounds``
   times. Target: Ray's wall time to the last result <= 1.2x the local executor's. Ray's own start
   (``ray.init``, a standing cluster's cost) is reported apart; the workers' start is inside.
2. Throughput against the number of Ray workers (1, 2: this machine has 2 cores) on a larger run
   (``--throughput-problems``, default 5000) with a faster server (``--throughput-delay``) and
   more problems in flight, so that the runner's CPU work (verification, grounding, solves),
   not the server's latency, bounds it (``--throughput-local``: the local executor beside them).
3. Overheads for the paper estimate in docs/architecture.md: the driver's JSONL writer (records
   a second, each appended and fsynced) and the executors' cost per task (no-op tasks).
4. Ray client (``--address ray://``): the runner benchmark of part 1 through a cluster in a
   process of its own on this machine (tests/ray_cluster.py: a head with a client server, the
   CPUs of this machine), 2 workers, formalize shipped to them, against the local executor,
   alternating (``--skip-client`` to leave it out). The connection (one a run) and the workers'
   start are inside the figure and reported apart.

Run: ``python benchmarks/bench_ray.py [--rounds 2] [--throughput-problems 5000]``
(``--skip-throughput`` for part 1 and 3 only). Prints the machine's load before and after:
the machine is shared; compare the ratios, measured side by side, more than the seconds.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

import bench_runner  # noqa: E402  (the server and the clean references)


def _load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f} {five:.2f} {fifteen:.2f} on {os.cpu_count()} CPUs"


def _dataset(refs: list, n: int) -> Any:
    from formalize.evaluation.bench import Dataset, Problem

    problems = []
    for i in range(n):
        name, text, _, label, status = refs[i % len(refs)]
        problems.append(Problem(id=f"runner:{i}", text=text, answer=label, answer_status=status,
                                benchmark="runner", version=name.split("_")[0],
                                categories={"type": name}))
    return Dataset("runner", "runner", "bench", "benchmarks/bench_ray.py", problems)


def _run(ds: Any, client: Any, executor: Any, concurrency: int) -> dict:
    from formalize.evaluation.bench import run_bench

    with tempfile.TemporaryDirectory() as tmp:
        last = [0.0]
        started = time.perf_counter()
        report = run_bench(ds, model=client, mode="ir", strategy="single", concurrency=concurrency,
                           out=Path(tmp) / "results.jsonl", progress=False, plot=False,
                           executor=executor,
                           on_record=lambda rec: last.__setitem__(0, time.perf_counter()))
        wall = time.perf_counter() - started
    statuses: dict[str, int] = {}
    for r in report.records:
        statuses[r["status"]] = statuses.get(r["status"], 0) + 1
    stats = dict(getattr(executor, "stats", {}) or {})
    return {"to_last": last[0] - started, "wall": wall, "n": len(report.records),
            "statuses": statuses, "warm": stats.get("warm_s"), "stats": stats}


# ------------------------------------------------------------------------- no-op tasks, writer
@dataclass
class _NoopJob:
    """Items that do nothing: what the executor itself costs per task."""

    def key(self, item: Any) -> str:
        return str(item)

    def worker(self, spec: Any) -> Any:
        return _NoopWorker()

    def timed_out(self, item: Any, seconds: float) -> dict:
        return {"id": str(item), "status": "timeout"}

    def lost(self, item: Any, why: str) -> dict:
        return {"id": str(item), "status": "error"}


class _NoopWorker:
    async def start(self) -> None:
        return None

    async def run(self, item: Any) -> dict:
        return {"type": "problem", "id": str(item), "status": "optimal", "objective": 1.0}

    async def stop(self) -> None:
        return None


async def _drain(executor: Any, n: int, concurrency: int) -> float:
    started = time.perf_counter()
    k = 0
    async for _ in executor.map(_NoopJob(), list(range(n)), concurrency=concurrency):
        k += 1
    assert k == n
    return time.perf_counter() - started


def _writer_rate(n: int, record: dict) -> float:
    from formalize.evaluation.bench import ResultsFile

    with tempfile.TemporaryDirectory() as tmp:
        rf = ResultsFile(Path(tmp) / "w.jsonl").open()
        started = time.perf_counter()
        for i in range(n):
            rf.write({**record, "id": f"w:{i}"})
        secs = time.perf_counter() - started
        rf.close()
    return n / secs


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--problems", type=int, default=200)
    ap.add_argument("--concurrency", type=int, default=32)
    ap.add_argument("--delay", type=float, default=1.0)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--throughput-problems", type=int, default=5000)
    ap.add_argument("--throughput-delay", type=float, default=0.2)
    ap.add_argument("--throughput-concurrency", type=int, default=64)
    ap.add_argument("--skip-throughput", action="store_true")
    ap.add_argument("--skip-client", action="store_true", help="leave out part 4 (ray://)")
    ap.add_argument("--throughput-local", action="store_true",
                    help="also the local executor on the throughput run")
    a = ap.parse_args(argv)

    import ray

    from formalize.evaluation.executors import LocalExecutor, RayExecutor
    from formalize.llm.client import _litellm

    print(f"start: {_load()}")
    refs = bench_runner._clean_references()
    _litellm()
    t0 = time.perf_counter()
    ray.init(address="local", num_cpus=os.cpu_count(), include_dashboard=False, _node_ip_address="127.0.0.1",
             log_to_driver=False, configure_logging=False)
    ray_init = time.perf_counter() - t0
    results: dict[str, Any] = {"ray_init_s": ray_init}
    for delay, label in ((a.delay, "runner"), (a.throughput_delay, "throughput")):
        if label == "throughput" and a.skip_throughput:
            continue
        with bench_runner.served(delay, timeout=120.0) as (client, _stats):
            if label == "runner":
                ds = _dataset(refs, a.problems)
                rows = []
                for r in range(a.rounds):
                    loc = _run(ds, client, LocalExecutor(), a.concurrency)
                    ry = _run(ds, client, RayExecutor(workers=2), a.concurrency)
                    ry2 = _run(ds, client, RayExecutor(workers=1, cpus_per_worker=2), a.concurrency)
                    rows.append((loc, ry, ry2))
                    print(f"  round {r + 1}: local {loc['to_last']:.2f} s, ray 2x1 CPU "
                          f"{ry['to_last']:.2f} s (workers' start {ry['warm']:.2f} s) -> ratio "
                          f"{ry['to_last'] / loc['to_last']:.2f}x; ray 1x2 CPUs "
                          f"{ry2['to_last']:.2f} s (start {ry2['warm']:.2f} s) -> ratio "
                          f"{ry2['to_last'] / loc['to_last']:.2f}x; {_load()}")
                results["runner"] = rows
            else:
                ds = _dataset(refs, a.throughput_problems)
                tp = {}
                runs = [("ray, 1 worker", RayExecutor(workers=1)),
                        ("ray, 2 workers", RayExecutor(workers=2))]
                if a.throughput_local:
                    runs.append(("local", LocalExecutor()))
                for name, ex in runs:
                    res = _run(ds, client, ex, a.throughput_concurrency)
                    tp[name] = res
                    print(f"  {name}: {res['n']} problems in {res['to_last']:.1f} s = "
                          f"{res['n'] / res['to_last']:.1f} problems/s; {res['statuses']}; {_load()}")
                results["throughput"] = tp

    # overheads: no-op tasks through each executor, and the driver's writer
    n_noop = 2000
    local_noop = asyncio.run(_drain(LocalExecutor(), n_noop, 64))
    noop_ex = RayExecutor(workers=2)
    ray_noop = asyncio.run(_drain(noop_ex, n_noop, 64))
    ray_noop_start = noop_ex.stats.get("warm_s", 0.0)
    record = {"type": "problem", "dataset": "nl4opt-cpmpy", "benchmark": "nl4opt",
              "version": "cpmpy", "categories": {"difficulty": "easy"}, "mode": "ir",
              "model": "openai/gpt-4.1", "label": 1030.0, "label_status": "ok",
              "status": "optimal", "objective": 1030.0, "repair_rounds": 0, "llm_calls": 2,
              "cached_calls": 0, "prompt_tokens": 3500, "completion_tokens": 900,
              "tokens": 4400, "cost": 0.0142, "unpriced_calls": 0, "confidence": 1.0,
              "seconds": 3.2, "executed": True}
    rate = _writer_rate(3000, record)
    ray.shutdown()
    if not a.skip_client:
        results["client"] = _client_rounds(a, refs)

    print()
    print(f"Ray executor vs local executor, measured side by side ({_load()} at the end)")
    print(f"  ray.init (a local Ray on this machine, not in the figures below): {ray_init:.1f} s")
    if "runner" in results:
        rows = results["runner"]
        loc = statistics.median(r[0]["to_last"] for r in rows)
        ry = statistics.median(r[1]["to_last"] for r in rows)
        warm = statistics.median(r[1]["warm"] for r in rows)
        ry2 = statistics.median(r[2]["to_last"] for r in rows)
        warm2 = statistics.median(r[2]["warm"] for r in rows)
        st = rows[-1][1]["statuses"]
        print(f"  {a.problems} problems, delay {a.delay:g} s, concurrency {a.concurrency} "
              f"(medians of {a.rounds} round(s)): local {loc:.2f} s")
        for name, t, w in (("ray, 2 workers x 1 CPU", ry, warm), ("ray, 1 worker x 2 CPUs", ry2, warm2)):
            print(f"    {name}: {t:.2f} s, of which the workers' start {w:.2f} s -> ratio "
                  f"{t / loc:.2f}x (target <= 1.2x: {'met' if t <= 1.2 * loc else 'NOT met'}); "
                  f"after the start {(t - w) / loc:.2f}x")
        print(f"    statuses {st}")
    if "throughput" in results:
        tp = results["throughput"]
        base = None
        for name, res in tp.items():
            thr = res["n"] / res["to_last"]
            base = base or thr
            print(f"  {res['n']} problems, delay {a.throughput_delay:g} s, concurrency "
                  f"{a.throughput_concurrency}: {name}: {res['to_last']:.1f} s, {thr:.1f} problems/s "
                  f"({thr / base:.2f}x of 1 worker)")
    print(f"  per-task overhead ({n_noop} no-op tasks, 64 in flight): local "
          f"{1000 * local_noop / n_noop:.2f} ms, ray {1000 * (ray_noop - ray_noop_start) / n_noop:.2f} ms "
          f"(2 workers; their start, {ray_noop_start:.2f} s, apart)")
    print(f"  driver's JSONL writer: {rate:,.0f} records/s ({len(json.dumps(record))} bytes each, "
          "one os.write + fsync per record)")
    if "client" in results:
        rows = results["client"]
        loc = statistics.median(r[0]["to_last"] for r in rows)
        cl = statistics.median(r[1]["to_last"] for r in rows)
        conn = statistics.median(r[1]["stats"].get("ray_init_s", 0.0) for r in rows)
        warm = statistics.median(r[1]["warm"] for r in rows)
        print(f"  Ray client (ray://, a cluster in a process of its own, 2 workers, formalize "
              f"shipped), {a.problems} problems, delay {a.delay:g} s (medians of {a.rounds} "
              f"round(s)): local {loc:.2f} s, client {cl:.2f} s -> ratio {cl / loc:.2f}x; of "
              f"which connecting {conn:.2f} s and the workers' start {warm:.2f} s; after them "
              f"{(cl - conn - warm) / loc:.2f}x; statuses {rows[-1][1]['statuses']}")
        if "runner" in results:
            ry = statistics.median(r[1]["to_last"] for r in results["runner"])
            print(f"    against the in-process Ray of part 1 (2 workers, ray.init outside the "
                  f"figure): {cl:.2f} s vs {ry:.2f} s -> {cl / ry:.2f}x")
    return 0


def _client_rounds(a: argparse.Namespace, refs: list) -> list:
    """Part 4: the runner benchmark through ray:// against the local executor, alternating."""
    sys.path.insert(0, str(ROOT / "tests"))
    from ray_cluster import ClusterProcess

    from formalize.evaluation.executors import LocalExecutor, RayExecutor

    cluster = ClusterProcess(head_cpus=os.cpu_count() or 2, client=True)
    rows = []
    try:
        with bench_runner.served(a.delay, timeout=120.0) as (client, _stats):
            ds = _dataset(refs, a.problems)
            for r in range(a.rounds):
                loc = _run(ds, client, LocalExecutor(), a.concurrency)
                ex = RayExecutor(address=cluster.info["client"], workers=2)
                cl = _run(ds, client, ex, a.concurrency)
                assert ex.stats.get("code") == "shipped", ex.stats
                rows.append((loc, cl))
                print(f"  client round {r + 1}: local {loc['to_last']:.2f} s, ray:// "
                      f"{cl['to_last']:.2f} s (connect {ex.stats['ray_init_s']:.2f} s, workers' "
                      f"start {cl['warm']:.2f} s) -> ratio {cl['to_last'] / loc['to_last']:.2f}x;"
                      f" {_load()}")
    finally:
        cluster.close()
    return rows


if __name__ == "__main__":
    sys.exit(main())
