"""Hostile code-mode programs. Each is proven refused by the allow-list AND, with the allow-list
deliberately bypassed (`_skip_allowlist=True`), contained by the sandbox at run time; every test
then checks that the host is untouched (no file written or removed, no secret in the output, no
connection made, no stray process)."""

from __future__ import annotations

import os
import socket
import threading
import time
from pathlib import Path

import pytest

from formalize.codemode import check_code, run_code

SECRET = "s3cr3t-7f1d9a"
FAST = {"timeout": 5.0, "cpu_seconds": 4, "memory_mb": 768, "max_file_mb": 8}


def _stray_processes(settle: float = 2.0) -> list[int]:
    """Pids of harness processes this test run left behind (forked children keep its command
    line). A process killed a moment ago may take a little while to go: wait up to `settle`
    seconds before calling it a stray."""
    import time

    deadline = time.monotonic() + settle
    while True:
        found = _harness_processes()
        if not found or time.monotonic() > deadline:
            return found
        time.sleep(0.05)


def _harness_processes() -> list[int]:
    found = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            cmd = Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:
            continue
        if b"formalize-code-" in cmd and b"_harness.py" in cmd:
            found.append(int(pid))
    return found


def _sandboxed(src: str, **kw):
    """Run with the allow-list skipped (proving the sandbox alone) and check both layers."""
    assert check_code(src), f"allow-list let this through:\n{src}"
    assert run_code(src, **FAST).reason == "refused"
    run = run_code(src, _skip_allowlist=True, **{**FAST, **kw})
    assert not _stray_processes()
    assert SECRET not in run.stdout and SECRET not in run.stderr
    return run


@pytest.fixture
def host(tmp_path, monkeypatch):
    """A private directory with a secret file, a file to protect, and a secret in the env."""
    private = tmp_path / "private"
    private.mkdir(mode=0o700)
    (private / "secret.txt").write_text(SECRET)
    keep = tmp_path / "keep.txt"
    keep.write_text("precious")
    monkeypatch.setenv("FORMALIZE_TEST_SECRET", SECRET)
    return {
        "target": tmp_path / "pwned",
        "secret": private / "secret.txt",
        "keep": keep,
        "dir": tmp_path,
    }


def _untouched(host) -> None:
    assert not host["target"].exists(), "a file was written outside the sandbox"
    assert host["keep"].read_text() == "precious"
    assert host["secret"].read_text() == SECRET


# --- file system -----------------------------------------------------------------------------
WRITE_PROGRAMS = {
    "open-write": "open({t!r}, 'w').write('x')",
    "os-open": "import os\nfd = os.open({t!r}, os.O_WRONLY | os.O_CREAT)\nos.write(fd, b'x')",
    "pathlib": "import pathlib\npathlib.Path({t!r}).write_text('x')",
    "chdir-then-write": "import os\nos.chdir({d!r})\nopen('pwned', 'w').write('x')",
    "relative-escape": "open('../../../../..' + {t!r}, 'w').write('x')",
    "symlink-escape": "import os\nos.symlink({d!r}, 'link')\nopen('link/pwned', 'w').write('x')",
    "shutil-copy": "import shutil\nshutil.copyfile({k!r}, {t!r})",
    "remove-host-file": "import os\nos.remove({k!r})",
    "rename-host-file": "import os\nos.rename({k!r}, {t!r})",
    "truncate-host-file": "open({k!r}, 'w').close()",
    "tempfile-elsewhere": "import tempfile\ntempfile.mkstemp(dir={d!r}, prefix='pwned')",
}


@pytest.mark.parametrize("name", sorted(WRITE_PROGRAMS))
def test_file_system_escapes_are_contained(name, host):
    src = WRITE_PROGRAMS[name].format(
        t=str(host["target"]), d=str(host["dir"]), k=str(host["keep"])
    )
    run = _sandboxed(src)
    assert run.reason in ("refused", "runtime_error"), run
    _untouched(host)
    assert not list(host["dir"].glob("pwned*"))


def test_c_level_write_bypassing_the_audit_hook_is_stopped_by_landlock(host):
    """CP-SAT's export_to_file writes from C++, invisible to Python's audit hook."""
    src = (
        "from ortools.sat.python import cp_model\nm = cp_model.CpModel()\n"
        f"ok = m.export_to_file({str(host['target'])!r})\nprint('exported', ok)\n"
        "model = m\n"
    )
    run = _sandboxed(src)
    if not any(layer.startswith("landlock") for layer in run.containment):
        pytest.skip("Landlock unavailable on this kernel")
    assert "exported False" in run.stdout
    _untouched(host)


# --- secrets ---------------------------------------------------------------------------------
SECRET_PROGRAMS = {
    "read-private-file": "print(open({s!r}).read())",
    "environment": "import os\nprint(dict(os.environ))",
    "proc-parent-environ": "import os\nprint(open(f'/proc/{{os.getppid()}}/environ').read())",
    "proc-self-environ": "print(open('/proc/self/environ').read())",
    "etc-passwd": "print(open('/etc/passwd').read())",
    "listdir-private": "import os\nprint(os.listdir({p!r}))",
}


@pytest.mark.parametrize("name", sorted(SECRET_PROGRAMS))
def test_secrets_are_not_visible(name, host):
    src = SECRET_PROGRAMS[name].format(s=str(host["secret"]), p=str(host["secret"].parent))
    run = _sandboxed(src)
    assert "FORMALIZE_TEST_SECRET" not in run.stdout
    assert "root:x:0" not in run.stdout
    assert "secret.txt" not in run.stdout
    _untouched(host)


# --- network ---------------------------------------------------------------------------------
@pytest.fixture
def listener():
    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.bind(("127.0.0.1", 0))
    srv.listen(5)
    srv.settimeout(0.2)
    hits: list[object] = []
    stop = threading.Event()

    def accept() -> None:
        while not stop.is_set():
            try:
                conn, _ = srv.accept()
            except OSError:
                continue
            hits.append(conn)
            conn.close()

    th = threading.Thread(target=accept, daemon=True)
    th.start()
    yield srv.getsockname()[1], hits
    stop.set()
    th.join(1)
    srv.close()


NET_PROGRAMS = {
    "socket-connect": "import socket\ns = socket.create_connection(('127.0.0.1', {port}), 2)\n"
    "s.sendall(b'hi')",
    "urllib": "import urllib.request\nurllib.request.urlopen('http://127.0.0.1:{port}/', "
    "timeout=2)",
    "socket-via-sys-modules": "import sys\nsock = sys.modules.get('socket') or "
    "__import__('socket')\nsock.socket().connect(('127.0.0.1', {port}))",
}


@pytest.mark.parametrize("name", sorted(NET_PROGRAMS))
def test_network_is_unreachable(name, listener):
    port, hits = listener
    run = _sandboxed(NET_PROGRAMS[name].format(port=port))
    time.sleep(0.3)
    assert hits == [], "the sandboxed program connected to the host"
    assert run.reason in ("refused", "runtime_error")
    assert run.network in ("netns", "audit-hook")


# --- processes -------------------------------------------------------------------------------
PROCESS_PROGRAMS = {
    "os-system": "import os\nos.system('touch {t}')",
    "subprocess": "import subprocess\nsubprocess.run(['touch', '{t}'])",
    "posix-spawn": "import os\nos.posix_spawn('/usr/bin/touch', ['touch', '{t}'], {{}})",
    "execv": "import os\nos.execv('/usr/bin/touch', ['touch', '{t}'])",
    "fork-bomb": "import os\nwhile True:\n    os.fork()",
    "multiprocessing": "import multiprocessing as mp\np = mp.Process(target=print)\np.start()",
    "raw-fork-exec-after-reload": (
        "import importlib, _posixsubprocess, os\nimportlib.reload(_posixsubprocess)\n"
        "r, w = os.pipe()\n"
        "_posixsubprocess.fork_exec([b'/usr/bin/touch', b'{t}'], [b'/usr/bin/touch'], True, (),"
        " None, None, -1, -1, -1, -1, -1, -1, r, w, True, False, -1, None, None, -1, None,"
        " False)"
    ),
    "ctypes-system": "import ctypes\nctypes.CDLL(None).system(b'touch {t}')",
    "kill-parent": "import os, signal\nos.kill(os.getppid(), signal.SIGTERM)",
    "pty-spawn": "import pty\npty.spawn(['touch', '{t}'])",
}


@pytest.mark.parametrize("name", sorted(PROCESS_PROGRAMS))
def test_processes_cannot_be_started(name, host):
    run = _sandboxed(PROCESS_PROGRAMS[name].format(t=str(host["target"])))
    assert run.reason in ("refused", "runtime_error"), run
    _untouched(host)


# --- import and reflection tricks (the allow-list's job; the sandbox proves them harmless) ----
TRICKS = {
    "getattr-builtins-eval": "f = getattr(__builtins__, 'ev' + 'al')\n"
    "f(\"__import__('os').system('touch {t}')\")",
    "globals-builtins": "b = globals()['__builtins__']\n"
    "imp = b['__import__'] if isinstance(b, dict) else b.__import__\n"
    "imp('os').system('touch {t}')",
    "dunder-import-string": "__import__('o' + 's').system('touch {t}')",
    "subclasses-walk": (
        "for c in ().__class__.__bases__[0].__subclasses__():\n"
        "    if c.__name__ == '_wrap_close':\n"
        "        c.__init__.__globals__['system']('touch {t}')"
    ),
    "lambda-globals": "g = (lambda: 0).__globals__['__builtins__']\n"
    "g = g if isinstance(g, dict) else g.__dict__\n"
    "g['exec'](\"import os; os.system('touch {t}')\")",
    "decorator-eval": "@eval\n@(lambda f: \"__import__('os').system('touch {t}')\")\ndef x(): pass",
    "vars-and-exec": "exec(\"import os\\nos.system('touch {t}')\")",
    "frame-walk": "def g():\n    yield 1\ngen = g()\nb = gen.gi_frame.f_builtins\n"
    "b['__import__']('os').system('touch {t}')",
    "compile-code": "code = compile(\"open('{t}', 'w')\", 'x', 'exec')\nexec(code)",
    "format-string-leak": "print('{{0.__class__.__mro__}}'.format(()))\n"
    "__import__('os').system('touch {t}')",
}


@pytest.mark.parametrize("name", sorted(TRICKS))
def test_reflection_tricks(name, host):
    run = _sandboxed(TRICKS[name].format(t=str(host["target"])))
    assert run.reason in ("refused", "runtime_error", "ok"), run
    _untouched(host)


# --- resource exhaustion ---------------------------------------------------------------------
def test_infinite_loop_is_killed_within_the_timeout():
    t0 = time.perf_counter()
    run = run_code("while True:\n    pass\n", _skip_allowlist=True, timeout=3.0, cpu_seconds=2)
    assert run.reason in ("cpu_limit", "timeout")
    assert time.perf_counter() - t0 < 5.0
    assert not _stray_processes()


def test_sleeping_program_hits_the_wall_timeout():
    src = "import time\ntime.sleep(60)\n"
    assert check_code(src)
    t0 = time.perf_counter()
    run = run_code(src, _skip_allowlist=True, timeout=2.0)
    assert run.reason == "timeout" and run.diagnostics[0].code == "timeout"
    assert time.perf_counter() - t0 < 4.0
    assert not _stray_processes()


@pytest.mark.parametrize(
    "src",
    [
        "x = bytearray(8 * 1024 ** 3)\n",
        "x = [0] * (10 ** 10)\n",
        "x = []\nwhile True:\n    x.append(' ' * 10 ** 7)\n",
    ],
)
def test_memory_bomb_hits_the_memory_limit(src):
    run = run_code(src, _skip_allowlist=True, **FAST)
    assert run.reason == "memory_limit", run
    assert run.diagnostics[0].code == "memory-limit"


def test_huge_output_is_truncated():
    src = "for i in range(200000):\n    print('x' * 100)\n"
    run = run_code(src, max_output=10_000, timeout=10)
    assert run.stdout_truncated and len(run.stdout) < 10_200
    assert "truncated" in run.stdout


def test_huge_file_hits_the_file_size_limit():
    src = "f = open('big.bin', 'wb')\nfor i in range(100):\n    f.write(b'0' * 1024 * 1024)\n"
    assert check_code(src)
    run = run_code(src, _skip_allowlist=True, **{**FAST, "max_file_mb": 4})
    assert run.reason == "file_limit", run
    assert run.diagnostics[0].location.field == "line 3"


def test_recursion_bomb_is_contained():
    src = "def f(n):\n    return f(n + 1) + 1\nmodel = f(0)\n"
    assert check_code(src) == []  # plain Python: only the runtime can stop it
    run = run_code(src, **FAST)
    assert run.reason == "runtime_error"
    assert "RecursionError" in run.diagnostics[0].message
    assert run.diagnostics[0].location.field == "line 2"


def test_containment_layers_are_reported():
    run = run_code("import math\nmodel = math.pi\n", **FAST)
    assert run.reason == "bad_model"
    assert "audit-hook" in run.containment
    assert run.network in ("netns", "audit-hook")


# --- the kernel layers alone: allow-list skipped AND the Python audit hook switched off -------
KERNEL_ONLY = {
    "os-system": ("import os\nrc = os.system('touch {t}')\nprint('rc', rc)", "seccomp"),
    "subprocess": ("import subprocess\nsubprocess.run(['touch', '{t}'])", "seccomp"),
    "fork": ("import os\npid = os.fork()\nprint('forked', pid)", "seccomp"),
    "write-outside": ("open('{t}', 'w').write('x')", "landlock"),
    "read-secret": ("print(open('{s}').read())", "landlock"),
    "kill-parent": ("import os, signal\nos.kill(os.getppid(), signal.SIGTERM)", "seccomp"),
    "socket": ("import socket\nsocket.create_connection(('127.0.0.1', {port}), 2)", "seccomp"),
}


@pytest.mark.parametrize("name", sorted(KERNEL_ONLY))
def test_kernel_layers_contain_without_the_audit_hook(name, host, listener):
    src, layer = KERNEL_ONLY[name]
    port, hits = listener
    src = src.format(t=str(host["target"]), s=str(host["secret"]), port=port)
    run = run_code(src, _skip_allowlist=True, _audit_hook=False, **FAST)
    if not any(c.startswith(layer) for c in run.containment):
        pytest.skip(f"{layer} unavailable here")
    assert "audit-hook" not in run.containment
    if name == "os-system":  # glibc reports a failed spawn as status 127, not an exception
        assert run.reason == "no_model" and "rc 32512" in run.stdout, run
    else:
        assert run.reason in ("refused", "runtime_error"), run
    assert "forked" not in run.stdout
    assert SECRET not in run.stdout
    time.sleep(0.2)
    assert hits == []
    assert not _stray_processes()
    _untouched(host)
