"""Helpers shared by the backends: instance keys and readable names of lowered columns and rows,
and mapping solver arrays back to `{name: {key: value}}` dicts.

Keys follow `Solution`: the element itself for a 1-d index, a flat tuple for k-d (elements of tuple
sets are flattened, so `flow[(a, b), t]` has the key `(a, b, t)`), `()` for a scalar.
"""

from __future__ import annotations

import bisect
import itertools
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any

import numpy as np

from ..lowered import ColumnBlock, Lowered, RowBlock


def _flat(parts: Iterable[Any]) -> tuple:
    out: list[Any] = []
    for p in parts:
        if isinstance(p, tuple):
            out.extend(p)
        else:
            out.append(p)
    return tuple(out)


def _norm_key(k: Any) -> Any:
    """A key as Solution uses it: 1 element → the element, else a flat tuple."""
    if isinstance(k, list):
        k = tuple(k)
    if isinstance(k, tuple):
        k = _flat(k)
        return k[0] if len(k) == 1 else k
    return k


def block_keys(block: ColumnBlock) -> list[Any]:
    """All instance keys of a column block, in column order (C order over the index sets)."""
    sets = block.index_sets
    if not sets:
        return [()] * block.count
    elems = [list(s.elements) for s in sets]
    if len(elems) == 1:
        keys = elems[0]
        if keys and isinstance(keys[0], (list, tuple)):
            keys = [_norm_key(k) for k in keys]  # a 1-tuple element keys as the element (col_key)
    else:
        keys = list(itertools.product(*elems))
        if any(e and isinstance(e[0], (tuple, list)) for e in elems):
            keys = [_flat(tuple(p) if isinstance(p, list) else p for p in k) for k in keys]
    if len(keys) != block.count:
        raise ValueError(
            f"column block {block.name!r}: {block.count} columns but its index sets give "
            f"{len(keys)} keys"
        )
    return keys


def col_key(block: ColumnBlock, j: int) -> Any:
    """Key of the j-th column (0-based inside the block)."""
    if not block.index_sets:
        return ()
    shape = [len(s) for s in block.index_sets]
    pos = np.unravel_index(j, shape)
    return _norm_key(tuple(s.elements[p] for s, p in zip(block.index_sets, pos)))


def row_block_keys(block: RowBlock) -> list[Any]:
    """All instance keys of a row block, in row order."""
    keys = block.keys
    if keys is None:
        return [()] * block.count if block.count == 1 else list(range(block.count))
    if callable(keys):
        try:
            got = keys()
        except TypeError:
            got = [keys(j) for j in range(block.count)]
        keys = got
    return [_norm_key(k) for k in keys]


def row_key(block: RowBlock, j: int) -> Any:
    """Key of the j-th row (0-based inside the block)."""
    keys = block.keys
    if keys is None:
        return () if block.count == 1 else j
    if callable(keys):
        try:
            return _norm_key(keys(j))
        except TypeError:
            return _norm_key(list(keys())[j])
    return _norm_key(keys[j])


def label(name: str, key: Any) -> str:
    """`supply_limit[seattle]`, `ship[seattle,ny]`, `n` for a scalar."""
    if key == () or key is None:
        return name
    parts = key if isinstance(key, tuple) else (key,)
    return f"{name}[{','.join(str(p) for p in parts)}]"


def _find(blocks: Sequence[Any], i: int) -> Any | None:
    starts = [b.start for b in blocks]
    pos = bisect.bisect_right(starts, i) - 1
    if pos >= 0:
        b = blocks[pos]
        if b.start <= i < b.start + b.count:
            return b
    return None


def row_label(lowered: Lowered, i: int) -> str:
    """Readable name of row i, e.g. `supply_limit[seattle]`."""
    b = _find(lowered.rows, i)
    if b is None:
        return f"row{i}"
    return label(b.name, row_key(b, i - b.start))


def col_label(lowered: Lowered, j: int) -> str:
    """Readable name of column j, e.g. `ship[seattle,ny]`."""
    b = _find(lowered.cols, j)
    if b is None:
        return f"col{j}"
    return label(b.name, col_key(b, j - b.start))


def row_group(lowered: Lowered, i: int) -> RowBlock | None:
    """The row block holding row i."""
    return _find(lowered.rows, i)


def by_block(
    blocks: Sequence[ColumnBlock] | Sequence[RowBlock],
    arr: np.ndarray,
    keys_of: Any,
    skip_auxiliary: bool = True,
    cache: dict[int, list[Any]] | None = None,
) -> dict[str, dict[Any, float]]:
    """Split a per-column (per-row) array into `{block name: {key: value}}`.

    `cache` (by block position) lets several arrays over the same blocks share the key lists."""
    out: dict[str, dict[Any, float]] = {}
    for pos, b in enumerate(blocks):
        if skip_auxiliary and b.auxiliary:
            continue
        vals = arr[b.start : b.start + b.count].tolist()
        if cache is not None and pos in cache:
            keys = cache[pos]
        else:
            keys = keys_of(b)
            if cache is not None:
                cache[pos] = keys
        out[b.name] = dict(zip(keys, vals))
    return out


class BlockValues(Mapping):
    """`{block name: {key: value}}` over one solver array (per column or per row), each block's
    dict built on first access and kept. At 10^6 columns the dicts cost more than the hand-over
    to the solver, so a solve returns this and nothing per instance is made until asked.
    `array(name)` gives a block's values as a numpy array (column order, no keys at all). The
    array itself may be given as a function, called once on first use (e.g. to convert the
    solver's duals only when someone reads them). Pickles (and compares) as the plain dict it
    stands for."""

    def __init__(self, blocks: Sequence[ColumnBlock] | Sequence[RowBlock],
                 arr: np.ndarray | Callable[[], np.ndarray],
                 keys_of: Callable[[Any], list[Any]], skip_auxiliary: bool = True):
        self._blocks = {b.name: b for b in blocks if not (skip_auxiliary and b.auxiliary)}
        self._arr = arr
        self._keys_of = keys_of
        self._built: dict[str, dict[Any, float]] = {}

    def _array(self) -> np.ndarray:
        if callable(self._arr):
            self._arr = np.asarray(self._arr(), dtype=np.float64)
        return self._arr

    def __getitem__(self, name: str) -> dict[Any, float]:
        got = self._built.get(name)
        if got is None:
            b = self._blocks[name]
            got = dict(zip(self._keys_of(b), self.array(name).tolist()))
            self._built[name] = got
        return got

    def array(self, name: str) -> np.ndarray:
        """The values of one block, in its column (row) order, as a read-only view."""
        b = self._blocks[name]
        view = self._array()[b.start: b.start + b.count]
        view.flags.writeable = False
        return view

    def keyed_array(self, name: str) -> tuple[list[Any], np.ndarray]:
        """(instance keys, values) of one block, without building its dict."""
        return self._keys_of(self._blocks[name]), self.array(name)

    def __iter__(self) -> Iterator[str]:
        return iter(self._blocks)

    def __len__(self) -> int:
        return len(self._blocks)

    def __contains__(self, name: object) -> bool:
        return name in self._blocks

    def __reduce__(self) -> tuple:
        return (dict, (dict(self.items()),))

    def __repr__(self) -> str:
        return f"BlockValues({', '.join(f'{n}: {b.count}' for n, b in self._blocks.items())})"


def col_values(
    lowered: Lowered, x: np.ndarray, cache: dict[int, list[Any]] | None = None
) -> dict[str, dict[Any, float]]:
    """Column values of the declared (non-auxiliary) variables, by name and key."""
    return by_block(lowered.cols, x, block_keys, cache=cache)


def row_values(
    lowered: Lowered, y: np.ndarray, cache: dict[int, list[Any]] | None = None
) -> dict[str, dict[Any, float]]:
    """Row values of the declared (non-auxiliary) constraints, by name and key."""
    return by_block(lowered.rows, y, row_block_keys, cache=cache)


# Words LP readers (CPLEX, HiGHS, Gurobi, Xpress, CBC) take as section keywords or numbers,
# compared case-insensitively; "s.t." and "semi-continuous" cannot occur once `.` and `-` are
# replaced, but their parts can.
LP_KEYWORDS = frozenset([
    "min", "minimize", "minimise", "minimum", "max", "maximize", "maximise", "maximum",
    "st", "s", "t", "subject", "such", "that", "to", "bound", "bounds", "free", "inf", "infinity",
    "nan", "gen", "general", "generals", "int", "integer", "integers", "bin", "binary", "binaries",
    "semi", "semis", "semicontinuous", "continuous", "sos", "sos1", "sos2", "end", "obj",
])
MAX_NAME = 88  # CPLEX LP allows 255 characters, PuLP's LP writer 100; room for a uniquing suffix
_NAME_BAD = re.compile(r"[^A-Za-z0-9_()]")
_RISKY_START = re.compile(r"(?i)(e\d|e$|e\(|inf|nan)")


def sanitize(name: str) -> str:
    """A name no LP or MPS reader can misread: `ship[seattle,ny]` → `ship(seattle_ny)`.

    ASCII letters, digits, `_` and `()` only; a leading `_` when the name (or its part before
    `(`) is an LP keyword (`st`, `end`, `bounds`, `inf`, `bin`, `gen`, `semi`, `sos`, ...) or
    starts like a number (a digit, `e1`, `E5`, `inf...`, `nan...`); long names are cut and given
    a hash of the original. Distinct names can clean to the same text: `unique_names` then
    appends `_2`, `_3`, ..."""
    s = name.replace("(", "_").replace(")", "_").replace("[", "(").replace("]", ")").replace(",", "_")
    s = _NAME_BAD.sub("_", s)
    if len(s) > MAX_NAME:
        import hashlib

        s = s[: MAX_NAME - 9] + "_" + hashlib.blake2s(name.encode("utf-8", "surrogatepass"),
                                                       digest_size=4).hexdigest()
    stem = s.split("(", 1)[0].lower()
    if not stem or s[0].isdigit() or stem in LP_KEYWORDS or _RISKY_START.match(s):
        s = "_" + s
    return s


def fresh_name(name: str, taken: set[str]) -> str:
    """`name`, or `name_2`, `name_3`, … — the first not in `taken` (which it joins)."""
    s, k = name, 2
    while s in taken:
        s, k = f"{name}_{k}", k + 1
    taken.add(s)
    return s


def unique_names(names: list[str], clean: Callable[[str], str] = sanitize) -> list[str]:
    """Names cleaned for a file format, made distinct where cleaning made them collide."""
    taken: set[str] = set()
    return [fresh_name(clean(n), taken) for n in names]


def file_names(lowered: Lowered) -> tuple[list[str], list[str]]:
    """The column and row names every file export writes (LP, MPS, PuLP): readable labels made
    safe by `sanitize` and distinct by `unique_names` — one naming, so a name map read back from
    any of them agrees (solvers.export.name_map)."""
    return unique_names(all_col_labels(lowered)), unique_names(all_row_labels(lowered))


def all_row_labels(lowered: Lowered) -> list[str]:
    """Readable names of all rows (blocks' keys; `row{i}` where no block covers a row)."""
    return _all_labels(lowered.row_names(), lowered.n_rows, "row", lowered.rows, row_block_keys)


def all_col_labels(lowered: Lowered) -> list[str]:
    """Readable names of all columns (`col{j}` where no block covers a column)."""
    return _all_labels(lowered.col_names(), lowered.n_cols, "col", lowered.cols, block_keys)


def _all_labels(got: list[str], n: int, prefix: str, blocks: list, keys_of: Any) -> list[str]:
    if len(got) == n:  # the blocks cover everything (every lowered model; not every hand-built one)
        return list(got)
    names = [f"{prefix}{i}" for i in range(n)]
    for b in blocks:
        for j, k in enumerate(keys_of(b)):
            names[b.start + j] = label(b.name, k)
    return names
