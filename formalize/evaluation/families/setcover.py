"""Weighted set covering. Size = number of elements to cover; candidate sets = ceil(1.5 size).

Each candidate set covers 3..8 random elements (fewer when size < 8); every element is then
made to lie in at least two sets. A set's cost is 3 x its number of elements plus 0..4, so costs
follow coverage and the cheap-per-element choice is not obvious: measured, the LP relaxation is
0-17 % below the optimum at 10-40 elements (with costs independent of coverage it is usually
the optimum itself, a short certificate). The known optimum comes from CP-SAT on a model built
here directly with OR-Tools (clauses); the sweep's ground truth solves the formal model with
HiGHS, and the tests add brute force on small instances. The bound is the LP relaxation.
"""

from __future__ import annotations

import math
from typing import Any

from formalize.evaluation.families.base import FamilyInstance, lp_relaxation, make_rng, table

NAME = "setcover"
SIZE_MEANING = "number of elements to cover (candidate sets = ceil(1.5 x size))"
CPSAT_TIME_LIMIT = 120.0


def draw(size: int, rng: Any) -> tuple[list[list[int]], list[int]]:
    """(members of each set as 0-based elements, cost of each set)."""
    n_sets = math.ceil(1.5 * size)
    sets = [sorted(rng.sample(range(size), min(size, rng.randint(3, 8)))) for _ in range(n_sets)]
    for e in range(size):
        while sum(e in s for s in sets) < min(2, n_sets):
            k = rng.randrange(n_sets)
            if e not in sets[k]:
                sets[k] = sorted([*sets[k], e])
    costs = [3 * len(s) + rng.randint(0, 4) for s in sets]
    return sets, costs


def cpsat_optimum(size: int, sets: list[list[int]], costs: list[int],
                  time_limit: float = CPSAT_TIME_LIMIT) -> float | None:
    """The optimum from CP-SAT (one clause per element); None if not proven in time."""
    from ortools.sat.python import cp_model

    md = cp_model.CpModel()
    x = [md.NewBoolVar(f"x{k}") for k in range(len(sets))]
    for e in range(size):
        md.AddBoolOr([x[k] for k, s in enumerate(sets) if e in s])
    md.Minimize(sum(c * v for c, v in zip(costs, x, strict=True)))
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = time_limit
    solver.parameters.num_workers = 2
    return float(solver.ObjectiveValue()) if solver.Solve(md) == cp_model.OPTIMAL else None


def generate(size: int, seed: int) -> FamilyInstance:
    """A set covering instance with `size` elements."""
    rng = make_rng(NAME, size, seed)
    sets, costs = draw(size, rng)
    sites = [f"S{k}" for k in range(1, len(sets) + 1)]
    rows = [[s, c, ", ".join(str(e + 1) for e in members)]
            for s, c, members in zip(sites, costs, sets, strict=True)]
    reach = [[s, e + 1] for s, members in zip(sites, sets, strict=True) for e in members]
    text = (
        f"A city wants every one of its {size} districts, numbered 1 to {size}, to be within "
        f"reach of at least one fire station. There are {len(sets)} candidate sites ({sites[0]} "
        f"to {sites[-1]}); a station built at a site reaches the districts listed for it and "
        f"costs the amount shown (in hundred thousand dollars).\n\n"
        f"{table(['site', 'cost', 'districts reached'], rows)}\n\n"
        f"At which sites should stations be built so that every district is reached by at least "
        f"one station and the total cost is as small as possible? What is that minimum cost?"
    )
    model: dict[str, Any] = {
        "name": "set_covering",
        "description": f"weighted set covering: {size} elements, {len(sets)} sets",
        "sense": "minimize",
        "sets": {"Districts": {"range": [1, size]}, "Sites": sites,
                 "Reach": {"elements": reach,
                           "description": "(site, district): a station at the site reaches the "
                                          "district"}},
        "params": {
            "cost": {"index": ["Sites"], "values": dict(zip(sites, costs, strict=True)),
                     "source": "cost column of the site table"},
        },
        "variables": {
            "build": {"index": ["Sites"], "domain": "binary",
                      "description": "1 if a station is built at the site"},
        },
        "objective": "sum(cost[s] * build[s] for s in Sites)",
        "constraints": [
            {"name": "cover", "forall": "d in Districts",
             "expr": "sum(build[s] for (s, e) in Reach if e == d) >= 1",
             "description": "every district is reached by at least one station"},
        ],
    }
    known = cpsat_optimum(size, sets, costs)
    return FamilyInstance(
        NAME, size, seed, text, model, known, {"elements": size, "sets": len(sets)},
        optimum_method=("CP-SAT on an independently built clause model" if known is not None
                        else f"not proven by CP-SAT within {CPSAT_TIME_LIMIT:g} s"),
        bound=lp_relaxation(model), bound_kind="LP relaxation")
