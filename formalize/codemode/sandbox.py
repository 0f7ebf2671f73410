"""Run model-building code in a contained child process and collect the model it built.

Layers, each assuming the ones before it failed (details in `containment.py`, `_harness.py`):
1. the AST allow-list (`allowlist.py`), before anything runs;
2. the child process: bubblewrap or the built-in namespaces and minimal read-only root, a
   per-run unprivileged uid (when formalize runs as root), no capabilities, no_new_privs,
   Landlock, a seccomp allow-list, resource limits (CPU, address space, file size, open files,
   processes) and a size-limited tmpfs as its only writable directory;
3. the Python layers inside the child (a sealed audit hook, a solver guard).
The parent checks the child from /proc before the program runs, gives it a hard wall-clock
limit after which the whole process tree is killed, reads its results over a pipe with size
caps and validates them (`result.py`); it never opens a file the child wrote.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import selectors
import signal
import struct
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field, replace
from typing import Any

from formalize.codemode import containment as cm
from formalize.codemode.allowlist import check_code, libraries_used
from formalize.codemode.result import (
    Failure,
    HarvestedModel,
    ResultError,
    frame_need,
    read_failure,
    read_model,
    read_ready,
    split_frames,
    visible,
)
from solvers.diagnostics import Diagnostic, Location

REASONS = (
    "ok", "refused", "runtime_error", "no_model", "bad_model", "timeout", "cpu_limit",
    "memory_limit", "file_limit", "disk_limit", "fd_limit", "killed", "bad_result",
    "sandbox_unavailable",
)
MAX_SOURCE = 1 << 20


@dataclass
class CodeRun:
    """What happened when a code-mode program ran, and the model it built."""

    reason: str  # one of REASONS
    diagnostics: list[Diagnostic] = field(default_factory=list)
    stdout: str = ""
    stderr: str = ""
    stdout_truncated: bool = False
    stderr_truncated: bool = False
    returncode: int | None = None
    wall_time: float = 0.0
    library: str | None = None  # "pyomo" | "pulp" | "cpsat"
    model_format: str | None = None  # "arrays" | "cpsat-text"
    model: HarvestedModel | None = None  # the validated arrays (Pyomo, PuLP)
    model_data: bytes | None = None  # a CP-SAT model proto, text format
    names: dict[str, tuple[str, tuple]] = field(default_factory=dict)  # column -> (var, index)
    internal_columns: list[str] = field(default_factory=list)  # helper columns, not user variables
    objective_offset: float = 0.0
    layers: dict[str, str] = field(default_factory=dict)  # layer -> what was in force
    network: str = "unknown"  # "netns" (own network namespace) or "host" (seccomp refuses sockets)
    uid: int | None = None  # the run's own uid (root only): no process of it outlives the run
    outer: str | None = None  # "bwrap" | "builtin"
    work_dir: str | None = None  # the host directory of the run (gone when run_code returns)

    @property
    def ok(self) -> bool:
        return self.reason == "ok"

    @property
    def containment(self) -> list[str]:
        """The layers that were in force, one line each (`name: what`)."""
        return [f"{k}: {v}" for k, v in self.layers.items()]


def _diag(code: str, message: str, hint: str, line: int | None = None,
          column: int | None = None, symbol: str | None = None) -> Diagnostic:
    return Diagnostic(
        code=code, message=message, hint=hint,
        location=Location(section="code", field=f"line {line}" if line else None, column=column,
                          symbol=symbol),
    )


def _child_env(workdir: str) -> dict[str, str]:
    return {
        "PATH": "/usr/bin:/bin", "HOME": workdir, "TMPDIR": workdir, "LANG": "C.UTF-8",
        "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
        "NUMEXPR_NUM_THREADS": "1",
    }


def run_code(
    src: str,
    *,
    timeout: float = 20.0,
    cpu_seconds: int | None = None,
    memory_mb: int = 1024,
    max_file_mb: int = 64,
    disk_mb: int = 128,
    max_open_files: int = 256,
    max_output: int = 64 * 1024,
    max_processes: int = 64,
    max_result_mb: int = 256,
    _skip_allowlist: bool = False,
    _audit_hook: bool = True,
    _outer: str | None = None,
) -> CodeRun:
    """Check `src` with the allow-list, run it contained, and read back the model it leaves.

    `memory_mb` bounds the address space (importing pyomo + pulp + CP-SAT together peaks near
    400 MB of virtual memory: keep 512 or more); `disk_mb` is the total the program may write.
    Test-only switches, set by the parent, never by the child: `_skip_allowlist`, `_audit_hook`
    (False: none of the Python layers inside the child), `_outer` ("bwrap" / "builtin" / "none":
    no namespaces at all, to test that fallback).
    """
    start = time.perf_counter()
    if len(src) > MAX_SOURCE:
        return CodeRun(reason="refused", diagnostics=[_diag(
            "source-too-large", f"the program has {len(src)} characters (at most {MAX_SOURCE})",
            "build the model with loops over compact data instead of spelling it out")])
    if not _skip_allowlist:
        diags = check_code(src)
        if diags:
            return CodeRun(reason="refused", diagnostics=diags,
                           wall_time=time.perf_counter() - start)
    try:  # "none" (tests only): no namespaces, as on a system that allows none
        outer, why = ("none", None) if _outer == "none" else cm.choose_outer(_outer)
    except (RuntimeError, ValueError) as exc:
        return _unavailable(str(exc), start)
    uid, gid = cm.run_uid()
    cpu = int(cpu_seconds if cpu_seconds is not None else max(1, round(timeout)))
    limits = {"cpu": cpu, "as": memory_mb << 20, "fsize": max_file_mb << 20,
              "nofile": max_open_files, "nproc": max_processes}
    root = cm.minimal_root()
    host_dir = tempfile.mkdtemp(prefix="formalize-code-")
    os.chmod(host_dir, 0o700)
    job = {
        "source": src, "libraries": libraries_used(src), "python_layers": _audit_hook,
        "mode": outer, "uid": uid, "gid": gid, "host_dir": host_dir, "root": root.as_job(),
        "site": root.site, "read_roots": root.read_roots,
        "limits": {**limits, "disk": disk_mb << 20, "inodes": 10_000},
    }
    run = CodeRun(reason="killed", uid=uid if uid >= cm.UID_BASE else None, outer=outer,
                  work_dir=host_dir)
    try:
        _execute(run, job, timeout=timeout, limits=limits, max_output=max_output,
                 max_result=max_result_mb << 20, disk_mb=disk_mb)
    finally:
        problems = cm.remove_tree(host_dir)
        if problems:
            run.stderr += "\n[formalize] could not remove the work directory: " + \
                "; ".join(problems[:3])
    if why and outer == "builtin":
        run.layers.setdefault("note", f"bubblewrap not used: {why}")
    run.wall_time = time.perf_counter() - start
    _describe(run, timeout, cpu, memory_mb, max_file_mb, disk_mb, max_open_files, max_result_mb)
    return run


def _unavailable(why: str, start: float) -> CodeRun:
    return CodeRun(reason="sandbox_unavailable", wall_time=time.perf_counter() - start,
                   diagnostics=[_diag("sandbox-unavailable", f"code mode cannot run safely: {why}",
                                      "unset FORMALIZE_SANDBOX or install bubblewrap")])


class _Pipes:
    """The parent's ends: job/go (write), stdout, stderr and the result channel (read)."""

    def __init__(self) -> None:
        self.job_r, self.job_w = os.pipe()
        self.out_r, self.out_w = os.pipe()
        self.err_r, self.err_w = os.pipe()
        self.res_r, self.res_w = os.pipe()
        for fd in (self.job_w, self.out_r, self.err_r, self.res_r):
            os.set_blocking(fd, False)
        with contextlib.suppress(OSError):  # a larger result pipe: fewer, bigger reads
            fcntl.fcntl(self.res_r, 1031, 1 << 20)  # F_SETPIPE_SZ

    def _close(self, *names: str) -> None:
        for name in names:  # each fd closed once: a number closed twice may be another's by then
            fd = getattr(self, name)
            if fd >= 0:
                setattr(self, name, -1)
                with contextlib.suppress(OSError):
                    os.close(fd)

    def close_child_ends(self) -> None:
        self._close("job_r", "out_w", "err_w", "res_w")

    def close_all(self) -> None:
        self._close("job_r", "out_w", "err_w", "res_w", "job_w", "out_r", "err_r", "res_r")


class _Capped:
    """Bytes kept up to `limit`; the rest counted and dropped."""

    def __init__(self, limit: int) -> None:
        self.limit, self.buf, self.dropped = limit, bytearray(), 0

    def add(self, chunk: bytes) -> None:
        room = self.limit - len(self.buf)
        if room > 0:
            self.buf += chunk[:room]
        self.dropped += max(0, len(chunk) - max(room, 0))

    def text(self) -> str:
        out = self.buf.decode("utf-8", "replace")
        return out + (f"\n... [{self.dropped} more bytes truncated]" if self.dropped else "")


def _execute(run: CodeRun, job: dict, *, timeout: float, limits: dict, max_output: int,
             max_result: int, disk_mb: int) -> None:
    pipes = _Pipes()
    root = cm.minimal_root()
    env = _child_env(cm.WORKDIR_INSIDE)
    if run.outer == "bwrap":
        cmd = cm.bwrap_command(root, env, disk_mb << 20, pipes.res_w)
    else:
        cmd = [sys.executable, "-I", "-S", "-B", "-X", "utf8", cm.HARNESS, str(pipes.res_w)]
    payload = json.dumps(job).encode()
    pending = struct.pack("<Q", len(payload)) + payload
    deadline = time.monotonic() + timeout
    try:
        proc = subprocess.Popen(
            cmd, stdin=pipes.job_r, stdout=pipes.out_w, stderr=pipes.err_w,
            pass_fds=(pipes.res_w,), cwd="/", env=env, close_fds=True, start_new_session=True,
        )
    except OSError as exc:
        pipes.close_all()
        run.reason = "sandbox_unavailable"
        run.diagnostics = [_diag("sandbox-unavailable", f"the child could not start: {exc}",
                                 "check the Python installation")]
        return
    pipes.close_child_ends()
    out, err, res = _Capped(max_output), _Capped(max_output), bytearray()
    frames: list = []
    used, need = 0, 9  # bytes of `res` taken as frames; bytes from `used` the next frame needs
    sel = selectors.DefaultSelector()
    sel.register(pipes.out_r, selectors.EVENT_READ, out)
    sel.register(pipes.err_r, selectors.EVENT_READ, err)
    sel.register(pipes.res_r, selectors.EVENT_READ, res)
    sel.register(pipes.job_w, selectors.EVENT_WRITE, None)
    try:
        pidfd = os.pidfd_open(proc.pid)
        sel.register(pidfd, selectors.EVENT_READ, "exit")
    except (OSError, AttributeError):
        pidfd = None
    state: dict[str, Any] = {"ready": False, "timed_out": False, "problem": None,
                             "exited_at": None, "final_at": None}
    open_reads = 3
    try:
        while True:
            now = time.monotonic()
            exited = proc.poll() is not None
            if exited and state["exited_at"] is None:
                state["exited_at"] = now
            if exited and (open_reads == 0 or now - state["exited_at"] > 1.0):
                break
            if state["final_at"] is not None and now - state["final_at"] > 0.5:
                break  # the result is in; what the child still does after it does not matter
            if now >= deadline:
                state["timed_out"] = True
                break
            wait = min(deadline - now, 0.05 if pidfd is None or exited else 1.0)
            for key, _ in sel.select(wait):
                target = key.data
                if target == "exit":
                    sel.unregister(key.fd)
                    continue
                if target is None:  # the job channel
                    try:
                        n = os.write(key.fd, pending)
                    except BlockingIOError:
                        continue
                    except OSError:
                        n = len(pending)
                    pending = pending[n:]
                    if not pending:
                        sel.unregister(key.fd)
                    continue
                try:
                    chunk = os.read(key.fd, 1 << 20 if target is res else 1 << 16)
                except BlockingIOError:
                    continue
                except OSError:
                    chunk = b""
                if not chunk:
                    sel.unregister(key.fd)
                    open_reads -= 1
                    continue
                if target is res:
                    res += chunk
                    if len(res) > max_result:
                        state["problem"] = ResultError(
                            f"the result is larger than {max_result >> 20} MB",
                            code="result-too-large")
                else:
                    target.add(chunk)
            if state["problem"] is None and len(res) - used >= need:
                try:  # once per frame, not once per chunk: no quadratic copying
                    new, used = split_frames(res, max_result, used, _frames_left(frames))
                    frames += new
                    need = frame_need(res, used, max_result)
                except ResultError as exc:
                    state["problem"] = exc
            if state["problem"] is not None:
                break
            if frames and not state["ready"]:
                state["ready"] = True
                if not _ready(run, frames[0], proc.pid, job, limits, pipes):
                    break
            if state["final_at"] is None and (len(frames) > 1 or (frames and frames[0].kind != b"R")):
                state["final_at"] = time.monotonic()
    finally:
        cm.kill_tree(proc.pid, run.uid)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            run.stderr += "\n[formalize] the child did not end after SIGKILL"
        sel.close()
        if pidfd is not None:
            os.close(pidfd)
        _drain(pipes, out, err, res, max_result)
        pipes.close_all()
    run.returncode = proc.returncode
    run.stdout, run.stderr = out.text(), err.text() + run.stderr
    run.stdout_truncated, run.stderr_truncated = out.dropped > 0, err.dropped > 0
    if run.reason == "sandbox_unavailable":
        return
    if state["problem"] is None and not state["timed_out"]:
        try:
            more, used = split_frames(res, max_result, used, _frames_left(frames))
            frames += more
            if used != len(res) and run.returncode == 0:
                raise ResultError("the result channel ends with an incomplete frame")
        except ResultError as exc:
            state["problem"] = exc
    _interpret(run, frames, state)


def _frames_left(frames: list) -> int:
    """Frames the channel may still bring: a ready frame, then one result (or one failure
    instead of both); anything beyond is refused before it is parsed."""
    if not frames:
        return 2
    return max(0, (2 if frames[0].kind == b"R" else 1) - len(frames))


def _drain(pipes: _Pipes, out: _Capped, err: _Capped, res: bytearray, max_result: int) -> None:
    """Whatever the killed child left in the pipes (bounded)."""
    for fd, target in ((pipes.out_r, out), (pipes.err_r, err), (pipes.res_r, res)):
        for _ in range(64):
            try:
                chunk = os.read(fd, 1 << 16)
            except OSError:
                break
            if not chunk:
                break
            if isinstance(target, bytearray):
                if len(target) < max_result:
                    target += chunk
            else:
                target.add(chunk)


def _ready(run: CodeRun, frame: Any, pid: int, job: dict, limits: dict, pipes: _Pipes) -> bool:
    """Check the child from outside; send the go when every required layer is in force."""
    if frame.kind == b"E":
        return False  # the harness could not set up; reported by _interpret
    try:
        claims = read_ready(frame)
    except ResultError as exc:
        _set_unavailable(run, f"the child's ready report is malformed: {exc}")
        return False
    hpid = cm.harness_pid(pid, run.outer or "builtin")
    if hpid is None:
        _set_unavailable(run, "the contained child could not be found under bubblewrap")
        return False
    seen = cm.inspect_child(hpid, uid=job["uid"], limits=limits, outer=run.outer or "builtin",
                            claims=claims)
    run.layers = seen.layers
    run.network = "netns" if "net" in seen.layers.get("namespaces", "") else "host"
    if claims.get("isolation_error"):
        run.layers["isolation"] = f"namespaces unavailable ({claims['isolation_error']})"
    if seen.missing:
        _set_unavailable(run, "; ".join(seen.missing))
        return False
    try:
        os.write(pipes.job_w, b"G")
    except OSError:
        return False
    pipes._close("job_w")
    return True


def _set_unavailable(run: CodeRun, why: str) -> None:
    run.reason = "sandbox_unavailable"
    run.diagnostics = [_diag(
        "sandbox-unavailable", f"code mode cannot run safely here: {why}",
        "run formalize as root, install bubblewrap, or allow unprivileged user namespaces "
        "(sysctl kernel.unprivileged_userns_clone=1)")]


def _interpret(run: CodeRun, frames: list, state: dict) -> None:
    """The run's reason from what the parent saw: timeout, signals, then the frames."""
    if state["timed_out"]:
        run.reason = "timeout"
        return
    problem = state["problem"]
    if problem is None:
        rest = frames[1:] if frames and frames[0].kind == b"R" else frames
        if frames and frames[0].kind == b"E":  # the harness failed before the ready frame
            rest = frames
        if len(rest) > 1:
            problem = ResultError("the result channel holds more than one result")
        elif rest:
            frame = rest[0]
            try:
                if frame.kind == b"E":
                    _failure(run, read_failure(frame))
                    return
                model = read_model(frame)
            except ResultError as exc:
                problem = exc
            else:
                _accept(run, model)
                return
    if problem is not None:
        run.reason = "bad_result"
        run.diagnostics = [_diag(problem.code, visible(str(problem)), "",
                                 symbol=None if problem.symbol is None else visible(problem.symbol))]
        return
    if _signal_of(run) == signal.SIGXCPU:
        run.reason = "cpu_limit"
    elif "MemoryError" in run.stderr or "bad_alloc" in run.stderr:
        run.reason = "memory_limit"
    else:
        run.reason = "killed"


def _signal_of(run: CodeRun) -> int | None:
    """The signal that ended the program (bubblewrap reports it as status 128 + signal)."""
    rc = run.returncode
    if rc is None:
        return None
    if rc < 0:
        return -rc
    if run.outer == "bwrap" and 128 < rc < 128 + 65:
        return rc - 128
    return None


def _failure(run: CodeRun, f: Failure) -> None:
    run.reason = "sandbox_unavailable" if f.reason == "sandbox_error" else f.reason
    where = f" at line {f.line}" if f.line else ""
    run.diagnostics = [_diag(f.code, f"{f.error}{where}", "", f.line, f.column, f.symbol)]


def _accept(run: CodeRun, model: HarvestedModel | bytes) -> None:
    run.reason = "ok"
    if isinstance(model, bytes):
        run.library, run.model_format, run.model_data = "cpsat", "cpsat-text", model
        return
    run.library, run.model_format, run.model = model.library, "arrays", model
    run.objective_offset = model.offset
    run.names = {}
    for col, var, idx in zip(model.columns, model.column_var, model.column_index):
        run.names.setdefault(col, (var, idx))


_HINTS = {
    "sandbox-refused": "the program may only build a model: no files outside its directory, "
    "processes, network or system calls",
    "solve-call": "remove the solver call; leave the built model in a variable named `model` and "
    "formalize solves it with HiGHS or CP-SAT",
    "runtime-error": "fix the code at this line",
    "syntax-error": "fix the Python syntax at this line",
    "missing-model": "assign the built model to a variable named `model`, e.g. "
    "`model = pyo.ConcreteModel()` / `model = pulp.LpProblem(...)` / `model = cp_model.CpModel()`",
    "bad-model": "leave a pyomo.environ.ConcreteModel, pulp.LpProblem or cp_model.CpModel in "
    "`model`, with linear constraints and a linear or quadratic objective (or a valid CP-SAT "
    "model)",
    "bad-result": "only build the model; do not write to file descriptors the program did not "
    "open",
}


def _describe(run: CodeRun, timeout: float, cpu: int, memory_mb: int, max_file_mb: int,
              disk_mb: int, nofile: int, max_result_mb: int) -> None:
    """Fill in the message and hint of limit diagnostics (the parent knows the limits)."""
    limit_diags = {
        "timeout": ("timeout", f"the program ran longer than {timeout:g} s and was killed",
                    "build the model directly; avoid long loops, sleeps or searching for a "
                    "solution yourself"),
        "cpu_limit": ("cpu-limit", f"the program used more than {cpu} s of CPU time and was "
                      "stopped", "only build the model; do not search or enumerate solutions "
                      "in Python"),
    }
    if run.reason in limit_diags and not run.diagnostics:
        code, msg, hint = limit_diags[run.reason]
        run.diagnostics = [_diag(code, msg, hint)]
    if run.reason in ("killed", "memory_limit") and not run.diagnostics:
        rc, sig = run.returncode, _signal_of(run)
        name = None
        if sig is not None:
            with contextlib.suppress(ValueError):
                name = signal.Signals(sig).name
        what = f"was killed by {name}" if name else f"exited with status {rc}"
        memory = run.reason == "memory_limit"
        run.diagnostics = [_diag(
            "memory-limit" if memory else "killed",
            f"the program {what} before its model was read back"
            + (f" (memory limit {memory_mb} MB)" if memory else ""),
            "only build the model and leave it in `model`; do not exit or kill the process")]
    hints = {
        **_HINTS,
        "memory-limit": f"the program exceeded {memory_mb} MB; build the model without huge "
        "intermediate data",
        "file-limit": f"a file exceeded {max_file_mb} MB; the program must not write files",
        "disk-limit": f"the program wrote more than {disk_mb} MB in total; it must not write files",
        "fd-limit": f"the program opened more than {nofile} files at once; it must not open files",
        "result-too-large": f"the built model is larger than {max_result_mb} MB; build a smaller "
        "model or aggregate the data",
    }
    run.diagnostics = [d if d.hint else replace(d, hint=hints.get(d.code, "only build the model"))
                       for d in run.diagnostics]
