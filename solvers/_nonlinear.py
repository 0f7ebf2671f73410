"""Nonlinear expressions of the lowering (target "scip"): vectorized nodes and per-row trees.

The lowering evaluates an expression over a frame of `n` rows at once; where a value is no longer
affine or quadratic (`sqrt(e)`, `x * y * z`, `e / x`, `e ** 1.5`, a quadratic term inside a
function, ...) it becomes an `NL` node: an operation over children that are `Lin`s (affine,
possibly with quadratic terms), data arrays or other `NL`s, all over the same rows ("sum" reduces a
child frame into its parent rows). The structure is shared by all rows; only the leaves' arrays
differ. `trees(v, n)` then materializes one small tree per row, which is what backends (SCIP),
exports (Pyomo), bounds and the domain warnings consume:

    ("const", v)                      a number
    ("lin", cols, coefs, const)       sum(coefs * x[cols]) + const (cols int64, coefs float64)
    ("quad", c1, c2, coefs)           sum(coefs * x[c1] * x[c2])
    ("+", [t, ...])                   a sum
    ("*", [a, b])                     a product
    ("/", [a, b])                     a quotient
    ("pow", [a], p)                   a ** p (p a number)
    (fn, [a])                         fn in sqrt, exp, log, abs
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ._vector import NL, Lin, group_starts, is_nl, merge_terms

UNARY = ("sqrt", "exp", "log", "abs")
# how far a one-signed divisor is kept from 0: ten times SCIP's feasibility tolerance (1e-6), so
# a point within tolerance of the guard still divides by a number, not by a rounding of 0 (with
# 1e-6, SCIP returned x = 0 for `x / abs(x)`: abs's auxiliary column sat at 1e-6, within
# tolerance of x = 0, and the model was undefined at the point it called optimal)
DIVISOR_GUARD = 1e-5


def is_expr(v: Any) -> bool:
    """A value with variables (affine, quadratic or nonlinear)."""
    return isinstance(v, (Lin, NL))


# --------------------------------------------------------------------------- per-row trees


def _lin_trees(e: Lin, n: int, ncols: int) -> list:
    r, c, k = merge_terms(e.row, e.col, e.coef, max(ncols, 1))
    st = group_starts(r, n)
    const = np.broadcast_to(np.asarray(e.const, dtype=np.float64), (n,))
    out: list = []
    quad = None
    if e.q is not None and e.q.coef.size:
        q = e.q
        order = np.argsort(q.row, kind="stable")
        qr, c1, c2, qk = q.row[order], q.c1[order], q.c2[order], q.coef[order]
        quad = (group_starts(qr, n), c1, c2, qk)
    for i in range(n):
        t: Any = ("lin", c[st[i]:st[i + 1]].copy(), k[st[i]:st[i + 1]].copy(), float(const[i]))
        if quad is not None:
            qs, c1, c2, qk = quad
            a, b = qs[i], qs[i + 1]
            if b > a:
                t = ("+", [t, ("quad", c1[a:b].copy(), c2[a:b].copy(), qk[a:b].copy())])
        out.append(t)
    return out


def trees(v: Any, n: int, ncols: int) -> list:
    """One tree per row of a data array, a Lin or an NL over `n` rows."""
    if isinstance(v, Lin):
        return _lin_trees(v, n, ncols)
    if not isinstance(v, NL):
        arr = np.broadcast_to(np.asarray(v, dtype=np.float64), (n,))
        return [("const", float(x)) for x in arr]
    if v.op == "sum":
        (child,) = v.args
        assert v.parent is not None
        m = len(v.parent)
        kids = trees(child, m, ncols)
        order = np.argsort(v.parent, kind="stable")
        st = group_starts(v.parent[order], n)
        return [("+", [kids[j] for j in order[st[i]:st[i + 1]]]) for i in range(n)]
    parts = [trees(a, n, ncols) for a in v.args]
    if v.op in UNARY:
        return [(v.op, [t]) for t in parts[0]]
    if v.op == "pow":
        p = np.broadcast_to(np.asarray(v.p, dtype=np.float64), (n,))
        return [("pow", [t], float(p[i])) for i, t in enumerate(parts[0])]
    if v.op == "+":
        return [("+", list(ts)) for ts in zip(*parts)]
    return [(v.op, list(ts)) for ts in zip(*parts)]


def simplify(t: Any) -> Any:
    """Flatten nested sums, fold constants into an affine part, drop empty terms."""
    op = t[0]
    if op in ("const", "lin", "quad"):
        return t
    if op == "+":
        flat: list = []
        stack = list(reversed(t[1]))
        while stack:
            x = simplify(stack.pop())
            if x[0] == "+":
                stack.extend(reversed(x[1]))
            else:
                flat.append(x)
        const = sum(x[1] for x in flat if x[0] == "const")
        lins = [x for x in flat if x[0] == "lin"]
        rest = [x for x in flat if x[0] not in ("const", "lin")]
        if lins:
            cols = np.concatenate([x[1] for x in lins])
            coefs = np.concatenate([x[2] for x in lins])
            r, c, k = merge_terms(np.zeros(len(cols), dtype=np.int64), cols, coefs,
                                  int(cols.max()) + 1 if len(cols) else 1)
            lin = ("lin", c, k, const + sum(x[3] for x in lins))
            parts = [lin, *rest]
        else:
            parts = ([("const", const)] if const or not rest else []) + rest
        return parts[0] if len(parts) == 1 else ("+", parts)
    if op == "pow":
        return ("pow", [simplify(t[1][0])], t[2])
    kids = [simplify(x) for x in t[1]]
    if op == "*" and any(k[0] == "const" for k in kids):
        c = math.prod(k[1] for k in kids if k[0] == "const")
        other = [k for k in kids if k[0] != "const"]
        if not other:
            return ("const", c)
        if len(other) == 1:
            return _scale_tree(other[0], c)
    return (op, kids)


def _scale_tree(t: Any, c: float) -> Any:
    if c == 1.0:
        return t
    if t[0] == "const":
        return ("const", t[1] * c)
    if t[0] == "lin":
        return ("lin", t[1], t[2] * c, t[3] * c)
    if t[0] == "quad":
        return ("quad", t[1], t[2], t[3] * c)
    if t[0] == "+":
        return ("+", [_scale_tree(x, c) for x in t[1]])
    return ("*", [("const", c), t])


def columns(t: Any) -> list[int]:
    """Every column a tree refers to."""
    out: list[int] = []
    stack = [t]
    while stack:
        x = stack.pop()
        if x[0] == "lin":
            out.extend(int(j) for j in x[1])
        elif x[0] == "quad":
            out.extend(int(j) for j in x[1])
            out.extend(int(j) for j in x[2])
        elif x[0] != "const":
            stack.extend(x[1])
    return out


def evaluate(t: Any, x: np.ndarray) -> float:
    """The value of a tree at the column values `x` (math domain errors raise ValueError)."""
    op = t[0]
    if op == "const":
        return float(t[1])
    if op == "lin":
        return float(np.dot(t[2], x[t[1]]) + t[3]) if len(t[1]) else float(t[3])
    if op == "quad":
        return float(np.sum(t[3] * x[t[1]] * x[t[2]]))
    if op == "+":
        return float(sum(evaluate(a, x) for a in t[1]))
    if op == "*":
        return evaluate(t[1][0], x) * evaluate(t[1][1], x)
    if op == "/":
        return evaluate(t[1][0], x) / evaluate(t[1][1], x)
    if op == "pow":
        base, p = evaluate(t[1][0], x), t[2]
        if base < 0 and float(p) != math.floor(p):
            raise ValueError(f"math domain error: a negative base ({base:g}) to the power {p:g} "
                             "is not a real number")
        return float(base ** p)
    a = evaluate(t[1][0], x)
    if op == "sqrt":
        return math.sqrt(max(a, 0.0)) if a > -1e-9 else math.sqrt(a)
    if op == "exp":
        return math.exp(a)
    if op == "log":
        return math.log(a)
    if op == "abs":
        return abs(a)
    raise ValueError(f"unknown operation {op!r}")


# --------------------------------------------------------------------------- interval bounds


def _mul_iv(a: tuple[float, float], b: tuple[float, float]) -> tuple[float, float]:
    vals = []
    for x in a:
        for y in b:
            if (x == 0 and math.isinf(y)) or (y == 0 and math.isinf(x)):
                vals.append(0.0)
            else:
                vals.append(x * y)
    return min(vals), max(vals)


def interval(t: Any, lb: np.ndarray, ub: np.ndarray) -> tuple[float, float]:
    """An enclosure [lo, hi] of a tree's value over the column box (interval arithmetic)."""
    op = t[0]
    if op == "const":
        return float(t[1]), float(t[1])
    if op == "lin":
        cols, k = t[1], t[2]
        if not len(cols):
            return float(t[3]), float(t[3])
        lo_c, hi_c = lb[cols], ub[cols]
        with np.errstate(invalid="ignore"):
            lo = np.where(k > 0, k * lo_c, k * hi_c)
            hi = np.where(k > 0, k * hi_c, k * lo_c)
        return float(np.nansum(lo)) + t[3], float(np.nansum(hi)) + t[3]
    if op == "quad":
        lo = hi = 0.0
        for a, b, k in zip(t[1], t[2], t[3]):
            xa, xb = (float(lb[a]), float(ub[a])), (float(lb[b]), float(ub[b]))
            if a == b:
                sq = _mul_iv(xa, xa)
                if xa[0] <= 0 <= xa[1]:
                    sq = (0.0, sq[1])
                else:
                    sq = (max(sq[0], 0.0), sq[1])
                iv = sq
            else:
                iv = _mul_iv(xa, xb)
            iv = _mul_iv(iv, (float(k), float(k)))
            lo, hi = lo + iv[0], hi + iv[1]
        return lo, hi
    if op == "+":
        lo = hi = 0.0
        for a in t[1]:
            x = interval(a, lb, ub)
            lo, hi = lo + x[0], hi + x[1]
        if lo == -math.inf:  # a sum of squares expanded by the lowering: its convex minimum
            lo = max(lo, _convex_min(t))
        return lo, hi
    if op == "*":
        return _mul_iv(interval(t[1][0], lb, ub), interval(t[1][1], lb, ub))
    if op == "/":
        a, b = interval(t[1][0], lb, ub), interval(t[1][1], lb, ub)
        if b[0] <= 0 <= b[1]:
            return -math.inf, math.inf
        return _mul_iv(a, (1 / b[1], 1 / b[0]))
    a = interval(t[1][0], lb, ub)
    if op == "pow":
        p = t[2]
        if p == int(p) and int(p) % 2 == 0 and p > 0:
            m = max(abs(a[0]), abs(a[1])) ** p
            return (0.0 if a[0] <= 0 <= a[1] else min(abs(a[0]), abs(a[1])) ** p), m
        if a[0] < 0 and p != int(p):
            return -math.inf, math.inf
        try:
            vals = [a[0] ** p, a[1] ** p]
        except (OverflowError, ZeroDivisionError):
            return -math.inf, math.inf
        if isinstance(vals[0], complex) or isinstance(vals[1], complex):
            return -math.inf, math.inf
        return min(vals), max(vals)
    if op == "sqrt":
        return math.sqrt(max(a[0], 0.0)), math.sqrt(max(a[1], 0.0)) if math.isfinite(a[1]) else math.inf
    if op == "exp":
        return _safe_exp(a[0]), _safe_exp(a[1])
    if op == "log":
        lo = math.log(a[0]) if a[0] > 0 else -math.inf
        hi = math.log(a[1]) if a[1] > 0 and math.isfinite(a[1]) else (math.inf if a[1] > 0 else -math.inf)
        return lo, hi
    if op == "abs":
        if a[0] >= 0:
            return a
        if a[1] <= 0:
            return -a[1], -a[0]
        return 0.0, max(-a[0], a[1])
    return -math.inf, math.inf


def _convex_min(t: Any) -> float:
    """The global minimum of `lin + quad` parts of a sum when its quadratic form is positive
    semidefinite (`(x - a)**2 + (y - b)**2` expanded), a lower bound for any box; -inf otherwise."""
    lins = [a for a in t[1] if a[0] == "lin"]
    quads = [a for a in t[1] if a[0] == "quad"]
    if not quads or len(lins) + len(quads) != len(t[1]):
        return -math.inf
    cols = np.unique(np.concatenate([np.concatenate([q[1], q[2]]) for q in quads]
                                    + [a[1] for a in lins]).astype(np.int64))
    if len(cols) > 200:
        return -math.inf
    at = {int(c): k for k, c in enumerate(cols)}
    h = np.zeros((len(cols), len(cols)))
    b = np.zeros(len(cols))
    c0 = 0.0
    for q in quads:
        for i, j, k in zip(q[1], q[2], q[3]):
            h[at[int(i)], at[int(j)]] += k / 2
            h[at[int(j)], at[int(i)]] += k / 2
    for a in lins:
        for j, k in zip(a[1], a[2]):
            b[at[int(j)]] += k
        c0 += a[3]
    scale = max(1.0, float(np.abs(h).max()))
    if np.linalg.eigvalsh(h)[0] < -1e-12 * scale:
        return -math.inf
    x = np.linalg.lstsq(2 * h, -b, rcond=None)[0]  # the stationary point, when one exists
    if not np.allclose(2 * h @ x, -b, atol=1e-9 * max(1.0, float(np.abs(b).max()))):
        return -math.inf
    v = float(c0 + b @ x + x @ h @ x)
    return 0.0 if abs(v) <= 1e-9 * max(1.0, abs(c0)) else v  # a sum of squares: exactly 0


def _safe_exp(v: float) -> float:
    try:
        return math.exp(v)
    except OverflowError:
        return math.inf


def domain_guards(t: Any, lb: np.ndarray, ub: np.ndarray) -> list[tuple[Any, float | None, float | None]]:
    """(argument tree, lower limit, upper limit) for every log (>= 1e-6: above SCIP's zero
    tolerances), sqrt and fractional power (>= 0) whose argument may leave its domain over the
    column box, and every divisor (or base of a negative power) of one sign that may reach 0
    (>= DIVISOR_GUARD, or <= -DIVISOR_GUARD): the constraints that keep a solver from returning a point where the
    function is undefined (e.g. after it cancelled the terms, x / x = 1 at x = 0). A divisor whose
    range crosses 0 gets none: the point is checked after the solve."""
    out: list = []
    stack = [t]
    while stack:
        x = stack.pop()
        if x[0] in ("const", "lin", "quad"):
            continue
        if x[0] in ("log", "sqrt") or (x[0] == "pow" and x[2] != int(x[2])):
            limit = 1e-6 if x[0] == "log" else 0.0
            if interval(x[1][0], lb, ub)[0] < limit:
                out.append((x[1][0], limit, None))
        elif x[0] == "/" or (x[0] == "pow" and x[2] < 0):
            den = x[1][-1] if x[0] == "/" else x[1][0]
            lo, hi = interval(den, lb, ub)
            if 0 <= lo < DIVISOR_GUARD < hi:
                out.append((den, DIVISOR_GUARD, None))
            elif lo < -DIVISOR_GUARD < hi <= 0:
                out.append((den, None, -DIVISOR_GUARD))
        stack.extend(x[1])
    return out


def leaves_domain(fn: str, iv: tuple[float, float]) -> bool:
    """Whether an argument ranging in `iv` may leave the domain of `fn` (a `domain_risks` name)."""
    lo, hi = iv
    if fn == "log":
        return lo <= 0
    if fn == "/" or (fn.startswith("** ") and float(fn[3:]) == int(float(fn[3:]))):  # a divisor
        return lo <= 0 <= hi
    return lo < -1e-9 * max(1.0, abs(hi) if math.isfinite(hi) else 1.0)  # sqrt, fractional power


def domain_risks(t: Any, lb: np.ndarray, ub: np.ndarray) -> list[tuple[str, tuple[float, float], Any]]:
    """(function, argument interval, argument tree) of every log / sqrt / division / fractional
    power whose argument may leave its domain over the column box."""
    out: list = []
    stack = [t]
    while stack:
        x = stack.pop()
        if x[0] in ("const", "lin", "quad"):
            continue
        if x[0] in ("log", "sqrt") or (x[0] == "pow" and x[2] != int(x[2])):
            fn, arg = (x[0] if x[0] != "pow" else f"** {x[2]:g}"), x[1][0]
        elif x[0] == "/" or (x[0] == "pow" and x[2] < 0):
            fn, arg = ("/" if x[0] == "/" else f"** {x[2]:g}"), (x[1][-1] if x[0] == "/" else x[1][0])
        else:
            fn = arg = None
        if fn is not None:
            iv = interval(arg, lb, ub)
            if leaves_domain(fn, iv):
                out.append((fn, iv, arg))
        stack.extend(x[1])
    return out


__all__ = ["NL", "is_nl", "is_expr", "trees", "simplify", "columns", "evaluate", "interval", "domain_risks",
           "domain_guards", "leaves_domain"]
