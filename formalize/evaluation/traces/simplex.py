"""The primal simplex method on max c x, A x <= b, x >= 0 (b >= 0), run by hand and checked pivot
by pivot, in exact rational arithmetic.

Variables x1..xn and one slack s1..sm per row; the start basis is the slacks. Entering: the
nonbasic variable with the largest positive reduced profit c_j - z_j (Dantzig's rule), ties to
the first in the order x1..xn, s1..sm (Bland's order). Leaving: the minimum ratio
value / column entry over basic variables with a positive entry, ties to the first in the same
order. Stop when no reduced profit is positive.

Each pivot is one step, checked from the answer's own previous basis: entering by the rule, the
ratios, leaving by the rule, the new basis with its values, the objective. The last step is the
stop (the final basis must be optimal).
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from formalize.evaluation.traces.base import (
    Faults,
    TraceCheck,
    TraceUnavailable,
    number,
    same,
    show,
)

NAME = "simplex"
TITLE = "the simplex method (Dantzig's rule, Bland's tie-break)"
KEYS = ("pivots",)
MAX_PIVOTS = 50


@dataclass
class LP:
    """max c x s.t. A x <= b, x >= 0 with b >= 0, columns named x1..xn then s1..sm."""

    c: list[Fraction]
    a: list[list[Fraction]]
    b: list[Fraction]

    @property
    def n(self) -> int:
        return len(self.c)

    @property
    def m(self) -> int:
        return len(self.b)

    @property
    def names(self) -> list[str]:
        return [f"x{j + 1}" for j in range(self.n)] + [f"s{i + 1}" for i in range(self.m)]

    def column(self, j: int) -> list[Fraction]:
        if j < self.n:
            return [row[j] for row in self.a]
        return [Fraction(int(i == j - self.n)) for i in range(self.m)]

    def cost(self, j: int) -> Fraction:
        return self.c[j] if j < self.n else Fraction(0)


def _solve(mat: list[list[Fraction]], rhs: list[Fraction]) -> list[Fraction] | None:
    """Solve mat x = rhs exactly (Gauss-Jordan); None if singular."""
    k = len(mat)
    aug = [list(row) + [r] for row, r in zip(mat, rhs, strict=True)]
    for col in range(k):
        piv = next((r for r in range(col, k) if aug[r][col] != 0), None)
        if piv is None:
            return None
        aug[col], aug[piv] = aug[piv], aug[col]
        p = aug[col][col]
        aug[col] = [x / p for x in aug[col]]
        for r in range(k):
            if r != col and aug[r][col] != 0:
                f = aug[r][col]
                aug[r] = [x - f * y for x, y in zip(aug[r], aug[col], strict=True)]
    return [row[-1] for row in aug]


class Basis:
    """A basis (column indices) of an LP with its values, reduced profits and directions."""

    def __init__(self, lp: LP, cols: list[int]) -> None:
        self.lp, self.cols = lp, list(cols)
        mat = [[lp.column(j)[i] for j in self.cols] for i in range(lp.m)]
        self.mat = mat
        vals = _solve(mat, lp.b) if len(self.cols) == lp.m else None
        self.ok = vals is not None
        self.values = dict(zip(self.cols, vals, strict=True)) if vals is not None else {}

    def objective(self) -> Fraction:
        return sum((self.lp.cost(j) * v for j, v in self.values.items()), Fraction(0))

    def reduced(self) -> dict[int, Fraction]:
        """Reduced profit c_j - z_j of every nonbasic column."""
        lp = self.lp
        transposed = [[self.mat[i][k] for i in range(lp.m)] for k in range(lp.m)]
        y = _solve(transposed, [lp.cost(j) for j in self.cols]) or [Fraction(0)] * lp.m
        return {j: lp.cost(j) - sum((yi * ai for yi, ai in zip(y, lp.column(j), strict=True)),
                                    Fraction(0))
                for j in range(lp.n + lp.m) if j not in self.cols}

    def entering(self) -> int | None:
        """Dantzig's rule with Bland's tie-break; None at an optimal basis."""
        red = self.reduced()
        best = max(red.values(), default=Fraction(0))
        if best <= 0:
            return None
        return min(j for j, r in red.items() if r == best)

    def direction(self, e: int) -> dict[int, Fraction]:
        d = _solve(self.mat, self.lp.column(e)) or [Fraction(0)] * self.lp.m
        return dict(zip(self.cols, d, strict=True))

    def ratios(self, e: int) -> dict[int, Fraction]:
        """value / entry for the basic columns with a positive entry in column e."""
        return {j: self.values[j] / dj for j, dj in self.direction(e).items() if dj > 0}

    def leaving(self, e: int) -> int | None:
        rat = self.ratios(e)
        if not rat:
            return None  # unbounded direction
        low = min(rat.values())
        return min(j for j, r in rat.items() if r == low)


def run(lp: LP) -> tuple[list[dict[str, Any]], Basis]:
    """The pivots of the rule from the slack basis (answer shape, exact values) and the final
    basis. Raises TraceUnavailable if the LP is unbounded or needs more than MAX_PIVOTS."""
    basis = Basis(lp, list(range(lp.n, lp.n + lp.m)))
    pivots: list[dict[str, Any]] = []
    names = lp.names
    while (e := basis.entering()) is not None:
        if len(pivots) >= MAX_PIVOTS:
            raise TraceUnavailable(f"{NAME}: no optimum after {MAX_PIVOTS} pivots (cycling)")
        rat = basis.ratios(e)
        out = basis.leaving(e)
        if out is None:
            raise TraceUnavailable(f"{NAME}: the LP is unbounded along {names[e]}")
        cols = sorted([j for j in basis.cols if j != out] + [e])
        basis = Basis(lp, cols)
        pivots.append({"entering": names[e], "ratios": {names[j]: r for j, r in rat.items()},
                       "leaving": names[out],
                       "basis": {names[j]: v for j, v in basis.values.items()},
                       "objective": basis.objective()})
    return pivots, basis


def data(model: dict[str, Any]) -> LP:
    """The LP of a product-mix family model (params profit[P], usage[R, P], available[R])."""
    try:
        p = model["params"]
        products = list(model["sets"]["Products"])
        resources = list(model["sets"]["Resources"])
        c = [Fraction(p["profit"]["values"][q]) for q in products]
        a = [[Fraction(p["usage"]["values"][r][q]) for q in products] for r in resources]
        b = [Fraction(p["available"]["values"][r]) for r in resources]
    except (KeyError, TypeError, ValueError) as exc:
        raise TraceUnavailable(f"{NAME}: not a product-mix family model ({exc})") from None
    if any(x < 0 for x in b):
        raise TraceUnavailable(f"{NAME}: the slack basis is infeasible (a negative right-hand side)")
    return LP(c, a, b)


def available(model: dict[str, Any]) -> None:
    run(data(model))


def instructions(model: dict[str, Any]) -> str:
    lp = data(model)
    products = list(model["sets"]["Products"])
    resources = list(model["sets"]["Resources"])
    xs = ", ".join(f"x{j + 1} = units of {q}" for j, q in enumerate(products))
    ss = ", ".join(f"s{i + 1} = unused {r}" for i, r in enumerate(resources))
    return f"""Procedure (the simplex method, by hand):
Write the problem as: maximize profit = c x subject to one row per resource, A x + s = b,
x >= 0, s >= 0, with the variables {xs}; and the slacks {ss}.
Start from the basis of all slacks ({", ".join(lp.names[lp.n:])}), where every x is 0.
At each pivot:
- entering variable: the nonbasic variable with the largest positive reduced profit
  (c_j - z_j); if several tie, the one that comes first in the order {", ".join(lp.names)};
- ratio test: for every basic variable whose entry in the entering column is positive, its
  ratio = its current value / that entry;
- leaving variable: the smallest ratio; if several tie, the one that comes first in the same
  order;
- then the new basis, the value of every basic variable and the objective (profit).
Stop when no reduced profit is positive; that basis is optimal.

Report every pivot, in order, as one JSON object in a ```json block (numbers may be written as
fractions in strings, e.g. "15/2"):
{{"pivots": [{{"entering": "x2", "ratios": {{"s1": <ratio>, "s2": <ratio>}}, "leaving": "s2",
             "basis": {{"s1": <value>, "x2": <value>}}, "objective": <profit after the pivot>}},
            ...],
 "solution": {{"x1": <value>, ..., "x{lp.n}": <value>}}, "objective": <optimal profit>}}"""


def reference(model: dict[str, Any]) -> dict[str, Any]:
    lp = data(model)
    pivots, final = run(lp)
    names = lp.names

    def out(x: Fraction) -> Any:
        return int(x) if x.denominator == 1 else f"{x.numerator}/{x.denominator}"

    return {"pivots": [{"entering": p["entering"],
                        "ratios": {k: out(v) for k, v in p["ratios"].items()},
                        "leaving": p["leaving"],
                        "basis": {k: out(v) for k, v in p["basis"].items()},
                        "objective": out(p["objective"])} for p in pivots],
            "solution": {names[j]: out(final.values.get(j, Fraction(0))) for j in range(lp.n)},
            "objective": out(final.objective())}


def optimum(model: dict[str, Any]) -> Fraction:
    """The LP optimum by the exact rational simplex method."""
    return run(data(model))[1].objective()


def check(model: dict[str, Any], doc: dict[str, Any]) -> TraceCheck:
    """Check every pivot from the answer's own previous basis, then the stop."""
    lp = data(model)
    names = lp.names
    index = {nm: j for j, nm in enumerate(names)}
    ref_pivots, ref_final = run(lp)
    pivots = doc.get("pivots")
    pivots = [p for p in pivots if isinstance(p, dict)] if isinstance(pivots, list) else []
    faults = Faults()
    right = 0
    state = Basis(lp, list(range(lp.n, lp.n + lp.m)))
    total = max(len(pivots), len(ref_pivots)) + 1
    stopped_early = False
    for k in range(1, total):
        label = f"pivot {k}"
        if k > len(pivots):  # the steps not reported are not right
            if state.entering() is not None:
                stopped_early = True
                red = state.reduced()
                faults.add(k, label, f"missing: the answer stops after {len(pivots)} pivot(s) "
                                     f"at basis {{{', '.join(names[j] for j in state.cols)}}}, "
                                     f"where {names[state.entering()]} still has reduced "
                                     f"profit {show(red[state.entering()])} > 0")
            break
        p = pivots[k - 1]
        problems: list[str] = []
        want_e = state.entering()
        e = index.get(str(p.get("entering", "")).strip())
        if want_e is None:
            problems.append("the basis was already optimal (no positive reduced profit): no "
                            "pivot should follow")
        elif e != want_e:
            red = state.reduced()
            problems.append(f"entering {p.get('entering')!r}, expected {names[want_e]} (reduced "
                            f"profits: " + ", ".join(f"{names[j]} {show(r)}" for j, r in
                                                     sorted(red.items()) if r > 0) + ")")
        if e is None or e in state.cols:
            e = want_e  # judge the rest from the rule's choice
        leave = index.get(str(p.get("leaving", "")).strip())
        if e is not None:
            rat = state.ratios(e)
            got_rat = p.get("ratios")
            if isinstance(got_rat, dict):
                got = {str(key).strip(): number(v) for key, v in got_rat.items()}
                want = {names[j]: r for j, r in rat.items()}
                bad = [nm for nm, r in want.items() if not same(got.get(nm), r)]
                extra = [nm for nm in got if nm not in want]
                if bad or extra:
                    problems.append("ratio test: expected " + ", ".join(
                        f"{nm} {show(r)}" for nm, r in want.items()) + " (got " + ", ".join(
                        f"{nm} {show(v)}" for nm, v in got.items()) + ")")
            else:
                problems.append("no \"ratios\" object")
            want_l = state.leaving(e)
            if leave != want_l:
                problems.append(f"leaving {p.get('leaving')!r}, expected "
                                f"{names[want_l] if want_l is not None else 'none (unbounded)'}"
                                f" (smallest ratio, ties to the first in order)")
            if leave is None or leave not in state.cols:
                leave = want_l
        # the basis this pivot leads to, from the answer's own choices
        nxt = None
        if e is not None and leave is not None:
            nxt = Basis(lp, sorted([j for j in state.cols if j != leave] + [e]))
        got_basis = p.get("basis")
        reported = None
        if isinstance(got_basis, dict):
            cols = [index.get(str(key).strip()) for key in got_basis]
            if None not in cols and len(set(cols)) == lp.m:
                reported = Basis(lp, sorted(c for c in cols if c is not None))
            if nxt is not None and nxt.ok:
                want_names = {names[j] for j in nxt.cols}
                got_names = {str(key).strip() for key in got_basis}
                if got_names != want_names:
                    problems.append(f"basis {sorted(got_names)}, expected {sorted(want_names)}")
                else:
                    bad = [f"{names[j]} = {show(number(got_basis[names[j]]))} (expected "
                           f"{show(v)})" for j, v in nxt.values.items()
                           if not same(number(got_basis.get(names[j])), v)]
                    if bad:
                        problems.append("basic values: " + ", ".join(bad))
        else:
            problems.append("no \"basis\" object")
        if nxt is not None and nxt.ok:
            obj = number(p.get("objective"))
            if not same(obj, nxt.objective()):
                problems.append(f"objective {show(obj)}, expected {show(nxt.objective())}")
        if problems:
            faults.add(k, label, "; ".join(problems))
        else:
            right += 1
        if reported is not None and reported.ok:
            state = reported
        elif nxt is not None and nxt.ok:
            state = nxt
    # the stop step
    want_e = state.entering()
    if want_e is None:
        right += 1
    elif not stopped_early:  # (a stop too early is already the "missing" fault)
        red = state.reduced()
        faults.add(total, "stop", f"stops at basis {{{', '.join(names[j] for j in state.cols)}}}"
                                  f", but {names[want_e]} has reduced profit "
                                  f"{show(red[want_e])} > 0")
    opt = ref_final.objective()
    claimed = number(doc.get("objective"))
    final_ok = claimed is not None and same(claimed, opt)
    detail = "" if final_ok else f"reports objective {show(claimed)}, the optimum is {show(opt)}"
    return TraceCheck(NAME, total, right, faults.items, faults.count, final_ok, detail,
                      float(claimed) if claimed is not None else None)
