import pyomo.environ as pyo

x = {"p1": 1, "p2": 2, "p3": 3, "p4": 4, "p5": 5, "p6": 6, "p7": 7, "p8": 8}
y = {"p1": 2.1, "p2": 3.9, "p3": 6.2, "p4": 7.8, "p5": 10.3, "p6": 30.0, "p7": 14.1, "p8": 15.8}

model = pyo.ConcreteModel(name="l1_regression")
model.P = pyo.Set(initialize=list(x))
model.intercept = pyo.Var()
model.slope = pyo.Var()
model.dev = pyo.Var(model.P, domain=pyo.NonNegativeReals)  # |residual| of each point

model.total_deviation = pyo.Objective(expr=sum(model.dev[p] for p in model.P),
                                      sense=pyo.minimize)


def above_rule(m, p):
    return m.dev[p] >= y[p] - m.intercept - m.slope * x[p]


def below_rule(m, p):
    return m.dev[p] >= -(y[p] - m.intercept - m.slope * x[p])


model.dev_above = pyo.Constraint(model.P, rule=above_rule)
model.dev_below = pyo.Constraint(model.P, rule=below_rule)
