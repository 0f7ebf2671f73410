"""Single-machine total weighted tardiness (1||sum w_j T_j, strongly NP-hard). Size = number of
jobs.

Instances as in Potts and Van Wassenhove (1985): processing times uniform in 1..100, weights
uniform in 1..10, due dates uniform in [P (1 - TF - RDD / 2), P (1 - TF + RDD / 2)] where P is
the total processing time, with tardiness factor TF = 0.6 and due-date range RDD = 0.4 (a hard
middle setting). The formal model has integer start times, one `or` disjunction per pair of
jobs and a tardiness variable per job (CP-SAT). The known optimum comes from dynamic
programming over job subsets (exact; up to DP_MAX jobs) and beyond that from CP-SAT on an
interval model built here directly with OR-Tools. The bound is the tardiness each job would
have alone on the machine (what the LP relaxation of the disjunctive model gives): usually 0,
so nothing short certifies the optimum.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from formalize.evaluation.families.base import FamilyInstance, make_rng, table

NAME = "tardiness"
SIZE_MEANING = "number of jobs on one machine"
DP_MAX = 20
TF, RDD = 0.6, 0.4
CPSAT_TIME_LIMIT = 120.0


def subset_dp(proc: list[int], weight: list[int], due: list[int]) -> int:
    """Minimum total weighted tardiness by DP over subsets: f(S) = min over the job j run last
    in S of f(S - j) + w_j max(0, p(S) - d_j)."""
    n = len(proc)
    if n > 24:
        raise ValueError(f"subset_dp: {n} jobs is too many (2^{n} states); at most 24")
    states = np.arange(1 << n, dtype=np.int64)
    bits = [(states >> j) & 1 for j in range(n)]
    total = sum(p * b for p, b in zip(proc, bits, strict=True)) if n else np.zeros(1, np.int64)
    count = sum(bits) if n else np.zeros(1, np.int64)
    f = np.full(1 << n, np.iinfo(np.int64).max // 4, dtype=np.int64)
    f[0] = 0
    for k in range(1, n + 1):
        layer = states[count == k]
        for j in range(n):
            s = layer[(layer >> j) & 1 == 1]
            cand = f[s ^ (1 << j)] + weight[j] * np.maximum(0, total[s] - due[j])
            f[s] = np.minimum(f[s], cand)
    return int(f[-1])


def cpsat_optimum(proc: list[int], weight: list[int], due: list[int],
                  time_limit: float = CPSAT_TIME_LIMIT) -> float | None:
    """Optimum from CP-SAT on an interval model (NoOverlap); None if not proven in time."""
    from ortools.sat.python import cp_model

    horizon = sum(proc)
    md = cp_model.CpModel()
    intervals, tard = [], []
    for j, p in enumerate(proc):
        s = md.NewIntVar(0, horizon - p, f"s{j}")
        intervals.append(md.NewIntervalVar(s, p, s + p, f"i{j}"))
        t = md.NewIntVar(0, horizon, f"t{j}")
        md.Add(t >= s + p - due[j])
        tard.append(t)
    md.AddNoOverlap(intervals)
    md.Minimize(sum(w * t for w, t in zip(weight, tard, strict=True)))
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = time_limit
    solver.parameters.num_workers = 2
    return float(solver.ObjectiveValue()) if solver.Solve(md) == cp_model.OPTIMAL else None


def generate(size: int, seed: int) -> FamilyInstance:
    """A weighted tardiness instance with `size` jobs."""
    rng = make_rng(NAME, size, seed)
    proc = [rng.randint(1, 100) for _ in range(size)]
    weight = [rng.randint(1, 10) for _ in range(size)]
    total = sum(proc)
    lo, hi = total * (1 - TF - RDD / 2), total * (1 - TF + RDD / 2)
    due = [round(rng.uniform(lo, hi)) for _ in range(size)]
    jobs = list(range(1, size + 1))
    rows = [[j, p, w, d] for j, p, w, d in zip(jobs, proc, weight, due, strict=True)]
    text = (
        f"A print shop has one printing press and {size} orders, numbered 1 to {size}, all "
        f"ready at minute 0. The press prints one order at a time, and an order, once started, "
        f"runs without interruption for its processing time. All times are whole minutes "
        f"counted from 0, and everything must be finished by minute {total}. An order finished "
        f"after its due time is late by the difference (its tardiness; 0 if it is on time), and "
        f"each minute of tardiness costs the order's weight in penalty points.\n\n"
        f"{table(['order', 'processing time', 'weight', 'due time'], rows)}\n\n"
        f"When should each order start so that the total penalty (sum over orders of weight "
        f"times tardiness) is as small as possible? What is that smallest total penalty?"
    )
    model: dict[str, Any] = {
        "name": "weighted_tardiness",
        "description": f"one machine, {size} jobs, minimize the total weighted tardiness",
        "sense": "minimize",
        "sets": {"Orders": {"range": [1, size]}},
        "params": {
            "proc": {"index": ["Orders"], "values": proc, "source": "processing time column"},
            "weight": {"index": ["Orders"], "values": weight, "source": "weight column"},
            "due": {"index": ["Orders"], "values": due, "source": "due time column"},
            "horizon": {"value": total, "source": f"finished by minute {total}"},
        },
        "variables": {
            "start": {"index": ["j in Orders"], "domain": "integer", "lb": 0,
                      "ub": "horizon - proc[j]", "description": "start minute of the order"},
            "late": {"index": ["Orders"], "domain": "integer", "lb": 0, "ub": "horizon",
                     "description": "tardiness of the order in minutes (0 if on time)"},
        },
        "objective": "sum(weight[j] * late[j] for j in Orders)",
        "constraints": [
            {"name": "one_at_a_time", "forall": "j in Orders, k in Orders if j < k",
             "expr": "start[j] + proc[j] <= start[k] or start[k] + proc[k] <= start[j]",
             "description": "two orders do not overlap on the press"},
            {"name": "tardiness", "forall": "j in Orders",
             "expr": "late[j] >= start[j] + proc[j] - due[j]",
             "description": "tardiness is at least completion minus due time"},
        ],
    }
    if size <= DP_MAX:
        known: float | None = float(subset_dp(proc, weight, due))
        method = "dynamic programming over job subsets"
    else:
        known = cpsat_optimum(proc, weight, due)
        method = ("CP-SAT on an independently built interval model (NoOverlap)"
                  if known is not None else f"not proven by CP-SAT within {CPSAT_TIME_LIMIT:g} s")
    alone = sum(w * max(0, p - d) for p, w, d in zip(proc, weight, due, strict=True))
    return FamilyInstance(NAME, size, seed, text, model, known, {"jobs": size},
                          optimum_method=method, bound=float(alone),
                          bound_kind="each job alone (= LP relaxation of the big-M model)")
