"""Generalized assignment, Chu-Beasley types D and E (minimize cost). Size = number of jobs;
agents = max(2, size // 5).

P. C. Chu and J. E. Beasley, "A genetic algorithm for the generalised assignment problem",
Computers & Operations Research 24 (1997); the hard types as in Laguna et al. and Yagiura et al.:

- type D: resource a_ij uniform in 1..100, cost c_ij = 111 - a_ij + e with e uniform in -10..10
  (cheap assignments use much capacity), capacity b_i = floor(0.8 * sum_j a_ij / m);
- type E: a_ij = floor(1 - 10 ln u) with u uniform in (0, 1], c_ij = round(1000 / a_ij - 10 u')
  (at least 1), b_i = max(floor(0.8 * sum_j a_ij / m), max_j a_ij).

Each job goes to exactly one agent within the agents' capacities. The known optimum comes from
CP-SAT on a model built here directly with OR-Tools (not through `solvers`' lowering); the
ground truth of a sweep solves the family's formal model with HiGHS, so two solvers on two
formulations must agree (and the tests add brute force on small instances). An instance the
direct model proves infeasible is redrawn (at most 50 times). The bound is the LP relaxation of
the formal model.
"""

from __future__ import annotations

import math
from typing import Any

from formalize.evaluation.families.base import FamilyInstance, lp_relaxation, make_rng, table

SIZE_MEANING = "number of jobs (agents = max(2, size // 5))"
TYPES = ("d", "e")
CPSAT_TIME_LIMIT = 120.0


def agents_for(size: int) -> int:
    """The number of agents for `size` jobs."""
    return max(2, size // 5)


def draw(kind: str, n_jobs: int, n_agents: int, rng: Any) -> tuple[list[list[int]], list[list[int]],
                                                                  list[int]]:
    """(cost[agent][job], resource[agent][job], capacity[agent]) of Chu-Beasley type D or E."""
    if kind == "d":
        a = [[rng.randint(1, 100) for _ in range(n_jobs)] for _ in range(n_agents)]
        c = [[111 - x + rng.randint(-10, 10) for x in row] for row in a]
        b = [int(0.8 * sum(row) / n_agents) for row in a]
    elif kind == "e":
        a = [[int(1 - 10 * math.log(1.0 - rng.random())) for _ in range(n_jobs)]
             for _ in range(n_agents)]
        c = [[max(1, round(1000 / x - 10 * rng.random())) for x in row] for row in a]
        b = [max(int(0.8 * sum(row) / n_agents), max(row)) for row in a]
    else:
        raise ValueError(f"unknown Chu-Beasley type {kind!r}; known: d, e")
    return c, a, b


def cpsat_optimum(cost: list[list[int]], resource: list[list[int]], capacity: list[int],
                  time_limit: float = CPSAT_TIME_LIMIT) -> tuple[str, float | None]:
    """("optimal" | "infeasible" | "unknown", optimum) from CP-SAT on a directly built model."""
    from ortools.sat.python import cp_model

    m, n = len(cost), len(cost[0])
    md = cp_model.CpModel()
    x = [[md.NewBoolVar(f"x{i}_{j}") for j in range(n)] for i in range(m)]
    for j in range(n):
        md.AddExactlyOne(x[i][j] for i in range(m))
    for i in range(m):
        md.Add(sum(resource[i][j] * x[i][j] for j in range(n)) <= capacity[i])
    md.Minimize(sum(cost[i][j] * x[i][j] for i in range(m) for j in range(n)))
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = time_limit
    solver.parameters.num_workers = 2
    st = solver.Solve(md)
    if st == cp_model.OPTIMAL:
        return "optimal", float(solver.ObjectiveValue())
    if st == cp_model.INFEASIBLE:
        return "infeasible", None
    return "unknown", None


def generate_type(kind: str, size: int, seed: int) -> FamilyInstance:
    """A generalized assignment instance of type `kind` ("d" or "e") with `size` jobs."""
    name = f"gap-{kind}"
    rng = make_rng(name, size, seed)
    n_agents = agents_for(size)
    for _attempt in range(50):
        cost, res, cap = draw(kind, size, n_agents, rng)
        status, known = cpsat_optimum(cost, res, cap)
        if status != "infeasible":
            break
    else:  # pragma: no cover - not met for the documented sizes
        raise ValueError(f"{name}: no feasible instance in 50 draws for size {size} seed {seed}")
    agents = [f"A{i}" for i in range(1, n_agents + 1)]
    jobs = [f"J{j}" for j in range(1, size + 1)]
    text = (
        f"A computing centre has {n_agents} servers ({agents[0]} to {agents[-1]}) and {size} "
        f"batch jobs ({jobs[0]} to {jobs[-1]}). Every job must run on exactly one server. A job "
        f"uses a number of memory units that depends on the server it runs on, and the jobs on "
        f"one server together may use at most that server's memory. Running a job on a server "
        f"costs the amount in the cost table.\n\n"
        f"Memory of each server (units):\n"
        f"{table(['server', 'memory'], list(zip(agents, cap, strict=True)))}\n\n"
        f"Memory units each job uses on each server (rows are servers, columns are jobs):\n"
        f"{table(['server', *jobs], [[a, *row] for a, row in zip(agents, res, strict=True)])}\n\n"
        f"Cost of running each job on each server (rows are servers, columns are jobs):\n"
        f"{table(['server', *jobs], [[a, *row] for a, row in zip(agents, cost, strict=True)])}"
        f"\n\nAssign every job to one server so that no server's memory is exceeded and the total "
        f"cost is as small as possible. Which job runs where, and what is the minimum total cost?"
    )
    model: dict[str, Any] = {
        "name": "generalized_assignment",
        "description": f"generalized assignment (Chu-Beasley type {kind.upper()}), "
                       f"{n_agents} agents x {size} jobs",
        "sense": "minimize",
        "sets": {"Servers": agents, "Jobs": jobs},
        "params": {
            "memory": {"index": ["Servers"], "values": dict(zip(agents, cap, strict=True)),
                       "source": "memory of each server"},
            "uses": {"index": ["Servers", "Jobs"],
                     "values": {a: dict(zip(jobs, row, strict=True))
                                for a, row in zip(agents, res, strict=True)},
                     "source": "memory units table"},
            "cost": {"index": ["Servers", "Jobs"],
                     "values": {a: dict(zip(jobs, row, strict=True))
                                for a, row in zip(agents, cost, strict=True)},
                     "source": "cost table"},
        },
        "variables": {
            "run": {"index": ["Servers", "Jobs"], "domain": "binary",
                    "description": "1 if the job runs on the server"},
        },
        "objective": "sum(cost[s, j] * run[s, j] for s in Servers for j in Jobs)",
        "constraints": [
            {"name": "one_server_per_job", "forall": "j in Jobs",
             "expr": "sum(run[s, j] for s in Servers) == 1",
             "description": "every job runs on exactly one server"},
            {"name": "memory_limit", "forall": "s in Servers",
             "expr": "sum(uses[s, j] * run[s, j] for j in Jobs) <= memory[s]",
             "description": "the jobs on a server fit in its memory"},
        ],
    }
    return FamilyInstance(
        name, size, seed, text, model, known, {"agents": n_agents, "jobs": size},
        optimum_method=("CP-SAT on an independently built OR-Tools model" if known is not None
                        else f"not proven by CP-SAT within {CPSAT_TIME_LIMIT:g} s"),
        bound=lp_relaxation(model), bound_kind="LP relaxation")


def generator(kind: str) -> Any:
    """The (size, seed) generator of one type."""
    if kind not in TYPES:
        raise ValueError(f"unknown Chu-Beasley type {kind!r}; known: d, e")

    def gen(size: int, seed: int) -> FamilyInstance:
        return generate_type(kind, size, seed)

    gen.__doc__ = f"A generalized assignment instance of Chu-Beasley type {kind.upper()}."
    return gen
