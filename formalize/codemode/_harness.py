"""Child side of code mode: `python -I -S -B _harness.py RESULT_FD`, never imported.

Trusted code up to the moment the program runs; then assume it is hostile. Order:
1. read the job (length-prefixed JSON on stdin) and set the resource limits;
2. isolate (unless bubblewrap already did): new mount, network, IPC, UTS and cgroup namespaces
   (a user namespace first when not root), a minimal read-only root built by bind mounts and
   `pivot_root` (the system's /usr, the Python installation and its site-packages, a few device
   files; in-process solvers hidden), and the work directory as a size-limited tmpfs;
3. drop privileges: a per-run unprivileged uid/gid without groups, every capability set
   cleared (incl. bounding and ambient), no_new_privs, not dumpable;
4. import the modelling libraries (highspy blocked first, so PuLP's HiGHS is unavailable);
5. Landlock (read-only library paths, read-write work directory, no TCP, no signals out) and a
   seccomp allow-list (default ENOSYS; EPERM for the dangerous calls; threads but no processes);
6. the Python layers (sealed audit hook, solver guard) unless the parent switched them off;
7. READY frame to the parent (what was set up), wait for its go (it checks /proc on its own);
8. run the program, export the built `model` as arrays with a name table, send the result frame.

Frames on RESULT_FD: kind (1 byte) + payload length (8 bytes, little-endian) + header length
(4 bytes) + header JSON + binary blobs listed in the header. Self-contained on purpose.
"""

from __future__ import annotations

import array
import contextlib
import ctypes
import errno
import json
import os
import struct
import sys

CODE_FILENAME = "<model code>"
_libc = ctypes.CDLL(None, use_errno=True)
_libc.syscall.restype = ctypes.c_long
_libc.mount.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_ulong,
                        ctypes.c_char_p]
_libc.umount2.argtypes = [ctypes.c_char_p, ctypes.c_int]


# --- frames ---------------------------------------------------------------------------------
def _frame(kind: bytes, header: dict, blobs: list[bytes] = ()) -> bytes:  # type: ignore[assignment]
    head = json.dumps(header, allow_nan=False, separators=(",", ":")).encode()
    body = struct.pack("<I", len(head)) + head + b"".join(blobs)
    return kind + struct.pack("<Q", len(body)) + body


def _send(fd: int, data: bytes) -> None:
    for stream in (sys.stdout, sys.stderr):  # what the program printed comes before the result
        with contextlib.suppress(Exception):  # a closed or replaced stream
            stream.flush()
    view = memoryview(data)
    while view:
        n = os.write(fd, view)
        view = view[n:]


def _read_exact(fd: int, n: int) -> bytes:
    buf = bytearray()
    while len(buf) < n:
        chunk = os.read(fd, n - len(buf))
        if not chunk:
            raise EOFError("the parent closed the job channel")
        buf += chunk
    return bytes(buf)


# --- limits ---------------------------------------------------------------------------------
def _limits(lim: dict) -> None:
    import resource

    pairs = {
        resource.RLIMIT_CPU: (lim["cpu"], lim["cpu"] + 1),
        resource.RLIMIT_AS: (lim["as"], lim["as"]),
        resource.RLIMIT_FSIZE: (lim["fsize"], lim["fsize"]),
        resource.RLIMIT_NOFILE: (lim["nofile"], lim["nofile"]),
        resource.RLIMIT_NPROC: (lim["nproc"], lim["nproc"]),
        resource.RLIMIT_CORE: (0, 0),
        resource.RLIMIT_MEMLOCK: (0, 0),
        resource.RLIMIT_MSGQUEUE: (0, 0),
        resource.RLIMIT_RTPRIO: (0, 0),
        resource.RLIMIT_NICE: (0, 0),
        resource.RLIMIT_SIGPENDING: (64, 64),
    }
    for which, value in pairs.items():
        resource.setrlimit(which, value)


# --- namespaces and the minimal root --------------------------------------------------------
_CLONE_NEWNS, _CLONE_NEWCGROUP, _CLONE_NEWUTS = 0x00020000, 0x02000000, 0x04000000
_CLONE_NEWIPC, _CLONE_NEWUSER, _CLONE_NEWNET = 0x08000000, 0x10000000, 0x40000000
_MS_RDONLY, _MS_NOSUID, _MS_NODEV, _MS_NOEXEC = 1, 2, 4, 8
_MS_REMOUNT, _MS_BIND, _MS_REC, _MS_PRIVATE = 32, 4096, 16384, 1 << 18
_MNT_DETACH = 2
_SYS_PIVOT_ROOT = 155
WORKDIR = "/sandbox"


def _check(rc: int, what: str) -> None:
    if rc != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"{what}: {os.strerror(err)}")


def _mount(src: str | None, dst: str, fstype: str | None, flags: int, data: str | None) -> None:
    enc = lambda s: None if s is None else s.encode()  # noqa: E731
    _check(_libc.mount(enc(src), enc(dst), enc(fstype), flags, enc(data)), f"mount {dst}")


def _makedirs(path: str) -> None:
    os.makedirs(path, mode=0o755, exist_ok=True)


def _bind(src: str, dst: str, writable: bool = False) -> None:
    if os.path.isdir(src):
        _makedirs(dst)
    else:
        _makedirs(os.path.dirname(dst))
        if not os.path.exists(dst):
            os.close(os.open(dst, os.O_CREAT | os.O_WRONLY, 0o644))
    _mount(src, dst, None, _MS_BIND | _MS_REC, None)
    if not writable:
        _mount(None, dst, None, _MS_REMOUNT | _MS_BIND | _MS_RDONLY | _MS_NOSUID | _MS_NODEV, None)


def _isolate(job: dict, report: dict) -> str:
    """Namespaces + minimal root. Returns the work directory the program will see."""
    spec, host_dir = job["root"], job["host_dir"]
    uid, gid = job["uid"], job["gid"]
    flags = _CLONE_NEWNS | _CLONE_NEWNET | _CLONE_NEWIPC | _CLONE_NEWUTS | _CLONE_NEWCGROUP
    as_root = os.geteuid() == 0
    if not as_root:
        flags |= _CLONE_NEWUSER
    if _libc.unshare(flags) != 0:
        err = ctypes.get_errno()
        report["isolation_error"] = f"unshare: {os.strerror(err)}"
        return _fallback_workdir(job)
    if not as_root:
        for name, text in (("setgroups", "deny"), ("uid_map", f"{uid} {uid} 1"),
                           ("gid_map", f"{gid} {gid} 1")):
            with open(f"/proc/self/{name}", "w") as f:
                f.write(text)
    report["namespaces"] = ["mnt", "net", "ipc", "uts", "cgroup"] + ([] if as_root else ["user"])
    _mount(None, "/", None, _MS_REC | _MS_PRIVATE, None)  # nothing propagates back to the host
    _libc.sethostname(b"sandbox", 7)
    new = host_dir
    _mount("formalize-root", new, "tmpfs", _MS_NOSUID | _MS_NODEV, "size=1m,nr_inodes=4096,mode=0755")
    for src, dst in spec["binds"]:
        _bind(src, new + dst)
    for target, link in spec["symlinks"]:
        os.symlink(target, new + link)
    for path in spec["hidden"]:  # in-process solvers: an empty read-only directory over them
        if os.path.isdir(new + path):
            _mount("hidden", new + path, "tmpfs",
                   _MS_RDONLY | _MS_NOSUID | _MS_NODEV | _MS_NOEXEC, "size=4k,mode=0555")
    for dev in spec["devices"]:
        _bind(dev, new + dev, writable=True)
    _makedirs(new + WORKDIR)
    _work_tmpfs(new + WORKDIR, job)
    os.chdir(new)
    _check(_libc.syscall(_SYS_PIVOT_ROOT, b".", b"."), "pivot_root")
    _check(_libc.umount2(b".", _MNT_DETACH), "umount old root")
    os.chdir("/")
    _mount(None, "/", None, _MS_REMOUNT | _MS_BIND | _MS_RDONLY | _MS_NOSUID | _MS_NODEV, None)
    report["root"] = "minimal"
    report["disk"] = job["limits"]["disk"]
    return WORKDIR


def _work_tmpfs(path: str, job: dict) -> None:
    """The work directory: a tmpfs of bounded size and inode count, owned by the run's uid."""
    lim = job["limits"]
    _mount("formalize-work", path, "tmpfs", _MS_NOSUID | _MS_NODEV | _MS_NOEXEC,
           f"size={lim['disk']},nr_inodes={lim['inodes']},mode=0700,uid={job['uid']},"
           f"gid={job['gid']}")


def _fallback_workdir(job: dict) -> str:
    """No mount namespace: the host directory itself, handed to the run's uid."""
    path = job["host_dir"]
    if os.geteuid() == 0:
        os.chown(path, job["uid"], job["gid"])
    return path


# --- privileges -----------------------------------------------------------------------------
_PR_SET_NO_NEW_PRIVS, _PR_CAPBSET_DROP, _PR_CAP_AMBIENT = 38, 24, 47
_PR_CAP_AMBIENT_CLEAR_ALL, _PR_SET_DUMPABLE, _PR_SET_SECCOMP = 4, 4, 22
_SECCOMP_MODE_FILTER = 2


class _CapHeader(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]


class _CapData(ctypes.Structure):
    _fields_ = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32),
                ("inheritable", ctypes.c_uint32)]


def _drop_privileges(job: dict, report: dict) -> None:
    for cap in range(64):  # bounding set (EINVAL past the last capability)
        _libc.prctl(_PR_CAPBSET_DROP, cap, 0, 0, 0)
    _libc.prctl(_PR_CAP_AMBIENT, _PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0)
    if os.geteuid() == 0:
        uid, gid = job["uid"], job["gid"]
        os.setgroups([])
        os.setresgid(gid, gid, gid)
        os.setresuid(uid, uid, uid)
    header = _CapHeader(0x20080522, 0)  # _LINUX_CAPABILITY_VERSION_3
    data = (_CapData * 2)()
    _check(_libc.capset(ctypes.byref(header), data), "capset")
    _check(_libc.prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "no_new_privs")
    _libc.prctl(_PR_SET_DUMPABLE, 0, 0, 0, 0)
    report["uid"] = os.getuid()


# --- Landlock -------------------------------------------------------------------------------
_SYS_LANDLOCK_CREATE_RULESET, _SYS_LANDLOCK_ADD_RULE, _SYS_LANDLOCK_RESTRICT_SELF = 444, 445, 446
_FS_READ = 1 | 4 | 8  # execute, read file, read dir
_FS_FILE = 1 | 2 | 4 | (1 << 14) | (1 << 15)  # rights a rule on a file may carry


def _landlock(workdir: str, read_roots: list[str], hidden: list[str]) -> str | None:
    """Read-only `read_roots` (entries of a root listed in `hidden` left out), read-write
    `workdir`, no TCP, no signals or abstract sockets outside. None when unavailable."""
    abi = _libc.syscall(_SYS_LANDLOCK_CREATE_RULESET, None, 0, 1)
    if abi < 1:
        return None
    fs = (1 << 13) - 1
    fs |= (1 << 13) if abi >= 2 else 0  # refer
    fs |= (1 << 14) if abi >= 3 else 0  # truncate
    fs |= (1 << 15) if abi >= 5 else 0  # ioctl on devices
    net = 3 if abi >= 4 else 0
    scoped = 3 if abi >= 6 else 0
    attr = struct.pack("QQQ", fs, net, scoped)[: 24 if abi >= 6 else 16 if abi >= 4 else 8]
    buf = ctypes.create_string_buffer(attr, len(attr))
    rfd = _libc.syscall(_SYS_LANDLOCK_CREATE_RULESET, buf, len(attr), 0)
    if rfd < 0:
        return None
    rules = [(workdir, fs & ~(1 << 15))]
    hidden_set = set(hidden)
    for root in read_roots:
        if any(h.startswith(root.rstrip("/") + "/") for h in hidden_set) and os.path.isdir(root):
            for entry in os.listdir(root):
                path = os.path.join(root, entry)
                if path not in hidden_set:
                    rules.append((path, fs & _FS_READ))
        else:
            rules.append((root, fs & _FS_READ))
    rules.append(("/dev/null", 2 | 4 | (1 << 14 if abi >= 3 else 0)))
    for dev in ("/dev/zero", "/dev/urandom", "/dev/random"):
        rules.append((dev, 4))
    for path, access in rules:
        try:
            fd = os.open(path, os.O_PATH | os.O_CLOEXEC)
        except OSError:
            continue
        if not os.path.isdir(path):
            access &= _FS_FILE
        rule = ctypes.create_string_buffer(struct.pack("=Qi", access, fd), 12)
        _libc.syscall(_SYS_LANDLOCK_ADD_RULE, rfd, 1, rule, 0)
        os.close(fd)
    _libc.prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)
    ok = _libc.syscall(_SYS_LANDLOCK_RESTRICT_SELF, rfd, 0) == 0
    os.close(rfd)
    if not ok:
        return None
    parts = ["fs"] + (["tcp"] if net else []) + (["signals"] if scoped else [])
    return f"abi {abi} ({'+'.join(parts)})"


# --- seccomp: an allow-list -----------------------------------------------------------------
# x86_64 system call numbers. ALLOW: what CPython, numpy and the modelling libraries use to build
# and export a model (memory, files in the work directory, threads, time, signals to itself).
_ALLOW = [
    0, 1, 3, 9, 10, 11, 12, 202, 5, 262, 332, 8, 257, 2, 4, 6, 13, 14, 15, 17, 18, 19, 20, 21,
    22, 23, 24, 25, 26, 27, 28, 32, 33, 34, 35, 36, 37, 38, 39, 40, 60, 61, 63, 72, 73, 74, 75,
    76, 77, 78, 79, 80, 81, 82, 83, 84, 85, 87, 89, 90, 91, 95, 96, 97, 98, 99, 100, 102, 104,
    107, 108, 110, 111, 115, 118, 120, 121, 124, 125, 127, 128, 130, 131, 132, 137, 138, 140,
    143, 145, 146, 147, 148, 157, 158, 160, 186, 187, 191, 192, 193, 194, 195, 196, 201, 204,
    211, 213, 217, 218, 219, 221, 222, 223, 224, 225, 226, 228, 229, 230, 231, 232, 233, 235,
    239, 247, 258, 263, 264, 267, 268, 269, 270, 271, 273, 274, 280, 281, 283, 284, 285, 286,
    287, 290, 291, 292, 293, 295, 296, 309, 315, 316, 318, 324, 326, 327, 328, 334, 436, 439,
    441, 449, 452, 454, 455, 456,
]
# Refused with EPERM (a clear "not permitted" rather than "not implemented"): processes,
# program execution, sockets, tracing, mounts and namespaces, device nodes, the clock, reboot,
# host and domain names, scheduling, io_uring, memfd, kernel modules and keys, BPF, identity
# changes, links, System V and POSIX IPC, syslog, signals to other processes.
_EPERM = [
    41, 42, 43, 44, 45, 46, 47, 48, 49, 50, 51, 52, 53, 54, 55, 288, 299, 307, 57, 58, 59, 322,
    101, 310, 311, 312, 165, 166, 155, 161, 272, 308, 133, 259, 169, 170, 171, 164, 227, 305,
    159, 141, 142, 144, 203, 314, 251, 319, 447, 425, 426, 427, 206, 207, 208, 209, 210, 333,
    323, 321, 298, 250, 248, 249, 175, 313, 176, 246, 320, 167, 168, 163, 179, 443, 103, 172,
    173, 154, 153, 105, 106, 113, 114, 117, 119, 122, 123, 116, 126, 112, 109, 92, 93, 94, 260,
    86, 265, 88, 266, 162, 306, 200, 129, 297, 434, 424, 438, 440, 448, 279, 256, 237, 238, 450,
    304, 303, 300, 301, 428, 429, 430, 431, 432, 433, 442, 467, 135, 29, 30, 31, 67, 64, 65, 66,
    220, 68, 69, 70, 71, 240, 241, 242, 243, 244, 245, 149, 325, 151, 150, 152, 212, 134, 180,
    216, 188, 189, 190, 197, 198, 199, 463, 466, 460, 317, 444, 445, 446,
]
_CLONE, _CLONE3, _KILL, _TGKILL, _PRLIMIT64, _IOCTL = 56, 435, 62, 234, 302, 16
_CLONE_THREAD = 0x00010000
_CLONE_NS_MASK = 0x00000080 | _CLONE_NEWNS | _CLONE_NEWCGROUP | _CLONE_NEWUTS | _CLONE_NEWIPC \
    | _CLONE_NEWUSER | 0x20000000 | _CLONE_NEWNET
# ioctl requests a build may make: TCGETS, TIOCGWINSZ, TIOCGPGRP, FIONREAD, FIONBIO, FIOCLEX,
# FIONCLEX, FIOASYNC is left out; everything else is ENOTTY.
_IOCTLS = [0x5401, 0x5413, 0x540F, 0x541B, 0x5421, 0x5451, 0x5450]
_AUDIT_ARCH_X86_64 = 0xC000003E
_RET_ALLOW, _RET_ERRNO, _RET_KILL_PROCESS = 0x7FFF0000, 0x00050000, 0x80000000
_LD_W, _JEQ, _JGE, _JSET, _RET = 0x20, 0x15, 0x35, 0x45, 0x06


def _bpf(code: int, jt: int, jf: int, k: int) -> bytes:
    return struct.pack("HBBI", code, jt, jf, k & 0xFFFFFFFF)


def _seccomp_program(pid: int) -> list[bytes]:
    eperm, enosys = _RET_ERRNO | errno.EPERM, _RET_ERRNO | errno.ENOSYS
    ret = lambda k: _bpf(_RET, 0, 0, k)  # noqa: E731
    arg = lambda i: _bpf(_LD_W, 0, 0, 16 + 8 * i)  # noqa: E731  (low 32 bits of argument i)
    prog = [
        _bpf(_LD_W, 0, 0, 4), _bpf(_JEQ, 1, 0, _AUDIT_ARCH_X86_64), ret(_RET_KILL_PROCESS),
        _bpf(_LD_W, 0, 0, 0), _bpf(_JGE, 0, 1, 0x40000000), ret(eperm),  # x32 ABI
    ]
    for nr in _ALLOW:
        prog += [_bpf(_JEQ, 0, 1, nr), ret(_RET_ALLOW)]
    for nr in _EPERM:
        prog += [_bpf(_JEQ, 0, 1, nr), ret(eperm)]
    # clone: threads only, never a new namespace
    prog += [_bpf(_JEQ, 0, 5, _CLONE), arg(0), _bpf(_JSET, 2, 0, _CLONE_NS_MASK),
             _bpf(_JSET, 0, 1, _CLONE_THREAD), ret(_RET_ALLOW), ret(eperm)]
    # kill: this process or its own group; tgkill: threads of this process
    prog += [_bpf(_JEQ, 0, 5, _KILL), arg(0), _bpf(_JEQ, 2, 0, pid), _bpf(_JEQ, 1, 0, 0),
             ret(eperm), ret(_RET_ALLOW)]
    prog += [_bpf(_JEQ, 0, 4, _TGKILL), arg(0), _bpf(_JEQ, 1, 0, pid), ret(eperm),
             ret(_RET_ALLOW)]
    # prlimit64: only on itself
    prog += [_bpf(_JEQ, 0, 5, _PRLIMIT64), arg(0), _bpf(_JEQ, 2, 0, pid), _bpf(_JEQ, 1, 0, 0),
             ret(eperm), ret(_RET_ALLOW)]
    # ioctl: a few harmless requests
    prog += [_bpf(_JEQ, 0, 2 + 2 * len(_IOCTLS), _IOCTL), _bpf(_LD_W, 0, 0, 24)]
    for req in _IOCTLS:
        prog += [_bpf(_JEQ, 0, 1, req), ret(_RET_ALLOW)]
    prog += [ret(_RET_ERRNO | errno.ENOTTY)]
    prog += [_bpf(_JEQ, 0, 1, _CLONE3), ret(enosys)]  # glibc falls back to clone
    prog += [ret(enosys)]  # everything else: not implemented
    return prog


class _SockFprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]


def _seccomp() -> str | None:
    import platform

    if platform.machine() != "x86_64":
        return None
    prog = _seccomp_program(os.getpid())
    filt = b"".join(prog)
    buf = ctypes.create_string_buffer(filt, len(filt))
    fprog = _SockFprog(len(prog), ctypes.cast(buf, ctypes.c_void_p))
    _libc.prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)
    if _libc.prctl(_PR_SET_SECCOMP, _SECCOMP_MODE_FILTER, ctypes.byref(fprog), 0, 0) != 0:
        return None
    return f"allow-list of {len(_ALLOW) + 5} calls, {len(_EPERM)} refused with EPERM, rest ENOSYS"


# --- Python layer: a sealed audit hook ------------------------------------------------------
# Built in a private namespace that is emptied afterwards: the hook looks up no global or
# builtin name at call time; everything it uses is a closure constant (str, tuple, frozenset,
# C functions). Frames reachable from the program show only its own globals.
_HOOK_SOURCE = r'''
def make(wd, roots, refused, path_events, list_events, blocked, lstat, readlink, getcwd,
         PermissionError, OSError, type, str, bytes, int, len, reversed, list):
    # One flat function: no helper function objects whose closures or defaults a program
    # holding a frame of the hook could reach and change.
    def hook(event, args):
        if event == "import":
            name = args[0]
            if type(name) is str and (name in blocked or name.split(".")[0] in blocked):
                raise PermissionError("sandbox: importing '" + name + "' is not allowed")
            return
        if event.startswith(refused):
            raise PermissionError("sandbox: '" + event + "' is not allowed in code mode")
        is_open = event == "open"
        if not is_open and event not in path_events and event not in list_events:
            return
        if is_open:
            if type(args[0]) is int or args[0] is None:
                return
            targets = (args[0],)
        else:
            targets = args
        for target in targets:
            p = target
            if type(p) is bytes:
                p = p.decode("utf-8", "surrogateescape")
            if type(p) is not str:
                if is_open:
                    raise PermissionError("sandbox: open() takes a plain string path here")
                continue
            if "\0" in p:
                raise PermissionError("sandbox: a path with a NUL byte")
            if not p.startswith("/"):
                p = getcwd() + "/" + p
            done, todo, hops = [], list(reversed(p.split("/"))), 0
            while todo:  # realpath, with C functions only
                part = todo.pop()
                if part == "" or part == ".":
                    continue
                if part == "..":
                    if done:
                        done.pop()
                    continue
                cand = "/" + "/".join(done + [part])
                try:
                    mode = lstat(cand).st_mode
                except OSError:
                    done.append(part)
                    continue
                if (mode & 0o170000) == 0o120000:
                    hops += 1
                    if hops > 40:
                        raise PermissionError("sandbox: too many symbolic links")
                    link = readlink(cand)
                    if link.startswith("/"):
                        done = []
                    todo.extend(reversed(link.split("/")))
                    continue
                done.append(part)
            path = "/" + "/".join(done)
            inside = path == wd or path.startswith(wd + "/")
            readable = False
            for r in roots:
                if path == r or path.startswith(r + "/") or r == "/":
                    readable = True
            if is_open:
                mode_s = args[1] if len(args) > 1 and type(args[1]) is str else ""
                flags = args[2] if len(args) > 2 and type(args[2]) is int else 0
                writing = ("w" in mode_s or "a" in mode_s or "x" in mode_s or "+" in mode_s
                           or (flags & 0o1103) != 0)
                if inside or path == "/dev/null" or (readable and not writing):
                    continue
                raise PermissionError("sandbox: opening " + path
                                      + (" for writing" if writing else "") + " is not allowed")
            if inside or (event in list_events and readable):
                continue
            raise PermissionError("sandbox: '" + event + "' on " + path + " is not allowed")

    return hook
'''

_REFUSED_PREFIXES = (
    "os.system", "os.fork", "os.forkpty", "os.posix_spawn", "os.spawn", "os.exec", "os.kill",
    "os.killpg", "os.startfile", "subprocess.", "pty.", "socket.", "ctypes.", "resource.",
    "gc.get_", "sys.setprofile", "sys.settrace", "os.symlink", "os.link", "signal.pthread_kill",
    "os.setuid", "os.setgid", "os.chroot", "os.mknod", "os.mkfifo", "builtins.input",
    "sys.addaudithook", "cpython.run_", "webbrowser.", "os.setpriority", "os.sched_set",
    "os.memfd_create", "os.setns", "os.unshare", "time.clock_settime", "socket.sethostname",
    "sys._current_frames", "function.__new__", "code.__new__", "sys.remote_exec",
)
_PATH_EVENTS = frozenset({
    "os.remove", "os.rename", "os.replace", "os.rmdir", "os.mkdir", "os.chmod", "os.chown",
    "os.truncate", "os.utime", "os.chdir", "os.chflags", "os.setxattr", "os.removexattr",
    "shutil.copyfile", "shutil.copymode", "shutil.copystat", "shutil.copytree", "shutil.move",
    "shutil.rmtree", "shutil.chown", "shutil.make_archive", "shutil.unpack_archive",
})
_LIST_EVENTS = frozenset({"os.listdir", "os.scandir"})
_BLOCKED_IMPORTS = frozenset({
    "ctypes", "_ctypes", "socket", "_socket", "_posixsubprocess", "pty", "multiprocessing",
    "_multiprocessing", "ssl", "_ssl", "urllib.request", "http.client", "ftplib", "smtplib",
    "asyncio", "mmap", "fcntl", "resource", "webbrowser", "_xxsubinterpreters", "highspy",
    "pyscipopt", "scipy", "_testcapi", "_testinternalcapi", "gc", "inspect", "traceback",
    "importlib",
})


def _install_audit_hook(workdir: str, read_roots: list[str]) -> None:
    ns: dict = {"__builtins__": __builtins__}
    exec(_HOOK_SOURCE, ns)  # noqa: S102 - our own source, before the program runs
    hook = ns["make"](
        os.path.realpath(workdir).rstrip("/") or "/",
        tuple(os.path.realpath(r).rstrip("/") or "/" for r in read_roots),
        _REFUSED_PREFIXES, _PATH_EVENTS, _LIST_EVENTS, _BLOCKED_IMPORTS,
        os.lstat, os.readlink, os.getcwd, PermissionError, OSError, type, str, bytes, int, len,
        reversed, list,
    )
    ns.clear()  # the hook's globals: an empty dict, nothing to switch off
    # modules imported here for the harness: a fresh `import` by the program is audited
    for name in list(sys.modules):
        if name.split(".")[0] in ("ctypes", "_ctypes", "resource", "platform", "_posixsubprocess"):
            del sys.modules[name]
    sys.addaudithook(hook)


# --- Python layer: the solver guard ---------------------------------------------------------
SOLVE_REFUSAL = (
    "sandbox: solving inside the program is not allowed in code mode ({what}); leave the built "
    "model in `model` and formalize solves it with HiGHS or CP-SAT"
)


def _refuser(what: str):  # type: ignore[no-untyped-def]
    def refused(*_a: object, **_k: object) -> None:
        raise PermissionError(SOLVE_REFUSAL.format(what=what))

    return refused


def _subclasses(cls: type) -> list[type]:
    out, todo = [], [cls]
    while todo:
        c = todo.pop()
        out.append(c)
        todo.extend(c.__subclasses__())
    return out


def _solver_guard(libs: dict) -> None:
    pulp = libs.get("pulp")
    if pulp is not None:
        for name in ("solve", "sequentialSolve", "sequentialResolve", "resolve"):
            if hasattr(pulp.LpProblem, name):
                setattr(pulp.LpProblem, name, _refuser(f"pulp LpProblem.{name}"))
        for cls in _subclasses(pulp.LpSolver):
            for name in ("actualSolve", "actualResolve", "solve", "buildSolverModel", "callSolver"):
                if name in vars(cls):
                    setattr(cls, name, _refuser(f"pulp {cls.__name__}.{name}"))
    if libs.get("pyomo") is not None:
        from pyomo.opt.base import solvers

        solvers.SolverFactoryClass.__call__ = _refuser("pyomo SolverFactory")
        for cls in _subclasses(solvers.OptSolver):
            if "solve" in vars(cls):
                cls.solve = _refuser(f"pyomo {cls.__name__}.solve")
    cp = libs.get("cpsat")
    if cp is not None:
        for name in ("solve", "Solve", "solve_with_solution_callback", "SolveWithSolutionCallback",
                     "search_for_all_solutions", "SearchForAllSolutions"):
            if hasattr(cp.CpSolver, name):
                setattr(cp.CpSolver, name, _refuser(f"CpSolver.{name}"))
        from ortools.sat.python import cp_model_helper

        cp_model_helper.SolveWrapper = _refuser("CP-SAT SolveWrapper")


# --- harvest: arrays and a name table -------------------------------------------------------
class ModelError(Exception):
    """The built model cannot be handed to our solvers (located by component name)."""

    def __init__(self, message: str, symbol: str | None = None) -> None:
        super().__init__(message)
        self.symbol = symbol


_INF = float("inf")
_NAME_CAP = 4096


def _num(value: object, what: str, symbol: str) -> float:
    v = float(value)  # type: ignore[arg-type]
    if v != v:
        raise ModelError(f"{what} is NaN", symbol)
    return v


def _bound(value: object, what: str, symbol: str, default: float) -> float:
    if value is None:
        return default
    return _num(value, what, symbol)


def _coef(value: object, what: object, symbol: str | None) -> float:
    """A finite coefficient; `what` (a string, or a function making one: names are costly in
    Pyomo, so they are only built for the message) says which."""
    v = float(value)  # type: ignore[arg-type]
    if v - v == 0.0:  # false for NaN and the infinities
        return v
    text = what() if callable(what) else str(what)
    raise ModelError(f"{text} is {'NaN' if v != v else 'infinite'}", symbol)


def _jsonable(v: object) -> object:
    if isinstance(v, bool) or v is None or isinstance(v, str):
        return v
    if isinstance(v, int):
        return v if abs(v) < 2**53 else str(v)
    if isinstance(v, float):
        return v if v == v and v not in (_INF, -_INF) else str(v)
    if isinstance(v, tuple):
        return [_jsonable(x) for x in v]
    return str(v)


class _Builder:
    """Columns, rows and coefficients, collected as flat arrays."""

    def __init__(self) -> None:
        self.col_of: dict[int, int] = {}
        self.names: list[str] = []
        self.var: list[str] = []
        self.index: list[list] = []
        self.lb, self.ub, self.cost = array.array("d"), array.array("d"), array.array("d")
        self.integer = array.array("b")
        self.rows: list[str] = []
        self.rlb, self.rub = array.array("d"), array.array("d")
        self.ar, self.ac, self.av = array.array("q"), array.array("q"), array.array("d")
        self.qr, self.qc, self.qv = array.array("q"), array.array("q"), array.array("d")

    def column(self, key: int, name: str, var: str, index: list, lb: float, ub: float,
               integer: bool) -> int:
        j = self.col_of.get(key)
        if j is None:
            j = self.col_of[key] = len(self.names)
            self.names.append(name[:_NAME_CAP])
            self.var.append(var[:_NAME_CAP])
            self.index.append(index)
            self.lb.append(lb)
            self.ub.append(ub)
            self.integer.append(1 if integer else 0)
            self.cost.append(0.0)
        return j

    def row(self, name: str, lb: float, ub: float, coefs: dict[int, float]) -> None:
        i = len(self.rows)
        self.rows.append(name[:_NAME_CAP])
        self.rlb.append(lb)
        self.rub.append(ub)
        for j, v in coefs.items():
            if v != 0.0:
                self.ar.append(i)
                self.ac.append(j)
                self.av.append(v)

    def frame(self, library: str, sense: str, offset: float) -> bytes:
        blobs = [
            ("col_lower", "f8", self.lb), ("col_upper", "f8", self.ub),
            ("col_cost", "f8", self.cost), ("col_integer", "i1", self.integer),
            ("row_lower", "f8", self.rlb), ("row_upper", "f8", self.rub),
            ("a_row", "i8", self.ar), ("a_col", "i8", self.ac), ("a_val", "f8", self.av),
            ("q_row", "i8", self.qr), ("q_col", "i8", self.qc), ("q_val", "f8", self.qv),
        ]
        header = {
            "reason": "ok", "library": library, "format": "arrays", "sense": sense,
            "offset": offset, "columns": self.names, "column_var": self.var,
            "column_index": self.index, "rows": self.rows,
            "blobs": [[name, dtype, len(arr)] for name, dtype, arr in blobs],
        }
        return _frame(b"M", header, [arr.tobytes() for _, _, arr in blobs])


def _pyomo_repn() -> tuple:
    """(linear, quadratic): functions from an expression to (constant, [(var, coef)],
    [(var, var, coef)]), or None when it is nonlinear. Pyomo's own LP-writer visitors where this
    Pyomo has them (much faster on large sums), else generate_standard_repn."""
    try:
        from pyomo.repn.linear import LinearRepnVisitor
        from pyomo.repn.quadratic import QuadraticRepnVisitor
        from pyomo.repn.util import (
            FileDeterminism,
            FileDeterminism_to_SortComponents,
            OrderedVarRecorder,
        )

        var_map: dict = {}
        recorder = OrderedVarRecorder(
            var_map, {}, FileDeterminism_to_SortComponents(FileDeterminism.ORDERED))
        lin = LinearRepnVisitor({}, var_recorder=recorder)
        quad = QuadraticRepnVisitor({}, var_recorder=recorder)

        def walk(visitor: object, expr: object) -> tuple | None:
            r = visitor.walk_expression(expr)  # type: ignore[attr-defined]
            if r.nonlinear is not None:
                return None
            quadratic = getattr(r, "quadratic", None) or {}
            return (r.constant, [(var_map[v], c) for v, c in r.linear.items()],
                    [(var_map[a], var_map[b], c) for (a, b), c in quadratic.items()])

        return (lambda e: walk(lin, e)), (lambda e: walk(quad, e))
    except (ImportError, TypeError, AttributeError):
        from pyomo.repn import generate_standard_repn

        def standard(expr: object, quadratic: bool) -> tuple | None:
            r = generate_standard_repn(expr, compute_values=True, quadratic=quadratic)
            if r.nonlinear_expr is not None:
                return None
            return (r.constant, list(zip(r.linear_vars, r.linear_coefs)),
                    [(a, b, c) for (a, b), c in zip(r.quadratic_vars, r.quadratic_coefs)])

        return (lambda e: standard(e, False)), (lambda e: standard(e, True))


def _pyomo_model(model: object, pyo: object) -> bytes:
    linear, quadratic = _pyomo_repn()
    b = _Builder()

    try:
        from pyomo.core.base.component_namer import index_repr
    except ImportError:
        index_repr = None
    component_names: dict[int, str] = {}

    def col(v: object) -> int:
        key = id(v)
        j = b.col_of.get(key)
        if j is not None:
            return j
        comp = v.parent_component()  # type: ignore[attr-defined]
        cname = component_names.get(id(comp))
        if cname is None:
            cname = component_names[id(comp)] = comp.name
        idx = None if comp is v else v.index()  # type: ignore[attr-defined]
        if comp is v:
            name = cname
        else:  # what v.name gives, without rebuilding the component's name each time
            name = cname + index_repr(idx) if index_repr is not None else v.name  # type: ignore[attr-defined]
        lb, ub, step = v.domain.get_interval()  # type: ignore[attr-defined]
        if step not in (0, 1):
            raise ModelError(f"variable '{name}' has a domain with step {step}", name)
        idx = () if idx is None else (idx if isinstance(idx, tuple) else (idx,))
        return b.column(
            key, name, cname, _jsonable(idx),  # type: ignore[arg-type]
            _bound(v.lb, f"the lower bound of '{name}'", name, -_INF),  # type: ignore[attr-defined]
            _bound(v.ub, f"the upper bound of '{name}'", name, _INF),  # type: ignore[attr-defined]
            step == 1,
        )

    bad = {"SOSConstraint": "an SOS constraint", "LogicalConstraint": "a logical constraint",
           "Disjunct": "a disjunct", "Disjunction": "a disjunction",
           "Complementarity": "a complementarity condition"}
    for comp in model.component_objects(active=True, descend_into=True):  # type: ignore[attr-defined]
        kind = getattr(comp.ctype, "__name__", "")
        if kind in bad:
            raise ModelError(
                f"'{comp.name}' is {bad[kind]}: only linear constraints (and a linear or "
                "quadratic objective) reach the solver; transform it first (e.g. "
                "TransformationFactory('gdp.bigm').apply_to(model)) or write it with binaries",
                comp.name,
            )
    for con in model.component_data_objects(pyo.Constraint, active=True, descend_into=True):  # type: ignore[attr-defined]
        name = con.name
        if hasattr(con, "to_bounded_expression"):
            lo, body, hi = con.to_bounded_expression(True)
        else:
            lo, body, hi = con.lb, con.body, con.ub
        repn = linear(body)
        if repn is None:
            raise ModelError(f"constraint '{name}' is not linear", name)
        const = _coef(repn[0], f"the constant in constraint '{name}'", name)
        lb = _bound(lo, f"the lower bound of constraint '{name}'", name, -_INF)
        ub = _bound(hi, f"the upper bound of constraint '{name}'", name, _INF)
        coefs: dict[int, float] = {}
        for v, c in repn[1]:
            j = col(v)
            coefs[j] = coefs.get(j, 0.0) + _coef(
                c, lambda v=v, name=name: f"the coefficient of '{v.name}' in '{name}'", name)
        b.row(name, lb - const, ub - const, coefs)
    objs = list(model.component_data_objects(pyo.Objective, active=True, descend_into=True))  # type: ignore[attr-defined]
    if len(objs) > 1:
        names = ", ".join(o.name for o in objs[:5])
        raise ModelError(f"the model has {len(objs)} active objectives ({names}); keep one "
                         "(deactivate the others)", objs[0].name)
    sense, offset = "minimize", 0.0
    if objs:
        obj = objs[0]
        name = obj.name
        sense = "maximize" if obj.sense == pyo.maximize else "minimize"  # type: ignore[attr-defined]
        repn = quadratic(obj.expr)
        if repn is None:
            raise ModelError(f"objective '{name}' is neither linear nor quadratic", name)
        offset = _coef(repn[0], f"the constant of objective '{name}'", name)
        for v, c in repn[1]:
            j = col(v)
            b.cost[j] += _coef(
                c, lambda v=v: f"the coefficient of '{v.name}' in the objective", name)
        for v1, v2, c in repn[2]:
            i, j = col(v1), col(v2)
            b.qr.append(min(i, j))
            b.qc.append(max(i, j))
            b.qv.append(_coef(
                c, lambda v1=v1: f"a quadratic coefficient of '{v1.name}' in the objective", name))
    return b.frame("pyomo", sense, offset)


def _pulp_model(model: object, pulp: object) -> bytes:
    b = _Builder()
    if getattr(model, "sos1", None) or getattr(model, "sos2", None):
        raise ModelError("SOS constraints are not supported; write them with binaries", None)

    def col(v: object) -> int:
        key = id(v)
        j = b.col_of.get(key)
        if j is not None:
            return j
        name = str(v.name)  # type: ignore[attr-defined]
        return b.column(
            key, name, name, [],
            _bound(v.lowBound, f"the lower bound of '{name}'", name, -_INF),  # type: ignore[attr-defined]
            _bound(v.upBound, f"the upper bound of '{name}'", name, _INF),  # type: ignore[attr-defined]
            v.cat in (pulp.LpInteger, getattr(pulp, "LpBinary", "Binary")),  # type: ignore[attr-defined]
        )

    for v in model.variables():  # type: ignore[attr-defined]
        col(v)
    for name, con in model.constraints.items():  # type: ignore[attr-defined]
        name = str(name)
        rhs = -_coef(con.constant, f"the constant of constraint '{name}'", name)
        coefs: dict[int, float] = {}
        for v, c in con.items():
            j = col(v)
            coefs[j] = coefs.get(j, 0.0) + _coef(
                c, lambda v=v, name=name: f"the coefficient of '{v.name}' in '{name}'", name)
        sense = con.sense
        lb = rhs if sense in (0, 1) else -_INF
        ub = rhs if sense in (0, -1) else _INF
        b.row(name, lb, ub, coefs)
    obj = model.objective  # type: ignore[attr-defined]
    offset = 0.0
    if obj is not None:
        if not isinstance(obj, pulp.LpAffineExpression):  # type: ignore[attr-defined]
            obj = pulp.LpAffineExpression(obj)  # type: ignore[attr-defined]
        offset = _coef(obj.constant, "the constant of the objective", "objective")
        for v, c in obj.items():
            b.cost[col(v)] += _coef(
                c, lambda v=v: f"the coefficient of '{v.name}' in the objective", "objective")
    sense = "maximize" if model.sense == pulp.LpMaximize else "minimize"  # type: ignore[attr-defined]
    return b.frame("pulp", sense, offset)


def _cpsat_model(model: object, workdir: str) -> bytes:
    from ortools.sat.python import cp_model_helper as cmh

    problem = cmh.CpSatHelper.validate_model(model.proto)  # type: ignore[attr-defined]
    if problem:
        raise ModelError(f"invalid CP-SAT model: {problem}", None)
    path = os.path.join(workdir, ".model.pbtxt")  # text: the parent has CP-SAT parse it in C++
    if not model.export_to_file(path):  # type: ignore[attr-defined]
        raise OSError(errno.EIO, "CP-SAT could not write the model")
    with open(path, "rb") as f:
        data = f.read()
    os.unlink(path)
    header = {"reason": "ok", "library": "cpsat", "format": "cpsat-text",
              "blobs": [["proto", "u1", len(data)]]}
    return _frame(b"M", header, [data])


def _export(model: object, workdir: str, libs: dict) -> bytes:
    pyo, pulp, cp = libs.get("pyomo"), libs.get("pulp"), libs.get("cpsat")
    if pyo is not None and isinstance(model, pyo.ConcreteModel):
        return _pyomo_model(model, pyo)
    if pulp is not None and isinstance(model, pulp.LpProblem):
        return _pulp_model(model, pulp)
    if cp is not None and isinstance(model, cp.CpModel):
        return _cpsat_model(model, workdir)
    raise ModelError(
        f"`model` is a {type(model).__module__}.{type(model).__name__}, not a "
        "pyomo.environ.ConcreteModel, pulp.LpProblem or cp_model.CpModel"
    )


# --- running the program --------------------------------------------------------------------
def _user_line(exc: BaseException) -> tuple[int | None, int | None]:
    if isinstance(exc, SyntaxError) and exc.filename == CODE_FILENAME:
        return exc.lineno, exc.offset
    line = col = None
    tb = exc.__traceback__
    while tb is not None:
        code = tb.tb_frame.f_code
        if code.co_filename == CODE_FILENAME:
            line = tb.tb_lineno
            pos = list(code.co_positions())
            idx = tb.tb_lasti // 2
            if 0 <= idx < len(pos) and pos[idx][2] is not None:
                col = pos[idx][2] + 1
        tb = tb.tb_next
    return line, col


def _classify(exc: BaseException) -> tuple[str, str]:
    """(reason, diagnostic code) for an exception of the program."""
    if isinstance(exc, MemoryError) or (isinstance(exc, OSError) and exc.errno == errno.ENOMEM):
        return "memory_limit", "memory-limit"
    if isinstance(exc, RecursionError):
        return "runtime_error", "runtime-error"
    if isinstance(exc, OSError):
        if exc.errno == errno.EFBIG:
            return "file_limit", "file-limit"
        if exc.errno in (errno.ENOSPC, errno.EDQUOT):
            return "disk_limit", "disk-limit"
        if exc.errno in (errno.EMFILE, errno.ENFILE):
            return "fd_limit", "fd-limit"
        if str(exc).startswith("sandbox: solving"):
            return "refused", "solve-call"
        if isinstance(exc, PermissionError) or exc.errno in (
            errno.EPERM, errno.EACCES, errno.EROFS, errno.ENOSYS, errno.ENETUNREACH,
        ):
            return "refused", "sandbox-refused"
    return "runtime_error", "runtime-error"


def _error(reason: str, code: str, message: str, line: int | None = None,
           column: int | None = None, symbol: str | None = None) -> bytes:
    return _frame(b"E", {"reason": reason, "code": code, "error": message[:2000], "line": line,
                         "column": column, "symbol": symbol})


def _import_libraries(wanted: list[str]) -> dict:
    sys.modules["highspy"] = None  # type: ignore[assignment]  (PuLP's HiGHS: unavailable)
    libs: dict = {}
    if "pyomo" in wanted:
        import pyomo.environ as pyo
        import pyomo.repn.linear  # noqa: F401  (the expression visitors, before the lock-down)
        import pyomo.repn.quadratic  # noqa: F401
        import pyomo.repn.standard_repn  # noqa: F401

        libs["pyomo"] = pyo
    if "pulp" in wanted:
        import pulp

        libs["pulp"] = pulp
    if "cpsat" in wanted:
        from ortools.sat.python import cp_model, cp_model_helper  # noqa: F401

        libs["cpsat"] = cp_model
    return libs


def main() -> None:
    result_fd = int(sys.argv[1])
    os.umask(0o022)
    (size,) = struct.unpack("<Q", _read_exact(0, 8))
    job = json.loads(_read_exact(0, size))
    report: dict = {"mode": job["mode"]}
    try:
        _limits(job["limits"])
        if job["mode"] == "builtin":
            workdir = _isolate(job, report)
        elif job["mode"] == "bwrap":
            workdir = WORKDIR
            if os.geteuid() == 0:  # privileged bubblewrap: our own tmpfs, with an inode limit
                _work_tmpfs(WORKDIR, job)
                report["disk"] = job["limits"]["disk"]
        else:
            workdir = _fallback_workdir(job)
        _drop_privileges(job, report)
        for path in [os.path.dirname(os.__file__), *job["site"]]:
            if not os.access(path, os.R_OK | os.X_OK):
                raise PermissionError(
                    f"the Python installation ({path}) is not readable by the run's "
                    f"unprivileged uid {os.getuid()}, and no mount namespace could show it")
        os.chdir(workdir)
        os.environ.update({"HOME": workdir, "TMPDIR": workdir})
        sys.path.extend(p for p in job["site"] if p not in sys.path)
        libs = _import_libraries(job["libraries"])
        ll = _landlock(workdir, job["read_roots"], job["root"]["hidden"])
        if ll:
            report["landlock"] = ll
        sc = _seccomp()
        if sc:
            report["seccomp"] = sc
        if job["python_layers"]:
            import _posixsubprocess

            _posixsubprocess.fork_exec = _refuser("starting a process")  # type: ignore[attr-defined]
            _solver_guard(libs)
            _install_audit_hook(workdir, job["read_roots"])
            report["python"] = ["audit-hook", "solver-guard"]
    except BaseException as exc:  # noqa: BLE001 - the parent reports it and runs nothing
        if _classify(exc)[0] == "memory_limit":
            _send(result_fd, _error("memory_limit", "memory-limit", "the modelling libraries "
                                    f"do not fit in the memory limit ({type(exc).__name__})"))
        else:
            _send(result_fd, _error("sandbox_error", "sandbox-unavailable",
                                    f"{type(exc).__name__}: {exc}"))
        return
    _send(result_fd, _frame(b"R", report))
    if os.read(0, 1) != b"G":  # the parent's go, after it checked this process from outside
        return
    devnull = os.open("/dev/null", os.O_RDONLY)
    os.dup2(devnull, 0)
    os.close(devnull)
    del job["root"], job["read_roots"]
    _run(job["source"], workdir, libs, result_fd)


def _run(src: str, workdir: str, libs: dict, result_fd: int) -> None:
    try:
        code = compile(src, CODE_FILENAME, "exec")
    except (SyntaxError, ValueError) as exc:
        line, col = _user_line(exc)
        _send(result_fd, _error("runtime_error", "syntax-error",
                                f"{type(exc).__name__}: {getattr(exc, 'msg', exc)}", line, col))
        return
    import builtins

    table = vars(builtins)
    saved = dict(table)  # restored after the program: the harness needs the real ones
    glb: dict = {"__name__": "__main__", "__builtins__": builtins}
    try:
        try:
            exec(code, glb)  # noqa: S102
        finally:
            table.clear()
            table.update(saved)
    except BaseException as exc:  # noqa: BLE001 - every failure becomes a located diagnostic
        line, col = _user_line(exc)
        reason, dcode = _classify(exc)
        try:
            msg = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        except Exception:  # noqa: BLE001 - a hostile __str__
            msg = type(exc).__name__
        if isinstance(exc, SystemExit):
            msg, reason, dcode = ("the program exited (SystemExit) before leaving `model`",
                                  "runtime_error", "runtime-error")
        _send(result_fd, _error(reason, dcode, msg, line, col))
        return
    sys.stdout.flush()
    if "model" not in glb:
        _send(result_fd, _error("no_model", "missing-model",
                                "the program did not leave a variable named `model`"))
        return
    try:
        data = _export(glb["model"], workdir, libs)
    except ModelError as exc:
        _send(result_fd, _error("bad_model", "bad-model", str(exc), symbol=exc.symbol))
        return
    except BaseException as exc:  # noqa: BLE001
        reason, dcode = _classify(exc)
        if reason == "runtime_error":
            reason, dcode = "bad_model", "bad-model"
        _send(result_fd, _error(reason, dcode, f"{type(exc).__name__}: {exc}"))
        return
    _send(result_fd, data)


if __name__ == "__main__":
    main()
