"""Where a run's items (benchmark problems, sweep instances) are worked on: in this process
(:class:`LocalExecutor`) or on a Ray cluster (:class:`RayExecutor`), behind one interface.

A run hands an executor a :class:`Job` (picklable: what every item shares, and how to make a
worker) and its items; :meth:`Executor.map` yields ``(item, record)`` as items finish, in
completion order. The driver (the caller) alone writes the results file, so exactly-once and
``--resume`` hold the same way for both executors.

- ``LocalExecutor``: one worker in this process (its event loop, thread and process pools);
  ``concurrency`` items in flight.
- ``RayExecutor``: ``workers`` Ray actors (default: the cluster's CPUs / ``cpus_per_worker``),
  spread over the cluster's nodes, each a worker process with its own event loop, LLM connection
  pool, pools for verification and solves sized to its CPUs and solver threads set to them
  (``FORMALIZE_SOLVER_THREADS``); ``concurrency`` items in flight in all, split evenly, handed
  out by the driver as workers finish (the slow worker gets less). An item is an actor task: a
  worker that dies mid-task (killed process, lost node) is restarted and its tasks run again
  (``max_retries`` times, Ray's ``max_task_retries``; a task Ray gives up — its worker cannot be
  reached, a lost node — is handed out again by the driver to a live worker, as many times); a
  record of an item so run again has ``retried: true``; past that the item is recorded as
  ``worker-lost`` (retried by ``--resume``). The workers run the driver's code: the cluster's own
  formalize when it is the same (by a fingerprint of the files), else this one shipped to them
  (Ray's ``py_modules``); through Ray client (``ray://``) it is always shipped, and a benchmark's
  reference models travel with their problems (``Job.portable``).

Time budget (``timeout``, both executors): an item still running after it is recorded with status
``timeout`` (error kind ``task-timeout``) and never retried by the executor; on Ray, a worker
whose loop does not give the item up within ``HARD_GRACE`` seconds more is restarted (its oldest
late item is recorded as timed out, its other items run again on the restarted worker).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import hashlib
import math
import os
import socket
import time
from collections.abc import AsyncIterator, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlsplit

from formalize.llm.config import ConfigError

EXECUTORS = ("local", "ray")
INSTALL_RAY = 'pip install "formalize[ray]"'
HARD_GRACE = 30.0  # s past an item's budget before the driver restarts a worker that hangs
RETRIES = 3  # re-runs of an item whose worker died (Ray's max_task_retries)
REVIVE_S = 120.0  # s the driver waits for a worker whose actor does not answer to come back
CONNECT_TIMEOUT = 5.0  # s to reach a given cluster address before saying it does not answer
PACKAGES = ("formalize", "solvers")  # the code a worker needs: shipped where the cluster lacks it
# the driver's environment that workers get too: configuration, and the test hook below
FORWARD_ENV = ("FORMALIZE_", "LITELLM_", "OPENAI_", "ANTHROPIC_", "GEMINI_", "AZURE_")
TEST_KILL = "FORMALIZE_TEST_KILL_WORKER"
"""Test hook: ``<item key>=<marker file>`` makes the worker that first starts that item exit
at once (``os._exit``) while no marker file exists (it creates it first): the next attempt runs
normally. Used by the tests of worker loss; nothing else sets it."""
TEST_HOLD = "FORMALIZE_TEST_HOLD_NODE"
"""Test hook: ``<Ray node id>=<marker file>`` makes a worker on that node hold every item it
starts (an endless asynchronous sleep), appending ``<item key> <pid>`` to the marker first: the
items wait there until the node is lost. Used by the test of a lost node; nothing else sets it."""


@dataclass(frozen=True)
class WorkerSpec:
    """What a worker may use: its CPUs (None: this machine's), items in flight, and how many
    items it may see (pools are sized to it)."""

    cpus: int | None
    concurrency: int
    n_items: int


class Worker(Protocol):
    """Works on items of one job inside one process."""

    async def start(self) -> None: ...

    async def run(self, item: Any) -> dict: ...

    async def stop(self) -> None: ...


class Job(Protocol):
    """What every item of a run shares (picklable for Ray), and the records made without a
    worker. A job may also have ``portable(item) -> item``: the item carrying the driver's files
    it needs, asked by an executor whose workers do not see them (Ray client)."""

    def key(self, item: Any) -> str: ...

    def worker(self, spec: WorkerSpec) -> Worker: ...

    def timed_out(self, item: Any, seconds: float) -> dict: ...

    def lost(self, item: Any, why: str) -> dict: ...


async def run_item(worker: Worker, job: Job, item: Any, timeout: float | None) -> dict:
    """One item on a started worker, within its time budget (the one place both executors
    apply it)."""
    if timeout is None or not math.isfinite(timeout):
        return await worker.run(item)
    try:
        return await asyncio.wait_for(worker.run(item), timeout)
    except asyncio.TimeoutError:
        return job.timed_out(item, timeout)


class Executor(Protocol):
    name: str

    def map(self, job: Job, items: Sequence[Any], *, concurrency: int,
            timeout: float | None = None) -> AsyncIterator[tuple[Any, dict]]: ...


def portable_client(client: Any) -> Any:
    """An LLM client as what rebuilds it in another process (its settings, cache directory):
    for a job's ``__getstate__``. None and test doubles (which must pickle themselves) pass."""
    from formalize.llm.client import LLMClient

    if client is None or type(client) is not LLMClient:
        return client
    cache = None if client.no_cache or client._cache is None else str(client._cache.directory)
    return ("llm-client", client.settings, cache, client.no_cache)


def rebuilt_client(spec: Any) -> Any:
    """The client :func:`portable_client` describes (for a job's ``__setstate__``)."""
    if isinstance(spec, tuple) and spec and spec[0] == "llm-client":
        from formalize.llm.client import LLMClient

        _, settings, cache, no_cache = spec
        return LLMClient(settings, cache=cache, no_cache=no_cache)
    return spec


# =============================================================================== local
class LocalExecutor:
    """All items in this process: one worker, ``concurrency`` items in flight."""

    name = "local"

    def __init__(self, cpus: int | None = None) -> None:
        self.cpus = cpus

    @contextlib.contextmanager
    def held(self) -> Iterator[LocalExecutor]:
        """As :meth:`RayExecutor.held` (nothing to keep here)."""
        yield self

    async def map(self, job: Job, items: Sequence[Any], *, concurrency: int,
                  timeout: float | None = None) -> AsyncIterator[tuple[Any, dict]]:
        worker = job.worker(WorkerSpec(self.cpus, concurrency, len(items)))
        await worker.start()
        sem = asyncio.Semaphore(concurrency)
        queue: asyncio.Queue[tuple[Any, Any, BaseException | None]] = asyncio.Queue()

        async def one(item: Any) -> None:
            async with sem:
                try:
                    rec = await run_item(worker, job, item, timeout)
                except BaseException as exc:  # a bug: handed to the driver, which re-raises it
                    await queue.put((item, None, exc))
                    return
            await queue.put((item, rec, None))

        tasks = [asyncio.ensure_future(one(it)) for it in items]
        try:
            for _ in range(len(items)):
                item, rec, exc = await queue.get()
                if exc is not None:
                    raise exc
                yield item, rec
        finally:
            for t in tasks:
                t.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            await worker.stop()


# =============================================================================== Ray
def ray_module() -> Any:
    """The ``ray`` package, or a usage error saying how to install it."""
    try:
        import ray
    except ImportError:
        raise ConfigError(f"--executor ray needs Ray, which is not installed: {INSTALL_RAY} "
                          "(or pip install 'ray>=2.40'); or run with --executor local") from None
    return ray


ROOT = str(Path(__file__).resolve().parents[2])  # where this formalize is imported from


def _forwarded_env() -> dict[str, str]:
    """The driver's configuration, set in each worker's environment when it starts."""
    return {k: v for k, v in os.environ.items() if k.startswith(FORWARD_ENV)}


def _package_dirs() -> list[Path]:
    import importlib

    return [Path(importlib.import_module(p).__file__).parent for p in PACKAGES]


@functools.lru_cache(maxsize=1)
def code_fingerprint() -> str:
    """A hash of this formalize's and solvers' files (names and bytes, not where they are): the
    driver and its workers run the same code when theirs are equal."""
    h = hashlib.sha256()
    for base in _package_dirs():
        for f in sorted(base.rglob("*")):
            if f.is_file() and "__pycache__" not in f.parts and f.suffix != ".pyc":
                h.update(f"{base.name}/{f.relative_to(base).as_posix()}\0".encode())
                h.update(f.read_bytes())
    return h.hexdigest()[:16]


def _shipped_code() -> dict[str, Any]:
    """A runtime env that ships this formalize and solvers to the workers (Ray's ``py_modules``:
    zipped once, uploaded to the cluster, unpacked on each node): the nodes need only the
    dependencies."""
    return {"py_modules": [str(d) for d in _package_dirs()], "excludes": ["__pycache__", "*.pyc"]}


_REAPER = r"""
import os, signal, sys, time
def start(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[19]
    except (OSError, IndexError):
        return None
pids = {}
for line in sys.stdin:  # "pid start-time" lines until the driver's end closes the pipe
    pid, st = line.split()
    pids[int(pid)] = st
time.sleep(1.0)
for sig in (signal.SIGTERM, signal.SIGKILL):
    alive = [p for p, st in pids.items() if start(p) == st]  # the same processes, not reused ids
    for p in alive:
        try:
            os.kill(p, sig)
        except OSError:
            pass
    if not alive:
        break
    time.sleep(2.0)
"""
_reapers: list[Any] = []


def _start_time(pid: int) -> str | None:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[19]
    except (OSError, IndexError):
        return None


def _descendants(roots: list[int]) -> list[int]:
    out, todo = [], list(roots)
    while todo:
        pid = todo.pop()
        out.append(pid)
        for task in Path(f"/proc/{pid}/task").glob("*/children"):
            with contextlib.suppress(OSError, ValueError):
                todo.extend(int(c) for c in task.read_text().split())
    return out


class _Reaper:
    """Ends a private Ray's processes with the driver, however the driver ends (SIGKILL too).

    Ray shares the fate of the GCS and the raylet with the driver that started them
    (PR_SET_PDEATHSIG), but not of the raylet's agents (dashboard agent, runtime env agent):
    after a SIGKILLed driver they linger for a minute or more, trying to tell the dead GCS. A
    small process of its own session reads the instance's process ids (with their start times)
    on a pipe from the driver; when the pipe closes (the driver is gone, or the run ended) it
    ends those still running. Linux only (``/proc``); elsewhere nothing."""

    def __init__(self) -> None:
        import subprocess
        import sys

        self.sent: set[int] = set()
        self.proc = None
        for old in list(_reapers):  # collect finished ones (no zombies over many runs)
            if old.poll() is not None:
                _reapers.remove(old)
        if not Path("/proc/self/stat").exists():
            return
        self.proc = subprocess.Popen([sys.executable, "-c", _REAPER], stdin=subprocess.PIPE,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                     start_new_session=True, text=True)
        _reapers.append(self.proc)

    def watch(self, ray: Any) -> None:
        """Send the private Ray's processes (and their descendants) started so far."""
        if self.proc is None or self.proc.stdin is None:
            return
        node = getattr(ray._private.worker, "_global_node", None)
        roots = [info.process.pid for infos in getattr(node, "all_processes", {}).values()
                 for info in infos if getattr(info, "process", None) is not None]
        lines = []
        for pid in _descendants(roots):
            st = _start_time(pid)
            if pid not in self.sent and st is not None:
                self.sent.add(pid)
                lines.append(f"{pid} {st}\n")
        with contextlib.suppress(OSError):
            self.proc.stdin.write("".join(lines))
            self.proc.stdin.flush()

    def close(self) -> None:
        if self.proc is not None and self.proc.stdin is not None:
            with contextlib.suppress(OSError):
                self.proc.stdin.close()


_SINGLE_HOST = "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER"


@contextlib.contextmanager
def _loopback_only(ray: Any) -> Any:
    """While a private Ray starts: Ray resolves 127.0.0.1 to this machine's network address (and
    its GCS then listens on every interface) unless it takes clusters of several hosts as
    unsupported, as on macOS; so it does here, in this process and (by the environment they
    inherit) in the Ray processes started now, which then listen on loopback only."""
    constants = ray._private.ray_constants
    env, flag = os.environ.get(_SINGLE_HOST), constants.ENABLE_RAY_CLUSTER
    os.environ[_SINGLE_HOST], constants.ENABLE_RAY_CLUSTER = "0", False
    try:
        yield
    finally:
        constants.ENABLE_RAY_CLUSTER = flag
        if env is None:
            os.environ.pop(_SINGLE_HOST, None)
        else:
            os.environ[_SINGLE_HOST] = env


def _python_path() -> dict[str, Any]:
    """A runtime env whose PYTHONPATH finds this formalize first (a source checkout not
    installed), for a Ray on this machine only: the path is this machine's."""
    parts = [ROOT] + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep)
                      if p and p != ROOT]
    return {"env_vars": {"PYTHONPATH": os.pathsep.join(parts)}}


def _is_client(address: str | None) -> bool:
    return bool(address) and address.startswith("ray://")


def _check_reachable(address: str, timeout: float = CONNECT_TIMEOUT) -> None:
    """A usage error unless something accepts a TCP connection at ``address``'s host and port
    (``ray://host:port`` or a GCS ``host:port``) within ``timeout`` s: Ray's own wait is long
    (30 s for ray://, a minute or more for a GCS address) and ends in a bare ConnectionError."""
    if address in ("auto", "local"):
        return
    client = _is_client(address)
    try:
        parts = urlsplit(address if "://" in address else f"//{address}")
        host, port = parts.hostname, parts.port
    except ValueError:
        host = port = None
    if not host or port is None:
        form = "ray://HOST:PORT" if client else "auto, HOST:PORT or ray://HOST:PORT"
        raise ConfigError(f"--address {address!r} is not an address: expected {form}")
    what = "Ray client server" if client else "Ray cluster (GCS)"
    fix = (f"start the head with `ray start --head --ray-client-server-port {port}`, or fix "
           "--address (or RAY_ADDRESS)" if client else
           f"start the head with `ray start --head --port {port}`, or fix --address (or "
           "RAY_ADDRESS)")
    try:
        socket.create_connection((host, port), timeout=timeout).close()
    except TimeoutError:
        raise ConfigError(f"--executor ray: no {what} answers at {address}: no answer in "
                          f"{timeout:g} s (a firewall, or the host is down): {fix}") from None
    except OSError as exc:
        raise ConfigError(f"--executor ray: no {what} answers at {address}: "
                          f"{exc.strerror or exc}: {fix}") from None


class _RayWorker:
    """A Ray actor holding one worker (started on first use, again after a restart)."""

    def __init__(self, job: Job, spec: WorkerSpec, env: dict[str, str]) -> None:
        os.environ.update(env)
        if spec.cpus:
            os.environ["FORMALIZE_SOLVER_THREADS"] = str(spec.cpus)
        self.job, self.spec = job, spec
        self.worker: Worker | None = None
        self._lock: asyncio.Lock | None = None

    def where(self) -> dict[str, Any]:
        """This worker's process, node, the folder its formalize comes from, and its code's
        fingerprint."""
        import ray

        return {"pid": os.getpid(), "root": ROOT, "code": code_fingerprint(),
                "node": ray.get_runtime_context().get_node_id()}

    async def start(self) -> int:
        if self._lock is None:
            self._lock = asyncio.Lock()
        async with self._lock:
            if self.worker is None:
                w = self.job.worker(self.spec)
                await w.start()
                self.worker = w
        return os.getpid()

    async def run(self, item: Any, timeout: float | None) -> tuple[int, dict]:
        """The item's record, with this process's id (the driver tells a re-run by it)."""
        await self.start()
        hook = os.environ.get(TEST_KILL, "")
        if hook:
            key, _, marker = hook.partition("=")
            if key == self.job.key(item) and marker and not os.path.exists(marker):
                Path(marker).write_text(str(os.getpid()))
                os._exit(17)
        hold = os.environ.get(TEST_HOLD, "")
        if hold:
            import ray

            node, _, marker = hold.partition("=")
            if node == ray.get_runtime_context().get_node_id():
                with open(marker, "a") as f:
                    f.write(f"{self.job.key(item)} {os.getpid()}\n")
                await asyncio.sleep(3600)
        assert self.worker is not None
        return os.getpid(), await run_item(self.worker, self.job, item, timeout)

    async def stop(self) -> None:
        if self.worker is not None:
            await self.worker.stop()
            self.worker = None


@dataclass
class _Flight:
    item: Any
    worker: int
    ref: Any
    started: float
    pid: int  # the worker's process when the item was handed out


class RayExecutor:
    """Items as tasks of ``workers`` Ray actors; see the module docstring.

    ``address``: None (``RAY_ADDRESS`` if set, else a Ray started for this run and stopped after
    it), ``"auto"`` (the cluster this machine belongs to), ``"HOST:PORT"`` (a cluster's GCS, the
    driver on one of its nodes) or ``"ray://HOST:PORT"`` (Ray client: the driver anywhere; this
    formalize and solvers are shipped to the cluster, whose nodes need only the dependencies, and
    a benchmark's reference models travel with their problems). A Ray already initialized in this
    process is used as it is; one this executor connected is disconnected after the run (a
    cluster is never stopped, a Ray it started is, and ends with the driver even when that is
    killed: :class:`_Reaper`)."""

    name = "ray"

    def __init__(self, address: str | None = None, workers: int | None = None,
                 cpus_per_worker: int = 1, max_retries: int = RETRIES,
                 hard_grace: float = HARD_GRACE) -> None:
        ray_module()
        if workers is not None and workers < 1:
            raise ConfigError(f"--workers must be >= 1 with --executor ray, got {workers}")
        if cpus_per_worker < 1:
            raise ConfigError(f"cpus per worker must be >= 1, got {cpus_per_worker}")
        self.address, self.workers = address, workers
        self.cpus_per_worker, self.max_retries = cpus_per_worker, max_retries
        self.hard_grace = hard_grace
        self.started_ray = False  # this executor started a private Ray (stopped after a run)
        self.connected = False  # this executor called ray.init (ray.shutdown after a run)
        self.client = False  # connected through Ray client (ray://)
        self.shipped = False  # this formalize went with the connection (py_modules)
        self.reaper: _Reaper | None = None  # a private Ray's processes end with this driver
        self._held = 0  # inside held(): the connection outlives each map
        self.stats: dict[str, Any] = {"connections": 0}

    @property
    def ships_files(self) -> bool:
        """Whether items must carry the driver's files (the cluster does not see them)."""
        return self.client

    def _init(self, ship: bool = False) -> Any:
        """Ray, connected: as it is when already initialized in this process, else to
        ``address`` (or RAY_ADDRESS), else a private Ray started here. ``ship``: this formalize
        goes with the connection (job-wide ``py_modules``; always through Ray client)."""
        ray = ray_module()
        if ray.is_initialized():
            self.client = bool(ray.util.client.ray.is_connected())
            return ray
        address = self.address or os.environ.get("RAY_ADDRESS") or None
        kw: dict[str, Any] = {"log_to_driver": False}
        if _is_client(address):
            try:
                import grpc  # noqa: F401  (Ray client's transport)
            except ImportError:
                raise ConfigError(f"--address {address}: Ray client needs grpcio, which is not "
                                  f"installed: {INSTALL_RAY} (or pip install 'ray[client]')"
                                  ) from None
            self.client = ship = True  # the cluster's processes (its driver too) import it
        else:
            kw.update(include_dashboard=False, configure_logging=False)
        if ship:
            kw["runtime_env"] = _shipped_code()
        if address is None:
            # a private Ray, loopback only: "local" starts one even where `ray start` left a
            # cluster on this machine (ray.init() alone would join that one)
            kw["_node_ip_address"] = "127.0.0.1"
            self.started_ray = True
        else:
            _check_reachable(address)
        started = time.perf_counter()
        for attempt in range(3):
            try:
                with _loopback_only(ray) if self.started_ray else contextlib.nullcontext():
                    ray.init(address=address or "local", **kw)
                break
            except (ConnectionError, ValueError, RuntimeError, ray.exceptions.RayError) as exc:
                # the client server's process for this connection can die as it starts (seen
                # 1 in ~7 on this machine: gRPC's 'epoll_wait error: Bad file descriptor'):
                # ask again
                if (self.client and attempt < 2 and "client server failed" in str(exc)):
                    time.sleep(1.0)
                    continue
                self.started_ray = self.client = False
                where = address or "a new local instance"
                raise ConfigError(f"--executor ray: cannot connect to Ray at {where}: "
                                  f"{type(exc).__name__}: {_first_line(exc)}") from None
        self.connected, self.shipped = True, ship
        self.stats["ray_init_s"] = time.perf_counter() - started
        self.stats["connections"] = self.stats.get("connections", 0) + 1
        if self.started_ray:
            self.reaper = _Reaper()
            self.reaper.watch(ray)
        return ray

    def _n_workers(self, ray: Any, n_items: int) -> int:
        if self.workers is not None:
            return max(1, min(self.workers, n_items))
        cpus = int(ray.cluster_resources().get("CPU", 1))
        return max(1, min(cpus // self.cpus_per_worker or 1, n_items))

    async def _actors(self, ray: Any, job: Job, spec: WorkerSpec, n: int, per: int) -> list:
        """``n`` workers running this formalize (the same code fingerprint), spread over the
        cluster's nodes: first as Ray starts them (fast: processes it keeps ready, whatever
        formalize the cluster has); else, on a cluster this executor joined, connected again with
        this formalize shipped (``py_modules``); else (a Ray started here or by the caller: this
        machine) with a PYTHONPATH that finds it."""
        from ray.exceptions import RayActorError

        opts = {"num_cpus": self.cpus_per_worker, "max_restarts": -1,
                "max_task_retries": self.max_retries, "max_concurrency": per + 2,
                "scheduling_strategy": "SPREAD"}
        env = _forwarded_env()
        mine = code_fingerprint()
        seen: list[str] = []
        for attempt in range(2):
            runtime_env = None
            if attempt:
                if self.shipped or self.client:
                    break  # shipped already: nothing else to try
                if self.connected and not self.started_ray:  # joined here: join again, shipping
                    ray.shutdown()
                    self.connected = False
                    ray = self._init(ship=True)
                else:
                    runtime_env = _python_path()
            cls = ray.remote(_RayWorker).options(
                **opts, **({"runtime_env": runtime_env} if runtime_env else {}))
            actors = [cls.remote(job, spec, env) for _ in range(n)]
            try:
                where = await asyncio.wait_for(
                    asyncio.gather(*(_wait(a.where.remote()) for a in actors)), 300)
            except (RayActorError, asyncio.TimeoutError) as exc:
                why = ("no worker started in 300 s (the cluster lacks the CPUs asked: "
                       f"{n} x {self.cpus_per_worker}?)" if isinstance(exc, asyncio.TimeoutError)
                       else f"{type(exc).__name__}: {_first_line(exc)}")
                seen.append(why)
                for a in actors:
                    with contextlib.suppress(Exception):
                        ray.kill(a, no_restart=True)
                continue
            codes = {w["code"] for w in where}
            if codes == {mine}:
                how = "shipped" if self.shipped else "path" if runtime_env else "installed"
                self.stats.update(code=how, roots=sorted({w["root"] for w in where}),
                                  nodes=[w["node"] for w in where])
                return actors
            seen.append(f"their formalize ({', '.join(sorted({w['root'] for w in where}))}) "
                        f"is another version (code {', '.join(sorted(codes))}, here {mine})")
            for a in actors:
                ray.kill(a, no_restart=True)
        fix = ("the cluster's nodes need formalize's dependencies (pip install 'formalize[ray]' "
               "there, or the same Python environment)" if self.shipped or self.client else
               "let formalize connect to the cluster (--address; it ships this formalize when "
               "the cluster's differs), or install the same formalize on every node")
        raise ConfigError("--executor ray: no worker runs this formalize: "
                          + "; then: ".join(seen) + f". Fix: {fix}")

    @contextlib.contextmanager
    def held(self) -> Iterator[RayExecutor]:
        """Keep this executor's connection (or the Ray it starts) across the runs inside, e.g.
        a size ladder's sizes (one ``map`` each): connected once, released at the end."""
        self._held += 1
        try:
            yield self
        finally:
            self._held -= 1
            if not self._held:
                self._release()

    def _release(self) -> None:
        """Disconnect (a client, a driver) and stop a Ray started here."""
        if self.connected:
            ray_module().shutdown()
            self.connected = self.started_ray = self.client = self.shipped = False
        if self.reaper is not None:
            self.reaper.close()
            self.reaper = None

    async def map(self, job: Job, items: Sequence[Any], *, concurrency: int,
                  timeout: float | None = None) -> AsyncIterator[tuple[Any, dict]]:
        if not items:
            return
        ray = self._init()
        try:
            async for out in self._map(ray, job, items, concurrency, timeout):
                yield out
        finally:
            if not self._held:
                self._release()

    async def _map(self, ray: Any, job: Job, items: Sequence[Any], concurrency: int,
                   timeout: float | None) -> AsyncIterator[tuple[Any, dict]]:
        from ray.exceptions import GetTimeoutError, RayActorError, RayTaskError, WorkerCrashedError

        n = self._n_workers(ray, len(items))
        per = max(1, -(-concurrency // n))
        spec = WorkerSpec(self.cpus_per_worker, per, -(-len(items) // n))
        t0 = time.perf_counter()
        actors = await self._actors(ray, job, spec, n, per)
        try:
            pids = await asyncio.gather(*(_wait(a.start.remote()) for a in actors))
        except RayActorError as exc:
            raise ConfigError(f"--executor ray: a worker could not start: {exc}") from None
        self.stats.update(workers=n, per_worker=per, warm_s=time.perf_counter() - t0,
                          pids=list(pids), retried=0, lost=0, hard_timeouts=0)
        if self.reaper is not None:
            self.reaper.watch(ray)  # the agents and workers started since
        current = list(pids)  # each worker's process as last seen (a restart changes it)
        portable = getattr(job, "portable", None) if self.ships_files else None
        pending = list(reversed(items))
        load = [0] * n
        down: set[int] = set()  # workers whose actor did not answer (a lost node): not filled
        revivals: dict[int, asyncio.Task] = {}
        tries: dict[str, int] = {}  # items handed out again by the driver, by key
        flights: dict[asyncio.Future, _Flight] = {}
        finished: asyncio.Queue[asyncio.Future] = asyncio.Queue()  # O(1) a completion
        hard = None if timeout is None or not math.isfinite(timeout) else timeout + self.hard_grace

        def fill(w: int) -> None:
            while pending and load[w] < per and w not in down:
                item = pending.pop()
                ref = actors[w].run.remote(portable(item) if portable else item, timeout)
                fut = _wait(ref)
                flights[fut] = _Flight(item, w, ref, time.monotonic(), current[w])
                fut.add_done_callback(finished.put_nowait)
                load[w] += 1

        async def revive(w: int) -> None:
            """Wait (≤ REVIVE_S) until worker ``w``'s actor answers again (Ray restarts it on a
            live node), then hand it items again."""
            deadline, pause = time.monotonic() + REVIVE_S, 0.5
            while time.monotonic() < deadline:
                try:
                    current[w] = await asyncio.wait_for(_wait(actors[w].start.remote()), 30)
                except (RayActorError, WorkerCrashedError, asyncio.TimeoutError):
                    await asyncio.sleep(pause)
                    pause = min(2 * pause, 5.0)
                    continue
                down.discard(w)
                fill(w)
                return

        checked = time.monotonic()
        getter: asyncio.Future | None = None
        try:
            for w in range(n):
                fill(w)
            while flights or (pending and any(not t.done() for t in revivals.values())):
                if getter is None:  # one get kept across ticks: a completion is never dropped
                    getter = asyncio.ensure_future(finished.get())
                await asyncio.wait({getter}, timeout=1.0)
                fut = None
                if getter.done():
                    fut, getter = getter.result(), None
                f = flights.pop(fut, None) if fut is not None else None
                if f is not None:  # (None: a timeout tick, or a flight given up below)
                    load[f.worker] -= 1
                    key = job.key(f.item)
                    try:
                        pid, rec = fut.result()
                    except (RayActorError, WorkerCrashedError) as exc:
                        # Ray gave the task up: its worker died past max_task_retries, or cannot
                        # be reached (a lost node not yet known dead: ActorUnavailableError, "may
                        # or may not have run"). Hand the item out again, to a live worker; the
                        # worker gets items again once its actor answers
                        if f.worker not in down:
                            down.add(f.worker)
                            revivals[f.worker] = asyncio.ensure_future(revive(f.worker))
                        if tries.get(key, 0) < self.max_retries:
                            tries[key] = tries.get(key, 0) + 1
                            pending.append(f.item)
                            for w in sorted(set(range(n)) - down, key=lambda w: load[w]):
                                fill(w)
                            continue
                        self.stats["lost"] += 1
                        rec = job.lost(f.item, f"its worker was lost {tries.get(key, 0) + 1} "
                                               f"time(s) running it ({type(exc).__name__}: "
                                               f"{_first_line(exc)[:200]})")
                    except RayTaskError as exc:  # a bug in the work: the driver re-raises it
                        raise exc.as_instanceof_cause() from None
                    else:
                        current[f.worker] = pid
                        if pid != f.pid or key in tries:  # run again: its worker died with it
                            self.stats["retried"] += 1
                            if isinstance(rec, dict):
                                rec = {**rec, "retried": True}
                    yield f.item, rec
                    fill(f.worker)
                now = time.monotonic()
                if hard is not None and now - checked >= 1.0:  # once a second, not per result
                    checked = now
                    for w in range(n):
                        mine = [(fut, f) for fut, f in flights.items() if f.worker == w]
                        late = [(fut, f) for fut, f in mine if now - f.started > hard]
                        if not late:
                            continue
                        # the worker's loop did not let the item go (it blocks the loop, and
                        # every item of that worker waits): give up the oldest, restart the
                        # worker; its other items run again there (Ray's retry), their clocks
                        # started afresh
                        fut, f = min(late, key=lambda x: x[1].started)
                        flights.pop(fut)
                        load[w] -= 1
                        self.stats["hard_timeouts"] += 1
                        with contextlib.suppress(Exception):
                            ray.cancel(f.ref)  # a cancelled task is not retried
                        fut.cancel()
                        ray.kill(actors[w], no_restart=False)
                        for _, g in mine:
                            g.started = now
                        yield f.item, job.timed_out(f.item, timeout)
                        fill(w)
            for item in reversed(pending):  # no worker came back in REVIVE_S
                self.stats["lost"] += 1
                yield item, job.lost(item, f"no worker could be reached for {REVIVE_S:g} s")
        finally:
            if getter is not None:
                getter.cancel()
            for t in revivals.values():
                t.cancel()
            for fut in flights:
                fut.cancel()
            stops = [a.stop.remote() for a in actors]
            with contextlib.suppress(GetTimeoutError, RayActorError, Exception):
                await asyncio.wait_for(asyncio.gather(*(_wait(s) for s in stops)), 30)
            for a in actors:
                with contextlib.suppress(Exception):
                    ray.kill(a, no_restart=True)


def _first_line(exc: BaseException) -> str:
    lines = [ln.strip() for ln in str(exc).splitlines() if ln.strip()]
    tail = [ln for ln in lines if "Error" in ln.split(":")[0]]  # the cause, not Ray's preamble
    return (tail[-1] if tail else lines[0] if lines else type(exc).__name__)[:500]


def _wait(ref: Any) -> asyncio.Future:
    """An asyncio future of a Ray object reference (on the running loop). Cancelling it leaves
    Ray's own future alone (Ray client sets a result on it later, and fails on a cancelled one)."""
    loop = asyncio.get_running_loop()
    out = loop.create_future()

    def put(cf: Any) -> None:
        if out.done():
            return
        if cf.cancelled():
            out.cancel()
        elif cf.exception() is not None:
            out.set_exception(cf.exception())
        else:
            out.set_result(cf.result())

    def done(cf: Any) -> None:
        with contextlib.suppress(RuntimeError):  # the loop is closed: nobody waits any more
            loop.call_soon_threadsafe(put, cf)

    ref.future().add_done_callback(done)
    return out


def make_executor(name: str = "local", *, address: str | None = None, workers: int | None = None,
                  cpus_per_worker: int = 1) -> LocalExecutor | RayExecutor:
    """The executor named ``local`` or ``ray`` (a usage error naming the fix otherwise)."""
    if name not in EXECUTORS:
        raise ConfigError(f"--executor must be one of {', '.join(EXECUTORS)}, got {name!r}")
    if name == "local":
        if address is not None:
            raise ConfigError("--address applies to --executor ray only")
        return LocalExecutor()
    return RayExecutor(address=address, workers=workers, cpus_per_worker=cpus_per_worker)
