import pyomo.environ as pyo

model = pyo.ConcreteModel(name="toy_store_volunteers")
model.seasonal = pyo.Var(domain=pyo.NonNegativeIntegers)
model.full_time = pyo.Var(domain=pyo.NonNegativeIntegers, bounds=(10, None))

model.gifts = pyo.Objective(expr=5 * model.seasonal + 8 * model.full_time, sense=pyo.maximize)
model.points = pyo.Constraint(expr=2 * model.seasonal + 5 * model.full_time <= 200)
model.seasonal_share = pyo.Constraint(
    expr=model.seasonal <= 0.3 * (model.seasonal + model.full_time)
)
