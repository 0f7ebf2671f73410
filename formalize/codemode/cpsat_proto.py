"""A CP-SAT program's model as CP-SAT itself reads it: the CpModelProto the sandbox sent back
(text format), parsed by CP-SAT's C++ parser (`cp_model_helper.CpModelProto`, no Python protobuf
round trip), and the numbers it holds for the text-aware verifier.
"""

from __future__ import annotations

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


__all__ = ["INT64_MAX", "INT64_MIN", "finite_domain", "proto_numbers", "read_proto"]
