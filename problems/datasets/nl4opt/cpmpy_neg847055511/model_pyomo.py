import pyomo.environ as pyo

model = pyo.ConcreteModel(name="furnaces")
model.new = pyo.Var(domain=pyo.NonNegativeIntegers, bounds=(5, None))
model.old = pyo.Var(domain=pyo.NonNegativeIntegers)

model.furnaces = pyo.Objective(expr=model.new + model.old, sense=pyo.minimize)
model.old_share = pyo.Constraint(expr=model.old <= 0.35 * (model.new + model.old))
model.heat = pyo.Constraint(expr=10 * model.new + 15 * model.old >= 200)
model.electricity = pyo.Constraint(expr=200 * model.new + 250 * model.old <= 3500)
