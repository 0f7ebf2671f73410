"""Bin packing with Falkenauer's triplet instances. Size = k, the number of bins of the optimum;
there are 3k items.

E. Falkenauer, "A hybrid grouping genetic algorithm for bin packing", J. Heuristics 2 (1996):
bins hold 1000; each triplet is an item uniform in 380..490, a second uniform in 250..(rest / 2)
and a third that fills the bin exactly. Items are shuffled. Every item is larger than a quarter
and smaller than half a bin, so a bin holds at most three items unless they are all 250, and the
total size is exactly k bins: the optimum is k **by construction** (the total-size bound proves
it and the triplets meet it). That bound is also the LP relaxation, so the integrality gap is 0
and the objective alone is easy to state; finding a packing into k bins (a 3-partition, strongly
NP-hard) is what the values answer tests.

The model offers ceil(3k / 2) bins (any two items fit in one bin, so that many always suffice),
with no symmetry breaking (it would add a rule the text does not state). Solve with CP-SAT.
"""

from __future__ import annotations

import math
from typing import Any

from formalize.evaluation.families.base import FamilyInstance, make_rng, table

NAME = "binpacking"
SIZE_MEANING = "bins in the optimum (Falkenauer triplets: 3 x size items of 250-490, bins of 1000)"
CAPACITY = 1000


def triplets(k: int, rng: Any) -> list[int]:
    """3k item sizes in Falkenauer triplets (each triplet sums to CAPACITY), shuffled."""
    items: list[int] = []
    for _ in range(k):
        first = rng.randint(380, 490)
        rest = CAPACITY - first
        second = rng.randint(250, rest // 2)
        items += [first, second, rest - second]
    rng.shuffle(items)
    return items


def generate(size: int, seed: int) -> FamilyInstance:
    """A bin packing instance whose optimum is `size` bins."""
    rng = make_rng(NAME, size, seed)
    sizes = triplets(size, rng)
    n = len(sizes)
    n_bins = math.ceil(n / 2)
    items = list(range(1, n + 1))
    text = (
        f"A warehouse must pack {n} parcels, numbered 1 to {n}, into shipping containers. Every "
        f"container holds at most {CAPACITY} kilograms, and {n_bins} containers (numbered 1 to "
        f"{n_bins}) are available. Each parcel goes into exactly one container; parcels cannot "
        f"be split.\n\n"
        f"{table(['parcel', 'weight (kg)'], list(zip(items, sizes, strict=True)))}\n\n"
        f"Assign the parcels to containers so that as few containers as possible are used. "
        f"Which parcels go into which container, and what is the smallest number of containers?"
    )
    model: dict[str, Any] = {
        "name": "bin_packing",
        "description": f"bin packing of {n} items (Falkenauer triplets), optimum {size} bins",
        "sense": "minimize",
        "sets": {"Parcels": {"range": [1, n]}, "Containers": {"range": [1, n_bins]}},
        "params": {
            "weight": {"index": ["Parcels"], "values": sizes,
                       "source": "weight (kg) column of the parcel table"},
            "capacity": {"value": CAPACITY, "source": f"holds at most {CAPACITY} kilograms"},
        },
        "variables": {
            "put": {"index": ["Parcels", "Containers"], "domain": "binary",
                    "description": "1 if the parcel goes into the container"},
            "used": {"index": ["Containers"], "domain": "binary",
                     "description": "1 if the container is used"},
        },
        "objective": "sum(used[b] for b in Containers)",
        "constraints": [
            {"name": "each_parcel_once", "forall": "i in Parcels",
             "expr": "sum(put[i, b] for b in Containers) == 1",
             "description": "every parcel goes into exactly one container"},
            {"name": "container_capacity", "forall": "b in Containers",
             "expr": "sum(weight[i] * put[i, b] for i in Parcels) <= capacity * used[b]",
             "description": "a used container holds at most its capacity; an unused one nothing"},
        ],
    }
    return FamilyInstance(
        NAME, size, seed, text, model, float(size), {"parcels": n, "containers": n_bins},
        optimum_method="by construction (triplets fill every bin exactly)",
        bound=sum(sizes) / CAPACITY, bound_kind="LP relaxation (total size / capacity)")
