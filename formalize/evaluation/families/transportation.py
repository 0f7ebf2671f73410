"""Transportation (LP). Size = n, the number of customers; there are max(2, ceil(n / 2))
warehouses, so the model has about n^2 / 2 shipment variables (n = 80: 40 x 80 = 3200).

Warehouses and customers are random points on a 100 x 100 map; the cost per unit is
1 + round(distance / 5). Demands are 20..100; the total supply exceeds the total demand by
10-30 %. The known optimum comes from a min-cost flow (successive shortest paths), exact for
integer data.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Sequence
from typing import Any

from formalize.evaluation.families.base import FamilyInstance, make_rng, table

NAME = "transportation"
SIZE_MEANING = "number of customers (warehouses = max(2, ceil(size / 2)))"


def min_cost_transport(
    supply: Sequence[int], demand: Sequence[int], cost: Sequence[Sequence[int]]
) -> float:
    """Least cost of meeting every demand from the supplies (uncapacitated arcs), by successive
    shortest paths with Dijkstra and node potentials. Raises ValueError if supply < demand."""
    m, n = len(supply), len(demand)
    if sum(supply) < sum(demand):
        raise ValueError("min_cost_transport: total supply is below total demand")
    src, snk = m + n, m + n + 1
    # edge lists: to, capacity, cost, index of the reverse edge
    graph: list[list[list[int]]] = [[] for _ in range(m + n + 2)]

    def add(a: int, b: int, cap: int, c: int) -> None:
        graph[a].append([b, cap, c, len(graph[b])])
        graph[b].append([a, 0, -c, len(graph[a]) - 1])

    big = sum(demand)
    for i in range(m):
        add(src, i, supply[i], 0)
        for j in range(n):
            add(i, m + j, big, cost[i][j])
    for j in range(n):
        add(m + j, snk, demand[j], 0)

    potential = [0] * (m + n + 2)
    total, need = 0, sum(demand)
    while need > 0:
        dist = [math.inf] * (m + n + 2)
        prev: list[tuple[int, int] | None] = [None] * (m + n + 2)
        dist[src] = 0
        heap = [(0, src)]
        while heap:
            d, a = heapq.heappop(heap)
            if d > dist[a]:
                continue
            for k, (b, cap, c, _) in enumerate(graph[a]):
                nd = d + c + potential[a] - potential[b]
                if cap > 0 and nd < dist[b]:
                    dist[b], prev[b] = nd, (a, k)
                    heapq.heappush(heap, (nd, b))
        if dist[snk] == math.inf:  # pragma: no cover - excluded by the supply check above
            raise ValueError("min_cost_transport: demand cannot be met")
        for v in range(m + n + 2):
            if dist[v] < math.inf:
                potential[v] += dist[v]
        push, v = need, snk
        while v != src:
            a, k = prev[v]  # type: ignore[misc]
            push = min(push, graph[a][k][1])
            v = a
        v = snk
        while v != src:
            a, k = prev[v]  # type: ignore[misc]
            edge = graph[a][k]
            edge[1] -= push
            graph[v][edge[3]][1] += push
            total += push * edge[2]
            v = a
        need -= push
    return float(total)


def generate(size: int, seed: int) -> FamilyInstance:
    """A transportation instance with `size` customers."""
    rng = make_rng(NAME, size, seed)
    n_wh = max(2, math.ceil(size / 2))
    whs = [f"W{i}" for i in range(1, n_wh + 1)]
    custs = [f"C{j}" for j in range(1, size + 1)]
    wpos = [(rng.uniform(0, 100), rng.uniform(0, 100)) for _ in whs]
    cpos = [(rng.uniform(0, 100), rng.uniform(0, 100)) for _ in custs]
    cost = [[1 + round(math.dist(a, b) / 5) for b in cpos] for a in wpos]
    demand = [rng.randint(20, 100) for _ in custs]
    total_supply = math.ceil(sum(demand) * rng.uniform(1.1, 1.3))
    shares = [rng.uniform(0.5, 1.5) for _ in whs]
    supply = [max(1, int(total_supply * s / sum(shares))) for s in shares]
    supply[-1] += max(0, total_supply - sum(supply))

    text = (
        f"A distributor has {n_wh} warehouses ({whs[0]} to {whs[-1]}) and must deliver goods to "
        f"{size} customers ({custs[0]} to {custs[-1]}). Each warehouse can ship at most its "
        f"available stock, and each customer must receive at least the number of units it "
        f"ordered. Any warehouse can ship to any customer, and shipments may be any non-negative "
        f"amount (fractions are allowed).\n\n"
        f"Stock available at each warehouse (units):\n"
        f"{table(['warehouse', 'stock'], list(zip(whs, supply, strict=True)))}\n\n"
        f"Units ordered by each customer:\n"
        f"{table(['customer', 'ordered'], list(zip(custs, demand, strict=True)))}\n\n"
        f"Shipping cost in dollars per unit (rows are warehouses, columns are customers):\n"
        f"{table(['from/to', *custs], [[w, *row] for w, row in zip(whs, cost, strict=True)])}\n\n"
        f"How many units should each warehouse ship to each customer so that all orders are "
        f"met at the lowest total shipping cost? What is that minimum cost?"
    )
    model: dict[str, Any] = {
        "name": "transportation",
        "description": f"ship from {n_wh} warehouses to {size} customers at least cost",
        "sense": "minimize",
        "sets": {"Warehouses": whs, "Customers": custs},
        "params": {
            "stock": {
                "index": ["Warehouses"],
                "values": dict(zip(whs, supply, strict=True)),
                "source": "stock available at each warehouse",
            },
            "ordered": {
                "index": ["Customers"],
                "values": dict(zip(custs, demand, strict=True)),
                "source": "units ordered by each customer",
            },
            "unit_cost": {
                "index": ["Warehouses", "Customers"],
                "values": {
                    w: dict(zip(custs, row, strict=True)) for w, row in zip(whs, cost, strict=True)
                },
                "source": "shipping cost table, dollars per unit",
            },
        },
        "variables": {
            "ship": {
                "index": ["Warehouses", "Customers"],
                "domain": "real",
                "lb": 0,
                "description": "units shipped from the warehouse to the customer",
            }
        },
        "objective": "sum(unit_cost[w, c] * ship[w, c] for w in Warehouses for c in Customers)",
        "constraints": [
            {
                "name": "stock_limit",
                "forall": "w in Warehouses",
                "expr": "sum(ship[w, c] for c in Customers) <= stock[w]",
                "description": "a warehouse ships no more than its stock",
            },
            {
                "name": "meet_order",
                "forall": "c in Customers",
                "expr": "sum(ship[w, c] for w in Warehouses) >= ordered[c]",
                "description": "every customer receives at least what it ordered",
            },
        ],
    }
    known = min_cost_transport(supply, demand, cost)
    return FamilyInstance(
        NAME, size, seed, text, model, known, {"warehouses": n_wh, "customers": size},
        optimum_method="min-cost flow (successive shortest paths)", bound=known,
        bound_kind="LP (the model is its own relaxation)",
    )
