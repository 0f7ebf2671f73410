import pyomo.environ as pyo

model = pyo.ConcreteModel(name="banana_crates")
model.small = pyo.Var(domain=pyo.NonNegativeIntegers, bounds=(5, None))
model.large = pyo.Var(domain=pyo.NonNegativeIntegers)

model.crates = pyo.Objective(expr=model.small + model.large, sense=pyo.maximize)
model.large_vs_small = pyo.Constraint(expr=model.large >= 2 * model.small)
model.bananas = pyo.Constraint(expr=20 * model.small + 50 * model.large <= 500)
