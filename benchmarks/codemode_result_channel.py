"""Code mode: reading the child's result channel, chunk by chunk, before and after the change
that parses a frame once, when it is complete (issue 8, a parent that trusts nothing).

A valid model frame (N columns, N rows, 2N nonzeros, a name table) is built as the harness
builds it and fed in 64 KB chunks (a pipe's default size) to:
- **per chunk** (before): after every chunk, `split_frames` over a copy of everything not yet
  taken as a frame, as the parent's loop did;
- **per frame** (now): `frame_need` says how many bytes the next frame needs; `split_frames`
  runs when they are in.
Then a hostile header (`[],` repeated: 3 bytes of input, a list object each) of the same size:
what parsing it took before (time, memory, in a fresh process) against the parent now refusing
it before parsing. Prints times, ratios and memory side by side.

Run: ``python benchmarks/codemode_result_channel.py [--columns 400000] [--chunk 65536]``

Measured (2026-12-02, 2 shared cores under load ~12, defaults):
    model frame: 400,000 columns and rows, 47.7 MB, 64 KB chunks
      per frame (now)          6.15 s  (read and validated)
      per chunk (before)     126.61 s  (read and validated)
      ratio before/now: 20.6x
    hostile header of 47.7 MB (`[],` repeated), result limit 256 MB:
      now:      0.81 s, refused: the result's headers hold more than 8,388,608 values (...)
      before:  58.90 s to parse, 701 MB more memory (15 bytes per byte of input)
(The parent's result pipe is now also 1 MB instead of 64 KB where the kernel allows it, so
the real loop takes fewer, larger chunks than this simulation.)
"""

from __future__ import annotations

import argparse
import json
import struct
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from formalize.codemode.result import (  # noqa: E402
    ResultError,
    frame_need,
    read_model,
    split_frames,
)


def model_frame(n: int) -> bytes:
    """max sum x s.t. x_i + x_{i+1} <= 1, 0 <= x <= 1, names x[i] / c[i]."""
    cols = [f"x[{i}]" for i in range(n)]
    rows = [f"c[{i}]" for i in range(n)]
    f8 = lambda a: np.asarray(a, "<f8").tobytes()  # noqa: E731
    i8 = lambda a: np.asarray(a, "<i8").tobytes()  # noqa: E731
    ar = np.repeat(np.arange(n), 2)
    ac = (np.tile([0, 1], n) + ar) % n
    blobs = [f8(np.zeros(n)), f8(np.ones(n)), f8(np.ones(n)), np.zeros(n, "i1").tobytes(),
             f8(np.full(n, -np.inf)), f8(np.ones(n)), i8(ar), i8(ac), f8(np.ones(2 * n)),
             b"", b"", b""]
    header = {"reason": "ok", "library": "pulp", "format": "arrays", "sense": "maximize",
              "offset": 0.0, "columns": cols, "column_var": ["x"] * n,
              "column_index": [[i] for i in range(n)], "rows": rows,
              "blobs": [["col_lower", "f8", n], ["col_upper", "f8", n], ["col_cost", "f8", n],
                        ["col_integer", "i1", n], ["row_lower", "f8", n], ["row_upper", "f8", n],
                        ["a_row", "i8", 2 * n], ["a_col", "i8", 2 * n], ["a_val", "f8", 2 * n],
                        ["q_row", "i8", 0], ["q_col", "i8", 0], ["q_val", "f8", 0]]}
    head = json.dumps(header, separators=(",", ":")).encode()
    body = struct.pack("<I", len(head)) + head + b"".join(blobs)
    return b"M" + struct.pack("<Q", len(body)) + body


def per_chunk(data: bytes, chunk: int, limit: int) -> list:
    res, frames, used = bytearray(), [], 0
    for k in range(0, len(data), chunk):
        res += data[k : k + chunk]
        new, n = split_frames(res[used:], limit)
        frames += new
        used += n
    return frames


def per_frame(data: bytes, chunk: int, limit: int) -> list:
    res, frames, used, need = bytearray(), [], 0, 9
    for k in range(0, len(data), chunk):
        res += data[k : k + chunk]
        if len(res) - used >= need:
            new, used = split_frames(res, limit, used)
            frames += new
            need = frame_need(res, used, limit)
    return frames


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--columns", type=int, default=400_000)
    ap.add_argument("--chunk", type=int, default=1 << 16)
    a = ap.parse_args()
    limit = 256 << 20
    data = model_frame(a.columns)
    print(f"model frame: {a.columns:,} columns and rows, {len(data) / 2**20:.1f} MB, "
          f"{a.chunk >> 10} KB chunks")
    times = {}
    for name, fn in (("per frame (now)", per_frame), ("per chunk (before)", per_chunk)):
        t0 = time.perf_counter()
        frames = fn(data, a.chunk, limit)
        model = read_model(frames[0])
        times[name] = time.perf_counter() - t0
        assert model.num_cols == a.columns and model.columns[-1] == f"x[{a.columns - 1}]"
        print(f"  {name:20s} {times[name]:8.2f} s  (read and validated)")
    print(f"  ratio before/now: {times['per chunk (before)'] / times['per frame (now)']:.1f}x")

    bomb = b"[" + b"[]," * ((len(data) - 2) // 3) + b"[]]"
    head = b'{"column_index":' + bomb + b"}"
    frame = b"M" + struct.pack("<QI", len(head) + 4, len(head)) + head
    t0 = time.perf_counter()
    try:
        split_frames(frame, limit)
        refused = "parsed"
    except ResultError as exc:
        refused = f"refused: {exc}"
    t_now = time.perf_counter() - t0
    # before: parsed, then validated; in a fresh process, to see its memory alone
    probe = ("import json, resource, sys, time\nd = sys.stdin.buffer.read()\n"
             "r0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\nt = time.perf_counter()\n"
             "json.loads(d)\nprint(time.perf_counter() - t, "
             "(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - r0) / 1024)\n")
    out = subprocess.run([sys.executable, "-c", probe], input=head, capture_output=True,
                         check=True).stdout.split()
    t_before, mb_before = float(out[0]), float(out[1])
    print(f"hostile header of {len(head) / 2**20:.1f} MB (`[],` repeated), result limit "
          f"{limit >> 20} MB:")
    print(f"  now:    {t_now:6.2f} s, {refused[:100]}")
    print(f"  before: {t_before:6.2f} s to parse, {mb_before:,.0f} MB more memory "
          f"({mb_before * 2**20 / len(head):.0f} bytes per byte of input)")


if __name__ == "__main__":
    main()
