"""Random Euclidean travelling salesman (symmetric). Size = number of cities.

Cities are random integer points in a 100 x 100 square; distances are Euclidean, rounded to the
nearest integer (TSPLIB's EUC_2D), given to the solver as a full matrix. The formal model is
the Miller-Tucker-Zemlin formulation: a binary per ordered pair, one arc out of and one into
every city, and a position per city other than city 1 that grows along the tour (no subtours).
The known optimum comes from the Held-Karp dynamic programme (exact, up to HELD_KARP_MAX
cities) and beyond that from CP-SAT's circuit constraint on a model built here directly with
OR-Tools. The bound is the LP relaxation of the formal model (MTZ's is weak: a long way from the
optimum, nothing short certifies it).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from formalize.evaluation.families.base import FamilyInstance, lp_relaxation, make_rng, table

NAME = "tsp"
SIZE_MEANING = "number of cities (random points in a 100 x 100 square, rounded distances)"
HELD_KARP_MAX = 16
CPSAT_TIME_LIMIT = 120.0


def distances(points: list[tuple[int, int]]) -> list[list[int]]:
    """Rounded Euclidean distance matrix (TSPLIB EUC_2D: nearest integer)."""
    return [[int(math.floor(math.dist(a, b) + 0.5)) for b in points] for a in points]


def tour_length(tour: list[int], dist: list[list[int]]) -> int:
    """Length of the closed tour (0-based city indices, each once)."""
    return sum(dist[tour[k]][tour[(k + 1) % len(tour)]] for k in range(len(tour)))


def held_karp(dist: list[list[int]]) -> int:
    """The optimal tour length by the Held-Karp dynamic programme over subsets (exact)."""
    n = len(dist)
    if n <= 1:
        return 0
    if n > 20:
        raise ValueError(f"held_karp: {n} cities is too many (2^{n - 1} states); at most 20")
    m = n - 1  # cities 1..n-1 as bits 0..m-1; city 0 is the start
    d = np.asarray(dist, dtype=np.int64)
    inf = np.iinfo(np.int64).max // 4
    states = np.arange(1 << m, dtype=np.int64)
    count = sum((states >> j) & 1 for j in range(m))
    cost = np.full((1 << m, m), inf, dtype=np.int64)  # cost[S, j]: 0 -> ... -> j covering S
    for j in range(m):
        cost[1 << j, j] = d[0, j + 1]
    for k in range(2, m + 1):
        layer = states[count == k]
        for j in range(m):
            s = layer[(layer >> j) & 1 == 1]
            prev = cost[s ^ (1 << j)]  # rows: subsets without j; columns: last city k
            cost[s, j] = np.min(prev + d[1:, j + 1][None, :], axis=1)
    return int(np.min(cost[-1] + d[1:, 0]))


def cpsat_optimum(dist: list[list[int]], time_limit: float = CPSAT_TIME_LIMIT) -> float | None:
    """The optimal tour length from CP-SAT's AddCircuit; None if not proven in time."""
    from ortools.sat.python import cp_model

    n = len(dist)
    md = cp_model.CpModel()
    arcs, terms = [], []
    for i in range(n):
        for j in range(n):
            if i != j:
                lit = md.NewBoolVar(f"x{i}_{j}")
                arcs.append((i, j, lit))
                terms.append(dist[i][j] * lit)
    md.AddCircuit(arcs)
    md.Minimize(sum(terms))
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = time_limit
    solver.parameters.num_workers = 2
    return float(solver.ObjectiveValue()) if solver.Solve(md) == cp_model.OPTIMAL else None


def generate(size: int, seed: int) -> FamilyInstance:
    """A random Euclidean TSP instance with `size` cities."""
    rng = make_rng(NAME, size, seed)
    points = []
    while len(points) < size:  # distinct points
        p = (rng.randint(0, 100), rng.randint(0, 100))
        if p not in points:
            points.append(p)
    dist = distances(points)
    cities = list(range(1, size + 1))
    matrix = [[i, *(dist[i - 1][j - 1] if i != j else "-" for j in cities)] for i in cities]
    text = (
        f"A courier must visit {size} towns, numbered 1 to {size}, starting and ending in town "
        f"1 and visiting every other town exactly once. The map positions of the towns (in "
        f"kilometres) are for orientation; the road distances to use are in the table (rounded "
        f"straight-line distances, the same in both directions).\n\n"
        f"{table(['town', 'x', 'y'], [[c, x, y] for c, (x, y) in zip(cities, points, strict=True)])}"
        f"\n\nDistances in kilometres (rows: from, columns: to):\n"
        f"{table(['from/to', *cities], matrix)}\n\n"
        f"In which order should the courier visit the towns to make the round trip as short as "
        f"possible? What is the length of the shortest round trip?"
    )
    arcs = [[i, j] for i in cities for j in cities if i != j]
    model: dict[str, Any] = {
        "name": "travelling_salesman",
        "description": f"symmetric Euclidean TSP with {size} cities (MTZ formulation)",
        "sense": "minimize",
        "sets": {"Towns": {"range": [1, size]}, "Others": {"range": [2, size]},
                 "Roads": arcs},
        "params": {
            "dist": {"index": ["Roads"], "values": [[i, j, dist[i - 1][j - 1]] for i, j in arcs],
                     "source": "distance table"},
        },
        "variables": {
            "travel": {"index": ["Roads"], "domain": "binary",
                       "description": "1 if the trip goes directly from the first town to the "
                                      "second"},
            "position": {"index": ["Others"], "domain": "real", "lb": 1,
                         "ub": "len(Towns) - 1",
                         "description": "the town's place in the trip after town 1 (the first "
                                        "town visited after town 1 has position 1, the next 2, "
                                        "...)"},
        },
        "objective": "sum(dist[i, j] * travel[i, j] for (i, j) in Roads)",
        "constraints": [
            {"name": "leave_once", "forall": "i in Towns",
             "expr": "sum(travel[i, j] for j in Towns if j != i) == 1",
             "description": "the trip leaves every town once"},
            {"name": "enter_once", "forall": "j in Towns",
             "expr": "sum(travel[i, j] for i in Towns if i != j) == 1",
             "description": "the trip enters every town once"},
            {"name": "no_subtour", "forall": "i in Others, j in Others if i != j",
             "expr": "position[i] - position[j] + (len(Towns) - 1) * travel[i, j] "
                     "<= len(Towns) - 2",
             "description": "along the trip positions grow (Miller-Tucker-Zemlin)"},
        ],
    }
    if size <= HELD_KARP_MAX:
        known: float | None = float(held_karp(dist))
        method = "Held-Karp dynamic programme"
    else:
        known = cpsat_optimum(dist)
        method = ("CP-SAT circuit constraint on an independently built model" if known is not None
                  else f"not proven by CP-SAT within {CPSAT_TIME_LIMIT:g} s")
    return FamilyInstance(NAME, size, seed, text, model, known, {"cities": size},
                          optimum_method=method, bound=lp_relaxation(model),
                          bound_kind="LP relaxation (MTZ)")
