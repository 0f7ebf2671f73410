"""A parent that trusts nothing the child writes. The program forges what the harness would send
(it runs in the same process and can write to the result pipe) or leaves files named like an
older protocol's; the parent must answer each with a located diagnostic, never an internal
error, a hang or unbounded memory. Also: the containment report comes from the parent's own
checks, a missing layer stops the run before the program starts, and the host-side cleanup
survives any tree."""

from __future__ import annotations

import fcntl
import json
import math
import os
import socket
import stat
import struct
from concurrent.futures import ThreadPoolExecutor

import pytest

from formalize.codemode import containment as cm
from formalize.codemode import sandbox, solve_code
from formalize.codemode.result import ResultError, split_frames
from formalize.codemode.sandbox import REASONS, run_code
from redteam import processes_left
from solvers.solution import Status

INF = float("inf")


def frame(kind: bytes, header: dict | bytes, blobs: bytes = b"") -> bytes:
    head = header if isinstance(header, bytes) else json.dumps(header).encode()
    body = struct.pack("<I", len(head)) + head + blobs
    return kind + struct.pack("<Q", len(body)) + body


def arrays_frame(columns=("x",), rows=("c1",), *, lower=(0.0,), upper=(10.0,), cost=(1.0,),
                 integer=(0,), rlo=(-INF,), rhi=(4.0,), a=((0, 0, 1.0),), header_extra=None,
                 header_drop=(), blobs_extra=b"") -> bytes:
    """A model frame as the harness writes it: maximize cost.x s.t. rlo <= A x <= rhi."""
    n, m, nnz = len(columns), len(rows), len(a)
    header = {
        "reason": "ok", "library": "pulp", "format": "arrays", "sense": "maximize",
        "offset": 0.0, "columns": list(columns), "column_var": list(columns),
        "column_index": [[] for _ in columns], "rows": list(rows),
        "blobs": [["col_lower", "f8", n], ["col_upper", "f8", n], ["col_cost", "f8", n],
                  ["col_integer", "i1", n], ["row_lower", "f8", m], ["row_upper", "f8", m],
                  ["a_row", "i8", nnz], ["a_col", "i8", nnz], ["a_val", "f8", nnz],
                  ["q_row", "i8", 0], ["q_col", "i8", 0], ["q_val", "f8", 0]],
    }
    header.update(header_extra or {})
    for k in header_drop:
        header.pop(k)
    f8 = lambda xs: struct.pack(f"<{len(xs)}d", *xs)  # noqa: E731
    i8 = lambda xs: struct.pack(f"<{len(xs)}q", *xs)  # noqa: E731
    blobs = (f8(lower) + f8(upper) + f8(cost) + bytes(integer) + f8(rlo) + f8(rhi)
             + i8([r for r, _, _ in a]) + i8([c for _, c, _ in a]) + f8([v for _, _, v in a]))
    return frame(b"M", json.dumps(header, allow_nan=True).encode(), blobs + blobs_extra)


def forging(data: bytes, then: str = "os._exit(0)") -> str:
    """A program that writes `data` to the harness's result pipe, then `then`."""
    return (
        "import os, sys\nfd = int(sys.argv[1])\n"
        f"data = {data!r}\n"
        "while data:\n    data = data[os.write(fd, data):]\n"
        f"{then}\n"
    )


FORGED = {
    # name: (program, reason, diagnostic code, text in the message)
    "extra-column-name": (forging(arrays_frame(header_extra={"columns": ["x", "y"]})),
                          "bad_result", "bad-result", "must be a list of 2 names"),
    "extra-field": (forging(arrays_frame(header_extra={"evil": 1})), "bad_result", "bad-result",
                    "unexpected fields: evil"),
    "missing-field": (forging(arrays_frame(header_drop=("rows",))), "bad_result", "bad-result",
                      "lacks fields: rows"),
    "nan-coefficient": (forging(arrays_frame(a=((0, 0, math.nan),))), "bad_result", "bad-result",
                        "coefficient of 'x' in c1 is nan"),
    "huge-cost": (forging(arrays_frame(cost=(1e300,))), "bad_result", "bad-result",
                  "objective coefficient of 'x' is 1e+300"),
    "nan-bound": (forging(arrays_frame(lower=(math.nan,))), "bad_result", "bad-result",
                  "lower bound of variable 'x' is NaN"),
    "inverted-infinity": (forging(arrays_frame(lower=(INF,))), "bad_result", "bad-result",
                          "infinite the wrong way"),
    "index-out-of-range": (forging(arrays_frame(a=((0, 7, 1.0),))), "bad_result", "bad-result",
                           "does not exist"),
    "integrality-flag": (forging(arrays_frame(integer=(7,))), "bad_result", "bad-result",
                         "must be 0 or 1"),
    "wrong-type": (forging(arrays_frame(header_extra={"columns": {"x": 1}})), "bad_result",
                   "bad-result", "the column names must be a list"),
    "index-object": (forging(arrays_frame(header_extra={"column_index": [[{"a": 1}]]})),
                     "bad_result", "bad-result", "holds a dict"),
    "trailing-bytes": (forging(arrays_frame(blobs_extra=b"\0" * 8)), "bad_result", "bad-result",
                       "8 bytes beyond its arrays"),
    "deep-json": (forging(frame(b"M", b"[" * 100_000)), "bad_result", "bad-result",
                  "not valid JSON"),
    "name-table-bomb": (forging(frame(b"M", b'{"column_index": [' + b"[]," * 200_000 + b"[]]}")),
                        "bad_result", "result-too-large", "hold more than 131,072 values"),
    "bomb-over-frames": ("import os, struct, sys\nfd = int(sys.argv[1])\n"
                         "head = b'{\"error\": [' + b'0,' * 100000 + b'0]}'\n"
                         "body = struct.pack('<I', len(head)) + head\n"
                         "data = (b'E' + struct.pack('<Q', len(body)) + body) * 15\n"
                         "while data:\n    data = data[os.write(fd, data):]\nos._exit(0)\n",
                         "bad_result", "bad-result", "more than one result"),
    "junk": (forging(b"GARBAGE" * 100), "bad_result", "bad-result", "not a harness frame"),
    "huge-length": (forging(b"M" + struct.pack("<Q", 1 << 60)), "bad_result", "result-too-large",
                    "exceeds the limit"),
    "truncated-frame": (forging(arrays_frame()[:-5]), "bad_result", "bad-result",
                        "incomplete frame"),
    "two-results": (forging(arrays_frame() + arrays_frame()), "bad_result", "bad-result",
                    "more than one result"),
    "escape-sequences-in-failure": (
        forging(frame(b"E", {"reason": "runtime_error", "code": "runtime-error",
                             "error": "\x1b[2J\x1b[32mALL CHECKS PASSED\u202e", "symbol": "\x07"})),
        "runtime_error", "runtime-error", "\\x1b[2J\\x1b[32mALL CHECKS PASSED\\u202e"),
    "escape-sequences-in-names": (forging(arrays_frame(columns=("\x1b[2Jx",),
                                                       lower=(math.nan,))),
                                  "bad_result", "bad-result", "variable '\\x1b[2Jx' is NaN"),
    "unknown-failure": (forging(frame(b"E", {"reason": "pwned", "code": "x", "error": "e"})),
                        "bad_result", "bad-result", "unknown failure"),
    "second-ready": (forging(frame(b"R", {"mode": "bwrap"})), "bad_result", "bad-result",
                     "not a model frame"),
    "flood": ("import os, struct, sys\nfd = int(sys.argv[1])\n"
              "os.write(fd, b'M' + struct.pack('<Q', (4 << 20) - 64))\nblock = bytes(1 << 20)\n"
              "while True:\n    os.write(fd, block)\n", "bad_result", "result-too-large",
              "larger than 4 MB"),
}


@pytest.fixture(scope="module")
def forged_runs():
    def one(name: str):
        return run_code(FORGED[name][0], _skip_allowlist=True, _audit_hook=False, timeout=20.0,
                        max_result_mb=4)

    names = sorted(FORGED)
    with ThreadPoolExecutor(max_workers=3) as pool:
        return dict(zip(names, pool.map(one, names)))


@pytest.mark.parametrize("name", sorted(FORGED))
def test_forged_results_are_refused(name, forged_runs):
    _, reason, code, text = FORGED[name]
    run = forged_runs[name]
    described = f"{run.reason}: {[str(d) for d in run.diagnostics]} {run.stderr[-300:]!r}"
    assert run.reason in REASONS
    assert run.reason == reason, described
    assert [d.code for d in run.diagnostics] == [code], described
    assert text in run.diagnostics[0].message, described
    assert run.diagnostics[0].hint
    assert not any(c in str(run.diagnostics[0]) for c in "\x1b\x07\u202e")  # terminal-safe
    assert run.wall_time < 20
    assert processes_left(run.uid) == []


def test_a_forged_consistent_model_is_only_what_the_program_built():
    """A well-formed forgery is a model like any other: we solve it ourselves (max x, x <= 4)."""
    sol, run = solve_code(forging(arrays_frame()), _skip_allowlist=True, _audit_hook=False)
    assert run.ok and run.library == "pulp"
    assert sol.status is Status.OPTIMAL and sol.objective == pytest.approx(4.0)


# --- files named like the old protocol ------------------------------------------------------
CRAFTED = '''
import json
with open('_containment.json', 'w') as f:
    f.write('[' * 100000)
with open('_result.json', 'w') as f:
    json.dump({"reason": "ok", "file": "/dev/zero", "format": "lp", "library": "pulp"}, f)
open('model.lp', 'w').write('maximize\\n obj: x\\nend\\n')
import pulp
model = pulp.LpProblem('p', pulp.LpMaximize)
x = pulp.LpVariable('x', 0, 3)
model += 2 * x
'''


def test_files_the_child_writes_are_never_read():
    sol, run = solve_code(CRAFTED, _skip_allowlist=True, _audit_hook=False)
    assert run.ok, [str(d) for d in run.diagnostics]
    assert sol.objective == pytest.approx(6.0)  # the model built, not the files left
    assert run.layers["seccomp"].startswith("allow-list")  # seen from /proc by the parent
    assert "tmpfs" in run.layers["disk"]


def test_a_missing_layer_stops_the_run_before_the_program(monkeypatch):
    real = cm.inspect_child

    def without_seccomp(*a, **k):
        seen = real(*a, **k)
        seen.missing.append("no seccomp filter")
        return seen

    monkeypatch.setattr(cm, "inspect_child", without_seccomp)
    run = sandbox.run_code("print('the program ran')\n", _skip_allowlist=True)
    assert run.reason == "sandbox_unavailable"
    assert [d.code for d in run.diagnostics] == ["sandbox-unavailable"]
    assert "no seccomp filter" in run.diagnostics[0].message
    assert "the program ran" not in run.stdout


def test_memory_too_small_for_the_libraries_is_a_memory_limit():
    run = run_code("import pyomo.environ as pyo\nmodel = pyo.ConcreteModel()\n", memory_mb=24)
    assert run.reason == "memory_limit", [str(d) for d in run.diagnostics]
    assert run.diagnostics[0].code == "memory-limit" and "24 MB" in run.diagnostics[0].hint


# --- the result channel itself ------------------------------------------------------------------
@pytest.mark.parametrize("data, text", [
    (b"X" + bytes(20), "not a harness frame"),
    (b"M" + struct.pack("<Q", 2) + b"ab", "truncated"),
    (b"M" + struct.pack("<Q", 8) + struct.pack("<I", 100) + b"abcd", "longer than the frame"),
    (frame(b"M", b"[1, 2]"), "not an object"),
    (frame(b"M", b"\xff\xfe"), "not valid JSON"),
])
def test_malformed_frames(data, text):
    with pytest.raises(ResultError, match=text):
        split_frames(data, 1 << 20)


def test_incomplete_frame_waits_for_more():
    data = arrays_frame()
    frames, used = split_frames(data[:-3], 1 << 20)
    assert frames == [] and used == 0
    frames, used = split_frames(data, 1 << 20)
    assert len(frames) == 1 and used == len(data)


# --- cleanup that survives any tree ---------------------------------------------------------
def _immutable(path: str) -> bool:
    try:
        fd = os.open(path, os.O_RDONLY)
        try:
            fcntl.ioctl(fd, 0x40086602, struct.pack("l", 0x10))  # FS_IOC_SETFLAGS immutable
        finally:
            os.close(fd)
        return True
    except OSError:
        return False


def test_remove_tree_survives_any_tree(tmp_path):
    outside = tmp_path / "outside.txt"
    outside.write_text("keep")
    top = tmp_path / "work"
    top.mkdir()
    fd = os.open(top, os.O_RDONLY | os.O_DIRECTORY)
    for i in range(3000):  # deeper than PATH_MAX allows to name: walk by descriptors
        os.mkdir("d", dir_fd=fd)
        nxt = os.open("d", os.O_RDONLY | os.O_DIRECTORY, dir_fd=fd)
        if i % 500 == 0:
            os.mkfifo("fifo", dir_fd=nxt)
            os.symlink(str(outside), "link", dir_fd=nxt)
            os.close(os.open("locked", os.O_CREAT | os.O_WRONLY, 0, dir_fd=nxt))
        if i % 700 == 0:
            os.chmod(nxt, 0)
        os.close(fd)
        fd = nxt
    os.close(fd)
    sock = socket.socket(socket.AF_UNIX)
    sock.bind(str(top / "sock"))
    sock.close()
    flagged = str(top / "immutable")
    open(flagged, "w").close()
    made_immutable = _immutable(flagged)
    os.chmod(top, 0)
    assert cm.remove_tree(str(top)) == []
    assert not top.exists()
    assert outside.read_text() == "keep"
    if os.geteuid() == 0 and not made_immutable:
        pytest.skip("this file system does not support the immutable flag (rest checked)")


def test_remove_tree_of_a_symlink_or_missing_path(tmp_path):
    target = tmp_path / "t"
    target.mkdir()
    (target / "keep").write_text("x")
    link = tmp_path / "l"
    link.symlink_to(target)
    assert cm.remove_tree(str(link)) == []
    assert (target / "keep").exists() and not link.exists()
    assert cm.remove_tree(str(tmp_path / "missing")) == []
    assert stat.S_ISDIR(os.stat(target).st_mode)


def test_result_channel_fuzz_only_raises_result_errors():
    """Thousands of mutated frames: the parser and validators answer with ResultError or a
    value, never another exception."""
    from formalize.codemode.result import read_failure, read_model, read_ready

    rng = __import__("random").Random(5)
    seeds = [arrays_frame(), arrays_frame(columns=("a", "b"), lower=(0.0, 1.0), upper=(1.0, 2.0),
                                          cost=(1.0, 2.0), integer=(0, 1), a=((0, 1, 2.0),)),
             frame(b"E", {"reason": "runtime_error", "code": "runtime-error", "error": "x",
                          "line": 3}),
             frame(b"R", {"mode": "builtin", "namespaces": ["mnt"], "uid": 5})]
    jsonish = [b"null", b"[]", b"{}", b"1e999", b'"x"', b"[[[[", b'{"a": [1, {"b": null}]}',
               b"-0", b"true", b'{"reason": ["x"], "code": {}, "error": 1}']
    for i in range(3000):
        data = bytearray(rng.choice(seeds))
        for _ in range(rng.randint(1, 4)):
            op = rng.randrange(4)
            pos = rng.randrange(len(data))
            if op == 0:
                data[pos] = rng.randrange(256)
            elif op == 1:
                del data[pos:pos + rng.randint(1, 16)]
            elif op == 2:
                data[pos:pos] = rng.choice(jsonish)
            elif i % 3 == 0:  # a well-formed frame with one field of the wrong shape
                seed = rng.choice(seeds)
                (hlen,) = struct.unpack_from("<I", seed, 9)
                head = json.loads(seed[13:13 + hlen])
                key = rng.choice(sorted(head))
                head[key] = json.loads(rng.choice(jsonish).replace(b"1e999", b"1")
                                       .replace(b"[[[[", b"[[]]"))
                data = bytearray(frame(seed[:1], head, seed[13 + hlen:]))
        try:
            frames, _ = split_frames(bytes(data), 1 << 20)
            for f in frames:
                {b"M": read_model, b"E": read_failure, b"R": read_ready}[f.kind](f)
        except ResultError:
            pass


def test_without_namespaces_the_host_work_directory_is_still_removed():
    """The fallback a system without namespaces gets: the work directory is on the host disk,
    owned by the run's uid; a 3,000-deep tree with a mode-0 directory still goes."""
    src = ("import os\nfor i in range(3000):\n    os.mkdir('d')\n    os.chdir('d')\n"
           "os.chmod('.', 0)\nprint('deep ok')\n")
    run = run_code(src, _skip_allowlist=True, _audit_hook=False, _outer="none", timeout=30)
    assert not os.path.exists(run.work_dir)
    if os.geteuid() == 0 and not _world_readable(os.path.dirname(os.__file__)):
        # here the Python installation sits below a private directory (/root): without a mount
        # namespace the unprivileged uid cannot read it, and the run is refused, not weakened
        assert run.reason == "sandbox_unavailable"
        assert "not readable by the run's unprivileged uid" in run.diagnostics[0].message
        return
    assert run.reason == "no_model" and "deep ok" in run.stdout, [str(d) for d in run.diagnostics]
    assert run.layers["outer"] == "none (no namespaces)"
    assert run.layers["disk"] == "no total quota (per-file limit only)"
    assert "seccomp" in run.layers and "uid" in run.layers
    assert processes_left(run.uid) == []


def _world_readable(path: str) -> bool:
    """Can any user reach and list `path` (every ancestor o+x, the path o+rx)?"""
    parts = os.path.abspath(path).split("/")
    for i in range(2, len(parts) + 1):
        mode = os.stat("/".join(parts[:i]) or "/").st_mode
        if not mode & stat.S_IXOTH:
            return False
    return bool(os.stat(path).st_mode & stat.S_IROTH)


def test_a_name_table_bomb_costs_the_parent_little():
    """60 MB of `[],` as the index table would take 1.3 GB to parse (22 bytes of memory per byte
    of input) and, read chunk by chunk with a parse after each, minutes: the values are counted
    before parsing and a frame is parsed once, when complete."""
    import time
    import tracemalloc

    src = ("import os, struct, sys\nfd = int(sys.argv[1])\n"
           "head = b'{\"column_index\": [' + b'[],' * (20 << 20) + b'[]]}'\n"
           "data = b'M' + struct.pack('<QI', len(head) + 4, len(head)) + head\n"
           "view = memoryview(data)\nwhile view:\n    view = view[os.write(fd, view):]\n"
           "os._exit(0)\n")
    tracemalloc.start()
    t0 = time.monotonic()
    try:
        run = run_code(src, _skip_allowlist=True, _audit_hook=False, timeout=30.0,
                       max_result_mb=64)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert run.reason == "bad_result", [str(d) for d in run.diagnostics]
    assert run.diagnostics[0].code == "result-too-large"
    assert "hold more than 2,097,152 values" in run.diagnostics[0].message
    assert time.monotonic() - t0 < 20
    assert peak < 200 << 20, f"the parent's Python allocations peaked at {peak >> 20} MB"


def test_a_thread_started_before_the_layers_stops_the_run():
    """Seccomp and Landlock hold per thread: a harness with a second thread at its ready point
    (say, a library that starts one on import) is not let run."""
    import subprocess
    import sys

    child = subprocess.Popen([sys.executable, "-c", "import threading, time\n"
                              "threading.Thread(target=time.sleep, args=(30,)).start()\n"
                              "print('up', flush=True)\ntime.sleep(30)\n"],
                             stdout=subprocess.PIPE)
    try:
        assert child.stdout.readline() == b"up\n"
        limits = {"cpu": 1, "as": 1, "fsize": 1, "nofile": 1, "nproc": 1}
        seen = cm.inspect_child(child.pid, uid=os.getuid(), limits=limits, outer="builtin",
                                claims={})
    finally:
        child.kill()
        child.wait()
    assert any("was started before the layers were set up" in m for m in seen.missing), \
        seen.missing
