"""Independent proofs of the optima labelled in problems/examples/*/expected.json.

Nothing here imports `solvers`: each example's data is read straight from its model.json and
CSV files by a tiny reader below, and the optimum is derived by a method that shares no code with
our stack -- brute-force enumeration, dynamic programming, exact (rational) LP vertex enumeration,
KKT enumeration for the QP, closed forms, and PuLP/CBC as a second solver.
"""

from __future__ import annotations

import csv
import itertools
import json
import math
from collections.abc import Callable, Sequence
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
import pytest

EXAMPLES = Path(__file__).resolve().parent.parent / "problems" / "examples"
REL = 1e-6

# PuLP 3.3 warns that its v4 API will change; the calls used here are the current API
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

# --------------------------------------------------------------------------------------------
# a minimal reader for the subset of the model format the examples use (independent of solvers/)


def _elem(v: Any) -> Any:
    """CSV text or JSON scalars to the element they denote (integers stay integers)."""
    if isinstance(v, float) and v.is_integer():
        return int(v)
    if isinstance(v, str):
        try:
            return int(v)
        except ValueError:
            return v
    return v


def _rows(folder: Path, file: str) -> list[dict[str, str]]:
    with open(folder / file, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


class Example:
    """One example folder: its model document, expected label and data reader."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.folder = EXAMPLES / name
        self.doc: dict = json.loads((self.folder / "model.json").read_text(encoding="utf-8"))
        self.expected: dict = json.loads(
            (self.folder / "expected.json").read_text(encoding="utf-8")
        )

    def set(self, name: str) -> list[Any]:
        """The ordered elements of a set (tuples for multi-column sets)."""
        spec = self.doc["sets"][name]
        if isinstance(spec, list):
            spec = {"elements": spec}
        if "elements" in spec:
            return [
                tuple(_elem(x) for x in e) if isinstance(e, list) else _elem(e)
                for e in spec["elements"]
            ]
        if "range" in spec:
            lo, hi = (self.scalar(b) if isinstance(b, str) else b for b in spec["range"])
            return list(range(int(lo), int(hi) + 1))
        ref = spec["from"]
        out: list[Any] = []
        for row in _rows(self.folder, ref["file"]):
            e = (
                tuple(_elem(row[c]) for c in ref["columns"])
                if "columns" in ref
                else _elem(row[ref["column"]])
            )
            if e not in out:
                out.append(e)
        return out

    def scalar(self, name: str) -> float:
        """A scalar param's value."""
        spec = self.doc["params"][name]
        return spec if isinstance(spec, (int, float)) else spec["value"]

    def param(self, name: str) -> dict[Any, float]:
        """An indexed param as {element or tuple of elements: value}."""
        spec = self.doc["params"][name]
        index_sets = [self.set(s) for s in spec["index"]]
        dims = [len(s[0]) if s and isinstance(s[0], tuple) else 1 for s in index_sets]
        width = sum(dims)
        out: dict[Any, float] = {}

        def put(keys: Sequence[Any], value: float) -> None:
            k = tuple(_elem(x) for x in keys)
            out[k[0] if width == 1 else k] = value

        if "from" in spec:
            ref = spec["from"]
            rows = _rows(self.folder, ref["file"])
            keys = ref.get("keys") or list(rows[0].keys())[:width]
            for row in rows:
                put([row[k] for k in keys], float(row[ref["column"]]))
            return out
        values = spec["values"]
        if isinstance(values, dict):

            def walk(node: Any, prefix: list[Any]) -> None:
                if isinstance(node, dict):
                    for k, v in node.items():
                        walk(v, [*prefix, k])
                else:
                    put(prefix, node)

            walk(values, [])
        elif (
            isinstance(values, list)
            and values
            and isinstance(values[0], list)
            and len(values[0]) == width + 1
            and len(values) != len(index_sets[0])
        ):
            for row in values:  # list of rows: keys then value
                put(row[:-1], row[-1])
        else:  # nested list in set order

            def nest(node: Any, level: int, prefix: list[Any]) -> None:
                if level == len(index_sets):
                    put(prefix, node)
                    return
                for e, sub in zip(index_sets[level], node, strict=True):
                    nest(sub, level + 1, [*prefix, *(e if isinstance(e, tuple) else (e,))])

            nest(values, 0, [])
        return out


def close(value: float, expected: float) -> bool:
    return math.isclose(value, expected, rel_tol=REL, abs_tol=1e-9)


def assert_label(ex: Example, value: float) -> None:
    assert ex.expected["status"] == "optimal"
    assert close(float(value), float(ex.expected["objective"])), (
        f"{ex.name}: independently derived optimum {value} != expected.json {ex.expected['objective']}"
    )


# --------------------------------------------------------------------------------------------
# exact LP by vertex enumeration (rational arithmetic): for small bounded LPs in x >= 0


Row = tuple[list[Fraction], str, Fraction]  # (coefficients, "<=" | "==", rhs)


def _solve_square(a: list[list[Fraction]], b: list[Fraction]) -> list[Fraction] | None:
    """Gauss-Jordan elimination; None when the matrix is singular."""
    n = len(a)
    m = [row[:] + [rhs] for row, rhs in zip(a, b, strict=True)]
    for col in range(n):
        piv = next((r for r in range(col, n) if m[r][col] != 0), None)
        if piv is None:
            return None
        m[col], m[piv] = m[piv], m[col]
        p = m[col][col]
        m[col] = [v / p for v in m[col]]
        for r in range(n):
            if r != col and m[r][col] != 0:
                f = m[r][col]
                m[r] = [v - f * w for v, w in zip(m[r], m[col], strict=True)]
    return [m[r][n] for r in range(n)]


def lp_by_vertices(c: list[Fraction], rows: list[Row], sense: str = "min") -> Fraction:
    """Optimum of a bounded LP with a vertex, by trying every basis of active constraints.

    Bases are screened with numpy floats; the optimum itself is computed in exact rationals."""
    n = len(c)
    eqs = [r for r in rows if r[1] == "=="]
    ineqs = [r for r in rows if r[1] == "<="]
    best: Fraction | None = None
    # a bound row touches one variable; two bound rows on one variable make a singular basis
    single = [
        next(j for j, a in enumerate(r[0]) if a) if sum(1 for a in r[0] if a) == 1 else None
        for r in ineqs
    ]
    a_ineq = np.array([[float(a) for a in r[0]] for r in ineqs])
    b_ineq = np.array([float(r[2]) for r in ineqs])
    for picks in itertools.combinations(range(len(ineqs)), n - len(eqs)):
        bounded = [single[k] for k in picks if single[k] is not None]
        if len(bounded) != len(set(bounded)):
            continue
        basis = eqs + [ineqs[k] for k in picks]
        # screen in floating point; only promising bases are solved exactly
        am = np.array([[float(a) for a in r[0]] for r in basis])
        if np.linalg.matrix_rank(am) < n:
            continue
        xf = np.linalg.solve(am, np.array([float(r[2]) for r in basis]))
        if np.any(a_ineq @ xf > b_ineq + 1e-7):
            continue
        x = _solve_square([r[0] for r in basis], [r[2] for r in basis])
        if x is None:
            continue
        if any(sum(a * v for a, v in zip(r[0], x, strict=True)) > r[2] for r in ineqs):
            continue
        val = sum(ci * xi for ci, xi in zip(c, x, strict=True))
        if best is None or (val < best if sense == "min" else val > best):
            best = val
    assert best is not None, "LP has no vertex"
    return best


def F(x: float) -> Fraction:
    """The decimal written in the data file, exactly."""
    return Fraction(str(x))


def nonneg_rows(n: int) -> list[Row]:
    return [
        ([Fraction(-1) if k == j else Fraction(0) for k in range(n)], "<=", Fraction(0))
        for j in range(n)
    ]


# --------------------------------------------------------------------------------------------
# PuLP / CBC as a second solver (never imported together with OR-Tools' pywraplp)


def pulp_solve(build: Callable[[Any], Any]) -> tuple[str, float | None]:
    """Build a pulp problem with `build(pulp)` and solve it with the bundled CBC."""
    pulp = pytest.importorskip("pulp")
    prob = build(pulp)
    prob.solve(pulp.PULP_CBC_CMD(msg=False))
    status = pulp.LpStatus[prob.status]
    return status, (pulp.value(prob.objective) if status == "Optimal" else None)


# --------------------------------------------------------------------------------------------
# the examples


def test_every_example_is_complete() -> None:
    names = sorted(p.name for p in EXAMPLES.iterdir() if p.is_dir())
    assert len(names) >= 13
    for name in names:
        folder = EXAMPLES / name
        assert (folder / "problem.txt").read_text(encoding="utf-8").strip(), name
        ex = Example(name)
        assert ex.expected["status"] in ("optimal", "feasible", "infeasible"), name
        assert ex.expected["class"] in ("LP", "MILP", "QP", "CP", "NLP", "MINLP"), name
        assert ex.expected["derivation"].strip(), name
        if ex.expected["status"] == "optimal":
            assert isinstance(ex.expected["objective"], (int, float)), name
        else:
            assert ex.expected["objective"] is None, name
    # every required reference derivation below exists for every example
    tested = {n[len("test_") :] for n in globals() if n.startswith("test_")}
    missing = [n for n in names if n not in tested]
    assert not missing, f"examples without an independent derivation: {missing}"


def test_transport() -> None:
    ex = Example("transport")
    plants, markets = ex.set("Plants"), ex.set("Markets")
    supply, demand, dist = ex.param("supply"), ex.param("demand"), ex.param("dist")
    freight = F(ex.scalar("freight"))
    arcs = [(p, m) for p in plants for m in markets]
    cost = [freight * F(dist[a]) / 1000 for a in arcs]
    rows: list[Row] = []
    for p in plants:
        rows.append(([Fraction(1 if a[0] == p else 0) for a in arcs], "<=", F(supply[p])))
    for m in markets:
        rows.append(([Fraction(-1 if a[1] == m else 0) for a in arcs], "<=", -F(demand[m])))
    exact = lp_by_vertices(cost, rows + nonneg_rows(len(arcs)))
    assert exact == Fraction("153.675")  # Dantzig's textbook value
    assert_label(ex, float(exact))

    def build(pulp: Any) -> Any:
        prob = pulp.LpProblem("transport", pulp.LpMinimize)
        x = {a: pulp.LpVariable(f"x_{a[0]}_{a[1]}", lowBound=0) for a in arcs}
        prob += pulp.lpSum(float(c) * x[a] for c, a in zip(cost, arcs, strict=True))
        for p in plants:
            prob += pulp.lpSum(x[p, m] for m in markets) <= supply[p]
        for m in markets:
            prob += pulp.lpSum(x[p, m] for p in plants) >= demand[m]
        return prob

    status, value = pulp_solve(build)
    assert status == "Optimal" and value is not None and close(value, float(exact))


def test_diet() -> None:
    ex = Example("diet")
    foods, nutrients = ex.set("Foods"), ex.set("Nutrients")
    need, content = ex.param("need"), ex.param("content")
    price, cap = ex.param("price"), ex.param("max_servings")
    n = len(foods)
    rows: list[Row] = [([-F(content[f, k]) for f in foods], "<=", -F(need[k])) for k in nutrients]
    rows += [([Fraction(1 if g == f else 0) for g in foods], "<=", F(cap[f])) for f in foods]
    exact = lp_by_vertices([F(price[f]) for f in foods], rows + nonneg_rows(n))
    assert_label(ex, float(exact))

    def build(pulp: Any) -> Any:
        prob = pulp.LpProblem("diet", pulp.LpMinimize)
        x = {f: pulp.LpVariable(f"x_{f}", lowBound=0, upBound=cap[f]) for f in foods}
        prob += pulp.lpSum(price[f] * x[f] for f in foods)
        for k in nutrients:
            prob += pulp.lpSum(content[f, k] * x[f] for f in foods) >= need[k]
        return prob

    status, value = pulp_solve(build)
    assert status == "Optimal" and value is not None and close(value, float(exact))


def test_production_planning() -> None:
    ex = Example("production_planning")
    months = ex.set("Months")
    demand, unit = ex.param("demand"), ex.param("unit_cost")
    cap, setup = ex.scalar("capacity"), ex.scalar("setup_cost")
    hold, start = ex.scalar("holding_cost"), ex.scalar("initial_stock")
    # DP over integer stock levels: with the setups fixed the model is a min-cost flow with
    # integer data, so an integral optimum exists and integer production loses nothing.
    top = int(sum(demand.values()))
    best: dict[int, float] = {int(start): 0.0}
    for t in months:
        nxt: dict[int, float] = {}
        for s, c in best.items():
            for make in range(int(cap) + 1):
                end = s + make - int(demand[t])
                if end < 0 or end > top:
                    continue
                cost = c + unit[t] * make + (setup if make > 0 else 0) + hold * end
                if cost < nxt.get(end, math.inf):
                    nxt[end] = cost
        best = nxt
    dp = min(best.values())
    assert_label(ex, dp)

    def build(pulp: Any) -> Any:
        prob = pulp.LpProblem("lot_sizing", pulp.LpMinimize)
        make = {t: pulp.LpVariable(f"make_{t}", lowBound=0, upBound=cap) for t in months}
        run = {t: pulp.LpVariable(f"run_{t}", cat="Binary") for t in months}
        stock = {t: pulp.LpVariable(f"stock_{t}", lowBound=0) for t in months}
        prob += pulp.lpSum(unit[t] * make[t] + setup * run[t] + hold * stock[t] for t in months)
        for t in months:
            prev = stock.get(t - 1, start)
            prob += stock[t] == prev + make[t] - demand[t]
            prob += make[t] <= cap * run[t]
        return prob

    status, value = pulp_solve(build)
    assert status == "Optimal" and value is not None and close(value, dp)


def test_blending() -> None:
    ex = Example("blending")
    ing = ex.set("Ingredients")
    cost = ex.param("cost")
    comp = {k: ex.param(k) for k in ("protein", "fat", "fibre", "salt")}
    n = len(ing)
    rows: list[Row] = [([Fraction(1)] * n, "==", F(ex.scalar("can_weight")))]
    rows.append(([-F(comp["protein"][i]) for i in ing], "<=", -F(ex.scalar("min_protein"))))
    rows.append(([-F(comp["fat"][i]) for i in ing], "<=", -F(ex.scalar("min_fat"))))
    rows.append(([F(comp["fibre"][i]) for i in ing], "<=", F(ex.scalar("max_fibre"))))
    rows.append(([F(comp["salt"][i]) for i in ing], "<=", F(ex.scalar("max_salt"))))
    exact = lp_by_vertices([F(cost[i]) for i in ing], rows + nonneg_rows(n))
    assert exact == Fraction("0.52")  # PuLP's Whiskas tutorial: 60 g beef + 40 g gel
    assert_label(ex, float(exact))


def test_knapsack() -> None:
    ex = Example("knapsack")
    items = ex.set("Items")
    weight, value = ex.param("weight"), ex.param("value")
    cap = int(ex.scalar("max_weight"))
    best = [0.0] * (cap + 1)  # best[w]: most value within weight w
    for i in items:
        w = int(weight[i])
        for room in range(cap, w - 1, -1):
            best[room] = max(best[room], best[room - w] + value[i])
    assert best[cap] == 1030  # Rosetta Code's published answer
    assert_label(ex, best[cap])


def test_assignment() -> None:
    ex = Example("assignment")
    people, docs = ex.set("Translators"), ex.set("Documents")
    hours = ex.param("hours")
    best = min(
        sum(hours[p, d] for p, d in zip(people, perm, strict=True))
        for perm in itertools.permutations(docs)
    )
    assert_label(ex, best)


def test_facility_location() -> None:
    ex = Example("facility_location")
    sites, customers = ex.set("Sites"), ex.set("Customers")
    fixed, cap = ex.param("fixed_cost"), ex.param("capacity")
    demand, ship = ex.param("demand"), ex.param("ship_cost")
    best = math.inf
    for choice in itertools.product(sites, repeat=len(customers)):  # who serves each customer
        load = dict.fromkeys(sites, 0.0)
        for s, c in zip(choice, customers, strict=True):
            load[s] += demand[c]
        if any(load[s] > cap[s] for s in sites):
            continue
        cost = sum(fixed[s] for s in set(choice))  # open exactly the used sites
        cost += sum(ship[s, c] * demand[c] for s, c in zip(choice, customers, strict=True))
        best = min(best, cost)
    assert_label(ex, best)


def test_set_cover() -> None:
    ex = Example("set_cover")
    sites, districts = ex.set("Sites"), ex.set("Districts")
    covers = set(ex.set("Covers"))
    cost = ex.param("build_cost")
    assert len(districts) == 10
    best = math.inf
    for k in range(len(sites) + 1):
        for chosen in itertools.combinations(sites, k):
            if all(any((s, d) in covers for s in chosen) for d in districts):
                best = min(best, sum(cost[s] for s in chosen))
    assert_label(ex, best)


def test_tsp() -> None:
    ex = Example("tsp")
    towns, others = ex.set("Towns"), ex.set("Others")
    km = ex.param("km")
    home = next(t for t in towns if t not in others)
    best = min(
        sum(km[a, b] for a, b in itertools.pairwise([home, *perm, home]))
        for perm in itertools.permutations(others)
    )
    assert_label(ex, best)


def test_job_shop() -> None:
    ex = Example("job_shop")
    jobs, steps = ex.set("Jobs"), ex.set("Steps")
    machine, dur = ex.param("machine"), ex.param("duration")
    ops = [(j, s) for j in jobs for s in steps]
    machines = sorted({machine[o] for o in ops})
    on = {m: [o for o in ops if machine[o] == m] for m in machines}

    def makespan(orders: tuple[tuple[tuple[int, int], ...], ...]) -> float | None:
        """Earliest-start (semi-active) schedule for fixed machine orders; None if cyclic."""
        preds: dict[tuple[int, int], list[tuple[int, int]]] = {o: [] for o in ops}
        for j, s in ops:
            if s > steps[0]:
                preds[j, s].append((j, s - 1))
        for order in orders:
            for a, b in itertools.pairwise(order):
                preds[b].append(a)
        start: dict[tuple[int, int], float] = {}
        pending = list(ops)
        while pending:
            ready = [o for o in pending if all(p in start for p in preds[o])]
            if not ready:
                return None
            for o in ready:
                start[o] = max((start[p] + dur[p] for p in preds[o]), default=0.0)
                pending.remove(o)
        return max(start[o] + dur[o] for o in ops)

    spans = (
        makespan(orders)
        for orders in itertools.product(*(itertools.permutations(on[m]) for m in machines))
    )
    best = min(v for v in spans if v is not None)
    assert_label(ex, best)


def _sudoku_solutions(grid: list[list[int]], limit: int = 2) -> list[list[list[int]]]:
    """All completions of a 9x9 grid (0 = empty), up to `limit`, by backtracking."""
    found: list[list[list[int]]] = []

    def ok(r: int, c: int, d: int) -> bool:
        if d in grid[r] or any(grid[k][c] == d for k in range(9)):
            return False
        br, bc = 3 * (r // 3), 3 * (c // 3)
        return all(grid[br + i][bc + j] != d for i in range(3) for j in range(3))

    def go() -> None:
        if len(found) >= limit:
            return
        empty = next(((r, c) for r in range(9) for c in range(9) if grid[r][c] == 0), None)
        if empty is None:
            found.append([row[:] for row in grid])
            return
        r, c = empty
        for d in range(1, 10):
            if ok(r, c, d):
                grid[r][c] = d
                go()
                grid[r][c] = 0

    go()
    return found


def sudoku_reference() -> tuple[list[list[int]], int]:
    """The completed grid of the sudoku example and the number of completions found (<= 2)."""
    ex = Example("sudoku")
    given = ex.param("given")
    n = ex.set("N")
    grid = [[int(given.get((r, c), 0)) for c in n] for r in n]
    sols = _sudoku_solutions(grid)
    return sols[0], len(sols)


def test_sudoku() -> None:
    ex = Example("sudoku")
    assert ex.expected["status"] == "feasible" and ex.expected["objective"] is None
    solution, count = sudoku_reference()
    assert count == 1  # a proper puzzle: exactly one completion
    assert solution[0] == [5, 3, 4, 6, 7, 8, 9, 1, 2]  # Wikipedia's published solution, row 1


def queens_ok(rows: Sequence[int]) -> bool:
    """True when the queens (row of the queen in each column 1..n) attack no one."""
    n = len(rows)
    return (
        sorted(rows) == list(range(1, n + 1))
        and len({r + i for i, r in enumerate(rows)}) == n
        and len({r - i for i, r in enumerate(rows)}) == n
    )


def test_n_queens() -> None:
    ex = Example("n_queens")
    assert ex.expected["status"] == "feasible" and ex.expected["objective"] is None
    n = len(ex.set("Cols"))
    count = 0

    def place(rows: list[int]) -> None:
        nonlocal count
        if len(rows) == n:
            count += 1
            return
        i = len(rows)
        for r in range(1, n + 1):
            if all(r != q and abs(r - q) != i - k for k, q in enumerate(rows)):
                place([*rows, r])

    place([])
    assert count == 92  # the classic number of 8-queens solutions
    assert queens_ok([1, 5, 8, 6, 3, 7, 2, 4]) and not queens_ok([1, 2, 3, 4, 5, 6, 7, 8])


def test_portfolio() -> None:
    """Convex QP by active-set enumeration: for each support S and each state of the return
    constraint, minimize w'Cw on the affine set by its KKT system (exact), keep feasible points.
    The optimum is the minimizer over the affine hull of its own face, so it is among them."""
    ex = Example("portfolio")
    assets = ex.set("Assets")
    mu = {a: F(v) for a, v in ex.param("expected_return").items()}
    cov = {k: F(v) for k, v in ex.param("cov").items()}
    target = F(ex.scalar("min_return"))
    best: Fraction | None = None
    for k in range(1, len(assets) + 1):
        for support in itertools.combinations(assets, k):
            for return_active in (False, True):
                eq_rows = [[Fraction(1)] * k]
                rhs = [Fraction(1)]
                if return_active:
                    eq_rows.append([mu[a] for a in support])
                    rhs.append(target)
                m = len(eq_rows)
                # [2C  A'] [w]   [0]
                # [A   0 ] [l] = [b]
                kkt = [
                    [2 * cov[a, b] for b in support] + [eq_rows[r][i] for r in range(m)]
                    for i, a in enumerate(support)
                ]
                kkt += [eq_rows[r] + [Fraction(0)] * m for r in range(m)]
                sol = _solve_square(kkt, [Fraction(0)] * k + rhs)
                if sol is None:
                    continue
                w = dict(zip(support, sol[:k], strict=True))
                if any(v < 0 for v in w.values()) or sum(mu[a] * w[a] for a in w) < target:
                    continue
                var = sum(cov[a, b] * w[a] * w[b] for a in w for b in w)
                best = var if best is None else min(best, var)
    assert best is not None
    assert_label(ex, float(best))


def test_l1_regression() -> None:
    """An optimal least-absolute-deviations line passes through two of the points (an LP vertex),
    so trying every line through two points with distinct x finds the optimum."""
    ex = Example("l1_regression")
    pts = ex.set("Points")
    x = {p: F(v) for p, v in ex.param("x").items()}
    y = {p: F(v) for p, v in ex.param("y").items()}
    best: Fraction | None = None
    for p, q in itertools.combinations(pts, 2):
        if x[p] == x[q]:
            continue
        b = (y[q] - y[p]) / (x[q] - x[p])
        a = y[p] - b * x[p]
        dev = sum(abs(y[r] - a - b * x[r]) for r in pts)
        best = dev if best is None else min(best, dev)
    assert best is not None
    assert_label(ex, float(best))

    def build(pulp: Any) -> Any:
        prob = pulp.LpProblem("lad", pulp.LpMinimize)
        a, b = pulp.LpVariable("a"), pulp.LpVariable("b")
        e = {p: pulp.LpVariable(f"e_{p}", lowBound=0) for p in pts}
        prob += pulp.lpSum(e.values())
        for p in pts:
            prob += e[p] >= float(y[p]) - a - float(x[p]) * b
            prob += e[p] >= -(float(y[p]) - a - float(x[p]) * b)
        return prob

    status, value = pulp_solve(build)
    assert status == "Optimal" and value is not None and close(value, float(best))


def test_minimax_location() -> None:
    ex = Example("minimax_location")
    vx, vy = ex.param("vx"), ex.param("vy")
    side = ex.scalar("side")
    vs = ex.set("Villages")
    u = [vx[v] + vy[v] for v in vs]
    w = [vx[v] - vy[v] for v in vs]
    radius = max(max(u) - min(u), max(w) - min(w)) / 2
    # the centre of the rotated bounding square must map into the district for the closed form
    uc = (max(u) + min(u)) / 2
    lo, hi = max(w) - radius, min(w) + radius  # feasible range of x - y at that radius
    assert any(
        0 <= (uc + t) / 2 <= side and 0 <= (uc - t) / 2 <= side for t in (lo, hi, (lo + hi) / 2)
    )
    assert_label(ex, radius)

    def build(pulp: Any) -> Any:
        prob = pulp.LpProblem("minimax", pulp.LpMinimize)
        px = pulp.LpVariable("x", 0, side)
        py = pulp.LpVariable("y", 0, side)
        z = pulp.LpVariable("z")
        prob += z
        for v in vs:
            for sx, sy in itertools.product((1, -1), repeat=2):
                prob += z >= sx * (px - vx[v]) + sy * (py - vy[v])
        return prob

    status, value = pulp_solve(build)
    assert status == "Optimal" and value is not None and close(value, radius)


def test_infeasible_bakery() -> None:
    ex = Example("infeasible_bakery")
    assert ex.expected["status"] == "infeasible" and ex.expected["objective"] is None
    hours, need = ex.param("hours_per_batch"), ex.param("min_order")
    products = ex.set("Products")
    assert sum(hours[p] * need[p] for p in products) > ex.scalar("oven_hours")
    profit = ex.param("profit")

    def build(pulp: Any) -> Any:
        prob = pulp.LpProblem("bakery", pulp.LpMaximize)
        b = {p: pulp.LpVariable(f"b_{p}", lowBound=0, cat="Integer") for p in products}
        prob += pulp.lpSum(profit[p] * b[p] for p in products)
        prob += pulp.lpSum(hours[p] * b[p] for p in products) <= ex.scalar("oven_hours")
        for p in products:
            prob += b[p] >= need[p]
        return prob

    status, _ = pulp_solve(build)
    assert status == "Infeasible"


def test_shortest_route() -> None:
    """Dijkstra on the road graph built from the coordinates (the model derives the roads and
    their lengths itself: a filtered product set and a computed param)."""
    import heapq

    ex = Example("shortest_route")
    towns = ex.set("Junctions")
    xs = dict(zip(towns, ex.doc["params"]["x"]["values"], strict=True))
    ys = dict(zip(towns, ex.doc["params"]["y"]["values"], strict=True))
    reach = ex.scalar("reach")
    km = {(a, b): math.hypot(xs[a] - xs[b], ys[a] - ys[b]) for a in towns for b in towns if a != b}
    roads = {k: v for k, v in km.items() if v <= reach}
    dist = {t: math.inf for t in towns}
    dist["D"] = 0.0
    heap = [(0.0, "D")]
    while heap:
        d, t = heapq.heappop(heap)
        if d > dist[t]:
            continue
        for (a, b), w in roads.items():
            if a == t and d + w < dist[b]:
                dist[b] = d + w
                heapq.heappush(heap, (dist[b], b))
    assert close(dist["G"], 5 + 2 * math.sqrt(26) + math.sqrt(13))  # D-B-C-F-G
    assert_label(ex, dist["G"])


def test_seasonal_stock() -> None:
    """Enumerate June's closing stock (it opens January), then a DP over the months with state
    (stock, batches made last month): every quantity is a whole number of batches."""
    ex = Example("seasonal_stock")
    months = ex.set("Months")
    need = dict(zip(months, ex.doc["params"]["demand_hundreds"]["values"], strict=True))  # batches
    reduced = set(ex.set("Reduced"))
    base, hold = ex.scalar("base_cost"), ex.scalar("hold") * 100  # per batch of 100 boxes
    cap = {m: ex.scalar("cap_reduced") if m in reduced else ex.scalar("cap_normal") for m in months}
    cost = {m: base * (1.5 if m in reduced else 1.0) for m in months}
    ramp, safety = ex.scalar("ramp"), ex.scalar("safety") / 100
    best_total = math.inf
    top = sum(need.values())
    for opening in range(math.ceil(safety), top + 1):
        states: dict[tuple[int, int], float] = {(opening, -1): 0.0}  # (stock, last make)
        for k, m in enumerate(months):
            nxt: dict[tuple[int, int], float] = {}
            for (stock, last), c in states.items():
                for make in range(int(cap[m]) + 1):
                    if k > 0 and make - last > ramp:
                        continue
                    end = stock + make - need[m]
                    if end < 0 or end > top:
                        continue
                    v = c + cost[m] * make + hold * end
                    if v < nxt.get((end, make), math.inf):
                        nxt[(end, make)] = v
            states = nxt
        for (end, _), c in states.items():
            if end == opening:  # the plan repeats: June closes with January's opening stock
                best_total = min(best_total, c)
    best_total += ex.scalar("fixed") * len(months)
    assert best_total == 7470
    assert_label(ex, best_total)


def _lp2(c: tuple[Fraction, Fraction], rows: list[tuple[Fraction, Fraction, Fraction]]) -> Fraction:
    """max c·(u, v) over u, v >= 0 and a·u + b·v <= r for (a, b, r) in rows, by enumerating the
    vertices (intersections of two constraint lines, the axes included) in exact arithmetic."""
    lines = [*rows, (Fraction(-1), Fraction(0), Fraction(0)), (Fraction(0), Fraction(-1), Fraction(0))]
    best = None
    for (a1, b1, r1), (a2, b2, r2) in itertools.combinations(lines, 2):
        det = a1 * b2 - a2 * b1
        if det == 0:
            continue
        u, v = (r1 * b2 - r2 * b1) / det, (a1 * r2 - a2 * r1) / det
        if all(a * u + b * v <= r for a, b, r in lines):
            val = c[0] * u + c[1] * v
            best = val if best is None or val > best else best
    assert best is not None  # (0, 0) is always feasible
    return best


def test_haverly_pooling() -> None:
    """For a fixed pool sulfur q the pooling problem is an LP that splits into product X and
    product Y, each in two variables (pool barrels u, crude-C barrels v); the pool's barrels cost
    what its mix of A and B costs, 6(q-1)/2 + 16(3-q)/2 = 21 - 5q per barrel."""
    ex = Example("haverly_pooling")
    s_a, s_b = (F(v) for v in ex.doc["params"]["sulfur"]["values"].values())
    c_a, c_b = (F(v) for v in ex.doc["params"]["cost"]["values"].values())
    s_c, c_c = F(ex.scalar("sulfur_c")), F(ex.scalar("cost_c"))
    cap = {k: F(v) for k, v in ex.doc["params"]["max_sulfur"]["values"].items()}
    price = {k: F(v) for k, v in ex.doc["params"]["price"]["values"].items()}
    sales = {k: F(v) for k, v in ex.doc["params"]["max_sales"]["values"].items()}

    def profit(q: Fraction) -> Fraction:
        share_a = (q - s_b) / (s_a - s_b)  # the pool's mix at sulfur q
        pool_cost = share_a * c_a + (1 - share_a) * c_b
        total = Fraction(0)
        for p in ("X", "Y"):  # quality: q u + s_c v <= cap (u + v); sales: u + v <= max
            total += _lp2((price[p] - pool_cost, price[p] - c_c),
                          [(q - cap[p], s_c - cap[p], Fraction(0)), (Fraction(1), Fraction(1), sales[p])])
        return total

    grid = [s_b + (s_a - s_b) * Fraction(k, 400) for k in range(401)]
    values = [profit(q) for q in grid]
    best = max(values)
    assert best == 400 and grid[values.index(best)] == 1
    assert profit(Fraction(3)) == 100  # the local optimum a local NLP solver stops at
    # between grid points, in closed form (checked on the grid): for q <= 1.5 only Y sells, at
    # 1000 + 200 (5q - 11) / (4 - 2q), decreasing in q (derivative -400 / (4 - 2q)^2); for
    # 1.5 < q <= 2.5 only X can sell, at max(0, 100 (5q - 12)) <= 50; for q > 2.5 X sells
    # 100 (3q - 7) / (2q - 4), increasing in q (derivative 200 / (2q - 4)^2) up to 100 at q = 3
    for q in grid:
        if q <= Fraction(3, 2):
            assert profit(q) == 1000 + 200 * (5 * q - 11) / (4 - 2 * q)
        elif q <= Fraction(5, 2):
            assert profit(q) == max(Fraction(0), 100 * (5 * q - 12))
        else:
            assert profit(q) == 100 * (3 * q - 7) / (2 * q - 4)
    assert_label(ex, float(best))


def test_fire_station() -> None:
    """The smallest enclosing circle passes through two villages (a diameter) or three (a
    circumcircle): try them all in exact arithmetic and keep the smallest containing every village."""
    ex = Example("fire_station")
    xs, ys = ex.doc["params"]["x"]["values"], ex.doc["params"]["y"]["values"]
    pts = [(F(x), F(y)) for x, y in zip(xs, ys, strict=True)]
    circles = []  # (centre x, centre y, squared radius)
    for a, b in itertools.combinations(pts, 2):
        cx, cy = (a[0] + b[0]) / 2, (a[1] + b[1]) / 2
        circles.append((cx, cy, (a[0] - cx) ** 2 + (a[1] - cy) ** 2))
    for a, b, c in itertools.combinations(pts, 3):
        d = 2 * (a[0] * (b[1] - c[1]) + b[0] * (c[1] - a[1]) + c[0] * (a[1] - b[1]))
        if d == 0:
            continue
        sa, sb, sc = (p[0] ** 2 + p[1] ** 2 for p in (a, b, c))
        cx = (sa * (b[1] - c[1]) + sb * (c[1] - a[1]) + sc * (a[1] - b[1])) / d
        cy = (sa * (c[0] - b[0]) + sb * (a[0] - c[0]) + sc * (b[0] - a[0])) / d
        circles.append((cx, cy, (a[0] - cx) ** 2 + (a[1] - cy) ** 2))
    inside = [c for c in circles if all((p[0] - c[0]) ** 2 + (p[1] - c[1]) ** 2 <= c[2] for p in pts)]
    cx, cy, r2 = min(inside, key=lambda c: c[2])
    assert (cx, cy, r2) == (Fraction(397, 106), Fraction(269, 106), Fraction(114985, 5618))
    assert_label(ex, math.sqrt(r2))
