"""Linear assignment. Size = n, the number of workers and of tasks (n^2 binary variables).

Costs are hours 10..99. The known optimum comes from the Hungarian method (exact, O(n^3)),
which the tests cross-check against brute force over all permutations for n <= 7.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Any

from formalize.evaluation.families.base import FamilyInstance, make_rng, table

NAME = "assignment"
SIZE_MEANING = "number of workers (= number of tasks)"


def hungarian(cost: Sequence[Sequence[float]]) -> tuple[float, list[int]]:
    """Minimum-cost perfect assignment of a square matrix by the Hungarian method with
    potentials. Returns (total cost, task of each worker)."""
    n = len(cost)
    if any(len(row) != n for row in cost):
        raise ValueError("hungarian: the cost matrix must be square")
    inf = float("inf")
    u = [0.0] * (n + 1)
    v = [0.0] * (n + 1)
    match = [0] * (n + 1)  # match[task] = worker (1-based, 0 = free)
    way = [0] * (n + 1)
    for worker in range(1, n + 1):
        match[0] = worker
        j0 = 0
        minv = [inf] * (n + 1)
        used = [False] * (n + 1)
        while True:
            used[j0] = True
            i0, delta, j1 = match[j0], inf, 0
            for j in range(1, n + 1):
                if not used[j]:
                    cur = cost[i0 - 1][j - 1] - u[i0] - v[j]
                    if cur < minv[j]:
                        minv[j], way[j] = cur, j0
                    if minv[j] < delta:
                        delta, j1 = minv[j], j
            for j in range(n + 1):
                if used[j]:
                    u[match[j]] += delta
                    v[j] -= delta
                else:
                    minv[j] -= delta
            j0 = j1
            if match[j0] == 0:
                break
        while j0:
            j1 = way[j0]
            match[j0] = match[j1]
            j0 = j1
    task_of = [0] * n
    for j in range(1, n + 1):
        task_of[match[j] - 1] = j - 1
    return float(sum(cost[i][task_of[i]] for i in range(n))), task_of


def brute_force(cost: Sequence[Sequence[float]]) -> float:
    """Minimum-cost assignment by trying every permutation (n <= 8 or so)."""
    n = len(cost)
    return float(
        min(sum(cost[i][p[i]] for i in range(n)) for p in itertools.permutations(range(n)))
    )


def generate(size: int, seed: int) -> FamilyInstance:
    """An assignment instance with `size` workers and `size` tasks."""
    rng = make_rng(NAME, size, seed)
    workers = [f"W{i}" for i in range(1, size + 1)]
    tasks = [f"T{j}" for j in range(1, size + 1)]
    cost = [[rng.randint(10, 99) for _ in tasks] for _ in workers]

    rows = [[w, *row] for w, row in zip(workers, cost, strict=True)]
    text = (
        f"A team lead has {size} workers ({workers[0]} to {workers[-1]}) and {size} tasks "
        f"({tasks[0]} to {tasks[-1]}). Every task must be done by exactly one worker, and every "
        f"worker does exactly one task. The table gives the number of hours each worker needs "
        f"for each task (rows are workers, columns are tasks):\n\n"
        f"{table(['worker', *tasks], rows)}\n\n"
        f"Assign workers to tasks so that the total number of hours is as small as possible. "
        f"Which worker does which task, and what is the minimum total number of hours?"
    )
    model: dict[str, Any] = {
        "name": "assignment",
        "description": f"assign {size} workers to {size} tasks at least total time",
        "sense": "minimize",
        "sets": {"Workers": workers, "Tasks": tasks},
        "params": {
            "hours": {
                "index": ["Workers", "Tasks"],
                "values": {
                    w: dict(zip(tasks, row, strict=True))
                    for w, row in zip(workers, cost, strict=True)
                },
                "source": "the hours table, rows workers, columns tasks",
            }
        },
        "variables": {
            "assign": {
                "index": ["Workers", "Tasks"],
                "domain": "binary",
                "description": "1 if the worker does the task",
            }
        },
        "objective": "sum(hours[w, t] * assign[w, t] for w in Workers for t in Tasks)",
        "constraints": [
            {
                "name": "one_task_per_worker",
                "forall": "w in Workers",
                "expr": "sum(assign[w, t] for t in Tasks) == 1",
                "description": "every worker does exactly one task",
            },
            {
                "name": "one_worker_per_task",
                "forall": "t in Tasks",
                "expr": "sum(assign[w, t] for w in Workers) == 1",
                "description": "every task is done by exactly one worker",
            },
        ],
    }
    known, _ = hungarian(cost)
    return FamilyInstance(NAME, size, seed, text, model, known, {"workers": size, "tasks": size},
                          optimum_method="Hungarian method", bound=known,
                          bound_kind="LP relaxation (integral: the assignment polytope)")
