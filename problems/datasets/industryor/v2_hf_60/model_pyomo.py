import pyomo.environ as pyo

upper = {
    (1, 2): 86, (1, 3): 49, (1, 4): 57, (1, 5): 31, (1, 6): 69, (1, 7): 50,
    (2, 3): 68, (2, 4): 79, (2, 5): 93, (2, 6): 24, (2, 7): 5,
    (3, 4): 16, (3, 5): 7, (3, 6): 72, (3, 7): 67,
    (4, 5): 90, (4, 6): 69, (4, 7): 1,
    (5, 6): 86, (5, 7): 59,
    (6, 7): 81,
}
dist = {**upper, **{(j, i): d for (i, j), d in upper.items()}}
n = 7

model = pyo.ConcreteModel(name="tsp_seven")
model.L = pyo.RangeSet(1, n)
model.ARCS = pyo.Set(initialize=sorted(dist), dimen=2)
model.x = pyo.Var(model.ARCS, domain=pyo.Binary)
model.u = pyo.Var(pyo.RangeSet(2, n), bounds=(1, n - 1))

model.length = pyo.Objective(expr=sum(dist[a] * model.x[a] for a in model.ARCS),
                             sense=pyo.minimize)


def leave_rule(m, i):
    return sum(m.x[i, j] for j in m.L if j != i) == 1


def enter_rule(m, j):
    return sum(m.x[i, j] for i in m.L if i != j) == 1


def mtz_rule(m, i, j):
    if i == j:
        return pyo.Constraint.Skip
    return m.u[i] - m.u[j] + n * m.x[i, j] <= n - 1


model.leave_once = pyo.Constraint(model.L, rule=leave_rule)
model.enter_once = pyo.Constraint(model.L, rule=enter_rule)
model.mtz = pyo.Constraint(pyo.RangeSet(2, n), pyo.RangeSet(2, n), rule=mtz_rule)
