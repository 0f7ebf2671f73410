"""Run model-building code in a contained child process and collect the built model.

Layers (outermost first), each assuming the ones inside it failed:
- parent side, in `preexec_fn`: a new session (the wall timeout kills the whole process group),
  RLIMIT_CPU / RLIMIT_AS / RLIMIT_FSIZE / RLIMIT_NPROC / RLIMIT_CORE, and a fresh network
  namespace (`unshare(CLONE_NEWNET)`: no interface but a downed loopback) where permitted;
- a minimal environment (nothing inherited from the parent), a fresh 0700 work directory, stdin
  closed, `python -I` (no PYTHON* variables, no user site);
- in the child, after the modelling libraries are imported (`_harness.py`): Landlock (read-only
  Python installation, read-write work directory, no TCP, no signals out), a seccomp filter (no
  fork/exec/socket/ptrace/namespaces/kill of others) and a Python audit hook (friendly refusals).
RLIMIT_NPROC is not enforced for root; as root, seccomp and the audit hook are what stop forks.
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from formalize.codemode.allowlist import check_code, libraries_used
from solvers.diagnostics import Diagnostic, Location

HARNESS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "_harness.py")
_CLONE_NEWNET = 0x40000000
_CLONE_NEWUSER = 0x10000000
try:
    _LIBC: Any = ctypes.CDLL(None, use_errno=True)
except OSError:  # pragma: no cover - non-glibc platforms
    _LIBC = None

REASONS = (
    "ok",
    "refused",
    "runtime_error",
    "no_model",
    "bad_model",
    "timeout",
    "cpu_limit",
    "memory_limit",
    "file_limit",
    "killed",
)


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
    model_format: str | None = None  # "lp" | "cpsat-text"
    model_data: bytes | None = None
    names: dict[str, tuple[str, tuple]] = field(default_factory=dict)  # column -> (var, index)
    internal_columns: list[str] = field(default_factory=list)  # helper columns, not user variables
    objective_offset: float = 0.0  # constant the file format dropped (PuLP)
    containment: list[str] = field(default_factory=list)  # layers that were in force
    network: str = "unknown"  # "netns" (own network namespace) or "audit-hook" (Python-level only)

    @property
    def ok(self) -> bool:
        return self.reason == "ok"


def _diag(
    code: str,
    message: str,
    hint: str,
    line: int | None = None,
    column: int | None = None,
    symbol: str | None = None,
) -> Diagnostic:
    return Diagnostic(
        code=code,
        message=message,
        location=Location(
            section="code", field=f"line {line}" if line else None, column=column, symbol=symbol
        ),
        hint=hint,
    )


def _preexec(cpu: int, mem: int, fsize: int, nproc: int) -> None:
    """Runs in the child between fork and exec: limits, new session, own network namespace."""
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
    resource.setrlimit(resource.RLIMIT_AS, (mem, mem))
    resource.setrlimit(resource.RLIMIT_FSIZE, (fsize, fsize))
    resource.setrlimit(resource.RLIMIT_NPROC, (nproc, nproc))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    if _LIBC is not None and _LIBC.unshare(_CLONE_NEWNET) != 0:
        _LIBC.unshare(_CLONE_NEWUSER | _CLONE_NEWNET)  # unprivileged: a user namespace first


class _Reader(threading.Thread):
    """Drains a pipe, keeping at most `limit` bytes (the rest is counted and dropped)."""

    def __init__(self, stream: Any, limit: int) -> None:
        super().__init__(daemon=True)
        self.stream, self.limit = stream, limit
        self.buf = bytearray()
        self.dropped = 0

    def run(self) -> None:
        while True:
            chunk = self.stream.read1(65536) if hasattr(self.stream, "read1") else b""
            if not chunk:
                break
            room = self.limit - len(self.buf)
            if room > 0:
                self.buf += chunk[:room]
            self.dropped += max(0, len(chunk) - max(room, 0))

    def text(self) -> str:
        out = self.buf.decode("utf-8", "replace")
        if self.dropped:
            out += f"\n... [{self.dropped} more bytes truncated]"
        return out


def _child_env(workdir: str) -> dict[str, str]:
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": workdir,
        "TMPDIR": workdir,
        "LANG": "C.UTF-8",
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONHASHSEED": "0",
        "OPENBLAS_NUM_THREADS": "1",
        "OMP_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
        "NUMEXPR_NUM_THREADS": "1",
    }
    with contextlib.suppress(OSError):
        env["FORMALIZE_PARENT_NETNS"] = os.readlink("/proc/self/ns/net")
    return env


def run_code(
    src: str,
    *,
    timeout: float = 20.0,
    cpu_seconds: int | None = None,
    memory_mb: int = 1024,
    max_file_mb: int = 64,
    max_output: int = 64 * 1024,
    max_processes: int = 64,
    _skip_allowlist: bool = False,
    _audit_hook: bool = True,
) -> CodeRun:
    """Check `src` with the allow-list, run it contained, and harvest the model it leaves.

    `memory_mb` bounds the address space: importing pyomo + pulp + CP-SAT together peaks at
    ~310 MB of virtual memory here, so keep it at 512 or more. `_skip_allowlist` and
    `_audit_hook=False` are for tests that prove the inner layers on their own.
    """
    start = time.perf_counter()
    if not _skip_allowlist:
        diags = check_code(src)
        if diags:
            return CodeRun(
                reason="refused", diagnostics=diags, wall_time=time.perf_counter() - start
            )
    cpu = int(cpu_seconds if cpu_seconds is not None else max(1, round(timeout)))
    workdir = tempfile.mkdtemp(prefix="formalize-code-")
    os.chmod(workdir, 0o700)
    try:
        with open(os.path.join(workdir, "_job.json"), "w") as f:
            json.dump(
                {"source": src, "libraries": libraries_used(src), "audit_hook": _audit_hook}, f
            )
        return _run(
            src, workdir, start, timeout, cpu, memory_mb, max_file_mb, max_output, max_processes
        )
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def _run(
    src: str,
    workdir: str,
    start: float,
    timeout: float,
    cpu: int,
    memory_mb: int,
    max_file_mb: int,
    max_output: int,
    max_processes: int,
) -> CodeRun:
    mem, fsize = memory_mb * 1024 * 1024, max_file_mb * 1024 * 1024
    proc = subprocess.Popen(
        [sys.executable, "-I", "-X", "utf8", HARNESS, workdir],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=workdir,
        env=_child_env(workdir),
        close_fds=True,
        start_new_session=True,
        preexec_fn=lambda: _preexec(cpu, mem, fsize, max_processes),  # noqa: PLW1509
    )
    readers = [_Reader(proc.stdout, max_output), _Reader(proc.stderr, max_output)]
    for r in readers:
        r.start()
    timed_out = False
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        timed_out = True
    finally:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)  # the whole group, whatever it spawned
        proc.wait()
    for r in readers:
        r.join(timeout=2.0)
    run = CodeRun(
        reason="ok",
        stdout=readers[0].text(),
        stderr=readers[1].text(),
        stdout_truncated=readers[0].dropped > 0,
        stderr_truncated=readers[1].dropped > 0,
        returncode=proc.returncode,
    )
    _read_containment(run, workdir)
    result = _read_json(os.path.join(workdir, "_result.json"))
    _interpret(run, result, timed_out, timeout, cpu, memory_mb, max_file_mb, workdir)
    run.wall_time = time.perf_counter() - start
    return run


def _read_json(path: str) -> dict | None:
    try:
        with open(path, "rb") as f:
            data = json.loads(f.read(8 * 1024 * 1024))
        return data if isinstance(data, dict) else None
    except (OSError, ValueError):
        return None


def _read_containment(run: CodeRun, workdir: str) -> None:
    info = _read_json(os.path.join(workdir, "_containment.json")) or {}
    layers = ["rlimits(cpu,as,fsize,nproc)", "new-session", "minimal-env", "fresh-tmpdir"]
    net = info.get("network")
    if net == "netns":
        layers.append("netns")
        run.network = "netns"
    else:
        run.network = "audit-hook"
    run.containment = layers + [str(x) for x in info.get("layers", [])]


def _interpret(
    run: CodeRun,
    result: dict | None,
    timed_out: bool,
    timeout: float,
    cpu: int,
    memory_mb: int,
    max_file_mb: int,
    workdir: str,
) -> None:
    rc = run.returncode
    if timed_out:
        run.reason = "timeout"
        run.diagnostics = [
            _diag(
                "timeout",
                f"the program ran longer than {timeout:g} s and was killed",
                "build the model directly; avoid long loops, sleeps "
                "or searching for a solution yourself",
            )
        ]
        return
    if rc == -signal.SIGXCPU and result is None:
        run.reason = "cpu_limit"
        run.diagnostics = [
            _diag(
                "cpu-limit",
                f"the program used more than {cpu} s of CPU time and was stopped",
                "only build the model; do not search or enumerate solutions in Python",
            )
        ]
        return
    if result is None:
        name = signal.Signals(-rc).name if rc is not None and rc < 0 else None
        memoryish = "MemoryError" in run.stderr or "bad_alloc" in run.stderr
        run.reason = "memory_limit" if memoryish else "killed"
        what = f"killed by {name}" if name else f"exited with status {rc}"
        run.diagnostics = [
            _diag(
                "memory-limit" if memoryish else "killed",
                f"the program {what} before the model was harvested"
                + (f" (memory limit {memory_mb} MB)" if memoryish else ""),
                "only build the model and leave it in `model`; do not exit or kill the process",
            )
        ]
        return
    reason = str(result.get("reason", "killed"))
    run.reason = reason if reason in REASONS else "killed"
    line = result.get("line") if isinstance(result.get("line"), int) else None
    col = result.get("column") if isinstance(result.get("column"), int) else None
    err = str(result.get("error", ""))
    if run.reason == "ok":
        _harvest(run, result, workdir)
        return
    code, hint = {
        "refused": (
            "sandbox-refused",
            "the program may only build a model: no files outside "
            "its directory, processes, network or system calls",
        ),
        "runtime_error": ("runtime-error", "fix the code at this line"),
        "no_model": (
            "missing-model",
            "assign the built model to a variable named `model`, "
            "e.g. `model = pyo.ConcreteModel()` / `model = pulp.LpProblem(...)` / "
            "`model = cp_model.CpModel()`",
        ),
        "bad_model": (
            "bad-model",
            "leave a pyomo.environ.ConcreteModel, pulp.LpProblem or "
            "cp_model.CpModel in `model`, with a linear objective and constraints "
            "(or a valid CP-SAT model)",
        ),
        "memory_limit": (
            "memory-limit",
            f"the program exceeded {memory_mb} MB; build the model without huge intermediate data",
        ),
        "file_limit": (
            "file-limit",
            f"a file exceeded {max_file_mb} MB; the program must not write files",
        ),
    }.get(run.reason, ("killed", "only build the model"))
    where = f" at line {line}" if line else ""
    run.diagnostics = [
        _diag(code, f"{err}{where}" if err else f"{run.reason}{where}", hint, line=line, column=col)
    ]


def _harvest(run: CodeRun, result: dict, workdir: str) -> None:
    fname = str(result.get("file", ""))
    path = os.path.join(workdir, os.path.basename(fname))
    try:
        with open(path, "rb") as f:
            run.model_data = f.read()
    except OSError as exc:
        run.reason = "bad_model"
        run.diagnostics = [
            _diag(
                "bad-model",
                f"the harness wrote no model file: {exc}",
                "leave the built model in `model`",
            )
        ]
        return
    run.library = str(result.get("library"))
    run.model_format = str(result.get("format"))
    run.objective_offset = float(result.get("objective_offset") or 0.0)
    run.internal_columns = [str(c) for c in result.get("internal", [])]
    names = result.get("names") or {}
    run.names = {
        str(col): (str(v[0]), tuple(tuple(x) if isinstance(x, list) else x for x in v[1]))
        for col, v in names.items()
        if isinstance(v, list) and len(v) == 2 and isinstance(v[1], list)
    }
