import pyomo.environ as pyo

# acknowledged: 8 - the 8-hour shift spans two 4-hour periods: encoded in the coverage rule (start t covers t and t+1)
# acknowledged: 24 - the 24-hour store: the six 4-hour periods cover the whole day, cyclically (period 6 is followed by period 1)

need = {1: 10, 2: 15, 3: 25, 4: 20, 5: 18, 6: 12}  # 4-hour periods starting 2:00, 6:00, ...

model = pyo.ConcreteModel(name="store_shifts")
model.T = pyo.RangeSet(1, 6)
model.start = pyo.Var(model.T, domain=pyo.NonNegativeIntegers)  # people starting in period t

model.staff = pyo.Objective(expr=sum(model.start[t] for t in model.T), sense=pyo.minimize)


def coverage_rule(m, t):  # an 8-hour shift covers its start period and the next, cyclically
    previous = 6 if t == 1 else t - 1
    return m.start[t] + m.start[previous] >= need[t]


model.coverage = pyo.Constraint(model.T, rule=coverage_rule)
