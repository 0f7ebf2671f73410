"""The benchmark runner on Ray (formalize.evaluation.executors.RayExecutor) against the local
executor: the same results, a worker killed mid-run, a driver killed mid-run then resumed, the
time budget. One local Ray (2 CPUs, loopback, no dashboard) is started once for the module.

Ray's start-up is the bulk of this module's time (about 10 s on 2 shared cores)."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from formalize.cli.main import main
from formalize.evaluation.bench import load_dataset, read_results, run_bench
from formalize.evaluation.executors import TEST_KILL

ray = pytest.importorskip("ray", reason="Ray is not installed (pip install 'formalize[ray]'); "
                                        "the Ray executor tests need it")
from formalize.evaluation.executors import RayExecutor  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


@pytest.fixture(scope="module")
def ray_address() -> str:
    """A local Ray for the module; its GCS address (a subprocess driver joins it)."""
    if not ray.is_initialized():
        ray.init(address="local", num_cpus=2, include_dashboard=False, _node_ip_address="127.0.0.1",
                 log_to_driver=False, configure_logging=False)
    yield ray.get_runtime_context().gcs_address
    ray.shutdown()


def _problems(path: Path) -> list[dict]:
    out = []
    for line in path.read_text().splitlines():
        r = json.loads(line)
        if r.get("type") == "problem":
            out.append(r)
    return out


def _outcomes(path: Path) -> dict[str, tuple]:
    return {r["id"]: (r["status"], r["objective"], r["executed"]) for r in _problems(path)}


def test_ray_gives_the_local_executors_results(ray_address: str, tmp_path: Path,
                                               local_outcomes: dict) -> None:
    out = tmp_path / "ray.jsonl"
    ex = RayExecutor(workers=2)
    rep = run_bench("examples", model="reference", out=out, progress=False, plot=False,
                    executor=ex, concurrency=4)
    total = len(load_dataset("examples"))
    assert ex.stats["workers"] == 2 and len(set(ex.stats["pids"])) == 2
    assert os.getpid() not in ex.stats["pids"]  # the problems ran in Ray's worker processes
    ids = [r["id"] for r in _problems(out)]
    assert len(ids) == len(set(ids)) == total
    assert _outcomes(out) == local_outcomes
    assert rep.summary.overall.correct == total  # every reference model matches its label


def test_a_worker_killed_mid_task_costs_a_retry_not_a_result(
        ray_address: str, tmp_path: Path, local_outcomes: dict,
        monkeypatch: pytest.MonkeyPatch) -> None:
    victim = "examples:knapsack"
    marker = tmp_path / "killed.pid"
    monkeypatch.setenv(TEST_KILL, f"{victim}={marker}")  # forwarded to the workers
    out = tmp_path / "ray.jsonl"
    ex = RayExecutor(workers=2)
    run_bench("examples", model="reference", out=out, progress=False, plot=False, executor=ex,
              concurrency=4)
    assert marker.is_file(), "the chosen task should have killed its worker"
    dead = int(marker.read_text())
    assert dead in ex.stats["pids"]  # one of the run's two worker processes exited mid-task
    with pytest.raises(ProcessLookupError):
        os.kill(dead, 0)
    ids = [r["id"] for r in _problems(out)]
    assert len(ids) == len(set(ids)) == len(local_outcomes)  # none lost, none twice
    assert _outcomes(out) == local_outcomes  # the victim (and its neighbours) ran again
    assert ex.stats["lost"] == 0 and ex.stats["retried"] >= 1
    assert victim in {r["id"] for r in _problems(out) if r.get("retried")}


def test_resume_after_the_driver_is_killed(ray_address: str, tmp_path: Path,
                                           local_outcomes: dict) -> None:
    out = tmp_path / "r.jsonl"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    cmd = [sys.executable, "-m", "formalize.cli.main", "bench", "examples", "--model", "reference",
           "--executor", "ray", "--address", ray_address, "--workers", "2", "--concurrency", "2",
           "--out", str(out), "--no-progress", "--no-plot"]
    proc = subprocess.Popen(cmd, env=env, cwd=tmp_path, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and proc.poll() is None:
        if out.is_file() and out.read_text().count('"type": "problem"') >= 3:
            break
        time.sleep(0.01)
    proc.send_signal(signal.SIGKILL)
    _, err = proc.communicate(timeout=10)
    before = [r["id"] for r in _problems_tolerant(out)]
    assert 3 <= len(before) < len(local_outcomes), f"the kill should land mid-run: {err[-2000:]!r}"
    rc = main(["bench", "examples", "--model", "reference", "--executor", "ray", "--workers", "2",
               "--out", str(out), "--resume", "--no-progress", "--no-plot"])
    assert rc == 0
    ids = [r["id"] for r in _problems(out)]
    assert len(ids) == len(set(ids)) == len(local_outcomes)  # each key exactly once
    assert set(before) <= set(ids)
    assert _outcomes(out) == local_outcomes  # the same results as a clean run
    header, _ = read_results(out)
    assert header is not None and header["mode"] == "reference"


def _problems_tolerant(path: Path) -> list[dict]:
    out = []
    for line in path.read_text().splitlines():
        try:
            r = json.loads(line)
        except json.JSONDecodeError:
            continue
        if r.get("type") == "problem":
            out.append(r)
    return out


def test_a_problem_over_its_budget_is_recorded_as_timed_out(ray_address: str,
                                                            tmp_path: Path) -> None:
    ids = ["examples:job_shop", "examples:diet"]
    out = tmp_path / "t.jsonl"
    ex = RayExecutor(workers=1)
    run_bench("examples", model="reference", ids=ids, out=out, progress=False, plot=False,
              executor=ex, task_timeout=1e-3)
    recs = {r["id"]: r for r in _problems(out)}
    assert set(recs) == set(ids)
    for r in recs.values():
        assert (r["status"], r["error_kind"], r["executed"], r["retry"]) == \
            ("timeout", "task-timeout", False, False)
    rep = run_bench("examples", model="reference", ids=ids, out=out, resume=True, progress=False,
                    plot=False, executor=ex, task_timeout=1e-3)
    assert (rep.ran, rep.resumed) == (0, 2)  # recorded as such, not run again


def test_a_family_sweep_on_ray_gives_the_local_sweeps_verdicts(ray_address: str, tmp_path: Path,
                                                               openai_server, capsys) -> None:
    """compare --family: each instance a Ray task (ground truth and its answers on a worker),
    the verdicts, optima and answers' markers those of the local sweep."""
    from openai_server import reply
    from test_compare_sweep import knapsack_plan

    responder = knapsack_plan([3, 4], [0, 1], wrong={(4, 1, "values"), (3, 0, "objective")})
    openai_server.default = lambda body: reply(str(responder(body["messages"])), delay=0.02)
    docs = {}
    for kind in ("local", "ray"):
        out = tmp_path / kind
        rc = main(["compare", "--family", "knapsack", "--sizes", "3,4", "--seeds", "2",
                   "--model", "openai/stand-in", "--api-base", openai_server.base_url,
                   "--no-cache", "--concurrency", "2", "--executor", kind, "--json",
                   "--out", str(out)])
        assert rc == 0, capsys.readouterr().err
        capsys.readouterr()
        docs[kind] = json.loads((out / "sweep.json").read_text())

    def verdicts(doc: dict) -> list:
        return [(p["size"], p["seed"], p["ground_truth"]["objective"],
                 [(a["variant"], a["verdict"], a["response"][:40]) for a in p["answers"]])
                for p in doc["points"]]

    assert verdicts(docs["ray"]) == verdicts(docs["local"])
    assert len(openai_server.requests) == 2 * 8  # 4 instances x 2 variants, per executor
    wrong = {(p["size"], p["seed"], a["variant"]) for p in docs["ray"]["points"]
             for a in p["answers"] if a["verdict"] != "correct"}
    assert wrong == {(4, 1, "values"), (3, 0, "objective")}
    assert docs["ray"]["usage"]["calls"] == 8
    orders = sorted(a["order"] for p in docs["ray"]["points"] for a in p["answers"])
    assert orders == list(range(1, 9))


class _BlockingJob:
    """Items that block their worker's event loop (a solver holding the interpreter): the
    worker cannot give them up at the budget, so the driver restarts it."""

    def key(self, item: int) -> str:
        return str(item)

    def worker(self, spec):
        return _BlockingWorker()

    def timed_out(self, item: int, seconds: float) -> dict:
        return {"id": str(item), "status": "timeout"}

    def lost(self, item: int, why: str) -> dict:
        return {"id": str(item), "status": "lost"}


class _BlockingWorker:
    async def start(self) -> None:
        return None

    async def run(self, item: int) -> dict:
        if item == 0:
            time.sleep(30)  # blocks the loop: asyncio.wait_for cannot fire
        return {"id": str(item), "status": "optimal"}

    async def stop(self) -> None:
        return None


def test_a_worker_that_cannot_let_go_is_restarted_and_the_item_timed_out(ray_address: str) -> None:
    import asyncio

    ray.cloudpickle.register_pickle_by_value(sys.modules[__name__])  # workers lack tests/
    ex = RayExecutor(workers=1, hard_grace=1.0)

    async def drain() -> dict:
        return {item: rec async for item, rec in ex.map(_BlockingJob(), [0, 1, 2], concurrency=3,
                                                         timeout=0.5)}

    started = time.monotonic()
    got = asyncio.run(drain())
    assert got[0]["status"] == "timeout" and ex.stats["hard_timeouts"] == 1
    assert got[1]["status"] == got[2]["status"] == "optimal"  # re-run on the restarted worker
    assert time.monotonic() - started < 25  # not the 30 s the item would have held it


# ---------------------------------------------------------------- a family sweep's records on Ray


def _sweep_lines(path: Path) -> list[dict]:
    return [json.loads(x) for x in path.read_text().splitlines() if x.strip()]


def _stand_in(openai_server, wrong=()):
    from openai_server import reply
    from test_compare_sweep import knapsack_plan

    responder = knapsack_plan([3, 4], [0, 1], wrong=set(wrong))
    openai_server.default = lambda body: reply(str(responder(body["messages"])), delay=0.01)
    from formalize.llm.client import make_client

    return make_client("openai/stand-in", api_base=openai_server.base_url, no_cache=True)


def test_a_local_sweeps_records_resume_on_ray_asking_only_what_is_missing(
        ray_address: str, tmp_path: Path, openai_server) -> None:
    from formalize.evaluation.sweep import RECORDS, sweep

    client = _stand_in(openai_server, wrong={(4, 1, "values"), (3, 0, "objective")})
    out = tmp_path / RECORDS
    full = sweep("knapsack", [3, 4], 2, client, results=out)
    lines = out.read_text().splitlines(keepends=True)
    assert [json.loads(x)["type"] for x in lines[:5]] == ["run"] + ["instance"] * 4
    out.write_text("".join(lines[:8]))  # the run as a kill after 3 answers leaves it
    asked = len(openai_server.requests)
    rep = sweep("knapsack", [3, 4], 2, client, results=out, resume=True,
                executor=RayExecutor(workers=2), concurrency=2)
    assert len(openai_server.requests) - asked == 5  # the 5 answers not recorded, no more

    def verdicts(r) -> list:
        return [(p.size, p.seed, p.truth.objective, sorted((a.variant, a.verdict, a.response)
                                                           for a in p.answers)) for p in r.points]

    assert verdicts(rep) == verdicts(full)
    ids = [r["id"] for r in _sweep_lines(out)[1:]]
    assert len(ids) == len(set(ids)) == 12
    orders = sorted(a.order for p in rep.points for a in p.answers)
    assert len(set(orders)) == 8  # recorded positions kept, new ones after them
    # the 3 recorded answers counted once (an instance half answered counted them twice)
    assert "3 answer(s) of the earlier run reused" in rep.notes[0], rep.notes
    assert rep.usage.calls == 8 and rep.usage_resumed.calls == 3


def test_a_sweep_instance_whose_worker_is_lost_is_noted_and_run_by_resume(
        ray_address: str, tmp_path: Path, openai_server, monkeypatch: pytest.MonkeyPatch) -> None:
    from formalize.evaluation.sweep import RECORDS, sweep

    client = _stand_in(openai_server)
    marker = tmp_path / "killed.pid"
    monkeypatch.setenv(TEST_KILL, f"knapsack:3:1={marker}")
    out = tmp_path / RECORDS
    rep = sweep("knapsack", [3, 4], 2, client, results=out,
                executor=RayExecutor(workers=1, max_retries=0))
    assert marker.is_file()
    assert [(p.size, p.seed) for p in rep.points] == [(3, 0), (4, 0), (4, 1)]
    assert any("size 3 seed 1 not in the tables: not run" in n and "resume runs it" in n
               for n in rep.notes), rep.notes
    assert not any(r.get("size") == 3 and r.get("seed") == 1 for r in _sweep_lines(out))
    asked = len(openai_server.requests)
    rep = sweep("knapsack", [3, 4], 2, client, results=out, resume=True,
                executor=RayExecutor(workers=1, max_retries=0))
    assert len(openai_server.requests) - asked == 2  # the lost instance's two answers only
    assert [(p.size, p.seed) for p in rep.points] == [(s, e) for s in (3, 4) for e in (0, 1)]
    assert all(a.correct for p in rep.points for a in p.answers)
    ids = [r["id"] for r in _sweep_lines(out)[1:]]
    assert len(ids) == len(set(ids)) == 12


def test_a_sweep_instance_over_its_budget_is_recorded_as_timed_out(
        ray_address: str, tmp_path: Path, openai_server) -> None:
    from formalize.evaluation.sweep import RECORDS, sweep

    client = _stand_in(openai_server)
    out = tmp_path / RECORDS
    rep = sweep("knapsack", [3], 2, client, results=out, task_timeout=1e-3,
                executor=RayExecutor(workers=1))
    assert rep.points == []
    recs = [r for r in _sweep_lines(out) if r["type"] == "instance"]
    assert sorted((r["seed"], r["status"]) for r in recs) == [(0, "timeout"), (1, "timeout")]
    assert all("--task-timeout" in r["error"] for r in recs)
    assert sum("recorded as timed out" in n for n in rep.notes) == 2
    asked = len(openai_server.requests)
    rep = sweep("knapsack", [3], 2, client, results=out, resume=True, task_timeout=1e-3,
                executor=RayExecutor(workers=1))
    assert len(openai_server.requests) == asked and rep.points == []  # not run again


def test_a_sweep_resumed_local_then_ray_then_local_asks_each_request_once(
        ray_address: str, tmp_path: Path, openai_server) -> None:
    from openai_server import reply
    from test_compare_sweep import knapsack_plan

    from formalize.evaluation.sweep import RECORDS, sweep
    from formalize.llm.client import make_client

    responder = knapsack_plan([3], [0, 1, 2])
    openai_server.default = lambda body: reply(str(responder(body["messages"])))
    client = make_client("openai/stand-in", api_base=openai_server.base_url, no_cache=True)
    out = tmp_path / RECORDS
    sweep("knapsack", [3], [0, 1], client, results=out)
    lines = out.read_text().splitlines(keepends=True)
    out.write_text("".join(lines[:4]))  # header, 2 instances, 1 answer
    kept = json.loads(lines[3])
    kept = (f"{kept['size']}/{kept['seed']}", kept["variant"])
    sweep("knapsack", [3], [0, 1], client, results=out, resume=True,
          executor=RayExecutor(workers=1))
    rep = sweep("knapsack", [3], [0, 1, 2], client, results=out, resume=True)
    asked = [tuple(k) for k in responder.asked[4:]]  # after the first run: 3 on Ray, 2 here
    assert len(asked) == len(set(asked)) == 5 and kept not in asked
    assert [(p.seed, len(p.answers)) for p in rep.points] == [(0, 2), (1, 2), (2, 2)]
    assert all(a.correct for p in rep.points for a in p.answers)
    assert sorted(a.order for p in rep.points for a in p.answers) == list(range(1, 7))
    ids = [r["id"] for r in _sweep_lines(out)[1:]]
    assert len(ids) == len(set(ids)) == 9


def test_a_provider_failure_in_a_sweep_task_keeps_the_answers_it_got(
        ray_address: str, tmp_path: Path, openai_server) -> None:
    # the task's first answer is in, its second call fails for good: the sweep stops with the
    # provider's error (not a pickling error) and the first answer is recorded, not lost
    from openai_server import error, reply
    from test_compare_sweep import knapsack_plan

    from formalize.evaluation.sweep import RECORDS, sweep
    from formalize.llm.client import LLMError, make_client

    responder = knapsack_plan([3], [0])
    calls = []

    def serve(body):
        calls.append(1)
        if len(calls) == 2:
            return error(401, "key revoked (scripted)")
        return reply(str(responder(body["messages"])))

    openai_server.default = serve
    client = make_client("openai/stand-in", api_base=openai_server.base_url, no_cache=True)
    out = tmp_path / RECORDS
    with pytest.raises(LLMError, match="key revoked"):
        sweep("knapsack", [3], [0], client, results=out, executor=RayExecutor(workers=1))
    recs = _sweep_lines(out)
    assert [r["type"] for r in recs] == ["run", "instance", "answer"]
    rep = sweep("knapsack", [3], [0], client, results=out, resume=True,
                executor=RayExecutor(workers=1))
    assert len(calls) == 3 and len(responder.asked) == 2  # only the failed request again
    assert [a.correct for a in rep.points[0].answers] == [True, True]


def test_a_resumed_instance_over_its_budget_keeps_its_recorded_answers(
        ray_address: str, tmp_path: Path, openai_server) -> None:
    # an instance recorded with its ground truth and one answer, resumed on Ray where its task
    # runs past --task-timeout: its record and answer stay in the tables (a timeout record used
    # to replace them, so the earlier run's answer was gone from every later report)
    from formalize.evaluation.sweep import RECORDS, sweep

    client = _stand_in(openai_server)
    out = tmp_path / RECORDS
    sweep("knapsack", [3], [0], client, results=out)
    lines = out.read_text().splitlines(keepends=True)
    out.write_text("".join(lines[:3]))  # header, the instance, its first answer
    kept = json.loads(lines[2])["variant"]
    for _ in range(2):  # the run that times out, then a resume of it
        rep = sweep("knapsack", [3], [0], client, results=out, resume=True, task_timeout=1e-3,
                    executor=RayExecutor(workers=1))
        assert [(p.size, p.seed, [a.variant for a in p.answers]) for p in rep.points] == [
            (3, 0, [kept])]
        assert rep.points[0].answers[0].correct
        assert any("not asked" in n and "--task-timeout" in n for n in rep.notes), rep.notes
    inst = [r for r in _sweep_lines(out) if r["type"] == "instance"]
    assert inst[-1]["status"] == "ok" and "--task-timeout" in inst[-1]["timed_out"]


def _group(pgid: int) -> list[str]:
    """The processes of one process group (a driver started in a session of its own, and the
    Ray it started: Ray's processes stay in their starter's group)."""
    out = subprocess.run(["ps", "-eo", "pid=,pgid=,comm="], capture_output=True, text=True,
                         check=True).stdout.splitlines()
    return [line.strip() for line in out if line.split()[1] == str(pgid)]


def _listening(pids: list[int]) -> set[str]:
    """The local addresses these processes listen on (TCP, from /proc/net)."""
    inodes = set()
    for pid in pids:
        for fd in Path(f"/proc/{pid}/fd").glob("*"):
            with contextlib.suppress(OSError):
                link = os.readlink(fd)
                if link.startswith("socket:["):
                    inodes.add(link[8:-1])
    out = set()
    for table in ("tcp", "tcp6"):
        for line in Path(f"/proc/net/{table}").read_text().splitlines()[1:]:
            f = line.split()
            if f[3] == "0A" and f[9] in inodes:  # LISTEN
                host = f[1].split(":")[0]
                out.add("127.0.0.1" if host.endswith("0100007F") else host)
    return out


def test_a_killed_driver_takes_its_private_ray_along(tmp_path: Path) -> None:
    """A driver that started a Ray of its own (no --address) is SIGKILLed mid-run: every process
    of that Ray ends too, within seconds (the GCS and the raylet by Ray's own fate sharing, the
    raylet's agents by the executor's reaper: they lingered a minute or more). Other Ray
    instances (this module's) are not touched: only the driver's process group is looked at."""
    out = tmp_path / "p.jsonl"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    env.pop("RAY_ADDRESS", None)
    cmd = [sys.executable, "-m", "formalize.cli.main", "bench", "examples", "--model", "reference",
           "--executor", "ray", "--workers", "2", "--concurrency", "2", "--out", str(out),
           "--no-progress", "--no-plot"]
    proc = subprocess.Popen(cmd, env=env, cwd=tmp_path, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, start_new_session=True)
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and proc.poll() is None:
            if out.is_file() and out.read_text().count('"type": "problem"') >= 2:
                break
            time.sleep(0.02)
        ray_procs = [p for p in _group(proc.pid) if not p.startswith(f"{proc.pid} ")]
        assert proc.poll() is None and len(ray_procs) >= 3, \
            f"the kill should land mid-run, with the Ray started: {ray_procs}"
        assert any(p.endswith("gcs_server") for p in ray_procs), ray_procs
        assert any(p.endswith("raylet") for p in ray_procs), ray_procs
        # a private Ray: its GCS and raylet listen on loopback only (Ray would listen on every
        # interface at the machine's address)
        assert _listening([int(p.split()[0]) for p in ray_procs]) == {"127.0.0.1"}
        proc.send_signal(signal.SIGKILL)
        proc.communicate(timeout=10)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and _group(proc.pid):
            time.sleep(0.2)
        assert _group(proc.pid) == []
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
