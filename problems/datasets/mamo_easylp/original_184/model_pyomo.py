import pyomo.environ as pyo

cost = {"coal": 4, "gas": 3, "nuclear": 2}
cap = {"coal": 3000, "gas": 2000, "nuclear": 1500}

model = pyo.ConcreteModel(name="electricity_sources")
model.S = pyo.Set(initialize=list(cost))
model.produce = pyo.Var(model.S, domain=pyo.NonNegativeIntegers, bounds=lambda m, s: (0, cap[s]))

model.cost = pyo.Objective(expr=sum(cost[s] * model.produce[s] for s in model.S),
                           sense=pyo.minimize)
model.demand = pyo.Constraint(expr=sum(model.produce[s] for s in model.S) >= 5000)
