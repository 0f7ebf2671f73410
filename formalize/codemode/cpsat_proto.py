"""A CP-SAT program's model as CP-SAT itself reads it: the CpModelProto the sandbox sent back
(text format), parsed by CP-SAT's C++ parser (`cp_model_helper.CpModelProto`, no Python protobuf
round trip), and the numbers it holds for the text-aware verifier.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1


def read_proto(data: bytes) -> Any | None:
    """The CpModelProto of the text `data`, or None when CP-SAT cannot read it."""
    from ortools.sat.python import cp_model_helper

    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    proto = cp_model_helper.CpModelProto()
    return proto if proto.parse_text_format(text) else None


def finite_domain(domain: Any) -> list[int]:
    """The ends of a domain ([lo, hi, lo, hi, ...]) that are not CP-SAT's infinities."""
    return [int(b) for b in domain if INT64_MIN < int(b) < INT64_MAX]


def proto_numbers(proto: Any) -> np.ndarray:
    """Every number the model holds: variable domains, the coefficients and right-hand sides of
    linear constraints (and of the linear expressions of other constraints), the objective's
    coefficients, offset and scaling (as the objective is written: coefficients times the
    scaling factor), each once."""
    vals: list[float] = []
    for v in proto.variables:
        vals += finite_domain(v.domain)
    for c in proto.constraints:
        if c.has_linear():
            vals += [float(x) for x in c.linear.coeffs]
            vals += finite_domain(c.linear.domain)
        for expr in _expressions(c):
            vals += [float(x) for x in expr.coeffs] + [float(expr.offset)]
    for obj, scaled in ((proto.objective, proto.has_objective()),
                        (proto.floating_point_objective, proto.has_floating_point_objective())):
        if not scaled:
            continue
        s = float(getattr(obj, "scaling_factor", 1.0) or 1.0)
        vals += [float(x) * s for x in obj.coeffs] + [float(obj.offset) * s]
        vals += [float(x) for x in obj.coeffs]
    arr = np.asarray(vals, dtype=float)
    return np.unique(arr[np.isfinite(arr)]) if arr.size else arr


def _expressions(c: Any) -> list[Any]:
    """The linear expressions inside a non-linear constraint (lin_max, int_prod, div, mod)."""
    out: list[Any] = []
    for kind in ("lin_max", "int_prod", "int_div", "int_mod"):
        if getattr(c, f"has_{kind}")():
            arg = getattr(c, kind)
            out += [arg.target, *arg.exprs]
    return out




# --------------------------------------------------------------------------- the model as arrays

# proto constraint kinds the formal model has no form for, with the call that makes them
UNLIFTABLE = {
    "int_prod": "AddMultiplicationEquality", "int_div": "AddDivisionEquality",
    "int_mod": "AddModuloEquality", "lin_max": "AddMaxEquality/AddMinEquality",
    "element": "AddElement", "circuit": "AddCircuit", "routes": "AddMultipleCircuit",
    "table": "AddAllowedAssignments/AddForbiddenAssignments", "automaton": "AddAutomaton",
    "inverse": "AddInverse", "reservoir": "AddReservoirConstraint", "interval": "NewIntervalVar",
    "no_overlap": "AddNoOverlap", "no_overlap_2d": "AddNoOverlap2D", "cumulative": "AddCumulative",
    "bool_xor": "AddBoolXOr",
}
_KINDS = ("linear", "bool_or", "bool_and", "at_most_one", "exactly_one", "all_diff",
          *UNLIFTABLE, "dummy_constraint")


@dataclass
class Logical:
    """A constraint of a CP-SAT model that is no plain linear row: `implies` (a linear constraint
    enforced by one literal), `not_equal` (a linear expression != a value) or `all_different`."""

    name: str
    kind: str
    terms: dict[int, float] = field(default_factory=dict)  # column -> coefficient
    lo: float = -math.inf
    hi: float = math.inf
    literal: tuple[int, int] | None = None  # (column, the value it must take) for implies
    columns: list[int] = field(default_factory=list)  # all-different


@dataclass
class CpsatArrays:
    """A CP-SAT model read as the harvest's arrays (linear rows, objective, integer columns) and
    the constraints that are not rows (`logical`); `unlifted`: what has no formal form, by the
    call that made it, with counts."""

    model: Any  # HarvestedModel
    logical: list[Logical]
    unlifted: dict[str, int]


def _kind(c: Any) -> str:
    return next((k for k in _KINDS if getattr(c, f"has_{k}")()), "empty")


def _lit(ref: int) -> tuple[int, int]:
    """(column, value that makes the literal true): a negative ref is NOT(var)."""
    return (ref, 1) if ref >= 0 else (-ref - 1, 0)


def _affine(refs: Any, coeffs: Any, offset: float = 0.0) -> tuple[dict[int, float], float]:
    """Σ coeff * ref + offset as (column -> coefficient, constant); NOT(x) = 1 - x."""
    terms: dict[int, float] = {}
    const = float(offset)
    for r, c in zip(refs, coeffs):
        var, val = _lit(int(r))
        c = float(c)
        if val == 1:
            terms[var] = terms.get(var, 0.0) + c
        else:
            terms[var] = terms.get(var, 0.0) - c
            const += c
    return terms, const


def _bound(b: int) -> float:
    return -math.inf if b <= INT64_MIN else math.inf if b >= INT64_MAX else float(b)


def proto_arrays(proto: Any) -> CpsatArrays:
    """The CP-SAT model as arrays with its names (the variables' names as the program gave them,
    `_v<i>` for an unnamed one; constraints by their names, else `c<k>` by their place)."""
    from formalize.codemode.result import HarvestedModel

    unlifted: dict[str, int] = {}

    def skip(what: str) -> None:
        unlifted[what] = unlifted.get(what, 0) + 1

    n = len(proto.variables)
    names = [v.name or f"_v{i}" for i, v in enumerate(proto.variables)]
    lower, upper = np.empty(n), np.empty(n)
    for i, v in enumerate(proto.variables):
        d = [int(x) for x in v.domain]
        if len(d) != 2:
            skip("a variable with holes in its domain (NewIntVarFromDomain)" if d else "a variable with an empty domain")
        lower[i], upper[i] = (_bound(d[0]), _bound(d[-1])) if d else (0.0, 0.0)
    rows: list[str] = []
    row_lo: list[float] = []
    row_hi: list[float] = []
    a_row: list[int] = []
    a_col: list[int] = []
    a_val: list[float] = []
    logical: list[Logical] = []

    def row(name: str, terms: dict[int, float], lo: float, hi: float) -> None:
        r = len(rows)
        rows.append(name)
        row_lo.append(lo)
        row_hi.append(hi)
        for j, c in terms.items():
            if c != 0.0:
                a_row.append(r)
                a_col.append(j)
                a_val.append(c)

    for k, c in enumerate(proto.constraints):
        kind = _kind(c)
        name = c.name or f"c{k}"
        enforce = [int(x) for x in c.enforcement_literal]
        if kind in UNLIFTABLE:
            skip(UNLIFTABLE[kind])
            continue
        if kind in ("empty", "dummy_constraint"):
            continue
        if len(enforce) > 1 or (enforce and kind not in ("linear", "bool_or", "bool_and", "at_most_one",
                                                         "exactly_one")):
            skip("a constraint enforced by several literals (OnlyEnforceIf with a list)"
                 if len(enforce) > 1 else f"an enforced {kind}")
            continue
        # each kind as linear pieces: (terms, constant, lo, hi) over the variables
        pieces: list[tuple[dict[int, float], float, float, float]] = []
        if kind == "linear":
            terms, const = _affine(c.linear.vars, c.linear.coeffs)
            d = [int(x) for x in c.linear.domain]
            if len(d) == 2:
                pieces.append((terms, const, _bound(d[0]), _bound(d[1])))
            elif len(d) == 4 and d[0] <= INT64_MIN and d[3] >= INT64_MAX and d[2] - d[1] == 2 and not enforce:
                logical.append(Logical(name, "not_equal", terms, lo=float(d[1] + 1) - const))
                continue
            else:
                skip("a linear constraint whose domain has several intervals")
                continue
        elif kind == "bool_or":
            terms, const = _affine(c.bool_or.literals, [1] * len(c.bool_or.literals))
            pieces.append((terms, const, 1.0, math.inf))
        elif kind == "at_most_one":
            terms, const = _affine(c.at_most_one.literals, [1] * len(c.at_most_one.literals))
            pieces.append((terms, const, -math.inf, 1.0))
        elif kind == "exactly_one":
            terms, const = _affine(c.exactly_one.literals, [1] * len(c.exactly_one.literals))
            pieces.append((terms, const, 1.0, 1.0))
        elif kind == "bool_and":
            for ref in c.bool_and.literals:
                terms, const = _affine([ref], [1])
                pieces.append((terms, const, 1.0, 1.0))
        elif kind == "all_diff":
            cols = []
            for e in c.all_diff.exprs:
                if len(e.vars) != 1 or int(e.coeffs[0]) != 1 or int(e.offset) != 0 or int(e.vars[0]) < 0:
                    cols = None
                    break
                cols.append(int(e.vars[0]))
            if cols is None:
                skip("an AddAllDifferent over expressions other than plain variables")
            else:
                logical.append(Logical(name, "all_different", columns=cols))
            continue
        for p, (terms, const, lo, hi) in enumerate(pieces):
            label = name if len(pieces) == 1 else f"{name}_{p + 1}"
            if enforce:
                logical.append(Logical(label, "implies", terms, lo - const, hi - const, _lit(enforce[0])))
            else:
                row(label, terms, lo - const, hi - const)
    cost = np.zeros(n)
    offset, sense = 0.0, "minimize"
    if proto.has_floating_point_objective():
        fo = proto.floating_point_objective
        terms, offset = _affine(fo.vars, fo.coeffs, fo.offset)
        sense = "maximize" if fo.maximize else "minimize"
        for j, c in terms.items():
            cost[j] += c
    elif proto.has_objective():
        o = proto.objective
        s = float(o.scaling_factor) or 1.0
        terms, const = _affine(o.vars, o.coeffs, o.offset)
        sense = "minimize" if s > 0 else "maximize"  # CP-SAT minimizes the inner sum, shown times s
        for j, c in terms.items():
            cost[j] += s * c
        offset = s * const
    if len(proto.assumptions):
        skip("assumptions (AddAssumption)")
    md = HarvestedModel(
        library="cpsat", sense=sense, offset=offset, columns=names, column_var=list(names),
        column_index=[()] * n, rows=rows, col_lower=lower, col_upper=upper, col_cost=cost,
        col_integer=np.ones(n, dtype=bool), row_lower=np.asarray(row_lo, dtype=float),
        row_upper=np.asarray(row_hi, dtype=float), a_row=np.asarray(a_row, dtype=np.int64),
        a_col=np.asarray(a_col, dtype=np.int64), a_val=np.asarray(a_val, dtype=float))
    return CpsatArrays(md, logical, unlifted)


__all__ = ["INT64_MAX", "INT64_MIN", "UNLIFTABLE", "CpsatArrays", "Logical", "finite_domain",
           "proto_arrays", "proto_numbers", "read_proto"]
