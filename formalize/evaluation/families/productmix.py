"""Product mix (LP), small: the instance for running the simplex method by hand (the "trace"
variant). Size = number of products (= decision variables); resources = max(2, ceil(size / 2)).

Maximize profit (3..15 per unit) subject to resource limits (20..60 units available; each
product uses 0..6 units of each resource and at least 1 of one), fractional amounts allowed. The
right-hand sides are non-negative, so the all-slack basis is a feasible start. An LP has a short
certificate (dual prices): this family is not hard to *prove*; it is here to see whether the
model can execute the simplex method. The known optimum comes from the exact rational simplex
method of :mod:`formalize.evaluation.traces.simplex` (independent of HiGHS); an instance on which
that method would cycle or needs more than 50 pivots is redrawn.
"""

from __future__ import annotations

import math
from typing import Any

from formalize.evaluation.families.base import FamilyInstance, make_rng, table

NAME = "productmix"
SIZE_MEANING = "number of products (resources = max(2, ceil(size / 2))); an LP"


def generate(size: int, seed: int) -> FamilyInstance:
    """A product-mix LP with `size` products."""
    from formalize.evaluation.traces import simplex

    rng = make_rng(NAME, size, seed)
    n_res = max(2, math.ceil(size / 2))
    products = [f"P{j}" for j in range(1, size + 1)]
    resources = [f"R{i}" for i in range(1, n_res + 1)]
    for _attempt in range(50):
        profit = [rng.randint(3, 15) for _ in products]
        usage = [[rng.randint(0, 6) for _ in products] for _ in resources]
        for j in range(size):
            if all(usage[i][j] == 0 for i in range(n_res)):
                usage[rng.randrange(n_res)][j] = rng.randint(1, 6)
        avail = [rng.randint(20, 60) for _ in resources]
        model: dict[str, Any] = {
            "name": "product_mix",
            "description": f"product mix LP, {size} products x {n_res} resources",
            "sense": "maximize",
            "sets": {"Products": products, "Resources": resources},
            "params": {
                "profit": {"index": ["Products"], "values": dict(zip(products, profit, strict=True)),
                           "source": "profit per unit row"},
                "usage": {"index": ["Resources", "Products"],
                          "values": {r: dict(zip(products, row, strict=True))
                                     for r, row in zip(resources, usage, strict=True)},
                          "source": "resource use table"},
                "available": {"index": ["Resources"],
                              "values": dict(zip(resources, avail, strict=True)),
                              "source": "available column"},
            },
            "variables": {
                "make": {"index": ["Products"], "domain": "real", "lb": 0,
                         "description": "units of the product to make (fractions allowed)"},
            },
            "objective": "sum(profit[p] * make[p] for p in Products)",
            "constraints": [
                {"name": "resource_limit", "forall": "r in Resources",
                 "expr": "sum(usage[r, p] * make[p] for p in Products) <= available[r]",
                 "description": "the products use at most what is available of each resource"},
            ],
        }
        try:
            known = simplex.optimum(model)
        except simplex.TraceUnavailable:
            continue
        break
    else:  # pragma: no cover - not met in practice
        raise ValueError(f"{NAME}: no instance without cycling in 50 draws (size {size})")
    text = (
        f"A small factory makes {size} products ({products[0]} to {products[-1]}) from "
        f"{n_res} resources ({resources[0]} to {resources[-1]}). Each unit of a product uses "
        f"the amounts of each resource shown below and earns the profit shown. Only the "
        f"amounts in the 'available' column can be used this week. Any non-negative amount of "
        f"each product may be made, fractions included.\n\n"
        f"Resource use per unit (rows are resources, columns are products), and availability:\n"
        f"{table(['resource', *products, 'available'], [[r, *row, a] for r, row, a in zip(resources, usage, avail, strict=True)])}"
        f"\n\nProfit per unit:\n{table(['product', 'profit'], list(zip(products, profit, strict=True)))}"
        f"\n\nHow much of each product should be made to maximize the total profit? What is the "
        f"maximum profit?"
    )
    return FamilyInstance(NAME, size, seed, text, model, float(known),
                          {"products": size, "resources": n_res},
                          optimum_method="exact rational simplex method (Dantzig, Bland ties)",
                          bound=float(known), bound_kind="LP (the model is its own relaxation)")
