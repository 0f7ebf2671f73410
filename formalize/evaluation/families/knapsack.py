"""0/1 knapsack. Size = number of items (= number of binary variables).

Weights 10..60, values weakly correlated with weights (weight - 8 .. weight + 15, at least 1), so
greedy-by-ratio is usually not optimal; the capacity is half the total weight.
"""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction
from typing import Any

import numpy as np

from formalize.evaluation.families.base import FamilyInstance, make_rng, table

NAME = "knapsack"
SIZE_MEANING = "number of items"
DP_LIMIT = 50_000_000  # items x capacity cells for the exact dynamic programme


def knapsack_dp(weights: Sequence[int], values: Sequence[int], capacity: int) -> int:
    """The optimal value of a 0/1 knapsack by dynamic programming over capacities (exact)."""
    if capacity < 0:
        raise ValueError(f"knapsack_dp: capacity must be >= 0, got {capacity}")
    best = np.zeros(capacity + 1, dtype=np.int64)
    for w, v in zip(weights, values, strict=True):
        if w < 0:
            raise ValueError(f"knapsack_dp: weights must be >= 0, got {w}")
        if w <= capacity:
            # the right-hand side is built from the old row before the assignment: 0/1, not unbounded
            best[w:] = np.maximum(best[w:], best[: capacity + 1 - w] + v)
    return int(best[capacity])


def dantzig_bound(weights: Sequence[int], values: Sequence[int], capacity: int) -> Fraction:
    """The LP relaxation's optimum of a 0/1 knapsack (items by value/weight, the first item that
    does not fit taken fractionally), exact as a fraction."""
    order = sorted(range(len(weights)), key=lambda j: Fraction(values[j], weights[j]),
                   reverse=True)
    room, total = Fraction(capacity), Fraction(0)
    for j in order:
        if weights[j] <= room:
            room -= weights[j]
            total += values[j]
        else:
            total += values[j] * room / weights[j]
            break
    return total


def generate(size: int, seed: int) -> FamilyInstance:
    """A knapsack instance with `size` items."""
    rng = make_rng(NAME, size, seed)
    items = list(range(1, size + 1))
    weights = [rng.randint(10, 60) for _ in items]
    values = [max(1, w + rng.randint(-8, 15)) for w in weights]
    capacity = sum(weights) // 2

    rows = [[i, w, v] for i, w, v in zip(items, weights, values, strict=True)]
    text = (
        f"A hiker is packing for a trip and can choose among {size} items, numbered 1 to {size}. "
        f"Each item has a weight in kilograms and a value (how useful it is on the trip). "
        f"The backpack can carry at most {capacity} kilograms in total. Each item is either "
        f"packed whole or left behind; no item can be taken more than once or split.\n\n"
        f"{table(['item', 'weight (kg)', 'value'], rows)}\n\n"
        f"Which items should the hiker pack to make the total value as large as possible "
        f"without exceeding the weight limit? What is that maximum total value?"
    )
    model: dict[str, Any] = {
        "name": "knapsack",
        "description": f"0/1 knapsack with {size} items",
        "sense": "maximize",
        "sets": {"Items": {"range": [1, size]}},
        "params": {
            "weight": {
                "index": ["Items"],
                "values": weights,
                "source": "weight (kg) column of the item table",
            },
            "value": {
                "index": ["Items"],
                "values": values,
                "source": "value column of the item table",
            },
            "capacity": {
                "value": capacity,
                "source": f"can carry at most {capacity} kilograms in total",
            },
        },
        "variables": {
            "take": {
                "index": ["Items"],
                "domain": "binary",
                "description": "1 if the item is packed",
            }
        },
        "objective": "sum(value[i] * take[i] for i in Items)",
        "constraints": [
            {
                "name": "weight_limit",
                "expr": "sum(weight[i] * take[i] for i in Items) <= capacity",
                "description": "the packed weight fits in the backpack",
            }
        ],
    }
    known = float(knapsack_dp(weights, values, capacity)) if size * capacity <= DP_LIMIT else None
    return FamilyInstance(NAME, size, seed, text, model, known, {"items": size},
                          optimum_method="dynamic programming over capacities" if known else "",
                          bound=float(dantzig_bound(weights, values, capacity)),
                          bound_kind="LP relaxation (Dantzig bound)")
