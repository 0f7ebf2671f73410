"""Single-machine scheduling with release times, minimizing total weighted completion time
(CP / integer, NP-hard). Size = number of jobs.

Integer start times bounded by the release time and a horizon (latest release + total
processing time, always enough); no overlap is one disjunction `c1 or c2` per pair of jobs.
Processing times 1..10, weights 1..5, releases 0..(total processing / 2).
The known optimum is computed by brute force over job orders for size <= 8 (for a regular
objective some optimal schedule starts every job as early as possible in its order).
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Any

from .base import FamilyInstance, make_rng, table

NAME = "scheduling"
SIZE_MEANING = "number of jobs"
BRUTE_FORCE_MAX = 8


def schedule_cost(
    order: Sequence[int], proc: Sequence[int], release: Sequence[int], weight: Sequence[int]
) -> tuple[int, list[int]]:
    """Total weighted completion time and start times when jobs run in `order`, each as early
    as possible (0-based job indices)."""
    start = [0] * len(proc)
    t = total = 0
    for j in order:
        start[j] = max(t, release[j])
        t = start[j] + proc[j]
        total += weight[j] * t
    return total, start


def brute_force(proc: Sequence[int], release: Sequence[int], weight: Sequence[int]) -> int:
    """Optimal total weighted completion time by trying every job order."""
    n = len(proc)
    return min(
        schedule_cost(order, proc, release, weight)[0] for order in itertools.permutations(range(n))
    )


def generate(size: int, seed: int) -> FamilyInstance:
    """A single-machine scheduling instance with `size` jobs."""
    rng = make_rng(NAME, size, seed)
    jobs = list(range(1, size + 1))
    proc = [rng.randint(1, 10) for _ in jobs]
    weight = [rng.randint(1, 5) for _ in jobs]
    release = [rng.randint(0, sum(proc) // 2) for _ in jobs]
    horizon = max(release) + sum(proc)

    rows = [[j, r, p, w] for j, r, p, w in zip(jobs, release, proc, weight, strict=True)]
    text = (
        f"A workshop has one machine and {size} jobs to run on it, numbered 1 to {size}. The "
        f"machine processes one job at a time, and a job, once started, runs without "
        f"interruption for its processing time. A job cannot start before its release time. "
        f"All times are whole numbers of minutes counted from 0, when the machine becomes free, "
        f"and every job must be finished by minute {horizon}. Each job has a weight (its "
        f"importance); a job's completion time is its start time plus its processing time.\n\n"
        f"{table(['job', 'release time', 'processing time', 'weight'], rows)}\n\n"
        f"When should each job start so that the sum over all jobs of weight times completion "
        f"time is as small as possible? What is that minimum weighted sum?"
    )
    model: dict[str, Any] = {
        "name": "single_machine_scheduling",
        "description": f"{size} jobs on one machine, minimize total weighted completion time",
        "sense": "minimize",
        "sets": {"Jobs": {"range": [1, size]}},
        "params": {
            "release": {
                "index": ["Jobs"],
                "values": release,
                "source": "release time column of the job table",
            },
            "proc_time": {
                "index": ["Jobs"],
                "values": proc,
                "source": "processing time column of the job table",
            },
            "weight": {
                "index": ["Jobs"],
                "values": weight,
                "source": "weight column of the job table",
            },
            "horizon": {
                "value": horizon,
                "source": f"every job must be finished by minute {horizon}",
            },
        },
        "variables": {
            "start": {
                "index": ["j in Jobs"],
                "domain": "integer",
                "lb": "release[j]",
                "ub": "horizon - proc_time[j]",
                "description": "start minute of the job",
            }
        },
        "objective": "sum(weight[j] * start[j] + weight[j] * proc_time[j] for j in Jobs)",
        "constraints": [
            {
                "name": "no_overlap",
                "forall": "j in Jobs, k in Jobs if j < k",
                "expr": (
                    "start[j] + proc_time[j] <= start[k] or start[k] + proc_time[k] <= start[j]"
                ),
                "description": "two jobs do not run at the same time",
            }
        ],
    }
    known = float(brute_force(proc, release, weight)) if size <= BRUTE_FORCE_MAX else None
    return FamilyInstance(NAME, size, seed, text, model, known, {"jobs": size})
