"""Benchmark of the benchmark runner itself (formalize.evaluation.bench), against a local slow LLM.

A local OpenAI-compatible server (tests/openai_server.py) answers every chat request after
1 s with the hand-written reference model (problems/datasets/**/model.json) of the problem whose
text is in the request. 200 problems run in mode ``ir`` with strategy ``single`` (one LLM call per
problem when the model verifies and solves at once) at concurrency 32, through the real litellm
path (``openai/<name>`` + api_base + a dummy key, response cache disabled). Ideal wall time:
ceil(200 / 32) = 7 rounds of 1 s; target ≤ 10 s.

Only references that pass every check at the first attempt and are feasible are served (a
reference that the grounding check flags would be sent back for repair, costing more calls).

Run: ``python benchmarks/bench_runner.py [--problems 200] [--concurrency 32] [--delay 1.0]``
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import json
import multiprocessing
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _load_server_module():
    spec = importlib.util.spec_from_file_location("openai_server", ROOT / "tests" / "openai_server.py")
    mod = importlib.util.module_from_spec(spec)
    assert spec.loader is not None
    sys.modules["openai_server"] = mod
    spec.loader.exec_module(mod)
    return mod


def _clean_references() -> list[tuple[str, str, dict, float | None, str]]:
    """(folder, text, model document, label, label status) of references that verify at once."""
    import solvers
    from formalize.program.verifier import verify_document

    out = []
    for mp in sorted((ROOT / "problems" / "datasets").glob("*/*/model.json")):
        folder = mp.parent
        text = (folder / "problem.txt").read_text(encoding="utf-8").strip()
        doc = json.loads(mp.read_text(encoding="utf-8"))
        verdict = verify_document(doc, text)
        if verdict.model is None or verdict.must_repair(first=True) or not solvers.solve(verdict.model).ok:
            continue
        meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
        out.append((folder.name, text, doc, meta.get("answer"), meta.get("answer_status", "ok")))
    return out


def _serve(conn: Any, delay: float) -> None:
    """The LLM stand-in (child process): answers each request with the problem's reference."""
    srv_mod = _load_server_module()
    by_text = {text: json.dumps(doc) for _, text, doc, _, _ in _clean_references()}
    lock = threading.Lock()
    inflight = [0, 0]  # now, max

    def answer(body: dict) -> object:
        prompt = "\n".join(str(m.get("content", "")) for m in body.get("messages", []))
        doc = next((d for t, d in by_text.items() if t in prompt), None)
        if doc is None:
            return srv_mod.error(400, "bench_runner: no reference for this prompt")
        with lock:
            inflight[0] += 1
            inflight[1] = max(inflight)
        time.sleep(delay)
        with lock:
            inflight[0] -= 1
        return srv_mod.reply(doc)

    with srv_mod.OpenAIServer() as srv:
        srv.default = answer
        conn.send(srv.base_url)
        conn.recv()  # "stop"
        conn.send((len(srv.chat_requests), inflight[1]))



@contextlib.contextmanager
def served(delay: float, timeout: float):
    """The local OpenAI-compatible server (`_serve`) in its own process, like a remote LLM (its
    CPU is not the runner's), and an uncached client for it; yields (client, stats), where stats
    is filled with (requests, most in flight) when the block ends."""
    from formalize.llm.client import LLMClient
    from formalize.llm.config import LLMSettings

    ctx = multiprocessing.get_context("spawn")
    parent, child = ctx.Pipe()
    server = ctx.Process(target=_serve, args=(child, delay), daemon=True)
    server.start()
    stats: list = []
    try:
        client = LLMClient(LLMSettings(model="openai/runner-bench", api_base=parent.recv(),
                                       api_key="dummy-key", timeout=timeout, max_retries=0),
                           no_cache=True)
        yield client, stats
        parent.send("stop")
        stats.extend(parent.recv())
    finally:
        server.join(timeout=10)
        if server.is_alive():
            server.terminate()

def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--problems", type=int, default=200)
    ap.add_argument("--concurrency", type=int, default=32)
    ap.add_argument("--delay", type=float, default=1.0, help="server answer delay, seconds")
    a = ap.parse_args(argv)

    from formalize.evaluation.bench import Dataset, Problem, run_bench
    from formalize.llm.client import _litellm

    refs = _clean_references()
    problems = []
    for i in range(a.problems):
        name, text, _, label, status = refs[i % len(refs)]
        problems.append(Problem(id=f"runner:{i}", text=text, answer=label, answer_status=status,
                                benchmark="runner", version=name.split("_")[0],
                                categories={"type": name}))
    ds = Dataset("runner", "runner", "bench", "benchmarks/bench_runner.py", problems)

    t0 = time.perf_counter()
    _litellm()  # the one-off import (seconds) is not part of the runner's figure
    import_s = time.perf_counter() - t0
    with served(a.delay, timeout=60.0) as (client, server_stats), tempfile.TemporaryDirectory() as tmp:
        last = [0.0]
        started = time.perf_counter()
        report = run_bench(ds, model=client, mode="ir", strategy="single",
                           concurrency=a.concurrency, out=Path(tmp) / "results.jsonl",
                           progress=False,
                           on_record=lambda rec: last.__setitem__(0, time.perf_counter()))
        wall = time.perf_counter() - started
        run_wall = last[0] - started  # until the last problem's result is on disk
    n_requests, max_inflight = server_stats

    recs = report.records
    secs = sorted(r["seconds"] for r in recs)
    calls = [r.get("llm_calls", 0) for r in recs]
    statuses: dict[str, int] = {}
    for r in recs:
        statuses[r["status"]] = statuses.get(r["status"], 0) + 1
    ideal = -(-a.problems // a.concurrency) * a.delay
    print(f"runner benchmark: {a.problems} problems, concurrency {a.concurrency}, server delay "
          f"{a.delay:g} s, mode ir / strategy single, litellm openai/ + api_base, cache off")
    print(f"  references served: {len(refs)} distinct problems (cycled)")
    print(f"  litellm import (excluded): {import_s:.1f} s")
    print(f"  WALL TIME to the last result: {run_wall:.2f} s  (ideal {ideal:.0f} s = ceil(n/c) x delay; "
          f"target <= 10 s: {'met' if run_wall <= 10 else 'NOT met'})")
    print(f"  with the summary reports (Markdown, CSV, PNG plot): {wall:.2f} s")
    print(f"  server requests: {n_requests} (at most {max_inflight} in flight); LLM calls per problem: mean "
          f"{statistics.mean(calls):.2f}, max {max(calls)}")
    print(f"  per-problem wall: mean {statistics.mean(secs):.2f} s, median "
          f"{statistics.median(secs):.2f} s, p95 {secs[int(0.95 * (len(secs) - 1))]:.2f} s, "
          f"max {secs[-1]:.2f} s")
    print(f"  statuses: {statuses}; executed {report.summary.overall.execution_rate:.1%}, "
          f"accuracy vs labels {report.summary.overall.accuracy:.1%} (references vs labels; "
          "not an LLM figure)")
    for r in recs:
        if r["status"] != "optimal":
            print(f"  {r['id']}: {r['status']}: {r.get('error')}")
    print(f"  tokens (server's estimate): {report.summary.overall.tokens:,}")
    return 0 if run_wall <= 10 else 1


if __name__ == "__main__":
    sys.exit(main())
