import pyomo.environ as pyo

model = pyo.ConcreteModel(name="snack_suitcases")
model.small = pyo.Var(domain=pyo.NonNegativeIntegers, bounds=(0, 70))
model.large = pyo.Var(domain=pyo.NonNegativeIntegers, bounds=(15, 50))

model.snacks = pyo.Objective(expr=50 * model.small + 80 * model.large, sense=pyo.maximize)
model.preference = pyo.Constraint(expr=model.small >= 2 * model.large)
model.total = pyo.Constraint(expr=model.small + model.large <= 70)
