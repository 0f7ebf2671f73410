import pyomo.environ as pyo

model = pyo.ConcreteModel(name="wheat_corn")
model.wheat = pyo.Var(domain=pyo.NonNegativeIntegers)  # acres
model.corn = pyo.Var(domain=pyo.NonNegativeIntegers)

model.profit = pyo.Objective(expr=20 * model.wheat + 30 * model.corn, sense=pyo.maximize)
model.land = pyo.Constraint(expr=model.wheat + model.corn <= 100)
model.output = pyo.Constraint(expr=3 * model.wheat + 2 * model.corn >= 200)
