"""The lowered model: what backends and exports consume (column bounds, CSR rows, objective, Q).

Produced by `solvers.lower.lower(model, target)`. With target "scip", what is not linear (products
of variables in constraints, `sqrt`/`exp`/`log`, powers, division by variables) is kept as
expression trees: `nl_constraints` (one per instance) and `nl_objective`. Reformulations (implies, or, abs, min, max) are
already applied here for the HiGHS path as auxiliary columns/rows; constructs that only CP-SAT can
take natively are kept in `cp_constraints` (and `lower(model, target="cpsat")` keeps implies/or/
abs/min/max native there instead of big-M).

Conventions
-----------
- Columns: one `ColumnBlock` per declared variable, in declaration order, covering the full
  cartesian product of its index sets in C order; auxiliary blocks (`auxiliary=True`, names like
  `_max[objective]`, `_or[no_overlap]`) follow. Integer columns have integral bounds
  (ceil/floor applied); binary columns are integer with bounds within [0, 1].
- Rows: `row_lo <= A x <= row_hi` (±inf for a missing side); CSR with sorted column indices per
  row, duplicates merged, zero coefficients dropped. One `RowBlock` per constraint (its own rows,
  including big-M rows of implies/or), then auxiliary blocks (`_max[name]`, ...) for the rows of
  abs/min/max reformulations used inside that constraint.
- Objective: `c·x + ½ xᵀQx + obj_offset`, to be minimized or maximized as `sense` says (Q is
  *not* negated for maximize). Q is given in COO as the full symmetric matrix (both triangles):
  a term `k·x_i·x_j` (i ≠ j) contributes Q[i,j] = Q[j,i] = k; a term `k·x_i²` contributes
  Q[i,i] = 2k. Duplicates are merged. E.g. `sum(w[i]*w[j]*cov[i,j] for i, j)` gives
  Q = cov + covᵀ.
- Trivially true constraint instances (no variables) are dropped; an info diagnostic
  `trivial-constraint` per constraint is in `diagnostics`.

CP constraints (`cp_constraints`, one record per constraint instance)
---------------------------------------------------------------------
A *linear expression* is a tuple `(cols, coefs, const)`: `cols` np.ndarray[int64], `coefs`
np.ndarray[float64] (same length, distinct cols, no zeros), `const` float; its value is
`sum(coefs * x[cols]) + const`. A *row* is a tuple `(expr, lo, hi)` meaning `lo <= expr <= hi`
(lo/hi floats, possibly ±inf; the row exprs have const 0.0).

| kind            | data                                                  | meaning                          |
|-----------------|-------------------------------------------------------|----------------------------------|
| `all_different` | `{"exprs": [expr, ...]}`                              | the expressions take distinct values |
| `not_equal`     | `{"expr": expr}`                                      | expr != 0                        |
| `implies`       | `{"literal": (col, positive), "rows": [row, ...]}`    | if x[col] == (1 if positive else 0) then all rows hold (OnlyEnforceIf) |
| `or`            | `{"alternatives": [[row, ...], ...]}`                 | at least one alternative has all its rows hold |
| `abs`           | `{"target": col, "exprs": [expr]}`                    | x[target] == abs(expr)           |
| `max` / `min`   | `{"target": col, "exprs": [expr, ...]}`               | x[target] == max/min(exprs)      |

`implies`/`or` records appear only with `target="cpsat"` (HiGHS gets big-M rows); `abs`/`min`/
`max` records appear only with `target="cpsat"` (their target column is an auxiliary integer
column with bounds derived from the expressions). `all_different` and `not_equal` exist only for
`target="cpsat"` (lowering for HiGHS raises `needs-cpsat`). `key` is the instance key (element,
tuple, or `()`), `name` the constraint name.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .diagnostics import Diagnostic


class InstanceKeys:
    """Lazy instance keys of the rows of a block (no per-row Python objects until asked).

    `parts` are (elements, codes, dim) per forall target: the key of row j is built from
    `elements[codes[inst]]` with `inst = rows[j]` (or j when rows is None)."""

    def __init__(self, parts: list[tuple[list, np.ndarray, int]], rows: np.ndarray | None, n: int):
        self.parts = parts
        self.rows = rows
        self.n = n

    def __len__(self) -> int:
        return self.n

    def _inst(self, j: int) -> int:
        return int(self.rows[j]) if self.rows is not None else int(j)

    def __call__(self, j: int) -> Any:
        """Key of row j: an element (one target), a tuple (several), () (no forall)."""
        if not self.parts:
            return ()
        i = self._inst(j)
        vals = [el[int(c if c.ndim == 0 else c[i])] for el, c, _ in self.parts]
        return vals[0] if len(vals) == 1 else tuple(vals)

    __getitem__ = __call__

    def index(self, j: int) -> tuple:
        """Flattened key of row j (tuple elements spliced), as used in `Location.index`."""
        if not self.parts:
            return ()
        k = self(j)
        items = [k] if len(self.parts) == 1 else list(k)
        out: list = []
        for x in items:
            out.extend(x if isinstance(x, tuple) else (x,))
        return tuple(out)

    def labels(self) -> list[str]:
        """"a,b" per row (vectorized over the distinct elements)."""
        if not self.parts:
            return [""] * self.n
        cols = []
        for el, c, _ in self.parts:
            strs = np.array([",".join(map(str, e)) if isinstance(e, tuple) else str(e) for e in el],
                            dtype=object)
            if c.ndim == 0:
                cols.append(np.full(self.n, strs[int(c)], dtype=object))
            else:
                cols.append(strs[c if self.rows is None else c[self.rows]])
        if len(cols) == 1:
            return list(cols[0])
        return [",".join(t) for t in zip(*cols)]


@dataclass
class ColumnBlock:
    """The columns of one declared variable (or one auxiliary family)."""

    name: str  # variable name ("ship"), or "_aux_abs" etc. for auxiliaries
    start: int  # first column
    count: int
    index_sets: list  # the SetData objects of the variable's index; columns are their full
    #                   cartesian product in C order (np.unravel_index gives the positions)
    domain: str  # real | integer | binary
    auxiliary: bool = False

    def key(self, j: int) -> Any:
        """Instance key of the block's j-th column: element (1 set), tuple (several), () scalar."""
        if not self.index_sets:
            return ()
        shape = [len(s) for s in self.index_sets]
        pos = np.unravel_index(j, shape)
        parts = [s.elements[p] for s, p in zip(self.index_sets, pos)]
        return parts[0] if len(parts) == 1 else tuple(parts)


@dataclass
class RowBlock:
    """The rows of one constraint (all instances of its forall), contiguous."""

    name: str
    start: int
    count: int
    keys: Any  # callable or list: instance key per row (element / tuple / ()); build lazily —
    #           at 10^6 rows, Python tuples cost more than the whole lowering
    description: str | None = None
    auxiliary: bool = False  # rows added by a reformulation


@dataclass
class CPConstraint:
    """A constraint kept for CP-SAT natively.

    kind: "all_different" (exprs), "implies" (literal, then linear rows in `rows`),
          "or" (alternatives: list of linear row sets), "abs"/"min"/"max" (target col, exprs).
    Linear expressions are (cols: np.ndarray[int], coefs: np.ndarray[float], const: float)."""

    kind: str
    name: str
    key: Any
    data: dict = field(default_factory=dict)


@dataclass
class NLConstraint:
    """A nonlinear (or quadratic) constraint instance for SCIP: `lo <= tree(x) <= hi`.

    `tree` is an expression tree over columns (`solvers._nonlinear`); `name` and `key` are the
    constraint's name and instance key, as for rows."""

    name: str
    key: Any
    tree: Any
    lo: float
    hi: float


@dataclass
class Lowered:
    """Arrays of a linear/quadratic model: min/max c·x + ½xᵀQx + offset s.t. row_lo ≤ Ax ≤ row_hi."""

    sense: str  # minimize | maximize | feasibility
    col_lb: np.ndarray  # float64, -inf allowed
    col_ub: np.ndarray
    integrality: np.ndarray  # int8: 0 continuous, 1 integer
    cols: list[ColumnBlock]
    obj: np.ndarray  # float64 per column
    obj_offset: float
    q_rows: np.ndarray  # COO of Q upper+lower full (symmetric), Q such that obj = c·x + ½ xᵀQx
    q_cols: np.ndarray
    q_vals: np.ndarray
    a_start: np.ndarray  # CSR row pointer (n_rows + 1)
    a_index: np.ndarray  # int32 column indices
    a_value: np.ndarray  # float64
    row_lo: np.ndarray
    row_hi: np.ndarray
    rows: list[RowBlock]
    cp_constraints: list[CPConstraint] = field(default_factory=list)
    nl_constraints: list[NLConstraint] = field(default_factory=list)  # target "scip" only
    nl_objective: Any = None  # target "scip": the objective as a tree when it is not c·x + ½xᵀQx
    problem_class: str = "LP"  # LP | MILP | QP | MIQP | CP | NLP | MINLP
    diagnostics: list[Diagnostic] = field(default_factory=list)  # info/warnings of lowering
    _col_names: list[str] | None = field(default=None, repr=False)
    _row_names: list[str] | None = field(default=None, repr=False)
    _used: np.ndarray | None = field(default=None, repr=False)

    def col_names(self) -> list[str]:
        """Readable column names, "ship[seattle,ny]", "n", "_max[objective][3]" (cached)."""
        if self._col_names is None:
            out: list[str] = []
            for b in self.cols:
                if b.auxiliary or not b.index_sets:
                    if b.auxiliary:
                        out.extend(f"{b.name}[{j}]" for j in range(b.count))
                    else:
                        out.extend([b.name] * b.count)
                    continue
                shape = [len(s) for s in b.index_sets]
                pos = np.unravel_index(np.arange(b.count), shape)
                parts = []
                for s, p in zip(b.index_sets, pos):
                    strs = np.array([",".join(map(str, e)) if isinstance(e, tuple) else str(e)
                                     for e in s.elements], dtype=object)
                    parts.append(strs[p])
                labels = parts[0] if len(parts) == 1 else [",".join(t) for t in zip(*parts)]
                out.extend(f"{b.name}[{lab}]" for lab in labels)
            self._col_names = out
        return self._col_names

    def row_names(self) -> list[str]:
        """Readable row names, "supply_limit[seattle]" (built on demand, cached)."""
        if self._row_names is None:
            out: list[str] = []
            for b in self.rows:
                keys = b.keys
                if isinstance(keys, InstanceKeys):
                    if not keys.parts:
                        out.extend([b.name] * b.count)
                    else:
                        out.extend(f"{b.name}[{lab}]" for lab in keys.labels())
                    continue
                for j in range(b.count):
                    k = keys(j) if callable(keys) else keys[j]
                    if k == ():
                        out.append(b.name)
                    else:
                        ks = k if isinstance(k, tuple) else (k,)
                        out.append(f"{b.name}[{','.join(map(str, ks))}]")
            self._row_names = out
        return self._row_names

    def used_columns(self) -> np.ndarray:
        """Boolean mask of the columns that appear somewhere: a row, the objective, Q, or a
        CP-SAT constraint (a declared variable nothing refers to is not used). Cached: the
        lowering, the class and each backend ask for it."""
        if self._used is not None and len(self._used) == self.n_cols:
            return self._used
        used = np.zeros(self.n_cols, dtype=bool)
        used[np.asarray(self.a_index, dtype=np.int64)] = True
        used[np.flatnonzero(np.asarray(self.obj) != 0)] = True
        used[np.asarray(self.q_rows, dtype=np.int64)] = True
        used[np.asarray(self.q_cols, dtype=np.int64)] = True
        for c in self.cp_constraints:
            for j in _cp_columns(c.data):
                used[j] = True
        if self.nl_constraints or self.nl_objective is not None:
            from ._nonlinear import columns

            for t in [c.tree for c in self.nl_constraints] + [self.nl_objective]:
                if t is not None:
                    used[columns(t)] = True
        self._used = used
        return used

    @property
    def n_cols(self) -> int:
        return len(self.col_lb)

    @property
    def n_rows(self) -> int:
        return len(self.row_lo)

    @property
    def has_q(self) -> bool:
        return len(self.q_vals) > 0

    @property
    def is_nonlinear(self) -> bool:
        """True when the model has nonlinear (or quadratic) constraints or a nonlinear objective."""
        return bool(self.nl_constraints) or self.nl_objective is not None


def _cp_columns(data: Any) -> list[int]:
    """Every column a CP constraint's data refers to (expressions, literals, targets)."""
    out: list[int] = []
    if isinstance(data, dict):
        for k, v in data.items():
            if k == "literal" and isinstance(v, tuple):
                out.append(int(v[0]))
            elif k == "target" and isinstance(v, (int, np.integer)):
                out.append(int(v))
            else:
                out += _cp_columns(v)
    elif isinstance(data, (list, tuple)):
        if len(data) >= 3 and _int_vector(data[0]) and isinstance(data[1], (list, tuple, np.ndarray)):
            out += [int(j) for j in data[0]]  # (cols, coefs, const) or (cols, coefs, lo, hi)
        else:
            for v in data:
                out += _cp_columns(v)
    elif isinstance(data, np.ndarray) and data.dtype.kind in "iu":
        out += [int(j) for j in data]
    return out


def _int_vector(v: Any) -> bool:
    if isinstance(v, np.ndarray):
        return v.dtype.kind in "iu"
    return isinstance(v, (list, tuple)) and all(isinstance(x, (int, np.integer)) and not isinstance(x, bool)
                                                for x in v)
