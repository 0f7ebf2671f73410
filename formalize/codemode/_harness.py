"""Child-side harness for code mode (runs as `python -I _harness.py WORKDIR`, never imported).

Order: read the job → pre-import the modelling libraries → lock the process down (Landlock file
system and TCP rules, a seccomp filter against fork/exec/sockets/ptrace, a Python audit hook) →
run the user's code → write the built `model` to WORKDIR → write `_result.json`.
Self-contained on purpose: it imports nothing from formalize or solvers.
"""

from __future__ import annotations

import ctypes
import errno
import json
import os
import struct
import sys
import traceback

CODE_FILENAME = "<model code>"
RESULT = "_result.json"
CONTAINMENT = "_containment.json"

# --- kernel layer: Landlock -----------------------------------------------------------------
_SYS_LANDLOCK_CREATE_RULESET, _SYS_LANDLOCK_ADD_RULE, _SYS_LANDLOCK_RESTRICT_SELF = 444, 445, 446
_PR_SET_NO_NEW_PRIVS, _PR_SET_SECCOMP, _SECCOMP_MODE_FILTER = 38, 22, 2
_FS_READ = 1 | 4 | 8  # execute, read file, read dir
_FS_ALL_V1 = (1 << 13) - 1
_libc = ctypes.CDLL(None, use_errno=True)
_libc.syscall.restype = ctypes.c_long


def _landlock(workdir: str, read_roots: list[str]) -> str | None:
    """Restrict the file system to read-only `read_roots` + read-write `workdir`, deny TCP and
    signals to other processes. Returns a description, or None when Landlock is unavailable."""
    abi = _libc.syscall(_SYS_LANDLOCK_CREATE_RULESET, None, 0, 1)
    if abi < 1:
        return None
    fs = _FS_ALL_V1
    if abi >= 2:
        fs |= 1 << 13  # refer
    if abi >= 3:
        fs |= 1 << 14  # truncate
    if abi >= 5:
        fs |= 1 << 15  # ioctl on devices
    net = 3 if abi >= 4 else 0  # bind + connect TCP: no rule grants them
    scoped = 3 if abi >= 6 else 0  # abstract unix sockets + signals outside the domain
    if abi >= 6:
        attr = struct.pack("QQQ", fs, net, scoped)
    elif abi >= 4:
        attr = struct.pack("QQ", fs, net)
    else:
        attr = struct.pack("Q", fs)
    buf = ctypes.create_string_buffer(attr, len(attr))
    rfd = _libc.syscall(_SYS_LANDLOCK_CREATE_RULESET, buf, len(attr), 0)
    if rfd < 0:
        return None
    write_rights = fs & ~(1 << 15) if abi >= 5 else fs
    rules = [(p, fs & _FS_READ) for p in read_roots] + [(workdir, write_rights)]
    rules.append(("/dev/null", 2 | 4 | (1 << 14 if abi >= 3 else 0)))
    for path, access in rules:
        try:
            fd = os.open(path, os.O_PATH | os.O_CLOEXEC)
        except OSError:
            continue
        if os.path.isfile(path) or path == "/dev/null":
            access &= 2 | 4 | (1 << 14) | 1  # file rules may only carry file rights
        rule = ctypes.create_string_buffer(struct.pack("=Qi", access, fd), 12)
        _libc.syscall(_SYS_LANDLOCK_ADD_RULE, rfd, 1, rule, 0)
        os.close(fd)
    _libc.prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)
    ok = _libc.syscall(_SYS_LANDLOCK_RESTRICT_SELF, rfd, 0) == 0
    os.close(rfd)
    if not ok:
        return None
    parts = ["fs"] + (["tcp"] if net else []) + (["signals"] if scoped else [])
    return f"landlock-abi{abi}({'+'.join(parts)})"


# --- kernel layer: seccomp ------------------------------------------------------------------
_X86_64 = 0xC000003E
_ERRNO = 0x00050000
_ALLOW = 0x7FFF0000
_KILL_PROCESS = 0x80000000
# x86_64 syscall numbers refused with EPERM: execve, execveat, fork, vfork, socket, ptrace,
# process_vm_readv/writev, mount, umount2, unshare, setns, pivot_root, chroot, kexec_load,
# init/finit/delete_module, bpf, perf_event_open, keyctl, add_key, request_key, pidfd_open,
# pidfd_send_signal, pidfd_getfd, tkill.
_DENY = [
    59,
    322,
    57,
    58,
    41,
    101,
    310,
    311,
    165,
    166,
    272,
    308,
    155,
    161,
    246,
    175,
    313,
    176,
    321,
    298,
    250,
    248,
    249,
    434,
    424,
    438,
    200,
]
_CLONE, _CLONE3, _KILL = 56, 435, 62
_CLONE_THREAD = 0x00010000


def _bpf(code: int, jt: int, jf: int, k: int) -> bytes:
    return struct.pack("HBBI", code, jt, jf, k & 0xFFFFFFFF)


def _seccomp() -> str | None:
    """Refuse new processes, program execution, sockets, ptrace, namespaces and signals to other
    processes at the kernel level (x86_64 only). Threads (clone with CLONE_THREAD) stay allowed."""
    import platform

    if platform.machine() != "x86_64":
        return None
    ld_w, jeq, jset, ret = 0x20, 0x15, 0x45, 0x06
    eperm = _ERRNO | errno.EPERM
    prog = [
        _bpf(ld_w, 0, 0, 4),
        _bpf(jeq, 1, 0, _X86_64),
        _bpf(ret, 0, 0, _KILL_PROCESS),
        _bpf(ld_w, 0, 0, 0),
        _bpf(0x45, 0, 1, 0x40000000),
        _bpf(ret, 0, 0, eperm),
    ]
    for nr in _DENY:
        prog += [_bpf(jeq, 0, 1, nr), _bpf(ret, 0, 0, eperm)]
    prog += [_bpf(jeq, 0, 1, _CLONE3), _bpf(ret, 0, 0, _ERRNO | errno.ENOSYS)]
    # clone: allow only threads
    prog += [
        _bpf(jeq, 0, 4, _CLONE),
        _bpf(ld_w, 0, 0, 16),
        _bpf(jset, 0, 1, _CLONE_THREAD),
        _bpf(ret, 0, 0, _ALLOW),
        _bpf(ret, 0, 0, eperm),
    ]
    # kill: only this process (pid == self, or 0 = own process group, which is ours alone)
    pid = os.getpid()
    prog += [
        _bpf(ld_w, 0, 0, 0),
        _bpf(jeq, 0, 5, _KILL),
        _bpf(ld_w, 0, 0, 16),
        _bpf(jeq, 2, 0, pid),
        _bpf(jeq, 1, 0, 0),
        _bpf(ret, 0, 0, eperm),
        _bpf(ret, 0, 0, _ALLOW),
    ]
    prog += [_bpf(ret, 0, 0, _ALLOW)]
    filt = b"".join(prog)
    buf = ctypes.create_string_buffer(filt, len(filt))

    class SockFprog(ctypes.Structure):
        _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]

    fprog = SockFprog(len(prog), ctypes.cast(buf, ctypes.c_void_p))
    _libc.prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)
    if _libc.prctl(_PR_SET_SECCOMP, _SECCOMP_MODE_FILTER, ctypes.byref(fprog), 0, 0) != 0:
        return None
    return "seccomp(no fork/exec/socket/ptrace/kill-others)"


# --- Python layer: audit hook ---------------------------------------------------------------
class SandboxViolation(PermissionError):
    """Raised by the audit hook when the program tries something outside the sandbox."""


_REFUSED_PREFIXES = (
    "os.system",
    "os.fork",
    "os.forkpty",
    "os.posix_spawn",
    "os.spawn",
    "os.exec",
    "os.kill",
    "os.killpg",
    "os.startfile",
    "subprocess.",
    "pty.",
    "socket.",
    "ctypes.",
    "resource.",
    "gc.get_",
    "sys.setprofile",
    "sys.settrace",
    "os.symlink",
    "os.link",
    "signal.pthread_kill",
    "os.setuid",
    "os.setgid",
    "os.chroot",
    "os.mknod",
    "os.mkfifo",
    "builtins.input",
    "sys.addaudithook",
    "cpython.run_",
    "webbrowser.",
)
_PATH_EVENTS = {
    "os.remove",
    "os.rename",
    "os.replace",
    "os.rmdir",
    "os.mkdir",
    "os.chmod",
    "os.chown",
    "os.truncate",
    "os.utime",
    "os.chdir",
    "os.chflags",
    "os.setxattr",
    "os.removexattr",
    "shutil.copyfile",
    "shutil.copymode",
    "shutil.copystat",
    "shutil.copytree",
    "shutil.move",
    "shutil.rmtree",
    "shutil.chown",
    "shutil.make_archive",
    "shutil.unpack_archive",
}
_BLOCKED_IMPORTS = {
    "ctypes",
    "_ctypes",
    "socket",
    "_socket",
    "_posixsubprocess",
    "pty",
    "multiprocessing",
    "_multiprocessing",
    "ssl",
    "_ssl",
    "urllib.request",
    "http.client",
    "ftplib",
    "smtplib",
    "asyncio",
    "mmap",
    "fcntl",
    "resource",
    "webbrowser",
    "_xxsubinterpreters",
}


def _within(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip("/") + "/")


def _install_audit_hook(workdir: str, read_roots: list[str]) -> None:
    wd = os.path.realpath(workdir)
    roots = [os.path.realpath(r) for r in read_roots]
    realpath, fsdecode = os.path.realpath, os.fsdecode

    def resolve(p: object) -> str | None:
        if isinstance(p, int) or p is None:
            return None
        try:
            return realpath(fsdecode(p))  # type: ignore[arg-type]
        except Exception:
            return "\0invalid"

    def hook(event: str, args: tuple) -> None:
        if event == "open":
            path = resolve(args[0])
            if path is None:
                return
            mode = args[1] if len(args) > 1 and isinstance(args[1], str) else ""
            flags = args[2] if len(args) > 2 and isinstance(args[2], int) else 0
            writing = any(c in mode for c in "wax+") or bool(
                flags & (os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC)
            )
            if _within(path, wd) or path == "/dev/null":
                return
            if not writing and any(_within(path, r) for r in roots):
                return
            raise SandboxViolation(
                f"sandbox: opening {args[0]!r} is not allowed (only the work directory is writable)"
            )
        if event.startswith(_REFUSED_PREFIXES):
            raise SandboxViolation(f"sandbox: '{event}' is not allowed")
        if event in _PATH_EVENTS or event in ("os.listdir", "os.scandir"):
            for a in args:
                path = resolve(a) if isinstance(a, (str, bytes, os.PathLike)) else None
                if path is None:
                    continue
                listing = event in ("os.listdir", "os.scandir")
                if not (_within(path, wd) or (listing and any(_within(path, r) for r in roots))):
                    raise SandboxViolation(f"sandbox: '{event}' on {a!r} is not allowed")
        elif event == "import":
            name = args[0]
            if name in _BLOCKED_IMPORTS or name.split(".")[0] in _BLOCKED_IMPORTS:
                raise SandboxViolation(f"sandbox: importing '{name}' is not allowed")

    sys.addaudithook(hook)


def _refuse(*_a: object, **_k: object) -> None:
    raise SandboxViolation("sandbox: starting processes is not allowed")


# --- harvest --------------------------------------------------------------------------------
def _jsonable(v: object) -> object:
    if isinstance(v, (bool, int, float, str)) or v is None:
        return v
    if isinstance(v, tuple):
        return [_jsonable(x) for x in v]
    return str(v)


def _export(model: object, workdir: str, libs: dict[str, object]) -> dict:
    """Write the model to WORKDIR; return the harvest record."""
    pyo = libs.get("pyomo")
    pulp = libs.get("pulp")
    cp = libs.get("cpsat")
    if pyo is not None and isinstance(model, pyo.ConcreteModel):  # type: ignore[attr-defined]
        path = os.path.join(workdir, "model.lp")
        _, smap_id = model.write(path, io_options={"symbolic_solver_labels": True})
        smap = model.solutions.symbol_map[smap_id]
        names = {}
        for label, obj in smap.bySymbol.items():
            if getattr(obj, "ctype", None) is pyo.Var and label != "ONE_VAR_CONSTANT":  # type: ignore[attr-defined]
                idx = obj.index()
                idx = () if idx is None else (idx if isinstance(idx, tuple) else (idx,))
                names[label] = [obj.parent_component().name, _jsonable(idx)]
        return {
            "library": "pyomo",
            "format": "lp",
            "file": "model.lp",
            "names": names,
            "internal": ["ONE_VAR_CONSTANT"],
            "objective_offset": 0.0,
        }
    if pulp is not None and isinstance(model, pulp.LpProblem):  # type: ignore[attr-defined]
        path = os.path.join(workdir, "model.lp")
        model.writeLP(path)
        names = {v.name: [v.name, []] for v in model.variables()}
        offset = float(model.objective.constant) if model.objective is not None else 0.0
        return {
            "library": "pulp",
            "format": "lp",
            "file": "model.lp",
            "names": names,
            "internal": ["__dummy"],
            "objective_offset": offset,
        }
    if cp is not None and isinstance(model, cp.CpModel):  # type: ignore[attr-defined]
        from ortools.sat.python import cp_model_helper as cmh

        problem = cmh.CpSatHelper.validate_model(model.proto)
        if problem:
            raise ValueError(f"invalid CP-SAT model: {problem}")
        path = os.path.join(workdir, "model.pbtxt")  # text: the parent parses it in C++
        if not model.export_to_file(path):
            raise OSError("CP-SAT could not write the model")
        return {
            "library": "cpsat",
            "format": "cpsat-text",
            "file": "model.pbtxt",
            "names": {},
            "internal": [],
            "objective_offset": 0.0,
        }
    raise TypeError(
        f"`model` is a {type(model).__module__}.{type(model).__name__}, not a "
        "pyomo.environ.ConcreteModel, pulp.LpProblem or cp_model.CpModel"
    )


def _user_line(exc: BaseException) -> tuple[int | None, int | None, str | None]:
    line = col = None
    text = None
    for frame in traceback.extract_tb(exc.__traceback__):
        if frame.filename == CODE_FILENAME:
            line, col = frame.lineno, getattr(frame, "colno", None)
    if isinstance(exc, SyntaxError) and exc.filename == CODE_FILENAME:
        line, col, text = exc.lineno, exc.offset, exc.text
    return (
        line,
        (col + 1 if isinstance(col, int) and not isinstance(exc, SyntaxError) else col),
        text,
    )


def _classify(exc: BaseException) -> str:
    if isinstance(exc, MemoryError):
        return "memory_limit"
    if isinstance(exc, OSError) and exc.errno == errno.EFBIG:
        return "file_limit"
    if isinstance(exc, SandboxViolation):
        return "refused"
    if isinstance(exc, PermissionError) or (
        isinstance(exc, OSError) and exc.errno in (errno.EPERM, errno.EACCES, errno.ENETUNREACH)
    ):
        return "refused"
    return "runtime_error"


def main() -> None:
    workdir = os.path.realpath(sys.argv[1])
    os.chdir(workdir)
    with open(os.path.join(workdir, "_job.json")) as f:
        job = json.load(f)
    result_path = os.path.join(workdir, RESULT)
    libs: dict[str, object] = {}
    wanted = job.get("libraries", ["pyomo", "pulp", "cpsat"])
    if "pyomo" in wanted:
        import pyomo.environ as pyo
        import pyomo.repn.plugins.lp_writer  # noqa: F401  (the LP writer, loaded before lock-down)

        libs["pyomo"] = pyo
    if "pulp" in wanted:
        import pulp

        libs["pulp"] = pulp
    if "cpsat" in wanted:
        from ortools.sat.python import cp_model, cp_model_helper  # noqa: F401

        libs["cpsat"] = cp_model
    import subprocess  # noqa: F401  (so its module is patched below, whoever imported it)

    src = job["source"]
    try:
        code = compile(src, CODE_FILENAME, "exec")
    except SyntaxError as exc:
        line, col, text = _user_line(exc)
        _write(
            result_path,
            {
                "reason": "runtime_error",
                "error": f"SyntaxError: {exc.msg}",
                "line": line,
                "column": col,
                "text": text,
            },
        )
        return

    read_roots = sorted(
        {
            p
            for p in [
                sys.prefix,
                sys.base_prefix,
                sys.exec_prefix,
                *[q for q in sys.path if q and os.path.isdir(q)],
            ]
        }
    )
    containment = []
    ll = _landlock(workdir, read_roots)
    if ll:
        containment.append(ll)
    sc = _seccomp()
    if sc:
        containment.append(sc)
    if job.get("audit_hook", True):  # switched off only by tests of the kernel layers
        import _posixsubprocess

        _posixsubprocess.fork_exec = _refuse  # not audited by CPython; seccomp refuses it too
        _install_audit_hook(workdir, read_roots)
        containment.append("audit-hook")
    parent_net = os.environ.get("FORMALIZE_PARENT_NETNS")
    try:
        own_net = os.readlink("/proc/self/ns/net")
    except OSError:
        own_net = None
    net = "netns" if parent_net and own_net and parent_net != own_net else "none"
    _write(os.path.join(workdir, CONTAINMENT), {"layers": containment, "network": net})

    glb: dict[str, object] = {"__name__": "__main__", "__builtins__": __builtins__}
    try:
        exec(code, glb)
    except BaseException as exc:  # noqa: BLE001 - every failure becomes a located diagnostic
        line, col, _ = _user_line(exc)
        msg = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        if isinstance(exc, SystemExit):
            msg = f"the program exited (SystemExit {exc.code!r}) before leaving `model`"
        _write(
            result_path,
            {"reason": _classify(exc), "error": msg[:2000], "line": line, "column": col},
        )
        return
    sys.stdout.flush()
    if "model" not in glb:
        _write(
            result_path,
            {"reason": "no_model", "error": "the program did not leave a variable named `model`"},
        )
        return
    try:
        record = _export(glb["model"], workdir, libs)
    except BaseException as exc:  # noqa: BLE001
        reason = _classify(exc)
        _write(
            result_path,
            {
                "reason": "bad_model" if reason == "runtime_error" else reason,
                "error": f"{type(exc).__name__}: {exc}"[:2000],
            },
        )
        return
    record["reason"] = "ok"
    _write(result_path, record)


def _write(path: str, data: dict) -> None:
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(data, f)
    os.replace(tmp, path)


if __name__ == "__main__":
    main()
