"""Parametric problem families for scale sweeps: each emits a plain-English problem text and the
formal model (docs/model-format.md, data inline) together, so ground truth needs no LLM.

    >>> from formalize.evaluation.families import FAMILIES, generate
    >>> inst = generate("knapsack", size=20, seed=0)
    >>> inst.text, inst.model, inst.known_optimum

| family | class | backend | size means |
|---|---|---|---|
| knapsack | MILP | auto | items |
| transportation | LP | auto | customers; warehouses = max(2, ceil(size / 2)) |
| assignment | MILP | auto | workers = tasks (size^2 binaries) |
| production | LP | auto | products x periods, products = max(1, isqrt(size // 2)) |
| scheduling | MILP | cpsat | jobs on one machine, max lateness (pairwise `or` no-overlap) |

The scheduling model is an integer model with disjunctions, meant for CP-SAT: solve it with
`backend=FAMILIES["scheduling"].backend` ("cpsat"). Measured on 2 threads, CP-SAT proves it
optimal in ~2 s at 40 jobs and 26-40 s at 80; HiGHS (big-M, what "auto" picks for this class)
does not prove 20 jobs optimal within 120 s.

Every generator is deterministic in (size, seed) and independent across sizes.
"""

from __future__ import annotations

from formalize.evaluation.families import (
    assignment,
    knapsack,
    production,
    scheduling,
    transportation,
)
from formalize.evaluation.families.base import Family, FamilyInstance

__all__ = ["FAMILIES", "Family", "FamilyInstance", "generate"]

FAMILIES: dict[str, Family] = {
    f.name: f
    for f in (
        Family(
            name="knapsack",
            description="0/1 knapsack: pack items of given weight and value under a weight limit",
            size_meaning=knapsack.SIZE_MEANING,
            problem_class="MILP",
            min_size=1,
            generator=knapsack.generate,
        ),
        Family(
            name="transportation",
            description="ship from warehouses to customers at least cost, within stock, "
            "meeting orders",
            size_meaning=transportation.SIZE_MEANING,
            problem_class="LP",
            min_size=1,
            generator=transportation.generate,
        ),
        Family(
            name="assignment",
            description="assign n workers to n tasks one-to-one at least total time",
            size_meaning=assignment.SIZE_MEANING,
            problem_class="MILP",
            min_size=1,
            generator=assignment.generate,
        ),
        Family(
            name="production",
            description="multi-period production planning with inventory and a shared "
            "machine capacity",
            size_meaning=production.SIZE_MEANING,
            problem_class="LP",
            min_size=1,
            generator=production.generate,
        ),
        Family(
            name="scheduling",
            description="single machine with release and due times, minimize the maximum lateness",
            size_meaning=scheduling.SIZE_MEANING,
            problem_class="MILP",
            min_size=1,
            generator=scheduling.generate,
            backend="cpsat",
        ),
    )
}


def generate(family: str, size: int, seed: int = 0) -> FamilyInstance:
    """The instance of `family` for (size, seed). Raises ValueError naming the known families."""
    try:
        fam = FAMILIES[family]
    except KeyError:
        raise ValueError(
            f"unknown problem family {family!r}; known families: {', '.join(FAMILIES)}"
        ) from None
    return fam.generate(size, seed)
