"""Parametric problem families for scale sweeps: each emits a plain-English problem text and the
formal model (docs/model-format.md, data inline) together, so ground truth needs no LLM, and an
optimum derived independently of the solvers where one is affordable (DP, brute force, a
construction, or a second solver on a model built separately), with a relaxation bound.

    >>> from formalize.evaluation.families import FAMILIES, generate
    >>> inst = generate("knapsack", size=20, seed=0)
    >>> inst.text, inst.model, inst.known_optimum, inst.integrality_gap

Families with a short certificate of optimality (a careful model can prove its answer):

| family | class | backend | size means |
|---|---|---|---|
| knapsack | MILP | auto | items |
| transportation | LP | auto | customers; warehouses = max(2, ceil(size / 2)) |
| assignment | MILP | auto | workers = tasks (size^2 binaries) |
| production | LP | auto | products x periods, products = max(1, isqrt(size // 2)) |
| scheduling | MILP | cpsat | jobs on one machine, max lateness (pairwise `or` no-overlap) |
| productmix | LP | highs | products (the simplex method's trace) |

Hard families (the relaxation bound does not prove the optimum; see each module's docstring for the generator, the source
of the known optimum and the bound):

| family | backend | size means | known optimum |
|---|---|---|---|
| knapsack-strong, -inverse, -subsetsum, -spanner | cpsat | items (Pisinger's classes) | DP |
| binpacking | cpsat | bins of the optimum (3 x size items, Falkenauer triplets) | construction |
| gap-d, gap-e | highs | jobs (agents = max(2, size // 5)), Chu-Beasley types | CP-SAT, own model |
| jobshop | cpsat | jobs (machines = min(size, 8)), Taillard-style | CP-SAT intervals |
| tardiness | cpsat | jobs, 1 machine, total weighted tardiness | subset DP |
| tsp | highs | cities (MTZ model) | Held-Karp / CP-SAT circuit |
| setcover | highs | elements (sets = ceil(1.5 size)) | CP-SAT, own model |
| facility | highs | customers (sites = max(2, ceil(size / 3))), single source | CP-SAT, own model |

The scheduling model is an integer model with disjunctions, meant for CP-SAT: solve it with
`backend=FAMILIES["scheduling"].backend` ("cpsat"). Measured on 2 threads, CP-SAT proves it
optimal in ~2 s at 40 jobs and 26-40 s at 80; HiGHS (big-M, what "auto" picks for this class)
does not prove 20 jobs optimal within 120 s.

Every generator is deterministic in (size, seed) and independent across sizes.
"""

from __future__ import annotations

from formalize.evaluation.families import (
    assignment,
    binpacking,
    facility,
    gap,
    hard_knapsack,
    jobshop,
    knapsack,
    production,
    productmix,
    scheduling,
    setcover,
    tardiness,
    transportation,
    tsp,
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
            default_sizes=(5, 10, 20, 40, 80),
            trace="knapsack-dp",
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
        Family(
            name="productmix",
            description="product mix LP (the instance for the simplex method by hand)",
            size_meaning=productmix.SIZE_MEANING,
            problem_class="LP",
            min_size=1,
            generator=productmix.generate,
            backend="highs",
            default_sizes=(2, 3, 4, 6),
            trace="simplex",
        ),
        *(
            Family(
                name=f"knapsack-{cls}",
                description=f"0/1 knapsack, Pisinger's {cls} class",
                size_meaning=hard_knapsack.SIZE_MEANING,
                problem_class="MILP",
                min_size=1,
                generator=hard_knapsack.generator(cls),
                backend="cpsat",
                default_sizes=(5, 10, 20, 50, 100),
                trace="knapsack-dp",
                hard=True,
            )
            for cls in hard_knapsack.CLASSES
        ),
        Family(
            name="binpacking",
            description="bin packing, Falkenauer triplet instances (optimum known by construction)",
            size_meaning=binpacking.SIZE_MEANING,
            problem_class="MILP",
            min_size=1,
            generator=binpacking.generate,
            backend="cpsat",
            default_sizes=(2, 3, 4, 6, 8),
            hard=True,
        ),
        *(
            Family(
                name=f"gap-{kind}",
                description=f"generalized assignment, Chu-Beasley type {kind.upper()}",
                size_meaning=gap.SIZE_MEANING,
                problem_class="MILP",
                min_size=2,
                generator=gap.generator(kind),
                backend="highs",
                default_sizes=(5, 10, 15, 20),
                hard=True,
            )
            for kind in gap.TYPES
        ),
        Family(
            name="jobshop",
            description="job shop, minimize the makespan (Taillard-style random instances)",
            size_meaning=jobshop.SIZE_MEANING,
            problem_class="MILP",
            min_size=2,
            generator=jobshop.generate,
            backend="cpsat",
            default_sizes=(3, 4, 5, 6, 8),
            hard=True,
        ),
        Family(
            name="tardiness",
            description="single machine, minimize the total weighted tardiness",
            size_meaning=tardiness.SIZE_MEANING,
            problem_class="MILP",
            min_size=1,
            generator=tardiness.generate,
            backend="cpsat",
            default_sizes=(5, 8, 10, 15, 20),
            hard=True,
        ),
        Family(
            name="tsp",
            description="random Euclidean travelling salesman (round trip through all towns)",
            size_meaning=tsp.SIZE_MEANING,
            problem_class="MILP",
            min_size=3,
            generator=tsp.generate,
            backend="highs",
            default_sizes=(5, 8, 10, 15, 20),
            trace="nn-2opt",
            hard=True,
        ),
        Family(
            name="setcover",
            description="weighted set covering (fire stations reaching districts)",
            size_meaning=setcover.SIZE_MEANING,
            problem_class="MILP",
            min_size=3,
            generator=setcover.generate,
            backend="highs",
            default_sizes=(5, 10, 15, 20, 30),
            hard=True,
        ),
        Family(
            name="facility",
            description="capacitated facility location, single source",
            size_meaning=facility.SIZE_MEANING,
            problem_class="MILP",
            min_size=2,
            generator=facility.generate,
            backend="highs",
            default_sizes=(5, 10, 15, 20),
            hard=True,
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
