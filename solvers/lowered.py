"""The lowered model: what backends and exports consume (column bounds, CSR rows, objective, Q).

Produced by `solvers.lower.lower(model)`. Reformulations (implies, or, abs, min, max) are already
applied here for the HiGHS path as auxiliary columns/rows; constructs that only CP-SAT can take
natively are kept in `cp_constraints` (and `lower(model, target="cpsat")` keeps implies/or/abs/
min/max native there instead of big-M).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np


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
    problem_class: str = "LP"  # LP | MILP | QP | MIQP | CP

    def col_names(self) -> list[str]:
        """Readable column names, "ship[seattle,ny]" (built on demand, cached)."""
        raise NotImplementedError  # implemented in lower.py (needs keys)

    def row_names(self) -> list[str]:
        """Readable row names, "supply_limit[seattle]" (built on demand, cached)."""
        raise NotImplementedError

    @property
    def n_cols(self) -> int:
        return len(self.col_lb)

    @property
    def n_rows(self) -> int:
        return len(self.row_lo)

    @property
    def has_q(self) -> bool:
        return len(self.q_vals) > 0
