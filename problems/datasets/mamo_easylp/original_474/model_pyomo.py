import pyomo.environ as pyo

model = pyo.ConcreteModel(name="tourism_promotion")
model.x = pyo.Var(domain=pyo.NonNegativeIntegers)
model.y = pyo.Var(domain=pyo.NonNegativeIntegers)

model.cost = pyo.Objective(expr=50 * model.x + 80 * model.y, sense=pyo.minimize)
model.budget = pyo.Constraint(expr=model.x + model.y <= 200)
model.effectiveness = pyo.Constraint(expr=2 * model.x + model.y >= 150)
model.balance = pyo.Constraint(expr=pyo.inequality(-50, model.x - model.y, 50))
