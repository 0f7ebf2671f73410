"""Job shop, minimize the makespan (J||C_max), random instances in Taillard's style.
Size = number of jobs; machines = max(2, min(size, 8)).

E. Taillard, "Benchmarks for basic scheduling problems", EJOR 64 (1993): processing times
uniform in 1..99 and every job visits every machine once, in a random order. Instances with
about as many machines as jobs are the hard ones (with many more jobs than machines the machine
load bound is usually the optimum, a short certificate), so instances are square up to 8
machines (measured: the bound is 9-26 % below the optimum at 3-8 jobs, 2 s to prove at 8 x 8). The formal model has integer start times, the route order as precedences, and one `or`
disjunction per pair of operations on a machine (CP-SAT). The known optimum comes from CP-SAT
on an interval model built here directly with OR-Tools (NoOverlap, not the disjunctions), and
for tiny instances the tests enumerate every machine sequence. The bound is the larger of the
busiest machine's load and the longest job: what the LP relaxation of the disjunctive model
gives at best.
"""

from __future__ import annotations

from typing import Any

from formalize.evaluation.families.base import FamilyInstance, make_rng, table

NAME = "jobshop"
MAX_MACHINES = 8
SIZE_MEANING = (f"number of jobs (machines = max(2, min(size, {MAX_MACHINES})); every job visits "
                f"every machine)")
CPSAT_TIME_LIMIT = 120.0


def machines_for(size: int) -> int:
    """The number of machines for `size` jobs."""
    return max(2, min(size, MAX_MACHINES))


def cpsat_optimum(routes: list[list[int]], proc: list[list[int]],
                  time_limit: float = CPSAT_TIME_LIMIT) -> float | None:
    """Optimal makespan from CP-SAT on an interval model (routes[j] = machines in order,
    proc[j][m] = time of job j on machine m); None when not proven within the limit."""
    from ortools.sat.python import cp_model

    horizon = sum(map(sum, proc))
    md = cp_model.CpModel()
    on_machine: dict[int, list[Any]] = {}
    ends = []
    for j, route in enumerate(routes):
        prev = None
        for m in route:
            s = md.NewIntVar(0, horizon, f"s{j}_{m}")
            e = md.NewIntVar(0, horizon, f"e{j}_{m}")
            on_machine.setdefault(m, []).append(md.NewIntervalVar(s, proc[j][m], e, f"i{j}_{m}"))
            if prev is not None:
                md.Add(s >= prev)
            prev = e
        ends.append(prev)
    for intervals in on_machine.values():
        md.AddNoOverlap(intervals)
    cmax = md.NewIntVar(0, horizon, "cmax")
    md.AddMaxEquality(cmax, ends)
    md.Minimize(cmax)
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = time_limit
    solver.parameters.num_workers = 2
    return float(solver.ObjectiveValue()) if solver.Solve(md) == cp_model.OPTIMAL else None


def load_bound(routes: list[list[int]], proc: list[list[int]]) -> int:
    """max(busiest machine's total time, longest job's total time)."""
    n_machines = len(proc[0])
    machine = max(sum(proc[j][m] for j in range(len(proc))) for m in range(n_machines))
    return max(machine, max(sum(row) for row in proc))


def generate(size: int, seed: int) -> FamilyInstance:
    """A job shop instance with `size` jobs."""
    rng = make_rng(NAME, size, seed)
    n_m = machines_for(size)
    proc = [[rng.randint(1, 99) for _ in range(n_m)] for _ in range(size)]
    routes = []
    for _ in range(size):
        route = list(range(n_m))
        rng.shuffle(route)
        routes.append(route)
    position = [[route.index(m) + 1 for m in range(n_m)] for route in routes]
    horizon = sum(map(sum, proc))
    jobs, machines = list(range(1, size + 1)), list(range(1, n_m + 1))
    mnames = [f"M{m}" for m in machines]
    route_lines = "\n".join(f"- job {j}: " + " -> ".join(f"M{m + 1}" for m in route)
                            for j, route in zip(jobs, routes, strict=True))
    text = (
        f"A workshop has {n_m} machines (M1 to M{n_m}) and {size} jobs, numbered 1 to {size}. "
        f"Every job must be processed once on every machine, in its own fixed order (its "
        f"route); a job's next operation can start only when its previous one has finished. A "
        f"machine works on one job at a time, and an operation, once started, runs without "
        f"interruption. All times are whole minutes counted from 0, and all work must be "
        f"finished by minute {horizon}.\n\n"
        f"Routes (machines in the order each job visits them):\n{route_lines}\n\n"
        f"The same routes as positions (1 = the job's first machine):\n"
        f"{table(['job', *mnames], [[j, *row] for j, row in zip(jobs, position, strict=True)])}"
        f"\n\nProcessing time in minutes of each job on each machine:\n"
        f"{table(['job', *mnames], [[j, *row] for j, row in zip(jobs, proc, strict=True)])}\n\n"
        f"When should each operation start so that all jobs are finished as early as possible? "
        f"What is the smallest possible makespan (the finishing time of the last operation)?"
    )
    model: dict[str, Any] = {
        "name": "job_shop",
        "description": f"job shop with {size} jobs x {n_m} machines, minimize the makespan",
        "sense": "minimize",
        "sets": {"Jobs": {"range": [1, size]}, "Machines": {"range": [1, n_m]}},
        "params": {
            "position": {"index": ["Jobs", "Machines"],
                         "values": [list(row) for row in position],
                         "source": "route positions table"},
            "proc": {"index": ["Jobs", "Machines"], "values": [list(row) for row in proc],
                     "source": "processing time table"},
            "horizon": {"value": horizon, "source": f"finished by minute {horizon}"},
        },
        "variables": {
            "start": {"index": ["j in Jobs", "m in Machines"], "domain": "integer", "lb": 0,
                      "ub": "horizon - proc[j, m]",
                      "description": "start minute of the job's operation on the machine"},
            "makespan": {"domain": "integer", "lb": 0, "ub": "horizon",
                         "description": "the finishing time of the last operation"},
        },
        "objective": "makespan",
        "constraints": [
            {"name": "route_order",
             "forall": "j in Jobs, a in Machines, b in Machines if position[j, b] == position[j, a] + 1",
             "expr": "start[j, b] >= start[j, a] + proc[j, a]",
             "description": "a job's next operation starts after its previous one ends"},
            {"name": "one_job_at_a_time",
             "forall": "m in Machines, j in Jobs, k in Jobs if j < k",
             "expr": "start[j, m] + proc[j, m] <= start[k, m] or "
                     "start[k, m] + proc[k, m] <= start[j, m]",
             "description": "two jobs do not overlap on a machine"},
            {"name": "makespan_bound", "forall": "j in Jobs, m in Machines",
             "expr": "makespan >= start[j, m] + proc[j, m]",
             "description": "the makespan is at least every operation's end"},
        ],
    }
    known = cpsat_optimum(routes, proc)
    return FamilyInstance(
        NAME, size, seed, text, model, known, {"jobs": size, "machines": n_m},
        optimum_method=("CP-SAT on an independently built interval model (NoOverlap)"
                        if known is not None
                        else f"not proven by CP-SAT within {CPSAT_TIME_LIMIT:g} s"),
        bound=float(load_bound(routes, proc)), bound_kind="machine / job load bound")
