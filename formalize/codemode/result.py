"""The child's result channel, read by a parent that trusts none of it.

The harness sends frames over a pipe: `R` (ready: what it set up, before any user code ran),
then one `M` (the built model) or `E` (a failure). A frame is kind (1 byte) + payload length
(8 bytes LE) + header length (4 bytes LE) + header JSON + binary blobs the header lists. The
program runs in the same process as the harness and can write anything to that pipe, so every
frame is parsed strictly and the model is validated field by field: unknown or missing fields,
wrong types, lengths that disagree, indices out of range, NaN, infinities where a number must be
finite and magnitudes beyond what the solvers accept are all refused with a located message.
"""

from __future__ import annotations

import contextlib
import gc
import json
import math
import re
import struct
from dataclasses import dataclass, field
from typing import Any

import numpy as np

MAX_NAME = 4096
MAX_INDEX_ARITY = 64
MAX_COEFFICIENT = 1e15  # HiGHS refuses larger matrix values ("large_matrix_value")
ERROR_REASONS = frozenset({
    "refused", "runtime_error", "no_model", "bad_model", "memory_limit", "file_limit",
    "disk_limit", "fd_limit", "sandbox_error",
})
ERROR_CODES = frozenset({
    "sandbox-refused", "solve-call", "runtime-error", "syntax-error", "missing-model",
    "bad-model", "memory-limit", "file-limit", "disk-limit", "fd-limit", "sandbox-unavailable",
})
_ARRAY_BLOBS = (
    ("col_lower", "f8", "n"), ("col_upper", "f8", "n"), ("col_cost", "f8", "n"),
    ("col_integer", "i1", "n"), ("row_lower", "f8", "m"), ("row_upper", "f8", "m"),
    ("a_row", "i8", "nnz"), ("a_col", "i8", "nnz"), ("a_val", "f8", "nnz"),
    ("q_row", "i8", "nq"), ("q_col", "i8", "nq"), ("q_val", "f8", "nq"),
)
_READY_FIELDS: dict[str, Any] = {
    "mode": str, "namespaces": list, "root": str, "disk": int, "uid": int, "landlock": str,
    "seccomp": str, "python": list, "isolation_error": str,
}


class ResultError(Exception):
    """The result channel held something the parent will not use."""

    def __init__(self, message: str, symbol: str | None = None, code: str = "bad-result") -> None:
        super().__init__(message)
        self.symbol = symbol
        self.code = code


@dataclass
class Frame:
    kind: bytes
    header: dict
    body: memoryview  # the blob bytes after the header


@dataclass
class HarvestedModel:
    """A linear (quadratic-objective) model as validated arrays, with its name table."""

    library: str
    sense: str  # "minimize" | "maximize"
    offset: float
    columns: list[str]
    column_var: list[str]
    column_index: list[tuple]
    rows: list[str]
    col_lower: np.ndarray
    col_upper: np.ndarray
    col_cost: np.ndarray
    col_integer: np.ndarray
    row_lower: np.ndarray
    row_upper: np.ndarray
    a_row: np.ndarray
    a_col: np.ndarray
    a_val: np.ndarray
    q_row: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    q_col: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    q_val: np.ndarray = field(default_factory=lambda: np.zeros(0))

    @property
    def num_cols(self) -> int:
        return len(self.columns)

    @property
    def num_rows(self) -> int:
        return len(self.rows)


@contextlib.contextmanager
def _no_gc():  # type: ignore[no-untyped-def]
    """Millions of small containers (a name table) without a collection every 700 of them:
    the collector made parsing five times slower, and these objects form no cycles."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def max_header_entries(limit: int) -> int:
    """How many JSON values (list items, members) the headers may hold for a result limit of
    `limit` bytes. Parsing costs up to ~70 bytes of memory per value (`[],` is 3 bytes of input
    but a list object), so the values are counted before parsing: the parent's memory for a
    result stays within about three times the result limit (764 MB measured for the worst
    header at 256 MB: 4.2 million empty lists beside 244 MB of array bytes), whatever the child
    sends."""
    return max(limit // 32, 4096)


def _frame_size(buf: bytes | bytearray, pos: int, limit: int) -> int:
    """The payload size of the frame starting at `pos` (9 bytes must be there), checked."""
    if buf[pos : pos + 1] not in (b"R", b"M", b"E"):
        raise ResultError("the result channel holds bytes that are not a harness frame "
                          "(did the program write to a file descriptor it did not open?)")
    (size,) = struct.unpack_from("<Q", buf, pos + 1)
    if size > limit:
        raise ResultError(f"a result frame of {size} bytes exceeds the limit of {limit}",
                          code="result-too-large")
    return size


def frame_need(buf: bytes | bytearray, pos: int, limit: int) -> int:
    """How many bytes from `pos` the next frame needs before `split_frames` can take it: 9 while
    its length is not in yet, then the whole frame. Lets a reader parse once per frame instead
    of once per chunk (a 256 MB result arrives in thousands of chunks)."""
    if len(buf) - pos < 9:
        return 9
    return 9 + _frame_size(buf, pos, limit)


def split_frames(buf: bytes | bytearray, limit: int, start: int = 0,
                 max_frames: int | None = None) -> tuple[list[Frame], int]:
    """Complete frames in `buf` from `start` and the position after the last one. Raises
    ResultError on a malformed frame, or on more than `max_frames` frames; an incomplete last
    frame is left for later. The frames hold copies of their own bytes (the buffer may grow
    afterwards), and a header's values are counted before it is parsed (`max_header_entries`)."""
    frames, pos = [], start
    entries = 0
    while len(buf) - pos >= 9:
        kind = bytes(buf[pos : pos + 1])
        size = _frame_size(buf, pos, limit)
        if len(buf) - pos - 9 < size:
            break
        if max_frames is not None and len(frames) >= max_frames:
            raise ResultError("the result channel holds more than one result")
        if size < 4:
            raise ResultError("a result frame is truncated")
        (hlen,) = struct.unpack_from("<I", buf, pos + 9)
        if hlen > size - 4:
            raise ResultError("a result frame's header is longer than the frame")
        h0, h1 = pos + 13, pos + 13 + hlen
        entries += buf.count(b",", h0, h1) + buf.count(b"[", h0, h1) + buf.count(b"{", h0, h1)
        if entries > max_header_entries(limit):
            raise ResultError(f"the result's headers hold more than {max_header_entries(limit):,} "
                              f"values (names and index entries) for a result limit of "
                              f"{limit >> 20} MB", code="result-too-large")
        try:
            with memoryview(buf) as view, _no_gc():
                header = json.loads(str(view[h0:h1], "utf-8"))
        except (ValueError, RecursionError) as exc:
            raise ResultError(f"a result frame's header is not valid JSON: {exc}") from None
        if not isinstance(header, dict):
            raise ResultError("a result frame's header is not an object")
        frames.append(Frame(kind, header, memoryview(bytes(buf[h1 : pos + 9 + size]))))
        pos += 9 + size
    return frames, pos


# --- field checks ---------------------------------------------------------------------------
def _fields(header: dict, required: set[str], optional: set[str] = frozenset()) -> None:  # type: ignore[assignment]
    keys = set(header)
    extra, missing = keys - required - optional, required - keys
    if extra:
        raise ResultError(f"the result has unexpected fields: {', '.join(sorted(extra)[:5])}")
    if missing:
        raise ResultError(f"the result lacks fields: {', '.join(sorted(missing))}")


_INVISIBLE = {c: f"\\x{c:02x}" for c in (*range(0x20), 0x7F, *range(0x80, 0xA0))
              if c not in (0x09, 0x0A)}
_INVISIBLE.update({c: f"\\u{c:04x}" for c in (0x061C, 0x200E, 0x200F, *range(0x202A, 0x202F),
                                               *range(0x2066, 0x206A))})


_UNSAFE = re.compile("[" + "".join(f"\\u{c:04x}" for c in _INVISIBLE) + "]")


def visible(text: str) -> str:
    """`text` the child wrote, with control and bidi characters shown as escapes: an error
    message the program raised reaches the terminal and cannot clear it or fake output."""
    return text.translate(_INVISIBLE)


def visible_names(names: list[str]) -> list[str]:
    """Names the child chose, as the solution shows them (`visible`). The list itself when none
    needs it (the common case: one scan)."""
    if _UNSAFE.search("".join(names)) is None:
        return names
    return [n.translate(_INVISIBLE) for n in names]


def _str(v: object, what: str, limit: int = MAX_NAME) -> str:
    if not isinstance(v, str) or len(v) > limit:
        raise ResultError(f"{what} must be a string of at most {limit} characters")
    return v


def _opt_int(v: object, what: str) -> int | None:
    if v is None:
        return None
    if not isinstance(v, int) or isinstance(v, bool) or not 0 <= v < 10**9:
        raise ResultError(f"{what} must be a small non-negative integer")
    return v


def _number(v: object, what: str) -> float:
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        raise ResultError(f"{what} must be a number")
    x = float(v)
    if not math.isfinite(x) or abs(x) > MAX_COEFFICIENT:
        raise ResultError(f"{what} is {v!r}: not a finite number of at most {MAX_COEFFICIENT:g}")
    return x


def _names(v: object, n: int | None, what: str) -> list[str]:
    if not isinstance(v, list) or (n is not None and len(v) != n):
        raise ResultError(f"{what} must be a list" + (f" of {n} names" if n is not None else ""))
    for x in v:
        if not isinstance(x, str) or len(x) > MAX_NAME:
            raise ResultError(f"{what} holds a name that is not a string of at most "
                              f"{MAX_NAME} characters")
    return v


def _index(v: object, column: str) -> tuple:
    """One column's index tuple (plain scalars); `column` names it in a message."""
    if isinstance(v, list) and len(v) <= MAX_INDEX_ARITY:
        ok = True
        for x in v:
            t = type(x)
            if not (t is str and len(x) <= MAX_NAME or t is int or x is None or t is bool
                    or t is float and math.isfinite(x)):
                ok = False
                break
        if ok:
            return tuple(v)
    what = f"the index of column {column[:200]!r}"
    if not isinstance(v, list) or len(v) > MAX_INDEX_ARITY:
        raise ResultError(f"{what} must be a list of at most {MAX_INDEX_ARITY} elements")
    for x in v:
        if isinstance(x, float) and not math.isfinite(x):
            raise ResultError(f"{what} holds a non-finite number")
        if isinstance(x, str) and len(x) > MAX_NAME:
            raise ResultError(f"{what} holds an overlong string")
        if not (x is None or isinstance(x, (str, int, float, bool))):
            raise ResultError(f"{what} holds a {type(x).__name__}, not a string or number")
    raise ResultError(f"{what} is malformed")  # pragma: no cover - the loop above names it


# --- frames ---------------------------------------------------------------------------------
def read_ready(frame: Frame) -> dict:
    """The harness's report of what it set up (before any user code ran)."""
    if frame.kind != b"R" or len(frame.body):
        raise ResultError("the child did not start with a ready frame")
    out = {}
    for key, value in frame.header.items():
        kind = _READY_FIELDS.get(key)
        if kind is None or not isinstance(value, kind) or isinstance(value, bool):
            raise ResultError(f"the ready frame has an unexpected field {key!r}")
        if isinstance(value, str):
            value = value[:300]
        if isinstance(value, list):
            value = [str(x)[:50] for x in value[:10]]
        out[key] = value
    return out


@dataclass
class Failure:
    reason: str
    code: str
    error: str
    line: int | None
    column: int | None
    symbol: str | None


def read_failure(frame: Frame) -> Failure:
    h = frame.header
    _fields(h, {"reason", "code", "error"}, {"line", "column", "symbol"})
    if len(frame.body):
        raise ResultError("a failure frame carries data")
    reason, code = h["reason"], h["code"]
    if not isinstance(reason, str) or not isinstance(code, str) or reason not in ERROR_REASONS \
            or code not in ERROR_CODES:
        raise ResultError(f"unknown failure {str(reason)[:40]!r}/{str(code)[:40]!r}")
    symbol = h.get("symbol")
    return Failure(
        reason, code, visible(_str(h["error"], "the error message", 4000)),
        _opt_int(h.get("line"), "the line"), _opt_int(h.get("column"), "the column"),
        None if symbol is None else visible(_str(symbol, "the symbol")),
    )


def _blobs(frame: Frame, spec: list[tuple[str, str, int]]) -> dict[str, np.ndarray]:
    declared = frame.header.get("blobs")
    if not isinstance(declared, list) or len(declared) != len(spec):
        raise ResultError(f"the result must list {len(spec)} arrays")
    out, pos = {}, 0
    for item, (name, dtype, count) in zip(declared, spec):
        if item != [name, dtype, count]:
            raise ResultError(f"array {name!r} is declared as {str(item)[:80]}, expected "
                              f"[{name!r}, {dtype!r}, {count}]")
        width = np.dtype(dtype).itemsize
        size = width * count
        if pos + size > len(frame.body):
            raise ResultError(f"array {name!r} runs past the end of the result")
        out[name] = np.frombuffer(frame.body, dtype=np.dtype(dtype).newbyteorder("<"),
                                  count=count, offset=pos)
        pos += size
    if pos != len(frame.body):
        raise ResultError(f"the result has {len(frame.body) - pos} bytes beyond its arrays")
    return out


def _located(names: list[str], mask: np.ndarray) -> str:
    return names[int(np.flatnonzero(mask)[0])]


def read_model(frame: Frame) -> HarvestedModel | bytes:
    """A validated model (arrays), or the text of a CP-SAT model proto (checked by CP-SAT when
    it is read)."""
    h = frame.header
    if frame.kind != b"M":
        raise ResultError("not a model frame")
    fmt = h.get("format")
    if fmt == "cpsat-text":
        _fields(h, {"reason", "library", "format", "blobs"})
        if h["reason"] != "ok" or h["library"] != "cpsat":
            raise ResultError("a CP-SAT result must come from the cpsat library")
        size = len(frame.body)
        return bytes(_blobs(frame, [("proto", "u1", size)])["proto"])
    if fmt != "arrays":
        raise ResultError(f"unknown model format {str(fmt)[:40]!r}")
    _fields(h, {"reason", "library", "format", "sense", "offset", "columns", "column_var",
                "column_index", "rows", "blobs"})
    if h["reason"] != "ok" or h["library"] not in ("pyomo", "pulp"):
        raise ResultError(f"unknown library {str(h['library'])[:40]!r}")
    if h["sense"] not in ("minimize", "maximize"):
        raise ResultError(f"unknown sense {str(h['sense'])[:40]!r}")
    columns = _names(h["columns"], None, "the column names")
    n = len(columns)
    column_var = _names(h["column_var"], n, "the variable names")
    if not isinstance(h["column_index"], list) or len(h["column_index"]) != n:
        raise ResultError(f"the index table must have one entry per column ({n})")
    with _no_gc():
        column_index = [_index(x, c) for x, c in zip(h["column_index"], columns)]
    rows = _names(h["rows"], None, "the row names")
    m = len(rows)
    declared = h["blobs"]
    try:
        nnz, nq = int(declared[6][2]), int(declared[9][2])
    except (TypeError, ValueError, IndexError, KeyError):
        raise ResultError("the result's array list is malformed") from None
    counts = {"n": n, "m": m, "nnz": nnz, "nq": nq}
    arrays = _blobs(frame, [(name, dtype, counts[c]) for name, dtype, c in _ARRAY_BLOBS])
    model = HarvestedModel(
        library=h["library"], sense=h["sense"], offset=_number(h["offset"], "the objective offset"),
        columns=visible_names(columns), column_var=visible_names(column_var),
        column_index=column_index, rows=visible_names(rows),
        **{k: arrays[k] for k, _, _ in _ARRAY_BLOBS},
    )
    _check_arrays(model)
    return model


def _check_arrays(md: HarvestedModel) -> None:
    cols, rows = md.columns, md.rows
    for arr, names, what in ((md.col_lower, cols, "lower bound of variable"),
                             (md.col_upper, cols, "upper bound of variable"),
                             (md.row_lower, rows, "lower bound of constraint"),
                             (md.row_upper, rows, "upper bound of constraint")):
        bad = np.isnan(arr)
        if bad.any():
            name = _located(names, bad)
            raise ResultError(f"the {what} '{name}' is NaN", name)
    for lo, hi, names, what in ((md.col_lower, md.col_upper, cols, "variable"),
                                (md.row_lower, md.row_upper, rows, "constraint")):
        bad = (lo == np.inf) | (hi == -np.inf)
        if bad.any():
            name = _located(names, bad)
            raise ResultError(f"the bounds of {what} '{name}' are infinite the wrong way", name)
    if not np.isin(md.col_integer, (0, 1)).all():
        raise ResultError("the integrality flags must be 0 or 1")
    bad = ~np.isfinite(md.col_cost) | (np.abs(md.col_cost) > MAX_COEFFICIENT)
    if bad.any():
        name = _located(cols, bad)
        raise ResultError(f"the objective coefficient of '{name}' is "
                          f"{float(md.col_cost[bad][0]):g}: rescale the data (at most "
                          f"{MAX_COEFFICIENT:g})", name)
    n, m = len(cols), len(rows)
    for r, c, v, what in ((md.a_row, md.a_col, md.a_val, "constraint"),
                          (md.q_row, md.q_col, md.q_val, "objective")):
        nrows = m if what == "constraint" else n
        if len(r) and (r.min() < 0 or r.max() >= nrows or c.min() < 0 or c.max() >= n):
            raise ResultError(f"a {what} coefficient refers to a row or column that does not exist")
        bad = ~np.isfinite(v) | (np.abs(v) > MAX_COEFFICIENT)
        if bad.any():
            k = int(np.flatnonzero(bad)[0])
            where = rows[int(r[k])] if what == "constraint" else "the objective"
            raise ResultError(f"the coefficient of '{cols[int(c[k])]}' in {where!s} is "
                              f"{float(v[k]):g}: rescale the data (at most {MAX_COEFFICIENT:g})",
                              where)
    if len(md.q_row) and (md.q_row > md.q_col).any():
        raise ResultError("quadratic objective terms must be listed with row <= column")
