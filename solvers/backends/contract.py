"""The contract every backend follows: a wall-time budget, progress reports, a stop request, and
one mapping of how a solve ended to a `Status`.

A backend is a function `solve_<name>(lowered, control=None, *, threads=None, options=None, ...)
-> Solution` that

1. **Counts everything against `control`'s budget.** `control.started` is when the caller's clock
   started (`solvers.solve` starts it before loading and lowering); the solver gets
   `control.remaining()` as its own time limit, measured when the solver starts, so the
   conversion to the solver's input (building a CpModel, `passModel`) is inside the limit.
   Long Python-side conversions call `control.check()` now and then (it raises `SolveStopped`
   once the budget is spent or a stop was requested).
2. **Reports progress** by calling `control.update(incumbent=..., bound=..., nodes=...)` from
   the solver's callbacks (any thread, cheap: it only stores numbers). Objective values are in
   the model's own terms (sense, scaling and offset undone). Nothing is printed by a backend:
   the thread that waits in `control.run` hands a `Progress` to the caller's callback at the
   control's interval.
3. **Stops on request within a second**: before the solver starts it registers a canceller with
   `control.on_stop(fn)` (HiGHS: the interrupt callback; CP-SAT: `StopSearch`; SCIP:
   `interruptSolve`) and runs the solver through `control.run(fn)`, which keeps the calling
   thread free: Ctrl-C there (KeyboardInterrupt) becomes `request_stop("interrupted")`, and a
   solver that overruns its deadline is stopped by the same path ("time_limit"). The solver call
   must release the GIL while it works (highspy's `run` and CP-SAT's `Solve` do; pyscipopt:
   `optimizeNogil()`), and a solver's own SIGINT handler must be off (CP-SAT:
   `catch_sigint_signal=False`), or Ctrl-C cannot reach the waiting thread.
4. **Maps its outcome with `limit_status`** when it did not finish: `time_limit` (the budget ran
   out), `interrupted` (a stop was requested), `feasible` (another limit set through solver
   options, with a point). With every status, a feasible point found so far is returned in
   `values` with `objective`, `best_bound` and `gap` (`relative_gap`), so a stopped solve still
   reports its incumbent. `time_limit` without a point is not `infeasible`.

The default time limit is `DEFAULT_TIME_LIMIT` seconds, or `FORMALIZE_TIME_LIMIT` from the
environment ("none" for no limit); `time_limit=None` everywhere means that default, and
`math.inf` means no limit. The solver's threads default to `FORMALIZE_SOLVER_THREADS` when set
(a worker of a distributed benchmark run sizes them to its own CPUs), else the solver's own
default.
"""

from __future__ import annotations

import contextlib
import math
import os
import threading
import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from ..solution import Status

DEFAULT_TIME_LIMIT = 300.0  # seconds, when neither the caller nor FORMALIZE_TIME_LIMIT says
ENV_TIME_LIMIT = "FORMALIZE_TIME_LIMIT"
ENV_THREADS = "FORMALIZE_SOLVER_THREADS"
WATCHDOG_GRACE = 1.0  # s after the deadline before a solver that ignored its own limit is stopped
_TICK = 0.05  # s between checks of the waiting thread (stop latency, progress cadence)

T = TypeVar("T")


def parse_time_limit(value: str | float | None) -> float:
    """A time limit given as text or number: positive seconds, or "none"/"inf"/"off" for no
    limit (math.inf). Raises ValueError with the accepted forms otherwise."""
    if isinstance(value, str):
        v = value.strip().lower()
        if v in ("none", "inf", "infinity", "off", "no"):
            return math.inf
        try:
            value = float(v)
        except ValueError:
            raise ValueError(f"time limit {value!r}: give seconds (a positive number) or 'none'") from None
    if value is None or math.isnan(float(value)) or float(value) <= 0:
        raise ValueError(f"time limit {value!r}: give seconds (a positive number) or 'none'")
    return float(value)


def default_time_limit() -> float:
    """FORMALIZE_TIME_LIMIT when set (seconds or "none"), else DEFAULT_TIME_LIMIT."""
    env = os.environ.get(ENV_TIME_LIMIT, "").strip()
    if not env:
        return DEFAULT_TIME_LIMIT
    try:
        return parse_time_limit(env)
    except ValueError as exc:
        raise ValueError(f"{ENV_TIME_LIMIT}={env!r}: {exc}") from None


def default_threads() -> int | None:
    """FORMALIZE_SOLVER_THREADS when set (a positive integer), else None (the solver's own
    default)."""
    env = os.environ.get(ENV_THREADS, "").strip()
    if not env:
        return None
    try:
        n = int(env)
    except ValueError:
        n = 0
    if n < 1:
        raise ValueError(f"{ENV_THREADS}={env!r}: give a positive number of threads, or unset it")
    return n


def resolve_time_limit(time_limit: float | None) -> float:
    """None → the default; a number must be positive (math.inf: no limit)."""
    if time_limit is None:
        return default_time_limit()
    return parse_time_limit(time_limit)


def relative_gap(incumbent: float | None, bound: float | None) -> float | None:
    """|incumbent - bound| / max(|incumbent|, 1e-9): the gap every backend reports (HiGHS's own
    definition); None without both numbers."""
    if incumbent is None or bound is None or not (math.isfinite(incumbent) and math.isfinite(bound)):
        return None
    return abs(incumbent - bound) / max(abs(incumbent), 1e-9)


@dataclass(frozen=True)
class Progress:
    """One progress report of a running solve (objective values in the model's own terms)."""

    solver: str
    elapsed: float  # seconds since the control started (loading and lowering included)
    incumbent: float | None = None  # best objective of a feasible point so far
    bound: float | None = None  # best proven bound
    gap: float | None = None  # relative gap between them
    nodes: int | None = None  # branch-and-bound nodes (MIP) or search branches (CP-SAT)
    iterations: int | None = None  # simplex / IPM iterations (LP)
    phase: str = ""  # what the solver is doing, e.g. "simplex", "branch and bound"
    time_limit: float | None = None  # the budget, seconds (None: no limit)

    def __str__(self) -> str:
        parts = [f"{self.solver} {self.elapsed:6.1f}s"]
        if self.time_limit is not None and math.isfinite(self.time_limit):
            parts[0] += f"/{self.time_limit:g}s"
        if self.phase:
            parts.append(self.phase)
        if self.incumbent is not None:
            parts.append(f"incumbent {_num(self.incumbent)}")
        elif self.phase in ("branch and bound", "search"):
            parts.append("no incumbent yet")
        if self.bound is not None:
            parts.append(f"bound {_num(self.bound)}")
        if self.gap is not None:
            parts.append(f"gap {self.gap:.2%}")
        if self.nodes is not None:
            parts.append(f"nodes {self.nodes}")
        if self.iterations is not None:
            parts.append(f"iterations {self.iterations}")
        return "  ".join(parts)


def _num(x: float) -> str:
    return f"{x:.10g}" if abs(x) < 1e12 else f"{x:.6e}"


ProgressFn = Callable[[Progress], None]


class SolveStopped(Exception):
    """Raised by `SolveControl.check()` inside a conversion once the budget is spent or a stop was
    requested; the backend turns it into a `time_limit` / `interrupted` Solution."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


_active: weakref.WeakSet[SolveControl] = weakref.WeakSet()
_active_lock = threading.Lock()


_workers: set[threading.Thread] = set()  # solver threads still running (see SolveControl.run)


def wait_for_solvers(timeout: float) -> bool:
    """Wait up to `timeout` seconds for every solver thread of this process to end; True when
    none is left. (A process must not exit while a solver runs in C++: its static destructors
    would race the solver thread.)"""
    deadline = time.perf_counter() + timeout
    for t in list(_workers):
        t.join(max(deadline - time.perf_counter(), 0.0))
    return not any(t.is_alive() for t in list(_workers))


def stop_all(reason: str = "interrupted") -> int:
    """Request a stop of every solve running in this process (any thread); returns how many.
    The CLI calls it on Ctrl-C so that solves in worker threads end too."""
    with _active_lock:
        running = list(_active)
    for c in running:
        c.request_stop(reason)
    return len(running)


class SolveControl:
    """Budget, progress and stop request of one solve (see the module docstring).

    time_limit: seconds of wall time from `started` (None: the default; math.inf: no limit).
    progress: called with a `Progress` in the thread that waits in `run`, at most every
    `progress_interval` seconds, first after `progress_delay` seconds (short solves stay quiet).
    """

    def __init__(self, time_limit: float | None = None, progress: ProgressFn | None = None, *,
                 progress_interval: float = 1.0, progress_delay: float | None = None,
                 started: float | None = None, solver: str = ""):
        self.time_limit = resolve_time_limit(time_limit)
        self.started = time.perf_counter() if started is None else started
        self.deadline = self.started + self.time_limit if math.isfinite(self.time_limit) else None
        self.progress = progress
        self.progress_interval = max(float(progress_interval), _TICK)
        self.progress_delay = self.progress_interval if progress_delay is None else progress_delay
        self.solver = solver
        self._lock = threading.Lock()
        self._stop_reason: str | None = None
        self._cancellers: list[Callable[[], Any]] = []
        self._state: dict[str, Any] = {}
        self._version = 0  # bumped by update(); what the last report showed
        self._reported_version = 0
        self._last_report = -math.inf
        self._last_cancel = -math.inf

    # -- budget ---------------------------------------------------------------------------
    def elapsed(self) -> float:
        return time.perf_counter() - self.started

    def remaining(self) -> float | None:
        """Seconds left (never below 0), or None without a limit."""
        if self.deadline is None:
            return None
        return max(self.deadline - time.perf_counter(), 0.0)

    def expired(self) -> bool:
        return self.deadline is not None and time.perf_counter() >= self.deadline

    def check(self) -> None:
        """Raise `SolveStopped` when a stop was requested or the budget is spent (called by
        conversions between units of work)."""
        if self._stop_reason is not None:
            raise SolveStopped(self._stop_reason)
        if self.expired():
            self.request_stop("time_limit")
            raise SolveStopped("time_limit")

    # -- stop -----------------------------------------------------------------------------
    @property
    def stop_reason(self) -> str | None:
        """None, "interrupted" (Ctrl-C, `stop_all`, `request_stop()`) or "time_limit"."""
        return self._stop_reason

    def request_stop(self, reason: str = "interrupted") -> None:
        """Ask the running solver to stop (thread-safe; the first reason wins)."""
        with self._lock:
            if self._stop_reason is not None:
                return
            self._stop_reason = reason
        self._cancel()

    def _cancel(self) -> None:
        with self._lock:
            cancellers = list(self._cancellers)
        self._last_cancel = time.perf_counter()
        for fn in cancellers:
            with contextlib.suppress(Exception):  # one failing must not keep the others
                fn()

    def on_stop(self, fn: Callable[[], Any]) -> None:
        """Register how to stop the solver; called at once when a stop is already requested."""
        with self._lock:
            self._cancellers.append(fn)
            now = self._stop_reason is not None
        if now:
            fn()

    # -- progress -------------------------------------------------------------------------
    def update(self, **state: Any) -> None:
        """Store the solver's latest numbers (incumbent, bound, gap, nodes, iterations, phase);
        cheap and callable from any solver thread. The gap is derived when not given."""
        changed = False
        for k, v in state.items():
            if v is not None and self._state.get(k) != v:
                self._state[k] = v
                changed = True
        if changed:
            self._version += 1

    def snapshot(self) -> Progress:
        s = dict(self._state)
        if s.get("gap") is None:
            s["gap"] = relative_gap(s.get("incumbent"), s.get("bound"))
        return Progress(solver=self.solver, elapsed=self.elapsed(),
                        time_limit=self.time_limit if math.isfinite(self.time_limit) else None, **s)

    def poll(self) -> None:
        """The waiting thread's duty: report progress when due, stop an overrunning solver."""
        now = time.perf_counter()
        if self.deadline is not None and now >= self.deadline + WATCHDOG_GRACE:
            self.request_stop("time_limit")
        if self._stop_reason is not None and now - self._last_cancel >= 0.25:
            self._cancel()  # again: a solver may have started after the first request
        if self.progress is None or now - self.started < self.progress_delay:
            return
        due = now - self._last_report >= self.progress_interval
        heartbeat = now - self._last_report >= 10 * self.progress_interval
        if due and (self._version != self._reported_version or heartbeat):
            self._reported_version = self._version
            self._last_report = now
            self.progress(self.snapshot())

    # -- running ----------------------------------------------------------------------------
    def run(self, fn: Callable[[], T]) -> T:
        """Run `fn` (the solver call) in a worker thread while this thread reports progress and
        watches the deadline. Ctrl-C here stops the solver and `fn`'s result (its best point)
        is returned; a second Ctrl-C while waiting for it raises KeyboardInterrupt."""
        box: dict[str, Any] = {}
        done = threading.Event()

        def target() -> None:
            try:
                box["result"] = fn()
            except BaseException as exc:  # handed to the caller's thread
                box["error"] = exc
            finally:
                done.set()
                _workers.discard(threading.current_thread())

        # (waiting on an Event, not Thread.join: a KeyboardInterrupt inside join can mark a
        # running thread as finished on Python < 3.13)
        worker = threading.Thread(target=target, name=f"formalize-{self.solver or 'solve'}",
                                  daemon=True)
        with _active_lock:
            _active.add(self)
        _workers.add(worker)
        try:
            worker.start()
            interrupted = False
            while not done.is_set():
                try:
                    done.wait(_TICK)
                    self.poll()
                except KeyboardInterrupt:
                    if interrupted:
                        raise
                    interrupted = True
                    self.request_stop("interrupted")
        finally:
            with _active_lock:
                _active.discard(self)
        if "error" in box:
            raise box["error"]
        return box["result"]


def as_control(control: SolveControl | None, time_limit: float | None, solver: str) -> SolveControl:
    """The control a backend works under: the caller's (then `time_limit` must be None), or a new
    one with `time_limit` (None: the default). Names the solver for progress reports."""
    if control is None:
        control = SolveControl(time_limit)
    elif time_limit is not None:
        raise ValueError("give the time limit through `control` or `time_limit`, not both")
    control.solver = control.solver or solver
    return control


def limit_status(control: SolveControl, *, has_point: bool, timed_out: bool) -> Status:
    """How a solve that did not finish ended: `interrupted` when a stop was requested, else
    `time_limit` when the budget ran out (`timed_out`: the solver's own time limit), else (a
    work limit set through solver options) `feasible` with a point and `time_limit` without."""
    if control.stop_reason == "interrupted":
        return Status.INTERRUPTED
    if control.stop_reason == "time_limit" or timed_out:
        return Status.TIME_LIMIT
    return Status.FEASIBLE if has_point else Status.TIME_LIMIT


def stop_message(status: Status, control: SolveControl, solver: str, has_point: bool) -> str:
    """The sentence a stopped solve carries in `Solution.message`."""
    point = ("the best solution found so far is reported" if has_point
             else "no feasible solution was found before it stopped")
    if status == Status.INTERRUPTED:
        return f"{solver} was interrupted after {control.elapsed():.1f}s; {point}"
    if status == Status.TIME_LIMIT:
        return f"{solver} reached the time limit of {control.time_limit:g}s; {point}"
    return f"{solver} stopped at a limit; {point}"
