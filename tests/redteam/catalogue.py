"""Hostile programs against the OS layers, each with the exact outcome it must have.

Every program runs with the allow-list skipped AND the Python layers (audit hook, solver
guard) switched off by the parent, so only the kernel-side layers stand: the per-run uid
without capabilities, no_new_privs, the seccomp allow-list, the minimal read-only root with a
size-limited tmpfs work directory, Landlock and the resource limits. An outcome names the run's
reason, the diagnostic code, a text the message must contain (the errno says which layer
answered) and the line it must point at.

Placeholders filled per run: {pid} (the test process), {secret} (a private file of the host),
{canary} (a host path that must not appear), {port} (a listening TCP port on the host),
{site} (the site-packages directory).
"""

from __future__ import annotations

from dataclasses import dataclass, field

EPERM = "[Errno 1] Operation not permitted"


@dataclass(frozen=True)
class Outcome:
    reason: str
    code: str | None = None  # the one diagnostic's code (None: no diagnostic)
    text: str | None = None  # must occur in the diagnostic's message
    line: int | None = None  # the line the diagnostic points at
    stdout: str | None = None  # must occur in the program's output


@dataclass(frozen=True)
class Attack:
    name: str
    kind: str  # the class of attack (for the report)
    layer: str  # which layer answers
    src: str
    outcome: Outcome
    options: dict = field(default_factory=dict)  # run_code options (limits)
    stdout_absent: tuple[str, ...] = ()  # texts that must not appear in stdout/stderr


def _libc_call(call: str, what: str) -> str:
    """A program that makes one libc call via ctypes and raises with its errno."""
    return (
        "import ctypes\n"
        "libc = ctypes.CDLL(None, use_errno=True)\n"
        f"if libc.{call} != 0:\n"
        f"    raise OSError(ctypes.get_errno(), {what!r})\n"
    )


def _syscall(nr: int, args: str, what: str) -> str:
    return _libc_call(f"syscall({nr}{', ' + args if args else ''})", what)


def _refused(line: int, text: str = EPERM) -> Outcome:
    return Outcome("refused", "sandbox-refused", text, line)


def _errno(what: str, line: int) -> Outcome:
    return Outcome("refused", "sandbox-refused", f"[Errno 1] {what}", line)


ATTACKS: list[Attack] = [
    # --- devices, clock, reboot, names ----------------------------------------------------------
    Attack("mknod-char-device", "devices", "seccomp (EPERM); also no CAP_MKNOD, nodev tmpfs",
           "import os, stat\nos.mknod('kmsg', stat.S_IFCHR | 0o600, os.makedev(1, 11))\n"
           "print(open('kmsg', 'rb').read(64))\n", _refused(2)),
    Attack("mknodat-block-device", "devices", "seccomp (EPERM)",
           "import os, stat\nos.mknod('disk', stat.S_IFBLK | 0o600, os.makedev(253, 0))\n",
           _refused(2)),
    Attack("open-host-kmsg", "devices", "minimal root (no such device)",
           "print(open('/dev/kmsg', 'rb').read(64))\n",
           Outcome("runtime_error", "runtime-error", "[Errno 2] No such file", 1)),
    Attack("open-host-disk", "devices", "minimal root (no such device)",
           "open('/dev/vda', 'r+b').write(b'x')\n",
           Outcome("runtime_error", "runtime-error", "[Errno 2] No such file", 1)),
    Attack("reboot", "kernel", "seccomp (EPERM)", _libc_call("reboot(0x4321FEDC)", "reboot"),
           _errno("reboot", 4)),
    Attack("sethostname", "kernel", "seccomp (EPERM)",
           "import socket\nsocket.sethostname('pwned')\n", _refused(2)),
    Attack("setdomainname", "kernel", "seccomp (EPERM)",
           _libc_call("setdomainname(b'pwned', 5)", "setdomainname"), _errno("setdomainname", 4)),
    Attack("settimeofday", "clock", "seccomp (EPERM)",
           "import ctypes\nlibc = ctypes.CDLL(None, use_errno=True)\n"
           "tv = (ctypes.c_long * 2)(1, 0)\n"
           "if libc.settimeofday(tv, None) != 0:\n"
           "    raise OSError(ctypes.get_errno(), 'settimeofday')\n", _errno("settimeofday", 5)),
    Attack("clock_settime", "clock", "seccomp (EPERM)",
           "import time\ntime.clock_settime(time.CLOCK_REALTIME, 1.0)\n", _refused(2)),
    Attack("clock_adjtime", "clock", "seccomp (EPERM)",
           _syscall(305, "0, ctypes.create_string_buffer(256)", "clock_adjtime"),
           _errno("clock_adjtime", 4)),
    Attack("syslog-read", "kernel", "seccomp (EPERM)",
           "import ctypes\nlibc = ctypes.CDLL(None, use_errno=True)\n"
           "buf = ctypes.create_string_buffer(4096)\n"
           "if libc.klogctl(3, buf, 4096) < 0:\n"
           "    raise OSError(ctypes.get_errno(), 'klogctl')\n", _errno("klogctl", 5)),
    Attack("keyctl", "kernel", "seccomp (EPERM)",
           _syscall(250, "0, -4, 0", "keyctl"), _errno("keyctl", 4)),
    Attack("mount-proc", "namespaces", "seccomp (EPERM)",
           _libc_call("mount(b'proc', b'/sandbox', b'proc', 0, None)", "mount"), _errno("mount", 4)),
    Attack("unshare-user", "namespaces", "seccomp (EPERM)",
           _libc_call("unshare(0x10000000)", "unshare"), _errno("unshare", 4)),
    Attack("chroot", "namespaces", "seccomp (EPERM)",
           "import os\nos.chroot('/sandbox')\n", _refused(2)),
    Attack("setuid-root", "identity", "seccomp (EPERM)", "import os\nos.setuid(0)\n", _refused(2)),
    Attack("capset", "identity", "seccomp (EPERM)",
           _syscall(126, "ctypes.create_string_buffer(8), ctypes.create_string_buffer(24)",
                    "capset"), _errno("capset", 4)),
    # --- scheduling ------------------------------------------------------------------------------
    Attack("renice-parent", "scheduling", "seccomp (EPERM)",
           "import os\nos.setpriority(os.PRIO_PROCESS, {pid}, 19)\n", _refused(2)),
    Attack("nice-self", "scheduling", "seccomp (EPERM)", "import os\nos.nice(5)\n", _refused(2)),
    Attack("pin-parent", "scheduling", "seccomp (EPERM)",
           "import os\nos.sched_setaffinity({pid}, {{0}})\n", _refused(2)),
    Attack("realtime-scheduling", "scheduling", "seccomp (EPERM); RLIMIT_RTPRIO 0",
           "import os\nos.sched_setscheduler(0, os.SCHED_FIFO, os.sched_param(1))\n", _refused(2)),
    Attack("ioprio-parent", "scheduling", "seccomp (EPERM)",
           _syscall(251, "1, {pid}, (1 << 13)", "ioprio_set"), _errno("ioprio_set", 4)),
    # --- memory outside the limit, io_uring, BPF ---------------------------------------------
    Attack("memfd-2gb", "memory", "seccomp (EPERM)",
           "import os\nfd = os.memfd_create('x')\nos.ftruncate(fd, 2 << 30)\n"
           "for i in range(2048):\n    os.write(fd, b'0' * (1 << 20))\n", _refused(2)),
    Attack("memfd-raw-syscall", "memory", "seccomp (EPERM)",
           _syscall(319, "b'x', 0", "memfd_create"), _errno("memfd_create", 4)),
    Attack("io-uring", "kernel", "seccomp (EPERM)",
           _syscall(425, "8, ctypes.create_string_buffer(120)", "io_uring_setup"),
           _errno("io_uring_setup", 4)),
    Attack("bpf", "kernel", "seccomp (EPERM)",
           _syscall(321, "0, ctypes.create_string_buffer(128), 128", "bpf"), _errno("bpf", 4)),
    Attack("userfaultfd", "kernel", "seccomp (EPERM)", _syscall(323, "0", "userfaultfd"),
           _errno("userfaultfd", 4)),
    Attack("perf-event-open", "kernel", "seccomp (EPERM)",
           _syscall(298, "ctypes.create_string_buffer(128), 0, -1, -1, 0", "perf_event_open"),
           _errno("perf_event_open", 4)),
    Attack("memory-bomb", "memory", "RLIMIT_AS", "x = bytearray(8 * 1024 ** 3)\n",
           Outcome("memory_limit", "memory-limit", "MemoryError", 1)),
    Attack("memory-growth", "memory", "RLIMIT_AS",
           "x = []\nwhile True:\n    x.append(' ' * 10 ** 7)\n",
           Outcome("memory_limit", "memory-limit", "MemoryError", 3)),
    # --- processes and signals -----------------------------------------------------------------
    Attack("fork", "processes", "seccomp (EPERM)",
           "import os\npid = os.fork()\nprint('forked', pid)\n", _refused(2),
           stdout_absent=("forked",)),
    Attack("fork-bomb", "processes", "seccomp (EPERM)",
           "import os\nwhile True:\n    os.fork()\n", _refused(3)),
    Attack("subprocess", "processes", "seccomp (EPERM)",
           "import subprocess\nsubprocess.run(['/usr/bin/touch', '{canary}'])\n", _refused(2)),
    Attack("posix-spawn", "processes", "seccomp (EPERM)",
           "import os\nos.posix_spawn('/usr/bin/touch', ['touch', '{canary}'], {{}})\n",
           _refused(2)),
    Attack("execv", "processes", "seccomp (EPERM)",
           "import os\nos.execv('/usr/bin/touch', ['touch', '{canary}'])\n", _refused(2)),
    Attack("thread-bomb", "processes", "RLIMIT_NPROC (threads count)",
           "import threading, time\n"
           "ts = [threading.Thread(target=time.sleep, args=(30,), daemon=True) for _ in range(500)]\n"
           "for t in ts:\n    t.start()\n",
           Outcome("runtime_error", "runtime-error", "can't start new thread", 4)),
    Attack("kill-parent", "signals", "seccomp (EPERM)",
           "import os, signal\nos.kill({pid}, signal.SIGTERM)\n", _refused(2)),
    Attack("kill-everything", "signals", "seccomp (EPERM)",
           "import os, signal\nos.kill(-1, signal.SIGKILL)\n", _refused(2)),
    Attack("ptrace-parent", "processes", "seccomp (EPERM)",
           _libc_call("ptrace(16, {pid}, None, None)", "ptrace"), _errno("ptrace", 4)),
    Attack("setsid-escape", "processes", "seccomp (EPERM)", "import os\nos.setsid()\n",
           _refused(2)),
    Attack("tiocsti", "terminal", "seccomp (ENOTTY for ioctls outside the allow-list)",
           "import fcntl\nfcntl.ioctl(1, 0x5412, b'x')\n",
           Outcome("runtime_error", "runtime-error", "[Errno 25]", 2)),
    # --- network ------------------------------------------------------------------------------
    Attack("tcp-connect", "network", "seccomp (EPERM); own network namespace",
           "import socket\ns = socket.create_connection(('127.0.0.1', {port}), 2)\n"
           "s.sendall(b'hi')\n", _refused(2)),
    Attack("socketpair", "network", "seccomp (EPERM)",
           "import socket\na, b = socket.socketpair()\n", _refused(2)),
    # --- files ----------------------------------------------------------------------------------
    Attack("write-system", "files", "read-only root (EROFS)", "open('/usr/pwned', 'w')\n",
           Outcome("refused", "sandbox-refused", "[Errno 30] Read-only file system", 1)),
    Attack("append-library", "files", "unprivileged uid (EACCES); read-only mount, Landlock",
           "open('{site}/pulp/__init__.py', 'a').write('# pwned')\n",
           Outcome("refused", "sandbox-refused", "[Errno 13] Permission denied", 1)),
    Attack("write-host-tmp", "files", "minimal root (no /tmp)",
           "open('/tmp/pwned-by-code-mode', 'w')\n",
           Outcome("runtime_error", "runtime-error", "[Errno 2] No such file", 1)),
    Attack("read-host-secret", "secrets", "minimal root (host paths absent)",
           "print(open('{secret}').read())\n",
           Outcome("runtime_error", "runtime-error", "[Errno 2] No such file", 1)),
    Attack("read-etc-shadow", "secrets", "minimal root (no /etc/shadow)",
           "print(open('/etc/shadow').read())\n",
           Outcome("runtime_error", "runtime-error", "[Errno 2] No such file", 1)),
    Attack("read-proc-environ", "secrets", "minimal root (no /proc)",
           "print(open('/proc/1/environ').read())\n",
           Outcome("runtime_error", "runtime-error", "[Errno 2] No such file", 1)),
    Attack("list-root", "secrets", "Landlock (EACCES on /)",
           "import os\nprint(os.listdir('/'))\n",
           Outcome("refused", "sandbox-refused", "[Errno 13] Permission denied", 2)),
    Attack("environment", "secrets", "minimal environment",
           "import os\nprint(sorted(os.environ))\n",
           Outcome("no_model", "missing-model", stdout="'PATH'"),
           stdout_absent=("FORMALIZE_TEST_SECRET", "API_KEY")),
    Attack("symlink-escape", "files", "seccomp (EPERM)",
           "import os\nos.symlink('/', 'root')\n", _refused(2)),
    Attack("hardlink", "files", "seccomp (EPERM)",
           "import os\nopen('a', 'w').close()\nos.link('a', 'b')\n", _refused(3)),
    Attack("chown", "files", "seccomp (EPERM)",
           "import os\nopen('a', 'w').close()\nos.chown('a', 0, 0)\n", _refused(3)),
    Attack("cpsat-export-outside", "files", "minimal root / Landlock (C++ writes too)",
           "from ortools.sat.python import cp_model\nm = cp_model.CpModel()\n"
           "print('exported', m.export_to_file('/tmp/pwned-by-code-mode'))\n",
           Outcome("no_model", "missing-model", stdout="exported False")),
    Attack("mkfifo-result-file", "parent trust", "seccomp (EPERM)",
           "import os\nos.mkfifo('_result.json')\nos.mkfifo('_containment.json')\n", _refused(2)),
    # --- disk and descriptors ---------------------------------------------------------------
    Attack("25-files-of-60mb", "disk", "tmpfs size (ENOSPC: total quota)",
           "for i in range(25):\n    with open(f'f{{i}}', 'wb') as f:\n"
           "        f.write(b'0' * (60 << 20))\n",
           Outcome("disk_limit", "disk-limit", "[Errno 28] No space left on device", 3),
           options={"max_file_mb": 64, "disk_mb": 128}),
    Attack("one-huge-file", "disk", "RLIMIT_FSIZE (EFBIG)",
           "f = open('big.bin', 'wb')\nfor i in range(100):\n    f.write(b'0' * (1 << 20))\n",
           Outcome("file_limit", "file-limit", "[Errno 27] File too large", 3),
           options={"max_file_mb": 4}),
    Attack("inode-flood", "disk", "tmpfs inode limit (ENOSPC)",
           "for i in range(20000):\n    open(f'f{{i}}', 'w').close()\n",
           Outcome("disk_limit", "disk-limit", "[Errno 28] No space left on device", 2)),
    Attack("20000-fds", "descriptors", "RLIMIT_NOFILE (EMFILE)",
           "fs = [open('/dev/null') for _ in range(20000)]\n",
           Outcome("fd_limit", "fd-limit", "[Errno 24] Too many open files", 1)),
    Attack("3000-deep-tree", "cleanup", "tmpfs discarded with the namespace",
           "import os\nfor i in range(3000):\n    os.mkdir('d')\n    os.chdir('d')\n"
           "os.chmod('.', 0)\nprint('deep ok')\n",
           Outcome("no_model", "missing-model", stdout="deep ok")),
    # --- time ---------------------------------------------------------------------------------
    Attack("cpu-spin", "time", "RLIMIT_CPU (SIGXCPU)", "while True:\n    pass\n",
           Outcome("cpu_limit", "cpu-limit"), options={"timeout": 40.0, "cpu_seconds": 1}),
    Attack("sleep-forever", "time", "wall-clock limit (tree killed)",
           "import time\ntime.sleep(600)\n", Outcome("timeout", "timeout"),
           options={"timeout": 3.0}),
    Attack("sigstop-self", "time", "wall-clock limit (SIGKILL ends a stopped process)",
           "import os, signal\nos.kill(os.getpid(), signal.SIGSTOP)\n",
           Outcome("timeout", "timeout"), options={"timeout": 3.0}),
    Attack("output-flood", "output", "capped stdout",
           "import sys\nfor i in range(200000):\n    sys.stdout.write('x' * 100 + '\\n')\n",
           Outcome("no_model", "missing-model", stdout="more bytes truncated"),
           options={"max_output": 10_000}),
    # --- solving inside the child ----------------------------------------------------------------
    Attack("pulp-highs-actualsolve", "solving", "HiGHS hidden (highspy not in the root)",
           "import pulp\nm = pulp.LpProblem('p')\nx = pulp.LpVariable('x', 0, 1)\nm += x\n"
           "pulp.HiGHS().actualSolve(m)\n",
           Outcome("runtime_error", "runtime-error", "HiGHS: Not Available", 5)),
    Attack("pulp-cbc", "solving", "bundled CBC hidden; exec refused",
           "import pulp\nm = pulp.LpProblem('p')\nx = pulp.LpVariable('x', 0, 1)\nm += x\n"
           "m.solve(pulp.PULP_CBC_CMD(msg=False))\n",
           Outcome("runtime_error", "runtime-error", "PULP_CBC_CMD: Not Available", 5)),
    Attack("highspy-direct", "solving", "highspy hidden (an empty directory)",
           "import sys\nsys.modules.pop('highspy', None)\nimport highspy\nh = highspy.Highs()\n",
           Outcome("runtime_error", "runtime-error", "has no attribute 'Highs'", 4)),
    Attack("scipy-linprog", "solving", "scipy hidden",
           "from scipy.optimize import linprog\n",
           Outcome("runtime_error", "runtime-error", "No module named 'scipy.optimize'", 1)),
    # --- more kernel doors (each refused by seccomp with EPERM, or ENOSYS outside the list) ---
    Attack("setpgid", "processes", "seccomp (EPERM)", "import os\nos.setpgid(0, 0)\n",
           _refused(2)),
    Attack("vfork", "processes", "seccomp (EPERM)", _libc_call("vfork()", "vfork"),
           _errno("vfork", 4)),
    Attack("clone3-namespaces", "namespaces", "seccomp (ENOSYS: glibc falls back to clone)",
           _syscall(435, "ctypes.create_string_buffer(88), 88", "clone3"),
           Outcome("refused", "sandbox-refused", "[Errno 38] clone3", 4)),
    Attack("pidfd-open-parent", "processes", "seccomp (EPERM)",
           "import os\nos.pidfd_open({pid})\n", _refused(2)),
    Attack("process-vm-readv-parent", "processes", "seccomp (EPERM)",
           _syscall(310, "{pid}, None, 0, None, 0, 0", "process_vm_readv"),
           _errno("process_vm_readv", 4)),
    Attack("prlimit-parent", "scheduling", "seccomp (EPERM: prlimit64 on itself only)",
           "import resource\nresource.prlimit({pid}, resource.RLIMIT_NOFILE, (1, 1))\n",
           _refused(2)),
    Attack("raise-own-limits", "identity", "no CAP_SYS_RESOURCE (hard limits stay)",
           "import resource\nresource.setrlimit(resource.RLIMIT_AS, (-1, -1))\n",
           Outcome("runtime_error", "runtime-error", "not allowed to raise maximum limit", 2)),
    Attack("personality", "kernel", "seccomp (EPERM)", _syscall(135, "0x0040000", "personality"),
           _errno("personality", 4)),
    Attack("open-by-handle-at", "files", "seccomp (EPERM; the 'shocker' container escape)",
           _syscall(304, "-100, ctypes.create_string_buffer(16), 0", "open_by_handle_at"),
           _errno("open_by_handle_at", 4)),
    Attack("fsopen-mount", "namespaces", "seccomp (EPERM)", _syscall(430, "b'tmpfs', 0", "fsopen"),
           _errno("fsopen", 4)),
    Attack("proc-sysrq-trigger", "kernel", "minimal root (no /proc)",
           "open('/proc/sysrq-trigger', 'w').write('b')\n",
           Outcome("runtime_error", "runtime-error", "[Errno 2] No such file", 1)),
    Attack("sys-cgroup-write", "kernel", "minimal root (no /sys)",
           "open('/sys/fs/cgroup/cgroup.procs', 'w').write('1')\n",
           Outcome("runtime_error", "runtime-error", "[Errno 2] No such file", 1)),
    # --- the child ending itself: a located diagnostic, never a hang or an internal error ------
    Attack("kill-own-group", "signals", "own session (builtin) / pid namespace (bwrap)",
           "import os\nos.kill(0, 9)\n", Outcome("killed", "killed", "killed by SIGKILL")),
    Attack("segfault", "signals", "parent reads the signal", "import ctypes\nctypes.string_at(0)\n",
           Outcome("killed", "killed", "killed by SIGSEGV")),
    Attack("abort", "signals", "parent reads the signal; RLIMIT_CORE 0 (no core file)",
           "import os\nos.abort()\n", Outcome("killed", "killed", "killed by SIGABRT")),
    Attack("alarm", "signals", "parent reads the signal",
           "import signal, time\nsignal.alarm(1)\ntime.sleep(5)\n",
           Outcome("killed", "killed", "killed by SIGALRM")),
    Attack("os-exit", "parent trust", "no result: a located diagnostic",
           "import os\nos._exit(0)\n", Outcome("killed", "killed", "exited with status 0")),
    Attack("steal-result-fd", "parent trust", "no result: a located diagnostic",
           "import os, sys\nos.close(int(sys.argv[1]))\n"
           "fd = os.open('trap', os.O_CREAT | os.O_WRONLY)\nimport pulp\n"
           "model = pulp.LpProblem('p')\nx = pulp.LpVariable('x', 0, 1)\nmodel += x\n",
           Outcome("killed", "killed", "before its model was read back")),
    Attack("close-std-streams", "output", "the harness does not need them",
           "import os\nos.close(1)\nos.close(2)\nimport pulp\n"
           "model = pulp.LpProblem('p', pulp.LpMaximize)\nx = pulp.LpVariable('x', 0, 3)\n"
           "model += 2 * x\n", Outcome("ok", None)),
    Attack("cpsat-self-solve", "solving",
           "not prevented below the Python layers: CP-SAT lives in the library that builds its "
           "models; the run stays within its limits and formalize solves what was built",
           "from ortools.sat.python import cp_model\nm = cp_model.CpModel()\n"
           "x = m.new_int_var(0, 5, 'x')\nm.maximize(x)\ns = cp_model.CpSolver()\n"
           "print('self-solved', s.solve(m) == cp_model.OPTIMAL)\nmodel = m\n",
           Outcome("ok", None, stdout="self-solved True")),
    Attack("pyomo-appsi-highs", "solving", "highspy hidden",
           "import pyomo.environ as pyo\nm = pyo.ConcreteModel()\nm.x = pyo.Var(bounds=(0, 1))\n"
           "m.o = pyo.Objective(expr=m.x)\npyo.SolverFactory('appsi_highs').solve(m)\n",
           Outcome("runtime_error", "runtime-error", "is not available", 5)),
]
