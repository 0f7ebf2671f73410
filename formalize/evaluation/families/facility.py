"""Capacitated facility location, single source. Size = number of customers; facilities =
max(2, ceil(size / 3)).

In the style of Cornuejols, Sridharan and Thizy (1991): facilities and customers are random
points in a 100 x 100 square, demands uniform in 5..35, capacities uniform in 10..160 scaled so
that the total capacity is 1.5 times the total demand, fixed costs uniform in 600..1400 and a
supply cost of round(distance x demand / 10). Measured over sizes 6-15: the LP relaxation is
4-34 % below the optimum except on some 2-site instances (with capacity 3x demand and fixed costs
300..700 it was the optimum in most instances). Every customer is served by exactly one open
facility (single sourcing makes the capacity constraints a bin packing inside the location
choice). The known optimum comes from CP-SAT on a model built here directly with OR-Tools; the
sweep's ground truth solves the formal model with HiGHS. The bound is the LP relaxation of the
formal model (with the strong linking rows serve <= open).
"""

from __future__ import annotations

import math
from typing import Any

from formalize.evaluation.families.base import FamilyInstance, lp_relaxation, make_rng, table

NAME = "facility"
SIZE_MEANING = "number of customers (candidate facilities = max(2, ceil(size / 3)))"
CPSAT_TIME_LIMIT = 120.0
CAPACITY_RATIO = 1.5


def cpsat_optimum(fixed: list[int], capacity: list[int], demand: list[int],
                  cost: list[list[int]], time_limit: float = CPSAT_TIME_LIMIT
                  ) -> tuple[str, float | None]:
    """("optimal" | "infeasible" | "unknown", optimum) from CP-SAT on a directly built model."""
    from ortools.sat.python import cp_model

    m, n = len(fixed), len(demand)
    md = cp_model.CpModel()
    y = [md.NewBoolVar(f"y{i}") for i in range(m)]
    x = [[md.NewBoolVar(f"x{i}_{j}") for j in range(n)] for i in range(m)]
    for j in range(n):
        md.AddExactlyOne(x[i][j] for i in range(m))
    for i in range(m):
        md.Add(sum(demand[j] * x[i][j] for j in range(n)) <= capacity[i] * y[i])
        for j in range(n):
            md.AddImplication(x[i][j], y[i])
    md.Minimize(sum(fixed[i] * y[i] for i in range(m))
                + sum(cost[i][j] * x[i][j] for i in range(m) for j in range(n)))
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = time_limit
    solver.parameters.num_workers = 2
    st = solver.Solve(md)
    if st == cp_model.OPTIMAL:
        return "optimal", float(solver.ObjectiveValue())
    return ("infeasible", None) if st == cp_model.INFEASIBLE else ("unknown", None)


def generate(size: int, seed: int) -> FamilyInstance:
    """A single-source capacitated facility location instance with `size` customers."""
    rng = make_rng(NAME, size, seed)
    n_fac = max(2, math.ceil(size / 3))
    for _attempt in range(50):
        fpos = [(rng.uniform(0, 100), rng.uniform(0, 100)) for _ in range(n_fac)]
        cpos = [(rng.uniform(0, 100), rng.uniform(0, 100)) for _ in range(size)]
        demand = [rng.randint(5, 35) for _ in range(size)]
        raw = [rng.randint(10, 160) for _ in range(n_fac)]
        scale = CAPACITY_RATIO * sum(demand) / sum(raw)
        capacity = [max(1, round(c * scale)) for c in raw]
        fixed = [rng.randint(600, 1400) for _ in range(n_fac)]
        cost = [[round(math.dist(f, c) * d / 10) for c, d in zip(cpos, demand, strict=True)]
                for f in fpos]
        status, known = cpsat_optimum(fixed, capacity, demand, cost)
        if status != "infeasible":
            break
    else:  # pragma: no cover - capacity is 1.5x demand: not met in practice
        raise ValueError(f"{NAME}: no feasible instance in 50 draws for size {size} seed {seed}")
    facs = [f"F{i}" for i in range(1, n_fac + 1)]
    custs = [f"C{j}" for j in range(1, size + 1)]
    text = (
        f"A retailer can open depots at {n_fac} candidate sites ({facs[0]} to {facs[-1]}) to "
        f"supply {size} stores ({custs[0]} to {custs[-1]}). Each store must be supplied by "
        f"exactly one open depot, which delivers the store's whole weekly demand. A depot can "
        f"deliver at most its capacity per week in total, and opening it costs a fixed amount. "
        f"Supplying a store from a depot costs the amount in the supply cost table (per week, "
        f"for the store's whole demand).\n\n"
        f"{table(['site', 'capacity', 'opening cost'], [[f, c, o] for f, c, o in zip(facs, capacity, fixed, strict=True)])}"
        f"\n\nWeekly demand of each store:\n"
        f"{table(['store', 'demand'], list(zip(custs, demand, strict=True)))}\n\n"
        f"Supply cost (rows are depot sites, columns are stores):\n"
        f"{table(['site', *custs], [[f, *row] for f, row in zip(facs, cost, strict=True)])}\n\n"
        f"Which depots should be opened, and which depot should supply each store, so that the "
        f"total cost (opening plus supply) is as small as possible? What is that minimum cost?"
    )
    model: dict[str, Any] = {
        "name": "facility_location",
        "description": f"single-source capacitated facility location, {n_fac} sites x "
                       f"{size} customers",
        "sense": "minimize",
        "sets": {"Sites": facs, "Stores": custs},
        "params": {
            "capacity": {"index": ["Sites"], "values": dict(zip(facs, capacity, strict=True)),
                         "source": "capacity column"},
            "opening_cost": {"index": ["Sites"], "values": dict(zip(facs, fixed, strict=True)),
                             "source": "opening cost column"},
            "demand": {"index": ["Stores"], "values": dict(zip(custs, demand, strict=True)),
                       "source": "weekly demand of each store"},
            "supply_cost": {"index": ["Sites", "Stores"],
                            "values": {f: dict(zip(custs, row, strict=True))
                                       for f, row in zip(facs, cost, strict=True)},
                            "source": "supply cost table"},
        },
        "variables": {
            "open": {"index": ["Sites"], "domain": "binary",
                     "description": "1 if a depot is opened at the site"},
            "supply": {"index": ["Sites", "Stores"], "domain": "binary",
                       "description": "1 if the depot supplies the store"},
        },
        "objective": "sum(opening_cost[f] * open[f] for f in Sites) + "
                     "sum(supply_cost[f, c] * supply[f, c] for f in Sites for c in Stores)",
        "constraints": [
            {"name": "one_depot_per_store", "forall": "c in Stores",
             "expr": "sum(supply[f, c] for f in Sites) == 1",
             "description": "every store is supplied by exactly one depot"},
            {"name": "depot_capacity", "forall": "f in Sites",
             "expr": "sum(demand[c] * supply[f, c] for c in Stores) <= capacity[f] * open[f]",
             "description": "an open depot delivers at most its capacity; a closed one nothing"},
            {"name": "only_open_depots", "forall": "f in Sites, c in Stores",
             "expr": "supply[f, c] <= open[f]",
             "description": "only an open depot supplies a store"},
        ],
    }
    return FamilyInstance(
        NAME, size, seed, text, model, known, {"sites": n_fac, "customers": size},
        optimum_method=("CP-SAT on an independently built OR-Tools model" if known is not None
                        else f"not proven by CP-SAT within {CPSAT_TIME_LIMIT:g} s"),
        bound=lp_relaxation(model), bound_kind="LP relaxation")
