"""A private Ray cluster on loopback, in a process of its own, for the tests of the Ray executor
against a cluster (client mode, several nodes, a lost node) and benchmarks/bench_ray.py.

Run as ``python tests/ray_cluster.py '<json>'`` (``{"head_cpus": 2, "nodes": [1], "client": true}``):
it starts a head node (with a Ray client server when ``client``) and one node per entry of
``nodes`` (its CPUs), all on 127.0.0.1 under a temporary folder of its own, prints one JSON line
(``gcs``, ``client``, ``nodes``: each node's id, its raylet's pid and its session folder), then
reads commands from stdin, one a line, answering each with one JSON line:

- ``remove K``: kill node K (1-based among the added nodes; the head is 0) — all its processes,
  at once (a lost machine);
- ``add N``: add a node of N CPUs;
- ``quit`` (or end of input): shut the cluster down and exit.

:class:`ClusterProcess` drives it from a test; its ``close`` ends the whole process group, so
nothing of this cluster outlives the test (other Ray instances on the machine are not touched).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _node_info(node: Any) -> dict:
    raylet = node.all_processes.get("raylet", [])
    return {"id": node.node_id, "raylet_pid": raylet[0].process.pid if raylet else None,
            "session": node.get_session_dir_path()}


def _serve(cfg: dict) -> None:
    from ray.cluster_utils import Cluster

    head = {"num_cpus": cfg.get("head_cpus", 2), "node_ip_address": "127.0.0.1",
            "include_dashboard": False, "temp_dir": cfg["temp_dir"],
            "object_store_memory": 80 * 1024 * 1024}
    if cfg.get("client"):
        head["ray_client_server_port"] = cfg.get("client_port") or free_port()
    cluster = Cluster(initialize_head=True, head_node_args=head)
    added: list[Any] = []

    def add(cpus: int) -> dict:
        node = cluster.add_node(num_cpus=cpus, node_ip_address="127.0.0.1",
                                object_store_memory=80 * 1024 * 1024)
        added.append(node)
        return _node_info(node)

    nodes = [_node_info(cluster.head_node)] + [add(int(c)) for c in cfg.get("nodes", [])]
    cluster.wait_for_nodes()
    if cfg.get("client"):  # its server process listens a moment after the nodes are up
        deadline = time.monotonic() + 60
        while True:
            try:
                socket.create_connection(("127.0.0.1", head["ray_client_server_port"]), 1).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
    out = {"gcs": cluster.address, "nodes": nodes,
           "client": f"ray://127.0.0.1:{head['ray_client_server_port']}" if cfg.get("client")
           else None}
    print(json.dumps(out), flush=True)
    for line in sys.stdin:
        cmd, _, arg = line.strip().partition(" ")
        if cmd == "remove":
            node = added[int(arg) - 1]
            cluster.remove_node(node, allow_graceful=False)
            print(json.dumps({"removed": node.node_id}), flush=True)
        elif cmd == "add":
            print(json.dumps(add(int(arg))), flush=True)
        elif cmd == "quit":
            break
    cluster.shutdown()


class ClusterProcess:
    """A cluster started by this module in a child process (its own process group)."""

    def __init__(self, head_cpus: int = 2, nodes: tuple[int, ...] = (), client: bool = False,
                 environ: dict[str, str] | None = None, timeout: float = 90.0) -> None:
        self.tmp = tempfile.mkdtemp(prefix="frc")  # short: Ray's socket paths are bounded
        cfg = {"head_cpus": head_cpus, "nodes": list(nodes), "client": client,
               "temp_dir": self.tmp}
        # loopback only: Ray resolves 127.0.0.1 to the machine's address (and GCS would then
        # listen on every interface) unless it believes multi-host clusters unsupported here
        env = {**os.environ, "RAY_USAGE_STATS_ENABLED": "0",
               "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER": "0"}
        env.pop("RAY_ADDRESS", None)
        env.update(environ or {})
        with open(Path(self.tmp) / "cluster.log", "wb") as log:
            self.proc = subprocess.Popen([sys.executable, __file__, json.dumps(cfg)], env=env,
                                         stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                         stderr=log, text=True, start_new_session=True)
        try:
            self.info = self._answer(timeout)
        except BaseException:
            self.close()
            raise

    def _answer(self, timeout: float) -> dict:
        import selectors

        sel = selectors.DefaultSelector()
        sel.register(self.proc.stdout, selectors.EVENT_READ)
        if not sel.select(timeout):
            raise TimeoutError(f"the Ray cluster gave no answer in {timeout:g} s: "
                               f"{self.log()[-3000:]}")
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError(f"the Ray cluster process ended: {self.log()[-3000:]}")
        return json.loads(line)

    def log(self) -> str:
        p = Path(self.tmp) / "cluster.log"
        return p.read_text(errors="replace") if p.is_file() else ""

    def command(self, cmd: str, timeout: float = 60.0) -> dict:
        assert self.proc.stdin is not None
        self.proc.stdin.write(cmd + "\n")
        self.proc.stdin.flush()
        return self._answer(timeout)

    def close(self) -> None:
        """Shut the cluster down (at most ~20 s), then end its process group whatever is left."""
        if self.proc.poll() is None:
            try:
                self.proc.stdin.write("quit\n")
                self.proc.stdin.close()
                self.proc.wait(timeout=20)
            except (OSError, subprocess.TimeoutExpired, ValueError):
                pass
        for sig in (signal.SIGTERM, signal.SIGKILL):
            try:
                os.killpg(self.proc.pid, sig)
            except ProcessLookupError:
                break
            time.sleep(0.5)
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)
        shutil.rmtree(self.tmp, ignore_errors=True)


if __name__ == "__main__":
    _serve(json.loads(sys.argv[1]))
