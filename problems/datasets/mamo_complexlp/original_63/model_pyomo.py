import pyomo.environ as pyo

cost = {(1, 2): 52, (1, 3): 89, (1, 4): 11, (2, 3): 14, (2, 4): 13, (3, 4): 87}
cost.update({(j, i): c for (i, j), c in list(cost.items())})
n = 4

model = pyo.ConcreteModel(name="tsp_four_cities")
model.CITIES = pyo.RangeSet(1, n)
model.OTHERS = pyo.RangeSet(2, n)
model.ARCS = pyo.Set(initialize=sorted(cost), dimen=2)
model.x = pyo.Var(model.ARCS, domain=pyo.Binary)
model.u = pyo.Var(model.OTHERS, bounds=(1, n - 1))

model.total_cost = pyo.Objective(expr=sum(cost[a] * model.x[a] for a in model.ARCS),
                                 sense=pyo.minimize)


def leave_rule(m, i):
    return sum(m.x[i, j] for j in m.CITIES if j != i) == 1


def enter_rule(m, j):
    return sum(m.x[i, j] for i in m.CITIES if i != j) == 1


def mtz_rule(m, i, j):
    if i == j:
        return pyo.Constraint.Skip
    return m.u[i] - m.u[j] + n * m.x[i, j] <= n - 1


model.leave_once = pyo.Constraint(model.CITIES, rule=leave_rule)
model.enter_once = pyo.Constraint(model.CITIES, rule=enter_rule)
model.mtz = pyo.Constraint(model.OTHERS, model.OTHERS, rule=mtz_rule)
