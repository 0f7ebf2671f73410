"""The benchmark runner on a Ray cluster apart from the driver: Ray client (``--address
ray://…``) with formalize shipped to a cluster that has none of its own, workers spread over two
nodes, a node lost mid-run. One cluster (a head of 2 CPUs with a client server, one more node of
1 CPU, loopback only) runs in a process of its own for the module (tests/ray_cluster.py); its
Python path holds stand-in ``formalize`` and ``solvers`` packages that refuse to import, so only
a shipped copy can run there.

The cluster's start (~10 s on 2 shared cores) and each client connection (a few s) are the bulk
of this module's time."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from formalize.cli.main import main
from formalize.evaluation.bench import load_dataset, run_bench
from formalize.evaluation.executors import TEST_HOLD, TEST_KILL

ray = pytest.importorskip("ray", reason="Ray is not installed (pip install 'formalize[ray]'); "
                                        "the Ray cluster tests need it")
pytest.importorskip("grpc", reason="Ray client (ray://) needs grpcio, which is not installed: "
                                   "pip install 'formalize[ray]' (ray[client]); CI installs it")
from ray_cluster import ClusterProcess  # noqa: E402
from test_ray_executor import _outcomes, _problems  # noqa: E402

from formalize.evaluation.executors import RayExecutor  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")
REFUSE = "raise ImportError('this cluster has no formalize of its own (test stand-in)')\n"


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory):
    """A head (2 CPUs, client server) and a node (1 CPU) on loopback, without formalize."""
    if ray.is_initialized():  # another module's Ray in this process: not this cluster's driver
        ray.shutdown()
    stub = tmp_path_factory.mktemp("stub")
    for pkg in ("formalize", "solvers"):
        (stub / pkg).mkdir()
        (stub / pkg / "__init__.py").write_text(REFUSE)
    c = ClusterProcess(head_cpus=2, nodes=(1,), client=True, environ={"PYTHONPATH": str(stub)})
    yield c
    c.close()


def test_ray_client_runs_shipped_code_on_a_cluster_without_it(
        cluster: ClusterProcess, tmp_path: Path, local_outcomes: dict,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """ray://: the same records as locally, from workers in the cluster's processes importing a
    shipped formalize, on both nodes; the driver's environment reaches them (the kill hook),
    the killed worker's items run again and say so; the client is disconnected after."""
    victim = "examples:knapsack"
    marker = tmp_path / "killed.pid"
    monkeypatch.setenv(TEST_KILL, f"{victim}={marker}")  # forwarded to the workers
    out = tmp_path / "client.jsonl"
    ex = RayExecutor(address=cluster.info["client"], workers=2)
    run_bench("examples", model="reference", out=out, progress=False, plot=False, executor=ex,
              concurrency=4)
    assert not ray.is_initialized()  # disconnected; the cluster stays
    assert cluster.proc.poll() is None
    recs = _problems(out)
    ids = [r["id"] for r in recs]
    assert len(ids) == len(set(ids)) == len(load_dataset("examples")) == len(local_outcomes)
    assert _outcomes(out) == local_outcomes
    assert ex.stats["code"] == "shipped"
    for root in ex.stats["roots"]:  # not the driver's checkout: Ray's unpacked copy
        assert not root.startswith(str(ROOT)) and "runtime_resources" in root, root
    assert os.getpid() not in ex.stats["pids"]
    node_ids = {n["id"] for n in cluster.info["nodes"]}
    assert set(ex.stats["nodes"]) == node_ids  # spread: one worker on each node
    assert marker.is_file(), "the kill hook (forwarded environment) did not reach the workers"
    assert int(marker.read_text()) in ex.stats["pids"]
    again = {r["id"] for r in recs if r.get("retried")}
    assert victim in again and ex.stats["retried"] >= 1 and ex.stats["lost"] == 0


def test_a_driver_joining_the_cluster_ships_its_formalize_when_the_cluster_lacks_it(
        cluster: ClusterProcess, tmp_path: Path, local_outcomes: dict) -> None:
    """--address HOST:PORT (a driver on a cluster node): the workers Ray starts cannot import
    formalize, so the executor joins again with it shipped; the same records as locally."""
    out = tmp_path / "joined.jsonl"
    code = ("import json, sys; from formalize.evaluation.bench import run_bench; "
            "from formalize.evaluation.executors import RayExecutor; "
            "ex = RayExecutor(address=sys.argv[1], workers=2); "
            "run_bench('examples', model='reference', out=sys.argv[2], progress=False, "
            "plot=False, executor=ex, concurrency=4); "
            "print(json.dumps({k: ex.stats[k] for k in ('code', 'roots', 'nodes')}))")
    # a driver on this machine reaches the loopback-only cluster as its nodes do; run from
    # elsewhere than the checkout (Ray puts the driver's folder on the path of workers on its
    # machine)
    env = {**os.environ, "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER": "0",
           "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    r = subprocess.run([sys.executable, "-c", code, cluster.info["gcs"], str(out)], env=env,
                       capture_output=True, text=True, timeout=180, cwd=tmp_path)
    assert r.returncode == 0, r.stderr[-3000:]
    stats = json.loads(r.stdout.strip().splitlines()[-1])
    assert stats["code"] == "shipped", stats
    assert all("runtime_resources" in root for root in stats["roots"]), stats
    assert set(stats["nodes"]) == {n["id"] for n in cluster.info["nodes"]}
    assert _outcomes(out) == local_outcomes


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_an_unreachable_address_is_a_usage_error_at_once(tmp_path: Path, capsys) -> None:
    port = _free_port()  # nothing listens there
    started = time.monotonic()
    rc = main(["bench", "examples", "--model", "reference", "--executor", "ray", "--address",
               f"ray://127.0.0.1:{port}", "--no-progress", "--no-plot", "--out",
               str(tmp_path / "a.jsonl")])
    err = capsys.readouterr().err
    assert rc == 2, err
    assert time.monotonic() - started < 10  # not Ray's 30 s of retries
    assert f"no Ray client server answers at ray://127.0.0.1:{port}" in err
    assert f"ray start --head --ray-client-server-port {port}" in err
    assert not ray.is_initialized()
    rc = main(["bench", "examples", "--model", "reference", "--executor", "ray", "--address",
               "ray://head-without-port", "--no-progress", "--no-plot", "--out",
               str(tmp_path / "b.jsonl")])
    assert rc == 2 and "is not an address: expected ray://HOST:PORT" in capsys.readouterr().err
    rc = main(["bench", "examples", "--model", "reference", "--executor", "ray", "--address",
               f"127.0.0.1:{port}", "--no-progress", "--no-plot", "--out",
               str(tmp_path / "c.jsonl")])
    err = capsys.readouterr().err
    assert rc == 2 and f"no Ray cluster (GCS) answers at 127.0.0.1:{port}" in err, err
    assert f"ray start --head --port {port}" in err


def test_a_lost_node_costs_retries_of_its_items_not_results(
        cluster: ClusterProcess, tmp_path: Path, local_outcomes: dict,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The worker on the second node holds the items it gets; the node is then removed (all its
    processes killed at once): those items run again on the head, each recorded once. Last in
    the module: the cluster is left with its head only."""
    doomed = cluster.info["nodes"][1]["id"]
    marker = tmp_path / "held.txt"
    monkeypatch.setenv(TEST_HOLD, f"{doomed}={marker}")
    out = tmp_path / "lost.jsonl"
    ex = RayExecutor(address=cluster.info["client"], workers=2)
    failed: list[BaseException] = []

    def run() -> None:
        try:
            run_bench("examples", model="reference", out=out, progress=False, plot=False,
                      executor=ex, concurrency=4)
        except BaseException as exc:  # handed to the test's thread
            failed.append(exc)

    t = threading.Thread(target=run)
    t.start()
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline and t.is_alive():
        if marker.is_file() and len(marker.read_text().splitlines()) >= 2:
            break
        time.sleep(0.05)
    assert marker.is_file(), f"no item reached the second node: {failed}"
    time.sleep(0.2)  # let the node's worker take up what it was handed
    cluster.command("remove 1")
    t.join(120)
    assert not t.is_alive() and not failed, failed
    held = {line.split()[0] for line in marker.read_text().splitlines()}
    recs = _problems(out)
    ids = [r["id"] for r in recs]
    assert len(ids) == len(set(ids)) == len(local_outcomes)  # none lost, none twice
    assert _outcomes(out) == local_outcomes, [(r["id"], r.get("error")) for r in recs
                                              if r["status"] == "error"]
    again = {r["id"] for r in recs if r.get("retried")}
    assert held <= again  # each held item ran again elsewhere, and its record says so
    assert ex.stats["retried"] >= len(held) and ex.stats["lost"] == 0
    assert doomed in ex.stats["nodes"]


def test_a_ladder_sweep_through_ray_client_connects_once(cluster: ClusterProcess, tmp_path: Path,
                                                          openai_server) -> None:
    """A size ladder runs one executor map per size; through ray:// the executor keeps its one
    connection (formalize shipped once) across the sizes and lets it go at the end."""
    from openai_server import reply
    from test_compare_sweep import knapsack_plan

    from formalize.evaluation.sweep import RECORDS, sweep
    from formalize.llm.client import make_client

    responder = knapsack_plan([3, 4, 5], [0])
    openai_server.default = lambda body: reply(str(responder(body["messages"])))
    client = make_client("openai/stand-in", api_base=openai_server.base_url, no_cache=True)
    ex = RayExecutor(address=cluster.info["client"], workers=1)
    rep = sweep("knapsack", [3, 4, 5], [0], client, executor=ex, stop_after_failures=1,
                results=tmp_path / RECORDS)
    assert [p.size for p in rep.points] == [3, 4, 5] and not rep.stopped
    assert all(a.correct for p in rep.points for a in p.answers)
    assert ex.stats["connections"] == 1  # not one per size
    assert not ray.is_initialized()  # released after the sweep
    assert len(openai_server.requests) == 6
