import pyomo.environ as pyo

model = pyo.ConcreteModel(name="lake_evacuation")
model.kayak = pyo.Var(domain=pyo.NonNegativeIntegers)  # trips
model.boat = pyo.Var(domain=pyo.NonNegativeIntegers, bounds=(0, 25))

model.time = pyo.Objective(expr=5 * model.kayak + 3 * model.boat, sense=pyo.minimize)
model.move_all = pyo.Constraint(expr=4 * model.kayak + 5 * model.boat >= 550)
model.kayak_share = pyo.Constraint(expr=model.kayak >= 0.75 * (model.kayak + model.boat))
