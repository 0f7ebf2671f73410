import pyomo.environ as pyo

model = pyo.ConcreteModel(name="school_trip_buses")
model.buses = pyo.Var(domain=pyo.NonNegativeIntegers, bounds=(0, 10))
model.minibuses = pyo.Var(domain=pyo.NonNegativeIntegers, bounds=(0, 8))

model.cost = pyo.Objective(expr=800 * model.buses + 600 * model.minibuses, sense=pyo.minimize)
model.seats = pyo.Constraint(expr=50 * model.buses + 40 * model.minibuses >= 400)
model.driver_limit = pyo.Constraint(expr=model.buses + model.minibuses <= 9)
