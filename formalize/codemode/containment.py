"""The parent's side of containment: how the child is started, checked from outside, killed and
cleaned up after. Nothing here reads a file the child wrote.

Two ways to start the child, the same layers inside:
- **bubblewrap** (`bwrap`, where installed and usable): new PID, network, IPC, UTS and cgroup
  namespaces and a minimal read-only root (system /usr, the Python installation, a few device
  files, the work directory as a size-limited tmpfs), dies with its parent;
- **built-in**: the harness builds the same namespaces and root itself (`unshare` + bind mounts
  + `pivot_root`; as root directly, otherwise inside a user namespace), without a PID namespace.
Either way the harness then drops to a per-run uid/gid (when formalize runs as root), clears
every capability set, sets no_new_privs, applies Landlock and a seccomp allow-list. The parent
then reads /proc/<pid>/status, ns/, limits and mountinfo of the child before letting the
program run, and refuses to run it when a required layer is missing.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import functools
import importlib.util
import os
import platform
import secrets
import shutil
import signal
import site
import struct
import subprocess
import sys
import time
from dataclasses import dataclass, field

HARNESS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "_harness.py")
HARNESS_INSIDE = "/formalize-harness.py"
WORKDIR_INSIDE = "/sandbox"
# In-process solvers the child must not load: hidden (an empty directory mounted over them).
HIDDEN_PACKAGES = (
    "highspy", "pyscipopt", "scipy", "cvxpy", "cvxopt", "gurobipy", "cplex", "docplex", "xpress",
    "mosek", "cylp", "swiglpk", "glpk", "osqp", "ecos", "scs", "clarabel", "pulp/solverdir",
    "ortools/linear_solver", "ortools/math_opt", "ortools/pdlp", "ortools/init",
)
LIBRARY_MODULES = ("pyomo", "pulp", "ortools", "numpy", "google.protobuf", "pandas", "absl")
DEVICES = ("/dev/null", "/dev/zero", "/dev/full", "/dev/random", "/dev/urandom")
UID_BASE, UID_SPAN = 2_000_000_000, 100_000_000  # per-run uids: no account, no files, no peers
_CAPS = ("CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb")


@dataclass
class Root:
    """What the child's minimal root holds (host paths, mounted at the same place inside)."""

    binds: list[tuple[str, str]]
    symlinks: list[tuple[str, str]]
    hidden: list[str]
    devices: list[str]
    site: list[str]  # sys.path entries for the child
    read_roots: list[str] = field(default_factory=list)

    def as_job(self) -> dict:
        return {"binds": self.binds, "symlinks": self.symlinks, "hidden": self.hidden,
                "devices": self.devices}


def _within(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip("/") + "/")


@functools.lru_cache(maxsize=1)
def minimal_root() -> Root:
    """The system's /usr, the Python installation and the modelling libraries' directories."""
    real = os.path.realpath
    dirs: list[str] = []
    for p in ("/usr", sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix,
              os.path.dirname(real(sys.executable))):
        if os.path.isdir(p):
            dirs.append(real(p))
    sites = [real(p) for p in site.getsitepackages() if os.path.isdir(p)]
    for mod in LIBRARY_MODULES:
        with contextlib.suppress(ImportError, ValueError):
            spec = importlib.util.find_spec(mod.split(".")[0])
            if spec is not None and spec.origin:
                sites.append(real(os.path.dirname(os.path.dirname(spec.origin))))
    dirs += sites
    top: list[str] = []
    for d in sorted(set(dirs), key=len):
        if not any(_within(d, t) for t in top):
            top.append(d)
    binds = [(d, d) for d in top]
    symlinks = []
    for name in sorted(os.listdir("/")):
        path = "/" + name
        if os.path.islink(path):
            target = os.readlink(path)
            if any(_within(real(path), t) for t in top):
                symlinks.append((target, path))
        elif name in ("lib", "lib64", "lib32", "libx32", "bin") and os.path.isdir(path):
            binds.append((path, path))  # not merged into /usr on this system
    files = [f for f in ("/etc/ld.so.cache",) if os.path.isfile(f)]
    binds += [(f, f) for f in files]
    hidden = sorted({os.path.join(s, h) for s in sites for h in HIDDEN_PACKAGES
                     if os.path.isdir(os.path.join(s, h))})
    site_path = []
    for p in sys.path:
        rp = real(p) if p else ""
        if rp and os.path.isdir(rp) and any(_within(rp, s) for s in sites) and rp not in site_path:
            site_path.append(rp)
    for s in sites:
        if s not in site_path:
            site_path.append(s)
    devices = [d for d in DEVICES if os.path.exists(d)]
    read_roots = [dst for _, dst in binds]
    return Root(binds, symlinks, hidden, devices, site_path, read_roots)


def run_uid() -> tuple[int, int]:
    """(uid, gid) for one run: a fresh unprivileged id when we are root, else our own."""
    if os.geteuid() != 0:
        return os.getuid(), os.getgid()
    uid = UID_BASE + secrets.randbelow(UID_SPAN)
    return uid, uid


# --- bubblewrap -----------------------------------------------------------------------------
def _bwrap_path() -> str | None:
    return shutil.which("bwrap")


def bwrap_command(root: Root, env: dict[str, str], disk_bytes: int, result_fd: int) -> list[str]:
    """The bwrap command line that starts the harness in its minimal root."""
    bwrap = _bwrap_path() or "bwrap"
    cmd = [bwrap, "--unshare-ipc", "--unshare-pid", "--unshare-net", "--unshare-uts",
           "--unshare-cgroup-try", "--die-with-parent", "--hostname", "sandbox"]
    if os.geteuid() == 0:  # privileged: the harness drops to the run's uid itself
        cmd += ["--cap-drop", "ALL"]
        # kept only until the harness has mounted the work directory (with an inode limit,
        # which bwrap cannot set) and dropped to the run's uid; the parent checks they are gone
        for cap in ("CAP_SETUID", "CAP_SETGID", "CAP_SETPCAP", "CAP_SYS_ADMIN"):
            cmd += ["--cap-add", cap]
    else:
        cmd += ["--unshare-user", "--disable-userns"]
    cmd.append("--clearenv")
    for k, v in env.items():
        cmd += ["--setenv", k, v]
    made: set[str] = {"/"}
    for src, dst in root.binds:
        parent = os.path.dirname(dst)
        chain = []
        while parent not in made:
            chain.append(parent)
            made.add(parent)
            parent = os.path.dirname(parent)
        for d in reversed(chain):
            cmd += ["--perms", "0755", "--dir", d]
        cmd += ["--ro-bind", src, dst]
        made.add(dst)
    for target, link in root.symlinks:
        cmd += ["--symlink", target, link]
    for path in root.hidden:
        cmd += ["--perms", "0555", "--tmpfs", path, "--remount-ro", path]
    cmd += ["--perms", "0755", "--dir", "/dev"]
    for dev in root.devices:
        cmd += ["--dev-bind", dev, dev]
    cmd += ["--size", str(disk_bytes), "--perms", "0700", "--tmpfs", WORKDIR_INSIDE]
    cmd += ["--ro-bind", HARNESS, HARNESS_INSIDE, "--chdir", WORKDIR_INSIDE, "--remount-ro", "/"]
    cmd += ["--", sys.executable, "-I", "-S", "-B", "-X", "utf8", HARNESS_INSIDE, str(result_fd)]
    return cmd


@functools.lru_cache(maxsize=2)
def bwrap_usable(euid: int) -> str | None:
    """None when bubblewrap is installed and starts a minimal root here; else why not."""
    if _bwrap_path() is None:
        return "bwrap is not installed"
    root = minimal_root()
    cmd = bwrap_command(root, {"PATH": "/usr/bin:/bin"}, 1 << 20, 2)
    cmd = cmd[: cmd.index("--") + 1] + [sys.executable, "-I", "-S", "-c", "pass"]
    try:
        r = subprocess.run(cmd, capture_output=True, timeout=20, stdin=subprocess.DEVNULL)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"bwrap failed to start: {exc}"
    if r.returncode != 0:
        return "bwrap failed: " + r.stderr.decode("utf-8", "replace").strip()[:300]
    return None


def bwrap_version() -> str:
    try:
        out = subprocess.run([_bwrap_path() or "bwrap", "--version"], capture_output=True,
                             timeout=10).stdout.decode().strip()
    except (OSError, subprocess.TimeoutExpired):
        return "bubblewrap"
    return out or "bubblewrap"


def choose_outer(requested: str | None) -> tuple[str, str | None]:
    """("bwrap" | "builtin", why bwrap is not used). `requested`: None/"auto", "bwrap" or
    "builtin"; the environment variable FORMALIZE_SANDBOX gives the default."""
    want = (requested or os.environ.get("FORMALIZE_SANDBOX") or "auto").lower()
    if want not in ("auto", "bwrap", "builtin"):
        raise ValueError(f"FORMALIZE_SANDBOX must be auto, bwrap or builtin, got {want!r}")
    if want == "builtin":
        return "builtin", "built-in layers requested"
    why = bwrap_usable(os.geteuid())
    if why is None:
        return "bwrap", None
    if want == "bwrap":
        raise RuntimeError(f"bubblewrap was requested but is not usable: {why}")
    return "builtin", why


# --- the child seen from outside ------------------------------------------------------------
def _read_small(path: str, limit: int = 1 << 20) -> str:
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    try:
        return os.read(fd, limit).decode("utf-8", "replace")
    finally:
        os.close(fd)


def _ppid(pid: int) -> int | None:
    try:
        text = _read_small(f"/proc/{pid}/stat", 4096)
    except OSError:
        return None
    try:
        return int(text[text.rindex(")") + 2 :].split()[1])
    except (ValueError, IndexError):
        return None


def descendants(pid: int) -> list[int]:
    """Every live process below `pid` (scanning /proc: works without CONFIG_PROC_CHILDREN)."""
    parent: dict[int, int] = {}
    for name in os.listdir("/proc"):
        if name.isdigit():
            pp = _ppid(int(name))
            if pp is not None:
                parent[int(name)] = pp
    out, frontier = [], {pid}
    while frontier:
        nxt = {p for p, pp in parent.items() if pp in frontier and p not in out}
        out.extend(sorted(nxt))
        frontier = nxt
    return out


def harness_pid(pid: int, outer: str) -> int | None:
    """The harness process: the child itself (built-in) or bwrap's descendant running it."""
    if outer != "bwrap":
        return pid
    for p in descendants(pid):
        with contextlib.suppress(OSError):
            argv = _read_small(f"/proc/{p}/cmdline").split("\0")
            if argv[0] == sys.executable and HARNESS_INSIDE in argv:
                return p
    return None


def _status(pid: int) -> dict[str, str]:
    out = {}
    for line in _read_small(f"/proc/{pid}/status").splitlines():
        key, _, value = line.partition(":")
        out[key.strip()] = value.strip()
    return out


def _limits(pid: int) -> dict[str, str]:
    out = {}
    for line in _read_small(f"/proc/{pid}/limits").splitlines()[1:]:
        name = line[:26].strip()
        parts = line[26:].split()
        if parts:
            out[name] = parts[0]
    return out


def _workdir_mount(pid: int) -> tuple[str, str] | None:
    """(fstype, super options) of the child's work directory mount."""
    found = None
    for line in _read_small(f"/proc/{pid}/mountinfo", 1 << 22).splitlines():
        fields = line.split()
        if len(fields) > 4 and fields[4] == WORKDIR_INSIDE and " - " in line:
            after = line.split(" - ", 1)[1].split()
            if len(after) >= 3:
                found = (after[0], after[2])  # the last one is on top
    return found


@dataclass
class Inspection:
    """What the parent saw of the child from /proc before letting the program run."""

    layers: dict[str, str]
    missing: list[str]


def inspect_child(pid: int, *, uid: int, limits: dict[str, int], outer: str,
                  claims: dict) -> Inspection:
    """Check the child from outside; `claims` (the harness's own report, sent before any user
    code ran) only adds what /proc cannot show (Landlock, the Python layers)."""
    layers: dict[str, str] = {}
    missing: list[str] = []
    root = os.geteuid() == 0
    try:
        st = _status(pid)
        lim = _limits(pid)
    except OSError as exc:
        return Inspection({}, [f"cannot inspect the child: {exc}"])
    if outer == "bwrap":
        layers["outer"] = f"{bwrap_version()} (pid, net, ipc, uts, cgroup namespaces)"
    elif outer == "builtin":
        layers["outer"] = "built-in"
    else:
        layers["outer"] = "none (no namespaces)"
    uids = st.get("Uid", "").split()
    gids = st.get("Gid", "").split()
    if root:
        if uids and all(u == str(uid) for u in uids) and gids and st.get("Groups", "") == "":
            layers["uid"] = f"{uid} (unprivileged, this run only; no groups)"
        else:
            missing.append(f"uid/gid not dropped (Uid {st.get('Uid')}, Groups {st.get('Groups')})")
    else:
        layers["uid"] = f"{uids[0] if uids else '?'} (formalize's own user)"
    caps = {k: int(st.get(k, "0") or "0", 16) for k in _CAPS}
    if not any(caps.values()):
        layers["capabilities"] = "none (effective, permitted, inheritable, bounding, ambient)"
    elif root or caps["CapEff"]:
        missing.append("capabilities left: " + ", ".join(f"{k} {v:x}" for k, v in caps.items() if v))
    if st.get("NoNewPrivs") == "1":
        layers["no_new_privs"] = "set"
    else:
        missing.append("no_new_privs not set")
    if st.get("Seccomp") == "2":
        layers["seccomp"] = str(claims.get("seccomp") or "filter") + \
            f" ({st.get('Seccomp_filters', '?')} filter(s))"
    elif root or platform.machine() == "x86_64":
        missing.append(f"no seccomp filter (the allow-list is written for x86_64; this is "
                       f"{platform.machine()})")
    with contextlib.suppress(OSError):  # seccomp, no_new_privs, uid, caps are per thread
        for tid in sorted(os.listdir(f"/proc/{pid}/task")):
            if tid != str(pid):
                missing.append(f"thread {tid} was started before the layers were set up "
                               "(seccomp and Landlock hold per thread)")
                break
    names = {"Max cpu time": "cpu", "Max address space": "as", "Max file size": "fsize",
             "Max open files": "nofile", "Max processes": "nproc"}
    got = {short: lim.get(long_) for long_, short in names.items()}
    bad = [k for k, v in got.items() if v != str(limits[k])]
    if bad:
        missing.append("resource limits not set: " + ", ".join(f"{k}={got[k]}" for k in bad))
    else:
        layers["rlimits"] = (f"cpu {limits['cpu']} s, address space {limits['as'] >> 20} MB, "
                             f"file {limits['fsize'] >> 20} MB, open files {limits['nofile']}, "
                             f"processes {limits['nproc']}, core 0")
    ns = []
    for kind in ("mnt", "net", "ipc", "uts", "pid", "user", "cgroup"):
        with contextlib.suppress(OSError):
            if os.readlink(f"/proc/{pid}/ns/{kind}") != os.readlink(f"/proc/self/ns/{kind}"):
                ns.append(kind)
    if ns:
        layers["namespaces"] = ", ".join(ns)
    layers["network"] = "own namespace (no interface up)" if "net" in ns else \
        "host namespace (sockets refused by seccomp)"
    try:
        mount = _workdir_mount(pid)
    except OSError:
        mount = None
    if "mnt" in ns and mount and mount[0] == "tmpfs":
        opts = dict(o.partition("=")[::2] for o in mount[1].split(","))
        inodes = opts.get("nr_inodes")
        layers["root"] = "minimal, read-only (system /usr, Python, libraries; solvers hidden)"
        layers["disk"] = (f"work directory: tmpfs, size {opts.get('size', '?')} (total quota), "
                          + (f"{inodes} inodes" if inodes else "inodes not limited"))
    else:
        layers["disk"] = "no total quota (per-file limit only)"
    if claims.get("landlock"):
        layers["landlock"] = str(claims["landlock"])
    if claims.get("python"):
        layers["python"] = ", ".join(claims["python"])
    return Inspection(layers, missing)


# --- ending it ------------------------------------------------------------------------------
def _uid_of(pid: int, *, live: bool = False) -> int | None:
    """The real uid of `pid` (None if gone, or a zombie when `live`)."""
    try:
        uid = None
        for line in _read_small(f"/proc/{pid}/status").splitlines():
            if live and line.startswith("State:") and line.split()[1] in ("Z", "X"):
                return None
            if line.startswith("Uid:"):
                uid = int(line.split()[1])
        return uid
    except (OSError, ValueError, IndexError):
        return None


def kill_tree(pid: int, uid: int | None) -> None:
    """SIGKILL the child's process group, its descendants and (when the run has its own uid)
    every process of that uid."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)
    victims = set(descendants(pid))
    if uid is not None and uid >= UID_BASE:
        for name in os.listdir("/proc"):
            if name.isdigit() and _uid_of(int(name)) == uid:
                victims.add(int(name))
    for p in victims:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(p, signal.SIGKILL)
    if uid is not None and uid >= UID_BASE:  # SIGKILL is asynchronous: wait for it to land
        deadline = time.monotonic() + 5.0
        while processes_of(uid) and time.monotonic() < deadline:
            time.sleep(0.01)


def processes_of(uid: int) -> list[int]:
    """Live (not zombie) processes running as `uid`: nothing of a run may outlive it."""
    return [int(n) for n in os.listdir("/proc")
            if n.isdigit() and _uid_of(int(n), live=True) == uid]


# --- cleanup that survives any tree ---------------------------------------------------------
_FS_IOC_GETFLAGS, _FS_IOC_SETFLAGS = 0x80086601, 0x40086602
_FS_IMMUTABLE_FL, _FS_APPEND_FL = 0x10, 0x20


def _clear_flags(dir_fd: int, name: str) -> None:
    """Clear immutable/append-only flags so the entry can go (best effort)."""
    with contextlib.suppress(OSError):
        fd = os.open(name, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK, dir_fd=dir_fd)
        try:
            buf = bytearray(struct.pack("l", 0))
            fcntl.ioctl(fd, _FS_IOC_GETFLAGS, buf)
            (flags,) = struct.unpack("l", bytes(buf))
            fcntl.ioctl(fd, _FS_IOC_SETFLAGS,
                        struct.pack("l", flags & ~(_FS_IMMUTABLE_FL | _FS_APPEND_FL)))
        finally:
            os.close(fd)


def _remove(dir_fd: int, name: str, is_dir: bool) -> None:
    remove = os.rmdir if is_dir else os.unlink
    try:
        remove(name, dir_fd=dir_fd)
    except PermissionError:
        _clear_flags(dir_fd, name)
        with contextlib.suppress(OSError):
            os.fchmod(dir_fd, 0o700)
        remove(name, dir_fd=dir_fd)


def _open_dir(name: str, dir_fd: int | None) -> int:
    flags = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
    try:
        return os.open(name, flags, dir_fd=dir_fd)
    except PermissionError:
        os.chmod(name, 0o700, dir_fd=dir_fd, follow_symlinks=False)
        return os.open(name, flags, dir_fd=dir_fd)


def _scan(fd: int, problems: list[str]) -> list[str]:
    """Unlink every non-directory in `fd`; return the subdirectory names."""
    with contextlib.suppress(OSError):
        os.fchmod(fd, 0o700)
    subdirs = []
    try:
        entries = list(os.scandir(fd))
    except OSError as exc:
        problems.append(f"listing: {exc.strerror}")
        return subdirs
    for entry in entries:
        try:
            is_dir = entry.is_dir(follow_symlinks=False)
        except OSError:
            is_dir = False
        if is_dir:
            subdirs.append(entry.name)
            continue
        try:
            _remove(fd, entry.name, False)
        except OSError as exc:
            problems.append(f"{entry.name}: {exc.strerror}")
    return subdirs


def remove_tree(path: str) -> list[str]:
    """Delete `path` and everything under it without recursion and without following symlinks,
    whatever the depth (thousands of levels: one directory fd open at a time, climbing back by
    `..`), permissions (mode 0 directories), kinds (fifos, sockets, devices) or flags
    (immutable, cleared where permitted). Returns the problems left (empty when all went)."""
    problems: list[str] = []
    try:
        fd = _open_dir(path, None)
    except FileNotFoundError:
        return problems
    except OSError as exc:
        if exc.errno in (errno.ENOTDIR, errno.ELOOP):
            with contextlib.suppress(OSError):
                os.unlink(path)
            return problems
        return [f"{path}: {exc.strerror}"]
    # one frame per level: (name of this directory in its parent, subdirectories still to do)
    stack: list[tuple[str, list[str]]] = [("", _scan(fd, problems))]
    while stack and len(problems) <= 50:
        name, pending = stack[-1]
        if pending:
            sub_name = pending.pop()
            try:
                sub = _open_dir(sub_name, fd)
            except OSError as exc:
                problems.append(f"{sub_name}: {exc.strerror}")
                continue
            os.close(fd)
            fd = sub
            stack.append((sub_name, _scan(fd, problems)))
            continue
        stack.pop()
        if not stack:
            break
        parent = os.open("..", os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC, dir_fd=fd)
        os.close(fd)
        fd = parent
        try:
            _remove(fd, name, True)
        except OSError as exc:
            problems.append(f"{name}: {exc.strerror}")
    os.close(fd)
    try:
        os.rmdir(path)
    except FileNotFoundError:
        pass
    except OSError as exc:
        problems.append(f"{path}: {exc.strerror}")
    return problems
