import pyomo.environ as pyo

model = pyo.ConcreteModel(name="zoo_transport")
model.bus = pyo.Var(domain=pyo.NonNegativeIntegers, bounds=(0, 10))  # trips
model.car = pyo.Var(domain=pyo.NonNegativeIntegers)

model.time = pyo.Objective(expr=30 * model.bus + 15 * model.car, sense=pyo.minimize)
model.transport_all = pyo.Constraint(expr=20 * model.bus + 6 * model.car >= 300)
model.car_share = pyo.Constraint(expr=model.car >= 0.6 * (model.bus + model.car))
