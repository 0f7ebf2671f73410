import pyomo.environ as pyo

model = pyo.ConcreteModel(name="sanitizer_machines")
model.motion = pyo.Var(domain=pyo.NonNegativeIntegers, bounds=(3, None))
model.manual = pyo.Var(domain=pyo.NonNegativeIntegers)

model.machines = pyo.Objective(expr=model.motion + model.manual, sense=pyo.minimize)
model.manual_share = pyo.Constraint(expr=model.manual <= 0.4 * (model.motion + model.manual))
model.drops = pyo.Constraint(expr=50 * model.motion + 75 * model.manual >= 1000)
model.energy = pyo.Constraint(expr=30 * model.motion + 20 * model.manual <= 500)
