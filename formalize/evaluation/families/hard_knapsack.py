"""Pisinger's hard 0/1 knapsack classes. Size = number of items (= binary variables).

D. Pisinger, "Where are the hard knapsack problems?", Computers & Operations Research 32
(2005). With the data range R = 1000 and w_j uniform in 1..R:

- ``strong`` (strongly correlated): p_j = w_j + R/10;
- ``inverse`` (inverse strongly correlated): p_j uniform in 1..R, w_j = p_j + R/10;
- ``subsetsum``: p_j = w_j;
- ``spanner`` (span(2, 10), the hardest spanner class): two strongly correlated items, each
  divided by m + 1 = 11, and every item is one of them times a multiplier uniform in 1..10.

The capacity is h / 101 of the total weight with h uniform in 30..70 (Pisinger's series run h
over 1..100). The greedy (Dantzig) LP bound is not met by any packing and items have nearly
equal ratios, so the order of a greedy says little: hard for branch and bound. Not for every
argument, though: a strongly correlated instance (value = weight + 100) has the bound
capacity + 100 k, with k the most items that fit (the k lightest), and with weights this dense
a packing of k items that fills the capacity exactly is usually a swap or two away from the k
lightest. A stand-in model found and proved that packing by hand in every instance up to 30
items (benchmarks/compare_standin.py, first run). Inverse (the fewest items filling the
capacity) and subset-sum (the capacity) admit the same kind of argument. A larger R (Pisinger
goes up to 10^7) would make the exact fill a deep search. The known optimum comes from dynamic programming over
capacities (:func:`formalize.evaluation.families.knapsack.knapsack_dp`), independent of the
solvers; the bound is the LP relaxation computed directly (Dantzig's bound). For ``subsetsum``
the bound is the capacity, and a packing that fills it exactly exists in most instances with
more than ~20 items: there the objective alone is easy to guess and only the values answer
says whether the model found the packing.
"""

from __future__ import annotations

from typing import Any

from formalize.evaluation.families.base import FamilyInstance, make_rng, table
from formalize.evaluation.families.knapsack import DP_LIMIT, dantzig_bound, knapsack_dp

R = 1000
CLASSES = ("strong", "inverse", "subsetsum", "spanner")
SIZE_MEANING = "number of items (weights and values up to about 1000)"
_TITLES = {
    "strong": "strongly correlated (value = weight + 100)",
    "inverse": "inverse strongly correlated (weight = value + 100)",
    "subsetsum": "subset-sum (value = weight)",
    "spanner": "spanner span(2, 10): multiples of two strongly correlated items",
}


def data(cls: str, size: int, seed: int) -> tuple[list[int], list[int], int]:
    """(weights, values, capacity) of one instance of class `cls`."""
    if cls not in CLASSES:
        raise ValueError(f"unknown knapsack class {cls!r}; known: {', '.join(CLASSES)}")
    rng = make_rng(f"knapsack-{cls}", size, seed)
    if cls == "strong":
        weights = [rng.randint(1, R) for _ in range(size)]
        values = [w + R // 10 for w in weights]
    elif cls == "inverse":
        values = [rng.randint(1, R) for _ in range(size)]
        weights = [p + R // 10 for p in values]
    elif cls == "subsetsum":
        weights = [rng.randint(1, R) for _ in range(size)]
        values = list(weights)
    else:  # spanner span(2, 10) over strongly correlated items
        m = 10
        spanners = []
        for _ in range(2):
            w = rng.randint(1, R)
            spanners.append((max(1, w // (m + 1)), max(1, (w + R // 10) // (m + 1))))
        weights, values = [], []
        for _ in range(size):
            w, p = spanners[rng.randrange(2)]
            a = rng.randint(1, m)
            weights.append(a * w)
            values.append(a * p)
    h = rng.randint(30, 70)
    capacity = max(1, h * sum(weights) // 101)
    return weights, values, capacity


def generate_class(cls: str, size: int, seed: int) -> FamilyInstance:
    """An instance of Pisinger's class `cls` with `size` items."""
    weights, values, capacity = data(cls, size, seed)
    items = list(range(1, size + 1))
    rows = [[i, w, v] for i, w, v in zip(items, weights, values, strict=True)]
    text = (
        f"A freight company is loading a truck and can choose among {size} crates, numbered 1 "
        f"to {size}. Each crate has a weight in kilograms and a value in dollars. The truck can "
        f"carry at most {capacity} kilograms in total. Each crate is either loaded whole or left "
        f"behind; no crate can be loaded more than once or split.\n\n"
        f"{table(['crate', 'weight (kg)', 'value ($)'], rows)}\n\n"
        f"Which crates should be loaded to make the total value as large as possible without "
        f"exceeding the weight limit? What is that maximum total value?"
    )
    model: dict[str, Any] = {
        "name": "truck_loading",
        "description": f"0/1 knapsack with {size} items, Pisinger class {_TITLES[cls]}",
        "sense": "maximize",
        "sets": {"Crates": {"range": [1, size]}},
        "params": {
            "weight": {"index": ["Crates"], "values": weights,
                       "source": "weight (kg) column of the crate table"},
            "value": {"index": ["Crates"], "values": values,
                      "source": "value ($) column of the crate table"},
            "capacity": {"value": capacity,
                         "source": f"can carry at most {capacity} kilograms in total"},
        },
        "variables": {
            "load": {"index": ["Crates"], "domain": "binary",
                     "description": "1 if the crate is loaded"},
        },
        "objective": "sum(value[i] * load[i] for i in Crates)",
        "constraints": [
            {"name": "weight_limit", "expr": "sum(weight[i] * load[i] for i in Crates) <= capacity",
             "description": "the loaded weight is within the truck's limit"},
        ],
    }
    known = (float(knapsack_dp(weights, values, capacity)) if size * capacity <= DP_LIMIT
             else None)
    return FamilyInstance(
        f"knapsack-{cls}", size, seed, text, model, known, {"items": size},
        optimum_method="dynamic programming over capacities" if known is not None else "",
        bound=float(dantzig_bound(weights, values, capacity)),
        bound_kind="LP relaxation (Dantzig bound)")


def generator(cls: str) -> Any:
    """The (size, seed) generator of one class."""
    if cls not in CLASSES:
        raise ValueError(f"unknown knapsack class {cls!r}; known: {', '.join(CLASSES)}")

    def gen(size: int, seed: int) -> FamilyInstance:
        return generate_class(cls, size, seed)

    gen.__doc__ = f"A knapsack instance of Pisinger's {_TITLES[cls]} class."
    return gen
