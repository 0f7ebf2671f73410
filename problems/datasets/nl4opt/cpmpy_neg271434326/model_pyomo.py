import pyomo.environ as pyo

model = pyo.ConcreteModel(name="dog_bones")
model.small = pyo.Var(domain=pyo.NonNegativeIntegers)
model.large = pyo.Var(domain=pyo.NonNegativeIntegers, bounds=(30, None))

model.meat = pyo.Objective(expr=12 * model.small + 15 * model.large, sense=pyo.minimize)
model.medication_limit = pyo.Constraint(expr=10 * model.small + 15 * model.large <= 2000)
model.small_share = pyo.Constraint(expr=model.small >= 0.5 * (model.small + model.large))
