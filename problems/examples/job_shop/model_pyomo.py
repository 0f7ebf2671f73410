import pyomo.environ as pyo

# (machine, duration) of each job's operations in order
jobs = {
    1: [(1, 3), (2, 2), (3, 2)],
    2: [(1, 2), (3, 1), (2, 4)],
    3: [(2, 4), (3, 3), (1, 1)],
    4: [(3, 2), (1, 3), (2, 2)],
}
ops = [(j, s) for j in jobs for s in range(1, len(jobs[j]) + 1)]
machine = {(j, s): jobs[j][s - 1][0] for j, s in ops}
duration = {(j, s): jobs[j][s - 1][1] for j, s in ops}
horizon = sum(duration.values())
pairs = [(a, b) for a in ops for b in ops if a[0] < b[0] and machine[a] == machine[b]]

model = pyo.ConcreteModel(name="job_shop")
model.OPS = pyo.Set(initialize=ops, dimen=2)
model.PAIRS = pyo.Set(initialize=pairs, dimen=4)
model.start = pyo.Var(model.OPS, domain=pyo.NonNegativeIntegers, bounds=(0, horizon))
model.makespan = pyo.Var(domain=pyo.NonNegativeIntegers, bounds=(0, horizon))
model.first = pyo.Var(model.PAIRS, domain=pyo.Binary)  # 1 if the first op of the pair goes first

model.obj = pyo.Objective(expr=model.makespan, sense=pyo.minimize)


def order_rule(m, j, s):
    if s == 1:
        return pyo.Constraint.Skip
    return m.start[j, s] >= m.start[j, s - 1] + duration[j, s - 1]


def finish_rule(m, j, s):
    return m.makespan >= m.start[j, s] + duration[j, s]


def before_rule(m, j, s, k, r):
    return m.start[j, s] + duration[j, s] <= m.start[k, r] + horizon * (1 - m.first[j, s, k, r])


def after_rule(m, j, s, k, r):
    return m.start[k, r] + duration[k, r] <= m.start[j, s] + horizon * m.first[j, s, k, r]


model.job_order = pyo.Constraint(model.OPS, rule=order_rule)
model.finish_by_makespan = pyo.Constraint(model.OPS, rule=finish_rule)
model.no_overlap_before = pyo.Constraint(model.PAIRS, rule=before_rule)
model.no_overlap_after = pyo.Constraint(model.PAIRS, rule=after_rule)
