"""Array primitives of the vectorized lowering: element domains, frames of index bindings and
ragged linear expressions (the linopy idea: flat term arrays plus a row id per term).

A *frame* holds `n` rows, one per binding of the index names in scope (a constraint instance,
or one term of a `sum`). Every index name is bound to an `EV`: a domain of distinct elements
(`Dom`) and an int64 array of codes into it, one per row. A `Lin` is an affine (optionally
quadratic) expression per row: `const[r] + sum(coef[t] * x[col[t]] for t with row[t] == r)`.
Nothing here loops in Python over rows; loops are over domains (set sizes) at most.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

I64 = np.int64


# --------------------------------------------------------------------------- domains


@dataclass(eq=False)
class Dom:
    """Distinct element values; `set_name` is set when `elems` is exactly a declared set's list."""

    elems: list
    set_name: str | None = None
    _pos: dict | None = field(default=None, repr=False)
    _num: np.ndarray | None = field(default=None, repr=False)
    _numeric: bool | None = field(default=None, repr=False)

    @property
    def pos(self) -> dict:
        if self._pos is None:
            self._pos = {e: i for i, e in enumerate(self.elems)}
        return self._pos

    def numeric(self) -> np.ndarray | None:
        """Float values of the elements when all are integers, else None."""
        if self._numeric is None:
            ok = all(isinstance(e, (int, np.integer)) and not isinstance(e, bool) for e in self.elems)
            self._numeric = ok
            if ok:
                self._num = np.asarray(self.elems, dtype=np.float64).reshape(len(self.elems))
        return self._num if self._numeric else None

    def __len__(self) -> int:
        return len(self.elems)


@dataclass(eq=False)
class EV:
    """Element values over a frame: `dom.elems[codes[r]]` per row (codes may be 0-d: constant).

    `dim` > 1 for tuple elements; `origin` = (hidden binding name, component) when this EV is a
    component of a tuple binding (`(i, j) in Arcs`), so `flow[i, j]` can use Arcs positions."""

    dom: Dom
    codes: np.ndarray
    dim: int = 1
    origin: tuple[str, int] | None = None

    def take(self, idx: np.ndarray) -> EV:
        if self.codes.ndim == 0:
            return self
        return EV(self.dom, self.codes[idx], self.dim, self.origin)

    def value(self, r: int):
        c = self.codes if self.codes.ndim == 0 else self.codes[r]
        return self.dom.elems[int(c)]


@dataclass(eq=False)
class Frame:
    """`n` rows of index bindings. `parent` maps rows to the enclosing frame's rows;
    `root` maps rows to the constraint instance (row of the outermost frame)."""

    n: int
    binds: dict[str, EV]
    parent: np.ndarray | None = None
    root: np.ndarray | None = None

    def root_rows(self) -> np.ndarray:
        return np.arange(self.n, dtype=I64) if self.root is None else self.root

    def take(self, idx: np.ndarray) -> Frame:
        """The sub-frame of rows `idx`, as a child (parent = idx)."""
        binds = {k: v.take(idx) for k, v in self.binds.items()}
        root = idx if self.root is None else self.root[idx]
        return Frame(len(idx), binds, idx.astype(I64, copy=False), root)

    def filter(self, mask: np.ndarray) -> Frame:
        """Keep rows where mask holds (same parent frame)."""
        if mask.all():
            return self
        idx = np.flatnonzero(mask)
        binds = {k: v.take(idx) for k, v in self.binds.items()}
        parent = None if self.parent is None else self.parent[idx]
        root = None if self.root is None else self.root[idx]
        return Frame(len(idx), binds, parent, root)


# --------------------------------------------------------------------------- expressions


@dataclass(eq=False)
class Quad:
    """Quadratic terms coef * x[c1] * x[c2] per row."""

    row: np.ndarray
    c1: np.ndarray
    c2: np.ndarray
    coef: np.ndarray


@dataclass(eq=False)
class Lin:
    """Per-row affine (or quadratic) expression over `n` rows."""

    n: int
    const: np.ndarray  # shape () or (n,)
    row: np.ndarray
    col: np.ndarray
    coef: np.ndarray
    q: Quad | None = None
    ident: bool = False  # row == arange(n) (one term per row, in order): scaling needs no gather

    @staticmethod
    def of_data(d: np.ndarray, n: int) -> Lin:
        e = np.empty(0, dtype=I64)
        return Lin(n, np.asarray(d, dtype=np.float64), e, e, np.empty(0))

    @staticmethod
    def of_cols(cols: np.ndarray, n: int) -> Lin:
        cols = np.asarray(cols, dtype=I64)
        if cols.shape != (n,):
            cols = np.ascontiguousarray(np.broadcast_to(cols, (n,)))
        return Lin(n, np.zeros(()), np.arange(n, dtype=I64), cols, np.ones(n), ident=True)

    def const_full(self) -> np.ndarray:
        return np.broadcast_to(self.const, (self.n,))


@dataclass(eq=False)
class NL:
    """A nonlinear expression per row over `n` rows (target "scip"): `op` over `args`, each a
    data array, a `Lin` or an `NL` over the same rows; "sum" reduces a child over `parent`'s
    rows into these. See `solvers._nonlinear` for the per-row trees built from it."""

    n: int
    op: str  # + * / pow sqrt exp log abs sum
    args: tuple
    p: object = None  # the exponent of pow (a number or an array over the rows)
    parent: np.ndarray | None = None  # sum: child row -> row


Val = "np.ndarray | Lin | NL"


def is_lin(v) -> bool:
    return isinstance(v, Lin)


def is_nl(v) -> bool:
    return isinstance(v, NL)


def _cat(*arrs: np.ndarray) -> np.ndarray:
    arrs = tuple(a for a in arrs if a.size)
    if not arrs:
        return np.empty(0, dtype=I64)
    return arrs[0] if len(arrs) == 1 else np.concatenate(arrs)


def _catf(*arrs: np.ndarray) -> np.ndarray:
    arrs = tuple(a for a in arrs if a.size)
    if not arrs:
        return np.empty(0)
    return arrs[0] if len(arrs) == 1 else np.concatenate(arrs)


def _qcat(a: Quad | None, b: Quad | None) -> Quad | None:
    if a is None:
        return b
    if b is None:
        return a
    return Quad(_cat(a.row, b.row), _cat(a.c1, b.c1), _cat(a.c2, b.c2), _catf(a.coef, b.coef))


def add(a, b, n: int):
    """a + b for data arrays, Lins and NLs (an overflow gives inf, reported by the lowering)."""
    if isinstance(a, NL) or isinstance(b, NL):
        return NL(n, "+", (a, b))
    with np.errstate(over="ignore", invalid="ignore"):
        return _add(a, b, n)


def _add(a, b, n: int):
    la, lb = is_lin(a), is_lin(b)
    if not la and not lb:
        return a + b
    if la and not lb:
        return Lin(n, a.const + b, a.row, a.col, a.coef, a.q, a.ident)
    if lb and not la:
        return Lin(n, b.const + a, b.row, b.col, b.coef, b.q, b.ident)
    return Lin(n, a.const + b.const, _cat(a.row, b.row), _cat(a.col, b.col), _catf(a.coef, b.coef),
               _qcat(a.q, b.q))


def neg(a):
    if isinstance(a, NL):
        return NL(a.n, "*", (a, np.asarray(-1.0)))
    if not is_lin(a):
        return -a
    q = None if a.q is None else Quad(a.q.row, a.q.c1, a.q.c2, -a.q.coef)
    return Lin(a.n, -a.const, a.row, a.col, -a.coef, q, a.ident)


def scale(a: Lin, d: np.ndarray) -> Lin:
    """Lin times a data array (shape () or (n,)); an overflow gives inf, which the lowering
    reports (located) as non-finite."""
    with np.errstate(over="ignore", invalid="ignore"):
        return _scale(a, d)


def _scale(a: Lin, d: np.ndarray) -> Lin:
    if d.ndim == 0:
        q = None if a.q is None else Quad(a.q.row, a.q.c1, a.q.c2, a.q.coef * d)
        return Lin(a.n, a.const * d, a.row, a.col, a.coef * d, q, a.ident)
    if a.ident and a.q is None:
        return Lin(a.n, a.const * d, a.row, a.col, a.coef * d, None, True)
    q = None if a.q is None else Quad(a.q.row, a.q.c1, a.q.c2, a.q.coef * d[a.q.row])
    return Lin(a.n, a.const * d, a.row, a.col, a.coef * d[a.row], q)


def _by_row(row: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(order, start, count) grouping terms by row."""
    if row.size < 2 or np.all(row[1:] >= row[:-1]):
        order = np.arange(row.size, dtype=I64)
        srow = row
    else:
        order = np.argsort(row, kind="stable")
        srow = row[order]
    count = np.bincount(srow, minlength=n).astype(I64)
    start = np.zeros(n, dtype=I64)
    np.cumsum(count[:-1], out=start[1:])
    return order, start, count


def mul_lin(a: Lin, b: Lin) -> Lin:
    """Product of two affine Lins (no quadratic parts): quadratic + affine + constant."""
    n = a.n
    oa, sa, ca = _by_row(a.row, n)
    ob, sb, cb = _by_row(b.row, n)
    pairs = ca * cb
    total = int(pairs.sum())
    prow = np.repeat(np.arange(n, dtype=I64), pairs)
    pstart = np.zeros(n, dtype=I64)
    np.cumsum(pairs[:-1], out=pstart[1:])
    k = np.arange(total, dtype=I64) - pstart[prow]
    cbr = cb[prow]
    ia = oa[sa[prow] + k // np.maximum(cbr, 1)]
    ib = ob[sb[prow] + k % np.maximum(cbr, 1)]
    q = Quad(prow, a.col[ia], b.col[ib], a.coef[ia] * b.coef[ib])
    ac, bc = a.const, b.const
    lin_a = Lin(n, np.zeros(()), a.row, a.col, a.coef)
    lin_b = Lin(n, np.zeros(()), b.row, b.col, b.coef)
    out = add(scale(lin_a, np.asarray(bc)), scale(lin_b, np.asarray(ac)), n)
    out.const = np.asarray(ac * bc, dtype=np.float64)
    out.q = q if q.row.size else None
    return out


def reduce_sum(v, parent: np.ndarray, n_parent: int):
    """Sum child rows into parent rows (also scatters when parent is one-to-one)."""
    if isinstance(v, NL):
        return NL(n_parent, "sum", (v,), parent=np.asarray(parent, dtype=I64))
    if not is_lin(v):
        if v.ndim == 0:
            return np.bincount(parent, minlength=n_parent).astype(np.float64) * v
        return np.bincount(parent, weights=v, minlength=n_parent)
    c = v.const
    const = (np.bincount(parent, minlength=n_parent) * c if c.ndim == 0
             else np.bincount(parent, weights=c, minlength=n_parent))
    q = None
    if v.q is not None:
        q = Quad(parent[v.q.row], v.q.c1, v.q.c2, v.q.coef)
    row = parent if v.ident else parent[v.row]  # ident: row == arange(n)
    return Lin(n_parent, np.asarray(const, dtype=np.float64), row, v.col, v.coef, q)


def merge_terms(row: np.ndarray, col: np.ndarray, coef: np.ndarray, ncols: int
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Sort terms by (row, col), add duplicates, drop zero coefficients."""
    if row.size == 0:
        return row.astype(I64), col.astype(I64), coef
    key = row * np.int64(max(ncols, 1)) + col
    if key.size > 1 and not np.all(key[1:] > key[:-1]):
        order = np.argsort(key, kind="stable")
        key = key[order]
        coef = coef[order]
        first = np.empty(key.size, dtype=bool)
        first[0] = True
        np.not_equal(key[1:], key[:-1], out=first[1:])
        if not first.all():
            idx = np.flatnonzero(first)
            coef = np.add.reduceat(coef, idx)
            key = key[idx]
        row = key // max(ncols, 1)
        col = key - row * max(ncols, 1)
    nz = coef != 0
    if not nz.all():
        row, col, coef = row[nz], col[nz], coef[nz]
    return row, col, coef


def group_starts(row: np.ndarray, n: int) -> np.ndarray:
    """Row pointer (n + 1) of terms sorted by row."""
    out = np.zeros(n + 1, dtype=I64)
    if row.size:
        np.cumsum(np.bincount(row, minlength=n), out=out[1:])
    return out
