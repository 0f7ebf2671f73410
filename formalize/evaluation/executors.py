"""Where a run's items (benchmark problems, sweep instances) are worked on: in this process
(:class:`LocalExecutor`) or on a Ray cluster (:class:`RayExecutor`), behind one interface.

A run hands an executor a :class:`Job` (picklable: what every item shares, and how to make a
worker) and its items; :meth:`Executor.map` yields ``(item, record)`` as items finish, in
completion order. The driver (the caller) alone writes the results file, so exactly-once and
``--resume`` hold the same way for both executors.

- ``LocalExecutor``: one worker in this process (its event loop, thread and process pools);
  ``concurrency`` items in flight.
- ``RayExecutor``: ``workers`` Ray actors (default: the cluster's CPUs / ``cpus_per_worker``),
  each a worker process with its own event loop, LLM connection pool, pools for verification
  and solves sized to its CPUs and solver threads set to them (``FORMALIZE_SOLVER_THREADS``);
  ``concurrency`` items in flight in all, split evenly, handed out by the driver as workers
  finish (the slow worker gets less). An item is an actor task: a worker that dies mid-task
  (killed process, lost node) is restarted and its tasks run again (``max_retries`` times,
  Ray's ``max_task_retries``); past that the item is recorded as ``worker-lost`` (retried by
  ``--resume``).

Time budget (``timeout``, both executors): an item still running after it is recorded with status
``timeout`` (error kind ``task-timeout``) and never retried by the executor; on Ray, a worker
whose loop does not give the item up within ``HARD_GRACE`` seconds more is restarted (its oldest
late item is recorded as timed out, its other items run again on the restarted worker).
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import os
import time
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from formalize.llm.config import ConfigError

EXECUTORS = ("local", "ray")
INSTALL_RAY = 'pip install "formalize[ray]"'
HARD_GRACE = 30.0  # s past an item's budget before the driver restarts a worker that hangs
RETRIES = 3  # re-runs of an item whose worker died (Ray's max_task_retries)
# the driver's environment that workers get too: configuration, and the test hook below
FORWARD_ENV = ("FORMALIZE_", "LITELLM_", "OPENAI_", "ANTHROPIC_", "GEMINI_", "AZURE_")
TEST_KILL = "FORMALIZE_TEST_KILL_WORKER"
"""Test hook: ``<item key>=<marker file>`` makes the worker that first starts that item exit
at once (``os._exit``) while no marker file exists (it creates it first): the next attempt runs
normally. Used by the tests of worker loss; nothing else sets it."""


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
    worker."""

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


def _python_path() -> dict[str, Any]:
    """A runtime env whose PYTHONPATH finds this formalize before any other (a source checkout
    run without installing it). Only when the workers' own formalize is another one: a runtime
    env costs each worker a fresh process instead of one Ray keeps started."""
    parts = [ROOT] + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep)
                      if p and p != ROOT]
    return {"env_vars": {"PYTHONPATH": os.pathsep.join(parts)}}


class _RayWorker:
    """A Ray actor holding one worker (started on first use, again after a restart)."""

    def __init__(self, job: Job, spec: WorkerSpec, env: dict[str, str]) -> None:
        os.environ.update(env)
        if spec.cpus:
            os.environ["FORMALIZE_SOLVER_THREADS"] = str(spec.cpus)
        self.job, self.spec = job, spec
        self.worker: Worker | None = None
        self._lock: asyncio.Lock | None = None

    def where(self) -> tuple[int, str]:
        """This worker's process id and the folder its formalize comes from."""
        return os.getpid(), ROOT

    async def start(self) -> int:
        if self._lock is None:
            self._lock = asyncio.Lock()
        async with self._lock:
            if self.worker is None:
                w = self.job.worker(self.spec)
                await w.start()
                self.worker = w
        return os.getpid()

    async def run(self, item: Any, timeout: float | None) -> dict:
        await self.start()
        hook = os.environ.get(TEST_KILL, "")
        if hook:
            key, _, marker = hook.partition("=")
            if key == self.job.key(item) and marker and not os.path.exists(marker):
                Path(marker).write_text(str(os.getpid()))
                os._exit(17)
        assert self.worker is not None
        return await run_item(self.worker, self.job, item, timeout)

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


class RayExecutor:
    """Items as tasks of ``workers`` Ray actors; see the module docstring.

    ``address``: None (``RAY_ADDRESS`` if set, else a Ray started for this run and stopped after
    it), ``"auto"`` (the cluster this machine belongs to) or ``"ray://host:port"`` (Ray
    client). A Ray already initialized in this process is used as it is."""

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
        self.started_ray = False
        self.stats: dict[str, Any] = {}

    def _init(self) -> Any:
        ray = ray_module()
        if not ray.is_initialized():
            kw: dict[str, Any] = {"include_dashboard": False, "log_to_driver": False,
                                  "configure_logging": False}
            address = self.address
            if address is None and not os.environ.get("RAY_ADDRESS"):
                # a private Ray, loopback only: "local" starts one even where `ray start` left
                # a cluster on this machine (ray.init() alone would join that one)
                address = "local"
                kw["_node_ip_address"] = "127.0.0.1"
                self.started_ray = True
            started = time.perf_counter()
            try:
                ray.init(address=address, **kw)
            except (ConnectionError, ValueError, RuntimeError) as exc:
                raise ConfigError(f"--executor ray: cannot reach Ray at {self.address or 'a new local instance'}"
                                  f": {exc}") from None
            self.stats["ray_init_s"] = time.perf_counter() - started
        return ray

    def _n_workers(self, ray: Any, n_items: int) -> int:
        if self.workers is not None:
            return max(1, min(self.workers, n_items))
        cpus = int(ray.cluster_resources().get("CPU", 1))
        return max(1, min(cpus // self.cpus_per_worker or 1, n_items))

    async def _actors(self, ray: Any, job: Job, spec: WorkerSpec, n: int, per: int) -> list:
        """``n`` workers importing this formalize: first as Ray starts them (fast: processes it
        keeps ready), else with a PYTHONPATH that finds it."""
        from ray.exceptions import RayActorError

        opts = {"num_cpus": self.cpus_per_worker, "max_restarts": -1,
                "max_task_retries": self.max_retries, "max_concurrency": per + 2}
        env = _forwarded_env()
        for runtime_env in (None, _python_path()):
            cls = ray.remote(_RayWorker).options(
                **opts, **({"runtime_env": runtime_env} if runtime_env else {}))
            actors = [cls.remote(job, spec, env) for _ in range(n)]
            try:
                where = await asyncio.gather(*(_wait(a.where.remote()) for a in actors))
            except RayActorError as exc:
                raise ConfigError(f"--executor ray: a worker could not start: {exc}") from None
            roots = {r for _, r in where}
            if roots == {ROOT}:
                self.stats["python_path_set"] = runtime_env is not None
                return actors
            for a in actors:
                ray.kill(a, no_restart=True)
        raise ConfigError(f"--executor ray: the workers import formalize from {sorted(roots)}, "
                          f"this driver from {ROOT}: install the same formalize on every node "
                          "(pip install 'formalize[ray]'), at the same path")

    async def map(self, job: Job, items: Sequence[Any], *, concurrency: int,
                  timeout: float | None = None) -> AsyncIterator[tuple[Any, dict]]:
        if not items:
            return
        ray = self._init()
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
        pending = list(reversed(items))
        load = [0] * n
        flights: dict[asyncio.Future, _Flight] = {}
        finished: asyncio.Queue[asyncio.Future] = asyncio.Queue()  # O(1) a completion
        hard = None if timeout is None or not math.isfinite(timeout) else timeout + self.hard_grace

        def fill(w: int) -> None:
            while pending and load[w] < per:
                item = pending.pop()
                ref = actors[w].run.remote(item, timeout)
                fut = _wait(ref)
                flights[fut] = _Flight(item, w, ref, time.monotonic())
                fut.add_done_callback(finished.put_nowait)
                load[w] += 1

        checked = time.monotonic()
        getter: asyncio.Future | None = None
        try:
            for w in range(n):
                fill(w)
            while flights:
                if getter is None:  # one get kept across ticks: a completion is never dropped
                    getter = asyncio.ensure_future(finished.get())
                await asyncio.wait({getter}, timeout=1.0)
                fut = None
                if getter.done():
                    fut, getter = getter.result(), None
                f = flights.pop(fut, None) if fut is not None else None
                if f is not None:  # (None: a timeout tick, or a flight given up below)
                    load[f.worker] -= 1
                    try:
                        rec = fut.result()
                    except (RayActorError, WorkerCrashedError) as exc:
                        self.stats["lost"] += 1
                        rec = job.lost(f.item, f"its worker died {self.max_retries + 1} time(s) "
                                               f"running it ({type(exc).__name__})")
                    except RayTaskError as exc:  # a bug in the work: the driver re-raises it
                        raise exc.as_instanceof_cause() from None
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
        finally:
            if getter is not None:
                getter.cancel()
            for fut in flights:
                fut.cancel()
            stops = [a.stop.remote() for a in actors]
            with contextlib.suppress(GetTimeoutError, RayActorError, Exception):
                await asyncio.wait_for(asyncio.gather(*(_wait(s) for s in stops)), 30)
            for a in actors:
                with contextlib.suppress(Exception):
                    ray.kill(a, no_restart=True)
            if self.started_ray:
                ray.shutdown()


def _wait(ref: Any) -> asyncio.Future:
    """An asyncio future of a Ray object reference (on the running loop)."""
    return asyncio.wrap_future(ref.future())


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
