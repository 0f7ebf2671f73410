"""Single-machine scheduling with release times and due dates, minimizing the maximum
lateness (1|r_j|L_max: CP / integer, NP-hard). Size = number of jobs.

Integer start times bounded by the release time and a horizon (latest release + total
processing time, always enough); no overlap is one disjunction `c1 or c2` per pair of jobs;
an integer variable bounds every job's lateness (completion - due date) from above.
Processing times 1..10, releases 0..(total processing / 2), due date = release + processing +
0..(total processing / 2). Solve with backend="cpsat": measured on 2 threads, CP-SAT proves
the optimum in ~2 s at 40 jobs and 26-40 s at 80, whereas HiGHS (big-M) does not prove 20 jobs
within 120 s. Total weighted completion time, tried first, was not proven optimal by CP-SAT at
20 jobs in 60 s, so it is not the objective.
The known optimum is computed by brute force over job orders for size <= 8 (for a regular
objective some optimal schedule starts every job as early as possible in its order).
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Any

from formalize.evaluation.families.base import FamilyInstance, make_rng, table

NAME = "scheduling"
SIZE_MEANING = "number of jobs"
BRUTE_FORCE_MAX = 8


def schedule_lateness(
    order: Sequence[int], proc: Sequence[int], release: Sequence[int], due: Sequence[int]
) -> tuple[int, list[int]]:
    """Maximum lateness and start times when jobs run in `order`, each as early as possible
    (0-based job indices)."""
    start = [0] * len(proc)
    t = 0
    worst: int | None = None
    for j in order:
        start[j] = max(t, release[j])
        t = start[j] + proc[j]
        worst = t - due[j] if worst is None else max(worst, t - due[j])
    if worst is None:
        raise ValueError("schedule_lateness: no jobs")
    return worst, start


def brute_force(proc: Sequence[int], release: Sequence[int], due: Sequence[int]) -> int:
    """Optimal maximum lateness by trying every job order."""
    n = len(proc)
    return min(
        schedule_lateness(order, proc, release, due)[0]
        for order in itertools.permutations(range(n))
    )


def generate(size: int, seed: int) -> FamilyInstance:
    """A single-machine scheduling instance with `size` jobs."""
    rng = make_rng(NAME, size, seed)
    jobs = list(range(1, size + 1))
    proc = [rng.randint(1, 10) for _ in jobs]
    release = [rng.randint(0, sum(proc) // 2) for _ in jobs]
    due = [r + p + rng.randint(0, sum(proc) // 2) for r, p in zip(release, proc, strict=True)]
    horizon = max(release) + sum(proc)

    rows = [[j, r, p, d] for j, r, p, d in zip(jobs, release, proc, due, strict=True)]
    text = (
        f"A workshop has one machine and {size} jobs to run on it, numbered 1 to {size}. The "
        f"machine processes one job at a time, and a job, once started, runs without "
        f"interruption for its processing time. A job cannot start before its release time. "
        f"All times are whole numbers of minutes counted from 0, when the machine becomes free, "
        f"and every job must be finished by minute {horizon}. A job's completion time is its "
        f"start time plus its processing time, and its lateness is its completion time minus "
        f"its due time (negative when the job finishes early).\n\n"
        f"{table(['job', 'release time', 'processing time', 'due time'], rows)}\n\n"
        f"When should each job start so that the largest lateness over all jobs is as small as "
        f"possible? What is that smallest possible maximum lateness?"
    )
    model: dict[str, Any] = {
        "name": "single_machine_scheduling",
        "description": f"{size} jobs on one machine with release and due times, "
        f"minimize the maximum lateness",
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
            "due": {
                "index": ["Jobs"],
                "values": due,
                "source": "due time column of the job table",
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
            },
            "max_lateness": {
                "domain": "integer",
                "lb": "-horizon",
                "ub": "horizon",
                "description": "an upper bound on every job's lateness",
            },
        },
        "objective": "max_lateness",
        "constraints": [
            {
                "name": "no_overlap",
                "forall": "j in Jobs, k in Jobs if j < k",
                "expr": (
                    "start[j] + proc_time[j] <= start[k] or start[k] + proc_time[k] <= start[j]"
                ),
                "description": "two jobs do not run at the same time",
            },
            {
                "name": "lateness",
                "forall": "j in Jobs",
                "expr": "max_lateness >= start[j] + proc_time[j] - due[j]",
                "description": "the maximum lateness is at least each job's lateness",
            },
        ],
    }
    known = float(brute_force(proc, release, due)) if size <= BRUTE_FORCE_MAX else None
    return FamilyInstance(NAME, size, seed, text, model, known, {"jobs": size},
                          optimum_method="brute force over job orders" if known is not None
                          else "")
