"""Multi-period production planning with inventory (LP). Size ~ products x periods:
products = max(1, isqrt(size // 2)), periods = ceil(size / products)
(5 -> 1 x 5, 10 -> 2 x 5, 20 -> 3 x 7, 40 -> 4 x 10, 80 -> 6 x 14).

One shared machine has a number of hours per period; each product needs a fixed number of
hours per unit. Unit production costs change from period to period, so building ahead and
holding stock can pay; demand must be met on time from production and stock (no backlog).
Capacities are drawn near the hours needed and then raised where the cumulative capacity would
fall short of the cumulative requirement, which makes every instance feasible.
No independent optimum is computed (known_optimum is None).
"""

from __future__ import annotations

import math
from typing import Any

from formalize.evaluation.families.base import FamilyInstance, make_rng, table

NAME = "production"
SIZE_MEANING = (
    "products x periods (products = max(1, isqrt(size // 2)), periods = ceil(size / products))"
)


def dimensions(size: int) -> tuple[int, int]:
    """(products, periods) for a size."""
    k = max(1, math.isqrt(size // 2))
    return k, math.ceil(size / k)


def generate(size: int, seed: int) -> FamilyInstance:
    """A production planning instance of about `size` product-periods."""
    rng = make_rng(NAME, size, seed)
    n_prod, n_per = dimensions(size)
    prods = [f"P{i}" for i in range(1, n_prod + 1)]
    periods = list(range(1, n_per + 1))
    hours = [rng.randint(1, 4) for _ in prods]
    hold = [rng.randint(1, 3) for _ in prods]
    init = [rng.randint(0, 30) for _ in prods]
    demand = [[rng.randint(20, 80) for _ in periods] for _ in prods]
    base = [rng.randint(8, 20) for _ in prods]
    cost = [[b + rng.randint(-4, 6) for _ in periods] for b in base]

    mean_need = sum(h * sum(row) for h, row in zip(hours, demand, strict=True)) / n_per
    capacity = [round(mean_need * rng.uniform(0.8, 1.25)) for _ in periods]
    # raise capacities so that the hours available up to each period cover the hours needed
    # for the demand up to that period beyond the initial stock (sufficient for feasibility:
    # one shared resource, production may be done early)
    cum_cap = 0
    for t in range(n_per):
        cum_cap += capacity[t]
        need = sum(
            h * max(0, sum(row[: t + 1]) - s) for h, row, s in zip(hours, demand, init, strict=True)
        )
        if cum_cap < need:
            capacity[t] += need - cum_cap
            cum_cap = need

    per_cols = [f"t{t}" for t in periods]
    text = (
        f"A factory makes {n_prod} product{'s' if n_prod > 1 else ''} "
        f"({', '.join(prods)}) on one shared machine and plans production for the next "
        f"{n_per} periods (t1 to t{n_per}). Each period's demand must be delivered in that period, "
        f"from that period's production or from stock carried over; late delivery is not "
        f"allowed. Units left in stock at the end of a period cost a holding fee per unit. "
        f"Production quantities may be fractional. Nothing has to be left in stock after the "
        f"last period.\n\n"
        f"Product data (machine hours needed per unit, holding cost in dollars per unit per "
        f"period, units in stock at the start):\n"
        f"{table(['product', 'hours/unit', 'holding', 'start stock'], [[p, h, c, s] for p, h, c, s in zip(prods, hours, hold, init, strict=True)])}\n\n"
        f"Demand in units (rows are products, columns are periods):\n"
        f"{table(['product', *per_cols], [[p, *row] for p, row in zip(prods, demand, strict=True)])}\n\n"
        f"Production cost in dollars per unit (rows are products, columns are periods):\n"
        f"{table(['product', *per_cols], [[p, *row] for p, row in zip(prods, cost, strict=True)])}\n\n"
        f"Machine hours available in each period:\n"
        f"{table(['period', 'hours'], [[c, h] for c, h in zip(per_cols, capacity, strict=True)])}\n\n"
        f"How much of each product should be made in each period to meet all demand at the "
        f"lowest total production and holding cost? What is that minimum cost?"
    )

    def by_period(row: list[int]) -> dict[str, int]:
        return {str(t): v for t, v in zip(periods, row, strict=True)}

    model: dict[str, Any] = {
        "name": "production_planning",
        "description": f"{n_prod} products over {n_per} periods on one shared machine",
        "sense": "minimize",
        "sets": {"Products": prods, "Periods": {"range": [1, n_per]}},
        "params": {
            "hours_per_unit": {
                "index": ["Products"],
                "values": dict(zip(prods, hours, strict=True)),
                "source": "hours/unit column of the product table",
            },
            "holding_cost": {
                "index": ["Products"],
                "values": dict(zip(prods, hold, strict=True)),
                "source": "holding column of the product table",
            },
            "start_stock": {
                "index": ["Products"],
                "values": dict(zip(prods, init, strict=True)),
                "source": "start stock column of the product table",
            },
            "demand": {
                "index": ["Products", "Periods"],
                "values": {p: by_period(row) for p, row in zip(prods, demand, strict=True)},
                "source": "demand table",
            },
            "unit_cost": {
                "index": ["Products", "Periods"],
                "values": {p: by_period(row) for p, row in zip(prods, cost, strict=True)},
                "source": "production cost table",
            },
            "machine_hours": {
                "index": ["Periods"],
                "values": by_period(capacity),
                "source": "machine hours available in each period",
            },
        },
        "variables": {
            "make": {
                "index": ["Products", "Periods"],
                "domain": "real",
                "lb": 0,
                "description": "units produced",
            },
            "stock": {
                "index": ["Products", "Periods"],
                "domain": "real",
                "lb": 0,
                "description": "units in stock at the end of the period",
            },
        },
        "objective": (
            "sum(unit_cost[p, t] * make[p, t] + holding_cost[p] * stock[p, t] "
            "for p in Products for t in Periods)"
        ),
        "constraints": [
            {
                "name": "balance_first",
                "forall": "p in Products, t in Periods if t == 1",
                "expr": "stock[p, t] == start_stock[p] + make[p, t] - demand[p, t]",
                "description": "stock flow in the first period",
            },
            {
                "name": "balance",
                "forall": "p in Products, t in Periods if t >= 2",
                "expr": "stock[p, t] == stock[p, t - 1] + make[p, t] - demand[p, t]",
                "description": "stock flow from one period to the next",
            },
            {
                "name": "machine_capacity",
                "forall": "t in Periods",
                "expr": "sum(hours_per_unit[p] * make[p, t] for p in Products) <= machine_hours[t]",
                "description": "production fits in the machine hours of the period",
            },
        ],
    }
    return FamilyInstance(
        NAME, size, seed, text, model, None, {"products": n_prod, "periods": n_per}
    )
